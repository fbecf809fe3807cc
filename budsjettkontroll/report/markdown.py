"""Markdown report: fits a pull request comment or $GITHUB_STEP_SUMMARY (GitHub-flavoured tables, <details>).

Every text that comes from the input (labels, titles, messages) is escaped, so a label cannot inject markup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..check import judged_as_of
from ..findings import FAIL, NOT_EVALUATED, PASS, WAIVED, exit_code, summarise, year_label
from ..numbers import format_amount
from .present import (HEADLINES, LEVEL_WORD, display_path, SEVERITY_WORD, STATUS_WORD, figure_value, is_remark, key_figure_table,
                      level_text, location_text, policy_verdicts, result_verdict, shown, sort_findings, verdict)

LEVEL_MARK = {"target": "🟢", "acceptable": "🟡", "unacceptable": "🔴", "not_evaluated": "⚪"}
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def esc(text: Any) -> str:
    """Plain text safe inside Markdown (and a table cell): HTML and Markdown specials neutralised, one line."""
    value = " ".join(str(text if text is not None else "").split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", value)


def link(ref: dict[str, str]) -> str:
    url = ref.get("url")
    if url and url.startswith(("https://", "http://")):
        return f"[{esc(ref['text'])}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"
    return esc(ref.get("text", ""))


def references(finding) -> str:
    return "; ".join(link(r) for r in finding.references)


def render(results: list, options: dict[str, Any]) -> str:
    fail_on = options.get("fail_on", "error")
    every = [f for r in results for f in r.findings]
    out: list[str] = []
    if len(results) > 1:
        bad = exit_code(every, fail_on)
        out += [f"# Budsjettkontroll: {len(results)} budsjetter", "",
                f"**Samlet konklusjon:** {'❌ BRUDD' if bad else '✅ Ingen brudd'} på eller over «{fail_on}».", ""]
        out += ["| Budsjett | Konklusjon | Feil | Advarsler | Merknader | Ikke vurdert | Unntatt |",
                "|---|---|---:|---:|---:|---:|---:|"]
        for r in results:
            s = summarise(r.findings)
            out.append(f"| {esc(r.budget.meta.kommune)}: {esc(r.budget.meta.title)} ({esc(r.budget.name)}) | "
                       f"{esc(result_verdict(r, fail_on))} | "
                       f"{s['failed_by_severity']['error']} | {s['failed_by_severity']['warning']} | "
                       f"{s['failed_by_severity']['info']} | {s['status']['not_evaluated']} | {s['status']['waived']} |")
        out.append("")
    for result in results:
        out += render_one(result, options, level="##" if len(results) > 1 else "#")
    return "\n".join(out).rstrip() + "\n"


def render_one(result, options: dict[str, Any], level: str = "#") -> list[str]:
    """Conclusion first: verdict and settings, breaches, legal requirements not assessable, key figures; the rest
    folded in <details>."""
    from . import settings as run_settings
    from .memo import build, group_open, years_text

    budget, meta = result.budget, result.budget.meta
    fail_on = options.get("fail_on", "error")
    memo = build(result, fail_on)
    sub = level + "#"
    out = [f"{level} Budsjettkontroll: {esc(meta.kommune)} kommune – {esc(meta.title)}", "",
           f"**Konklusjon: {'❌' if memo.bad else '✅'} {esc(memo.verdict)}**", ""]
    trace = run_settings.lines(result, options)
    if trace:
        out += ["> **Innstillinger som endret hva som ble vurdert:**", ">"]
        out += [f"> - {esc(line)}" for line in trace]
        out.append("")
    years = meta.years.all
    out += ["| | |", "|---|---|",
            f"| Kommune | {esc(meta.kommune)}{f' ({esc(meta.kommunenummer)})' if meta.kommunenummer else ''} |",
            f"| Dokument | {esc(meta.title)} ({esc(meta.status.value)}) |",
            f"| År | {esc(budget.years_text())} |",
            f"| Oversikter | {esc(budget.document)}: {esc(budget.schedules_text())} |",
            f"| Beløp | {meta.unit}, {'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'} |",
            f"| Lovverket som gjaldt | {judged_as_of(budget).isoformat()} |",
            f"| Regelpakker | {', '.join(f'{esc(p.name)} {esc(p.spec.version)}' for p in result.packs)} |", ""]
    s = memo.summary
    failed = s["failed_by_severity"]
    out += [f"{s['total']} vurderinger: {s['status']['pass']} oppfylt · {failed['error']} feil · "
            f"{failed['warning']} advarsler · {failed['info']} merknader · {s['status']['not_evaluated']} ikke vurdert · "
            f"{s['status']['waived']} unntatt", ""]

    out += _finding_table(f"{sub} Brudd ({len(memo.breaches)})", memo.breaches, severity=True, result=result)
    if memo.legal_open:
        out += [f"{sub} Lovkrav som ikke kunne vurderes ({len(memo.legal_open)})", "",
                "| Regel | År | Be administrasjonen om | Hjemmel | Sted |", "|---|---|---|---|---|"]
        for item in memo.legal_open:
            out.append(f"| {esc(item.rule)} — {esc(item.title)} | {item.years_text} | {esc(item.ask)} | "
                       f"{references(item.findings[0])} | {esc(item.location)} |")
        out.append("")
    out += _key_figures(result, sub)

    out += [f"{sub} Hovedtall", "", "| Linje | " + " | ".join(map(str, years)) + " |",
            "|---|" + "---:|" * len(years)]
    for stem, label, fact in HEADLINES:
        if budget.has(stem):
            out.append(f"| {esc(label)} | " + " | ".join(shown(budget, result.facts.get(fact, y)) for y in years) + " |")
    out.append("")

    others = memo.policy_open + memo.other_open
    if memo.packs_absent or others:
        out += [f"{sub} Ikke vurdert ({memo.open_count})", ""]
        out += [f"- **{esc(p.title)}: ikke vurdert**, {esc(p.why)} ({p.count} vurderinger av {p.rules} regler)"
                for p in memo.packs_absent]
        out += [f"- {esc(item.rule)} ({item.years_text}{', ' + esc(item.subjects_text) if item.subjects else ''}): "
                f"{esc(item.short_reason)} — {esc(item.location)}" for item in others]
        out.append("")
        absent = {p.pack for p in memo.packs_absent}
        detail = group_open([f for f in result.findings if f.status == NOT_EVALUATED and f.pack in absent])
        if detail:
            out += ["<details><summary>Ikke vurdert i pakker som ikke gjelder (detalj)</summary>", "",
                    "| Regel | År | Gjelder | Hva mangler |", "|---|---|---|---|"]
            out += [f"| {esc(i.rule)} | {i.years_text} | {esc(i.subjects_text)} | {esc(i.short_reason)} |"
                    for i in detail]
            out += ["", "</details>", ""]
    if memo.remarks:
        out += [f"<details><summary>Merknader ({len(memo.remarks)}): avvik som ikke er brudd, f.eks. avrunding"
                "</summary>", ""]
        out += _finding_table(None, memo.remarks)
        out += ["</details>", ""]
    if memo.waived:
        out += [f"{sub} Unntatt ({len(memo.waived)})", "", "| Regel | År | Melding | Begrunnelse |", "|---|---|---|---|"]
        out += [f"| {esc(f.rule)} | {esc(year_label(f))} | {esc(f.message)} | {esc(f.justification)} |"
                for f in memo.waived]
        out.append("")
    by_rule = memo.passed_by_rule
    if by_rule:
        out += [f"<details><summary>Oppfylt ({len(memo.passed)} vurderinger av {len(by_rule)} regler)</summary>", "",
                "| Regel | Tittel | Hjemmel | År | Antall |", "|---|---|---|---|---:|"]
        for rule, fs in by_rule.items():
            ys = years_text(sorted({f.year for f in fs if f.year}))
            out.append(f"| {esc(rule)} | {esc(fs[0].title)} | {references(fs[0])} | {ys} | {len(fs)} |")
        out += ["", "</details>", ""]
    return out


def _finding_table(heading: str | None, items: list, severity: bool = False, result=None) -> list[str]:
    from .present import operands_text

    if not items:
        return [heading, "", "Ingen.", ""] if heading and "Brudd" in heading else []
    out = [heading, ""] if heading else []
    head = ("| Alvor " if severity else "") + "| Regel | År | Melding | Hjemmel | Sted |"
    out += [head, "|" + "---|" * (head.count("|") - 1)]
    for f in items:
        cells = ([SEVERITY_WORD[f.severity]] if severity else []) + [
            esc(f.rule), esc(year_label(f)), esc(" ".join(x for x in (f.message, operands_text(result, f)) if x)),
            references(f), esc(location_text(f))]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    return out


def _key_figures(result, sub: str) -> list[str]:
    years, rows = key_figure_table(result)
    summary, verdicts = policy_verdicts(result)
    if not rows and not verdicts:
        return []
    out = [f"{sub} Handlingsregler", ""]
    if summary:
        out += [f"**{esc(summary)}**", ""]
    out += [f"- {esc(line)}" for line in verdicts]
    if verdicts:
        out.append("")
    if rows:
        out += ["| Nøkkeltall | " + " | ".join(str(y) if y else "Hele perioden" for y in years) + " |",
                "|---|" + "---|" * len(years)]
        for _fid, name, _unit, by_year in rows:
            cells = []
            for y in years:
                item = by_year.get(y)
                word = level_text(item)
                if item is None:
                    cells.append("")
                elif word is None:
                    cells.append(esc(figure_value(item)))
                else:
                    level = str(item.get("level") or "not_evaluated")
                    cells.append(f"{LEVEL_MARK.get(level, '')} {esc(figure_value(item))} ({esc(word)})")
            out.append(f"| {esc(name)} | " + " | ".join(cells) + " |")
        out += ["", "🟢 ønsket nivå · 🟡 akseptabelt · 🔴 ikke godkjent · ⚪ ikke vurdert", ""]
    return out


# --- endringsforslag (amend --format markdown) --------------------------------------------------------------------

def render_amendments(results: list, options: dict[str, Any]) -> str:
    """Markdown for `amend`: per proposal the verdict (saldert, or the gap per year), the party's changes with their
    lines in the proposal file, what the tool added and on which assumptions, the balance per year, headline and
    key figures before → after, inherited warnings and the rules whose status changed."""
    from .amend_present import balance_word, column_titles

    out: list[str] = []
    if len(results) > 1:
        plan = results[0].base.budget.meta.plan_years
        titles = column_titles(results)
        out += ["# Endringsforslag: sammenligning", "", "| | Grunnlag | " + " | ".join(
            f"{esc(t)} ({esc(r.amendment.spec.parti)})" if r.amendment.spec.parti not in t else esc(t)
            for t, r in zip(titles, results)) + " |", "|---|---|" + "---|" * len(results),
                "| Saldert | | " + " | ".join("✅ ja" if r.saldert else "❌ nei (" + ", ".join(map(str, r.unbalanced_years))
                                              + ")" for r in results) + " |"]
        for year in plan:
            cells = [next((b for b in r.balance if b.year == year), None) for r in results]
            out.append(f"| Drift {year} | {esc(balance_word(cells[0].drift_before if cells[0] else None))} | "
                       + " | ".join(esc(balance_word(b.drift_after if b else None)) for b in cells) + " |")
        out.append("")
    for result in results:
        out += _amendment(result, options, "##" if len(results) > 1 else "#")
    return "\n".join(out).rstrip() + "\n"


def _amount(value: Any) -> str:
    return esc(format_amount(value)) if value is not None else "–"


def _amendment(result, options: dict[str, Any], level: str) -> list[str]:
    from .amend_present import (assumptions, balance_word, causes, changed_figures, derived_amounts, figure,
                                file_line, financing, headline_changes, inherited_text, law_line, new_area_text,
                                title_line, where)
    from .amend_present import level as level_word

    spec = result.amendment.spec
    base = result.base.budget
    meta = base.meta
    plan = meta.plan_years
    sub = level + "#"
    out = [f"{level} Endringsforslag: {esc(title_line(result))}", ""]
    if spec.eksempel:
        out += ["*Eksempel – ikke et reelt partiforslag.*", ""]
    out += [f"Parti: {esc(spec.parti)} · Dato: {spec.dato.strftime('%d.%m.%Y') if spec.dato else '–'} · Forslagsfil: "
            f"{esc(display_path(str(result.amendment.path)))}", "",
            f"Grunnlag: {esc(meta.kommune)} kommune – {esc(meta.title)}. Beløp i {meta.unit} i skjemaenes fortegn.", ""]
    if spec.beskrivelse:
        out += [esc(spec.beskrivelse), ""]
    if result.saldert:
        out.append(f"**Konklusjon: ✅ SALDERT i alle planår ({plan[0]}–{plan[-1]})**")
    else:
        out.append(f"**Konklusjon: ❌ IKKE SALDERT i {', '.join(map(str, result.unbalanced_years))}**")
        out.append("")
        for b in result.balance:
            for side, message in b.gaps():
                why = causes(b, side)
                out.append(f"- {esc(message)}" + (f" (skyldes {esc('; '.join(why))})" if why else ""))
    out += ["", f"Lovkrav etter endringen: **{esc(law_line(result, options.get('fail_on', 'error')))}**", ""]
    inherited = inherited_text(result)
    if inherited:
        out += [f"- {esc(inherited)}."]
    out += [f"- **Nytt brudd:** {esc(f.rule)} {f.year or 'hele'}: {esc(f.message)}" for f in result.new_breaches()]
    out.append("")

    hints = result.sign_hints()
    out += [f"{sub} Endringer i forslaget", "", "| Nr | Endring | Linje | Fil:linje | " + " | ".join(map(str, plan))
            + " |", "|---:|---|---|---|" + "---:|" * len(plan)]
    for c in result.changes:
        text = esc(c.text) + (f" ⚠ *{esc(hints[c.number])}*" if c.number in hints else "")
        line = esc(where(c)) + (f" ({esc(new_area_text(c))})" if c.new else "") + (
            f"; finansiering: {esc(financing(c))}" if c.financing else "")
        out.append(f"| {c.number} | {text} | {line} | {esc(file_line(c, result))} | "
                   + " | ".join(_amount(c.amounts.get(y)) for y in plan) + " |")
    out.append("")
    if result.derived:
        from ..amend import KIND_WORD

        out += [f"{sub} Det verktøyet har lagt til", "", "| Fra | Hva | Linje | " + " | ".join(map(str, plan))
                + " |", "|---|---|---|" + "---:|" * len(plan)]
        for d in result.derived:
            amounts = derived_amounts(result, d)
            out.append(f"| {'nr. ' + str(d.source) if d.source else 'forslaget'} | {esc(KIND_WORD.get(d.kind, d.kind))} | "
                       f"{esc(d.label)} | " + " | ".join(_amount(amounts.get(y)) for y in plan) + " |")
        out.append("")
        premises = assumptions(result)
        if premises:
            out += ["Forutsetninger:", ""] + [f"- {esc(p)}" for p in premises] + [""]
    out += [f"{sub} Balanse per år", "", "Fremført til inndekning i senere år før og etter forslaget.", "",
            "| År | Drift før | Drift etter | Investering før | Investering etter | Saldert | Hva endrer balansen |",
            "|---:|---:|---:|---:|---:|---|---|"]
    for b in result.balance:
        why = causes(b, "drift") + [f"investering: {c}" for c in causes(b, "investering")]
        out.append(f"| {b.year} | {esc(balance_word(b.drift_before))} | {esc(balance_word(b.drift_after))} | "
                   f"{esc(balance_word(b.investering_before, 'investering'))} | "
                   f"{esc(balance_word(b.investering_after, 'investering'))} | "
                   f"{'ja' if b.saldert else '**NEI**'} | {esc('; '.join(why))} |")
    out.append("")
    headlines = headline_changes(result)
    if headlines:
        factor = meta.sign.factor
        out += [f"{sub} Hovedtall før → etter", "", "| Linje | " + " | ".join(map(str, plan)) + " |",
                "|---|" + "---:|" * len(plan)]
        for label, pairs in headlines:
            out.append(f"| {esc(label)} | " + " | ".join(
                _amount(b * factor if b is not None else None)
                + (f" → {_amount(a * factor if a is not None else None)}" if a != b else "") for b, a in pairs) + " |")
        out.append("")
    changed = changed_figures(result)
    if changed:
        out += [f"{sub} Nøkkeltall før → etter", "", "| Nøkkeltall | År | Før | Etter | Nivå før → etter |",
                "|---|---|---:|---:|---|"]
        for k in changed:
            levels = f"{level_word(k, 'before')} → {level_word(k, 'after')}" if k.get("level_before") or \
                k.get("level_after") else ""
            out.append(f"| {esc(k.get('name') or k.get('id'))} | {k.get('year') or 'perioden'} | "
                       f"{esc(figure(k, 'before'))} | {esc(figure(k, 'after'))} | {esc(levels)} |")
        out.append("")
    rules = result.rule_changes()
    out += [f"{sub} Regler med endret status", ""]
    if rules:
        out += ["| Regel | År | Før → etter | Melding |", "|---|---|---|---|"]
        out += [f"| {esc(r['rule'])} | {r['year'] or 'hele'} | {STATUS_WORD.get(r['before'], '–')} → "
                f"{STATUS_WORD.get(r['after'], r['after'])} | {esc(r['message'])} |" for r in rules]
    else:
        out.append("Ingen regel endrer status.")
    out.append("")
    out += [f"- Merk: {esc(n)}" for n in result.notes]
    return out
