"""Hidden check of chapter 7's graded Keras function, by exact match.

``check_build_seq2seq_model(build_seq2seq_model, lang="en")`` calls the
student's function with the vocabulary sizes of a hidden set of number
words (:mod:`rnn_course.number_words`, seed ``DATA_SEED``: values split
by value, so no test number was seen in training), refuses what is not a
compiled Keras encoder-decoder of the two id inputs with the next
character's probabilities as output, or whose description breaks the
docstring's structure (:func:`expect_structure`: masked embeddings, a
recurrent encoder, attention, the sparse categorical cross-entropy and
the accuracy metric), then trains the described model in the training
sandbox (:mod:`accuracy`, :mod:`trusted_grading.training`): new weights
from ``SEED``, a fresh optimiser with the student's settings, teacher
forcing on ``TRAIN_VALUES`` hidden values in both languages, for
``BUDGET``. The trained model decodes the ``TEST_VALUES`` hidden test
numbers greedily, one character at a time, in both languages; the check
passes when the share decoded exactly (every digit, nothing more) is at
least ``MIN_EXACT_MATCH`` (A).

A comes from the reference (GRU(64) encoder and decoder, dot-product
attention over the encoder's states, Adam 0.005) over 5 seeds with a
margin: ``bench/ch07_accuracy_check.py`` measured it, and
``bench/RESULTS.md`` ("Chapter 7 — accuracy check") records the runs, the
rule and the command; the same model without attention fails A.

The messages give the measured values and the budget, never the hidden
numbers.
"""

import functools
from typing import NamedTuple

import numpy as np
from trusted_grading import models

from rnn_course import number_words

from . import accuracy
from ._common import Text, call, fail, hidden_check

#: Seed of the hidden values (the notebook uses number_words.SPLIT_SEED).
DATA_SEED = 7070
#: Hidden values of each part; every value gives one pair per language.
TRAIN_VALUES, TEST_VALUES = 6_000, 500
#: Epochs of mini-batches of the hidden training pairs.
BUDGET = accuracy.Budget(epochs=2, batch_size=64)
#: Seed of the check's run (weights, dropout masks, batches).
SEED = 0
#: Weights of the reference (GRU(64) encoder and decoder, embeddings of
#: 32, attention, a Dense(64, tanh) and the output layer) on the hidden
#: vocabularies.
REFERENCE_PARAMETERS = 48_141
#: Most weights a model may have: 20 times the reference.
MAX_PARAMETERS = 20 * REFERENCE_PARAMETERS
#: Longest training, in seconds of the trainer's CPU time.
MAX_SECONDS = 300
#: A: the reference's lowest exact-match share over seeds 0-4 (0.798) less
#: a margin of 0.05, rounded down to 0.01 (bench/RESULTS.md); the same
#: model without attention reached 0.11-0.34.
MIN_EXACT_MATCH = 0.74

#: Said when the check stops a training that runs past MAX_SECONDS.
HINT = Text("The reference trains in about a minute.",
            "La referencia se entrena en alrededor de un minuto.")

NAME = "build_seq2seq_model"
#: Layers that let the decoder look at the encoder's states.
ATTENTION = ("Attention", "AdditiveAttention", "MultiHeadAttention")


class HiddenData(NamedTuple):
    """The check's encoded data (every array read-only).

    ``sources``/``decoder_inputs``/``targets`` of the training pairs
    (int32, (N, T), (N, U), (N, U)); ``test_sources`` (int32 (M, T)),
    ``test_targets`` (the digits, M strings), ``test_lengths`` (source
    characters); the two vocabularies; ``steps`` = U.
    """

    sources: np.ndarray
    decoder_inputs: np.ndarray
    targets: np.ndarray
    test_sources: np.ndarray
    test_targets: list
    test_lengths: np.ndarray
    source_vocabulary: number_words.Vocabulary
    target_vocabulary: number_words.Vocabulary
    steps: int


@functools.lru_cache(maxsize=1)
def data():
    """The hidden pairs, encoded once per process."""
    parts = number_words.generate(
        {"train": TRAIN_VALUES, "test": TEST_VALUES}, seed=DATA_SEED)
    train, test = parts["train"], parts["test"]
    source_vocabulary = number_words.Vocabulary.from_texts(
        train.sources + test.sources)
    target_vocabulary = number_words.Vocabulary.from_texts(
        [str(d) for d in range(10)])
    steps = max(len(t) for t in train.targets + test.targets) + 1
    length = max(len(s) for s in train.sources + test.sources)
    sources = number_words.encode_sources(train.sources, source_vocabulary,
                                          length)
    inputs, targets = number_words.encode_targets(
        train.targets, target_vocabulary, steps)
    test_sources = number_words.encode_sources(
        test.sources, source_vocabulary, length)
    hidden = HiddenData(sources, inputs, targets, test_sources,
                        list(test.targets), test.source_lengths(),
                        source_vocabulary, target_vocabulary, steps)
    for array in (sources, inputs, targets, test_sources,
                  hidden.test_lengths):
        array.setflags(write=False)
    return hidden


