"""Hidden checks of chapter 2: the forward pass of recurrent networks.

One ``check_<function>(student_fn, lang="en")`` per graded function of
``solutions/02-rnn-forward-{en,es}``. The oracles are Keras 3 layers
built in float64 (and once in float32) with the student's weights
injected: ``SimpleRNN`` (kernel ``Wx`` (D, H), recurrent kernel ``Wh``
(H, H), bias ``b`` (H,), the layout of the course) called with
``initial_state=[h0]``, ``Dense(C, activation="softmax")`` on its last
state, a chain of ``SimpleRNN`` layers, and ``SimpleRNN.count_params``.
Each check draws its inputs from its own seeded generator, so it is
deterministic and leaves every global random state alone (the Keras
layers get zero initialisers and a fixed dropout seed, which would
otherwise draw from Python's ``random``).

The caches are fixed by the notebook's docstrings, because chapter 3's
backward functions read them: ``rnn_step_forward`` caches
``(x_t, h_prev, Wx, Wh, h_next)`` and ``rnn_forward`` caches the list of
its T step caches, in time order.

When a value is wrong, the check recomputes it, with the same Keras
layers, the way a few common mistakes would (bias left out, zeros
instead of h0, Wx and Wh swapped, the first state instead of the last,
...) and, if one of them matches, names the mistake in its hint.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from ._common import (
    Text,
    call,
    expect_array,
    expect_cache,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    shape_case,
)

#: A feature of the inputs that is constant at this value in one case
#: of ``check_rnn_step_forward``, its contribution cancelled by the bias.
#: Rounding the inputs to float32 moves the pre-activation by ~1e-4
#: there (float64: ~1e-13), while storing the states in float32 still
#: costs only ~6e-8.
OFFSET = 1000.0

_SEED = {
    "rnn_step_forward": 201,
    "rnn_forward": 202,
    "many_to_one_forward": 203,
    "stacked_rnn_forward": 204,
    "count_rnn_params": 205,
}


# ---------------------------------------------------------------- oracles


def _simple_rnn(Wx, Wh, b, *, dtype="float64", activation="tanh"):
    """A ``keras.layers.SimpleRNN`` holding Wx, Wh, b; all states out."""
    layer = keras.layers.SimpleRNN(
        Wh.shape[0],
        activation=activation,
        return_sequences=True,
        dtype=dtype,
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer="zeros",
        seed=0,
    )
    layer.build((None, None, Wx.shape[0]))
    layer.set_weights([Wx, Wh, b])
    return layer


def _run(layer, x, h0):
    """States (N, T, H) of ``layer`` on x (N, T, D) from h0 (N, H)."""
    states = layer(
        tf.constant(x, dtype=layer.dtype),
        initial_state=[tf.constant(h0, dtype=layer.dtype)],
    )
    return np.asarray(states)


def _states(x, h0, Wx, Wh, b, *, dtype="float64", activation="tanh"):
    """States of a fresh SimpleRNN with these weights (for diagnoses)."""
    layer = _simple_rnn(Wx, Wh, b, dtype=dtype, activation=activation)
    return _run(layer, x, h0)


def _dense_softmax(Wy, by, *, dtype="float64"):
    """A ``keras.layers.Dense(C, activation="softmax")`` holding Wy, by."""
    layer = keras.layers.Dense(
        Wy.shape[1],
        activation="softmax",
        dtype=dtype,
        kernel_initializer="zeros",
        bias_initializer="zeros",
    )
    layer.build((None, Wy.shape[0]))
    layer.set_weights([Wy, by])
    return layer


def _softmax(z, axis=-1):
    return np.asarray(keras.activations.softmax(tf.constant(z), axis=axis))


def _float32_case(case):
    """The case, said to be the float32 one."""
    return Text(
        case.en + " (float32 inputs)", case.es + " (entradas float32)",
    )


def _draw_rnn(rng, n, t, d, h, dtype=np.float64):
    """x (N, T, D), h0 (N, H), Wx, Wh, b with moderate pre-activations."""
    x = rng.standard_normal((n, t, d))
    h0 = rng.uniform(-1.0, 1.0, (n, h))
    Wx = rng.standard_normal((d, h)) / np.sqrt(d)
    Wh = 0.8 * rng.standard_normal((h, h)) / np.sqrt(h)
    b = 0.5 * rng.standard_normal(h)
    return tuple(a.astype(dtype) for a in (x, h0, Wx, Wh, b))


def _offset(x, Wx, b):
    """Set the first feature of x to OFFSET; the bias that cancels it."""
    x[..., 0] = OFFSET
    return b - OFFSET * Wx[0]


# Hints shared by the recurrent checks.
_NO_BIAS = Text(
    "Did you add the bias b? h_t = tanh(x_t Wx + h_prev Wh + b).",
    "¿Sumaste el sesgo b? h_t = tanh(x_t Wx + h_prev Wh + b).",
)
_SWAPPED = Text(
    "Wx and Wh are swapped: the input x_t multiplies Wx, of shape (D, H), "
    "and the previous state multiplies Wh, of shape (H, H).",
    "Wx y Wh están intercambiadas: la entrada x_t multiplica a Wx, de "
    "forma (D, H), y el estado anterior multiplica a Wh, de forma (H, H).",
)
_TRANSPOSED_WH = Text(
    "Use h_prev @ Wh, not h_prev @ Wh.T: Wh has the layout of Keras, one "
    "row per component of h_prev.",
    "Usa h_prev @ Wh, no h_prev @ Wh.T: Wh sigue la disposición de Keras, "
    "una fila por componente de h_prev.",
)
_NO_TANH = Text(
    "Apply tanh to the pre-activation: h_t = tanh(x_t Wx + h_prev Wh + b).",
    "Aplica tanh a la preactivación: h_t = tanh(x_t Wx + h_prev Wh + b).",
)


# -------------------------------------------------------------- one step

#: (N, D, H): square cases (D == H) where Wx and Wh can be swapped
#: without a shape error (one first, for its hint), N = 1, D != H both
#: ways, H = 1.
_STEP_SHAPES = [
    (3, 3, 3), (1, 3, 2), (2, 4, 3), (4, 2, 5), (2, 1, 1), (5, 6, 6),
]


def _step_case(student_fn, x_t, h_prev, Wx, Wh, b, lang):
    n, d = x_t.shape
    h = Wh.shape[0]
    dtype = "float32" if x_t.dtype == np.float32 else "float64"
    layer = _simple_rnn(Wx, Wh, b, dtype=dtype)
    expected = _run(layer, x_t[:, None, :], h_prev)[:, 0]
    result = call(
        student_fn, (x_t, h_prev, Wx, Wh, b), name="rnn_step_forward",
        arg_names=("x_t", "h_prev", "Wx", "Wh", "b"), lang=lang,
    )
    h_next, cache = expect_tuple(
        result, 2, what="rnn_step_forward(x_t, h_prev, Wx, Wh, b)",
        names="(h_next, cache)", lang=lang,
    )
    h_next = expect_array(
        h_next, what="h_next", shape=(n, h), lang=lang,
        shape_hint=Text(
            "x_t @ Wx is (N, D) @ (D, H) and h_prev @ Wh is (N, H) @ "
            "(H, H): h_next is (N, H).",
            "x_t @ Wx es (N, D) @ (D, H) y h_prev @ Wh es (N, H) @ (H, H): "
            "h_next es (N, H).",
        ),
    )
    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)
    if dtype == "float32":
        case = _float32_case(case)

    def one_step(**weights):
        given = {"h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b}
        given.update(weights)
        activation = given.pop("activation", "tanh")
        return _states(
            x_t[:, None, :], given["h_prev"], given["Wx"], given["Wh"],
            given["b"], dtype=dtype, activation=activation,
        )[:, 0]

    mistakes = [
        (lambda: one_step(b=np.zeros_like(b)), _NO_BIAS),
        (
            lambda: one_step(h_prev=np.zeros_like(h_prev)),
            Text(
                "h_next does not depend on h_prev: did you use h_prev, or "
                "zeros? The term h_prev @ Wh is what makes the layer "
                "recurrent.",
                "h_next no depende de h_prev: ¿usaste h_prev o ceros? El "
                "término h_prev @ Wh es lo que hace recurrente a la capa.",
            ),
        ),
        (lambda: one_step(activation=None), _NO_TANH),
        (lambda: one_step(Wh=Wh.T.copy()), _TRANSPOSED_WH),
    ]
    if d == h:
        mistakes.append((lambda: one_step(Wx=Wh, Wh=Wx), _SWAPPED))
    expect_value(
        h_next, expected, what="h_next", lang=lang, case=case,
        mistakes=mistakes,
        hint=Text(
            "h_next = tanh(x_t @ Wx + h_prev @ Wh + b).",
            "h_next = tanh(x_t @ Wx + h_prev @ Wh + b).",
        ),
    )
    expect_cache(
        cache, (x_t, h_prev, Wx, Wh, expected), lang=lang,
        names="(x_t, h_prev, Wx, Wh, h_next)",
        hint=Text(
            "The cache of rnn_step_forward must be the tuple "
            "(x_t, h_prev, Wx, Wh, h_next), in this order, with h_next "
            "the array it returns: rnn_step_backward (chapter 3) reads "
            "it.",
            "La caché de rnn_step_forward debe ser la tupla "
            "(x_t, h_prev, Wx, Wh, h_next), en este orden, con h_next "
            "el array que devuelve: la lee rnn_step_backward "
            "(capítulo 3).",
        ),
    )


@hidden_check
def check_rnn_step_forward(student_fn, lang="en"):
    """Check ``rnn_step_forward(x_t, h_prev, Wx, Wh, b)``.

    Oracle: a float64 ``SimpleRNN`` with the weights, run for one step
    from ``h_prev``; one case whose first feature is ``OFFSET``, its
    contribution cancelled by the bias (float32 arithmetic fails it);
    one float32 case. The cache must be
    ``(x_t, h_prev, Wx, Wh, h_next)``.
    """
    rng = np.random.default_rng(_SEED["rnn_step_forward"])
    for n, d, h in _STEP_SHAPES:
        x, h_prev, Wx, Wh, b = _draw_rnn(rng, n, 1, d, h)
        _step_case(student_fn, x[:, 0], h_prev, Wx, Wh, b, lang)
    x, h_prev, Wx, Wh, b = _draw_rnn(rng, 4, 1, 3, 5)
    b = _offset(x, Wx, b)
    _step_case(student_fn, x[:, 0], h_prev, Wx, Wh, b, lang)
    x, h_prev, Wx, Wh, b = _draw_rnn(rng, 3, 1, 4, 4, dtype=np.float32)
    _step_case(student_fn, x[:, 0], h_prev, Wx, Wh, b, lang)


# ------------------------------------------------------- a whole sequence

#: (N, T, D, H): square cases (one first, for its hint), N = 1, T = 1,
#: D != H both ways.
_SEQUENCE_SHAPES = [
    (3, 4, 3, 3), (1, 1, 3, 2), (2, 5, 4, 3), (1, 6, 2, 5), (4, 3, 5, 4),
    (2, 7, 4, 4),
]


def _forward_case(student_fn, x, h0, Wx, Wh, b, lang):
    n, t, d = x.shape
    h = Wh.shape[0]
    dtype = "float32" if x.dtype == np.float32 else "float64"
    layer = _simple_rnn(Wx, Wh, b, dtype=dtype)
    expected = _run(layer, x, h0)
    result = call(
        student_fn, (x, h0, Wx, Wh, b), name="rnn_forward",
        arg_names=("x", "h0", "Wx", "Wh", "b"), lang=lang,
    )
    states, cache = expect_tuple(
        result, 2, what="rnn_forward(x, h0, Wx, Wh, b)", names="(h, cache)",
        lang=lang,
    )
    states = expect_array(
        states, what="h", shape=(n, t, h), lang=lang,
        shape_hint=Text(
            "h holds every hidden state: h[:, t] is the state after "
            "reading x[:, t], so h is (N, T, H), with the time axis "
            "second. h0 itself is not part of h.",
            "h contiene todos los estados ocultos: h[:, t] es el estado "
            "tras leer x[:, t], así que h es (N, T, H), con el tiempo en "
            "el segundo eje. h0 no forma parte de h.",
        ),
    )
    case = shape_case(x=x.shape, h0=h0.shape)
    if dtype == "float32":
        case = _float32_case(case)

    def run(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, activation="tanh"):
        return _states(x, h0, Wx, Wh, b, dtype=dtype, activation=activation)

    def never_updated():
        # every step starts from h0: T independent one-step runs
        steps = x.reshape(n * t, 1, d)
        starts = np.repeat(h0, t, axis=0)
        return _run(layer, steps, starts).reshape(n, t, h)

    mistakes = [
        (lambda: run(b=np.zeros_like(b)), _NO_BIAS),
        (
            lambda: run(h0=np.zeros_like(h0)),
            Text(
                "The states do not depend on h0: did you use h0, or zeros? "
                "The first step reads h_prev = h0.",
                "Los estados no dependen de h0: ¿usaste h0 o ceros? El "
                "primer paso lee h_prev = h0.",
            ),
        ),
        (
            never_updated,
            Text(
                "Every step starts from h0: after each step, the new state "
                "becomes h_prev for the next one (h_prev = h_next inside "
                "the loop).",
                "Cada paso parte de h0: tras cada paso, el estado nuevo "
                "pasa a ser h_prev del siguiente (h_prev = h_next dentro "
                "del bucle).",
            ),
        ),
        (
            lambda: np.concatenate([h0[:, None], expected[:, :-1]], axis=1),
            Text(
                "The states are shifted by one step: h[:, t] must be the "
                "state after reading x[:, t] (h_t, not h_(t-1)); h0 is not "
                "part of h.",
                "Los estados están desplazados un paso: h[:, t] debe ser el "
                "estado tras leer x[:, t] (h_t, no h_(t-1)); h0 no forma "
                "parte de h.",
            ),
        ),
        (lambda: run(activation=None), _NO_TANH),
        (lambda: run(Wh=Wh.T.copy()), _TRANSPOSED_WH),
    ]
    if d == h:
        mistakes.append((lambda: run(Wx=Wh, Wh=Wx), _SWAPPED))
    expect_value(
        states, expected, what="h", lang=lang, case=case,
        mistakes=mistakes,
        hint=Text(
            "Start from h_prev = h0 and, for t = 0, ..., T - 1, compute "
            "h_t = tanh(x[:, t] @ Wx + h_prev @ Wh + b); store it in "
            "h[:, t] and use it as the next h_prev. If your rnn_step_forward "
            "passes its tests, call it.",
            "Parte de h_prev = h0 y, para t = 0, ..., T - 1, calcula "
            "h_t = tanh(x[:, t] @ Wx + h_prev @ Wh + b); guárdalo en "
            "h[:, t] y úsalo como el siguiente h_prev. Si tu "
            "rnn_step_forward pasa sus pruebas, llámala.",
        ),
    )
    cache_hint = Text(
        "The cache of rnn_forward must be the list of the T caches "
        "returned by rnn_step_forward, in time order: cache[t] is "
        "(x[:, t], h_prev, Wx, Wh, h[:, t]), the cache of the step that "
        "reads x[:, t], with h_prev = h0 at t = 0 and h[:, t - 1] after "
        "(each step its own arrays). rnn_backward (chapter 3) reads it.",
        "La caché de rnn_forward debe ser la lista de las T cachés que "
        "devolvió rnn_step_forward, en orden temporal: cache[t] es "
        "(x[:, t], h_prev, Wx, Wh, h[:, t]), la caché del paso que lee "
        "x[:, t], con h_prev = h0 en t = 0 y h[:, t - 1] después (cada "
        "paso con sus propios arrays). La lee rnn_backward (capítulo 3).",
    )
    if not isinstance(cache, (list, tuple)) or len(cache) != t:
        fail(lang, cache_hint)
    previous = [h0] + [expected[:, step] for step in range(t - 1)]
    for step, step_cache in enumerate(cache):
        expect_cache(
            step_cache,
            (x[:, step], previous[step], Wx, Wh, expected[:, step]),
            what=f"cache[{step}]", names="(x_t, h_prev, Wx, Wh, h_next)",
            lang=lang, hint=cache_hint,
        )


@hidden_check
def check_rnn_forward(student_fn, lang="en"):
    """Check ``rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)``.

    Oracle: a float64 ``SimpleRNN(return_sequences=True)`` with the
    weights, called with ``initial_state=[h0]``; one case with a first
    feature at ``OFFSET`` that the bias cancels; one float32 case. The
    cache must be the list of the T step caches, in time order, item by
    item: cache[t] = (x[:, t], h_prev, Wx, Wh, h[:, t]).
    """
    rng = np.random.default_rng(_SEED["rnn_forward"])
    for n, t, d, h in _SEQUENCE_SHAPES:
        _forward_case(student_fn, *_draw_rnn(rng, n, t, d, h), lang)
    x, h0, Wx, Wh, b = _draw_rnn(rng, 3, 5, 3, 4)
    b = _offset(x, Wx, b)
    _forward_case(student_fn, x, h0, Wx, Wh, b, lang)
    _forward_case(
        student_fn, *_draw_rnn(rng, 2, 4, 3, 3, dtype=np.float32), lang,
    )


# ------------------------------------------------------------ many to one

#: (N, T, D, H, C): T == H (h[:, :, -1] has the shape of h[:, -1]),
#: N = 1, T = 1, N == T (h[-1] has the shape of h[:, -1]), D == H.
_MANY_TO_ONE_SHAPES = [
    (3, 3, 4, 3, 5), (1, 1, 3, 2, 2), (2, 5, 4, 3, 4), (4, 4, 2, 3, 2),
    (3, 6, 5, 5, 3),
]

_STABLE_HINT = Text(
    "Large scores overflow np.exp: subtract the maximum of each row of "
    "the scores before np.exp (np.max(s, axis=-1, keepdims=True)); it "
    "does not change the softmax.",
    "Las puntuaciones grandes desbordan np.exp: resta el máximo de cada "
    "fila de las puntuaciones antes de np.exp "
    "(np.max(s, axis=-1, keepdims=True)); no cambia la softmax.",
)


def _many_to_one_case(student_fn, x, h0, Wx, Wh, b, Wy, by, lang,
                      large=False):
    n, t, d = x.shape
    h = Wh.shape[0]
    c = Wy.shape[1]
    dtype = "float32" if x.dtype == np.float32 else "float64"
    rnn = _simple_rnn(Wx, Wh, b, dtype=dtype)
    dense = _dense_softmax(Wy, by, dtype=dtype)
    states = _run(rnn, x, h0)
    expected = np.asarray(dense(tf.constant(states[:, -1])))
    result = call(
        student_fn, (x, h0, Wx, Wh, b, Wy, by), name="many_to_one_forward",
        arg_names=("x", "h0", "Wx", "Wh", "b", "Wy", "by"), lang=lang,
    )
    probs = expect_array(
        result, what="many_to_one_forward(x, h0, Wx, Wh, b, Wy, by)",
        shape=(n, c), lang=lang,
        shape_hint=Text(
            "One row of C probabilities per sequence: the last hidden "
            "state h[:, -1] is (N, H) and Wy is (H, C).",
            "Una fila de C probabilidades por secuencia: el último estado "
            "oculto h[:, -1] es (N, H) y Wy es (H, C).",
        ),
        finite_hint=_STABLE_HINT,
    )
    case = shape_case(x=x.shape, Wy=Wy.shape)
    if large:
        case = Text(
            case.en + " and large scores", case.es + " y puntuaciones "
            "grandes",
        )
    if dtype == "float32":
        case = _float32_case(case)

    def head(state):
        return np.asarray(dense(tf.constant(state)))

    def scores(state):
        return state @ Wy + by

    mistakes = [
        (
            lambda: head(states[:, 0]),
            Text(
                "You used the first hidden state h_1: the prediction reads "
                "the last one, h_T = h[:, -1], after the whole sequence.",
                "Usaste el primer estado oculto h_1: la predicción lee el "
                "último, h_T = h[:, -1], tras toda la secuencia.",
            ),
        ),
        (
            lambda: head(_states(x, np.zeros_like(h0), Wx, Wh, b,
                                 dtype=dtype)[:, -1]),
            Text(
                "The output does not depend on h0: did you use h0, or "
                "zeros?",
                "La salida no depende de h0: ¿usaste h0 o ceros?",
            ),
        ),
        (
            lambda: scores(states[:, -1]),
            Text(
                "These are the scores h_T Wy + by: apply softmax to turn "
                "them into probabilities.",
                "Son las puntuaciones h_T Wy + by: aplica la softmax para "
                "convertirlas en probabilidades.",
            ),
        ),
        (
            lambda: _softmax(scores(states[:, -1]), axis=0),
            Text(
                "Softmax normalises each row (one sequence) over the C "
                "classes: axis=-1, not axis=0.",
                "La softmax normaliza cada fila (una secuencia) sobre las C "
                "clases: axis=-1, no axis=0.",
            ),
        ),
        (
            lambda: _softmax(states[:, -1] @ Wy),
            Text(
                "Did you add the bias by? y = softmax(h_T Wy + by).",
                "¿Sumaste el sesgo by? y = softmax(h_T Wy + by).",
            ),
        ),
    ]
    if n == t:
        mistakes.append((
            lambda: head(states[-1]),
            Text(
                "h[-1] is the last sequence of the batch, not the last "
                "state of each sequence: use h[:, -1].",
                "h[-1] es la última secuencia del lote, no el último "
                "estado de cada secuencia: usa h[:, -1].",
            ),
        ))
    if t == h:
        mistakes.append((
            lambda: head(states[:, :, -1]),
            Text(
                "h[:, :, -1] is the last component of every state: the "
                "time axis is the second one, so the last state is "
                "h[:, -1].",
                "h[:, :, -1] es la última componente de cada estado: el "
                "tiempo es el segundo eje, así que el último estado es "
                "h[:, -1].",
            ),
        ))
    expect_value(
        probs, expected, what="many_to_one_forward", lang=lang,
        case=case, mistakes=mistakes,
        hint=_STABLE_HINT if large else Text(
            "y = softmax(h_T Wy + by), with h_T = h[:, -1] the last hidden "
            "state of rnn_forward and the softmax over each row.",
            "y = softmax(h_T Wy + by), con h_T = h[:, -1] el último estado "
            "oculto de rnn_forward y la softmax sobre cada fila.",
        ),
    )


@hidden_check
def check_many_to_one_forward(student_fn, lang="en"):
    """Check ``many_to_one_forward(x, h0, Wx, Wh, b, Wy, by) -> probs``.

    Oracle: a float64 ``SimpleRNN`` (``initial_state=[h0]``) followed by
    ``Dense(C, activation="softmax")``, both with the student's weights.
    Cases with scores around 1000 (a large Wy, a large by) need a stable
    softmax; one float32 case.
    """
    rng = np.random.default_rng(_SEED["many_to_one_forward"])
    for n, t, d, h, c in _MANY_TO_ONE_SHAPES:
        inputs = _draw_rnn(rng, n, t, d, h)
        Wy = rng.standard_normal((h, c))
        by = rng.standard_normal(c)
        _many_to_one_case(student_fn, *inputs, Wy, by, lang)
    # Scores of hundreds to thousands: a large Wy, then a large by.
    inputs = _draw_rnn(rng, 4, 3, 3, 4)
    Wy = 1000.0 * rng.standard_normal((4, 3))
    by = rng.standard_normal(3)
    _many_to_one_case(student_fn, *inputs, Wy, by, lang, large=True)
    inputs = _draw_rnn(rng, 3, 4, 2, 3)
    Wy = 2.0 * rng.standard_normal((3, 4))
    by = 1000.0 + rng.standard_normal(4)
    _many_to_one_case(student_fn, *inputs, Wy, by, lang, large=True)
    inputs = _draw_rnn(rng, 2, 3, 3, 3, dtype=np.float32)
    Wy = rng.standard_normal((3, 2)).astype(np.float32)
    by = rng.standard_normal(2).astype(np.float32)
    _many_to_one_case(student_fn, *inputs, Wy, by, lang)


# ---------------------------------------------------------------- stacked

#: (N, T, D, [H_1, ..., H_L]): one layer; D and every H equal (feeding
#: x, h0s[0] or params[0] to every layer gives no shape error); sizes all
#: different; N = 1, T = 1.
_STACKED_SHAPES = [
    (2, 3, 3, [2]),
    (3, 4, 3, [3, 3, 3]),
    (2, 5, 4, [3, 5]),
    (2, 3, 2, [4, 4]),
    (1, 6, 5, [2, 3, 2]),
    (1, 1, 3, [4, 2]),
]


def _draw_stack(rng, n, t, d, sizes, dtype=np.float64):
    x = rng.standard_normal((n, t, d)).astype(dtype)
    h0s, params = [], []
    inputs = d
    for h in sizes:
        _, h0, Wx, Wh, b = _draw_rnn(rng, n, 1, inputs, h, dtype=dtype)
        h0s.append(h0)
        params.append((Wx, Wh, b))
        inputs = h
    return x, h0s, params


def _stack_states(x, h0s, params, dtype):
    """States of every layer of a chain of SimpleRNN layers."""
    out, states = x, []
    for h0, (Wx, Wh, b) in zip(h0s, params, strict=True):
        out = _run(_simple_rnn(Wx, Wh, b, dtype=dtype), out, h0)
        states.append(out)
    return states


def _stacked_case(student_fn, x, h0s, params, lang):
    n, t, d = x.shape
    sizes = [Wh.shape[0] for _, Wh, _ in params]
    dtype = "float32" if x.dtype == np.float32 else "float64"
    layers = _stack_states(x, h0s, params, dtype)
    expected = layers[-1]
    result = call(
        student_fn, (x, h0s, params), name="stacked_rnn_forward",
        arg_names=("x", "h0s", "params"), lang=lang,
    )
    states = expect_array(
        result, what="stacked_rnn_forward(x, h0s, params)",
        shape=(n, t, sizes[-1]), lang=lang,
        shape_hint=Text(
            "Return only the hidden states of the last layer, "
            "(N, T, H_L), with H_L = params[-1][1].shape[0].",
            "Devuelve solo los estados ocultos de la última capa, "
            "(N, T, H_L), con H_L = params[-1][1].shape[0].",
        ),
    )
    case = Text(
        f"for x of shape {x.shape} and layer sizes H_l = {sizes}",
        f"para x de forma {x.shape} y capas de tamaños H_l = {sizes}",
    )
    if dtype == "float32":
        case = _float32_case(case)
    same_h0 = all(h0.shape == h0s[0].shape for h0 in h0s)
    same_params = all(
        all(a.shape == a0.shape for a, a0 in zip(p, params[0], strict=True))
        for p in params
    )

    def x_to_last():
        # the last layer reads x instead of the states of the one before
        if d != params[-1][0].shape[0]:
            return None
        return _states(x, h0s[-1], *params[-1], dtype=dtype)

    mistakes = [
        (
            x_to_last,
            Text(
                "The last layer read x: layer l > 1 reads the sequence of "
                "hidden states of layer l - 1, all of them, (N, T, H), "
                "not the input x.",
                "La última capa leyó x: la capa l > 1 lee la secuencia de "
                "estados ocultos de la capa l - 1, todos, (N, T, H), no la "
                "entrada x.",
            ),
        ),
        (
            lambda: _stack_states(
                x, [h0s[0]] * len(h0s), params, dtype,
            )[-1] if same_h0 else None,
            Text(
                "Every layer started from h0s[0]: layer l starts from its "
                "own initial state h0s[l].",
                "Todas las capas partieron de h0s[0]: la capa l parte de "
                "su propio estado inicial h0s[l].",
            ),
        ),
        (
            lambda: _stack_states(
                x, h0s, [params[0]] * len(params), dtype,
            )[-1] if same_params else None,
            Text(
                "Every layer used params[0]: layer l has its own weights "
                "params[l] = (Wx, Wh, b).",
                "Todas las capas usaron params[0]: la capa l tiene sus "
                "propios pesos params[l] = (Wx, Wh, b).",
            ),
        ),
        (
            lambda: layers[0],
            Text(
                "These are the states of the first layer: return those "
                "of the last one.",
                "Son los estados de la primera capa: devuelve los de la "
                "última.",
            ),
        ),
    ]
    expect_value(
        states, expected, what="stacked_rnn_forward", lang=lang,
        case=case, mistakes=mistakes,
        hint=Text(
            "Layer 1 reads x; layer l reads the states h of layer l - 1; "
            "each layer runs rnn_forward from its own h0s[l] with its own "
            "params[l].",
            "La capa 1 lee x; la capa l lee los estados h de la capa "
            "l - 1; cada capa ejecuta rnn_forward desde su propio h0s[l] "
            "con sus propios params[l].",
        ),
    )


@hidden_check
def check_stacked_rnn_forward(student_fn, lang="en"):
    """Check ``stacked_rnn_forward(x, h0s, params) -> h``.

    Oracle: a chain of float64 ``SimpleRNN(return_sequences=True)``
    layers, layer l with weights ``params[l]`` and
    ``initial_state=[h0s[l]]``, each reading the states of the one
    before; one case whose first input feature is ``OFFSET``, cancelled
    by the bias of the first layer; one float32 case.
    """
    rng = np.random.default_rng(_SEED["stacked_rnn_forward"])
    for n, t, d, sizes in _STACKED_SHAPES:
        _stacked_case(
            student_fn, *_draw_stack(rng, n, t, d, sizes), lang,
        )
    x, h0s, params = _draw_stack(rng, 2, 4, 3, [4, 3])
    Wx, Wh, b = params[0]
    params[0] = (Wx, Wh, _offset(x, Wx, b))
    _stacked_case(student_fn, x, h0s, params, lang)
    _stacked_case(
        student_fn,
        *_draw_stack(rng, 2, 4, 3, [3, 3], dtype=np.float32),
        lang,
    )


# ------------------------------------------------------ parameter count

#: (D, H): GloVe-sized inputs first (there the common mistakes give
#: distinct counts, hence distinct hints), D = H = 1, D != H both ways,
#: D == H.
_COUNT_SHAPES = [(50, 32), (1, 1), (3, 2), (2, 3), (4, 4), (300, 128)]


@hidden_check
def check_count_rnn_params(student_fn, lang="en"):
    """Check ``count_rnn_params(D, H) -> int``.

    Oracle: ``keras.layers.SimpleRNN(H).count_params()`` once built on
    inputs of D features.
    """
    for d, h in _COUNT_SHAPES:
        layer = keras.layers.SimpleRNN(
            h,
            kernel_initializer="zeros",
            recurrent_initializer="zeros",
            bias_initializer="zeros",
            seed=0,
        )
        layer.build((None, None, d))
        expected = layer.count_params()
        got = call(
            student_fn, (d, h), name="count_rnn_params", arg_names=("D", "H"),
            lang=lang,
        )
        if got is None:
            fail(
                lang,
                Text(
                    "count_rnn_params returned None: did you forget the "
                    "`return`?",
                    "count_rnn_params devolvió None: ¿olvidaste el "
                    "`return`?",
                ),
            )
        if isinstance(got, (bool, np.bool_)) or not isinstance(
            got, numbers.Integral
        ):
            kind = type(got).__name__
            fail(
                lang,
                Text(
                    f"count_rnn_params must return an int, not an object "
                    f"of type {kind}.",
                    f"count_rnn_params debe devolver un int, no un objeto "
                    f"{kind}.",
                ),
            )
        got = int(got)
        if got == expected:
            continue
        known = [
            (d * h + h * h, Text(
                "Did you forget the bias b? It has H numbers.",
                "¿Olvidaste el sesgo b? Tiene H números.",
            )),
            (d * h + h, Text(
                "Did you forget the recurrent weights Wh, (H, H)?",
                "¿Olvidaste los pesos recurrentes Wh, (H, H)?",
            )),
            (2 * d * h + h, Text(
                "Wh is (H, H), not (D, H): it multiplies the previous "
                "state, which has H components.",
                "Wh es (H, H), no (D, H): multiplica el estado anterior, "
                "que tiene H componentes.",
            )),
            (2 * d * h, Text(
                "Wh is (H, H), not (D, H), and do not forget the bias b.",
                "Wh es (H, H), no (D, H), y no olvides el sesgo b.",
            )),
        ]
        hint = next(
            (text for count, text in known if count == got),
            Text(
                "Count the numbers in Wx (D, H), Wh (H, H) and b (H,).",
                "Cuenta los números de Wx (D, H), Wh (H, H) y b (H,).",
            ),
        )
        fail(
            lang,
            Text(
                f"count_rnn_params(D={d}, H={h}) returned {got}, which is "
                "not the number of parameters of a SimpleRNN layer.",
                f"count_rnn_params(D={d}, H={h}) devolvió {got}, que no es "
                "el número de parámetros de una capa SimpleRNN.",
            ),
            hint,
        )
