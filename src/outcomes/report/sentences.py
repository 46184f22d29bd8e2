"""One plain sentence per claim: what was measured, the estimate, what the claim needs, the verdict.

The report's first screen, the dashboard and the PDF say each claim's result in one sentence a
clinician reads without the tables, e.g. "Share of redness (erythema) episodes resolved within
48 h: 91.1% (89.2–92.8%); the claim needs at least 90%: inconclusive, because the interval
reaches below 90%." Every number is written by :mod:`outcomes.output.labels` in the claim's
unit (:func:`~outcomes.output.labels.estimand_kind`), the claimed bound in the same unit, and
every verdict — supported and contradicted too — says why. A comparative claim names the
estimate its verdict rests on (crude, adjusted for case mix, at an equal number of sessions).

The sentences are written from the claims table as released (:mod:`outcomes.output.release`):
an estimate withheld there is said to be withheld, never printed, and a reason whose numbers
were masked (``…``) is not repeated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..claims.model import Catalogue, Claim
from ..claims.registry import COMPARATIVE
from ..output.disclosure import NOTE_COLUMN
from ..output.labels import (
    codes,
    estimand_kind,
    format_count,
    format_estimate,
    format_interval,
    format_number,
    format_share,
    label,
    to_number,
)

__all__ = ["claim_sentences", "claim_kind", "measured", "needs", "why", "interval_text",
           "session_interval"]

#: Session columns whose values are a kind of their own (a session's length is in minutes).
COLUMN_KINDS = {"duration_min": "minutes", "pain_vas": "score"}

#: Words for a session column measured by ``mean_session_value``/``median_session_value``.
SESSION_COLUMNS = {"duration_min": "session length", "pain_vas": "pain score (0–10)"}


def _lower(text: str) -> str:
    """``text`` with a lower-case first letter, unless it starts an abbreviation ("RF", "MASI")."""
    if len(text) > 1 and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _or(words: list[str], joint: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {joint} " + words[-1]


def _values(column: str, values) -> str:
    vocabulary = {"contraindications": "contraindication"}.get(column, column)
    words = [label(str(v), vocabulary) for v in _as_list(values)]
    if column == "fitzpatrick":
        return "Fitzpatrick type " + _or([w.removeprefix("Type ") for w in words])
    return _or([_lower(w) for w in words])


def _groups(p: Mapping) -> str:
    column = str(p.get("column", ""))
    exposed = _values(column, p.get("exposed"))
    reference = _values(column, p.get("reference")) if p.get("reference") else "the rest"
    reference = reference.replace("Fitzpatrick type", "type")
    return f"{exposed} against {reference}"


def _condition(p: Mapping, word: str = "in") -> str:
    return f" {word} {_lower(label(p['condition'], 'condition'))}" if p.get("condition") else ""


_CODE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\b")


def _words(text: str) -> str:
    """``text`` with every code in it (``stretch_marks``) in words, lower case ("stretch marks").

    Examples
    --------
    >>> _words("no courses of stretch_marks with a final improvement")
    'no courses of stretch marks with a final improvement'
    """
    known = codes()
    return _CODE.sub(lambda m: _lower(label(m.group(0))) if m.group(0) in known
                     else m.group(0), text)


def _and(text: str) -> str:
    """A list "a, b, c" as "a, b and c"."""
    head, sep, last = text.rpartition(", ")
    return f"{head} and {last}" if sep else text


def _events(p: Mapping) -> str:
    return _or([_lower(label(str(e), "event")) for e in _as_list(p.get("events"))])


def claim_kind(claim: Claim) -> str:
    """The kind of quantity (:data:`~outcomes.output.labels.KINDS`) a claim's estimate is.

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> [claim_kind(cat.claim(i)) for i in ("redness-24-48h", "session-30-60-min")]
    ['share', 'minutes']
    """
    column = claim.parameters.get("column")
    if claim.estimand in ("mean_session_value", "median_session_value") and column in COLUMN_KINDS:
        return COLUMN_KINDS[column]
    return estimand_kind(claim.estimand)


def measured(claim: Claim) -> str:
    """What a claim's estimate measures, in words, from its estimand and parameters.

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> measured(cat.claim("redness-24-48h"))
    'Share of redness (erythema) episodes resolved within 48 h'
    >>> measured(cat.claim("acne-scars-4-6-sessions"))
    'Median number of sessions to a major improvement in acne scars'
    >>> print(measured(cat.claim("safe-all-skin-types")))  # doctest: +NORMALIZE_WHITESPACE
    Difference in the share of courses with a notable side effect,
    Fitzpatrick type IV, V or VI against type I, II or III
    """
    p, e = claim.parameters, claim.estimand
    where = _condition(p)
    if e == "km_median_sessions_to_band":
        return f"Median number of sessions to a {p.get('band')} improvement{where}"
    if e == "share_band_after_session":
        return (f"Share of courses{_condition(p, 'for')} with a {p.get('band')} improvement "
                f"after session {format_count(p.get('session'))}")
    if e == "km_share_resolved_by":
        return (f"Share of {_events(p)} episodes{where} resolved within "
                f"{format_estimate(p.get('hours'), 'hours')}")
    if e == "risk_difference_notable":
        return f"Difference in the share of courses{where} with a notable side effect, {_groups(p)}"
    if e == "mean_final_improvement_difference":
        return f"Difference in mean final improvement{where}, {_groups(p)}"
    if e == "risk_ratio_events":
        return (f"Ratio of the shares of sessions{where} followed by {_events(p)}, "
                f"{_groups(p)}")
    if e == "mean_followup_minus_end":
        return f"Mean change in improvement{where} from the end of treatment to follow-up"
    if e == "mean_final_improvement":
        return f"Mean final improvement{where} (share of the possible improvement)"
    if e in ("mean_session_value", "median_session_value"):
        column = str(p.get("column", ""))
        what = SESSION_COLUMNS.get(column, _lower(label(column, "column")))
        per = "" if column == "duration_min" else " per session"
        return f"{'Mean' if e.startswith('mean') else 'Median'} {what}{per}{where}"
    text = label(e, "estimand")
    return text[:1].upper() + text[1:] + where


def _bound(x, kind: str) -> str:
    """A claimed bound in the estimate's unit (a difference of shares in points, unsigned at 0)."""
    if kind == "points":
        return f"{format_number(100 * float(x), 3)} points"
    if kind == "share":
        return format_share(x)
    return format_estimate(x, kind)


