"""A made-up practice-management system ("SkinDesk") and its export of a bundle.

:func:`contract_tables` simulates a small clean bundle in the contract's form (every session in
a clinic, so the export leaves ``setting`` out and the mapping gives it as a constant).
:func:`skindesk_tables` writes the same rows as SkinDesk would: its own file and sheet names,
headers, words, day-first dates, needle depth in micrometres, duration in hours, resolution in
days. :data:`MAPPING` is the mapping that reads it back. The test is that the mapped export
loads to exactly the tables the contract bundle loads to.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

import outcomes

CONDITIONS = {
    "acne_scars": "Acne scarring", "surgical_scars": "Surgical scar",
    "wrinkles": "Fine lines & wrinkles", "hyperpigmentation": "Pigmentation",
    "stretch_marks": "Stretch marks", "alopecia": "Hair loss", "rosacea": "Rosacea",
    "skin_laxity": "Skin tightening", "enlarged_pores": "Large pores", "texture": "Skin texture",
}
DEVICES = {"roller": "Derma roller", "pen": "Dermapen", "rf_microneedling": "RF needling",
           "other": "Other device"}
FITZPATRICK = {f: f"Type {f}" for f in ("I", "II", "III", "IV", "V", "VI")}
AGE_BANDS = {"18-24": "18 to 24", "25-34": "25 to 34", "35-44": "35 to 44", "45-54": "45 to 54",
             "55-64": "55 to 64", "65+": "65 and over"}
SEXES = {"F": "Female", "M": "Male", "X": "Other / not said"}
CONTRAINDICATIONS = {
    "pregnancy": "Pregnant", "anticoagulants": "Blood thinners",
    "anti_inflammatories": "NSAIDs", "bleeding_disorder": "Bleeding disorder",
    "autoimmune": "Autoimmune condition", "herpes": "Cold sores", "active_acne": "Active acne",
    "active_infection": "Infection", "keloid": "Keloid history", "eczema": "Eczema",
    "rosacea": "Rosacea (active)", "sensitive_skin": "Sensitive skin",
    "alcohol_frequent": "Drinks alcohol often",
}
ADJUNCTS = {"none": "No add-on", "prp": "PRP", "hyaluronic_acid": "HA serum",
            "growth_factors": "Growth factor serum", "other": "Other add-on"}
SCALES = {"goodman_baron_quantitative": "Goodman-Baron (quantitative)",
          "goodman_baron_qualitative": "Goodman-Baron (qualitative)", "masi": "MASI",
          "wrinkle_severity": "Wrinkle severity", "severity_vas": "Severity (0-10)",
          "hair_density": "Hair density", "gais": "GAIS"}
RATERS = {"clinician": "Clinician", "patient": "Patient", "blinded": "Independent assessor"}
EVENTS = {"erythema": "Redness", "oedema": "Swelling", "pain": "Pain", "bruising": "Bruising",
          "bleeding": "Bleeding", "scabbing": "Scabs", "dryness": "Dry skin", "flaking": "Peeling",
          "itching": "Itch", "infection": "Infection", "pih": "Darkening (PIH)",
          "hypopigmentation": "Lightening", "herpes_reactivation": "Cold sore flare",
          "contact_dermatitis": "Allergic reaction", "acne_flare": "Breakout",
          "milia": "Milia", "scarring": "Scarring"}
SEVERITIES = {"mild": "Grade 1", "moderate": "Grade 2", "severe": "Grade 3"}
NUMBING = {True: "Applied", False: "Not applied"}

#: SkinDesk's header for each contract column, per table.
HEADERS = {
    "sessions": {
        "patient_id": "Patient ID", "session_id": "Appointment no",
        "session_date": "Session date", "condition": "Treatment area", "clinic_id": "Site",
        "operator_id": "Operator", "device": "Device used",
        "needle_depth_mm": "Needle depth (um)", "duration_min": "Duration (hrs)",
        "numbing": "Numbing cream", "pain_vas": "Pain score", "fitzpatrick": "Skin type",
        "age_band": "Age group", "sex": "Gender", "contraindications": "Contraindications",
        "adjunct": "Add-on",
    },
    "assessments": {
        "patient_id": "Patient ID", "condition": "Treatment area",
        "assessment_date": "Assessment Date", "scale": "Measure", "score": "Result",
        "rater": "Assessed by",
    },
    "adverse_events": {
        "session_id": "Appointment no", "event": "Reaction", "severity": "Severity",
        "onset_hours": "Onset (hrs)", "resolved_hours": "Resolved after (days)",
        "last_contact_hours": "Last contact (hrs)",
    },
}
#: The headers SkinDesk shares with the contract, once spaces and case are set aside.
EXACT = {"sessions": {"patient_id", "session_date", "contraindications"},
         "assessments": {"patient_id", "assessment_date"}, "adverse_events": {"severity"}}
#: Headers near a contract column's name (a word left out or added, a unit in brackets).
NEAR = {"sessions": {"operator_id", "device", "needle_depth_mm", "duration_min", "numbing",
                     "pain_vas"},
        "adverse_events": {"onset_hours", "last_contact_hours"}}
FILES = {"sessions": "Appointments.csv", "assessments": "Outcome scores.csv",
         "adverse_events": "Reactions.csv"}
SHEETS = {"sessions": "Appointments", "assessments": "Outcome scores",
          "adverse_events": "Reactions"}
WORKBOOK = "SkinDesk export.xlsx"
DATES = {"session_date", "assessment_date"}
WORDS = {"condition": CONDITIONS, "device": DEVICES, "fitzpatrick": FITZPATRICK,
         "age_band": AGE_BANDS, "sex": SEXES, "adjunct": ADJUNCTS, "scale": SCALES,
         "rater": RATERS, "event": EVENTS, "severity": SEVERITIES}
_VOCABULARY = {"contraindications": "contraindication"}


def contract_tables(n_patients: int = 20, seed: int = 3) -> dict[str, pd.DataFrame]:
    """A clean simulated bundle in the contract's form, every session in a clinic."""
    tables = outcomes.simulate(n_patients, seed)
    tables["sessions"] = tables["sessions"].assign(setting="professional")
    return tables


