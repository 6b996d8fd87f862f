"""Hidden checks of chapter 5: dropout, weight penalties, early stopping.

One ``check_<function>(student_fn, lang="en")`` per NumPy function of
``solutions/05-overfitting-{en,es}``. (The check of the Keras function,
``check_build_regularised_model``, trains the model and lives in its own
module.) The oracles never share code with the solution:

* ``keras.layers.Dropout`` (training mode, seeded), for the statistics
  of dropout on a large input: the fraction of units kept and the mean
  of the output, compared within five standard deviations of their
  sampling error;
* the mask that the docstring fixes, ``rng.random(x.shape) >= p``, drawn
  here from a copy of the generator the student receives, for the exact
  values of the output and of the cache;
* centred differences in float64 (:mod:`rnn_course.gradcheck`) of the
  forward pass with the mask of the cache, for the backward pass;
* ``keras.regularizers.L2`` and ``L1`` on float64 variables, and
  ``tf.GradientTape`` through them, for the penalties and their
  gradients (TensorFlow's gradient of ``abs`` is 0 at 0);
* ``keras.callbacks.EarlyStopping(monitor="val_loss",
  restore_best_weights=True)`` driven epoch by epoch on a tiny model
  whose weights record the epoch: the epoch whose weights it restores
  and the epoch at which it stops training.

When a value is wrong, the check recomputes it the way a few common
mistakes would (no rescaling, rescaling by p, the mask inverted, dropout
at inference, the factor 2 of L2 forgotten, lambda applied twice, the
sign of L1 at 0, patience counted one epoch off, ...) and names the
mistake only when it reproduces the student's value and not the expected
one. Each check draws its inputs from its own seeded generator and
leaves every global random state alone.
"""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf

from rnn_course.gradcheck import numerical_gradient

from ._common import (
    Text,
    call,
    expect_array,
    expect_scalar,
    expect_tuple,
    expect_value,
    fail,
    hidden_check,
    named_mistakes,
    shape_case,
)

# The notebooks import every check of the chapter from this module; the
# one that trains a model lives in ch05_model.
from .ch05_model import check_build_regularised_model  # noqa: F401

# RTOL (from _common) is the course's stated tolerance, written in the
# introduction of the notebook: every array and number of the student is
# compared with an independent float64 oracle to a norm-wise relative
# error of at most 1e-6. Epochs are compared exactly; the statistics of
# dropout within SIGMAS standard deviations of their sampling error.

#: The statistics of dropout (fraction kept, mean of the output) pass
#: when they are within this many standard deviations of those of
#: Keras's Dropout on the same input. Both are random draws of the same
#: law, so their difference has sqrt(2) times the standard deviation of
#: one; the chance that a correct dropout fails is below 1e-6 (and, the
#: seeds being fixed, the check is deterministic).
SIGMAS = 5.0

_SEED = {
    "dropout_forward": 501,
    "dropout_backward": 502,
    "l2_penalty": 503,
    "l2_penalty_grad": 504,
    "l1_penalty": 505,
    "l1_penalty_grad": 506,
    "early_stopping_epoch": 507,
}


# ---------------------------------------------------------------- oracles


def keras_dropout(x, p, seed):
    """``keras.layers.Dropout(p)`` applied to ``x`` in training mode."""
    layer = keras.layers.Dropout(p, seed=seed, dtype="float64")
    return np.asarray(layer(tf.constant(x), training=True))


def dropout_statistics(x, out):
    """(fraction of units kept, mean of out / mean of x).

    A unit counts as kept when its output is nonzero (the inputs of the
    statistical case have no zero).
    """
    return float(np.mean(out != 0)), float(np.sum(out) / np.sum(x))


def statistics_sigmas(x, p):
    """Standard deviations of the two statistics of correct dropout.

    The number kept is binomial, n (1 - p) with variance n p (1 - p); the
    sum of the outputs, sum x_j m_j / (1 - p), has variance
    sum x_j^2 p / (1 - p).
    """
    n = x.size
    keep = math.sqrt(p * (1.0 - p) / n)
    mean = math.sqrt(np.sum(x ** 2) * p / (1.0 - p)) / np.sum(x)
    return keep, mean


def expected_mask(rng, shape, p):
    """The mask the docstring fixes, from a copy of the generator."""
    twin = np.random.Generator(type(rng.bit_generator)())
    twin.bit_generator.state = rng.bit_generator.state
    return twin.random(shape) >= p


def state_after_mask(rng, shape):
    """State of ``rng`` after the docstring's one draw, from a copy."""
    twin = np.random.Generator(type(rng.bit_generator)())
    twin.bit_generator.state = rng.bit_generator.state
    twin.random(shape)
    return twin.bit_generator.state


def keras_penalty(kind, weights, lam):
    """(penalty, [gradients]) of a Keras regulariser, summed over arrays.

    ``kind`` is "l2" or "l1"; the gradients come from ``tf.GradientTape``
    on float64 variables holding the weights.
    """
    if kind == "l2":
        regulariser = keras.regularizers.L2(l2=lam)
    else:
        regulariser = keras.regularizers.L1(l1=lam)
    variables = [tf.Variable(w, dtype=tf.float64) for w in weights]
    with tf.GradientTape() as tape:
        total = tf.add_n([regulariser(v) for v in variables])
    grads = tape.gradient(total, variables)
    return float(total), [np.asarray(g) for g in grads]


_RECORDER = []


def _recorder():
    """A one-weight Keras model, built once, whose weight is set to the
    epoch number before each epoch ends."""
    if not _RECORDER:
        model = keras.Sequential([
            keras.Input((1,)),
            keras.layers.Dense(1, use_bias=False,
                               kernel_initializer="zeros"),
        ])
        _RECORDER.append(model)
    return _RECORDER[0]


