"""The proposal report of `amend --format html`: one self-contained page a party can send, printed on 2-3 A4 pages.

Per proposal: title, party and date; the verdict (saldert, or the gap per year with its causes) and the legal
verdict after the change, with the base budget's own warnings told apart; the changes as written, each with its
line in the proposal file and a hint where its sign looks wrong; what the tool added and on which assumptions; the
balance per year in words; headline figures and key figures before → after; rules whose status changed.
With several proposals a comparison comes first, one column per proposal named by its title.

The web page's print view reuses `render` and `render_one` (keep their signatures).
"""

from __future__ import annotations

from typing import Any

from .amend_present import (amount, assumptions, balance_word, causes, changed_figures, column_titles,
                            derived_amounts, figure, file_line, financing, headline_changes, inherited_text, law_line,
                            level, new_area_text, title_line, where)
from .html import CSS, e
from .present import STATUS_WORD, display_path

EXTRA_CSS = """
section.proposal { font-size: 9.5pt; } section.proposal table { font-size: 8.5pt; margin: 1mm 0 3mm; }
section.proposal th { white-space: nowrap; } section.proposal h2 { font-size: 12pt; margin: 5mm 0 1.5mm; }
section.proposal th, section.proposal td { padding: 0.6mm 1.2mm; }
.verdict ul { font-size: 10pt; font-weight: normal; margin: 1mm 0; }
.hint { color: #8a4b00; font-size: 9pt; } .tag { font-size: 8pt; border: 1px solid #999; padding: 0 1mm; }
section.proposal + section.proposal { break-before: page; page-break-before: always; }
td.cause { font-size: 8.5pt; }
"""