class Measured(NamedTuple):
    """What one training run measured: the exact-match share and the
    per-character accuracy of the decoded test numbers, and the
    trainer's CPU seconds."""

    exact_match: float
    character_accuracy: float
    seconds: float


def _build(student_fn, hidden, lang):
    """The student's model; a model refused at the boundary fails here."""
    build = accuracy.Refusing(student_fn)
    model = call(build, (len(hidden.source_vocabulary),
                         len(hidden.target_vocabulary)),
                 name=NAME, arg_names=("source_vocab_size",
                                       "target_vocab_size"), lang=lang)
    if build.refused is not None:
        fail(lang, f"{NAME} {build.refused}.")
    return model


def expect_seq2seq_model(model, target_size, lang):
    """Fail unless ``model`` maps two id inputs to next-id probabilities.
    """
    accuracy.expect_keras_model(model, name=NAME, lang=lang)
    try:
        inputs = [tuple(shape) for shape in model.input_shape] \
            if isinstance(model.input_shape, list) else None
        output = tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError):
        inputs = output = None
    if inputs != [(None, None), (None, None)]:
        fail(lang, Text(
            f"The model of {NAME} must take two inputs of token ids of "
            "any length, the source and the decoder's input, shape "
            f"(None, None) each; its inputs are {inputs}. Start it with "
            "`keras.Input((None,), dtype=\"int32\")` twice and build "
            "`keras.Model([source, decoder], ...)`.",
            f"El modelo de {NAME} debe recibir dos entradas de índices de "
            "cualquier longitud, la fuente y la entrada del decodificador, "
            f"de forma (None, None) cada una; sus entradas son {inputs}. "
            "Empiézalo con `keras.Input((None,), dtype=\"int32\")` dos "
            "veces y construye `keras.Model([source, decoder], ...)`.",
        ))
    if output != (None, None, target_size):
        fail(lang, Text(
            f"The model of {NAME} must give, at each decoder step, the "
            f"probabilities of the {target_size} target ids: output shape "
            f"(None, None, {target_size}); its output shape is {output}. "
            "End it with `keras.layers.Dense(target_vocab_size, "
            "activation=\"softmax\")`.",
            f"El modelo de {NAME} debe dar, en cada paso del "
            f"decodificador, las probabilidades de los {target_size} "
            f"índices de salida: forma (None, None, {target_size}); su "
            f"forma de salida es {output}. Termínalo con "
            "`keras.layers.Dense(target_vocab_size, "
            "activation=\"softmax\")`.",
        ))
    if not (getattr(model, "compiled", False)
            and getattr(model, "optimizer", None) is not None):
        fail(lang, Text(
            f"The model of {NAME} is not compiled: call `model.compile("
            "optimizer=..., loss=\"sparse_categorical_crossentropy\", "
            "metrics=[\"accuracy\"])` before returning it.",
            f"El modelo de {NAME} no está compilado: llama a "
            "`model.compile(optimizer=..., "
            "loss=\"sparse_categorical_crossentropy\", "
            "metrics=[\"accuracy\"])` antes de devolverlo.",
        ))


def expect_structure(spec, lang):
    """Fail unless the description keeps the docstring's promises.

    Every Embedding masks the padding (``mask_zero=True``); a recurrent
    layer; an attention layer through which the decoder looks at the
    encoder's states; the sparse categorical cross-entropy on
    probabilities; the accuracy metric.
    """
    layers = models.layers_of(spec)
    names = {layer["class_name"] for layer in layers}
    embeddings = [layer for layer in layers
                  if layer["class_name"] == "Embedding"]
    if not embeddings or not all(layer["config"]["mask_zero"]
                                 for layer in embeddings):
        fail(lang, Text(
            f"The Embedding layers of the model of {NAME} need "
            "`mask_zero=True`: the padding (id 0) after each source and "
            "target must change neither the states nor the loss.",
            f"Las capas Embedding del modelo de {NAME} necesitan "
            "`mask_zero=True`: el relleno (el índice 0) tras cada fuente "
            "y cada objetivo no debe cambiar ni los estados ni la "
            "pérdida.",
        ))
    if not names & set(models.RECURRENT):
        fail(lang, Text(
            f"The model of {NAME} needs a recurrent encoder and decoder "
            "(e.g. `keras.layers.GRU(64, return_sequences=True, "
            "return_state=True)`), as its docstring says.",
            f"El modelo de {NAME} necesita un codificador y un "
            "decodificador recurrentes (p. ej. `keras.layers.GRU(64, "
            "return_sequences=True, return_state=True)`), como dice su "
            "docstring.",
        ))
    if not names & set(ATTENTION):
        fail(lang, Text(
            f"The decoder of the model of {NAME} must attend to the "
            "encoder's states (e.g. `keras.layers.Attention()([decoder_"
            "states, encoder_states])`): without attention, one vector "
            "must carry the whole number.",
            f"El decodificador del modelo de {NAME} debe atender a los "
            "estados del codificador (p. ej. `keras.layers.Attention()("
            "[decoder_states, encoder_states])`): sin atención, un solo "
            "vector debe llevar todo el número.",
        ))
    compiled = spec["compile"]
    loss = compiled["loss"]
    sparse = loss == "sparse_categorical_crossentropy" or (
        isinstance(loss, dict)
        and loss["class_name"] == "SparseCategoricalCrossentropy"
        and not loss["config"].get("from_logits", False))
    if not sparse:
        fail(lang, Text(
            f"The model of {NAME} must be compiled with "
            "`loss=\"sparse_categorical_crossentropy\"` (the targets are "
            "ids, the outputs softmax probabilities).",
            f"El modelo de {NAME} debe compilarse con "
            "`loss=\"sparse_categorical_crossentropy\"` (los objetivos "
            "son índices y las salidas, probabilidades softmax).",
        ))
    if not any((m if isinstance(m, str) else m["class_name"]) in (
            "accuracy", "acc", "sparse_categorical_accuracy",
            "SparseCategoricalAccuracy") for m in compiled["metrics"]):
        fail(lang, Text(
            f"The model of {NAME} must be compiled with "
            "`metrics=[\"accuracy\"]`, as its docstring says.",
            f"El modelo de {NAME} debe compilarse con "
            "`metrics=[\"accuracy\"]`, como dice su docstring.",
        ))


