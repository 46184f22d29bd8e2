"""Build small typed SessionLogs by hand, for unit tests of the analysis rooms.

The loader is tested on its own; these factories give the analysis tests exactly the typed
tables the loader promises (dtypes as in ``outcomes.bundle.schema``), without files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outcomes.bundle.log import SessionLog, empty_counts
from outcomes.bundle.schema import TABLES, load_scales, vocabulary_dtype


def _typed(name: str, rows: list[dict]) -> pd.DataFrame:
    table = TABLES[name]
    df = pd.DataFrame(rows, columns=table.names)
    for col in table.columns:
        s = df[col.name]
        if col.kind in ("id", "text", "list"):
            df[col.name] = s.astype("str").where(s.notna(), pd.NA) if len(s) else s.astype("str")
        elif col.kind == "date":
            df[col.name] = pd.to_datetime(s, format="%Y-%m-%d").astype("datetime64[ns]")
        elif col.kind == "vocabulary":
            df[col.name] = s.astype(vocabulary_dtype(col.vocabulary))
        elif col.kind == "scale":
            df[col.name] = s.astype(pd.CategoricalDtype(list(load_scales())))
        elif col.kind in ("number", "hours"):
            df[col.name] = s.astype(float)
        elif col.kind == "bool":
            df[col.name] = s.astype("boolean")
    df["row"] = np.arange(2, len(df) + 2)
    return df


def make_log(sessions: list[dict], assessments=(), events=()) -> SessionLog:
    """A SessionLog from lists of row dicts (missing columns are blank)."""
    return SessionLog(
        sessions=_typed("sessions", list(sessions)),
        assessments=_typed("assessments", list(assessments)),
        adverse_events=_typed("adverse_events", list(events)),
        rejects={},
        warnings=pd.DataFrame(columns=["table", "row", "column", "value", "message"]),
        counts=empty_counts(),
        checksums={},
        source="handmade",
        present_columns={t: tuple(TABLES[t].names) for t in TABLES},
    )


def session(pid, sid, date, condition="acne_scars", setting="professional", **kw) -> dict:
    return dict(patient_id=pid, session_id=sid, session_date=date, condition=condition,
                setting=setting, **kw)


def assessment(pid, date, score, condition="acne_scars",
               scale="goodman_baron_quantitative", **kw) -> dict:
    return dict(patient_id=pid, condition=condition, assessment_date=date, scale=scale,
                score=score, **kw)


def event(sid, kind="erythema", severity="mild", resolved=None, last_contact=None, onset=0.0):
    return dict(session_id=sid, event=kind, severity=severity, onset_hours=onset,
                resolved_hours=resolved, last_contact_hours=last_contact)
