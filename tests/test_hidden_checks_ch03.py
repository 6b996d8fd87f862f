"""The hidden checks of chapter 3, proven both ways.

For every graded function of ``03-bptt``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently (accepted
  variants: float32 buffers, einsum, PyTorch's clipping...) pass it;
* several plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

The oracles are tested too (centred differences and the tape agree far
below the tolerance), and each solution notebook passes
``nbgrader validate``.
"""

import math
import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch03  # importable once check_suite is
from hidden_checks._common import RTOL
from notebook_code import notebook_path

from rnn_course.gradcheck import relative_error

SLUG = "03-bptt"
FUNCTIONS = [
    "rnn_step_backward",
    "rnn_backward",
    "gradient_norms_through_time",
    "clip_by_value",
    "clip_by_global_norm",
    "train_step",
]
#: The read-only cell that gives chapter 2's forward functions, run into
#: the namespace of the reference after its import and answer cells.
GIVEN = ("forward_given",)

reference, ref_en = suite.reference_fixtures(SLUG, given=GIVEN)


def check_of(name):
    return getattr(ch03, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    es = suite.solutions(SLUG, "es", given=GIVEN)
    names = [*FUNCTIONS, "rnn_step_forward", "rnn_forward"]
    suite.assert_both_define(ref_en, es, names)


def test_finite_differences_agree_with_the_tape():
    # The two oracles of rnn_backward agree far below RTOL on every
    # case of the check, so a correct answer passes both with a margin.
    rng = np.random.default_rng(ch03._SEED["rnn_backward"])
    for n, t, d, h, where in ch03._SEQUENCE_CASES:
        x, h0, Wx, Wh, b = ch03._draw_sequence(rng, n, t, d, h)
        dh = rng.standard_normal((n, t, h))
        if where == "last":
            dh[:, :-1] = 0.0
        tape = ch03._keras_bptt(x, h0, Wx, Wh, b, dh)

        def loss(x, h0, Wx, Wh, b, dh=dh):
            return np.sum(ch03._np_states(x, h0, Wx, Wh, b) * dh)

        numeric = ch03.numerical_gradients(loss, [x, h0, Wx, Wh, b])
        for a, b_ in zip(tape, numeric, strict=True):
            assert relative_error(a, b_) < RTOL / 1000


def test_unrolled_oracle_sums_to_the_keras_gradients():
    rng = np.random.default_rng(7)
    x, h0, Wx, Wh, b = ch03._draw_sequence(rng, 2, 4, 3, 5)
    dh = rng.standard_normal((2, 4, 5))
    keras_grads = ch03._keras_bptt(x, h0, Wx, Wh, b, dh)
    unrolled = ch03._unrolled(x, h0, Wx, Wh, b, dh)
    mine = [unrolled["dx"], unrolled["dh0"], unrolled["dWx"].sum(0),
            unrolled["dWh"].sum(0), unrolled["db"].sum(0)]
    for a, b_ in zip(mine, keras_grads, strict=True):
        assert relative_error(a, b_) < 1e-12


def test_training_run_of_the_reference(ref_en):
    # What bench/ch03_clipping.py measures, for the check's seed.
    clipped = ch03.training_run(
        ref_en["train_step"], ch03.TRAIN_SEED, ch03.TRAIN_MAX_NORM,
    )
    assert clipped.diverged_at is None
    assert clipped.loss < ch03.CLIPPED_LOSS_THRESHOLD / 1.5
    unclipped = ch03.training_run(ref_en["train_step"], ch03.TRAIN_SEED, None)
    assert unclipped.diverged_at is not None
    assert ch03.CLIPPED_LOSS_THRESHOLD < 1 / 6  # below always answering 1


# --------------------------------------------------------------- mutants
# Each mutant is a plausible student mistake; the comment says which.
# They are written from scratch (no call into the notebook), so that each
# one is wrong in exactly one way.


def _step(dh_next, cache, tanh_prime=None, state="prev", wh_t=True):
    """One backward step, optionally wrong in one way (for mutants)."""
    x_t, h_prev, Wx, Wh, h_next = cache
    if tanh_prime is None:
        tanh_prime = 1.0 - h_next ** 2
    da = dh_next * tanh_prime
    dh_prev = da @ (Wh.T if wh_t else Wh)
    h_used = h_prev if state == "prev" else h_next
    return da @ Wx.T, dh_prev, x_t.T @ da, h_used.T @ da, da.sum(0)


def sb_preactivation(dh_next, cache):
    # tanh' taken of the pre-activation (b is not in the cache)
    x_t, h_prev, Wx, Wh, h_next = cache
    return _step(dh_next, cache, 1.0 - (x_t @ Wx + h_prev @ Wh) ** 2)


def sb_one_minus_h(dh_next, cache):
    # tanh' written as 1 - h
    return _step(dh_next, cache, 1.0 - cache[4])


def sb_no_tanh_prime(dh_next, cache):
    # backpropagates through the matrix products only
    return _step(dh_next, cache, 1.0)


def sb_wrong_state(dh_next, cache):
    # dWh = h_next^T da
    return _step(dh_next, cache, state="next")


def sb_wh_not_transposed(dh_next, cache):
    # dh_prev = da Wh
    return _step(dh_next, cache, wh_t=False)


def sb_db_not_summed(dh_next, cache):
    # db = da, one row per example
    dx_t, dh_prev, dWx, dWh, _ = _step(dh_next, cache)
    return dx_t, dh_prev, dWx, dWh, dh_next * (1.0 - cache[4] ** 2)


def sb_dwx_transposed(dh_next, cache):
    # dWx = da^T x_t, shape (H, D)
    dx_t, dh_prev, dWx, dWh, db = _step(dh_next, cache)
    return dx_t, dh_prev, dWx.T, dWh, db


def sb_in_place(dh_next, cache):
    # right values, computed in the caller's dh_next
    dh_next *= 1.0 - cache[4] ** 2
    return _step(dh_next, cache, 1.0)


def sb_float32(dh_next, cache):
    # computes in float32
    f = np.float32
    grads = _step(dh_next.astype(f), tuple(a.astype(f) for a in cache))
    return tuple(grads)


def _backward(dh, cache, carry=True, step=_step, order="backward",
              accumulate=True):
    n, steps, h = dh.shape
    d = cache[0][0].shape[1]
    dx = np.zeros((n, steps, d))
    dWx, dWh, db = np.zeros((d, h)), np.zeros((h, h)), np.zeros(h)
    dh_prev = np.zeros((n, h))
    times = reversed(range(steps)) if order == "backward" else range(steps)
    for t in times:
        dh_next = dh[:, t] + dh_prev if carry else dh[:, t]
        dx[:, t], dh_prev, gx, gh, gb = step(dh_next, cache[t])
        if accumulate:
            dWx, dWh, db = dWx + gx, dWh + gh, db + gb
        else:
            dWx, dWh, db = gx, gh, gb
    return dx, dh_prev, dWx, dWh, db


def bw_no_carry(dh, cache):
    # forgets dh_prev: step t sees only dh[:, t]
    return _backward(dh, cache, carry=False)


def bw_preactivation(dh, cache):
    # tanh' of the pre-activation at every step
    return _backward(dh, cache, step=sb_preactivation)


def bw_overwrites(dh, cache):
    # dWx = dWx_t instead of +=: keeps the first step's only
    return _backward(dh, cache, accumulate=False)


def bw_dwh_last_step(dh, cache):
    # dWh of the last step only
    dx, dh0, dWx, _, db = _backward(dh, cache)
    dWh = _step(dh[:, -1], cache[-1])[3]
    return dx, dh0, dWx, dWh, db


def bw_wrong_state(dh, cache):
    # dWh = sum_t h_t^T da_t
    return _backward(dh, cache, step=sb_wrong_state)


def bw_db_per_example(dh, cache):
    # db summed over time only, (N, H)
    dx, dh0, dWx, dWh, _ = _backward(dh, cache)
    return dx, dh0, dWx, dWh, dh.sum(1)


def bw_dx_reversed(dh, cache):
    # stores dx_t of step t in dx[:, T - 1 - t]
    dx, dh0, dWx, dWh, db = _backward(dh, cache)
    return dx[:, ::-1], dh0, dWx, dWh, db


def bw_dh0_zero(dh, cache):
    # returns zeros for dh0
    dx, dh0, dWx, dWh, db = _backward(dh, cache)
    return dx, np.zeros_like(dh0), dWx, dWh, db


def bw_forward_order(dh, cache):
    # walks t = 0, ..., T - 1
    return _backward(dh, cache, order="forward")


def bw_pops_cache(dh, cache):
    # right values, but empties the caller's cache
    out = _backward(dh, list(cache))
    while cache:
        cache.pop()
    return out


def bw_adds_into_dh(dh, cache):
    # right values, but adds dh_prev into the caller's dh in place
    n, steps, h = dh.shape
    dh_prev = np.zeros((n, h))
    dx = np.zeros((n, steps, cache[0][0].shape[1]))
    sums = [0.0, 0.0, 0.0]
    for t in reversed(range(steps)):
        dh[:, t] += dh_prev
        dx[:, t], dh_prev, *grads = _step(dh[:, t], cache[t])
        sums = [s_ + g for s_, g in zip(sums, grads, strict=True)]
    return dx, dh_prev, *sums


def _norms(dh_T, cache, tanh_prime=True, wh_t=True, of="dh"):
    out, g = [], dh_T
    for t in reversed(range(len(cache))):
        h_t, Wh = cache[t][4], cache[t][3]
        da = g * (1.0 - h_t ** 2) if tanh_prime else g
        out.append(np.linalg.norm(g if of == "dh" else da))
        g = da @ (Wh.T if wh_t else Wh)
    return np.array(out[::-1])


def gn_no_tanh_prime(dh_T, cache):
    # multiplies by Wh^T only
    return _norms(dh_T, cache, tanh_prime=False)


def gn_wh_not_transposed(dh_T, cache):
    # goes back with Wh instead of Wh^T
    return _norms(dh_T, cache, wh_t=False)


def gn_reversed(dh_T, cache):
    # norms in the order they are computed: index 0 = ||dh_T||
    return _norms(dh_T, cache)[::-1]


def gn_shifted(dh_T, cache):
    # norms of dL/dh_0, ..., dL/dh_(T-1)
    out, g = [], dh_T
    for t in reversed(range(len(cache))):
        g = (g * (1.0 - cache[t][4] ** 2)) @ cache[t][3].T
        out.append(np.linalg.norm(g))
    return np.array(out[::-1])


def gn_per_example(dh_T, cache):
    # one norm per step and example, (T, N)
    out, g = [], dh_T
    for t in reversed(range(len(cache))):
        out.append(np.linalg.norm(g, axis=1))
        g = (g * (1.0 - cache[t][4] ** 2)) @ cache[t][3].T
    return np.array(out[::-1])


def gn_norm_of_da(dh_T, cache):
    # norm of the gradient of the pre-activation
    return _norms(dh_T, cache, of="da")


def cv_upper_only(grads, clip_value):
    # clips only large positive entries
    return [np.minimum(g, clip_value) for g in grads]


def cv_zero_to_c(grads, clip_value):
    # clips to [0, c]
    return [np.clip(g, 0.0, clip_value) for g in grads]


def cv_in_place(grads, clip_value):
    # right values, written into the caller's arrays
    return [np.clip(g, -clip_value, clip_value, out=g) for g in grads]


def cv_global_norm(grads, clip_value):
    # rescales by the global norm instead
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    scale = min(1.0, clip_value / norm)
    return [g * scale for g in grads]


def cv_returns_unclipped_arrays(grads, clip_value):
    # returns an array itself when none of its entries is clipped
    return [g if np.all(np.abs(g) <= clip_value)
            else np.clip(g, -clip_value, clip_value) for g in grads]


def cv_stacked(grads, clip_value):
    # clips np.array(grads): fails on arrays of different shapes
    return list(np.clip(np.array(grads), -clip_value, clip_value))


def _global(grads):
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))


