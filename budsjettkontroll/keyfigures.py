"""Handlingsregler: the key figures a kommune sets its finansielle måltall on (kommuneloven § 14-2 bokstav c),
the balances behind them rolled forward, and the kommune's policy pack's verdict on each.

Every key figure is a derived figure (@figure) whose docstring is its definition, so `budsjettkontroll explain
ID` shows it. Breaches of a kommune's own måltall are warnings, never errors: they are political targets, not law.
This module is a section provider (see budsjettkontroll.section_providers): `packs()` and `add_sections()`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .derive import FIGURES, Facts, figure, line_fact_names, location_of
from .findings import FAIL, NOT_EVALUATED, PASS, Finding, to_json
from .numbers import format_amount
from .policy import BAND_WORD, LEVEL, Policy, PolicyRule, classify, load_policy, number_with_unit, policy_for

HUNDRED = Decimal(100)
PCT = "%"
KR_M2 = "kr per m2"
KR1000 = "1000 kr"
SECTION = "key_figures"
POLICY_SECTION = "handlingsregler"
LEVEL_WORD = {"unacceptable": "ikke godkjent", "acceptable": "laveste akseptable", "target": "ønsket",
              "not_evaluated": "ikke vurdert"}
FORSKRIFT_5_7 = {"text": "budsjett- og regnskapsforskriften § 5-7 (oversikt over gjeld og andre vesentlige "
                         "langsiktige forpliktelser)", "url": "https://lovdata.no/forskrift/2019-06-07-714/§5-7"}


def describe(name: str) -> str:
    """derive.describe, imported late: derive imports this module before it defines describe."""
    from .derive import describe as _describe

    return _describe(name)


# --- reading facts safely ---------------------------------------------------------------------------------------

def fact(f: Facts, name: str, year: int | None) -> Any:
    """A fact in a year of the package; None for a year the package does not have."""
    if year is None or year not in f.years:
        return None
    return f.get(name, year)


def first(f: Facts, year: int | None, *names: str) -> Any:
    for name in names:
        value = fact(f, name, year)
        if value is not None:
            return value
    return None


def percent(numerator: Any, denominator: Any) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return Decimal(numerator) * HUNDRED / Decimal(denominator)


# --- balances rolled forward ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Balance:
    """A balance (UB) the document states for some years; other years roll forward with the budget's movements."""

    figure: str
    name: str
    stated: tuple[str, ...]  # facts holding a stated UB; the first given wins
    movement: tuple[tuple[str, int, str], ...]  # (fact, sign, Norwegian word): UB(t) = UB(t-1) + Σ sign × fact(t)
    check_rule: str
    check_title: str
    references: tuple[dict[str, str], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        """What the figure of this balance reads (its edges in the dependency graph)."""
        return (*self.stated, *(name for name, _, _ in self.movement))


DISPOSISJONSFOND = Balance(
    "disposisjonsfond_ub", "disposisjonsfond (UB)", ("nt_disposisjonsfond_ub",),
    (("drift_netto_disposisjonsfond", 1, "avsetninger − bruk av disposisjonsfond (§ 5-4)"),),
    "NT-disposisjonsfond-fremskriving", "Disposisjonsfond (UB) stemmer med avsetninger og bruk i § 5-4",
    ({"text": "budsjett- og regnskapsforskriften § 5-4 (avsetninger til og bruk av disposisjonsfond)",
      "url": "https://lovdata.no/forskrift/2019-06-07-714/§5-4"},))
LANEGJELD = Balance(
    "lanegjeld_ub", "lånegjeld ekskl. startlån (UB)", ("gjeld_investeringslan", "nt_lanegjeld_ekskl_videreutlan"),
    (("inv_bruk_av_lan", -1, "bruk av lån (§ 5-5)"), ("drift_avdrag", -1, "avdrag (§ 5-4)"),
     ("inv_avdrag_lan", -1, "avdrag i investering (§ 5-5)")),
    "NT-lanegjeld-mot-gjeldsoversikt", "Lånegjeld (UB) i gjeldsoversikten stemmer med låneopptak og avdrag",
    (FORSKRIFT_5_7,))
STARTLAN = Balance(
    "startlan_ub", "startlån/lån til videreutlån (UB)", ("gjeld_startlan",),
    (("inv_bruk_lan_videreutlan", -1, "bruk av lån til videreutlån (§ 5-5)"),
     ("inv_avdrag_lan_videreutlan", -1, "avdrag på lån til videreutlån (§ 5-5)")),
    "NT-startlan-mot-gjeldsoversikt", "Startlån (UB) i gjeldsoversikten stemmer med låneopptak og avdrag",
    (FORSKRIFT_5_7,))
BALANCES = (DISPOSISJONSFOND, LANEGJELD, STARTLAN)


def stated_balance(f: Facts, bal: Balance, year: int | None) -> Any:
    return first(f, year, *bal.stated)


def movement(f: Facts, bal: Balance, year: int) -> Any:
    values = [fact(f, name, year) for name, _, _ in bal.movement]
    if any(v is None for v in values):
        return None
    return sum(sign * v for (_, sign, _), v in zip(bal.movement, values))


def rolled(f: Facts, bal: Balance, year: int | None) -> tuple[Any, int | None]:
    """(UB in `year`, the year of the stated UB it comes from); (None, None) when it cannot be derived.
    Years before the first stated value are not derived: a balance is never rolled backwards."""
    if year is None or year not in f.years:
        return None, None
    value = stated_balance(f, bal, year)
    if value is not None:
        return value, year
    previous, origin = rolled(f, bal, year - 1)
    change = movement(f, bal, year)
    if previous is None or change is None:
        return None, None
    return previous + change, origin


def balance_missing(f: Facts, bal: Balance, year: int) -> list[str]:
    """What is missing for a balance in a year, named as the reader knows it."""
    if stated_balance(f, bal, year) is not None:
        return []
    earlier = [y for y in f.years if y < year and stated_balance(f, bal, y) is not None]
    if not earlier:
        return [f"{describe(bal.stated[0])} for {year} eller et tidligere år (saldoen fremskrives bare framover)"]
    missing = []
    for y in range(max(earlier) + 1, year + 1):
        for name, _, _ in bal.movement:
            if fact(f, name, y) is None:
                missing.append(f"{describe(name)} for {y}")
    return missing


def rounding_unit(f: Facts, bal: Balance) -> int:
    """The precision the stated balances are printed with (100 000 when given in mrd. kr with one decimal):
    as budsjett.toml states it under [precision] for the table, else read off the digits of the stated values."""
    stems = {line_fact_names()[name][0].stem for name in bal.stated if name in line_fact_names()}
    declared = [f.budget.meta.precision[s] for s in stems if s in f.budget.meta.precision]
    if declared:
        return max(declared)
    values = [stated_balance(f, bal, y) for y in f.years]
    values = [int(v) for v in values if v is not None and v == int(v) and v != 0]
    if not values:
        return 1
    unit = 1
    while unit < 1_000_000 and all(v % (unit * 10) == 0 for v in values):
        unit *= 10
    return unit


# --- the key figures ----------------------------------------------------------------------------------------------

@figure("brutto_driftsinntekter", label="brutto driftsinntekter («Sum driftsinntekter» i drift_art.csv, § 5-6)",
        inputs=("art_sum_driftsinntekter",))
def brutto_driftsinntekter(f: Facts, year: int) -> Any:
    """Brutto driftsinntekter: «Sum driftsinntekter» in § 5-6 (økonomisk oversikt drift etter art) as a positive
    amount (incomes are negative internally). The denominator of every key figure in per cent."""
    value = fact(f, "art_sum_driftsinntekter", year)
    return None if value is None else -value


@figure("netto_driftsresultat_pst", unit=PCT, label="netto driftsresultat i prosent av brutto driftsinntekter",
        inputs=("art_netto_driftsresultat", "drift_netto_driftsresultat", "brutto_driftsinntekter"))
def netto_driftsresultat_pst(f: Facts, year: int) -> Decimal | None:
    """Netto driftsresultat ÷ brutto driftsinntekter × 100, signed so that a surplus is a positive percentage:
    −«Netto driftsresultat» (§ 5-6, else § 5-4) ÷ −«Sum driftsinntekter» (§ 5-6) × 100. Internally a surplus and
    incomes are both negative, so both signs are turned. TBU recommends at least 1,75 % for kommuner."""
    result = first(f, year, "art_netto_driftsresultat", "drift_netto_driftsresultat")
    return percent(None if result is None else -result, fact(f, "brutto_driftsinntekter", year))


@figure("disposisjonsfond_ub", label="disposisjonsfond (UB), oppgitt eller fremskrevet",
        inputs=DISPOSISJONSFOND.inputs)
def disposisjonsfond_ub(f: Facts, year: int) -> Any:
    """Disposisjonsfond at 31.12: nøkkeltall «Disposisjonsfond (UB)» where the package states it; otherwise
    UB(t) = UB(t−1) + avsetninger til disposisjonsfond + bruk av disposisjonsfond (§ 5-4; bruk is negative
    internally, so the formula reads UB(t−1) + avsetninger − bruk). Not derived for years before the first stated
    value."""
    return rolled(f, DISPOSISJONSFOND, year)[0]


@figure("disposisjonsfond_pst", unit=PCT, label="disposisjonsfond i prosent av brutto driftsinntekter",
        inputs=("disposisjonsfond_ub", "brutto_driftsinntekter"))
def disposisjonsfond_pst(f: Facts, year: int) -> Decimal | None:
    """Disposisjonsfond (UB, oppgitt eller fremskrevet: see disposisjonsfond_ub) ÷ brutto driftsinntekter × 100."""
    return percent(fact(f, "disposisjonsfond_ub", year), fact(f, "brutto_driftsinntekter", year))


@figure("lanegjeld_ub", label="lånegjeld ekskl. startlån (UB), oppgitt eller fremskrevet",
        inputs=LANEGJELD.inputs)
def lanegjeld_ub(f: Facts, year: int) -> Any:
    """Lånegjeld at 31.12 excluding startlån/lån til videreutlån: § 5-7 «Lån til finansiering investeringer»
    (gjeld.csv), else nøkkeltall «Lånegjeld ekskl. videreutlån (UB)»; otherwise UB(t) = UB(t−1) + bruk av lån
    (§ 5-5) − avdrag på lån (§ 5-4) − avdrag i investering (§ 5-5)."""
    return rolled(f, LANEGJELD, year)[0]


@figure("startlan_ub", label="startlån/lån til videreutlån (UB), oppgitt eller fremskrevet",
        inputs=STARTLAN.inputs)
def startlan_ub(f: Facts, year: int) -> Any:
    """Startlån (lån til videreutlån) at 31.12: § 5-7 «Startlån» (gjeld.csv); otherwise UB(t) = UB(t−1) + bruk av
    lån til videreutlån − avdrag på lån til videreutlån (§ 5-5)."""
    return rolled(f, STARTLAN, year)[0]


@figure("gjeldsgrad", unit=PCT, label="gjeldsgrad: netto lånegjeld ekskl. startlån i prosent av brutto driftsinntekter",
        inputs=("lanegjeld_ub", "brutto_driftsinntekter"))
def gjeldsgrad(f: Facts, year: int) -> Decimal | None:
    """Netto lånegjeld ÷ brutto driftsinntekter × 100, with netto lånegjeld = lånegjeld (UB) excluding startlån
    (lån til videreutlån, which the borrowers repay): see lanegjeld_ub. Utlån av egne midler and ubrukte
    lånemidler are not deducted (a budget package does not give them). «Gjeldsgrad» is no standardised KOSTRA
    term; a pack that counts startlån uses gjeldsgrad_inkl_startlan instead."""
    return percent(fact(f, "lanegjeld_ub", year), fact(f, "brutto_driftsinntekter", year))


@figure("gjeldsgrad_inkl_startlan", unit=PCT, label="gjeldsgrad med startlån i prosent av brutto driftsinntekter",
        inputs=("lanegjeld_ub", "startlan_ub", "brutto_driftsinntekter"))
def gjeldsgrad_inkl_startlan(f: Facts, year: int) -> Decimal | None:
    """(Lånegjeld ekskl. startlån + startlån) (UB) ÷ brutto driftsinntekter × 100: all lånegjeld, as § 5-7
    «Sum lånegjeld»; see lanegjeld_ub and startlan_ub."""
    debt, start = fact(f, "lanegjeld_ub", year), fact(f, "startlan_ub", year)
    return percent(None if debt is None or start is None else debt + start, fact(f, "brutto_driftsinntekter", year))


@figure("vedlikehold_per_m2", unit=KR_M2, label="verdibevarende vedlikehold av eide formålsbygg (kr per m2)",
        inputs=("nt_vedlikehold_per_m2",))
def vedlikehold_per_m2(f: Facts, year: int) -> Any:
    """Budsjettert verdibevarende vedlikehold of eide formålsbygg in kr per m2: nøkkeltall «Vedlikehold eide
    formålsbygg (kr per m2)» as the package states it. A year without a stated value is not evaluated: the
    schedules do not show vedlikehold, and the value is never interpolated."""
    return fact(f, "nt_vedlikehold_per_m2", year)


@figure("egenfinansiering_pst", unit=PCT, label="egenfinansiering av investeringene i prosent",
        inputs=("bruk_av_lan", "inv_sum_investeringsutgifter"))
def egenfinansiering_pst(f: Facts, year: int) -> Decimal | None:
    """(1 − bruk av lån ÷ investeringsutgifter) × 100 for the year: «Bruk av lån» and «Sum investeringsutgifter»
    in § 5-5. Startlån (videreutlån) is outside both. Not evaluated when there are no investeringsutgifter."""
    loans, spending = fact(f, "bruk_av_lan", year), fact(f, "inv_sum_investeringsutgifter", year)
    if loans is None or spending is None or spending <= 0:
        return None
    return HUNDRED - percent(loans, spending)


@figure("egenfinansiering_pst_periode", unit=PCT, per_year=False,
        label="egenfinansiering av investeringene i prosent, hele økonomiplanperioden",
        inputs=("meta:years", "bruk_av_lan", "inv_sum_investeringsutgifter"))
def egenfinansiering_pst_periode(f: Facts, year: None) -> Decimal | None:
    """(1 − Σ bruk av lån ÷ Σ investeringsutgifter) × 100 over every økonomiplan year (§ 5-5)."""
    plan = f.budget.meta.plan_years
    loans = [fact(f, "bruk_av_lan", y) for y in plan]
    spending = [fact(f, "inv_sum_investeringsutgifter", y) for y in plan]
    if any(v is None for v in loans + spending) or sum(spending) <= 0:
        return None
    return HUNDRED - percent(sum(loans), sum(spending))


@figure("rente_og_avdragsbelastning_pst", unit=PCT, label="renteutgifter og avdrag i prosent av brutto driftsinntekter",
        inputs=("art_renteutgifter", "drift_renteutgifter", "art_avdrag", "drift_avdrag", "brutto_driftsinntekter"))
def rente_og_avdragsbelastning_pst(f: Facts, year: int) -> Decimal | None:
    """(Renteutgifter + avdrag på lån) ÷ brutto driftsinntekter × 100, gross: renteinntekter and utbytte are not
    deducted (§ 5-6, else § 5-4)."""
    interest = first(f, year, "art_renteutgifter", "drift_renteutgifter")
    repayment = first(f, year, "art_avdrag", "drift_avdrag")
    total = None if interest is None or repayment is None else interest + repayment
    return percent(total, fact(f, "brutto_driftsinntekter", year))


@dataclass(frozen=True)
class KeyFigure:
    """A key figure in the report: which derived figure, its Norwegian name, and what it is built from."""

    id: str
    name: str
    inputs: tuple[str, ...]  # facts it reads directly, to name what is missing
    balance: Balance | None = None
    stated: str | None = None  # nøkkeltall fact with the document's own figure
    decimals: int = 1
    short: str = ""  # the row label in the terminal table

    @property
    def unit(self) -> str:
        return FIGURES[self.id].unit

    @property
    def per_year(self) -> bool:
        return FIGURES[self.id].per_year

    @property
    def formula(self) -> str:
        return " ".join(FIGURES[self.id].doc.split())


_NDR = ("art_netto_driftsresultat", "art_sum_driftsinntekter")
KEY_FIGURES: dict[str, KeyFigure] = {k.id: k for k in (
    KeyFigure("netto_driftsresultat_pst", "Netto driftsresultat i % av brutto driftsinntekter", _NDR,
              stated="nt_netto_driftsresultat_oppgitt", short="Netto driftsresultat (%)"),
    KeyFigure("disposisjonsfond_pst", "Disposisjonsfond i % av brutto driftsinntekter", ("art_sum_driftsinntekter",),
              balance=DISPOSISJONSFOND, short="Disposisjonsfond (%)"),
    KeyFigure("gjeldsgrad", "Gjeldsgrad (netto lånegjeld ekskl. startlån i % av brutto driftsinntekter)",
              ("art_sum_driftsinntekter",), balance=LANEGJELD, stated="nt_gjeldsgrad_oppgitt",
              short="Gjeldsgrad, ekskl. startlån (%)"),
    KeyFigure("gjeldsgrad_inkl_startlan", "Gjeldsgrad med startlån (i % av brutto driftsinntekter)",
              ("art_sum_driftsinntekter",), balance=STARTLAN, stated="nt_gjeldsgrad_oppgitt",
              short="Gjeldsgrad, inkl. startlån (%)"),
    KeyFigure("vedlikehold_per_m2", "Verdibevarende vedlikehold eide formålsbygg (kr per m2)",
              ("nt_vedlikehold_per_m2",), decimals=0, short="Vedlikehold formålsbygg (kr/m2)"),
    KeyFigure("egenfinansiering_pst", "Egenfinansiering av investeringer (%)", ("inv_bruk_av_lan",
                                                                               "inv_sum_investeringsutgifter"),
              short="Egenfinansiering (%)"),
    KeyFigure("egenfinansiering_pst_periode", "Egenfinansiering av investeringer, hele perioden (%)",
              ("inv_bruk_av_lan", "inv_sum_investeringsutgifter"), short="Egenfinansiering, perioden (%)"),
    KeyFigure("rente_og_avdragsbelastning_pst", "Renteutgifter og avdrag i % av brutto driftsinntekter",
              ("art_renteutgifter", "art_avdrag", "art_sum_driftsinntekter"), short="Renter og avdrag (%)"),
    KeyFigure("disposisjonsfond_ub", "Disposisjonsfond (UB)", (), balance=DISPOSISJONSFOND, decimals=0,
              short="Disposisjonsfond UB (1000 kr)"),
    KeyFigure("lanegjeld_ub", "Lånegjeld ekskl. startlån (UB)", (), balance=LANEGJELD, decimals=0,
              short="Lånegjeld ekskl. startlån UB"),
    KeyFigure("startlan_ub", "Startlån (UB)", (), balance=STARTLAN, decimals=0, short="Startlån UB (1000 kr)"),
)}


def missing_inputs(f: Facts, kf: KeyFigure, year: int | None) -> list[str]:
    """Name what keeps a key figure from being computed (for «Ikke vurdert: mangler …»)."""
    years = [year] if year is not None else f.budget.meta.plan_years
    missing: list[str] = []
    for y in years:
        if kf.balance is not None:
            missing += balance_missing(f, kf.balance, y)
            if kf.id == "gjeldsgrad_inkl_startlan":
                missing += balance_missing(f, LANEGJELD, y)
        for name in kf.inputs:
            if fact(f, name, y) is None and not (name == "art_netto_driftsresultat"
                                                  and fact(f, "drift_netto_driftsresultat", y) is not None):
                missing.append(f"{describe(name)} for {y}")
        if kf.id.startswith("egenfinansiering") and not missing:
            spending = fact(f, "inv_sum_investeringsutgifter", y)
            if spending is not None and spending <= 0 and year is not None:
                missing.append(f"investeringsutgifter i {y} (ingen å finansiere)")
    return list(dict.fromkeys(missing)) or ["grunnlaget"]


def origin(f: Facts, kf: KeyFigure, year: int | None) -> str:
    """beregnet · oppgitt · fremskrevet fra ÅR: how the balance behind the figure was found."""
    if kf.balance is None or year is None:
        return "beregnet"
    value, start = rolled(f, kf.balance, year)
    if value is None:
        return "beregnet"
    if start == year:
        return "oppgitt" if kf.id == kf.balance.figure else "beregnet fra oppgitt saldo"
    return f"fremskrevet fra {start}"


def rounded(kf: KeyFigure, value: Any) -> Any:
    """The value as JSON carries it: percentages to two decimals, kr per m2 as given, 1000 kr whole."""
    if value is None:
        return None
    if kf.unit == PCT:
        return Decimal(value).quantize(Decimal("0.01"))
    if kf.unit == KR1000:
        return int(Decimal(value).to_integral_value())
    return value


def shown(kf: KeyFigure, value: Any) -> str:
    """As a person writes it: 0,8 %, 127, 1 100 000."""
    if value is None:
        return "–"
    if kf.unit == KR1000:
        return format_amount(int(Decimal(value).to_integral_value()))
    quantum = Decimal(1).scaleb(-kf.decimals)
    text = f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):f}".replace(".", ",")
    return f"{text} %" if kf.unit == PCT else text


