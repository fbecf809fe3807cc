"""HTML report: one self-contained file an auditor can attach to a letter or print on A4.

No script, font, style sheet or image is fetched: the CSS is inline and the charts are inline SVG. The only
URLs are links (<a>) to the legal sources. Every text from the input is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from html import escape
from typing import Any

from .. import __version__
from ..check import file_hashes, judged_as_of
from ..findings import FAIL, NOT_EVALUATED, PASS, WAIVED, exit_code, summarise, year_label
from .present import (HEADLINES, LEVEL_WORD, SEVERITY_WORD, display_path, figure_value, is_remark,
                      key_figure_table, level_text, location_text, policy_verdicts, shown, sort_findings, verdict)

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; font-size: 10pt; color: #1a1a1a;
       max-width: 190mm; margin: 0 auto; padding: 8mm 0; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; text-align: left; overflow-wrap: anywhere; }
td.nw { white-space: nowrap; overflow-wrap: normal; } td code { overflow-wrap: normal; }
th { background: #eee; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr { page-break-inside: avoid; break-inside: avoid; }
thead { display: table-header-group; }
dl.identity { display: grid; grid-template-columns: 38mm 1fr; gap: 0.5mm 3mm; margin: 2mm 0; }
dl.identity dt { font-weight: bold; } dl.identity dd { margin: 0; }
.verdict { border: 2px solid; padding: 2mm 3mm; font-size: 12pt; font-weight: bold; margin: 3mm 0; }
.verdict.ok { border-color: #1b7f3b; background: #eaf6ee; } .verdict.bad { border-color: #b00020; background: #fdecee; }
.status { font-weight: bold; white-space: nowrap; }
.s-fail { color: #b00020; } .s-pass { color: #1b7f3b; } .s-not_evaluated { color: #8a6d00; } .s-waived { color: #005f87; }
.lvl { white-space: nowrap; } .dot { display: inline-block; width: 3mm; height: 3mm; border-radius: 50%;
       margin-right: 1mm; vertical-align: middle; border: 1px solid #555; }
.l-target .dot { background: #2e9d4f; } .l-acceptable .dot { background: #f2c200; }
.l-unacceptable .dot { background: #d0312d; } .l-not_evaluated .dot { background: #fff; }
.charts { display: flex; flex-wrap: wrap; gap: 3mm; } figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 9pt; font-weight: bold; }
.small { font-size: 8.5pt; color: #444; } code { font-size: 8.5pt; word-break: break-all; }
a { color: #0b4f9c; }
.settings { border: 1px solid #b58900; background: #fdf6e3; padding: 1mm 3mm; margin: 2mm 0; }
.settings ul { margin: 1mm 0; padding-left: 5mm; }
tr.rule td { background: #f7f7f7; }
h2.appendix { break-before: page; page-break-before: always; }
@media print { a { color: inherit; text-decoration: none; } h2 { break-after: avoid; page-break-after: avoid; } }
"""

BAND_FILL = {"unacceptable": "#f6c9c7", "acceptable": "#fbeaa5", "target": "#c6e8cf"}


def e(text: Any) -> str:
    return escape("" if text is None else str(text), quote=True)


def ref_links(finding) -> str:
    parts = []
    for ref in finding.references:
        url = ref.get("url") or ""
        if url.startswith(("https://", "http://")):
            parts.append(f'<a href="{e(url)}" rel="noreferrer">{e(ref.get("text"))}</a>')
        else:
            parts.append(e(ref.get("text")))
    return "; ".join(parts)


