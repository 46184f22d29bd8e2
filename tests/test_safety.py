"""Formula neutralisation of exported text cells (OWASP CSV injection)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import outcomes.output.safety as safety_module
from outcomes.output.safety import FORMULA_PREFIXES, neutralise_formulas, neutralise_text


def test_docstring_examples_run():
    result = doctest.testmod(safety_module)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
                                  "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"y\")", "-", "+"])
def test_formula_text_gets_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("value", ["ok", "a=b", "", " =1", "'=1", "<5", "*", "-1.5", "+3",
                                   "-2e-3", "-.5", 0, -1.5, None, np.nan])
def test_safe_values_are_unchanged(value):
    out = neutralise_text(value)
    assert out is value


def test_every_listed_prefix_is_neutralised():
    assert all(neutralise_text(p + "x").startswith("'") for p in FORMULA_PREFIXES)


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "text": pd.Series(["=1+1", "ok", None], dtype="str"),
        "obj": pd.Series(["@x", 3, -4.5], dtype=object),
        "cat": pd.Categorical(["-cmd", "fine", "-cmd"]),
        "cat_safe": pd.Categorical(["a", "b", "a"]),
        "num": [-1.0, 2.0, -3.5],
        "int": [-1, 0, 1],
        "when": pd.to_datetime(["2024-01-01"] * 3),
    })


def test_dataframe_text_cells_neutralised_numbers_untouched():
    out = neutralise_formulas(_table())
    assert out["text"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out["text"].iloc[2])
    assert out["obj"].tolist() == ["'@x", 3, -4.5]
    assert out["cat"].tolist() == ["'-cmd", "fine", "'-cmd"]
    assert out["num"].dtype == np.float64 and out["num"].tolist() == [-1.0, 2.0, -3.5]
    assert out["int"].dtype == np.int64 and out["int"].tolist() == [-1, 0, 1]


def test_unchanged_columns_keep_their_dtype():
    out = neutralise_formulas(_table())
    assert out["cat_safe"].dtype == "category"
    assert out["when"].dtype == _table()["when"].dtype


def test_column_names_are_neutralised_too():
    out = neutralise_formulas(pd.DataFrame({"=cmd": [1], "n": [2], 3: [4]}))
    assert list(out.columns) == ["'=cmd", "n", 3]


def test_input_is_not_modified():
    t = _table()
    before = t.copy(deep=True)
    neutralise_formulas(t)
    pd.testing.assert_frame_equal(t, before)


def test_empty_frame():
    out = neutralise_formulas(pd.DataFrame({"a": pd.Series([], dtype="str")}))
    assert out.empty and list(out.columns) == ["a"]



def test_each_cell_as_neutralise_text_would_make_it():
    """The vectorised search for cells to look at misses none that neutralise_text changes."""
    cells = ["=1", "ok", "-1.5", "-x", "+3", "@a", "\t=1", "\r", "", "a=b", None, "'=1"] * 50
    t = pd.DataFrame({
        "text": pd.Series(cells, dtype="str"),
        "obj": pd.Series([*cells[:-3], 3, -4.5, True], dtype=object),
        "cat": pd.Categorical(cells),
        "=head": pd.Series(cells, dtype=object),
    })
    out = neutralise_formulas(t)
    assert list(out.columns) == ["text", "obj", "cat", "'=head"]

    def blank(v):  # None and NaN alike: the str dtype keeps a missing value as NaN
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    for before, after in zip(t.columns, out.columns, strict=True):
        expected = [blank(neutralise_text(v)) for v in t[before].astype(object)]
        assert [blank(v) for v in out[after].astype(object)] == expected, before
