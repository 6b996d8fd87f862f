"""The hidden checks of chapter 4, proven both ways.

For every graded function of ``04-gated-cells``:

* the reference solution, taken from the solution notebooks (English and
  Spanish), passes its check;
* at least two correct implementations written differently from it
  (accepted variants: gates one by one or stacked, loops or vectorised,
  einsum, float32 accumulation) pass it too;
* plausible wrong implementations (mutants) fail it with an
  AssertionError whose message is in the requested language, naming
  the mistake where the check knows it;
* a function that raises (the released stub), returns None or returns
  an object of the wrong kind fails it with an AssertionError.

The oracles are tested too (Keras, the tape and centred differences
agree far below the tolerance), and each solution notebook passes
``nbgrader validate``.
"""

import check_suite as suite
import numpy as np
import pytest
from hidden_checks import _common, ch04  # importable once check_suite is
from notebook_code import notebook_path

from rnn_course.gradcheck import relative_error

SLUG = "04-gated-cells"
FUNCTIONS = [
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_step_forward",
    "gru_step_backward",
    "gru_forward",
    "count_lstm_params",
    "count_gru_params",
]
#: The read-only cell that defines ``sigmoid``, which the answers call.
GIVEN = ("sigmoid_given",)

reference, ref_en = suite.reference_fixtures(SLUG, given=GIVEN)


def check_of(name):
    return getattr(ch04, f"check_{name}")


# ------------------------------------------------------------ references


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reference_passes(reference, name):
    lang, namespace = reference
    check_of(name)(namespace[name], lang=lang)


def test_notebooks_define_the_same_functions(ref_en):
    es = suite.solutions(SLUG, "es", given=GIVEN)
    suite.assert_both_define(ref_en, es, [*FUNCTIONS, "sigmoid"])


def test_oracles_agree_far_below_the_tolerance():
    # Keras, the NumPy forward of the finite differences, the tape and
    # the differences agree to ~1e-10 on inputs like the checks', so a
    # correct answer passes every oracle with a wide margin.
    rng = np.random.default_rng(0)
    x, h0, c0, Wx, Wh, b = ch04._draw_lstm(rng, 2, 4, 3, 4)
    dh = rng.standard_normal((2, 4, 4))
    seq, h_T, c_T = ch04.keras_lstm(x, h0, c0, Wx, Wh, b)
    h, c, _ = ch04.np_lstm(x, h0, c0, Wx, Wh, b)
    assert relative_error(seq, h) < 1e-12
    assert relative_error(c_T, c[:, -1]) < 1e-12
    tape = ch04.lstm_tape(x, h0, c0, Wx, Wh, b, dh)

    def loss(*args):
        return np.sum(ch04.np_lstm(*args)[0] * dh)

    numeric = ch04.numerical_gradients(loss, [x, h0, c0, Wx, Wh, b])
    for a, b_ in zip(tape, numeric, strict=True):
        assert relative_error(a, b_) < ch04.RTOL / 100

    x, h0, Wx, Wh, b = ch04._draw_gru(rng, 2, 4, 3, 4)
    seq, h_T = ch04.keras_gru(x, h0, Wx, Wh, b)
    assert relative_error(seq, ch04.np_gru(x, h0, Wx, Wh, b)[0]) < 1e-12
    tape = ch04.gru_tape(x, h0, Wx, Wh, b, dh)

    def gru_loss(*args):
        return np.sum(ch04.np_gru(*args)[0] * dh)

    numeric = ch04.numerical_gradients(gru_loss, [x, h0, Wx, Wh, b])
    for a, b_ in zip(tape, numeric, strict=True):
        assert relative_error(a, b_) < ch04.RTOL / 100


def test_stated_tolerance():
    # The notebook states 1e-6; the checks use it for every comparison.
    assert ch04.RTOL == 1e-6


# ----------------------------------------------------------- NumPy pieces
# Written from scratch for the variants and mutants (no call into the
# notebook or into the checks), so that each mutant is wrong in exactly
# one way.


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _split(a, k):
    return np.split(a, k, axis=-1)


def _lstm(x_t, h_prev, c_prev, Wx, Wh, b, order="ifco", acts="ssts",
          out="tanh", bias=True, dtype=np.float64):
    """One LSTM step, right or wrong in one way: (h, c, gates, a)."""
    f_ = dtype
    a = (x_t.astype(f_) @ Wx.astype(f_) + h_prev.astype(f_) @ Wh.astype(f_)
         + (b.astype(f_) if bias else 0.0)).astype(np.float64)
    blocks = dict(zip(order, _split(a, 4), strict=True))
    fns = {"s": _sig, "t": np.tanh}
    i = fns[acts[0]](blocks["i"])
    f = fns[acts[1]](blocks["f"])
    g = fns[acts[2]](blocks["c"])
    o = fns[acts[3]](blocks["o"])
    c = f * c_prev + i * g
    h = o * (np.tanh(c) if out == "tanh" else c)
    return h, c, (i, f, g, o), a


def _step_fw(name, **wrong):
    def lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b):
        h, c, (i, f, g, o), _ = _lstm(x_t, h_prev, c_prev, Wx, Wh, b,
                                      **wrong)
        return h, c, (x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c)

    lstm_step_forward.__name__ = lstm_step_forward.__qualname__ = name
    return lstm_step_forward


