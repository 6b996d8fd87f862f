"""Accuracy checks: the student's design trained here, the same way always.

A graded function of a Keras chapter returns a compiled model. Its check
trusts nothing of the student's process but the model's *description*:
its layers, their arguments and its compile settings, validated against
an allowlist (:func:`model_spec`; :mod:`trusted_grading.models`). No
weight of the student's crosses: the described model is built again
with the grader's constructor calls and fresh weights drawn from the
check's own seed (an embedding matrix the check passed is the grader's
copy), and trained in a sandbox of its own (:mod:`trusted_grading.
training`) on data that the student's code never receives, for a fixed
budget. So the student's seeding, pre-training, smuggled weights or
optimiser state cannot change the result, and the same seed gives the
same accuracies.

Determinism on CPU: one TensorFlow thread, ``keras.utils.
set_random_seed(seed)`` before the model is built (initial weights,
dropout masks, shuffling of the batches) and op determinism, in the
trainer (:mod:`trusted_grading.trainer`).

The data are vectorised once per process (:func:`bag_of_words_data`,
:func:`sequence_data`, cached by sizes and seed: data of the course, not
state of a student).
"""

import contextlib
import functools
import math
import random
from typing import NamedTuple

import keras
import numpy as np
from trusted_grading import describe, models, training

from rnn_course.bag_of_words import imdb_subset, multi_hot
from rnn_course.data import imdb_splits, load_glove

from . import sentiment
from ._common import Text, fail

#: Seed of the hidden subset of the course's IMDB split; the notebooks
#: never use it.
DATA_SEED = 5050
#: A prediction is clipped to [EPSILON, 1 - EPSILON] in the
#: cross-entropy, as Keras does.
EPSILON = 1e-7


class Budget(NamedTuple):
    """What one check trains: epochs of mini-batches of ``batch_size``."""

    epochs: int
    batch_size: int


class Measured(NamedTuple):
    """What one training run measured.

    Accuracies are fractions of reviews classified right (output > 0.5)
    by the trained model in inference mode (no dropout): ``gap`` is
    ``train_accuracy - val_accuracy``; ``val_loss`` is the mean binary
    cross-entropy on the validation part, in nats (no penalty term);
    ``seconds`` is the time of the training and of both evaluations.
    """

    train_accuracy: float
    val_accuracy: float
    gap: float
    val_loss: float
    seconds: float


@functools.lru_cache(maxsize=2)
def bag_of_words_data(num_words, train, validation, seed=DATA_SEED):
    """Multi-hot training and validation data of a hidden IMDB subset.

    Parameters
    ----------
    num_words : int
        Length of each multi-hot vector.
    train, validation : int
        Number of reviews of each part
        (:func:`rnn_course.bag_of_words.imdb_subset`).
    seed : int
        Seed of the subset.

    Returns
    -------
    x_train : np.ndarray of float32, shape (train, num_words)
    y_train : np.ndarray of float32, shape (train,)
    x_val : np.ndarray of float32, shape (validation, num_words)
    y_val : np.ndarray of float32, shape (validation,)
        Read-only arrays (they are shared by every call).
    """
    parts = multi_hot(imdb_subset(train, validation, seed=seed), num_words)
    arrays = (*parts["train"], *parts["validation"])
    for array in arrays:
        array.setflags(write=False)
    return arrays


