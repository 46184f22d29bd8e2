"""Claims on simulated bundles made true, false or undecidable on purpose.

Each scenario is one simulation (knobs of ``SimulationParams``, a number of patients, a seed),
loaded from disk like a clinic's bundle and evaluated once; every claim of the catalogue is then
checked against the verdict its truth implies:

- ``true``: every effect claim true, far from its threshold -> ``supported`` (the 15-20 minute
  session claim is then false: a median of 43 minutes);
- ``false``: every effect claim false -> ``contradicted`` (and 15-20 minutes true);
- ``boundary``: 600 patients, each truth at the claim's threshold -> ``inconclusive`` (the
  interval straddles it);
- ``boundary_courses``: 300 patients with acne scars or wrinkles only, for the three claims on
  improvement after a number of sessions and the 15-20 minute claim, whose thresholds cannot be
  met in the same bundle as ``effective-<condition>`` at 0.10 (a course cannot average a 0.10
  improvement while half of them improve considerably after three sessions).

Truths are ``SimulationParams.truth()`` where it gives them exactly. Those it gives only
approximately (improvement means, sessions to a major improvement, the median session: latent
values without rater error, rounding to the scale or to whole minutes) are computed by a kept
script, ``tests/reference/make_scenario_truths.py``, from three draws of 40,000 patients of each
scenario through the same pipeline; its output, ``tests/reference/scenario_truths.json``,
stores every truth with its Monte-Carlo SE and the fingerprint of the scenario's parameters
(:func:`test_stored_truths_belong_to_the_scenarios`), and
:func:`test_truths_imply_the_expected_verdicts` checks that each expected verdict is the one the
stored truth implies. The seeds were chosen so that every claim asserted in a scenario lands
where its truth says. Other seeds mostly agree: ``true`` gave the same verdicts on 8 seeds out
of 8 and ``false`` on 3 out of 3; with a truth at a threshold a 95% interval straddles it 95% of
the time, so ``boundary`` (16 claims at their thresholds, 0.95^16 = 0.44) gave them on 11 seeds
out of 20 and ``boundary_courses`` on 15 out of 20.

Also here: a bundle lacking the columns or tables a claim needs gives ``not_testable`` naming
them, and a user catalogue raising ``min_units`` above n gives ``inconclusive`` saying how many
units there are.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.claims.catalogue import load_catalogue
from outcomes.claims.evaluate import evaluate_claims
from outcomes.claims.verdicts import decide
from outcomes.simulate.draw import simulate
from outcomes.simulate.params import SimulationParams
from outcomes.simulate.truth import APPROXIMATE_TRUTHS, CLAIM_CONDITIONS

CATALOGUE = load_catalogue()
CLAIM_IDS = [c.id for c in CATALOGUE.claims]
EFFECTIVE = [f"effective-{c}" for c in CLAIM_CONDITIONS]
C = CLAIM_CONDITIONS
#: Events whose instances may be notable (moderate or severe) with notable_share.
SOMETIMES_NOTABLE = ("erythema", "oedema", "pain", "bruising", "bleeding", "scabbing", "dryness",
                     "flaking", "itching", "herpes_reactivation", "contact_dermatitis",
                     "acne_flare", "milia")
#: Few notable events (about 5% of courses), so that a risk difference of 0 is told from 0.05.
RARE_NOTABLE = dict(
    notable_share={e: 0.01 for e in SOMETIMES_NOTABLE},
    event_incidence={"infection": 0.001, "hypopigmentation": 0.001, "scarring": 0.001},
    pih_risk_light=0.005, pih_risk_dark=0.005,
)

SCENARIOS: dict[str, dict] = {
    "true": dict(
        n_patients=3000, seed=1,
        knobs=dict(
            # every claim condition well represented; acne scars and wrinkles more
            condition_weights={**{c: 1.0 for c in C}, "acne_scars": 3.0, "wrinkles": 2.0,
                               "texture": 0.0},
            # mean final improvement 0.38-0.56 for every condition (>= 0.10)
            effect={**{c: 0.6 for c in C}, "acne_scars": 0.8, "wrinkles": 0.8},
            # acne scars: major improvement after 5 sessions (stored truth: KM median 5;
            # truth() says 6, both in 4-6); wrinkles: 0.86 considerably improved after 3
            # sessions; 0.70 of all courses visibly improved after one
            rate={**{c: 0.4 for c in C}, "acne_scars": 0.27, "wrinkles": 0.6},
            patient_effect_sd=0.2,
            home_multiplier=0.4,  # professional minus home: +0.22
            alcohol_share=0.2, alcohol_multiplier=0.4,  # frequent alcohol: -0.26
            anticoagulant_share=0.1, anticoagulant_bleeding_multiplier=5.0,  # risk ratio 4.7
            contraindicated_share=0.3,
            late_gain=0.12,  # follow-up minus end: +0.12
            # resolved by 48 h / 72 h: erythema 0.997, pooled 0.9998, scabs 0.99
            resolution_median_hours={"erythema": 12.0, "oedema": 12.0, "pain": 4.0,
                                     "scabbing": 24.0},
            **RARE_NOTABLE, dark_skin_notable_multiplier=1.0,  # risk difference 0
            pain_mean=1.5,
            duration_median_professional=45.0, duration_median_home=40.0,  # median 43 min
        ),
    ),
    "false": dict(
        n_patients=3000, seed=1,
        knobs=dict(
            condition_weights={**{c: 1.0 for c in C}, "acne_scars": 2.0, "wrinkles": 2.0,
                               "texture": 0.0},
            # hardly any improvement: mean final 0.01 (with the late loss below), 0.12 visibly
            # improved after one session, 0.05 of wrinkles considerably after three, and acne
            # scars never reach a major improvement (KM median beyond the last session)
            effect={c: 0.03 for c in C},
            rate={c: 0.5 for c in C},
            patient_effect_sd=0.2,
            home_multiplier=3.0,  # home courses improve more: professional minus home -0.08
            alcohol_share=0.2, alcohol_multiplier=3.0,  # alcohol courses improve more: +0.07
            # bleeding less likely when flagged: risk ratio 0.20
            anticoagulant_share=0.1, anticoagulant_bleeding_multiplier=0.2,
            contraindicated_share=0.3,
            late_gain=-0.1,  # improvement lost after the end of treatment
            # resolved by 48 h / 72 h: erythema 0.21, pooled 0.39, scabs 0.16
            resolution_median_hours={"erythema": 72.0, "oedema": 120.0, "pain": 120.0,
                                     "scabbing": 120.0},
            # risk difference of a notable event, IV-VI minus I-III: 0.48
            pih_risk_light=0.01, pih_risk_dark=0.1, dark_skin_notable_multiplier=3.0,
            pain_mean=5.5,
            duration_median_professional=17.0, duration_median_home=17.0,  # median 17 min
            duration_sd_log=0.15,
        ),
    ),
    "boundary": dict(
        n_patients=600, seed=1,
        knobs=dict(
            condition_weights={**{c: 1.0 for c in C}, "texture": 0.0},  # ~75 courses each
            # mean final improvement 0.10 for every condition: truth() gives 0.10-0.12 (latent);
            # the recorded mean, after rounding to each scale, is 0.098-0.102 (stored truths;
            # coarse integer scales need a larger latent effect)
            effect={**{c: 0.114 for c in C}, "acne_scars": 0.127, "wrinkles": 0.128,
                    "skin_laxity": 0.128, "hyperpigmentation": 0.109, "alopecia": 0.109},
            rate={c: 1.0 for c in C},
            patient_effect_sd=0.2,
            late_gain=0.0,  # follow-up minus end: 0
            home_multiplier=0.94,  # home courses are longer: professional minus home 0
            alcohol_share=0.2, alcohol_multiplier=1.0,  # frequent alcohol: 0
            anticoagulant_share=0.15, anticoagulant_bleeding_multiplier=1.0,  # risk ratio 1
            contraindicated_share=0.35,
            pain_mean=3.0,
            # resolved by 48 h (erythema), 72 h (pooled) and 72 h (scabs): 0.90 each
            resolution_median_hours={"erythema": 25.55, "oedema": 49.5, "pain": 49.5,
                                     "scabbing": 38.2},
            resolution_sd_log={"erythema": 0.5, "oedema": 0.5, "pain": 0.5, "scabbing": 0.5},
            **RARE_NOTABLE, dark_skin_notable_multiplier=1.56,  # risk difference 0.05
            # median session 30 minutes, widely spread so its interval spans several minutes
            duration_median_professional=30.0, duration_median_home=30.0, duration_sd_log=0.8,
        ),
    ),
    "boundary_courses": dict(
        n_patients=300, seed=2,
        knobs=dict(
            condition_weights={**{c: 0.0 for c in C}, "acne_scars": 1.0, "wrinkles": 1.0,
                               "texture": 0.0},
            # acne scars: the Kaplan-Meier median of sessions to a major improvement sits on the
            # upper end of 4-6 (stored truth: S(6) = 0.507; truth(), which ignores rater
            # error and the late gain, says 8); wrinkles: 0.50 considerably
            # improved after 3 sessions (exact); together 0.50 of courses visibly improved after
            # one session (exact)
            effect={"acne_scars": 0.8, "wrinkles": 0.252},
            rate={"acne_scars": 0.16, "wrinkles": 0.85},
            patient_effect_sd=0.2,
            # median session 20 minutes, the upper end of 15-20
            duration_median_professional=20.0, duration_median_home=20.0, duration_sd_log=0.8,
        ),
    ),
}

SUP, CON, INC, NT = "supported", "contradicted", "inconclusive", "not_testable"
EXPECTED: dict[str, dict[str, str]] = {
    "true": {**dict.fromkeys(CLAIM_IDS, SUP), "session-15-20-min": CON},
    "false": {**dict.fromkeys(CLAIM_IDS, CON), "session-15-20-min": SUP},
    "boundary": {
        **dict.fromkeys(CLAIM_IDS, INC),
        # far from their thresholds in this bundle (their boundaries are in boundary_courses):
        # major improvement never reached, 0.34 visibly improved after one session, 0.18 of
        # wrinkles considerably after three, median session 30 minutes
        "acne-scars-4-6-sessions": CON, "single-session-visible": CON,
        "few-sessions-reduce-wrinkles": CON, "session-15-20-min": CON,
    },
    "boundary_courses": {
        "acne-scars-4-6-sessions": INC, "single-session-visible": INC,
        "few-sessions-reduce-wrinkles": INC, "session-15-20-min": INC,
        "session-30-60-min": CON,
        # a condition with no courses is not testable (claims.md)
        **{f"effective-{c}": NT for c in C if c not in ("acne_scars", "wrinkles")},
    },
}
#: Truths exact in expectation: where each scenario puts them (value, tolerance).
EXACT_TRUTHS = {
    "true": {"single-session-visible": (0.70, 0.01), "redness-24-48h": (0.997, 0.001),
             "scabs-few-days": (0.986, 0.001), "safe-all-skin-types": (0.0, 1e-9),
             "few-sessions-reduce-wrinkles": (0.857, 0.001),
             "bleeding-risk-anticoagulants": (4.69, 0.01), "minimal-pain": (1.5, 1e-9),
             "full-results-take-months": (0.12, 1e-9)},
    "false": {"single-session-visible": (0.124, 0.001), "redness-24-48h": (0.215, 0.001),
              "side-effects-few-days": (0.387, 0.001), "scabs-few-days": (0.157, 0.001),
              "safe-all-skin-types": (0.483, 0.001), "few-sessions-reduce-wrinkles": (0.053, 0.001),
              "bleeding-risk-anticoagulants": (0.203, 0.001), "minimal-pain": (5.5, 1e-9),
              "full-results-take-months": (-0.1, 1e-9)},
    "boundary": {"redness-24-48h": (0.9, 0.001), "side-effects-few-days": (0.9, 0.001),
                 "scabs-few-days": (0.9, 0.001), "safe-all-skin-types": (0.05, 0.001),
                 "bleeding-risk-anticoagulants": (1.0, 1e-9), "minimal-pain": (3.0, 1e-9),
                 "full-results-take-months": (0.0, 1e-9), "alcohol-reduces-effect": (0.0, 1e-9),
                 "professional-beats-home": (0.0, 0.002)},
    "boundary_courses": {"single-session-visible": (0.5, 0.01),
                         "few-sessions-reduce-wrinkles": (0.5, 0.002),
                         "session-15-20-min": (20.0, 1e-6)},
}


def params_of(name: str) -> SimulationParams:
    return SimulationParams().replace(**SCENARIOS[name]["knobs"])


STORED = Path(__file__).resolve().parent / "reference" / "scenario_truths.json"
ACNE_MEDIAN = "acne-scars-4-6-sessions"
#: How close to a bound a truth is "at" it, relative to the bound (at least absolute 0.005).
AT_BOUND = 0.005


def stored_truths(name: str) -> dict[str, float]:
    """The truths of ``name`` stored by tests/reference/make_scenario_truths.py: exact ones and
    recorded ones (with ``"acne-scars-4-6-sessions S(4)"``, ``S(6)``)."""
    entry = json.loads(STORED.read_text("utf-8"))[name]
    out = dict(entry["exact"])
    out.update({k: v["value"] for k, v in entry["recorded"].items()})
    if ACNE_MEDIAN not in out:  # the median is never reached: beyond any bound
        out[ACNE_MEDIAN] = math.inf if out[f"{ACNE_MEDIAN} S(6)"] > 0.5 else math.nan
    return out


def _load(folder) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean simulated bundle loads without a warning
        return load_bundle(folder)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Simulate, write, load and evaluate a scenario once; return (tables, log, result)."""
    cache: dict[str, tuple] = {}

    def run(name: str):
        if name not in cache:
            spec = SCENARIOS[name]
            tables = simulate(spec["n_patients"], spec["seed"], params_of(name))
            folder = tmp_path_factory.mktemp(name)
            write_bundle(tables, folder, format="parquet")
            log = _load(folder)
            cache[name] = (tables, log, evaluate_claims(log))
        return cache[name]

    return run


