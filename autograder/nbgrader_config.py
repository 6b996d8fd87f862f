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

c = get_config()  # noqa: F821 -- provided by traitlets when loading

c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.CourseDirectory.course_id = "rnn-course"

# Seconds per cell. The slowest graded cell trains a small model; an
# infinite loop is interrupted after this and the rest is still graded.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# A student who deleted or edited a test cell gets the real one back.
c.OverwriteCells.add_missing_cells = True

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
