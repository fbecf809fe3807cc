"""`budsjettkontroll diff A B` in four formats: terminal (rich/text), JSON, Markdown and HTML.

Every format says the same, in this order: whether each version balances; the verdicts that moved (rules and
key-figure bands); then the changed cells per schedule, line and year, with the schedule's total change per year.
"""

from __future__ import annotations

import json
from typing import Any

from ..findings import to_json
from ..numbers import format_amount
from .present import LEVEL_WORD, STATUS_WORD

FORMATS = ("rich", "text", "json", "markdown", "html")


def _name(result) -> str:
    meta = result.budget.meta
    return f"{meta.kommune} kommune – {meta.title}"


def _source(result) -> str:
    from .present import display_path

    return display_path(str(result.budget.source)) if result.budget.source else result.budget.name


def _amount(value: Any, factor: int = 1) -> str:
    if value is None:
        return "–"
    return format_amount(value * factor)


def _delta(value: Any, factor: int = 1) -> str:
    if value is None:
        return ""
    value = value * factor
    return ("+" if value > 0 else "−" if value < 0 else "") + format_amount(abs(value))


def _status(status: str | None) -> str:
    return STATUS_WORD.get(status, "–") if status else "–"


def _band(shown: str | None, level: str | None, band: str | None) -> str:
    text = shown or "–"
    if level and level != "not_evaluated":
        text += f" ({band or LEVEL_WORD.get(level, level)})"
    return text


def _balance_word(diff, which: int) -> str:
    ok = diff.saldert(which)
    years = [b.year for b in diff.balance if b.saldert(which) is False]
    return "saldert i alle planår" if ok else f"IKKE saldert i {', '.join(map(str, years))}"


def _factor(diff, table) -> int:
    return diff.a.budget.meta.sign.factor if table.signed else 1


def headline(diff) -> list[str]:
    return [f"A: {_name(diff.a)} ({_source(diff.a)}): {_balance_word(diff, 0)}",
            f"B: {_name(diff.b)} ({_source(diff.b)}): {_balance_word(diff, 1)}",
            f"{diff.changed_cells} endrede celler i {len(diff.tables)} oversikter · {len(diff.verdicts)} regelvurderinger "
            f"endret · {len(diff.bands)} nøkkeltall endret"]


def render(diff, fmt: str, options: dict[str, Any]) -> str:
    return {"json": render_json, "markdown": render_markdown, "html": render_html}.get(fmt, render_terminal)(
        diff, options)


# --- terminal -----------------------------------------------------------------------------------------------------

def render_terminal(diff, options: dict[str, Any]) -> str:
    from rich.table import Table
    from rich.text import Text

    from .terminal import make_console

    console, buffer = make_console(options)
    console.rule("[bold]Endringer mellom to versjoner")
    for i, line in enumerate(headline(diff)):
        bad = i < 2 and "IKKE" in line
        console.print(Text(line, style="bold red" if bad else ("bold green" if i < 2 else "bold")))
    table = Table(title="Balanse per år (fremført til inndekning; + er merforbruk / udekket)", title_justify="left")
    for column in ("År", "Drift A", "Drift B", "Investering A", "Investering B"):
        table.add_column(column, justify="right")
    for b in diff.balance:
        table.add_row(str(b.year), _amount(b.drift[0]), _amount(b.drift[1]), _amount(b.investering[0]),
                      _amount(b.investering[1]))
    console.print(table)
    if diff.verdicts:
        table = Table(title=f"Regelvurderinger som endret seg ({len(diff.verdicts)})", title_justify="left")
        for column in ("Regel", "År", "A → B", "Melding (B)"):
            table.add_column(column, overflow="fold")
        for v in diff.verdicts:
            table.add_row(v.rule + (f" ({v.subject})" if v.subject else ""), str(v.year or "hele"),
                          Text(f"{_status(v.before)} → {_status(v.after)}",
                               style="bold red" if v.after == "fail" else ("green" if v.after == "pass" else "")),
                          v.message)
        console.print(table)
    else:
        console.print("Ingen regelvurdering endret seg.")
    if diff.bands:
        table = Table(title=f"Nøkkeltall som endret seg ({len(diff.bands)})", title_justify="left")
        for column in ("Nøkkeltall", "År", "A", "B"):
            table.add_column(column, overflow="fold")
        for k in diff.bands:
            table.add_row(k.name, str(k.year or "perioden"), _band(k.shown_before, k.level_before, k.band_before),
                          _band(k.shown_after, k.level_after, k.band_after))
        console.print(table)
    for t in diff.tables:
        factor = _factor(diff, t)
        table = Table(title=f"{t.title}: {len(t.changes)} endrede celler", title_justify="left")
        for column in ("Linje", "År", "A", "B", "Endring"):
            table.add_column(column, justify="left" if column == "Linje" else "right", overflow="fold")
        for c in t.changes:
            table.add_row(c.label + (f" (del {c.group})" if c.group and t.stem == "investering_fordeling" else ""),
                          str(c.year), _amount(c.before, factor), _amount(c.after, factor), _delta(c.delta, factor))
        for year, total in t.totals.items():
            table.add_row(Text("Sum endring", style="bold"), str(year), "", "", Text(_delta(total, factor), style="bold"))
        console.print(table)
        if t.added or t.removed:
            console.print(f"  nye linjer i B: {', '.join(t.added) or '–'} · linjer bare i A: {', '.join(t.removed) or '–'}")
    for side, stems in diff.schedules_only_in.items():
        if stems:
            console.print(f"Oversikter bare i {side.upper()}: {', '.join(stems)}")
    return buffer.getvalue()