def keras_early_stopping(val_losses, patience, min_delta):
    """(epoch whose weights are kept, stopping epoch) of Keras's callback.

    ``keras.callbacks.EarlyStopping(monitor="val_loss", patience,
    min_delta, restore_best_weights=True)`` is driven as ``model.fit``
    drives it: ``on_train_begin``, then ``on_epoch_end(epoch, logs)``
    until it sets ``model.stop_training``, then ``on_train_end``, which
    restores the best weights. The model's one weight holds the number
    of the epoch that produced it, so the restored weight names the
    epoch whose weights are kept.
    """
    model = _recorder()
    callback = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, min_delta=min_delta,
        restore_best_weights=True,
    )
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        model.set_weights([np.full((1, 1), float(epoch), np.float32)])
        callback.on_epoch_end(epoch, {"val_loss": float(loss)})
        if model.stop_training:
            stop = epoch
            break
    callback.on_train_end()
    kept = int(round(float(model.get_weights()[0][0, 0])))
    return kept, stop


# ------------------------------------------ NumPy forms, right and wrong
# The values that a few common mistakes give (for the hints). Keyword
# arguments select one mistake at a time.


def np_dropout(x, mask, p, *, scale="inverted"):
    """x * mask rescaled: by 1 / (1 - p), by 1 / p, or not at all."""
    factor = {"inverted": 1.0 / (1.0 - p), "by_p": 1.0 / p if p else None,
              "none": 1.0}[scale]
    if factor is None:
        return None
    return x * mask * factor


def np_early_stopping(val_losses, patience, min_delta=0.0, *,
                      strict=True, wait_shift=0, against="best",
                      stop_as_best=False, base=0):
    """EarlyStopping's rules, right or wrong in one way (for the hints).

    ``strict=False`` counts an equal loss as an improvement;
    ``wait_shift=1`` stops when wait >= patience + 1 (one epoch late),
    ``wait_shift=-1`` when wait >= patience - 1 (one epoch early);
    ``against="previous"`` compares with the previous epoch's loss and
    ``against="min"`` with the lowest loss so far, instead of the loss of
    the last improvement; ``stop_as_best`` returns the stopping epoch as
    the best one; ``base=1`` numbers the epochs from 1.
    """
    best = None
    best_epoch, wait, lowest, previous = 0, 0, math.inf, None
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        wait += 1
        reference = {"best": best, "previous": previous,
                     "min": None if lowest == math.inf else lowest}[against]
        if reference is None:
            better = True
        elif strict:
            better = loss < reference - min_delta
        else:
            better = loss <= reference - min_delta
        previous, lowest = loss, min(lowest, loss)
        if better:
            best, best_epoch, wait = loss, epoch, 0
            continue
        if wait >= patience + wait_shift and epoch > 0:
            stop = epoch
            break
    if stop_as_best:
        best_epoch = stop
    return best_epoch + base, stop + base


# -------------------------------------------------------------- messages


