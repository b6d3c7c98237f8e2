"""Hidden graders for 03-linear-regression.ipynb: linear regression by (S)GD.

The data for fitting are made here, from the `rng` fixture, never by the
student's make_linear_data. Expected values come from the grader's own
float64 gradient-descent trajectory and from torch.linalg.lstsq; losses of the
returned parameters are recomputed here rather than trusted.

Unmarked tests are *core* checks (the right data, predictions, trajectory, fit): one
failed, the problem earns 0. `@contract(w)` tests check the side rules (shapes, dtypes,
detached results, default arguments, no mutation, determinism under a seed); each
failed one costs the share w of the points (docs/graders.md). The fits run with the
reference `linear_model` in place of the student's, so each is judged on its own code.
"""

import math

import pytest
import torch
from grader_helpers import (
    all_python_floats,
    apart,
    as_floats,
    assert_close,
    assert_keeps_graph,
    assert_losses_match,
    is_tensor,
    kind,
    numbers,
    randint,
    unchanged,
    uniform,
)

from autograder.grading import attach, contract, info, problem, requires

# --------------------------------------------------------------------- helpers


def _grader_data(rng, n_min=80, n_max=150, d_min=2, d_max=4, noise_max=0.3,
                 intercept_sign=0):
    """Well-conditioned regression data made by the grader; INTERCEPT_SIGN -1 or 1: the
    true intercept has that sign, at least 0.3 away from 0, on every seed."""
    n = randint(rng, n_min, n_max)
    d = randint(rng, d_min, d_max)
    X = torch.randn(n, d, generator=rng)
    theta = torch.randn(d, generator=rng)
    theta0 = torch.randn((), generator=rng)
    if intercept_sign:
        theta0 = intercept_sign * (theta0.abs() + 0.3)
    noise = uniform(rng, 0.05, noise_max)
    y = X @ theta + theta0 + noise * torch.randn(n, generator=rng)
    return X, y


def _mse(X, y, theta, theta0):
    r = X.double() @ theta.double().reshape(-1) + theta0.double().reshape(()) - y.double()
    return float((r**2).mean())


