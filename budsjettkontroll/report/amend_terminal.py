"""The terminal report of `budsjettkontroll amend`: per proposal the verdict first (saldert or the gap per
year and what causes it), then the party's changes, the consequences the tool added, the balance, the key
figures before and after and the rules whose status changed; with several proposals, a comparison table with
one column per party."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..amend import KIND_WORD
from ..catalogue import TABLES
from ..numbers import format_amount
from .amend_present import (HEADLINES, SHORT, balance_word, changed_figures, column_titles, figure, file_line,
                            inherited_text, law_line, new_area_text)
from .amend_present import level as level_text
from .present import LEVEL_WORD, STATUS_WORD, shown, verdict

LEVEL_STYLE = {"unacceptable": "bold red", "acceptable": "yellow", "target": "green", "not_evaluated": "dim"}


def render(results: list, options: dict[str, Any]) -> str:
    from .terminal import make_console

    console, buffer = make_console(options)
    for result in results:
        render_one(console, result, options)
    if len(results) > 1:
        render_comparison(console, results)
    return buffer.getvalue()


def _year_table(title: str, first: list[str], years: list[int]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in first:
        table.add_column(column, overflow="fold")
    for year in years:
        table.add_column(str(year), justify="right")
    return table


def render_one(console: Console, result, options: dict[str, Any]) -> None:
    amendment, spec = result.amendment, result.amendment.spec
    base = result.base.budget
    meta = base.meta
    plan = meta.plan_years
    date = f", {spec.dato.strftime('%d.%m.%Y')}" if spec.dato else ""
    console.rule(f"[bold]Endringsforslag: {spec.tittel} – {spec.parti}{date}")
    if spec.eksempel:
        console.print(Text("EKSEMPEL – ikke et reelt partiforslag.", style="bold"))
    console.print(f"Fil: {_path(amendment.path)}")
    console.print(f"Grunnlag: {meta.kommune} kommune – {meta.title} ({_path(base.source)})")
    console.print(f"Beløp i {meta.unit}, {'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'} "
                  "som i skjemaene.")

    # verdict first
    if result.saldert:
        console.print(Text(f"Konklusjon: SALDERT i alle planår ({plan[0]}-{plan[-1]})", style="bold green"))
    else:
        years = ", ".join(map(str, result.unbalanced_years))
        console.print(Text(f"Konklusjon: IKKE SALDERT i {years}", style="bold red"))
        for b in result.balance:
            for side, message in b.gaps():
                causes = "; ".join(f"{_who(c)} {_signed(getattr(c, side))}" for c in b.causes if getattr(c, side))
                console.print(f"  • {message}" + (f" (skyldes {causes})" if causes else ""))
    law = law_line(result, options.get("fail_on", "error"))
    console.print(Text(f"Lovkrav etter endringen: {law}", style="bold red" if law.startswith("BRUDD") else "bold"))
    inherited = inherited_text(result)
    if inherited:
        console.print(Text(f"  • {inherited}.", style="dim"))
    for f in result.new_breaches():
        console.print(Text(f"  • Nytt brudd: {f.rule} {f.year or 'hele'}: {f.message}", style="red"))

    # the party's changes
    hints = result.sign_hints()
    table = _year_table("Endringer i forslaget", ["Nr", "Endring", "Linje"], plan)
    for c in result.changes:
        where = f"{SHORT[c.stem]}{f', del {c.group}' if c.stem == 'investering_fordeling' and c.group else ''}: " \
                f"{c.label}{' (ny)' if c.new else ''}"
        if c.financing:
            where += "\nfinansiering: " + ", ".join(f"{k} {(s * 100).normalize():f} %" for k, s in c.financing)
        text = Text(c.text)
        text.append(f"\n{file_line(c, result)}", style="dim")
        if c.number in hints:
            text.append(f"\n⚠ {hints[c.number]}", style="bold yellow")
        if c.new:
            where += f"\n{new_area_text(c)}"
        table.add_row(str(c.number), text, where, *(_amount(c.amounts.get(y)) for y in plan))
    console.print(table)

    # consequences the tool added
    if result.derived:
        table = _year_table("Følger som verktøyet har lagt til", ["Fra", "Hva", "Linje"], plan)
        for d in result.derived:
            factor = meta.sign.factor if TABLES[d.stem].signed else 1
            table.add_row(f"nr. {d.source}" if d.source else "forslaget", KIND_WORD[d.kind],
                          f"{SHORT[d.stem]}: {d.label}", *(_amount(d.amounts[y] * factor if y in d.amounts else None)
                                                           for y in plan))
        console.print(table)
        seen = set()
        for d in result.derived:
            key = (d.kind, d.explanation)
            if d.explanation and key not in seen:
                seen.add(key)
                console.print(f"[dim]  {KIND_WORD[d.kind]}: {d.explanation}", highlight=False)
        rates = ", ".join(f"{y}: {str(r).replace('.', ',')} %" for y, r in sorted(result.rates.items()))
        if any(d.kind in ("renter", "avdrag") for d in result.derived):
            source = "endringsforslaget" if result.amendment.premises.rente else "budsjett.toml"
            console.print(f"[dim]  rentepremiss ({source}): {rates}", highlight=False)

    # balance per year
    table = Table(title="Balanse per år (fremført til inndekning i senere år)", title_justify="left")
    for column in ("År", "Drift før", "Drift etter", "Investering før", "Investering etter", "Saldert", "Virkning per endring"):
        table.add_column(column, justify="right" if column not in ("Saldert", "Virkning per endring") else "left",
                         overflow="fold")
    for b in result.balance:
        causes = "\n".join(f"{_who(c)}: {_effects(c)}" for c in b.causes)
        table.add_row(str(b.year), balance_word(b.drift_before), balance_word(b.drift_after),
                      balance_word(b.investering_before, "investering"),
                      balance_word(b.investering_after, "investering"), Text("ja" if b.saldert else "NEI",
                                                         style="green" if b.saldert else "bold red"), causes)
    console.print(table)

    # headline lines before → after
    table = _year_table("Hovedtall før → etter", ["Linje"], plan)
    shown_any = False
    for label, name in HEADLINES:
        before = [result.base.facts.get(name, y) for y in plan]
        after = [result.amended.facts.get(name, y) for y in plan]
        if before != after:
            shown_any = True
            table.add_row(label, *(_change(shown(base, b), shown(base, a)) for b, a in zip(before, after)))
    if shown_any:
        console.print(table)

    # key figures and handlingsregler before → after
    figures = result.key_figures()
    if figures:
        changed = changed_figures(result)
        table = Table(title="Nøkkeltall og handlingsregler før → etter (bare det som endres)", title_justify="left")
        for column in ("Nøkkeltall", "År", "Før", "Etter", "Nivå før → etter"):
            table.add_column(column, justify="right" if column in ("Før", "Etter") else "left", overflow="fold")
        for k in changed:
            level = Text("")
            if not k["level_before"] == k["level_after"] == "not_evaluated":
                level = Text(level_text(k, "before"), style=LEVEL_STYLE.get(k["level_before"], ""))
                level.append(" → ")
                level.append(level_text(k, "after"), style=LEVEL_STYLE.get(k["level_after"], ""))
            table.add_row(k["name"] or k["id"], str(k["year"] or "perioden"), figure(k, "before"),
                          figure(k, "after"), level)
        if changed:
            console.print(table)
        else:
            console.print("Nøkkeltallene endres ikke.")
    else:
        console.print("[dim]Nøkkeltall er ikke tilgjengelige (handlingsregel-modulen er ikke installert).")

    # rules whose status changed
    changes = result.rule_changes()
    if changes:
        table = Table(title="Regler med endret status", title_justify="left")
        for column in ("Regel", "År", "Før → etter", "Melding"):
            table.add_column(column, overflow="fold")
        for r in changes:
            style = "bold red" if r["after"] == "fail" else ("green" if r["after"] == "pass" else "")
            table.add_row(r["rule"], str(r["year"] or "hele"),
                          Text(f"{STATUS_WORD.get(r['before'], '–')} → {STATUS_WORD.get(r['after'], r['after'])}",
                               style=style), r["message"] + (f" Merk: {r['note']}." if r.get("note") else ""))
        console.print(table)
    else:
        console.print("Ingen regel endrer status.")
    for note in result.notes:
        console.print(f"[dim]Merk: {note}", highlight=False)
    console.print()


def render_comparison(console: Console, results: list) -> None:
    """One column per proposal (and the base): balance per year, key figures judged by a handlingsregel."""
    base = results[0].base
    plan = base.budget.meta.plan_years
    table = Table(title="Sammenligning av forslagene", title_justify="left")
    table.add_column("")
    table.add_column("Grunnlag", justify="right")
    for title, r in zip(column_titles(results), results):
        table.add_column(f"{title}\n{r.amendment.spec.parti}" if r.amendment.spec.parti not in title else title,
                         justify="right", overflow="fold")
    table.add_row("Saldert", "", *(Text("ja" if r.saldert else f"nei ({', '.join(map(str, r.unbalanced_years))})",
                                        style="green" if r.saldert else "bold red") for r in results))
    for year in plan:
        rows = [next(b for b in r.balance if b.year == year) for r in results]
        first = rows[0]
        table.add_row(f"Merforbruk drift {year}", _amount(first.drift_before), *(_amount(b.drift_after) for b in rows))
        if any(b.investering_after for b in rows) or first.investering_before:
            table.add_row(f"Udekket investering {year}", _amount(first.investering_before),
                          *(_amount(b.investering_after) for b in rows))
    judged = _judged_rows(results)
    for key in judged:
        base_row = next((k for k in results[0].key_figures() if (k["id"], k["year"]) == key), None)
        cells = []
        for r in results:
            k = next((k for k in r.key_figures() if (k["id"], k["year"]) == key), None)
            cells.append(_figure_cell(k, "after"))
        name = (base_row or {}).get("name") or key[0]
        table.add_row(f"{name} {key[1]}" if key[1] else name, _figure_cell(base_row, "before"), *cells)
    table.add_row("Lovbrudd (feil) etter endring", str(_errors(base.findings)),
                  *(str(_errors(r.amended.findings)) for r in results))
    console.print(table)


def _judged_rows(results: list) -> list[tuple]:
    section = results[0].base.sections.get("key_figures")
    rows = section.as_json() if section is not None and hasattr(section, "as_json") else []
    judged_ids = [r["id"] for r in rows if r.get("rule")]
    return [(r["id"], r["year"]) for r in rows if r["id"] in judged_ids]


def _errors(findings) -> int:
    return sum(1 for f in findings if f.status == "fail" and f.severity == "error")


def _figure_cell(row: dict | None, when: str) -> Text:
    if row is None:
        return Text("–")
    level = row.get(f"level_{when}")
    text = Text(figure(row, when))
    if level and level != "not_evaluated":
        text.append("\n" + (row.get(f"band_{when}") or LEVEL_WORD.get(level, level)), style=LEVEL_STYLE.get(level, ""))
    return text


def _path(path) -> str:
    """A path relative to the working directory when it lies below it (shorter, and the same on every machine)."""
    from pathlib import Path

    if path is None:
        return "–"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _who(cause) -> str:
    if cause.number is None:
        return cause.text
    text = cause.text if len(cause.text) <= 40 else cause.text[:39] + "…"
    return f"nr. {cause.number} «{text}»"


def _effects(cause) -> str:
    parts = []
    if cause.drift:
        parts.append(f"drift {_signed(cause.drift)}")
    if cause.investering:
        parts.append(f"investering {_signed(cause.investering)}")
    return ", ".join(parts)


def _signed(value: int) -> str:
    return ("+" if value > 0 else "−") + format_amount(abs(value))


def _amount(value: Any) -> str:
    return "" if value is None else format_amount(value)


def _change(before: str, after: str) -> str:
    return after if before == after else f"{before} → {after}"
