"""Character-level text helpers and the Rotten Tomatoes split."""

import numpy as np
import pytest

from rnn_course import data
from rnn_course.characters import (
    BOUNDARY,
    UNKNOWN,
    CharVocabulary,
    join_sentences,
    sample_next,
    windows,
)


def test_vocabulary_round_trip_and_unknown_characters():
    vocabulary = CharVocabulary.from_texts(["abca", "cab d"])
    assert vocabulary.chars == (UNKNOWN, BOUNDARY, " ", "a", "b", "c", "d")
    ids = vocabulary.encode("a cab\nd")
    assert ids.dtype == np.int32
    assert vocabulary.decode(ids) == "a cab\nd"
    # A character outside the vocabulary becomes UNKNOWN (id 0).
    np.testing.assert_array_equal(vocabulary.encode("az"), [3, 0])
    with pytest.raises(ValueError, match="UNKNOWN"):
        CharVocabulary(("a", "b"))


def test_join_sentences_marks_every_boundary():
    assert join_sentences(["ab", "c"]) == "\nab\nc\n"
    with pytest.raises(ValueError, match="boundary"):
        join_sentences(["a\nb"])


def test_windows_shift_the_target_by_one():
    ids = np.arange(11)
    inputs, targets = windows(ids, 3)
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(targets, inputs + 1)
    with pytest.raises(ValueError, match="shorter"):
        windows(np.arange(3), 3)


def test_sample_next_follows_the_temperature():
    probabilities = np.tile([0.7, 0.2, 0.1], (20_000, 1))
    frequencies = {
        temperature: np.bincount(
            sample_next(probabilities, temperature,
                        np.random.default_rng(0)), minlength=3)
        / len(probabilities)
        for temperature in (0.5, 1.0, 2.0)
    }
    # At temperature 1 the draws follow the probabilities.
    np.testing.assert_allclose(frequencies[1.0], [0.7, 0.2, 0.1], atol=0.02)
    # p ** (1 / T), normalised: sharper below 1, flatter above.
    for temperature in (0.5, 2.0):
        expected = np.array([0.7, 0.2, 0.1]) ** (1 / temperature)
        np.testing.assert_allclose(frequencies[temperature],
                                   expected / expected.sum(), atol=0.02)
    # The same seed gives the same draws.
    again = sample_next(probabilities[:50], 1.0, np.random.default_rng(3))
    np.testing.assert_array_equal(
        again, sample_next(probabilities[:50], 1.0,
                           np.random.default_rng(3)))
    with pytest.raises(ValueError, match="positive"):
        sample_next(probabilities, 0.0, np.random.default_rng(0))


def test_rotten_tomatoes_split():
    splits = data.rotten_tomatoes_splits()
    train, validation = splits["train"], splits["validation"]
    assert (len(train), len(validation)) == (7_530, 1_000)
    assert not set(train.texts) & set(validation.texts)
    again = data.rotten_tomatoes_splits()
    assert list(again["validation"].texts) == list(validation.texts)
    assert all(BOUNDARY not in text for text in train.texts)
    with pytest.raises(ValueError, match="validation"):
        data.rotten_tomatoes_splits(validation=0)
