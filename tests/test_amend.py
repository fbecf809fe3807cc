"""Issue 6: endringsforslag. The three bundled example proposals and proposals built here, applied to the real
Asker budget; every expected number is worked out by hand from the document's own figures (drift.csv,
investering.csv, gjeld.csv, budsjett.toml's interest rates) in the assertion itself."""

from __future__ import annotations

import hashlib
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.amend import AVDRAG, AVSKRIVNINGER, FINANSIERING, MINIMUMSAVDRAG, RENTER, SALDO, run_all, run_amend
from budsjettkontroll.amendment import bundled_amendments, load_amendment
from budsjettkontroll.cli import app
from budsjettkontroll.errors import InputError
from budsjettkontroll.package import load_package
from budsjettkontroll.writer import write_folder

PLAN = [2024, 2025, 2026, 2027]
runner = CliRunner()


def cli(*args: str, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def whole(value) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def write(tmp_path: Path, text: str, name: str = "forslag.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def proposal(changes: str, premises: str = "", grunnlag: str = "asker-hp-2024-2027") -> str:
    return (f"tittel: Testforslag\nparti: Testpartiet\ndato: 2023-11-17\ngrunnlag: {grunnlag}\n{premises}"
            f"endringer:\n{changes}")


def amend(budget, path_or_name, **kw):
    return run_amend(budget, load_amendment(path_or_name), **kw)


def derived(result, kind: str, source: int | None = None, stem: str | None = None, label: str | None = None) -> dict:
    rows = [d for d in result.derived if d.kind == kind and (source is None or d.source == source)
            and (stem is None or d.stem == stem) and (label is None or d.label == label)]
    assert len(rows) == 1, [(d.kind, d.stem, d.label) for d in rows]
    return rows[0].amounts


def gaps(result) -> dict[int, tuple]:
    return {b.year: (b.drift_after, b.investering_after) for b in result.balance}


def key_figure(result, figure: str, year) -> dict:
    return next(k for k in result.key_figures() if k["id"] == figure and k["year"] == year)


def statuses(result, rule: str) -> dict:
    return {f.year: f.status for f in result.amended.findings if f.rule == rule}


def pct(numerator, denominator) -> Decimal:
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"))


# brutto driftsinntekter: § 5-6 «Sum driftsinntekter» (drift_art.csv), which no proposal here changes
DRIFTSINNTEKTER = {2024: 9653092, 2025: 9831526, 2026: 9975979, 2027: 10129439}


# --- the three bundled examples -------------------------------------------------------------------------------

def test_three_examples_are_shipped_and_labelled_as_examples():
    names = sorted(p.stem for p in bundled_amendments())
    assert names == ["endringsforslag-flerbrukshall", "endringsforslag-omfordeling", "endringsforslag-udekket"]
    for path in bundled_amendments():
        amendment = load_amendment(path)
        assert amendment.spec.eksempel is True
        assert "eksempel" in amendment.spec.tittel.lower()
        assert "ikke et reelt partiforslag" in path.read_text(encoding="utf-8")


def test_reallocation_between_areas_financed_by_lower_avsetning_balances(asker):
    result = amend(asker, "endringsforslag-omfordeling")
    assert result.saldert
    assert gaps(result) == {y: (0, 0) for y in PLAN}
    # Oppvekst +15 000, Velferd +10 000, Samfunnsutvikling −5 000, avsetning til disposisjonsfond −20 000
    for b in result.balance:
        assert [(c.number, c.drift) for c in b.causes] == [(1, 15000), (2, 10000), (3, -5000), (4, -20000)]
    facts = result.amended.facts
    # the areas move Korrigert sum, hence «Sum bevilgninger drift, netto», by +20 000; NDR weakens by 20 000
    assert facts.get("drift_sum_bevilgninger", 2024) == 6770388 + 20000
    assert facts.get("drift_netto_driftsresultat", 2024) == -74469 + 20000
    assert facts.get("drift_netto_driftsresultat", 2027) == -253193 + 20000
    assert facts.get("drift_avsetninger_disposisjonsfond", 2024) == 76903 - 20000
    # § 5-6 follows § 5-4 (net appropriations as kjøp av varer og tjenester; NDR and disposals agree)
    assert facts.get("art_kjop_varer_tjenester", 2025) == 3171885 + 20000
    assert facts.get("art_netto_driftsresultat", 2025) == facts.get("drift_netto_driftsresultat", 2025)
    # key figures: NDR % and disposisjonsfond (UB 2024 stated 1 100 000, rolled forward) move
    ndr = key_figure(result, "netto_driftsresultat_pst", 2024)
    assert Decimal(str(ndr["before"])) == pct(74469, DRIFTSINNTEKTER[2024])
    assert Decimal(str(ndr["after"])) == pct(74469 - 20000, DRIFTSINNTEKTER[2024])
    assert ndr["changed"]
    fund = key_figure(result, "disposisjonsfond_ub", 2025)
    assert fund["before"] == 1100000 + 160379 - 100000
    assert fund["after"] == 1100000 - 20000 + (160379 - 20000) - 100000
    assert key_figure(result, "gjeldsgrad", 2025)["changed"] is False
    assert statuses(result, "KL-14-4-balanse-drift") == {y: "pass" for y in PLAN}
    assert statuses(result, "FORSKR-5-6-samsvar") and set(statuses(result, "FORSKR-5-6-samsvar").values()) == {"pass"}
    assert not [r for r in result.rule_changes() if r["severity"] == "error"]
    assert result.exit_code() == 0


def test_unfunded_increase_leaves_the_exact_gap_in_every_year(asker):
    result = amend(asker, "endringsforslag-udekket")
    assert not result.saldert
    # Oppvekst 20 000 / 25 000 …, Velferd 12 000 / 18 000 from 2026, Administrasjon −7 000
    expected = {2024: 20000 + 12000 - 7000, 2025: 25000 + 12000 - 7000, 2026: 25000 + 18000 - 7000,
                2027: 25000 + 18000 - 7000}
    assert gaps(result) == {y: (gap, 0) for y, gap in expected.items()}
    assert expected == {2024: 25000, 2025: 30000, 2026: 36000, 2027: 36000}
    assert result.balance[0].messages() == ["merforbruk 25 000 i 2024: mangler inndekning"]
    assert [(c.number, c.drift) for c in result.balance[2].causes] == [(1, 25000), (2, 18000), (3, -7000)]
    assert statuses(result, "KL-14-4-balanse-drift") == {y: "fail" for y in PLAN}
    message = next(f.message for f in result.amended.findings if f.rule == "KL-14-4-balanse-drift" and f.year == 2025)
    assert "Merforbruk 30 000 i 2025" in message
    changed = {(r["rule"], r["year"]): (r["before"], r["after"]) for r in result.rule_changes()}
    assert changed[("KL-14-4-balanse-drift", 2026)] == ("pass", "fail")
    ndr = key_figure(result, "netto_driftsresultat_pst", 2026)
    assert Decimal(str(ndr["after"])) == pct(244668 - 36000, DRIFTSINNTEKTER[2026])
    assert result.exit_code() == 1


def test_loan_financed_investment_derives_interest_avdrag_and_breaks_later_years(asker):
    result = amend(asker, "endringsforslag-flerbrukshall")
    # 80 000 (2025) and 120 000 (2026), 80 % lån and 20 % momskompensasjon
    assert derived(result, FINANSIERING, 1, "investering", "Bruk av lån") == {2025: -64000, 2026: -96000}
    assert derived(result, FINANSIERING, 1, "investering", "Kompensasjon for merverdiavgift") == {2025: -16000,
                                                                                                2026: -24000}
    # interest at budsjett.toml's 4,0 % (2025-2027): half a year in the year of borrowing, then full on the 1.1 balance
    interest_2025 = Decimal(64000) * Decimal("0.04") / 2
    interest_2026 = Decimal(64000) * Decimal("0.04") + Decimal(96000) * Decimal("0.04") / 2
    interest_2027 = (Decimal(64000) - Decimal(64000) / 30) * Decimal("0.04") + Decimal(96000) * Decimal("0.04")
    assert derived(result, RENTER, 1) == {2025: whole(interest_2025), 2026: whole(interest_2026),
                                          2027: whole(interest_2027)} == {2025: 1280, 2026: 4480, 2027: 6315}
    # serial repayment over 30 years, first avdrag the year after the loan
    avdrag_2026 = Decimal(64000) / 30
    avdrag_2027 = Decimal(64000) / 30 + Decimal(96000) / 30
    assert derived(result, AVDRAG, 1) == {2026: whole(avdrag_2026), 2027: whole(avdrag_2027)} == {2026: 2133, 2027: 5333}
    # avskrivninger over 40 years of the cost less momskompensasjon, neutral for netto driftsresultat
    assert derived(result, AVSKRIVNINGER, 1, label="Avskrivninger") == {2026: 64000 // 40, 2027: 64000 // 40 + 96000 // 40}
    assert derived(result, AVSKRIVNINGER, 1, label="Motpost avskrivninger") == {2026: -1600, 2027: -4000}
    # the party covered 2025's interest (−1 280 avsetning); 2026 and 2027 lack interest + avdrag
    assert gaps(result) == {2024: (0, 0), 2025: (0, 0), 2026: (4480 + 2133, 0), 2027: (6315 + 5333, 0)}
    assert result.unbalanced_years == [2026, 2027]
    assert result.balance[2].messages() == ["merforbruk 6 613 i 2026: mangler inndekning"]
    assert [(c.number, c.drift) for c in result.balance[3].causes] == [(1, 11648)]
    facts = result.amended.facts
    assert facts.get("drift_netto_driftsresultat", 2026) == -244668 + 4480 + 2133
    assert facts.get("drift_renteutgifter", 2027) == 669910 + 6315
    assert facts.get("drift_avdrag", 2027) == 455000 + 5333
    assert facts.get("inv_sum_investeringsutgifter", 2026) == 1691600 + 120000
    assert facts.get("inv_fremfort_udekket", 2026) == 0
    # lånegjeld (gjeld.csv, stated 10,2 / 10,8 / 10,8 mrd.) rises by the loans less avdrag
    assert facts.get("gjeld_investeringslan", 2025) == 10200000 + 64000
    assert facts.get("gjeld_investeringslan", 2026) == 10800000 + 64000 + 96000 - 2133
    assert facts.get("gjeld_investeringslan", 2027) == 10800000 + 64000 + 96000 - 2133 - 5333
    assert facts.get("gjeld_sum_lanegjeld", 2027) == 13500000 + 160000 - 7466
    grad = key_figure(result, "gjeldsgrad", 2026)
    assert Decimal(str(grad["before"])) == pct(10800000, DRIFTSINNTEKTER[2026])
    assert Decimal(str(grad["after"])) == pct(10800000 + 157867, DRIFTSINNTEKTER[2026])
    assert statuses(result, "KL-14-4-balanse-drift") == {2024: "pass", 2025: "pass", 2026: "fail", 2027: "fail"}
    assert any("§ 14-18 kan ikke beregnes" in n for n in result.notes)
    # a roll-forward check whose deviation the proposal leaves as it was is marked so
    for change in result.rule_changes():
        same = change["rule"].startswith("NT-lanegjeld")
        assert bool(change["note"]) == same, change
    assert result.exit_code() == 1


def test_a_proposal_that_covers_its_capital_costs_balances(asker, tmp_path):
    """The same hall, with the interest and avdrag the tool derives covered by lower avsetning: saldert."""
    path = write(tmp_path, proposal("""\
  - tekst: Ny flerbrukshall
    tabell: prosjekt
    linje: Ny flerbrukshall
    ny: true
    del: 1
    beløp: {2025: 80000, 2026: 120000}
    finansiering: {lån: 80, momskompensasjon: 20}
  - tekst: Kapitalkostnader dekket av lavere avsetning
    tabell: drift
    linje: Avsetninger til disposisjonsfond
    beløp: {2025: -1280, 2026: -6613, 2027: -11648}
"""))
    result = amend(asker, path)
    assert result.saldert, [b.messages() for b in result.balance]
    assert result.exit_code() == 0


def test_premises_in_the_file_change_the_derived_costs(asker, tmp_path):
    path = write(tmp_path, proposal("""\
  - tekst: Nytt prosjekt i samfunnstjenester
    tabell: prosjekt
    linje: Samfunnstjenester
    beløp: {2024: 30000}
    finansiering: lån
""", premises="forutsetninger:\n  nedbetalingstid: 20\n  rente_første_år: 1\n  rente: {2025: 5.0}\n"))
    result = amend(asker, path)
    # full year in 2024 at budsjett.toml's 4,2 %; 2025 at the file's 5,0 %; 2026-27 at 4,0 % on the 1.1 balance
    assert derived(result, RENTER, 1) == {
        2024: whole(Decimal(30000) * Decimal("0.042")), 2025: whole(Decimal(30000) * Decimal("0.05")),
        2026: whole((Decimal(30000) - Decimal(30000) / 20) * Decimal("0.04")),
        2027: whole((Decimal(30000) - 2 * Decimal(30000) / 20) * Decimal("0.04"))} == {
        2024: 1260, 2025: 1500, 2026: 1140, 2027: 1080}
    assert derived(result, AVDRAG, 1) == {2025: 1500, 2026: 1500, 2027: 1500}
    assert result.rates[2025] == Decimal("5.0") and result.rates[2024] == Decimal("4.2")
    assert gaps(result)[2024] == (1260, 0)


def test_minimumsavdrag_tops_up_avdrag_where_it_can_be_computed(asker_copy):
    """With «Bokført verdi avskrivbare anleggsmidler» given, the amended avdrag must reach the § 14-18 minimum."""
    with (asker_copy / "nokkeltall.csv").open("a", encoding="utf-8") as fh:
        fh.write("Bokført verdi avskrivbare anleggsmidler,,,14100000,14000000,14670000,14340000\n")
    base = load_package(asker_copy)
    result = amend(base, "endringsforslag-flerbrukshall")
    # 2026 after the proposal: avskrivninger 593 421 + 1 600, lånegjeld 10 800 000 + 157 867,
    # anleggsmidler 14 670 000 + (64 000 − 1 600 + 96 000); avdrag 437 000 + 2 133
    minimum_2026 = whole(Decimal(593421 + 1600) * Decimal(10800000 + 157867) / Decimal(14670000 + 158400))
    topup = minimum_2026 - (437000 + 2133)
    assert topup > 0
    assert derived(result, MINIMUMSAVDRAG) == {2026: topup}
    # the base passes § 14-18 every year; so does the amended budget with the top-up
    assert statuses(result, "KL-14-18-minimumsavdrag") == {y: "pass" for y in PLAN}
    assert {f.year: f.status for f in result.base.findings if f.rule == "KL-14-18-minimumsavdrag"} == \
        {y: "pass" for y in PLAN}
    # the top-up is part of the gap and lowers lånegjeld
    assert gaps(result)[2026] == (4480 + 2133 + topup, 0)
    assert result.amended.facts.get("gjeld_investeringslan", 2026) == 10800000 + 157867 - topup
    assert [(c.number, c.drift) for c in result.balance[2].causes] == [(1, 6613), (None, topup)]


@pytest.mark.parametrize("financing, lines, drift_gap, investering_gap", [
    ("salg", {("investering", "Salg av varige driftsmidler"): -10000}, 0, 0),
    ("tilskudd", {("investering", "Tilskudd fra andre"): -10000}, 0, 0),
    ("disposisjonsfond", {("investering", "Overføring fra drift"): -10000,
                          ("drift", "Overføring til investering"): 10000,
                          ("drift", "Bruk av disposisjonsfond"): -10000}, 0, 0),
    ("overføring fra drift", {("investering", "Overføring fra drift"): -10000,
                              ("drift", "Overføring til investering"): 10000}, 10000, 0),
    (None, {}, 0, 10000),
])
def test_each_kind_of_financing_adds_its_lines(asker, tmp_path, financing, lines, drift_gap, investering_gap):
    text = proposal("""\
  - tekst: Oppgradering av skolebygg
    tabell: prosjekt
    linje: Oppvekst
    beløp: {2024: 10000}
""" + (f"    finansiering: {financing}\n" if financing else ""))
    result = amend(asker, write(tmp_path, text))
    got = {(d.stem, d.label): d.amounts[2024] for d in result.derived if d.kind == FINANSIERING}
    assert got == lines
    assert gaps(result)[2024] == (drift_gap, investering_gap)
    assert not [d for d in result.derived if d.kind in (RENTER, AVDRAG)]
    if financing == "disposisjonsfond":
        fund = [d for d in result.derived if d.kind == SALDO and d.label == "Disposisjonsfond (UB)"]
        assert fund and fund[0].amounts == {2024: -10000}
    if investering_gap:
        assert result.balance[0].messages() == ["udekket beløp i investeringsbudsjettet 10 000 i 2024: mangler "
                                                "finansiering"]


def test_amount_for_every_year_and_a_new_area(asker, tmp_path):
    path = write(tmp_path, proposal("""\
  - tekst: Ny satsing på frivillighet
    tabell: område
    linje: Frivillighet
    ny: true
    beløp: 3000
  - tekst: Dekkes av skatt (høyere anslag)
    tabell: drift
    linje: skatt
    beløp: -3000
"""))
    result = amend(asker, path)
    assert [c.amounts for c in result.changes] == [{y: 3000 for y in PLAN}, {y: -3000 for y in PLAN}]
    assert result.saldert
    assert result.amended.facts.get("fordeling_sum", 2024) == 6977461 + 3000
    assert result.amended.facts.get("drift_skatt", 2027) == -5543161 - 3000


def test_english_keys_and_del_on_an_area_are_accepted(asker, tmp_path):
    path = write(tmp_path, """\
title: English keys
party: Test Party
changes:
  - text: More for schools
    table: område
    line: Oppvekst
    part: 1
    amounts: {2026: 2000}
  - text: Sale of a building finances a project
    table: prosjekt
    line: Velferd
    amounts: {2026: 2000}
    financing: salg
  - text: Less to the fund
    table: drift
    line: avsetninger_disposisjonsfond
    amounts: {2026: -2000}
""")
    result = amend(asker, path)
    assert result.saldert
    assert derived(result, FINANSIERING, 2) == {2026: -2000}
    assert result.amended.facts.get("inv_salg_varige_driftsmidler", 2026) == -150000 - 2000


def test_sign_convention_of_a_package_printing_incomes_positive(asker, tmp_path):
    flipped = asker.copy()
    flipped.meta = flipped.meta.model_copy(update={"sign": type(flipped.meta.sign)("incomes_positive")})
    flipped.source = None
    folder = write_folder(flipped, tmp_path / "positiv")
    base = load_package(folder)
    assert base.tables["drift"].row("skatt").values[2024] == -5329672  # internal convention is unchanged
    # in this package costs print negative: −15 000 for Oppvekst is more cost, as the schedules print it
    path = write(tmp_path, proposal("  - tekst: Mer til oppvekst\n    tabell: område\n    linje: Oppvekst\n"
                                    "    beløp: {2024: -15000}\n", grunnlag=str(folder)))
    result = amend(base, path)
    assert gaps(result)[2024] == (15000, 0)


# --- bad input: one line per problem, file and line named, exit code 2 ---------------------------------------

BAD = """\
tittel: Feil
parti: Test
endringer:
  - tekst: skrivefeil
    tabell: område
    linje: Opvekst
    beløp: {2024: 1000}
  - tekst: år utenfor planen
    tabell: område
    linje: Velferd
    beløp: {2023: 1000}
  - tekst: ikke et tall
    tabell: drift
    linje: skatt
    beløp: {2025: fem tusen}
  - tekst: sumlinje
    tabell: drift
    linje: Netto driftsresultat
    beløp: {2025: 100}
  - tekst: summen som følger av områdene
    tabell: drift
    linje: Sum bevilgninger drift, netto
    beløp: {2025: 100}
  - tekst: ukjent tabell
    tabell: driften
    linje: skatt
    beløp: {2025: 100}
  - tekst: ukjent finansiering
    tabell: prosjekt
    linje: Oppvekst
    beløp: {2025: 100}
    finansiering: lånn
"""


def test_bad_changes_are_all_reported_with_file_line_and_a_suggestion(tmp_path):
    path = write(tmp_path, BAD)
    result = cli("amend", "asker-hp-2024-2027", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("feil:")]
    assert len(lines) == 7, result.output
    text = result.output
    assert f"{path}:4: område, linje «Opvekst»: endring nr. 1: ukjent område «Opvekst»" in text
    assert "mente du «Oppvekst»?" in text
    assert f"{path}:11: område, linje «Velferd», år 2023: endring nr. 2: 2023 er ikke et økonomiplanår (2024-2027)" in text
    assert f"{path}:15: drift, linje «skatt», år 2025: endring nr. 3: «fem tusen» er ikke et tall" in text
    assert ("«Netto driftsresultat» er en sumlinje og kan ikke endres direkte; endre linjene den summerer: "
            "Brutto driftsresultat, Netto finansutgifter, Motpost avskrivninger") in text
    assert "«Sum bevilgninger drift, netto» følger av budsjett- og regnskapsforskriften § 5-4 andre ledd" in text
    assert "endre områdene i § 5-4 andre ledd i stedet" in text
    assert "ukjent tabell «driften»; mente du «drift»?" in text
    assert "ukjent finansiering «lånn»; mente du «lån»?" in text


@pytest.mark.parametrize("text, expected", [
    ("tittel: x\nparti: y\nendring:\n  - tekst: x\n", ":3: ukjent felt «endring»; mente du «endringer»?"),
    ("tittel: x\nparti: y\nendringer: []\n", ":3: feltet «endringer»: kan ikke være tom"),
    ("tittel: [x\n", "ugyldig YAML"),
    ("tittel: x\nparti: y\nendringer:\n  - tekst: x\n    tabell: drift\n    linje: skatt\n    beløp: &a {2024: 5}\n"
     "  - tekst: y\n    tabell: drift\n    linje: skatt\n    beløp: *a\n", "ankere og aliaser"),
    ("tittel: x\nparti: y\nendringer:\n  - tekst: !!python/object:os.system x\n    tabell: drift\n    linje: skatt\n"
     "    beløp: 5\n", "could not determine a constructor"),
    ("tittel: x\nparti: y\nforutsetninger:\n  nedbetalingstid: 0\nendringer:\n  - tekst: x\n    tabell: drift\n"
     "    linje: skatt\n    beløp: 5\n", ":4: feltet «forutsetninger.nedbetalingstid»: er for liten"),
    ("tittel: x\nparti: y\nendringer:\n  - tekst: x\n    tabell: prosjekt\n    linje: Ny hall\n    ny: true\n"
     "    beløp: {2025: 100}\n", "et nytt prosjekt må ha del"),
    ("tittel: x\nparti: y\nendringer:\n  - tekst: x\n    tabell: prosjekt\n    linje: Oppvekst\n"
     "    beløp: {2025: 100}\n    finansiering: {lån: 70, salg: 20}\n", "summerer til 90 %, ikke 100 %"),
])
def test_a_broken_amendment_file_is_refused_with_exit_2(tmp_path, text, expected):
    path = write(tmp_path, text)
    result = cli("amend", "asker-hp-2024-2027", path)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert all(line.startswith("feil: ") and str(path) in line for line in result.output.strip().splitlines())


def test_a_base_that_does_not_load_and_a_missing_proposal_give_exit_2(tmp_path):
    result = cli("amend", tmp_path / "finnes-ikke", "endringsforslag-udekket")
    assert result.exit_code == 2 and "finnes ikke" in result.output
    result = cli("amend", "asker-hp-2024-2027", tmp_path / "forslag.yaml")
    assert result.exit_code == 2 and "endringsforslaget finnes ikke" in result.output


def test_toml_amendments_are_accepted(asker, tmp_path):
    path = write(tmp_path, """\
tittel = "TOML-forslag"
parti = "Testpartiet"
dato = 2023-11-17

[[endringer]]
tekst = "Mer til velferd"
tabell = "område"
linje = "Velferd"
belop = { 2024 = 4000, 2025 = 4000 }

[[endringer]]
tekst = "Lavere avsetning"
tabell = "drift"
linje = "Avsetninger til disposisjonsfond"
belop = { 2024 = -4000, 2025 = -4000 }
""", "forslag.toml")
    result = amend(asker, path)
    assert result.saldert
    assert result.amended.facts.get("fordeling_sum", 2025) == 7045227 + 4000
    bad = write(tmp_path, 'tittel = "x"\nparti = "y"\n[[endringer]]\ntekst = "t"\ntabell = "drift"\nlinje = "skatt"\n'
                          'belop = { 2024 = "mye" }\n', "feil.toml")
    with pytest.raises(InputError) as exc:
        run_all(asker, [bad])
    assert "«mye» er ikke et tall" in str(exc.value) and "år 2024" in str(exc.value)


# --- the command: reports, comparison, exit codes, writing the amended package ------------------------------

def test_several_proposals_side_by_side_and_exit_code():
    result = cli("amend", "asker-hp-2024-2027", "endringsforslag-omfordeling", "endringsforslag-udekket",
                 "endringsforslag-flerbrukshall", "--format", "text", env={"COLUMNS": "220"})
    assert result.exit_code == 1
    out = result.output
    assert "Sammenligning av forslagene" in out
    for party in ("Eksempelpartiet A", "Eksempelpartiet B", "Eksempelpartiet C"):
        assert party in out
    assert "nei (2024, 2025, 2026, 2027)" in out and "nei (2026, 2027)" in out
    assert "merforbruk 6 613 i 2026: mangler inndekning" in out
    assert "Konklusjon: SALDERT i alle planår (2024-2027)" in out
    assert "EKSEMPEL – ikke et reelt partiforslag." in out
    balanced = cli("amend", "asker-hp-2024-2027", "endringsforslag-omfordeling", "--format", "text")
    assert balanced.exit_code == 0, balanced.output


def test_json_has_changes_consequences_balance_key_figures_and_findings():
    result = cli("amend", "asker-hp-2024-2027", "endringsforslag-udekket", "endringsforslag-flerbrukshall",
                 "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["tool"]["command"] == "amend"
    assert data["base"]["plan_years"] == PLAN
    first, second = data["proposals"]
    assert first["saldert"] is False and first["exit_code"] == 1
    assert [b["drift"]["after"] for b in first["balance"]] == [25000, 30000, 36000, 36000]
    assert first["changes"][0] == {"number": 1, "text": "Gratis SFO for alle trinn", "table": "drift_fordeling",
                                   "paragraph": "budsjett- og regnskapsforskriften § 5-4 andre ledd",
                                   "line": "Oppvekst", "del": None, "new": False, "financing": {},
                                   "amounts": {"2024": 20000, "2025": 25000, "2026": 25000, "2027": 25000},
                                   "file_line": first["changes"][0]["file_line"], "sign_hint": None}
    interest = next(d for d in second["derived"] if d["kind"] == "renter")
    assert interest["amounts"] == {"2025": 1280, "2026": 4480, "2027": 6315} and interest["source"] == 1
    assert second["premises"]["nedbetalingstid"] == 30 and second["premises"]["rente"]["2025"] == 4
    assert second["balance"][3]["causes"] == [{"change": 1, "text": "Ny flerbrukshall, bygges 2025-2026",
                                               "drift": 11648, "investering": 0}]
    grad = next(k for k in second["key_figures"] if k["id"] == "gjeldsgrad" and k["year"] == 2026)
    assert grad["before"] != grad["after"] and grad["changed"] is True
    assert any(r["rule"] == "KL-14-4-balanse-drift" and r["year"] == 2026 and r["after"] == "fail"
               for r in second["rule_changes"])
    assert second["summary"]["total"] == len(second["findings"])
    again = cli("amend", "asker-hp-2024-2027", "endringsforslag-udekket", "endringsforslag-flerbrukshall",
                "--format", "json")
    assert again.output == result.output  # same input, same bytes


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_write_package_writes_a_checkable_amended_budget_and_never_over_the_base(asker_copy, tmp_path):
    before = _hashes(asker_copy)
    target = tmp_path / "endret"
    result = cli("amend", asker_copy, "endringsforslag-flerbrukshall", "--write-package", target, "--format", "json")
    assert result.exit_code == 1
    written = load_package(target)
    assert "Eksempelpartiet C" in written.meta.title
    row = written.tables["investering_fordeling"].find("Ny flerbrukshall (eksempel)", 1)
    assert row is not None and row.values[2025] == 80000 and row.values[2026] == 120000
    assert written.tables["drift"].row("fremfort_merforbruk").values[2026] == 6613
    check = cli("check", target, "--format", "json")
    assert check.exit_code == 1
    failed = {(f["rule"], f["year"]) for f in json.loads(check.output)["findings"]
              if f["status"] == "fail" and f["severity"] == "error"}
    assert failed == {("KL-14-4-balanse-drift", 2026), ("KL-14-4-balanse-drift", 2027)}
    # refuses an existing folder without --force, the base itself and a folder inside it
    again = cli("amend", asker_copy, "endringsforslag-flerbrukshall", "--write-package", target)
    assert again.exit_code == 2 and "--force" in again.output
    assert cli("amend", asker_copy, "endringsforslag-flerbrukshall", "--write-package", target, "--force",
               "--format", "json").exit_code == 1
    over = cli("amend", asker_copy, "endringsforslag-flerbrukshall", "--write-package", asker_copy, "--force")
    assert over.exit_code == 2 and "grunnlaget" in over.output
    inside = cli("amend", asker_copy, "endringsforslag-flerbrukshall", "--write-package", asker_copy / "ny")
    assert inside.exit_code == 2
    assert _hashes(asker_copy) == before
    # several proposals: one folder each
    many = tmp_path / "mange"
    cli("amend", asker_copy, "endringsforslag-omfordeling", "endringsforslag-udekket", "--write-package", many,
        "--format", "json")
    assert sorted(p.name for p in many.iterdir()) == ["endringsforslag-omfordeling", "endringsforslag-udekket"]


def test_a_proposal_naming_another_base_is_noted(asker_copy, tmp_path):
    other = tmp_path / "annen"
    shutil.copytree(asker_copy, other)
    result = amend(load_package(other), "endringsforslag-udekket")
    assert any("oppgir grunnlaget «asker-hp-2024-2027»" in n for n in result.notes)
    assert not any("oppgir grunnlaget" in n for n in amend(load_package(), "endringsforslag-udekket").notes)


def test_loan_roll_forward_is_judged_at_the_precision_the_document_states(asker):
    """Asker states lånegjeld in mrd. kr with one decimal ([precision] in budsjett.toml): adding an exact loan must
    not turn the base's own rounding into roll-forward warnings; a copy without the declaration guesses as before."""
    result = amend(asker, "endringsforslag-flerbrukshall")
    checks = [f for f in result.amended.findings if f.rule == "NT-lanegjeld-mot-gjeldsoversikt"]
    assert checks and all(f.status != "fail" for f in checks), [f.message for f in checks if f.status == "fail"]
    undeclared = asker.copy()
    undeclared.meta.precision = {}
    result = amend(undeclared, "endringsforslag-flerbrukshall")
    assert any(f.status == "fail" for f in result.amended.findings if f.rule == "NT-lanegjeld-mot-gjeldsoversikt")


# --- the proposal report in every format (issue 14 items 3 and 7) ------------------------------------------------

def _html_text(page: str) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_proposal_report_carries_the_proposal(fmt):
    result = cli("amend", "asker-hp-2024-2027", "endringsforslag-flerbrukshall", "--format", fmt,
                 env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    text = _html_text(result.stdout) if fmt == "html" else " ".join(result.stdout.replace("\\", "").split())
    assert "Ny flerbrukshall (eksempel)" in text and "Eksempelpartiet C" in text and "17.11.2023" in text
    # the changes as written, with their lines in the proposal file (not the base budget's)
    assert "Ny flerbrukshall, bygges 2025-2026" in text and "endringsforslag-flerbrukshall.yaml:18" in text
    assert "endringsforslag-flerbrukshall.yaml:25" in text and "80 000" in text and "120 000" in text
    if fmt != "text":
        assert "forslaget oppretter et nytt prosjekt" in text
    # what the tool added, with its assumptions
    for derived in ("Bruk av lån", "Renteutgifter", "Avdrag på lån", "Avskrivninger", "-64 000"):
        assert derived in text, derived
    assert "Rente (budsjett.toml)" in text or "rentepremiss (budsjett.toml)" in text
    # balance per year in words, with the cause of each gap
    assert "merforbruk 6 613" in text and "nr. 1 «Ny flerbrukshall, bygges 2025-2026» +6 613" in text
    # headline and key figures before → after, and what the base budget already had
    assert "-244 668 → -238 055" in text
    assert "7 advarsler fantes allerede i grunnlaget" in text
    assert "KL-14-4-balanse-drift" in text


@pytest.mark.parametrize("fmt", ["html", "markdown", "text", "json"])
def test_key_figures_before_after_are_rounded_once_half_up(fmt):
    """Netto driftsresultat 2026 is 2,45… %: `check` says 2,5 %, and so must every proposal report."""
    result = cli("amend", "asker-hp-2024-2027", "endringsforslag-omfordeling", "--format", fmt,
                 env={"COLUMNS": "200"})
    if fmt == "json":
        rows = json.loads(result.stdout)["proposals"][0]["key_figures"]
        (row,) = [k for k in rows if k["id"] == "netto_driftsresultat_pst" and k["year"] == 2026]
        assert row["shown_before"] == "2,5 %"
        return
    text = _html_text(result.stdout) if fmt == "html" else " ".join(result.stdout.split())
    assert "2,5 %" in text and "2,4 %" not in text and "2,45" not in text


def test_sign_hint_beside_a_change_that_widens_the_gap(tmp_path):
    import textwrap

    proposal = write(tmp_path, textwrap.dedent("""\
        tittel: Mer bruk av disposisjonsfond
        parti: Testpartiet
        endringer:
          - tekst: Flere lærere
            tabell: område
            linje: Oppvekst
            beløp: {2025: 5000}
          - tekst: Bruk mer av disposisjonsfondet
            tabell: drift
            linje: Bruk av disposisjonsfond
            beløp: {2025: 5000}
        """), "fortegn.yaml")
    for fmt in ("text", "markdown", "html"):
        out = cli("amend", "asker-hp-2024-2027", str(proposal), "--format", fmt, env={"COLUMNS": "200"}).stdout
        text = _html_text(out) if fmt == "html" else " ".join(out.split())
        assert "mente du -5 000?" in text and "merforbruk 10 000" in text
    data = json.loads(cli("amend", "asker-hp-2024-2027", str(proposal), "--format", "json").stdout)
    hints = [c["sign_hint"] for c in data["proposals"][0]["changes"]]
    assert hints[0] is None and hints[1].startswith("mente du -5 000?")
    # the right sign closes the gap and gets no hint
    proposal.write_text(proposal.read_text("utf-8").replace("{2025: 5000}\n", "{2025: -5000}\n").replace(
        "beløp: {2025: -5000}", "beløp: {2025: 5000}", 1), "utf-8")
    data = json.loads(cli("amend", "asker-hp-2024-2027", str(proposal), "--format", "json").stdout)
    assert data["proposals"][0]["saldert"] and all(c["sign_hint"] is None for c in data["proposals"][0]["changes"])


def test_comparison_names_each_column_by_its_title_even_for_one_party(tmp_path):
    source = next(p for p in bundled_amendments() if p.stem == "endringsforslag-omfordeling").read_text("utf-8")
    second = write(tmp_path, source.replace(
        "tittel: Styrket skole og hjemmetjeneste (eksempel)", "tittel: Styrket skole, variant B").replace(
        "{2024: 15000, 2025: 15000, 2026: 15000, 2027: 15000}", "{2024: 5000, 2025: 5000, 2026: 5000, 2027: 5000}"),
        "variant-b.yaml")
    for fmt in ("text", "markdown", "html"):
        out = cli("amend", "asker-hp-2024-2027", "endringsforslag-omfordeling", str(second), "--format", fmt,
                  env={"COLUMNS": "240"}).stdout
        head = out.split("Sammenligning av forslagene")[1] if fmt == "text" else out.split("Endringer i forslaget")[0]
        head = " ".join(head.split())
        assert "Styrket skole og hjemmetjeneste (eksempel)" in head and "Styrket skole, variant B" in head


# --- finding names (issue 14 item 8) ---------------------------------------------------------------------------------

def test_lines_lists_areas_projects_with_del_and_schedule_lines():
    result = cli("lines", "asker-hp-2024-2027")
    assert result.exit_code == 0, result.output
    text = result.stdout
    areas = text.split("Områder (tabell: område)")[1].split("Prosjekter")[0]
    assert {"Oppvekst", "Velferd", "Samfunnsutvikling"} <= {line.strip() for line in areas.splitlines()}
    projects = text.split("Prosjekter (tabell: prosjekt)")[1].split("Linjer (tabell: drift)")[0]
    assert "del 2 tilskudd til andres investeringer:" in projects and "Egenkapitaltilskudd KLP" in projects
    drift = text.split("Linjer (tabell: drift)")[1].split("Linjer (tabell: investering)")[0]
    assert "  Bruk av disposisjonsfond" in drift and "Netto driftsresultat" not in drift  # sums are not offered
    data = json.loads(cli("lines", "asker-hp-2024-2027", "--format", "json").stdout)
    assert {"del": 3, "line": "Egenkapitaltilskudd KLP"} in data["projects"] and "Oppvekst" in data["areas"]
    # every name listed is accepted by amend
    for area in data["areas"]:
        (result,) = run_all(load_package("asker-hp-2024-2027"), [write_proposal_for(area)])
        assert result.changes[0].label == area


def write_proposal_for(area: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    return write(folder, proposal(f"  - tekst: t\n    tabell: område\n    linje: {area}\n    beløp: {{2025: 1}}\n"))


def test_unknown_name_lists_the_candidates_of_its_table(tmp_path):
    path = write(tmp_path, proposal("  - tekst: t\n    tabell: område\n    linje: Opvekst\n    beløp: {2025: 100}\n"))
    result = cli("amend", "asker-hp-2024-2027", path)
    assert result.exit_code == 2
    assert "mente du «Oppvekst»?" in result.stderr and "kjente navn: «Administrasjon og ledelse», «Oppvekst»" in result.stderr
    assert "budsjettkontroll lines" in result.stderr and "Traceback" not in result.stderr


def test_new_area_needs_ny_and_is_stated_with_a_warning_when_close(tmp_path):
    path = write(tmp_path, proposal("  - tekst: t\n    tabell: område\n    linje: Oppvekst og skole\n    ny: true\n"
                                    "    beløp: {2025: 100}\n  - tekst: u\n    tabell: område\n    linje: Oppvekst\n"
                                    "    beløp: {2025: -100}\n"))
    for fmt in ("text", "markdown", "html"):
        out = " ".join(cli("amend", "asker-hp-2024-2027", path, "--format", fmt, env={"COLUMNS": "200"}).stdout.split())
        assert "oppretter et nytt område «Oppvekst og skole»" in out
        assert "ligner «Oppvekst», som finnes fra før" in out


def test_amend_with_the_proposal_alone_uses_its_grunnlag(tmp_path):
    alone = cli("amend", "endringsforslag-omfordeling", "--format", "json")
    both = cli("amend", "asker-hp-2024-2027", "endringsforslag-omfordeling", "--format", "json")
    assert alone.exit_code == both.exit_code == 0
    assert json.loads(alone.stdout)["proposals"][0]["balance"] == json.loads(both.stdout)["proposals"][0]["balance"]
    nameless = write(tmp_path, "tittel: t\nparti: p\nendringer:\n  - tekst: t\n    tabell: område\n    linje: Oppvekst\n"
                               "    beløp: {2025: 1}\n")
    result = cli("amend", nameless)
    assert result.exit_code == 2 and "oppgir ikke «grunnlag»" in result.stderr

# --- issue 13 item 19: the avskrivningstid a project is depreciated over is stated, and can be set per project --------

VA_PROJECT = """  - tekst: Nytt ledningsnett vann og avløp
    tabell: prosjekt
    linje: Ledningsnett vann og avløp Vestre
    ny: true
    del: 1
    beløp: {2025: 80000}
    finansiering: lån
"""


def test_default_avskrivningstid_is_named_and_va_projects_are_pointed_to_80_years(asker, tmp_path):
    result = amend(asker, write(tmp_path, proposal(VA_PROJECT)))
    (line,) = [d for d in result.derived if d.kind == AVSKRIVNINGER and d.label == "Avskrivninger"]
    assert line.amounts == {2026: 2000, 2027: 2000}  # 80 000 over the default 40 years
    assert "lineært over 40 år (standard 40 år; kan settes per prosjekt)" in line.explanation
    assert "VA-ledningsnett kan fra 2026 avskrives over inntil 80 år (FOR-2025-09-12-1858)" in line.explanation


def test_avskrivningstid_set_on_the_project_wins(asker, tmp_path):
    text = proposal(VA_PROJECT + "    avskrivningstid: 80\n", premises="forutsetninger:\n  avskrivningstid: 30\n")
    result = amend(asker, write(tmp_path, text))
    (line,) = [d for d in result.derived if d.kind == AVSKRIVNINGER and d.label == "Avskrivninger"]
    assert line.amounts == {2026: 1000, 2027: 1000}  # 80 000 over 80 years
    assert "lineært over 80 år (satt for prosjektet)" in line.explanation and "VA-ledningsnett" not in line.explanation


def test_avskrivningstid_from_the_premises_is_named_as_such(asker, tmp_path):
    result = amend(asker, write(tmp_path, proposal(VA_PROJECT, premises="forutsetninger:\n  avskrivningstid: 50\n")))
    (line,) = [d for d in result.derived if d.kind == AVSKRIVNINGER and d.label == "Avskrivninger"]
    assert line.amounts == {2026: 1600, 2027: 1600}
    assert "lineært over 50 år (forutsetningene i forslaget)" in line.explanation


def test_balance_per_change_reads_drift_and_investering_alone():
    """amend.balance derives each change's facts from § 5-4 and § 5-5 only: fremført til inndekning is the same as
    from every schedule, for every bundled proposal, change and plan year."""
    from dataclasses import replace

    from budsjettkontroll.adjust import apply_changes
    from budsjettkontroll.amend import BALANCE_SCHEDULES, _tables_copy, build, user_changes
    from budsjettkontroll.amendment import load_amendment
    from budsjettkontroll.derive import Facts

    base = load_package("asker-hp-2024-2027")
    for proposal in bundled_amendments():
        _, changes, derived, _, _ = build(base, load_amendment(proposal))
        for change in changes:
            own = user_changes(base, change) + [c for d in derived if d.source == change.number and d.balance
                                                for c in d.changes()]
            full = apply_changes(_tables_copy(base), own, in_place=True)
            alone = replace(full, tables={s: t for s, t in full.tables.items() if s in BALANCE_SCHEDULES})
            every, two = Facts(full), Facts(alone)
            for year in base.meta.plan_years:
                for name in ("drift_fremfort_merforbruk", "inv_fremfort_udekket"):
                    assert (type(every.get(name, year)), every.get(name, year)) == \
                        (type(two.get(name, year)), two.get(name, year))
