"""Hidden graders for 02-seven-steps.ipynb: the seven steps of SGD on a noisy parabola.

The data are a fresh noisy parabola in every run (random length, shape and
noise, drawn from the `rng` fixture). Every expected number is computed here,
in float64, from closed forms: the gradient of the MSE of a parabola
a*t**2 + b*t + c is 2/n * A^T (A theta - y) with A = [t**2, t, 1], and the
grader runs its own gradient-descent trajectory to compare against. Losses are
always recomputed from the parameters the student's code leaves behind.

Unmarked tests are *core* checks (the right values, the right update, the right
trajectory): one failed, the problem earns 0. `@contract(w)` tests check the side
rules (form of the result, no mutation, leaf-ness, a reset gradient); each failed one
costs the share w of the points (docs/graders.md). The student's `loss_and_grad`,
`apply_step`, `train` and `train_until` run with the reference versions of the other
problems' functions (mse, quadratic, apply_step, ...), so each is judged on its own code.
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
    carry,
    fmt,
    is_tensor,
    kind,
    numbers,
    randint,
    unchanged,
    uniform,
)

from autograder.grading import attach, contract, info, problem, requires

# --------------------------------------------------------------------- helpers


def _parabola_data(rng, n_min=8, n_max=30):
    """The lecture's kind of data: t = 0..n-1, y a noisy parabola in t."""
    n = randint(rng, n_min, n_max)
    t = torch.arange(n).float()
    a0 = uniform(rng, 0.3, 1.5)
    centre = n * uniform(rng, 0.3, 0.7)
    c0 = uniform(rng, -5.0, 5.0)
    noise = uniform(rng, 1.0, 3.0)
    y = (a0 * (t - centre) ** 2 + c0 + noise * torch.randn(n, generator=rng)).float()
    return t, y


def _design(t):
    td = t.double()
    return torch.stack([td**2, td, torch.ones_like(td)], dim=1)


def _stable_lr(t, rng):
    """A learning rate that is stable for plain GD on this t (a fraction of 1/lambda_max)."""
    A = _design(t)
    lam_max = float(torch.linalg.eigvalsh(2.0 / len(t) * A.T @ A)[-1])
    lr = uniform(rng, 0.3, 0.8) / lam_max
    return float(f"{lr:.3g}")


def _random_params(rng):
    return torch.randn(3, generator=rng)


def _leaf_params(rng):
    return _random_params(rng).requires_grad_()


def _loss(params, t, y):
    """MSE of the parabola with these params, in float64."""
    r = _design(t) @ params.double().reshape(-1) - y.double()
    return float((r**2).mean())


def _grad(params, t, y):
    """Analytic gradient of the MSE w.r.t. (a, b, c), in float64."""
    A = _design(t)
    r = A @ params.double() - y.double()
    return 2.0 / len(t) * A.T @ r


def _gd(params, t, y, lr, n_steps, tol=None):
    """The grader's own trajectory: the loss before each step, and the params at the end.
    With TOL, train_until's rule: stop right after l[k] (k >= 1) if l[k-1] - l[k] < tol."""
    theta = params.double().clone()
    losses = []
    for k in range(n_steps):
        losses.append(_loss(theta, t, y))
        theta = theta - lr * _grad(theta, t, y)
        if tol is not None and k >= 1 and losses[k - 1] - losses[k] < tol:
            break
    return losses, theta


_LATER = ("The first loss is right, so the steps themselves go wrong: check the update "
          "params.data -= lr * params.grad and that params.grad is reset after each step.")
_FIRST = "Check how the loss is computed (mean of squared errors)."


def _assert_trajectory(losses, exp, fname):
    assert_losses_match(losses, exp, fname, "the loss before that step of gradient descent",
                        _LATER, _FIRST)


def _params_after(call, fname):
    p = call.args[0]
    assert is_tensor(p) and p.numel() == 3, (
        f"{fname} must update params in place (still a tensor of 3 values); it is "
        f"{kind(p)} afterwards")
    return p


def _assert_params_close(got, exp, what, rtol=1e-4):
    scale = float(exp.abs().max())
    assert_close(got, exp, f"{what}, the parameters", rtol=rtol, atol=rtol * scale)


def _leaf_requiring_grad(p, fname):
    i = info(p)
    assert i.requires_grad and i.is_leaf, (
        f"after {fname}, params should still be a leaf tensor that requires grad (update "
        "it in place through params.data, or under torch.no_grad())")


# ----------------------------------------------------------------- init_params


def _expected_init(seed):
    # fastai's set_seed(seed) seeds torch's global generator with torch.manual_seed (and
    # Python's and NumPy's, which randn does not use); importing fastai here would only
    # add seconds to every grading process's start.
    torch.manual_seed(seed)
    return torch.randn(3)


