"""outcomes report: the self-contained HTML report, the exports, and disclosure control."""

from __future__ import annotations

import hashlib
import re
import warnings

import openpyxl
import pandas as pd
import pytest

import outcomes
from outcomes.cli import main
from outcomes.output.disclosure import assert_no_small_counts

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def _bundle(tmp_path, patients, seed, name):
    tables = outcomes.simulate(patients, seed=seed)
    folder = tmp_path / name
    outcomes.write_bundle(tables, folder)
    return folder, tables


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("large")
    folder, tables = _bundle(tmp, 1500, 11, "bundle")
    out = tmp / "report"
    assert main(["report", str(folder), "--out", str(out), "--quiet"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        claims = outcomes.evaluate_claims(outcomes.load_bundle(folder)).table
    return folder, out, tables, claims


def test_html_names_every_claim_and_verdict_with_figures(large):
    _, out, _, claims = large
    text = (out / "report.html").read_text("utf-8")
    for row in claims.itertuples():
        assert row.id in text
        assert re.search(rf'id="claim-{re.escape(row.id)}"><span class="badge '
                         rf'badge-{row.verdict}"', text)
    assert len(re.findall(r'<img src="data:image/', text)) >= 4
    assert not EXTERNAL.search(text), "the report must not load anything from outside"
    assert "<script" not in text.lower()
    for section in ("What the data say about the claims", "Who is in the data",
                    "Outcomes by condition", "Improvement by number of sessions", "Spacing",
                    "Side effects", "Skin types", "Data quality", "Methods", "Provenance"):
        assert f">{section}" in text


def test_exports_workbook_and_csvs(large):
    _, out, _, _ = large
    book = openpyxl.load_workbook(out / "tables.xlsx")
    assert book.sheetnames[0] == "README"
    csvs = sorted(p.stem for p in (out / "tables").glob("*.csv"))
    for name in ("claims", "by_condition", "dose_response", "resolution", "skin_type", "spacing",
                 "incidence", "recommendations", "conflicts", "input", "data_quality"):
        assert name in csvs and name in book.sheetnames
    claims = pd.read_csv(out / "tables" / "claims.csv")
    assert {"id", "verdict", "estimate", "ci_low", "ci_high", "n", "method", "sources"} <= set(
        claims.columns)


def test_provenance_has_checksums_and_no_patient_rows(large):
    folder, out, tables, _ = large
    text = (out / "report.html").read_text("utf-8")
    for path in folder.glob("*.csv"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    patients = set(tables["sessions"]["patient_id"])
    sessions = set(tables["sessions"]["session_id"])
    exported = [text] + [p.read_text("utf-8") for p in (out / "tables").glob("*.csv")]
    for blob in exported:
        tokens = set(re.findall(r"[A-Z]\d{4,}", blob))
        assert not tokens & patients, "a patient id reached an export"
        assert not tokens & sessions, "a session id reached an export"
    assert not (out / "tables" / "courses.csv").exists()


def test_tiny_bundle_exports_no_small_count(tmp_path):
    folder, _ = _bundle(tmp_path, 12, 5, "tiny")
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out), "--quiet"]) == 0
    offending = []
    for path in (out / "tables").glob("*.csv"):
        found = assert_no_small_counts(pd.read_csv(path, dtype=str), 5)
        offending += [f"{path.name}: {r.column}={r.value}" for r in found.itertuples()]
    book = openpyxl.load_workbook(out / "tables.xlsx")
    readme = list(book["README"].values)
    start = next(i for i, r in enumerate(readme) if r[:2] == ("sheet", "csv file"))
    for sheet in book.sheetnames[1:-1]:  # the last sheet is the provenance
        codes = {r[5]: r[3] for r in readme[start + 1:] if r[0] == sheet and r[3]}
        rows = list(book[sheet].values)  # headers in words: back to the codes
        df = pd.DataFrame(rows[1:], columns=[codes[h] for h in rows[0]]).astype(str)
        found = assert_no_small_counts(df, 5)
        offending += [f"{sheet}: {r.column}={r.value}" for r in found.itertuples()]
    assert offending == []
    text = (out / "report.html").read_text("utf-8")
    assert "&lt;5" in text  # small counts appear, suppressed
    # the subtitle's patient count (12) is shown; smaller counts would be "<5"
    assert re.search(r'<p class="subtitle">[^<]* 12 patients,', text)


