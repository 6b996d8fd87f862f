"""Hidden checks of chapter 4: gated cells, LSTM and GRU.

One ``check_<function>(student_fn, lang="en")`` per graded function of
``solutions/04-gated-cells-{en,es}``. The oracles never share code with
the solution:

* float64 ``keras.layers.LSTM`` and ``keras.layers.GRU`` (Keras 3,
  ``reset_after=True``) holding the student's weights, called with
  ``return_sequences=True, return_state=True`` and the initial states;
  a step is the layer run on T = 1;
* ``tf.GradientTape`` through the same layers, with respect to the
  inputs, the initial states (h0, and c0 for the LSTM) and every weight;
* centred differences in float64 (:mod:`rnn_course.gradcheck`) of a
  NumPy forward pass written here;
* the gates that a cache must hold, computed here with TensorFlow;
* Keras's ``count_params()`` for the parameter counts.

The backward checks build the caches themselves, in the layouts that the
notebook's docstrings fix; the student's forward functions are never
called by them. When a value is wrong, the check recomputes it the way a
few common mistakes would (gates in another order, tanh for a sigmoid,
the output gate applied to c_t, the textbook form of the GRU, ...) and
names the mistake only when it reproduces the student's value and not
the expected one. Each check draws its inputs from its own seeded
generator and leaves every global random state alone.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from rnn_course.gradcheck import relative_error

from ._common import (
    RTOL,
    Text,
    call,
    expect_array,
    expect_gradients,
    expect_grads,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    named_mistakes,
    numerical_gradients,
    shape_case,
)

# RTOL (from _common) is the course's stated tolerance, written in the
# conventions section of the notebook: every value and gradient of the
# student is compared with an independent float64 oracle to a norm-wise
# relative error of at most 1e-6. The inputs below keep every correct
# implementation (float32 accumulation, another order of operations,
# loops or vectorised) near 1e-7 or below, and every mistake listed in
# the tests far above.

_SEED = {
    "lstm_step_forward": 401,
    "lstm_step_backward": 402,
    "lstm_forward": 403,
    "lstm_backward": 404,
    "gru_step_forward": 405,
    "gru_step_backward": 406,
    "gru_forward": 407,
}

#: Gate order of the columns of the Keras LSTM weights.
LSTM_GATES = "ifco"
#: Gate order of the columns of the Keras GRU weights.
GRU_GATES = "zrh"


# ---------------------------------------------------------------- oracles


def _lstm_layer(Wx, Wh, b):
    """A float64 ``keras.layers.LSTM`` holding Wx, Wh, b."""
    layer = keras.layers.LSTM(
        Wh.shape[0],
        return_sequences=True,
        return_state=True,
        dtype="float64",
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer="zeros",
        seed=0,
    )
    layer.build((None, None, Wx.shape[0]))
    layer.set_weights([Wx, Wh, b])
    return layer


def _gru_layer(Wx, Wh, b):
    """A float64 ``keras.layers.GRU`` (reset_after=True) holding Wx, Wh, b."""
    layer = keras.layers.GRU(
        Wh.shape[0],
        return_sequences=True,
        return_state=True,
        reset_after=True,
        dtype="float64",
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer="zeros",
        seed=0,
    )
    layer.build((None, None, Wx.shape[0]))
    layer.set_weights([Wx, Wh, b])
    return layer


def keras_lstm(x, h0, c0, Wx, Wh, b):
    """(h (N, T, H), h_T, c_T) of a Keras LSTM from (h0, c0)."""
    layer = _lstm_layer(Wx, Wh, b)
    seq, h_T, c_T = layer(
        tf.constant(x), initial_state=[tf.constant(h0), tf.constant(c0)],
    )
    return np.asarray(seq), np.asarray(h_T), np.asarray(c_T)


def keras_gru(x, h0, Wx, Wh, b):
    """(h (N, T, H), h_T) of a Keras GRU from h0."""
    layer = _gru_layer(Wx, Wh, b)
    seq, h_T = layer(tf.constant(x), initial_state=[tf.constant(h0)])
    return np.asarray(seq), np.asarray(h_T)


def lstm_tape(x, h0, c0, Wx, Wh, b, dh, dc_T=None):
    """[dx, dh0, dc0, dWx, dWh, db] through a Keras LSTM, by the tape.

    The loss is sum(h * dh) (+ sum(c_T * dc_T) when dc_T is given).
    """
    layer = _lstm_layer(Wx, Wh, b)
    xt, h0t, c0t = tf.constant(x), tf.constant(h0), tf.constant(c0)
    with tf.GradientTape() as tape:
        tape.watch([xt, h0t, c0t])
        seq, _, c_T = layer(xt, initial_state=[h0t, c0t])
        loss = tf.reduce_sum(seq * tf.constant(dh))
        if dc_T is not None:
            loss += tf.reduce_sum(c_T * tf.constant(dc_T))
    grads = tape.gradient(loss, [xt, h0t, c0t, *layer.trainable_weights])
    return [np.asarray(g) for g in grads]


def gru_tape(x, h0, Wx, Wh, b, dh):
    """[dx, dh0, dWx, dWh, db] of sum(h * dh) through a Keras GRU."""
    layer = _gru_layer(Wx, Wh, b)
    xt, h0t = tf.constant(x), tf.constant(h0)
    with tf.GradientTape() as tape:
        tape.watch([xt, h0t])
        seq, _ = layer(xt, initial_state=[h0t])
        loss = tf.reduce_sum(seq * tf.constant(dh))
    grads = tape.gradient(loss, [xt, h0t, *layer.trainable_weights])
    return [np.asarray(g) for g in grads]


def _tf_lstm_gates(x_t, h_prev, Wx, Wh, b):
    """(i, f, c_tilde, o) of one step, computed with TensorFlow."""
    a = tf.constant(x_t) @ tf.constant(Wx) + tf.constant(h_prev) @ \
        tf.constant(Wh) + tf.constant(b)
    a_i, a_f, a_c, a_o = tf.split(a, 4, axis=1)
    return [np.asarray(v) for v in (
        tf.sigmoid(a_i), tf.sigmoid(a_f), tf.tanh(a_c), tf.sigmoid(a_o),
    )]


def _tf_gru_parts(x_t, h_prev, Wx, Wh, b):
    """(z, r, h_tilde, m_h) of one step, computed with TensorFlow."""
    a = tf.constant(x_t) @ tf.constant(Wx) + tf.constant(b[0])
    m = tf.constant(h_prev) @ tf.constant(Wh) + tf.constant(b[1])
    a_z, a_r, a_h = tf.split(a, 3, axis=1)
    m_z, m_r, m_h = tf.split(m, 3, axis=1)
    z = tf.sigmoid(a_z + m_z)
    r = tf.sigmoid(a_r + m_r)
    return [np.asarray(v) for v in (z, r, tf.tanh(a_h + r * m_h), m_h)]


# ------------------------------------------ NumPy forms, right and wrong
# The forward passes of the finite differences, and the values that a
# few common mistakes give (for the hints). Keyword arguments select one
# mistake at a time.


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _blocks(a, gates, order):
    """{gate: block} of the (N, len(order) H) array ``a``."""
    parts = np.split(a, len(order), axis=1)
    read = dict(zip(order, parts, strict=True))
    return [read[g] for g in gates]


def np_lstm(x, h0, c0, Wx, Wh, b, *, order=LSTM_GATES, tanh_gate="",
            sigmoid_candidate=False, output_on_c=False, bias=True):
    """LSTM over a sequence, NumPy; returns (h, c, steps).

    ``steps[t]`` is ``(i, f, c_tilde, o)`` of step t; ``h`` and ``c``
    are (N, T, H). ``order`` reads the columns in another gate order;
    ``tanh_gate`` lists the gates (of "ifo") squashed by tanh instead of
    the sigmoid; ``output_on_c`` gives h_t = o * c_t.
    """
    h, c, hs, cs, steps = h0, c0, [], [], []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + (b if bias else 0.0)
        a_i, a_f, a_c, a_o = _blocks(a, LSTM_GATES, order)
        i, f, o = (
            np.tanh(v) if g in tanh_gate else _sigmoid(v)
            for g, v in zip("ifo", (a_i, a_f, a_o), strict=True)
        )
        c_tilde = _sigmoid(a_c) if sigmoid_candidate else np.tanh(a_c)
        c = f * c + i * c_tilde
        h = o * (c if output_on_c else np.tanh(c))
        hs.append(h)
        cs.append(c)
        steps.append((i, f, c_tilde, o))
    return np.stack(hs, axis=1), np.stack(cs, axis=1), steps


def np_gru(x, h0, Wx, Wh, b, *, order=GRU_GATES, swap_z=False,
           reset_before=False, second_bias=True, b1_outside=False):
    """GRU over a sequence, NumPy; returns (h, steps).

    ``steps[t]`` is ``(z, r, h_tilde, m_h)`` of step t. The keywords
    give the mistakes: another gate order, the interpolation with z and
    1 - z swapped, the reset gate applied to h_prev before the product
    (reset_after=False), b[1] ignored, b[1]_h added outside the reset.
    """
    h, hs, steps = h0, [], []
    b1 = b[1] if second_bias else np.zeros_like(b[1])
    for t in range(x.shape[1]):
        a_z, a_r, a_h = _blocks(x[:, t] @ Wx + b[0], GRU_GATES, order)
        Wh_z, Wh_r, Wh_h = _blocks(Wh, GRU_GATES, order)
        b_z, b_r, b_h = _blocks(b1[None], GRU_GATES, order)
        z = _sigmoid(a_z + h @ Wh_z + b_z)
        r = _sigmoid(a_r + h @ Wh_r + b_r)
        m_h = h @ Wh_h + b_h
        if reset_before:
            pre = a_h + (r * h) @ Wh_h + b_h
        elif b1_outside:
            pre = a_h + r * (h @ Wh_h) + b_h
        else:
            pre = a_h + r * m_h
        h_tilde = np.tanh(pre)
        if swap_z:
            h = (1.0 - z) * h + z * h_tilde
        else:
            h = z * h + (1.0 - z) * h_tilde
        hs.append(h)
        steps.append((z, r, h_tilde, m_h))
    return np.stack(hs, axis=1), steps


def lstm_caches(x, h0, c0, Wx, Wh, b):
    """The step caches of the notebook's layout, from :func:`np_lstm`."""
    h, c, steps = np_lstm(x, h0, c0, Wx, Wh, b)
    caches = []
    for t, (i, f, c_tilde, o) in enumerate(steps):
        h_prev = h0 if t == 0 else h[:, t - 1]
        c_prev = c0 if t == 0 else c[:, t - 1]
        caches.append(
            (x[:, t], h_prev, c_prev, Wx, Wh, i, f, c_tilde, o, c[:, t])
        )
    return caches