# --- JSON ---------------------------------------------------------------------------------------------------------

def as_dict(diff) -> dict[str, Any]:
    from .. import __version__

    def version(result) -> dict[str, Any]:
        return {"kommune": result.budget.meta.kommune, "title": result.budget.meta.title, "source": _source(result),
                "saldert": None}

    a, b = version(diff.a), version(diff.b)
    a["saldert"], b["saldert"] = diff.saldert(0), diff.saldert(1)
    return {
        "schema_version": "1.0", "tool": {"name": "budsjettkontroll", "version": __version__, "command": "diff"},
        "a": a, "b": b,
        "balance": [{"year": x.year, "drift": {"a": to_json(x.drift[0]), "b": to_json(x.drift[1])},
                     "investering": {"a": to_json(x.investering[0]), "b": to_json(x.investering[1])},
                     "saldert": {"a": x.saldert(0), "b": x.saldert(1)}} for x in diff.balance],
        "verdicts": [{"rule": v.rule, "title": v.title, "year": v.year, "subject": v.subject, "severity": v.severity,
                      "a": v.before, "b": v.after, "message": v.message} for v in diff.verdicts],
        "key_figures": [{"id": k.id, "name": k.name, "year": k.year, "a": to_json(k.before), "b": to_json(k.after),
                         "shown": {"a": k.shown_before, "b": k.shown_after},
                         "level": {"a": k.level_before, "b": k.level_after}} for k in diff.bands],
        "schedules": [{"schedule": t.stem, "title": t.title, "added_lines": t.added, "removed_lines": t.removed,
                       "totals": {str(y): to_json(v * _factor(diff, t)) for y, v in t.totals.items()},
                       "cells": [{"line": c.label, "del": c.group, "year": c.year,
                                  "a": to_json(c.before * _factor(diff, t)) if c.before is not None else None,
                                  "b": to_json(c.after * _factor(diff, t)) if c.after is not None else None,
                                  "change": to_json(c.delta * _factor(diff, t)) if c.delta is not None else None}
                                 for c in t.changes]} for t in diff.tables],
        "schedules_only_in": diff.schedules_only_in,
    }


def render_json(diff, options: dict[str, Any]) -> str:
    return json.dumps(as_dict(diff), ensure_ascii=False, indent=2, default=str) + "\n"


# --- Markdown -----------------------------------------------------------------------------------------------------

