"""Dates and numbers in odd Unicode (full-width or Arabic-Indic digits, a Unicode minus sign, a
non-breaking hyphen, superscripts, invisible characters) get the contract's message naming the
character, never a traceback; any text at all in a date or number column either parses or is
quarantined (required) or blanked with a warning (optional)."""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.bundles import valid_tables, write_bundle

from outcomes import Col, load_bundle
from outcomes.bundle.values import ascii_form, judge_date, not_a_number, numbers, quote, strip
from outcomes.errors import DataQualityWarning, OutcomesError

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=25)

FULL_WIDTH = "２０２４-03-18"


def load_quietly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path)


def _sessions_with(column: str, value: str, fmt: str, folder: Path):
    tables = valid_tables()
    tables["sessions"][column][0] = value
    return load_quietly(write_bundle(folder, tables, fmt))


# ============================================================================= the messages
@pytest.mark.parametrize("fmt", ["csv", "semicolon", "parquet", "xlsx"])
def test_a_full_width_date_is_quarantined_naming_the_characters(tmp_path, fmt):
    log = _sessions_with(Col.SESSION_DATE, FULL_WIDTH, fmt, tmp_path)
    rejects = log.rejects["sessions"]
    assert rejects[Col.ROW].tolist() == [2]
    assert rejects[Col.REASON].iloc[0] == (
        "session_date: '２０２４-03-18' is not an ISO 8601 date (YYYY-MM-DD), it holds '２' "
        "(U+FF12 FULLWIDTH DIGIT TWO), '０' (U+FF10 FULLWIDTH DIGIT ZERO) and '４' (U+FF14 "
        "FULLWIDTH DIGIT FOUR): use the digits 0-9 and '-', write it as 2024-03-18")


@pytest.mark.parametrize(("value", "holds", "advice"), [
    ("٢٠٢٤-٠٣-١٨", "'٢' (U+0662 ARABIC-INDIC DIGIT TWO), '٠' (U+0660 ARABIC-INDIC DIGIT ZERO), "
     "'٤' (U+0664 ARABIC-INDIC DIGIT FOUR) and 3 more", "write it as 2024-03-18"),
    ("۲۰۲۴-03-18", "'۲' (U+06F2 EXTENDED ARABIC-INDIC DIGIT TWO), '۰' (U+06F0 EXTENDED "
     "ARABIC-INDIC DIGIT ZERO) and '۴' (U+06F4 EXTENDED ARABIC-INDIC DIGIT FOUR)",
     "write it as 2024-03-18"),
    ("2024\u201103\u201118", "'‑' (U+2011 NON-BREAKING HYPHEN)", "write it as 2024-03-18"),
    ("2024\u221203\u221218", "'−' (U+2212 MINUS SIGN)", "write it as 2024-03-18"),
    ("2024-03-18\u200b", "'\\u200b' (U+200B ZERO WIDTH SPACE)", "write it as 2024-03-18"),
    ("2024-03-1\u00b2", "'²' (U+00B2 SUPERSCRIPT TWO)", "write it as YYYY-MM-DD"),
    ("１８/０３/２０２４",
     "'１' (U+FF11 FULLWIDTH DIGIT ONE), '８' (U+FF18 FULLWIDTH DIGIT EIGHT), "
     "'０' (U+FF10 FULLWIDTH DIGIT ZERO) and 3 more", "write it as 2024-03-18"),
    ("１２／０３／２０２４",
     "'１' (U+FF11 FULLWIDTH DIGIT ONE), '２' (U+FF12 FULLWIDTH DIGIT TWO), "
     "'／' (U+FF0F FULLWIDTH SOLIDUS) and 3 more", "write it as YYYY-MM-DD"),
])
def test_dates_in_other_digits_or_dashes_name_the_character(value, holds, advice):
    date, message = judge_date("assessment_date", value)
    assert np.isnat(date)
    assert message == (
        f"assessment_date: {value!r} is not an ISO 8601 date (YYYY-MM-DD), it holds {holds}: "
        f"use the digits 0-9 and '-', {advice}")


def test_a_date_in_other_digits_gets_no_guess_between_day_and_month_first():
    _, message = judge_date("session_date", "١٢/٠٣/٢٠٢٤")
    assert message.endswith("write it as 2024-03-12 if the day comes first or 2024-12-03 if "
                            "the month comes first")


