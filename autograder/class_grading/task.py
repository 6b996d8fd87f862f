"""The unit of work: grade one submission from its bytes, on a worker.

:func:`grade` runs on a Dask worker (or in the driver's own machine for
a test). It needs nothing of the instructor's folders: the course comes
as a bundle (:mod:`bundle`), the submission as its files' bytes. In a
private copy of the course it runs ``nbgrader autograde`` in a process
of its own, with the course's configuration, so trusted grading applies
as it does for one submission (normalised from the release, its code
sandboxed, its scores decided outside its process); the copy's gradebook
is its own SQLite file. It returns the graded files and the grade rows
of that submission, for the driver to write.

This module imports only the standard library at the top: the driver
sends its code to the workers with each task (:func:`portable`), so
that workers need the pinned environment and nothing of this folder.
"""

import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

#: Longest temporary folder for a kernel's sockets: Unix socket paths
#: hold 107 bytes, and the sandbox adds ``/rnn-grade-XXXXXXXX/ipc/k-NN``.
SHORT_PATH = 70
#: The rule of student ids and the size cap of one submission (the
#: driver refuses the rest before reading them: :mod:`submissions`; a
#: task checks again, whoever sent it).
ID_RULE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
MAX_SUBMISSION_BYTES = 64 * 2**20


def unpack(data, digest, folder):
    """The course folder of the bundle under ``folder``, unpacked once.

    Returns
    -------
    pathlib.Path
        ``folder/rnn-bundle-<digest>``.
    """
    target = Path(folder) / f"rnn-bundle-{digest[:16]}"
    if (target / ".complete").exists():
        return target
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError("the course bundle does not match its hash")
    partial = Path(tempfile.mkdtemp(prefix="rnn-bundle-", dir=folder))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(partial, filter="data")
    (partial / ".complete").write_text(digest)
    try:
        partial.rename(target)
    except OSError:  # another process of this machine was first
        shutil.rmtree(partial, ignore_errors=True)
    return target


def scratch_folder():
    """This worker's own folder (Dask's), else the system's temp folder."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return tempfile.gettempdir()


def _die_with_parent():
    """In the child: be killed when the worker process dies."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def portable():
    """:func:`grade` in a form that Dask sends by value.

    Dask pickles a task with the standard pickle first, which names an
    importable function by module (``class_grading.task``, which a
    scheduler and workers elsewhere do not have). A local function cannot
    be named, so Dask falls back to cloudpickle, which, this module being
    registered with ``cloudpickle.register_pickle_by_value``, sends the
    code itself.
    """
    def grade_submission(*args):
        return grade(*args)

    return grade_submission


def grade(bundle, digest, student, assignment, files, flags, limit):
    """Grade one submission; its graded files and grade rows.

    Parameters
    ----------
    bundle : bytes
        The course bundle (:func:`bundle.build`).
    digest : str
        Its SHA-256.
    student, assignment : str
    files : dict of str to bytes
        The submission's files by relative path (the notebook, and any
        other file the student handed in).
    flags : list of str
        Extra ``--Class.trait=value`` options for nbgrader.
    limit : float
        Seconds after which the grading process is killed.

    Returns
    -------
    dict
        ``student``, ``assignment``, ``seconds``, and either ``error``
        (why it could not be graded) and ``log``, or ``files`` (the
        autograded folder, relative path to bytes) and ``rows``
        (:func:`read_rows`).
    """
    started = time.monotonic()
    result = {"student": student, "assignment": assignment}
    if not re.fullmatch(ID_RULE, student, flags=re.ASCII):
        result.update(error=f"the student id {student!r:.80} does not "
                      f"follow the rule ^{ID_RULE}$", log="",
                      seconds=0.0)
        return result
    if sum(len(data) for data in files.values()) > MAX_SUBMISSION_BYTES:
        result.update(error="the submission holds more than "
                      f"{MAX_SUBMISSION_BYTES // 2**20} MiB", log="",
                      seconds=0.0)
        return result
    course = unpack(bundle, digest, scratch_folder())
    work = Path(tempfile.mkdtemp(prefix="task-", dir=scratch_folder()))
    try:
        shutil.copytree(course, work / "course", symlinks=False)
        autograder = work / "course" / "autograder"
        folder = autograder / "submitted" / student / assignment
        for name, data in files.items():
            path = (folder / name).resolve()
            if not path.is_relative_to(folder.resolve()):
                raise ValueError(f"a file outside the submission: {name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        reason, log = run_autograde(autograder, student, assignment,
                                    flags, limit, work)
        if reason is not None:
            result.update(error=reason, log=log)
        else:
            graded = autograder / "autograded" / student / assignment
            result["files"] = {
                p.relative_to(graded).as_posix(): p.read_bytes()
                for p in sorted(graded.rglob("*"))
                if p.is_file() and not p.is_symlink()}
            result["rows"] = read_rows(autograder / "gradebook.db",
                                       student, assignment)
            result["log"] = log
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = time.monotonic() - started
    return result


def run_autograde(autograder, student, assignment, flags, limit, temp):
    """``nbgrader autograde`` of one submission; (reason or None, log).

    Its gradebook is the course copy's own (``DB_URL`` is not passed on).
    Its temporary files (the sandbox's scratch) go under ``temp``, which
    Dask removes with the worker's folder should the worker die, when
    that path is short enough for the kernel's Unix sockets; else under
    the system's temporary folder.
    """
    env = {k: v for k, v in os.environ.items() if k != "DB_URL"}
    if len(str(temp)) <= SHORT_PATH:
        env["TMPDIR"] = str(temp)
    # --student=ID: an id is never read as an option of its own.
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment,
               f"--student={student}", "--create", "--force", *flags]
    try:
        done = subprocess.run(
            command, cwd=autograder, env=env, capture_output=True,
            text=True, check=False, timeout=limit,
            preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired:
        return f"took longer than {limit:.0f} s and was stopped", ""
    log = done.stdout + done.stderr
    if done.returncode != 0:
        return f"nbgrader exited {done.returncode}", log
    if "There was an error processing" in log:
        return "nbgrader could not grade it", log
    return None, log


def read_rows(database, student, assignment):
    """The grade rows of one submission in a SQLite gradebook.

    Returns
    -------
    dict
        ``timestamp`` (ISO text or None) and ``notebooks``: for each
        notebook, its ``late_submission_penalty``, ``grades`` (grade
        cell name to ``auto_score``) and ``comments`` (cell name to
        ``auto_comment``).
    """
    from nbgrader.api import Gradebook

    with contextlib.closing(Gradebook(f"sqlite:///{database}")) as gb:
        submission = gb.find_submission(assignment, student)
        rows = {"timestamp": (submission.timestamp.isoformat()
                              if submission.timestamp else None),
                "notebooks": {}}
        for notebook in submission.notebooks:
            rows["notebooks"][notebook.name] = {
                "late_submission_penalty": notebook.late_submission_penalty,
                "grades": {g.name: g.auto_score for g in notebook.grades},
                "comments": {c.name: c.auto_comment
                             for c in notebook.comments},
            }
    return rows
