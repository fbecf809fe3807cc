"""Sign conventions as kommuner print them, detected from each table's own identities, normalised at the edge.

Inside the tool every amount is incomes negative, costs positive (KOSTRA); netto driftsresultat is negative for a
surplus and the disposals add up to minus netto driftsresultat. Real documents print otherwise, and not even the
same way in every table of one report (SOURCES.md in tests/realworld/): incomes positive; every line as an
unsigned amount with «Bruk av …» printed positive but subtracted; the result lines with a surplus positive but the
disposals with their own signs. A convention says, per kind of line, whether the printed sign is kept or turned.

Which convention a table follows is not guessed: each known convention is tried against the table's own sum
identities (the sum lines, netto driftsresultat, disposals + fremført), and the evidence is reported. A convention
declared in budsjett.toml that makes them fail while another makes them hold gives one clear message, not a list
of arithmetic errors; without a declaration the one that holds is used, with a note saying so and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from .budget import Amount, Budget, Table
from .catalogue import ARSAVSLUTNING_ANCHORS, ARSAVSLUTNING_SIGNS, TABLES, LineDef, TableDef
from .errors import Problem

# What a line is, for the sign it is printed with. The classes follow the table's own logic: in § 5-4/§ 5-6 the
# disposals spend a surplus (an avsetning adds to them), in § 5-5 the financing lines pay for the investments (a
# bruk adds to them).
INNTEKT, UTGIFT, RESULTAT, AVSETNING, BRUK, NETTO_AVSETNING, NETTO_BRUK, SALDO = (
    "inntekt", "utgift", "resultat", "avsetning", "bruk", "netto_avsetning", "netto_bruk", "saldo")

_DRIFT_SHARED = {
    "brutto_driftsresultat": RESULTAT, "renteinntekter": INNTEKT, "utbytter": INNTEKT, "gevinster_tap": INNTEKT,
    "renteutgifter": UTGIFT, "avdrag": UTGIFT, "netto_finansutgifter": RESULTAT, "motpost_avskrivninger": INNTEKT,
    "netto_driftsresultat": RESULTAT, "overforing_til_investering": AVSETNING,
    "avsetninger_bundne_driftsfond": AVSETNING, "bruk_bundne_driftsfond": BRUK, "netto_bundne_driftsfond": NETTO_AVSETNING,
    "avsetninger_disposisjonsfond": AVSETNING, "bruk_disposisjonsfond": BRUK, "netto_disposisjonsfond": NETTO_AVSETNING,
    "dekning_merforbruk": AVSETNING, "bruk_tidligere_mindreforbruk": BRUK, "sum_disponeringer": NETTO_AVSETNING,
    "fremfort_merforbruk": SALDO,
}
CLASSES: dict[str, dict[str, str]] = {
    "drift": {**_DRIFT_SHARED, "rammetilskudd": INNTEKT, "skatt": INNTEKT, "eiendomsskatt": INNTEKT,
              "andre_generelle_driftsinntekter": INNTEKT, "sum_generelle_driftsinntekter": INNTEKT,
              "sum_bevilgninger": UTGIFT, "avskrivninger": UTGIFT, "sum_netto_driftsutgifter": UTGIFT},
    "drift_art": {**_DRIFT_SHARED, **{k: INNTEKT for k in (
        "rammetilskudd", "skatt", "eiendomsskatt", "andre_skatteinntekter", "andre_overforinger_staten",
        "overforinger_fra_andre", "brukerbetalinger", "salgs_og_leieinntekter", "sum_driftsinntekter")},
        **{k: UTGIFT for k in ("lonnsutgifter", "sosiale_utgifter", "kjop_varer_tjenester", "overforinger_til_andre",
                               "avskrivninger", "sum_driftsutgifter")}},
    "investering": {
        **{k: UTGIFT for k in ("varige_driftsmidler", "tilskudd_andres_investeringer", "aksjer_andeler",
                               "utlan_egne_midler", "avdrag_lan", "sum_investeringsutgifter", "videreutlan",
                               "avdrag_lan_videreutlan", "netto_utgifter_videreutlan")},
        **{k: INNTEKT for k in ("momskompensasjon", "tilskudd_fra_andre", "salg_varige_driftsmidler",
                                "salg_finansielle_anleggsmidler", "utdeling_fra_selskaper", "mottatte_avdrag_utlan",
                                "bruk_av_lan", "sum_investeringsinntekter", "bruk_lan_videreutlan",
                                "mottatte_avdrag_videreutlan", "overforing_fra_drift")},
        "avsetninger_bundne_investeringsfond": AVSETNING, "bruk_bundne_investeringsfond": BRUK,
        "netto_bundne_investeringsfond": NETTO_BRUK, "avsetninger_ubundne_investeringsfond": AVSETNING,
        "bruk_ubundne_investeringsfond": BRUK, "netto_ubundne_investeringsfond": NETTO_BRUK,
        "dekning_udekket": AVSETNING, "sum_overforing_og_avsetninger": NETTO_BRUK, "fremfort_udekket": SALDO,
    },
}
CLASSES.update(ARSAVSLUTNING_SIGNS)  # the årsavslutning tables (§ 5-9): classes in catalogue_arsavslutning.yaml
# A table of areas or projects: every row (the sums too) is a net cost, the herav lines as their names say.
_ANDRE_LEDD_DEFAULT = UTGIFT


@dataclass(frozen=True)
class Convention:
    name: str
    description: str  # Norwegian, for messages: what the document prints
    factors: dict[str, int]  # class → +1 (printed as inside) or −1 (turned)
    example: str = ""

    def factor(self, stem: str, key: str | None) -> int:
        cls = CLASSES.get(stem, {}).get((key or "").split(":")[0], _ANDRE_LEDD_DEFAULT)  # «a:b»: a herav line of a
        return self.factors[cls]


def _conv(name: str, description: str, example: str, **factors: int) -> Convention:
    return Convention(name, description, factors, example)


_ALL = (INNTEKT, UTGIFT, RESULTAT, AVSETNING, BRUK, NETTO_AVSETNING, NETTO_BRUK, SALDO)
CONVENTIONS: dict[str, Convention] = {c.name: c for c in (
    _conv("incomes_negative", "inntekter negative og utgifter positive (KOSTRA)", "Sandnes 1A, Hustadvika 2024-2027",
          **{c: 1 for c in _ALL}),
    _conv("incomes_positive", "inntekter positive og utgifter negative", "", **{c: -1 for c in _ALL}),
    _conv("unsigned", "beløp uten fortegn: inntekter og utgifter positive, «Bruk av …» positiv men trukket fra, "
          "resultatlinjene med overskudd positivt", "Stavanger årsrapport 2020, 14.3 og 14.5",
          inntekt=-1, utgift=1, resultat=-1, avsetning=1, bruk=-1, netto_avsetning=1, netto_bruk=-1, saldo=1),
    _conv("unsigned_disposals_signed", "inntekter og utgifter positive, resultatlinjene med overskudd positivt, "
          "disponeringene med avsetninger positive og bruk negativ", "Hustadvika årsrapport 2022",
          inntekt=-1, utgift=1, resultat=-1, avsetning=1, bruk=1, netto_avsetning=1, netto_bruk=1, saldo=1),
    _conv("unsigned_disposals_opposite", "inntekter og utgifter positive, resultatlinjene og disponeringene med "
          "inntekter positive (disponeringene med motsatt fortegn av netto driftsresultat)",
          "Hustadvika årsrapport 2020 og 2021",
          inntekt=-1, utgift=1, resultat=-1, avsetning=-1, bruk=-1, netto_avsetning=-1, netto_bruk=-1, saldo=-1),
)}
DEFAULT = "incomes_negative"


def factor(convention: str, stem: str, key: str | None) -> int:
    """The factor that turns an amount printed in `convention` into the inside convention (and back)."""
    if not TABLES[stem].signed:
        return 1
    return CONVENTIONS[convention].factor(stem, key)


# --- the identities a table must satisfy -------------------------------------------------------------------------

# Lines whose sign is never in doubt inside (incomes negative): a convention that makes them come out the other
# way is not the document's, even where every sum holds (turning every amount keeps every sum).
ANCHORS: dict[str, dict[str, int]] = {
    "drift": {"rammetilskudd": -1, "skatt": -1, "sum_generelle_driftsinntekter": -1, "sum_bevilgninger": 1,
              "avskrivninger": 1, "sum_netto_driftsutgifter": 1, "renteutgifter": 1, "avdrag": 1},
    "drift_art": {"rammetilskudd": -1, "skatt": -1, "sum_driftsinntekter": -1, "lonnsutgifter": 1,
                  "sosiale_utgifter": 1, "kjop_varer_tjenester": 1, "avskrivninger": 1, "sum_driftsutgifter": 1,
                  "renteutgifter": 1, "avdrag": 1},
    "investering": {"varige_driftsmidler": 1, "sum_investeringsutgifter": 1, "bruk_av_lan": -1,
                    "sum_investeringsinntekter": -1, "momskompensasjon": -1},
    **ARSAVSLUTNING_ANCHORS,  # strykninger, gross fund lines, budsjettert bruk av lån (catalogue_arsavslutning.yaml)
}


@dataclass
class Evidence:
    """How one convention fares on one table: the identities it was tried on, those that do not hold, the lines
    whose sign comes out wrong, and the years where netto driftsresultat and the disposals do not meet when the
    table leaves out «Fremført …» (a table either balances or prints what is carried forward)."""

    convention: str
    checked: int = 0
    failing: list[str] = field(default_factory=list)  # «Netto driftsresultat» 2020
    implausible: list[str] = field(default_factory=list)  # «Rammetilskudd» 2020 comes out as an expense
    unbalanced: int = 0

    @property
    def holding(self) -> int:
        return self.checked - len(self.failing)

    @property
    def holds(self) -> bool:
        return self.checked > 0 and not self.failing

    @property
    def rank(self) -> tuple[int, int, int]:
        return len(self.failing), len(self.implausible), self.unbalanced

    def add(self, other: "Evidence") -> None:
        self.checked += other.checked
        self.failing += other.failing
        self.implausible += other.implausible
        self.unbalanced += other.unbalanced


def _values(table: Table, year: int, turn: dict[str | None, int]) -> tuple[dict[str, Amount | None], list[Amount]]:
    """Line key → amount of one year, each multiplied by its factor; and the free rows (areas, projects)."""
    keyed: dict[str, Amount | None] = {}
    free: list[Amount] = []
    for row in table.rows:
        value = row.values.get(year)
        if row.key is None:
            if value is not None:
                free.append(value * turn.get(None, 1))
        else:
            keyed[row.key] = None if value is None else value * turn[row.key]
    return keyed, free


@lru_cache(maxsize=None)
def _sums(tdef: TableDef) -> tuple[LineDef, ...]:
    return tuple(line for line in tdef.lines if line.is_sum)


@lru_cache(maxsize=None)
def _terms(line: LineDef) -> tuple[tuple[str, int], ...]:
    return tuple(line.terms())


def _computed(tdef: TableDef, line: LineDef, keyed: dict[str, Amount | None], free: list[Amount],
              present: set[str]) -> tuple[Amount | None, int]:
    """A sum line from its parts (parts computed from theirs when not printed): (value, number of terms)."""
    if line.parts == ("*",):
        return (sum(free), len(free)) if free else (None, 0)
    if line.gross and not any(k in present for k, _ in _terms(line)):
        return None, 0
    if line.when and not any(k in present for k in line.when):
        return None, 0
    total: Amount = 0
    terms = 0
    for key, sign in _terms(line):
        value = keyed.get(key)
        part = tdef.by_key.get(key)
        if value is None and part is not None and part.is_sum:
            value, sub = _computed(tdef, part, keyed, free, present)
            if value is None:
                continue
            terms += sub
        elif value is None:
            continue  # an omitted line is 0 (the schedules this module judges print every line or none)
        else:
            terms += 1
        total += sign * value
    return total, terms


def evidence(table: Table, years: list[int], printed_in: str, candidate: str) -> Evidence:
    """Try `candidate` on a table read as `printed_in`: how many of its sum identities hold (within 1 per term)."""
    tdef = TABLES[table.stem]
    result = Evidence(candidate)
    keys = {r.key for r in table.rows if r.key is not None}
    # printed × f(printed_in) is inside; inside × f(printed_in) × f(candidate) is the candidate's reading.
    turn: dict[str | None, int] = dict.fromkeys(keys | {None}, 1) if candidate == printed_in else \
        {k: factor(printed_in, table.stem, k) * factor(candidate, table.stem, k) for k in keys | {None}}
    anchors = ANCHORS.get(table.stem, {})
    for year in years:
        keyed, free = _values(table, year, turn)
        present = {k for k, v in keyed.items() if v is not None}
        for key, sign in anchors.items():
            if keyed.get(key) and (keyed[key] > 0) != (sign > 0):
                result.implausible.append(f"«{table.row(key).label}» {year}")
        ndr, disp = keyed.get("netto_driftsresultat"), keyed.get("sum_disponeringer")
        if "fremfort_merforbruk" not in keyed and ndr is not None and disp is not None and abs(ndr + disp) > 2:
            result.unbalanced += 1
        for line in _sums(tdef):
            printed = keyed.get(line.key)
            if printed is None:
                continue
            computed, terms = _computed(tdef, line, keyed, free, present)
            if computed is None or terms == 0:
                continue
            result.checked += 1
            if abs(Decimal(printed) - Decimal(computed)) > max(terms, 1):
                row = table.row(line.key)
                result.failing.append(f"«{row.label if row else line.label}» {year}")
    return result


# --- the decision ----------------------------------------------------------------------------------------------

@dataclass
class Decision:
    stem: str
    file: str
    declared: str  # the convention the package declares for this table (or the default)
    explicit: bool  # declared in budsjett.toml, not the default
    chosen: str
    tried: dict[str, Evidence]

    def describe(self) -> str:
        """The evidence, in one sentence: how many sums hold with the chosen and with the declared convention."""
        chosen, declared = self.tried[self.chosen], self.tried[self.declared]
        conv = CONVENTIONS[self.chosen]
        text = (f"fortegnene i {self.file} ser ut til å følge «{self.chosen}» ({conv.description}): "
                f"{chosen.holding} av {chosen.checked} summer stemmer da")
        if self.chosen != self.declared:
            text += f", mot {declared.holding} av {declared.checked} med «{self.declared}»"
            if declared.implausible and len(declared.implausible) > len(chosen.implausible):
                text += f", som dessuten gir feil fortegn på {_few(declared.implausible)}"
            elif declared.unbalanced > chosen.unbalanced:
                text += ", som dessuten gir et netto driftsresultat som disponeringene ikke dekker"
        if chosen.failing:
            text += f"; stemmer ikke: {_few(chosen.failing)}"
        return text


def _few(items: list[str], shown: int = 3) -> str:
    more = f" og {len(items) - shown} til" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def detect(tables: list[Table], years: list[int], declared: str, explicit: bool) -> Decision | None:
    """Which convention a table (all its views) follows. None when the table has no identity to try. The declared
    one is kept unless another is strictly better: fewer failing sums, then fewer lines with an impossible sign,
    then fewer years where the result and its disposals do not meet; ties go to the declared, then to the order
    of CONVENTIONS."""
    stem = tables[0].stem
    if not TABLES[stem].signed or stem not in CLASSES:
        return None
    tried: dict[str, Evidence] = {}
    for name in (declared, *(c for c in CONVENTIONS if c != declared)):
        total = Evidence(name)
        for table in tables:
            total.add(evidence(table, years, declared, name))
        tried[name] = total
        if name == declared and (not total.checked or total.rank == (0, 0, 0)):
            break  # nothing to try it on, or nothing can do better: the others are not needed
    if not tried[declared].checked:
        return None
    best = min(tried.values(), key=lambda ev: ev.rank)
    chosen = best.convention if best.rank < tried[declared].rank else declared
    return Decision(stem, tables[0].file, declared, explicit, chosen, tried)


def apply(tables: list[Table], years: list[int], declared: str, chosen: str) -> None:
    """Re-read tables printed in `chosen` that were read as `declared` (in place)."""
    if chosen == declared:
        return
    for table in tables:
        for row in table.rows:
            turn = factor(declared, table.stem, row.key) * factor(chosen, table.stem, row.key)
            if turn != 1:
                row.values = {y: (None if v is None else v * turn + 0) for y, v in row.values.items()}


def normalise(budget: Budget) -> list[Problem]:
    """Detect and apply each signed table's convention, for a budget and its views (the same files). The tables
    arrive read with the package's one flat factor (schemas); they leave in the inside convention. Returns the
    problems (a declared convention the table's identities contradict); notes go to budget.notes."""
    budgets = [budget, *getattr(budget, "views", [])]
    meta = budget.meta
    read_as = "incomes_positive" if meta.sign.factor == -1 else DEFAULT
    problems: list[Problem] = []
    for stem in TABLES:
        tables = [b.tables[stem] for b in budgets if stem in b.tables]
        if not tables or not TABLES[stem].signed:
            continue
        declared, explicit = meta.sign_for(stem)
        years = sorted({y for t in tables for r in t.rows for y in r.values})
        apply(tables, years, read_as, declared)
        decision = detect(tables, years, declared, explicit)
        if decision is None or decision.chosen == declared:
            continue
        if explicit:
            key = f"[sign] {stem}" if meta.sign_tables else "sign"
            problems.append(Problem(
                f"{decision.describe()}; sett `{key} = \"{decision.chosen}\"` i budsjett.toml "
                f"(deklarert: «{declared}», {CONVENTIONS[declared].description})", file=decision.file, table=stem))
            continue
        apply(tables, years, declared, decision.chosen)
        budget.notes.append(f"{decision.describe()}; lest slik (sett `sign` i budsjett.toml for å bestemme det selv)")
    return problems