def _gd(X, y, lr, n_steps):
    """Full-batch GD on the MSE from zeros, in float64: losses before each step, final params."""
    Xd, yd = X.double(), y.double()
    n, d = Xd.shape
    w, b = torch.zeros(d, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    losses = []
    for _ in range(n_steps):
        r = Xd @ w + b - yd
        losses.append(float((r**2).mean()))
        w, b = w - lr * 2.0 / n * (Xd.T @ r), b - lr * 2.0 * r.mean()
    return losses, w, b


def _lstsq(X, y):
    Xd = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    sol = torch.linalg.lstsq(Xd, y.double().unsqueeze(1), driver="gelsd").solution.squeeze(1)
    return sol[:-1], sol[-1]


def _unpack_fit(value, fname, d):
    """(theta, theta0, losses) from a fit, as flat float64 values and floats; the exact
    form (shapes, detached, Python floats) is left to the contract checks."""
    assert isinstance(value, (tuple, list)) and len(value) == 3, (
        f"{fname} should return a tuple (theta, theta0, losses), got {kind(value)}")
    theta, theta0, losses = value
    theta = numbers(theta, f"{fname}: theta")
    assert theta.numel() == d, (
        f"{fname}: theta should hold {d} values (one per column of X), got {theta.numel()}")
    theta0 = numbers(theta0, f"{fname}: theta0")
    assert theta0.numel() == 1, f"{fname}: theta0 should be one number, got {theta0.numel()}"
    return theta, theta0.reshape(()), as_floats(losses, fname)


_LATER = ("The first loss (at all-zero parameters) is right, so the steps go wrong: check "
          "the update and that the gradients are reset after each step.")
_FIRST = "It should be the mean squared error at all-zero parameters."


def _assert_near_lstsq(theta, theta0, X, y, fname, atol, rtol):
    w, b = _lstsq(X, y)
    got = torch.cat([theta.reshape(-1), theta0.reshape(1)])
    assert_close(got, torch.cat([w, b.reshape(1)]),
                 f"{fname} should end close to the least-squares solution; (theta, theta0)",
                 rtol=rtol, atol=atol)


def _check_fit_form(value, fname, d):
    """The contract's form of a fit's result: shapes, detached, losses as Python floats."""
    assert isinstance(value, (tuple, list)) and len(value) == 3, (
        f"{fname} should return a tuple (theta, theta0, losses), got {kind(value)}")
    theta, theta0, losses = value
    assert is_tensor(theta) and tuple(theta.shape) == (d,), (
        f"{fname}: theta should be a tensor of shape ({d},), got {kind(theta)}")
    assert is_tensor(theta0) and theta0.dim() == 0, (
        f"{fname}: theta0 should be a 0-dim tensor, got {kind(theta0)}")
    assert not info(theta).requires_grad and not info(theta0).requires_grad, (
        f"{fname} should return theta and theta0 detached (not requiring grad)")
    assert all_python_floats(losses), f"{fname} should return the losses as a list of floats"


# -------------------------------------------------------------- make_linear_data


def _unpack_data(value):
    assert isinstance(value, (tuple, list)) and len(value) == 4, (
        f"make_linear_data should return a tuple (X, y, theta, theta0), got {kind(value)}")
    for name, v in zip(("X", "y", "theta", "theta0"), value):
        assert is_tensor(v), f"make_linear_data: {name} should be a tensor, got {kind(v)}"
    return value


def _same(a, b):
    return all(torch.equal(u, v) for u, v in zip(a, b))


@requires(r"the same seed gives identical output")
@problem("make_linear_data")
def test_make_linear_data_same_seed_same_data(student, rng):
    n, d = randint(rng, 5, 60), randint(rng, 1, 6)
    s = randint(rng, 0, 10_000)
    first = _unpack_data(student.make_linear_data(n, d, noise=0.2, seed=s))
    student.make_linear_data(n, d, noise=0.2, seed=s + 1 + randint(rng, 0, 1000))
    again = _unpack_data(student.make_linear_data(n, d, noise=0.2, seed=s))
    assert _same(first, again), (
        f"make_linear_data with the same seed ({s}) should return identical data every time, "
        "even when other calls happened in between; it did not (draw all the random numbers "
        "from a generator seeded with `seed`)")


@requires(r"a different seed different output")
@problem("make_linear_data")
def test_make_linear_data_different_seed_different_data(student, rng):
    n, d = randint(rng, 5, 60), randint(rng, 1, 6)
    s1 = randint(rng, 0, 10_000)
    s2 = s1 + randint(rng, 1, 1000)
    X1, y1, th1, _ = _unpack_data(student.make_linear_data(n, d, seed=s1))
    X2, y2, th2, _ = _unpack_data(student.make_linear_data(n, d, seed=s2))
    assert not torch.equal(X1, X2) and not torch.equal(y1, y2) and not torch.equal(th1, th2), (
        f"make_linear_data with different seeds ({s1} and {s2}) should give different X, y "
        "and theta; they were the same")


@requires(r"`y = X @ theta + theta0 + noise * eps`")
@problem("make_linear_data")
def test_make_linear_data_noise_level(student, rng):
    n, d = 2000, randint(rng, 1, 5)
    noise = float(f"{uniform(rng, 0.05, 1.0):.3g}")
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=noise, seed=randint(rng, 0, 10_000)))
    r = y.double().reshape(-1) - (X.double() @ theta.double().reshape(-1)
                                  + theta0.double().reshape(()))
    res_std, res_mean = float(r.std()), float(r.mean())
    # each shown with the digits that tell it from the bound it is judged against
    std_shown = apart(1.15 * noise if res_std > noise else 0.85 * noise, res_std)[1]
    mean_shown = apart(0.15 * noise, abs(res_mean))[1]
    assert 0.85 * noise <= res_std <= 1.15 * noise and abs(res_mean) <= 0.15 * noise, (
        f"y - (X @ theta + theta0) should be noise * standard normal; with noise={noise:g} "
        f"and n={n} its std should be within 15% of {noise:g} and its mean within "
        f"{0.15 * noise:.3g} of 0; got std {std_shown}, mean "
        f"{'-' * (res_mean < 0)}{mean_shown}")


