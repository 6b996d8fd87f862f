"""Hidden checks of chapter 1: embeddings and activations.

One ``check_<function>(student_fn, lang="en")`` per graded function of
``solutions/01-embeddings-activations-{en,es}``. The oracles are Keras 3
(activations, softmax, ``Dense`` and ``Embedding`` built in float64 with
the student's weights injected, ``binary_crossentropy``,
``cosine_similarity``), ``tf.GradientTape`` and the centred differences
of :mod:`rnn_course.gradcheck`. Each check draws its inputs from its own
seeded generator, so it is deterministic and leaves every global random
state alone.

The caches are fixed by the notebook's docstrings, so that a backward
function is checked without the student's forward function:
``activation_forward`` caches ``(a, name)``, ``dense_forward`` caches
``(x, W, b)`` and ``embedding_forward`` caches ``(ids, V)``.
"""


import keras
import numpy as np
import tensorflow as tf

from rnn_course.gradcheck import numerical_gradient

from ._common import (
    Text,
    call,
    dense_layer,
    expect_array,
    expect_cache,
    expect_close,
    expect_scalar,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    matches,
    shape_case,
)

#: Activation names the notebook supports.
ACTIVATIONS = ("sigmoid", "tanh", "relu")

#: Smallest |z| drawn for activation gradients: keeps ReLU's kink (and
#: the centred differences around it) out of the way.
KINK_MARGIN = 0.05

_SEED = {
    "activation_forward": 101,
    "activation_backward": 102,
    "softmax": 103,
    "binary_cross_entropy": 104,
    "binary_cross_entropy_grad": 105,
    "dense_forward": 106,
    "dense_backward": 107,
    "embedding_forward": 108,
    "embedding_backward": 109,
    "cosine_neighbours": 110,
}


# ---------------------------------------------------------------- oracles


def _keras_activation(z, name):
    """Keras activation ``name`` of a float64 array or tensor."""
    return keras.activations.get(name)(tf.constant(z, dtype=tf.float64))


def _tape_gradients(forward, inputs, dout):
    """Gradients of ``sum(forward(*inputs) * dout)`` by GradientTape.

    ``inputs`` are NumPy arrays (watched as constants) or the trainable
    variables of a Keras layer (watched by the tape itself); returns one
    dense NumPy array per input (sparse gradients are summed).
    """
    tensors = [
        tf.constant(x) if isinstance(x, np.ndarray) else x for x in inputs
    ]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            if isinstance(tensor, tf.Tensor):
                tape.watch(tensor)
        out = forward(*tensors)
        loss = tf.reduce_sum(out * tf.constant(dout, dtype=out.dtype))
    grads = tape.gradient(loss, tensors)
    return [np.asarray(tf.convert_to_tensor(g)) for g in grads]


def _embedding_layer(E):
    """A float64 ``keras.layers.Embedding`` holding the matrix E."""
    layer = keras.layers.Embedding(
        E.shape[0],
        E.shape[1],
        dtype="float64",
        embeddings_initializer="zeros",
    )
    layer.build((None, None))
    layer.set_weights([E])
    return layer


def _keras_bce(y, p):
    """Keras binary cross-entropy of probabilities p (mean over N)."""
    return keras.losses.binary_crossentropy(y, p)


def _away_from_zero(rng, shape, scale=2.0):
    """Normal draws with |z| >= KINK_MARGIN."""
    z = scale * rng.standard_normal(shape)
    return np.where(np.abs(z) < KINK_MARGIN, KINK_MARGIN + np.abs(z), z)


# ------------------------------------------------------------ activations

_FORWARD_HINT = {
    "sigmoid": Text(
        "Hint: sigmoid(z) = 1 / (1 + exp(-z)), elementwise.",
        "Pista: sigmoid(z) = 1 / (1 + exp(-z)), elemento a elemento.",
    ),
    "tanh": Text(
        "Hint: tanh is np.tanh, elementwise.",
        "Pista: tanh es np.tanh, elemento a elemento.",
    ),
    "relu": Text(
        "Hint: relu(z) = max(0, z) elementwise (np.maximum); negative "
        "inputs give 0.",
        "Pista: relu(z) = max(0, z) elemento a elemento (np.maximum); las "
        "entradas negativas dan 0.",
    ),
}

