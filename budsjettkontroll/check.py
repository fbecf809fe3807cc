"""The check pipeline: package → facts → rule packs → findings. One function, no global state."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .budget import Budget
from .derive import Facts
from .findings import Finding, summarise
from .errors import InputError
from .rules.engine import Options, evaluate, internal_error, report_internal_error
from .rules.loader import Pack, load_pack

STATUTORY_PACKS = ("lov",)


@dataclass
class CheckResult:
    budget: Budget
    facts: Facts
    packs: list[Pack]
    findings: list[Finding]
    sections: dict[str, Any] = field(default_factory=dict)  # extra report sections (key figures, selvkost …)
    policy: str | None = None  # --policy override (providers read it; None: budsjett.toml's, else national)
    options: Options | None = None  # so providers honour --select/--ignore too
    judged: list[Finding] | None = None  # the rule findings of the main view, as evaluated (incremental.recheck)

    @property
    def summary(self) -> dict[str, Any]:
        return summarise(self.findings)


def file_hashes(budget: Budget) -> dict[str, str]:
    hashes = {}
    for path in sorted({str(p) for p in budget.files.values()}):
        try:
            hashes[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            continue
    return hashes


def packs_for(budget: Budget, policy: str | None = None, extra: list[str] | None = None) -> list[Pack]:
    """The statutory pack, the other packs that register themselves, and the kommune's policy pack."""
    from . import section_providers

    names: list[str] = list(STATUTORY_PACKS)
    for provider in section_providers():
        names += provider.packs(budget, policy)
    names += extra or []
    return [load_pack(name) for name in dict.fromkeys(names)]


def run_check(budget: Budget, options: Options | None = None, policy: str | None = None,
              extra_packs: list[str] | None = None, reuse=None, facts: Facts | None = None,
              packs: list[Pack] | None = None) -> CheckResult:
    """`reuse`: see rules.engine.evaluate (incremental.recheck passes the base's findings and the rules to judge).
    `facts`: Facts(budget) with the options' tolerance, when the caller has derived them already (amend); `packs`:
    packs_for(budget, policy, extra_packs), when the caller has looked them up already (incremental.recheck)."""
    from . import section_providers

    options = options or Options()
    tolerance = options.tolerance if options.tolerance is not None else Decimal(1)
    if facts is None or facts.budget is not budget or str(facts.tolerance_per_term) != str(tolerance):
        facts = Facts(budget, tolerance)
    packs = packs if packs is not None else packs_for(budget, policy, extra_packs)
    judged = evaluate(facts, packs, options, reuse=reuse)
    findings = _judged(budget, list(judged))
    for view in budget.views:  # a year printed in several kinds: each further kind is checked as its own view
        view_facts = Facts(view, options.tolerance if options.tolerance is not None else Decimal(1))
        findings += _judged(view, evaluate(view_facts, packs, options))
    result = CheckResult(budget, facts, packs, findings, policy=policy, options=options, judged=judged)
    for provider in section_providers():
        try:
            provider.add_sections(result)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in one section costs that section, not the report (exit 3)
            name = provider.__name__.rsplit(".", 1)[-1]
            finding = internal_error(facts, name, _Section(name), None, None, exc)
            report_internal_error(f"rapportdelen {name} i pakken {budget.source or budget.meta.kommune}: "
                                  f"{finding.internal_error}")
            result.findings.append(finding)
    return result


def _judged(budget: Budget, findings: list[Finding]) -> list[Finding]:
    """Name the column each finding judges, where the report must say it (Budget.column_label)."""
    if budget.views or budget.view is not None or budget.columns:
        for finding in findings:
            finding.column = budget.column_label(finding.year)
    return findings


@dataclass
class _Section:
    """Stands in for a rule when a report section (key figures, selvkost …) fails: its finding names the section."""

    id: str
    title: str = ""
    severity: str = "error"

    def __post_init__(self) -> None:
        self.title = self.title or f"Rapportdelen «{self.id}»"


def judged_as_of(budget: Budget) -> dt.date:
    """The law is applied as in force on 1 January of the first plan year (an årsregnskap: its last year)."""
    years = budget.meta.plan_years or budget.meta.years.all[-1:]
    return dt.date(years[0], 1, 1)
