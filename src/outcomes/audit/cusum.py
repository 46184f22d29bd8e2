"""Risk-adjusted Bernoulli CUSUM (Steiner, Cook, Farewell, Treasure 2000) per clinic and operator.

Each provider's sessions are taken in date order. Session t, with case-mix risk ``p_t``
(:func:`outcomes.audit.casemix.session_risk`) and outcome ``y_t`` (a notable adverse event
followed it), adds the log-likelihood-ratio score of odds ratio ``R`` against 1,

    W_t = y_t log(R) - log(1 - p_t + R p_t),

and the chart is ``C_t = max(0, C_{t-1} + W_t)``, ``C_0 = 0``. It signals when ``C_t > h`` and
restarts from 0. ``R`` (``odds_ratio``, default 2) is the deterioration to detect quickly.

**Control limit by simulation.** ``h`` is chosen per provider so that, were every session at
the case-mix risk, the chart would signal at least once over the provider's observed sessions
with probability ``false_alarm`` (default 5%): outcomes ``y*_t ~ Bernoulli(p_t)`` are drawn
``simulations`` times, the largest value of the chart over the sessions is recorded (the chart
signals iff that largest value exceeds ``h``), and ``h`` is its ``1 - false_alarm`` quantile.
All providers and replicates are computed at once: without restarts ``C_t = S_t - min(0,
min_{s<=t} S_s)`` with ``S`` the running sum of ``W`` (Lindley), a running sum and a running
minimum per provider, done over the concatenated providers by offsetting each provider's sums
below the previous ones'. Seeded: the same bundle and settings give the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..stats.result import Col

__all__ = ["Cusum", "cusum", "cusum_weights", "cusum_path", "max_cusum", "control_limits",
           "CUSUM_COLUMNS", "CUSUM_SIGNAL_COLUMNS", "CUSUM_DIMENSIONS"]

#: Dimensions monitored.
CUSUM_DIMENSIONS = (Col.CLINIC_ID, Col.OPERATOR_ID)
#: Columns of :attr:`Cusum.table`.
CUSUM_COLUMNS = ["dimension", "group", "n", "events", "expected", "odds_ratio", "false_alarm",
                 "control_limit", "signals", "first_signal", "status"]
#: Columns of :attr:`Cusum.signals`.
CUSUM_SIGNAL_COLUMNS = ["dimension", "group", "signal", "session_date", "session_id",
                        "sessions_since_reset", "events_since_reset", "expected_since_reset",
                        "cusum", "control_limit"]
_WINDOW = 4096
#: Fewest simulated exceedances from which a limit is read off the replicates directly.
_EXCEEDANCES = 20
#: Share of the largest replicates to which the exponential tail is fitted otherwise.
_TAIL = 0.1
_CHUNK = 4_000_000


def cusum_weights(y, p, odds_ratio: float = 2.0) -> np.ndarray:
    """Steiner's score of each session: ``y log(R) - log(1 - p + R p)``.

    Examples
    --------
    >>> cusum_weights([1, 0], [0.1, 0.1]).round(5).tolist()  # R = 2: log(2/1.1), -log(1.1)
    [0.59784, -0.09531]
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return y * np.log(odds_ratio) - np.log1p((odds_ratio - 1.0) * p)


def cusum_path(w, h: float) -> tuple[np.ndarray, list[int]]:
    """The chart with restarts: values ``C_t`` and the indices where it signals (``C_t > h``).

    Examples
    --------
    >>> c, hits = cusum_path([0.5, 0.5, -0.2, 0.6, 0.7], 0.9)
    >>> c.round(2).tolist(), hits
    ([0.5, 1.0, 0.0, 0.6, 1.3], [1, 4])
    """
    w = np.asarray(w, dtype=float)
    out = np.empty(len(w))
    hits: list[int] = []
    start, c0 = 0, 0.0
    while start < len(w):
        stop = min(start + _WINDOW, len(w))
        s = np.cumsum(w[start:stop])
        c = s - np.minimum(np.minimum.accumulate(s), -c0)
        over = np.flatnonzero(c > h)
        if over.size:
            i = int(over[0])
            out[start:start + i] = c[:i]
            out[start + i] = c[i]
            hits.append(start + i)
            start, c0 = start + i + 1, 0.0
        else:
            out[start:stop] = c
            start, c0 = stop, float(c[-1])
    return out, hits


