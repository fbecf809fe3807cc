"""The amendment file (endringsforslag): a party's proposal as a small YAML or TOML file.

Written by a party secretary, so the keys are Norwegian (English accepted too), case, spaces and æøå do not
matter, and every problem is reported with the file and the line it is on. YAML is read with the safe loader
only; anchors and aliases are refused (a proposal never needs them, and they are the road to alias bombs).

    tittel: Flere lærere, finansiert av disposisjonsfondet
    parti: Eksempelpartiet
    dato: 2023-11-17
    grunnlag: asker-hp-2024-2027          # pakkemappe eller navn på en medfølgende pakke
    eksempel: true                        # konstruert eksempel, ikke et reelt partiforslag
    forutsetninger:                       # valgfritt; standardverdiene står i Premises
      nedbetalingstid: 30
    endringer:
      - tekst: Flere lærere i grunnskolen
        tabell: område                    # drift, område, investering, prosjekt
        linje: Oppvekst
        beløp: {2024: 15000, 2025: 15000} # 1000 kr per planår, fortegn som i skjemaene
      - tekst: Ny flerbrukshall
        tabell: prosjekt
        linje: Ny flerbrukshall
        ny: true
        del: 1
        beløp: {2025: 80000}
        finansiering: {lån: 80, momskompensasjon: 20}
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError, Problem
from .labels import closest, normalise
from .numbers import AmountError, parse_amount

MAX_AMENDMENT_BYTES = 1024 * 1024

# canonical key → the spellings accepted for it (compared after labels.normalise)
TOP_KEYS = {
    "tittel": ("tittel", "title"),
    "parti": ("parti", "party", "forslagsstiller"),
    "dato": ("dato", "date"),
    "grunnlag": ("grunnlag", "base", "budsjett"),
    "eksempel": ("eksempel", "example"),
    "beskrivelse": ("beskrivelse", "description"),
    "forutsetninger": ("forutsetninger", "premisser", "premises", "settings"),
    "endringer": ("endringer", "changes"),
}
CHANGE_KEYS = {
    "tekst": ("tekst", "text"),
    "tabell": ("tabell", "table"),
    "linje": ("linje", "line", "område", "prosjekt"),
    "del": ("del", "part"),
    "ny": ("ny", "new"),
    "belop": ("beløp", "belop", "amounts", "amount"),
    "finansiering": ("finansiering", "financing"),
}
PREMISE_KEYS = {
    "nedbetalingstid": ("nedbetalingstid", "avdragstid", "repayment_years"),
    "avskrivningstid": ("avskrivningstid", "depreciation_years"),
    "rente_forste_ar": ("rente_første_år", "rente_forste_ar", "rente_opptaksår", "interest_first_year"),
    "rente": ("rente", "rentesats", "interest_rate"),
}
DISPLAY = {"belop": "beløp", "rente_forste_ar": "rente_første_år", "del_": "del"}
ERROR_WORDS = {
    "missing": "mangler (feltet er påkrevd)",
    "string_type": "skal være tekst",
    "int_type": "skal være et heltall",
    "int_parsing": "skal være et heltall",
    "int_from_float": "skal være et heltall",
    "bool_type": "skal være true eller false",
    "bool_parsing": "skal være true eller false",
    "date_type": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "list_type": "skal være en liste",
    "dict_type": "skal være en tabell med nøkler og verdier",
    "decimal_parsing": "skal være et tall",
    "decimal_type": "skal være et tall",
    "too_short": "kan ikke være tom",
    "greater_than_equal": "er for liten",
    "less_than_equal": "er for stor",
    "greater_than": "er for liten",
}


class Premises(BaseModel):
    """How the tool computes the consequences of a loan; each has a default, each can be set in the file.

    nedbetalingstid: years of equal (serial) avdrag on a new loan, first avdrag the year after the loan is taken up.
    avskrivningstid: years over which a new varig driftsmiddel is depreciated, from the year after the investment.
    rente_forste_ar: share of a full year's interest in the year the loan is taken up (0.5: taken up mid-year).
    rente: interest rate in percent per year, overriding the package's interest_rate premise (budsjett.toml).
    """

    model_config = ConfigDict(extra="forbid")
    nedbetalingstid: int = Field(30, ge=1, le=100)
    avskrivningstid: int = Field(40, ge=1, le=100)
    rente_forste_ar: Decimal = Field(Decimal("0.5"), ge=0, le=1)
    rente: dict[int, Decimal] = Field(default_factory=dict)

    @field_validator("rente", mode="before")
    @classmethod
    def _year_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            try:
                return {int(str(k)): v for k, v in value.items()}
            except ValueError:
                raise ValueError("nøklene skal være årstall, f.eks. {2024: 4.2}") from None
        return value


class ChangeSpec(BaseModel):
    """One change as the party wrote it; amounts are parsed afterwards (they need file lines and plan years)."""

    model_config = ConfigDict(extra="forbid")
    tekst: str = Field(min_length=1)
    tabell: str = Field(min_length=1)
    linje: str = Field(min_length=1)
    del_: int | None = Field(None, alias="del", ge=1, le=4)
    ny: bool = False
    belop: Any
    finansiering: Any = None  # a type (lån …) or {type: percent}; parsed against the budget in amend.py

    @field_validator("linje", "tabell", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class AmendmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tittel: str = Field(min_length=1)
    parti: str = Field(min_length=1)
    dato: dt.date | None = None
    grunnlag: str | None = None
    eksempel: bool = False
    beskrivelse: str | None = None
    forutsetninger: Premises = Field(default_factory=Premises)
    endringer: list[ChangeSpec] = Field(min_length=1)


@dataclass
class ProposedChange:
    """A change with its amounts parsed: per year in the package's printed sign convention, 1000 kr."""

    number: int  # 1-based position in the file
    spec: ChangeSpec
    amounts: dict[int, int]  # year → amount; empty when every_year is used
    every_year: int | None
    line: int | None  # where the change starts in the file
    year_lines: dict[int, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.spec.tekst


@dataclass
class Amendment:
    spec: AmendmentSpec
    path: Path
    changes: list[ProposedChange]
    lines: dict[tuple, int]  # canonical path in the file → line number (YAML only)
    problems: list[Problem] = field(default_factory=list)  # amounts that could not be read; reported with the rest

    @property
    def premises(self) -> Premises:
        return self.spec.forutsetninger

    @property
    def name(self) -> str:
        return self.spec.parti

    def line_of(self, *path: Any) -> int | None:
        return self.lines.get(tuple(path))


def bundled_amendment(name: str) -> Path | None:
    """`endringsforslag-omfordeling` (or with .yaml) names an example shipped in budsjettkontroll/budgets."""
    from .package import bundled_dir

    stem = name if name.endswith((".yaml", ".yml", ".toml")) else f"{name}.yaml"
    candidate = bundled_dir() / stem
    return candidate if candidate.is_file() and "/" not in name else None


def bundled_amendments() -> list[Path]:
    from .package import bundled_dir

    return sorted(bundled_dir().glob("endringsforslag-*.yaml"))


def load_amendment(path: str | Path) -> Amendment:
    """Read and validate an amendment file. Raises InputError for a file that cannot be read as a proposal;
    amounts that are not numbers are kept in `problems`, so that they are reported together with the changes
    that do not fit the budget (amend.resolve raises them all at once)."""
    given = Path(path)
    if not given.exists() and (found := bundled_amendment(str(path))) is not None:
        given = found
    display = str(path)
    if not given.is_file():
        raise InputError(Problem("endringsforslaget finnes ikke (oppgi en .yaml- eller .toml-fil)", file=display))
    if given.stat().st_size > MAX_AMENDMENT_BYTES:
        raise InputError(Problem(f"filen er større enn {MAX_AMENDMENT_BYTES // 1024} kB", file=display))
    try:
        text = given.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem("er ikke UTF-8", file=display)) from None
    return amendment_from_text(text, display, given)


