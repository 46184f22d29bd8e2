"""Outcome and side-effect statistics: tidy tables with estimate, ci_low, ci_high, n, method.

``intervals`` and ``survival`` hold the patient-clustered primitives, ``regression`` the CR2
least squares with Bell-McCaffrey df they rest on, ``blockwise`` the same fit a block of whole
patients at a time (the design never held whole), ``adjusted`` the comparisons standardised
over what differs between the groups (and E-values); one module per analysis besides.
"""
