"""`explain RULE --budget PATH` and `explain FIGURE --budget PATH`: the rule or figure with this package's numbers per
year — what each assessment found and the values it read — not only the formula."""

from __future__ import annotations

from typing import Any

from ..numbers import format_amount
from .present import SEVERITY_WORD, STATUS_WORD, location_text


def _severity(finding) -> str:
    """An error rule that could not be judged is a legal requirement, not «feil»: nothing was found wrong."""
    from .memo import OPEN_WORD

    if finding.status == "not_evaluated":
        return OPEN_WORD.get(finding.severity, finding.severity)
    return SEVERITY_WORD.get(finding.severity, finding.severity)


def _value(result, name: str, value: Any) -> str:
    from ..derive import describe

    if value is None:
        return "mangler"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    from .present import LEVEL_WORD

    if isinstance(value, str) and value in LEVEL_WORD:
        return LEVEL_WORD[value]
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        shown = format_amount(value * result.budget.meta.sign.factor if ".csv" in describe(name) else value)
        return shown
    return str(value)


def with_numbers(name: str, result) -> str:
    """The findings of a rule (or the values of a figure) in one checked package, per year."""
    from ..derive import FIGURES, describe

    meta = result.budget.meta
    head = [f"Med tallene i {meta.kommune} kommune – {meta.title}:"]
    findings = [f for f in result.findings if f.rule == name]
    if findings:
        out = head
        for f in sorted(findings, key=lambda f: (f.year or 0, f.subject or "")):
            where = location_text(f)
            out.append(f"  {f.year or 'hele perioden'}{' · ' + f.subject if f.subject else ''}: "
                       f"{STATUS_WORD.get(f.status, f.status)} ({_severity(f)})"
                       + (f" [{where}]" if where else ""))
            out.append(f"    {f.message}")
            for key, value in f.values.items():
                out.append(f"    {key} = {_value(result, key, value)}  ({describe(key)})")
        return "\n".join(out) + "\n"
    key = name.strip().replace("-", "_").lower()
    figure = FIGURES.get(key)
    if figure is None:
        return "\n".join(head + ["  Regelen vurderte ingenting i denne pakken (gjelder ikke, eller er ikke i "
                                 "regelpakkene den bruker)."]) + "\n"
    years = meta.plan_years if figure.per_year else [None]
    out = head + [f"  {key} ({figure.unit or 'uten enhet'}):"]
    for year in years:
        value = result.facts.get(key, year)
        out.append(f"  {year or 'hele perioden'}: {_value(result, key, value)}")
        for fact in figure.inputs:
            if ":" in fact:  # meta:years, table:drift … are graph edges, not facts
                continue
            out.append(f"    {describe(fact)} = {_value(result, fact, result.facts.get(fact, year))}")
    return "\n".join(out) + "\n"


# --- Norwegian text for `explain` ------------------------------------------------------------------------------------

