"""Derived figures: every number a rule uses, computed in one place from the budget package.

Each statutory line becomes a fact named `<prefix>_<key>` (drift_netto_driftsresultat, inv_bruk_av_lan,
art_sum_driftsinntekter …): the printed value where the package gives it, else the value computed from its
parts. Other figures are functions registered with @figure; the docstring states the formula and is shown
by `budsjettkontroll explain`. A figure whose inputs are missing is None (absent, not zero).
"""

from __future__ import annotations

import functools
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
ZERO_WHEN_OMITTED = {"drift", "investering", "drift_art", "drift_fordeling",
                     *(stem for stem, t in TABLES.items() if t.accounts_only)}  # årsavslutning (§ 5-9) too


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


_ABSENT = object()  # Facts.get: no value remembered yet (None is a remembered value)

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


_NAMED: dict[int, tuple[TableDef, int, int, Any]] = {}


def _named_lines(tdef: TableDef) -> tuple[list[tuple[LineDef, str]], list[str], list[str]]:
    """A schedule's lines with their fact names, the names, and the sum lines' names: made once per table
    definition (Facts derives every schedule for every year, and a budget of several schedules has few)."""
    found = _NAMED.get(id(tdef))
    if found is None or found[0] is not tdef or found[1] != id(tdef.lines) or found[2] != len(tdef.lines):
        named = [(line, f"{tdef.prefix}_{line.key}") for line in tdef.lines]
        found = _NAMED[id(tdef)] = (tdef, id(tdef.lines), len(tdef.lines),
                                    (named, [n for _, n in named], [n for line, n in named if line.is_sum]))
    return found[3]


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
        # line key → its first row, per table, while the lines are derived (Table.row walks the rows each time, and
        # the schedules ask for every line once per year and per sum it is a term of)
        self._rows: dict[str, dict[str, Row]] = {}
        for stem, table in budget.tables.items():
            index = self._rows[stem] = {}
            for row in table.rows:
                if row.key is not None:
                    index.setdefault(row.key, row)
        for year in self.years:
            self._derive_lines(year)
        del self._rows

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
            named, names, sums = _named_lines(tdef)
            if table is None:  # what the loop below gives without a table: every line None, the same order
                values.update(dict.fromkeys(names))
                computed.update(dict.fromkeys(sums))
                continue
            for line, name in named:
                row = self._rows[stem].get(line.key) if table else None
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
        if line.gross and not any(self._rows[tdef.stem].get(k) for k, _ in line.terms()):
            return None
        if line.when and not any(self._rows[tdef.stem].get(k) for k in line.when):
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
                   if self._rows[tdef.stem].get(key) is not None or computed.get(f"{tdef.prefix}_{key}") is not None)

    # --- access ---------------------------------------------------------------------------------------
    def get(self, name: str, year: int | None) -> Any:
        """The value of a fact in a year (None when it cannot be derived)."""
        if year is not None:
            lines = self._lines.get(year)
            if lines is not None and name in lines:
                return lines[name]
            if name.endswith("_beregnet"):
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
        value = self._cache.get(key, _ABSENT)
        if value is _ABSENT:
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


def table_facts(*stems: str) -> tuple[str, ...]:
    """Every line fact of the given schedules and the tables themselves: what a recomputation from the lines reads."""
    return tuple(name for stem in stems for name in (f"table:{stem}", *(f"{TABLES[stem].prefix}_{line.key}"
                                                                        for line in TABLES[stem].lines)))


# --- collections -------------------------------------------------------------------------------------------

@collection("sumlinjer", {"oppgitt": NUMBER, "beregnet": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Hver sumlinje som er oppgitt i §§ 5-4, 5-5 og 5-6 (og andre ledd), med summen av delene. Toleransen "
            "per ledd er regelens `tolerance` (eller --tolerance), ikke en del av elementet.", inputs=(TABLE_ALL,))
def _sum_line_items(f: Facts) -> list[Item]:
    items = []
    for s in f.sum_lines():
        if s.table in ("gjeld", "nokkeltall") or TABLES[s.table].accounts_only:  # årsavslutning: arsregnskap.py
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
                                              if f.get(right, year) is not None else None,
                                              "ledd": comparison_terms(f, left, right, year)},
                              stem=stem, line=line_of(left),
                              sources={"venstre": (left,), "hoyre": (right,), "avvik": (left, right)}))
    return items


def _line_of(f: Facts, stem: str) -> Callable[[str], int | None]:
    lines: dict[str, int | None] = {}  # the same for every year: each line is looked for once

    def find(fact: str) -> int | None:
        if fact not in lines:
            table = f.table(stem)
            key = fact.split("_", 1)[1]
            row = table.row(key) if table else None
            lines[fact] = row.line if row else None
        return lines[fact]

    return find


@collection("avstemming_5_6", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Linjer som økonomisk oversikt etter art (§ 5-6) og bevilgningsoversikten drift (§ 5-4) begge har.",
            inputs=(*table_facts("drift_art", "drift"), *(name for _, *pair in CROSS_CHECKS_5_6 for name in pair)))
def _cross_5_6(f: Facts) -> list[Item]:
    return _pairs(f, CROSS_CHECKS_5_6, "drift_art", "drift_art", _line_of(f, "drift_art"))


@collection("avstemming_5_5", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Summen av hver del av § 5-5 andre ledd mot den tilsvarende linjen i § 5-5 første ledd.",
            inputs=(*table_facts("investering_fordeling", "investering"),
                    *(name for _, *pair in CROSS_CHECKS_5_5 for name in pair)))
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


# --- rounding: how many printed terms stand behind a figure ------------------------------------------------
# Printed schedules round every amount to whole 1000 kr, so a figure computed from n printed terms may differ from
# the true sum by up to n/2. Every comparison between printed figures allows the per-term tolerance (1 by default,
# --tolerance overrides) times the terms behind it; a difference within it is an info note, never an error.

def _line_def(fact: str) -> tuple[TableDef, LineDef] | None:
    return line_fact_names().get(fact)


