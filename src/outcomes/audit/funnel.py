"""Funnel plots (Spiegelhalter 2005): each provider's risk-adjusted indicator against its volume,
with control limits at 95% and 99.8% that narrow as the volume grows.

Two indicators, by clinic, operator and device:

``notable_per_session``
    observed over expected sessions followed by a notable adverse event, O/E, the expected count
    E being the sum of the case-mix risks of the provider's sessions
    (:func:`outcomes.audit.casemix.session_risk`). Without overdispersion the limits are exact
    Poisson ones (O ~ Poisson(E)) with Spiegelhalter's interpolation (:func:`exact_limits`).
``final_improvement``
    the mean final improvement of the provider's courses, adjusted for case mix as
    ``target + (observed mean - expected mean)``, with normal limits ``target +- z sd / sqrt(n)``.

Overdispersion (Spiegelhalter 2005, section 4; FunnelPlotR's defaults): z-scores ``z_i`` (for the
ratio on the square-root scale, ``z_i = 2 (sqrt(O_i) - sqrt(E_i))``, ``s_i = 1 / (2 sqrt(E_i))``;
for means ``z_i = (y_i - target) / s_i``, ``s_i = sd / sqrt(n_i)``) are winsorised at their 10th
and 90th percentiles, and ``phi = mean(z_w^2)``.

multiplicative
    limits ``target +- z_p sqrt(phi) s_i`` when ``phi > 1``;
additive (DerSimonian-Laird)
    ``tau^2 = (I phi - (I - 1)) / (sum w_i - sum w_i^2 / sum w_i)``, ``w_i = 1 / s_i^2``
    (0 when ``I phi <= I - 1``), limits ``target +- z_p sqrt(s_i^2 + tau^2)``;

for the ratio the limits are drawn on the square-root scale and squared back. With fewer than
``min_groups`` providers no overdispersion is estimated (and the table says so).

A provider is an **alert** outside its 95% limits and an **alarm** outside its 99.8% limits;
``status`` says which side. Units with no provider recorded (home sessions have no clinic) are
not providers and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..stats.result import Col

__all__ = ["Funnel", "funnel", "exact_limits", "overdispersion", "funnel_limits",
           "FUNNEL_COLUMNS", "FUNNEL_DIMENSIONS", "METHODS", "LEVELS", "INDICATORS"]

#: Control-limit levels: alert, alarm.
LEVELS = (0.95, 0.998)
#: Overdispersion methods.
METHODS = ("additive", "multiplicative", "none")
#: Dimensions of the funnel plots.
FUNNEL_DIMENSIONS = (Col.CLINIC_ID, Col.OPERATOR_ID, Col.DEVICE)
#: Indicators, with the unit counted.
INDICATORS = {"notable_per_session": "sessions", "final_improvement": "courses"}
IN_CONTROL = "in_control"

#: Columns of :attr:`Funnel.table`.
FUNNEL_COLUMNS = [
    "indicator", "unit", "dimension", "group", "n", "n_clusters", "events", "observed",
    "expected", "estimate", "target", "z", "lower_95", "upper_95", "lower_998", "upper_998",
    "overdispersion", "phi", "tau2", "status", "alert", "alarm",
]


def exact_limits(p: float, size, *, dist: str = "poisson", target: float = 1.0) -> np.ndarray:
    """Exact control limit at the ``p`` quantile, interpolated (Spiegelhalter 2005, appendix).

    Parameters
    ----------
    p : float
        Quantile (0.025 and 0.975 for the 95% limits, 0.001 and 0.999 for 99.8%).
    size : array-like of float
        ``poisson``: the expected count E (limits on O/E); ``binomial``: the number of units n
        (limits on the proportion O/n).
    dist : {"poisson", "binomial"}
    target : float
        The binomial proportion under control (ignored for ``poisson``).

    Returns
    -------
    ndarray
        ``(r_p - a) / size`` with ``r_p`` the smallest count whose distribution function
        ``F(r_p) >= p`` and ``a = (F(r_p) - p) / (F(r_p) - F(r_p - 1))``.

    Examples
    --------
    >>> exact_limits(0.975, [10.0]).round(4).tolist()  # Poisson, E = 10 (see tests/reference)
    [1.616]
    >>> exact_limits(0.025, [100], dist="binomial", target=0.1).round(4).tolist()
    [0.0404]
    """
    size = np.asarray(size, dtype=float)
    if dist == "poisson":
        d = stats.poisson(size)
    else:
        d = stats.binom(np.round(size).astype(np.int64), target)
    r = d.ppf(p)
    f_r, f_r1 = d.cdf(r), d.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(f_r > f_r1, (f_r - p) / (f_r - f_r1), 0.0)
        return np.maximum(r - a, 0.0) / size


def overdispersion(z, s, *, method: str = "additive", trim: float = 0.1) -> tuple[float, float]:
    """Overdispersion from z-scores: ``(phi, tau2)`` (Spiegelhalter 2005, section 4).

    Parameters
    ----------
    z : array-like of float
        Standardised differences of the providers from the target.
    s : array-like of float
        Their standard errors under control.
    method : {"additive", "multiplicative", "none"}
    trim : float
        Winsorising share each side (0.1: at the 10th and 90th percentiles).

    Returns
    -------
    (phi, tau2) : float, float
        ``phi`` the mean winsorised squared z-score (1 for ``none``); ``tau2`` the additive
        between-provider variance (0 unless ``additive``).

    Examples
    --------
    >>> phi, tau2 = overdispersion([-2.0, -1.0, 0.0, 1.0, 3.0], [0.1, 0.1, 0.2, 0.2, 0.1])
    >>> round(phi, 4), round(tau2, 5)
    (1.88, 0.02071)
    """
    z = np.asarray(z, dtype=float)
    s = np.asarray(s, dtype=float)
    if method == "none" or z.size == 0:
        return 1.0, 0.0
    lo, hi = np.quantile(z, [trim, 1 - trim])
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    if method == "multiplicative":
        return phi, 0.0
    k = z.size
    w = 1.0 / s ** 2
    denom = float(w.sum() - (w ** 2).sum() / w.sum())
    if k * phi <= k - 1 or denom <= 0:
        return phi, 0.0
    return phi, float((k * phi - (k - 1)) / denom)


def _widened(level: float, s, phi: float, tau2: float, method: str) -> np.ndarray | None:
    """Half-width of the overdispersed limits (None: not overdispersed, use the exact ones)."""
    zq = stats.norm.ppf(0.5 + level / 2)
    if method == "multiplicative" and phi > 1:
        return zq * np.sqrt(phi) * s
    if method == "additive" and tau2 > 0:
        return zq * np.sqrt(s ** 2 + tau2)
    return None


def funnel_limits(size, *, indicator: str, target: float, sd: float = float("nan"),
                  phi: float = 1.0, tau2: float = 0.0, method: str = "none") -> dict:
    """Lower and upper limits at both levels for providers of the given sizes.

    ``size`` is E for ``notable_per_session`` and n for ``final_improvement``. Returns a dict
    ``{"lower_95", "upper_95", "lower_998", "upper_998"}`` of arrays.

    Examples
    --------
    >>> lim = funnel_limits([10.0], indicator="notable_per_session", target=1.0)
    >>> round(float(lim["upper_998"][0]), 4)
    2.0662
    """
    size = np.asarray(size, dtype=float)
    out = {}
    for level, tag in zip(LEVELS, ("95", "998"), strict=True):
        if indicator == "notable_per_session":
            with np.errstate(divide="ignore"):
                s = 1.0 / (2.0 * np.sqrt(size))
            half = _widened(level, s, phi, tau2, method)
            if half is None:
                lo = exact_limits(0.5 - level / 2, size)
                hi = exact_limits(0.5 + level / 2, size)
            else:
                lo, hi = np.maximum(1.0 - half, 0.0) ** 2, (1.0 + half) ** 2
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                s = sd / np.sqrt(size)
            half = _widened(level, s, phi, tau2, method)
            if half is None:
                half = stats.norm.ppf(0.5 + level / 2) * s
            lo, hi = target - half, target + half
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    return out


@dataclass(frozen=True)
class Funnel:
    """Funnel-plot tables: one row per indicator, dimension and provider.

    Attributes
    ----------
    table : DataFrame
        Columns :data:`FUNNEL_COLUMNS`: ``indicator``, ``unit`` (sessions or courses),
        ``dimension``, ``group``, ``n`` (units), ``n_clusters`` (patients), ``events`` (sessions
        followed by a notable event; NA for courses), ``observed`` (events, or the mean final
        improvement), ``expected`` (E, or the mean expected from case mix), ``estimate`` (O/E, or
        the adjusted mean), ``target`` (1, or the overall mean), ``z`` (after any overdispersion
        correction), the four limits, ``overdispersion`` (method applied), ``phi``, ``tau2``,
        ``status`` (``alarm_high``, ``alert_high``, ``in_control``, ``alert_low``,
        ``alarm_low``, or ``not_applicable``), ``alert`` and ``alarm`` (outside the 95% /
        99.8% limits, either side).
    sd : dict of str to float
        Residual SD of the course model, by dimension (for drawing the limits of means).
    notes : str
        What was not computed, and why.
    """

    table: pd.DataFrame
    sd: dict = field(default_factory=dict)
    notes: str = ""

    @property
    def alarms(self) -> pd.DataFrame:
        """Providers outside their 99.8% limits."""
        return self.table[self.table["alarm"]].reset_index(drop=True)

    @property
    def alerts(self) -> pd.DataFrame:
        """Providers outside their 95% limits (the alarms included)."""
        return self.table[self.table["alert"]].reset_index(drop=True)

    def summary(self) -> str:
        """Plain text: alarms and alerts."""
        lines = ["Funnel plots (Spiegelhalter 2005): risk-adjusted, 95% and 99.8% limits"]
        if self.table.empty:
            return "\n".join([*lines, f"  {self.notes or 'no provider to compare'}"])
        a = self.alerts
        if a.empty:
            lines.append("  every provider lies within its 95% limits")
        for r in a.itertuples(index=False):
            lines.append(f"  {r.status.upper()} {r.dimension} {r.group} ({r.indicator}): "
                         f"{r.estimate:.3g}, limits {r.lower_998:.3g}-{r.upper_998:.3g} "
                         f"(99.8%), n = {r.n}")
        if self.notes:
            lines.append(f"  {self.notes}")
        return "\n".join(lines)

    def plot(self, ax=None, *, indicator: str = "notable_per_session",
             dimension: str = Col.CLINIC_ID):
        """The funnel plot of one indicator and dimension
        (:func:`outcomes.plots.audit.funnel_plot`)."""
        from ..plots.audit import funnel_plot

        return funnel_plot(self, ax=ax, indicator=indicator, dimension=dimension)


def _status(est, lim) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    est = np.asarray(est, dtype=float)
    with np.errstate(invalid="ignore"):
        hi2, lo2 = est > lim["upper_998"], est < lim["lower_998"]
        hi1, lo1 = est > lim["upper_95"], est < lim["lower_95"]
    status = np.select([hi2, lo2, hi1, lo1], ["alarm_high", "alarm_low", "alert_high",
                                               "alert_low"], IN_CONTROL).astype(object)
    status[np.isnan(est)] = "not_applicable"
    return status, hi1 | lo1, hi2 | lo2


def _rows(indicator, dim, names, n, clusters, obs, exp, target, size, z, s, *, events, sd,
          method, min_groups) -> pd.DataFrame:
    k = len(names)
    if k >= min_groups:
        phi, tau2 = overdispersion(z, s, method=method)
    else:
        phi, tau2 = 1.0, 0.0
        method = "none"
    lim = funnel_limits(size, indicator=indicator, target=target, sd=sd, phi=phi, tau2=tau2,
                        method=method)
    if indicator == "notable_per_session":
        with np.errstate(divide="ignore", invalid="ignore"):
            est = obs / exp
    else:
        est = target + obs - exp
    if _widened(0.95, s, phi, tau2, method) is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = z * s / (np.sqrt(phi) * s if method == "multiplicative"
                         else np.sqrt(s ** 2 + tau2))
    status, alert, alarm = _status(est, lim)
    applied = method if _widened(0.95, s, phi, tau2, method) is not None else "none"
    return pd.DataFrame({
        "indicator": indicator, "unit": INDICATORS[indicator], "dimension": dim,
        "group": names, "n": n.astype(np.int64), "n_clusters": clusters.astype(np.int64),
        "events": pd.array(events, dtype="Int64") if events is not None
        else pd.array([pd.NA] * k, dtype="Int64"),
        "observed": obs, "expected": exp, "estimate": est, "target": float(target), "z": z,
        **lim, "overdispersion": applied, "phi": phi, "tau2": tau2, "status": status,
        "alert": alert, "alarm": alarm,
    })


def _group(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(values.astype("str").where(values.notna()), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _clusters(g, patient, k) -> np.ndarray:
    ok = g >= 0
    pairs = np.unique(g[ok] * (int(patient.max(initial=0)) + 1) + patient[ok])
    return np.bincount(pairs // (int(patient.max(initial=0)) + 1), minlength=k)


def funnel(sessions: pd.DataFrame, y: np.ndarray, risk: np.ndarray, patient: np.ndarray, *,
           courses: pd.DataFrame | None = None, course_patient: np.ndarray | None = None,
           dimensions=FUNNEL_DIMENSIONS, method: str = "additive",
           min_groups: int = 10) -> Funnel:
    """Funnel-plot tables of notable events per session and final improvement per course.

    Parameters
    ----------
    sessions : DataFrame
        ``Courses.sessions``.
    y : array of bool
        A notable adverse event followed the session.
    risk : array of float
        The case-mix risk of each session (:func:`outcomes.audit.casemix.session_risk`).
    patient : array of int
        Patient code of each session (the clusters).
    courses : DataFrame, optional
        Courses with ``final_improvement``, the expected improvement (column ``expected``) and,
        per dimension, the course's provider (its most frequent one); None: no course rows.
    course_patient : array of int, optional
        Patient code of each row of ``courses``.
    dimensions : sequence of str
        Among :data:`FUNNEL_DIMENSIONS`; a dimension absent from the bundle is left out.
    method : {"additive", "multiplicative", "none"}
        Overdispersion correction.
    min_groups : int
        Fewest providers with which an overdispersion is estimated.

    Returns
    -------
    Funnel

    Examples
    --------
    >>> s = pd.DataFrame({"clinic_id": ["A"] * 50 + ["B"] * 50})
    >>> y = np.r_[np.zeros(45), np.ones(5), np.zeros(40), np.ones(10)].astype(bool)
    >>> f = funnel(s, y, np.full(100, 0.15), np.arange(100), dimensions=["clinic_id"])
    >>> f.table[["group", "events", "expected", "estimate", "status"]]
      group  events  expected  estimate      status
    0     A       5       7.5  0.666667  in_control
    1     B      10       7.5  1.333333  in_control
    """
    frames, sd_by, notes = [], {}, []
    for dim in dimensions:
        if dim not in sessions.columns or sessions[dim].isna().all():
            notes.append(f"no {dim} recorded: no funnel by {dim}")
            continue
        g, names = _group(sessions[dim])
        ok = g >= 0
        k = len(names)
        n = np.bincount(g[ok], minlength=k).astype(float)
        o = np.bincount(g[ok], weights=y[ok].astype(float), minlength=k)
        e = np.bincount(g[ok], weights=risk[ok], minlength=k)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = 2.0 * (np.sqrt(o) - np.sqrt(e))
            s = 1.0 / (2.0 * np.sqrt(e))
        frames.append(_rows("notable_per_session", dim, names, n, _clusters(g, patient, k), o,
                            e, 1.0, e, z, s, events=o.astype(np.int64), sd=np.nan,
                            method=method, min_groups=min_groups))
        if courses is None or dim not in courses.columns:
            continue
        c = courses[courses[dim].notna()]
        if c.empty:
            continue
        cg, cnames = _group(c[dim])
        value = c["final_improvement"].to_numpy(float)
        expected = c["expected"].to_numpy(float)
        target = float(np.mean(value))
        resid = value - expected
        dof = len(value) - 1
        sd = float(np.sqrt(np.sum((resid - resid.mean()) ** 2) / dof)) if dof > 0 else np.nan
        sd_by[dim] = sd
        kk = len(cnames)
        cn = np.bincount(cg, minlength=kk).astype(float)
        obs = np.bincount(cg, weights=value, minlength=kk) / cn
        exp = np.bincount(cg, weights=expected, minlength=kk) / cn - np.mean(expected) + target
        with np.errstate(divide="ignore", invalid="ignore"):
            s = sd / np.sqrt(cn)
            z = (target + obs - exp - target) / s
        cp = np.asarray(course_patient)[courses[dim].notna().to_numpy()]
        frames.append(_rows("final_improvement", dim, cnames, cn, _clusters(cg, cp, kk), obs,
                            exp, target, cn, z, s, events=None, sd=sd, method=method,
                            min_groups=min_groups))
    table = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame({c: pd.Series(dtype=object) for c in FUNNEL_COLUMNS}))
    return Funnel(table=table[FUNNEL_COLUMNS], sd=sd_by, notes="; ".join(notes))
