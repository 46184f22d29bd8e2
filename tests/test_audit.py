"""The audit as a whole: clean and faulty simulated bundles, outputs, JSON schema, configuration."""

from __future__ import annotations

import copy
import json
import re
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest

from bundles import valid_tables
from bundles import write_bundle as write_test_bundle
from outcomes import AuditResult, ConfigError, audit
from outcomes.audit.config import CUSUM_GATE, FUNNEL_GATE, GATE_ID, GATES, load_audit_config
from outcomes.audit.quality import CHECK_COLUMNS, CHECKS
from outcomes.audit.result import JSON_SCHEMA_VERSION
from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.output.disclosure import assert_no_small_counts
from outcomes.report.audit import audit_json, audit_tables, write_audit
from outcomes.simulate.draw import simulate

CLEAN = dict(fault_rate=0.0, contraindicated_share=0.0, alcohol_share=0.0,
             anticoagulant_share=0.0, spacing_deviation_share=0.0,
             clinic_ae_multiplier={"C05": 1.0})
COUNT_KEYS = {"n", "numerator", "denominator", "adherent", "nonadherent", "events",
              "n_clusters", "read", "accepted", "quarantined", "warned", "sessions_since_reset",
              "events_since_reset"}
#: The same counts' headers on the audit page, in words.
COUNT_HEADERS = {"Numerator", "Denominator", "Followed", "Not followed", "Counted", "Units",
                 "With a notable side effect", "Rows read", "Accepted",
                 "Set aside (quarantined)", "With a warning", "Sessions", "Events", "Signals"}


