"""Shared fixtures: paths of the repository and of the built book."""

import functools
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("es", "en")


@functools.lru_cache(maxsize=None)
def load_script(relative):
    """A script of the course (``bench/x.py``, ``book/build.py``) as a
    module, its ``main`` not run; loaded once per test session."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def built_html():
    """The rendered course; `make test` builds it before running pytest."""
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` (make test does)")
    return html


def run(args, cwd, check=True):
    """Run a command, echoing its output into the test log on failure."""
    import subprocess

    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n"
            f"--- stderr\n{result.stderr[-4000:]}"
        )
    return result


def make(target, course, *variables, check=True):
    """``make <target>`` in a course folder, with this repository's venv."""
    return run(
        ["make", "-C", str(course), *target.split(),
         f"VENV={ROOT / '.venv'}", *variables],
        cwd=course, check=check,
    )


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A scratch copy of the course, released there with `make release`.

    Grading writes a gradebook and submission folders; doing it in a copy
    keeps the repository clean and the tests independent of its state.
    """
    import shutil

    copy = tmp_path_factory.mktemp("course")
    for name in ("Makefile", "requirements.txt", "requirements.lock",
                 "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "solutions", copy / "solutions")
    shutil.copytree(
        ROOT / "autograder", copy / "autograder",
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "gradebook.db",
            "grades.csv", "__pycache__",
        ),
    )
    make("release", copy)
    return copy


def fresh_copy(copy):
    """Fill ``copy`` with the course as a fresh clone has it: no
    gradebook, no `make release` run, the committed exercises/."""
    import shutil

    for name in ("Makefile", "requirements.txt", "requirements.lock",
                 "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("solutions", "exercises"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "autograder", copy / "autograder",
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "gradebook.db",
            "grades.csv", "__pycache__",
        ),
    )
    return copy


#: Short per-cell timeout for test runs; the course's own is longer.
TIMEOUT = "NBGRADER_FLAGS=--TrustedExecute.timeout=30"
#: What grading itself writes in the course; nothing else may change.
GRADER_OUTPUT = ("autograder/gradebook.db", "autograder/autograded",
                 "autograder/feedback", "autograder/grades.csv", "tmp")


@pytest.fixture(scope="session")
def samples_graded(tmp_path_factory):
    """Every sample graded as an instructor does it, in a fresh copy:
    `make samples autograde feedback grades` (parallel, the default).

    Returns the course, the `make autograde` result and digests of the
    course's files (and of the folders grading must not touch) before
    and after.
    """
    from tree import tree_digest, venv_state

    course = fresh_copy(tmp_path_factory.mktemp("fresh-course"))
    make("samples", course)
    watched = (course, ROOT / "solutions", ROOT / "autograder" /
               "hidden_checks", ROOT / "rnn_course")
    before = tree_digest(*watched, skip=GRADER_OUTPUT)
    before.update(venv_state(sys.prefix))  # the venv included
    # Workers, kernels and their scratch folders go under the course's
    # own tmp/, so that what this run leaves behind can be told from
    # other runs' (tests/test_autograde.py looks).
    scratch = course / "tmp"
    scratch.mkdir()
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(scratch)
    try:
        result = make("autograde", course, TIMEOUT, "WORKERS=2",
                      check=False)
    finally:
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved
    make("feedback", course, check=False)
    make("grades", course)
    after = tree_digest(*watched, skip=GRADER_OUTPUT)
    after.update(venv_state(sys.prefix))
    return course, result, before, after