def shown_stated(kf: KeyFigure, value: Any) -> str:
    """The document's own figure as it printed it (103 %, not 103,0 %)."""
    return "–" if value is None else number_with_unit(value, kf.unit if kf.unit == PCT else "")


def with_unit(kf: KeyFigure, value: Any) -> str:
    """For sentences: 127 kr per m2, 0,8 %, 1 100 000 (1000 kr)."""
    text = shown(kf, value)
    return f"{text} {kf.unit}" if kf.unit == KR_M2 and value is not None else text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- the section --------------------------------------------------------------------------------------------------

@dataclass
class KeyFigureValue:
    """One key figure in one plan year (year None: the whole period), judged by the policy pack if it has a rule."""

    figure: KeyFigure
    year: int | None
    value: Any
    level: str  # unacceptable | acceptable | target | not_evaluated
    band: str | None  # the band as the pack names it, e.g. «ikke godkjent», «under målet»
    rule: PolicyRule | None
    references: list[dict[str, str]]
    stated: Any
    source: str
    missing: list[str] = field(default_factory=list)
    band_key: str | None = None  # ikke_godkjent | laveste_akseptable | onsket

    def as_json(self) -> dict[str, Any]:
        kf = self.figure
        return {
            "id": kf.id, "name": kf.name, "year": self.year, "value": to_json(rounded(kf, self.value)),
            "shown": with_unit(kf, self.value), "unit": kf.unit, "level": self.level, "band": self.band, "rule": self.rule.id if self.rule else None,
            "references": self.references, "formula": kf.formula, "stated": to_json(self.stated),
            "source": self.source, "missing": self.missing,
        }


