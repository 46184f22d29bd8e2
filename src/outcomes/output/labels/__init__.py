"""The labels layer: every code to words and every number to text, for every output.

HTML, PDF, workbook, Word, the dashboard and the plots all label through here:

- :mod:`.words` — codes to words (conditions, side effects, scales, measures, columns, verdicts),
  from ``words.toml``;
- :mod:`.numbers` — counts with thousands separators, shares as percentages, intervals as
  ``48% (43–53%)``, hours or days, never scientific notation;
- :mod:`.colours` — the palette, series colours that never repeat within a figure, and each
  verdict's colour and mark.
"""

from .colours import MARKERS, PALETTE, SERIES_COLOURS, VERDICT_COLOURS, VERDICT_MARKS, series_style
from .numbers import (
    KINDS,
    count_text,
    format_count,
    format_estimate,
    format_hours,
    format_interval,
    format_number,
    format_share,
    format_value,
    is_missing,
    to_number,
)
from .words import VOCABULARIES, codes, column_label, estimand_kind, label, relabel

__all__ = ["MARKERS", "PALETTE", "SERIES_COLOURS", "VERDICT_COLOURS", "VERDICT_MARKS",
           "series_style", "KINDS", "count_text", "format_count", "format_estimate",
           "format_hours", "format_interval", "format_number", "format_share", "format_value",
           "is_missing", "to_number", "VOCABULARIES", "codes", "column_label", "estimand_kind",
           "label", "relabel"]
