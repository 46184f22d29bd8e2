"""Disclosure control: hand-made tables whose safe versions were worked out on paper."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import outcomes.output.disclosure as disclosure_module
from outcomes.errors import AnalysisError
from outcomes.output.disclosure import (
    NOTE_COLUMN,
    PRIMARY,
    SECONDARY,
    SECONDARY_MARK,
    SUPPRESSION_COLUMNS,
    WITHHELD,
    ColumnTotal,
    RowTotal,
    assert_no_small_counts,
    disclose,
)


def test_docstring_examples_run():
    result = doctest.testmod(disclosure_module)
    assert result.failed == 0 and result.attempted > 0


# ----------------------------------------------------------------------------- primary
def test_counts_1_to_4_are_shown_as_below_min_cell_and_zero_stays():
    t = pd.DataFrame({"group": list("abcdef"), "n": [0, 1, 4, 5, 12, np.nan]})
    out = disclose(t, name="t").table
    assert out["n"].iloc[:5].tolist() == [0, "<5", "<5", 5, 12]
    assert pd.isna(out["n"].iloc[5])
    # whole floats come back as whole numbers, not 5.0
    assert type(out["n"].iloc[3]) is int


def test_count_columns_are_n_and_n_underscore_only():
    t = pd.DataFrame({"n_events": [2], "name_len": [2], "notes": [2], "age": [2]})
    out = disclose(t, unit_column=None).table
    assert out["n_events"].tolist() == ["<5"]
    assert out["name_len"].tolist() == [2]
    assert out["notes"].tolist() == [2]
    assert out["age"].tolist() == [2]


def test_min_cell_sets_the_threshold_and_the_mark():
    t = pd.DataFrame({"n": [5, 9, 10]})
    assert disclose(t, min_cell=10).table["n"].tolist() == ["<10", "<10", 10]


def test_explicit_count_columns():
    t = pd.DataFrame({"events": [3, 8], "n": [2, 2]})
    out = disclose(t, count_columns=["events"]).table
    assert out["events"].tolist() == ["<5", 8]
    assert out["n"].tolist() == [2, 2]


def test_untouched_count_column_keeps_its_dtype():
    t = pd.DataFrame({"n": [7, 9], "n_events": [5, 6]})
    out = disclose(t).table
    assert out["n"].dtype == np.int64 and out["n_events"].dtype == np.int64


# ----------------------------------------------------------------------------- secondary
def two_way(group: str, rows: dict[str, list[int]], parts: list[str]) -> tuple[pd.DataFrame, list]:
    """A two-way table of counts and its margins: a row per entry of ``rows`` (the ``group``
    label -> its counts of ``parts``), then the total row ``all``, and last the total column n."""
    body = pd.DataFrame(list(rows.values()), columns=parts)
    body.insert(0, group, list(rows))
    total = pd.DataFrame([{group: "all", **body[parts].sum().to_dict()}])
    t = pd.concat([body, total], ignore_index=True)
    t["n"] = t[parts].sum(axis=1)
    return t, [RowTotal(group, "all"), ColumnTotal("n", parts)]


def test_column_total_hides_the_smallest_other_part():
    # n = n_events + n_no_events. Row 1: 3 hidden -> 17 (smaller than 20) hidden too.
    # Row 2: 1 and 2 are both primary, and so is 3: nothing to add.
    # Row 3: nothing small.
    t = pd.DataFrame({
        "arm": ["x", "y", "z"],
        "n": [20, 3, 30],
        "n_events": [3, 1, 10],
        "n_no_events": [17, 2, 20],
    })
    d = disclose(t, unit_column=None, margins=ColumnTotal("n", ["n_events", "n_no_events"]))
    assert d.table["n"].tolist() == [20, "<5", 30]
    assert d.table["n_events"].tolist() == ["<5", "<5", 10]
    assert d.table["n_no_events"].tolist() == [SECONDARY_MARK, "<5", 20]
    secondary = d.suppressions[d.suppressions["reason"] == SECONDARY]
    assert secondary[["row", "column"]].values.tolist() == [[2, "n_no_events"]]


def test_two_way_table_with_row_and_column_totals():
    # Worked by hand. Primary: (I, n_moderate)=3.
    #  row I    {13 | 10, 3*, 0}      one hidden -> smallest non-zero other: 10 (I, n_mild)
    #  column n_moderate {3*, 7 | 10} one hidden -> 7 (II, n_moderate)
    #  column n_mild {10*, 8 | 18}    one hidden -> 8 (II, n_mild)
    #  row II {21 | 8*, 7*, 6}        two hidden: stable. Totals all stay visible.
    t, margins = two_way("fitzpatrick", {"I": [10, 3, 0], "II": [8, 7, 6]},
                         ["n_mild", "n_moderate", "n_severe"])
    assert t.values.tolist() == [["I", 10, 3, 0, 13], ["II", 8, 7, 6, 21], ["all", 18, 10, 6, 34]]
    d = disclose(t, margins=margins, name="severity")
    s = SECONDARY_MARK
    assert d.table["n_mild"].tolist() == [s, s, 18]
    assert d.table["n_moderate"].tolist() == ["<5", s, 10]
    assert d.table["n_severe"].tolist() == [0, 6, 6]
    assert d.table["n"].tolist() == [13, 21, 34]
    reasons = {(r.row_label, r.column): r.reason for r in d.suppressions.itertuples()}
    assert reasons == {
        ("fitzpatrick=I", "n_moderate"): PRIMARY,
        ("fitzpatrick=I", "n_mild"): SECONDARY,
        ("fitzpatrick=II", "n_moderate"): SECONDARY,
        ("fitzpatrick=II", "n_mild"): SECONDARY,
    }
    assert set(d.suppressions["table"]) == {"severity"}


def test_long_two_way_table_with_totals_by_group():
    # condition x severity, with "all" rows and columns, in long form.
    rows = [
        ("acne", "mild", 9), ("acne", "moderate", 2), ("acne", "all", 11),
        ("scars", "mild", 6), ("scars", "moderate", 8), ("scars", "all", 14),
        ("all", "mild", 15), ("all", "moderate", 10), ("all", "all", 25),
    ]
    t = pd.DataFrame(rows, columns=["condition", "severity", "n"])
    margins = [RowTotal("severity", "all", by="condition"),
               RowTotal("condition", "all", by="severity")]
    d = disclose(t, margins=margins)
    keys = zip(t["condition"], t["severity"], strict=True)
    shown = dict(zip(keys, d.table["n"], strict=True))
    # acne/moderate=2 primary; acne row {9, 2* | 11} -> 9; moderate column {2*, 8 | 10} -> 8;
    # mild column {9*, 6 | 15} -> 6; scars row {6*, 8* | 14}: stable.
    assert shown[("acne", "moderate")] == "<5"
    assert shown[("acne", "mild")] == SECONDARY_MARK
    assert shown[("scars", "moderate")] == SECONDARY_MARK
    assert shown[("scars", "mild")] == SECONDARY_MARK
    assert [shown[k] for k in [("acne", "all"), ("scars", "all"), ("all", "mild"),
                               ("all", "moderate"), ("all", "all")]] == [11, 14, 15, 10, 25]


def test_zero_is_not_chosen_while_a_non_zero_cell_is_visible():
    t = pd.DataFrame({"g": ["a", "b", "c", "all"], "n": [2, 0, 9, 11]})
    out = disclose(t, margins=RowTotal("g", "all")).table
    assert out["n"].tolist() == ["<5", 0, SECONDARY_MARK, 11]


def test_secondary_cell_may_trigger_other_sums():
    # the complement of the first row's sum lies in a column whose sum then needs another.
    t, margins = two_way("g", {"a": [2, 7], "b": [6, 9]}, ["n_x", "n_y"])
    assert t.values.tolist() == [["a", 2, 7, 9], ["b", 6, 9, 15], ["all", 8, 16, 24]]
    d = disclose(t, margins=margins)
    hidden = d.suppressions[["row", "column"]].values.tolist()
    assert sorted(hidden) == [[2, "n_x"], [2, "n_y"], [3, "n_x"], [3, "n_y"]]
    _check_every_sum_has_two_or_no_hidden(d.table, margins)


def test_table_without_a_total_row_in_a_group_is_left_alone_by_that_margin():
    t = pd.DataFrame({"c": ["x", "x", "y"], "g": ["a", "all", "a"], "n": [3, 10, 8]})
    out = disclose(t, margins=RowTotal("g", "all", by="c")).table
    # group x: {3* | 10} -> total hidden; group y has no total row.
    assert out["n"].tolist() == ["<5", SECONDARY_MARK, 8]


# ----------------------------------------------------------------------------- estimates
def test_estimates_of_small_rows_are_withheld_with_a_note():
    t = pd.DataFrame({
        "condition": ["acne", "scars", "melasma"],
        "estimate": [0.5, 0.7, np.nan],
        "ci_low": [0.4, 0.1, np.nan],
        "ci_high": [0.6, 0.9, np.nan],
        "n": [40, 3, 0],
        "method": ["wilson"] * 3,
    })
    d = disclose(t, name="claims")
    out = d.table
    assert out["estimate"].iloc[0] == 0.5
    assert out[["estimate", "ci_low", "ci_high"]].iloc[1].isna().all()
    assert out[NOTE_COLUMN].tolist() == ["", "estimates withheld: n below 5", ""]
    withheld = d.suppressions[d.suppressions["reason"] == WITHHELD]
    # row 3 had no estimates to withhold: nothing listed for it
    assert withheld["column"].tolist() == ["estimate", "ci_low", "ci_high"]
    assert set(withheld["row"]) == {3}


def test_estimate_with_unknown_unit_count_is_withheld():
    t = pd.DataFrame({"mean": [4.0], "n": [np.nan]})
    out = disclose(t).table
    assert pd.isna(out["mean"].iloc[0])
    assert out[NOTE_COLUMN].iloc[0] == "estimates withheld: n unknown"


def test_share_is_withheld_when_a_count_of_its_row_is_hidden():
    # 3/40 would give the hidden 3 back.
    t = pd.DataFrame({"n": [40, 40], "n_events": [3, 10], "share_events": [0.075, 0.25],
                      "median": [2.0, 3.0]})
    d = disclose(t)
    assert pd.isna(d.table["share_events"].iloc[0]) and d.table["share_events"].iloc[1] == 0.25
    assert d.table["median"].tolist() == [2.0, 3.0]
    assert "share_events withheld" in d.table[NOTE_COLUMN].iloc[0]


def test_estimate_columns_can_be_named_and_integer_estimates_become_blank():
    t = pd.DataFrame({"worst": [7, 9], "n": [2, 8]})
    out = disclose(t, estimate_columns=["worst"]).table
    assert pd.isna(out["worst"].iloc[0]) and out["worst"].iloc[1] == 9


def test_estimates_without_a_unit_column_are_refused_unless_told():
    t = pd.DataFrame({"estimate": [0.3], "n_units": [30]})
    with pytest.raises(AnalysisError, match="unit_column"):
        disclose(t)
    assert disclose(t, unit_column="n_units").table["estimate"].tolist() == [0.3]
    assert disclose(t, unit_column=None).table["estimate"].tolist() == [0.3]


# ----------------------------------------------------------------------------- contract
def _mixed_table() -> pd.DataFrame:
    return pd.DataFrame({
        "condition": pd.Categorical(["acne", "acne", "scars", "all"],
                                    categories=["acne", "scars", "all"]),
        "event": pd.Series(["pih", "erythema", "pih", "all"], dtype="str"),
        "n": pd.Series([2, 30, 6, 38], dtype="int64"),
        "n_events": pd.Series([1.0, 12.0, 5.0, 18.0]),
        "estimate": [0.5, 0.4, 0.83, 0.47],
        "when": pd.to_datetime(["2024-01-01"] * 4),
    })


def test_input_is_not_modified():
    t = _mixed_table()
    before = t.copy(deep=True)
    disclose(t, margins=RowTotal("condition", "all"))
    pd.testing.assert_frame_equal(t, before)


def test_works_with_string_categorical_float_and_integer_columns():
    d = disclose(_mixed_table(), margins=RowTotal("condition", "all"), name="mixed")
    # one sum over the whole table: {2*, 30, 6 | 38} -> 6; {1*, 12, 5 | 18} -> 5
    assert d.table["n"].tolist() == ["<5", 30, SECONDARY_MARK, 38]
    assert d.table["n_events"].tolist() == ["<5", 12, SECONDARY_MARK, 18]
    assert d.table["condition"].dtype == "category"
    assert d.suppressions["row_label"].iloc[0] == "condition=acne, event=pih"
    assert assert_no_small_counts(d.table).empty


def test_index_is_kept_and_named_index_labels_the_rows():
    t = pd.DataFrame({"n": [3, 9]}, index=pd.Index(["a", "b"], name="site"))
    d = disclose(t)
    assert d.table.index.tolist() == ["a", "b"]
    assert d.suppressions["row_label"].tolist() == ["site=a"]


def test_disclosing_twice_changes_nothing():
    margins = RowTotal("condition", "all")
    once = disclose(_mixed_table(), margins=margins)
    twice = disclose(once.table, margins=margins)
    pd.testing.assert_frame_equal(once.table, twice.table)
    assert twice.suppressions.empty


def test_suppressions_table_shape_and_no_hidden_value():
    t = pd.DataFrame({"g": ["a", "b"], "n": [3, 9]})
    s = disclose(t, name="demo").suppressions
    assert list(s.columns) == SUPPRESSION_COLUMNS
    assert s.dtypes["row"] == np.int64
    assert s.values.tolist() == [
        ["demo", 2, "g=a", "n", PRIMARY, "count between 1 and 4 shown as <5"]]
    assert "3" not in " ".join(s.astype(str).values.ravel()).replace("demo", "")


def test_empty_table_and_no_suppression_give_empty_suppressions():
    s = disclose(pd.DataFrame({"n": pd.Series([], dtype="int64")})).suppressions
    assert s.empty and list(s.columns) == SUPPRESSION_COLUMNS


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_bad_min_cell_is_refused(bad):
    with pytest.raises(AnalysisError, match="min_cell"):
        disclose(pd.DataFrame({"n": [1]}), bad)


def test_margin_naming_a_missing_column_is_refused():
    with pytest.raises(AnalysisError, match="n_no_events"):
        disclose(pd.DataFrame({"n": [1], "n_events": [1]}),
                 margins=ColumnTotal("n", ["n_events", "n_no_events"]))


def test_margins_of_the_wrong_kind_are_refused():
    with pytest.raises(AnalysisError, match="RowTotal or ColumnTotal"):
        disclose(pd.DataFrame({"n": [1]}), margins=[{"n": ["n_x"]}])


def test_two_total_rows_in_a_group_are_refused():
    t = pd.DataFrame({"g": ["a", "all", "all"], "n": [1, 5, 5]})
    with pytest.raises(AnalysisError, match="one total row"):
        disclose(t, margins=RowTotal("g", "all"))


def test_margin_parts_are_count_columns_whatever_their_names():
    t = pd.DataFrame({"total": [20], "events": [3], "no_events": [17]})
    out = disclose(t, margins=ColumnTotal("total", ["events", "no_events"])).table
    assert out.iloc[0].tolist() == [20, "<5", SECONDARY_MARK]


# ----------------------------------------------------------------------------- checker
def test_assert_no_small_counts_finds_cells_and_reads_text():
    bad = pd.DataFrame({"n": ["12", "3", "<5"], "n_x": [0, 4.0, np.nan], "age": [1, 2, 3]})
    found = assert_no_small_counts(bad)
    assert found.values.tolist() == [[3, "n", 3.0], [3, "n_x", 4.0]]
    assert assert_no_small_counts(bad, count_columns=["age"])["value"].tolist() == [1.0, 2.0, 3.0]


# ----------------------------------------------------------------------------- property
def _check_every_sum_has_two_or_no_hidden(table, margins):
    def hidden(v):
        return isinstance(v, str)

    for m in margins:
        if isinstance(m, ColumnTotal):
            for _, row in table.iterrows():
                k = sum(hidden(row[c]) for c in [m.total, *m.parts])
                assert k != 1, row
        else:
            for c in [c for c in table.columns if c.startswith("n")]:
                k = sum(hidden(v) for v in table[c])
                assert k != 1, c


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=6))
def test_no_small_count_survives_and_no_sum_has_a_single_hidden_cell(rows):
    # a two-way table of a dozen patients' sessions, with both margins
    t, margins = two_way("g", {f"g{i}": list(row) for i, row in enumerate(rows)}, ["n_a", "n_b"])
    d = disclose(t, margins=margins)
    assert assert_no_small_counts(d.table).empty
    _check_every_sum_has_two_or_no_hidden(d.table, margins)


# ------------------------------------------------------------------------------ releases
def test_release_hides_a_shared_count_everywhere():
    from outcomes.output.release import Link, Release, Sum

    rel = Release(5)
    rel.add("a", pd.DataFrame({"group": ["x", "y", "all"], "n": [3, 9, 12]}),
            rules=[Sum("group", "all")])
    rel.add("b", pd.DataFrame({"what": ["y"], "n": [9]}),
            rules=[Link("n", "a", "n", on={"what": "group"})])
    out = rel.publish()
    assert out.tables["a"]["n"].tolist() == ["<5", "*", 12]
    assert out.tables["b"]["n"].tolist() == ["*"]
    assert out.pinned == 0


def test_release_drops_a_relation_that_does_not_hold():
    from outcomes.output.release import Release, Sum

    rel = Release(5)
    rel.add("a", pd.DataFrame({"group": ["x", "y", "all"], "n": [3, 9, 13]}),
            rules=[Sum("group", "all")])
    out = rel.publish()
    assert out.relations == []
    assert out.tables["a"]["n"].tolist() == ["<5", 9, 13]


def test_release_withholds_a_share_that_gives_a_small_count_back():
    from outcomes.output.release import Release

    rel = Release(5)
    rel.add("s", pd.DataFrame({"n": [35, 40], "estimate": [3 / 35, 0.5]}))
    t = rel.publish().tables["s"]
    assert np.isnan(t["estimate"].iloc[0]) and t["estimate"].iloc[1] == 0.5


@pytest.mark.parametrize("text, expected", [
    ("Wilson score (5 courses from 4 patients)", "Wilson score"),
    ("Kaplan-Meier (3 independent events, 3 events); 2 at risk", "Kaplan-Meier"),
    ("only 3 courses; a verdict needs at least 10", "only <5 courses; a verdict needs at least 10"),
    ("t interval on 1 df (2 clusters)", "t interval on <5 df"),
])
def test_scrub_text_takes_small_counts_out(text, expected):
    from outcomes.output.release import find_small_counts, scrub_text

    assert find_small_counts(text)
    assert scrub_text(text) == expected
    assert not find_small_counts(scrub_text(text))
