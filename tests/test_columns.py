"""Issue 12 items 2-4: columns as kommuner print them, views of a year printed in several kinds, every schedule
optional, årsregnskap and lone årsbudsjett. Built from the bundled Asker package and real tables of
/work/shared/realworld/ (copied into tests/fixtures/columns/ so the suite does not depend on that folder)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.columns import layout
from budsjettkontroll.package import load_package
from budsjettkontroll.readers import parse_head, read_csv

FIXTURES = Path(__file__).parent / "fixtures" / "columns"
runner = CliRunner()

# Asker's year columns as a kommune prints them (the 2023 column is the prior-year budget)
PRINTED = {"2022": "Regnskap 2022", "2023": "Budsjett 2023", "2024": "Årsbudsjett 2024", "2025": "Økonomiplan 2025",
           "2026": "Øk.plan 2026", "2027": "ØP 2027"}


def outcome(findings) -> list[tuple]:
    return sorted((f.rule, f.year, f.subject or "", f.status, f.message) for f in findings)


def reheader(package: Path, names: dict[str, str], drop_years: bool = True) -> None:
    """Rename the year columns of every CSV in a package copy; drop [years] from budsjett.toml."""
    for path in package.glob("*.csv"):
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        rows[0] = [names.get(cell, cell) for cell in rows[0]]
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    if drop_years:
        toml = package / "budsjett.toml"
        toml.write_text(re.sub(r"\[years\]\n(?:[a-z]+ = \[[^\]]*\]\n)+", "", toml.read_text(encoding="utf-8")),
                        encoding="utf-8")
        assert "[years]" not in toml.read_text(encoding="utf-8")


def check(path: Path, *args: str):
    return runner.invoke(app, ["check", str(path), *args])


# --- 1. headers as printed ------------------------------------------------------------------------------------

@pytest.mark.parametrize("printed, kind, year", [
    ("Regnskap 2022", "regnskap", 2022), ("Rekneskap 2022", "regnskap", 2022), ("Regnskap\n2022", "regnskap", 2022),
    ("Oppr. budsjett 2023", "opprinnelig", 2023), ("Opprinnelig budsjett 2023", "opprinnelig", 2023),
    ("Revidert budsjett 2023", "revidert", 2023), ("Regulert budsjett 2022", "revidert", 2022),
    ("Justert budsjett 2020", "revidert", 2020), ("Rev. Budsjett 2020", "revidert", 2020),
    ("Budsjett 2024", "budsjett", 2024), ("Økonomiplan 2025", "plan", 2025), ("Øk.plan 2026", "plan", 2026),
    ("ØP 2027", "plan", 2027), ("Årsbudsjett 2024", "plan", 2024), ("Oppr.\nbudsjett\n2023", "opprinnelig", 2023),
    ("regnskap_2020", "regnskap", 2020), ("opprinnelig_2020", "opprinnelig", 2020), ("justert_2020", "revidert", 2020),
    ("budsjett_2021", "budsjett", 2021), ("opprinnelig_budsjett_2015", "opprinnelig", 2015), ("2024", None, 2024),
])
def test_a_printed_header_has_a_kind_and_a_year(printed, kind, year):
    head = parse_head(printed)
    assert (head.kind, head.year, head.unknown) == (kind, year, False)


@pytest.mark.parametrize("printed", ["linje", "avvik", "Sum 2024", "2023-2026", "Endring 2024 %"])
def test_a_header_without_one_year_is_no_year_column(printed):
    assert parse_head(printed) is None


def test_asker_with_printed_headers_and_no_years_gives_the_same_result(asker, asker_copy):
    reheader(asker_copy, PRINTED)
    budget = load_package(asker_copy)
    assert budget.meta.years == asker.meta.years
    assert not budget.views
    assert outcome(run_check(budget).findings) == outcome(run_check(asker).findings)


def test_asker_with_line_breaks_in_headers(asker, asker_copy):
    reheader(asker_copy, {k: v.replace(" ", "\n") for k, v in PRINTED.items()})
    assert "\"Regnskap\n2022\"" in (asker_copy / "drift.csv").read_text(encoding="utf-8")
    assert load_package(asker_copy).meta.years == asker.meta.years


def test_years_in_budsjett_toml_win_over_the_headers(asker, asker_copy):
    """[years] says 2023 is budsjett: the «Oppr. budsjett 2023» column is read so, and the findings are Asker's."""
    reheader(asker_copy, {**PRINTED, "2023": "Oppr. budsjett 2023", "2024": "Budsjett 2024"}, drop_years=False)
    budget = load_package(asker_copy)
    assert budget.meta.years == asker.meta.years
    assert outcome(run_check(budget).findings) == outcome(run_check(asker).findings)


