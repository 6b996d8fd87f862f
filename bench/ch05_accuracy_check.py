"""The training of chapter 5's accuracy check, on several models and seeds.

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \\
        nice -n 10 taskset -c 0 .venv/bin/python \\
        bench/ch05_accuracy_check.py [--seeds 5]

Runs exactly what ``check_build_regularised_model`` runs (the refusals,
then :func:`hidden_checks.accuracy.train` with the check's data, budget
and a seed) on:

* the reference: Dense 16-16-1, dropout 0.5 after each hidden layer, L2
  1e-3 on the hidden kernels, RMSprop;
* two other regularised models that must pass: dropout only, and L2
  only (5e-3, written with the functional API and Keras objects);
* the enlarged unregularised baseline Dense 512-512-1, which must fail
  the gap G on every seed, and, for comparison, the unregularised Dense
  16-16-1 and a logistic regression (no hidden layer);
* two "regularised" models that underfit and must fail A: one hidden
  unit (L2 1e-3), and Dense 16-16-1 under an L2 penalty of 0.1;

each over seeds 0, 1, ..., printing the seconds, the accuracies and the
gap of every run. Then it runs the reference on the check's own seed
once more (same accuracies to 3 decimals, or exit 1), applies the rule
of the thresholds and writes ``bench/ch05_accuracy_check.json``.

The rule (exit 1 if broken): A = the reference's minimum validation
accuracy less ``MARGIN``, G = its maximum gap plus ``MARGIN``, each
rounded outwards to 0.005; the check's constants must equal them; the
baseline fails G and the underfitting models fail A on every seed; the
other regularised models pass both on every seed.
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "autograder"))

import keras  # noqa: E402
from hidden_checks import ch05_model  # noqa: E402

#: Distance of A and G from the reference's worst run.
MARGIN = 0.02


def dense_model(units, *, dropout=0.0, l2=0.0, optimizer="rmsprop"):
    """A compiled multi-hot classifier: Dense(u, relu) per ``units``."""

    def build(num_words):
        layers = [keras.Input((num_words,))]
        for n in units:
            penalty = keras.regularizers.L2(l2) if l2 else None
            layers.append(keras.layers.Dense(
                n, activation="relu", kernel_regularizer=penalty))
            if dropout:
                layers.append(keras.layers.Dropout(dropout))
        layers.append(keras.layers.Dense(1, activation="sigmoid"))
        model = keras.Sequential(layers)
        model.compile(optimizer=optimizer, loss="binary_crossentropy",
                      metrics=["accuracy"])
        return model

    return build


def l2_functional(num_words):
    """The L2-only variant, written with the functional API and objects.

    Dense 16-16-1, L2 5e-3 on the hidden kernels, ``RMSprop(1e-3)``,
    ``BinaryCrossentropy()``.
    """
    reviews = keras.Input((num_words,))
    h = reviews
    for n in (16, 16):
        h = keras.layers.Dense(
            n, activation="relu",
            kernel_regularizer=keras.regularizers.l2(5e-3))(h)
    out = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(reviews, out)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.BinaryCrossentropy(),
                  metrics=["accuracy"])
    return model


#: name: (description, builder, what the check must say)
MODELS = {
    "reference": (
        "Dense 16-16-1, dropout 0.5 + L2 1e-3, RMSprop",
        dense_model([16, 16], dropout=0.5, l2=1e-3), "pass"),
    "dropout": (
        "Dense 16-16-1, dropout 0.5, RMSprop",
        dense_model([16, 16], dropout=0.5), "pass"),
    "l2": (
        "Dense 16-16-1, L2 5e-3, RMSprop (functional API)",
        l2_functional, "pass"),
    "baseline": (
        "Dense 512-512-1, unregularised, RMSprop",
        dense_model([512, 512]), "fail G"),
    "small_unregularised": (
        "Dense 16-16-1, unregularised, RMSprop",
        dense_model([16, 16]), "(none)"),
    "logistic": (
        "Dense 1 (sigmoid) on the inputs, no hidden layer, RMSprop",
        dense_model([]), "(none)"),
    "one_unit": (
        "Dense 1-1, L2 1e-3, RMSprop (underfits)",
        dense_model([1], l2=1e-3), "fail A"),
    "strong_l2": (
        "Dense 16-16-1, L2 0.1, RMSprop (underfits)",
        dense_model([16, 16], l2=0.1), "fail A"),
}


def round_out(value, step, up):
    """``value`` rounded to a multiple of ``step``, up or down."""
    scaled = value / step
    return round((math.ceil(scaled) if up else math.floor(scaled)) * step,
                 10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--out", type=Path,
                        default=HERE / "ch05_accuracy_check.json")
    args = parser.parse_args()

    start = time.perf_counter()
    ch05_model.accuracy.bag_of_words_data(
        ch05_model.NUM_WORDS, ch05_model.TRAIN, ch05_model.VALIDATION)
    data_seconds = time.perf_counter() - start
    print(f"data: {data_seconds:.1f} s (once per grading process)",
          flush=True)

    runs = {}
    for name in args.models:
        description, build, _ = MODELS[name]
        runs[name] = []
        for seed in range(args.seeds):
            m = ch05_model.measure(build, seed=seed)
            runs[name].append({"seed": seed, **m._asdict()})
            print(f"{name:20s} seed {seed}: {m.seconds:5.1f} s  "
                  f"train {m.train_accuracy:.4f}  val {m.val_accuracy:.4f}"
                  f"  gap {m.gap:.4f}  val loss {m.val_loss:.4f}",
                  flush=True)

    again = ch05_model.measure(MODELS["reference"][1],
                               seed=ch05_model.SEED)
    first = runs["reference"][ch05_model.SEED]
    repeat = {"seed": ch05_model.SEED, **again._asdict()}
    print(f"reference seed {ch05_model.SEED} again: val "
          f"{again.val_accuracy:.4f} (first {first['val_accuracy']:.4f}),"
          f" gap {again.gap:.4f} (first {first['gap']:.4f})", flush=True)

    ref = runs["reference"]
    a_rule = round_out(min(r["val_accuracy"] for r in ref) - MARGIN,
                       0.005, up=False)
    g_rule = round_out(max(r["gap"] for r in ref) + MARGIN, 0.005, up=True)
    a, g = ch05_model.MIN_VAL_ACCURACY, ch05_model.MAX_GAP
    broken = []
    if (a, g) != (a_rule, g_rule):
        broken.append(f"the check's A, G = {a}, {g}; the rule gives "
                      f"{a_rule}, {g_rule}")
    for name, (_, _, expected) in MODELS.items():
        for r in runs.get(name, []):
            passes_a, passes_g = r["val_accuracy"] >= a, r["gap"] <= g
            wrong = {
                "pass": not (passes_a and passes_g),
                "fail G": passes_g,
                "fail A": passes_a,
            }.get(expected, False)
            if wrong:
                broken.append(f"{name} seed {r['seed']} does not {expected}")
    if (round(again.val_accuracy, 3) != round(first["val_accuracy"], 3)
            or round(again.gap, 3) != round(first["gap"], 3)):
        broken.append("the same seed gave other accuracies")
    print(f"A = {a_rule} (reference minimum - {MARGIN}), "
          f"G = {g_rule} (reference maximum gap + {MARGIN})")
    print("rule satisfied" if not broken else "RULE BROKEN: "
          + "; ".join(broken))

    command = ("TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 "
               "nice -n 10 taskset -c 0 .venv/bin/python "
               "bench/ch05_accuracy_check.py " + " ".join(sys.argv[1:]))
    output = {
        "command": command.strip(),
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores (run on one), "
                   f"{platform.machine()}, Keras {keras.__version__}",
        "settings": {
            "num_words": ch05_model.NUM_WORDS,
            "train": ch05_model.TRAIN,
            "validation": ch05_model.VALIDATION,
            "data_seed": ch05_model.accuracy.DATA_SEED,
            "epochs": ch05_model.BUDGET.epochs,
            "batch_size": ch05_model.BUDGET.batch_size,
            "check_seed": ch05_model.SEED,
            "margin": MARGIN,
        },
        "data_seconds": data_seconds,
        "models": {name: {"description": MODELS[name][0],
                          "expected": MODELS[name][2], "runs": rs}
                   for name, rs in runs.items()},
        "repeat": repeat,
        "thresholds": {"A": a_rule, "G": g_rule},
        "rule_broken": broken,
    }
    args.out.write_text(json.dumps(output, indent=1) + "\n", "utf-8")
    print(f"wrote {args.out}")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