_ACTIVATION_CACHE_HINT = Text(
    "The cache of activation_forward must be the tuple (a, name): the "
    "output a itself and the name, which activation_backward reads.",
    "La caché de activation_forward debe ser la tupla (a, name): la "
    "salida a misma y el nombre, que lee activation_backward.",
)


def _activation_forward_case(student_fn, z, name, lang):
    result = call(
        student_fn, (z, name), name="activation_forward",
        arg_names=("z", "name"), lang=lang,
    )
    a, cache = expect_tuple(
        result, 2, what="activation_forward(z, name)", names="(a, cache)",
        lang=lang,
    )
    a = expect_array(
        a, what="a", shape=z.shape, lang=lang,
        shape_hint=Text(
            "An activation acts elementwise: a has the shape of z, "
            "whatever that shape is.",
            "Una activación actúa elemento a elemento: a tiene la forma "
            "de z, sea cual sea.",
        ),
    )
    expected = np.asarray(_keras_activation(z, name))
    expect_close(
        a, expected, what="a", lang=lang,
        case=Text(f"for name={name!r}", f"con name={name!r}"),
        hint=_FORWARD_HINT[name],
    )
    expect_cache(
        cache, (expected, name), names="(a, name)", lang=lang,
        hint=_ACTIVATION_CACHE_HINT,
    )


@hidden_check
def check_activation_forward(student_fn, lang="en"):
    """Check ``activation_forward(z, name) -> (a, cache)``.

    Keras activations on inputs of several shapes (1-D to 3-D, N = 1),
    saturated inputs, ReLU on negative inputs, the cache ``(a, name)``,
    and ValueError for an unknown name.
    """
    rng = np.random.default_rng(_SEED["activation_forward"])
    shapes = [(1,), (6,), (1, 4), (5, 3), (2, 3, 4)]
    for name in ACTIVATIONS:
        for shape in shapes:
            z = 3.0 * rng.standard_normal(shape)
            _activation_forward_case(student_fn, z, name, lang)
    # Saturated regions of sigmoid and tanh.
    for name in ("sigmoid", "tanh"):
        z = rng.uniform(-30.0, 30.0, size=(4, 5))
        _activation_forward_case(student_fn, z, name, lang)
    # ReLU must give exactly 0 on negative inputs.
    z = -rng.uniform(0.1, 5.0, size=(3, 4))
    _activation_forward_case(student_fn, z, "relu", lang)

    unknown = "softplus"
    z = rng.standard_normal((2, 3))
    raised = None
    try:
        with np.errstate(all="ignore"):
            student_fn(z, unknown)
    except ValueError:
        return
    except (Exception, SystemExit) as error:
        raised = type(error).__name__
    if raised is not None:
        fail(
            lang,
            Text(
                f"activation_forward(z, {unknown!r}) raised {raised}; an "
                "unknown name must raise ValueError "
                "(raise ValueError(...)).",
                f"activation_forward(z, {unknown!r}) lanzó {raised}; un "
                "nombre desconocido debe lanzar ValueError "
                "(raise ValueError(...)).",
            ),
        )
    fail(
        lang,
        Text(
            f"activation_forward(z, {unknown!r}) returned without an "
            "error: an unknown name must raise ValueError, not fall back "
            "to another activation.",
            f"activation_forward(z, {unknown!r}) devolvió un resultado "
            "sin error: un nombre desconocido debe lanzar ValueError, no "
            "usar otra activación.",
        ),
    )


_BACKWARD_HINT = {
    "sigmoid": Text(
        "Hint: dz = da * sigmoid'(z), with sigmoid'(z) = a (1 - a) and a "
        "from the cache.",
        "Pista: dz = da * sigmoid'(z), con sigmoid'(z) = a (1 - a) y a "
        "tomada de la caché.",
    ),
    "tanh": Text(
        "Hint: dz = da * tanh'(z), with tanh'(z) = 1 - a**2 and a from "
        "the cache.",
        "Pista: dz = da * tanh'(z), con tanh'(z) = 1 - a**2 y a tomada "
        "de la caché.",
    ),
    "relu": Text(
        "Hint: relu'(z) is 1 where a > 0 and 0 elsewhere: no gradient "
        "flows back through negative inputs.",
        "Pista: relu'(z) vale 1 donde a > 0 y 0 en el resto: por las "
        "entradas negativas no pasa gradiente.",
    ),
}


