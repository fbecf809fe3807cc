"""The terminal report (rich): the conclusion first (verdict, settings, breaches, legal requirements not assessable,
key figures), then headline figures and the rest; --verbose shows every assessment."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..findings import FAIL, NOT_EVALUATED, PASS
from .present import HEADLINES, SEVERITY_WORD, location_text, operands_text, reference_text, shown

STYLE = {FAIL: "bold red", NOT_EVALUATED: "yellow", PASS: "green", "waived": "cyan"}


def terminal_width(default: int = 120) -> int:
    """The terminal's width (COLUMNS, else the terminal itself), or `default` when writing to a pipe or file."""
    import shutil

    return max(60, shutil.get_terminal_size((default, 24)).columns)


def make_console(options: dict[str, Any], width: int | None = None) -> tuple[Console, io.StringIO]:
    """A console writing to a buffer: colour only on a terminal and never with NO_COLOR; as wide as the terminal.
    Text is printed as written: «:warning:» in a name or a message stays those characters (rich would turn emoji
    codes into emoji, and load its emoji table to look for them)."""
    color = options.get("color", False) and not os.environ.get("NO_COLOR")
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color,
                      width=options.get("width") or width or terminal_width(), highlight=False, soft_wrap=False,
                      emoji=False)
    return console, buffer


def render(results: list, options: dict[str, Any]) -> str:
    console, buffer = make_console(options)
    for result in results:
        render_one(console, result, options)
    return buffer.getvalue()


def render_one(console: Console, result, options: dict[str, Any]) -> None:
    """Conclusion first: verdict and settings, breaches, legal requirements not assessable, key figures; then the
    rest. Folded parts (passes, each «ikke vurdert», each remark) are only built with --verbose."""
    from . import settings as run_settings
    from .memo import build

    budget, facts = result.budget, result.facts
    meta = budget.meta
    verbose = options.get("verbose", False)
    memo = build(result, options.get("fail_on", "error"))
    console.rule(f"[bold]{escape(meta.kommune)} kommune – {escape(meta.title)}")
    _verdict_line(console, memo)
    for line in run_settings.lines(result, options):
        console.print(Text(f"  Innstilling: {line}", style="bold yellow"))
    console.print(f"[dim]Status: {meta.status.value}  ·  Kilde: {escape(str(budget.source))}  ·  Beløp i {meta.unit}, "
                  f"{'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'}  ·  År: "
                  + escape(budget.years_text()))
    console.print(f"[dim]Dokument: {budget.document}  ·  Oversikter: {escape(budget.schedules_text())}")
    for note in budget.notes:
        console.print(f"[dim]Merk: {escape(note)}")

    _breaches(console, memo.breaches, result)
    if memo.waived:
        out = Table(title=f"Unntatt (waiver) ({len(memo.waived)})", title_justify="left")
        for column in ("", "Regel", "År", "Melding", "Begrunnelse", "Sted"):
            out.add_column(column, overflow="fold")
        for f in memo.waived:
            out.add_row(Text("UNNTATT", style=STYLE["waived"]), escape(f.rule), _year(f), escape(f.message), escape(f.justification or ""),
                        escape(location_text(f)))
        console.print(out)
    if memo.legal_open:
        _legal_open(console, memo.legal_open)

    absent = {p.pack for p in memo.packs_absent}
    for name, section in result.sections.items():
        if name in absent and not verbose:
            continue  # a pack that does not apply: its section is one line below, not a table of dashes
        renderer = getattr(section, "render_terminal", None)
        if renderer:
            renderer(console, result)

    years = meta.years.all
    table = Table(title="Hovedtall", title_justify="left", show_lines=False)
    table.add_column("Linje", overflow="fold")
    for year in years:
        table.add_column(f"{year}\n{meta.years.kind(year)}", justify="right")
    for stem, label, fact in HEADLINES:
        if budget.has(stem):
            table.add_row(label, *(shown(budget, facts.get(fact, y)) for y in years))
    console.print(table)

    if memo.packs_absent or memo.policy_open or memo.other_open:
        console.print(Text(f"Ikke vurdert ellers", style="bold"))
        for p in memo.packs_absent:
            console.print(Text(f"  {p.title}: ikke vurdert, {p.why} ({p.count} vurderinger av {p.rules} regler)",
                               style="yellow"))
        items = memo.policy_open + memo.other_open
        if items and verbose:
            _open_table(console, f"Ikke vurdert: handlingsregler, nøkkeltall og kontrollpunkter ({len(items)})", items)
        elif items:
            for item in items:
                line = Text(f"  {item.rule} ({item.years_text}): {item.short_reason}", style="yellow")
                if item.location:
                    line.append(f" [{item.location}]", style="dim")
                console.print(line)
    if verbose and memo.packs_absent:
        from .memo import group_open

        absent = {p.pack for p in memo.packs_absent}
        _open_table(console, "Ikke vurdert, pakker som ikke gjelder (detalj)",
                    group_open([f for f in result.findings if f.status == NOT_EVALUATED and f.pack in absent]))

    if memo.remarks:
        _remarks(console, memo, verbose)
    if memo.passed:
        (_passed_each if verbose else _passed_summary)(console, memo.passed)
    s = memo.summary["status"]
    failed = memo.summary["failed_by_severity"]
    console.print(f"Oppsummering: {memo.summary['total']} vurderinger · {s['pass']} oppfylt · "
                  f"{failed['error'] + failed['warning']} brudd ({failed['error']} feil, {failed['warning']} advarsler) · "
                  f"{failed['info']} merknader · "
                  f"{s['not_evaluated']} ikke vurdert · {s.get('waived', 0)} unntatt")
    _verdict_line(console, memo)


