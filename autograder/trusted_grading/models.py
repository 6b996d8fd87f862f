"""A model's description, validated, and the model built from it.

The student's kernel sends a description of the model its graded
function returned (:mod:`describe`): plain JSON values. :func:`validate`
checks every part of it against an allowlist, without importing Keras:
built-in layer classes the chapters need, each argument checked by type
and range (integers within caps, strings from enums, booleans; no
module, registered name, function, file path or nested custom object),
initialisers from the built-in random families with bounded arguments
(``Constant`` with a number only), L1/L2 penalties, an optimiser from a
short list with bounded hyper-parameters (no learning rate near zero),
the loss and metrics from enums. Anything else is refused by name, in
the notebook's language (:class:`Refused`).

:func:`build` then makes the model with explicit constructor calls, from
the validated description only: new weights drawn from the caller's
seed (seeds named by the student are dropped), a frozen ``Embedding``
only where it holds an array the grader itself passed to the function
(its matrix is the grader's copy), and a parameter count checked layer
by layer *before* each layer allocates its weights.

This module runs in the grader and in the training sandbox
(:mod:`trainer`); it imports Keras only to build.
"""

import math
import re

import numpy as np

#: Most layers in one model.
MAX_LAYERS = 48
#: Most units (or filters, heads' key size...) of one layer.
MAX_UNITS = 1024
#: Largest vocabulary of an Embedding.
MAX_VOCABULARY = 60_000
#: Largest size of one input dimension (sequence length, vector).
MAX_DIMENSION = 100_000
#: Most weights of any model the grader builds (a chapter may set less).
MAX_PARAMETERS = 8_000_000
#: Slowest learning rate accepted: below it, training changes nothing
#: within a check's budget (a way to keep an initialiser's values).
MIN_LEARNING_RATE = 1e-4
#: Largest magnitude of a number in an initialiser or a penalty.
MAX_MAGNITUDE = 10.0

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,79}$")


class Refused(ValueError):
    """A description that cannot be built, with the reason in two
    languages (:meth:`text`)."""

    def __init__(self, en, es):
        super().__init__(en)
        self.en, self.es = en, es

    def text(self, lang):
        """The reason in ``lang`` ("en" or "es")."""
        return self.es if lang == "es" else self.en


# ----------------------------------------------------------- arguments


def _where(where):
    return f"{where[0]}.{where[1]}" if len(where) == 2 else where[0]


def _bad(where, en, es):
    """A Refused naming the argument at ``where`` (layer, argument)."""
    place = _where(where)
    return Refused(f"{place}: {en}", f"{place}: {es}")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Int:
    """An integer in [low, high]."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def __call__(self, value, where):
        if isinstance(value, list) and len(value) == 1:  # kernel_size=[3]
            value = value[0]
        if not (isinstance(value, int) and not isinstance(value, bool)
                and self.low <= value <= self.high):
            raise _bad(where, f"must be an integer from {self.low} to "
                       f"{self.high}, not {_show(value)}",
                       f"debe ser un entero de {self.low} a {self.high}, "
                       f"no {_show(value)}")
        return value


class Float:
    """A finite number in [low, high] (``open_high``: below high)."""

    def __init__(self, low, high, open_high=False):
        self.low, self.high, self.open_high = low, high, open_high

    def __call__(self, value, where):
        ok = _number(value) and math.isfinite(value) and value >= self.low
        ok = ok and (value < self.high if self.open_high
                     else value <= self.high)
        if not ok:
            bound = "below" if self.open_high else "at most"
            cota = "menor que" if self.open_high else "a lo sumo"
            raise _bad(where, f"must be a number from {self.low} and "
                       f"{bound} {self.high}, not {_show(value)}",
                       f"debe ser un número desde {self.low} y {cota} "
                       f"{self.high}, no {_show(value)}")
        return float(value)


def Bool(value, where):
    """True or False."""
    if not isinstance(value, bool):
        raise _bad(where, f"must be True or False, not {_show(value)}",
                   f"debe ser True o False, no {_show(value)}")
    return value


class OneOf:
    """One of the listed values."""

    def __init__(self, *values):
        self.values = values

    def __call__(self, value, where):
        if value not in self.values or isinstance(value, bool) and not any(
                v is value for v in self.values):
            shown = ", ".join(_show(v) for v in self.values)
            raise _bad(where, f"must be one of {shown}, not {_show(value)}",
                       f"debe ser uno de {shown}, no {_show(value)}")
        return value


class Maybe:
    """None, or what ``inner`` accepts."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, value, where):
        return None if value is None else self.inner(value, where)


def Name(value, where):
    """A layer's or model's name: letters, digits, ``_.-``."""
    if not (isinstance(value, str) and _NAME.match(value)):
        raise _bad(where, f"the name {_show(value)} is not allowed "
                   "(letters, digits and _ . - only)",
                   f"el nombre {_show(value)} no está permitido (solo "
                   "letras, dígitos y _ . -)")
    return value


