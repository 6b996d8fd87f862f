"""The numerical gradient checker of the package."""

import numpy as np
import pytest

from rnn_course.gradcheck import (
    RTOL_FLOAT64,
    gradient_check,
    numerical_gradient,
    relative_error,
)


def test_numerical_gradient_of_a_known_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    numeric = numerical_gradient(lambda x: np.sum(np.sin(x) * x), x)
    assert relative_error(numeric, np.cos(x) * x + np.sin(x)) < RTOL_FLOAT64


def test_numerical_gradient_with_upstream_gradient():
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 5))
    dout = rng.standard_normal((2, 5))
    numeric = numerical_gradient(lambda W: x @ W, W, dout)
    assert relative_error(numeric, x.T @ dout) < RTOL_FLOAT64


def test_numerical_gradient_restores_its_input():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    numerical_gradient(lambda x: np.sum(x**2), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))


def test_relative_error_scale():
    a = np.array([1.0, 2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, np.zeros(3)) == 1.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert 0 < relative_error(a, a * (1 + 1e-9)) < RTOL_FLOAT64
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


def test_gradient_check_flags_a_wrong_gradient():
    rng = np.random.default_rng(2)
    params = {"x": rng.standard_normal((4, 3)), "W": rng.standard_normal(3)}

    def loss(p):
        return float(np.sum(np.tanh(p["x"] @ p["W"])))

    t = 1 - np.tanh(params["x"] @ params["W"]) ** 2
    right = {"x": np.outer(t, params["W"]), "W": params["x"].T @ t}
    wrong = {"x": right["x"], "W": params["x"].T @ np.ones(4)}
    errors = gradient_check(loss, params, right)
    assert max(errors.values()) < RTOL_FLOAT64
    assert gradient_check(loss, params, wrong)["W"] > 1e-2