def _lstm_back(dh, dc, cache, order="ifco", prime="sig", dh_to_dc=True,
               dc_prev="f", do_tanh=True, c_prime="tanh"):
    x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    do = dh * (tc if do_tanh else c)
    slope = 1.0 - (tc ** 2 if c_prime == "tanh" else c ** 2)
    dct = dc + dh * o * slope if dh_to_dc else dc
    p = (lambda s: s * (1.0 - s)) if prime == "sig" else (
        lambda s: 1.0 - s ** 2)
    by = {"i": dct * g * p(i), "f": dct * c_prev * p(f),
          "c": dct * i * (1.0 - g ** 2), "o": do * p(o)}
    da = np.concatenate([by[k] for k in order], axis=1)
    back = {"f": dct * f, "zero": np.zeros_like(dc), "no_f": dct}[dc_prev]
    return (da @ Wx.T, da @ Wh.T, back, x_t.T @ da, h_prev.T @ da,
            da.sum(0))


def _step_bw(name, **wrong):
    def lstm_step_backward(dh_next, dc_next, cache):
        return _lstm_back(dh_next, dc_next, cache, **wrong)

    lstm_step_backward.__name__ = lstm_step_backward.__qualname__ = name
    return lstm_step_backward


def _lstm_seq(x, h0, c0, Wx, Wh, b, carry_c=True, use_c0=True, **wrong):
    h, c = h0, (c0 if use_c0 else np.zeros_like(c0))
    hs, cache = [], []
    for t in range(x.shape[1]):
        c_in = c if carry_c or t == 0 else c0
        h_prev = h
        h, c, (i, f, g, o), _ = _lstm(x[:, t], h_prev, c_in, Wx, Wh, b,
                                      **wrong)
        hs.append(h)
        cache.append((x[:, t], h_prev, c_in, Wx, Wh, i, f, g, o, c))
    return np.stack(hs, axis=1), c, cache


def _lstm_bptt(dh, cache, carry_c=True, carry_h=True, last_only=False,
               **wrong):
    n, steps, h = dh.shape
    dxs, total = [], None
    dh_prev, dc_prev = np.zeros((n, h)), np.zeros((n, h))
    for t in reversed(range(steps)):
        dht = dh[:, t] + (dh_prev if carry_h else 0.0)
        dct = dc_prev if carry_c else np.zeros((n, h))
        dx_t, dh_prev, dc_prev, *w = _lstm_back(dht, dct, cache[t], **wrong)
        dxs.append(dx_t)
        if total is None:
            total = w
        elif not last_only:
            total = [a + b for a, b in zip(total, w, strict=True)]
    return (np.stack(dxs[::-1], axis=1), dh_prev, dc_prev, *total)


def _gru(x_t, h_prev, Wx, Wh, b, order="zrh", swap=False, before=False,
         b1=True, b1_out=False, z_act=_sig, dtype=np.float64):
    """One GRU step, right or wrong in one way: (h, (z, r, h~, m_h))."""
    f_ = dtype
    a = (x_t.astype(f_) @ Wx.astype(f_) + b[0].astype(f_)).astype(
        np.float64)
    bias1 = b[1] if b1 else np.zeros_like(b[1])
    hw = (h_prev.astype(f_) @ Wh.astype(f_)).astype(np.float64)
    A = dict(zip(order, _split(a, 3), strict=True))
    M = dict(zip(order, _split(hw + bias1, 3), strict=True))
    B = dict(zip(order, _split(bias1, 3), strict=True))
    Whh = dict(zip(order, _split(Wh, 3), strict=True))["h"]
    z = z_act(A["z"] + M["z"])
    r = _sig(A["r"] + M["r"])
    if before:
        pre = A["h"] + (r * h_prev) @ Whh + B["h"]
    elif b1_out:
        pre = A["h"] + r * (M["h"] - B["h"]) + B["h"]
    else:
        pre = A["h"] + r * M["h"]
    ht = np.tanh(pre)
    h = (1.0 - z) * h_prev + z * ht if swap else z * h_prev + (1.0 - z) * ht
    return h, (z, r, ht, M["h"])


def _gru_fw(name, **wrong):
    def gru_step_forward(x_t, h_prev, Wx, Wh, b):
        h, parts = _gru(x_t, h_prev, Wx, Wh, b, **wrong)
        return h, (x_t, h_prev, Wx, Wh, *parts)

    gru_step_forward.__name__ = gru_step_forward.__qualname__ = name
    return gru_step_forward


def _gru_back(dh, cache, swap=False, direct=True, db1="own", r_in=True,
              m_from_cache=True, db="stack"):
    x_t, h_prev, Wx, Wh, z, r, ht, m_h = cache
    if not m_from_cache:  # forgets b[1]_h: h_prev Wh_h only
        m_h = h_prev @ _split(Wh, 3)[2]
    dz = dh * ((ht - h_prev) if swap else (h_prev - ht))
    dah = dh * (z if swap else 1.0 - z) * (1.0 - ht ** 2)
    daz, dar = dz * z * (1.0 - z), dah * m_h * r * (1.0 - r)
    da = np.concatenate([daz, dar, dah], axis=1)
    dm = np.concatenate([daz, dar, dah * r if r_in else dah], axis=1)
    keep = (1.0 - z) if swap else z
    dh_prev = dm @ Wh.T + (dh * keep if direct else 0.0)
    second = {"own": dm.sum(0), "zero": np.zeros(dm.shape[1]),
              "same": da.sum(0)}[db1]
    grad_b = (np.stack([da.sum(0), second]) if db == "stack"
              else da.sum(0) + second)
    return da @ Wx.T, dh_prev, x_t.T @ da, h_prev.T @ dm, grad_b