@pytest.mark.parametrize(("value", "message"), [
    ("４５", "duration_min: '４５' is not a number, it holds '４' (U+FF14 FULLWIDTH DIGIT FOUR) "
     "and '５' (U+FF15 FULLWIDTH DIGIT FIVE): write it with the digits 0-9, '.' and '-', as 45"),
    ("\u221245", "duration_min: '−45' is not a number, it holds '−' (U+2212 MINUS SIGN): write "
     "it with the digits 0-9, '.' and '-', as -45"),
    ("٤٫٥", "duration_min: '٤٫٥' is not a number, it holds '٤' (U+0664 ARABIC-INDIC DIGIT FOUR), "
     "'٫' (U+066B ARABIC DECIMAL SEPARATOR) and '٥' (U+0665 ARABIC-INDIC DIGIT FIVE): write it "
     "with the digits 0-9, '.' and '-', as 4.5"),
    ("4\u00b2", "duration_min: '4²' is not a number, it holds '²' (U+00B2 SUPERSCRIPT TWO): write "
     "it with the digits 0-9, '.' and '-', and nothing else"),
    ("1\u00a0000", "duration_min: '1\\xa0000' is not a number, it holds '\\xa0' (U+00A0 NO-BREAK "
     "SPACE): write it with the digits 0-9, '.' and '-', and nothing else"),
    ("½", "duration_min: '½' is not a number, it holds '½' (U+00BD VULGAR FRACTION ONE HALF): "
     "write it with the digits 0-9, '.' and '-', and nothing else"),
])
def test_an_optional_number_in_odd_unicode_is_blanked_naming_the_character(tmp_path, value,
                                                                           message):
    log = _sessions_with(Col.DURATION_MIN, value, "csv", tmp_path)
    warned = log.warnings.loc[log.warnings[Col.ROW] == 2]
    assert warned[[Col.COLUMN, Col.VALUE]].values.tolist() == [["duration_min", value]]
    assert warned[Col.MESSAGE].iloc[0] == message + ", left blank"
    assert math.isnan(log.sessions[Col.DURATION_MIN].iloc[0])
    assert log.rejects["sessions"].empty


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_required_score_in_full_width_digits_is_quarantined(tmp_path, fmt):
    tables = valid_tables()
    tables["assessments"][Col.SCORE][1] = "１８.５"
    log = load_quietly(write_bundle(tmp_path, tables, fmt, typed=False))
    assert log.rejects["assessments"][Col.REASON].tolist() == [
        "score: '１８.５' is not a number, it holds '１' (U+FF11 FULLWIDTH DIGIT ONE), "
        "'８' (U+FF18 FULLWIDTH DIGIT EIGHT) and '５' (U+FF15 FULLWIDTH DIGIT FIVE): write it "
        "with the digits 0-9, '.' and '-', as 18.5"]


def test_event_hours_in_other_digits_quarantine_the_event(tmp_path):
    tables = valid_tables()
    tables["adverse_events"][Col.LAST_CONTACT_HOURS][1] = "٣٣٦"
    log = load_quietly(write_bundle(tmp_path, tables, "csv"))
    assert log.rejects["adverse_events"][Col.REASON].tolist() == [
        "last_contact_hours: '٣٣٦' is not a number of hours, it holds '٣' (U+0663 ARABIC-INDIC "
        "DIGIT THREE) and '٦' (U+0666 ARABIC-INDIC DIGIT SIX): write it with the digits 0-9, "
        "'.' and '-', as 336"]


@pytest.mark.parametrize("space", ["\u00a0", "\u2007", "\u202f", "\u3000", " \t"])
def test_surrounding_unicode_spaces_are_stripped_as_any_space(tmp_path, space):
    tables = valid_tables()
    tables["sessions"][Col.SESSION_DATE][0] = f"{space}2024-03-18{space}"
    tables["sessions"][Col.PAIN_VAS][0] = f"{space}4{space}"
    log = load_quietly(write_bundle(tmp_path, tables, "csv"))
    assert log.rejects["sessions"].empty and log.warnings.empty
    assert log.sessions[Col.PAIN_VAS].iloc[0] == 4.0


def test_ascii_messages_are_unchanged():
    assert not_a_number("pain_vas", "about 4") == "pain_vas: 'about 4' is not a number"
    assert judge_date("session_date", "2024/03/18")[1] == (
        "session_date: '2024/03/18' is not an ISO 8601 date (YYYY-MM-DD), write it as 2024-03-18")
    assert ascii_form("2024-03-18") is None


# ======================================================================== property tests
#: Characters a date or number may be typed with, by mistake or by a keyboard layout.
LOOK_ALIKES = ("0123456789-.,+eE /:T"
               "０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९"
               "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d\u066b\uff0e\uff0c\uff0b"
               "\u00a0\u2007\u202f\u3000\u200b\u200d\ufeff\u00b2\u00b3\u00b9\u2070\u2074\u00bd"
               "\u0660\u06f0\u0966")
ODD_TEXT = st.text(alphabet=st.sampled_from(LOOK_ALIKES), max_size=14)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=14)
DIGITS = ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९"]


