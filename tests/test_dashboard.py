"""The clinician dashboard: filters update the status line, the claims table and the plots in
place; too little data gives a message, never an exception; small counts are disclosed as in
the reports.

The bundle is simulated with a fixed seed (:func:`outcomes.simulate.simulate`), written as CSV
and loaded like a user's, so these tests do not depend on the shipped sample.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import outcomes
from outcomes.app.dashboard import FILTERS
from outcomes.bundle.write import write_bundle
from outcomes.output.disclosure import assert_no_small_counts
from outcomes.output.labels import VERDICT_COLOURS
from outcomes.simulate.draw import simulate

SEED = 20241118


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(simulate(300, seed=SEED), folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", outcomes.DataQualityWarning)
        return outcomes.load_bundle(folder)


@pytest.fixture
def dash(log):
    return outcomes.Dashboard(log)


def _lines(figure) -> list[np.ndarray]:
    """The y data of every line of a figure (what the plot shows)."""
    return [np.asarray(line.get_ydata(), dtype=float)
            for ax in figure.axes for line in ax.get_lines()]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.allclose(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))


def test_exported():
    assert "Dashboard" in outcomes.__all__
    assert outcomes.Dashboard is outcomes.app.dashboard.Dashboard


def test_unfiltered_state(dash, log):
    s = log.sessions
    assert dash.counts == {
        "patients": s["patient_id"].nunique(),
        "courses": len(s[["patient_id", "condition"]].drop_duplicates()),
        "sessions": len(s),
    }
    assert dash.status.startswith(f"{s['patient_id'].nunique():,} patients")
    assert dash.messages == {"claims": "", "dose_response": "", "resolution": ""}
    ids = [c.id for c in outcomes.load_catalogue().claims]
    assert dash.claims_table["id"].tolist() == ids
    html = dash.claims_html()
    for claim_id in ids:
        assert claim_id in html
    for verdict in set(dash.claims_table["verdict"]):
        assert VERDICT_COLOURS[verdict] in html
    assert _lines(dash.dose_figure) and _lines(dash.resolution_figure)
    assert dash.png("dose_response").startswith(b"\x89PNG")


def test_options_come_from_the_data(dash, log):
    s = log.sessions
    assert set(dash.options["condition"]) == set(s["condition"].dropna().astype(str))
    assert set(dash.options["clinic_id"]) == set(s["clinic_id"].dropna().astype(str))
    fitz = outcomes.bundle.schema.vocabulary("fitzpatrick")
    assert dash.options["fitzpatrick"] == [f for f in fitz if f in set(s["fitzpatrick"].dropna())]
    assert dash.date_range == (s["session_date"].min(), s["session_date"].max())


def test_filter_updates_counts_table_and_plots(dash, log):
    status, lines, png = dash.status, _lines(dash.dose_figure), dash.png("dose_response")
    dose_figure = dash.dose_figure
    condition = dash.options["condition"][0]

    dash.update(condition=condition)

    s = log.sessions
    kept = s[s["condition"] == condition]
    assert dash.counts["sessions"] == len(kept)
    assert dash.counts["patients"] == kept["patient_id"].nunique()
    assert (dash.filtered.sessions["condition"] == condition).all()
    assert dash.status != status and f"condition: {condition}" in dash.status
    # claims about other conditions are left out; claims about every condition stay
    catalogue = outcomes.load_catalogue()
    about = {c.id: c.parameters.get("condition") for c in catalogue.claims}
    shown = dash.claims_table["id"].tolist()
    assert shown and all(about[i] in (None, condition) for i in shown)
    assert any(about[i] is None for i in shown)
    # the same figure, redrawn with other data
    assert dash.dose_figure is dose_figure
    assert not _same(_lines(dash.dose_figure), lines)
    assert dash.png("dose_response") != png
    assert dash.dose.conditions() == [condition]


def test_filters_combine_and_keep_unnamed_ones(dash):
    condition, setting = dash.options["condition"][0], dash.options["setting"][0]
    dash.update(condition=condition)
    dash.update(setting=[setting])
    assert dash.filters["condition"] == (condition,)
    assert dash.filters["setting"] == (setting,)
    s = dash.filtered.sessions
    assert (s["condition"] == condition).all() and (s["setting"] == setting).all()
    dash.update(condition=None)
    assert dash.filters["condition"] is None
    assert dash.filtered.sessions["condition"].nunique() > 1
    dash.reset()
    assert dash.filters == dict.fromkeys(FILTERS)
    assert dash.describe_filters() == "all data"


def test_date_range(dash, log):
    low, high = dash.date_range
    middle = low + (high - low) / 2
    dash.update(start=middle.date(), end=str(high.date()))
    dates = dash.filtered.sessions["session_date"]
    assert len(dates) and dates.min() >= middle.normalize() and dates.max() <= high
    assert dash.counts["sessions"] < len(log.sessions)
    assert f"from {middle:%Y-%m-%d}" in dash.status


def test_empty_filter_gives_a_message_not_an_exception(dash):
    before = dash.png("resolution")
    dash.update(start="1990-01-01", end="1990-12-31")
    assert dash.counts == {"patients": 0, "courses": 0, "sessions": 0}
    assert dash.status.startswith("0 patients · 0 courses · 0 sessions")
    for panel, message in dash.messages.items():
        assert "Too little data" in message, panel
    assert dash.claims is None and dash.dose is None and dash.side_effects is None
    assert "Too little data" in dash.claims_html()
    assert "Too little data" in dash.status_html()
    assert dash.png("resolution") != before  # the plot now shows the message
    texts = [t.get_text() for ax in dash.resolution_figure.axes for t in ax.texts]
    assert any("Too little data" in t for t in texts)
    dash.reset()
    assert not any(dash.messages.values())


def test_start_after_end_is_a_message(dash):
    low, high = dash.date_range
    dash.update(start=high, end=low)
    assert dash.counts["sessions"] == 0
    assert all(dash.messages.values())


def test_few_patients_are_shown_as_fewer_than_five(dash, log):
    s = log.sessions
    per = s.groupby(["clinic_id", "fitzpatrick"], observed=True)["patient_id"].nunique()
    clinic, fitz = per[(per > 0) & (per < 5)].index[0]
    dash.update(clinic_id=clinic, fitzpatrick=fitz)
    assert dash.status.startswith("<5 patients · <5 courses")
    assert "Too little data: <5 patients" in dash.messages["claims"]
    assert not any(str(n) in dash.status.split(" patients")[0] for n in range(1, 5))


def test_claim_counts_follow_the_disclosure_rule(dash):
    # find a filter in which some claim rests on 1 to 4 units
    for condition in dash.options["condition"]:
        dash.update(condition=condition)
        raw = dash.claims.table
        small = raw[(raw["n"] > 0) & (raw["n"] < 5)]
        if len(small):
            break
    else:  # pragma: no cover - the simulated bundle has such conditions
        pytest.fail("no filter leaves a claim resting on 1 to 4 units")
    shown = dash.claims_table.set_index("id")
    assert assert_no_small_counts(dash.claims_table).empty
    for claim_id in small["id"]:
        assert shown.loc[claim_id, "n"] == "<5"
        assert pd.isna(shown.loc[claim_id, "estimate"])  # estimate withheld
        assert "withheld" in shown.loc[claim_id, "suppressed"]
    html = dash.claims_html()
    assert "&lt;5" in html
    assert assert_no_small_counts(dash.claims_table, count_columns=["n", "n_patients"]).empty


def test_resolution_curves_rest_on_at_least_min_cell_events(dash):
    events = dash.resolution_events()
    n = dash.side_effects.table.groupby("event")["n"].max()
    assert events and all(n[e] >= 5 for e in events)
    legend = dash.resolution_figure.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    from outcomes.output.labels import label

    curves = {x for x in labels if not x.startswith(("Claim", "claimed"))}
    assert curves == {label(e, "event") for e in events}


def test_bad_filters_raise_with_the_allowed_values(dash):
    with pytest.raises(outcomes.AnalysisError, match="unknown filters.*colour"):
        dash.update(colour="red")
    with pytest.raises(outcomes.AnalysisError, match="not in the bundle"):
        dash.update(condition="warts")
    with pytest.raises(outcomes.AnalysisError, match="expected a date"):
        dash.update(start="next tuesday")
    with pytest.raises(outcomes.AnalysisError, match="SessionLog"):
        outcomes.Dashboard(pd.DataFrame())


def test_widgets_update_in_place(dash):
    import ipywidgets  # noqa: F401  (the notebooks extra)
    box = dash.widget
    assert dash.widget is box
    status, claims, image = dash.views["status"], dash.views["claims"], dash.views["dose_response"]
    before = (status.value, claims.value, image.value)
    condition = dash.options["condition"][1]

    dash.controls["condition"].value = (condition,)  # what a click in the list does

    assert dash.filters["condition"] == (condition,)
    assert (dash.views["status"], dash.views["dose_response"]) == (status, image)
    assert status.value != before[0] and f"condition: {condition}" in status.value
    assert claims.value != before[1]
    assert image.value != before[2]

    dash.update(setting=dash.options["setting"][0])  # the code path moves the widgets too
    assert dash.controls["setting"].value == (dash.options["setting"][0],)
    low, _ = dash.date_range
    dash.update(start=low)
    assert dash.controls["start"].value == low.date()
    dash.reset()
    assert dash.controls["condition"].value == ()
    assert dash.controls["start"].value is None


def test_no_pyplot_figures_are_left_open(log):
    plt.close("all")
    d = outcomes.Dashboard(log)
    d.update(condition=d.options["condition"][0])
    assert plt.get_fignums() == []


def test_does_not_modify_the_bundle(log):
    sessions, events = log.sessions.copy(), log.adverse_events.copy()
    d = outcomes.Dashboard(log)
    d.update(condition=d.options["condition"][0], start=d.date_range[0])
    pd.testing.assert_frame_equal(log.sessions, sessions)
    pd.testing.assert_frame_equal(log.adverse_events, events)


@pytest.mark.parametrize("name", ["clinic_id", "condition", "setting", "fitzpatrick"])
def test_every_single_value_filter_draws_without_an_error(dash, name):
    """A clinician picking any one clinic, condition, setting or skin type (even one that
    leaves a handful of patients) gets a drawn dashboard, never a traceback."""
    for value in dash.options[name]:
        dash.update(**{name: [value]})
        assert list(dash.filters[name]) == [value]
        assert dash.counts["sessions"] >= 0
        for figure in (dash.dose_figure, dash.resolution_figure):
            assert figure.axes, f"{name}={value}: nothing drawn"
    dash.reset()
    assert dash.filters[name] is None
