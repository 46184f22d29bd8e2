"""Refusing identifying data, and keeping personal details out of every message.

A bundle must be anonymised before it reaches ``outcomes``. Two checks run on the raw text tables
before any value is parsed (:func:`check_bundle`):

* **column names** that look identifying (a name, e-mail, phone, address, post code, date or
  year of birth, health-service, Medicare, social-security, National Insurance, medical-record,
  passport or national-id number, a user name), whatever their case, spacing or separators
  (``First Name``, ``first_names``, ``firstName``, ``Year Of Birth``, `` mobile ``);
* **identifier values** that look like an e-mail address, a phone number, an NHS number (its
  mod-11 check digit valid: ``943 476 5919``), a US social security number, a National Insurance
  number (``QQ 12 34 56 C``), a UK postcode (``SW1A 1AA``), a date (``1984-03-02``,
  ``02/03/1984``) or a person's name. What counts as a name depends on the column's
  :class:`IdRole`: in ``patient_id``, ``operator_id`` and ``session_id`` (keys of people and of
  their records: staff are people too) any value of two or more words of letters alone
  (``Jane Smith``, ``SMITH JOHN``, ``john smith``, ``john.smith``, ``smith_j``) or a title with
  a name (``Dr. Smith``) is one, since a pseudonymous key has digits (``P0001``, ``OP03``,
  ``S01512``); in ``clinic_id`` place
  names are allowed (``North Clinic``, ``Clínica Sévèrine``) and only a title with a name is
  refused, unless a place word follows (``Dr Smith Skin Clinic``).

Either raises :class:`~outcomes.errors.IdentifyingDataError` naming the file, the column and (for
values) the spreadsheet rows and the kind of value, without ever repeating the value itself.

The other columns are not refused for what they hold, but a value of theirs that could be a
personal detail is never repeated in a message, a rejects table or a warnings table
(:func:`personal_kinds` says which; :func:`withheld` is what is shown instead). There the
words of the contract (vocabulary values, column and scale names, "not known"...) are not taken
for a name, and dates are expected in date columns.

Every check is vectorised over Arrow arrays: keys of letters and digits that end with a digit,
and values of up to four characters, are passed without a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import IdentifyingDataError
from .failures import failure_cases
from .readers import RawBundle, RawTable, combine
from .schema import TABLES, Col, Column, ColumnKind, load_scales, vocabulary
from .schema import aliases as vocabulary_aliases
from .values import expected_values, range_text

__all__ = [
    "IdRole",
    "ID_ROLES",
    "KINDS",
    "VALUE_KINDS",
    "identifying_column",
    "identifying_values",
    "personal_kinds",
    "withheld",
    "withhold_values",
    "withhold_messages",
    "withheld_message",
    "check_bundle",
]

_NAME = "a person's name"
_EMAIL = "an e-mail address"
_PHONE = "a phone number"
_ADDRESS = "an address"
_POSTCODE = "a postcode"
_BIRTH = "a date of birth"
_DATE = "a date (such as a date of birth)"
_HEALTH = "a health-service number"
_NHS = "an NHS number"
_SSN = "a social security number"
_NI = "a National Insurance number"
_RECORD = "a medical record or hospital number"
_PASSPORT = "a passport number"
_NATIONAL = "a national identity number"
_INSURANCE = "an insurance number"
_LOGIN = "a user name or login"


class IdRole(StrEnum):
    """What the keys of an identifier column stand for, which decides what a name is there."""

    PERSON = "person"  # a person or a person's record: no name of any shape
    PLACE = "place"  # a place: place names allowed, a person's name with a title refused


#: The role of each identifier column (every other id column of the contract is ``PERSON``).
ID_ROLES: dict[str, IdRole] = {Col.CLINIC_ID: IdRole.PLACE}
#: Pseudonymous keys to suggest in messages, per identifier column.
_EXAMPLE_KEYS = {Col.PATIENT_ID: "P0001", Col.SESSION_ID: "S01512", Col.OPERATOR_ID: "OP03",
                 Col.CLINIC_ID: "C01 (or a place name such as North Clinic)"}

# ------------------------------------------------------------------------------ column names
# Column names, written without separators and in lower case, and what they would hold. A column
# is identifying when a run of its words joins to one of these, or to one of these and a final
# "s" (``first_names`` -> ``firstnames``), or when it is just ``name`` or ``names``.
_PEOPLE = ("first", "last", "full", "patient", "given", "family", "middle", "maiden", "client",
           "person", "sur", "fore", "operator", "staff", "practitioner", "clinician", "doctor",
           "nurse", "therapist", "customer", "contact", "nick", "christian", "birth")
_IDENTIFYING_WORDS: dict[str, str] = {
    **dict.fromkeys((*(f"{who}name" for who in _PEOPLE), "initials"), _NAME),
    **dict.fromkeys(("username", "login", "loginname", "screenname", "userlogin"), _LOGIN),
    **dict.fromkeys(("email", "emailaddress", "mail"), _EMAIL),
    **dict.fromkeys(
        ("phone", "phonenumber", "phoneno", "telephone", "telephonenumber", "tel", "telno",
         "mobile", "mobilenumber", "mobileno", "mobilephone", "cellphone", "cellnumber",
         "landline", "contactnumber", "contactno", "contactphone"),
        _PHONE,
    ),
    **dict.fromkeys(
        ("address", "homeaddress", "street", "postcode", "zip", "zipcode", "postalcode"),
        _ADDRESS,
    ),
    **dict.fromkeys(("dob", "dateofbirth", "birthdate", "birthday", "yearofbirth", "birthyear",
                     "yob", "monthofbirth", "birthmonth", "placeofbirth", "birthplace"), _BIRTH),
    **dict.fromkeys(
        ("nhs", "nhsnumber", "nhsno", "healthservicenumber", "chinumber", "healthnumber",
         "medicare", "medicarenumber", "medicareno", "medicaid", "medicaidnumber",
         "healthcardnumber"),
        _HEALTH,
    ),
    **dict.fromkeys(("ssn", "socialsecurity", "socialsecuritynumber"), _SSN),
    **dict.fromkeys(("mrn", "medicalrecord", "hospitalnumber", "hospitalno"), _RECORD),
    **dict.fromkeys(("passport", "passportnumber"), _PASSPORT),
    **dict.fromkeys(("nationalid", "nationalidnumber"), _NATIONAL),
    **dict.fromkeys(("nino", "ninumber", "nationalinsurance", "nationalinsurancenumber"), _NI),
    **dict.fromkeys(("insurancenumber", "insuranceno"), _INSURANCE),
}
_LONGEST_PHRASE = 4  # words, e.g. "social security number"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_COLUMN_WORD = re.compile(r"[a-z0-9]+")

# ------------------------------------------------------------------------- identifier values
# RE2 syntax, each matched against the whole stripped value.
_SPACE = r"[\s\x{a0}]"
_TITLES = "dr|doctor|mr|mrs|ms|miss|mx|prof|professor|sir|dame|rev|revd|lady|lord"
_NAME_WORD = r"\p{L}[\p{L}\p{M}'’.-]*"
_MORE_WORDS = "(?:,?" + _SPACE + "+" + _NAME_WORD + ")"
_BROAD_NAME = "^" + _NAME_WORD + _MORE_WORDS + "+$"  # two or more words of letters alone
# in the keys of people, letters joined by dots, underscores or hyphens too: "john.smith"
_JOINED_NAME = r"^\p{L}[\p{L}\p{M}'’]*(?:[\s\x{a0},._-]+\p{L}[\p{L}\p{M}'’]*)+\.?$"
_TITLED_NAME = (  # "Dr. Smith", "dr smith", "Mrs J. Smith", "Dr.Smith"
    "^(?i:" + _TITLES + r")(?:\." + _SPACE + "*|" + _SPACE + "+)" + _NAME_WORD
    + _MORE_WORDS + "*$"
)
_SCREEN_NAME = f"(?:{_BROAD_NAME})|(?:{_TITLED_NAME})"
_PERSON_NAME = f"(?:{_JOINED_NAME})|(?:{_TITLED_NAME})"
_PLACE_WORD = (  # in a clinic's key, a title with a place word is a place: "Dr Smith Clinic"
    r"(?i)(?:^|[^\p{L}])(?:clinic|clinica|clínica|klinik|centre|center|practice|surgery|"
    r"hospital|health|healthcare|medical|skin|aesthetics?|dermatology|laser|beauty|studio|"
    r"salon|spa|rooms?|house|branch|partners|group)s?(?:$|[^\p{L}])"
)
_YEAR, _MONTH = r"(?:1[89]|20)\d{2}", r"(?:0?[1-9]|1[0-2])"
_DAY, _MON = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_ORDINAL = "(?:st|nd|rd|th)?"
#: The kinds of personal detail recognised in values (ASCII patterns; names are apart), most
#: specific first: a value of two kinds is said to be of the first.
VALUE_KINDS: dict[str, str] = {
    _EMAIL: r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    _SSN: r"^\d{3}-\d{2}-\d{4}$",
    _NHS: r"^\d{3}[ -]?\d{3}[ -]?\d{4}$",  # and a valid check digit (_nhs_check)
    _NI: r"(?i)^[a-z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[a-d]$",
    _POSTCODE: r"(?i)^[a-pr-uwyz][a-hk-y]?\d[a-z\d]? ?\d[abd-hjlnp-uw-z]{2}$",
    _DATE: (
        rf"(?i)^(?:{_YEAR}[-/.]{_MONTH}[-/.]{_DAY}|{_DAY}[-/.]{_DAY}[-/.]{_YEAR}"
        rf"|{_DAY}[/.]{_DAY}[/.]\d{{2}}|{_DAY}{_ORDINAL}[ /.-]*{_MON}[a-z]*\.?[ ,/.-]*"
        rf"(?:{_YEAR}|\d{{2}})|{_MON}[a-z]*\.?[ /.-]*{_DAY}{_ORDINAL}[ ,/.-]*{_YEAR})$"
    ),
    _PHONE: (
        r"^(?:\+\d[\d ().-]{6,}\d|\(\d{2,5}\)[ .-]?\d[\d .-]{4,}\d|0(?:[ .-]?\d){9,10})$"
    ),
}
#: Every kind of personal detail :func:`identifying_values` and :func:`personal_kinds` give.
KINDS: tuple[str, ...] = (*VALUE_KINDS, _NAME)
_CODE = {kind: code for code, kind in enumerate(KINDS, start=1)}

_SHORTEST, _LONGEST = 5, 254  # bytes: no kind of personal detail is shorter or longer
_NHS_WEIGHTS = np.arange(10, 1, -1)
_ITEMS = "[;,()/|]"  # what separates the items of a list, or the parts of a remark
# Words that are not names in the columns that are not identifiers, besides the contract's own
_NOT_NAMES = ("not", "no", "none", "n", "a", "an", "the", "and", "or", "of", "to", "see",
              "unknown", "known", "applicable", "available", "recorded", "given", "missing",
              "data", "yes", "true", "false", "other", "na", "nil", "blank", "empty", "null",
              "left", "right", "face", "cheek", "forehead", "back", "scalp", "neck")

_FIRST_ROWS = 5
_TO_DO_COLUMN = (
    "Remove the column, or replace it with a pseudonymous key (such as P0001), and export "
    "the bundle again."
)
_TO_DO_VALUES = (
    "Identifier columns must hold pseudonymous keys, never personal details (the keys of staff "
    "too): replace these values with pseudonymous keys and export the bundle again. (The "
    "values are not repeated here, to keep them out of logs.)"
)


def identifying_column(name: str) -> str | None:
    """Return what a column name suggests it holds if it looks identifying, else ``None``.

    Case, spacing and separators do not matter: ``Date of Birth``, ``date_of_birth``,
    ``DateOfBirth`` and ``DOB`` all look like a date of birth, and ``Year Of Birth``,
    ``year-of-birth`` and ``YearOfBirth`` like one too.

    Parameters
    ----------
    name : str
        A column name as in the input file.

    Returns
    -------
    str or None
        For example ``"a date of birth"``, or ``None`` for a harmless name.

    Examples
    --------
    >>> identifying_column("Patient E-mail"), identifying_column(" first_names ")
    ('an e-mail address', "a person's name")
    >>> identifying_column("patient_id") is None, identifying_column("scale_name") is None
    (True, True)
    """
    words = _COLUMN_WORD.findall(_CAMEL.sub(" ", str(name)).lower())
    if words in (["name"], ["names"]):
        return _NAME
    for start in range(len(words)):
        for stop in range(start + 1, min(start + _LONGEST_PHRASE, len(words)) + 1):
            phrase = "".join(words[start:stop])
            kind = _IDENTIFYING_WORDS.get(phrase) or _IDENTIFYING_WORDS.get(
                phrase.removesuffix("s"))
            if kind is not None:
                return kind
    return None


def identifying_values(values: pa.Array, role: IdRole | str = IdRole.PERSON) -> np.ndarray:
    """Classify the values of an identifier column that look like personal details.

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        String values (nulls allowed); surrounding whitespace is ignored.
    role : IdRole or str, default ``"person"``
        What the keys stand for (:data:`ID_ROLES` gives each column's): with ``"person"`` any
        value of two or more words of letters alone (apart by spaces, commas, dots, underscores
        or hyphens), or a title with a name, is a person's name; with ``"place"`` only a title
        with a name and no place word is.

    Returns
    -------
    numpy.ndarray
        Object array of the same length: the kind of personal detail a value looks like (one of
        :data:`KINDS`), or ``None``.

    Examples
    --------
    >>> identifying_values(pa.array(["P0001", "john smith", "943 476 5919", "943 476 5918"]))
    array([None, "a person's name", 'an NHS number', None], dtype=object)
    >>> identifying_values(pa.array(["North Clinic", "Dr. Smith"]), "place")
    array([None, "a person's name"], dtype=object)
    """
    return _as_kinds(_kind_codes(values, IdRole(role).value, dates=True))


def personal_kinds(values: pa.Array, column: Column | None) -> np.ndarray:
    """Which values of a contract column could be personal details, never to be repeated.

    An identifier column is judged as by :func:`identifying_values`, with its role. In other
    columns, a date is one only outside date columns; words of letters (or a title with a name)
    are a name unless each word is a word of the contract (``acne scars``, ``not known``); and
    each part of a value (the items of a list, split at ``;``, ``,``, ``/``, ``|`` and
    parentheses) counts apart. Column names (``column=None``) are judged as the keys of
    a place: a title with a name is a name there, other words are not.

    Parameters
    ----------
    values : pyarrow.Array
        Text of the column (stripped or as read; nulls allowed).
    column : Column or None
        The contract column the values are from (``None`` for column names).

    Returns
    -------
    numpy.ndarray
        Object array of the same length: one of :data:`KINDS`, or ``None``.

    Examples
    --------
    >>> from outcomes.bundle.schema import SESSIONS
    >>> kinds = personal_kinds(pa.array(["Jane Smith", "acne scars", "07700 900123"]),
    ...                        SESSIONS.column("condition"))
    >>> kinds.tolist()
    ["a person's name", None, 'a phone number']
    """
    if column is None:
        return identifying_values(values, IdRole.PLACE)
    if column.kind == ColumnKind.ID:
        return identifying_values(values, ID_ROLES.get(column.name, IdRole.PERSON))
    dates = column.kind != ColumnKind.DATE
    codes = _kind_codes(values, "screen", dates)
    return _as_kinds(_with_items(_text(values), codes, dates))


def withheld(kind: str) -> str:
    """What a rejects or warnings table shows instead of a value that could be ``kind``.

    >>> withheld("a phone number")
    '(not shown: could be a phone number)'
    """
    return f"(not shown: could be {kind})"


def withhold_values(values: pa.Array, column: Column | None) -> pa.Array:
    """``values`` of ``column`` (``None`` for column names), each that could be a personal
    detail (:func:`personal_kinds`) replaced by :func:`withheld`.

    >>> from outcomes.bundle.schema import SESSIONS
    >>> withhold_values(pa.array(["pen", "Jane Smith"]), SESSIONS.column("device")).tolist()
    ['pen', "(not shown: could be a person's name)"]
    """
    values = _text(values)
    kinds = personal_kinds(values, column)
    if not any(kinds):
        return values
    shown = np.array([None if k is None else withheld(k) for k in kinds], dtype=object)
    return pc.if_else(pa.array(kinds != None), pa.array(shown, values.type), values)  # noqa: E711


def withhold_messages(values: pa.Array, column: Column, found: pa.Array) -> pa.Array:
    """``found`` (a message about each of ``values`` of ``column``) with the message of each
    value that could be a personal detail replaced by one that does not repeat it.

    >>> from outcomes.bundle.schema import SESSIONS
    >>> found = withhold_messages(pa.array(["07700 900123"]), SESSIONS.column("pain_vas"),
    ...                           pa.array(["pain_vas: '07700 900123' is not a number"]))
    >>> print(found[0].as_py().replace("; ", ";" + chr(10)))
    pain_vas: the value could be a phone number, so it is not repeated here;
    expected a number between 0 and 10 (keep personal details out of the export)
    """
    kinds = personal_kinds(values, column)
    if not any(kinds):
        return found
    made = {k: withheld_message(column, k) for k in set(kinds) if k is not None}
    shown = np.array([None if k is None else made[k] for k in kinds], dtype=object)
    return pc.if_else(pa.array(kinds != None), pa.array(shown, pa.string()),  # noqa: E711
                      found.cast(pa.string()))


def withheld_message(column: Column, kind: str) -> str:
    """The message about a bad value of ``column`` that could be ``kind``: what the column
    expects, without the value."""
    expects = _EXPECTS[column.kind](column)
    return (f"{column.name}: the value could be {kind}, so it is not repeated here; {expects} "
            "(keep personal details out of the export)")


#: What a column of each kind expects, for the messages that do not repeat a value.
_EXPECTS = {
    ColumnKind.ID: lambda c: "expected a pseudonymous key",
    ColumnKind.TEXT: lambda c: "expected text without personal details",
    ColumnKind.DATE: lambda c: "expected an ISO 8601 date (YYYY-MM-DD)",
    ColumnKind.VOCABULARY: lambda c: f"expected one of {expected_values(c.vocabulary)}",
    ColumnKind.SCALE: lambda c: "expected the name of a known scale",
    ColumnKind.NUMBER: lambda c: (
        f"expected a number {range_text(c.low, c.high, c.low_open, c.high_open)}"),
    ColumnKind.HOURS: lambda c: "expected a number of hours after the session (0 or more)",
    ColumnKind.BOOL: lambda c: "expected true/false, yes/no or 1/0",
    ColumnKind.LIST: lambda c: (
        f"expected items from: {', '.join(vocabulary(c.vocabulary))}, or none"),
}


def _as_kinds(codes: np.ndarray) -> np.ndarray:
    return np.array([None, *KINDS], dtype=object)[codes]


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One string array (a dictionary decoded, large strings and chunks as they come)."""
    values = combine(values)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    return values


def _offsets(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than values) and bytes of a string array, without copying."""
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], width)[values.offset:
                                                       values.offset + len(values) + 1]
    data = values.buffers()[2]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, data if len(data) else np.zeros(1, np.uint8)


def _suspects(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the values that could be of some kind, found without a regex, and whether
    each is ASCII letters and digits alone.

    A value shorter than :data:`_SHORTEST` bytes or longer than :data:`_LONGEST` is of no
    kind, nor is one of ASCII letters and digits only with at least one letter that ends with
    a digit (``P0001``, ``OP03``, ``a3f9c2``): it has no '@', no space, no separator, and no
    kind of letters and digits alone (postcodes, National Insurance numbers) ends with a digit.
    """
    offsets, data = _offsets(values)
    ends = offsets[1:]
    size = ends - offsets[:-1]
    last = data[np.maximum(ends - 1, 0)]
    joined = pc.fill_null(pc.ascii_is_alnum(values), False).to_numpy(zero_copy_only=False)
    plain = (size < _SHORTEST) | (size > _LONGEST)
    plain |= joined & (last >= ord("0")) & (last <= ord("9")) & ~pc.fill_null(
        pc.ascii_is_decimal(values), False).to_numpy(zero_copy_only=False)
    if values.null_count:
        plain |= pc.is_null(values).to_numpy(zero_copy_only=False)
    positions = np.flatnonzero(~plain)
    return positions, joined[positions]


# Classes of the first and last bytes of a value, which say which kinds it could be
_DIGIT, _LETTER, _OTHER, _MARK = 1, 2, 4, 8  # 0-9; a-z A-Z; non-ASCII; other ASCII bytes
_BYTE_CLASS = np.full(256, _MARK, dtype=np.uint8)
_BYTE_CLASS[ord("0"): ord("9") + 1] = _DIGIT
_BYTE_CLASS[[*range(ord("a"), ord("z") + 1), *range(ord("A"), ord("Z") + 1)]] = _LETTER
_BYTE_CLASS[128:] = _OTHER
_MONTH_INITIALS = np.zeros(256, dtype=bool)
_MONTH_INITIALS[list(b"jfmasondJFMASOND")] = True
_PHONE_INITIALS = np.zeros(256, dtype=bool)
_PHONE_INITIALS[list(b"+(0")] = True


def _feasible(values: pa.Array, joined: np.ndarray, dates: bool) -> dict[str, np.ndarray]:
    """For each kind, the values (stripped) whose length and first and last bytes it allows.

    Reading only the offsets and two bytes of each value (and whether it is letters and digits
    alone), this leaves each kind's pattern only the values it could match: no e-mail address
    ends with a digit, no National Insurance number or postcode with one, no phone number
    starts with a letter, no name is a single word...
    """
    offsets, data = _offsets(values)
    size = offsets[1:] - offsets[:-1]
    some = size > 0
    first_byte = np.where(some, data[np.minimum(offsets[:-1], len(data) - 1)], 0)
    last_byte, second_last, third_last = (
        np.where(size >= back, data[np.maximum(offsets[1:] - back, 0)], 0) for back in (1, 2, 3))
    first, last = _BYTE_CLASS[first_byte], _BYTE_CLASS[last_byte]
    digits = (first == _DIGIT) & (last == _DIGIT)
    lettered = (first & (_LETTER | _OTHER)) > 0
    # ``joined`` (letters and digits alone): no e-mail, date, name or social security number
    feasible = {
        _EMAIL: (last == _LETTER) & (size >= _SHORTEST) & ~joined,
        _SSN: digits & (size == 11) & ~joined,
        _NHS: digits & (size >= 10) & (size <= 12),
        _NI: (first == _LETTER) & (last == _LETTER) & (size >= 9) & (size <= 13)
        & ((_BYTE_CLASS[second_last] == _DIGIT) | np.isin(second_last, list(b" -"))),
        _POSTCODE: (first == _LETTER) & (last == _LETTER) & (size <= 8)
        & (_BYTE_CLASS[second_last] == _LETTER) & (_BYTE_CLASS[third_last] == _DIGIT),
        _PHONE: _PHONE_INITIALS[first_byte] & (last == _DIGIT) & (size >= 8),
        _NAME: lettered & ~joined & (((last & (_LETTER | _OTHER)) > 0)
                                      | (last_byte == ord("."))),
    }
    if dates:  # "1984-03-02", "2 March 1984", "March 2, 1984"
        feasible[_DATE] = (last == _DIGIT) & (size >= 6) & (size <= 24) & ~joined & (
            (first == _DIGIT) | _MONTH_INITIALS[first_byte])
    return {kind: feasible[kind] for kind in KINDS if kind in feasible}  # the most specific first


def _kind_codes(values: pa.Array, names: str, dates: bool) -> np.ndarray:
    """Per value, 0 for none or the code (``1 +`` index in :data:`KINDS`) of its kind (int8).

    ``names`` is ``"person"``, ``"place"`` (the :class:`IdRole`) or ``"screen"`` (a column that
    is not an identifier); ``dates`` whether a date is a personal detail there. Each kind's
    pattern runs only on the values with the characters it needs (:func:`_feasible`), and not
    on those a more specific kind has taken.
    """
    codes = np.zeros(len(values), dtype=np.int8)
    if len(values) == 0 or values.null_count == len(values):
        return codes
    values = _text(values)
    positions, joined = _suspects(values)
    if not len(positions):
        return codes
    candidates = pc.utf8_trim_whitespace(values.take(pa.array(positions)))
    found = np.zeros(len(candidates), dtype=np.int8)
    for kind, feasible in _feasible(candidates, joined, dates).items():
        at = np.flatnonzero(feasible & (found == 0))
        if not len(at):
            continue
        subset = candidates.take(pa.array(at))
        if kind == _NAME:
            hit = _names(subset, names)
        else:
            hit = _matches(subset, VALUE_KINDS[kind])
            if kind == _NHS and hit.any():
                hit[hit] = _nhs_check(subset.filter(pa.array(hit)))
        found[at[hit]] = _CODE[kind]
    codes[positions] = found
    return codes


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(
        zero_copy_only=False)


def _nhs_check(values: pa.Array) -> np.ndarray:
    """Whether NHS-shaped values (10 digits, maybe grouped 3-3-4) have a valid check digit.

    Modulus 11: the first nine digits weighted 10 down to 2; the check digit is 11 minus the
    remainder of their sum by 11 (0 for 11; no number has 10).

    >>> _nhs_check(pa.array(["943 476 5919", "9434765918", "401-023-2137"])).tolist()
    [True, False, True]
    """
    offsets, data = _offsets(pc.replace_substring_regex(values, r"[ -]", ""))
    digits = data[offsets[0]: offsets[-1]].reshape(-1, 10).astype(np.int64) - ord("0")
    check = (11 - (digits[:, :9] @ _NHS_WEIGHTS) % 11) % 11
    return check == digits[:, 9]


def _names(words: pa.Array, names: str) -> np.ndarray:
    """Which values (stripped, of letters and spaces or dots) are a person's name, for a
    column of kind ``names``."""
    if names == IdRole.PLACE:
        titled = _matches(words, _TITLED_NAME)
        if titled.any():
            titled[titled] = ~_matches(words.filter(pa.array(titled)), _PLACE_WORD)
        return titled
    named = _matches(words, _SCREEN_NAME if names == "screen" else _PERSON_NAME)
    if names == "screen" and named.any():
        named[named] = [not _contract_words_only(v) for v in words.filter(named).to_pylist()]
    return named


def _with_items(values: pa.Array, codes: np.ndarray, dates: bool) -> np.ndarray:
    """Codes of values, each of their parts (the items of a list) judged too: the most
    specific kind found wins."""
    parted = np.flatnonzero(_matches(values, _ITEMS)) if len(values) else []
    if not len(parted):
        return codes
    items = pc.split_pattern_regex(values.take(pa.array(parted)), _ITEMS)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(items))
    item_codes = _kind_codes(flat, "screen", dates)
    found = np.flatnonzero(item_codes)
    if not len(found):
        return codes
    parents = parted[pc.list_parent_indices(items).to_numpy()[found]]
    for parent, code in zip(parents[::-1], item_codes[found][::-1], strict=True):
        if codes[parent] == 0 or code < codes[parent]:
            codes[parent] = code
    return codes


