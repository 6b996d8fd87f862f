"""Character-level text for language models.

A character-level language model reads a text one character at a time
and predicts the next one. This module turns sentences into the arrays
such a model trains on, and samples from its predictions:

* :class:`CharVocabulary` maps characters to integer ids and back;
* :func:`join_sentences` makes one stream of text with a boundary
  character before and after every sentence, so that a model can learn
  where sentences start and end, and a sampler can stop at the end;
* :func:`windows` cuts a stream of ids into (input, target) pairs, the
  target being the input shifted by one character;
* :func:`sample_next` draws the next character from the predicted
  probabilities, sharpened or flattened by a temperature.
"""

from dataclasses import dataclass, field

import numpy as np

#: Character written between sentences.
BOUNDARY = "\n"

#: Character that stands for any character missing from the vocabulary.
UNKNOWN = "\ufffd"


@dataclass(frozen=True)
class CharVocabulary:
    """A fixed set of characters, each with an integer id.

    Attributes
    ----------
    chars : tuple of str
        The character of each id. Id 0 is :data:`UNKNOWN`, which
        :meth:`encode` gives to characters not in the vocabulary.
    """

    chars: tuple
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.chars or self.chars[0] != UNKNOWN:
            raise ValueError("the first character must be UNKNOWN")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("the characters must be distinct")
        index = {char: i for i, char in enumerate(self.chars)}
        object.__setattr__(self, "index", index)

    @classmethod
    def from_texts(cls, texts):
        """Vocabulary of every character of ``texts``, sorted.

        Parameters
        ----------
        texts : iterable of str
            Usually the training part only: characters seen only in the
            validation part are then encoded as :data:`UNKNOWN`.

        Returns
        -------
        CharVocabulary
        """
        seen = set(BOUNDARY)
        for text in texts:
            seen.update(text)
        seen.discard(UNKNOWN)
        return cls((UNKNOWN, *sorted(seen)))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """Ids of the characters of ``text``.

        Parameters
        ----------
        text : str

        Returns
        -------
        np.ndarray of int32, shape (len(text),)
        """
        return np.array([self.index.get(char, 0) for char in text],
                        dtype=np.int32)

    def decode(self, ids):
        """Text of a sequence of ids.

        Parameters
        ----------
        ids : sequence of int

        Returns
        -------
        str
        """
        return "".join(self.chars[i] for i in ids)


def join_sentences(sentences):
    """One text with :data:`BOUNDARY` before and after each sentence.

    Parameters
    ----------
    sentences : iterable of str
        Sentences without the boundary character.

    Returns
    -------
    str
    """
    sentences = list(sentences)
    if any(BOUNDARY in sentence for sentence in sentences):
        raise ValueError("a sentence contains the boundary character")
    return BOUNDARY + BOUNDARY.join(sentences) + BOUNDARY


def windows(ids, length):
    """Cut a stream of ids into non-overlapping training windows.

    Parameters
    ----------
    ids : np.ndarray of int, shape (L,)
    length : int
        T, characters per window.

    Returns
    -------
    inputs : np.ndarray, shape (M, T)
        ``inputs[m] = ids[m * T : (m + 1) * T]``, with
        ``M = (L - 1) // T``.
    targets : np.ndarray, shape (M, T)
        The next character of each input: ``ids[m * T + 1 : (m + 1) * T
        + 1]``.
    """
    ids = np.asarray(ids)
    count = (len(ids) - 1) // length
    if count < 1:
        raise ValueError("the stream is shorter than one window")
    inputs = ids[:count * length].reshape(count, length)
    targets = ids[1:count * length + 1].reshape(count, length)
    return inputs, targets


def sample_next(probabilities, temperature, rng):
    """Draw one id per row from probabilities reshaped by a temperature.

    The probabilities are raised to the power ``1 / temperature`` and
    normalised again: a temperature below 1 sharpens the distribution
    (safer, more repetitive text), above 1 flattens it (more varied,
    more mistakes), and 1 leaves it unchanged.

    Parameters
    ----------
    probabilities : np.ndarray, shape (B, V)
        Each row sums to 1 (e.g. a softmax output).
    temperature : float
        Greater than 0.
    rng : np.random.Generator
        Source of randomness; pass a seeded one to repeat a sample.

    Returns
    -------
    np.ndarray of int64, shape (B,)
    """
    if temperature <= 0:
        raise ValueError("the temperature must be positive")
    logits = np.log(np.maximum(np.asarray(probabilities, np.float64),
                               1e-300)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True),
                           axis=1)
    draws = rng.random((len(cumulative), 1))
    ids = (cumulative < draws).sum(axis=1)
    return np.minimum(ids, cumulative.shape[1] - 1).astype(np.int64)