_ENGLISH = None
# the key figures' definitions in Norwegian (their docstrings in keyfigures.py are written for developers)
DEFINITIONS = {
    "netto_driftsresultat_pst": "Netto driftsresultat ÷ brutto driftsinntekter × 100, med fortegn slik at et "
                                "overskudd er positivt: −«Netto driftsresultat» (§ 5-6, ellers § 5-4) ÷ −«Sum "
                                "driftsinntekter» (§ 5-6) × 100. TBU anbefaler minst 1,75 % for kommunene.",
    "disposisjonsfond_ub": "Disposisjonsfond per 31.12: «Disposisjonsfond (UB)» i nokkeltall.csv der pakken oppgir "
                           "det, ellers fremskrevet fra sist oppgitte saldo med avsetninger minus bruk (§ 5-4).",
    "disposisjonsfond_pst": "Disposisjonsfond (UB) ÷ brutto driftsinntekter × 100.",
    "lanegjeld_ub": "Lånegjeld per 31.12 uten startlån og lån til videreutlån: «Lån til finansiering investeringer» "
                    "(§ 5-7) eller «Lånegjeld ekskl. videreutlån (UB)» der pakken oppgir det, ellers fremskrevet med "
                    "bruk av lån minus avdrag.",
    "gjeldsgrad": "Netto lånegjeld ÷ brutto driftsinntekter × 100, der netto lånegjeld er lånegjelden (UB) uten "
                  "startlån.",
    "gjeldsgrad_inkl_startlan": "(Lånegjeld uten startlån + startlån) (UB) ÷ brutto driftsinntekter × 100.",
    "vedlikehold_per_m2": "Budsjettert verdibevarende vedlikehold av eide formålsbygg i kr per m2: «Vedlikehold eide "
                          "formålsbygg (kr per m2)» i nokkeltall.csv.",
    "egenfinansiering_pst": "(1 − bruk av lån ÷ investeringsutgifter) × 100 for året: «Bruk av lån» og «Sum "
                            "investeringsutgifter» i § 5-5.",
    "egenfinansiering_pst_periode": "(1 − sum bruk av lån ÷ sum investeringsutgifter) × 100 over alle planårene.",
    "rente_og_avdragsbelastning_pst": "(Renteutgifter + avdrag på lån) ÷ brutto driftsinntekter × 100, brutto: "
                                      "renteinntekter og utbytte er ikke trukket fra.",
    "startlan_ub": "Startlån (lån til videreutlån) per 31.12: «Startlån» i § 5-7 der pakken oppgir det, ellers "
                   "fremskrevet med bruk av lån til videreutlån minus avdrag.",
    "balansedato": "Balansedatoen pakken bruker for minimumsavdraget (1.1 eller 31.12).",
    "robek_a": "Kommuneloven § 28-1 bokstav a: årsbudsjettet (første planår) viser merforbruk (trykt, eller regnet fra "
               "linjene utover avrundingen) eller uspesifisert innsparing.",
    "robek_b": "Kommuneloven § 28-1 bokstav b: et økonomiplanår viser merforbruk eller uspesifisert innsparing.",
    "robek_c": "Kommuneloven § 28-1 bokstav c: et merforbruk er planlagt dekket over mer enn to år etter at det "
               "oppstod.",
    "robek_ovrige": "Sann når kriterium e (ikke vedtatt innen 31.12) eller 3 %-kriteriet er oppfylt; et som ikke kan "
                    "vurderes, regnes ikke som oppfylt her, men nevnes i robek_ikke_vurdert.",
    "robek_kriterier": "Bokstavene i § 28-1 budsjettet ville oppfylle, hver med betydningen; «ingen» når ingen.",
    "robek_ikke_vurdert": "Kriteriene pakken ikke gir grunnlag for: e uten vedtaksdato, 3 %-kriteriet uten "
                          "«Akkumulert merforbruk».",
    "antall_planar": "Antall økonomiplanår i budsjett.toml (det første er årsbudsjettet).",
    "aret_etter": "Året etter: årsbudsjettet som først skal dekke inn et merforbruk fra regnskapet.",
    "bruk_av_lan": "Bruk av lån (§ 5-5) som positivt beløp: lånene budsjettet tar opp til egne investeringer.",
    "budsjettkolonner": "Pakkens årskolonner slik de er trykt («Revidert budsjett 2020»), for regler som sier hvilke "
                        "kolonner de vurderte.",
    "dekket_innen_frist": "Den delen av merforbruket fra to år før som «Dekning av tidligere års merforbruk» (§ 5-4) "
                          "dekker innen utgangen av året, når hvert års dekning går til det eldste merforbruket først.",
    "dekning_fordelt": "Hvordan dekningen fordeles, eldste merforbruk først: per merforbruk året, beløpet, årene og "
                       "beløpene som dekker det, og fristen (kommuneloven § 14-11).",
    "forste_budsjettar": "Første planår (årsbudsjettet); uten planår det første året i kolonnene.",
    "forste_planar": "Første planår: årsbudsjettet (ingen for et årsregnskap).",
    "inndekningsfrist": "Kommuneloven § 14-11: et merforbruk i regnskapet for et år skal være dekket inn innen "
                        "utgangen av året to år etter.",
    "innsparingskrav_linjer": "Navnene på disse linjene, med fil, linjenummer og beløp.",
    "innsparingskrav_uten_tiltak": "Antall områder i § 5-4 andre ledd med en reduksjon der navnet leses som et "
                                   "innsparingskrav («innsparingskrav», «effektiviseringskrav – fordeles senere», "
                                   "«omstillingsbehov» …) uten å si at det er uspesifisert.",
    "lan_utover_varige_driftsmidler": "Bruk av lån − investeringer i varige driftsmidler: lån som bare kan være "
                                      "lovlige som finansiering av tilskudd til andres investeringer (kommuneloven "
                                      "§ 14-16) eller av aksjer (bare i lovlige tilfeller).",
    "lanebehov_etter_egne_inntekter": "Lånefinansierbare investeringer minus momskompensasjon, tilskudd fra andre og "
                                      "salg av varige driftsmidler.",
    "lanefinansierbare_investeringer": "Kommuneloven §§ 14-15 og 14-16: investeringer i varige driftsmidler + "
                                       "tilskudd til andres investeringer + aksjer og andeler (§ 5-5), minus "
                                       "egenkapitalinnskudd i KLP eller en annen pensjonskasse (som ikke kan "
                                       "lånefinansieres).",
    "laneinntekter_i_drift": "Summen av beløpene på linjer i § 5-4 eller § 5-6 som leses som bruk av lån eller "
                             "låneopptak (ikke renter, avdrag eller avkastning): lån er bare tillatt til investeringer "
                             "(kommuneloven §§ 14-14 til 14-17).",
    "lanelinjer_i_drift": "Navnene på disse linjene, med fil og linjenummer.",
    "merforbruk_fra_ar": "Året hvis merforbruk skal være dekket inn innen utgangen av året (kommuneloven § 14-11): "
                         "to år før.",
    "momskompensasjon_i_drift": "Linjer i § 5-4 andre ledd eller § 5-6 der navnet leses som momskompensasjon fra "
                                "investeringer, med beløp: den inntekten hører hjemme i investeringsbudsjettet (§ 5-5 "
                                "«Kompensasjon for merverdiavgift»).",
    "planar_sammenhengende": "Sann når planårene følger etter hverandre uten hull, fra årsbudsjettåret.",
    "uspesifiserte_innsparinger": "Antall områder i § 5-4 andre ledd med en reduksjon der navnet sier at "
                                  "innsparingen ikke er spesifisert («uspesifisert innsparing», «ikke konkretiserte "
                                  "tiltak» …) (kommuneloven § 14-4 tredje ledd).",
    "uspesifiserte_linjer": "Navnene på disse linjene, med fil, linjenummer og beløp.",
    "vedtaksfrist": "31.12 året før årsbudsjettet (kommuneloven § 14-3: vedtas før årsskiftet).",
    "videreutlan_avdrag_avvik": "Avdrag på lån til videreutlån + mottatte avdrag på videreutlån (0 når de stemmer).",
    "videreutlan_udekket": "Videreutlån + bruk av lån til videreutlån (0 når alle videreutlån er lånefinansiert).",
    "brutto_driftsinntekter": "«Sum driftsinntekter» i § 5-6 (økonomisk oversikt drift etter art) som positivt "
                              "beløp.",
}


