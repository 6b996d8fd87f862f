"""The hidden checks of chapter 5, proven both ways.

For every NumPy function of ``05-overfitting``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently from it
  (accepted variants: np.where or products, loops or one sum, another
  draw of the same uniform numbers, early stopping by a loop or by
  searching the next improvement) pass it too, every relative error far
  below the tolerance, and pass the visible tests;
* plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language, naming
  the mistake where the check knows it;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

The oracles are tested too: Keras's Dropout meets the statistical
tolerance, Keras's regularisers and their tape gradients agree with the
closed forms, and the EarlyStopping callback driven here agrees with the
NumPy form of its rules that the hints use. The check of
``build_regularised_model`` trains the model and is proven with it; here
only its visible test is. Each solution notebook passes
``nbgrader validate``.
"""

import math
import sys

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import ch05  # importable once check_suite is
from hidden_checks._common import RTOL
from notebook_code import notebook_path

from rnn_course.gradcheck import relative_error

SLUG = "05-overfitting"
FUNCTIONS = [
    "dropout_forward",
    "dropout_backward",
    "l2_penalty",
    "l2_penalty_grad",
    "l1_penalty",
    "l1_penalty_grad",
    "early_stopping_epoch",
]

reference, ref_en = suite.reference_fixtures(SLUG)


def check_of(name):
    return getattr(ch05, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    es = suite.solutions(SLUG, "es")
    suite.assert_both_define(ref_en, es,
                             [*FUNCTIONS, "build_regularised_model"])


def test_stated_tolerance():
    # The notebook states 1e-6 and five standard deviations.
    assert RTOL == 1e-6
    assert ch05.SIGMAS == 5.0


# --------------------------------------------------------------- oracles


@pytest.mark.parametrize(("shape", "p"), ch05._STATISTICAL_CASES)
def test_keras_dropout_meets_its_own_tolerance(shape, p):
    # Keras's Dropout keeps 1 - p of the units and the mean, within the
    # standard deviations the check uses (here one sample against the
    # exact value, so sqrt(2) is not needed), on the checks' inputs.
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, shape)
    keep, mean = ch05.dropout_statistics(x, ch05.keras_dropout(x, p, 3))
    sigma_keep, sigma_mean = ch05.statistics_sigmas(x, p)
    assert abs(keep - (1 - p)) <= ch05.SIGMAS * sigma_keep
    assert abs(mean - 1.0) <= ch05.SIGMAS * sigma_mean
    # The mistakes are hundreds of standard deviations away.
    assert abs((1 - p) - 1.0) > 100 * sigma_mean
    assert abs((1 - p) / p - 1.0) > 100 * sigma_mean
    assert abs(p - (1 - p)) > 100 * sigma_keep


def test_expected_mask_is_the_docstring_draw_and_leaves_rng_alone():
    rng = np.random.default_rng(11)
    state = rng.bit_generator.state
    mask = ch05.expected_mask(rng, (3, 4), 0.3)
    assert rng.bit_generator.state == state
    assert np.array_equal(mask, rng.random((3, 4)) >= 0.3)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_keras_regularisers_agree_with_the_closed_forms(kind):
    rng = np.random.default_rng(1)
    weights = ch05._draw_weights(rng, 0)
    assert any(np.any(w == 0) for w in weights)
    lam = 0.3
    value, grads = ch05.keras_penalty(kind, weights, lam)
    if kind == "l2":
        closed = lam * sum(np.sum(w ** 2) for w in weights)
        closed_grads = [2 * lam * w for w in weights]
    else:
        closed = lam * sum(np.sum(np.abs(w)) for w in weights)
        closed_grads = [lam * np.sign(w) for w in weights]
    # Keras keeps the L1 factor in float32: ~1e-8, far below RTOL.
    assert relative_error(value, closed) < RTOL / 10
    for g, c in zip(grads, closed_grads, strict=True):
        assert relative_error(g, c) < RTOL / 10


def test_keras_early_stopping_agrees_with_the_rules_of_the_hints():
    rng = np.random.default_rng(ch05._SEED["early_stopping_epoch"])
    cases = ch05._HISTORIES + ch05._random_histories(rng)
    stopped = 0
    for losses, patience, min_delta in cases:
        kept, stop = ch05.keras_early_stopping(losses, patience, min_delta)
        assert (kept, stop) == ch05.np_early_stopping(
            losses, patience, min_delta)
        stopped += stop < len(losses) - 1
    # Histories that stop early and histories that run to the end.
    assert 0 < stopped < len(cases)


