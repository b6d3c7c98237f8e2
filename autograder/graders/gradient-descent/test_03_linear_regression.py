"""Hidden graders for 03-linear-regression.ipynb: linear regression by (S)GD.

The data for fitting are made here, from the `rng` fixture, never by the
student's make_linear_data. Expected values come from the grader's own
float64 gradient-descent trajectory and from torch.linalg.lstsq; losses of the
returned parameters are recomputed here rather than trusted.
"""

import math

import torch

from autograder.grading import info, problem

# --------------------------------------------------------------------- helpers


def _randint(rng, low, high):
    """A random int in [low, high] (inclusive)."""
    return int(torch.randint(low, high + 1, (), generator=rng))


def _uniform(rng, low, high):
    return low + (high - low) * float(torch.rand((), generator=rng, dtype=torch.float64))


def _fmt(xs, k=6):
    xs = list(xs)
    s = ", ".join(f"{x:.5g}" for x in xs[:k])
    return "[" + s + (", ..." if len(xs) > k else "") + "]"


def _grader_data(rng, n_min=80, n_max=150, d_min=2, d_max=4, noise_max=0.3):
    """Well-conditioned regression data made by the grader."""
    n = _randint(rng, n_min, n_max)
    d = _randint(rng, d_min, d_max)
    X = torch.randn(n, d, generator=rng)
    theta = torch.randn(d, generator=rng)
    theta0 = torch.randn((), generator=rng)
    noise = _uniform(rng, 0.05, noise_max)
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


def _as_floats(value, fname):
    assert isinstance(value, (list, tuple)), (
        f"{fname} should return the losses as a list of floats, got a {type(value).__name__}"
    )
    out = []
    for i, v in enumerate(value):
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = float(v)
        assert isinstance(v, (int, float)) and not isinstance(v, bool), (
            f"{fname} should return a list of floats; loss {i} is a {type(v).__name__}"
        )
        out.append(float(v))
    return out


def _unpack_fit(value, fname, d):
    """(theta, theta0, losses) from a fit, with shapes checked enough to compute with them."""
    assert isinstance(value, (tuple, list)) and len(value) == 3, (
        f"{fname} should return a tuple (theta, theta0, losses), got "
        f"{type(value).__name__}"
    )
    theta, theta0, losses = value
    assert isinstance(theta, torch.Tensor) and theta.numel() == d, (
        f"{fname}: theta should be a tensor with {d} entries (one per column of X), got "
        f"{tuple(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__}"
    )
    if isinstance(theta0, (int, float)) and not isinstance(theta0, bool):
        theta0 = torch.tensor(float(theta0))
    assert isinstance(theta0, torch.Tensor) and theta0.numel() == 1, (
        f"{fname}: theta0 should be a single number (0-dim tensor), got "
        f"{tuple(theta0.shape) if isinstance(theta0, torch.Tensor) else type(theta0).__name__}"
    )
    return theta.reshape(d), theta0.reshape(()), _as_floats(losses, fname)


def _first_mismatch(got, exp, rtol):
    for i, (g, e) in enumerate(zip(got, exp)):
        if not math.isfinite(g) or abs(g - e) > rtol * abs(e):
            return i
    return None


def _assert_losses_match(got, exp, fname, what, rtol=1e-4):
    assert len(got) == len(exp), f"{fname} should return {len(exp)} losses, got {len(got)}"
    i = _first_mismatch(got, exp, rtol)
    assert i is None, (
        f"{fname}: loss number {i} should be {exp[i]:.6g} ({what}, recomputed by the "
        f"grader), got {got[i]:.6g}"
        + (". The first loss (at all-zero parameters) is right, so the steps go wrong: check "
           "the update and that the gradients are reset after each step"
           if i > 0 else ". It should be the mean squared error at all-zero parameters")
    )


def _assert_near_lstsq(theta, theta0, X, y, fname, atol, rtol):
    w, b = _lstsq(X, y)
    got = torch.cat([theta.double().reshape(-1), theta0.double().reshape(1)])
    exp = torch.cat([w, b.reshape(1)])
    assert torch.allclose(got, exp, rtol=rtol, atol=atol), (
        f"{fname} should end close to the least-squares solution (theta, theta0) = "
        f"{_fmt(exp.tolist())}; got {_fmt(got.tolist())}"
    )


