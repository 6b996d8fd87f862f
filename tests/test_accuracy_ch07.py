"""Chapter 7's accuracy check, ``check_build_seq2seq_model``, proven.

The check trains the student's encoder-decoder itself, from its
validated description, in the trainer's sandbox; every training costs
about a minute and a half of CPU, so this module trains once (the
reference, on the check's seed) and proves everything else without
training:

* the reference (GRU(64) encoder-decoder with dot-product attention, the
  bench's and the notebook's) passes, with exactly the exact-match share
  recorded by the bench (the thresholds come from those runs);
* what is not a compiled encoder-decoder of two id inputs with the next
  id's probabilities, or breaks the docstring's structure (no attention,
  no recurrent layer, unmasked embeddings, another loss, no accuracy
  metric), or is not allowed at the boundary (a Lambda, smuggled
  weights, a learning rate near zero), is refused with a message that
  says why, before any training;
* the student's seed and training cannot change the grade: the grade is
  a function of the description (the trainer gives the same outputs for
  the same description and seed, ``tests/test_models.py``), and a model
  trained in the kernel has the same description as a fresh one;
* the recorded runs satisfy the rule: A from the reference's 5 seeds,
  the attention-free model of the same size fails A on at least 4 of
  them and the slow optimiser on every one.
"""

import json
import math

import check_suite as suite
import keras
import numpy as np
import pytest
from conftest import ROOT, load_script
from hidden_checks import accuracy, ch07_model  # after check_suite

