"""Correct answers written differently, as replacement solution cells (grade_id -> source).

The exercise contract (EXERCISES.md) fixes what each function computes, not how: each
of these must earn full marks on every problem (tests/end_to_end/test_autograde.py,
`test_each_correct_alternative_earns_full_marks`). The typical mistakes, which must
not, are in mistakes.py.
"""

ALTERNATIVES: dict[str, dict[str, str]] = {
    # gradients with torch.autograd.grad instead of .backward() and .grad
    "autograd-grad": {
        "grad_of_square": '''def grad_of_square(x0):
    x = torch.tensor(float(x0), requires_grad=True)
    (g,) = torch.autograd.grad(x ** 2, x)
    return g
''',
        "gradient": '''def gradient(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g
''',
        "loss_and_grad": '''def loss_and_grad(params, t, y):
    loss = mse(quadratic(t, params), y)
    (grad,) = torch.autograd.grad(loss, params)
    return loss.detach(), grad
''',
    },
    # library functions: F.mse_loss, torch.dot, torch.mv, torch.std_mean
    "library-functions": {
        "mse": '''import torch.nn.functional as F


def mse(preds, targets):
    return F.mse_loss(preds, targets)
''',
        "sum_of_squares": '''def sum_of_squares(x):
    flat = x.reshape(-1)
    return torch.dot(flat, flat)
''',
        "linear_model": '''def linear_model(X, theta, theta0):
    return torch.mv(X, theta) + theta0
''',
        "standardize": '''def standardize(t):
    std, mean = torch.std_mean(t)
    return (t - mean) / std, mean, std
''',
    },
    # updates under torch.no_grad() instead of through .data, and .data instead of no_grad
    "no-grad-updates": {
        "apply_step": '''def apply_step(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    with torch.no_grad():
        params -= lr * params.grad
    params.grad = None
    return loss.item()
''',
        "fit_linear_regression": '''def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
    theta = torch.zeros(X.shape[1], requires_grad=True)
    theta0 = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(n_steps):
        loss = ((X @ theta + theta0 - y) ** 2).mean()
        loss.backward()
        theta.data -= lr * theta.grad
        theta0.data -= lr * theta0.grad
        theta.grad, theta0.grad = None, None
        losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # torch.optim.SGD for every update
    "torch-optim": {
        "apply_step": '''def apply_step(params, t, y, lr):
    optimizer = torch.optim.SGD([params], lr=lr)
    loss = mse(quadratic(t, params), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()
''',
        "fit_linear_regression": '''import torch.nn.functional as F


def fit_linear_regression(X, y, lr=0.1, n_steps=1000):
    theta = torch.zeros(X.shape[1], requires_grad=True)
    theta0 = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.SGD([theta, theta0], lr=lr)
    losses = []
    for _ in range(n_steps):
        optimizer.zero_grad()
        loss = F.mse_loss(linear_model(X, theta, theta0), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
        "sgd_linear_regression": '''def sgd_linear_regression(X, y, lr, n_epochs, batch_size, seed=0):
    n, d = X.shape
    g = torch.Generator().manual_seed(seed)
    theta = torch.zeros(d, requires_grad=True)
    theta0 = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.SGD([theta, theta0], lr=lr)
    losses = []
    for _ in range(n_epochs):
        for idx in torch.randperm(n, generator=g).split(batch_size):
            optimizer.zero_grad()
            loss = ((linear_model(X[idx], theta, theta0) - y[idx]) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # a step through the student's own loss_and_grad; loops written other ways
    "loops-and-reuse": {
        "apply_step": '''def apply_step(params, t, y, lr):
    loss, grad = loss_and_grad(params, t, y)
    params.data -= lr * grad
    return float(loss)
''',
        "train": '''def train(params, t, y, lr, n_steps):
    return [apply_step(params, t, y, lr) for _ in range(n_steps)]
''',
        "train_until": '''def train_until(params, t, y, lr, tol, max_steps):
    losses = train(params, t, y, lr, 1)
    while len(losses) < max_steps:
        losses += train(params, t, y, lr, 1)
        if losses[-2] - losses[-1] < tol:
            break
    return losses
''',
    },
    # seeding the global generator, as the lecture does (where the contract allows it)
    "global-seeds": {
        "init_params": '''def init_params(seed=666):
    torch.manual_seed(seed)
    return torch.randn(3, requires_grad=True)
''',
        "make_linear_data": '''def make_linear_data(n, d, noise=0.1, seed=0):
    set_seed(seed)
    X = torch.randn(n, d)
    theta = torch.randn(d)
    theta0 = torch.randn(())
    return X, X @ theta + theta0 + noise * torch.randn(n), theta, theta0
''',
        "sgd_linear_regression": '''def sgd_linear_regression(X, y, lr, n_epochs, batch_size, seed=0):
    torch.manual_seed(seed)
    n, d = X.shape
    theta = torch.zeros(d, requires_grad=True)
    theta0 = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            loss = ((X[rows] @ theta + theta0 - y[rows]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                theta -= lr * theta.grad
                theta0 -= lr * theta0.grad
            theta.grad = theta0.grad = None
            losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # another draw order, and mini-batches from a DataLoader
    "other-draw-orders": {
        "make_linear_data": '''def make_linear_data(n, d, noise=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    theta0 = torch.randn((), generator=g)
    theta = torch.randn(d, generator=g)
    eps = torch.randn(n, generator=g)
    X = torch.randn(n, d, generator=g)
    return X, X @ theta + theta0 + noise * eps, theta, theta0
''',
        "sgd_linear_regression": '''from torch.utils.data import DataLoader, TensorDataset


def sgd_linear_regression(X, y, lr, n_epochs, batch_size, seed=0):
    g = torch.Generator().manual_seed(seed)
    batches = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                         generator=g)
    theta = torch.zeros(X.shape[1], requires_grad=True)
    theta0 = torch.zeros((), requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        for xb, yb in batches:
            loss = ((linear_model(xb, theta, theta0) - yb) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                theta -= lr * theta.grad
                theta0 -= lr * theta0.grad
            theta.grad = theta0.grad = None
            losses.append(loss.item())
    return theta.detach(), theta0.detach(), losses
''',
    },
    # other algebra: Horner's rule, the conversion by solving for three points
    "other-algebra": {
        "quadratic": '''def quadratic(t, params):
    return (params[0] * t + params[1]) * t + params[2]
''',
        "to_original_units": '''def to_original_units(params_z, mean, std):
    # the parabola through three points, found in t: same values as in z
    mean, std = float(mean), float(std)
    t = torch.tensor([mean - std, mean, mean + std], dtype=torch.float64)
    z = (t - mean) / std
    a, b, c = params_z.detach().double()
    values = a * z**2 + b * z + c
    V = torch.stack([t**2, t, torch.ones_like(t)], dim=1)
    return torch.linalg.solve(V, values).to(params_z.dtype)
''',
    },
}
