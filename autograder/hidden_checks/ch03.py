"""Hidden checks of chapter 3: backpropagation through time.

One ``check_<function>(student_fn, lang="en")`` per graded function of
``solutions/03-bptt-{en,es}``. The oracles never share code with the
solution:

* centred differences in float64 (:mod:`rnn_course.gradcheck`) of a
  forward pass written here, ``tanh(x_t Wx + h_prev Wh + b)``;
* ``tf.GradientTape`` through a float64 ``keras.layers.SimpleRNN`` with
  the weights injected (``initial_state=[h0]``), and through an explicit
  TensorFlow loop that watches every hidden state;
* ``tf.clip_by_value`` and ``tf.clip_by_global_norm``;
* for ``train_step``, the tape through ``SimpleRNN`` + ``Dense(1)``,
  Keras' ``MeanSquaredError``, ``tf.clip_by_global_norm`` and the SGD
  update; then a short training run on the adding problem, with and
  without clipping, whose threshold was measured on the reference
  solution by ``bench/ch03_clipping.py``.

The caches are built here, from the forward pass of this module, in the
layout that chapter 2 fixed: a step caches ``(x_t, h_prev, Wx, Wh,
h_next)`` and a sequence caches the list of its T step caches, in time
order. The student's forward functions are never called.

When a value is wrong, the check recomputes it the way a few common
mistakes would (``dh_prev`` not carried back, tanh' taken of the
pre-activation, weight gradients of one step only, clipping per array,
the norm after clipping, ...) and, if one matches, names the mistake.
Each check draws its inputs from its own seeded generator, so it is
deterministic and leaves every global random state alone.
"""

import math
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from rnn_course.sequences import adding_problem

from ._common import (
    Text,
    call,
    dense_layer,
    expect_array,
    expect_close,
    expect_scalar,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    numerical_gradients,
    shape_case,
)

#: Pre-activations of the saturated case of ``check_rnn_step_backward``
#: have |a| around this value: there tanh' = 1 - h_next**2 ~ 1e-3, so
#: rounding h_next to float32 (~6e-8) moves it by ~1e-4 in relative
#: terms, while float64 stays exact to ~1e-13.
SATURATION = 4.0

#: With Wh = 0.5 Q (Q orthogonal), the gradient reaching h_1 of a
#: 10-step sequence is at most 0.5**9 ~ 2e-3 times ||dh_T||: norms[0]
#: must be below this fraction of norms[-1] ...
DECAY_RATIO = 1e-2

#: ... and with Wh = 2.5 Q and inputs of 1e-6 (tanh' ~ 1), about
#: 2.5**9 ~ 4e3 times ||dh_T||: norms[0] must exceed this multiple.
GROWTH_RATIO = 1e2

# The training run of check_train_step, measured on the reference
# solution over 10 seeds by bench/ch03_clipping.py (bench/RESULTS.md).
#: Hidden units of the many-to-one regressor.
TRAIN_HIDDEN = 32
#: Steps per sequence of the adding problem.
TRAIN_LENGTH = 10
#: Sequences per SGD step.
TRAIN_BATCH = 64
#: SGD steps.
TRAIN_STEPS = 1000
#: Learning rate: large enough that the unclipped run explodes.
TRAIN_LEARNING_RATE = 0.3
#: max_norm of the clipped run.
TRAIN_MAX_NORM = 0.5
#: Seed of the initial weights and of the batches of the hidden check.
TRAIN_SEED = 0
#: Held-out sequences on which the final loss is measured.
EVAL_SIZE = 512
#: Seed of the held-out batch (the training batches use seeds
#: 100_000 + 1_000 * seed + step, never this one).
EVAL_SEED = 99_999
#: Largest held-out MSE accepted after the clipped run: at least 1.5 x
#: the worst final loss of the reference over seeds 0-9 (0.059, so
#: 0.088), rounded up; seed 0, the check's, ends at 0.042 (and at 0.042
#: again from weights perturbed by 1e-13). Always answering the mean
#: target, 1.0, gives 1/6 ~ 0.167: a run that learned nothing fails.
CLIPPED_LOSS_THRESHOLD = 0.1
#: A training loss above this (the first one is ~1.4) or not finite
#: means the run diverged; it is stopped there. Every unclipped run of
#: the reference passes it within 10 steps.
DIVERGED_LOSS = 1e6

_SEED = {
    "rnn_step_backward": 301,
    "rnn_backward": 302,
    "gradient_norms_through_time": 303,
    "clip_by_value": 304,
    "clip_by_global_norm": 305,
    "train_step": 306,
}

#: Names and order of the parameters of train_step.
PARAM_NAMES = ("Wx", "Wh", "b", "Wy", "by")


# ---------------------------------------------------------------- oracles


def _np_states(x, h0, Wx, Wh, b):
    """Hidden states (N, T, H) of tanh(x_t Wx + h_prev Wh + b), NumPy."""
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    return np.stack(states, axis=1)


def _sequence_cache(x, h0, Wx, Wh, b):
    """States and the list of step caches, in chapter 2's layout."""
    states = _np_states(x, h0, Wx, Wh, b)
    prev = [h0] + [states[:, t] for t in range(x.shape[1] - 1)]
    cache = [
        (x[:, t], prev[t], Wx, Wh, states[:, t]) for t in range(x.shape[1])
    ]
    return states, cache


def _simple_rnn(Wx, Wh, b, *, return_sequences=True):
    """A float64 ``keras.layers.SimpleRNN`` holding Wx, Wh, b."""
    layer = keras.layers.SimpleRNN(
        Wh.shape[0],
        return_sequences=return_sequences,
        dtype="float64",
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer="zeros",
        seed=0,
    )
    layer.build((None, None, Wx.shape[0]))
    layer.set_weights([Wx, Wh, b])
    return layer


def _keras_bptt(x, h0, Wx, Wh, b, dh):
    """[dx, dh0, dWx, dWh, db] of sum(h * dh) through a Keras SimpleRNN."""
    layer = _simple_rnn(Wx, Wh, b)
    xt, h0t = tf.constant(x), tf.constant(h0)
    with tf.GradientTape() as tape:
        tape.watch([xt, h0t])
        states = layer(xt, initial_state=[h0t])
        loss = tf.reduce_sum(states * tf.constant(dh))
    grads = tape.gradient(loss, [xt, h0t, *layer.trainable_weights])
    return [np.asarray(g) for g in grads]


def _unrolled(x, h0, Wx, Wh, b, dh, *, cut=False):
    """Gradients of sum(h * dh) through an explicit TensorFlow loop.

    Every step gets its own copy of the weights, so the tape returns the
    share of each step. With ``cut=True`` the gradient does not flow
    from a state h_t (t >= 1) into the step that computed it, so each
    step sees only its own ``dh[:, t]``.

    Returns
    -------
    dict
        ``dx`` (N, T, D), ``dh0`` (N, H); ``dWx``, ``dWh``, ``db``
        stacked per step, (T, ...); ``da`` (T, N, H), the gradients of
        the pre-activations.
    """
    n, steps, _ = x.shape
    xs = [tf.constant(x[:, t]) for t in range(steps)]
    h0t = tf.constant(h0)
    Wxs = [tf.constant(Wx) for _ in range(steps)]
    Whs = [tf.constant(Wh) for _ in range(steps)]
    bs = [tf.constant(b) for _ in range(steps)]
    with tf.GradientTape() as tape:
        tape.watch([*xs, h0t, *Wxs, *Whs, *bs])
        h, pre, loss = h0t, [], tf.constant(0.0, dtype=tf.float64)
        for t in range(steps):
            h_in = tf.stop_gradient(h) if cut and t > 0 else h
            a = xs[t] @ Wxs[t] + h_in @ Whs[t] + bs[t]
            pre.append(a)
            h = tf.tanh(a)
            loss += tf.reduce_sum(h * tf.constant(dh[:, t]))
    grads = tape.gradient(
        loss, [xs, h0t, Wxs, Whs, bs, pre],
        unconnected_gradients=tf.UnconnectedGradients.ZERO,
    )
    dxs, dh0, dWxs, dWhs, dbs, das = grads
    return {
        "dx": np.stack([np.asarray(g) for g in dxs], axis=1),
        "dh0": np.asarray(dh0),
        "dWx": np.stack([np.asarray(g) for g in dWxs]),
        "dWh": np.stack([np.asarray(g) for g in dWhs]),
        "db": np.stack([np.asarray(g) for g in dbs]),
        "da": np.stack([np.asarray(g) for g in das]),
    }