def Dropped(value, where):
    """Accepted and not used (a seed: the grader draws its own)."""
    return None


def _default(default):
    """Only the default value (a feature the chapters do not need)."""

    def check(value, where):
        if value != default or type(value) is not type(default):
            raise _bad(where, f"is not supported here (only "
                       f"{_show(default)}), not {_show(value)}",
                       f"no está disponible aquí (solo {_show(default)}), "
                       f"no {_show(value)}")
        return default

    return check


DType = OneOf("float32")
Activation = OneOf(
    "linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu",
    "softplus", "softsign", "swish", "silu", "leaky_relu", "relu6",
    "hard_sigmoid", "exponential", "log_softmax", "mish")
Rate = Float(0.0, 1.0, open_high=True)
Units = Int(1, MAX_UNITS)

#: Initialisers: the built-in random families and constants, their
#: arguments bounded; seeds are dropped.
INITIALIZERS = {
    "GlorotUniform": {}, "GlorotNormal": {}, "HeUniform": {},
    "HeNormal": {}, "LecunUniform": {}, "LecunNormal": {},
    "Zeros": {}, "Ones": {},
    "RandomNormal": {"mean": Float(-1.0, 1.0),
                     "stddev": Float(0.0, MAX_MAGNITUDE)},
    "RandomUniform": {"minval": Float(-MAX_MAGNITUDE, MAX_MAGNITUDE),
                      "maxval": Float(-MAX_MAGNITUDE, MAX_MAGNITUDE)},
    "TruncatedNormal": {"mean": Float(-1.0, 1.0),
                        "stddev": Float(0.0, MAX_MAGNITUDE)},
    "Orthogonal": {"gain": Float(0.0, MAX_MAGNITUDE)},
    "Identity": {"gain": Float(0.0, MAX_MAGNITUDE)},
    "Constant": {"value": Float(-MAX_MAGNITUDE, MAX_MAGNITUDE)},
    "VarianceScaling": {
        "scale": Float(0.0, MAX_MAGNITUDE),
        "mode": OneOf("fan_in", "fan_out", "fan_avg"),
        "distribution": OneOf("truncated_normal", "untruncated_normal",
                              "uniform", "normal")},
}
_INITIALIZER_COMMON = {"seed": Dropped, "input_axes": _default(None),
                       "output_axes": _default(None)}
_SNAKE = {"glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal",
          "he_uniform": "HeUniform", "he_normal": "HeNormal",
          "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal",
          "zeros": "Zeros", "ones": "Ones", "orthogonal": "Orthogonal",
          "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
          "truncated_normal": "TruncatedNormal", "identity": "Identity"}


def Initializer(value, where):
    """A built-in initialiser: {"class_name", "config"} (validated)."""
    if isinstance(value, str) and value in _SNAKE:
        value = {"class_name": _SNAKE[value], "config": {}}
    name, config = _object(value, where)
    if name == "Constant" and isinstance(config.get("value"), dict):
        if str(where[0]).startswith("Embedding("):
            raise _bad(where, "a Constant initialiser may hold a number "
                       "only, or exactly the embedding_matrix given to the "
                       "function: this matrix is neither",
                       "un inicializador Constant solo puede tener un "
                       "número o exactamente la embedding_matrix dada a la "
                       "función: esta matriz no es ninguna de las dos")
        raise _bad(where, "a Constant initialiser may hold a number only, "
                   "not an array: weights are not taken from the "
                   "notebook (the check draws its own)",
                   "un inicializador Constant solo puede tener un número, "
                   "no un array: los pesos no se toman del cuaderno (la "
                   "prueba genera los suyos)")
    if name not in INITIALIZERS:
        raise _bad(where, f"the initialiser {name} is not allowed: use a "
                   "built-in random one (e.g. GlorotUniform)",
                   f"el inicializador {name} no está permitido: usa uno "
                   "aleatorio integrado (p. ej. GlorotUniform)")
    args = _arguments(config, {**INITIALIZERS[name], **_INITIALIZER_COMMON},
                      (f"{where[0]}.{where[1]}", name))
    return {"class_name": name, "config": args}


REGULARIZERS = {"L1": {"l1": Float(0.0, 1.0)}, "L2": {"l2": Float(0.0, 1.0)},
                "L1L2": {"l1": Float(0.0, 1.0), "l2": Float(0.0, 1.0)}}


def Regularizer(value, where):
    """None or an L1/L2 penalty (validated)."""
    if value is None:
        return None
    if isinstance(value, str) and value in ("l1", "l2", "l1_l2"):
        value = {"class_name": {"l1": "L1", "l2": "L2", "l1_l2": "L1L2"}[
            value], "config": {}}
    name, config = _object(value, where)
    if name not in REGULARIZERS:
        raise _bad(where, f"the penalty {name} is not allowed: use "
                   "keras.regularizers.L1, L2 or L1L2",
                   f"la penalización {name} no está permitida: usa "
                   "keras.regularizers.L1, L2 o L1L2")
    args = _arguments(config, REGULARIZERS[name],
                      (f"{where[0]}.{where[1]}", name))
    return {"class_name": name, "config": args}