@requires(r"`y = X @ theta + theta0 + noise * eps`")
@problem("make_linear_data")
def test_make_linear_data_no_noise_is_exactly_linear(student, rng):
    n, d = randint(rng, 5, 60), randint(rng, 1, 6)
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=0.0, seed=randint(rng, 0, 10_000)))
    assert X.numel() == n * d and theta.numel() == d, (
        f"make_linear_data({n}, {d}): X should hold {n}x{d} values and theta {d}; got "
        f"{kind(X)} and {kind(theta)}")
    exp = X.double().reshape(n, d) @ theta.double().reshape(-1) + theta0.double().reshape(())
    assert_close(y, exp, "with noise=0, y should be exactly X @ theta + theta0", rtol=1e-5,
                 atol=1e-5)


@requires(r"`X`, `theta`, `theta0` and the noise `eps` (shape `(n,)`) are all standard normal")
@problem("make_linear_data")
def test_make_linear_data_standard_normal(student, rng):
    n, d = 150, 400
    X, _, theta, _ = _unpack_data(
        student.make_linear_data(n, d, seed=randint(rng, 0, 10_000)))
    for name, v, tol in (("X", X, 0.05), ("theta", theta, 0.3)):
        m, s = float(v.double().mean()), float(v.double().std())
        m_shown = apart(tol if m > 0 else -tol, m, 3)[1]
        s_shown = apart(1 + tol if s > 1 else 1 - tol, s, 3)[1]
        assert abs(m) <= tol and abs(s - 1) <= tol, (
            f"{name} should be drawn from a standard normal distribution (mean 0, std 1); its "
            f"{v.numel()} entries have mean {m_shown} and std {s_shown} (allowed: within "
            f"{tol:g})")


@requires(r"`X`, `theta`, `theta0` and the noise `eps` (shape `(n,)`) are all standard normal")
@problem("make_linear_data")
def test_make_linear_data_theta0_is_standard_normal(student, rng):
    # One theta0 per seed: 100 seeds give its distribution (mean and std within 4.5 and
    # 5 standard errors: a correct function fails this about once in 10**5 gradings).
    first = randint(rng, 0, 10_000)
    values = [float(numbers(_unpack_data(student.make_linear_data(1, 1, seed=s))[3],
                            "theta0")[0]) for s in range(first, first + 100)]
    v = torch.tensor(values, dtype=torch.float64)
    m, sd = float(v.mean()), float(v.std())
    m_shown = apart(0.45 if m > 0 else -0.45, m, 3)[1]
    sd_shown = apart(1.35 if sd > 1 else 0.65, sd, 3)[1]
    assert abs(m) <= 0.45 and abs(sd - 1) <= 0.35, (
        f"theta0 should be drawn from a standard normal distribution: over 100 seeds it had "
        f"mean {m_shown} and std {sd_shown} (allowed: mean within 0.45 of 0, std within 0.35 "
        "of 1)")


@contract(0.25)  # shapes and dtypes
@requires(r"returns `(X, y, theta, theta0)` with shapes `(n, d)`, `(n,)`, `(d,)` and `()` (0-dim)")
@problem("make_linear_data")
def test_make_linear_data_shapes(student, rng):
    n, d = randint(rng, 5, 60), randint(rng, 1, 6)
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=0.1, seed=randint(rng, 0, 10_000)))
    expected = {"X": (n, d), "y": (n,), "theta": (d,), "theta0": ()}
    for name, v in zip(expected, (X, y, theta, theta0)):
        assert tuple(v.shape) == expected[name], (
            f"make_linear_data({n}, {d}): {name} should have shape {expected[name]}, got "
            f"{tuple(v.shape)}")
        assert v.is_floating_point(), f"{name} should be a floating-point tensor, got {v.dtype}"


@contract(0.25)  # the default arguments
@requires(r"noise: float = 0.1, seed: int = 0")
@problem("make_linear_data")
def test_make_linear_data_default_seed_is_0(student, rng):
    n, d = randint(rng, 5, 60), randint(rng, 1, 6)
    default = _unpack_data(student.make_linear_data(n, d))
    zero = _unpack_data(student.make_linear_data(n, d, noise=0.1, seed=0))
    assert _same(default, zero), (
        "make_linear_data(n, d) should use the defaults noise=0.1 and seed=0, so it should "
        "equal make_linear_data(n, d, noise=0.1, seed=0); it did not")