_NO_RESCALE = Text(
    "The kept units must be divided by 1 - p (inverted dropout): "
    "out = x * mask / (1 - p), so that the mean of out is the mean of x. "
    "Without the division the mean falls to (1 - p) times the mean of x.",
    "Las unidades que se conservan deben dividirse entre 1 - p (dropout "
    "invertido): out = x * mask / (1 - p), para que la media de out sea "
    "la media de x. Sin la división la media baja a (1 - p) veces la "
    "media de x.",
)
_BY_P = Text(
    "p is the rate of units dropped; the kept ones, a fraction 1 - p, "
    "are divided by 1 - p, not by p: out = x * mask / (1 - p).",
    "p es la tasa de unidades que se apagan; las que se conservan, una "
    "fracción 1 - p, se dividen entre 1 - p, no entre p: "
    "out = x * mask / (1 - p).",
)
_INVERTED_MASK = Text(
    "p is the probability that a unit is dropped, as in "
    "keras.layers.Dropout(rate=p): keep a unit where "
    "rng.random(x.shape) >= p, which happens with probability 1 - p.",
    "p es la probabilidad de que una unidad se apague, como en "
    "keras.layers.Dropout(rate=p): conserva una unidad donde "
    "rng.random(x.shape) >= p, lo que ocurre con probabilidad 1 - p.",
)
_SAME_DRAW = Text(
    "The mask must be drawn exactly as the docstring says, from the "
    "generator received and once: mask = rng.random(x.shape) >= p (not "
    "rng.binomial, nor np.random, nor a second draw), so that the same "
    "generator state gives the same mask.",
    "La máscara debe sortearse exactamente como dice el docstring, con el "
    "generador recibido y una sola vez: mask = rng.random(x.shape) >= p "
    "(ni rng.binomial, ni np.random, ni un segundo sorteo), para que el "
    "mismo estado del generador dé la misma máscara.",
)
_NOT_DROPPED = Text(
    "In training mode (training=True, the default) dropout drops each "
    "unit with probability p: out = x * mask / (1 - p), not x.",
    "En modo de entrenamiento (training=True, el valor por defecto) el "
    "dropout apaga cada unidad con probabilidad p: "
    "out = x * mask / (1 - p), no x.",
)
_AT_INFERENCE = Text(
    "At inference (training=False) dropout is the identity: out = x, "
    "nothing dropped and nothing rescaled, and the cache is (None, p). "
    "keras.layers.Dropout does the same when training=False.",
    "En la inferencia (training=False) el dropout es la identidad: "
    "out = x, sin apagar ni reescalar nada, y la caché es (None, p). "
    "keras.layers.Dropout hace lo mismo cuando training=False.",
)
_CACHE = Text(
    "The cache of dropout_forward must be the tuple (mask, p): mask the "
    "array of bool, shape of x, True where a unit is kept "
    "(rng.random(x.shape) >= p), and p the rate received; "
    "dropout_backward reads it.",
    "La caché de dropout_forward debe ser la tupla (mask, p): mask el "
    "array de bool, con la forma de x, True donde una unidad se conserva "
    "(rng.random(x.shape) >= p), y p la tasa recibida; la lee "
    "dropout_backward.",
)
_BACK_MASK = Text(
    "Only the kept units pass gradient: dx = dout * mask / (1 - p), with "
    "the mask of the cache.",
    "Solo las unidades conservadas dejan pasar gradiente: "
    "dx = dout * mask / (1 - p), con la máscara de la caché.",
)
_BACK_HINT = Text(
    "The forward pass multiplies each entry by mask / (1 - p); the "
    "gradient goes back multiplied by the same: dx = dout * mask / "
    "(1 - p), and dx = dout when the mask of the cache is None "
    "(inference).",
    "El paso hacia adelante multiplica cada entrada por mask / (1 - p); "
    "el gradiente vuelve multiplicado por lo mismo: dx = dout * mask / "
    "(1 - p), y dx = dout cuando la máscara de la caché es None "
    "(inferencia).",
)
_HALF = Text(
    "Keras's L2 has no factor 1/2: keras.regularizers.L2(l2=lam) adds "
    "lam * sum(w**2) (some texts write lam / 2 * sum(w**2)).",
    "La L2 de Keras no lleva factor 1/2: keras.regularizers.L2(l2=lam) "
    "suma lam * sum(w**2) (algunos textos escriben "
    "lam / 2 * sum(w**2)).",
)
_LAM_TWICE = Text(
    "lam multiplies the sum once: lam * sum(w**2) for L2, "
    "lam * sum(abs(w)) for L1, not lam**2.",
    "lam multiplica la suma una sola vez: lam * sum(w**2) para L2, "
    "lam * sum(abs(w)) para L1, no lam**2.",
)
_NORM = Text(
    "The L2 penalty sums the squares, lam * sum(w**2): it is not "
    "lam times the norm, whose square root is not taken.",
    "La penalización L2 suma los cuadrados, lam * sum(w**2): no es lam "
    "por la norma, no se toma la raíz cuadrada.",
)
_MEAN = Text(
    "The penalty sums over every entry of every array: np.sum, not "
    "np.mean.",
    "La penalización suma sobre cada entrada de cada array: np.sum, no "
    "np.mean.",
)
_ONE_ARRAY = Text(
    "Every array of the list is penalised: sum over all of them, not only "
    "the first or the last.",
    "Se penalizan todos los arrays de la lista: suma sobre todos, no solo "
    "sobre el primero o el último.",
)
_NO_ABS = Text(
    "L1 sums absolute values: lam * sum(abs(w)). Without the absolute "
    "value, negative weights lower the penalty.",
    "L1 suma valores absolutos: lam * sum(abs(w)). Sin el valor "
    "absoluto, los pesos negativos bajan la penalización.",
)
_FACTOR_2 = Text(
    "The derivative of lam * w**2 is 2 * lam * w: the factor 2 is "
    "missing (it would be lam * w for a penalty lam / 2 * sum(w**2), "
    "which is not Keras's).",
    "La derivada de lam * w**2 es 2 * lam * w: falta el factor 2 (sería "
    "lam * w para una penalización lam / 2 * sum(w**2), que no es la de "
    "Keras).",
)
_GRAD_SIGN = Text(
    "The gradient of the penalty points away from zero, like the weight: "
    "+2 * lam * w for L2, +lam * sign(w) for L1. Gradient descent then "
    "subtracts it, w <- w - eta * gradient (the slides print a +).",
    "El gradiente de la penalización apunta en el sentido del peso, "
    "alejándose de cero: +2 * lam * w para L2, +lam * sign(w) para L1. "
    "Después el descenso por gradiente lo resta, "
    "w <- w - eta * gradiente (las diapositivas imprimen un +).",
)
_SIGN_AT_0 = Text(
    "Where a weight is exactly 0, the (sub)gradient of lam * abs(w) is 0, "
    "as np.sign(0) = 0 and as TensorFlow's abs gives: not +lam or -lam.",
    "Donde un peso vale exactamente 0, el (sub)gradiente de "
    "lam * abs(w) es 0, como np.sign(0) = 0 y como da abs de TensorFlow: "
    "no +lam ni -lam.",
)
_L1_NAN = Text(
    "w / abs(w) is 0 / 0 = NaN where w == 0: use np.sign(w), which is 0 "
    "there.",
    "w / abs(w) es 0 / 0 = NaN donde w == 0: usa np.sign(w), que vale 0 "
    "ahí.",
)


# ------------------------------------------------------- dropout forward

#: (shape, p) of the exact cases: rates of the slides (0.2-0.5) and
#: others, p = 0 (nothing dropped), a vector, a 3-d array.
_DROPOUT_CASES = [
    ((4, 6), 0.3), ((3, 5), 0.2), ((2, 3, 4), 0.5), ((7,), 0.7),
    ((5, 5), 0.0), ((6, 2), 0.45),
]
#: (shape, p) of the statistical cases: a million units, so that the
#: standard deviation of the fraction kept is below 5e-4, and rates that
#: are not 0.5 (where dividing by p and by 1 - p coincide).
_STATISTICAL_CASES = [((500, 2000), 0.3), ((1000, 1000), 0.6)]