def _state_gradients(x, h0, Wx, Wh, b, dh_T):
    """[dL/dh_0, ..., dL/dh_T] for L = sum(h_T * dh_T), explicit TF loop."""
    Wx_, Wh_, b_ = tf.constant(Wx), tf.constant(Wh), tf.constant(b)
    with tf.GradientTape() as tape:
        h = tf.constant(h0)
        tape.watch(h)
        states = [h]
        for t in range(x.shape[1]):
            h = tf.tanh(tf.constant(x[:, t]) @ Wx_ + h @ Wh_ + b_)
            states.append(h)
        loss = tf.reduce_sum(h * tf.constant(dh_T))
    return [np.asarray(g) for g in tape.gradient(loss, states)]


# -------------------------------------------------------------- messages


def _expect_arrays(value, like, *, what, lang, hint=None):
    """Check a list (or tuple) of arrays shaped like ``like``."""
    n = len(like)
    if value is None:
        fail(
            lang,
            Text(
                f"{what} is None: did you forget the `return`?",
                f"{what} es None: ¿olvidaste el `return`?",
            ),
        )
    if not isinstance(value, (list, tuple)) or len(value) != n:
        fail(
            lang,
            Text(
                f"{what} must be a list of {n} arrays, one per array of "
                "grads, in the same order.",
                f"{what} debe ser una lista de {n} arrays, uno por cada "
                "array de grads, en el mismo orden.",
            ),
        )
    return [
        expect_array(
            item, what=Text(f"{what}[{i}]", f"{what}[{i}]"),
            shape=want.shape, lang=lang,
            shape_hint=Text(
                f"{what}[{i}] must have the shape of grads[{i}].",
                f"{what}[{i}] debe tener la forma de grads[{i}].",
            ),
            finite_hint=hint,
        )
        for i, (item, want) in enumerate(zip(value, like, strict=True))
    ]


def _draw_rnn(rng, n, t, d, h):
    """x (N, T, D), h0 (N, H), Wx, Wh, b with moderate pre-activations."""
    x = rng.standard_normal((n, t, d))
    h0 = rng.uniform(-1.0, 1.0, (n, h))
    Wx = rng.standard_normal((d, h)) / np.sqrt(d)
    Wh = 0.8 * rng.standard_normal((h, h)) / np.sqrt(h)
    b = 0.5 * rng.standard_normal(h)
    return x, h0, Wx, Wh, b


def _draw_sequence(rng, n, t, d, h):
    """Like :func:`_draw_rnn`, with Wh orthogonal and little saturation.

    Over a few steps the gradient that reaches h0 stays within a few
    orders of ||dh||, where the centred differences are accurate to
    ~1e-10 (a vanished dh0 of ~1e-4 would leave them ~1e-7).
    """
    x = 0.5 * rng.standard_normal((n, t, d))
    h0 = rng.uniform(-0.5, 0.5, (n, h))
    Wx = rng.standard_normal((d, h)) / np.sqrt(d)
    Wh = _orthogonal(rng, h)
    b = 0.1 * rng.standard_normal(h)
    return x, h0, Wx, Wh, b


def _orthogonal(rng, h):
    """A random (H, H) orthogonal matrix."""
    q, _ = np.linalg.qr(rng.standard_normal((h, h)))
    return q


_GRAD_NAMES = ("dx_t", "dh_prev", "dWx", "dWh", "db")
_SEQ_NAMES = ("dx", "dh0", "dWx", "dWh", "db")

_TANH_PRIME = Text(
    "tanh'(a) = 1 - tanh(a)^2 = 1 - h_next^2: square h_next, the output "
    "of tanh kept in the cache, not the pre-activation "
    "x_t Wx + h_prev Wh. Then da = dh_next * (1 - h_next**2).",
    "tanh'(a) = 1 - tanh(a)^2 = 1 - h_next^2: eleva al cuadrado h_next, "
    "la salida de tanh guardada en la caché, no la preactivación "
    "x_t Wx + h_prev Wh. Después da = dh_next * (1 - h_next**2).",
)
_NO_TANH_PRIME = Text(
    "Multiply by the derivative of tanh first: "
    "da = dh_next * (1 - h_next**2), and use da in every gradient.",
    "Multiplica primero por la derivada de tanh: "
    "da = dh_next * (1 - h_next**2), y usa da en todos los gradientes.",
)
_WRONG_STATE = Text(
    "dWh = h_prev^T da: Wh multiplies the previous state h_prev (in the "
    "cache), not h_next.",
    "dWh = h_prev^T da: Wh multiplica al estado anterior h_prev (en la "
    "caché), no a h_next.",
)
_STEP_HINTS = {
    "dx_t": Text(
        "dx_t = da Wx^T, with da = dh_next * (1 - h_next**2).",
        "dx_t = da Wx^T, con da = dh_next * (1 - h_next**2).",
    ),
    "dh_prev": Text(
        "dh_prev = da Wh^T (Wh transposed), with "
        "da = dh_next * (1 - h_next**2).",
        "dh_prev = da Wh^T (Wh transpuesta), con "
        "da = dh_next * (1 - h_next**2).",
    ),
    "dWx": Text(
        "dWx = x_t^T da, with da = dh_next * (1 - h_next**2).",
        "dWx = x_t^T da, con da = dh_next * (1 - h_next**2).",
    ),
    "dWh": Text(
        "dWh = h_prev^T da, with da = dh_next * (1 - h_next**2).",
        "dWh = h_prev^T da, con da = dh_next * (1 - h_next**2).",
    ),
    "db": Text(
        "db = sum over the batch of da: np.sum(da, axis=0).",
        "db = suma sobre el lote de da: np.sum(da, axis=0).",
    ),
}
_STEP_SHAPE_HINTS = {
    "dx_t": Text(
        "dx_t has the shape of x_t, (N, D): da @ Wx.T.",
        "dx_t tiene la forma de x_t, (N, D): da @ Wx.T.",
    ),
    "dh_prev": Text(
        "dh_prev has the shape of h_prev, (N, H): da @ Wh.T.",
        "dh_prev tiene la forma de h_prev, (N, H): da @ Wh.T.",
    ),
    "dWx": Text(
        "dWx has the shape of Wx, (D, H): x_t.T @ da.",
        "dWx tiene la forma de Wx, (D, H): x_t.T @ da.",
    ),
    "dWh": Text(
        "dWh has the shape of Wh, (H, H): h_prev.T @ da.",
        "dWh tiene la forma de Wh, (H, H): h_prev.T @ da.",
    ),
    "db": Text(
        "db has the shape of b, (H,): sum da over the batch, axis 0.",
        "db tiene la forma de b, (H,): suma da sobre el lote, eje 0.",
    ),
}


# -------------------------------------------------------------- one step

