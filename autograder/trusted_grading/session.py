"""One sandboxed kernel that runs one submission's cells.

:class:`KernelSession` starts an IPython kernel in the submission's
sandbox (:mod:`sandbox`), runs the student's cells in it (their outputs
capped and reduced to safe types, :mod:`outputs`) and serves the calls
of :class:`proxy.Proxy`. It keeps the grader going whatever the kernel
does: a cell or a call that runs past the per-cell limit is interrupted;
a kernel that dies is started again and given the cells that had run, at
most ``max_restarts`` times; past the submission's total time limit,
nothing more runs.
"""

import contextlib
import json
import logging
import os
import signal
import stat
import threading
import time
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from . import cgroups, models, outputs, sandbox, wire
from .proxy import (
    GradingTimeout,
    KernelDied,
    KernelStuck,
    NoAnswer,
    NotGradable,
    UnsafeModel,
    message,
    rebuild_exception,
)

HERE = Path(__file__).resolve().parent
#: Run first in every kernel: installs the worker's side of the calls.
BOOTSTRAP = """\
import sys as _sys, types as _types
for _name, _source in {sources!r}:
    _module = _types.ModuleType(_name)
    exec(compile(_source, "<" + _name + ">", "exec"), _module.__dict__)
    _sys.modules[_name] = _module
_sys.modules["_course_grader"].start({inbox!r}, {outbox!r}, {limit!r})
del _sys, _types, _name, _source, _module
"""
#: Seconds a kernel has, after its interrupt, to become idle again; a
#: kernel still busy then (it blocks or ignores SIGINT) is killed.
GRACE = 10
#: Bytes the kernel may leave in the grader's folders (``out/``, ``ipc/``)
#: besides two calls' worth of arrays (the result and the arguments);
#: past it the kernel is killed. Checked every WATCH seconds.
SCRATCH_SLACK = 64 * 2**20
WATCH = 0.5
#: CPU seconds of each sandboxed process, per second of total time.
CPU_PER_SECOND = 2