@dataclass
class KeyFiguresSection:
    """The key figures × plan years, each with its band under the kommune's handlingsregler.

    `as_json()` (the JSON report's `key_figures`, also read by `amend` for before/after) returns a list with one
    dict per key figure and plan year, in report order; a whole-period figure has `year: null`. Stable fields:
      id          key figure id (netto_driftsresultat_pst, disposisjonsfond_pst, gjeldsgrad, gjeldsgrad_inkl_startlan,
                  vedlikehold_per_m2, egenfinansiering_pst, egenfinansiering_pst_periode,
                  rente_og_avdragsbelastning_pst, disposisjonsfond_ub, lanegjeld_ub, startlan_ub)
      name        Norwegian name;  formula: the definition (the figure's docstring)
      year        plan year, or null for the whole period
      value       number (per cent rounded to 2 decimals, kr per m2 as given, 1000 kr whole) or null
      unit        "%", "kr per m2" or "1000 kr"
      level       unacceptable | acceptable | target | not_evaluated (not_evaluated: an input is missing, or
                  `rule` is null because the pack sets no target for this figure)
      band        the band's Norwegian name in the pack (ikke godkjent, laveste akseptable, ønsket …) or null
      rule        id of the policy rule that judged it, or null
      references  the council decision (and other sources) behind the rule; [] when no rule
      stated      the document's own figure for that year (nøkkeltall.csv), or null
      source      beregnet | oppgitt | beregnet fra oppgitt saldo | fremskrevet fra ÅR
      missing     what is missing when value is null (Norwegian descriptions)
    Levels are decided on the unrounded value.
    """

    policy: Policy
    plan_years: list[int]
    values: list[KeyFigureValue]
    notes: list[str]

    def as_json(self) -> list[dict[str, Any]]:
        return [v.as_json() for v in self.values]

    def get(self, figure_id: str, year: int | None) -> KeyFigureValue | None:
        for v in self.values:
            if v.figure.id == figure_id and v.year == year:
                return v
        return None

    def render_terminal(self, console, result) -> None:
        from rich.table import Table
        from rich.text import Text

        period = any(not v.figure.per_year for v in self.values)
        table = Table(title=f"Handlingsregler og nøkkeltall ({self.policy.spec.title})", title_justify="left",
                      caption="Prosent av brutto driftsinntekter (§ 5-6 «Sum driftsinntekter»); saldoer per 31.12.",
                      caption_justify="left")
        table.add_column("Nøkkeltall", overflow="fold", ratio=2)
        for year in self.plan_years:
            table.add_column(str(year), justify="right")
        if period:
            table.add_column("Perioden", justify="right", overflow="fold")
        columns = [*self.plan_years, *([None] if period else [])]
        by_figure: dict[str, dict[int | None, KeyFigureValue]] = defaultdict(dict)
        for v in self.values:
            by_figure[v.figure.id][v.year] = v
        last_stated = None
        for figure_id, cells in by_figure.items():
            kf = KEY_FIGURES[figure_id]
            label = kf.short or kf.name
            row = []
            for year in columns:
                cell = cells.get(year)
                if cell is None:
                    row.append(Text(""))
                    continue
                text = Text(shown(kf, cell.value))
                if cell.rule is not None:
                    text.append("\n" + (cell.band or LEVEL_WORD[cell.level]), style=LEVEL_STYLE[cell.level])
                elif cell.source.startswith("fremskrevet"):
                    text.append("\nfremskrevet", style="dim")
                row.append(text)
            table.add_row(label, *row)
            if kf.stated and kf.stated != last_stated and any(c.stated is not None for c in cells.values()):
                table.add_row(Text("  oppgitt i dokumentet", style="dim"),
                              *(Text(shown_stated(kf, cells[y].stated) if y in cells else "", style="dim")
                                for y in columns))
            last_stated = kf.stated or last_stated
        console.print(table)
        for note in self.notes:
            console.print(f"[dim]Merk: {note}", highlight=False)


