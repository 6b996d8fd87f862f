"""A scratch copy of the course for the bench scripts to grade in."""

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What grading writes in autograder/; never copied.
GRADER_OUTPUT = ("submitted", "autograded", "feedback", "gradebook.db",
                 "grades.csv", "__pycache__")


def scratch_course(prefix="bench-course-", exercises=False):
    """Copy what grading needs into a new temporary folder; return it.

    ``exercises=True`` copies the committed release too, as a fresh clone
    has it (otherwise run ``make release`` in the copy).
    """
    copy = Path(tempfile.mkdtemp(prefix=prefix))
    for name in ("Makefile", "requirements.txt", "requirements.lock",
                 "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("solutions", "exercises") if exercises else ("solutions",):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(ROOT / "autograder", copy / "autograder",
                    ignore=shutil.ignore_patterns(*GRADER_OUTPUT))
    return copy