def _forward_output(student_fn, x, p, rng, training, lang):
    """(out, cache, rng after the call) of the student's dropout_forward,
    types checked."""
    after = []
    result = call(
        student_fn, (x, p, rng, training), name="dropout_forward",
        arg_names=("x", "p", "rng", "training"),
        frozen=("x", "p", "training"), lang=lang, after=after,
    )
    out, cache = expect_tuple(
        result, 2, what="dropout_forward(x, p, rng, training)",
        names="(out, cache)", lang=lang,
    )
    out = expect_array(
        out, what="out", shape=x.shape, lang=lang,
        shape_hint=Text(
            "Dropout keeps the shape of its input: out has the shape of x.",
            "El dropout conserva la forma de su entrada: out tiene la "
            "forma de x.",
        ),
    )
    return out, cache, after[2]


def _statistical_case(student_fn, x, p, seed, lang):
    rng = np.random.default_rng(seed)
    out, _, _ = _forward_output(student_fn, x, p, rng, True, lang)
    keep, mean = dropout_statistics(x, out)
    keras_keep, keras_mean = dropout_statistics(
        x, keras_dropout(x, p, seed))
    sigma_keep, sigma_mean = statistics_sigmas(x, p)
    width = SIGMAS * math.sqrt(2.0)
    case = Text(
        f"On {x.size} inputs with p = {p}, Keras's Dropout",
        f"Con {x.size} entradas y p = {p}, el Dropout de Keras",
    )
    if abs(keep - keras_keep) > width * sigma_keep:
        hint = _INVERTED_MASK if abs(keep - p) <= width * sigma_keep \
            else None
        fail(
            lang,
            case,
            Text(
                f"keeps a fraction {keras_keep:.4f} of the units (1 - p = "
                f"{1 - p:.2f}); your dropout_forward keeps {keep:.4f}, "
                f"beyond {SIGMAS:g} standard deviations of the sampling "
                f"error ({width * sigma_keep:.1e}).",
                f"conserva una fracción {keras_keep:.4f} de las unidades "
                f"(1 - p = {1 - p:.2f}); tu dropout_forward conserva "
                f"{keep:.4f}, a más de {SIGMAS:g} desviaciones estándar "
                f"del error de muestreo ({width * sigma_keep:.1e}).",
            ),
            hint,
        )
    if abs(mean - keras_mean) > width * sigma_mean:
        hint = None
        for ratio, named in ((1.0 - p, _NO_RESCALE),
                             ((1.0 - p) / p, _BY_P)):
            if abs(mean - ratio) <= width * sigma_mean \
                    and abs(ratio - 1.0) > 2 * width * sigma_mean:
                hint = named
        fail(
            lang,
            case,
            Text(
                "keeps the mean: mean(out) / mean(x) = "
                f"{keras_mean:.4f}; yours is {mean:.4f}, beyond "
                f"{SIGMAS:g} standard deviations of the sampling error "
                f"({width * sigma_mean:.1e}).",
                "conserva la media: mean(out) / mean(x) = "
                f"{keras_mean:.4f}; la tuya es {mean:.4f}, a más de "
                f"{SIGMAS:g} desviaciones estándar del error de muestreo "
                f"({width * sigma_mean:.1e}).",
            ),
            hint,
        )


def _exact_case(student_fn, x, p, seed, lang):
    rng = np.random.default_rng(seed)
    mask = expected_mask(rng, x.shape, p)
    after = state_after_mask(rng, x.shape)
    expected = x * mask / (1.0 - p)
    out, cache, used = _forward_output(student_fn, x, p, rng, True,
                                       lang)
    case = shape_case(x=x.shape)
    case = Text(f"{case.en} and p = {p}", f"{case.es} y p = {p}")
    expect_value(
        out, expected, what="out", lang=lang, case=case,
        mistakes=named_mistakes(expected, [
            (lambda: np_dropout(x, mask, p, scale="none"), _NO_RESCALE),
            (lambda: np_dropout(x, mask, p, scale="by_p"), _BY_P),
            (lambda: np_dropout(x, ~mask, p), _INVERTED_MASK),
            (lambda: x.copy(), _NOT_DROPPED),
        ]),
        hint=_SAME_DRAW,
    )
    cache = expect_tuple(cache, 2, what="cache", names="(mask, p)",
                         lang=lang)
    got_mask, got_p = cache
    if not (
        isinstance(got_mask, np.ndarray)
        and got_mask.dtype == np.bool_
        and got_mask.shape == x.shape
        and np.array_equal(got_mask, mask)
    ):
        fail(lang, Text("cache[0] must be the mask.",
                        "cache[0] debe ser la máscara."), _CACHE)
    if isinstance(got_p, (bool, np.bool_)) or not isinstance(
        got_p, numbers.Real
    ) or got_p != p:
        fail(lang, Text("cache[1] must be p.", "cache[1] debe ser p."),
             _CACHE)
    if used.bit_generator.state != after:
        fail(lang, Text(
            f"{case.en}, rng is not where one draw of the mask leaves it: "
            "dropout_forward drew from it more (or less) than once.",
            f"{case.es}, rng no quedó donde lo deja un solo sorteo de la "
            "máscara: dropout_forward sorteó de él más (o menos) de una "
            "vez.",
        ), _SAME_DRAW)