def test_keras_early_stopping_restores_the_best_weights():
    # The best epoch is the one whose weights Keras puts back, also when
    # training does not stop early; patience 0 behaves as patience 1.
    assert ch05.keras_early_stopping([0.5, 0.4, 0.45, 0.3], 1, 0.0) == (1, 2)
    assert ch05.keras_early_stopping([0.5, 0.4, 0.45, 0.3], 0, 0.0) == (1, 2)
    assert ch05.keras_early_stopping([0.5, 0.4, 0.45, 0.3], 2, 0.0) == (3, 3)
    assert ch05.keras_early_stopping([0.5, 0.45, 0.41], 1, 0.05) == (0, 1)


def test_random_histories_have_no_ties_for_rounding_to_decide():
    rng = np.random.default_rng(ch05._SEED["early_stopping_epoch"])
    for losses, _, min_delta in ch05._random_histories(rng):
        a = np.asarray(losses)
        gaps = np.abs(a[:, None] - a[None, :] - min_delta)
        if min_delta:
            assert gaps.min() > 1e-5


# ----------------------------------------------------- accepted variants
# Correct code written differently from the solution.


def dfv_where(x, p, rng, training=True):
    # np.where on the kept units; returns x itself at inference
    if not training:
        return x, (None, p)
    mask = rng.random(x.shape) >= p
    return np.where(mask, x / (1.0 - p), 0.0), (mask, p)


def dfv_scale_then_mask(x, p, rng, training=True):
    # the scale first, the mask as the complement of "dropped"
    if training:
        dropped = rng.random(size=x.shape) < p
        keep = np.logical_not(dropped)
        return (x * (1.0 / (1.0 - p))) * keep.astype(np.float64), (keep, p)
    return np.array(x, copy=True), (None, p)


def dfv_uniform(x, p, rng, training=True):
    # the same numbers drawn by rng.uniform(0, 1), a loop over entries
    if not training:
        return x + 0.0, (None, p)
    mask = rng.uniform(0.0, 1.0, x.shape) >= p
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        if mask[index]:
            out[index] = x[index] / (1 - p)
    return out, (mask, p)


def dbv_where(dout, cache):
    # np.where on the mask
    mask, p = cache
    if mask is None:
        return dout
    return np.where(mask, dout / (1.0 - p), 0.0)


def dbv_float_mask(dout, cache):
    # the mask as floats times one scale
    mask, p = cache
    scale = np.ones_like(dout) if mask is None else (
        mask.astype(float) * (1.0 / (1.0 - p)))
    return dout * scale


def l2v_loop_vdot(weights, lam):
    # a loop with np.vdot
    total = 0.0
    for w in weights:
        total += np.vdot(w, w)
    return lam * total


def l2v_concatenate(weights, lam):
    # every entry in one vector, float64 scalar returned
    flat = np.concatenate([w.ravel() for w in weights])
    return np.float64(lam) * np.square(flat).sum()


def l2v_float32(weights, lam):
    # squares summed in float32 per array, the total in float64
    return lam * sum(float(np.sum(np.float32(w) ** 2)) for w in weights)


def l2gv_loop(weights, lam):
    # a loop that appends w * (2 lam)
    grads = []
    for w in weights:
        grads.append(w * (2 * lam))
    return grads


def l2gv_map(weights, lam):
    # map with np.multiply
    return list(map(lambda w: np.multiply(w, lam + lam), weights))


def l1v_loop(weights, lam):
    # a loop over arrays, abs().sum()
    total = 0.0
    for w in weights:
        total = total + np.abs(w).sum()
    return float(lam * total)


def l1v_norm(weights, lam):
    # the 1-norm of all the entries
    return lam * np.linalg.norm(np.concatenate([w.ravel() for w in weights]),
                                1)


def l1gv_where(weights, lam):
    # nested np.where, 0 at 0
    return [np.where(w > 0, lam, np.where(w < 0, -lam, 0.0)) for w in weights]


def l1gv_booleans(weights, lam):
    # lam * (w > 0) - lam * (w < 0)
    return [lam * (w > 0) - lam * (w < 0) for w in weights]


def esv_counter(val_losses, patience, min_delta=0.0):
    # an explicit counter of epochs without improvement, for/else
    best_loss = math.inf
    best_epoch = 0
    without = 0
    for epoch, loss in enumerate(val_losses):
        if epoch == 0 or loss < best_loss - min_delta:
            best_loss, best_epoch, without = loss, epoch, 0
            continue
        without += 1
        if without >= max(patience, 1):
            stop = epoch
            break
    else:
        stop = len(val_losses) - 1
    return best_epoch, stop


