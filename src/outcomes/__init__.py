"""outcomes: turn anonymised microneedling session logs into evidence.

The public API is listed in ``__all__``; notebooks and the command line use nothing else.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .catalogue import Catalogue, Claim, Recommendation, load_catalogue
from .courses import Courses, build_courses
from .errors import (
    AnalysisError,
    BundleError,
    ConfigError,
    DataQualityWarning,
    IdentifyingDataError,
    OutcomesError,
    OutcomesWarning,
)
from .log import SessionLog
from .schema import Col, load_scales

__all__ = [
    "__version__",
    # errors
    "OutcomesError",
    "BundleError",
    "IdentifyingDataError",
    "ConfigError",
    "AnalysisError",
    "OutcomesWarning",
    "DataQualityWarning",
    # data
    "SessionLog",
    "Courses",
    "build_courses",
    "Col",
    "load_scales",
    # claims catalogue
    "load_catalogue",
    "Claim",
    "Recommendation",
    "Catalogue",
]
