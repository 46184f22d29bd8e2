"""The report's sections after the first screen: Table 1, the data flow and paper-style tables.

Each section shows a few wide tables a paper would print (:mod:`outcomes.report.tables`),
built from the released tables only; the long ones (dose-response rows, spacing, at-risk
tables, comparisons, sensitivity views) are collapsed or left to the workbook with a sentence
saying where. Headings, headers and labels are words (:mod:`outcomes.output.labels`).
"""

from __future__ import annotations

import pandas as pd

from ..output.html import Page, escape
from ..output.labels import column_label, format_count, format_hours, label
from ..stats.result import Col
from .audit_views import adherence_view
from .cohort import ALL, NOT_RECORDED
from .sentences import session_interval
from .tables import KIND_OF_MEASURE, count_cells, interval_cells, wide, words

__all__ = ["WORKBOOK", "cohort_section", "recommendations_section", "outcomes_tables",
           "dose_tables", "spacing_tables", "side_effect_tables", "skin_tables",
           "quality_table", "claims_details"]

#: Where the long tables are, in words.
WORKBOOK = "tables.xlsx"


def _where(name: str) -> str:
    return f"the workbook {WORKBOOK} (sheet {name}) and tables/{name}.csv"


def _level(characteristic: str, level: str) -> str:
    if level == NOT_RECORDED:
        return "Not recorded"
    if level == ALL:
        return "All"
    return label(level, characteristic)


def _share_of(n, total) -> str:
    """``n (x%)`` of a released count; the share only when both counts are shown exactly."""
    try:
        n_value, t_value = int(n), int(total)
    except (TypeError, ValueError):
        return str(n)
    if t_value <= 0:
        return format_count(n_value)
    return f"{format_count(n_value)} ({100 * n_value / t_value:.0f}%)"


def cohort_section(page: Page, shown: dict, names: dict) -> None:
    """Table 1 (by condition and by characteristic) and the data flow, table and figure."""
    page.section("Who is in the data", "cohort")
    cohort = shown.get("cohort")
    if cohort is not None and len(cohort):
        t = cohort.copy()
        t[Col.CONDITION] = [("All conditions" if c == ALL else label(c, "condition"))
                            for c in t[Col.CONDITION]]
        for c in ("n_patients", "n_courses", "n_sessions"):
            t[c] = count_cells(t[c])
        page.table(words(t), caption="Table 1a. Patients, courses and sessions by condition",
                   empty="no accepted session to describe")
    ch = shown.get("characteristics")
    if ch is not None and len(ch):
        rows = []
        for characteristic, group in ch.groupby("characteristic", sort=False):
            total = group[group["level"] == ALL]
            tc = total["n_courses"].iloc[0] if len(total) else None
            ts = total["n_sessions"].iloc[0] if len(total) else None
            for r in group[group["level"] != ALL].itertuples():
                rows.append({"Characteristic": column_label(characteristic),
                             "Level": _level(characteristic, r.level),
                             "Courses (%)": _share_of(r.n_courses, tc),
                             "Sessions (%)": _share_of(r.n_sessions, ts)})
        page.table(pd.DataFrame(rows), caption="Table 1b. Courses and sessions by age band, "
                   "sex, Fitzpatrick type and setting (of the course) and device (of the "
                   "session); a course treated with two devices counts under both",
                   empty="no course to describe")
    flow = shown.get("flow")
    if flow is not None and len(flow):
        _flow(page, flow, names)


_FLOW_WORDS = {"read": "Session rows read", "accepted": "Sessions accepted",
               "courses": "Courses (patient × condition)",
               "with_baseline": "Courses with a baseline assessment",
               "with_final": "Courses assessed: with a final improvement (on a change scale "
                             "such as GAIS, without a baseline)"}


