"""The driver's side of the gradebook: the only process that writes it.

Tasks return rows (:func:`task.read_rows`); :func:`write` puts them in
the gradebook the course's configuration names (SQLite by default, or
the ``DB_URL``; the driver keeps one connection open, :func:`opened`),
as ``nbgrader autograde``'s ``SaveAutoGrades`` would:
a manual score a grader gave is kept, and the cell is then marked for
review. Students are created before any task starts
(:func:`create_students`), in one transaction.

:class:`State` remembers the hash of the content each submission was
graded from, so that a re-run grades only what changed.
"""

import contextlib
import hashlib
import json
import warnings

from nbgrader.api import Gradebook, MissingEntry, Student


@contextlib.contextmanager
def opened(db_url):
    """A gradebook, closed (and its connections too) afterwards."""
    gb = Gradebook(db_url)
    try:
        yield gb
    finally:
        gb.close()
        gb.engine.dispose()


def create_students(gb, students):
    """Add the students the gradebook does not have yet, all at once."""
    known = {s.id for s in gb.students}
    for student in sorted(set(students) - known):
        gb.db.add(Student(id=student))
    gb.db.commit()


def write(gb, student, assignment, rows):
    """Store one submission's grade rows (a task's result)."""
    with warnings.catch_warnings():
        # nbgrader's own autograde triggers the same SQLAlchemy warnings.
        warnings.simplefilter("ignore")
        kwargs = {}
        if rows["timestamp"]:
            kwargs["timestamp"] = rows["timestamp"]
        gb.update_or_create_submission(assignment, student, **kwargs)
        for notebook, values in rows["notebooks"].items():
            submitted = gb.find_submission_notebook(notebook, assignment,
                                                    student)
            submitted.late_submission_penalty = values[
                "late_submission_penalty"]
            for name, score in values["grades"].items():
                grade = gb.find_grade(name, notebook, assignment, student)
                grade.auto_score = score
                grade.needs_manual_grade = (grade.manual_score is not None
                                            or score is None)
            for name, text in values["comments"].items():
                comment = gb.find_comment(name, notebook, assignment,
                                          student)
                comment.auto_comment = text
        gb.db.commit()


def has_submission(gb, student, assignment):
    """True if the gradebook holds this submission."""
    try:
        gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    return True


def content_hash(files, course):
    """SHA-256 of a submission's files and of the course it is graded by."""
    digest = hashlib.sha256(course.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


class State:
    """What each submission was last graded from, for one gradebook.

    Parameters
    ----------
    path : pathlib.Path
        A JSON file: {gradebook URL: {"student/assignment": hash}}.
    db_url : str
    gb : nbgrader.api.Gradebook
        That gradebook, open.
    """

    def __init__(self, path, db_url, gb):
        self.path, self.db_url, self.gb = path, db_url, gb
        try:
            self.all = json.loads(path.read_text())
        except (OSError, ValueError):
            self.all = {}
        self.graded = self.all.setdefault(db_url, {})

    def unchanged(self, student, assignment, digest):
        """True if graded from this content and still in the gradebook."""
        return (self.graded.get(f"{student}/{assignment}") == digest
                and has_submission(self.gb, student, assignment))

    def record(self, student, assignment, digest):
        """Remember a graded submission (written to disk at once)."""
        self.graded[f"{student}/{assignment}"] = digest
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.all, indent=1, sort_keys=True))
        partial.replace(self.path)
