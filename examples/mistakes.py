"""Typical student mistakes, as replacement solution cells (grade_id -> cell source).

Used to build the example class (examples/submitted/) and by the kit's tests, which
check that each mistake loses exactly the problems listed in LOSES: a mistake at the
core of a problem (a wrong value, update, trajectory or fit) earns that problem 0, a
slip of its contract (listed in SLIPS as well) less than full marks but more than 0.
Every other problem keeps full marks: a function that calls a wrong helper is graded
with the reference helper (autograder/pipeline/reference.py). Correct answers written
differently are in alternatives.py.
"""

MISTAKES: dict[str, dict[str, str]] = {
    # mse with sum instead of mean
    "mse-sum": {
        "mse": '''def mse(preds, targets):
    return ((preds - targets) ** 2).sum()
''',
    },
    # the lecture's first step-5 cell: steps by the parameters, not the gradient
    "lecture-step-bug": {
        "apply_step": '''def apply_step(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data -= lr * params.data
    params.grad = None
    return loss.item()
''',
    },
    # forgetting to reset the gradient: it accumulates over steps
    "forgot-grad-reset": {
        "apply_step": '''def apply_step(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data -= lr * params.grad.data
    return loss.item()
''',
    },
    # hard-coded lecture values: pass the visible checks, fail on fresh inputs
    "hard-coded": {
        "grad_of_square": '''def grad_of_square(x0):
    return torch.tensor(6.0)
''',
        "sum_of_squares": '''def sum_of_squares(x):
    return torch.tensor(125.0, requires_grad=True) * 1
''',
        "gradient": '''def gradient(f, x):
    return torch.tensor([6.0, 8.0, 20.0])
''',
        "init_params": '''def init_params(seed=666):
    return torch.tensor([-2.1188, 0.0635, -1.4555]).requires_grad_()
''',
        "mse": '''def mse(preds, targets):
    return torch.tensor(144229.75, requires_grad=True) * 1
''',
    },
    # results that are NaN, in the right shape and with a graph: only the values are wrong
    "returns-nan": {
        "sum_of_squares": '''def sum_of_squares(x):
    return (x ** 2).sum() * float("nan")
''',
        "mse": '''def mse(preds, targets):
    return ((preds - targets) ** 2).mean() * float("nan")
''',
        "standardize": '''def standardize(t):
    mean, std = t.mean(), t.std()
    return (t - mean) / std * float("nan"), mean, std
''',
        "train": '''def train(params, t, y, lr, n_steps):
    for _ in range(n_steps):
        apply_step(params, t, y, lr)
    return [float("nan")] * n_steps
''',
        "linear_model": '''def linear_model(X, theta, theta0):
    return (X @ theta + theta0) * float("nan")
''',
    },
    # a sign error in the conversion back to the original units
    "units-sign-error": {
        "to_original_units": '''def to_original_units(params_z, mean, std):
    a_z, b_z, c_z = params_z.detach()
    a = a_z / std**2
    b = b_z / std + 2 * a_z * mean / std**2
    c = c_z - b_z * mean / std + a_z * mean**2 / std**2
    return torch.stack([a, b, c])
''',
    },
    # one permutation for all epochs: every epoch takes the batches in the same order
    "sgd-permutation-once": {
        "sgd_linear_regression": '''\
def sgd_linear_regression(X, y, lr, n_epochs, batch_size, seed=0):
    n, d = X.shape
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    theta = torch.zeros(d, dtype=X.dtype, requires_grad=True)
    theta0 = torch.zeros((), dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss = ((linear_model(X[idx], theta, theta0) - y[idx]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                theta -= lr * theta.grad
                theta0 -= lr * theta0.grad
            theta.grad = None
            theta0.grad = None
            losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # contract slips: the right values, a side rule broken
    "loss-not-detached": {
        "loss_and_grad": '''def loss_and_grad(params, t, y):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    grad = params.grad.detach().clone()
    params.grad = None
    return loss, grad
''',
    },
    "grad-zeroed-not-none": {
        "apply_step": '''def apply_step(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data -= lr * params.grad
    params.grad.zero_()
    return loss.item()
''',
    },
    # closed-form least squares instead of gradient descent
    "closed-form-fit": {
        "fit_linear_regression": '''def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    solution = torch.linalg.lstsq(A, y.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    theta, theta0 = solution[:-1], solution[-1]
    loss = ((X @ theta + theta0 - y) ** 2).mean().item()
    return theta, theta0, [loss] * n_steps
''',
    },
    # gradient() that turns on requires_grad of the caller's tensor and leaves .grad behind
    "mutating-gradient": {
        "gradient": '''def gradient(f, x):
    x.requires_grad_(True)
    f(x).backward()
    return x.grad.detach()
''',
    },
    # make_linear_data that ignores its seed (global RNG)
    "unseeded-data": {
        "make_linear_data": '''def make_linear_data(n, d, noise=0.1, seed=0):
    X = torch.randn(n, d)
    theta = torch.randn(d)
    theta0 = torch.randn(())
    y = X @ theta + theta0 + noise * torch.randn(n)
    return X, y, theta, theta0
''',
    },
    # the population std (divides by n) where the unbiased one is asked for
    "biased-std": {
        "standardize": '''def standardize(t):
    mean = t.mean()
    std = t.std(unbiased=False)
    return (t - mean) / std, mean, std
''',
    },
    # tests the stopping rule before recording the loss: the last loss is never returned
    "stops-before-recording": {
        "train_until": '''def train_until(params, t, y, lr, tol, max_steps):
    losses = []
    for _ in range(max_steps):
        loss = apply_step(params, t, y, lr)
        if losses and losses[-1] - loss < tol:
            break
        losses.append(loss)
    return losses
''',
    },
    # mini-batches in the same order every epoch: the seed changes nothing
    "sgd-without-shuffling": {
        "sgd_linear_regression": '''\
def sgd_linear_regression(X, y, lr, n_epochs, batch_size, seed=0):
    n, d = X.shape
    theta = torch.zeros(d, dtype=X.dtype, requires_grad=True)
    theta0 = torch.zeros((), dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        for start in range(0, n, batch_size):
            loss = ((linear_model(X[start:start + batch_size], theta, theta0)
                     - y[start:start + batch_size]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                theta -= lr * theta.grad
                theta0 -= lr * theta0.grad
            theta.grad = None
            theta0.grad = None
            losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # gradient descent from a random start instead of zeros
    "random-start": {
        "fit_linear_regression": '''def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
    theta = torch.randn(X.shape[1], dtype=X.dtype, requires_grad=True)
    theta0 = torch.randn((), dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(n_steps):
        loss = ((linear_model(X, theta, theta0) - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            theta -= lr * theta.grad
            theta0 -= lr * theta0.grad
        theta.grad = None
        theta0.grad = None
        losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
}

# The problems each mistake must lose (all others keep full marks): 0 points, unless
# listed in SLIPS too.
LOSES: dict[str, set[str]] = {
    "mse-sum": {"mse"},
    "lecture-step-bug": {"apply_step"},
    "forgot-grad-reset": {"apply_step"},
    "hard-coded": {"grad_of_square", "sum_of_squares", "gradient", "init_params", "mse"},
    "returns-nan": {"sum_of_squares", "mse", "standardize", "train", "linear_model"},
    "units-sign-error": {"to_original_units"},
    "closed-form-fit": {"fit_linear_regression"},
    "mutating-gradient": {"gradient"},
    "unseeded-data": {"make_linear_data"},
    "biased-std": {"standardize"},
    "stops-before-recording": {"train_until"},
    "sgd-without-shuffling": {"sgd_linear_regression"},
    "sgd-permutation-once": {"sgd_linear_regression"},
    "random-start": {"fit_linear_regression"},
    "loss-not-detached": {"loss_and_grad"},
    "grad-zeroed-not-none": {"apply_step"},
}

# Contract slips: the problems (of LOSES) that earn less than full marks but more than 0.
SLIPS: dict[str, set[str]] = {
    "mutating-gradient": {"gradient"},
    "loss-not-detached": {"loss_and_grad"},
    "grad-zeroed-not-none": {"apply_step"},
}
