"""Exception and warning classes of ``outcomes``.

Every expected problem raises one of these, never a bare Python error, and every message says
what was expected, what came in, where (file, spreadsheet row, column) and what to do. The CLI
prints the message and exits without a traceback.
"""

from __future__ import annotations

#: The columns of :attr:`BundleError.failure_cases`.
FAILURE_COLUMNS = ("table", "column", "row", "value", "reason")


class OutcomesError(Exception):
    """Base class of every error ``outcomes`` raises on purpose."""


class BundleError(OutcomesError):
    """The input bundle cannot be read at all (missing table or column, unreadable file).

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        The findings behind the message, one row each, with the columns ``table``, ``column``,
        ``row``, ``value`` and ``reason`` (empty when the problem is the bundle as a whole).
    """

    def __init__(self, message: str, failure_cases=None):
        super().__init__(message)
        self._failure_cases = failure_cases

    @property
    def failure_cases(self):
        if self._failure_cases is None:
            import pandas as pd

            self._failure_cases = pd.DataFrame(
                {c: pd.Series(dtype="object") for c in FAILURE_COLUMNS})
        return self._failure_cases


class IdentifyingDataError(BundleError):
    """The bundle holds a column or values that look identifying; nothing is processed further."""


class ConfigError(OutcomesError, ValueError):
    """A user-supplied file (scales, claims catalogue, audit configuration) is malformed."""


class OutputError(OutcomesError):
    """An output folder cannot be written (it is a file, or the place is not writable)."""


class AnalysisError(OutcomesError, ValueError):
    """An analysis was asked for something the data or the parameters cannot give."""


class ParameterError(OutcomesError, ValueError):
    """An argument is outside what the function accepts (the message names it and the range)."""


class ParameterTypeError(ParameterError, TypeError):
    """An argument is of a type the function does not take (the message names what it takes)."""


class OutcomesWarning(UserWarning):
    """Base class of warnings issued by ``outcomes``."""


class DataQualityWarning(OutcomesWarning):
    """A value was blanked or a row quarantined while loading."""


class MappingError(ConfigError):
    """A mapping of a clinic's export to the contract is malformed, or does not fit the export
    (the message names the mapping file, its entry and field)."""
