"""The hidden checks of chapter 2, proven both ways.

For every graded function of ``02-rnn-forward``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently (accepted
  variants: states stored in float32, einsum, loops...) pass it;
* several plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

Finally each solution notebook passes ``nbgrader validate``.
"""

import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch02  # importable once check_suite is
from notebook_code import notebook_path

SLUG = "02-rnn-forward"
FUNCTIONS = [
    "rnn_step_forward",
    "rnn_forward",
    "many_to_one_forward",
    "stacked_rnn_forward",
    "count_rnn_params",
]

reference, ref_en = suite.reference_fixtures(SLUG)


def check_of(name):
    return getattr(ch02, f"check_{name}")


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


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _step(x_t, h_prev, Wx, Wh, b):
    return np.tanh(x_t @ Wx + h_prev @ Wh + b)


def _states(x, h0, Wx, Wh, b):
    h, out = h0, []
    for t in range(x.shape[1]):
        h = _step(x[:, t], h, Wx, Wh, b)
        out.append(h)
    return np.stack(out, axis=1)


def st_no_bias(x_t, h_prev, Wx, Wh, b):
    # forgets b
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def st_zeros_h_prev(x_t, h_prev, Wx, Wh, b):
    # uses zeros instead of h_prev
    h_next = np.tanh(x_t @ Wx + np.zeros_like(h_prev) @ Wh + b)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def st_swapped(x_t, h_prev, Wx, Wh, b):
    # x_t Wh + h_prev Wx: only runs when D == H
    h_next = np.tanh(x_t @ Wh + h_prev @ Wx + b)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def st_no_tanh(x_t, h_prev, Wx, Wh, b):
    # returns the pre-activation
    h_next = x_t @ Wx + h_prev @ Wh + b
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def st_wh_transposed(x_t, h_prev, Wx, Wh, b):
    # h_prev Wh^T (another book's layout)
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh.T + b)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def st_cache_with_b(x_t, h_prev, Wx, Wh, b):
    # caches b instead of h_next
    h_next = _step(x_t, h_prev, Wx, Wh, b)
    return h_next, (x_t, h_prev, Wx, Wh, b)


def st_in_place(x_t, h_prev, Wx, Wh, b):
    # right values, written into the caller's h_prev
    h_prev[...] = _step(x_t, h_prev, Wx, Wh, b)
    return h_prev, (x_t, h_prev, Wx, Wh, h_prev)


def st_float32(x_t, h_prev, Wx, Wh, b):
    # computes in float32
    f = np.float32
    h_next = np.tanh(
        x_t.astype(f) @ Wx.astype(f) + h_prev.astype(f) @ Wh.astype(f)
        + b.astype(f)
    )
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def fw_float32(x, h0, Wx, Wh, b):
    # computes in float32
    f = np.float32
    h = _states(x.astype(f), h0.astype(f), Wx.astype(f), Wh.astype(f),
                b.astype(f))
    return h, _cache(x, h0, h, Wx, Wh)


def _cache(x, h0, states, Wx, Wh):
    prev = [h0] + [states[:, t] for t in range(states.shape[1] - 1)]
    return [
        (x[:, t], prev[t], Wx, Wh, states[:, t])
        for t in range(states.shape[1])
    ]


def fw_no_bias(x, h0, Wx, Wh, b):
    # forgets b
    h = _states(x, h0, Wx, Wh, np.zeros_like(b))
    return h, _cache(x, h0, h, Wx, Wh)


def fw_zeros_h0(x, h0, Wx, Wh, b):
    # starts from zeros, not h0
    h = _states(x, np.zeros_like(h0), Wx, Wh, b)
    return h, _cache(x, h0, h, Wx, Wh)


def fw_swapped(x, h0, Wx, Wh, b):
    # Wx and Wh swapped: only runs when D == H
    h = _states(x, h0, Wh, Wx, b)
    return h, _cache(x, h0, h, Wx, Wh)


def fw_never_updated(x, h0, Wx, Wh, b):
    # forgets h_prev = h_next: every step starts from h0
    h = np.stack(
        [_step(x[:, t], h0, Wx, Wh, b) for t in range(x.shape[1])], axis=1,
    )
    return h, _cache(x, h0, h, Wx, Wh)


