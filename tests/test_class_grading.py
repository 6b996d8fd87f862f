"""Grading a whole class in parallel gives the grades of sequential
grading, in SQLite and in PostgreSQL, and loses nothing when a worker
dies.

Every sample submission (autograder/samples/: correct, wrong, broken
and hostile ones, 30 submissions) is graded in parallel by `make
autograde` (a Dask LocalCluster of 2 workers; the session fixture
``samples_graded`` of conftest.py, also checked by test_autograde.py),
again with the gradebook in a PostgreSQL server this module starts, and
one at a time by nbgrader's own autograde (`SEQUENTIAL=1`): every score
of every cell must be the same.

The two reference runs grade the NumPy chapters only (:data:`COMPARED`,
which hold every kind of submission: chapter 1 has all the broken and
hostile ones): the comparison is of the grading machinery, which is the
same for every chapter, and the Keras chapters, which train models for a
minute or more a submission, would triple their cost. Their samples are
graded once, in parallel, and test_autograde.py checks every score.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, TIMEOUT, fresh_copy, make
from nbgrader.api import Gradebook, MissingEntry

EN, ES = "01-embeddings-activations-en", "01-embeddings-activations-es"
#: The assignments graded again by the reference runs: chapters 1-4.
COMPARED = tuple(
    path.name for path in sorted((ROOT / "solutions").glob("0[1-4]-*")))


def scores(db_url):
    """Every score of a gradebook.

    Returns
    -------
    dict
        (student, assignment) to the submission's total (0 without a
        submission), and (student, assignment, notebook, cell) to each
        grade cell's automatic score, where there is one.
    """
    found = {}
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                key = (student.id, assignment.name)
                try:
                    submission = gb.find_submission(*key[::-1])
                except MissingEntry:
                    found[key] = 0.0
                    continue
                found[key] = submission.score
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.auto_score is not None:
                            found[(*key, notebook.name, grade.name)] = \
                                grade.auto_score
    return found


def compared(found):
    """The scores of :func:`scores` that belong to :data:`COMPARED`, of
    the sample students who hand in one of those assignments (a run of
    every assignment also knows the students of chapters 5-7 only, with
    zeros where they handed nothing in)."""
    return {key: value for key, value in found.items()
            if key[1] in COMPARED and key[0] in SUBMITTERS}


#: The sample students with a submission of chapters 1-4.
SUBMITTERS = {path.parent.name for path in
              (ROOT / "autograder" / "samples").glob("*/*")
              if path.name in COMPARED}


def sqlite_of(course):
    return f"sqlite:///{course / 'autograder' / 'gradebook.db'}"


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """Scores of grading every sample one at a time (the reference)."""
    course = fresh_copy(tmp_path_factory.mktemp("sequential"))
    make("samples", course)
    result = make("autograde", course, TIMEOUT, "SEQUENTIAL=1",
                  "ASSIGNMENTS=" + " ".join(COMPARED), check=False)
    assert "broken-json" in result.stdout + result.stderr
    return compared(scores(sqlite_of(course)))


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of this module's own, stopped afterwards."""
    from pg_server import Server

    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def parallel_postgres(tmp_path_factory, postgres):
    """Every sample graded in parallel, the gradebook in PostgreSQL."""
    course = fresh_copy(tmp_path_factory.mktemp("postgres"))
    make("samples", course)
    url = postgres.create("grading")
    result = make("autograde", course, TIMEOUT, "WORKERS=2",
                  f"DB_URL={url}", "ASSIGNMENTS=" + " ".join(COMPARED),
                  check=False)
    make("grades", course, f"DB_URL={url}")
    return course, url, result


def test_enough_submissions_of_every_kind(sequential):
    submissions = {key for key in sequential if len(key) == 2}
    assert len(submissions) >= 20
    assert len(COMPARED) == 8, COMPARED  # 4 chapters, 2 languages
    students = {student for student, _ in submissions}
    assert {"broken-json", "infinite-loop", "hostile-kill-parent",
            "hostile-memory-hog", "correct", "correcto"} <= students
    # The reference is not empty: some cells scored, some did not.
    cells = [v for k, v in sequential.items() if len(k) == 4]
    assert 0 in cells and max(cells) > 0


def test_parallel_sqlite_equals_sequential(samples_graded, sequential):
    course, result = samples_graded[:2]
    assert "submissions to grade" in result.stdout
    assert compared(scores(sqlite_of(course))) == sequential


def test_parallel_postgresql_equals_sequential(parallel_postgres,
                                               sequential):
    course, url, result = parallel_postgres
    assert result.returncode != 0, "broken-json is reported"
    assert "not graded: broken-json" in result.stdout
    assert compared(scores(url)) == sequential
    # Nothing went to the SQLite file of the course.
    assert not (course / "autograder" / "gradebook.db").exists()


def test_grades_table_reads_postgresql(parallel_postgres, sequential):
    import csv

    course = parallel_postgres[0]
    with open(course / "autograder" / "grades.csv", newline="") as f:
        table = {(row["student_id"], row["assignment"]):
                 float(row["score"]) for row in csv.DictReader(f)}
    assert compared(table) == {k: v for k, v in sequential.items()
                               if len(k) == 2}


# ---------------------------------------------------------------- a death

#: Chapter 1 in both languages: 10 submissions, every one gradable.
SMALL = ("correct", "correcto", "partly-wrong", "raises",
         "deleted-test-cell", "edited-test-cell", "copy-pasted-cell",
         "foreign-schema", "hostile-tags", "hostile-monkeypatch")