def _gru_bw(name, **wrong):
    def gru_step_backward(dh_next, cache):
        return _gru_back(dh_next, cache, **wrong)

    gru_step_backward.__name__ = gru_step_backward.__qualname__ = name
    return gru_step_backward


def _gru_seq(x, h0, Wx, Wh, b, use_h0=True, **wrong):
    h = h0 if use_h0 else np.zeros_like(h0)
    hs, cache = [], []
    for t in range(x.shape[1]):
        h_prev = h
        h, parts = _gru(x[:, t], h_prev, Wx, Wh, b, **wrong)
        hs.append(h)
        cache.append((x[:, t], h_prev, Wx, Wh, *parts))
    return np.stack(hs, axis=1), cache


# ------------------------------------------------------ accepted variants
# Correct code written differently from the solution.


def lsf_gate_by_gate(x_t, h_prev, c_prev, Wx, Wh, b):
    # one product per gate, sigmoid as 1 / (1 + exp(-a))
    H = h_prev.shape[1]
    gates = []
    for k in range(4):
        cols = slice(k * H, (k + 1) * H)
        a = x_t @ Wx[:, cols] + h_prev @ Wh[:, cols] + b[cols]
        gates.append(np.tanh(a) if k == 2 else 1.0 / (1.0 + np.exp(-a)))
    i, f, g, o = gates
    c = i * g + c_prev * f
    return np.tanh(c) * o, c, (x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lsf_float32_einsum(x_t, h_prev, c_prev, Wx, Wh, b):
    # stacked pre-activation accumulated in float32 by einsum
    f32 = np.float32
    a = (np.einsum("nd,dk->nk", x_t.astype(f32), Wx.astype(f32))
         + np.einsum("nh,hk->nk", h_prev.astype(f32), Wh.astype(f32))
         + b.astype(f32)).astype(np.float64)
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, o = _sig(i), _sig(f), _sig(o)
    g = np.tanh(g)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lsf_stacked_weights(x_t, h_prev, c_prev, Wx, Wh, b):
    # one product of [x_t, h_prev] with the weights stacked row-wise
    W = np.vstack([Wx, Wh])
    a = np.hstack([x_t, h_prev]) @ W + b
    H = h_prev.shape[1]
    s = 0.5 * (1.0 + np.tanh(0.5 * a))
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
    g = np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c)


def lsb_gate_by_gate(dh_next, dc_next, cache):
    # weight gradients block by block, loops over the batch for db
    x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dc = dh_next * o * (1 - tc * tc) + dc_next
    blocks = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
              dc * i * (1 - g * g), dh_next * tc * o * (1 - o)]
    H = h_prev.shape[1]
    dx_t = sum(d @ Wx[:, k * H:(k + 1) * H].T for k, d in enumerate(blocks))
    dh_prev = sum(d @ Wh[:, k * H:(k + 1) * H].T
                  for k, d in enumerate(blocks))
    dWx = np.hstack([x_t.T @ d for d in blocks])
    dWh = np.hstack([h_prev.T @ d for d in blocks])
    db = np.zeros(4 * H)
    for row in np.hstack(blocks):
        db = db + row
    return dx_t, dh_prev, f * dc, dWx, dWh, db


def lsb_float32(dh_next, dc_next, cache):
    # the products accumulated in float32
    f32 = np.float32
    x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), dh_next * tc * o * (1 - o)],
                        axis=1).astype(f32)
    return ((da @ Wx.T.astype(f32)).astype(float),
            (da @ Wh.T.astype(f32)).astype(float), dc * f,
            (x_t.T.astype(f32) @ da).astype(float),
            (h_prev.T.astype(f32) @ da).astype(float),
            da.sum(0, dtype=f32).astype(float))


def lsb_einsum(dh_next, dc_next, cache):
    # einsum for every product
    x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    tc = np.tanh(c)
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g ** 2), dh_next * tc * o * (1 - o)],
                        axis=1)
    return (np.einsum("nk,dk->nd", da, Wx), np.einsum("nk,hk->nh", da, Wh),
            dc * f, np.einsum("nd,nk->dk", x_t, da),
            np.einsum("nh,nk->hk", h_prev, da), np.einsum("nk->k", da))


