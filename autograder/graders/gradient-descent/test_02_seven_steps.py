"""Hidden graders for 02-seven-steps.ipynb: the seven steps of SGD on a noisy parabola.

The data are a fresh noisy parabola in every run (random length, shape and
noise, drawn from the `rng` fixture). Every expected number is computed here,
in float64, from closed forms: the gradient of the MSE of a parabola
a*t**2 + b*t + c is 2/n * A^T (A theta - y) with A = [t**2, t, 1], and the
grader runs its own gradient-descent trajectory to compare against. Losses are
always recomputed from the parameters the student's code leaves behind.
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


def _parabola_data(rng, n_min=8, n_max=30):
    """The lecture's kind of data: t = 0..n-1, y a noisy parabola in t."""
    n = _randint(rng, n_min, n_max)
    t = torch.arange(n).float()
    a0 = _uniform(rng, 0.3, 1.5)
    centre = n * _uniform(rng, 0.3, 0.7)
    c0 = _uniform(rng, -5.0, 5.0)
    noise = _uniform(rng, 1.0, 3.0)
    y = (a0 * (t - centre) ** 2 + c0 + noise * torch.randn(n, generator=rng)).float()
    return t, y


def _design(t):
    td = t.double()
    return torch.stack([td**2, td, torch.ones_like(td)], dim=1)


def _stable_lr(t, rng):
    """A learning rate that is stable for plain GD on this t (a fraction of 1/lambda_max)."""
    A = _design(t)
    lam_max = float(torch.linalg.eigvalsh(2.0 / len(t) * A.T @ A)[-1])
    lr = _uniform(rng, 0.3, 0.8) / lam_max
    return float(f"{lr:.3g}")


def _random_params(rng):
    return torch.randn(3, generator=rng)


def _loss(params, t, y):
    """MSE of the parabola with these params, in float64."""
    r = _design(t) @ params.double() - y.double()
    return float((r**2).mean())


def _grad(params, t, y):
    """Analytic gradient of the MSE w.r.t. (a, b, c), in float64."""
    A = _design(t)
    r = A @ params.double() - y.double()
    return 2.0 / len(t) * A.T @ r


def _gd(params, t, y, lr, n_steps):
    """The grader's own trajectory: the loss before each step, and the params at the end."""
    theta = params.double().clone()
    losses = []
    for _ in range(n_steps):
        losses.append(_loss(theta, t, y))
        theta = theta - lr * _grad(theta, t, y)
    return losses, theta


def _gd_until(params, t, y, lr, tol, max_steps):
    """The grader's own train_until: stop right after l[k] (k >= 1) if l[k-1] - l[k] < tol."""
    theta = params.double().clone()
    losses = []
    for k in range(max_steps):
        losses.append(_loss(theta, t, y))
        theta = theta - lr * _grad(theta, t, y)
        if k >= 1 and losses[k - 1] - losses[k] < tol:
            break
    return losses, theta


def _leaf_params(rng):
    return _random_params(rng).requires_grad_()


def _as_floats(value, fname):
    """The student's list of losses as Python floats (0-dim tensors are accepted too)."""
    assert isinstance(value, (list, tuple)), (
        f"{fname} should return a list of losses (floats), got a {type(value).__name__}"
    )
    out = []
    for i, v in enumerate(value):
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = float(v)
        assert isinstance(v, (int, float)) and not isinstance(v, bool), (
            f"{fname} should return a list of floats; item {i} is a {type(v).__name__}"
        )
        out.append(float(v))
    return out


def _fmt(xs, k=6):
    xs = list(xs)
    s = ", ".join(f"{x:.5g}" for x in xs[:k])
    return "[" + s + (", ..." if len(xs) > k else "") + "]"


def _first_mismatch(got, exp, rtol, atol=0.0):
    for i, (g, e) in enumerate(zip(got, exp)):
        if not math.isfinite(g) or abs(g - e) > atol + rtol * abs(e):
            return i
    return None


def _assert_losses_match(got, exp, fname, rtol=1e-4):
    i = _first_mismatch(got, exp, rtol)
    assert i is None, (
        f"{fname}: loss number {i} should be {exp[i]:.6g} (the loss before step {i} of "
        f"gradient descent, recomputed by the grader), got {got[i]:.6g}. "
        + ("The first loss is right, so the steps themselves go wrong: check the update "
           "params.data -= lr * params.grad and that params.grad is reset after each step."
           if i > 0 else "Check how the loss is computed (mean of squared errors).")
    )