# ------------------------------------------------------------------ linear_model


def _linear_case(rng, d=None):
    n = randint(rng, 3, 30)
    d = randint(rng, 2, 6) if d is None else d
    return (torch.randn(n, d, generator=rng), torch.randn(d, generator=rng),
            torch.randn((), generator=rng))


def _check_linear(got, X, theta, theta0):
    exp = X.double() @ theta.double() + theta0.double()
    assert_close(got, exp, "linear_model should be X @ theta + theta0, one prediction per "
                 "row of X", rtol=1e-5, atol=1e-5)


@requires(r"`X @ theta + theta0`, shape `(n,)`")
@problem("linear_model")
def test_linear_model_values(student, rng):
    X, theta, theta0 = _linear_case(rng)
    _check_linear(student.linear_model(X, theta, theta0), X, theta, theta0)


@requires(r"`X @ theta + theta0`, shape `(n,)`")
@problem("linear_model")
def test_linear_model_one_feature(student, rng):
    X, theta, theta0 = _linear_case(rng, d=1)
    _check_linear(student.linear_model(X, theta, theta0), X, theta, theta0)


@requires(r"It must keep the autograd graph")
@problem("linear_model")
def test_linear_model_keeps_graph(student, rng):
    X, theta, theta0 = _linear_case(rng)
    assert_keeps_graph(student.linear_model(X, theta.requires_grad_(), theta0.requires_grad_()),
                       "linear_model", "theta and theta0 require grad")


@contract(0.25)  # the form of the result
@requires(r"`X @ theta + theta0`, shape `(n,)`")
@problem("linear_model")
def test_linear_model_shape(student, rng):
    X, theta, theta0 = _linear_case(rng)
    got = student.linear_model(X, theta, theta0)
    assert is_tensor(got) and tuple(got.shape) == (X.shape[0],), (
        f"linear_model should return a 1-d tensor of shape ({X.shape[0]},), got {kind(got)}")


@contract(0.25)  # no mutation of inputs
@requires(r"Don't modify its arguments.")
@problem("linear_model")
def test_linear_model_does_not_modify_inputs(student, rng):
    X, theta, theta0 = _linear_case(rng)
    unchanged(student.call("linear_model", X, theta, theta0).args, [X, theta, theta0],
              "linear_model", ["X", "theta", "theta0"])


# --------------------------------------------------------- fit_linear_regression

_FIT = "fit_linear_regression"
_GD_LOSSES = "the MSE before that step of full-batch gradient descent from zeros"


@pytest.mark.parametrize("steps", [(5, 5), (3, 60)], ids=["first_5", "3_to_60"])
@requires(r"`losses[i]` the MSE (a Python float) *before* step `i`")
@problem("fit_linear_regression")
def test_fit_losses_follow_gradient_descent(student, rng, steps):
    X, y = _grader_data(rng)
    lr = float(f"{uniform(rng, 0.02, 0.2):.3g}")
    n_steps = randint(rng, *steps)
    _, _, losses = _unpack_fit(student.fit_linear_regression(X, y, lr=lr, n_steps=n_steps),
                               _FIT, X.shape[1])
    assert_losses_match(losses, _gd(X, y, lr, n_steps)[0], _FIT, _GD_LOSSES, _LATER, _FIRST)


@requires(r"start from all-zero parameters", r"take `n_steps` gradient-descent steps on the MSE")
@problem("fit_linear_regression")
def test_fit_params_after_few_steps(student, rng):
    X, y = _grader_data(rng)
    lr = float(f"{uniform(rng, 0.005, 0.02):.3g}")
    n_steps = randint(rng, 10, 40)
    theta, theta0, _ = _unpack_fit(student.fit_linear_regression(X, y, lr=lr, n_steps=n_steps),
                                   _FIT, X.shape[1])
    _, w, b = _gd(X, y, lr, n_steps)
    assert_close(torch.cat([theta, theta0.reshape(1)]), torch.cat([w, b.reshape(1)]),
                 f"after {n_steps} steps of gradient descent with lr={lr:g} from zeros, "
                 "(theta, theta0)", rtol=1e-4, atol=1e-5)


