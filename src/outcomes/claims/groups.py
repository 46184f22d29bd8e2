"""The two groups of a comparative claim: which units are exposed, which are the reference,
and why the others are in neither (the rules of :mod:`outcomes.claims.registry`, "Groups")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..courses import Courses, flag_column
from ..stats.intervals import Clusters
from ..stats.result import Col

__all__ = ["Groups", "Short", "counts", "course_exposure", "session_exposure", "session_reasons",
           "labels", "group_words"]


@dataclass(frozen=True)
class Short:
    """A count a verdict needs at least so many of: how many there are, what they are, and the
    catalogue field that sets the least (``min_group_patients`` or ``min_events``)."""

    count: int | float
    what: str
    field: str


def counts(reasons) -> dict[str, int]:
    """Reasons (``""`` for none) counted, most frequent first."""
    r = pd.Series(np.asarray(reasons, dtype=object))
    r = r[r.notna() & (r != "")]
    return {str(k): int(v) for k, v in r.value_counts().items()}


def session_exposure(sessions: pd.DataFrame, params) -> pd.Series:
    """1 exposed, 0 reference, NA neither, per session (registry.py, "Groups")."""
    column = params["column"]
    exposed, reference = list(params["exposed"]), params.get("reference")
    if column == Col.CONTRAINDICATIONS:
        flags = sessions[[flag_column(x) for x in exposed]].to_numpy().any(axis=1)
        is_exp = pd.Series(flags, index=sessions.index)
        if reference is None:
            is_ref = ~is_exp
        else:
            is_ref = pd.Series(sessions[[flag_column(x) for x in reference]].to_numpy().any(axis=1),
                               index=sessions.index) & ~is_exp
    else:
        values = sessions[column]
        is_exp = _among(values, exposed)
        if reference is None:
            is_ref = ~is_exp & values.notna().to_numpy()
        else:
            is_ref = _among(values, list(reference)) & ~is_exp
    out = pd.Series(pd.NA, index=sessions.index, dtype="Int8")
    out[np.asarray(is_ref)] = 0
    out[np.asarray(is_exp)] = 1
    return out


def _among(values: pd.Series, labels: list) -> np.ndarray:
    """Per row, whether its value is one of ``labels`` (a categorical by its codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        wanted = values.cat.categories.get_indexer(pd.Index(labels, dtype=object))
        return np.isin(values.cat.codes.to_numpy(), wanted[wanted >= 0])
    return values.astype("object").isin(labels).to_numpy()


def session_reasons(sessions: pd.DataFrame, exposure: pd.Series, params) -> pd.Categorical:
    """Why each session is in neither group (``""`` when it is in one), as codes of the three
    texts (no Python string per session)."""
    column = params["column"]
    recorded = sessions[column].notna().to_numpy()
    why = np.where(recorded, 1, 2)
    codes = np.where(exposure.isna().to_numpy(), why, 0)
    return pd.Categorical.from_codes(codes, categories=pd.Index(
        ["", f"{column} in neither group", f"{column} not recorded"], dtype=object))


def course_exposure(courses: Courses, params) -> tuple[pd.Series, pd.Series]:
    """Per course (indexed by course_id): 1 exposed, 0 reference or NA; and why NA.

    For ``contraindications`` a course is exposed when any session is (registry.py, "Groups");
    for a vocabulary column a course with sessions in both groups is in neither (``mixed
    <column>``)."""
    s = courses.sessions
    e = session_exposure(s, params).to_numpy(dtype=float, na_value=np.nan)
    course = s[Col.COURSE_ID].to_numpy()
    known = s[params["column"]].notna().to_numpy()
    if np.any(course[1:] < course[:-1]):  # sessions are in course order (build_courses)
        order = np.argsort(course, kind="stable")
        course, e, known = course[order], e[order], known[order]
    starts = np.flatnonzero(np.diff(course, prepend=course[:1] - 1) != 0)
    index = pd.Index(course[starts], name=Col.COURSE_ID)
    low = np.fmin.reduceat(e, starts) if len(e) else e  # NaN: no session in a group
    high = np.fmax.reduceat(e, starts) if len(e) else e
    known = np.logical_or.reduceat(known, starts) if len(e) else known
    why = pd.Series(np.where(known, f"{params['column']} in neither group",
                             f"{params['column']} not recorded"), index=index, dtype=object)
    high = pd.Series(high, index=index).astype("Int8")
    if params["column"] == Col.CONTRAINDICATIONS:
        value = high
    else:
        # sessions in both groups; a course with none in either (NaN) is not mixed: it is
        # in neither group, or its column is not recorded
        mixed = ~np.isnan(low) & (low != high.to_numpy(dtype=float, na_value=np.nan))
        value = high.mask(mixed)
        why[mixed] = f"mixed {params['column']}"
    why[value.notna().to_numpy()] = ""
    return value, why


def labels(params) -> tuple[str, str]:
    exposed = "/".join(map(str, params["exposed"]))
    reference = params.get("reference")
    return exposed, ("/".join(map(str, reference)) if reference else "the rest")


def group_words(params) -> tuple[str, str]:
    """The groups as a reason names them: ``flagged``/``unflagged`` for contraindications."""
    if params.get("reference") is None:
        if params["column"] == Col.CONTRAINDICATIONS:
            return "flagged", "unflagged"
        return labels(params)[0], "other"
    return labels(params)


@dataclass(frozen=True)
class Groups:
    """The units of a comparison in the exposed (1) or reference (0) group, with their labels."""

    units: pd.DataFrame
    group: np.ndarray
    exposed: str
    reference: str
    words: tuple[str, str]
    left_out: dict

    @classmethod
    def of(cls, units: pd.DataFrame, exposure: pd.Series, why, params) -> Groups:
        """Keep the ``units`` whose ``exposure`` (1, 0 or NA, aligned with them) is not NA; count
        the others by ``why`` (aligned too)."""
        group = exposure.to_numpy()
        keep = ~pd.isna(group)
        left = counts(np.asarray(why[~keep], dtype=object))
        kept = units if keep.all() else units[keep]  # no copy of a frame kept whole
        return cls(kept, group[keep].astype(int), *labels(params), group_words(params), left)

    def empty(self, what: str) -> str:
        """Why there is nothing to compare (a group without units), or empty."""
        n_exposed, n_reference = int((self.group == 1).sum()), int((self.group == 0).sum())
        if n_exposed and n_reference:
            return ""
        return (f"no {what} in one of the groups ({self.exposed}: {n_exposed}, "
                f"{self.reference}: {n_reference})")

    def patients(self, cluster=None) -> tuple[Short, ...]:
        """The patients of each group, as counts a verdict needs at least so many of (counted
        from ``cluster``, the units' patients coded, when it is given)."""
        if isinstance(cluster, Clusters):
            def count(g):
                return int(np.count_nonzero(np.bincount(cluster.codes[self.group == g],
                                                        minlength=cluster.count)))
        else:
            ids = pd.factorize(self.units[Col.PATIENT_ID])[0]  # codes: no Python string per unit

            def count(g):
                return int(pd.unique(ids[self.group == g]).size)
        return tuple(Short(count(g), f"{word} patients", "min_group_patients")
                     for g, word in ((1, self.words[0]), (0, self.words[1])))