def gru_caches(x, h0, Wx, Wh, b):
    """The step caches of the notebook's layout, from :func:`np_gru`."""
    h, steps = np_gru(x, h0, Wx, Wh, b)
    caches = []
    for t, (z, r, h_tilde, m_h) in enumerate(steps):
        h_prev = h0 if t == 0 else h[:, t - 1]
        caches.append((x[:, t], h_prev, Wx, Wh, z, r, h_tilde, m_h))
    return caches


def _lstm_step_back(dh, dc, cache, *, order=LSTM_GATES, gate_prime="sig",
                    dh_to_dc=True, dc_prev="f", do_tanh=True,
                    c_prime="tanh"):
    """Gradients of one LSTM step, right or wrong in one way (hints).

    Returns (dx_t, dh_prev, dc_prev, dWx, dWh, db).
    """
    x_t, h_prev, c_prev, Wx, Wh, i, f, c_tilde, o, c_next = cache
    tanh_c = np.tanh(c_next)
    do = dh * (tanh_c if do_tanh else c_next)
    slope = 1.0 - (tanh_c ** 2 if c_prime == "tanh" else c_next ** 2)
    dc_t = dc + dh * o * slope if dh_to_dc else dc
    if gate_prime == "sig":
        def prime(g):
            return g * (1.0 - g)
    else:  # tanh' taken for the sigmoid gates

        def prime(g):
            return 1.0 - g ** 2

    by_gate = {
        "i": dc_t * c_tilde * prime(i),
        "f": dc_t * c_prev * prime(f),
        "c": dc_t * i * (1.0 - c_tilde ** 2),
        "o": do * prime(o),
    }
    da = np.concatenate([by_gate[g] for g in order], axis=1)
    back = {"f": dc_t * f, "zero": np.zeros_like(dc), "no_f": dc_t}[dc_prev]
    return (da @ Wx.T, da @ Wh.T, back, x_t.T @ da, h_prev.T @ da,
            da.sum(0))


def _gru_step_back(dh, cache, *, swap_z=False, direct=True,
                   db1="own", r_in_dm=True, order=GRU_GATES):
    """Gradients of one GRU step, right or wrong in one way (hints).

    Returns (dx_t, dh_prev, dWx, dWh, db).
    """
    x_t, h_prev, Wx, Wh, z, r, h_tilde, m_h = cache
    dz = dh * ((h_tilde - h_prev) if swap_z else (h_prev - h_tilde))
    da_h = dh * (z if swap_z else 1.0 - z) * (1.0 - h_tilde ** 2)
    da = {"z": dz * z * (1.0 - z), "r": da_h * m_h * r * (1.0 - r),
          "h": da_h}
    dm = dict(da, h=da_h * r if r_in_dm else da_h)
    da = np.concatenate([da[g] for g in order], axis=1)
    dm = np.concatenate([dm[g] for g in order], axis=1)
    keep = (1.0 - z) if swap_z else z
    dh_prev = dm @ Wh.T + (dh * keep if direct else 0.0)
    second = {"own": dm.sum(0), "zero": np.zeros(dm.shape[1]),
              "same": da.sum(0)}[db1]
    return (da @ Wx.T, dh_prev, x_t.T @ da, h_prev.T @ dm,
            np.stack([da.sum(0), second]))


def _lstm_bptt(dh, caches, *, carry_c=True, carry_h=True, **step):
    """BPTT over the caches with :func:`_lstm_step_back` (hints)."""
    n, steps, h = dh.shape
    grads = None
    dh_prev, dc_prev = np.zeros((n, h)), np.zeros((n, h))
    dxs = []
    for t in reversed(range(steps)):
        dh_t = dh[:, t] + (dh_prev if carry_h else 0.0)
        dc_t = dc_prev if carry_c else np.zeros((n, h))
        dx_t, dh_prev, dc_prev, *w = _lstm_step_back(
            dh_t, dc_t, caches[t], **step,
        )
        dxs.append(dx_t)
        grads = w if grads is None else [g + v for g, v in zip(grads, w,
                                                               strict=True)]
    return [np.stack(dxs[::-1], axis=1), dh_prev, dc_prev, *grads]


# -------------------------------------------------------------- messages


