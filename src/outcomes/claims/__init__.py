"""Claims as data and their verdicts from a clinic's own data.

``registry`` declares every estimand and check key; ``model`` holds the catalogue's objects
(:class:`Claim`, :class:`Recommendation`, :class:`Conflict`, :class:`Catalogue`); ``catalogue``
reads and validates ``claims.toml`` and a user's changes to it (:func:`load_catalogue`);
``verdicts`` has the rules (the :class:`Verdict` and :class:`Rule` enums, :func:`decide` giving a
:class:`Decision`); ``evaluate`` estimates what every claim is about (:func:`evaluate_claims`);
``compare`` gives the comparative claims their crude, adjusted and equal-sessions estimates;
``sensitivity`` the verdicts at a family-wise level and with resolution times from onset;
``result`` is what it returns (:class:`ClaimsResult`). Nothing here imports the audit or the
output rooms: the conflicts table, which sets claims beside the audited recommendations, is drawn
up in :mod:`outcomes.analysis`.
"""
