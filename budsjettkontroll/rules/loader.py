"""Load a rule pack: safe YAML, checked against the published JSON Schema, every condition compiled and
type-checked against the known figures. A broken pack is refused with file, rule and field named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import rule_engine
from pydantic import ValidationError

from ..derive import BOOL, COLLECTIONS, NUMBER, TEXT, known_names
from ..errors import InputError, Problem
from ..readers import read_limited
from .model import PackSpec, RuleSpec

SCHEMA_FILE = "rule-pack.schema.json"
MAX_PACK_BYTES = 2 * 1024 * 1024
_NAME = re.compile(r"(?<![\w$.])([a-zA-Z_][a-zA-Z0-9_]*)")
_TYPES = {NUMBER: rule_engine.DataType.FLOAT, TEXT: rule_engine.DataType.STRING, BOOL: rule_engine.DataType.BOOLEAN}
MESSAGE_ONLY = {"subject", "ar", "aar"}  # filled in by the engine for every message
_KEYWORDS = {"and", "or", "not", "true", "false", "null", "in", "if", "else", "for"}


class RememberedSide:
    """One side of a rule's top-level comparison, keeping the value it last evaluated to: the finding shows both
    sides, and evaluating them again after the comparison cost a fifth of the rule evaluation. (The engine evaluates
    one rule at a time in a process; a pack shared by threads would need its own copy.)"""

    UNSET = object()

    def __init__(self, node: Any):
        self.node, self.value = node, self.UNSET

    def evaluate(self, thing: Any) -> Any:
        self.value = self.UNSET
        self.value = self.node.evaluate(thing)
        return self.value

    def __getattr__(self, name: str) -> Any:
        if name == "node" or name.startswith("__"):  # while unpickling there is no node yet
            raise AttributeError(name)
        return getattr(self.node, name)

    def __getstate__(self) -> dict[str, Any]:
        return {"node": self.node}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.node, self.value = state["node"], self.UNSET


@dataclass
class CompiledRule:
    spec: RuleSpec
    rule: rule_engine.Rule
    names: list[str]  # every figure the condition and message use
    sides: tuple[Any, Any] | None  # the two sides of a top-level comparison, to show expected and actual


@dataclass
class Pack:
    spec: PackSpec
    path: Path
    rules: list[CompiledRule] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.pack


@lru_cache(maxsize=1)
def rules_dir() -> Path:
    """Where the bundled packs are (asked for every parameter file a selvkost figure reads: looked up once)."""
    return Path(__file__).parent  # this module's folder, as importlib.resources would give it, without importing it


def schema() -> dict[str, Any]:
    return json.loads((rules_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


def bundled_pack(name: str) -> Path:
    return rules_dir() / f"{name}.yaml"


def safe_yaml(path: Path, display: str | None = None) -> Any:
    """YAML with the safe loader only (no tags, no objects), size-limited, errors with line and column."""
    display = display or str(path)
    if not path.is_file():
        raise InputError(Problem("filen finnes ikke", file=display))
    return _yaml_bytes(read_limited(path, display, MAX_PACK_BYTES), display)


def _yaml_bytes(data: bytes, display: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem("er ikke UTF-8", file=display)) from None
    return safe_yaml_text(text, display)


def safe_yaml_text(text: str, display: str) -> Any:
    """Parse YAML text safely: see safeload.load_yaml (no tags, aliases bounded, duplicate keys refused, depth
    bounded, invalid dates and nan/inf refused, control characters made visible)."""
    from ..safeload import load_yaml

    return load_yaml(text, display)


def _rule_names(data: Any, index: int) -> str:
    try:
        return str(data["rules"][index].get("id", f"nr. {index + 1}"))
    except (KeyError, IndexError, TypeError, AttributeError):
        return f"nr. {index + 1}"


def _yearly(name: str) -> bool:
    """A statutory line or a figure per year: it has no value for the budget as a whole."""
    from ..derive import FIGURES

    if name in FIGURES:
        return FIGURES[name].per_year
    return name in known_names() and name != "toleranse"


def _names_in(text: str) -> list[str]:
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "", text)
    return [n for n in dict.fromkeys(_NAME.findall(text)) if n not in _KEYWORDS]


def _message_names(template: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\{([a-zA-Z_][a-zA-Z0-9_]*)", template)))


def _dates_as_text(data: Any) -> Any:
    """YAML reads 2020-01-01 as a date; the JSON Schema (and JSON) know only strings."""
    import datetime as dt

    if isinstance(data, dict):
        return {k: _dates_as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_dates_as_text(v) for v in data]
    return data.isoformat() if isinstance(data, dt.date) else data


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime: float) -> Pack:
    return _load(path)


def load_pack(path: str | Path) -> Pack:
    """A pack by path, or by the name of a bundled pack (lov, asker, nasjonal …). Cached per file version."""
    candidate = Path(path)
    if not candidate.exists() and bundled_pack(str(path)).is_file():
        candidate = bundled_pack(str(path))
    if not candidate.is_file():
        raise InputError(Problem("regelpakken finnes ikke", file=str(path)))
    candidate = candidate.resolve()
    return _load_cached(candidate, candidate.stat().st_mtime)


def shipped(path: Path) -> bool:
    """A pack that ships inside the package. Its JSON-Schema check is a test (tests/test_batch.py), not a cost of
    every run: importing jsonschema alone is a tenth of a cold start. Its pydantic model still checks it on load."""
    try:
        return path.resolve().is_relative_to(rules_dir().resolve())
    except OSError:
        return False


def schema_errors(data: Any, schema_of: dict[str, Any]) -> list:
    import jsonschema

    return sorted(jsonschema.Draft202012Validator(schema_of).iter_errors(data), key=lambda e: [str(p) for p in e.path])


def _load(path: Path) -> Pack:
    """The pack as built from its file, or as an earlier run built it from exactly these bytes (see buildcache)."""
    from ..buildcache import built

    display = str(path)
    if not path.is_file():
        raise InputError(Problem("filen finnes ikke", file=display))
    data = read_limited(path, display, MAX_PACK_BYTES)
    return built("rulepack", path, lambda: _build(path, data), data, context=_names_stamp(), expect=Pack)


def _names_stamp() -> str:
    """The names a condition may use and their types, as the compiled pack depends on them (a figure registered
    at run time, not only in this package's code)."""
    names = known_names()
    key = _figures_key(names)  # the same names in this process: the same text, written once
    stamp = _STAMPS.get(key)
    if stamp is None:
        stamp = _STAMPS[key] = repr((sorted(names.items()),
                                     sorted((k, sorted(v[1].items())) for k, v in COLLECTIONS.items())))
    return stamp


def _build(path: Path, raw: bytes) -> Pack:
    from ..safeload import pydantic_message, schema_message

    display = str(path)
    data = _dates_as_text(_yaml_bytes(raw, display))
    problems = []
    for err in ([] if shipped(path) else schema_errors(data, schema())):
        where = list(err.path)
        rule = f"regel {_rule_names(data, where[1])}, " if len(where) > 1 and where[0] == "rules" else ""
        field_name = ".".join(str(p) for p in where[2:] if not isinstance(p, int)) if rule else ".".join(map(str, where))
        message = schema_message(err)  # never err.message: it quotes the value, and a file can hold secrets
        if err.validator == "required" and isinstance(err.instance, dict):
            # name the missing field itself, not the object that lacks it
            named = re.match(r"'([^']+)' is a required property", err.message)
            missing = [named.group(1)] if named else [p for p in err.validator_value if p not in err.instance][:1]
            field_name = ".".join(filter(None, [field_name, *missing]))
            message = "mangler (feltet er påkrevd)"
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = [p for p in err.instance if p not in allowed]
            field_name = ".".join(filter(None, [field_name, *extra[:1]]))
            message = f"ukjent felt; kjente felt: {', '.join(allowed)}"
        problems.append(Problem(f"{rule}feltet «{field_name or '(rot)'}»: {message}", file=display))
    if problems:
        raise InputError(problems)
    try:
        spec = PackSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = list(e["loc"])
            if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int):
                field_name = ".".join(str(p) for p in loc[2:] if not isinstance(p, int)) or "(regelen)"
                message = pydantic_message(e)
                problems.append(Problem(f"regel {_rule_names(data, loc[1])}, feltet «{field_name}»: {message}",
                                        file=display))
            else:
                problems.append(Problem(f"feltet «{'.'.join(map(str, loc))}»: {pydantic_message(e)}", file=display))
        raise InputError(problems) from None
    return Pack(spec, path, _compile_all(spec, display))


