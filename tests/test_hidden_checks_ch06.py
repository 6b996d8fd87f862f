"""The hidden checks of chapter 6, proven both ways.

For every text or NumPy function of ``06-sentiment``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently from it
  (accepted variants: a regular expression or a loop over characters,
  a loop of dictionary look-ups or one vectorised ``take``, np.round or
  np.rint, another scale for a row of zeros, einsum or a loop) pass it
  too, and pass the visible tests;
* plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language, naming
  the mistake where the check knows it;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

The oracles are tested too: chapter 6's text pipeline
(``hidden_checks.sentiment``) gives the contract's values on literal
examples, and the check's inputs hold what the mutants need (``<br />``
tags, unknown words, zero rows, a row whose largest entry in size is
negative). The check of ``build_sentiment_model`` trains the model and
is proven with it; here only its visible test is. Each solution
notebook passes ``nbgrader validate``.
"""

import re
import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch06, sentiment  # importable once check_suite is
from notebook_code import notebook_path

SLUG = "06-sentiment"
FUNCTIONS = [
    "clean_review",
    "build_embedding_matrix",
    "quantize_int8",
    "dequantize_int8",
]

reference, ref_en = suite.reference_fixtures(SLUG)


def check_of(name):
    return getattr(ch06, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    es = suite.solutions(SLUG, "es")
    suite.assert_both_define(ref_en, es,
                             [*FUNCTIONS, "build_sentiment_model"])


def test_stated_tolerances():
    # The notebook states 1e-12 for the coverage, 1e-6 for the scales,
    # 1e-4 of a step of float32 slack, and the course's 1e-6.
    from hidden_checks._common import RTOL

    assert ch06.COVERAGE_TOL == 1e-12
    assert ch06.SCALE_RTOL == 1e-6
    assert ch06.STEP_SLACK == 1e-4
    assert RTOL == 1e-6


# --------------------------------------------------------------- oracles


@pytest.mark.parametrize(("text", "cleaned"), [
    ("Great film!<br /><br />Loved it.", "great film loved it"),
    ("One<br>two<br/>three<BR />four", "one two three four"),
    ("Don't miss it - a well-made 'must-see'", "don t miss it a well made "
                                               "must see"),
    ("I give it 10/10, or 9.5", "i give it 10 10 or 9 5"),
    ("Amélie: a CAFÉ delight", "amélie a café delight"),
    ("  too    many \t spaces\n", "too many spaces"),
    ("snake_case & co.", "snake case co"),
    ("", ""),
    ("?!... <br />", ""),
])
def test_the_cleaning_oracle_follows_the_contract(text, cleaned):
    assert sentiment.clean(text) == cleaned


def test_the_embedding_oracle_follows_the_contract():
    glove = ch06.make_glove(["a", "[UNK]", "b"],
                            np.arange(6, dtype=np.float32).reshape(3, 2) + 1)
    matrix, coverage = sentiment.embedding_matrix(
        ["", "[UNK]", "b", "zz", "a"], glove)
    assert matrix.dtype == np.float32
    assert np.array_equal(matrix, [[0, 0], [0, 0], [5, 6], [0, 0], [1, 2]])
    assert coverage == 2 / 3


def test_the_checks_inputs_hold_what_the_mutants_need():
    rng = np.random.default_rng(ch06._SEED["clean_review"])
    texts = [t for _, t in ch06._HAND_PICKED + ch06._real_review_cases(rng)]
    assert "" in texts
    assert sum("<br />" in t for t in texts) >= 20
    for pattern in (r"<br>", r"<br/>", r"[A-Z]", r"\d", r"[éáñü]", r"'",
                    r"_", r"  ", r"\t"):
        assert any(re.search(pattern, t) for t in texts), pattern
    # Real words unknown to the GloVe subset: zero rows besides 0 and 1.
    rng = np.random.default_rng(ch06._SEED["build_embedding_matrix"])
    cases = ch06._embedding_cases(rng)
    vocabulary, glove = cases[0][1], cases[0][2]
    unknown = [w for w in vocabulary[2:] if w not in glove]
    assert len(vocabulary) == 3000 and vocabulary[:2] == ["", "[UNK]"]
    assert 30 < len(unknown) < 1500
    # The special tokens are among the small case's word vectors.
    assert "" in cases[1][2] and "[UNK]" in cases[1][2]
    rng = np.random.default_rng(ch06._SEED["quantize_int8"])
    matrices = ch06._quantize_cases(rng)
    assert all(np.any(~m.any(axis=1)) for m in matrices[:2])
    assert any(np.any(np.abs(m).max(axis=1) > m.max(axis=1) + 1e-3)
               for m in matrices)
    sizes = np.abs(matrices[0]).max(axis=1)
    assert sizes[sizes > 0].min() < 1e-2 * sizes.max()


def test_truncation_breaks_the_bound_by_far_and_rounding_does_not():
    rng = np.random.default_rng(ch06._SEED["quantize_int8"])
    for matrix in ch06._quantize_cases(rng):
        q, scale = sentiment.quantize_int8(matrix)
        s = scale.astype(np.float64)[:, None]
        steps = np.abs(matrix - q * s) / s
        assert steps.max() <= 0.5 + ch06.STEP_SLACK / 10
        truncated = np.trunc(matrix / s)
        if np.any(matrix):
            assert (np.abs(matrix - truncated * s) / s).max() > 0.7


# ----------------------------------------------------- accepted variants
# Correct code written differently from the solution.


def cv_loop(text):
    # str.replace for the three tags, then a loop with str.isalnum
    text = text.lower()
    for tag in ("<br />", "<br/>", "<br>"):
        text = text.replace(tag, " ")
    kept = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(kept.split())


def cv_findall(text):
    # the words found by one regular expression, joined
    text = re.sub(r"<br ?/?>", " ", text, flags=re.IGNORECASE)
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def cv_split(text):
    # re.split on non-word runs, empty pieces dropped
    pieces = re.split(r"[\W_]+", re.sub(r"<br\s*/?>", " ", text.lower()))
    return " ".join(piece for piece in pieces if piece)


def ev_take(vocabulary, glove):
    # row ids looked up once, the vectors taken in one call
    rows = np.array([glove.index.get(w, -1) for w in vocabulary])
    rows[:2] = -1
    known = rows >= 0
    matrix = np.zeros((len(vocabulary), glove.vectors.shape[1]),
                      dtype=np.float32)
    matrix[known] = np.take(glove.vectors, rows[known], axis=0)
    return matrix, float(np.mean(known[2:]))


def ev_try_except(vocabulary, glove):
    # a dict of rows, KeyError for the unknown words
    rows = {}
    for i, word in enumerate(vocabulary[2:], start=2):
        try:
            rows[i] = glove[word]
        except KeyError:
            pass
    matrix = np.zeros((len(vocabulary), len(glove.vectors[0])), "float32")
    for i, vector in rows.items():
        matrix[i] = vector
    return matrix, len(rows) / (len(vocabulary) - 2)


def qv_round(matrix):
    # float64 arithmetic, np.round, 0.5 as the scale of a zero row
    x = matrix.astype(np.float64)
    scale = (np.max(np.abs(x), axis=1) / 127).astype(np.float32)
    scale[scale == 0] = 0.5
    q = np.round(x / scale.astype(np.float64)[:, None])
    return q.astype(np.int8), scale


def qv_loop(matrix):
    # one row at a time; 1 / 127 as the scale of a zero row
    q = np.empty(matrix.shape, dtype=np.int8)
    scale = np.empty(len(matrix), dtype=np.float32)
    for i, row in enumerate(matrix):
        top = float(max(abs(row.max()), abs(row.min())))
        scale[i] = top / 127 if top > 0 else 1 / 127
        q[i] = np.clip(np.rint(row / scale[i]), -127, 127)
    return q, scale


def dv_einsum(q, scale):
    # einsum in float64, then float32
    return np.einsum("ij,i->ij", q.astype(np.float64),
                     scale).astype(np.float32)


def dv_loop(q, scale):
    # one row at a time
    out = np.zeros(q.shape, dtype=np.float32)
    for i in range(q.shape[0]):
        out[i] = scale[i] * q[i].astype(np.float32)
    return out


VARIANTS = {
    "clean_review": [cv_loop, cv_findall, cv_split],
    "build_embedding_matrix": [ev_take, ev_try_except],
    "quantize_int8": [qv_round, qv_loop],
    "dequantize_int8": [dv_einsum, dv_loop],
}


@pytest.mark.parametrize(("name", "variant"),
                         suite.variant_cases(VARIANTS))
def test_accepted_variant_passes(name, variant):
    suite.assert_variant_passes(check_of(name), variant)


def test_at_least_two_variants_per_function():
    suite.assert_variants_cover(VARIANTS, FUNCTIONS, at_least=2)


def test_results_list_the_counts():
    suite.assert_results_list(sys.modules[__name__])


@pytest.mark.parametrize(("name", "variant"),
                         suite.variant_cases(VARIANTS))
def test_visible_tests_accept_the_variant(name, variant):
    suite.run_visible_test(SLUG, name, variant)


# --------------------------------------------------------------- mutants
# Each mutant is a plausible student mistake; the comment says which.


def cm_keeps_breaks(text):
    # forgets the <br /> tags: "br" stays as a word
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def cm_not_lower(text):
    # forgets to lower-case
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE)
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def cm_keeps_punctuation(text):
    # only the tags removed and the spaces collapsed
    return " ".join(re.sub(r"<br\s*/?>", " ", text.lower()).split())