@requires(r"call `set_seed(seed)`, then draw `torch.randn(3)`")
@problem("init_params")
def test_init_params_random_seeds(student, rng):
    for _ in range(2):
        s = randint(rng, 0, 2**31 - 1)
        assert_close(student.init_params(s), _expected_init(s),
                     f"init_params({s}) should be fastai set_seed({s}) followed by "
                     "torch.randn(3) (use the seed passed in; do not hard-code values)",
                     rtol=0, atol=1e-6)


@contract(0.25)  # the default argument
@requires(r"`init_params(seed: int = 666) -> Tensor`")
@problem("init_params")
def test_init_params_default_seed(student):
    assert_close(student.init_params(), _expected_init(666),
                 "init_params() should use the default seed 666", rtol=0, atol=1e-6)


@contract(0.5)  # leaf-ness and requires_grad: what makes the parameters trainable
@requires(r"make it require grad (`.requires_grad_()`)", r"a **leaf** of the graph")
@problem("init_params")
def test_init_params_is_leaf_requiring_grad(student, rng):
    got = student.init_params(randint(rng, 0, 10_000))
    assert is_tensor(got), f"init_params should return a tensor, got {kind(got)}"
    i = info(got)
    assert i.requires_grad, "the tensor returned by init_params should require grad"
    assert i.is_leaf, (
        "the tensor returned by init_params should be a leaf tensor (call .requires_grad_() "
        "on the random tensor itself, not on the result of an operation on it)")


@contract(0.25)  # shape and dtype
@requires(r"then draw `torch.randn(3)`")
@problem("init_params")
def test_init_params_shape_and_dtype(student, rng):
    got = student.init_params(randint(rng, 0, 10_000))
    assert is_tensor(got) and tuple(got.shape) == (3,), (
        f"init_params should return a tensor of shape (3,), got {kind(got)}")
    assert got.dtype == torch.float32, f"init_params should be float32, got {got.dtype}"


# ------------------------------------------------------------------- quadratic


def _expected_quadratic(t, params):
    a, b, c = params.double()
    td = t.double()
    return a * td**2 + b * td + c


def _check_quadratic(got, exp, what):
    scale = float(exp.abs().max()) + 1.0
    assert_close(got, exp, f"quadratic({what}) should be a*t**2 + b*t + c with a, b, c = "
                 "params, one value per time", rtol=1e-5, atol=1e-5 * scale)


@requires(r"`a * t**2 + b * t + c`, one prediction per entry of `t`")
@problem("quadratic")
def test_quadratic_on_integer_times(student, rng):
    t, _ = _parabola_data(rng)
    params = _random_params(rng)
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "t = 0, 1, 2, ...")


@requires(r"`a * t**2 + b * t + c`, one prediction per entry of `t`")
@problem("quadratic")
def test_quadratic_on_real_times(student, rng):
    t = torch.randn(randint(rng, 3, 20), generator=rng) * 4
    params = _random_params(rng) * 2
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "random real t, some negative")


@requires(r"`a * t**2 + b * t + c`, one prediction per entry of `t`")
@problem("quadratic")
def test_quadratic_single_time(student, rng):
    t = torch.randn(1, generator=rng) * 3
    params = _random_params(rng)
    _check_quadratic(student.quadratic(t, params), _expected_quadratic(t, params),
                     "a single time")


@requires(r"keeps the autograd graph back to `params`")
@problem("quadratic")
def test_quadratic_keeps_graph(student, rng):
    t, _ = _parabola_data(rng)
    assert_keeps_graph(student.quadratic(t, _leaf_params(rng)), "quadratic",
                       "params requires grad")


@contract(0.25)  # the form of the result
@requires(r"(same shape as `t`)")
@problem("quadratic")
def test_quadratic_has_the_shape_of_t(student, rng):
    t, _ = _parabola_data(rng)
    got = student.quadratic(t, _random_params(rng))
    assert is_tensor(got) and got.shape == t.shape, (
        f"quadratic should return one value per time, a tensor of shape {tuple(t.shape)}; "
        f"got {kind(got)}")


@contract(0.25)  # no mutation of inputs
@requires(r"leave `t` and `params` unchanged")
@problem("quadratic")
def test_quadratic_does_not_modify_inputs(student, rng):
    t, _ = _parabola_data(rng)
    params = _random_params(rng)
    unchanged(student.call("quadratic", t, params).args, [t, params], "quadratic", ["t", "params"])


# ------------------------------------------------------------------------- mse