#: (N, D, H): D == H (transposes give no shape error), N = 1, D != H
#: both ways, H = 1.
_STEP_SHAPES = [
    (3, 3, 3), (1, 3, 2), (2, 4, 3), (4, 2, 5), (2, 1, 1), (5, 6, 6),
]


def _from_da(da, x_t, h_prev, Wx, Wh):
    """The five gradients of a step given da (for diagnoses only)."""
    return (da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(0))


def _step_case(student_fn, x_t, h_prev, Wx, Wh, b, dh_next, lang,
               differences=True):
    """One case of check_rnn_step_backward.

    With ``differences=False`` only the tape is the oracle: on saturated
    units the gradients are ~1e-3 of dh_next, where rounding leaves the
    centred differences only ~1e-7 accurate.
    """
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b)
    cache = (x_t, h_prev, Wx, Wh, h_next)

    def step(x_t, h_prev, Wx, Wh, b):
        return np.sum(np.tanh(x_t @ Wx + h_prev @ Wh + b) * dh_next)

    numeric = None
    if differences:
        numeric = numerical_gradients(step, [x_t, h_prev, Wx, Wh, b])
    tape = _unrolled(x_t[:, None], h_prev, Wx, Wh, b, dh_next[:, None])
    expected = [tape["dx"][:, 0], tape["dh0"], tape["dWx"][0],
                tape["dWh"][0], tape["db"][0]]
    result = call(
        student_fn, (dh_next, cache), name="rnn_step_backward",
        arg_names=("dh_next", "cache"), frozen=("dh_next", "cache"),
        lang=lang,
    )
    grads = expect_tuple(
        result, 5, what="rnn_step_backward(dh_next, cache)",
        names="(dx_t, dh_prev, dWx, dWh, db)", lang=lang,
    )
    grads = [
        expect_array(
            grad, what=name, shape=want.shape, lang=lang,
            shape_hint=_STEP_SHAPE_HINTS[name],
        )
        for grad, name, want in zip(grads, _GRAD_NAMES, expected,
                                    strict=True)
    ]
    a = x_t @ Wx + h_prev @ Wh + b
    da = tape["da"][0]

    def variant(i, da_wrong):
        return lambda: _from_da(da_wrong, x_t, h_prev, Wx, Wh)[i]

    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)
    for i, name in enumerate(_GRAD_NAMES):
        mistakes = [
            (variant(i, dh_next * (1.0 - (a - b) ** 2)), _TANH_PRIME),
            (variant(i, dh_next * (1.0 - a ** 2)), _TANH_PRIME),
            (variant(i, dh_next * (1.0 - h_next)), _TANH_PRIME),
            (variant(i, dh_next), _NO_TANH_PRIME),
        ]
        if name == "dWh":
            mistakes.append((lambda: h_next.T @ da, _WRONG_STATE))
        if name == "dh_prev":
            mistakes.append((lambda: da @ Wh, Text(
                "dh_prev = da Wh^T: transpose Wh (da @ Wh.T).",
                "dh_prev = da Wh^T: transpón Wh (da @ Wh.T).",
            )))
        if name == "dx_t":
            mistakes.append((lambda: da @ Wx, Text(
                "dx_t = da Wx^T: transpose Wx (da @ Wx.T).",
                "dx_t = da Wx^T: transpón Wx (da @ Wx.T).",
            )))
        if name in ("dWx", "dWh"):
            mistakes.append((
                lambda i=i: _from_da(da, x_t, h_prev, Wx, Wh)[i].T,
                Text(
                    f"{name} is transposed: {name} = "
                    f"{'x_t' if name == 'dWx' else 'h_prev'}.T @ da.",
                    f"{name} está transpuesta: {name} = "
                    f"{'x_t' if name == 'dWx' else 'h_prev'}.T @ da.",
                ),
            ))
        expect_value(
            grads[i], expected[i], what=name, lang=lang,
            case=case, mistakes=mistakes, hint=_STEP_HINTS[name],
        )
        if numeric is not None:
            expect_close(
                grads[i], numeric[i], what=name, lang=lang,
                case=case, hint=_STEP_HINTS[name],
            )


@hidden_check
def check_rnn_step_backward(student_fn, lang="en"):
    """Check ``rnn_step_backward(dh_next, cache)``.

    Oracles: centred differences in float64 of
    ``sum(tanh(x_t Wx + h_prev Wh + b) * dh_next)`` with respect to
    x_t, h_prev, Wx, Wh and b, and ``tf.GradientTape`` through the same
    step, both to ``RTOL``. The cache ``(x_t, h_prev, Wx, Wh, h_next)``
    is built by the check; in the last case every unit is saturated,
    |a| ~ ``SATURATION``, where tanh' must come from the float64 h_next
    (oracle: the tape alone).
    """
    rng = np.random.default_rng(_SEED["rnn_step_backward"])
    for n, d, h in _STEP_SHAPES:
        x, h_prev, Wx, Wh, b = _draw_rnn(rng, n, 1, d, h)
        dh_next = rng.standard_normal((n, h))
        _step_case(student_fn, x[:, 0], h_prev, Wx, Wh, b, dh_next, lang)
    n, d, h = 3, 4, 5
    x, h_prev, Wx, Wh, b = _draw_rnn(rng, n, 1, d, h)
    x, Wh = 0.1 * x, 0.1 * Wh
    b = SATURATION * rng.choice([-1.0, 1.0], size=h)
    dh_next = rng.standard_normal((n, h))
    _step_case(student_fn, x[:, 0], h_prev, Wx, Wh, b, dh_next, lang,
               differences=False)


# ------------------------------------------------------- a whole sequence

#: (N, T, D, H, where dh is nonzero): D != H, N = 1, T = 1, D == H,
#: a loss at the last step only and at every step.
_SEQUENCE_CASES = [
    (2, 4, 3, 5, "last"), (2, 4, 3, 5, "all"), (1, 5, 2, 3, "all"),
    (3, 1, 4, 2, "all"), (1, 1, 2, 2, "last"), (2, 6, 3, 3, "all"),
    (3, 3, 4, 4, "last"), (2, 5, 3, 2, "last"),
]

