"""Handlingsregelpakker: a kommune's own finansielle måltall (kommuneloven § 14-2 bokstav c) as data.

A pack gives, per key figure, up to three bands (ikke godkjent, laveste akseptable, ønsket) whose bounds say
explicitly which band a boundary value belongs to (`at_least`/`at_most` include it, `above`/`below` do not).
The bands must cover every value exactly once, so a kommune can write its own pack without touching code and
a mistake is refused when the pack is loaded, not discovered in a report. Format: PolicyPack below and the
published JSON Schema rules/policy/policy-pack.schema.json (regenerate: python -m budsjettkontroll.policy).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError, Problem
from .numbers import format_amount
from .rules.model import Reference

SCHEMA_FILE = "policy-pack.schema.json"
DEFAULT_POLICY = "nasjonal"  # used when budsjett.toml names no pack
BAND_NAMES = ("ikke_godkjent", "laveste_akseptable", "onsket")
LEVEL = {"ikke_godkjent": "unacceptable", "laveste_akseptable": "acceptable", "onsket": "target"}
BAND_WORD = {"ikke_godkjent": "ikke godkjent", "laveste_akseptable": "laveste akseptable", "onsket": "ønsket"}


class Band(BaseModel):
    """One band: a lower bound (at_least or above), an upper bound (below or at_most), or both."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    at_least: Decimal | None = Field(None, description="Nedre grense som hører til dette båndet (verdi ≥ grensen).")
    above: Decimal | None = Field(None, description="Nedre grense som hører til båndet under (verdi > grensen).")
    below: Decimal | None = Field(None, description="Øvre grense som hører til båndet over (verdi < grensen).")
    at_most: Decimal | None = Field(None, description="Øvre grense som hører til dette båndet (verdi ≤ grensen).")
    label: str | None = Field(None, description="Egen betegnelse i rapporten (standard: ikke godkjent / laveste "
                                                "akseptable / ønsket).")

    @property
    def lower(self) -> tuple[Decimal, bool] | None:
        """(bound, inclusive) or None when the band has no lower bound."""
        if self.at_least is not None:
            return self.at_least, True
        if self.above is not None:
            return self.above, False
        return None

    @property
    def upper(self) -> tuple[Decimal, bool] | None:
        if self.at_most is not None:
            return self.at_most, True
        if self.below is not None:
            return self.below, False
        return None

    def contains(self, value: Decimal) -> bool:
        low, high = self.lower, self.upper
        if low is not None and (value < low[0] or (value == low[0] and not low[1])):
            return False
        if high is not None and (value > high[0] or (value == high[0] and not high[1])):
            return False
        return True

    def describe(self, unit: str) -> str:
        """The band in words, e.g. «minst 1,75 % og høyst 3 %», «under 1,75 %»."""
        parts = []
        if self.lower is not None:
            parts.append(("minst " if self.lower[1] else "over ") + number_with_unit(self.lower[0], unit))
        if self.upper is not None:
            parts.append(("høyst " if self.upper[1] else "under ") + number_with_unit(self.upper[0], unit))
        return " og ".join(parts)


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    ikke_godkjent: Band | None = Field(None, description="«Ikke godkjent resultat»: måltallet er ikke nådd.")
    laveste_akseptable: Band | None = Field(None, description="«Laveste akseptable resultat».")
    onsket: Band = Field(description="«Ønsket resultat»: målet.")

    def present(self) -> list[tuple[str, Band]]:
        return [(name, getattr(self, name)) for name in BAND_NAMES if getattr(self, name) is not None]


