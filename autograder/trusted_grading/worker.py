"""The sandboxed kernel's side of a call to a graded function.

The trusted grader never runs a student's code itself. It writes the
arguments of a call into the inbox (read-only for the kernel) and asks
the kernel to execute one line::

    __import__("_course_grader").call("rnn_forward", 7)

:func:`call` reads the arguments, calls the function that the student's
cells defined, and writes into the outbox either the result and the
arguments as they are after the call, or what the function raised (its
type, message and the student's line). The grader reads them back as
plain data (:mod:`wire`). Whatever this module does can be undone by the
student's code in the same kernel; that only changes what the student's
own function appears to return, which the checks then judge.

The kernel executes this file's source (see ``execute.BOOTSTRAP``); it
cannot import the course's grading folder.
"""

import builtins
import linecache
import os
import traceback

try:  # inside the sandbox, installed by the bootstrap
    import _course_wire as wire
except ImportError:  # imported by the grader's own tests
    from trusted_grading import wire

#: Longest exception message sent back, in characters.
MAX_MESSAGE = 2000

_settings = {}


def start(inbox, outbox, max_bytes):
    """Remember where calls come from and go to."""
    _settings.update(inbox=inbox, outbox=outbox, max_bytes=max_bytes)


def _namespace():
    """The namespace in which the student's cells ran."""
    shell = getattr(builtins, "get_ipython", lambda: None)()
    return shell.user_ns if shell is not None else {}


def call(name, number, namespace=None):
    """Call the student's function ``name`` on the arguments of call
    ``number`` and write its outcome to the outbox."""
    inbox, outbox = _settings["inbox"], _settings["outbox"]
    stem = f"{number}"
    args, kwargs = wire.load(inbox, f"{stem}-args",
                             max_bytes=_settings["max_bytes"])
    namespace = _namespace() if namespace is None else namespace
    fn = namespace.get(name)
    try:
        if not callable(fn):
            raise NameError(f"name {name!r} is not defined")
        result = fn(*args, **kwargs)
    except BaseException as error:  # noqa: BLE001 -- all of it goes back
        _write_error(outbox, stem, error, fn)
        return
    arguments = list(_arrays(("a",), args)) + list(_arrays(("k",), kwargs))
    try:
        wire.dump(result, outbox, f"{stem}-result", arguments=arguments)
        wire.dump([list(args), kwargs], outbox, f"{stem}-after")
    except wire.WireError as error:
        _write_json(outbox, f"{stem}-error", {
            "kind": "unsupported", "detail": str(error)[:MAX_MESSAGE]})
        return
    except KeyboardInterrupt:  # the grader's interrupt: out of time
        _write_json(outbox, f"{stem}-error", {
            "kind": "raised", "type": "KeyboardInterrupt",
            "base": "KeyboardInterrupt", "message": "", "line": None})
        return
    except BaseException as error:  # noqa: BLE001 -- named, not hidden
        # A full disk, the file-size cap, no memory left: the result
        # exists but could not be written out.
        _write_json(outbox, f"{stem}-error", {
            "kind": "not_saved",
            "detail": f"{type(error).__name__}: {error}"[:MAX_MESSAGE]})
        return
    _write_json(outbox, f"{stem}-done", {"kind": "ok"})


def _arrays(path, value):
    """(path, array) of every array inside ``value``."""
    import numpy as np

    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _arrays(path + (index,), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, (str, int)):
                yield from _arrays(path + (key,), item)


def _builtin_base(error):
    """Name of the first built-in exception class ``error`` is one of."""
    for cls in type(error).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "Exception"


def _student_line(error, fn):
    """[line number, source] of the student's deepest frame, or None."""
    code = getattr(fn, "__code__", None)
    found = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if code is not None and filename == code.co_filename:
            found = frame, lineno
        elif code is None and not filename.startswith("<_course") \
                and "site-packages" not in filename:
            found = frame, lineno
    if found is None:
        return None
    frame, lineno = found
    source = linecache.getline(frame.f_code.co_filename, lineno,
                               frame.f_globals)
    return [lineno, source.strip()[:MAX_MESSAGE]]


def _write_error(outbox, stem, error, fn):
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 -- a hostile __str__
        message = ""
    _write_json(outbox, f"{stem}-error", {
        "kind": "raised",
        "type": type(error).__name__[:100],
        "base": _builtin_base(error),
        "message": message[:MAX_MESSAGE],
        "line": _student_line(error, fn),
    })


def _write_json(outbox, stem, content):
    import json

    path = os.path.join(outbox, f"{stem}.json")
    with open(path, "w") as file:
        json.dump(content, file)