@st.composite
def dates_in_any_digits(draw) -> str:
    """A real date, each digit from any script, the dashes from a few look-alikes."""
    date = draw(st.dates()).isoformat()
    digits = [draw(st.sampled_from(DIGITS)) for _ in date]
    dash = draw(st.sampled_from(["-", "\u2011", "\u2212", "\uff0d", "/"]))
    return "".join(d[int(c)] if c.isdigit() else dash for c, d in zip(date, digits, strict=True))


DATE_TEXT = st.one_of(ODD_TEXT, ANY_TEXT, dates_in_any_digits())
NUMBER_TEXT = st.one_of(ODD_TEXT, ANY_TEXT, st.floats(allow_nan=False).map(str).map(
    lambda s: s.translate(str.maketrans("0123456789-", "０１２３４５６７８９\u2212"))))


@SETTINGS
@given(value=DATE_TEXT)
def test_any_date_text_is_a_date_or_the_contracts_message(value):
    date, message = judge_date("session_date", value)
    if message is None:
        assert not np.isnat(date) and value.isascii()
        assert str(date.astype("datetime64[D]")) == value
    else:
        assert np.isnat(date)
        assert message.startswith(f"session_date: {quote(value)} ")
        if not value.isascii():
            assert "it holds" in message and "U+" in message


@SETTINGS
@given(values=st.lists(NUMBER_TEXT, min_size=1, max_size=8), comma=st.booleans())
def test_any_number_text_is_a_number_or_flagged(values, comma):
    clean = strip(pa.array(values, pa.string()))
    parsed, not_number = numbers(clean, comma)
    for text, number, bad in zip(clean.to_pylist(), parsed, not_number, strict=True):
        if text is None:
            assert np.isnan(number) and not bad
        elif bad:
            assert np.isnan(number)
            message = not_a_number("pain_vas", text)
            assert message.startswith("pain_vas: ")
            if not text.isascii():
                assert "it holds" in message
        else:
            assert np.isfinite(number) and text.isascii()


def _parses(value: str, column: str, decimal_comma: bool) -> bool:
    """Whether the loader reads ``value`` (stripped, not blank) as a value of ``column``."""
    text = strip(pa.array([value], pa.string())).to_pylist()[0]
    if column == Col.SESSION_DATE:
        return judge_date(column, text)[1] is None
    return not numbers(pa.array([text], pa.string()), decimal_comma)[1][0]


def _check_row(log, value: str, column: str, table: str, required: bool,
               decimal_comma: bool) -> None:
    """The value in ``column`` on spreadsheet row 2 was read, was blank, or has the contract's
    message: a reason naming the column (required), or a warning on that row and column
    (optional: the value blanked, the row kept unless quarantined for another column)."""
    blank = strip(pa.array([value], pa.string())).to_pylist()[0] is None
    warned = log.warnings.loc[(log.warnings[Col.ROW] == 2) & (log.warnings[Col.COLUMN] == column)]
    rejected = log.rejects[table].set_index(Col.ROW)[Col.REASON]
    named = 2 in rejected.index and column in rejected[2]
    if required:
        assert warned.empty
        assert named or (not blank and _parses(value, column, decimal_comma))
        if 2 not in rejected.index:
            accepted = log.table(table)
            assert accepted.loc[accepted[Col.ROW] == 2, column].notna().all()
        return
    assert not named
    if len(warned):
        assert warned[Col.MESSAGE].iloc[0].startswith(f"{column}: ")
        accepted = log.table(table)
        assert accepted.loc[accepted[Col.ROW] == 2, column].isna().all()
    else:
        assert blank or _parses(value, column, decimal_comma)


@FEW
@given(date=DATE_TEXT, duration=NUMBER_TEXT, score=NUMBER_TEXT,
       fmt=st.sampled_from(["csv", "semicolon", "parquet"]))
def test_any_text_in_date_and_number_columns_loads_with_the_contracts_messages(
        date, duration, score, fmt):
    tables = valid_tables()
    tables["sessions"][Col.SESSION_DATE][0] = date
    tables["sessions"][Col.DURATION_MIN][0] = duration
    tables["assessments"][Col.SCORE][0] = score
    with tempfile.TemporaryDirectory() as folder:
        try:
            log = load_quietly(write_bundle(Path(folder), tables, fmt, typed=False))
        except OutcomesError as error:  # the package's own, with a message
            assert str(error)
            return
    comma = fmt == "semicolon"
    _check_row(log, date, Col.SESSION_DATE, "sessions", required=True, decimal_comma=comma)
    _check_row(log, duration, Col.DURATION_MIN, "sessions", required=False, decimal_comma=comma)
    _check_row(log, score, Col.SCORE, "assessments", required=True, decimal_comma=comma)
