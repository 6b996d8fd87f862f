"""Chapter 7's reference models: encoder-decoders on number words.

Importable by the bench script, the pages and the accuracy check:

* :func:`build_seq2seq` makes a compiled Keras encoder-decoder of one
  of three kinds, "plain" (GRU encoder, its last state starts a GRU
  decoder), "attention" (the same, and the decoder's states attend to
  every encoder state: Luong's dot-product attention, masked) and
  "transformer" (one self-attention block in the encoder, one causal
  self-attention and one cross-attention block in the decoder);
* :func:`greedy_decode` turns the model's next-character probabilities
  into strings, one step at a time;
* :func:`attention_weights` reads the attention of the "attention"
  model for given inputs and outputs.

Every model takes ``[source_ids (N, T), decoder_ids (N, U)]`` and
returns next-character probabilities of shape (N, U, V_out); id 0 is
the padding and is masked (``mask_zero=True``), so the padded steps
change neither the states nor the loss.
"""

import keras
import numpy as np

from rnn_course.number_words import END, PAD, START

KINDS = ("plain", "attention", "transformer")


def build_seq2seq(kind, source_size, target_size, units=64, embed=32,
                  heads=4, learning_rate=0.005):
    """A compiled encoder-decoder.

    Parameters
    ----------
    kind : {"plain", "attention", "transformer"}
    source_size, target_size : int
        Sizes of the two vocabularies, reserved ids included.
    units : int
        GRU units H (recurrent kinds) or model width (transformer).
    embed : int
        Size of the character embeddings (recurrent kinds).
    heads : int
        Attention heads of the transformer (key size units // heads).
    learning_rate : float
        Adam's.

    Returns
    -------
    keras.Model
        Inputs ``source`` (N, T) and ``decoder`` (N, U) of int32 ids;
        output (N, U, target_size) softmax probabilities. Compiled with
        the sparse categorical cross-entropy (padding masked).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    source = keras.Input((None,), dtype="int32", name="source")
    decoder = keras.Input((None,), dtype="int32", name="decoder")
    if kind == "transformer":
        probs = _transformer(source, decoder, source_size, target_size,
                             units, heads)
    else:
        probs = _recurrent(source, decoder, source_size, target_size,
                           units, embed, attention=kind == "attention")
    model = keras.Model([source, decoder], probs, name=kind)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy")
    return model


def _recurrent(source, decoder, source_size, target_size, units, embed,
               attention):
    """GRU encoder and decoder, with or without attention."""
    layers = keras.layers
    x = layers.Embedding(source_size, embed, mask_zero=True,
                         name="source_embedding")(source)
    # Encoder: every state h_1..h_T (N, T, H) and the last one (N, H).
    states, last = layers.GRU(units, return_sequences=True,
                              return_state=True, name="encoder")(x)
    y = layers.Embedding(target_size, embed, mask_zero=True,
                         name="target_embedding")(decoder)
    # Decoder: starts from the encoder's last state (teacher forcing:
    # it reads the target shifted right).
    s = layers.GRU(units, return_sequences=True, name="decoder_gru")(
        y, initial_state=last)
    if attention:
        # Luong: scores s_t . h_j, masked softmax over j, context c_t.
        context = layers.Attention(name="attention")([s, states])
        s = layers.Concatenate()([s, context])
        s = layers.Dense(units, activation="tanh", name="combine")(s)
    return layers.Dense(target_size, activation="softmax",
                        name="next_char")(s)


class PositionalEmbedding(keras.layers.Layer):
    """Token embedding plus a learnt embedding of each position.

    Passes on the tokens' padding mask (id 0).
    """

    def __init__(self, vocabulary, width, max_length=128, **kwargs):
        super().__init__(**kwargs)
        self.tokens = keras.layers.Embedding(vocabulary, width,
                                             mask_zero=True)
        self.positions = keras.layers.Embedding(max_length, width)

    def call(self, ids):
        steps = keras.ops.arange(keras.ops.shape(ids)[1])
        return self.tokens(ids) + self.positions(steps)[None]

    def compute_mask(self, ids, mask=None):
        return keras.ops.not_equal(ids, PAD)


def _transformer(source, decoder, source_size, target_size, width, heads):
    """One encoder block and one decoder block (post-norm).

    The padding masks are given to every attention layer explicitly:
    no query attends to a padded key.
    """
    layers = keras.layers
    key = width // heads
    source_mask = keras.ops.not_equal(source, PAD)
    target_mask = keras.ops.not_equal(decoder, PAD)
    x = PositionalEmbedding(source_size, width, name="source_embedding")(
        source)
    # Encoder: self-attention over the source, then a feed-forward layer.
    a = layers.MultiHeadAttention(heads, key, name="self_attention")(
        x, x, query_mask=source_mask, value_mask=source_mask)
    x = layers.LayerNormalization()(x + a)
    x = layers.LayerNormalization()(
        x + _feed_forward(x, width, "encoder_ff"))
    y = PositionalEmbedding(target_size, width, name="target_embedding")(
        decoder)
    # Decoder: causal self-attention (step t sees steps <= t), then
    # attention over the encoder's outputs.
    a = layers.MultiHeadAttention(heads, key, name="causal_attention")(
        y, y, query_mask=target_mask, value_mask=target_mask,
        use_causal_mask=True)
    y = layers.LayerNormalization()(y + a)
    a = layers.MultiHeadAttention(heads, key, name="cross_attention")(
        y, x, query_mask=target_mask, value_mask=source_mask)
    y = layers.LayerNormalization()(y + a)
    y = layers.LayerNormalization()(
        y + _feed_forward(y, width, "decoder_ff"))
    return layers.Dense(target_size, activation="softmax",
                        name="next_char")(y)


def _feed_forward(x, width, name):
    hidden = keras.layers.Dense(2 * width, activation="relu",
                                name=f"{name}_1")(x)
    return keras.layers.Dense(width, name=f"{name}_2")(hidden)


def greedy_decode(model, sources, max_len, batch=1000):
    """Greedy decoding: at each step, the most probable next character.

    The decoder input starts as ``[START, PAD, ...]``; at step t the
    model reads the source and the characters chosen so far, and the
    most probable character at position t is written at t + 1. A row
    stops changing once it has produced END.

    Parameters
    ----------
    model : keras.Model
        From :func:`build_seq2seq`.
    sources : np.ndarray of int32, shape (N, T)
    max_len : int
        At most this many output ids per row (END included).

    Returns
    -------
    np.ndarray of int32, shape (N, max_len)
        The chosen ids, END included, PAD after it.
    """
    out = np.zeros((len(sources), max_len), dtype=np.int32)
    for first in range(0, len(sources), batch):
        src = sources[first:first + batch]
        ids = np.full((len(src), max_len + 1), PAD, dtype=np.int32)
        ids[:, 0] = START
        done = np.zeros(len(src), dtype=bool)
        for t in range(max_len):
            probs = model([src, ids[:, :t + 1]], training=False)
            chosen = np.argmax(np.asarray(probs[:, t]), axis=-1)
            ids[:, t + 1] = np.where(done, PAD, chosen)
            done |= chosen == END
            if done.all():
                break
        out[first:first + batch] = ids[:, 1:]
    return out


def attention_weights(model, sources, decoder_ids):
    """Attention weights of the "attention" model.

    Parameters
    ----------
    model : keras.Model
        Of kind "attention".
    sources : np.ndarray of int32, shape (N, T)
    decoder_ids : np.ndarray of int32, shape (N, U)
        ``[START, c_1, ...]``, e.g. the decoded output shifted right.

    Returns
    -------
    np.ndarray, shape (N, U, T)
        Row t: the weights over the source characters when the decoder
        chose its character t + 1; zero on the padding.
    """
    layer = model.get_layer("attention")
    s = model.get_layer("decoder_gru").output
    states = model.get_layer("encoder").output[0]
    probe = keras.Model(model.inputs, [s, states])
    query, values = probe([sources, decoder_ids], training=False)
    mask = [decoder_ids != PAD, sources != PAD]
    _, weights = layer([query, values], mask=mask,
                       return_attention_scores=True)
    return np.asarray(weights)
