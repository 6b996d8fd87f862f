"""Chapter 6's accuracy check, ``check_build_sentiment_model``, proven.

The check trains the student's model itself (``hidden_checks.accuracy``)
on a recurrent layer, so every case here costs a training of up to a
minute: each model is trained once, on the check's one seed.

* the reference (frozen GloVe with ``mask_zero=True``, GRU(32)) passes,
  and an LSTM(32) written with the functional API and
  ``weights=[embedding_matrix]`` passes;
* the Flatten+Dense model of the slides fails on the test accuracy A
  (and, having no recurrent layer, on the docstring's structure), and
  the reference without ``mask_zero`` is refused before training (a
  mask from ``mask_zero`` or a ``Masking`` layer is accepted);
* the same model written with ``weights=[m]`` passes, with the same
  accuracies whatever the student's seed and training: the grader
  builds the described model and puts its own copy of the matrix in;
* a trainable embedding, a missing accuracy metric, smuggled weights
  (the test part memorised in the kernel and frozen in ``Constant``
  initialisers with a learning rate of zero) are refused by their
  description;
* what is not a compiled Keras model of the token ids with one sigmoid
  output, the binary cross-entropy and an Embedding holding the given
  matrix is refused, with a message that says what is wrong, before any
  training;
* a model with a Lambda layer is refused by the real trusted path, and
  the reference carried the same way (a validated description) gives
  the same accuracies as here: the same seed twice, the same result.

The threshold and the runs over 5 seeds behind it are in
``bench/RESULTS.md`` (``bench/ch06_accuracy_check.py``). The named
models are the bench's own (no answer is importable from ``rnn_course``);
``sentiment_model`` writes the reference in the ways a student might.
"""

import json
import math

import check_suite as suite
import keras
import nbformat
import numpy as np
import pytest
from conftest import ROOT, load_script
from hidden_checks import accuracy, ch06_model  # after check_suite

CHECK = ch06_model.check_build_sentiment_model


