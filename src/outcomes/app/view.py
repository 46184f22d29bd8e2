"""The dashboard's widgets: a clinician's controls, the banner, the claims table, the plots and
the export, as ipywidgets that update in place.

One job: show a :class:`~outcomes.app.dashboard.Dashboard` and turn a clinician's clicks into
:meth:`~outcomes.app.dashboard.Dashboard.update` calls. Every control carries words, not codes
(:func:`outcomes.output.labels.label`), a visible label and a tooltip (read by screen readers as
its description), and is a native form element (``<select>``, ``<input type=checkbox>``,
``<input type=text>``, ``<button>``), so that Tab reaches it and the keyboard operates it. A
verdict is always a word and a mark beside its colour. Dates are typed and shown as ISO dates
(``YYYY-MM-DD``). Nothing a callback raises reaches the page as a traceback: it becomes a plain
line in the banner.

ipywidgets is imported when the view is built, never at import time.
"""

from __future__ import annotations

import base64
import html

from ..errors import OutcomesError
from ..output.labels import VERDICT_COLOURS, VERDICT_MARKS, label
from ..stats.result import Col

__all__ = ["DashboardView", "CHECKBOX_FILTERS", "DROPDOWN_FILTERS"]

#: Filters offered as a drop-down (one value or all).
DROPDOWN_FILTERS = (Col.CONDITION, Col.CLINIC_ID)
#: Filters offered as a group of checkboxes (none ticked: all).
CHECKBOX_FILTERS = (Col.SETTING, Col.FITZPATRICK)
#: The plots, in display order.
PLOTS = ("dose_response", "resolution")
_ALL = {Col.CONDITION: "All conditions", Col.CLINIC_ID: "All clinics"}
_TOOLTIPS = {
    Col.CONDITION: "Condition treated: show one, or all",
    Col.CLINIC_ID: "Clinic: show one, or all",
    Col.SETTING: "Setting",
    Col.FITZPATRICK: "Skin type (Fitzpatrick)",
    "start": "First session date kept, as YYYY-MM-DD (empty: no limit); Enter applies it",
    "end": "Last session date kept, as YYYY-MM-DD (empty: no limit); Enter applies it",
}
_BANNER_STYLE = ("background:#fff8e1;border:1px solid #e0c068;border-radius:4px;"
                 "padding:6px 10px;margin:4px 0;color:#333")
_PLOT_ALT = {"dose_response": "improvement after each session, by condition, with its 95% "
                              "interval",
             "resolution": "share of side effects resolved by hours after the session"}


def value_label(name: str, code: str) -> str:
    """The words for a filter's value: ``"Acne scars"``, ``"Type IV"``, ``"Clinic C01"``.

    Examples
    --------
    >>> value_label("condition", "acne_scars"), value_label("clinic_id", "C01")
    ('Acne scars', 'Clinic C01')
    >>> value_label("setting", "home"), value_label("fitzpatrick", "IV")
    ('At home', 'Type IV')
    """
    if name == Col.CLINIC_ID:
        return f"Clinic {code}"
    return label(code, name)


def verdict_badge(verdict: str) -> str:
    """A verdict as HTML: its mark and word on its colour (the colour is never alone).

    Examples
    --------
    >>> "✓ Supported" in verdict_badge("supported")
    True
    """
    colour = VERDICT_COLOURS.get(verdict, "#777777")
    text = f"{VERDICT_MARKS.get(verdict, '')} {label(verdict, 'verdict')}".strip()
    return (f"<span class='outcomes-verdict outcomes-verdict-{html.escape(verdict)}' "
            f"style='background:{colour};color:{_text_colour(colour)};padding:1px 6px;"
            f"border-radius:3px;white-space:nowrap;font-weight:600'>{html.escape(text)}</span>")


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.5 else "#ffffff"


def banner_html(lines: list[str], *, title: str = "Notes on these data") -> str:
    """Plain lines in a quiet box with a title (empty when there are none)."""
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f"<div class='outcomes-banner' role='status' style='{_BANNER_STYLE}'>"
            f"<b>{html.escape(title)}</b><ul style='margin:2px 0 0 18px;padding:0'>{items}"
            f"</ul></div>")


