"""Codes to words: conditions, side effects, settings, scales, measures, verdicts and columns.

The words live in ``words.toml`` beside this module, one table per vocabulary, so that the HTML
report, the PDF, the workbook, the Word document, the dashboard and the plots all say "Acne scars"
for ``acne_scars`` and "Lower limit" for ``ci_low``. :func:`codes` lists every code that has words,
for tests that scan an output for a raw code left in a heading, header or label.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

__all__ = ["VOCABULARIES", "label", "column_label", "estimand_kind", "codes", "relabel"]

#: Vocabularies searched, in this order, when :func:`label` is not told which one a code is in.
VOCABULARIES = ("condition", "event", "setting", "device", "fitzpatrick", "age_band", "sex",
                "contraindication", "adjunct", "rater", "severity", "scale", "verdict", "rule",
                "unit", "basis", "kind", "status", "table", "measure", "estimand", "column")


@cache
def _words() -> dict[str, dict[str, str]]:
    text = resources.files(__package__).joinpath("words.toml").read_text("utf-8")
    return tomllib.loads(text)


def _humanise(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(code, vocabulary: str | None = None) -> str:
    """The words for ``code``: from ``vocabulary`` if given, else the first that has it.

    A code that has no words anywhere is returned with underscores as spaces and a capital
    (a user's own condition ``chemical_peel`` reads "Chemical peel"); anything that is not a
    string is returned as text unchanged.

    Examples
    --------
    >>> label("acne_scars"), label("pih"), label("ci_low", "column"), label("home", "setting")
    ('Acne scars', 'Post-inflammatory hyperpigmentation', 'Lower limit', 'At home')
    >>> label("rosacea", "contraindication"), label("chemical_peel")
    ('Rosacea', 'Chemical peel')
    """
    if not isinstance(code, str):
        return "" if code is None else str(code)
    words = _words()
    if vocabulary is not None:
        found = words.get(vocabulary, {}).get(code)
        return found if found is not None else _humanise(code)
    for name in VOCABULARIES:
        found = words.get(name, {}).get(code)
        if found is not None:
            return found
    return _humanise(code)


def column_label(name: str) -> str:
    """Header of a result table's column.

    Examples
    --------
    >>> column_label("n_patients"), column_label("final_improvement_mean")
    ('Patients', 'Mean final improvement')
    """
    words = _words()
    for vocabulary in ("column", "measure"):
        if name in words[vocabulary]:
            return words[vocabulary][name]
    return label(name)


def estimand_kind(estimand: str) -> str:
    """The kind of quantity (:data:`~outcomes.output.labels.numbers.KINDS`) of an estimand.

    Examples
    --------
    >>> estimand_kind("km_share_resolved_by"), estimand_kind("risk_ratio_events")
    ('share', 'ratio')
    """
    return _words()["estimand_kind"].get(estimand, "number")


def codes(vocabularies: tuple[str, ...] | None = None) -> set[str]:
    """Every code with words that reads as a code, not as a word.

    That is a code with an underscore (``acne_scars``, ``ci_low``) or a short lower-case
    abbreviation its words do not contain (``pih``, ``gais``). Codes that are ordinary words
    ("pain", "home", "n") are left out, since finding them in a sentence says nothing.

    Examples
    --------
    >>> {"acne_scars", "ci_low", "final_improvement_mean"} <= codes()
    True
    >>> "pih" in codes(), "pain" in codes(), "home" in codes()
    (True, False, False)
    """
    words = _words()
    found = set()
    for name in vocabularies or VOCABULARIES:
        for code, text in words.get(name, {}).items():
            if "_" in code or (code.islower() and len(code) <= 4
                               and code not in text.lower()):
                found.add(code)
    return found


_CODE_RE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b")


def relabel(text: str, vocabulary: str | None = None) -> str:
    """``text`` with every code that has words in it replaced by its words.

    Examples
    --------
    >>> relabel("acne_scars, n_patients: 12")
    'Acne scars, Patients: 12'
    """
    known = codes()
    return _CODE_RE.sub(
        lambda m: label(m.group(0), vocabulary) if m.group(0) in known else m.group(0), text)