def _object(value, where):
    """(class_name, config) of a serialised Keras object."""
    if not (isinstance(value, dict) and isinstance(
            value.get("class_name"), str)
            and isinstance(value.get("config", {}), dict)):
        raise _bad(where, f"{_show(value)} is not allowed here",
                   f"{_show(value)} no está permitido aquí")
    return value["class_name"], value.get("config", {})


def _arguments(config, schema, where):
    """The validated arguments of ``config`` (every key known)."""
    if not isinstance(config, dict):
        raise _bad(where, "malformed configuration",
                   "configuración mal formada")
    args = {}
    for key, value in config.items():
        check = schema.get(key)
        if check is None:
            raise _bad((where[0], key) if len(where) == 1 else
                       (f"{where[0]}({where[1]})", key),
                       "this argument is not supported here",
                       "este argumento no está disponible aquí")
        args[key] = check(value, (where[0], key) if len(where) == 1
                          else (f"{where[0]}({where[1]})", key))
    return args


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -------------------------------------------------------------- layers

_COMMON = {"name": Name, "trainable": Bool, "dtype": Maybe(DType)}
_NO_CONSTRAINT = _default(None)
_DENSE_LIKE = {
    "activation": Activation, "use_bias": Bool,
    "kernel_initializer": Initializer, "bias_initializer": Initializer,
    "kernel_regularizer": Regularizer, "bias_regularizer": Regularizer,
    "activity_regularizer": Regularizer,
    "kernel_constraint": _NO_CONSTRAINT, "bias_constraint": _NO_CONSTRAINT,
    "quantization_config": _default(None), "lora_rank": _default(None),
    "lora_alpha": _default(None),
}
_RECURRENT = {
    "units": Int(1, 512), "activation": Activation, "use_bias": Bool,
    "kernel_initializer": Initializer, "recurrent_initializer": Initializer,
    "bias_initializer": Initializer, "kernel_regularizer": Regularizer,
    "recurrent_regularizer": Regularizer, "bias_regularizer": Regularizer,
    "activity_regularizer": Regularizer,
    "kernel_constraint": _NO_CONSTRAINT,
    "recurrent_constraint": _NO_CONSTRAINT,
    "bias_constraint": _NO_CONSTRAINT,
    "dropout": Rate, "recurrent_dropout": Rate,
    "return_sequences": Bool, "return_state": Bool, "go_backwards": Bool,
    "stateful": _default(False), "unroll": _default(False),
    "zero_output_for_mask": Bool, "seed": Dropped,
    "use_cudnn": OneOf("auto", False),
}
_ATTENTION = {"use_scale": Bool, "dropout": Rate, "seed": Dropped}

#: Arguments of each built-in layer the chapters need.
LAYERS = {
    "InputLayer": {"batch_shape": None, "dtype": OneOf(
        "float32", "int32", "int64"), "sparse": _default(False),
        "ragged": _default(False), "name": Name,
        "optional": _default(False)},
    "Dense": {"units": Units, **_DENSE_LIKE},
    "Dropout": {"rate": Rate, "noise_shape": _default(None),
                "seed": Dropped},
    "SpatialDropout1D": {"rate": Rate, "seed": Dropped},
    "Embedding": {
        "input_dim": Int(1, MAX_VOCABULARY), "output_dim": Int(1, 512),
        "embeddings_initializer": Initializer,
        "embeddings_regularizer": Regularizer,
        "activity_regularizer": Regularizer,
        "embeddings_constraint": _NO_CONSTRAINT, "mask_zero": Bool,
        "quantization_config": _default(None), "lora_rank": _default(None),
        "lora_alpha": _default(None), "input_length": _default(None)},
    "SimpleRNN": dict(_RECURRENT),
    "GRU": {**_RECURRENT, "recurrent_activation": Activation,
            "reset_after": Bool},
    "LSTM": {**_RECURRENT, "recurrent_activation": Activation,
             "unit_forget_bias": Bool},
    "Bidirectional": {"layer": None, "backward_layer": None,
                      "merge_mode": Maybe(OneOf("concat", "sum", "mul",
                                                "ave"))},
    "TimeDistributed": {"layer": None},
    "GlobalAveragePooling1D": {"data_format": OneOf("channels_last"),
                               "keepdims": Bool},
    "GlobalMaxPooling1D": {"data_format": OneOf("channels_last"),
                           "keepdims": Bool},
    "Flatten": {"data_format": OneOf("channels_last")},
    "Masking": {"mask_value": Float(-1e6, 1e6)},
    "Activation": {"activation": Activation},
    "RepeatVector": {"n": Int(1, MAX_DIMENSION)},
    "Concatenate": {"axis": Int(-3, 3)},
    "Add": {},
    "LayerNormalization": {
        "axis": Int(-3, 3), "epsilon": Float(1e-12, 1.0), "center": Bool,
        "scale": Bool, "rms_scaling": _default(False),
        "beta_initializer": Initializer, "gamma_initializer": Initializer,
        "beta_regularizer": Regularizer, "gamma_regularizer": Regularizer,
        "beta_constraint": _NO_CONSTRAINT,
        "gamma_constraint": _NO_CONSTRAINT},
    "Attention": {**_ATTENTION, "score_mode": OneOf("dot", "concat")},
    "AdditiveAttention": dict(_ATTENTION),
    "MultiHeadAttention": {
        "num_heads": Int(1, 16), "key_dim": Int(1, 256),
        "value_dim": Maybe(Int(1, 256)), "dropout": Rate, "use_bias": Bool,
        "use_gate": _default(False), "output_shape": _default(None),
        "attention_axes": OneOf(None, [1]), "sliding_window": _default(None),
        "flash_attention": _default(None), "seed": Dropped,
        **{k: v for k, v in _DENSE_LIKE.items()
           if k not in ("activation", "use_bias", "quantization_config",
                        "lora_rank", "lora_alpha")}},
}
#: The recurrent layers a wrapper may hold.
RECURRENT = ("SimpleRNN", "GRU", "LSTM")
#: Operations that appear as nodes of a functional model, and the
#: non-tensor arguments they accept.
OPERATIONS = {"NotEqual": Int(-1, 1)}
#: Keyword arguments of a call in a functional model: tensors or flags.
CALL_KWARGS = {"mask", "initial_state", "value", "key", "query_mask",
               "value_mask", "key_mask", "attention_mask",
               "return_attention_scores", "use_causal_mask", "training"}


