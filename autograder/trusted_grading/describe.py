"""A Keras model as plain data: what crosses the boundary instead of it.

A graded function of a Keras chapter returns a compiled model. What
leaves the student's kernel is never the model, its archive or its
weights, but a *description*: the configuration Keras gives of the
model's architecture and of its compile settings, turned into JSON
values (dicts, lists, strings, numbers, booleans, None). The trusted
grader validates it against an allowlist (:mod:`models`) and builds a
new model from it with its own constructor calls and its own seeded
initialisers, so no byte written by the kernel is ever deserialised by
Keras, pickle, h5py or TensorFlow on the grader's side.

Weights do not cross, with one exception: an ``Embedding`` whose matrix
equals an array the function *received* (chapter 6's
``embedding_matrix``) is described as a reference to that argument, and
the grader puts its own copy of the array back.

Arrays inside the configuration (a ``Constant`` initialiser holding an
array, say) are replaced by their shape: the validator refuses them by
name.

This module runs in the student's kernel (executed from its source, like
:mod:`wire`) and in the grader, on a model the grader built itself.
"""

import math

#: Version of the description's layout.
FORMAT = 1
#: Most array elements compared when looking for an argument.
MAX_COMPARED = 50_000_000


def describe(model, arguments=()):
    """The description of a Keras ``model``, as JSON values.

    Parameters
    ----------
    model : keras.Model
    arguments : sequence of (path, np.ndarray)
        The arrays the graded function received (see
        :func:`wire.dump`): an Embedding holding one of them is
        described as a reference to its path.

    Returns
    -------
    dict
        ``format``; ``class`` ("Sequential" or "Functional");
        ``config``, the model's configuration with arrays replaced by
        ``{"class_name": "__array__", "shape": [...]}``; ``compile``,
        the compile configuration (None when the model is not
        compiled); ``weights``, ``{layer name: [path]}`` for the
        Embedding layers that hold an argument.
    """
    import keras

    kind = "Sequential" if isinstance(model, keras.Sequential) \
        else "Functional"
    compiled = None
    if getattr(model, "compiled", False):
        compiled = plain(model.get_compile_config())
    return {
        "format": FORMAT,
        "class": kind,
        "config": plain(model.get_config()),
        "compile": compiled,
        "weights": _referenced_embeddings(model, arguments),
    }


def plain(value, depth=0):
    """``value`` as JSON values: arrays become their shape."""
    if depth > 60:
        return {"class_name": "__too_deep__"}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        if value.get("class_name") == "__numpy__":
            return _array_marker(value.get("config", {}).get("value"))
        if value.get("class_name") == "DTypePolicy":  # a dtype by name
            return plain(value.get("config", {}).get("name"), depth + 1)
        return {str(key): plain(item, depth + 1)
                for key, item in value.items()
                if key not in ("module", "registered_name", "build_config")}
    if isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return _array_marker(value)
    if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
        try:
            return plain(value.item(), depth + 1)
        except (TypeError, ValueError):
            pass
    return {"class_name": "__object__", "type": type(value).__name__}


def _array_marker(value):
    """What stands for an array in a description: its shape."""
    import numpy as np

    try:
        shape = [int(n) for n in np.shape(value)]
    except (TypeError, ValueError):
        shape = None
    if shape == []:  # a 0-d array is a number
        try:
            return plain(np.asarray(value).item())
        except (TypeError, ValueError):
            pass
    return {"class_name": "__array__", "shape": shape}


def _referenced_embeddings(model, arguments):
    """{layer name: path} of the Embeddings that hold an argument."""
    import numpy as np

    found = {}
    for layer in model._flatten_layers(include_self=False):
        if type(layer).__name__ != "Embedding":
            continue
        weights = layer.get_weights()
        if len(weights) != 1:
            continue
        matrix = weights[0]
        for path, argument in arguments:
            if (isinstance(argument, np.ndarray)
                    and argument.shape == matrix.shape
                    and argument.size <= MAX_COMPARED
                    and argument.dtype.kind in "fiu"
                    and np.array_equal(
                        matrix, argument.astype(matrix.dtype))):
                found[layer.name] = list(path)
                break
    return found
