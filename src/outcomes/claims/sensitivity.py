"""Two sensitivity views shown beside the verdicts: a family-wise level, and time from onset.

**Family-wise level.** Each verdict rests on its own 95% interval, so each decisive verdict on
a claim whose truth lies at the far side of the rule is wrong at most 2.5% of the time — but a
catalogue judges many claims at once. The family-wise view evaluates every claim again with
its interval at the level ``1 - 0.05 / k`` (Bonferroni over the ``k`` claims that have an
estimate). A decisive verdict can only be wrong if its interval misses the truth, and the
chance that any of ``k`` such intervals misses it is at most ``k × 0.05 / k = 5%``: a verdict
that stays decisive in this view stays so across the whole catalogue. (Holm's step-down would
need each claim's p-value, which interval estimators such as Wilson's or Kaplan–Meier's with
a log(−log) interval do not return; re-estimating at the Bonferroni level uses nothing else
than the estimators the verdicts already rest on.)

**Resolution from onset.** The resolution claims ("redness fades within 24 to 48 hours") are
read from the session, as the documents speak of the time after a treatment. An event that
starts hours after the session has, by then, lasted less; the onset view measures the same
Kaplan–Meier shares from ``onset_hours`` (blank = 0, as the data contract says), so that the
two readings of a claim stand side by side. A bundle without ``onset_hours`` cannot give it,
and the view says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..bundle.log import SessionLog
from ..bundle.schema import TABLES, Col
from ..courses import Courses
from .model import Claim
from .result import SENSITIVITY_COLUMNS
from .verdicts import Verdict

__all__ = ["FAMILYWISE", "ONSET", "VIEWS", "FAMILY_ALPHA", "multiplicity_note",
           "MULTIPLICITY_NOTE", "sensitivity_table", "familywise_alpha"]

#: Names of the views (values of the ``view`` column).
FAMILYWISE = "family-wise level (Bonferroni)"
ONSET = "resolution time from onset"
VIEWS = (FAMILYWISE, ONSET)
#: The family-wise error rate the first view keeps.
FAMILY_ALPHA = 0.05
#: Claims of the built-in catalogue (checked against it by the tests).
BUILTIN_CLAIMS = 23

_ONSET_ESTIMAND = "km_share_resolved_by"
_NO_ONSET = ("the adverse_events table has no onset_hours column, so resolution time from "
             "onset cannot be computed")


def familywise_alpha(k: int) -> float:
    """One minus the confidence level of each interval in the family-wise view of ``k`` claims.

    >>> round(familywise_alpha(20), 6)
    0.0025
    """
    return FAMILY_ALPHA / max(int(k), 1)


def multiplicity_note(k: int = BUILTIN_CLAIMS) -> str:
    """What multiplicity means for ``k`` claims judged at once, in plain words.

    >>> multiplicity_note(23).split(".")[0]
    'Each of the 23 verdicts rests on its own 95% interval'
    """
    chance = 1 - 0.95 ** k
    level = 100 * (1 - familywise_alpha(k))
    return (f"Each of the {k} verdicts rests on its own 95% interval. One such interval in "
            f"twenty misses the truth by chance, so among {k} claims judged at once, a decisive "
            f"verdict that is wrong is to be expected now and then: were the intervals "
            f"independent, at least one of {k} would miss the truth {chance:.0%} of the time. "
            f"The family-wise view evaluates every claim again with a {level:.2f}% interval "
            f"(Bonferroni: 0.05 / {k}), so that the chance of any wrong decisive verdict among "
            f"them is at most 5%; a verdict decisive there holds across the whole catalogue, "
            f"one decisive only at 95% is a lead to follow, not a finding.")


#: :func:`multiplicity_note` for the built-in catalogue.
MULTIPLICITY_NOTE = multiplicity_note(BUILTIN_CLAIMS)


def _rows(view: str, level: float, main: pd.Series, row: dict) -> dict:
    return {"view": view, "id": row["id"], "level": level, "verdict": row["verdict"],
            "estimate": row["estimate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
            "n": row["n"], "n_patients": row["n_patients"], "method": row["method"],
            "reason": row["reason"], "main_verdict": main.loc[row["id"]],
            "changed": row["verdict"] != main.loc[row["id"]]}


def sensitivity_table(log: SessionLog, courses: Courses, claims: Sequence[Claim],
                      table: pd.DataFrame, evaluate: Callable[..., dict]) -> pd.DataFrame:
    """The verdicts of ``claims`` in both views.

    Parameters
    ----------
    log, courses
        The bundle and its courses.
    claims : sequence of Claim
        The claims evaluated.
    table : DataFrame
        Their verdicts at 95% (the claims table).
    evaluate : callable
        ``evaluate(claim, alpha=..., from_onset=...)`` returning a claim's row (as
        :func:`outcomes.claims.evaluate.evaluate_claim` does). It is called for every claim of
        the family-wise view first, then for those of the onset view.

    Returns
    -------
    DataFrame
        Columns of :data:`~outcomes.claims.result.SENSITIVITY_COLUMNS`: ``view`` (one of
        :data:`VIEWS`), ``id``, ``level`` (the confidence level of the interval), the claim's
        verdict, estimate, interval, ``n``, ``n_patients``, ``method`` and ``reason`` in that
        view, ``main_verdict`` (at 95%, from the session) and ``changed``. The family-wise view
        has every claim with an estimate; the onset view every resolution claim.
    """
    if len(table) == 0:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    main = table.set_index("id")["verdict"]
    estimated = set(table.loc[np.isfinite(table["ci_low"].astype(float))
                              | np.isfinite(table["ci_high"].astype(float))
                              | np.isfinite(table["estimate"].astype(float)), "id"])
    alpha = familywise_alpha(len(estimated))
    rows = [_rows(FAMILYWISE, 1 - alpha, main, evaluate(c, alpha=alpha))
            for c in claims if c.id in estimated]
    has_onset = log.has_column(TABLES["adverse_events"].name, Col.ONSET_HOURS)
    for c in claims:
        if c.estimand != _ONSET_ESTIMAND:
            continue
        if has_onset:
            rows.append(_rows(ONSET, 0.95, main, evaluate(c, from_onset=True)))
        else:
            row = table.set_index("id").loc[c.id]
            rows.append({"view": ONSET, "id": c.id, "level": 0.95,
                         "verdict": Verdict.NOT_TESTABLE.value, "estimate": np.nan,
                         "ci_low": np.nan, "ci_high": np.nan, "n": int(row["n"]),
                         "n_patients": int(row["n_patients"]), "method": "",
                         "reason": _NO_ONSET, "main_verdict": main.loc[c.id], "changed": True})
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