def test_an_opprinnelig_prior_year_column_is_named_in_its_findings(asker, asker_copy):
    reheader(asker_copy, {**PRINTED, "2023": "Oppr. budsjett 2023"})
    budget = load_package(asker_copy)
    assert budget.meta.years.opprinnelig == [2023] and budget.meta.plan_years == [2024, 2025, 2026, 2027]
    findings = run_check(budget).findings
    assert {f.column for f in findings if f.year == 2023} == {"Oppr. budsjett 2023"}
    assert {f.column for f in findings if f.year != 2023} == {None}
    same = [f for f in findings if f.year != 2023]
    assert outcome(same) == outcome(f for f in run_check(asker).findings if f.year != 2023)


def test_five_plain_budget_years_are_prior_year_and_four_plan_years(asker, asker_copy):
    """«Budsjett 2023» before four later budget years of an økonomiplan is the prior-year budget."""
    reheader(asker_copy, {str(y): f"Budsjett {y}" for y in range(2023, 2028)} | {"2022": "Regnskap 2022"})
    assert load_package(asker_copy).meta.years == asker.meta.years


def test_a_workbook_with_printed_headers_reads_as_the_folder(asker, asker_copy, tmp_path):
    import openpyxl

    reheader(asker_copy, PRINTED)
    book = openpyxl.Workbook()
    meta = book.active
    meta.title = "budsjett"
    meta.append(["nøkkel", "verdi"])
    for key, value in (("kommune", "Asker"), ("title", "Handlingsprogram"), ("policy", "asker")):
        meta.append([key, value])
    for path in sorted(asker_copy.glob("*.csv")):
        ws = book.create_sheet(path.stem)
        for i, row in enumerate(csv.reader(path.read_text(encoding="utf-8").splitlines())):
            ws.append([_number(c) if i else c for c in row])
    target = tmp_path / "asker-printed.xlsx"
    book.save(target)
    from_book = load_package(target)
    assert from_book.meta.years == load_package(asker_copy).meta.years == asker.meta.years


def _number(cell: str):
    try:
        return int(cell)
    except ValueError:
        try:
            return float(cell)
        except ValueError:
            return cell or None


# --- real tables as printed ---------------------------------------------------------------------------------

def _layout(name: str, stem: str):
    raw = read_csv(FIXTURES / name, stem, name)
    return layout([raw], None, "budsjett.toml")


def test_sandnes_normalised_headers_prior_year_budget_and_four_plan_years():
    """Sandnes prints «budsjett_2020» then bare 2021-2024: the bare years are the økonomiplan."""
    found = _layout("sandnes_2021-2024_bevilgningsoversikt_drift_5_4.csv", "drift")
    assert not found.problems and len(found.views) == 1
    years = found.views[0].years
    assert (years.budsjett, years.plan) == ([2020], [2021, 2022, 2023, 2024])


def test_hustadvika_five_budget_columns_and_four_budget_columns():
    five = _layout("hustadvika_2024-2027_bevilgningsoversikt_drift.csv", "drift").views[0].years
    assert (five.budsjett, five.plan) == ([2023], [2024, 2025, 2026, 2027])
    four = _layout("hustadvika_2020-2023_bevilgningsoversikt_investering.csv", "investering").views[0].years
    assert (four.budsjett, four.plan) == ([], [2020, 2021, 2022, 2023])


