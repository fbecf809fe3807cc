"""Bad input is reported, never raised as a traceback: every problem names file, line, table and year."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    table: str | None = None
    year: int | None = None
    label: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.file and self.line:
            where += f":{self.line}"
        parts = []
        if self.table:
            parts.append(self.table)
        if self.label:
            parts.append(f"linje «{self.label}»")
        if self.year:
            parts.append(f"år {self.year}")
        context = ", ".join(parts)
        text = self.message if not context else f"{context}: {self.message}"
        return f"{where}: {text}" if where else text


class InputError(Exception):
    """The input cannot be used; carries every problem found (lazy validation). Exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
