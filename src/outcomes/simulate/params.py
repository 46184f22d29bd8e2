"""Simulated session-log bundles whose truth is known.

No public per-patient microneedling data set exists, so the sample data, the tests and the
benchmarks of ``outcomes`` use bundles drawn from this simulator. Every effect a claim of the
catalogue tests has a knob (a field of :class:`SimulationParams`), so that a test can make each
claim true or false on purpose, and :meth:`SimulationParams.truth` gives the true value of each
claim where the model gives it in closed form. The defaults rest on the published figures
collected for the sample data (the studies are cited field by field in
:class:`SimulationParams` and in the data card, ``data/sample/README.md``).

The model
---------
patients
    Each has one condition, or two (courses are patient x condition); a Fitzpatrick type, an age
    band, a sex, contraindication flags (independent, at low prevalence), a clinic (used by their
    professional courses) and a random effect on treatment response (log-normal, mean 1).
courses
    Professional or home. The number of sessions follows a distribution per setting (median 3
    professional, 7 at home); a share of professional acne-scar courses follow the monthly 4-6
    session protocol. Spacing is log-normal around a target per setting, with a share of protocol
    deviations drawn uniformly.
sessions
    Device, needle depth (shallow at home), duration (log-normal per setting), numbing, pain
    (beta-binomial on 0-10, mean ``pain_mean`` exactly), adjunct, clinic and operator.
assessments
    The true improvement after session k is
    ``min(E_condition * modifiers * m_patient * (1 - exp(-rate_condition * k)), max_improvement)``,
    with modifiers for home setting and frequent alcohol, plus ``late_gain`` at follow-up. A
    baseline (on or before the first session), one assessment before each next session, an end
    of treatment (within 56 days of the last session) and a follow-up (56 days or more after it),
    each present with its own probability; scores on the condition's scale, with measurement
    noise, rounded as raters would and clipped to the scale.
adverse_events
    Every event type occurs independently in every session, as a mild instance or a notable one
    (moderate or severe; every instance of ``pih``, ``hypopigmentation``, ``infection`` and
    ``scarring`` is notable). Bleeding and bruising are multiplied for patients on
    anticoagulants or with a bleeding disorder, notable instances at the clinics of
    ``clinic_ae_multiplier`` and in types IV-VI; PIH depends on skin type. Resolution times are
    log-normal per event type, in hours after the session, some censored at a last contact.

Everything is vectorised with numpy: Python loops run over event types, scales, fault classes and
the few faulty rows, never over patients, courses or sessions.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from scipy.special import ndtr

from ..bundle.schema import NOTABLE_EVENTS, TABLES, Col, vocabulary

__all__ = [
    "SimulationParams",
    "simulate",
    "write_bundle",
    "APPROXIMATE_TRUTHS",
    "BUNDLE_FORMATS",
    "FAULT_COLUMNS",
    "FaultKind",
]

CONDITIONS = tuple(vocabulary("condition"))
FITZPATRICK = tuple(vocabulary("fitzpatrick"))
AGE_BANDS = tuple(vocabulary("age_band"))
SEXES = tuple(vocabulary("sex"))
DEVICES = tuple(vocabulary("device"))
ADJUNCTS = tuple(vocabulary("adjunct"))
RATERS = tuple(vocabulary("rater"))
EVENTS = tuple(vocabulary("event"))
SEVERITIES = tuple(vocabulary("severity"))
CONTRAINDICATIONS = tuple(vocabulary("contraindication"))
SETTINGS = tuple(vocabulary("setting"))
PROFESSIONAL, HOME = "professional", "home"

#: Fitzpatrick types of the "darker skin" group of the claim ``safe-all-skin-types``.
DARK_TYPES = ("IV", "V", "VI")
#: Events whose risk is multiplied by ``anticoagulant_bleeding_multiplier``.
BLEEDING_EVENTS = ("bleeding", "bruising")
#: Contraindications that multiply the bleeding and bruising risk.
BLEEDING_FLAGS = ("anticoagulants", "bleeding_disorder")
#: Contraindications the documents name (claims catalogue, recommendation ``contraindications``).
NAMED_CONTRAINDICATIONS = tuple(c for c in CONTRAINDICATIONS if c != "bleeding_disorder")
#: Conditions of the claims ``effective-<condition>`` (claims.md).
CLAIM_CONDITIONS = ("acne_scars", "surgical_scars", "wrinkles", "hyperpigmentation",
                    "stretch_marks", "alopecia", "rosacea", "skin_laxity", "enlarged_pores")
#: Improvement bands of the claims catalogue (claims.md): visible, considerable, major.
BANDS = {"visible": 0.10, "considerable": 0.25, "major": 0.50}
#: Days after the last session from which an assessment is a follow-up (claims.md).
FOLLOW_UP_DAYS = 56
ACNE = "acne_scars"
AGEING_CONDITIONS = ("wrinkles", "skin_laxity")

# Scales (scales.toml) and how the simulator writes scores on them.
GB_QUANTITATIVE = "goodman_baron_quantitative"
GB_QUALITATIVE = "goodman_baron_qualitative"
MASI = "masi"
WRINKLE = "wrinkle_severity"
SEVERITY_VAS = "severity_vas"
HAIR_DENSITY = "hair_density"
GAIS = "gais"
SCALES = (GB_QUANTITATIVE, GB_QUALITATIVE, MASI, WRINKLE, SEVERITY_VAS, HAIR_DENSITY, GAIS)
#: The scale of each condition (acne scars and the "other" conditions may switch, see params).
CONDITION_SCALE = {
    "acne_scars": GB_QUANTITATIVE, "hyperpigmentation": MASI, "wrinkles": WRINKLE,
    "skin_laxity": WRINKLE, "alopecia": HAIR_DENSITY,
}
GAIS_NO_CHANGE = 4.0
#: Range and recording resolution of the scales the simulator writes (scales.toml, contract).
SCALE_RANGE = {GB_QUANTITATIVE: (0.0, 84.0), GB_QUALITATIVE: (1.0, 4.0), MASI: (0.0, 48.0),
               WRINKLE: (1.0, 9.0), SEVERITY_VAS: (0.0, 10.0), HAIR_DENSITY: (0.0, math.inf),
               GAIS: (1.0, 5.0)}
SCALE_RESOLUTION = {GB_QUANTITATIVE: 1.0, GB_QUALITATIVE: 1.0, MASI: 0.1, WRINKLE: 1.0,
                    SEVERITY_VAS: 1.0, HAIR_DENSITY: 1.0, GAIS: 1.0}
#: Baseline scores: a normal (mean, sd, low, high) rounded to the resolution and clipped, or
#: discrete (values, probabilities). Typical baselines of the trials: Goodman & Baron
#: quantitative about 20 points, grades 2-4 (Majid 2009), MASI about 16 (Ismail 2019: 8.61;
#: Budamakuntla 2013), hair density about 110/cm2.
BASELINE = {
    GB_QUANTITATIVE: ("normal", (20.0, 8.0, 6.0, 70.0)),
    GB_QUALITATIVE: ("discrete", ((2.0, 3.0, 4.0), (0.30, 0.45, 0.25))),
    MASI: ("normal", (16.0, 7.0, 4.0, 44.0)),
    WRINKLE: ("discrete", ((3.0, 4.0, 5.0, 6.0, 7.0, 8.0), (.10, .20, .25, .20, .15, .10))),
    SEVERITY_VAS: ("discrete", ((4.0, 5.0, 6.0, 7.0, 8.0, 9.0), (.10, .20, .25, .20, .15, .10))),
    HAIR_DENSITY: ("normal", (110.0, 25.0, 40.0, 220.0)),
}


def _baseline_pmf(scale: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact distribution of recorded baselines on ``scale``: (values, probabilities)."""
    kind, spec = BASELINE[scale]
    if kind == "discrete":
        values, probs = (np.asarray(v, dtype=float) for v in spec)
        return values, probs / probs.sum()
    mean, sd, low, high = spec
    res = SCALE_RESOLUTION[scale]
    values = np.round(np.arange(low, high + res / 2, res), 10)
    upper = ndtr((values + res / 2 - mean) / sd)
    lower = ndtr((values - res / 2 - mean) / sd)
    upper[-1], lower[0] = 1.0, 0.0  # clipping puts the tails on the ends
    return values, upper - lower

#: Median hours from onset to the last contact of an event that never resolves (scarring).
NEVER_RESOLVED_CONTACT_HOURS = 720.0
#: Formats :func:`write_bundle` writes.
BUNDLE_FORMATS = ("csv", "parquet", "xlsx")
#: File name of the workbook :func:`write_bundle` writes for ``format="xlsx"``.
WORKBOOK_NAME = "bundle.xlsx"

#: Keys of :meth:`SimulationParams.truth` whose values are approximate: means of improvement
#: describe the latent (true) improvement and ignore rater error, rounding and clipping to the
#: scale; sessions to major improvement also ignore the late gain seen at follow-up; the median
#: duration ignores rounding to whole minutes. Every other key is exact (in expectation).
APPROXIMATE_TRUTHS = frozenset(
    {"acne-scars-4-6-sessions", "professional-beats-home", "alcohol-reduces-effect",
     "full-results-take-months", "session-30-60-min", "session-15-20-min"}
    | {f"effective-{c}" for c in CLAIM_CONDITIONS}
)


class FaultKind:
    """Kinds of injected data-entry faults (values of the ``kind`` column of the faults table)."""

    NON_ISO_DATE = "non_iso_date"
    IMPOSSIBLE_DATE = "impossible_date"
    UNKNOWN_VOCABULARY = "unknown_vocabulary"
    DUPLICATE_SESSION_ID = "duplicate_session_id"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    UNRESOLVED_WITHOUT_LAST_CONTACT = "unresolved_without_last_contact"
    RESOLVED_BEFORE_ONSET = "resolved_before_onset"
    UNKNOWN_SESSION = "unknown_session"
    OUT_OF_RANGE = "out_of_range"
    #: not injected: an event of a session quarantined by another fault
    DEPENDANT = "dependant"


KIND = "kind"
EXPECT = "expect"
QUARANTINE = "quarantine"
WARNING = "warning"
#: Columns of the faults table returned by ``simulate(..., return_faults=True)``.
FAULT_COLUMNS = (Col.TABLE, Col.ROW, Col.COLUMN, KIND, EXPECT, Col.VALUE)


def _default(value):
    return field(default_factory=lambda: copy.deepcopy(value))


