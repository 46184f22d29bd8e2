"""Docstring text shared by several functions, written once and put in place at import.

Where several functions take a parameter alike (``cluster``, ``alpha``, the ``courses`` of
:func:`outcomes.build_courses`, a plot's ``ax``), its numpydoc text is one fragment, and each
docstring names it by a line holding only ``{name}``. :func:`shared_doc` replaces that line with
the fragment, indented as the line was, once, when the module is imported, so ``help()``,
numpydoc and doctest read ordinary text (pandas' ``@doc`` and statsmodels' ``Appender`` do the
same). Other braces in a docstring (``{"a": 1}``, ``{0, 1}``) are left alone.

:data:`FRAGMENTS` holds the fragments several rooms share; a room keeps its own beside its code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

__all__ = ["shared_doc", "fill_doc", "FRAGMENTS", "INTERNAL_NOTICE"]

_T = TypeVar("_T")

#: A line that holds only ``{name}``: where a fragment goes.
_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)\{(?P<name>[A-Za-z_]\w*)\}[ \t]*$", re.MULTILINE)

#: Fragments shared across rooms, by placeholder name.
FRAGMENTS = {
    "alpha": """\
alpha : float, default 0.05
    One minus the confidence level.""",
    "courses": """\
courses : Courses
    From :func:`outcomes.build_courses`. Not modified.""",
    "courses_of_log": """\
courses : Courses
    ``build_courses(log)``.""",
    "ax": """\
ax : matplotlib Axes, optional
    Where to draw; a new figure's axes when omitted.""",
    # the whole of a ``plot(ax=None)`` without other parameters
    "plot_ax": """\
Parameters
----------
ax : matplotlib Axes, optional

Returns
-------
matplotlib Axes""",
}


def fill_doc(doc: str, fragments: dict[str, str], *, what: str = "a docstring") -> str:
    """Return ``doc`` with every line ``{name}`` replaced by ``fragments[name]``, indented as
    the line was (blank lines of a fragment stay blank).

    >>> fill_doc("Sum.\\n\\n    {alpha}\\n", FRAGMENTS)
    'Sum.\\n\\n    alpha : float, default 0.05\\n        One minus the confidence level.\\n'
    >>> fill_doc("Keys {a} and {0, 1} stay.", {})
    'Keys {a} and {0, 1} stay.'
    """
    def put(match: re.Match) -> str:
        name, indent = match["name"], match["indent"]
        if name not in fragments:
            raise KeyError(f"{what} names the docstring fragment {{{name}}}, which is not one of "
                           f"{', '.join(sorted(fragments))}.")
        return "\n".join(indent + line if line else line
                         for line in fragments[name].split("\n"))

    return _PLACEHOLDER.sub(put, doc)


def shared_doc(**fragments: str) -> Callable[[_T], _T]:
    """Decorator: fill the ``{name}`` lines of a function's or class's docstring with
    ``fragments`` (see :func:`fill_doc`); the object itself is returned unchanged otherwise.

    A placeholder without a fragment raises ``KeyError`` at import; fragments a docstring does
    not name are ignored, so a room can pass all of its own at once. Without docstrings
    (``python -OO``) it does nothing.

    >>> @shared_doc(**FRAGMENTS)
    ... def rate(x, *, alpha=0.05):
    ...     '''A rate.
    ...
    ...     {alpha}
    ...     '''
    >>> print(rate.__doc__.strip())
    A rate.
    <BLANKLINE>
        alpha : float, default 0.05
            One minus the confidence level.
    """
    def decorate(obj: _T) -> _T:
        if obj.__doc__:
            obj.__doc__ = fill_doc(obj.__doc__, fragments,
                                   what=getattr(obj, "__qualname__", repr(obj)))
        return obj

    return decorate


#: What every internal output says on its first line, sheet or heading (disclosure.md): the
#: console, ``outcomes validate``, ``outcomes claims`` without ``--release`` and the audit by
#: default.
INTERNAL_NOTICE = ("Internal: exact small counts and session identifiers — do not share outside "
                   "the clinic.")
