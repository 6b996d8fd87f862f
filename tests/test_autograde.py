"""Grading the sample submissions: exact scores, safe feedback, a table.

The samples (autograder/samples/, written by make_samples.py) are
graded in a scratch copy of the course with the same Makefile targets an
instructor runs: `make samples autograde feedback grades` (in parallel,
the default; the session fixture ``samples_graded`` of conftest.py,
which tests/test_class_grading.py compares with sequential grading).
"""

import csv
import json
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder" / "samples"))
from hostile import MARKER  # noqa: E402

EN, ES = "01-embeddings-activations-en", "01-embeddings-activations-es"
#: Chapter 1 is worth 14 points; what each sample must get.
EXPECTED = {
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
    # Attacks with every answer left as the stub: nothing to earn.
    **{(student, EN): 0 for student in (
        "hostile-tags", "hostile-custom-exc", "hostile-fake-checks",
        "hostile-monkeypatch", "hostile-steal-solutions",
        "hostile-copy-peer", "hostile-tamper", "hostile-kill-parent",
        "hostile-detached",
    )},
}
BROKEN = "broken-json"


def processes_with(*needles):
    """Command lines of the running processes that contain a needle."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(needle in text for needle in needles):
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
    assert float(row["max_score"]) == 14
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


def test_broken_notebook_is_reported_not_fatal(graded, grades):
    graded = graded[0]
    output = graded.stdout + graded.stderr
    assert BROKEN in output, "the broken submission is not named"
    assert graded.returncode != 0, "a failed submission must be reported"
    # It scores nothing, and every other sample was still graded.
    assert float(grades[(BROKEN, EN)]["score"]) == 0
    assert set(EXPECTED) <= set(grades)


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
        # A hostile student may write these words in their own cells.
        own = (course / "autograder" / "submitted" / page.parent.parent.name
               / page.parent.name / f"{page.stem}.ipynb").read_text("utf-8")
        for leak in ("HIDDEN TESTS", "hidden_checks", "check_softmax(",
                     "Traceback", "_common.py", "ch01.py", "site-packages"):
            assert leak not in html or leak in own, f"{leak!r} in {page}"


def test_feedback_explains_failures(course, graded):
    page = next(p for p in feedback_pages(course)
                if p.parent.parent.name == "partly-wrong")
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


def test_no_process_of_a_submission_survives(graded):
    time.sleep(1)
    assert not processes_with(MARKER, "rnn-grade-")
    assert not list(Path("/tmp").glob("rnn-grade-*"))


def page_of(course, student, folder="feedback", suffix=".html"):
    return next((course / "autograder" / folder / student / EN)
                .glob(f"*{suffix}"))


def test_student_html_and_script_never_reach_a_browser(course, graded):
    for folder, suffix in (("feedback", ".html"), ("autograded", ".ipynb")):
        text = page_of(course, "hostile-html", folder, suffix).read_text()
        assert "<script>document.title" not in text
        assert "onmouseover" not in text.replace("&lt;b onmouseover", "")
        assert "application/javascript" not in text


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