def _inference_case(student_fn, x, p, seed, lang):
    rng = np.random.default_rng(seed)
    before = rng.bit_generator.state
    out, cache, used = _forward_output(student_fn, x, p, rng, False,
                                       lang)
    case = Text(f"with training=False and p = {p}",
                f"con training=False y p = {p}")
    expect_value(out, x, what="out", lang=lang, case=case,
                 hint=_AT_INFERENCE)
    cache = expect_tuple(cache, 2, what="cache", names="(mask, p)",
                         lang=lang)
    if cache[0] is not None:
        fail(lang, Text(
            "At inference the cache must be (None, p): no mask is drawn.",
            "En la inferencia la caché debe ser (None, p): no se sortea "
            "ninguna máscara.",
        ), _AT_INFERENCE)
    if used.bit_generator.state != before:
        fail(lang, Text(
            f"{case.en}, dropout_forward drew from rng: at inference "
            "nothing is drawn, so the generator must be left as it was.",
            f"{case.es}, dropout_forward sorteó de rng: en la inferencia "
            "no se sortea nada, así que el generador debe quedar como "
            "estaba.",
        ), _AT_INFERENCE)


@hidden_check
def check_dropout_forward(student_fn, lang="en"):
    """Check ``dropout_forward(x, p, rng, training=True)``.

    Oracles: on a million inputs, the fraction of units kept and the
    ratio mean(out) / mean(x) against those of a seeded
    ``keras.layers.Dropout(p)`` in training mode, within SIGMAS standard
    deviations of their sampling error; on small inputs, the exact output
    ``x * mask / (1 - p)`` and the cache ``(mask, p)`` with the mask
    ``rng.random(x.shape) >= p`` drawn from a copy of the generator, and
    the generator's state after the call that of exactly that one draw;
    at inference, out = x, the cache (None, p) and the generator left
    untouched.
    """
    rng = np.random.default_rng(_SEED["dropout_forward"])
    for shape, p in _STATISTICAL_CASES:
        x = rng.uniform(0.5, 1.5, shape)
        _statistical_case(student_fn, x, p, int(rng.integers(2**31)),
                          lang)
    for shape, p in _DROPOUT_CASES:
        x = rng.standard_normal(shape)
        _exact_case(student_fn, x, p, int(rng.integers(2**31)), lang)
    for shape, p in _DROPOUT_CASES[:3]:
        x = rng.standard_normal(shape)
        _inference_case(student_fn, x, p, int(rng.integers(2**31)), lang)


# ------------------------------------------------------ dropout backward


def _backward_case(student_fn, dout, mask, p, x, lang):
    cache = (mask, p)
    if mask is None:
        expected = dout.copy()
        numeric = None
    else:
        expected = dout * np.where(mask, 1.0 / (1.0 - p), 0.0)

        def forward(v):
            return np.where(mask, v / (1.0 - p), 0.0)

        numeric = numerical_gradient(forward, x.copy(), dout)
    dx = call(
        student_fn, (dout, cache), name="dropout_backward",
        arg_names=("dout", "cache"), lang=lang,
    )
    dx = expect_array(
        dx, what="dx", shape=dout.shape, lang=lang,
        shape_hint=Text("dx has the shape of dout (and of x).",
                        "dx tiene la forma de dout (y de x)."),
    )
    case = shape_case(dout=dout.shape)
    if mask is None:
        case = Text(f"{case.en} and the cache (None, p) of inference",
                    f"{case.es} y la caché (None, p) de la inferencia")
        expect_value(dx, expected, what="dx", lang=lang, case=case,
                     hint=_BACK_HINT)
        return
    case = Text(f"{case.en} and p = {p}", f"{case.es} y p = {p}")
    mistakes = named_mistakes(expected, [
        (lambda: dout / (1.0 - p), _BACK_MASK),
        (lambda: dout.copy(), _BACK_MASK),
        (lambda: np_dropout(dout, mask, p, scale="none"), _NO_RESCALE),
        (lambda: np_dropout(dout, mask, p, scale="by_p"), _BY_P),
        (lambda: np_dropout(dout, ~mask, p), _INVERTED_MASK),
    ])
    expect_value(dx, expected, what="dx", lang=lang, case=case,
                 mistakes=mistakes, hint=_BACK_HINT)
    expect_value(dx, numeric, what="dx", lang=lang, case=case,
                 hint=_BACK_HINT)


@hidden_check
def check_dropout_backward(student_fn, lang="en"):
    """Check ``dropout_backward(dout, cache) -> dx``.

    Oracles: centred differences in float64 of sum(out * dout), out the
    forward pass with the mask of the cache, and the product
    dout * mask / (1 - p); the caches ``(mask, p)`` are built by the
    check (p = 0 and the inference cache (None, p) among them).
    """
    rng = np.random.default_rng(_SEED["dropout_backward"])
    for shape, p in _DROPOUT_CASES:
        x = rng.standard_normal(shape)
        dout = rng.standard_normal(shape)
        mask = rng.random(shape) >= p
        _backward_case(student_fn, dout, mask, p, x, lang)
    for shape, p in _DROPOUT_CASES[:2]:
        dout = rng.standard_normal(shape)
        _backward_case(student_fn, dout, None, p, dout, lang)


# ------------------------------------------------------------- penalties

#: Penalty factors: small ones as used in practice, and values where
#: lam, lam**2, 2 * lam and lam / 2 all differ (not 0.5 nor 1).
_LAMBDAS = [1e-3, 0.01, 0.3, 2.0, 0.05]