def lf_precomputed_inputs(x, h0, c0, Wx, Wh, b):
    # the input products of every step at once, then a loop
    N, T, _ = x.shape
    H = h0.shape[1]
    xw = x @ Wx + b
    h = np.empty((N, T, H))
    hp, cp, cache = h0, c0, []
    for t in range(T):
        a = xw[:, t] + hp @ Wh
        i, f, o = (_sig(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        g = np.tanh(a[:, 2 * H:3 * H])
        c = f * cp + i * g
        h[:, t] = o * np.tanh(c)
        cache.append((x[:, t], hp, cp, Wx, Wh, i, f, g, o, c))
        hp, cp = h[:, t], c
    return h, cp, cache


def lf_float32_steps(x, h0, c0, Wx, Wh, b):
    # a step that accumulates in float32, called T times
    states, cache, hp, cp = [], [], h0, c0
    step = lsf_float32_einsum
    for t in range(x.shape[1]):
        hp, cp, sc = step(x[:, t], hp, cp, Wx, Wh, b)
        states.append(hp)
        cache.append(sc)
    return np.stack(states, axis=1), cp, cache


def lb_vectorised_weights(dh, cache):
    # da of every step kept, the weight gradients by one einsum each
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    das, dh_prev, dc_prev = [None] * T, np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache[t]
        dh_t = dh[:, t] + dh_prev
        tc = np.tanh(c)
        dc = dc_prev + dh_t * o * (1.0 - tc ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - g ** 2),
                             dh_t * tc * o * (1 - o)], axis=1)
        das[t] = da
        dx[:, t] = da @ Wx.T
        dh_prev, dc_prev = da @ Wh.T, dc * f
    da = np.stack(das, axis=1)
    xs = np.stack([s[0] for s in cache], axis=1)
    hs = np.stack([s[1] for s in cache], axis=1)
    return (dx, dh_prev, dc_prev, np.einsum("ntd,ntk->dk", xs, da),
            np.einsum("nth,ntk->hk", hs, da), da.sum((0, 1)))


def lb_float32_steps(dh, cache):
    # a step that accumulates in float32, called T times
    N, T, H = dh.shape
    dx, total = [], None
    dh_prev, dc_prev = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dh_prev, dc_prev, *w = lsb_float32(dh[:, t] + dh_prev,
                                                 dc_prev, cache[t])
        dx.insert(0, dx_t)
        total = w if total is None else [a + b for a, b in zip(
            total, w, strict=True)]
    return (np.stack(dx, axis=1), dh_prev, dc_prev, *total)


def gsf_gate_by_gate(x_t, h_prev, Wx, Wh, b):
    # one product per block, sigmoid as 1 / (1 + exp(-a))
    H = h_prev.shape[1]
    cz, cr, ch = (slice(k * H, (k + 1) * H) for k in range(3))
    z = 1 / (1 + np.exp(-(x_t @ Wx[:, cz] + b[0, cz] + h_prev @ Wh[:, cz]
                          + b[1, cz])))
    r = 1 / (1 + np.exp(-(x_t @ Wx[:, cr] + b[0, cr] + h_prev @ Wh[:, cr]
                          + b[1, cr])))
    m_h = h_prev @ Wh[:, ch] + b[1, ch]
    ht = np.tanh(x_t @ Wx[:, ch] + b[0, ch] + r * m_h)
    h = ht + z * (h_prev - ht)
    return h, (x_t, h_prev, Wx, Wh, z, r, ht, m_h)


def gsf_float32_einsum(x_t, h_prev, Wx, Wh, b):
    # products accumulated in float32 by einsum
    f32 = np.float32
    a = np.einsum("nd,dk->nk", x_t.astype(f32), Wx.astype(f32)).astype(
        float) + b[0]
    m = np.einsum("nh,hk->nk", h_prev.astype(f32), Wh.astype(f32)).astype(
        float) + b[1]
    az, ar, ah = np.split(a, 3, axis=1)
    mz, mr, mh = np.split(m, 3, axis=1)
    z, r = _sig(az + mz), _sig(ar + mr)
    ht = np.tanh(ah + r * mh)
    return z * h_prev + (1 - z) * ht, (x_t, h_prev, Wx, Wh, z, r, ht, mh)


def gsb_block_by_block(dh_next, cache):
    # each block's weight gradients separately, hstack at the end
    x_t, h_prev, Wx, Wh, z, r, ht, m_h = cache
    dah = dh_next * (1 - z) * (1 - ht * ht)
    daz = dh_next * (h_prev - ht) * z * (1 - z)
    dar = dah * m_h * r * (1 - r)
    H = h_prev.shape[1]
    Wxs = [Wx[:, k * H:(k + 1) * H] for k in range(3)]
    Whs = [Wh[:, k * H:(k + 1) * H] for k in range(3)]
    dx_t = daz @ Wxs[0].T + dar @ Wxs[1].T + dah @ Wxs[2].T
    dh_prev = (dh_next * z + daz @ Whs[0].T + dar @ Whs[1].T
               + (dah * r) @ Whs[2].T)
    dWx = np.hstack([x_t.T @ daz, x_t.T @ dar, x_t.T @ dah])
    dWh = np.hstack([h_prev.T @ daz, h_prev.T @ dar, h_prev.T @ (dah * r)])
    db = np.array([np.concatenate([daz.sum(0), dar.sum(0), dah.sum(0)]),
                   np.concatenate([daz.sum(0), dar.sum(0),
                                   (dah * r).sum(0)])])
    return dx_t, dh_prev, dWx, dWh, db


def gsb_float32(dh_next, cache):
    # the products accumulated in float32
    f32 = np.float32
    x_t, h_prev, Wx, Wh, z, r, ht, m_h = cache
    dz = dh_next * (h_prev - ht)
    dah = dh_next * (1.0 - z) * (1.0 - ht ** 2)
    da = np.concatenate([dz * z * (1 - z), dah * m_h * r * (1 - r), dah],
                        axis=1)
    dm = np.concatenate([da[:, :2 * z.shape[1]], dah * r], axis=1)
    da32, dm32 = da.astype(f32), dm.astype(f32)
    return ((da32 @ Wx.T.astype(f32)).astype(float),
            dh_next * z + (dm32 @ Wh.T.astype(f32)).astype(float),
            (x_t.T.astype(f32) @ da32).astype(float),
            (h_prev.T.astype(f32) @ dm32).astype(float),
            np.stack([da.sum(0), dm.sum(0)]))


