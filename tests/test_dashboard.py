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
    words = outcomes.output.labels.label(condition, "condition")
    assert dash.status != status and f"condition: {words}" in dash.status
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


def test_claimed_ranges_are_drawn_on_the_plots(dash):
    from matplotlib.patches import Polygon, Rectangle

    def spans(figure):
        return {str(p.get_label()) for ax in figure.axes for p in ax.patches
                if isinstance(p, Polygon | Rectangle) and str(p.get_label()).startswith("Claim")}

    dash.update(condition="acne_scars")
    assert any("Acne scars need 4 to 6 sessions" in s for s in spans(dash.dose_figure))
    if "erythema" in dash.resolution_events():
        assert any("Redness fades within 24 to 48 hours" in s
                   for s in spans(dash.resolution_figure))
    dash.update(condition="wrinkles")
    assert not spans(dash.dose_figure)  # no session range is claimed for wrinkles
    dash.reset()


def test_bad_filters_raise_with_the_allowed_values(dash):
    with pytest.raises(outcomes.AnalysisError, match="unknown filters.*colour"):
        dash.update(colour="red")
    with pytest.raises(outcomes.AnalysisError, match="not in the bundle"):
        dash.update(condition="warts")
    with pytest.raises(outcomes.AnalysisError, match="expected a date"):
        dash.update(start="next tuesday")
    with pytest.raises(outcomes.AnalysisError, match="YYYY-MM-DD"):
        dash.update(end="31/12/2024")  # dates are ISO dates
    with pytest.raises(outcomes.AnalysisError, match="SessionLog"):
        outcomes.Dashboard(pd.DataFrame())


def test_widgets_update_in_place(dash):
    import ipywidgets  # noqa: F401  (the notebooks extra)
    box = dash.widget
    assert dash.widget is box
    status, claims, image = dash.views["status"], dash.views["claims"], dash.views["dose_response"]
    before = (status.value, claims.value, image.value)
    condition = dash.options["condition"][1]

    dash.controls["condition"].value = (condition,)  # what choosing in the drop-down does

    assert dash.filters["condition"] == (condition,)
    assert (dash.views["status"], dash.views["dose_response"]) == (status, image)
    words = outcomes.output.labels.label(condition, "condition")
    assert status.value != before[0] and f"condition: {words}" in status.value
    assert claims.value != before[1]
    assert image.value != before[2]

    dash.update(setting=dash.options["setting"][0])  # the code path moves the widgets too
    assert dash.controls["setting"].value == (dash.options["setting"][0],)
    low, _ = dash.date_range
    dash.update(start=low)
    assert dash.controls["start"].value == f"{low:%Y-%m-%d}"
    dash.reset()
    assert dash.controls["condition"].value == ()
    assert dash.controls["setting"].value == ()
    assert dash.controls["start"].value == ""


def test_controls_speak_words_not_codes(dash):
    from outcomes.output.labels import codes, label

    assert dash.widget is not None
    c = dash.controls
    conditions = [words for words, _ in c["condition"].options]
    assert conditions[0] == "All conditions"
    assert conditions[1:] == [label(v, "condition") for v in dash.options["condition"]]
    assert "Acne scars" in conditions and "acne_scars" not in conditions
    assert [b.description for b in c["fitzpatrick"].boxes] == [
        f"Type {v}" for v in dash.options["fitzpatrick"]]
    assert [b.description for b in c["setting"].boxes] == [
        label(v, "setting") for v in dash.options["setting"]]
    assert [w for w, _ in c["clinic_id"].options][1:] == [
        f"Clinic {v}" for v in dash.options["clinic_id"]]
    raw = codes(("condition", "event", "setting"))
    shown = " ".join([*conditions, *(b.description for b in c["setting"].boxes)])
    assert not [code for code in raw if code in shown.split()]
    # every control has a visible label and a tooltip (its description for screen readers)
    for name in ("condition", "clinic_id", "start", "end"):
        assert c[name].description and c[name].tooltip, name
    for name in ("setting", "fitzpatrick"):
        assert all(b.description and b.tooltip for b in c[name].boxes), name
    assert c["reset"].description == "Clear filters" and c["reset"].tooltip
    assert c["export"].tooltip


def test_verdicts_are_words_and_marks_not_only_colours(dash):
    from html import escape

    from outcomes.output.labels import VERDICT_MARKS, label

    html = dash.claims_html()
    for verdict in set(dash.claims_table["verdict"]):
        assert f"{VERDICT_MARKS[verdict]} {label(verdict, 'verdict')}" in html
    assert "<th scope='col'>Claim</th>" in html and "<caption" in html
    statements = dash.claims_table["statement"]
    assert all(escape(s, quote=True) in html for s in statements)
    assert "max-height" not in str(dash.widget.children)  # the table is not in a scroll box


def test_dates_are_typed_as_iso_and_a_bad_one_is_a_banner_line(dash):
    assert dash.widget is not None
    low, high = dash.date_range
    dash.controls["start"].value = f"{low:%Y-%m-%d}"
    assert dash.filters["start"] == low
    dash.controls["end"].value = "31/12/2024"
    assert "To: expected a date" in dash.views["banner"].value
    assert dash.filters["end"] is None  # left as it was
    assert "Traceback" not in dash.views["banner"].value
    dash.controls["end"].value = ""
    assert "expected a date" not in dash.views["banner"].value
    dash.reset()