class DashboardView:
    """The widgets of one dashboard; built by :attr:`Dashboard.widget`.

    Attributes
    ----------
    box : ipywidgets.VBox
        Everything, top to bottom: title, banner, controls, status, claims, plots, export.
    controls : dict of str to widget
        ``condition`` and ``clinic_id`` (drop-downs whose values are tuples of codes, ``()``
        for all), ``setting`` and ``fitzpatrick`` (:class:`CheckboxGroup`), ``start`` and
        ``end`` (text, ``YYYY-MM-DD``), ``reset`` and ``export`` (buttons).
    views : dict of str to widget
        ``banner``, ``status``, ``claims`` and ``download`` (HTML), ``dose_response`` and
        ``resolution`` (PNG images).
    """

    def __init__(self, dashboard):
        import ipywidgets as w

        self.dash = dashboard
        self._syncing = False
        self.errors: list[str] = []
        self.controls: dict = {}
        for name in DROPDOWN_FILTERS:
            options = [(_ALL[name], ())] + [(value_label(name, v), (v,))
                                            for v in dashboard.options[name]]
            self.controls[name] = w.Dropdown(
                options=options, value=(), description=dashboard.filter_label(name),
                description_allow_html=False, tooltip=_TOOLTIPS[name],
                style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        for name in CHECKBOX_FILTERS:
            self.controls[name] = CheckboxGroup(
                name, dashboard.filter_label(name),
                [(value_label(name, v), v) for v in dashboard.options[name]])
        low, high = dashboard.date_range
        for name in ("start", "end"):
            self.controls[name] = w.Text(
                value="", placeholder="YYYY-MM-DD", description=dashboard.filter_label(name),
                tooltip=_TOOLTIPS[name], continuous_update=False,
                style={"description_width": "initial"}, layout=w.Layout(width="190px"))
        reset = w.Button(description="Clear filters", icon="undo",
                         tooltip="Clear every filter: show all data",
                         layout=w.Layout(width="auto"))
        reset.on_click(lambda _b: self._guarded(dashboard.reset))
        export = w.Button(description="Prepare export", icon="download",
                          tooltip="Make a file of what is shown: the claims table (CSV and "
                                  "Excel) and the plots (PNG), with the filters named",
                          layout=w.Layout(width="auto"))
        export.on_click(lambda _b: self._guarded(self.prepare_export))
        self.controls.update(reset=reset, export=export)
        for name in (*DROPDOWN_FILTERS, *CHECKBOX_FILTERS, "start", "end"):
            self.controls[name].observe(self._on_change, names="value")

        self.views = {
            "banner": w.HTML(),
            "status": w.HTML(),
            "claims": w.HTML(layout=w.Layout(width="100%")),
            "download": w.HTML(),
            **{p: w.Image(format="png", layout=w.Layout(
                width="calc(50% - 8px)", min_width="380px", max_width=f"{dashboard.px}px",
                height="auto", margin="0 8px 0 0", object_fit="contain")) for p in PLOTS},
        }
        for p in PLOTS:  # (Voilà's widgets draw no image with a tooltip: say it in words)
            self.views[p].add_class(f"outcomes-plot-{p.replace('_', '-')}")
        span = ("" if low is None else
                f"<small>Sessions from {low:%Y-%m-%d} to {high:%Y-%m-%d}</small>")
        c = self.controls
        filters = w.HBox(
            [w.VBox([c[Col.CONDITION], c[Col.CLINIC_ID]], layout=w.Layout(margin="0 16px 0 0")),
             c[Col.SETTING].box, c[Col.FITZPATRICK].box,
             w.VBox([w.HTML("<b>Session dates</b>"), c["start"], c["end"], w.HTML(span)],
                    layout=w.Layout(margin="0 16px 0 0")),
             w.VBox([c["reset"]])],
            layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        filters.add_class("outcomes-filters")
        source = html.escape(dashboard.log.source or "bundle")
        self.box = w.VBox(
            [w.HTML(f"<h2 style='margin:4px 0'>Microneedling outcomes: {source}</h2>"),
             self.views["banner"], filters, self.views["status"],
             w.HTML("<h3 style='margin:8px 0 2px'>Claims: what these data say</h3>"),
             self.views["claims"],
             w.HTML("<h3 style='margin:8px 0 2px'>Plots</h3>"
                    f"<p class='outcomes-plot-descriptions' style='margin:0'><small>Left: "
                    f"{_PLOT_ALT['dose_response']}. Right: {_PLOT_ALT['resolution']}. The "
                    f"green band is what a claim says.</small></p>"),
             w.HBox([self.views[p] for p in PLOTS], layout=w.Layout(flex_flow="row wrap")),
             w.HTML("<h3 style='margin:8px 0 2px'>Export what you see</h3>"),
             w.HBox([c["export"], self.views["download"]],
                    layout=w.Layout(align_items="center"))],
            layout=w.Layout(width="100%"))
        self.box.add_class("outcomes-dashboard")
        self.sync()
        self.render()

    # ------------------------------------------------------------------ control -> filters
    def _guarded(self, action) -> None:
        """Run a callback; whatever it raises becomes a plain line in the banner."""
        self.errors = []
        try:
            action()
        except OutcomesError as exc:
            self.errors = [str(exc)]
        except Exception as exc:  # noqa: BLE001 - a page must never show a traceback
            self.errors = [f"Something went wrong ({type(exc).__name__}: {exc}); the filters "
                           "were left as they were."]
        self.render_banner()

    def values(self) -> dict:
        """The filters the controls show, as :meth:`Dashboard.update` takes them."""
        c = self.controls
        out = {name: (tuple(c[name].value) or None) for name in (*DROPDOWN_FILTERS,
                                                                 *CHECKBOX_FILTERS)}
        for name in ("start", "end"):
            out[name] = c[name].value.strip() or None
        return out

    def _on_change(self, _change) -> None:
        if self._syncing:
            return
        self._guarded(lambda: self.dash.update(**self.values()))

    def sync(self) -> None:
        """Move the controls to the dashboard's filters (after :meth:`Dashboard.update`)."""
        self._syncing = True
        try:
            f = self.dash.filters
            for name in DROPDOWN_FILTERS:
                chosen = tuple(f[name] or ())
                control = self.controls[name]
                if chosen not in {v for _, v in control.options}:  # several, set from code
                    words = ", ".join(value_label(name, v) for v in chosen)
                    control.options = [*control.options, (words, chosen)]
                control.value = chosen
            for name in CHECKBOX_FILTERS:
                self.controls[name].value = tuple(f[name] or ())
            for name in ("start", "end"):
                self.controls[name].value = "" if f[name] is None else f"{f[name]:%Y-%m-%d}"
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ filters -> page
    def render_banner(self) -> None:
        lines = list(dict.fromkeys([*self.errors, *self.dash.load_notes, *self.dash.notes]))
        self.views["banner"].value = banner_html(lines)

    def render(self) -> None:
        """Redraw the status line, the banner, the claims table and the plots."""
        d = self.dash
        self.views["status"].value = d.status_html()
        self.render_banner()
        self.views["claims"].value = d.claims_html()
        for p in PLOTS:
            self.views[p].value = d.png(p)
        self.views["download"].value = ""  # an export of other filters is stale

    def busy(self) -> None:
        self.views["status"].value = "<div class='outcomes-dashboard-status'><i>Updating…</i></div>"

    def prepare_export(self) -> None:
        """Make the export of what is shown and offer it as a download link."""
        self.views["download"].value = "<i>Preparing the export…</i>"
        name, data = self.dash.export_archive()
        href = "data:application/zip;base64," + base64.b64encode(data).decode("ascii")
        size = f"{len(data) / 1024:,.0f} KB"
        self.views["download"].value = (
            f"<a class='outcomes-download' href='{href}' download='{html.escape(name)}' "
            f"style='margin-left:12px;font-weight:600'>Download {html.escape(name)}</a> "
            f"<small>({size}: claims table as CSV and Excel, the plots as PNG; filters: "
            f"{html.escape(self.dash.describe_filters())})</small>")


class CheckboxGroup:
    """Checkboxes for the values of one filter, under a visible heading (none ticked: all).

    Its :attr:`value` is the tuple of ticked codes, in the order offered; :meth:`observe`
    listens to every checkbox, as a widget's ``observe`` does.
    """

    def __init__(self, name: str, title: str, options: list[tuple[str, str]]):
        import ipywidgets as w

        self.name = name
        self.codes = [code for _, code in options]
        self.boxes = [w.Checkbox(value=False, description=words, indent=False,
                                 tooltip=f"{title}: {words}", layout=w.Layout(width="auto"))
                      for words, code in options]
        heading = w.HTML(f"<b>{html.escape(title)}</b> <small>(none ticked: all)</small>")
        self.box = w.VBox([heading, *self.boxes], layout=w.Layout(margin="0 16px 0 0"))
        self.box.add_class(f"outcomes-filter-{name.replace('_', '-')}")

    @property
    def value(self) -> tuple[str, ...]:
        return tuple(c for c, b in zip(self.codes, self.boxes, strict=True) if b.value)

    @value.setter
    def value(self, codes) -> None:
        chosen = set(codes or ())
        for code, box in zip(self.codes, self.boxes, strict=True):
            box.value = code in chosen

    def observe(self, handler, names="value") -> None:
        for box in self.boxes:
            box.observe(handler, names=names)
