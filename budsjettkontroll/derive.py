"""Derived figures: every number a rule uses, computed in one place from the budget package.

Each statutory line becomes a fact named `<prefix>_<key>` (drift_netto_driftsresultat, inv_bruk_av_lan,
art_sum_driftsinntekter …): the printed value where the package gives it, else the value computed from its
parts. Other figures are functions registered with @figure; the docstring states the formula and is shown
by `budsjettkontroll explain`. A figure whose inputs are missing is None (absent, not zero).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .budget import Amount, Budget, Row, Table
from .catalogue import INVESTERING_DELER, TABLES, LineDef, TableDef
from .errors import InputError

NUMBER, TEXT, BOOL = "number", "text", "bool"
TABLE_ALL = "table:*"  # a figure that scans every table (graph node)
# Schedules in which an omitted input line means the kommune has none (0); elsewhere omitted is not given.
ZERO_WHEN_OMITTED = {"drift", "investering", "drift_art", "drift_fordeling"}


@dataclass(frozen=True)
class Figure:
    name: str
    compute: Callable[["Facts", int | None], Any]
    doc: str
    unit: str
    kind: str = NUMBER
    per_year: bool = True
    label: str = ""  # Norwegian name for reports and 'mangler …' messages
    inputs: tuple[str, ...] = ()  # the facts (lines, figures) it reads: the edges of the dependency graph
    locate: bool = True  # False: it spans several years, so a finding on it points at no one line (budsjett.toml)


@dataclass
class Item:
    """One member of a collection a rule iterates over (`for_each`): a sum line, an area, a fund …"""

    subject: str
    year: int | None
    values: dict[str, Any]
    stem: str | None = None
    line: int | None = None
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field → the facts it comes from (to name
    # what is missing: «avvik» is missing because a line of § 5-4 is)


FIGURES: dict[str, Figure] = {}
COLLECTIONS: dict[str, tuple[Callable[["Facts"], list[Item]], dict[str, str], str]] = {}
COLLECTION_INPUTS: dict[str, tuple[str, ...]] = {}  # the facts each collection reads (edges of the graph)
# The Norwegian name of a collection field that is not a figure, e.g. «Gebyrinntekter» (selvkost.csv): used in
# «mangler …» messages and by `explain`. The module that defines the collection registers its fields here.
FIELD_LABELS: dict[str, str] = {}


def figure(name: str, unit: str = "1000 kr", kind: str = NUMBER, per_year: bool = True, label: str = "",
           inputs: tuple[str, ...] = (), locate: bool = True):
    """Register a derived figure; its docstring is its definition, `inputs` the facts it reads (every one: a test
    records what each figure really reads and compares), `locate=False` for a figure over several years that a
    finding should not pin to one of its lines."""

    def register(fn: Callable[["Facts", int | None], Any]):
        FIGURES[name] = Figure(name, fn, (fn.__doc__ or "").strip(), unit, kind, per_year, label, tuple(inputs),
                               locate)
        return fn

    return register


def collection(name: str, fields: dict[str, str], doc: str, inputs: tuple[str, ...] = ()):
    """Register a collection of items (fields: name → kind) that a rule may evaluate one by one; `inputs` the
    facts it reads."""

    def register(fn: Callable[["Facts"], list[Item]]):
        COLLECTIONS[name] = (fn, fields, doc)
        COLLECTION_INPUTS[name] = tuple(inputs)
        return fn

    return register


_LINE_FACTS: dict[tuple[int, int], dict[str, tuple[TableDef, LineDef]]] = {}


def line_fact_names() -> dict[str, tuple[TableDef, LineDef]]:
    """Fact name → (table, line) for every statutory line; built once per catalogue (the engine asks per finding)."""
    key = (id(TABLES), len(TABLES))
    if key not in _LINE_FACTS:
        _LINE_FACTS.clear()
        _LINE_FACTS[key] = {f"{t.prefix}_{line.key}": (t, line) for t in TABLES.values() if t.area_column is None
                            for line in t.lines}  # a table in blocks (selvkost) has no one value per line and year
    return _LINE_FACTS[key]


def known_names() -> dict[str, str]:
    """Every fact name a rule may use, with its kind (for type-checking conditions at load time)."""
    names = {name: NUMBER for name in line_fact_names()}
    for name, (table, line) in line_fact_names().items():
        if line.is_sum:
            names[f"{name}_beregnet"] = NUMBER
    names.update({f.name: f.kind for f in FIGURES.values()})
    names["ar"] = NUMBER
    return names


class FigureError(Exception):
    """A figure raised an unexpected exception (a bug): every rule that reads it gets «intern feil», exit code 3."""

    def __init__(self, figure: str, year: int | None, cause: BaseException):
        self.figure, self.year, self.cause = figure, year, cause
        text = " ".join(str(cause).split())
        super().__init__(f"{type(cause).__name__}: {text}".rstrip(": ") + f" (i tallet «{figure}»"
                         + (f", {year})" if year is not None else ")"))


@dataclass(frozen=True)
class _Failed:
    error: FigureError


@dataclass
class SumLine:
    """A printed sum line next to the sum of its parts."""

    table: str
    key: str
    label: str
    line: int
    year: int
    printed: Amount
    computed: Amount | None  # None: a part is not given (a blank cell), so the sum cannot be checked
    terms: int
    fact: str = ""  # the line's fact name, e.g. drift_sum_disponeringer


class Facts:
    """All figures of one budget, per year, computed lazily and memoised."""

    def __init__(self, budget: Budget, tolerance_per_term: Decimal = Decimal(1)):
        self.budget = budget
        self.years = budget.meta.years.all
        self.tolerance_per_term = Decimal(tolerance_per_term)
        self._lines: dict[int, dict[str, Amount | None]] = {}
        self._computed: dict[int, dict[str, Amount | None]] = {}
        self._sum_lines: list[SumLine] = []
        self._cache: dict[tuple[str, int | None], Any] = {}
        for year in self.years:
            self._derive_lines(year)

    # --- the schedules ----------------------------------------------------------------------------
    def _derive_lines(self, year: int) -> None:
        values: dict[str, Amount | None] = {}
        computed: dict[str, Amount | None] = {}
        blank: set[str] = set()  # lines printed with a blank cell this year, and sums that need one of them
        for stem, tdef in TABLES.items():
            if tdef.area_column is not None:
                continue  # read block by block by its provider module (selvkost.py)
            table = self.budget.tables.get(stem)
            if table is not None and not any(r.values.get(year) is not None for r in table.rows):
                table = None  # no figure in this year's column (or a header-only file): the schedule says nothing
            for line in tdef.lines:
                name = f"{tdef.prefix}_{line.key}"
                row = table.row(line.key) if table else None
                printed = row.values.get(year) if row else None
                if line.is_sum:
                    calc = self._compute(table, tdef, line, year, values) if table else None
                    computed[name] = calc
                    values[name] = printed if printed is not None else calc
                    blank_part = calc is None and table is not None and self._blank_part(table, tdef, line, year, blank)
                    if blank_part:
                        blank.add(name)
                    if row is not None and printed is not None and (calc is not None or blank_part):
                        self._sum_lines.append(SumLine(stem, line.key, row.label, row.line, year, printed, calc,
                                                       self._term_count(table, tdef, line, computed), name))
                elif table is None:
                    values[name] = None
                elif row is None:
                    values[name] = 0 if stem in ZERO_WHEN_OMITTED and not line.required else None
                else:
                    values[name] = printed
                    if printed is None:
                        blank.add(name)  # the line is there, its cell is blank: «ikke oppgitt», never 0
        self._lines[year] = values
        self._computed[year] = computed

    def _blank_part(self, table: Table, tdef: TableDef, line: LineDef, year: int, blank: set[str]) -> bool:
        """Whether a sum cannot be computed because a part is printed with a blank cell (not because it is left out)."""
        if line.parts == ("*",):
            return any(r.values.get(year) is None for r in self._free_rows(table, tdef, line))
        return any(f"{tdef.prefix}_{key}" in blank for key, _ in line.terms())

    def _free_rows(self, table: Table, tdef: TableDef, line: LineDef) -> list[Row]:
        rows = [r for r in table.rows if r.key is None]
        if tdef.stem == "investering_fordeling":
            group = int(line.key[3]) if line.key.startswith("del") else None
            rows = [r for r in rows if r.group == group]
        return rows

    def _compute(self, table: Table, tdef: TableDef, line: LineDef, year: int,
                 values: dict[str, Amount | None]) -> Amount | None:
        if line.parts == ("*",):
            rows = self._free_rows(table, tdef, line)
            if not rows or any(r.values.get(year) is None for r in rows):
                return None
            return sum(r.values[year] for r in rows)
        if line.gross and not any(table.row(k) for k, _ in line.terms()):
            return None
        total: Amount = 0
        for key, sign in line.terms():
            value = values.get(f"{tdef.prefix}_{key}")
            if value is None:
                return None
            total += sign * value
        return total

    def _term_count(self, table: Table, tdef: TableDef, line: LineDef, computed: dict[str, Amount | None]) -> int:
        """How many terms a sum adds up: the tolerance for rounding grows with it."""
        if line.parts == ("*",):
            return len(self._free_rows(table, tdef, line))
        return sum(1 for key, _ in line.terms()
                   if table.row(key) is not None or computed.get(f"{tdef.prefix}_{key}") is not None)

    # --- access ---------------------------------------------------------------------------------------
    def get(self, name: str, year: int | None) -> Any:
        """The value of a fact in a year (None when it cannot be derived)."""
        if year is not None and name in self._lines.get(year, {}):
            return self._lines[year][name]
        if name.endswith("_beregnet") and year is not None:
            return self._computed.get(year, {}).get(name[: -len("_beregnet")])
        if name == "ar":
            return year
        fig = FIGURES.get(name)
        if fig is None:
            if name in line_fact_names() or name.endswith("_beregnet"):
                return None  # a line in a year the package does not have (or no year: a budget-wide question)
            raise KeyError(name)
        if fig.per_year and year is None:
            return None  # a yearly figure has no value for the budget as a whole: ask it for real years only
        key = (name, year if fig.per_year else None)
        if key not in self._cache:
            self._cache[key] = None  # guards against a figure that (wrongly) depends on itself
            try:
                self._cache[key] = fig.compute(self, year if fig.per_year else None)
            except InputError:
                del self._cache[key]
                raise  # bad input (a broken parameter file): exit 2, not a bug
            except Exception as exc:  # noqa: BLE001 - remembered, so every reader fails alike (never a silent None)
                self._cache[key] = _Failed(exc if isinstance(exc, FigureError) else FigureError(name, year, exc))
        value = self._cache[key]
        if type(value) is _Failed:
            raise value.error
        return value

    def sum_lines(self) -> list[SumLine]:
        return self._sum_lines

    def items(self, name: str) -> list[Item]:
        key = ("#collection:" + name, None)
        if key not in self._cache:
            self._cache[key] = COLLECTIONS[name][0](self)
        return self._cache[key]

    def kind(self, year: int) -> str:
        return self.budget.meta.years.kind(year)

    def table(self, stem: str) -> Table | None:
        return self.budget.tables.get(stem)


def add(*values: Amount | None) -> Amount | None:
    """Sum of amounts, None if any is missing."""
    if any(v is None for v in values):
        return None
    return sum(values)


# --- collections -------------------------------------------------------------------------------------------

@collection("sumlinjer", {"oppgitt": NUMBER, "beregnet": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Hver sumlinje som er oppgitt i §§ 5-4, 5-5 og 5-6 (og andre ledd), med summen av delene. Toleransen "
            "per ledd er regelens `tolerance` (eller --tolerance), ikke en del av elementet.", inputs=(TABLE_ALL,))
def _sum_line_items(f: Facts) -> list[Item]:
    items = []
    for s in f.sum_lines():
        if s.table in ("gjeld", "nokkeltall"):
            continue
        tdef = TABLES[s.table]
        items.append(Item(
            subject=f"{tdef.paragraph}: {s.label}", year=s.year, stem=s.table, line=s.line,
            values={"oppgitt": s.printed, "beregnet": s.computed, "ledd": s.terms,
                    "avvik": None if s.computed is None else s.printed - s.computed},
            sources={"beregnet": (f"{s.fact}_beregnet",), "avvik": (f"{s.fact}_beregnet",), "oppgitt": (s.fact,)},
        ))
    return items


# Pairs of lines that two schedules must agree on: (subject, left fact, right fact, relation)
CROSS_CHECKS_5_6 = [
    ("Avskrivninger (§ 5-6 mot § 5-4)", "art_avskrivninger", "drift_avskrivninger"),
    ("Avdrag på lån (§ 5-6 mot § 5-4)", "art_avdrag", "drift_avdrag"),
    ("Netto finansutgifter (§ 5-6 mot § 5-4)", "art_netto_finansutgifter", "drift_netto_finansutgifter"),
    ("Netto driftsresultat (§ 5-6 mot § 5-4)", "art_netto_driftsresultat", "drift_netto_driftsresultat"),
    ("Overføring til investering (§ 5-6 mot § 5-4)", "art_overforing_til_investering", "drift_overforing_til_investering"),
    ("Netto avsetninger til eller bruk av bundne driftsfond (§ 5-6 mot § 5-4)", "art_netto_bundne_driftsfond",
     "drift_netto_bundne_driftsfond"),
    ("Netto avsetninger til eller bruk av disposisjonsfond (§ 5-6 mot § 5-4)", "art_netto_disposisjonsfond",
     "drift_netto_disposisjonsfond"),
    ("Dekning av tidligere års merforbruk (§ 5-6 mot § 5-4)", "art_dekning_merforbruk", "drift_dekning_merforbruk"),
    ("Sum disponeringer (§ 5-6 mot § 5-4)", "art_sum_disponeringer", "drift_sum_disponeringer"),
    ("Fremført til inndekning (§ 5-6 mot § 5-4)", "art_fremfort_merforbruk", "drift_fremfort_merforbruk"),
]
CROSS_CHECKS_5_5 = [
    (f"Del {n}: {TABLES['investering'].by_key[key].label} (§ 5-5 andre ledd mot første ledd)", f"invf_del{n}_sum",
     f"inv_{key}") for n, key in INVESTERING_DELER.items()
]


def _pairs(f: Facts, pairs: list[tuple[str, str, str]], needs: str, stem: str, line_of: Callable[[str], int | None]) -> list[Item]:
    if not f.table(needs):
        return []
    items = []
    for year in f.years:
        for subject, left, right in pairs:
            items.append(Item(subject, year, {"venstre": f.get(left, year), "hoyre": f.get(right, year),
                                              "avvik": add(f.get(left, year), -(f.get(right, year) or 0))
                                              if f.get(right, year) is not None else None},
                              stem=stem, line=line_of(left),
                              sources={"venstre": (left,), "hoyre": (right,), "avvik": (left, right)}))
    return items


def _line_of(f: Facts, stem: str) -> Callable[[str], int | None]:
    def find(fact: str) -> int | None:
        table = f.table(stem)
        key = fact.split("_", 1)[1]
        row = table.row(key) if table else None
        return row.line if row else None

    return find


@collection("avstemming_5_6", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER},
            "Linjer som økonomisk oversikt etter art (§ 5-6) og bevilgningsoversikten drift (§ 5-4) begge har.",
            inputs=("table:drift_art", *(name for _, *pair in CROSS_CHECKS_5_6 for name in pair)))
def _cross_5_6(f: Facts) -> list[Item]:
    return _pairs(f, CROSS_CHECKS_5_6, "drift_art", "drift_art", _line_of(f, "drift_art"))


@collection("avstemming_5_5", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER},
            "Summen av hver del av § 5-5 andre ledd mot den tilsvarende linjen i § 5-5 første ledd.",
            inputs=("table:investering_fordeling", *(name for _, *pair in CROSS_CHECKS_5_5 for name in pair)))
def _cross_5_5(f: Facts) -> list[Item]:
    items = _pairs(f, CROSS_CHECKS_5_5, "investering_fordeling", "investering_fordeling", _line_of(f, "investering_fordeling"))
    table = f.table("investering_fordeling")
    for item, (_, left, _right) in zip(items, CROSS_CHECKS_5_5 * len(f.years)):
        part = int(left[len("invf_del")])
        # A part with no projects and no printed sum is a part of 0, which første ledd must then show too.
        if item.values["venstre"] is None and table is not None and table.row(f"del{part}_sum") is None \
                and not any(r.key is None and r.group == part for r in table.rows) and item.values["hoyre"] is not None:
            item.values.update(venstre=0, avvik=-item.values["hoyre"])
    return items


# --- statutory figures ---------------------------------------------------------------------------------------

@figure("minimumsavdrag", label="minimumsavdrag (avskrivninger × lånegjeld ÷ avskrivbare anleggsmidler)", inputs=("drift_avskrivninger", "lanegjeld_grunnlag", "anleggsmidler_grunnlag"))
def minimumsavdrag(f: Facts, year: int) -> Amount | None:
    """Kommuneloven § 14-18: avskrivninger × lånegjeld ÷ bokført verdi av avskrivbare anleggsmidler.

    Lånegjeld excludes loans for videreutlån (startlån). Lånegjeld and anleggsmidler are taken at the package's
    balance date (minimumsavdrag.balance_date): 31.12 of the year (UB of the year), or 1.1 (UB of the year before).
    Rounded to whole 1000 kr.
    """
    avskrivninger = f.get("drift_avskrivninger", year)
    lanegjeld = f.get("lanegjeld_grunnlag", year)
    anleggsmidler = f.get("anleggsmidler_grunnlag", year)
    if None in (avskrivninger, lanegjeld, anleggsmidler) or not anleggsmidler:
        return None
    return int((Decimal(avskrivninger) * Decimal(lanegjeld) / Decimal(anleggsmidler)).to_integral_value())


@figure("avdrag_under_minimum", label="minimumsavdrag minus budsjetterte avdrag", inputs=("minimumsavdrag", "drift_avdrag"))
def avdrag_under_minimum(f: Facts, year: int) -> Amount | None:
    """Minimumsavdrag − avdrag på lån (§ 5-4): how much the budgeted avdrag fall short (negative: above it)."""
    return add(f.get("minimumsavdrag", year), -(f.get("drift_avdrag", year) or 0)) \
        if f.get("drift_avdrag", year) is not None else None


def _at_balance_date(f: Facts, fact: str, year: int) -> Amount | None:
    at = year if f.budget.meta.minimumsavdrag.balance_date == "31.12" else year - 1
    return f.get(fact, at) if at in f.years else None


@figure("lanegjeld_grunnlag", label="lånegjeld ekskl. videreutlån på balansedatoen (nokkeltall.csv eller gjeld.csv)", inputs=("nt_lanegjeld_ekskl_videreutlan", "gjeld_investeringslan", "meta:minimumsavdrag"))
def lanegjeld_grunnlag(f: Facts, year: int) -> Amount | None:
    """Lånegjeld ekskl. videreutlån at the balance date of the minimumsavdrag (nøkkeltall, else gjeld.csv)."""
    value = _at_balance_date(f, "nt_lanegjeld_ekskl_videreutlan", year)
    return value if value is not None else _at_balance_date(f, "gjeld_investeringslan", year)


@figure("anleggsmidler_grunnlag", label="bokført verdi avskrivbare anleggsmidler på balansedatoen (linjen «Bokført "
        "verdi avskrivbare anleggsmidler» i nokkeltall.csv)", inputs=("nt_bokfort_verdi_anleggsmidler", "meta:minimumsavdrag"))
def anleggsmidler_grunnlag(f: Facts, year: int) -> Amount | None:
    """Bokført verdi av avskrivbare anleggsmidler at the balance date of the minimumsavdrag."""
    return _at_balance_date(f, "nt_bokfort_verdi_anleggsmidler", year)


@figure("balansedato", unit="", kind=TEXT, inputs=("meta:minimumsavdrag",))
def balansedato(f: Facts, year: int) -> str:
    """The balance date the package uses for the minimumsavdrag (1.1 or 31.12)."""
    return f.budget.meta.minimumsavdrag.balance_date


@figure("lanefinansierbare_investeringer", inputs=("inv_varige_driftsmidler", "inv_tilskudd_andres_investeringer", "inv_aksjer_andeler"))
def lanefinansierbare_investeringer(f: Facts, year: int) -> Amount | None:
    """Kommuneloven §§ 14-15, 14-16: investeringer i varige driftsmidler + tilskudd til andres investeringer
    + investeringer i aksjer og andeler (§ 5-5 lines 1-3)."""
    return add(f.get("inv_varige_driftsmidler", year), f.get("inv_tilskudd_andres_investeringer", year),
               f.get("inv_aksjer_andeler", year))


@figure("lanebehov_etter_egne_inntekter", inputs=("lanefinansierbare_investeringer", "inv_momskompensasjon", "inv_tilskudd_fra_andre", "inv_salg_varige_driftsmidler"))
def lanebehov_etter_egne_inntekter(f: Facts, year: int) -> Amount | None:
    """Lånefinansierbare investeringer less momskompensasjon, tilskudd fra andre and salg av varige
    driftsmidler (incomes are negative, so they are added)."""
    return add(f.get("lanefinansierbare_investeringer", year), f.get("inv_momskompensasjon", year),
               f.get("inv_tilskudd_fra_andre", year), f.get("inv_salg_varige_driftsmidler", year))


@figure("bruk_av_lan", inputs=("inv_bruk_av_lan",))
def bruk_av_lan(f: Facts, year: int) -> Amount | None:
    """Bruk av lån (§ 5-5 line 13) as a positive amount: the loans the budget takes up for its own investments."""
    value = f.get("inv_bruk_av_lan", year)
    return None if value is None else -value


@figure("videreutlan_udekket", inputs=("inv_videreutlan", "inv_bruk_lan_videreutlan"))
def videreutlan_udekket(f: Facts, year: int) -> Amount | None:
    """Videreutlån + bruk av lån til videreutlån (0 when every videreutlån is loan-financed)."""
    return add(f.get("inv_videreutlan", year), f.get("inv_bruk_lan_videreutlan", year))


@figure("videreutlan_avdrag_avvik", inputs=("inv_avdrag_lan_videreutlan", "inv_mottatte_avdrag_videreutlan"))
def videreutlan_avdrag_avvik(f: Facts, year: int) -> Amount | None:
    """Avdrag på lån til videreutlån + mottatte avdrag på videreutlån (0 when they match)."""
    return add(f.get("inv_avdrag_lan_videreutlan", year), f.get("inv_mottatte_avdrag_videreutlan", year))


_UNSPECIFIED = re.compile(
    r"(uspesifi|ufordelt|uidentifi|ikke\s+(konkretis|identifis|spesifis|fordelt)|ikkje\s+(konkretis|identifis)"
    r"|ikke\s+realiserte\s+tiltak|innsparingskrav\s+ikke)", re.I)
# A saving by its name; without one, only a reduction (a negative amount) reads as a saving: "Ufordelt
# lønnsreserve" is a lawful unallocated cost, "Ufordelt" with a minus is an unallocated cut.
_SAVING = re.compile(r"(innsparing|kutt|nedtrekk|effektivis|tiltak|reduksjon|besparel|omstilling|sparekrav)", re.I)


def _unspecified_rows(f: Facts, year: int) -> list[tuple[Table, Row]]:
    hits = []
    for table in f.budget.tables.values():
        if table.stem in ("gjeld", "nokkeltall"):
            continue
        for row in table.rows:
            amount = row.values.get(year) or 0
            if amount != 0 and _UNSPECIFIED.search(row.label) and (amount < 0 or _SAVING.search(row.label)):
                hits.append((table, row))
    return hits


@figure("uspesifiserte_innsparinger", unit="linjer", inputs=(TABLE_ALL,))
def uspesifiserte_innsparinger(f: Facts, year: int) -> int:
    """Number of lines with an amount this year whose label reads as uspesifisert/ufordelt innsparing or
    ikke konkretiserte/identifiserte tiltak (kommuneloven § 14-4 tredje ledd; KDD 14.2.2022). A line called
    only «ufordelt»/«uspesifisert» counts when its amount is a reduction (negative: less cost, more income)."""
    return len(_unspecified_rows(f, year))


@figure("uspesifiserte_linjer", unit="", kind=TEXT, inputs=(TABLE_ALL,))
def uspesifiserte_linjer(f: Facts, year: int) -> str:
    """The labels of those lines, with their file and line number."""
    return "; ".join(_where(table, row) for table, row in _unspecified_rows(f, year)) or "ingen"


def _where(table: Table, row: Row) -> str:
    """«label» (file line N); a line added by an amendment has no line number."""
    return f"«{row.label}» ({table.stem}.csv" + (f" linje {row.line})" if row.line else ")")


_LOAN = re.compile(r"(bruk\s+av\s+l[åa]n|l[åa]neopptak|l[åa]nemidler|opptak\s+av\s+l[åa]n)", re.I)


def _loan_rows_in_operations(f: Facts, year: int) -> list[tuple[Table, Row]]:
    hits = []
    for stem in ("drift", "drift_fordeling", "drift_art"):
        table = f.table(stem)
        for row in table.rows if table else []:
            if _LOAN.search(row.label) and (row.values.get(year) or 0) != 0:
                hits.append((table, row))
    return hits


@figure("laneinntekter_i_drift", inputs=("table:drift", "table:drift_fordeling", "table:drift_art"))
def laneinntekter_i_drift(f: Facts, year: int) -> Amount:
    """Sum of the amounts on lines of § 5-4 or § 5-6 whose label reads as bruk av lån or låneopptak
    (kommuneloven §§ 14-14 to 14-17 allow loans only for investments; the drift schedules have no such line)."""
    return sum(row.values[year] for _, row in _loan_rows_in_operations(f, year))


@figure("lanelinjer_i_drift", unit="", kind=TEXT, inputs=("table:drift", "table:drift_fordeling", "table:drift_art"))
def lanelinjer_i_drift(f: Facts, year: int) -> str:
    """The labels of those lines, with file and line number."""
    return "; ".join(_where(table, row) for table, row in _loan_rows_in_operations(f, year)) or "ingen"


@figure("regnskap_fremfort_merforbruk", label="«Fremført til inndekning i senere år (merforbruk)» i regnskapet (§ 5-4 eller § 5-6)",
        inputs=("drift_fremfort_merforbruk", "art_fremfort_merforbruk"))
def regnskap_fremfort_merforbruk(f: Facts, year: int) -> Amount | None:
    """The accounts' result after disposals: § 5-4 «Fremført til inndekning i senere år (merforbruk)», else the
    same line of § 5-6 (an årsregnskap may print only the økonomisk oversikt). Positive: merforbruk; negative:
    an udisponert mindreforbruk."""
    value = f.get("drift_fremfort_merforbruk", year)
    return value if value is not None else f.get("art_fremfort_merforbruk", year)


@figure("inndekningsfrist", unit="år", inputs=("ar",))
def inndekningsfrist(f: Facts, year: int) -> int:
    """Kommuneloven § 14-11: a merforbruk in the accounts of `year` must be covered by the end of `year` + 2."""
    return year + 2


@figure("aret_etter", unit="år", inputs=("ar",))
def aret_etter(f: Facts, year: int) -> int:
    """The year after `year`: the årsbudsjett that shall first cover a merforbruk from the accounts."""
    return year + 1


@figure("budsjettkolonner", unit="", kind=TEXT, per_year=False, inputs=("meta:years",))
def budsjettkolonner(f: Facts, year: None) -> str:
    """The package's year columns as printed («Revidert budsjett 2020»), for rules that say which columns they judged."""
    columns = getattr(f.budget, "columns", None) or {}
    return ", ".join(columns[y].label if y in columns else str(y) for y in f.years) or "ingen"


