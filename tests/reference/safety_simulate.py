"""A vectorised simulator of session logs with known truths, for the side-effect tests.

Used by ``tests/test_side_effects.py``, ``tests/test_skin_type.py`` and ``tests/test_spacing.py``
(simulation checks with a closed-form truth) and for the timing on a million sessions. It builds
the typed tables the loader promises directly (no files), so a million sessions take a second.

The truths (all parameters are arguments of :func:`simulate_log`):

- every patient has one course (optionally a second course of another condition, so that
  patients give several courses and sessions: intervals must be clustered);
- erythema after a session with a patient-level probability drawn from
  ``Beta(a, b)`` with mean ``erythema_p`` (patients differ: sessions of one patient are
  correlated); every erythema is mild; its resolution time is log-normal
  ``exp(N(log(erythema_median), erythema_sigma))`` hours, censored at an independent last
  contact ``Uniform(contact_low, contact_high)`` hours. So the share resolved by H hours is
  ``Phi((log H - log median) / sigma)`` whatever the censoring;
- PIH (a notable event) happens at most once per course, in its last session, with probability
  ``pih_light`` for types I–III and ``pih_dark`` for types IV–VI (and ``pih_light`` for unknown
  type): the true risk difference IV–VI minus I–III is ``pih_dark - pih_light``;
- spacing in days is drawn from ``spacing_choices``; the improvement gained by session k >= 2 is
  ``gain_by_bin[bin of its spacing]`` (plus normal noise of sd ``gain_sd``), session 1 gains
  ``first_gain``; an assessment precedes every session by one day (after session k - 1) and
  another follows the last session by 28 days (end of treatment). Scores are on the
  Goodman–Baron quantitative scale (0–84, lower better) from a baseline of 60.

Run as a script it prints the timing of the side-effect statistics on a million sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outcomes.bundle.log import SessionLog, empty_counts
from outcomes.bundle.schema import TABLES, load_scales, vocabulary, vocabulary_dtype

SPACING_EDGES = (14, 21, 32, 46, 91)
DEFAULT_GAINS = (0.02, 0.04, 0.08, 0.06, 0.03, 0.01)  # per bin < 14 ... > 90


def _frame(name: str, data: dict) -> pd.DataFrame:
    """A typed table of the contract from column arrays (absent columns all missing)."""
    n = len(next(iter(data.values())))
    out = {}
    for col in TABLES[name].columns:
        values = data.get(col.name)
        if col.kind in ("id", "text", "list"):
            out[col.name] = (pd.array(values, dtype="str") if values is not None
                             else pd.array([pd.NA] * n, dtype="str"))
        elif col.kind == "date":
            out[col.name] = (pd.to_datetime(values).astype("datetime64[ns]") if values is not None
                             else pd.Series(pd.NaT, index=range(n)).astype("datetime64[ns]"))
        elif col.kind == "vocabulary":
            out[col.name] = pd.Categorical(values if values is not None else [None] * n,
                                           dtype=vocabulary_dtype(col.vocabulary))
        elif col.kind == "scale":
            out[col.name] = pd.Categorical(values, dtype=pd.CategoricalDtype(list(load_scales())))
        elif col.kind in ("number", "hours"):
            out[col.name] = (np.asarray(values, dtype=float) if values is not None
                             else np.full(n, np.nan))
        elif col.kind == "bool":
            out[col.name] = pd.array([pd.NA] * n if values is None else values, dtype="boolean")
    df = pd.DataFrame(out)
    df["row"] = np.arange(2, n + 2)
    return df


def simulate_log(
    n_patients: int = 2000,
    seed: int = 1,
    *,
    sessions_low: int = 2,
    sessions_high: int = 6,
    second_course: float = 0.3,
    erythema_p: float = 0.4,
    erythema_concentration: float = 4.0,
    erythema_median: float = 30.0,
    erythema_sigma: float = 0.6,
    contact_low: float = 24.0,
    contact_high: float = 200.0,
    pih_light: float = 0.02,
    pih_dark: float = 0.08,
    unknown_type: float = 0.1,
    spacing_choices=(7, 10, 14, 18, 21, 25, 28, 35, 42, 60, 75, 100, 120),
    first_gain: float = 0.05,
    gain_by_bin=DEFAULT_GAINS,
    gain_sd: float = 0.02,
) -> SessionLog:
    """A SessionLog with the known truths described in the module notes."""
    rng = np.random.default_rng(seed)
    conditions = ["acne_scars", "wrinkles", "hyperpigmentation"]
    # courses: every patient one, some a second of another condition
    second = rng.random(n_patients) < second_course
    c_patient = np.r_[np.arange(n_patients), np.flatnonzero(second)]
    n_courses = c_patient.size
    first_cond = rng.integers(0, len(conditions), n_patients)
    c_cond = np.r_[first_cond, (first_cond[second] + 1) % len(conditions)]
    p_setting = rng.random(n_patients) < 0.6
    c_setting = np.where(p_setting[c_patient], "professional", "home")
    types = np.array(vocabulary("fitzpatrick"), dtype=object)
    p_type = types[rng.integers(0, 6, n_patients)]
    p_type[rng.random(n_patients) < unknown_type] = None
    c_k = rng.integers(sessions_low, sessions_high + 1, n_courses)

    # sessions
    s_course = np.repeat(np.arange(n_courses), c_k)
    n_s = s_course.size
    start = np.cumsum(c_k) - c_k
    s_number = np.arange(n_s) - start[s_course] + 1
    gap = np.asarray(spacing_choices)[rng.integers(0, len(spacing_choices), n_s)]
    gap[s_number == 1] = 0
    base_day = rng.integers(0, 365, n_courses)
    day = base_day[s_course] + pd.Series(gap).groupby(s_course).cumsum().to_numpy()
    dates = np.datetime64("2022-01-01") + day.astype("timedelta64[D]")
    s_patient = c_patient[s_course]
    pid = np.char.add("P", s_patient.astype(str))
    sid = np.char.add("S", np.arange(n_s).astype(str))
    depth = np.round(rng.uniform(0.25, 2.5, n_s), 2)
    sessions = _frame("sessions", {
        "patient_id": pid, "session_id": sid, "session_date": dates,
        "condition": np.asarray(conditions, dtype=object)[c_cond][s_course],
        "setting": c_setting[s_course], "needle_depth_mm": depth,
        "fitzpatrick": p_type[s_patient],
    })

    # assessments: baseline on day of session 1; after session k the day before session k+1;
    # end of treatment 28 days after the last session
    bin_of = np.searchsorted(np.asarray(SPACING_EDGES), gap, side="right")
    gain = np.asarray(gain_by_bin, dtype=float)[bin_of] + rng.normal(0, gain_sd, n_s)
    gain[s_number == 1] = first_gain
    improvement = pd.Series(gain).groupby(s_course).cumsum().to_numpy()
    baseline = 60.0
    last = s_number == c_k[s_course]
    nxt = np.r_[day[1:], 0]
    after_day = np.where(last, day + 28, nxt - 1)
    a_day = np.r_[day[s_number == 1], after_day]
    a_score = np.r_[np.full(n_courses, baseline), baseline * (1 - improvement)]
    a_course = np.r_[np.arange(n_courses), s_course]
    assessments = _frame("assessments", {
        "patient_id": np.char.add("P", c_patient[a_course].astype(str)),
        "condition": np.asarray(conditions, dtype=object)[c_cond][a_course],
        "assessment_date": np.datetime64("2022-01-01") + a_day.astype("timedelta64[D]"),
        "scale": np.full(a_course.size, "goodman_baron_quantitative"),
        "score": np.clip(a_score, 0, 84),
    })

    # erythema: patient-level probability (Beta), log-normal resolution, uniform last contact
    a = erythema_p * erythema_concentration
    b = (1 - erythema_p) * erythema_concentration
    p_ery = rng.beta(a, b, n_patients)[s_patient]
    has = rng.random(n_s) < p_ery
    e_sess = np.flatnonzero(has)
    t = np.exp(rng.normal(np.log(erythema_median), erythema_sigma, e_sess.size))
    contact = rng.uniform(contact_low, contact_high, e_sess.size)
    resolved = np.where(t <= contact, t, np.nan)
    # PIH: once per course, in the last session
    dark = np.isin(p_type[c_patient].astype(str), ["IV", "V", "VI"])
    risk = np.where(dark, pih_dark, pih_light)
    pih_course = np.flatnonzero(rng.random(n_courses) < risk)
    pih_sess = (start + c_k - 1)[pih_course]
    ev_sess = np.r_[e_sess, pih_sess]
    kinds = np.r_[np.full(e_sess.size, "erythema", dtype=object),
                  np.full(pih_sess.size, "pih", dtype=object)]
    events = _frame("adverse_events", {
        "session_id": sid[ev_sess], "event": kinds,
        "severity": np.full(ev_sess.size, "mild"),
        "onset_hours": np.zeros(ev_sess.size),
        "resolved_hours": np.r_[resolved, np.full(pih_sess.size, np.nan)],
        "last_contact_hours": np.r_[contact, np.full(pih_sess.size, 720.0)],
    })
    return SessionLog(sessions, assessments, events, {}, pd.DataFrame(), empty_counts(), {},
                      source="simulated", present_columns={t: tuple(TABLES[t].names)
                                                           for t in TABLES})


def main(n_patients: int = 250_000) -> None:  # pragma: no cover - timing script
    import time

    from outcomes.courses import build_courses
    from outcomes.stats.side_effects import incidence, resolution
    from outcomes.stats.skin_type import skin_type
    from outcomes.stats.spacing import spacing

    t0 = time.perf_counter()
    log = simulate_log(n_patients, seed=7)
    t1 = time.perf_counter()
    courses = build_courses(log)
    t2 = time.perf_counter()
    print(f"simulate {t1 - t0:.2f} s; build_courses {t2 - t1:.2f} s; "
          f"{len(courses.sessions)} sessions, {len(courses.events)} events, "
          f"{len(courses.courses)} courses")
    for name, fn in [
        ("incidence per session", lambda: incidence(courses)),
        ("incidence by setting, depth, spacing", lambda: incidence(
            courses, by=("setting", "depth_bin", "spacing_bin"), events=["any", "notable"])),
        ("incidence by session number", lambda: incidence(courses, by="session_number")),
        ("incidence per course by severity", lambda: incidence(courses, by="severity",
                                                               per="course")),
        ("resolution", lambda: resolution(courses)),
        ("skin_type", lambda: skin_type(courses)),
        ("spacing", lambda: spacing(courses)),
    ]:
        t = time.perf_counter()
        fn()
        print(f"{name}: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