def gf_precomputed_inputs(x, h0, Wx, Wh, b):
    # the input products of every step at once, preallocated output
    N, T, _ = x.shape
    H = h0.shape[1]
    xw = np.einsum("ntd,dk->ntk", x, Wx) + b[0]
    h = np.zeros((N, T, H))
    hp, cache = h0, []
    for t in range(T):
        m = hp @ Wh + b[1]
        z = _sig(xw[:, t, :H] + m[:, :H])
        r = _sig(xw[:, t, H:2 * H] + m[:, H:2 * H])
        ht = np.tanh(xw[:, t, 2 * H:] + r * m[:, 2 * H:])
        h[:, t] = z * hp + (1 - z) * ht
        cache.append((x[:, t], hp, Wx, Wh, z, r, ht, m[:, 2 * H:]))
        hp = h[:, t]
    return h, cache


def gf_float32_steps(x, h0, Wx, Wh, b):
    # a step that accumulates in float32, called T times
    states, cache, hp = [], [], h0
    for t in range(x.shape[1]):
        hp, sc = gsf_float32_einsum(x[:, t], hp, Wx, Wh, b)
        states.append(hp)
        cache.append(sc)
    return np.stack(states, axis=1), cache


def cl_factored(D, H):
    # 4 H (D + H + 1)
    return 4 * H * (D + H + 1)


def cl_array_sizes(D, H):
    # the sizes of the three arrays, as a NumPy integer
    return np.prod((D, 4 * H)) + np.prod((H, 4 * H)) + np.int64(4 * H)


def cg_factored(D, H):
    # 3 H (D + H + 2)
    return 3 * H * (D + H + 2)


def cg_array_sizes(D, H):
    # the sizes of the three arrays
    return sum(np.zeros(s).size for s in [(D, 3 * H), (H, 3 * H),
                                          (2, 3 * H)])


VARIANTS = {
    "lstm_step_forward": [lsf_gate_by_gate, lsf_float32_einsum,
                          lsf_stacked_weights],
    "lstm_step_backward": [lsb_gate_by_gate, lsb_float32, lsb_einsum],
    "lstm_forward": [lf_precomputed_inputs, lf_float32_steps],
    "lstm_backward": [lb_vectorised_weights, lb_float32_steps],
    "gru_step_forward": [gsf_gate_by_gate, gsf_float32_einsum],
    "gru_step_backward": [gsb_block_by_block, gsb_float32],
    "gru_forward": [gf_precomputed_inputs, gf_float32_steps],
    "count_lstm_params": [cl_factored, cl_array_sizes],
    "count_gru_params": [cg_factored, cg_array_sizes],
}


@pytest.mark.parametrize(("name", "variant"),
                         suite.mutant_cases(VARIANTS))  # same params
@pytest.mark.parametrize("lang", suite.LANGS)
def test_accepted_variant_passes(name, variant, lang):
    check_of(name)(variant, lang=lang)


def test_every_function_has_two_variants():
    suite.assert_mutants_cover(VARIANTS, FUNCTIONS, at_least=2)


# --------------------------------------------------------------- mutants
# Each mutant is a plausible student mistake; the comment says which.

# lstm_step_forward
# CS231n's [i, f, o, g]
lsf_order_ifoc = _step_fw("lsf_order_ifoc", order="ifoc")
# f = tanh
lsf_tanh_forget = _step_fw("lsf_tanh_forget", acts="stts")
# every gate with tanh
lsf_tanh_gates = _step_fw("lsf_tanh_gates", acts="tttt")
# c~ = sigmoid(a_c)
lsf_sigmoid_candidate = _step_fw("lsf_sigmoid_candidate", acts="ssss")
# h = o * c_t
lsf_output_on_c = _step_fw("lsf_output_on_c", out="c")
# forgets b
lsf_no_bias = _step_fw("lsf_no_bias", bias=False)


def lsf_cache_preactivations(x_t, h_prev, c_prev, Wx, Wh, b):
    # caches the pre-activations instead of the gates
    h, c, _, a = _lstm(x_t, h_prev, c_prev, Wx, Wh, b)
    return h, c, (x_t, h_prev, c_prev, Wx, Wh, *_split(a, 4), c)


def lsf_cache_h_last(x_t, h_prev, c_prev, Wx, Wh, b):
    # caches h_next instead of c_next
    h, c, gates, _ = _lstm(x_t, h_prev, c_prev, Wx, Wh, b)
    return h, c, (x_t, h_prev, c_prev, Wx, Wh, *gates, h)


def lsf_in_place(x_t, h_prev, c_prev, Wx, Wh, b):
    # right values, c_next written into the caller's c_prev
    h, c, gates, _ = _lstm(x_t, h_prev, c_prev, Wx, Wh, b)
    old = c_prev.copy()
    c_prev[...] = c
    return h, c_prev, (x_t, h_prev, old, Wx, Wh, *gates, c)


