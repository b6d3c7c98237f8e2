"""The CSV files an instructor gives the kit (the roster, the manual scores): one reader.

Each format is a pydantic model of one row (`Row`), whose field aliases are the columns
it reads; other columns are ignored. `read_table` reads the file as spreadsheets and
Canvas write it (UTF-8 with or without a byte-order mark; comma, semicolon or tab
between cells, as Canvas writes in some locales), checks the header, leaves out the
rows the format says are not data (`Row.skip`), validates every other row and refuses a
repeated one (`Row.key`). Every mistake is one ConfigError naming the file, the line
and the column, worded as course.yml's mistakes are (config.error_message), so the
instructor sees one kind of message whatever file was wrong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from autograder.config import error_message
from autograder.errors import ConfigError

MAX_BYTES = 64 * 2**20  # a class of thousands fits in a few MB


class Row(BaseModel):
    """One data row of a CSV format; subclasses name their columns as field aliases."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True,
                              str_strip_whitespace=True)

    what: ClassVar[str] = "table"  # what the file is, for messages: "roster", ...
    header_hint: ClassVar[str] = ""  # the header expected, said when a column is missing
    repeated_hint: ClassVar[str] = "keep one"  # what to do about a repeated row

    @classmethod
    def skip(cls, cells: Mapping[str, str], context: Mapping[str, Any]) -> bool:
        """Whether a row (its stripped cells by column) is not data: blank by default."""
        return not any(cells.values())

    def key(self) -> Hashable | None:
        """What must not repeat between rows (None: anything may)."""
        return None

    def key_text(self) -> str:
        return str(self.key())


R = TypeVar("R", bound=Row)


@dataclass(frozen=True)
class Line(Generic[R]):
    number: int  # the file's line where the row ends (a quoted cell may span lines)
    row: R


def columns_of(model: type[Row], *, required: bool) -> list[str]:
    """The columns MODEL reads (only those without a default, if REQUIRED)."""
    return [f.alias or name for name, f in model.model_fields.items()
            if not required or f.is_required()]


def read_text(path: Path, what: str) -> str:
    """PATH's text, or a ConfigError saying why it cannot be read."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 2**20} MB; is it the {what}?")
    try:
        return data.decode("utf-8-sig")  # Excel and Canvas may start it with a BOM
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the {what} as CSV UTF-8") from None


def header_of(text: str) -> tuple[list[str], str]:
    """The header's stripped column names and the delimiter the file uses."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    names = next(csv.reader([first], delimiter=delimiter), [])
    return [n.strip() for n in names], delimiter


def read_table(path: Path, model: type[R], *, context: Mapping[str, Any] | None = None
               ) -> list[Line[R]]:
    """Every data row of the CSV at PATH as MODEL, with its line; CONTEXT is handed to
    MODEL's validators. Raises ConfigError on the first mistake."""
    text = read_text(path, model.what)
    header, delimiter = header_of(text)
    missing = [c for c in columns_of(model, required=True) if c not in header]
    if missing:
        raise ConfigError(f"{path}: the {model.what}'s header lacks {', '.join(missing)}"
                          f"{'; ' + model.header_hint if model.header_hint else ''}")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: list[Line[R]] = []
    seen: dict[Hashable, int] = {}
    try:
        next(rows, None)  # the header
        for cells in rows:
            number = rows.line_num
            by_column = {name: cell.strip() for name, cell in zip(header, cells) if name}
            if model.skip(by_column, context or {}):
                continue
            row = _validated(model, by_column, context, f"{path}, line {number}")
            key = row.key()
            if key is not None and key in seen:
                raise ConfigError(f"{path}, line {number}: {row.key_text()} is already on "
                                  f"line {seen[key]}; {model.repeated_hint}")
            if key is not None:
                seen[key] = number
            lines.append(Line(number, row))
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV ({exc}); save it as CSV UTF-8") from None
    return lines


def _validated(model: type[R], cells: dict[str, str], context: Mapping[str, Any] | None,
               where: str) -> R:
    try:
        return model.model_validate(cells, context=dict(context or {}))
    except ValidationError as exc:
        err = exc.errors()[0]  # the first mistake: a row rarely has two, and one line says it
        column = next((str(part) for part in err["loc"] if isinstance(part, str)), "")
        if err["type"] == "missing":
            raise ConfigError(f"{where}: no {column} (the {model.what} needs one in every "
                              "row)") from None
        said = f"{column}: " if column else ""
        raise ConfigError(f"{where}: {said}{error_message(err)}") from None
