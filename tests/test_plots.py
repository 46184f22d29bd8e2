"""The figures: claimed ranges where claims are tested, small multiples, colours that never
repeat, words instead of codes, nothing drawn that the tables withhold, readable ticks."""

from __future__ import annotations

import dataclasses
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Text

from outcomes import build_courses, dose_response, load_sample, resolution, skin_type, spacing
from outcomes.claims.catalogue import load_catalogue
from outcomes.output.labels import codes
from outcomes.plots.claims import VERDICT_SHAPES, claims_forest
from outcomes.plots.outcomes import plot_dose_response, plot_sessions_to_band

DPI = 100
#: Colours of chrome (claimed ranges, reference lines, text), not of series.
CHROME = {"#4d9221", "#777777", "#000000", "#ffffff", "#555555", "#bbbbbb", "#999999",
          "#e5e5e5", "#444444"}


@pytest.fixture(scope="module")
def courses():
    with pytest.warns(Warning):
        log = load_sample()
    return build_courses(log)


@pytest.fixture(scope="module")
def dose(courses):
    return dose_response(courses)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _no_raw_code(fig) -> None:
    raw = codes()
    for text in _texts(fig):
        words = set(re.findall(r"[A-Za-z0-9_]+", text))
        assert not (words & raw), (text, words & raw)


def _ticks_readable(fig) -> None:
    """Every tick label at least 10 px at the saved dpi (10 pt at 72 dpi and more)."""
    fig.canvas.draw()
    for ax in fig.axes:
        for tick in ax.get_xticklabels() + ax.get_yticklabels():
            if tick.get_text():
                px = tick.get_fontsize() * DPI / 72
                assert tick.get_fontsize() >= 10 and px >= 10, (tick.get_text(), px)


def _series_colours(ax) -> list[str]:
    """Colours of the estimate lines of ``ax`` (the chrome left out)."""
    out = []
    for line in ax.get_lines():
        c = to_hex(line.get_color())
        if c not in CHROME and len(line.get_xdata()) >= 2:
            out.append(c)
    return out


def _xspan(patch) -> tuple[float, float]:
    """Left and right ends of a band (a Rectangle or a Polygon)."""
    if hasattr(patch, "get_width"):
        return patch.get_x(), patch.get_x() + patch.get_width()
    xs = np.asarray(patch.get_xy())[:, 0]
    return xs.min(), xs.max()


def _withhold(result, rows: pd.Series):
    t = result.table.copy()
    for c in ("estimate", "ci_low", "ci_high"):
        t.loc[rows, c] = np.nan
    return dataclasses.replace(result, table=t)


# ------------------------------------------------------------------ sessions to a band
def test_sessions_to_band_small_multiples_claim_and_colours(dose):
    ax = plot_sessions_to_band(dose, at_risk=False)
    fig = ax.figure
    t = dose.table[dose.table["measure"] == dose.reached_measure]
    conditions = [c for c in dict.fromkeys(t["condition"]) if c != "all"]
    assert len(fig.axes) == len(conditions) and len(fig.axes) > 1
    # shared axes, at most four columns
    assert len({a.get_xlim() for a in fig.axes}) == 1 and len({a.get_ylim() for a in fig.axes}) == 1
    assert max(a.get_subplotspec().colspan.stop for a in fig.axes) <= 4
    # one colour per condition, never repeated
    colours = [c for a in fig.axes for c in _series_colours(a)]
    assert len(colours) == len(set(colours)) == len(conditions)
    # the claimed 4-6 sessions on the acne-scars panel only, behind the curve, translucent
    claim = load_catalogue().claim("acne-scars-4-6-sessions")
    acne = next(a for a in fig.axes if a.get_title() == "Acne scars")
    bands = [p for p in acne.patches if p.get_label().startswith("Claim")]
    assert len(bands) == 1
    assert _xspan(bands[0]) == pytest.approx((claim.low, claim.high))
    assert bands[0].get_alpha() < 0.5
    assert bands[0].get_zorder() < min(ln.get_zorder() for ln in acne.get_lines()
                                       if to_hex(ln.get_color()) not in CHROME)
    others = [a for a in fig.axes if a is not acne]
    assert not any(p.get_label().startswith("Claim") for a in others for p in a.patches)
    legend = fig.legends[0]
    assert any("4 to 6 sessions" in t.get_text() for t in legend.get_texts())
    _no_raw_code(fig)
    _ticks_readable(fig)


