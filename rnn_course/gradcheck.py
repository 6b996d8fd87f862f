"""Numerical gradient checks: centred finite differences in float64.

Typical use, for a layer ``forward(x, W) -> out``::

    dout = rng.standard_normal(out.shape)
    numeric = numerical_gradient(lambda W: forward(x, W), W, dout)
    relative_error(analytic_dW, numeric)   # far below 1e-6 when correct

The tolerance of the course is :data:`RTOL_FLOAT64`, 1e-6: the hidden
checks accept a result whose relative error to an independent float64
oracle is at most that (``hidden_checks._common.RTOL``, the same value).
"""

import numpy as np

#: Largest relative error the course accepts, for values and gradients
#: alike. A correct float64 gradient is usually ~1e-10 from the centred
#: differences; a conceptual mistake is far above 1e-6.
RTOL_FLOAT64 = 1e-6

#: Step of the centred differences (float64).
STEP = 1e-5


def numerical_gradient(f, x, dout=None, h=STEP):
    """Gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    Uses centred differences, ``(f(x + h) - f(x - h)) / 2h``, one entry
    of ``x`` at a time. ``x`` is perturbed in place and restored.

    Parameters
    ----------
    f : callable
        Function of ``x`` returning a scalar or an array.
    x : np.ndarray of float64, any shape
        Point at which to differentiate. Must be float64: in float32 the
        differences drown in rounding error.
    dout : np.ndarray, optional
        Upstream gradient dL/df(x), same shape as ``f(x)``; ``None``
        means ``f`` returns the scalar loss itself.
    h : float
        Step of the differences.

    Returns
    -------
    np.ndarray of float64, same shape as ``x``
        dL/dx.
    """
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient needs float64 input, got {x.dtype}; "
            "float32 differences are dominated by rounding error"
        )
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        plus = np.asarray(f(x), dtype=np.float64)
        x[i] = saved - h
        minus = np.asarray(f(x), dtype=np.float64)
        x[i] = saved
        diff = plus - minus if dout is None else (plus - minus) * dout
        grad[i] = np.sum(diff) / (2 * h)
    return grad


def relative_error(a, b):
    """Relative error ``||a - b|| / (||a|| + ||b||)`` of two arrays.

    The norm-wise form is used because an elementwise ratio blows up on
    entries that are exactly zero in one array and rounding noise in the
    other.

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
        0 for identical arrays; 1 when one of them is zero and the other
        is not; below :data:`RTOL_FLOAT64` for a correct gradient.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def gradient_check(loss, params, grads, h=STEP):
    """Relative error of every analytic gradient against centred differences.

    Parameters
    ----------
    loss : callable
        ``loss(params) -> float``, reading the arrays of ``params``.
    params : dict of str to np.ndarray of float64
        The inputs and weights, perturbed in place one entry at a time.
    grads : dict of str to np.ndarray
        The analytic gradient of each name in ``params`` to check.
    h : float
        Step of the differences.

    Returns
    -------
    dict of str to float
        Relative error per parameter; compare with :data:`RTOL_FLOAT64`.
    """
    errors = {}
    for name, analytic in grads.items():
        numeric = numerical_gradient(lambda _: loss(params), params[name], h=h)
        errors[name] = relative_error(analytic, numeric)
    return errors