@requires(r"the mean of the squared differences")
@problem("mse")
def test_mse_value_is_mean(student, rng):
    n = randint(rng, 3, 40)
    preds = torch.randn(n, generator=rng) * 5
    targets = torch.randn(n, generator=rng) * 5
    got = numbers(student.mse(preds, targets), "mse")
    exp = ((preds.double() - targets.double()) ** 2).mean()
    summed = got.numel() == 1 and abs(float(got[0]) - n * float(exp)) <= 1e-4 * n * float(exp)
    assert_close(got, exp, f"mse of {n} random predictions and targets should be the mean of "
                 "the squared differences" + (" (did you sum instead of average?)"
                                               if summed else ""), rtol=1e-5, atol=1e-6)


@requires(r"a 0-dim tensor that keeps the autograd graph")
@problem("mse")
def test_mse_keeps_graph(student, rng):
    n = randint(rng, 3, 40)
    preds = torch.randn(n, generator=rng).requires_grad_()
    assert_keeps_graph(student.mse(preds, torch.randn(n, generator=rng)), "mse",
                       "preds requires grad")


@contract(0.25)  # the form of the result
@requires(r"a 0-dim tensor that keeps the autograd graph")
@problem("mse")
def test_mse_is_0dim(student, rng):
    n = randint(rng, 3, 40)
    got = student.mse(torch.randn(n, generator=rng), torch.randn(n, generator=rng))
    assert is_tensor(got) and got.dim() == 0, f"mse should return a 0-dim tensor, got {kind(got)}"


@contract(0.25)  # no mutation of inputs
@requires(r"Don't modify `preds` or `targets`.")
@problem("mse")
def test_mse_does_not_modify_inputs(student, rng):
    n = randint(rng, 3, 40)
    preds, targets = torch.randn(n, generator=rng), torch.randn(n, generator=rng)
    unchanged(student.call("mse", preds, targets).args, [preds, targets], "mse",
              ["preds", "targets"])


# --------------------------------------------------------------- loss_and_grad
# Five side rules, 0.2 each: together they are worth all of the points.


def _call_loss_and_grad(student, rng):
    t, y = _parabola_data(rng)
    params = _leaf_params(rng)
    call = student.call("loss_and_grad", params, t, y)
    value = call.value
    assert isinstance(value, (tuple, list)) and len(value) == 2, (
        f"loss_and_grad should return a pair (loss, grad), got {kind(value)}")
    loss, grad = value
    return call, loss, grad, params.detach(), t, y


@requires(r"compute the loss `mse(quadratic(t, params), y)`")
@problem("loss_and_grad")
def test_loss_and_grad_loss_value(student, rng):
    _, loss, _, params, t, y = _call_loss_and_grad(student, rng)
    assert_close(loss, torch.tensor(_loss(params, t, y)),
                 "the loss should be mse(quadratic(t, params), y)", rtol=1e-5, atol=0)


@requires(r"compute its gradient with respect to `params` by autograd")
@problem("loss_and_grad")
def test_loss_and_grad_gradient_value(student, rng):
    _, _, grad, params, t, y = _call_loss_and_grad(student, rng)
    exp = _grad(params, t, y)
    assert_close(grad, exp, "the gradient of the MSE with respect to (a, b, c)", rtol=1e-3,
                 atol=1e-4 * float(exp.abs().max()))


@contract(0.2)  # the form of the result
@requires(r"compute the loss `mse(quadratic(t, params), y)`", r"`grad` has the shape of `params`")
@problem("loss_and_grad")
def test_loss_and_grad_shapes(student, rng):
    _, loss, grad, _, _, _ = _call_loss_and_grad(student, rng)
    assert is_tensor(loss) and loss.dim() == 0, (
        f"the loss should be a 0-dim tensor, got {kind(loss)}")
    assert is_tensor(grad) and tuple(grad.shape) == (3,), (
        f"the gradient should be a tensor of shape (3,), got {kind(grad)}")


@contract(0.2)  # detached results
@requires(r"both **detached** (they don't require grad)")
@problem("loss_and_grad")
def test_loss_and_grad_returns_detached(student, rng):
    _, loss, grad, _, _, _ = _call_loss_and_grad(student, rng)
    assert not (is_tensor(loss) and info(loss).requires_grad), (
        "the returned loss should be detached from the graph (loss.detach())")
    assert not (is_tensor(grad) and info(grad).requires_grad), (
        "the returned gradient should not require grad")


@contract(0.2)  # params.grad is None afterwards
@requires(r"afterwards `params.grad` is `None`")
@problem("loss_and_grad")
def test_loss_and_grad_resets_params_grad(student, rng):
    call, _, _, _, _, _ = _call_loss_and_grad(student, rng)
    assert info(call.args[0]).grad is None, (
        "after loss_and_grad, params.grad should be None again (set params.grad = None "
        "after reading the gradient)")