# -------------------------------------------------------------- make_linear_data


def _unpack_data(value):
    assert isinstance(value, (tuple, list)) and len(value) == 4, (
        f"make_linear_data should return a tuple (X, y, theta, theta0), got "
        f"{type(value).__name__}"
    )
    for name, v in zip(("X", "y", "theta", "theta0"), value):
        assert isinstance(v, torch.Tensor), (
            f"make_linear_data: {name} should be a tensor, got a {type(v).__name__}"
        )
    return value


def _same(a, b):
    return all(torch.equal(u, v) for u, v in zip(a, b))


@problem("make_linear_data")
def test_make_linear_data_shapes(student, rng):
    n, d = _randint(rng, 5, 60), _randint(rng, 1, 6)
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=0.1, seed=_randint(rng, 0, 10_000)))
    expected = {"X": (n, d), "y": (n,), "theta": (d,), "theta0": ()}
    for name, v in zip(expected, (X, y, theta, theta0)):
        assert tuple(v.shape) == expected[name], (
            f"make_linear_data({n}, {d}): {name} should have shape {expected[name]}, got "
            f"{tuple(v.shape)}"
        )
        assert v.is_floating_point(), f"{name} should be a floating-point tensor, got {v.dtype}"


@problem("make_linear_data")
def test_make_linear_data_same_seed_same_data(student, rng):
    n, d = _randint(rng, 5, 60), _randint(rng, 1, 6)
    s = _randint(rng, 0, 10_000)
    first = _unpack_data(student.make_linear_data(n, d, noise=0.2, seed=s))
    student.make_linear_data(n, d, noise=0.2, seed=s + 1 + _randint(rng, 0, 1000))
    again = _unpack_data(student.make_linear_data(n, d, noise=0.2, seed=s))
    assert _same(first, again), (
        f"make_linear_data with the same seed ({s}) should return identical data every time, "
        "even when other calls happened in between; it did not (draw all the random numbers "
        "from a generator seeded with `seed`, not from the global random state)"
    )


@problem("make_linear_data")
def test_make_linear_data_different_seed_different_data(student, rng):
    n, d = _randint(rng, 5, 60), _randint(rng, 1, 6)
    s1 = _randint(rng, 0, 10_000)
    s2 = s1 + _randint(rng, 1, 1000)
    X1, y1, th1, _ = _unpack_data(student.make_linear_data(n, d, seed=s1))
    X2, y2, th2, _ = _unpack_data(student.make_linear_data(n, d, seed=s2))
    assert not torch.equal(X1, X2) and not torch.equal(y1, y2) and not torch.equal(th1, th2), (
        f"make_linear_data with different seeds ({s1} and {s2}) should give different X, y "
        "and theta; they were the same"
    )


@problem("make_linear_data")
def test_make_linear_data_default_seed_is_0(student, rng):
    n, d = _randint(rng, 5, 60), _randint(rng, 1, 6)
    default = _unpack_data(student.make_linear_data(n, d))
    zero = _unpack_data(student.make_linear_data(n, d, noise=0.1, seed=0))
    assert _same(default, zero), (
        "make_linear_data(n, d) should use the defaults noise=0.1 and seed=0, so it should "
        "equal make_linear_data(n, d, noise=0.1, seed=0); it did not"
    )


@problem("make_linear_data")
def test_make_linear_data_noise_level(student, rng):
    n, d = 2000, _randint(rng, 1, 5)
    noise = float(f"{_uniform(rng, 0.05, 1.0):.3g}")
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=noise, seed=_randint(rng, 0, 10_000)))
    r = y.double() - (X.double() @ theta.double() + theta0.double())
    res_std, res_mean = float(r.std()), float(r.mean())
    assert 0.85 * noise <= res_std <= 1.15 * noise and abs(res_mean) <= 0.15 * noise, (
        f"y - (X @ theta + theta0) should be noise * standard normal; with noise={noise:g} "
        f"and n={n} its std should be close to {noise:g} and its mean close to 0, got std "
        f"{res_std:.4g}, mean {res_mean:.4g}"
    )