POINTS = {"correct": 14, "correcto": 14, "partly-wrong": 11, "raises": 13,
          "deleted-test-cell": 14, "edited-test-cell": 13,
          "copy-pasted-cell": 14, "foreign-schema": 14, "hostile-tags": 0,
          "hostile-monkeypatch": 0}


def children():
    """{pid: (parent pid, command line)} of every process."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        table[int(stat.parent.name)] = (
            int(fields[1]), cmdline.replace(b"\0", b" ").decode())
    return table


def descendants(pid, table):
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _) in table.items():
            if ppid == parent:
                found.append(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def small_course(tmp_path_factory):
    course = fresh_copy(tmp_path_factory.mktemp("small"))
    for student in SMALL:
        assignment = ES if student == "correcto" else EN
        source = ROOT / "autograder" / "samples" / student / assignment
        target = course / "autograder" / "submitted" / student / assignment
        target.mkdir(parents=True)
        for path in source.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
    return course


def autograde_small(course, *variables):
    return make("autograde", course, TIMEOUT, "WORKERS=2",
                f"ASSIGNMENTS={EN} {ES}", *variables, check=False)


@pytest.fixture(scope="module")
def killed_run(small_course):
    """Grade, killing a worker while it grades a submission."""
    command = ["make", "-C", str(small_course), "autograde",
               f"VENV={ROOT / '.venv'}", TIMEOUT, "WORKERS=2",
               f"ASSIGNMENTS={EN} {ES}"]
    log = small_course / "run.log"
    with open(log, "w") as out:
        run = subprocess.Popen(command, stdout=out,
                               stderr=subprocess.STDOUT)
        killed = orphan = None
        deadline = time.monotonic() + 600
        while killed is None and run.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.5)
            if "graded (" not in log.read_text():
                continue  # let one task finish first
            table = children()
            for pid in descendants(run.pid, table):
                grandchildren = [
                    c for c in descendants(pid, table)
                    if "nbgrader autograde" in table[c][1]
                    and table[c][0] == pid]
                if grandchildren:
                    killed, orphan = pid, grandchildren[0]
                    os.kill(pid, signal.SIGKILL)
                    break
        code = run.wait(timeout=1200)
    return killed, orphan, code, log.read_text()


def test_a_dead_worker_loses_and_duplicates_nothing(small_course,
                                                    killed_run):
    killed, orphan, code, log = killed_run
    assert killed is not None, "no worker was killed: the test is void"
    assert code == 0, log[-3000:]
    found = scores(sqlite_of(small_course))
    for student, points in POINTS.items():
        assignment = ES if student == "correcto" else EN
        assert found[(student, assignment)] == points, student
        # Each result was stored once.
        assert log.count(f"] {student}/{assignment} graded") == 1, student
    assert "graded 10, unchanged 0, not graded 0" in log
    # The dead worker's grading process died with it.
    time.sleep(1)
    assert not Path(f"/proc/{orphan}").exists() or \
        "nbgrader" not in Path(f"/proc/{orphan}/cmdline").read_text()


def test_rerun_grades_only_what_changed(small_course, killed_run):
    again = autograde_small(small_course)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "0 submissions to grade, 10 unchanged" in again.stdout
    # A student hands in again: only that submission is graded.
    notebook = next((small_course / "autograder" / "submitted" / "raises"
                     / EN).glob("*.ipynb"))
    notebook.write_text(notebook.read_text() + "\n")
    again = autograde_small(small_course)
    assert "1 submissions to grade, 9 unchanged" in again.stdout
    assert "raises/" + EN in again.stdout
    forced = autograde_small(small_course, "FORCE=1")
    assert "10 submissions to grade, 0 unchanged" in forced.stdout
    assert scores(sqlite_of(small_course))[("raises", EN)] == 13


# ---------------------------------------------------- an existing cluster


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A Dask scheduler and one worker, started like on other machines:
    in a folder of their own, knowing nothing of the course."""
    from pg_server import free_port

    folder = tmp_path_factory.mktemp("cluster")
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = str(ROOT / ".venv" / "bin" / "dask")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    started = [subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port",
         address.rsplit(":", 1)[1], "--no-dashboard"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)]
    started.append(subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
         "--host", "127.0.0.1", "--no-dashboard", "--local-directory",
         str(folder / "worker")],
        cwd=folder, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL))
    yield address
    for process in reversed(started):
        process.terminate()
        process.wait(timeout=60)


def test_existing_scheduler_grades_the_same(tmp_path_factory, scheduler):
    course = fresh_copy(tmp_path_factory.mktemp("cluster-course"))
    for student in ("correct", "partly-wrong", "broken-json"):
        source = ROOT / "autograder" / "samples" / student / EN
        target = course / "autograder" / "submitted" / student / EN
        target.mkdir(parents=True)
        for path in source.iterdir():
            (target / path.name).write_bytes(path.read_bytes())
    result = make("autograde", course, TIMEOUT, f"SCHEDULER={scheduler}",
                  f"ASSIGNMENTS={EN}", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "not graded: broken-json" in output
    found = scores(sqlite_of(course))
    assert found[("correct", EN)] == 14
    assert found[("partly-wrong", EN)] == 11
    assert found[("broken-json", EN)] == 0
    # The graded notebooks came back to the instructor's folder.
    assert list((course / "autograder" / "autograded" / "correct" / EN)
                .glob("*.ipynb"))