def _activation_backward_case(student_fn, da, a, name, expected, lang):
    dz = call(
        student_fn, (da, (a, name)), name="activation_backward",
        arg_names=("da", "cache"), lang=lang,
    )
    dz = expect_array(
        dz, what="dz", shape=da.shape, lang=lang,
        shape_hint=Text(
            "dz has the shape of da.", "dz tiene la forma de da.",
        ),
    )
    expect_close(
        dz, expected, what="dz", lang=lang,
        case=Text(f"for name={name!r}", f"con name={name!r}"),
        hint=_BACKWARD_HINT[name],
    )


@hidden_check
def check_activation_backward(student_fn, lang="en"):
    """Check ``activation_backward(da, cache) -> dz``.

    The cache ``(a, name)`` is built from Keras activations; the expected
    dz comes from ``tf.GradientTape`` and, on one input per name, from
    centred differences. ReLU is also checked on negative inputs.
    """
    rng = np.random.default_rng(_SEED["activation_backward"])
    for name in ACTIVATIONS:
        for shape in [(1,), (4, 3), (2, 3, 5)]:
            z = _away_from_zero(rng, shape)
            da = rng.standard_normal(shape)
            a = np.asarray(_keras_activation(z, name))
            (expected,) = _tape_gradients(
                lambda t, name=name: keras.activations.get(name)(t), [z], da,
            )
            _activation_backward_case(student_fn, da, a, name, expected, lang)
        # Second oracle: centred differences of the Keras activation.
        z = _away_from_zero(rng, (3, 4))
        da = rng.standard_normal(z.shape)
        a = np.asarray(_keras_activation(z, name))
        expected = numerical_gradient(
            lambda t, name=name: np.asarray(_keras_activation(t, name)),
            z.copy(), da,
        )
        _activation_backward_case(student_fn, da, a, name, expected, lang)
    # ReLU on negative inputs: the gradient is exactly zero.
    z = -rng.uniform(0.1, 5.0, size=(3, 4))
    da = rng.standard_normal(z.shape)
    a = np.asarray(_keras_activation(z, "relu"))
    _activation_backward_case(
        student_fn, da, a, "relu", np.zeros_like(z), lang,
    )


# ---------------------------------------------------------------- softmax

_SOFTMAX_STABLE_HINT = Text(
    "Did you subtract the maximum of each row before np.exp? Use "
    "np.max(z, axis=-1, keepdims=True): one maximum for the whole array "
    "underflows rows far below it.",
    "¿Restaste el máximo de cada fila antes de np.exp? Usa "
    "np.max(z, axis=-1, keepdims=True): un único máximo para todo el "
    "array hace desaparecer las filas muy por debajo de él.",
)


@hidden_check
def check_softmax(student_fn, lang="en"):
    """Check ``softmax(z)`` against ``keras.activations.softmax``.

    Random inputs of 1 to 3 axes (N = 1 included), inputs around 1000
    (a naive exp overflows) and rows at very different scales (a single
    global maximum underflows).
    """
    rng = np.random.default_rng(_SEED["softmax"])
    cases = [
        3.0 * rng.standard_normal(shape)
        for shape in [(5,), (1, 4), (3, 7), (4, 4), (2, 3, 6)]
    ]
    stress = [
        1000.0 + rng.standard_normal((4, 5)),
        1000.0 + rng.standard_normal(6),
        rng.standard_normal((4, 6))
        + np.array([1000.0, -1000.0, 0.0, 500.0])[:, None],
    ]
    for z in cases + stress:
        p = call(
            student_fn, (z,), name="softmax", arg_names=("z",), lang=lang,
        )
        p = expect_array(
            p, what="softmax(z)", shape=z.shape, lang=lang,
            shape_hint=Text(
                "The probabilities have the shape of z.",
                "Las probabilidades tienen la forma de z.",
            ),
            finite_hint=_SOFTMAX_STABLE_HINT,
        )
        expected = np.asarray(keras.activations.softmax(tf.constant(z)))
        expect_close(
            p, expected, what="softmax(z)", lang=lang,
            case=shape_case(z=z.shape),
            hint=Text(
                "Softmax normalises over the last axis: each row must sum "
                "to 1 (sum with axis=-1, keepdims=True).",
                "La softmax normaliza sobre el último eje: cada fila debe "
                "sumar 1 (suma con axis=-1, keepdims=True).",
            ),
        )


