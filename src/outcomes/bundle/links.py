"""Checks across rows and tables: duplicate rows, session ids shared by different rows, and
adverse events linked to their session.

Rows are matched by 64-bit hashes first (:mod:`outcomes.bundle.hashing`), sorted as plain
integers, which is fast and lets go of the GIL; equal hashes only nominate candidates, and every
finding is confirmed on the text itself. The findings go to each table's
:class:`~outcomes.bundle.columns.Findings`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import TableCheck
from .hashing import hash_codes, hash_rows
from .schema import ADVERSE_EVENTS, SESSIONS, Col
from .values import as_text, encode, join, messages, quote, spread

__all__ = ["SessionKeys", "session_keys", "duplicate_candidates", "check_sessions",
           "exact_duplicates", "link_sessions"]


@dataclass(frozen=True)
class SessionKeys:
    """Session ids matched by hash (candidates only: every use compares the strings).

    Attributes
    ----------
    shared : numpy.ndarray
        Per sessions row, True when another row has a session id of equal hash.
    session_of : numpy.ndarray
        Per adverse-events row, the first sessions row whose id has an equal hash (-1: none,
        or a blank id).
    """

    shared: np.ndarray
    session_of: np.ndarray


def session_keys(sessions: TableCheck, events: TableCheck) -> SessionKeys:
    """Sort the session ids once, as (hash prefix, row) keys packed in a uint64, and use it twice.

    Sorting plain integers is fast and lets go of the GIL. Equal prefixes are candidates, which
    the callers confirm on the strings themselves.
    """
    n = sessions.n
    shared = np.zeros(n, dtype=bool)
    session_of = np.full(events.n, -1, dtype=np.int64)
    if n == 0:
        return SessionKeys(shared, session_of)
    row_bits = max(1, n.bit_length(), events.n.bit_length())  # either table's rows fit
    row_mask = np.uint64((1 << row_bits) - 1)
    shift = np.uint64(row_bits)
    named = ~sessions.blank(Col.SESSION_ID)
    hashes = sessions.hashes[Col.SESSION_ID][named]
    keys = np.sort(((hashes >> shift) << shift) | np.flatnonzero(named).astype(np.uint64))
    prefixes = keys >> shift
    same_as_next = prefixes[1:] == prefixes[:-1]
    if same_as_next.any():
        repeated = np.zeros(len(keys), dtype=bool)
        repeated[1:] |= same_as_next
        repeated[:-1] |= same_as_next
        shared[(keys[repeated] & row_mask).astype(np.int64)] = True
    if events.n and len(keys):
        # the events as (hash prefix, row) keys too, sorted (a sort of plain integers, not an
        # argsort), so each finds its session in one ordered search
        wanted = np.sort(((events.hashes[Col.SESSION_ID] >> shift) << shift)
                         | np.arange(events.n, dtype=np.uint64))
        rows = (wanted & row_mask).astype(np.int64)
        wanted >>= shift
        at = np.minimum(np.searchsorted(prefixes, wanted), len(keys) - 1)
        found = (prefixes[at] == wanted) & ~events.blank(Col.SESSION_ID)[rows]
        session_of[rows[found]] = (keys[at[found]] & row_mask).astype(np.int64)  # first row
    return SessionKeys(shared, session_of)


def duplicate_candidates(check: TableCheck) -> np.ndarray:
    """Positions of the rows whose whole-row hash is shared (candidate exact duplicates)."""
    if check.n == 0:
        return np.zeros(0, dtype=np.int64)
    hashes = hash_rows([check.hashes[name] if name in check.hashes
                        else hash_codes(check.codes[name])  # codes are as good as a hash
                        for name in check.clean], check.n)
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.isin(hashes, repeated))


def check_sessions(check: TableCheck, shared: np.ndarray) -> None:
    """Exact duplicate rows (later copies) and session ids used by different rows."""
    if not shared.any():
        return
    subset = np.flatnonzero(shared)
    content = _content_key(check, subset)
    _exact_duplicates(check, subset, content)
    _conflicting_ids(check, subset, content)


def exact_duplicates(check: TableCheck, candidates: np.ndarray) -> None:
    """Quarantine later copies of a row among ``candidates`` (:func:`duplicate_candidates`)."""
    if len(candidates):
        _exact_duplicates(check, candidates, _content_key(check, candidates))


def link_sessions(check: TableCheck, sessions: TableCheck, keys: SessionKeys) -> None:
    """Quarantine events naming no session, or a quarantined one (naming its rows)."""
    if check.n == 0:
        return
    session_of = _verified(check, sessions, keys.session_of.copy())
    shared = keys.shared
    unknown = ~check.blank(Col.SESSION_ID) & (session_of < 0)
    check.problem(
        ADVERSE_EVENTS.column(Col.SESSION_ID), unknown,
        lambda v: f"{Col.SESSION_ID} {quote(v)} names no session of the {SESSIONS.name} table",
    )
    quarantined = sessions.findings.quarantined()
    orphaned = (session_of >= 0) & spread(quarantined, session_of, False)
    if not orphaned.any():
        return
    positions = np.flatnonzero(orphaned)
    # the rows of each session named: its first row, and any other row sharing its id
    first_rows = np.unique(session_of[positions])
    hashes = sessions.hashes[Col.SESSION_ID]
    others = np.flatnonzero(shared)
    others = others[np.isin(hashes[others], hashes[first_rows[shared[first_rows]]])]
    where = np.union1d(first_rows, others)
    rows_of: dict[str, list[str]] = defaultdict(list)
    ids = sessions.clean_at(Col.SESSION_ID, where).to_pylist()
    for session_id, row in zip(ids, sessions.rows[where].tolist(), strict=True):
        rows_of[session_id].append(str(row))

    def message(session_id: str) -> str:
        rows = rows_of[session_id]
        noun = "rows" if len(rows) > 1 else "row"
        return (f"its session {quote(session_id)} ({SESSIONS.name} {noun} {', '.join(rows)}) "
                "was quarantined")

    check.findings.reason(positions, messages(check.clean_at(Col.SESSION_ID, positions), message))


def _verified(events: TableCheck, sessions: TableCheck, session_of: np.ndarray) -> np.ndarray:
    """Keep the event -> session matches whose ids are really equal; look the others up."""
    matched = np.flatnonzero(session_of >= 0)
    if not len(matched):
        return session_of
    same = _same_text(events.clean[Col.SESSION_ID], matched,
                      sessions.clean[Col.SESSION_ID], session_of[matched])
    wrong = matched[~same]
    if len(wrong):  # a hash collision: find these few exactly
        found = pc.index_in(events.clean_at(Col.SESSION_ID, wrong),
                            value_set=sessions.clean[Col.SESSION_ID])
        session_of[wrong] = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return session_of


def _same_text(left: pa.Array, at_left: np.ndarray, right: pa.Array,
               at_right: np.ndarray) -> np.ndarray:
    """Whether the text of ``left`` at ``at_left`` equals that of ``right`` at ``at_right``
    (False where either is null).

    Keys all of one length (the usual case) are compared as fixed-width bytes, without taking
    the strings out; others by Arrow.
    """
    width = _one_width(left)
    if width is not None and width == _one_width(right):
        return _fixed(left, width)[at_left] == _fixed(right, width)[at_right]
    same = pc.equal(left.take(pa.array(at_left)), right.take(pa.array(at_right)))
    return pc.fill_null(same, False).to_numpy(zero_copy_only=False)


def _offsets(values: pa.Array) -> np.ndarray:
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    return np.frombuffer(values.buffers()[1], dtype=width, count=len(values) + 1,
                         offset=values.offset * np.dtype(width).itemsize)


def _one_width(values: pa.Array) -> int | None:
    """The byte length of every value, when there are values, none null and all as long."""
    if not len(values) or values.null_count or not (
            pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    lengths = np.diff(_offsets(values))
    width = int(lengths[0])
    return width if width > 0 and bool((lengths == width).all()) else None


def _fixed(values: pa.Array, width: int) -> np.ndarray:
    """The values (all ``width`` bytes long) as a numpy array of fixed-width bytes, no copy.

    Equal exactly when the texts are: numpy drops trailing NUL bytes before comparing, which
    keeps values of one length distinct.
    """
    offsets = _offsets(values)
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
    return data.view(f"S{width}")


def _content_key(check: TableCheck, subset: np.ndarray) -> np.ndarray:
    """An int64 per row of ``subset``, equal exactly when the rows' stripped values are."""
    key = np.zeros(len(subset), dtype=np.int64)
    bound = 1
    for name, clean in check.clean.items():
        if name in check.codes:
            codes = check.codes[name][subset]
        else:
            codes, _ = encode(clean.take(pa.array(subset)))
        width = int(codes.max(initial=0)) + 2
        if bound * width >= 2**62:  # renumber densely before the key could overflow
            key = pd.factorize(key)[0].astype(np.int64)
            bound = int(key.max(initial=0)) + 1
        key = key * width + codes + 1
        bound *= width
    return key


