"""Evaluate rule packs against one budget's facts. No global state: every call stands alone."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import rule_engine

from ..catalogue import TABLES
from ..derive import FIGURES, Facts, FigureError, describe, line_fact_names, location_of
from ..errors import InputError
from ..findings import FAIL, NOT_EVALUATED, PASS, Finding
from ..numbers import format_amount
from .graph import Graph, build, missing_leaves
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


def _location(facts: Facts, names: list[str], graph: Graph) -> tuple[str | None, int | None]:
    where = line_fact_names()
    # the schedule lines the rule reads, directly or through the figures it uses
    names = list(names) + [d for n in names if n in FIGURES and FIGURES[n].locate
                           for d in sorted(graph.inputs_of(n)) if d in where]
    return location_of(facts, names)


def _missing_inputs(facts: Facts, missing: list[str], year: int | None, graph: Graph,
                    sources: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Name the inputs that are missing, not the figures built from them: a missing figure that depends on another
    missing name is left out, and each remaining one is followed down to its missing leaf inputs (with the year
    when it is another year than the finding's). An item field with `sources` is named by the facts it comes from.
    Worked out once per budget for the same missing names in the same year (rules and items share them)."""
    key = ("#missing", tuple(missing), year, id(graph),
           tuple((n, sources[n]) for n in missing if n in sources) if sources else None)
    found = facts._cache.get(key)
    if found is None:
        found = facts._cache[key] = tuple(_name_missing(facts, missing, year, graph, sources))
    return list(found)


def _name_missing(facts: Facts, missing: list[str], year: int | None, graph: Graph,
                  sources: dict[str, tuple[str, ...]] | None) -> list[str]:
    if sources:
        missing = list(dict.fromkeys(s for n in missing for s in (
            [f for f in sources[n] if facts.get(f, year) is None] or [n] if n in sources else [n])))
    missing_set = set(missing)
    shown = [n for n in missing if not (_ancestors(graph, n) & (missing_set - {n}))] or missing
    leaves = [leaf for n in shown for leaf in missing_leaves(facts, graph, n, year)]
    years: dict[str, list[int]] = {}
    for name, at in dict.fromkeys(leaves):
        text = _absent_schedule(facts, name) or _absent_column(facts, name, at) or _blank_cell(facts, name, at) \
            or describe(name)
        years.setdefault(text, [])
        if at is not None and at != year and str(at) not in text:
            years[text].append(at)
    return [text + (f" for {', '.join(map(str, sorted(set(ys))))}" if ys else "") for text, ys in years.items()]


def _absent_schedule(facts: Facts, name: str) -> str | None:
    """A line of a schedule the package does not hold: the schedule is named once, not each of its lines."""
    where = line_fact_names().get(name)
    if where is None or facts.table(where[0].stem) is not None:
        return None
    return f"{where[0].title.lower()} ({where[0].paragraph}; {where[0].stem}.csv), som pakken ikke har"


def _absent_column(facts: Facts, name: str, year: int | None) -> str | None:
    """A line of a schedule the package holds without a column for the year: that column is named once."""
    where = line_fact_names().get(name)
    table = facts.table(where[0].stem) if where and year is not None else None
    if table is None or not table.rows or any(year in r.values for r in table.rows):
        return None
    return f"kolonnen for {year} i {where[0].stem}.csv"


def _blank_cell(facts: Facts, name: str, year: int | None) -> str | None:
    """A schedule line the package prints with a blank cell in `year`: «label» (file), linje N: ikke oppgitt for YEAR."""
    where = line_fact_names().get(name)
    table = facts.table(where[0].stem) if where and year is not None else None
    row = table.row(where[1].key) if table else None
    if row is None or row.values.get(year) is not None:
        return None
    return f"{describe(name)}, linje {row.line}: ikke oppgitt for {year}"


def _ancestors(graph: Graph, name: str) -> set[str]:
    """Every node `name` is built from, transitively."""
    seen, stack = set(), list(graph.inputs_of(name))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph.inputs_of(node))
    return seen


SIGNED_ITEM_FIELDS = {"oppgitt", "beregnet", "avvik", "venstre", "hoyre"}


