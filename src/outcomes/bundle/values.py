"""Reading cell text as values: numbers, dates, vocabulary words, yes/no, lists, and the messages
that say why a value is not one.

Columns arrive as Arrow string arrays (:mod:`outcomes.bundle.readers`). Numbers are parsed for a
whole column at once; columns whose values repeat are encoded (:func:`encode_stripped`) so that
each distinct value is judged once, by a ``judge_*`` function returning the typed value and
``None``, or a fill value and the message. Nothing here knows which table a column is in.

Dates and numbers are written with the ASCII digits 0-9. A value in other digits (full-width
``２０２４``, Arabic-Indic ``٢٠٢٤``), with a Unicode minus sign or dash, a superscript or an
invisible character is not read as the number it may look like: it is a bad value, and its
message names each such character (:func:`odd_characters`) and, when only digits, dashes and
invisible characters were foreign, gives the value in ASCII to type instead
(:func:`ascii_form`). Surrounding whitespace, non-breaking spaces included, is stripped.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..validators import number_text
from .schema import aliases, vocabulary
from .suggest import nearest

__all__ = [
    "TRUE_WORDS", "FALSE_WORDS", "NAT", "quote", "range_text", "outside", "encode",
    "encode_known", "encode_stripped", "strip", "coded", "code_dtype", "spread", "messages",
    "join", "as_text", "quick_numbers", "numbers", "judge_date", "judge_word", "judge_list",
    "expected_values", "vocabulary_lookup", "odd_characters", "ascii_form", "not_a_number",
]

#: Accepted spellings of a true / false boolean (case-insensitive).
TRUE_WORDS = ("true", "yes", "y", "1", "t")
FALSE_WORDS = ("false", "no", "n", "0", "f")
#: The missing date.
NAT = np.datetime64("NaT", "ns")

_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
# ASCII digits only (Python's \d also matches other scripts' digits, which numpy cannot
# read), and \Z, not $, which also matches before a final line break
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_YMD = re.compile(r"^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\Z", re.ASCII)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})\Z", re.ASCII)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\Z", re.ASCII)
_WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d", re.ASCII)
_PLAIN_NUMBER = re.compile(_NUMBER, re.ASCII)
#: Characters that stand for an ASCII one in an advice (dashes and minus signs, decimal points).
_LOOK_ALIKES = {
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"), "-"),
    **dict.fromkeys(map(ord, "\u066b\uff0e"), "."), ord("\uff0c"): ",", ord("\uff0b"): "+",
}
_SHOWN_ODD = 3
_FIRST_YEAR, _LAST_YEAR = 1678, 2261  # the years datetime64[ns] holds whole
_LIST_SEPARATORS = re.compile(r"[;,]")
_NONE_ITEM = "none"
_LIST_JOIN = ";"
_SHOWN_CHARS = 40


# =============================================================================== for messages
def quote(value: str) -> str:
    """Quote a value for a message, cut to a readable length.

    >>> quote("18/03/2024")
    "'18/03/2024'"
    """
    if len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS] + "…"
    return repr(value)


def range_text(low: float, high: float, low_open: bool = False, high_open: bool = False) -> str:
    """Describe an allowed range in words: 'between 0 and 10', 'more than 0', ...

    >>> range_text(0, 10), range_text(0, math.inf, low_open=True)
    ('between 0 and 10', 'more than 0')
    """
    has_low, has_high = math.isfinite(low), math.isfinite(high)
    if has_low and has_high and not (low_open or high_open):
        return f"between {number_text(low)} and {number_text(high)}"
    parts = []
    if has_low:
        parts.append(f"more than {number_text(low)}" if low_open else f"{number_text(low)} or more")
    if has_high:
        parts.append(
            f"less than {number_text(high)}" if high_open else f"{number_text(high)} or less")
    return " and ".join(parts) or "any number"


def outside(values: np.ndarray, low, high, low_open=False, high_open=False) -> np.ndarray:
    """True where a (non-NaN) value lies outside the range; ``low``/``high`` may be arrays."""
    with np.errstate(invalid="ignore"):
        below = values <= low if low_open else values < low
        above = values >= high if high_open else values > high
    return ~np.isnan(values) & (below | above)


def messages(values: pa.Array, make: Callable[[str], str]) -> pa.Array:
    """Build one message per value, calling ``make`` once per distinct value."""
    if len(values) == 0:
        return pa.array([], pa.string())
    codes, distinct = encode(values)
    made = np.array([make(v) for v in distinct] + [None], dtype=object)
    return pa.array(made[codes], pa.string())  # a null value (code -1) gets no message


def odd_characters(value: str) -> str:
    """Name the characters of ``value`` outside ASCII, for a message (``""`` when none).

    >>> odd_characters("２０２４-03-18")
    "'２' (U+FF12 FULLWIDTH DIGIT TWO), '０' (U+FF10 FULLWIDTH DIGIT ZERO) and '４' (U+FF14 \
FULLWIDTH DIGIT FOUR)"
    >>> odd_characters("\u22122"), odd_characters("2.5")
    ("'−' (U+2212 MINUS SIGN)", '')
    """
    odd = list(dict.fromkeys(c for c in value if not c.isascii()))
    if not odd:
        return ""
    named = [_character(c) for c in odd[:_SHOWN_ODD]]
    if len(odd) > _SHOWN_ODD:
        named.append(f"{len(odd) - _SHOWN_ODD} more")
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _character(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


def ascii_form(value: str) -> str | None:
    """``value`` with other scripts' digits as 0-9, dashes and minus signs as ``-`` and
    invisible characters left out, when that leaves plain ASCII; else ``None``.

    Superscripts, fractions and letters are not translated: what they stand for is a guess.

    >>> ascii_form("２０２４-03-18"), ascii_form("\u22121٫5"), ascii_form("2²"), ascii_form("7")
    ('2024-03-18', '-1.5', None, None)
    """
    if value.isascii():
        return None
    out = []
    for char in value:
        if unicodedata.category(char) == "Nd":
            out.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) != "Cf":  # zero-width spaces and joiners, BOM
            out.append(char.translate(_LOOK_ALIKES))
    text = "".join(out).strip()
    return text if text.isascii() and text else None


def not_a_number(name: str, value: str, what: str = "a number",
                 decimal_comma: bool = False) -> str:
    """The message of a value of column ``name`` that is not a number (``what``), in a file
    whose decimal point is ``,`` when ``decimal_comma``.

    >>> not_a_number("pain_vas", "about 4")
    "pain_vas: 'about 4' is not a number"
    >>> not_a_number("pain_vas", "\u22122")
    "pain_vas: '−2' is not a number, it holds '−' (U+2212 MINUS SIGN): write it with the \
digits 0-9, '.' and '-', as -2"
    >>> not_a_number("pain_vas", "٢٫٥", decimal_comma=True)[-35:]
    "the digits 0-9, ',' and '-', as 2,5"
    """
    message = f"{name}: {quote(value)} is not {what}"
    odd = odd_characters(value)
    if not odd:
        return message
    point = "," if decimal_comma else "."
    plain = ascii_form(value)
    if plain is not None and decimal_comma:
        plain = plain.replace(".", ",")
    if plain is not None and _PLAIN_NUMBER.match(plain.replace(point, ".")):
        advice = f"as {plain}"
    else:
        advice = "and nothing else"
    return (f"{message}, it holds {odd}: write it with the digits 0-9, '{point}' and '-', "
            f"{advice}")


def join(*parts) -> pa.Array:
    """Concatenate, element-wise, string arrays and plain strings (at least one array)."""
    return pc.binary_join_element_wise(*parts, "")


def as_text(numbers: np.ndarray) -> pa.Array:
    """Numbers written in their shortest form (``5``, ``2.5``)."""
    return pc.cast(pa.array(numbers), pa.string())


# ================================================================================ column text
def encode(values: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Return codes (int32, -1 for null) and the distinct values they point to."""
    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int32, copy=False), encoded.dictionary.to_pylist()


