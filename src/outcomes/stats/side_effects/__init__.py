"""Side-effect statistics: how often adverse events happen and how fast they resolve.

Exports :func:`incidence` and its :class:`Incidence` (``incidence.py``: share of sessions or
courses with an event, by event type and group) and :func:`resolution` and its
:class:`Resolution` (``resolution.py``: Kaplan-Meier time to resolution). Both group their units
with :mod:`outcomes.stats.grouping`.
"""

from __future__ import annotations

from .incidence import Incidence, incidence
from .resolution import Resolution, resolution

__all__ = ["Incidence", "Resolution", "incidence", "resolution"]
