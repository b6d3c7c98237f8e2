"""Helpers shared by this assignment's hidden graders: `from grader_helpers import ...`.

pipeline/grade.py puts this folder on sys.path while the graders run (grader_imports),
and batch/jobs.py hashes it with the graders, so a change here regrades. No name here
starts with `test`: pytest would collect it from every grader file that imports it.

Messages are shown to students, so they are honest about tolerances: two numbers that
the check tells apart are printed with enough digits to look different, together with
how far apart they are and how far they may be (`mismatch`).
"""

from __future__ import annotations

import math

import torch

from autograder.grading import info

# ------------------------------------------------------------------ random inputs


def randint(rng, low, high):
    """A random int in [low, high] (inclusive), drawn from the test's generator."""
    return int(torch.randint(low, high + 1, (), generator=rng))


def uniform(rng, low, high):
    """A random float in [low, high)."""
    return low + (high - low) * float(torch.rand((), generator=rng, dtype=torch.float64))


# ------------------------------------------------------------------ reading results


def is_tensor(value):
    return isinstance(value, torch.Tensor)


def kind(value):
    """What a value is, for messages: a tensor's shape, or the type's name."""
    return f"a tensor of shape {tuple(value.shape)}" if is_tensor(value) else \
        f"a {type(value).__name__}"


def numbers(value, what):
    """VALUE (a tensor, a number, or a list or tuple of numbers) as a flat float64 tensor.

    Core checks judge values with this, so that a right answer in a slightly different
    form (shape (1,) for 0-dim, a float for a 0-dim tensor) is judged on its numbers;
    the exact form is a contract check of its own.
    """
    if is_tensor(value):
        assert value.is_floating_point() or value.dtype in (torch.int64, torch.int32), (
            f"{what} should hold numbers, got a tensor of dtype {value.dtype}")
        return value.detach().double().reshape(-1)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor([float(value)], dtype=torch.float64)
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            or is_tensor(v) and v.numel() == 1 for v in value):
        return torch.tensor([float(v) for v in value], dtype=torch.float64)
    raise AssertionError(f"{what} should be numbers (a tensor), got {kind(value)}")


def as_floats(value, fname):
    """The student's list of losses as Python floats (0-dim tensors and a 1-d tensor of
    losses are accepted too: that losses are Python floats is a contract check)."""
    if is_tensor(value) and value.dim() == 1:
        value = value.tolist()
    assert isinstance(value, (list, tuple)), (
        f"{fname} should return the losses as a list of floats, got {kind(value)}")
    out = []
    for i, v in enumerate(value):
        if is_tensor(v) and v.numel() == 1:
            v = float(v)
        assert isinstance(v, (int, float)) and not isinstance(v, bool), (
            f"{fname} should return a list of floats; loss {i} is {kind(v)}")
        out.append(float(v))
    return out


def all_python_floats(values):
    return isinstance(values, list) and all(type(v) is float for v in values)


# ------------------------------------------------------------------ honest messages


def fmt(values, k=6, digits=5):
    """A short list of numbers: the first K, DIGITS significant digits each."""
    values = [float(v) for v in (values.reshape(-1).tolist() if is_tensor(values) else values)]
    shown = ", ".join(f"{v:.{digits}g}" for v in values[:k])
    return "[" + shown + (", ..." if len(values) > k else "") + "]"


def _digits_apart(a, b):
    """Significant digits needed for A and B to print differently (at least 5)."""
    for digits in range(5, 17):
        if f"{a:.{digits}g}" != f"{b:.{digits}g}":
            return digits
    return 17


def apart(a, b, least=4):
    """A and B as text with as many significant digits (at least LEAST) as it takes for
    them to look different, for messages such as "at most {bound}; it is {value}"."""
    for digits in range(least, 17):
        if f"{a:.{digits}g}" != f"{b:.{digits}g}":
            break
    return f"{a:.{digits}g}", f"{b:.{digits}g}"


def bad_entries(got, exp, rtol, atol):
    """Indices where GOT is not within atol + rtol * |EXP| of EXP (non-finite: always)."""
    diff = (got - exp).abs()
    ok = torch.isfinite(got) & (diff <= atol + rtol * exp.abs())
    return (~ok).nonzero().reshape(-1).tolist()


