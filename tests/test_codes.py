"""Integer codes of id columns (outcomes.bundle.codes): the radix-key path gives what pandas and
arrow give, on ids of one width, of several widths, with missing values, at 5, 20 and many
patients, and ids it does not fit fall back to arrow with the same answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from outcomes.bundle.codes import (
    MOST_KEY_BYTES,
    id_categorical,
    ids_in,
    key_order,
    key_positions,
    positions,
    radix_keys,
    shared_codes,
    sorted_codes,
    unique_keys,
)


def _ids(rng, n, widths, alphabet="0123456789", prefix="P", missing=0.0):
    """n random ids: ``prefix`` then digits, each of a width drawn from ``widths``."""
    letters = np.array(list(alphabet))
    ids = [prefix + "".join(rng.choice(letters, size=int(rng.choice(widths))))
           for _ in range(n)]
    values = pd.Series(ids, dtype="str")
    if missing:
        values[rng.random(n) < missing] = None
    return values


CASES = {
    "one width": {"widths": [6]},
    "several widths": {"widths": [1, 2, 3, 5]},
    "one width, missing": {"widths": [6], "missing": 0.2},
    "several widths, missing": {"widths": [0, 2, 4], "missing": 0.2},
    "non-ascii": {"widths": [2, 3], "alphabet": "aéz€ß"},
    "two words": {"widths": [13], "prefix": "PATIENT"},
    "too long for a key": {"widths": [20], "prefix": "P"},
}


def _reference_codes(values: pd.Series) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes, list(uniques)


@pytest.mark.parametrize("patients", [5, 20, 2000])
@pytest.mark.parametrize("case", list(CASES))
def test_sorted_codes_equal_pandas_factorize_sorted(case, patients):
    rng = np.random.default_rng(patients)
    values = _ids(rng, 3 * patients, **CASES[case])
    codes, uniques = sorted_codes(values)
    want_codes, want_uniques = _reference_codes(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques
    assert want_uniques == sorted(want_uniques)  # Python's str order: code points


@pytest.mark.parametrize("patients", [5, 20, 2000])
@pytest.mark.parametrize("case", list(CASES))
def test_ids_in_equals_pandas_isin(case, patients):
    rng = np.random.default_rng(patients + 1)
    values = _ids(rng, 3 * patients, **CASES[case])
    among = pd.concat([values.sample(frac=0.3, random_state=1),
                       _ids(rng, patients, **CASES[case])], ignore_index=True)
    want = values.astype(object).isin(among.astype(object)).to_numpy()
    np.testing.assert_array_equal(ids_in(values, among), want)
    # without a missing value among the candidates, a missing value is not in them
    np.testing.assert_array_equal(ids_in(values, among.dropna()),
                                  values.isin(among.dropna()).to_numpy() & values.notna())


@pytest.mark.parametrize("patients", [5, 20, 2000])
@pytest.mark.parametrize("case", list(CASES))
def test_positions_equal_arrow_index_in(case, patients):
    rng = np.random.default_rng(patients + 2)
    values = _ids(rng, 3 * patients, **CASES[case])
    sorted_ids = sorted_codes(values)[1]  # sorted, distinct: as build_courses looks up
    others = pa.array(_ids(rng, patients, **CASES[case]), type=pa.large_string())  # repeats
    for among in (sorted_ids, others, pa.concat_arrays([others, sorted_ids])):
        want = pc.index_in(pa.array(values, type=pa.large_string()), value_set=among)
        np.testing.assert_array_equal(positions(values, among),
                                      np.asarray(want.fill_null(-1), dtype=np.int64))


@pytest.mark.parametrize("patients", [5, 20, 2000])
@pytest.mark.parametrize("case", list(CASES))
def test_shared_codes_equal_sorted_codes_and_positions(case, patients):
    rng = np.random.default_rng(patients + 3)
    values = _ids(rng, 3 * patients, **CASES[case])
    others = [_ids(rng, 2 * patients, **CASES[case]), values.iloc[::-1], values.iloc[:0]]
    codes, uniques, found = shared_codes(values, others)
    want_codes, want_uniques = sorted_codes(values)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.to_pylist() == want_uniques.to_pylist()
    for other, got in zip(others, found, strict=True):
        np.testing.assert_array_equal(got, positions(other, want_uniques))
    categorical = values.astype("category")  # by the categories, as sorted_codes
    np.testing.assert_array_equal(shared_codes(categorical, others)[0], want_codes)


@pytest.mark.parametrize("widths", [([1, 4, 7], [3, 8]), ([4], [2]), ([2], [5]), ([3], [3, 5])])
def test_radix_keys_order_as_the_ids_across_arrays(widths):
    rng = np.random.default_rng(7)
    left, right = _ids(rng, 300, widths[0]), _ids(rng, 100, widths[1])
    (a, b), size = radix_keys([pa.array(left), pa.array(right)])
    keys, ids = np.concatenate([a, b]), np.concatenate([left, right])
    assert keys.min() >= 0 and keys.max() < size
    i, j = rng.integers(0, len(ids), size=(2, 5000))
    np.testing.assert_array_equal(keys[i] < keys[j], ids[i] < ids[j])
    np.testing.assert_array_equal(keys[i] == keys[j], ids[i] == ids[j])


def test_radix_keys_of_dense_ids_are_dense():
    ids = pa.array([f"S{i:06d}" for i in range(1, 1001)])
    sessions = pd.Series(ids.to_pylist(), dtype="str")
    events = pd.Series(["S000007", "S01", "S0000071", "S000999", None], dtype="str")
    assert positions(events, ids).tolist() == [6, -1, -1, 998, -1]  # widths of their own
    assert ids_in(events, sessions).tolist() == [True, False, False, True, False]
    keys, size = radix_keys([ids])
    assert size <= 10_000  # digits at the last four places vary: 10 ** 4 keys at most
    np.testing.assert_array_equal(np.sort(keys[0]), keys[0])


def test_ids_radix_keys_do_not_fit_fall_back_to_arrow():
    long = pa.array(["P" * (MOST_KEY_BYTES + 1), "P"])
    assert radix_keys([long]) is None
    ending_in_zero = pa.array(["a", "a\x00", "b"])  # padding would not tell them apart
    assert radix_keys([ending_in_zero]) is None
    values = pd.Series(["a\x00", "b", "a", "a\x00"], dtype="str")
    codes, uniques = sorted_codes(values)
    assert codes.tolist() == [1, 2, 0, 1] and uniques.to_pylist() == ["a", "a\x00", "b"]
    assert positions(values, pa.array(["a", "a\x00"])).tolist() == [1, -1, 0, 1]
    assert ids_in(values, pd.Series(["a"], dtype="str")).tolist() == [False, False, True, False]
    wide = pa.array([chr(0x10FFFF) * 4 + str(i) for i in range(9)])  # 17 bytes: arrow
    assert radix_keys([wide]) is None
    assert sorted_codes(pd.Series(wide.to_pylist(), dtype="str"))[0].tolist() == list(range(9))


def test_no_values_and_only_missing_values():
    empty = pd.Series([], dtype="str")
    codes, uniques = sorted_codes(empty)
    assert len(codes) == 0 and len(uniques) == 0
    missing = pd.Series([None, None], dtype="str")
    codes, uniques = sorted_codes(missing)
    assert codes.tolist() == [-1, -1] and len(uniques) == 0
    assert positions(missing, pa.array(["a"])).tolist() == [-1, -1]
    assert positions(pd.Series(["a"], dtype="str"), pa.array([], type=pa.string())).tolist() == [-1]
    assert ids_in(missing, pd.Series(["a", None], dtype="str")).tolist() == [True, True]
    assert ids_in(empty, missing).tolist() == []


def test_id_categorical_equals_the_checked_one():
    codes, uniques = sorted_codes(pd.Series(["S2", "S1", None, "S2", "S10"], dtype="str"))
    got = id_categorical(codes, uniques)
    want = pd.Categorical.from_codes(codes, categories=pd.Index(["S1", "S10", "S2"], dtype="str"))
    assert got.dtype == want.dtype and got.categories.is_unique
    pd.testing.assert_extension_array_equal(got, want)


@pytest.mark.parametrize("n", [0, 5, 20, 5000])
def test_integer_key_helpers_equal_numpy(n):
    rng = np.random.default_rng(n)
    first, then = rng.integers(-3, 40, n), rng.integers(17000, 17100, n)
    np.testing.assert_array_equal(key_order(first, then), np.lexsort((then, first)))
    huge = rng.integers(0, 2**40, n)  # no combined key fits: lexsort itself
    np.testing.assert_array_equal(key_order(huge, huge), np.lexsort((huge, huge)))
    for top in (60, 2**40):  # a table indexed by key, and bisection
        keys = np.unique(rng.integers(0, top, max(n, 1)))
        wanted = np.concatenate([rng.choice(keys, n), rng.integers(-5, top + 5, n)])
        at, found = key_positions(keys, wanted)
        np.testing.assert_array_equal(found, np.isin(wanted, keys))
        np.testing.assert_array_equal(keys[at[found]], wanted[found])
    for size in (50, 2**40):
        key = rng.integers(0, 50, n)
        distinct, inverse = unique_keys(key, size)
        want_distinct, want_inverse = np.unique(key, return_inverse=True)
        np.testing.assert_array_equal(distinct, want_distinct)
        np.testing.assert_array_equal(inverse, want_inverse)
    assert key_positions(np.zeros(0, dtype=np.int64), np.arange(3))[1].tolist() == [False] * 3