def gc_per_array(grads, max_norm):
    # clips each array by its own norm
    out = []
    for g in grads:
        norm = np.linalg.norm(g)
        out.append(g * (max_norm / norm) if norm > max_norm else g.copy())
    return out, _global(grads)


def gc_by_value(grads, max_norm):
    # clip_by_value used as global clipping
    return [np.clip(g, -max_norm, max_norm) for g in grads], _global(grads)


def gc_largest_only(grads, max_norm):
    # scales only the array with the largest norm
    norm = _global(grads)
    largest = int(np.argmax([np.linalg.norm(g) for g in grads]))
    out = [g.copy() for g in grads]
    if norm > max_norm:
        out[largest] = grads[largest] * (max_norm / norm)
    return out, norm


def gc_norm_after(grads, max_norm):
    # returns the norm after clipping
    norm = _global(grads)
    if norm > max_norm:
        return [g * (max_norm / norm) for g in grads], max_norm
    return [g.copy() for g in grads], norm


def gc_always_scales(grads, max_norm):
    # rescales to max_norm even when the norm is smaller
    norm = _global(grads)
    return [g * (max_norm / norm) for g in grads], norm


def gc_sum_of_norms(grads, max_norm):
    # global norm = sum of the norms of the arrays
    norm = float(sum(np.linalg.norm(g) for g in grads))
    if norm > max_norm:
        return [g * (max_norm / norm) for g in grads], norm
    return [g.copy() for g in grads], norm


