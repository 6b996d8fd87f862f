"""The hidden checks of chapter 1, proven both ways.

For every graded function of ``01-embeddings-activations``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently (accepted
  variants: epsilons, loops, einsum, float32 accumulation...) pass it;
* several plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

Finally each solution notebook is executed once, hidden tests included.
"""

import math
import os
import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch01  # importable once check_suite is
from notebook_code import notebook_path

SLUG = "01-embeddings-activations"
FUNCTIONS = [
    "activation_forward",
    "activation_backward",
    "softmax",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "dense_forward",
    "dense_backward",
    "embedding_forward",
    "embedding_backward",
    "cosine_neighbours",
]

reference, ref_en = suite.reference_fixtures(SLUG)


def check_of(name):
    return getattr(ch01, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    suite.assert_both_define(ref_en, suite.solutions(SLUG, "es"), FUNCTIONS)


# --------------------------------------------------------------- mutants
# Each mutant is a plausible student mistake; the comment says which.


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _act(z, name):
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(0.0, z)
    raise ValueError(name)


def af_sigmoid_sign(z, name):
    # sigmoid written with exp(+z)
    a = 1.0 / (1.0 + np.exp(z)) if name == "sigmoid" else _act(z, name)
    return a, (a, name)


def af_relu_abs(z, name):
    # relu as |z|
    a = np.abs(z) if name == "relu" else _act(z, name)
    return a, (a, name)


def af_tanh_half(z, name):
    # tanh as 2 sigmoid(z) - 1 (that is tanh(z / 2))
    a = 2.0 * _sigmoid(z) - 1.0 if name == "tanh" else _act(z, name)
    return a, (a, name)


def af_no_value_error(z, name):
    # unknown names fall back to the identity
    a = _act(z, name) if name in ("sigmoid", "tanh", "relu") else z
    return a, (a, name)


def af_cache_z(z, name):
    # caches z instead of a
    return _act(z, name), (z, name)


def af_returns_a_only(z, name):
    # forgets the cache
    return _act(z, name)


def _dact(a, name):
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a**2
    return (a > 0).astype(float)


def ab_tanh_one_minus_a(da, cache):
    # tanh'(z) written as 1 - a
    a, name = cache
    return da * (1.0 - a) if name == "tanh" else da * _dact(a, name)


def ab_sigmoid_one_plus_a(da, cache):
    # sigmoid'(z) written as a (1 + a)
    a, name = cache
    return da * a * (1.0 + a) if name == "sigmoid" else da * _dact(a, name)


def ab_relu_lets_negatives_through(da, cache):
    # relu'(z) taken as 1 where a >= 0, i.e. everywhere
    a, name = cache
    return da * (a >= 0) if name == "relu" else da * _dact(a, name)


def ab_forgets_da(da, cache):
    # returns f'(z) without the chain rule
    a, name = cache
    return _dact(a, name) + 0.0 * da


def ab_relu_in_place(da, cache):
    # right values, but zeroes the caller's da in place
    a, name = cache
    if name == "relu":
        da[a <= 0] = 0.0
        return da
    return da * _dact(a, name)


def ab_overwrites_cached_a(da, cache):
    # right values, but turns the cached a into f'(z) in place
    a, name = cache
    if name == "sigmoid":
        a *= 1.0 - a
    elif name == "tanh":
        a[...] = 1.0 - a**2
    else:
        a[...] = a > 0
    return da * a


def sm_no_shift(z):
    # no max subtraction: exp(1000) overflows
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sm_axis0(z):
    # normalises the columns
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def sm_global_max(z):
    # one maximum for the whole array: far rows underflow to 0 / 0
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1, keepdims=True)


def sm_no_keepdims(z):
    # sums without keepdims broadcast against the wrong axis
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


def sm_in_place(z):
    # right values, but shifts the caller's z in place
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def bce_missing_negative_term(p, y):
    # forgets (1 - y) log(1 - p)
    return float(-np.mean(y * np.log(p)))


def bce_sum(p, y):
    # sum instead of mean
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_no_minus(p, y):
    # forgets the minus sign
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_per_example(p, y):
    # returns the loss of each example, not the mean
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def bceg_no_mean(p, y):
    # forgets the 1/N of the mean
    return -(y / p - (1 - y) / (1 - p))


def bceg_p_minus_y(p, y):
    # the gradient with respect to the logit
    return p - y


def bceg_p_minus_y_mean(p, y):
    # the gradient with respect to the logit, with 1/N
    return (p - y) / len(p)


