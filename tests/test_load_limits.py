"""Files beyond the size limits are refused before they are parsed, with a message giving the
file, its size, the limit and what to do; a workbook that unpacks like a zip bomb is refused
with the default limits."""

from __future__ import annotations

import doctest
import importlib
import time
import warnings
import zipfile

import pytest
from tests.bundles import many_sessions, valid_tables, write_bundle

from outcomes import load_bundle
from outcomes.bundle import readers
from outcomes.bundle.limits import (
    DEFAULT_BOMB_BYTES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_RATIO,
    DEFAULT_MAX_ROWS,
    Limits,
    size_text,
)
from outcomes.errors import BundleError, DataQualityWarning, ParameterError


def load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_bundle(path, **kwargs)


def refusal(path, **kwargs) -> BundleError:
    with pytest.raises(BundleError) as caught:
        load_quietly(path, **kwargs)
    return caught.value


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if a CSV, Parquet file or workbook is parsed."""
    def parsed(*args, **kwargs):
        raise AssertionError("the file was parsed before its size was checked")

    for suffix in (".csv", ".parquet"):
        monkeypatch.setitem(readers._TABLE_READERS, suffix, parsed)
    monkeypatch.setattr(readers, "open_workbook", parsed)
    monkeypatch.setattr(readers, "read_sheet", parsed)


def test_the_defaults_are_generous_and_documented():
    assert Limits() == Limits(max_bytes=2 * 1024**3, max_rows=50_000_000, max_ratio=100,
                              bomb_bytes=200 * 1024**2)
    assert (DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, DEFAULT_MAX_RATIO, DEFAULT_BOMB_BYTES) == (
        2 * 1024**3, 50_000_000, 100, 200 * 1024**2)


@pytest.mark.parametrize("fmt", ["csv", "semicolon", "parquet"])
def test_a_table_with_more_rows_than_the_limit_is_refused_before_parsing(tmp_path, fmt,
                                                                         no_parsing):
    path = write_bundle(tmp_path, {"sessions": many_sessions(50)}, fmt)
    error = refusal(path, limits=Limits(max_rows=49))
    name = "sessions.parquet" if fmt == "parquet" else "sessions.csv"
    assert str(error) == (
        f"{name} has 50 rows, more than the limit of 49, so it is not read. Split the export "
        "into smaller bundles (by clinic or by year, for example), or raise the limit: "
        "load_bundle(path, limits=Limits(max_rows=...)).")
    assert error.failure_cases[["table", "reason"]].values.tolist() == [
        ["sessions", "has 50 rows, more than the limit of 49"]]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_table_at_the_row_limit_is_read(tmp_path, fmt):
    path = write_bundle(tmp_path, {"sessions": many_sessions(50)}, fmt)
    assert load_quietly(path, limits=Limits(max_rows=50)).counts.loc["sessions", "read"] == 50


def test_a_csv_without_a_final_line_break_counts_its_last_row(tmp_path):
    path = write_bundle(tmp_path, {"sessions": many_sessions(50)}, "csv")
    csv = path / "sessions.csv"
    csv.write_bytes(csv.read_bytes().rstrip(b"\n"))
    assert "has 50 rows" in str(refusal(path, limits=Limits(max_rows=49)))
    assert load_quietly(path, limits=Limits(max_rows=50)).counts.loc["sessions", "read"] == 50


def test_a_csv_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, no_parsing):
    path = write_bundle(tmp_path, {"sessions": many_sessions(50)}, "csv")
    size = (path / "sessions.csv").stat().st_size
    error = refusal(path, limits=Limits(max_bytes=1000))
    assert str(error) == (
        f"sessions.csv is {size / 1024:.1f} KiB ({size:,} bytes), more than the limit of 1,000 "
        "bytes, so it is not read. Split the export into smaller bundles (by clinic or by year, "
        "for example), or raise the limit: load_bundle(path, limits=Limits(max_bytes=...)).")


def test_an_optional_table_beyond_the_limit_is_refused_too(tmp_path, no_parsing):
    tables = valid_tables()
    tables["assessments"] = {c: v * 40 for c, v in tables["assessments"].items()}
    error = refusal(write_bundle(tmp_path, tables, "csv"), limits=Limits(max_rows=50))
    assert str(error).startswith("assessments.csv has 80 rows, more than the limit of 50")


def test_a_workbook_unpacking_beyond_the_limit_is_refused_before_it_is_parsed(tmp_path,
                                                                              no_parsing):
    path = write_bundle(tmp_path, valid_tables(), "xlsx")
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    limit = path.stat().st_size + 1000  # the file is smaller than the limit, unpacked larger
    assert limit < unpacked
    error = refusal(path, limits=Limits(max_bytes=limit))
    assert str(error) == (
        f"bundle.xlsx unpacks to {unpacked / 1024:.1f} KiB ({unpacked:,} bytes), more than the "
        f"limit of {limit / 1024:.1f} KiB ({limit:,} bytes), so it is not read. Split the export "
        "into smaller bundles (by clinic or by year, for example), or raise the limit: "
        "load_bundle(path, limits=Limits(max_bytes=...)).")


def test_a_workbook_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = write_bundle(tmp_path, valid_tables(), "xlsx")
    monkeypatch.setattr(readers, "_read_bytes", lambda file: pytest.fail("the file was read"))
    assert str(refusal(path, limits=Limits(max_bytes=1000))).startswith(
        f"bundle.xlsx is {size_text(path.stat().st_size)}, more than the limit of 1,000 bytes, "
        "so it is not read.")


def test_a_sheet_with_more_rows_than_the_limit_stops_being_read(tmp_path):
    path = write_bundle(tmp_path, {"sessions": many_sessions(50)}, "xlsx")
    error = refusal(path, limits=Limits(max_rows=20))
    assert str(error).startswith(
        "bundle.xlsx, sheet sessions has more than 20 rows, more than the limit of 20, so it "
        "is not read.")


def _zip_bomb(path, unpacked: int) -> None:
    """A workbook whose sessions sheet is ``unpacked`` bytes of blanks between two rows."""
    good = write_bundle(path.parent / "good", valid_tables(), "xlsx")
    with zipfile.ZipFile(good) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    head, tail = sheet.split(b"</row>", 1)
    chunk = b" " * (8 * 1024**2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members.items():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(head + b"</row>")
            for _ in range(unpacked // len(chunk)):
                member.write(chunk)
            member.write(tail)


def test_a_zip_bomb_workbook_is_refused_with_the_default_limits(tmp_path, no_parsing):
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, DEFAULT_BOMB_BYTES + 8 * 1024**2)
    size = path.stat().st_size
    assert size < 2 * 1024**2
    started = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - started < 1
    message = str(error)
    assert message.startswith("bomb.xlsx unpacks to 208.0 MiB (")
    assert f"from {size / 1024**2:.1f} MiB ({size:,} bytes)" in message or \
        f"from {size / 1024:.1f} KiB ({size:,} bytes)" in message
    assert "which is how a zip bomb looks (a workbook expanding more than 100 times and beyond " \
           "200.0 MiB (209,715,200 bytes) is refused), so it is not read." in message
    assert message.endswith("or raise the limit: load_bundle(path, limits=Limits(max_ratio=...)).")


def test_a_small_limit_refuses_a_smaller_bomb_and_a_large_ratio_reads_it(tmp_path):
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, 8 * 1024**2)
    small = Limits(bomb_bytes=1024**2)
    assert "which is how a zip bomb looks" in str(refusal(path, limits=small))
    # with the defaults (200 MiB) it is read: the blanks between the rows are valid XML
    assert load_quietly(path).counts.loc["sessions", "read"] == 3
    log = load_quietly(path, limits=Limits(bomb_bytes=1024**2, max_ratio=10**6))
    assert log.counts.loc["sessions", "read"] == 3


@pytest.mark.parametrize("kwargs", [
    {"max_rows": 0}, {"max_bytes": -1}, {"max_rows": 1.5}, {"max_ratio": float("inf")},
    {"max_ratio": "100"}, {"bomb_bytes": True},
])
def test_limits_must_be_positive_numbers(kwargs):
    with pytest.raises(ParameterError, match=r"^Limits\(.*\): every limit must be a positive"):
        Limits(**kwargs)


def test_load_bundle_takes_only_a_limits_object(tmp_path):
    path = write_bundle(tmp_path, valid_tables(), "csv")
    with pytest.raises(ParameterError, match="limits must be a Limits"):
        load_bundle(path, limits={"max_rows": 10})
    with pytest.raises(TypeError):
        load_bundle(path, None, Limits())  # keyword-only


@pytest.mark.parametrize("module", ["limits", "workbook"])
def test_the_examples_of_the_docstrings_run(module):
    result = doctest.testmod(importlib.import_module(f"outcomes.bundle.{module}"))
    assert result.attempted and not result.failed
