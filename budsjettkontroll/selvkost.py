"""Selvkost (kommuneloven § 15-1, selvkostforskriften): each område's calculation per year, its selvkostfond
tracked by year of origin (first in, first out), and the report section that shows it.

selvkost.csv holds one block of lines per område (catalogue.SELVKOST). Amounts are positive, as a selvkost
note prints them; the fund is positive for a surplus owed to the payers and negative for a deficit carried
forward. What the law says lives in data, not here: the rules in rules/selvkost.yaml, the legal type of each
område (tak or full kostnadsdekning) and the published kalkylerente in rules/parameters/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from .budget import Budget, Row
from .catalogue import SELVKOST
from .derive import BOOL, FIELD_LABELS, NUMBER, TEXT, Facts, Item, collection, figure
from .errors import InputError, Problem
from .labels import normalise
from .numbers import format_amount

STEM = SELVKOST.stem
PACK = "selvkost"
RETURN_WITHIN = 5  # a surplus goes back to the payers at the latest in the fifth year after it arose
NEGLIGIBLE = Decimal("0.5")  # 1000 kr: a fund layer smaller than this is nothing in whole thousands
COST_TERMS = ("direkte_kostnader", "indirekte_kostnader", "kalkulatoriske_avskrivninger", "kalkulatoriske_renter")
NOT_IN_COST_BASE = ("herav_administrativ_ledelse", "herav_folkevalgte_organer", "herav_eierorganer")
# Lines that are never negative in a selvkost calculation; a minus there is the KOSTRA habit of negative incomes.
NON_NEGATIVE = (*COST_TERMS, *NOT_IN_COST_BASE, "andre_inntekter", "selvkost", "gebyrinntekter", "kalkylerente",
                "avsetning", "bruk")
TYPE_TEXT = {"tak": "tak: gebyrinntektene kan ikke overstige selvkost",
             "full": "full kostnadsdekning: gebyrinntektene skal dekke selvkost og kan ikke overstige den"}


# --- parameters: published kalkylerente and the legal type of each område ------------------------------------

class PublishedRate(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    value: Decimal | None
    source: str | None = None
    url: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> "PublishedRate":
        if self.value is not None and not self.source:
            raise ValueError("en verdi må ha en kilde (source)")
        return self


class RateFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    parameter: Literal["kalkylerente"]
    unit: Literal["%"]
    values: dict[int, PublishedRate]


class DatedText(BaseModel):
    """A legal basis in force from one date to another (a law replaced, a paragraph reworded)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    text: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def in_force(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= dt.date(year, 12, 31)) and \
            (self.valid_to is None or self.valid_to >= dt.date(year, 1, 1))


class AreaType(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    # tak: the fee may not exceed selvkost; full: the fee shall cover selvkost and (selvkost being the measure) may not
    # exceed it either, so a «full» område is judged against both the floor and the ceiling
    type: Literal["tak", "full"]
    aliases: list[str] = []
    hjemmel: str | list[DatedText]
    sikkerhet: Literal["S", "S~", "M"]  # lovregler.md: S confirmed in a source, S~ nearly, M the model's reading
    # KDD's selvkost guidance (H-2465): deficits for fees under pbl, matrikkellova and eierseksjonsloven may not be
    # carried forward to later years
    underskudd_kan_fremfores: bool = True
    note: str | None = None

    def hjemmel_for(self, year: int | None) -> str:
        """The legal basis in force in `year` (all periods, dated, when no year is given)."""
        if isinstance(self.hjemmel, str):
            return self.hjemmel
        periods = [h for h in self.hjemmel if year is None or h.in_force(year)]
        if len(periods) == 1 and year is not None:
            return periods[0].text
        return "; ".join(f"{_period_text(h)}: {h.text}" for h in periods) or "–"


def _period_text(h: DatedText) -> str:
    day = lambda d: f"{d.day}.{d.month}.{d.year}"  # noqa: E731
    if h.valid_from and h.valid_to:
        return f"{day(h.valid_from)}–{day(h.valid_to)}"
    if h.valid_from:
        return f"fra {day(h.valid_from)}"
    return f"til {day(h.valid_to)}" if h.valid_to else "alltid"


class AreaFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    parameter: Literal["selvkostomrader"]
    areas: dict[str, AreaType]


def parameters_dir() -> Path:
    from .rules.loader import rules_dir

    return rules_dir() / "parameters"


@lru_cache(maxsize=8)
def _load_parameters(path: Path, mtime: float, model: type[BaseModel]) -> BaseModel:
    """The validated file, or what an earlier run built from exactly these bytes (see buildcache)."""
    from .buildcache import built

    return built(f"selvkost-{model.__name__}", path, lambda: _build_parameters(path, model), expect=model)


def _build_parameters(path: Path, model: type[BaseModel]) -> BaseModel:
    from .rules.loader import safe_yaml

    data = safe_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(f"feltet «{'.'.join(map(str, e['loc']))}»: {e['msg']}", file=str(path))
                          for e in exc.errors()]) from None


