"""The simulator's parameters: one knob per claim and per audit deviation, each with its range.

:class:`SimulationParams` holds the fields, with their defaults and the published figures they
rest on; :data:`CONSTRAINTS` is the table of what each field accepts (checked by one loop when
the parameters are built), and :data:`RELATIONS` the few rules that tie fields together. The
model quantities that both the draw and the truth use (the weights as probabilities, the kinds
of course, the event risks of a session, the pain levels) are plain functions of the parameters
here, as are the fixed parts of the model: the vocabularies and how scores are written on each
scale.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..bundle.schema import NOTABLE_EVENTS, vocabulary
from ..errors import ParameterError
from ..validators import number_text, show

__all__ = [
    "SimulationParams",
    "CONSTRAINTS",
    "RELATIONS",
    "check",
    "event_probabilities",
    "frailty_scale",
    "course_cells",
    "pain_levels",
]

CONDITIONS = tuple(vocabulary("condition"))
FITZPATRICK = tuple(vocabulary("fitzpatrick"))
AGE_BANDS = tuple(vocabulary("age_band"))
SEXES = tuple(vocabulary("sex"))
DEVICES = tuple(vocabulary("device"))
ADJUNCTS = tuple(vocabulary("adjunct"))
RATERS = tuple(vocabulary("rater"))
EVENTS = tuple(vocabulary("event"))
CONTRAINDICATIONS = tuple(vocabulary("contraindication"))

#: Fitzpatrick types of the "darker skin" group of the claim ``safe-all-skin-types``.
DARK_TYPES = ("IV", "V", "VI")
#: Events whose risk is multiplied by ``anticoagulant_bleeding_multiplier``.
BLEEDING_EVENTS = ("bleeding", "bruising")
#: Contraindications the documents name (claims catalogue, recommendation ``contraindications``).
NAMED_CONTRAINDICATIONS = tuple(c for c in CONTRAINDICATIONS if c != "bleeding_disorder")
#: Contraindications with a share of their own; ``other_contraindication_weights`` share the rest.
OWN_SHARE_CONTRAINDICATIONS = ("alcohol_frequent", "anticoagulants")
ACNE = "acne_scars"
#: Numbers of sessions of the monthly acne-scar protocol (equally likely).
ACNE_PROTOCOL_SESSIONS = range(4, 7)

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


INF = math.inf


def _default(value):
    return field(default_factory=lambda: copy.deepcopy(value))


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
    further_condition_share : float, default 0.0
        Probability that a patient with k >= 2 conditions has one more (drawn from the weights
        without those already drawn), until every condition of positive weight is drawn: the
        knob of several courses per patient (courses are patient x condition). No published
        figure.
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
    pain_patient_concentration : float, default inf
        How closely a patient's own mean pain follows the session's level (with or without
        numbing): each patient has a quantile ``u`` (uniform), and a session's mean is the
        ``u``-quantile of a Beta of that level and this concentration, so the mean pain of every
        kind of session, and ``pain_mean``, are kept exactly while patients differ (smaller:
        more). inf: patients do not differ (sessions independent). No published figure.
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
        (Mohamed Ali 2017: excellent 40% ... minimal 20%). The patient-level frailty of the
        outcomes: every course of a patient shares it.
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
    patient_event_sd : float, default 0.0
        Log-scale SD of a patient's side-effect frailty ``f`` (log-normal, mean 1), shared by
        every session and event type of the patient: a session's risk ``p`` of an event becomes
        ``1 - (1 - p) ** f`` (a multiplier of the event's hazard, so it stays a probability),
        split between notable and mild instances as without frailty. 0: none (the sessions of
        a patient are independent). No published figure.
    patient_resolution_sd : float, default 0.0
        Log-scale SD of a patient's multiplier of resolution times (log-normal, median 1),
        shared by all the patient's events: slow healers. 0: none. No published figure.
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
        class when positive); see :func:`outcomes.simulate.draw.simulate`.
    """

    # population
    condition_weights: dict = _default({
        "acne_scars": 0.30, "surgical_scars": 0.05, "wrinkles": 0.17, "hyperpigmentation": 0.12,
        "stretch_marks": 0.08, "alopecia": 0.07, "rosacea": 0.04, "skin_laxity": 0.07,
        "enlarged_pores": 0.05, "texture": 0.05})
    second_condition_share: float = 0.2
    further_condition_share: float = 0.0
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
    pain_patient_concentration: float = math.inf
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
    patient_event_sd: float = 0.0
    patient_resolution_sd: float = 0.0
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

    def __post_init__(self) -> None:
        check(self)

    def replace(self, **changes: Any) -> SimulationParams:
        """Return a copy with ``changes``; dict-valued fields are merged into the current ones.

        Raises
        ------
        TypeError
            If a name is not a field (the message lists the fields).
        ParameterError
            If a value is out of its range (a ``ValueError``; see :data:`CONSTRAINTS`).
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"Unknown simulation parameter(s) {unknown}; the parameters are "
                f"{sorted(known)}."
            )
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in changes.items():
            current = values[name]
            if isinstance(current, dict) and isinstance(value, dict):
                value = {**current, **value}
            values[name] = value
        return SimulationParams(**values)

    def truth(self) -> dict[str, float]:
        """The true value of each claim and audited recommendation, keyed by its id.

        See :func:`outcomes.simulate.truth.truth`, which computes it.
        """
        from .truth import truth

        return truth(self)


# ============================================================== quantities the model derives
def probs(weights: dict, values) -> np.ndarray:
    """Weights of ``values`` (0 where absent) as probabilities summing to 1."""
    w = np.array([float(weights.get(v, 0.0)) for v in values])
    return w / w.sum()


def pmf(weights) -> np.ndarray:
    """Probabilities of 1..len(weights) sessions."""
    p = np.asarray(weights, dtype=float)
    return p / p.sum()


def mean_k(probabilities: np.ndarray) -> float:
    """Mean number of sessions of a pmf of 1, 2, ... sessions."""
    return float(np.sum(probabilities * np.arange(1, len(probabilities) + 1)))


def names(prefix: str, n: int) -> list[str]:
    """``prefix`` + 1..n, zero-padded to two digits or more (``C01``, ``OP01``)."""
    width = max(2, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def clinic_ids(p: SimulationParams) -> list[str]:
    return names("C", p.n_clinics)


def clinic_weights(p: SimulationParams) -> np.ndarray:
    """Probability that a patient's clinic is each clinic: proportional to 1/sqrt(i)."""
    w = 1 / np.sqrt(np.arange(1, p.n_clinics + 1))
    return w / w.sum()


