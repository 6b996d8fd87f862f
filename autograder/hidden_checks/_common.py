"""Helpers shared by the hidden checks: tolerance, messages, safe calls.

A check never lets the student's code crash it: :func:`call` runs the
student's function and turns any exception into an :class:`AssertionError`
that names the exception and the student's line that raised it; the
``expect_*`` helpers turn a wrong type, shape, dtype, a NaN or a wrong
value into an :class:`AssertionError` with a hint. Every message exists
in English and Spanish (:class:`Text`) and never shows the hidden inputs.

The course has one tolerance, :data:`RTOL`, stated in every notebook:
each value and each gradient is compared with an independent float64
oracle, and passes when their norm-wise relative error is at most RTOL.
"""

import copy
import functools
import linecache
import math
import numbers
import traceback
import warnings
from typing import NamedTuple

import keras
import numpy as np

from rnn_course.gradcheck import numerical_gradient, relative_error

#: Languages of the notebooks, hence of the messages.
LANGUAGES = ("en", "es")

#: The one tolerance of the course, for values and gradients alike: the
#: largest norm-wise relative error ``||a - b|| / (||a|| + ||b||)``
#: between the student's result and the oracle's. Correct code written
#: the usual ways stays well below it on the hidden inputs (an epsilon
#: of up to 1e-7 in a logarithm or a norm, PyTorch's ``norm + 1e-6``,
#: float32 accumulation, loops or vectorised code, any order of
#: operations: at most ~2e-7); conceptual mistakes are far above it, and
#: the hidden inputs are chosen so that they are (never the tolerance).
RTOL = 1e-6

#: Longest excerpt of a student's exception message quoted back.
MAX_QUOTE = 300


class Text(NamedTuple):
    """One message in both languages of the course."""

    en: str
    es: str

    def pick(self, lang):
        """The message in ``lang``."""
        return self.es if lang == "es" else self.en

    def format(self, **fields):
        """Both messages with ``str.format(**fields)`` applied."""
        return Text(self.en.format(**fields), self.es.format(**fields))


def check_lang(lang):
    """Raise ValueError unless ``lang`` is a language of the course."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")


def render(lang, *parts):
    """Join the parts (Text, str or None) into one message in ``lang``."""
    words = []
    for part in parts:
        if part is None:
            continue
        words.append(part.pick(lang) if isinstance(part, Text) else part)
    message = ""
    for word in (word.strip() for word in words):
        if not word:
            continue
        glue = "" if not message or word[0] in ".,;:)" else " "
        message += glue + word
    return message


def fail(lang, *parts):
    """Raise AssertionError with the parts rendered in ``lang``."""
    raise AssertionError(render(lang, *parts))


def shape_case(**shapes):
    """'for x of shape (2, 3), ...' in both languages."""
    en = ", ".join(f"{k} of shape {v}" for k, v in shapes.items())
    es = ", ".join(f"{k} de forma {v}" for k, v in shapes.items())
    return Text(f"for {en}", f"para {es}")


def _quote(error):
    """``TypeError: message`` of an exception, short and never raising."""
    try:
        message = str(error)
    except Exception:  # a hostile __str__
        message = ""
    if len(message) > MAX_QUOTE:
        message = message[:MAX_QUOTE] + "..."
    name = type(error).__name__
    return f"{name}: {message}" if message else name


def _student_line(error, fn):
    """(line number, source) of the student's deepest frame, or None."""
    # A proxy of the trusted grading step (the function ran in another
    # process) sends the student's line along with the exception.
    sent = getattr(error, "student_line", None)
    if sent is not None:
        return sent
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    found = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == code.co_filename:
            found = frame, lineno
    if found is None:
        return None
    frame, lineno = found
    source = linecache.getline(code.co_filename, lineno, frame.f_globals)
    return lineno, source.strip()


