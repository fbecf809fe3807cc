"""What the page shows of an evaluation, as plain values for the templates (all numbers formatted here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..amend import KIND_WORD, YearBalance
from ..catalogue import TABLES
from ..numbers import format_amount
from .workspace import Evaluation

STATUS_WORD = {"pass": "OK", "fail": "brudd", "not_evaluated": "ikke vurdert", "waived": "unntatt", None: "–"}
LEVEL_WORD = {"unacceptable": "ikke godkjent", "acceptable": "laveste akseptable", "target": "ønsket",
              "not_evaluated": "ikke vurdert"}
# headline lines shown before → after when the proposal moves them
HEADLINES = [
    ("Sum bevilgninger drift, netto", "drift_sum_bevilgninger", True),
    ("Netto driftsresultat", "drift_netto_driftsresultat", True),
    ("Renteutgifter", "drift_renteutgifter", True),
    ("Avdrag på lån", "drift_avdrag", True),
    ("Avsetninger til disposisjonsfond", "drift_avsetninger_disposisjonsfond", True),
    ("Bruk av disposisjonsfond", "drift_bruk_disposisjonsfond", True),
    ("Sum investeringsutgifter", "inv_sum_investeringsutgifter", True),
    ("Bruk av lån", "inv_bruk_av_lan", True),
]
SHORT = {"drift": "§ 5-4", "drift_fordeling": "§ 5-4 andre ledd", "investering": "§ 5-5",
         "investering_fordeling": "§ 5-5 andre ledd", "drift_art": "§ 5-6", "gjeld": "§ 5-7 gjeld",
         "nokkeltall": "nøkkeltall"}


def amount(value: Any) -> str:
    return "" if value is None else format_amount(value)


def signed(value: int) -> str:
    return ("+" if value > 0 else "−") + format_amount(abs(value))


@dataclass
class YearView:
    year: int
    saldert: bool | None  # None: not computed (input problems)
    gaps: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    drift: str = ""
    investering: str = ""
    raw: tuple[Any, Any] = (None, None)  # fremført (drift, investering) as computed, for tests and scripts


@dataclass
class DerivedView:
    kind: str
    word: str
    line: str
    amounts: dict[int, str]
    explanation: str


def years(ev: Evaluation) -> list[YearView]:
    """The balance strip: per plan year saldert, or each gap with the changes that cause it."""
    if ev.result is None and not ev.empty:
        return [YearView(y, None) for y in ev.plan]
    facts = ev.base.result.facts
    out = []
    if ev.empty:  # no change yet: the base's own balance, in amend's words
        for y in ev.plan:
            drift, inv = facts.get("drift_fremfort_merforbruk", y), facts.get("inv_fremfort_udekket", y)
            b = YearBalance(y, drift, drift, inv, inv, [])
            out.append(YearView(y, b.saldert, [f"grunnlaget: {m}" for m in b.messages()], drift=amount(drift),
                                investering=amount(inv), raw=(drift, inv)))
        return out
    names = {r.id: r.linje for r in ev.draft.rows}
    for b in ev.result.balance:
        v = YearView(b.year, b.saldert, drift=amount(b.drift_after), investering=amount(b.investering_after),
                     raw=(b.drift_after, b.investering_after))
        for side, message in b.gaps():
            v.gaps.append(message)
            for c in b.causes:
                effect = getattr(c, side)
                if effect:
                    who = names.get(ev.numbers.get(c.number), c.text) if c.number else c.text
                    v.causes.append(f"{who} ({side} {signed(effect)})")
        out.append(v)
    return out


def derived_by_row(ev: Evaluation) -> dict[str, list[DerivedView]]:
    """The lines the tool adds (financing, renter, avdrag, avskrivninger, saldo), under the row that causes them."""
    if ev.result is None:
        return {}
    factor = ev.base.budget.meta.sign.factor
    out: dict[str, list[DerivedView]] = {}
    for d in ev.result.derived:
        row = ev.numbers.get(d.source) if d.source is not None else None
        f = factor if TABLES[d.stem].signed else 1
        view = DerivedView(d.kind, KIND_WORD[d.kind], f"{SHORT.get(d.stem, d.stem)}: {d.label}",
                           {y: amount(a * f) for y, a in d.amounts.items()}, d.explanation)
        out.setdefault(row or "forslaget", []).append(view)
    return out


def headlines(ev: Evaluation) -> list[tuple[str, list[str]]]:
    if ev.result is None:
        return []
    factor = ev.base.budget.meta.sign.factor
    before, after = ev.result.base.facts, ev.result.amended.facts
    rows = []
    for label, name, is_signed in HEADLINES:
        b = [before.get(name, y) for y in ev.plan]
        a = [after.get(name, y) for y in ev.plan]
        if b != a:
            f = factor if is_signed else 1
            rows.append((label, [_change(amount(x * f if x is not None else None), amount(z * f if z is not None
                                                                                          else None))
                                 for x, z in zip(b, a)]))
    return rows


def _change(before: str, after: str) -> str:
    return after if before == after else f"{before} → {after}"


def key_figures(ev: Evaluation) -> list[dict[str, str]]:
    """Key figures and handlingsregler whose value or level the proposal changes, before → after."""
    if ev.result is None:
        return []
    out = []
    for k in ev.result.key_figures():
        if not k["changed"]:
            continue
        level = ""
        if not (k["level_before"] == k["level_after"] == "not_evaluated") and (k["level_before"] or k["level_after"]):
            level = f"{_level(k, 'before')} → {_level(k, 'after')}"
        out.append({"name": k["name"] or k["id"], "year": str(k["year"] or "perioden"),
                    "before": _figure(k["before"], k["unit"]), "after": _figure(k["after"], k["unit"]),
                    "level": level, "worse": k["level_after"] == "unacceptable" != k["level_before"]})
    return out


def _level(row: dict, when: str) -> str:
    level = row.get(f"level_{when}")
    return row.get(f"band_{when}") or LEVEL_WORD.get(level, level or "–")


def _figure(value: Any, unit: str | None) -> str:
    if value is None:
        return "–"
    if unit == "%":
        shown = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # rounded once, half up
        return f"{shown:.1f}".replace(".", ",") + " %"
    if unit == "1000 kr":
        return format_amount(int(value))
    return format_amount(Decimal(str(value))) if not isinstance(value, int) else format_amount(value)


def rule_changes(ev: Evaluation) -> list[dict[str, str]]:
    if ev.result is None:
        return []
    return [{"rule": r["rule"], "title": r["title"], "year": str(r["year"] or "hele perioden"),
             "change": f"{STATUS_WORD.get(r['before'], r['before'])} → {STATUS_WORD.get(r['after'], r['after'])}",
             "bad": r["after"] == "fail", "message": r["message"] + (f" Merk: {r['note']}." if r.get("note") else "")}
            for r in ev.result.rule_changes()]


def problem_text(p) -> str:
    """A problem as the page says it: where in the grid (table, line, year), then the parser's own message."""
    from ..errors import one_line

    context = ", ".join(x for x in (p.table, f"«{p.label}»" if p.label else None, str(p.year) if p.year else None)
                        if x)
    return one_line(f"{context}: {p.message}" if context else p.message)


def problems(ev: Evaluation) -> list[dict[str, Any]]:
    """Input problems with the grid cell they belong to (table as the page names it, line, year)."""
    return [{"text": problem_text(p), "table": p.table or "", "line": p.label or "", "year": str(p.year or "")}
            for p in ev.problems]


def context(ev: Evaluation) -> dict[str, Any]:
    return {"ev": ev, "plan": ev.plan, "years": years(ev), "derived": derived_by_row(ev), "headlines": headlines(ev),
            "key_figures": key_figures(ev), "rule_changes": rule_changes(ev), "problems": problems(ev),
            "notes": ev.result.notes if ev.result else [], "ms": f"{ev.seconds * 1000:.0f}"}