_LSTM_ORDER = Text(
    "The gates are in the wrong order. Keras's LSTM keeps four blocks of "
    "H columns in Wx, Wh and b in the order [i, f, c, o]: input gate, "
    "forget gate, candidate c~, output gate (other texts, e.g. CS231n, "
    "use [i, f, o, g]).",
    "Las compuertas están en otro orden. La LSTM de Keras guarda cuatro "
    "bloques de H columnas en Wx, Wh y b en el orden [i, f, c, o]: "
    "compuerta de entrada, de olvido, candidato c~ y compuerta de salida "
    "(otros textos, p. ej. CS231n, usan [i, f, o, g]).",
)
_TANH_GATE = Text(
    "The gates i, f and o use the sigmoid, sigma(a) = 1 / (1 + e^-a), "
    "with values in (0, 1): a gate lets through a fraction. Only the "
    "candidate c~ (and the tanh(c_t) of the output) use tanh.",
    "Las compuertas i, f y o usan la sigmoide, "
    "sigma(a) = 1 / (1 + e^-a), con valores en (0, 1): una compuerta "
    "deja pasar una fracción. Solo el candidato c~ (y el tanh(c_t) de "
    "la salida) usan tanh.",
)
_SIGMOID_CANDIDATE = Text(
    "The candidate is c~ = tanh(a_c), with values in (-1, 1), not a "
    "sigmoid: it can add and subtract from the cell state.",
    "El candidato es c~ = tanh(a_c), con valores en (-1, 1), no una "
    "sigmoide: puede sumar y restar al estado de celda.",
)
_OUTPUT_ON_C = Text(
    "h_t = o * tanh(c_t): squash the cell state with tanh before the "
    "output gate multiplies it (o * c_t is not the hidden state).",
    "h_t = o * tanh(c_t): aplica tanh al estado de celda antes de que "
    "la compuerta de salida lo multiplique (o * c_t no es el estado "
    "oculto).",
)
_NO_BIAS = Text(
    "Did you forget the bias b?",
    "¿Olvidaste el sesgo b?",
)
_GRU_ORDER = Text(
    "The blocks are in the wrong order. Keras's GRU keeps three blocks "
    "of H columns in Wx, Wh and b in the order [z, r, h]: update gate, "
    "reset gate, candidate (PyTorch uses [r, z, n]).",
    "Los bloques están en otro orden. La GRU de Keras guarda tres "
    "bloques de H columnas en Wx, Wh y b en el orden [z, r, h]: "
    "compuerta de actualización, de reinicio y candidato (PyTorch usa "
    "[r, z, n]).",
)
_GRU_SWAPPED = Text(
    "z and 1 - z are swapped. Keras (and this course) write "
    "h_t = z * h_(t-1) + (1 - z) * h~_t: z is the fraction of the old "
    "state that is kept. Some textbooks write "
    "h_t = (1 - z) * h_(t-1) + z * h~_t, the same model with z and "
    "1 - z exchanged, which gives other numbers with Keras's weights.",
    "z y 1 - z están intercambiados. Keras (y este curso) escriben "
    "h_t = z * h_(t-1) + (1 - z) * h~_t: z es la fracción del estado "
    "anterior que se conserva. Algunos libros de texto escriben "
    "h_t = (1 - z) * h_(t-1) + z * h~_t, el mismo modelo con z y 1 - z "
    "intercambiados, que da otros números con los pesos de Keras.",
)
_RESET_AFTER = Text(
    "Keras 3 applies the reset gate after the recurrent product "
    "(reset_after=True): h~ = tanh(x_t Wx_h + b[0]_h + r * (h_(t-1) "
    "Wh_h + b[1]_h)), not tanh(... + (r * h_(t-1)) Wh_h ...).",
    "Keras 3 aplica la compuerta de reinicio después del producto "
    "recurrente (reset_after=True): h~ = tanh(x_t Wx_h + b[0]_h + "
    "r * (h_(t-1) Wh_h + b[1]_h)), no tanh(... + (r * h_(t-1)) Wh_h "
    "...).",
)
_SECOND_BIAS = Text(
    "b has two rows: b[0] is added to x_t Wx and b[1] to h_(t-1) Wh. Did "
    "you forget b[1]?",
    "b tiene dos filas: b[0] se suma a x_t Wx y b[1] a h_(t-1) Wh. "
    "¿Olvidaste b[1]?",
)
_B1_INSIDE = Text(
    "b[1]_h belongs inside the reset: r * (h_(t-1) Wh_h + b[1]_h).",
    "b[1]_h va dentro del reinicio: r * (h_(t-1) Wh_h + b[1]_h).",
)
_GATE_PRIME = Text(
    "The derivative of the sigmoid is sigma' = sigma (1 - sigma): for "
    "the gates, i * (1 - i), f * (1 - f), o * (1 - o), not 1 - i**2.",
    "La derivada de la sigmoide es sigma' = sigma (1 - sigma): para las "
    "compuertas, i * (1 - i), f * (1 - f), o * (1 - o), no 1 - i**2.",
)
_DH_TO_DC = Text(
    "The cell state also reaches the loss through h_t = o * tanh(c_t): "
    "dc = dc_next + dh_next * o * (1 - tanh(c_t)**2).",
    "El estado de celda también llega a la pérdida a través de "
    "h_t = o * tanh(c_t): dc = dc_next + dh_next * o * "
    "(1 - tanh(c_t)**2).",
)
_DC_PREV = Text(
    "dc_prev = dc * f, with dc = dc_next + dh_next * o * "
    "(1 - tanh(c_t)**2): the cell path c_t = f * c_(t-1) + ... carries "
    "the gradient back, multiplied by the forget gate.",
    "dc_prev = dc * f, con dc = dc_next + dh_next * o * "
    "(1 - tanh(c_t)**2): el camino de la celda c_t = f * c_(t-1) + ... "
    "lleva el gradiente hacia atrás, multiplicado por la compuerta de "
    "olvido.",
)
_C_PRIME = Text(
    "The derivative of tanh(c_t) is 1 - tanh(c_t)**2: square tanh(c_t), "
    "not c_t.",
    "La derivada de tanh(c_t) es 1 - tanh(c_t)**2: eleva al cuadrado "
    "tanh(c_t), no c_t.",
)
_DO = Text(
    "h_t = o * tanh(c_t), so do = dh_next * tanh(c_t).",
    "h_t = o * tanh(c_t), así que do = dh_next * tanh(c_t).",
)
_GRU_DIRECT = Text(
    "h_(t-1) reaches h_t directly too, through z * h_(t-1): "
    "dh_prev = dh_next * z + dm @ Wh.T.",
    "h_(t-1) también llega a h_t directamente, a través de "
    "z * h_(t-1): dh_prev = dh_next * z + dm @ Wh.T.",
)
_GRU_DB1 = Text(
    "db[1] is the gradient of the recurrent bias: it sums over the batch "
    "the gradient of h_(t-1) Wh + b[1], whose candidate block is "
    "multiplied by r.",
    "db[1] es el gradiente del sesgo recurrente: suma sobre el lote el "
    "gradiente de h_(t-1) Wh + b[1], cuyo bloque del candidato va "
    "multiplicado por r.",
)
_GRU_R_IN_DM = Text(
    "The candidate reads r * (h_(t-1) Wh_h + b[1]_h): the gradient that "
    "reaches h_(t-1) Wh_h + b[1]_h is multiplied by r.",
    "El candidato lee r * (h_(t-1) Wh_h + b[1]_h): el gradiente que "
    "llega a h_(t-1) Wh_h + b[1]_h va multiplicado por r.",
)


def _expect_cache(cache, wanted, names, *, what, reader, lang):
    """Check a step cache element by element against ``wanted``."""
    layout = f"({', '.join(names)})"
    hint = Text(
        f"The cache of {what} must be the tuple {layout}, in this order: "
        f"{reader} reads it.",
        f"La caché de {what} debe ser la tupla {layout}, en este orden: "
        f"la lee {reader}.",
    )
    if not isinstance(cache, (list, tuple)) or len(cache) != len(wanted):
        fail(lang, hint)
    for k, (got, want, name) in enumerate(
        zip(cache, wanted, names, strict=True)
    ):
        if (
            not isinstance(got, np.ndarray)
            or got.shape != want.shape
            or not relative_error(got, want) <= RTOL
        ):
            fail(
                lang,
                Text(
                    f"cache[{k}] must be {name}.",
                    f"cache[{k}] debe ser {name}.",
                ),
                hint,
            )