LEVEL_STYLE = {"unacceptable": "bold red", "acceptable": "yellow", "target": "green", "not_evaluated": "dim"}


@dataclass
class Verdict:
    rule: PolicyRule
    text: str
    met: int
    evaluated: int
    years: dict[str, str]  # year (or "perioden") → level
    met_every_year: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.rule.id, "title": self.rule.title, "figure": self.rule.figure, "verdict": self.text,
                "met": self.met, "evaluated": self.evaluated, "levels": self.years,
                "met_in_every_evaluated_year": self.met_every_year}


@dataclass
class PolicySection:
    """The policy pack in use and a one-line verdict per rule («oppnås i 2 av 4 år»).

    `as_json()` (the JSON report's `handlingsregler`): {pack, version, title, kommune, file, decision, rules: [{id,
    title, figure, verdict, met, evaluated, levels {year: level}, met_in_every_evaluated_year}], summary: {met,
    rules, text}}. «Oppnås» means at least laveste akseptable (not «ikke godkjent»); summary.met counts the rules
    met in every year that could be evaluated."""

    policy: Policy
    verdicts: list[Verdict]

    @property
    def summary(self) -> dict[str, Any]:
        judged = [v for v in self.verdicts if v.evaluated]
        met = [v for v in judged if v.met_every_year]
        text = (f"{len(met)} av {len(self.verdicts)} måltall oppnås i hele perioden"
                + (f" ({', '.join(v.rule.title.lower() for v in met)})" if met else "")
                + (f"; {len(self.verdicts) - len(judged)} kunne ikke vurderes" if len(judged) < len(self.verdicts) else ""))
        return {"met": len(met), "rules": len(self.verdicts), "text": text}

    def as_json(self) -> dict[str, Any]:
        spec = self.policy.spec
        return {"pack": spec.policy, "version": spec.version, "title": spec.title, "kommune": spec.kommune,
                "file": str(self.policy.path), "decision": spec.decision.model_dump(exclude_none=True),
                "rules": [v.as_json() for v in self.verdicts], "summary": self.summary}

    def render_terminal(self, console, result) -> None:
        from rich.text import Text

        console.print(Text(f"Handlingsregler: {self.summary['text']}.", style="bold"))
        for v in self.verdicts:
            style = "green" if v.met_every_year and v.evaluated else ("red" if v.evaluated else "dim")
            line = Text(f"  • {v.rule.title}: {v.text} ", style=style)
            line.append(f"[{v.rule.id}]", style="dim")
            console.print(line)