def _between(low, high, kind: str) -> str:
    lo, hi = _bound(low, kind), _bound(high, kind)
    lo_num, _, lo_unit = lo.partition(" ")
    if lo_unit and lo_unit.rstrip("s") == hi.partition(" ")[2].rstrip("s"):
        lo = lo_num
    return f"between {lo} and {hi}"


def needs(claim: Claim, kind: str | None = None) -> str:
    """What a claim needs, in the estimate's unit: ``"at least 90%"``, ``"between 4 and 6 h"``.

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> [needs(cat.claim(i)) for i in ("redness-24-48h", "acne-scars-4-6-sessions",
    ...                                "professional-beats-home", "session-15-20-min")]
    ['at least 90%', 'between 4 and 6 sessions', 'more than 0 points', 'between 15 and 20 min']
    """
    kind = kind or claim_kind(claim)
    if claim.rule == "range":
        return _between(claim.low, claim.high, kind)
    word = {("at_least", False): "at least", ("at_least", True): "more than",
            ("at_most", False): "at most", ("at_most", True): "less than"}[
        (str(claim.rule), bool(claim.strict))]
    return f"{word} {_bound(claim.threshold, kind)}"


def _interval_why(verdict: str, claim: Claim, low: float, high: float, kind: str) -> str:
    """Why an interval gives ``verdict`` under the claim's rule."""
    rule, strict = str(claim.rule), bool(claim.strict)
    span = _between(claim.low, claim.high, kind) if rule == "range" else ""
    if kind == "sessions":  # a bound of sessions, like the estimate, without its unit
        kind = "number"
    if rule == "range":
        if verdict == "supported":
            return f"the whole interval lies {span}"
        if verdict == "contradicted":
            side = "below" if high < claim.low else "above"
            return f"the whole interval lies {side} the claimed range"
        ends = [f"below {_bound(claim.low, kind)}"] * (low < claim.low) + \
               [f"above {_bound(claim.high, kind)}"] * (high > claim.high)
        return f"the interval reaches {_or(ends) or 'outside the claimed range'}"
    t = _bound(claim.threshold, kind)
    up = rule == "at_least"
    if verdict == "supported":
        return f"the whole interval lies {'above' if up else 'below'} {t}" if strict else \
            f"the whole interval lies at or {'above' if up else 'below'} {t}"
    if verdict == "contradicted":
        return f"the whole interval lies {'below' if up else 'above'} {t}" if not strict else \
            f"the whole interval lies at or {'below' if up else 'above'} {t}"
    return f"the interval reaches {'below' if up else 'above'} {t}"