def _contract_words_only(value: str) -> bool:
    """True when every word of ``value`` is a word of the contract (``acne scars``)."""
    return all(w in _contract_words() for w in _stems(value))


def _stems(text: str) -> list[str]:
    return [w.casefold().removesuffix("s") for w in re.findall(r"[^\W\d_]+", text)]


@cache
def _contract_words() -> frozenset[str]:
    """The words of vocabulary values and aliases, column and scale names, and
    :data:`_NOT_NAMES`."""
    texts = [*_NOT_NAMES, *load_scales()]
    for table in TABLES.values():
        for column in table.columns:
            texts.append(column.name)
            if column.vocabulary:
                texts += [*vocabulary(column.vocabulary), *vocabulary_aliases(column.vocabulary)]
    return frozenset(w for text in texts for w in _stems(text))


# ==================================================================================== refusal
@dataclass(frozen=True)
class _Finding:
    """An identifying column name (no rows) or identifier values (their spreadsheet rows)."""

    table: str
    where: str
    column: str
    kind: str
    rows: tuple[int, ...] = ()

    def describe(self) -> str:
        if not self.rows:
            return (
                f"{self.where}, column '{self.column}': the column name looks like it holds "
                f"{self.kind}, which identifies a person."
            )
        key = _EXAMPLE_KEYS.get(self.column)
        advice = f" Use a pseudonymous key such as {key} instead." if key else ""
        if len(self.rows) == 1:
            return (
                f"{self.where}, column {self.column}: row {self.rows[0]} holds a value that "
                f"looks like {self.kind}.{advice}"
            )
        first = self.rows[:_FIRST_ROWS]
        shown = ", ".join(str(r) for r in first)
        more = f" and {len(self.rows) - len(first)} more" if len(self.rows) > len(first) else ""
        return (
            f"{self.where}, column {self.column}: rows {shown}{more} hold values that look "
            f"like {self.kind}.{advice}"
        )

    def cases(self) -> list[tuple]:
        """Its rows of :attr:`BundleError.failure_cases` (the header is row 1; no values)."""
        if not self.rows:
            return [(self.table, self.column, 1, None,
                     f"the column name looks like it holds {self.kind}")]
        reason = f"the value looks like {self.kind}"
        return [(self.table, self.column, row, None, reason) for row in self.rows]