# ===================================================================================== params
@dataclass(frozen=True)
class SimulationParams:
    """Every parameter of the simulator, with defaults grounded in published figures.

    Weights need not sum to 1 (they are normalised); shares and probabilities are in [0, 1].
    Dict-valued fields given to :meth:`replace` or as ``simulate(**overrides)`` are merged into
    the defaults, so ``effect={"wrinkles": 0.2}`` changes one condition only. Studies are cited as
    in the sample data's data card; "no published figure" says a default is a choice.

    Parameters
    ----------
    condition_weights : dict, default acne_scars 0.30, wrinkles 0.17, hyperpigmentation 0.12,
        stretch_marks 0.08, alopecia 0.07, skin_laxity 0.07, surgical_scars 0.05,
        enlarged_pores 0.05, texture 0.05, rosacea 0.04
        Condition of a patient's first course. No registry gives the mix; acne scars lead as they
        lead the literature (Alam 2014, Majid 2009, Dogra 2014, Fabbrocini 2014, Cachafeiro 2016,
        Chandrashekar 2014, Alster & Li 2020).
    second_condition_share : float, default 0.2
        Share of patients treated for a second condition (drawn from the weights without the
        first). No published figure.
    fitzpatrick_weights : dict, default I 0.06, II 0.22, III 0.28, IV 0.22, V 0.14, VI 0.08
        Skin types; trials enrolled types I-VI (Fabbrocini 2014, Alster & Li 2020) and III-V
        (Chandrashekar 2014, Dogra 2014). Types IV-VI: 44%.
    age_band_weights : dict, default 18-24 0.14, 25-34 0.30, 35-44 0.25, 45-54 0.17,
        55-64 0.10, 65+ 0.04
        Age bands of patients whose first condition is not an ageing one. No published figure.
    ageing_age_band_weights : dict, default 18-24 0.01, 25-34 0.06, 35-44 0.23, 45-54 0.33,
        55-64 0.25, 65+ 0.12
        Age bands when the first condition is wrinkles or skin laxity (Ablon 2018; Alqam 2022).
    sex_weights : dict, default F 0.80, M 0.18, X 0.02
        No published figure (trials above enrolled mostly women).
    home_share : float, default 0.2
        Share of courses done at home. No published figure; 003 describes both settings.
    n_clinics : int, default 6
        Clinics ``C01``...; a patient's professional courses are at one clinic, drawn with
        weights proportional to 1/sqrt(i).
    operators_per_clinic : int, default 3
        Operators ``OP01``... per clinic; each professional session is given by one of them.
    clinic_ae_multiplier : dict, default {"C05": 2.0}
        Multiplier of the notable-event risk of professional sessions at a clinic (absent
        clinics: 1). The default plants one clinic with a doubled rate for the audit to find.
    contraindicated_share : float, default 0.10
        Share of patients flagged with at least one contraindication the documents name (all but
        ``bleeding_disorder``), including ``alcohol_frequent`` and ``anticoagulants``: in
        expectation, the share of sessions given despite a contraindication. Must be at least
        the share flagged with alcohol or anticoagulants. No published figure.
    alcohol_share : float, default 0.05
        Patients flagged ``alcohol_frequent``. No published figure.
    anticoagulant_share : float, default 0.03
        Patients flagged ``anticoagulants``. No published figure.
    bleeding_disorder_share : float, default 0.01
        Patients flagged ``bleeding_disorder``. No published figure.
    other_contraindication_weights : dict
        Which other named contraindication the rest of the flagged patients carry (one each).
        Default sensitive_skin 0.25, active_acne 0.18, rosacea 0.12, eczema 0.12,
        anti_inflammatories 0.10, herpes 0.08, autoimmune 0.06, keloid 0.04, pregnancy 0.03,
        active_infection 0.02. No published figure.
    sessions_pmf_professional : tuple, default (0.10, 0.18, 0.26, 0.18, 0.12, 0.08, 0.05, 0.03)
        Probabilities of 1, 2, ... sessions in a professional course: median 3, up to 8
        (Harris 2015 review: median 3 treatments).
    sessions_pmf_home : tuple, default (0.02, 0.04, 0.07, 0.10, 0.12, 0.13, 0.12, 0.11, 0.09,
        0.08, 0.06, 0.06)
        The same for home courses: median 7, up to 12. No published figure.
    acne_monthly_share : float, default 0.5
        Share of professional acne-scar courses following the monthly protocol: 4, 5 or 6
        sessions (equally likely) spaced ``acne_monthly_spacing_days`` apart (002: "one session
        per month for four to six months"; Dogra 2014: 5 monthly sessions).
    acne_monthly_spacing_days : tuple, default (25, 35)
        Spacing of protocol courses, uniform on these days (inclusive).
    spacing_professional_days : float, default 28
        Median spacing of professional sessions (Harris 2015: median interval 4 weeks; monthly in
        Fabbrocini 2014, Cachafeiro 2016, Budamakuntla 2013; pens about 30 days apart).
    spacing_professional_sd_log : float, default 0.15
        Log-scale spread of professional spacing. No published figure.
    spacing_home_days : float, default 10
        Median spacing of home sessions (003: once every 1-2 weeks; no peer-reviewed source).
    spacing_home_sd_log : float, default 0.3
        Log-scale spread of home spacing.
    spacing_deviation_share : float, default 0.08
        Share of spacings (outside the acne protocol) that are protocol deviations, uniform on
        ``spacing_deviation_days``. No published figure.
    spacing_deviation_days : tuple, default (5, 90)
    first_start, last_start : str, default "2019-01-07", "2022-12-30"
        First sessions of courses are uniform between these dates.
    device_weights_professional : dict, default pen 0.55, rf_microneedling 0.25, roller 0.15,
        other 0.05
        Pens 0.25-2.5 mm, medical rollers 0.5-1.5 mm; RF needling (Chandrashekar 2014).
    device_weights_home : dict, default roller 0.85, pen 0.12, other 0.03
        Home rollers 0.13-0.5 mm.
    depth_professional_mm : dict
        Mean needle depth of professional sessions per condition (spread 0.25 mm, rounded to
        0.25 mm, 0.25-2.5 mm; rollers 0.5-1.5 mm). Default 1.5 for scars and stretch marks
        (Harris 2015: median needle length 1.5 mm), 1.25 skin laxity, 1.0 wrinkles and alopecia,
        0.75 enlarged pores and texture, 0.5 hyperpigmentation and rosacea.
    depth_home_mm : dict, default 0.13: 0.10, 0.2: 0.25, 0.25: 0.30, 0.3: 0.15, 0.5: 0.20
        Needle depths of home sessions and their weights (home rollers 0.13-0.5 mm).
    duration_median_professional : float, default 45
        Median minutes of a professional session, log-normal. No published figure; between the
        two statements of 002 (30-60 and 15-20 minutes).
    duration_median_home : float, default 15
        Median minutes of a home session. No published figure.
    duration_sd_log : float, default 0.3
        Log-scale spread of durations (rounded to whole minutes, clipped to 5-180).
    pain_mean : float, default 2.5
        Mean pain VAS (0-10) over all sessions, exactly: between Alam 2014 (1.08/10, with topical
        anaesthesia) and the striae trial of Am J Clin Dermatol 2019 (5.23).
    pain_numbing_factor : float, default 0.75
        Mean pain with numbing relative to the overall mean (without numbing it is set so the
        overall mean stays ``pain_mean``).
    pain_concentration : float, default 6
        Beta-binomial concentration of pain scores (smaller: more spread).
    numbing_share_professional, numbing_share_home : float, default 0.85, 0.10
        Sessions with topical anaesthesia (Alam 2014 used it). No published figure.
    adjunct_weights_professional : dict, default none 0.60, prp 0.15, hyaluronic_acid 0.15,
        growth_factors 0.07, other 0.03
    adjunct_weights_home : dict, default none 0.55, hyaluronic_acid 0.35, growth_factors 0.05,
        other 0.05
        Adjuncts (one per course). They do not change outcomes in this model.
    effect : dict
        E_condition, the improvement a course approaches (share of the possible improvement;
        the relative change of hair density for alopecia). Default acne_scars 0.75 (Dogra 2014:
        11.73 -> 6.5 after 5 sessions; Alster & Li 2020: all >= 50%), surgical_scars 0.55,
        wrinkles 0.42 (Alqam 2022: -25.9% after 4; Ablon 2018: -1.23 Lemperle grades),
        hyperpigmentation 0.55 (Budamakuntla 2013: mMASI -44.4% after 3; Ismail 2019),
        stretch_marks 0.50 (Mohamed Ali 2017), alopecia 0.50 (Dhurat 2013, with minoxidil:
        +91.4 vs +22.2 hairs/cm2), texture 0.40 (Fabbrocini 2014: surface irregularity -31%),
        enlarged_pores 0.35, skin_laxity 0.30, rosacea 0.25 (no trial in the evidence).
        Knob of ``effective-<condition>``.
    rate : dict
        Rate per session of the approach, ``1 - exp(-rate * k)``. Default acne_scars 0.30 (major
        improvement after about 5 sessions: knob of ``acne-scars-4-6-sessions``), surgical_scars
        0.30, wrinkles 0.35 (knob of ``few-sessions-reduce-wrinkles``), hyperpigmentation 0.45,
        stretch_marks 0.20, alopecia 0.15 (12 weekly sessions in Dhurat 2013), rosacea 0.30,
        skin_laxity 0.30, enlarged_pores 0.35, texture 0.35. With ``effect`` the knob of
        ``single-session-visible``.
    patient_effect_sd : float, default 0.35
        Log-scale SD of the patient's response multiplier (mean 1); trials report wide responses
        (Mohamed Ali 2017: excellent 40% ... minimal 20%).
    home_multiplier : float, default 0.6
        Response multiplier of home courses (003: longer professional needles "potentially more
        significant results"; home rollers 0.13-0.5 mm). Knob of ``professional-beats-home``.
    alcohol_multiplier : float, default 0.85
        Response multiplier of patients flagged ``alcohol_frequent`` (002's claim; no published
        figure). Knob of ``alcohol-reduces-effect``.
    late_gain : float, default 0.05
        Improvement added between end of treatment and follow-up (remodelling goes on: Alam 2014
        assessed at 6 months, Ablon 2018 at day 150). Knob of ``full-results-take-months``.
    measurement_sd : float, default 0.06
        SD of the rater's error, in improvement units (Goodman & Baron quantitative is
        reproducible within 4 points).
    max_improvement : float, default 0.95
        Cap of the true improvement.
    baseline_share, interim_share, end_share, follow_up_share : float,
        default 0.92, 0.75, 0.85, 0.40
        Probabilities of a baseline, of an assessment before each next session, of an
        end-of-treatment assessment (14-42 days after the last session) and of a follow-up
        (60-180 days after it).
    acne_qualitative_share : float, default 0.2
        Acne-scar courses scored on the Goodman & Baron qualitative grades (Majid 2009), the rest
        on the quantitative score (Alam 2014, Cachafeiro 2016).
    gais_share : float, default 0.10
        Courses of conditions without a scale of their own scored on GAIS (Fabbrocini 2014)
        instead of ``severity_vas``.
    rater_weights : dict, default clinician 0.75, blinded 0.15, patient 0.10
    event_incidence : dict
        Probability per professional session of each event (PIH apart). Default erythema 0.75,
        oedema 0.30, pain 0.20, dryness 0.12, scabbing 0.10, flaking 0.10, itching 0.06,
        bleeding 0.05, acne_flare 0.03 (compiled case series: up to 13.3%), bruising 0.025 (up
        to 2.8%), milia 0.01, contact_dermatitis 0.005, scarring 0.003 (tram-track up to 5.3%;
        Dogra 2014: 2 of 30), infection 0.003 (Arch Dermatol Res 2023: 1 of 32),
        hypopigmentation 0.002, herpes_reactivation 0.002.
    pih_risk_light, pih_risk_dark : float, default 0.015, 0.05
        PIH per session in types I-III and IV-VI (IDOJ 2024: 6.7%, more in higher types; Dogra
        2014: 5 of 30 in IV-V; Cachafeiro 2016: 0%). With ``dark_skin_notable_multiplier`` the
        knobs of ``safe-all-skin-types``.
    dark_skin_notable_multiplier : float, default 1.0
        Multiplier of every notable-event risk in types IV-VI (Chu 2021: darker skin a risk
        factor).
    notable_share : dict
        Share of instances of an event that are moderate or severe (notable). Default erythema
        0.05, oedema 0.08, pain 0.08, dryness 0.03, flaking 0.03, itching 0.08, bleeding 0.05,
        scabbing 0.10, bruising 0.15, milia 0.10, acne_flare 0.25, contact_dermatitis 0.30,
        herpes_reactivation 0.50; every instance of pih, hypopigmentation, infection and scarring
        is notable. No published figure.
    severe_share : float, default 0.15
        Share of notable instances that are severe (the rest moderate).
    notable_event_severity : tuple, default (0.60, 0.33, 0.07)
        Severity mix (mild, moderate, severe) of pih, hypopigmentation, infection, scarring.
    home_event_multiplier : float, default 0.6
        Multiplier of every event risk at home (shallow needles).
    anticoagulant_bleeding_multiplier : float, default 3.0
        Multiplier of bleeding and bruising for patients flagged ``anticoagulants`` or
        ``bleeding_disorder`` (001's claim; no published figure). Knob of
        ``bleeding-risk-anticoagulants``.
    resolution_median_hours : dict
        Median resolution time, hours after the session. Default erythema 24 (Vietnamese
        cohort: 1-2 days; compiled series: 2-3 days), oedema 24, pain 6 (Hong Kong J Dermatol
        Venereol 2018: 3-6 h), bleeding 1, scabbing 54 (002: "a few days"), itching 48,
        dryness 72, flaking 96, contact_dermatitis 96, bruising 120, infection 168,
        herpes_reactivation 168, acne_flare 168 (Chu 2021: transient effects up to 7 days),
        milia 700, pih 1200, hypopigmentation 2000, scarring inf (never resolves).
    resolution_sd_log : dict
        Log-scale spread of resolution times. Default erythema 0.5 (so 92% resolve by 48 h),
        scabbing 0.5, oedema 0.55, pain 0.8, others 0.6.
    onset_hours : dict
        Onset, hours after the session, uniform on (low, high); 0 for immediate events
        (erythema, oedema, pain, bleeding). Default bruising (0, 12), scabbing (6, 24), dryness
        (24, 72), flaking (24, 96), itching (12, 72), infection (24, 96), pih (96, 336),
        hypopigmentation (336, 1000), herpes_reactivation (24, 96), contact_dermatitis (2, 48),
        acne_flare (24, 120), milia (168, 672), scarring (336, 1344).
    zero_onset_blank_share : float, default 0.5
        Share of immediate events whose onset is left blank (blank means 0 in the contract).
    censor_share : float, default 0.12
        Share of events whose follow-up stops at a last contact (censored when the event has not
        resolved by then).
    censor_median_hours : float, default 48
        Median time from onset to that last contact (a call-back after two days), log-normal and
        the same for every event type, so that censoring is independent of the resolution time
        even when types are pooled. Events that never resolve (scarring) are always censored, at
        a last contact a month (median) after onset.
    censor_sd_log : float, default 0.8
        Log-scale spread of last contacts.
    missing_rate : float, default 0.04
        Share of optional values left blank: per session (operator, device, depth, duration,
        numbing, pain, adjunct), per patient (Fitzpatrick type, age band, sex), per assessment
        (rater). Contraindications are never blanked (blank means none recorded).
    fault_rate : float, default 0.0
        Share of rows of each table carrying an injected data-entry fault (at least one of each
        class when positive); see :func:`simulate`.
    """

    # population
    condition_weights: dict = _default({
        "acne_scars": 0.30, "surgical_scars": 0.05, "wrinkles": 0.17, "hyperpigmentation": 0.12,
        "stretch_marks": 0.08, "alopecia": 0.07, "rosacea": 0.04, "skin_laxity": 0.07,
        "enlarged_pores": 0.05, "texture": 0.05})
    second_condition_share: float = 0.2
    fitzpatrick_weights: dict = _default(
        {"I": 0.06, "II": 0.22, "III": 0.28, "IV": 0.22, "V": 0.14, "VI": 0.08})
    age_band_weights: dict = _default({
        "18-24": 0.14, "25-34": 0.30, "35-44": 0.25, "45-54": 0.17, "55-64": 0.10, "65+": 0.04})
    ageing_age_band_weights: dict = _default({
        "18-24": 0.01, "25-34": 0.06, "35-44": 0.23, "45-54": 0.33, "55-64": 0.25, "65+": 0.12})
    sex_weights: dict = _default({"F": 0.80, "M": 0.18, "X": 0.02})
    home_share: float = 0.2
    n_clinics: int = 6
    operators_per_clinic: int = 3
    clinic_ae_multiplier: dict = _default({"C05": 2.0})
    contraindicated_share: float = 0.10
    alcohol_share: float = 0.05
    anticoagulant_share: float = 0.03
    bleeding_disorder_share: float = 0.01
    other_contraindication_weights: dict = _default({
        "sensitive_skin": 0.25, "active_acne": 0.18, "rosacea": 0.12, "eczema": 0.12,
        "anti_inflammatories": 0.10, "herpes": 0.08, "autoimmune": 0.06, "keloid": 0.04,
        "pregnancy": 0.03, "active_infection": 0.02})
    # courses
    sessions_pmf_professional: tuple = (0.10, 0.18, 0.26, 0.18, 0.12, 0.08, 0.05, 0.03)
    sessions_pmf_home: tuple = (0.02, 0.04, 0.07, 0.10, 0.12, 0.13, 0.12, 0.11, 0.09, 0.08,
                                0.06, 0.06)
    acne_monthly_share: float = 0.5
    acne_monthly_spacing_days: tuple = (25, 35)
    spacing_professional_days: float = 28.0
    spacing_professional_sd_log: float = 0.15
    spacing_home_days: float = 10.0
    spacing_home_sd_log: float = 0.3
    spacing_deviation_share: float = 0.08
    spacing_deviation_days: tuple = (5, 90)
    first_start: str = "2019-01-07"
    last_start: str = "2022-12-30"
    # sessions
    device_weights_professional: dict = _default(
        {"pen": 0.55, "rf_microneedling": 0.25, "roller": 0.15, "other": 0.05})
    device_weights_home: dict = _default({"roller": 0.85, "pen": 0.12, "other": 0.03})
    depth_professional_mm: dict = _default({
        "acne_scars": 1.5, "surgical_scars": 1.5, "stretch_marks": 1.5, "skin_laxity": 1.25,
        "wrinkles": 1.0, "alopecia": 1.0, "enlarged_pores": 0.75, "texture": 0.75,
        "hyperpigmentation": 0.5, "rosacea": 0.5})
    depth_home_mm: dict = _default({0.13: 0.10, 0.2: 0.25, 0.25: 0.30, 0.3: 0.15, 0.5: 0.20})
    duration_median_professional: float = 45.0
    duration_median_home: float = 15.0
    duration_sd_log: float = 0.3
    pain_mean: float = 2.5
    pain_numbing_factor: float = 0.75
    pain_concentration: float = 6.0
    numbing_share_professional: float = 0.85
    numbing_share_home: float = 0.10
    adjunct_weights_professional: dict = _default({
        "none": 0.60, "prp": 0.15, "hyaluronic_acid": 0.15, "growth_factors": 0.07,
        "other": 0.03})
    adjunct_weights_home: dict = _default(
        {"none": 0.55, "hyaluronic_acid": 0.35, "growth_factors": 0.05, "other": 0.05})
    # outcomes
    effect: dict = _default({
        "acne_scars": 0.75, "surgical_scars": 0.55, "wrinkles": 0.42, "hyperpigmentation": 0.55,
        "stretch_marks": 0.50, "alopecia": 0.50, "rosacea": 0.25, "skin_laxity": 0.30,
        "enlarged_pores": 0.35, "texture": 0.40})
    rate: dict = _default({
        "acne_scars": 0.30, "surgical_scars": 0.30, "wrinkles": 0.35, "hyperpigmentation": 0.45,
        "stretch_marks": 0.20, "alopecia": 0.15, "rosacea": 0.30, "skin_laxity": 0.30,
        "enlarged_pores": 0.35, "texture": 0.35})
    patient_effect_sd: float = 0.35
    home_multiplier: float = 0.6
    alcohol_multiplier: float = 0.85
    late_gain: float = 0.05
    measurement_sd: float = 0.06
    max_improvement: float = 0.95
    baseline_share: float = 0.92
    interim_share: float = 0.75
    end_share: float = 0.85
    follow_up_share: float = 0.40
    acne_qualitative_share: float = 0.2
    gais_share: float = 0.10
    rater_weights: dict = _default({"clinician": 0.75, "blinded": 0.15, "patient": 0.10})
    # adverse events
    event_incidence: dict = _default({
        "erythema": 0.75, "oedema": 0.30, "pain": 0.20, "bruising": 0.025, "bleeding": 0.05,
        "scabbing": 0.10, "dryness": 0.12, "flaking": 0.10, "itching": 0.06, "infection": 0.003,
        "hypopigmentation": 0.002, "herpes_reactivation": 0.002, "contact_dermatitis": 0.005,
        "acne_flare": 0.03, "milia": 0.01, "scarring": 0.003})
    pih_risk_light: float = 0.015
    pih_risk_dark: float = 0.05
    dark_skin_notable_multiplier: float = 1.0
    notable_share: dict = _default({
        "erythema": 0.05, "oedema": 0.08, "pain": 0.08, "bruising": 0.15, "bleeding": 0.05,
        "scabbing": 0.10, "dryness": 0.03, "flaking": 0.03, "itching": 0.08,
        "herpes_reactivation": 0.50, "contact_dermatitis": 0.30, "acne_flare": 0.25,
        "milia": 0.10})
    severe_share: float = 0.15
    notable_event_severity: tuple = (0.60, 0.33, 0.07)
    home_event_multiplier: float = 0.6
    anticoagulant_bleeding_multiplier: float = 3.0
    resolution_median_hours: dict = _default({
        "erythema": 24.0, "oedema": 24.0, "pain": 6.0, "bruising": 120.0, "bleeding": 1.0,
        "scabbing": 54.0, "dryness": 72.0, "flaking": 96.0, "itching": 48.0, "infection": 168.0,
        "pih": 1200.0, "hypopigmentation": 2000.0, "herpes_reactivation": 168.0,
        "contact_dermatitis": 96.0, "acne_flare": 168.0, "milia": 700.0, "scarring": math.inf})
    resolution_sd_log: dict = _default({
        "erythema": 0.5, "oedema": 0.55, "pain": 0.8, "bruising": 0.6, "bleeding": 0.6,
        "scabbing": 0.5, "dryness": 0.6, "flaking": 0.6, "itching": 0.6, "infection": 0.6,
        "pih": 0.6, "hypopigmentation": 0.6, "herpes_reactivation": 0.6,
        "contact_dermatitis": 0.6, "acne_flare": 0.6, "milia": 0.6, "scarring": 0.6})
    onset_hours: dict = _default({
        "erythema": (0, 0), "oedema": (0, 0), "pain": (0, 0), "bleeding": (0, 0),
        "bruising": (0, 12), "scabbing": (6, 24), "dryness": (24, 72), "flaking": (24, 96),
        "itching": (12, 72), "infection": (24, 96), "pih": (96, 336),
        "hypopigmentation": (336, 1000), "herpes_reactivation": (24, 96),
        "contact_dermatitis": (2, 48), "acne_flare": (24, 120), "milia": (168, 672),
        "scarring": (336, 1344)})
    zero_onset_blank_share: float = 0.5
    censor_share: float = 0.12
    censor_median_hours: float = 48.0
    censor_sd_log: float = 0.8
    # data quality
    missing_rate: float = 0.04
    fault_rate: float = 0.0

    # ------------------------------------------------------------------ building and checking
    def __post_init__(self) -> None:
        _validate(self)

    def replace(self, **changes: Any) -> SimulationParams:
        """Return a copy with ``changes``; dict-valued fields are merged into the current ones.

        Raises
        ------
        TypeError
            If a name is not a field (the message lists the fields).
        ValueError
            If a value is out of its range.
        """
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(
                f"Unknown simulation parameter(s) {unknown}; the parameters are "
                f"{sorted(names)}."
            )
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in changes.items():
            current = values[name]
            if isinstance(current, dict) and isinstance(value, dict):
                value = {**current, **value}
            values[name] = value
        return SimulationParams(**values)

    # --------------------------------------------------------------------- derived quantities
    def _probs(self, weights: dict, values) -> np.ndarray:
        w = np.array([float(weights.get(v, 0.0)) for v in values])
        return w / w.sum()

    def _pmf(self, pmf: tuple) -> np.ndarray:
        """Probabilities of 1..len(pmf) sessions."""
        p = np.asarray(pmf, dtype=float)
        return p / p.sum()

    def _protocol_pmf(self) -> np.ndarray:
        p = np.zeros(6)
        p[3:6] = 1 / 3
        return p

    def _clinic_weights(self) -> np.ndarray:
        w = 1 / np.sqrt(np.arange(1, self.n_clinics + 1))
        return w / w.sum()

    def _clinic_ids(self) -> list[str]:
        width = max(2, len(str(self.n_clinics)))
        return [f"C{i:0{width}d}" for i in range(1, self.n_clinics + 1)]

    def _clinic_multipliers(self) -> np.ndarray:
        return np.array([float(self.clinic_ae_multiplier.get(c, 1.0))
                         for c in self._clinic_ids()])

    def _other_contraindication_share(self) -> float:
        """Probability that a patient without alcohol/anticoagulant flags has another one."""
        rest = (1 - self.alcohol_share) * (1 - self.anticoagulant_share)
        if rest <= 0:
            return 0.0
        return max(0.0, 1 - (1 - self.contraindicated_share) / rest)

    def _course_condition_probs(self) -> np.ndarray:
        """Probability that a course is of each condition (first and second conditions)."""
        w = self._probs(self.condition_weights, CONDITIONS)
        s = self.second_condition_share
        second = np.zeros_like(w)
        for j, wj in enumerate(w):
            if wj < 1:
                second += wj * np.where(np.arange(len(w)) == j, 0.0, w / (1 - wj))
        if second.sum() == 0:  # a single condition: no second course is possible
            s = 0.0
        return (w + s * second) / (1 + s * second.sum())

    def _course_cells(self) -> list[dict]:
        """Every kind of course: condition, home, protocol, weight (sums to 1), pmf of K."""
        cells = []
        h, m = self.home_share, self.acne_monthly_share
        pro, home, protocol = (self._pmf(self.sessions_pmf_professional),
                               self._pmf(self.sessions_pmf_home), self._protocol_pmf())
        for c, share in zip(CONDITIONS, self._course_condition_probs(), strict=True):
            if share <= 0:
                continue
            cells.append(dict(condition=c, home=True, protocol=False, weight=share * h, pmf=home))
            if c == ACNE:
                cells.append(dict(condition=c, home=False, protocol=True,
                                  weight=share * (1 - h) * m, pmf=protocol))
                cells.append(dict(condition=c, home=False, protocol=False,
                                  weight=share * (1 - h) * (1 - m), pmf=pro))
            else:
                cells.append(dict(condition=c, home=False, protocol=False,
                                  weight=share * (1 - h), pmf=pro))
        return [c for c in cells if c["weight"] > 0]

    def _home_session_share(self) -> float:
        """Share of sessions given at home."""
        cells = self._course_cells()
        total = sum(c["weight"] * _mean_k(c["pmf"]) for c in cells)
        home = sum(c["weight"] * _mean_k(c["pmf"]) for c in cells if c["home"])
        return home / total

    def _pain_levels(self) -> tuple[float, float]:
        """Mean pain (0-10) with and without numbing, so that the overall mean is pain_mean."""
        h = self._home_session_share()
        u = h * self.numbing_share_home + (1 - h) * self.numbing_share_professional
        with_numbing = self.pain_mean * self.pain_numbing_factor
        if u >= 1:
            return with_numbing, self.pain_mean
        return with_numbing, (self.pain_mean - u * with_numbing) / (1 - u)

    def _dark_share(self) -> float:
        w = self._probs(self.fitzpatrick_weights, FITZPATRICK)
        return float(sum(w[FITZPATRICK.index(t)] for t in DARK_TYPES))

    def _bleeding_flag_share(self) -> float:
        return 1 - (1 - self.anticoagulant_share) * (1 - self.bleeding_disorder_share)

    def event_probabilities(self, event: str, home, dark, clinic_multiplier, flagged):
        """Probabilities of a notable and of a mild instance of ``event`` in a session.

        Parameters
        ----------
        event : str
            An event of the vocabulary.
        home, dark, flagged : bool or array of bool
            Session at home; patient of type IV-VI; patient flagged ``anticoagulants`` or
            ``bleeding_disorder``.
        clinic_multiplier : float or array
            ``clinic_ae_multiplier`` of the session's clinic (1 at home).

        Returns
        -------
        (p_notable, p_mild) : arrays (or floats)

        Notes
        -----
        ``p = base * h * a`` (base: ``event_incidence``, or the PIH risk of the skin group; ``h``
        the home multiplier; ``a`` the anticoagulant multiplier for bleeding and bruising);
        ``p_notable = p * s * c * d`` and ``p_mild = p * (1 - s)``, with ``s`` the notable share
        (1 for pih, hypopigmentation, infection, scarring), ``c`` the clinic and ``d`` the
        dark-skin multiplier. The simulator and :meth:`truth` both use this function.
        """
        if event == "pih":
            base = np.where(dark, self.pih_risk_dark, self.pih_risk_light)
        else:
            base = float(self.event_incidence.get(event, 0.0))
        p = base * np.where(home, self.home_event_multiplier, 1.0)
        if event in BLEEDING_EVENTS:
            p = p * np.where(flagged, self.anticoagulant_bleeding_multiplier, 1.0)
        share = 1.0 if event in NOTABLE_EVENTS else float(self.notable_share.get(event, 0.0))
        notable = p * share * clinic_multiplier * np.where(dark, self.dark_skin_notable_multiplier,
                                                           1.0)
        return notable, p * (1 - share)

    def _session_cells(self) -> list[tuple]:
        """(weight, home, clinic multiplier, dark, flagged) over sessions; weights sum to 1."""
        h = self._home_session_share()
        dark, flag = self._dark_share(), self._bleeding_flag_share()
        cells = []
        settings = [(True, h, [(1.0, 1.0)])]
        settings.append((False, 1 - h, list(zip(self._clinic_weights(),
                                                self._clinic_multipliers(), strict=True))))
        for home, ph, clinics in settings:
            for p_clinic, mult in clinics:
                for is_dark, pd_ in ((True, dark), (False, 1 - dark)):
                    for is_flag, pf in ((True, flag), (False, 1 - flag)):
                        w = ph * p_clinic * pd_ * pf
                        if w > 0:
                            cells.append((w, home, mult, is_dark, is_flag))
        return cells

    # ---------------------------------------------------------------------------------- truth
    def truth(self) -> dict[str, float]:
        """The true value of each claim and audited recommendation, keyed by its id.

        Returns
        -------
        dict of str to float
            Keys are the ids of claims.md:

            - ``redness-24-48h``, ``side-effects-few-days``, ``scabs-few-days``: the share of
              events resolved by 48 h (erythema) or 72 h (erythema, oedema and pain pooled;
              scabbing), ``F(H + 0.5)`` of the log-normal resolution times (hours are recorded
              whole), the pooled one weighted by the expected number of events of each type.
              Scabbing starts after an onset and is exact up to the rare resolution before it.
            - ``safe-all-skin-types``: the risk difference of a course with a notable event,
              types IV-VI minus I-III, exact: ``1 - E[(1 - q)^K]`` per group, ``q`` the
              session's notable risk, averaged over settings, clinics, flags and course lengths.
            - ``bleeding-risk-anticoagulants``: the session risk ratio of bleeding or bruising,
              flagged over not flagged (exact).
            - ``minimal-pain``: ``pain_mean`` (exact).
            - ``session-30-60-min``, ``session-15-20-min``: the median duration of the
              log-normal mixture of professional and home sessions (approximate: durations are
              recorded in whole minutes).
            - ``full-results-take-months``: ``late_gain`` (approximate: exact for the latent
              improvement; rounding coarse scales such as the Goodman & Baron grades shifts the
              recorded difference a little).
            - ``single-session-visible``, ``few-sessions-reduce-wrinkles``: the share of courses
              with an assessment after session 1 (3 for wrinkles) whose recorded improvement
              reaches the band (visible 0.10, considerable 0.25), exact: rater error, rounding to
              each scale's resolution and the baseline distribution are integrated over.
            - Approximate, the latent (true) improvement without rater error, rounding or
              clipping to the scale: ``effective-<condition>`` (mean final improvement),
              ``professional-beats-home`` and ``alcohol-reduces-effect`` (differences of mean
              final improvement), ``acne-scars-4-6-sessions`` (the median number of sessions for
              the latent improvement to reach 0.5, NaN if never; recorded scores and the late
              gain at follow-up make the observed median somewhat lower).
            - The audited recommendations (exact, in expectation): ``spacing-15-30-days``,
              ``spacing-professional-4-6-weeks``, ``spacing-home-1-2-weeks`` (share of spacings
              within the window), ``acne-scars-monthly-course`` (share of acne-scar courses with
              4-6 sessions all spaced 21-38 days) and ``contraindications`` (share of sessions
              without a contraindication the documents name).

            :data:`APPROXIMATE_TRUTHS` lists the approximate keys.
        """
        out: dict[str, float] = {}
        out.update(self._truth_outcomes())
        out.update(self._truth_events())
        out["minimal-pain"] = float(self.pain_mean)
        median = self._duration_median()
        out["session-30-60-min"] = median
        out["session-15-20-min"] = median
        out.update(self._truth_spacing())
        out["contraindications"] = 1 - float(self.contraindicated_share)
        return {key: float(value) for key, value in out.items()}

    def _duration_median(self) -> float:
        h = self._home_session_share()
        sd = self.duration_sd_log

        def cdf(x: float) -> float:
            if sd == 0:
                return (1 - h) * (x >= self.duration_median_professional) + h * (
                    x >= self.duration_median_home)
            return float((1 - h) * ndtr(math.log(x / self.duration_median_professional) / sd)
                         + h * ndtr(math.log(x / self.duration_median_home) / sd))

        lo, hi = 1e-3, 1e4
        for _ in range(100):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if cdf(mid) < 0.5 else (lo, mid)
        return float(hi)

    def _resolved_by(self, event: str, hours: float) -> float:
        median = self.resolution_median_hours[event]
        sd = self.resolution_sd_log[event]
        if not math.isfinite(median):
            return 0.0
        if sd == 0:
            return float(max(1.0, round(median)) <= hours)
        return float(ndtr(math.log((hours + 0.5) / median) / sd))

    def _truth_events(self) -> dict[str, float]:
        sessions = self._session_cells()
        expected = {e: 0.0 for e in EVENTS}
        bb = {True: [0.0, 0.0], False: [0.0, 0.0]}  # flagged -> [sum w*p, sum w]
        for w, home, mult, dark, flag in sessions:
            p_any = 1.0
            for e in EVENTS:
                pn, pm = self.event_probabilities(e, home, dark, mult, flag)
                expected[e] += w * float(pn + pm)
                if e in BLEEDING_EVENTS:
                    p_any *= 1 - float(pn + pm)
            bb[flag][0] += w * (1 - p_any)
            bb[flag][1] += w
        out = {"redness-24-48h": self._resolved_by("erythema", 48)}
        pooled = ("erythema", "oedema", "pain")
        total = sum(expected[e] for e in pooled)
        out["side-effects-few-days"] = (
            sum(expected[e] * self._resolved_by(e, 72) for e in pooled) / total
            if total > 0 else math.nan)
        out["scabs-few-days"] = self._resolved_by("scabbing", 72)
        risk = {flag: (s / n if n > 0 else math.nan) for flag, (s, n) in bb.items()}
        out["bleeding-risk-anticoagulants"] = (
            risk[True] / risk[False] if risk[False] > 0 else math.nan)
        out["safe-all-skin-types"] = self._notable_risk_difference()
        return out

    def _notable_risk_difference(self) -> float:
        dark_risk = {}
        flag = self._bleeding_flag_share()
        clinics = list(zip(self._clinic_weights(), self._clinic_multipliers(), strict=True))
        no_notable = {}  # (home, dark, clinic multiplier, flagged) -> P(no notable event)
        for home in (True, False):
            for dark in (True, False):
                for _, mult in ([(1.0, 1.0)] if home else clinics):
                    for is_flag in (True, False):
                        q_none = 1.0
                        for e in EVENTS:
                            pn, _ = self.event_probabilities(e, home, dark, mult, is_flag)
                            q_none *= 1 - float(pn)
                        no_notable[home, dark, float(mult), is_flag] = q_none
        for dark in (True, False):
            num = den = 0.0
            for cell in self._course_cells():
                k = np.arange(1, len(cell["pmf"]) + 1)
                for p_clinic, mult in ([(1.0, 1.0)] if cell["home"] else clinics):
                    for is_flag, pf in ((True, flag), (False, 1 - flag)):
                        q_none = no_notable[cell["home"], dark, float(mult), is_flag]
                        w = cell["weight"] * p_clinic * pf
                        num += w * float(np.sum(cell["pmf"] * (1 - q_none ** k)))
                        den += w
            dark_risk[dark] = num / den
        return dark_risk[True] - dark_risk[False]

    def _truth_spacing(self) -> dict[str, float]:
        def normal_in(a: int, b: int, target: float, sd: float) -> float:
            lo = -math.inf if a <= 1 else math.log((a - 0.5) / target)
            hi = math.log((b + 0.5) / target)
            if sd == 0:
                g = max(1, round(target))
                return float(a <= g <= b)
            return float(ndtr(hi / sd) - (0.0 if lo == -math.inf else ndtr(lo / sd)))

        def uniform_in(a: int, b: int, lo: int, hi: int) -> float:
            return max(0, min(b, hi) - max(a, lo) + 1) / (hi - lo + 1)

        dev_lo, dev_hi = self.spacing_deviation_days
        pro_lo, pro_hi = self.acne_monthly_spacing_days

        def gap_in(a: int, b: int, home: bool, protocol: bool) -> float:
            if protocol:
                return uniform_in(a, b, pro_lo, pro_hi)
            target, sd = ((self.spacing_home_days, self.spacing_home_sd_log) if home else
                          (self.spacing_professional_days, self.spacing_professional_sd_log))
            d = self.spacing_deviation_share
            return (1 - d) * normal_in(a, b, target, sd) + d * uniform_in(a, b, dev_lo, dev_hi)

        def share(a: int, b: int, setting: bool | None) -> float:
            num = den = 0.0
            for cell in self._course_cells():
                if setting is not None and cell["home"] != setting:
                    continue
                gaps = cell["weight"] * (_mean_k(cell["pmf"]) - 1)
                num += gaps * gap_in(a, b, cell["home"], cell["protocol"])
                den += gaps
            return num / den if den > 0 else math.nan

        out = {
            "spacing-15-30-days": share(15, 31, None),
            "spacing-professional-4-6-weeks": share(28, 42, False),
            "spacing-home-1-2-weeks": share(7, 14, True),
        }
        num = den = 0.0
        for cell in self._course_cells():
            if cell["condition"] != ACNE:
                continue
            q = gap_in(21, 38, cell["home"], cell["protocol"])
            k = np.arange(1, len(cell["pmf"]) + 1)
            ok = (k >= 4) & (k <= 6)
            num += cell["weight"] * float(np.sum(cell["pmf"][ok] * q ** (k[ok] - 1)))
            den += cell["weight"]
        out["acne-scars-monthly-course"] = num / den if den > 0 else math.nan
        return out

    def _multiplier_cells(self, cell: dict) -> list[tuple[float, float, bool]]:
        """(probability, multiplier without the patient effect, alcohol) of a course cell."""
        e = float(self.effect[cell["condition"]])
        h = self.home_multiplier if cell["home"] else 1.0
        a = self.alcohol_share
        return [(a, e * h * self.alcohol_multiplier, True), (1 - a, e * h, False)]

    def _expected_min(self, x: float) -> float:
        """E[min(x * m, cap)] for the log-normal patient multiplier m (mean 1)."""
        cap, s = self.max_improvement, self.patient_effect_sd
        if x <= 0:
            return x
        if s == 0:
            return min(x, cap)
        mu = -s * s / 2
        z = (math.log(cap / x) - mu) / s
        return float(x * ndtr(z - s) + cap * (1 - ndtr(z)))

    def _scale_mix(self, condition: str) -> list[tuple[str, float]]:
        """(scale, share of the courses of ``condition`` with an improvement) pairs."""
        if condition == ACNE:
            q = self.acne_qualitative_share
            mix = [(GB_QUANTITATIVE, 1 - q), (GB_QUALITATIVE, q)]
        elif condition in CONDITION_SCALE:
            mix = [(CONDITION_SCALE[condition], 1.0)]
        else:
            mix = [(SEVERITY_VAS, 1 - self.gais_share), (GAIS, self.gais_share)]
        # an improvement needs a baseline, except on GAIS
        return [(sc, w * (1.0 if sc == GAIS else self.baseline_share)) for sc, w in mix if w > 0]

    def _share_reaching(self, condition: str, x: float, threshold: float) -> float:
        """P(recorded improvement >= threshold) when the latent one is min(x * m, cap).

        Exact for the simulator's recording: Gaussian rater error, scores rounded to the scale's
        resolution (integer grades, MASI to 0.1, whole hairs), over the baseline distribution.
        """
        cap, s, sd = self.max_improvement, self.patient_effect_sd, self.measurement_sd
        nodes, weights = _normal_quadrature()
        true = np.minimum(x * np.exp(-s * s / 2 + s * nodes), cap)  # per node
        eps = 1e-9
        total = share = 0.0
        for scale, w in self._scale_mix(condition):
            if scale == GAIS:
                values, probs = np.array([GAIS_NO_CHANGE]), np.array([1.0])
                worst = math.floor(GAIS_NO_CHANGE - (GAIS_NO_CHANGE - 1) * threshold + eps)
                need = np.array([(GAIS_NO_CHANGE - 0.5 - worst) / (GAIS_NO_CHANGE - 1)])
                possible = np.array([worst >= SCALE_RANGE[GAIS][0]])
            elif scale == HAIR_DENSITY:
                values, probs = _baseline_pmf(scale)
                lowest = np.ceil(values * (1 + threshold) - eps)  # fewest hairs that count
                need = (lowest - 0.5) / values - 1
                possible = np.ones(len(values), dtype=bool)
            else:
                values, probs = _baseline_pmf(scale)
                low, res = SCALE_RANGE[scale][0], SCALE_RESOLUTION[scale]
                room = values - low
                worst = np.floor((values - threshold * room) / res + eps) * res  # highest score
                need = (values - worst - res / 2) / np.where(room > 0, room, 1.0)
                possible = (worst >= low) & (room > 0)
            if sd == 0:
                hit = true[None, :] > need[:, None]
            else:
                hit = ndtr((true[None, :] - need[:, None]) / sd)
            per_baseline = np.where(possible, hit @ weights, 0.0)
            share += w * float(np.sum(probs * per_baseline))
            total += w
        return share / total if total > 0 else math.nan

    def _final(self, cell: dict, x: float) -> tuple[float, float]:
        """(P(final exists), E[final improvement; exists]) of a course cell, multiplier x."""
        phi, eps, iota = self.follow_up_share, self.end_share, self.interim_share
        r = float(self.rate[cell["condition"]])
        p_exist = total = 0.0
        for k_last, pk in enumerate(cell["pmf"], start=1):
            if pk == 0:
                continue
            at_end = self._expected_min(x * (1 - math.exp(-r * k_last)))
            latest = 0.0  # E[improvement at the latest interim; one exists]
            none = 1.0
            for k in range(k_last - 1, 0, -1):
                latest += none * iota * self._expected_min(x * (1 - math.exp(-r * k)))
                none *= 1 - iota
            exists = phi + (1 - phi) * eps + (1 - phi) * (1 - eps) * (1 - none)
            value = (phi + (1 - phi) * eps) * at_end + (1 - phi) * (1 - eps) * latest
            value += phi * self.late_gain
            p_exist += pk * exists
            total += pk * value
        return p_exist, total

    def _with_improvement(self, condition: str) -> float:
        """Share of the courses of ``condition`` whose assessments give an improvement."""
        return sum(w for _, w in self._scale_mix(condition))

    def _truth_outcomes(self) -> dict[str, float]:
        cells = self._course_cells()
        groups: dict[str, list[float]] = {}

        def add(key: str, w: float, p: float, v: float) -> None:
            acc = groups.setdefault(key, [0.0, 0.0])
            acc[0] += w * v
            acc[1] += w * p

        visible = [0.0, 0.0]
        wrinkles = [0.0, 0.0]
        for cell in cells:
            r = float(self.rate[cell["condition"]])
            pmf = cell["pmf"]
            for p_alcohol, x, alcohol in self._multiplier_cells(cell):
                w = cell["weight"] * p_alcohol
                if w <= 0:
                    continue
                p, v = self._final(cell, x)
                add(f"effective-{cell['condition']}", w, p, v)
                add(HOME if cell["home"] else PROFESSIONAL, w, p, v)
                add("alcohol" if alcohol else "sober", w, p, v)
                after_1 = pmf[0] * self.end_share + (1 - pmf[0]) * self.interim_share
                after_1 = w * after_1 * self._with_improvement(cell["condition"])
                visible[0] += after_1 * self._share_reaching(
                    cell["condition"], x * (1 - math.exp(-r)), BANDS["visible"])
                visible[1] += after_1
                if cell["condition"] == "wrinkles" and len(pmf) >= 3:
                    after_3 = pmf[2] * self.end_share + pmf[3:].sum() * self.interim_share
                    after_3 *= w * self._with_improvement(cell["condition"])
                    wrinkles[0] += after_3 * self._share_reaching(
                        cell["condition"], x * (1 - math.exp(-3 * r)), BANDS["considerable"])
                    wrinkles[1] += after_3

        def mean(key: str) -> float:
            s, n = groups.get(key, (0.0, 0.0))
            return s / n if n > 0 else math.nan

        out = {f"effective-{c}": mean(f"effective-{c}") for c in CLAIM_CONDITIONS}
        out["professional-beats-home"] = mean(PROFESSIONAL) - mean(HOME)
        out["alcohol-reduces-effect"] = mean("alcohol") - mean("sober")
        out["full-results-take-months"] = float(self.late_gain)
        out["single-session-visible"] = visible[0] / visible[1] if visible[1] else math.nan
        out["few-sessions-reduce-wrinkles"] = (
            wrinkles[0] / wrinkles[1] if wrinkles[1] else math.nan)
        out["acne-scars-4-6-sessions"] = self._acne_median()
        return out

    def _acne_median(self) -> float:
        cells = [c for c in self._course_cells() if c["condition"] == ACNE]
        total = sum(c["weight"] for c in cells)
        if total == 0:
            return math.nan
        s, cap = self.patient_effect_sd, self.max_improvement
        if cap < BANDS["major"]:
            return math.nan
        r = float(self.rate[ACNE])
        for k in range(1, 201):
            g = 1 - math.exp(-r * k)
            reached = 0.0
            for cell in cells:
                for p_alcohol, x, _ in self._multiplier_cells(cell):
                    if x * g <= 0:
                        continue
                    need = BANDS["major"] / (x * g)  # m must reach this
                    if s == 0:
                        p = float(need <= 1)
                    else:
                        p = float(1 - ndtr((math.log(need) + s * s / 2) / s))
                    reached += cell["weight"] * p_alcohol * p
            if reached / total >= 0.5:
                return float(k)
        return math.nan