def bceg_sign(p, y):
    # flipped sign
    return (y / p - (1 - y) / (1 - p)) / len(p)


def df_transposed(x, W, b):
    # x W^T: breaks on non-square W
    return x @ W.T + b, (x, W, b)


def df_no_bias(x, W, b):
    # forgets b
    return x @ W, (x, W, b)


def df_w_first(x, W, b):
    # W^T x^T transposed back wrongly: (M, N) output
    return (W.T @ x.T) + b[:, None], (x, W, b)


def df_cache_order(x, W, b):
    # cache in another order
    return x @ W + b, (W, x, b)


def db_not_summed(dout, cache):
    # db = dout, not summed over the batch
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout


def db_dW_mean(dout, cache):
    # dW = x^T dout / N
    x, W, b = cache
    return dout @ W.T, x.T @ dout / len(x), dout.sum(axis=0)


def db_dx_no_transpose(dout, cache):
    # dx = dout W: shapes clash on non-square W
    x, W, b = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)


def db_db_mean(dout, cache):
    # db as a mean over the batch
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def db_db_wrong_axis(dout, cache):
    # db summed over the features
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


def db_dW_transposed(dout, cache):
    # dW = dout^T x, shape (M, D)
    x, W, b = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def ef_ids_transposed(ids, E):
    # indexes with ids.T: (T, N, D)
    return E[ids.T], (ids, E.shape[0])


def ef_flattened(ids, E):
    # loses the (N, T) layout
    return E[ids.ravel()], (ids, E.shape[0])


def ef_columns(ids, E):
    # picks columns of E instead of rows
    return np.take(E, ids, axis=1, mode="wrap"), (ids, E.shape[0])


def ef_cache_E(ids, E):
    # caches E instead of V
    return E[ids], (ids, E)


def eb_overwrite(dout, cache):
    # dE[ids] += dout: repeated ids do not accumulate
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] += dout
    return dE


def eb_assign(dout, cache):
    # dE[ids] = dout: same mistake, spelled differently
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] = dout
    return dE


def eb_v_from_ids(dout, cache):
    # V guessed as ids.max() + 1: wrong shape when the last ids are unused
    ids, V = cache
    dE = np.zeros((ids.max() + 1, dout.shape[-1]))
    np.add.at(dE, ids, dout)
    return dE


def eb_mean_of_repeats(dout, cache):
    # averages repeated ids instead of summing them
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    np.add.at(dE, ids, dout)
    counts = np.bincount(ids.ravel(), minlength=V)
    return dE / np.maximum(counts, 1)[:, None]


def _cos(E, v):
    return (E @ v) / (np.linalg.norm(E, axis=1) * np.linalg.norm(v))


def cn_dot_product(E, v, k):
    # unnormalised dot product
    sims = E @ v
    ids = np.argsort(-sims)[:k]
    return ids, sims[ids]


def cn_ascending(E, v, k):
    # least similar first
    sims = _cos(E, v)
    ids = np.argsort(sims)[:k]
    return ids, sims[ids]


def cn_top_k_ascending(E, v, k):
    # the right k rows, most similar last
    sims = _cos(E, v)
    ids = np.argsort(sims)[-k:]
    return ids, sims[ids]


def cn_dot_sims(E, v, k):
    # ranks by cosine but returns the raw dot products
    ids = np.argsort(-_cos(E, v))[:k]
    return ids, (E @ v)[ids]


def cn_v_not_normalised(E, v, k):
    # divides by ||E_i|| only: right order, wrong values
    sims = (E @ v) / np.linalg.norm(E, axis=1)
    ids = np.argsort(-sims)[:k]
    return ids, sims[ids]


def cn_skips_first(E, v, k):
    # drops the most similar row, assuming it is the query itself
    sims = _cos(E, v)
    ids = np.argsort(-sims)[1:k + 1]
    return ids, sims[ids]


def cn_rows_in_index_order(E, v, k):
    # the right rows, sorted by row number instead of similarity
    sims = _cos(E, v)
    ids = np.sort(np.argsort(-sims)[:k])
    return ids, sims[ids]


