"""Endringsforslag: apply a party's proposal to a budget, add what follows from it, and say whether it balances.

The party writes what it wants (amendment.py); this module resolves each change against the base budget's
schedules, adds the consequences a proposal must carry (the financing lines of an investment; interest,
avdrag and avskrivninger on a new loan; the roll-forward of lånegjeld, anleggsmidler and disposisjonsfond),
applies everything with adjust.apply_changes so that every printed sum follows, runs the full check on the
result, and compares it with the base year by year.

Amounts in the file follow the schedules' printed sign convention (positive = more cost or less income when
incomes are printed negative); internally, as everywhere, costs are positive. Derived amounts are rounded to
whole 1000 kr per change, line and year.

Loan conventions (Premises; each can be set in the file under `forutsetninger`):
- the loan is taken up in the year of the investment, and in that year carries `rente_forste_ar` (default 0.5,
  «opptak midt i året») of a full year's interest;
- serial repayment over `nedbetalingstid` years (default 30), first avdrag the year after the loan;
- from the year after, interest for the full year on the balance at 1.1 (before that year's avdrag);
- the rate is the package's interest_rate premise per year (budsjett.toml), unless the file sets `rente`;
- a new varig driftsmiddel (§ 5-5 andre ledd del 1) is depreciated linearly over `avskrivningstid` years (default
  40) from the year after the investment, on its cost less momskompensasjon; avskrivninger and motpost
  avskrivninger cancel in netto driftsresultat, but they enter the § 14-18 minimumsavdrag;
- where the package lets the § 14-18 minimumsavdrag be computed (it gives «Bokført verdi avskrivbare
  anleggsmidler»), the amended budget's avdrag must reach it: a shortfall the proposal causes is added as its
  own line «Avdrag på lån (minimumsavdrag § 14-18)». The shortfall is taken before this extra avdrag itself
  lowers the lånegjeld, so the top-up errs on the side of paying too much, never too little.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .adjust import Change, apply_changes, find_row, refusal
from .amendment import Amendment, Premises, ProposedChange
from .budget import Budget
from .catalogue import INVESTERING_DELER, TABLES
from .check import CheckResult, run_check
from .derive import Facts
from .errors import InputError, Problem
from .findings import exit_code
from .labels import closest, normalise
from .numbers import format_amount

# the names a party may use for a table → the schedule's stem
TABLE_NAMES = {
    "drift": "drift", "§ 5-4": "drift", "5-4 første ledd": "drift", "bevilgningsoversikt drift": "drift",
    "drift_fordeling": "drift_fordeling", "område": "drift_fordeling", "områder": "drift_fordeling",
    "driftsområde": "drift_fordeling", "5-4 andre ledd": "drift_fordeling", "tjenesteområde": "drift_fordeling",
    "investering": "investering", "§ 5-5": "investering", "5-5 første ledd": "investering",
    "bevilgningsoversikt investering": "investering",
    "investering_fordeling": "investering_fordeling", "prosjekt": "investering_fordeling",
    "prosjekter": "investering_fordeling", "investeringsprosjekt": "investering_fordeling",
    "5-5 andre ledd": "investering_fordeling", "investeringsområde": "investering_fordeling",
}
FRIENDLY = {"drift": "drift", "drift_fordeling": "område", "investering": "investering",
            "investering_fordeling": "prosjekt"}

LAN, DISPOSISJONSFOND, SALG, TILSKUDD, OVERFORING, MVA = (
    "lån", "disposisjonsfond", "salg", "tilskudd", "overføring fra drift", "momskompensasjon")
FINANCING_NAMES = {
    LAN: ("lån", "lan", "bruk av lån", "låneopptak", "lånemidler"),
    DISPOSISJONSFOND: ("disposisjonsfond", "bruk av disposisjonsfond", "fond"),
    SALG: ("salg", "salg av varige driftsmidler", "salgsinntekter", "eiendomssalg", "sal"),
    TILSKUDD: ("tilskudd", "tilskudd fra andre", "tilskot", "statstilskudd"),
    OVERFORING: ("overføring fra drift", "overforing fra drift", "overføring", "drift", "driftsmidler"),
    MVA: ("momskompensasjon", "mva", "mva-kompensasjon", "kompensasjon for merverdiavgift", "merverdiavgift"),
}
# investment lines in § 5-5 første ledd (used when the package has no andre ledd) and the andre-ledd part they are
INVESTMENT_KEYS = {key: part for part, key in INVESTERING_DELER.items()}

# kinds of derived lines
FINANSIERING, RENTER, AVDRAG, AVSKRIVNINGER, MINIMUMSAVDRAG, SALDO = (
    "finansiering", "renter", "avdrag", "avskrivninger", "minimumsavdrag", "saldo")
KIND_WORD = {FINANSIERING: "finansiering", RENTER: "renter på nytt lån", AVDRAG: "avdrag på nytt lån",
             AVSKRIVNINGER: "avskrivninger", MINIMUMSAVDRAG: "tillegg for minimumsavdrag (§ 14-18)",
             SALDO: "fremskrevet saldo"}
# premises the document states for its own figures; they do not describe an amended budget
STATED_FIGURES = ("gjeldsgrad_oppgitt", "netto_driftsresultat_oppgitt")
ONE = Decimal(1)


@dataclass
class ResolvedChange:
    """A party's change located in the base budget: which schedule, which line, how much per plan year."""

    proposed: ProposedChange
    stem: str
    label: str
    key: str | None
    group: int | None
    new: bool
    amounts: dict[int, int]  # printed sign convention, per plan year
    financing: list[tuple[str, Decimal]]  # (type, share 0-1) in the order written
    part: int | None  # § 5-5 andre ledd del (1 varige driftsmidler …) when the change is an investment

    @property
    def number(self) -> int:
        return self.proposed.number

    @property
    def text(self) -> str:
        return self.proposed.text

    @property
    def is_investment(self) -> bool:
        return self.part is not None

    def where(self) -> str:
        tdef = TABLES[self.stem]
        del_text = f", del {self.group}" if self.stem == "investering_fordeling" and self.group else ""
        return f"{tdef.paragraph.replace('budsjett- og regnskapsforskriften ', '')}{del_text}: {self.label}"