def sentiment_model(*, how="constant", trainable=False):
    """The reference written with ``weights=[m]`` or ``Constant(m)``."""

    def build(embedding_matrix, sequence_length):
        vocab_size, dim = embedding_matrix.shape
        if how == "constant":
            given = {"embeddings_initializer":
                     keras.initializers.Constant(embedding_matrix)}
        else:
            given = {"weights": [embedding_matrix]}
        model = keras.Sequential([
            keras.Input((sequence_length,), dtype="int32"),
            keras.layers.Embedding(vocab_size, dim, trainable=trainable,
                                   mask_zero=True, **given),
            keras.layers.GRU(32),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(0.005),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return build


BENCH = load_script("bench/ch06_accuracy_check.py")
MODELS = {name: builder for name, (_, builder, _) in BENCH.MODELS.items()}
reference = MODELS["reference"]
lstm_functional = MODELS["lstm"]
flatten_dense = MODELS["flatten_dense"]
gru_without_mask = MODELS["gru_no_mask"]


def same_to_3_decimals(a, b):
    return all(
        round(getattr(a, f), 3) == round(getattr(b, f), 3)
        for f in ("train_accuracy", "val_accuracy")
    )


@pytest.fixture(scope="module")
def reference_run():
    """The reference measured by the check, on the check's seed."""
    return ch06_model.measure(reference)


# --------------------------------------------------------- what passes


def test_the_new_path_gives_the_recorded_run(reference_run):
    # The model is built from its description and trained in the
    # trainer's sandbox; the check's seed gives exactly the run recorded
    # by the bench, so the thresholds taken from those runs still hold.
    recorded = json.loads((ROOT / "bench" / "ch06_accuracy_check.json")
                          .read_text("utf-8"))
    run = recorded["models"]["reference"]["runs"][ch06_model.SEED]
    assert run["seed"] == ch06_model.SEED
    assert reference_run.val_accuracy == run["val_accuracy"]
    assert reference_run.train_accuracy == run["train_accuracy"]




def test_reference_passes(reference_run):
    ch06_model.verdict(reference_run, "en")
    ch06_model.verdict(reference_run, "es")


def test_lstm_written_differently_passes():
    CHECK(lstm_functional, lang="en")


def test_student_seed_and_training_do_not_change_the_grade():
    def with_weights(embedding_matrix, sequence_length):
        return sentiment_model(how="weights")(embedding_matrix,
                                              sequence_length)

    def with_weights_pretrained(embedding_matrix, sequence_length):
        # weights=[m] is not part of the layer's configuration: only the
        # check's restoring of the matrix gives the clone GloVe's vectors.
        # The student's own seed and training must not matter.
        keras.utils.set_random_seed(987)
        model = with_weights(embedding_matrix, sequence_length)
        rng = np.random.default_rng(3)
        x = rng.integers(0, embedding_matrix.shape[0],
                         (64, sequence_length))
        model.fit(x, x[:, 1] % 2, epochs=1, verbose=0)
        return model

    fresh = ch06_model.measure(with_weights)
    again = ch06_model.measure(with_weights_pretrained)
    assert same_to_3_decimals(again, fresh), (again, fresh)
    # Written with weights=[m] rather than Constant(m), the reference
    # passes too (its other layers start from other draws of the seed:
    # a random initialiser in the configuration draws, a Constant not).
    ch06_model.verdict(fresh, "en")


# --------------------------------------------------------- what fails


def test_flatten_dense_fails_on_the_accuracy():
    measured = ch06_model.measure(flatten_dense)
    messages = {}
    for lang in suite.LANGS:
        with pytest.raises(AssertionError) as caught:
            ch06_model.verdict(measured, lang)
        messages[lang] = str(caught.value)
    assert f"at least {ch06_model.MIN_TEST_ACCURACY:.3f}" in messages["en"]
    assert "mask_zero=True" in messages["en"]
    assert f"al menos {ch06_model.MIN_TEST_ACCURACY:.3f}" in messages["es"]


def test_flatten_dense_breaks_the_structure_before_training():
    # Also: a check leaves the grader's random states and floatx alone.
    messages = {}

    def run():
        for lang in suite.LANGS:
            messages[lang] = suite.failure(CHECK, flatten_dense, lang)

    suite.assert_global_state_unchanged(run)
    assert "needs a recurrent layer" in messages["en"]
    assert "necesita una capa recurrente" in messages["es"]


def test_gru_without_mask_is_refused_before_training():
    messages = {lang: suite.failure(CHECK, gru_without_mask, lang)
                for lang in suite.LANGS}
    assert "mask_zero=True" in messages["en"]
    assert "mask_zero=True" in messages["es"]
    assert "relleno" in messages["es"]


@pytest.mark.parametrize("masking", ["mask_zero", "Masking", None])
def test_the_mask_may_come_from_the_embedding_or_a_masking_layer(masking):
    matrix = ch06_model.data().matrix
    vocab_size, dim = matrix.shape
    layers = [keras.Input((ch06_model.SEQUENCE_LENGTH,), dtype="int32"),
              keras.layers.Embedding(vocab_size, dim, trainable=False,
                                     mask_zero=masking == "mask_zero")]
    if masking == "Masking":
        layers.append(keras.layers.Masking(0.0))
    layers += [keras.layers.GRU(4), keras.layers.Dense(1, "sigmoid")]
    model = keras.Sequential(layers)
    model.layers[0].set_weights([matrix])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    spec = accuracy.model_spec(
        model, name=ch06_model.NAME, lang="en",
        arguments=[(ch06_model.MATRIX_PATH, matrix)])
    if masking is None:
        with pytest.raises(AssertionError, match="mask_zero=True"):
            ch06_model.expect_structure(spec, matrix, "en")
    else:
        ch06_model.expect_structure(spec, matrix, "en")


def not_a_model(embedding_matrix, sequence_length):
    return np.zeros((sequence_length, 1))


def not_compiled(embedding_matrix, sequence_length):
    vocab_size, dim = embedding_matrix.shape
    return keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(vocab_size, dim, weights=[embedding_matrix],
                               trainable=False, mask_zero=True),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def wrong_input(embedding_matrix, sequence_length):
    return reference(embedding_matrix, sequence_length + 1)


def two_outputs(embedding_matrix, sequence_length):
    vocab_size, dim = embedding_matrix.shape
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(vocab_size, dim, weights=[embedding_matrix],
                               trainable=False, mask_zero=True),
        keras.layers.GRU(32),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def mse_loss(embedding_matrix, sequence_length):
    model = reference(embedding_matrix, sequence_length)
    model.compile(optimizer="adam", loss="mse")
    return model


def random_embedding(embedding_matrix, sequence_length):
    vocab_size, dim = embedding_matrix.shape
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(vocab_size, dim, mask_zero=True),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def rows_off_by_one(embedding_matrix, sequence_length):
    # Row i + 1 where row i belongs: the padding and OOV rows shifted.
    shifted = np.roll(embedding_matrix, 1, axis=0)
    return reference(shifted, sequence_length)


def trainable_embedding(embedding_matrix, sequence_length):
    return sentiment_model(trainable=True)(embedding_matrix,
                                           sequence_length)


def no_metric(embedding_matrix, sequence_length):
    model = reference(embedding_matrix, sequence_length)
    model.compile(optimizer=keras.optimizers.Adam(0.005),
                  loss="binary_crossentropy")
    return model


def memorised_test_part(embedding_matrix, sequence_length):
    # Vectors "trained" in the kernel (on the course's test reviews, say),
    # frozen in a Constant initialiser and kept by a learning rate of 0.
    vocab_size, dim = embedding_matrix.shape
    trained = embedding_matrix + 0.5
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(
            vocab_size, dim, mask_zero=True,
            embeddings_initializer=keras.initializers.Constant(trained)),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


#: (mutant, words of its English message, of its Spanish one); none of
#: them trains.
REFUSED = [
    (not_a_model, "must return a Keras model", "debe devolver un modelo"),
    (not_compiled, "is not compiled", "no está compilado"),
    (wrong_input,
     f"its input shape is (None, {ch06_model.SEQUENCE_LENGTH + 1})",
     f"su forma de entrada es (None, {ch06_model.SEQUENCE_LENGTH + 1})"),
    (two_outputs, "its output shape is (None, 2)",
     "su forma de salida es (None, 2)"),
    (mse_loss, "binary cross-entropy", "entropía cruzada binaria"),
    (random_embedding, "no Embedding layer of the model holds it",
     "ninguna capa Embedding del modelo la contiene"),
    (rows_off_by_one, "or exactly the embedding_matrix given",
     "o exactamente la embedding_matrix dada"),
    (trainable_embedding, "must be frozen", "debe estar congelado"),
    (no_metric, "metrics=[\"accuracy\"]", "metrics=[\"accuracy\"]"),
    (memorised_test_part, "or exactly the embedding_matrix given",
     "o exactamente la embedding_matrix dada"),
]


@pytest.mark.parametrize(("mutant", "words", "palabras"), REFUSED,
                         ids=[m.__name__ for m, _, _ in REFUSED])
def test_wrong_models_are_refused_clearly(mutant, words, palabras):
    suite.assert_mutant_fails(CHECK, mutant, hint=words)
    assert palabras in suite.failure(CHECK, mutant, "es")


@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(broken):
    suite.assert_broken_fails(CHECK, broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(CHECK)


def test_unknown_language_is_an_error():
    suite.assert_unknown_language_is_an_error(CHECK, reference)


def test_a_model_too_slow_to_train_is_stopped(monkeypatch):
    # The limit (the course's 120 s per cell) is lowered so that the
    # reference stands for a model far too slow to train.
    monkeypatch.setattr(ch06_model, "MAX_SECONDS", 0.01)
    suite.assert_mutant_fails(CHECK, reference,
                              hint="stopped the training")


# --------------------------------- the grader's model keeps the matrix


@pytest.mark.parametrize("how", ["weights", "constant"])
@pytest.mark.parametrize("trainable", [False, True])
def test_the_built_model_holds_the_graders_matrix(how, trainable):
    from trusted_grading import models

    matrix = ch06_model.data().matrix
    model = sentiment_model(how=how, trainable=trainable)(
        matrix, ch06_model.SEQUENCE_LENGTH)
    spec = accuracy.model_spec(
        model, name=ch06_model.NAME, lang="en",
        arguments=[(ch06_model.MATRIX_PATH, matrix)])
    copy = matrix.copy()
    built = models.build(spec, weights={ch06_model.MATRIX_PATH: copy}.get)
    assert np.array_equal(built.layers[0].get_weights()[0], matrix)
    assert built.layers[0].trainable is trainable
    assert built.layers[1].trainable is True
    model.layers[1].trainable = False  # a frozen GRU: refused
    with pytest.raises(AssertionError, match="GRU.*is frozen"):
        accuracy.model_spec(model, name=ch06_model.NAME, lang="en",
                            arguments=[(ch06_model.MATRIX_PATH, matrix)])


def test_the_hidden_data_are_computed_once_and_read_only():
    hidden = ch06_model.data()
    assert ch06_model.data() is hidden
    assert hidden.x_train.shape == (ch06_model.TRAIN,
                                    ch06_model.SEQUENCE_LENGTH)
    assert hidden.x_test.shape == (ch06_model.TEST,
                                   ch06_model.SEQUENCE_LENGTH)
    assert hidden.matrix.shape[0] == ch06_model.VOCAB_SIZE
    assert hidden.x_train.max() < ch06_model.VOCAB_SIZE
    assert not any(a.flags.writeable for a in hidden[:5])
    assert not np.any(hidden.matrix[:2])  # padding and unknown word


# ------------------------------------------------- the real trusted path

STUDENT_CELL = '''
import keras


def build_sentiment_model(embedding_matrix, sequence_length):
    vocab_size, dim = embedding_matrix.shape
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(
            vocab_size, dim, trainable=False, mask_zero=True,
            embeddings_initializer=keras.initializers.Constant(
                embedding_matrix)),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.005),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def with_lambda(embedding_matrix, sequence_length):
    vocab_size, dim = embedding_matrix.shape
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(vocab_size, dim, weights=[embedding_matrix],
                               trainable=False, mask_zero=True),
        keras.layers.Lambda(lambda t: 2.0 * t),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
'''


def test_trusted_path_refuses_a_lambda_and_carries_the_reference(
        reference_run):
    from trusted_grading.proxy import Proxy
    from trusted_grading.session import KernelSession

    cell = nbformat.v4.new_code_cell(STUDENT_CELL)
    messages = {}
    with KernelSession(None, lang="en", timeout=120, total_timeout=600,
                       memory_limit=4 * 2**30,
                       max_transfer=64 * 2**20) as session:
        session.run_cell(cell)
        assert not [o for o in cell.outputs if o.output_type == "error"]
        for lang in suite.LANGS:
            session.lang = lang  # the grader's messages follow the notebook
            messages[lang] = suite.failure(
                CHECK, Proxy("with_lambda", session), lang)
        session.lang = "en"
        carried = ch06_model.measure(
            Proxy("build_sentiment_model", session))
    assert "Lambda" in messages["en"]
    assert "built-in layers" in messages["en"]
    assert "Lambda" in messages["es"]
    assert "capas integradas" in messages["es"]
    for message in messages.values():
        assert message.startswith(ch06_model.NAME)
        assert "Traceback" not in message
    ch06_model.verdict(carried, "en")
    # The same seed twice (here and in the grader), the same accuracies.
    assert same_to_3_decimals(carried, reference_run), (carried,
                                                        reference_run)


# ---------------------------------------------- the recorded threshold


def test_threshold_is_the_recorded_one():
    recorded = json.loads(
        (ROOT / "bench" / "ch06_accuracy_check.json").read_text("utf-8"))
    assert recorded["complete"]
    runs = recorded["models"]
    settings = recorded["settings"]
    assert settings == {
        "vocab_size": ch06_model.VOCAB_SIZE,
        "sequence_length": ch06_model.SEQUENCE_LENGTH,
        "train": ch06_model.TRAIN,
        "test": ch06_model.TEST,
        "data_seed": accuracy.DATA_SEED,
        "epochs": ch06_model.BUDGET.epochs,
        "batch_size": ch06_model.BUDGET.batch_size,
        "check_seed": ch06_model.SEED,
        "margin": settings["margin"],
    }
    assert recorded["thresholds"] == {"A": ch06_model.MIN_TEST_ACCURACY}
    ref = runs["reference"]["runs"]
    assert len(ref) >= 5
    margin = settings["margin"]
    a_rule = math.floor((min(r["val_accuracy"] for r in ref) - margin)
                        / 0.005) * 0.005
    assert ch06_model.MIN_TEST_ACCURACY == round(a_rule, 10)
    assert len(runs["flatten_dense"]["runs"]) >= 5
    assert all(r["val_accuracy"] < ch06_model.MIN_TEST_ACCURACY
               for r in runs["flatten_dense"]["runs"])
    assert len(runs["gru_no_mask"]["runs"]) >= 5
    assert all("mask_zero=True" in r["check"]
               for r in runs["gru_no_mask"]["runs"])
    assert len(runs["lstm"]["runs"]) >= 5
    assert all(r["val_accuracy"] >= ch06_model.MIN_TEST_ACCURACY
               for r in runs["lstm"]["runs"])
    assert recorded["rule_broken"] == []
    assert recorded["repeat"]["val_accuracy"] == ref[ch06_model.SEED][
        "val_accuracy"]
    results = (ROOT / "bench" / "RESULTS.md").read_text("utf-8")
    assert "## Chapter 6 — accuracy check" in results
    assert f"**A = {ch06_model.MIN_TEST_ACCURACY}**" in results
