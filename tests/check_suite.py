"""What every suite of hidden checks proves, written once.

``tests/test_hidden_checks_chNN.py`` proves the checks of one chapter
both ways: the reference solutions and correct code written otherwise
(accepted variants) pass, plausible mistakes (mutants) fail with a
translated message, broken or hostile submissions fail with an
AssertionError, and the checks leave the global state alone. The
chapter files keep what is their own (the graded functions, the mutants
and variants, the hints their messages must give) and call the helpers
below.

Importing this module puts ``autograder/`` on ``sys.path``, so that
``hidden_checks`` can be imported after it.
"""

import functools
import random
import sys

import numpy as np
import pytest
from conftest import ROOT, load_script, run
from notebook_code import notebook_functions, notebook_path

AUTOGRADER = ROOT / "autograder"
sys.path.insert(0, str(AUTOGRADER))

#: The nbgrader of this repository's venv.
NBGRADER = str(ROOT / ".venv" / "bin" / "nbgrader")
#: The languages of the notebooks and of the checks' messages.
LANGS = ("en", "es")


# ------------------------------------------------------------ references


def solutions(slug, lang, given=()):
    """Namespace of the solution notebook of ``slug`` in ``lang``.

    Its import and answer cells, then the read-only cells whose
    ``grade_id`` is in ``given`` (see :func:`notebook_functions`).
    """
    return notebook_functions(notebook_path(slug, lang), given=given)


def reference_fixtures(slug, given=()):
    """The fixtures ``reference`` and ``ref_en`` of a chapter's suite.

    Use as ``reference, ref_en = reference_fixtures(SLUG)`` at the top
    level of the test module. ``reference`` is ``(lang, namespace)`` for
    each language; ``ref_en`` is the English namespace.
    """

    @pytest.fixture(scope="module", params=list(LANGS))
    def reference(request):
        """(lang, namespace of the solution notebook in that language)."""
        return request.param, solutions(slug, request.param, given)

    @pytest.fixture(scope="module")
    def ref_en():
        """Namespace of the English solution notebook."""
        return solutions(slug, "en", given)

    return reference, ref_en


def assert_both_define(en, es, names):
    """Both namespaces define every function of ``names``."""
    for name in names:
        assert callable(en[name]) and callable(es[name]), name


# --------------------------------------------------------------- mutants


def mutant_cases(mutants):
    """pytest params ``(name, mutant)`` with ids ``<name>-<mutant>``.

    ``mutants`` maps a graded function to its list of mutants.
    """
    return [
        pytest.param(name, mutant, id=f"{name}-{mutant.__name__}")
        for name, mutants_of_name in mutants.items()
        for mutant in mutants_of_name
    ]


def failure(check, fn, lang):
    """The AssertionError message of ``check(fn, lang=lang)``.

    Fails the test if the check does not raise AssertionError.
    """
    with pytest.raises(AssertionError) as caught:
        check(fn, lang=lang)
    return str(caught.value)


def assert_mutant_fails(check, mutant, hint=None):
    """``check`` fails ``mutant`` with a clean, translated message.

    Both messages are non-empty, the Spanish one differs from the
    English one, neither shows a traceback or the ``hidden_checks``
    package, and the English one contains ``hint`` unless it is None.
    """
    english = failure(check, mutant, "en")
    spanish = failure(check, mutant, "es")
    assert english and spanish
    assert english != spanish, "the Spanish message is not translated"
    if hint is not None:
        assert hint in english, english
    for message in (english, spanish):
        assert "Traceback" not in message
        assert "hidden_checks" not in message


def assert_mutants_cover(mutants, functions, at_least=2):
    """Every graded function, and only they, has ``at_least`` mutants."""
    assert set(mutants) == set(functions)
    assert all(len(of_name) >= at_least for of_name in mutants.values())


# ----------------------------------------------------- accepted variants


def variant_cases(variants):
    """pytest params ``(name, variant)`` with ids ``<name>-<variant>``.

    ``variants`` maps a graded function to its list of correct
    implementations written differently from the solution.
    """
    return mutant_cases(variants)


#: How far below the tolerance an accepted variant must stay: each
#: relative error it is measured at is at most RTOL / VARIANT_MARGIN, so
#: correct code passes with room to spare, not by luck.
VARIANT_MARGIN = 4


def worst_error(check, fn, lang="en"):
    """``check(fn)`` and the largest relative error it measured.

    Every comparison of the hidden checks goes through
    ``hidden_checks._common.relative_error``; it is wrapped for the call.
    """
    from hidden_checks import _common

    original = _common.relative_error
    seen = [0.0]

    def recording(a, b):
        error = original(a, b)
        seen.append(error)
        return error

    _common.relative_error = recording
    try:
        check(fn, lang=lang)
    finally:
        _common.relative_error = original
    return max(seen)


def assert_variant_passes(check, variant):
    """``check`` accepts ``variant`` (full marks) in both languages.

    Every relative error measured stays below RTOL / VARIANT_MARGIN.
    """
    from hidden_checks._common import RTOL

    check(variant, lang="es")
    assert worst_error(check, variant) <= RTOL / VARIANT_MARGIN