def test_stavanger_regnskap_justert_opprinnelig_are_three_views():
    found = _layout("stavanger_2020_bevilgningsoversikt_drift_5_4.csv", "drift")
    assert not found.problems
    assert [(v.kind, v.years.all, v.years.document) for v in found.views] == [
        (None, [2020], "årsregnskap"), ("revidert", [2020], "budsjett"), ("opprinnelig", [2020], "budsjett")]
    assert [c.label for v in found.views for c in v.columns.values()] == [
        "Regnskap 2020", "Revidert budsjett 2020", "Opprinnelig budsjett 2020"]


# --- 2. every schedule optional -----------------------------------------------------------------------------

def test_a_package_with_only_drift(asker_copy):
    for path in asker_copy.glob("*.csv"):
        if path.name != "drift.csv":
            path.unlink()
    budget = load_package(asker_copy)
    assert budget.schedules == ["drift"]
    result = run_check(budget)
    assert result.facts.get("inv_fremfort_udekket", 2024) is None  # absent, not 0
    assert {f.status for f in result.findings if f.rule == "KL-14-4-balanse-investering"} == {"not_evaluated"}
    assert {f.status for f in result.findings if f.rule == "KL-14-4-balanse-drift"} == {"pass"}
    assert check(asker_copy, "--format", "text").exit_code == 0


def test_a_header_only_file_is_an_empty_table(asker_copy):
    path = asker_copy / "investering.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    budget = load_package(asker_copy)
    assert "investering" in budget.schedules and budget.tables["investering"].rows == []
    result = run_check(budget)
    assert result.facts.get("inv_fremfort_udekket", 2024) is None and result.facts.get("inv_sum_investeringsutgifter", 2024) is None
    assert {f.status for f in result.findings if f.rule == "KL-14-4-balanse-investering"} == {"not_evaluated"}


# --- what cannot be read: one line, exit 2 -------------------------------------------------------------------

def _refused(package: Path) -> list[str]:
    result = check(package, "--format", "text")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.startswith("feil: ")]


def test_an_empty_header_above_amounts_is_refused(asker_copy):
    path = asker_copy / "drift.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([rows[0] + ","] + [r + ",7" for r in rows[1:]]) + "\n", encoding="utf-8")
    assert _refused(asker_copy) == [f"feil: {path}:1: drift: kolonne 8 har beløp (f.eks. «7» på linje 2), men ingen "
                                    "overskrift; skriv år og art over den, f.eks. «Regnskap 2022»"]


def test_a_header_of_unknown_kind_without_years_is_refused(asker_copy):
    reheader(asker_copy, {**PRINTED, "2023": "Prognose 2023"})
    lines = _refused(asker_copy)
    assert f"feil: {asker_copy / 'drift.csv'}:1: drift, år 2023: kolonnen «Prognose 2023»: kan ikke avgjøre om år 2023 er " \
           "regnskap, budsjett eller økonomiplan; skriv f.eks. «Regnskap 2022», «Oppr. budsjett 2023», «Økonomiplan " \
           "2025», eller oppgi [years] i budsjett.toml" in lines


def test_two_columns_of_the_same_kind_and_year_are_refused(asker_copy):
    reheader(asker_copy, PRINTED)
    path = asker_copy / "drift.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    rows[0].append("Rekneskap\n2022")
    for row in rows[1:]:
        row.append(row[1])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    assert _refused(asker_copy) == [f"feil: {path}:1: drift, år 2022: kolonnene «Regnskap 2022» og «Rekneskap 2022» er "
                                    "begge regnskap 2022; behold én av dem"]


def test_asker_json_has_no_column_field(asker):
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 0
    assert '"column"' not in result.output
    assert json.loads(result.output)