# --- provider interface -------------------------------------------------------------------------------------------

def packs(budget, policy: str | None) -> list[str]:
    """No rule packs of the rule-engine kind: the policy pack has its own format. Loading it here refuses a broken
    or missing pack before any report is written (exit 2)."""
    policy_for(budget, policy)
    return []


def add_sections(result) -> None:
    """Key figures, their bands and verdicts, and the roll-forward checks, added to the check result."""
    policy = policy_for(result.budget, getattr(result, "policy", None))
    facts = result.facts
    plan = facts.budget.meta.plan_years
    judged_by = {rule.figure: rule for rule in policy.spec.rules}
    values: list[KeyFigureValue] = []
    for kf in KEY_FIGURES.values():
        for year in (plan if kf.per_year else [None]):
            values.append(_value(facts, policy, kf, judged_by.get(kf.id), year))
    findings = _policy_findings(facts, policy, values) + _balance_findings(facts)
    options = getattr(result, "options", None)
    if options is not None:
        from .rules.engine import _wanted

        findings = [f for f in findings if _wanted(f.rule, options)]
    result.findings.extend(findings)
    result.sections[SECTION] = KeyFiguresSection(policy, plan, values, _notes(facts, values))
    result.sections[POLICY_SECTION] = PolicySection(policy, [_verdict(policy, rule, values, plan)
                                                             for rule in policy.spec.rules])


