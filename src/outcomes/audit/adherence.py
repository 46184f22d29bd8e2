"""Adherence to the practice recommendations of the claims catalogue.

Practice recommendations are audited, never given a verdict (claims.md, "Practice
recommendations"): for each, the share of sessions or courses that follow it, overall, per clinic
and per operator, with the sessions that do not listed by session id. Nothing identifying is
listed: no patient id, no date; only the pseudonymous session, clinic and operator ids and the
reason.

How each catalogue ``check`` key is audited (parameters as declared in
:data:`outcomes.claims.registry.REGISTRY`; bounds are inclusive):

``spacing_within`` (unit: sessions)
    Sessions after the first of their course (of ``setting`` and ``condition`` when given) adhere
    when ``days[0] <= spacing_days <= days[1]``.
``course_sessions_and_spacing`` (unit: courses)
    Courses (of ``condition`` and ``setting`` when given) adhere when
    ``sessions[0] <= n_sessions <= sessions[1]`` and every spacing lies within ``days``. Every
    session of a course that does not adhere is listed, with the course's reasons.
``no_contraindicated_sessions`` (unit: sessions)
    Sessions adhere when their ``contraindications`` list names none of ``contraindications``
    (a blank list names none).

**Scope.** A recommendation applies to the sessions it speaks of. One that names no setting yields
to one of the same check that names a setting, for the sessions of that setting (home spacing
to home sessions, professional spacing to professional ones), unless the catalogue lists the two
as a conflict (``[[conflicts]]``): then the documents disagree about the same sessions, and a
session that follows the other rule is neither adherent nor non-adherent to this one. It is
counted in ``in_conflict`` (outside ``n``), with the conflict's id in ``conflict``, rather than
flagged for following one of two rules that disagree.

Courses, session numbers, spacing and contraindication flags are those of
:func:`outcomes.courses.build_courses`; nothing is re-defined here. Everything is vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._docs import FRAGMENTS, shared_doc
from ..bundle.log import SessionLog
from ..claims.catalogue import Catalogue, Recommendation, load_catalogue
from ..courses import Courses, flag_column
from ..errors import AnalysisError
from ..stats.intervals import proportion
from ..stats.result import Col, Result
from ..validators import number_text
from .signals import patient_codes

__all__ = [
    "Adherence",
    "adherence",
    "ADHERENCE_COLUMNS",
    "GROUP_COLUMNS",
    "NONADHERENT_COLUMNS",
    "TESTED",
    "NOT_TESTABLE",
]

TESTED, NOT_TESTABLE = "tested", "not_testable"

#: Columns of :attr:`Adherence.table`, in order.
ADHERENCE_COLUMNS = [
    "recommendation", "check", "unit", "statement", "parameters", "n", "adherent",
    "nonadherent", "estimate", "ci_low", "ci_high", "n_clusters", "method", "status", "reason",
    "in_conflict", "conflict",
]
#: Columns of the per-clinic and per-operator tables (after the group column), in order.
GROUP_COLUMNS = ["n", "adherent", "nonadherent", "estimate"]
#: Columns of :attr:`Adherence.nonadherent`, in order.
NONADHERENT_COLUMNS = ["recommendation", Col.SESSION_ID, Col.CLINIC_ID, Col.OPERATOR_ID, Col.REASON]

_S = Col.SESSION_ID
_C = Col.COURSE_ID


@dataclass(frozen=True)
class _Units:
    """Sessions a recommendation applies to (positions in ``courses.sessions``) and outcome."""

    rows: np.ndarray  # positions of the applicable sessions
    adherent: np.ndarray  # bool per applicable session
    reason: np.ndarray  # object per applicable session ("" when adherent)


def _mask_of(s: pd.DataFrame, column: str, value) -> np.ndarray:
    """Rows whose (categorical) ``column`` equals ``value``; missing values never do."""
    return (s[column] == value).to_numpy(dtype=bool, na_value=False)


def _texts(values: np.ndarray, make) -> np.ndarray:
    """``make(v)`` for every value, computed once per distinct value (few), as objects."""
    if len(values) == 0:
        return np.empty(0, dtype=object)
    uniques, inverse = np.unique(values, return_inverse=True)
    texts = np.array([make(v) for v in uniques], dtype=object)
    return texts[np.asarray(inverse).ravel()]


# ---------------------------------------------------------------------------- one per check key
def _spacing_within(courses: Courses, p) -> _Units:
    s = courses.sessions
    spacing = s[Col.SPACING_DAYS].to_numpy(dtype=float)
    mask = ~np.isnan(spacing)
    for column in (Col.SETTING, Col.CONDITION):
        if column in p:
            mask &= _mask_of(s, column, p[column])
    rows = np.flatnonzero(mask)
    low, high = p["days"]
    sp = spacing[rows]
    ok = (sp >= low) & (sp <= high)
    reason = np.full(len(rows), "", dtype=object)
    span = f"{number_text(low)}-{number_text(high)}"
    reason[~ok] = _texts(sp[~ok], lambda v: f"spacing {number_text(v)} days, outside {span}")
    return _Units(rows, ok, reason)


def _course_sessions_and_spacing(courses: Courses, p) -> _Units:
    s = courses.sessions
    c = courses.courses
    cmask = np.ones(len(c), dtype=bool)
    for column in (Col.CONDITION, Col.SETTING):
        if column in p:
            cmask &= _mask_of(c, column, p[column])
    lo_n, hi_n = p["sessions"]
    lo_d, hi_d = p["days"]
    n = c[Col.N_SESSIONS].to_numpy()
    count_ok = (n >= lo_n) & (n <= hi_n)
    spacing = s[Col.SPACING_DAYS].to_numpy(dtype=float)
    bad_gap = ~np.isnan(spacing) & ((spacing < lo_d) | (spacing > hi_d))
    course_of = s[_C].to_numpy()
    gaps_bad = np.bincount(course_of, weights=bad_gap, minlength=len(c)) > 0
    ok_course = count_ok & ~gaps_bad
    reason_course = np.full(len(c), "", dtype=object)
    gap_text = f"a spacing outside {number_text(lo_d)}-{number_text(hi_d)} days"
    bad = ~ok_course
    # one text per (number of sessions, count wrong, gap wrong) combination
    key = n[bad].astype(np.int64) * 4 + (~count_ok[bad]) * 2 + gaps_bad[bad]

    def text(k: int) -> str:
        parts = []
        if k & 2:
            parts.append(f"course of {k // 4} sessions, outside {lo_n}-{hi_n}")
        if k & 1:
            parts.append(gap_text)
        return "; ".join(parts)

    reason_course[bad] = _texts(key, text)
    rows = np.flatnonzero(cmask[course_of])
    per = course_of[rows]
    return _Units(rows, ok_course[per], reason_course[per])


def _no_contraindicated_sessions(courses: Courses, p) -> _Units:
    s = courses.sessions
    items = list(p["contraindications"])
    flags = s[[flag_column(i) for i in items]].to_numpy(dtype=bool)
    hit = flags.any(axis=1)
    rows = np.arange(len(s))
    reason = np.full(len(s), "", dtype=object)
    # the items listed among the recommendation's, one text per distinct combination (few)
    bits = flags[hit].astype(np.int64) @ (np.int64(1) << np.arange(len(items), dtype=np.int64))
    reason[hit] = _texts(bits, lambda b: "lists " + ", ".join(
        i for k, i in enumerate(items) if (int(b) >> k) & 1))
    return _Units(rows, ~hit, reason)


_EVALUATORS = {
    "spacing_within": _spacing_within,
    "course_sessions_and_spacing": _course_sessions_and_spacing,
    "no_contraindicated_sessions": _no_contraindicated_sessions,
}


# ---------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Adherence(Result):
    """Adherence to each practice recommendation, overall, per clinic and per operator.

    Attributes
    ----------
    table : DataFrame
        One row per recommendation, columns :data:`ADHERENCE_COLUMNS`: ``recommendation`` (id),
        ``check`` (catalogue check key), ``unit`` (``sessions`` or ``courses``), ``statement``,
        ``parameters`` (as text), ``n`` (units the recommendation applies to), ``adherent``,
        ``nonadherent``, ``estimate`` (share adherent), ``ci_low``, ``ci_high`` (95% Wilson
        interval with the effective n of clustering by patient), ``n_clusters`` (patients),
        ``method``, ``status`` (``tested`` or ``not_testable``) and ``reason`` (why not
        testable; empty otherwise).
    by_clinic, by_operator : DataFrame
        ``recommendation``, ``clinic_id`` (or ``operator_id``; NA for units with none recorded),
        ``n``, ``adherent``, ``nonadherent``, ``estimate`` (share adherent). For a course unit, a
        course counts once in every clinic (operator) that gave one of its sessions.
    nonadherent : DataFrame
        One row per session that does not follow a recommendation, columns
        :data:`NONADHERENT_COLUMNS`: ``recommendation``, ``session_id``, ``clinic_id``,
        ``operator_id``, ``reason``. Never a patient id or a date.
    """

    title: str = "Adherence to practice recommendations"
    notes: str = ("Share of the sessions (or courses) each recommendation applies to that "
                  "follow it; 95% Wilson intervals, effective n for clustering by patient.")
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def by_clinic(self) -> pd.DataFrame:
        """Adherence per clinic (see class notes)."""
        return self.extra["by_clinic"]

    @property
    def by_operator(self) -> pd.DataFrame:
        """Adherence per operator (see class notes)."""
        return self.extra["by_operator"]

    @property
    def nonadherent(self) -> pd.DataFrame:
        """Sessions not following a recommendation, by session id (see class notes)."""
        return self.extra["nonadherent"]

    def nonadherent_ids(self, recommendation: str) -> set[str]:
        """Session ids not following ``recommendation``."""
        n = self.nonadherent
        return set(n.loc[n["recommendation"] == recommendation, Col.SESSION_ID].astype(str))

    def summary(self) -> str:
        """Plain text: one line per recommendation with its share and interval."""
        lines = [self.title]
        for r in self.table.itertuples(index=False):
            if r.status != TESTED:
                lines.append(f"  {r.recommendation}: not testable ({r.reason})")
            elif r.n == 0:
                lines.append(f"  {r.recommendation}: no {r.unit} it applies to")
            else:
                lines.append(
                    f"  {r.recommendation}: {r.estimate:.1%} of {r.n} {r.unit} adhere "
                    f"(95% CI {r.ci_low:.1%}-{r.ci_high:.1%}); {r.nonadherent} do not")
        return "\n".join(lines)

    @shared_doc(**FRAGMENTS)
    def plot(self, ax=None):
        """Horizontal bars of the share adherent per recommendation, with intervals.

        {plot_ax}
        """
        from ..plots.style import PALETTE, axes, error_bars, not_enough_data

        ax = axes(ax)
        t = self.table[(self.table["status"] == TESTED) & (self.table["n"] > 0)]
        t = t[t["estimate"].notna()]
        if t.empty:
            return not_enough_data(ax, "no recommendation could be tested on these data")
        y = np.arange(len(t))
        est = t["estimate"].to_numpy(float)
        ax.barh(y, est, color=PALETTE["blue"], alpha=0.8)
        ax.errorbar(est, y, xerr=error_bars(est, t["ci_low"], t["ci_high"]),
                    fmt="none", ecolor=PALETTE["black"], capsize=3)
        ax.set_yticks(y, t["recommendation"].tolist())
        ax.set_xlim(0, 1)
        ax.set_xlabel("share adherent")
        ax.invert_yaxis()
        return ax


def _scopes(catalogue: Catalogue) -> tuple[dict[str, set], dict[str, list]]:
    """Per recommendation: the settings it yields to a more specific rule of the same check,
    and the rules in a declared conflict with it (their id and the conflict's)."""
    recs = catalogue.recommendations
    pairs = {}
    for conflict in catalogue.conflicts:
        ids = [e for e in conflict.entries if isinstance(e, str)]
        for a in ids:
            for b in ids:
                if a != b:
                    pairs[(a, b)] = conflict.id
    excluded: dict[str, set] = {r.id: set() for r in recs}
    rivals: dict[str, list] = {r.id: [] for r in recs}
    for a in recs:
        for b in recs:
            if a.id == b.id or a.check != b.check or a.unit != b.unit:
                continue
            if (a.id, b.id) in pairs:
                rivals[a.id].append((b, pairs[(a.id, b.id)]))
            elif Col.SETTING not in a.parameters and Col.SETTING in b.parameters:
                excluded[a.id].add(b.parameters[Col.SETTING])
    return excluded, rivals


def _in_scope(courses: Courses, u: _Units, excluded: set) -> _Units:
    if not excluded or not len(u.rows):
        return u
    # on the categorical itself: its codes are compared, no text is made per session
    yields = courses.sessions[Col.SETTING].isin(list(excluded)).to_numpy(dtype=bool)
    keep = ~yields[u.rows]
    return _Units(u.rows[keep], u.adherent[keep], u.reason[keep])


def _missing_needs(rec: Recommendation, log: SessionLog | None) -> list[str]:
    if log is None:
        return []
    missing = []
    for need in rec.needs:
        table, _, column = need.partition(".")
        if table in log.missing_tables or (column and not log.has_column(table, column)):
            missing.append(need)
    return missing


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Integer code per row (-1: missing) and the sorted distinct values."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64), pd.Series(uniques)


def _group_table(rec: str, group: str, codes: np.ndarray, names: pd.Series, adherent: np.ndarray,
                 course: np.ndarray | None) -> pd.DataFrame:
    """Adherence of one recommendation per group (code -1: no value recorded -> NA).

    With ``course`` given (course unit), a course counts once per group it has sessions in.
    """
    k = len(names)
    g = np.where(codes < 0, k, codes)
    y = adherent.astype(float)
    if course is not None:
        pair, first = np.unique(course * (k + 1) + g, return_index=True)
        g, y = pair % (k + 1), y[first]
    n = np.bincount(g, minlength=k + 1)
    yes = np.bincount(g, weights=y, minlength=k + 1).round().astype(np.int64)
    keep = n > 0
    labels = pd.concat([names, pd.Series([pd.NA], dtype=names.dtype if len(names) else object)],
                       ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "recommendation": rec,
            group: labels[keep].reset_index(drop=True),
            "n": n[keep],
            "adherent": yes[keep],
            "nonadherent": (n - yes)[keep],
            "estimate": (yes / n)[keep],
        })
    return out