def _params_after(call, fname):
    p = call.args[0]
    assert isinstance(p, torch.Tensor) and p.shape == (3,), (
        f"{fname} must update params in place (still a tensor of shape (3,))"
    )
    return p


def _assert_params_close(got, exp, what, rtol=1e-4):
    exp = exp.double()
    scale = float(exp.abs().max())
    ok = torch.allclose(got.double(), exp, rtol=rtol, atol=rtol * scale)
    assert ok, (
        f"{what}: the parameters should be {_fmt(exp.tolist())}, got {_fmt(got.double().tolist())}"
    )


# ----------------------------------------------------------------- init_params


def _expected_init(seed):
    # fastai's set_seed(seed) seeds torch's global generator with torch.manual_seed (and
    # Python's and NumPy's, which randn does not use); importing fastai here would only
    # add seconds to every grading process's start.
    torch.manual_seed(seed)
    return torch.randn(3)


@problem("init_params")
def test_init_params_random_seeds(student, rng):
    for _ in range(2):
        s = _randint(rng, 0, 2**31 - 1)
        got = student.init_params(s)
        exp = _expected_init(s)
        assert isinstance(got, torch.Tensor) and got.shape == exp.shape, (
            f"init_params({s}) should return a tensor of shape (3,), got "
            f"{getattr(got, 'shape', type(got).__name__)}"
        )
        assert torch.allclose(got.double(), exp.double(), rtol=0, atol=1e-6), (
            f"init_params({s}) should be fastai set_seed({s}) followed by torch.randn(3): "
            f"expected {_fmt(exp.tolist())}, got {_fmt(got.double().tolist())} "
            "(use the seed that is passed in, do not hard-code values)"
        )


@problem("init_params")
def test_init_params_default_seed(student):
    got = student.init_params()
    exp = _expected_init(666)
    assert isinstance(got, torch.Tensor) and got.shape == exp.shape, (
        "init_params() should return a tensor of shape (3,)"
    )
    assert torch.allclose(got.double(), exp.double(), rtol=0, atol=1e-6), (
        f"init_params() with the default seed 666 should be {_fmt(exp.tolist())}, got "
        f"{_fmt(got.double().tolist())}"
    )


@problem("init_params")
def test_init_params_is_leaf_requiring_grad(student, rng):
    got = student.init_params(_randint(rng, 0, 10_000))
    assert isinstance(got, torch.Tensor), (
        f"init_params should return a tensor, got a {type(got).__name__}"
    )
    i = info(got)
    assert i.requires_grad, "the tensor returned by init_params should require grad"
    assert i.is_leaf, (
        "the tensor returned by init_params should be a leaf tensor (call .requires_grad_() "
        "on the random tensor itself, not on the result of an operation on it)"
    )


@problem("init_params")
def test_init_params_shape_and_dtype(student, rng):
    got = student.init_params(_randint(rng, 0, 10_000))
    assert isinstance(got, torch.Tensor), (
        f"init_params should return a tensor, got a {type(got).__name__}"
    )
    assert tuple(got.shape) == (3,), f"init_params should have shape (3,), got {tuple(got.shape)}"
    assert got.dtype == torch.float32, f"init_params should be float32, got {got.dtype}"


# ------------------------------------------------------------------- quadratic


def _expected_quadratic(t, params):
    a, b, c = params.double()
    td = t.double()
    return a * td**2 + b * td + c


def _check_quadratic(got, exp, what):
    assert isinstance(got, torch.Tensor), (
        f"quadratic should return a tensor, got a {type(got).__name__}"
    )
    assert got.shape == exp.shape, (
        f"quadratic({what}) should have one value per time, shape {tuple(exp.shape)}; got "
        f"{tuple(got.shape)}"
    )
    scale = float(exp.abs().max()) + 1.0
    assert torch.allclose(got.double(), exp, rtol=1e-5, atol=1e-5 * scale), (
        f"quadratic({what}) should be a*t**2 + b*t + c with a, b, c = params: expected "
        f"{_fmt(exp.tolist())}, got {_fmt(got.double().tolist())}"
    )


@problem("quadratic")
def test_quadratic_on_integer_times(student, rng):
    t, _ = _parabola_data(rng)
    params = _random_params(rng)
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "t = 0, 1, 2, ...")


