"""Outcome and side-effect statistics: tidy tables with estimate, ci_low, ci_high, n, method."""
