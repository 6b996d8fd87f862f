"""A decoder given by two tables, to try decoding loops on.

A decoding loop (greedy search, beam search) only needs a step function
``step_fn(token, state) -> (scores, new_state)``. A trained decoder is
one such function; :class:`TableDecoder` is another, small and exact:
its state is a row of a table, so the tokens it leads to can be worked
out by hand. Chapter 7's notebook tests ``greedy_decode`` with it, and
the grader sends it to a sandboxed kernel as its two arrays (a function
could not cross).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TableDecoder:
    """A finite-state decoder: ``next_state`` moves, ``scores`` speaks.

    Calling it reads one token: from ``state`` (``start_state`` when
    ``state`` is None) it moves to ``s = next_state[state, token]`` and
    returns the scores of the next token in that state, ``scores[s]``,
    and ``s``, the state to pass to the next call.

    Attributes
    ----------
    scores : np.ndarray of float, shape (S, V)
        Scores (probabilities or logits) of the V tokens in each of the
        S states.
    next_state : np.ndarray of int, shape (S, V)
        State reached from state ``s`` by reading token ``v``.
    start_state : int
        The state that ``state=None`` stands for.
    """

    scores: np.ndarray
    next_state: np.ndarray
    start_state: int = 0

    def __post_init__(self):
        scores = np.asarray(self.scores)
        moves = np.asarray(self.next_state)
        if scores.ndim != 2 or scores.dtype.kind != "f":
            raise ValueError("scores must be a float array (S, V)")
        if moves.shape != scores.shape or moves.dtype.kind not in "iu":
            raise ValueError("next_state must be an int array (S, V)")
        if moves.size and (moves.min() < 0 or moves.max() >= len(scores)):
            raise ValueError("next_state names a state that does not exist")
        if not 0 <= int(self.start_state) < len(scores):
            raise ValueError("start_state does not exist")

    def __call__(self, token, state):
        """Read ``token`` in ``state``: (scores (V,), new state)."""
        if state is None:
            state = self.start_state
        new_state = int(self.next_state[int(state), int(token)])
        return self.scores[new_state].copy(), new_state