def _value(f: Facts, policy: Policy, kf: KeyFigure, rule: PolicyRule | None, year: int | None) -> KeyFigureValue:
    value = f.get(kf.id, year)
    stated = fact(f, kf.stated, year) if kf.stated else None
    missing = missing_inputs(f, kf, year) if value is None else []
    if value is None or rule is None:
        return KeyFigureValue(kf, year, value, "not_evaluated", None, rule, policy.references(rule) if rule else [],
                              stated, origin(f, kf, year), missing)
    band = classify(rule, value)
    label = getattr(rule.bands, band).label or BAND_WORD[band]
    return KeyFigureValue(kf, year, value, LEVEL[band], label, rule, policy.references(rule), stated,
                          origin(f, kf, year), band_key=band)


def _location(f: Facts, kf: KeyFigure) -> tuple[str | None, int | None]:
    candidates = list(kf.inputs) + ([kf.balance.stated[0]] if kf.balance else []) + ["drift_netto_driftsresultat"]
    return location_of(f, candidates)


def _policy_findings(f: Facts, policy: Policy, values: list[KeyFigureValue]) -> list[Finding]:
    findings = []
    for v in values:
        rule = v.rule
        if rule is None:
            continue
        kf = v.figure
        file, line = _location(f, kf)
        when = f"i {v.year}" if v.year is not None else f"for perioden {_period(f)}"
        base = dict(rule=rule.id, title=rule.title, severity="warning", year=v.year, references=v.references,
                    file=file, line=line, group="Handlingsregler", pack=policy.pack_name)
        if v.value is None:
            findings.append(Finding(status=NOT_EVALUATED, missing=v.missing, values={kf.id: None},
                                    message=f"Ikke vurdert: mangler {'; '.join(v.missing)}", **base))
            continue
        band = getattr(rule.bands, v.band_key)
        target = rule.bands.onsket.describe(kf.unit)
        stated = f" (dokumentet oppgir {shown_stated(kf, v.stated)})" if v.stated is not None else ""
        head = f"{rule.title} {when}: {with_unit(kf, v.value)}{stated}"
        if v.level == "unacceptable":
            floor = rule.bands.laveste_akseptable
            need = f"; laveste akseptable er {floor.describe(kf.unit)}" if floor is not None else ""
            message = f"{head} er {v.band} ({band.describe(kf.unit)}){need}; ønsket er {target}."
        elif v.level == "acceptable":
            message = f"{head}: {v.band} nivå ({band.describe(kf.unit)}), ikke ønsket nivå ({target})."
        else:
            message = f"{head}: {v.band} nivå ({band.describe(kf.unit)})."
        findings.append(Finding(status=FAIL if v.level == "unacceptable" else PASS, message=message,
                                values={kf.id: rounded(kf, v.value), "nivå": v.level, "oppgitt": v.stated}, **base))
    return findings


