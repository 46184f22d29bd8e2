"""The quality audit: data-quality checks, protocol adherence, safety signals by provider, and
:func:`audit`, which runs them with the settings of ``audit.toml``.

One module per job: ``quality`` (the checks and their statuses), ``adherence`` (practice
recommendations, in scope), ``signals`` (notable adverse-event rates), ``casemix`` (the case-mix
model), ``funnel`` (funnel plots, Spiegelhalter 2005), ``cusum`` (risk-adjusted CUSUM, Steiner
2000), ``monitoring`` (both, on one bundle), ``config`` (``audit.toml`` and
``load_audit_config``), ``result`` (``AuditResult``), ``rescore`` (a stored ``audit.json``
against new thresholds) and ``run`` (``audit``). Nothing here writes files: the audit's files
are :func:`outcomes.report.audit.write_audit`'s.

Why this package can be called: ``outcomes.audit`` is both the public function
:func:`outcomes.audit.run.audit` and this package. Once any module of the package is imported
(``import outcomes.audit.quality``), Python binds the package to the attribute ``audit`` of
``outcomes``, where the function was meant to be. Calling the package calls the function, so
``outcomes.audit(log, ...)`` works whichever was imported first.
"""

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """Run :func:`outcomes.audit.run.audit` (imported only when called)."""
        from .run import audit

        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
