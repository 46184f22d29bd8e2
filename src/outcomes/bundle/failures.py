"""The findings behind a refused bundle as a table: :attr:`BundleError.failure_cases`.

Whoever refuses a bundle (the readers, the privacy screen, the column checks) lists what it found
as ``(table, column, row, value, reason)`` records; :func:`failure_cases` makes the frame, with the
same column types every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import FAILURE_COLUMNS

if TYPE_CHECKING:  # pandas is imported when a frame is made (the readers need not wait for it)
    import pandas as pd

__all__ = ["failure_cases"]


def failure_cases(records: Iterable[tuple]) -> pd.DataFrame:
    """The frame of ``(table, column, row, value, reason)`` records.

    Parameters
    ----------
    records : iterable of tuple
        ``table`` (a table of the contract), ``column`` (as in the file, or as the contract
        names it when it is missing; ``None`` for a whole table), ``row`` (spreadsheet row: 1 for
        the header; ``None`` when no row is concerned), ``value`` (the cell's text; ``None``
        when there is none, and always for identifying data), ``reason``.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``column``, ``row`` (nullable ``Int64``), ``value`` (object, so that
        ``None`` stays ``None``), ``reason``.

    Examples
    --------
    >>> failure_cases([("sessions", "session_date", None, None, "missing")]).dtypes["row"]
    Int64Dtype()
    """
    import pandas as pd

    frame = pd.DataFrame(list(records), columns=list(FAILURE_COLUMNS), dtype=object)
    return frame.astype({"table": "str", "column": "str", "row": "Int64", "reason": "str"})