def fw_shifted(x, h0, Wx, Wh, b):
    # stores h_prev before the update: h = (h_0, ..., h_(T-1))
    h, out = h0, []
    for t in range(x.shape[1]):
        out.append(h)
        h = _step(x[:, t], h, Wx, Wh, b)
    states = np.stack(out, axis=1)
    return states, _cache(x, h0, states, Wx, Wh)


def fw_last_state_only(x, h0, Wx, Wh, b):
    # returns only h_T, (N, H)
    h = _states(x, h0, Wx, Wh, b)
    return h[:, -1], _cache(x, h0, h, Wx, Wh)


def fw_time_axis_first(x, h0, Wx, Wh, b):
    # returns the states as (T, N, H)
    h = _states(x, h0, Wx, Wh, b)
    return h.transpose(1, 0, 2), _cache(x, h0, h, Wx, Wh)


def fw_cache_reversed(x, h0, Wx, Wh, b):
    # the step caches in reverse order
    h = _states(x, h0, Wx, Wh, b)
    return h, _cache(x, h0, h, Wx, Wh)[::-1]


def fw_cache_last_step_only(x, h0, Wx, Wh, b):
    # keeps only the cache of the last step
    h = _states(x, h0, Wx, Wh, b)
    return h, _cache(x, h0, h, Wx, Wh)[-1]


def fw_cache_order(x, h0, Wx, Wh, b):
    # step caches in another order, (x_t, Wx, h_prev, Wh, h_next)
    h = _states(x, h0, Wx, Wh, b)
    return h, [(x_t, Wx, h_prev, Wh_, h_t)
               for x_t, h_prev, Wx, Wh_, h_t in _cache(x, h0, h, Wx, Wh)]


def fw_cache_aliased_h_prev(x, h0, Wx, Wh, b):
    # every cached h_prev is one buffer, updated in place: it ends as h_T
    h_prev = h0.copy()
    states, cache = [], []
    for t in range(x.shape[1]):
        h_next = _step(x[:, t], h_prev, Wx, Wh, b)
        cache.append((x[:, t], h_prev, Wx, Wh, h_next))
        states.append(h_next)
        h_prev[...] = h_next
    return np.stack(states, axis=1), cache


def m2o_first_state(x, h0, Wx, Wh, b, Wy, by):
    # predicts from h_1, the first state
    return _softmax(_states(x, h0, Wx, Wh, b)[:, 0] @ Wy + by)


def m2o_wrong_axis(x, h0, Wx, Wh, b, Wy, by):
    # h[:, :, -1]: the last component of every state
    return _softmax(_states(x, h0, Wx, Wh, b)[:, :, -1] @ Wy + by)


def m2o_last_sequence(x, h0, Wx, Wh, b, Wy, by):
    # h[-1]: the last sequence of the batch
    return _softmax(_states(x, h0, Wx, Wh, b)[-1] @ Wy + by)


def m2o_no_max_subtraction(x, h0, Wx, Wh, b, Wy, by):
    # naive softmax: right on moderate scores, overflows on large ones
    e = np.exp(_states(x, h0, Wx, Wh, b)[:, -1] @ Wy + by)
    return e / e.sum(axis=-1, keepdims=True)


def m2o_zeros_h0(x, h0, Wx, Wh, b, Wy, by):
    # starts from zeros, not h0
    return _softmax(_states(x, np.zeros_like(h0), Wx, Wh, b)[:, -1] @ Wy + by)


def m2o_no_softmax(x, h0, Wx, Wh, b, Wy, by):
    # returns the scores
    return _states(x, h0, Wx, Wh, b)[:, -1] @ Wy + by


def m2o_softmax_axis0(x, h0, Wx, Wh, b, Wy, by):
    # normalises over the batch
    s = _states(x, h0, Wx, Wh, b)[:, -1] @ Wy + by
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def m2o_no_by(x, h0, Wx, Wh, b, Wy, by):
    # forgets the output bias
    return _softmax(_states(x, h0, Wx, Wh, b)[:, -1] @ Wy)


def m2o_global_max(x, h0, Wx, Wh, b, Wy, by):
    # one maximum for the whole batch: far rows underflow to 0 / 0
    s = _states(x, h0, Wx, Wh, b)[:, -1] @ Wy + by
    e = np.exp(s - s.max())
    return e / e.sum(axis=-1, keepdims=True)