def check_bundle(bundle: RawBundle, pool: Executor | None = None,
                 wait: bool = True) -> Callable[[], None] | None:
    """Refuse a bundle holding identifying columns or identifier values that look personal.

    Every table is checked, and every finding is reported at once.

    Parameters
    ----------
    bundle : RawBundle
        The raw text tables (nothing has been parsed yet).
    pool : concurrent.futures.Executor, optional
        Threads to check several columns at once (the regular expressions release the GIL).
    wait : bool
        With ``False`` (and a pool), only the column names are checked before returning; the
        values are checked in the pool, and the function returned waits for them (and raises),
        so that the caller can give the pool other work meanwhile.

    Returns
    -------
    callable or None
        With ``wait=False``, what to call to finish the check; else ``None``.

    Raises
    ------
    IdentifyingDataError
        Naming each file and column, and for values the first spreadsheet rows and the kind of
        value (never the value itself), with what to do; its ``failure_cases`` hold every
        finding, one per column name or per row, with ``value`` always ``None``.
    """
    findings = [f for raw in bundle.tables.values() for f in _column_findings(raw)]
    if findings:
        _refuse(findings, _TO_DO_COLUMN)
    tasks = [
        (raw, column.name, position)
        for raw in bundle.tables.values()
        for column in TABLES[raw.name].columns if column.kind == ColumnKind.ID
        for position in raw.positions(column.name)
    ]
    if pool is None:
        found = [_value_findings(*task) for task in tasks]
    else:
        found = [pool.submit(_value_findings, *task) for task in tasks]

    def finish() -> None:
        per_column = [f.result() if isinstance(f, Future) else f for f in found]
        findings = [f for column in per_column for f in column]
        if findings:
            _refuse(findings, _TO_DO_VALUES)

    if not wait:
        return finish
    finish()
    return None


def _refuse(findings: list[_Finding], to_do: str) -> None:
    lines = [f.describe() for f in findings]
    head = "The bundle holds identifying data and was not loaded."
    raise IdentifyingDataError(head + "\n  " + "\n  ".join(lines) + "\n" + to_do,
                               failure_cases(c for f in findings for c in f.cases()))


def _column_findings(raw: RawTable) -> list[_Finding]:
    out = []
    for name in raw.header:
        kind = identifying_column(name)
        if kind is not None:
            out.append(_Finding(raw.name, raw.where, name, kind))
    return out


def _value_findings(raw: RawTable, column: str, position: int) -> list[_Finding]:
    role = ID_ROLES.get(column, IdRole.PERSON)
    codes = _kind_codes(raw.columns[position], role.value, dates=True)
    if not codes.any():
        return []
    out = []
    for kind in KINDS:
        rows = raw.rows[codes == _CODE[kind]]
        if len(rows):
            out.append(_Finding(raw.name, raw.where, column, kind, tuple(rows.tolist())))
    return out