def _flow(page: Page, flow: pd.DataFrame, names: dict) -> None:
    page.section("How the data reach each claim", "flow", level=3)
    main = flow[flow["step"] != "claim"]
    boxes, text = [], []
    for i, r in enumerate(main.itertuples()):
        words_ = _FLOW_WORDS.get(r.step, r.step)
        n = r.n if isinstance(r.n, str) else format_count(r.n)
        arrow = '<span class="arrow" aria-hidden="true">→</span>' if i else ""
        boxes.append(f'{arrow}<div class="box"><b>{escape(n)}</b>{escape(words_)}</div>')
        text.append(f"{words_}: {n}")
    claims = flow[flow["step"] == "claim"]
    if len(claims):
        n = pd.to_numeric(claims["n"], errors="coerce").dropna()
        span = (f"{format_count(n.min())} to {format_count(n.max())}" if len(n) else "")
        words_ = f"units in each of the {len(claims)} claims (table below)"
        boxes.append('<span class="arrow" aria-hidden="true">→</span>'
                     f'<div class="box"><b>{escape(span)}</b>{escape(words_)}</div>')
        text.append(f"{span} {words_}")
    page.raw_html(f'<div class="flow" role="img" aria-label="{escape("; ".join(text))}">'
                  + "".join(boxes) + "</div>", text=" → ".join(text))
    rows = [{"Step": _FLOW_WORDS.get(r.step, r.step),
             "Number": r.n if isinstance(r.n, str) else format_count(r.n),
             "Counted in": label(r.unit, "unit")} for r in main.itertuples()]
    page.table(pd.DataFrame(rows), caption="The data's path from the rows read to the courses "
                                           "analysed")
    if len(claims):
        t = pd.DataFrame({"Claim": claims["id"].map(lambda i: names.get(i, i)),
                          "Units the claim rests on": [r if isinstance(r, str) else
                                                       format_count(r) for r in claims["n"]],
                          "Counted in": [label(u, "unit") for u in claims["unit"]]})
        page.details(f"The units each of the {len(claims)} claims rests on", t,
                     caption="Units in each claim (courses, sessions or side-effect episodes)")


def recommendations_section(page: Page, shown: dict) -> None:
    page.section("Practice recommendations", "recommendations")
    t = shown.get("recommendations")
    page.paragraph("Recommendations are audited, not given a verdict: the share of sessions or "
                   "courses that follow each. Sessions that do not follow one are listed by "
                   "session in the audit (outcomes audit), never here.")
    if t is None or len(t) == 0:
        page.note("Recommendations: the claims catalogue has no practice recommendation.")
        return
    page.table(adherence_view(t, ("Counted", "n")),
               caption="Adherence to the documents' recommendations")


_BC_MAIN = ["n_courses", "n_patients", "n_with_final", "sessions_median",
            "final_improvement_mean", "final_improvement_median"]
_BC_BANDS = ["reached_visible", "reached_considerable", "reached_major"]


def outcomes_tables(page: Page, shown: dict) -> None:
    t = shown.get("by_condition")
    if t is None or len(t) == 0:
        page.note("Outcomes by condition: no course to describe (no accepted session).")
        return
    page.table(wide(t, Col.CONDITION, Col.MEASURE, kind=KIND_OF_MEASURE, order=_BC_MAIN),
               caption="Table 2. Courses and final improvement by condition (improvement as "
                       "a share of the possible improvement; 95% intervals)")
    page.table(wide(t, Col.CONDITION, Col.MEASURE, kind=KIND_OF_MEASURE, order=_BC_BANDS),
               caption="Table 3. Share of courses reaching each improvement band by the end "
                       "(95% intervals)")