# ------------------------------------------------- binary cross-entropy


#: Range of the probability given to the true class, q = p if y = 1
#: and 1 - p if y = 0. In it an epsilon of 1e-7 inside the logarithms
#: (Keras' log(p + 1e-7)) moves the loss by a relative error of at most
#: ~1.6e-7 and its gradient by at most ~2.5e-7, well below RTOL.
TRUE_CLASS_RANGE = (0.2, 0.7)


def _bce_cases(rng):
    """(p, y) pairs: N = 1 with each label, mixed batches, one class."""
    cases = []
    for n, labels in [(1, [1.0]), (1, [0.0]), (6, None), (50, None),
                      (5, [0.0] * 5), (5, [1.0] * 5)]:
        if labels is None:
            y = rng.integers(0, 2, size=n).astype(np.float64)
            y[:2] = [0.0, 1.0]
        else:
            y = np.array(labels)
        q = rng.uniform(*TRUE_CLASS_RANGE, size=n)
        cases.append((np.where(y == 1.0, q, 1.0 - q), y))
    return cases


@hidden_check
def check_binary_cross_entropy(student_fn, lang="en"):
    """Check ``binary_cross_entropy(p, y) -> float``.

    Oracle: ``keras.losses.binary_crossentropy``, with the probability
    of the true class in ``TRUE_CLASS_RANGE``, far from its clipping
    epsilon.
    """
    rng = np.random.default_rng(_SEED["binary_cross_entropy"])
    for p, y in _bce_cases(rng):
        loss = call(
            student_fn, (p, y), name="binary_cross_entropy",
            arg_names=("p", "y"), lang=lang,
        )
        loss = expect_scalar(
            loss, what="binary_cross_entropy(p, y)", lang=lang,
            hint=Text(
                "Average the per-example losses over the batch "
                "(np.mean).",
                "Promedia las pérdidas de cada ejemplo sobre el lote "
                "(np.mean).",
            ),
        )
        expected = float(_keras_bce(y, p))
        n = len(p)
        expect_value(
            loss, expected, what="binary_cross_entropy(p, y)", lang=lang,
            case=shape_case(p=p.shape),
            mistakes=[
                (lambda e=expected: -e, Text(
                    "Check the sign: L = -mean(y log p + (1 - y) "
                    "log(1 - p)) is never negative.",
                    "Revisa el signo: L = -media(y log p + (1 - y) "
                    "log(1 - p)) nunca es negativa.",
                )),
                (lambda e=expected, n=n: n * e, Text(
                    "The loss is the mean over the batch, not the sum: "
                    "divide by N.",
                    "La pérdida es la media sobre el lote, no la suma: "
                    "divide entre N.",
                )),
            ],
            hint=Text(
                "L = -(1/N) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]: "
                "check both terms, the (1 - y) log(1 - p) one included.",
                "L = -(1/N) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]: "
                "revisa los dos términos, también (1 - y) log(1 - p).",
            ),
        )


