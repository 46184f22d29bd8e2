"""Exception and warning classes of ``outcomes``.

Every expected problem raises one of these, never a bare Python error, and every message says
what was expected, what came in, where (file, spreadsheet row, column) and what to do. The CLI
prints the message and exits without a traceback.
"""

from __future__ import annotations


class OutcomesError(Exception):
    """Base class of every error ``outcomes`` raises on purpose."""


class BundleError(OutcomesError):
    """The input bundle cannot be read at all (missing table or column, unreadable file)."""


class IdentifyingDataError(BundleError):
    """The bundle holds a column or values that look identifying; nothing is processed further."""


class ConfigError(OutcomesError):
    """A user-supplied file (scales, claims catalogue, audit configuration) is malformed."""


class AnalysisError(OutcomesError):
    """An analysis was asked for something the data or the parameters cannot give."""


class OutcomesWarning(UserWarning):
    """Base class of warnings issued by ``outcomes``."""


class DataQualityWarning(OutcomesWarning):
    """A value was blanked or a row quarantined while loading."""
