"""Hidden check of chapter 5's graded Keras function, by accuracy.

``check_build_regularised_model(build_regularised_model, lang="en")``
calls the student's function with ``num_words = NUM_WORDS``, refuses
what is not a compiled Keras model of the multi-hot input with one
sigmoid output and the binary cross-entropy (:mod:`accuracy`), or whose
description breaks the docstring's structure (:func:`expect_structure`:
two hidden Dense layers of 16 units, regularised, the accuracy metric),
then trains the described model in the training sandbox: new weights
from ``SEED``, a fresh optimiser with the student's settings, on a
hidden subset of the
course's IMDB split (``TRAIN`` training and ``VALIDATION`` validation
reviews, seed ``accuracy.DATA_SEED``) for ``BUDGET``. It passes when the
validation accuracy is at least ``MIN_VAL_ACCURACY`` (A) and the final
training accuracy exceeds it by at most ``MAX_GAP`` (G).

A and G come from the reference model (Dense 16-16-1, dropout 0.5 after
each hidden layer, L2 1e-3, RMSprop) over 5 seeds with a margin:
``bench/ch05_accuracy_check.py`` measured them, and ``bench/RESULTS.md``
("Chapter 5 — accuracy check") records the runs, the rule and the
command. The enlarged unregularised Dense 512-512-1 fails G on every
seed; a model that underfits fails A.

The messages give the measured values and the budget, never the hidden
reviews.
"""

from . import accuracy
from ._common import Text, call, fail, hidden_check

#: Length of the multi-hot vectors the model must read (the slides').
NUM_WORDS = 10_000
#: Hidden subset: the whole training part of the course's split (in a
#: seeded order) and 5,000 validation reviews.
TRAIN, VALIDATION = 10_000, 5_000
#: Six epochs of batches of 256 reviews.
BUDGET = accuracy.Budget(epochs=6, batch_size=256)
#: Seed of the check's run (weights, dropout masks, batches).
SEED = 0
#: Units of each of the two hidden layers (the docstring's).
HIDDEN_UNITS = 16
#: Weights of the reference (Dense 16-16-1 on NUM_WORDS inputs).
REFERENCE_PARAMETERS = 160_305
#: Most weights a model may have: 40 times the reference (the enlarged
#: 512-512-1 network of the page, 5,383,681 weights, fits; a model that
#: declares far more is refused before its weights are allocated).
MAX_PARAMETERS = 40 * REFERENCE_PARAMETERS
#: Longest training, in seconds of the trainer's CPU time (a busy machine
#: does not count against it). The reference trains in 3-15 s, the
#: 512-512-1 baseline in 19-50 s on the shared 2 cores (bench/RESULTS.md);
#: only a model far too large or slow for the chapter is stopped.
MAX_SECONDS = 120
#: A: the reference's lowest validation accuracy over seeds 0-4
#: (0.8794) less a margin of 0.02, rounded down to 0.005.
MIN_VAL_ACCURACY = 0.855
#: G: the reference's widest gap over seeds 0-4 (0.0764) plus a margin
#: of 0.02, rounded up to 0.005.
MAX_GAP = 0.1

#: Said when the check stops a training that runs past MAX_SECONDS.
HINT = Text("Dense 16-16-1 trains in a few seconds.",
            "Dense 16-16-1 se entrena en unos segundos.")

NAME = "build_regularised_model"


def _build(student_fn, lang):
    """The student's model; a model refused at the boundary fails here."""
    build = accuracy.Refusing(student_fn)
    model = call(build, (NUM_WORDS,), name=NAME, arg_names=("num_words",),
                 lang=lang)
    if build.refused is not None:
        fail(lang, f"{NAME} {build.refused}.")
    return model


def expect_structure(spec, lang):
    """Fail unless the description keeps the docstring's promises.

    Two hidden Dense layers of 16 units before the output layer, at least
    one of them regularised (an L1/L2 penalty on its weights, or a
    Dropout with a positive rate after it), and the accuracy metric. The
    accuracy and the gap alone cannot tell these: an unregularised
    16-16-1 network with a slow optimiser keeps a small gap within the
    check's budget, and a logistic regression with L2 reaches A.
    """
    layers = spec["layers"]
    dense = [i for i, layer in enumerate(layers)
             if layer["class_name"] == "Dense"]
    hidden = dense[:-1]
    sizes = [layers[i]["config"]["units"] for i in hidden]
    if sizes != [HIDDEN_UNITS, HIDDEN_UNITS]:
        fail(lang, Text(
            f"The model of {NAME} must have two hidden Dense layers of "
            f"{HIDDEN_UNITS} units before the output layer; its hidden "
            f"Dense layers have {sizes or 'no'} units.",
            f"El modelo de {NAME} debe tener dos capas Dense ocultas de "
            f"{HIDDEN_UNITS} unidades antes de la capa de salida; sus "
            f"capas Dense ocultas tienen {sizes or 'ninguna'} unidades.",
        ))
    if not any(_regularised(layers, i, dense) for i in hidden):
        fail(lang, Text(
            f"The hidden layers of the model of {NAME} are not "
            "regularised: add dropout after them (e.g. "
            "`keras.layers.Dropout(0.5)`) and/or a penalty on their "
            "weights (`kernel_regularizer=keras.regularizers.L2(1e-3)`).",
            f"Las capas ocultas del modelo de {NAME} no están "
            "regularizadas: agrega dropout después de ellas (p. ej. "
            "`keras.layers.Dropout(0.5)`) y/o una penalización sobre sus "
            "pesos (`kernel_regularizer=keras.regularizers.L2(1e-3)`).",
        ))
    accuracy.expect_accuracy_metric(spec, name=NAME, lang=lang)