@cache
def _normal_quadrature(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) integrating against the standard normal."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    return nodes, weights / weights.sum()


def _mean_k(pmf: np.ndarray) -> float:
    return float(np.sum(pmf * np.arange(1, len(pmf) + 1)))


def _validate(p: SimulationParams) -> None:
    """Check every field of ``p``; raise ValueError naming the field, expected and given."""

    def fail(name: str, expected: str, value) -> None:
        raise ValueError(f"SimulationParams.{name}: expected {expected}, got {value!r}.")

    shares = ("second_condition_share", "home_share", "contraindicated_share", "alcohol_share",
              "anticoagulant_share", "bleeding_disorder_share", "acne_monthly_share",
              "spacing_deviation_share", "numbing_share_professional", "numbing_share_home",
              "baseline_share", "interim_share", "end_share", "follow_up_share",
              "acne_qualitative_share", "gais_share", "pih_risk_light", "pih_risk_dark",
              "severe_share", "zero_onset_blank_share", "censor_share", "missing_rate",
              "fault_rate", "max_improvement")
    for name in shares:
        v = getattr(p, name)
        if not (isinstance(v, int | float) and 0 <= v <= 1):
            fail(name, "a number between 0 and 1", v)
    non_negative = ("spacing_professional_sd_log", "spacing_home_sd_log", "duration_sd_log",
                    "pain_numbing_factor", "patient_effect_sd", "home_multiplier",
                    "alcohol_multiplier", "measurement_sd", "dark_skin_notable_multiplier",
                    "home_event_multiplier", "anticoagulant_bleeding_multiplier", "censor_sd_log",
                    "pain_mean")
    for name in non_negative:
        v = getattr(p, name)
        if not (isinstance(v, int | float) and v >= 0 and math.isfinite(v)):
            fail(name, "a finite number >= 0", v)
    positive = ("spacing_professional_days", "spacing_home_days", "duration_median_professional",
                "duration_median_home", "pain_concentration", "censor_median_hours")
    for name in positive:
        v = getattr(p, name)
        if not (isinstance(v, int | float) and v > 0 and math.isfinite(v)):
            fail(name, "a finite number > 0", v)
    if not isinstance(p.late_gain, int | float) or not -1 <= p.late_gain <= 1:
        fail("late_gain", "a number between -1 and 1", p.late_gain)
    if p.pain_mean > 10:
        fail("pain_mean", "at most 10", p.pain_mean)
    for name in ("n_clinics", "operators_per_clinic"):
        v = getattr(p, name)
        if not (isinstance(v, int) and v >= 1):
            fail(name, "a whole number >= 1", v)
    vocabularies = {
        "condition_weights": CONDITIONS, "fitzpatrick_weights": FITZPATRICK,
        "age_band_weights": AGE_BANDS, "ageing_age_band_weights": AGE_BANDS,
        "sex_weights": SEXES, "device_weights_professional": DEVICES,
        "device_weights_home": DEVICES, "adjunct_weights_professional": ADJUNCTS,
        "adjunct_weights_home": ADJUNCTS, "rater_weights": RATERS,
        "other_contraindication_weights": tuple(
            c for c in NAMED_CONTRAINDICATIONS if c not in ("alcohol_frequent", "anticoagulants")),
    }
    for name, allowed in vocabularies.items():
        w = getattr(p, name)
        if not isinstance(w, dict) or not w:
            fail(name, f"a dict of weights over {list(allowed)}", w)
        unknown = [k for k in w if k not in allowed]
        if unknown:
            fail(name, f"keys among {list(allowed)}", unknown)
        if any(not (isinstance(v, int | float) and v >= 0) for v in w.values()) or \
                sum(w.values()) <= 0:
            fail(name, "weights >= 0 with a positive sum", w)
    if not p.depth_home_mm or any(not 0.1 <= float(d) <= 3.0 or v < 0
                                  for d, v in p.depth_home_mm.items()) \
            or sum(p.depth_home_mm.values()) <= 0:
        fail("depth_home_mm", "depths 0.1-3.0 mm with weights >= 0 (positive sum)",
             p.depth_home_mm)
    for name in ("effect", "rate", "depth_professional_mm"):
        d = getattr(p, name)
        missing = [c for c in CONDITIONS if c not in d]
        unknown = [c for c in d if c not in CONDITIONS]
        if missing or unknown:
            fail(name, f"one value per condition {list(CONDITIONS)}", d)
        if any(not (isinstance(v, int | float) and v >= 0 and math.isfinite(v))
               for v in d.values()):
            fail(name, "finite values >= 0", d)
    for name in ("sessions_pmf_professional", "sessions_pmf_home"):
        pmf = getattr(p, name)
        if len(pmf) == 0 or any(v < 0 for v in pmf) or sum(pmf) <= 0:
            fail(name, "probabilities of 1, 2, ... sessions (>= 0, positive sum)", pmf)
    for name, low in (("acne_monthly_spacing_days", 1), ("spacing_deviation_days", 1)):
        a, b = getattr(p, name)
        if not (isinstance(a, int) and isinstance(b, int) and low <= a <= b):
            fail(name, f"two whole numbers of days, {low} <= low <= high", (a, b))
    if len(p.notable_event_severity) != 3 or sum(p.notable_event_severity) <= 0:
        fail("notable_event_severity", "weights of (mild, moderate, severe)",
             p.notable_event_severity)
    for name in ("first_start", "last_start"):
        try:
            np.datetime64(getattr(p, name), "D")
        except (TypeError, ValueError):
            fail(name, "an ISO date such as 2019-01-07", getattr(p, name))
    start, end = np.datetime64(p.first_start, "D"), np.datetime64(p.last_start, "D")
    if end < start:
        fail("last_start", f"a date on or after first_start ({p.first_start})", p.last_start)
    clinics = p._clinic_ids()
    unknown = [c for c in p.clinic_ae_multiplier if c not in clinics]
    if unknown:
        fail("clinic_ae_multiplier", f"clinic ids among {clinics}", unknown)
    if any(not (isinstance(v, int | float) and v >= 0) for v in p.clinic_ae_multiplier.values()):
        fail("clinic_ae_multiplier", "multipliers >= 0", p.clinic_ae_multiplier)
    for name in ("event_incidence", "notable_share"):
        d = getattr(p, name)
        unknown = [e for e in d if e not in EVENTS]
        if unknown or any(not (isinstance(v, int | float) and 0 <= v <= 1) for v in d.values()):
            fail(name, f"probabilities keyed by events {list(EVENTS)}", d)
    for name in ("resolution_median_hours", "resolution_sd_log", "onset_hours"):
        d = getattr(p, name)
        missing = [e for e in EVENTS if e not in d]
        if missing:
            fail(name, "one entry per event", f"missing {missing}")
    if any(not (v > 0) for v in p.resolution_median_hours.values()):
        fail("resolution_median_hours", "positive hours (inf: never resolves)",
             p.resolution_median_hours)
    if any(not (0 <= lo <= hi) for lo, hi in p.onset_hours.values()):
        fail("onset_hours", "(low, high) with 0 <= low <= high", p.onset_hours)
    if p._pain_levels()[1] > 10:
        fail("pain_mean", "a mean pain without numbing of at most 10 (lower pain_mean or "
             "raise pain_numbing_factor)", p.pain_mean)
    named = 1 - (1 - p.alcohol_share) * (1 - p.anticoagulant_share)
    if p.contraindicated_share < named - 1e-12:
        fail("contraindicated_share",
             f"at least the share flagged alcohol_frequent or anticoagulants ({named:.4f})",
             p.contraindicated_share)
    # every event probability must stay a probability in the riskiest session
    worst = max(list(p._clinic_multipliers()) + [1.0])
    for event in EVENTS:
        for home in (True, False):
            for dark in (True, False):
                pn, pm = p.event_probabilities(event, home, dark, 1.0 if home else worst, True)
                if float(pn + pm) > 1 + 1e-12:
                    fail("event_incidence",
                         f"a risk of {event} of at most 1 once multiplied (home={home}, "
                         f"dark skin={dark}, clinic multiplier {worst}, flagged); it is "
                         f"{float(pn + pm):.3f}", p.event_incidence.get(event))


