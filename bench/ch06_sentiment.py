"""Chapter 6's measured comparison on the IMDB reviews; write the results.

    nice -n 10 taskset -c 1 .venv/bin/python bench/ch06_sentiment.py \\
        [--parts pipeline frozen better analysis quantise rotten] \\
        [--markdown-only]

Every part uses chapter 6's text pipeline (``hidden_checks.sentiment``:
cleaning, ``TextVectorization``, GloVe rows), the course's split
(``rnn_course.data.imdb_splits``: 10,000 training, 5,000 validation and
10,000 test reviews) and the GloVe 6B 50-d vectors
(``rnn_course.data.load_glove``), with TensorFlow on one thread and every
seed fixed. The parts, each of which can be run alone (``--parts``):

``pipeline``
    The length of the cleaned training reviews (percentiles), the
    sequence length T chosen from it (the median rounded up to a
    multiple of 50) and the longer T of the pooling model (the 90th
    percentile, rounded up the same way), the vocabulary, GloVe's
    coverage of it and of the training tokens.
``frozen``
    The slides' comparison on frozen GloVe with ``mask_zero=True``:
    Flatten + Dense(1), Flatten + Dense 12-8-1, SimpleRNN(32),
    LSTM(128) and GRU(32), RMSprop; and GRU(32) without the mask, to
    show what the padding does to a recurrent layer.
``better``
    GloVe-initialised embeddings fine-tuned, with chapter 5's dropout
    and early stopping: average pooling over time on sequences of T and
    of the longer T, and a bidirectional GRU(32) on T; each stopped
    after ``--patience`` epochs without a lower validation loss or
    before an epoch that would take its training past 5 minutes.
``analysis``
    Confusion matrix of the best model (by validation accuracy) on the
    test reviews, its accuracy by review length and its most
    confidently wrong test reviews (shortened).
``quantise``
    The embedding matrix of the best frozen-embedding model stored as
    per-row int8 (``hidden_checks.sentiment.quantize_int8``) and as a
    256-centroid k-means codebook (Lloyd's iterations in NumPy, k-means++
    start, seeded): bytes and test accuracy of each vs float32.
``rotten``
    The best model and the best frozen one on the 8,530 Rotten Tomatoes
    sentences (``load_reviews("rotten_tomatoes")``), and on the IMDB test
    reviews cut to the sentences' median length.

Each model is trained epoch by epoch: the training loss and accuracy of
an epoch are Keras's running averages during it; the validation loss
and accuracy are measured after it; the weights of the epoch with the
lowest validation loss are kept (the test reviews are never used to
choose anything) and measured on the validation and test parts.
Perplexity is exp(mean validation cross-entropy), as in chapter 5; for a
binary classifier it lies between 1 (certain and right) and 2 (a coin).
Seconds per epoch count the training pass only, on one core of a
machine shared with other jobs, so they vary by tens of percent.

Trained models are kept in ``bench/ch06_models/`` (not in git) so that
the later parts can run alone. Writes ``bench/ch06_sentiment.json``
(each part with its own command, date and seconds) and replaces the
section "Chapter 6 — sentiment analysis" of ``bench/RESULTS.md``;
``--markdown-only`` remakes that section from the recorded JSON without
training. Chapter 6's pages read the JSON; they never train these
models.
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import textwrap
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "autograder"))
sys.path.insert(0, str(HERE))

import results_md  # noqa: E402

SECTION = "## Chapter 6 — sentiment analysis"
PARTS = ("pipeline", "frozen", "better", "analysis", "quantise", "rotten")

#: What the slides report for IMDB on frozen 100-d GloVe (deck "Curso de
#: Lenguaje"), quoted so that the pages can set them beside ours.
SLIDES = {
    "dense": {"val_accuracy": 0.73, "val_loss": 0.59},
    "dense_12_8": {"val_accuracy": 0.72, "val_loss": 0.66},
    "lstm": {"val_accuracy": 0.85, "val_loss": 0.34,
             "trainable": 117_377, "units": 128},
    "gru": {"val_accuracy": 0.85, "val_loss": 0.34,
            "trainable": 12_897, "units": 32},
}
#: The frozen-embedding models: key -> (label, layer, units, mask).
FROZEN = {
    "dense": ("Flatten + Dense", "Flatten", (), True),
    "dense_12_8": ("Flatten + Dense 12-8", "Flatten", (12, 8), True),
    "simple_rnn": ("SimpleRNN(32)", "SimpleRNN", 32, True),
    "lstm": ("LSTM(128)", "LSTM", 128, True),
    "gru": ("GRU(32)", "GRU", 32, True),
    "gru_no_mask": ("GRU(32), no mask", "GRU", 32, False),
}
#: The "better" models: key -> (label, long sequences?, what reads the
#: vectors: "pool" for their average over time, "bigru" for a
#: bidirectional GRU).
BETTER = {
    "tuned_pool_short": ("fine-tuned GloVe + average pooling + dropout",
                         False, "pool"),
    "tuned_pool": ("fine-tuned GloVe + average pooling + dropout, long T",
                   True, "pool"),
    "tuned_bigru": ("fine-tuned GloVe + bidirectional GRU(32) + dropout",
                    False, "bigru"),
}
#: Units of each direction of the bidirectional GRU.
BIGRU_UNITS = 32
#: Number of centroids of the k-means codebook (one byte per row).
CENTROIDS = 256


def implied_dimension(kind, units, trainable):
    """Embedding size D that gives ``trainable`` parameters.

    LSTM(H) + Dense(1): 4 (H (D + H) + H) + H + 1; GRU(H) with Keras's
    ``reset_after=True`` (two bias rows) + Dense(1):
    3 (H (D + H) + 2 H) + H + 1.
    """
    head = units + 1
    if kind == "LSTM":
        # P = 4 H (D + H) + 4 H + H + 1
        return (trainable - head - 4 * units) / (4 * units) - units
    # P = 3 H (D + H) + 6 H + H + 1
    return (trainable - head - 6 * units) / (3 * units) - units


def recurrent_count(kind, units, dim):
    """Trainable parameters of ``kind(units)`` on D = ``dim`` + Dense(1)."""
    if kind == "LSTM":
        return 4 * (units * (dim + units) + units) + units + 1
    if kind == "GRU":
        return 3 * (units * (dim + units) + 2 * units) + units + 1
    return units * (dim + units) + units + units + 1


def cross_entropy(y, p):
    """Mean binary cross-entropy, in nats, of probabilities ``p``.

    Parameters
    ----------
    y : np.ndarray, shape (M,)
        Labels, 0 or 1.
    p : np.ndarray, shape (M,) or (M, 1)
        Predicted probabilities of label 1, clipped to [1e-7, 1 - 1e-7]
        as Keras does.
    """
    import numpy as np

    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), 1e-7, 1 - 1e-7)
    y = np.asarray(y, dtype=np.float64).ravel()
    # E = -mean(y log p + (1 - y) log(1 - p))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def measure(model, x, y):
    """Accuracy, mean cross-entropy and probabilities of ``model``."""
    import numpy as np

    p = model.predict(x, batch_size=500, verbose=0).ravel()
    return (float(np.mean((p > 0.5) == (y > 0.5))), cross_entropy(y, p),
            p)


def percentile_length(lengths, q):
    """The ``q``-th percentile of ``lengths``, rounded up to 50."""
    import numpy as np

    return int(math.ceil(np.percentile(lengths, q) / 50.0) * 50)


def prepare(args):
    """Cleaned texts, token ids, vocabulary and GloVe matrix.

    Returns
    -------
    dict
        ``texts`` (cleaned, per part), ``labels``, ``ids`` (int64, shape
        (M, T_long) per part; the first T columns are the ids at
        length T, since padding and truncation are at the end),
        ``lengths`` (words per cleaned review, per part), ``vectorizer``,
        ``vocabulary``, ``matrix`` (V, 50), ``coverage``, ``glove``,
        ``length`` (T) and ``long_length``.
    """
    import numpy as np
    from hidden_checks import sentiment

    from rnn_course.data import imdb_splits, load_glove

    splits = imdb_splits()
    if args.subset:
        splits = {name: type(part)(part.texts[:args.subset],
                                   part.labels[:args.subset])
                  for name, part in splits.items()}
    texts = {name: np.array([sentiment.clean(t) for t in part.texts],
                            dtype=object)
             for name, part in splits.items()}
    labels = {name: part.labels.astype(np.float32)
              for name, part in splits.items()}
    lengths = {name: np.array([len(t.split()) for t in part])
               for name, part in texts.items()}
    length = args.length or percentile_length(lengths["train"], 50)
    long_length = args.long_length or percentile_length(
        lengths["train"], 90)
    vectorizer = sentiment.sequence_vectorizer(
        texts["train"], args.vocabulary, long_length)
    vocabulary = vectorizer.get_vocabulary()
    glove = load_glove()
    matrix, coverage = sentiment.embedding_matrix(vocabulary, glove)
    ids = {name: np.asarray(vectorizer(part), dtype=np.int64)
           for name, part in texts.items()}
    return {"texts": texts, "labels": labels, "ids": ids,
            "lengths": lengths, "vectorizer": vectorizer,
            "vocabulary": vocabulary, "matrix": matrix,
            "coverage": coverage, "glove": glove, "length": length,
            "long_length": long_length, "raw": {
                name: part.texts for name, part in splits.items()}}


def pipeline_part(data, args, doc):
    """Lengths, vocabulary and coverage of the training reviews."""
    from collections import Counter

    import numpy as np

    train = data["lengths"]["train"]
    counts = Counter(w for t in data["texts"]["train"] for w in t.split())
    vocabulary = data["vocabulary"]
    kept = sum(counts[w] for w in vocabulary[2:])
    ids = data["ids"]["train"][:, :data["length"]]
    real = ids != 0
    known = np.isin(ids, np.flatnonzero(
        np.abs(data["matrix"]).sum(axis=1) > 0))
    percentiles = (5, 10, 25, 50, 75, 90, 95, 99)
    return {
        "train_reviews": int(len(train)),
        "length_percentiles": {
            str(q): float(np.percentile(train, q)) for q in percentiles},
        "length_mean": float(train.mean()),
        "length_min": int(train.min()), "length_max": int(train.max()),
        "length_histogram": np.histogram(
            train, bins=np.arange(0, 1050, 50))[0].tolist(),
        "length": data["length"], "long_length": data["long_length"],
        "truncated_fraction": float(np.mean(train > data["length"])),
        "padded_fraction": float(np.mean(train < data["length"])),
        "truncated_fraction_long": float(
            np.mean(train > data["long_length"])),
        "tokens_kept_fraction": float(
            np.minimum(train, data["length"]).sum() / train.sum()),
        "distinct_words": len(counts),
        "vocabulary_size": len(vocabulary),
        "vocabulary_head": [str(w) for w in vocabulary[:12]],
        "vocabulary_token_fraction": kept / sum(counts.values()),
        "glove_words": len(data["glove"]),
        "glove_dimension": int(data["matrix"].shape[1]),
        "coverage": float(data["coverage"]),
        "missing_examples": [
            str(w) for w in vocabulary[2:] if w not in data["glove"]][:15],
        "unknown_token_fraction": float(np.mean(ids[real] == 1)),
        "known_token_fraction": float(np.mean(known[real])),
        "example": {
            "raw": str(data["raw"]["train"][0])[:300],
            "clean": data["texts"]["train"][0][:300],
            "ids": ids[0, :20].tolist(),
        },
    }


def embedding(inputs, matrix, trainable, mask=True):
    """The Embedding layer applied to ``inputs``, weights ``matrix``.

    The weights are set after the layer is built (not as a Constant
    initialiser, which would copy the matrix into the model's config).
    """
    import keras

    layer = keras.layers.Embedding(
        matrix.shape[0], matrix.shape[1], mask_zero=mask,
        trainable=trainable, name="embedding")
    outputs = layer(inputs)
    layer.set_weights([matrix])
    return outputs


def frozen_model(key, matrix, length):
    """A compiled model of :data:`FROZEN` on frozen GloVe."""
    import keras

    _, kind, units, mask = FROZEN[key]
    inputs = keras.Input((length,), dtype="int64", name="tokens")
    x = embedding(inputs, matrix, trainable=False, mask=mask)
    if kind == "Flatten":
        x = keras.layers.Flatten(name="flatten")(x)
        for n in units:
            x = keras.layers.Dense(n, activation="relu")(x)
    else:
        x = getattr(keras.layers, kind)(units, name="recurrent")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(inputs, outputs, name=key)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def better_model(key, matrix, length, dropout, learning_rate):
    """A compiled model of :data:`BETTER`: GloVe fine-tuned."""
    import keras

    inputs = keras.Input((length,), dtype="int64", name="tokens")
    x = embedding(inputs, matrix, trainable=True)
    x = keras.layers.Dropout(dropout)(x)
    if BETTER[key][2] == "pool":
        # The mean of the (masked) vectors over time.
        x = keras.layers.GlobalAveragePooling1D(name="pooling")(x)
    else:
        # The last states of a GRU read forwards and of one read backwards.
        x = keras.layers.Bidirectional(
            keras.layers.GRU(BIGRU_UNITS), name="recurrent")(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    model = keras.Model(inputs, outputs, name=key)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def count(weights):
    """Number of scalars in a list of weights."""
    return int(sum(math.prod(w.shape) for w in weights))


def train(model, data, length, batch, epochs, max_seconds=None,
          patience=None):
    """Train epoch by epoch; keep the best epoch; measure it.

    Parameters
    ----------
    model : keras.Model
        Compiled, built after seeding.
    data : dict
        From :func:`prepare`.
    length : int
        Number of token ids the model reads (the first ``length``
        columns of ``data["ids"]``).
    epochs : int
        Most epochs.
    max_seconds : float, optional
        Stop before an epoch that would take the training time past this
        (estimated from the last epoch).
    patience : int, optional
        Early stopping (chapter 5): stop after this many epochs without a
        lower validation loss.

    Returns
    -------
    dict
        Curves, seconds, parameter counts and the measurements of the
        kept epoch.
    """
    import keras
    import numpy as np

    x = {name: ids[:, :length] for name, ids in data["ids"].items()}
    callbacks = []
    if max_seconds is not None:
        callbacks.append(Deadline(keras, max_seconds))
    y = data["labels"]
    record = {"train_loss": [], "train_accuracy": [], "val_loss": [],
              "val_accuracy": [], "seconds": [], "eval_seconds": []}
    best, best_loss = None, np.inf
    for epoch in range(epochs):
        spent = sum(record["seconds"])
        if (max_seconds is not None and record["seconds"]
                and spent + record["seconds"][-1] > max_seconds):
            break
        start = time.perf_counter()
        history = model.fit(x["train"], y["train"][:, None],
                            batch_size=batch, epochs=1, shuffle=True,
                            callbacks=callbacks, verbose=0).history
        record["seconds"].append(time.perf_counter() - start)
        start = time.perf_counter()
        val_accuracy, val_loss, _ = measure(model, x["validation"],
                                            y["validation"])
        record["eval_seconds"].append(time.perf_counter() - start)
        record["train_loss"].append(float(history["loss"][0]))
        record["train_accuracy"].append(float(history["accuracy"][0]))
        record["val_loss"].append(val_loss)
        record["val_accuracy"].append(val_accuracy)
        print(f"  epoch {epoch + 1:2d}: train {record['train_loss'][-1]:.4f}"
              f" / {record['train_accuracy'][-1]:.4f}  val {val_loss:.4f} /"
              f" {val_accuracy:.4f}  {record['seconds'][-1]:.1f} s",
              flush=True)
        if val_loss < best_loss:
            best, best_loss = model.get_weights(), val_loss
            record["best_epoch"] = epoch + 1
        if model.stop_training:
            # The deadline stopped this epoch part of the way.
            record["cut_by_deadline"] = True
            break
        waited = epoch + 1 - record["best_epoch"]
        if patience is not None and waited >= patience:
            record["stopped_early"] = True
            break
    model.set_weights(best)
    val_accuracy, val_loss, _ = measure(model, x["validation"],
                                        y["validation"])
    test_accuracy, test_loss, _ = measure(model, x["test"], y["test"])
    record.update({
        "epochs_run": len(record["seconds"]),
        "length": length,
        "trainable": count(model.trainable_weights),
        "non_trainable": count(model.non_trainable_weights),
        "val_accuracy_best": val_accuracy, "val_loss_best": val_loss,
        "perplexity": float(np.exp(val_loss)),
        "test_accuracy": test_accuracy, "test_loss": test_loss,
        "test_perplexity": float(np.exp(test_loss)),
        "training_seconds": float(sum(record["seconds"])),
        # The first epoch also traces the graph: leave it out if we can.
        "seconds_per_epoch": float(np.median(record["seconds"][1:]
                                             or record["seconds"])),
    })
    print(f"  kept epoch {record['best_epoch']}: val {val_accuracy:.4f}, "
          f"test {test_accuracy:.4f}, {record['trainable']} trainable",
          flush=True)
    return record


def Deadline(keras, seconds):
    """A callback that stops training after ``seconds`` of fitting.

    Only the time inside ``fit`` counts (the validation passes between
    epochs do not); the batch in progress is finished.
    """

    class _Deadline(keras.callbacks.Callback):
        spent = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            if self.spent + time.perf_counter() - self.start > seconds:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.spent += time.perf_counter() - self.start

    return _Deadline()


def summary_lines(model):
    """``model.summary()`` as a list of lines."""
    lines = []
    model.summary(print_fn=lambda line, **_: lines.append(line),
                  line_length=72)
    return "\n".join(lines).splitlines()


def frozen_part(data, args, doc):
    """The slides' models on frozen GloVe."""
    import keras

    results = doc.get("frozen", {})
    for key in args.models or FROZEN:
        if key not in FROZEN:
            continue
        label = FROZEN[key][0]
        print(label, flush=True)
        keras.utils.set_random_seed(args.seed)
        model = frozen_model(key, data["matrix"], data["length"])
        epochs = args.mask_epochs if key == "gru_no_mask" else (
            args.dense_epochs if FROZEN[key][1] == "Flatten"
            else args.epochs)
        record = train(model, data, data["length"], args.batch, epochs)
        record.update({"label": label, "summary": summary_lines(model),
                       "mask": FROZEN[key][3], "max_epochs": epochs})
        results[key] = record
        model.save_weights(args.models_dir / f"{key}.weights.h5")
        # Keep what is done if a later model is stopped.
        doc["frozen"] = results
        save(doc, args)
    slides = {}
    for key, kind in (("lstm", "LSTM"), ("gru", "GRU")):
        units, trainable = SLIDES[key]["units"], SLIDES[key]["trainable"]
        slides[key] = {
            "implied_dimension": implied_dimension(kind, units, trainable),
            "count_100d": recurrent_count(kind, units, 100),
            "count_50d": recurrent_count(kind, units, 50),
        }
    doc["slides_counts"] = slides
    return results


def better_part(data, args, doc):
    """Fine-tuned GloVe, pooling, bidirectional, longer sequences."""
    import keras

    results = doc.get("better", {})
    for key in args.models or BETTER:
        if key not in BETTER:
            continue
        label, long, _ = BETTER[key]
        print(label, flush=True)
        length = data["long_length"] if long else data["length"]
        keras.utils.set_random_seed(args.seed)
        model = better_model(key, data["matrix"], length, args.dropout,
                             args.learning_rate)
        record = train(model, data, length, args.better_batch,
                       args.better_epochs, max_seconds=args.max_seconds,
                       patience=args.patience)
        record.update({"label": label, "summary": summary_lines(model),
                       "max_epochs": args.better_epochs,
                       "dropout": args.dropout,
                       "max_seconds": args.max_seconds,
                       "patience": args.patience})
        results[key] = record
        model.save_weights(args.models_dir / f"{key}.weights.h5")
        # Keep what is done if a later model is stopped.
        doc["better"] = results
        save(doc, args)
    return results


def best_key(doc, groups):
    """Group and key of the model with the best kept validation accuracy.

    The no-mask GRU is an illustration, not a candidate.
    """
    runs = [(record["val_accuracy_best"], group, key)
            for group in groups for key, record in doc.get(group, {}).items()
            if key != "gru_no_mask"]
    _, group, key = max(runs)
    return group, key


def load(data, args, doc, group, key):
    """A model trained by ``frozen`` or ``better``, its weights loaded."""
    length = doc[group][key]["length"]
    if group == "frozen":
        model = frozen_model(key, data["matrix"], length)
    else:
        model = better_model(key, data["matrix"], length, args.dropout,
                             args.learning_rate)
    with warnings.catch_warnings():
        # The optimiser's state is saved too and not needed here.
        warnings.simplefilter("ignore")
        model.load_weights(args.models_dir / f"{key}.weights.h5")
    return model


def shorten(text, width):
    """``text`` on one line, cut at a word to at most ``width`` chars."""
    return textwrap.shorten(" ".join(str(text).split()), width,
                            placeholder=" [...]")


def analysis_part(data, args, doc):
    """Confusion matrix and the most confidently wrong test reviews."""
    import numpy as np

    group, key = best_key(doc, ("frozen", "better"))
    model = load(data, args, doc, group, key)
    length = doc[group][key]["length"]
    y = data["labels"]["test"]
    accuracy, loss, p = measure(model, data["ids"]["test"][:, :length], y)
    predicted = (p > 0.5).astype(int)
    truth = y.astype(int)
    # Rows: true label 0, 1; columns: predicted 0, 1.
    confusion = [[int(np.sum((truth == t) & (predicted == q)))
                  for q in (0, 1)] for t in (0, 1)]
    words = data["lengths"]["test"]
    edges = [0] + [int(np.percentile(words, q)) for q in (25, 50, 75)] + [
        int(words.max())]
    by_length = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (words > low) & (words <= high)
        by_length.append({
            "low": low, "high": high, "reviews": int(inside.sum()),
            "accuracy": float(np.mean(predicted[inside] == truth[inside]))})
    wrong = np.flatnonzero(predicted != truth)
    confidence = np.abs(p[wrong] - 0.5)
    worst = []
    for truth_label in (0, 1):
        chosen = [i for i in wrong[np.argsort(-confidence)]
                  if truth[i] == truth_label][:args.worst]
        for i in chosen:
            worst.append({
                "index": int(i), "label": int(truth[i]),
                "probability": float(p[i]),
                "words": int(words[i]),
                "text": shorten(data["raw"]["test"][i], args.text_width),
            })
    return {"group": group, "model": key,
            "label": doc[group][key]["label"], "length": length,
            "test_accuracy": accuracy, "test_loss": loss,
            "confusion": confusion, "by_length": by_length,
            "mean_probability_wrong": float(np.mean(
                np.maximum(p[wrong], 1 - p[wrong]))),
            "confidently_wrong": worst}


def kmeans(x, k, seed, iterations):
    """Lloyd's k-means with a k-means++ start.

    Parameters
    ----------
    x : np.ndarray of float32, shape (V, d)
    k : int
    seed : int
    iterations : int

    Returns
    -------
    centroids : np.ndarray of float32, shape (k, d)
    assignment : np.ndarray of uint8 (k <= 256), shape (V,)
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    squares = (x ** 2).sum(axis=1)
    centroids = [x[rng.integers(len(x))]]
    nearest = ((x - centroids[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        # P(row) proportional to its squared distance to the centroids.
        total = nearest.sum()
        probabilities = nearest / total if total > 0 else None
        row = rng.choice(len(x), p=probabilities)
        centroids.append(x[row])
        nearest = np.minimum(nearest, ((x - x[row]) ** 2).sum(axis=1))
    centroids = np.array(centroids)
    for _ in range(iterations):
        # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2
        distances = (squares[:, None] - 2 * x @ centroids.T
                     + (centroids ** 2).sum(axis=1)[None, :])
        assignment = distances.argmin(axis=1)
        for j in range(k):
            members = assignment == j
            if members.any():
                centroids[j] = x[members].mean(axis=0)
    distances = (squares[:, None] - 2 * x @ centroids.T
                 + (centroids ** 2).sum(axis=1)[None, :])
    assignment = distances.argmin(axis=1)
    return centroids.astype(np.float32), assignment.astype(np.uint8)


def quantise_part(data, args, doc):
    """int8 and k-means storage of the best frozen model's embeddings."""
    import numpy as np
    from hidden_checks import sentiment

    _, key = best_key(doc, ("frozen",))
    model = load(data, args, doc, "frozen", key)
    layer = model.get_layer("embedding")
    matrix = np.asarray(layer.get_weights()[0], dtype=np.float32)
    x = data["ids"]["test"][:, :doc["frozen"][key]["length"]]
    y = data["labels"]["test"]
    rows, dim = matrix.shape

    def evaluate(stored):
        layer.set_weights([stored])
        accuracy, loss, p = measure(model, x, y)
        return accuracy, loss, p

    accuracy, loss, p_float = evaluate(matrix)
    results = {"model": key, "label": doc["frozen"][key]["label"],
               "rows": rows, "dimension": dim, "methods": {}}
    results["methods"]["float32"] = {
        "bytes": int(matrix.nbytes), "test_accuracy": accuracy,
        "test_loss": loss, "max_error": 0.0, "rms_error": 0.0,
        "changed_predictions": 0}
    q, scale = sentiment.quantize_int8(matrix)
    start = time.perf_counter()
    centroids, assignment = kmeans(matrix, CENTROIDS, args.seed,
                                   args.kmeans_iterations)
    kmeans_seconds = time.perf_counter() - start
    stored = {
        "int8": (sentiment.dequantize_int8(q, scale),
                 q.nbytes + scale.nbytes),
        "kmeans": (centroids[assignment],
                   assignment.nbytes + centroids.nbytes),
    }
    for name, (approx, size) in stored.items():
        accuracy, loss, p = evaluate(approx)
        error = approx - matrix
        results["methods"][name] = {
            "bytes": int(size), "test_accuracy": accuracy,
            "test_loss": loss,
            "max_error": float(np.abs(error).max()),
            "rms_error": float(np.sqrt(np.mean(error ** 2))),
            "changed_predictions": int(np.sum(
                (p > 0.5) != (p_float > 0.5))),
        }
    results["rms_value"] = float(np.sqrt(np.mean(matrix ** 2)))
    results["int8_bound_ok"] = bool(np.all(
        np.abs(stored["int8"][0] - matrix)
        <= scale[:, None] / 2 + 1e-6))
    results["kmeans"] = {"centroids": CENTROIDS,
                         "iterations": args.kmeans_iterations,
                         "seed": args.seed, "seconds": kmeans_seconds,
                         "used": int(len(np.unique(assignment)))}
    return results


def rotten_part(data, args, doc):
    """The best models on the Rotten Tomatoes sentences."""
    import numpy as np
    from hidden_checks import sentiment

    from rnn_course.data import load_reviews

    raw, labels = load_reviews("rotten_tomatoes")
    texts = np.array([sentiment.clean(t) for t in raw], dtype=object)
    words = np.array([len(t.split()) for t in texts])
    ids = np.asarray(data["vectorizer"](texts), dtype=np.int64)
    y = labels.astype(np.float32)
    real = ids != 0
    median = int(np.median(words))
    results = {
        "sentences": int(len(y)),
        "positive_fraction": float(y.mean()),
        "length_percentiles": {str(q): float(np.percentile(words, q))
                               for q in (10, 50, 90)},
        "unknown_token_fraction": float(np.mean(ids[real] == 1)),
        "examples": [{"text": str(raw[i]), "label": int(labels[i])}
                     for i in (0, len(raw) - 1)],
        "models": {},
    }
    choices = {"best": best_key(doc, ("frozen", "better")),
               "best_frozen": best_key(doc, ("frozen",))}
    for role, (group, key) in choices.items():
        done = [m for m in results["models"].values() if m["model"] == key]
        if done:
            # The same model in both roles: measured once.
            results["models"][role] = dict(done[0])
            continue
        model = load(data, args, doc, group, key)
        length = doc[group][key]["length"]
        accuracy, loss, p = measure(model, ids[:, :length], y)
        # IMDB test reviews cut to the sentences' median length.
        short = data["ids"]["test"][:, :length].copy()
        short[:, median:] = 0
        cut_accuracy, cut_loss, _ = measure(model, short,
                                            data["labels"]["test"])
        results["models"][role] = {
            "model": key, "label": doc[group][key]["label"],
            "accuracy": accuracy, "loss": loss,
            "positive_predicted": float(np.mean(p > 0.5)),
            "imdb_test_accuracy": doc[group][key]["test_accuracy"],
            "imdb_cut_words": median,
            "imdb_cut_accuracy": cut_accuracy, "imdb_cut_loss": cut_loss,
        }
        print(f"  {role} ({key}): Rotten Tomatoes {accuracy:.4f}, "
              f"IMDB cut to {median} words {cut_accuracy:.4f}", flush=True)
    return results


def markdown(doc):
    """The RESULTS.md section made from the JSON document."""
    pipe = doc["pipeline"]
    p = pipe["length_percentiles"]
    lines = [
        SECTION, "",
        "Script: `bench/ch06_sentiment.py`, output "
        "`bench/ch06_sentiment.json` (chapter 6's pages read it). Its "
        "parts ran as follows:", "",
    ]
    for part in PARTS:
        run = doc.get("runs", {}).get(part)
        if run:
            lines.append(f"- {part}: `{run['command']}`, {run['date']}, "
                         f"{run['seconds'] / 60:.1f} min")
    v = doc["versions"]
    lines += [
        "", f"Machine: {doc['machine']}; Python {v['python']}, "
        f"TensorFlow {v['tensorflow']}, Keras {v['keras']}, NumPy "
        f"{v['numpy']}.", "",
        f"Pipeline: {pipe['train_reviews']} training reviews, cleaned "
        f"(`hidden_checks.sentiment.clean`), median length "
        f"{p['50']:.0f} words (75th percentile {p['75']:.0f}, 95th "
        f"{p['95']:.0f}); T = {pipe['length']} tokens (the median rounded "
        f"up to 50; {100 * pipe['truncated_fraction']:.1f} % of the "
        f"reviews are cut), T = {pipe['long_length']} for the models "
        "marked \"long\"; vocabulary of "
        f"{pipe['vocabulary_size']} tokens (of {pipe['distinct_words']} "
        f"distinct words), GloVe 6B {pipe['glove_dimension']}-d covers "
        f"{100 * pipe['coverage']:.1f} % of it.", "",
        "Frozen GloVe, `mask_zero=True`, "
        f"{doc['settings']['frozen_optimizer']}; fine-tuned models: "
        f"{doc['settings']['better_optimizer']}, dropout "
        f"{doc['settings']['dropout']}, early stopping after "
        f"{doc['settings'].get('patience')} epochs without a lower "
        "validation loss, at most "
        f"{doc['settings']['max_seconds']:.0f} s of training; batches of "
        f"{doc['settings']['batch']} (frozen) and "
        f"{doc['settings']['better_batch']} (fine-tuned). The kept epoch "
        "is the one with the lowest validation loss; loss = mean binary "
        "cross-entropy; perplexity = exp(validation loss); s/epoch = "
        "median seconds of the training passes after the first. The "
        "slides' numbers are validation numbers with frozen 100-d GloVe "
        "(their data and split differ).", "",
        "| model | slides: val acc (loss), trainable | trainable / frozen "
        "| epochs (kept) | val loss | perplexity | val acc | test loss | "
        "test acc | s/epoch | training s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: |",
    ]
    for group in ("frozen", "better"):
        for key, r in doc.get(group, {}).items():
            s = SLIDES.get(key)
            slide = "—"
            if s:
                slide = f"{s['val_accuracy']:.2f} ({s['val_loss']:.2f})"
                if "trainable" in s:
                    slide += f", {s['trainable']}"
            label = r["label"]
            if r["length"] != pipe["length"]:
                label += f" (T = {r['length']})"
            lines.append(
                f"| {label} | {slide} | {r['trainable']} / "
                f"{r['non_trainable']} | {r['epochs_run']} "
                f"({r['best_epoch']}) | {r['val_loss_best']:.4f} | "
                f"{r['perplexity']:.4f} | {r['val_accuracy_best']:.4f} | "
                f"{r['test_loss']:.4f} | {r['test_accuracy']:.4f} | "
                f"{r['seconds_per_epoch']:.1f} | "
                f"{r['training_seconds']:.0f} |")
    counts = doc.get("slides_counts")
    if counts:
        lines += ["", "The slides' counts imply 100-d vectors: " + "; ".join(
            f"{key.upper()}: D = {c['implied_dimension']:g} "
            f"({c['count_100d']} at 100-d, {c['count_50d']} at 50-d)"
            for key, c in counts.items()) + "."]
    quant = doc.get("quantise")
    if quant:
        lines += ["", f"Quantisation of the embedding matrix of "
                  f"{quant['label']} ({quant['rows']} × "
                  f"{quant['dimension']}), test reviews:", "",
                  "| storage | bytes | test acc | test loss | max error | "
                  "changed predictions |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, m in quant["methods"].items():
            lines.append(
                f"| {name} | {m['bytes']} | {m['test_accuracy']:.4f} | "
                f"{m['test_loss']:.4f} | {m['max_error']:.4f} | "
                f"{m['changed_predictions']} |")
    rotten = doc.get("rotten")
    if rotten:
        lines += ["", f"Rotten Tomatoes ({rotten['sentences']} sentences, "
                  f"median {rotten['length_percentiles']['50']:.0f} words):"
                  ]
        for role, m in rotten["models"].items():
            lines.append(
                f"- {m['label']} ({role.replace('_', ' ')}): accuracy "
                f"{m['accuracy']:.4f} (IMDB test {m['imdb_test_accuracy']:.4f}"
                f"; IMDB test cut to {m['imdb_cut_words']} words "
                f"{m['imdb_cut_accuracy']:.4f})")
    lines.append("")
    return "\n".join(lines)


def save(doc, args):
    """Write the JSON document to ``args.out``."""
    args.out.write_text(json.dumps(doc, indent=1) + "\n", "utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS,
                        default=list(PARTS))
    parser.add_argument("--models", nargs="+",
                        help="only these keys of the frozen/better parts")
    parser.add_argument("--vocabulary", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=None,
                        help="T (default: median length, rounded up)")
    parser.add_argument("--long-length", type=int, default=None,
                        help="long T (default: 90th percentile, rounded)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--better-batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--dense-epochs", type=int, default=10)
    parser.add_argument("--mask-epochs", type=int, default=3)
    parser.add_argument("--better-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=3,
                        help="early stopping of the fine-tuned models")
    parser.add_argument("--learning-rate", type=float, default=0.005,
                        help="Adam's, for the fine-tuned models")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--kmeans-iterations", type=int, default=25)
    parser.add_argument("--worst", type=int, default=3)
    parser.add_argument("--text-width", type=int, default=420)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--subset", type=int, default=None,
                        help="first N reviews of each part (smoke test)")
    parser.add_argument("--out", type=Path,
                        default=HERE / "ch06_sentiment.json")
    parser.add_argument("--models-dir", type=Path,
                        default=HERE / "ch06_models")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--markdown-only", action="store_true",
                        help="remake the RESULTS.md section from --out")
    args = parser.parse_args()

    doc = {}
    if args.out.exists():
        doc = json.loads(args.out.read_text("utf-8"))
    if not args.markdown_only:
        import keras
        import numpy as np
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        args.models_dir.mkdir(exist_ok=True)
        cores = sorted(os.sched_getaffinity(0))
        pinned = f"taskset -c {cores[0]} " if len(cores) == 1 else ""
        command = (f"nice -n 10 {pinned}.venv/bin/python "
                   "bench/ch06_sentiment.py " + " ".join(sys.argv[1:]))
        doc.update({
            "machine": f"{os.cpu_count()} cores (run on one), "
                       f"{platform.machine()}",
            "versions": {"python": platform.python_version(),
                         "tensorflow": tf.__version__,
                         "keras": keras.__version__,
                         "numpy": np.__version__},
            "slides": SLIDES,
        })
        settings = {"vocabulary": args.vocabulary, "batch": args.batch,
                    "better_batch": args.better_batch,
                    "epochs": args.epochs, "dense_epochs": args.dense_epochs,
                    "mask_epochs": args.mask_epochs,
                    "better_epochs": args.better_epochs,
                    "max_seconds": args.max_seconds,
                    "dropout": args.dropout, "seed": args.seed,
                    "subset": args.subset,
                    "frozen_optimizer": "RMSprop, learning rate 0.001",
                    "patience": args.patience,
                    "better_optimizer":
                        f"Adam, learning rate {args.learning_rate}"}
        doc.setdefault("settings", {}).update(settings)
        started = time.perf_counter()
        data = prepare(args)
        print(f"prepared in {time.perf_counter() - started:.0f} s: T = "
              f"{data['length']}, long T = {data['long_length']}",
              flush=True)
        doc["settings"].update({"length": data["length"],
                                "long_length": data["long_length"]})
        functions = {"pipeline": pipeline_part, "frozen": frozen_part,
                     "better": better_part, "analysis": analysis_part,
                     "quantise": quantise_part, "rotten": rotten_part}
        for part in PARTS:
            if part not in args.parts:
                continue
            print(f"== {part}", flush=True)
            start = time.perf_counter()
            doc[part] = functions[part](data, args, doc)
            doc.setdefault("runs", {})[part] = {
                "command": command.strip(),
                "date": datetime.date.today().isoformat(),
                "seconds": time.perf_counter() - start}
            save(doc, args)
            print(f"wrote {args.out} ({part})", flush=True)
    if "pipeline" in doc:
        results_md.write_section(markdown(doc), args.results)
        print(f"updated {args.results}")


if __name__ == "__main__":
    main()