def _in_package_convention(facts: Facts, values: dict[str, Any]) -> dict[str, Any]:
    """Schedule amounts back in the package's own sign convention, as the user wrote them."""
    factor = facts.budget.meta.sign.factor
    if factor == 1:
        return values
    signed = {n for n, (table, _) in line_fact_names().items() if table.signed} | SIGNED_ITEM_FIELDS
    return {k: (v * factor if k in signed and isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v)
            for k, v in values.items()}


def evaluate(facts: Facts, packs: list[Pack], options: Options | None = None,
             reuse: tuple[list[Finding], set[tuple[str, str]]] | None = None) -> list[Finding]:
    """Every wanted rule of the packs, for every year in its scope. Each rule is judged on its own: an unexpected
    error in the rule or in a figure it reads becomes that rule's «ikke vurdert: intern feil» (and exit code 3), and
    the other rules still run.

    `reuse` = (findings of an earlier evaluation of the same packs with the same options, the (pack, rule id) of the
    rules whose inputs have changed since): every other rule's findings are copies of the earlier ones, as
    evaluating it again would give (incremental.recheck decides which rules those are from the dependency graph)."""
    options = options or Options()
    graph = build(packs)
    earlier: dict[tuple[str, str], list[Finding]] | None = None
    if reuse is not None:
        earlier = {}
        for finding in reuse[0]:
            earlier.setdefault((finding.pack, finding.rule), []).append(finding)
    findings: list[Finding] = []
    for pack in packs:
        for compiled in pack.rules:
            if compiled.spec.documents and facts.budget.meta.years.document not in compiled.spec.documents:
                continue  # e.g. «four plan years» does not judge an årsregnskap
            if _wanted(compiled.spec.id, options):
                key = (pack.name, compiled.spec.id)
                # a rule whose inputs are unchanged gives what it gave before: its findings, or none at all
                before = earlier.get(key, []) if earlier is not None and key not in reuse[1] else None
                if before is not None and not any(f.internal_error for f in before):
                    judged = [_copy(f) for f in before]
                else:  # judged again; a year or item whose inputs are the earlier ones is still copied
                    judged = _evaluate_rule(facts, pack, compiled, options, graph,
                                            _by_item(earlier.get(key, [])) if earlier is not None else None)
                failed = [f for f in judged if f.internal_error]
                if failed:
                    _report_rule_failure(facts, pack.name, compiled.spec.id, failed)
                findings.extend(judged)
    return findings


def _by_item(findings: list[Finding]) -> dict[tuple, Finding]:
    """Earlier passes and failures by what tells them apart (year, subject, file, line); an ambiguous key is left out."""
    out: dict[tuple, Finding | None] = {}
    for f in findings:
        if f.status in (PASS, FAIL) and not f.internal_error:
            key = (f.year, f.subject, f.file, f.line)
            out[key] = None if key in out else f
    return {k: f for k, f in out.items() if f is not None}


_SIDES = ("venstre_side", "hoyre_side")


def _exact(value: Any) -> Any:
    return (value.__class__, str(value)) if isinstance(value, Decimal) else (value.__class__, value)


def _same_inputs(earlier: Finding, values: dict[str, Any]) -> bool:
    """The earlier finding judged exactly these values (as shown: in the package's sign convention): the same type
    and, for a Decimal, the same digits (1 and 1.0 print differently), as _exact tells them apart."""
    shown = earlier.values
    if len(shown) - sum(1 for k in _SIDES if k in shown) != len(values):
        return False
    try:
        for k, v in values.items():
            if k not in shown:
                return False
            old = shown[k]
            if old.__class__ is not v.__class__:
                return False
            if isinstance(v, Decimal):
                if str(old) != str(v):
                    return False
            elif not (old is v or old == v):
                return False
        return True
    except TypeError:
        return False


def _copy(finding: Finding) -> Finding:
    """A finding of its own (waivers and views set fields on findings), with its own values and references."""
    copy = object.__new__(Finding)  # dataclasses.replace runs __init__ field by field: five times slower
    copy.__dict__.update(finding.__dict__)
    copy.values, copy.references, copy.missing = (dict(finding.values), [dict(r) for r in finding.references],
                                                  list(finding.missing))
    return copy