# lstm_step_backward
# da in [i, f, o, g]
lsb_order_ifoc = _step_bw("lsb_order_ifoc", order="ifoc")
# sigma' as 1 - s**2
lsb_gate_tanh_prime = _step_bw("lsb_gate_tanh_prime", prime="tanh")
# dc = dc_next only
lsb_no_dh_to_dc = _step_bw("lsb_no_dh_to_dc", dh_to_dc=False)
# no cell path back
lsb_dc_prev_zero = _step_bw("lsb_dc_prev_zero", dc_prev="zero")
# dc_prev = dc
lsb_dc_prev_no_f = _step_bw("lsb_dc_prev_no_f", dc_prev="no_f")
# 1 - c**2
lsb_c_prime_of_c = _step_bw("lsb_c_prime_of_c", c_prime="c")
# do = dh * c
lsb_do_no_tanh = _step_bw("lsb_do_no_tanh", do_tanh=False)


def lsb_db_not_summed(dh_next, dc_next, cache):
    # db per example, (N, 4H)
    grads = list(_lstm_back(dh_next, dc_next, cache))
    grads[5] = np.tile(grads[5] / dh_next.shape[0], (dh_next.shape[0], 1))
    return tuple(grads)


def lsb_in_place(dh_next, dc_next, cache):
    # right values, dc accumulated in the caller's dc_next
    x_t, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
    dc_next += dh_next * o * (1.0 - np.tanh(c) ** 2)
    return _lstm_back(dh_next, dc_next, cache, dh_to_dc=False)


# lstm_forward
def _lf(name, **wrong):
    def lstm_forward(x, h0, c0, Wx, Wh, b):
        return _lstm_seq(x, h0, c0, Wx, Wh, b, **wrong)

    lstm_forward.__name__ = lstm_forward.__qualname__ = name
    return lstm_forward


# every step from c0
lf_c_not_carried = _lf("lf_c_not_carried", carry_c=False)
# ignores c0
lf_zeros_c0 = _lf("lf_zeros_c0", use_c0=False)
# CS231n's order
lf_order_ifoc = _lf("lf_order_ifoc", order="ifoc")
# h = o * c_t
lf_output_on_c = _lf("lf_output_on_c", out="c")


def lf_first_c(x, h0, c0, Wx, Wh, b):
    # returns the cell state of the first step as c_T
    h, _, cache = _lstm_seq(x, h0, c0, Wx, Wh, b)
    return h, cache[0][9], cache


def lf_cache_reversed(x, h0, c0, Wx, Wh, b):
    # the step caches in reverse order
    h, c, cache = _lstm_seq(x, h0, c0, Wx, Wh, b)
    return h, c, cache[::-1]


def lf_all_c(x, h0, c0, Wx, Wh, b):
    # returns every cell state, (N, T, H), as c_T
    h, c, cache = _lstm_seq(x, h0, c0, Wx, Wh, b)
    return h, np.stack([s[9] for s in cache], axis=1), cache


# lstm_backward
def _lb(name, **wrong):
    def lstm_backward(dh, cache):
        return _lstm_bptt(dh, cache, **wrong)

    lstm_backward.__name__ = lstm_backward.__qualname__ = name
    return lstm_backward


# dc_prev dropped
lb_no_dc_carry = _lb("lb_no_dc_carry", carry_c=False)
# dh_prev dropped
lb_no_dh_carry = _lb("lb_no_dh_carry", carry_h=False)
# dW of the last step
lb_last_step_weights = _lb("lb_last_step_weights", last_only=True)
# da in [i, f, o, g]
lb_order_ifoc = _lb("lb_order_ifoc", order="ifoc")
# dc = dc_next only
lb_no_dh_to_dc = _lb("lb_no_dh_to_dc", dh_to_dc=False)


def lb_dc0_zero(dh, cache):
    # returns zeros for dc0
    grads = list(_lstm_bptt(dh, cache))
    grads[2] = np.zeros_like(grads[2])
    return tuple(grads)


def lb_in_place(dh, cache):
    # right values, dh_prev added into the caller's dh
    n, steps, h = dh.shape
    dx, total, dh_prev, dc_prev = [], None, np.zeros((n, h)), 0 * dh[:, 0]
    for t in reversed(range(steps)):
        dh[:, t] += dh_prev
        dx_t, dh_prev, dc_prev, *w = _lstm_back(dh[:, t], dc_prev, cache[t])
        dx.insert(0, dx_t)
        total = w if total is None else [a + b for a, b in zip(
            total, w, strict=True)]
    return (np.stack(dx, axis=1), dh_prev, dc_prev, *total)


# gru_step_forward
# textbook interpolation
gsf_swapped_z = _gru_fw("gsf_swapped_z", swap=True)
# (r * h_prev) Wh_h
gsf_reset_before = _gru_fw("gsf_reset_before", before=True)
# b[1] ignored
gsf_no_second_bias = _gru_fw("gsf_no_second_bias", b1=False)
# r * (h Wh_h) + b[1]_h
gsf_b1_outside = _gru_fw("gsf_b1_outside", b1_out=True)
# PyTorch's [r, z, n]
gsf_order_rzh = _gru_fw("gsf_order_rzh", order="rzh")
# z = tanh(...)
gsf_tanh_z = _gru_fw("gsf_tanh_z", z_act=np.tanh)


