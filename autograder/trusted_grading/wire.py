"""Plain data across the sandbox's boundary, never pickle.

What a graded function receives and returns crosses between the trusted
grader and the sandboxed kernel as two files: ``<stem>.json``, the shape
of the value (tuples, lists, dicts, numbers, strings, None), and
``<stem>.npz``, its arrays, written by :func:`numpy.savez` and read back
with ``allow_pickle=False``. Nothing else can cross: an object of any
other type is refused when it is written, and a file that is too large,
too deep or malformed is refused when it is read.

Besides plain data, five kinds of value have a tagged form:

* a ``numpy.random.Generator`` crosses as its bit generator's state, so
  that a function that draws from it advances the caller's generator;
* a Keras model crosses as its *description* (:mod:`describe`): JSON
  values naming its layers, their arguments and its compile settings,
  never an archive, a weight or anything Keras would deserialise; the
  receiving side validates it and builds its own model
  (:mod:`models`);
* the course's word vectors, an ``rnn_course.data.GloVe``, cross as
  their two arrays (the vectors, and the words as a str array) and are
  rebuilt as a GloVe on the other side;
* a table decoder, an ``rnn_course.decoding.TableDecoder`` (the step
  function that chapter 7's ``greedy_decode`` is tested with; a function
  cannot cross), crosses as its two arrays and its start state;
* a returned array that is, or is a view of, an argument crosses as a
  reference to that argument, so that the caller can tell "returns a new
  array" from "returns its input".

This module runs on both sides: the sandboxed kernel executes its source
(it cannot import the course's grading folder), so it uses only the
standard library and NumPy, and imports Keras only when a model is described.
"""

import json
import math
import os
import stat
import zipfile

import numpy as np

#: Largest JSON file read back, in bytes.
MAX_JSON_BYTES = 4 * 2**20
#: Deepest nesting of containers accepted.
MAX_DEPTH = 64
#: Most nodes (containers and leaves) in one value.
MAX_NODES = 200_000
#: Bit generators a Generator may be rebuilt from.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
#: Array dtypes that may cross (no objects, no structured records).
DTYPE_KINDS = "biufcUS"


class WireError(ValueError):
    """A value that cannot cross the boundary, with the reason."""


class NotRegularFile(WireError):
    """A FIFO, device, socket or link where a regular file was expected."""


def dump(value, folder, stem, *, arguments=()):
    """Write ``value`` as ``<folder>/<stem>.json`` and ``.npz``.

    Parameters
    ----------
    value : object
        Plain data (see the module docstring).
    folder : str or os.PathLike
        Existing folder to write into.
    stem : str
        File name without extension.
    arguments : sequence of (path, np.ndarray)
        Arrays that may be referenced instead of copied: a returned array
        that is one of them, or a view of one, is written as a reference
        to its path (a tuple of indices and keys into the arguments).

    Raises
    ------
    WireError
        If ``value`` holds something that is not plain data.
    """
    arrays = []
    tree = _Encoder(folder, stem, arrays, arguments).encode(value, 0)
    np.savez(os.path.join(folder, f"{stem}.npz"), *arrays)
    with open(os.path.join(folder, f"{stem}.json"), "w") as file:
        json.dump(tree, file)


def load(folder, stem, *, max_bytes, arguments=None, model_loader=None):
    """Read back what :func:`dump` wrote.

    Parameters
    ----------
    folder : str or os.PathLike
    stem : str
    max_bytes : int
        Largest total size of the arrays, uncompressed.
    arguments : callable, optional
        ``arguments(path) -> np.ndarray``: the caller's array at ``path``,
        to resolve references. Without it, references are refused.
    model_loader : callable, optional
        ``model_loader(description, arguments) -> model`` for described
        models (``arguments`` as above). Without it, models are refused.

    Returns
    -------
    object

    Raises
    ------
    WireError
        If the files are missing, too large, malformed, or hold what is
        not allowed.
    """
    raw = _read_regular(os.path.join(folder, f"{stem}.json"),
                        MAX_JSON_BYTES)
    try:
        tree = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise WireError(f"malformed data: {error}") from None
    arrays = _load_arrays(os.path.join(folder, f"{stem}.npz"), max_bytes)
    decoder = _Decoder(folder, arrays, arguments, model_loader)
    return decoder.decode(tree, 0)


