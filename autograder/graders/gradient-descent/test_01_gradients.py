"""Hidden graders for 01-gradients.ipynb: gradients with autograd.

Every input is drawn from the `rng` fixture, so a run is fresh but replayable
from the grading seed. Expected values are computed here, in the trusted
process, from analytic formulas; nothing the student's code reports is taken
on trust.

Unmarked tests are *core* checks (the right values): one failed, the problem earns
0. `@contract(w)` tests check the side rules of the contract (form of the result, no
mutation); each failed one costs the share w of the points (docs/graders.md).
"""

import torch
from grader_helpers import (
    assert_close,
    assert_keeps_graph,
    is_tensor,
    kind,
    randint,
    unchanged,
)

from autograder.grading import contract, info, problem, requires


def _random_floats(rng, k, scale=5.0):
    """k random Python floats, some negative, away from zero."""
    vals = (torch.rand(k, generator=rng, dtype=torch.float64) * 2 - 1) * scale
    # keep them away from 0 so that "returned x instead of 2x" cannot pass by luck
    vals = torch.where(vals.abs() < 0.5, vals + 1.0, vals)
    return [round(float(v), 4) for v in vals]


def _sign(rng):
    return -1.0 if randint(rng, 0, 1) else 1.0


# ---------------------------------------------------------------- grad_of_square


@requires(r"compute its square and backpropagate")
@problem("grad_of_square")
def test_grad_of_square_values(student, rng):
    for x0 in _random_floats(rng, 4):
        assert_close(student.grad_of_square(x0), torch.tensor(2 * x0),
                     f"grad_of_square({x0}), the derivative of x**2 at {x0}, is 2*{x0}",
                     rtol=1e-5, atol=1e-5)


@requires(r"compute its square and backpropagate")
@problem("grad_of_square")
def test_grad_of_square_large_and_fractional(student, rng):
    x0 = round(_sign(rng) * float(torch.empty((), dtype=torch.float64)
                                  .uniform_(50.0, 500.0, generator=rng)), 3)
    assert_close(student.grad_of_square(x0), torch.tensor(2 * x0),
                 f"grad_of_square({x0}) is 2*x0", rtol=1e-5, atol=1e-3)


@contract(0.25)  # the form of the result: a 0-dim float tensor
@requires(r"return the gradient, a 0-dim tensor")
@problem("grad_of_square")
def test_grad_of_square_is_0dim_float_tensor(student, rng):
    got = student.grad_of_square(_random_floats(rng, 1)[0])
    assert is_tensor(got), f"grad_of_square should return a tensor (x.grad), got {kind(got)}"
    assert got.dim() == 0, (
        f"grad_of_square should return a 0-dim tensor (the gradient of a scalar tensor), "
        f"got a tensor of shape {tuple(got.shape)}")
    assert got.is_floating_point(), (
        f"grad_of_square should return a floating-point tensor, got dtype {got.dtype}")


# ---------------------------------------------------------------- sum_of_squares


@requires(r"returns $\sum_i x_i^2$ over **all** elements of `x` (any shape)")
@problem("sum_of_squares")
def test_sum_of_squares_value(student, rng):
    n = randint(rng, 2, 12)
    x = torch.randn(n, generator=rng) * 3
    assert_close(student.sum_of_squares(x), (x.double() ** 2).sum(),
                 f"sum_of_squares of a random tensor of length {n} should be the sum of its "
                 "squared entries", rtol=1e-5, atol=1e-4)


@requires(r"returns $\sum_i x_i^2$ over **all** elements of `x` (any shape)")
@problem("sum_of_squares")
def test_sum_of_squares_2d(student, rng):
    shape = (randint(rng, 2, 5), randint(rng, 2, 5))
    x = torch.randn(*shape, generator=rng) * 2
    assert_close(student.sum_of_squares(x), (x.double() ** 2).sum(),
                 f"sum_of_squares of a 2-d tensor of shape {shape} should be one number, the "
                 "sum of all squared entries", rtol=1e-5, atol=1e-4)


@requires(r"It must keep the autograd graph")
@problem("sum_of_squares")
def test_sum_of_squares_keeps_graph(student, rng):
    n = randint(rng, 2, 12)
    x = torch.randn(n, generator=rng).requires_grad_()
    assert_keeps_graph(student.sum_of_squares(x), "sum_of_squares", "x requires grad")


@contract(0.25)  # the form of the result
@requires(r"as a 0-dim tensor")
@problem("sum_of_squares")
def test_sum_of_squares_is_0dim(student, rng):
    got = student.sum_of_squares(torch.randn(randint(rng, 2, 12), generator=rng))
    assert is_tensor(got) and got.dim() == 0, (
        f"sum_of_squares should return a 0-dim tensor, got {kind(got)}")


@contract(0.25)  # no mutation of inputs
@requires(r"Leave `x` itself unchanged.")
@problem("sum_of_squares")
def test_sum_of_squares_does_not_modify_input(student, rng):
    x = torch.randn(randint(rng, 2, 12), generator=rng)
    unchanged(student.call("sum_of_squares", x).args, [x], "sum_of_squares", ["x"])