@dataclass
class DerivedLine:
    """A line the tool adds because a change implies it; shown apart from the party's own changes."""

    kind: str
    source: int | None  # the change it follows from (None: the proposal as a whole)
    stem: str
    label: str
    amounts: dict[int, int]  # internal convention (costs positive), 1000 kr
    explanation: str
    balance: bool = True  # False for roll-forwards of premises (lånegjeld …), which no balance depends on

    def changes(self) -> list[Change]:
        return [Change(self.stem, self.label, y, a) for y, a in sorted(self.amounts.items()) if a]


@dataclass
class Cause:
    number: int | None
    text: str
    drift: int  # effect on fremført merforbruk (positive: more merforbruk)
    investering: int  # effect on udekket beløp


@dataclass
class YearBalance:
    """One plan year: fremført til inndekning in drift (merforbruk > 0) and investering (udekket > 0)."""

    year: int
    drift_before: Any
    drift_after: Any
    investering_before: Any
    investering_after: Any
    causes: list[Cause]

    @property
    def saldert(self) -> bool:
        return self.drift_after == 0 and self.investering_after == 0

    def gaps(self) -> list[tuple[str, str]]:
        """(drift | investering, «merforbruk 5 000 i 2025: mangler inndekning») for each side that does not balance."""
        out = []
        for side, value, gap_word, surplus_word, cover in (
                ("drift", self.drift_after, "merforbruk", "udisponert mindreforbruk", "mangler inndekning"),
                ("investering", self.investering_after, "udekket beløp i investeringsbudsjettet",
                 "overfinansiering i investeringsbudsjettet", "mangler finansiering")):
            if value is None:
                out.append((side, f"{gap_word} i {self.year} kan ikke beregnes"))
            elif value > 0:
                out.append((side, f"{gap_word} {format_amount(value)} i {self.year}: {cover}"))
            elif value < 0:
                out.append((side, f"{surplus_word} {format_amount(-value)} i {self.year}: må disponeres"))
        return out

    def messages(self) -> list[str]:
        return [text for _, text in self.gaps()]


@dataclass
class AmendResult:
    amendment: Amendment
    base: CheckResult
    amended: CheckResult
    changes: list[ResolvedChange]
    derived: list[DerivedLine]
    balance: list[YearBalance]
    notes: list[str] = field(default_factory=list)
    rates: dict[int, Decimal] = field(default_factory=dict)

    @property
    def budget(self) -> Budget:
        return self.amended.budget

    @property
    def saldert(self) -> bool:
        return all(b.saldert for b in self.balance)

    @property
    def unbalanced_years(self) -> list[int]:
        return [b.year for b in self.balance if not b.saldert]

    def exit_code(self, fail_on: str = "error") -> int:
        """1 when the proposal does not balance in some plan year or the amended budget breaks a rule."""
        return 1 if not self.saldert else exit_code(self.amended.findings, fail_on)

    def key_figures(self) -> list[dict[str, Any]]:
        """Every key figure and year before and after, from the key_figures section of both checks."""
        before = _section_rows(self.base)
        after = _section_rows(self.amended)
        out = []
        for key, row in after.items():
            old = before.get(key, {})
            out.append({"id": row.get("id"), "name": row.get("name"), "year": row.get("year"), "unit": row.get("unit"),
                        "before": old.get("value"), "after": row.get("value"),
                        "shown_before": old.get("shown"), "shown_after": row.get("shown"),
                        "level_before": old.get("level"),
                        "level_after": row.get("level"), "band_before": old.get("band"), "band_after": row.get("band"),
                        "changed": old.get("value") != row.get("value") or old.get("level") != row.get("level")})
        return out

    def inherited(self) -> list:
        """Warnings (and errors) of the amended budget that the base budget already had: not the proposal's doing."""
        before = {(f.rule, f.year, f.subject) for f in self.base.findings if f.status == "fail"
                  and f.severity in ("error", "warning")}
        return [f for f in self.amended.findings if f.status == "fail" and f.severity in ("error", "warning")
                and (f.rule, f.year, f.subject) in before]

    def new_breaches(self) -> list:
        """Breaches of the amended budget that the base budget did not have."""
        before = {(f.rule, f.year, f.subject) for f in self.base.findings if f.status == "fail"}
        return [f for f in self.amended.findings if f.status == "fail" and f.severity in ("error", "warning")
                and (f.rule, f.year, f.subject) not in before]

    def sign_hints(self) -> dict[int, str]:
        """Per change number, a hint when its sign looks wrong (issue 14 item 3): the line ends up against its
        nature (a positive «bruk», a negative «avsetning» in the internal convention), or a financing line's
        change makes a gap grow where the opposite sign would close it. The hint names the opposite amount."""
        hints: dict[int, str] = {}
        factor = self.base.budget.meta.sign.factor
        for change in self.changes:
            nature = line_nature(change.key)
            if nature is None or not change.amounts:
                continue
            reasons = []
            table = self.amended.budget.tables.get(change.stem)
            row = table.row(change.key) if table is not None and change.key else None
            for year in sorted(change.amounts):
                value = row.values.get(year) if row is not None else None
                if value is not None and ((nature == "income" and value > 0) or (nature == "cost" and value < 0)):
                    word = "positiv" if value * factor > 0 else "negativ"
                    reasons.append(f"«{change.label}» blir {word} ({format_amount(value * factor)}) i {year}")
                    break
            side = "investering" if change.stem.startswith("investering") else "drift"
            for b in self.balance:
                effect = next((getattr(c, side) for c in b.causes if c.number == change.number), 0)
                gap = b.investering_after if side == "investering" else b.drift_after
                if effect > 0 and gap is not None and gap > 0 and abs(gap - 2 * effect) < gap:
                    reasons.append(f"endringen øker {'udekket beløp' if side == 'investering' else 'merforbruket'} "
                                   f"i {b.year} med {format_amount(effect)}; motsatt fortegn ville minsket det")
                    break
            if reasons:
                opposite = ", ".join(f"{format_amount(-a)}" for _, a in sorted(change.amounts.items()))
                hints[change.number] = f"mente du {opposite}? " + "; ".join(reasons)
        return hints

    def rule_changes(self) -> list[dict[str, Any]]:
        """Findings whose status differs between the base and the amended budget."""
        before = {(f.rule, f.year, f.subject): f for f in self.base.findings}
        out = []
        for f in self.amended.findings:
            old = before.get((f.rule, f.year, f.subject))
            if old is None or old.status != f.status:
                same = (old is not None and "avvik" in f.values and "avvik" in old.values
                        and f.values["avvik"] == old.values["avvik"])
                out.append({"rule": f.rule, "title": f.title, "year": f.year, "subject": f.subject,
                            "severity": f.severity, "before": old.status if old else None, "after": f.status,
                            "message": f.message,
                            "note": (f"samme avvik som i grunnlaget ({format_amount(f.values['avvik'])}): forslaget endrer "
                                     "det ikke, "
                                     "men toleransen er en annen i det endrede budsjettet") if same else None})
        return out