def gc_in_place(grads, max_norm):
    # right values, scaled in the caller's arrays
    norm = _global(grads)
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm


def gc_returns_grads(grads, max_norm):
    # returns the caller's list itself when nothing is clipped
    norm = _global(grads)
    if norm <= max_norm:
        return grads, norm
    return [g * (max_norm / norm) for g in grads], norm


def gc_one_array(grads, max_norm):
    # returns one concatenated vector
    flat = np.concatenate([g.ravel() for g in grads])
    norm = np.linalg.norm(flat)
    return flat * min(1.0, max_norm / max(norm, 1e-300)), norm


NAMES = ("Wx", "Wh", "b", "Wy", "by")


def _gradients(params, x, y, half=False, total=False, carry=True):
    """(loss, grads in NAMES order) of the regressor, for mutants."""
    n = x.shape[0]
    h, cache, h_prev = [], [], np.zeros((n, params["Wh"].shape[0]))
    for t in range(x.shape[1]):
        h_next = np.tanh(x[:, t] @ params["Wx"] + h_prev @ params["Wh"]
                         + params["b"])
        cache.append((x[:, t], h_prev, params["Wx"], params["Wh"], h_next))
        h.append(h_next)
        h_prev = h_next
    h = np.stack(h, axis=1)
    y_hat = h[:, -1] @ params["Wy"] + params["by"]
    scale = 1.0 if total else 1.0 / n
    if half:
        scale /= 2
    loss = float(scale * np.sum((y_hat - y) ** 2))
    dy = 2.0 * scale * (y_hat - y)
    dh = np.zeros_like(h)
    dh[:, -1] = dy @ params["Wy"].T
    _, _, dWx, dWh, db = _backward(dh, cache, carry=carry)
    return loss, [dWx, dWh, db, h[:, -1].T @ dy, dy.sum(0)]