_NO_CARRY = Text(
    "Did you add dh_prev from the later step? The gradient flowing into "
    "step t is dh[:, t] + dh_prev, where dh_prev is what step t + 1 sent "
    "back (start from zeros at t = T - 1).",
    "¿Sumaste dh_prev del paso siguiente? El gradiente que entra en el "
    "paso t es dh[:, t] + dh_prev, donde dh_prev es lo que devolvió el "
    "paso t + 1 (parte de ceros en t = T - 1).",
)
_ONE_STEP_ONLY = Text(
    "The same weights are used at every step: add up the gradient of "
    "every step (dWh += dWh_t inside the loop), do not keep only one.",
    "Los mismos pesos se usan en todos los pasos: suma el gradiente de "
    "cada paso (dWh += dWh_t dentro del bucle), no te quedes con uno "
    "solo.",
)
_SEQ_HINTS = {
    "dx": Text(
        "dx[:, t] is the dx_t of step t, computed from the gradient "
        "flowing into step t, dh[:, t] + dh_prev.",
        "dx[:, t] es el dx_t del paso t, calculado con el gradiente que "
        "entra en el paso t, dh[:, t] + dh_prev.",
    ),
    "dh0": Text(
        "dh0 is the dh_prev returned by the first step (t = 0), after "
        "the loop from t = T - 1 down to 0.",
        "dh0 es el dh_prev que devuelve el primer paso (t = 0), tras el "
        "bucle de t = T - 1 hasta 0.",
    ),
}
_SEQ_SHAPE_HINTS = {
    "dx": Text(
        "dx has the shape of x, (N, T, D): dx[:, t] = dx_t.",
        "dx tiene la forma de x, (N, T, D): dx[:, t] = dx_t.",
    ),
    "dh0": Text(
        "dh0 has the shape of h0, (N, H).",
        "dh0 tiene la forma de h0, (N, H).",
    ),
    "dWx": Text(
        "dWx has the shape of Wx, (D, H).",
        "dWx tiene la forma de Wx, (D, H).",
    ),
    "dWh": Text(
        "dWh has the shape of Wh, (H, H).",
        "dWh tiene la forma de Wh, (H, H).",
    ),
    "db": Text(
        "db has the shape of b, (H,): it sums da over the batch and over "
        "the steps.",
        "db tiene la forma de b, (H,): suma da sobre el lote y sobre los "
        "pasos.",
    ),
}
_BPTT_HINT = Text(
    "Walk t = T - 1, ..., 0: step t receives dh[:, t] + dh_prev (dh_prev "
    "from step t + 1, zeros at first); dWx, dWh, db add up over the "
    "steps; dh0 is the last dh_prev. If your rnn_step_backward passes "
    "its tests, call it.",
    "Recorre t = T - 1, ..., 0: el paso t recibe dh[:, t] + dh_prev "
    "(dh_prev del paso t + 1, ceros al principio); dWx, dWh y db se "
    "suman sobre los pasos; dh0 es el último dh_prev. Si tu "
    "rnn_step_backward pasa sus pruebas, llámala.",
)


def _sequence_case(student_fn, x, h0, Wx, Wh, b, dh, lang):
    n, steps, d = x.shape
    states, cache = _sequence_cache(x, h0, Wx, Wh, b)
    tape = _keras_bptt(x, h0, Wx, Wh, b, dh)

    def sequence(x, h0, Wx, Wh, b):
        return np.sum(_np_states(x, h0, Wx, Wh, b) * dh)

    numeric = numerical_gradients(sequence, [x, h0, Wx, Wh, b])
    result = call(
        student_fn, (dh, cache), name="rnn_backward",
        arg_names=("dh", "cache"), frozen=("dh", "cache"), lang=lang,
    )
    grads = expect_tuple(
        result, 5, what="rnn_backward(dh, cache)",
        names="(dx, dh0, dWx, dWh, db)", lang=lang,
    )
    grads = [
        expect_array(
            grad, what=name, shape=want.shape, lang=lang,
            shape_hint=_SEQ_SHAPE_HINTS[name],
        )
        for grad, name, want in zip(grads, _SEQ_NAMES, tape, strict=True)
    ]
    where = Text(
        " and a loss at the last step only", " y pérdida solo en el "
        "último paso",
    ) if np.all(dh[:, :-1] == 0) and steps > 1 else Text("", "")
    case = shape_case(x=x.shape, h0=h0.shape)
    case = Text(case.en + where.en, case.es + where.es)
    full = None
    cut = None

    def unrolled():
        nonlocal full
        if full is None:
            full = _unrolled(x, h0, Wx, Wh, b, dh)
        return full

    def no_carry():
        nonlocal cut
        if cut is None:
            cut = _unrolled(x, h0, Wx, Wh, b, dh, cut=True)
        return cut

    def carried_nothing(name):
        grad = no_carry()[name]
        return grad.sum(0) if name in ("dWx", "dWh", "db") else grad

    for i, name in enumerate(_SEQ_NAMES):
        mistakes = []
        if name in ("dWx", "dWh", "db") and steps > 1:
            # Before _NO_CARRY: with a loss at the last step only, both
            # give the same weight gradients, and dx, checked first, has
            # already ruled out the missing dh_prev.
            mistakes += [
                (lambda name=name: unrolled()[name][-1], _ONE_STEP_ONLY),
                (lambda name=name: unrolled()[name][0], _ONE_STEP_ONLY),
            ]
        if name == "dh0":
            mistakes.append((lambda: np.zeros_like(h0), _SEQ_HINTS["dh0"]))
        mistakes.append((lambda name=name: carried_nothing(name), _NO_CARRY))
        if name == "dWh":
            mistakes.append((
                lambda: np.einsum("tnh,tnk->hk",
                                  states.transpose(1, 0, 2),
                                  unrolled()["da"]),
                _WRONG_STATE,
            ))
        if name == "dx" and steps > 1:
            mistakes.append((
                lambda: tape[0][:, ::-1],
                Text(
                    "dx is reversed in time: store dx_t of step t in "
                    "dx[:, t].",
                    "dx está invertido en el tiempo: guarda el dx_t del "
                    "paso t en dx[:, t].",
                ),
            ))
        hint = _SEQ_HINTS.get(name, _BPTT_HINT)
        expect_value(
            grads[i], tape[i], what=name, lang=lang,
            case=case, mistakes=mistakes, hint=hint,
        )
        expect_close(
            grads[i], numeric[i], what=name, lang=lang,
            case=case, hint=hint,
        )


@hidden_check
def check_rnn_backward(student_fn, lang="en"):
    """Check ``rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)``.

    Oracles: ``tf.GradientTape`` of ``sum(h * dh)`` through a float64
    ``SimpleRNN(return_sequences=True)`` with the weights, called with
    ``initial_state=[h0]``, and centred differences in float64, both to
    ``RTOL``. Losses at the last step only and at
    every step.
    """
    rng = np.random.default_rng(_SEED["rnn_backward"])
    for n, t, d, h, where in _SEQUENCE_CASES:
        x, h0, Wx, Wh, b = _draw_sequence(rng, n, t, d, h)
        dh = rng.standard_normal((n, t, h))
        if where == "last":
            dh[:, :-1] = 0.0
        _sequence_case(student_fn, x, h0, Wx, Wh, b, dh, lang)


# ----------------------------------------------- gradients through time

#: (N, T, D, H): N = 1, T = 1, D == H, D != H.
_NORM_SHAPES = [(2, 5, 3, 4), (1, 6, 2, 3), (3, 1, 2, 2), (2, 4, 4, 4)]

#: Steps of the sequences of the decay and growth cases.
_PROFILE_LENGTH = 10


def _norms_output(student_fn, dh_T, cache, lang):
    result = call(
        student_fn, (dh_T, cache), name="gradient_norms_through_time",
        arg_names=("dh_T", "cache"), frozen=("dh_T", "cache"), lang=lang,
    )
    return expect_array(
        result, what="gradient_norms_through_time(dh_T, cache)",
        shape=(len(cache),), lang=lang,
        shape_hint=Text(
            "One norm per step: an array of shape (T,), with T = "
            "len(cache); each norm is over the whole (N, H) gradient.",
            "Una norma por paso: un array de forma (T,), con T = "
            "len(cache); cada norma es de todo el gradiente (N, H).",
        ),
    )