@hidden_check
def check_binary_cross_entropy_grad(student_fn, lang="en"):
    """Check ``binary_cross_entropy_grad(p, y) -> dp``.

    Oracles: ``tf.GradientTape`` through
    ``keras.losses.binary_crossentropy`` on every case, and centred
    differences of that loss on one batch.
    """
    rng = np.random.default_rng(_SEED["binary_cross_entropy_grad"])
    cases = []
    for p, y in _bce_cases(rng):
        (expected,) = _tape_gradients(
            lambda t, y=y: _keras_bce(y, t), [p], np.float64(1.0),
        )
        cases.append((p, y, expected))
    # Centred differences, on one more batch in the same range.
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    q = rng.uniform(*TRUE_CLASS_RANGE, size=5)
    p = np.where(y == 1.0, q, 1.0 - q)
    expected = numerical_gradient(
        lambda t: float(_keras_bce(y, t)), p.copy(),
    )
    cases.append((p, y, expected))
    for p, y, expected in cases:
        dp = call(
            student_fn, (p, y), name="binary_cross_entropy_grad",
            arg_names=("p", "y"), lang=lang,
        )
        dp = expect_array(
            dp, what="dp", shape=p.shape, lang=lang,
            shape_hint=Text(
                "dp has one entry per probability: the shape of p, (N,).",
                "dp tiene una entrada por probabilidad: la forma de p, "
                "(N,).",
            ),
        )
        n = len(p)
        logit = Text(
            "p - y is the gradient with respect to the logit z "
            "(p = sigmoid(z)), not to p: differentiate with respect "
            "to p.",
            "p - y es el gradiente respecto al logit z "
            "(p = sigmoid(z)), no respecto a p: deriva respecto a p.",
        )
        expect_value(
            dp, expected, what="dp", lang=lang, case=shape_case(p=p.shape),
            mistakes=[
                (lambda e=expected, n=n: n * e, Text(
                    "The loss is a mean over the batch: every entry of dp "
                    "carries a factor 1/N.",
                    "La pérdida es una media sobre el lote: cada entrada "
                    "de dp lleva un factor 1/N.",
                )),
                (lambda p=p, y=y: p - y, logit),
                (lambda p=p, y=y, n=n: (p - y) / n, logit),
                (lambda e=expected: -e, Text(
                    "Check the sign of dp.", "Revisa el signo de dp.",
                )),
            ],
            hint=Text(
                "dL/dp_i = -(1/N) (y_i / p_i - (1 - y_i) / (1 - p_i)).",
                "dL/dp_i = -(1/N) (y_i / p_i - (1 - y_i) / (1 - p_i)).",
            ),
        )


# ------------------------------------------------------------ dense layer

#: (N, D, M): N = 1, non-square W (a transposition fails), square W.
_DENSE_SHAPES = [(1, 3, 2), (4, 5, 3), (6, 2, 7), (3, 3, 3), (2, 1, 4)]


def _dense_inputs(rng, n, d, m):
    return (
        rng.standard_normal((n, d)),
        rng.standard_normal((d, m)),
        rng.standard_normal(m),
    )


@hidden_check
def check_dense_forward(student_fn, lang="en"):
    """Check ``dense_forward(x, W, b) -> (out, cache)``.

    Oracle: a float64 ``keras.layers.Dense`` with the weights W, b. The
    cache must be ``(x, W, b)``.
    """
    rng = np.random.default_rng(_SEED["dense_forward"])
    for n, d, m in _DENSE_SHAPES:
        x, W, b = _dense_inputs(rng, n, d, m)
        result = call(
            student_fn, (x, W, b), name="dense_forward",
            arg_names=("x", "W", "b"), lang=lang,
        )
        out, cache = expect_tuple(
            result, 2, what="dense_forward(x, W, b)", names="(out, cache)",
            lang=lang,
        )
        out = expect_array(
            out, what="out", shape=(n, m), lang=lang,
            shape_hint=Text(
                f"x is (N, D) = {x.shape} and W is (D, M) = {W.shape}: "
                "out = x @ W + b is (N, M).",
                f"x es (N, D) = {x.shape} y W es (D, M) = {W.shape}: "
                "out = x @ W + b es (N, M).",
            ),
        )
        expected = np.asarray(dense_layer(W, b)(tf.constant(x)))
        expect_value(
            out, expected, what="out", lang=lang,
            case=shape_case(x=x.shape, W=W.shape),
            mistakes=[(lambda e=expected, b=b: e - b, Text(
                "Did you add the bias b to every row?",
                "¿Sumaste el sesgo b a cada fila?",
            ))],
            hint=Text(
                "out = x W + b: the product x @ W, then b added to each "
                "row (broadcasting).",
                "out = x W + b: el producto x @ W y luego b sumado a cada "
                "fila (broadcasting).",
            ),
        )
        expect_cache(
            cache, (x, W, b), names="(x, W, b)", lang=lang,
            hint=Text(
                "The cache of dense_forward must be the tuple (x, W, b) "
                "of its inputs, in that order: dense_backward reads it.",
                "La caché de dense_forward debe ser la tupla (x, W, b) de "
                "sus entradas, en ese orden: la lee dense_backward.",
            ),
        )