# ----------------------------------------------------- input generators


def _draw_lstm(rng, n, t, d, h):
    """x, h0, c0, Wx, Wh, b: gates away from saturation, c0 of order 1."""
    x = rng.standard_normal((n, t, d))
    h0 = rng.uniform(-0.8, 0.8, (n, h))
    c0 = rng.uniform(-1.5, 1.5, (n, h))
    Wx = rng.standard_normal((d, 4 * h)) / np.sqrt(d)
    Wh = rng.standard_normal((h, 4 * h)) / np.sqrt(h)
    b = 0.5 * rng.standard_normal(4 * h)
    return x, h0, c0, Wx, Wh, b


def _draw_gru(rng, n, t, d, h):
    """x, h0, Wx, Wh, b (2, 3H): both bias rows of order 1."""
    x = rng.standard_normal((n, t, d))
    h0 = rng.uniform(-0.8, 0.8, (n, h))
    Wx = rng.standard_normal((d, 3 * h)) / np.sqrt(d)
    Wh = rng.standard_normal((h, 3 * h)) / np.sqrt(h)
    b = 0.7 * rng.standard_normal((2, 3 * h))
    return x, h0, Wx, Wh, b


#: (N, D, H) of the step checks: D != H both ways, N = 1, D == H, H = 1.
_STEP_SHAPES = [(2, 3, 4), (1, 4, 2), (3, 3, 3), (2, 2, 1), (4, 5, 3)]

#: (N, T, D, H, where dh is nonzero) of the sequence checks.
_SEQUENCE_CASES = [
    (2, 4, 3, 4, "all"), (1, 5, 2, 3, "last"), (3, 1, 4, 2, "all"),
    (2, 6, 3, 3, "all"), (2, 3, 4, 5, "last"),
]

_LSTM_CACHE = ("x_t", "h_prev", "c_prev", "Wx", "Wh", "i", "f", "c_tilde",
               "o", "c_next")
_GRU_CACHE = ("x_t", "h_prev", "Wx", "Wh", "z", "r", "h_tilde", "m_h")


# ------------------------------------------------------- LSTM, one step


def _lstm_forward_mistakes(x, h0, c0, Wx, Wh, b, expected, pick):
    """Mistakes of the LSTM forward pass; ``pick`` selects h or c."""

    def run(**wrong):
        return lambda: pick(np_lstm(x, h0, c0, Wx, Wh, b, **wrong))

    return named_mistakes(expected, [
        (run(order="ifoc"), _LSTM_ORDER),
        (run(order="fico"), _LSTM_ORDER),
        (run(tanh_gate="ifo"), _TANH_GATE),
        (run(tanh_gate="i"), _TANH_GATE),
        (run(tanh_gate="f"), _TANH_GATE),
        (run(tanh_gate="o"), _TANH_GATE),
        (run(sigmoid_candidate=True), _SIGMOID_CANDIDATE),
        (run(output_on_c=True), _OUTPUT_ON_C),
        (run(bias=False), _NO_BIAS),
    ])


_LSTM_STEP_HINT = Text(
    "a = x_t @ Wx + h_prev @ Wh + b; i, f, o = sigmoid of the blocks "
    "0, 1, 3 of H columns, c_tilde = tanh of block 2; "
    "c_next = f * c_prev + i * c_tilde; h_next = o * tanh(c_next).",
    "a = x_t @ Wx + h_prev @ Wh + b; i, f, o = sigmoide de los bloques "
    "0, 1 y 3 de H columnas, c_tilde = tanh del bloque 2; "
    "c_next = f * c_prev + i * c_tilde; h_next = o * tanh(c_next).",
)


def _lstm_step_forward_case(student_fn, x_t, h_prev, c_prev, Wx, Wh, b,
                            lang):
    n, h = h_prev.shape
    _, h_T, c_T = keras_lstm(x_t[:, None], h_prev, c_prev, Wx, Wh, b)
    result = call(
        student_fn, (x_t, h_prev, c_prev, Wx, Wh, b),
        name="lstm_step_forward",
        arg_names=("x_t", "h_prev", "c_prev", "Wx", "Wh", "b"), lang=lang,
    )
    h_next, c_next, cache = expect_tuple(
        result, 3, what="lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b)",
        names="(h_next, c_next, cache)", lang=lang,
    )
    shape_hint = Text(
        "Each gate is one block of H columns of x_t @ Wx + h_prev @ Wh + "
        "b, which is (N, 4H): h_next and c_next are (N, H).",
        "Cada compuerta es un bloque de H columnas de x_t @ Wx + "
        "h_prev @ Wh + b, que es (N, 4H): h_next y c_next son (N, H).",
    )
    c_next = expect_array(c_next, what="c_next", shape=(n, h), lang=lang,
                          shape_hint=shape_hint)
    h_next = expect_array(h_next, what="h_next", shape=(n, h), lang=lang,
                          shape_hint=shape_hint)
    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)
    x = x_t[:, None]
    expect_value(
        c_next, c_T, what="c_next", lang=lang, case=case,
        mistakes=_lstm_forward_mistakes(
            x, h_prev, c_prev, Wx, Wh, b, c_T, lambda r: r[1][:, 0],
        ),
        hint=_LSTM_STEP_HINT,
    )
    expect_value(
        h_next, h_T, what="h_next", lang=lang, case=case,
        mistakes=_lstm_forward_mistakes(
            x, h_prev, c_prev, Wx, Wh, b, h_T, lambda r: r[0][:, 0],
        ),
        hint=_LSTM_STEP_HINT,
    )
    gates = _tf_lstm_gates(x_t, h_prev, Wx, Wh, b)
    _expect_cache(
        cache, (x_t, h_prev, c_prev, Wx, Wh, *gates, c_T), _LSTM_CACHE,
        what="lstm_step_forward", reader="lstm_step_backward", lang=lang,
    )


@hidden_check
def check_lstm_step_forward(student_fn, lang="en"):
    """Check ``lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b)``.

    Oracle: a float64 ``keras.layers.LSTM`` holding the weights, run for
    one step from (h_prev, c_prev): its output and final states. The
    cache must be ``(x_t, h_prev, c_prev, Wx, Wh, i, f, c_tilde, o,
    c_next)``, the gates computed with TensorFlow.
    """
    rng = np.random.default_rng(_SEED["lstm_step_forward"])
    for n, d, h in _STEP_SHAPES:
        x, h0, c0, Wx, Wh, b = _draw_lstm(rng, n, 1, d, h)
        _lstm_step_forward_case(student_fn, x[:, 0], h0, c0, Wx, Wh, b, lang)


_LSTM_STEP_BACK_NAMES = ("dx_t", "dh_prev", "dc_prev", "dWx", "dWh", "db")

_LSTM_BACK_HINT = Text(
    "With tc = tanh(c_next): do = dh_next * tc; dc = dc_next + dh_next * "
    "o * (1 - tc**2); di = dc * c_tilde, df = dc * c_prev, "
    "dc_tilde = dc * i; da = [di * i * (1 - i), df * f * (1 - f), "
    "dc_tilde * (1 - c_tilde**2), do * o * (1 - o)] (N, 4H); then "
    "dx_t = da @ Wx.T, dh_prev = da @ Wh.T, dWx = x_t.T @ da, "
    "dWh = h_prev.T @ da, db = da.sum(0), dc_prev = dc * f.",
    "Con tc = tanh(c_next): do = dh_next * tc; dc = dc_next + dh_next * "
    "o * (1 - tc**2); di = dc * c_tilde, df = dc * c_prev, "
    "dc_tilde = dc * i; da = [di * i * (1 - i), df * f * (1 - f), "
    "dc_tilde * (1 - c_tilde**2), do * o * (1 - o)] (N, 4H); después "
    "dx_t = da @ Wx.T, dh_prev = da @ Wh.T, dWx = x_t.T @ da, "
    "dWh = h_prev.T @ da, db = da.sum(0), dc_prev = dc * f.",
)