def _period(f: Facts) -> str:
    plan = f.budget.meta.plan_years
    if not plan:  # an årsregnskap: no plan period to judge
        return "ingen planår"
    return f"{plan[0]}–{plan[-1]}" if len(plan) > 1 else str(plan[0])


def _verdict(policy: Policy, rule: PolicyRule, values: list[KeyFigureValue], plan: list[int]) -> Verdict:
    cells = [v for v in values if v.rule is rule]
    levels = {("perioden" if v.year is None else str(v.year)): v.level for v in cells}
    evaluated = [v for v in cells if v.level != "not_evaluated"]
    met = [v for v in evaluated if v.level != "unacceptable"]
    by_level: dict[str, list[str]] = defaultdict(list)
    for v in cells:
        by_level[v.level].append("perioden" if v.year is None else str(v.year))
    detail = "; ".join(f"{(next((c.band for c in cells if c.level == lvl and c.band), LEVEL_WORD[lvl]))} i "
                       f"{', '.join(years)}" for lvl, years in
                       sorted(by_level.items(), key=lambda kv: ("unacceptable", "acceptable", "target",
                                                                 "not_evaluated").index(kv[0])))
    if cells and cells[0].year is None:
        kf = cells[0].figure
        value = cells[0]
        if value.level == "not_evaluated":
            text = f"ikke vurdert for perioden (mangler {'; '.join(value.missing)})"
        else:
            text = (f"{'oppnås' if met else 'oppnås ikke'} for perioden {plan[0]}–{plan[-1]} "
                    f"({shown(kf, value.value)}: {value.band})")
    elif len(evaluated) == len(cells):
        text = f"oppnås i {len(met)} av {len(cells)} år ({detail})"
    else:
        text = f"oppnås i {len(met)} av {len(evaluated)} vurderte år av {len(cells)} ({detail})"
    return Verdict(rule, text, len(met), len(evaluated), levels, bool(evaluated) and len(met) == len(evaluated))


def _balance_findings(f: Facts) -> list[Finding]:
    """Where the package states a balance for a year, it must equal the previous UB plus the year's movements
    (within the precision the balances are printed with)."""
    findings = []
    for bal in BALANCES:
        unit = rounding_unit(f, bal)
        for year in f.years:
            stated = stated_balance(f, bal, year)
            if stated is None:
                continue
            source = bal.stated[0] if fact(f, bal.stated[0], year) is not None else bal.stated[1]
            tdef, ldef = line_fact_names()[source]
            table = f.table(tdef.stem)
            row = table.row(ldef.key) if table else None
            base = dict(rule=bal.check_rule, title=bal.check_title, severity="warning", year=year,
                        references=[dict(r) for r in bal.references], file=str(f.budget.files.get(tdef.stem, tdef.stem)),
                        line=row.line if row else None, group="Nøkkeltall", pack="nokkeltall")
            previous, start = rolled(f, bal, year - 1)
            change = movement(f, bal, year)
            if previous is None or change is None:
                missing = balance_missing(f, bal, year - 1) if previous is None else \
                    [f"{describe(n)} for {year}" for n, _, _ in bal.movement if fact(f, n, year) is None]
                findings.append(Finding(status=NOT_EVALUATED, missing=missing, values={"oppgitt": stated},
                                        message=f"Ikke vurdert: mangler {'; '.join(missing)}", **base))
                continue
            expected = previous + change
            deviation = stated - expected
            tolerance = max(unit, int(f.tolerance_per_term) * (len(bal.movement) + 1))
            terms = " ".join(f"{'+' if sign * fact(f, n, year) >= 0 else '−'} {word} "
                             f"{format_amount(abs(fact(f, n, year)))}" for n, sign, word in bal.movement
                             if fact(f, n, year) != 0)
            prev_word = "oppgitt" if start == year - 1 else f"fremskrevet fra {start}"
            sum_text = (f"UB {year - 1} {format_amount(previous)} ({prev_word}) {terms} = {format_amount(expected)}")
            ok = abs(deviation) <= tolerance
            why = f"toleranse {format_amount(tolerance)}" + (
                f" fordi saldoene er oppgitt avrundet til {format_amount(unit)}" if unit > 1 else "")
            message = (f"{upper_first(bal.name)} {year} er oppgitt til {format_amount(stated)} i {tdef.stem}.csv; "
                       f"{sum_text} (avvik {format_amount(deviation)}, {why}).")
            findings.append(Finding(status=PASS if ok else FAIL, message=message,
                                    values={"oppgitt": stated, "fremskrevet": expected, "avvik": deviation,
                                            "toleranse": tolerance}, **base))
    return findings