@problem("quadratic")
def test_quadratic_on_real_times(student, rng):
    n = _randint(rng, 3, 20)
    t = torch.randn(n, generator=rng) * 4
    params = _random_params(rng) * 2
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "random real t, some negative")


@problem("quadratic")
def test_quadratic_single_time(student, rng):
    t = torch.randn(1, generator=rng) * 3
    params = _random_params(rng)
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "a single time")


@problem("quadratic")
def test_quadratic_keeps_graph(student, rng):
    t, _ = _parabola_data(rng)
    params = _leaf_params(rng)
    got = student.quadratic(t, params)
    assert isinstance(got, torch.Tensor), (
        f"quadratic should return a tensor, got a {type(got).__name__}"
    )
    assert info(got).has_grad_fn, (
        "when params requires grad, quadratic(t, params) should keep the autograd graph "
        "(so that the loss can be backpropagated to params); the result had no grad_fn "
        "(did you build a new tensor with torch.tensor(...), or use .item() or .detach()?)"
    )


@problem("quadratic")
def test_quadratic_does_not_modify_inputs(student, rng):
    t, _ = _parabola_data(rng)
    params = _random_params(rng)
    call = student.call("quadratic", t, params)
    assert torch.equal(call.args[0], t), "quadratic must not modify t"
    assert torch.equal(call.args[1], params), "quadratic must not modify params"


# ------------------------------------------------------------------------- mse


@problem("mse")
def test_mse_value_is_mean(student, rng):
    n = _randint(rng, 3, 40)
    preds = torch.randn(n, generator=rng) * 5
    targets = torch.randn(n, generator=rng) * 5
    got = student.mse(preds, targets)
    assert isinstance(got, torch.Tensor), f"mse should return a tensor, got a {type(got).__name__}"
    exp = float(((preds.double() - targets.double()) ** 2).mean())
    g = float(got.double().reshape(-1)[0]) if got.numel() == 1 else float("nan")
    assert got.numel() == 1 and abs(g - exp) <= 1e-5 * abs(exp) + 1e-6, (
        f"mse should be the mean of the squared differences: expected {exp:.4f} for {n} "
        f"values, got {_fmt(got.double().reshape(-1).tolist())}"
        + (" (did you sum instead of average?)"
           if got.numel() == 1 and abs(g - n * exp) <= 1e-4 * n * abs(exp) else "")
    )


@problem("mse")
def test_mse_is_0dim(student, rng):
    n = _randint(rng, 3, 40)
    got = student.mse(torch.randn(n, generator=rng), torch.randn(n, generator=rng))
    assert isinstance(got, torch.Tensor), f"mse should return a tensor, got a {type(got).__name__}"
    assert got.dim() == 0, f"mse should return a 0-dim tensor, got shape {tuple(got.shape)}"


@problem("mse")
def test_mse_keeps_graph(student, rng):
    n = _randint(rng, 3, 40)
    preds = torch.randn(n, generator=rng).requires_grad_()
    got = student.mse(preds, torch.randn(n, generator=rng))
    assert isinstance(got, torch.Tensor), f"mse should return a tensor, got a {type(got).__name__}"
    assert info(got).has_grad_fn, (
        "when preds requires grad, mse should keep the autograd graph so that "
        "loss.backward() works; the result had no grad_fn (did you use .item() or .detach()?)"
    )


@problem("mse")
def test_mse_does_not_modify_inputs(student, rng):
    n = _randint(rng, 3, 40)
    preds = torch.randn(n, generator=rng)
    targets = torch.randn(n, generator=rng)
    call = student.call("mse", preds, targets)
    assert torch.equal(call.args[0], preds) and torch.equal(call.args[1], targets), (
        "mse must not modify preds or targets"
    )


# --------------------------------------------------------------- loss_and_grad


def _call_loss_and_grad(student, rng):
    t, y = _parabola_data(rng)
    params = _leaf_params(rng)
    call = student.call("loss_and_grad", params, t, y)
    value = call.value
    assert isinstance(value, (tuple, list)) and len(value) == 2, (
        "loss_and_grad should return a pair (loss, grad), got "
        f"{type(value).__name__}"
    )
    loss, grad = value
    assert isinstance(loss, torch.Tensor) and isinstance(grad, torch.Tensor), (
        "loss_and_grad should return two tensors (loss, grad), got "
        f"({type(loss).__name__}, {type(grad).__name__})"
    )
    return call, loss, grad, params.detach(), t, y