@problem("make_linear_data")
def test_make_linear_data_no_noise_is_exactly_linear(student, rng):
    n, d = _randint(rng, 5, 60), _randint(rng, 1, 6)
    X, y, theta, theta0 = _unpack_data(
        student.make_linear_data(n, d, noise=0.0, seed=_randint(rng, 0, 10_000)))
    exp = X.double() @ theta.double() + theta0.double()
    assert torch.allclose(y.double(), exp, rtol=1e-5, atol=1e-5), (
        f"with noise=0, y should be exactly X @ theta + theta0: expected {_fmt(exp.tolist())}, "
        f"got {_fmt(y.double().tolist())}"
    )


@problem("make_linear_data")
def test_make_linear_data_standard_normal(student, rng):
    n, d = 150, 400
    X, _, theta, _ = _unpack_data(
        student.make_linear_data(n, d, seed=_randint(rng, 0, 10_000)))
    for name, v, tol in (("X", X, 0.05), ("theta", theta, 0.3)):
        m, s = float(v.double().mean()), float(v.double().std())
        assert abs(m) <= tol and abs(s - 1) <= tol, (
            f"{name} should be drawn from a standard normal distribution (mean 0, std 1); its "
            f"entries have mean {m:.3g} and std {s:.3g}"
        )


# ------------------------------------------------------------------ linear_model


def _linear_case(rng, d=None):
    n = _randint(rng, 3, 30)
    d = _randint(rng, 2, 6) if d is None else d
    return (torch.randn(n, d, generator=rng), torch.randn(d, generator=rng),
            torch.randn((), generator=rng))


def _check_linear(got, X, theta, theta0):
    exp = X.double() @ theta.double() + theta0.double()
    assert isinstance(got, torch.Tensor), (
        f"linear_model should return a tensor, got a {type(got).__name__}"
    )
    assert tuple(got.shape) == tuple(exp.shape), (
        f"linear_model should return one prediction per row of X, shape {tuple(exp.shape)}; "
        f"got {tuple(got.shape)}"
    )
    assert torch.allclose(got.double(), exp, rtol=1e-5, atol=1e-5), (
        f"linear_model should be X @ theta + theta0: expected {_fmt(exp.tolist())}, got "
        f"{_fmt(got.double().tolist())}"
    )


@problem("linear_model")
def test_linear_model_values(student, rng):
    X, theta, theta0 = _linear_case(rng)
    _check_linear(student.linear_model(X, theta, theta0), X, theta, theta0)


@problem("linear_model")
def test_linear_model_one_feature(student, rng):
    X, theta, theta0 = _linear_case(rng, d=1)
    _check_linear(student.linear_model(X, theta, theta0), X, theta, theta0)


@problem("linear_model")
def test_linear_model_shape(student, rng):
    X, theta, theta0 = _linear_case(rng)
    got = student.linear_model(X, theta, theta0)
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (X.shape[0],), (
        f"linear_model should return a 1-d tensor of shape ({X.shape[0]},), got "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}"
    )


@problem("linear_model")
def test_linear_model_keeps_graph(student, rng):
    X, theta, theta0 = _linear_case(rng)
    got = student.linear_model(X, theta.requires_grad_(), theta0.requires_grad_())
    assert isinstance(got, torch.Tensor), (
        f"linear_model should return a tensor, got a {type(got).__name__}"
    )
    assert info(got).has_grad_fn, (
        "when theta and theta0 require grad, linear_model should keep the autograd graph so "
        "that a loss can be backpropagated to them; the result had no grad_fn"
    )


@problem("linear_model")
def test_linear_model_does_not_modify_inputs(student, rng):
    X, theta, theta0 = _linear_case(rng)
    call = student.call("linear_model", X, theta, theta0)
    assert all(torch.equal(a, b) for a, b in zip(call.args, (X, theta, theta0))), (
        "linear_model must not modify X, theta or theta0"
    )


# --------------------------------------------------------- fit_linear_regression


