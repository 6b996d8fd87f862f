"""Grading the sample submissions: exact scores, safe feedback, a table.

The samples (autograder/samples/, written by make_samples.py) are
graded in a scratch copy of the course with the same Makefile targets an
instructor runs: `make samples autograde feedback grades` (in parallel,
the default; the session fixture ``samples_graded`` of conftest.py,
which tests/test_class_grading.py compares with sequential grading).
"""

import csv
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder" / "samples"))
import make_samples  # noqa: E402
from hostile import MARKER  # noqa: E402

EN, ES = "01-embeddings-activations-en", "01-embeddings-activations-es"
CH7 = "07-seq2seq-attention-en"
#: What each assignment of EXPECTED is worth.
MAX_SCORE = {EN: 14, ES: 14, CH7: 9}
#: What each sample must get.
EXPECTED = {
    # dot_product_attention without 1 / sqrt(H) (2), greedy_decode
    # dropping the end token (1).
    ("partly-wrong", CH7): 6,
    ("correct", EN): 14,            # every function right
    ("correcto", ES): 14,           # the same, in the Spanish assignment
    ("partly-wrong", EN): 11,       # softmax (1), embedding_backward (2)
    ("raises", EN): 13,             # dense_forward's cell raises (1)
    ("infinite-loop", EN): 12,      # cosine_neighbours' cell never ends (2)
    ("deleted-test-cell", EN): 14,  # the deleted test comes back, passes
    ("edited-test-cell", EN): 13,   # the real softmax test comes back
    # Honest work that must keep its marks.
    ("copy-pasted-cell", EN): 14,   # the answer is in the pasted copy
    ("foreign-schema", EN): 14,     # nbgrader schema_version 99
    ("hostile-flood", EN): 14,      # 50 MB printed: capped, no harm
    ("hostile-html", EN): 14,       # HTML/JS output: shown as text
    ("hostile-memory-hog", EN): 13,  # softmax allocates 6 GiB (1)
    ("hostile-tmpfs-fill", EN): 14,  # /tmp, /dev/shm, /dev: capped
    # Slow denial of service, refused in seconds: softmax (1) only.
    ("hostile-fifo-outbox", EN): 13,  # a FIFO at its error file
    ("hostile-ignore-interrupt", EN): 13,  # ignores SIGINT, sleeps
    ("hostile-scratch-fill", EN): 13,  # fills work/ and out/ (softmax)
    # Attacks with every answer left as the stub: nothing to earn.
    **{(student, EN): 0 for student in (
        "hostile-tags", "hostile-custom-exc", "hostile-fake-checks",
        "hostile-monkeypatch", "hostile-steal-solutions",
        "hostile-copy-peer", "hostile-tamper", "hostile-kill-parent",
        "hostile-detached", "hostile-fork-storm",
    )},
}
BROKEN = "broken-json"

from hostile_models import ATTACKS  # noqa: E402

#: Points of each chapter's model-building test cell.
MODEL_POINTS = 3