@problem("loss_and_grad")
def test_loss_and_grad_loss_value(student, rng):
    _, loss, _, params, t, y = _call_loss_and_grad(student, rng)
    exp = _loss(params, t, y)
    assert loss.numel() == 1 and abs(float(loss) - exp) <= 1e-4 * abs(exp), (
        f"the loss should be mse(quadratic(t, params), y) = {exp:.6g}, got "
        f"{_fmt(loss.double().reshape(-1).tolist())}"
    )


@problem("loss_and_grad")
def test_loss_and_grad_gradient_value(student, rng):
    _, _, grad, params, t, y = _call_loss_and_grad(student, rng)
    exp = _grad(params, t, y)
    assert grad.shape == (3,), (
        f"the gradient should have the shape of params, (3,), got {tuple(grad.shape)}"
    )
    scale = float(exp.abs().max())
    assert torch.allclose(grad.double(), exp, rtol=1e-3, atol=1e-4 * scale), (
        f"the gradient of the MSE with respect to (a, b, c) should be {_fmt(exp.tolist())}, "
        f"got {_fmt(grad.double().tolist())}"
    )


@problem("loss_and_grad")
def test_loss_and_grad_shapes(student, rng):
    _, loss, grad, _, _, _ = _call_loss_and_grad(student, rng)
    assert loss.dim() == 0, f"the loss should be a 0-dim tensor, got shape {tuple(loss.shape)}"
    assert tuple(grad.shape) == (3,), (
        f"the gradient should have shape (3,), got {tuple(grad.shape)}"
    )


@problem("loss_and_grad")
def test_loss_and_grad_returns_detached(student, rng):
    _, loss, grad, _, _, _ = _call_loss_and_grad(student, rng)
    assert not info(loss).requires_grad, (
        "the returned loss should be detached from the graph (loss.detach())"
    )
    assert not info(grad).requires_grad, "the returned gradient should not require grad"


@problem("loss_and_grad")
def test_loss_and_grad_resets_params_grad(student, rng):
    call, _, _, _, _, _ = _call_loss_and_grad(student, rng)
    assert info(call.args[0]).grad is None, (
        "after loss_and_grad, params.grad should be None again (set params.grad = None "
        "after reading the gradient)"
    )


@problem("loss_and_grad")
def test_loss_and_grad_leaves_params_unchanged(student, rng):
    call, _, _, params, t, y = _call_loss_and_grad(student, rng)
    after = call.args[0]
    i = info(after)
    assert torch.equal(after, params), "loss_and_grad must not change the values of params"
    assert i.requires_grad and i.is_leaf, (
        "after loss_and_grad, params should still be a leaf tensor that requires grad"
    )
    assert torch.equal(call.args[1], t) and torch.equal(call.args[2], y), (
        "loss_and_grad must not modify t or y"
    )


# ------------------------------------------------------------------ apply_step


def _call_apply_step(student, rng):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _leaf_params(rng)
    call = student.call("apply_step", params, t, y, lr)
    return call, params.detach(), t, y, lr


@problem("apply_step")
def test_apply_step_returns_python_float(student, rng):
    call, *_ = _call_apply_step(student, rng)
    v = call.value
    assert isinstance(v, float), (
        f"apply_step should return the loss as a Python float (loss.item()), got a "
        f"{type(v).__name__}"
    )


@problem("apply_step")
def test_apply_step_returns_loss_before_step(student, rng):
    call, params, t, y, _ = _call_apply_step(student, rng)
    v = call.value
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = float(v)
    assert isinstance(v, (int, float)), (
        f"apply_step should return the loss as a float, got a {type(v).__name__}"
    )
    exp = _loss(params, t, y)
    assert abs(v - exp) <= 1e-4 * abs(exp), (
        f"apply_step should return the loss before the step, mse(quadratic(t, params), y) = "
        f"{exp:.6g}; got {v:.6g}"
    )


@problem("apply_step")
def test_apply_step_updates_params(student, rng):
    call, params, t, y, lr = _call_apply_step(student, rng)
    after = _params_after(call, "apply_step")
    exp = params.double() - lr * _grad(params, t, y)
    diff = exp - params.double()
    got_diff = after.double() - params.double()
    # compare the step itself, which is what can go wrong
    ok = torch.allclose(got_diff, diff, rtol=1e-3, atol=1e-3 * float(diff.abs().max()) + 1e-6)
    assert ok, (
        f"after one step with lr={lr:g}, params should be params - lr * params.grad = "
        f"{_fmt(exp.tolist())}, got {_fmt(after.double().tolist())} "
        f"(started from {_fmt(params.tolist())})"
    )