@problem("fit_linear_regression")
def test_fit_shapes_detached_and_length(student, rng):
    X, y = _grader_data(rng)
    n_steps = _randint(rng, 3, 30)
    theta, theta0, losses = student.fit_linear_regression(X, y, lr=0.1, n_steps=n_steps)
    d = X.shape[1]
    assert isinstance(theta, torch.Tensor) and tuple(theta.shape) == (d,), (
        f"theta should have shape ({d},), got "
        f"{tuple(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__}"
    )
    assert isinstance(theta0, torch.Tensor) and theta0.dim() == 0, (
        "theta0 should be a 0-dim tensor, got "
        f"{tuple(theta0.shape) if isinstance(theta0, torch.Tensor) else type(theta0).__name__}"
    )
    assert not info(theta).requires_grad and not info(theta0).requires_grad, (
        "fit_linear_regression should return theta and theta0 detached (not requiring grad)"
    )
    losses = _as_floats(losses, "fit_linear_regression")
    assert len(losses) == n_steps, (
        f"with n_steps={n_steps}, fit_linear_regression should return {n_steps} losses, "
        f"got {len(losses)}"
    )


@problem("fit_linear_regression")
def test_fit_first_steps_are_gradient_descent(student, rng):
    X, y = _grader_data(rng)
    lr = float(f"{_uniform(rng, 0.05, 0.2):.3g}")
    _, _, losses = _unpack_fit(
        student.fit_linear_regression(X, y, lr=lr, n_steps=5), "fit_linear_regression",
        X.shape[1])
    exp, _, _ = _gd(X, y, lr, 5)
    _assert_losses_match(losses, exp, "fit_linear_regression",
                         "the MSE before each step of full-batch gradient descent from zeros")


@problem("fit_linear_regression")
def test_fit_losses_follow_gradient_descent(student, rng):
    X, y = _grader_data(rng)
    lr = float(f"{_uniform(rng, 0.02, 0.2):.3g}")
    _, _, losses = _unpack_fit(
        student.fit_linear_regression(X, y, lr=lr, n_steps=50), "fit_linear_regression",
        X.shape[1])
    exp, _, _ = _gd(X, y, lr, 50)
    _assert_losses_match(losses, exp, "fit_linear_regression",
                         "the MSE before each step of full-batch gradient descent from zeros")


@problem("fit_linear_regression")
def test_fit_params_after_few_steps(student, rng):
    X, y = _grader_data(rng)
    lr = float(f"{_uniform(rng, 0.005, 0.02):.3g}")
    n_steps = _randint(rng, 10, 40)
    theta, theta0, _ = _unpack_fit(
        student.fit_linear_regression(X, y, lr=lr, n_steps=n_steps), "fit_linear_regression",
        X.shape[1])
    _, w, b = _gd(X, y, lr, n_steps)
    got = torch.cat([theta.double(), theta0.double().reshape(1)])
    exp = torch.cat([w, b.reshape(1)])
    assert torch.allclose(got, exp, rtol=1e-4, atol=1e-5), (
        f"after {n_steps} steps of gradient descent with lr={lr:g} from zeros, (theta, theta0) "
        f"should be {_fmt(exp.tolist())}; got {_fmt(got.tolist())}"
    )


@problem("fit_linear_regression")
def test_fit_loss_decreases(student, rng):
    X, y = _grader_data(rng)
    n_steps = _randint(rng, 20, 100)
    theta, theta0, losses = _unpack_fit(
        student.fit_linear_regression(X, y, lr=0.1, n_steps=n_steps), "fit_linear_regression",
        X.shape[1])
    assert all(b <= a * (1 + 1e-6) + 1e-9 for a, b in zip(losses, losses[1:])), (
        f"with lr=0.1 on well-conditioned data the reported losses should never go up; got "
        f"{_fmt(losses)}"
    )
    at_zero = _mse(X, y, torch.zeros(X.shape[1]), torch.zeros(()))
    now = _mse(X, y, theta, theta0)
    assert now < 0.5 * at_zero, (
        f"the MSE of the returned parameters (recomputed by the grader) should be far below "
        f"the MSE at all-zero parameters: it is {now:.5g}, at zero {at_zero:.5g}"
    )


@problem("fit_linear_regression")
def test_fit_defaults_reach_least_squares(student, rng):
    X, y = _grader_data(rng)
    theta, theta0, losses = _unpack_fit(
        student.fit_linear_regression(X, y), "fit_linear_regression", X.shape[1])
    assert len(losses) == 1000, (
        f"with the default n_steps=1000, fit_linear_regression should return 1000 losses, got "
        f"{len(losses)}"
    )
    _assert_near_lstsq(theta, theta0, X, y,
                       "with the defaults lr=0.1, n_steps=1000, fit_linear_regression",
                       atol=1e-3, rtol=1e-3)


