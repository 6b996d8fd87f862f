"""Chapter 7's data: number words to digits (rnn_course.number_words)."""

import numpy as np
import pytest

from rnn_course import number_words as nw

SMALL = {"train": 300, "validation": 50, "test": 100}


@pytest.fixture(scope="module")
def parts():
    return nw.generate(SMALL)


def test_words_of_known_numbers():
    assert nw.number_words(2023, "es") == "dos mil veintitrés"
    assert nw.number_words(2023, "en") == "two thousand and twenty-three"
    assert nw.number_words(0, "es") == "cero"
    assert nw.number_words(16, "es") == "dieciséis"
    # The apocope that num2words misses: "uno" becomes "un" before "mil".
    assert nw.number_words(21_000, "es") == "veintiún mil"
    assert nw.number_words(31_005, "es") == "treinta y un mil cinco"
    assert nw.number_words(101_000, "es") == "ciento un mil"
    assert nw.number_words(1_001, "es") == "mil uno"
    assert nw.number_words(21, "es") == "veintiuno"
    with pytest.raises(ValueError):
        nw.number_words(3, "fr")


def test_generation_is_deterministic(parts):
    again = nw.generate(SMALL)
    for name in SMALL:
        assert again[name].sources == parts[name].sources
        assert np.array_equal(again[name].values, parts[name].values)
    other = nw.generate(SMALL, seed=nw.SPLIT_SEED + 1)
    assert other["train"].sources != parts["train"].sources


def test_the_split_is_by_value_and_disjoint(parts):
    values = {name: set(p.values.tolist()) for name, p in parts.items()}
    assert not values["train"] & values["validation"]
    assert not values["train"] & values["test"]
    assert not values["validation"] & values["test"]
    for name, p in parts.items():
        # Each value once per language, in both languages.
        assert len(values[name]) == SMALL[name]
        assert len(p) == 2 * SMALL[name]
        assert p.langs[::2] == ["es"] * SMALL[name]
        assert p.langs[1::2] == ["en"] * SMALL[name]
    # No test source was seen in training, in either language.
    assert not set(parts["test"].sources) & set(parts["train"].sources)
    # The planted bad case: a split that reuses a value is caught.
    leaked = np.concatenate([parts["train"].values[:1],
                             parts["test"].values])
    assert set(leaked.tolist()) & values["train"]


def test_targets_are_the_values_in_digits(parts):
    for p in parts.values():
        assert p.targets == [str(v) for v in p.values]


def test_input_lengths_span_three_times_the_shortest(parts):
    lengths = parts["train"].source_lengths()
    assert lengths.max() >= 3 * lengths.min()
    course = nw.generate()
    lengths = course["test"].source_lengths()
    assert lengths.max() >= 3 * lengths.min()


def test_every_part_holds_every_number_of_digits(parts):
    for name, p in nw.generate().items():
        digits = {len(t) for t in p.targets}
        assert digits == set(range(1, 7)) or (
            name == "validation" and digits >= set(range(2, 7))), name
    # All ten one-digit values are used, and no more than exist.
    values = nw.split_values({"a": 10, "b": 10}, max_value=20)
    assert sorted(np.concatenate(list(values.values()))) == list(range(20))
    with pytest.raises(ValueError):
        nw.split_values({"a": 11, "b": 10}, max_value=20)


def test_encoding_round_trip(parts):
    vocab = nw.Vocabulary.from_texts(parts["train"].sources)
    assert vocab.chars == tuple(sorted(vocab.chars))
    assert min(vocab.index.values()) == 3
    x = nw.encode_sources(parts["test"].sources, vocab)
    assert x.dtype == np.int32
    assert x.shape == (len(parts["test"]),
                       parts["test"].source_lengths().max())
    assert nw.decode_ids(x, vocab) == parts["test"].sources
    # Padding only at the end, after the last character.
    for row, text in zip(x, parts["test"].sources, strict=True):
        assert (row[:len(text)] > nw.END).all()
        assert (row[len(text):] == nw.PAD).all()
    with pytest.raises(ValueError):
        vocab.encode("ñ")
    with pytest.raises(ValueError):
        nw.encode_sources(["uno dos"], vocab, length=3)


def test_targets_for_teacher_forcing():
    digits = nw.Vocabulary(tuple("0123456789"))
    inputs, targets = nw.encode_targets(["42", "7"], digits)
    four, two, seven = (digits.index[c] for c in "427")
    assert inputs.tolist() == [[nw.START, four, two],
                               [nw.START, seven, nw.PAD]]
    assert targets.tolist() == [[four, two, nw.END],
                                [seven, nw.END, nw.PAD]]
    # The decoder's input is its target shifted right by one step.
    assert np.array_equal(inputs[0, 1:], targets[0, :-1])
    assert digits.decode(targets[0]) == "42"
    # Decoding stops at the first END, whatever follows.
    assert digits.decode([four, nw.END, two]) == "4"
    assert len(digits) == 13


def test_scores():
    expected = ["2023", "15", "7"]
    assert nw.exact_match(expected, expected) == 1.0
    assert nw.exact_match(["2023", "16", ""], expected) == pytest.approx(
        1 / 3)
    assert nw.character_accuracy(expected, expected) == 1.0
    # 4 right of 4, 1 of 2, and an empty answer: 0 of 1.
    assert nw.character_accuracy(["2023", "16", ""], expected) == \
        pytest.approx(5 / 7)
    # An extra character is a wrong one: "20230" has 4 of 5 right.
    assert nw.character_accuracy(["20230"], ["2023"]) == pytest.approx(0.8)
    # A shifted answer is wrong at every shifted position.
    assert nw.character_accuracy(["023"], ["2023"]) == 0.0
    with pytest.raises(ValueError):
        nw.exact_match(["1"], ["1", "2"])


def test_accuracy_by_length_bins():
    lengths = [5, 12, 14, 30]
    predicted = ["1", "22", "33", "4"]
    expected = ["1", "22", "34", "5"]
    rows = nw.accuracy_by_length(lengths, predicted, expected,
                                 [0, 10, 20, 30, 40])
    # The empty bin 20-30 is left out; 30 belongs to 30-40.
    assert [(r["low"], r["pairs"]) for r in rows] == [(0, 1), (10, 2),
                                                      (30, 1)]
    assert rows[1]["exact_match"] == 0.5
    assert rows[1]["character_accuracy"] == 0.75
    assert rows[2]["exact_match"] == 0.0
