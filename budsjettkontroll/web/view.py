"""What the page shows of an evaluation, as plain values for the templates (all numbers formatted here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..amend import KIND_WORD, YearBalance
from ..catalogue import TABLES
from ..numbers import format_amount
from ..report.amend_present import HEADLINES, SHORT, figure
from ..report.amend_present import level as level_of
from .workspace import Evaluation

STATUS_WORD = {"pass": "OK", "fail": "brudd", "not_evaluated": "ikke vurdert", "waived": "unntatt", None: "–"}


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
    for label, name in HEADLINES:
        b = [before.get(name, y) for y in ev.plan]
        a = [after.get(name, y) for y in ev.plan]
        if b != a:
            f = factor
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
            level = f"{level_of(k, 'before')} → {level_of(k, 'after')}"
        out.append({"name": k["name"] or k["id"], "year": str(k["year"] or "perioden"),
                    "before": figure(k, "before"), "after": figure(k, "after"),
                    "level": level, "worse": k["level_after"] == "unacceptable" != k["level_before"]})
    return out


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