@problem("apply_step")
def test_apply_step_params_stay_leaf_requiring_grad(student, rng):
    call, *_ = _call_apply_step(student, rng)
    i = info(_params_after(call, "apply_step"))
    assert i.requires_grad and i.is_leaf, (
        "after apply_step, params should still be a leaf tensor that requires grad "
        "(update it in place through params.data, or under torch.no_grad())"
    )


@problem("apply_step")
def test_apply_step_resets_grad(student, rng):
    call, *_ = _call_apply_step(student, rng)
    assert info(_params_after(call, "apply_step")).grad is None, (
        "after apply_step, params.grad should be None; otherwise the next backward() adds "
        "the new gradient to the old one"
    )


@problem("apply_step")
def test_apply_step_does_not_modify_data(student, rng):
    call, _, t, y, _ = _call_apply_step(student, rng)
    assert torch.equal(call.args[1], t) and torch.equal(call.args[2], y), (
        "apply_step must not modify t or y"
    )


# ----------------------------------------------------------------------- train


def _call_train(student, rng, n_min, n_max):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _leaf_params(rng)
    n_steps = _randint(rng, n_min, n_max)
    call = student.call("train", params, t, y, lr, n_steps)
    return call, params.detach(), t, y, lr, n_steps


@problem("train")
def test_train_returns_one_loss_per_step(student, rng):
    call, _, _, _, _, n_steps = _call_train(student, rng, 3, 30)
    losses = _as_floats(call.value, "train")
    assert len(losses) == n_steps, (
        f"train with n_steps={n_steps} should return {n_steps} losses, got {len(losses)}"
    )


@problem("train")
def test_train_first_steps_match_gradient_descent(student, rng):
    # At least 3 steps: a gradient that is never reset first changes loss number 2.
    call, params, t, y, lr, n_steps = _call_train(student, rng, 3, 6)
    losses = _as_floats(call.value, "train")
    exp, _ = _gd(params, t, y, lr, n_steps)
    assert len(losses) == n_steps, (
        f"train with n_steps={n_steps} should return {n_steps} losses, got {len(losses)}"
    )
    _assert_losses_match(losses, exp, "train")


@problem("train")
def test_train_long_run_matches_gradient_descent(student, rng):
    call, params, t, y, lr, n_steps = _call_train(student, rng, 100, 300)
    losses = _as_floats(call.value, "train")
    exp, _ = _gd(params, t, y, lr, n_steps)
    assert len(losses) == n_steps, (
        f"train with n_steps={n_steps} should return {n_steps} losses, got {len(losses)}"
    )
    _assert_losses_match(losses, exp, "train")


@problem("train")
def test_train_final_params(student, rng):
    call, params, t, y, lr, n_steps = _call_train(student, rng, 20, 200)
    _, exp = _gd(params, t, y, lr, n_steps)
    _assert_params_close(_params_after(call, "train"), exp,
                         f"after train with n_steps={n_steps}, lr={lr:g}", rtol=1e-3)


@problem("train")
def test_train_decreases_recomputed_loss(student, rng):
    # Few steps, far from convergence, and several step counts on the same data: a wrong
    # update (say, a gradient never reset) can land on the right loss after one step count
    # by chance, but not after four; the result must not depend on the random inputs.
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    start = _random_params(rng)
    counts = sorted(int(n) for n in torch.randperm(14, generator=rng)[:4] + 2)  # in 2..15
    for n_steps in counts:
        call = student.call("train", start.clone().requires_grad_(), t, y, lr, n_steps)
        after = _params_after(call, "train")
        i = info(after)
        assert i.requires_grad and i.is_leaf, (
            "after train, params should still be a leaf tensor that requires grad"
        )
        _, theta = _gd(start, t, y, lr, n_steps)
        before, now, reference = _loss(start, t, y), _loss(after, t, y), _loss(theta, t, y)
        # Within 0.1% of the decrease plain gradient descent achieves (float32 rounding
        # stays below 0.01%).
        assert abs(now - reference) <= 1e-3 * (before - reference), (
            f"after {n_steps} steps of train the loss of the parameters (recomputed by the "
            f"grader) should have gone down from {before:.6g} to about {reference:.6g}; it "
            f"is {now:.6g}"
        )


