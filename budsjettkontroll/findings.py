"""Findings: the outcome of one rule for one year (and one subject). Pure data that every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

PASS, FAIL, NOT_EVALUATED, WAIVED = "pass", "fail", "not_evaluated", "waived"
SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass
class Finding:
    rule: str
    title: str
    status: str
    severity: str
    year: int | None
    message: str
    references: list[dict[str, str]]
    values: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    subject: str | None = None
    file: str | None = None
    line: int | None = None
    group: str = ""
    pack: str = ""
    justification: str | None = None
    # The column the finding judges when the report must say it («Regulert budsjett 2021»): set for a package
    # that prints a year in several kinds (views) and for opprinnelig/revidert columns; in JSON only when set.
    column: str | None = None
    internal_error: str | None = None  # «ExcType: message» when the rule or a figure it reads failed (exit 3)

    def as_json(self) -> dict[str, Any]:
        # field by field: dataclasses.asdict's deep copy was a fifth of `amend` and of the JSON report; the field
        # names are looked up once (dataclasses.fields builds its tuple at every call)
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        if data["column"] is None:
            del data["column"]
        if self.internal_error is None:
            del data["internal_error"]  # present only when set, so a report without internal errors is unchanged
        data["references"] = [dict(r) for r in self.references]
        data["missing"] = list(self.missing)
        data["values"] = {k: to_json(v) for k, v in self.values.items()}
        return data


_FIELD_NAMES = tuple(f.name for f in fields(Finding))


def year_label(finding: Finding, whole: str = "hele") -> str:
    """Where a report shows a finding's year: the column it judges when that must be said («Regulert budsjett
    2021»), else the year, else `whole` (a rule for the whole budget)."""
    return finding.column or (str(finding.year) if finding.year else whole)


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def summarise(findings: list[Finding]) -> dict[str, Any]:
    """Counts per status, and failures per severity; the renderers and the exit code use the same numbers."""
    by_status = {s: 0 for s in (PASS, FAIL, NOT_EVALUATED, WAIVED)}
    failed = {s: 0 for s in SEVERITIES}
    for f in findings:
        by_status[f.status] = by_status.get(f.status, 0) + 1
        if f.status == FAIL:
            failed[f.severity] += 1
    summary = {"total": len(findings), "status": by_status, "failed_by_severity": failed}
    internal = internal_errors(findings)
    if internal:
        summary["internal_errors"] = internal  # only when there are any: a clean report keeps its shape
    return summary


def internal_errors(findings) -> int:
    """How many findings could not be judged because the rule or a figure it reads raised an unexpected error."""
    return sum(1 for f in findings if getattr(f, "internal_error", None))


EXIT_LAWFUL, EXIT_BROKEN, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def exit_code(findings: list[Finding], fail_on: str = "error") -> int:
    """0: nothing failed at or above `fail_on`; 1: something did, or no rule could be evaluated at all;
    3: a rule or figure raised an unexpected error (intern feil), whatever the other findings say."""
    if internal_errors(findings):
        return EXIT_INTERNAL
    threshold = SEVERITY_RANK[fail_on]
    if any(f.status == FAIL and SEVERITY_RANK[f.severity] >= threshold for f in findings):
        return 1
    if not any(f.status in (PASS, FAIL, WAIVED) for f in findings):
        return 1
    return 0
