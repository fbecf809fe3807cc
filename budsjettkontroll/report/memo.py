"""The auditor's memo, decided once for every format: what comes first and how «ikke vurdert» is grouped.

Order (issue 14 items 4-5): the verdict with the settings that changed what was judged; the breaches; the legal
requirements that could not be assessed, each with what to ask the administration for; the key figures; then
the rest — a whole pack that does not apply to the package is one line, policy figures and other open items
are grouped per rule and reason, rounding remarks per rule. Error-severity rules that could not be judged are
«lovkrav», never «feil»: nothing was found wrong.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..findings import FAIL, NOT_EVALUATED, PASS, WAIVED, Finding, exit_code
from .present import is_remark, location_text, reference_text, result_verdict, sort_findings

STATUTORY = ("lov", "selvkost")  # packs whose rules are law (kommuneloven, forskriftene, selvkostforskriften)
POLICY_PREFIXES = ("handlingsregler", "nokkeltall")
# what a pack lacks when none of its legal requirements could be judged (one line instead of one per rule)
PACK_ABSENT = {
    "selvkost": ("Selvkost", "pakken har ingen selvkostkalkyle (selvkost.csv mangler kostnads-, gebyr- og "
                             "fondslinjene)"),
}
OPEN_WORD = {"error": "lovkrav", "warning": "kontrollpunkt", "info": "info"}


@dataclass
class OpenItem:
    """One rule that could not be judged for one reason, with the years and subjects it covers."""

    rule: str
    title: str
    severity: str
    pack: str
    reason: str
    findings: list[Finding]
    years: list[int] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)

    @property
    def what(self) -> str:
        return OPEN_WORD.get(self.severity, self.severity)

    @property
    def years_text(self) -> str:
        return years_text(self.years)

    @property
    def subjects_text(self) -> str:
        shown = ", ".join(self.subjects[:6])
        return shown + (f" og {len(self.subjects) - 6} til" if len(self.subjects) > 6 else "")

    @property
    def short_reason(self) -> str:
        return re.sub(r"^Ikke vurdert:\s*", "", self.reason)

    @property
    def ask(self) -> str:
        """What to ask the administration for: the missing inputs, as the message names them."""
        text = re.sub(r"^Ikke vurdert:\s*", "", self.reason)
        if text and not re.match(r"^mangler\s+", text) and re.match(r"^(kolonnen|tabellen) er", text):
            return text[0].upper() + text[1:]  # «kolonnen er fra før forskriften gjaldt»: nothing to ask for
        text = re.sub(r"^mangler\s+", "", text)
        return f"Be administrasjonen om {text}" if text else "Be administrasjonen om grunnlaget"

    @property
    def reference(self) -> str:
        return reference_text(self.findings[0])

    @property
    def location(self) -> str:
        return location_text(self.findings[0])


@dataclass
class PackLine:
    """A whole pack that does not apply to this package: one line."""

    pack: str
    title: str
    why: str
    count: int
    rules: int


@dataclass
class RemarkGroup:
    rule: str
    findings: list[Finding]

    @property
    def years(self) -> list[int]:
        return sorted({f.year for f in self.findings if f.year})


@dataclass
class Memo:
    verdict: str
    bad: bool
    breaches: list[Finding]
    legal_open: list[OpenItem]
    packs_absent: list[PackLine]
    policy_open: list[OpenItem]
    other_open: list[OpenItem]
    remarks: list[Finding]
    waived: list[Finding]
    passed: list[Finding]
    summary: dict[str, Any]

    @property
    def remark_groups(self) -> list[RemarkGroup]:
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in self.remarks:
            groups[f.rule].append(f)
        return [RemarkGroup(rule, fs) for rule, fs in groups.items()]

    @property
    def passed_by_rule(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in self.passed:
            groups[f.rule].append(f)
        return dict(groups)

    @property
    def open_count(self) -> int:
        return self.summary["status"]["not_evaluated"]


def years_text(years: list[int]) -> str:
    """2024, 2025, 2026, 2027 → «2024–2027»; gaps listed."""
    if not years:
        return "hele"
    years = sorted(years)
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 2:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def build(result, fail_on: str = "error") -> Memo:
    from ..findings import summarise

    findings = sort_findings(result.findings)
    open_ = [f for f in findings if f.status == NOT_EVALUATED]
    absent = _absent_packs(result, findings)
    absent_names = {p.pack for p in absent}
    legal, policy, other = [], [], []
    for item in group_open([f for f in open_ if f.pack not in absent_names]):
        if item.pack in STATUTORY and item.severity == "error":
            legal.append(item)
        elif item.pack.startswith(POLICY_PREFIXES):
            policy.append(item)
        else:
            other.append(item)
    return Memo(
        verdict=result_verdict(result, fail_on), bad=bool(exit_code(result.findings, fail_on)),
        breaches=[f for f in findings if f.status == FAIL and not is_remark(f)],
        legal_open=legal, packs_absent=absent, policy_open=policy, other_open=other,
        remarks=[f for f in findings if is_remark(f)], waived=[f for f in findings if f.status == WAIVED],
        passed=[f for f in findings if f.status == PASS], summary=summarise(findings))


def _absent_packs(result, findings: list[Finding]) -> list[PackLine]:
    """Packs none of whose legal requirements (error rules) could be judged: the package lacks what they read."""
    by_pack: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_pack[f.pack].append(f)
    out = []
    for pack, fs in by_pack.items():
        if pack == "lov":
            continue
        errors = [f for f in fs if f.severity == "error"]
        if not errors or any(f.status in (PASS, FAIL, WAIVED) for f in errors):
            continue
        open_ = [f for f in fs if f.status == NOT_EVALUATED]
        title, why = PACK_ABSENT.get(pack, (_pack_title(result, pack), "pakken mangler grunnlaget i budsjettpakken"))
        out.append(PackLine(pack, title, why, len(open_), len({f.rule for f in open_})))
    return out


def _pack_title(result, name: str) -> str:
    for pack in result.packs:
        if pack.name == name:
            return getattr(pack.spec, "title", None) or name
    return name


def group_open(items: list[Finding]) -> list[OpenItem]:
    """One item per rule and reason (the year written as «{år}» so the years collapse into one row)."""
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in items:
        reason = f.message
        if f.subject and reason.startswith(f"{f.subject}: "):
            reason = reason[len(f.subject) + 2:]
        if f.year:
            reason = reason.replace(str(f.year), "{år}")
        grouped[(f.rule, reason)].append(f)
    out = []
    for (rule, reason), fs in grouped.items():
        out.append(OpenItem(rule, fs[0].title, fs[0].severity, fs[0].pack, reason.replace("{år}", "året"), fs,
                            sorted({f.year for f in fs if f.year}), sorted({f.subject for f in fs if f.subject})))
    return out