@contract(0.2)  # a reset gradient: a .grad left behind must not leak into the result
@requires(r"a gradient already stored in `params.grad` when the function is called "
          r"must not leak into the result")
@problem("loss_and_grad")
def test_loss_and_grad_ignores_a_leftover_grad(student, rng):
    # Only the returned gradient is judged: torch.autograd.grad, which leaves .grad alone,
    # is as right as resetting .grad before backward().
    t, y = _parabola_data(rng)
    params = _leaf_params(rng)
    exp = _grad(params.detach(), t, y)
    # As large as the true gradient in every entry, whatever the data's scale: a leftover
    # that leaks in is always far outside the tolerance (a fixed size hid in it on some data).
    scale = float(exp.abs().max())
    signs = torch.randint(0, 2, (3,), generator=rng) * 2 - 1
    params.grad = (signs * scale * (1 + torch.rand(3, generator=rng))).float()
    value = student.call("loss_and_grad", params, t, y).value
    assert isinstance(value, (tuple, list)) and len(value) == 2, (
        f"loss_and_grad should return a pair (loss, grad), got {kind(value)}")
    assert_close(value[1], exp, "called with params whose .grad still held an old gradient "
                 "(as a step that forgot to reset it leaves behind), loss_and_grad should "
                 "return the gradient of this loss alone (set params.grad = None before "
                 "backward()); the gradient", rtol=1e-3, atol=1e-4 * float(exp.abs().max()))


@contract(0.2)  # no mutation of inputs
@requires(r"`params` itself is unchanged")
@problem("loss_and_grad")
def test_loss_and_grad_leaves_params_unchanged(student, rng):
    call, _, _, params, t, y = _call_loss_and_grad(student, rng)
    unchanged(call.args, [params, t, y], "loss_and_grad", ["params", "t", "y"])
    _leaf_requiring_grad(call.args[0], "loss_and_grad")


# ------------------------------------------------------------------ apply_step


def _call_apply_step(student, rng):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _leaf_params(rng)
    call = student.call("apply_step", params, t, y, lr)
    return call, params.detach(), t, y, lr


def _loss_value(v, fname):
    got = numbers(v, f"{fname}'s loss")
    assert got.numel() == 1, f"{fname} should return one number, the loss, got {kind(v)}"
    return float(got[0])


@requires(r"return the loss **before** the step")
@problem("apply_step")
def test_apply_step_returns_loss_before_step(student, rng):
    call, params, t, y, _ = _call_apply_step(student, rng)
    assert_close(_loss_value(call.value, "apply_step"), torch.tensor(_loss(params, t, y)),
                 "apply_step should return the loss before the step, "
                 "mse(quadratic(t, params), y)", rtol=1e-5, atol=0)


@requires(r"`params.data -= lr * params.grad`")
@problem("apply_step")
def test_apply_step_updates_params(student, rng):
    call, params, t, y, lr = _call_apply_step(student, rng)
    after = _params_after(call, "apply_step")
    step = -lr * _grad(params, t, y)
    # compare the step itself, which is what can go wrong
    assert_close(after.double().reshape(-1) - params.double(), step,
                 f"one step with lr={lr:g} from {fmt(params)} should move params by "
                 "-lr * params.grad; the move", rtol=1e-3,
                 atol=1e-3 * float(step.abs().max()) + 1e-6)


@requires(r"one gradient-descent step, in place", r"reset `params.grad` to `None`")
@problem("apply_step")
def test_apply_step_twice_is_two_steps(student, rng):
    # The second call gets params exactly as the first left them (its .grad included):
    # a gradient that is not reset adds itself to the next one.
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    start = _random_params(rng)
    first = student.call("apply_step", start.clone().requires_grad_(), t, y, lr)
    second = student.call("apply_step", carry(_params_after(first, "apply_step")), t, y, lr)
    losses, theta = _gd(start, t, y, lr, 2)
    assert_close(_loss_value(second.value, "apply_step"), torch.tensor(losses[1]),
                 "called a second time on the same params, apply_step should return the "
                 "loss after one step", rtol=1e-4, atol=0)
    _assert_params_close(_params_after(second, "apply_step"), theta,
                         f"after two calls of apply_step with lr={lr:g} (is params.grad "
                         "reset after each step?)", rtol=1e-3)


@contract(0.25)  # the form of the result: a Python float
@requires(r"as a Python `float` (`loss.item()`)")
@problem("apply_step")
def test_apply_step_returns_python_float(student, rng):
    call, *_ = _call_apply_step(student, rng)
    assert isinstance(call.value, float), (
        f"apply_step should return the loss as a Python float (loss.item()), got "
        f"{kind(call.value)}")


