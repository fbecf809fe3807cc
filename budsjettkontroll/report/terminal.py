"""The terminal report (rich): identity, headline figures, verdict, then failures before passes."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..findings import FAIL, NOT_EVALUATED, PASS, summarise
from .present import HEADLINES, STATUS_WORD, SEVERITY_WORD, is_remark, reference_text, shown, sort_findings, verdict

STYLE = {FAIL: "bold red", NOT_EVALUATED: "yellow", PASS: "green", "waived": "cyan"}


def make_console(options: dict[str, Any], width: int = 120) -> tuple[Console, io.StringIO]:
    """A console writing to a buffer: colour only on a terminal and never with NO_COLOR."""
    color = options.get("color", False) and not os.environ.get("NO_COLOR")
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=options.get("width", width),
                      highlight=False, soft_wrap=False)
    return console, buffer


def render(results: list, options: dict[str, Any]) -> str:
    console, buffer = make_console(options)
    for result in results:
        render_one(console, result, options)
    return buffer.getvalue()


def render_one(console: Console, result, options: dict[str, Any]) -> None:
    budget, facts = result.budget, result.facts
    meta = budget.meta
    console.rule(f"[bold]{escape(meta.kommune)} kommune – {escape(meta.title)}")
    console.print(f"Status: {meta.status.value}  ·  Kilde: {escape(str(budget.source))}  ·  Beløp i {meta.unit}, "
                  f"{'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'}")
    console.print("År: " + ", ".join(f"{y} ({meta.years.kind(y)})" for y in meta.years.all))
    for note in budget.notes:
        console.print(f"[dim]Merk: {escape(note)}")

    years = meta.years.all
    table = Table(title="Hovedtall", title_justify="left", show_lines=False)
    table.add_column("Linje")
    for year in years:
        table.add_column(f"{year}\n{meta.years.kind(year)}", justify="right")
    for stem, label, fact in HEADLINES:
        if budget.has(stem):
            table.add_row(label, *(shown(budget, facts.get(fact, y)) for y in years))
    console.print(table)

    for section in result.sections.values():
        renderer = getattr(section, "render_terminal", None)
        if renderer:
            renderer(console, result)

    findings = sort_findings(result.findings)
    summary = summarise(findings)
    word = verdict(findings, options.get("fail_on", "error"))
    console.print(Text(f"Konklusjon: {word}", style="bold red" if word.startswith("BRUDD") else "bold green"))

    show_passed = options.get("verbose", False)
    groups: dict[str, list] = defaultdict(list)
    for f in findings:
        groups["remark" if is_remark(f) else f.status].append(f)
    for status, heading in ((FAIL, "Brudd"), ("waived", "Unntatt (waiver)"), (NOT_EVALUATED, "Ikke vurdert"),
                            ("remark", "Merknader"), (PASS, "Oppfylt")):
        items = groups.get(status, [])
        if not items:
            continue
        if status == PASS and not show_passed:
            _passed_summary(console, items)
            continue
        if status == "remark":
            _remarks(console, items)
            continue
        if status == NOT_EVALUATED and not show_passed:
            _not_evaluated(console, items)
            continue
        out = Table(title=f"{heading} ({len(items)})", title_justify="left", show_lines=False, expand=False)
        for column in ("Status", "Alvor", "Regel", "År", "Hjemmel", "Melding"):
            out.add_column(column, overflow="fold")
        for f in items:
            out.add_row(Text(STATUS_WORD[f.status], style=STYLE.get(f.status, "")), SEVERITY_WORD[f.severity], escape(f.rule),
                        str(f.year or "hele"), escape(reference_text(f)),
                        escape(f.message + (f" [{f.justification}]" if f.justification else "")))
        console.print(out)
    s = summary["status"]
    failed = summary["failed_by_severity"]
    console.print(f"Oppsummering: {summary['total']} vurderinger · {s['pass']} oppfylt · "
                  f"{failed['error'] + failed['warning']} brudd ({failed['error']} feil, {failed['warning']} advarsler) · "
                  f"{failed['info']} merknader · "
                  f"{s['not_evaluated']} ikke vurdert · {s.get('waived', 0)} unntatt")
    console.print(Text(f"Konklusjon: {word}", style="bold red" if word.startswith("BRUDD") else "bold green"))


def _passed_summary(console: Console, items: list) -> None:
    by_rule: dict[str, list] = defaultdict(list)
    for f in items:
        by_rule[f.rule].append(f)
    out = Table(title=f"Oppfylt ({len(items)} vurderinger; --verbose viser hver)", title_justify="left")
    for column in ("Regel", "Hjemmel", "År", "Antall"):
        out.add_column(column, overflow="fold")
    for rule, fs in by_rule.items():
        years = sorted({f.year for f in fs if f.year}) 
        out.add_row(Text(f"{rule}", style="green"), escape(reference_text(fs[0])),
                    ", ".join(map(str, years)) or "hele", str(len(fs)))
    console.print(out)


def _remarks(console: Console, items: list) -> None:
    """MERKNAD: info-level rules not met (rounding within tolerance and the like); not breaches, so kept compact."""
    out = Table(title=f"Merknader ({len(items)}): ikke brudd, vist for åpenhet", title_justify="left", box=None,
                show_header=True, pad_edge=False)
    for column in ("", "Regel", "År", "Melding"):
        out.add_column(column, overflow="fold")
    for f in items:
        out.add_row(Text("MERKNAD", style="blue"), escape(f.rule), str(f.year or "hele"), escape(f.message))
    console.print(out)


def _not_evaluated(console: Console, items: list) -> None:
    """IKKE VURDERT, one row per rule and reason, with the years and subjects it covers: what is missing matters."""
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for f in items:
        reason = f.message
        if f.subject and reason.startswith(f"{f.subject}: "):
            reason = reason[len(f.subject) + 2:]
        if f.year:
            reason = reason.replace(str(f.year), "{år}")
        grouped[(f.rule, reason)].append(f)
    out = Table(title=f"Ikke vurdert ({len(items)} vurderinger; --verbose viser hver)", title_justify="left",
                expand=True)
    for column, ratio in (("Regel", 2), ("Alvor", 1), ("År", 2), ("Gjelder", 2), ("Hva mangler", 6)):
        out.add_column(column, overflow="fold", ratio=ratio)
    for (rule, reason), fs in grouped.items():
        years = sorted({f.year for f in fs if f.year})
        subjects = sorted({f.subject for f in fs if f.subject})
        shown_subjects = ", ".join(subjects[:6]) + (f" og {len(subjects) - 6} til" if len(subjects) > 6 else "")
        out.add_row(Text(rule, style="yellow"), SEVERITY_WORD[fs[0].severity], ", ".join(map(str, years)) or "hele",
                    escape(shown_subjects), escape(reason.replace("{år}", "året")))
    console.print(out)