def cm_ascii_only(text):
    # [^a-z0-9]: accented letters lost
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def cm_drops_digits(text):
    # letters only
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return " ".join(re.findall(r"[^\W\d_]+", text))


def cm_deletes(text):
    # deletes punctuation instead of turning it into a space
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return " ".join(re.sub(r"[^\w\s]|_", "", text).split())


def cm_not_stripped(text):
    # runs collapsed, ends not stripped
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return re.sub(r"[\W_]+", " ", text)


def cm_tags_deleted(text):
    # the tags deleted, not replaced: "it.<br />Loved" -> "it loved" is
    # right by luck, "film<br />Loved" -> "filmloved" is not
    text = re.sub(r"<br\s*/?>", "", text.lower())
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def cm_words(text):
    # the list of words, not a str
    return sentiment.clean(text).split()


def _rows(vocabulary, glove, ids):
    matrix = np.zeros((len(vocabulary), glove.vectors.shape[1]),
                      dtype=np.float32)
    found = 0
    for i, word in ids:
        if word in glove:
            matrix[i] = glove[word]
            found += 1
    return matrix, found


def em_skips_specials(vocabulary, glove):
    # enumerates vocabulary[2:] from 0: rows shifted by two, the padding
    # and [UNK] rows filled
    matrix, found = _rows(vocabulary, glove, enumerate(vocabulary[2:]))
    return matrix, found / (len(vocabulary) - 2)