def _report_rule_failure(facts: Facts, pack: str, rule_id: str, failed: list[Finding]) -> None:
    """One line on stderr per failing rule: rule, rule pack, budget package, the years and the exception."""
    years = sorted({f.year for f in failed if f.year is not None})
    where = facts.budget.source or facts.budget.files.get("budsjett") or facts.budget.meta.kommune
    errors = "; ".join(dict.fromkeys(f.internal_error for f in failed))
    report_internal_error(f"regel {rule_id} (regelpakke {pack}) i pakken {where}"
                          + (f" ({', '.join(map(str, years))})" if years else "") + f": {errors}")


def _judged_year(facts: Facts) -> int | None:
    """The year a budget-wide rule is judged in force for: the årsbudsjett, else the last column's year."""
    meta = facts.budget.meta
    plan = meta.plan_years
    return plan[0] if plan else (max(facts.years) if facts.years else None)


def _evaluate_rule(facts: Facts, pack: Pack, compiled: CompiledRule, options: Options, graph: Graph,
                   earlier: dict[tuple, Finding] | None = None) -> list[Finding]:
    spec = compiled.spec
    findings: list[Finding] = []
    year: int | None = None
    try:
        for year in years_in_scope(facts, spec.scopes):
            in_force_year = year if year is not None else _judged_year(facts)
            if in_force_year is None:
                continue
            if not spec.in_force(in_force_year):
                if in_force_year < FORSKRIFT_FROM and spec.in_force(FORSKRIFT_FROM):
                    findings.append(_before_forskrift(facts, pack, compiled, year, graph))
                continue
            if spec.for_each:
                legacy = False
                for item in [i for i in facts.items(spec.for_each) if i.year == year]:
                    if item.stem in LEGACY_STEMS:  # a schedule of the forskrift before 2020, whatever its years
                        if not legacy:
                            findings.append(_before_forskrift(facts, pack, compiled, year, graph, BEFORE_FORSKRIFT_TABLE))
                        legacy = True
                        continue
                    findings.append(_isolated(facts, pack, compiled, year, options, item, graph, earlier))
            else:
                findings.append(_isolated(facts, pack, compiled, year, options, None, graph, earlier))
    except InputError:
        raise  # bad input met while judging (a broken parameter file): exit 2 for the run
    except Exception as exc:  # noqa: BLE001 - the collection or the scope failed: this rule only
        findings.append(internal_error(facts, pack, compiled, year, None, exc))
    return findings


FORSKRIFT_FROM = 2020  # budsjett- og regnskapsforskriften 2019 (and kommuneloven 2018 ch. 14) apply from 2020
BEFORE_FORSKRIFT = f"Ikke vurdert: kolonnen er fra før forskriften gjaldt (forskriften gjelder fra {FORSKRIFT_FROM})"
BEFORE_FORSKRIFT_TABLE = ("Ikke vurdert: tabellen er et skjema fra før forskriften gjaldt (budsjettskjema 1A etter "
                          f"forskriften om årsbudsjett 2000), også i kolonnene fra {FORSKRIFT_FROM} og senere")
LEGACY_STEMS = frozenset(stem for stem, table in TABLES.items() if table.legacy)


def _before_forskrift(facts: Facts, pack: Pack, compiled: CompiledRule, year: int | None, graph: Graph,
                      message: str = BEFORE_FORSKRIFT) -> Finding:
    """A column of a year before 2020 is not judged by a rule of the 2020 forskrift, and the report says so."""
    spec = compiled.spec
    file, line = _location(facts, compiled.names, graph)
    return Finding(rule=spec.id, title=spec.title, status=NOT_EVALUATED, severity=spec.severity, year=year,
                   message=message, references=[dict(r) for r in _references(compiled)],
                   file=file, line=line, group=spec.group, pack=pack.name)


def _isolated(facts: Facts, pack: Pack, compiled: CompiledRule, year: int | None, options: Options, item,
              graph: Graph, earlier: dict[tuple, Finding] | None = None) -> Finding:
    try:
        return _evaluate_one(facts, pack, compiled, year, options, item, graph, earlier)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - one rule's bug must not cost the other rules their verdict
        return internal_error(facts, pack, compiled, year, item, exc)