def load_quiet(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_bundle(path)


@pytest.fixture(scope="module")
def clean_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean")
    write_bundle(simulate(500, seed=31, **CLEAN), path, format="parquet")
    return load_quiet(path)


@pytest.fixture(scope="module")
def dirty_log(tmp_path_factory):
    """Data faults, the simulator's protocol deviations and C05 with three times the risk."""
    path = tmp_path_factory.mktemp("dirty")
    tables = simulate(500, seed=32, fault_rate=0.03, clinic_ae_multiplier={"C05": 3.0})
    write_bundle(tables, path, format="csv")
    return load_quiet(path)


@pytest.fixture(scope="module")
def clean(clean_log):
    return audit(clean_log)


@pytest.fixture(scope="module")
def dirty(dirty_log):
    return audit(dirty_log)


# ------------------------------------------------------------------------------ verdicts
def test_clean_bundle_passes_every_check(clean):
    assert clean.passed and clean.exit_status == 0
    assert clean.checks["passed"].all(), clean.failed
    assert clean.signals.flagged_groups("clinic_id") == []
    assert list(clean.checks.columns) == CHECK_COLUMNS
    assert set(clean.checks["id"]) == {c.id for c in CHECKS} | {g.id for g in GATES}
    assert "PASSED" in clean.summary()


def test_faulty_bundle_fails_exactly_the_affected_checks(dirty):
    assert not dirty.passed and dirty.exit_status == 3
    assert set(dirty.failed["id"]) == {
        "sessions.required_conformant", "assessments.required_conformant",
        "adverse_events.required_conformant", "adverse_events.session_unknown",
        "sessions.duplicate_id", GATE_ID, FUNNEL_GATE.id, CUSUM_GATE.id,
    }
    assert dirty.signals.flagged_groups("clinic_id") == ["C05"]
    gate = dirty.checks.set_index("id").loc[GATE_ID]
    assert gate["numerator"] == 1
    assert dirty.adherence.table.set_index("recommendation").loc[
        "contraindications", "nonadherent"] > 0
    assert "FAILED" in dirty.summary() and "C05" in dirty.summary()


def test_adherence_minimum_turns_a_recommendation_into_a_check(dirty_log):
    result = audit(dirty_log, config={"adherence": {"minimum": {"contraindications": 100}}})
    row = result.checks.set_index("id").loc["adherence.contraindications"]
    assert row["category"] == "adherence" and not row["passed"]
    assert row["denominator"] == result.adherence.table.set_index("recommendation").loc[
        "contraindications", "n"]


def test_input_is_not_modified(clean_log):
    before = copy.deepcopy(clean_log)
    audit(clean_log)
    for name in ("sessions", "assessments", "adverse_events"):
        pd.testing.assert_frame_equal(clean_log.table(name), before.table(name))
    pd.testing.assert_frame_equal(clean_log.counts, before.counts)


def test_every_session_quarantined(tmp_path):
    tables = valid_tables()
    tables["sessions"]["condition"] = ["x", "y", "z"]
    result = audit(load_quiet(write_test_bundle(tmp_path, tables)))
    row = result.checks.set_index("id").loc["sessions.required_conformant"]
    assert (row["numerator"], row["denominator"]) == (0, 3) and not result.passed


# ------------------------------------------------------------------------------ JSON
_COUNT = {"oneOf": [{"type": "integer", "minimum": 0},
                    {"type": "string", "pattern": r"^(<\d+|\*)$"}]}
_NUMBER = {"type": ["number", "null"]}
_ROWS = {"type": "array", "items": {"type": "object"}}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "outcomes_version", "source", "passed", "exit_status", "min_cell",
                 "input", "config", "checks", "adherence", "signals", "monitoring",
                 "suppressions"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": JSON_SCHEMA_VERSION},
        "outcomes_version": {"type": "string"},
        "source": {"type": "string"},
        "passed": {"type": "boolean"},
        "exit_status": {"enum": [0, 3]},
        "min_cell": {"type": ["integer", "null"]},
        "audience": {"enum": ["internal", "release"]},
        "notice": {"type": ["string", "null"]},
        "input": {
            "type": "object",
            "required": ["counts", "checksums", "missing_tables"],
            "properties": {
                "counts": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["read", "accepted", "quarantined", "warned"],
                    "additionalProperties": _COUNT}},
                "checksums": {"type": "object", "additionalProperties": {
                    "type": "string", "pattern": "^[0-9a-f]{64}$"}},
                "missing_tables": {"type": "array", "items": {"type": "string"}},
            },
        },
        "config": {"type": "object", "required": ["files", "checks", "plausibility", "signals",
                                                  "adherence"]},
        "checks": {"type": "array", "minItems": len(CHECKS) + 1, "items": {
            "type": "object",
            "required": CHECK_COLUMNS,
            "properties": {
                "id": {"type": "string"},
                "category": {"enum": ["conformance", "completeness", "plausibility", "safety",
                                      "adherence"]},
                "numerator": _COUNT, "denominator": _COUNT, "percentage": _NUMBER,
                "threshold": {"type": "number", "minimum": 0, "maximum": 100},
                "direction": {"enum": ["at_least", "at_most"]},
                "status": {"enum": ["pass", "fail", "not_applicable", "is_error"]},
                "passed": {"type": "boolean"},
            },
        }},
        "adherence": {
            "type": "object",
            "required": ["recommendations", "by_clinic", "by_operator", "nonadherent_sessions"],
            "properties": {
                "recommendations": {"type": "array", "items": {
                    "type": "object",
                    "required": ["recommendation", "unit", "n", "adherent", "nonadherent",
                                 "estimate", "ci_low", "ci_high", "status"],
                    "properties": {"n": _COUNT, "adherent": _COUNT, "nonadherent": _COUNT,
                                   "estimate": _NUMBER, "ci_low": _NUMBER, "ci_high": _NUMBER,
                                   "unit": {"enum": ["sessions", "courses"]}},
                }},
                "by_clinic": _ROWS, "by_operator": _ROWS,
                "nonadherent_sessions": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}},
            },
        },
        "signals": {
            "type": "object",
            "required": ["ceilings", "rows", "flagged"],
            "properties": {
                "ceilings": {"type": "object", "required": ["sessions", "courses"]},
                "rows": {"type": "array", "items": {
                    "type": "object",
                    "required": ["unit", "dimension", "group", "n", "events", "estimate",
                                 "ci_low", "ci_high", "overall", "ceiling", "above_overall",
                                 "above_ceiling"],
                    "properties": {"n": _COUNT, "events": _COUNT, "estimate": _NUMBER,
                                   "above_ceiling": {"type": "boolean"}},
                }},
                "flagged": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "dimension", "group"]}},
            },
        },
        "monitoring": {
            "type": "object",
            "required": ["funnel", "cusum", "cusum_signals"],
            "additionalProperties": False,
            "properties": {
                "funnel": {"type": "array", "items": {
                    "type": "object",
                    "required": ["indicator", "dimension", "group", "n", "events", "expected",
                                 "estimate", "lower_95", "upper_95", "lower_998", "upper_998",
                                 "status", "alert", "alarm"],
                    "properties": {"n": _COUNT, "n_clusters": _COUNT,
                                   "status": {"enum": ["alarm_high", "alert_high", "in_control",
                                                       "alert_low", "alarm_low",
                                                       "not_applicable"]},
                                   "alarm": {"type": "boolean"}},
                }},
                "cusum": {"type": "array", "items": {
                    "type": "object",
                    "required": ["dimension", "group", "n", "events", "expected",
                                 "control_limit", "signals", "status"],
                    "properties": {"n": _COUNT, "events": _COUNT,
                                   "status": {"enum": ["signal", "no_signal"]}},
                }},
                "cusum_signals": {"type": "array", "items": {
                    "type": "object",
                    "required": ["dimension", "group", "signal", "session_date",
                                 "sessions_since_reset", "events_since_reset"],
                    "properties": {"sessions_since_reset": _COUNT, "events_since_reset": _COUNT},
                }},
            },
        },
        "suppressions": _ROWS,
    },
}


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
          "integer": int, "number": (int, float)}


