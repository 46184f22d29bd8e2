"""The case-mix model of the funnel plots and the CUSUM: the risk a session (or the improvement a
course) would have had at an average provider, given who was treated and how.

Two models, fitted once on all sessions (or courses) of the bundle, with no provider term, so a
provider's expected count is what the bundle's average provider would have had with the same
patients (indirect standardisation):

sessions
    a logistic regression of "a notable adverse event followed the session" on the condition,
    the Fitzpatrick type, the setting (home or professional) and the needle depth (linear in mm,
    plus an indicator of depth not recorded); :func:`session_risk`.
courses
    a linear regression of the final improvement on the condition, the scale it is measured on,
    the Fitzpatrick type and the setting; :func:`course_expected`.

Clustering by patient: a patient's sessions are not independent. The point estimates are those
of a GEE with an independence working correlation clustered by patient, which are the
estimates of the plain regression; clustering changes only their standard errors, which the
expected counts do not use. What clustering and unmodelled case mix add to the spread between
providers is what the funnel's overdispersion correction (:mod:`outcomes.audit.funnel`) absorbs.

A small ridge penalty (``RIDGE``, on every coefficient but the intercept) keeps the fit finite
when a category has no event (separation), as it often does in a bundle of 5 patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.result import Col

__all__ = ["design", "session_risk", "course_expected", "RIDGE", "SESSION_TERMS",
           "COURSE_TERMS"]

#: Ridge penalty on the non-intercept coefficients (a weak prior: one pseudo-observation).
RIDGE = 1.0
#: Case-mix terms of the session model (categorical, then the depth).
SESSION_TERMS = (Col.CONDITION, Col.FITZPATRICK, Col.SETTING, Col.NEEDLE_DEPTH_MM)
#: Case-mix terms of the course model.
COURSE_TERMS = (Col.CONDITION, Col.SCALE, Col.FITZPATRICK, Col.SETTING)


def design(frame: pd.DataFrame, terms) -> np.ndarray:
    """Design matrix: an intercept, one indicator per level (but the first) of each categorical
    term present, and for the needle depth its value (missing: 0) and a missing indicator.

    Columns absent from ``frame``, or with a single level, add nothing.

    Examples
    --------
    >>> f = pd.DataFrame({"condition": ["a", "b", "b"], "needle_depth_mm": [1.0, None, 2.0]})
    >>> design(f, ("condition", "needle_depth_mm"))
    array([[1., 0., 1., 0.],
           [1., 1., 0., 1.],
           [1., 1., 2., 0.]])
    """
    cols = [np.ones(len(frame))]
    for term in terms:
        if term not in frame.columns:
            continue
        if term == Col.NEEDLE_DEPTH_MM:
            d = frame[term].to_numpy(dtype=float, na_value=np.nan)
            miss = np.isnan(d)
            cols.append(np.where(miss, 0.0, d))
            if miss.any():
                cols.append(miss.astype(float))
            continue
        codes, uniques = pd.factorize(frame[term].astype("str"), sort=True)
        for k in range(1, len(uniques)):
            cols.append((codes == k).astype(float))
    return np.column_stack(cols)


def _ridge(x: np.ndarray) -> np.ndarray:
    pen = np.full(x.shape[1], RIDGE)
    pen[0] = 0.0
    return np.diag(pen)


def logistic_fit(x: np.ndarray, y: np.ndarray, *, iterations: int = 50) -> np.ndarray:
    """Fitted probabilities of a ridge-penalised logistic regression (Newton-Raphson).

    Examples
    --------
    >>> x = np.ones((4, 1)); y = np.array([0, 0, 0, 1.0])
    >>> logistic_fit(x, y).round(3).tolist()  # intercept only: the share
    [0.25, 0.25, 0.25, 0.25]
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return y
    share = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(share / (1 - share))
    pen = _ridge(x)
    for _ in range(iterations):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1 - p)
        grad = x.T @ (y - p) - pen @ beta
        hess = (x * w[:, None]).T @ x + pen
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return 1.0 / (1.0 + np.exp(-(x @ beta)))


def session_risk(sessions: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """Expected probability of a notable adverse event after each session, from case mix only.

    Parameters
    ----------
    sessions : DataFrame
        ``Courses.sessions`` (the terms of :data:`SESSION_TERMS` that it has are used).
    y : array of bool
        Whether a notable adverse event followed each session.

    Returns
    -------
    ndarray of float
        One probability per session; its sum is the bundle's number of sessions with an event
        (up to the ridge penalty).
    """
    return logistic_fit(design(sessions, SESSION_TERMS), y)


def course_expected(courses: pd.DataFrame, value: np.ndarray) -> tuple[np.ndarray, float]:
    """Expected final improvement of each course from case mix, and the residual SD.

    Parameters
    ----------
    courses : DataFrame
        Courses with a final improvement (the rows of ``value``).
    value : array of float

    Returns
    -------
    (expected, sd) : ndarray, float
        Least-squares (ridge) predictions and the residual standard deviation (NaN with fewer
        courses than coefficients plus one).
    """
    value = np.asarray(value, dtype=float)
    if value.size == 0:
        return value, float("nan")
    x = design(courses, COURSE_TERMS)
    beta = np.linalg.lstsq(x.T @ x + _ridge(x), x.T @ value, rcond=None)[0]
    fit = x @ beta
    dof = len(value) - np.linalg.matrix_rank(x)
    sd = float(np.sqrt(np.sum((value - fit) ** 2) / dof)) if dof > 0 else float("nan")
    return fit, sd
