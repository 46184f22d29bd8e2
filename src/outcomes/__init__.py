"""outcomes: turn anonymised microneedling session logs into evidence.

The public API is listed in ``__all__``; notebooks and the command line use nothing else.
Data flow one way: load/validate -> courses -> statistics -> claims, audit -> reports.

>>> import outcomes
>>> log = outcomes.load_sample()
>>> log.counts["accepted"].to_dict()
{'sessions': 1581, 'assessments': 1696, 'adverse_events': 2545}
>>> outcomes.evaluate_claims(log).table[["id", "verdict"]].head(3)
                        id       verdict
0  acne-scars-4-6-sessions  inconclusive
1   single-session-visible  inconclusive
2           redness-24-48h  inconclusive

Notes
-----
``import outcomes`` imports nothing but this file: each public name is imported from the module
that defines it the first time it is used (a module ``__getattr__``, PEP 562), so that
``outcomes --help`` does not wait for pandas, scipy, statsmodels or matplotlib. ``_PUBLIC`` below
is the one list of the public names and where each lives; ``__all__`` is its keys.
"""

from __future__ import annotations

import importlib

#: Every public name and the module (below ``outcomes``) that defines it, in the order of
#: ``__all__``. Moving a public name to another module means changing its line here, only.
_PUBLIC: dict[str, str] = {
    "__version__": "_version",
    # errors and warnings
    "OutcomesError": "errors",
    "BundleError": "errors",
    "IdentifyingDataError": "errors",
    "ConfigError": "errors",
    "AnalysisError": "errors",
    "ParameterError": "errors",
    "OutputError": "errors",
    "OutcomesWarning": "errors",
    "DataQualityWarning": "errors",
    # loading and courses
    "load_bundle": "bundle.load",
    "SessionLog": "bundle.log",
    "load_scales": "bundle.schema",
    "load_sample": "datasets",
    "Limits": "bundle.limits",
    "Col": "stats.result",
    "build_courses": "courses",
    "combine_courses": "courses",
    "Courses": "courses",
    # simulated bundles
    "simulate": "simulate.draw",
    "SimulationParams": "simulate.params",
    "write_bundle": "bundle.write",
    # interval and survival primitives
    "Estimate": "stats.intervals",
    "wilson": "stats.intervals",
    "proportion": "stats.intervals",
    "proportion_difference": "stats.intervals",
    "mean": "stats.intervals",
    "mean_difference": "stats.intervals",
    "risk_ratio": "stats.intervals",
    "median": "stats.intervals",
    "cluster_bootstrap": "stats.intervals",
    "kaplan_meier": "stats.survival",
    "kaplan_meier_by": "stats.survival",
    "KMResult": "stats.survival",
    # outcome statistics
    "outcomes_by_condition": "stats.by_condition",
    "ByCondition": "stats.by_condition",
    "dose_response": "stats.dose_response",
    "DoseResponse": "stats.dose_response",
    # side-effect statistics
    "incidence": "stats.side_effects.incidence",
    "Incidence": "stats.side_effects.incidence",
    "resolution": "stats.side_effects.resolution",
    "Resolution": "stats.side_effects.resolution",
    "skin_type": "stats.skin_type",
    "SkinType": "stats.skin_type",
    "spacing": "stats.spacing",
    "Spacing": "stats.spacing",
    # claims
    "load_catalogue": "claims.catalogue",
    "Catalogue": "claims.model",
    "Claim": "claims.model",
    "Recommendation": "claims.model",
    "evaluate_claims": "claims.evaluate",
    "ClaimsResult": "claims.result",
    # quality audit
    "audit": "audit.run",
    "AuditResult": "audit.result",
    "load_audit_config": "audit.config",
    "adherence": "audit.adherence",
    "Adherence": "audit.adherence",
    # everything at once, reports and disclosure control
    "analyse": "analysis",
    "Results": "analysis",
    # the engines: out of core by patient partition, or on Dask (docs/scale.md)
    "evaluate_bundle": "engine.evaluate",
    "load_courses": "engine.run",
    "write_report": "report.write",
    "ReportResult": "report.write",
    "write_audit": "report.audit",
    "disclose": "output.disclosure",
    "RowTotal": "output.disclosure",
    "ColumnTotal": "output.disclosure",
    "assert_no_small_counts": "output.disclosure",
    # notebooks
    "Dashboard": "app.dashboard",
}

__all__ = list(_PUBLIC)


def __getattr__(name: str):
    """Import a public name from its module on first use, and keep it here for the next."""
    try:
        where = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    # Set after the import: importing outcomes.audit.run binds the package outcomes.audit to the
    # name "audit" here, and the function replaces it (see audit/__init__.py; simulate likewise).
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