def _profile_case(student_fn, rng, scale, lang):
    n, d, h, steps = 2, 3, 6, _PROFILE_LENGTH
    x = 1e-6 * rng.standard_normal((n, steps, d))
    Wx = rng.standard_normal((d, h)) / np.sqrt(d)
    Wh = scale * _orthogonal(rng, h)
    _, cache = _sequence_cache(x, np.zeros((n, h)), Wx, Wh, np.zeros(h))
    dh_T = rng.standard_normal((n, h))
    norms = _norms_output(student_fn, dh_T, cache, lang)
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else math.inf
    if scale < 1 and not ratio < DECAY_RATIO:
        fail(
            lang,
            Text(
                f"With Wh = {scale} Q (Q orthogonal) and T = {steps}, "
                f"the gradient must vanish going back in time: norms[0] "
                f"should be below {DECAY_RATIO:g} x norms[-1], but the "
                f"ratio is {ratio:.2g}.",
                f"Con Wh = {scale} Q (Q ortogonal) y T = {steps}, el "
                f"gradiente debe desvanecerse al retroceder en el tiempo: "
                f"norms[0] debería ser menor que {DECAY_RATIO:g} x "
                f"norms[-1], pero el cociente es {ratio:.2g}.",
            ),
            _NORM_ORDER,
        )
    if scale > 1 and not ratio > GROWTH_RATIO:
        fail(
            lang,
            Text(
                f"With Wh = {scale} Q (Q orthogonal), tiny inputs and "
                f"T = {steps}, the gradient must explode going back in "
                f"time: norms[0] should exceed {GROWTH_RATIO:g} x "
                f"norms[-1], but the ratio is {ratio:.2g}.",
                f"Con Wh = {scale} Q (Q ortogonal), entradas diminutas y "
                f"T = {steps}, el gradiente debe explotar al retroceder en "
                f"el tiempo: norms[0] debería superar {GROWTH_RATIO:g} x "
                f"norms[-1], pero el cociente es {ratio:.2g}.",
            ),
            _NORM_ORDER,
        )


_NORM_ORDER = Text(
    "norms[t] is the norm of dL/dh_(t+1): norms[T - 1] = ||dh_T|| and "
    "norms[0] is the norm of the gradient that reaches the first state. "
    "Each step back multiplies by tanh' = 1 - h_t^2 and by Wh^T.",
    "norms[t] es la norma de dL/dh_(t+1): norms[T - 1] = ||dh_T|| y "
    "norms[0] es la norma del gradiente que llega al primer estado. Cada "
    "paso atrás multiplica por tanh' = 1 - h_t^2 y por Wh^T.",
)


def _norms_case(student_fn, x, h0, Wx, Wh, b, dh_T, lang):
    states, cache = _sequence_cache(x, h0, Wx, Wh, b)
    grads = _state_gradients(x, h0, Wx, Wh, b, dh_T)
    expected = np.array([np.linalg.norm(g) for g in grads[1:]])
    norms = _norms_output(student_fn, dh_T, cache, lang)

    def back(tanh_prime=True, transpose=True):
        out, g = [], dh_T
        for t in reversed(range(x.shape[1])):
            out.append(np.linalg.norm(g))
            da = g * (1.0 - states[:, t] ** 2) if tanh_prime else g
            g = da @ (Wh.T if transpose else Wh)
        return np.array(out[::-1])

    mistakes = [
        (lambda: expected[::-1], _NORM_ORDER),
        (
            lambda: np.array([np.linalg.norm(g) for g in grads[:-1]]),
            Text(
                "The norms are shifted by one step: norms[t] is the norm "
                "of dL/dh_(t+1), from ||dL/dh_1|| at index 0 to ||dh_T|| "
                "at index T - 1; dL/dh_0 is not included.",
                "Las normas están desplazadas un paso: norms[t] es la "
                "norma de dL/dh_(t+1), de ||dL/dh_1|| en el índice 0 a "
                "||dh_T|| en el índice T - 1; dL/dh_0 no se incluye.",
            ),
        ),
        (
            lambda: back(tanh_prime=False),
            Text(
                "Did you multiply by tanh' = 1 - h_t^2? Going back one "
                "step, dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ Wh.T.",
                "¿Multiplicaste por tanh' = 1 - h_t^2? Al retroceder un "
                "paso, dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ Wh.T.",
            ),
        ),
        (
            lambda: back(transpose=False),
            Text(
                "Going back one step multiplies by Wh^T, not Wh: "
                "dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ Wh.T.",
                "Retroceder un paso multiplica por Wh^T, no por Wh: "
                "dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ Wh.T.",
            ),
        ),
    ]
    expect_value(
        norms, expected, what="norms", lang=lang,
        case=shape_case(x=x.shape, dh_T=dh_T.shape), mistakes=mistakes,
        hint=Text(
            "Start from g = dh_T; for t = T - 1, ..., 0 store "
            "norms[t] = np.linalg.norm(g), then go back one step: "
            "g = (g * (1 - h_t**2)) @ Wh.T, with h_t = cache[t][4] (or "
            "the dh_prev of rnn_step_backward(g, cache[t])).",
            "Parte de g = dh_T; para t = T - 1, ..., 0 guarda "
            "norms[t] = np.linalg.norm(g) y retrocede un paso: "
            "g = (g * (1 - h_t**2)) @ Wh.T, con h_t = cache[t][4] (o el "
            "dh_prev de rnn_step_backward(g, cache[t])).",
        ),
    )


@hidden_check
def check_gradient_norms_through_time(student_fn, lang="en"):
    """Check ``gradient_norms_through_time(dh_T, cache) -> norms (T,)``.

    First the profile: with Wh = 0.5 Q (Q orthogonal) the norms decay
    going back in time, with Wh = 2.5 Q and tiny inputs they grow. Then
    the values, against ``tf.GradientTape`` over an explicit TensorFlow
    loop that watches every state: norms[t] = ||dL/dh_(t+1)|| for
    L = sum(h_T * dh_T).
    """
    rng = np.random.default_rng(_SEED["gradient_norms_through_time"])
    for scale in (0.5, 2.5):
        _profile_case(student_fn, rng, scale, lang)
    for n, t, d, h in _NORM_SHAPES:
        x, h0, Wx, Wh, b = _draw_rnn(rng, n, t, d, h)
        dh_T = rng.standard_normal((n, h))
        _norms_case(student_fn, x, h0, Wx, Wh, b, dh_T, lang)


# --------------------------------------------------------------- clipping


def _draw_grads(rng, shapes, scale):
    return [scale * rng.standard_normal(shape) for shape in shapes]


#: (shapes, scale of the entries, clip_value): most entries outside,
#: most inside, a single array, nothing to clip (new arrays all the
#: same).
_VALUE_CASES = [
    ([(3, 4), (4,), (1,), (2, 3, 2)], 2.0, 1.0),
    ([(5, 2), (2,)], 0.3, 0.5),
    ([(4, 4)], 10.0, 3.0),
    ([(2, 3), (3,)], 0.01, 1.0),
]


@hidden_check
def check_clip_by_value(student_fn, lang="en"):
    """Check ``clip_by_value(grads, clip_value) -> list of arrays``.

    Oracle: ``tf.clip_by_value(g, -clip_value, clip_value)`` per array.
    The arrays returned are new (none is an array of ``grads``), also
    when nothing is clipped.
    """
    rng = np.random.default_rng(_SEED["clip_by_value"])
    for shapes, scale, clip_value in _VALUE_CASES:
        grads = _draw_grads(rng, shapes, scale)
        expected = [
            np.asarray(tf.clip_by_value(g, -clip_value, clip_value))
            for g in grads
        ]
        result = call(
            student_fn, (grads, clip_value), name="clip_by_value",
            arg_names=("grads", "clip_value"), new_arrays=True, lang=lang,
        )
        clipped = _expect_arrays(
            result, grads, what="clip_by_value(grads, clip_value)",
            lang=lang,
        )
        case = Text(
            f"for {len(grads)} arrays and clip_value = {clip_value}",
            f"para {len(grads)} arrays y clip_value = {clip_value}",
        )
        for i, (got, want, g) in enumerate(
            zip(clipped, expected, grads, strict=True)
        ):
            mistakes = [
                (lambda g=g, c=clip_value: np.minimum(g, c), Text(
                    "Clip both sides: entries below -clip_value become "
                    "-clip_value (np.clip(g, -clip_value, clip_value)).",
                    "Recorta por los dos lados: las entradas menores que "
                    "-clip_value pasan a ser -clip_value "
                    "(np.clip(g, -clip_value, clip_value)).",
                )),
                (lambda g=g, c=clip_value: np.clip(g, 0.0, c), Text(
                    "The interval is [-clip_value, clip_value], not "
                    "[0, clip_value]: negative gradients stay negative.",
                    "El intervalo es [-clip_value, clip_value], no "
                    "[0, clip_value]: los gradientes negativos siguen "
                    "siendo negativos.",
                )),
            ]
            expect_value(
                got, want, what=f"clip_by_value(...)[{i}]", lang=lang,
                case=case, mistakes=mistakes,
                hint=Text(
                    "Clip every entry of every array to "
                    "[-clip_value, clip_value]: "
                    "np.clip(g, -clip_value, clip_value).",
                    "Recorta cada entrada de cada array a "
                    "[-clip_value, clip_value]: "
                    "np.clip(g, -clip_value, clip_value).",
                ),
            )