def _clip(grads, max_norm):
    norm = _global(grads)
    if max_norm is not None and norm > max_norm:
        return [g * (max_norm / norm) for g in grads], norm
    return grads, norm


def _update(params, grads, lr, sign=-1.0):
    return {k: params[k] + sign * lr * g
            for k, g in zip(NAMES, grads, strict=True)}


def ts_clip_after_update(params, x, y, learning_rate, max_norm):
    # updates with the raw gradients, clips them afterwards (unused)
    loss, grads = _gradients(params, x, y)
    new = _update(params, grads, learning_rate)
    _, norm = _clip(grads, max_norm)
    return new, loss, norm


def ts_clips_the_parameters(params, x, y, learning_rate, max_norm):
    # clips the updated parameters by global norm
    loss, grads = _gradients(params, x, y)
    new = _update(params, grads, learning_rate)
    clipped, _ = _clip([new[k] for k in NAMES], max_norm)
    return dict(zip(NAMES, clipped, strict=True)), loss, _global(grads)


def ts_norm_after_clipping(params, x, y, learning_rate, max_norm):
    # reports the norm of the clipped gradients
    loss, grads = _gradients(params, x, y)
    clipped, _ = _clip(grads, max_norm)
    return _update(params, clipped, learning_rate), loss, _global(clipped)


def ts_plus_lr(params, x, y, learning_rate, max_norm):
    # gradient ascent
    loss, grads = _gradients(params, x, y)
    clipped, norm = _clip(grads, max_norm)
    return _update(params, clipped, learning_rate, sign=1.0), loss, norm


def ts_half_mse(params, x, y, learning_rate, max_norm):
    # loss mean((y_hat - y)**2) / 2
    loss, grads = _gradients(params, x, y, half=True)
    clipped, norm = _clip(grads, max_norm)
    return _update(params, clipped, learning_rate), loss, norm