def clinic_multipliers(p: SimulationParams) -> np.ndarray:
    return np.array([float(p.clinic_ae_multiplier.get(c, 1.0)) for c in clinic_ids(p)])


def places(p: SimulationParams, home: bool) -> list[tuple[float, float]]:
    """(probability, notable-event multiplier) of the places a session of a setting is given
    at: the clinics for professional sessions, the one home (multiplier 1) for home sessions."""
    if home:
        return [(1.0, 1.0)]
    return list(zip(clinic_weights(p), clinic_multipliers(p), strict=True))


def conditions_per_patient(p: SimulationParams, n_positive: int) -> np.ndarray:
    """P(a patient has at least k conditions), k = 1..n_positive (conditions of positive
    weight): 1, then ``second_condition_share``, then each further one with
    ``further_condition_share``."""
    return _at_least(p.second_condition_share, p.further_condition_share, n_positive)


def _at_least(second: float, further: float, n_positive: int) -> np.ndarray:
    at_least = np.ones(n_positive)
    if n_positive > 1:
        at_least[1:] = second * further ** np.arange(n_positive - 1)
    return at_least


def _course_condition_probs(p: SimulationParams) -> np.ndarray:
    """Probability that a course is of each condition (first, second and further conditions);
    see :func:`_condition_probs`."""
    w = probs(p.condition_weights, CONDITIONS)
    return _condition_probs(tuple(w), p.second_condition_share,
                            p.further_condition_share).copy()