def _words(values: pd.Series, words: dict) -> list:
    return [None if pd.isna(v) else words[v] for v in values]


def _date(text, as_cells: bool):
    if pd.isna(text):
        return None
    day = dt.date.fromisoformat(text)
    return day if as_cells else day.strftime("%d/%m/%Y")


def _number(values: pd.Series, multiply: float = 1.0, divide: float = 1.0) -> list:
    return [None if pd.isna(v) else float(v) * multiply / divide for v in values]


def skindesk_tables(tables: dict[str, pd.DataFrame], *, as_cells: bool = False
                    ) -> dict[str, pd.DataFrame]:
    """The bundle as SkinDesk exports it: its headers, words, dates and units.

    With ``as_cells``, dates are ``datetime.date`` objects (a workbook's date cells) and
    numbers floats; otherwise dates are day-first text.
    """
    out = {}
    for name, df in tables.items():
        columns = {}
        for column, header in HEADERS[name].items():
            values = df[column]
            if column in DATES:
                columns[header] = [_date(v, as_cells) for v in values]
            elif column in WORDS:
                columns[header] = _words(values, WORDS[column])
            elif column == "contraindications":
                columns[header] = [None if pd.isna(v) else ", ".join(
                    CONTRAINDICATIONS[i] for i in v.split(";")) for v in values]
            elif column == "numbing":
                columns[header] = [None if pd.isna(v) else NUMBING[bool(v)] for v in values]
            elif column == "needle_depth_mm":
                columns[header] = _number(values, multiply=1000)
            elif column == "duration_min":
                columns[header] = _number(values, divide=60)
            elif column == "resolved_hours":
                columns[header] = _number(values, divide=24)
            elif df[column].dtype == np.float64:
                columns[header] = _number(values)
            else:
                columns[header] = [None if pd.isna(v) else v for v in values]
        out[name] = pd.DataFrame(columns)
    return out


def _csv_cell(value) -> str:
    if value is None or isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    text = str(value)
    return f'"{text}"' if any(c in text for c in ',"\n') else text


def write_skindesk_csv(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """The export as SkinDesk's CSV files (comma separated, day-first dates)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in skindesk_tables(tables).items():
        lines = [",".join(_csv_cell(h) for h in df.columns)]
        lines += [",".join(_csv_cell(v) for v in row) for row in df.itertuples(index=False)]
        path = folder / FILES[name]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


def write_skindesk_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """The export as a SkinDesk workbook written by openpyxl: date cells, number cells."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, df in skindesk_tables(tables, as_cells=True).items():
        sheet = book.create_sheet(SHEETS[name])
        sheet.append(list(df.columns))
        for row in df.itertuples(index=False):
            sheet.append([None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                          for v in row])
        for column, header in enumerate(df.columns, start=1):
            if header in ("Session date", "Assessment Date"):
                for cell in sheet.iter_cols(min_col=column, max_col=column, min_row=2):
                    for c in cell:
                        c.number_format = "DD/MM/YYYY"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _toml_key(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_text(*, workbook: bool = False) -> str:
    """The mapping of SkinDesk's export, as a user would write it."""
    lines = ["# SkinDesk export -> outcomes contract"]
    for name, headers in HEADERS.items():
        lines.append(f"[{name}]")
        lines.append(f"sheet = {_toml_key(SHEETS[name])}" if workbook
                     else f"file = {_toml_key(FILES[name])}")
        lines.append(f"[{name}.columns]")
        lines += [f"{column} = {_toml_key(header)}" for column, header in headers.items()]
        dates = [c for c in headers if c in DATES]
        if dates:
            lines.append(f"[{name}.dates]")
            lines += [f'{c} = "%d/%m/%Y"' for c in dates]
        units = {"needle_depth_mm": "um", "duration_min": "h", "resolved_hours": "days"}
        used = {c: u for c, u in units.items() if c in headers}
        if used:
            lines.append(f"[{name}.units]")
            lines += [f'{c} = "{u}"' for c, u in used.items()]
    lines += ["[sessions.constants]", 'setting = "professional"']
    for column, words in WORDS.items():
        vocab = "scale" if column == "scale" else column
        lines.append(f"[values.{vocab}]")
        lines += [f"{_toml_key(theirs)} = {_toml_key(ours)}" for ours, theirs in words.items()]
    lines.append("[values.contraindication]")
    lines += [f"{_toml_key(t)} = {_toml_key(o)}" for o, t in CONTRAINDICATIONS.items()]
    lines.append("[values.bool]")
    lines += [f'{_toml_key(t)} = "{str(o).lower()}"' for o, t in NUMBING.items()]
    return "\n".join(lines) + "\n"


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (to show that nothing was changed)."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
