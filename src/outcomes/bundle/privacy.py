"""Refusing identifying data: columns that look identifying, and identifiers that look personal.

A bundle must be anonymised before it reaches ``outcomes``. Two checks run on the raw text tables
before any value is parsed:

* **column names** that look identifying (a name, e-mail, phone, address, post code, date of
  birth, health-service, social-security, medical-record, passport, national-id or insurance
  number), whatever their case or separators (``First Name``, ``first_name``, ``firstName``);
* **identifier values** (``patient_id``, ``session_id``, ``clinic_id``, ``operator_id``) that look
  like an e-mail address, a phone number, an NHS-style 10-digit number, a US social security
  number or a person's name (``Jane Smith``). Pseudonymous keys such as ``P0001``, ``pt-17`` or
  ``a3f9c2`` pass.

Either raises :class:`~outcomes.errors.IdentifyingDataError` naming the file, the column and (for
values) the spreadsheet rows and the kind of value, without ever repeating the value itself.
"""

from __future__ import annotations

import re
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import IdentifyingDataError
from .failures import failure_cases
from .readers import RawBundle, RawTable
from .schema import TABLES

__all__ = [
    "identifying_column",
    "identifying_values",
    "check_bundle",
    "VALUE_KINDS",
    "ID_KIND",
]

#: Kind of contract column whose values are checked.
ID_KIND = "id"

_NAME = "a person's name"
_EMAIL = "an e-mail address"
_PHONE = "a phone number"
_ADDRESS = "an address"
_BIRTH = "a date of birth"
_HEALTH = "a health-service number"
_SSN = "a social security number"
_RECORD = "a medical record or hospital number"
_PASSPORT = "a passport number"
_NATIONAL = "a national identity number"
_INSURANCE = "an insurance number"

# Column names, written without separators and in lower case, and what they would hold. A column
# is identifying when a run of its words joins to one of these (``date_of_birth`` ->
# ``dateofbirth``), or when it is just ``name``.
_IDENTIFYING_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("firstname", "lastname", "fullname", "patientname", "givenname", "familyname",
         "middlename", "maidenname", "clientname", "personname", "surname", "forename",
         "forenames", "initials"),
        _NAME,
    ),
    **dict.fromkeys(("email", "emailaddress", "mail"), _EMAIL),
    **dict.fromkeys(
        ("phone", "phonenumber", "telephone", "tel", "mobile", "mobilenumber", "cellphone"),
        _PHONE,
    ),
    **dict.fromkeys(
        ("address", "homeaddress", "street", "postcode", "zip", "zipcode", "postalcode"),
        _ADDRESS,
    ),
    **dict.fromkeys(("dob", "dateofbirth", "birthdate", "birthday"), _BIRTH),
    **dict.fromkeys(
        ("nhs", "nhsnumber", "nhsno", "healthservicenumber", "chinumber", "healthnumber"),
        _HEALTH,
    ),
    **dict.fromkeys(("ssn", "socialsecurity", "socialsecuritynumber"), _SSN),
    **dict.fromkeys(("mrn", "medicalrecord", "hospitalnumber", "hospitalno"), _RECORD),
    **dict.fromkeys(("passport", "passportnumber"), _PASSPORT),
    **dict.fromkeys(("nationalid", "nationalidnumber", "nino"), _NATIONAL),
    **dict.fromkeys(("insurancenumber", "nationalinsurance", "insuranceno"), _INSURANCE),
}
_LONGEST_PHRASE = 4  # words, e.g. "social security number"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")

# Identifier values (RE2 syntax, matched against the whole stripped value), most specific first.
_NAME_WORD = r"\p{Lu}(?:\.|[\p{L}'’-]*\p{Ll})"
VALUE_KINDS: dict[str, str] = {
    _EMAIL: r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    _SSN: r"^\d{3}-\d{2}-\d{4}$",
    "an NHS-style 10-digit number": r"^\d{3}[ -]?\d{3}[ -]?\d{4}$",
    _PHONE: (
        r"^(?:\+\d[\d ().-]{6,}\d|\(\d{2,5}\)[ .-]?\d[\d .-]{4,}\d|0(?:[ .-]?\d){9,10})$"
    ),
    _NAME: rf"^{_NAME_WORD}(?:,? +{_NAME_WORD})+$",
}
# Every kind but names is ASCII and quick to compile; the name pattern (Unicode letter classes,
# slow to compile) only runs on values holding a space, which pseudonymous keys rarely do.
_ANY_KIND = r"^\s*(?:" + "|".join(
    p.strip("^$") for k, p in VALUE_KINDS.items() if k != _NAME) + r")\s*$|\S\s+\S"
_FIRST_ROWS = 5

_TO_DO_COLUMN = (
    "Remove the column, or replace it with a pseudonymous key (such as P0001), and export "
    "the bundle again."
)
_TO_DO_VALUES = (
    "Identifier columns must hold pseudonymous keys (such as P0001), never personal details: "
    "replace these values with pseudonymous keys and export the bundle again. (The values are "
    "not repeated here, to keep them out of logs.)"
)