def _is(value, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def validate(value, schema: dict, where: str = "$") -> None:
    """The subset of JSON Schema used by SCHEMA (jsonschema itself takes seconds to import)."""
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_is(value, t) for t in types), f"{where}: {value!r} is not {types}"
    if "const" in schema:
        assert value == schema["const"], where
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "oneOf" in schema:
        passing = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, where)
                passing += 1
            except AssertionError:
                pass
        assert passing == 1, f"{where}: {value!r} matches {passing} of oneOf"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{where}: {value!r}"
    if "minimum" in schema and _is(value, "number"):
        assert value >= schema["minimum"], where
    if "maximum" in schema and _is(value, "number"):
        assert value <= schema["maximum"], where
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: no {key!r}"
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                validate(item, props[key], f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                raise AssertionError(f"{where}: unexpected {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(item, schema["additionalProperties"], f"{where}.{key}")
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0), where
        for i, item in enumerate(value):
            if "items" in schema:
                validate(item, schema["items"], f"{where}[{i}]")


def test_the_validator_rejects_what_it_should():
    with pytest.raises(AssertionError):
        validate({"checks": []}, SCHEMA)
    with pytest.raises(AssertionError):
        validate("3", _COUNT)
    validate("<5", _COUNT)


@pytest.mark.parametrize("min_cell", [None, 5])
def test_json_follows_the_schema(dirty, min_cell):
    data = json.loads(audit_json(dirty, min_cell=min_cell))
    validate(data, SCHEMA)
    assert data["passed"] is False and data["exit_status"] == 3
    assert {f["group"] for f in data["signals"]["flagged"]
            if f["dimension"] == "clinic_id"} == {"C05"}
    if min_cell is None:  # internal: the sessions listed, counts exact
        ids = data["adherence"]["nonadherent_sessions"]["contraindications"]
        assert set(ids) == dirty.adherence.nonadherent_ids("contraindications")
        sessions = data["input"]["counts"]["sessions"]
        assert sessions["read"] == int(dirty.counts.loc["sessions", "read"])
    else:  # a release lists no session
        assert data["adherence"]["nonadherent_sessions"] == {}
        assert data["audience"] == "release" and data["notice"] is None


# ------------------------------------------------------------------------------ files
class _Tables(HTMLParser):
    """Every table of a page: header names and the text of each row's cells."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row = [], None, None
        self.resources = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({"head": [], "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        for name in ("src", "href"):
            if name in attrs:
                self.resources.append((tag, attrs[name]))
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.resources.append((tag, ""))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((tag, self._cell.strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            if all(kind == "th" for kind, _ in self._row):
                self.tables[-1]["head"] = [text for _, text in self._row]
            else:
                self.tables[-1]["rows"].append([text for _, text in self._row])
            self._row = None


def _small_counts_in_json(value, key=None) -> list:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _small_counts_in_json(v, k)]
    if isinstance(value, list):
        return [x for v in value for x in _small_counts_in_json(v, key)]
    if key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool) \
            and 1 <= value <= 4:
        return [(key, value)]
    return []


@pytest.fixture(scope="module")
def tiny_outputs(tmp_path_factory):
    bundle = write_test_bundle(tmp_path_factory.mktemp("tiny"), valid_tables())
    result = audit(load_quiet(bundle))
    out = tmp_path_factory.mktemp("tiny_out")
    return result, write_audit(result, out, min_cell=5, release=True), out


def test_outputs_are_written(tiny_outputs):
    result, written, out = tiny_outputs
    for name in ("audit.html", "audit.json", "audit.xlsx", "tables/suppressions.csv"):
        assert (out / name).is_file(), name
    assert not (out / "audit_nonadherent_sessions.csv").exists()  # a release lists no session
    assert written["html"] == out / "audit.html"
    from openpyxl import load_workbook

    sheets = load_workbook(out / "audit.xlsx").sheetnames
    assert {"README", "checks", "signals", "adherence"} <= set(sheets)
    assert not [p for p in out.iterdir() if p.name.startswith(".audit-")]  # no leftovers


def test_html_is_self_contained_and_shows_no_small_count(tiny_outputs):
    _, _, out = tiny_outputs
    text = (out / "audit.html").read_text("utf-8")
    parser = _Tables()
    parser.feed(text)
    assert all(tag == "a" and href.startswith("#") or href.startswith("data:")
               for tag, href in parser.resources), parser.resources
    assert not re.search(r"https?://", text.split("</style>", 1)[1])
    assert parser.tables
    seen = 0
    for table in parser.tables:
        for i, name in enumerate(table["head"]):
            if name in COUNT_KEYS or name in COUNT_HEADERS:
                cells = [row[i] for row in table["rows"] if i < len(row)]
                seen += len(cells)
                assert not {c for c in cells} & {"1", "2", "3", "4"}, (name, table["head"])
    assert seen > 0
    assert "&lt;5" in text


def test_json_and_csv_show_no_small_count(tiny_outputs):
    _, _, out = tiny_outputs
    data = json.loads((out / "audit.json").read_text("utf-8"))
    assert data["min_cell"] == 5
    assert _small_counts_in_json(data) == []
    for path in (out / "tables").glob("*.csv"):
        table = pd.read_csv(path, dtype=str)
        counts = [c for c in table.columns if c in COUNT_KEYS]
        assert assert_no_small_counts(table, 5, count_columns=counts).empty, path.name


def test_repr_and_result_type(clean):
    assert isinstance(clean, AuditResult)
    assert "passed" in repr(clean)
    assert "<pre>" in clean._repr_html_()


def test_result_protocol(dirty):
    pd.testing.assert_frame_equal(dirty.to_frame(), dirty.checks)
    exact = dirty.tables()
    assert list(exact) == ["counts", "checks", "adherence", "adherence_by_clinic",
                           "adherence_by_operator", "nonadherent_sessions", "signals",
                           "funnel", "cusum", "cusum_signals"]
    assert all(isinstance(t, pd.DataFrame) for t in exact.values())
    pd.testing.assert_frame_equal(exact["signals"], dirty.signals.table)
    assert json.loads(dirty.to_json())["min_cell"] is None
    shown = audit_tables(dirty, min_cell=5)
    assert list(shown) == [*(k for k in exact if k != "nonadherent_sessions"), "suppressions"]
    assert dirty.plot().get_xlabel().startswith("share of sessions")
    assert "<table" in dirty._repr_html_()


# ------------------------------------------------------------------------------ configuration
def test_default_configuration():
    cfg = load_audit_config()
    assert set(cfg.thresholds) == {c.id for c in CHECKS} | {g.id for g in GATES}
    assert cfg.files == ("audit.toml",)
    assert cfg.flag_dimensions == ("clinic_id",)
    assert 0 < cfg.ceilings["sessions"] < cfg.ceilings["courses"] < 1


def test_a_user_file_changes_only_what_it_gives(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[checks]\n"sessions.course_baseline" = 95\n\n'
                    "[signals]\nceiling_per_session = 0.05\n", "utf-8")
    cfg = load_audit_config(path)
    default = load_audit_config()
    assert cfg.thresholds["sessions.course_baseline"] == 95
    assert cfg.ceilings["sessions"] == 0.05
    assert cfg.ceilings["courses"] == default.ceilings["courses"]
    assert cfg.files == ("audit.toml", "mine.toml")


@pytest.mark.parametrize("text, words", [
    ("[foo]\nx = 1\n", ["[foo]", "expected", "one of the sections"]),
    ('[checks]\n"sessions.nonsense" = 5\n', ["sessions.nonsense", "a check id"]),
    ('[checks]\n"sessions.course_baseline" = "high"\n',
     ["sessions.course_baseline", "percentage", "'high'"]),
    ('[checks]\n"sessions.course_baseline" = 150\n', ["sessions.course_baseline", "150"]),
    ("[signals]\nceiling_per_session = 1.5\n", ["ceiling_per_session", "share between 0 and 1"]),
    ('[signals]\nflag_dimensions = ["clinic"]\n', ["flag_dimensions", "clinic_id"]),
    ("[signals]\ndepth_edges_mm = [1.0, 0.5]\n", ["depth_edges_mm", "increasing"]),
    ("[signals]\nmin_units = 0\n", ["min_units", "whole number"]),
    ("[signals]\ncolour = 1\n", ["[signals] colour", "ceiling_per_session"]),
    ("[plausibility]\nspacing_max_days = -3\n", ["spacing_max_days", "above"]),
    ("[adherence]\nminimum = 5\n", ["[adherence.minimum]", "recommendation id"]),
    ("[checks\n", ["not valid TOML"]),
])
def test_malformed_configuration_names_the_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as info:
        load_audit_config(path)
    message = str(info.value)
    assert "bad.toml" in message
    for word in words:
        assert word in message, (word, message)


def test_missing_configuration_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_audit_config(tmp_path / "nowhere.toml")


def test_unknown_recommendation_in_adherence_minimum(clean_log):
    with pytest.raises(ConfigError, match="no-such-rec.*recommendation id"):
        audit(clean_log, config={"adherence": {"minimum": {"no-such-rec": 50}}})


def test_without_adverse_events_the_signals_say_why(tmp_path):
    """No adverse-events table: no rate is computed (not a rate of 0), the gate is not
    applicable, and the signals section of audit.html says why."""
    from outcomes.courses import NO_EVENTS_TABLE

    tables = simulate(30, seed=5)
    del tables["adverse_events"]
    write_bundle(tables, tmp_path / "bundle")
    result = audit(load_quiet(tmp_path / "bundle"))
    assert result.signals.table.empty
    gate = result.checks.set_index("id").loc[GATE_ID]
    assert gate["status"] == "not_applicable" and gate["denominator"] == 0
    html = write_audit(result, tmp_path / "out")["html"].read_text("utf-8")
    signals = re.search(r'<section id="signals">(.*?)</section>', html, re.S).group(1)
    assert NO_EVENTS_TABLE in signals and "<table" not in signals
    assert not re.search(r"<tbody>\s*</tbody>", html)


def test_internal_audit_is_exact_and_says_so(tmp_path):
    """By default the audit is for the clinic's auditor: exact numerators and percentages,
    the sessions listed, and the internal notice first in every file."""
    result = audit(load_quiet(write_test_bundle(tmp_path / "b", valid_tables())))
    written = write_audit(result, tmp_path / "out")
    notice = "Internal: exact small counts and session identifiers"
    assert notice in written["html"].read_text("utf-8")
    csvs = [p for k, p in written.items() if k.endswith("_csv")]
    for path in [written["nonadherent_csv"], *csvs]:
        assert path.read_text("utf-8").startswith(notice), path.name
    checks = pd.read_csv(written["checks_csv"], skiprows=1)
    small = checks[(checks["numerator"] > 0) & (checks["numerator"] < 5)]
    assert len(small) and small["percentage"].notna().all()
    data = json.loads(written["json"].read_text("utf-8"))
    assert data["audience"] == "internal" and data["notice"].startswith(notice)
    from openpyxl import load_workbook

    readme = load_workbook(written["xlsx"])["README"]
    assert next(readme.iter_rows(values_only=True))[0].startswith(notice)
