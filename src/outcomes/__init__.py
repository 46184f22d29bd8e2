"""outcomes: turn anonymised microneedling session logs into evidence.

The public API is listed in ``__all__``; notebooks and the command line use nothing else.
Data flow one way: load/validate -> courses -> statistics -> claims, audit -> reports.

>>> import outcomes                                                     # doctest: +SKIP
>>> log = outcomes.load_bundle("data/sample")                           # doctest: +SKIP
>>> outcomes.evaluate_claims(log).table[["id", "verdict"]]              # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .analysis import Results, analyse
from .app.dashboard import Dashboard
from .audit.adherence import Adherence, adherence
from .audit.run import AuditResult, audit, load_audit_config
from .bundle.load import load_bundle
from .bundle.log import SessionLog
from .bundle.schema import load_scales
from .claims.catalogue import Catalogue, Claim, Recommendation, load_catalogue
from .claims.evaluate import ClaimsResult, evaluate_claims
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
from .output.disclosure import ColumnTotal, RowTotal, assert_no_small_counts, disclose
from .report.write import ReportResult, write_report
from .simulate.draw import SimulationParams, simulate, write_bundle
from .stats.by_condition import ByCondition, outcomes_by_condition
from .stats.dose_response import DoseResponse, dose_response
from .stats.intervals import (
    Estimate,
    cluster_bootstrap,
    mean,
    mean_difference,
    median,
    proportion,
    proportion_difference,
    risk_ratio,
    wilson,
)
from .stats.result import Col
from .stats.side_effects import Incidence, Resolution, incidence, resolution
from .stats.skin_type import SkinType, skin_type
from .stats.spacing import Spacing, spacing
from .stats.survival import KMResult, kaplan_meier, kaplan_meier_by

__all__ = [
    "__version__",
    # errors and warnings
    "OutcomesError",
    "BundleError",
    "IdentifyingDataError",
    "ConfigError",
    "AnalysisError",
    "OutcomesWarning",
    "DataQualityWarning",
    # loading and courses
    "load_bundle",
    "SessionLog",
    "load_scales",
    "Col",
    "build_courses",
    "Courses",
    # simulated bundles
    "simulate",
    "SimulationParams",
    "write_bundle",
    # interval and survival primitives
    "Estimate",
    "wilson",
    "proportion",
    "proportion_difference",
    "mean",
    "mean_difference",
    "risk_ratio",
    "median",
    "cluster_bootstrap",
    "kaplan_meier",
    "kaplan_meier_by",
    "KMResult",
    # outcome statistics
    "outcomes_by_condition",
    "ByCondition",
    "dose_response",
    "DoseResponse",
    # side-effect statistics
    "incidence",
    "Incidence",
    "resolution",
    "Resolution",
    "skin_type",
    "SkinType",
    "spacing",
    "Spacing",
    # claims
    "load_catalogue",
    "Catalogue",
    "Claim",
    "Recommendation",
    "evaluate_claims",
    "ClaimsResult",
    # quality audit
    "audit",
    "AuditResult",
    "load_audit_config",
    "adherence",
    "Adherence",
    # everything at once, reports and disclosure control
    "analyse",
    "Results",
    "write_report",
    "ReportResult",
    "disclose",
    "RowTotal",
    "ColumnTotal",
    "assert_no_small_counts",
    # notebooks
    "Dashboard",
]