def _layer(entry, where, nested=False, held=()):
    """A validated layer: {"class_name", "config"}.

    ``held``: names of the Embedding layers that hold an argument of the
    function (their initialiser is not used: the grader puts its own
    copy of the argument in).
    """
    name, config = _object(entry, (where,))
    if name not in LAYERS or (nested and name not in RECURRENT + ("Dense",)):
        raise Refused(
            f"{name} is not allowed: use the Keras layers listed in the "
            "notebook (built-in layers such as Dense, Embedding, GRU, "
            "LSTM, Dropout)",
            f"{name} no está permitida: usa las capas de Keras que indica "
            "el cuaderno (capas integradas como Dense, Embedding, GRU, "
            "LSTM, Dropout)")
    layer_name = config.get("name", name)
    schema = LAYERS[name] if name == "InputLayer" else \
        {**_COMMON, **LAYERS[name]}
    args = {}
    for key, value in config.items():
        place = (f"{name}({_show(layer_name)})", key)
        if key not in schema:
            raise _bad(place, "this argument is not supported here",
                       "este argumento no está disponible aquí")
        check = schema[key]
        if key == "embeddings_initializer" and layer_name in held:
            args[key] = {"class_name": "Zeros", "config": {}}
        elif key == "batch_shape":
            args[key] = _batch_shape(value, place)
        elif key in ("layer", "backward_layer"):
            if value is None and key == "backward_layer":
                args[key] = None
            else:
                inner = _layer(value, f"{name}.{key}", nested=True)
                if name == "TimeDistributed" and \
                        inner["class_name"] != "Dense":
                    raise _bad(place, "only a Dense layer may be wrapped",
                               "solo se puede envolver una capa Dense")
                args[key] = inner
        else:
            args[key] = check(value, place)
    return {"class_name": name, "config": args}


def _batch_shape(value, where):
    if not (isinstance(value, list) and 2 <= len(value) <= 4
            and value[0] is None and all(
                n is None or isinstance(n, int) and not isinstance(n, bool)
                and 1 <= n <= MAX_DIMENSION for n in value[1:])):
        raise _bad(where, f"the input shape {_show(value)} is not "
                   "allowed (batch size None, at most 3 dimensions of at "
                   f"most {MAX_DIMENSION})",
                   f"la forma de entrada {_show(value)} no está permitida "
                   "(tamaño de lote None, a lo sumo 3 dimensiones de a lo "
                   f"sumo {MAX_DIMENSION})")
    return value


def _tensor(value, known, where):
    """A validated tensor reference [layer, node, index] (or a list)."""
    if isinstance(value, dict) and value.get("class_name") == \
            "__keras_tensor__":
        history = value.get("config", {}).get("keras_history")
        if (isinstance(history, list) and len(history) == 3
                and isinstance(history[0], str)
                and all(isinstance(n, int) and not isinstance(n, bool)
                        and 0 <= n < 64 for n in history[1:])
                and tuple(history) in known):
            return {"ref": history}
        raise _bad(where, "malformed connection between layers",
                   "conexión entre capas mal formada")
    if isinstance(value, list) and len(value) <= 16:
        return [_tensor(item, known, where) for item in value]
    raise _bad(where, f"{_show(value)} cannot be passed to a layer here",
               f"{_show(value)} no se puede pasar a una capa aquí")