@figure("forste_budsjettar", unit="år", per_year=False, inputs=("meta:years",))
def forste_budsjettar(f: Facts, year: None) -> int | None:
    """The first plan year (the årsbudsjett); without plan years the first year of the columns."""
    return (f.budget.meta.plan_years or f.years or [None])[0]


@figure("merforbruk_oppstatt", inputs=("nt_merforbruk_regnskap", "drift_fremfort_merforbruk"))
def merforbruk_oppstatt(f: Facts, year: int) -> Amount | None:
    """Merforbruk that arose in the accounts of `year`: nøkkeltall «Merforbruk i regnskapet», else the
    regnskap column of § 5-4 «Fremført til inndekning i senere år (merforbruk)». None for a year without accounts."""
    stated = f.get("nt_merforbruk_regnskap", year) if year in f.years else None
    if stated is not None:
        return stated
    if year in f.years and f.kind(year) == "regnskap":
        value = f.get("drift_fremfort_merforbruk", year)
        return None if value is None else max(value, 0)
    return None


@figure("merforbruk_med_frist", label="merforbruk i regnskapet to år før (regnskapskolonne i drift.csv eller «Merforbruk i regnskapet» i nokkeltall.csv)", inputs=("merforbruk_oppstatt",))
def merforbruk_med_frist(f: Facts, year: int) -> Amount | None:
    """Kommuneloven § 14-11: the merforbruk that arose two years before `year`, which must be covered by the
    end of `year` at the latest."""
    return f.get("merforbruk_oppstatt", year - 2)