MUTANTS = {
    "activation_forward": [
        af_sigmoid_sign, af_relu_abs, af_tanh_half, af_no_value_error,
        af_cache_z, af_returns_a_only,
    ],
    "activation_backward": [
        ab_tanh_one_minus_a, ab_sigmoid_one_plus_a,
        ab_relu_lets_negatives_through, ab_forgets_da, ab_relu_in_place,
        ab_overwrites_cached_a,
    ],
    "softmax": [
        sm_no_shift, sm_axis0, sm_global_max, sm_no_keepdims, sm_in_place,
    ],
    "binary_cross_entropy": [
        bce_missing_negative_term, bce_sum, bce_no_minus, bce_per_example,
    ],
    "binary_cross_entropy_grad": [
        bceg_no_mean, bceg_p_minus_y, bceg_p_minus_y_mean, bceg_sign,
    ],
    "dense_forward": [
        df_transposed, df_no_bias, df_w_first, df_cache_order,
    ],
    "dense_backward": [
        db_not_summed, db_dW_mean, db_dx_no_transpose, db_db_mean,
        db_db_wrong_axis, db_dW_transposed,
    ],
    "embedding_forward": [
        ef_ids_transposed, ef_flattened, ef_columns, ef_cache_E,
    ],
    "embedding_backward": [
        eb_overwrite, eb_assign, eb_v_from_ids, eb_mean_of_repeats,
    ],
    "cosine_neighbours": [
        cn_dot_product, cn_ascending, cn_top_k_ascending, cn_dot_sims,
        cn_v_not_normalised, cn_skips_first, cn_rows_in_index_order,
    ],
}

#: A word of the message expected for some mutants: the hint they need.
EXPECTED_HINT = {
    "sm_no_shift": "maximum of each row",
    "sm_global_max": "maximum of each row",
    "sm_in_place": "in place",
    "ab_relu_in_place": "in place",
    "ab_overwrites_cached_a": "modified its argument `cache` in place",
    "ab_tanh_one_minus_a": "1 - a**2",
    "eb_overwrite": "np.add.at",
    "eb_assign": "np.add.at",
    "db_not_summed": "sum dout over the batch",
    "db_dW_mean": "Do not divide dW by N",
    "db_db_mean": "Do not divide db by N",
    "bce_sum": "not the sum",
    "bce_per_example": "one number",
    "bce_no_minus": "sign",
    "bceg_no_mean": "1/N",
    "bceg_p_minus_y": "logit",
    "bceg_p_minus_y_mean": "logit",
    "cn_dot_product": "plain dot product",
    "cn_ascending": "least similar",
    "cn_skips_first": "not the k most similar",
    "cn_top_k_ascending": "wrong order",
    "cn_rows_in_index_order": "wrong order",
    "df_no_bias": "bias",
    "df_cache_order": "(x, W, b)",
    "ef_cache_E": "(ids, V)",
    "af_cache_z": "(a, name)",
    "af_no_value_error": "ValueError",
    "db_dx_no_transpose": "raised ValueError",
}


# ----------------------------------------------------- accepted variants
# Correct code written differently from the solution: each must get full
# marks. The comment says what differs.


def av_stable_formulas(z, name):
    # sigmoid through logaddexp, tanh through exp, relu as z * (z > 0)
    if name == "sigmoid":
        a = np.exp(-np.logaddexp(0.0, -z))
    elif name == "tanh":
        e = np.exp(-2.0 * np.abs(z))
        a = np.sign(z) * (1.0 - e) / (1.0 + e)
    elif name == "relu":
        a = z * (z > 0)
    else:
        raise ValueError(f"unknown activation {name}")
    return a, (a, name)


def av_loop(z, name):
    # entry by entry with the math module, a dict of functions
    functions = {
        "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
        "tanh": math.tanh,
        "relu": lambda v: max(0.0, v),
    }
    if name not in functions:
        raise ValueError(name)
    f = functions[name]
    a = np.array([f(float(v)) for v in z.ravel()]).reshape(z.shape)
    return a, (a, name)


def abv_factored(da, cache):
    # da * a - da * a**2, (1 - a)(1 + a), np.where for relu
    a, name = cache
    if name == "sigmoid":
        return da * a - da * a**2
    if name == "tanh":
        return da * (1.0 - a) * (1.0 + a)
    return np.where(a > 0, da, 0.0)


def abv_loop(da, cache):
    # entry by entry, into a new array
    a, name = cache
    dz = np.empty_like(da)
    for i in np.ndindex(da.shape):
        if name == "sigmoid":
            dz[i] = da[i] * a[i] * (1.0 - a[i])
        elif name == "tanh":
            dz[i] = da[i] * (1.0 - a[i] * a[i])
        else:
            dz[i] = da[i] if a[i] > 0 else 0.0
    return dz


