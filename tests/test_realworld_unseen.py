"""Issue 12's acceptance trial: real schedules of a kommune the tool was not built on (Giske; tests/realworld_unseen/,
SOURCES.md there), transcribed cell for cell as printed (thousands separators, «-», «- 3 901», line numbers, a
header over two rows, a first column headed by the table's title, rule rows and the unit as a row), run as a new
user would: budsjett.toml says kommune, title and, where the table prints «-» for zero, dash_is_zero.

Each package: no traceback, no bad input, no error-severity finding on a column the source shows balancing, and
each anomaly SOURCES.md lists is in the report. The mechanisms the trial needed are then tested on Asker reprinted
the same way: the findings must not change."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.catalogue import TABLES
from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.labels import is_heading
from budsjettkontroll.package import load_package

from .conftest import ASKER_DIR
from .test_realworld import _check, _failing

UNSEEN = Path(__file__).parent / "realworld_unseen"
# Still refused, with one line per problem (SOURCES.md says why): a column kind no rule can place and lines the
# forskrift never had. Every other package must be read.
REFUSED = {"klepp-2014-regnskap-1a"}
PACKAGES = sorted(p.name for p in UNSEEN.iterdir() if (p / "budsjett.toml").is_file() and p.name not in REFUSED)


def test_the_trial_has_packages_and_a_sources_note():
    assert len(PACKAGES) >= 3
    sources = (UNSEEN / "SOURCES.md").read_text(encoding="utf-8")
    for name in [*PACKAGES, *REFUSED]:
        assert f"## {name}/" in sources, name


@pytest.mark.parametrize("name", PACKAGES)
def test_read_as_printed_without_a_traceback_bad_input_or_a_false_error(name):
    code, report, output = _check(UNSEEN / name)
    assert code in (0, 1), output
    assert not _failing(report, "error"), [(f["rule"], f["year"], f.get("column"), f["message"])
                                           for f in _failing(report, "error")]
    assert not report["summary"].get("internal_errors")
    # what a user wrote: no sign convention and no [years]; the headers and the identities say them
    toml = (UNSEEN / name / "budsjett.toml").read_text(encoding="utf-8")
    assert "sign" not in toml and "[years]" not in toml


def test_klepp_2014_is_refused_with_one_clear_line_per_problem_and_no_more():
    """Klepp's Rekneskapsskjema 1A (2014, nynorsk, names cut at 30 characters, no year in the headers, in kroner):
    with `regnskapsaar = 2014` the headers and every name of the old 1A are read; what is left is a column kind
    nobody can place («Registrert budsjett») and three lines of Klepp's own that no forskrift has."""
    result = CliRunner().invoke(app, ["check", str(UNSEEN / "klepp-2014-regnskap-1a")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = sorted({line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("feil:")})
    assert len(lines) == 4 or len(lines) == 5, lines  # the column problem is named once per view
    assert any("ukjent kolonne «registrert budsjett»" in line for line in lines), lines
    for label, row in (("Momskompensasjon investering", 7), ("Diverse utgifter og pensjon", 21), ("Diverse inntekter", 22)):
        found = [line for line in lines if f"linje «{label}»" in line]
        assert len(found) == 1 and f"budsjettskjema_1a.csv:{row}:" in found[0], (label, lines)
        assert "mente du" not in found[0]  # no line of another meaning offered («Renteinntekter og utbytte»)


def test_a_pre_2020_schedule_is_not_judged_by_the_2019_forskrift_in_its_later_columns_either():
    """Giske's økonomiplan 2019-2022 prints the old Budsjettskjema 1A (KOSTRA signs, in kroner) with columns up to
    2022: its sums are «ikke vurdert» in every column, never nine false errors in 2020-2022; nothing passes on a
    package without a § 5-4 (no loan line «in nothing»), and the kroner are named."""
    code, report, output = _check(UNSEEN / "giske-2019-2022-1a")
    assert code == 1, output  # nothing could be judged: never a pass
    assert not _failing(report) and not [f for f in report["findings"] if f["status"] == "pass"]
    sums = [f for f in report["findings"] if f["rule"] == "FORSKR-5-sumlinjer"]
    assert sorted(f["year"] for f in sums) == [2018, 2019, 2020, 2021, 2022]
    assert all("tabellen er et skjema fra før forskriften" in f["message"] for f in sums if f["year"] >= 2020)
    budget = load_package(UNSEEN / "giske-2019-2022-1a")
    kroner = [n for n in budget.notes if "ser ut til å være i hele kroner" in n]
    assert len(kroner) == 1 and "489 771 100" in kroner[0], budget.notes
    assert not [n for n in load_package(ASKER_DIR).notes if "hele kroner" in n]


def test_giske_2022_regnskap_two_row_header_title_column_line_numbers_and_signs():
    """The årsrapport's Løyvingsoversikt - Drift 2022: «Regnskap»/«Reg. budsjett»/«Oppr.budsjett»/«Regnskap i fjor»
    above 2022/2022/2022/2021, names with their line numbers, incomes positive with netto finansutgifter negative."""
    budget = load_package(UNSEEN / "giske-2022-regnskap")
    notes = "\n".join(budget.notes)
    assert ("overskriften står på to rader; kolonnene er lest som «Regnskap 2022», «Reg. budsjett 2022», "
            "«Oppr.budsjett 2022», «Regnskap i fjor 2021»") in notes
    assert "første kolonne «Økonomiske oversikter Løyvingsoversikt - drift (regnskap)» er lest som linjenavn" in notes
    assert "linje 8, 13, 20, 23, 24, 32: skillelinjer og overskrifter uten beløp" in notes
    sign = [n for n in budget.notes if "fortegnene" in n]
    assert len(sign) == 1 and "«unsigned_disposals_signed»" in sign[0] and "28 av 28 summer stemmer" in sign[0], sign
    assert budget.meta.years.regnskap == [2021, 2022] and not budget.meta.years.plan
    drift = budget.tables["drift"]
    assert drift.row("rammetilskudd").label == "1 Rammetilskudd"
    assert drift.row("rammetilskudd").values == {2021: -257470, 2022: -262905}  # incomes negative inside
    assert drift.row("gevinster_tap").values[2022] == 3901  # a loss: a cost inside
    assert drift.row("netto_driftsresultat").values == {2021: -33029, 2022: -32595}  # a surplus
    assert drift.row("bruk_disposisjonsfond").values == {2021: 0, 2022: -1097}  # «-» with dash_is_zero
    assert {v.view for v in budget.views} >= {"revidert", "opprinnelig"}
    facts = run_check(budget).facts
    assert facts.get("drift_fremfort_merforbruk", 2022) == 0


def test_giske_2022_regnskap_its_rounding_differences_are_info_notes_each_named():
    """SOURCES.md: eight ±1 differences between a printed sum and its parts, in three columns; all info."""
    code, report, output = _check(UNSEEN / "giske-2022-regnskap")
    assert code == 0, output
    notes = {(f["subject"].split(": ", 1)[1], f.get("column"), f["values"]["oppgitt"], f["values"]["beregnet"])
             for f in _failing(report, "info", "FORSKR-5-avrunding")}
    assert notes == {
        ("5 Sum generelle driftsinntekter", "Regnskap 2022", -626833, -626832),
        ("8 Sum netto driftsutgifter", "Regnskap 2022", 569753, 569752),
        ("15 Netto finansutgifter", "Regnskap 2022", 65136, 65135),
        ("17 Netto driftsresultat", "Regnskap 2022", -32595, -32594),
        ("8 Sum netto driftsutgifter", "Reg. budsjett 2022", 566046, 566045),
        ("9 Brutto driftsresultat", "Reg. budsjett 2022", -31339, -31338),
        ("9 Brutto driftsresultat", "Regnskap i fjor 2021", -40586, -40585),
        ("24 Sum disponeringer eller dekning av netto driftsresultat", "Regnskap i fjor 2021", 33029, 33030),
    }, notes
    assert not _failing(report, "warning")
    sums = [f for f in report["findings"] if f["rule"] == "FORSKR-5-sumlinjer"]
    assert {f.get("column") for f in sums if f["status"] == "pass"} >= {"Regnskap 2022", "Regnskap i fjor 2021",
                                                                         "Reg. budsjett 2022", "Oppr.budsjett 2022"}


def test_giske_2024_2027_andre_ledd_number_column_and_misspelt_sum_line():
    """6.2: a first column «Ramme» of area numbers beside the names; «Sum bevillinger drift, netto» is the sum,
    never a twelfth area; its ±1 differences from the areas are info."""
    budget = load_package(UNSEEN / "giske-2024-2027-andre-ledd")
    notes = "\n".join(budget.notes)
    assert "første kolonne «Ramme» har bare linje- eller områdenummer og er satt til side" in notes
    assert "«Sum bevillinger drift, netto» er lest som sumlinjen «Sum bevilgninger drift, netto»" in notes
    assert "«Alle tal i heile 1 000 kroner» er lest som tittel" in notes
    table = budget.tables["drift_fordeling"]
    areas = [r for r in table.rows if r.key is None]
    assert len(areas) == 11 and areas[0].label == "POLITISK STYRING"
    assert sum(r.values[2024] for r in areas) == 599201
    assert budget.meta.years.regnskap == [2022] and budget.meta.years.plan == [2024, 2025, 2026, 2027]
    code, report, output = _check(UNSEEN / "giske-2024-2027-andre-ledd")
    assert code == 0, output
    rounding = {(f["year"], f["values"]["avvik"]) for f in _failing(report, "info", "FORSKR-5-avrunding")}
    assert rounding == {(2022, -1), (2023, 1), (2024, -1), (2025, -1), (2027, -1)}, rounding
    assert not _failing(report, "warning")


def test_giske_2022_2025_andre_ledd_dashes_in_an_area_and_a_two_off_sum():
    """7.2: MILJØ OG KULTUR printed «-» in the plan years (0 with dash_is_zero); the sum is two off its eleven areas in
    2020 and one off in 2021 and 2024: info notes, never an error."""
    budget = load_package(UNSEEN / "giske-2022-2025-andre-ledd")
    miljo = next(r for r in budget.tables["drift_fordeling"].rows if r.label == "MILJØ OG KULTUR")
    assert miljo.values == {2020: 6236, 2021: 0, 2022: 0, 2023: 0, 2024: 0, 2025: 0}
    code, report, output = _check(UNSEEN / "giske-2022-2025-andre-ledd")
    assert code == 0, output
    rounding = {(f["year"], f["values"]["avvik"]) for f in _failing(report, "info", "FORSKR-5-avrunding")}
    assert rounding == {(2020, -2), (2021, -1), (2024, 1)}, rounding
    assert not _failing(report, "warning")


def test_giske_2021_2024_investering_nynorsk_names_and_its_real_anomalies():
    """8.4 in mixed Bokmål/Nynorsk reads without hand edits; its sums hold; the report warns where the plan borrows
    more than the investments need (2021, 2022) and where loans for lending on finance «Utlån av egne midlar»
    (2021-2024); Regnskap 2019 is from before the forskrift."""
    budget = load_package(UNSEEN / "giske-2021-2024")
    investering = budget.tables["investering"]
    for key in ("tilskudd_andres_investeringer", "utlan_egne_midler", "mottatte_avdrag_utlan",
                "mottatte_avdrag_videreutlan", "dekning_udekket", "fremfort_udekket"):
        assert investering.row(key) is not None, key
    assert investering.row("fremfort_udekket").values[2019] == 0  # printed «-0»
    code, report, output = _check(UNSEEN / "giske-2021-2024")
    assert code == 0, output
    sums = [f for f in report["findings"] if f["rule"] == "FORSKR-5-sumlinjer"]
    assert {f["year"] for f in sums if f["status"] == "pass"} == {2020, 2021, 2022, 2023, 2024}
    assert all("før forskriften" in f["message"] for f in sums if f["year"] == 2019)
    assert [f["year"] for f in _failing(report, "warning", "KL-14-15-lan-etter-egne-inntekter")] == [2021, 2022]
    assert [f["year"] for f in _failing(report, "warning", "KL-14-17-videreutlan-lanefinansiert")] \
        == [2021, 2022, 2023, 2024]
    balance = [f for f in report["findings"] if f["rule"] == "KL-14-4-balanse-investering"]
    assert balance and all(f["status"] == "pass" for f in balance)
    rounding = {(f["year"], f["values"]["avvik"]) for f in _failing(report, "info", "FORSKR-5-avrunding")}
    assert rounding == {(2022, -1), (2023, -1)}, rounding


# --- the mechanisms, on Asker reprinted as a kommune prints its tables: the findings do not change ---------------

def _reprint(path: Path, *, title_column: str, kinds: list[str], numbered: bool, dashes: bool) -> None:
    """Rewrite a package CSV (linje + year columns) as printed: the title as the first header cell, the kinds on a
    header row above the years, «1 234» separators and «- 1 234» minus, line numbers before the names, a rule row
    of dashes after each sum line, a heading before the disposals, and «-» for 0 when `dashes`."""
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header, body = rows[0], rows[1:]

    def amount(cell: str) -> str:
        if cell == "":
            return ""
        value = int(cell)
        if value == 0 and dashes:
            return "-"
        text = f"{abs(value):,}".replace(",", " ")
        return f"- {text}" if value < 0 else text

    out = [[title_column, *kinds], ["", *header[1:]]]
    for n, (label, *cells) in enumerate(body, start=1):
        if label.startswith("Overføring til investering"):
            out.append(["Disponering eller dekning av netto driftsresultat", *["-"] * len(cells)])
        out.append([f"{n} {label}" if numbered else label, *map(amount, cells)])
        if label.lower().startswith("sum"):
            out.append(["", *["-"] * len(cells)])
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)


def _comparable(report: dict) -> list[tuple]:
    return sorted((f["rule"], f["year"], f["status"], f["severity"], json.dumps(f.get("values"), sort_keys=True))
                  for f in report["findings"])


def test_asker_reprinted_as_a_kommune_prints_it_gives_the_same_findings(tmp_path):
    package = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, package)
    _reprint(package / "drift.csv", title_column="Bevilgningsoversikt - drift",
             kinds=["Regnskap", "Budsjett", "Økonomiplan", "Økonomiplan", "Økonomiplan", "Økonomiplan"],
             numbered=True, dashes=True)
    _reprint(package / "investering.csv", title_column="Bevilgningsoversikt investering",
             kinds=["Rekneskap", "Vedteke budsjett", "Øk.plan", "Øk.plan", "Øk.plan", "Øk.plan"],
             numbered=False, dashes=True)
    toml = package / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('policy = "asker"\n', 'policy = "asker"\ndash_is_zero = true\n'),
                    encoding="utf-8")
    code, report, output = _check(package)
    original_code, original, _ = _check(ASKER_DIR)
    assert code == original_code, output
    assert _comparable(report) == _comparable(original)
    budget = load_package(package)
    notes = "\n".join(budget.notes)
    assert "overskriften står på to rader" in notes and "er lest som linjenavn («linje»)" in notes
    assert "skillelinjer og overskrifter uten beløp" in notes