def em_off_by_one(vocabulary, glove):
    # row i + 1 for token i (ids counted from 1)
    matrix, found = _rows(vocabulary, glove,
                          ((i + 1, w) for i, w in
                           enumerate(vocabulary[2:-1], start=2)))
    return matrix, found / (len(vocabulary) - 2)


def em_specials_filled(vocabulary, glove):
    # every token GloVe knows, the special ones too
    matrix, found = _rows(vocabulary, glove, enumerate(vocabulary))
    return matrix, float(sum(w in glove for w in vocabulary[2:])) / (
        len(vocabulary) - 2)


def em_coverage_over_v(vocabulary, glove):
    # divides by V, the special tokens counted as words
    matrix, found = _rows(vocabulary, glove,
                          enumerate(vocabulary[2:], start=2))
    return matrix, found / len(vocabulary)


def em_coverage_counts_specials(vocabulary, glove):
    # counts the two special tokens as covered
    matrix, found = _rows(vocabulary, glove,
                          enumerate(vocabulary[2:], start=2))
    return matrix, (found + 2) / len(vocabulary)


def em_percent(vocabulary, glove):
    # the coverage as a percentage
    matrix, found = _rows(vocabulary, glove,
                          enumerate(vocabulary[2:], start=2))
    return matrix, 100 * found / (len(vocabulary) - 2)


def em_float64(vocabulary, glove):
    # right values, float64
    matrix, coverage = sentiment.embedding_matrix(vocabulary, glove)
    return matrix.astype(np.float64), coverage


def em_in_place(vocabulary, glove):
    # renames the padding token in the caller's list
    vocabulary[0] = "<pad>"
    return sentiment.embedding_matrix(vocabulary, glove)


def _top(matrix):
    return np.abs(matrix.astype(np.float64)).max(axis=1)


def qm_global_scale(matrix):
    # one scale for the whole matrix
    s = _top(matrix).max() / 127
    q = np.rint(matrix / s)
    return q.astype(np.int8), np.full(len(matrix), s, dtype=np.float32)


def qm_by_255(matrix):
    # max / 255, as for uint8, then clipped to int8's range
    scale = np.where(_top(matrix) > 0, _top(matrix) / 255, 1.0)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127)
    return q.astype(np.int8), scale.astype(np.float32)


def qm_truncates(matrix):
    # astype(int8) without rounding: truncation toward zero
    scale = np.where(_top(matrix) > 0, _top(matrix) / 127, 1.0)
    scale = scale.astype(np.float32)
    return (matrix / scale[:, None]).astype(np.int8), scale