@functools.lru_cache(maxsize=64)
def _condition_probs(weights: tuple, second: float, further: float) -> np.ndarray:
    """Probability that a course is of each condition, given the conditions' probabilities.

    Conditions are drawn one after another without replacement, with probabilities
    proportional to the weights (the draw's Gumbel top-k); ``P(condition j is the k-th)`` is
    summed over the sets of the k - 1 drawn before it, whose probabilities are built up subset
    by subset.
    """
    w = np.asarray(weights)
    positive = np.flatnonzero(w > 0)
    wp = w[positive]
    m = len(wp)
    at_least = _at_least(second, further, m)
    expected = np.zeros(m)  # expected courses of each condition per patient
    subset = {0: 1.0}  # bit mask of the conditions drawn so far -> probability
    for k in range(m):
        following: dict[int, float] = {}
        for mask, prob in subset.items():
            left = 1.0 - sum(wp[i] for i in range(m) if mask >> i & 1)
            for j in range(m):
                if mask >> j & 1 or left <= 0:
                    continue
                q = prob * wp[j] / left
                expected[j] += at_least[k] * q
                following[mask | 1 << j] = following.get(mask | 1 << j, 0.0) + q
        subset = following
        if k + 1 < m and at_least[k + 1] == 0:
            break
    out = np.zeros_like(w)
    out[positive] = expected / expected.sum()
    return out


def course_cells(p: SimulationParams) -> list[dict]:
    """Every kind of course: condition, home, protocol, weight (sums to 1), pmf of K."""
    cells = []
    h, m = p.home_share, p.acne_monthly_share
    pro, home = pmf(p.sessions_pmf_professional), pmf(p.sessions_pmf_home)
    sizes = ACNE_PROTOCOL_SESSIONS
    protocol = np.isin(np.arange(1, sizes.stop), sizes) / len(sizes)
    for c, share in zip(CONDITIONS, _course_condition_probs(p), strict=True):
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


def home_session_share(p: SimulationParams) -> float:
    """Share of sessions given at home."""
    cells = course_cells(p)
    total = sum(c["weight"] * mean_k(c["pmf"]) for c in cells)
    home = sum(c["weight"] * mean_k(c["pmf"]) for c in cells if c["home"])
    return home / total


def pain_levels(p: SimulationParams) -> tuple[float, float]:
    """Mean pain (0-10) with and without numbing, so that the overall mean is pain_mean."""
    h = home_session_share(p)
    u = h * p.numbing_share_home + (1 - h) * p.numbing_share_professional
    with_numbing = p.pain_mean * p.pain_numbing_factor
    if u >= 1:
        return with_numbing, p.pain_mean
    return with_numbing, (p.pain_mean - u * with_numbing) / (1 - u)


def event_probabilities(p: SimulationParams, event: str, home, dark, clinic_multiplier,
                        flagged):
    """Probabilities of a notable and of a mild instance of ``event`` in a session.

    Parameters
    ----------
    p : SimulationParams
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
    dark-skin multiplier. The draw and the truth both use this function.
    """
    if event == "pih":
        base = np.where(dark, p.pih_risk_dark, p.pih_risk_light)
    else:
        base = float(p.event_incidence.get(event, 0.0))
    risk = base * np.where(home, p.home_event_multiplier, 1.0)
    if event in BLEEDING_EVENTS:
        risk = risk * np.where(flagged, p.anticoagulant_bleeding_multiplier, 1.0)
    share = 1.0 if event in NOTABLE_EVENTS else float(p.notable_share.get(event, 0.0))
    notable = risk * share * clinic_multiplier * np.where(dark, p.dark_skin_notable_multiplier,
                                                          1.0)
    return notable, risk * (1 - share)


