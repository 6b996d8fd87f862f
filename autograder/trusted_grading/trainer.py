"""Train a described model and return numbers: the training sandbox.

``python -m trusted_grading.trainer JOB`` runs inside a sandbox of its
own (:mod:`training` starts it): it reads ``JOB/job.json`` (the
validated model description, the budget, the seed, the CPU-time limit),
the data as ``.npy`` files that it names (read without pickle), builds the
model with :func:`models.build` (the grader's constructor calls and
initialisers, the referenced embedding matrix from the grader's copy),
trains it and writes into ``OUT`` only numbers: ``result.json`` and, as
``.npy`` files, the model's outputs on the training and evaluation
inputs (a classifier) or the ids it decodes greedily from the
evaluation sources (an encoder-decoder: the job's ``decode`` settings).

Determinism on CPU: one TensorFlow thread (set in the environment before
TensorFlow starts), ``keras.utils.set_random_seed(seed)`` before the
model is built (initial weights, dropout masks, shuffling of the
batches) and ``tf.config.experimental.enable_op_determinism()``: the
same job gives the same numbers.
"""

import json
import os
import sys
import time

import numpy as np


def _load(folder, name):
    return np.load(os.path.join(folder, f"{name}.npy"), allow_pickle=False)


def run(job_folder, out_folder):
    """Do the job of ``job_folder``; write the outcome to ``out_folder``."""
    with open(os.path.join(job_folder, "job.json")) as file:
        job = json.load(file)
    import keras
    import tensorflow as tf

    from trusted_grading import models

    tf.config.experimental.enable_op_determinism()
    weights = {tuple(key): _load(job_folder, f"weight-{i}")
               for i, key in enumerate(job["weights"])}
    cpu_start = time.process_time()
    keras.utils.set_random_seed(job["seed"])
    try:
        model = models.build(job["spec"], weights=weights.get,
                             max_parameters=job["max_parameters"])
    except models.Refused as error:
        _write(out_folder, {"refused": {"en": error.en, "es": error.es}})
        return
    x_train, y_train, x_eval = (
        _inputs(job["data"][name]) for name in ("x_train", "y_train",
                                                "x_eval"))
    deadline = cpu_start + job["max_seconds"]

    class Deadline(keras.callbacks.Callback):
        """Stop at the first batch that ends past the CPU-time limit."""

        passed = False

        def on_train_batch_end(self, batch, logs=None):
            if time.process_time() > deadline:
                Deadline.passed = True
                self.model.stop_training = True

    model.fit(x_train, y_train, epochs=job["epochs"],
              batch_size=job["batch_size"], shuffle=True, verbose=0,
              callbacks=[Deadline()])
    result = {"parameters": int(model.count_params()),
              "trainable": int(sum(int(np.prod(w.shape))
                                   for w in model.trainable_weights))}
    if Deadline.passed:
        result["too_long"] = time.process_time() - cpu_start
        _write(out_folder, result)
        return
    decode = job.get("decode")
    if decode is None:  # a classifier: its outputs on both parts
        for name, x in (("p_train", x_train), ("p_eval", x_eval)):
            outputs = model.predict(x, batch_size=1000, verbose=0)
            np.save(os.path.join(out_folder, f"{name}.npy"),
                    np.asarray(outputs, dtype=np.float32))
    else:  # an encoder-decoder: the ids it decodes from the sources
        np.save(os.path.join(out_folder, "p_eval.npy"),
                greedy_decode(model, x_eval[0], **decode))
    result["cpu_seconds"] = time.process_time() - cpu_start
    # The trainer's whole CPU time, Python's and TensorFlow's start too.
    result["process_cpu_seconds"] = time.process_time()
    _write(out_folder, result)


def _inputs(paths):
    """One array, or a list of them (a model of several inputs)."""
    if isinstance(paths, list):
        return [np.load(p, allow_pickle=False) for p in paths]
    return np.load(paths, allow_pickle=False)


def greedy_decode(model, sources, steps, start, end, batch=1000):
    """The most probable next id at each step, fed back in.

    Parameters
    ----------
    model : keras.Model
        Inputs ``[sources (N, T), decoder ids (N, t)]``, output the
        next-id probabilities (N, t, V).
    sources : np.ndarray of int, shape (N, T)
    steps : int
        Ids produced per row at most (the end id included).
    start, end : int
        The ids that start the decoder's input and end an output.

    Returns
    -------
    np.ndarray of int32, shape (N, steps)
        The chosen ids; 0 after a row's end id.
    """
    out = np.zeros((len(sources), steps), dtype=np.int32)
    for first in range(0, len(sources), batch):
        src = sources[first:first + batch]
        ids = np.zeros((len(src), steps + 1), dtype=np.int32)
        ids[:, 0] = start
        done = np.zeros(len(src), dtype=bool)
        for t in range(steps):
            probs = np.asarray(model([src, ids[:, :t + 1]], training=False))
            # y_t = argmax_v p(v | source, y_<t)
            chosen = np.argmax(probs[:, t], axis=-1)
            ids[:, t + 1] = np.where(done, 0, chosen)
            done |= chosen == end
            if done.all():
                break
        out[first:first + batch] = ids[:, 1:]
    return out


def _write(out_folder, result):
    with open(os.path.join(out_folder, "result.json"), "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2])
