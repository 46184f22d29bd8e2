"""How the side-effect and spacing tables group their units: bins, event selections, groups.

One job: turn the arguments ``by``, ``events``, ``depth_bins`` and ``spacing_bins`` of
:func:`~outcomes.stats.side_effects.incidence`, :func:`~outcomes.stats.side_effects.resolution`
and :func:`~outcomes.stats.spacing.spacing` into group codes and boolean masks, vectorised:
binning a numeric column (:func:`cut`, :data:`DEPTH_BINS`, :data:`SPACING_BINS`), selecting
events (:func:`event_sets`), matching events to sessions (:func:`session_key`) and cutting a
table into its groups (:func:`group_slices`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..bundle.schema import vocabulary
from ..errors import AnalysisError
from .result import Col

__all__ = [
    "DEPTH_BINS",
    "SPACING_BINS",
    "DEPTH_BIN",
    "ANY",
    "NOTABLE",
    "Groups",
    "as_names",
    "bin_labels",
    "cut",
    "event_sets",
    "group_slices",
    "session_key",
    "typed_keys",
]

#: Edges (mm) of the needle-depth bins: < 0.5, 0.5-1.0, 1.0-1.5, 1.5-2.0, >= 2.0.
DEPTH_BINS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
#: Edges (days) of the spacing bins: < 14, 14-20, 21-31, 32-45, 46-90, > 90.
SPACING_BINS: tuple[int, ...] = (14, 21, 32, 46, 91)
#: Name of the binned needle-depth column (``by`` accepts it or ``needle_depth_mm``).
DEPTH_BIN = "depth_bin"
#: Event selection meaning every adverse event.
ANY = "any"
#: Event selection meaning every notable adverse event (claims catalogue definition).
NOTABLE = "notable"


def as_names(by, name: str = "by") -> tuple[str, ...]:
    """``by`` (None, a column name or a sequence of them) as a tuple of column names.

    Raises
    ------
    AnalysisError
        If ``by`` is neither a str nor a sequence of str.
    """
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    try:
        out = tuple(by)
    except TypeError:
        raise AnalysisError(f"{name} must be a column name or a sequence of them; got "
                            f"{by!r}.") from None
    bad = [x for x in out if not isinstance(x, str)]
    if bad:
        raise AnalysisError(f"{name} must hold column names (str); got {bad!r}.")
    return out


# =========================================================================== bins
def _number(x: float) -> str:
    return f"{x:.1f}" if round(x, 1) == x else f"{x:g}"


def _check_edges(edges, name: str, integer: bool) -> tuple:
    try:
        arr = np.asarray(edges, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise AnalysisError(f"{name} must be a sequence of numbers (bin edges); got "
                            f"{edges!r}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise AnalysisError(f"{name} must be finite, strictly increasing bin edges (at least "
                            f"one); got {list(np.atleast_1d(edges))!r}.")
    if integer and np.any(arr != np.round(arr)):
        raise AnalysisError(f"{name} are whole days; got {list(arr)!r}.")
    return tuple(int(x) for x in arr) if integer else tuple(float(x) for x in arr)


def bin_labels(edges: Sequence[float], integer: bool = False) -> list[str]:
    """Labels of the bins ``(-inf, e0), [e0, e1), ..., [e_last, inf)``.

    Parameters
    ----------
    edges : sequence of float
        Strictly increasing inner edges.
    integer : bool, default False
        Whole-number values (days): a bin ``[a, b)`` is labelled ``"a–(b-1)"`` and the last one
        ``"> e_last - 1"``; otherwise ``"a–b"`` (lower end included, upper excluded) and
        ``">= e_last"``.

    Returns
    -------
    list of str
        ``len(edges) + 1`` labels, lowest bin first.

    Examples
    --------
    >>> bin_labels((14, 21, 32, 46, 91), integer=True)
    ['< 14', '14–20', '21–31', '32–45', '46–90', '> 90']
    >>> bin_labels((0.5, 1.0, 1.5, 2.0))
    ['< 0.5', '0.5–1.0', '1.0–1.5', '1.5–2.0', '>= 2.0']
    """
    e = list(edges)
    if integer:
        middle = [f"{a}" if b - 1 == a else f"{a}–{b - 1}" for a, b in zip(e[:-1], e[1:],
                                                                           strict=True)]
        return [f"< {e[0]}", *middle, f"> {e[-1] - 1}"]
    middle = [f"{_number(a)}–{_number(b)}" for a, b in zip(e[:-1], e[1:], strict=True)]
    return [f"< {_number(e[0])}", *middle, f">= {_number(e[-1])}"]


def cut(values, edges: Sequence[float], integer: bool = False,
        name: str = "edges") -> pd.Categorical:
    """Bin ``values`` into ``(-inf, e0), [e0, e1), ..., [e_last, inf)``; missing stays missing.

    Parameters
    ----------
    values : array_like of float
    edges : sequence of float
        Strictly increasing inner edges (:data:`DEPTH_BINS`, :data:`SPACING_BINS`).
    integer : bool, default False
        Label the bins as whole numbers (days); see :func:`bin_labels`.
    name : str
        Name of the parameter the edges came from (for error messages).

    Returns
    -------
    Categorical
        Ordered, with every bin label as a category (lowest first).

    Examples
    --------
    >>> list(cut([3, 14, 20, 21, 95, np.nan], SPACING_BINS, integer=True))
    ['< 14', '14–20', '14–20', '21–31', '> 90', nan]
    """
    e = _check_edges(edges, name, integer)
    v = np.asarray(values, dtype=float)
    codes = np.searchsorted(np.asarray(e, dtype=float), v, side="right")
    codes[np.isnan(v)] = -1
    return pd.Categorical.from_codes(codes, categories=bin_labels(e, integer), ordered=True)


# =========================================================================== events
def event_sets(events, table: pd.DataFrame, *, include_any: bool) -> dict[str, np.ndarray]:
    """Resolve an ``events`` selection into ``{label: boolean mask over table rows}``.

    Parameters
    ----------
    events : None, str, sequence or mapping
        ``None``: every event type present in ``table`` (vocabulary order), preceded by
        ``"any"`` when ``include_any``. A str: one selection. A sequence: each element
        separately. A mapping ``{label: selection}``: each selection under its label. A
        selection is an event type (``"erythema"``), ``"any"`` (every event), ``"notable"``
        (notable events), a list of those (pooled), or a ``+``-joined string
        (``"erythema+oedema+pain"``, pooled).
    table : DataFrame
        The events (``courses.events``): columns ``event`` and ``notable``.
    include_any : bool
        With ``events=None``, add the ``"any"`` selection first.

    Returns
    -------
    dict of str to ndarray of bool

    Raises
    ------
    AnalysisError
        An unknown event type, or an empty selection.
    """
    vocab = vocabulary("event")
    kinds = pd.Categorical(table[Col.EVENT], categories=vocab).codes  # -1: not in vocabulary
    code = {k: i for i, k in enumerate(vocab)}
    notable = table[Col.NOTABLE].to_numpy(dtype=bool)

    def members(spec) -> np.ndarray:
        if isinstance(spec, str):
            names = spec.split("+") if "+" in spec else [spec]
        else:
            names = list(spec)
        names = [str(x).strip() for x in names]
        unknown = [x for x in names if x not in vocab and x not in (ANY, NOTABLE)]
        if unknown or not names:
            raise AnalysisError(f"events: {unknown or names!r} are not event types; use event "
                                f"types of the vocabulary {vocab}, {ANY!r} or {NOTABLE!r}, "
                                f"alone, in a list, or joined with '+'.")
        mask = np.isin(kinds, [code[x] for x in names if x in code])
        if ANY in names:
            mask = np.ones(len(kinds), dtype=bool)
        if NOTABLE in names:
            mask = mask | notable
        return mask

    if events is None:
        present = np.bincount(kinds[kinds >= 0], minlength=len(vocab)) > 0
        out = {ANY: np.ones(len(kinds), dtype=bool)} if include_any else {}
        out.update({k: kinds == i for i, k in enumerate(vocab) if present[i]})
        return out
    if isinstance(events, str):
        return {events: members(events)}
    if isinstance(events, Mapping):
        if not events:
            raise AnalysisError("events: an empty mapping selects nothing; pass None for all.")
        return {str(label): members(spec) for label, spec in events.items()}
    if isinstance(events, Sequence):
        if not events:
            raise AnalysisError("events: an empty list selects nothing; pass None for all.")
        return {x if isinstance(x, str) else "+".join(map(str, x)): members(x) for x in events}
    raise AnalysisError(f"events must be None, an event type, a list of them or a mapping "
                        f"{{label: types}}; got {type(events).__name__}.")


def session_key(frame: pd.DataFrame) -> np.ndarray:
    """An int64 key of each row's session: ``course_id * 2**24 + session_number``.

    ``courses.sessions`` and ``courses.events`` both carry ``course_id`` and
    ``session_number``; matching on this key is a fast integer hash join (text session ids
    are much slower to match on a million rows).
    """
    return (frame[Col.COURSE_ID].to_numpy(dtype=np.int64) * np.int64(1 << 24)
            + frame[Col.SESSION_NUMBER].to_numpy(dtype=np.int64))


# =========================================================================== groups
class Groups(NamedTuple):
    """The groups of a table (see :func:`group_slices`)."""

    #: One row per group: the group values, sorted, missing last.
    keys: pd.DataFrame
    #: Group (0 .. len(keys) - 1) of each row of the table.
    codes: np.ndarray
    #: Row positions sorted by group.
    order: np.ndarray
    #: ``len(keys) + 1`` offsets into ``order``: group j is ``order[bounds[j]:bounds[j + 1]]``.
    bounds: np.ndarray


def group_slices(frame: pd.DataFrame, cols: list[str]) -> Groups:
    """Groups of ``frame`` by ``cols`` (missing values form their own group).

    With no ``cols`` every row is in one group.
    """
    n = len(frame)
    if not cols:
        return Groups(pd.DataFrame(index=[0]), np.zeros(n, dtype=np.int64), np.arange(n),
                      np.array([0, n]))
    g = frame.groupby(cols, observed=True, dropna=False, sort=True)
    codes = g.ngroup().to_numpy().astype(np.int64)
    keys = g.size().index.to_frame(index=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(keys)))]
    return Groups(keys, codes, order, bounds)


def typed_keys(keys: pd.DataFrame, source: pd.DataFrame, n_rows: int, reps: int,
               cols: list[str]) -> pd.DataFrame:
    """Repeat the group-key rows ``reps`` times, keeping each column's dtype as in ``source``
    (categoricals stay ordered)."""
    out = {}
    for col in cols:
        values = keys[col].to_numpy()
        rep = np.tile(values, reps) if reps > 1 else values
        out[col] = pd.array(rep, dtype=source[col].dtype) if len(rep) else \
            pd.Series([], dtype=source[col].dtype)
    return pd.DataFrame(out, index=range(n_rows))
