"""Stand-ins for the student's functions in the trusted grader.

A :class:`Proxy` is what the checks receive in place of a graded
function. Calling it sends the arguments to the sandboxed kernel, where
the student's function runs, and returns what came back. Afterwards the
caller's own arguments are brought up to date with the kernel's copies,
so an in-place modification is seen exactly as if the function had run
here, and a returned array that is (or views) an argument is that
argument, so aliasing can be checked too. What the function raised is
raised again here, as an exception with the same type name (a subclass
of the same built-in exception) and a ``student_line`` attribute.
"""

import builtins
import re

import numpy as np

#: Messages of the grader itself, in the notebook's language.
MESSAGES = {
    "timeout": {
        "en": "did not finish within the time limit of {seconds} s",
        "es": "no terminó dentro del límite de tiempo de {seconds} s",
    },
    "died": {
        "en": "stopped the kernel while it ran (it exited or crashed); "
              "the kernel was started again for the next tests",
        "es": "detuvo el kernel mientras se ejecutaba (terminó o falló); "
              "el kernel se reinició para las siguientes pruebas",
    },
    "unsupported": {
        "en": "returned a value that cannot be graded ({detail}): return "
              "NumPy arrays, numbers, strings, None, or tuples, lists and "
              "dicts of them",
        "es": "devolvió un valor que no se puede calificar ({detail}): "
              "devuelve arrays de NumPy, números, cadenas, None, o tuplas, "
              "listas y diccionarios de ellos",
    },
    "unsafe_model": {
        "en": "returned a Keras model that cannot be graded: {detail}",
        "es": "devolvió un modelo de Keras que no se puede calificar: "
              "{detail}",
    },
    "no_answer": {
        "en": "gave no answer: its kernel wrote neither a result nor an "
              "error (its grading helper was changed or removed, or its "
              "disk was full)",
        "es": "no dio respuesta: su kernel no escribió ni un resultado ni "
              "un error (su código auxiliar de calificación fue "
              "modificado o eliminado, o su disco estaba lleno)",
    },
    "not_saved": {
        "en": "returned a value that its kernel could not write out for "
              "grading ({detail})",
        "es": "devolvió un valor que su kernel no pudo escribir para "
              "calificarlo ({detail})",
    },
    "not_a_file": {
        "en": "gave no usable answer: its kernel left something that is "
              "not a regular file where the grader reads ({detail})",
        "es": "no dio una respuesta utilizable: su kernel dejó algo que "
              "no es un archivo regular donde lee el calificador "
              "({detail})",
    },
    "scratch_full": {
        "en": "stopped the kernel: it wrote more than {mib} MiB into the "
              "grader's exchange folders; the kernel was started again "
              "for the next tests",
        "es": "detuvo el kernel: escribió más de {mib} MiB en las carpetas "
              "de intercambio del calificador; el kernel se reinició para "
              "las siguientes pruebas",
    },
    "stuck": {
        "en": "did not finish within the time limit of {seconds} s and "
              "ignored the interrupt: its kernel was stopped and started "
              "again",
        "es": "no terminó dentro del límite de tiempo de {seconds} s e "
              "ignoró la interrupción: su kernel se detuvo y se inició "
              "de nuevo",
    },
    "over": {
        "en": "was not run: the submission used up its total time limit "
              "of {seconds} s",
        "es": "no se ejecutó: la entrega agotó su límite total de tiempo "
              "de {seconds} s",
    },
}


def message(key, lang, **fields):
    """A grader message in ``lang`` ("en" or "es")."""
    texts = MESSAGES[key]
    return texts.get(lang, texts["en"]).format(**fields)


class GradingTimeout(TimeoutError):
    """The student's function ran past its time limit."""


class KernelDied(RuntimeError):
    """The kernel ended while the student's function ran."""


class KernelStuck(KernelDied):
    """The kernel ignored the interrupt after a time-out; it was killed."""


class NotGradable(TypeError):
    """The student's function returned something that cannot cross."""


class UnsafeModel(NotGradable):
    """The student's function returned a model whose description is not
    allowed (:func:`models.validate`): a Lambda, a custom layer, an
    argument out of range..."""


