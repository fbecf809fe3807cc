"""What every format of the proposal report (`amend`) says the same way: where a change is in the proposal file,
which line of the budget it changes, what the tool assumed, how a balance reads in words, key figures rounded
once (half up, from the unrounded value), and the name of each proposal in a comparison."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..numbers import format_amount
from .present import LEVEL_WORD, display_path

SHORT = {"drift": "§ 5-4", "drift_fordeling": "§ 5-4 andre ledd", "investering": "§ 5-5",
         "investering_fordeling": "§ 5-5 andre ledd", "drift_art": "§ 5-6", "gjeld": "§ 5-7 gjeld",
         "nokkeltall": "nøkkeltall"}
# headline lines shown before → after when they change
HEADLINES = [
    ("Sum bevilgninger drift, netto", "drift_sum_bevilgninger"),
    ("Netto driftsresultat", "drift_netto_driftsresultat"),
    ("Renteutgifter", "drift_renteutgifter"),
    ("Avdrag på lån", "drift_avdrag"),
    ("Avsetninger til disposisjonsfond", "drift_avsetninger_disposisjonsfond"),
    ("Bruk av disposisjonsfond", "drift_bruk_disposisjonsfond"),
    ("Sum investeringsutgifter", "inv_sum_investeringsutgifter"),
    ("Bruk av lån", "inv_bruk_av_lan"),
]


def amount(value: Any) -> str:
    return "" if value is None else format_amount(value)


def signed(value: int) -> str:
    return ("+" if value > 0 else "−") + format_amount(abs(value))


def title_line(result) -> str:
    spec = result.amendment.spec
    date = f", {spec.dato.strftime('%d.%m.%Y')}" if spec.dato else ""
    return f"{spec.tittel} – {spec.parti}{date}"


def file_line(change, result) -> str:
    """The change's place in the proposal file («endringsforslag-omfordeling.yaml:14»)."""
    where = display_path(str(result.amendment.path)) or ""
    return f"{where}:{change.proposed.line}" if change.proposed.line else where


def where(change) -> str:
    part = f", del {change.group}" if change.stem == "investering_fordeling" and change.group else ""
    return f"{SHORT[change.stem]}{part}: {change.label}"


def financing(change) -> str:
    return ", ".join(f"{k} {(s * 100).normalize():f} %" for k, s in change.financing)


def new_area_text(change) -> str | None:
    if not change.new:
        return None
    what = {"investering_fordeling": "et nytt prosjekt", "drift_fordeling": "et nytt område"}.get(change.stem,
                                                                                               "en ny linje")
    return f"ny: forslaget oppretter {what} «{change.label}»"


def derived_amounts(result, d) -> dict[int, int]:
    from ..catalogue import TABLES

    factor = result.base.budget.meta.sign.factor if TABLES[d.stem].signed else 1
    return {y: a * factor for y, a in d.amounts.items()}


def assumptions(result) -> list[str]:
    """The premises behind the derived lines, each once, with where the interest rate came from."""
    from ..amend import AVDRAG, KIND_WORD, RENTER

    premises = result.amendment.premises
    out = []
    if {d.kind for d in result.derived} & {RENTER, AVDRAG}:
        source = "endringsforslaget" if premises.rente else "budsjett.toml"
        rates = ", ".join(f"{y}: {str(r).replace('.', ',')} %" for y, r in sorted(result.rates.items()))
        out.append(f"Rente ({source}): {rates}; serielån over {premises.nedbetalingstid} år")
    seen = set()
    for d in result.derived:
        if d.explanation and (d.kind, d.explanation) not in seen:
            seen.add((d.kind, d.explanation))
            out.append(f"{KIND_WORD[d.kind].capitalize()}: {d.explanation}")
    return out


def balance_word(value: Any, side: str = "drift") -> str:
    """A balance as a reader reads it: 0 is «i balanse», a gap «merforbruk 5 000», a surplus «mindreforbruk 238 055»."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if side == "drift":
        return f"merforbruk {format_amount(value)}" if value > 0 else f"mindreforbruk {format_amount(-value)}"
    return f"udekket {format_amount(value)}" if value > 0 else f"overfinansiert {format_amount(-value)}"


def cause_text(cause, side: str) -> str:
    text = cause.text if len(cause.text) <= 48 else cause.text[:47] + "…"
    who = f"nr. {cause.number} «{text}»" if cause.number is not None else cause.text
    return f"{who} {signed(getattr(cause, side))}"


def causes(balance, side: str) -> list[str]:
    return [cause_text(c, side) for c in balance.causes if getattr(c, side)]


def figure(k: dict[str, Any], when: str) -> str:
    """A key figure before or after, rounded once from the unrounded value as `check` shows it."""
    shown_text = k.get(f"shown_{when}")
    if shown_text:
        return str(shown_text)
    value, unit = k.get(when), k.get("unit")
    if value is None:
        return "–"
    number = Decimal(str(value))
    if unit == "%":
        return f"{number.quantize(Decimal('0.1'), ROUND_HALF_UP)}".replace(".", ",") + " %"
    return format_amount(number.quantize(Decimal(1), ROUND_HALF_UP))


def level(k: dict[str, Any], when: str) -> str:
    lv = k.get(f"level_{when}")
    return str(k.get(f"band_{when}") or LEVEL_WORD.get(str(lv), lv or "–"))


def changed_figures(result) -> list[dict[str, Any]]:
    """Key figures whose shown value or level changes (a change below the shown precision is no change)."""
    return [k for k in result.key_figures() if k.get("changed")
            and (figure(k, "before") != figure(k, "after") or k.get("level_before") != k.get("level_after"))]


def headline_changes(result) -> list[tuple[str, list[tuple[Any, Any]]]]:
    plan = result.base.budget.meta.plan_years
    out = []
    for label, name in HEADLINES:
        pairs = [(result.base.facts.get(name, y), result.amended.facts.get(name, y)) for y in plan]
        if any(b != a for b, a in pairs):
            out.append((label, pairs))
    return out


def inherited_text(result) -> str | None:
    """«7 advarsler fantes allerede i grunnlaget» (and errors, if any): what the proposal did not cause."""
    found = result.inherited()
    if not found:
        return None
    errors = sum(1 for f in found if f.severity == "error")
    warnings = len(found) - errors
    parts = ([f"{errors} lovbrudd"] if errors else []) + ([f"{warnings} advarsler"] if warnings else [])
    rules = sorted({f.rule for f in found})
    return f"{' og '.join(parts)} fantes allerede i grunnlaget ({', '.join(rules)})"


def law_line(result, fail_on: str) -> str:
    from .present import result_verdict

    return result_verdict(result.amended, fail_on)


def column_titles(results: list) -> list[str]:
    """A comparison names each proposal by its title; the party is added, and then the file, only where needed to
    tell two columns apart (two variants by one party)."""
    titles = [r.amendment.spec.tittel for r in results]
    if len(set(titles)) < len(titles):
        titles = [f"{r.amendment.spec.tittel} ({r.amendment.spec.parti})" for r in results]
    if len(set(titles)) < len(titles):
        titles = [f"{t} [{r.amendment.path.name}]" for t, r in zip(titles, results)]
    return titles