@requires(r"take `n_steps` gradient-descent steps on the MSE")
@problem("fit_linear_regression")
def test_fit_loss_decreases(student, rng):
    X, y = _grader_data(rng)
    n_steps = randint(rng, 20, 100)
    theta, theta0, losses = _unpack_fit(
        student.fit_linear_regression(X, y, lr=0.1, n_steps=n_steps), _FIT, X.shape[1])
    # Near the minimum, float32 losses wobble by about 1e-7 of the data's scale (losses[0],
    # the MSE at zero, is mean(y**2)): a rise counts only beyond 1e-5 of it.
    slack = 1e-5 * abs(losses[0]) if losses else 0.0
    up = next((i for i, (a, b) in enumerate(zip(losses, losses[1:])) if not b <= a + slack),
              None)
    shown = apart(losses[up + 1], losses[up], 7) if up is not None else ("", "")
    assert up is None, (
        f"with lr=0.1 on well-conditioned data the reported losses should never go up (by "
        f"more than float rounding, {slack:.2g}); loss {up + 1} is {shown[0]}, loss {up} was "
        f"{shown[1]}" if up is not None else "")
    at_zero = _mse(X, y, torch.zeros(X.shape[1]), torch.zeros(()))
    now = _mse(X, y, theta, theta0)
    bound, shown = apart(0.5 * at_zero, now, 5)
    assert now < 0.5 * at_zero, (
        f"the MSE of the returned parameters (recomputed by the grader) should be below half "
        f"the MSE at all-zero parameters, {bound}; it is {shown}")


@requires(r"take `n_steps` gradient-descent steps on the MSE")
@problem("fit_linear_regression")
def test_fit_reaches_least_squares(student, rng):
    X, y = _grader_data(rng)
    theta, theta0, losses = _unpack_fit(
        student.fit_linear_regression(X, y, lr=0.1, n_steps=1000), _FIT, X.shape[1])
    assert len(losses) == 1000, (
        f"with n_steps=1000, {_FIT} should return 1000 losses, got {len(losses)}")
    _assert_near_lstsq(theta, theta0, X, y, f"with lr=0.1, n_steps=1000, {_FIT}", atol=1e-3,
                       rtol=1e-3)


@requires(r"take `n_steps` gradient-descent steps on the MSE")
@problem("fit_linear_regression")
def test_fit_one_feature_matches_least_squares(student, rng):
    X, y = _grader_data(rng, n_min=30, n_max=80, d_min=1, d_max=1, noise_max=1.0)
    theta, theta0, _ = _unpack_fit(student.fit_linear_regression(X, y, lr=0.1, n_steps=500),
                                   _FIT, 1)
    w, b = _lstsq(X, y)
    x = X[:, 0].double()
    grid = torch.linspace(float(x.min()), float(x.max()), 50, dtype=torch.float64)
    attach("fit_linear_regression", "fit", x_label="the one feature, X[:, 0]", y_label="y",
           x=x, y=y, x_curve=grid,
           student=float(theta[0]) * grid + float(theta0),
           lstsq=float(w[0]) * grid + float(b))
    now, best = _mse(X, y, theta, theta0), _mse(X, y, w, b)
    bound, shown = apart(1.05 * best, now)
    assert now <= 1.05 * best, (
        f"after 500 steps with lr=0.1 on data with one feature, the MSE of the returned line "
        f"(recomputed by the grader) should be within 5% of the least-squares minimum "
        f"{best:.4g}, at most {bound}; it is {shown}")


@contract(0.25)  # the form of the result: shapes, detached, losses as Python floats
@requires(r"with `theta` and `theta0` **detached**", r"the MSE (a Python float)")
@problem("fit_linear_regression")
def test_fit_returns_detached_tensors_and_floats(student, rng):
    X, y = _grader_data(rng)
    value = student.fit_linear_regression(X, y, lr=0.1, n_steps=randint(rng, 3, 30))
    _check_fit_form(value, _FIT, X.shape[1])