def _read_regular(path, limit):
    """Bytes of a regular file (never through a symbolic link).

    The kernel writes where this reads: ``lstat`` must say "regular
    file" before the file is opened, and it is opened with
    ``O_NOFOLLOW | O_NONBLOCK``, so that a FIFO, a device or a socket
    planted there (or swapped in between) is refused at once instead
    of blocking the grader.
    """
    name = os.path.basename(path)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise NotRegularFile(f"{name} is not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise WireError(f"cannot open {name}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{name} is not a regular file")
        if info.st_size > limit:
            raise WireError(f"{name} is larger than {limit} bytes")
        return file.read(limit + 1)


def _load_arrays(path, max_bytes):
    """The arrays of an ``.npz`` file, checked before they are read."""
    import io

    data = _read_regular(path, max_bytes + 2**20)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > max_bytes:
                raise WireError(f"the arrays take more than {max_bytes} "
                                "bytes")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {}
            for name in npz.files:
                array = npz[name]
                if array.dtype.kind not in DTYPE_KINDS:
                    raise WireError(f"arrays of dtype {array.dtype} "
                                    "cannot be graded")
                arrays[name] = array
            return arrays
    except WireError:
        raise
    except Exception as error:  # zipfile, numpy: a malformed file
        raise WireError(f"malformed arrays: {type(error).__name__}") from None


def _is_keras_model(value):
    """True for a Keras model (without importing Keras)."""
    module = type(value).__module__ or ""
    return module.split(".")[0] == "keras" and hasattr(value, "save") \
        and hasattr(value, "layers")


def _describe(model, arguments):
    """A model's description (:func:`describe.describe`)."""
    try:  # inside the sandbox, installed by the bootstrap
        import _course_describe as describe
    except ImportError:  # in the grader
        from trusted_grading import describe
    return describe.describe(model, arguments)


def _is_glove(value):
    """True for an ``rnn_course.data.GloVe`` (without importing it)."""
    kind = type(value)
    return kind.__module__ == "rnn_course.data" and kind.__name__ == "GloVe"


def _glove(vectors, words):
    """An ``rnn_course.data.GloVe`` from its two arrays, checked."""
    if not (isinstance(vectors, np.ndarray) and vectors.ndim == 2
            and vectors.dtype.kind == "f" and isinstance(words, np.ndarray)
            and words.ndim == 1 and words.dtype.kind == "U"
            and len(words) == len(vectors)):
        raise WireError("malformed word vectors")
    from rnn_course.data import GloVe

    words = words.astype(object)
    return GloVe(vectors=vectors, words=words,
                 index={str(word): row for row, word in enumerate(words)})


def _is_table_decoder(value):
    """True for an ``rnn_course.decoding.TableDecoder``."""
    kind = type(value)
    return (kind.__module__ == "rnn_course.decoding"
            and kind.__name__ == "TableDecoder")


def _table_decoder(scores, next_state, start):
    """An ``rnn_course.decoding.TableDecoder`` from its parts, checked."""
    if not (isinstance(scores, np.ndarray) and isinstance(next_state,
                                                          np.ndarray)
            and isinstance(start, int) and not isinstance(start, bool)):
        raise WireError("malformed table decoder")
    from rnn_course.decoding import TableDecoder

    try:
        return TableDecoder(scores=scores, next_state=next_state,
                            start_state=start)
    except ValueError as error:
        raise WireError(f"malformed table decoder: {error}") from None


class _Encoder:
    """Turn a value into a JSON tree plus a list of arrays."""

    def __init__(self, folder, stem, arrays, arguments):
        self.folder, self.stem, self.arrays = folder, stem, arrays
        self.arguments = list(arguments)
        self.nodes = 0

    def encode(self, value, depth):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or too large")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.ndarray):
            reference = self._reference(value)
            if reference is not None:
                return reference
            return {"t": "array", "i": self._array(value)}
        if isinstance(value, np.generic):
            return {"t": "scalar", "i": self._array(np.asarray(value))}
        if isinstance(value, int):
            return {"t": "int", "v": str(int(value))}
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, complex):
            return {"t": "complex", "v": [value.real, value.imag]}
        if isinstance(value, (tuple, list)):
            return {"t": "tuple" if isinstance(value, tuple) else "list",
                    "v": [self.encode(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            keys = list(value)
            if not all(isinstance(k, (str, int)) and not isinstance(k, bool)
                       for k in keys):
                raise WireError("dictionary keys must be strings or ints")
            return {"t": "dict",
                    "k": [self.encode(k, depth + 1) for k in keys],
                    "v": [self.encode(value[k], depth + 1) for k in keys]}
        if isinstance(value, np.random.Generator):
            bit_generator = type(value.bit_generator).__name__
            if bit_generator not in BIT_GENERATORS:
                raise WireError(f"a Generator on {bit_generator}")
            return {"t": "rng", "bg": bit_generator,
                    "state": self.encode(value.bit_generator.state,
                                         depth + 1)}
        if _is_glove(value):
            words = np.asarray([str(w) for w in value.words], dtype=str)
            return {"t": "glove",
                    "vectors": {"t": "array",
                                "i": self._array(np.asarray(value.vectors))},
                    "words": {"t": "array", "i": self._array(words)}}
        if _is_table_decoder(value):
            return {"t": "table_decoder",
                    "scores": {"t": "array",
                               "i": self._array(np.asarray(value.scores))},
                    "next_state": {
                        "t": "array",
                        "i": self._array(np.asarray(value.next_state))},
                    "start": int(value.start_state)}
        if _is_keras_model(value):
            return {"t": "model",
                    "spec": _describe(value, self.arguments)}
        raise WireError(f"an object of type {type(value).__name__}")

    def _array(self, array):
        if array.dtype.kind not in DTYPE_KINDS:
            raise WireError(f"an array of dtype {array.dtype}")
        self.arrays.append(np.array(array, order="C"))  # keeps 0-d
        return f"arr_{len(self.arrays) - 1}"

    def _reference(self, array):
        """A reference to the argument ``array`` is, or views, if any."""
        for path, argument in self.arguments:
            if array is argument:
                return {"t": "ref", "path": path}
        for path, argument in self.arguments:
            if (np.shares_memory(array, argument)
                    and argument.flags.c_contiguous
                    and array.dtype == argument.dtype):
                start = (array.__array_interface__["data"][0]
                         - argument.__array_interface__["data"][0])
                return {"t": "view", "path": path, "offset": int(start),
                        "shape": list(array.shape),
                        "strides": list(array.strides),
                        "i": self._array(array)}
        return None


class _Decoder:
    """Rebuild a value from its JSON tree and arrays."""

    def __init__(self, folder, arrays, arguments, model_loader):
        self.folder, self.arrays = folder, arrays
        self.arguments, self.model_loader = arguments, model_loader
        self.nodes = 0

    def decode(self, tree, depth):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("the value is nested too deeply or too large")
        if tree is None or isinstance(tree, (bool, str, float)):
            return tree
        if isinstance(tree, int):
            return tree
        if not isinstance(tree, dict) or "t" not in tree:
            raise WireError("malformed data")
        tag = tree["t"]
        if tag == "array":
            return self._array(tree["i"])
        if tag == "scalar":
            return self._array(tree["i"])[()]
        if tag == "int":
            return int(tree["v"])
        if tag == "float":
            return float(tree["v"])
        if tag == "complex":
            return complex(*tree["v"])
        if tag in ("tuple", "list"):
            items = [self.decode(item, depth + 1) for item in tree["v"]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            keys = [self.decode(k, depth + 1) for k in tree["k"]]
            values = [self.decode(v, depth + 1) for v in tree["v"]]
            if not all(isinstance(k, (str, int)) for k in keys):
                raise WireError("malformed dictionary")
            return dict(zip(keys, values, strict=True))
        if tag == "rng":
            if tree["bg"] not in BIT_GENERATORS:
                raise WireError("unknown bit generator")
            bit_generator = getattr(np.random, tree["bg"])()
            try:
                bit_generator.state = self.decode(tree["state"], depth + 1)
            except (TypeError, ValueError, KeyError) as error:
                raise WireError(f"malformed generator: {error}") from None
            return np.random.Generator(bit_generator)
        if tag in ("ref", "view"):
            return self._reference(tree)
        if tag == "model":
            if self.model_loader is None:
                raise WireError("unexpected model")
            return self.model_loader(tree.get("spec"), self.arguments)
        if tag == "glove":
            return _glove(self.decode(tree["vectors"], depth + 1),
                          self.decode(tree["words"], depth + 1))
        if tag == "table_decoder":
            return _table_decoder(self.decode(tree["scores"], depth + 1),
                                  self.decode(tree["next_state"], depth + 1),
                                  tree["start"])
        raise WireError(f"unknown tag {tag!r}")

    def _array(self, name):
        if name not in self.arrays:
            raise WireError("malformed data: missing array")
        return self.arrays[name]

    def _reference(self, tree):
        if self.arguments is None:
            raise WireError("unexpected reference")
        argument = self.arguments(tuple(tree["path"]))
        if not isinstance(argument, np.ndarray):
            raise WireError("malformed reference")
        if tree["t"] == "ref":
            return argument
        # A view of the argument: rebuilt on the caller's own array when
        # it lies inside it, else the copy that came along.
        copy = self._array(tree["i"])
        shape = tuple(int(n) for n in tree["shape"])
        strides = tuple(int(n) for n in tree["strides"])
        offset = int(tree["offset"])
        reach = [(n - 1) * s for n, s in zip(shape, strides, strict=True)]
        low = offset + sum(r for r in reach if r < 0)
        high = offset + sum(r for r in reach if r > 0) + argument.itemsize
        if (not argument.flags.c_contiguous or copy.dtype != argument.dtype
                or copy.shape != shape or 0 in shape
                or offset % argument.itemsize
                or low < 0 or high > argument.nbytes):
            return copy
        start = argument.reshape(-1).view(np.uint8)[offset:]
        return np.lib.stride_tricks.as_strided(
            start.view(argument.dtype), shape=shape, strides=strides)