@figure("dekket_innen_frist", inputs=("drift_dekning_merforbruk",), locate=False)
def dekket_innen_frist(f: Facts, year: int) -> Amount | None:
    """Dekning av tidligere års merforbruk (§ 5-4 line 21) in the year after the merforbruk arose and in `year`."""
    values = [f.get("drift_dekning_merforbruk", y) for y in (year - 1, year) if y in f.years]
    return add(*values) if values else None


@figure("antall_planar", unit="år", per_year=False, inputs=("meta:years",))
def antall_planar(f: Facts, year: None) -> int:
    """Number of økonomiplan years declared in budsjett.toml (the first is the årsbudsjett)."""
    return len(f.budget.meta.plan_years)


@figure("planar_sammenhengende", unit="", kind=BOOL, per_year=False, inputs=("meta:years",))
def planar_sammenhengende(f: Facts, year: None) -> bool:
    """True when the plan years follow each other with no gap, starting with the årsbudsjett year."""
    plan = f.budget.meta.plan_years
    return bool(plan) and plan == list(range(plan[0], plan[0] + len(plan)))


@figure("forste_planar", unit="år", per_year=False, inputs=("meta:years",))
def forste_planar(f: Facts, year: None) -> int | None:
    """The first plan year: the årsbudsjett (None for an årsregnskap)."""
    return f.budget.meta.plan_years[0] if f.budget.meta.plan_years else None