def test_patient_rows_only_on_request_and_pdf(tmp_path):
    folder, tables = _bundle(tmp_path, 40, 3, "small")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out), "--quiet", "--pdf",
                 "--include-patient-rows", "--min-cell", "3"]) == 0
    courses = pd.read_csv(out / "tables" / "courses.csv")
    assert set(courses["patient_id"]) <= set(tables["sessions"]["patient_id"])
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "min_cell = 3" in (out / "report.html").read_text("utf-8")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # input untouched


def test_condition_filter_and_python_api(tmp_path):
    folder, _ = _bundle(tmp_path, 200, 8, "bundle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = outcomes.load_bundle(folder)
    result = outcomes.write_report(log, tmp_path / "out", conditions=["acne_scars"])
    ids = set(result.tables()["claims"]["id"])
    assert "effective-acne_scars" in ids and "effective-wrinkles" not in ids
    assert set(result.results.courses.courses["condition"].astype(str)) == {"acne_scars"}
    assert result.html.exists() and len(result.csv) >= 10


def test_a_rerun_leaves_one_run_in_the_folder(tmp_path):
    """A courses.csv with patient ids from a run with --include-patient-rows does not survive a
    run without it; a file of the user's own is left alone."""
    folder, _ = _bundle(tmp_path, 60, 5, "bundle")
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out), "--quiet",
                 "--include-patient-rows"]) == 0
    assert (out / "tables" / "courses.csv").exists()
    (out / "my_notes.txt").write_text("mine")
    assert main(["report", str(folder), "--out", str(out), "--quiet"]) == 0
    assert not (out / "tables" / "courses.csv").exists()
    assert (out / "my_notes.txt").read_text() == "mine"
    assert (out / "report.html").exists() and (out / "tables.xlsx").exists()
    assert not list(tmp_path.glob(".outcomes-tmp-*"))