def assert_variants_cover(variants, functions, at_least=2):
    """Every graded function, and only they, has ``at_least`` variants."""
    assert set(variants) == set(functions)
    assert all(len(of_name) >= at_least for of_name in variants.values())


def proof_counts(module):
    """{function: (mutants, variants)} of a chapter's test module."""
    return {
        name: (len(module.MUTANTS[name]), len(module.VARIANTS[name]))
        for name in module.FUNCTIONS
    }


def assert_results_list(module):
    """bench/RESULTS.md lists the current counts of a chapter's module.

    The rows come from ``bench/proof_counts.py``; rerun it with
    ``--write`` after adding a mutant or a variant.
    """
    counts = load_script("bench/proof_counts.py")
    results = counts.RESULTS.read_text("utf-8")
    for row in counts.chapter_rows(module):
        assert row in results, f"{row!r}: run {counts.COMMAND}"


# ---------------------------------------------------------- visible tests


@functools.lru_cache(maxsize=None)
def _solution_namespace(slug, lang, given):
    return solutions(slug, lang, given)


def visible_test(slug, lang, name):
    """Source of the visible part of the test cell of ``name``."""
    import nbformat

    nb = nbformat.read(notebook_path(slug, lang), as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get(
            "grade_id")
        if grade_id == f"test_{name}":
            return cell.source.split("### BEGIN HIDDEN TESTS")[0]
    raise KeyError(name)


def run_visible_test(slug, name, fn, given=(), lang="en"):
    """Run the visible test of ``name`` with ``fn`` in its place.

    The rest of the notebook's functions are the solution's. Raises what
    the visible test raises (AssertionError with its message).
    """
    namespace = dict(_solution_namespace(slug, lang, tuple(given)))
    namespace[name] = fn
    source = visible_test(slug, lang, name)
    exec(compile(source, f"{slug}-{lang}#test_{name}", "exec"),  # noqa: S102
         namespace)


def assert_visible_test_names(slug, name, mutant, words, given=()):
    """The visible test of ``name`` fails ``mutant``, first with ``words``.

    Visible tests check types, shapes and in-place mutation before
    values: a mutant that is only wrong in one of those is told so.
    """
    with pytest.raises(AssertionError) as caught:
        run_visible_test(slug, name, mutant, given)
    assert words in str(caught.value), str(caught.value)


# ------------------------------------------- broken or hostile submissions


def _stub(*args):
    # YOUR CODE HERE
    raise NotImplementedError()


def _returns_none(*args):
    return None


def _returns_text(*args):
    return "out"


def _returns_object_array(*args):
    return np.array([object()]), (np.array([object()]), object())


def _exits(*args):
    raise SystemExit(1)


def _recurses(*args):
    return _recurses(*args)


#: Submissions every check must fail with an AssertionError, as pytest
#: params: the released stub, wrong kinds of result, exit and recursion.
BROKEN_SUBMISSIONS = [
    pytest.param(fn, id=fn.__name__.strip("_"))
    for fn in (_stub, _returns_none, _returns_text, _returns_object_array,
               _exits, _recurses)
]


def assert_broken_fails(check, broken):
    """``check`` fails a submission of :data:`BROKEN_SUBMISSIONS`.

    The message of the stub names the exception and quotes the student's
    line; the message of a function returning None says None.
    """
    message = failure(check, broken, "en")
    if broken is _stub:
        assert "raised NotImplementedError" in message
        assert "raise NotImplementedError()" in message  # the student line
    if broken is _returns_none:
        assert "None" in message


def assert_not_a_function_fails(check):
    """``check`` fails None, which is not a function."""
    with pytest.raises(AssertionError, match="must be a function"):
        check(None)


def assert_unknown_language_is_an_error(check, fn):
    """``check`` raises ValueError, not AssertionError, for lang="fr"."""
    with pytest.raises(ValueError, match="lang"):
        check(fn, lang="fr")


def every_check(check_of, names, namespace):
    """A callable running the check of every name on ``namespace``."""

    def run_all():
        for name in names:
            check_of(name)(namespace[name])

    return run_all


def assert_global_state_unchanged(run_all):
    """``run_all()`` leaves the NumPy and Python RNGs and floatx alone."""
    import keras

    np_state = np.random.get_state()
    py_state = random.getstate()
    floatx = keras.config.floatx()
    run_all()
    after = np.random.get_state()
    assert all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(np_state, after, strict=True)
    )
    assert random.getstate() == py_state
    assert keras.config.floatx() == floatx


# ------------------------------------------------- the notebooks themselves


def validate_notebook(path):
    """``nbgrader validate`` passes the notebook at ``path``.

    nbgrader reads its config from the current folder: it is run from
    autograder/, as the Makefile does. Validate fails a test cell that
    raises or writes to stderr.
    """
    result = run([NBGRADER, "validate", str(path)], cwd=AUTOGRADER,
                 check=False)
    assert "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
