"""Courses, assessment points and improvement: hand-worked examples of every definition.

Each expected number is worked out in the comment beside it from the definitions in
docs/definitions.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tests.factories import assessment, event, make_log, session

from outcomes.courses import Point, build_courses, contraindication_flags

GB = "goodman_baron_quantitative"


@pytest.fixture
def worked():
    # P1 acne scars: sessions 1 Jan, 1 Feb, 1 Mar 2024 (K = 3); P2 wrinkles at home: 10 and 24 Jan.
    sessions = [
        session("P1", "s1", "2024-01-01", fitzpatrick="IV", contraindications="alcohol_frequent"),
        session("P1", "s2", "2024-02-01"),
        session("P1", "s3", "2024-03-01"),
        session("P2", "s4", "2024-01-10", "wrinkles", "home"),
        session("P2", "s5", "2024-01-24", "wrinkles", "home"),
    ]
    assessments = [
        assessment("P1", "2023-12-20", 44),  # earlier pre-treatment: not the latest, not baseline
        assessment("P1", "2024-01-01", 40),  # on the first session's date: baseline
        assessment("P1", "2024-01-20", 35),  # after s1, superseded by the later one below
        assessment("P1", "2024-02-01", 30),  # on s2's date: after session 1 -> (40-30)/40 = 0.25
        assessment("P1", "2024-02-20", 20),  # after session 2 -> (40-20)/40 = 0.50
        assessment("P1", "2024-04-01", 15),  # 31 days after s3: end of treatment -> 25/40 = 0.625
        assessment("P1", "2024-04-20", 14),  # later end candidate: not the first, not a point
        assessment("P1", "2024-06-01", 12),  # 92 days after: follow-up candidate, not the latest
        assessment("P1", "2024-07-01", 10),  # 122 days after: follow-up -> 30/40 = 0.75
        assessment("P2", "2024-01-10", 7, "wrinkles", "wrinkle_severity"),  # baseline (best 1)
        assessment("P2", "2024-02-10", 5, "wrinkles", "wrinkle_severity"),  # end: 2/6 = 0.333
    ]
    events = [
        event("s1", "erythema", resolved=20.0),
        event("s4", "pih", last_contact=72.0),  # unresolved: censored at 72 h; notable (PIH)
        event("s5", "oedema", "moderate", resolved=30.0),  # notable by severity
    ]
    return make_log(sessions, assessments, events)


def test_sessions_numbered_and_spaced(worked):
    s = build_courses(worked).sessions
    p1 = s[s["patient_id"] == "P1"]
    assert p1["session_number"].tolist() == [1, 2, 3]
    assert p1["n_sessions"].tolist() == [3, 3, 3]
    # 1 Jan -> 1 Feb = 31 days; 1 Feb -> 1 Mar 2024 (leap year) = 29 days
    assert p1["spacing_days"].tolist()[1:] == [31.0, 29.0]
    assert np.isnan(p1["spacing_days"].iloc[0])
    assert p1["flag_alcohol_frequent"].tolist() == [True, False, False]


def test_points_and_improvement(worked):
    c = build_courses(worked)
    p1 = c.points[c.points["patient_id"] == "P1"]
    got = list(zip(p1["point"], p1["after_session"], p1["score"], strict=True))
    assert got == [
        (Point.BASELINE, 0, 40.0),
        (Point.AFTER_SESSION, 1, 30.0),
        (Point.AFTER_SESSION, 2, 20.0),
        (Point.END, 3, 15.0),
        (Point.FOLLOW_UP, 3, 10.0),
    ]
    np.testing.assert_allclose(p1["improvement"].iloc[1:], [0.25, 0.5, 0.625, 0.75])
    # 44 (older pre-treatment), 35 (superseded), 14 (second end candidate), 12 (older follow-up)
    assert c.unassigned_assessments == 4


def test_course_table(worked):
    c = build_courses(worked).courses.set_index("patient_id")
    assert c.loc["P1", "final_improvement"] == pytest.approx(0.75)
    assert c.loc["P1", "final_point"] == Point.FOLLOW_UP
    assert c.loc["P1", "improvement_after_1"] == pytest.approx(0.25)
    assert bool(c.loc["P1", "reached_major"]) is True
    assert c.loc["P2", "final_improvement"] == pytest.approx(2 / 6)
    assert c.loc["P2", "final_point"] == Point.END
    assert bool(c.loc["P2", "reached_considerable"]) is True  # 0.333 >= 0.25
    assert bool(c.loc["P2", "reached_major"]) is False
    assert pd.isna(c.loc["P2", "improvement_after_1"])  # nothing between 10 and 24 Jan
    assert c.loc["P1", "fitzpatrick"] == "IV"
    assert c.loc["P2", "setting"] == "home"
    assert c.loc["P1", "flag_alcohol_frequent"]
    assert c.loc["P2", "notable"] and c.loc["P2", "pih"]
    assert not c.loc["P1", "notable"]


def test_dose_and_sessions_to_major(worked):
    c = build_courses(worked)
    d = c.dose[c.dose["patient_id"] == "P1"]
    assert d["after_session"].tolist() == [1, 2, 3]  # the end of treatment is "after K"
    t = c.sessions_to_band("major").set_index("patient_id")
    assert (t.loc["P1", "duration"], bool(t.loc["P1", "observed"])) == (2.0, True)  # 0.5 at k=2
    assert (t.loc["P2", "duration"], bool(t.loc["P2", "observed"])) == (2.0, False)  # censored


def test_events(worked):
    e = build_courses(worked).events.set_index("session_id")
    assert e.loc["s1", "duration"] == 20.0 and e.loc["s1", "observed"]
    assert e.loc["s4", "duration"] == 72.0 and not e.loc["s4", "observed"]
    assert e["notable"].to_dict() == {"s1": False, "s4": True, "s5": True}
    assert e.loc["s5", "session_number"] == 2


def test_follow_up_boundary_is_56_days():
    # last session 1 Jan; 25 Feb is 55 days after (end of treatment), 26 Feb is 56 (follow-up)
    for day, point in (("2024-02-25", Point.END), ("2024-02-26", Point.FOLLOW_UP)):
        log = make_log([session("P", "s", "2024-01-01")],
                       [assessment("P", "2024-01-01", 40), assessment("P", day, 20)])
        assert build_courses(log).points["point"].tolist() == [Point.BASELINE, point]


def test_final_falls_back_to_latest_after_session():
    log = make_log(
        [session("P", "a", "2024-01-01"), session("P", "b", "2024-02-01"),
         session("P", "c", "2024-03-01")],
        [assessment("P", "2023-12-31", 40), assessment("P", "2024-01-15", 36),
         assessment("P", "2024-02-15", 30)],
    )
    c = build_courses(log).courses.iloc[0]
    assert c["final_point"] == Point.AFTER_SESSION
    assert c["final_improvement"] == pytest.approx(10 / 40)  # after session 2: (40-30)/40


def test_scales_primary_choice_relative_and_change():
    log = make_log(
        [session("A", "a1", "2024-01-01"), session("A", "a2", "2024-02-01"),
         session("H", "h1", "2024-01-01", "alopecia"), session("G", "g1", "2024-01-01", "texture")],
        [
            # acne course on two scales: Goodman-Baron is preferred for acne scars even though
            # severity_vas has more assessments
            assessment("A", "2024-01-01", 8, scale="severity_vas"),
            assessment("A", "2024-01-20", 7, scale="severity_vas"),
            assessment("A", "2024-03-01", 6, scale="severity_vas"),
            assessment("A", "2024-01-01", 40), assessment("A", "2024-03-01", 30),
            # hair density (higher is better, unbounded): 100 -> 150, the log ratio log 1.5
            assessment("H", "2024-01-01", 100, "alopecia", "hair_density"),
            assessment("H", "2024-02-01", 150, "alopecia", "hair_density"),
            # GAIS 2 ("much improved") needs no baseline: (4 - 2) / (4 - 1) = 0.667
            assessment("G", "2024-02-01", 2, "texture", "gais"),
        ],
    )
    c = build_courses(log).courses.set_index("patient_id")
    assert c.loc["A", "scale"] == GB
    assert c.loc["A", "final_improvement"] == pytest.approx(0.25)
    assert c.loc["H", "final_improvement"] == pytest.approx(math.log(1.5))
    assert c.loc["H", "final_missing"] == "" and c.loc["A", "final_missing"] == ""
    assert c.loc["A", "baseline_severity"] == pytest.approx(40 / 84)
    assert c.loc["G", "final_improvement"] == pytest.approx(2 / 3)


def test_same_date_assessments_are_averaged_and_baseline_at_best_is_undefined():
    log = make_log(
        [session("P", "s", "2024-01-01"), session("Q", "q", "2024-01-01")],
        [assessment("P", "2024-01-01", 40), assessment("P", "2024-02-01", 20, rater="clinician"),
         assessment("P", "2024-02-01", 30, rater="patient"),  # mean 25 -> (40-25)/40 = 0.375
         assessment("Q", "2024-01-01", 0), assessment("Q", "2024-02-01", 0)],  # already at best
    )
    c = build_courses(log).courses.set_index("patient_id")
    assert c.loc["P", "final_improvement"] == pytest.approx(0.375)
    assert np.isnan(c.loc["Q", "final_improvement"])


def test_mixed_setting_course_has_no_setting():
    log = make_log([session("P", "a", "2024-01-01", setting="home"),
                    session("P", "b", "2024-02-01", setting="professional")])
    assert pd.isna(build_courses(log).courses["setting"].iloc[0])


def test_contraindication_flags():
    flags = contraindication_flags(pd.Series(["pregnancy;herpes", "", None], dtype="str"))
    assert flags["flag_pregnancy"].tolist() == [True, False, False]
    assert flags["flag_herpes"].tolist() == [True, False, False]
    assert not flags.drop(columns=["flag_pregnancy", "flag_herpes"]).to_numpy().any()


def test_input_is_not_modified(worked):
    before = {t: worked.table(t).copy() for t in ("sessions", "assessments", "adverse_events")}
    build_courses(worked)
    for t, df in before.items():
        pd.testing.assert_frame_equal(worked.table(t), df)


def test_empty_assessments():
    log = make_log([session("P", "a", "2024-01-01")])
    c = build_courses(log)
    assert len(c.points) == 0 and c.courses["final_improvement"].isna().all()


def test_no_sessions_gives_empty_tables():
    log = make_log([], [assessment("P", "2024-01-01", 30)], [])
    c = build_courses(log)
    assert len(c.courses) == len(c.points) == len(c.events) == 0
    assert c.unassigned_assessments == 1  # the assessment matches no course
    assert len(c.sessions_to_band("major")) == 0 and len(c.dose) == 0


def test_result_protocol(worked):
    import matplotlib.pyplot as plt

    c = build_courses(worked)
    frame = c.to_frame()
    pd.testing.assert_frame_equal(frame, c.courses)
    assert frame is not c.courses
    tables = c.tables()
    assert list(tables) == ["courses", "sessions", "points", "events"]
    assert all(isinstance(t, pd.DataFrame) for t in tables.values())
    assert len(tables["sessions"]) == 5 and len(tables["events"]) == 3
    assert "2 courses of 2 patients" in c.summary() and c._repr_html_().startswith("<pre>")
    _, ax = plt.subplots()
    assert c.plot(ax=ax) is ax
    # one bar stack per condition: acne scars has a 3-session course, wrinkles a 2-session one
    assert ax.get_legend_handles_labels()[1] == ["Acne scars", "Wrinkles"]
    assert [[b.get_height() for b in bars] for bars in ax.containers] == [[0, 0, 1], [0, 1, 0]]
    assert ax.get_xlabel() == "sessions per course"
    assert build_courses(make_log([], [], [])).plot() is not None  # no courses: empty axes


def test_courses_know_which_tables_the_bundle_lacked():
    from dataclasses import replace

    log = make_log([session("P", "a", "2024-01-01")])
    assert build_courses(log).events_recorded
    lacking = build_courses(replace(log, missing_tables=("adverse_events",)))
    assert lacking.missing_tables == ("adverse_events",) and not lacking.events_recorded
    filtered = replace(log, missing_tables=("assessments",)).filter(setting="professional")
    assert build_courses(filtered).missing_tables == ("assessments",)


def test_every_analysis_of_no_course_is_empty_and_says_why():
    """Every session quarantined leaves no course: each analysis returns its well-formed result
    (rows with no estimate say why in ``method``), never an error that stops the report."""
    import outcomes
    from outcomes.audit.signals import safety_signals

    courses = build_courses(make_log([], [assessment("P", "2024-01-01", 30)], []))
    for analysis in (outcomes.outcomes_by_condition, outcomes.dose_response, outcomes.spacing,
                     outcomes.incidence, outcomes.resolution, outcomes.skin_type,
                     outcomes.adherence, safety_signals):
        result = analysis(courses)
        t = result.table
        assert isinstance(t, pd.DataFrame) and result.notes, analysis.__name__
        if "estimate" in t and "method" in t:
            assert (t.loc[t["estimate"].isna(), "method"].str.strip() != "").all()
        assert result.plot() is not None, analysis.__name__


def test_ids_are_categoricals_of_the_sorted_ids_shared_by_the_tables(worked):
    c = build_courses(worked)
    tables = c.tables()
    for column in ("patient_id", "session_id", "clinic_id", "operator_id"):
        dtypes = [t[column].dtype for t in tables.values() if column in t.columns]
        assert all(isinstance(d, pd.CategoricalDtype) for d in dtypes), column
        assert all(d.categories is dtypes[0].categories for d in dtypes[1:]), column
        assert dtypes[0].categories.is_monotonic_increasing, column
    assert c.sessions["session_id"].astype(str).tolist() == ["s1", "s2", "s3", "s4", "s5"]
    assert c.events["session_id"].astype(str).tolist() == ["s1", "s4", "s5"]
    assert c.points.loc[c.points["point"] == Point.BASELINE, "patient_id"].tolist() == ["P1", "P2"]
    # compared by code, as a text would be
    assert (c.events["patient_id"] == "P2").tolist() == [False, True, True]


def test_categorical_ids_in_the_input_give_the_same_tables(worked):
    from dataclasses import replace

    def shuffled(values):  # categories in no order, one not used
        kept = list(pd.unique(values.dropna()))[::-1] + ["unused"]
        return pd.Series(pd.Categorical(values, categories=kept), index=values.index)

    s, a, e = worked.sessions, worked.assessments, worked.adverse_events
    log = replace(worked, sessions=s.assign(**{c: shuffled(s[c]) for c in
                                               ("patient_id", "session_id", "clinic_id",
                                                "operator_id")}),
                  assessments=a.assign(patient_id=shuffled(a["patient_id"])),
                  adverse_events=e.assign(session_id=shuffled(e["session_id"])))
    want, got = build_courses(worked).tables(), build_courses(log).tables()
    for name, table in want.items():
        pd.testing.assert_frame_equal(got[name], table)