def _lstm_step_backward_case(student_fn, x_t, h_prev, c_prev, Wx, Wh, b,
                             dh_next, dc_next, lang):
    x = x_t[:, None]
    cache = lstm_caches(x, h_prev, c_prev, Wx, Wh, b)[0]
    tape = lstm_tape(x, h_prev, c_prev, Wx, Wh, b, dh_next[:, None],
                     dc_T=dc_next)
    expected = [tape[0][:, 0], *tape[1:]]

    def loss(x_t, h_prev, c_prev, Wx, Wh, b):
        h, c, _ = np_lstm(x_t[:, None], h_prev, c_prev, Wx, Wh, b)
        return np.sum(h[:, 0] * dh_next) + np.sum(c[:, 0] * dc_next)

    numeric = numerical_gradients(loss, [x_t, h_prev, c_prev, Wx, Wh, b])
    result = call(
        student_fn, (dh_next, dc_next, cache), name="lstm_step_backward",
        arg_names=("dh_next", "dc_next", "cache"),
        frozen=("dh_next", "dc_next", "cache"), lang=lang,
    )
    grads = expect_grads(
        result, _LSTM_STEP_BACK_NAMES, expected, lang=lang,
        what="lstm_step_backward(dh_next, dc_next, cache)",
    )
    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)
    if not np.any(dc_next):
        case = Text(case.en + " and dc_next = 0", case.es + " y dc_next = 0")

    def wrong(k, **mistake):
        return lambda: _lstm_step_back(dh_next, dc_next, cache, **mistake)[k]

    def mistakes(k, name):
        return [
            (wrong(k, order="ifoc"), _LSTM_ORDER),
            (wrong(k, gate_prime="tanh"), _GATE_PRIME),
            (wrong(k, dh_to_dc=False), _DH_TO_DC),
            (wrong(k, dc_prev="zero"), _DC_PREV),
            (wrong(k, dc_prev="no_f"), _DC_PREV),
            (wrong(k, c_prime="c"), _C_PRIME),
            (wrong(k, do_tanh=False), _DO),
        ]

    expect_gradients(
        grads, _LSTM_STEP_BACK_NAMES, expected, numeric, lang=lang, case=case,
        hint=_LSTM_BACK_HINT, mistakes=mistakes,
    )


@hidden_check
def check_lstm_step_backward(student_fn, lang="en"):
    """Check ``lstm_step_backward(dh_next, dc_next, cache)``.

    Oracles: ``tf.GradientTape`` of sum(h_1 * dh_next) + sum(c_1 *
    dc_next) through a float64 Keras LSTM run for one step, and centred
    differences in float64, with respect to x_t, h_prev, c_prev, Wx, Wh
    and b. The cache is built by the check; one case has dc_next = 0.
    """
    rng = np.random.default_rng(_SEED["lstm_step_backward"])
    for k, (n, d, h) in enumerate(_STEP_SHAPES):
        x, h0, c0, Wx, Wh, b = _draw_lstm(rng, n, 1, d, h)
        dh_next = rng.standard_normal((n, h))
        dc_next = rng.standard_normal((n, h))
        if k == 1:
            dc_next = np.zeros((n, h))
        _lstm_step_backward_case(student_fn, x[:, 0], h0, c0, Wx, Wh, b,
                                 dh_next, dc_next, lang)


# -------------------------------------------------- LSTM, whole sequence


_LSTM_FORWARD_HINT = Text(
    "Start from (h_prev, c_prev) = (h0, c0) and, for t = 0, ..., T - 1, "
    "take one LSTM step on x[:, t]; store h_next in h[:, t] and carry "
    "both h_next and c_next to the next step. c_T is the last c_next. If "
    "your lstm_step_forward passes its tests, call it.",
    "Parte de (h_prev, c_prev) = (h0, c0) y, para t = 0, ..., T - 1, da "
    "un paso de LSTM sobre x[:, t]; guarda h_next en h[:, t] y lleva "
    "h_next y c_next al paso siguiente. c_T es el último c_next. Si tu "
    "lstm_step_forward pasa sus pruebas, llámala.",
)
_C_NOT_CARRIED = Text(
    "The cell state must be carried from step to step too: the c_next "
    "of step t is the c_prev of step t + 1 (start from c0).",
    "El estado de celda también pasa de un paso al siguiente: el c_next "
    "del paso t es el c_prev del paso t + 1 (parte de c0).",
)


def _lstm_forward_case(student_fn, x, h0, c0, Wx, Wh, b, lang):
    n, t, _ = x.shape
    h = h0.shape[1]
    seq, h_T, c_T = keras_lstm(x, h0, c0, Wx, Wh, b)
    result = call(
        student_fn, (x, h0, c0, Wx, Wh, b), name="lstm_forward",
        arg_names=("x", "h0", "c0", "Wx", "Wh", "b"), lang=lang,
    )
    states, last_c, cache = expect_tuple(
        result, 3, what="lstm_forward(x, h0, c0, Wx, Wh, b)",
        names="(h, c_T, cache)", lang=lang,
    )
    states = expect_array(
        states, what="h", shape=(n, t, h), lang=lang,
        shape_hint=Text(
            "h holds every hidden state: h[:, t] is the state after "
            "reading x[:, t], so h is (N, T, H).",
            "h contiene todos los estados ocultos: h[:, t] es el estado "
            "tras leer x[:, t], así que h es (N, T, H).",
        ),
    )
    last_c = expect_array(
        last_c, what="c_T", shape=(n, h), lang=lang,
        shape_hint=Text(
            "c_T is the last cell state only, (N, H).",
            "c_T es solo el último estado de celda, (N, H).",
        ),
    )
    case = shape_case(x=x.shape, h0=h0.shape)

    def mistakes(expected, pick):
        found = _lstm_forward_mistakes(x, h0, c0, Wx, Wh, b, expected, pick)
        found += named_mistakes(expected, [
            (lambda: pick(np_lstm(x, h0, np.zeros_like(c0), Wx, Wh, b)),
             _C_NOT_CARRIED),
            (lambda: pick(_reset_c(x, h0, c0, Wx, Wh, b)), _C_NOT_CARRIED),
        ])
        return found

    expect_value(
        states, seq, what="h", lang=lang, case=case,
        mistakes=mistakes(seq, lambda r: r[0]), hint=_LSTM_FORWARD_HINT,
    )
    expect_value(
        states[:, -1], h_T, what="h[:, -1]", lang=lang,
        case=case, hint=_LSTM_FORWARD_HINT,
    )
    expect_value(
        last_c, c_T, what="c_T", lang=lang, case=case,
        mistakes=mistakes(c_T, lambda r: r[1][:, -1]),
        hint=_LSTM_FORWARD_HINT,
    )
    _expect_sequence_cache(
        cache, lstm_caches(x, h0, c0, Wx, Wh, b), _LSTM_CACHE,
        what="lstm_forward", step="lstm_step_forward",
        reader="lstm_backward", lang=lang,
    )


def _reset_c(x, h0, c0, Wx, Wh, b):
    """Every step starts from c0 (the cell state is not carried)."""
    hs, cs, h = [], [], h0
    for t in range(x.shape[1]):
        h_t, c_t, _ = np_lstm(x[:, t:t + 1], h, c0, Wx, Wh, b)
        h = h_t[:, 0]
        hs.append(h)
        cs.append(c_t[:, 0])
    return np.stack(hs, axis=1), np.stack(cs, axis=1), None


