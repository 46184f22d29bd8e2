"""Simulated bundles with a known truth: the parameters (one knob per claim and per audit
deviation, with their constraints), the truth as plain functions of the parameters, the draw of
sessions, assessments and adverse events, and the injected faults with their ground truth.

``params`` has :class:`SimulationParams` and its table of constraints, ``truth`` the true value
of each claim (:func:`truth.truth`, also ``SimulationParams().truth()``), ``draw``
:func:`simulate`, and ``faults`` the data-entry faults (:class:`faults.FaultKind`). Writing a
bundle to files is :func:`outcomes.bundle.write.write_bundle`.

Why this package can be called: ``outcomes.simulate`` is both the public function
:func:`outcomes.simulate.draw.simulate` and this package. Once any module of the package is
imported (``import outcomes.simulate.draw``), Python binds the package to the attribute
``simulate`` of ``outcomes``, where the function was meant to be. Calling the package calls the
function, so ``outcomes.simulate(...)`` works whichever was imported first.
"""

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """Run :func:`outcomes.simulate.draw.simulate` (imported only when called)."""
        from .draw import simulate

        return simulate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