#: (shapes, scale of the entries of each array, max_norm): clipped
#: (arrays of very different norms), not clipped, clipped with a zero
#: array among them, every array zero, a single array clipped. Every
#: clipped case has a global norm above 10, where PyTorch's factor
#: max_norm / (norm + 1e-6) is within 1e-7 of max_norm / norm.
_NORM_CASES = [
    ([(3, 4), (4,), (2, 2)], [5.0, 0.1, 1.0], 1.0),
    ([(3, 2), (2,)], [0.1, 0.1], 5.0),
    ([(2, 3), (3,), (1,)], [0.0, 10.0, 3.0], 0.5),
    ([(2, 2), (3,)], [0.0, 0.0], 1.0),
    ([(5,)], [8.0], 2.0),
]


def _global_norm(grads):
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


def _clip_mistakes(grads, max_norm, index):
    """(compute, hint) of common clipping mistakes, for array ``index``."""
    norm = _global_norm(grads)
    norms = [np.linalg.norm(g) for g in grads]
    largest = int(np.argmax(norms))

    def per_array():
        g, own = grads[index], norms[index]
        return g * (max_norm / own) if own > max_norm else g

    def largest_only():
        g = grads[index]
        if index == largest and norm > max_norm:
            return g * (max_norm / norm)
        return g

    def sum_of_norms():
        total = sum(norms)
        g = grads[index]
        return g * (max_norm / total) if total > max_norm else g

    return [
        (per_array, _PER_ARRAY),
        (lambda: np.clip(grads[index], -max_norm, max_norm), Text(
            "That is clipping by value: clip_by_global_norm rescales all "
            "the arrays by one factor, max_norm / global_norm, which "
            "keeps the direction of the gradient.",
            "Eso es recortar por valor: clip_by_global_norm reescala "
            "todos los arrays por un mismo factor, "
            "max_norm / global_norm, que conserva la dirección del "
            "gradiente.",
        )),
        (largest_only, _PER_ARRAY),
        (sum_of_norms, _NORM_FORMULA),
        (lambda: grads[index] * (max_norm / norm), Text(
            "Rescale only when global_norm > max_norm; otherwise return "
            "the arrays unchanged.",
            "Reescala solo cuando global_norm > max_norm; si no, "
            "devuelve los arrays sin cambios.",
        )),
    ]


_PER_ARRAY = Text(
    "Clip globally: one factor, max_norm / global_norm, computed from "
    "all the arrays together, rescales every array. Clipping each array "
    "on its own (or only some) changes the direction of the gradient.",
    "Recorta globalmente: un solo factor, max_norm / global_norm, "
    "calculado con todos los arrays juntos, reescala cada array. "
    "Recortar cada array por separado (o solo algunos) cambia la "
    "dirección del gradiente.",
)
_NORM_FORMULA = Text(
    "global_norm = sqrt(sum of the squares of every entry of every "
    "array) = sqrt(sum_i ||g_i||^2), not sum_i ||g_i||.",
    "global_norm = sqrt(suma de los cuadrados de todas las entradas de "
    "todos los arrays) = sqrt(sum_i ||g_i||^2), no sum_i ||g_i||.",
)


@hidden_check
def check_clip_by_global_norm(student_fn, lang="en"):
    """Check ``clip_by_global_norm(grads, max_norm)``.

    Oracle: ``tf.clip_by_global_norm(grads, max_norm)``, both outputs:
    the clipped arrays and the global norm before clipping. Cases that
    are clipped, not clipped, with a zero array and all zeros. The arrays
    returned are new (none is an array of ``grads``), also when nothing
    is clipped.
    """
    rng = np.random.default_rng(_SEED["clip_by_global_norm"])
    for shapes, scales, max_norm in _NORM_CASES:
        grads = [
            s * rng.standard_normal(shape)
            for shape, s in zip(shapes, scales, strict=True)
        ]
        tf_clipped, tf_norm = tf.clip_by_global_norm(
            [tf.constant(g) for g in grads], max_norm,
        )
        expected = [np.asarray(g) for g in tf_clipped]
        expected_norm = float(tf_norm)
        result = call(
            student_fn, (grads, max_norm), name="clip_by_global_norm",
            arg_names=("grads", "max_norm"), new_arrays=True, lang=lang,
        )
        clipped, norm = expect_tuple(
            result, 2, what="clip_by_global_norm(grads, max_norm)",
            names="(clipped, global_norm)", lang=lang,
        )
        clipped = _expect_arrays(
            clipped, grads, what="clipped", lang=lang,
            hint=Text(
                "When every gradient is zero, global_norm is 0 and there "
                "is nothing to clip: divide only when "
                "global_norm > max_norm.",
                "Cuando todos los gradientes son cero, global_norm vale 0 "
                "y no hay nada que recortar: divide solo cuando "
                "global_norm > max_norm.",
            ),
        )
        norm = expect_scalar(
            norm, what="global_norm", lang=lang,
            hint=Text(
                "global_norm is one number for all the arrays together.",
                "global_norm es un solo número para todos los arrays "
                "juntos.",
            ),
        )
        state = "clipped" if expected_norm > max_norm else "not clipped"
        estado = (
            "recortado" if expected_norm > max_norm else "sin recortar"
        )
        case = Text(
            f"for {len(grads)} arrays, max_norm = {max_norm} ({state})",
            f"para {len(grads)} arrays, max_norm = {max_norm} ({estado})",
        )
        expect_value(
            norm, expected_norm, what="global_norm", lang=lang,
            case=case,
            mistakes=[
                (lambda e=expected_norm, m=max_norm: min(e, m), Text(
                    "Return the global norm before clipping (what the "
                    "gradient was), not after.",
                    "Devuelve la norma global antes de recortar (la que "
                    "tenía el gradiente), no después.",
                )),
                (lambda g=grads: sum(np.linalg.norm(a) for a in g),
                 _NORM_FORMULA),
            ],
            hint=_NORM_FORMULA,
        )
        for i, (got, want) in enumerate(zip(clipped, expected,
                                             strict=True)):
            expect_value(
                got, want, what=f"clipped[{i}]", lang=lang,
                case=case,
                mistakes=_clip_mistakes(grads, max_norm, i),
                hint=Text(
                    "If global_norm > max_norm, multiply every array by "
                    "max_norm / global_norm; otherwise return them "
                    "unchanged.",
                    "Si global_norm > max_norm, multiplica cada array por "
                    "max_norm / global_norm; si no, devuélvelos sin "
                    "cambios.",
                ),
            )


# ------------------------------------------------------------ train_step