def render_markdown(diff, options: dict[str, Any]) -> str:
    from .markdown import esc

    out = ["# Endringer mellom to versjoner", ""]
    out += [f"- {esc(line)}" for line in headline(diff)] + [""]
    out += ["## Balanse per år", "", "| År | Drift A | Drift B | Investering A | Investering B |", "|---:|---:|---:|---:|---:|"]
    out += [f"| {b.year} | {_amount(b.drift[0])} | {_amount(b.drift[1])} | {_amount(b.investering[0])} | "
            f"{_amount(b.investering[1])} |" for b in diff.balance] + [""]
    out += [f"## Regelvurderinger som endret seg ({len(diff.verdicts)})", ""]
    if diff.verdicts:
        out += ["| Regel | År | A → B | Melding (B) |", "|---|---|---|---|"]
        out += [f"| {esc(v.rule)}{' (' + esc(v.subject) + ')' if v.subject else ''} | {v.year or 'hele'} | "
                f"{_status(v.before)} → {_status(v.after)} | {esc(v.message)} |" for v in diff.verdicts]
    else:
        out.append("Ingen.")
    out.append("")
    if diff.bands:
        out += [f"## Nøkkeltall som endret seg ({len(diff.bands)})", "", "| Nøkkeltall | År | A | B |", "|---|---|---|---|"]
        out += [f"| {esc(k.name)} | {k.year or 'perioden'} | {esc(_band(k.shown_before, k.level_before, k.band_before))} | "
                f"{esc(_band(k.shown_after, k.level_after, k.band_after))} |" for k in diff.bands] + [""]
    for t in diff.tables:
        factor = _factor(diff, t)
        out += [f"## {esc(t.title)}: {len(t.changes)} endrede celler", "", "| Linje | År | A | B | Endring |",
                "|---|---:|---:|---:|---:|"]
        out += [f"| {esc(c.label)} | {c.year} | {_amount(c.before, factor)} | {_amount(c.after, factor)} | "
                f"{_delta(c.delta, factor)} |" for c in t.changes]
        out += [f"| **Sum endring** | {y} | | | **{_delta(v, factor)}** |" for y, v in t.totals.items()]
        if t.added or t.removed:
            out += ["", f"Nye linjer i B: {esc(', '.join(t.added)) or '–'} · linjer bare i A: "
                        f"{esc(', '.join(t.removed)) or '–'}"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- HTML ---------------------------------------------------------------------------------------------------------

def render_html(diff, options: dict[str, Any]) -> str:
    from .html import CSS, e

    lines = headline(diff)
    bad = not diff.saldert(1)
    body = ["<h1>Endringer mellom to versjoner</h1>",
            f"<div class='verdict {'bad' if bad else 'ok'}'>" + "<br>".join(e(x) for x in lines[:2]) + "</div>",
            f"<p>{e(lines[2])}</p>", "<h2>Balanse per år</h2><table><thead><tr><th>År</th><th>Drift A</th>"
            "<th>Drift B</th><th>Investering A</th><th>Investering B</th></tr></thead><tbody>"]
    body += [f"<tr><td>{b.year}</td><td class='num'>{_amount(b.drift[0])}</td><td class='num'>{_amount(b.drift[1])}</td>"
             f"<td class='num'>{_amount(b.investering[0])}</td><td class='num'>{_amount(b.investering[1])}</td></tr>"
             for b in diff.balance]
    body.append("</tbody></table>")
    body.append(f"<h2>Regelvurderinger som endret seg ({len(diff.verdicts)})</h2>")
    if diff.verdicts:
        body.append("<table><thead><tr><th>Regel</th><th>År</th><th>A → B</th><th>Melding (B)</th></tr></thead><tbody>"
                    + "".join(f"<tr><td><code>{e(v.rule)}</code>{' (' + e(v.subject) + ')' if v.subject else ''}</td>"
                              f"<td>{e(v.year or 'hele')}</td><td class='nw'>{e(_status(v.before))} → "
                              f"{e(_status(v.after))}</td><td>{e(v.message)}</td></tr>" for v in diff.verdicts)
                    + "</tbody></table>")
    else:
        body.append("<p>Ingen.</p>")
    if diff.bands:
        body.append(f"<h2>Nøkkeltall som endret seg ({len(diff.bands)})</h2><table><thead><tr><th>Nøkkeltall</th>"
                    "<th>År</th><th>A</th><th>B</th></tr></thead><tbody>" + "".join(
                        f"<tr><td>{e(k.name)}</td><td>{e(k.year or 'perioden')}</td>"
                        f"<td class='num'>{e(_band(k.shown_before, k.level_before, k.band_before))}</td>"
                        f"<td class='num'>{e(_band(k.shown_after, k.level_after, k.band_after))}</td></tr>"
                        for k in diff.bands) + "</tbody></table>")
    for t in diff.tables:
        factor = _factor(diff, t)
        body.append(f"<h2>{e(t.title)}: {len(t.changes)} endrede celler</h2><table><thead><tr><th>Linje</th><th>År</th>"
                    "<th>A</th><th>B</th><th>Endring</th></tr></thead><tbody>" + "".join(
                        f"<tr><td>{e(c.label)}</td><td>{c.year}</td><td class='num'>{e(_amount(c.before, factor))}</td>"
                        f"<td class='num'>{e(_amount(c.after, factor))}</td>"
                        f"<td class='num'>{e(_delta(c.delta, factor))}</td></tr>" for c in t.changes)
                    + "".join(f"<tr><th>Sum endring</th><td>{y}</td><td></td><td></td>"
                              f"<th class='num'>{e(_delta(v, factor))}</th></tr>" for y, v in t.totals.items())
                    + "</tbody></table>")
        if t.added or t.removed:
            body.append(f"<p class='small'>Nye linjer i B: {e(', '.join(t.added)) or '–'} · linjer bare i A: "
                        f"{e(', '.join(t.removed)) or '–'}</p>")
    title = "Endringer mellom to versjoner"
    return ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")
