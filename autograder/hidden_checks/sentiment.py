"""Chapter 6's text pipeline, written once for its checks and its bench.

The graded functions of chapter 6 (``clean_review``,
``build_embedding_matrix``, ``quantize_int8``, ``dequantize_int8``) are
written by the students; the package ``rnn_course`` holds no answer to
them. The hidden checks and ``bench/ch06_sentiment.py`` need the same
steps, so they are here, in the folder that never reaches the students:

* :func:`clean` lower-cases a review, turns its ``<br />`` tags and every
  character that is neither a letter nor a digit into spaces, and keeps
  single spaces between words;
* :func:`sequence_vectorizer` learns the vocabulary of the training
  reviews and maps a review to ``sequence_length`` token ids, padded
  with 0 and truncated at the end (Keras's ``TextVectorization``);
* :func:`embedding_matrix` gives row i of the vocabulary's token i its
  GloVe vector, and zeros to the padding, the unknown token and the
  words GloVe does not know;
* :func:`quantize_int8` and :func:`dequantize_int8` store a matrix in
  8 bits with one scale per row.
"""

import re

import numpy as np

#: ``<br />`` and its variants (``<br>``, ``<br/>``) in IMDB reviews.
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
#: A run of characters that are neither letters nor digits (Unicode).
_NOT_WORD = re.compile(r"[\W_]+")
#: Token ids of the two special entries of a TextVectorization
#: vocabulary: the padding (``""``) and the unknown word (``"[UNK]"``).
PADDING, UNKNOWN = 0, 1


def clean(text):
    """A review in lower case, words separated by single spaces.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``"Great film!<br /><br />Loved it."`` becomes
        ``"great film loved it"``.
    """
    text = _BREAK.sub(" ", text.lower())
    return " ".join(_NOT_WORD.sub(" ", text).split())


def sequence_vectorizer(texts, vocab_size, sequence_length):
    """A ``TextVectorization`` layer adapted to cleaned training texts.

    Parameters
    ----------
    texts : np.ndarray of str, shape (M,)
        Training texts, already cleaned (:func:`clean`): the layer only
        splits on spaces.
    vocab_size : int
        Size of the vocabulary, the two special tokens included.
    sequence_length : int
        Length of every output: longer reviews are cut at the end,
        shorter ones padded with 0 at the end.

    Returns
    -------
    keras.layers.TextVectorization
        Maps a batch of cleaned texts, shape (N,), to int64 token ids,
        shape (N, sequence_length); ``get_vocabulary()`` lists the
        tokens, ``""`` first and ``"[UNK]"`` second.
    """
    import keras

    layer = keras.layers.TextVectorization(
        max_tokens=vocab_size, standardize=None, split="whitespace",
        output_mode="int", output_sequence_length=sequence_length,
    )
    layer.adapt(np.asarray(texts, dtype=object), batch_size=1024)
    return layer


def embedding_matrix(vocabulary, glove):
    """GloVe vectors of a vocabulary, one row per token id.

    Parameters
    ----------
    vocabulary : sequence of str, length V
        Token i of the vocabulary (``get_vocabulary()`` of
        :func:`sequence_vectorizer`).
    glove : rnn_course.data.GloVe
        Word vectors of dimension d.

    Returns
    -------
    matrix : np.ndarray of float32, shape (V, d)
        Row i is GloVe's vector of ``vocabulary[i]``; the padding row,
        the unknown-word row and the rows of words GloVe lacks are 0.
    coverage : float
        Fraction of the V - 2 real words that GloVe knows.
    """
    dim = glove.vectors.shape[1]
    matrix = np.zeros((len(vocabulary), dim), dtype=np.float32)
    found = 0
    for i, word in enumerate(vocabulary):
        if i in (PADDING, UNKNOWN) or word not in glove:
            continue
        matrix[i] = glove[word]
        found += 1
    return matrix, found / max(len(vocabulary) - 2, 1)


def quantize_int8(matrix):
    """Symmetric 8-bit quantisation with one scale per row.

    Parameters
    ----------
    matrix : np.ndarray of float, shape (V, d)

    Returns
    -------
    q : np.ndarray of int8, shape (V, d)
        ``round(matrix / scale)``, in [-127, 127].
    scale : np.ndarray of float32, shape (V,)
        ``max |row| / 127`` (1 for a row of zeros, which stays 0).
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    # s_i = max_j |x_ij| / 127
    scale = np.abs(matrix).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    # q_ij = round(x_ij / s_i)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127)
    return q.astype(np.int8), scale


def dequantize_int8(q, scale):
    """The float32 matrix that ``(q, scale)`` stands for, shape (V, d)."""
    # x_ij ~ s_i q_ij
    return q.astype(np.float32) * np.asarray(scale, np.float32)[:, None]
