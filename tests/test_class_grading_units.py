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


# ----------------------------------------------- which submissions are graded

A1, A2 = "01-x-en", "02-y-en"


def submitted(tmp_path, *students):
    """A submitted/ folder with a small notebook per student and A1."""
    root = tmp_path / "submitted"
    for student in students:
        folder = root / student / A1
        folder.mkdir(parents=True)
        (folder / "01-x.ipynb").write_text("{}")
    root.mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize("bad", [
    "-x", "--TrustedExecute.unsafe=True", "...", ".hidden", "two words",
    "ñandú", "a*", "x" * 65, "tab\there", "_x",
])
def test_bad_student_ids_are_refused_by_name_and_others_graded(tmp_path,
                                                              bad):
    from class_grading import submissions

    root = submitted(tmp_path, "ana", bad)
    todo, refused = submissions.find(root, [A1])
    assert todo == [("ana", A1)]
    [(student, assignment, reason)] = refused
    assert student == repr(bad)[:80] and assignment == "-"
    assert submissions.ID_RULE in reason
    assert "refused:" in reason and "rechazada:" in reason


def test_good_ids_pass_and_options_cannot_be_formed():
    from class_grading import submissions

    for good in ("ana", "A.b_c-1", "0", "x" * 64, "juan.perez-2024"):
        assert submissions.check_id(good) is None
    # Every valid id starts with a letter or a digit: never an option.
    assert submissions.check_id("-") and submissions.check_id("..")


def test_ids_differing_only_by_case_are_all_refused(tmp_path):
    from class_grading import submissions

    root = submitted(tmp_path, "Ana", "ana", "bob")
    todo, refused = submissions.find(root, [A1])
    assert todo == [("bob", A1)]
    assert sorted(s for s, _, _ in refused) == ["'Ana'", "'ana'"]
    assert all("only by case" in r for _, _, r in refused)


def test_symlinked_student_or_assignment_folders_are_refused(tmp_path):
    from class_grading import submissions

    root = submitted(tmp_path, "victim", "thief")
    (root / "thief" / A1 / "01-x.ipynb").unlink()
    (root / "thief" / A1).rmdir()
    (root / "thief" / A1).symlink_to(root / "victim" / A1)
    (root / "alias").symlink_to(root / "victim")
    todo, refused = submissions.find(root, [A1])
    assert todo == [("victim", A1)]
    reasons = {(s, a): r for s, a, r in refused}
    assert "symbolic link" in reasons[("thief", A1)]
    assert "symbolic link" in reasons[("'alias'", "-")]


def test_oversized_submissions_are_refused_before_reading(tmp_path,
                                                         monkeypatch):
    from class_grading import driver, submissions

    root = submitted(tmp_path, "big", "many", "ok")
    # A sparse file: its size is counted by lstat, no byte is read.
    with open(root / "big" / A1 / "extra.bin", "wb") as file:
        file.truncate(submissions.MAX_BYTES + 1)
    for number in range(submissions.MAX_FILES + 1):
        (root / "many" / A1 / f"{number}.txt").touch()

    def no_reading(*args, **kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(type(root), "read_bytes", no_reading)
    todo, refused = submissions.find(root, [A1])
    assert todo == [("ok", A1)]
    reasons = {s: r for s, _, r in refused}
    assert set(reasons) == {"big", "many"}
    assert all("MiB" in r and "no se leyó" in r for r in reasons.values())
    with pytest.raises(submissions.TooLarge):
        driver.read_files(root / "big" / A1)


def test_a_task_refuses_a_bad_id_or_too_many_bytes():
    big = {"a.bin": b"\0" * (task.MAX_SUBMISSION_BYTES + 1)}
    result = task.grade(b"", "0" * 64, "-x", A1, {}, [], 10)
    assert "does not follow the rule" in result["error"]
    result = task.grade(b"", "0" * 64, "ana", A1, big, [], 10)
    assert "more than" in result["error"]


def test_nbgrader_gets_the_id_as_one_option_value():
    import inspect

    import grade

    for source in (inspect.getsource(task.run_autograde),
                   inspect.getsource(grade.grade)):
        assert 'f"--student={student}"' in source
        assert '"--student", student' not in source
