"""Hidden graders for 01-gradients.ipynb: gradients with autograd.

Every input is drawn from the `rng` fixture, so a run is fresh but replayable
from the grading seed. Expected values are computed here, in the trusted
process, from analytic formulas; nothing the student's code reports is taken
on trust.
"""

import torch

from autograder.grading import info, problem


def _randint(rng, low, high):
    """A random int in [low, high] (inclusive), drawn from the test's generator."""
    return int(torch.randint(low, high + 1, (), generator=rng))


def _random_floats(rng, k, scale=5.0):
    """k random Python floats, some negative, away from zero."""
    vals = (torch.rand(k, generator=rng, dtype=torch.float64) * 2 - 1) * scale
    # keep them away from 0 so that "returned x instead of 2x" cannot pass by luck
    vals = torch.where(vals.abs() < 0.5, vals + 1.0, vals)
    return [round(float(v), 4) for v in vals]


def _close(got, exp, rtol=1e-5, atol=1e-5):
    return torch.allclose(got.double(), exp.double(), rtol=rtol, atol=atol)


def _is_tensor(v):
    return isinstance(v, torch.Tensor)


# ---------------------------------------------------------------- grad_of_square


@problem("grad_of_square")
def test_grad_of_square_values(student, rng):
    for x0 in _random_floats(rng, 4):
        got = student.grad_of_square(x0)
        assert _is_tensor(got), (
            f"grad_of_square({x0}) should return a tensor (the gradient), "
            f"got a {type(got).__name__}"
        )
        exp = torch.tensor(2 * x0, dtype=torch.float64)
        assert _close(got, exp), (
            f"grad_of_square({x0}): the derivative of x**2 at {x0} is 2*{x0} = {2 * x0:.4f}, "
            f"got {got.double().reshape(-1).tolist()}"
        )


@problem("grad_of_square")
def test_grad_of_square_large_and_fractional(student, rng):
    x0 = round(float(torch.empty((), dtype=torch.float64).uniform_(50.0, 500.0, generator=rng)), 3)
    x0 = -x0 if _randint(rng, 0, 1) else x0
    got = student.grad_of_square(x0)
    assert _is_tensor(got), f"grad_of_square should return a tensor, got a {type(got).__name__}"
    exp = torch.tensor(2 * x0, dtype=torch.float64)
    assert _close(got, exp, rtol=1e-5, atol=1e-3), (
        f"grad_of_square({x0}) should be 2*x0 = {2 * x0:.3f}, "
        f"got {got.double().reshape(-1).tolist()}"
    )


@problem("grad_of_square")
def test_grad_of_square_is_0dim_float_tensor(student, rng):
    x0 = _random_floats(rng, 1)[0]
    got = student.grad_of_square(x0)
    assert _is_tensor(got), f"grad_of_square should return a tensor, got a {type(got).__name__}"
    assert got.dim() == 0, (
        f"grad_of_square should return a 0-dim tensor (the gradient of a scalar tensor), "
        f"got a tensor of shape {tuple(got.shape)}"
    )
    assert got.is_floating_point(), (
        f"grad_of_square should return a floating-point tensor, got dtype {got.dtype}"
    )


# ---------------------------------------------------------------- sum_of_squares


@problem("sum_of_squares")
def test_sum_of_squares_value(student, rng):
    n = _randint(rng, 2, 12)
    x = torch.randn(n, generator=rng) * 3
    got = student.sum_of_squares(x)
    assert _is_tensor(got), f"sum_of_squares should return a tensor, got a {type(got).__name__}"
    exp = (x.double() ** 2).sum()
    assert got.numel() == 1 and _close(got.reshape(()), exp, rtol=1e-5, atol=1e-4), (
        f"sum_of_squares of a random tensor of length {n} should be the sum of its squared "
        f"entries, {exp.item():.4f}; got {got.double().reshape(-1).tolist()}"
    )


@problem("sum_of_squares")
def test_sum_of_squares_is_0dim(student, rng):
    n = _randint(rng, 2, 12)
    x = torch.randn(n, generator=rng)
    got = student.sum_of_squares(x)
    assert _is_tensor(got), f"sum_of_squares should return a tensor, got a {type(got).__name__}"
    assert got.dim() == 0, (
        f"sum_of_squares should return a 0-dim tensor, got shape {tuple(got.shape)}"
    )


@problem("sum_of_squares")
def test_sum_of_squares_keeps_graph(student, rng):
    n = _randint(rng, 2, 12)
    x = torch.randn(n, generator=rng).requires_grad_()
    got = student.sum_of_squares(x)
    assert _is_tensor(got), f"sum_of_squares should return a tensor, got a {type(got).__name__}"
    i = info(got)
    assert i.has_grad_fn and i.requires_grad, (
        "when x requires grad, sum_of_squares(x) should keep the autograd graph (have a "
        "grad_fn) so that .backward() can be called on it; the returned tensor had none "
        "(did you use .item(), .detach(), torch.tensor(...) or torch.no_grad()?)"
    )


