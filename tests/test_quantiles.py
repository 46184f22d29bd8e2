"""The normal and t quantiles of :mod:`outcomes.stats.quantiles` are bit for bit
``scipy.stats``'s (the reference here: the module exists so that commands need not import it)."""

import numpy as np
import pytest
from scipy import stats

from outcomes.stats.quantiles import norm_isf, t_isf

LEVELS = [0.5, 0.025, 0.005, 0.05 / 49 / 2, 1e-9, 0.0, 1.0, -0.1, 1.5, np.nan]
DF = [0.3, 1.0, 1.7, 2.0, 3.0, 4.5, 9.0, 29.0, 100.0, 1e6, 1e15, np.inf, 0.0, -1.0, np.nan]


@pytest.mark.parametrize("q", LEVELS)
def test_t_isf_is_scipy_stats(q):
    np.testing.assert_array_equal(t_isf(q, np.array(DF)), stats.t.isf(q, np.array(DF)))
    for df in DF:  # scalars in, scalars out
        got, want = t_isf(q, df), stats.t.isf(q, df)
        assert np.shape(got) == np.shape(want) == ()
        assert (np.isnan(got) and np.isnan(want)) or got == want


@pytest.mark.parametrize("q", LEVELS)
def test_norm_isf_is_scipy_stats(q):
    got, want = norm_isf(q), stats.norm.isf(q)
    assert np.shape(got) == ()
    assert (np.isnan(got) and np.isnan(want)) or got == want
    np.testing.assert_array_equal(norm_isf(np.array(LEVELS)), stats.norm.isf(np.array(LEVELS)))


def test_a_command_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = ("import sys, outcomes.claims.evaluate, outcomes.engine; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