_CONTEXTS: dict[tuple, rule_engine.Context] = {}  # see _compile_all
_NAME_SETS: dict[tuple, int] = {}
_STAMPS: dict[int, str] = {}


def _figures_key(figures: dict[str, str]) -> int:
    """The figures a condition may name and their kinds, as a small key (a figure registered at run time, or a
    collection with other fields, makes another)."""
    names = (tuple(figures.items()), tuple((k, tuple(v[1].items())) for k, v in COLLECTIONS.items()))
    return _NAME_SETS.setdefault(names, len(_NAME_SETS))


def _compile_all(spec: PackSpec, display: str) -> list[CompiledRule]:
    problems, compiled, seen = [], [], set()
    figures = known_names()
    # Rules that know the same names share one context, within a pack and across the packs of a run: the names are
    # the figures plus the fields of the rule's collection (for_each) plus «toleranse» when it has one, so those
    # two choices and the figures themselves are the key (not the sorted names, once per rule).
    figures_key = _figures_key(figures)
    for rule in spec.rules:
        if rule.id in seen:
            problems.append(Problem(f"regel {rule.id}, feltet «id»: id-en er brukt før i pakken", file=display))
        seen.add(rule.id)
        names = dict(figures)
        if rule.for_each:
            if rule.for_each not in COLLECTIONS:
                problems.append(Problem(f"regel {rule.id}, feltet «for_each»: ukjent samling «{rule.for_each}»; "
                                        f"kjente: {', '.join(sorted(COLLECTIONS))}", file=display))
                continue
            names.update(COLLECTIONS[rule.for_each][1])
        if rule.tolerance is not None:
            names.setdefault("toleranse", NUMBER)
        for field_name, used_names in (("requires", rule.requires), ("message", _message_names(rule.message)),
                                       ("pass_message", _message_names(rule.pass_message or ""))):
            for name in used_names:
                if name not in names and name not in MESSAGE_ONLY:
                    problems.append(Problem(f"regel {rule.id}, feltet «{field_name}»: ukjent størrelse «{name}»",
                                            file=display))
        try:
            key = (figures_key, rule.for_each, rule.tolerance is not None)
            context = _CONTEXTS.get(key)
            if context is None:
                context = _CONTEXTS[key] = rule_engine.Context(
                    type_resolver=rule_engine.type_resolver_from_dict({n: _TYPES[k] for n, k in names.items()}))
            compiled_rule = rule_engine.Rule(rule.condition, context=context)
        except rule_engine.errors.SymbolResolutionError as exc:
            problems.append(Problem(f"regel {rule.id}, feltet «condition»: ukjent størrelse «{exc.symbol_name}»",
                                    file=display))
            continue
        except rule_engine.errors.SyntaxError as exc:
            problems.append(Problem(f"regel {rule.id}, feltet «condition»: syntaksfeil i uttrykket ({exc.message})",
                                    file=display))
            continue
        except rule_engine.errors.EngineError as exc:
            problems.append(Problem(f"regel {rule.id}, feltet «condition»: uttrykket kan ikke vurderes; sjekk at "
                                    f"tall sammenlignes med tall og tekst med tekst ({exc.message})", file=display))
            continue
        used = [n for n in _names_in(rule.condition) if n in names]
        used += [n for n in rule.requires + _message_names(rule.message) + _message_names(rule.pass_message or "")
                 if n in names and n not in used and n not in MESSAGE_ONLY]
        if "budget" in rule.scopes:
            fields = COLLECTIONS[rule.for_each][1] if rule.for_each else {}
            yearly = [n for n in used if n not in fields and _yearly(n)]
            if yearly:
                problems.append(Problem(f"regel {rule.id}, feltet «scope»: en regel for hele budsjettet (budget) kan "
                                        f"ikke bruke størrelser per år ({', '.join(yearly)}); bruk scope plan eller "
                                        "all, eller en størrelse for hele perioden", file=display))
                continue
        expression = compiled_rule.statement.expression
        sides = (expression.left, expression.right) if hasattr(expression, "left") and hasattr(expression, "right") \
            and type(expression).__name__.endswith("ComparisonExpression") else None
        if sides is not None and type(expression).__name__ in ("ComparisonExpression", "ArithmeticComparisonExpression"):
            expression.left, expression.right = sides = (RememberedSide(sides[0]), RememberedSide(sides[1]))
        compiled.append(CompiledRule(rule, compiled_rule, list(dict.fromkeys(used)), sides))
    if problems:
        raise InputError(problems)
    return compiled
