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
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError, Problem
from .labels import closest, normalise
from .numbers import AmountError
from .safeload import amount as whole_amount
from .safeload import load_toml, load_yaml_document, pydantic_message

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
    "avskrivningstid": ("avskrivningstid", "depreciation_years"),
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
    avskrivningstid: years over which a new varig driftsmiddel is depreciated, from the year after the investment
      (default 40; a project may set its own, e.g. VA ledningsnett, which from 2026 may be depreciated over up to 80
      years: FOR-2025-09-12-1858 as summarised in shared/reference/lovregler.md).
    rente_forste_ar: share of a full year's interest in the year the loan is taken up (0.5: taken up mid-year).
    rente: interest rate in percent per year, overriding the package's interest_rate premise (budsjett.toml).
    """

    model_config = ConfigDict(extra="forbid")
    nedbetalingstid: int = Field(30, ge=1, le=100)
    avskrivningstid: int = Field(40, ge=1, le=100)
    rente_forste_ar: Decimal = Field(Decimal("0.5"), ge=0, le=1)
    rente: dict[int, Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]] = Field(default_factory=dict)

    @field_validator("rente", mode="before")
    @classmethod
    def _year_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            try:
                years = {int(str(k)): v for k, v in value.items()}
            except ValueError:
                raise ValueError("nøklene skal være årstall, f.eks. {2024: 4.2}") from None
            if any(not 1990 <= year <= 2100 for year in years):
                raise ValueError("nøklene skal være årstall mellom 1990 og 2100")
            return years
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
    avskrivningstid: int | None = Field(None, ge=1, le=100)  # this project's own; else forutsetninger.avskrivningstid

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
    """A proposal from its text (TOML when `path` ends in .toml, else YAML): a file's, or one uploaded to the page.
    Read by safeload: a key given twice, an invalid date, nan/inf, deep nesting and aliases are refused."""
    if path.suffix.lower() == ".toml":
        raw, raw_lines, raw_texts = load_toml(text, display), {}, _toml_float_texts(text)
    else:
        doc = load_yaml_document(text, display, aliases=False)
        raw, raw_lines, raw_texts = doc.data, doc.lines, doc.raw
    return amendment_from_data(raw, display, path, raw_lines, raw_texts)


def amendment_from_data(raw: Any, display: str, path: Path, raw_lines: dict[tuple, int] | None = None,
                        raw_texts: dict | None = None) -> Amendment:
    """Validate a proposal already read into plain data (a file's YAML/TOML, or the web page's form) exactly as a
    file is validated: the same keys, the same amount parsing, the same messages. `raw_texts` holds the amounts as
    written (YAML: by path; TOML: decimal numbers by value), so that «12.000» is named as written."""
    from .safeload import clean

    raw_lines = raw_lines or {}
    raw = clean(raw)  # control characters made visible here too: the web page's form is not read by safeload
    texts: dict[tuple, str] = {}  # the amounts as written, by canonical path: «12.000» is not 12
    if not isinstance(raw, dict):
        raise InputError(Problem("endringsforslaget skal være en tabell med tittel, parti og endringer", file=display))
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    data = _canonical(raw, TOP_KEYS, (), raw_lines, (), lines, display, problems, raw_texts, texts)
    try:
        spec = AmendmentSpec.model_validate(data)
    except ValidationError as exc:
        problems += [_problem(err, data, lines, display) for err in exc.errors()]
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    changes = [_parse_amounts(i, c, lines, display, problems, texts) for i, c in enumerate(spec.endringer)]
    return Amendment(spec, path, changes, lines, problems)


def _toml_float_texts(text: str) -> dict[float, tuple[str, int]]:
    """TOML keeps no text or line of its values: the decimal numbers as written and their lines, by value, so that
    `12.000` (read as the float 12.0) can be named as the person wrote it, where it is."""
    found: dict[float, tuple[str, int]] = {}
    for match in re.finditer(r"(?<![\w.])[-+]?\d[\d_]*\.\d[\d_]*(?:[eE][-+]?\d+)?(?![\w.])", text):
        try:
            found.setdefault(float(match.group().replace("_", "")), (match.group(), text.count("\n", 0, match.start()) + 1))
        except ValueError:
            continue
    return found


def _canonical(data: Any, keys: dict[str, tuple[str, ...]], raw_path: tuple, raw_lines: dict[tuple, int],
               path: tuple, lines: dict[tuple, int], display: str, problems: list[Problem],
               raw_texts: dict | None = None, texts: dict[tuple, str] | None = None) -> Any:
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
                                problems, raw_texts, texts) for i, item in enumerate(value)]
            for i in range(len(value)):
                if sub_raw + (i,) in raw_lines:
                    lines[path + (canon, i)] = raw_lines[sub_raw + (i,)]
        elif canon == "forutsetninger":
            value = _canonical(value, PREMISE_KEYS, sub_raw, raw_lines, path + (canon,), lines, display, problems)
        elif canon == "belop" and isinstance(value, dict):
            for year in value:
                if sub_raw + (str(year),) in raw_lines:
                    lines[path + (canon, str(year))] = raw_lines[sub_raw + (str(year),)]
                _written(raw_texts, texts, sub_raw + (str(year),), value[year], path + (canon, str(year)), lines)
        elif canon == "belop":
            _written(raw_texts, texts, sub_raw, value, path + (canon,), lines)
        out["del" if canon == "del" else canon] = value
    return out


def _written(raw_texts: dict | None, texts: dict[tuple, str] | None, raw_path: tuple, value: Any,
             path: tuple, lines: dict[tuple, int]) -> None:
    """Keep the text an amount was written as (by its raw path in YAML; by its value in TOML, with its line)."""
    if raw_texts is None or texts is None:
        return
    if raw_path in raw_texts:
        texts[path] = raw_texts[raw_path]
    elif isinstance(value, float) and value in raw_texts:
        texts[path], line = raw_texts[value]
        lines.setdefault(path, line)


def _problem(err: dict, data: Any, lines: dict[tuple, int], display: str) -> Problem:
    loc = tuple(err["loc"])
    words = ERROR_WORDS.get(err["type"])
    message = words or pydantic_message(err)
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
                   problems: list[Problem], texts: dict[tuple, str] | None = None) -> ProposedChange:
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
            amount = _amount(value, where, display, line, change, year, problems,
                             (texts or {}).get(("endringer", index, "belop", str(key))))
            if amount is not None:
                proposed.amounts[year] = amount
                proposed.year_lines[year] = line
    else:
        line = lines.get(("endringer", index, "belop")) or base_line
        proposed.every_year = _amount(raw, where, display, line, change, None, problems,
                                      (texts or {}).get(("endringer", index, "belop")))
    return proposed


def _amount(value: Any, where: str, display: str, line: int | None, change: ChangeSpec, year: int | None,
            problems: list[Problem], written: str | None = None) -> int | None:
    if isinstance(value, (dict, list)) or value is None:
        problems.append(Problem(f"{where}: beløpet skal være et tall i 1000 kr per år, f.eks. {{2024: 5000}}",
                                file=display, line=line, table=change.tabell, label=change.linje, year=year))
        return None
    try:
        amount = whole_amount(value, written if isinstance(written, str) else None)
    except AmountError as exc:
        problems.append(Problem(f"{where}: {exc}", file=display, line=line, table=change.tabell, label=change.linje,
                                year=year))
        return None
    if amount is None:
        problems.append(Problem(f"{where}: beløpet mangler", file=display, line=line, table=change.tabell,
                                label=change.linje, year=year))
    return amount