def smv_logsumexp(z):
    # exp(z - logsumexp(z))
    m = z.max(axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return np.exp(z - lse)


def smv_rows(z):
    # row by row, over a (rows, C) view
    rows = z.reshape(-1, z.shape[-1])
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out.reshape(z.shape)


def bcev_keras_epsilon(p, y):
    # Keras' epsilon inside the logarithms
    eps = 1e-7
    return float(-np.mean(y * np.log(p + eps)
                          + (1 - y) * np.log(1 - p + eps)))


def bcev_clipped_loop(p, y):
    # clip p to [1e-7, 1 - 1e-7], then a loop with math.log
    total = 0.0
    for p_i, y_i in zip(np.clip(p, 1e-7, 1 - 1e-7), y, strict=True):
        total += math.log(p_i) if y_i == 1 else math.log(1.0 - p_i)
    return -total / len(p)


def bcegv_epsilon(p, y):
    # an epsilon of 1e-7 in both denominators
    eps = 1e-7
    return -(y / (p + eps) - (1 - y) / (1 - p + eps)) / len(p)


def bcegv_one_fraction(p, y):
    # the same gradient as one fraction, (p - y) / (p (1 - p)) / N
    return (p - y) / (p * (1.0 - p)) / p.shape[0]


def dfv_einsum(x, W, b):
    # einsum, bias broadcast explicitly
    return np.einsum("nd,dm->nm", x, W) + b[None, :], (x, W, b)


def dfv_rows(x, W, b):
    # row by row
    out = np.stack([np.dot(row, W) + b for row in x])
    return out, (x, W, b)


def dbv_einsum(dout, cache):
    # einsum for every gradient
    x, W, b = cache
    return (np.einsum("nm,dm->nd", dout, W),
            np.einsum("nd,nm->dm", x, dout),
            np.einsum("nm->m", dout))


def dbv_float32_accumulation(dout, cache):
    # example by example, accumulated in float32 buffers
    x, W, b = cache
    dx = np.zeros(x.shape, dtype=np.float32)
    dW = np.zeros(W.shape, dtype=np.float32)
    db = np.zeros(b.shape, dtype=np.float32)
    for n in range(x.shape[0]):
        dx[n] = dout[n] @ W.T
        dW += np.outer(x[n], dout[n])
        db += dout[n]
    return dx, dW, db


def efv_take(ids, E):
    # np.take along the rows
    return np.take(E, ids, axis=0), (ids, E.shape[0])


def efv_one_hot(ids, E):
    # one-hot rows times E
    V = E.shape[0]
    return np.eye(V)[ids] @ E, (ids, V)


def efv_loop(ids, E):
    # position by position
    n, t = ids.shape
    out = np.zeros((n, t, E.shape[1]))
    for i in range(n):
        for j in range(t):
            out[i, j] = E[ids[i, j]]
    return out, (ids, len(E))


def ebv_float32_accumulation(dout, cache):
    # np.add.at into a float32 dE
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]), dtype=np.float32)
    np.add.at(dE, ids, dout)
    return dE


def ebv_one_hot(dout, cache):
    # one-hot matrix transposed times dout
    ids, V = cache
    one_hot = np.eye(V)[ids.ravel()]
    return one_hot.T @ dout.reshape(-1, dout.shape[-1])


def ebv_loop(dout, cache):
    # position by position
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    for (i, j), v in np.ndenumerate(ids):
        dE[v] += dout[i, j]
    return dE


def cnv_epsilon(E, v, k):
    # an epsilon of 1e-8 in every norm, vectors normalised first
    eps = 1e-8
    En = E / (np.linalg.norm(E, axis=1, keepdims=True) + eps)
    vn = v / (np.linalg.norm(v) + eps)
    sims = En @ vn
    ids = np.argsort(-sims)[:k]
    return ids, sims[ids]


def cnv_argpartition(E, v, k):
    # top k by argpartition, then sorted; norms floored at 1e-7
    norms = np.maximum(np.sqrt(np.einsum("vd,vd->v", E, E)), 1e-7)
    sims = (E @ v) / (norms * max(np.sqrt(v @ v), 1e-7))
    top = np.argpartition(-sims, k - 1)[:k]
    ids = top[np.argsort(-sims[top])]
    return ids, sims[ids]


VARIANTS = {
    "activation_forward": [av_stable_formulas, av_loop],
    "activation_backward": [abv_factored, abv_loop],
    "softmax": [smv_logsumexp, smv_rows],
    "binary_cross_entropy": [bcev_keras_epsilon, bcev_clipped_loop],
    "binary_cross_entropy_grad": [bcegv_epsilon, bcegv_one_fraction],
    "dense_forward": [dfv_einsum, dfv_rows],
    "dense_backward": [dbv_einsum, dbv_float32_accumulation],
    "embedding_forward": [efv_take, efv_one_hot, efv_loop],
    "embedding_backward": [
        ebv_float32_accumulation, ebv_one_hot, ebv_loop,
    ],
    "cosine_neighbours": [cnv_epsilon, cnv_argpartition],
}