def _node(node, known, where, operation=None):
    """A validated call: {"args": [...], "kwargs": {...}}."""
    if not (isinstance(node, dict) and isinstance(node.get("args"), list)
            and isinstance(node.get("kwargs", {}), dict)
            and len(node["args"]) <= 4):
        raise _bad(where, "malformed connection between layers",
                   "conexión entre capas mal formada")
    args = []
    for item in node["args"]:
        if operation is not None and _number(item):
            args.append(operation(item, where))
        else:
            args.append(_tensor(item, known, where))
    kwargs = {}
    for key, value in node.get("kwargs", {}).items():
        if key not in CALL_KWARGS:
            raise _bad((where[0], key), "this call argument is not "
                       "supported here",
                       "este argumento de la llamada no está disponible "
                       "aquí")
        if key == "training":
            continue  # the grader's fit and predict decide
        kwargs[key] = value if isinstance(value, bool) or value is None \
            else _tensor(value, known, (where[0], key))
    return {"args": args, "kwargs": kwargs}


def validate(description):
    """Check a description (:func:`describe.describe`); its clean form.

    Parameters
    ----------
    description : object
        JSON values, as they came from the kernel.

    Returns
    -------
    dict
        ``class``; ``layers`` (validated ``class_name`` and ``config``,
        and for a functional model ``nodes`` and ``name``); ``inputs``
        and ``outputs`` (functional); ``compile`` (None if not
        compiled); ``weights`` ({layer name: argument path}).

    Raises
    ------
    Refused
        With the first reason, in both languages.
    """
    if not (isinstance(description, dict)
            and description.get("format") == 1
            and description.get("class") in ("Sequential", "Functional")
            and isinstance(description.get("config"), dict)):
        raise Refused("the model could not be described",
                      "no se pudo describir el modelo")
    kind, config = description["class"], description["config"]
    entries = config.get("layers")
    if not isinstance(entries, list) or not entries:
        raise Refused("the model has no layers", "el modelo no tiene capas")
    if len(entries) > MAX_LAYERS:
        raise Refused(f"the model has {len(entries)} layers; at most "
                      f"{MAX_LAYERS} are allowed",
                      f"el modelo tiene {len(entries)} capas; se permiten "
                      f"a lo sumo {MAX_LAYERS}")
    if config.get("trainable", True) is not True:
        raise Refused("the model is frozen (trainable=False): the check "
                      "trains it", "el modelo está congelado "
                      "(trainable=False): la prueba lo entrena")
    weights = description.get("weights") or {}
    if not (isinstance(weights, dict) and all(
            isinstance(key, str) and isinstance(path, list)
            and 1 <= len(path) <= 4 and all(
                isinstance(p, (str, int)) and not isinstance(p, bool)
                for p in path)
            for key, path in weights.items())):
        raise Refused("malformed description of the weights",
                      "descripción de los pesos mal formada")
    held = set(weights)
    spec = {"class": kind, "layers": []}
    if kind == "Sequential":
        for index, entry in enumerate(entries):
            layer = _layer(entry, f"layers[{index}]", held=held)
            if (layer["class_name"] == "InputLayer") != (index == 0):
                raise Refused(
                    "the model must start with keras.Input(...) (and "
                    "have one input only)",
                    "el modelo debe empezar con keras.Input(...) (y tener "
                    "una sola entrada)")
            spec["layers"].append(layer)
    else:
        _functional(config, entries, spec, held)
    names = [layer["config"].get("name") for layer in spec["layers"]]
    if len(set(names)) != len(names):
        raise Refused("two layers of the model have the same name",
                      "dos capas del modelo tienen el mismo nombre")
    by_name = dict(zip(names, spec["layers"], strict=True))
    for key in weights:
        if by_name.get(key, {}).get("class_name") != "Embedding":
            raise Refused("malformed description of the weights",
                          "descripción de los pesos mal formada")
    spec["weights"] = {key: list(path) for key, path in weights.items()}
    for name, layer in by_name.items():
        if layer["config"].get("trainable", True) is False \
                and name not in spec["weights"]:
            raise Refused(
                f"{layer['class_name']}({name!r}) is frozen "
                "(trainable=False): only an Embedding holding the "
                "embedding_matrix given to the function may be frozen",
                f"{layer['class_name']}({name!r}) está congelada "
                "(trainable=False): solo puede congelarse un Embedding "
                "que contenga la embedding_matrix dada a la función")
    spec["compile"] = _compile(description.get("compile"))
    return spec