CHECK = ch07_model.check_build_seq2seq_model
BENCH = load_script("bench/ch07_accuracy_check.py")
reference = BENCH.MODELS["reference"][1]
plain = BENCH.MODELS["plain"][1]
RECORD = json.loads(
    (ROOT / "bench" / "ch07_accuracy_check.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def reference_run():
    return ch07_model.measure(reference, structure=True)


def test_reference_passes_with_the_recorded_numbers(reference_run):
    ch07_model.verdict(reference_run, "en")
    ch07_model.verdict(reference_run, "es")
    run = RECORD["models"]["reference"]["runs"][ch07_model.SEED]
    assert run["seed"] == ch07_model.SEED
    assert reference_run.exact_match == run["exact_match"]
    assert reference_run.character_accuracy == run["character_accuracy"]


def test_the_reference_has_the_stated_size():
    hidden = ch07_model.data()
    model = reference(len(hidden.source_vocabulary),
                      len(hidden.target_vocabulary))
    assert model.count_params() == ch07_model.REFERENCE_PARAMETERS


def test_the_verdict_names_the_share_and_the_threshold():
    low = ch07_model.Measured(exact_match=0.12, character_accuracy=0.5,
                              seconds=1.0)
    for lang, words in (("en", "decoded 0.120"), ("es", "exactamente 0.120")):
        with pytest.raises(AssertionError) as caught:
            ch07_model.verdict(low, lang)
        assert words in str(caught.value)
        assert f"{ch07_model.MIN_EXACT_MATCH:.3f}" in str(caught.value)


# ------------------------------------------------ refused, untrained


def layers():
    return keras.layers


def encoder_decoder(*, attention=True, mask=True, cell="GRU",
                    loss="sparse_categorical_crossentropy",
                    metrics=("accuracy",), optimizer=None,
                    initializer="glorot_uniform"):
    """The reference with one thing changed."""

    def build(source_vocab_size, target_vocab_size):
        L = layers()
        source = keras.Input((None,), dtype="int32")
        decoder = keras.Input((None,), dtype="int32")
        x = L.Embedding(source_vocab_size, 32, mask_zero=mask)(source)
        y = L.Embedding(target_vocab_size, 32, mask_zero=mask)(decoder)
        if cell is None:  # no recurrence: attention over the embeddings
            states, s = x, y
        else:
            recurrent = getattr(L, cell)
            states, *last = recurrent(64, return_sequences=True,
                                      return_state=True)(x)
            s = recurrent(64, return_sequences=True)(y, initial_state=last)
        if attention:
            s = L.Concatenate()([s, L.Attention()([s, states])])
        s = L.Dense(64, activation="tanh",
                    kernel_initializer=initializer)(s)
        out = L.Dense(target_vocab_size, activation="softmax")(s)
        model = keras.Model([source, decoder], out)
        model.compile(optimizer=optimizer or keras.optimizers.Adam(0.005),
                      loss=loss, metrics=list(metrics))
        return model

    return build


def one_input(source_vocab_size, target_vocab_size):
    source = keras.Input((None,), dtype="int32")
    x = layers().Embedding(source_vocab_size, 16, mask_zero=True)(source)
    x = layers().GRU(16, return_sequences=True)(x)
    out = layers().Dense(target_vocab_size, activation="softmax")(x)
    model = keras.Model(source, out)
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def wrong_output(source_vocab_size, target_vocab_size):
    return reference(source_vocab_size, target_vocab_size + 1)


def not_compiled(source_vocab_size, target_vocab_size):
    model = reference(source_vocab_size, target_vocab_size)
    return keras.Model(model.inputs, model.outputs)


def with_lambda(source_vocab_size, target_vocab_size):
    L = layers()
    source = keras.Input((None,), dtype="int32")
    decoder = keras.Input((None,), dtype="int32")
    x = L.Embedding(source_vocab_size, 32, mask_zero=True)(source)
    x = L.Lambda(lambda t: 2.0 * t)(x)
    states, last = L.GRU(64, return_sequences=True, return_state=True)(x)
    y = L.Embedding(target_vocab_size, 32, mask_zero=True)(decoder)
    s = L.GRU(64, return_sequences=True)(y, initial_state=last)
    s = L.Concatenate()([s, L.Attention()([s, states])])
    out = L.Dense(target_vocab_size, activation="softmax")(s)
    model = keras.Model([source, decoder], out)
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


#: (mutant, words of its English message, of its Spanish one)
REFUSED = [
    (one_input, "two inputs of token ids", "dos entradas de índices"),
    (wrong_output, "its output shape is (None, None, 14)",
     "su forma de salida es (None, None, 14)"),
    (not_compiled, "is not compiled", "no está compilado"),
    (plain, "must attend to the encoder's states",
     "debe atender a los estados del codificador"),
    (encoder_decoder(cell=None), "needs a recurrent encoder",
     "necesita un codificador y un decodificador recurrentes"),
    (encoder_decoder(mask=False), "mask_zero=True", "mask_zero=True"),
    (encoder_decoder(loss="categorical_crossentropy"),
     "sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
    (encoder_decoder(loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True)), "sparse_categorical_crossentropy",
     "sparse_categorical_crossentropy"),
    (encoder_decoder(metrics=()), "metrics=[\"accuracy\"]",
     "metrics=[\"accuracy\"]"),
    (with_lambda, "Lambda is not allowed", "Lambda no está permitida"),
    (encoder_decoder(initializer=keras.initializers.Constant(
        np.ones((128, 64), np.float32))),
     "Constant initialiser may hold a number only",
     "solo puede tener un número"),
    (encoder_decoder(optimizer=keras.optimizers.SGD(1e-6)),
     "learning rate 1e-06 is below", "tasa de aprendizaje 1e-06"),
]


@pytest.mark.parametrize(("mutant", "words", "palabras"), REFUSED,
                         ids=range(len(REFUSED)))
def test_wrong_models_are_refused_before_training(mutant, words, palabras,
                                                  monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained")

    monkeypatch.setattr(accuracy, "decode", no_training)
    suite.assert_mutant_fails(CHECK, mutant, hint=words)
    assert palabras in suite.failure(CHECK, mutant, "es")


def test_an_lstm_encoder_decoder_is_accepted_by_structure():
    build = encoder_decoder(cell="LSTM")
    hidden = ch07_model.data()
    model = build(len(hidden.source_vocabulary),
                  len(hidden.target_vocabulary))
    spec = accuracy.model_spec(model, name=ch07_model.NAME, lang="en")
    ch07_model.expect_structure(spec, "en")


@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(broken):
    suite.assert_broken_fails(CHECK, broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(CHECK)


def test_unknown_language_is_an_error():
    suite.assert_unknown_language_is_an_error(CHECK, reference)


def test_a_model_too_slow_to_train_is_stopped(monkeypatch):
    monkeypatch.setattr(ch07_model, "MAX_SECONDS", 0.01)
    suite.assert_mutant_fails(CHECK, reference, hint="stopped the training")


def test_the_students_seed_and_training_do_not_reach_the_grade():
    hidden = ch07_model.data()
    sizes = (len(hidden.source_vocabulary), len(hidden.target_vocabulary))
    keras.backend.clear_session()  # the same generated names twice
    fresh = reference(*sizes)
    keras.backend.clear_session()
    keras.utils.set_random_seed(987)
    trained = reference(*sizes)
    trained.fit([hidden.sources[:64], hidden.decoder_inputs[:64]],
                hidden.targets[:64], epochs=1, verbose=0)
    specs = [accuracy.model_spec(m, name=ch07_model.NAME, lang="en")
             for m in (fresh, trained)]
    assert specs[0] == specs[1]  # what is trained is the description


def test_the_hidden_data_are_split_by_value_and_read_only():
    hidden = ch07_model.data()
    assert len(hidden.sources) == 2 * ch07_model.TRAIN_VALUES
    assert len(hidden.test_targets) == 2 * ch07_model.TEST_VALUES
    train_values = {hidden.target_vocabulary.decode(row[1:])
                    for row in hidden.decoder_inputs}
    assert not train_values & set(hidden.test_targets)
    assert not any(a.flags.writeable for a in (
        hidden.sources, hidden.decoder_inputs, hidden.targets,
        hidden.test_sources))


# ---------------------------------------------- the recorded threshold


def test_threshold_is_the_recorded_one():
    settings = RECORD["settings"]
    assert settings == {
        "seeds": settings["seeds"], "check_seed": ch07_model.SEED,
        "train_values": ch07_model.TRAIN_VALUES,
        "test_values": ch07_model.TEST_VALUES,
        "data_seed": ch07_model.DATA_SEED,
        "epochs": ch07_model.BUDGET.epochs,
        "batch_size": ch07_model.BUDGET.batch_size,
        "margin": settings["margin"],
    }
    assert RECORD["rule_broken"] == []
    runs = RECORD["models"]
    ref = [r["exact_match"] for r in runs["reference"]["runs"]]
    assert len(ref) >= 5
    a_rule = math.floor((min(ref) - settings["margin"]) * 100) / 100
    assert ch07_model.MIN_EXACT_MATCH == a_rule
    assert RECORD["thresholds"] == {"A": ch07_model.MIN_EXACT_MATCH}
    plain_runs = runs["plain"]["runs"]
    assert len(plain_runs) >= 5
    assert sum(r["exact_match"] < a_rule for r in plain_runs) >= 4
    assert all(r["exact_match"] < a_rule for r in runs["slow"]["runs"])
    assert all(r["seconds"] <= 120 for r in runs["reference"]["runs"])
    results = (ROOT / "bench" / "RESULTS.md").read_text("utf-8")
    assert "## Chapter 7 — accuracy check" in results
    assert f"**A = {ch07_model.MIN_EXACT_MATCH}**" in results
