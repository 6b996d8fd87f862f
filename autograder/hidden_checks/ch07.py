"""Hidden checks of chapter 7: attention and greedy decoding.

One ``check_<function>(student_fn, lang="en")`` per graded function of
``solutions/07-seq2seq-attention-{en,es}``. The oracles never share code
with the solution:

* ``keras.layers.Attention(use_scale=False)`` in float64, called on the
  query divided by sqrt(H) with the mask as its value mask, for the
  weights and the context of dot-product attention (a row whose mask is
  all False gets zeros: the notebook's documented behaviour, where Keras
  would spread the weights);
* ``tf.GradientTape`` through the same attention written with
  TensorFlow ops, and centred differences in float64 of an explicit
  NumPy loop over positions, for its backward pass;
* ``keras.layers.Dense`` projections and
  ``keras.layers.AdditiveAttention(use_scale=True)``, its scale holding
  ``v``, for the scores of additive attention;
* ``rnn_course.decoding.TableDecoder``s, decoders given by two tables,
  whose greedy output the check walks by hand.

The checks are lists of cases: each case draws its inputs from the
check's own seeded generator, and every check ends in the shared helpers
of ``_common`` (``expect_value`` with named mistakes, ``expect_grads``
and ``expect_gradients`` for the backward pass). A mistake is named only
when it reproduces the student's value and not the expected one.
"""

import numbers
import random

import keras
import numpy as np
import tensorflow as tf

from rnn_course.decoding import TableDecoder

from ._common import (
    Text,
    call,
    dense_layer,
    expect_array,
    expect_cache,
    expect_gradients,
    expect_grads,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    numerical_gradients,
    shape_case,
)

_SEED = {
    "dot_product_attention": 701,
    "attention_backward": 702,
    "additive_attention_scores": 703,
    "greedy_decode": 704,
}

#: Size of the garbage that masked positions of keys and values hold in
#: one case of each attention check: a mask that is ignored cannot hide.
GARBAGE = 1000.0
#: Scale of the queries of the large-score case: scores in the hundreds,
#: where np.exp overflows unless the largest score is subtracted first.
LARGE = 500.0


# ---------------------------------------------------------------- oracles


def _keras_attention(query, keys, values, mask):
    """(context, weights) of Keras' ``Attention`` on the scaled query.

    A row whose mask is all False gets weights and context 0.
    """
    layer = keras.layers.Attention(use_scale=False, dtype="float64",
                                   seed=0)
    scaled = query / np.sqrt(query.shape[-1])
    context, weights = layer(
        [tf.constant(scaled), tf.constant(values), tf.constant(keys)],
        mask=[None, tf.constant(mask)], return_attention_scores=True,
    )
    seen = mask.any(axis=-1)[:, None, None]
    return (np.where(seen, np.asarray(context), 0.0),
            np.where(seen, np.asarray(weights), 0.0))


def _tf_attention(query, keys, values, mask):
    """Masked scaled dot-product attention in TensorFlow ops."""
    visible = tf.constant(mask[:, None, :])
    scores = tf.matmul(query, keys, transpose_b=True) / np.sqrt(
        query.shape[-1])
    any_seen = tf.reduce_any(visible, axis=-1, keepdims=True)
    top = tf.reduce_max(tf.where(visible, scores, scores.dtype.min), -1,
                        keepdims=True)
    top = tf.stop_gradient(tf.where(any_seen, top, tf.zeros_like(top)))
    # exp of the unmasked scores only: an overflow in the branch that
    # tf.where drops would still turn its gradient into NaN.
    inside = tf.where(visible, scores, top)
    e = tf.where(visible, tf.exp(inside - top), tf.zeros_like(scores))
    total = tf.reduce_sum(e, axis=-1, keepdims=True)
    weights = e / tf.where(total > 0, total, tf.ones_like(total))
    return tf.matmul(weights, values), weights