def frailty_scale(risk, frailty):
    """Factor turning a session's event risk into the risk of a patient of ``frailty``.

    The frailty multiplies the event's hazard: the risk ``p`` becomes ``1 - (1 - p) ** f``,
    i.e. ``p`` times the factor returned (1 where ``p`` is 0). Notable and mild instances are
    both scaled by it, so their split is kept. The draw and the truth both use this function.
    """
    risk = np.asarray(risk, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.expm1(frailty * np.log1p(-risk)) / risk
    return np.where(risk > 0, np.where(risk >= 1, 1.0, out), frailty)


# ================================================================== what each field accepts
def _between(low: float, high: float, above: bool) -> str:
    if high == math.inf:
        return f"{'>' if above else '>='} {number_text(low)}"
    return f"from {number_text(low)} to {number_text(high)}"


@dataclass(frozen=True)
class Number:
    """A real number (not a bool) from ``low`` to ``high``: finite unless ``infinite``, above
    ``low`` with ``above``, whole with ``whole``."""

    whole: bool = False
    above: bool = False
    infinite: bool = False

    def holds(self, value, low: float, high: float) -> bool:
        kind = int if self.whole else int | float
        return isinstance(value, kind) and not isinstance(value, bool) and (
            (low < value if self.above else low <= value) and value <= high
            and (math.isfinite(value) or (self.infinite and value == math.inf)))

    def problem(self, value, low: float, high: float, p) -> tuple[str, str, str] | None:
        """None if ``value`` is accepted, else (entry, what is expected, what came in)."""
        if self.holds(value, low, high):
            return None
        noun = "a whole number" if self.whole else "a number"
        never = ", or inf (never)" if self.infinite else ""
        return "", f"{noun} {_between(low, high, self.above)}{never}", show(value)


NUMBER, ABOVE, WHOLE = Number(), Number(above=True), Number(whole=True)


@dataclass(frozen=True)
class Date:
    """An ISO date (text), such as 2019-01-07."""

    def problem(self, value, low: float, high: float, p) -> tuple[str, str, str] | None:
        try:
            if isinstance(value, str):
                np.datetime64(value, "D")
                return None
        except ValueError:
            pass
        return "", "an ISO date such as 2019-01-07", show(value)


DATE = Date()


@dataclass(frozen=True)
class Depths:
    """Dict keys that are needle depths in mm, from ``low`` to ``high``."""

    low: float
    high: float

    def __contains__(self, key) -> bool:
        return NUMBER.holds(key, self.low, self.high)

    def __str__(self) -> str:
        return f"depths {_between(self.low, self.high, False)} mm"


@dataclass(frozen=True)
class Keyed:
    """A dict whose keys are among ``keys`` (names, names given by a function of the
    parameters, or :class:`Depths`), every one of them with ``every``; whose values are ``item``
    from ``low`` to ``high``; with ``weights``, summing to more than 0."""

    keys: tuple | Callable | Depths
    item: Any = NUMBER
    every: bool = False
    weights: bool = False

    def problem(self, value, low: float, high: float, p) -> tuple[str, str, str] | None:
        allowed = self.keys(p) if callable(self.keys) else self.keys
        shown = allowed if isinstance(allowed, Depths) else list(allowed)
        if not isinstance(value, dict):
            what = "weights" if self.weights else "values"
            return "", f"a dict of {what} keyed by {shown}", show(value)
        unknown = [k for k in value if k not in allowed]
        if unknown:
            return "", f"keys among {shown}", f"{unknown}"
        missing = [k for k in allowed if k not in value] if self.every else []
        if missing:
            return "", f"a value for each of {shown}", f"none for {missing}"
        for key, v in value.items():
            wrong = self.item.problem(v, low, high, p)
            if wrong:
                return f"[{key!r}]{wrong[0]}", wrong[1], wrong[2]
        if self.weights and not sum(value.values()) > 0:
            return "", "weights with a positive sum", show(value)
        return None


@dataclass(frozen=True)
class Listed:
    """A tuple or list of ``item`` from ``low`` to ``high``: ``length`` of them (one or more if
    None); with ``weights``, summing to more than 0; with ``ordered``, in ascending order."""

    length: int | None = None
    item: Any = NUMBER
    weights: bool = False
    ordered: bool = False

    def problem(self, value, low: float, high: float, p) -> tuple[str, str, str] | None:
        count = "one or more" if self.length is None else str(self.length)
        shape = f"{count} {'weights' if self.weights else 'values'}"
        if not isinstance(value, tuple | list) or not value or \
                (self.length is not None and len(value) != self.length):
            return "", shape, show(value)
        for i, v in enumerate(value):
            wrong = self.item.problem(v, low, high, p)
            if wrong:
                return f"[{i}]{wrong[0]}", wrong[1], wrong[2]
        if self.weights and not sum(value) > 0:
            return "", f"{shape} with a positive sum", show(value)
        if self.ordered and list(value) != sorted(value):
            return "", f"{shape} (low, high) with low <= high", show(value)
        return None


_OTHER_CONTRAINDICATIONS = tuple(c for c in NAMED_CONTRAINDICATIONS
                                 if c not in OWN_SHARE_CONTRAINDICATIONS)
_DAYS = Listed(2, WHOLE, ordered=True)

#: What each field of :class:`SimulationParams` accepts: (field, low, high, kind). Every
#: number in the field (the value, a dict's values, a tuple's items) lies from low to high.
CONSTRAINTS: tuple[tuple[str, float, float, Any], ...] = (
    # population
    ("condition_weights", 0, INF, Keyed(CONDITIONS, weights=True)),
    ("second_condition_share", 0, 1, NUMBER),
    ("further_condition_share", 0, 1, NUMBER),
    ("fitzpatrick_weights", 0, INF, Keyed(FITZPATRICK, weights=True)),
    ("age_band_weights", 0, INF, Keyed(AGE_BANDS, weights=True)),
    ("ageing_age_band_weights", 0, INF, Keyed(AGE_BANDS, weights=True)),
    ("sex_weights", 0, INF, Keyed(SEXES, weights=True)),
    ("home_share", 0, 1, NUMBER),
    ("n_clinics", 1, INF, WHOLE),
    ("operators_per_clinic", 1, INF, WHOLE),
    ("clinic_ae_multiplier", 0, INF, Keyed(clinic_ids)),
    ("contraindicated_share", 0, 1, NUMBER),
    ("alcohol_share", 0, 1, NUMBER),
    ("anticoagulant_share", 0, 1, NUMBER),
    ("bleeding_disorder_share", 0, 1, NUMBER),
    ("other_contraindication_weights", 0, INF,
     Keyed(_OTHER_CONTRAINDICATIONS, weights=True)),
    # courses
    ("sessions_pmf_professional", 0, INF, Listed(weights=True)),
    ("sessions_pmf_home", 0, INF, Listed(weights=True)),
    ("acne_monthly_share", 0, 1, NUMBER),
    ("acne_monthly_spacing_days", 1, INF, _DAYS),
    ("spacing_professional_days", 0, INF, ABOVE),
    ("spacing_professional_sd_log", 0, INF, NUMBER),
    ("spacing_home_days", 0, INF, ABOVE),
    ("spacing_home_sd_log", 0, INF, NUMBER),
    ("spacing_deviation_share", 0, 1, NUMBER),
    ("spacing_deviation_days", 1, INF, _DAYS),
    ("first_start", None, None, DATE),
    ("last_start", None, None, DATE),
    # sessions
    ("device_weights_professional", 0, INF, Keyed(DEVICES, weights=True)),
    ("device_weights_home", 0, INF, Keyed(DEVICES, weights=True)),
    ("depth_professional_mm", 0, INF, Keyed(CONDITIONS, every=True)),
    ("depth_home_mm", 0, INF, Keyed(Depths(0.1, 3.0), weights=True)),
    ("duration_median_professional", 0, INF, ABOVE),
    ("duration_median_home", 0, INF, ABOVE),
    ("duration_sd_log", 0, INF, NUMBER),
    ("pain_mean", 0, 10, NUMBER),
    ("pain_numbing_factor", 0, INF, NUMBER),
    ("pain_concentration", 0, INF, ABOVE),
    ("pain_patient_concentration", 0, INF, Number(above=True, infinite=True)),
    ("numbing_share_professional", 0, 1, NUMBER),
    ("numbing_share_home", 0, 1, NUMBER),
    ("adjunct_weights_professional", 0, INF, Keyed(ADJUNCTS, weights=True)),
    ("adjunct_weights_home", 0, INF, Keyed(ADJUNCTS, weights=True)),
    # outcomes
    ("effect", 0, INF, Keyed(CONDITIONS, every=True)),
    ("rate", 0, INF, Keyed(CONDITIONS, every=True)),
    ("patient_effect_sd", 0, INF, NUMBER),
    ("home_multiplier", 0, INF, NUMBER),
    ("alcohol_multiplier", 0, INF, NUMBER),
    ("late_gain", -1, 1, NUMBER),
    ("measurement_sd", 0, INF, NUMBER),
    ("max_improvement", 0, 1, NUMBER),
    ("baseline_share", 0, 1, NUMBER),
    ("interim_share", 0, 1, NUMBER),
    ("end_share", 0, 1, NUMBER),
    ("follow_up_share", 0, 1, NUMBER),
    ("acne_qualitative_share", 0, 1, NUMBER),
    ("gais_share", 0, 1, NUMBER),
    ("rater_weights", 0, INF, Keyed(RATERS, weights=True)),
    # adverse events
    ("event_incidence", 0, 1, Keyed(EVENTS)),
    ("pih_risk_light", 0, 1, NUMBER),
    ("pih_risk_dark", 0, 1, NUMBER),
    ("dark_skin_notable_multiplier", 0, INF, NUMBER),
    ("notable_share", 0, 1, Keyed(EVENTS)),
    ("patient_event_sd", 0, INF, NUMBER),
    ("patient_resolution_sd", 0, INF, NUMBER),
    ("severe_share", 0, 1, NUMBER),
    ("notable_event_severity", 0, INF, Listed(3, weights=True)),
    ("home_event_multiplier", 0, INF, NUMBER),
    ("anticoagulant_bleeding_multiplier", 0, INF, NUMBER),
    ("resolution_median_hours", 0, INF,
     Keyed(EVENTS, Number(above=True, infinite=True), every=True)),
    ("resolution_sd_log", 0, INF, Keyed(EVENTS, every=True)),
    ("onset_hours", 0, INF, Keyed(EVENTS, Listed(2, ordered=True), every=True)),
    ("zero_onset_blank_share", 0, 1, NUMBER),
    ("censor_share", 0, 1, NUMBER),
    ("censor_median_hours", 0, INF, ABOVE),
    ("censor_sd_log", 0, INF, NUMBER),
    # data quality
    ("missing_rate", 0, 1, NUMBER),
    ("fault_rate", 0, 1, NUMBER),
)


def _dates_in_order(p: SimulationParams):
    if np.datetime64(p.last_start, "D") < np.datetime64(p.first_start, "D"):
        return "last_start", f"a date on or after first_start ({p.first_start})", p.last_start
    return None


def _pain_without_numbing(p: SimulationParams):
    if pain_levels(p)[1] > 10:
        return ("pain_mean", "a mean pain without numbing of at most 10 (lower pain_mean or "
                "raise pain_numbing_factor)", p.pain_mean)
    return None


def _flagged_within_contraindicated(p: SimulationParams):
    named = 1 - (1 - p.alcohol_share) * (1 - p.anticoagulant_share)
    if p.contraindicated_share < named - 1e-12:
        return ("contraindicated_share",
                f"at least the share flagged alcohol_frequent or anticoagulants ({named:.4f})",
                p.contraindicated_share)
    return None


def _risks_are_probabilities(p: SimulationParams):
    """Every event risk stays a probability in the riskiest session."""
    worst = max([*clinic_multipliers(p), 1.0])
    for event in EVENTS:
        for home in (True, False):
            for dark in (True, False):
                pn, pm = event_probabilities(p, event, home, dark, 1.0 if home else worst, True)
                if float(pn + pm) > 1 + 1e-12:
                    return ("event_incidence",
                            f"a risk of {event} of at most 1 once multiplied (home={home}, "
                            f"dark skin={dark}, clinic multiplier {worst}, flagged); it is "
                            f"{float(pn + pm):.3f}", p.event_incidence.get(event))
    return None


#: Rules that tie fields together, checked after :data:`CONSTRAINTS`: each returns None, or
#: (field, expected, what came in).
RELATIONS = (_dates_in_order, _pain_without_numbing, _flagged_within_contraindicated,
             _risks_are_probabilities)


def check(p: SimulationParams) -> None:
    """Check every field of ``p`` against :data:`CONSTRAINTS`, then :data:`RELATIONS`.

    Raises
    ------
    ParameterError
        At the first field out of its range, naming the field (and the entry), what it accepts
        and what came in.
    """
    for name, low, high, kind in CONSTRAINTS:
        wrong = kind.problem(getattr(p, name), low, high, p)
        if wrong:
            entry, expected, got = wrong
            raise ParameterError(f"SimulationParams.{name}{entry}: expected {expected}, got {got}.")
    for relation in RELATIONS:
        wrong = relation(p)
        if wrong:
            name, expected, got = wrong
            raise ParameterError(f"SimulationParams.{name}: expected {expected}, got {show(got)}.")