@shared_doc(**FRAGMENTS)
def adherence(
    courses: Courses,
    *,
    catalogue: Catalogue | None = None,
    log: SessionLog | None = None,
) -> Adherence:
    """Audit the practice recommendations of a catalogue on a bundle's courses.

    Parameters
    ----------
    {courses_of_log}
    catalogue : Catalogue, optional
        The catalogue whose ``recommendations`` are audited (default: the built-in one).
    log : SessionLog, optional
        The bundle ``courses`` were built from; when given, a recommendation needing a table or
        column the input did not have is ``not_testable`` rather than audited on blanks.

    Returns
    -------
    Adherence
        ``table`` (overall), ``by_clinic``, ``by_operator`` and ``nonadherent`` (session ids);
        see :class:`Adherence`.

    Raises
    ------
    ValueError
        If a recommendation names a check key this module does not implement (the catalogue
        only accepts known keys, so this is a package bug).

    Notes
    -----
    A recommendation's share is ``adherent / n`` over the units it applies to (see the module
    notes for each check key); its interval is Wilson's with the effective sample size of
    clustering by patient (:func:`outcomes.stats.intervals.proportion`).

    Examples
    --------
    >>> from outcomes import adherence, build_courses, load_sample
    >>> result = adherence(build_courses(load_sample()))
    >>> result.table[["recommendation", "n", "estimate", "in_conflict"]].round(3).head(3)
                       recommendation    n  estimate  in_conflict
    0              spacing-15-30-days  628     0.944          195
    1  spacing-professional-4-6-weeks  479     0.927          344
    2          spacing-home-1-2-weeks  389     0.781            0
    """
    catalogue = load_catalogue() if catalogue is None else catalogue
    s = courses.sessions
    course_of = s[_C].to_numpy().astype(np.int64)
    patient = patient_codes(courses)[course_of]
    groups = {column: _codes(s[column]) for column in (Col.CLINIC_ID, Col.OPERATOR_ID)}
    rows, by_group, bad = [], {column: [] for column in groups}, []
    excluded, rivals = _scopes(catalogue)
    for rec in catalogue.recommendations:
        if rec.check not in _EVALUATORS:
            raise ValueError(f"Recommendation {rec.id!r}: check key {rec.check!r} is not "
                             f"implemented; known keys: {', '.join(_EVALUATORS)}.")
        row = {"recommendation": rec.id, "check": rec.check, "unit": rec.unit,
               "statement": rec.statement, "parameters": rec.parameters.to_text(),
               "n": 0, "adherent": 0, "nonadherent": 0, "estimate": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "n_clusters": 0, "method": "",
               "status": TESTED, "reason": "", "in_conflict": 0, "conflict": ""}
        missing = _missing_needs(rec, log)
        if missing:
            row.update(status=NOT_TESTABLE, reason="the bundle has no " + ", ".join(missing))
            rows.append(row)
            continue
        u = _in_scope(courses, _EVALUATORS[rec.check](courses, rec.parameters),
                      excluded[rec.id])
        if rivals[rec.id] and rec.unit == "sessions" and len(u.rows):
            # a session following a rule that disagrees with this one is not held against it
            follows_other = np.zeros(len(s), dtype=bool)
            for other, _ in rivals[rec.id]:
                v = _in_scope(courses, _EVALUATORS[other.check](courses, other.parameters),
                              excluded[other.id])
                follows_other[v.rows[v.adherent]] = True
            torn = ~u.adherent & follows_other[u.rows]
            names = sorted({o.id for o, _ in rivals[rec.id]})
            row.update(in_conflict=int(torn.sum()),
                       conflict=", ".join(sorted({c for _, c in rivals[rec.id]})),
                       reason="sessions following " + ", ".join(names) + " instead are "
                              "counted in in_conflict, not as non-adherent")
            u = _Units(u.rows[~torn], u.adherent[~torn], u.reason[~torn])
        course_unit = rec.unit == "courses"
        if course_unit:  # one unit per course
            _, first = np.unique(course_of[u.rows], return_index=True)
            y, cluster = u.adherent[first], patient[u.rows][first]
        else:
            y, cluster = u.adherent, patient[u.rows]
        row["n"] = int(len(y))
        row["adherent"] = int(np.sum(y))
        row["nonadherent"] = row["n"] - row["adherent"]
        if len(y):
            row["estimate"] = row["adherent"] / row["n"]
            try:
                est = proportion(np.asarray(y, dtype=float), cluster=cluster,
                                 unit_label=rec.unit)
            except AnalysisError as exc:  # e.g. every unit from one patient
                row["n_clusters"] = int(np.unique(cluster).size)
                row["method"] = f"no interval: {exc}"
            else:
                row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high,
                           n_clusters=int(est.n_clusters), method=est.method)
        else:  # audited, on nothing: say so rather than leave a blank share
            row["method"] = (f"no {rec.unit} in these data that the recommendation applies to "
                             f"({rec.parameters.to_text()})")
        rows.append(row)
        for column, (codes, names) in groups.items():
            by_group[column].append(_group_table(
                rec.id, column, codes[u.rows], names, u.adherent,
                course_of[u.rows] if course_unit else None))
        bad.append((rec.id, u.rows[~u.adherent], u.reason[~u.adherent]))
    table = pd.DataFrame(rows, columns=ADHERENCE_COLUMNS)

    def stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        return (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame(columns=columns))

    extra = {
        "by_clinic": stack(by_group[Col.CLINIC_ID],
                           ["recommendation", Col.CLINIC_ID, *GROUP_COLUMNS]),
        "by_operator": stack(by_group[Col.OPERATOR_ID],
                             ["recommendation", Col.OPERATOR_ID, *GROUP_COLUMNS]),
        "nonadherent": _nonadherent(s, bad),
    }
    return Adherence(table=table, extra=extra)


def _nonadherent(s: pd.DataFrame, bad: list[tuple[str, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """The sessions not following each recommendation (its id, their positions in ``s`` and
    reasons), one row each: taken from ``s`` in one go, so that the id columns keep their
    categories without a concatenation matching them (which hashes every session id)."""
    bad = [b for b in bad if len(b[1])]
    if not bad:
        return pd.DataFrame(columns=NONADHERENT_COLUMNS)
    off = np.concatenate([rows for _, rows, _ in bad])

    def taken(column: str) -> pd.Series:
        return s[column].iloc[off].reset_index(drop=True)

    return pd.DataFrame({
        "recommendation": pd.Series(np.repeat(np.array([r for r, _, _ in bad], dtype=object),
                                              [len(rows) for _, rows, _ in bad]), dtype="str"),
        Col.SESSION_ID: taken(Col.SESSION_ID),
        Col.CLINIC_ID: taken(Col.CLINIC_ID),
        Col.OPERATOR_ID: taken(Col.OPERATOR_ID),
        Col.REASON: pd.Series(np.concatenate([why for _, _, why in bad]), dtype="str"),
    })
