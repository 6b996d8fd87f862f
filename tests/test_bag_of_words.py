"""Multi-hot inputs of chapter 5: the vocabulary is the training part's."""

import numpy as np
import pytest

from rnn_course.bag_of_words import imdb_subset, multi_hot
from rnn_course.data import Split


def parts(*texts):
    return Split(np.array(texts, dtype=object), np.zeros(len(texts)))


def test_multi_hot_marks_the_words_of_each_text():
    data = multi_hot({"train": parts("good good film", "bad film"),
                      "validation": parts("good plot", "")}, num_words=4)
    x_train, y_train = data["train"]
    x_val, _ = data["validation"]
    assert x_train.shape == (2, 4) and x_train.dtype == np.float32
    assert y_train.dtype == np.float32
    # Columns: 0 = any other word, then by frequency: good, film, bad.
    np.testing.assert_array_equal(x_train, [[0, 1, 1, 0], [0, 0, 1, 1]])
    # "plot" was never seen in training: it falls in column 0.
    np.testing.assert_array_equal(x_val, [[1, 1, 0, 0], [0, 0, 0, 0]])


def test_too_few_words_is_refused():
    with pytest.raises(ValueError, match="num_words"):
        multi_hot({"train": parts("a b")}, num_words=1)


def test_imdb_subset_is_fixed_and_disjoint():
    first, again = imdb_subset(50, 20), imdb_subset(50, 20)
    assert len(first["train"]) == 50 and len(first["validation"]) == 20
    np.testing.assert_array_equal(first["train"].texts,
                                  again["train"].texts)
    assert not set(first["train"].texts) & set(first["validation"].texts)
    with pytest.raises(ValueError, match="train"):
        imdb_subset(10_001, 20)