def looks_english(text: str) -> bool:
    import re

    global _ENGLISH
    if _ENGLISH is None:
        _ENGLISH = re.compile(r"\b(the|when|so that|is|are|and|of|which|else|where|from|with|by|signed|"
                              r"Internally|otherwise|number|labels)\b")
    return bool(_ENGLISH.search(text))


def norwegian_doc(name: str) -> str:
    """A figure's definition in Norwegian: the definition above, else its docstring when that is Norwegian, else its
    Norwegian label (line and file, or the figure's own label)."""
    from ..derive import FIGURES, describe

    if name in DEFINITIONS:
        return DEFINITIONS[name]
    fig = FIGURES.get(name)
    doc = " ".join(fig.doc.split()) if fig else ""
    if doc and not looks_english(doc):
        return doc
    first = " ".join(fig.doc.split("\n\n")[0].split()) if fig else ""
    if first and not looks_english(first):
        return first  # the Norwegian definition; the notes after it are for developers
    label = describe(name)
    return label if label != name or not doc else doc


def norwegian_explain(text: str, name: str) -> str:
    """`explain FIGURE`: the «Definisjon» paragraph in Norwegian."""
    key = name.strip().replace("-", "_").lower()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line == "Definisjon:" and i + 1 < len(lines) and looks_english(lines[i + 1]):
            lines[i + 1] = "  " + norwegian_doc(key)
    return "\n".join(lines)
