"""The claims catalogue: complete against the design, quotes verbatim, user files, bad files."""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import Catalogue, Claim, ConfigError, Recommendation, load_catalogue
from outcomes.bundle.schema import TABLES, vocabulary
from outcomes.claims.catalogue import _VALIDATORS
from outcomes.claims.model import FRAME_COLUMNS, Source
from outcomes.claims.registry import CHECKS, ESTIMANDS, PARAM_KINDS, REGISTRY, UNITS
from outcomes.courses import DEFAULT_BANDS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources"
SEEDS = ROOT.parent / "shared" / "seeds"

# Every claim of claims.md ("Effect claims"), with its rule as stated there:
# id -> (rule, low, high, threshold, strict)
EFFECTIVE_CONDITIONS = ["acne_scars", "surgical_scars", "wrinkles", "hyperpigmentation",
                        "stretch_marks", "alopecia", "rosacea", "skin_laxity", "enlarged_pores"]
EXPECTED_CLAIMS = {
    "acne-scars-4-6-sessions": ("range", 4, 6, None, False),
    "single-session-visible": ("at_least", None, None, 0.5, False),
    "redness-24-48h": ("at_least", None, None, 0.9, False),
    "side-effects-few-days": ("at_least", None, None, 0.9, False),
    "scabs-few-days": ("at_least", None, None, 0.9, False),
    "safe-all-skin-types": ("at_most", None, None, 0.05, False),
    "professional-beats-home": ("at_least", None, None, 0, True),
    "full-results-take-months": ("at_least", None, None, 0, True),
    "few-sessions-reduce-wrinkles": ("at_least", None, None, 0.5, False),
    **{f"effective-{c}": ("at_least", None, None, 0.10, False) for c in EFFECTIVE_CONDITIONS},
    "alcohol-reduces-effect": ("at_most", None, None, 0, True),
    "bleeding-risk-anticoagulants": ("at_least", None, None, 1, True),
    "minimal-pain": ("at_most", None, None, 3, False),
    "session-30-60-min": ("range", 30, 60, None, False),
    "session-15-20-min": ("range", 15, 20, None, False),
}
# claims.md, "Practice recommendations": id -> (check, parameters that must be there)
EXPECTED_RECOMMENDATIONS = {
    "spacing-15-30-days": ("spacing_within", {"days": (15, 31)}),
    "spacing-professional-4-6-weeks": ("spacing_within",
                                       {"days": (28, 42), "setting": "professional"}),
    "spacing-home-1-2-weeks": ("spacing_within", {"days": (7, 14), "setting": "home"}),
    "acne-scars-monthly-course": ("course_sessions_and_spacing",
                                  {"condition": "acne_scars", "sessions": (4, 6)}),
    "contraindications": ("no_contraindicated_sessions", {}),
}
# claims.md, "Where the documents disagree": five topics.
EXPECTED_CONFLICT_IDS = {"session-length", "spacing", "rosacea", "acne", "invasiveness"}