def _printed(f: Facts, tdef: TableDef, key: str, year: int) -> Amount | None:
    table = f.table(tdef.stem)
    row = table.row(key) if table else None
    return row.values.get(year) if row is not None else None


def from_parts(f: Facts, fact: str, year: int) -> tuple[Amount | None, int]:
    """A line recomputed from the input lines of its schedule, ignoring every printed sum on the way (a misprinted
    sum cannot hide what the lines add up to), with the number of printed input terms it adds."""
    if type(f) is not Facts:  # a graph.Recorder must see every read: not memoised
        return _from_parts(f, fact, year)
    key = ("#from_parts", fact, year)  # memoised per Facts: the rounding rules ask for the same sums again and again
    if key not in f._cache:
        f._cache[key] = _from_parts(f, fact, year)
    return f._cache[key]


def _from_parts(f: Facts, fact: str, year: int) -> tuple[Amount | None, int]:
    where = _line_def(fact)
    if where is None or year not in f.years:
        return None, 0
    tdef, line = where
    table = f.table(tdef.stem)
    if table is None:
        return None, 0
    if not line.is_sum or (line.gross and not any(table.row(k) for k, _ in line.terms())) \
            or (line.when and not any(table.row(k) for k in line.when)):
        value = f.get(fact, year)
        return value, (1 if _printed(f, tdef, line.key, year) is not None else 0)
    if line.parts == ("*",):
        rows = f._free_rows(table, tdef, line)
        if any(r.values.get(year) is None for r in rows):
            return None, 0
        return sum((r.values[year] for r in rows), 0), len(rows)
    total, terms = 0, 0
    for key, sign in line.terms():
        value, n = from_parts(f, f"{tdef.prefix}_{key}", year)
        if value is None:
            return None, 0
        total, terms = total + sign * value, terms + n
    return total, terms


def terms_behind(f: Facts, fact: str, year: int) -> int:
    """1 for a printed line; for a sum the package leaves out, the printed input terms it is computed from."""
    where = _line_def(fact)
    if where is None:
        return 1
    tdef, line = where
    if _printed(f, tdef, line.key, year) is not None:
        return 1
    return from_parts(f, fact, year)[1] if line.is_sum else 0


def comparison_terms(f: Facts, left: str, right: str, year: int) -> int:
    """The terms a comparison of two figures allows rounding for: 1 when both are printed (each within ½), else the
    printed terms behind the computed side(s)."""
    return max(1, terms_behind(f, left, year) + terms_behind(f, right, year) - 1)


def _tolerance(f: Facts, terms: int) -> Decimal:
    return f.tolerance_per_term * terms


@figure("korrigert_sum_ledd", unit="ledd", label="leddene bak korrigert sum og «Sum bevilgninger drift, netto»",
        inputs=table_facts("drift_fordeling", "drift"))
def korrigert_sum_ledd(f: Facts, year: int) -> int:
    """Terms the comparison of korrigert sum (§ 5-4 andre ledd) with første ledd allows rounding for: 1 when both
    are printed, else the printed lines the left-out sum is computed from."""
    return comparison_terms(f, "fordeling_korrigert_sum", "drift_sum_bevilgninger", year)


@figure("korrigert_sum_avvik", label="korrigert sum (andre ledd) minus «Sum bevilgninger drift, netto» (første ledd)",
        inputs=("fordeling_korrigert_sum", "drift_sum_bevilgninger"))
def korrigert_sum_avvik(f: Facts, year: int) -> Amount | None:
    """Korrigert sum bevilgninger drift, netto (§ 5-4 andre ledd) − Sum bevilgninger drift, netto (første ledd)."""
    left, right = f.get("fordeling_korrigert_sum", year), f.get("drift_sum_bevilgninger", year)
    return None if left is None or right is None else left - right


def _balance_figures(prefix: str, line: str, what: str) -> None:
    fact = f"{prefix}_{line}"
    stem = line_fact_names()[fact][0].stem

    def parts(f: Facts, year: int) -> Amount | None:
        return from_parts(f, fact, year)[0]

    def parts_terms(f: Facts, year: int) -> int | None:
        value, terms = from_parts(f, fact, year)
        return None if value is None else terms

    def printed_terms(f: Facts, year: int) -> int | None:
        if f.get(fact, year) is None:
            return None
        where = _line_def(fact)
        return 0 if _printed(f, where[0], where[1].key, year) is not None else from_parts(f, fact, year)[1]

    parts.__doc__ = (f"«{what}» recomputed from the input lines of the schedule, ignoring every printed sum line "
                     "(a misprinted sum cannot hide a merforbruk or an udekket beløp).")
    parts_terms.__doc__ = "The printed input lines that recomputation adds: the rounding it allows is one unit each."
    printed_terms.__doc__ = ("0 when the package prints the balance line (a printed merforbruk is a stated one); "
                             "when it leaves the line out, the printed lines it is computed from.")
    figure(f"{fact}_fra_delene", label=f"«{what}» beregnet fra linjene", inputs=table_facts(stem))(parts)
    figure(f"{fact}_fra_delene_ledd", unit="ledd", label=f"linjene «{what}» beregnes av",
           inputs=table_facts(stem))(parts_terms)
    figure(f"{fact}_ledd", unit="ledd", label=f"leddene avrundingen gjelder for «{what}»",
           inputs=table_facts(stem))(printed_terms)


_balance_figures("drift", "fremfort_merforbruk", "Fremført til inndekning i senere år (merforbruk)")
_balance_figures("inv", "fremfort_udekket", "Fremført til inndekning i senere år (udekket beløp)")


@figure("drift_merforbruk", label="merforbruk i driften (utover avrundingen når linjen er beregnet)",
        inputs=("drift_fremfort_merforbruk", "drift_fremfort_merforbruk_ledd"))
def drift_merforbruk(f: Facts, year: int) -> Amount | None:
    """The merforbruk the operating budget shows: «Fremført til inndekning» as printed, or as computed from its parts
    when the package leaves it out, counted only beyond the rounding of the parts it is computed from; else 0.
    (What the input lines add up to without any printed sum is KL-14-10-drift-balanse-fra-linjene's warning.)"""
    value = f.get("drift_fremfort_merforbruk", year)
    if value is None:
        return None
    return value if value > f.tolerance_per_term * f.get("drift_fremfort_merforbruk_ledd", year) else 0