class SequenceData(NamedTuple):
    """Token ids of a hidden IMDB subset and its GloVe embedding matrix.

    ``x_train`` int32 (train, T) and ``y_train`` float32 (train,) come
    from the training part of the course's split; ``x_test`` int32
    (test, T) and ``y_test`` float32 (test,) from its *test* part, which
    no notebook trains or tunes on; ``matrix`` float32 (V, d) gives row i
    the GloVe vector of the vocabulary's token i
    (:func:`sentiment.embedding_matrix`) and ``coverage`` the fraction of
    its V - 2 real words that GloVe knows. Every array is read-only.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    matrix: np.ndarray
    coverage: float


@functools.lru_cache(maxsize=2)
def sequence_data(vocab_size, sequence_length, train, test, seed=DATA_SEED):
    """Padded token ids of a hidden IMDB subset, and their GloVe rows.

    The first ``train`` reviews of the training part and the first
    ``test`` of the test part of :func:`rnn_course.data.imdb_splits`,
    after a seeded shuffle of each, cleaned (:func:`sentiment.clean`);
    the vocabulary (``vocab_size`` tokens, padding and unknown word
    included) is learnt from the training reviews only
    (:func:`sentiment.sequence_vectorizer`), and every review becomes
    ``sequence_length`` ids, truncated or padded with 0 at the end.

    Parameters
    ----------
    vocab_size, sequence_length : int
    train, test : int
        Number of reviews of each part (at most 10,000 each).
    seed : int
        Seed of the subset.

    Returns
    -------
    SequenceData
    """
    import keras

    splits = imdb_splits()
    rng = np.random.default_rng(seed)
    parts = {}
    for name, size in (("train", train), ("test", test)):
        part = splits[name]
        if not 0 < size <= len(part):
            raise ValueError(
                f"{name} must be between 1 and {len(part)}, not {size}")
        ids = rng.permutation(len(part))[:size]
        texts = np.array([sentiment.clean(t) for t in part.texts[ids]],
                         dtype=object)
        parts[name] = texts, part.labels[ids].astype(np.float32)
    vectorizer = sentiment.sequence_vectorizer(
        parts["train"][0], vocab_size, sequence_length)
    x_train, x_test = (
        np.asarray(keras.ops.convert_to_numpy(vectorizer(parts[n][0])),
                   dtype=np.int32)
        for n in ("train", "test"))
    matrix, coverage = sentiment.embedding_matrix(
        vectorizer.get_vocabulary(), load_glove())
    data = SequenceData(x_train, parts["train"][1], x_test,
                        parts["test"][1], matrix, coverage)
    for array in data[:5]:
        array.setflags(write=False)
    return data


# ------------------------------------------------------------- refusals


class Refusing:
    """``student_fn`` with a model refused at the boundary kept aside.

    In trusted grading the proxy raises ``UnsafeModel`` (a Lambda or a
    custom layer); its message, in the notebook's language, is the one
    to give (:attr:`refused`). The student's own exceptions go on to
    :func:`_common.call`, which names the student's line (hence
    ``__code__``).
    """

    def __init__(self, student_fn):
        self.student_fn = student_fn
        self.refused = None
        code = getattr(student_fn, "__code__", None)
        if code is not None:
            self.__code__ = code

    def __call__(self, *args):
        try:  # only the trusted grader has the boundary
            from trusted_grading.proxy import UnsafeModel
        except ImportError:  # autograder/ not on the path
            return self.student_fn(*args)
        try:
            return self.student_fn(*args)
        except UnsafeModel as error:
            self.refused = str(error)
            return None


def expect_model(model, *, name, num_words, lang):
    """Fail unless ``model`` is a compiled Keras model of the right shape.

    Parameters
    ----------
    model : object
        What the student's function returned.
    name : str
        The graded function, for messages.
    num_words : int
        Length of the multi-hot input: the input shape must be
        ``(None, num_words)`` and the output shape ``(None, 1)``.
    lang : {"en", "es"}
    """
    expect_keras_model(model, name=name, lang=lang)
    try:
        inputs = tuple(model.input_shape)
    except (AttributeError, ValueError, TypeError):
        inputs = None
    wanted = (None, num_words)
    if inputs != wanted:
        if inputs is None:
            got = Text("it has no input shape", "no tiene forma de entrada")
        else:
            got = Text(f"its input shape is {inputs}",
                       f"su forma de entrada es {inputs}")
        fail(lang, Text(
            f"The model of {name}({num_words}) must read multi-hot "
            f"vectors of length num_words, input shape {wanted};",
            f"El modelo de {name}({num_words}) debe leer vectores "
            f"multi-hot de longitud num_words, forma de entrada {wanted};",
        ), got, Text(
            ". Start it with `keras.Input((num_words,))`.",
            ". Empiézalo con `keras.Input((num_words,))`.",
        ))
    expect_one_probability(model, name=name, lang=lang)
    expect_compiled_for_bce(model, name=name, lang=lang)


def expect_keras_model(model, *, name, lang):
    """Fail unless ``model`` is a Keras model (not None, nor another)."""
    if model is None:
        fail(lang, Text(
            f"{name} returned None: did you forget the `return`?",
            f"{name} devolvió None: ¿olvidaste el `return`?",
        ))
    if not isinstance(model, keras.Model):
        got = type(model).__name__
        fail(lang, Text(
            f"{name} must return a Keras model (e.g. "
            f"`keras.Sequential([...])`), not an object of type {got}.",
            f"{name} debe devolver un modelo de Keras (p. ej. "
            f"`keras.Sequential([...])`), no un objeto {got}.",
        ))


def expect_one_probability(model, *, name, lang):
    """Fail unless the output shape of ``model`` is ``(None, 1)``."""
    try:
        outputs = tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError):
        outputs = None
    if outputs != (None, 1):
        fail(lang, Text(
            f"The model of {name} must give one probability per review, "
            f"output shape (None, 1); its output shape is {outputs}. End "
            "it with `keras.layers.Dense(1, activation=\"sigmoid\")`.",
            f"El modelo de {name} debe dar una probabilidad por reseña, "
            f"forma de salida (None, 1); su forma de salida es {outputs}. "
            "Termínalo con "
            "`keras.layers.Dense(1, activation=\"sigmoid\")`.",
        ))


def expect_compiled_for_bce(model, *, name, lang):
    """Fail unless ``model`` is compiled with the binary cross-entropy."""
    if not (getattr(model, "compiled", False)
            and getattr(model, "optimizer", None) is not None):
        fail(lang, Text(
            f"The model of {name} is not compiled: call `model.compile("
            "optimizer=..., loss=\"binary_crossentropy\")` before "
            "returning it.",
            f"El modelo de {name} no está compilado: llama a "
            "`model.compile(optimizer=..., loss=\"binary_crossentropy\")` "
            "antes de devolverlo.",
        ))
    if not _is_binary_cross_entropy(model.loss):
        fail(lang, Text(
            f"The model of {name} must be compiled with the binary "
            "cross-entropy, `loss=\"binary_crossentropy\"` (on the "
            "sigmoid's probabilities, not on logits).",
            f"El modelo de {name} debe compilarse con la entropía cruzada "
            "binaria, `loss=\"binary_crossentropy\"` (sobre las "
            "probabilidades de la sigmoide, no sobre logits).",
        ))


def binary_cross_entropy(y, p):
    """Mean binary cross-entropy of probabilities ``p`` (float64)."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPSILON, 1.0 - EPSILON)
    y = np.asarray(y, dtype=np.float64)
    # E = -mean(y log p + (1 - y) log(1 - p))
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def _is_binary_cross_entropy(loss):
    """True when the compiled ``loss`` gives the binary cross-entropy.

    Judged by its value on fixed labels and probabilities, so that the
    string, the class and the function of Keras all pass.
    """
    try:
        fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        if not callable(fn):
            return False
        y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]], np.float32)
        p = np.array([[0.1], [0.7], [0.4], [0.35], [0.95]], np.float32)
        value = float(np.mean(np.asarray(fn(y, p))))
    except Exception:  # noqa: BLE001 -- not a loss of labels and outputs
        return False
    expected = binary_cross_entropy(y, p)
    return math.isfinite(value) and abs(value - expected) <= 1e-4 * expected