def _expect_sequence_cache(cache, wanted, names, *, what, step, reader,
                           lang):
    """The list of T step caches, each checked element by element."""
    hint = Text(
        f"The cache of {what} must be the list of the T caches returned "
        f"by {step}, in time order: cache[t] belongs to the step that "
        f"reads x[:, t]. {reader} reads it.",
        f"La caché de {what} debe ser la lista de las T cachés que "
        f"devolvió {step}, en orden temporal: cache[t] es la del paso "
        f"que lee x[:, t]. La lee {reader}.",
    )
    if not isinstance(cache, (list, tuple)) or len(cache) != len(wanted):
        fail(lang, hint)
    for t, (got, want) in enumerate(zip(cache, wanted, strict=True)):
        ok = (
            isinstance(got, (list, tuple))
            and len(got) == len(want)
            and all(
                isinstance(g, np.ndarray)
                and g.shape == w.shape
                and relative_error(g, w) <= RTOL
                for g, w in zip(got, want, strict=True)
            )
        )
        if not ok:
            fail(
                lang,
                Text(
                    f"cache[{t}] is not the cache of step {t}, "
                    f"({', '.join(names)}).",
                    f"cache[{t}] no es la caché del paso {t}, "
                    f"({', '.join(names)}).",
                ),
                hint,
            )


@hidden_check
def check_lstm_forward(student_fn, lang="en"):
    """Check ``lstm_forward(x, h0, c0, Wx, Wh, b) -> (h, c_T, cache)``.

    Oracle: a float64 ``keras.layers.LSTM(return_sequences=True,
    return_state=True)`` holding the weights, from (h0, c0): h against
    its sequence, h[:, -1] and c_T against its final states. The cache
    must be the list of the T step caches, in time order.
    """
    rng = np.random.default_rng(_SEED["lstm_forward"])
    for n, t, d, h, _ in _SEQUENCE_CASES:
        x, h0, c0, Wx, Wh, b = _draw_lstm(rng, n, t, d, h)
        _lstm_forward_case(student_fn, x, h0, c0, Wx, Wh, b, lang)


_LSTM_SEQ_NAMES = ("dx", "dh0", "dc0", "dWx", "dWh", "db")

_LSTM_BPTT_HINT = Text(
    "Walk t = T - 1, ..., 0 with dh_prev and dc_prev starting at zeros: "
    "step t receives dh[:, t] + dh_prev and dc_prev, both from step "
    "t + 1; dWx, dWh, db add up over the steps; dh0 and dc0 are what the "
    "first step sends back. If your lstm_step_backward passes its "
    "tests, call it.",
    "Recorre t = T - 1, ..., 0 con dh_prev y dc_prev en ceros al "
    "principio: el paso t recibe dh[:, t] + dh_prev y dc_prev, ambos "
    "del paso t + 1; dWx, dWh y db se suman sobre los pasos; dh0 y dc0 "
    "son lo que devuelve el primer paso. Si tu lstm_step_backward pasa "
    "sus pruebas, llámala.",
)
_DC_NOT_CARRIED = Text(
    "The cell path carries gradient back too: step t receives the "
    "dc_prev of step t + 1 as its dc_next (zeros at the last step).",
    "El camino de la celda también lleva gradiente hacia atrás: el "
    "paso t recibe como dc_next el dc_prev del paso t + 1 (ceros en el "
    "último paso).",
)
_DH_NOT_CARRIED = Text(
    "Did you add dh_prev from the later step? Step t receives "
    "dh[:, t] + dh_prev, where dh_prev is what step t + 1 sent back.",
    "¿Sumaste dh_prev del paso siguiente? El paso t recibe "
    "dh[:, t] + dh_prev, donde dh_prev es lo que devolvió el paso t + 1.",
)


def _lstm_backward_case(student_fn, x, h0, c0, Wx, Wh, b, dh, lang):
    caches = lstm_caches(x, h0, c0, Wx, Wh, b)
    expected = lstm_tape(x, h0, c0, Wx, Wh, b, dh)

    def loss(x, h0, c0, Wx, Wh, b):
        return np.sum(np_lstm(x, h0, c0, Wx, Wh, b)[0] * dh)

    numeric = numerical_gradients(loss, [x, h0, c0, Wx, Wh, b])
    result = call(
        student_fn, (dh, caches), name="lstm_backward",
        arg_names=("dh", "cache"), frozen=("dh", "cache"), lang=lang,
    )
    grads = expect_grads(
        result, _LSTM_SEQ_NAMES, expected, what="lstm_backward(dh, cache)",
        lang=lang,
    )
    case = shape_case(x=x.shape, h0=h0.shape)
    if x.shape[1] > 1 and not np.any(dh[:, :-1]):
        case = Text(case.en + " and a loss at the last step only",
                    case.es + " y pérdida solo en el último paso")

    def wrong(k, **mistake):
        return lambda: _lstm_bptt(dh, caches, **mistake)[k]

    def mistakes(k, name):
        return [
            (wrong(k, carry_c=False), _DC_NOT_CARRIED),
            (wrong(k, carry_h=False), _DH_NOT_CARRIED),
            (wrong(k, order="ifoc"), _LSTM_ORDER),
            (wrong(k, dh_to_dc=False), _DH_TO_DC),
            (wrong(k, dc_prev="zero"), _DC_PREV),
            (wrong(k, gate_prime="tanh"), _GATE_PRIME),
        ]

    expect_gradients(
        grads, _LSTM_SEQ_NAMES, expected, numeric, lang=lang, case=case,
        hint=_LSTM_BPTT_HINT, mistakes=mistakes,
    )


@hidden_check
def check_lstm_backward(student_fn, lang="en"):
    """Check ``lstm_backward(dh, cache) -> (dx, dh0, dc0, dWx, dWh, db)``.

    Oracles: ``tf.GradientTape`` of sum(h * dh) through a float64
    ``keras.layers.LSTM`` from (h0, c0), and centred differences in
    float64, with respect to x, h0, c0, Wx, Wh and b. Losses at the last
    step only and at every step.
    """
    rng = np.random.default_rng(_SEED["lstm_backward"])
    for n, t, d, h, where in _SEQUENCE_CASES:
        x, h0, c0, Wx, Wh, b = _draw_lstm(rng, n, t, d, h)
        dh = rng.standard_normal((n, t, h))
        if where == "last":
            dh[:, :-1] = 0.0
        _lstm_backward_case(student_fn, x, h0, c0, Wx, Wh, b, dh, lang)


# -------------------------------------------------------- GRU, one step

_GRU_STEP_HINT = Text(
    "a = x_t @ Wx + b[0] and m = h_prev @ Wh + b[1], both (N, 3H) in "
    "blocks [z, r, h]; z = sigmoid(a_z + m_z), r = sigmoid(a_r + m_r), "
    "h_tilde = tanh(a_h + r * m_h); h_next = z * h_prev + (1 - z) * "
    "h_tilde.",
    "a = x_t @ Wx + b[0] y m = h_prev @ Wh + b[1], ambos (N, 3H) en "
    "bloques [z, r, h]; z = sigmoid(a_z + m_z), r = sigmoid(a_r + m_r), "
    "h_tilde = tanh(a_h + r * m_h); h_next = z * h_prev + (1 - z) * "
    "h_tilde.",
)


def _gru_forward_mistakes(x, h0, Wx, Wh, b, expected, pick):
    """Mistakes of the GRU forward pass; ``pick`` selects the value."""

    def run(**wrong):
        return lambda: pick(np_gru(x, h0, Wx, Wh, b, **wrong))

    return named_mistakes(expected, [
        (run(swap_z=True), _GRU_SWAPPED),
        (run(reset_before=True), _RESET_AFTER),
        (run(second_bias=False), _SECOND_BIAS),
        (run(b1_outside=True), _B1_INSIDE),
        (run(order="rzh"), _GRU_ORDER),
    ])