@collection("avrunding_avstemming", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Sammenligninger mellom trykte tall i ulike oversikter (korrigert sum mot første ledd, § 5-5 andre mot "
            "første ledd, § 5-6 mot § 5-4) og balanselinjene beregnet fra linjene, med leddene avrundingen gjelder.",
            inputs=(*table_facts("drift", "drift_fordeling", "investering"), "korrigert_sum_avvik", "korrigert_sum_ledd",
                    "collection:avstemming_5_5", "collection:avstemming_5_6"))
def _rounding_comparisons(f: Facts) -> list[Item]:
    items = []
    for year in f.years:
        if f.get("korrigert_sum_avvik", year) is not None:
            items.append(Item("Korrigert sum (§ 5-4 andre ledd mot første ledd)", year,
                              {"venstre": f.get("fordeling_korrigert_sum", year), "hoyre": f.get("drift_sum_bevilgninger", year),
                               "avvik": f.get("korrigert_sum_avvik", year), "ledd": f.get("korrigert_sum_ledd", year)},
                              stem="drift_fordeling", line=_line_of(f, "drift_fordeling")("fordeling_korrigert_sum")))
        for fact, label, stem in (("drift_fremfort_merforbruk", "Fremført til inndekning (merforbruk) beregnet fra "
                                   "linjene mot oppgitt (§ 5-4)", "drift"),
                                  ("inv_fremfort_udekket", "Fremført til inndekning (udekket beløp) beregnet fra "
                                   "linjene mot oppgitt (§ 5-5)", "investering")):
            value, terms = from_parts(f, fact, year)
            where = _line_def(fact)
            # against the printed line; when the package leaves it out, against 0 (a balanced budget)
            shown = _printed(f, where[0], where[1].key, year) if year in f.years else None
            shown = 0 if shown is None else shown
            if value is not None and terms:
                items.append(Item(label, year, {"venstre": value, "hoyre": shown, "avvik": value - shown, "ledd": terms},
                                  stem=stem, line=_line_of(f, stem)(fact)))
    items += [i for i in f.items("avstemming_5_5") + f.items("avstemming_5_6") if i.values["avvik"] is not None]
    return items


@collection("sumlinjer_bindende", {"oppgitt": NUMBER, "beregnet": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Sumlinjene i de bindende bevilgningsoversiktene (§ 5-4 og § 5-5, første og andre ledd).",
            inputs=("collection:sumlinjer",))
def _binding_sum_lines(f: Facts) -> list[Item]:
    return [i for i in f.items("sumlinjer") if i.stem != "drift_art"]


@collection("sumlinjer_5_6", {"oppgitt": NUMBER, "beregnet": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Sumlinjene i økonomisk oversikt etter art (§ 5-6), som er en oversikt og ikke en bindende bevilgning.",
            inputs=("collection:sumlinjer",))
def _overview_sum_lines(f: Facts) -> list[Item]:
    return [i for i in f.items("sumlinjer") if i.stem == "drift_art"]


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


_PENSION_EQUITY = re.compile(r"egenkapital", re.I)
_PENSION_FUND = re.compile(r"(klp|pensjon|landspensjon)", re.I)


@figure("egenkapitalinnskudd_pensjon", label="egenkapitalinnskudd i pensjonskasse (KLP) i § 5-5 andre ledd del 3",
        inputs=("table:investering_fordeling",))
def egenkapitalinnskudd_pensjon(f: Facts, year: int) -> Amount:
    """Sum of the projects in § 5-5 andre ledd del 3 (aksjer og andeler) whose label reads as an egenkapitalinnskudd
    in KLP or another pension fund («Egenkapitaltilskudd KLP»). Such an innskudd may not be lånefinansiert
    (kommuneloven § 14-15; KBN «Lovlig låneformål»). 0 when the package has no del 3 projects."""
    table = f.table("investering_fordeling")
    return sum((r.values.get(year) or 0 for r in (table.rows if table else [])
                if r.key is None and r.group == 3 and _PENSION_EQUITY.search(r.label) and _PENSION_FUND.search(r.label)), 0)


@figure("lanefinansierbare_investeringer", inputs=("inv_varige_driftsmidler", "inv_tilskudd_andres_investeringer",
                                                  "inv_aksjer_andeler", "egenkapitalinnskudd_pensjon"))
def lanefinansierbare_investeringer(f: Facts, year: int) -> Amount | None:
    """Kommuneloven §§ 14-15, 14-16: investeringer i varige driftsmidler + tilskudd til andres investeringer
    + investeringer i aksjer og andeler (§ 5-5 lines 1-3), less egenkapitalinnskudd in KLP or another pension fund
    (which may not be lånefinansiert). The most loans can lawfully finance; whether the tilskudd and aksjer qualify
    is for KL-14-16-lan-til-tilskudd-og-aksjer."""
    return add(f.get("inv_varige_driftsmidler", year), f.get("inv_tilskudd_andres_investeringer", year),
               f.get("inv_aksjer_andeler", year), -f.get("egenkapitalinnskudd_pensjon", year))


@figure("lan_utover_varige_driftsmidler", inputs=("bruk_av_lan", "inv_varige_driftsmidler"))
def lan_utover_varige_driftsmidler(f: Facts, year: int) -> Amount | None:
    """Bruk av lån − investeringer i varige driftsmidler: the loans that can only be lawful as financing of tilskudd
    til andres investeringer (kommuneloven § 14-16) or of aksjer (only in lawful cases)."""
    loans, fixed = f.get("bruk_av_lan", year), f.get("inv_varige_driftsmidler", year)
    return None if loans is None or fixed is None else loans - fixed


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


# --- minimumsavdrag against premises stated to a declared precision ---------------------------------------------

def _precision_of(f: Facts, fact_names: tuple[str, ...], year: int) -> Decimal:
    """Half the unit the first stated fact among `fact_names` is rounded to (budsjett.toml [precision] for its
    table), i.e. how far the true value may lie from the printed one; 0 when nothing is declared."""
    at = year if f.budget.meta.minimumsavdrag.balance_date == "31.12" else year - 1
    for name in fact_names:
        if at in f.years and f.get(name, at) is not None:
            stem = line_fact_names()[name][0].stem
            return Decimal(f.budget.meta.precision.get(stem, 0)) / 2
    return Decimal(0)


def _minimumsavdrag_bound(f: Facts, year: int, low: bool) -> Amount | None:
    avskrivninger = f.get("drift_avskrivninger", year)
    lanegjeld, anleggsmidler = f.get("lanegjeld_grunnlag", year), f.get("anleggsmidler_grunnlag", year)
    if None in (avskrivninger, lanegjeld, anleggsmidler) or not anleggsmidler:
        return None
    debt = _precision_of(f, ("nt_lanegjeld_ekskl_videreutlan", "gjeld_investeringslan"), year)
    assets = _precision_of(f, ("nt_bokfort_verdi_anleggsmidler",), year)
    sign = -1 if low else 1
    denominator = Decimal(anleggsmidler) - sign * assets
    if denominator <= 0:
        return None
    value = Decimal(avskrivninger) * (Decimal(lanegjeld) + sign * debt) / denominator
    return int(value.to_integral_value(rounding="ROUND_FLOOR" if low else "ROUND_CEILING"))


@figure("minimumsavdrag_lav", label="laveste minimumsavdrag premissene kan gi (lånegjeld og anleggsmidler innenfor "
        "avrundingen i [precision])", inputs=("drift_avskrivninger", "lanegjeld_grunnlag", "anleggsmidler_grunnlag",
                                              "meta:precision", "meta:minimumsavdrag"))
def minimumsavdrag_lav(f: Facts, year: int) -> Amount | None:
    """The smallest minimumsavdrag the stated premises allow: avskrivninger × (lånegjeld − ½ enhet) ÷ (anleggsmidler
    + ½ enhet), where the unit is the rounding budsjett.toml [precision] declares for the table each premise comes
    from (0 when none is declared: then it equals the minimumsavdrag). An avdrag below it is short whatever the
    premises' rounding hides."""
    return _minimumsavdrag_bound(f, year, low=True)


@figure("minimumsavdrag_hoy", label="høyeste minimumsavdrag premissene kan gi", inputs=(
    "drift_avskrivninger", "lanegjeld_grunnlag", "anleggsmidler_grunnlag", "meta:precision", "meta:minimumsavdrag"))
def minimumsavdrag_hoy(f: Facts, year: int) -> Amount | None:
    """The largest minimumsavdrag the stated premises allow: avskrivninger × (lånegjeld + ½ enhet) ÷ (anleggsmidler
    − ½ enhet)."""
    return _minimumsavdrag_bound(f, year, low=False)


# --- funds: bruk no larger than the fund holds (kommuneloven § 14-4 tredje ledd: realistic) ------------------------

FUNDS = (
    ("Disposisjonsfond", "nt_disposisjonsfond_ub", "drift_netto_disposisjonsfond"),
    ("Bundne driftsfond", "nt_bundne_driftsfond_ub", "drift_netto_bundne_driftsfond"),
    ("Ubundne investeringsfond", "nt_ubundne_investeringsfond_ub", "inv_netto_ubundne_investeringsfond"),
    ("Bundne investeringsfond", "nt_bundne_investeringsfond_ub", "inv_netto_bundne_investeringsfond"),
)
FUND_FIELDS = {"fond": TEXT, "ib": NUMBER, "ib_kilde": TEXT, "netto": NUMBER, "ub": NUMBER, "mangler": NUMBER,
               "avrunding": NUMBER}
FIELD_LABELS.update({"ib": "inngående balanse (UB året før i nokkeltall.csv)",
                     "netto": "netto avsetning til eller bruk av fondet (§ 5-4 eller § 5-5)"})


def _fund_items(f: Facts) -> list[tuple[Item, bool]]:
    """Per fund and plan year with a known opening balance: (item, decidable). The opening balance is the UB of the
    year before as stated in nokkeltall.csv, or rolled forward from an earlier stated UB with the § 5-4/§ 5-5 net
    movements (never backwards). A shortfall within the rounding of a stated balance ([precision]) cannot be
    decided."""
    key = ("#fondsbruk", None)
    if key in f._cache:
        return f._cache[key]
    out = []
    unit = Decimal(f.budget.meta.precision.get("nokkeltall", 0)) / 2
    for name, stated, net in FUNDS:
        balance, origin = None, None
        for year in f.years:
            movement = f.get(net, year)
            if year in f.budget.meta.plan_years and balance is not None and movement is not None:
                ub = balance + movement
                source = f"oppgitt UB {year - 1}" if origin == year - 1 else f"fremskrevet fra oppgitt UB {origin}"
                shortfall = max(-ub, 0)
                decidable = origin == year - 1 and (shortfall == 0 or shortfall > unit)
                out.append((Item(name, year, {"fond": name, "ib": balance, "ib_kilde": source, "netto": movement,
                                              "ub": ub, "mangler": shortfall, "avrunding": unit}, stem="nokkeltall",
                                 line=_line_of(f, "nokkeltall")(stated)), decidable))
            given = f.get(stated, year)
            if given is not None:
                balance, origin = given, year
            elif balance is not None and movement is not None:
                balance = balance + movement
            else:
                balance = None
    f._cache[key] = out
    return out


@collection("fondsbruk_oppgitt", FUND_FIELDS, "Hvert fond og økonomiplanår der fondets UB året før er oppgitt "
            "(nokkeltall.csv): inngående balanse, netto bruk og UB etter bruken.",
            inputs=("table:nokkeltall", "meta:precision", "meta:years", *(n for _, stated, net in FUNDS for n in (stated, net))))
def _fund_use_stated(f: Facts) -> list[Item]:
    return [item for item, decidable in _fund_items(f) if decidable]


@collection("fondsbruk_usikker", FUND_FIELDS, "Hvert fond og økonomiplanår der inngående balanse er fremskrevet fra "
            "en tidligere oppgitt UB, eller der et underskudd ligger innenfor avrundingen av den oppgitte balansen.",
            inputs=("table:nokkeltall", "meta:precision", "meta:years", *(n for _, stated, net in FUNDS for n in (stated, net))))
def _fund_use_uncertain(f: Facts) -> list[Item]:
    return [item for item, decidable in _fund_items(f) if not decidable]


# --- momskompensasjon from investments -------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _parameter(name: str) -> dict[str, Any]:
    """A bundled parameter file, read once per process (it does not change while the tool runs; the web page
    evaluates figures on every keystroke)."""
    from .buildcache import built
    from .rules.loader import rules_dir, safe_yaml

    path = rules_dir() / "parameters" / f"{name}.yaml"
    return built("parameter", path, lambda: safe_yaml(path), expect=(dict, list, type(None)))


@figure("momskompensasjon_andel", unit="andel", label="høyeste andel momskompensasjon av brutto investering "
        "(rules/parameters/momskompensasjon.yaml)", inputs=("param:momskompensasjon",))
def momskompensasjon_andel(f: Facts, year: int) -> Decimal:
    """The largest share of a gross investment (incl. VAT) that momskompensasjon can be: 25 % VAT on the cost ex.
    VAT is 20 % of the gross amount (rules/parameters/momskompensasjon.yaml, with its source)."""
    return Decimal(str(_parameter("momskompensasjon")["andel_av_brutto_investering"]["value"]))


@figure("momskompensasjon_maks", label="det investeringene i varige driftsmidler kan gi i momskompensasjon",
        inputs=("inv_varige_driftsmidler", "momskompensasjon_andel"))
def momskompensasjon_maks(f: Facts, year: int) -> Amount | None:
    """Investeringer i varige driftsmidler (§ 5-5) × the largest share momskompensasjon can be of a gross
    investment; rounded up to whole 1000 kr."""
    gross = f.get("inv_varige_driftsmidler", year)
    if gross is None:
        return None
    return int((Decimal(gross) * f.get("momskompensasjon_andel", year)).to_integral_value(rounding="ROUND_CEILING"))


@figure("momskompensasjon_investering", label="«Kompensasjon for merverdiavgift» i § 5-5 (som positivt beløp)",
        inputs=("inv_momskompensasjon",))
def momskompensasjon_investering(f: Facts, year: int) -> Amount | None:
    """Kompensasjon for merverdiavgift in § 5-5 as a positive amount (incomes are negative internally)."""
    value = f.get("inv_momskompensasjon", year)
    return None if value is None else -value


_INVESTMENT_VAT = re.compile(r"(moms|mva|merverdiavgift)\w*\W+(\w+\W+){0,3}investering", re.I)


@figure("momskompensasjon_i_drift", unit="", kind=TEXT, inputs=("table:drift_fordeling", "table:drift_art"))
def momskompensasjon_i_drift(f: Facts, year: int) -> str:
    """Lines of § 5-4 andre ledd or § 5-6 whose label reads as momskompensasjon from investments, with an amount:
    that income belongs in the investment budget (§ 5-5 «Kompensasjon for merverdiavgift»)."""
    hits = []
    for stem in ("drift_fordeling", "drift_art"):
        table = f.table(stem)
        for row in table.rows if table else []:
            if _INVESTMENT_VAT.search(row.label) and (row.values.get(year) or 0) != 0:
                hits.append(_where(table, row, year))
    return "; ".join(hits) or "ingen"


# Kommuneloven § 14-4 tredje ledd, KDD 14.2.2022: an unspecified saving is ubalanse. Only a net appropriation in
# § 5-4 andre ledd that reduces the budget (negative) and says in so many words that the saving is not specified is
# judged an error; a line that only reads like a saving demand (innsparingskrav, effektiviseringskrav,
# omstillingsbehov, rammereduksjon ikke fordelt …) is a warning asking whether the measures are adopted. An
# undistributed pot (a cost), an undistributed grant (an income) and § 5-5 lines are neither.
_EXPLICITLY_UNSPECIFIED = re.compile(
    r"(uspesifi|uidentifi|ikk[ej]e?\s+(konkretis|identifis|spesifis)|ikke\s+realiserte\s+tiltak"
    r"|innsparing\w*\W+(\w+\W+)?(fordeles\s+senere|ikk[ej]e?\s+fordelt|ufordelt))", re.I)
_SAVING_DEMAND = re.compile(
    r"(innsparing|sparekrav|effektivis|omstilling|rammereduksj|rammekutt|nedtrekk|kutt|besparel|reduksjon\w*\W+"
    r"(ikk[ej]e?\s+fordelt|fordeles)|fordeles\s+senere|tilpasningsbehov|budsjettilpasning)", re.I)
# an income is not a saving: an undistributed state grant or tax income is lawful
_INCOME_WORDS = re.compile(r"(tilskudd|tilskot|skatt|inntekt|refusjon|kompensasjon|overføring|utbytte|gebyr)", re.I)


def _saving_rows(f: Facts, year: int, explicit: bool) -> list[tuple[Table, Row]]:
    table = f.table("drift_fordeling")
    hits = []
    for row in table.rows if table else []:
        amount = row.values.get(year)
        if row.key is not None or amount is None or amount >= 0 or _INCOME_WORDS.search(row.label):
            continue
        unspecified = bool(_EXPLICITLY_UNSPECIFIED.search(row.label))
        if unspecified if explicit else (not unspecified and _SAVING_DEMAND.search(row.label)):
            hits.append((table, row))
    return hits


@figure("uspesifiserte_innsparinger", unit="linjer", inputs=("table:drift_fordeling",))
def uspesifiserte_innsparinger(f: Facts, year: int) -> int | None:
    """Number of areas in § 5-4 andre ledd with a reduction (negative net appropriation) whose label says the
    saving is not specified («uspesifisert innsparing», «ikke konkretiserte tiltak», «innsparing – fordeles
    senere») (kommuneloven § 14-4 tredje ledd; KDD 14.2.2022). Incomes (tilskudd, skatt …) are never counted."""
    if f.table("drift_fordeling") is None:
        return None
    return len(_saving_rows(f, year, explicit=True))


@figure("uspesifiserte_linjer", unit="", kind=TEXT, inputs=("table:drift_fordeling",))
def uspesifiserte_linjer(f: Facts, year: int) -> str:
    """The labels of those lines, with their file, line number and amount."""
    return "; ".join(_where(table, row, year) for table, row in _saving_rows(f, year, explicit=True)) or "ingen"


@figure("innsparingskrav_uten_tiltak", unit="linjer", inputs=("table:drift_fordeling",))
def innsparingskrav_uten_tiltak(f: Facts, year: int) -> int | None:
    """Number of areas in § 5-4 andre ledd with a reduction whose label reads as a saving demand
    («innsparingskrav», «effektiviseringskrav – fordeles senere», «omstillingsbehov», «rammereduksjon ikke
    fordelt» …) without saying it is unspecified: the data cannot show whether the measures are adopted."""
    if f.table("drift_fordeling") is None:
        return None
    return len(_saving_rows(f, year, explicit=False))


@figure("innsparingskrav_linjer", unit="", kind=TEXT, inputs=("table:drift_fordeling",))
def innsparingskrav_linjer(f: Facts, year: int) -> str:
    """The labels of those lines, with their file, line number and amount."""
    return "; ".join(_where(table, row, year) for table, row in _saving_rows(f, year, explicit=False)) or "ingen"


def _where(table: Table, row: Row, year: int | None = None) -> str:
    """«label» (file line N), with the amount when a year is given; a line added by an amendment has no line number."""
    from .numbers import format_amount

    amount = f": {format_amount(row.values[year])}" if year is not None and row.values.get(year) is not None else ""
    return f"«{row.label}» ({table.stem}.csv" + (f" linje {row.line})" if row.line else ")") + amount


@figure("drift_resultat_omtale", unit="", kind=TEXT, inputs=("drift_netto_driftsresultat", "drift_sum_disponeringer"),
        label="netto driftsresultat og sum disponeringer (§ 5-4)")
def drift_resultat_omtale(f: Facts, year: int) -> str | None:
    """Netto driftsresultat and its disposal in words a reader takes in at once, whatever the package's sign
    convention: «netto driftsresultat er et overskudd på 238 055, og disponeringene bruker 244 668». Internally a
    negative netto driftsresultat is a surplus, positive disposals use it (avsetninger, overføring til investering)
    and negative disposals cover a deficit (bruk av fond)."""
    from .numbers import format_amount

    result, disposals = f.get("drift_netto_driftsresultat", year), f.get("drift_sum_disponeringer", year)
    if result is None or disposals is None:
        return None
    if result < 0:
        said = f"netto driftsresultat er et overskudd (mindreforbruk før disponering) på {format_amount(-result)}"
    elif result > 0:
        said = f"netto driftsresultat er et underskudd på {format_amount(result)}"
    else:
        said = "netto driftsresultat er 0"
    if disposals > 0:
        return f"{said}, og disponeringene (avsetninger og overføring til investering) bruker {format_amount(disposals)}"
    if disposals < 0:
        return f"{said}, og disponeringene (bruk av fond, dekning) tilfører {format_amount(-disposals)}"
    return f"{said}, og ingenting er disponert"


_LOAN = re.compile(r"(bruk\s+av\s+l[åa]n|l[åa]neopptak|l[åa]nemidl|opptak\s+av\s+l[åa]n)", re.I)
# interest on, or avdrag of, loan money is not loan money financing operations («Renteinntekter ubrukte lånemidler»)
_LOAN_COST_OR_YIELD = re.compile(r"(rente|avdrag|utbytte|provisjon|gebyr|omkostning|kurs)", re.I)


def _loan_rows_in_operations(f: Facts, year: int) -> list[tuple[Table, Row]]:
    hits = []
    for stem in ("drift", "drift_fordeling", "drift_art"):
        table = f.table(stem)
        for row in table.rows if table else []:
            if _LOAN.search(row.label) and not _LOAN_COST_OR_YIELD.search(row.label) \
                    and (row.values.get(year) or 0) != 0:
                hits.append((table, row))
    return hits


@figure("laneinntekter_i_drift", inputs=("table:drift", "table:drift_fordeling", "table:drift_art"))
def laneinntekter_i_drift(f: Facts, year: int) -> Amount:
    """Sum of the amounts on lines of § 5-4 or § 5-6 whose label reads as bruk av lån or låneopptak, leaving out
    lines about interest, avdrag or yield on loan money (kommuneloven §§ 14-14 to 14-17 allow loans only for
    investments; the drift schedules have no loan line). Matched by words, so a warning. None when the package has
    none of those schedules: no loan line in nothing is no pass."""
    if all(f.table(stem) is None for stem in ("drift", "drift_fordeling", "drift_art")):
        return None
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
    """Merforbruk that arose in the accounts of `year` (that year's own, not the accumulated balance): nøkkeltall
    «Merforbruk i regnskapet», else the regnskap column of § 5-4 «Fremført til inndekning i senere år
    (merforbruk)». None for a year without accounts. «Akkumulert merforbruk» is a balance, never read as this."""
    stated = f.get("nt_merforbruk_regnskap", year) if year in f.years else None
    if stated is not None:
        return stated
    if year in f.years and f.kind(year) == "regnskap":
        value = f.get("drift_fremfort_merforbruk", year)
        return None if value is None else max(value, 0)
    return None


@figure("merforbruk_med_frist", label="merforbruk i regnskapet to år før (regnskapskolonne i drift.csv eller «Merforbruk "
        "i regnskapet» i nokkeltall.csv)", inputs=("nt_merforbruk_regnskap", "drift_fremfort_merforbruk"), locate=False)
def merforbruk_med_frist(f: Facts, year: int) -> Amount | None:
    """Kommuneloven § 14-11: the merforbruk that arose two years before `year`, which must be covered by the
    end of `year` at the latest."""
    return None if year is None else merforbruk_oppstatt(f, year - 2)


def _coverage(f: Facts) -> dict[int, list[tuple[int, Amount]]] | None:
    """Kommuneloven § 14-11: each year's «Dekning av tidligere års merforbruk» allocated to the merforbruk still
    uncovered, oldest first (one coverage never counts for two merforbruk). A year's dekning covers only
    merforbruk that arose before that year. Result: year of origin → [(year of dekning, amount)]. None when a
    year's dekning cannot be read."""
    key = ("#dekning-eldste-forst", None)
    if key in f._cache:
        return f._cache[key]
    outstanding: list[list] = []  # [origin, remaining]
    allocated: dict[int, list[tuple[int, Amount]]] = {}
    result: dict[int, list[tuple[int, Amount]]] | None = allocated
    for year in f.years:
        cover = f.get("drift_dekning_merforbruk", year)
        if cover is None:
            result = None
            break
        cover = max(cover, 0)
        for entry in outstanding:
            if cover <= 0:
                break
            used = min(cover, entry[1])
            if used > 0:
                allocated.setdefault(entry[0], []).append((year, used))
                entry[1] -= used
                cover -= used
        arisen = merforbruk_oppstatt(f, year)
        if arisen:
            outstanding.append([year, arisen])
    f._cache[key] = result
    return result


@figure("dekket_innen_frist", label="dekning av merforbruk innen fristen («Dekning av tidligere års merforbruk» i "
        "drift.csv hvert år)", inputs=("drift_dekning_merforbruk", "nt_merforbruk_regnskap", "drift_fremfort_merforbruk"),
        locate=False)
def dekket_innen_frist(f: Facts, year: int) -> Amount | None:
    """The part of the merforbruk from `year` − 2 that «Dekning av tidligere års merforbruk» (§ 5-4) covers by the
    end of `year`, when each year's dekning goes to the oldest uncovered merforbruk first."""
    coverage = _coverage(f) if year is not None else None
    if coverage is None or not any(y in f.years for y in (year - 1, year)):
        return None
    return sum((amount for when, amount in coverage.get(year - 2, []) if when <= year), 0)


@figure("dekning_fordelt", unit="", kind=TEXT, inputs=("drift_dekning_merforbruk", "nt_merforbruk_regnskap",
                                                       "drift_fremfort_merforbruk"), locate=False)
def dekning_fordelt(f: Facts, year: int) -> str:
    """How the dekning is allocated, oldest merforbruk first: per merforbruk its year, amount, the years and
    amounts that cover it, and the year by which it must be covered (kommuneloven § 14-11)."""
    coverage = _coverage(f) or {}
    parts = []
    for origin in [y for y in f.years if merforbruk_oppstatt(f, y)]:
        covered = coverage.get(origin, [])
        from .numbers import format_amount

        how = ", ".join(f"{format_amount(amount)} i {when}" for when, amount in covered) or "ingen dekning"
        parts.append(f"merforbruk {format_amount(merforbruk_oppstatt(f, origin))} fra {origin} (frist {origin + 2}): {how}")
    return "; ".join(parts) or "ingen merforbruk"


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


def _in_imbalance(f: Facts, year: int) -> bool | None:
    """Merforbruk (printed or from the lines, beyond rounding) or an explicitly unspecified saving in `year`."""
    merforbruk = f.get("drift_merforbruk", year)
    if merforbruk is None:
        return None
    return merforbruk > 0 or (f.get("uspesifiserte_innsparinger", year) or 0) > 0


@figure("robek_a", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "drift_merforbruk", "uspesifiserte_innsparinger"))
def robek_a(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav a: the årsbudsjett (first plan year) shows merforbruk (printed, or from the
    lines beyond rounding) or uspesifisert innsparing."""
    plan = f.budget.meta.plan_years
    return _in_imbalance(f, plan[0]) if plan else None


@figure("robek_b", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "drift_merforbruk", "uspesifiserte_innsparinger"))
def robek_b(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav b: some økonomiplan year shows merforbruk or uspesifisert innsparing."""
    values = [_in_imbalance(f, y) for y in f.budget.meta.plan_years]
    if not values or any(v is None for v in values):
        return None
    return any(values)


@figure("robek_c", unit="", kind=BOOL, per_year=False, inputs=("meta:years", "merforbruk_med_frist", "dekket_innen_frist"))
def robek_c(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav c: a merforbruk is planned covered over more than two years after it arose."""
    outcomes = []
    for y in f.budget.meta.plan_years:
        due, covered = f.get("merforbruk_med_frist", y), f.get("dekket_innen_frist", y)
        if due is not None and covered is not None:
            outcomes.append(covered < due)
    return any(outcomes) if outcomes else None


@figure("vedtaksdato", unit="", kind=TEXT, per_year=False, label="vedtaksdato (feltet vedtaksdato i budsjett.toml)",
        inputs=("meta:vedtaksdato",))
def vedtaksdato(f: Facts, year: None) -> str | None:
    """The date kommunestyret adopted the budget (budsjett.toml `vedtaksdato`), as d.m.yyyy; None when not given."""
    date = getattr(f.budget.meta, "vedtaksdato", None)
    return f"{date.day}.{date.month}.{date.year}" if date else None


@figure("vedtaksfrist", unit="", kind=TEXT, per_year=False, inputs=("meta:years",))
def vedtaksfrist(f: Facts, year: None) -> str | None:
    """31.12 of the year before the årsbudsjett (kommuneloven § 14-3: adopted before the turn of the year)."""
    plan = f.budget.meta.plan_years
    return f"31.12.{plan[0] - 1}" if plan else None


@figure("vedtatt_innen_fristen", unit="", kind=BOOL, per_year=False, label="vedtaksdato (feltet vedtaksdato i "
        "budsjett.toml)", inputs=("meta:vedtaksdato", "meta:years"))
def vedtatt_innen_fristen(f: Facts, year: None) -> bool | None:
    """True when the vedtaksdato is on or before 31.12 of the year before the årsbudsjett (kommuneloven § 14-3);
    None when budsjett.toml gives no vedtaksdato."""
    date, plan = getattr(f.budget.meta, "vedtaksdato", None), f.budget.meta.plan_years
    if date is None or not plan:
        return None
    return date.year < plan[0]


@figure("robek_e", unit="", kind=BOOL, per_year=False, inputs=("vedtatt_innen_fristen",))
def robek_e(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1 bokstav e: the årsbudsjett or økonomiplan is not adopted within the deadline (31.12)."""
    ok = f.get("vedtatt_innen_fristen", None)
    return None if ok is None else not ok


@figure("akkumulert_merforbruk_pst", unit="%", label="akkumulert merforbruk i prosent av driftsinntektene "
        "(«Akkumulert merforbruk» i nokkeltall.csv og «Sum driftsinntekter» i § 5-6)",
        inputs=("nt_akkumulert_merforbruk", "art_sum_driftsinntekter"))
def akkumulert_merforbruk_pst(f: Facts, year: int) -> Decimal | None:
    """Akkumulert merforbruk (the balance, as the package states it) ÷ driftsinntektene («Sum driftsinntekter»,
    § 5-6) × 100."""
    balance, income = f.get("nt_akkumulert_merforbruk", year), f.get("art_sum_driftsinntekter", year)
    if balance is None or not income:
        return None
    return (Decimal(balance) * 100 / abs(Decimal(income))).quantize(Decimal("0.01"))


FIELD_LABELS.update({"akkumulert": "«Akkumulert merforbruk» (nokkeltall.csv)",
                     "driftsinntekter": "«Sum driftsinntekter» (drift_art.csv, § 5-6)",
                     "prosent": "akkumulert merforbruk i prosent av driftsinntektene"})


@collection("akkumulert_merforbruk", {"akkumulert": NUMBER, "driftsinntekter": NUMBER, "prosent": NUMBER},
            "Hvert år pakken oppgir «Akkumulert merforbruk» (nokkeltall.csv), med driftsinntektene (§ 5-6).",
            inputs=("table:nokkeltall", "nt_akkumulert_merforbruk", "art_sum_driftsinntekter", "akkumulert_merforbruk_pst"))
def _accumulated_deficit(f: Facts) -> list[Item]:
    items = []
    for year in f.years:
        balance = f.get("nt_akkumulert_merforbruk", year)
        if balance is None:
            continue
        income = f.get("art_sum_driftsinntekter", year)
        items.append(Item("Akkumulert merforbruk", year, {
            "akkumulert": balance, "driftsinntekter": None if income is None else abs(income),
            "prosent": f.get("akkumulert_merforbruk_pst", year)}, stem="nokkeltall",
            line=_line_of(f, "nokkeltall")("nt_akkumulert_merforbruk")))
    return items


ROBEK_CRITERIA = {
    "a": "årsbudsjettet er vedtatt med merforbruk i driften",
    "b": "økonomiplanen har merforbruk i driftsdelen",
    "c": "et merforbruk dekkes inn over mer enn to år etter at det oppstod",
    "e": "årsbudsjettet eller økonomiplanen er ikke vedtatt innen 31.12",
    "akkumulert": "akkumulert merforbruk er over 3 % av driftsinntektene",
}
ROBEK_LETTER = {"akkumulert": "3 %-kriteriet"}  # its letter in § 28-1 is not verified (lovregler.md: g)


@figure("robek_kriterier", unit="", kind=TEXT, per_year=False,
        inputs=("robek_a", "robek_b", "robek_c", "robek_e", "robek_akkumulert"))
def robek_kriterier(f: Facts, year: None) -> str:
    """The § 28-1 letters the budget would meet, each with its meaning, e.g. «a (årsbudsjettet …), b (…)»;
    «ingen» when none."""
    met = [f"{ROBEK_LETTER.get(k, k)} ({text})" for k, text in ROBEK_CRITERIA.items() if f.get(f"robek_{k}", None)]
    return ", ".join(met) or "ingen"


@figure("robek_akkumulert", unit="", kind=BOOL, per_year=False, inputs=("collection:akkumulert_merforbruk",))
def robek_akkumulert(f: Facts, year: None) -> bool | None:
    """Kommuneloven § 28-1: akkumulert merforbruk above 3 % of driftsinntektene in a year the package states it."""
    known = [i.values["prosent"] for i in f.items("akkumulert_merforbruk") if i.values["prosent"] is not None]
    return any(v > 3 for v in known) if known else None


@figure("robek_ovrige", unit="", kind=BOOL, per_year=False, inputs=("robek_e", "robek_akkumulert"))
def robek_ovrige(f: Facts, year: None) -> bool:
    """True when criterion e (not adopted by 31.12) or the 3 % criterion is met; an unknown one is not met here but
    named in robek_ikke_vurdert."""
    return bool(f.get("robek_e", None)) or bool(f.get("robek_akkumulert", None))


@figure("robek_ikke_vurdert", unit="", kind=TEXT, per_year=False, inputs=("robek_e", "robek_akkumulert"))
def robek_ikke_vurdert(f: Facts, year: None) -> str:
    """The criteria the package gives no data for: e without a vedtaksdato, the 3 % criterion without «Akkumulert
    merforbruk»."""
    unknown = []
    if f.get("robek_e", None) is None:
        unknown.append("e (mangler vedtaksdato i budsjett.toml)")
    if f.get("robek_akkumulert", None) is None:
        unknown.append("3 %-kriteriet (mangler «Akkumulert merforbruk» i nokkeltall.csv)")
    return "; ".join(unknown) or "ingen"


@figure("merforbruk_fra_ar", unit="år", inputs=("ar",))
def merforbruk_fra_ar(f: Facts, year: int) -> int:
    """The year whose merforbruk must be covered by the end of `year` (kommuneloven § 14-11): `year` − 2."""
    return year - 2


def load_plugins() -> None:
    """Figures of the other rule packs live in their own modules and register themselves on import."""
    import importlib

    for module in ("keyfigures", "selvkost", "arsregnskap"):
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