# ----------------------------------------------------------------- train_until


def _pick_tol_stop(losses, rng):
    """A tol for which the rule stops at a k >= 2 with a wide safety margin, or None."""
    candidates = []
    running_min = math.inf
    for k in range(1, len(losses)):
        dk = losses[k - 1] - losses[k]
        if (k >= 2 and dk > 1e-4 * losses[k - 1] and running_min >= 3 * dk):
            candidates.append((k, math.sqrt(running_min * dk)))
        running_min = min(running_min, dk)
        if running_min <= 0:
            break
    if not candidates:
        return None
    k, tol = candidates[_randint(rng, 0, len(candidates) - 1)]
    return k, float(f"{tol:.3g}")


def _tol_stop_case(rng):
    """Data, lr, params and a tol for which train_until stops well before max_steps."""
    for _ in range(20):
        t, y = _parabola_data(rng)
        lr = _stable_lr(t, rng)
        params = _random_params(rng)
        max_steps = _randint(rng, 60, 150)
        traj, _ = _gd(params, t, y, lr, max_steps)
        picked = _pick_tol_stop(traj, rng)
        if picked is not None and picked[0] < max_steps - 5:
            k, tol = picked
            exp, theta = _gd_until(params, t, y, lr, tol, max_steps)
            if len(exp) == k + 1:
                return t, y, lr, params, tol, max_steps, exp, theta
    raise RuntimeError("grader could not build a train_until case")  # pragma: no cover


@problem("train_until")
def test_train_until_stops_at_tolerance(student, rng):
    t, y, lr, params, tol, max_steps, exp, _ = _tol_stop_case(rng)
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    losses = _as_floats(call.value, "train_until")
    k = len(exp) - 1
    assert len(losses) == len(exp), (
        f"train_until with tol={tol:g}, max_steps={max_steps} should stop right after "
        f"recording loss l[{k}], because l[{k - 1}] - l[{k}] < tol for the first time there, "
        f"returning {len(exp)} losses; it returned {len(losses)}"
    )
    # The right stop with the wrong losses is a coincidence, not a pass.
    _assert_losses_match(losses, exp, "train_until")


@problem("train_until")
def test_train_until_losses_match_gradient_descent(student, rng):
    t, y, lr, params, tol, max_steps, exp, _ = _tol_stop_case(rng)
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    losses = _as_floats(call.value, "train_until")
    n = min(len(losses), len(exp))
    assert n >= 2, f"train_until returned only {len(losses)} losses"
    _assert_losses_match(losses[:n], exp[:n], "train_until")


@problem("train_until")
def test_train_until_params_after_stop(student, rng):
    t, y, lr, params, tol, max_steps, exp, theta = _tol_stop_case(rng)
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    after = _params_after(call, "train_until")
    _assert_params_close(
        after, theta,
        f"train_until should stop after {len(exp)} steps (one step per recorded loss); "
        f"after that", rtol=1e-3)
    i = info(after)
    assert i.requires_grad and i.is_leaf, (
        "after train_until, params should still be a leaf tensor that requires grad"
    )


@problem("train_until")
def test_train_until_max_steps(student, rng):
    for _ in range(20):
        t, y = _parabola_data(rng)
        lr = _stable_lr(t, rng)
        params = _random_params(rng)
        max_steps = _randint(rng, 5, 30)
        traj, _ = _gd(params, t, y, lr, max_steps)
        diffs = [a - b for a, b in zip(traj[:-1], traj[1:])]
        min_diff = min(diffs)
        # every decrease must be far above float32 rounding of the losses themselves
        if min(d / abs(a) for d, a in zip(diffs, traj[:-1])) > 1e-4:
            tol = float(f"{min_diff / 4:.3g}")
            break
    else:  # pragma: no cover - practically never; a tol no decrease can fall below
        tol = -1e30
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    losses = _as_floats(call.value, "train_until")
    assert len(losses) == max_steps, (
        f"with tol={tol:g} the loss keeps dropping by more than tol at every step, so "
        f"train_until should stop only when max_steps={max_steps} losses are recorded; it "
        f"returned {len(losses)} losses"
    )
    _assert_losses_match(losses, traj, "train_until")


