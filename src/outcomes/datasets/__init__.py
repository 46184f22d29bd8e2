"""Bundles shipped in the package, so that examples and docstrings run anywhere:
:func:`load_sample`.
"""
