"""Models cross the grading boundary as validated descriptions.

``trusted_grading.describe`` turns a Keras model into JSON values in the
student's kernel; ``trusted_grading.models`` validates them against an
allowlist and builds the grader's own model; ``trusted_grading.training``
trains a description in a sandbox of its own. Proven here:

* the models of the course (chapters 5–7: Sequential and functional,
  masked embeddings, wrappers, attention, several inputs and states)
  survive the round trip description -> model -> description;
* no weight crosses: a rebuilt model's weights are all new, but for an
  Embedding holding an array the function received, which holds the
  grader's own copy;
* everything outside the allowlist is refused by name, in both
  languages: custom and dangerous layers (Lambda, TFSMLayer), arrays in
  initialisers (smuggled weights), learning rates near zero, frozen
  layers, constraints, unknown arguments, schedules, losses and metrics;
* a model that declares millions of weights is refused before anything
  is allocated, layer by layer;
* the trainer returns numbers only, the same for the same seed, and its
  caps stop what runs past them.
"""

import json

import check_suite  # noqa: F401 -- puts autograder/ on sys.path
import keras
import numpy as np
import pytest
from trusted_grading import describe, models, training  # after check_suite


def described(model, arguments=()):
    """What the kernel would send: JSON text, parsed again."""
    return json.loads(json.dumps(describe.describe(model, arguments)))


def canonical(spec):
    """``spec`` without the generated names of operations."""
    import re

    return re.sub(r"not_equal_\d+", "not_equal", json.dumps(spec))


def compiled(model, loss="binary_crossentropy", optimizer="adam"):
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def dense_16_16():
    l2 = keras.regularizers.L2(1e-3)
    return compiled(keras.Sequential([
        keras.Input((100,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=l2),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=l2),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ]), optimizer="rmsprop")


MATRIX = np.random.default_rng(0).standard_normal((50, 8)).astype(
    np.float32)


def frozen_gru():
    embedding = keras.layers.Embedding(50, 8, mask_zero=True,
                                       trainable=False)
    model = keras.Sequential([
        keras.Input((20,), dtype="int32"), embedding,
        keras.layers.Bidirectional(keras.layers.GRU(4)),
        keras.layers.Dense(1, activation="sigmoid")])
    embedding.set_weights([MATRIX])
    return compiled(model, optimizer=keras.optimizers.Adam(0.005))


def constant_lstm_functional():
    tokens = keras.Input((20,), dtype="int32")
    x = keras.layers.Embedding(
        50, 8, mask_zero=True, trainable=False,
        embeddings_initializer=keras.initializers.Constant(MATRIX))(tokens)
    x = keras.layers.LSTM(4, dropout=0.2)(x)
    out = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(tokens, out)
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model


def seq2seq_with_attention():
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    x = keras.layers.Embedding(30, 8, mask_zero=True)(source)
    states, last = keras.layers.GRU(16, return_sequences=True,
                                    return_state=True)(x)
    y = keras.layers.Embedding(12, 8, mask_zero=True)(target)
    y = keras.layers.GRU(16, return_sequences=True)(y, initial_state=last)
    context = keras.layers.Attention()([y, states])
    heads = keras.layers.MultiHeadAttention(2, 8)(y, states)
    y = keras.layers.Concatenate()([y, context, heads])
    y = keras.layers.LayerNormalization()(y)
    out = keras.layers.Dense(12, activation="softmax")(y)
    return compiled(keras.Model([source, target], out),
                    loss="sparse_categorical_crossentropy")


COURSE_MODELS = [dense_16_16, frozen_gru, constant_lstm_functional,
                 seq2seq_with_attention]


@pytest.mark.parametrize("make", COURSE_MODELS,
                         ids=[m.__name__ for m in COURSE_MODELS])
def test_course_models_survive_the_round_trip(make):
    model = make()
    arguments = [(("a", 0), MATRIX)]
    spec = models.validate(described(model, arguments))
    rebuilt = models.build(spec, weights=dict(arguments).get)
    again = models.validate(described(rebuilt, arguments))
    assert canonical(again) == canonical(spec)
    assert rebuilt.count_params() == model.count_params()
    assert rebuilt.output_shape == model.output_shape
    assert rebuilt.loss == model.loss or isinstance(model.loss, object)


@pytest.mark.parametrize("make", COURSE_MODELS,
                         ids=[m.__name__ for m in COURSE_MODELS])