def test_a_dash_without_dash_is_zero_says_how_to_declare_it(tmp_path):
    package = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, package)
    drift = package / "drift.csv"
    text = drift.read_text(encoding="utf-8")
    drift.write_text(text.replace("i driftsregnskapet,0,0,0,0,0,0", "i driftsregnskapet,-,-,-,-,-,-"), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("feil:")]
    assert len(lines) == 6 and all("«-» uten tall" in line and "`dash_is_zero = true`" in line for line in lines), lines


def test_a_rule_row_with_an_amount_or_a_known_line_with_dashes_is_never_set_aside(tmp_path):
    """Only rows without amounts are skipped: a nameless row with a figure is refused, and a statutory line printed
    with «-» in every column is that line with zeros (dash_is_zero), not a heading."""
    package = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, package)
    drift = package / "drift.csv"
    text = drift.read_text(encoding="utf-8")
    drift.write_text(text.replace("Renteinntekter,", ",-,-,-,-,-,12\nRenteinntekter,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2 and "mangler tekst i kolonnen linje" in result.output, result.output
    assert not is_heading("Dekning av tidligere års merforbruk") and is_heading("Disponering eller dekning av netto "
                                                                             "driftsresultat:")
    assert is_heading("Alle tal i heile 1 000") and is_heading("Beløp i 1000 kr") and not is_heading("Beløp i kroner")


def test_printed_line_numbers_and_nynorsk_ikkje_dekka_are_read_and_hinted():
    drift, investering = TABLES["drift"], TABLES["investering"]
    assert drift.resolve("25 Fremført til inndekning i senere år (merforbruk)")[0].key == "fremfort_merforbruk"
    assert drift.resolve("3a. Rammetilskudd")[0].key == "rammetilskudd"
    assert drift.resolve("2024 Rammetilskudd")[0] is None  # four digits are a year, never a line number
    assert investering.resolve("Dekning av tidlegare års ikkje dekka beløp")[0].key == "dekning_udekket"
    # «mente du» for a misspelt Nynorsk «ikkje dekka» line: the udekket line, never «merforbruk»
    assert investering.closest_label("Dekning av tidlegare års ikkje dekka beløpet") \
        == "Dekning av tidligere års udekket beløp"


def test_headers_without_a_year_take_regnskapsaar_and_say_how_when_it_is_missing(tmp_path):
    """Giske's årsrapport printed without its year row («Regnskap», «Reg. budsjett», «Oppr.budsjett», «Regnskap i
    fjor»): refused with one line per column saying how to give the year; with `regnskapsaar = 2022` the same
    findings as the printed two-row header."""
    package = tmp_path / "giske"
    shutil.copytree(UNSEEN / "giske-2022-regnskap", package)
    drift = package / "drift.csv"
    lines = drift.read_text(encoding="utf-8").splitlines(keepends=True)
    drift.write_text(lines[0] + "".join(lines[2:]), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2
    problems = [line for line in result.output.splitlines() if line.startswith("feil:")]
    assert len(problems) == 4 and all("sier hva slags kolonne det er, men ikke året" in p
                                      and "`regnskapsaar = <år>`" in p for p in problems), problems
    toml = package / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "regnskapsaar = 2022\n", encoding="utf-8")
    code, report, output = _check(package)
    _, printed, _ = _check(UNSEEN / "giske-2022-regnskap")
    assert code == 0, output
    assert _comparable(report) == _comparable(printed)
    notes = "\n".join(load_package(package).notes)
    assert "kolonnen «Regnskap i fjor» har ikke årstall; den er lest som 2021 (regnskapsaar = 2022" in notes


def test_footnote_marks_after_names_are_not_part_of_the_name():
    drift = TABLES["drift"]
    for label in ("Rammetilskudd 1)", "Rammetilskudd *", "Rammetilskudd²", "1 Rammetilskudd 2)"):
        assert drift.resolve(label)[0].key == "rammetilskudd", label
    assert drift.resolve("Fremført til inndekning i senere år (merforbruk)")[0].key == "fremfort_merforbruk"
    assert TABLES["investering_fordeling"].resolve("Sum del 1")[0].key == "del1_sum"  # a number that is the name


# --- every real package of tests/realworld/, reprinted with the variations kommuner print: same findings ---------

_KIND_WORDS = [  # printed kind → another printing of the same kind (Nynorsk, other words), with the year after it
    (r"(?i)\b(oppr\.?|opprinnelig)[ _]budsjett[ _]", "Opphavleg budsjett "),
    (r"(?i)\b(rev\.?|revidert|justert|regulert)[ _]budsjett[ _]", "Endra budsjett "),
    (r"(?i)\bregnskap[ _]", "Rekneskap "),
]


def _variant_header(cell: str) -> str:
    import re

    for pattern, replacement in _KIND_WORDS:
        cell = re.sub(pattern, replacement, cell)
    cell = cell.replace("budsjett_", "Budsjett ")
    return re.sub(r" (\d{4})$", r"\n\1", cell)  # the year on a line of its own inside the cell


def _variant_amount(cell: str) -> str:
    try:
        value = int(cell)
    except ValueError:
        return cell
    text = f"{abs(value):,}".replace(",", "\u00a0")  # no-break space as thousands separator
    return f"\u2212{text}" if value < 0 else text  # U+2212 minus


def _variant(source: Path, target: Path) -> None:
    rows = list(csv.reader(source.open(encoding="utf-8")))
    out = [[rows[0][0], *map(_variant_header, rows[0][1:])]]
    marked = False
    for label, *cells in rows[1:]:
        if label and not marked and any(c.strip() for c in cells):
            label, marked = f"{label} 1)", True  # a footnote mark on the first line with amounts
        out.append([label, *map(_variant_amount, cells)])
    with target.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)


def _without_printed_text(report: dict) -> list[tuple]:
    """Findings compared without the texts that quote headers or names as printed (they are reprinted here)."""
    return sorted((f["rule"], f["year"], f["status"], f["severity"],
                   json.dumps({k: v for k, v in (f.get("values") or {}).items() if not isinstance(v, str)},
                              sort_keys=True)) for f in report["findings"])


REALWORLD = Path(__file__).parent / "realworld"


@pytest.mark.parametrize("name", sorted(p.name for p in REALWORLD.iterdir() if (p / "budsjett.toml").is_file()))
def test_a_real_package_reprinted_in_nynorsk_with_other_separators_and_a_footnote_gives_the_same_findings(name, tmp_path):
    """«Rekneskap 2020», «Opphavleg budsjett 2020», «Endra budsjett 2020» with the year on its own line in the cell,
    «1 234» with no-break spaces, «−» (U+2212) as minus and «1)» after the first name: the same findings."""
    package = tmp_path / name
    shutil.copytree(REALWORLD / name, package)
    for path in package.glob("*.csv"):
        _variant(REALWORLD / name / path.name, path)
    code, report, output = _check(package)
    original_code, original, _ = _check(REALWORLD / name)
    assert code == original_code, output
    assert _without_printed_text(report) == _without_printed_text(original)


@pytest.mark.parametrize(("printed", "year", "kind"), [
    ("Regnskap 2022 (1000 kr)", 2022, "regnskap"), ("Budsjett 2024 (i 1000 kr)", 2024, "budsjett"),
    ("Beløp i 1000 kr Budsjett 2024", 2024, "budsjett"), ("Regnskap 2022 i hele tusen kr", 2022, "regnskap"),
    ("Rådmannens forslag 2024", 2024, "budsjett"), ("Kommunedirektørens forslag 2024", 2024, "budsjett"),
    ("Budsjett 2023 (revidert)", 2023, "revidert"), ("Revidert budsjett 2023 per 2. tertial", 2023, "revidert"),
    ("Budsjett 2024 (vedtatt)", 2024, "budsjett"), ("Budsjett år 2024", 2024, "budsjett"), ("VB 2024", 2024, "budsjett"),
    ("RB 2023", 2023, "revidert"), ("Regnskap pr. 31.12.2022", 2022, "regnskap"), ("Årsregnskap 2022", 2022, "regnskap"),
    ("Foreløpig regnskap 2022", 2022, "regnskap"), ("Regnskap 2022 (urevidert)", 2022, "regnskap"),
    ("Regnskap i fjor 2021", 2021, "regnskap"), ("Plan 2025", 2025, "plan"), ("Opphavleg budsjett 2020", 2020, "opprinnelig"),
    ("Endra budsjett 2021", 2021, "revidert"), ("Vedteke budsjett 2024", 2024, "budsjett"), ("Rekneskap\n2022", 2022, "regnskap"),
    ("Opprinnelig budsjett 2022 1)", 2022, "opprinnelig"), ("Regnskap 2022*", 2022, "regnskap"),
])
def test_column_headers_as_kommuner_print_them(printed, year, kind):
    from budsjettkontroll.readers import parse_head

    head = parse_head(printed)
    assert head is not None and (head.year, head.kind, head.unknown) == (year, kind, False), head


@pytest.mark.parametrize("printed", ["Prognose 2023", "Kostra 2022", "Sum 2024", "Avvik 2022", "Endring 2023-2024"])
def test_a_header_that_names_no_known_kind_is_never_guessed(printed):
    from budsjettkontroll.readers import parse_head

    head = parse_head(printed)
    assert head is None or head.unknown, head


def test_a_percent_column_as_stavanger_prints_it_is_set_aside_with_a_note(tmp_path):
    """Stavanger's 3.12 prints «Regnskap i % av budsjett» between the avvik and the opprinnelig budsjett (the shared
    transcription left it out): set aside with a note, never an unknown column, and the findings are unchanged."""
    package = tmp_path / "stavanger"
    shutil.copytree(REALWORLD / "stavanger-2020-arsavslutning", package)
    path = package / "arsavslutning_drift.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[0].insert(4, "Regnskap i % av budsjett")
    for row in rows[1:]:
        shown = row[1].strip() and row[2].strip() and int(row[2]) and f"{round(100 * int(row[1]) / int(row[2]))} %"
        row.insert(4, shown or "")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    code, report, output = _check(package)
    original_code, original, _ = _check(REALWORLD / "stavanger-2020-arsavslutning")
    assert code == original_code, output
    assert _comparable(report) == _comparable(original)
    notes = "\n".join(load_package(package).notes)
    assert "kolonnen «Regnskap i % av budsjett» er en prosent og er satt til side" in notes


def test_giske_2022_as_a_workbook_with_the_two_row_header_gives_the_same_findings(tmp_path):
    """The same table in an .xlsx (years as numbers on the second header row, amounts as text as printed)."""
    import openpyxl

    from budsjettkontroll.package import META_SHEET

    wb = openpyxl.Workbook()
    meta = wb.active
    meta.title = META_SHEET
    for row in (["nøkkel", "verdi"], ["kommune", "Giske"], ["title", "Årsrapport 2022"], ["dash_is_zero", True]):
        meta.append(row)
    sheet = wb.create_sheet("drift")
    for row in csv.reader((UNSEEN / "giske-2022-regnskap" / "drift.csv").open(encoding="utf-8")):
        sheet.append([int(c) if c.isdigit() else (c or None) for c in row])
    wb.save(tmp_path / "giske.xlsx")
    code, report, output = _check(tmp_path / "giske.xlsx")
    _, printed, _ = _check(UNSEEN / "giske-2022-regnskap")
    assert code == 0, output
    assert _comparable(report) == _comparable(printed)


def test_a_title_row_with_two_cells_above_a_header_without_linje_is_passed_over(tmp_path):
    """«Løyvingsoversikt - Drift 2022» … «Alle tal i heile 1 000» on one row above Giske's two-row header: a title,
    not the header (the header is the first row that names a year or a kind); same findings."""
    package = tmp_path / "giske"
    shutil.copytree(UNSEEN / "giske-2022-regnskap", package)
    drift = package / "drift.csv"
    drift.write_text("Løyvingsoversikt - Drift 2022,,,,Alle tal i heile 1 000\n" + drift.read_text(encoding="utf-8"),
                     encoding="utf-8")
    code, report, output = _check(package)
    _, printed, _ = _check(UNSEEN / "giske-2022-regnskap")
    assert code == 0, output
    assert _comparable(report) == _comparable(printed)
    assert "er lest som tittel over overskriftsraden" in "\n".join(load_package(package).notes)


def test_a_percent_row_under_the_schedule_is_set_aside_but_a_percent_in_an_amount_line_is_refused(tmp_path):
    """Sandnes prints «Netto driftsresultat i prosent av driftsinntekter 0,2 % …» under its 1A: a ratio row, set
    aside with a note. A «%» in one cell of a real line is still refused (it is not an amount)."""
    package = tmp_path / "giske"
    shutil.copytree(UNSEEN / "giske-2021-2024", package)
    investering = package / "investering.csv"
    text = investering.read_text(encoding="utf-8")
    investering.write_text(text + 'Netto driftsresultat i prosent av driftsinntekter,"0,2 %","0,5 %","0,3 %","1,3 %",'
                           '"1,4 %",\n', encoding="utf-8")
    code, report, output = _check(package)
    _, printed, _ = _check(UNSEEN / "giske-2021-2024")
    assert code == 0, output
    assert _comparable(report) == _comparable(printed)
    assert "rader med bare prosenter" in "\n".join(load_package(package).notes)
    investering.write_text(text.replace("Avdrag på lån,-,-,-,-,-,-", 'Avdrag på lån,"5 %",-,-,-,-,-'), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2 and "«5 %» er ikke et tall" in result.output, result.output


def test_a_column_from_before_the_forskrift_is_not_worded_as_something_to_ask_the_administration_for():
    result = CliRunner().invoke(app, ["check", str(UNSEEN / "giske-2021-2024")])
    assert "Kolonnen er fra før forskriften gjaldt" in result.output
    assert "Be administrasjonen om kolonnen" not in result.output