def _functional(config, entries, spec, held):
    """Validate the layers and connections of a functional model."""
    known = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise Refused("malformed model", "modelo mal formado")
        name = entry.get("class_name")
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list) or len(nodes) > 8:
            raise Refused("malformed model", "modelo mal formado")
        layer_name = Name(entry.get("name"), (f"layers[{index}]", "name"))
        if name in OPERATIONS:
            layer = {"class_name": name, "config": {"name": layer_name}}
            operation = OPERATIONS[name]
        else:
            layer = _layer({"class_name": name,
                            "config": entry.get("config")},
                           f"layers[{index}]", held=held)
            if layer["config"].get("name", layer_name) != layer_name:
                raise Refused("malformed model", "modelo mal formado")
            operation = None
        if name == "InputLayer":
            layer["nodes"] = []
            known.add((layer_name, 0, 0))
        else:
            if not nodes:
                raise Refused(f"the layer {layer_name!r} is not connected",
                              f"la capa {layer_name!r} no está conectada")
            layer["nodes"] = [
                _node(node, known, (f"{name}({layer_name!r})",), operation)
                for node in nodes]
            for call in range(len(nodes)):
                known.update((layer_name, call, i) for i in range(3))
        layer["name"] = layer_name
        spec["layers"].append(layer)
    for key in ("input_layers", "output_layers"):
        value = config.get(key)
        if isinstance(value, list) and len(value) == 3 and \
                isinstance(value[0], str):
            value = [value]
        if not (isinstance(value, list) and 1 <= len(value) <= 4 and all(
                isinstance(v, list) and len(v) == 3 and tuple(v) in known
                for v in value)):
            raise Refused("malformed model", "modelo mal formado")
        spec["inputs" if key == "input_layers" else "outputs"] = value
    inputs = {layer["name"] for layer in spec["layers"]
              if layer["class_name"] == "InputLayer"}
    if {v[0] for v in spec["inputs"]} != inputs:
        raise Refused("malformed model", "modelo mal formado")


# ------------------------------------------------------------- compile

OPTIMIZERS = ("Adam", "AdamW", "RMSprop", "SGD", "Adagrad", "Nadam",
              "Adamax")
_OPTIMIZER_ARGS = {
    "name": Name, "learning_rate": Float(MIN_LEARNING_RATE, 1.0),
    "weight_decay": Maybe(Float(0.0, 0.5)),
    "clipnorm": Maybe(Float(1e-6, 1e3)),
    "global_clipnorm": Maybe(Float(1e-6, 1e3)),
    "clipvalue": Maybe(Float(1e-6, 1e3)), "use_ema": _default(False),
    "ema_momentum": Float(0.0, 1.0),
    "ema_overwrite_frequency": _default(None),
    "loss_scale_factor": _default(None),
    "gradient_accumulation_steps": _default(None),
    "beta_1": Float(0.0, 1.0, open_high=True),
    "beta_2": Float(0.0, 1.0, open_high=True),
    "epsilon": Float(1e-12, 1.0), "amsgrad": Bool,
    "rho": Float(0.0, 1.0, open_high=True),
    "momentum": Float(0.0, 1.0, open_high=True), "nesterov": Bool,
    "centered": Bool, "initial_accumulator_value": Float(0.0, 10.0),
}
LOSSES = ("binary_crossentropy", "sparse_categorical_crossentropy",
          "categorical_crossentropy", "mean_squared_error")
_LOSS_CLASSES = {"BinaryCrossentropy": "binary_crossentropy",
                 "SparseCategoricalCrossentropy":
                     "sparse_categorical_crossentropy",
                 "CategoricalCrossentropy": "categorical_crossentropy",
                 "MeanSquaredError": "mean_squared_error"}
_LOSS_ARGS = {"name": Name, "reduction": OneOf("sum_over_batch_size"),
              "from_logits": Bool, "label_smoothing": Float(0.0, 0.5),
              "axis": Int(-3, 3), "ignore_class": Maybe(Int(0, 100_000)),
              "dtype": Maybe(DType)}
METRICS = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy")
_METRIC_CLASSES = {"BinaryAccuracy": "binary_accuracy",
                   "CategoricalAccuracy": "categorical_accuracy",
                   "SparseCategoricalAccuracy":
                       "sparse_categorical_accuracy"}
_METRIC_ARGS = {"name": Name, "dtype": Maybe(DType),
                "threshold": Float(0.0, 1.0)}


