"""Evaluate rule packs against one budget's facts. No global state: every call stands alone."""

from __future__ import annotations

import re
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


class _Shown:
    """A value as FORMAT shows it, for str.format (in C) instead of string.Formatter (in Python): the same text,
    a fifth of the time of a rule evaluation less."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __format__(self, spec: str) -> str:
        return FORMAT.format_field(self.value, spec)


_PLAIN: dict[str, tuple[str, ...] | None] = {}


def _plain_fields(template: str) -> tuple[str, ...] | None:
    """The names a message uses when every field is a plain {name} or {name:spec}; None when one has an attribute,
    an index, a conversion or a nested field (those go through FORMAT as before)."""
    if template not in _PLAIN:
        names: list[str] | None = []
        try:
            for _, field_name, spec, conversion in FORMAT.parse(template):
                if field_name is None:
                    continue
                if conversion is not None or not field_name.isidentifier() or (spec and "{" in spec):
                    names = None
                    break
                names.append(field_name)
        except ValueError:
            names = None
        if len(_PLAIN) > 1024:
            _PLAIN.clear()
        _PLAIN[template] = None if names is None else tuple(dict.fromkeys(names))
    return _PLAIN[template]


def format_message(template: str, shown: dict[str, Any]) -> str:
    """FORMAT.format(template, **shown), faster for plain fields; KeyError, IndexError or ValueError as it raises."""
    names = _plain_fields(template)
    if names is None:
        return FORMAT.format(template, **shown)
    return template.format_map({n: _Shown(shown[n]) for n in names})


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
    plan_first = (facts.budget.meta.plan_years or facts.budget.meta.years.all or [2020])[0]
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


# Built-ins whose value is not a function of the rule's inputs: a condition that uses one is never memoised.
_UNSTABLE = re.compile(r"\$\s*(now|today|random)\b")
MEMO_SIZE = 4096  # results kept per rule; a rule's memo is emptied when full (batch workers run for hours)


def _memo_of(compiled: CompiledRule) -> dict | None:
    """The rule's memo of results by input values, kept on the compiled rule (it lives as long as its pack)."""
    memo = compiled.__dict__.get("_results", False)
    if memo is False:
        memo = None if _UNSTABLE.search(compiled.spec.condition) else {}
        compiled.__dict__["_results"] = memo
    return memo


def _references(compiled: CompiledRule) -> list[dict[str, Any]]:
    """The rule's references as the finding shows them, dumped once per rule (each finding gets its own copies)."""
    refs = compiled.__dict__.get("_references")
    if refs is None:
        refs = compiled.__dict__["_references"] = [r.model_dump(exclude_none=True) for r in compiled.spec.references]
    return refs


def _matches(compiled: CompiledRule, values: dict[str, Any]) -> tuple[bool, tuple[Any, Any] | None]:
    """The condition's outcome and the two sides of its comparison for these input values. A condition is a pure
    function of its inputs, so the outcome is memoised by them: the sum lines of one package repeat the same few
    (avvik, ledd) pairs hundreds of times, and an amended budget repeats most of its base's inputs. The key keeps
    each value's type and exact digits (Decimal 1 and 1.0 print differently), so a hit returns what rule-engine
    would."""
    memo = _memo_of(compiled)
    key = None
    if memo is not None:
        key = tuple((v.__class__, str(v) if v.__class__ is Decimal else v) for v in values.values())
        try:
            hit = memo.get(key)
        except TypeError:  # a value that cannot be a key (a list from a collection): evaluated every time
            memo = None
        else:
            if hit is not None:
                return hit
    thing = {k: _as_engine_value(v) for k, v in values.items()}
    for side in compiled.sides or ():
        if isinstance(side, RememberedSide):
            side.value = RememberedSide.UNSET
    ok = compiled.rule.matches(thing)
    sides = None
    if compiled.sides:  # the values the comparison just saw (RememberedSide); any other side is evaluated again
        sides = tuple(side.value if isinstance(side, RememberedSide) and side.value is not RememberedSide.UNSET
                      else side.evaluate(thing) for side in compiled.sides)
    if memo is not None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = (ok, sides)
    return ok, sides


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
                references=[dict(r) for r in _references(compiled)],
                subject=item.subject if item else None, file=file, line=line, group=spec.group, pack=pack.name)
    missing = [n for n in compiled.names if values.get(n) is None]
    if missing:
        return Finding(status=NOT_EVALUATED, values=values, missing=missing,
                       message=(f"{item.subject}: " if item else "") + "Ikke vurdert: mangler "
                       + "; ".join(_missing_inputs(facts, missing, year)), **base)
    try:
        ok, sides = _matches(compiled, values)
        if sides is not None:
            values["venstre_side"], values["hoyre_side"] = sides
    except (rule_engine.errors.EngineError, ArithmeticError) as exc:
        return Finding(status=NOT_EVALUATED, values=values, missing=[],
                       message=f"Ikke vurdert: {getattr(exc, 'message', exc)}", **base)
    values = _in_package_convention(facts, values)
    shown = {**{k: (str(v) if k in FIGURES and FIGURES[k].unit == "år" else v) for k, v in values.items()},
             "ar": str(year), "aar": str(year), "subject": item.subject if item else ""}
    template = spec.message if not ok else (spec.pass_message or "Oppfylt.")
    try:
        message = " ".join(format_message(template, shown).split())
    except (KeyError, IndexError, ValueError):
        message = " ".join(template.split())
    return Finding(status=PASS if ok else FAIL, values=values, message=message, **base)