def encode_known(text: pa.Array, known: tuple[str, ...]) -> tuple[np.ndarray, list[str]] | None:
    """Codes into ``known`` when every value is spelled exactly as one of them, else ``None``.

    The usual case (clean exports), and cheaper than encoding: the codes are then the
    positions in ``known``, which callers can use as they are.
    """
    if pa.types.is_dictionary(text.type):  # look up the distinct values only
        found = pc.index_in(text.dictionary, value_set=pa.array(known, pa.string()))
        if found.null_count:  # some value is spelled otherwise
            return None
        per_value = found.to_numpy(zero_copy_only=False).astype(np.int32)
        return spread(per_value, _indices(text), -1), list(known)
    found = pc.index_in(text, value_set=pa.array(known, pa.string()))
    if found.null_count != text.null_count:  # some value is spelled otherwise
        return None
    codes = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int32, copy=False), list(known)


def _indices(text: pa.DictionaryArray) -> np.ndarray:
    """The codes of a dictionary array (int32), -1 for null."""
    codes = pc.fill_null(text.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int32, copy=False)


def encode_stripped(text: pa.Array) -> tuple[np.ndarray, list[str], pa.DictionaryArray]:
    """Codes of the stripped values (-1 for blank), the distinct stripped values, and the text
    as read, dictionary-encoded (the same values, held as codes into its distinct values).

    Only the distinct values are stripped, so ``' pen'`` and ``'pen'`` get one code. Text
    dictionary-encoded already (as read from a CSV file) is taken as it is.
    """
    encoded = text if pa.types.is_dictionary(text.type) else pc.dictionary_encode(text)
    codes = _indices(encoded)
    distinct = encoded.dictionary.to_pylist()
    stripped = [v.strip() or None for v in distinct]
    if stripped == distinct and len(set(distinct)) == len(distinct):  # the codes stand
        return codes, distinct, encoded
    import pandas as pd  # here, so that the readers need not wait for pandas

    recode, values = pd.factorize(np.array(stripped, dtype=object), use_na_sentinel=True)
    return spread(recode.astype(np.int32), codes, -1), list(values), encoded