def esv_next_improvement(val_losses, patience, min_delta=0.0):
    # np.flatnonzero finds the next improvement after each best epoch
    losses = np.asarray(val_losses, dtype=float)
    last = len(losses) - 1
    wait = max(patience, 1)
    best = 0
    while True:
        later = np.flatnonzero(losses[best + 1:] < losses[best] - min_delta)
        if later.size and later[0] + 1 <= wait:
            best = best + 1 + int(later[0])
            continue
        return best, min(best + wait, last)


def esv_argmin_when_no_delta(val_losses, patience, min_delta=0.0):
    # with min_delta = 0: the best is the first argmin of the epochs
    # trained; the stop is found by a scan of the running argmin
    if min_delta:
        return esv_counter(val_losses, patience, min_delta)
    losses = np.asarray(val_losses)
    wait = max(patience, 1)
    for epoch in range(len(losses)):
        best = int(np.argmin(losses[:epoch + 1]))
        if epoch - best >= wait:
            return best, epoch
    return int(np.argmin(losses)), len(losses) - 1


VARIANTS = {
    "dropout_forward": [dfv_where, dfv_scale_then_mask, dfv_uniform],
    "dropout_backward": [dbv_where, dbv_float_mask],
    "l2_penalty": [l2v_loop_vdot, l2v_concatenate, l2v_float32],
    "l2_penalty_grad": [l2gv_loop, l2gv_map],
    "l1_penalty": [l1v_loop, l1v_norm],
    "l1_penalty_grad": [l1gv_where, l1gv_booleans],
    "early_stopping_epoch": [esv_counter, esv_next_improvement,
                             esv_argmin_when_no_delta],
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


def df_no_rescale(x, p, rng, training=True):
    # drops units but does not divide by 1 - p
    if not training:
        return x.copy(), (None, p)
    mask = rng.random(x.shape) >= p
    return x * mask, (mask, p)


def df_rescale_by_p(x, p, rng, training=True):
    # divides the kept units by p
    if not training:
        return x.copy(), (None, p)
    mask = rng.random(x.shape) >= p
    return x * mask / p, (mask, p)


def df_active_at_inference(x, p, rng, training=True):
    # ignores training: drops units at inference too
    mask = rng.random(x.shape) >= p
    return x * mask / (1.0 - p), (mask, p)


def df_inverted_mask(x, p, rng, training=True):
    # keeps a unit with probability p
    if not training:
        return x.copy(), (None, p)
    mask = rng.random(x.shape) < p
    return x * mask / (1.0 - p), (mask, p)


def df_binomial(x, p, rng, training=True):
    # right law, another draw: rng.binomial
    if not training:
        return x.copy(), (None, p)
    mask = rng.binomial(1, 1.0 - p, x.shape).astype(bool)
    return x * mask / (1.0 - p), (mask, p)


def df_own_generator(x, p, rng, training=True):
    # ignores rng: a generator of its own
    if not training:
        return x.copy(), (None, p)
    mask = np.random.default_rng(0).random(x.shape) >= p
    return x * mask / (1.0 - p), (mask, p)


def df_float_mask(x, p, rng, training=True):
    # right output, the mask cached as floats already rescaled
    if not training:
        return x.copy(), (None, p)
    scale = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * scale, (scale, p)


def df_in_place(x, p, rng, training=True):
    # right output, written into the caller's x
    if not training:
        return x, (None, p)
    mask = rng.random(x.shape) >= p
    x *= mask / (1.0 - p)
    return x, (mask, p)


def df_draws_at_inference(x, p, rng, training=True):
    # right output, but the mask is drawn before training is looked at
    mask = rng.random(x.shape) >= p
    if not training:
        return x.copy(), (None, p)
    return x * mask / (1.0 - p), (mask, p)


def df_draws_twice(x, p, rng, training=True):
    # right output and cache, then a second draw (a "fresh" mask unused)
    if not training:
        return x.copy(), (None, p)
    mask = rng.random(x.shape) >= p
    rng.random(x.shape)
    return x * mask / (1.0 - p), (mask, p)


def db_ignores_mask(dout, cache):
    # rescales every unit, kept or not
    mask, p = cache
    return dout.copy() if mask is None else dout / (1.0 - p)


def db_no_rescale(dout, cache):
    # forgets the 1 / (1 - p)
    mask, p = cache
    return dout.copy() if mask is None else dout * mask


def db_rescale_by_p(dout, cache):
    # divides by p
    mask, p = cache
    return dout.copy() if mask is None else dout * mask / p


def db_identity(dout, cache):
    # passes dout through
    return dout.copy()


def db_no_inference_case(dout, cache):
    # forgets that the mask is None at inference (raises TypeError)
    mask, p = cache
    return dout * mask / (1.0 - p)


def l2_half(weights, lam):
    # the textbook lam / 2 * sum(w^2)
    return 0.5 * lam * sum(np.sum(w ** 2) for w in weights)


def l2_lam_twice(weights, lam):
    # lam applied twice
    return lam * lam * sum(np.sum(w ** 2) for w in weights)


def l2_norm(weights, lam):
    # lam times the norm, not its square
    return lam * math.sqrt(sum(np.sum(w ** 2) for w in weights))


def l2_mean(weights, lam):
    # np.mean instead of np.sum
    return lam * sum(np.mean(w ** 2) for w in weights)


def l2_first_only(weights, lam):
    # penalises the first array only
    return lam * float(np.sum(weights[0] ** 2))


def l2_per_array(weights, lam):
    # one penalty per array, not their sum
    return [lam * float(np.sum(w ** 2)) for w in weights]


def l2g_no_factor_2(weights, lam):
    # the gradient of the textbook lam / 2 * sum(w^2)
    return [lam * w for w in weights]


def l2g_lam_twice(weights, lam):
    # lam applied twice
    return [2.0 * lam * lam * w for w in weights]


def l2g_sign_flipped(weights, lam):
    # the direction of the update, not the gradient
    return [-2.0 * lam * w for w in weights]


def l2g_one_array(weights, lam):
    # every gradient in one concatenated array
    return np.concatenate([2.0 * lam * w.ravel() for w in weights])


def l2g_in_place(weights, lam):
    # right values, written into the caller's arrays
    for w in weights:
        w *= 2.0 * lam
    return weights


def l1_no_abs(weights, lam):
    # forgets the absolute value
    return lam * sum(np.sum(w) for w in weights)


def l1_lam_twice(weights, lam):
    # lam applied twice
    return lam * lam * sum(np.sum(np.abs(w)) for w in weights)


def l1_squares(weights, lam):
    # the L2 penalty instead
    return lam * sum(np.sum(w ** 2) for w in weights)


def l1_last_only(weights, lam):
    # penalises the last array only
    return lam * float(np.sum(np.abs(weights[-1])))


def l1g_not_zero_at_zero(weights, lam):
    # +lam where w == 0
    return [lam * np.where(w >= 0, 1.0, -1.0) for w in weights]


def l1g_sign_flipped(weights, lam):
    # -lam * sign(w)
    return [-lam * np.sign(w) for w in weights]


def l1g_nan_at_zero(weights, lam):
    # w / |w|: 0 / 0 at 0
    return [lam * w / np.abs(w) for w in weights]


def l1g_lam_twice(weights, lam):
    # lam applied twice
    return [lam * lam * np.sign(w) for w in weights]


def l1g_l2_gradient(weights, lam):
    # the gradient of L2
    return [2.0 * lam * w for w in weights]


def _es(name, **mistake):
    def early_stopping_epoch(val_losses, patience, min_delta=0.0):
        return ch05.np_early_stopping(val_losses, patience, min_delta,
                                      **mistake)

    early_stopping_epoch.__name__ = name
    early_stopping_epoch.__qualname__ = name
    return early_stopping_epoch


# returns the stopping epoch as the best one
es_stop_as_best = _es("es_stop_as_best", stop_as_best=True)
# stops when wait > patience: one epoch late
es_patience_off_by_one = _es("es_patience_off_by_one", wait_shift=1)
# an equal loss counts as an improvement
es_equal_improves = _es("es_equal_improves", strict=False)
# compares with the previous epoch's loss
es_against_previous = _es("es_against_previous", against="previous")
# compares with the lowest loss so far
es_against_lowest = _es("es_against_lowest", against="min")
# epochs numbered from 1
es_from_one = _es("es_from_one", base=1)


def es_early_by_one(val_losses, patience, min_delta=0.0):
    # stops when wait >= patience - 1: one epoch early
    best, best_epoch, wait = None, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if best is None or loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience - 1 and epoch > 0:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_len_when_no_stop(val_losses, patience, min_delta=0.0):
    # returns len(val_losses) when training never stops early
    best, stop = ch05.np_early_stopping(val_losses, patience, min_delta)
    return best, stop + 1 if stop == len(val_losses) - 1 else stop


def es_argmin_ignores_delta(val_losses, patience, min_delta=0.0):
    # the stop right, the best the lowest loss (min_delta ignored)
    _, stop = ch05.np_early_stopping(val_losses, patience, min_delta)
    return int(np.argmin(np.asarray(val_losses)[:stop + 1])), stop


def es_float_epochs(val_losses, patience, min_delta=0.0):
    # right epochs, as floats
    best, stop = ch05.np_early_stopping(val_losses, patience, min_delta)
    return float(best), float(stop)


MUTANTS = {
    "dropout_forward": [
        df_no_rescale, df_rescale_by_p, df_active_at_inference,
        df_inverted_mask, df_binomial, df_own_generator, df_float_mask,
        df_in_place, df_draws_at_inference, df_draws_twice,
    ],
    "dropout_backward": [
        db_ignores_mask, db_no_rescale, db_rescale_by_p, db_identity,
        db_no_inference_case,
    ],
    "l2_penalty": [
        l2_half, l2_lam_twice, l2_norm, l2_mean, l2_first_only,
        l2_per_array,
    ],
    "l2_penalty_grad": [
        l2g_no_factor_2, l2g_lam_twice, l2g_sign_flipped, l2g_one_array,
        l2g_in_place,
    ],
    "l1_penalty": [l1_no_abs, l1_lam_twice, l1_squares, l1_last_only],
    "l1_penalty_grad": [
        l1g_not_zero_at_zero, l1g_sign_flipped, l1g_nan_at_zero,
        l1g_lam_twice, l1g_l2_gradient,
    ],
    "early_stopping_epoch": [
        es_stop_as_best, es_patience_off_by_one, es_early_by_one,
        es_equal_improves, es_against_previous, es_against_lowest,
        es_from_one, es_len_when_no_stop, es_argmin_ignores_delta,
        es_float_epochs,
    ],
}

#: A piece of the English message expected for each mutant: the hint it
#: needs, or the check that catches it.
EXPECTED_HINT = {
    "df_no_rescale": "must be divided by 1 - p",
    "df_rescale_by_p": "not by p",
    "df_active_at_inference": "At inference (training=False) dropout is "
                              "the identity",
    "df_inverted_mask": "p is the probability that a unit is dropped",
    "df_binomial": "drawn exactly as the docstring says",
    "df_own_generator": "drawn exactly as the docstring says",
    "df_float_mask": "cache[0] must be the mask",
    "df_in_place": "modified its argument `x` in place",
    "df_draws_at_inference": "dropout_forward drew from rng: at "
                             "inference nothing is drawn",
    "df_draws_twice": "drew from it more (or less) than once",
    "db_ignores_mask": "Only the kept units pass gradient",
    "db_no_rescale": "must be divided by 1 - p",
    "db_rescale_by_p": "not by p",
    "db_identity": "Only the kept units pass gradient",
    "db_no_inference_case": "raised TypeError",
    "l2_half": "no factor 1/2",
    "l2_lam_twice": "not lam**2",
    "l2_norm": "square root",
    "l2_mean": "not np.mean",
    "l2_first_only": "not only the first or the last",
    "l2_per_array": "must be a float",
    "l2g_no_factor_2": "the factor 2 is missing",
    "l2g_lam_twice": "not lam**2",
    "l2g_sign_flipped": "points away from zero",
    "l2g_one_array": "must return a list of",
    "l2g_in_place": "modified its argument `weights` in place",
    "l1_no_abs": "L1 sums absolute values",
    "l1_lam_twice": "not lam**2",
    "l1_squares": "lam * sum(abs(w))",
    "l1_last_only": "not only the first or the last",
    "l1g_not_zero_at_zero": "the (sub)gradient of lam * abs(w) is 0",
    "l1g_sign_flipped": "points away from zero",
    "l1g_nan_at_zero": "use np.sign(w)",
    "l1g_lam_twice": "not lam**2",
    "l1g_l2_gradient": "lam * np.sign(w), 0 where w == 0",
    "es_stop_as_best": "best_epoch is the stopping epoch",
    "es_patience_off_by_one": "Patience is counted one epoch off",
    "es_early_by_one": "Patience is counted one epoch off",
    "es_equal_improves": "An equal loss is not an improvement",
    "es_against_previous": "not with the loss of the previous epoch",
    "es_against_lowest": "not the lowest loss seen",
    "es_from_one": "Epochs are numbered from 0",
    "es_len_when_no_stop": "stop_epoch is the last epoch",
    "es_argmin_ignores_delta": "best_epoch differs",
    "es_float_epochs": "must be an int",
}


@pytest.mark.parametrize(("name", "mutant"), suite.mutant_cases(MUTANTS))
def test_mutant_fails(name, mutant):
    suite.assert_mutant_fails(
        check_of(name), mutant, EXPECTED_HINT[mutant.__name__],
    )


def test_every_mutant_has_an_expected_message():
    suite.assert_mutants_cover(MUTANTS, FUNCTIONS, at_least=3)
    names = {m.__name__ for mutants in MUTANTS.values() for m in mutants}
    assert names == set(EXPECTED_HINT)


def test_spanish_message_example():
    message = suite.failure(check_of("l2_penalty_grad"), l2g_no_factor_2,
                            "es")
    assert "no coincide con el valor esperado" in message
    assert "falta el factor 2" in message
    message = suite.failure(check_of("dropout_forward"), df_no_rescale,
                            "es")
    assert "desviaciones estándar" in message


def test_statistics_catch_what_they_must_before_the_exact_values():
    # Mistakes of the law of dropout are reported by the comparison with
    # Keras's Dropout (the statistics), before any exact value.
    for mutant in (df_no_rescale, df_rescale_by_p, df_inverted_mask):
        message = suite.failure(check_of("dropout_forward"), mutant, "en")
        assert "Keras's Dropout" in message, message
    # A right law drawn otherwise passes the statistics and fails the
    # exact mask.
    message = suite.failure(check_of("dropout_forward"), df_binomial, "en")
    assert "Keras's Dropout" not in message


#: Mutants wrong only in what the visible tests check before any value,
#: and the words of the first message the student sees.
VISIBLE_FIRST = [
    ("dropout_forward", df_in_place, "modified x in place"),
    ("dropout_forward", df_float_mask, "must be an array of bool"),
    ("l2_penalty_grad", l2g_in_place, "modified weights in place"),
    ("l2_penalty", l2_per_array, "must return one number"),
    ("early_stopping_epoch", es_float_epochs, "must be ints"),
]


@pytest.mark.parametrize(
    ("name", "mutant", "words"), VISIBLE_FIRST,
    ids=[mutant.__name__ for _, mutant, _ in VISIBLE_FIRST],
)
def test_visible_tests_name_the_real_problem_first(name, mutant, words):
    suite.assert_visible_test_names(SLUG, name, mutant, words)


# ------------------------------------- the visible test of the Keras model


def _dense(num_words, compiled=True, last=None):
    import keras

    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(16, activation="relu"),
        last or keras.layers.Dense(1, activation="sigmoid"),
    ])
    if compiled:
        model.compile(optimizer="adam", loss="binary_crossentropy",
                      metrics=["accuracy"])
    return model