def _attention_tape(query, keys, values, mask, dcontext, dweights):
    """[dquery, dkeys, dvalues] of the loss sum(c dc) + sum(a da)."""
    inputs = [tf.constant(a) for a in (query, keys, values)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        context, weights = _tf_attention(*inputs, mask)
        loss = tf.reduce_sum(context * dcontext)
        if dweights is not None:
            loss += tf.reduce_sum(weights * dweights)
    return [np.asarray(g) for g in tape.gradient(loss, inputs)]


def _np_attention(query, keys, values, mask, *, scale="sqrt",
                  over_queries=False):
    """Attention as an explicit loop over examples, right or wrong.

    The keyword arguments select one common mistake at a time (for the
    hints): ``scale`` "sqrt", "none" or "H"; ``over_queries``: the
    softmax normalises over the queries instead of the positions.
    """
    n, tq, h = query.shape
    divide = {"sqrt": np.sqrt(h), "none": 1.0, "H": float(h)}[scale]
    scores = np.einsum("nih,nth->nit", query, keys) / divide
    axis = 0 if over_queries else 1
    weights = np.zeros_like(scores)
    for b in range(n):
        columns = np.flatnonzero(mask[b])
        if columns.size == 0:
            continue
        block = scores[b][:, columns]
        block = np.exp(block - block.max(axis=axis, keepdims=True))
        weights[b][:, columns] = block / block.sum(axis=axis, keepdims=True)
    return np.einsum("nit,ntv->niv", weights, values), weights


def _np_backward(dcontext, dweights, cache, *, scale=True,
                 use_dweights=True, softmax_jacobian=True):
    """The gradients a few wrong backward passes give (for the hints)."""
    query, keys, values, _, weights = cache
    dvalues = np.einsum("nit,niv->ntv", weights, dcontext)
    da = np.einsum("niv,ntv->nit", dcontext, values)
    if dweights is not None and use_dweights:
        da = da + dweights
    ds = weights * da
    if softmax_jacobian:
        ds = ds - weights * np.sum(weights * da, axis=-1, keepdims=True)
    root = np.sqrt(query.shape[-1]) if scale else 1.0
    return [np.einsum("nit,nth->nih", ds, keys) / root,
            np.einsum("nit,nih->nth", ds, query) / root, dvalues]


def _draw_attention(rng, n, tq, t, h, hv, *, empty_row=False,
                    garbage=False, large=False):
    """query, keys, values, mask: every row sees at least one position,
    unless ``empty_row`` (then row 0 sees none)."""
    query = rng.standard_normal((n, tq, h))
    keys = rng.standard_normal((n, t, h))
    values = rng.standard_normal((n, t, hv))
    mask = rng.random((n, t)) < 0.7
    mask[np.arange(n), rng.integers(0, t, n)] = True
    if empty_row:
        mask[0] = False
    if garbage:
        keys = np.where(mask[:, :, None], keys, GARBAGE * keys)
        values = np.where(mask[:, :, None], values, GARBAGE * values)
    if large:
        query = LARGE * query
    return query, keys, values, mask


def _describe(case, *, empty_row=False, garbage=False, large=False):
    extra = []
    if empty_row:
        extra.append(Text("a row whose mask is all False",
                          "una fila cuya máscara es toda False"))
    if garbage:
        extra.append(Text("large numbers at the masked positions",
                          "números grandes en las posiciones "
                          "enmascaradas"))
    if large:
        extra.append(Text("scores in the hundreds",
                          "puntuaciones de cientos"))
    for more in extra:
        case = Text(case.en + ", with " + more.en,
                    case.es + ", con " + more.es)
    return case


# ------------------------------------------------------------------ hints

_NO_SCALE = Text(
    "The scores are not scaled: s = q k^T / sqrt(H), with H the size of "
    "the query (query.shape[-1]).",
    "Las puntuaciones no están escaladas: s = q k^T / sqrt(H), con H el "
    "tamaño de la consulta (query.shape[-1]).",
)
_SCALE_BY_H = Text(
    "The scores are divided by H: the scale is 1 / sqrt(H).",
    "Las puntuaciones están divididas entre H: la escala es 1 / sqrt(H).",
)
_MASK_IGNORED = Text(
    "The mask is ignored: a position where mask is False leaves the "
    "softmax (score -inf, or out of the sums) and gets weight exactly 0.",
    "Se ignora la máscara: una posición donde mask es False sale de la "
    "softmax (puntuación -inf, o fuera de las sumas) y recibe un peso de "
    "exactamente 0.",
)
_WRONG_AXIS = Text(
    "The softmax runs over the wrong axis: each query's weights sum to 1 "
    "over the T positions, the last axis (axis=-1).",
    "La softmax recorre el eje equivocado: los pesos de cada consulta "
    "suman 1 sobre las T posiciones, el último eje (axis=-1).",
)
_EMPTY_ROW = Text(
    "A row whose mask is all False has nothing to look at: its weights "
    "and its context are 0, not NaN (a sum of zero weights must not be "
    "divided by).",
    "Una fila cuya máscara es toda False no tiene nada que mirar: sus "
    "pesos y su contexto son 0, no NaN (no dividas entre una suma de "
    "pesos nula).",
)
_STABLE = Text(
    "Large scores overflow np.exp: subtract the largest unmasked score "
    "of each row before it; the softmax does not change.",
    "Las puntuaciones grandes desbordan np.exp: resta antes la mayor "
    "puntuación no enmascarada de cada fila; la softmax no cambia.",
)
_NOT_FINITE = Text(
    "Check the axis of the softmax (the last one, the T positions) and "
    "that no sum of exponentials is 0 or inf.",
    "Revisa el eje de la softmax (el último, las T posiciones) y que "
    "ninguna suma de exponenciales sea 0 o inf.",
)
_GARBAGE = Text(
    "Masked positions hold any numbers (padding): keep their scores out "
    "of np.exp (give them -inf, or leave them out) and subtract the "
    "largest unmasked score.",
    "Las posiciones enmascaradas contienen cualquier número (relleno): "
    "deja sus puntuaciones fuera de np.exp (dales -inf o déjalas fuera) "
    "y resta la mayor puntuación no enmascarada.",
)
_WEIGHTS_HINT = Text(
    "weights = softmax over the last axis of query @ keys^T / sqrt(H), "
    "over the unmasked positions only.",
    "weights = softmax sobre el último eje de query @ keys^T / sqrt(H), "
    "solo sobre las posiciones no enmascaradas.",
)
_CONTEXT_HINT = Text(
    "context = weights @ values: one weighted mean of the values per "
    "query.",
    "context = weights @ values: un promedio ponderado de los valores por "
    "consulta.",
)
_CACHE_HINT = Text(
    "The cache of dot_product_attention must be the tuple "
    "(query, keys, values, mask, weights), in this order, with weights "
    "the array it returns: attention_backward reads it.",
    "La caché de dot_product_attention debe ser la tupla "
    "(query, keys, values, mask, weights), en este orden, con weights el "
    "array que devuelve: la lee attention_backward.",
)


# ----------------------------------------------------- dot-product forward

#: (N, Tq, T, H, Hv, kind): one decoder step (Tq = 1), several queries,
#: T = 1, H != Hv both ways, a bigger case; then a row with nothing to
#: see, scores in the hundreds, and garbage at the masked positions.
_FORWARD_CASES = [
    (2, 1, 4, 3, 2, {}),
    (3, 2, 5, 4, 4, {}),
    (1, 3, 1, 2, 3, {}),
    (2, 4, 4, 4, 4, {}),
    (4, 2, 6, 8, 3, {}),
    (3, 2, 4, 3, 2, {"empty_row": True}),
    (3, 2, 6, 5, 2, {"large": True}),
    (2, 3, 5, 4, 3, {"garbage": True}),
]


def _forward_case(student_fn, query, keys, values, mask, case, lang,
                  finite_hint):
    n, tq, _ = query.shape
    t, hv = values.shape[1:]
    context_expected, weights_expected = _keras_attention(
        query, keys, values, mask)
    result = call(
        student_fn, (query, keys, values, mask),
        name="dot_product_attention",
        arg_names=("query", "keys", "values", "mask"), lang=lang,
    )
    context, weights, cache = expect_tuple(
        result, 3, what="dot_product_attention(query, keys, values, mask)",
        names="(context, weights, cache)", lang=lang,
    )
    weights = expect_array(
        weights, what="weights", shape=(n, tq, t), lang=lang,
        finite_hint=finite_hint,
        shape_hint=Text(
            "One row of T weights per query: (N, Tq, T).",
            "Una fila de T pesos por consulta: (N, Tq, T).",
        ),
    )
    hidden = ~np.broadcast_to(mask[:, None, :], weights.shape)
    if np.any(weights[hidden] != 0.0):
        fail(
            lang,
            Text("weights is not exactly 0 at every masked position",
                 "weights no es exactamente 0 en todas las posiciones "
                 "enmascaradas"),
            case, ".", _MASK_IGNORED,
        )

    def wrong(**mistake):
        return lambda: _np_attention(query, keys, values, mask,
                                     **mistake)[1]

    expect_value(
        weights, weights_expected, what="weights", lang=lang, case=case,
        hint=_WEIGHTS_HINT, mistakes=[
            (wrong(scale="none"), _NO_SCALE),
            (wrong(scale="H"), _SCALE_BY_H),
            (wrong(over_queries=True), _WRONG_AXIS),
        ],
    )
    context = expect_array(
        context, what="context", shape=(n, tq, hv), lang=lang,
        finite_hint=finite_hint,
        shape_hint=Text(
            "context = weights @ values is (N, Tq, T) @ (N, T, Hv).",
            "context = weights @ values es (N, Tq, T) @ (N, T, Hv).",
        ),
    )
    expect_value(
        context, context_expected, what="context", lang=lang, case=case,
        hint=_CONTEXT_HINT,
    )
    expect_cache(
        cache, (query, keys, values, mask, weights_expected), lang=lang,
        names="(query, keys, values, mask, weights)", hint=_CACHE_HINT,
    )


@hidden_check
def check_dot_product_attention(student_fn, lang="en"):
    """Check ``dot_product_attention(query, keys, values, mask)``.

    Oracle: float64 ``keras.layers.Attention(use_scale=False)`` on
    ``query / sqrt(H)``, ``mask`` as its value mask, with zeros for a
    row whose mask is all False. Masked weights must be exactly 0; one
    case has such a row, one holds garbage at the masked positions, one
    has scores in the hundreds. The cache must be
    ``(query, keys, values, mask, weights)``.
    """
    rng = np.random.default_rng(_SEED["dot_product_attention"])
    for n, tq, t, h, hv, kind in _FORWARD_CASES:
        inputs = _draw_attention(rng, n, tq, t, h, hv, **kind)
        case = _describe(shape_case(query=(n, tq, h), keys=(n, t, h)),
                         **kind)
        finite_hint = _NOT_FINITE
        if kind.get("empty_row"):
            finite_hint = _EMPTY_ROW
        elif kind.get("large"):
            finite_hint = _STABLE
        elif kind.get("garbage"):
            finite_hint = _GARBAGE
        _forward_case(student_fn, *inputs, case, lang, finite_hint)


# ---------------------------------------------------- dot-product backward

_BACK_NAMES = ("dquery", "dkeys", "dvalues")

#: (N, Tq, T, H, Hv, dweights given, kind).
_BACKWARD_CASES = [
    (2, 1, 4, 3, 2, False, {}),
    (3, 2, 5, 4, 4, True, {}),
    (1, 3, 1, 2, 3, True, {}),
    (2, 3, 4, 5, 2, False, {}),
    (3, 2, 4, 3, 2, True, {"empty_row": True}),
    (2, 3, 5, 4, 3, True, {"garbage": True}),
]

_DWEIGHTS_IGNORED = Text(
    "dweights is ignored: when it is given, the loss reads the weights "
    "too, and dL/da = dcontext V^T + dweights.",
    "Se ignora dweights: cuando se da, la pérdida también lee los pesos, "
    "y dL/da = dcontext V^T + dweights.",
)
_BACK_NO_SCALE = Text(
    "The 1 / sqrt(H) of the scores is missing: dquery = ds K / sqrt(H) "
    "and dkeys = ds^T Q / sqrt(H).",
    "Falta el 1 / sqrt(H) de las puntuaciones: dquery = ds K / sqrt(H) y "
    "dkeys = ds^T Q / sqrt(H).",
)
_SOFTMAX_BACK = Text(
    "The softmax's backward pass has two terms: "
    "ds_t = a_t (da_t - sum_u a_u da_u).",
    "El paso hacia atrás de la softmax tiene dos términos: "
    "ds_t = a_t (da_t - sum_u a_u da_u).",
)
_BACK_HINT = Text(
    "Go back through c = a V (dV = a^T dc, da = dc V^T + dweights), the "
    "softmax (ds = a (da - sum_u a_u da_u)) and s = q k^T / sqrt(H).",
    "Vuelve por c = a V (dV = a^T dc, da = dc V^T + dweights), la "
    "softmax (ds = a (da - sum_u a_u da_u)) y s = q k^T / sqrt(H).",
)


def _backward_case(student_fn, query, keys, values, mask, with_dweights,
                   case, rng, lang):
    _, weights = _keras_attention(query, keys, values, mask)
    cache = (query, keys, values, mask, weights)
    dcontext = rng.standard_normal((query.shape[0], query.shape[1],
                                    values.shape[2]))
    dweights = rng.standard_normal(weights.shape) if with_dweights else None
    expected = _attention_tape(query, keys, values, mask, dcontext,
                               dweights)

    def loss(query, keys, values):
        context, weights = _np_attention(query, keys, values, mask)
        total = np.sum(context * dcontext)
        if dweights is not None:
            total += np.sum(weights * dweights)
        return total

    numeric = numerical_gradients(loss, [query, keys, values])
    result = call(
        student_fn, (dcontext, dweights, cache), name="attention_backward",
        arg_names=("dcontext", "dweights", "cache"), lang=lang,
    )
    grads = expect_grads(
        result, _BACK_NAMES, (query, keys, values), lang=lang,
        what="attention_backward(dcontext, dweights, cache)",
    )
    if dweights is None:
        case = Text(case.en + " and dweights=None",
                    case.es + " y dweights=None")

    def mistakes(k, name):
        def wrong(**mistake):
            return lambda: _np_backward(dcontext, dweights, cache,
                                        **mistake)[k]

        return [
            (wrong(use_dweights=False), _DWEIGHTS_IGNORED),
            (wrong(scale=False), _BACK_NO_SCALE),
            (wrong(softmax_jacobian=False), _SOFTMAX_BACK),
        ]

    expect_gradients(
        grads, _BACK_NAMES, expected, numeric, lang=lang, case=case,
        hint=_BACK_HINT, mistakes=mistakes,
    )


@hidden_check
def check_attention_backward(student_fn, lang="en"):
    """Check ``attention_backward(dcontext, dweights, cache)``.

    Oracles: ``tf.GradientTape`` of sum(context * dcontext) (+ sum(weights
    * dweights) when given) through the attention in TensorFlow ops, and
    centred differences in float64 of a NumPy loop, with respect to
    query, keys and values. The caches are built here, from Keras'
    ``Attention``, in the layout of the docstring.
    """
    rng = np.random.default_rng(_SEED["attention_backward"])
    for n, tq, t, h, hv, with_dweights, kind in _BACKWARD_CASES:
        inputs = _draw_attention(rng, n, tq, t, h, hv, **kind)
        case = _describe(shape_case(query=(n, tq, h), keys=(n, t, h)),
                         **kind)
        _backward_case(student_fn, *inputs, with_dweights, case, rng, lang)


# ------------------------------------------------------ additive attention

#: (N, Tq, T, Hq, Hk, A): square (Hq = Hk = A, where Wq.T and swapped
#: weights run), one decoder step, T = 1, every size different, a row
#: with nothing to see.
_ADDITIVE_CASES = [
    (2, 1, 4, 3, 3, 3, {}),
    (1, 3, 5, 4, 2, 6, {}),
    (3, 2, 1, 2, 5, 4, {}),
    (2, 4, 3, 5, 5, 5, {}),
    (3, 2, 4, 3, 4, 2, {"empty_row": True}),
]

_ADD_HINT = Text(
    "scores[n, i, t] = v . tanh(query[n, i] @ Wq + keys[n, t] @ Wk): "
    "Wq is (Hq, A) and multiplies the query from the right.",
    "scores[n, i, t] = v . tanh(query[n, i] @ Wq + keys[n, t] @ Wk): "
    "Wq es (Hq, A) y multiplica a la consulta por la derecha.",
)
_ADD_MASK = Text(
    "A masked position gets the score -np.inf (not a large negative "
    "number, not its score): the softmax then gives it weight 0.",
    "Una posición enmascarada recibe la puntuación -np.inf (ni un número "
    "negativo grande ni su puntuación): así la softmax le da peso 0.",
)


def _keras_additive(query, keys, Wq, Wk, v):
    """Scores (N, Tq, T) of Keras' AdditiveAttention on the projections."""
    q = dense_layer(Wq, np.zeros(Wq.shape[1]))(tf.constant(query))
    k = dense_layer(Wk, np.zeros(Wk.shape[1]))(tf.constant(keys))
    layer = keras.layers.AdditiveAttention(use_scale=True, dtype="float64")
    # The scale's unseeded initialiser draws from Python's random: its
    # state is put back, and the draw is replaced by v.
    state = random.getstate()
    try:
        layer.build([(None, None, v.shape[0]), (None, None, v.shape[0])])
    finally:
        random.setstate(state)
    layer.set_weights([v])
    return np.asarray(layer._calculate_scores(query=q, key=k))


def _additive_case(student_fn, query, keys, Wq, Wk, v, mask, case, lang):
    n, tq, hq = query.shape
    t, hk = keys.shape[1:]
    expected = _keras_additive(query, keys, Wq, Wk, v)
    result = call(
        student_fn, (query, keys, Wq, Wk, v, mask),
        name="additive_attention_scores",
        arg_names=("query", "keys", "Wq", "Wk", "v", "mask"), lang=lang,
    )
    label = "additive_attention_scores(query, keys, Wq, Wk, v, mask)"
    if (isinstance(result, np.ndarray) and result.shape == (n, tq, t)
            and np.issubdtype(result.dtype, np.floating)):
        # -inf is promised at the masked positions: check it, then the
        # finite scores on their own.
        visible = np.broadcast_to(mask[:, None, :], result.shape)
        hidden_part = result[~visible]
        if not np.all(hidden_part == -np.inf):
            fail(
                lang,
                Text("The scores of the masked positions are not -inf",
                     "Las puntuaciones de las posiciones enmascaradas no "
                     "son -inf"),
                case, ".", _ADD_MASK,
            )
        result = result[visible]
        expected = expected[visible]
        shape = expected.shape
    else:
        shape = (n, tq, t)
    scores = expect_array(
        result, what=label, shape=shape, lang=lang,
        shape_hint=Text(
            "One score per query row and position: (N, Tq, T).",
            "Una puntuación por fila de consulta y posición: (N, Tq, T).",
        ),
    )

    def wrong(query=query, keys=keys, Wq=Wq, Wk=Wk, v=v, act=np.tanh):
        full = act(np.einsum("nih,ha->nia", query, Wq)[:, :, None]
                   + np.einsum("nth,ha->nta", keys, Wk)[:, None])
        return (full @ v)[np.broadcast_to(mask[:, None, :],
                                          (n, tq, t))]

    mistakes = [
        (lambda: wrong(act=lambda z: z), Text(
            "Apply tanh to q Wq + k_t Wk before the product with v.",
            "Aplica tanh a q Wq + k_t Wk antes del producto con v.",
        )),
        (lambda: wrong(v=np.ones_like(v)), Text(
            "Each sum of tanh(q Wq + k_t Wk) is weighted by v: the score "
            "is v . tanh(...), not the plain sum.",
            "Cada suma de tanh(q Wq + k_t Wk) se pondera con v: la "
            "puntuación es v . tanh(...), no la suma simple.",
        )),
    ]
    if hq == Wq.shape[1]:
        mistakes.append((lambda: wrong(Wq=Wq.T), _ADD_HINT))
    if hk == Wk.shape[1]:
        mistakes.append((lambda: wrong(Wk=Wk.T), Text(
            "Wk is (Hk, A) and multiplies the keys from the right: "
            "keys @ Wk, not keys @ Wk.T.",
            "Wk es (Hk, A) y multiplica a las claves por la derecha: "
            "keys @ Wk, no keys @ Wk.T.",
        )))
    if hq == hk:
        mistakes.append((lambda: wrong(Wq=Wk, Wk=Wq), Text(
            "Wq and Wk are swapped: the query multiplies Wq, the keys Wk.",
            "Wq y Wk están intercambiadas: la consulta multiplica a Wq, "
            "las claves a Wk.",
        )))
    expect_value(
        scores, expected, what="scores", lang=lang, case=case,
        hint=_ADD_HINT, mistakes=mistakes,
    )


@hidden_check
def check_additive_attention_scores(student_fn, lang="en"):
    """Check ``additive_attention_scores(query, keys, Wq, Wk, v, mask)``.

    Oracle: float64 ``keras.layers.Dense`` projections holding Wq and Wk
    (no bias), then the scores of ``keras.layers.AdditiveAttention``
    (``use_scale=True``, its scale holding v). Masked positions must be
    exactly -inf; one case has a row with nothing to see.
    """
    rng = np.random.default_rng(_SEED["additive_attention_scores"])
    for n, tq, t, hq, hk, a, kind in _ADDITIVE_CASES:
        query = rng.standard_normal((n, tq, hq))
        _, keys, _, mask = _draw_attention(rng, n, 1, t, hk, 1, **kind)
        Wq = rng.standard_normal((hq, a)) / np.sqrt(hq)
        Wk = rng.standard_normal((hk, a)) / np.sqrt(hk)
        v = rng.standard_normal(a)
        case = _describe(
            shape_case(query=query.shape, keys=keys.shape, Wq=Wq.shape),
            **kind,
        )
        _additive_case(student_fn, query, keys, Wq, Wk, v, mask, case,
                       lang)


# ---------------------------------------------------------- greedy decoding


def _walk(decoder, start, end, max_len, *, feed_back=True, keep_state=True,
          stop=True, ties="low", keep_end=True, keep_start=False):
    """Greedy tokens of ``decoder``, right (the defaults) or wrong.

    Each keyword selects one common mistake (for the hints).
    """
    tokens = [start] if keep_start else []
    produced, token, state = 0, start, decoder.start_state
    while produced < max_len:
        read = token if feed_back else start
        state = int(decoder.next_state[state if keep_state
                                       else decoder.start_state, read])
        row = decoder.scores[state]
        best = np.flatnonzero(row == row.max())
        token = int(best[0] if ties == "low" else best[-1])
        produced += 1
        if token == end and stop:
            if keep_end:
                tokens.append(token)
            break
        tokens.append(token)
    return tokens


def _decoder(rng, states, vocab, *, end, ties=False, logits=False,
             avoid_end=False):
    """A random TableDecoder that walks forward through its states.

    Reading a token moves from state s to s + 1 or s + 2 (mod S),
    depending on the token; only the last state makes ``end`` the most
    likely token, unless ``avoid_end`` (then no state does). ``ties``
    rounds the scores to halves, so that many rows have tied maxima.
    """
    scores = rng.random((states, vocab))
    if ties:
        scores = np.round(scores * 2.0) / 2.0
    scores[:, end] = -1.0
    if not avoid_end:
        scores[states - 1, end] = 2.0
    if logits:
        scores = 8.0 * scores - 4.0
    moves = rng.integers(1, 3, (states, vocab))
    next_state = (np.arange(states)[:, None] + moves) % states
    return TableDecoder(scores=scores, next_state=next_state)


_GREEDY_MISTAKES = [
    ({"stop": False}, Text(
        "Decoding must stop right after end_token is produced.",
        "La decodificación debe detenerse justo después de producir "
        "end_token.",
    )),
    ({"keep_end": False}, Text(
        "end_token is part of the output: keep it, then stop.",
        "end_token forma parte de la salida: consérvalo y luego detente.",
    )),
    ({"keep_start": True}, Text(
        "start_token is not part of the output: only the tokens produced "
        "are.",
        "start_token no forma parte de la salida: solo los tokens "
        "producidos.",
    )),
    ({"keep_state": False}, Text(
        "Pass the state that step_fn returns to the next call: "
        "scores, state = step_fn(token, state).",
        "Pasa el estado que devuelve step_fn a la llamada siguiente: "
        "scores, state = step_fn(token, state).",
    )),
    ({"feed_back": False}, Text(
        "Each step reads the token produced by the step before, not "
        "start_token again.",
        "Cada paso lee el token producido por el paso anterior, no "
        "start_token otra vez.",
    )),
    ({"ties": "high"}, Text(
        "On a tie, take the lowest id (what np.argmax returns).",
        "En un empate, toma el id menor (lo que devuelve np.argmax).",
    )),
]

#: (states, vocab, start, end, max_len, kind).
_GREEDY_CASES = [
    (6, 5, 1, 0, 12, {}),
    (8, 7, 0, 6, 15, {"ties": True}),
    (5, 4, 2, 3, 9, {"logits": True}),
    (4, 6, 5, 0, 7, {"avoid_end": True}),
    (7, 5, 4, 2, 1, {}),
    (9, 8, 3, 7, 20, {"ties": True, "logits": True}),
    (6, 6, 0, 5, 10, {"avoid_end": True, "ties": True}),
]


def _greedy_case(student_fn, decoder, start, end, max_len, case, lang):
    expected = _walk(decoder, start, end, max_len)
    result = call(
        student_fn, (decoder, start, end, max_len), name="greedy_decode",
        arg_names=("step_fn", "start_token", "end_token", "max_len"),
        lang=lang,
    )
    if result is None:
        fail(lang, Text(
            "greedy_decode returned None: did you forget the `return`?",
            "greedy_decode devolvió None: ¿olvidaste el `return`?",
        ))
    if not isinstance(result, list) or not all(
        isinstance(token, numbers.Integral)
        and not isinstance(token, (bool, np.bool_)) for token in result
    ):
        fail(lang, Text(
            "greedy_decode must return a list of int, not "
            f"{type(result).__name__}.",
            "greedy_decode debe devolver una lista de int, no "
            f"{type(result).__name__}.",
        ))
    tokens = [int(token) for token in result]
    if len(tokens) > max_len:
        fail(
            lang,
            Text(f"greedy_decode returned {len(tokens)} tokens with "
                 f"max_len={max_len}",
                 f"greedy_decode devolvió {len(tokens)} tokens con "
                 f"max_len={max_len}"),
            case, ".",
            Text("The output holds at most max_len tokens.",
                 "La salida tiene a lo sumo max_len tokens."),
        )
    if tokens == expected:
        return
    hint = next(
        (text for mistake, text in _GREEDY_MISTAKES
         if tokens == _walk(decoder, start, end, max_len, **mistake)
         != expected),
        Text(
            "From start_token and state None, call step_fn, keep "
            "int(np.argmax(scores)) and feed it, with the new state, to "
            "the next call; stop after end_token or max_len tokens.",
            "Desde start_token y el estado None, llama a step_fn, quédate "
            "con int(np.argmax(scores)) y pásalo, con el estado nuevo, a "
            "la llamada siguiente; detente tras end_token o tras max_len "
            "tokens.",
        ),
    )
    fail(
        lang,
        Text("greedy_decode did not return the greedy tokens",
             "greedy_decode no devolvió los tokens voraces"),
        case, ".", hint,
    )


@hidden_check
def check_greedy_decode(student_fn, lang="en"):
    """Check ``greedy_decode(step_fn, start_token, end_token, max_len)``.

    Oracle: the greedy walk through random ``TableDecoder``s, done here.
    Cases with ties (the lowest id wins), logits, an end token never
    produced (the output has max_len tokens), max_len = 1, and decoders
    whose next state depends on the state (it must be passed along).
    """
    rng = np.random.default_rng(_SEED["greedy_decode"])
    for states, vocab, start, end, max_len, kind in _GREEDY_CASES:
        decoder = _decoder(rng, states, vocab, end=end, **kind)
        case = Text(
            f"for a decoder of {states} states and {vocab} tokens, "
            f"end_token={end}, max_len={max_len}",
            f"para un decodificador de {states} estados y {vocab} tokens, "
            f"end_token={end}, max_len={max_len}",
        )
        _greedy_case(student_fn, decoder, start, end, max_len, case, lang)
