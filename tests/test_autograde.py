"""Grading the sample submissions: exact scores, safe feedback, a table.

The samples (autograder/samples/, written by make_samples.py) are
graded in a scratch copy of the course with the same Makefile targets an
instructor runs: `make samples autograde feedback grades`.
"""

import csv
import re

import pytest
from conftest import ROOT, make

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
}
BROKEN = "broken-json"
#: Short per-cell timeout for the test run; the course's own is longer.
TIMEOUT = "NBGRADER_FLAGS=--Execute.timeout=40"


@pytest.fixture(scope="module")
def graded(course):
    """Grade every sample; return the `make autograde` result."""
    make("samples", course)
    result = make("autograde", course, TIMEOUT, check=False)
    make("feedback", course, check=False)
    make("grades", course)
    return result


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
        for leak in ("HIDDEN TESTS", "hidden_checks", "check_softmax(",
                     "Traceback", "_common.py", "ch01.py", "site-packages"):
            assert leak not in html, f"{leak!r} in {page}"


def test_feedback_explains_failures(course, graded):
    page = next(p for p in feedback_pages(course)
                if p.parent.parent.name == "partly-wrong")
    text = re.sub(r"<[^>]+>", "", page.read_text("utf-8"))
    assert "AssertionError" in text
    assert "softmax" in text.lower()


def test_samples_are_current_and_look_like_submissions():
    # make_samples.py writes them from the current release and solutions.
    import json
    import sys

    sys.path.insert(0, str(ROOT / "autograder" / "samples"))
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
