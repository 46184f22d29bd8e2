"""The quality audit: data-quality checks, protocol adherence, safety signals by provider, and
:func:`audit`, which runs them with the settings of ``audit.toml``.

One module per job: ``quality`` (the checks), ``adherence`` (practice recommendations),
``signals`` (notable adverse-event rates), ``config`` (``audit.toml`` and ``load_audit_config``),
``result`` (``AuditResult``) and ``run`` (``audit``). Nothing here writes files: the audit's files
are :func:`outcomes.report.audit.write_audit`'s.
"""
