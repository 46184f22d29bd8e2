"""The known truth of a simulation: the true value of each claim and audited recommendation, as
plain functions of the parameters (:func:`truth`), exact where the model gives it in closed form
and marked in :data:`APPROXIMATE_TRUTHS` where it does not.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy.special import ndtr

from ..courses import DEFAULT_BANDS
from .params import (
    ACNE,
    BASELINE,
    BLEEDING_EVENTS,
    CONDITION_SCALE,
    DARK_TYPES,
    EVENTS,
    FITZPATRICK,
    GAIS,
    GAIS_NO_CHANGE,
    GB_QUALITATIVE,
    GB_QUANTITATIVE,
    HAIR_DENSITY,
    SCALE_RANGE,
    SCALE_RESOLUTION,
    SEVERITY_VAS,
    SimulationParams,
    course_cells,
    event_probabilities,
    frailty_scale,
    home_session_share,
    mean_k,
    places,
    probs,
)

__all__ = ["truth", "APPROXIMATE_TRUTHS", "CLAIM_CONDITIONS"]

#: Conditions of the claims ``effective-<condition>`` (claims.md).
CLAIM_CONDITIONS = ("acne_scars", "surgical_scars", "wrinkles", "hyperpigmentation",
                    "stretch_marks", "alopecia", "rosacea", "skin_laxity", "enlarged_pores")

#: Keys of :func:`truth` whose values are approximate: means of improvement describe the
#: latent (true) improvement and ignore rater error, rounding and clipping to the scale;
#: sessions to major improvement also ignore the late gain seen at follow-up; the median
#: duration ignores rounding to whole minutes. Every other key is exact (in expectation).
APPROXIMATE_TRUTHS = frozenset(
    {"acne-scars-4-6-sessions", "professional-beats-home", "alcohol-reduces-effect",
     "full-results-take-months", "session-30-60-min", "session-15-20-min"}
    | {f"effective-{c}" for c in CLAIM_CONDITIONS}
)

#: Claims on the share of courses whose recorded improvement after a session reaches a band:
#: (claim, condition or None for every condition, session, band of :data:`DEFAULT_BANDS`).
REACHING = (("single-session-visible", None, 1, "visible"),
            ("few-sessions-reduce-wrinkles", "wrinkles", 3, "considerable"))


def truth(p: SimulationParams) -> dict[str, float]:
    """The true value of each claim and audited recommendation, keyed by its id.

    Parameters
    ----------
    p : SimulationParams
        The parameters of the simulation (``SimulationParams().truth()`` calls this).

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

        The patient frailties stay exact: the side-effect frailty (``patient_event_sd``) is
        integrated over by Gauss-Hermite quadrature (a course's sessions share it), a slow
        healer's multiplier (``patient_resolution_sd``) widens the log-normal of resolution
        times to ``hypot(sd, patient_resolution_sd)``, a patient's pain level keeps every
        session's mean, and the conditions' mix over courses counts third and further ones.
    """
    out: dict[str, float] = {}
    out.update(_outcomes(p))
    out.update(_events(p))
    out["minimal-pain"] = float(p.pain_mean)
    median = _duration_median(p)
    out["session-30-60-min"] = median
    out["session-15-20-min"] = median
    out.update(_spacing(p))
    out["contraindications"] = 1 - float(p.contraindicated_share)
    return {key: float(value) for key, value in out.items()}


# ------------------------------------------------------------------------ sessions and events
def _duration_median(p: SimulationParams) -> float:
    h = home_session_share(p)
    sd = p.duration_sd_log

    def cdf(x: float) -> float:
        if sd == 0:
            return (1 - h) * (x >= p.duration_median_professional) + h * (
                x >= p.duration_median_home)
        return float((1 - h) * ndtr(math.log(x / p.duration_median_professional) / sd)
                     + h * ndtr(math.log(x / p.duration_median_home) / sd))

    lo, hi = 1e-3, 1e4
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if cdf(mid) < 0.5 else (lo, mid)
    return float(hi)


def _resolved_by(p: SimulationParams, event: str, hours: float) -> float:
    median = p.resolution_median_hours[event]
    # the patient's multiplier (log-normal, median 1) is independent of the event's own spread
    sd = math.hypot(p.resolution_sd_log[event], p.patient_resolution_sd)
    if not math.isfinite(median):
        return 0.0
    if sd == 0:
        return float(max(1.0, round(median)) <= hours)
    return float(ndtr(math.log((hours + 0.5) / median) / sd))


def _dark_share(p: SimulationParams) -> float:
    w = probs(p.fitzpatrick_weights, FITZPATRICK)
    return float(sum(w[FITZPATRICK.index(t)] for t in DARK_TYPES))


def _bleeding_flag_share(p: SimulationParams) -> float:
    return 1 - (1 - p.anticoagulant_share) * (1 - p.bleeding_disorder_share)


def _session_cells(p: SimulationParams) -> list[tuple]:
    """(weight, home, clinic multiplier, dark, flagged) over sessions; weights sum to 1."""
    h = home_session_share(p)
    dark, flag = _dark_share(p), _bleeding_flag_share(p)
    cells = []
    for home, ph in ((True, h), (False, 1 - h)):
        for p_clinic, mult in places(p, home):
            for is_dark, pd_ in ((True, dark), (False, 1 - dark)):
                for is_flag, pf in ((True, flag), (False, 1 - flag)):
                    w = ph * p_clinic * pd_ * pf
                    if w > 0:
                        cells.append((w, home, mult, is_dark, is_flag))
    return cells


def _frailties(p: SimulationParams) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights integrating over the patient's side-effect frailty (mean 1)."""
    s = p.patient_event_sd
    if s == 0:
        return np.ones(1), np.ones(1)
    nodes, weights = _normal_quadrature()
    return np.exp(s * nodes - s * s / 2), weights


def _risk_given_frailty(p: SimulationParams, event: str, home, dark, mult, flag,
                        frailty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(notable, any) risk of ``event`` in a session, at each frailty node."""
    pn, pm = (float(x) for x in event_probabilities(p, event, home, dark, mult, flag))
    scale = frailty_scale(pn + pm, frailty)
    return pn * scale, (pn + pm) * scale


def _events(p: SimulationParams) -> dict[str, float]:
    expected = {e: 0.0 for e in EVENTS}
    bb = {True: [0.0, 0.0], False: [0.0, 0.0]}  # flagged -> [sum w*p, sum w]
    frailty, fw = _frailties(p)
    for w, home, mult, dark, flag in _session_cells(p):
        p_none = np.ones(len(frailty))  # of bleeding and bruising, at each frailty
        for e in EVENTS:
            _, p_any = _risk_given_frailty(p, e, home, dark, mult, flag, frailty)
            expected[e] += w * float(p_any @ fw)
            if e in BLEEDING_EVENTS:
                p_none *= 1 - p_any
        bb[flag][0] += w * float((1 - p_none) @ fw)
        bb[flag][1] += w
    out = {"redness-24-48h": _resolved_by(p, "erythema", 48)}
    pooled = ("erythema", "oedema", "pain")
    total = sum(expected[e] for e in pooled)
    out["side-effects-few-days"] = (
        sum(expected[e] * _resolved_by(p, e, 72) for e in pooled) / total
        if total > 0 else math.nan)
    out["scabs-few-days"] = _resolved_by(p, "scabbing", 72)
    risk = {flag: (s / n if n > 0 else math.nan) for flag, (s, n) in bb.items()}
    out["bleeding-risk-anticoagulants"] = (
        risk[True] / risk[False] if risk[False] > 0 else math.nan)
    out["safe-all-skin-types"] = _notable_risk_difference(p)
    return out


def _notable_risk_difference(p: SimulationParams) -> float:
    dark_risk = {}
    flag = _bleeding_flag_share(p)
    frailty, fw = _frailties(p)
    # (home, dark, clinic multiplier, flagged) -> P(no notable event in a session), per frailty
    no_notable = {}
    for home in (True, False):
        for dark in (True, False):
            for _, mult in places(p, home):
                for is_flag in (True, False):
                    q_none = np.ones(len(frailty))
                    for e in EVENTS:
                        pn, _ = _risk_given_frailty(p, e, home, dark, mult, is_flag, frailty)
                        q_none *= 1 - pn
                    no_notable[home, dark, float(mult), is_flag] = q_none
    for dark in (True, False):
        num = den = 0.0
        for cell in course_cells(p):
            k = np.arange(1, len(cell["pmf"]) + 1)
            for p_clinic, mult in places(p, cell["home"]):
                for is_flag, pf in ((True, flag), (False, 1 - flag)):
                    q_none = no_notable[cell["home"], dark, float(mult), is_flag]
                    w = cell["weight"] * p_clinic * pf
                    # a patient's sessions share the frailty: (1 - q^K) averaged over it
                    risk = 1 - q_none[None, :] ** k[:, None]
                    num += w * float(cell["pmf"] @ risk @ fw)
                    den += w
        dark_risk[dark] = num / den
    return dark_risk[True] - dark_risk[False]


# ------------------------------------------------------------------------------- spacing
def _spacing(p: SimulationParams) -> dict[str, float]:
    def normal_in(a: int, b: int, target: float, sd: float) -> float:
        lo = -math.inf if a <= 1 else math.log((a - 0.5) / target)
        hi = math.log((b + 0.5) / target)
        if sd == 0:
            g = max(1, round(target))
            return float(a <= g <= b)
        return float(ndtr(hi / sd) - (0.0 if lo == -math.inf else ndtr(lo / sd)))

    def uniform_in(a: int, b: int, lo: int, hi: int) -> float:
        return max(0, min(b, hi) - max(a, lo) + 1) / (hi - lo + 1)

    dev_lo, dev_hi = p.spacing_deviation_days
    pro_lo, pro_hi = p.acne_monthly_spacing_days

    def gap_in(a: int, b: int, home: bool, protocol: bool) -> float:
        if protocol:
            return uniform_in(a, b, pro_lo, pro_hi)
        target, sd = ((p.spacing_home_days, p.spacing_home_sd_log) if home else
                      (p.spacing_professional_days, p.spacing_professional_sd_log))
        d = p.spacing_deviation_share
        return (1 - d) * normal_in(a, b, target, sd) + d * uniform_in(a, b, dev_lo, dev_hi)

    cells = course_cells(p)

    def share(a: int, b: int, setting: bool | None) -> float:
        num = den = 0.0
        for cell in cells:
            if setting is not None and cell["home"] != setting:
                continue
            gaps = cell["weight"] * (mean_k(cell["pmf"]) - 1)
            num += gaps * gap_in(a, b, cell["home"], cell["protocol"])
            den += gaps
        return num / den if den > 0 else math.nan

    out = {
        "spacing-15-30-days": share(15, 31, None),
        "spacing-professional-4-6-weeks": share(28, 42, False),
        "spacing-home-1-2-weeks": share(7, 14, True),
    }
    num = den = 0.0
    for cell in cells:
        if cell["condition"] != ACNE:
            continue
        q = gap_in(21, 38, cell["home"], cell["protocol"])
        k = np.arange(1, len(cell["pmf"]) + 1)
        ok = (k >= 4) & (k <= 6)
        num += cell["weight"] * float(np.sum(cell["pmf"][ok] * q ** (k[ok] - 1)))
        den += cell["weight"]
    out["acne-scars-monthly-course"] = num / den if den > 0 else math.nan
    return out


# ------------------------------------------------------------------------------ outcomes
@cache
def _normal_quadrature(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) integrating against the standard normal."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    return nodes, weights / weights.sum()


def baseline_pmf(scale: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact distribution of recorded baselines on ``scale``: (values, probabilities)."""
    kind, spec = BASELINE[scale]
    if kind == "discrete":
        values, weights = (np.asarray(v, dtype=float) for v in spec)
        return values, weights / weights.sum()
    mean, sd, low, high = spec
    res = SCALE_RESOLUTION[scale]
    values = np.round(np.arange(low, high + res / 2, res), 10)
    upper = ndtr((values + res / 2 - mean) / sd)
    lower = ndtr((values - res / 2 - mean) / sd)
    upper[-1], lower[0] = 1.0, 0.0  # clipping puts the tails on the ends
    return values, upper - lower


def _multiplier_cells(p: SimulationParams, cell: dict) -> list[tuple[float, float, bool]]:
    """(probability, multiplier without the patient effect, alcohol) of a course cell."""
    e = float(p.effect[cell["condition"]])
    h = p.home_multiplier if cell["home"] else 1.0
    a = p.alcohol_share
    return [(a, e * h * p.alcohol_multiplier, True), (1 - a, e * h, False)]


def _expected_min(p: SimulationParams, x: float) -> float:
    """E[min(x * m, cap)] for the log-normal patient multiplier m (mean 1)."""
    cap, s = p.max_improvement, p.patient_effect_sd
    if x <= 0:
        return x
    if s == 0:
        return min(x, cap)
    mu = -s * s / 2
    z = (math.log(cap / x) - mu) / s
    return float(x * ndtr(z - s) + cap * (1 - ndtr(z)))


def _scale_mix(p: SimulationParams, condition: str) -> list[tuple[str, float]]:
    """(scale, share of the courses of ``condition`` with an improvement) pairs."""
    if condition == ACNE:
        q = p.acne_qualitative_share
        mix = [(GB_QUANTITATIVE, 1 - q), (GB_QUALITATIVE, q)]
    elif condition in CONDITION_SCALE:
        mix = [(CONDITION_SCALE[condition], 1.0)]
    else:
        mix = [(SEVERITY_VAS, 1 - p.gais_share), (GAIS, p.gais_share)]
    # an improvement needs a baseline, except on GAIS
    return [(sc, w * (1.0 if sc == GAIS else p.baseline_share)) for sc, w in mix if w > 0]


def _share_reaching(p: SimulationParams, condition: str, x: float, threshold: float) -> float:
    """P(recorded improvement >= threshold) when the latent one is min(x * m, cap).

    Exact for the simulator's recording: Gaussian rater error, scores rounded to the scale's
    resolution (integer grades, MASI to 0.1, whole hairs), over the baseline distribution.
    """
    cap, s, sd = p.max_improvement, p.patient_effect_sd, p.measurement_sd
    nodes, weights = _normal_quadrature()
    true = np.minimum(x * np.exp(-s * s / 2 + s * nodes), cap)  # per node
    eps = 1e-9
    total = share = 0.0
    for scale, w in _scale_mix(p, condition):
        if scale == GAIS:
            values, pmf = np.array([GAIS_NO_CHANGE]), np.array([1.0])
            worst = math.floor(GAIS_NO_CHANGE - (GAIS_NO_CHANGE - 1) * threshold + eps)
            need = np.array([(GAIS_NO_CHANGE - 0.5 - worst) / (GAIS_NO_CHANGE - 1)])
            possible = np.array([worst >= SCALE_RANGE[GAIS][0]])
        elif scale == HAIR_DENSITY:
            values, pmf = baseline_pmf(scale)
            lowest = np.ceil(values * (1 + threshold) - eps)  # fewest hairs that count
            need = (lowest - 0.5) / values - 1
            possible = np.ones(len(values), dtype=bool)
        else:
            values, pmf = baseline_pmf(scale)
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
        share += w * float(np.sum(pmf * per_baseline))
        total += w
    return share / total if total > 0 else math.nan


def _final(p: SimulationParams, cell: dict, x: float) -> tuple[float, float]:
    """(P(final exists), E[final improvement; exists]) of a course cell, multiplier x."""
    phi, eps, iota = p.follow_up_share, p.end_share, p.interim_share
    r = float(p.rate[cell["condition"]])
    p_exist = total = 0.0
    for k_last, pk in enumerate(cell["pmf"], start=1):
        if pk == 0:
            continue
        at_end = _expected_min(p, x * (1 - math.exp(-r * k_last)))
        latest = 0.0  # E[improvement at the latest interim; one exists]
        none = 1.0
        for k in range(k_last - 1, 0, -1):
            latest += none * iota * _expected_min(p, x * (1 - math.exp(-r * k)))
            none *= 1 - iota
        exists = phi + (1 - phi) * eps + (1 - phi) * (1 - eps) * (1 - none)
        value = (phi + (1 - phi) * eps) * at_end + (1 - phi) * (1 - eps) * latest
        value += phi * p.late_gain
        p_exist += pk * exists
        total += pk * value
    return p_exist, total


def _assessed_after(p: SimulationParams, pmf: np.ndarray, k: int) -> float:
    """P(a course has an assessment after session k): its end if K = k, an interim if K > k."""
    return pmf[k - 1] * p.end_share + pmf[k:].sum() * p.interim_share


def _outcomes(p: SimulationParams) -> dict[str, float]:
    groups: dict[str, list[float]] = {}

    def add(key: str, w: float, share: float, v: float) -> None:
        acc = groups.setdefault(key, [0.0, 0.0])
        acc[0] += w * v
        acc[1] += w * share

    for cell in course_cells(p):
        condition, pmf = cell["condition"], cell["pmf"]
        r = float(p.rate[condition])
        with_improvement = sum(w for _, w in _scale_mix(p, condition))
        for p_alcohol, x, alcohol in _multiplier_cells(p, cell):
            w = cell["weight"] * p_alcohol
            if w <= 0:
                continue
            final, v = _final(p, cell, x)
            for key in (f"effective-{condition}", "home" if cell["home"] else "professional",
                        "alcohol" if alcohol else "sober"):
                add(key, w, final, v)
            for claim, only, k, band in REACHING:
                if only not in (None, condition) or len(pmf) < k:
                    continue
                assessed = w * _assessed_after(p, pmf, k) * with_improvement
                reaching = _share_reaching(p, condition, x * (1 - math.exp(-k * r)),
                                           DEFAULT_BANDS[band])
                add(claim, assessed, 1.0, reaching)

    def mean(key: str) -> float:
        s, n = groups.get(key, (0.0, 0.0))
        return s / n if n > 0 else math.nan

    out = {f"effective-{c}": mean(f"effective-{c}") for c in CLAIM_CONDITIONS}
    out["professional-beats-home"] = mean("professional") - mean("home")
    out["alcohol-reduces-effect"] = mean("alcohol") - mean("sober")
    out["full-results-take-months"] = float(p.late_gain)
    out.update({claim: mean(claim) for claim, *_ in REACHING})
    out["acne-scars-4-6-sessions"] = _acne_median(p)
    return out


def _acne_median(p: SimulationParams) -> float:
    cells = [c for c in course_cells(p) if c["condition"] == ACNE]
    total = sum(c["weight"] for c in cells)
    if total == 0:
        return math.nan
    s, cap, major = p.patient_effect_sd, p.max_improvement, DEFAULT_BANDS["major"]
    if cap < major:
        return math.nan
    r = float(p.rate[ACNE])
    for k in range(1, 201):
        g = 1 - math.exp(-r * k)
        reached = 0.0
        for cell in cells:
            for p_alcohol, x, _ in _multiplier_cells(p, cell):
                if x * g <= 0:
                    continue
                need = major / (x * g)  # m must reach this
                if s == 0:
                    share = float(need <= 1)
                else:
                    share = float(1 - ndtr((math.log(need) + s * s / 2) / s))
                reached += cell["weight"] * p_alcohol * share
        if reached / total >= 0.5:
            return float(k)
    return math.nan