@contract(0.25)  # the default arguments
@requires(r"lr: float = 0.1, n_steps: int = 1000")
@problem("fit_linear_regression")
def test_fit_defaults_are_lr_0_1_and_1000_steps(student, rng):
    X, y = _grader_data(rng)
    d = X.shape[1]
    default = _unpack_fit(student.fit_linear_regression(X, y), _FIT, d)[2]
    first = _unpack_fit(student.fit_linear_regression(X, y, lr=0.1, n_steps=3), _FIT, d)[2]
    assert len(default) == 1000 and default[:3] == first, (
        f"{_FIT}(X, y) should use the defaults lr=0.1 and n_steps=1000: it returned "
        f"{len(default)} losses" + ("" if len(default) != 1000 else
                                    f", starting {default[:3]} instead of {first} (lr=0.1)"))


@contract(0.25)  # no mutation of inputs
@requires(r"don't modify `X` or `y`.")
@problem("fit_linear_regression")
def test_fit_does_not_modify_inputs(student, rng):
    X, y = _grader_data(rng)
    unchanged(student.call("fit_linear_regression", X, y, lr=0.1, n_steps=5).args, [X, y],
              _FIT, ["X", "y"])


# --------------------------------------------------------- sgd_linear_regression
# Five side rules, 0.2 each: together they are worth all of the points.

_SGD = "sgd_linear_regression"


def _sgd_case(rng, noise_max=0.3, left=None, intercept_sign=0):
    """Data and a batch size; LEFT rows in the last, smaller mini-batch (n % batch_size):
    none, a single one (where an off-by-one in the batching shows), or by default some
    number from 2 up. INTERCEPT_SIGN: see _grader_data."""
    if left is None:
        X, y = _grader_data(rng, n_min=90, n_max=200, noise_max=noise_max,
                            intercept_sign=intercept_sign)
        while True:
            bs = randint(rng, 8, 32)
            if len(X) % bs > 1:
                return X, y, bs
    bs = randint(rng, 8, 32)
    batches = randint(rng, -(-90 // bs), 200 // bs)
    n = batches * bs + left
    X, y = _grader_data(rng, n_min=n, n_max=n, noise_max=noise_max)
    return X, y, bs


# the parametrisations over n % batch_size, and their test ids
_LEFT = [0, 1, None]
_LEFT_IDS = ["n_multiple_of_batch", "one_row_left", "some_rows_left"]


def _batches_in_words(n, bs):
    per_epoch = math.ceil(n / bs)
    if n % bs == 0:
        return f"{per_epoch} mini-batches of {bs} rows"
    return (f"ceil({n}/{bs}) = {per_epoch} mini-batches (the last one of {n % bs} "
            f"row{'s' * (n % bs != 1)})")


@pytest.mark.parametrize("left", _LEFT, ids=_LEFT_IDS)
@requires(r"`len(losses) == n_epochs * math.ceil(n / batch_size)`")
@problem("sgd_linear_regression")
def test_sgd_number_of_losses(student, rng, left):
    X, y, bs = _sgd_case(rng, left=left)
    n_epochs = randint(rng, 2, 5)
    _, _, losses = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=n_epochs, batch_size=bs,
                                      seed=randint(rng, 0, 10_000)), _SGD, X.shape[1])
    per_epoch = math.ceil(len(X) / bs)
    assert len(losses) == n_epochs * per_epoch, (
        f"with n={len(X)} rows and batch_size={bs} an epoch has "
        f"{_batches_in_words(len(X), bs)}, so {n_epochs} epochs should give "
        f"{n_epochs * per_epoch} losses; got {len(losses)}")