def _compile(compiled):
    """The validated compile settings, or None (not compiled)."""
    if compiled is None:
        return None
    if not isinstance(compiled, dict):
        raise Refused("malformed compile settings",
                      "configuración de compile mal formada")
    where = ("compile",)
    optimizer = compiled.get("optimizer")
    if isinstance(optimizer, str):
        optimizer = {"class_name": {o.lower(): o for o in OPTIMIZERS}.get(
            optimizer.lower(), optimizer), "config": {}}
    name, config = _object(optimizer, ("compile", "optimizer"))
    if name not in OPTIMIZERS:
        raise Refused(
            f"the optimiser {name} is not allowed: use one of "
            f"{', '.join(OPTIMIZERS)}",
            f"el optimizador {name} no está permitido: usa uno de "
            f"{', '.join(OPTIMIZERS)}")
    if isinstance(config.get("learning_rate"), dict):
        raise Refused("a learning-rate schedule is not allowed: give a "
                      "number", "no se permite un calendario de tasa de "
                      "aprendizaje: da un número")
    if config.get("learning_rate", 1.0) is not None and _number(
            config.get("learning_rate", 1.0)) and config.get(
            "learning_rate", 1.0) < MIN_LEARNING_RATE:
        rate = config["learning_rate"]
        raise Refused(
            f"the learning rate {rate:g} is below {MIN_LEARNING_RATE:g}: "
            "the model would hardly train within the check's budget",
            f"la tasa de aprendizaje {rate:g} es menor que "
            f"{MIN_LEARNING_RATE:g}: el modelo casi no se entrenaría con "
            "el presupuesto de la prueba")
    spec = {"optimizer": {"class_name": name, "config": _arguments(
        config, _OPTIMIZER_ARGS, ("optimizer", name))}}
    loss = compiled.get("loss")
    if isinstance(loss, dict):
        loss_name, loss_config = _object(loss, ("compile", "loss"))
        if loss_name not in _LOSS_CLASSES:
            loss = loss_name  # refused below, by name
        else:
            spec["loss"] = {"class_name": loss_name, "config": _arguments(
                loss_config, _LOSS_ARGS, ("loss", loss_name))}
    if "loss" not in spec:
        if loss == "mse":
            loss = "mean_squared_error"
        if loss not in LOSSES:
            raise Refused(
                f"the loss {_show(loss)} is not allowed: use one of "
                f"{', '.join(LOSSES)}",
                f"la pérdida {_show(loss)} no está permitida: usa una de "
                f"{', '.join(LOSSES)}")
        spec["loss"] = loss
    metrics = compiled.get("metrics") or []
    if not isinstance(metrics, list) or len(metrics) > 4:
        raise Refused("malformed metrics", "métricas mal formadas")
    spec["metrics"] = []
    for metric in metrics:
        if isinstance(metric, dict):
            metric_name, metric_config = _object(metric, where)
            if metric_name in _METRIC_CLASSES:
                spec["metrics"].append({
                    "class_name": metric_name, "config": _arguments(
                        metric_config, _METRIC_ARGS,
                        ("metrics", metric_name))})
                continue
            metric = metric_name
        if metric not in METRICS:
            raise Refused(
                f"the metric {_show(metric)} is not allowed: use "
                "\"accuracy\"",
                f"la métrica {_show(metric)} no está permitida: usa "
                "\"accuracy\"")
        spec["metrics"].append(metric)
    for key, default in (("loss_weights", None), ("weighted_metrics", None),
                         ("run_eagerly", False)):
        if compiled.get(key, default) not in (default, [], {}):
            raise _bad(("compile", key), "is not supported here",
                       "no está disponible aquí")
    return spec


# --------------------------------------------------------------- build


def parameters_of(spec_layer, in_dim):
    """Weights a layer will allocate on inputs whose last size is in_dim.

    An upper bound computed before the layer is built, so that a model
    that declares millions of units is refused before any allocation.
    """
    name, c = spec_layer["class_name"], spec_layer["config"]
    in_dim = in_dim or 1
    if name == "Dense":
        return (in_dim + 1) * c["units"]
    if name == "Embedding":
        return c["input_dim"] * c["output_dim"]
    if name in RECURRENT:
        gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[name]
        return gates * c["units"] * (in_dim + c["units"] + 2)
    if name == "Bidirectional":
        return 2 * parameters_of(c["layer"], in_dim)
    if name == "TimeDistributed":
        return parameters_of(c["layer"], in_dim)
    if name == "MultiHeadAttention":
        value_dim = c.get("value_dim") or c["key_dim"]
        return 4 * (in_dim + 1) * c["num_heads"] * max(c["key_dim"],
                                                       value_dim)
    if name == "LayerNormalization":
        return 2 * in_dim
    if name in ("Attention", "AdditiveAttention"):
        return in_dim + 1
    return 0


def _too_many(total, cap):
    return Refused(
        f"the model would have more than {cap:,} weights ({total:,} "
        "counted so far): it is far larger than this chapter needs",
        f"el modelo tendría más de {cap:,} pesos ({total:,} contados "
        "hasta ahora): es mucho más grande de lo que este capítulo "
        "necesita".replace(",", " "))


def _construct(layer):
    """A new Keras layer from its validated description."""
    import keras

    name, config = layer["class_name"], dict(layer["config"])
    for key, value in list(config.items()):
        if key.endswith("_initializer"):
            config[key] = getattr(keras.initializers, value["class_name"])(
                **{k: v for k, v in value["config"].items()
                   if k not in ("seed", "input_axes", "output_axes")})
        elif key.endswith("_regularizer") and value is not None:
            config[key] = getattr(keras.regularizers, value["class_name"])(
                **value["config"])
        elif key in ("layer", "backward_layer") and value is not None:
            config[key] = _construct(value)
        elif value is None and key in ("seed",):
            config.pop(key)
    config.pop("seed", None)
    return getattr(keras.layers, name)(**config)