def _draw_weights(rng, k):
    """A list of weight arrays like a model's, with exact zeros.

    Kernels and biases of Dense layers (the biases as initialised, all
    zeros, in one case), a 3-d array, and zeros scattered in the
    kernels, where the L1 subgradient is 0.
    """
    shapes = [
        [(5, 4), (4,), (4, 1), (1,)],
        [(3, 3)],
        [(2, 3, 4), (6,)],
        [(8, 2), (2,), (2, 3)],
        [(10,)],
    ][k]
    weights = []
    for shape in shapes:
        w = rng.standard_normal(shape) * rng.choice([0.5, 1.0, 2.0])
        if len(shape) > 1 or k == 4:
            w[rng.random(shape) < 0.25] = 0.0
        elif k == 0:
            w = np.zeros(shape)
        weights.append(w)
    return weights


def _penalty_case(student_fn, name, kind, weights, lam, lang):
    expected, _ = keras_penalty(kind, weights, lam)
    got = call(student_fn, (weights, lam), name=name,
               arg_names=("weights", "lam"), lang=lang)
    got = expect_scalar(
        got, what=f"{name}(weights, lam)", lang=lang,
        hint=Text(
            "The penalty is one number, summed over every entry of every "
            "array.",
            "La penalización es un solo número, sumado sobre cada entrada "
            "de cada array.",
        ),
    )
    case = Text(
        f"for {len(weights)} arrays of shapes "
        f"{', '.join(str(w.shape) for w in weights)} and lam = {lam}",
        f"para {len(weights)} arrays de formas "
        f"{', '.join(str(w.shape) for w in weights)} y lam = {lam}",
    )
    power = 2 if kind == "l2" else 1

    def total(f):
        return lambda: sum(float(np.sum(f(w))) for w in weights)

    def magnitude(w):
        return np.abs(w) ** power

    pairs = [
        (lambda: lam * lam * total(magnitude)(), _LAM_TWICE),
        (lambda: lam * sum(float(np.mean(magnitude(w)))
                           for w in weights), _MEAN),
        (lambda: lam * float(np.sum(magnitude(weights[0]))), _ONE_ARRAY),
        (lambda: lam * float(np.sum(magnitude(weights[-1]))), _ONE_ARRAY),
    ]
    if kind == "l2":
        pairs += [
            (lambda: 0.5 * lam * total(magnitude)(), _HALF),
            (lambda: lam * math.sqrt(total(magnitude)()), _NORM),
        ]
    else:
        pairs += [(lambda: lam * total(lambda w: w)(), _NO_ABS)]
    expect_value(
        got, expected, what=f"{name}(weights, lam)", lang=lang, case=case,
        mistakes=named_mistakes(expected, pairs),
        hint=Text(
            f"keras.regularizers.{kind.upper()} adds lam * "
            f"sum({'w**2' if kind == 'l2' else 'abs(w)'}) over every entry "
            "of every array.",
            f"keras.regularizers.{kind.upper()} suma lam * "
            f"sum({'w**2' if kind == 'l2' else 'abs(w)'}) sobre cada "
            "entrada de cada array.",
        ),
    )


def _gradient_case(student_fn, name, kind, weights, lam, lang):
    _, expected = keras_penalty(kind, weights, lam)
    got = call(student_fn, (weights, lam), name=name,
               arg_names=("weights", "lam"), lang=lang)
    what = f"{name}(weights, lam)"
    if not isinstance(got, (list, tuple)) or len(got) != len(weights):
        fail(lang, Text(
            f"{what} must return a list of {len(weights)} arrays, one "
            "gradient per array of weights, in the same order.",
            f"{what} debe devolver una lista de {len(weights)} arrays, un "
            "gradiente por cada array de weights, en el mismo orden.",
        ) if got is not None else Text(
            f"{what} is None: did you forget the `return`?",
            f"{what} es None: ¿olvidaste el `return`?",
        ))
    case = Text(f"for lam = {lam}", f"para lam = {lam}")
    for k, (g, w, want) in enumerate(zip(got, weights, expected,
                                         strict=True)):
        g = expect_array(
            g, what=f"{name}(...)[{k}]", shape=w.shape, lang=lang,
            shape_hint=Text(
                "Each gradient has the shape of its array of weights.",
                "Cada gradiente tiene la forma de su array de pesos.",
            ),
            finite_hint=_L1_NAN if kind == "l1" else None,
        )
        if kind == "l2":
            pairs = [
                (lambda w=w: lam * w, _FACTOR_2),
                (lambda w=w: 2.0 * lam * lam * w, _LAM_TWICE),
                (lambda w=w: -2.0 * lam * w, _GRAD_SIGN),
                (lambda w=w: lam * lam * w, _LAM_TWICE),
            ]
        else:
            pairs = [
                (lambda w=w: lam * np.where(w >= 0, 1.0, -1.0), _SIGN_AT_0),
                (lambda w=w: lam * np.where(w > 0, 1.0, -1.0), _SIGN_AT_0),
                (lambda w=w: -lam * np.sign(w), _GRAD_SIGN),
                (lambda w=w: lam * lam * np.sign(w), _LAM_TWICE),
            ]
        expect_value(
            g, want, what=f"{name}(...)[{k}]", lang=lang, case=case,
            mistakes=named_mistakes(want, pairs),
            hint=Text(
                "The gradient of lam * sum(w**2) is 2 * lam * w."
                if kind == "l2" else
                "The (sub)gradient of lam * sum(abs(w)) is "
                "lam * np.sign(w), 0 where w == 0.",
                "El gradiente de lam * sum(w**2) es 2 * lam * w."
                if kind == "l2" else
                "El (sub)gradiente de lam * sum(abs(w)) es "
                "lam * np.sign(w), 0 donde w == 0.",
            ),
        )