def mismatch(got, exp, rtol, atol, k=6):
    """None when GOT (flat float64) is close to EXP; otherwise a message that shows the
    two around the first bad entry with enough digits to tell them apart, the difference
    there and the tolerance."""
    if got.numel() != exp.numel():
        return (f"expected {exp.numel()} value{'s' * (exp.numel() != 1)}, {fmt(exp, k)}, "
                f"got {got.numel()}, {fmt(got, k)}")
    bad = bad_entries(got, exp, rtol, atol)
    if not bad:
        return None
    i = bad[0]
    g, e = float(got[i]), float(exp[i])
    digits = _digits_apart(g, e)
    if exp.numel() == 1:
        off = (f"off by {abs(g - e):.2g}, more than the tolerance {atol + rtol * abs(e):.2g}"
               if math.isfinite(g) else "not a number")
        return f"expected {e:.{digits}g}, got {g:.{digits}g} ({off})"
    start = max(0, min(i - 1, exp.numel() - k))
    window = slice(start, start + k)
    more = (", ..." if start + k < exp.numel() else "")
    less = ("..., " if start else "")
    ex = less + ", ".join(f"{v:.{digits}g}" for v in exp[window].tolist()) + more
    gt = less + ", ".join(f"{v:.{digits}g}" for v in got[window].tolist()) + more
    if not math.isfinite(g):
        how = f"entry {i} is {g}"
    else:
        how = (f"entry {i} is off by {abs(g - e):.2g}, more than the tolerance "
               f"{atol + rtol * abs(e):.2g}")
    return f"expected [{ex}], got [{gt}]: {how}"


def assert_close(got, exp, what, rtol=1e-5, atol=1e-6):
    """Assert that GOT (anything `numbers` reads) equals EXP within the tolerances."""
    problem = mismatch(numbers(got, what), exp.double().reshape(-1), rtol, atol)
    assert problem is None, f"{what}: {problem}"


def first_bad_loss(got, exp, rtol):
    for i, (g, e) in enumerate(zip(got, exp)):
        if not math.isfinite(g) or abs(g - e) > rtol * abs(e):
            return i
    return None


def assert_losses_match(got, exp, fname, what, later_hint, first_hint, rtol=1e-4):
    """GOT, the student's losses, against EXP, the grader's trajectory (WHAT they are)."""
    assert len(got) == len(exp), f"{fname} should return {len(exp)} losses, got {len(got)}"
    i = first_bad_loss(got, exp, rtol)
    if i is None:
        return
    digits = _digits_apart(got[i], exp[i])
    off = (f" (off by {abs(got[i] - exp[i]):.2g}, more than the tolerance "
           f"{rtol * abs(exp[i]):.2g})" if math.isfinite(got[i]) else "")
    raise AssertionError(
        f"{fname}: loss number {i} should be {exp[i]:.{digits}g} ({what}, recomputed by the "
        f"grader), got {got[i]:.{digits}g}{off}. " + (later_hint if i > 0 else first_hint))


def assert_keeps_graph(got, fname, when, hint=""):
    """A result that must stay on the autograd graph (WHEN its inputs require grad)."""
    assert is_tensor(got), f"{fname} should return a tensor, got {kind(got)}"
    assert info(got).has_grad_fn, (
        f"when {when}, {fname} should keep the autograd graph (have a grad_fn) so that a "
        "loss can be backpropagated through it; the returned tensor had none (did you use "
        ".item(), .detach(), torch.tensor(...) or torch.no_grad()?)" + hint)


# ------------------------------------------------------------------ state in the worker


def carry(t):
    """A tensor returned by the student fixture, as it was in the worker (requires_grad,
    and a .grad left on it), ready to be passed back in the next call."""
    i = info(t)
    out = t.detach().clone()
    if i.requires_grad:
        out.requires_grad_()
        if i.grad is not None:
            out.grad = i.grad.detach().clone().to(out.dtype)
    return out


def unchanged(args_after, originals, fname, names):
    """Assert that a call left its arguments (ARGS_AFTER, e.g. `call.args`) as they were."""
    for after, before, name in zip(args_after, originals, names, strict=True):
        assert is_tensor(after) and torch.equal(after, before), (
            f"{fname} must not modify {name}; its values changed")