def m2o_float32(x, h0, Wx, Wh, b, Wy, by):
    # computes in float32
    f = np.float32
    h = _states(x.astype(f), h0.astype(f), Wx.astype(f), Wh.astype(f),
                b.astype(f))
    return _softmax(h[:, -1] @ Wy.astype(f) + by.astype(f))


def sk_feeds_x(x, h0s, params):
    # every layer reads x, not the states of the layer below
    h = x
    for h0, (Wx, Wh, b) in zip(h0s, params, strict=True):
        h = _states(x, h0, Wx, Wh, b)
    return h


def sk_reuses_h0(x, h0s, params):
    # every layer starts from h0s[0]
    h = x
    for Wx, Wh, b in params:
        h = _states(h, h0s[0], Wx, Wh, b)
    return h


def sk_reuses_params(x, h0s, params):
    # every layer uses the weights of layer 1
    h = x
    for h0 in h0s:
        h = _states(h, h0, *params[0])
    return h


def sk_first_layer(x, h0s, params):
    # returns the states of the first layer
    return _states(x, h0s[0], *params[0])


def sk_last_step_between_layers(x, h0s, params):
    # passes only h_T of each layer, repeated, to the next one
    h = x
    for h0, (Wx, Wh, b) in zip(h0s, params, strict=True):
        h = _states(h, h0, Wx, Wh, b)
        h = np.repeat(h[:, -1:], x.shape[1], axis=1)
    return h


def sk_pops_lists(x, h0s, params):
    # right values, but empties the caller's lists with pop(0)
    h = x
    while params:
        h = _states(h, h0s.pop(0), *params.pop(0))
    return h


def sk_float32(x, h0s, params):
    # computes in float32
    h = x.astype(np.float32)
    for h0, weights in zip(h0s, params, strict=True):
        h = _states(h, h0.astype(np.float32),
                    *(w.astype(np.float32) for w in weights))
    return h


def sk_all_layers(x, h0s, params):
    # returns the list of the states of every layer
    h, out = x, []
    for h0, (Wx, Wh, b) in zip(h0s, params, strict=True):
        h = _states(h, h0, Wx, Wh, b)
        out.append(h)
    return out


def cnt_no_bias(D, H):
    # forgets b
    return D * H + H * H


def cnt_2dh(D, H):
    # Wh taken as (D, H), no bias
    return D * H * 2


def cnt_2dh_bias(D, H):
    # Wh taken as (D, H)
    return 2 * D * H + H


def cnt_no_wh(D, H):
    # a dense layer: forgets Wh
    return D * H + H


def cnt_float(D, H):
    # right number, as a float
    return float(D * H + H * H + H)


def cnt_lstm(D, H):
    # the count of an LSTM layer
    return 4 * (D * H + H * H + H)


def cnt_two_biases(D, H):
    # one bias per weight matrix
    return D * H + H * H + 2 * H


MUTANTS = {
    "rnn_step_forward": [
        st_no_bias, st_zeros_h_prev, st_swapped, st_no_tanh,
        st_wh_transposed, st_cache_with_b, st_in_place, st_float32,
    ],
    "rnn_forward": [
        fw_no_bias, fw_zeros_h0, fw_swapped, fw_never_updated, fw_shifted,
        fw_last_state_only, fw_time_axis_first, fw_cache_reversed,
        fw_cache_last_step_only, fw_cache_order, fw_cache_aliased_h_prev,
        fw_float32,
    ],
    "many_to_one_forward": [
        m2o_first_state, m2o_wrong_axis, m2o_last_sequence,
        m2o_no_max_subtraction, m2o_zeros_h0, m2o_no_softmax,
        m2o_softmax_axis0, m2o_no_by, m2o_global_max, m2o_float32,
    ],
    "stacked_rnn_forward": [
        sk_feeds_x, sk_reuses_h0, sk_reuses_params, sk_first_layer,
        sk_last_step_between_layers, sk_all_layers, sk_pops_lists,
        sk_float32,
    ],
    "count_rnn_params": [
        cnt_no_bias, cnt_2dh, cnt_2dh_bias, cnt_no_wh, cnt_float, cnt_lstm,
        cnt_two_biases,
    ],
}