@problem("train_until")
def test_train_until_checks_from_second_loss(student, rng):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _random_params(rng)
    traj, _ = _gd(params, t, y, lr, 3)
    tol = float(f"{10 * abs(traj[0]) + 1:.3g}")  # larger than any possible decrease
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, 50)
    losses = _as_floats(call.value, "train_until")
    assert len(losses) == 2, (
        f"with a huge tol={tol:g}, train_until should record l[0], then l[1], see that "
        f"l[0] - l[1] < tol and stop: 2 losses. It returned {len(losses)}"
    )


# ----------------------------------------------------------------- standardize


def _random_times(rng):
    n = _randint(rng, 5, 40)
    if _randint(rng, 0, 1):
        return torch.arange(n).float() * _uniform(rng, 0.5, 3.0) + _uniform(rng, -10, 10)
    return torch.randn(n, generator=rng) * _uniform(rng, 0.5, 5.0) + _uniform(rng, -10, 10)


def _call_standardize(student, rng):
    t = _random_times(rng)
    call = student.call("standardize", t)
    v = call.value
    assert isinstance(v, (tuple, list)) and len(v) == 3, (
        f"standardize should return a tuple (z, mean, std), got {type(v).__name__}"
    )
    return call, t, v


def _num(v, what):
    if isinstance(v, torch.Tensor):
        assert v.numel() == 1, f"{what} should be a single number, got shape {tuple(v.shape)}"
        return float(v)
    assert isinstance(v, (int, float)), f"{what} should be a number, got {type(v).__name__}"
    return float(v)


@problem("standardize")
def test_standardize_z(student, rng):
    _, t, (z, _, _) = _call_standardize(student, rng)
    td = t.double()
    exp = (td - td.mean()) / td.std()
    assert isinstance(z, torch.Tensor) and z.shape == t.shape, (
        f"z should be a tensor with the shape of t, {tuple(t.shape)}"
    )
    assert torch.allclose(z.double(), exp, rtol=1e-4, atol=1e-4), (
        f"z should be (t - mean) / std with the unbiased std: expected {_fmt(exp.tolist())}, "
        f"got {_fmt(z.double().tolist())}"
    )


@problem("standardize")
def test_standardize_mean(student, rng):
    _, t, (_, mean, _) = _call_standardize(student, rng)
    exp = float(t.double().mean())
    got = _num(mean, "mean")
    assert abs(got - exp) <= 1e-4 * (abs(exp) + 1), (
        f"mean should be the mean of t, {exp:.5g}; got {got:.5g}"
    )


@problem("standardize")
def test_standardize_unbiased_std(student, rng):
    _, t, (_, _, std) = _call_standardize(student, rng)
    exp = float(t.double().std())
    got = _num(std, "std")
    biased = float(t.double().std(unbiased=False))
    assert abs(got - exp) <= 1e-4 * exp, (
        f"std should be the unbiased standard deviation of t (torch.std's default), "
        f"{exp:.5g}; got {got:.5g}"
        + (" (that is the biased one, dividing by n instead of n - 1)"
           if abs(got - biased) <= 1e-4 * biased else "")
    )


@problem("standardize")
def test_standardize_does_not_modify_t(student, rng):
    call, t, _ = _call_standardize(student, rng)
    assert torch.equal(call.args[0], t), "standardize must not modify t"


# ----------------------------------------------------------- to_original_units


def _eval_parabola(p, x):
    a, b, c = (float(v) for v in p)
    return a * x**2 + b * x + c


def _random_conversion_case(rng):
    params_z = torch.randn(3, generator=rng) * 3
    mean = torch.tensor(_uniform(rng, -20, 20))
    std = torch.tensor(_uniform(rng, 0.5, 10))
    return params_z, mean, std


def _check_converted(got):
    assert isinstance(got, torch.Tensor), (
        f"to_original_units should return a tensor [a, b, c], got a {type(got).__name__}"
    )
    assert got.numel() == 3, (
        f"to_original_units should return 3 parameters [a, b, c], got shape {tuple(got.shape)}"
    )
    return got.reshape(3).double()


