"""The comparative claims' adjusted estimates, their catalogue fields, and the sensitivity views.

The adjusted estimate of each comparative claim is checked against a regression
standardisation written here from the course table with statsmodels OLS: the outcome on the
exposure, the covariates (as dummies) and their interactions, every unit predicted under both
exposures and the predictions averaged — the definition of g-computation, without the centring
shortcut :mod:`outcomes.stats.adjusted` uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.claims.catalogue import load_catalogue
from outcomes.claims.compare import EQUAL_SESSIONS_LABEL, covariates
from outcomes.claims.evaluate import evaluate_claims
from outcomes.claims.sensitivity import (
    BUILTIN_CLAIMS,
    FAMILYWISE,
    MULTIPLICITY_NOTE,
    ONSET,
    familywise_alpha,
)
from outcomes.errors import ConfigError
from outcomes.simulate.draw import simulate

COMPARATIVE = ("professional-beats-home", "alcohol-reduces-effect",
               "bleeding-risk-anticoagulants", "safe-all-skin-types")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clinic")
    write_bundle(simulate(150, 5), folder, format="csv")
    return load_bundle(folder)


@pytest.fixture(scope="module")
def result(bundle):
    return evaluate_claims(bundle)


def _design(frame: pd.DataFrame, columns: list[str], a: np.ndarray) -> pd.DataFrame:
    """The covariates the claim adjusts for (:func:`outcomes.claims.compare.covariates`: sparse
    levels pooled, missing values filled) as dummies, the first level of each the reference."""
    cov = covariates(frame, columns, a, frame["patient_id"].to_numpy())
    parts = []
    for name in cov.columns:
        v = cov[name]
        if pd.api.types.is_numeric_dtype(v):
            parts.append(v.astype(float).to_frame())
        else:
            parts.append(pd.get_dummies(v, prefix=name, drop_first=True, dtype=float))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def _g_computation(y, a, Z: pd.DataFrame) -> tuple[float, float]:
    """Mean of the predictions with every unit exposed, and with none, from OLS of y on the
    exposure, the covariates centred at their means and their interactions; a column that is a
    linear combination of those before it is left out (found by the rank, one at a time)."""
    Zc = Z.to_numpy() - Z.to_numpy().mean(axis=0)

    def X(exposure):
        return np.column_stack([np.ones(len(y)), exposure, Zc, exposure[:, None] * Zc])

    full = X(a)
    keep: list[int] = []
    for j in range(full.shape[1]):
        if np.linalg.matrix_rank(full[:, [*keep, j]]) == len(keep) + 1:
            keep.append(j)
    fit = sm.OLS(np.asarray(y, float), full[:, keep]).fit()
    ones, zeros = np.ones(len(y)), np.zeros(len(y))
    return (float(fit.predict(X(ones)[:, keep]).mean()),
            float(fit.predict(X(zeros)[:, keep]).mean()))


def _comparison(result, claim_id, basis):
    c = result.comparisons
    return c[(c["id"] == claim_id) & (c["basis"] == basis)].iloc[0]


def test_professional_beats_home_adjusted_equals_an_independent_g_computation(result):
    c = result.courses.courses
    c = c[c["final_improvement"].notna() & c["setting"].notna()]  # one setting only
    a = (c["setting"] == "professional").to_numpy(float)
    columns = ["condition", "baseline_severity", "fitzpatrick", "age_band"]
    mu1, mu0 = _g_computation(c["final_improvement"], a, _design(c, columns, a))
    adjusted = _comparison(result, "professional-beats-home", "adjusted")
    assert adjusted["estimate"] == pytest.approx(mu1 - mu0, abs=1e-6)
    assert adjusted["n"] == len(c)
    # at an equal number of sessions: the number of sessions as one more covariate
    mu1, mu0 = _g_computation(c["final_improvement"], a,
                              _design(c, [*columns, "n_sessions"], a))
    equal = _comparison(result, "professional-beats-home", "equal_sessions")
    assert equal["estimate"] == pytest.approx(mu1 - mu0, abs=1e-6)
    assert equal["basis_words"].startswith(EQUAL_SESSIONS_LABEL)
    row = result.table.set_index("id").loc["professional-beats-home"]
    assert row["estimate"] == adjusted["estimate"]  # the verdict rests on the adjusted one
    assert row["basis"] == ("adjusted for condition, baseline severity, Fitzpatrick type, "
                            "age band")


def test_bleeding_risk_ratio_adjusted_equals_an_independent_g_computation(result):
    s = result.courses.sessions
    flagged = (s["flag_anticoagulants"] | s["flag_bleeding_disorder"]).to_numpy(float)
    ev = result.courses.events
    hit = ev.loc[ev["event"].isin(["bleeding", "bruising"]), "session_id"].unique()
    y = s["session_id"].isin(hit).to_numpy(float)
    mu1, mu0 = _g_computation(y, flagged, _design(s, ["condition", "setting", "fitzpatrick",
                                                        "age_band"], flagged))
    adjusted = _comparison(result, "bleeding-risk-anticoagulants", "adjusted")
    assert adjusted["estimate"] == pytest.approx(mu1 / mu0, rel=1e-6)
    assert "ratio" in adjusted["method"]


def test_every_comparative_claim_reports_crude_adjusted_and_an_e_value(result):
    t = result.table.set_index("id")
    for claim_id in COMPARATIVE:
        r = t.loc[claim_id]
        assert {"crude", "adjusted", "adjusted_for"} <= set(r["details"]), claim_id
        assert r["basis"].startswith("adjusted"), claim_id
        assert r["e_value"] >= 1, claim_id
    others = t.drop(index=list(COMPARATIVE))
    assert (others["basis"] == "").all() and others["e_value"].isna().all()


def test_the_catalogue_names_the_basis(bundle, tmp_path):
    user = tmp_path / "claims.toml"
    user.write_text('[[claims]]\nid = "professional-beats-home"\nestimand_basis = "crude"\n\n'
                    '[[claims]]\nid = "alcohol-reduces-effect"\n'
                    'estimand_basis = "equal_sessions"\n', encoding="utf-8")
    result = evaluate_claims(bundle, catalogue=user)
    t = result.table.set_index("id")
    crude = _comparison(result, "professional-beats-home", "crude")
    assert t.loc["professional-beats-home", "estimate"] == crude["estimate"]
    assert t.loc["professional-beats-home", "basis"].startswith("crude")
    equal = _comparison(result, "alcohol-reduces-effect", "equal_sessions")
    assert t.loc["alcohol-reduces-effect", "estimate"] == equal["estimate"]
    assert t.loc["alcohol-reduces-effect", "basis"].startswith(EQUAL_SESSIONS_LABEL)


@pytest.mark.parametrize("text, field", [
    ('id = "professional-beats-home"\nestimand_basis = "adjustd"', "estimand_basis"),
    ('id = "bleeding-risk-anticoagulants"\nestimand_basis = "equal_sessions"', "estimand_basis"),
    ('id = "minimal-pain"\nestimand_basis = "adjusted"', "estimand_basis"),
    ('id = "professional-beats-home"\nmin_events = 5', "min_events"),
    ('id = "minimal-pain"\nmin_group_patients = 5', "min_group_patients"),
    ('id = "safe-all-skin-types"\nmin_group_patients = 0', "min_group_patients"),
    ('id = "safe-all-skin-types"\nmin_events = 2.5', "min_events"),
])
def test_catalogue_rejects_a_bad_basis_or_minimum(tmp_path, text, field):
    user = tmp_path / "claims.toml"
    user.write_text(f"[[claims]]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"field '{field}'"):
        load_catalogue(user)


def test_catalogue_defaults():
    catalogue = load_catalogue()
    for claim in catalogue:
        if claim.id in COMPARATIVE:
            assert (claim.estimand_basis, claim.min_group_patients) == ("adjusted", 10)
        else:
            assert claim.estimand_basis == ""
    assert catalogue.claim("bleeding-risk-anticoagulants").min_events == 5
    frame = catalogue.to_frame().set_index("id")
    assert frame.loc["safe-all-skin-types", "estimand_basis"] == "adjusted"


# ------------------------------------------------------------------ sensitivity views
def test_familywise_view_judges_every_estimated_claim_at_the_bonferroni_level(result):
    view = result.sensitivity[result.sensitivity["view"] == FAMILYWISE].set_index("id")
    t = result.table.set_index("id")
    k = len(view)
    assert k >= 20  # every claim the simulated bundle can estimate
    assert view["level"].eq(1 - familywise_alpha(k)).all()
    for claim_id, r in view.iterrows():
        main = t.loc[claim_id]
        # a wider interval: the family-wise interval holds the 95% one
        if np.isfinite(r["ci_low"]) and np.isfinite(main["ci_low"]):
            assert r["ci_low"] <= main["ci_low"] + 1e-12, claim_id
        if np.isfinite(r["ci_high"]) and np.isfinite(main["ci_high"]):
            assert r["ci_high"] >= main["ci_high"] - 1e-12, claim_id
        # so a verdict decisive there is the verdict at 95%
        if r["verdict"] in ("supported", "contradicted"):
            assert main["verdict"] == r["verdict"], claim_id
        assert r["main_verdict"] == main["verdict"]
        assert r["changed"] == (r["verdict"] != main["verdict"])


def test_onset_view_measures_resolution_from_onset(result):
    view = result.sensitivity[result.sensitivity["view"] == ONSET].set_index("id")
    resolution = [c.id for c in load_catalogue() if c.estimand == "km_share_resolved_by"]
    assert sorted(view.index) == sorted(resolution)
    t = result.table.set_index("id")
    for claim_id in resolution:
        # from onset every time is at most the time from the session: more resolved by then
        assert view.loc[claim_id, "estimate"] >= t.loc[claim_id, "estimate"] - 1e-12
        assert view.loc[claim_id, "n"] == t.loc[claim_id, "n"]


def test_onset_view_says_when_the_bundle_has_no_onset(tmp_path):
    tables = simulate(40, 3)
    tables["adverse_events"] = tables["adverse_events"].drop(columns=["onset_hours"])
    write_bundle(tables, tmp_path, format="csv")
    result = evaluate_claims(load_bundle(tmp_path))
    view = result.sensitivity[result.sensitivity["view"] == ONSET]
    assert len(view) == 3
    assert (view["verdict"] == "not_testable").all()
    assert view["reason"].str.contains("no onset_hours column").all()


def test_multiplicity_note_is_for_the_builtin_catalogue():
    assert BUILTIN_CLAIMS == len(load_catalogue())
    assert f"{BUILTIN_CLAIMS} claims" in MULTIPLICITY_NOTE
    assert "69%" in MULTIPLICITY_NOTE  # 1 - 0.95^23


def test_results_export_the_two_new_tables(bundle):
    from outcomes.analysis import TABLE_DESCRIPTIONS, analyse

    tables = analyse(bundle).tables()
    for name in ("claims_comparisons", "claims_sensitivity"):
        assert name in tables and name in TABLE_DESCRIPTIONS
        assert len(tables[name]) > 0


def test_e_value_is_that_of_the_verdicts_estimate(result):
    from outcomes.stats.adjusted import e_value

    t = result.table.set_index("id")
    adjusted = _comparison(result, "professional-beats-home", "adjusted")
    c = result.courses.courses
    y = c.loc[c["final_improvement"].notna() & c["setting"].notna(), "final_improvement"]
    point, bound = e_value(adjusted["estimate"], adjusted["ci_low"], adjusted["ci_high"],
                           scale="difference", sd=float(np.std(y, ddof=1)))
    r = t.loc["professional-beats-home"]
    assert r["e_value"] == pytest.approx(point)
    assert r["details"]["e_value_ci"] == pytest.approx(bound)
    rr = _comparison(result, "bleeding-risk-anticoagulants", "adjusted")
    point, _ = e_value(rr["estimate"], rr["ci_low"], rr["ci_high"])
    assert t.loc["bleeding-risk-anticoagulants", "e_value"] == pytest.approx(point)
