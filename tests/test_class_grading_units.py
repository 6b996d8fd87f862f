"""The parts of class grading that need no cluster: progress, bundle,
content hashes, the rows a task returns written to a gradebook."""

import io
import sys
import tarfile

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from class_grading import bundle, gradebook, task  # noqa: E402
from class_grading.progress import Progress  # noqa: E402


def test_plain_progress_names_each_task_and_failure():
    out = io.StringIO()
    progress = Progress(3, out, bar=False)
    progress.finished("ana/01-x-es", 5.0)
    progress.finished("bob/01-x-en", 6.0, reason="nbgrader exited 1")
    progress.finished("eve/01-x-en", 7.0)
    progress.close()
    text = out.getvalue()
    assert "[1/3] ana/01-x-es graded (5.0 s)" in text
    assert "NOT GRADED: bob/01-x-en: nbgrader exited 1" in text
    assert "3/3 graded or failed, 1 failed" in text
    assert "\r" not in text


def test_bar_progress_redraws_one_line_with_rate_and_eta():
    out = io.StringIO()
    progress = Progress(4, out, bar=True)
    progress.finished("ana/01-x-es", 5.0)
    text = out.getvalue()
    assert text.startswith("\r[#######") and "1/4" in text
    assert "/h" in text and "ETA" in text
    assert "ana" not in text  # a success is counted, not listed
    progress.finished("bob/01-x-en", 6.0, reason="timeout")
    assert "NOT GRADED: bob/01-x-en: timeout\n" in out.getvalue()


def test_bundle_holds_the_grader_not_the_class(tmp_path):
    template = tmp_path / "gradebook.db"
    template.write_bytes(b"template")
    assignment = "01-embeddings-activations-en"
    data, digest, course = bundle.build(ROOT, [assignment], template)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
    assert "autograder/nbgrader_config.py" in names
    assert "autograder/trusted_grading/execute.py" in names
    assert any(n.startswith("autograder/hidden_checks/") for n in names)
    assert any(n.startswith(f"exercises/{assignment}/") for n in names)
    assert "autograder/gradebook.db" in names
    for name in names:
        assert not name.startswith(("autograder/samples", "solutions")), name
        assert "/submitted/" not in name and "/autograded/" not in name
    # Unpacked once per hash; a bundle that does not match it is refused.
    first = task.unpack(data, digest, tmp_path)
    assert (first / "autograder" / "gradebook.db").read_bytes() == \
        b"template"
    assert task.unpack(data, digest, tmp_path) == first
    with pytest.raises(ValueError):
        task.unpack(data + b"x", digest[::-1], tmp_path)
    # The course hash does not depend on the gradebook's random cell ids.
    template.write_bytes(b"other ids")
    assert bundle.build(ROOT, [assignment], template)[2] == course


def test_content_hash_follows_files_and_course():
    files = {"a.ipynb": b"{}", "data.txt": b"1"}
    same = gradebook.content_hash(dict(reversed(files.items())), "c")
    assert gradebook.content_hash(files, "c") == same
    assert gradebook.content_hash({**files, "a.ipynb": b"{ }"}, "c") != same
    assert gradebook.content_hash(files, "new checks") != same


def test_rows_written_keep_a_manual_score(course):
    """The driver writes a task's rows as nbgrader's SaveAutoGrades does."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course / 'autograder' / 'gradebook.db'}"
    assignment = "01-embeddings-activations-en"
    with gradebook.opened(url) as gb:
        gradebook.create_students(gb, ["ana", "bob"])
        gradebook.create_students(gb, ["ana"])  # already there: no error
        notebook = gb.find_notebook("01-embeddings-activations", assignment)
        cells = [c.name for c in notebook.grade_cells]
        rows = {"timestamp": None, "notebooks": {
            "01-embeddings-activations": {
                "late_submission_penalty": None,
                "grades": {name: 1.0 for name in cells},
                "comments": {}}}}
        gradebook.write(gb, "ana", assignment, rows)
    with Gradebook(url) as gb:
        grade = gb.find_grade(cells[0], "01-embeddings-activations",
                              assignment, "ana")
        assert grade.auto_score == 1.0 and not grade.needs_manual_grade
        grade.manual_score = 0.5
        gb.db.commit()
    rows["notebooks"]["01-embeddings-activations"]["grades"][cells[0]] = 0.0
    with gradebook.opened(url) as gb:
        gradebook.write(gb, "ana", assignment, rows)
        assert gradebook.has_submission(gb, "ana", assignment)
        assert not gradebook.has_submission(gb, "bob", assignment)
    with Gradebook(url) as gb:
        grade = gb.find_grade(cells[0], "01-embeddings-activations",
                              assignment, "ana")
        assert grade.auto_score == 0.0 and grade.manual_score == 0.5
        assert grade.needs_manual_grade
        assert gb.find_student("bob").submissions == []