INCOME_KEYS = ("rammetilskudd", "skatt", "eiendomsskatt", "andre_generelle_driftsinntekter", "momskompensasjon",
               "tilskudd_fra_andre", "salg_varige_driftsmidler", "salg_finansielle_anleggsmidler", "overforing_fra_drift")


def line_nature(key: str | None) -> str | None:
    """«income» for a line that is an income or a financing (bruk av fond, bruk av lån, skatt …: negative inside),
    «cost» for an avsetning (positive inside), None for lines that may be either."""
    if not key:
        return None
    if key.startswith("bruk_") or key in INCOME_KEYS:
        return "income"
    if key.startswith("avsetninger_"):
        return "cost"
    return None


def _section_rows(result: CheckResult) -> dict[tuple, dict[str, Any]]:
    section = result.sections.get("key_figures")
    rows = section.as_json() if section is not None and hasattr(section, "as_json") else []
    return {(r.get("id"), r.get("year")): r for r in rows}


# --- resolving the party's changes ----------------------------------------------------------------------------

def resolve(budget: Budget, amendment: Amendment) -> list[ResolvedChange]:
    """Every change located in the budget, or InputError naming file, line, table, line label and year."""
    problems: list[Problem] = list(amendment.problems)
    unreadable = {p.line for p in amendment.problems}
    resolved = []
    for proposed in amendment.changes:
        if proposed.every_year is None and not proposed.amounts and unreadable:
            continue  # its amounts could not be read; already reported
        try:
            resolved.append(_resolve_one(budget, amendment, proposed))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0)))
    return resolved


def _problem(amendment: Amendment, proposed: ProposedChange, message: str, year: int | None = None,
             line: int | None = None, table: str | None = None) -> Problem:
    return Problem(f"endring nr. {proposed.number}: {message}", file=str(amendment.path),
                   line=line or proposed.line, table=table or proposed.spec.tabell, label=proposed.spec.linje,
                   year=year)