def _show(row) -> str:
    return (f"{row['id']}: {row['verdict']}, estimate {row['estimate']:.4g} "
            f"(95% CI {row['ci_low']:.4g} to {row['ci_high']:.4g}), n {row['n']}; "
            f"{row['reason']}")


# ---------------------------------------------------------------------------- the scenarios
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_truths_are_where_intended(name):
    truth = params_of(name).truth()
    for claim_id, (value, tol) in EXACT_TRUTHS[name].items():
        assert truth[claim_id] == pytest.approx(value, abs=tol), (name, claim_id)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_stored_truths_belong_to_the_scenarios(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_scenario_truths", STORED.parent / "make_scenario_truths.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    entry = json.loads(STORED.read_text("utf-8"))[name]
    p = params_of(name)
    assert entry["fingerprint"] == script.fingerprint(p), (
        "the scenario changed: run tests/reference/make_scenario_truths.py")
    exact = {k: v for k, v in p.truth().items() if k not in APPROXIMATE_TRUTHS}
    assert entry["exact"] == pytest.approx(exact, abs=1e-12, nan_ok=True)
    for claim, value in entry["recorded"].items():
        assert claim.split(" ")[0] in APPROXIMATE_TRUTHS
        assert value["se"] < 0.005, (name, claim, value)  # far below every interval's width


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_truths_imply_the_expected_verdicts(name):
    truth = stored_truths(name)
    claims = {c.id: c for c in CATALOGUE.claims}
    for claim_id, expected in EXPECTED[name].items():
        if expected == NT:
            continue
        c, value = claims[claim_id], truth[claim_id]
        bounds = [b for b in (c.low, c.high, c.threshold) if b is not None]
        if expected == INC:  # at a bound: the interval is to straddle it
            if claim_id == ACNE_MEDIAN:  # a whole number: the survival at the bound is 0.5
                at = min(abs(truth[f"{ACNE_MEDIAN} S({b:g})"] - 0.5) for b in bounds)
                assert at < 0.01, (name, claim_id, at)
            else:
                at = min(abs(value - b) / max(1.0, abs(b)) for b in bounds)
                assert at <= AT_BOUND, (name, claim_id, value)
        else:  # a point interval at the truth gets the verdict
            verdict = decide(value, value, c.rule, low=c.low, high=c.high,
                             threshold=c.threshold, strict=c.strict).verdict
            assert verdict == expected, (name, claim_id, value)


@pytest.mark.parametrize(
    ("name", "claim_id"),
    [(name, claim_id) for name in SCENARIOS for claim_id in EXPECTED[name]],
)
def test_verdict_follows_the_truth(scenario, name, claim_id):
    _, _, result = scenario(name)
    row = result.table.set_index("id", drop=False).loc[claim_id]
    assert row["verdict"] == EXPECTED[name][claim_id], _show(row)


def test_inconclusive_claims_say_why(scenario):
    for name in ("boundary", "boundary_courses"):
        t = scenario(name)[2].table
        at_boundary = [c for c, v in EXPECTED[name].items() if v == INC]
        for row in t[t["id"].isin(at_boundary)].to_dict("records"):
            # the interval straddles the claim, and the reason shows it against the claim
            assert row["verdict"] == INC, _show(row)
            assert "straddles the claim" in row["reason"], _show(row)
            assert row["ci_low"] < row["ci_high"]


def test_every_effect_claim_meets_all_three_verdicts():
    # the scenarios above cover supported, contradicted and inconclusive for every claim
    for claim_id in CLAIM_IDS:
        seen = {EXPECTED[name].get(claim_id) for name in SCENARIOS}
        assert {SUP, CON, INC} <= seen, claim_id


def test_condition_without_courses_names_it(scenario):
    t = scenario("boundary_courses")[2].table.set_index("id")
    assert t.loc["effective-rosacea", "reason"] == (
        "no courses of rosacea with a final improvement")
    assert t.loc["effective-rosacea", "n"] == 0


def test_estimates_rest_on_patient_clustered_intervals(scenario):
    t = scenario("true")[2].table.set_index("id")
    assert (t["method"] != "").all()
    # patients give several sessions: the units and the patients are both reported
    assert t.loc["minimal-pain", "n_patients"] < t.loc["minimal-pain", "n"]
    assert "cluster" in t.loc["minimal-pain", "method"]


# ---------------------------------------------------------------------------- missing data
ASSESSMENT_CLAIMS = ["acne-scars-4-6-sessions", "single-session-visible",
                     "professional-beats-home", "full-results-take-months",
                     "few-sessions-reduce-wrinkles", *EFFECTIVE, "alcohol-reduces-effect"]
RESOLUTION_CLAIMS = ["redness-24-48h", "side-effects-few-days", "scabs-few-days"]
EVENT_CLAIMS = [*RESOLUTION_CLAIMS, "safe-all-skin-types", "bleeding-risk-anticoagulants"]
LENGTH_CLAIMS = ["session-30-60-min", "session-15-20-min"]

MISSING = {
    # what is dropped: (table, column or None for the whole table), claims that cannot be
    # tested without it, and the words the reason must hold
    "pain_vas": (("sessions", "pain_vas"), ["minimal-pain"],
                 "the sessions table has no column 'pain_vas'"),
    "duration_min": (("sessions", "duration_min"), LENGTH_CLAIMS,
                     "the sessions table has no column 'duration_min'"),
    "fitzpatrick": (("sessions", "fitzpatrick"), ["safe-all-skin-types"],
                    "the sessions table has no column 'fitzpatrick'"),
    "contraindications": (("sessions", "contraindications"),
                          ["alcohol-reduces-effect", "bleeding-risk-anticoagulants"],
                          "the sessions table has no column 'contraindications'"),
    "assessments": (("assessments", None), ASSESSMENT_CLAIMS,
                    "the bundle has no assessments table"),
    "adverse_events": (("adverse_events", None), EVENT_CLAIMS,
                       "the bundle has no adverse_events table"),
}


@pytest.fixture(scope="module")
def small_tables():
    # the "true" knobs on 300 patients: every claim is testable
    return simulate(300, 5, params_of("true"))


@pytest.mark.parametrize("what", list(MISSING))
def test_missing_data_makes_exactly_its_claims_not_testable(tmp_path, small_tables, what):
    (table, column), claims, words = MISSING[what]
    tables = {name: df.copy() for name, df in small_tables.items()}
    if column is None:
        del tables[table]
    else:
        tables[table] = tables[table].drop(columns=column)
    write_bundle(tables, tmp_path, format="csv")
    t = evaluate_claims(_load(tmp_path)).table.set_index("id")
    untestable = set(t.index[t["verdict"] == NT])
    assert untestable == set(claims)
    for claim_id in claims:
        assert words in t.loc[claim_id, "reason"], (claim_id, t.loc[claim_id, "reason"])
        assert pd.isna(t.loc[claim_id, "estimate"])
        assert t.loc[claim_id, "n"] == 0


def test_missing_resolution_times_make_the_resolution_claims_not_testable(tmp_path,
                                                                          small_tables):
    tables = {name: df.copy() for name, df in small_tables.items()}
    events = tables["adverse_events"]
    # a clinic that records when it last heard of each event but not when it resolved: every
    # event has a last contact (at resolution for the resolved ones), none a resolution time
    events["last_contact_hours"] = events["last_contact_hours"].fillna(events["resolved_hours"])
    tables["adverse_events"] = events.drop(columns="resolved_hours")
    write_bundle(tables, tmp_path, format="csv")
    t = evaluate_claims(_load(tmp_path)).table.set_index("id")
    assert set(t.index[t["verdict"] == NT]) == set(RESOLUTION_CLAIMS)
    for claim_id in RESOLUTION_CLAIMS:
        assert "no column 'resolved_hours'" in t.loc[claim_id, "reason"]
    # the events themselves are still there for the claims that need no resolution time
    assert t.loc["safe-all-skin-types", "verdict"] != NT


# ---------------------------------------------------------------------------- min_units
def test_min_units_above_n_gives_inconclusive_with_the_count(tmp_path, scenario):
    _, log, before = scenario("true")
    user = tmp_path / "strict.toml"
    user.write_text(
        '[[claims]]\nid = "minimal-pain"\nmin_units = 1000000\n\n'
        '[[claims]]\nid = "effective-wrinkles"\nmin_units = 100000\n', encoding="utf-8")
    after = evaluate_claims(log, catalogue=user)
    b, a = before.table.set_index("id"), after.table.set_index("id")
    n_pain, n_wrinkles = int(b.loc["minimal-pain", "n"]), int(b.loc["effective-wrinkles", "n"])
    assert b.loc["minimal-pain", "verdict"] == SUP
    assert a.loc["minimal-pain", "verdict"] == INC
    assert a.loc["minimal-pain", "reason"] == (
        f"only {n_pain} sessions; a verdict needs at least 1000000")
    assert a.loc["effective-wrinkles", "verdict"] == INC
    assert a.loc["effective-wrinkles", "reason"] == (
        f"only {n_wrinkles} courses; a verdict needs at least 100000")
    # the estimate is still reported; nothing else changes
    assert a.loc["minimal-pain", "estimate"] == b.loc["minimal-pain", "estimate"]
    others = [i for i in CLAIM_IDS if i not in ("minimal-pain", "effective-wrinkles")]
    assert (a.loc[others, "verdict"] == b.loc[others, "verdict"]).all()