def render(results: list, options: dict[str, Any]) -> str:
    fail_on = options.get("fail_on", "error")
    every = [f for r in results for f in r.findings]
    if len(results) == 1:
        meta = results[0].budget.meta
        title = f"Budsjettkontroll: {meta.kommune} kommune – {meta.title}"
    else:
        title = f"Budsjettkontroll: {len(results)} budsjetter"
    body = [f"<h1>{e(title)}</h1>"]
    if len(results) > 1:
        bad = exit_code(every, fail_on)
        body.append(f'<p class="verdict {"bad" if bad else "ok"}">Samlet: {"BRUDD" if bad else "ingen brudd"} på eller '
                    f'over «{e(fail_on)}» i {len(results)} budsjetter.</p>')
    for result in results:
        body += render_one(result, options, multiple=len(results) > 1)
    body.append(f'<p class="small">Laget av budsjettkontroll {e(__version__)}. Funnene er regelstyrte vurderinger av '
                f'tallene i pakken; «ikke vurdert» betyr at grunnlaget mangler, aldri at kravet er oppfylt.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def render_one(result, options: dict[str, Any], multiple: bool = False) -> list[str]:
    """The memo (conclusion, settings, breaches, legal requirements not assessable, key figures, headline
    figures, what else was not assessed) and then, on a new page, the appendix with every detail."""
    from . import settings as run_settings
    from .memo import build, group_open, years_text

    budget, meta = result.budget, result.budget.meta
    fail_on = options.get("fail_on", "error")
    memo = build(result, fail_on)
    summary = memo.summary
    out = [f'<section class="budget">']
    if multiple:
        out.append(f"<h2>{e(meta.kommune)} kommune – {e(meta.title)} ({e(budget.name)})</h2>")
    out.append(f'<p class="verdict {"bad" if memo.bad else "ok"}">Konklusjon: {e(memo.verdict)}</p>')
    trace = run_settings.lines(result, options)
    if trace:
        out.append('<div class="settings"><strong>Innstillinger som endret hva som ble vurdert:</strong><ul>'
                   + "".join(f"<li>{e(line)}</li>" for line in trace) + "</ul></div>")
    source = meta.source
    ident = [("Kommune", f"{e(meta.kommune)}" + (f" ({e(meta.kommunenummer)})" if meta.kommunenummer else "")),
             ("Dokument", f"{e(meta.title)} ({e(meta.status.value)})"),
             ("Kilde", e(" · ".join(str(x) for x in (source.title, source.date, source.file) if x)) or "–"),
             ("År", e(budget.years_text())),
             ("Oversikter", e(f"{budget.document}: {budget.schedules_text()}")),
             ("Beløp", f"{e(meta.unit)}, {'inntekter negative' if meta.sign.factor == 1 else 'inntekter positive'}"),
             ("Lovverket per", e(judged_as_of(budget).isoformat())
              + f" · regelpakker {e(', '.join(f'{p.name} {p.spec.version}' for p in result.packs))}"
              + f" · brudd på «{e(fail_on)}» eller høyere gir exit-kode 1")]
    out.append('<dl class="identity">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in ident) + "</dl>")
    s, failed = summary["status"], summary["failed_by_severity"]
    out.append(f"<p>{summary['total']} vurderinger: {s['pass']} oppfylt · {failed['error']} feil · "
               f"{failed['warning']} advarsler · {failed['info']} merknader · {s['not_evaluated']} ikke vurdert · "
               f"{s['waived']} unntatt.</p>")

    out.append(f"<h2>Brudd ({len(memo.breaches)})</h2>")
    out.append(_breach_table(memo.breaches, result) if memo.breaches else "<p>Ingen brudd.</p>")
    if memo.legal_open:
        out.append(f"<h2>Lovkrav som ikke kunne vurderes ({len(memo.legal_open)})</h2><p class='small'>Kravene gjelder, "
                   "men pakken mangler tallene som trengs. Be administrasjonen om grunnlaget.</p>")
        out.append("<table><thead><tr><th>Krav</th><th>År</th><th>Be administrasjonen om</th><th>Hjemmel</th>"
                   "<th>Sted</th></tr></thead><tbody>" + "".join(
                       f"<tr><td><code>{e(i.rule)}</code><br>{e(i.title)}</td><td class='nw'>{e(i.years_text)}</td>"
                       f"<td>{e(i.ask)}</td><td>{ref_links(i.findings[0])}</td><td><code>{e(i.location)}</code></td>"
                       "</tr>" for i in memo.legal_open) + "</tbody></table>")
    out += _key_figures(result, charts=False)

    years = meta.years.all
    out.append("<h2>Hovedtall</h2><table><thead><tr><th>Linje (1000 kr)</th>"
               + "".join(f"<th>{y}<br><span class='small'>{meta.years.kind(y)}</span></th>" for y in years)
               + "</tr></thead><tbody>")
    for stem, label, fact in HEADLINES:
        if budget.has(stem):
            out.append(f"<tr><td>{e(label)}</td>" + "".join(
                f"<td class='num'>{e(shown(budget, result.facts.get(fact, y)))}</td>" for y in years) + "</tr>")
    out.append("</tbody></table>")

    others = memo.policy_open + memo.other_open
    if memo.packs_absent or others:
        out.append(f"<h2>Ikke vurdert ellers</h2><ul class='small'>")
        out += [f"<li><strong>{e(p.title)}: ikke vurdert</strong>, {e(p.why)} ({p.count} vurderinger av {p.rules} "
                f"regler).</li>" for p in memo.packs_absent]
        out += [f"<li><code>{e(i.rule)}</code> ({e(i.years_text)}): {e(i.short_reason)}</li>" for i in others]
        out.append("</ul>")
    if memo.waived:
        out.append(f"<h2>Unntatt ({len(memo.waived)})</h2>")
        out.append(_findings_table(memo.waived, justification=True))
    notes = []
    if memo.remarks:
        notes.append(f"Merknader ({len(memo.remarks)}, ikke brudd): " + "; ".join(
            f"{g.rule} {len(g.findings)} stk ({years_text(g.years)})" for g in memo.remark_groups) + ".")
    by_rule = memo.passed_by_rule
    if by_rule:
        notes.append(f"Oppfylt ({len(memo.passed)} vurderinger av {len(by_rule)} regler): " + "; ".join(
            f"{rule} ({years_text(sorted({f.year for f in fs if f.year}))})" for rule, fs in by_rule.items()) + ".")
    out += [f"<p class='small'>{e(n)}</p>" for n in notes]

    if options.get("appendix", True):
        out += _appendix(result, memo, options, group_open, years_text)
    out.append("</section>")
    return out


def _appendix(result, memo, options: dict[str, Any], group_open, years_text) -> list[str]:
    out = ['<h2 class="appendix">Vedlegg: full detalj</h2>']
    out += _charts(result)
    open_ = [f for f in result.findings if f.status == NOT_EVALUATED]
    if open_:
        items = group_open(sort_findings(open_))
        out.append(f"<h3>Ikke vurdert ({len(open_)} vurderinger, {len(items)} regler og grunner)</h3>"
                   "<table class='small'><thead><tr><th>Regel</th><th>Hva</th><th>År</th><th>Gjelder</th>"
                   "<th>Hva mangler</th><th>Sted</th></tr></thead><tbody>" + "".join(
                       f"<tr><td><code>{e(i.rule)}</code></td><td class='nw'>{e(i.what)}</td>"
                       f"<td>{e(i.years_text)}</td><td>{e(i.subjects_text)}</td><td>{e(i.short_reason)}</td>"
                       f"<td><code>{e(i.location)}</code></td></tr>" for i in items) + "</tbody></table>")
    if memo.remarks:
        out.append(f"<h3>Merknader ({len(memo.remarks)})</h3><p class='small'>Avvik som ikke er brudd, for eksempel "
                   f"avrundingsdifferanser innenfor toleransen.</p>")
        out.append(_findings_table(memo.remarks, compact=True))
    if memo.passed:
        by_rule = memo.passed_by_rule
        out.append(f"<h3>Oppfylt ({len(memo.passed)} vurderinger av {len(by_rule)} regler)</h3>")
        if options.get("verbose"):
            out.append(_findings_table(memo.passed, compact=True))
        else:
            out.append("<table class='small'><thead><tr><th>Regel</th><th>Krav</th><th>Hjemmel</th><th>År</th>"
                       "<th>Antall</th></tr></thead><tbody>")
            for rule, fs in by_rule.items():
                ys = years_text(sorted({f.year for f in fs if f.year}))
                out.append(f"<tr><td><code>{e(rule)}</code></td><td>{e(fs[0].title)}</td><td>{ref_links(fs[0])}</td>"
                           f"<td class='nw'>{e(ys)}</td><td class='num'>{len(fs)}</td></tr>")
            out.append("</tbody></table>")
    hashes = file_hashes(result.budget)
    if hashes:
        out.append("<h3>Inndata (sha256)</h3><table class='small'><tbody>" + "".join(
            f"<tr><td><code>{e(display_path(p))}</code></td><td><code>{e(h)}</code></td></tr>" for p, h in hashes.items())
            + "</tbody></table>")
    return out


def _basis(result, finding) -> str:
    from .present import operands_text

    text = operands_text(result, finding)
    return f"<br><span class='small'>{e(text)}</span>" if text else ""


def _breach_table(items: list, result=None) -> str:
    """Grouped per rule: the rule, its title and legal basis once, then one row per year."""
    by_rule: dict[str, list] = defaultdict(list)
    for f in items:
        by_rule[f.rule].append(f)
    rows = []
    for rule, fs in by_rule.items():
        rows.append(f"<tr class='rule'><td colspan='4'><span class='status s-fail'>BRUDD</span> "
                    f"<code>{e(rule)}</code> — {e(fs[0].title)} <span class='small'>({ref_links(fs[0])})</span></td></tr>")
        for f in fs:
            year = e(f.year or "hele") + (f"<br><span class='small'>{e(f.column)}</span>"
                                          if getattr(f, "column", None) else "")
            rows.append(f"<tr><td class='nw'>{e(SEVERITY_WORD[f.severity])}</td><td class='nw'>{year}</td>"
                        f"<td>{e(f.message)}{_basis(result, f)}</td><td><code>{e(location_text(f))}</code></td></tr>")
    return ("<table><thead><tr><th>Alvor</th><th>År</th><th>Melding</th><th>Sted</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _findings_table(items: list, justification: bool = False, compact: bool = False) -> str:
    head = ["Status", "Alvor", "Regel", "År", "Melding", "Hjemmel", "Sted"]
    if compact:
        head = ["Regel", "År", "Melding", "Sted"]
    if justification:
        head.append("Begrunnelse")
    rows = []
    for f in items:
        status = {FAIL: "BRUDD" if not is_remark(f) else "MERKNAD", NOT_EVALUATED: "IKKE VURDERT",
                  WAIVED: "UNNTATT", PASS: "OK"}[f.status]
        nowrap = "<td class='nw'>{}</td>".format
        cells = [] if compact else [nowrap(f"<span class='status s-{e(f.status)}'>{status}</span>"),
                                    nowrap(e(SEVERITY_WORD[f.severity]))]
        cells += [f"<td><code>{e(f.rule)}</code></td>", nowrap(e(year_label(f))), f"<td>{e(f.message)}</td>"]
        if not compact:
            cells.append(f"<td>{ref_links(f)}</td>")
        cells.append(f"<td><code>{e(location_text(f))}</code></td>")
        if justification:
            cells.append(f"<td>{e(f.justification)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _key_figures(result, charts: bool = True) -> list[str]:
    years, rows = key_figure_table(result)
    summary, verdicts = policy_verdicts(result)
    if not rows and not verdicts:
        return []
    out = ["<h2>Handlingsregler</h2>"]
    if summary:
        out.append(f"<p><strong>{e(summary)}</strong></p>")
    if verdicts:
        out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in verdicts) + "</ul>")
    if not rows:
        return out
    out.append("<table><thead><tr><th>Nøkkeltall</th>"
               + "".join(f"<th>{y or 'Hele perioden'}</th>" for y in years) + "</tr></thead><tbody>")
    for _fid, name, _unit, by_year in rows:
        cells = []
        for y in years:
            item = by_year.get(y)
            word = level_text(item)
            if item is None:
                cells.append("<td></td>")
            elif word is None:
                cells.append(f"<td class='num'>{e(figure_value(item))}</td>")
            else:
                level = str(item.get("level") or "not_evaluated")
                cells.append(f"<td class='lvl l-{e(level)}'><span class='dot'></span>{e(figure_value(item))}<br>"
                             f"<span class='small'>{e(word)}</span></td>")
        out.append(f"<tr><td>{e(name)}</td>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    out.append("<p class='small'>Grønn = ønsket nivå · gul = laveste akseptable · rød = ikke godkjent · hvit = ikke "
               "vurdert. Fargen står alltid sammen med ordet. Tall uten farge har ingen handlingsregel.</p>")
    if charts:
        out += _charts(result)
    return out


def _charts(result) -> list[str]:
    years, rows = key_figure_table(result)
    plan = [y for y in years if y is not None]
    drawn = [chart(fid, name, unit, plan, by_year, bands_of(result, fid)) for fid, name, unit, by_year in rows
             if any(by_year.get(y) is not None for y in plan)]
    if not drawn:
        return []
    return ["<h3>Utvikling i planperioden mot handlingsreglenes grenser</h3><div class='charts'>"
            + "".join(drawn) + "</div>"]


BAND_LEVEL = {"ikke_godkjent": "unacceptable", "laveste_akseptable": "acceptable", "onsket": "target"}


def bands_of(result, figure_id: str) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """The policy bands of a key figure as (level, lower, upper), None open-ended, read from the key figures
    section (keyfigures.py: each value's policy rule carries its bands). [] when the pack sets no target."""
    section = result.sections.get("key_figures")
    for value in getattr(section, "values", None) or []:
        figure, rule = getattr(value, "figure", None), getattr(value, "rule", None)
        if getattr(figure, "id", None) != figure_id or rule is None or not hasattr(rule, "bands"):
            continue
        found = []
        for name, band in rule.bands.present():
            low, high = band.lower, band.upper
            found.append((BAND_LEVEL.get(name, name), low[0] if low else None, high[0] if high else None))
        return found
    return []


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def chart(fid: str, name: str, unit: str, years: list[int], by_year: dict[int, dict[str, Any]],
          bands: list[tuple[str, Decimal | None, Decimal | None]]) -> str:
    """An inline SVG line chart of one key figure over the plan years, drawn over its policy bands."""
    width, height, left, right, top, bottom = 300, 150, 54, 10, 10, 24
    values = {y: _dec((by_year.get(y) or {}).get("value")) for y in years}
    known = [v for v in values.values() if v is not None]
    edges = [b for _, lo, hi in bands for b in (lo, hi) if b is not None]
    span = known + edges
    if not span:
        return (f"<figure><figcaption>{e(name)}</figcaption><p class='small'>Ingen verdier å tegne "
                f"(ikke vurdert).</p></figure>")
    low, high = min(span), max(span)
    pad = (high - low) * Decimal("0.15") if high != low else (abs(high) * Decimal("0.1") or Decimal(1))
    low, high = low - pad, high + pad

    def y_of(v: Decimal) -> float:
        return float(top + (high - v) / (high - low) * (height - top - bottom))

    def x_of(i: int) -> float:
        return left + (i + 0.5) * (width - left - right) / max(len(years), 1)

    parts = [f'<svg role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="{e(name)} per år">']
    for level, lo, hi in bands:
        y1 = y_of(min(hi, high) if hi is not None else high)
        y2 = y_of(max(lo, low) if lo is not None else low)
        if y2 > y1:
            parts.append(f'<rect x="{left}" y="{y1:.1f}" width="{width - left - right}" height="{y2 - y1:.1f}" '
                         f'fill="{BAND_FILL.get(level, "#eee")}"><title>{e(LEVEL_WORD.get(level, level))}</title></rect>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#555"/>')
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#555"/>')
    for tick in sorted(set(edges)) or sorted({min(known), max(known)}):
        parts.append(f'<text x="{left - 3}" y="{y_of(tick) + 3:.1f}" font-size="8" text-anchor="end">'
                     f'{e(_short(tick))}</text>')
    points = []
    for i, year in enumerate(years):
        parts.append(f'<text x="{x_of(i):.1f}" y="{height - 8}" font-size="8" text-anchor="middle">{year}</text>')
        value = values[year]
        if value is not None:
            points.append((x_of(i), y_of(value), year, value))
    for (x1, y1, year1, _), (x2, y2, year2, _) in zip(points, points[1:]):
        if years.index(year2) - years.index(year1) == 1:  # no line across a year without a value
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#1a1a1a" '
                         f'stroke-width="1.5"/>')
    for x, y, year, value in points:
        level = str((by_year.get(year) or {}).get("level") or "not_evaluated")
        word = level_text(by_year.get(year))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1a1a1a"><title>{year}: '
                     f'{e(figure_value(by_year.get(year)))}{f" ({e(word)})" if word else ""}</title></circle>')
    parts.append("</svg>")
    caption = f"{e(name)}" + (f" ({e(unit)})" if unit and unit not in name else "")
    return f"<figure data-figure='{e(fid)}'><figcaption>{caption}</figcaption>{''.join(parts)}</figure>"


def _short(value: Decimal) -> str:
    if abs(value) >= 1000:
        return f"{int(value):,}".replace(",", " ")
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").replace(".", ",")


def render_amendments(results: list, options: dict[str, Any]) -> str:
    """`amend --format html` (and the web page's print view): the proposal report, see amend_html.py."""
    from .amend_html import render as render_proposals

    return render_proposals(results, options)
