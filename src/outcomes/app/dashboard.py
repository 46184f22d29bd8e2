"""The clinician dashboard: filters that update the claims table and two plots in place.

One job: put the package's claims, dose-response and side-effect analyses behind a handful of
filters (condition, setting, skin type, clinic, dates), in JupyterLab or as a web app
(``outcomes dashboard PATH``, :mod:`outcomes.cli.dashboard`). Every number comes from the
analyses themselves (:func:`outcomes.claims.evaluate.evaluate_claims`,
:func:`outcomes.stats.dose_response.dose_response`,
:func:`outcomes.stats.side_effects.resolution`); the dashboard only filters the bundle
(:meth:`outcomes.SessionLog.filter`), re-runs them and shows the results. Counts it shows follow
the reports' disclosure rule (:func:`outcomes.output.disclosure.disclose`): a count between 1 and
``min_cell - 1`` is shown as ``"<5"`` and estimates resting on fewer units are withheld.

The widgets (``ipywidgets``, part of the ``notebooks`` extra; :mod:`outcomes.app.view`) are
built on first display, so
``import outcomes`` does not need them, and :meth:`Dashboard.update` works without them (tests).
Plots are drawn on :class:`matplotlib.figure.Figure` objects that do not belong to pyplot, so
nothing is shown twice and no figure is left open; the claimed ranges are shaded on them
(by :mod:`outcomes.plots.claimed`). No warning reaches the page: those of loading
(:meth:`Dashboard.open`) and of the analyses become plain lines of a banner, with their counts.
"""

from __future__ import annotations

import html
import io
import re
import warnings
from collections.abc import Mapping

import pandas as pd

from ..bundle.log import SessionLog
from ..bundle.schema import vocabulary
from ..claims.catalogue import Catalogue, load_catalogue
from ..claims.evaluate import ClaimsResult, evaluate_claims
from ..claims.result import SHORT_COLUMNS, wrap
from ..courses import Courses, build_courses
from ..errors import AnalysisError, OutcomesError, OutcomesWarning
from ..output.labels import PALETTE, count_text, label
from ..output.release import Release
from ..stats.dose_response import DoseResponse, dose_response
from ..stats.result import Col
from ..stats.side_effects import Resolution, resolution

__all__ = ["Dashboard", "FILTERS", "CHOICE_FILTERS", "DATE_FILTERS"]

#: Filters chosen from the values present in the data, in display order.
CHOICE_FILTERS = (Col.CONDITION, Col.SETTING, Col.FITZPATRICK, Col.CLINIC_ID)
#: Bounds of the session date (inclusive).
DATE_FILTERS = ("start", "end")
#: Every keyword :meth:`Dashboard.update` accepts.
FILTERS = CHOICE_FILTERS + DATE_FILTERS

_LABELS = {
    Col.CONDITION: "Condition",
    Col.SETTING: "Setting",
    Col.FITZPATRICK: "Skin type (Fitzpatrick)",
    Col.CLINIC_ID: "Clinic",
    "start": "From",
    "end": "To",
}
_SLUGS = {Col.CONDITION: "condition", Col.SETTING: "setting", Col.FITZPATRICK: "skin-type",
          Col.CLINIC_ID: "clinic"}
#: Panels of the dashboard (keys of :attr:`Dashboard.messages`).
PANELS = ("claims", "dose_response", "resolution")
#: What each table of :meth:`Dashboard.export` holds.
EXPORT_DESCRIPTIONS = {
    "claims": "The claims about the filtered bundle's conditions: verdict, estimate, interval",
    "dose_response": "Improvement after session k and sessions to major improvement, by "
                     "condition",
    "dose_at_risk": "Courses at risk at each session (while at least min_cell remain)",
    "resolution": "Time to resolution of side effects: median and shares resolved by 24, 48, "
                  "72 and 168 hours",
    "resolution_at_risk": "Side effects still unresolved and followed (while at least "
                          "min_cell remain)",
}
#: Most event types drawn in the resolution plot (the most frequent ones).
MAX_EVENTS = 5


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_date(value, name: str) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        raise AnalysisError(f"{name}: expected a date as YYYY-MM-DD (e.g. 2024-03-18); got "
                            f"{value!r}.")
    try:
        out = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise AnalysisError(
            f"{name}: expected a date (YYYY-MM-DD, datetime.date or Timestamp) or None; "
            f"got {value!r}.") from None
    if pd.isna(out):
        return None
    return out.normalize()


