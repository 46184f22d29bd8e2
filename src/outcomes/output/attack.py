"""The attacker's problem for a release: how far can a hidden count be pinned down?

Given every shown count and every linear relation between counts (:class:`Relation`), the
least and greatest value a hidden cell can take are two linear programs (cells as non-negative
reals; a cell shown as ``<min_cell`` lies between 1 and ``min_cell - 1``), as sdcTable's
``attack()`` solves them. :class:`outcomes.output.release.Release` uses :func:`close_open` and
:func:`attack` to choose its secondary suppressions; the test suite's attacker
(``tests/test_attacker.py``) solves the same problem from the files as written.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .disclosure import PRIMARY, SECONDARY

__all__ = ["close_open", "attack", "bounds", "pinned_band"]


def close_open(values: dict, relations: list, hidden: dict) -> None:
    """Hide cells until no relation has exactly one hidden cell (greedy, in place).

    The cell hidden next in an open relation is a shown non-zero one (a zero only when none is
    left), the smallest (so that totals stay shown), then the one closing the most open
    relations at once.
    """
    member = defaultdict(list)
    for k, r in enumerate(relations):
        for c in r.cells:
            member[c].append(k)

    def n_hidden(k):
        return sum(c in hidden for c in relations[k].cells)

    todo = [k for k in range(len(relations)) if n_hidden(k) == 1]
    while todo:
        k = todo.pop()
        if n_hidden(k) != 1:
            continue
        shown = [c for c in relations[k].cells if c not in hidden]
        pool = [c for c in shown if values[c] > 0] or shown
        if not pool:
            continue
        cell = min(pool, key=lambda c: (values[c], -sum(n_hidden(j) == 1 for j in member[c]), c))
        hidden[cell] = SECONDARY
        todo.extend(j for j in member[cell] if n_hidden(j) == 1)


def pinned_band(low: float, high: float, min_cell: int) -> bool:
    """True when ``[low, high]`` holds fewer than two values of 1 ... ``min_cell - 1``.

    Examples
    --------
    >>> pinned_band(3.0, 3.0, 5), pinned_band(1.0, 4.0, 5), pinned_band(3.6, 4.4, 5)
    (True, False, True)
    """
    lo, hi = max(1, math.ceil(low - 1e-7)), min(min_cell - 1, math.floor(high + 1e-7))
    return hi - lo + 1 < 2


def _components(relations, hidden):
    parent = {c: c for c in hidden}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for r in relations:
        cells = [c for c in r.cells if c in hidden]
        for a, b in zip(cells, cells[1:], strict=False):
            parent[find(a)] = find(b)
    groups = defaultdict(list)
    for c in hidden:
        groups[find(c)].append(c)
    return list(groups.values())


def bounds(values: dict, relations: list, hidden: dict, min_cell: int, cells=None) -> dict:
    """Least and greatest value of each hidden primary cell (or of ``cells``).

    Parameters
    ----------
    values : dict
        Cell -> exact value (only the shown cells' values are used).
    relations : list of Relation
    hidden : dict
        Cell -> ``"primary"`` or ``"secondary"``.
    min_cell : int
    cells : iterable, optional
        The cells to attack (default: every primary cell).

    Returns
    -------
    dict
        Cell -> ``(low, high)``.
    """
    from scipy.optimize import linprog

    targets = set(cells) if cells is not None else {c for c, r in hidden.items()
                                                     if r == PRIMARY}
    touching = defaultdict(list)
    for k, r in enumerate(relations):
        for c in r.cells:
            if c in hidden:
                touching[c].append(k)
    out = {}
    for comp in _components(relations, hidden):
        want = [c for c in comp if c in targets]
        if not want:
            continue
        ks = sorted({k for c in comp for k in touching[c]})
        if not ks:
            out.update({c: _band(hidden[c], min_cell) for c in want})
            continue
        index = {c: j for j, c in enumerate(comp)}
        a = np.zeros((len(ks), len(comp)))
        b = np.zeros(len(ks))
        for row, k in enumerate(ks):
            r = relations[k]
            for c, coef in zip(r.cells, r.coefs, strict=True):
                if c in hidden:
                    a[row, index[c]] += coef
                else:
                    b[row] -= coef * values[c]
        bnds = [_band(hidden[c], min_cell) for c in comp]
        for c in want:
            cost = np.zeros(len(comp))
            cost[index[c]] = 1.0
            lo = linprog(cost, A_eq=a, b_eq=b, bounds=bnds, method="highs")
            hi = linprog(-cost, A_eq=a, b_eq=b, bounds=bnds, method="highs")
            low = lo.fun if lo.status == 0 else bnds[index[c]][0]
            high = -hi.fun if hi.status == 0 else math.inf
            out[c] = (low, math.inf if hi.status == 3 else high)
    return out


def _band(rule: str, min_cell: int):
    return (1.0, float(min_cell - 1)) if rule == PRIMARY else (0.0, None)


def attack(values: dict, relations: list, hidden: dict, min_cell: int) -> list:
    """The primary cells whose range holds fewer than two values of their band."""
    if min_cell < 3:  # a band of one value (1) can never hold two
        return []
    found = bounds(values, relations, hidden, min_cell)
    return sorted(c for c, (lo, hi) in found.items() if pinned_band(lo, hi, min_cell))