@contract(0.25)  # leaf-ness
@requires(r"`params` must still be a leaf that requires grad afterwards.")
@problem("apply_step")
def test_apply_step_params_stay_leaf_requiring_grad(student, rng):
    call, *_ = _call_apply_step(student, rng)
    _leaf_requiring_grad(_params_after(call, "apply_step"), "apply_step")


@contract(0.25)  # params.grad is None afterwards
@requires(r"reset `params.grad` to `None`")
@problem("apply_step")
def test_apply_step_resets_grad(student, rng):
    call, *_ = _call_apply_step(student, rng)
    assert info(_params_after(call, "apply_step")).grad is None, (
        "after apply_step, params.grad should be None (params.grad = None); otherwise the "
        "next backward() adds the new gradient to the old one")


@contract(0.25)  # no mutation of inputs
@requires(r"Don't modify `t` or `y`.")
@problem("apply_step")
def test_apply_step_does_not_modify_data(student, rng):
    call, _, t, y, _ = _call_apply_step(student, rng)
    unchanged(call.args[1:3], [t, y], "apply_step", ["t", "y"])


# ----------------------------------------------------------------------- train


def _call_train(student, rng, n_min, n_max):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _leaf_params(rng)
    n_steps = randint(rng, n_min, n_max)
    call = student.call("train", params, t, y, lr, n_steps)
    return call, params.detach(), t, y, lr, n_steps


@requires(r"length `n_steps`; `losses[i]` is the loss before step `i`")
@problem("train")
def test_train_returns_one_loss_per_step(student, rng):
    call, _, _, _, _, n_steps = _call_train(student, rng, 3, 30)
    losses = as_floats(call.value, "train")
    assert len(losses) == n_steps, (
        f"train with n_steps={n_steps} should return {n_steps} losses, got {len(losses)}")


@requires(r"call `apply_step` `n_steps` times")
@problem("train")
def test_train_first_steps_match_gradient_descent(student, rng):
    # At least 3 steps: a gradient that is never reset first changes loss number 2.
    call, params, t, y, lr, n_steps = _call_train(student, rng, 3, 6)
    _assert_trajectory(as_floats(call.value, "train"), _gd(params, t, y, lr, n_steps)[0],
                       "train")


@requires(r"call `apply_step` `n_steps` times")
@problem("train")
def test_train_long_run_matches_gradient_descent(student, rng):
    call, params, t, y, lr, n_steps = _call_train(student, rng, 100, 300)
    _assert_trajectory(as_floats(call.value, "train"), _gd(params, t, y, lr, n_steps)[0],
                       "train")


@requires(r"call `apply_step` `n_steps` times", r"`params` is updated in place")
@problem("train")
def test_train_final_params(student, rng):
    call, params, t, y, lr, n_steps = _call_train(student, rng, 20, 200)
    _assert_params_close(_params_after(call, "train"), _gd(params, t, y, lr, n_steps)[1],
                         f"after train with n_steps={n_steps}, lr={lr:g}", rtol=1e-3)


@requires(r"call `apply_step` `n_steps` times")
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
        _, theta = _gd(start, t, y, lr, n_steps)
        before, now, reference = _loss(start, t, y), _loss(after, t, y), _loss(theta, t, y)
        # Within 0.1% of the decrease plain gradient descent achieves (float32 rounding
        # stays below 0.01%).
        allowed = 1e-3 * (before - reference)
        shown = apart(reference, now, 6)
        assert abs(now - reference) <= allowed, (
            f"after {n_steps} steps of train the loss of the parameters (recomputed by the "
            f"grader) should have gone down from {before:.6g} to {shown[0]}, give or "
            f"take {allowed:.2g}; it is {shown[1]}")


@requires(r"call `apply_step` `n_steps` times")
@problem("train")
def test_train_fits_parabola_like_least_squares(student, rng):
    # standardized times, as in the lecture's fix: plain gradient descent then converges
    t, y = _parabola_data(rng)
    ts = (t - t.mean()) / t.std()
    lr = _stable_lr(ts, rng)
    params = _leaf_params(rng)
    n_steps = randint(rng, 300, 500)
    call = student.call("train", params, ts, y, lr, n_steps)
    after = _params_after(call, "train")
    A = _design(ts)
    best_params = torch.linalg.lstsq(A, y.double().unsqueeze(1), driver="gelsd").solution.squeeze(1)
    grid = torch.linspace(float(ts.min()), float(ts.max()), 80, dtype=torch.float64)
    G = _design(grid)
    attach("train", "fit", x_label="time (standardized)", y_label="y", x=ts, y=y,
           x_curve=grid, student=G @ after.double().reshape(-1), lstsq=G @ best_params)
    now, best = _loss(after, ts, y), _loss(best_params, ts, y)
    bound, shown = apart(1.05 * best, now, 5)
    assert now <= 1.05 * best, (
        f"after train with n_steps={n_steps}, lr={lr:g} on standardized times, the loss of the "
        f"parameters (recomputed by the grader) should be within 5% of the least-squares "
        f"minimum {best:.5g}, at most {bound}; it is {shown}")