def ts_sum_loss(params, x, y, learning_rate, max_norm):
    # sums the squared errors over the batch
    loss, grads = _gradients(params, x, y, total=True)
    clipped, norm = _clip(grads, max_norm)
    return _update(params, clipped, learning_rate), loss, norm


def ts_per_array_clipping(params, x, y, learning_rate, max_norm):
    # clips each gradient by its own norm
    loss, grads = _gradients(params, x, y)
    clipped = [_clip([g], max_norm)[0][0] for g in grads]
    return _update(params, clipped, learning_rate), loss, _global(grads)


def ts_ignores_max_norm(params, x, y, learning_rate, max_norm):
    # never clips
    loss, grads = _gradients(params, x, y)
    return _update(params, grads, learning_rate), loss, _global(grads)


def ts_clips_when_none(params, x, y, learning_rate, max_norm):
    # clips at 5 when max_norm is None: right on small gradients, so only
    # the training run (the unclipped run must explode) catches it
    loss, grads = _gradients(params, x, y)
    clipped, norm = _clip(grads, 5.0 if max_norm is None else max_norm)
    return _update(params, clipped, learning_rate), loss, norm


def ts_clips_tightly_when_none(params, x, y, learning_rate, max_norm):
    # clips at 0.01 when max_norm is None
    loss, grads = _gradients(params, x, y)
    clipped, norm = _clip(grads, 0.01 if max_norm is None else max_norm)
    return _update(params, clipped, learning_rate), loss, norm


def ts_in_place(params, x, y, learning_rate, max_norm):
    # right values, written into the caller's params
    loss, grads = _gradients(params, x, y)
    clipped, norm = _clip(grads, max_norm)
    for k, g in zip(NAMES, clipped, strict=True):
        params[k] -= learning_rate * g
    return params, loss, norm


def ts_last_step_only(params, x, y, learning_rate, max_norm):
    # backpropagates through the last step only (no dh_prev carried)
    loss, grads = _gradients(params, x, y, carry=False)
    clipped, norm = _clip(grads, max_norm)
    return _update(params, clipped, learning_rate), loss, norm


MUTANTS = {
    "rnn_step_backward": [
        sb_preactivation, sb_one_minus_h, sb_no_tanh_prime, sb_wrong_state,
        sb_wh_not_transposed, sb_db_not_summed, sb_dwx_transposed,
        sb_in_place, sb_float32,
    ],
    "rnn_backward": [
        bw_no_carry, bw_preactivation, bw_overwrites, bw_dwh_last_step,
        bw_wrong_state, bw_db_per_example, bw_dx_reversed, bw_dh0_zero,
        bw_forward_order, bw_pops_cache, bw_adds_into_dh,
    ],
    "gradient_norms_through_time": [
        gn_no_tanh_prime, gn_wh_not_transposed, gn_reversed, gn_shifted,
        gn_per_example, gn_norm_of_da,
    ],
    "clip_by_value": [
        cv_upper_only, cv_zero_to_c, cv_in_place, cv_global_norm,
        cv_stacked, cv_returns_unclipped_arrays,
    ],
    "clip_by_global_norm": [
        gc_per_array, gc_by_value, gc_largest_only, gc_norm_after,
        gc_always_scales, gc_sum_of_norms, gc_in_place, gc_one_array,
        gc_returns_grads,
    ],
    "train_step": [
        ts_clip_after_update, ts_clips_the_parameters,
        ts_norm_after_clipping, ts_plus_lr, ts_half_mse, ts_sum_loss,
        ts_per_array_clipping, ts_ignores_max_norm, ts_clips_when_none,
        ts_in_place, ts_last_step_only, ts_clips_tightly_when_none,
    ],
}