def amendment_from_text(text: str, display: str, path: Path) -> Amendment:
    """A proposal from its text (TOML when `path` ends in .toml, else YAML): a file's, or one uploaded to the page."""
    if path.suffix.lower() == ".toml":
        try:
            raw, raw_lines = tomllib.loads(text), {}
        except tomllib.TOMLDecodeError as exc:
            raise InputError(Problem(f"ugyldig TOML: {exc}", file=display)) from None
    else:
        raw, raw_lines = _read_yaml(text, display)
    return amendment_from_data(raw, display, path, raw_lines)


def amendment_from_data(raw: Any, display: str, path: Path, raw_lines: dict[tuple, int] | None = None) -> Amendment:
    """Validate a proposal already read into plain data (a file's YAML/TOML, or the web page's form) exactly as a
    file is validated: the same keys, the same amount parsing, the same messages."""
    raw_lines = raw_lines or {}
    if not isinstance(raw, dict):
        raise InputError(Problem("endringsforslaget skal være en tabell med tittel, parti og endringer", file=display))
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    data = _canonical(raw, TOP_KEYS, (), raw_lines, (), lines, display, problems)
    try:
        spec = AmendmentSpec.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(err, data, lines, display) for err in exc.errors()]
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    changes = [_parse_amounts(i, c, lines, display, problems) for i, c in enumerate(spec.endringer)]
    return Amendment(spec, path, changes, lines, problems)