def strip(text: pa.Array) -> pa.Array:
    """Text without surrounding whitespace; blank cells as null."""
    if pc.all(pc.ascii_is_alnum(text)).as_py() is not False:  # nothing to strip (or all null)
        return text
    stripped = pc.utf8_trim_whitespace(text)
    empty = pc.equal(stripped, "")
    if pc.any(empty).as_py():
        stripped = pc.if_else(empty, pa.scalar(None, pa.string()), stripped)
    return stripped


def coded(codes: np.ndarray, distinct: list[str]) -> pa.DictionaryArray:
    """The text of coded values as an Arrow dictionary array (null where the code is -1).

    The indices are ``codes`` themselves (int32), not a copy.

    >>> coded(np.array([1, -1, 0], dtype=np.int32), ["a", "b"]).dictionary_decode().tolist()
    ['b', None, 'a']
    """
    codes = np.ascontiguousarray(codes, dtype=np.int32)
    present = codes >= 0
    missing = len(codes) - int(np.count_nonzero(present))
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if missing else None
    indices = pa.Array.from_buffers(pa.int32(), len(codes), [validity, pa.py_buffer(codes)],
                                    null_count=missing)
    return pa.DictionaryArray.from_arrays(indices, pa.array(distinct, pa.string()))


def code_dtype(n_categories: int) -> np.dtype:
    """The integer type pandas uses for the codes of ``n_categories`` categories."""
    return np.dtype(np.int8 if n_categories < 127 else np.int16 if n_categories < 32767
                    else np.int32)


def spread(per_value: np.ndarray, codes: np.ndarray, fill) -> np.ndarray:
    """Give each row the entry of its distinct value; ``fill`` for nulls (code -1)."""
    extended = np.empty(len(per_value) + 1, dtype=per_value.dtype)
    extended[:-1] = per_value
    extended[-1] = fill
    return extended[codes]


