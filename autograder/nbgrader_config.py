"""nbgrader configuration of the course.

nbgrader reads this file from the current folder only: run every nbgrader
command from ``autograder/`` (the Makefile does) or pass ``--config``.

Layout: the course root is the repository; notebooks are written in
``solutions/`` (sources) and released to ``exercises/``; submissions,
autograded copies, feedback and the gradebook live in ``autograder/`` and
are ignored by git.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The hidden tests call ``hidden_checks`` (in this folder); the kernels that
# nbgrader starts inherit this environment, so they can import it.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (HERE, os.environ.get("PYTHONPATH")) if p
)
# The feedback preprocessor below is defined in this folder as well.
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from feedback import ScrubHiddenTests  # noqa: E402
from trusted_grading import NormaliseSubmission, TrustedExecute  # noqa: E402

c = get_config()  # noqa: F821 -- provided by traitlets when loading

c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
# The gradebook: DB_URL if set (any SQLAlchemy URL, e.g.
# postgresql+psycopg://user@host/course), else SQLite in this folder.
c.CourseDirectory.db_url = os.environ.get("DB_URL") or (
    "sqlite:///" + os.path.join(HERE, "gradebook.db"))
c.CourseDirectory.course_id = "rnn-course"

# Trusted grading (see autograder/trusted_grading/__init__.py): the
# submission's metadata comes from the release; its cells run in a
# sandboxed kernel; test cells run in the grader with their code from the
# gradebook, calling the student's functions through proxies.
c.NormaliseSubmission.release_directory = os.path.join(ROOT, "exercises")
c.Autograde.sanitize_preprocessors = [
    NormaliseSubmission,
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    TrustedExecute,
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Seconds per cell (and per call of a graded function). The slowest
# graded cell trains a small model; an infinite loop is interrupted after
# this and the rest is still graded.
c.TrustedExecute.timeout = 120
# Seconds per submission, all cells together; then the sandbox is killed.
c.TrustedExecute.total_timeout = 900
# Address space of a student's kernel: a larger allocation raises
# MemoryError in the student's code.
c.TrustedExecute.memory_limit = 4 * 2**30
# Largest arrays one call of a graded function may return.
c.TrustedExecute.max_transfer = 64 * 2**20
# Only for a class whose code you trust: no sandbox (--unsafe in grade.py).
c.TrustedExecute.unsafe = False

# A student who deleted or edited a test cell gets the real one back.
c.OverwriteCells.add_missing_cells = True
# Validate (students) and the instructor's own runs still use nbgrader's
# Execute; interrupting works there as usual.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# No script of a student's output or Markdown reaches a browser.
c.HTMLExporter.sanitize_html = True

# Feedback: no hidden-test source, no traceback lines from hidden checks.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    ScrubHiddenTests,
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The cells of a released notebook carry this header for the students.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