def _present(values: pd.Series, vocab: str | None) -> list[str]:
    """Values present in ``values``, in vocabulary order (sorted when there is none)."""
    seen = {str(v) for v in values.dropna().unique()}
    if vocab is not None:
        order = [v for v in vocabulary(vocab) if v in seen]
        return order + sorted(seen - set(order))
    return sorted(seen)


def _computed(attr: str, doc: str, *, copy=None) -> property:
    """A read-only :class:`Dashboard` property: runs the analyses on first use, then returns
    the attribute ``attr`` (passed through ``copy``, e.g. ``dict``, when given)."""
    def get(self):
        self._ensure()
        value = getattr(self, attr)
        return value if copy is None else copy(value)

    return property(get, doc=doc)


class Dashboard:
    """Filters over a bundle that update the claims table and two plots in place.

    Parameters
    ----------
    log : SessionLog
        A loaded bundle (:func:`outcomes.load_bundle`).
    catalogue : Catalogue or path, optional
        The claims catalogue (a path is read with :func:`outcomes.load_catalogue`). Default:
        the built-in catalogue.
    min_cell : int, default 5
        Disclosure threshold: counts from 1 to ``min_cell - 1`` are shown as ``"<5"``; a filter
        leaving fewer patients than this shows a message instead of results.
    figsize : tuple, default (6.4, 4.0)
        Size of each plot, inches.
    dpi : int, default 90
        Resolution of the plot images.

    Attributes
    ----------
    options : dict of str to list
        Values offered by each choice filter (those present in the bundle, in vocabulary order).
    date_range : tuple of Timestamp
        First and last session date of the bundle.
    filters : dict
        The filters in force (``None``: no restriction).
    filtered : SessionLog
        The bundle restricted by the filters.
    counts : dict
        ``patients``, ``courses`` and ``sessions`` in the filter (true numbers; what is shown is
        disclosed, see :attr:`status`).
    claims : ClaimsResult or None
        Verdicts on the filtered data (None when too little data).
    claims_table : DataFrame
        The claims table as shown: one row per claim relevant to the filter, columns ``id``,
        ``statement``, ``verdict``, ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``n_patients``,
        ``reason`` and, when an estimate was withheld, ``suppressed``; counts disclosed.
    dose, side_effects : DoseResponse, Resolution or None
        The analyses behind the two plots.
    dose_figure, resolution_figure : matplotlib Figure
        The two plots (redrawn in place on every update).
    messages : dict of str to str
        Per panel (``claims``, ``dose_response``, ``resolution``), why it shows no result
        (empty when it does).
    status : str
        The status line as plain text.
    widget : ipywidgets.VBox
        The dashboard's widgets (built on first use).
    controls : dict of str to widget
        The controls by filter name, and ``reset`` and ``export``
        (:class:`outcomes.app.view.DashboardView`; empty until :attr:`widget` is built).
    views : dict of str to widget
        What updates in place: ``banner``, ``status``, ``claims`` and ``download`` (HTML),
        ``dose_response`` and ``resolution`` (PNG images); empty until :attr:`widget` is built.
    load_notes : list of str
        Notes given while loading the bundle (:meth:`open`), shown in the banner.

    Raises
    ------
    AnalysisError
        If ``log`` is not a SessionLog or ``min_cell`` is not a whole number >= 1.

    Notes
    -----
    The analyses run on first use (display, :meth:`update` or any result attribute), and again
    on every change of a filter: a few seconds on the sample bundle. Claims about a condition
    the condition filter leaves out are not shown; a filter leaving fewer than ``min_cell``
    patients shows a message in every panel instead of results, and the resolution plot draws
    only event types with at least ``min_cell`` events (the most frequent :data:`MAX_EVENTS`),
    without at-risk counts under the axis.

    Examples
    --------
    >>> import outcomes
    >>> dash = outcomes.Dashboard(outcomes.load_sample())
    >>> dash  # in Jupyter: the widgets; here its repr (nothing computed yet)
    Dashboard('sample', filters: all data)
    >>> dash = dash.update(condition="acne_scars", setting=["professional"])
    >>> dash.status
    '82 patients · 82 courses · 332 sessions in the filter (condition: Acne scars; ...)'
    """

    def __init__(self, log: SessionLog, catalogue: Catalogue | str | None = None, *,
                 min_cell: int = 5, figsize=(6.4, 4.0), dpi: int = 90):
        if not isinstance(log, SessionLog):
            raise AnalysisError(
                f"Dashboard: expected a SessionLog (from outcomes.load_bundle), got "
                f"{type(log).__name__}.")
        if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
            raise AnalysisError(f"Dashboard: min_cell must be a whole number >= 1, got "
                                f"{min_cell!r}.")
        self.log = log
        self.catalogue = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(
            catalogue)
        self.min_cell = min_cell
        self.figsize = tuple(figsize)
        self.dpi = int(dpi)
        s = log.sessions
        self.options: dict[str, list[str]] = {
            Col.CONDITION: _present(s[Col.CONDITION], "condition"),
            Col.SETTING: _present(s[Col.SETTING], "setting"),
            Col.FITZPATRICK: _present(s[Col.FITZPATRICK], "fitzpatrick"),
            Col.CLINIC_ID: _present(s[Col.CLINIC_ID], None),
        }
        dates = s[Col.SESSION_DATE].dropna()
        self.date_range = ((dates.min().normalize(), dates.max().normalize()) if len(dates)
                           else (None, None))
        self.filters: dict[str, object] = dict.fromkeys(FILTERS)
        from matplotlib.figure import Figure  # not at import time: keeps `import outcomes` light

        self.dose_figure = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        self.resolution_figure = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        self._computed = False
        self._view = None
        #: Notes on the bundle given while loading it (:meth:`open`), shown in the banner.
        self.load_notes: list[str] = []

    @classmethod
    def open(cls, path=None, *, catalogue=None, min_cell: int = 5, **kwargs) -> Dashboard:
        """Load a bundle and make its dashboard, with no warning left on the page.

        What ``outcomes dashboard`` sets (the bundle, the claims file, the disclosure threshold:
        :data:`outcomes.validators.DASHBOARD_ENVIRONMENT`) overrides the arguments, so that the same
        notebook serves a JupyterLab user and the web app. Warnings given while loading (rows
        quarantined, values blanked, with their counts) are kept in :attr:`load_notes` and
        shown in the dashboard's banner, not as Python warnings.

        Parameters
        ----------
        path : str or Path
            The bundle (a folder or an ``.xlsx`` workbook).
        catalogue : Catalogue or path, optional
            As for :class:`Dashboard`.
        min_cell : int, default 5
            As for :class:`Dashboard`.
        **kwargs
            Further keywords of :class:`Dashboard` (``figsize``, ``dpi``).

        Returns
        -------
        Dashboard

        Raises
        ------
        BundleError, ConfigError
            If the bundle cannot be read or a setting is malformed.

        Examples
        --------
        >>> from pathlib import Path
        >>> import outcomes, outcomes.datasets
        >>> sample = Path(outcomes.datasets.__file__).with_name("sample")
        >>> dash = outcomes.Dashboard.open(sample, min_cell=10)
        >>> dash.min_cell, [n.split(":")[0] for n in dash.load_notes]
        (10, ['sample'])
        """
        from ..bundle.load import load_bundle
        from ..validators import dashboard_settings

        settings = dashboard_settings(path, catalogue, min_cell)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            log = load_bundle(settings["path"])
            dash = cls(log, settings["catalogue"], min_cell=settings["min_cell"], **kwargs)
        dash.load_notes = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught
                                             if issubclass(w.category, OutcomesWarning)))
        return dash

    # ------------------------------------------------------------------ filtering
    def _check_filters(self, filters: Mapping[str, object]) -> dict[str, object]:
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise AnalysisError(f"Dashboard.update: unknown filters {unknown}; filters are "
                                f"{list(FILTERS)}.")
        out = {}
        for name, value in filters.items():
            if name in DATE_FILTERS:
                out[name] = _as_date(value, _LABELS[name])
                continue
            if value is None:
                out[name] = None
                continue
            values = [value] if isinstance(value, str) else list(value)
            values = [str(v) for v in values]
            bad = [v for v in values if v not in self.options[name]]
            if bad:
                raise AnalysisError(
                    f"Dashboard.update: {name} {bad} not in the bundle; its values are "
                    f"{self.options[name]}.")
            out[name] = tuple(dict.fromkeys(values)) or None
        return out

    def update(self, **filters) -> Dashboard:
        """Change filters and redraw everything.

        Parameters
        ----------
        condition, setting, fitzpatrick, clinic_id : str or list of str, optional
            Values to keep (among :attr:`options`); ``None`` or an empty list keeps all.
        start, end : date, str or None, optional
            First and last session date kept (inclusive); ``None`` removes the bound.

        Filters not named keep their current value (:meth:`reset` clears them all).

        Returns
        -------
        Dashboard
            ``self``, updated.

        Raises
        ------
        AnalysisError
            If a filter is unknown, a value is not in the bundle or a date cannot be read.
            Filters that leave too little data are not an error: the panels show a message.
        """
        self.filters.update(self._check_filters(filters))
        if self._view is not None:
            self._view.sync()
        self.refresh()
        return self

    def reset(self) -> Dashboard:
        """Clear every filter and redraw."""
        self.filters = dict.fromkeys(FILTERS)
        if self._view is not None:
            self._view.sync()
        self.refresh()
        return self

    def filter_label(self, name: str) -> str:
        """The visible label of a filter: ``"Condition"``, ``"Skin type (Fitzpatrick)"`` ..."""
        return _LABELS[name]

    def describe_filters(self) -> str:
        """The filters in force in words, e.g. ``"condition: Acne scars; from 2023-01-01"``.

        Examples
        --------
        >>> import outcomes
        >>> dash = outcomes.Dashboard(outcomes.load_sample())
        >>> dash.filters.update(condition=("acne_scars",), clinic_id=("C01",))
        >>> dash.describe_filters()
        'condition: Acne scars; clinic: C01'
        """
        parts = []
        for name in CHOICE_FILTERS:
            if self.filters.get(name):
                words = ", ".join(label(v, name) if name != Col.CLINIC_ID else v
                                  for v in self.filters[name])
                parts.append(f"{_LABELS[name].lower()}: {words}")
        if self.filters.get("start") is not None:
            parts.append(f"from {self.filters['start']:%Y-%m-%d}")
        if self.filters.get("end") is not None:
            parts.append(f"to {self.filters['end']:%Y-%m-%d}")
        return "; ".join(parts) if parts else "all data"

    def filter_slug(self) -> str:
        """The filters in force as part of a file name: ``"clinic-C01_from-2023-01-01"``."""
        parts = []
        for name in CHOICE_FILTERS:
            if self.filters.get(name):
                parts.append(f"{_SLUGS[name]}-{'+'.join(self.filters[name])}")
        for name in DATE_FILTERS:
            if self.filters.get(name) is not None:
                parts.append(f"{'from' if name == 'start' else 'to'}-"
                             f"{self.filters[name]:%Y-%m-%d}")
        slug = "_".join(parts) or "all-data"
        return re.sub(r"[^A-Za-z0-9+_.-]", "-", slug)[:120]

    # ------------------------------------------------------------------ analyses
    def refresh(self) -> None:
        """Re-run the analyses on the filtered bundle and redraw the panels."""
        if self._view is not None:  # the kernel is busy until the end: say so
            self._view.busy()
        self._compute()
        with warnings.catch_warnings():  # none reaches the page
            warnings.simplefilter("ignore")
            self._draw()
        if self._view is not None:
            self._view.render()

    def _ensure(self) -> None:
        if not self._computed:
            self.refresh()

    def _compute(self) -> None:
        f = self.filters
        self._filtered = self.log.filter(
            condition=f[Col.CONDITION], setting=f[Col.SETTING], fitzpatrick=f[Col.FITZPATRICK],
            clinic_id=f[Col.CLINIC_ID], start=f["start"], end=f["end"])
        s = self._filtered.sessions
        self._counts = {
            "patients": int(s[Col.PATIENT_ID].nunique()),
            "courses": int(len(s[[Col.PATIENT_ID, Col.CONDITION]].drop_duplicates())),
            "sessions": int(len(s)),
        }
        self._messages = dict.fromkeys(PANELS, "")
        self._notes: list[str] = []
        self._courses: Courses | None = None
        self._claims: ClaimsResult | None = None
        self._dose: DoseResponse | None = None
        self._side_effects: Resolution | None = None
        self._claims_table = pd.DataFrame(columns=SHORT_COLUMNS)
        self._released = Release(self.min_cell).publish()
        if self._counts["patients"] < self.min_cell:
            shown = self._count(self._counts["patients"])
            message = (f"Too little data: {shown} patients match these filters "
                       f"({self.describe_filters()}); results need at least {self.min_cell}. "
                       f"Widen the filters.")
            self._messages = dict.fromkeys(PANELS, message)
            self._computed = True
            return
        with warnings.catch_warnings(record=True) as caught:  # none reaches the page
            warnings.simplefilter("always")
            try:
                self._courses = build_courses(self._filtered, bands=dict(self.catalogue.bands))
            except OutcomesError as exc:
                self._messages = dict.fromkeys(PANELS, str(exc))
            else:
                self._claims = self._run("claims", lambda: evaluate_claims(
                    self._filtered, catalogue=self.catalogue, courses=self._courses,
                    sensitivity=False))
                self._dose = self._run("dose_response", lambda: dose_response(self._courses))
                self._side_effects = self._run("resolution",
                                               lambda: resolution(self._courses))
        self._notes = list(dict.fromkeys(str(w.message) for w in caught
                                        if issubclass(w.category, OutcomesWarning)))
        self._released = self._make_release()
        self._claims_table = self._make_claims_table()
        if self._claims is not None and self._claims_table.empty:
            self._messages["claims"] = "No claim of the catalogue is about the conditions chosen."
        self._computed = True

    def _run(self, panel: str, analysis):
        try:
            return analysis()
        except OutcomesError as exc:
            self._messages[panel] = str(exc)
            return None

    def _relevant(self, claim_id: str) -> bool:
        """False for claims about a condition the condition filter leaves out."""
        chosen = self.filters[Col.CONDITION]
        if not chosen:
            return True
        condition = self.catalogue.claim(claim_id).parameters.get("condition")
        return condition is None or condition in chosen

    def _make_release(self):
        """Everything the dashboard shows and exports, released as one
        (:class:`outcomes.output.release.Release`, with the report's relations)."""
        from ..report.relations import (
            REPORT_RULES,
            release_of,
            truncate_at_risk,
            withhold_small_steps,
        )

        tables = {}
        if self._claims is not None:
            t = self._claims.table
            t = t[[self._relevant(i) for i in t["id"]]].reset_index(drop=True)
            tables["claims"] = t[SHORT_COLUMNS]
        if self._dose is not None:
            tables["dose_response"] = self._dose.table
            tables["dose_at_risk"] = truncate_at_risk(self._dose.extra["at_risk"], self.min_cell)
        if self._side_effects is not None:
            tables["resolution"] = self._side_effects.table
            tables["resolution_at_risk"] = truncate_at_risk(self._side_effects.extra["at_risk"],
                                                            self.min_cell)
        return withhold_small_steps(release_of(tables, REPORT_RULES, self.min_cell).publish(),
                                    self.min_cell)

    def _make_claims_table(self) -> pd.DataFrame:
        if self._claims is None:
            return pd.DataFrame(columns=SHORT_COLUMNS)
        return self._released.tables["claims"]

    def _shown(self, result, name: str):
        """``result`` with its table as released (what the figure may draw)."""
        import dataclasses

        from ..report.relations import numeric_like, resolution_points

        if result is None or name not in self._released.tables:
            return result
        table = self._released.tables[name]
        extra = dict(result.extra)
        if "curve" in extra:
            extra["curve"] = resolution_points(table, extra["curve"])
        return dataclasses.replace(result, table=numeric_like(table, result.table), extra=extra)

    def export(self, folder) -> dict:
        """Write what the dashboard shows as a release: ``tables.xlsx`` and ``tables/*.csv``
        (claims, dose-response, resolution and their at-risk tables, protected together, with
        the suppressions listed) and the two figures as PNG.

        Parameters
        ----------
        folder : str or Path
            Created if needed; written as one set (:class:`outcomes.output.folder.OutputSet`).

        Returns
        -------
        dict of str to Path
            ``"xlsx"``, ``"<table>_csv"``, ``"<panel>_png"`` and ``"filters"`` (``filters.txt``:
            the filters in words, the counts and the disclosure rule).
        """
        from ..output.export import write_tables
        from ..output.folder import OutputSet

        self._ensure()
        published = self._released
        filters = self.describe_filters()
        readme = {name: f"{EXPORT_DESCRIPTIONS.get(name, name)} (filters: {filters})"
                  for name in published.tables}
        output = OutputSet(folder, known=("tables.xlsx", "tables/*.csv", "*.png", "filters.txt"))
        with output as out:
            res = write_tables(published.tables, out, readme=readme, min_cell=self.min_cell,
                               published=published)
            written = {"xlsx": res.xlsx, **{f"{k}_csv": v for k, v in res.csv.items()}}
            for panel in ("dose_response", "resolution"):
                path = out / f"{panel}.png"
                path.write_bytes(self.png(panel))
                written[f"{panel}_png"] = path
            path = out / "filters.txt"
            path.write_text(self.filters_text(), encoding="utf-8")
            written["filters"] = path
        return {k: output.final(v) for k, v in written.items()}

    def filters_text(self) -> str:
        """What ``filters.txt`` of an export says: the bundle, the filters, the counts shown
        and the disclosure rule."""
        return (f"Bundle: {self.log.source or 'bundle'}\n"
                f"Filters: {self.describe_filters()}\n"
                f"Shown: {self.status}\n"
                f"Counts from 1 to {self.min_cell - 1} are shown as <{self.min_cell}; estimates "
                f"resting on fewer units are withheld.\n")

    def export_archive(self) -> tuple[str, bytes]:
        """What the dashboard shows, as one ZIP file to download: :meth:`export`'s files and
        ``filters.txt`` naming the filters; the file name names them too.

        Returns
        -------
        (str, bytes)
            The file name (``outcomes-dashboard_<bundle>_<filters>.zip``) and its bytes.
        """
        import tempfile
        import zipfile

        self._ensure()
        source = re.sub(r"[^A-Za-z0-9_.-]", "-", self.log.source or "bundle")
        name = f"outcomes-dashboard_{source}_{self.filter_slug()}.zip"
        buffer = io.BytesIO()
        with tempfile.TemporaryDirectory() as tmp:
            written = self.export(tmp)
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(set(written.values())):
                    archive.write(path, path.relative_to(tmp).as_posix())
        return name, buffer.getvalue()

    def _count(self, n: int) -> str:
        """A count as shown: ``"<5"`` between 1 and ``min_cell - 1``."""
        return count_text(n, self.min_cell)

    # ------------------------------------------------------------------ results
    filtered = _computed("_filtered", "The bundle restricted by the filters.")
    counts = _computed("_counts", "Patients, courses and sessions in the filter (true numbers, "
                       "for code).", copy=dict)
    courses = _computed("_courses", "Courses of the filtered bundle (None when too little data).")
    claims = _computed("_claims", "Verdicts on the filtered bundle (None when too little data or "
                       "it failed).")
    dose = _computed("_dose", "Dose response of the filtered bundle (None when too little data "
                     "or it failed).")
    side_effects = _computed("_side_effects", "Time to resolution of side effects (None when "
                             "too little data or it failed).")
    claims_table = _computed("_claims_table", "The claims table as shown (counts disclosed); "
                             "see the class attributes.")
    messages = _computed("_messages", "Per panel, why it shows no result (empty when it does).",
                         copy=dict)
    notes = _computed("_notes", "Warnings the analyses gave on the filtered bundle.", copy=list)

    # ------------------------------------------------------------------ rendering
    @property
    def status(self) -> str:
        """The status line in plain text (counts disclosed)."""
        self._ensure()
        c = self._counts
        line = (f"{self._count(c['patients'])} patients · {self._count(c['courses'])} courses · "
                f"{self._count(c['sessions'])} sessions in the filter ({self.describe_filters()})")
        return line

    def status_html(self) -> str:
        """The status line, the too-little-data message and warnings, as HTML."""
        self._ensure()
        parts = [f"<b>{html.escape(self.status)}</b>"]
        panels = set(self._messages.values()) - {""}
        if len(panels) == 1 and all(self._messages.values()):
            parts.append(f"<div style='color:{PALETTE['vermillion']}'>"
                         f"{html.escape(panels.pop())}</div>")
        for note in self._notes:
            parts.append(f"<div style='color:#555'><small>{html.escape(note)}</small></div>")
        return "<div class='outcomes-dashboard-status'>" + "".join(parts) + "</div>"

    def claims_html(self) -> str:
        """The claims table as HTML: each claim's sentence, its verdict as a mark and a word on
        its colour, the estimate with its interval in the claim's unit (counts disclosed)."""
        from .claims_table import claims_table_html

        self._ensure()
        if self._messages["claims"] and self._claims_table.empty:
            return (f"<p class='outcomes-dashboard-message' role='status'>"
                    f"{html.escape(self._messages['claims'])}</p>")
        return claims_table_html(self._claims_table, self.catalogue)

    def resolution_events(self) -> list[str]:
        """Event types drawn in the resolution plot.

        The most frequent :data:`MAX_EVENTS` event types resting on at least ``min_cell``
        events (a curve drawn from fewer would show single patients' times) with a share shown
        in the released table (the curve runs through those shares only).
        """
        self._ensure()
        if self._side_effects is None:
            return []
        n = self._side_effects.table.groupby(Col.EVENT, sort=False)[Col.N].max()
        shown = self._released.tables.get("resolution")
        if shown is not None:  # drawn from the released shares only
            est = pd.to_numeric(shown[Col.ESTIMATE], errors="coerce")
            n = n[n.index.isin(set(shown.loc[est.notna().to_numpy(bool), Col.EVENT]))]
        n = n[n >= self.min_cell].sort_values(ascending=False, kind="stable")
        return [str(e) for e in n.index[:MAX_EVENTS]]

    def _shade_sessions_claimed(self, dose) -> None:
        """The sessions each drawn condition is claimed to need, shaded on the dose plot (the
        plot itself draws improvement, not sessions to a band, so it shades none)."""
        from ..plots.claimed import claim_name, claims_testing, shade

        for ax in self.dose_figure.axes:
            if not ax.get_lines():
                continue
            drawn = False
            for condition in dose.conditions():
                for claim in claims_testing(self.catalogue, "km_median_sessions_to_band",
                                            condition=condition):
                    if claim.parameters.get("condition") == condition:
                        shade(ax, claim, label=claim_name(claim, 45))
                        drawn = True
            if drawn:
                ax.legend(loc="best", fontsize="small", frameon=False)

    def _draw(self) -> None:
        dose = self._shown(self._dose, "dose_response")
        self._draw_one(self.dose_figure, "dose_response", dose, "Improvement by session",
                       min_n=self.min_cell)
        if dose is not None and not self._messages["dose_response"]:
            self._shade_sessions_claimed(dose)
        events = self.resolution_events()
        if self._side_effects is not None and not events:
            self._messages["resolution"] = (
                f"No side effect has {self.min_cell} or more events in this filter; "
                f"resolution curves are not drawn from fewer.")
        self._draw_one(self.resolution_figure, "resolution",
                       self._shown(self._side_effects, "resolution") if events else None,
                       "Side effects: time to resolution",
                       event=events, show_at_risk=False, claims=self.catalogue)

    def _draw_one(self, figure, panel: str, result, title: str, **kwargs) -> None:
        figure.clear()
        ax = figure.add_subplot()
        if result is not None:
            try:
                result.plot(ax=ax, **kwargs)
                return
            except OutcomesError as exc:
                self._messages[panel] = str(exc)
            except Exception as exc:  # noqa: BLE001 - a page never shows a traceback
                self._messages[panel] = (f"This plot could not be drawn "
                                         f"({type(exc).__name__}: {exc}).")
            figure.clear()
            ax = figure.add_subplot()
        ax.set_axis_off()
        ax.set_title(title, fontsize=10)
        ax.text(0.5, 0.5, wrap(self._messages[panel] or "Nothing to show.", 60),
                transform=ax.transAxes, ha="center", va="center", fontsize=9, color="#555555")

    def png(self, panel: str) -> bytes:
        """The plot of ``panel`` (``dose_response`` or ``resolution``) as PNG bytes."""
        self._ensure()
        figure = {"dose_response": self.dose_figure, "resolution": self.resolution_figure}
        if panel not in figure:
            raise AnalysisError(f"png: panel must be 'dose_response' or 'resolution'; got "
                                f"{panel!r}.")
        buffer = io.BytesIO()
        figure[panel].savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    # ------------------------------------------------------------------ widgets
    @property
    def px(self) -> int:
        """Width of a plot image in pixels."""
        return int(round(self.figsize[0] * self.dpi))

    @property
    def widget(self):
        """The dashboard as an ipywidgets box (built on first use; :mod:`outcomes.app.view`)."""
        if self._view is None:
            try:
                from .view import DashboardView
            except ImportError:  # pragma: no cover - the notebooks extra installs it
                raise AnalysisError(
                    "Dashboard needs ipywidgets: pip install 'outcomes[notebooks]'.") from None
            self._ensure()
            self._view = DashboardView(self)
        return self._view.box

    @property
    def controls(self) -> dict:
        """The controls by filter name, and ``reset`` and ``export`` (empty until
        :attr:`widget` is built)."""
        return {} if self._view is None else self._view.controls

    @property
    def views(self) -> dict:
        """What updates in place: ``banner``, ``status``, ``claims``, ``download`` (HTML),
        ``dose_response`` and ``resolution`` (PNG); empty until :attr:`widget` is built."""
        return {} if self._view is None else self._view.views

    # ------------------------------------------------------------------ display
    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        if not self._computed:
            return f"Dashboard({self.log.source!r}, filters: {self.describe_filters()})"
        return f"Dashboard({self.log.source!r}: {self.status})"
