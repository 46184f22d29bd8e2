"""Simulated bundles with a known truth: the parameters (one knob per claim and per audit
deviation, with their constraints), the truth as plain functions of the parameters, the draw of
sessions, assessments and adverse events, and the injected faults with their ground truth.

``params`` has :class:`SimulationParams` and its table of constraints, ``truth`` the true value
of each claim (:func:`truth.truth`, also ``SimulationParams().truth()``), ``draw``
:func:`simulate`, and ``faults`` the data-entry faults (:class:`faults.FaultKind`). Writing a
bundle to files is :func:`outcomes.bundle.write.write_bundle`.
"""