@problem("to_original_units")
def test_to_original_units_same_parabola(student, rng):
    params_z, mean, std = _random_conversion_case(rng)
    got = _check_converted(student.to_original_units(params_z, mean, std))
    m, s = float(mean), float(std)
    ts = (m + s * 2 * torch.randn(8, generator=rng, dtype=torch.float64))
    exp = _eval_parabola(params_z.double(), (ts - m) / s)
    val = _eval_parabola(got, ts)
    scale = float(exp.abs().max()) + 1.0
    assert torch.allclose(val, exp, rtol=1e-4, atol=1e-4 * scale), (
        f"the converted parameters should describe the same parabola: for params_z="
        f"{_fmt(params_z.tolist())}, mean={m:.4g}, std={s:.4g}, a*t**2 + b*t + c should equal "
        f"a'*z**2 + b'*z + c' with z = (t - mean)/std. At t={_fmt(ts.tolist(), 3)} expected "
        f"{_fmt(exp.tolist(), 3)}, got {_fmt(val.tolist(), 3)}"
    )


@problem("to_original_units")
def test_to_original_units_of_a_fit(student, rng):
    t, y = _parabola_data(rng)
    td, yd = t.double(), y.double()
    mean, std = td.mean(), td.std()
    z = (td - mean) / std
    Az = torch.stack([z**2, z, torch.ones_like(z)], dim=1)
    params_z = torch.linalg.lstsq(Az, yd.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    exp = torch.linalg.lstsq(_design(t), yd.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    got = _check_converted(student.to_original_units(params_z.float(), mean.float(), std.float()))
    # each coefficient on its own scale: a ~ a, b ~ a*n, c ~ a*n**2 for t in 0..n-1
    n, a = len(t), abs(float(exp[0]))
    atol = torch.tensor([1.0, n, n**2], dtype=torch.float64) * 1e-4 * a
    ok = bool(((got - exp).abs() <= 1e-4 * exp.abs() + atol).all())
    assert ok, (
        f"fitting the parabola on z = (t - mean)/std and converting with to_original_units "
        f"should give the least-squares parabola in t, [a, b, c] = {_fmt(exp.tolist())}; got "
        f"{_fmt(got.tolist())}"
    )


@problem("to_original_units")
def test_to_original_units_identity(student, rng):
    params_z = torch.randn(3, generator=rng) * 3
    got = _check_converted(student.to_original_units(params_z, torch.tensor(0.0),
                                                     torch.tensor(1.0)))
    assert torch.allclose(got, params_z.double(), rtol=1e-5, atol=1e-5), (
        f"with mean 0 and std 1, z equals t, so the parameters should come back unchanged, "
        f"{_fmt(params_z.tolist())}; got {_fmt(got.tolist())}"
    )


@problem("to_original_units")
def test_to_original_units_shape(student, rng):
    params_z, mean, std = _random_conversion_case(rng)
    got = student.to_original_units(params_z, mean, std)
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (3,), (
        "to_original_units should return a tensor of shape (3,), got "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}"
    )


@problem("to_original_units")
def test_to_original_units_does_not_modify_inputs(student, rng):
    params_z, mean, std = _random_conversion_case(rng)
    call = student.call("to_original_units", params_z, mean, std)
    assert torch.equal(call.args[0], params_z), "to_original_units must not modify params_z"
    assert torch.equal(call.args[1], mean) and torch.equal(call.args[2], std), (
        "to_original_units must not modify mean or std"
    )


# ----------------------------------------- the trained parabola, drawn on the feedback page

from autograder.grading import attach  # noqa: E402


@problem("train")
def test_train_fits_parabola_like_least_squares(student, rng):
    # standardized times, as in the lecture's fix: plain gradient descent then converges
    t, y = _parabola_data(rng)
    ts = (t - t.mean()) / t.std()
    lr = _stable_lr(ts, rng)
    params = _leaf_params(rng)
    n_steps = _randint(rng, 300, 500)
    call = student.call("train", params, ts, y, lr, n_steps)
    after = _params_after(call, "train")
    A = _design(ts)
    best_params = torch.linalg.lstsq(A, y.double().unsqueeze(1), driver="gelsd").solution.squeeze(1)
    grid = torch.linspace(float(ts.min()), float(ts.max()), 80, dtype=torch.float64)
    G = _design(grid)
    attach("train", "fit", x_label="time (standardized)", y_label="y", x=ts, y=y,
           x_curve=grid, student=G @ after.double(), lstsq=G @ best_params)
    now, best = _loss(after, ts, y), _loss(best_params, ts, y)
    assert now <= 1.05 * best, (
        f"after train with n_steps={n_steps}, lr={lr:g} on standardized times, the loss of the "
        f"parameters (recomputed by the grader) should be within 5% of the least-squares "
        f"minimum {best:.5g}; it is {now:.5g}"
    )