def identifying_column(name: str) -> str | None:
    """Return what a column name suggests it holds if it looks identifying, else ``None``.

    Case and separators do not matter: ``Date of Birth``, ``date_of_birth``, ``DateOfBirth``
    and ``DOB`` all look like a date of birth.

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
    >>> identifying_column("Patient E-mail")
    'an e-mail address'
    >>> identifying_column("patient_id") is None
    True
    """
    words = _WORD.findall(_CAMEL.sub(" ", str(name)).lower())
    if words == ["name"]:
        return _NAME
    for start in range(len(words)):
        for stop in range(start + 1, min(start + _LONGEST_PHRASE, len(words)) + 1):
            kind = _IDENTIFYING_WORDS.get("".join(words[start:stop]))
            if kind is not None:
                return kind
    return None


def identifying_values(values: pa.Array) -> np.ndarray:
    """Classify identifier values that look like personal details.

    Parameters
    ----------
    values : pyarrow.Array
        String values (nulls allowed); surrounding whitespace is ignored.

    Returns
    -------
    numpy.ndarray
        Object array of the same length: the kind of personal detail a value looks like (one of
        the keys of :data:`VALUE_KINDS`), or ``None``.
    """
    kinds = np.array([None, *VALUE_KINDS], dtype=object)
    return kinds[_kind_codes(values)]


def _suspects(values: pa.Array) -> np.ndarray:
    """Positions of the values that could be of some kind, found without a regex.

    A value of ASCII letters and digits only, with at least one letter, has no '@', no space
    and no run of digits alone: no kind can match it (``P0001``, ``a3f9c2``).
    """
    plain_key = pc.and_(pc.ascii_is_alnum(values), pc.invert(pc.ascii_is_decimal(values)))
    return np.flatnonzero(~pc.fill_null(plain_key, True).to_numpy(zero_copy_only=False))


def _kind_codes(values: pa.Array) -> np.ndarray:
    """Per value, 0 for none or ``1 + index`` of its kind in :data:`VALUE_KINDS` (int8)."""
    codes = np.zeros(len(values), dtype=np.int8)
    if len(values) == 0 or values.null_count == len(values):
        return codes
    positions = _suspects(values)
    if not len(positions):
        return codes
    suspects = values.take(pa.array(positions))
    hits = pc.fill_null(pc.match_substring_regex(suspects, _ANY_KIND), False).to_numpy(
        zero_copy_only=False
    )
    if not hits.any():
        return codes
    positions = positions[hits]
    candidates = pc.utf8_trim_whitespace(suspects.filter(pa.array(hits)))
    for code, kind in reversed(list(enumerate(VALUE_KINDS, start=1))):  # most specific wins
        mask = pc.match_substring_regex(candidates, VALUE_KINDS[kind])
        if kind == _NAME:
            mask = pc.and_(mask, pc.match_substring_regex(candidates, r"\p{Ll}"))
        matched = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        codes[positions[matched]] = code
    return codes


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
        if len(self.rows) == 1:
            return (
                f"{self.where}, column {self.column}: row {self.rows[0]} holds a value that "
                f"looks like {self.kind}."
            )
        first = self.rows[:_FIRST_ROWS]
        shown = ", ".join(str(r) for r in first)
        more = f" and {len(self.rows) - len(first)} more" if len(self.rows) > len(first) else ""
        return (
            f"{self.where}, column {self.column}: rows {shown}{more} hold values that look "
            f"like {self.kind}."
        )

    def cases(self) -> list[tuple]:
        """Its rows of :attr:`BundleError.failure_cases` (the header is row 1; no values)."""
        if not self.rows:
            return [(self.table, self.column, 1, None,
                     f"the column name looks like it holds {self.kind}")]
        reason = f"the value looks like {self.kind}"
        return [(self.table, self.column, row, None, reason) for row in self.rows]


def check_bundle(bundle: RawBundle, pool: Executor | None = None) -> None:
    """Refuse a bundle holding identifying columns or identifier values that look personal.

    Every table is checked, and every finding is reported at once.

    Parameters
    ----------
    bundle : RawBundle
        The raw text tables (nothing has been parsed yet).
    pool : concurrent.futures.Executor, optional
        Threads to check several columns at once (the regular expressions release the GIL).

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
        for column in TABLES[raw.name].columns if column.kind == ID_KIND
        for position in raw.positions(column.name)
    ]
    mapper = map if pool is None else pool.map
    found = mapper(lambda task: _value_findings(*task), tasks)
    findings = [f for per_column in found for f in per_column]
    if findings:
        _refuse(findings, _TO_DO_VALUES)


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
    codes = _kind_codes(raw.columns[position])
    if not codes.any():
        return []
    out = []
    for code, kind in enumerate(VALUE_KINDS, start=1):
        rows = raw.rows[codes == code]
        if len(rows):
            out.append(_Finding(raw.name, raw.where, column, kind, tuple(rows.tolist())))
    return out
