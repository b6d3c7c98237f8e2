"""What crosses the trust boundary is plain data, decoded defensively."""

from __future__ import annotations

import pytest
import torch

from autograder.grading import info, make_tensor
from autograder.sandbox.inside.protocol import (
    ProtocolError,
    RemoteFunction,
    Unencodable,
    decode,
    dumps,
    encode,
    loads,
)


def roundtrip(value):
    return decode(loads(dumps(encode(value))), make_tensor)


def test_plain_values_roundtrip():
    value = {"a": (1, 2.5, None, True, "x"), "b": [float("nan"), float("inf")]}
    back = roundtrip(value)
    assert back["a"] == (1, 2.5, None, True, "x")
    assert back["b"][0] != back["b"][0] and back["b"][1] == float("inf")


def test_tensors_keep_values_dtype_and_autograd_facts():
    leaf = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (leaf ** 2).sum().backward()
    back = roundtrip(leaf)
    assert back.dtype == torch.float32 and back.shape == (2, 2)
    assert torch.equal(back, leaf.detach())
    facts = info(back)
    assert facts.requires_grad and facts.is_leaf and not facts.has_grad_fn
    assert torch.equal(facts.grad, 2 * leaf.detach())
    derived = roundtrip(leaf * 2)
    assert info(derived).has_grad_fn and not info(derived).is_leaf
    assert roundtrip(torch.arange(3)).dtype == torch.int64


@pytest.mark.parametrize("tensor", [
    torch.tensor([True, False, True]),
    torch.tensor([1.5, float("nan"), -float("inf")], dtype=torch.bfloat16),
    torch.tensor([0.1, 2.0], dtype=torch.float16),
    torch.tensor([-3, 127], dtype=torch.int8),
    torch.tensor(2.5, dtype=torch.float64),
    torch.zeros(0, 3),
    torch.arange(12.0).reshape(3, 4).T,  # not contiguous
])
def test_every_dtype_and_layout_roundtrips_exactly(tensor):
    back = roundtrip(tensor)
    assert back.dtype == tensor.dtype and back.shape == tensor.shape
    assert torch.equal(back.isnan(), tensor.isnan()) if tensor.is_floating_point() else True
    assert torch.equal(torch.nan_to_num(back), torch.nan_to_num(tensor))


def _tensor_message(dtype: str, shape: list, data: str) -> dict:
    return {"__tensor__": {"dtype": dtype, "shape": shape, "data": data, "requires_grad": False,
                           "is_leaf": True, "has_grad_fn": False, "grad": None}}


def test_forged_bool_bytes_become_plain_bools():
    back = decode(_tensor_message("bool", [3], "AAcB"), make_tensor)  # bytes 0, 7, 1
    assert back.tolist() == [False, True, True]


def test_objects_that_are_not_plain_data_are_refused():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    with pytest.raises(Unencodable, match="AlwaysEqual"):
        encode(AlwaysEqual())
    with pytest.raises(Unencodable):
        encode({1: "int keys"})


def test_subclasses_of_builtins_become_builtins():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    back = roundtrip(Sneaky(1.5))
    assert type(back) is float and back == 1.5 and back != 2.0


@pytest.mark.parametrize("forged", [
    {"__tensor__": {"dtype": "float32", "shape": [3], "data": "AACAPw=="}},  # fields missing
    _tensor_message("float32", [2], "AACAPw=="),  # 4 bytes for 2 floats
    _tensor_message("float32", [1], "AAC*Pw=="),  # not base64
    _tensor_message("float32", [2], [1.0, 2.0]),  # numbers, not bytes
    _tensor_message("float32", [1_000_000_000, 1_000_000_000], ""),  # too big, before decoding
    _tensor_message("object", [1], "AQ=="),
    {"__pickle__": "gASVAAAA"},
    {"a": 1, "b": 2},
])
def test_forged_messages_are_protocol_errors(forged):
    with pytest.raises(ProtocolError):
        decode(forged, make_tensor)


def test_deep_nesting_is_refused():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ProtocolError):
        decode(deep, make_tensor)


def test_garbage_is_not_json():
    with pytest.raises(ProtocolError):
        loads(b"\x00\xffnot json")


def test_grader_functions_travel_as_source():
    assert roundtrip(RemoteFunction("lambda x: x")) == RemoteFunction("lambda x: x")