def _resolve_one(budget: Budget, amendment: Amendment, proposed: ProposedChange) -> ResolvedChange:
    spec = proposed.spec
    fail = lambda message, **kw: InputError(_problem(amendment, proposed, message, **kw))  # noqa: E731
    names = {normalise(k): v for k, v in TABLE_NAMES.items()}
    stem = names.get(normalise(spec.tabell))
    if stem is None:
        hint = closest(spec.tabell, list(FRIENDLY.values()) + list(TABLES))
        raise fail(f"ukjent tabell «{spec.tabell}»" + (f"; mente du «{hint}»?" if hint else "")
                   + " Kjente: drift, område, investering, prosjekt")
    if stem not in budget.tables:
        raise fail(f"budsjettet har ikke {TABLES[stem].title.lower()} ({TABLES[stem].paragraph})")
    table = budget.tables[stem]
    tdef = TABLES[stem]
    plan = budget.meta.plan_years
    problems: list[Problem] = []

    # the line (`del` only tells the parts of § 5-5 andre ledd apart)
    group = spec.del_ if stem == "investering_fordeling" else None
    line = tdef.match(spec.linje) or next((ln for ln in tdef.lines if normalise(ln.key) == normalise(spec.linje)), None)
    row = None
    new = False
    if line is not None and not (stem == "investering_fordeling" and spec.ny):
        why = refusal(budget, stem, line.label)
        if why:
            raise fail(why)
        label, key = (table.row(line.key).label if table.row(line.key) else line.label), line.key
    elif tdef.free_rows:
        rows = [r for r in table.rows if r.key is None and normalise(r.label) == normalise(spec.linje)
                and (group is None or r.group == group)]
        if len(rows) > 1:
            raise fail(f"«{spec.linje}» finnes i flere deler ({', '.join(str(r.group) for r in rows)}); oppgi del")
        if rows:
            row = rows[0]
            if spec.ny:
                raise fail(f"«{row.label}» finnes allerede; fjern «ny: true» for å endre den")
            label, key, group = row.label, None, row.group
        elif spec.ny:
            if stem == "investering_fordeling" and group is None:
                raise fail("et nytt prosjekt må ha del (1 varige driftsmidler, 2 tilskudd til andres investeringer, "
                           "3 aksjer og andeler, 4 utlån av egne midler)")
            label, key, new = spec.linje.strip(), None, True
        else:
            known = [r.label for r in table.rows if r.key is None]
            hint = closest(spec.linje, known + tdef.labels, same_kind=True)
            raise fail(f"ukjent {tdef.free_rows} «{spec.linje}» i {tdef.paragraph}"
                       + (f"; mente du «{hint}»?" if hint else "")
                       + f" (et nytt {tdef.free_rows} krever «ny: true»)" + _candidates(budget, stem))
    else:
        hint = tdef.closest_label(spec.linje)
        raise fail(f"ukjent linje «{spec.linje}» i {tdef.paragraph}" + (f"; mente du «{hint}»?" if hint else "")
                   + _candidates(budget, stem))
    if spec.ny and not tdef.free_rows:
        raise fail(f"«ny» gjelder bare områder og prosjekter; {tdef.paragraph} har faste linjer")

    # the amounts (printed sign convention; converted when applied)
    amounts: dict[int, int] = {}
    if proposed.every_year is not None:
        amounts = {y: proposed.every_year for y in plan}
    for year, amount in proposed.amounts.items():
        if year not in plan:
            kind = budget.meta.years.kind(year) if year in budget.meta.years.all else None
            word = {"regnskap": "regnskapsår", "budsjett": "budsjettår (året før planperioden)"}.get(kind or "")
            problems.append(_problem(amendment, proposed, f"{year} er ikke et økonomiplanår "
                                     f"({plan[0]}-{plan[-1]})" + (f"; det er et {word}" if word else ""),
                                     year=year, line=proposed.year_lines.get(year)))
            continue
        amounts[year] = amount

    # investment and financing
    part = None
    if stem == "investering_fordeling" and group in INVESTERING_DELER and key is None:
        part = group
    elif stem == "investering" and key in INVESTMENT_KEYS:
        part = INVESTMENT_KEYS[key]
    financing = _financing(amendment, proposed, problems)
    if financing and part is None:
        problems.append(_problem(amendment, proposed, "finansiering kan bare oppgis for en investering (et prosjekt i "
                                 "§ 5-5 andre ledd, eller en investeringslinje i § 5-5 første ledd)"))
    if problems:
        raise InputError(problems)
    return ResolvedChange(proposed, stem, label, key, group, new, amounts, financing, part)


def _candidates(budget: Budget, stem: str) -> str:
    """«. Kjente navn: Oppvekst, Velferd, … (se `budsjettkontroll lines`)»: what the table offers."""
    from .report.lines import candidates

    names = candidates(budget, stem)
    if not names:
        return ""
    shown = ", ".join(f"«{n}»" for n in names[:25]) + (f" og {len(names) - 25} til" if len(names) > 25 else "")
    return f" — kjente navn: {shown} (se `budsjettkontroll lines`)"


def new_line_notes(budget: Budget, changes: list[ResolvedChange]) -> list[str]:
    """A new area or project is stated plainly, with a warning when its name is close to one that exists."""
    notes = []
    for change in changes:
        if not change.new:
            continue
        table = budget.tables.get(change.stem)
        existing = [r.label for r in table.rows if r.key is None] if table is not None else []
        what = "et nytt prosjekt" if change.stem == "investering_fordeling" else "et nytt område"
        text = f"Endring nr. {change.number} oppretter {what} «{change.label}» (ny: true)."
        import difflib

        by_key = {normalise(n): n for n in existing}
        close = difflib.get_close_matches(normalise(change.label), list(by_key), n=1, cutoff=0.75)
        hint = by_key[close[0]] if close else next(
            (n for k, n in by_key.items() if k and (k in normalise(change.label) or normalise(change.label) in k)), None)
        if hint and normalise(hint) != normalise(change.label):
            text += f" Navnet ligner «{hint}», som finnes fra før; skal endringen gjelde den, fjern «ny: true»."
        notes.append(text)
    return notes


def _financing(amendment: Amendment, proposed: ProposedChange, problems: list[Problem]) -> list[tuple[str, Decimal]]:
    raw = proposed.spec.finansiering
    if raw is None:
        return []
    line = amendment.line_of("endringer", proposed.number - 1, "finansiering")
    lookup = {normalise(alias): canon for canon, aliases in FINANCING_NAMES.items() for alias in (canon, *aliases)}
    entries: list[tuple[Any, Any]]
    if isinstance(raw, str):
        entries = [(raw, 100)]
    elif isinstance(raw, dict):
        entries = list(raw.items())
    else:
        problems.append(_problem(amendment, proposed, "finansiering skal være en type (lån, disposisjonsfond, salg, "
                                 "tilskudd, overføring fra drift, momskompensasjon) eller typer med prosentandel, "
                                 "f.eks. {lån: 80, momskompensasjon: 20}", line=line))
        return []
    out: list[tuple[str, Decimal]] = []
    for name, share in entries:
        canon = lookup.get(normalise(str(name)))
        if canon is None:
            hint = closest(str(name), list(FINANCING_NAMES))
            problems.append(_problem(amendment, proposed, f"ukjent finansiering «{name}»"
                                     + (f"; mente du «{hint}»?" if hint else "")
                                     + f" Kjente: {', '.join(FINANCING_NAMES)}", line=line))
            continue
        try:
            value = Decimal(str(share).replace(",", ".").rstrip("% ").strip())
        except Exception:
            value = None
        if value is None or not value.is_finite() or value <= 0 or value > 100:
            problems.append(_problem(amendment, proposed, f"andelen for {canon} skal være en prosent over 0 og "
                                     f"høyst 100, ikke «{share}»", line=line))
            continue
        out.append((canon, value / 100))
    if out and sum(s for _, s in out) != 1 and len(out) == len(entries):
        total = sum(s for _, s in out) * 100
        problems.append(_problem(amendment, proposed, f"finansieringsandelene summerer til {total.normalize():f} %, "
                                 "ikke 100 %", line=line))
    return out


