"""The trusted grading step: scores decided outside the student's process.

nbgrader's own ``Execute`` runs every cell, test cells included, in the
student's kernel, and scores a test cell when that kernel reports no
error: a kernel the student's code controls. :class:`TrustedExecute`
takes its place in ``nbgrader autograde``:

* the student's cells (and the release's other cells) run in a sandboxed
  kernel (:mod:`session`, :mod:`sandbox`), for their outputs;
* every test cell runs here, in the grader's process, with its code from
  the gradebook (never from the submission), in a namespace where each
  graded function is a :class:`proxy.Proxy` to the kernel; the cell's
  outputs are what it printed and, if it failed, its error; nbgrader then
  scores them as usual (an error: no points).

No code of the submission runs in this process: only plain data comes
back from the kernel (:mod:`wire`).
"""

import builtins
import contextlib
import io
import os
import re
import warnings

from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

from . import outputs, sandbox, training
from .proxy import Proxy
from .session import KernelSession

#: The hidden part of a test cell (removed when the visible part reruns).
HIDDEN = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?",
    re.S | re.M)


def _grade_id(cell):
    """The cell's ``grade_id`` ("" for a cell without one)."""
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def language(resources, nb):
    """Language of a notebook: its assignment's suffix (…-es, …-en)."""
    assignment = resources.get("nbgrader", {}).get("assignment", "")
    suffix = assignment.rsplit("-", 1)[-1]
    return suffix if suffix in ("en", "es") else "en"


class TrustedExecute(NbGraderPreprocessor):
    """Run a submission sandboxed and its test cells in trusted code."""

    timeout = Integer(
        120, help="Seconds allowed to one cell, or to one call of a "
        "graded function.").tag(config=True)
    total_timeout = Integer(
        900, help="Seconds allowed to a whole submission.").tag(config=True)
    memory_limit = Integer(
        4 * 2**30, help="Bytes of address space of the student's kernel."
    ).tag(config=True)
    max_transfer = Integer(
        64 * 2**20, help="Largest size of the arrays that one call may "
        "return, in bytes.").tag(config=True)
    unsafe = Bool(
        False, help="Run the kernel without sandbox: only for a class "
        "whose code you trust.").tag(config=True)

    def preprocess(self, nb, resources):
        # The accuracy checks train models in a sandbox of their own
        # (training.py), or not at all in a class graded --unsafe.
        if self.unsafe:
            os.environ[training.UNSAFE_VARIABLE] = "1"
        else:
            os.environ.pop(training.UNSAFE_VARIABLE, None)
            sandbox.check_available()
        lang = language(resources, nb)
        sources = self._gradebook_sources(resources)
        info = resources["nbgrader"]
        folder = resources.get("metadata", {}).get("path")
        with KernelSession(
            folder, lang=lang, timeout=self.timeout,
            total_timeout=self.total_timeout,
            memory_limit=self.memory_limit, max_transfer=self.max_transfer,
            unsafe=self.unsafe, log=self.log,
        ) as session:
            namespace = {"__name__": "__main__", "__builtins__": builtins}
            for cell in nb.cells:
                name = _grade_id(cell)
                if (cell.cell_type == "code" and utils.is_solution(cell)
                        and name.isidentifier()):
                    namespace[name] = Proxy(name, session)
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                grade_id = _grade_id(cell)
                if utils.is_grade(cell) and not utils.is_solution(cell):
                    source = sources.get(grade_id)
                    passed = self._run_test(cell, source, namespace, lang)
                    if passed:  # the kernel sees what the student saw
                        session.run_quietly(HIDDEN.sub("", source))
                elif utils.is_locked(cell) and not utils.is_solution(cell):
                    session.run_cell(cell)
                    if grade_id in sources:
                        _, failure = self._run_trusted(sources[grade_id],
                                                       namespace)
                        if failure is not None:  # the test cells will say
                            self.log.warning(
                                "%s/%s: release cell %s failed in the "
                                "grader: %s: %s", info["student"],
                                info["assignment"], grade_id, *failure)
                else:
                    session.run_cell(cell)
            self.log.info(
                "%s/%s: %d calls, %d kernel restarts", info["student"],
                info["assignment"], session.calls, session.restarts)
        return nb, resources

    def _gradebook_sources(self, resources):
        """Source of every locked cell, as the gradebook stores it."""
        info = resources["nbgrader"]
        sources = {}
        with Gradebook(info["db_url"], info.get("course_id")) as gb:
            try:
                notebook = gb.find_notebook(info["notebook"],
                                            info["assignment"])
            except MissingEntry:
                return sources
            for cell in notebook.source_cells:
                if cell.locked or cell.name in {
                        g.name for g in notebook.grade_cells}:
                    sources[cell.name] = cell.source
        return sources

    def _run_test(self, cell, source, namespace, lang):
        """Run a test cell here; its outputs decide its score."""
        if source is None:
            cell.outputs = [outputs.error(
                "KeyError", "this test cell is not in the gradebook")]
            return False
        printed, failure = self._run_trusted(source, namespace)
        cell.outputs = []
        cap = outputs.Cap(lang)
        cap.start_cell()
        if printed:
            cell.outputs.append(outputs.stream(printed))
            cap.add(cell.outputs)
        if failure is not None:
            name, text = failure
            cell.outputs.append(outputs.error(name, text))
            cap.add(cell.outputs)
        cap.finish(cell.outputs)
        cell.execution_count = None
        return failure is None

    def _run_trusted(self, source, namespace):
        """Execute release code here; (what it printed, (ename, evalue))."""
        printed = io.StringIO()
        failure = None
        with contextlib.redirect_stdout(printed), \
                contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(source, "<test cell>", "exec"), namespace)
            except (Exception, SystemExit) as error:
                try:
                    text = str(error)
                except Exception:  # noqa: BLE001
                    text = ""
                failure = type(error).__name__, text
        return printed.getvalue(), failure