def bm_not_compiled(num_words):
    # forgets model.compile
    return _dense(num_words, compiled=False)


def bm_two_outputs(num_words):
    # a softmax over two classes
    import keras

    return _dense(num_words, last=keras.layers.Dense(2, activation="softmax"))


def bm_layers_only(num_words):
    # returns the list of layers, not a model
    return _dense(num_words).layers


def bm_linear_output(num_words):
    # no sigmoid: logits, not probabilities
    import keras

    return _dense(num_words, last=keras.layers.Dense(
        1, kernel_initializer="ones", bias_initializer="ones"))


def bm_fixed_input(num_words):
    # ignores num_words
    return _dense(10000)


def test_visible_test_of_the_model_accepts_a_dropout_only_model():
    suite.run_visible_test(SLUG, "build_regularised_model", _dense)


@pytest.mark.parametrize(("mutant", "words"), [
    (bm_layers_only, "must return a keras.Model"),
    (bm_fixed_input, "inputs of shape (None, num_words)"),
    (bm_two_outputs, "shape (None, 1)"),
    (bm_not_compiled, "must be compiled"),
    (bm_linear_output, "probabilities in (0, 1)"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_visible_test_of_the_model_names_the_problem(mutant, words):
    suite.assert_visible_test_names(SLUG, "build_regularised_model",
                                    mutant, words)


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch05.check_dropout_forward)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch05.check_early_stopping_epoch, ref_en["early_stopping_epoch"],
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
