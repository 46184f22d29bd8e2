"""Did you mean: the nearest known name to a near miss (a file, sheet, column, word, command).

:func:`nearest` answers with the known names that a mistyped one most probably meant. It is the
standard library's :func:`difflib.get_close_matches` (Ratcliff/Obershelp similarity: twice the
matched characters over the characters of both), after both sides are brought to one form
(casefolded, spaces and hyphens as underscores), plus one rule difflib lacks: a name that is the
beginning of a single known name, or one of its ``_``-separated words, is that name (``acne`` is
``acne_scars``, though the two are only 57% alike). difflib is enough here: the lists are short
(ten conditions, five commands), it ships with Python and imports nothing, so the command line
stays quick, and its scores rank transpositions (``valdiate``) and dropped letters
(``adverse_event``) as near as an edit distance would.

Nothing heavier is imported, so the command line may use it while it parses its arguments.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["nearest", "did_you_mean", "normal"]

#: How alike (0-1) two names must be for one to be offered for the other.
CUTOFF = 0.6
_SEPARATORS = re.compile(r"[\s\-]+")


def normal(name: str) -> str:
    """A name in the form names are compared in: casefolded, stripped, spaces and hyphens as ``_``.

    >>> normal(" Adverse-Events ")
    'adverse_events'
    """
    return _SEPARATORS.sub("_", str(name).strip().casefold())


def nearest(name: str, known: Iterable[str], *, n: int = 1, cutoff: float = CUTOFF) -> list[str]:
    """The known names nearest to ``name`` (at most ``n``), best first; none when none is near.

    Parameters
    ----------
    name : str
        What came in.
    known : iterable of str
        What is accepted (a name equal to ``name`` in :func:`normal` form is not offered: it is
        not a near miss).
    n : int
        How many to offer at most.
    cutoff : float
        How alike (0-1, in difflib's ratio) a name must be to be offered.

    Returns
    -------
    list of str
        Names of ``known``, in their own spelling.

    Examples
    --------
    >>> nearest("valdiate", ["validate", "simulate", "claims", "report", "audit"])
    ['validate']
    >>> nearest("acne", ["acne_scars", "surgical_scars", "wrinkles"])
    ['acne_scars']
    >>> nearest("adverse_event", ["sessions", "assessments", "adverse_events"])
    ['adverse_events']
    >>> nearest("xyz", ["sessions", "assessments"])
    []
    """
    spelled: dict[str, str] = {}
    for k in known:
        spelled.setdefault(normal(k), k)
    key = normal(name)
    if not key or key in spelled:
        return []
    starts = [k for k in spelled
              if k.startswith(key) or any(w.startswith(key) for w in k.split("_") if w)]
    found = starts if len(starts) == 1 and len(key) >= 3 else []
    found += [m for m in difflib.get_close_matches(key, list(spelled), n=n, cutoff=cutoff)
              if m not in found]
    return [spelled[k] for k in found[:n]]


def did_you_mean(name: str, known: Iterable[str], *, quote=repr) -> str:
    """``"; did you mean 'x'?"`` for the nearest known name, or ``""`` when none is near.

    >>> did_you_mean("acne", ["acne_scars", "wrinkles"])
    ": did you mean 'acne_scars'?"
    >>> did_you_mean("xyz", ["acne_scars"])
    ''
    """
    found = nearest(name, known)
    return f": did you mean {quote(found[0])}?" if found else ""