@contract(0.25)  # the form of the result: a list of Python floats
@requires(r"`train(params, t, y, lr: float, n_steps: int) -> list[float]`")
@problem("train")
def test_train_returns_python_floats(student, rng):
    call, *_ = _call_train(student, rng, 2, 5)
    assert all_python_floats(call.value), (
        f"train should return a list of Python floats, got {kind(call.value)}"
        + (f" of {kind(call.value[0])}" if isinstance(call.value, list) and call.value else ""))


@contract(0.25)  # leaf-ness
@requires(r"`params` is updated in place and stays a leaf that requires grad")
@problem("train")
def test_train_params_stay_leaf_requiring_grad(student, rng):
    call, *_ = _call_train(student, rng, 2, 5)
    _leaf_requiring_grad(_params_after(call, "train"), "train")


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
    k, tol = candidates[randint(rng, 0, len(candidates) - 1)]
    return k, float(f"{tol:.3g}")


def _tol_stop_case(rng):
    """Data, lr, params and a tol for which train_until stops well before max_steps."""
    for _ in range(20):
        t, y = _parabola_data(rng)
        lr = _stable_lr(t, rng)
        params = _random_params(rng)
        max_steps = randint(rng, 60, 150)
        traj, _ = _gd(params, t, y, lr, max_steps)
        picked = _pick_tol_stop(traj, rng)
        if picked is not None and picked[0] < max_steps - 5:
            k, tol = picked
            exp, theta = _gd(params, t, y, lr, max_steps, tol)
            if len(exp) == k + 1:
                return t, y, lr, params, tol, max_steps, exp, theta
    raise RuntimeError("grader could not build a train_until case")  # pragma: no cover


def _assert_stops_after(losses, exp, why):
    assert len(losses) == len(exp), (
        f"{why}, returning {len(exp)} losses; it returned {len(losses)}")
    _assert_trajectory(losses, exp, "train_until")


def _call_train_until_stop(student, rng):
    """train_until on a case where it stops well before max_steps; the grader's answer."""
    t, y, lr, params, tol, max_steps, exp, theta = _tol_stop_case(rng)
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    return call, tol, max_steps, exp, theta


@requires(r"right after recording $\ell_k$ (for $k \ge 1$) if $\ell_{k-1} - \ell_k < \text{tol}$")
@problem("train_until")
def test_train_until_stops_at_tolerance(student, rng):
    call, tol, max_steps, exp, _ = _call_train_until_stop(student, rng)
    k = len(exp) - 1
    # The right stop with the wrong losses is a coincidence, not a pass.
    _assert_stops_after(as_floats(call.value, "train_until"), exp,
                        f"train_until with tol={tol:g}, max_steps={max_steps} should stop "
                        f"right after recording loss l[{k}], because l[{k - 1}] - l[{k}] < tol "
                        "for the first time there")


@requires(r"take steps with `apply_step` and record the losses")
@problem("train_until")
def test_train_until_losses_match_gradient_descent(student, rng):
    call, _, _, exp, _ = _call_train_until_stop(student, rng)
    losses = as_floats(call.value, "train_until")
    n = min(len(losses), len(exp))
    assert n >= 2, f"train_until returned only {len(losses)} losses"
    _assert_trajectory(losses[:n], exp[:n], "train_until")


@requires(r"take steps with `apply_step` and record the losses")
@problem("train_until")
def test_train_until_params_after_stop(student, rng):
    call, _, _, exp, theta = _call_train_until_stop(student, rng)
    _assert_params_close(
        _params_after(call, "train_until"), theta,
        f"train_until should stop after {len(exp)} steps (one step per recorded loss); "
        f"after that", rtol=1e-3)


