"""Claims as data and their verdicts: the catalogue (``claims.toml`` and user overrides), the
verdict rules (a :class:`Decision` from an estimate and its interval), and
:func:`evaluate_claims`, which estimates what every claim is about.
"""