#: A piece of the English message expected for each mutant: the hint it
#: needs, or the check that catches it.
EXPECTED_HINT = {
    "sb_preactivation": "square h_next",
    "sb_one_minus_h": "square h_next",
    "sb_no_tanh_prime": "Multiply by the derivative of tanh",
    "sb_wrong_state": "not h_next",
    "sb_wh_not_transposed": "transpose Wh",
    "sb_db_not_summed": "db has the shape of b",
    "sb_dwx_transposed": "dWx is transposed",
    "sb_in_place": "modified its argument `dh_next` in place",
    "sb_float32": "compute in float64",
    "bw_no_carry": "Did you add dh_prev from the later step?",
    "bw_preactivation": "does not match",
    "bw_overwrites": "add up the gradient of every step",
    "bw_dwh_last_step": "add up the gradient of every step",
    "bw_wrong_state": "not h_next",
    "bw_db_per_example": "db has the shape of b",
    "bw_dx_reversed": "dx is reversed in time",
    "bw_dh0_zero": "dh0 is the dh_prev returned by the first step",
    "bw_forward_order": "does not match",
    "bw_pops_cache": "modified its argument `cache` in place",
    "bw_adds_into_dh": "modified its argument `dh` in place",
    "gn_no_tanh_prime": "Did you multiply by tanh'",
    "gn_wh_not_transposed": "multiplies by Wh^T, not Wh",
    "gn_reversed": "the gradient must vanish going back in time",
    "gn_shifted": "shifted by one step",
    "gn_per_example": "an array of shape (T,)",
    "gn_norm_of_da": "does not match",
    "cv_upper_only": "Clip both sides",
    "cv_zero_to_c": "not [0, clip_value]",
    "cv_in_place": "modified its argument `grads` in place",
    "cv_global_norm": "Clip every entry",
    "cv_stacked": "raised ValueError",
    "cv_returns_unclipped_arrays": "promises new arrays",
    "gc_per_array": "Clip globally",
    "gc_by_value": "That is clipping by value",
    "gc_largest_only": "Clip globally",
    "gc_norm_after": "before clipping",
    "gc_always_scales": "Rescale only when global_norm > max_norm",
    "gc_sum_of_norms": "not sum_i ||g_i||",
    "gc_in_place": "modified its argument `grads` in place",
    "gc_one_array": "must be a list of",
    "gc_returns_grads": "promises new arrays",
    "ts_clip_after_update": "The update used the unclipped gradients",
    "ts_clips_the_parameters": "does not match",
    "ts_norm_after_clipping": "before clipping",
    "ts_plus_lr": "Gradient descent subtracts",
    "ts_half_mse": "without a factor 1/2",
    "ts_sum_loss": "Average over the batch",
    "ts_per_array_clipping": "Clip globally",
    "ts_ignores_max_norm": "The update used the unclipped gradients",
    "ts_clips_when_none": "must explode",
    "ts_in_place": "modified its argument `params` in place",
    "ts_last_step_only": "does not match",
    "ts_clips_tightly_when_none": "With max_norm = None no clipping",
}

# ----------------------------------------------------- accepted variants
# Correct code written differently from the solution: each must get full
# marks. The comment says what differs.


def sbv_einsum(dh_next, cache):
    # einsum, tanh' as (1 - h)(1 + h)
    x_t, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1.0 - h_next) * (1.0 + h_next)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x_t, da),
            np.einsum("nk,nh->kh", h_prev, da), np.einsum("nh->h", da))


def sbv_float32_accumulation(dh_next, cache):
    # weight gradients accumulated example by example in float32
    x_t, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1.0 - h_next ** 2)
    dWx = np.zeros(Wx.shape, dtype=np.float32)
    dWh = np.zeros(Wh.shape, dtype=np.float32)
    db = np.zeros(Wh.shape[0], dtype=np.float32)
    for n in range(da.shape[0]):
        dWx += np.outer(x_t[n], da[n])
        dWh += np.outer(h_prev[n], da[n])
        db += da[n]
    return da @ Wx.T, da @ Wh.T, dWx, dWh, db


def bwv_float32_buffers(dh, cache):
    # an RNN layer that keeps its gradients in float32 buffers
    n, steps, h = dh.shape
    x_0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((n, steps, x_0.shape[1]), dtype=np.float32)
    dWx = np.zeros(Wx.shape, dtype=np.float32)
    dWh = np.zeros(Wh.shape, dtype=np.float32)
    db = np.zeros(h, dtype=np.float32)
    dh_prev = np.zeros((n, h), dtype=np.float32)
    for t in reversed(range(steps)):
        x_t, h_prev, Wx, Wh, h_next = cache[t]
        da = (dh[:, t] + dh_prev) * (1.0 - h_next ** 2)
        dx[:, t] = da @ Wx.T
        dh_prev[...] = da @ Wh.T
        dWx += x_t.T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db