def qm_no_abs(matrix):
    # the row's largest value, not its largest absolute value
    top = matrix.max(axis=1).astype(np.float64)
    scale = np.where(top > 0, top / 127, 1.0).astype(np.float32)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127)
    return q.astype(np.int8), scale


def qm_zero_scale(matrix):
    # a zero row keeps the scale 0 (q of 0 / 0)
    scale = (_top(matrix) / 127).astype(np.float32)
    q = np.nan_to_num(np.rint(matrix / scale[:, None]))
    return np.clip(q, -127, 127).astype(np.int8), scale


def qm_float_q(matrix):
    # rounded, but q left as float32
    q, scale = sentiment.quantize_int8(matrix)
    return q.astype(np.float32), scale


def qm_int16(matrix):
    # q in int16: twice the memory of int8
    q, scale = sentiment.quantize_int8(matrix)
    return q.astype(np.int16), scale


def qm_scale_float64(matrix):
    # the scales in float64
    q, scale = sentiment.quantize_int8(matrix)
    return q, scale.astype(np.float64)


def dm_ignores_scale(q, scale):
    # forgets the scale
    return q.astype(np.float32)


def dm_divides(q, scale):
    # divides by the scale
    return q.astype(np.float32) / scale[:, None]


def dm_wrong_axis(q, scale):
    # broadcasts the scale along the columns
    return q.astype(np.float32) * scale


def dm_float64(q, scale):
    # right values, float64
    return q.astype(np.float64) * scale[:, None]


MUTANTS = {
    "clean_review": [
        cm_keeps_breaks, cm_not_lower, cm_keeps_punctuation, cm_ascii_only,
        cm_drops_digits, cm_deletes, cm_not_stripped, cm_tags_deleted,
        cm_words,
    ],
    "build_embedding_matrix": [
        em_skips_specials, em_off_by_one, em_specials_filled,
        em_coverage_over_v, em_coverage_counts_specials, em_percent,
        em_float64, em_in_place,
    ],
    "quantize_int8": [
        qm_global_scale, qm_by_255, qm_truncates, qm_no_abs, qm_zero_scale,
        qm_float_q, qm_int16, qm_scale_float64,
    ],
    "dequantize_int8": [
        dm_ignores_scale, dm_divides, dm_wrong_axis, dm_float64,
    ],
}

#: A piece of the English message expected for each mutant: the hint it
#: needs, or the check that catches it.
EXPECTED_HINT = {
    "cm_keeps_breaks": "leave the word \"br\" behind",
    "cm_not_lower": "must be in lower case",
    "cm_keeps_punctuation": "Punctuation must go",
    "cm_ascii_only": "Accented letters are letters",
    "cm_drops_digits": "Digits are kept",
    "cm_deletes": "it is not deleted",
    "cm_not_stripped": "Strip the spaces at both ends",
    "cm_tags_deleted": "clean_review lower-cases the text",
    "cm_words": "must return a str",
    "em_skips_specials": "The rows are shifted",
    "em_off_by_one": "The rows are shifted",
    "em_specials_filled": "are always zeros, even when",
    "em_coverage_over_v": "divide by V - 2",
    "em_coverage_counts_specials": "divide by V - 2",
    "em_percent": "not a percentage",
    "em_float64": "matrix must be float32",
    "em_in_place": "modified its argument `vocabulary` in place",
    "qm_global_scale": "One scale for the whole matrix",
    "qm_by_255": "not by 255",
    "qm_truncates": "truncates toward zero",
    "qm_no_abs": "largest absolute value",
    "qm_zero_scale": "A row of zeros has max |row| = 0",
    "qm_float_q": "q must hold ints",
    "qm_int16": "4 times less memory than float32",
    "qm_scale_float64": "scale must be float32",
    "dm_ignores_scale": "q holds steps, not values",
    "dm_divides": "dequantising multiplies by it",
    "dm_wrong_axis": "raised ValueError",
    "dm_float64": "must return float32",
}


@pytest.mark.parametrize(("name", "mutant"), suite.mutant_cases(MUTANTS))
def test_mutant_fails(name, mutant):
    suite.assert_mutant_fails(
        check_of(name), mutant, EXPECTED_HINT[mutant.__name__],
    )


def test_every_mutant_has_an_expected_message():
    suite.assert_mutants_cover(MUTANTS, FUNCTIONS, at_least=4)
    names = {m.__name__ for mutants in MUTANTS.values() for m in mutants}
    assert names == set(EXPECTED_HINT)


