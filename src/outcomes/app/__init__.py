"""The clinician dashboard (a front door like the command line: nothing in the package imports it)."""
