"""Send one task per submission to a Dask cluster; write what comes back.

By default the cluster is a ``distributed.LocalCluster`` on this machine:
``workers`` processes of one thread each, bound to 127.0.0.1. Given a
``scheduler`` address, the same tasks go to an existing Dask cluster;
each carries what it needs (the course bundle, sent once per worker, and
the submission's bytes), so workers share no folder with the driver.

A task whose worker dies is run once more elsewhere (Dask's
``allowed-failures`` and ``retries``); a task that fails twice is named
with its reason and the run goes on. Only the driver writes the
gradebook and the autograded folder, as each result arrives.
"""

import contextlib
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from . import bundle, gradebook, submissions, task
from .progress import Progress

#: How many times a task is run again after its worker died, or after it
#: raised (a submission that cannot be graded is not an exception).
RETRIES = 1


def register(here, assignment, flags, db_url=None):
    """Store the assignment's source in a gradebook; True if it worked.

    ``generate_assignment`` records the cells (and so the test cells'
    code) in the gradebook (the course's, or ``db_url``); its release
    goes to a throwaway folder, so ``exercises/`` is not touched.
    """
    extra = [f"--CourseDirectory.db_url={db_url}"] if db_url else []
    with tempfile.TemporaryDirectory() as release:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment",
             assignment, "--force",
             f"--CourseDirectory.release_directory={release}", *flags,
             *extra],
            cwd=here, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode == 0


def read_files(folder):
    """{relative path: bytes} of a submission's regular files.

    Raises
    ------
    submissions.TooLarge
        If the folder (measured again, by ``lstat``, before anything is
        read) is over the caps of :mod:`submissions`.
    """
    submissions.measure(folder)
    files, size = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() \
                or ".ipynb_checkpoints" in path.parts:
            continue
        data = path.read_bytes()
        size += len(data)
        if size > submissions.MAX_BYTES:  # it grew since it was measured
            raise submissions.TooLarge(submissions.too_large())
        files[path.relative_to(folder).as_posix()] = data
    return files