@pytest.mark.parametrize("left", _LEFT, ids=_LEFT_IDS)
@requires(r"shuffle afresh at the start of every epoch")
@problem("sgd_linear_regression")
def test_sgd_each_epoch_is_a_fresh_permutation(student, rng, left):
    # With lr=0 the parameters stay at zero, so each mini-batch's loss is the mean of y**2
    # over its rows: the batches of an epoch must cover every row once (their sizes times
    # their losses add up to the sum of y**2, whatever the order of the rows), and epochs
    # must not repeat one order.
    X, y, bs = _sgd_case(rng, left=left)
    n, n_epochs = len(X), 3
    per_epoch = math.ceil(n / bs)
    _, _, losses = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.0, n_epochs=n_epochs, batch_size=bs,
                                      seed=randint(rng, 0, 10_000)), _SGD, X.shape[1])
    assert len(losses) == n_epochs * per_epoch, (
        f"{_SGD} should return {n_epochs * per_epoch} losses here (one per mini-batch), "
        f"got {len(losses)}")
    total = float((y.double() ** 2).sum())
    epochs = [losses[e * per_epoch:(e + 1) * per_epoch] for e in range(n_epochs)]
    for e, epoch in enumerate(epochs):
        # the smaller batch (n % bs rows, if any) may come anywhere in the epoch
        sums = ([bs * sum(epoch) - (bs - n % bs) * small for small in epoch] if n % bs
                else [bs * sum(epoch)])
        closest = min(sums, key=lambda s: abs(s - total))
        shown = apart(closest, total, 7)
        assert any(abs(s - total) <= 1e-5 * total for s in sums), (
            f"with lr=0 the parameters stay at zero, so in each epoch the mini-batches "
            f"should cover every one of the n={n} rows exactly once, in "
            f"{_batches_in_words(n, bs)}; the losses of epoch {e} do not add up to that "
            f"(closest: {shown[0]} instead of sum(y**2) = {shown[1]}): draw a permutation of "
            "all rows and split it into batches")
    same = [e for e in range(1, n_epochs) if epochs[e] == epochs[e - 1]]
    assert not same, (
        f"epoch {same[0]} took the mini-batches in exactly the order of epoch {same[0] - 1}: "
        "each epoch should draw a fresh permutation (from a generator seeded once, before "
        "the first epoch)")


@pytest.mark.parametrize("extra", [0, 1], ids=["batch_size_n", "batch_size_above_n"])
@requires(
    r"compute the MSE on `X[idx]`, `y[idx]`, backpropagate and update both parameters in place",
)
@problem("sgd_linear_regression")
def test_sgd_full_batch_is_gradient_descent(student, rng, extra):
    X, y, _ = _sgd_case(rng)
    n_epochs = randint(rng, 5, 20)
    lr = float(f"{uniform(rng, 0.02, 0.2):.3g}")
    bs = len(X) + extra * randint(rng, 1, 10)
    _, _, losses = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=lr, n_epochs=n_epochs, batch_size=bs,
                                      seed=randint(rng, 0, 10_000)), _SGD, X.shape[1])
    assert_losses_match(
        losses, _gd(X, y, lr, n_epochs)[0], f"{_SGD} with batch_size={bs} >= n={len(X)}",
        "one mini-batch holding all rows, so one full-batch gradient-descent step per epoch "
        "from zeros", _LATER, _FIRST)


@requires(r"start from all-zero `theta`", r"backpropagate and update both parameters in place")
@problem("sgd_linear_regression")
def test_sgd_reaches_least_squares(student, rng):
    # little noise, so that SGD's own jitter around the minimum stays well inside tolerance;
    # a negative intercept on every seed, so that a sign lost on theta0 (abs) always shows
    X, y, bs = _sgd_case(rng, noise_max=0.1, intercept_sign=-1)
    theta, theta0, _ = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=30, batch_size=bs,
                                      seed=randint(rng, 0, 10_000)), _SGD, X.shape[1])
    _assert_near_lstsq(theta, theta0, X, y, f"after 30 epochs with lr=0.05 and "
                       f"batch_size={bs}, {_SGD}", atol=0.05, rtol=0.05)