#: A piece of the English message expected for some mutants: the hint
#: they need (or, for an impossible shape, the error they raise).
EXPECTED_HINT = {
    "st_no_bias": "Did you add the bias b?",
    "st_zeros_h_prev": "did you use h_prev, or zeros?",
    "st_swapped": "Wx and Wh are swapped",
    "st_no_tanh": "Apply tanh",
    "st_wh_transposed": "not h_prev @ Wh.T",
    "st_cache_with_b": "(x_t, h_prev, Wx, Wh, h_next)",
    "st_in_place": "in place",
    "st_float32": "compute in float64",
    "fw_no_bias": "Did you add the bias b?",
    "fw_zeros_h0": "did you use h0, or zeros?",
    "fw_swapped": "Wx and Wh are swapped",
    "fw_never_updated": "h_prev = h_next inside the loop",
    "fw_shifted": "shifted by one step",
    "fw_last_state_only": "h holds every hidden state",
    "fw_time_axis_first": "time axis second",
    "fw_cache_reversed": "in time order",
    "fw_cache_last_step_only": "in time order",
    "fw_cache_order": "in time order",
    "fw_cache_aliased_h_prev": "each step its own arrays",
    "sk_pops_lists": "modified its argument `h0s` in place",
    "fw_float32": "compute in float64",
    "sk_float32": "compute in float64",
    "m2o_first_state": "first hidden state",
    "m2o_wrong_axis": "h[:, :, -1] is the last component",
    "m2o_last_sequence": "h[-1] is the last sequence",
    "m2o_no_max_subtraction": "subtract the maximum of each row",
    "m2o_zeros_h0": "did you use h0, or zeros?",
    "m2o_no_softmax": "apply softmax",
    "m2o_softmax_axis0": "not axis=0",
    "m2o_no_by": "Did you add the bias by?",
    "m2o_global_max": "subtract the maximum of each row",
    "m2o_float32": "compute in float64",
    "sk_feeds_x": "not the input x",
    "sk_reuses_h0": "its own initial state h0s[l]",
    "sk_reuses_params": "its own weights params[l]",
    "sk_first_layer": "states of the first layer",
    "sk_all_layers": "must be a NumPy array",
    "cnt_no_bias": "forget the bias b?",
    "cnt_2dh": "Wh is (H, H), not (D, H)",
    "cnt_2dh_bias": "Wh is (H, H), not (D, H)",
    "cnt_no_wh": "recurrent weights Wh",
    "cnt_float": "must return an int",
}

# ----------------------------------------------------- accepted variants
# Correct code written differently from the solution: each must get full
# marks. The comment says what differs.


def stv_einsum(x_t, h_prev, Wx, Wh, b):
    # einsum, the bias added first
    a = b + np.einsum("nd,dh->nh", x_t, Wx) + np.einsum(
        "nk,kh->nh", h_prev, Wh)
    h_next = np.tanh(a)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def stv_float32_state(x_t, h_prev, Wx, Wh, b):
    # float64 arithmetic, the new state stored in float32
    h_next = np.tanh(x_t @ Wx + h_prev @ Wh + b).astype(np.float32)
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def stv_rows(x_t, h_prev, Wx, Wh, b):
    # row by row, tanh from exp
    rows = []
    for x_n, h_n in zip(x_t, h_prev, strict=True):
        a = np.dot(h_n, Wh) + np.dot(x_n, Wx) + b
        e = np.exp(-2.0 * np.abs(a))
        rows.append(np.sign(a) * (1.0 - e) / (1.0 + e))
    h_next = np.array(rows, dtype=np.result_type(x_t, Wx))
    return h_next, (x_t, h_prev, Wx, Wh, h_next)


def _float32_states(x, h0, Wx, Wh, b):
    """States kept in a float32 array, and the step caches."""
    n, steps, _ = x.shape
    h = np.zeros((n, steps, Wh.shape[0]), dtype=np.float32)
    h_prev, cache = h0, []
    for t in range(steps):
        h[:, t] = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)
        cache.append((x[:, t], h_prev, Wx, Wh, h[:, t]))
        h_prev = h[:, t]
    return h, cache


def fwv_float32_states(x, h0, Wx, Wh, b):
    # an RNN layer that stores its states in float32
    return _float32_states(x, h0, Wx, Wh, b)


def fwv_precomputed_inputs(x, h0, Wx, Wh, b):
    # x Wx + b for every step at once, then the recurrence
    xw = np.einsum("ntd,dh->nth", x, Wx) + b
    h = np.empty(xw.shape, dtype=xw.dtype)
    h_prev, cache = h0, []
    for t in range(x.shape[1]):
        h[:, t] = np.tanh(xw[:, t] + h_prev @ Wh)
        cache.append((x[:, t], h_prev, Wx, Wh, h[:, t]))
        h_prev = h[:, t]
    return h, cache