# --- what follows from the changes --------------------------------------------------------------------------

def _round(value: Decimal) -> int:
    return int(Decimal(value).quantize(ONE, rounding=ROUND_HALF_UP))


def _split(amount: int, shares: list[tuple[str, Decimal]]) -> list[tuple[str, int]]:
    """Whole 1000 kr per financing type; the last type takes the rounding so the parts add up exactly."""
    parts, used = [], 0
    for i, (kind, share) in enumerate(shares):
        part = amount - used if i == len(shares) - 1 else _round(amount * share)
        parts.append((kind, part))
        used += part
    return parts


def rates_for(budget: Budget, premises: Premises) -> dict[int, Decimal]:
    """The interest rate (per cent) per plan year: the file's `rente`, else the package's interest_rate."""
    return {y: premises.rente.get(y, budget.meta.interest_rate.get(y)) for y in budget.meta.plan_years
            if premises.rente.get(y, budget.meta.interest_rate.get(y)) is not None}


def _fund_label(budget: Budget, gross_key: str, net_key: str) -> str:
    """The gross line (Bruk av disposisjonsfond) unless the package prints only the net line."""
    table = budget.tables["drift"]
    if table.row(gross_key) is None and table.row(net_key) is not None:
        return table.row(net_key).label
    row = table.row(gross_key)
    return row.label if row else TABLES["drift"].by_key[gross_key].label


def _label(budget: Budget, stem: str, key: str) -> str:
    table = budget.tables.get(stem)
    row = table.row(key) if table else None
    return row.label if row else TABLES[stem].by_key[key].label


def consequences(budget: Budget, amendment: Amendment, changes: list[ResolvedChange],
                 rates: dict[int, Decimal]) -> list[DerivedLine]:
    """Financing lines, capital costs and depreciation of every investment change (see the module docstring)."""
    premises = amendment.premises
    plan = budget.meta.plan_years
    factor = budget.meta.sign.factor
    out: list[DerivedLine] = []
    problems: list[Problem] = []
    for change in changes:
        if not change.is_investment:
            continue
        internal = {y: a * factor for y, a in change.amounts.items()}
        lines: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        loans: dict[int, int] = {}
        mva: dict[int, int] = {}
        for year, amount in internal.items():
            for kind, part in _split(amount, change.financing):
                if kind == LAN:
                    lines[("investering", _label(budget, "investering", "bruk_av_lan"))][year] -= part
                    loans[year] = loans.get(year, 0) + part
                elif kind == MVA:
                    lines[("investering", _label(budget, "investering", "momskompensasjon"))][year] -= part
                    mva[year] = mva.get(year, 0) + part
                elif kind == SALG:
                    lines[("investering", _label(budget, "investering", "salg_varige_driftsmidler"))][year] -= part
                elif kind == TILSKUDD:
                    lines[("investering", _label(budget, "investering", "tilskudd_fra_andre"))][year] -= part
                elif kind in (OVERFORING, DISPOSISJONSFOND):
                    lines[("investering", _label(budget, "investering", "overforing_fra_drift"))][year] -= part
                    lines[("drift", _label(budget, "drift", "overforing_til_investering"))][year] += part
                    if kind == DISPOSISJONSFOND:
                        lines[("drift", _fund_label(budget, "bruk_disposisjonsfond", "netto_disposisjonsfond"))][year] -= part
        shares = ", ".join(f"{kind} {(share * 100).normalize():f} %" for kind, share in change.financing)
        for (stem, label), by_year in lines.items():
            out.append(DerivedLine(FINANSIERING, change.number, stem, label, dict(by_year),
                                   f"finansiering av investeringen ({shares})"))
        if loans:
            missing = [y for y in plan if y >= min(loans) and y not in rates]
            if missing:
                problems.append(Problem(f"endring nr. {change.number}: mangler rentepremiss for "
                                        f"{', '.join(map(str, missing))}; oppgi interest_rate i budsjett.toml eller "
                                        "forutsetninger.rente i endringsforslaget", file=str(amendment.path),
                                        line=change.proposed.line, label=change.label))
                continue
            interest, repayment, debt = loan_schedule(loans, plan, premises, rates)
            out.append(DerivedLine(RENTER, change.number, "drift", _label(budget, "drift", "renteutgifter"),
                                   _rounded(interest), _interest_text(premises)))
            out.append(DerivedLine(AVDRAG, change.number, "drift", _label(budget, "drift", "avdrag"),
                                   _rounded(repayment), f"serielån, {premises.nedbetalingstid} års nedbetalingstid, "
                                   "første avdrag året etter opptak"))
            rounded_avdrag = _rounded(repayment)
            debt_ub = {y: sum(loans.get(s, 0) - rounded_avdrag.get(s, 0) for s in plan if s <= y)
                       for y in plan if y >= min(loans)}
            out += _roll_forward(budget, change.number, "lanegjeld", debt_ub,
                                 "lån tatt opp minus avdrag, akkumulert")
        if change.part == 1:
            basis = {y: a - mva.get(y, 0) for y, a in internal.items()}
            years, source = depreciation_years(change, premises)
            depreciation, book = depreciation_schedule(basis, plan, years)
            dep = _rounded(depreciation)
            if any(dep.values()):
                text = (f"lineært over {years} år ({source}) fra året etter investeringen, av kostnaden "
                        "fratrukket momskompensasjon")
                if source != "satt for prosjektet" and _WATER_NETWORK.search(change.label or ""):
                    text += ("; VA-ledningsnett kan fra 2026 avskrives over inntil 80 år (FOR-2025-09-12-1858): sett "
                             "«avskrivningstid» på endringen")
                out.append(DerivedLine(AVSKRIVNINGER, change.number, "drift", _label(budget, "drift", "avskrivninger"),
                                       dep, text))
                out.append(DerivedLine(AVSKRIVNINGER, change.number, "drift",
                                       _label(budget, "drift", "motpost_avskrivninger"),
                                       {y: -a for y, a in dep.items()}, "motpost: avskrivningene påvirker ikke netto "
                                       "driftsresultat"))
            book_ub = {y: sum(basis.get(s, 0) - dep.get(s, 0) for s in plan if s <= y) for y in plan
                       if basis and y >= min(basis)}
            out += _roll_forward(budget, change.number, "anleggsmidler", book_ub,
                                 "investering fratrukket momskompensasjon og avskrivninger, akkumulert")
    if problems:
        raise InputError(problems)
    return out


