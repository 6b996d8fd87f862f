"""Bag-of-words inputs: each review as a multi-hot vector of its words.

A review becomes a vector of ``num_words`` zeros and ones: component j is
1 when the review contains word j of the vocabulary (the ``num_words - 1``
most frequent words of the training texts, plus one column for every
other word). Word order and counts are lost; this is the input of the
slides' overfitting experiment (chapter 5).

The vocabulary is learnt from the training part only, so validation and
test reviews never influence the inputs of a model.
"""

import numpy as np

from rnn_course.data import SPLIT_SEED, Split, imdb_splits


def multi_hot_vectorizer(texts, num_words):
    """A Keras ``TextVectorization`` layer adapted to ``texts``.

    Parameters
    ----------
    texts : np.ndarray of str, shape (M,)
        Training texts; the vocabulary is their ``num_words - 1`` most
        frequent words (lower-cased, punctuation stripped).
    num_words : int
        Length of each multi-hot vector; column 0 stands for every word
        outside the vocabulary.

    Returns
    -------
    keras.layers.TextVectorization
        Maps a batch of texts, shape (N,), to float32 vectors, shape
        (N, num_words).
    """
    import keras

    if num_words < 2:
        raise ValueError(f"num_words must be at least 2, not {num_words}")
    layer = keras.layers.TextVectorization(
        max_tokens=num_words, output_mode="multi_hot",
        pad_to_max_tokens=True,
    )
    layer.adapt(np.asarray(texts, dtype=object), batch_size=1024)
    return layer


def multi_hot(parts, num_words):
    """Multi-hot inputs of every part, vocabulary from ``parts["train"]``.

    Parameters
    ----------
    parts : dict of str to Split
        Must hold ``"train"``; any other parts (``"validation"``,
        ``"test"``) are vectorised with the training vocabulary.
    num_words : int
        Length of each vector (see :func:`multi_hot_vectorizer`).

    Returns
    -------
    dict of str to tuple
        For each part, ``(x, y)``: x float32 of shape (M, num_words) with
        entries 0 or 1, y float32 of shape (M,) with the labels.
    """
    vectorizer = multi_hot_vectorizer(parts["train"].texts, num_words)
    return {
        name: (
            np.asarray(vectorizer(part.texts), dtype=np.float32),
            part.labels.astype(np.float32),
        )
        for name, part in parts.items()
    }


def imdb_subset(train, validation, seed=SPLIT_SEED):
    """A smaller, fixed part of the course's IMDB split.

    The first ``train`` reviews of the training part and the first
    ``validation`` of the validation part, after a seeded shuffle of
    each: the same reviews on every call with the same arguments.

    Parameters
    ----------
    train, validation : int
        Number of reviews to keep from each part (at most 10,000 and
        5,000 with the course's split).
    seed : int
        Seed of the shuffles.

    Returns
    -------
    dict of str to Split
        Keys ``"train"`` and ``"validation"``.
    """
    splits = imdb_splits()
    rng = np.random.default_rng(seed)
    chosen = {}
    for name, size in (("train", train), ("validation", validation)):
        part = splits[name]
        if not 0 < size <= len(part):
            raise ValueError(
                f"{name} must be between 1 and {len(part)}, not {size}"
            )
        ids = rng.permutation(len(part))[:size]
        chosen[name] = Split(part.texts[ids], part.labels[ids])
    return chosen