def bwv_float32_states(dh, cache):
    # the cached states copied into float32 arrays, then a plain loop
    states = np.stack([step[4] for step in cache]).astype(np.float32)
    before = np.stack([step[1] for step in cache]).astype(np.float32)
    x_0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((dh.shape[0], dh.shape[1], x_0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    carry = np.zeros(dh[:, 0].shape)
    for t in reversed(range(dh.shape[1])):
        da = (dh[:, t] + carry) * (1.0 - states[t] ** 2)
        dx[:, t] = da @ Wx.T
        carry = da @ Wh.T
        dWx += cache[t][0].T @ da
        dWh += before[t].T @ da
        db += da.sum(axis=0)
    return dx, carry, dWx, dWh, db


def bwv_einsum_over_time(dh, cache):
    # the da_t first, then the weight gradients summed by einsum
    steps = dh.shape[1]
    das, dxs = [None] * steps, [None] * steps
    carry = np.zeros_like(dh[:, 0])
    for t in range(steps - 1, -1, -1):
        _, _, Wx, Wh, h_next = cache[t]
        das[t] = (dh[:, t] + carry) * (1.0 - h_next * h_next)
        dxs[t] = das[t] @ Wx.T
        carry = das[t] @ Wh.T
    da = np.stack(das)
    xs = np.stack([c[0] for c in cache])
    prevs = np.stack([c[1] for c in cache])
    return (np.stack(dxs, axis=1), carry,
            np.einsum("tnd,tnh->dh", xs, da),
            np.einsum("tnk,tnh->kh", prevs, da),
            np.einsum("tnh->h", da))


def gnv_collect_and_reverse(dh_T, cache):
    # norms collected going back, then reversed; norm as sqrt(sum(g*g))
    found, g = [], dh_T
    for _, _, _, Wh, h_next in cache[::-1]:
        found.append(np.sqrt(np.sum(g * g)))
        g = (g * (1.0 - h_next) * (1.0 + h_next)) @ Wh.T
    return np.array(found[::-1])


def gnv_einsum(dh_T, cache):
    # one step back with einsum, norms written into an array
    norms = np.empty(len(cache))
    g = dh_T
    for t in range(len(cache) - 1, -1, -1):
        norms[t] = np.linalg.norm(g.ravel())
        h_next, Wh = cache[t][4], cache[t][3]
        g = np.einsum("nh,kh->nk", g * (1.0 - h_next ** 2), Wh)
    return norms


def cvv_min_max(grads, clip_value):
    # np.minimum of np.maximum
    return [np.minimum(np.maximum(g, -clip_value), clip_value)
            for g in grads]


def cvv_copy_then_clip(grads, clip_value):
    # copies first, then clips the copies in place
    out = [g.copy() for g in grads]
    for g in out:
        np.clip(g, -clip_value, clip_value, out=g)
    return out


def gcv_pytorch(grads, max_norm):
    # PyTorch's clip_grad_norm_: max_norm / (norm + 1e-6), at most 1
    total = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
    coef = min(max_norm / (total + 1e-6), 1.0)
    return [g * coef for g in grads], total


def gcv_tensorflow(grads, max_norm):
    # TensorFlow's form: always multiply by max_norm / max(norm, max_norm)
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = max_norm / max(total, max_norm)
    return [g * scale for g in grads], total


def _regressor_gradients(params, x, y):
    """(loss, gradients in NAMES order), written with einsum."""
    n, steps, _ = x.shape
    Wx, Wh, b, Wy, by = (params[k] for k in NAMES)
    hs = [np.zeros((n, Wh.shape[0]))]
    for t in range(steps):
        hs.append(np.tanh(x[:, t] @ Wx + hs[-1] @ Wh + b))
    err = hs[-1] @ Wy + by - y
    loss = float(np.sum(err ** 2) / n)
    dy = 2.0 * err / n
    g = dy @ Wy.T
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in range(steps, 0, -1):
        da = g * (1.0 - hs[t] ** 2)
        dWx += np.einsum("nd,nh->dh", x[:, t - 1], da)
        dWh += np.einsum("nk,nh->kh", hs[t - 1], da)
        db += da.sum(axis=0)
        g = da @ Wh.T
    return loss, [dWx, dWh, db, hs[-1].T @ dy, dy.sum(axis=0)]


def tsv_pytorch_clipping(params, x, y, learning_rate, max_norm):
    # clipped the PyTorch way, max_norm / (norm + 1e-6)
    loss, grads = _regressor_gradients(params, x, y)
    if max_norm is None:
        clipped, norm = grads, _global(grads)
    else:
        clipped, norm = gcv_pytorch(grads, max_norm)
    new = {k: params[k] - learning_rate * g
           for k, g in zip(NAMES, clipped, strict=True)}
    return new, loss, norm


def tsv_scale_once(params, x, y, learning_rate, max_norm):
    # one factor min(1, max_norm / norm) folded into the learning rate
    loss, grads = _gradients(params, x, y)
    norm = _global(grads)
    scale = 1.0 if max_norm is None else min(1.0, max_norm / norm)
    step = learning_rate * scale
    return ({k: params[k] - step * g
             for k, g in zip(NAMES, grads, strict=True)}, loss, norm)


VARIANTS = {
    "rnn_step_backward": [sbv_einsum, sbv_float32_accumulation],
    "rnn_backward": [
        bwv_float32_buffers, bwv_float32_states, bwv_einsum_over_time,
    ],
    "gradient_norms_through_time": [gnv_collect_and_reverse, gnv_einsum],
    "clip_by_value": [cvv_min_max, cvv_copy_then_clip],
    "clip_by_global_norm": [gcv_pytorch, gcv_tensorflow],
    "train_step": [tsv_pytorch_clipping, tsv_scale_once],
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
    ('rnn_step_backward', sb_in_place, 'must not modify dh_next'),
    ('rnn_backward', bw_adds_into_dh, 'must not modify dh'),
    ('rnn_backward', bw_pops_cache, 'must not modify dh nor the cache'),
    ('clip_by_value', cv_in_place, 'modified grads in place'),
    ('clip_by_global_norm', gc_in_place, 'modified grads in place'),
    ('clip_by_global_norm', gc_returns_grads, 'grads themselves'),
    ('train_step', ts_in_place, 'modified params in place'),
]


@pytest.mark.parametrize(("name", "variant"),
                         suite.variant_cases(VARIANTS))
def test_visible_tests_accept_the_variant(name, variant):
    suite.run_visible_test(SLUG, name, variant, given=GIVEN)


@pytest.mark.parametrize(
    ("name", "mutant", "words"), VISIBLE_FIRST,
    ids=[mutant.__name__ for _, mutant, _ in VISIBLE_FIRST],
)
def test_visible_tests_name_the_real_problem_first(name, mutant, words):
    suite.assert_visible_test_names(SLUG, name, mutant, words, given=GIVEN)


@pytest.mark.parametrize(("name", "mutant"), suite.mutant_cases(MUTANTS))
def test_mutant_fails(name, mutant):
    suite.assert_mutant_fails(
        check_of(name), mutant, EXPECTED_HINT[mutant.__name__],
    )


def test_every_mutant_has_an_expected_message():
    suite.assert_mutants_cover(MUTANTS, FUNCTIONS, at_least=5)
    names = {m.__name__ for mutants in MUTANTS.values() for m in mutants}
    assert names == set(EXPECTED_HINT)


def test_spanish_message_example():
    message = suite.failure(check_of("rnn_backward"), bw_no_carry, "es")
    assert "no coincide con el valor esperado" in message
    assert "¿Sumaste dh_prev del paso siguiente?" in message


def test_clipping_when_none_passes_the_single_steps():
    # ts_clips_when_none is right on the steps of part (a), whose
    # gradients are small: only the training run catches it.
    for params, x, y, lr, max_norm in ch03.train_step_inputs():
        ch03._train_step_case(ts_clips_when_none, params, x, y, lr,
                              max_norm, "en")


def test_training_failure_is_reported(ref_en, monkeypatch):
    # The message of a clipped run that does not learn enough, shown by
    # asking the reference for an impossible loss.
    monkeypatch.setattr(ch03, "CLIPPED_LOSS_THRESHOLD", 1e-6)
    for lang, words in (("en", "a correct train_step ends below"),
                        ("es", "un train_step correcto termina por")):
        with pytest.raises(AssertionError, match=words):
            ch03.check_train_step(ref_en["train_step"], lang=lang)


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch03.check_rnn_backward)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch03.check_rnn_backward, ref_en["rnn_backward"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_passes_validate(lang):
    suite.validate_notebook(notebook_path(SLUG, lang))