def normalise(text: str) -> str:
    """Text for quote matching: straight quotes, no list bullets or commas, single spaces."""
    text = text.translate({ord("\u2019"): "'", ord("\u2018"): "'",
                           ord("\u201c"): '"', ord("\u201d"): '"'})
    text = re.sub(r"(?m)^\s*(?:[-\u2022*]|\d+\.)\s+", " ", text)  # bullets at line starts
    text = re.sub(r"\s[-\u2022\u2013]\s", " ", text)  # " - " joining list items in a quote
    text = text.replace("*", " ").replace(",", " ")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def write(tmp_path: Path, text: str, name: str = "my_claims.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the built-in catalogue against the design ------------------------------------------------

def test_every_claim_of_the_design_is_there_with_its_rule(catalogue):
    assert {c.id for c in catalogue.claims} == set(EXPECTED_CLAIMS)
    assert len(catalogue) == 23
    for claim_id, (rule, low, high, threshold, strict) in EXPECTED_CLAIMS.items():
        claim = catalogue.claim(claim_id)
        assert isinstance(claim, Claim)
        assert (claim.rule, claim.low, claim.high, claim.threshold, claim.strict) == (
            rule, low, high, threshold, strict), claim_id
        assert claim.min_units == 10
        assert claim.sources, claim_id


def test_effective_claims_one_per_condition(catalogue):
    for condition in EFFECTIVE_CONDITIONS:
        claim = catalogue.claim(f"effective-{condition}")
        assert claim.estimand == "mean_final_improvement"
        assert claim.parameters["condition"] == condition


def test_every_recommendation_and_conflict_is_there(catalogue):
    assert {r.id for r in catalogue.recommendations} == set(EXPECTED_RECOMMENDATIONS)
    for rec_id, (check, params) in EXPECTED_RECOMMENDATIONS.items():
        rec = catalogue.recommendation(rec_id)
        assert isinstance(rec, Recommendation)
        assert rec.check == check
        assert {k: rec.parameters[k] for k in params} == params
    named = set(catalogue.recommendation("contraindications").parameters["contraindications"])
    assert {"pregnancy", "anticoagulants", "anti_inflammatories", "autoimmune", "herpes",
            "active_acne", "active_infection", "keloid", "eczema", "rosacea", "sensitive_skin",
            "alcohol_frequent"} == named
    assert {c.id for c in catalogue.conflicts} == EXPECTED_CONFLICT_IDS
    assert catalogue.conflict("session-length").ids == ("session-30-60-min", "session-15-20-min")


def test_units_needs_and_parameters_agree_with_the_registry(catalogue):
    for entry in (*catalogue.claims, *catalogue.recommendations):
        method = entry.method
        assert entry.unit == method.unit in UNITS
        assert set(method.required) <= set(entry.parameters)
        assert set(method.needs_for(entry.parameters)) <= set(entry.needs)
        for need in entry.needs:
            table, _, column = need.partition(".")
            assert table in TABLES and (not column or column in TABLES[table].names), need


def test_registry_is_complete_and_consistent():
    assert set(REGISTRY) == set(ESTIMANDS) | set(CHECKS)
    assert not set(ESTIMANDS) & set(CHECKS)
    for key, method in REGISTRY.items():
        assert method.key == key and method.description and method.unit in UNITS
        for param in method.parameters.values():
            assert param.kind in PARAM_KINDS


# --- sources ------------------------------------------------------------------------------------

def _all_sources(catalogue: Catalogue) -> list[tuple[str, Source]]:
    out = [(e.id, s) for e in (*catalogue.claims, *catalogue.recommendations) for s in e.sources]
    out += [(c.id, e) for c in catalogue.conflicts for e in c.entries if isinstance(e, Source)]
    return out


def test_every_quote_is_in_its_document(catalogue):
    texts = {p.name: normalise(p.read_text("utf-8")) for p in SOURCES.glob("*.txt")}
    assert len(texts) == 5
    missing = [(entry_id, s.document, s.quote) for entry_id, s in _all_sources(catalogue)
               if normalise(s.quote) not in texts.get(s.document, "")]
    assert missing == []


def test_the_quote_normalisation_is_not_vacuous():
    text = normalise((SOURCES / "002_22ca913a8a1820c1.txt").read_text("utf-8"))
    assert normalise("The redness fades within 12 to 48 hours.") not in text
    assert normalise("Pregnancy - Acne - Taking anticoagulants") in text


def test_sources_are_byte_identical_to_the_seeds():
    """The copies are the original documents: byte for byte where the originals sit beside the
    repository, else by the SHA-256 sums recorded from them (docs/sources/SHA256SUMS)."""
    recorded = dict(line.split()[::-1] for line in
                    (SOURCES / "SHA256SUMS").read_text("ascii").splitlines())
    assert sorted(p.name for p in SOURCES.glob("*.txt")) == sorted(recorded)
    for name, digest in recorded.items():
        data = (SOURCES / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        if SEEDS.is_dir():
            assert data == (SEEDS / name).read_bytes(), name


# --- the catalogue object ----------------------------------------------------------------------

def test_to_frame_columns_are_documented_and_present(catalogue):
    frame = catalogue.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert len(frame) == len(catalogue.claims)
    assert frame["id"].is_unique
    doc = type(catalogue).to_frame.__doc__
    for column in FRAME_COLUMNS:
        assert f"``{column}``" in doc, column
    row = frame.set_index("id").loc["acne-scars-4-6-sessions"]
    assert (row["low"], row["high"], row["rule_text"]) == (4.0, 6.0, "range [4, 6]")


def test_iteration_lookup_and_immutability(catalogue):
    assert [c.id for c in catalogue] == [c.id for c in catalogue.claims]
    assert "minimal-pain" in catalogue and "contraindications" in catalogue
    assert "no-such-claim" not in catalogue
    with pytest.raises(ConfigError, match="no claim 'no-such-claim'"):
        catalogue.claim("no-such-claim")
    claim = catalogue.claim("minimal-pain")
    with pytest.raises(AttributeError):
        claim.threshold = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        claim.parameters["column"] = "duration_min"  # type: ignore[index]
    assert hash(claim) == hash(catalogue.claim("minimal-pain"))
    assert dict(catalogue.bands) == {"visible": 0.10, "considerable": 0.25, "major": 0.50}


def test_builtin_bands_are_the_courses_bands(catalogue):
    # one definition: claims.toml sets no [bands], so the catalogue's are courses.DEFAULT_BANDS
    assert dict(catalogue.bands) == DEFAULT_BANDS
    assert list(catalogue.bands) == list(DEFAULT_BANDS)


def test_every_parameter_kind_has_a_validator():
    assert set(_VALIDATORS) == set(PARAM_KINDS)


# --- user files -----------------------------------------------------------------------------------

def test_user_file_changes_a_threshold(tmp_path):
    path = write(tmp_path, """
        [[claims]]
        id = "minimal-pain"
        threshold = 4
        min_units = 30
    """)
    catalogue = load_catalogue(path)
    claim = catalogue.claim("minimal-pain")
    assert (claim.threshold, claim.min_units, claim.rule) == (4.0, 30, "at_most")
    assert claim.sources == load_catalogue().claim("minimal-pain").sources
    assert claim.origin == "built-in, changed in my_claims.toml (threshold, min_units)"
    assert catalogue.files == ("claims.toml", "my_claims.toml")
    # the built-in catalogue is untouched
    assert load_catalogue().claim("minimal-pain").threshold == 3.0


def test_user_file_merges_parameters_and_changes_rule(tmp_path):
    path = write(tmp_path, """
        [[claims]]
        id = "redness-24-48h"
        parameters = { hours = 72 }

        [[claims]]
        id = "session-15-20-min"
        rule = "at_most"
        threshold = 25

        [bands]
        major = 0.6
    """)
    catalogue = load_catalogue(path)
    redness = catalogue.claim("redness-24-48h")
    assert redness.parameters["hours"] == 72.0 and redness.parameters["events"] == ("erythema",)
    session = catalogue.claim("session-15-20-min")
    assert (session.rule, session.low, session.high, session.threshold) == (
        "at_most", None, None, 25.0)
    assert catalogue.bands["major"] == 0.6


def test_user_file_adds_a_claim_a_recommendation_and_a_conflict(tmp_path):
    path = write(tmp_path, """
        [bands]
        excellent = 0.75

        [[claims]]
        id = "our-brochure-melasma"
        statement = "Most melasma patients reach an excellent result after four sessions."
        estimand = "share_band_after_session"
        parameters = { condition = "hyperpigmentation", session = 4, band = "excellent" }
        rule = "at_least"
        threshold = 0.5
        sources = [{ document = "brochure.txt", quote = "excellent results in four sessions" }]

        [[recommendations]]
        id = "our-home-spacing"
        statement = "Home sessions at least 10 days apart."
        check = "spacing_within"
        parameters = { days = [10, 60], setting = "home" }

        [[conflicts]]
        id = "our-melasma"
        topic = "Melasma"
        entries = ["our-brochure-melasma", "effective-hyperpigmentation"]
    """)
    catalogue = load_catalogue(path)
    claim = catalogue.claim("our-brochure-melasma")
    assert claim.unit == "courses" and claim.min_units == 10 and not claim.strict
    assert claim.needs == ("assessments",)
    assert claim.origin == "my_claims.toml"
    assert catalogue.claims[-1] is claim and len(catalogue) == 24
    rec = catalogue.recommendation("our-home-spacing")
    assert rec.parameters["days"] == (10.0, 60.0) and rec.unit == "sessions"
    assert catalogue.conflict("our-melasma").ids == ("our-brochure-melasma",
                                                     "effective-hyperpigmentation")
    assert catalogue.to_frame()["origin"].iloc[-1] == "my_claims.toml"


# --- malformed user files -------------------------------------------------------------------------

NEW_CLAIM = """
    [[claims]]
    id = "new-claim"
    statement = "A claim."
"""


def again(entry_id: str, line: str, *message: str, section: str = "claims") -> tuple:
    """A file giving the built-in entry ``entry_id`` of ``section`` again with one bad ``line``,
    and what the error message holds: the id, then ``message``."""
    return f'[[{section}]]\nid = "{entry_id}"\n{line}\n', [entry_id, *message]


def new_claim(lines: str, *message: str) -> tuple:
    """A file declaring the claim new-claim with ``lines``, and what the error message holds:
    the id, then ``message``."""
    return NEW_CLAIM + lines, ["new-claim", *message]


MALFORMED = {
    "unknown rule": again("minimal-pain", 'rule = "about"',
                          "'rule'", "range, at_least, at_most", "'about'"),
    "low above high": again("session-30-60-min", "low = 70", "'low'", "low <= high", "70"),
    "missing threshold": new_claim(
        'estimand = "mean_session_value"\nparameters = { column = "pain_vas" }\nrule = "at_most"\n',
        "'threshold'", "a number", "got nothing"),
    "non-numeric threshold": again("minimal-pain", 'threshold = "3"',
                                   "'threshold'", "a number", "'3' (text)"),
    "unknown estimand": new_claim('estimand = "mean_happiness"\nrule = "at_least"\nthreshold = 1\n',
                                  "'estimand'", "mean_final_improvement", "'mean_happiness'"),
    "unknown condition": again("effective-wrinkles", 'parameters = { condition = "freckles" }',
                               "'parameters.condition'", "acne_scars", "'freckles'"),
    "unknown event": again("scabs-few-days", 'parameters = { events = ["scabs"] }',
                           "'parameters.events'", "scabbing", "'scabs'"),
    "unknown column": again("minimal-pain", 'parameters = { column = "pain" }',
                            "'parameters.column'", "pain_vas", "'pain'"),
    "value outside the column's vocabulary": again(
        "safe-all-skin-types", 'parameters = { exposed = ["VII"] }',
        "'parameters.exposed'", "IV", "'VII'"),
    "unknown parameter": again("minimal-pain", 'parameters = { scale = "vas" }',
                               "'parameters.scale'", "mean_session_value"),
    "missing required parameter": new_claim(
        'estimand = "mean_final_improvement"\nrule = "at_least"\nthreshold = 0.1\n',
        "'parameters.condition'", "required by mean_final_improvement"),
    "unknown band": again("single-session-visible", 'parameters = { band = "huge" }',
                          "'parameters.band'", "visible", "'huge'"),
    "duplicate id": new_claim(
        'estimand = "mean_followup_minus_end"\nrule = "at_least"\nthreshold = 0\n' + NEW_CLAIM
        + 'estimand = "mean_followup_minus_end"\nrule = "at_least"\nthreshold = 0\n',
        "'id'", "unique id", "twice"),
    "id of a claim reused for a recommendation": (
        '[[recommendations]]\nid = "minimal-pain"\nstatement = "x"\ncheck = "spacing_within"\n'
        'parameters = { days = [1, 2] }\n',
        ["minimal-pain", "'id'", "built-in claim"]),
    "unknown field": again("minimal-pain", "treshold = 4", "'treshold'", "threshold"),
    "bound not used by the rule": again("minimal-pain", "low = 1",
                                        "'low'", "only threshold with rule 'at_most'"),
    "strict not a boolean": again("minimal-pain", 'strict = "yes"',
                                  "'strict'", "true or false", "'yes'"),
    "min_units not a whole number": again("minimal-pain", "min_units = 2.5",
                                          "'min_units'", "whole number", "2.5"),
    "wrong unit": again("minimal-pain", 'unit = "patients"', "'unit'", "'sessions'", "'patients'"),
    "unknown needs": again("minimal-pain", 'needs = ["sessions.mood"]',
                           "'needs'", "pain_vas", "'sessions.mood'"),
    "source without quote": again("minimal-pain", 'sources = [{ document = "a.txt" }]',
                                  "'sources.quote'", "non-empty text", "got nothing"),
    "unknown check": (
        '[[recommendations]]\nid = "new-rec"\nstatement = "x"\ncheck = "spacing"\n',
        ["new-rec", "'check'", "spacing_within", "'spacing'"]),
    "bad day range": again("spacing-15-30-days", "parameters = { days = [31, 15] }",
                           "'parameters.days'", "low <= high", "[31, 15]",
                           section="recommendations"),
    "unknown contraindication": again(
        "contraindications", 'parameters = { contraindications = ["blood thinners"] }',
        "'parameters.contraindications'", "anticoagulants", "'blood thinners'",
        section="recommendations"),
    "conflict naming an unknown id": (
        '[[conflicts]]\nid = "new-conflict"\ntopic = "x"\n'
        'entries = ["minimal-pain", "maximal-pain"]\n',
        ["new-conflict", "'entries'", "ids of claims or recommendations", "'maximal-pain'"]),
    "entry without id": ('[[claims]]\nthreshold = 4\n', ["claim number 1", "'id'", "got nothing"]),
    "bad band": ('[bands]\nmajor = "half"\n', ["[bands]", "'major'", "a number > 0", "'half'"]),
    "unknown top-level key": ('[[claim]]\nid = "minimal-pain"\n',
                              ["unknown top-level key 'claim'", "claims"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_user_file_raises_a_clear_config_error(tmp_path, case):
    text, expected = MALFORMED[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert message.startswith("my_claims.toml"), message
    for part in expected:
        assert part in message, (case, part, message)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(threshold=st.floats(allow_nan=False, allow_infinity=False, width=32),
       min_units=st.integers(min_value=1, max_value=10_000))
def test_any_numeric_override_is_read_back(tmp_path, threshold, min_units):
    path = write(tmp_path, f"[[claims]]\nid = \"minimal-pain\"\nthreshold = {threshold!r}\n"
                           f"min_units = {min_units}\n")
    claim = load_catalogue(path).claim("minimal-pain")
    assert (claim.threshold, claim.min_units) == (threshold, min_units)


def test_unreadable_files_raise_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalogue(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "[[claims]\nid = 1\n", "broken.toml"))


def test_user_file_is_not_modified(tmp_path):
    path = write(tmp_path, '[[claims]]\nid = "minimal-pain"\nthreshold = 4\n')
    before = path.read_bytes()
    load_catalogue(path)
    assert path.read_bytes() == before


def test_vocabulary_values_in_the_catalogue_are_current(catalogue):
    conditions = set(vocabulary("condition"))
    for entry in (*catalogue.claims, *catalogue.recommendations):
        if "condition" in entry.parameters:
            assert entry.parameters["condition"] in conditions