def m2ov_float32_states(x, h0, Wx, Wh, b, Wy, by):
    # states stored in float32, softmax in float64
    h, _ = _float32_states(x, h0, Wx, Wh, b)
    s = h[:, -1].astype(np.float64) @ Wy + by
    return _softmax(s).astype(np.result_type(x, Wy))


def m2ov_logsumexp(x, h0, Wx, Wh, b, Wy, by):
    # exp(s - logsumexp(s)), the last state from a plain loop
    h_t = h0
    for t in range(x.shape[1]):
        h_t = np.tanh(x[:, t] @ Wx + h_t @ Wh + b)
    s = h_t @ Wy + by
    m = s.max(axis=1, keepdims=True)
    return np.exp(s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True)))


def skv_float32_states(x, h0s, params):
    # every layer stores its states in float32
    h = x
    for h0, (Wx, Wh, b) in zip(h0s, params, strict=True):
        h, _ = _float32_states(h, h0, Wx, Wh, b)
    return h


def skv_indexed(x, h0s, params):
    # layers by index, each step of each layer written out
    h = x
    for layer in range(len(params)):
        Wx, Wh, b = params[layer]
        h = _states(h, h0s[layer], Wx, Wh, b)
    return h


def cntv_numpy_int(D, H):
    # H (D + H + 1), as a NumPy integer
    return np.int64(H * (D + H + 1))


def cntv_sizes(D, H):
    # the sizes of the three arrays
    return sum(np.zeros(shape).size for shape in [(D, H), (H, H), (H,)])


VARIANTS = {
    "rnn_step_forward": [stv_einsum, stv_float32_state, stv_rows],
    "rnn_forward": [fwv_float32_states, fwv_precomputed_inputs],
    "many_to_one_forward": [m2ov_float32_states, m2ov_logsumexp],
    "stacked_rnn_forward": [skv_float32_states, skv_indexed],
    "count_rnn_params": [cntv_numpy_int, cntv_sizes],
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
    ('rnn_step_forward', st_in_place, 'must not modify h_prev'),
    ('rnn_forward', fw_cache_aliased_h_prev, 'each step its own'),
    ('stacked_rnn_forward', sk_pops_lists, 'must not modify the lists'),
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


def test_spanish_message_example():
    message = suite.failure(check_of("rnn_forward"), fw_zeros_h0, "es")
    assert "no coincide con el valor esperado" in message
    assert "¿usaste h0 o ceros?" in message


def test_naive_softmax_is_right_on_moderate_scores():
    # The naive mutant fails only because of the large-score cases: on
    # moderate scores the same check accepts it.
    rng = np.random.default_rng(0)
    for n, t, d, h, c in [(2, 5, 4, 3, 4), (3, 3, 4, 3, 5)]:
        inputs = ch02._draw_rnn(rng, n, t, d, h)
        Wy = rng.standard_normal((h, c))
        by = rng.standard_normal(c)
        ch02._many_to_one_case(
            m2o_no_max_subtraction, *inputs, Wy, by, "en",
        )
    message = suite.failure(
        check_of("many_to_one_forward"), m2o_no_max_subtraction, "en",
    )
    assert "Large scores overflow np.exp" in message


def test_float32_stack_is_not_told_a_mistake_it_did_not_make():
    # A stack computed in float32 fails on the cancelled offset, with the
    # note about float64 only: no hint of a mistake whose value is the
    # expected one (with one layer, "the last layer read x" is right).
    message = suite.failure(check_of("stacked_rnn_forward"), sk_float32,
                            "en")
    assert "compute in float64" in message
    assert "read x" not in message and "first layer" not in message


def test_float32_case_accepts_float32_arithmetic():
    # st_float32 fails the float64 cases, not the float32 one.
    rng = np.random.default_rng(1)
    x, h_prev, Wx, Wh, b = ch02._draw_rnn(rng, 3, 1, 4, 4, dtype=np.float32)
    ch02._step_case(st_float32, x[:, 0], h_prev, Wx, Wh, b, "en")


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch02.check_rnn_forward)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch02.check_rnn_forward, ref_en["rnn_forward"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_passes_validate(lang):
    suite.validate_notebook(notebook_path(SLUG, lang))
