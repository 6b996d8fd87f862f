"""exercises/ is exactly nbgrader's release of solutions/, and safe.

nbgrader's own recipe: `validate` passes on every source notebook and
`validate --invert` fails on every released one (its stubs must not pass).
"""

import json

import pytest
from conftest import ROOT, run
from sources import cell_source, read_notebook, solution_lines

RELEASED = sorted((ROOT / "exercises").glob("*/*.ipynb"))
SOURCES = sorted((ROOT / "solutions").glob("*/*.ipynb"))
NBGRADER = str(ROOT / ".venv" / "bin" / "nbgrader")


def test_every_source_is_released():
    released = {p.relative_to(ROOT / "exercises") for p in RELEASED}
    sources = {p.relative_to(ROOT / "solutions") for p in SOURCES}
    assert sources and released == sources


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_committed_release_is_current(course, path):
    fresh = course / "exercises" / path.parent.name / path.name
    assert json.loads(fresh.read_text()) == json.loads(path.read_text()), (
        f"{path} differs from a fresh release: run `make release`"
    )


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_release_holds_no_solution_or_hidden_test(path):
    notebook = read_notebook(path)
    source = read_notebook(ROOT / "solutions" / path.parent.name / path.name)
    text = "\n".join(cell_source(c) for c in notebook["cells"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS",
                   "hidden_checks"):
        assert marker not in text, f"{marker!r} in {path}"
    leaked = [line for line in solution_lines(source) if line in text]
    assert not leaked, leaked
    assert all(not c.get("outputs") for c in notebook["cells"]
               if c["cell_type"] == "code")


def validate(path, *flags):
    """`nbgrader validate`, run from autograder/ as nbgrader wants."""
    return run([NBGRADER, "validate", str(path), *flags],
               cwd=ROOT / "autograder", check=False)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_solution_passes_validate(path):
    result = validate(path)
    assert "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_release_fails_validate_invert(path):
    # --invert succeeds only if every graded test cell fails on the stubs.
    result = validate(path, "--invert")
    assert "Success!" in result.stdout, result.stdout[-3000:]
