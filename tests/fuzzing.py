"""Hypothesis strategies for crafted and mutated notebook files (the fuzz tests' input).

A drawn file starts from a real submission (an example student's notebook) and is
mutated the ways a damaged or crafted file differs from a good one: truncated, nested
deep, with huge strings, wrong types in any field, invalid UTF-8, duplicate keys,
binary junk, or replaced by arbitrary JSON. Everything is drawn by hypothesis, so a
failure shrinks to a small file and `derandomize=True` makes a run repeatable.
FUZZ_EXAMPLES (environment) sets how many files a property test draws.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
BASES = {name: json.loads((ROOT / "examples" / "submitted" / "ada" / "gradient-descent" / name)
                          .read_text(encoding="utf-8"))
         for name in ("01-gradients.ipynb", "02-seven-steps.ipynb")}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))

FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) into VALUE, VALUE itself included."""
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


@st.composite
def _at_some_path(draw: st.DrawFn, new: st.SearchStrategy) -> bytes:
    nb = json.loads(json.dumps(BASES[draw(st.sampled_from(sorted(BASES)))]))
    paths = _paths(nb)
    path = paths[draw(st.integers(0, len(paths) - 1))]
    return json.dumps(_replace(nb, path, draw(new))).encode()


def _nested(depth: int, kind: str) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def _deep_text(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def _deep(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(10, 20_000))
    if depth > 900:  # too deep for json.dumps itself: splice the text in
        good = json.dumps(BASES["01-gradients.ipynb"])
        return ('{"deep": ' + _deep_text(depth) + ", " + good[1:]).encode()
    return draw(_at_some_path(st.just(_nested(depth, draw(st.sampled_from(["list", "dict"]))))))


@st.composite
def _bytes_edit(draw: st.DrawFn) -> bytes:
    data = json.dumps(BASES[draw(st.sampled_from(sorted(BASES)))]).encode()
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["truncate", "insert", "overwrite"]))
    if how == "truncate":
        return data[:at]
    junk = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
        [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b'"', b"\\", b"}", b"]"]))
    return data[:at] + junk + data[at + (len(junk) if how == "overwrite" else 0):]


@st.composite
def _duplicate_keys(draw: st.DrawFn) -> bytes:
    text = json.dumps(BASES[draw(st.sampled_from(sorted(BASES)))])
    key = draw(st.sampled_from(["cells", "metadata", "nbformat", "nbformat_minor"]))
    extra = json.dumps({key: draw(json_values)})[1:-1]
    return ("{" + extra + ", " + text[1:]).encode() if draw(st.booleans()) else \
        (text[:-1] + ", " + extra + "}").encode()


def notebook_files() -> st.SearchStrategy[bytes]:
    """The bytes of a crafted or damaged .ipynb file."""
    huge = st.integers(10_000, 2_000_000).map(lambda n: "x" * n)
    return st.one_of(
        _bytes_edit(),  # truncation, invalid UTF-8, stray bytes
        _deep(),  # deep nesting, as a value or as raw text
        _at_some_path(huge),  # huge strings anywhere
        _at_some_path(json_values),  # wrong types in every field
        _duplicate_keys(),
        st.binary(max_size=4096),  # binary junk
        json_values.map(lambda v: json.dumps(v).encode()),  # JSON, not a notebook
    )