@problem("fit_linear_regression")
def test_fit_does_not_modify_inputs(student, rng):
    X, y = _grader_data(rng)
    call = student.call("fit_linear_regression", X, y, lr=0.1, n_steps=5)
    assert torch.equal(call.args[0], X) and torch.equal(call.args[1], y), (
        "fit_linear_regression must not modify X or y"
    )


# --------------------------------------------------------- sgd_linear_regression


def _sgd_case(rng, noise_max=0.3):
    """Data with n not a multiple of the batch size."""
    X, y = _grader_data(rng, n_min=90, n_max=200, noise_max=noise_max)
    n = len(X)
    while True:
        bs = _randint(rng, 8, 32)
        if n % bs:
            return X, y, bs


@problem("sgd_linear_regression")
def test_sgd_number_of_losses(student, rng):
    X, y, bs = _sgd_case(rng)
    n_epochs = _randint(rng, 2, 5)
    _, _, losses = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=n_epochs, batch_size=bs,
                                      seed=_randint(rng, 0, 10_000)),
        "sgd_linear_regression", X.shape[1])
    per_epoch = math.ceil(len(X) / bs)
    assert len(losses) == n_epochs * per_epoch, (
        f"with n={len(X)} rows and batch_size={bs} an epoch has ceil({len(X)}/{bs}) = "
        f"{per_epoch} mini-batches (the last one smaller), so {n_epochs} epochs should give "
        f"{n_epochs * per_epoch} losses; got {len(losses)}"
    )


@problem("sgd_linear_regression")
def test_sgd_same_seed_same_result(student, rng):
    X, y, bs = _sgd_case(rng)
    s = _randint(rng, 0, 10_000)
    kw = dict(lr=0.05, n_epochs=3, batch_size=bs)
    first = student.sgd_linear_regression(X, y, seed=s, **kw)
    student.sgd_linear_regression(X, y, seed=s + 1 + _randint(rng, 0, 1000), **kw)
    again = student.sgd_linear_regression(X, y, seed=s, **kw)
    a = _unpack_fit(first, "sgd_linear_regression", X.shape[1])
    b = _unpack_fit(again, "sgd_linear_regression", X.shape[1])
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[2] == b[2], (
        f"sgd_linear_regression with the same seed ({s}) should give exactly the same result "
        "every time, even with other calls in between (draw the permutations from a "
        "generator seeded with `seed`)"
    )


@problem("sgd_linear_regression")
def test_sgd_different_seed_different_batches(student, rng):
    X, y, bs = _sgd_case(rng)
    s1 = _randint(rng, 0, 10_000)
    s2 = s1 + _randint(rng, 1, 1000)
    kw = dict(lr=0.05, n_epochs=2, batch_size=bs)
    _, _, l1 = _unpack_fit(student.sgd_linear_regression(X, y, seed=s1, **kw),
                           "sgd_linear_regression", X.shape[1])
    _, _, l2 = _unpack_fit(student.sgd_linear_regression(X, y, seed=s2, **kw),
                           "sgd_linear_regression", X.shape[1])
    assert l1 != l2, (
        f"sgd_linear_regression with different seeds ({s1} and {s2}) should shuffle the rows "
        "differently, so the mini-batch losses should differ; they were identical"
    )


@problem("sgd_linear_regression")
def test_sgd_full_batch_is_gradient_descent(student, rng):
    X, y, _ = _sgd_case(rng)
    n_epochs = _randint(rng, 5, 20)
    lr = float(f"{_uniform(rng, 0.02, 0.2):.3g}")
    bs = len(X) + _randint(rng, 0, 10)
    _, _, losses = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=lr, n_epochs=n_epochs, batch_size=bs,
                                      seed=_randint(rng, 0, 10_000)),
        "sgd_linear_regression", X.shape[1])
    exp, _, _ = _gd(X, y, lr, n_epochs)
    _assert_losses_match(
        losses, exp, f"sgd_linear_regression with batch_size={bs} >= n={len(X)}",
        "one mini-batch holding all rows, so one full-batch gradient-descent step per epoch "
        "from zeros")