def _interest_text(premises: Premises) -> str:
    share = (premises.rente_forste_ar * 100).normalize()
    return (f"rentepremiss per år; {share:f} % av et års rente i opptaksåret, deretter full rente av saldo 1.1")


def _rounded(values: dict[int, Decimal]) -> dict[int, int]:
    return {y: _round(v) for y, v in sorted(values.items())}


def loan_schedule(loans: dict[int, int], plan: list[int], premises: Premises, rates: dict[int, Decimal]
                  ) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, Decimal]]:
    """Interest, avdrag and outstanding balance (UB) per plan year of loans taken up in the given years (exact)."""
    n = premises.nedbetalingstid
    interest: dict[int, Decimal] = defaultdict(Decimal)
    repayment: dict[int, Decimal] = defaultdict(Decimal)
    balance: dict[int, Decimal] = defaultdict(Decimal)
    for start, principal in loans.items():
        p = Decimal(principal)
        for year in plan:
            k = year - start
            if k < 0:
                continue
            rate = Decimal(rates[year]) / 100
            if k == 0:
                interest[year] += p * rate * premises.rente_forste_ar
            else:
                opening = p * max(0, n - (k - 1)) / n
                interest[year] += opening * rate
                repayment[year] += p / n if k <= n else Decimal(0)
            balance[year] += p * max(0, n - k) / n
    return dict(interest), dict(repayment), dict(balance)


_WATER_NETWORK = re.compile(r"(vann|avløp|avlop|\bva\b|ledning|overvann|spillvann|sanering)", re.I)


def depreciation_years(change, premises) -> tuple[int, str]:
    """The avskrivningstid a project is depreciated over, and where it comes from: the change's own
    «avskrivningstid», else the proposal's forutsetninger, else the default of 40 years."""
    own = getattr(change.proposed.spec, "avskrivningstid", None)
    if own is not None:
        return own, "satt for prosjektet"
    if "avskrivningstid" in premises.model_fields_set:
        return premises.avskrivningstid, "forutsetningene i forslaget"
    return premises.avskrivningstid, f"standard {premises.avskrivningstid} år; kan settes per prosjekt"


def depreciation_schedule(basis: dict[int, int], plan: list[int], years: int
                          ) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Linear avskrivninger from the year after the investment, and the book value (UB) per plan year (exact)."""
    depreciation: dict[int, Decimal] = defaultdict(Decimal)
    book: dict[int, Decimal] = defaultdict(Decimal)
    for start, cost in basis.items():
        c = Decimal(cost)
        for year in plan:
            k = year - start
            if k < 0:
                continue
            if 1 <= k <= years:
                depreciation[year] += c / years
            book[year] += c * max(0, years - k) / years
    return dict(depreciation), dict(book)


ROLL_FORWARDS = {
    # what → [(table, line key)] that state the balance (UB) where the package gives it
    "lanegjeld": [("gjeld", "investeringslan"), ("nokkeltall", "lanegjeld_ekskl_videreutlan")],
    "anleggsmidler": [("nokkeltall", "bokfort_verdi_anleggsmidler")],
    "disposisjonsfond": [("nokkeltall", "disposisjonsfond_ub")],
}


def _roll_forward(budget: Budget, source: int | None, what: str, delta_ub: dict[int, int], text: str
                  ) -> list[DerivedLine]:
    """Move a stated balance (UB) by the proposal's effect, in the years the package states it."""
    out = []
    for stem, key in ROLL_FORWARDS[what]:
        table = budget.tables.get(stem)
        row = table.row(key) if table else None
        if row is None:
            continue
        amounts = {y: d for y, d in delta_ub.items() if d and row.values.get(y) is not None}
        if amounts:
            out.append(DerivedLine(SALDO, source, stem, row.label, amounts, text, balance=False))
    return out


def _fund_roll_forward(budget: Budget, changes: list[Change]) -> list[DerivedLine]:
    """Disposisjonsfond (UB) where stated: moved by the cumulative change in avsetninger and bruk (§ 5-4)."""
    fund_keys = {"avsetninger_disposisjonsfond", "bruk_disposisjonsfond", "netto_disposisjonsfond"}
    flow: dict[int, int] = defaultdict(int)
    for c in changes:
        line = TABLES[c.stem].match(c.label) if c.stem == "drift" else None
        if line is not None and line.key in fund_keys:
            flow[c.year] += int(c.delta)
    plan = budget.meta.plan_years
    ub = {y: sum(flow.get(s, 0) for s in plan if s <= y) for y in plan}
    return _roll_forward(budget, None, "disposisjonsfond", ub, "avsetninger minus bruk av disposisjonsfond, akkumulert")