def store_files(folder, files):
    """Replace ``folder`` by the graded files of one submission."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            continue  # not a name nbgrader writes
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@contextlib.contextmanager
def connect(workers, scheduler=None):
    """A Dask client: of an existing scheduler, or of a LocalCluster."""
    import cloudpickle
    import dask
    from distributed import Client, LocalCluster

    # Workers need the task's code, not this folder: send it by value.
    cloudpickle.register_pickle_by_value(task)
    settings = {"distributed.scheduler.allowed-failures": RETRIES}
    with dask.config.set(settings):
        if scheduler:
            with Client(scheduler) as client:
                yield client
            return
        with LocalCluster(n_workers=workers, threads_per_worker=1,
                          processes=True, host="127.0.0.1",
                          dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client


def reason_of(error):
    """Why a task failed, in words."""
    if type(error).__name__ == "KilledWorker":
        return "its worker died twice while grading it"
    return f"grading raised {type(error).__name__}: {error}"[:300]


def grade_class(todo, *, here, db_url, flags, limit, assignments=(),
                workers=2, scheduler=None, force=False, stream=None,
                bar=None, refused=()):
    """Grade the submissions ``todo`` in parallel; the failures.

    Parameters
    ----------
    todo : list of (str, str)
        (student, assignment) of each submission under ``submitted/``.
    here : pathlib.Path
        The course's ``autograder/`` folder.
    db_url : str
        The gradebook (SQLAlchemy URL).
    flags : list of str
        ``--Class.trait=value`` options for nbgrader.
    limit : float
        Seconds after which one submission's grading is stopped.
    assignments : iterable of str
        Assignments to register in the gradebook even without a
        submission (those of ``todo`` always are).
    workers : int
        Processes of the local cluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``).
    force : bool
        Regrade submissions whose content has not changed.
    stream, bar
        Where progress goes, and whether as a bar (:class:`Progress`).
    refused : list of (str, str, str)
        Submissions refused before grading (:func:`submissions.find`),
        reported with the failures.

    Returns
    -------
    list of (str, str, str)
        (student, assignment, reason) of what could not be graded.
    """
    started = time.monotonic()
    out = stream or sys.stdout
    names = sorted({*assignments, *(a for _, a in todo)})
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "gradebook.db"
        for assignment in names:
            if not (register(here, assignment, flags, db_url)
                    and register(here, assignment, flags,
                                 f"sqlite:///{template}")):
                failed.append((assignment, "-",
                               "its source could not be read"))
        broken = {assignment for assignment, _, _ in failed}
        failed += refused
        todo = [(s, a) for s, a in todo if a not in broken]
        names = [name for name in names if name not in broken]
        if not names:
            print("no assignment could be registered", file=out)
            return failed
        data, digest, course = bundle.build(here.parent, names, template)
    course += "\0" + "\0".join(flags)
    with gradebook.opened(db_url) as gb:
        gradebook.create_students(gb, {student for student, _ in todo})
        state = gradebook.State(
            here / "autograded" / ".grading-state.json", db_url, gb)
        jobs, unreadable = [], 0
        for student, assignment in todo:
            try:
                files = read_files(here / "submitted" / student / assignment)
            except (submissions.TooLarge, OSError) as error:
                failed.append((student, assignment, str(error)[:300]))
                unreadable += 1
                continue
            content = gradebook.content_hash(files, course)
            if force or not state.unchanged(student, assignment, content):
                jobs.append((student, assignment, files, content))
        unchanged = len(todo) - len(jobs) - unreadable
        print(f"{len(jobs)} submissions to grade, {unchanged} unchanged "
              "since they were graded (FORCE=1 regrades them)", file=out,
              flush=True)
        graded = 0
        if jobs:
            graded = _run(jobs, data, digest, here, gb, flags, limit,
                          workers, scheduler, state, failed,
                          Progress(len(jobs), out, bar))
    seconds = time.monotonic() - started
    print(f"graded {graded}, unchanged {unchanged}, not graded "
          f"{len(failed)}, in {seconds:.0f} s", file=out)
    for reason, count in Counter(r for _, _, r in failed).most_common():
        print(f"  {count} not graded: {reason}", file=out)
    for student, assignment, reason in failed:
        print(f"  not graded: {student}/{assignment}: {reason}", file=out)
    out.flush()
    return failed


def _run(jobs, data, digest, here, gb, flags, limit, workers,
         scheduler, state, failed, progress):
    """Submit the jobs, store each result as it arrives; how many graded."""
    from distributed import as_completed

    graded = 0
    with connect(workers, scheduler) as client:
        course = client.scatter(data, broadcast=True)
        grade = task.portable()
        futures = {}
        for student, assignment, files, content in jobs:
            future = client.submit(
                grade, course, digest, student, assignment, files,
                flags, limit, key=f"grade-{student}/{assignment}-{digest}",
                retries=RETRIES, pure=False)
            futures[future] = (student, assignment, content)
        for future in as_completed(futures):
            student, assignment, content = futures.pop(future)
            name = f"{student}/{assignment}"
            if future.status == "error":
                reason = reason_of(future.exception())
                seconds = 0.0
            else:
                result = future.result()
                seconds = result["seconds"]
                reason = result.get("error")
                if reason is None:
                    reason = _store(here, gb, state, result, content)
                    if reason is None:
                        graded += 1
                elif result.get("log"):
                    progress.note(result["log"].strip()[-2000:])
            future.release()
            if reason is not None:
                failed.append((student, assignment, reason))
            progress.finished(name, seconds, reason)
    progress.close()
    return graded


def _store(here, gb, state, result, content):
    """Write one task's result; None, or why it could not be stored."""
    student, assignment = result["student"], result["assignment"]
    try:
        store_files(here / "autograded" / student / assignment,
                    result["files"])
        gradebook.write(gb, student, assignment, result["rows"])
    except Exception as error:  # noqa: BLE001 -- named, the run goes on
        gb.db.rollback()
        return f"its grades could not be stored: {error}"[:300]
    state.record(student, assignment, content)
    return None
