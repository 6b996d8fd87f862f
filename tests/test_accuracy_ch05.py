"""Chapter 5's accuracy check, ``check_build_regularised_model``, proven.

The check trains the student's model itself (``hidden_checks.accuracy``),
so every case here costs a training of a few seconds: each model is
trained as few times as the proof needs, on the check's one seed.

* the reference (Dense 16-16-1, dropout 0.5 + L2 1e-3) passes, and two
  regularised models written differently (dropout only; L2 only, with
  the functional API and Keras objects) pass;
* the enlarged unregularised Dense 512-512-1 fails on the gap G only;
  a one-unit model that underfits fails on the accuracy A only;
* what is not a compiled Keras model of the multi-hot input with one
  sigmoid output and the binary cross-entropy is refused, with a
  message that says what is wrong, before any training;
* what breaks the docstring's structure is refused by structure, before
  any training: no regularisation (even with a slow optimiser that keeps
  the gap small), no hidden layer (a logistic regression with L2), no
  accuracy metric;
* a model with a Lambda layer, smuggled weights (a ``Constant``
  initialiser holding an array) or a learning rate near zero is refused
  by its description; through the real trusted path (a sandboxed
  kernel, the model carried as a validated description) the Lambda is
  refused and the reference carried the same way passes with the same
  numbers;
* the same seed gives the same accuracies, whatever weights, seed or
  training the student's model arrives with.

The thresholds and the runs over 5 seeds behind them are in
``bench/RESULTS.md`` (``bench/ch05_accuracy_check.py``); the models are
the bench's own, so the ones proven here are the ones recorded (no
answer is importable from ``rnn_course``).
"""

import json

import check_suite as suite
import keras
import nbformat
import numpy as np
import pytest
from conftest import ROOT, load_script
from hidden_checks import accuracy, ch05_model  # after check_suite

CHECK = ch05_model.check_build_regularised_model


#: The models of the bench whose runs set A and G, proven here on the
#: check's seed: name -> builder.
BENCH = load_script("bench/ch05_accuracy_check.py")
MODELS = {name: builder for name, (_, builder, _) in BENCH.MODELS.items()}
dense_model = BENCH.dense_model
reference = MODELS["reference"]
dropout_only = MODELS["dropout"]
l2_functional = MODELS["l2"]
baseline = MODELS["baseline"]
one_unit = MODELS["one_unit"]
strong_l2 = MODELS["strong_l2"]
logistic_l2 = dense_model([], l2=1e-3)
unregularised = MODELS["small_unregularised"]


def same_to_3_decimals(a, b):
    return all(
        round(getattr(a, f), 3) == round(getattr(b, f), 3)
        for f in ("train_accuracy", "val_accuracy", "gap")
    )


@pytest.fixture(scope="module")
def reference_run():
    """The reference measured by the check, on the check's seed."""
    return ch05_model.measure(reference)


# --------------------------------------------------------- what passes


def test_the_new_path_gives_the_recorded_run(reference_run):
    # The model is built from its description and trained in the
    # trainer's sandbox; the check's seed gives exactly the run recorded
    # by the bench, so the thresholds taken from those runs still hold.
    recorded = json.loads((ROOT / "bench" / "ch05_accuracy_check.json")
                          .read_text("utf-8"))
    run = recorded["models"]["reference"]["runs"][ch05_model.SEED]
    assert run["seed"] == ch05_model.SEED
    assert reference_run.val_accuracy == run["val_accuracy"]
    assert reference_run.train_accuracy == run["train_accuracy"]




def test_reference_passes(reference_run):
    ch05_model.verdict(reference_run, "en")
    ch05_model.verdict(reference_run, "es")
    assert reference_run.seconds < 60


def test_reference_passes_and_leaves_global_state_alone():
    suite.assert_global_state_unchanged(lambda: CHECK(reference, lang="es"))


@pytest.mark.parametrize("variant", [dropout_only, l2_functional],
                         ids=["dropout-only", "l2-only-functional"])