def _parameters(name: str, model: type[BaseModel]) -> BaseModel:
    path = parameters_dir() / f"{name}.yaml"
    if not path.is_file():
        raise InputError(Problem("parameterfilen finnes ikke", file=str(path)))
    return _load_parameters(path, path.stat().st_mtime, model)


def published_rates() -> dict[int, PublishedRate]:
    return _parameters("kalkylerente", RateFile).values


def area_types() -> dict[str, AreaType]:
    return _parameters("selvkostomrader", AreaFile).areas


def area_type(name: str) -> tuple[str, AreaType] | None:
    """The område's entry in selvkostomrader.yaml, by its name or an alias (case and punctuation ignored)."""
    wanted = normalise(name)
    for canonical, entry in area_types().items():
        if wanted in {normalise(canonical), *map(normalise, entry.aliases)}:
            return canonical, entry
    return None


# --- the package's selvkost table, block by block --------------------------------------------------------------

@dataclass
class Area:
    name: str
    rows: dict[str, Row]
    line: int  # the block's first line in selvkost.csv

    def value(self, key: str, year: int | None) -> Decimal | None:
        row = self.rows.get(key)
        value = row.values.get(year) if row is not None and year is not None else None
        return None if value is None else Decimal(str(value))

    def has_data(self, year: int) -> bool:
        return any(row.values.get(year) is not None for row in self.rows.values())


def areas(budget: Budget) -> list[Area]:
    """The package's områder in file order. Refuses (InputError) values no selvkost calculation can have."""
    table = budget.tables.get(STEM)
    if table is None:
        return []
    found: dict[str, Area] = {}
    problems = []
    file = str(budget.files.get(STEM, table.file))
    for row in table.rows:
        area = found.setdefault(str(row.group), Area(str(row.group), {}, row.line))
        area.rows[row.key] = row
        for year, value in row.values.items():
            at = dict(file=file, line=row.line, table=STEM, year=year, label=f"{area.name}: {row.label}")
            if value is None:
                continue
            if row.key in NON_NEGATIVE and value < 0:
                problems.append(Problem("beløpet er negativt; i selvkost.csv skrives alle beløp som positive tall, "
                                        "også inntekter (bruk «Bruk av selvkostfond» for et uttak fra fondet)", **at))
            if row.key == "fond_ib_negativt" and value not in (0, 1):
                problems.append(Problem("skal være 1 (ja) eller 0 (nei)", **at))
    for area in found.values():
        flag, ib = area.rows.get("fond_ib_negativt"), area.rows.get("fond_ib")
        for year, value in (flag.values.items() if flag and ib else []):
            amount = ib.values.get(year)
            if value is not None and amount is not None and (value == 1) != (amount < 0):
                problems.append(Problem(f"«{flag.label}» er {value}, men selvkostfond IB er {amount}", file=file,
                                        line=flag.line, table=STEM, year=year, label=f"{area.name}: {flag.label}"))
    if problems:
        raise InputError(problems)
    return list(found.values())


# --- the fund by year of origin ----------------------------------------------------------------------------------