def measure(student_fn, lang="en", seed=SEED, structure=False):
    """Build, refuse or train the student's model; its measurements.

    ``structure``: also refuse a model that breaks the docstring's
    structure (:func:`expect_structure`), as the check does; the bench
    measures every model without it.

    Returns
    -------
    Measured
    """
    hidden = data()
    with accuracy.kept_random_state():  # the student's code draws too
        model = _build(student_fn, hidden, lang)
        expect_seq2seq_model(model, len(hidden.target_vocabulary), lang)
        spec = accuracy.model_spec(model, name=NAME, lang=lang)
    if structure:
        expect_structure(spec, lang)
    decoded, seconds = accuracy.decode(
        spec, ([hidden.sources, hidden.decoder_inputs], hidden.targets,
               [hidden.test_sources]),
        BUDGET, seed, steps=hidden.steps, start=number_words.START,
        end=number_words.END, max_seconds=MAX_SECONDS,
        max_parameters=MAX_PARAMETERS, name=NAME, lang=lang,
        hint=HINT)
    predicted = number_words.decode_ids(decoded, hidden.target_vocabulary)
    return Measured(
        exact_match=number_words.exact_match(predicted,
                                             hidden.test_targets),
        character_accuracy=number_words.character_accuracy(
            predicted, hidden.test_targets),
        seconds=seconds)


def verdict(measured, lang):
    """Fail unless the exact-match share of ``measured`` reaches A."""
    if measured.exact_match >= MIN_EXACT_MATCH:
        return
    pairs = 2 * TEST_VALUES
    fail(lang, Text(
        f"Trained by the check ({BUDGET.epochs} epochs, batches of "
        f"{BUDGET.batch_size}, {2 * TRAIN_VALUES} hidden pairs), the model "
        f"of {NAME} decoded {measured.exact_match:.3f} of {pairs} hidden "
        "test numbers exactly (per-character accuracy "
        f"{measured.character_accuracy:.3f}); it must be at least "
        f"{MIN_EXACT_MATCH:.3f}.",
        f"Entrenado por la prueba ({BUDGET.epochs} épocas, lotes de "
        f"{BUDGET.batch_size}, {2 * TRAIN_VALUES} pares ocultos), el "
        f"modelo de {NAME} decodificó exactamente {measured.exact_match:.3f}"
        f" de {pairs} números de prueba ocultos (exactitud por carácter "
        f"{measured.character_accuracy:.3f}); debe ser al menos "
        f"{MIN_EXACT_MATCH:.3f}.",
    ), Text(
        "Check that the decoder attends to every encoder state (the "
        "encoder needs `return_sequences=True`), that it starts from the "
        "encoder's last state (`initial_state=`), that the embeddings "
        "have `mask_zero=True`, and that the optimiser learns fast "
        "enough (e.g. `keras.optimizers.Adam(0.005)`).",
        "Comprueba que el decodificador atienda a todos los estados del "
        "codificador (el codificador necesita `return_sequences=True`), "
        "que parta del último estado del codificador (`initial_state=`), "
        "que los embeddings tengan `mask_zero=True` y que el optimizador "
        "aprenda lo bastante rápido (p. ej. "
        "`keras.optimizers.Adam(0.005)`).",
    ))


@hidden_check
def check_build_seq2seq_model(student_fn, lang="en"):
    """Check ``build_seq2seq_model(source_vocab_size, target_vocab_size)``.

    The model must map the source ids and the decoder's input ids, both
    (None, None), to next-id probabilities (None, None, V_out), with
    masked embeddings, a recurrent encoder and decoder, attention, the
    sparse categorical cross-entropy and the accuracy metric. Trained
    here from fresh weights (``SEED``) for ``BUDGET`` on hidden pairs, it
    must decode at least ``MIN_EXACT_MATCH`` of the hidden test numbers
    exactly.
    """
    verdict(measure(student_fn, lang, structure=True), lang)
