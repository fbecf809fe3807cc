"""`explain RULE --budget PATH` and `explain FIGURE --budget PATH`: the rule or figure with this package's numbers per
year — what each assessment found and the values it read — not only the formula."""

from __future__ import annotations

from typing import Any

from ..numbers import format_amount
from .present import SEVERITY_WORD, STATUS_WORD, location_text


def _severity(finding) -> str:
    """An error rule that could not be judged is a legal requirement, not «feil»: nothing was found wrong."""
    from .memo import OPEN_WORD

    if finding.status == "not_evaluated":
        return OPEN_WORD.get(finding.severity, finding.severity)
    return SEVERITY_WORD.get(finding.severity, finding.severity)


def _value(result, name: str, value: Any) -> str:
    from ..derive import describe

    if value is None:
        return "mangler"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    from .present import LEVEL_WORD

    if isinstance(value, str) and value in LEVEL_WORD:
        return LEVEL_WORD[value]
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        shown = format_amount(value * result.budget.meta.sign.factor if ".csv" in describe(name) else value)
        return shown
    return str(value)


def with_numbers(name: str, result) -> str:
    """The findings of a rule (or the values of a figure) in one checked package, per year."""
    from ..derive import FIGURES, describe

    meta = result.budget.meta
    head = [f"Med tallene i {meta.kommune} kommune – {meta.title}:"]
    findings = [f for f in result.findings if f.rule == name]
    if findings:
        out = head
        for f in sorted(findings, key=lambda f: (f.year or 0, f.subject or "")):
            where = location_text(f)
            out.append(f"  {f.year or 'hele perioden'}{' · ' + f.subject if f.subject else ''}: "
                       f"{STATUS_WORD.get(f.status, f.status)} ({_severity(f)})"
                       + (f" [{where}]" if where else ""))
            out.append(f"    {f.message}")
            for key, value in f.values.items():
                out.append(f"    {key} = {_value(result, key, value)}  ({describe(key)})")
        return "\n".join(out) + "\n"
    key = name.strip().replace("-", "_").lower()
    figure = FIGURES.get(key)
    if figure is None:
        return "\n".join(head + ["  Regelen vurderte ingenting i denne pakken (gjelder ikke, eller er ikke i "
                                 "regelpakkene den bruker)."]) + "\n"
    years = meta.plan_years if figure.per_year else [None]
    out = head + [f"  {key} ({figure.unit or 'uten enhet'}):"]
    for year in years:
        value = result.facts.get(key, year)
        out.append(f"  {year or 'hele perioden'}: {_value(result, key, value)}")
        for fact in figure.inputs:
            if ":" in fact:  # meta:years, table:drift … are graph edges, not facts
                continue
            out.append(f"    {describe(fact)} = {_value(result, fact, result.facts.get(fact, year))}")
    return "\n".join(out) + "\n"