def _notes(f: Facts, values: list[KeyFigureValue]) -> list[str]:
    """What a reader must know to trust the table: roll-forwards, definitions, and where the document differs."""
    notes = []
    for bal in BALANCES:
        rolled_years = [v.year for v in values if v.figure.id == bal.figure and v.source.startswith("fremskrevet")]
        if rolled_years:
            start = rolled(f, bal, rolled_years[0])[1]
            notes.append(f"{upper_first(bal.name)} er oppgitt for {start} ({format_amount(stated_balance(f, bal, start))}) "
                         f"og fremskrevet for {', '.join(map(str, rolled_years))} med "
                         f"{', '.join(w for _, _, w in bal.movement)}.")
    for kf in KEY_FIGURES.values():
        if not kf.stated or kf.id == "gjeldsgrad_inkl_startlan":
            continue
        pairs = [(v.year, v.value, v.stated) for v in values if v.figure is kf and v.value is not None
                 and v.stated is not None]
        differs = [(y, c, s) for y, c, s in pairs if abs(Decimal(c) - Decimal(s)) >= Decimal("0.5")]
        if differs:
            notes.append(f"{kf.name}: dokumentet oppgir " + ", ".join(f"{shown_stated(kf, s)} ({y})"
                                                                       for y, _, s in pairs)
                         + "; beregnet etter definisjonen her: " + ", ".join(f"{shown(kf, c)} ({y})" for y, c, _ in pairs)
                         + f". Dokumentet oppgir ikke sitt grunnlag; se `budsjettkontroll explain {kf.id}`.")
    for v in values:
        if v.rule is not None and v.level == "not_evaluated" and v.value is None:
            notes.append(f"{v.figure.name} {v.year if v.year is not None else 'for perioden'}: ikke vurdert, "
                         f"mangler {'; '.join(v.missing)}.")
    return notes


# --- explain -------------------------------------------------------------------------------------------------

def explain_text(name: str) -> str | None:
    """`budsjettkontroll explain` for a key figure (netto-driftsresultat-pst or netto_driftsresultat_pst), any other
    derived figure, or a rule of a bundled policy pack; None when the name is none of these."""
    from .policy import bundled_policies

    key = name.strip().replace("-", "_").lower()
    policies = []
    for pack in bundled_policies():
        try:
            policies.append(load_policy(pack))
        except Exception:  # a broken bundled pack is reported by `check`, not here
            continue
    for policy in policies:
        for rule in policy.spec.rules:
            if rule.id == name.strip():
                return _explain_rule(policy, rule)
    if key not in FIGURES:
        return None
    fig = FIGURES[key]
    kf = KEY_FIGURES.get(key)
    out = [f"{key} — {kf.name if kf else (fig.label or key)}", f"Enhet: {fig.unit or '–'}"
           + ("" if fig.per_year else " (hele økonomiplanperioden)"), "", "Definisjon:", "  " + " ".join(fig.doc.split())]
    if kf is not None:
        inputs = list(kf.inputs) + ([*kf.balance.stated, *(n for n, _, _ in kf.balance.movement)] if kf.balance else [])
        if inputs:
            out += ["", "Grunnlag:"] + [f"  {n}: {describe(n)}" for n in dict.fromkeys(inputs)]
        if kf.stated:
            out += ["", f"Dokumentets eget tall vises ved siden av: {describe(kf.stated)}"]
        rules = [(p, r) for p in policies for r in p.spec.rules if r.figure == key]
        if rules:
            out += ["", "Måltall i medfølgende handlingsregelpakker:"]
            for policy, rule in rules:
                out.append(f"  {policy.name} — {rule.id} ({policy.spec.decision.text}):")
                out += [f"    {(b.label or BAND_WORD[n])}: {b.describe(fig.unit)}" for n, b in rule.bands.present()]
    return "\n".join(out)


def _explain_rule(policy: Policy, rule: PolicyRule) -> str:
    unit = FIGURES[rule.figure].unit if rule.figure in FIGURES else ""
    out = [f"{rule.id} — {rule.title}",
           f"Handlingsregelpakke: {policy.name} {policy.spec.version} ({policy.path.name}): {policy.spec.title}",
           "Alvorlighetsgrad: warning (et politisk måltall, ikke et lovkrav)", "", "Vedtak og kilder:"]
    out += [f"  - {r['text']}" + (f" <{r['url']}>" if r.get("url") else "") for r in policy.references(rule)]
    if rule.purpose:
        out += ["", "Formål:", "  " + " ".join(rule.purpose.split())]
    out += ["", f"Nøkkeltall: {rule.figure} ({unit})"]
    if rule.figure in FIGURES:
        out.append("  " + " ".join(FIGURES[rule.figure].doc.split()))
    out += ["", "Bånd (grenseverdien hører til båndet der den står med «minst»/«høyst»):"]
    out += [f"  {(b.label or BAND_WORD[n])} ({LEVEL[n]}): {b.describe(unit)}" for n, b in rule.bands.present()]
    out += ["", "Brudd (ikke godkjent) gir en advarsel; laveste akseptable og ønsket nivå er oppfylt."]
    if rule.notes:
        out += ["", "Merknader:", "  " + " ".join(rule.notes.split())]
    return "\n".join(out)
