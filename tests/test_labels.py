"""The labels layer: every code of the package has words, and numbers print one way."""

import tomllib
from importlib import resources

import pytest

import outcomes
from outcomes.claims.registry import ESTIMANDS
from outcomes.output import labels
from outcomes.output.labels import words

VOCAB = tomllib.loads(resources.files("outcomes.bundle").joinpath("vocabularies.toml")
                      .read_text("utf-8"))
SCALES = tomllib.loads(resources.files("outcomes.bundle").joinpath("scales.toml")
                       .read_text("utf-8"))
WORDS = words._words()


@pytest.mark.parametrize("vocabulary", ["condition", "setting", "device", "fitzpatrick",
                                        "age_band", "sex", "contraindication", "adjunct",
                                        "rater", "event", "severity"])
def test_every_code_of_the_data_contract_has_words(vocabulary):
    missing = [c for c in VOCAB[vocabulary] if c not in WORDS[vocabulary]]
    assert not missing


def test_every_scale_and_estimand_has_words_and_a_kind():
    assert set(SCALES) <= set(WORDS["scale"])
    assert set(ESTIMANDS) <= set(WORDS["estimand"])
    assert set(ESTIMANDS) <= set(WORDS["estimand_kind"])
    assert set(WORDS["estimand_kind"].values()) <= set(labels.KINDS)


def test_every_verdict_has_words_a_colour_and_a_mark():
    from outcomes.claims.verdicts import VERDICTS
    for verdict in (str(v) for v in VERDICTS):
        assert verdict in WORDS["verdict"]
        assert verdict in labels.VERDICT_COLOURS
        assert verdict in labels.VERDICT_MARKS


def test_every_column_and_measure_of_the_results_has_words():
    import warnings

    from outcomes.datasets import load_sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = outcomes.analyse(load_sample())
    seen = set()
    for frame in result.tables().values():
        seen |= set(frame.columns)
        if "measure" in frame:
            missing = set(frame["measure"].dropna()) - set(WORDS["measure"])
            assert not missing, missing
    missing = {c for c in seen if c not in WORDS["column"] and c not in WORDS["measure"]}
    assert not missing


def test_series_colours_never_repeat_within_a_figure():
    assert len(set(labels.SERIES_COLOURS)) == len(labels.SERIES_COLOURS) >= 12
    assert len(set(labels.MARKERS)) == len(labels.MARKERS) == len(labels.SERIES_COLOURS)


@pytest.mark.parametrize("value, text", [(0, "0%"), (1, "100%"), (1e-17, "0%"), (1 - 1e-13, "100%"),
                                         (0.5513307984790875, "55%"), (0.0423, "4.2%"),
                                         (0.911, "91.1%"), (0.00049, "<0.1%"), (0.9996, ">99.9%")])
def test_shares_print_as_percentages_without_scientific_notation(value, text):
    assert labels.format_share(value) == text


@pytest.mark.parametrize("value", [1.39e-17, 5e-20, 0.000012345, 123456789.0, 1e-5, 0.1 + 0.2])
def test_no_number_prints_in_scientific_notation(value):
    for text in (labels.format_number(value), labels.format_value(value)):
        assert "e" not in text.lower(), text


def test_counts_have_thousands_separators_everywhere():
    assert labels.format_value(1591) == labels.format_count(1591) == "1,591"
    assert labels.count_text(1591, 5) == "1,591"


def test_codes_are_found_and_relabelled():
    assert "acne_scars" in labels.codes() and "pain" not in labels.codes()
    assert labels.relabel("pih after rf_microneedling") == \
        "Post-inflammatory hyperpigmentation after RF microneedling"
    assert labels.label("unknown_thing") == "Unknown thing"