@dataclass
class FundState:
    """The fund at the end of a year: layers (year of origin, amount), oldest first, all of one sign."""

    balance: Decimal
    layers: list[tuple[int, Decimal]]
    opening_origin: int  # the year the opening balance is counted from: the year before the first year

    def oldest(self, sign: int) -> tuple[int, Decimal] | None:
        for origin, amount in self.layers:
            if (amount > 0) == (sign > 0) and abs(amount) >= NEGLIGIBLE:
                return origin, amount
        return None


def _move(layers: list[tuple[int, Decimal]], amount: Decimal, year: int) -> list[tuple[int, Decimal]]:
    """Apply one year's net movement: it first settles the oldest layers of the other sign, the rest is new."""
    layers = list(layers)
    while amount and layers and (layers[0][1] > 0) != (amount > 0):
        origin, held = layers[0]
        if abs(held) > abs(amount):
            layers[0] = (origin, held + amount)
            amount = Decimal(0)
        else:
            amount += held
            layers.pop(0)
    if amount:
        if layers and layers[-1][0] == year:
            layers[-1] = (year, layers[-1][1] + amount)
        else:
            layers.append((year, amount))
    return layers


def track_fund(area: Area, years: list[int]) -> dict[int, FundState]:
    """The fund year by year, first in first out. The opening balance of the område's first year is counted as
    arising the year before (the latest it can have arisen, so an age is never overstated). A year's movement is
    avsetning − bruk + renter when all three are given, else UB − the balance before; tracking stops at a year
    where neither can be read."""
    present = [y for y in years if area.has_data(y)]
    if not present:
        return {}
    first = present[0]
    opening = area.value("fond_ib", first)
    if opening is None:
        return {}
    layers = [(first - 1, opening)] if opening else []
    balance = opening
    states: dict[int, FundState] = {}
    for year in [y for y in years if y >= first]:
        flows = [area.value(k, year) for k in ("avsetning", "bruk", "fond_renter")]
        if None not in flows:
            movement = flows[0] - flows[1] + flows[2]
        elif area.value("fond_ub", year) is not None:
            movement = area.value("fond_ub", year) - balance
        else:
            break
        layers = _move(layers, movement, year)
        balance += movement
        states[year] = FundState(balance, layers, first - 1)
    return states


# --- one item per område and year ----------------------------------------------------------------------------------

def _add(*values: Decimal | None) -> Decimal | None:
    return None if any(v is None for v in values) else sum(values, Decimal(0))