def why(row: Mapping, claim: Claim, kind: str | None = None) -> str:
    """Why a claim got its verdict, from its released row (see :func:`claim_sentences`).

    Examples
    --------
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> c = load_catalogue().claim("redness-24-48h")
    >>> why({"verdict": "inconclusive", "ci_low": 0.88, "ci_high": 0.936, "n": 400}, c)
    'the interval reaches below 90%'
    >>> print(why({"verdict": "inconclusive", "ci_low": None, "ci_high": None, "n": "<5",
    ...      "suppressed": "estimates withheld: n below 5 or hidden"}, c))
    ... # doctest: +NORMALIZE_WHITESPACE
    the estimate is withheld (it rests on fewer than 5 side-effect episodes) and
    <5 side-effect episodes are too few: a verdict needs at least 10
    """
    kind = kind or claim_kind(claim)
    verdict = str(row.get("verdict", ""))
    unit = label(str(row.get("unit") or claim.unit), "unit")
    n_raw = row.get("n")
    n = to_number(n_raw)
    small = isinstance(n_raw, str) and n_raw.startswith("<")
    few = (n is not None and n < claim.min_units) or small
    n_text = str(n_raw) if small else format_count(n) if n is not None else ""
    note = row.get(NOTE_COLUMN)
    withheld = isinstance(note, str) and note.strip() != ""
    low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
    parts = []
    if withheld:
        limit = str(n_raw)[1:] if small else ""
        parts.append(f"the estimate is withheld (it rests on fewer than {limit} {unit})" if limit
                     else "the estimate is withheld (disclosure control: "
                          f"{_words(note.replace('estimates withheld: ', ''))})")
    if verdict == "not_testable":
        reason = str(row.get("reason") or "")
        return _words(reason) if reason and "…" not in reason else \
            "the data lack what the claim needs"
    reason = str(row.get("reason") or "")
    own = reason and "…" not in reason and not reason.startswith("the interval")
    if few and verdict == "inconclusive" and own and claim.estimand in COMPARATIVE:
        parts.append(_words(reason))
        return " and ".join(parts)
    if few and verdict == "inconclusive":
        parts.append(f"{n_text} {unit} are too few: a verdict needs at least {claim.min_units}")
        return " and ".join(parts)
    if low is not None and high is not None and not withheld:
        return _interval_why(verdict, claim, low, high, kind)
    if own:
        parts.append(_words(reason))
    elif not parts:
        parts.append("no interval could be computed")
    return " and ".join(parts)


def _basis(row: Mapping, claim: Claim) -> str:
    """For a comparative claim, the estimate its verdict rests on, in words ("" otherwise)."""
    if claim.estimand not in COMPARATIVE:
        return ""
    basis = claim.estimand_basis or "adjusted"
    words = str(row.get("basis") or "")
    if basis == "adjusted":
        shown = _and(words) if words.startswith("adjusted") and "…" not in words \
            else "adjusted for case mix"
        return f"The verdict rests on the estimate {shown}."
    return f"The verdict rests on the {_lower(label(basis, 'basis'))} estimate."


def session_interval(est, low, high) -> str:
    """A number of sessions with its interval, the unit left to the words around it.

    A median number of sessions is an estimate, not a count of units; written without its
    unit ("5 (3–6)") it is not read as "5 sessions" of a table that counts sessions.

    Examples
    --------
    >>> session_interval(5, 3, 6), session_interval(10, 7, float("inf"))
    ('5 (3–6)', '10 (7 to not reached)')
    >>> session_interval(float("inf"), 7, float("inf")), session_interval(4, None, None)
    ('not reached (7 to not reached)', '4')
    """
    e, lo, hi = (to_number(v) for v in (est, low, high))
    if e is None:
        return ""

    def text(x):
        return "not reached" if x == float("inf") else format_number(x, 3)

    if lo is None or hi is None:
        return text(e)
    sep = " to " if hi == float("inf") else "–"
    return f"{text(e)} ({text(lo)}{sep}{text(hi)})"