def _exact_duplicates(check: TableCheck, subset: np.ndarray, content: np.ndarray) -> None:
    """Quarantine later copies of a row: 'exact duplicate of row N'."""
    groups, distinct = pd.factorize(content)
    if len(distinct) == len(content):
        return
    first = np.empty(len(distinct), dtype=np.int64)
    first[groups[::-1]] = np.arange(len(groups))[::-1]  # the last write is the first row
    first_of_row = first[groups]
    later = first_of_row != np.arange(len(subset))
    if not later.any():
        return
    positions = subset[later]
    original = check.rows[subset[first_of_row[later]]]
    check.findings.reason(positions, join("exact duplicate of row ", as_text(original)))


def _conflicting_ids(check: TableCheck, subset: np.ndarray, content: np.ndarray) -> None:
    """Quarantine every row of a session id used by rows with different values.

    Only rows sharing a session id get here (normally none); naming the other rows of each is
    done with plain lists over that subset.
    """
    members: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    ids = check.clean_at(Col.SESSION_ID, subset).to_pylist()
    for session_id, key, row, position in zip(
            ids, content.tolist(), check.rows[subset].tolist(), subset.tolist(), strict=True):
        members[session_id].append((key, row, position))
    positions, found = [], []
    for session_id, group in members.items():
        if len({key for key, _, _ in group}) < 2:
            continue  # one content: exact copies only
        for key, _, position in group:
            others = [str(r) for k, r, _ in group if k != key]
            noun = "rows" if len(others) > 1 else "row"
            positions.append(position)
            found.append(
                f"{Col.SESSION_ID} {quote(session_id)} is also used by {noun} "
                f"{', '.join(others)} with different values"
            )
    check.findings.reason(np.array(positions, dtype=np.int64), pa.array(found, pa.string()))
