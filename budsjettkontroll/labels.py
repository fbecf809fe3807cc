"""Tolerant matching of line labels: case, spacing, line-break hyphens and punctuation do not matter."""

from __future__ import annotations

import difflib
import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-zæøåäöü]+")


def normalise(label: str) -> str:
    """The comparison key of a label: letters and digits only, lower case."""
    text = unicodedata.normalize("NFKC", str(label)).lower()
    return _NOT_WORD.sub("", text)


def closest(label: str, known: list[str]) -> str | None:
    """The known label most like `label`, for 'mente du …' in error messages."""
    by_key = {normalise(k): k for k in known}
    match = difflib.get_close_matches(normalise(label), list(by_key), n=1, cutoff=0.5)
    return by_key[match[0]] if match else None