def _penalty_check(student_fn, name, kind, gradient, lang):
    rng = np.random.default_rng(_SEED[name])
    for k, lam in enumerate(_LAMBDAS):
        weights = _draw_weights(rng, k)
        if gradient:
            _gradient_case(student_fn, name, kind, weights, lam, lang)
        else:
            _penalty_case(student_fn, name, kind, weights, lam, lang)


@hidden_check
def check_l2_penalty(student_fn, lang="en"):
    """Check ``l2_penalty(weights, lam) -> float``.

    Oracle: ``keras.regularizers.L2(l2=lam)`` applied to float64
    variables holding each array, summed, for several lists of arrays
    (kernels and biases, zeros among them) and factors.
    """
    _penalty_check(student_fn, "l2_penalty", "l2", False, lang)


@hidden_check
def check_l2_penalty_grad(student_fn, lang="en"):
    """Check ``l2_penalty_grad(weights, lam) -> list of arrays``.

    Oracle: ``tf.GradientTape`` of the sum of
    ``keras.regularizers.L2(l2=lam)`` over float64 variables.
    """
    _penalty_check(student_fn, "l2_penalty_grad", "l2", True, lang)


@hidden_check
def check_l1_penalty(student_fn, lang="en"):
    """Check ``l1_penalty(weights, lam) -> float``.

    Oracle: ``keras.regularizers.L1(l1=lam)`` applied to float64
    variables holding each array, summed.
    """
    _penalty_check(student_fn, "l1_penalty", "l1", False, lang)


@hidden_check
def check_l1_penalty_grad(student_fn, lang="en"):
    """Check ``l1_penalty_grad(weights, lam) -> list of arrays``.

    Oracle: ``tf.GradientTape`` of the sum of
    ``keras.regularizers.L1(l1=lam)`` over float64 variables, whose
    gradient is 0 where a weight is exactly 0 (the arrays hold zeros).
    """
    _penalty_check(student_fn, "l1_penalty_grad", "l1", True, lang)


# -------------------------------------------------------- early stopping

#: Hand-written histories: (val_losses, patience, min_delta).
_HISTORIES = [
    # the book's curve: a minimum, then overfitting
    ([0.69, 0.55, 0.45, 0.40, 0.38, 0.39, 0.41, 0.44, 0.47, 0.50], 2, 0.0),
    # a bump survived with patience 3, not with patience 1
    ([0.60, 0.50, 0.45, 0.47, 0.46, 0.42, 0.43, 0.44, 0.45, 0.46], 3, 0.0),
    ([0.60, 0.50, 0.45, 0.47, 0.46, 0.42, 0.43, 0.44, 0.45, 0.46], 1, 0.0),
    # patience 0 stops at the first epoch without improvement, as 1 does
    ([0.70, 0.60, 0.65, 0.50, 0.40], 0, 0.0),
    # always improving: never stops, the last epoch is the best
    ([0.70, 0.60, 0.52, 0.47, 0.44, 0.42], 2, 0.0),
    # a repeated loss is not an improvement
    ([0.50, 0.40, 0.40, 0.40, 0.41, 0.42], 2, 0.0),
    # min_delta from the last improvement, not from the previous epoch
    ([0.50, 0.48, 0.495, 0.478, 0.49, 0.50, 0.51], 2, 0.01),
    # the last improvement, not the lowest loss, is the reference
    ([0.500, 0.495, 0.487, 0.520, 0.505], 4, 0.01),
    # small gains below min_delta do not count, however many
    ([0.500, 0.496, 0.492, 0.488, 0.484, 0.480, 0.476], 3, 0.01),
    # min_delta measured from the last improvement, not the last epoch
    ([0.500, 0.494, 0.488, 0.482, 0.470, 0.469, 0.468], 2, 0.01),
    # one epoch only
    ([0.42], 3, 0.0),
    # stops at the very end: the stopping epoch is the last one
    ([0.50, 0.45, 0.46, 0.47], 2, 0.0),
]


def _random_histories(rng):
    """Noisy validation curves of 5 to 30 epochs, losses to 4 decimals.

    The values of min_delta have digits beyond the fourth decimal, so no
    difference of two losses equals one (no tie for float rounding to
    decide, neither in float64 nor in the float32 of Keras).
    """
    cases = []
    for _ in range(24):
        n = int(rng.integers(5, 31))
        epochs = np.arange(n)
        low = rng.uniform(3, 15)
        curve = (0.3 + 0.4 * np.exp(-epochs / rng.uniform(1, 5))
                 + 0.01 * np.clip(epochs - low, 0, None))
        noise = rng.choice([0.0, 0.005, 0.02])
        losses = np.round(curve + noise * rng.standard_normal(n), 4)
        patience = int(rng.integers(0, 6))
        min_delta = float(rng.choice([0.0, 0.00035, 0.00515, 0.01235]))
        cases.append((losses.tolist(), patience, min_delta))
    return cases


def _expect_epochs(result, lang):
    """(best_epoch, stop_epoch) as ints, or fail."""
    best, stop = expect_tuple(
        result, 2, what="early_stopping_epoch(val_losses, patience, "
        "min_delta)", names="(best_epoch, stop_epoch)", lang=lang,
    )
    for label, value in (("best_epoch", best), ("stop_epoch", stop)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, numbers.Integral
        ):
            kind = type(value).__name__
            fail(lang, Text(
                f"{label} must be an int (an epoch number), not an object "
                f"of type {kind}.",
                f"{label} debe ser un int (un número de época), no un "
                f"objeto {kind}.",
            ))
    return int(best), int(stop)


