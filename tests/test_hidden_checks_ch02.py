"""The hidden checks of chapter 2, proven both ways.

For every graded function of ``02-rnn-forward``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* several plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

Finally each solution notebook passes ``nbgrader validate``.
"""

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
        fw_cache_last_step_only,
    ],
    "many_to_one_forward": [
        m2o_first_state, m2o_wrong_axis, m2o_last_sequence,
        m2o_no_max_subtraction, m2o_zeros_h0, m2o_no_softmax,
        m2o_softmax_axis0, m2o_no_by, m2o_global_max,
    ],
    "stacked_rnn_forward": [
        sk_feeds_x, sk_reuses_h0, sk_reuses_params, sk_first_layer,
        sk_last_step_between_layers, sk_all_layers,
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
    "m2o_first_state": "first hidden state",
    "m2o_wrong_axis": "h[:, :, -1] is the last component",
    "m2o_last_sequence": "h[-1] is the last sequence",
    "m2o_no_max_subtraction": "subtract the maximum of each row",
    "m2o_zeros_h0": "did you use h0, or zeros?",
    "m2o_no_softmax": "apply softmax",
    "m2o_softmax_axis0": "not axis=0",
    "m2o_no_by": "Did you add the bias by?",
    "m2o_global_max": "subtract the maximum of each row",
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
