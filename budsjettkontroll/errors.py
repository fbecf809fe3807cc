"""Bad input is reported, never raised as a traceback: every problem names file, line, table and year."""

from __future__ import annotations

import re
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
        return one_line(f"{where}: {text}" if where else text)


_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def one_line(text: str) -> str:
    """A problem is one line: a line break quoted from a cell becomes «⏎», and a control character (an ANSI
    escape that would repaint the terminal) is shown as its code, never sent to the terminal."""
    text = _BREAKS.sub("⏎", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class InputError(Exception):
    """The input cannot be used; carries every problem found (lazy validation). Exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