def internal_error(facts: Facts, pack: Pack | str, compiled: CompiledRule | Any, year: int | None, item,
                   exc: BaseException) -> Finding:
    """An unexpected exception in a rule (or a figure it reads) as that rule's finding: not evaluated, the
    exception named (evaluate() then writes one line on stderr per failing rule)."""
    _debug_traceback(exc)
    spec = getattr(compiled, "spec", compiled)
    pack_name = pack if isinstance(pack, str) else pack.name
    what = str(exc) if isinstance(exc, FigureError) else f"{type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": ")
    subject = getattr(item, "subject", None)
    try:
        file, line = _location(facts, getattr(compiled, "names", []), build([]))
    except Exception:  # noqa: BLE001 - the location is a courtesy
        file, line = None, None
    refs = [r.model_dump(exclude_none=True) if hasattr(r, "model_dump") else dict(r)
            for r in getattr(spec, "references", [])]
    return Finding(rule=spec.id, title=getattr(spec, "title", spec.id), status=NOT_EVALUATED,
                   severity=getattr(spec, "severity", "error"), year=year, references=refs,
                   message=(f"{subject}: " if subject else "") + f"{INTERNAL_ERROR} ({what})",
                   subject=subject, file=file, line=line, group=getattr(spec, "group", ""), pack=pack_name,
                   internal_error=what)


INTERNAL_ERROR = "Ikke vurdert: intern feil i regelen"


def report_internal_error(text: str) -> None:
    """One line on stderr, never a traceback (BUDSJETTKONTROLL_DEBUG=1 prints those where they are caught)."""
    import sys

    from ..errors import one_line

    sys.stderr.write(f"intern feil: {one_line(text)}\n")


def _debug_traceback(exc: BaseException) -> None:
    import os

    if os.environ.get("BUDSJETTKONTROLL_DEBUG"):
        import traceback

        traceback.print_exception(getattr(exc, "cause", None) or exc)


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


def _fast_of(compiled: CompiledRule):
    """The rule's condition as plain Python functions (rules/fastpath.py), made once per compiled rule; None when
    its tree has a node that module leaves to rule-engine, or when the condition is not a pure function of its
    inputs ($now, $today, $random)."""
    fast = compiled.__dict__.get("_fast", False)
    if fast is False:
        from .fastpath import compile_condition

        fast = None if _UNSTABLE.search(compiled.spec.condition) else compile_condition(compiled.rule, compiled.sides)
        compiled.__dict__["_fast"] = fast
    return fast


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
    would. A condition rules/fastpath.py can evaluate goes there first (a value or an error it does not handle
    goes on to rule-engine, as every call did before)."""
    fast = _fast_of(compiled)
    if fast is not None:
        try:
            return fast(values)
        except Exception:  # noqa: BLE001 - not handled there: rule-engine decides, and raises its own error
            pass
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


def _constants(compiled: CompiledRule) -> tuple[Decimal | None, frozenset[str]]:
    """What every finding of a rule shares, worked out once per compiled rule: its own tolerance as a Decimal, and
    the names whose values a message shows as a year (unit «år»: 2024, not «2 024»)."""
    constants = compiled.__dict__.get("_constants")
    if constants is None:
        spec = compiled.spec
        constants = compiled.__dict__["_constants"] = (
            Decimal(str(spec.tolerance)) if spec.tolerance is not None else None,
            frozenset(n for n in compiled.names if n in FIGURES and FIGURES[n].unit == "år"))
    return constants


def _rule_location(facts: Facts, compiled: CompiledRule, graph: Graph) -> tuple[str | None, int | None]:
    """_location of the rule's names: the same for every year of one budget, so looked up once per Facts."""
    key = ("#location", tuple(compiled.names))
    found = facts._cache.get(key)
    if found is None:
        found = facts._cache[key] = _location(facts, compiled.names, graph)
    return found


_MESSAGE_ONLY = ("ar", "aar", "subject")