@hidden_check
def check_dense_backward(student_fn, lang="en"):
    """Check ``dense_backward(dout, cache) -> (dx, dW, db)``.

    Oracle: ``tf.GradientTape`` through a float64 ``keras.layers.Dense``
    holding W, b; the cache ``(x, W, b)`` is built by the check.
    """
    rng = np.random.default_rng(_SEED["dense_backward"])
    for n, d, m in _DENSE_SHAPES:
        x, W, b = _dense_inputs(rng, n, d, m)
        dout = rng.standard_normal((n, m))
        layer = dense_layer(W, b)
        expected = _tape_gradients(
            lambda t, *_, f=layer: f(t), [x, layer.kernel, layer.bias],
            dout,
        )
        result = call(
            student_fn, (dout, (x, W, b)), name="dense_backward",
            arg_names=("dout", "cache"), lang=lang,
        )
        grads = expect_tuple(
            result, 3, what="dense_backward(dout, cache)",
            names="(dx, dW, db)", lang=lang,
        )
        shape_hints = [
            Text(
                "dx = dout @ W.T has the shape of x, (N, D).",
                "dx = dout @ W.T tiene la forma de x, (N, D).",
            ),
            Text(
                "dW = x.T @ dout has the shape of W, (D, M).",
                "dW = x.T @ dout tiene la forma de W, (D, M).",
            ),
            Text(
                "db must sum dout over the batch (axis 0): shape (M,).",
                "db debe sumar dout sobre el lote (eje 0): forma (M,).",
            ),
        ]
        names = ("dx", "dW", "db")
        checked = [
            expect_array(
                grad, what=name, shape=want.shape, lang=lang,
                shape_hint=hint,
            )
            for grad, name, want, hint in zip(
                grads, names, expected, shape_hints, strict=True,
            )
        ]
        value_hints = {
            "dx": Text(
                "Check dx: dx = dout W^T (W transposed).",
                "Revisa dx: dx = dout W^T (W transpuesta).",
            ),
            "dW": Text(
                "Check dW: dW = x^T dout.",
                "Revisa dW: dW = x^T dout.",
            ),
            "db": Text(
                "Check db: it must sum dout over the batch, "
                "db = sum_n dout[n].",
                "Revisa db: debe sumar dout sobre el lote, "
                "db = sum_n dout[n].",
            ),
        }
        for grad, name, want in zip(checked, names, expected, strict=True):
            mistakes = []
            if name != "dx":
                mistakes.append((lambda want=want, n=n: want / n, Text(
                    f"Do not divide {name} by N: the 1/N of a mean loss "
                    "is already inside dout.",
                    f"No dividas {name} entre N: el 1/N de una pérdida "
                    "media ya está dentro de dout.",
                )))
            expect_value(
                grad, want, what=name, lang=lang,
                case=shape_case(x=x.shape, W=W.shape), mistakes=mistakes,
                hint=value_hints[name],
            )


# -------------------------------------------------------------- embedding

#: (N, T, V, D): N = 1, N != T, repeated ids, a one-word vocabulary.
_EMBEDDING_SHAPES = [
    (1, 1, 4, 3), (2, 5, 6, 3), (3, 4, 10, 2), (4, 3, 5, 6), (2, 3, 1, 4),
]


@hidden_check
def check_embedding_forward(student_fn, lang="en"):
    """Check ``embedding_forward(ids, E) -> (out, cache)``.

    Oracle: a float64 ``keras.layers.Embedding`` holding E. The cache
    must be ``(ids, V)``.
    """
    rng = np.random.default_rng(_SEED["embedding_forward"])
    for i, (n, t, v, d) in enumerate(_EMBEDDING_SHAPES):
        dtype = np.int32 if i % 2 else np.int64
        ids = rng.integers(0, v, size=(n, t)).astype(dtype)
        E = rng.standard_normal((v, d))
        result = call(
            student_fn, (ids, E), name="embedding_forward",
            arg_names=("ids", "E"), lang=lang,
        )
        out, cache = expect_tuple(
            result, 2, what="embedding_forward(ids, E)", names="(out, cache)",
            lang=lang,
        )
        out = expect_array(
            out, what="out", shape=(n, t, d), lang=lang,
            shape_hint=Text(
                "ids is (N, T) and E is (V, D): out is (N, T, D), one "
                "row of E per id.",
                "ids es (N, T) y E es (V, D): out es (N, T, D), una fila "
                "de E por id.",
            ),
        )
        expected = np.asarray(_embedding_layer(E)(tf.constant(ids)))
        expect_close(
            out, expected, what="out", lang=lang,
            case=shape_case(ids=ids.shape, E=E.shape),
            hint=Text(
                "out[n, t] = E[ids[n, t]]: index the rows of E with the "
                "whole array ids (E[ids]).",
                "out[n, t] = E[ids[n, t]]: indexa las filas de E con todo "
                "el array ids (E[ids]).",
            ),
        )
        expect_cache(
            cache, (ids, v), names="(ids, V)", lang=lang,
            hint=Text(
                "The cache of embedding_forward must be the tuple "
                "(ids, V): the ids and the number of rows of E "
                "(E.shape[0]), which embedding_backward reads.",
                "La caché de embedding_forward debe ser la tupla "
                "(ids, V): los ids y el número de filas de E "
                "(E.shape[0]), que lee embedding_backward.",
            ),
        )