def test_other_regularised_models_pass(variant):
    CHECK(variant, lang="en")


def test_same_seed_same_accuracy_whatever_the_model_arrives_with(
        reference_run):
    def pretrained(num_words):
        # The student's own seed and training must not matter: the
        # check trains a fresh copy from its own seed.
        keras.utils.set_random_seed(987)
        model = reference(num_words)
        rng = np.random.default_rng(3)
        x = rng.integers(0, 2, (256, num_words)).astype("float32")
        model.fit(x, x[:, 1], epochs=3, verbose=0)
        return model

    again = ch05_model.measure(pretrained)
    assert same_to_3_decimals(again, reference_run), (again, reference_run)


# --------------------------------------------------------- what fails


@pytest.fixture(scope="module")
def baseline_run():
    return ch05_model.measure(baseline)


def test_baseline_fails_on_the_gap(baseline_run):
    assert baseline_run.gap > ch05_model.MAX_GAP
    assert baseline_run.val_accuracy >= ch05_model.MIN_VAL_ACCURACY
    messages = {}
    for lang in suite.LANGS:
        with pytest.raises(AssertionError) as caught:
            ch05_model.verdict(baseline_run, lang)
        messages[lang] = str(caught.value)
    assert "overfits" in messages["en"]
    assert "underfits" not in messages["en"]
    assert f"{baseline_run.gap:.3f}" in messages["en"]
    assert "sobreajusta" in messages["es"]
    assert "subajusta" not in messages["es"]


def test_underfitting_model_fails_on_the_accuracy():
    english = suite.failure(CHECK, strong_l2, "en")
    spanish = suite.failure(CHECK, strong_l2, "es")
    assert "underfits" in english and "overfits" not in english
    assert f"at least {ch05_model.MIN_VAL_ACCURACY:.3f}" in english
    assert "subajusta" in spanish and "sobreajusta" not in spanish


def not_a_model(num_words):
    return np.zeros((num_words, 1))


def not_compiled(num_words):
    return keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def wrong_input(num_words):
    model = dense_model([16, 16], dropout=0.5)(num_words + 1)
    return model


def no_input(num_words):
    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