def test_no_weight_crosses_but_the_given_matrix(make):
    model = make()
    for weight in model.weights:  # "trained" in the kernel
        if not np.array_equal(np.asarray(weight), MATRIX):
            weight.assign(np.asarray(weight) + 0.125)
    arguments = [(("a", 0), MATRIX)]
    spec = models.validate(described(model, arguments))
    keras.utils.set_random_seed(1)
    rebuilt = models.build(spec, weights=dict(arguments).get)
    held = 0
    for mine, theirs in zip(rebuilt.weights, model.weights, strict=True):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        if np.array_equal(theirs, MATRIX):
            assert np.array_equal(mine, MATRIX)  # the grader's copy
            held += 1
        else:
            assert not np.any(mine == theirs), theirs.shape
    assert held == (make in (frozen_gru, constant_lstm_functional))


def test_the_description_is_small_and_holds_no_array():
    model = constant_lstm_functional()
    text = json.dumps(describe.describe(model, [(("a", 0), MATRIX)]))
    assert len(text) < 20_000
    assert "__numpy__" not in text and str(float(MATRIX[3, 3])) not in text


def test_a_matrix_that_is_not_the_argument_is_not_a_reference():
    model = frozen_gru()
    other = MATRIX + 1.0
    with pytest.raises(models.Refused, match="is frozen"):
        models.validate(described(model, [(("a", 0), other)]))


def dense(*layers, optimizer="adam", loss="binary_crossentropy"):
    return compiled(keras.Sequential([keras.Input((4,)), *layers]),
                    optimizer=optimizer, loss=loss)


class Custom(keras.layers.Layer):
    def call(self, x):
        return x


#: (model maker, words of the English refusal, of the Spanish one)
REFUSED = [
    (lambda: dense(keras.layers.Lambda(lambda t: t)),
     "Lambda is not allowed", "Lambda no está permitida"),
    (lambda: dense(Custom()), "Custom is not allowed",
     "Custom no está permitida"),
    (lambda: dense(keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(np.ones((4, 1))))),
     "Constant initialiser may hold a number only",
     "solo puede tener un número"),
    (lambda: dense(keras.layers.Dense(1), optimizer=keras.optimizers.SGD(0.0)),
     "learning rate 0 is below", "tasa de aprendizaje 0"),
    (lambda: dense(keras.layers.Dense(1), optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))),
     "schedule is not allowed", "calendario"),
    (lambda: dense(keras.layers.Dense(1, trainable=False)),
     "is frozen", "está congelada"),
    (lambda: dense(keras.layers.Dense(
        1, kernel_constraint=keras.constraints.MaxNorm(2.0))),
     "kernel_constraint: is not supported", "no está disponible"),
    (lambda: dense(keras.layers.Dense(4096)), "units: must be an integer",
     "debe ser un entero"),
    (lambda: dense(keras.layers.Dense(1, activation="sigmoid"),
                   loss=keras.losses.Hinge()),
     "loss 'Hinge' is not allowed", "pérdida 'Hinge'"),
    (lambda: dense(keras.layers.Dense(1, activation=keras.activations.relu6),
                   optimizer=keras.optimizers.Lion()),
     "optimiser Lion is not allowed", "optimizador Lion"),
    (lambda: dense(keras.layers.Dense(
        1, kernel_initializer=keras.initializers.RandomNormal(stddev=1e6))),
     "stddev: must be a number", "stddev: debe ser un número"),
    (lambda: dense(keras.layers.Dense(
        1, kernel_regularizer=keras.regularizers.OrthogonalRegularizer())),
     "penalty OrthogonalRegularizer is not allowed", "penalización"),
]


@pytest.mark.parametrize(("make", "english", "spanish"), REFUSED,
                         ids=[r[1][:30] for r in REFUSED])
def test_what_is_not_allowed_is_refused_by_name(make, english, spanish):
    with pytest.raises(models.Refused) as caught:
        models.validate(described(make()))
    assert english in caught.value.text("en")
    assert spanish in caught.value.text("es")


def test_a_tfsmlayer_and_a_nested_model_are_refused():
    description = described(dense(keras.layers.Dense(1)))
    layers = description["config"]["layers"]
    for name in ("TFSMLayer", "Sequential", "Functional"):
        layers[1] = {"class_name": name, "module": "keras.layers",
                     "config": {"filepath": "/tmp/x", "name": "x"}}
        with pytest.raises(models.Refused, match=f"{name} is not allowed"):
            models.validate(description)


