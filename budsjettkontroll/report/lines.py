"""`budsjettkontroll lines [PATH]`: the names a proposal may use, as the package prints them, so a party secretary
can copy them into «linje:» — areas (tabell: område), projects with their del (tabell: prosjekt), and the § 5-4 and
§ 5-5 lines that can be changed directly (sum lines and lines another schedule carries are left out)."""

from __future__ import annotations

from ..adjust import refusal
from ..budget import Budget
from ..catalogue import TABLES

DEL_WORD = {1: "varige driftsmidler", 2: "tilskudd til andres investeringer", 3: "aksjer og andeler",
            4: "utlån av egne midler"}


def areas(budget: Budget) -> list[str]:
    table = budget.tables.get("drift_fordeling")
    return [r.label for r in table.rows if r.key is None] if table is not None else []


def projects(budget: Budget) -> list[tuple[int | None, str]]:
    table = budget.tables.get("investering_fordeling")
    return [(r.group, r.label) for r in table.rows if r.key is None] if table is not None else []


def fixed_lines(budget: Budget, stem: str) -> list[str]:
    """Lines of a schedule with fixed lines that a proposal can change (not sums, not carried from elsewhere)."""
    table = budget.tables.get(stem)
    if table is None:
        return []
    out = []
    for row in table.rows:
        if row.key is None or refusal(budget, stem, row.label):
            continue
        out.append(row.label)
    return out


def candidates(budget: Budget, stem: str) -> list[str]:
    """The names «linje:» may take for a table (used by amend's message for an unknown name)."""
    if stem == "drift_fordeling":
        return areas(budget)
    if stem == "investering_fordeling":
        return [label for _, label in projects(budget)]
    return fixed_lines(budget, stem)


def render_text(budget: Budget) -> str:
    meta = budget.meta
    out = [f"{meta.kommune} kommune – {meta.title}" + (f" ({budget.source})" if budget.source else ""),
           "Navnene kan kopieres til «linje:» i et endringsforslag. Et nytt område eller prosjekt krever «ny: true».", ""]
    found = areas(budget)
    out.append(f"Områder (tabell: område) – {TABLES['drift_fordeling'].paragraph}:")
    out += [f"  {a}" for a in found] or ["  (pakken har ikke § 5-4 andre ledd)"]
    out.append("")
    out.append(f"Prosjekter (tabell: prosjekt) – {TABLES['investering_fordeling'].paragraph}:")
    rows = projects(budget)
    if not rows:
        out.append("  (pakken har ingen prosjekter i § 5-5 andre ledd)")
    for part in sorted({g for g, _ in rows if g is not None}) + ([None] if any(g is None for g, _ in rows) else []):
        out.append(f"  del {part} {DEL_WORD.get(part, '')}:" if part is not None else "  uten del:")
        out += [f"    {label}" for g, label in rows if g == part]
    for stem, word in (("drift", "drift"), ("investering", "investering")):
        out.append("")
        out.append(f"Linjer (tabell: {word}) – {TABLES[stem].paragraph}:")
        lines = fixed_lines(budget, stem)
        out += [f"  {label}" for label in lines] or ["  (pakken har ikke denne oversikten)"]
    return "\n".join(out) + "\n"


def render_json(budget: Budget) -> str:
    import json

    data = {"areas": areas(budget), "projects": [{"del": g, "line": label} for g, label in projects(budget)],
            "drift": fixed_lines(budget, "drift"), "investering": fixed_lines(budget, "investering")}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
