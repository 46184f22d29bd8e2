"""Every docstring example of the package runs and shows what it says.

The examples load the sample shipped in the package (:func:`outcomes.load_sample`), so they run
anywhere; one test per module, so that a failure names the module (doctest prints the failing
example above the assertion). Matplotlib draws on the Agg backend (conftest.py).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import outcomes
from outcomes.errors import DataQualityWarning


def _module_names() -> list[str]:
    names = [outcomes.__name__]
    for info in pkgutil.walk_packages(outcomes.__path__, prefix=f"{outcomes.__name__}."):
        # ``outcomes.cli.__main__`` runs the command line when imported: it has no examples
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        names.append(info.name)
    return names


MODULES = _module_names()


def test_every_room_is_walked():
    assert {"outcomes.datasets", "outcomes.app.dashboard", "outcomes.stats.spacing",
            "outcomes.report.audit", "outcomes.cli.validate"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the sample has faults, on purpose
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE
                                 | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"