class NoAnswer(RuntimeError):
    """The kernel answered nothing to a call."""


def rebuild_exception(info):
    """An exception like the one the student's function raised.

    Parameters
    ----------
    info : dict
        ``type`` (name), ``base`` (name of a built-in exception class it
        derives from), ``message`` and ``line`` ([lineno, source] or
        None), as written by the worker.
    """
    base = getattr(builtins, str(info.get("base")), None)
    if not (isinstance(base, type) and issubclass(base, Exception)
            or base is SystemExit):
        base = RuntimeError
    name = re.sub(r"\W", "", str(info.get("type", "")))[:100] or "Error"
    text = str(info.get("message", ""))
    cls = base if name == base.__name__ else type(name, (base,), {})
    try:
        error = cls(text)
    except Exception:  # a built-in whose constructor wants more
        error = type(name, (Exception,), {})(text)
    line = info.get("line")
    if (isinstance(line, list) and len(line) == 2
            and isinstance(line[0], int) and isinstance(line[1], str)):
        error.student_line = (line[0], line[1])
    else:
        error.student_line = None
    return error


class Proxy:
    """Callable stand-in for the student's function ``name``.

    Parameters
    ----------
    name : str
        The graded function (its ``grade_id``).
    session : KernelSession
        The sandboxed kernel that holds the student's code.
    """

    def __init__(self, name, session):
        self.__name__ = self.__qualname__ = name
        self._session = session

    def __repr__(self):
        return f"<function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        result, after = self._session.call(
            self.__name__, args, kwargs, lookup=_lookup(args, kwargs))
        after_args, after_kwargs = after
        for before, now in zip(args, after_args, strict=False):
            update(before, now)
        for key in kwargs.keys() & after_kwargs.keys():
            update(kwargs[key], after_kwargs[key])
        return result


def _lookup(args, kwargs):
    """``lookup(path)``: the caller's object at a path into the call."""

    def lookup(path):
        if not path or path[0] not in ("a", "k"):
            raise KeyError(path)
        value = args if path[0] == "a" else kwargs
        for key in path[1:]:
            value = value[key]
        return value

    def safe(path):
        try:
            return lookup(path)
        except (KeyError, IndexError, TypeError):
            return None

    return safe


def update(before, after):
    """Bring the caller's ``before`` up to date with the kernel's ``after``.

    Arrays are written in place, lists and dicts are changed in place
    (their unchanged items keep their identity), a Generator takes the
    new state; immutable values need nothing.
    """
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if (before.shape == after.shape and before.dtype == after.dtype
                and not np.array_equal(before, after, equal_nan=True)
                and before.flags.writeable):
            before[...] = after
    elif isinstance(before, list) and isinstance(after, list):
        merged = []
        for index, now in enumerate(after):
            if index < len(before) and _same_kind(before[index], now):
                update(before[index], now)
                merged.append(before[index])
            else:
                merged.append(now)
        if len(merged) != len(before) or any(
                m is not b for m, b in zip(merged, before, strict=False)):
            before[:] = merged
    elif isinstance(before, dict) and isinstance(after, dict):
        for key in list(before):
            if key not in after:
                del before[key]
        for key, now in after.items():
            if key in before and _same_kind(before[key], now):
                update(before[key], now)
            else:
                before[key] = now
    elif isinstance(before, tuple) and isinstance(after, (tuple, list)):
        for old, now in zip(before, after, strict=False):
            update(old, now)
    elif isinstance(before, np.random.Generator) and \
            isinstance(after, np.random.Generator):
        before.bit_generator.state = after.bit_generator.state


def _same_kind(before, after):
    """True when ``before`` can be updated in place to ``after``."""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and before.dtype == after.dtype)
    if isinstance(before, (list, dict, tuple, np.random.Generator)):
        return type(before) is type(after) or (
            isinstance(before, np.random.Generator)
            and isinstance(after, np.random.Generator))
    return before == after if isinstance(before, (str, int, float)) \
        and type(before) is type(after) else False