# ==================================================================================== numbers
def quick_numbers(text: pa.Array, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse a column in one cast when every cell is a finite number or null, else ``None``."""
    if decimal_comma:
        text = pc.replace_substring(text, ",", ".")
    try:
        parsed = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        return None
    if parsed.null_count or not len(parsed):  # a copy, the nulls as NaN
        values = parsed.to_numpy(zero_copy_only=False)
    else:  # the numbers the cast made, which nothing else holds: written in place later
        values = np.frombuffer(parsed.buffers()[1], np.float64, count=len(parsed),
                               offset=parsed.offset * 8)
    if not values.flags.writeable:
        values = values.copy()
    # nulls are NaN here (a NaN from the text is "nan" itself): every other value finite
    if np.count_nonzero(np.isfinite(values)) != len(values) - parsed.null_count:
        return None
    return values, np.zeros(len(values), dtype=bool)


def numbers(text: pa.Array, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped text as float64; return (values with NaN, mask of non-numbers)."""
    if decimal_comma:
        text = pc.replace_substring(text, ",", ".")
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    try:  # Arrow's grammar is _NUMBER plus nan/inf, which the finiteness test catches
        values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    except pa.ArrowInvalid:
        pass
    else:
        not_number = present & ~np.isfinite(values)
        values[not_number] = np.nan
        return values, not_number
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    parsed = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = parsed.to_numpy(zero_copy_only=False).astype(np.float64)
    not_number = present & ~(ok.to_numpy(zero_copy_only=False) & np.isfinite(values))
    values[not_number] = np.nan
    return values, not_number


# ====================================================================== judging distinct values
def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_advice(value: str) -> str:
    """Suggest the ISO form of a non-ISO date, only when that is not a guess."""
    with_time = _WITH_TIME.match(value)
    if with_time and _iso(*map(int, with_time.group(1).split("-"))):
        return f"give the date alone, as {with_time.group(1)}"
    ymd = _YMD.match(value) or _COMPACT.match(value)
    if ymd:
        iso = _iso(int(ymd[1]), int(ymd[2]), int(ymd[3]))
        if iso:
            return f"write it as {iso}"
    dmy = _DMY.match(value)
    if dmy:
        a, b, year = int(dmy[1]), int(dmy[2]), int(dmy[3])
        day_first, month_first = _iso(year, b, a), _iso(year, a, b)
        if day_first and month_first and day_first != month_first:
            return (
                f"write it as {day_first} if the day comes first or {month_first} if the "
                "month comes first"
            )
        if day_first or month_first:
            return f"write it as {day_first or month_first}"
    return "write it as YYYY-MM-DD"


def judge_date(name: str, value: str) -> tuple[np.datetime64, str | None]:
    """The date of an ISO ``YYYY-MM-DD`` value of column ``name``, or NaT and why not.

    A date in other digits than 0-9, or with another dash than ``-``, is not one: the message
    names the characters.

    >>> judge_date("session_date", "18/03/2024")[1]
    "session_date: '18/03/2024' is not an ISO 8601 date (YYYY-MM-DD), write it as 2024-03-18"
    >>> judge_date("session_date", "2024\u201103\u201118")[1]
    "session_date: '2024‑03‑18' is not an ISO 8601 date (YYYY-MM-DD), it holds '‑' (U+2011 \
NON-BREAKING HYPHEN): use the digits 0-9 and '-', write it as 2024-03-18"
    """
    match = _ISO_DATE.match(value)
    if not match:
        odd = odd_characters(value)
        if odd:
            plain = ascii_form(value)
            advice = _date_advice(plain) if plain else "write it as YYYY-MM-DD"
            return NAT, (
                f"{name}: {quote(value)} is not an ISO 8601 date (YYYY-MM-DD), it holds {odd}: "
                f"use the digits 0-9 and '-', {advice}"
            )
        return NAT, (
            f"{name}: {quote(value)} is not an ISO 8601 date (YYYY-MM-DD), "
            f"{_date_advice(value)}"
        )
    year = int(match[1])
    if _iso(year, int(match[2]), int(match[3])) is None:
        return NAT, f"{name}: {quote(value)} is not a real date, check the day and month"
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return NAT, (
            f"{name}: {quote(value)} has a year outside {_FIRST_YEAR}-{_LAST_YEAR}, "
            "check the year"
        )
    return np.datetime64(value, "ns"), None


def judge_word(lookup: Mapping[str, int],
               unknown: Callable[[str], str]) -> Callable[[str], tuple[int, str | None]]:
    """A judge of words: the code of a value in ``lookup`` (keys casefolded), or -1 and the
    message ``unknown(value)``.

    >>> judge = judge_word({"yes": 1, "no": 0}, lambda v: f"{v!r} is not yes or no")
    >>> judge("Yes"), judge("maybe")
    ((1, None), (-1, "'maybe' is not yes or no"))
    """
    def judge(value: str) -> tuple[int, str | None]:
        code = lookup.get(value.casefold())
        if code is None:
            return -1, unknown(value)
        return code, None

    return judge


def expected_values(name: str) -> str:
    """The values of vocabulary ``name`` and their aliases, as a message lists them."""
    allowed = ", ".join(vocabulary(name))
    extra = aliases(name)
    if extra:
        allowed += ", or " + ", ".join(extra)
    return allowed


def vocabulary_lookup(name: str) -> dict[str, int]:
    """Casefolded spellings (values and aliases) of vocabulary ``name`` -> code of the value."""
    values = vocabulary(name)
    lookup = {v.casefold(): i for i, v in enumerate(values)}
    for alias, value in aliases(name).items():
        lookup[alias.casefold()] = values.index(value)
    return lookup


def judge_list(name: str, value: str, allowed: list[str]) -> tuple[str | None, str | None]:
    """The normalised ``;``-joined items of a list value of column ``name``, or why not.

    Items are separated by ``;`` or ``,``; ``none`` alone is the empty list.

    >>> judge_list("contraindications", "Pregnancy, isotretinoin", ["isotretinoin", "pregnancy"])
    ('isotretinoin;pregnancy', None)
    """
    items = [i.strip().casefold() for i in _LIST_SEPARATORS.split(value)]
    items = [i for i in items if i]
    if not items:
        return None, None
    unknown = [i for i in items if i not in allowed and i != _NONE_ITEM]
    if unknown:
        near = [f"{i!r} for {n[0]!r}" for i in unknown for n in [nearest(i, allowed)] if n]
        hint = f", did you mean {', '.join(near)}?" if near else ""
        return None, (
            f"{name}: {quote(value)} has unknown item(s) {', '.join(map(repr, unknown))}{hint} "
            f"(expected items from: {', '.join(allowed)}, or none)"
        )
    if _NONE_ITEM in items:
        if set(items) != {_NONE_ITEM}:
            return None, f"{name}: {quote(value)} says 'none' together with other items"
        return "", None
    chosen = set(items)
    return _LIST_JOIN.join(a for a in allowed if a in chosen), None