def test_reset_button_clears_every_filter(dash):
    assert dash.widget is not None
    dash.update(condition=dash.options["condition"][0], clinic_id="C01",
                fitzpatrick=["I", "II"], start=dash.date_range[0])
    dash.controls["reset"].click()
    assert dash.filters == dict.fromkeys(FILTERS)
    assert dash.controls["fitzpatrick"].value == () and dash.controls["clinic_id"].value == ()


def test_clinic_c01_filter_works(dash, log):
    assert dash.widget is not None
    dash.controls["clinic_id"].value = ("C01",)
    s = log.sessions
    kept = s[s["clinic_id"] == "C01"]
    assert dash.counts == {"patients": kept["patient_id"].nunique(),
                           "courses": len(kept[["patient_id", "condition"]].drop_duplicates()),
                           "sessions": len(kept)}
    assert (dash.filtered.sessions["clinic_id"] == "C01").all()
    assert "clinic: C01" in dash.status
    assert not dash.claims_table.empty and dash.claims is not None
    assert _lines(dash.dose_figure) and dash.resolution_figure.axes
    assert "Something went wrong" not in dash.views["banner"].value
    dash.reset()


def _end_date_leaving(log, k: int):
    """The first session date up to which exactly ``k`` patients have a session."""
    s = log.sessions.dropna(subset=["session_date"]).sort_values("session_date")
    first = s.groupby("patient_id")["session_date"].min().sort_values()
    counts = first.groupby(first).size().cumsum()  # patients with a session up to each date
    hit = counts[counts == k]
    if hit.empty:  # pragma: no cover - the simulated bundle has such dates
        pytest.fail(f"no date leaves exactly {k} patients")
    return hit.index[0]


@pytest.mark.parametrize("min_cell", [5, 10])
def test_patient_minimum_at_its_boundary(log, min_cell):
    dash = outcomes.Dashboard(log, min_cell=min_cell)
    dash.update(end=_end_date_leaving(log, min_cell - 1))
    assert dash.counts["patients"] == min_cell - 1
    assert dash.claims is None and dash.dose is None and dash.side_effects is None
    for panel, message in dash.messages.items():
        assert message.startswith(f"Too little data: <{min_cell} patients"), panel
        assert f"results need at least {min_cell}" in message
    assert "Too little data" in dash.claims_html()

    dash.update(end=_end_date_leaving(log, min_cell))
    assert dash.counts["patients"] == min_cell
    assert not any("Too little data" in m for m in dash.messages.values())
    assert dash.claims is not None and not dash.claims_table.empty
    assert "Too little data" not in dash.claims_html()
    assert dash.status.startswith(f"{min_cell} patients")


def test_export_names_the_filters_and_respects_min_cell(log, tmp_path):
    import io
    import zipfile

    dash = outcomes.Dashboard(log, min_cell=10)
    dash.update(clinic_id="C01", condition=dash.options["condition"][0])
    name, data = dash.export_archive()
    assert name.startswith("outcomes-dashboard_") and "clinic-C01" in name
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = set(archive.namelist())
    assert {"tables/claims.csv", "tables.xlsx", "dose_response.png", "resolution.png",
            "filters.txt"} <= files
    filters = archive.read("filters.txt").decode()
    assert "clinic: C01" in filters and dash.describe_filters() in filters
    claims = pd.read_csv(io.BytesIO(archive.read("tables/claims.csv")), dtype=str)
    assert claims["id"].tolist() == dash.claims_table["id"].tolist()
    for column in ("n", "n_patients"):
        numbers = pd.to_numeric(claims[column], errors="coerce")
        assert not ((numbers > 0) & (numbers < 10)).any(), column
    assert archive.read("dose_response.png").startswith(b"\x89PNG")


def test_export_button_offers_a_download_link(dash):
    assert dash.widget is not None
    dash.controls["export"].click()
    link = dash.views["download"].value
    assert "download='outcomes-dashboard_" in link and "href='data:application/zip;base64," in link
    dash.update(condition=dash.options["condition"][0])
    assert dash.views["download"].value == ""  # an export of other filters is not offered


def test_open_catches_the_loading_warnings(tmp_path, recwarn):
    folder = tmp_path / "bundle"
    write_bundle(simulate(40, seed=SEED, fault_rate=0.05), folder)
    dash = outcomes.Dashboard.open(folder, min_cell=5)
    assert not [w for w in recwarn if issubclass(w.category, outcomes.OutcomesWarning)]
    assert dash.load_notes and "quarantined" in dash.load_notes[0]
    assert dash.widget is not None
    assert "quarantined" in dash.views["banner"].value
    assert "Warning" not in dash.views["banner"].value


def test_open_takes_its_settings_from_the_environment(log, monkeypatch, tmp_path):
    folder = tmp_path / "bundle"
    write_bundle(simulate(30, seed=SEED), folder)
    monkeypatch.setenv("OUTCOMES_DASHBOARD_PATH", str(folder))
    monkeypatch.setenv("OUTCOMES_DASHBOARD_MIN_CELL", "10")
    dash = outcomes.Dashboard.open("not/used")
    assert dash.min_cell == 10 and dash.log.sessions["patient_id"].nunique() == 30


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