def interval_text(est, low, high, kind: str) -> str:
    """:func:`~outcomes.output.labels.format_interval`, a share's three numbers to one decimal
    when any of them needs one (``91.1% (88.0–93.6%)``, not ``91.1% (88–93.6%)``).

    Examples
    --------
    >>> interval_text(0.911, 0.88, 0.936, "share"), interval_text(0.55, 0.49, 0.61, "share")
    ('91.1% (88.0–93.6%)', '55% (49–61%)')
    >>> interval_text(5, 3, 6, "sessions")
    '5 (3–6)'
    """
    values = [to_number(v) for v in (est, low, high)]
    if kind == "sessions":
        return session_interval(est, low, high)
    if kind != "share" or any(v is None or not 0.0005 < v < 0.9995 for v in values):
        return format_interval(est, low, high, kind)
    digits = max(1 if (100 * v < 10 or 100 * v > 90) else 0 for v in values)
    e, lo, hi = (f"{100 * v:.{digits}f}" for v in values)
    return f"{e}% ({lo}–{hi}%)"


def _sentence(row: Mapping, claim: Claim) -> str:
    kind = claim_kind(claim)
    est = to_number(row.get("estimate"))
    withheld = isinstance(row.get(NOTE_COLUMN), str) and str(row.get(NOTE_COLUMN)).strip()
    if withheld:
        value = "withheld"
    elif est is None:
        value = "no estimate"
    else:
        value = interval_text(est, row.get("ci_low"), row.get("ci_high"), kind)
    verdict = str(row.get("verdict", ""))
    text = (f"{measured(claim)}: {value}; the claim needs {needs(claim, kind)}: "
            f"{_lower(label(verdict, 'verdict'))}, because {why(row, claim, kind)}.")
    basis = _basis(row, claim)
    return f"{text} {basis}" if basis else text


def _fallback(row: Mapping) -> str:
    """A sentence for a claim the catalogue does not know (a table read back from a file)."""
    verdict = _lower(label(str(row.get("verdict", "")), "verdict"))
    reason = str(row.get("reason") or "")
    tail = f", because {_words(reason)}" if reason and "…" not in reason else ""
    return f"{row.get('statement') or row.get('id')}: {verdict}{tail}."


def claim_sentences(claims: pd.DataFrame, catalogue: Catalogue) -> pd.Series:
    """One plain-text sentence per claim, indexed by claim id.

    Parameters
    ----------
    claims : DataFrame
        The claims table (:meth:`outcomes.ClaimsResult.table`), best as released by
        :mod:`outcomes.output.release`: columns ``id``, ``verdict``, ``estimate``, ``ci_low``,
        ``ci_high``, ``n``, ``unit``, ``reason``, ``basis`` and, where estimates were
        withheld, ``suppressed`` (a withheld estimate is said to be withheld, not printed).
    catalogue : Catalogue
        The catalogue the claims were evaluated with: it gives each claim's estimand,
        parameters, rule and bounds.

    Returns
    -------
    Series of str
        Indexed by claim id, named ``sentence``: what was measured, the estimate and its
        interval in the claim's unit, what the claim needs in the same unit, the verdict and
        why; for a comparative claim, the estimate the verdict rests on.

    Examples
    --------
    >>> import pandas as pd
    >>> from outcomes.claims.catalogue import load_catalogue
    >>> row = dict(id="redness-24-48h", verdict="inconclusive", estimate=0.911, ci_low=0.88,
    ...            ci_high=0.936, n=1049, unit="events", reason="", basis="")
    >>> print(claim_sentences(pd.DataFrame([row]), load_catalogue()).iloc[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    Share of redness (erythema) episodes resolved within 48 h: 91.1% (88.0–93.6%);
    the claim needs at least 90%: inconclusive, because the interval reaches below 90%.
    """
    known = {c.id: c for c in catalogue}
    out = {}
    for row in claims.to_dict("records"):
        claim = known.get(row.get("id"))
        out[row.get("id")] = _sentence(row, claim) if claim is not None else _fallback(row)
    return pd.Series(out, name="sentence", dtype=object)
