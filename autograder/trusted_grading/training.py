"""Train a validated model description in a sandbox of its own.

The checks of the Keras chapters never train in the grader's process.
:func:`train` writes the job (the description :func:`models.validate`
returned, the budget, the seed), the hidden data and the arrays that
referenced embeddings hold, then runs :mod:`trainer` under bubblewrap:
the same confinement as the student's kernel (read-only system and
venv, no network, its own PID namespace, ``--die-with-parent``), the
job and the data read-only, one writable output folder, and caps on
memory (``RLIMIT_AS``), CPU time (``RLIMIT_CPU``) and file size. A bug in
Keras's building or training can then neither write outside that folder
nor outlive the job. What comes back is numbers: a small JSON file and
arrays of outputs, read without pickle and checked.
"""

import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import sandbox, wire

HERE = Path(__file__).resolve().parent
#: Address space of the trainer, in bytes (TensorFlow and the data).
MEMORY_LIMIT = 6 * 2**30
#: Largest file the trainer may write, in bytes.
MAX_FILE_SIZE = 256 * 2**20
#: CPU seconds allowed beyond the training's own limit (TensorFlow's
#: import, building the model, predicting).
SETUP_SECONDS = 120
#: Set to "1" by ``grade.py --unsafe``: train without bubblewrap.
UNSAFE_VARIABLE = "RNN_COURSE_UNSAFE"


