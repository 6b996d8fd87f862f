"""Synthetic sequence tasks, generated in code (nothing to download).

The adding problem (Hochreiter & Schmidhuber, 1997) needs memory across
the whole sequence: each step carries a random value and a marker, and
the target is the sum of the two marked values. A model that forgets the
start of the sequence cannot do better than predicting the mean, 1.0.
"""

import numpy as np


def adding_problem(num_sequences, length, seed):
    """Batch of the adding problem.

    Parameters
    ----------
    num_sequences : int
        N, number of sequences.
    length : int
        T, steps per sequence (at least 2).
    seed : int
        Seed of the generator; the same seed gives the same batch.

    Returns
    -------
    x : np.ndarray of float64, shape (N, T, 2)
        ``x[:, t, 0]`` is a value drawn uniformly from [0, 1);
        ``x[:, t, 1]`` is 1 at the two marked steps and 0 elsewhere.
    y : np.ndarray of float64, shape (N, 1)
        Sum of the two marked values.
    """
    if length < 2:
        raise ValueError("the adding problem needs length >= 2")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(num_sequences, length))
    markers = np.zeros((num_sequences, length))
    for n in range(num_sequences):
        first, second = rng.choice(length, size=2, replace=False)
        markers[n, [first, second]] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = np.sum(values * markers, axis=1, keepdims=True)
    return x, y