def _gru_step_forward_case(student_fn, x_t, h_prev, Wx, Wh, b, lang):
    n, h = h_prev.shape
    _, h_T = keras_gru(x_t[:, None], h_prev, Wx, Wh, b)
    result = call(
        student_fn, (x_t, h_prev, Wx, Wh, b), name="gru_step_forward",
        arg_names=("x_t", "h_prev", "Wx", "Wh", "b"), lang=lang,
    )
    h_next, cache = expect_tuple(
        result, 2, what="gru_step_forward(x_t, h_prev, Wx, Wh, b)",
        names="(h_next, cache)", lang=lang,
    )
    h_next = expect_array(
        h_next, what="h_next", shape=(n, h), lang=lang,
        shape_hint=Text(
            "Each gate is one block of H columns of the (N, 3H) products: "
            "h_next is (N, H).",
            "Cada compuerta es un bloque de H columnas de los productos "
            "(N, 3H): h_next es (N, H).",
        ),
    )
    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)
    expect_value(
        h_next, h_T, what="h_next", lang=lang, case=case,
        mistakes=_gru_forward_mistakes(
            x_t[:, None], h_prev, Wx, Wh, b, h_T, lambda r: r[0][:, 0],
        ),
        hint=_GRU_STEP_HINT,
    )
    parts = _tf_gru_parts(x_t, h_prev, Wx, Wh, b)
    _expect_cache(
        cache, (x_t, h_prev, Wx, Wh, *parts), _GRU_CACHE,
        what="gru_step_forward", reader="gru_step_backward", lang=lang,
    )


@hidden_check
def check_gru_step_forward(student_fn, lang="en"):
    """Check ``gru_step_forward(x_t, h_prev, Wx, Wh, b)``.

    Oracle: a float64 ``keras.layers.GRU(reset_after=True)`` holding the
    weights, run for one step from h_prev. The cache must be
    ``(x_t, h_prev, Wx, Wh, z, r, h_tilde, m_h)``, computed with
    TensorFlow.
    """
    rng = np.random.default_rng(_SEED["gru_step_forward"])
    for n, d, h in _STEP_SHAPES:
        x, h0, Wx, Wh, b = _draw_gru(rng, n, 1, d, h)
        _gru_step_forward_case(student_fn, x[:, 0], h0, Wx, Wh, b, lang)


_GRU_STEP_BACK_NAMES = ("dx_t", "dh_prev", "dWx", "dWh", "db")

_GRU_BACK_HINT = Text(
    "dz = dh_next * (h_prev - h_tilde); da_h = dh_next * (1 - z) * "
    "(1 - h_tilde**2); dr = da_h * m_h; da = [dz * z * (1 - z), "
    "dr * r * (1 - r), da_h] for the input side and dm = [the same "
    "first two blocks, da_h * r] for the recurrent side; dx_t = da @ "
    "Wx.T, dh_prev = dh_next * z + dm @ Wh.T, dWx = x_t.T @ da, "
    "dWh = h_prev.T @ dm, db = [da.sum(0), dm.sum(0)].",
    "dz = dh_next * (h_prev - h_tilde); da_h = dh_next * (1 - z) * "
    "(1 - h_tilde**2); dr = da_h * m_h; da = [dz * z * (1 - z), "
    "dr * r * (1 - r), da_h] para el lado de la entrada y dm = [los "
    "mismos dos primeros bloques, da_h * r] para el lado recurrente; "
    "dx_t = da @ Wx.T, dh_prev = dh_next * z + dm @ Wh.T, "
    "dWx = x_t.T @ da, dWh = h_prev.T @ dm, db = [da.sum(0), dm.sum(0)].",
)


def _gru_step_backward_case(student_fn, x_t, h_prev, Wx, Wh, b, dh_next,
                            lang):
    x = x_t[:, None]
    cache = gru_caches(x, h_prev, Wx, Wh, b)[0]
    tape = gru_tape(x, h_prev, Wx, Wh, b, dh_next[:, None])
    expected = [tape[0][:, 0], *tape[1:]]

    def loss(x_t, h_prev, Wx, Wh, b):
        return np.sum(np_gru(x_t[:, None], h_prev, Wx, Wh, b)[0][:, 0]
                      * dh_next)

    numeric = numerical_gradients(loss, [x_t, h_prev, Wx, Wh, b])
    result = call(
        student_fn, (dh_next, cache), name="gru_step_backward",
        arg_names=("dh_next", "cache"), frozen=("dh_next", "cache"),
        lang=lang,
    )
    grads = expect_grads(
        result, _GRU_STEP_BACK_NAMES, expected, lang=lang,
        what="gru_step_backward(dh_next, cache)",
        hints={"db": Text(
            "db has the shape of b, (2, 3H): db[0] for the input bias, "
            "db[1] for the recurrent bias.",
            "db tiene la forma de b, (2, 3H): db[0] para el sesgo de "
            "entrada y db[1] para el recurrente.",
        )},
    )
    case = shape_case(x_t=x_t.shape, h_prev=h_prev.shape)

    def wrong(k, **mistake):
        return lambda: _gru_step_back(dh_next, cache, **mistake)[k]

    def mistakes(k, name):
        return [
            (wrong(k, swap_z=True), _GRU_SWAPPED),
            (wrong(k, direct=False), _GRU_DIRECT),
            (wrong(k, db1="zero"), _SECOND_BIAS),
            (wrong(k, db1="same"), _GRU_DB1),
            (wrong(k, r_in_dm=False), _GRU_R_IN_DM),
            (wrong(k, order="rzh"), _GRU_ORDER),
        ]

    expect_gradients(
        grads, _GRU_STEP_BACK_NAMES, expected, numeric, lang=lang, case=case,
        hint=_GRU_BACK_HINT, mistakes=mistakes,
    )


@hidden_check
def check_gru_step_backward(student_fn, lang="en"):
    """Check ``gru_step_backward(dh_next, cache)``.

    Oracles: ``tf.GradientTape`` of sum(h_1 * dh_next) through a float64
    Keras GRU (reset_after=True) run for one step, and centred
    differences in float64, with respect to x_t, h_prev, Wx, Wh and both
    rows of b. The cache is built by the check.
    """
    rng = np.random.default_rng(_SEED["gru_step_backward"])
    for n, d, h in _STEP_SHAPES:
        x, h0, Wx, Wh, b = _draw_gru(rng, n, 1, d, h)
        dh_next = rng.standard_normal((n, h))
        _gru_step_backward_case(student_fn, x[:, 0], h0, Wx, Wh, b,
                                dh_next, lang)


# --------------------------------------------------- GRU, whole sequence

_GRU_FORWARD_HINT = Text(
    "Start from h_prev = h0 and, for t = 0, ..., T - 1, take one GRU "
    "step on x[:, t]; store h_next in h[:, t] and use it as the next "
    "h_prev. If your gru_step_forward passes its tests, call it.",
    "Parte de h_prev = h0 y, para t = 0, ..., T - 1, da un paso de GRU "
    "sobre x[:, t]; guarda h_next en h[:, t] y úsalo como el siguiente "
    "h_prev. Si tu gru_step_forward pasa sus pruebas, llámala.",
)


