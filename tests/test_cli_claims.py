"""``outcomes claims``: formats, a user claims file, conditions, and plain messages on errors."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest
from tests.bundles import valid_tables
from tests.bundles import write_bundle as write_test_bundle

from outcomes.bundle.write import write_bundle
from outcomes.claims.catalogue import load_catalogue
from outcomes.cli import main
from outcomes.simulate.draw import simulate

CLAIM_IDS = [c.id for c in load_catalogue().claims]
MIN_UNITS = {c.id: c.min_units for c in load_catalogue().claims}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A clean simulated bundle of 300 patients, as a folder of CSV files."""
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(simulate(300, 21), folder, format="csv")
    return str(folder)


def run(capsys, *argv):
    code = main(["claims", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_prints_a_parseable_array(capsys, bundle):
    code, out, err = run(capsys, bundle, "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert isinstance(records, list)
    assert [r["id"] for r in records] == CLAIM_IDS
    for r in records:  # each verdict is the one its interval, rule and n printed beside it give
        assert r["verdict"] == verdict_of(r), r
    assert {"supported", "contradicted", "inconclusive"} <= {r["verdict"] for r in records}


def verdict_of(record: dict) -> str:
    """The verdict of a printed claim, from its own fields (the rules of claims.md, ties aside)."""
    low, high = record["ci_low"], record["ci_high"]
    if record.get("ci_high_unbounded"):
        high = math.inf
    if record["n"] < MIN_UNITS[record["id"]] or low is None or high is None:
        return "inconclusive"
    if record["reason"].endswith("are needed"):  # too few patients in a group, or events
        return "inconclusive"
    claim_low, claim_high = {  # the claimed values, as an interval
        "range": (record["low"], record["high"]),
        "at_least": (record["threshold"], math.inf),
        "at_most": (-math.inf, record["threshold"]),
    }[record["rule"]]
    if claim_low <= low and high <= claim_high:
        return "supported"
    if high < claim_low or low > claim_high:
        return "contradicted"
    return "inconclusive"


def test_table_fits_100_columns(capsys, bundle):
    code, out, err = run(capsys, bundle, "--format", "table")
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    for claim_id in CLAIM_IDS:  # every claim is listed (ids are at most 32 characters)
        assert any(line.startswith(claim_id) for line in lines), claim_id
    # the default format is the table
    assert run(capsys, bundle)[1] == out


def test_csv_parses_with_pandas(capsys, bundle):
    code, out, err = run(capsys, bundle, "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert frame["id"].tolist() == CLAIM_IDS
    assert {"verdict", "estimate", "ci_low", "ci_high", "n", "sources"} <= set(frame.columns)


def test_condition_restricts_the_claims(capsys, bundle):
    code, out, err = run(capsys, bundle, "--format", "json", "--condition", "acne_scars")
    assert code == 0, err
    ids = {r["id"] for r in json.loads(out)}
    assert "effective-acne_scars" in ids and "acne-scars-4-6-sessions" in ids
    assert "effective-wrinkles" not in ids and "few-sessions-reduce-wrinkles" not in ids
    assert "minimal-pain" in ids  # claims about no condition stay, on acne-scar data only
    _, all_out, _ = run(capsys, bundle, "--format", "json")
    n_all = {r["id"]: r["n"] for r in json.loads(all_out)}
    n_acne = {r["id"]: r["n"] for r in json.loads(out)}
    assert 0 < n_acne["minimal-pain"] < n_all["minimal-pain"]


def test_unknown_condition_is_a_usage_error_with_the_nearest(capsys, bundle):
    code, out, err = run(capsys, bundle, "--condition", "acne")
    assert code == 2
    assert "'acne' is not a condition: did you mean 'acne_scars'?" in err
    assert err.startswith("usage: outcomes claims ") and "Traceback" not in err
    assert out == ""


def test_claims_file_changes_a_threshold(capsys, bundle, tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[[claims]]\nid = "minimal-pain"\nthreshold = 4\n', encoding="utf-8")
    code, out, err = run(capsys, bundle, "--format", "json", "--claims", str(user))
    assert code == 0, err
    pain = {r["id"]: r for r in json.loads(out)}["minimal-pain"]
    assert pain["threshold"] == 4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[[claims]]\nid = "minimal-pain"\nthreshold = "three"\n',
         ["'minimal-pain'", "'threshold'", "a number"]),
        ('[[claims]]\nid = "session-30-60-min"\nlow = 70\n',
         ["'session-30-60-min'", "'low'"]),
        ('[[claims]]\nid = "minimal-pain"\nthreshhold = 4\n',
         ["'minimal-pain'", "'threshhold'"]),
        ('[[claims]]\nid = "effective-wrinkles"\nparameters = { condition = "wrinkle" }\n',
         ["'effective-wrinkles'", "'parameters.condition'", "wrinkle"]),
    ],
    ids=["threshold-not-a-number", "low-above-high", "unknown-field", "unknown-condition"],
)
def test_malformed_claims_file_exits_1_naming_entry_and_field(capsys, bundle, tmp_path, text,
                                                              words):
    user = tmp_path / "bad.toml"
    user.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, bundle, "--claims", str(user))
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("outcomes claims: bad.toml")
    for word in words:
        assert word in err, (word, err)


def test_claims_file_that_is_not_toml_exits_1(capsys, bundle, tmp_path):
    user = tmp_path / "broken.toml"
    user.write_text("[[claims]\nid = \n", encoding="utf-8")
    code, _, err = run(capsys, bundle, "--claims", str(user))
    assert code == 1
    assert "broken.toml" in err and "not valid TOML" in err and "Traceback" not in err


def test_missing_path_exits_1_with_a_plain_message(capsys, tmp_path):
    missing = tmp_path / "no-such-bundle"
    code, out, err = run(capsys, str(missing))
    assert code == 1
    assert out == ""
    assert err.startswith("outcomes claims: ")
    assert "no-such-bundle" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3


def test_usage_error_exits_2(capsys, bundle):
    code, _, err = run(capsys, bundle, "--format", "yaml")
    assert code == 2
    assert "invalid choice" in err


def test_small_bundle_gets_verdicts(capsys, tmp_path):
    path = write_test_bundle(tmp_path, valid_tables())
    code, out, err = run(capsys, str(path), "--format", "json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)] == CLAIM_IDS


def test_internal_output_says_so_and_release_hides_small_counts(capsys, tmp_path):
    folder = tmp_path / "small"
    write_bundle(simulate(12, 5), folder, format="csv")
    code, out, err = run(capsys, str(folder), "--format", "json")
    assert code == 0 and err.startswith("Internal: exact small counts")
    exact = {r["id"]: r["n"] for r in json.loads(out)}
    assert any(0 < n < 5 for n in exact.values())
    code, out, err = run(capsys, str(folder), "--format", "json", "--release")
    released = json.loads(out)
    assert code == 0 and released["min_cell"] == 5
    for row in released["claims"]:
        assert not (isinstance(row["n"], int) and 0 < row["n"] < 5), row
        if row["n"] == "<5":
            assert row["estimate"] is None
    assert len(released["suppressions"]) > 0
