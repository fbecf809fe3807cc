"""Evaluate rule packs against one budget's facts. No global state: every call stands alone."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import rule_engine

from ..derive import FIGURES, Facts, describe, line_fact_names, location_of
from ..findings import FAIL, NOT_EVALUATED, PASS, Finding
from ..numbers import format_amount
from .loader import CompiledRule, Pack, RememberedSide


@dataclass
class Options:
    tolerance: Decimal | None = None  # overrides each rule's own tolerance (per summed term)
    select: list[str] = field(default_factory=list)  # rule ids or id prefixes to run (empty: all)
    ignore: list[str] = field(default_factory=list)


def _wanted(rule_id: str, options: Options) -> bool:
    if options.select and not any(rule_id == s or rule_id.startswith(s) for s in options.select):
        return False
    return not any(rule_id == s or rule_id.startswith(s) for s in options.ignore)


def years_in_scope(facts: Facts, scopes: list[str]) -> list[int | None]:
    meta = facts.budget.meta
    if "budget" in scopes:
        return [None]
    years: set[int] = set()
    for scope in scopes:
        years.update(meta.years.all if scope == "all" else getattr(meta.years, scope))
    return sorted(years)


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nei"
        if isinstance(value, (int, Decimal)) and not format_spec:
            return format_amount(value)
        if value is None:
            return "–"
        return super().format_field(value, format_spec)


FORMAT = _Formatter()


def _as_engine_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def _location(facts: Facts, names: list[str]) -> tuple[str | None, int | None]:
    where = line_fact_names()
    # the schedule lines the rule reads, directly or through the figures it uses
    names = list(names) + [d for n in names if n in FIGURES for d in sorted(_inputs_of(n)) if d in where]
    return location_of(facts, names)


def _inputs_of(name: str) -> set[str]:
    """The facts a figure reads by name (the string constants its function passes to facts.get)."""
    fig = FIGURES.get(name)
    code = getattr(fig.compute, "__code__", None) if fig else None
    return {c for c in code.co_consts if isinstance(c, str)} if code else set()


def _missing_leaves(facts: Facts, name: str, year: int | None, depth: int = 0) -> list[str]:
    """The missing inputs behind a missing figure: minimumsavdrag is missing because the anleggsmidler are."""
    known = line_fact_names()
    deps = sorted(d for d in _inputs_of(name) if d != name and (d in known or d in FIGURES))
    gone = [d for d in deps if facts.get(d, year) is None]
    if not gone or depth > 5:
        return [name]
    return [leaf for d in gone for leaf in _missing_leaves(facts, d, year, depth + 1)]


def _missing_inputs(facts: Facts, missing: list[str], year: int | None) -> list[str]:
    """Name the inputs that are missing, not the figures built from them."""
    shown = [n for n in missing if not (_inputs_of(n) & (set(missing) - {n}))] or missing
    leaves = [leaf for n in shown for leaf in _missing_leaves(facts, n, year)]
    return [describe(n) for n in dict.fromkeys(leaves)]


SIGNED_ITEM_FIELDS = {"oppgitt", "beregnet", "avvik", "venstre", "hoyre"}


def _in_package_convention(facts: Facts, values: dict[str, Any]) -> dict[str, Any]:
    """Schedule amounts back in the package's own sign convention, as the user wrote them."""
    factor = facts.budget.meta.sign.factor
    if factor == 1:
        return values
    signed = {n for n, (table, _) in line_fact_names().items() if table.signed} | SIGNED_ITEM_FIELDS
    return {k: (v * factor if k in signed and isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v)
            for k, v in values.items()}


def evaluate(facts: Facts, packs: list[Pack], options: Options | None = None) -> list[Finding]:
    options = options or Options()
    findings: list[Finding] = []
    plan_first = facts.budget.meta.plan_years[0]
    for pack in packs:
        for compiled in pack.rules:
            spec = compiled.spec
            if not _wanted(spec.id, options):
                continue
            for year in years_in_scope(facts, spec.scopes):
                if not spec.in_force(year if year is not None else plan_first):
                    continue
                if spec.for_each:
                    for item in facts.items(spec.for_each):
                        if item.year == year:
                            findings.append(_evaluate_one(facts, pack, compiled, year, options, item))
                else:
                    findings.append(_evaluate_one(facts, pack, compiled, year, options, None))
    return findings


def _evaluate_one(facts: Facts, pack: Pack, compiled: CompiledRule, year: int | None, options: Options,
                  item) -> Finding:
    spec = compiled.spec
    values: dict[str, Any] = {}
    for name in compiled.names:
        if item is not None and name in item.values:
            values[name] = item.values[name]
        elif name == "toleranse" and spec.tolerance is not None:
            values[name] = options.tolerance if options.tolerance is not None else Decimal(str(spec.tolerance))
        else:
            values[name] = facts.get(name, year)
    if item is not None:
        file, line = (str(facts.budget.files.get(item.stem, item.stem)) if item.stem else None), item.line
        if file is None:
            file, line = _location(facts, compiled.names)
    else:
        file, line = _location(facts, compiled.names)
    base = dict(rule=spec.id, title=spec.title, severity=spec.severity, year=year,
                references=[r.model_dump(exclude_none=True) for r in spec.references],
                subject=item.subject if item else None, file=file, line=line, group=spec.group, pack=pack.name)
    missing = [n for n in compiled.names if values.get(n) is None]
    if missing:
        return Finding(status=NOT_EVALUATED, values=values, missing=missing,
                       message=(f"{item.subject}: " if item else "") + "Ikke vurdert: mangler "
                       + "; ".join(_missing_inputs(facts, missing, year)), **base)
    thing = {k: _as_engine_value(v) for k, v in values.items()}
    try:
        for side in compiled.sides or ():
            if isinstance(side, RememberedSide):
                side.value = RememberedSide.UNSET
        ok = compiled.rule.matches(thing)
        if compiled.sides:  # the values the comparison just saw (RememberedSide); any other side is evaluated again
            values["venstre_side"], values["hoyre_side"] = (
                side.value if isinstance(side, RememberedSide) and side.value is not RememberedSide.UNSET
                else side.evaluate(thing) for side in compiled.sides)
    except (rule_engine.errors.EngineError, ArithmeticError) as exc:
        return Finding(status=NOT_EVALUATED, values=values, missing=[],
                       message=f"Ikke vurdert: {getattr(exc, 'message', exc)}", **base)
    values = _in_package_convention(facts, values)
    shown = {**{k: (str(v) if k in FIGURES and FIGURES[k].unit == "år" else v) for k, v in values.items()},
             "ar": str(year), "aar": str(year), "subject": item.subject if item else ""}
    template = spec.message if not ok else (spec.pass_message or "Oppfylt.")
    try:
        message = " ".join(FORMAT.format(template, **shown).split())
    except (KeyError, IndexError, ValueError):
        message = " ".join(template.split())
    return Finding(status=PASS if ok else FAIL, values=values, message=message, **base)