@figure("robek_a", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "drift_fremfort_merforbruk", "uspesifiserte_innsparinger"))
def robek_a(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav a: the årsbudsjett (first plan year) shows merforbruk or uspesifisert innsparing."""
    if not f.budget.meta.plan_years:
        return None
    first = f.budget.meta.plan_years[0]
    value = f.get("drift_fremfort_merforbruk", first)
    if value is None:
        return None
    return value > 0 or f.get("uspesifiserte_innsparinger", first) > 0


@figure("robek_b", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "drift_fremfort_merforbruk", "uspesifiserte_innsparinger"))
def robek_b(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav b: some økonomiplan year shows merforbruk or uspesifisert innsparing."""
    values = [f.get("drift_fremfort_merforbruk", y) for y in f.budget.meta.plan_years]
    if any(v is None for v in values):
        return None
    return any(v > 0 for v in values) or any(f.get("uspesifiserte_innsparinger", y) > 0 for y in f.budget.meta.plan_years)


@figure("robek_c", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "merforbruk_med_frist", "dekket_innen_frist"))
def robek_c(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav c: a merforbruk is planned covered over more than two years after it arose."""
    outcomes = []
    for y in f.budget.meta.plan_years:
        due, covered = f.get("merforbruk_med_frist", y), f.get("dekket_innen_frist", y)
        if due is not None and covered is not None:
            outcomes.append(covered < due)
    return any(outcomes) if outcomes else None


ROBEK_CRITERIA = {
    "a": "årsbudsjettet er vedtatt med merforbruk i driften",
    "b": "økonomiplanen har merforbruk i driftsdelen",
    "c": "et merforbruk dekkes inn over mer enn to år etter at det oppstod",
}


@figure("robek_kriterier", unit="", kind=TEXT, per_year=False, inputs=("robek_a", "robek_b", "robek_c"))
def robek_kriterier(f: Facts, year: None) -> str:
    """The § 28-1 letters the budget would meet, each with its meaning, e.g. «a (årsbudsjettet …), b (…)»;
    «ingen» when none."""
    met = [f"{letter} ({text})" for letter, text in ROBEK_CRITERIA.items() if f.get(f"robek_{letter}", None)]
    return ", ".join(met) or "ingen"


@figure("merforbruk_fra_ar", unit="år", inputs=("ar",))
def merforbruk_fra_ar(f: Facts, year: int) -> int:
    """The year whose merforbruk must be covered by the end of `year` (kommuneloven § 14-11): `year` − 2."""
    return year - 2


def load_plugins() -> None:
    """Figures of the other rule packs live in their own modules and register themselves on import."""
    import importlib

    for module in ("keyfigures", "selvkost"):
        try:
            importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise




def location_of(facts: "Facts", names: list[str]) -> tuple[str | None, int | None]:
    """The file and line of the first schedule line among `names` that the package has; else budsjett.toml."""
    where = line_fact_names()
    for name in names:
        if name in where:
            table_def, line_def = where[name]
            table = facts.table(table_def.stem)
            row = table.row(line_def.key) if table else None
            if row is not None:
                return str(facts.budget.files.get(table_def.stem, table.file)), row.line
    meta = facts.budget.files.get("budsjett")
    return (str(meta) if meta else None), None


def describe(name: str) -> str:
    """A fact's name as a reader knows it: the schedule line and file, or the figure's Norwegian label."""
    lines = line_fact_names()
    if name in lines:
        table, line = lines[name]
        return f"«{line.label}» ({table.stem}.csv)"
    kind, _, rest = name.partition(":")
    if rest and kind in ("table", "rows") and rest in TABLES:
        return f"{rest}.csv ({TABLES[rest].paragraph})"
    if rest and kind == "meta":
        return f"[{rest}] i budsjett.toml" if rest != "years" else "[years] i budsjett.toml"
    if rest and kind == "param":
        return f"rules/parameters/{rest}.yaml"
    fig = FIGURES.get(name)
    if fig and fig.label:
        return f"{fig.label}"
    return FIELD_LABELS.get(name, name)


load_plugins()  # last: the plugin modules import names defined above