@requires(r"once `max_steps` losses have been recorded")
@problem("train_until")
def test_train_until_max_steps(student, rng):
    for _ in range(20):
        t, y = _parabola_data(rng)
        lr = _stable_lr(t, rng)
        params = _random_params(rng)
        max_steps = randint(rng, 5, 30)
        traj, _ = _gd(params, t, y, lr, max_steps)
        diffs = [a - b for a, b in zip(traj[:-1], traj[1:])]
        # every decrease must be far above float32 rounding of the losses themselves
        if min(d / abs(a) for d, a in zip(diffs, traj[:-1])) > 1e-4:
            tol = float(f"{min(diffs) / 4:.3g}")
            break
    else:  # pragma: no cover - practically never; a tol no decrease can fall below
        tol = -1e30
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, max_steps)
    _assert_stops_after(as_floats(call.value, "train_until"), traj,
                        f"with tol={tol:g} the loss keeps dropping by more than tol at every "
                        f"step, so train_until should stop only when max_steps={max_steps} "
                        "losses are recorded")


@requires(r"right after recording $\ell_k$ (for $k \ge 1$) if $\ell_{k-1} - \ell_k < \text{tol}$")
@problem("train_until")
def test_train_until_checks_from_second_loss(student, rng):
    t, y = _parabola_data(rng)
    lr = _stable_lr(t, rng)
    params = _random_params(rng)
    traj, _ = _gd(params, t, y, lr, 3)
    tol = float(f"{10 * abs(traj[0]) + 1:.3g}")  # larger than any possible decrease
    call = student.call("train_until", params.requires_grad_(), t, y, lr, tol, 50)
    losses = as_floats(call.value, "train_until")
    assert len(losses) == 2, (
        f"with a huge tol={tol:g}, train_until should record l[0], then l[1], see that "
        f"l[0] - l[1] < tol and stop: 2 losses. It returned {len(losses)}")


@contract(0.25)  # the form of the result: a list of Python floats
@requires(r"`train_until(params, t, y, lr: float, tol: float, max_steps: int) -> list[float]`")
@problem("train_until")
def test_train_until_returns_python_floats(student, rng):
    t, y = _parabola_data(rng)
    call = student.call("train_until", _leaf_params(rng), t, y, _stable_lr(t, rng), 0.0, 4)
    assert all_python_floats(call.value), (
        f"train_until should return a list of Python floats, got {kind(call.value)}")


@contract(0.25)  # leaf-ness
@requires(r"`params` is updated in place and stays a leaf that requires grad")
@problem("train_until")
def test_train_until_params_stay_leaf_requiring_grad(student, rng):
    t, y = _parabola_data(rng)
    call = student.call("train_until", _leaf_params(rng), t, y, _stable_lr(t, rng), 0.0, 4)
    _leaf_requiring_grad(_params_after(call, "train_until"), "train_until")


# ----------------------------------------------------------------- standardize


def _random_times(rng, sign=0):
    """Times of random spacing and offset; SIGN -1 or 1: their mean has that sign (so that
    a sign lost on the mean shows on every seed, not on half of them)."""
    n = randint(rng, 5, 40)
    offset = uniform(rng, -10, 10) if not sign else sign * uniform(rng, 15, 25)
    if randint(rng, 0, 1):
        t = torch.arange(n).float() * uniform(rng, 0.5, 3.0)
        return t - t.mean() + offset
    return torch.randn(n, generator=rng) * uniform(rng, 0.5, 5.0) + offset


def _call_standardize(student, rng, sign=0):
    t = _random_times(rng, sign)
    call = student.call("standardize", t)
    v = call.value
    assert isinstance(v, (tuple, list)) and len(v) == 3, (
        f"standardize should return a tuple (z, mean, std), got {kind(v)}")
    return call, t, v


@requires(r"`z = (t - mean) / std`")
@problem("standardize")
def test_standardize_z(student, rng):
    for sign in (-1, 1):  # times below zero and above
        _, t, (z, _, _) = _call_standardize(student, rng, sign)
        td = t.double()
        assert_close(z, (td - td.mean()) / td.std(),
                     "z should be (t - mean) / std with the unbiased std, one value per time",
                     rtol=1e-4, atol=1e-4)


@requires(r"`mean = t.mean()`")
@problem("standardize")
def test_standardize_mean(student, rng):
    for sign in (-1, 1):  # a negative mean and a positive one
        _, t, (_, mean, _) = _call_standardize(student, rng, sign)
        exp = float(t.double().mean())
        assert_close(mean, torch.tensor(exp), "mean should be the mean of t", rtol=1e-4,
                     atol=1e-4)


@requires(r"`std = t.std()` (the default, *unbiased* standard deviation that divides by $n - 1$)")
@problem("standardize")
def test_standardize_unbiased_std(student, rng):
    _, t, (_, _, std) = _call_standardize(student, rng)
    got = numbers(std, "std")
    biased = float(t.double().std(unbiased=False))
    hint = (" (that is the biased one, dividing by n instead of n - 1)"
            if got.numel() == 1 and abs(float(got[0]) - biased) <= 1e-4 * biased else "")
    assert_close(got, t.double().std(), "std should be the unbiased standard deviation of t "
                 "(torch.std's default)" + hint, rtol=1e-4, atol=0)


