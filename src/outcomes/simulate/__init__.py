"""Simulated bundles with a known truth: the parameters (one knob per claim and per audit
deviation, with their constraints), the truth as plain functions of the parameters, the draw of
sessions, assessments and adverse events, and the injected faults with their ground truth.
"""