def user_changes(budget: Budget, change: ResolvedChange) -> list[Change]:
    factor = budget.meta.sign.factor
    return [Change(change.stem, change.label, y, a * factor, change.group) for y, a in sorted(change.amounts.items())
            if a]


# --- the whole proposal -----------------------------------------------------------------------------------------

def build(base: Budget, amendment: Amendment, base_facts: Facts | None = None
          ) -> tuple[Budget, list[ResolvedChange], list[DerivedLine], list[str], dict[int, Decimal]]:
    """The amended budget with every consequence applied, the changes, the derived lines and notes. `base_facts`:
    Facts(base) when the caller has them (the base check's), so they are not derived again."""
    notes: list[str] = []
    changes = resolve(base, amendment)
    notes += new_line_notes(base, changes)
    rates = rates_for(base, amendment.premises)
    derived = consequences(base, amendment, changes, rates)
    own = [c for ch in changes for c in user_changes(base, ch)]
    derived += _fund_roll_forward(base, own + [c for d in derived for c in d.changes()])
    everything = own + [c for d in derived for c in d.changes()]
    amended = apply_changes(base, everything)
    topups = _minimumsavdrag(base, amended, everything, notes, any(d.kind == AVDRAG for d in derived), base_facts)
    if topups:
        derived += topups
        everything = own + [c for d in derived for c in d.changes()]
        amended = apply_changes(base, everything)
    _drop_stated_figures(amended, notes)
    meta = amended.meta
    amended.meta = meta.model_copy(update={
        "title": f"{meta.title} – med endringsforslag fra {amendment.spec.parti}: {amendment.spec.tittel}"})
    if any(d.kind == RENTER for d in derived) and any(c.key in ("renteutgifter", "avdrag") for c in changes):
        notes.append("Forslaget endrer også renteutgifter eller avdrag direkte; verktøyet legger i tillegg til renter "
                     "og avdrag på de nye lånene (se avledede linjer), så sjekk at de ikke er regnet to ganger.")
    return amended, changes, derived, notes, rates


def _minimumsavdrag(base: Budget, amended: Budget, everything: list[Change], notes: list[str], loans: bool,
                    base_facts: Facts | None = None) -> list[DerivedLine]:
    """Where the package lets the § 14-18 minimumsavdrag be computed, top up avdrag the proposal leaves short."""
    before = base_facts or Facts(base)
    plan = base.meta.plan_years
    if all(before.get("minimumsavdrag", y) is None for y in plan):
        if loans:
            notes.append("Minimumsavdraget etter kommuneloven § 14-18 kan ikke beregnes for dette budsjettet "
                         "(nokkeltall.csv mangler «Bokført verdi avskrivbare anleggsmidler»); avdrag på nye lån "
                         "følger nedbetalingstiden alene.")
        return []
    topup: dict[int, int] = {}
    debt: dict[int, int] = {}
    current = amended
    for year in plan:
        after = Facts(current)
        minimum, paid = after.get("minimumsavdrag", year), after.get("drift_avdrag", year)
        old_min, old_paid = before.get("minimumsavdrag", year), before.get("drift_avdrag", year)
        if minimum is None or paid is None:
            continue
        already_short = max(0, old_min - old_paid) if old_min is not None and old_paid is not None else 0
        short = minimum - paid - already_short
        if short <= 0:
            continue
        topup[year] = short
        for y in plan:
            if y >= year:
                debt[y] = debt.get(y, 0) - short
        lines = [DerivedLine(MINIMUMSAVDRAG, None, "drift", _label(base, "drift", "avdrag"), dict(topup), "")]
        lines += _roll_forward(base, None, "lanegjeld", debt, "")
        current = apply_changes(base, everything + [c for d in lines for c in d.changes()])
    if not topup:
        return []
    out = [DerivedLine(MINIMUMSAVDRAG, None, "drift", _label(base, "drift", "avdrag"), topup,
                       "avdragene når ikke minimumsavdraget etter kommuneloven § 14-18 (avskrivninger × lånegjeld ÷ "
                       "bokført verdi av avskrivbare anleggsmidler); differansen er lagt til")]
    out += _roll_forward(base, None, "lanegjeld", debt, "tillegget for minimumsavdrag reduserer lånegjelden")
    return out


def _drop_stated_figures(budget: Budget, notes: list[str]) -> None:
    """The document's own percentages (gjeldsgrad, netto driftsresultat) describe the base, not the proposal."""
    table = budget.tables.get("nokkeltall")
    if table is None:
        return
    dropped = []
    for key in STATED_FIGURES:
        row = table.row(key)
        if row is not None and any(row.values.get(y) is not None for y in budget.meta.plan_years):
            for y in budget.meta.plan_years:
                row.values[y] = None
            dropped.append(row.label)
    if dropped:
        notes.append(f"Nøkkeltallene grunnlaget selv oppgir ({', '.join(dropped)}) gjelder ikke forslaget og er "
                     "fjernet fra det endrede budsjettet; tallene etter endring er beregnet.")