def _regularised(layers, index, dense):
    """True when the Dense layer at ``index`` is regularised."""
    penalty = layers[index]["config"].get("kernel_regularizer")
    if penalty is not None and any(
            v > 0 for v in penalty["config"].values()):
        return True
    following = [i for i in dense if i > index]
    end = following[0] if following else len(layers)
    return any(layer["class_name"] == "Dropout"
               and layer["config"]["rate"] > 0
               for layer in layers[index + 1:end])


def measure(student_fn, lang="en", seed=SEED, structure=False):
    """Build, refuse or train the student's model; its measurements.

    ``structure``: also refuse a model that breaks the docstring's
    structure (:func:`expect_structure`), as the check does; the bench
    measures every model without it.

    Returns
    -------
    accuracy.Measured
    """
    with accuracy.kept_random_state():  # the student's code draws too
        model = _build(student_fn, lang)
        accuracy.expect_model(model, name=NAME, num_words=NUM_WORDS,
                              lang=lang)
        spec = accuracy.model_spec(model, name=NAME, lang=lang)
    if structure:
        expect_structure(spec, lang)
    data = accuracy.bag_of_words_data(NUM_WORDS, TRAIN, VALIDATION)
    measured, p_val = accuracy.train(
        spec, data, BUDGET, seed, max_seconds=MAX_SECONDS,
        max_parameters=MAX_PARAMETERS, name=NAME, lang=lang,
        hint=HINT)
    accuracy.expect_probabilities(p_val, name=NAME, lang=lang)
    return measured


def verdict(measured, lang):
    """Fail unless ``measured`` meets A and G; say which one failed."""
    low = not measured.val_accuracy >= MIN_VAL_ACCURACY
    wide = not measured.gap <= MAX_GAP
    if not (low or wide):
        return
    run = Text(
        f"Trained by the check ({BUDGET.epochs} epochs, batches of "
        f"{BUDGET.batch_size}, {TRAIN} hidden training reviews), the "
        f"model of {NAME} reached a training accuracy of "
        f"{measured.train_accuracy:.3f} and a validation accuracy of "
        f"{measured.val_accuracy:.3f} (gap {measured.gap:.3f}).",
        f"Entrenado por la prueba ({BUDGET.epochs} épocas, lotes de "
        f"{BUDGET.batch_size}, {TRAIN} reseñas de entrenamiento ocultas), "
        f"el modelo de {NAME} alcanzó una exactitud de entrenamiento de "
        f"{measured.train_accuracy:.3f} y una exactitud de validación de "
        f"{measured.val_accuracy:.3f} (brecha {measured.gap:.3f}).",
    )
    parts = [run]
    if low:
        parts.append(Text(
            f"The validation accuracy must be at least "
            f"{MIN_VAL_ACCURACY:.3f}: the model underfits. A model that "
            "is too small or too strongly penalised cannot fit the "
            "reviews; keep enough units (e.g. 16 and 16) and a moderate "
            "penalty (lambda about 0.001) or dropout.",
            f"La exactitud de validación debe ser al menos "
            f"{MIN_VAL_ACCURACY:.3f}: el modelo subajusta. Un modelo "
            "demasiado pequeño o penalizado con demasiada fuerza no "
            "puede ajustar las reseñas; conserva suficientes unidades "
            "(p. ej. 16 y 16) y una penalización moderada (lambda de "
            "alrededor de 0.001) o dropout.",
        ))
    if wide:
        parts.append(Text(
            f"The training accuracy may exceed the validation accuracy "
            f"by at most {MAX_GAP:.3f}: the model overfits. Regularise "
            "it: dropout (e.g. 0.5 after each hidden layer), an L2 "
            "penalty on the weights, or fewer units.",
            f"La exactitud de entrenamiento puede superar a la de "
            f"validación en {MAX_GAP:.3f} como máximo: el modelo "
            "sobreajusta. Regularízalo: dropout (p. ej. 0.5 tras cada "
            "capa oculta), una penalización L2 sobre los pesos o menos "
            "unidades.",
        ))
    fail(lang, *parts)


@hidden_check
def check_build_regularised_model(student_fn, lang="en"):
    """Check ``build_regularised_model(num_words) -> keras.Model``.

    The model must read multi-hot vectors of length ``num_words``, give
    one sigmoid output and be compiled with the binary cross-entropy.
    Trained here from fresh weights (``SEED``) for ``BUDGET`` on a hidden
    IMDB subset, it must reach a validation accuracy of at least
    ``MIN_VAL_ACCURACY`` with a training-minus-validation gap of at most
    ``MAX_GAP``.
    """
    verdict(measure(student_fn, lang, structure=True), lang)