def _same(before, after):
    """True when an argument is unchanged by the student's call.

    Arrays are compared by dtype, shape and values; lists, tuples and
    dicts item by item (the container and every array in it); anything
    else counts as unchanged.
    """
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.dtype == after.dtype
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=True)
        )
    if isinstance(before, (list, tuple)):
        return (
            type(after) is type(before)
            and len(after) == len(before)
            and all(_same(b, a) for b, a in zip(before, after, strict=True))
        )
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and after.keys() == before.keys()
            and all(_same(before[k], after[k]) for k in before)
        )
    return True


def call(fn, args, *, name, arg_names, lang, frozen=None, new_arrays=False,
         after=None):
    """Call ``fn(*args)`` on copies of ``args``; fail instead of raising.

    Parameters
    ----------
    fn : callable
        The student's function.
    args : tuple
        Positional arguments, plain data only (arrays, numbers, str,
        None, and lists, tuples, dicts of them); ``fn`` receives deep
        copies, so the check's own arrays survive whatever ``fn`` does.
    name : str
        Name of the graded function, used in messages.
    arg_names : tuple of str
        Name of each argument, used in messages.
    lang : {"en", "es"}
    frozen : tuple of str, optional
        Arguments that ``fn`` must not modify in place (default: every
        argument: the notebooks say that no function modifies its
        arguments). A list, tuple or dict is compared item by item, the
        arrays in it included.
    new_arrays : bool
        If True (the docstring promises new arrays), no array that ``fn``
        returns, however deep in its result, may share memory with an
        array of its arguments.
    after : list, optional
        Receives the copies of ``args`` as ``fn`` left them (e.g. a
        generator, to count what ``fn`` drew from it).

    Returns
    -------
    object
        What ``fn`` returned.

    Raises
    ------
    AssertionError
        If ``fn`` raised (the message names the exception and the
        student's line), modified a frozen argument or returned one of
        its arguments' arrays where new ones are promised.
    """
    check_lang(lang)
    given = copy.deepcopy(tuple(args))
    raised = None
    try:
        with np.errstate(all="ignore"):
            result = fn(*given)
    except (Exception, SystemExit) as error:
        # Fail outside the handler: no chained traceback into this module.
        # KeyboardInterrupt (nbgrader's timeout) is let through.
        raised = error, _quote(error), _student_line(error, fn)
    if raised is not None:
        error, quote, where = raised
        detail = None
        if where is not None:
            lineno, source = where
            detail = Text(
                f"(line {lineno} of its cell: `{source}`).",
                f"(línea {lineno} de su celda: `{source}`).",
            )
        if isinstance(error, NotImplementedError):
            hint = Text(
                "Write your code in place of `raise NotImplementedError()`.",
                "Escribe tu código en lugar de "
                "`raise NotImplementedError()`.",
            )
        elif isinstance(error, (ValueError, IndexError, TypeError)):
            hint = Text(
                "Run the visible tests and check the shapes of the arrays "
                "on that line.",
                "Ejecuta las pruebas visibles y revisa las formas de los "
                "arrays de esa línea.",
            )
        else:
            hint = None
        fail(
            lang,
            Text(f"{name} raised {quote}", f"{name} lanzó {quote}"),
            detail if detail is not None else ".",
            hint,
        )
    if after is not None:
        after.extend(given)
    if frozen is None:
        frozen = tuple(arg_names)
    for arg, before, now in zip(arg_names, args, given, strict=True):
        if arg in frozen and not _same(before, now):
            if not isinstance(before, np.ndarray):
                fail(
                    lang,
                    Text(
                        f"{name} modified its argument `{arg}` in place "
                        "(an array in it, or the container itself). Read "
                        "from it and build new arrays instead (e.g. "
                        "`g * scale`, not `g *= scale`): the caller still "
                        f"needs `{arg}`.",
                        f"{name} modificó su argumento `{arg}` in situ "
                        "(un array que contiene, o el propio contenedor). "
                        "Lee de él y crea arrays nuevos (p. ej. "
                        "`g * scale`, no `g *= scale`): quien llama aún "
                        f"necesita `{arg}`.",
                    ),
                )
            fail(
                lang,
                Text(
                    f"{name} modified its argument `{arg}` in place. "
                    "Build a new array instead (e.g. "
                    f"`{arg} * mask`, `{arg} - m`, or `{arg}.copy()` "
                    f"before assigning into it): the caller still needs "
                    f"`{arg}`.",
                    f"{name} modificó su argumento `{arg}` in situ. Crea "
                    f"un array nuevo (p. ej. `{arg} * mask`, `{arg} - m` "
                    f"o `{arg}.copy()` antes de asignar en él): quien "
                    f"llama aún necesita `{arg}`.",
                ),
            )
    if new_arrays:
        _expect_new_arrays(result, given, name, arg_names, lang)
    return result