def _gru_forward_case(student_fn, x, h0, Wx, Wh, b, lang):
    n, t, _ = x.shape
    h = h0.shape[1]
    seq, h_T = keras_gru(x, h0, Wx, Wh, b)
    result = call(
        student_fn, (x, h0, Wx, Wh, b), name="gru_forward",
        arg_names=("x", "h0", "Wx", "Wh", "b"), lang=lang,
    )
    states, cache = expect_tuple(
        result, 2, what="gru_forward(x, h0, Wx, Wh, b)", names="(h, cache)",
        lang=lang,
    )
    states = expect_array(
        states, what="h", shape=(n, t, h), lang=lang,
        shape_hint=Text(
            "h holds every hidden state: h[:, t] is the state after "
            "reading x[:, t], so h is (N, T, H).",
            "h contiene todos los estados ocultos: h[:, t] es el estado "
            "tras leer x[:, t], así que h es (N, T, H).",
        ),
    )
    case = shape_case(x=x.shape, h0=h0.shape)
    mistakes = _gru_forward_mistakes(x, h0, Wx, Wh, b, seq, lambda r: r[0])
    mistakes += named_mistakes(seq, [(
        lambda: np_gru(x, np.zeros_like(h0), Wx, Wh, b)[0],
        Text(
            "The states do not depend on h0: the first step reads "
            "h_prev = h0.",
            "Los estados no dependen de h0: el primer paso lee "
            "h_prev = h0.",
        ),
    )])
    expect_value(
        states, seq, what="h", lang=lang, case=case,
        mistakes=mistakes, hint=_GRU_FORWARD_HINT,
    )
    expect_value(
        states[:, -1], h_T, what="h[:, -1]", lang=lang,
        case=case, hint=_GRU_FORWARD_HINT,
    )
    _expect_sequence_cache(
        cache, gru_caches(x, h0, Wx, Wh, b), _GRU_CACHE,
        what="gru_forward", step="gru_step_forward",
        reader="gru_step_backward", lang=lang,
    )


@hidden_check
def check_gru_forward(student_fn, lang="en"):
    """Check ``gru_forward(x, h0, Wx, Wh, b) -> (h, cache)``.

    Oracle: a float64 ``keras.layers.GRU(reset_after=True,
    return_sequences=True, return_state=True)`` holding the weights,
    from h0: h against its sequence and h[:, -1] against its final
    state. The cache must be the list of the T step caches.
    """
    rng = np.random.default_rng(_SEED["gru_forward"])
    for n, t, d, h, _ in _SEQUENCE_CASES:
        x, h0, Wx, Wh, b = _draw_gru(rng, n, t, d, h)
        _gru_forward_case(student_fn, x, h0, Wx, Wh, b, lang)


# ---------------------------------------------------- parameter counts

#: (D, H): the slides' two layers (LSTM(128) and GRU(32) on 100-d
#: inputs), D == H, D < H, H = 1.
_COUNT_SHAPES = [(100, 128), (100, 32), (3, 2), (5, 5), (1, 7), (50, 1)]


def _count_case(student_fn, name, layer_name, d, h, expected, known,
                lang, hint):
    got = call(
        student_fn, (d, h), name=name, arg_names=("D", "H"), lang=lang,
    )
    if got is None:
        fail(lang, Text(
            f"{name} returned None: did you forget the `return`?",
            f"{name} devolvió None: ¿olvidaste el `return`?",
        ))
    if isinstance(got, (bool, np.bool_)) or not isinstance(
        got, numbers.Integral
    ):
        kind = type(got).__name__
        fail(lang, Text(
            f"{name} must return an int, not an object of type {kind}.",
            f"{name} debe devolver un int, no un objeto {kind}.",
        ))
    got = int(got)
    if got == expected:
        return
    named = next(
        (text for count, text in known if count == got != expected), hint,
    )
    fail(
        lang,
        Text(
            f"{name}(D={d}, H={h}) returned {got}, which is not the "
            f"number of parameters of a Keras {layer_name} layer.",
            f"{name}(D={d}, H={h}) devolvió {got}, que no es el número "
            f"de parámetros de una capa {layer_name} de Keras.",
        ),
        named,
    )


def _keras_count(kind, d, h):
    """``count_params()`` of a Keras ``kind`` layer of H units on D inputs.

    Zero initializers: a random one would draw its seed from Python's
    global ``random`` state.
    """
    layer = kind(
        h,
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer="zeros",
        seed=0,
    )
    layer.build((None, None, d))
    return layer.count_params()


@hidden_check
def check_count_lstm_params(student_fn, lang="en"):
    """Check ``count_lstm_params(D, H) -> int``.

    Oracle: ``keras.layers.LSTM(H).count_params()`` once built on inputs
    of D features, for several (D, H), the slides' LSTM(128) on 100-d
    inputs (117,248) among them.
    """
    for d, h in _COUNT_SHAPES:
        expected = _keras_count(keras.layers.LSTM, d, h)
        known = [
            (4 * (d * h + h * h) + h, Text(
                "Each of the four gates has its own bias: b is (4H,).",
                "Cada una de las cuatro compuertas tiene su propio "
                "sesgo: b es (4H,).",
            )),
            (4 * (d * h + h * h), Text(
                "Did you forget the bias b, (4H,)?",
                "¿Olvidaste el sesgo b, (4H,)?",
            )),
            (d * h + h * h + h, Text(
                "That is a SimpleRNN: an LSTM has four blocks (i, f, c, "
                "o), so Wx is (D, 4H), Wh (H, 4H) and b (4H,).",
                "Eso es una SimpleRNN: una LSTM tiene cuatro bloques (i, "
                "f, c, o), así que Wx es (D, 4H), Wh (H, 4H) y b (4H,).",
            )),
            (4 * (d * h + h * h + h) - 4 * h * h + 4 * d * h, Text(
                "Wh is (H, 4H): it multiplies the previous state, which "
                "has H components, not D.",
                "Wh es (H, 4H): multiplica el estado anterior, que tiene "
                "H componentes, no D.",
            )),
        ]
        _count_case(
            student_fn, "count_lstm_params", "LSTM", d, h, expected, known,
            lang, Text(
                "Count the entries of Wx (D, 4H), Wh (H, 4H) and b (4H,).",
                "Cuenta las entradas de Wx (D, 4H), Wh (H, 4H) y b (4H,).",
            ),
        )


@hidden_check
def check_count_gru_params(student_fn, lang="en"):
    """Check ``count_gru_params(D, H) -> int``.

    Oracle: ``keras.layers.GRU(H).count_params()`` (Keras 3,
    reset_after=True) once built on inputs of D features, for several
    (D, H), the slides' GRU(32) on 100-d inputs (12,864) among them.
    """
    for d, h in _COUNT_SHAPES:
        expected = _keras_count(keras.layers.GRU, d, h)
        known = [
            (3 * (d * h + h * h + h), Text(
                "Keras 3's GRU (reset_after=True) has two bias rows, b of "
                "shape (2, 3H): b[0] for the input and b[1] for the "
                "recurrent product. One row is the count of "
                "reset_after=False.",
                "La GRU de Keras 3 (reset_after=True) tiene dos filas de "
                "sesgo, b de forma (2, 3H): b[0] para la entrada y b[1] "
                "para el producto recurrente. Una sola fila es la cuenta "
                "de reset_after=False.",
            )),
            (3 * (d * h + h * h), Text(
                "Did you forget the bias b, (2, 3H)?",
                "¿Olvidaste el sesgo b, (2, 3H)?",
            )),
            (4 * (d * h + h * h + h), Text(
                "That is an LSTM: a GRU has three blocks (z, r, h), not "
                "four.",
                "Eso es una LSTM: una GRU tiene tres bloques (z, r, h), "
                "no cuatro.",
            )),
        ]
        _count_case(
            student_fn, "count_gru_params", "GRU", d, h, expected, known,
            lang, Text(
                "Count the entries of Wx (D, 3H), Wh (H, 3H) and b "
                "(2, 3H).",
                "Cuenta las entradas de Wx (D, 3H), Wh (H, 3H) y b "
                "(2, 3H).",
            ),
        )