def max_cusum(w: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Largest value of each provider's chart without restarts, for rows of replicates.

    Parameters
    ----------
    w : ndarray, shape (replicates, sessions)
        Scores of the providers' sessions, concatenated provider after provider.
    starts : ndarray of int
        Index of each provider's first session (increasing, starting at 0).

    Returns
    -------
    ndarray, shape (replicates, providers)

    Notes
    -----
    With ``S`` the running sum over all providers and ``b_u`` its value just before provider
    u starts, ``C_t = S_t - min(b_u, min_{s<=t in u} S_s)``. The running minimum within each
    provider is one ``minimum.accumulate`` over ``S - K u`` (``K`` above the range of ``S``, so
    no earlier provider's value is below a later one's), plus ``K u``.

    Examples
    --------
    >>> max_cusum(np.array([[0.5, -1.0, 0.7, 0.2, -0.1]]), np.array([0, 2])).round(6).tolist()
    [[0.5, 0.9]]
    """
    w = np.atleast_2d(np.asarray(w, dtype=float))
    n = w.shape[1]
    lengths = np.diff(np.r_[starts, n])
    s = np.cumsum(w, axis=1)
    big = 2.0 * float(s.max(initial=0.0) - s.min(initial=0.0)) + 1.0
    offset = np.repeat(np.arange(len(starts), dtype=float) * big, lengths)
    low = s - offset
    np.minimum.accumulate(low, axis=1, out=low)
    low += offset
    base = np.zeros((w.shape[0], len(starts)))
    base[:, 1:] = s[:, starts[1:] - 1]
    np.minimum(low, np.repeat(base, lengths, axis=1), out=low)
    s -= low
    return np.maximum.reduceat(s, starts, axis=1)


def control_limits(p: np.ndarray, starts: np.ndarray, *, odds_ratio: float = 2.0,
                   false_alarm: float = 0.05, simulations: int = 1000,
                   seed: int = 20001) -> np.ndarray:
    """Control limit ``h`` of each provider for a false-alarm probability over its sessions.

    Parameters
    ----------
    p : ndarray of float
        Case-mix risks of the providers' sessions, concatenated provider after provider.
    starts : ndarray of int
        Index of each provider's first session.
    odds_ratio : float
    false_alarm : float or ndarray of float
        Probability of at least one signal over the provider's sessions (one per provider, or
        one for all).
    simulations : int
        Replicates of in-control outcomes.
    seed : int

    Returns
    -------
    ndarray of float
        One ``h`` per provider: the smallest simulated largest chart value exceeded by at most
        ``false_alarm`` of the replicates. When that leaves fewer than 20 replicates above it
        (``false_alarm x simulations < 20``, e.g. a small level shared by many providers), the
        tail ``P(max > h) ~ 0.1 exp(-(h - u) / m)`` is fitted to the top 10% of replicates
        (u their lowest, m their mean excess over u; the largest value of a CUSUM has an
        exponential tail) and ``h`` is read off it (never below the direct value).

    Examples
    --------
    >>> h = control_limits(np.full(200, 0.1), np.array([0]), simulations=2000, seed=1)
    >>> round(float(h[0]), 2)
    4.0
    """
    rng = np.random.default_rng(seed)
    n = len(p)
    if n == 0:
        return np.zeros(0)
    up = np.log(odds_ratio) - np.log1p((odds_ratio - 1.0) * p)
    down = -np.log1p((odds_ratio - 1.0) * p)
    chunk = max(1, _CHUNK // n)
    maxima = []
    for first in range(0, simulations, chunk):
        b = min(chunk, simulations - first)
        y = rng.random((b, n), dtype=np.float32) < p
        maxima.append(max_cusum(np.where(y, up, down), starts))
    m = np.sort(np.concatenate(maxima, axis=0), axis=0)
    level = np.broadcast_to(np.asarray(false_alarm, dtype=float), (len(starts),))
    # the smallest simulated maximum exceeded by at most false_alarm of the replicates
    k = np.clip(np.ceil((1.0 - level) * simulations).astype(np.int64) - 1, 0, simulations - 1)
    h = m[k, np.arange(len(starts))]
    # too few replicates above the limit to read it off: extrapolate the exponential tail of
    # the largest value of a CUSUM (Siegmund), fitted to the top TAIL share of replicates
    rare = level * simulations < _EXCEEDANCES
    if rare.any():
        top = int(np.ceil((1.0 - _TAIL) * simulations)) - 1
        u0 = m[top]
        excess = np.maximum(m[top + 1:] - u0, 0.0).mean(axis=0)
        with np.errstate(divide="ignore"):
            tail_h = u0 + excess * np.log(_TAIL / level)
        h = np.where(rare & (excess > 0), np.maximum(tail_h, h), h)
    return h


@dataclass(frozen=True)
class Cusum:
    """Risk-adjusted CUSUM charts per provider.

    Attributes
    ----------
    table : DataFrame
        One row per provider, columns :data:`CUSUM_COLUMNS`: ``n`` (sessions), ``events``
        (sessions followed by a notable event), ``expected`` (sum of case-mix risks),
        ``odds_ratio``, ``false_alarm``, ``control_limit`` (h), ``signals`` (count),
        ``first_signal`` (date), ``status`` (``signal`` or ``no_signal``).
    signals : DataFrame
        One row per signal, columns :data:`CUSUM_SIGNAL_COLUMNS`: the date and session at
        which the chart crossed h, and the sessions, events and expected events since the
        chart last restarted.
    paths : dict of (str, str) to DataFrame
        The chart (``session_date``, ``cusum``) of each provider that signalled.
    notes : str
    """

    table: pd.DataFrame
    signals: pd.DataFrame
    paths: dict = field(default_factory=dict)
    notes: str = ""

    @property
    def flagged(self) -> pd.DataFrame:
        """Providers whose chart signalled."""
        return self.table[self.table["signals"] > 0].reset_index(drop=True)

    def summary(self) -> str:
        """Plain text: the providers that signalled."""
        lines = ["Risk-adjusted CUSUM (Steiner 2000)"]
        if self.table.empty:
            return "\n".join([*lines, f"  {self.notes or 'no provider to monitor'}"])
        f = self.flagged
        if f.empty:
            lines.append("  no chart signalled")
        for r in f.itertuples(index=False):
            lines.append(f"  SIGNAL {r.dimension} {r.group}: {r.signals} signal(s), first on "
                         f"{pd.Timestamp(r.first_signal).date()} (h = {r.control_limit:.3g})")
        return "\n".join(lines)

    def plot(self, ax=None, *, dimension: str = Col.CLINIC_ID, group: str | None = None,
             by: str = "date"):
        """The chart of one provider (:func:`outcomes.plots.audit.cusum_chart`)."""
        from ..plots.audit import cusum_chart

        return cusum_chart(self, ax=ax, dimension=dimension, group=group, by=by)


def cusum(sessions: pd.DataFrame, y: np.ndarray, risk: np.ndarray, *,
          dimensions=CUSUM_DIMENSIONS, odds_ratio: float = 2.0, false_alarm: float = 0.05,
          scope: str = "dimension", simulations: int = 1000, seed: int = 20001) -> Cusum:
    """Risk-adjusted Bernoulli CUSUM per provider over session dates.

    Parameters
    ----------
    sessions : DataFrame
        ``Courses.sessions`` (``session_date``, ``session_id`` and the dimensions).
    y : array of bool
        A notable adverse event followed the session.
    risk : array of float
        Case-mix risk of each session.
    dimensions : sequence of str
        Among :data:`CUSUM_DIMENSIONS`; one absent from the bundle is left out.
    odds_ratio : float
        Odds ratio of the deterioration to detect (> 1).
    false_alarm : float
        Probability of a false signal over the observed sessions when every provider is in
        control: of any provider of the dimension (``scope="dimension"``), or of each provider
        (``scope="provider"``).
    scope : {"dimension", "provider"}
        With ``dimension``, each of the k providers of a dimension gets the level
        ``1 - (1 - false_alarm)^(1/k)`` (Sidak: exact, the providers' sessions being disjoint
        and their outcomes independent under control), so a dimension raises a false alarm
        with probability ``false_alarm``.
    simulations : int
    seed : int

    Returns
    -------
    Cusum
        ``false_alarm`` in its table is the level of each provider.

    Examples
    --------
    >>> s = pd.DataFrame({"clinic_id": ["A"] * 40, "session_id": [f"S{i}" for i in range(40)],
    ...                   "session_date": pd.date_range("2024-01-01", periods=40)})
    >>> y = np.r_[np.zeros(30), np.ones(10)].astype(bool)
    >>> c = cusum(s, y, np.full(40, 0.05), dimensions=["clinic_id"], simulations=400)
    >>> c.table[["group", "n", "events", "signals", "status"]]
      group   n  events  signals  status
    0     A  40      10        2  signal
    """
    y = np.asarray(y, dtype=bool)
    risk = np.asarray(risk, dtype=float)
    parts, notes = [], []
    for dim in dimensions:
        if dim not in sessions.columns or sessions[dim].isna().all():
            notes.append(f"no {dim} recorded: no CUSUM by {dim}")
            continue
        ok = sessions[dim].notna().to_numpy()
        idx = np.flatnonzero(ok)
        frame = pd.DataFrame({"g": sessions[dim].astype("str").to_numpy()[idx],
                              "d": sessions[Col.SESSION_DATE].to_numpy()[idx],
                              "s": sessions[Col.SESSION_ID].astype("str").to_numpy()[idx],
                              "i": idx})
        frame = frame.sort_values(["g", "d", "s"], kind="stable")
        parts.append((dim, frame))
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CUSUM_COLUMNS})
        return Cusum(empty, pd.DataFrame(columns=CUSUM_SIGNAL_COLUMNS), notes="; ".join(notes))
    order = np.concatenate([f["i"].to_numpy() for _, f in parts])
    labels = [(dim, g) for dim, f in parts for g in pd.unique(f["g"])]
    sizes = np.concatenate([f.groupby("g", sort=False).size().to_numpy() for _, f in parts])
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    per_dim = {dim: f["g"].nunique() for dim, f in parts}
    level = np.array([1.0 - (1.0 - false_alarm) ** (1.0 / per_dim[dim]) if scope == "dimension"
                      else false_alarm for dim, _ in labels])
    h = control_limits(risk[order], starts, odds_ratio=odds_ratio, false_alarm=level,
                       simulations=simulations, seed=seed)
    dates = np.concatenate([f["d"].to_numpy() for _, f in parts])
    ids = np.concatenate([f["s"].to_numpy() for _, f in parts])
    w = cusum_weights(y[order], risk[order], odds_ratio)
    rows, sig_rows, paths = [], [], {}
    for u, ((dim, group), a, n) in enumerate(zip(labels, starts, sizes, strict=True)):
        sl = slice(a, a + n)
        c, hits = cusum_path(w[sl], float(h[u]))
        yy, pp = y[order][sl], risk[order][sl]
        last = 0
        for k, i in enumerate(hits, start=1):
            sig_rows.append({
                "dimension": dim, "group": group, "signal": k, "session_date": dates[sl][i],
                "session_id": ids[sl][i], "sessions_since_reset": i + 1 - last,
                "events_since_reset": int(yy[last:i + 1].sum()),
                "expected_since_reset": float(pp[last:i + 1].sum()), "cusum": float(c[i]),
                "control_limit": float(h[u])})
            last = i + 1
        if hits:
            paths[(dim, group)] = pd.DataFrame({Col.SESSION_DATE: dates[sl], "cusum": c})
        rows.append({"dimension": dim, "group": group, "n": int(n), "events": int(yy.sum()),
                     "expected": float(pp.sum()), "odds_ratio": float(odds_ratio),
                     "false_alarm": float(level[u]), "control_limit": float(h[u]),
                     "signals": len(hits),
                     "first_signal": dates[sl][hits[0]] if hits else pd.NaT,
                     "status": "signal" if hits else "no_signal"})
    table = pd.DataFrame(rows, columns=CUSUM_COLUMNS)
    table["first_signal"] = pd.to_datetime(table["first_signal"])
    signals = pd.DataFrame(sig_rows, columns=CUSUM_SIGNAL_COLUMNS)
    return Cusum(table, signals, paths, notes="; ".join(notes))