# ---------------------------------------------------------------- gradient


def _check_grad(got, exp, what):
    scale = float(exp.abs().max()) + 1.0
    assert_close(got, exp, f"gradient of {what} at a random x", rtol=1e-4, atol=1e-5 * scale)


@requires(r"returns $\nabla f(x)$, computed by autograd")
@problem("gradient")
def test_gradient_of_cube(student, rng):
    x = torch.randn(randint(rng, 2, 8), generator=rng) * 2
    got = student.gradient(student.function("lambda x: (x ** 3).sum()"), x)
    _check_grad(got, 3 * x.double() ** 2, "f(x) = (x**3).sum(), which is 3*x**2,")


@requires(r"returns $\nabla f(x)$, computed by autograd")
@problem("gradient")
def test_gradient_of_x_sin_x(student, rng):
    x = torch.randn(randint(rng, 2, 8), generator=rng) * 2
    got = student.gradient(student.function("lambda x: (x.sin() * x).sum()"), x)
    xd = x.double()
    _check_grad(got, xd.sin() + xd * xd.cos(),
                "f(x) = (x.sin() * x).sum(), which is sin(x) + x*cos(x),")


@requires(r"returns $\nabla f(x)$, computed by autograd")
@problem("gradient")
def test_gradient_of_sum_of_squares(student, rng):
    # The grader's own f, not the student's sum_of_squares: a broken or hanging
    # sum_of_squares must cost its own problem only.
    x = torch.randn(randint(rng, 2, 8), generator=rng) * 3
    got = student.gradient(student.function("lambda x: (x ** 2).sum()"), x)
    _check_grad(got, 2 * x.double(), "the sum of squares, which is 2*x,")


@requires(r"with the same shape as `x`")
@problem("gradient")
def test_gradient_same_shape_2d(student, rng):
    shape = (randint(rng, 2, 4), randint(rng, 2, 4))
    x = torch.randn(*shape, generator=rng)
    f = student.function(
        "lambda x: (x ** 2 * torch.arange(1, x.numel() + 1).reshape(x.shape)).sum()")
    got = student.gradient(f, x)
    w = torch.arange(1, x.numel() + 1, dtype=torch.float64).reshape(shape)
    _check_grad(got, 2 * w * x.double(), f"a weighted sum of squares on a {shape} tensor")


@contract(0.25)  # the form of the result: x's shape
@requires(r"with the same shape as `x`")
@problem("gradient")
def test_gradient_has_the_shape_of_x(student, rng):
    shape = (randint(rng, 2, 4), randint(rng, 2, 4))
    got = student.gradient(student.function("lambda x: (x ** 2).sum()"),
                           torch.randn(*shape, generator=rng))
    assert is_tensor(got) and tuple(got.shape) == shape, (
        f"gradient should return a tensor with the shape of x, {shape}; got {kind(got)}")


@contract(0.25)  # a detached result
@requires(r"the returned tensor does **not** require grad")
@problem("gradient")
def test_gradient_result_does_not_require_grad(student, rng):
    x = torch.randn(randint(rng, 2, 8), generator=rng).requires_grad_()
    got = student.gradient(student.function("lambda x: (x ** 3).sum()"), x)
    assert is_tensor(got) and not info(got).requires_grad, (
        "the tensor returned by gradient should not require grad (return the gradient "
        "values, detached from any autograd graph)")


def _check_caller_x_untouched(call, x, requires_grad):
    after = call.args[1]
    i = info(after)
    assert torch.equal(after, x), "gradient must not change the values of the caller's x"
    assert i.requires_grad == requires_grad, (
        f"gradient must leave the caller's x as it was: x.requires_grad was {requires_grad} "
        f"before the call and {i.requires_grad} after (work on a copy, e.g. "
        f"x.detach().clone().requires_grad_())")
    assert i.is_leaf, "gradient must leave the caller's x a leaf tensor"
    assert i.grad is None, (
        "gradient must not touch the caller's x.grad: it was None before the call and was "
        "set afterwards (backpropagate through a copy of x instead)")


@contract(0.25)  # no mutation of inputs
@requires(
    r"the caller's `x` is left alone: same values, same `requires_grad`, and its `.grad` untouched",
)
@problem("gradient")
def test_gradient_leaves_x_untouched_when_x_requires_grad(student, rng):
    x = torch.randn(randint(rng, 2, 8), generator=rng).requires_grad_()
    call = student.call("gradient", student.function("lambda x: (x ** 3).sum()"), x)
    _check_caller_x_untouched(call, x.detach(), True)


@contract(0.25)  # no mutation of inputs
@requires(
    r"the caller's `x` is left alone: same values, same `requires_grad`, and its `.grad` untouched",
)
@problem("gradient")
def test_gradient_leaves_x_untouched_when_x_does_not_require_grad(student, rng):
    x = torch.randn(randint(rng, 2, 8), generator=rng)
    call = student.call("gradient", student.function("lambda x: (x.sin() * x).sum()"), x)
    _check_caller_x_untouched(call, x, False)
