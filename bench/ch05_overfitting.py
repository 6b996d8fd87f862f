"""Overfitting and its remedies on the IMDB reviews; write the results.

    nice -n 10 taskset -c 1 .venv/bin/python bench/ch05_overfitting.py

Three experiments, every one with its seed fixed and TensorFlow on one
thread:

1. **Sizes** (the slides' experiment). Each review as a multi-hot bag of
   the 10,000 most frequent training words (``rnn_course.bag_of_words``)
   into Dense 16-16-1, the reduced 4-4-1 and the enlarged 512-512-1,
   trained on the course's 10,000 training reviews and validated on its
   5,000 validation reviews, RMSprop, batches of 512, 20 epochs.
2. **Remedies**. The enlarged 512-512-1 (the one that overfits most)
   again, with an L2 penalty, with dropout, with early stopping, and with
   the three together. The L2 factor is chosen among ``--lambdas`` by
   the validation cross-entropy at the last epoch.
3. **GRU**. A GRU on trainable embeddings initialised with the GloVe 6B
   50-d vectors (``rnn_course.data.load_glove``), reading the first 200
   tokens of each review (TextVectorization, ``mask_zero=True``), on a
   subset of the reviews (``--gru-train``, ``--gru-validation``) so that
   it fits the time budget: without dropout, with ``dropout`` only, and
   with ``dropout`` and ``recurrent_dropout``.

For every run it records, epoch by epoch, the training and validation
loss, cross-entropy and accuracy (the training values are Keras's
running averages during the epoch) and the seconds of the epoch; and,
after training (with the restored weights when early stopping restores
them), the training and validation accuracy measured on the whole parts,
their gap, the mean validation cross-entropy and its exponential, the
perplexity, as the slides report them.

Writes ``bench/ch05_overfitting.json`` and replaces the section
"Chapter 5 — overfitting experiments" of ``bench/RESULTS.md`` with a
table made from it; ``--markdown-only`` remakes that section from the
recorded JSON without training. Chapter 5's page reads the JSON; it never
trains these models itself.
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
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import results_md  # noqa: E402

SECTION = "## Chapter 5 — overfitting experiments"

#: What the course's slides report for their "dropout + L2" model
#: (deck "Problemas de BPTT", slide "Dropout y L2"): mean validation
#: loss, perplexity and accuracy. Quoted so that the page can set them
#: beside the measured ones; nothing is computed from them.
SLIDES_DROPOUT_L2 = {"val_loss": 0.2852, "perplexity": 1.3300,
                     "val_accuracy": 0.9411}

#: The slides' IMDB models (deck "Curso de Lenguaje"): accuracy and loss
#: as printed there, to read fit from training vs validation numbers.
SLIDES_IMDB = {
    "Embedding-Flatten-Dense": {"accuracy": 0.73, "loss": 0.59},
    "Embedding-Flatten-12-8-1": {"accuracy": 0.72, "loss": 0.66},
    "LSTM(128)": {"train_accuracy": 0.86, "train_loss": 0.34,
                  "val_accuracy": 0.85, "val_loss": 0.34},
    "GRU(32)": {"train_accuracy": 0.86, "train_loss": 0.32,
                "val_accuracy": 0.85, "val_loss": 0.34},
}


class EpochTimer:
    """Seconds of each epoch (training and validation pass)."""

    def __init__(self, keras):
        outer = self

        class _Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                outer.seconds.append(time.perf_counter() - outer._start)

        self.seconds = []
        self.callback = _Callback()


def cross_entropy(y, p):
    """Mean binary cross-entropy of probabilities ``p`` for labels ``y``.

    Parameters
    ----------
    y : np.ndarray, shape (M,)
        Labels, 0 or 1.
    p : np.ndarray, shape (M,)
        Predicted probabilities of label 1.

    Returns
    -------
    float
        In nats; ``p`` is clipped to [1e-7, 1 - 1e-7] as Keras does.
    """
    import numpy as np

    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), 1e-7, 1 - 1e-7)
    y = np.asarray(y, dtype=np.float64).ravel()
    # E = -mean(y log p + (1 - y) log(1 - p))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit(build, data, epochs, batch, seed, early_stopping=None):
    """Train ``build()`` and measure it; return its record.

    Parameters
    ----------
    build : callable
        Returns a compiled Keras model; called after seeding.
    data : dict of str to tuple
        ``"train"`` and ``"validation"``: (x, y) arrays.
    epochs, batch, seed : int
    early_stopping : int, optional
        Patience of ``keras.callbacks.EarlyStopping`` on the validation
        loss, with ``restore_best_weights=True``; None trains every epoch.

    Returns
    -------
    dict
        Per-epoch curves and the final measurements.
    """
    import keras
    import numpy as np

    (x_train, y_train), (x_val, y_val) = data["train"], data["validation"]
    keras.utils.set_random_seed(seed)
    model = build()
    timer = EpochTimer(keras)
    callbacks = [timer.callback]
    stopper = None
    if early_stopping is not None:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=early_stopping,
            restore_best_weights=True)
        callbacks.append(stopper)
    # Labels as (M, 1), the shape of the model's output.
    history = model.fit(x_train, y_train[:, None], epochs=epochs,
                        batch_size=batch, shuffle=True,
                        validation_data=(x_val, y_val[:, None]),
                        callbacks=callbacks, verbose=0).history
    p_train = model.predict(x_train, batch_size=1024, verbose=0)
    p_val = model.predict(x_val, batch_size=1024, verbose=0)
    train_accuracy = float(np.mean((p_train.ravel() > 0.5) == y_train))
    val_accuracy = float(np.mean((p_val.ravel() > 0.5) == y_val))
    val_ce = cross_entropy(y_val, p_val)
    record = {
        "curves": {
            name: [float(v) for v in values]
            for name, values in history.items()
        },
        "seconds": timer.seconds,
        "epochs_run": len(timer.seconds),
        "parameters": int(model.count_params()),
        "train_accuracy": train_accuracy,
        "val_accuracy": val_accuracy,
        "gap": train_accuracy - val_accuracy,
        "val_cross_entropy": val_ce,
        "perplexity": float(np.exp(val_ce)),
        # The first epoch also traces the graph: leave it out.
        "seconds_per_epoch": float(np.median(timer.seconds[1:]
                                             or timer.seconds)),
    }
    if stopper is not None:
        val_loss = history["val_loss"]
        record["best_epoch"] = int(np.argmin(val_loss)) + 1
        record["stopped_epoch"] = len(val_loss)
    print(f"  {len(timer.seconds):2d} epochs, "
          f"train acc {train_accuracy:.4f}, val acc {val_accuracy:.4f}, "
          f"val CE {val_ce:.4f}, {record['seconds_per_epoch']:.2f} s/epoch",
          flush=True)
    return record


def dense_builder(num_words, units, l2=0.0, dropout=0.0):
    """Multi-hot input, two ReLU layers of ``units``, a sigmoid output."""
    import keras

    def build():
        regulariser = keras.regularizers.L2(l2) if l2 else None
        layers = [keras.Input((num_words,))]
        for _ in range(2):
            layers.append(keras.layers.Dense(
                units, activation="relu", kernel_regularizer=regulariser))
            if dropout:
                layers.append(keras.layers.Dropout(dropout))
        layers.append(keras.layers.Dense(1, activation="sigmoid"))
        model = keras.Sequential(layers)
        return compiled(model)

    return build


def compiled(model):
    """``model`` compiled as every run of this bench is: RMSprop(1e-3),
    binary cross-entropy, accuracy and the cross-entropy without penalty
    as metrics."""
    import keras

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy",
                 keras.metrics.BinaryCrossentropy(name="cross_entropy")])
    return model


def gru_builder(embedding, length, units, dropout=0.0,
                recurrent_dropout=0.0):
    """GloVe-initialised trainable embedding, a GRU, a sigmoid output."""
    import keras

    def build():
        model = keras.Sequential([
            keras.Input((length,), dtype="int64"),
            keras.layers.Embedding(
                embedding.shape[0], embedding.shape[1], mask_zero=True,
                embeddings_initializer=keras.initializers.Constant(
                    embedding),
                trainable=True),
            keras.layers.GRU(units, dropout=dropout,
                             recurrent_dropout=recurrent_dropout),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        return compiled(model)

    return build


def sequences(args):
    """Token ids of a subset of the reviews and the GloVe matrix."""
    import keras
    import numpy as np

    from rnn_course.bag_of_words import imdb_subset
    from rnn_course.data import load_glove

    parts = imdb_subset(args.gru_train, args.gru_validation)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=args.gru_words, output_sequence_length=args.length)
    vectorizer.adapt(parts["train"].texts, batch_size=1024)
    vocabulary = vectorizer.get_vocabulary()
    glove = load_glove()
    rng = np.random.default_rng(args.seed)
    # Words missing from GloVe start small and random; row 0 is padding.
    embedding = rng.normal(0.0, 0.1, (len(vocabulary), 50))
    found = 0
    for row, word in enumerate(vocabulary):
        if word in glove:
            embedding[row] = glove[word]
            found += 1
    embedding[0] = 0.0
    data = {
        name: (np.asarray(vectorizer(part.texts), dtype=np.int64),
               part.labels.astype(np.float32))
        for name, part in parts.items()
    }
    info = {"vocabulary": len(vocabulary), "in_glove": found,
            "train": len(parts["train"]),
            "validation": len(parts["validation"])}
    return data, embedding.astype(np.float32), info


def run(args):
    """Every experiment; return the JSON document."""
    import keras
    import numpy as np
    import tensorflow as tf

    from rnn_course.bag_of_words import multi_hot
    from rnn_course.data import imdb_splits

    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    started = time.perf_counter()

    splits = imdb_splits()
    parts = {"train": splits["train"], "validation": splits["validation"]}
    bag = multi_hot(parts, args.num_words)
    bag = {name: (x[:size], y[:size]) for (name, (x, y)), size in zip(
        bag.items(), (args.train, args.validation), strict=True)}
    sizes = {name: len(y) for name, (_, y) in bag.items()}

    runs = {}

    def dense(name, units, **options):
        print(name, flush=True)
        early = options.pop("early_stopping", None)
        runs[name] = fit(dense_builder(args.num_words, units, **options),
                         bag, args.epochs, args.batch, args.seed,
                         early_stopping=early)
        runs[name].update({"units": units, "early_stopping": early,
                           **options})

    for units in (16, 4, 512):
        dense(f"{units}-{units}-1", units)

    # Choosing lambda: every candidate trained as long as the other
    # rows, kept by its validation cross-entropy at the last epoch (what
    # the table reports); the chosen run is the table's L2 row.
    sweep = {}
    for lam in args.lambdas:
        print(f"L2, lambda = {lam:g}", flush=True)
        record = fit(dense_builder(args.num_words, 512, l2=lam), bag,
                     args.epochs, args.batch, args.seed)
        record.update({"units": 512, "early_stopping": None, "l2": lam})
        sweep[f"{lam:g}"] = record
    lam = min(args.lambdas,
              key=lambda v: sweep[f"{v:g}"]["val_cross_entropy"])
    runs["512-512-1 + L2"] = sweep[f"{lam:g}"]
    sweep = {
        key: {"l2": run["l2"],
              "val_cross_entropy": run["curves"]["val_cross_entropy"],
              "val_accuracy": run["curves"]["val_accuracy"],
              "train_accuracy": run["train_accuracy"],
              "final_val_accuracy": run["val_accuracy"]}
        for key, run in sweep.items()
    }

    dense("512-512-1 + dropout", 512, dropout=args.dropout)
    dense("512-512-1 + early stopping", 512,
          early_stopping=args.patience)
    dense("512-512-1 + L2 + dropout + early stopping", 512, l2=lam,
          dropout=args.dropout, early_stopping=args.patience)

    data, embedding, info = sequences(args)
    gru_runs = {}
    for name, options in (
            ("GRU", {}),
            ("GRU + dropout", {"dropout": args.gru_dropout}),
            ("GRU + dropout + recurrent dropout",
             {"dropout": args.gru_dropout,
              "recurrent_dropout": args.gru_dropout})):
        print(name, flush=True)
        gru_runs[name] = fit(
            gru_builder(embedding, args.length, args.gru_units, **options),
            data, args.gru_epochs, args.gru_batch, args.seed)
        gru_runs[name].update(options)

    command = ("nice -n 10 taskset -c 1 .venv/bin/python "
               "bench/ch05_overfitting.py " + " ".join(sys.argv[1:]))
    return {
        "command": command.strip(),
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores (run on one), "
                   f"{platform.machine()}",
        "versions": {"python": platform.python_version(),
                     "tensorflow": tf.__version__,
                     "keras": keras.__version__,
                     "numpy": np.__version__},
        "wall_seconds": time.perf_counter() - started,
        "settings": {
            "num_words": args.num_words, "train": sizes["train"],
            "validation": sizes["validation"],
            "epochs": args.epochs, "batch": args.batch, "seed": args.seed,
            "optimizer": "RMSprop, learning rate 0.001",
            "lambdas": args.lambdas,
            "l2": lam, "dropout": args.dropout, "patience": args.patience,
            "gru": {"units": args.gru_units, "length": args.length,
                    "words": args.gru_words, "epochs": args.gru_epochs,
                    "batch": args.gru_batch, "dropout": args.gru_dropout,
                    "embedding": "GloVe 6B 50-d, trainable", **info},
        },
        "lambda_sweep": sweep,
        "dense": runs,
        "gru": gru_runs,
        "slides": {"dropout_l2": SLIDES_DROPOUT_L2, "imdb": SLIDES_IMDB},
    }


def markdown(doc):
    """The RESULTS.md section made from the JSON document."""
    s = doc["settings"]
    g = s["gru"]
    lines = [
        SECTION, "",
        f"Command: `{doc['command']}`, {doc['date']} ({doc['machine']}; "
        f"Python {doc['versions']['python']}, TensorFlow "
        f"{doc['versions']['tensorflow']}, Keras "
        f"{doc['versions']['keras']}). Wall time "
        f"{doc['wall_seconds'] / 60:.1f} min. Output: "
        "`bench/ch05_overfitting.json`; chapter 5's page reads it.", "",
        f"Multi-hot bags of the {s['num_words']} most frequent training "
        f"words; {s['train']} training and {s['validation']} validation "
        f"reviews of the course's split; {s['optimizer']}, batches of "
        f"{s['batch']}, up to {s['epochs']} epochs, seed {s['seed']}. "
        f"L2 factor {s['l2']:g}, the best of {s['lambdas']} by validation "
        "cross-entropy at the last epoch; dropout "
        f"{s['dropout']} after each hidden layer; early stopping on the "
        f"validation loss, patience {s['patience']}, best weights "
        "restored.", "",
        f"GRU({g['units']}) on a subset of {g['train']} training and "
        f"{g['validation']} validation reviews (`imdb_subset`), first "
        f"{g['length']} tokens, vocabulary {g['vocabulary']} "
        f"({g['in_glove']} in GloVe), {g['embedding']}, batches of "
        f"{g['batch']}, {g['epochs']} epochs, dropout rates "
        f"{g['dropout']}.", "",
        "Accuracies measured after training on the whole parts; gap = "
        "training − validation accuracy; perplexity = exp(mean validation "
        "cross-entropy); seconds per epoch = median of the epochs after "
        "the first (training and validation pass, one core).", "",
        "| model | epochs | train acc | val acc | gap | val cross-entropy "
        "| perplexity | s/epoch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group in ("dense", "gru"):
        for name, r in doc[group].items():
            epochs = str(r["epochs_run"])
            if r.get("best_epoch"):
                epochs += f" (best {r['best_epoch']})"
            lines.append(
                f"| {name} | {epochs} | {r['train_accuracy']:.4f} | "
                f"{r['val_accuracy']:.4f} | {r['gap']:.4f} | "
                f"{r['val_cross_entropy']:.4f} | {r['perplexity']:.4f} | "
                f"{r['seconds_per_epoch']:.2f} |")
    sweep = ", ".join(
        f"λ = {run['l2']:g}: {run['val_cross_entropy'][-1]:.4f}"
        for run in doc["lambda_sweep"].values())
    lines += ["", f"Validation cross-entropy at the last epoch of the L2 "
              f"runs: {sweep}."]
    gru = doc["gru"]
    ratio = (gru["GRU + dropout + recurrent dropout"]["seconds_per_epoch"]
             / gru["GRU + dropout"]["seconds_per_epoch"])
    slides = doc["slides"]["dropout_l2"]
    lines += [
        "",
        f"Recurrent dropout's cost on this CPU: {ratio:.2f} × the seconds "
        "per epoch of the same GRU with input dropout only.", "",
        "The slides' \"dropout + L2\" model: validation loss "
        f"{slides['val_loss']}, perplexity {slides['perplexity']}, "
        f"accuracy {100 * slides['val_accuracy']:.2f} % (their data and "
        "model are not given; quoted for comparison only).", "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num-words", type=int, default=10_000)
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--validation", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--lambdas", type=float, nargs="+",
                        default=[1e-4, 1e-3, 1e-2])
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--gru-train", type=int, default=2_000)
    parser.add_argument("--gru-validation", type=int, default=1_000)
    parser.add_argument("--gru-words", type=int, default=10_000)
    parser.add_argument("--gru-units", type=int, default=32)
    parser.add_argument("--gru-epochs", type=int, default=25)
    parser.add_argument("--gru-batch", type=int, default=32)
    parser.add_argument("--gru-dropout", type=float, default=0.2)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=HERE / "ch05_overfitting.json")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--markdown-only", action="store_true",
                        help="remake the RESULTS.md section from --out")
    args = parser.parse_args()

    if args.markdown_only:
        doc = json.loads(args.out.read_text("utf-8"))
    else:
        doc = run(args)
        args.out.write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
        print(f"wrote {args.out}")
    results_md.write_section(markdown(doc), args.results)
    print(f"updated {args.results}")


if __name__ == "__main__":
    main()