def _sub(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def pct(value: Decimal | None, places: int | None = None) -> str:
    """37.7 → «37,7 %», 30 → «30 %»: a percentage keeps the decimals it was written with (1,956 %); «–» for none."""
    if value is None:
        return "–"
    if places is None:
        places = max(0, -value.as_tuple().exponent)
    return f"{value:.{places}f}".replace(".", ",") + " %"


def _origin_text(origin: int | None, state: FundState | None) -> str:
    if origin is None:
        return "ingen"
    if state is not None and origin == state.opening_origin:
        return f"{origin} (inngående fond {origin + 1})"
    return str(origin)


FIELDS: dict[str, str] = {
    "omrade": TEXT, "lovtype": TEXT, "hjemmel": TEXT, "underskudd_kan_fremfores": BOOL, "fremfort_underskudd": NUMBER,
    **dict.fromkeys(COST_TERMS, NUMBER), "andre_inntekter": NUMBER,
    "selvkost_beregnet": NUMBER, "selvkost_oppgitt": NUMBER, "selvkost": NUMBER, "selvkost_avvik": NUMBER, "ledd": NUMBER,
    "gebyrinntekter": NUMBER, "dekningsgrad": NUMBER, "dekningsgrad_pst": TEXT, "resultat": NUMBER,
    "avsetning": NUMBER, "bruk": NUMBER, "gebyr_etter_fond": NUMBER, "overdekning": NUMBER, "subsidiering": NUMBER,
    "selvkostfond_ib": NUMBER, "selvkostfond_ib_negativt": NUMBER, "fondsrenter": NUMBER, "selvkostfond_ub": NUMBER, "selvkostfond_ub_beregnet": NUMBER,
    "fond_avvik": NUMBER, "selvkostfond_ub_i_fjor": NUMBER, "ib_avvik": NUMBER,
    "kalkylerente": NUMBER, "kalkylerente_pst": TEXT, "kalkylerente_publisert": NUMBER,
    "kalkylerente_publisert_pst": TEXT, "kalkylerente_avvik": NUMBER, "kalkylerente_kilde": TEXT,
    "rente_brukt_pst": TEXT, "gjennomsnittlig_fond": NUMBER, "fondsrenter_beregnet": NUMBER, "fondsrenter_avvik": NUMBER,
    "ikke_tillatte_kostnader": NUMBER,
    "gebyrendring": NUMBER, "gebyrendring_pst": TEXT, "kommunal_deflator": NUMBER, "deflator_pst": TEXT,
    "alder_eldste_overskudd": NUMBER, "eldste_overskudd": NUMBER, "eldste_overskudd_fra": TEXT,
    "frist_overskudd": TEXT,
    "alder_eldste_underskudd": NUMBER, "eldste_underskudd": NUMBER, "eldste_underskudd_fra": TEXT,
    "frist_underskudd": TEXT,
}


# What a reader is told is missing when a rule cannot be judged (and what `explain` shows): the line in
# selvkost.csv, or what a computed field is made of.
_INPUT_FIELDS = {name: name for name in (*COST_TERMS, "andre_inntekter", "gebyrinntekter", "avsetning", "bruk",
                                         "kalkylerente", "gebyrendring")} | {
    "selvkost_oppgitt": "selvkost", "selvkostfond_ib": "fond_ib", "selvkostfond_ib_negativt": "fond_ib_negativt",
    "fondsrenter": "fond_renter", "selvkostfond_ub": "fond_ub"}
_TRACKING = ("sporingen av selvkostfondet («Selvkostfond IB» i områdets første år, og hvert år «Avsetning til "
             "selvkostfond», «Bruk av selvkostfond» og «Renter selvkostfond», eller «Selvkostfond UB»)")
FIELD_LABELS.update({field: f"«{SELVKOST.by_key[key].label}» ({STEM}.csv)" for field, key in _INPUT_FIELDS.items()})
FIELD_LABELS.update({
    "selvkost_beregnet": "beregnet selvkost",
    "selvkost": f"selvkost («Selvkost», eller kostnadslinjene og «Andre driftsinntekter», i {STEM}.csv)",
    "selvkost_avvik": "oppgitt minus beregnet selvkost",
    "dekningsgrad": "dekningsgrad (gebyrinntekter ÷ selvkost)",
    "resultat": "gebyrinntekter minus selvkost",
    "gebyr_etter_fond": "gebyrinntekter etter fondsbevegelser",
    "overdekning": "overdekning",
    "subsidiering": "subsidiering",
    "selvkostfond_ub_beregnet": "beregnet selvkostfond UB",
    "fond_avvik": "oppgitt minus beregnet selvkostfond UB",
    "selvkostfond_ub_i_fjor": f"«Selvkostfond UB» året før ({STEM}.csv)",
    "ib_avvik": "selvkostfond IB minus UB året før",
    "kalkylerente_avvik": "kalkylerenten minus den publiserte",
    "gjennomsnittlig_fond": "gjennomsnittlig selvkostfond (IB og UB før renter)",
    "fondsrenter_beregnet": "beregnede renter på selvkostfondet",
    "fondsrenter_avvik": "oppgitte minus beregnede renter på selvkostfondet",
    "ikke_tillatte_kostnader": f"herav-linjene for administrativ ledelse, folkevalgte organer og eierorganer ({STEM}.csv)",
    "kommunal_deflator": "«Kommunal deflator (%)» (nokkeltall.csv)",
    "alder_eldste_overskudd": _TRACKING, "eldste_overskudd": "eldste overskudd i selvkostfondet",
    "fremfort_underskudd": f"underskudd i selvkostfondet ved utgangen av året («Selvkostfond UB», eller {_TRACKING})",
    "alder_eldste_underskudd": _TRACKING, "eldste_underskudd": "eldste underskudd i selvkostfondet",
})


def _age_fields(kind: str, sign: int, year: int, state: FundState | None) -> dict[str, Any]:
    if state is None:
        return {f"alder_eldste_{kind}": None, f"eldste_{kind}": None, f"eldste_{kind}_fra": "–", f"frist_{kind}": "–"}
    oldest = state.oldest(sign)
    origin, amount = oldest if oldest else (None, Decimal(0))
    return {f"alder_eldste_{kind}": (year - origin) if origin is not None else 0,
            f"eldste_{kind}": abs(amount),
            f"eldste_{kind}_fra": _origin_text(origin, state),
            f"frist_{kind}": str(origin + RETURN_WITHIN) if origin is not None else "–"}


def _carried_deficit(ub: Decimal | None, computed: Decimal | None, state: FundState | None) -> Decimal | None:
    """The deficit the fund carries forward at the end of the year (a negative fund, as a positive amount): the
    stated UB, else the rolled one, else the tracked balance; 0 for a surplus."""
    balance = ub if ub is not None else computed if computed is not None else (state.balance if state else None)
    return None if balance is None else max(-balance, Decimal(0))


def area_year(f: Facts, area: Area, year: int, state: FundState | None) -> dict[str, Any]:
    """Every figure the selvkost rules and the report use for one område in one year (None: not given)."""
    v = lambda key: area.value(key, year)  # noqa: E731 - a short local reader
    typed = area_type(area.name)
    kostnader = _add(*(v(k) for k in COST_TERMS))
    beregnet = _sub(kostnader, v("andre_inntekter"))
    oppgitt = v("selvkost")
    selvkost = oppgitt if oppgitt is not None else beregnet
    gebyr, avsetning, bruk = v("gebyrinntekter"), v("avsetning"), v("bruk")
    etter_fond = None if None in (gebyr, avsetning, bruk) else gebyr - avsetning + bruk
    ib, renter, ub = v("fond_ib"), v("fond_renter"), v("fond_ub")
    ub_beregnet = None if None in (ib, avsetning, bruk, renter) else ib + avsetning - bruk + renter
    earlier = [y for y in f.years if y < year]
    ub_i_fjor = area.value("fond_ub", earlier[-1]) if earlier else None
    published = f.get("kalkylerente_publisert", year)
    used = v("kalkylerente")
    rate = used if used is not None else published
    average = None if None in (ib, avsetning, bruk) else (ib + (ib + avsetning - bruk)) / 2
    expected_interest = None if average is None or rate is None else rate / 100 * average
    herav = [v(k) for k in NOT_IN_COST_BASE if v(k) is not None]
    deflator = f.get("nt_kommunal_deflator", year)
    deflator = None if deflator is None else Decimal(str(deflator))
    dekningsgrad = None if gebyr is None or not selvkost else (gebyr / selvkost * 100).quantize(Decimal("0.1"))
    rates = published_rates()
    return {
        "omrade": area.name, "lovtype": typed[1].type if typed else "ukjent",
        "hjemmel": typed[1].hjemmel_for(year) if typed else "–",
        "underskudd_kan_fremfores": typed[1].underskudd_kan_fremfores if typed else True,
        "fremfort_underskudd": _carried_deficit(ub, ub_beregnet, state),
        **{k: v(k) for k in COST_TERMS}, "andre_inntekter": v("andre_inntekter"),
        "selvkost_beregnet": beregnet, "selvkost_oppgitt": oppgitt, "selvkost": selvkost,
        "selvkost_avvik": _sub(oppgitt, beregnet), "ledd": len(COST_TERMS) + 1,
        "gebyrinntekter": gebyr, "dekningsgrad": dekningsgrad, "dekningsgrad_pst": pct(dekningsgrad, 1),
        "resultat": _sub(gebyr, selvkost),
        "avsetning": avsetning, "bruk": bruk, "gebyr_etter_fond": etter_fond,
        "overdekning": _sub(etter_fond, selvkost), "subsidiering": _sub(selvkost, etter_fond),
        "selvkostfond_ib": ib, "selvkostfond_ib_negativt": v("fond_ib_negativt"), "fondsrenter": renter, "selvkostfond_ub": ub, "selvkostfond_ub_beregnet": ub_beregnet,
        "fond_avvik": _sub(ub, ub_beregnet), "selvkostfond_ub_i_fjor": ub_i_fjor, "ib_avvik": _sub(ib, ub_i_fjor),
        "kalkylerente": used, "kalkylerente_pst": pct(used), "kalkylerente_publisert": published,
        "kalkylerente_publisert_pst": pct(published), "kalkylerente_avvik": _sub(used, published),
        "kalkylerente_kilde": rates[year].source if year in rates and rates[year].source else "–",
        "rente_brukt_pst": pct(rate), "gjennomsnittlig_fond": average,
        "fondsrenter_beregnet": expected_interest, "fondsrenter_avvik": _sub(renter, expected_interest),
        "ikke_tillatte_kostnader": sum(herav, Decimal(0)) if herav else None,
        "gebyrendring": v("gebyrendring"), "gebyrendring_pst": pct(v("gebyrendring")),
        "kommunal_deflator": deflator, "deflator_pst": pct(deflator),
        **_age_fields("overskudd", 1, year, state), **_age_fields("underskudd", -1, year, state),
    }


def _items(f: Facts) -> list[Item]:
    out = []
    for area in areas(f.budget):
        states = track_fund(area, f.years)
        for year in f.years:
            if area.has_data(year):
                out.append(Item(area.name, year, area_year(f, area, year, states.get(year)), stem=STEM, line=area.line))
    return out


@collection("selvkost_omrader", FIELDS,
            "Hvert selvkostområde (selvkost.csv) hvert år det har tall: selvkost, gebyrinntekter, selvkostfondet "
            "og fondets alder etter opprinnelsesår (først inn, først ut).",
            inputs=("table:selvkost", "kalkylerente_publisert", "nt_kommunal_deflator", "param:kalkylerente",
                    "param:selvkostomrader"))
def _all_area_years(f: Facts) -> list[Item]:
    return _items(f)


@collection("selvkost_tak", FIELDS, "Selvkostområdene der selvkost er et tak for gebyrinntektene (også områdene med "
            "full kostnadsdekning: der er selvkost både gulv og tak), hvert år.",
            inputs=("collection:selvkost_omrader",))
def _ceiling_area_years(f: Facts) -> list[Item]:
    return [i for i in f.items("selvkost_omrader") if i.values["lovtype"] in ("tak", "full")]


@collection("selvkost_full", FIELDS, "Selvkostområdene med krav om full kostnadsdekning, hvert år.",
            inputs=("collection:selvkost_omrader",))
def _full_cost_area_years(f: Facts) -> list[Item]:
    return [i for i in f.items("selvkost_omrader") if i.values["lovtype"] == "full"]


@collection("selvkost_uten_fremforing", FIELDS, "Selvkostområdene der et underskudd ikke kan fremføres til senere år "
            "(underskudd_kan_fremfores: false i rules/parameters/selvkostomrader.yaml), hvert år.",
            inputs=("collection:selvkost_omrader",))
def _no_carry_forward_area_years(f: Facts) -> list[Item]:
    """Only these områder are judged for a carried deficit: elsewhere carrying it forward is lawful, so the rule
    does not apply there at all (not «ikke vurdert»)."""
    return [i for i in f.items("selvkost_omrader") if i.values["underskudd_kan_fremfores"] is False]


@collection("selvkost_omradetyper", {"omrade": TEXT, "kjent": BOOL, "lovtype": TEXT, "lovtype_tekst": TEXT,
                                     "hjemmel": TEXT, "kjente_omrader": TEXT},
            "Hvert selvkostområde i selvkost.csv, med lovtypen fra rules/parameters/selvkostomrader.yaml.",
            inputs=("table:selvkost", "param:selvkostomrader"))
def _area_types(f: Facts) -> list[Item]:
    known = ", ".join(area_types())
    out = []
    for area in areas(f.budget):
        typed = area_type(area.name)
        out.append(Item(area.name, None, {
            "omrade": area.name, "kjent": typed is not None, "lovtype": typed[1].type if typed else "ukjent",
            "lovtype_tekst": TYPE_TEXT[typed[1].type] if typed else "ukjent",
            "hjemmel": typed[1].hjemmel_for(None) if typed else "–", "kjente_omrader": known}, stem=STEM, line=area.line))
    return out


@figure("kalkylerente_publisert", unit="%", label="publisert kalkylerente for året (rules/parameters/kalkylerente.yaml)",
        inputs=("param:kalkylerente",))
def kalkylerente_publisert(f: Facts, year: int) -> Decimal | None:
    """Selvkostforskriften § 5: for 2020-2025 the year's average 5-year swap rate + ½ percentage point; from 2026 the
    year's average 3-month NIBOR + 0,7 percentage point (FOR-2025-09-12-1858). As published (KBN), with its source;
    None for a year with no published value in rules/parameters/kalkylerente.yaml."""
    entry = published_rates().get(year)
    return entry.value if entry else None


# --- provider hooks: the rule pack and the report section ------------------------------------------------------------

def packs(budget: Budget, policy: str | None) -> list[str]:
    """The selvkost pack runs for a package with a selvkost table."""
    return [PACK] if budget.has(STEM) else []


def add_sections(result) -> None:
    if result.budget.has(STEM):
        result.sections["selvkost"] = SelvkostSection.build(result.facts)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


SECTION_FIELDS = ("selvkost", "gebyrinntekter", "dekningsgrad", "avsetning", "bruk", "selvkostfond_ub",
                  "alder_eldste_overskudd", "eldste_overskudd_fra", "alder_eldste_underskudd", "gebyrendring")


@dataclass
class SelvkostSection:
    """Per område and year: selvkost, fee income, dekningsgrad, the fund at year end and the age of its oldest
    surplus — what a reader needs to see whether the fees follow the costs."""

    areas: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def build(cls, facts: Facts) -> "SelvkostSection":
        by_area: dict[str, dict[str, Any]] = {}
        for item in facts.items("selvkost_omrader"):
            entry = by_area.setdefault(item.subject, {"område": item.subject, "lovtype": item.values["lovtype"],
                                                      "hjemmel": item.values["hjemmel"], "years": []})
            row = {"år": item.year, **{k: item.values[k] for k in SECTION_FIELDS}}
            if row["selvkostfond_ub"] is None and item.values["selvkostfond_ub_beregnet"] is not None:
                row["selvkostfond_ub"] = item.values["selvkostfond_ub_beregnet"]
            row["merknad"] = "IB negativ (beløp ikke oppgitt)" \
                if item.values["selvkostfond_ib_negativt"] == 1 and item.values["selvkostfond_ib"] is None else ""
            entry["years"].append(row)
        return cls(list(by_area.values()))

    def as_json(self) -> dict[str, Any]:
        return {"areas": [{**{k: v for k, v in a.items() if k != "years"},
                           "years": [{k: _json(v) for k, v in y.items()} for y in a["years"]]} for a in self.areas],
                "parameters": "rules/parameters/kalkylerente.yaml, rules/parameters/selvkostomrader.yaml"}

    def render_terminal(self, console, result) -> None:
        from rich.table import Table

        table = Table(title="Selvkost per område (1000 kr; fond positivt = overskudd til brukerne)", title_justify="left")
        for column in ("Område", "År", "Selvkost", "Gebyr-\ninntekter", "Deknings-\ngrad", "Fond UB",
                       "Eldste\noverskudd", "Gebyr-\nendring", "Merknad"):
            left = column in ("Område", "Merknad", "Eldste\noverskudd")
            table.add_column(column, justify="left" if left else "right", overflow="fold", no_wrap=not left)
        for area in self.areas:
            for i, y in enumerate(area["years"]):
                age = y["alder_eldste_overskudd"]
                oldest = "–" if age is None else ("ingen" if y["eldste_overskudd_fra"] == "ingen"
                                                  else f"{y['eldste_overskudd_fra']} ({age} år)")
                table.add_row(f"{area['område']} ({area['lovtype']})" if i == 0 else "", str(y["år"]),
                              format_amount(y["selvkost"]), format_amount(y["gebyrinntekter"]),
                              pct(y["dekningsgrad"], 1), format_amount(y["selvkostfond_ub"]), oldest,
                              pct(y["gebyrendring"]), y["merknad"])
        console.print(table)