def gsf_cache_without_b1(x_t, h_prev, Wx, Wh, b):
    # caches h_prev Wh_h, without b[1]_h, as m_h
    h, (z, r, ht, m_h) = _gru(x_t, h_prev, Wx, Wh, b)
    H = h_prev.shape[1]
    return h, (x_t, h_prev, Wx, Wh, z, r, ht, m_h - b[1, 2 * H:])


def gsf_in_place(x_t, h_prev, Wx, Wh, b):
    # right values, written into the caller's h_prev
    h, parts = _gru(x_t, h_prev, Wx, Wh, b)
    old = h_prev.copy()
    h_prev[...] = h
    return h_prev, (x_t, old, Wx, Wh, *parts)


# gru_step_backward
# textbook interpolation
gsb_swapped_z = _gru_bw("gsb_swapped_z", swap=True)
# forgets dh * z
gsb_no_direct_path = _gru_bw("gsb_no_direct_path", direct=False)
# b[1] gets no gradient
gsb_db1_zero = _gru_bw("gsb_db1_zero", db1="zero")
# db[1] = db[0]
gsb_db1_as_db0 = _gru_bw("gsb_db1_as_db0", db1="same")
# dm_h = da_h
gsb_no_r_in_dm = _gru_bw("gsb_no_r_in_dm", r_in=False)
# dr from h_prev Wh_h
gsb_m_without_b1 = _gru_bw("gsb_m_without_b1", m_from_cache=False)
# db of shape (3H,)
gsb_db_summed = _gru_bw("gsb_db_summed", db="sum")


def gsb_in_place(dh_next, cache):
    # right values, dh_next scaled in place
    grads = _gru_back(dh_next.copy(), cache)
    dh_next *= 0.0
    return grads


# gru_forward
def _gf(name, **wrong):
    def gru_forward(x, h0, Wx, Wh, b):
        return _gru_seq(x, h0, Wx, Wh, b, **wrong)

    gru_forward.__name__ = gru_forward.__qualname__ = name
    return gru_forward


# textbook interpolation
gf_swapped_z = _gf("gf_swapped_z", swap=True)
# (r * h_prev) Wh_h
gf_reset_before = _gf("gf_reset_before", before=True)
# b[1] ignored
gf_no_second_bias = _gf("gf_no_second_bias", b1=False)
# ignores h0
gf_zeros_h0 = _gf("gf_zeros_h0", use_h0=False)


def gf_cache_last_only(x, h0, Wx, Wh, b):
    # keeps only the cache of the last step
    h, cache = _gru_seq(x, h0, Wx, Wh, b)
    return h, cache[-1:]


# parameter counts
def cl_one_bias(D, H):
    # 4 (D H + H^2) + H: one bias vector for the four gates
    return 4 * (D * H + H * H) + H


def cl_no_bias(D, H):
    # 4 (D H + H^2)
    return 4 * (D * H + H * H)


def cl_simple_rnn(D, H):
    # the SimpleRNN count
    return D * H + H * H + H


def cl_float(D, H):
    # right number, as a float
    return 4.0 * (D * H + H * H + H)


def cg_one_bias_row(D, H):
    # 3 (D H + H^2 + H): reset_after=False, or b[1] forgotten
    return 3 * (D * H + H * H + H)


def cg_no_bias(D, H):
    # 3 (D H + H^2)
    return 3 * (D * H + H * H)


def cg_lstm(D, H):
    # the LSTM count
    return 4 * (D * H + H * H + H)


MUTANTS = {
    "lstm_step_forward": [
        lsf_order_ifoc, lsf_tanh_forget, lsf_tanh_gates,
        lsf_sigmoid_candidate, lsf_output_on_c, lsf_no_bias,
        lsf_cache_preactivations, lsf_cache_h_last, lsf_in_place,
    ],
    "lstm_step_backward": [
        lsb_order_ifoc, lsb_gate_tanh_prime, lsb_no_dh_to_dc,
        lsb_dc_prev_zero, lsb_dc_prev_no_f, lsb_c_prime_of_c,
        lsb_do_no_tanh, lsb_db_not_summed, lsb_in_place,
    ],
    "lstm_forward": [
        lf_c_not_carried, lf_zeros_c0, lf_order_ifoc, lf_output_on_c,
        lf_first_c, lf_cache_reversed, lf_all_c,
    ],
    "lstm_backward": [
        lb_no_dc_carry, lb_no_dh_carry, lb_last_step_weights,
        lb_order_ifoc, lb_no_dh_to_dc, lb_dc0_zero, lb_in_place,
    ],
    "gru_step_forward": [
        gsf_swapped_z, gsf_reset_before, gsf_no_second_bias,
        gsf_b1_outside, gsf_order_rzh, gsf_tanh_z, gsf_cache_without_b1,
        gsf_in_place,
    ],
    "gru_step_backward": [
        gsb_swapped_z, gsb_no_direct_path, gsb_db1_zero, gsb_db1_as_db0,
        gsb_no_r_in_dm, gsb_m_without_b1, gsb_db_summed, gsb_in_place,
    ],
    "gru_forward": [
        gf_swapped_z, gf_reset_before, gf_no_second_bias, gf_zeros_h0,
        gf_cache_last_only,
    ],
    "count_lstm_params": [cl_one_bias, cl_no_bias, cl_simple_rnn, cl_float],
    "count_gru_params": [cg_one_bias_row, cg_no_bias, cg_lstm],
}