def test_spanish_message_example():
    message = suite.failure(check_of("clean_review"), cm_keeps_breaks, "es")
    assert "no da el texto esperado" in message
    assert "dejan la palabra" in message
    message = suite.failure(check_of("quantize_int8"), qm_global_scale,
                            "es")
    assert "Una sola escala para toda la matriz" in message


def test_a_hint_is_never_given_for_a_right_value():
    # A mistake that gives the right text on an input is not named: the
    # tags deleted right after a period give the expected text there.
    text = "Loved it.<br /><br />Great."
    assert cm_tags_deleted(text) == sentiment.clean(text)
    message = suite.failure(check_of("clean_review"), cm_tags_deleted, "en")
    for _, hint in ch06._CLEAN_MISTAKES:
        assert hint.en not in message


#: Mutants wrong only in what the visible tests check before any value,
#: and the words of the first message the student sees.
VISIBLE_FIRST = [
    ("clean_review", cm_words, "must return a str"),
    ("build_embedding_matrix", em_float64, "float32 NumPy array"),
    ("build_embedding_matrix", em_in_place, "modified its arguments"),
    ("quantize_int8", qm_int16, "must be an int8 array"),
    ("quantize_int8", qm_scale_float64, "scale must be a float32 array"),
    ("dequantize_int8", dm_float64, "must return a float32 array"),
]


@pytest.mark.parametrize(
    ("name", "mutant", "words"), VISIBLE_FIRST,
    ids=[mutant.__name__ for _, mutant, _ in VISIBLE_FIRST],
)
def test_visible_tests_name_the_real_problem_first(name, mutant, words):
    suite.assert_visible_test_names(SLUG, name, mutant, words)


# ------------------------------------- the visible test of the Keras model


def _model(matrix, sequence_length, *, rnn=None, trainable=False,
           mask_zero=True, load=True, compiled=True, length=None):
    import keras

    V, d = matrix.shape
    embedding = keras.layers.Embedding(V, d, mask_zero=mask_zero,
                                       trainable=trainable)
    model = keras.Sequential([
        keras.Input((length or sequence_length,), dtype="int32"),
        embedding,
        rnn or keras.layers.GRU(8),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    if load:
        embedding.set_weights([matrix])
    if compiled:
        model.compile(optimizer="adam", loss="binary_crossentropy",
                      metrics=["accuracy"])
    return model


def bm_bidirectional_lstm(matrix, sequence_length):
    # another architecture: a bidirectional LSTM
    import keras

    return _model(matrix, sequence_length, rnn=keras.layers.Bidirectional(
        keras.layers.LSTM(8)))


def bm_trainable(matrix, sequence_length):
    # the embeddings left trainable
    return _model(matrix, sequence_length, trainable=True)


def bm_no_mask(matrix, sequence_length):
    # no mask: the recurrent layer reads the padding
    return _model(matrix, sequence_length, mask_zero=False)


def bm_not_loaded(matrix, sequence_length):
    # random embeddings: the matrix never loaded
    return _model(matrix, sequence_length, load=False)


def bm_fixed_length(matrix, sequence_length):
    # ignores sequence_length
    return _model(matrix, sequence_length, length=300)


def bm_not_compiled(matrix, sequence_length):
    # forgets model.compile
    return _model(matrix, sequence_length, compiled=False)


def bm_layers_only(matrix, sequence_length):
    # returns the list of layers, not a model
    return _model(matrix, sequence_length).layers


@pytest.mark.parametrize("fn", [bm_bidirectional_lstm],
                         ids=lambda f: f.__name__)
def test_visible_test_of_the_model_accepts_other_architectures(fn):
    suite.run_visible_test(SLUG, "build_sentiment_model", fn)


@pytest.mark.parametrize(("mutant", "words"), [
    (bm_layers_only, "must return a keras.Model"),
    (bm_fixed_length, "(None, sequence_length)"),
    (bm_not_compiled, "must be compiled"),
    (bm_not_loaded, "must hold embedding_matrix"),
    (bm_trainable, "must be frozen"),
    (bm_no_mask, "mask_zero=True"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_visible_test_of_the_model_names_the_problem(mutant, words):
    suite.assert_visible_test_names(SLUG, "build_sentiment_model",
                                    mutant, words)


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch06.check_clean_review)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch06.check_quantize_int8, ref_en["quantize_int8"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_passes_validate(lang):
    suite.validate_notebook(notebook_path(SLUG, lang))


def test_module_lists_its_functions():
    assert sys.modules[__name__].FUNCTIONS == list(MUTANTS)
