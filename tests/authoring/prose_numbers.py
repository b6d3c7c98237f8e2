"""The numbers a notebook's prose quotes, and where each one comes from.

A figure in the prose (a markdown cell) is in one of three places:
- the printed output of a code cell at or before the point where it is quoted (the
  cells up to the next markdown cell count, so that prose may introduce what the cell
  right below it prints), compared at the precision the prose quotes it with: "730"
  stands for anything from 725 to 735, "7.3" for 7.25 to 7.35, "2 × 10^5" for 1.5e5
  to 2.5e5;
- exactly a literal in the notebook's code (a definition such as the noise level 3 or
  the learning rate 1e-5);
- a short list of numbers that the notebook cannot compute, each with its reason
  (figures printed by the original lecture, for instance).

Not figures: integers below 10 (counts, exponents, headings), problem numbers and
points, code in backticks, links, and digits inside words (float32, x0).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_NOT_FIGURES = re.compile(r"Problem \d+|\(\d+ points?\b|\S+\.ipynb", re.I)
# a number: 1,000,000 or 0.004 or 1.5e-05, optionally "× 10^{-5}" after it, or a bare 10^6
_POWER = r"10\^\{?(?P<exp>[-−]?\d+)\}?"
_MANTISSA = r"(?P<mant>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_NUMBER = re.compile(
    r"(?<![\w.])(?:" + _POWER.replace("exp", "bare") + r"|" + _MANTISSA
    + r"(?:\s*(?:\\times|×|\\cdot)\s*" + _POWER + r")?)(?P<percent>\s*\\?%)?(?!\w)"
)


@dataclass(frozen=True)
class Figure:
    """A number as quoted: its value and the half-width of the interval the quote stands for."""

    text: str
    value: Decimal
    tolerance: Decimal

    def matches(self, x: float) -> bool:
        """Whether X, rounded to the precision of the quote, is the quoted number."""
        return abs(Decimal(repr(abs(x))) - self.value) <= self.tolerance

    def is_exactly(self, x: float) -> bool:
        return Decimal(repr(abs(x))) == self.value


def _figure(match: re.Match[str]) -> Figure | None:
    text = match.group(0).strip()
    if match.group("bare") is not None:
        value = Decimal(10) ** int(match.group("bare").replace("−", "-"))
        return Figure(text, value, value * Decimal("1e-9"))  # a bare power is exact
    mant = match.group("mant").replace(",", "")
    digits = Decimal(mant)
    if "e" in mant.lower():
        quantum = Decimal(1).scaleb(digits.as_tuple().exponent)
    elif "." in mant:
        quantum = Decimal(1).scaleb(-len(mant.split(".")[1]))
    else:
        if int(mant) < 10 and match.group("exp") is None and not match.group("percent"):
            return None  # small counts, exponents, list and heading numbers
        zeros = len(mant) - len(mant.rstrip("0")) if int(mant) else 0
        quantum = Decimal(10) ** zeros
    scale = Decimal(1)
    if match.group("exp") is not None:
        scale = Decimal(10) ** int(match.group("exp").replace("−", "-"))
    if match.group("percent"):
        scale /= 100
    return Figure(text, abs(digits) * scale, quantum * scale / 2)


def prose_figures(markdown: str) -> list[Figure]:
    """The figures a markdown text quotes (see the module docstring for what is skipped)."""
    text = _CODE.sub(" ", markdown)
    text = _LINK_TARGET.sub("]", text)
    text = _NOT_FIGURES.sub(" ", text)
    return [f for m in _NUMBER.finditer(text) if (f := _figure(m)) is not None]


_PRINTED = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.?\d*(?:[eE][-+]?\d+)?)")


def printed_numbers(text: str) -> list[float]:
    """Every number in printed output, as absolute values (1,234.5 and 1.2e-05 included)."""
    return [abs(float(m.group(0).replace(",", ""))) for m in _PRINTED.finditer(text)]


def output_text(cell: Any) -> str:
    """What a code cell printed or displayed as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_join(out.get("text", "")))
        elif "text/plain" in out.get("data", {}):
            parts.append(_join(out["data"]["text/plain"]))
    return "\n".join(parts)


def code_literals(source: str) -> list[float]:
    """The numeric literals of a code cell (1e-5, 20_000, 0.75, ...), absolute values."""
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type == tokenize.NUMBER:
                value = ast.literal_eval(tok.string)
                if isinstance(value, int | float):
                    found.append(abs(float(value)))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return found


def _join(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


@dataclass(frozen=True)
class Quote:
    cell: int
    figure: Figure
    source: str  # "output", "code" or "given"


def trace_figures(cells: list[Any], given: dict[str, str]) -> tuple[list[Quote], list[str]]:
    """Trace every figure of every markdown cell of an executed notebook (its CELLS).

    GIVEN maps quoted texts the notebook cannot compute to the reason why.
    Returns the traced quotes, and a message for each figure that comes from nowhere.
    """
    literals = [x for c in cells if c.get("cell_type") == "code"
                for x in code_literals(_join(c.get("source", "")))]
    problems: list[str] = []
    quotes: list[Quote] = []
    for n, cell in enumerate(cells):
        if cell.get("cell_type") != "markdown":
            continue
        printed = [x for c in _computed_by(cells, n) for x in printed_numbers(output_text(c))]
        for fig in prose_figures(_join(cell.get("source", ""))):
            if any(fig.is_exactly(x) for x in literals):
                quotes.append(Quote(n, fig, "code"))
            elif any(fig.matches(x) for x in printed):
                quotes.append(Quote(n, fig, "output"))
            elif fig.text in given:
                quotes.append(Quote(n, fig, "given"))
            else:
                problems.append(f"cell {n}: {fig.text!r} is printed by no cell up to this point "
                                f"and is no literal of the code: {_context(cell, fig.text)}")
    return quotes, problems


def _computed_by(cells: list[Any], n: int) -> list[Any]:
    """Code cells before markdown cell N, and those right after it up to the next markdown."""
    end = n + 1
    while end < len(cells) and cells[end].get("cell_type") != "markdown":
        end += 1
    return [c for c in cells[:end] if c.get("cell_type") == "code"]


def _context(cell: Any, text: str, width: int = 60) -> str:
    source = " ".join(_join(cell.get("source", "")).split())
    at = source.find(text)
    return "…" + source[max(0, at - width): at + len(text) + 20] + "…"