@hidden_check
def check_embedding_backward(student_fn, lang="en"):
    """Check ``embedding_backward(dout, cache) -> dE``.

    Oracle: ``tf.GradientTape`` through a float64 Keras ``Embedding``
    (its sparse gradient densified, duplicates summed). Every case holds
    repeated ids; unused rows of E must get a zero gradient.
    """
    rng = np.random.default_rng(_SEED["embedding_backward"])
    for n, t, v, d in _EMBEDDING_SHAPES + [(3, 4, 8, 2)]:
        ids = rng.integers(0, v, size=(n, t))
        if ids.size > 1:
            ids.flat[-1] = ids.flat[0]  # at least one repeat
        E = rng.standard_normal((v, d))
        dout = rng.standard_normal((n, t, d))
        layer = _embedding_layer(E)
        (expected,) = _tape_gradients(
            lambda _, f=layer, i=ids: f(tf.constant(i)),
            [layer.embeddings], dout,
        )
        dE = call(
            student_fn, (dout, (ids, v)), name="embedding_backward",
            arg_names=("dout", "cache"), lang=lang,
        )
        dE = expect_array(
            dE, what="dE", shape=(v, d), lang=lang,
            shape_hint=Text(
                "dE has the shape of E, (V, D): start from "
                "np.zeros((V, D)) with V from the cache.",
                "dE tiene la forma de E, (V, D): parte de "
                "np.zeros((V, D)) con V tomado de la caché.",
            ),
        )
        counts = np.bincount(ids.ravel(), minlength=v)
        once = counts <= 1
        if (
            np.any(~once)
            and matches(dE[once], expected[once])
            and not matches(dE[~once], expected[~once])
        ):
            hint = Text(
                "The rows of ids that appear several times are wrong: "
                "their gradients must add up. dE[ids] += dout keeps only "
                "one of them; use np.add.at(dE, ids, dout).",
                "Las filas de ids que aparecen varias veces están mal: "
                "sus gradientes deben sumarse. dE[ids] += dout se queda "
                "con uno solo; usa np.add.at(dE, ids, dout).",
            )
        else:
            hint = Text(
                "dE[v] is the sum of dout[n, t] over the positions where "
                "ids[n, t] == v; rows of unused ids stay 0.",
                "dE[v] es la suma de dout[n, t] sobre las posiciones donde "
                "ids[n, t] == v; las filas de ids no usados quedan en 0.",
            )
        expect_close(
            dE, expected, what="dE", lang=lang,
            case=shape_case(ids=ids.shape, dout=dout.shape), hint=hint,
        )


# ------------------------------------------------------ cosine neighbours


