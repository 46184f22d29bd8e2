"""The clinician dashboard.

A front door like the command line: nothing in the package imports it.
"""
