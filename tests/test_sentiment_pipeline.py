"""hidden_checks.sentiment: chapter 6's text pipeline, on small cases.

The chapter's checks use it as their oracle and its bench as its
pipeline, so its rules are pinned here: what cleaning keeps, where the
padding goes, which rows of the embedding matrix are zero, and the error
bound of per-row int8.
"""

import check_suite  # noqa: F401  (puts autograder/ on the path)
import numpy as np
import pytest
from hidden_checks import sentiment

from rnn_course.data import GloVe


def glove(words, vectors):
    words = np.array(words, dtype=object)
    return GloVe(vectors=np.asarray(vectors, dtype=np.float32), words=words,
                 index={w: i for i, w in enumerate(words)})


@pytest.mark.parametrize("text, cleaned", [
    ("Great film!<br /><br />Loved it.", "great film loved it"),
    ("Don't", "don t"),
    ("  A<BR>b<br/>c  ", "a b c"),
    ("Café, 10/10 -- snake_case", "café 10 10 snake case"),
    ("", ""),
])
def test_clean(text, cleaned):
    assert sentiment.clean(text) == cleaned


def test_sequences_are_padded_and_cut_at_the_end():
    layer = sentiment.sequence_vectorizer(
        np.array(["b a a", "a c"], dtype=object), vocab_size=10,
        sequence_length=3)
    vocabulary = layer.get_vocabulary()
    assert vocabulary[:3] == ["", "[UNK]", "a"]
    ids = np.asarray(layer(np.array(["a", "a b c a"], dtype=object)))
    a, b = vocabulary.index("a"), vocabulary.index("b")
    np.testing.assert_array_equal(ids[0], [a, 0, 0])
    np.testing.assert_array_equal(ids[1][:2], [a, b])


def test_embedding_rows_follow_the_vocabulary():
    vectors = glove(["film", "good", "[UNK]"], [[1, 2], [3, 4], [9, 9]])
    matrix, coverage = sentiment.embedding_matrix(
        ["", "[UNK]", "good", "zzz", "film"], vectors)
    assert matrix.dtype == np.float32 and matrix.shape == (5, 2)
    # Padding, unknown word ("[UNK]" even if GloVe had it), missing word.
    np.testing.assert_array_equal(matrix[[0, 1, 3]], 0)
    np.testing.assert_array_equal(matrix[2], [3, 4])
    np.testing.assert_array_equal(matrix[4], [1, 2])
    assert coverage == pytest.approx(2 / 3)


def test_int8_per_row_within_half_a_step():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((50, 8)).astype(np.float32)
    matrix[3] *= 100.0  # a large row does not coarsen the others
    matrix[7] = 0.0
    q, scale = sentiment.quantize_int8(matrix)
    assert q.dtype == np.int8 and q.nbytes * 4 == matrix.nbytes
    assert np.abs(q).max() == 127
    back = sentiment.dequantize_int8(q, scale)
    error = np.abs(back - matrix)
    assert np.all(error <= scale[:, None] / 2 * (1 + 1e-5))
    np.testing.assert_array_equal(back[7], 0)
    # One global scale would allow every row half of its step, set by
    # the large row: the other rows stay far below it.
    global_half_step = np.abs(matrix).max() / 127 / 2
    assert error[np.arange(50) != 3].max() < 0.05 * global_half_step