@requires(r"backpropagate and update both parameters in place")
@problem("sgd_linear_regression")
def test_sgd_recomputed_loss_far_below_start(student, rng):
    X, y, bs = _sgd_case(rng)
    theta, theta0, _ = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=20, batch_size=bs,
                                      seed=randint(rng, 0, 10_000)), _SGD, X.shape[1])
    at_zero = _mse(X, y, torch.zeros(X.shape[1]), torch.zeros(()))
    w, b = _lstsq(X, y)
    best = _mse(X, y, w, b)
    now = _mse(X, y, theta, theta0)
    bound, shown = apart(best + 0.02 * (at_zero - best), now)
    assert now <= best + 0.02 * (at_zero - best), (
        f"the MSE of the returned parameters (recomputed by the grader on all of X, y) should "
        f"be close to the least-squares minimum {best:.4g} (at most {bound}) and far below "
        f"{at_zero:.4g}, the MSE at zero; it is {shown}")


@contract(0.2)  # determinism under a seed
@requires(r"the same seed gives the same result")
@problem("sgd_linear_regression")
def test_sgd_same_seed_same_result(student, rng):
    X, y, bs = _sgd_case(rng)
    s = randint(rng, 0, 10_000)
    kw = dict(lr=0.05, n_epochs=3, batch_size=bs)
    first = _unpack_fit(student.sgd_linear_regression(X, y, seed=s, **kw), _SGD, X.shape[1])
    student.sgd_linear_regression(X, y, seed=s + 1 + randint(rng, 0, 1000), **kw)
    again = _unpack_fit(student.sgd_linear_regression(X, y, seed=s, **kw), _SGD, X.shape[1])
    assert all(torch.equal(a, b) for a, b in zip(first[:2], again[:2])) and first[2] == again[2], (
        f"{_SGD} with the same seed ({s}) should give exactly the same result every time, "
        "even with other calls in between (draw the permutations from a generator seeded "
        "with `seed`)")


@contract(0.2)  # the seed is used
@requires(r"a different `seed` a different one")
@problem("sgd_linear_regression")
def test_sgd_different_seed_different_batches(student, rng):
    X, y, bs = _sgd_case(rng)
    s1 = randint(rng, 0, 10_000)
    s2 = s1 + randint(rng, 1, 1000)
    kw = dict(lr=0.05, n_epochs=2, batch_size=bs)
    _, _, l1 = _unpack_fit(student.sgd_linear_regression(X, y, seed=s1, **kw), _SGD, X.shape[1])
    _, _, l2 = _unpack_fit(student.sgd_linear_regression(X, y, seed=s2, **kw), _SGD, X.shape[1])
    assert l1 != l2, (
        f"{_SGD} with different seeds ({s1} and {s2}) should shuffle the rows differently, so "
        "the mini-batch losses should differ; they were identical")


@contract(0.2)  # the default argument
@requires(r"batch_size: int, seed: int = 0")
@problem("sgd_linear_regression")
def test_sgd_default_seed_is_0(student, rng):
    X, y, bs = _sgd_case(rng)
    kw = dict(lr=0.05, n_epochs=2, batch_size=bs)
    default = _unpack_fit(student.sgd_linear_regression(X, y, **kw), _SGD, X.shape[1])
    zero = _unpack_fit(student.sgd_linear_regression(X, y, seed=0, **kw), _SGD, X.shape[1])
    assert default[2] == zero[2] and torch.equal(default[0], zero[0]), (
        f"{_SGD}(X, y, lr, n_epochs, batch_size) should use the default seed=0, so it should "
        f"give what {_SGD}(..., seed=0) gives; it did not")


@contract(0.2)  # the form of the result: shapes, detached, losses as Python floats
@requires(r"return detached `(theta, theta0, losses)`", r"as Python floats")
@problem("sgd_linear_regression")
def test_sgd_returns_detached_tensors_and_floats(student, rng):
    X, y, bs = _sgd_case(rng)
    _check_fit_form(student.sgd_linear_regression(X, y, lr=0.05, n_epochs=1, batch_size=bs),
                    _SGD, X.shape[1])


@contract(0.2)  # no mutation of inputs
@requires(r"don't modify `X` or `y`")
@problem("sgd_linear_regression")
def test_sgd_does_not_modify_inputs(student, rng):
    X, y, bs = _sgd_case(rng)
    unchanged(student.call("sgd_linear_regression", X, y, 0.05, 1, bs).args[:2], [X, y],
              _SGD, ["X", "y"])