def _verdict_line(console: Console, memo) -> None:
    console.print(Text(f"Konklusjon: {memo.verdict}", style="bold red" if memo.bad else "bold green"))


def _year(f) -> str:
    year = str(f.year or "hele")
    column = getattr(f, "column", None)
    return f"{year}\n{column}" if column else year


def _breaches(console: Console, items: list, result=None) -> None:
    """Per rule: a heading with the severity, title and legal basis once; then one line per year with the message
    and the file:line it rests on."""
    if not items:
        console.print(Text("Brudd: ingen", style="green"))
        return
    from rich.padding import Padding

    console.print(Text(f"Brudd ({len(items)})", style="bold red"))
    by_rule: dict[str, list] = defaultdict(list)
    for f in items:
        by_rule[f.rule].append(f)
    for rule, fs in by_rule.items():
        head = Text(f"  {SEVERITY_WORD[fs[0].severity].upper()} ", style=STYLE[FAIL])
        head.append(f"{rule} — {fs[0].title}", style="bold")
        head.append(f"  ({reference_text(fs[0])})", style="dim")
        console.print(head)
        out = Table(box=None, show_header=False, pad_edge=False, expand=True)
        out.add_column("År", no_wrap=True)
        out.add_column("Melding", overflow="fold", ratio=5)
        out.add_column("Sted", overflow="fold", ratio=2, style="dim")
        for f in fs:
            message = Text(f.message + (f" [{f.justification}]" if f.justification else ""))
            basis = operands_text(result, f)
            if basis:
                message.append(f"\n{basis}", style="dim")
            out.add_row(_year(f), message, escape(location_text(f)))
        console.print(Padding(out, (0, 0, 0, 4)))


def _legal_open(console: Console, items: list) -> None:
    """Legal requirements not assessable: each with what to ask the administration for, and where it would be."""
    from rich.padding import Padding

    console.print(Text(f"Lovkrav som ikke kunne vurderes ({len(items)}): følg opp med administrasjonen",
                       style="bold yellow"))
    for item in items:
        head = Text("  IKKE VURDERT ", style="yellow")
        head.append(f"{item.rule} — {item.title}", style="bold")
        head.append(f" ({item.years_text}{', ' + item.subjects_text if item.subjects else ''})")
        console.print(head)
        console.print(Padding(Text(f"{item.ask}.\n{item.reference}  [{item.location}]", style=""), (0, 0, 0, 4)))


def _open_table(console: Console, title: str, items: list, ask: bool = False) -> None:
    out = Table(title=title, title_justify="left", expand=True)
    for column, ratio in (("Regel", 2), ("Hva", 1), ("År", 1), ("Gjelder", 2), ("Hva mangler" if not ask else
                                                                                "Be om", 5), ("Sted", 2)):
        out.add_column(column, overflow="fold", ratio=ratio)
    for item in items:
        out.add_row(Text(item.rule, style="yellow"), item.what, item.years_text, escape(item.subjects_text),
                    escape(item.ask if ask else item.reason) + (f"\n[dim]{escape(item.reference)}" if ask else ""),
                    escape(item.location))
    console.print(out)


def _passed_each(console: Console, items: list) -> None:
    out = Table(title=f"Oppfylt ({len(items)})", title_justify="left")
    for column in ("Regel", "År", "Gjelder", "Melding", "Sted"):
        out.add_column(column, overflow="fold")
    for f in items:
        out.add_row(Text(f.rule, style="green"), _year(f), escape(f.subject or ""), escape(f.message),
                    escape(location_text(f)))
    console.print(out)


def _passed_summary(console: Console, items: list) -> None:
    """One paragraph: which rules were met and in which years (--verbose shows each assessment)."""
    from .memo import years_text

    by_rule: dict[str, list] = defaultdict(list)
    for f in items:
        by_rule[f.rule].append(f)
    text = Text(f"Oppfylt ({len(items)} vurderinger av {len(by_rule)} regler; --verbose viser hver): ", style="bold")
    text.append("; ".join(f"{rule} ({years_text(sorted({f.year for f in fs if f.year}))})"
                          for rule, fs in by_rule.items()), style="green")
    console.print(text)


def _remarks(console: Console, memo, verbose: bool) -> None:
    """MERKNAD: info-level rules not met (rounding within tolerance and the like); not breaches: one line per rule
    unless --verbose."""
    if not verbose:
        console.print(Text(f"Merknader ({len(memo.remarks)}): ikke brudd, vist for åpenhet; --verbose viser hver",
                           style="bold"))
        for group in memo.remark_groups:
            first = group.findings[0]
            line = Text("  MERKNAD ", style="blue")
            line.append(f"{group.rule} ({', '.join(map(str, group.years)) or 'hele'}): {len(group.findings)} stk, "
                        f"f.eks. {first.message} ")
            line.append(f"[{location_text(first)}]", style="dim")
            console.print(line)
        return
    out = Table(title=f"Merknader ({len(memo.remarks)}): ikke brudd, vist for åpenhet", title_justify="left", box=None,
                show_header=True, pad_edge=False)
    for column in ("", "Regel", "År", "Melding", "Sted"):
        out.add_column(column, overflow="fold")
    for f in memo.remarks:
        out.add_row(Text("MERKNAD", style="blue"), escape(f.rule), _year(f), escape(f.message), escape(location_text(f)))
    console.print(out)