def _arrays_in(value):
    """Every ndarray in ``value``, inside lists, tuples and dicts too."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, dict):
        items = list(value.values())
    else:
        return []
    return [array for item in items for array in _arrays_in(item)]


def _expect_new_arrays(result, given, name, arg_names, lang):
    """Fail if an array of ``result`` shares memory with an argument."""
    returned = _arrays_in(result)
    for arg, value in zip(arg_names, given, strict=True):
        for array in _arrays_in(value):
            if any(np.shares_memory(out, array) for out in returned):
                fail(
                    lang,
                    Text(
                        f"{name} returned an array that is (or shares its "
                        f"memory with) an array of its argument `{arg}`; "
                        "its docstring promises new arrays, even when "
                        "nothing changes. Return a copy (e.g. "
                        "`g.copy()`).",
                        f"{name} devolvió un array que es (o comparte "
                        f"memoria con) un array de su argumento `{arg}`; "
                        "su docstring promete arrays nuevos, aunque nada "
                        "cambie. Devuelve una copia (p. ej. `g.copy()`).",
                    ),
                )


def _missing_return(what):
    return Text(
        f"{what} is None: did you forget the `return`?",
        f"{what} es None: ¿olvidaste el `return`?",
    )


def expect_tuple(value, n, *, what, lang, names=""):
    """Check that ``value`` is a tuple (or list) of ``n`` items.

    ``what`` names the value (e.g. ``"dense_forward"``); ``names`` (e.g.
    ``"(out, cache)"``) lists the expected items in the message.
    """
    what = what.pick(lang) if isinstance(what, Text) else what
    if value is None:
        fail(lang, _missing_return(what))
    if isinstance(value, (tuple, list)):
        if len(value) == n:
            return tuple(value)
        got = Text(
            f"a {type(value).__name__} of {len(value)} items",
            f"un objeto {type(value).__name__} de {len(value)} elementos",
        )
    else:
        got = Text(
            f"an object of type {type(value).__name__}",
            f"un objeto {type(value).__name__}",
        )
    fail(
        lang,
        Text(
            f"{what} must be a tuple of {n} items {names}, not",
            f"{what} debe ser una tupla de {n} elementos {names}, no",
        ),
        got,
        ".",
    )


def expect_array(
    value, *, what, shape, lang, kind="float", shape_hint=None,
    finite_hint=None,
):
    """Check type, dtype kind, shape and finiteness of an output array.

    Parameters
    ----------
    value : object
        What the student returned.
    what : Text or str
        Name of the output in messages, e.g. ``"softmax(z)"``.
    shape : tuple of int
        Expected shape.
    lang : {"en", "es"}
    kind : {"float", "int"}
        Expected kind of dtype.
    shape_hint, finite_hint : Text, optional
        Hints added when the shape is wrong / when a value is NaN or inf.

    Returns
    -------
    np.ndarray
        ``value`` as a plain ndarray.
    """
    label = what.pick(lang) if isinstance(what, Text) else what
    if value is None:
        fail(lang, _missing_return(label))
    if not isinstance(value, np.ndarray):
        got = type(value).__name__
        fail(
            lang,
            Text(
                f"{label} must be a NumPy array, not an object of type "
                f"{got}.",
                f"{label} debe ser un array de NumPy, no un objeto {got}.",
            ),
        )
    value = np.asarray(value)
    wanted = np.floating if kind == "float" else np.integer
    if not np.issubdtype(value.dtype, wanted):
        fail(
            lang,
            Text(
                f"{label} must hold {kind}s; its dtype is {value.dtype}.",
                f"{label} debe contener "
                f"{'floats' if kind == 'float' else 'enteros'}; "
                f"su dtype es {value.dtype}.",
            ),
        )
    shape = tuple(shape)
    if value.shape != shape:
        fail(
            lang,
            Text(
                f"{label} has shape {value.shape}; expected {shape}.",
                f"{label} tiene forma {value.shape}; se esperaba {shape}.",
            ),
            shape_hint,
        )
    if kind == "float" and not np.all(np.isfinite(value)):
        fail(
            lang,
            Text(
                f"{label} contains NaN or inf values.",
                f"{label} contiene valores NaN o inf.",
            ),
            finite_hint,
        )
    return value


def expect_scalar(value, *, what, lang, hint=None, finite_hint=None):
    """Check that ``value`` is one finite real number; return it as float.

    Python and NumPy floats and 0-d arrays are accepted; arrays with an
    axis are not (a loss is one number, not one per example).
    """
    label = what.pick(lang) if isinstance(what, Text) else what
    if value is None:
        fail(lang, _missing_return(label))
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            fail(
                lang,
                Text(
                    f"{label} must be one number (a float), not an array "
                    f"of shape {value.shape}.",
                    f"{label} debe ser un solo número (un float), no un "
                    f"array de forma {value.shape}.",
                ),
                hint,
            )
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, numbers.Real
    ):
        got = type(value).__name__
        fail(
            lang,
            Text(
                f"{label} must be a float, not an object of type {got}.",
                f"{label} debe ser un float, no un objeto {got}.",
            ),
        )
    value = float(value)
    if not math.isfinite(value):
        fail(
            lang,
            Text(
                f"{label} is {value}, not a finite number.",
                f"{label} vale {value}, no es un número finito.",
            ),
            finite_hint,
        )
    return value


def expect_close(actual, expected, *, what, lang, case=None, hint=None):
    """Fail unless ``relative_error(actual, expected) <= RTOL``.

    Parameters
    ----------
    actual, expected : array_like or float, same shape
        The student's value and the oracle's.
    what : Text or str
        Name of the value in messages.
    case : Text, optional
        Which kind of input failed, e.g. "for name='tanh'" (never the
        input itself).
    hint : Text, optional
        What to look at.
    """
    rtol = RTOL
    error = relative_error(actual, expected)
    if error <= rtol:  # False for NaN
        return
    label = what.pick(lang) if isinstance(what, Text) else what
    dtype = getattr(np.asarray(actual), "dtype", None)
    note = None
    if dtype is not None and dtype != np.float64:
        note = Text(
            f"It has dtype {dtype}: compute in float64.",
            f"Tiene dtype {dtype}: calcula en float64.",
        )
    fail(
        lang,
        Text(
            f"{label} does not match the expected value",
            f"{label} no coincide con el valor esperado",
        ),
        case,
        Text(
            f"(relative error {error:.1e}, tolerance {rtol:.0e}).",
            f"(error relativo {error:.1e}, tolerancia {rtol:.0e}).",
        ),
        note,
        hint,
    )


def matches(a, b):
    """True when ``a`` is ``b`` within the tolerance (for diagnoses)."""
    try:
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and relative_error(a, b) <= RTOL


def diagnose(actual, expected, mistakes):
    """The hint of the first mistake that explains ``actual``, or None.

    ``mistakes`` is a sequence of ``(compute, hint)``: ``compute()``
    returns what a given wrong implementation would output (None when
    that mistake is impossible for these inputs). A mistake is named
    only when its value matches ``actual`` within the tolerance and
    differs from ``expected`` by more than the tolerance: a hint is
    never given for a value that a correct answer could produce.
    """
    for compute, mistake_hint in mistakes:
        try:
            wrong = compute()
        except Exception:  # that mistake cannot happen with these shapes
            continue
        if wrong is None or not matches(actual, wrong):
            continue
        if not matches(wrong, expected):
            return mistake_hint
    return None


#: A common mistake is named only if its value differs from the expected
#: one by more than this relative error (so a hint never describes a
#: value that is, in fact, right).
DISTINCT = 1e-3


def distinct(compute, expected):
    """``compute`` made to return None when its value is the expected one.

    A common mistake is named only when it changes the value: the hint
    must never describe a value that is right (see :data:`DISTINCT`).
    """

    def wrong():
        value = compute()
        if value is None:
            return None
        value = np.asarray(value, dtype=np.float64)
        if value.shape != np.shape(expected):
            return None
        if relative_error(value, expected) <= DISTINCT:
            return None
        return value

    return wrong


def named_mistakes(expected, pairs):
    """[(compute, hint)] with every compute wrapped by :func:`distinct`."""
    return [(distinct(compute, expected), hint) for compute, hint in pairs]


def expect_value(actual, expected, *, what, lang, case, hint, mistakes=()):
    """``expect_close`` with a hint naming the mistake, when one matches.

    ``mistakes`` is a sequence of ``(compute, hint)`` (see
    :func:`diagnose`); they are computed only once the value is known to
    be wrong.
    """
    if relative_error(actual, expected) <= RTOL:
        return
    hint = diagnose(actual, expected, mistakes) or hint
    if np.asarray(expected).dtype != np.float64:
        # A float32 case: no "compute in float64" note.
        actual = np.asarray(actual, dtype=np.float64)
    expect_close(
        actual, expected, what=what, lang=lang, case=case, hint=hint,
    )


def expect_cache(cache, wanted, *, names, lang, hint, what="cache"):
    """Check a cache item by item against the layout of a docstring.

    Parameters
    ----------
    cache : object
        What the student's forward function returned as its cache.
    wanted : tuple
        The expected items: arrays (compared by shape and values, within
        the tolerance, so float32 storage is accepted) and other values
        (compared with ``==``, and by type for str and int).
    names : str
        The layout, e.g. ``"(x, W, b)"``, for the message.
    lang : {"en", "es"}
    hint : Text
        The message when an item is wrong: what the cache must hold and
        which function reads it.
    what : str
        Name of the cache in messages, e.g. ``"cache[2]"``.
    """
    cache = expect_tuple(
        cache, len(wanted), what=what, names=names, lang=lang,
    )
    for got, want in zip(cache, wanted, strict=True):
        if isinstance(want, np.ndarray):
            if not (
                isinstance(got, np.ndarray)
                and got.shape == want.shape
                and got.dtype.kind == want.dtype.kind
                and matches(got, want)
            ):
                fail(lang, hint)
        elif isinstance(want, str):
            if not (isinstance(got, str) and got == want):
                fail(lang, hint)
        elif isinstance(want, numbers.Integral):
            if not (
                isinstance(got, numbers.Integral)
                and not isinstance(got, (bool, np.bool_))
                and got == want
            ):
                fail(lang, hint)
        elif got != want:
            fail(lang, hint)


# ------------------------------------------------------------- gradients


def numerical_gradients(loss, inputs):
    """Centred differences of ``loss(*inputs)`` w.r.t. every input.

    Parameters
    ----------
    loss : callable
        ``loss(*inputs) -> float``, written in NumPy, in float64.
    inputs : sequence of np.ndarray of float64
        The point; never modified.

    Returns
    -------
    list of np.ndarray
        One gradient per input, shaped like it.
    """
    grads = []
    for k in range(len(inputs)):
        point = [a.copy() for a in inputs]

        def f(v, k=k, point=point):
            point[k] = v
            return loss(*point)

        grads.append(numerical_gradient(f, point[k].copy()))
    return grads


def expect_grads(grads, names, like, *, what, lang, hints=None):
    """Check a tuple of gradients, each shaped like its array.

    Parameters
    ----------
    grads : object
        What the student's backward function returned.
    names : sequence of str
        Name of each gradient, e.g. ``("dx", "dW")``.
    like : sequence of np.ndarray
        An array of the expected shape for each gradient.
    what : str
        The call, for messages, e.g. ``"dense_backward(dout, cache)"``.
    lang : {"en", "es"}
    hints : dict of str to Text, optional
        Shape hint per gradient name (default: "a gradient has the shape
        of what it is the gradient of").

    Returns
    -------
    list of np.ndarray
    """
    grads = expect_tuple(
        grads, len(names), what=what, names=f"({', '.join(names)})",
        lang=lang,
    )
    hints = hints or {}
    return [
        expect_array(
            g, what=name, shape=want.shape, lang=lang,
            shape_hint=hints.get(name, Text(
                f"{name} has the shape of {name[1:]}, {want.shape}: a "
                "gradient has the shape of what it is the gradient of.",
                f"{name} tiene la forma de {name[1:]}, {want.shape}: un "
                "gradiente tiene la forma de aquello de lo que es "
                "gradiente.",
            )),
        )
        for g, name, want in zip(grads, names, like, strict=True)
    ]


def expect_gradients(grads, names, expected, numeric, *, lang, case, hint,
                     mistakes=None):
    """Compare each gradient with its two oracles, naming known mistakes.

    Parameters
    ----------
    grads : sequence of np.ndarray
        The student's gradients (already checked by :func:`expect_grads`).
    names : sequence of str
        Name of each gradient.
    expected : sequence of np.ndarray
        The gradients of ``tf.GradientTape`` (or of another independent
        oracle), compared first, with the mistakes.
    numeric : sequence of np.ndarray, or None
        The centred differences in float64, compared second.
    lang : {"en", "es"}
    case : Text
        Which kind of input, for messages.
    hint : Text or dict of str to Text
        The hint when a gradient is wrong and no mistake explains it (one
        for all, or one per name).
    mistakes : callable, optional
        ``mistakes(k, name) -> [(compute, hint), ...]``: how common
        mistakes would compute gradient ``k``; each is named only when it
        reproduces the student's value and not the expected one
        (:func:`named_mistakes`).
    """
    for k, name in enumerate(names):
        wrong_hint = hint.get(name) if isinstance(hint, dict) else hint
        pairs = mistakes(k, name) if mistakes is not None else []
        expect_value(
            grads[k], expected[k], what=name, lang=lang, case=case,
            mistakes=named_mistakes(expected[k], pairs), hint=wrong_hint,
        )
        if numeric is not None:
            expect_value(
                grads[k], numeric[k], what=name, lang=lang, case=case,
                hint=wrong_hint,
            )


def dense_layer(W, b):
    """A float64 ``keras.layers.Dense`` holding the weights W, b."""
    layer = keras.layers.Dense(
        W.shape[1],
        dtype="float64",
        kernel_initializer="zeros",
        bias_initializer="zeros",
    )
    layer.build((None, W.shape[0]))
    layer.set_weights([W, b])
    return layer


def hidden_check(check):
    """Decorate ``check_<function>(student_fn, lang)`` to fail cleanly.

    The decorated check validates ``lang`` (ValueError: a bug of the
    notebook, not of the student), fails if ``student_fn`` is not
    callable, and turns any other exception raised while inspecting the
    student's output (an object of an unexpected kind, say) into an
    AssertionError, so that a submission never crashes the check.
    """
    name = check.__name__.removeprefix("check_")

    @functools.wraps(check)
    def wrapper(student_fn, lang="en"):
        check_lang(lang)
        if not callable(student_fn):
            got = type(student_fn).__name__
            fail(
                lang,
                Text(
                    f"{name} must be a function, not an object of type "
                    f"{got}.",
                    f"{name} debe ser una función, no un objeto {got}.",
                ),
            )
        crashed = None
        try:
            # nbgrader fails a test cell that writes to stderr: no
            # warnings from the oracles or from the student's code.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return check(student_fn, lang)
        except AssertionError:
            raise
        except Exception as error:
            crashed = _quote(error)
        fail(
            lang,
            Text(
                f"The output of {name} could not be checked ({crashed}). "
                "Return exactly what the docstring describes: the same "
                "types, shapes and order.",
                f"No se pudo comprobar la salida de {name} ({crashed}). "
                "Devuelve exactamente lo que describe el docstring: los "
                "mismos tipos, formas y orden.",
            ),
        )

    return wrapper