# ------------------------------------------------------------- training


@contextlib.contextmanager
def kept_random_state():
    """Give Python's and NumPy's global random states back afterwards.

    The student's code (in tests, run in this process) may reseed them:
    a check leaves the grader's process as it found it.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def model_spec(model, *, name, lang, arguments=()):
    """The validated description of ``model``, or a failure saying why.

    In trusted grading ``model`` is the grader's own, built from the
    description the kernel sent (:func:`trusted_grading.session.
    build_described_model`); in tests it is the function's model itself. Either
    way it is described again here (:func:`describe.describe`) and
    validated (:func:`models.validate`): what is trained is that
    description, never the object.

    Parameters
    ----------
    model : keras.Model
    name : str
        The graded function, for messages.
    lang : {"en", "es"}
    arguments : sequence of (path, np.ndarray)
        The arrays the function received (an Embedding holding one is
        restored from the grader's copy when trained).

    Returns
    -------
    dict
    """
    try:
        return models.validate(describe.describe(model, arguments))
    except models.Refused as error:
        fail(lang, Text(f"The model of {name} cannot be graded: "
                        f"{error.en}.",
                        f"El modelo de {name} no se puede calificar: "
                        f"{error.es}."))


def has_metric_accuracy(spec):
    """True when the model is compiled with an accuracy metric."""
    compiled = spec.get("compile") or {}
    return any((m if isinstance(m, str) else m["class_name"]) in (
        "accuracy", "acc", "binary_accuracy", "BinaryAccuracy")
        for m in compiled.get("metrics", []))


def expect_accuracy_metric(spec, *, name, lang):
    """Fail unless the model is compiled with ``metrics=["accuracy"]``."""
    if not has_metric_accuracy(spec):
        fail(lang, Text(
            f"The model of {name} must be compiled with "
            "`metrics=[\"accuracy\"]`, as its docstring says.",
            f"El modelo de {name} debe compilarse con "
            "`metrics=[\"accuracy\"]`, como dice su docstring.",
        ))


def train(spec, data, budget, seed, *, max_seconds, max_parameters,
          weights=None, name, lang, hint=None):
    """Train the described model on ``data`` in the training sandbox.

    Parameters
    ----------
    spec : dict
        What :func:`model_spec` returned.
    data : tuple of np.ndarray
        ``(x_train, y_train, x_val, y_val, ...)``, e.g. from
        :func:`bag_of_words_data` or :func:`sequence_data` (whose held-out
        part is the test part).
    budget : Budget
    seed : int
        Seed of the initial weights, the dropout masks and the batches.
    max_seconds : float
        Longest training allowed, in seconds of the trainer's CPU time (a
        busy machine does not stop a model that fits): a model far too
        slow for the chapter is stopped instead of holding the grading
        up.
    max_parameters : int
        Most weights the model may have: a larger one is refused before
        its weights are allocated.
    weights : dict, optional
        ``{argument path: array}``: the grader's copies of the arrays
        that Embedding layers of ``spec`` hold.
    name : str
        The graded function, for messages.
    lang : {"en", "es"}
    hint : Text, optional
        Said after the failure of a training stopped by ``max_seconds``
        (what the chapter's model needs).

    Returns
    -------
    measured : Measured
        ``seconds`` is the trainer's CPU time (training and evaluation).
    p_val : np.ndarray of float32, shape (validation,)
        The trained model's outputs on the validation part.
    """
    x_train, y_train, x_val, y_val = data[:4]
    outcome = _trained(spec, x_train, y_train, x_val, budget, seed,
                       max_seconds=max_seconds,
                       max_parameters=max_parameters, weights=weights,
                       name=name, lang=lang, hint=hint)
    p_train = outcome.p_train.reshape(-1)
    p_val = outcome.p_eval.reshape(-1)
    if p_train.shape != y_train.shape or p_val.shape != y_val.shape:
        expect_probabilities(np.full(1, np.nan), name=name, lang=lang)
    train_accuracy = float(np.mean((p_train > 0.5) == (y_train > 0.5)))
    val_accuracy = float(np.mean((p_val > 0.5) == (y_val > 0.5)))
    measured = Measured(
        train_accuracy=train_accuracy,
        val_accuracy=val_accuracy,
        gap=train_accuracy - val_accuracy,
        val_loss=binary_cross_entropy(y_val, p_val),
        seconds=outcome.cpu_seconds,
    )
    return measured, p_val


def decode(spec, data, budget, seed, *, steps, start, end, max_seconds,
           max_parameters, name, lang, hint=None):
    """Train a described encoder-decoder in the sandbox; what it decodes.

    Parameters
    ----------
    spec : dict
        What :func:`model_spec` returned.
    data : (list of np.ndarray, np.ndarray, list of np.ndarray)
        ``([sources, decoder_inputs], targets, [test_sources])``: teacher
        forcing's inputs and targets, and the sources to decode.
    budget, seed, max_seconds, max_parameters, name, lang, hint
        As for :func:`train`.
    steps, start, end : int
        Ids decoded per source at most, the id that starts the decoder's
        input and the one that ends an output.

    Returns
    -------
    ids : np.ndarray of int32, shape (M, steps)
        Greedily decoded (:func:`trusted_grading.trainer.greedy_decode`).
    seconds : float
        The trainer's CPU seconds.
    """
    x_train, y_train, x_eval = data
    outcome = _trained(spec, x_train, y_train, x_eval, budget, seed,
                       max_seconds=max_seconds,
                       max_parameters=max_parameters, name=name, lang=lang,
                       hint=hint,
                       decode={"steps": steps, "start": start, "end": end})
    return outcome.p_eval, outcome.cpu_seconds


def _trained(spec, x_train, y_train, x_eval, budget, seed, *, max_seconds,
             max_parameters, name, lang, weights=None, decode=None,
             hint=None):
    """The trainer's outcome, or a failure that says what stopped it."""
    try:
        outcome = training.train(
            spec, x_train, y_train, x_eval, epochs=budget.epochs,
            batch_size=budget.batch_size, seed=seed,
            max_seconds=max_seconds, max_parameters=max_parameters,
            weights=weights, decode=decode)
    except training.TrainingFailed as error:
        _training_failed(error.reason, name, lang)
    if outcome.refused is not None:
        fail(lang, Text(f"The model of {name} cannot be graded: "
                        f"{outcome.refused['en']}.",
                        f"El modelo de {name} no se puede calificar: "
                        f"{outcome.refused['es']}."))
    if outcome.too_long is not None:
        fail(lang, Text(
            f"The check stopped the training of the model of {name} "
            f"after {outcome.too_long:.0f} s of CPU time (at most "
            f"{max_seconds:g} s for {budget.epochs} epochs): the model is "
            "far larger or slower than this chapter needs.",
            f"La prueba detuvo el entrenamiento del modelo de {name} a "
            f"los {outcome.too_long:.0f} s de CPU (como máximo "
            f"{max_seconds:g} s para {budget.epochs} épocas): el modelo es "
            "mucho más grande o lento de lo que este capítulo necesita.",
        ), hint)
    return outcome


def _training_failed(reason, name, lang):
    """Fail: the trainer ran out of memory or CPU time, or crashed."""
    if reason == "memory":
        fail(lang, Text(
            f"The training of the model of {name} ran out of memory: the "
            "model is far larger than this chapter needs.",
            f"El entrenamiento del modelo de {name} se quedó sin memoria: "
            "el modelo es mucho más grande de lo que este capítulo "
            "necesita.",
        ))
    if reason == "cpu":
        fail(lang, Text(
            f"The training of the model of {name} used up its CPU time: "
            "the model is far larger or slower than this chapter needs.",
            f"El entrenamiento del modelo de {name} agotó su tiempo de "
            "CPU: el modelo es mucho más grande o lento de lo que este "
            "capítulo necesita.",
        ))
    fail(lang, Text(
        f"The training of the model of {name} stopped with an error in "
        "Keras.",
        f"El entrenamiento del modelo de {name} se detuvo con un error "
        "de Keras.",
    ))


def expect_probabilities(p, *, name, lang):
    """Fail unless every output is a probability (a sigmoid's)."""
    if not (np.all(np.isfinite(p)) and np.all((p >= 0.0) & (p <= 1.0))):
        fail(lang, Text(
            f"After training, the model of {name} gives outputs that are "
            "not probabilities in [0, 1] (or NaN). End it with "
            "`keras.layers.Dense(1, activation=\"sigmoid\")`.",
            f"Tras el entrenamiento, el modelo de {name} da salidas que "
            "no son probabilidades en [0, 1] (o NaN). Termínalo con "
            "`keras.layers.Dense(1, activation=\"sigmoid\")`.",
        ))