#: A piece of the English message expected for each mutant: the hint it
#: needs, or the check that catches it.
EXPECTED_HINT = {
    "lsf_order_ifoc": "the order [i, f, c, o]",
    "lsf_tanh_forget": "use the sigmoid",
    "lsf_tanh_gates": "use the sigmoid",
    "lsf_sigmoid_candidate": "not a sigmoid",
    "lsf_output_on_c": "h_t = o * tanh(c_t)",
    "lsf_no_bias": "forget the bias b",
    "lsf_cache_preactivations": "cache[5] must be i",
    "lsf_cache_h_last": "cache[9] must be c_next",
    "lsf_in_place": "modified its argument `c_prev` in place",
    "lsb_order_ifoc": "the order [i, f, c, o]",
    "lsb_gate_tanh_prime": "sigma' = sigma (1 - sigma)",
    "lsb_no_dh_to_dc": "also reaches the loss through h_t",
    "lsb_dc_prev_zero": "dc_prev = dc * f",
    "lsb_dc_prev_no_f": "dc_prev = dc * f",
    "lsb_c_prime_of_c": "square tanh(c_t)",
    "lsb_do_no_tanh": "do = dh_next * tanh(c_t)",
    "lsb_db_not_summed": "db has the shape of b",
    "lsb_in_place": "modified its argument `dc_next` in place",
    "lf_c_not_carried": "The cell state must be carried",
    "lf_zeros_c0": "The cell state must be carried",
    "lf_order_ifoc": "the order [i, f, c, o]",
    "lf_output_on_c": "h_t = o * tanh(c_t)",
    "lf_first_c": "c_T does not match",
    "lf_cache_reversed": "cache[0] is not the cache of step 0",
    "lf_all_c": "c_T is the last cell state only",
    "lb_no_dc_carry": "The cell path carries gradient back too",
    "lb_no_dh_carry": "Did you add dh_prev from the later step?",
    "lb_last_step_weights": "add up over the steps",
    "lb_order_ifoc": "the order [i, f, c, o]",
    "lb_no_dh_to_dc": "also reaches the loss through h_t",
    "lb_dc0_zero": "dc0 does not match",
    "lb_in_place": "modified its argument `dh` in place",
    "gsf_swapped_z": "Some textbooks",
    "gsf_reset_before": "after the recurrent product",
    "gsf_no_second_bias": "Did you forget b[1]?",
    "gsf_b1_outside": "b[1]_h belongs inside the reset",
    "gsf_order_rzh": "the order [z, r, h]",
    "gsf_tanh_z": "h_next does not match",
    "gsf_cache_without_b1": "cache[7] must be m_h",
    "gsf_in_place": "modified its argument `h_prev` in place",
    "gsb_swapped_z": "Some textbooks",
    "gsb_no_direct_path": "reaches h_t directly too",
    "gsb_db1_zero": "Did you forget b[1]?",
    "gsb_db1_as_db0": "db[1] is the gradient of the recurrent bias",
    "gsb_no_r_in_dm": "is multiplied by r",
    "gsb_m_without_b1": "does not match",
    "gsb_db_summed": "db has the shape of b, (2, 3H)",
    "gsb_in_place": "modified its argument `dh_next` in place",
    "gf_swapped_z": "Some textbooks",
    "gf_reset_before": "after the recurrent product",
    "gf_no_second_bias": "Did you forget b[1]?",
    "gf_zeros_h0": "do not depend on h0",
    "gf_cache_last_only": "must be the list of the T caches",
    "cl_one_bias": "its own bias",
    "cl_no_bias": "forget the bias b, (4H,)",
    "cl_simple_rnn": "That is a SimpleRNN",
    "cl_float": "must return an int",
    "cg_one_bias_row": "two bias rows",
    "cg_no_bias": "forget the bias b, (2, 3H)",
    "cg_lstm": "That is an LSTM",
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
    message = suite.failure(check_of("gru_step_forward"), gsf_swapped_z,
                            "es")
    assert "no coincide con el valor esperado" in message
    assert "Algunos libros de texto" in message


def test_a_hint_is_never_given_for_a_right_value():
    # A "mistake" that equals the expected value is never named.
    expected = np.ones(3)
    wrong = _common.distinct(lambda: np.ones(3) + 1e-9, expected)
    assert wrong() is None
    assert _common.distinct(lambda: 2 * np.ones(3), expected)() is not None


# ------------------------------------------- broken or hostile submissions


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("broken", suite.BROKEN_SUBMISSIONS)
def test_broken_submission_fails(name, broken):
    suite.assert_broken_fails(check_of(name), broken)


def test_not_a_function_fails():
    suite.assert_not_a_function_fails(ch04.check_lstm_backward)


def test_unknown_language_is_an_error(ref_en):
    suite.assert_unknown_language_is_an_error(
        ch04.check_lstm_backward, ref_en["lstm_backward"],
    )


def test_checks_leave_global_state_alone(ref_en):
    suite.assert_global_state_unchanged(
        suite.every_check(check_of, FUNCTIONS, ref_en),
    )


# ------------------------------------------------- the notebooks themselves


@pytest.mark.parametrize("lang", suite.LANGS)
def test_solution_notebook_passes_validate(lang):
    suite.validate_notebook(notebook_path(SLUG, lang))