# ================================================================================= simulate
def simulate(
    n_patients: int,
    seed: int,
    params: SimulationParams | None = None,
    *,
    return_faults: bool = False,
    **overrides: Any,
):
    """Simulate an anonymised session-log bundle with known truth.

    Parameters
    ----------
    n_patients : int
        Number of patients (about 5.3 sessions each with the defaults: 188,000 patients give
        about 1,000,000 sessions).
    seed : int
        Seed of the numpy random generator: the same seed and parameters give the same tables.
    params : SimulationParams, optional
        Parameters; default ``SimulationParams()``.
    return_faults : bool, default False
        Also return the ground truth of the injected data-entry faults.
    **overrides
        Fields of :class:`SimulationParams` to change (dicts are merged), e.g.
        ``simulate(500, 1, home_multiplier=1.0, fault_rate=0.02)``.

    Returns
    -------
    tables : dict of str to DataFrame
        ``sessions``, ``assessments``, ``adverse_events``, columns exactly as in the data
        contract (``outcomes.bundle.schema.TABLES``): ids, vocabularies and ISO dates as text
        (``str``), numbers as ``float64`` (NaN when blank), ``numbing`` as ``boolean``.
        Sessions are in date order with ids ``S00001``...; patients ``P0001``...; clinics
        ``C01``...; operators ``OP01``....
    faults : DataFrame
        Only with ``return_faults=True``. One row per faulty cell, sorted by table and row:
        ``table``; ``row`` (spreadsheet row, the header is row 1); ``column``; ``kind`` (a
        :class:`FaultKind`); ``expect``, ``"quarantine"`` (the row must be quarantined) or
        ``"warning"`` (the value must be blanked with a warning); ``value`` (as written). Events
        of a session quarantined by a fault are listed with kind ``dependant``. Every other row
        and cell is valid.

    Raises
    ------
    ValueError
        If ``n_patients`` is not a positive whole number or a parameter is out of range.
    TypeError
        If an override is not a parameter.

    Notes
    -----
    Data-entry faults (``fault_rate > 0``): for each class below, a binomial number of rows
    (``fault_rate`` / number of classes of the table, at least one) get one fault each, never
    two in a row and never in the events of a faulty session:

    - sessions: a non-ISO ``session_date`` (``18/03/2024``, ``03/18/2024``, ``18.03.2024``); an
      impossible one (``2023-02-29``, ``2024-04-31``); an unknown ``condition`` or ``setting``;
      a conflicting duplicate (a second row with the same ``session_id`` and another date);
      all quarantined, with the events of those sessions. ``duration_min``, ``pain_vas`` and
      ``needle_depth_mm`` out of range: warnings.
    - assessments: non-ISO or impossible ``assessment_date``; unknown ``condition`` or
      ``scale``; ``score`` outside its scale: quarantined.
    - adverse_events: unknown ``event`` or ``severity``; unresolved without
      ``last_contact_hours``; ``resolved_hours`` before ``onset_hours``; a ``session_id`` naming
      no session: quarantined.

    Examples
    --------
    >>> tables = simulate(50, seed=1)
    >>> sorted(tables)
    ['adverse_events', 'assessments', 'sessions']
    >>> tables, faults = simulate(300, seed=1, fault_rate=0.02, return_faults=True)
    >>> sorted(faults["expect"].unique())
    ['quarantine', 'warning']
    """
    if isinstance(n_patients, bool) or not isinstance(n_patients, int | np.integer) \
            or n_patients < 1:
        raise ValueError(f"n_patients: expected a whole number >= 1, got {n_patients!r}.")
    p = params if params is not None else SimulationParams()
    if overrides:
        p = p.replace(**overrides)
    rng = np.random.default_rng(seed)
    world = _draw(p, rng, int(n_patients))
    tables = _tables(p, rng, world)
    if p.fault_rate > 0:
        tables, faults = _inject_faults(tables, p.fault_rate, rng)
    else:
        faults = _empty_faults()
    return (tables, faults) if return_faults else tables