class PolicyRule(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Stabil id, unik i pakken.")
    title: str = Field(min_length=1, description="Tittel i rapporten, f.eks. «Netto driftsresultat».")
    figure: str = Field(description="Nøkkeltallet regelen gjelder (id; se `budsjettkontroll explain ID`), f.eks. "
                                    "netto_driftsresultat_pst, gjeldsgrad, gjeldsgrad_inkl_startlan.")
    bands: Bands
    references: list[Reference] = Field(default_factory=list, description="Kilder i tillegg til pakkens vedtak.")
    purpose: str | None = None
    notes: str | None = None


class PolicyPack(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    policy: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Pakkens navn, f.eks. asker.")
    version: str
    title: str
    kommune: str | None = Field(None, description="Kommunen pakken gjelder; tom for en nasjonal pakke.")
    decision: Reference = Field(description="Vedtaket eller anbefalingen som fastsetter måltallene.")
    references: list[Reference] = Field(default_factory=list)
    description: str | None = None
    rules: list[PolicyRule] = Field(min_length=1)


@dataclass(frozen=True)
class Policy:
    spec: PolicyPack
    path: Path

    @property
    def name(self) -> str:
        return self.spec.policy

    @property
    def pack_name(self) -> str:
        """How findings name their pack: «handlingsregler:asker»."""
        return f"handlingsregler:{self.spec.policy}"

    def references(self, rule: PolicyRule) -> list[dict[str, str]]:
        refs = [self.spec.decision, *rule.references]
        return [r.model_dump(exclude_none=True) for r in refs]


def number_with_unit(value: Decimal | int | float, unit: str) -> str:
    """1,75 % · 140 kr per m2 · 1 100 000 (1000 kr)."""
    value = Decimal(str(value))
    if value == value.to_integral_value():
        text = format_amount(int(value))
    else:
        text = f"{value.normalize():f}".replace(".", ",")
    if unit == "%":
        return f"{text} %"
    return f"{text} {unit}" if unit else text


def classify(rule: PolicyRule, value: Decimal | int | float) -> str:
    """The band (ikke_godkjent, laveste_akseptable, onsket) a value falls in; the bands cover every value once."""
    value = Decimal(str(value))
    for name, band in rule.bands.present():
        if band.contains(value):
            return name
    raise ValueError(f"{value} faller utenfor båndene i {rule.id}")  # load-time checks make this unreachable


def band_problems(rule: PolicyRule) -> list[str]:
    """Why the bands do not cover every value exactly once, in order from ikke godkjent to ønsket."""
    bands = rule.bands.present()
    problems = []
    if len(bands) < 2:
        return ["trenger minst to bånd: «onsket» og «ikke_godkjent» og/eller «laveste_akseptable»"]
    for name, band in bands:
        if band.at_least is not None and band.above is not None:
            problems.append(f"{name}: bruk enten «at_least» eller «above», ikke begge")
        if band.below is not None and band.at_most is not None:
            problems.append(f"{name}: bruk enten «below» eller «at_most», ikke begge")
        if band.lower is None and band.upper is None:
            problems.append(f"{name}: mangler grense (at_least, above, below eller at_most)")
        if band.lower and band.upper and band.lower[0] >= band.upper[0]:
            problems.append(f"{name}: nedre grense {band.lower[0]} er ikke lavere enn øvre grense {band.upper[0]}")
    if problems:
        return problems
    ordered = sorted(bands, key=lambda nb: (nb[1].lower is not None, nb[1].lower[0] if nb[1].lower else 0))
    names = [n for n, _ in ordered]
    if ordered[0][1].lower is not None:
        problems.append("ingen bånd dekker de laveste verdiene (ett bånd må ha bare en øvre grense)")
    if ordered[-1][1].upper is not None:
        problems.append("ingen bånd dekker de høyeste verdiene (ett bånd må ha bare en nedre grense)")
    for (name_a, a), (name_b, b) in zip(ordered, ordered[1:]):
        if a.upper is None or b.lower is None:
            problems.append(f"{name_a} og {name_b} overlapper (begge er åpne mot hverandre)")
            continue
        if a.upper[0] != b.lower[0]:
            problems.append(f"{name_a} slutter ved {a.upper[0]}, men {name_b} begynner ved {b.lower[0]}: "
                            "båndene må møtes i samme grenseverdi")
        elif a.upper[1] == b.lower[1]:
            whose = "begge" if a.upper[1] else "ingen av dem"
            problems.append(f"grenseverdien {a.upper[0]} hører til {whose} av {name_a} og {name_b}; "
                            "den må høre til nøyaktig ett bånd (at_most + above, eller below + at_least)")
    expected = [n for n in BAND_NAMES if n in names]
    if not problems and names not in (expected, expected[::-1]):
        problems.append("«laveste_akseptable» må ligge mellom «ikke_godkjent» og «onsket» "
                        f"(rekkefølgen fra lave til høye verdier er nå {', '.join(names)})")
    return problems


def higher_is_better(rule: PolicyRule) -> bool:
    """True when ønsket is the top band (netto driftsresultat), False when it is the bottom one (gjeldsgrad)."""
    return rule.bands.onsket.upper is None


# --- loading -------------------------------------------------------------------------------------------------

def policy_dir() -> Path:
    return Path(__file__).parent / "rules" / "policy"


def bundled_policies() -> list[str]:
    return sorted(p.stem for p in policy_dir().glob("*.yaml"))


def generate_schema() -> dict[str, Any]:
    schema = PolicyPack.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://budsjettkontroll.no/schema/policy-pack.schema.json", **schema}


def schema() -> dict[str, Any]:
    return json.loads((policy_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


PACK_SUFFIXES = (".yaml", ".yml")


def resolve(name_or_path: str | Path, base: Path | None = None, named_in: str | None = None) -> Path:
    """A bundled pack's name (asker, nasjonal), or a path to a .yaml pack: relative to `base` (the package's folder,
    for budsjett.toml's `policy`), else to the working directory. Anything that is not a .yaml file is refused
    unread: `policy = "hemmelig.env"` must not put a secret into a CI log."""
    text = str(name_or_path)
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text) and (policy_dir() / f"{text}.yaml").is_file():
        return (policy_dir() / f"{text}.yaml").resolve()
    candidate = Path(text)
    if base is not None and not candidate.is_absolute():
        candidate = base / candidate
    where = f"{named_in}: policy «{text}»" if named_in else None
    path_like = "/" in text or "\\" in text or candidate.suffix != ""
    if path_like and candidate.suffix.lower() not in PACK_SUFFIXES:
        raise InputError(Problem("er ikke en handlingsregelpakke: oppgi navnet på en medfølgende pakke "
                                 f"({', '.join(bundled_policies())}) eller en .yaml-fil", file=where or text))
    try:
        regular = candidate.is_file()
    except OSError:
        regular = False
    if not regular:
        raise InputError(Problem("handlingsregelpakken finnes ikke (verken som .yaml-fil eller som medfølgende pakke: "
                                 f"{', '.join(bundled_policies())})", file=where or text))
    return candidate.resolve()


def load_policy(name_or_path: str | Path | None, base: Path | None = None, named_in: str | None = None) -> Policy:
    """A pack by path or bundled name (asker, nasjonal); None gives the national pack. Cached per file version."""
    path = resolve(name_or_path if name_or_path else DEFAULT_POLICY, base, named_in)
    return _load_cached(path, path.stat().st_mtime)


def policy_for(budget, override: str | Path | None = None) -> Policy:
    """--policy wins over budsjett.toml's `policy` (relative to the package), which wins over the national pack."""
    if override:
        return load_policy(override)
    if budget.meta.policy:
        source = Path(budget.source) if budget.source is not None else None
        base = None if source is None else (source if source.is_dir() else source.parent)
        named_in = str(budget.files.get("budsjett", source)) if source is not None else None
        return load_policy(budget.meta.policy, base, named_in)
    return load_policy(DEFAULT_POLICY)


@lru_cache(maxsize=32)
def _load_cached(path: Path, mtime: float) -> Policy:
    return _load(path)


def _load(path: Path) -> Policy:
    """The pack as built from its file, or as an earlier run built it from exactly these bytes (see buildcache)."""
    from .buildcache import built
    from .rules.loader import MAX_PACK_BYTES
    from .readers import read_limited

    if not path.is_file():
        raise InputError(Problem("filen finnes ikke", file=str(path)))
    data = read_limited(path, str(path), MAX_PACK_BYTES)
    return built("policy", path, lambda: _build(path, data), data, expect=Policy)


def _build(path: Path, raw: bytes) -> Policy:
    from .rules.loader import _yaml_bytes, schema_errors, shipped
    from .safeload import pydantic_message, schema_message

    display = str(path)
    data = _yaml_bytes(raw, display)
    if not isinstance(data, dict) or "policy" not in data or "rules" not in data:  # never quote what it holds
        raise InputError(Problem("er ikke en handlingsregelpakke (en YAML-tabell med «policy:» og «rules:»)",
                                 file=display))
    problems = []  # a shipped pack's JSON-Schema check is a test, not a cost of every run (see rules.loader.shipped)
    for err in ([] if shipped(path) else schema_errors(data, schema())):
        where = list(err.path)
        rule = ""
        if len(where) > 1 and where[0] == "rules":
            try:
                rule = f"regel {data['rules'][where[1]].get('id', f'nr. {where[1] + 1}')}, "
            except (AttributeError, KeyError, IndexError, TypeError):
                rule = f"regel nr. {where[1] + 1}, "
            where = where[2:]
        field_name = ".".join(str(p) for p in where) or "(rot)"
        problems.append(Problem(f"{rule}feltet «{field_name}»: {schema_message(err)}", file=display))
    if problems:
        raise InputError(problems)
    try:
        spec = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(f"feltet «{'.'.join(map(str, e['loc']))}»: {pydantic_message(e)}", file=display)
                          for e in exc.errors()]) from None
    problems = _semantic_problems(spec, display)
    if problems:
        raise InputError(problems)
    return Policy(spec, path)


def _semantic_problems(spec: PolicyPack, display: str) -> list[Problem]:
    from .keyfigures import KEY_FIGURES

    problems, seen = [], set()
    for rule in spec.rules:
        if rule.id in seen:
            problems.append(Problem(f"regel {rule.id}: id-en er brukt før i pakken", file=display))
        seen.add(rule.id)
        if rule.figure not in KEY_FIGURES:
            problems.append(Problem(f"regel {rule.id}, feltet «figure»: ukjent nøkkeltall «{rule.figure}»; kjente: "
                                    f"{', '.join(KEY_FIGURES)}", file=display))
        for text in band_problems(rule):
            problems.append(Problem(f"regel {rule.id}, feltet «bands»: {text}", file=display))
    return problems


if __name__ == "__main__":  # regenerate the published schema
    print(json.dumps(generate_schema(), ensure_ascii=False, indent=2))
