"""The sample bundle shipped in the package: ``load_sample()`` is ``load_bundle("data/sample")``."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import pandas as pd
import pytest

import outcomes.datasets
from outcomes import load_bundle
from outcomes.bundle.schema import TABLES
from outcomes.datasets import load_sample
from outcomes.errors import DataQualityWarning

ROOT = Path(__file__).resolve().parents[1]


def test_load_sample_is_the_sample_folder_loaded():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        shipped = load_sample()
        folder = load_bundle(ROOT / "data" / "sample")
    for name in TABLES:
        pd.testing.assert_frame_equal(shipped.table(name), folder.table(name))
        pd.testing.assert_frame_equal(shipped.rejects[name], folder.rejects[name])
    pd.testing.assert_frame_equal(shipped.warnings, folder.warnings)
    pd.testing.assert_frame_equal(shipped.counts, folder.counts)
    assert shipped.checksums == folder.checksums
    assert shipped.source == folder.source == "sample"
    assert shipped.sessions[TABLES["sessions"].names[0]].nunique() == 300


def test_load_sample_warns_of_its_deliberate_faults():
    with pytest.warns(DataQualityWarning, match="sample: 71 row\\(s\\) quarantined"):
        load_sample()


def test_the_examples_of_the_docstring_run():
    result = doctest.testmod(outcomes.datasets)
    assert result.attempted and not result.failed