def _initial_params(rng, d, h, wh_scale=1.0):
    """Weights of the many-to-one regressor; Wh = wh_scale * Q."""
    return {
        "Wx": rng.standard_normal((d, h)) / np.sqrt(d),
        "Wh": wh_scale * _orthogonal(rng, h),
        "b": np.zeros(h),
        "Wy": rng.standard_normal((h, 1)) / np.sqrt(h),
        "by": np.zeros(1),
    }


def _keras_step(params, x, y):
    """(loss, [dWx, dWh, db, dWy, dby]) by GradientTape through Keras."""
    rnn = _simple_rnn(
        params["Wx"], params["Wh"], params["b"], return_sequences=False,
    )
    dense = dense_layer(params["Wy"], params["by"])
    mse = keras.losses.MeanSquaredError(dtype="float64")
    weights = [*rnn.trainable_weights, *dense.trainable_weights]
    with tf.GradientTape() as tape:
        y_hat = dense(rnn(tf.constant(x)))
        loss = mse(tf.constant(y), y_hat)
    grads = tape.gradient(loss, weights)
    return float(loss), grads


def _keras_loss(params, x, y):
    """Held-out MSE of the regressor, by Keras (NaN weights give NaN)."""
    rnn = _simple_rnn(
        params["Wx"], params["Wh"], params["b"], return_sequences=False,
    )
    dense = dense_layer(params["Wy"], params["by"])
    y_hat = dense(rnn(tf.constant(x)))
    mse = keras.losses.MeanSquaredError(dtype="float64")
    return float(mse(tf.constant(y), y_hat))


#: (N, T, H, learning rate, max_norm, scale of Wh): no clipping; clipped
#: (max_norm far below the norm); max_norm above the norm; N = 1.
_TRAIN_STEP_CASES = [
    (4, 5, 3, 0.1, None, 1.0),
    (3, 6, 4, 0.5, 0.05, 1.5),
    (5, 4, 2, 0.2, 100.0, 1.0),
    (1, 3, 3, 0.3, 0.01, 1.0),
]

#: Added to the output bias of the clipped cases of train_step: the
#: predictions miss by ~4, the global norm of the gradients exceeds 10,
#: and PyTorch's max_norm / (norm + 1e-6) stays within 1e-7 of
#: max_norm / norm.
CLIPPED_BIAS = 4.0


def train_step_inputs():
    """(params, x, y, learning_rate, max_norm) of each single step."""
    rng = np.random.default_rng(_SEED["train_step"])
    cases = []
    for n, t, h, lr, max_norm, wh_scale in _TRAIN_STEP_CASES:
        x, y = adding_problem(n, t, seed=int(rng.integers(2**31)))
        params = _initial_params(rng, 2, h, wh_scale)
        params["b"] = 0.1 * rng.standard_normal(h)
        params["by"] = rng.standard_normal(1)
        if max_norm is not None and max_norm < 1:
            params["by"] += CLIPPED_BIAS
        cases.append((params, x, y, lr, max_norm))
    return cases


_UNCLIPPED = Text(
    "The update used the unclipped gradients: clip them with "
    "clip_by_global_norm(grads, max_norm) before the SGD step, and "
    "update with the clipped ones.",
    "La actualización usó los gradientes sin recortar: recórtalos con "
    "clip_by_global_norm(grads, max_norm) antes del paso de SGD y "
    "actualiza con los recortados.",
)
_HALF_MSE = Text(
    "The loss is the plain mean squared error, mean((y_hat - y)**2), "
    "without a factor 1/2 (Keras' \"mse\"); dL/dy_hat = "
    "2 (y_hat - y) / N.",
    "La pérdida es el error cuadrático medio, mean((y_hat - y)**2), "
    "sin factor 1/2 (el \"mse\" de Keras); dL/dy_hat = "
    "2 (y_hat - y) / N.",
)
_SUM_MSE = Text(
    "Average over the batch (np.mean), do not sum: dL/dy_hat = "
    "2 (y_hat - y) / N.",
    "Promedia sobre el lote (np.mean), no sumes: dL/dy_hat = "
    "2 (y_hat - y) / N.",
)


def _params_output(new_params, params, lang):
    """Check that new_params is a dict of the five updated arrays."""
    hint = Text(
        "new_params must be a new dict with the keys "
        "\"Wx\", \"Wh\", \"b\", \"Wy\", \"by\", each array with the "
        "shape of the same key of params.",
        "new_params debe ser un dict nuevo con las claves "
        "\"Wx\", \"Wh\", \"b\", \"Wy\", \"by\", cada array con la forma "
        "de la misma clave de params.",
    )
    if new_params is None:
        fail(lang, Text(
            "new_params is None: did you forget the `return`?",
            "new_params es None: ¿olvidaste el `return`?",
        ))
    if not isinstance(new_params, dict) or set(new_params) != set(params):
        fail(lang, hint)
    return {
        k: expect_array(
            new_params[k], what=f"new_params[\"{k}\"]",
            shape=params[k].shape, lang=lang, shape_hint=hint,
        )
        for k in PARAM_NAMES
    }


def _train_step_case(student_fn, params, x, y, lr, max_norm, lang):
    loss, grads = _keras_step(params, x, y)
    grads_np = [np.asarray(g) for g in grads]
    norm = float(tf.linalg.global_norm(grads))
    if max_norm is None:
        clipped = grads_np
    else:
        clipped = [
            np.asarray(g) for g in tf.clip_by_global_norm(grads, max_norm)[0]
        ]
    result = call(
        student_fn, (params, x, y, lr, max_norm), name="train_step",
        arg_names=("params", "x", "y", "learning_rate", "max_norm"),
        new_arrays=True, lang=lang,
    )
    new_params, got_loss, got_norm = expect_tuple(
        result, 3, what="train_step(params, x, y, learning_rate, max_norm)",
        names="(new_params, loss, grad_norm)", lang=lang,
    )
    new_params = _params_output(new_params, params, lang)
    got_loss = expect_scalar(got_loss, what="loss", lang=lang)
    got_norm = expect_scalar(got_norm, what="grad_norm", lang=lang)
    n = x.shape[0]
    case = Text(
        f"for x of shape {x.shape}, H = {params['Wh'].shape[0]} and "
        f"max_norm = {max_norm}",
        f"para x de forma {x.shape}, H = {params['Wh'].shape[0]} y "
        f"max_norm = {max_norm}",
    )
    expect_value(
        got_loss, loss, what="loss", lang=lang, case=case,
        mistakes=[(lambda: loss / 2, _HALF_MSE),
                  (lambda: loss * n, _SUM_MSE)],
        hint=Text(
            "loss = mean((y_hat - y)**2) with y_hat = h_T Wy + by, h_T "
            "the last state of rnn_forward from h0 = zeros.",
            "loss = mean((y_hat - y)**2) con y_hat = h_T Wy + by, h_T el "
            "último estado de rnn_forward desde h0 = ceros.",
        ),
    )
    expect_value(
        got_norm, norm, what="grad_norm", lang=lang,
        case=case,
        mistakes=[
            (lambda: min(norm, max_norm) if max_norm else None, Text(
                "grad_norm is the global norm of the gradients before "
                "clipping (what clip_by_global_norm returns), not after.",
                "grad_norm es la norma global de los gradientes antes de "
                "recortar (la que devuelve clip_by_global_norm), no "
                "después.",
            )),
            (lambda: norm / 2, _HALF_MSE),
            (lambda: norm * n, _SUM_MSE),
        ],
        hint=Text(
            "grad_norm = sqrt(sum of the squares of dWx, dWh, db, dWy, "
            "dby), before clipping.",
            "grad_norm = sqrt(suma de los cuadrados de dWx, dWh, db, dWy, "
            "dby), antes de recortar.",
        ),
    )
    for k, g, raw in zip(PARAM_NAMES, clipped, grads_np, strict=True):
        # The step the student took, as a gradient: (p - p_new) / lr.
        step = (params[k] - new_params[k]) / lr
        per_array = g
        own = np.linalg.norm(raw)
        if max_norm is not None and own > max_norm:
            per_array = raw * (max_norm / own)
        expect_value(
            step, g, what=Text(
                f"(params[\"{k}\"] - new_params[\"{k}\"]) / learning_rate",
                f"(params[\"{k}\"] - new_params[\"{k}\"]) / learning_rate",
            ), lang=lang, case=case,
            mistakes=[
                (lambda g=g: -g, Text(
                    "Gradient descent subtracts: new = param - "
                    "learning_rate * grad.",
                    "El descenso por gradiente resta: nuevo = param - "
                    "learning_rate * grad.",
                )),
                (lambda raw=raw: raw if max_norm is not None else None,
                 _UNCLIPPED),
                (lambda p=per_array: p if max_norm is not None else None,
                 _PER_ARRAY),
                (lambda g=g: g / 2, _HALF_MSE),
                (lambda g=g: g * n, _SUM_MSE),
            ],
            hint=Text(
                f"new_params[\"{k}\"] = params[\"{k}\"] - learning_rate * "
                f"d{k}, with d{k} from rnn_backward (or from the output "
                "layer) after clipping by global norm.",
                f"new_params[\"{k}\"] = params[\"{k}\"] - learning_rate * "
                f"d{k}, con d{k} de rnn_backward (o de la capa de salida) "
                "tras recortar por norma global.",
            ) if max_norm is not None else Text(
                "With max_norm = None no clipping is expected: "
                f"new_params[\"{k}\"] = params[\"{k}\"] - learning_rate * "
                f"d{k}, with d{k} from rnn_backward (or from the output "
                "layer), unchanged.",
                "Con max_norm = None no se espera ningún recorte: "
                f"new_params[\"{k}\"] = params[\"{k}\"] - learning_rate * "
                f"d{k}, con d{k} de rnn_backward (o de la capa de salida), "
                "sin cambios.",
            ),
        )


