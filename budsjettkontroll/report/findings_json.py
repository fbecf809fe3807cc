"""A report's findings as JSON text, written straight from the Finding objects: the same text as jsontext.dumps of
[f.as_json() for f in findings] at that level, without building a dict per finding and walking it again.

The findings are four fifths of an amend report (730 findings, 750 of its 917 kB): building their dicts and writing
them through the general writer was about a sixth of `amend`. Here each finding's fixed keys are written with the
separators and indents worked out once per call, and the common value shapes (text, whole numbers, None, a flat
dict of amounts, a list of references) directly; anything else goes through jsontext.dumps at its own level, so
the text is what the general writer gives (tests/test_performance.py compares them on real and generated findings).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from ..findings import _FIELD_NAMES, Finding, to_json
from .jsontext import Written, dumps, encode_basestring

# The keys as_json writes, in its order (column and internal_error only when set)
_KEYS = ("rule", "title", "status", "severity", "year", "message", "references", "values", "missing", "subject",
         "file", "line", "group", "pack", "justification", "column", "internal_error")
assert _KEYS == _FIELD_NAMES, "Finding's fields changed: update report/findings_json.py with as_json"


class FindingsJSON(Written):
    """[f.as_json() for f in findings], written by write_findings when the report is made into text."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings

    def data(self) -> list[dict[str, Any]]:
        return [f.as_json() for f in self.findings]

    def write(self, level: int, indent: int, default: Callable[[Any], Any]) -> str:
        return write_findings(self.findings, level, indent, default)


def write_findings(findings: list[Finding], level: int, indent: int = 2, default: Callable[[Any], Any] = str) -> str:
    """jsontext.dumps([f.as_json() for f in findings], indent, default, level)."""
    if not findings:
        return "[]"
    enc, int_text = encode_basestring, int.__repr__
    pads = ["\n" + " " * (indent * n) for n in range(level + 5)]
    p1, p2, p3, p4 = pads[level + 1], pads[level + 2], pads[level + 3], pads[level + 4]
    head = {key: "," + p2 + enc(key) + ": " for key in _KEYS}
    first = "{" + p2 + enc("rule") + ": "
    close = p1 + "}"
    sep3, sep4 = "," + p3, "," + p4
    names: dict[str, str] = {}  # a values key as written, with «": "»
    h_title, h_status, h_severity, h_year, h_message = (head[k] for k in ("title", "status", "severity", "year",
                                                                          "message"))
    h_references, h_values, h_missing, h_subject, h_file = (head[k] for k in ("references", "values", "missing",
                                                                              "subject", "file"))
    h_line, h_group, h_pack, h_justification = (head[k] for k in ("line", "group", "pack", "justification"))
    h_column, h_internal = head["column"], head["internal_error"]

    def other(value: Any, at: int) -> str:
        """Any value as the general writer writes it at that level."""
        return dumps(value, indent, default, at)

    def scalar(value: Any) -> str:  # a field of the finding's own dict (level + 2)
        kind = value.__class__
        if kind is str:
            return enc(value)
        if kind is int:
            return int_text(value)
        if value is None:
            return "null"
        return other(value, level + 2)

    # the references written last and their text: a rule's findings follow each other with equal references. Kept
    # only when every key and value is text, so an equal list is one with the same text (1 == True == 1.0 is not)
    last: list[Any] = [None, ""]

    def references(refs: Any) -> str:
        if refs.__class__ is list and refs == last[0]:
            return last[1]
        if refs.__class__ is not list:
            return other([dict(r) for r in refs], level + 2)
        if not refs:
            return "[]"
        items = []
        for ref in refs:
            if ref.__class__ is not dict or not ref:
                return other([dict(r) for r in refs], level + 2)
            parts = []
            for key, value in ref.items():
                if key.__class__ is not str or value.__class__ is not str:
                    return other([dict(r) for r in refs], level + 2)
                parts.append(enc(key) + ": " + enc(value))
            items.append("{" + p4 + sep4.join(parts) + p3 + "}")
        text = "[" + p3 + sep3.join(items) + p2 + "]"
        last[0], last[1] = [dict(r) for r in refs], text  # a copy of its own: what the text was made from
        return text

    def values_of(values: dict[str, Any]) -> str:
        if not values:
            return "{}"
        parts = []
        for key, value in values.items():
            name = names.get(key)
            if name is None:
                if key.__class__ is not str:
                    return other({k: to_json(v) for k, v in values.items()}, level + 2)
                name = names[key] = enc(key) + ": "
            kind = value.__class__
            if kind is Decimal:  # to_json(value), without the call
                value = int(value) if value == value.to_integral_value() else float(value)
                kind = value.__class__
            if kind is int:
                parts.append(name + int_text(value))
            elif kind is str:
                parts.append(name + enc(value))
            elif value is None:
                parts.append(name + "null")
            else:
                parts.append(name + other(value, level + 3))
        return "{" + p3 + sep3.join(parts) + p2 + "}"

    def missing_of(missing: Any) -> str:
        if missing.__class__ is not list or any(m.__class__ is not str for m in missing):
            return other(list(missing), level + 2)
        return "[" + p3 + sep3.join(map(enc, missing)) + p2 + "]" if missing else "[]"

    out: list[str] = []  # pieces joined once at the end (adding them up one by one copies each finding over and over)
    add = out.extend
    lead = "[" + p1
    for f in findings:
        if f.__class__ is not Finding:  # a subclass may write its fields otherwise: as the general writer does
            add((lead, other(f.as_json(), level + 1)))
            lead = "," + p1
            continue
        rule, title, status, severity, message = f.rule, f.title, f.status, f.severity, f.message
        add((lead, first, enc(rule) if rule.__class__ is str else scalar(rule),
             h_title, enc(title) if title.__class__ is str else scalar(title),
             h_status, enc(status) if status.__class__ is str else scalar(status),
             h_severity, enc(severity) if severity.__class__ is str else scalar(severity),
             h_year, scalar(f.year),
             h_message, enc(message) if message.__class__ is str else scalar(message),
             h_references, references(f.references),
             h_values, values_of(f.values),
             h_missing, missing_of(f.missing),
             h_subject, scalar(f.subject),
             h_file, scalar(f.file),
             h_line, scalar(f.line),
             h_group, scalar(f.group),
             h_pack, scalar(f.pack),
             h_justification, scalar(f.justification)))
        if f.column is not None:
            add((h_column, scalar(f.column)))
        if f.internal_error is not None:
            add((h_internal, scalar(f.internal_error)))
        out.append(close)
        lead = "," + p1
    out.append(pads[level] + "]")
    return "".join(out)