@pytest.mark.parametrize(("name", "variant"),
                         suite.variant_cases(VARIANTS))
def test_accepted_variant_passes(name, variant):
    suite.assert_variant_passes(check_of(name), variant)


def test_at_least_two_variants_per_function():
    suite.assert_variants_cover(VARIANTS, FUNCTIONS, at_least=2)


def test_results_list_the_counts():
    suite.assert_results_list(sys.modules[__name__])


#: Mutants wrong only in what the visible tests check before any value,
#: and the words of the first message the student sees.
VISIBLE_FIRST = [
    ('activation_backward', ab_relu_in_place, 'must not modify da'),
    ('activation_backward', ab_overwrites_cached_a, 'nor the a of its cache'),
    ('softmax', sm_in_place, 'must not modify z'),
]


@pytest.mark.parametrize(("name", "variant"),
                         suite.variant_cases(VARIANTS))
def test_visible_tests_accept_the_variant(name, variant):
    suite.run_visible_test(SLUG, name, variant)


@pytest.mark.parametrize(
    ("name", "mutant", "words"), VISIBLE_FIRST,
    ids=[mutant.__name__ for _, mutant, _ in VISIBLE_FIRST],
)
def test_visible_tests_name_the_real_problem_first(name, mutant, words):
    suite.assert_visible_test_names(SLUG, name, mutant, words)


@pytest.mark.parametrize(("name", "mutant"), suite.mutant_cases(MUTANTS))
def test_mutant_fails(name, mutant):
    suite.assert_mutant_fails(
        check_of(name), mutant, EXPECTED_HINT.get(mutant.__name__),
    )


def test_at_least_two_mutants_per_function():
    suite.assert_mutants_cover(MUTANTS, FUNCTIONS, at_least=2)


def test_one_tolerance_for_the_course():
    # The hidden checks and the package's gradient checker agree.
    from hidden_checks._common import RTOL

    from rnn_course.gradcheck import RTOL_FLOAT64

    assert RTOL == RTOL_FLOAT64 == 1e-6


def test_a_hint_names_only_a_mistake_that_explains_the_value():
    # A mistake is named when it reproduces the student's value and not
    # the expected one; one that gives the expected value never is.
    from hidden_checks._common import RTOL, Text, diagnose

    expected = np.linspace(1.0, 2.0, 5)
    wrong = expected * (1.0 + 10 * RTOL)
    named = Text("named", "nombrada")
    same = Text("same as expected", "igual a la esperada")
    assert diagnose(wrong, expected, [(lambda: wrong, named)]) is named
    assert diagnose(
        wrong * (1.0 + RTOL / 10), expected, [(lambda: wrong, named)],
    ) is named
    assert diagnose(wrong, expected, [(lambda: expected, same)]) is None
    near = expected * (1.0 + RTOL / 10)
    assert diagnose(wrong, expected, [(lambda: near, same),
                                      (lambda: None, same),
                                      (lambda: 1 / 0, same),
                                      (lambda: wrong, named)]) is named


def test_spanish_message_example():
    message = suite.failure(check_of("embedding_backward"), eb_overwrite,
                            "es")
    assert "no coincide con el valor esperado" in message
    assert "deben sumarse" in message


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch01.check_softmax)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch01.check_softmax, ref_en["softmax"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_runs_clean(lang, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    path = notebook_path(SLUG, lang)
    nb = nbformat.read(path, as_version=4)
    paths = (str(suite.AUTOGRADER), os.environ.get("PYTHONPATH"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    passed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        grade = cell.metadata.get("nbgrader", {}).get("grade", False)
        for output in cell.outputs:
            assert output.output_type != "error", output
            # nbgrader gives 0 points to a test cell that writes to stderr
            # and partial credit to one that ends with a value.
            if grade:
                assert output.get("name") != "stderr", output
                assert output.output_type != "execute_result", output
        if grade:
            text = "".join(
                o.get("text", "") for o in cell.outputs
                if o.output_type == "stream" and o.name == "stdout"
            )
            assert text.strip(), cell.metadata["nbgrader"]["grade_id"]
            passed += 1
    assert passed == len(FUNCTIONS)