def _read_yaml(text: str, display: str) -> tuple[Any, dict[tuple, int]]:
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, {}
            lines: dict[tuple, int] = {}
            _node_lines(node, (), lines, set(), display)
            return loader.construct_document(node), lines
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        col = f", kolonne {mark.column + 1}" if mark else ""
        raise InputError(Problem(f"ugyldig YAML{col}: {exc.problem}", file=display,
                                 line=mark.line + 1 if mark else None)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"ugyldig YAML: {exc}", file=display)) from None
    except RecursionError:
        raise InputError(Problem("YAML-en er for dypt nøstet", file=display)) from None


def _node_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], seen: set[int], display: str) -> None:
    """Line of every value by its path of raw keys; a node met twice is an alias, which is refused."""
    if id(node) in seen and not isinstance(node, yaml.ScalarNode):
        raise InputError(Problem("ankere og aliaser (& og *) er ikke tillatt i et endringsforslag", file=display,
                                 line=node.start_mark.line + 1))
    seen.add(id(node))
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[path + (str(key.value),)] = key.start_mark.line + 1
            _node_lines(value, path + (str(key.value),), lines, seen, display)
            lines[path + (str(key.value),)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _node_lines(value, path + (i,), lines, seen, display)


def _canonical(data: Any, keys: dict[str, tuple[str, ...]], raw_path: tuple, raw_lines: dict[tuple, int],
               path: tuple, lines: dict[tuple, int], display: str, problems: list[Problem]) -> Any:
    """Rename accepted spellings to the canonical keys, carrying each value's line along."""
    if not isinstance(data, dict):
        return data
    lookup = {normalise(alias): canon for canon, aliases in keys.items() for alias in (canon, *aliases)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        canon = lookup.get(normalise(str(key)))
        if canon is None:
            hint = closest(str(key), [a[0] for a in keys.values()])
            problems.append(Problem(f"ukjent felt «{key}»" + (f"; mente du «{hint}»?" if hint else ".")
                                    + f" Kjente felt: {', '.join(a[0] for a in keys.values())}",
                                    file=display, line=raw_lines.get(raw_path + (str(key),))))
            continue
        if canon in out:
            problems.append(Problem(f"feltet «{keys[canon][0]}» er oppgitt to ganger", file=display,
                                    line=raw_lines.get(raw_path + (str(key),))))
            continue
        line = raw_lines.get(raw_path + (str(key),))
        if line:
            lines[path + (canon,)] = line
        sub_raw = raw_path + (str(key),)
        if canon == "endringer" and isinstance(value, list):
            value = [_canonical(item, CHANGE_KEYS, sub_raw + (i,), raw_lines, path + (canon, i), lines, display,
                                problems) for i, item in enumerate(value)]
            for i in range(len(value)):
                if sub_raw + (i,) in raw_lines:
                    lines[path + (canon, i)] = raw_lines[sub_raw + (i,)]
        elif canon == "forutsetninger":
            value = _canonical(value, PREMISE_KEYS, sub_raw, raw_lines, path + (canon,), lines, display, problems)
        elif canon == "belop" and isinstance(value, dict):
            for year in value:
                if sub_raw + (str(year),) in raw_lines:
                    lines[path + (canon, str(year))] = raw_lines[sub_raw + (str(year),)]
        out["del" if canon == "del" else canon] = value
    return out


def _problem(err: dict, data: Any, lines: dict[tuple, int], display: str) -> Problem:
    loc = tuple(err["loc"])
    words = ERROR_WORDS.get(err["type"])
    message = words or str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than") and "ctx" in err:
        limit = next(iter(err["ctx"].values()))
        message = f"{words} (grense {limit})"
    shown = [DISPLAY.get(str(p), str(p)) for p in loc]
    where = ".".join(p for p, raw in zip(shown, loc) if not isinstance(raw, int)) or "(rot)"
    label = None
    if len(loc) >= 2 and loc[0] == "endringer" and isinstance(loc[1], int):
        where = f"endring nr. {loc[1] + 1}, feltet «{'.'.join(shown[2:]) or '(endringen)'}»"
        try:
            label = str(data["endringer"][loc[1]].get("linje")) if data["endringer"][loc[1]].get("linje") else None
        except (KeyError, IndexError, AttributeError, TypeError):
            label = None
    else:
        where = f"feltet «{where}»"
    line = None
    for n in range(len(loc), 0, -1):
        line = lines.get(loc[:n])
        if line:
            break
    return Problem(f"{where}: {message}", file=display, line=line, label=label)


def _parse_amounts(index: int, change: ChangeSpec, lines: dict[tuple, int], display: str,
                   problems: list[Problem]) -> ProposedChange:
    base_line = lines.get(("endringer", index))
    where = f"endring nr. {index + 1}"
    proposed = ProposedChange(index + 1, change, {}, None, base_line)
    raw = change.belop
    if isinstance(raw, dict):
        if not raw:
            problems.append(Problem(f"{where}: beløp mangler", file=display, line=base_line, table=change.tabell,
                                    label=change.linje))
        for key, value in raw.items():
            line = lines.get(("endringer", index, "belop", str(key))) or base_line
            try:
                year = int(str(key).strip())
            except ValueError:
                problems.append(Problem(f"{where}: «{key}» er ikke et årstall (beløp oppgis per år, f.eks. 2024: 5000)",
                                        file=display, line=line, table=change.tabell, label=change.linje))
                continue
            amount = _amount(value, where, display, line, change, year, problems)
            if amount is not None:
                proposed.amounts[year] = amount
                proposed.year_lines[year] = line
    else:
        line = lines.get(("endringer", index, "belop")) or base_line
        proposed.every_year = _amount(raw, where, display, line, change, None, problems)
    return proposed


def _amount(value: Any, where: str, display: str, line: int | None, change: ChangeSpec, year: int | None,
            problems: list[Problem]) -> int | None:
    if isinstance(value, (dict, list)) or value is None:
        problems.append(Problem(f"{where}: beløpet skal være et tall i 1000 kr per år, f.eks. {{2024: 5000}}",
                                file=display, line=line, table=change.tabell, label=change.linje, year=year))
        return None
    try:
        amount = parse_amount(value)
    except AmountError as exc:
        problems.append(Problem(f"{where}: {exc}", file=display, line=line, table=change.tabell, label=change.linje,
                                year=year))
        return None
    if amount is None:
        problems.append(Problem(f"{where}: beløpet mangler", file=display, line=line, table=change.tabell,
                                label=change.linje, year=year))
    return amount