@contract(0.25)  # no mutation of inputs
@requires(r"Do not modify `t`.")
@problem("standardize")
def test_standardize_does_not_modify_t(student, rng):
    call, t, _ = _call_standardize(student, rng)
    unchanged(call.args, [t], "standardize", ["t"])


# ----------------------------------------------------------- to_original_units


def _eval_parabola(p, x):
    a, b, c = (float(v) for v in p)
    return a * x**2 + b * x + c


def _random_conversion_case(rng):
    params_z = torch.randn(3, generator=rng) * 3
    mean = torch.tensor(uniform(rng, -20, 20))
    std = torch.tensor(uniform(rng, 0.5, 10))
    return params_z, mean, std


def _converted(got):
    values = numbers(got, "to_original_units")
    assert values.numel() == 3, (
        f"to_original_units should return 3 parameters [a, b, c], got {kind(got)}")
    return values


@pytest.mark.parametrize("flip", [1, -1], ids=["params_z", "minus_params_z"])
@requires(r"we want the same parabola written in $t$")
@problem("to_original_units")
def test_to_original_units_same_parabola(student, rng, flip):
    # with params_z and with -params_z: every coefficient is negative in one of the two,
    # so that a sign lost on a coefficient (abs) shows on every seed
    params_z, mean, std = _random_conversion_case(rng)
    params_z = flip * params_z
    got = _converted(student.to_original_units(params_z, mean, std))
    m, s = float(mean), float(std)
    ts = (m + s * 2 * torch.randn(8, generator=rng, dtype=torch.float64))
    exp = _eval_parabola(params_z.double(), (ts - m) / s)
    scale = float(exp.abs().max()) + 1.0
    assert_close(_eval_parabola(got, ts), exp,
                 f"the converted parameters should describe the same parabola: for params_z="
                 f"{fmt(params_z)}, mean={m:.4g}, std={s:.4g}, a*t**2 + b*t + c should equal "
                 f"a'*z**2 + b'*z + c' with z = (t - mean)/std at t={fmt(ts, 3)}; their values",
                 rtol=1e-4, atol=1e-4 * scale)


@requires(r"we want the same parabola written in $t$")
@problem("to_original_units")
def test_to_original_units_of_a_fit(student, rng):
    t, y = _parabola_data(rng)
    td, yd = t.double(), y.double()
    mean, std = td.mean(), td.std()
    z = (td - mean) / std
    Az = torch.stack([z**2, z, torch.ones_like(z)], dim=1)
    params_z = torch.linalg.lstsq(Az, yd.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    exp = torch.linalg.lstsq(_design(t), yd.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    got = _converted(student.to_original_units(params_z.float(), mean.float(), std.float()))
    # each coefficient on its own scale: a ~ a, b ~ a*n, c ~ a*n**2 for t in 0..n-1
    n, a = len(t), abs(float(exp[0]))
    scale = torch.tensor([1.0, n, n**2], dtype=torch.float64)
    assert_close(got / scale, exp / scale,
                 "fitting the parabola on z = (t - mean)/std and converting with "
                 "to_original_units should give the least-squares parabola in t; [a, b/n, "
                 f"c/n**2] with n={n}", rtol=1e-4, atol=1e-4 * a)


@requires(r"we want the same parabola written in $t$")
@problem("to_original_units")
def test_to_original_units_identity(student, rng):
    params_z = torch.randn(3, generator=rng) * 3
    for flipped in (params_z, -params_z):  # each coefficient negative in one of the two
        got = _converted(student.to_original_units(flipped, torch.tensor(0.0),
                                                   torch.tensor(1.0)))
        assert_close(got, flipped, "with mean 0 and std 1, z equals t, so the parameters "
                     "should come back unchanged", rtol=1e-5, atol=1e-5)


@contract(0.25)  # the form of the result
@requires(r"as a tensor of shape `(3,)`")
@problem("to_original_units")
def test_to_original_units_shape(student, rng):
    got = student.to_original_units(*_random_conversion_case(rng))
    assert is_tensor(got) and tuple(got.shape) == (3,), (
        f"to_original_units should return a tensor of shape (3,), got {kind(got)}")


@contract(0.25)  # no mutation of inputs
@requires(r"Don't modify its arguments.")
@problem("to_original_units")
def test_to_original_units_does_not_modify_inputs(student, rng):
    params_z, mean, std = _random_conversion_case(rng)
    unchanged(student.call("to_original_units", params_z, mean, std).args,
              [params_z, mean, std],
              "to_original_units", ["params_z", "mean", "std"])
