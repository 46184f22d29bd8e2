"""The contract's schema module: vocabularies and scales, and malformed user scale files."""

from __future__ import annotations

import pytest

from outcomes import ConfigError, load_scales
from outcomes.bundle.schema import SESSIONS, TABLES, vocabulary, vocabulary_dtype


def test_vocabularies_and_ordered_dtypes():
    assert vocabulary("setting") == ["professional", "home"]
    assert vocabulary_dtype("fitzpatrick").ordered
    assert not vocabulary_dtype("condition").ordered
    assert set(TABLES) == {"sessions", "assessments", "adverse_events"}
    assert SESSIONS.required_columns == ["patient_id", "session_id", "session_date", "condition",
                                         "setting"]


def test_builtin_scales_match_the_contract():
    scales = load_scales()
    gb = scales["goodman_baron_quantitative"]
    assert (gb.low, gb.high, gb.better, gb.kind, gb.best) == (0, 84, "lower", "bounded", 0)
    hair = scales["hair_density"]
    assert (hair.better, hair.kind) == ("higher", "relative")
    assert scales["gais"].no_change == 4


def test_user_scale_adds_and_overrides(tmp_path):
    path = tmp_path / "scales.toml"
    path.write_text('[pore_count]\nmin = 0\nmax = 200\nbetter = "lower"\n'
                    'conditions = ["enlarged_pores"]\n\n[masi]\nmin = 0\nmax = 24\n'
                    'better = "lower"\n')
    scales = load_scales(path)
    assert scales["pore_count"].conditions == ("enlarged_pores",)
    assert scales["masi"].high == 24  # mMASI declared by the user
    assert "gais" in scales


@pytest.mark.parametrize("text, words", [
    ('[s]\nmin = 0\nmax = 4\nbetter = "up"\n', "'better' must be 'lower' or 'higher'"),
    ('[s]\nmin = 0\nmax = 4\nbetter = "lower"\nkind = "odd"\n', "'kind' must be one of"),
    ('[s]\nmin = 5\nmax = 4\nbetter = "lower"\n', "must be below 'max'"),
    ('[s]\nmin = "a"\nmax = 4\nbetter = "lower"\n', "must be numbers"),
    ('[s]\nmin = 0\nbetter = "lower"\n', "needs both 'min' and 'max'"),
    ('[s]\nmin = 1\nmax = 5\nbetter = "lower"\nkind = "change"\n', "needs 'no_change'"),
    ('[s]\nmin = 0\nmax = 4\nbetter = "lower"\nconditions = ["acne"]\n', "unknown conditions"),
    ("s = 3\n", "expected a table of fields"),
    ("[s\n", "not valid TOML"),
])
def test_malformed_scales_file_names_scale_and_field(tmp_path, text, words):
    path = tmp_path / "my_scales.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="my_scales.toml") as err:
        load_scales(path)
    assert words in str(err.value)


def test_unreadable_scales_file(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read the scales file"):
        load_scales(tmp_path / "absent.toml")


def test_column_kinds_are_a_closed_set():
    from outcomes.bundle.schema import Column, ColumnKind

    assert Column("x", "date").kind is ColumnKind.DATE
    assert ColumnKind.DATE == "date"  # plain text where text is expected
    with pytest.raises(ValueError):
        Column("x", "datetime")
    assert {c.kind for t in TABLES.values() for c in t.columns} <= set(ColumnKind)