def test_sessions_to_band_draws_no_withheld_step(dose):
    t = dose.table
    reach = t[(t["measure"] == dose.reached_measure) & (t["condition"] == "acne_scars")]
    hidden_k = sorted(reach.loc[reach["estimate"].notna(), "after_session"])[1:3]
    rows = ((t["measure"] == dose.reached_measure) & (t["condition"] == "acne_scars")
            & t["after_session"].isin(hidden_k))
    shown = _withhold(dose, rows)
    ax = plot_sessions_to_band(shown, conditions=["acne_scars", "wrinkles"], at_risk=False)
    acne = next(a for a in ax.figure.axes if a.get_title() == "Acne scars")
    for k in hidden_k:
        mid = k + 0.5
        for line in acne.get_lines():
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            for i in range(len(x) - 1):
                seg = np.isfinite([x[i], x[i + 1], y[i], y[i + 1]]).all()
                assert not (seg and x[i] < mid < x[i + 1] and y[i] == y[i + 1]
                            and to_hex(line.get_color()) not in CHROME), (k, x[i], x[i + 1])
        for coll in acne.collections:
            for path in coll.get_paths():
                px = path.vertices[:, 0]
                assert not (px.min() < mid < px.max()), (k, px.min(), px.max())
    # the released steps are drawn
    kept = reach.loc[reach["estimate"].notna() & ~reach["after_session"].isin(hidden_k)]
    ys = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in acne.get_lines()])
    assert all(np.isclose(ys, v).any() for v in kept["estimate"])


def test_given_axes_keeps_one_panel(dose):
    fig, given = plt.subplots()
    ax = plot_sessions_to_band(dose, given)
    assert ax is given and len(fig.axes) == 1
    labels = ax.get_legend_handles_labels()[1]
    assert "Acne scars" in labels and "acne scars" not in labels
    assert len(_series_colours(ax)) == len(set(_series_colours(ax)))


# ------------------------------------------------------------------ dose-response
def test_dose_response_small_multiples_and_withheld_points(dose):
    t = dose.table
    rows = (t["measure"] == "improvement") & (t["condition"] == "wrinkles") & \
        (t["after_session"] == 2)
    ax = plot_dose_response(_withhold(dose, rows))
    fig = ax.figure
    conditions = [c for c in dict.fromkeys(t.loc[t["measure"] == "improvement", "condition"])
                  if c != "all"]
    assert [a.get_title() for a in fig.axes] == [
        __import__("outcomes.output.labels", fromlist=["label"]).label(c, "condition")
        for c in conditions]
    wrinkles = next(a for a in fig.axes if a.get_title() == "Wrinkles")
    line = next(ln for ln in wrinkles.get_lines() if to_hex(ln.get_color()) not in CHROME)
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    assert np.isnan(y[x == 2]).all() and np.isfinite(y[x == 1]).all()
    for coll in wrinkles.collections:
        for path in coll.get_paths():
            assert not (path.vertices[:, 0].min() < 2 < path.vertices[:, 0].max())
    colours = [c for a in fig.axes for c in _series_colours(a)]
    assert len(colours) == len(set(colours))
    markers = [ln.get_marker() for a in fig.axes for ln in a.get_lines()
               if to_hex(ln.get_color()) not in CHROME]
    assert len(markers) == len(set(markers))
    _no_raw_code(fig)
    _ticks_readable(fig)


# ------------------------------------------------------------------ resolution
def test_resolution_claims_drawn_from_the_catalogue(courses):
    r = resolution(courses)
    ax = r.plot(event=["erythema", "scabbing"], show_at_risk=False)
    fig = ax.figure
    assert len(fig.axes) == 2
    redness = next(a for a in fig.axes if a.get_title() == "Redness (erythema)")
    claim = load_catalogue().claim("redness-24-48h")
    hours = claim.parameters["hours"]
    earlier = min(claim.parameters["also_report_hours"])
    bands = [p for p in redness.patches if p.get_label().startswith("Claim")]
    assert len(bands) == 1
    assert _xspan(bands[0]) == pytest.approx((earlier, hours))
    lines = [ln for ln in redness.get_lines() if ln.get_linestyle() == "--"]
    assert any(np.allclose(ln.get_xdata(), hours) for ln in lines)
    from outcomes.plots.claimed import CLAIM_COLOUR

    bars = [c for c in redness.collections
            if to_hex(c.get_facecolor()[0]) == CLAIM_COLOUR.lower()]
    assert len(bars) == 2  # at 48 h (this claim) and at 72 h (the few-days claim)
    ys = sorted(bars[0].get_paths()[0].vertices[:, 1])
    assert (ys[0], ys[-1]) == pytest.approx((claim.threshold, 1.0))
    ends = [b.get_paths()[0].vertices[:, 0] for b in bars]
    xs = sorted((x.min() + x.max()) / 2 for x in ends)
    assert xs[0] == pytest.approx(hours)
    scabs = next(a for a in fig.axes if a.get_title() == "Scabbing")
    assert any(np.allclose(ln.get_xdata(), 72.0) for ln in scabs.get_lines()
               if ln.get_linestyle() == "--")
    # each curve its own colour across the panels
    colours = [c for a in fig.axes for c in _series_colours(a)]
    assert len(colours) == len(set(colours)) == 2
    _no_raw_code(fig)
    _ticks_readable(fig)


