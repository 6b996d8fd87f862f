"""SimpleRNN, LSTM and GRU on the adding problem; write the results.

    .venv/bin/python bench/ch04_gated.py [--epochs 20] [--seed 0]

Trains the three recurrent layers of Keras, one after the other, on the
adding problem with sequences of T = 100 steps (``rnn_course.sequences``),
with the same hidden size, data, batches, optimiser and seed, and
records for each one, epoch by epoch: the training loss, the validation
MSE and accuracy (answer within 0.04 of the target), and the seconds the
epoch took. Then it times one more epoch of each layer, from fresh
weights, in turns (SimpleRNN, LSTM, GRU, SimpleRNN, ...) for
``--timing-rounds`` rounds, and keeps each layer's fastest epoch: taking
turns and the minimum make the comparison fair on a shared machine,
where another job may slow down any one epoch. It also saves the trained
weights, which chapter 4's page uses to draw the gradients that reach
each step of a trained network.

Writes ``bench/ch04_gated.json`` (the command, the settings, the
curves) and ``bench/ch04_gated_weights.npz``. Chapter 4's page reads
both; it never trains these models itself. Run it on an idle machine if
you can: seconds per epoch depend on what else is running. The three
models see the same batches in the same order, so their times are
comparable within one run.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnn_course.sequences import adding_problem  # noqa: E402

HERE = Path(__file__).resolve().parent
LAYERS = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
}
#: An answer within this distance of the target counts as correct
#: (Hochreiter and Schmidhuber, 1997).
TOLERANCE = 0.04


def build(kind, length, hidden, learning_rate):
    """A recurrent layer of ``kind`` followed by one linear output."""
    model = keras.Sequential([
        keras.Input((length, 2)),
        LAYERS[kind](hidden, name="recurrent"),
        keras.layers.Dense(1, name="output"),
    ])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="mse",
    )
    return model


def train(kind, data, args):
    """Train one model; return its per-epoch record and its weights."""
    (x_train, y_train), (x_val, y_val) = data
    keras.utils.set_random_seed(args.seed)
    model = build(kind, args.length, args.hidden, args.learning_rate)
    order = np.random.default_rng(args.seed)
    record = {"train_loss": [], "val_mse": [], "val_accuracy": [],
              "seconds": []}
    for epoch in range(args.epochs):
        # The same shuffled batches for every kind of layer.
        perm = order.permutation(len(x_train))
        start = time.perf_counter()
        history = model.fit(x_train[perm], y_train[perm],
                            batch_size=args.batch, epochs=1,
                            shuffle=False, verbose=0)
        seconds = time.perf_counter() - start
        error = model.predict(x_val, batch_size=500, verbose=0) - y_val
        record["train_loss"].append(float(history.history["loss"][0]))
        record["val_mse"].append(float(np.mean(error ** 2)))
        record["val_accuracy"].append(
            float(np.mean(np.abs(error) < TOLERANCE)))
        record["seconds"].append(seconds)
        print(f"{kind:9s} epoch {epoch + 1:2d}: "
              f"train {record['train_loss'][-1]:.4f}  "
              f"val MSE {record['val_mse'][-1]:.4f}  "
              f"val accuracy {record['val_accuracy'][-1]:.3f}  "
              f"{seconds:.1f} s", flush=True)
    record["parameters"] = int(model.get_layer("recurrent").count_params())
    weights = {
        f"{kind}/{layer}/{i}": np.asarray(w)
        for layer in ("recurrent", "output")
        for i, w in enumerate(model.get_layer(layer).get_weights())
    }
    return record, weights


def time_epochs(data, args):
    """Fastest of ``args.timing_rounds`` epochs of each layer, in turns."""
    x_train, y_train = data[0]
    models = {}
    for kind in LAYERS:
        keras.utils.set_random_seed(args.seed)
        models[kind] = build(kind, args.length, args.hidden,
                             args.learning_rate)
        # Trace the training step once, outside the timed epochs.
        models[kind].fit(x_train[:args.batch], y_train[:args.batch],
                         batch_size=args.batch, verbose=0)
    seconds = {kind: [] for kind in LAYERS}
    for _ in range(args.timing_rounds):
        for kind, model in models.items():
            start = time.perf_counter()
            model.fit(x_train, y_train, batch_size=args.batch, epochs=1,
                      shuffle=False, verbose=0)
            seconds[kind].append(time.perf_counter() - start)
    for kind, times in seconds.items():
        print(f"{kind:9s} seconds per epoch: "
              + ", ".join(f"{t:.2f}" for t in times), flush=True)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--validation", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--timing-rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "ch04_gated")
    args = parser.parse_args()

    data = (adding_problem(args.train, args.length, seed=args.seed),
            adding_problem(args.validation, args.length,
                           seed=args.seed + 1))
    y_val = data[1][1]
    results, weights = {}, {}
    for kind in LAYERS:
        results[kind], kind_weights = train(kind, data, args)
        weights.update(kind_weights)
    for kind, times in time_epochs(data, args).items():
        results[kind]["timed_epochs"] = times

    command = ".venv/bin/python bench/ch04_gated.py " + " ".join(
        sys.argv[1:])
    output = {
        "command": command.strip(),
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                   f"Keras {keras.__version__}",
        "settings": {
            "length": args.length, "hidden": args.hidden,
            "train": args.train, "validation": args.validation,
            "batch": args.batch, "epochs": args.epochs,
            "learning_rate": args.learning_rate, "seed": args.seed,
            "optimizer": "Adam, clipnorm=1.0", "tolerance": TOLERANCE,
            "timing_rounds": args.timing_rounds,
        },
        "baseline": {
            "val_mse": float(np.mean((1.0 - y_val) ** 2)),
            "val_accuracy": float(np.mean(np.abs(1.0 - y_val) < TOLERANCE)),
        },
        "models": results,
    }
    json_path = args.out.with_suffix(".json")
    json_path.write_text(json.dumps(output, indent=1) + "\n", "utf-8")
    weights_path = args.out.parent / (args.out.name + "_weights.npz")
    np.savez_compressed(weights_path, **weights)
    print(f"wrote {json_path} and {weights_path}")


if __name__ == "__main__":
    main()