def two_outputs(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


def mse_loss(num_words):
    model = dense_model([16, 16], dropout=0.5)(num_words)
    model.compile(optimizer="rmsprop", loss="mse")
    return model


def logits_loss(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="rmsprop",
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def no_sigmoid(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def slow_unregularised(num_words):
    # Keeps the gap small within the check's budget by learning slowly.
    model = unregularised(num_words)
    model.compile(optimizer=keras.optimizers.Adam(2e-4),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def no_metric(num_words):
    model = reference(num_words)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


def smuggled_weights(num_words):
    # Weights trained in the kernel, frozen in Constant initialisers and
    # kept by a learning rate of zero.
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((num_words,))] + [
        keras.layers.Dense(
            units, activation=activation,
            kernel_initializer=keras.initializers.Constant(
                rng.standard_normal((fan_in, units)).astype("float32")))
        for fan_in, units, activation in ((num_words, 16, "relu"),
                                          (16, 16, "relu"),
                                          (16, 1, "sigmoid"))])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def frozen_learning_rate(num_words):
    model = reference(num_words)
    model.compile(optimizer=keras.optimizers.SGD(1e-7),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def with_lambda(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Lambda(lambda t: 2.0 * t),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


#: (mutant, words of its English message); none of them trains except
#: ``no_sigmoid``, whose outputs are judged after training.
REFUSED = [
    (not_a_model, "must return a Keras model"),
    (not_compiled, "is not compiled"),
    (wrong_input, f"its input shape is (None, {ch05_model.NUM_WORDS + 1})"),
    (no_input, "it has no input shape"),
    (two_outputs, "its output shape is (None, 2)"),
    (mse_loss, "binary cross-entropy"),
    (logits_loss, "binary cross-entropy"),
    (no_sigmoid, "not probabilities"),
    (slow_unregularised, "are not regularised"),
    (logistic_l2, "two hidden Dense layers of 16 units"),
    (one_unit, "hidden Dense layers have [1] units"),
    (no_metric, "metrics=[\"accuracy\"]"),
    (smuggled_weights, "Constant initialiser may hold a number only"),
    (frozen_learning_rate, "learning rate 1e-07 is below"),
    (with_lambda, "Lambda is not allowed"),
]


@pytest.mark.parametrize(("mutant", "words"), REFUSED,
                         ids=[m.__name__ for m, _ in REFUSED])
def test_wrong_models_are_refused_clearly(mutant, words):
    suite.assert_mutant_fails(CHECK, mutant, hint=words)


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
    monkeypatch.setattr(ch05_model, "MAX_SECONDS", 0.01)
    suite.assert_mutant_fails(CHECK, reference,
                              hint="stopped the training")


def test_the_loss_is_recognised_in_every_usual_form():
    # The string, its alias, the class and the function all pass; only
    # a different loss fails.
    for loss in ("binary_crossentropy", "bce",
                 keras.losses.BinaryCrossentropy(),
                 keras.losses.binary_crossentropy):
        assert accuracy._is_binary_cross_entropy(loss), loss
    for loss in ("mse", keras.losses.BinaryCrossentropy(from_logits=True),
                 None, 3, ["binary_crossentropy"]):
        assert not accuracy._is_binary_cross_entropy(loss), loss


# ------------------------------------------------- the real trusted path

STUDENT_CELL = '''
import keras


def build_regularised_model(num_words):
    l2 = keras.regularizers.L2(1e-3)
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=l2),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=l2),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def with_lambda(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Lambda(lambda t: 2.0 * t),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
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
        carried = ch05_model.measure(
            Proxy("build_regularised_model", session))
    assert "Lambda" in messages["en"]
    assert "built-in layers" in messages["en"]
    assert "Lambda" in messages["es"]
    assert "capas integradas" in messages["es"]
    for message in messages.values():
        assert message.startswith(ch05_model.NAME)
        assert "Traceback" not in message
        assert "NumPy arrays" not in message  # not the generic refusal
    ch05_model.verdict(carried, "en")
    assert same_to_3_decimals(carried, reference_run), (carried,
                                                        reference_run)


# ---------------------------------------------- the recorded thresholds


def test_thresholds_are_the_recorded_ones():
    recorded = json.loads(
        (ROOT / "bench" / "ch05_accuracy_check.json").read_text("utf-8"))
    settings = recorded["settings"]
    assert settings == {
        "num_words": ch05_model.NUM_WORDS,
        "train": ch05_model.TRAIN,
        "validation": ch05_model.VALIDATION,
        "data_seed": accuracy.DATA_SEED,
        "epochs": ch05_model.BUDGET.epochs,
        "batch_size": ch05_model.BUDGET.batch_size,
        "check_seed": ch05_model.SEED,
        "margin": settings["margin"],
    }
    assert recorded["rule_broken"] == []
    assert recorded["thresholds"] == {"A": ch05_model.MIN_VAL_ACCURACY,
                                      "G": ch05_model.MAX_GAP}
    runs = recorded["models"]
    assert len(runs["reference"]["runs"]) >= 5
    ref = runs["reference"]["runs"]
    margin = settings["margin"]
    assert ch05_model.MIN_VAL_ACCURACY <= min(
        r["val_accuracy"] for r in ref) - margin
    assert ch05_model.MAX_GAP >= max(r["gap"] for r in ref) + margin
    assert all(r["gap"] > ch05_model.MAX_GAP
               for r in runs["baseline"]["runs"])
    results = (ROOT / "bench" / "RESULTS.md").read_text("utf-8")
    assert f"**A = {ch05_model.MIN_VAL_ACCURACY}**" in results
    assert f"**G = {ch05_model.MAX_GAP}**" in results