class _SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is the sandboxed command."""

    argv = None

    @property
    def kernel_spec(self):
        return KernelSpec(argv=self.argv, display_name="sandboxed Python",
                          language="python", interrupt_mode="message")


class _CappedClient(NotebookClient):
    """nbclient with outputs reduced to safe types and capped."""

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        self.cap.add(outs)
        return out


class KernelSession:
    """The sandboxed kernel of one submission.

    Parameters
    ----------
    files : str or os.PathLike
        The submission's folder; its other files are copied to scratch.
    lang : {"en", "es"}
        Language of the grader's own messages.
    timeout : int
        Seconds allowed to one cell or one call.
    total_timeout : int
        Seconds allowed to the whole submission.
    memory_limit : int
        Bytes of address space allowed to the kernel.
    max_transfer : int
        Largest size of the arrays one call may return, in bytes.
    unsafe : bool
        Run the kernel without sandbox (only for a class one trusts).
    max_restarts : int
        How many times a dead kernel is started again.
    """

    def __init__(self, files, *, lang, timeout, total_timeout,
                 memory_limit, max_transfer, unsafe=False, max_restarts=2,
                 log=None):
        self.lang = lang
        self.timeout, self.total_timeout = timeout, total_timeout
        self.memory_limit, self.max_transfer = memory_limit, max_transfer
        self.unsafe, self.max_restarts = unsafe, max_restarts
        self.log = log or logging.getLogger(__name__)
        self.scratch = sandbox.Scratch(files)
        self.cap = outputs.Cap(lang)
        self.deadline = time.monotonic() + total_timeout
        self.history = []  # sources the kernel ran, replayed on restart
        self.restarts = 0
        self.calls = 0
        self.client = None
        self._stack = contextlib.ExitStack()
        self.quota = 2 * max_transfer + SCRATCH_SLACK
        self.over_quota = False
        self.group = None
        self._watching = threading.Event()
        self._watcher = None

    # ---------------------------------------------------------- lifecycle

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        if self.unsafe:
            argv = sandbox.unsafe_command(self.scratch)
        else:
            if self.group is None:
                self.group = cgroups.Group(pids=sandbox.PIDS_MAX,
                                           cpus=sandbox.CPUS)
                if not self.group.active:
                    self.log.info("no control group (%s): processes "
                                  "limited by RLIMIT_NPROC",
                                  self.group.reason)
            argv = sandbox.kernel_command(
                self.scratch, self.memory_limit,
                cpu_seconds=CPU_PER_SECOND * self.total_timeout,
                group=self.group)
        km = _SandboxKernelManager(
            transport="ipc", ip=str(self.scratch.ipc / "k"),
            connection_file=str(self.scratch.inbox / "kernel.json"))
        km.argv = argv
        # nbclient stores each executed cell into its notebook at the
        # index given: it gets a one-cell notebook of its own, index 0.
        scratch_nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell()],
            metadata={"kernelspec": {"name": "python3",
                                     "display_name": "Python 3"}})
        client = _CappedClient(
            scratch_nb, km=km, timeout=self.timeout, allow_errors=True,
            interrupt_on_timeout=True, startup_timeout=120,
            error_on_timeout={"ename": "TimeoutError", "evalue": message(
                "timeout", self.lang, seconds=self.timeout),
                "traceback": []},
            kernel_name="python3",
            resources={"metadata": {"path": str(self.scratch.work)}})
        client.cap = self.cap
        self.client = client
        self._stack = contextlib.ExitStack()
        # The kernel's own console (its banner, TensorFlow's logs) is noise.
        quiet = self._stack.enter_context(open(os.devnull, "w"))
        self._stack.enter_context(
            client.setup_kernel(stdout=quiet, stderr=quiet))
        # A hostile kernel may ignore a polite shutdown: kill it.
        client.shutdown_kernel = "immediate"
        self._check_sockets()
        self._watch(km)
        self._run_quietly(self._bootstrap())
        for source in self.history:
            self._run_quietly(source)

    def _check_sockets(self):
        """The kernel's sockets are sockets, not links planted to elsewhere."""
        import stat

        for entry in os.scandir(self.scratch.ipc):
            if not stat.S_ISSOCK(os.lstat(entry.path).st_mode):
                raise KernelDied("unexpected file in the kernel's ipc folder")

    def _bootstrap(self):
        sources = [(name, (HERE / f"{module}.py").read_text("utf-8"))
                   for name, module in (("_course_describe", "describe"),
                                        ("_course_wire", "wire"),
                                        ("_course_grader", "worker"))]
        return BOOTSTRAP.format(
            sources=sources, inbox=str(self.scratch.inbox),
            outbox=str(self.scratch.outbox), limit=self.max_transfer)

    def _watch(self, km):
        """Kill the kernel if it fills the grader's folders (a thread)."""
        self._stop_watching()
        stop = self._watching = threading.Event()

        def watch():
            while not stop.wait(WATCH):
                if scratch_bytes(self.scratch) > self.quota:
                    self.over_quota = True
                    with contextlib.suppress(Exception):
                        os.kill(km.provisioner.process.pid, signal.SIGKILL)
                    return

        self._watcher = threading.Thread(target=watch, daemon=True)
        self._watcher.start()

    def _stop_watching(self):
        self._watching.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def close(self):
        """Stop the kernel (and everything it started); delete scratch."""
        self._stop_watching()
        with contextlib.suppress(Exception):
            self._stack.close()
        if self.group is not None:
            self.group.remove()
        self.scratch.remove()

    def _restart(self):
        """Start a new kernel after one died; False when out of restarts."""
        self._stop_watching()
        with contextlib.suppress(Exception):
            self._stack.close()
        for folder in (self.scratch.outbox, self.scratch.ipc):
            for entry in os.scandir(folder):
                _remove(entry.path)
        if self.restarts >= self.max_restarts or self.remaining() <= 0:
            self.client = None
            return False
        self.restarts += 1
        self.log.warning("kernel died; starting it again (%d)", self.restarts)
        try:
            self._start()
        except Exception as error:  # noqa: BLE001
            self.log.warning("kernel could not be restarted: %s", error)
            self.client = None
            return False
        return True

    def _died(self):
        """Why the kernel died, in the student's language."""
        if self.over_quota:
            self.over_quota = False
            return message("scratch_full", self.lang,
                           mib=self.quota // 2**20)
        return message("died", self.lang)

    # ----------------------------------------------------------- running

    def remaining(self):
        """Seconds left of the submission's total time."""
        return self.deadline - time.monotonic()

    def _execute(self, cell):
        """Run ``cell`` in the kernel; raise KernelDied if it dies."""
        if self.client is None:
            raise KernelDied("no kernel")
        limit = max(1, int(min(self.timeout, self.remaining())))
        self.client.timeout = limit
        started = time.monotonic()
        try:
            self.client.execute_cell(cell, 0, store_history=False)
        except DeadKernelError:
            self._restart()
            raise KernelDied("the kernel died") from None
        if time.monotonic() - started >= limit and not self._settles():
            # Interrupted but still busy: waiting would cost every later
            # call its whole time limit. A new kernel takes its place.
            self._restart()
            raise KernelStuck("the kernel ignored its interrupt")

    def _settles(self):
        """True if the interrupted kernel runs a new cell within GRACE."""
        probe = nbformat.v4.new_code_cell("pass")
        limit, self.client.timeout = self.client.timeout, GRACE
        started = time.monotonic()
        try:
            self.client.execute_cell(probe, 0, store_history=False)
        except DeadKernelError:
            return False
        finally:
            self.client.timeout = limit  # the call's, for call() to read
        return time.monotonic() - started < GRACE

    def _run_quietly(self, source):
        cell = nbformat.v4.new_code_cell(source)
        self._execute(cell)
        return cell

    def run_cell(self, cell):
        """Run one of the student's (or the release's) cells for its output.

        The outputs land in ``cell.outputs``, capped; the source joins the
        history replayed if the kernel has to be started again.
        """
        cell.outputs = []
        if self.remaining() <= 0 or self.client is None:
            cell.outputs = [outputs.stream(message(
                "over", self.lang, seconds=self.total_timeout))]
            return
        self.cap.start_cell()
        try:
            self._execute(cell)
        except KernelStuck:
            cell.outputs.append(outputs.error("TimeoutError", message(
                "stuck", self.lang, seconds=self.timeout)))
            return
        except KernelDied:
            cell.outputs.append(outputs.error(
                "KernelDied", self._died()))
            return
        finally:
            self.cap.finish(cell.outputs)
        self.history.append(cell.source)

    def run_quietly(self, source):
        """Run ``source`` in the kernel, ignoring its outputs and errors."""
        if self.client is None or self.remaining() <= 0:
            return
        with contextlib.suppress(KernelDied):
            self._run_quietly(source)
            self.history.append(source)

    def call(self, name, args, kwargs, lookup):
        """Call the student's ``name`` in the kernel.

        Returns
        -------
        result : object
            What the function returned, as plain data.
        after : (list, dict)
            The positional and keyword arguments after the call.
        """
        if self.remaining() <= 0:
            raise GradingTimeout(message(
                "over", self.lang, seconds=self.total_timeout))
        if self.client is None:
            raise KernelDied(message("died", self.lang))
        self.calls += 1
        stem = str(self.calls)
        try:
            wire.dump([list(args), dict(kwargs)], self.scratch.inbox,
                      f"{stem}-args")
        except wire.WireError as error:  # a check's own mistake
            raise TypeError(f"cannot send the arguments: {error}") from None
        cell = nbformat.v4.new_code_cell(
            f"__import__('_course_grader').call({name!r}, {self.calls})")
        started = time.monotonic()
        try:
            self._execute(cell)
        except KernelStuck:
            raise GradingTimeout(message(
                "stuck", self.lang, seconds=self.timeout)) from None
        except KernelDied:
            raise KernelDied(self._died()) from None
        finally:
            for suffix in (".json", ".npz"):
                with contextlib.suppress(OSError):
                    os.remove(self.scratch.inbox / f"{stem}-args{suffix}")
        outbox = self.scratch.outbox
        try:
            if _present(outbox / f"{stem}-error.json"):
                info = _read_json(outbox / f"{stem}-error.json")
                if not isinstance(info, dict):
                    raise NoAnswer(message("no_answer", self.lang))
                if info.get("type") == "KeyboardInterrupt":  # our interrupt
                    raise GradingTimeout(message(
                        "timeout", self.lang, seconds=self.timeout))
                if info.get("kind") in ("unsupported", "not_saved"):
                    raise NotGradable(message(
                        info["kind"], self.lang,
                        detail=str(info.get("detail", ""))[:200]))
                raise rebuild_exception(info)
            if not _present(outbox / f"{stem}-done.json"):
                if any(o.get("ename") == "TimeoutError"
                       for o in cell.outputs if o.output_type == "error") \
                        or time.monotonic() - started >= self.client.timeout:
                    raise GradingTimeout(message(
                        "timeout", self.lang, seconds=self.timeout))
                raise NoAnswer(message("no_answer", self.lang))
            result = wire.load(outbox, f"{stem}-result",
                               max_bytes=self.max_transfer,
                               arguments=lookup,
                               model_loader=build_described_model)
            after = wire.load(outbox, f"{stem}-after",
                              max_bytes=self.max_transfer)
        except models.Refused as error:
            raise UnsafeModel(message("unsafe_model", self.lang,
                                      detail=error.text(self.lang))) from None
        except wire.NotRegularFile as error:
            raise NoAnswer(message("not_a_file", self.lang,
                                   detail=str(error)[:200])) from None
        except wire.WireError as error:
            raise NotGradable(message("unsupported", self.lang,
                                      detail=str(error)[:200])) from None
        finally:
            for path in outbox.glob(f"{stem}-*"):
                with contextlib.suppress(OSError):
                    path.unlink()
        if not (isinstance(after, list) and len(after) == 2
                and isinstance(after[0], list)
                and isinstance(after[1], dict)):
            raise NoAnswer(message("no_answer", self.lang))
        return result, (after[0], after[1])


def scratch_bytes(scratch):
    """Bytes in the grader's folders that the kernel writes (lstat).

    Each entry counts the larger of its size and its allocated blocks,
    and at least 4 KiB, so neither a sparse file nor a flood of empty
    files escapes the count.
    """
    total = 0
    pending = [scratch.outbox, scratch.ipc]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(entry.path)
            total += max(info.st_blocks * 512, info.st_size, 4096)
    return total


def _remove(path):
    """Delete a file, link or folder the kernel left; never follow links."""
    import shutil

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _present(path):
    """True if anything is at ``path`` (a link is not followed)."""
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


def _read_json(path):
    """The JSON of a small regular file the kernel wrote, or None."""
    raw = wire._read_regular(str(path), 2**20)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def build_described_model(description, arguments=None):
    """The grader's own model built from a kernel's description.

    The description is validated (:func:`models.validate`), then built
    with the grader's constructor calls and fresh weights drawn from a
    fixed seed (the global random states are given back afterwards); an
    Embedding that held an argument of the call gets the caller's own
    array (``arguments(path)``). Nothing the kernel wrote reaches Keras
    but validated numbers, strings and booleans.

    Raises
    ------
    models.Refused
        If the description is not allowed, with the reason.
    """
    import random

    import keras
    import numpy as np

    spec = models.validate(description)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        keras.utils.set_random_seed(0)
        return models.build(spec, weights=arguments)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
