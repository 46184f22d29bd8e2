"""Bundles shipped in the package, so that examples and docstrings run anywhere:
:func:`load_sample`, the simulated sample bundle (its data card is ``sample/README.md``).
"""

from __future__ import annotations

from importlib import resources

from ..bundle.load import load_bundle
from ..bundle.log import SessionLog

__all__ = ["load_sample"]


def load_sample() -> SessionLog:
    """Load the sample bundle shipped in the package.

    A simulated, anonymised bundle of 300 patients (1,591 sessions, 1,712 assessments, 2,590
    adverse events), drawn by :mod:`outcomes.simulate` with seed 20241118; no row describes a
    real person. About one row in a hundred carries a deliberate data-entry fault, so loading it
    quarantines some rows: the data card (``sample/README.md`` in this folder) lists the faults,
    how the sample was generated and its true parameters.

    Returns
    -------
    SessionLog
        What :func:`~outcomes.load_bundle` returns for the folder ``sample`` (its ``source``).

    Warns
    -----
    DataQualityWarning
        Once, for the rows quarantined and the values blanked (the injected faults).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(action="ignore"):  # the faults are there on purpose
    ...     log = load_sample()
    >>> log.source, log.sessions["patient_id"].nunique()
    ('sample', 300)
    >>> log.counts.loc["sessions"].tolist()
    [1591, 1581, 10, 3]
    """
    with resources.as_file(resources.files(__name__).joinpath("sample")) as folder:
        return load_bundle(folder)
