"""Comparative claims: the crude estimate, the adjusted one, and the one at equal sessions.

Four claims compare two groups of a clinic's own patients (professional against home courses,
flagged drinkers against the rest, darker against lighter skin, sessions with blood thinners
against the rest). The groups differ before treatment — in condition, baseline severity,
Fitzpatrick type, age band, setting — so each claim reports three estimates
(:class:`Basis`):

``crude``
    the groups as they came (the estimators of :mod:`outcomes.stats.intervals`);
``adjusted``
    regression standardisation (g-computation) over what differs between the groups before
    treatment, with patient-clustered CR2 intervals
    (:func:`outcomes.stats.adjusted.standardised_contrast`);
``equal_sessions``
    adjusted as above and, in addition, at an equal number of sessions. The number of sessions
    is a consequence of the setting (home courses have more), not a cause of it: it is a
    mediator, not a confounder, so this estimate answers another question — how the groups
    compare session for session — and is labelled so.

The catalogue names the estimate a verdict rests on (``estimand_basis``, default ``adjusted``);
the others are reported beside it, and the E-value of the verdict's estimate with them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import OutcomesError
from ..stats.adjusted import StandardisedFit, standardised_fit
from ..stats.adjusted import e_value as _e_value
from ..stats.intervals import Clusters, Estimate
from ..stats.result import Col

__all__ = ["Basis", "Comparison", "EQUAL_SESSIONS_LABEL", "COVARIATE_WORDS", "covariates",
           "compare", "fit_comparison", "Fitted", "basis_words", "e_value"]


class Basis(enum.StrEnum):
    """Which estimate of a comparison a verdict rests on."""

    ADJUSTED = "adjusted"
    CRUDE = "crude"
    EQUAL_SESSIONS = "equal_sessions"


#: How the equal-sessions estimate is labelled wherever it is shown.
EQUAL_SESSIONS_LABEL = "at an equal number of sessions (a mediator, not a confounder)"

#: Covariate column -> its name in words.
COVARIATE_WORDS = {
    Col.CONDITION: "condition",
    Col.BASELINE_SEVERITY: "baseline severity",
    Col.FITZPATRICK: "Fitzpatrick type",
    Col.AGE_BAND: "age band",
    Col.SETTING: "setting",
    Col.N_SESSIONS: "number of sessions",
}
_UNKNOWN = "unknown"
_MISSING_SUFFIX = "_recorded"


#: A level of a text covariate with fewer patients than this in either group is pooled.
MIN_LEVEL_PATIENTS = 5
#: The pooled level.
POOLED = "other (few units in a group)"


def covariates(frame: pd.DataFrame, columns: Sequence[str], exposure=None, cluster=None, *,
               min_level: int = MIN_LEVEL_PATIENTS) -> pd.DataFrame:
    """The covariates of ``frame`` as a regression takes them.

    Text (and categorical) columns keep their values, a missing one becoming ``"unknown"``;
    with ``exposure`` given, the levels with fewer than ``min_level`` patients (``cluster``;
    units without it) in either group are pooled into one level (:data:`POOLED`): a level seen
    in one group only leaves nothing to compare within it (no positivity), and with a handful of
    patients its interaction with the exposure would carry the whole standardisation. A
    numeric column with missing values has them filled by its mean and gains a column
    ``<name>_recorded`` (``yes``/``no``) saying where. A column that does not vary among the
    units is left out (it cannot confound).

    Parameters
    ----------
    frame : DataFrame
        The units (courses or sessions).
    columns : sequence of str
        The covariate columns wanted (those ``frame`` lacks are skipped).
    exposure : array of 0/1, optional
        The group of each unit, for pooling sparse levels.
    cluster : array-like, optional
        The patient of each unit (patients are counted, not units).
    min_level : int
        Fewest patients of a level in each group before it is pooled.

    Returns
    -------
    DataFrame
        Aligned with ``frame``.

    Examples
    --------
    >>> f = pd.DataFrame({"condition": ["a", "b", None], "age": [1.0, None, 3.0],
    ...                   "same": ["x", "x", "x"]})
    >>> covariates(f, ["condition", "age", "same"])
      condition  age age_recorded
    0         a  1.0          yes
    1         b  2.0           no
    2   unknown  3.0          yes
    """
    out: dict[str, np.ndarray | pd.Categorical] = {}
    who = None
    for name in columns:
        if name not in frame.columns:
            continue
        v = frame[name]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            x = v.to_numpy(dtype=float, na_value=np.nan)
            missing = np.isnan(x)
            if missing.all():
                continue
            out[name] = np.where(missing, np.nanmean(x), x)
            if missing.any():
                out[name + _MISSING_SUFFIX] = _levels(missing.astype(np.int64),
                                                      np.array(["yes", "no"], dtype=object))
        else:
            codes, labels = _text_codes(v)
            if exposure is not None:
                if who is None:
                    who = _who(cluster, len(v))
                labels = _pooled(codes, labels, np.asarray(exposure), who, min_level)
            out[name] = _levels(codes, labels)
    df = pd.DataFrame(out, index=frame.index)
    return df[[c for c in df.columns if df[c].nunique(dropna=False) > 1]]


def _text_codes(v: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's value as a code into its labels (text; a missing value ``"unknown"``),
    without turning the column into Python strings unit by unit."""
    codes, uniques = pd.factorize(v, use_na_sentinel=True)
    labels = np.array([str(u) for u in uniques] + [_UNKNOWN], dtype=object)
    codes = np.where(codes < 0, len(uniques), codes)
    return codes, labels