# ------------------------------------------------------------------ skin types
def test_skin_type_difference_line_from_the_catalogue(courses):
    r = skin_type(courses)
    ax = r.plot(outcome="notable")
    claim = load_catalogue().claim("safe-all-skin-types")
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert any(np.allclose(ln.get_xdata(), claim.threshold) for ln in dashed)
    shaded = [c for c in ax.collections if c.get_label().startswith("Claim")]
    assert shaded and shaded[0].get_zorder() < min(ln.get_zorder() for ln in ax.get_lines())
    _no_raw_code(ax.figure)
    _ticks_readable(ax.figure)
    # a withheld row: no dot and no interval at its height
    labels = [t.get_text() for t in ax.get_yticklabels()]
    t = r.table
    rows = (t["outcome"] == "notable") & (t["group"] == "II")
    ax2 = _withhold(r, rows).plot(outcome="notable")
    y = len(labels) - 1 - [i for i, g in enumerate(t[t["outcome"] == "notable"]["group"])
                           if g == "II"][0]
    drawn_y = {round(float(v), 6) for ln in ax2.get_lines() for v in ln.get_ydata()}
    assert float(y) not in drawn_y


# ------------------------------------------------------------------ spacing heat map
def test_spacing_heat_map_writes_values_blank_where_withheld(courses):
    r = spacing(courses)
    t = r.table
    gain = t[(t["measure"] == "improvement_gain") & t["estimate"].notna()]
    hidden = gain.index[0]
    ax = _withhold(r, t.index == hidden).plot(measure="improvement_gain")
    cells = [x for x in ax.texts if x.get_text()]
    assert len(cells) == len(gain) - 1
    # readable: white text on dark cells, black on light ones
    im = ax.get_images()[-1]
    for cell in cells:
        j, i = cell.get_position()
        value = im.get_array()[int(round(i)), int(round(j))]
        if np.ma.is_masked(value):
            continue  # a small cell drawn grey: black text
        r_, g_, b_ = im.cmap(im.norm(value))[:3]
        light = 0.2126 * r_ + 0.7152 * g_ + 0.0722 * b_ > 0.45
        assert to_hex(cell.get_color()) == ("#000000" if light else "#ffffff")
    # the withheld cell has no number: no text at its column and row
    row = t.loc[hidden]
    column = list(t["spacing_bin"].cat.categories).index(row["spacing_bin"])
    names = [x.get_text() for x in ax.get_yticklabels()]
    from outcomes.output.labels import label
    line = names.index(f"{label(row['condition'], 'condition')} · "
                       f"{label(row['setting'], 'setting')}")
    assert not [c for c in cells if c.get_position() == (column, line)]
    assert [c for c in cells if c.get_position()[1] == line or c.get_position()[0] == column]
    _no_raw_code(ax.figure)
    _ticks_readable(ax.figure)


# ------------------------------------------------------------------ claims figure
def _claims_table(withheld=()):
    cat = load_catalogue()
    rows = []
    verdicts = list(VERDICT_SHAPES)
    for i, c in enumerate(cat):
        centre = {"range": (c.low or 0) + ((c.high or 1) - (c.low or 0)) / 2}.get(
            c.rule.value, c.threshold or 0.5)
        est = float("nan") if c.id in withheld else (centre if centre else 0.3)
        est = 2.0 if c.estimand == "risk_ratio_events" and c.id not in withheld else est
        rows.append({"id": c.id, "statement": c.statement, "verdict": verdicts[i % 3],
                     "estimate": est, "ci_low": est * 0.9, "ci_high": est * 1.1,
                     "rule": c.rule.value, "threshold": c.threshold,
                     "low": c.low, "high": c.high})
    return pd.DataFrame(rows).astype({"threshold": float, "low": float, "high": float})


def test_claims_figure_one_panel_per_kind_with_common_scales():
    from outcomes.output.labels import estimand_kind

    t = _claims_table(withheld=("minimal-pain",))
    axs = claims_forest(t)
    fig = axs[0].figure
    cat = load_catalogue()
    kinds = {estimand_kind(c.estimand) for c in cat}
    assert len(axs) >= len(kinds)
    share = next(a for a in axs if a.get_xlabel().startswith("share"))
    assert share.get_xlim() == pytest.approx((0.0, 1.0))
    assert share.xaxis.get_major_formatter()(0.5, 0).startswith("50")
    ratio = next(a for a in axs if a.get_xlabel().startswith("ratio"))
    assert ratio.get_xscale() == "log"
    # the verdict is carried by the marker's shape and by text beside the colour
    markers = {ln.get_marker() for a in axs for ln in a.get_lines() if ln.get_marker() != "None"}
    assert {VERDICT_SHAPES["supported"], VERDICT_SHAPES["contradicted"],
            VERDICT_SHAPES["inconclusive"]} <= markers
    texts = _texts(fig)
    assert any("Supported" in x for x in texts) and any("Contradicted" in x for x in texts)
    # every claimed range drawn at the claim's values: the dashed edges
    edges = {round(float(ln.get_xdata()[0]), 9) for a in axs for ln in a.get_lines()
             if ln.get_linestyle() == "--"}
    for c in cat:
        for v in ((c.low, c.high) if c.rule.value == "range" else (c.threshold,)):
            assert round(float(v), 9) in edges, c.id
    # the withheld estimate is not drawn
    pain = next(a for a in axs if "pain" in a.get_xlabel())
    assert not [ln for ln in pain.get_lines() if ln.get_linestyle() != "--"]
    _no_raw_code(fig)
    _ticks_readable(fig)