@pytest.mark.parametrize("tamper", [
    lambda d: d["config"]["layers"][1]["config"].update(
        units={"class_name": "__object__"}),
    lambda d: d["config"]["layers"][1]["config"].update(module="os"),
    lambda d: d["config"]["layers"][1]["config"].update(
        activation="keras.src.ops.exec"),
    lambda d: d.update(format=2),
    lambda d: d["config"].update(layers=[]),
    lambda d: d["config"].update(layers=d["config"]["layers"] * 40),
    lambda d: d["compile"].update(loss_weights=[2.0]),
    lambda d: d["compile"].update(run_eagerly=True),
    lambda d: d.update(weights={"dense": ["a", 0]}),
    lambda d: d["config"]["layers"][0]["config"].update(
        batch_shape=[32, 4]),
])
def test_tampered_descriptions_are_refused(tamper):
    description = described(dense(keras.layers.Dense(1, name="dense")))
    tamper(description)
    with pytest.raises(models.Refused):
        models.validate(description)


def test_seeds_named_by_the_student_are_dropped():
    model = dense(keras.layers.Dense(
        3, kernel_initializer=keras.initializers.GlorotUniform(seed=7)),
        keras.layers.Dropout(0.5, seed=7))
    spec = models.validate(described(model))
    initializer = spec["layers"][1]["config"]["kernel_initializer"]
    assert initializer["config"]["seed"] is None
    keras.utils.set_random_seed(0)
    first = models.build(spec).get_weights()[0]
    keras.utils.set_random_seed(1)
    second = models.build(spec).get_weights()[0]
    assert not np.array_equal(first, second)  # the grader's seed decides


def test_a_declared_size_bomb_is_refused_before_allocation():
    # 40 layers of 1,024 units: about 42 million weights declared in a
    # few kilobytes of JSON. The build stops at the layer that would
    # pass the cap, having allocated less than the cap.
    model = dense(*[keras.layers.Dense(1024) for _ in range(40)])
    spec = models.validate(described(model))
    with pytest.raises(models.Refused, match="more than 8,000,000") as c:
        models.build(spec)
    assert "8 000 000" in c.value.text("es")
    small = models.validate(described(dense(keras.layers.Dense(1024))))
    with pytest.raises(models.Refused, match="more than 1,000 weights"):
        models.build(small, max_parameters=1000)


def test_the_trainer_returns_numbers_the_same_for_the_same_seed():
    spec = models.validate(described(dense_16_16()))
    rng = np.random.default_rng(0)
    x = (rng.random((600, 100)) > 0.9).astype(np.float32)
    y = (x[:, :10].sum(axis=1) > 1).astype(np.float32)
    runs = [training.train(spec, x, y, x[:200], epochs=2, batch_size=64,
                           seed=seed, max_seconds=120, max_parameters=10**6)
            for seed in (0, 0, 1)]
    first, again, other = runs
    assert first.p_eval.shape == (200, 1) and first.p_eval.dtype == np.float32
    assert np.array_equal(first.p_eval, again.p_eval)
    assert not np.array_equal(first.p_eval, other.p_eval)
    assert first.parameters == dense_16_16().count_params()


def test_the_trainer_refuses_what_it_cannot_build():
    spec = models.validate(described(dense(keras.layers.Dense(1024))))
    x = np.zeros((10, 4), np.float32)
    outcome = training.train(spec, x, x[:, 0], x, epochs=1, batch_size=5,
                             seed=0, max_seconds=60, max_parameters=100)
    assert "more than 100 weights" in outcome.refused["en"]


def test_the_trainers_cpu_cap_stops_it(monkeypatch):
    monkeypatch.setattr(training, "SETUP_SECONDS", 1)
    spec = models.validate(described(dense_16_16()))
    x = np.zeros((100, 100), np.float32)
    with pytest.raises(training.TrainingFailed) as caught:
        training.train(spec, x, x[:, 0], x, epochs=1, batch_size=10,
                       seed=0, max_seconds=0, max_parameters=10**6)
    assert caught.value.reason == "cpu"


def test_the_trainer_cannot_write_outside_its_output(tmp_path):
    # The trainer's sandbox sees the course read-only: a file it tried to
    # write in the grading folder or the venv would fail. Proven with the
    # sandbox's own command line: only the output folder is writable.
    job, out = tmp_path / "job", tmp_path / "out"
    job.mkdir()
    out.mkdir()
    training._DATA.path(np.zeros(1))  # the data folder exists
    argv = training._sandboxed(["true"], {"PATH": "/usr/bin"}, job, out)
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert writable == [str(out)]
    assert "--unshare-net" in argv and "--die-with-parent" in argv