def _who(cluster, n: int) -> np.ndarray:
    """The patient of each unit as a code (every unit its own without ``cluster``; a missing
    patient -1, counted as none)."""
    if cluster is None:
        return np.arange(n)
    if isinstance(cluster, Clusters):
        return cluster.codes
    if not isinstance(cluster, pd.Series | pd.Index | pd.Categorical):
        cluster = np.asarray(cluster)
    return pd.factorize(cluster)[0]  # a categorical by its codes


def _levels(codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
    """The units' labels as a categorical of the labels present, in sorted order (the first
    is the regression's reference, as for the sorted text)."""
    names, inverse = np.unique(labels.astype(str).astype(object), return_inverse=True)
    unit = inverse.reshape(-1)[codes]
    present = np.flatnonzero(np.bincount(unit, minlength=len(names)))
    compact = np.full(len(names), -1)
    compact[present] = np.arange(present.size)
    return pd.Categorical.from_codes(compact[unit], categories=pd.Index(names[present],
                                                                         dtype=object))


def _pooled(codes: np.ndarray, labels: np.ndarray, exposure: np.ndarray, who: np.ndarray,
            min_level: int) -> np.ndarray:
    """``labels`` with the levels rare in either group (``exposure`` 1 or 0) pooled: fewer than
    ``min_level`` distinct patients (``who``) of the level in a group."""
    labels = labels.copy()
    names, inverse = np.unique(labels.astype(str).astype(object), return_inverse=True)
    level = inverse.reshape(-1)[codes]  # equal texts are one level
    counts = np.zeros((len(names), 2), dtype=np.int64)
    span = max(int(who.max()) + 1 if who.size else 1, 1)
    for g in (0, 1):
        in_group = (exposure == g) & (who >= 0)
        seen = np.zeros(len(names) * span, dtype=bool)  # (level, patient) pairs present
        seen[level[in_group].astype(np.int64) * span + who[in_group]] = True
        counts[:, g] = seen.reshape(len(names), span).sum(axis=1)
    present = np.bincount(level, minlength=len(names)) > 0
    rare = present & (counts.min(axis=1) < min_level)
    labels[rare[inverse.reshape(-1)]] = POOLED
    return labels


def _words(columns: Sequence[str]) -> list[str]:
    names = [c[: -len(_MISSING_SUFFIX)] if c.endswith(_MISSING_SUFFIX) else c for c in columns]
    return list(dict.fromkeys(COVARIATE_WORDS.get(c, c) for c in names))


def basis_words(basis: str, adjusted_for: Sequence[str] = ()) -> str:
    """A basis in words, as the claims table's ``basis`` column says it.

    >>> basis_words("adjusted", ["condition", "baseline severity"])
    'adjusted for condition, baseline severity'
    >>> basis_words("equal_sessions", ["condition"])
    'at an equal number of sessions (a mediator, not a confounder), adjusted for condition'
    """
    listed = ", ".join(adjusted_for)
    if basis == Basis.CRUDE:
        return "crude (the groups as they came, unadjusted)"
    if basis == Basis.ADJUSTED:
        return (f"adjusted for {listed}" if listed
                else "adjusted (no characteristic before treatment varied)")
    return EQUAL_SESSIONS_LABEL + (f", adjusted for {listed}" if listed else "")


@dataclass(frozen=True)
class Comparison:
    """The estimates of one comparative claim, by basis.

    Attributes
    ----------
    estimates : dict of Basis to Estimate
        The estimates that could be computed.
    failures : dict of Basis to str
        Why the others could not.
    adjusted_for : dict of Basis to list of str
        The covariates of each adjusted estimate, in words.
    """

    estimates: dict[Basis, Estimate] = field(default_factory=dict)
    failures: dict[Basis, str] = field(default_factory=dict)
    adjusted_for: dict[Basis, list[str]] = field(default_factory=dict)

    def words(self, basis: Basis) -> str:
        """The basis in words, with its covariates."""
        return basis_words(basis, self.adjusted_for.get(basis, ()))

    def frame(self) -> pd.DataFrame:
        """One row per basis: ``basis``, ``basis_words``, ``estimate``, ``ci_low``,
        ``ci_high``, ``n``, ``n_patients``, ``method`` (or why there is no estimate)."""
        rows = []
        for basis in Basis:
            if basis not in self.estimates and basis not in self.failures:
                continue
            e = self.estimates.get(basis)
            rows.append({"basis": basis.value, "basis_words": self.words(basis),
                         "estimate": e.estimate if e else math.nan,
                         "ci_low": e.ci_low if e else math.nan,
                         "ci_high": e.ci_high if e else math.nan,
                         "n": e.n if e else 0, "n_patients": e.n_clusters if e else 0,
                         "method": e.method if e else self.failures[basis]})
        return pd.DataFrame(rows, columns=["basis", "basis_words", "estimate", "ci_low",
                                           "ci_high", "n", "n_patients", "method"])


@dataclass(frozen=True)
class Fitted:
    """The adjusted fits of one comparison by basis, before their level: :meth:`at` gives the
    :class:`Comparison` at any level without fitting again (the family-wise view asks for the
    same comparison at another level; only the t quantile depends on it).

    Attributes
    ----------
    fits : dict of Basis to StandardisedFit
        The fits that could be made, in the order asked.
    failures : dict of Basis to str
        Why the others could not.
    adjusted_for : dict of Basis to list of str
        The covariates of each adjusted estimate, in words.
    """

    fits: dict[Basis, StandardisedFit] = field(default_factory=dict)
    failures: dict[Basis, str] = field(default_factory=dict)
    adjusted_for: dict[Basis, list[str]] = field(default_factory=dict)

    def at(self, alpha: float, crude: Estimate) -> Comparison:
        """The comparison with its intervals at the level ``1 - alpha``, beside ``crude``."""
        out = Comparison(estimates={Basis.CRUDE: crude},
                         adjusted_for={b: list(w) for b, w in self.adjusted_for.items()})
        for basis in self.adjusted_for:
            if basis in self.failures:
                out.failures[basis] = self.failures[basis]
                continue
            try:
                out.estimates[basis] = self.fits[basis].estimate(alpha)
            except _FAILURES as exc:
                out.failures[basis] = f"no {basis.value} estimate: {exc}"
        return out


#: What an adjusted estimate that cannot be made raises.
_FAILURES = (OutcomesError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def fit_comparison(
    y: np.ndarray,
    exposure: np.ndarray,
    units: pd.DataFrame,
    cluster,
    *,
    confounders: Sequence[str],
    contrast: str,
    unit_label: str = "courses",
    equal_sessions: bool = False,
    kept: dict | None = None,
) -> Fitted:
    """The adjusted and (optionally) equal-sessions fits of one comparison, before their
    level (parameters as :func:`compare`; ``cluster`` may be
    :class:`~outcomes.stats.intervals.Clusters`).

    ``kept``, a dict given to every fit of the same units, exposure and clusters (and only to
    those), keeps their covariates: each column's are made once (:func:`covariates` makes
    each on its own), for both bases and a later fit of the same comparison."""
    out = Fitted()
    wanted = [(Basis.ADJUSTED, list(confounders))]
    if equal_sessions:
        wanted.append((Basis.EQUAL_SESSIONS, [*confounders, Col.N_SESSIONS]))
    y = np.asarray(y, dtype=float)
    exposure = np.asarray(exposure, dtype=int)
    kept = {} if kept is None else kept
    made = kept.setdefault("covariates", {})  # column -> its covariate columns
    missing = [c for c in wanted[-1][1] if c not in made]
    if missing:
        X = covariates(units, missing, exposure, cluster).reset_index(drop=True)
        for c in missing:
            made[c] = X[[k for k in X.columns if k in (c, c + _MISSING_SUFFIX)]]
    for basis, columns in wanted:
        parts = [made[c] for c in columns if c in made]
        X = (pd.concat(parts, axis=1) if parts else
             pd.DataFrame(index=pd.RangeIndex(len(units))))
        out.adjusted_for[basis] = _words(X.columns)
        try:
            out.fits[basis] = standardised_fit(y, exposure, X if len(X.columns) else None,
                                               cluster=cluster, contrast=contrast,
                                               unit_label=unit_label)
        except _FAILURES as exc:
            out.failures[basis] = f"no {basis.value} estimate: {exc}"
    return out


def compare(
    y: np.ndarray,
    exposure: np.ndarray,
    units: pd.DataFrame,
    cluster,
    *,
    crude: Estimate,
    confounders: Sequence[str],
    contrast: str,
    alpha: float = 0.05,
    unit_label: str = "courses",
    equal_sessions: bool = False,
) -> Comparison:
    """The crude, adjusted and (optionally) equal-sessions estimates of one comparison.

    Parameters
    ----------
    y : array of float
        The outcome of each unit (an improvement, or 0/1 for an event).
    exposure : array of int
        1 exposed, 0 reference.
    units : DataFrame
        The units, aligned with ``y``, holding the ``confounders`` columns (and ``n_sessions``).
    cluster : array-like or Clusters
        The patient of each unit.
    crude : Estimate
        The crude estimate (computed by the claim's own estimator).
    confounders : sequence of str
        Columns of what differs between the groups before treatment.
    contrast : {"difference", "ratio"}
    alpha : float
        One minus the confidence level.
    unit_label : str
        What a unit is, for ``method``.
    equal_sessions : bool
        Also estimate at an equal number of sessions.

    Returns
    -------
    Comparison
    """
    return fit_comparison(y, exposure, units, cluster, confounders=confounders,
                          contrast=contrast, unit_label=unit_label,
                          equal_sessions=equal_sessions).at(alpha, crude)


def e_value(estimate: Estimate | None, *, ratio: bool,
            sd: float | None = None) -> tuple[float, float]:
    """The E-values of an estimate and of its interval's end nearer the null (NaN, NaN when
    there is no estimate or they cannot be computed).

    A ratio is taken as it is; a difference of means through its standardised size (``sd``:
    the outcome's standard deviation), as :func:`outcomes.stats.adjusted.e_value` documents.
    """
    if estimate is None or not np.isfinite(estimate.estimate):
        return math.nan, math.nan
    try:
        if ratio:
            point, bound = _e_value(estimate.estimate, estimate.ci_low, estimate.ci_high,
                                    scale="ratio")
        else:
            point, bound = _e_value(estimate.estimate, estimate.ci_low, estimate.ci_high,
                                    scale="difference", sd=sd)
    except (OutcomesError, ValueError, ArithmeticError):
        return math.nan, math.nan
    return float(point), float(bound)