def render(results: list, options: dict[str, Any]) -> str:
    if len(results) == 1:
        title = f"Endringsforslag: {title_line(results[0])}"
    else:
        title = f"Endringsforslag: {len(results)} forslag til {results[0].base.budget.meta.title}"
    body = [f"<h1>{e(title)}</h1>"]
    if len(results) > 1:
        body += comparison(results)
    for result in results:
        body += render_one(result, options, heading=len(results) > 1)
    body.append("<p class='small'>Laget av budsjettkontroll. Beløp i 1000 kr i skjemaenes fortegn. Verktøyet regner "
                "følgene av forslaget etter forutsetningene som står over; «ikke vurdert» betyr at grunnlaget mangler, "
                "aldri at kravet er oppfylt.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}{EXTRA_CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def _years_head(first: list[str], plan: list[int]) -> str:
    return ("<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in first)
            + "".join(f"<th class='num'>{y}</th>" for y in plan) + "</tr></thead>")


def render_one(result, options: dict[str, Any], heading: bool = False) -> list[str]:
    spec = result.amendment.spec
    base = result.base.budget
    meta = base.meta
    plan = meta.plan_years
    fail_on = options.get("fail_on", "error")
    out = ['<section class="proposal">']
    if heading:
        out.append(f"<h2>{e(title_line(result))}</h2>")
    if spec.eksempel:
        out.append("<p><strong>EKSEMPEL – ikke et reelt partiforslag.</strong></p>")
    if result.saldert:
        out.append(f'<p class="verdict ok">Konklusjon: SALDERT i alle planår ({plan[0]}–{plan[-1]})</p>')
    else:
        out.append(f'<div class="verdict bad">Konklusjon: IKKE SALDERT i '
                   f'{e(", ".join(map(str, result.unbalanced_years)))}<ul>')
        for b in result.balance:
            for side, message in b.gaps():
                why = causes(b, side)
                out.append(f"<li>{e(message)}" + (f" (skyldes {e('; '.join(why))})" if why else "") + "</li>")
        out.append("</ul></div>")
    out.append(f"<p><strong>Lovkrav etter endringen:</strong> {e(law_line(result, fail_on))}</p>")
    inherited = inherited_text(result)
    new = result.new_breaches()
    if inherited or new:
        out.append("<ul>" + (f"<li>{e(inherited)}.</li>" if inherited else "")
                   + "".join(f"<li><strong>Nytt brudd:</strong> <code>{e(f.rule)}</code> {e(f.year or 'hele')}: "
                             f"{e(f.message)}</li>" for f in new) + "</ul>")
    ident = [("Parti", e(spec.parti)), ("Dato", e(spec.dato.strftime("%d.%m.%Y") if spec.dato else "–")),
             ("Forslagsfil", f"<code>{e(display_path(str(result.amendment.path)))}</code>"),
             ("Grunnlag", f"{e(meta.kommune)} kommune – {e(meta.title)}"),
             ("Beløp", f"{e(meta.unit)}, {'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'} "
                       "som i skjemaene")]
    out.append('<dl class="identity">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in ident) + "</dl>")
    if spec.beskrivelse:
        out.append(f"<p>{e(' '.join(spec.beskrivelse.split()))}</p>")

    hints = result.sign_hints()
    out.append("<h2>Endringer i forslaget</h2><table>" + _years_head(["Nr", "Endring", "Linje i budsjettet"], plan)
               + "<tbody>")
    for c in result.changes:
        line = e(where(c))
        new_text = new_area_text(c)
        if new_text:
            line += f" <span class='tag'>ny</span><br><span class='small'>{e(new_text)}</span>"
        if c.financing:
            line += f"<br><span class='small'>finansiering: {e(financing(c))}</span>"
        text = f"{e(c.text)}<br><span class='small'><code>{e(file_line(c, result))}</code></span>"
        if c.number in hints:
            text += f"<br><span class='hint'>⚠ {e(hints[c.number])}</span>"
        out.append(f"<tr><td class='num'>{c.number}</td><td>{text}</td><td>{line}</td>"
                   + "".join(f"<td class='num'>{e(amount(c.amounts.get(y)))}</td>" for y in plan) + "</tr>")
    out.append("</tbody></table>")

    if result.derived:
        from ..amend import KIND_WORD

        out.append("<h2>Det verktøyet har lagt til</h2><table>" + _years_head(["Fra", "Hva", "Linje"], plan)
                   + "<tbody>")
        for d in result.derived:
            amounts = derived_amounts(result, d)
            out.append(f"<tr><td class='nw'>{'nr. ' + str(d.source) if d.source else 'forslaget'}</td>"
                       f"<td>{e(KIND_WORD.get(d.kind, d.kind))}</td><td>{e(d.label)}</td>"
                       + "".join(f"<td class='num'>{e(amount(amounts.get(y)))}</td>" for y in plan) + "</tr>")
        out.append("</tbody></table>")
        premises = assumptions(result)
        if premises:
            out.append("<p class='small'><strong>Forutsetninger:</strong></p><ul class='small'>"
                       + "".join(f"<li>{e(p)}</li>" for p in premises) + "</ul>")

    out.append("<h2>Balanse per år</h2><p class='small'>Fremført til inndekning i senere år før og etter forslaget.</p>"
               "<table><thead><tr><th>År</th><th>Drift før</th><th>Drift etter</th><th>Investering før</th>"
               "<th>Investering etter</th><th>Saldert</th><th>Hva endrer balansen</th></tr></thead><tbody>")
    for b in result.balance:
        why = causes(b, "drift") + [f"investering: {c}" for c in causes(b, "investering")]
        out.append(f"<tr><td class='nw'>{b.year}</td><td class='num'>{e(balance_word(b.drift_before))}</td>"
                   f"<td class='num'>{e(balance_word(b.drift_after))}</td>"
                   f"<td class='num'>{e(balance_word(b.investering_before, 'investering'))}</td>"
                   f"<td class='num'>{e(balance_word(b.investering_after, 'investering'))}</td>"
                   f"<td class='status {'s-pass' if b.saldert else 's-fail'}'>{'ja' if b.saldert else 'NEI'}</td>"
                   f"<td class='cause'>{'<br>'.join(e(w) for w in why)}</td></tr>")
    out.append("</tbody></table>")

    headlines = headline_changes(result)
    if headlines:
        out.append("<h2>Hovedtall før → etter</h2><table>" + _years_head(["Linje"], plan) + "<tbody>")
        for label, pairs in headlines:
            cells = "".join(f"<td class='num'>{e(amount(b * meta.sign.factor if b is not None else None))}"
                            + (f" → {e(amount(a * meta.sign.factor if a is not None else None))}" if a != b else "")
                            + "</td>" for b, a in pairs)
            out.append(f"<tr><td>{e(label)}</td>{cells}</tr>")
        out.append("</tbody></table>")
    figures = changed_figures(result)
    out.append("<h2>Nøkkeltall før → etter</h2>")
    if figures:
        out.append("<table><thead><tr><th>Nøkkeltall</th><th>År</th><th>Før</th><th>Etter</th>"
                   "<th>Nivå før → etter</th></tr></thead><tbody>")
        for k in figures:
            levels = "" if k.get("level_before") == k.get("level_after") == "not_evaluated" or not (
                k.get("level_before") or k.get("level_after")) else f"{level(k, 'before')} → {level(k, 'after')}"
            out.append(f"<tr><td>{e(k.get('name') or k.get('id'))}</td><td>{e(k.get('year') or 'perioden')}</td>"
                       f"<td class='num'>{e(figure(k, 'before'))}</td><td class='num'>{e(figure(k, 'after'))}</td>"
                       f"<td>{e(levels)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>Nøkkeltallene endres ikke.</p>")
    rules = result.rule_changes()
    out.append("<h2>Regler med endret status</h2>")
    if rules:
        out.append("<table><thead><tr><th>Regel</th><th>År</th><th>Før → etter</th><th>Melding</th></tr></thead>"
                   "<tbody>" + "".join(
                       f"<tr><td><code>{e(r['rule'])}</code></td><td>{e(r['year'] or 'hele')}</td>"
                       f"<td class='nw'>{e(STATUS_WORD.get(r['before'], '–'))} → "
                       f"{e(STATUS_WORD.get(r['after'], r['after']))}</td><td>{e(r['message'])}"
                       + (f" Merk: {e(r['note'])}." if r.get("note") else "") + "</td></tr>" for r in rules)
                   + "</tbody></table>")
    else:
        out.append("<p>Ingen regel endrer status.</p>")
    if result.notes:
        out.append("<ul class='small'>" + "".join(f"<li>Merk: {e(n)}</li>" for n in result.notes) + "</ul>")
    out.append("</section>")
    return out


def comparison(results: list) -> list[str]:
    """One column per proposal (named by its title), plus the base: balance per year and errors after."""
    plan = results[0].base.budget.meta.plan_years
    titles = column_titles(results)
    out = ["<h2>Sammenligning</h2><table><thead><tr><th></th><th>Grunnlag</th>"
           + "".join(f"<th>{e(t)}<br><span class='small'>{e(r.amendment.spec.parti)}</span></th>"
                     for t, r in zip(titles, results)) + "</tr></thead><tbody>"]
    out.append("<tr><td>Saldert</td><td></td>" + "".join(
        f"<td>{'ja' if r.saldert else 'nei (' + ', '.join(map(str, r.unbalanced_years)) + ')'}</td>" for r in results)
        + "</tr>")
    for year in plan:
        rows = [next(b for b in r.balance if b.year == year) for r in results]
        out.append(f"<tr><td>Drift {year}</td><td class='num'>{e(balance_word(rows[0].drift_before))}</td>"
                   + "".join(f"<td class='num'>{e(balance_word(b.drift_after))}</td>" for b in rows) + "</tr>")
    errors = lambda fs: sum(1 for f in fs if f.status == "fail" and f.severity == "error")  # noqa: E731
    out.append(f"<tr><td>Lovbrudd (feil) etter endring</td><td class='num'>{errors(results[0].base.findings)}</td>"
               + "".join(f"<td class='num'>{errors(r.amended.findings)}</td>" for r in results) + "</tr>")
    out.append("</tbody></table>")
    return out