def test_an_out_that_is_a_file_is_a_plain_usage_error(tmp_path, capsys):
    folder, _ = _bundle(tmp_path, 20, 5, "bundle")
    target = tmp_path / "a_file"
    target.write_text("x")
    status = main(["report", str(folder), "--out", str(target), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert "is a file, not a folder" in err and "Traceback" not in err


def test_sections_with_nothing_to_show_say_why(tmp_path):
    """Sessions only, one session a course: every section is written; where there is nothing
    to show, a note says why instead of an empty table or a missing figure."""
    tables = outcomes.simulate(8, seed=3, sessions_pmf_professional=(1.0,),
                               sessions_pmf_home=(1.0,), acne_monthly_share=0.0)
    folder = tmp_path / "bundle"
    outcomes.write_bundle({"sessions": tables["sessions"]}, folder)
    out = tmp_path / "report"
    assert main(["report", str(folder), "--out", str(out), "--quiet"]) == 0
    html = (out / "report.html").read_text("utf-8")
    assert not re.search(r"<tbody>\s*</tbody>", html)
    notes = re.findall(r'<p class="note">(.*?)</p>', html)
    assert any("no course has a second session" in n for n in notes)
    assert any("the bundle has no adverse_events table" in n for n in notes)
    assert any("No improvement figure: no condition has 5 or more courses" in n for n in notes)
    assert any("the bundle has no assessments table" in n for n in notes)
    assert any("every row was accepted" in n for n in notes)


def test_dose_figures_draw_the_conditions_of_their_own_rows(tmp_path):
    """Assessed only at follow-up: acne scars has Kaplan-Meier rows (sessions to a major
    improvement) for 5+ courses but no improvement-after-session row. The report draws the
    Kaplan-Meier figure and says why there is no improvement figure (it used to stop on
    "conditions: ['acne_scars'] are not in the result")."""
    tables = outcomes.simulate(20, seed=2, interim_share=0.0, end_share=0.0)
    folder = tmp_path / "bundle"
    outcomes.write_bundle(tables, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = outcomes.write_report(outcomes.load_bundle(folder), tmp_path / "report")
    t = report.results.dose.table
    assert "acne_scars" not in set(t.loc[t["measure"] == "improvement", "condition"])
    html = report.html.read_text("utf-8")
    dose = re.search(r'<section id="dose-response">(.*?)</section>', html, re.S).group(1)
    assert "No improvement figure" in dose and dose.count("<figure>") == 1


def test_table_one_counts_courses_and_sessions_per_level():
    from types import SimpleNamespace

    from outcomes.report.cohort import characteristics_table

    courses = pd.DataFrame({"course_id": [10, 11, 12, 13],
                            "sex": pd.Categorical(["F", "M", None, "F"]),
                            "age_band": ["65+", "zz", "18-24", None],
                            "fitzpatrick": ["I", "I", "I", "I"], "setting": ["home"] * 4})
    sessions = pd.DataFrame({"course_id": [10, 10, 11, 12, 12, 12, 13, 99],
                             "device": ["pen", "roller", "pen", "pen", None, "pen", "other",
                                        "pen"]})
    t = characteristics_table(SimpleNamespace(courses=courses, sessions=sessions))
    got = {(r.characteristic, r.level): (r.n_courses, r.n_sessions) for r in t.itertuples()}
    assert got[("sex", "F")] == (2, 3) and got[("sex", "M")] == (1, 1)
    assert got[("sex", "not_recorded")] == (1, 3) and got[("sex", "all")] == (4, 8)
    # known levels first in their order, the others after them
    ages = [lvl for c, lvl in got if c == "age_band"]
    assert ages == ["18-24", "65+", "zz", "not_recorded", "all"]
    assert ("fitzpatrick", "not_recorded") not in got  # nothing missing: no row
    # the device is the session's: course 10 counts under pen and roller; a session of a
    # course that is not in the courses still counts as a session on its device
    assert got[("device", "pen")] == (4, 5) and got[("device", "roller")] == (1, 1)
    assert got[("device", "not_recorded")] == (1, 1)


def test_a_report_that_lets_the_courses_go_is_the_same_report(tmp_path):
    folder, _ = _bundle(tmp_path, 80, 5, "bundle")
    log = outcomes.load_bundle(folder)
    kept = outcomes.write_report(log, tmp_path / "kept", command=["outcomes", "report"])
    lean = outcomes.write_report(log, tmp_path / "lean", command=["outcomes", "report"],
                                 keep_results=False)
    assert lean.results is None and kept.results is not None
    pd.testing.assert_series_equal(lean.verdicts, kept.results.claims.counts())
    pd.testing.assert_series_equal(kept.verdicts, kept.results.claims.counts())

    def page(path):  # the page without the time it was written
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "", path.read_text("utf-8"))

    assert page(lean.html) == page(kept.html)
    assert lean.csv.keys() == kept.csv.keys()
    for name, path in kept.csv.items():
        assert lean.csv[name].read_bytes() == path.read_bytes(), name


def test_a_report_from_courses_built_first_and_a_log_without_rows_is_the_same_report(tmp_path):
    # what `outcomes report` does: the courses built, then the log's rows let go
    from outcomes.engine.run import without_rows

    folder, _ = _bundle(tmp_path, 80, 6, "bundle")
    log = outcomes.load_bundle(folder)
    conditions = ["acne_scars", "wrinkles"]
    courses = outcomes.build_courses(log.filter(condition=conditions))
    rowless = without_rows(log)
    assert len(rowless.sessions) == 0 and len(rowless.adverse_events) == 0
    whole = outcomes.write_report(log, tmp_path / "whole", conditions=conditions,
                                  command=["outcomes", "report"])
    built = outcomes.write_report(rowless, tmp_path / "built", conditions=conditions,
                                  command=["outcomes", "report"], courses=courses,
                                  keep_results=False)
    pd.testing.assert_series_equal(built.verdicts, whole.results.claims.counts())
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    assert (re.sub(stamp, "", built.html.read_text("utf-8"))
            == re.sub(stamp, "", whole.html.read_text("utf-8")))
    assert built.csv.keys() == whole.csv.keys()
    for name, path in whole.csv.items():
        assert built.csv[name].read_bytes() == path.read_bytes(), name