def balance(base: Budget, base_facts: Facts, amended_facts: Facts, changes: list[ResolvedChange],
            derived: list[DerivedLine]) -> list[YearBalance]:
    """Fremført til inndekning per plan year before and after, and what each change contributes to it."""
    from dataclasses import replace

    plan = base.meta.plan_years
    groups: list[tuple[int | None, str, list[Change]]] = []
    for ch in changes:
        own = user_changes(base, ch) + [c for d in derived if d.source == ch.number and d.balance for c in d.changes()]
        groups.append((ch.number, ch.text, own))
    rest = [c for d in derived if d.source is None and d.balance for c in d.changes()]
    if rest:
        groups.append((None, KIND_WORD[MINIMUMSAVDRAG], rest))
    effects: list[tuple[int | None, str, dict[int, tuple[int, int]]]] = []
    for number, text, group in groups:
        if not group:
            effects.append((number, text, {}))
            continue
        changed = apply_changes(_tables_copy(base), group, in_place=True)
        # the two lines read here are derived from their own schedules alone (Facts derives each schedule's lines
        # from its rows): the other schedules are left out of these facts, which are asked for nothing else
        f = Facts(replace(changed, tables={s: t for s, t in changed.tables.items() if s in BALANCE_SCHEDULES},
                          views=[]))
        effects.append((number, text, {y: (_diff(f, base_facts, "drift_fremfort_merforbruk", y),
                                           _diff(f, base_facts, "inv_fremfort_udekket", y)) for y in plan}))
    out = []
    for year in plan:
        causes = [Cause(number, text, by_year[year][0], by_year[year][1]) for number, text, by_year in effects
                  if year in by_year and (by_year[year][0] or by_year[year][1])]
        out.append(YearBalance(year, base_facts.get("drift_fremfort_merforbruk", year),
                               amended_facts.get("drift_fremfort_merforbruk", year),
                               base_facts.get("inv_fremfort_udekket", year),
                               amended_facts.get("inv_fremfort_udekket", year), causes))
    return out


BALANCE_SCHEDULES = ("drift", "investering")  # drift_fremfort_merforbruk and inv_fremfort_udekket come from these


def _tables_copy(budget: Budget) -> Budget:
    """A copy with fresh rows and shared metadata: enough for apply_changes, and far cheaper than a deep copy."""
    from dataclasses import replace

    tables = {stem: replace(t, rows=[replace(r, values=dict(r.values)) for r in t.rows])
              for stem, t in budget.tables.items()}
    return replace(budget, tables=tables)


def _diff(after: Facts, before: Facts, name: str, year: int) -> int:
    a, b = after.get(name, year), before.get(name, year)
    return 0 if a is None or b is None else int(a - b)


def run_amend(base: Budget, amendment: Amendment, policy: str | None = None, options=None,
              base_result: CheckResult | None = None) -> AmendResult:
    """Apply one proposal to the base budget and check the result (the base check may be shared)."""
    parts = build(base, amendment)
    base_result = base_result or run_check(base, options, policy)
    return _finish(base, amendment, parts, base_result, policy, options)


def _same_base(base: Budget, named: str) -> bool:
    from pathlib import Path

    from .package import resolve as resolve_package

    if base.source is None:
        return False
    candidate = resolve_package(named)
    try:
        return Path(candidate).resolve() == Path(base.source).resolve()
    except OSError:
        return False


def run_all(base: Budget, paths: list, policy: str | None = None, options=None) -> list[AmendResult]:
    """Load every amendment (all problems of all files reported together), then check each against the base."""
    from .amendment import load_amendment

    if not base.meta.plan_years:  # an årsregnskap, or only budget columns printed as opprinnelig/revidert
        raise InputError(Problem("et endringsforslag endrer årsbudsjettet og økonomiplanen, men pakken har ingen "
                                 f"plankolonne (den leses som {base.document}); oppgi en pakke med årsbudsjett",
                                 file=str(base.source) if base.source else None))
    problems: list[Problem] = []
    amendments = []
    for path in paths:
        try:
            amendments.append(load_amendment(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    built = []
    # the base's facts as the base check derives them (the default tolerance): derived once for both
    base_facts = Facts(base) if options is None or options.tolerance is None else None
    for amendment in amendments:
        try:
            built.append((amendment, build(base, amendment, base_facts)))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    base_result = run_check(base, options, policy, facts=base_facts)
    return [_finish(base, amendment, parts, base_result, policy, options) for amendment, parts in built]


def _finish(base: Budget, amendment: Amendment, parts, base_result: CheckResult, policy, options) -> AmendResult:
    amended, changes, derived, notes, rates = parts
    from .incremental import recheck
    from .rules.engine import Options

    if base_result.budget is base and base_result.policy == policy \
            and (base_result.options or Options()) == (options or Options()):
        amended_result = recheck(base_result, amended)  # only the rules whose inputs the proposal changes
    else:
        amended_result = run_check(amended, options, policy)
    years = balance(base, base_result.facts, amended_result.facts, changes, derived)
    if amendment.spec.grunnlag and not _same_base(base, amendment.spec.grunnlag):
        notes.insert(0, f"Endringsforslaget oppgir grunnlaget «{amendment.spec.grunnlag}», men kontrolleres mot "
                        f"{base.source or base.meta.title}.")
    return AmendResult(amendment, base_result, amended_result, changes, derived, years, notes, rates)


def write_amended(results: list[AmendResult], target, force: bool = False) -> list:
    """Write each amended budget as a package: `target` itself for one proposal, target/<file stem> for several.
    Never over the base package (nor inside it), never over an existing path without force."""
    from pathlib import Path

    from .writer import write_package

    target = Path(target)
    written = []
    taken: set[str] = set()
    for result in results:
        name = result.amendment.path.stem  # two proposals named forslag.yaml in two folders: forslag, forslag-2
        number = 1
        while name.casefold() in taken:
            number += 1
            name = f"{result.amendment.path.stem}-{number}"
        taken.add(name.casefold())
        path = target if len(results) == 1 else target / name
        source = result.base.budget.source
        if source is not None:
            src, dst = Path(source).resolve(), path.resolve()
            if dst == src or src in dst.parents or (src.is_file() and dst == src):
                raise InputError(Problem("vil ikke skrive det endrede budsjettet over eller inn i grunnlaget; "
                                         "velg en ny mappe eller fil", file=str(path)))
        written.append(write_package(result.budget, path, force=force))
    return written
