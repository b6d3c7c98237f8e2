"""Plain-data encoding shared by the trusted host and the sandboxed worker.

Values cross the trust boundary as JSON lines, never as pickle. Tensors travel as
dtype + shape + their bytes in base64 (the machine's order: host and worker are always
on one machine), with the autograd facts a grader may check; a 60,000-element tensor
takes a millisecond that way, against 60 ms as a JSON list of numbers. The host side
decodes defensively: every field is type-checked and sized, so a forged or garbled
message becomes a ProtocolError instead of an object with surprises.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

MAX_ELEMENTS = 5_000_000  # per tensor
MAX_DEPTH = 32
ITEMSIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
            "int16": 2, "int8": 1, "uint8": 1, "bool": 1}
DTYPES = tuple(ITEMSIZE)


class ProtocolError(Exception):
    """A message from the other side is not well-formed plain data."""


class Unencodable(TypeError):
    """A value is not plain data (the student returned an exotic object)."""


@dataclass(frozen=True)
class RemoteFunction:
    """A grader-defined function, sent as source and evaluated inside the worker."""

    source: str


@dataclass(frozen=True)
class StudentRef:
    """A reference to one of the student's own functions, resolved in the worker."""

    name: str


def dumps(obj: Any) -> str:
    return json.dumps(obj, allow_nan=True, separators=(",", ":"))


def loads(line: str | bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not a JSON message: {exc}") from None


# --------------------------------------------------------------------------- encode
def encode(value: Any, depth: int = 0) -> Any:
    """Turn VALUE into JSON-ready plain data; raise Unencodable for anything else."""
    if depth > MAX_DEPTH:
        raise Unencodable("data nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # a str subclass becomes a plain str
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, RemoteFunction):
        return {"__function__": str(value.source)}
    if isinstance(value, StudentRef):
        return {"__student__": str(value.name)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unencodable("dict keys must be strings")
        return {"__dict__": {str(k): encode(v, depth + 1) for k, v in value.items()}}
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        return {"__tensor__": _encode_tensor(torch, value, depth)}
    if _is_numpy_scalar(value):
        return encode(value.item(), depth + 1)
    raise Unencodable(
        f"a value of type {type(value).__module__}.{type(value).__qualname__} is not plain data "
        "(expected a tensor, number, bool, str, None, list, tuple or dict)"
    )


def _float(x: float) -> Any:
    return x if math.isfinite(x) else {"__float__": repr(x)}


def _encode_tensor(torch: Any, t: Any, depth: int) -> dict[str, Any]:
    t_plain = torch.Tensor.detach(t)
    if t_plain.is_sparse or t_plain.is_complex() or t_plain.device.type != "cpu":
        raise Unencodable("only dense real CPU tensors are supported")
    dtype = str(t_plain.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise Unencodable(f"tensor dtype {dtype} is not supported")
    if t_plain.numel() > MAX_ELEMENTS:
        raise Unencodable(f"tensor has {t_plain.numel()} elements, more than {MAX_ELEMENTS}")
    flat = torch.Tensor.contiguous(t_plain.reshape(-1))
    if dtype == "bool":
        flat = flat.to(torch.uint8)
    raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    grad = t.grad if t.is_leaf else None
    return {
        "dtype": dtype,
        "shape": [int(s) for s in t_plain.shape],
        "data": base64.b64encode(raw).decode("ascii"),
        "requires_grad": bool(t.requires_grad),
        "is_leaf": bool(t.is_leaf),
        "has_grad_fn": t.grad_fn is not None,
        "grad": None if grad is None else _encode_tensor(torch, grad, depth + 1),
    }


def _torch_if_loaded() -> Any:
    import sys

    return sys.modules.get("torch")


def _is_numpy_scalar(value: Any) -> bool:
    np = __import__("sys").modules.get("numpy")
    return np is not None and isinstance(value, np.generic) and value.ndim == 0


# --------------------------------------------------------------------------- decode
def decode(data: Any, make_tensor: Any = None, depth: int = 0) -> Any:
    """Inverse of encode, validating as it goes. MAKE_TENSOR builds a tensor from fields."""
    if depth > MAX_DEPTH:
        raise ProtocolError("data nested too deeply")
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is float:
        return data
    if type(data) is list:
        return [decode(v, make_tensor, depth + 1) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise ProtocolError(f"unexpected value {str(data)[:80]!r}")
    (tag, body), = data.items()
    if tag == "__tuple__" and type(body) is list:
        return tuple(decode(v, make_tensor, depth + 1) for v in body)
    if tag == "__dict__" and type(body) is dict:
        return {str(k): decode(v, make_tensor, depth + 1) for k, v in body.items()}
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__tensor__" and type(body) is dict:
        fields = check_tensor_fields(body)
        if make_tensor is None:
            raise ProtocolError("tensors need a tensor factory")
        return make_tensor(fields, make_tensor)
    if tag == "__function__" and type(body) is str:
        return RemoteFunction(body)
    if tag == "__student__" and type(body) is str:
        return StudentRef(body)
    raise ProtocolError(f"unknown tag {tag!r}")


def check_tensor_fields(body: dict[str, Any]) -> dict[str, Any]:
    required = {"dtype", "shape", "data", "requires_grad", "is_leaf", "has_grad_fn", "grad"}
    if set(body) != required:
        raise ProtocolError("tensor message has the wrong fields")
    if body["dtype"] not in DTYPES:
        raise ProtocolError(f"unknown dtype {body['dtype']!r}")
    shape, data = body["shape"], body["data"]
    if type(shape) is not list or not all(type(s) is int and s >= 0 for s in shape):
        raise ProtocolError("tensor shape must be a list of non-negative ints")
    elements = math.prod(shape)
    size = elements * ITEMSIZE[body["dtype"]]
    # Sized before decoding: a forged length costs nothing.
    if elements > MAX_ELEMENTS or type(data) is not str or len(data) != 4 * math.ceil(size / 3):
        raise ProtocolError("tensor data does not match its shape")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("tensor data is not base64") from None
    if len(raw) != size:
        raise ProtocolError("tensor data does not match its shape")
    for flag in ("requires_grad", "is_leaf", "has_grad_fn"):
        if type(body[flag]) is not bool:
            raise ProtocolError(f"tensor field {flag} must be a bool")
    grad = body["grad"]
    if grad is not None and type(grad) is not dict:
        raise ProtocolError("tensor grad must be a tensor or null")
    return {**body, "data": raw, "grad": None if grad is None else check_tensor_fields(grad)}


def tensor_from_fields(torch: Any, fields: dict[str, Any]) -> Any:
    """A new tensor (of its own memory) from checked fields; autograd facts are the caller's."""
    dtype = getattr(torch, fields["dtype"])
    if not fields["data"]:
        return torch.empty(fields["shape"], dtype=dtype)
    if dtype is torch.bool:  # any non-zero byte is True: no invalid bools from forged bytes
        flat = torch.frombuffer(bytearray(fields["data"]), dtype=torch.uint8) != 0
    else:
        flat = torch.frombuffer(bytearray(fields["data"]), dtype=dtype)
    return flat.reshape(fields["shape"])