class Run(NamedTuple):
    """Outcome of one training run of :func:`training_run`."""

    #: Held-out MSE after training (inf when the run diverged).
    loss: float
    #: Step at which the run diverged, or None.
    diverged_at: int | None


def training_run(student_fn, seed, max_norm, lang="en"):
    """Train the regressor with ``student_fn`` on the adding problem.

    ``TRAIN_STEPS`` SGD steps of ``TRAIN_BATCH`` fresh sequences of
    ``TRAIN_LENGTH`` steps (seeds ``100_000 + 1_000 * seed + step``),
    from the initial weights drawn with ``seed`` (Wh orthogonal); stops
    as soon as a training loss is not finite or exceeds
    ``DIVERGED_LOSS``. Used by :func:`check_train_step` and by
    ``bench/ch03_clipping.py``.

    Returns
    -------
    Run
        The held-out MSE on ``EVAL_SIZE`` sequences and the step at
        which the run diverged (None if it did not).
    """
    rng = np.random.default_rng(seed)
    params = _initial_params(rng, 2, TRAIN_HIDDEN)
    for step in range(TRAIN_STEPS):
        x, y = adding_problem(
            TRAIN_BATCH, TRAIN_LENGTH, seed=100_000 + 1_000 * seed + step,
        )
        params, loss, _ = call(
            student_fn, (params, x, y, TRAIN_LEARNING_RATE, max_norm),
            name="train_step",
            arg_names=("params", "x", "y", "learning_rate", "max_norm"),
            frozen=(), lang=lang,
        )
        if not loss <= DIVERGED_LOSS:  # also True for NaN
            return Run(math.inf, step)
    x, y = adding_problem(EVAL_SIZE, TRAIN_LENGTH, seed=EVAL_SEED)
    with np.errstate(all="ignore"):
        loss = _keras_loss(params, x, y)
    if not loss <= DIVERGED_LOSS:
        return Run(math.inf, TRAIN_STEPS)
    return Run(loss, None)


@hidden_check
def check_train_step(student_fn, lang="en"):
    """Check ``train_step(params, x, y, learning_rate, max_norm)``.

    Oracle: ``tf.GradientTape`` of Keras' ``MeanSquaredError`` through a
    float64 ``SimpleRNN`` (zero initial state) and ``Dense(1)`` holding
    the weights, ``tf.linalg.global_norm`` and ``tf.clip_by_global_norm``
    of the gradients, and the SGD update; with max_norm None, small and
    large. Then a training run on the adding problem (see
    :func:`training_run`): with clipping, the held-out loss must end
    below ``CLIPPED_LOSS_THRESHOLD``; without, the run must diverge.
    """
    for params, x, y, lr, max_norm in train_step_inputs():
        _train_step_case(student_fn, params, x, y, lr, max_norm, lang)

    setting = Text(
        f"{TRAIN_STEPS} SGD steps with learning_rate = "
        f"{TRAIN_LEARNING_RATE} on batches of {TRAIN_BATCH} sequences "
        f"of the adding problem (T = {TRAIN_LENGTH}, H = {TRAIN_HIDDEN})",
        f"{TRAIN_STEPS} pasos de SGD con learning_rate = "
        f"{TRAIN_LEARNING_RATE} sobre lotes de {TRAIN_BATCH} secuencias "
        f"del problema de la suma (T = {TRAIN_LENGTH}, "
        f"H = {TRAIN_HIDDEN})",
    )
    clipped = training_run(student_fn, TRAIN_SEED, TRAIN_MAX_NORM, lang)
    if not clipped.loss < CLIPPED_LOSS_THRESHOLD:
        if clipped.diverged_at is not None:
            reached = Text(
                f"diverged at step {clipped.diverged_at}",
                f"divergió en el paso {clipped.diverged_at}",
            )
        else:
            reached = Text(
                f"ended with a held-out loss of {clipped.loss:.3f}",
                f"terminó con una pérdida de {clipped.loss:.3f} en datos "
                "no vistos",
            )
        fail(
            lang,
            Text(
                f"Training with your train_step, {setting.en} and "
                f"max_norm = {TRAIN_MAX_NORM}, {reached.en}; a correct "
                f"train_step ends below {CLIPPED_LOSS_THRESHOLD} (always "
                "answering the mean, 1.0, gives about 0.167). Check that "
                "every step returns the updated parameters and updates "
                "with the clipped gradients.",
                f"El entrenamiento con tu train_step, {setting.es} y "
                f"max_norm = {TRAIN_MAX_NORM}, {reached.es}; un "
                f"train_step correcto termina por debajo de "
                f"{CLIPPED_LOSS_THRESHOLD} (responder siempre la media, "
                "1.0, da unos 0.167). Comprueba que cada paso devuelve "
                "los parámetros actualizados y actualiza con los "
                "gradientes recortados.",
            ),
        )
    unclipped = training_run(student_fn, TRAIN_SEED, None, lang)
    if unclipped.diverged_at is None:
        fail(
            lang,
            Text(
                f"Without clipping (max_norm = None), the same training "
                f"({setting.en}) must explode, but it ended with a "
                f"held-out loss of {unclipped.loss:.3f}. With "
                "max_norm = None, do not clip at all.",
                f"Sin recorte (max_norm = None), el mismo entrenamiento "
                f"({setting.es}) debe explotar, pero terminó con una "
                f"pérdida de {unclipped.loss:.3f} en datos no vistos. Con "
                "max_norm = None, no recortes nada.",
            ),
        )