def _cosine_cases(rng):
    """(E, v, k): rows of norms from 1 to 10^4, vectors of norm >= 1.

    Norms of at least 1 keep an epsilon of up to 1e-7 added to a norm
    (or to the product of the norms) below ~1e-7 in relative terms; norms
    four orders of magnitude apart make a plain dot product pick other
    rows.
    """
    norms = np.logspace(0, 4, 40)
    rng.shuffle(norms)
    E = rng.standard_normal((40, 6))
    E *= (norms / np.linalg.norm(E, axis=1))[:, None]
    v = 7.0 * rng.standard_normal(6)
    small = rng.standard_normal((12, 3))
    small *= (rng.uniform(1.0, 100.0, 12) / np.linalg.norm(small, axis=1))[
        :, None
    ]
    big = rng.standard_normal((200, 50))
    big *= (np.logspace(0, 2, 200) / np.linalg.norm(big, axis=1))[:, None]
    return [
        (E, v, 5),
        (E, v, 1),
        (small, 3.0 + rng.standard_normal(3), 12),  # every row
        (E, 3.0 * E[17], 4),  # the row itself comes first, similarity 1
        (big, rng.standard_normal(50), 10),
    ]


@hidden_check
def check_cosine_neighbours(student_fn, lang="en"):
    """Check ``cosine_neighbours(E, v, k) -> (ids, sims)``.

    Oracle: ``keras.losses.cosine_similarity`` (the negated cosine
    similarity). Rows of very different norms make a plain dot product
    pick other neighbours; both the order and the values are checked.
    Rows whose similarities tie within the tolerance may come in either
    order.
    """
    rng = np.random.default_rng(_SEED["cosine_neighbours"])
    for E, v, k in _cosine_cases(rng):
        all_sims = -np.asarray(
            keras.losses.cosine_similarity(
                tf.constant(E), tf.constant(v[None, :]), axis=-1,
            )
        )
        order = np.argsort(-all_sims, kind="stable")[:k]
        result = call(
            student_fn, (E, v, k), name="cosine_neighbours",
            arg_names=("E", "v", "k"), lang=lang,
        )
        ids, sims = expect_tuple(
            result, 2, what="cosine_neighbours(E, v, k)", names="(ids, sims)",
            lang=lang,
        )
        ids = expect_array(
            ids, what="ids", shape=(k,), kind="int", lang=lang,
            shape_hint=Text(
                "ids holds the k row numbers of the neighbours.",
                "ids contiene los k números de fila de los vecinos.",
            ),
        )
        sims = expect_array(
            sims, what="sims", shape=(k,), lang=lang,
            shape_hint=Text(
                "sims holds the k similarities of those rows.",
                "sims contiene las k similitudes de esas filas.",
            ),
        )
        case = Text(
            f"for E of shape {E.shape} and k={k}",
            f"para E de forma {E.shape} y k={k}",
        )
        valid = (
            len(set(ids.tolist())) == k
            and np.all(ids >= 0)
            and np.all(ids < len(E))
        )
        if not (valid and matches(all_sims[ids], all_sims[order])):
            least = np.argsort(all_sims, kind="stable")[:k]
            if sorted(ids.tolist()) == sorted(least.tolist()):
                hint = Text(
                    "They are the k least similar rows: sort by decreasing "
                    "similarity, e.g. np.argsort(-sims).",
                    "Son las k filas menos parecidas: ordena por similitud "
                    "decreciente, p. ej. con np.argsort(-sims).",
                )
            elif sorted(ids.tolist()) == sorted(order.tolist()):
                hint = Text(
                    "They are the right rows in the wrong order: most "
                    "similar first (sort by decreasing similarity).",
                    "Son las filas correctas en otro orden: primero la más "
                    "parecida (ordena por similitud decreciente).",
                )
            else:
                hint = Text(
                    "They are not the k most similar rows. The cosine "
                    "similarity divides by the norms of both vectors, "
                    "(E_i . v) / (||E_i|| ||v||); a plain dot product "
                    "favours long rows.",
                    "No son las k filas más parecidas. La similitud "
                    "coseno divide entre las normas de ambos vectores, "
                    "(E_i . v) / (||E_i|| ||v||); un producto escalar sin "
                    "normalizar favorece las filas largas.",
                )
            fail(
                lang,
                Text(
                    "ids does not hold the expected rows",
                    "ids no contiene las filas esperadas",
                ),
                case,
                ".",
                hint,
            )
        expect_close(
            sims, all_sims[ids], what="sims", lang=lang, case=case,
            hint=Text(
                "Return the cosine similarities of those rows (between -1 "
                "and 1, both vectors normalised), in the order of ids.",
                "Devuelve las similitudes coseno de esas filas (entre -1 y "
                "1, con ambos vectores normalizados), en el orden de ids.",
            ),
        )
