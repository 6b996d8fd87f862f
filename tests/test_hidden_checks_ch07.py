"""The hidden checks of chapter 7, proven both ways.

For every graded function of ``07-seq2seq-attention``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently (accepted
  variants: -1e9 instead of -inf and the mask applied after, a
  log-sum-exp softmax, an epsilon in the denominator, loops, einsum,
  recursion...) pass it;
* plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language and, for
  most, names the mistake;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

The hidden inputs are proven to hold what the mutants need: a row with
nothing to see, scores that overflow, ties, an end token never produced,
decoders whose state matters. Finally each solution notebook passes
``nbgrader validate``.
"""

import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch07  # importable once check_suite is
from notebook_code import notebook_path

SLUG = "07-seq2seq-attention"
FUNCTIONS = [
    "dot_product_attention",
    "attention_backward",
    "additive_attention_scores",
    "greedy_decode",
]

reference, ref_en = suite.reference_fixtures(SLUG)


def check_of(name):
    return getattr(ch07, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    suite.assert_both_define(ref_en, suite.solutions(SLUG, "es"), FUNCTIONS)


# --------------------------------------------------------------- mutants
# Each mutant is a plausible student mistake; the comment says which.
# They are written from scratch (no call into the notebook), so that each
# one is wrong in exactly one way.


def _masked_softmax(s, mask):
    """Softmax over the last axis, 0 where masked and on empty rows."""
    visible = np.broadcast_to(mask[:, None, :], s.shape)
    top = np.max(np.where(visible, s, -np.inf), axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(visible, np.exp(np.where(visible, s, 0.0) - top), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total == 0.0, 1.0, total)


def _scores(query, keys):
    return query @ keys.transpose(0, 2, 1) / np.sqrt(query.shape[-1])


def _attend(weights, query, keys, values, mask):
    return weights @ values, weights, (query, keys, values, mask, weights)


def dpa_no_scale(query, keys, values, mask):
    # forgets the 1 / sqrt(H)
    w = _masked_softmax(query @ keys.transpose(0, 2, 1), mask)
    return _attend(w, query, keys, values, mask)


def dpa_scale_by_h(query, keys, values, mask):
    # divides by H instead of sqrt(H)
    w = _masked_softmax(query @ keys.transpose(0, 2, 1) / query.shape[-1],
                        mask)
    return _attend(w, query, keys, values, mask)


def dpa_mask_ignored(query, keys, values, mask):
    # a plain softmax over every position
    s = _scores(query, keys)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return _attend(e / e.sum(axis=-1, keepdims=True), query, keys, values,
                   mask)


def dpa_wrong_axis(query, keys, values, mask):
    # normalises over the queries (axis=1), not over the positions
    s = _scores(query, keys)
    e = np.exp(s - s.max(axis=1, keepdims=True)) * mask[:, None, :]
    return _attend(e / e.sum(axis=1, keepdims=True), query, keys, values,
                   mask)


def dpa_nan_on_empty_row(query, keys, values, mask):
    # -inf for the masked scores and a plain softmax: 0 / 0 on a row
    # whose mask is all False
    s = np.where(mask[:, None, :], _scores(query, keys), -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return _attend(e / e.sum(axis=-1, keepdims=True), query, keys, values,
                   mask)


def dpa_no_max_subtraction(query, keys, values, mask):
    # np.exp of the raw scores: overflows when they are large
    e = np.exp(_scores(query, keys)) * mask[:, None, :]
    total = e.sum(axis=-1, keepdims=True)
    return _attend(e / np.where(total == 0.0, 1.0, total), query, keys,
                   values, mask)


def dpa_cache_without_weights(query, keys, values, mask):
    # caches the four arguments only
    w = _masked_softmax(_scores(query, keys), mask)
    return w @ values, w, (query, keys, values, mask)


def dpa_in_place(query, keys, values, mask):
    # scales the caller's query in place
    query /= np.sqrt(query.shape[-1])
    w = _masked_softmax(query @ keys.transpose(0, 2, 1), mask)
    return _attend(w, query, keys, values, mask)


def _backward(dcontext, dweights, cache, *, scale=True, use_dweights=True,
              jacobian=True):
    query, keys, values, mask, w = cache
    dvalues = w.transpose(0, 2, 1) @ dcontext
    da = dcontext @ values.transpose(0, 2, 1)
    if use_dweights and dweights is not None:
        da = da + dweights
    ds = w * da
    if jacobian:
        ds = ds - w * np.sum(w * da, axis=-1, keepdims=True)
    root = np.sqrt(query.shape[-1]) if scale else 1.0
    return ds @ keys / root, ds.transpose(0, 2, 1) @ query / root, dvalues


def ab_dweights_ignored(dcontext, dweights, cache):
    # drops dweights
    return _backward(dcontext, dweights, cache, use_dweights=False)


def ab_no_scale(dcontext, dweights, cache):
    # forgets the 1 / sqrt(H) of the scores
    return _backward(dcontext, dweights, cache, scale=False)


def ab_diagonal_softmax(dcontext, dweights, cache):
    # the softmax's backward as a * da only
    return _backward(dcontext, dweights, cache, jacobian=False)


def ab_none_crashes(dcontext, dweights, cache):
    # adds dweights without checking for None
    query, keys, values, mask, w = cache
    da = dcontext @ values.transpose(0, 2, 1) + dweights
    ds = w * (da - np.sum(w * da, axis=-1, keepdims=True))
    root = np.sqrt(query.shape[-1])
    return (ds @ keys / root, ds.transpose(0, 2, 1) @ query / root,
            w.transpose(0, 2, 1) @ dcontext)


def ab_in_place(dcontext, dweights, cache):
    # accumulates dL/da into the caller's dweights
    query, keys, values, mask, w = cache
    if dweights is None:
        da = dcontext @ values.transpose(0, 2, 1)
    else:
        dweights += dcontext @ values.transpose(0, 2, 1)
        da = dweights
    ds = w * (da - np.sum(w * da, axis=-1, keepdims=True))
    root = np.sqrt(query.shape[-1])
    return (ds @ keys / root, ds.transpose(0, 2, 1) @ query / root,
            w.transpose(0, 2, 1) @ dcontext)


def ab_unmasked_recompute(dcontext, dweights, cache):
    # recomputes the weights from query and keys, forgetting the mask
    query, keys, values, mask, _ = cache
    s = _scores(query, keys)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return _backward(dcontext, dweights, (query, keys, values, mask, w))


def _additive(query, keys, Wq, Wk, v, act=np.tanh):
    q = query @ Wq
    k = keys @ Wk
    return act(q[:, :, None, :] + k[:, None, :, :]) @ v


def ad_wq_transposed(query, keys, Wq, Wk, v, mask):
    # query @ Wq.T: another book's layout (runs when Hq == A)
    s = _additive(query, keys, Wq.T, Wk, v)
    return np.where(mask[:, None, :], s, -np.inf)


def ad_no_tanh(query, keys, Wq, Wk, v, mask):
    # forgets the tanh
    s = _additive(query, keys, Wq, Wk, v, act=lambda z: z)
    return np.where(mask[:, None, :], s, -np.inf)


def ad_no_v(query, keys, Wq, Wk, v, mask):
    # sums tanh(...) without weighting it by v
    s = _additive(query, keys, Wq, Wk, np.ones_like(v))
    return np.where(mask[:, None, :], s, -np.inf)


def ad_swapped(query, keys, Wq, Wk, v, mask):
    # query @ Wk + keys @ Wq (runs when Hq == Hk)
    s = _additive(query, keys, Wk, Wq, v)
    return np.where(mask[:, None, :], s, -np.inf)


def ad_mask_ignored(query, keys, Wq, Wk, v, mask):
    # returns every score, masked or not
    return _additive(query, keys, Wq, Wk, v)


def ad_minus_1e9(query, keys, Wq, Wk, v, mask):
    # -1e9 where the docstring says -inf
    s = _additive(query, keys, Wq, Wk, v)
    return np.where(mask[:, None, :], s, -1e9)


def _greedy(step_fn, start_token, end_token, max_len, *, stop=True,
            keep_end=True, keep_start=False, reset=False, feed_back=True,
            lowest=True, late=False, limit=None):
    tokens = [start_token] if keep_start else []
    token, state, produced, done = start_token, None, 0, False
    for _ in range(max_len if limit is None else limit):
        scores, new_state = step_fn(token if feed_back else start_token,
                                    None if reset else state)
        state = new_state
        scores = np.asarray(scores)
        if lowest:
            token = int(np.argmax(scores))
        else:
            token = int(len(scores) - 1 - np.argmax(scores[::-1]))
        produced += 1
        if done:
            tokens.append(token)
            break
        if token == end_token and stop:
            if keep_end:
                tokens.append(token)
            if late:
                done = True
                continue
            break
        tokens.append(token)
    return tokens


def gd_never_stops(step_fn, start_token, end_token, max_len):
    # ignores the end token: always max_len tokens
    return _greedy(step_fn, start_token, end_token, max_len, stop=False)


def gd_one_late(step_fn, start_token, end_token, max_len):
    # checks for the end token one step too late
    return _greedy(step_fn, start_token, end_token, max_len, late=True)


def gd_exceeds_max_len(step_fn, start_token, end_token, max_len):
    # range(max_len + 1): one token too many
    return _greedy(step_fn, start_token, end_token, max_len,
                   limit=max_len + 1)


def gd_drops_end(step_fn, start_token, end_token, max_len):
    # stops at the end token without keeping it
    return _greedy(step_fn, start_token, end_token, max_len,
                   keep_end=False)


def gd_keeps_start(step_fn, start_token, end_token, max_len):
    # the output starts with start_token
    return _greedy(step_fn, start_token, end_token, max_len,
                   keep_start=True)


def gd_resets_state(step_fn, start_token, end_token, max_len):
    # passes None as the state at every step
    return _greedy(step_fn, start_token, end_token, max_len, reset=True)


def gd_no_feedback(step_fn, start_token, end_token, max_len):
    # reads start_token at every step
    return _greedy(step_fn, start_token, end_token, max_len,
                   feed_back=False)


def gd_highest_on_tie(step_fn, start_token, end_token, max_len):
    # the highest id wins a tie
    return _greedy(step_fn, start_token, end_token, max_len, lowest=False)


def gd_returns_array(step_fn, start_token, end_token, max_len):
    # an array of ids, not the list the docstring promises
    return np.array(_greedy(step_fn, start_token, end_token, max_len))


MUTANTS = {
    "dot_product_attention": [
        dpa_no_scale, dpa_scale_by_h, dpa_mask_ignored, dpa_wrong_axis,
        dpa_nan_on_empty_row, dpa_no_max_subtraction,
        dpa_cache_without_weights, dpa_in_place,
    ],
    "attention_backward": [
        ab_dweights_ignored, ab_no_scale, ab_diagonal_softmax,
        ab_none_crashes, ab_in_place, ab_unmasked_recompute,
    ],
    "additive_attention_scores": [
        ad_wq_transposed, ad_no_tanh, ad_no_v, ad_swapped, ad_mask_ignored,
        ad_minus_1e9,
    ],
    "greedy_decode": [
        gd_never_stops, gd_one_late, gd_exceeds_max_len, gd_drops_end,
        gd_keeps_start, gd_resets_state, gd_no_feedback, gd_highest_on_tie,
        gd_returns_array,
    ],
}

#: Words of the English message each mutant must get (None: any message).
EXPECTED_HINT = {
    "dpa_no_scale": "The scores are not scaled",
    "dpa_scale_by_h": "divided by H",
    "dpa_mask_ignored": "The mask is ignored",
    "dpa_wrong_axis": "axis",
    "dpa_nan_on_empty_row": "nothing to look at",
    "dpa_no_max_subtraction": "Large scores overflow np.exp",
    "dpa_cache_without_weights": "(query, keys, values, mask, weights)",
    "dpa_in_place": "in place",
    "ab_dweights_ignored": "dweights is ignored",
    "ab_no_scale": "1 / sqrt(H) of the scores is missing",
    "ab_diagonal_softmax": "has two terms",
    "ab_none_crashes": "raised TypeError",
    "ab_in_place": "modified its argument `dweights`",
    "ab_unmasked_recompute": None,
    "ad_wq_transposed": "Wq is (Hq, A)",
    "ad_no_tanh": "Apply tanh",
    "ad_no_v": "weighted by v",
    "ad_swapped": "Wq and Wk are swapped",
    "ad_mask_ignored": "are not -inf",
    "ad_minus_1e9": "are not -inf",
    "gd_never_stops": "stop right after end_token",
    "gd_one_late": "did not return the greedy tokens",
    "gd_exceeds_max_len": "at most max_len tokens",
    "gd_drops_end": "end_token is part of the output",
    "gd_keeps_start": "start_token is not part of the output",
    "gd_resets_state": "Pass the state",
    "gd_no_feedback": "the token produced by the step before",
    "gd_highest_on_tie": "the lowest id",
    "gd_returns_array": "must return a list of int",
}


@pytest.mark.parametrize(("name", "mutant"), suite.mutant_cases(MUTANTS))
def test_mutant_fails(name, mutant):
    suite.assert_mutant_fails(
        check_of(name), mutant, EXPECTED_HINT.get(mutant.__name__),
    )


def test_at_least_four_mutants_per_function():
    suite.assert_mutants_cover(MUTANTS, FUNCTIONS, at_least=4)


def test_every_mutant_has_its_expected_words():
    named = [m.__name__ for mutants in MUTANTS.values() for m in mutants]
    assert set(EXPECTED_HINT) == set(named)


def test_spanish_message_example():
    message = suite.failure(check_of("attention_backward"),
                            ab_dweights_ignored, "es")
    assert "no coincide con el valor esperado" in message
    assert "Se ignora dweights" in message


# ----------------------------------------------------- accepted variants


def dpav_minus_1e9(query, keys, values, mask):
    # -1e9 for the masked scores, a stable softmax, then * mask (which
    # zeroes the uniform weights of a row with nothing to see)
    s = np.where(mask[:, None, :], _scores(query, keys), -1e9)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True) * mask[:, None, :]
    return w @ values, w, (query, keys, values, mask, w)


def dpav_logsumexp(query, keys, values, mask):
    # per example, log-sum-exp over the visible positions only
    n, tq, h = query.shape
    w = np.zeros((n, tq, keys.shape[1]))
    for b in range(n):
        seen = np.flatnonzero(mask[b])
        if seen.size:
            s = query[b] @ keys[b, seen].T / np.sqrt(h)
            top = s.max(axis=1, keepdims=True)
            lse = top + np.log(np.exp(s - top).sum(axis=1, keepdims=True))
            w[b][:, seen] = np.exp(s - lse)
    return np.einsum("nit,ntv->niv", w, values), w, (
        query, keys, values, mask, w)


def dpav_epsilon(query, keys, values, mask):
    # an epsilon in the denominator instead of a test for empty rows
    s = _scores(query, keys)
    visible = mask[:, None, :]
    top = np.max(np.where(visible, s, -np.inf), axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.where(visible, np.exp(np.minimum(s - top, 0.0)), 0.0)
    w = e / (e.sum(axis=-1, keepdims=True) + 1e-12)
    return w @ values, w, (query, keys, values, mask, w)


def abv_einsum(dcontext, dweights, cache):
    # einsum, and dweights=None read as zeros
    query, keys, values, mask, w = cache
    if dweights is None:
        dweights = np.zeros_like(w)
    da = np.einsum("niv,ntv->nit", dcontext, values) + dweights
    ds = w * da - w * np.einsum("nit,nit->ni", w, da)[:, :, None]
    h = query.shape[-1]
    return (np.einsum("nit,nth->nih", ds, keys) / np.sqrt(h),
            np.einsum("nit,nih->nth", ds, query) / np.sqrt(h),
            np.einsum("nit,niv->ntv", w, dcontext))


def abv_jacobian_loops(dcontext, dweights, cache):
    # the softmax's Jacobian diag(a) - a a^T, one query row at a time
    query, keys, values, mask, w = cache
    n, tq, h = query.shape
    dquery = np.zeros_like(query)
    dkeys = np.zeros_like(keys)
    dvalues = np.zeros_like(values)
    for b in range(n):
        for i in range(tq):
            a = w[b, i]
            dvalues[b] += np.outer(a, dcontext[b, i])
            da = values[b] @ dcontext[b, i]
            if dweights is not None:
                da = da + dweights[b, i]
            ds = (np.diag(a) - np.outer(a, a)) @ da
            dquery[b, i] = ds @ keys[b] / np.sqrt(h)
            dkeys[b] += np.outer(ds, query[b, i]) / np.sqrt(h)
    return dquery, dkeys, dvalues


def abv_recomputed_weights(dcontext, dweights, cache):
    # recomputes the masked weights from query and keys
    query, keys, values, mask, _ = cache
    w = _masked_softmax(_scores(query, keys), mask)
    return _backward(dcontext, dweights, (query, keys, values, mask, w))


def adv_loops(query, keys, Wq, Wk, v, mask):
    # one score at a time
    n, tq, _ = query.shape
    t = keys.shape[1]
    scores = np.full((n, tq, t), -np.inf)
    for b in range(n):
        for i in range(tq):
            for j in range(t):
                if mask[b, j]:
                    scores[b, i, j] = v @ np.tanh(query[b, i] @ Wq
                                                  + keys[b, j] @ Wk)
    return scores


def adv_einsum(query, keys, Wq, Wk, v, mask):
    # einsum projections, the masked entries overwritten afterwards
    q = np.einsum("nih,ha->nia", query, Wq)
    k = np.einsum("nth,ha->nta", keys, Wk)
    scores = np.einsum("nita,a->nit", np.tanh(q[:, :, None] + k[:, None]),
                       v)
    scores[~np.broadcast_to(mask[:, None, :], scores.shape)] = -np.inf
    return scores


def gdv_for_numpy_ints(step_fn, start_token, end_token, max_len):
    # a for loop, the ids kept as NumPy integers
    tokens, token, state = [], start_token, None
    for _ in range(max_len):
        scores, state = step_fn(token, state)
        token = np.argmax(scores)
        tokens.append(token)
        if token == end_token:
            break
    return tokens


def gdv_recursive(step_fn, start_token, end_token, max_len):
    # recursion on the remaining length
    def go(token, state, left):
        if left == 0:
            return []
        scores, state = step_fn(token, state)
        best = int(np.flatnonzero(scores == np.max(scores))[0])
        if best == end_token:
            return [best]
        return [best] + go(best, state, left - 1)

    return go(start_token, None, max_len)


def gdv_softmax(step_fn, start_token, end_token, max_len):
    # argmax of the softmax of the scores, a while loop on a flag
    tokens, token, state, going = [], start_token, None, True
    while going and len(tokens) < max_len:
        scores, state = step_fn(token, state)
        e = np.exp(scores - np.max(scores))
        token = int(np.argmax(e / e.sum()))
        tokens.append(token)
        going = token != end_token
    return tokens


VARIANTS = {
    "dot_product_attention": [dpav_minus_1e9, dpav_logsumexp, dpav_epsilon],
    "attention_backward": [abv_einsum, abv_jacobian_loops,
                           abv_recomputed_weights],
    "additive_attention_scores": [adv_loops, adv_einsum],
    "greedy_decode": [gdv_for_numpy_ints, gdv_recursive, gdv_softmax],
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
    ("dot_product_attention", dpa_in_place, "must not modify its argum"),
    ("attention_backward", ab_in_place, "must not modify dcontext"),
    ("additive_attention_scores", ad_mask_ignored, "-np.inf"),
    ("greedy_decode", gd_returns_array, "must return a list of int"),
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


# ------------------------------------- the hidden inputs hold what matters


def test_only_the_empty_row_case_fails_nan_on_an_empty_row():
    # dpa_nan_on_empty_row is right wherever every row sees something.
    rng = np.random.default_rng(0)
    for n, tq, t, h, hv, kind in ch07._FORWARD_CASES:
        if kind:
            continue
        inputs = ch07._draw_attention(rng, n, tq, t, h, hv)
        ch07._forward_case(dpa_nan_on_empty_row, *inputs, ch07.Text("", ""),
                           "en", ch07._NOT_FINITE)
    assert any(k.get("empty_row") for *_, k in ch07._FORWARD_CASES)


def test_large_case_overflows_np_exp():
    rng = np.random.default_rng(ch07._SEED["dot_product_attention"])
    for n, tq, t, h, hv, kind in ch07._FORWARD_CASES:
        query, keys, _, mask = ch07._draw_attention(rng, n, tq, t, h, hv,
                                                    **kind)
        if kind.get("large"):
            top = np.abs(_scores(query, keys)).max()
            assert top > np.log(np.finfo(np.float64).max), top


def test_masked_positions_hold_garbage_in_one_case():
    rng = np.random.default_rng(ch07._SEED["dot_product_attention"])
    found = False
    for n, tq, t, h, hv, kind in ch07._FORWARD_CASES:
        _, keys, values, mask = ch07._draw_attention(rng, n, tq, t, h, hv,
                                                     **kind)
        if kind.get("garbage"):
            found = True
            assert np.abs(keys[~mask]).min() > 1.0
            assert np.abs(values[~mask]).max() > 100.0
    assert found


def _greedy_inputs():
    rng = np.random.default_rng(ch07._SEED["greedy_decode"])
    for states, vocab, start, end, max_len, kind in ch07._GREEDY_CASES:
        decoder = ch07._decoder(rng, states, vocab, end=end, **kind)
        yield decoder, start, end, max_len, kind


def test_greedy_cases_hold_ties_stops_and_state():
    ties = stops = full = state_matters = 0
    for decoder, start, end, max_len, kind in _greedy_inputs():
        tokens = ch07._walk(decoder, start, end, max_len)
        if tokens != ch07._walk(decoder, start, end, max_len,
                                ties="high"):
            ties += 1
        if tokens and tokens[-1] == end:
            stops += 1
        if kind.get("avoid_end"):
            assert len(tokens) == max_len and end not in tokens
            full += 1
        if tokens != ch07._walk(decoder, start, end, max_len,
                                keep_state=False):
            state_matters += 1
    assert ties >= 2 and stops >= 2 and full >= 2 and state_matters >= 3


def test_greedy_check_uses_logits_and_probabilities():
    kinds = [kind.get("logits", False) for *_, kind in _greedy_inputs()]
    assert any(kinds) and not all(kinds)
    negative = [d.scores.min() < 0 for d, *_ in _greedy_inputs()]
    assert any(negative)


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def _step_fn_abuse(step_fn, start_token, end_token, max_len):
    # calls the step function with a token out of the vocabulary
    return [int(t) for t in step_fn(10**6, None)[0]]


def test_step_function_abuse_fails_cleanly():
    message = suite.failure(ch07.check_greedy_decode, _step_fn_abuse, "en")
    assert "raised IndexError" in message


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch07.check_dot_product_attention)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch07.check_attention_backward, ref_en["attention_backward"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_passes_validate(lang):
    suite.validate_notebook(notebook_path(SLUG, lang))
