"""Safety signals: notable adverse-event rates per clinic, operator, device and needle depth.

A **notable adverse event** is any event of severity moderate or severe, or any ``pih``,
``hypopigmentation``, ``infection`` or ``scarring`` event (claims.md; the ``notable`` column of
:attr:`outcomes.courses.Courses.events`, never re-defined here). Two rates are reported for every
group of every dimension:

per session
    the share of the group's sessions followed by at least one notable event;
per course
    the share of courses treated in the group (a course counts once in each group that gave one
    of its sessions) with a notable event after one of those sessions.

Each rate comes with a 95% Wilson interval using the effective n of clustering by patient
(:func:`outcomes.stats.intervals.proportion`). A group is **above the ceiling** when its whole
interval lies above the configured ceiling of its unit (``ci_low > ceiling``), and **above the
overall rate** when its whole interval lies above the rate of all units (``ci_low > overall``).

Everything is vectorised but the interval call per group (a few hundred groups at most).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..courses import NO_EVENTS_TABLE, Courses, ids_in
from ..stats.result import Col, Result
from ..stats.rows import GroupedShares

__all__ = [
    "Signals",
    "safety_signals",
    "depth_bands",
    "SIGNAL_COLUMNS",
    "DIMENSIONS",
    "DEPTH_BAND",
    "ALL",
    "NOT_RECORDED",
    "DEFAULT_DEPTH_EDGES",
    "patient_codes",
]

#: Name of the derived needle-depth band dimension.
DEPTH_BAND = "depth_band"
#: Dimensions signals are computed for, in report order.
DIMENSIONS = (Col.CLINIC_ID, Col.OPERATOR_ID, Col.DEVICE, DEPTH_BAND)
#: Label of the row giving the overall rate.
ALL = "all"
#: Label of the group of units with no value recorded for the dimension.
NOT_RECORDED = "(not recorded)"
#: Default needle-depth band edges in mm (the last band includes its upper edge).
DEFAULT_DEPTH_EDGES = (0.1, 0.5, 1.0, 1.5, 2.0, 3.0)
SESSIONS_UNIT, COURSES_UNIT = "sessions", "courses"

#: Columns of :attr:`Signals.table`, in order.
SIGNAL_COLUMNS = [
    "unit", "dimension", "group", "n", "events", "estimate", "ci_low", "ci_high", "n_clusters",
    "method", "overall", "ceiling", "above_overall", "above_ceiling",
]


def depth_bands(depth, edges=DEFAULT_DEPTH_EDGES) -> pd.Series:
    """Needle-depth band labels, e.g. ``"0.5-1 mm"``; NA where the depth is unknown.

    Parameters
    ----------
    depth : array-like of float
        Needle depth in mm.
    edges : sequence of float
        Increasing band edges; bands are ``[e_i, e_i+1)`` except the last, which includes its
        upper edge. Depths outside all bands get NA.

    Returns
    -------
    Series of str

    Examples
    --------
    >>> depth_bands([0.25, 1.0, 3.0, None], (0.1, 0.5, 1.0, 3.0)).tolist()
    ['0.1-0.5 mm', '1-3 mm', '1-3 mm', nan]
    """
    d = np.asarray(pd.Series(depth, dtype="float64").to_numpy(), dtype=float)
    e = np.asarray(edges, dtype=float)
    idx = np.searchsorted(e, d, side="right") - 1
    idx[d == e[-1]] = len(e) - 2
    ok = ~np.isnan(d) & (idx >= 0) & (idx <= len(e) - 2)
    labels = np.array([f"{e[i]:g}-{e[i + 1]:g} mm" for i in range(len(e) - 1)], dtype=object)
    out = np.full(len(d), np.nan, dtype=object)
    out[ok] = labels[idx[ok]]
    return pd.Series(out, dtype="str")


@dataclass(frozen=True)
class Signals(Result):
    """Notable adverse-event rates per group against the overall rate and a ceiling.

    Attributes
    ----------
    table : DataFrame
        One row per unit, dimension and group; columns :data:`SIGNAL_COLUMNS`: ``unit``
        (``sessions`` or ``courses``), ``dimension`` (``all``, ``clinic_id``, ``operator_id``,
        ``device``, ``depth_band``), ``group`` (its value; ``"(not recorded)"`` for units with
        none), ``n`` (units), ``events`` (units with a notable event), ``estimate`` (share),
        ``ci_low``, ``ci_high`` (95% Wilson, effective n for clustering by patient; NaN when no
        interval can be computed, ``method`` says why), ``n_clusters`` (patients), ``method``,
        ``overall`` (share over all units), ``ceiling``, ``above_overall`` (``ci_low >
        overall``) and ``above_ceiling`` (``ci_low > ceiling``).
    """

    title: str = "Safety signals: notable adverse-event rates"
    notes: str = ("Notable: moderate or severe, or any PIH, hypopigmentation, infection or "
                  "scarring. Flagged when the whole 95% interval lies above the ceiling.")
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def flagged(self) -> pd.DataFrame:
        """Rows whose interval lies entirely above the ceiling."""
        return self.table[self.table["above_ceiling"]].reset_index(drop=True)

    def flagged_groups(self, dimension: str = Col.CLINIC_ID) -> list[str]:
        """Groups of ``dimension`` above the ceiling for sessions or courses, sorted."""
        f = self.flagged
        return sorted(set(f.loc[f["dimension"] == dimension, "group"].astype(str)))

    def above_overall_groups(self, dimension: str = Col.CLINIC_ID) -> list[str]:
        """Groups of ``dimension`` whose interval lies above the overall rate, sorted."""
        t = self.table
        m = (t["dimension"] == dimension) & t["above_overall"]
        return sorted(set(t.loc[m, "group"].astype(str)))

    def summary(self) -> str:
        """Plain text: the overall rates, then the flagged groups."""
        t = self.table
        lines = [self.title]
        if t.empty:
            return "\n".join([*lines, f"  {self.notes}"])
        for r in t[t["dimension"] == ALL].itertuples(index=False):
            lines.append(f"  per {r.unit[:-1]}: {r.estimate:.2%} of {r.n} (95% CI "
                         f"{r.ci_low:.2%}-{r.ci_high:.2%}), ceiling {r.ceiling:.2%}")
        f = self.flagged
        if not len(f):
            lines.append("  no group lies entirely above its ceiling")
        for r in f.itertuples(index=False):
            lines.append(f"  FLAGGED {r.dimension} {r.group} (per {r.unit[:-1]}): "
                         f"{r.estimate:.2%}, 95% CI {r.ci_low:.2%}-{r.ci_high:.2%} > "
                         f"ceiling {r.ceiling:.2%}")
        return "\n".join(lines)

    def plot(self, ax=None, *, unit: str = SESSIONS_UNIT, dimension: str = Col.CLINIC_ID):
        """Rates with intervals per group of one dimension, the ceiling and overall rate drawn.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        unit : {"sessions", "courses"}
        dimension : str
            One of :data:`DIMENSIONS`.

        Returns
        -------
        matplotlib Axes
        """
        from ..plots.style import PALETTE, axes, error_bars, not_enough_data

        ax = axes(ax)
        t = self.table[(self.table["unit"] == unit) & (self.table["dimension"] == dimension)]
        t = t[t["estimate"].notna()]
        if t.empty:
            return not_enough_data(ax, f"no {dimension.removesuffix('_id')} with a rate of "
                                       f"notable adverse events per {unit.removesuffix('s')}")
        y = np.arange(len(t))
        est = t["estimate"].to_numpy(float)
        colours = np.where(t["above_ceiling"], PALETTE["vermillion"], PALETTE["blue"])
        ax.errorbar(est, y, xerr=error_bars(est, t["ci_low"], t["ci_high"]), fmt="none",
                    ecolor=PALETTE["black"], capsize=3)
        ax.scatter(est, y, c=colours, zorder=3)
        if len(t):
            ax.axvline(t["ceiling"].iloc[0], color=PALETTE["vermillion"], ls="--",
                       label="ceiling")
            ax.axvline(t["overall"].iloc[0], color=PALETTE["black"], ls=":", label="overall")
            ax.legend()
        ax.set_yticks(y, t["group"].astype(str).tolist())
        ax.set_xlabel(f"share of {unit} with a notable adverse event")
        ax.invert_yaxis()
        return ax


def _grouped_rates(groups: np.ndarray, y: np.ndarray, patient: np.ndarray, n_groups: int,
                   unit: str, alpha: float) -> pd.DataFrame:
    """Share of ``y`` per group with its patient-clustered Wilson interval, all groups at once.

    :class:`outcomes.stats.rows.GroupedShares` (the estimator of
    :func:`outcomes.stats.intervals.proportion`, vectorised over groups), with the events counted.
    """
    rows = GroupedShares(groups, n_groups, patient).rows(y.astype(float), alpha, unit)
    columns = [Col.N, Col.ESTIMATE, Col.CI_LOW, Col.CI_HIGH, Col.N_PATIENTS, Col.METHOD]
    table = pd.DataFrame(rows, columns=columns).rename(columns={Col.N_PATIENTS: "n_clusters"})
    table.insert(1, "events", np.bincount(groups, weights=y, minlength=n_groups).astype(np.int64))
    return table


@shared_doc(**FRAGMENTS)
def safety_signals(
    courses: Courses,
    *,
    ceilings: dict[str, float] | None = None,
    depth_edges=DEFAULT_DEPTH_EDGES,
    dimensions=DIMENSIONS,
    alpha: float = 0.05,
    min_units: int = 10,
) -> Signals:
    """Notable adverse-event rates per session and per course, by group, with intervals.

    Parameters
    ----------
    {courses_of_log}
    ceilings : dict, optional
        Ceiling of the rate per unit, ``{"sessions": float, "courses": float}`` (shares).
        Default ``{"sessions": 0.20, "courses": 0.60}``.
    depth_edges : sequence of float
        Needle-depth band edges in mm (see :func:`depth_bands`).
    dimensions : sequence of str
        Dimensions to report, among :data:`DIMENSIONS`.
    alpha : float
        One minus the confidence level of the intervals.
    min_units : int
        A group with fewer units is reported but never flagged (its interval says little).

    Returns
    -------
    Signals
        See :class:`Signals` for the columns of its table.

    Notes
    -----
    For group g of a dimension, the per-session rate is ``sum(y_i) / n_g`` over its sessions i
    (``y_i`` = 1 when a notable event followed session i); the per-course rate is the share of
    (course, g) pairs with a notable event after a session of that course in g. Intervals are
    those of :func:`outcomes.stats.intervals.proportion`: Wilson with ``n_eff = n / deff``, deff the
    cluster-robust (CR1) design effect of clustering by patient, computed for all groups at once.

    Examples
    --------
    >>> from outcomes import build_courses, load_sample
    >>> signals = safety_signals(build_courses(load_sample()))
    >>> signals.flagged_groups("clinic_id")  # the sample's clinic C05 has more notable events
    ['C05']
    """
    ceilings = {SESSIONS_UNIT: 0.20, COURSES_UNIT: 0.60, **(ceilings or {})}
    if not courses.events_recorded:  # a rate of zero would be a guess: no rate, and why
        return Signals(table=pd.DataFrame(columns=SIGNAL_COLUMNS).astype(
            {"n": "int64", "events": "int64", "estimate": "float64", "ci_low": "float64",
             "ci_high": "float64", "n_clusters": "int64", "overall": "float64",
             "ceiling": "float64", "above_overall": "bool", "above_ceiling": "bool"}),
            notes=f"No safety signal can be computed: {NO_EVENTS_TABLE}.")
    s = courses.sessions
    ev = courses.events
    notable_ids = ev.loc[ev[Col.NOTABLE].to_numpy(dtype=bool), Col.SESSION_ID]
    y = _isin(s[Col.SESSION_ID], notable_ids)
    course = s[Col.COURSE_ID].to_numpy().astype(np.int64)
    patient = patient_codes(courses)[course]
    n_courses = int(course.max(initial=-1)) + 1

    def labels(dim: str) -> tuple[np.ndarray, list[str]]:
        if dim == ALL:
            return np.zeros(len(s), dtype=np.int64), [ALL]
        values = (depth_bands(s[Col.NEEDLE_DEPTH_MM], depth_edges) if dim == DEPTH_BAND
                  else s[dim])
        codes, uniques = pd.factorize(values, sort=True)
        names = [str(u) for u in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(names), codes)
            names.append(NOT_RECORDED)
        return codes.astype(np.int64), names

    frames = []
    course_patient = np.zeros(max(n_courses, 0), dtype=np.int64)
    course_patient[course] = patient
    for dim in (ALL, *dimensions):
        g, names = labels(dim)
        k = len(names)
        for unit in (SESSIONS_UNIT, COURSES_UNIT):
            if unit == SESSIONS_UNIT:
                gg, yy, pp = g, y, patient
            else:  # one unit per (course, group) pair: notable after any of its sessions there
                codes, pairs = pd.factorize(course * k + g)
                pairs = np.asarray(pairs)
                gg = pairs % k
                yy = np.bincount(codes, weights=y, minlength=len(pairs)) > 0
                pp = course_patient[pairs // k]
            rates = _grouped_rates(gg, yy, pp, k, unit, alpha)
            rates.insert(0, "group", names)
            rates.insert(0, "dimension", dim)
            rates.insert(0, "unit", unit)
            frames.append(rates)
    table = pd.concat(frames, ignore_index=True)
    order = {SESSIONS_UNIT: 0, COURSES_UNIT: 1}
    table = table.sort_values("unit", key=lambda u: u.map(order), kind="stable")
    table = table[table["n"] > 0].reset_index(drop=True)
    overall = table[table["dimension"] == ALL].set_index("unit")["estimate"]
    table["overall"] = table["unit"].map(overall).astype(float)
    table["ceiling"] = table["unit"].map(ceilings).astype(float)
    low = table["ci_low"].to_numpy(dtype=float)
    grouped = (table["dimension"] != ALL).to_numpy()
    big = (table["n"] >= min_units).to_numpy()
    with np.errstate(invalid="ignore"):
        table["above_overall"] = grouped & big & (low > table["overall"].to_numpy(dtype=float))
        table["above_ceiling"] = big & (low > table["ceiling"].to_numpy(dtype=float))
    return Signals(table=table[SIGNAL_COLUMNS])


def patient_codes(courses: Courses) -> np.ndarray:
    """Integer code of the patient of each course, indexed by ``course_id`` (patients are
    factorised once per course, not once per session)."""
    c = courses.courses
    ids = c[Col.COURSE_ID].to_numpy().astype(np.int64)
    out = np.zeros(int(ids.max(initial=-1)) + 1, dtype=np.int64)
    out[ids] = pd.factorize(c[Col.PATIENT_ID])[0]
    return out


def _isin(values: pd.Series, candidates: pd.Series) -> np.ndarray:
    """``values.isin(candidates)`` for id columns (:func:`outcomes.courses.ids_in`)."""
    return ids_in(values, candidates)
