"""The quality audit: data-quality checks, protocol adherence, safety signals by provider, and
:func:`audit`, which runs them with the settings of ``audit.toml``.
"""