# ------------------------------------------------------------------------------ drawing
def _choice(rng: np.random.Generator, probs: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probabilities ``probs`` (vectorised inverse CDF)."""
    cum = np.cumsum(probs)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(probs) - 1)


def _choice_by(rng, probs_a: np.ndarray, probs_b: np.ndarray, use_a: np.ndarray) -> np.ndarray:
    """Indices drawn from ``probs_a`` where ``use_a`` and from ``probs_b`` elsewhere."""
    u = rng.random(len(use_a))
    out = np.empty(len(use_a), dtype=np.int64)
    for probs, mask in ((probs_a, use_a), (probs_b, ~use_a)):
        cum = np.cumsum(probs)
        cum /= cum[-1]
        out[mask] = np.minimum(np.searchsorted(cum, u[mask], side="right"), len(probs) - 1)
    return out


def _draw(p: SimulationParams, rng: np.random.Generator, n: int) -> dict:
    """Draw patients, courses, sessions, events and assessments as numpy arrays."""
    w = {}
    # ---- patients
    cw = p._probs(p.condition_weights, CONDITIONS)
    with np.errstate(divide="ignore"):
        keys = np.log(cw)[None, :] + rng.gumbel(size=(n, len(CONDITIONS)))
    top = np.argsort(-keys, axis=1, kind="stable")[:, :2]
    first, second = top[:, 0], top[:, 1]
    two = (rng.random(n) < p.second_condition_share) & (cw[second] > 0)
    fitz = _choice(rng, p._probs(p.fitzpatrick_weights, FITZPATRICK), n)
    ageing = np.isin(first, [CONDITIONS.index(c) for c in AGEING_CONDITIONS])
    age = _choice_by(rng, p._probs(p.ageing_age_band_weights, AGE_BANDS),
                     p._probs(p.age_band_weights, AGE_BANDS), ageing)
    sex = _choice(rng, p._probs(p.sex_weights, SEXES), n)
    bit = {c: np.int64(1) << i for i, c in enumerate(CONTRAINDICATIONS)}
    alcohol = rng.random(n) < p.alcohol_share
    anticoag = rng.random(n) < p.anticoagulant_share
    disorder = rng.random(n) < p.bleeding_disorder_share
    other = rng.random(n) < p._other_contraindication_share()
    others = tuple(p.other_contraindication_weights)
    other_item = _choice(rng, p._probs(p.other_contraindication_weights, others), n)
    flags = (alcohol * bit["alcohol_frequent"] + anticoag * bit["anticoagulants"]
             + disorder * bit["bleeding_disorder"])
    other_bits = np.array([bit[c] for c in others], dtype=np.int64)
    flags = flags | np.where(other, other_bits[other_item], 0)
    clinic = _choice(rng, p._clinic_weights(), n)
    s = p.patient_effect_sd
    m_patient = np.exp(s * rng.standard_normal(n) - s * s / 2)
    missing = p.missing_rate
    w["patient"] = dict(
        fitz=np.where(rng.random(n) < missing, -1, fitz), dark=fitz >= FITZPATRICK.index("IV"),
        age=np.where(rng.random(n) < missing, -1, age),
        sex=np.where(rng.random(n) < missing, -1, sex),
        flags=flags, alcohol=alcohol, bleed_flag=anticoag | disorder, clinic=clinic, n=n)

    # ---- courses
    pat = np.concatenate([np.arange(n), np.flatnonzero(two)])
    cond = np.concatenate([first, second[two]])
    order = np.lexsort((cond, pat))
    pat, cond = pat[order], cond[order]
    nc = len(pat)
    home = rng.random(nc) < p.home_share
    protocol = (cond == CONDITIONS.index(ACNE)) & ~home & (rng.random(nc) < p.acne_monthly_share)
    k_pro = _choice(rng, p._pmf(p.sessions_pmf_professional), nc) + 1
    k_home = _choice(rng, p._pmf(p.sessions_pmf_home), nc) + 1
    k_protocol = rng.integers(4, 7, nc)
    n_sessions = np.where(home, k_home, np.where(protocol, k_protocol, k_pro))
    start0 = np.datetime64(p.first_start, "D").astype(np.int64)
    start1 = np.datetime64(p.last_start, "D").astype(np.int64)
    start = rng.integers(start0, start1 + 1, nc)
    adjunct = _choice_by(rng, p._probs(p.adjunct_weights_home, ADJUNCTS),
                         p._probs(p.adjunct_weights_professional, ADJUNCTS), home)

    # ---- sessions
    total = int(n_sessions.sum())
    course = np.repeat(np.arange(nc), n_sessions)
    first_row = np.cumsum(n_sessions) - n_sessions
    k = np.arange(total) - first_row[course] + 1
    s_home, s_protocol = home[course], protocol[course]
    target = np.where(s_home, p.spacing_home_days, p.spacing_professional_days)
    spread = np.where(s_home, p.spacing_home_sd_log, p.spacing_professional_sd_log)
    gap = np.maximum(1, np.rint(target * np.exp(spread * rng.standard_normal(total))))
    gap = gap.astype(np.int64)
    deviate = (rng.random(total) < p.spacing_deviation_share) & ~s_protocol
    lo, hi = p.spacing_deviation_days
    gap = np.where(deviate, rng.integers(lo, hi + 1, total), gap)
    lo, hi = p.acne_monthly_spacing_days
    gap = np.where(s_protocol, rng.integers(lo, hi + 1, total), gap)
    gap[k == 1] = 0
    cum = np.cumsum(gap)
    day = start[course] + cum - cum[first_row][course]
    s_pat = pat[course]
    s_cond = cond[course]

    device = _choice_by(rng, p._probs(p.device_weights_home, DEVICES),
                        p._probs(p.device_weights_professional, DEVICES), s_home)
    mean_depth = np.array([p.depth_professional_mm[c] for c in CONDITIONS])[s_cond]
    depth_pro = np.rint((mean_depth + 0.25 * rng.standard_normal(total)) * 4) / 4
    roller = device == DEVICES.index("roller")
    depth_pro = np.where(roller, np.clip(depth_pro, 0.5, 1.5), np.clip(depth_pro, 0.25, 2.5))
    home_depths = np.array([float(d) for d in p.depth_home_mm])
    depth_home = home_depths[_choice(rng, p._probs(p.depth_home_mm, tuple(p.depth_home_mm)),
                                     total)]
    depth = np.where(s_home, depth_home, depth_pro)
    median = np.where(s_home, p.duration_median_home, p.duration_median_professional)
    duration = np.clip(np.rint(median * np.exp(p.duration_sd_log * rng.standard_normal(total))),
                       5, 180)
    numbing = rng.random(total) < np.where(s_home, p.numbing_share_home,
                                           p.numbing_share_professional)
    with_numbing, without = p._pain_levels()
    mean_pain = np.where(numbing, with_numbing, without) / 10
    kappa = p.pain_concentration
    pi = rng.beta(np.maximum(mean_pain * kappa, 1e-9), np.maximum((1 - mean_pain) * kappa, 1e-9))
    pain = rng.binomial(10, np.clip(pi, 0, 1)).astype(float)
    s_clinic = np.where(s_home, -1, clinic[s_pat])
    operator = np.where(s_home, -1,
                        s_clinic * p.operators_per_clinic
                        + rng.integers(0, p.operators_per_clinic, total))
    blank = {c: rng.random(total) < missing for c in (
        Col.OPERATOR_ID, Col.DEVICE, Col.NEEDLE_DEPTH_MM, Col.DURATION_MIN, Col.NUMBING,
        Col.PAIN_VAS, Col.ADJUNCT)}
    w["session"] = dict(
        course=course, k=k, day=day, pat=s_pat, cond=s_cond, home=s_home, clinic=s_clinic,
        operator=np.where(blank[Col.OPERATOR_ID], -1, operator),
        device=np.where(blank[Col.DEVICE], -1, device),
        depth=np.where(blank[Col.NEEDLE_DEPTH_MM], np.nan, depth),
        duration=np.where(blank[Col.DURATION_MIN], np.nan, duration),
        numbing=numbing, numbing_blank=blank[Col.NUMBING],
        pain=np.where(blank[Col.PAIN_VAS], np.nan, pain),
        adjunct=np.where(blank[Col.ADJUNCT], -1, adjunct[course]), n=total)
    w["course"] = dict(pat=pat, cond=cond, home=home, n_sessions=n_sessions, start=start,
                       first_row=first_row, last_day=day[first_row + n_sessions - 1])
    w["events"] = _draw_events(p, rng, w)
    w["assessments"] = _draw_assessments(p, rng, w, m_patient)
    return w


def _draw_events(p: SimulationParams, rng: np.random.Generator, w: dict) -> dict:
    s, pt = w["session"], w["patient"]
    # every session falls in one cell (clinic or home, dark skin, flagged): risks per cell
    n_cells = p.n_clinics + 1  # clinics 0..n-1, home n
    place = np.where(s["home"], p.n_clinics, s["clinic"])
    cell = (place * 2 + pt["dark"][s["pat"]]) * 2 + pt["bleed_flag"][s["pat"]]
    grid = np.arange(n_cells * 4)
    g_place, g_dark, g_flag = grid // 4, (grid // 2) % 2 == 1, grid % 2 == 1
    g_home = g_place == p.n_clinics
    g_mult = np.where(g_home, 1.0, np.append(p._clinic_multipliers(), 1.0)[g_place])
    sess, code, notable = [], [], []
    for j, event in enumerate(EVENTS):
        pn_cell, pm_cell = p.event_probabilities(event, g_home, g_dark, g_mult, g_flag)
        pn = np.broadcast_to(pn_cell, grid.shape)[cell]
        pm = np.broadcast_to(pm_cell, grid.shape)[cell]
        u = rng.random(s["n"])
        is_notable = u < pn
        hit = np.flatnonzero(is_notable | (u < pn + pm))
        sess.append(hit)
        code.append(np.full(len(hit), j, dtype=np.int64))
        notable.append(is_notable[hit])
    sess, code, notable = np.concatenate(sess), np.concatenate(code), np.concatenate(notable)
    n = len(sess)
    # severity: notable instances moderate/severe; notable event types their own mix
    always = np.isin(code, [EVENTS.index(e) for e in NOTABLE_EVENTS])
    severe = rng.random(n) < p.severe_share
    severity = np.where(notable, np.where(severe, 2, 1), 0)
    mix = _choice(rng, np.asarray(p.notable_event_severity, float), n)
    severity = np.where(always, mix, severity)
    # onset, resolution, censoring
    onset_lo = np.array([p.onset_hours[e][0] for e in EVENTS], float)[code]
    onset_hi = np.array([p.onset_hours[e][1] for e in EVENTS], float)[code]
    onset = np.floor(onset_lo + (onset_hi - onset_lo + 1) * rng.random(n))
    onset = np.minimum(onset, onset_hi)
    med = np.array([p.resolution_median_hours[e] for e in EVENTS], float)[code]
    sd = np.array([p.resolution_sd_log[e] for e in EVENTS], float)[code]
    finite = np.isfinite(med)
    safe_med = np.where(finite, med, 1.0)
    t = safe_med * np.exp(sd * rng.standard_normal(n))
    resolved = np.maximum(1.0, np.rint(t))
    resolved = np.where(onset > 0, np.maximum(resolved, onset + 1), resolved)
    after_onset = np.where(finite, p.censor_median_hours, NEVER_RESOLVED_CONTACT_HOURS)
    contact = onset + np.rint(after_onset * np.exp(p.censor_sd_log * rng.standard_normal(n)))
    contact = np.maximum(contact, 1.0)
    limited = (rng.random(n) < p.censor_share) | ~finite  # follow-up stops at the contact
    censored = limited & (~finite | (resolved > contact))
    resolved = np.where(censored | ~finite, np.nan, resolved)
    last_contact = np.where(censored, contact, np.nan)
    blank_onset = (onset == 0) & (rng.random(n) < p.zero_onset_blank_share)
    onset = np.where(blank_onset, np.nan, onset)
    return dict(session=sess, code=code, severity=severity, onset=onset, resolved=resolved,
                last_contact=last_contact, n=n)


def _baseline_scores(rng, scale: np.ndarray) -> np.ndarray:
    """Baseline scores of courses on ``scale`` (codes into SCALES), as :data:`BASELINE` says."""
    b = np.full(len(scale), np.nan)
    for i, name in enumerate(SCALES):
        mask = scale == i
        if name not in BASELINE or not mask.any():
            continue
        kind, spec = BASELINE[name]
        m = int(mask.sum())
        if kind == "discrete":
            values, probs = (np.asarray(v, dtype=float) for v in spec)
            b[mask] = values[_choice(rng, probs, m)]
        else:
            mean, sd, low, high = spec
            res = SCALE_RESOLUTION[name]
            b[mask] = np.clip(np.rint(rng.normal(mean, sd, m) / res) * res, low, high)
    return b


def _scores(scale: np.ndarray, baseline: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Scores recording improvement ``x`` against ``baseline``, rounded and clipped."""
    out = np.empty(len(x))
    for i, name in enumerate(SCALES):
        m = scale == i
        if not m.any():
            continue
        b, xi = baseline[m], x[m]
        if name == HAIR_DENSITY:
            out[m] = np.maximum(0.0, np.rint(b * (1 + xi)))
        elif name == GAIS:
            out[m] = np.clip(np.rint(GAIS_NO_CHANGE - (GAIS_NO_CHANGE - 1) * xi), 1, 5)
        else:
            low, high = SCALE_RANGE[name]
            res = SCALE_RESOLUTION[name]
            out[m] = np.clip(np.round(np.rint((b - xi * (b - low)) / res) * res, 10), low, high)
    return out


def _draw_assessments(p: SimulationParams, rng, w: dict, m_patient: np.ndarray) -> dict:
    c, s, pt = w["course"], w["session"], w["patient"]
    nc = len(c["pat"])
    cond_names = np.array(CONDITIONS)[c["cond"]]
    scale = np.full(nc, SCALES.index(SEVERITY_VAS))
    for cond_name, scale_name in CONDITION_SCALE.items():
        scale[cond_names == cond_name] = SCALES.index(scale_name)
    acne = cond_names == ACNE
    scale[acne & (rng.random(nc) < p.acne_qualitative_share)] = SCALES.index(GB_QUALITATIVE)
    plain = ~np.isin(cond_names, list(CONDITION_SCALE))
    scale[plain & (rng.random(nc) < p.gais_share)] = SCALES.index(GAIS)
    baseline = _baseline_scores(rng, scale)
    effect = np.array([p.effect[x] for x in CONDITIONS])[c["cond"]]
    rate = np.array([p.rate[x] for x in CONDITIONS])[c["cond"]]
    mult = (effect * np.where(c["home"], p.home_multiplier, 1.0)
            * np.where(pt["alcohol"][c["pat"]], p.alcohol_multiplier, 1.0) * m_patient[c["pat"]])

    def true_improvement(course: np.ndarray, k: np.ndarray) -> np.ndarray:
        return np.minimum(mult[course] * (1 - np.exp(-rate[course] * k)), p.max_improvement)

    parts = []  # (course, day, improvement or NaN for baseline)
    has_base = (scale != SCALES.index(GAIS)) & (rng.random(nc) < p.baseline_share)
    base = np.flatnonzero(has_base)
    parts.append((base, c["start"][base] - rng.integers(0, 15, len(base)), np.full(len(base),
                                                                                   np.nan)))
    n_of = c["n_sessions"][s["course"]]
    interim = np.flatnonzero((s["k"] < n_of) & (rng.random(s["n"]) < p.interim_share))
    next_gap = s["day"][interim + 1] - s["day"][interim]
    back = rng.integers(0, np.minimum(3, next_gap))
    parts.append((s["course"][interim], s["day"][interim + 1] - back,
                  true_improvement(s["course"][interim], s["k"][interim])))
    end = np.flatnonzero(rng.random(nc) < p.end_share)
    parts.append((end, c["last_day"][end] + rng.integers(14, 43, len(end)),
                  true_improvement(end, c["n_sessions"][end])))
    follow = np.flatnonzero(rng.random(nc) < p.follow_up_share)
    parts.append((follow, c["last_day"][follow] + rng.integers(60, 181, len(follow)),
                  true_improvement(follow, c["n_sessions"][follow]) + p.late_gain))
    course = np.concatenate([x[0] for x in parts])
    day = np.concatenate([x[1] for x in parts])
    imp = np.concatenate([x[2] for x in parts])
    is_base = np.isnan(imp)
    observed = np.where(is_base, 0.0, imp + p.measurement_sd * rng.standard_normal(len(imp)))
    score = _scores(scale[course], baseline[course], observed)
    score = np.where(is_base, baseline[course], score)
    rater = _choice(rng, p._probs(p.rater_weights, RATERS), len(course))
    rater = np.where(rng.random(len(course)) < p.missing_rate, -1, rater)
    return dict(course=course, day=day, scale=scale[course], score=score, rater=rater,
                n=len(course))


# ------------------------------------------------------------------------------ tables
def _text(values: pa.Array) -> pd.Series:
    """A ``str`` Series over an arrow string array (no copy through Python objects)."""
    return pd.Series(pd.array(values, dtype="str"))


def _labels(codes: np.ndarray, values) -> pd.Series:
    """Text labels of ``codes`` (-1: blank) as a ``str`` Series."""
    codes = np.asarray(codes, dtype=np.int64)
    taken = pa.array(list(values), pa.string()).take(pa.array(codes, mask=codes < 0))
    return _text(taken)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` (``S00001``), as an arrow string array."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()),
                          width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(days: np.ndarray) -> pd.Series:
    """ISO dates of day numbers (days since 1970-01-01) as a ``str`` Series."""
    unique, inverse = np.unique(days, return_inverse=True)
    text = np.datetime_as_string(unique.astype("datetime64[D]"), unit="D")
    return _text(pa.array(text, pa.string()).take(pa.array(inverse.ravel())))


def _tables(p: SimulationParams, rng, w: dict) -> dict[str, pd.DataFrame]:
    s, c, pt, e, a = w["session"], w["course"], w["patient"], w["events"], w["assessments"]
    n_pat = pt["n"]
    patient_ids = _ids("P", np.arange(1, n_pat + 1), max(4, len(str(n_pat))))
    # sessions, in date order
    key = s["day"] - s["day"].min()  # date, patient, condition, session number
    for values, size in ((s["pat"], n_pat), (s["cond"], len(CONDITIONS)),
                         (s["k"], int(s["k"].max()) + 1)):
        key = key * size + values
    order = np.argsort(key, kind="stable")
    rank = np.empty(s["n"], dtype=np.int64)
    rank[order] = np.arange(s["n"])
    session_ids = _ids("S", np.arange(1, s["n"] + 1), max(5, len(str(s["n"]))))
    pat = s["pat"][order]
    cwidth = max(2, len(str(p.n_clinics)))
    owidth = max(2, len(str(p.n_clinics * p.operators_per_clinic)))
    clinic_names = [f"C{i:0{cwidth}d}" for i in range(1, p.n_clinics + 1)]
    operator_names = [f"OP{i:0{owidth}d}"
                      for i in range(1, p.n_clinics * p.operators_per_clinic + 1)]
    masks, flag_codes = np.unique(pt["flags"], return_inverse=True)
    flag_text = [";".join(ci for i, ci in enumerate(CONTRAINDICATIONS) if int(mask) >> i & 1)
                 for mask in masks]
    flag_code = np.where(np.array([t == "" for t in flag_text])[flag_codes.ravel()], -1,
                         flag_codes.ravel())
    numbing = pd.array(s["numbing"][order], dtype="boolean")
    numbing[s["numbing_blank"][order]] = pd.NA
    sessions = pd.DataFrame({
        Col.PATIENT_ID: _text(patient_ids.take(pa.array(pat))),
        Col.SESSION_ID: _text(session_ids),
        Col.SESSION_DATE: _dates(s["day"][order]),
        Col.CONDITION: _labels(s["cond"][order], CONDITIONS),
        Col.SETTING: _labels(s["home"][order].astype(np.int64), SETTINGS),
        Col.CLINIC_ID: _labels(s["clinic"][order], clinic_names),
        Col.OPERATOR_ID: _labels(s["operator"][order], operator_names),
        Col.DEVICE: _labels(s["device"][order], DEVICES),
        Col.NEEDLE_DEPTH_MM: s["depth"][order],
        Col.DURATION_MIN: s["duration"][order],
        Col.NUMBING: numbing,
        Col.PAIN_VAS: s["pain"][order],
        Col.FITZPATRICK: _labels(pt["fitz"][pat], FITZPATRICK),
        Col.AGE_BAND: _labels(pt["age"][pat], AGE_BANDS),
        Col.SEX: _labels(pt["sex"][pat], SEXES),
        Col.CONTRAINDICATIONS: _labels(flag_code[pat], flag_text),
        Col.ADJUNCT: _labels(s["adjunct"][order], ADJUNCTS),
    })
    # assessments, in date order
    a_pat = c["pat"][a["course"]]
    a_cond = c["cond"][a["course"]]
    a_order = np.lexsort((a_cond, a_pat, a["day"]))
    assessments = pd.DataFrame({
        Col.PATIENT_ID: _text(patient_ids.take(pa.array(a_pat[a_order]))),
        Col.CONDITION: _labels(a_cond[a_order], CONDITIONS),
        Col.ASSESSMENT_DATE: _dates(a["day"][a_order]),
        Col.SCALE: _labels(a["scale"][a_order], SCALES),
        Col.SCORE: a["score"][a_order],
        Col.RATER: _labels(a["rater"][a_order], RATERS),
    })
    # adverse events, by session then event type
    e_rank = rank[e["session"]]
    e_order = np.lexsort((e["code"], e_rank))
    events = pd.DataFrame({
        Col.SESSION_ID: _text(session_ids.take(pa.array(e_rank[e_order]))),
        Col.EVENT: _labels(e["code"][e_order], EVENTS),
        Col.SEVERITY: _labels(e["severity"][e_order], SEVERITIES),
        Col.ONSET_HOURS: e["onset"][e_order],
        Col.RESOLVED_HOURS: e["resolved"][e_order],
        Col.LAST_CONTACT_HOURS: e["last_contact"][e_order],
    })
    return {"sessions": sessions, "assessments": assessments, "adverse_events": events}


# ------------------------------------------------------------------------------ faults
_UNKNOWN_VALUES = {
    Col.CONDITION: ("cellulite", "tattoo_removal", "scars"),
    Col.SETTING: ("spa", "mobile_clinic"),
    Col.SCALE: ("lemperle", "mmasi", "posas"),
    Col.EVENT: ("burning", "headache", "tingling"),
    Col.SEVERITY: ("slight", "strong"),
}
_OUT_OF_RANGE = {
    Col.DURATION_MIN: (0.0, 300.0, 450.0, 600.0),
    Col.PAIN_VAS: (11.0, 15.0, 35.0, 70.0),
    Col.NEEDLE_DEPTH_MM: (0.05, 5.0, 15.0, 25.0),
}
_SCORE_OUT = {  # a wrong value per scale (outside its range)
    GB_QUANTITATIVE: (85.0, 92.0, 120.0), GB_QUALITATIVE: (0.0, 5.0, 6.0),
    MASI: (48.5, 52.4, 60.0), WRINKLE: (0.0, 10.0, 12.0), SEVERITY_VAS: (11.0, 12.0, 15.0),
    HAIR_DENSITY: (-12.0, -5.0), GAIS: (0.0, 6.0),
}
_DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y")


def _empty_faults() -> pd.DataFrame:
    return pd.DataFrame({
        Col.TABLE: pd.Series([], dtype="str"), Col.ROW: pd.Series([], dtype=np.int64),
        Col.COLUMN: pd.Series([], dtype="str"), KIND: pd.Series([], dtype="str"),
        EXPECT: pd.Series([], dtype="str"), Col.VALUE: pd.Series([], dtype="str"),
    })


class _Picker:
    """Picks distinct rows of one table for faults, never twice the same row."""

    def __init__(self, rng, n: int, rate: float, n_classes: int):
        self.rng, self.n, self.free = rng, n, np.ones(n, dtype=bool)
        self.per_class = rate / n_classes

    def pick(self, eligible: np.ndarray | None = None) -> np.ndarray:
        ok = self.free if eligible is None else self.free & eligible
        candidates = np.flatnonzero(ok)
        count = max(1, int(self.rng.binomial(self.n, min(1.0, self.per_class))))
        count = min(count, len(candidates))
        rows = np.sort(self.rng.choice(candidates, count, replace=False)) if count else \
            np.empty(0, dtype=np.int64)
        self.free[rows] = False
        return rows


def _non_iso(rng, iso: pd.Series) -> list[str]:
    dates = pd.to_datetime(iso, format="%Y-%m-%d")
    formats = rng.integers(0, len(_DATE_FORMATS), len(iso))
    return [d.strftime(_DATE_FORMATS[f]) for d, f in zip(dates, formats, strict=True)]


def _impossible(iso: pd.Series) -> list[str]:
    dates = pd.to_datetime(iso, format="%Y-%m-%d")
    return [f"{d.year}-{d.month:02d}-{d.days_in_month + 1:02d}" for d in dates]


def _inject_faults(tables: dict, rate: float, rng) -> tuple[dict, pd.DataFrame]:
    """Inject data-entry faults of every class; return the tables and the ground truth."""
    sessions = tables["sessions"].copy()
    assessments = tables["assessments"].copy()
    events = tables["adverse_events"].copy()
    records: list[tuple] = []  # (table, position, column, kind, expect, value)

    def put(df, rows, column, values, table, kind, expect=QUARANTINE):
        values = list(values)
        if len(rows) == 0:
            return
        col = df.columns.get_loc(column)
        if df[column].dtype == np.float64:
            df.iloc[rows, col] = np.asarray(values, dtype=float)
            shown = [f"{v:g}" if v == v else "" for v in values]
        else:
            df.iloc[rows, col] = values
            shown = ["" if v is None else str(v) for v in values]
        records.extend((table, int(r), column, kind, expect, v)
                       for r, v in zip(rows, shown, strict=True))

    def some(values, count):
        return [values[i] for i in rng.integers(0, len(values), count)]

    # ---- sessions: quarantined rows
    t = "sessions"
    pick = _Picker(rng, len(sessions), rate, 7)
    rows = pick.pick()
    put(sessions, rows, Col.SESSION_DATE, _non_iso(rng, sessions[Col.SESSION_DATE].iloc[rows]),
        t, FaultKind.NON_ISO_DATE)
    rows = pick.pick()
    put(sessions, rows, Col.SESSION_DATE, _impossible(sessions[Col.SESSION_DATE].iloc[rows]), t,
        FaultKind.IMPOSSIBLE_DATE)
    rows = pick.pick()
    use_setting = rng.random(len(rows)) < 0.5
    for column, mask in ((Col.CONDITION, ~use_setting), (Col.SETTING, use_setting)):
        put(sessions, rows[mask], column, some(_UNKNOWN_VALUES[column], int(mask.sum())), t,
            FaultKind.UNKNOWN_VOCABULARY)
    duplicated = pick.pick()
    bad_sessions = np.flatnonzero(~pick.free)  # quarantined so far (positions)
    # ---- sessions: warnings (values blanked), on rows that stay
    for column, values in _OUT_OF_RANGE.items():
        rows = pick.pick()
        put(sessions, rows, column, some(values, len(rows)), t, FaultKind.OUT_OF_RANGE, WARNING)
    # conflicting duplicates: a copy of the row with another date, inserted elsewhere
    copies = sessions.iloc[duplicated].copy()
    shifted = (pd.to_datetime(copies[Col.SESSION_DATE], format="%Y-%m-%d")
               + pd.to_timedelta(rng.integers(1, 8, len(copies)), unit="D"))
    copies[Col.SESSION_DATE] = pd.Series(shifted.dt.strftime("%Y-%m-%d").to_numpy(),
                                         index=copies.index, dtype="str")
    n_orig = len(sessions)
    slots = np.concatenate([np.arange(n_orig, dtype=float),
                            rng.integers(0, n_orig, len(copies)) + 0.5])
    new_order = np.argsort(slots, kind="stable")
    sessions = pd.concat([sessions, copies], ignore_index=True).iloc[new_order]
    sessions = sessions.reset_index(drop=True)
    new_pos = np.empty(len(new_order), dtype=np.int64)
    new_pos[new_order] = np.arange(len(new_order))
    records = [(tb, int(new_pos[r]) if tb == t else r, *rest) for tb, r, *rest in records]
    for j, r in enumerate(duplicated):
        sid = str(tables["sessions"][Col.SESSION_ID].iloc[r])
        for position in (new_pos[r], new_pos[n_orig + j]):
            records.append((t, int(position), Col.SESSION_ID, FaultKind.DUPLICATE_SESSION_ID,
                            QUARANTINE, sid))
    bad_ids = set(tables["sessions"][Col.SESSION_ID].iloc[bad_sessions].astype(str))

    # ---- assessments
    t = "assessments"
    pick = _Picker(rng, len(assessments), rate, 4)
    rows = pick.pick()
    put(assessments, rows, Col.ASSESSMENT_DATE,
        _non_iso(rng, assessments[Col.ASSESSMENT_DATE].iloc[rows]), t, FaultKind.NON_ISO_DATE)
    rows = pick.pick()
    put(assessments, rows, Col.ASSESSMENT_DATE,
        _impossible(assessments[Col.ASSESSMENT_DATE].iloc[rows]), t, FaultKind.IMPOSSIBLE_DATE)
    rows = pick.pick()
    use_scale = rng.random(len(rows)) < 0.5
    for column, mask in ((Col.CONDITION, ~use_scale), (Col.SCALE, use_scale)):
        put(assessments, rows[mask], column, some(_UNKNOWN_VALUES[column], int(mask.sum())), t,
            FaultKind.UNKNOWN_VOCABULARY)
    rows = pick.pick()
    scales = assessments[Col.SCALE].iloc[rows].astype(str).to_numpy()
    put(assessments, rows, Col.SCORE, [some(_SCORE_OUT[sc], 1)[0] for sc in scales], t,
        FaultKind.SCORE_OUT_OF_RANGE)

    # ---- adverse events
    t = "adverse_events"
    of_bad = events[Col.SESSION_ID].astype(str).isin(bad_ids).to_numpy()
    pick = _Picker(rng, len(events), rate, 5)
    pick.free &= ~of_bad
    rows = pick.pick()
    use_severity = rng.random(len(rows)) < 0.5
    for column, mask in ((Col.EVENT, ~use_severity), (Col.SEVERITY, use_severity)):
        put(events, rows[mask], column, some(_UNKNOWN_VALUES[column], int(mask.sum())), t,
            FaultKind.UNKNOWN_VOCABULARY)
    rows = pick.pick()
    events.iloc[rows, events.columns.get_loc(Col.LAST_CONTACT_HOURS)] = np.nan
    put(events, rows, Col.RESOLVED_HOURS, [np.nan] * len(rows), t,
        FaultKind.UNRESOLVED_WITHOUT_LAST_CONTACT)
    rows = pick.pick(events[Col.RESOLVED_HOURS].notna().to_numpy())
    resolved = events[Col.RESOLVED_HOURS].iloc[rows].to_numpy()
    put(events, rows, Col.ONSET_HOURS, resolved + rng.integers(1, 25, len(rows)), t,
        FaultKind.RESOLVED_BEFORE_ONSET)
    rows = pick.pick()
    n_sessions = len(tables["sessions"])
    width = len(str(tables["sessions"][Col.SESSION_ID].iloc[0])) - 1
    unknown = [f"S{v:0{width}d}" for v in n_sessions + rng.integers(1, 1000, len(rows))]
    put(events, rows, Col.SESSION_ID, unknown, t, FaultKind.UNKNOWN_SESSION)
    # the events of quarantined sessions follow them
    for r in np.flatnonzero(of_bad):
        records.append((t, int(r), Col.SESSION_ID, FaultKind.DEPENDANT, QUARANTINE,
                        str(events[Col.SESSION_ID].iloc[r])))

    faults = pd.DataFrame(records, columns=list(FAULT_COLUMNS))
    faults[Col.ROW] = faults[Col.ROW].astype(np.int64) + 2  # spreadsheet rows: header = 1
    table_order = {name: i for i, name in enumerate(TABLES)}
    faults = faults.sort_values([Col.TABLE, Col.ROW, Col.COLUMN],
                                key=lambda col: col.map(table_order) if col.name == Col.TABLE
                                else col, kind="stable", ignore_index=True)
    for column in (Col.TABLE, Col.COLUMN, KIND, EXPECT, Col.VALUE):
        faults[column] = faults[column].astype("str")
    return {"sessions": sessions, "assessments": assessments, "adverse_events": events}, faults


# ================================================================================= writing
def write_bundle(
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    format: str = "csv",
    sep: str = ",",
) -> list[Path]:
    """Write tables as a bundle the loader reads: a folder of CSV or Parquet files, or a workbook.

    Parameters
    ----------
    tables : dict of str to DataFrame
        ``sessions`` and, optionally, ``assessments`` and ``adverse_events`` (as returned by
        :func:`simulate`). They are not modified.
    out_dir : str or Path
        Folder to write into (created if needed). Files of the same names are overwritten;
        other files are left alone.
    format : {"csv", "parquet", "xlsx"}, default "csv"
        ``csv``: ``<table>.csv``, UTF-8, ``\\n`` line ends, numbers in their shortest form.
        ``parquet``: ``<table>.parquet``. ``xlsx``: one workbook ``bundle.xlsx`` with a sheet
        per table.
    sep : {",", ";"}, default ","
        CSV separator. With ``";"`` numbers are written with decimal commas (``2,5``), as the
        data contract reads them.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        If ``format`` or ``sep`` is not one of the above, or ``sessions`` is missing.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in write_bundle(simulate(20, seed=3), folder)]
    ['sessions.csv', 'assessments.csv', 'adverse_events.csv']
    """
    if format not in BUNDLE_FORMATS:
        raise ValueError(f"format: expected one of {BUNDLE_FORMATS}, got {format!r}.")
    if sep not in (",", ";"):
        raise ValueError(f"sep: expected ',' or ';', got {sep!r}.")
    if "sessions" not in tables:
        raise ValueError(f"tables: a 'sessions' table is required, got {sorted(tables)}.")
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"tables: unknown table(s) {unknown}; tables are {list(TABLES)}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [name for name in TABLES if name in tables]
    written = []
    if format == "xlsx":
        path = out / WORKBOOK_NAME
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name in names:
                _for_excel(tables[name]).to_excel(writer, sheet_name=name, index=False)
        return [path]
    for name in names:
        path = out / f"{name}.{format}"
        if format == "csv":
            _write_csv(tables[name], path, sep)
        else:
            tables[name].to_parquet(path, index=False)
        written.append(path)
    return written


def _write_csv(df: pd.DataFrame, path: Path, sep: str) -> None:
    """CSV through pyarrow (fast): plain header, quotes only where needed, blanks empty."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    if sep == ";":  # decimal commas
        columns = [pc.replace_substring(pc.cast(col, pa.string()), ".", ",")
                   if pa.types.is_floating(col.type) else col for col in table.columns]
        table = pa.table(columns, names=table.column_names)
    special = f'[{re.escape(sep)}"\\r\\n]'
    needs_quotes = any(
        pc.any(pc.match_substring_regex(col, special)).as_py()
        for col in table.columns
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
    )
    # quote every text value when one needs it (arrow cannot quote only some), else none
    style = "needed" if needs_quotes else "none"
    with open(path, "wb") as f:
        f.write((sep.join(table.column_names) + "\n").encode("utf-8"))
        pcsv.write_csv(table, f, pcsv.WriteOptions(include_header=False, delimiter=sep,
                                                   quoting_style=style))


def _for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as TRUE/FALSE cells and blanks as empty cells."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == "boolean":
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