def _message(template: str, values: dict[str, Any], years: frozenset[str], year: int | None, subject: str) -> str:
    """The message with the finding's values, as format_message(template, shown) writes it, where shown is the values
    (a year-unit value as text) with ar, aar and subject added: a name used without a format spec is turned into its
    text here (FORMAT.format_field(value, "")), so str.format has nothing left to call back into Python for."""
    fields = _message_fields(template)
    if fields is None:
        shown = {**{k: (str(v) if k in years else v) for k, v in values.items()},
                 "ar": str(year), "aar": str(year), "subject": subject}
        return format_message(template, shown)
    names, with_spec = fields
    mapping: dict[str, Any] = {}
    for name in names:
        if name in _MESSAGE_ONLY:
            value: Any = subject if name == "subject" else str(year)
        else:
            value = values[name]  # KeyError as format_message raises it
            if name in years:
                value = str(value)
        mapping[name] = _Shown(value) if name in with_spec else _text(value)
    return template.format_map(mapping)


def _text(value: Any) -> str:
    """FORMAT.format_field(value, "")."""
    if type(value) is str:  # the commonest value in a message: format(value, "") is the text itself
        return value
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, (int, Decimal)):
        return format_amount(value)
    if value is None:
        return "–"
    return format(value, "")


_FIELDS: dict[str, tuple[tuple[str, ...], frozenset[str]] | None] = {}


def _message_fields(template: str) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """_plain_fields(template), with the names some field formats with a spec ({andel:.1f})."""
    if template not in _FIELDS:
        names = _plain_fields(template)
        fields = None
        if names is not None:
            with_spec = {field_name for _, field_name, spec, _ in FORMAT.parse(template) if field_name and spec}
            fields = (names, frozenset(with_spec))
        if len(_FIELDS) > 1024:
            _FIELDS.clear()
        _FIELDS[template] = fields
    return _FIELDS[template]


def _evaluate_one(facts: Facts, pack: Pack, compiled: CompiledRule, year: int | None, options: Options,
                  item, graph: Graph, earlier: dict[tuple, Finding] | None = None) -> Finding:
    spec = compiled.spec
    tolerance, years = _constants(compiled)
    values: dict[str, Any] = {}
    own = item.values if item is not None else {}
    for name in compiled.names:
        if name in own:
            values[name] = own[name]
        elif name == "toleranse" and tolerance is not None:
            values[name] = options.tolerance if options.tolerance is not None else tolerance
        else:
            values[name] = facts.get(name, year)
    if item is not None and item.stem:
        file, line = str(facts.budget.files.get(item.stem, item.stem)), item.line
    else:
        file, line = _rule_location(facts, compiled, graph)
    subject = item.subject if item is not None else None
    if earlier:  # a pass or failure judged on exactly these inputs gives exactly this finding (incremental.recheck)
        before = earlier.get((year, subject, file, line))
        if before is not None and _same_inputs(before, _in_package_convention(facts, values)):
            return _copy(before)
    missing = [n for n in compiled.names if values.get(n) is None]
    if missing:
        return Finding(rule=spec.id, title=spec.title, status=NOT_EVALUATED, severity=spec.severity, year=year,
                       message=(f"{subject}: " if item else "") + "Ikke vurdert: mangler "
                       + "; ".join(_missing_inputs(facts, missing, year, graph, item.sources if item else None)),
                       references=[dict(r) for r in _references(compiled)], values=values, missing=missing,
                       subject=subject, file=file, line=line, group=spec.group, pack=pack.name)
    try:
        ok, sides = _matches(compiled, values)
        if sides is not None:
            values["venstre_side"], values["hoyre_side"] = sides
    except (rule_engine.errors.EngineError, ArithmeticError) as exc:
        return Finding(rule=spec.id, title=spec.title, status=NOT_EVALUATED, severity=spec.severity, year=year,
                       message=f"Ikke vurdert: {getattr(exc, 'message', exc)}",
                       references=[dict(r) for r in _references(compiled)], values=values, missing=[],
                       subject=subject, file=file, line=line, group=spec.group, pack=pack.name)
    values = _in_package_convention(facts, values)
    template = spec.message if not ok else (spec.pass_message or "Oppfylt.")
    try:
        message = " ".join(_message(template, values, years, year, subject if item else "").split())
    except (KeyError, IndexError, ValueError):
        message = " ".join(template.split())
    return Finding(rule=spec.id, title=spec.title, status=PASS if ok else FAIL, severity=spec.severity, year=year,
                   message=message, references=[dict(r) for r in _references(compiled)], values=values,
                   subject=subject, file=file, line=line, group=spec.group, pack=pack.name)
