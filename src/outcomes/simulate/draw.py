"""The draw of a simulated session-log bundle: patients, courses, sessions, assessments and
adverse events, as the tables of the data contract (:func:`simulate`).

No public per-patient microneedling data set exists, so the sample data, the tests and the
benchmarks of ``outcomes`` use bundles drawn from this simulator. Every effect a claim of the
catalogue tests has a knob (a field of :class:`~outcomes.simulate.params.SimulationParams`), so
that a test can make each claim true or false on purpose, and
:func:`outcomes.simulate.truth.truth` gives the true value of each claim where the model gives it
in closed form. The defaults rest on the published figures
collected for the sample data (the studies are cited field by field in
:class:`SimulationParams` and in the data card, ``data/sample/README.md``).

The model
---------
patients
    Each has one condition, or two, or more with ``further_condition_share`` (courses are
    patient x condition); a Fitzpatrick type, an age band, a sex, contraindication flags
    (independent, at low prevalence), a clinic (used by their professional courses) and a
    random effect on treatment response (log-normal, mean 1) shared by their courses. Optional
    frailties, shared by all of a patient's sessions and events: a side-effect frailty
    (``patient_event_sd``, a hazard multiplier), slow healing (``patient_resolution_sd``) and a
    patient's own pain level (``pain_patient_concentration``).
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

import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import betaincinv

from ..bundle.schema import NOTABLE_EVENTS, Col, vocabulary
from ..errors import ParameterError
from ..validators import show
from .faults import empty_faults, inject_faults
from .params import (
    ACNE,
    ACNE_PROTOCOL_SESSIONS,
    ADJUNCTS,
    AGE_BANDS,
    BASELINE,
    CONDITION_SCALE,
    CONDITIONS,
    CONTRAINDICATIONS,
    DARK_TYPES,
    DEVICES,
    EVENTS,
    FITZPATRICK,
    GAIS,
    GAIS_NO_CHANGE,
    GB_QUALITATIVE,
    HAIR_DENSITY,
    RATERS,
    SCALE_RANGE,
    SCALE_RESOLUTION,
    SCALES,
    SEVERITY_VAS,
    SEXES,
    SimulationParams,
    clinic_ids,
    clinic_multipliers,
    clinic_weights,
    event_probabilities,
    frailty_scale,
    names,
    pain_levels,
    pmf,
    probs,
)

__all__ = ["simulate"]

SEVERITIES = tuple(vocabulary("severity"))
SETTINGS = tuple(vocabulary("setting"))
#: Conditions whose patients are drawn from ``ageing_age_band_weights``.
AGEING_CONDITIONS = ("wrinkles", "skin_laxity")
#: Median hours from onset to the last contact of an event that never resolves (scarring).
NEVER_RESOLVED_CONTACT_HOURS = 720.0


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
        :class:`~outcomes.simulate.faults.FaultKind`); ``expect``, ``"quarantine"`` (the row
        must be quarantined) or ``"warning"`` (the value must be blanked with a warning);
        ``value`` (as written). Events of a session quarantined by a fault are listed with kind
        ``dependant``. Every other row and cell is valid.

    Raises
    ------
    ParameterError
        If ``n_patients`` is not a positive whole number or a parameter is out of range (a
        ``ValueError``; the message names the parameter, what it accepts and what came in).
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
        raise ParameterError(f"n_patients: expected a whole number >= 1, got {show(n_patients)}.")
    p = params if params is not None else SimulationParams()
    if overrides:
        p = p.replace(**overrides)
    rng = np.random.default_rng(seed)
    world = _draw(p, rng, int(n_patients))
    tables = _tables(p, rng, world)
    if p.fault_rate > 0:
        tables, faults = inject_faults(tables, p.fault_rate, rng)
    else:
        faults = empty_faults()
    return (tables, faults) if return_faults else tables


# ------------------------------------------------------------------------------ drawing
def _inverse_cdf(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn with probabilities proportional to ``weights``, given uniforms ``u``."""
    cum = np.cumsum(weights)
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)


