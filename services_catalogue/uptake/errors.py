"""Problems with an uptake file: each names where it is (line or record, column)."""

from __future__ import annotations

from dataclasses import dataclass

from services_catalogue.import_errors import MAX_PROBLEMS, FileRefused

__all__ = ["MAX_PROBLEMS", "Problem", "UptakeImportError", "show"]


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with the file. `line` is the 1-based line in a CSV file (the header is
    line 1) or the 1-based record number in a JSON file; `column` is as named in the file."""

    line: int | None = None
    column: str | None = None
    message: str = ""
    unit: str = "line"

    @property
    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"{self.unit} {self.line}")
        if self.column:
            parts.append(f"{'columns' if ', ' in self.column else 'column'} {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"{where[:1].upper()}{where[1:]}: {self.message}" if where else self.message


class UptakeImportError(FileRefused):
    """The file was refused and nothing changed. Holds at most MAX_PROBLEMS problems, in
    file order; `total` is how many were found in all."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        ordered = sorted(problems, key=lambda p: (p.line if p.line is not None else -1,))
        super().__init__(ordered, total)


def show(value, limit: int = 40) -> str:
    """A value from the file, quoted, shortened and with anything unprintable escaped."""
    value = "" if value is None else str(value)
    if len(value) > limit:
        value = value[:limit] + "\u2026"
    printable = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )
    return f"\u201c{printable}\u201d"