def build(spec, weights=None, max_parameters=MAX_PARAMETERS):
    """The Keras model of a validated description, compiled.

    Parameters
    ----------
    spec : dict
        What :func:`validate` returned.
    weights : callable, optional
        ``weights(path) -> np.ndarray``: the array the function received
        at ``path``, for the Embedding layers that hold one. Without it
        (or if it returns None) such a layer keeps its fresh weights.
    max_parameters : int
        Most weights allowed; checked before each layer is built.

    Returns
    -------
    keras.Model

    Raises
    ------
    Refused
        If the model would be too large, or Keras cannot connect its
        layers (the message says which).
    """
    import keras

    total = 0

    def check(layer, shape):
        """Refuse before building when the weights would pass the cap."""
        estimate = parameters_of(layer, (shape or (None,))[-1])
        if total + estimate > max_parameters:
            raise _too_many(total + estimate, max_parameters)

    def add(layer, model):
        nonlocal total
        check(layer, model.layers[-1].output.shape if model.layers
              else spec["layers"][0]["config"]["batch_shape"])
        made = _construct(layer)
        model.add(made)
        total += made.count_params()
        return made

    def call(layer, tensors_in, *args, **kwargs):
        nonlocal total
        first = tensors_in
        while isinstance(first, (list, tuple)):
            first = first[0]
        check(layer, getattr(first, "shape", None))
        made = _construct(layer)
        out = made(tensors_in, *args, **kwargs)
        total += made.count_params()
        return made, out

    try:
        if spec["class"] == "Sequential":
            first, *rest = spec["layers"]
            model = keras.Sequential([keras.Input(
                batch_shape=tuple(first["config"]["batch_shape"]),
                dtype=first["config"].get("dtype", "float32"),
                name=first["config"].get("name"))], name="model")
            built_layers = {}
            for layer in rest:
                made = add(layer, model)
                built_layers[made.name] = made
        else:
            model, built_layers = _build_functional(spec, call)
    except Refused:
        raise
    except Exception as error:  # noqa: BLE001 -- Keras's own complaint
        text = str(error).strip().splitlines()
        detail = text[0][:300] if text else type(error).__name__
        raise Refused(f"Keras could not build the model: {detail}",
                      f"Keras no pudo construir el modelo: {detail}"
                      ) from None
    if weights is not None:
        for name, path in spec["weights"].items():
            array = weights(tuple(path))
            layer = built_layers.get(name)
            if isinstance(array, np.ndarray) and layer is not None and \
                    array.dtype.kind in "fiu" and \
                    tuple(array.shape) == tuple(layer.embeddings.shape):
                layer.embeddings.assign(array.astype("float32"))
    compiled = spec.get("compile")
    if compiled is not None:
        model.compile(**compile_arguments(compiled))
    return model


def _build_functional(spec, call):
    import keras

    tensors, built_layers, operations = {}, {}, {
        "NotEqual": keras.ops.not_equal}

    def resolve(value):
        if isinstance(value, dict) and "ref" in value:
            key = tuple(value["ref"])
            if key not in tensors:
                raise Refused("malformed connection between layers",
                              "conexión entre capas mal formada")
            return tensors[key]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    for layer in spec["layers"]:
        name = layer["name"]
        if layer["class_name"] == "InputLayer":
            config = layer["config"]
            tensors[(name, 0, 0)] = keras.Input(
                batch_shape=tuple(config["batch_shape"]),
                dtype=config.get("dtype", "float32"), name=name)
            continue
        for index, node in enumerate(layer["nodes"]):
            args = [resolve(a) for a in node["args"]]
            kwargs = {k: resolve(v) for k, v in node["kwargs"].items()}
            if layer["class_name"] in operations:
                out = operations[layer["class_name"]](*args)
            else:
                if index == 0:
                    made, out = call(layer, args[0], *args[1:], **kwargs)
                    built_layers[name] = made
                else:
                    out = built_layers[name](*args, **kwargs)
            for i, tensor in enumerate(keras.tree.flatten(out)):
                tensors[(name, index, i)] = tensor
    inputs = [tensors[tuple(v)] for v in spec["inputs"]]
    outputs = [tensors[tuple(v)] for v in spec["outputs"]]
    model = keras.Model(inputs if len(inputs) > 1 else inputs[0],
                        outputs if len(outputs) > 1 else outputs[0],
                        name="model")
    return model, built_layers


def compile_arguments(compiled):
    """``model.compile`` keyword arguments from validated settings."""
    import keras

    optimizer = compiled["optimizer"]
    args = {"optimizer": getattr(keras.optimizers, optimizer["class_name"])(
        **optimizer["config"])}
    loss = compiled["loss"]
    args["loss"] = loss if isinstance(loss, str) else getattr(
        keras.losses, loss["class_name"])(**loss["config"])
    args["metrics"] = [
        m if isinstance(m, str) else getattr(keras.metrics, m["class_name"])(
            **m["config"]) for m in compiled["metrics"]]
    return args


def layers_of(spec):
    """Every validated layer of ``spec``, wrapped ones included."""
    found = []
    for layer in spec["layers"]:
        found.append(layer)
        for key in ("layer", "backward_layer"):
            inner = layer["config"].get(key)
            if isinstance(inner, dict):
                found.append(inner)
    return found