def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probabilities proportional to ``weights``."""
    return _inverse_cdf(weights, rng.random(size))


def _choice_by(rng, weights_a: np.ndarray, weights_b: np.ndarray,
               use_a: np.ndarray) -> np.ndarray:
    """Indices drawn from ``weights_a`` where ``use_a`` and from ``weights_b`` elsewhere."""
    u = rng.random(len(use_a))
    out = np.empty(len(use_a), dtype=np.int64)
    for weights, mask in ((weights_a, use_a), (weights_b, ~use_a)):
        out[mask] = _inverse_cdf(weights, u[mask])
    return out


def _other_contraindication_share(p: SimulationParams) -> float:
    """Probability that a patient without alcohol/anticoagulant flags has another one."""
    rest = (1 - p.alcohol_share) * (1 - p.anticoagulant_share)
    if rest <= 0:
        return 0.0
    return max(0.0, 1 - (1 - p.contraindicated_share) / rest)


def _draw(p: SimulationParams, rng: np.random.Generator, n: int) -> dict:
    """Draw patients, courses, sessions, events and assessments as numpy arrays."""
    w = {}
    # ---- patients
    cw = probs(p.condition_weights, CONDITIONS)
    with np.errstate(divide="ignore"):
        keys = np.log(cw)[None, :] + rng.gumbel(size=(n, len(CONDITIONS)))
    top = np.argsort(-keys, axis=1, kind="stable")
    first, second = top[:, 0], top[:, 1]
    two = (rng.random(n) < p.second_condition_share) & (cw[second] > 0)
    n_conditions = 1 + two  # a further condition only with a draw of its own (the sample)
    if p.further_condition_share > 0:
        more = rng.random((n, len(CONDITIONS) - 2)) < p.further_condition_share
        more &= cw[top[:, 2:]] > 0
        n_conditions = n_conditions + two * np.cumprod(more, axis=1).sum(axis=1)
    fitz = _choice(rng, probs(p.fitzpatrick_weights, FITZPATRICK), n)
    ageing = np.isin(first, [CONDITIONS.index(c) for c in AGEING_CONDITIONS])
    age = _choice_by(rng, probs(p.ageing_age_band_weights, AGE_BANDS),
                     probs(p.age_band_weights, AGE_BANDS), ageing)
    sex = _choice(rng, probs(p.sex_weights, SEXES), n)
    bit = {c: np.int64(1) << i for i, c in enumerate(CONTRAINDICATIONS)}
    alcohol = rng.random(n) < p.alcohol_share
    anticoag = rng.random(n) < p.anticoagulant_share
    disorder = rng.random(n) < p.bleeding_disorder_share
    other = rng.random(n) < _other_contraindication_share(p)
    others = tuple(p.other_contraindication_weights)
    other_item = _choice(rng, probs(p.other_contraindication_weights, others), n)
    flags = (alcohol * bit["alcohol_frequent"] + anticoag * bit["anticoagulants"]
             + disorder * bit["bleeding_disorder"])
    other_bits = np.array([bit[c] for c in others], dtype=np.int64)
    flags = flags | np.where(other, other_bits[other_item], 0)
    clinic = _choice(rng, clinic_weights(p), n)
    s = p.patient_effect_sd
    m_patient = np.exp(s * rng.standard_normal(n) - s * s / 2)
    missing = p.missing_rate
    dark = np.isin(fitz, [FITZPATRICK.index(t) for t in DARK_TYPES])
    w["patient"] = dict(
        fitz=np.where(rng.random(n) < missing, -1, fitz), dark=dark,
        age=np.where(rng.random(n) < missing, -1, age),
        sex=np.where(rng.random(n) < missing, -1, sex),
        flags=flags, alcohol=alcohol, bleed_flag=anticoag | disorder, clinic=clinic, n=n)

    # ---- courses
    pat = np.repeat(np.arange(n), n_conditions)
    cond = top[pat, np.arange(len(pat)) - np.repeat(np.cumsum(n_conditions) - n_conditions,
                                                     n_conditions)]
    order = np.lexsort((cond, pat))
    pat, cond = pat[order], cond[order]
    nc = len(pat)
    home = rng.random(nc) < p.home_share
    protocol = (cond == CONDITIONS.index(ACNE)) & ~home & (rng.random(nc) < p.acne_monthly_share)
    k_pro = _choice(rng, pmf(p.sessions_pmf_professional), nc) + 1
    k_home = _choice(rng, pmf(p.sessions_pmf_home), nc) + 1
    k_protocol = rng.integers(ACNE_PROTOCOL_SESSIONS.start, ACNE_PROTOCOL_SESSIONS.stop, nc)
    n_sessions = np.where(home, k_home, np.where(protocol, k_protocol, k_pro))
    start0 = np.datetime64(p.first_start, "D").astype(np.int64)
    start1 = np.datetime64(p.last_start, "D").astype(np.int64)
    start = rng.integers(start0, start1 + 1, nc)
    adjunct = _choice_by(rng, probs(p.adjunct_weights_home, ADJUNCTS),
                         probs(p.adjunct_weights_professional, ADJUNCTS), home)

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

    device = _choice_by(rng, probs(p.device_weights_home, DEVICES),
                        probs(p.device_weights_professional, DEVICES), s_home)
    mean_depth = np.array([p.depth_professional_mm[c] for c in CONDITIONS])[s_cond]
    depth_pro = np.rint((mean_depth + 0.25 * rng.standard_normal(total)) * 4) / 4
    roller = device == DEVICES.index("roller")
    depth_pro = np.where(roller, np.clip(depth_pro, 0.5, 1.5), np.clip(depth_pro, 0.25, 2.5))
    home_depths = np.array([float(d) for d in p.depth_home_mm])
    depth_home = home_depths[_choice(rng, probs(p.depth_home_mm, tuple(p.depth_home_mm)),
                                     total)]
    depth = np.where(s_home, depth_home, depth_pro)
    median = np.where(s_home, p.duration_median_home, p.duration_median_professional)
    duration = np.clip(np.rint(median * np.exp(p.duration_sd_log * rng.standard_normal(total))),
                       5, 180)
    numbing = rng.random(total) < np.where(s_home, p.numbing_share_home,
                                           p.numbing_share_professional)
    with_numbing, without = pain_levels(p)
    mean_pain = np.where(numbing, with_numbing, without) / 10
    if math.isfinite(p.pain_patient_concentration):  # the patient's own level (a quantile)
        k_p = p.pain_patient_concentration
        level = np.clip(mean_pain, 1e-9, 1 - 1e-9)
        mean_pain = betaincinv(level * k_p, (1 - level) * k_p, rng.random(n)[s_pat])
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
    g_mult = np.where(g_home, 1.0, np.append(clinic_multipliers(p), 1.0)[g_place])
    # patient frailties (drawn only when asked for, so that bundles without them are the same)
    frailty = (_log_normal(rng, p.patient_event_sd, pt["n"], mean_one=True)[s["pat"]]
               if p.patient_event_sd > 0 else None)
    slow = (_log_normal(rng, p.patient_resolution_sd, pt["n"], mean_one=False)
            if p.patient_resolution_sd > 0 else None)
    sess, code, notable = [], [], []
    for j, event in enumerate(EVENTS):
        pn_cell, pm_cell = event_probabilities(p, event, g_home, g_dark, g_mult, g_flag)
        pn = np.broadcast_to(pn_cell, grid.shape)[cell]
        pm = np.broadcast_to(pm_cell, grid.shape)[cell]
        if frailty is not None:
            scale = frailty_scale(pn + pm, frailty)
            pn, pm = pn * scale, pm * scale
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
    if slow is not None:
        t = t * slow[s["pat"][sess]]
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


def _log_normal(rng, sd: float, n: int, *, mean_one: bool) -> np.ndarray:
    """``n`` log-normal multipliers of log-scale SD ``sd``: mean 1, or median 1."""
    shift = sd * sd / 2 if mean_one else 0.0
    return np.exp(sd * rng.standard_normal(n) - shift)


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
            values, weights = (np.asarray(v, dtype=float) for v in spec)
            b[mask] = values[_choice(rng, weights, m)]
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
    rater = _choice(rng, probs(p.rater_weights, RATERS), len(course))
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
    clinic_names = clinic_ids(p)
    operator_names = names("OP", p.n_clinics * p.operators_per_clinic)
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