@problem("sum_of_squares")
def test_sum_of_squares_2d(student, rng):
    shape = (_randint(rng, 2, 5), _randint(rng, 2, 5))
    x = torch.randn(*shape, generator=rng) * 2
    got = student.sum_of_squares(x)
    assert _is_tensor(got), f"sum_of_squares should return a tensor, got a {type(got).__name__}"
    exp = (x.double() ** 2).sum()
    assert got.dim() == 0 and _close(got, exp, rtol=1e-5, atol=1e-4), (
        f"sum_of_squares of a 2-d tensor of shape {shape} should be one number, the sum of "
        f"all squared entries, {exp.item():.4f}; got shape {tuple(got.shape)} with values "
        f"{got.double().reshape(-1).tolist()[:6]}"
    )


@problem("sum_of_squares")
def test_sum_of_squares_does_not_modify_input(student, rng):
    n = _randint(rng, 2, 12)
    x = torch.randn(n, generator=rng)
    call = student.call("sum_of_squares", x)
    assert torch.equal(call.args[0], x), (
        "sum_of_squares must not modify the tensor passed in; its values changed"
    )


# ---------------------------------------------------------------- gradient


def _check_grad(got, exp, what, shape):
    assert _is_tensor(got), f"gradient should return a tensor, got a {type(got).__name__}"
    assert tuple(got.shape) == tuple(shape), (
        f"gradient of {what} should have the same shape as x, {tuple(shape)}; "
        f"got {tuple(got.shape)}"
    )
    scale = float(exp.abs().max()) + 1.0
    assert _close(got, exp, rtol=1e-4, atol=1e-5 * scale), (
        f"gradient of {what} at a random x is wrong: expected "
        f"{[round(v, 4) for v in exp.reshape(-1).tolist()]}, "
        f"got {[round(v, 4) for v in got.double().reshape(-1).tolist()]}"
    )


@problem("gradient")
def test_gradient_of_cube(student, rng):
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng) * 2
    f = student.function("lambda x: (x ** 3).sum()")
    got = student.gradient(f, x)
    _check_grad(got, 3 * x.double() ** 2, "f(x) = (x**3).sum(), which is 3*x**2,", x.shape)


@problem("gradient")
def test_gradient_of_x_sin_x(student, rng):
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng) * 2
    f = student.function("lambda x: (x.sin() * x).sum()")
    got = student.gradient(f, x)
    xd = x.double()
    exp = xd.sin() + xd * xd.cos()
    _check_grad(got, exp, "f(x) = (x.sin() * x).sum(), which is sin(x) + x*cos(x),", x.shape)


@problem("gradient")
def test_gradient_of_sum_of_squares(student, rng):
    # The grader's own f, not the student's sum_of_squares: a broken or hanging
    # sum_of_squares must cost its own problem only.
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng) * 3
    got = student.gradient(student.function("lambda x: (x ** 2).sum()"), x)
    _check_grad(got, 2 * x.double(), "the sum of squares, which is 2*x,", x.shape)


@problem("gradient")
def test_gradient_same_shape_2d(student, rng):
    shape = (_randint(rng, 2, 4), _randint(rng, 2, 4))
    x = torch.randn(*shape, generator=rng)
    f = student.function(
        "lambda x: (x ** 2 * torch.arange(1, x.numel() + 1).reshape(x.shape)).sum()"
    )
    got = student.gradient(f, x)
    w = torch.arange(1, x.numel() + 1, dtype=torch.float64).reshape(shape)
    _check_grad(got, 2 * w * x.double(), f"a weighted sum of squares on a {shape} tensor",
                shape)


@problem("gradient")
def test_gradient_result_does_not_require_grad(student, rng):
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng).requires_grad_()
    f = student.function("lambda x: (x ** 3).sum()")
    got = student.gradient(f, x)
    _check_grad(got, 3 * x.detach().double() ** 2, "(x**3).sum()", x.shape)
    assert not info(got).requires_grad, (
        "the tensor returned by gradient should not require grad (return the gradient "
        "values, detached from any autograd graph)"
    )


def _check_caller_x_untouched(call, x, requires_grad):
    after = call.args[1]
    i = info(after)
    assert torch.equal(after, x), "gradient must not change the values of the caller's x"
    assert i.requires_grad == requires_grad, (
        f"gradient must leave the caller's x as it was: x.requires_grad was {requires_grad} "
        f"before the call and {i.requires_grad} after (work on a copy, e.g. "
        f"x.detach().clone().requires_grad_())"
    )
    assert i.is_leaf, "gradient must leave the caller's x a leaf tensor"
    assert i.grad is None, (
        "gradient must not touch the caller's x.grad: it was None before the call and was "
        "set afterwards (backpropagate through a copy of x instead)"
    )


@problem("gradient")
def test_gradient_leaves_x_untouched_when_x_requires_grad(student, rng):
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng).requires_grad_()
    f = student.function("lambda x: (x ** 3).sum()")
    call = student.call("gradient", f, x)
    _check_grad(call.value, 3 * x.detach().double() ** 2, "(x**3).sum()", x.shape)
    _check_caller_x_untouched(call, x.detach(), True)


@problem("gradient")
def test_gradient_leaves_x_untouched_when_x_does_not_require_grad(student, rng):
    n = _randint(rng, 2, 8)
    x = torch.randn(n, generator=rng)
    f = student.function("lambda x: (x.sin() * x).sum()")
    call = student.call("gradient", f, x)
    xd = x.double()
    _check_grad(call.value, xd.sin() + xd * xd.cos(), "(x.sin() * x).sum()", x.shape)
    _check_caller_x_untouched(call, x, False)
