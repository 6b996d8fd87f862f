"""Shared fixtures: paths of the repository and of the built book."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("es", "en")


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
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
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