def processes_in(folder):
    """Command lines of the processes that run in, or name, ``folder``."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            text = (process / "cmdline").read_bytes().replace(b"\0", b" ")
            cwd = os.readlink(process / "cwd")
        except OSError:
            continue
        text = text.decode(errors="replace")
        if str(folder) in text or cwd.startswith(str(folder)):
            found.append(text)
    return found


@pytest.fixture(scope="module")
def graded(samples_graded):
    """The `make autograde` result and the course's files before and
    after grading every sample."""
    return samples_graded[1:]


@pytest.fixture(scope="module")
def course(samples_graded):
    """The graded course."""
    return samples_graded[0]


@pytest.fixture(scope="module")
def grades(course, graded):
    with open(course / "autograder" / "grades.csv", newline="") as f:
        return {
            (row["student_id"], row["assignment"]): row
            for row in csv.DictReader(f)
        }


@pytest.mark.parametrize(("sample", "points"), EXPECTED.items(),
                         ids=lambda v: v[0] if isinstance(v, tuple) else "")
def test_exact_score_of_each_sample(grades, sample, points):
    row = grades[sample]
    student = sample[0]
    assert float(row["max_score"]) == MAX_SCORE[sample[1]]
    assert float(row["score"]) == points, f"{student}: {row['score']}"


@pytest.mark.parametrize("assignment", sorted(
    p.name for p in (ROOT / "exercises").glob("[0-9]*")
))
def test_correct_sample_of_every_chapter_gets_full_marks(grades,
                                                         assignment):
    student = "correcto" if assignment.endswith("-es") else "correct"
    row = grades[(student, assignment)]
    assert float(row["max_score"]) > 0
    assert float(row["score"]) == float(row["max_score"]), row


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_a_hostile_model_loses_exactly_its_points(grades, course, student):
    # Smuggled weights, a Lambda gadget, a declared-size bomb, a rewritten
    # description, a memorised test part: each refused by its
    # description, before any training; every other answer keeps its
    # marks.
    slug, name, _ = ATTACKS[student]
    row = grades[(student, f"{slug}-en")]
    assert float(row["max_score"]) > MODEL_POINTS
    assert float(row["score"]) == float(row["max_score"]) - MODEL_POINTS, row
    page = (course / "autograder" / "feedback" / student / f"{slug}-en"
            / f"{slug}.html").read_text("utf-8")
    assert "cannot be graded" in page, student


def test_broken_notebook_is_reported_not_fatal(graded, grades):
    graded = graded[0]
    output = graded.stdout + graded.stderr
    assert BROKEN in output, "the broken submission is not named"
    assert graded.returncode != 0, "a failed submission must be reported"
    # It scores nothing, and every other sample was still graded.
    assert float(grades[(BROKEN, EN)]["score"]) == 0
    assert set(EXPECTED) <= set(grades)


#: Folders refused before anything of them is read, and the words of
#: the reason printed for each (`student/assignment: reason`).
REFUSED = {
    **{(repr(student), "-"): "does not follow the rule"
       for student in make_samples.REFUSED_IDS[:4]},
    **{(repr(student), "-"): "only by case"
       for student in make_samples.REFUSED_IDS[4:]},
    (make_samples.OVERSIZED, EN): "more than 64 MiB",
    (make_samples.LINKED, EN): "is a symbolic link",
}


def test_refused_folders_are_named_and_not_graded(course, graded, grades):
    output = graded[0].stdout + graded[0].stderr
    for (student, assignment), reason in REFUSED.items():
        line = next((line for line in output.splitlines()
                     if f"not graded: {student}/{assignment}: " in line),
                    None)
        assert line is not None, f"{student} is not named"
        assert reason in line and "rechazada" in line, line
    graded_students = {student for student, _ in grades}
    for student in (*make_samples.REFUSED_IDS, make_samples.OVERSIZED,
                    make_samples.LINKED):
        assert student not in graded_students
        assert not (course / "autograder" / "feedback" / student).exists()
    # The victim of the link keeps its own grade; nobody else gets it.
    assert float(grades[("correct", EN)]["score"]) == 14


def feedback_pages(course):
    return sorted((course / "autograder" / "feedback").glob("*/*/*.html"))


def test_feedback_hides_hidden_tests_and_their_tracebacks(course, graded):
    pages = feedback_pages(course)
    graded_pages = {(p.parent.parent.name, p.parent.name) for p in pages}
    assert set(EXPECTED) <= graded_pages
    for page in pages:
        html = page.read_text("utf-8")
        # The page's stylesheet names Pygments' "Generic.Traceback" class.
        html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
        # A hostile student may write these words in their own cells, and
        # their own kernel may print its own tracebacks.
        student = page.parent.parent.name
        own = (course / "autograder" / "submitted" / student
               / page.parent.name / f"{page.stem}.ipynb").read_text("utf-8")
        leaks = ["HIDDEN TESTS", "hidden_checks", "check_softmax(",
                 "_common.py", "ch01.py"]
        if not student.startswith("hostile-"):
            leaks += ["Traceback", "site-packages"]
        for leak in leaks:
            assert leak not in html or leak in own, f"{leak!r} in {page}"


def test_feedback_explains_failures(course, graded):
    page = next(p for p in feedback_pages(course)
                if p.parent.parent.name == "partly-wrong"
                and p.parent.name == EN)
    text = re.sub(r"<[^>]+>", "", page.read_text("utf-8"))
    assert "AssertionError" in text
    assert "softmax" in text.lower()


def test_samples_are_current_and_look_like_submissions():
    # make_samples.py writes them from the current release and solutions.
    import make_samples

    for (student, assignment), notebook in make_samples.samples().items():
        path = (ROOT / "autograder" / "samples" / student / assignment
                / f"{assignment.rsplit('-', 1)[0]}.ipynb")
        text = path.read_text("utf-8")
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text
        if isinstance(notebook, str):
            assert text == notebook, f"{path}: run make_samples.py"
        else:
            assert json.loads(text) == notebook, f"{path}: run make_samples.py"


def test_no_file_outside_grading_output_changed(graded):
    _, before, after = graded
    changed = sorted(
        path for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    )
    assert not changed, changed


def test_no_process_of_a_submission_survives(course, graded):
    time.sleep(1)
    # Grading ran with TMPDIR in the course's own tmp/ (conftest.py):
    # the workers, the kernels and their scratch folders lived there.
    scratch = course / "tmp"
    assert not processes_in(scratch)
    # The detached sample's processes ran there: they are gone too.
    assert MARKER in (course / "autograder" / "submitted" /
                      "hostile-detached" / EN /
                      "01-embeddings-activations.ipynb").read_text()
    assert not list(scratch.rglob("rnn-grade-*"))


def page_of(course, student, folder="feedback", suffix=".html"):
    return next((course / "autograder" / folder / student / EN)
                .glob(f"*{suffix}"))


def test_student_html_and_script_never_reach_a_browser(course, graded):
    notebook = json.loads(page_of(course, "hostile-html", "autograded",
                                  ".ipynb").read_text())
    kept = {mime for cell in notebook["cells"]
            for output in cell.get("outputs", [])
            for mime in output.get("data", {})}
    assert kept <= {"text/plain", "image/png", "image/jpeg"}
    html = page_of(course, "hostile-html").read_text()
    # The student's code and Markdown are shown as text, never as markup.
    assert "<script>document.title" not in html
    assert "<b onmouseover" not in html


def test_output_flood_is_capped_with_a_note(course, graded):
    notebook = page_of(course, "hostile-flood", "autograded", ".ipynb")
    assert notebook.stat().st_size < 1_000_000
    assert page_of(course, "hostile-flood").stat().st_size < 2_000_000
    text = json.dumps(json.loads(notebook.read_text()))
    assert "output cut" in text


def test_grading_refuses_without_a_sandbox(tmp_path):
    """No silent fallback: a machine without namespaces gets the reason."""
    import subprocess

    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'No permissions to create new "
                    "namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    script = (
        "import sys; sys.path.insert(0, 'autograder');"
        "from trusted_grading import sandbox;"
        f"sandbox.check_available({str(fake)!r})"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "SandboxUnavailable" in result.stderr
    assert "--unsafe" in result.stderr and "namespace" in result.stderr