@problem("sgd_linear_regression")
def test_sgd_reaches_least_squares(student, rng):
    # little noise, so that SGD's own jitter around the minimum stays well inside tolerance
    X, y, bs = _sgd_case(rng, noise_max=0.1)
    theta, theta0, _ = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=30, batch_size=bs,
                                      seed=_randint(rng, 0, 10_000)),
        "sgd_linear_regression", X.shape[1])
    _assert_near_lstsq(theta, theta0, X, y,
                       f"after 30 epochs with lr=0.05 and batch_size={bs}, "
                       "sgd_linear_regression", atol=0.05, rtol=0.05)


@problem("sgd_linear_regression")
def test_sgd_recomputed_loss_far_below_start(student, rng):
    X, y, bs = _sgd_case(rng)
    theta, theta0, _ = _unpack_fit(
        student.sgd_linear_regression(X, y, lr=0.05, n_epochs=20, batch_size=bs,
                                      seed=_randint(rng, 0, 10_000)),
        "sgd_linear_regression", X.shape[1])
    at_zero = _mse(X, y, torch.zeros(X.shape[1]), torch.zeros(()))
    w, b = _lstsq(X, y)
    best = _mse(X, y, w, b)
    now = _mse(X, y, theta, theta0)
    assert now <= best + 0.02 * (at_zero - best), (
        f"the MSE of the returned parameters (recomputed by the grader on all of X, y) should "
        f"be close to the least-squares minimum {best:.4g} and far below {at_zero:.4g}, the "
        f"MSE at zero; it is {now:.4g}"
    )


@problem("sgd_linear_regression")
def test_sgd_returns_detached_shapes(student, rng):
    X, y, bs = _sgd_case(rng)
    value = student.sgd_linear_regression(X, y, lr=0.05, n_epochs=1, batch_size=bs)
    theta, theta0, _ = _unpack_fit(value, "sgd_linear_regression", X.shape[1])
    raw_theta, raw_theta0 = value[0], value[1]
    d = X.shape[1]
    assert tuple(raw_theta.shape) == (d,), (
        f"theta should have shape ({d},), got {tuple(raw_theta.shape)}"
    )
    assert isinstance(raw_theta0, torch.Tensor) and raw_theta0.dim() == 0, (
        "theta0 should be a 0-dim tensor"
    )
    assert not info(raw_theta).requires_grad and not info(raw_theta0).requires_grad, (
        "sgd_linear_regression should return theta and theta0 detached (not requiring grad)"
    )


@problem("sgd_linear_regression")
def test_sgd_does_not_modify_inputs(student, rng):
    X, y, bs = _sgd_case(rng)
    call = student.call("sgd_linear_regression", X, y, 0.05, 1, bs)
    assert torch.equal(call.args[0], X) and torch.equal(call.args[1], y), (
        "sgd_linear_regression must not modify X or y"
    )


# ------------------------------------------------- the fit, drawn on the feedback page

from autograder.grading import attach  # noqa: E402


@problem("fit_linear_regression")
def test_fit_one_feature_matches_least_squares(student, rng):
    X, y = _grader_data(rng, n_min=30, n_max=80, d_min=1, d_max=1, noise_max=1.0)
    theta, theta0, _ = _unpack_fit(
        student.fit_linear_regression(X, y, lr=0.1, n_steps=500), "fit_linear_regression", 1)
    w, b = _lstsq(X, y)
    x = X[:, 0].double()
    grid = torch.linspace(float(x.min()), float(x.max()), 50, dtype=torch.float64)
    attach("fit_linear_regression", "fit", x_label="the one feature, X[:, 0]", y_label="y",
           x=x, y=y, x_curve=grid,
           student=float(theta.double()[0]) * grid + float(theta0),
           lstsq=float(w[0]) * grid + float(b))
    now, best = _mse(X, y, theta, theta0), _mse(X, y, w, b)
    assert now <= 1.05 * best, (
        f"after 500 steps with lr=0.1 on data with one feature, the MSE of the returned line "
        f"(recomputed by the grader) should be within 5% of the least-squares minimum "
        f"{best:.4g}; it is {now:.4g}"
    )
