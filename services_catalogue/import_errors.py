"""What every importer raises when it refuses a file: its first problems and how many in all.

Shared by the offer import, the uptake import and the inclusion reference import, so that a
refusal reads the same wherever it comes from: one line per problem (each naming its line
and column), then how many more were found.
"""

from __future__ import annotations

MAX_PROBLEMS = 50


class FileRefused(Exception):
    """The file was refused; nothing changed. ``problems`` holds at most MAX_PROBLEMS of the
    ``total`` found."""

    def __init__(self, problems: list, total: int | None = None):
        self.total = max(total or 0, len(problems))
        self.problems = list(problems)[:MAX_PROBLEMS]
        super().__init__(str(self))

    @property
    def hidden(self) -> int:
        return self.total - len(self.problems)

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.hidden:
            lines.append(f"... and {self.hidden:,} more problem{'s' if self.hidden != 1 else ''}.")
        return "\n".join(lines)