class TrainingFailed(RuntimeError):
    """The trainer stopped without a result: ``reason`` says why
    ("memory", "cpu", "crashed")."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class Outcome(NamedTuple):
    """What one training job returned.

    ``refused`` ({"en", "es"}) when Keras could not build the model
    (then nothing else is set); ``too_long`` (CPU seconds) when the
    training passed its limit; else the outputs on the training and the
    evaluation inputs, ``parameters`` (all weights) and ``trainable``,
    ``cpu_seconds`` of the trainer's build, training and evaluation, and
    ``process_cpu_seconds`` of the whole trainer (its start included).
    """

    refused: dict = None
    too_long: float = None
    p_train: np.ndarray = None
    p_eval: np.ndarray = None
    parameters: int = 0
    trainable: int = 0
    cpu_seconds: float = 0.0
    process_cpu_seconds: float = 0.0


class _DataFiles:
    """The data as ``.npy`` files, written once per array and process."""

    def __init__(self):
        self.folder = None
        self.files = {}  # id(array) -> (array, path): keeps ids unique

    def path(self, array):
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="rnn-train-data-"))
            atexit.register(shutil.rmtree, self.folder, True)
        key = id(array)
        if key not in self.files or self.files[key][0] is not array:
            path = self.folder / f"{len(self.files)}.npy"
            np.save(path, np.ascontiguousarray(array), allow_pickle=False)
            self.files[key] = (array, path)
        return self.files[key][1]

    def paths(self, value):
        """The path of an array, or the paths of a list of arrays."""
        if isinstance(value, (list, tuple)):
            return [str(self.path(array)) for array in value]
        return str(self.path(value))


_DATA = _DataFiles()


def train(spec, x_train, y_train, x_eval, *, epochs, batch_size, seed,
          max_seconds, max_parameters, weights=None, decode=None):
    """Build ``spec``, train it, return its outputs (:class:`Outcome`).

    Parameters
    ----------
    spec : dict
        A description that passed :func:`models.validate`.
    x_train, y_train, x_eval : np.ndarray or list of np.ndarray
        Training inputs and labels, and the inputs to evaluate on (a
        list for a model of several inputs).
    epochs, batch_size : int
        The budget.
    seed : int
        Seed of the initial weights, dropout masks and batches.
    max_seconds : float
        Longest training, in seconds of the trainer's CPU time.
    max_parameters : int
        Most weights the model may have (checked before allocation).
    weights : dict, optional
        ``{argument path: array}``: the arrays that the spec's
        referenced Embedding layers hold (the grader's own copies).
    decode : dict, optional
        ``{"steps", "start", "end"}`` for an encoder-decoder: then
        ``p_eval`` holds the ids decoded greedily from ``x_eval[0]``
        (:func:`trainer.greedy_decode`), int32 (N, steps), and
        ``p_train`` is None.

    Raises
    ------
    TrainingFailed
        If the trainer ran out of memory or CPU time, or crashed.
    """
    weights = weights or {}
    paths = [list(path) for path in spec.get("weights", {}).values()
             if tuple(path) in weights]
    with tempfile.TemporaryDirectory(prefix="rnn-train-") as root:
        job, out = Path(root, "job"), Path(root, "out")
        job.mkdir()
        out.mkdir()
        for i, path in enumerate(paths):
            np.save(job / f"weight-{i}.npy",
                    np.asarray(weights[tuple(path)], np.float32))
        data = {name: _DATA.paths(value) for name, value in (
            ("x_train", x_train), ("y_train", y_train), ("x_eval", x_eval))}
        (job / "job.json").write_text(json.dumps({
            "spec": spec, "epochs": int(epochs),
            "batch_size": int(batch_size), "seed": int(seed),
            "max_seconds": float(max_seconds),
            "max_parameters": int(max_parameters), "weights": paths,
            "data": data, "decode": decode and {
                key: int(decode[key]) for key in ("steps", "start", "end")},
        }))
        _run(job, out, cpu_limit=int(max_seconds) + SETUP_SECONDS)
        return _read(out, decoded=decode is not None)


def _run(job, out, cpu_limit):
    """Run the trainer on ``job``, sandboxed unless grading is unsafe."""
    python = sys.executable
    limits = LIMITS.format(memory=MEMORY_LIMIT, cpu=cpu_limit,
                           file_size=MAX_FILE_SIZE)
    argv = [python, "-c", limits, str(job), str(out)]
    env = {"PATH": f"{Path(python).parent}:/usr/bin:/bin",
           "HOME": "/tmp", "LANG": "C.UTF-8", "KERAS_HOME": "/tmp/keras",
           "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(HERE.parent)}
    if os.environ.get(UNSAFE_VARIABLE) != "1":
        argv = _sandboxed(argv, env, job, out)
        env = None
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(out.parent / "log", "w+b"))
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:  # the CPU cap ends it; this only guards against a hang
            code = process.wait(timeout=10 * cpu_limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise TrainingFailed("cpu", "no result in time") from None
        log.seek(0)
        tail = log.read()[-2000:].decode("utf-8", "replace")
    # Killed by its CPU cap: the signal itself, or bubblewrap's exit
    # status for a child that a signal ended (128 + the signal).
    if code in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU,
                128 + signal.SIGKILL):
        raise TrainingFailed("cpu", tail)
    if code != 0:
        reason = "memory" if "MemoryError" in tail or "bad_alloc" in tail \
            or "Resource exhausted" in tail else "crashed"
        raise TrainingFailed(reason, tail)


def _sandboxed(argv, env, job, out):
    """``argv`` under bubblewrap: see the module docstring."""
    sandbox.check_available()
    command = [sandbox.find_bwrap(), *sandbox.namespace_flags(),
               "--clearenv"]
    for key, value in env.items():
        command += ["--setenv", key, value]
    command += ["--proc", "/proc", "--dev", "/dev",
                "--size", str(sandbox.TMP_SIZE), "--tmpfs", "/tmp"]
    command += sandbox.system_binds()
    data = _DATA.folder
    command += ["--ro-bind", str(HERE), str(HERE),
                "--ro-bind", str(data), str(data),
                "--ro-bind", str(job), str(job),
                "--bind", str(out), str(out), "--chdir", str(out), "--"]
    return command + argv


#: Run first: the caps, then the trainer itself.
LIMITS = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory})); "
    "resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu})); "
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size}, {file_size})); "
    "os.execv(sys.executable, [sys.executable, '-m', "
    "'trusted_grading.trainer', *sys.argv[1:]])"
)


def _read(out, decoded=False):
    """The trainer's outcome, read as numbers only."""
    try:
        result = json.loads(wire._read_regular(str(out / "result.json"),
                                               2**20))
    except (wire.WireError, ValueError) as error:
        raise TrainingFailed("crashed", str(error)) from None
    if not isinstance(result, dict):
        raise TrainingFailed("crashed", "malformed result")
    if "refused" in result:
        refused = result["refused"]
        return Outcome(refused={"en": str(refused.get("en", ""))[:500],
                                "es": str(refused.get("es", ""))[:500]})
    numbers = {key: result.get(key) for key in (
        "parameters", "trainable", "cpu_seconds", "process_cpu_seconds",
        "too_long")}
    if not all(v is None or isinstance(v, (int, float))
               for v in numbers.values()):
        raise TrainingFailed("crashed", "malformed result")
    if numbers["too_long"] is not None:
        return Outcome(too_long=float(numbers["too_long"]),
                       parameters=int(numbers["parameters"] or 0))
    arrays = {"p_train": None}
    for name in ("p_eval",) if decoded else ("p_train", "p_eval"):
        raw = wire._read_regular(str(out / f"{name}.npy"), MAX_FILE_SIZE)
        try:
            array = np.load(io.BytesIO(raw), allow_pickle=False)
        except ValueError as error:
            raise TrainingFailed("crashed", str(error)) from None
        if array.dtype != (np.int32 if decoded else np.float32):
            raise TrainingFailed("crashed", "malformed outputs")
        arrays[name] = array
    return Outcome(p_train=arrays["p_train"], p_eval=arrays["p_eval"],
                   parameters=int(numbers["parameters"]),
                   trainable=int(numbers["trainable"]),
                   cpu_seconds=float(numbers["cpu_seconds"]),
                   process_cpu_seconds=float(
                       numbers["process_cpu_seconds"]))