def dose_tables(page: Page, shown: dict, why: str) -> None:
    t = shown.get("dose_response")
    if t is None or len(t) == 0:
        page.note(f"Dose-response: {why or 'no course'}.")
        return
    imp = t[t[Col.MEASURE] == "improvement"]
    sessions = sorted(pd.to_numeric(imp["after_session"], errors="coerce").dropna().unique())
    first = [s for s in sessions if s <= 6]
    if len(imp):
        page.table(wide(imp[imp["after_session"].isin(first)], Col.CONDITION, "after_session",
                        kind="share", header={s: f"After session {int(s)}" for s in first}),
                   caption="Table 4. Mean improvement after each session, sessions 1 to 6 "
                           "(95% intervals)")
    med = t[t[Col.MEASURE] == "median_sessions_to_major"]
    if len(med):
        m = pd.DataFrame({"Condition": [label(c, "condition") for c in med[Col.CONDITION]],
                          "Median sessions to major improvement (95% CI)":
                              [session_interval(r.estimate, r.ci_low, r.ci_high)
                               or ("withheld" if getattr(r, "suppressed", "") else
                                   "not reached") for r in med.itertuples()],
                          "Courses": count_cells(med["n"]).to_numpy()})
        page.table(m, caption="Table 5. Sessions to a major improvement (Kaplan–Meier median)")
    at_risk = shown.get("dose_at_risk")
    if at_risk is not None and len(at_risk):
        a = at_risk.copy()
        a["n_at_risk"] = count_cells(a["n_at_risk"])
        piv = a.pivot_table(index=Col.CONDITION, columns="after_session", values="n_at_risk",
                            aggfunc="first", sort=False).fillna("")
        piv = piv[[c for c in piv.columns if c <= 10]]
        piv.columns = [f"{int(c)}" for c in piv.columns]
        piv.index = [label(c, "condition") for c in piv.index]
        piv = piv.rename_axis("Condition / after session").reset_index()
        page.details("Courses still followed at each session (at risk), sessions 1 to 10",
                     piv, caption="Courses at risk after each session")
    page.paragraph(f"Every row of the dose-response analysis ({len(t)} rows: improvement, gain "
                   "and share reaching a major improvement after each session, with their "
                   f"methods) is in {_where('dose_response')}.")


def spacing_tables(page: Page, shown: dict) -> None:
    t = shown.get("spacing")
    if t is None or len(t) == 0:
        page.note("Spacing: no course has a second session (spacing is counted from the "
                  "second session of a course).")
        return
    gain = t[t[Col.MEASURE] == "improvement_gain"]
    bins = list(dict.fromkeys(t["spacing_bin"]))
    for setting, group in gain.groupby("setting", sort=False):
        page.table(wide(group, Col.CONDITION, "spacing_bin", kind="points", order=bins,
                        header={b: f"{b} days" for b in bins}),
                   caption=f"Improvement gained per session by days since the previous "
                           f"session: {label(setting, 'setting').lower()} sessions "
                           "(percentage points, 95% intervals)")
    page.paragraph(f"Side effects per session by spacing, and every row with its method, are "
                   f"in {_where('spacing')}.")


def side_effect_tables(page: Page, shown: dict, why: str) -> None:
    inc = shown.get("incidence")
    if inc is None or len(inc) == 0:
        page.note(f"Side effects: {why}.")
    else:
        out = pd.DataFrame({
            "Side effect": [label(e, "event") for e in inc["event"]],
            "Episodes": count_cells(inc["n_events"]).to_numpy(),
            "Sessions with it": count_cells(inc["n_with_event"]).to_numpy(),
            "Share of sessions (95% CI)": interval_cells(inc, "share").to_numpy()})
        page.table(out, caption=f"Table 6. Side effects per session "
                                f"(of {_first_count(inc['n'])} sessions)")
    res = shown.get("resolution")
    if res is None or len(res) == 0:
        return
    res = res.copy()
    res["_col"] = [("median" if m == "median_hours" else h)
                   for m, h in zip(res[Col.MEASURE], res["hours"], strict=True)]
    hours = [h for h in dict.fromkeys(res["_col"]) if h != "median"]
    header = {"median": "Median time to resolve (95% CI)",
              **{h: f"Resolved by {format_hours(h)}" for h in hours}}
    kinds = {"median_hours": "hours", "resolved_by": "share"}
    page.table(wide(res, Col.EVENT, "_col", kind=kinds, order=["median", *hours],
                    header=header),
               caption="Table 7. Time for side effects to resolve (Kaplan–Meier, 95% intervals)")
    page.paragraph("The side effects still unresolved and followed at each time are in "
                   f"{_where('resolution_at_risk')}.")