_OFF_BY_ONE = Text(
    "Patience is counted one epoch off. Keras adds 1 to wait at the end "
    "of every epoch, sets it back to 0 on an improvement, and stops at "
    "the first epoch without improvement at which wait >= patience: with "
    "the best at epoch b and no improvement after it, training stops at "
    "epoch b + max(patience, 1).",
    "La paciencia está contada con una época de diferencia. Keras suma 1 "
    "a wait al final de cada época, lo vuelve a 0 con una mejora y se "
    "detiene en la primera época sin mejora en la que wait >= patience: "
    "con la mejor época en b y sin mejoras después, el entrenamiento se "
    "detiene en la época b + max(patience, 1).",
)

#: (mistake, hint): keyword arguments of :func:`np_early_stopping` that
#: make one mistake, and the hint that names it.
_ES_HINTS = [
    (dict(stop_as_best=True), Text(
        "best_epoch is the stopping epoch: it must be the epoch of the "
        "last improvement, whose weights restore_best_weights=True keeps.",
        "best_epoch es la época de detención: debe ser la época de la "
        "última mejora, cuyos pesos conserva restore_best_weights=True.",
    )),
    (dict(wait_shift=1), _OFF_BY_ONE),
    (dict(wait_shift=-1), _OFF_BY_ONE),
    (dict(strict=False), Text(
        "An equal loss is not an improvement: epoch e improves only when "
        "val_losses[e] < best - min_delta (strictly less).",
        "Una pérdida igual no es una mejora: la época e mejora solo "
        "cuando val_losses[e] < best - min_delta (estrictamente menor).",
    )),
    (dict(against="previous"), Text(
        "Compare each loss with the loss of the last improvement, best, "
        "not with the loss of the previous epoch.",
        "Compara cada pérdida con la de la última mejora, best, no con la "
        "de la época anterior.",
    )),
    (dict(against="min"), Text(
        "With min_delta > 0, best is the loss of the last improvement, "
        "not the lowest loss seen: a gain smaller than min_delta does not "
        "move it.",
        "Con min_delta > 0, best es la pérdida de la última mejora, no la "
        "menor pérdida vista: una ganancia menor que min_delta no la "
        "cambia.",
    )),
    (dict(base=1), Text(
        "Epochs are numbered from 0, like the positions of "
        "history.history['val_loss'].",
        "Las épocas se numeran desde 0, como las posiciones de "
        "history.history['val_loss'].",
    )),
]


def _early_stopping_case(student_fn, losses, patience, min_delta, lang):
    expected = keras_early_stopping(losses, patience, min_delta)
    result = call(
        student_fn, (losses, patience, min_delta),
        name="early_stopping_epoch",
        arg_names=("val_losses", "patience", "min_delta"), lang=lang,
    )
    got = _expect_epochs(result, lang)
    if got == expected:
        return
    # A mistake is named only when it alone explains the epochs returned
    # (two mistakes that give the same epochs here: no hint).
    named = {id(text): text for mistake, text in _ES_HINTS
             if np_early_stopping(losses, patience, min_delta, **mistake)
             == got}
    hint = next(iter(named.values())) if len(named) == 1 else None
    if hint is None and got[1] == len(losses):
        hint = Text(
            "When training never stops early, stop_epoch is the last "
            "epoch, len(val_losses) - 1.",
            "Cuando el entrenamiento nunca se detiene antes, stop_epoch es "
            "la última época, len(val_losses) - 1.",
        )
    which = [name for name, g, e in zip(("best_epoch", "stop_epoch"), got,
                                        expected, strict=True) if g != e]
    fail(
        lang,
        Text(
            f"early_stopping_epoch returned {got} for a history of "
            f"{len(losses)} epochs with patience={patience} and "
            f"min_delta={min_delta}: {' and '.join(which)} "
            f"{'differ' if len(which) > 1 else 'differs'} from what "
            "keras.callbacks.EarlyStopping(restore_best_weights=True) "
            "does.",
            f"early_stopping_epoch devolvió {got} para un historial de "
            f"{len(losses)} épocas con patience={patience} y "
            f"min_delta={min_delta}: {' y '.join(which)} no "
            f"{'coinciden' if len(which) > 1 else 'coincide'} con lo que "
            "hace keras.callbacks.EarlyStopping("
            "restore_best_weights=True).",
        ),
        hint if hint is not None else Text(
            "Read the rules above the function: improvement when "
            "val_losses[e] < best - min_delta; wait + 1 every epoch, 0 on "
            "an improvement; stop at the first epoch e > 0 without "
            "improvement at which wait >= patience.",
            "Lee las reglas que están sobre la función: mejora cuando "
            "val_losses[e] < best - min_delta; wait + 1 en cada época, 0 "
            "con una mejora; detención en la primera época e > 0 sin "
            "mejora en la que wait >= patience.",
        ),
    )


@hidden_check
def check_early_stopping_epoch(student_fn, lang="en"):
    """Check ``early_stopping_epoch(val_losses, patience, min_delta)``.

    Oracle: ``keras.callbacks.EarlyStopping(monitor="val_loss",
    patience, min_delta, restore_best_weights=True)`` driven epoch by
    epoch (:func:`keras_early_stopping`), on hand-written histories
    (patience 0, ties, gains below min_delta, one epoch, no stop) and on
    seeded noisy curves; the epochs must be exactly Keras's. One history
    is given as a 1-d array.
    """
    rng = np.random.default_rng(_SEED["early_stopping_epoch"])
    cases = _HISTORIES + _random_histories(rng)
    for k, (losses, patience, min_delta) in enumerate(cases):
        if k == len(_HISTORIES):
            losses = np.asarray(losses)
        _early_stopping_case(student_fn, losses, patience, min_delta, lang)