def _first_count(values: pd.Series) -> str:
    v = values.iloc[0] if len(values) else ""
    return v if isinstance(v, str) else format_count(v)


def skin_tables(page: Page, shown: dict) -> None:
    t = shown.get("skin_type")
    if t is None or len(t) == 0:
        return
    groups = list(dict.fromkeys(t["group"]))
    header = {g: (f"Type {g}" if g in ("I", "II", "III", "IV", "V", "VI") else
                  "Type not recorded" if g == "unknown" else
                  "Difference, IV–VI minus I–III" if "minus" in str(g) else f"Types {g}")
              for g in groups}
    kind = {o: "share" for o in t["outcome"].unique()}
    t = t.copy()
    t["_kind"] = ["points" if "minus" in str(g) else kind[o]
                  for g, o in zip(t["group"], t["outcome"], strict=True)]
    kinds = {"share": "share", "points": "points"}
    types = [g for g in groups if g in ("I", "II", "III", "IV", "V", "VI", "unknown")]
    pooled = [g for g in groups if g not in types]
    page.table(wide(t, "outcome", "group", kind=kinds, by="_kind", order=types,
                    header=header, row_vocabulary="event"),
               caption="Table 8. Courses with a notable side effect, and with "
                       "post-inflammatory hyperpigmentation, by Fitzpatrick skin type "
                       "(95% intervals)")
    if pooled:
        page.table(wide(t, "outcome", "group", kind=kinds, by="_kind", order=pooled,
                        header=header, row_vocabulary="event"),
                   caption="Table 9. The same, lighter (I–III) against darker (IV–VI) skin, "
                           "and their difference (95% intervals)")


def quality_table(page: Page, shown: dict) -> None:
    t = shown.get("data_quality")
    if t is None or len(t) == 0:
        page.note("Data quality: none: every row was accepted and no value was blanked.")
        return
    out = t.copy()
    out["n_rows"] = count_cells(out["n_rows"])
    page.table(words(out), caption="Quarantined rows and blanked values")


def claims_details(page: Page, shown: dict, names: dict) -> None:
    """The claims as a table, with the comparisons and sensitivity views, collapsed."""
    t = shown["claims"]
    out = pd.DataFrame({"Claim": t["statement"], "Verdict": [label(v, "verdict")
                                                              for v in t["verdict"]],
                        "Units": count_cells(t["n"]).to_numpy(),
                        "Counted in": [label(u, "unit") for u in t["unit"]]})
    page.details("The claims as a table", out, caption="Claims, verdicts and the units each "
                 "rests on (each interval's method is in the claims sheet of the workbook)")
    comp = shown.get("claims_comparisons")
    if comp is not None and len(comp):
        c = pd.DataFrame({"Claim": [names.get(i, i) for i in comp["id"]],
                          "Estimate": [label(b, "basis") for b in comp["basis"]],
                          "Value (95% CI)": interval_cells(comp, "number").to_numpy(),
                          "Units": count_cells(comp["n"]).to_numpy()})
        page.details("Comparative claims: crude, adjusted and at an equal number of sessions",
                     c, caption="Crude and adjusted comparisons")
    sens = shown.get("claims_sensitivity")
    if sens is not None and len(sens):
        page.paragraph(f"The sensitivity views of the claims ({len(sens)} rows: other "
                       "thresholds and subsets, and whether the verdict changes) are in "
                       f"{_where('claims_sensitivity')}.")
