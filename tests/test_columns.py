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

from .conftest import ASKER_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "columns"
runner = CliRunner()

# Asker's year columns as a kommune prints them (the 2023 column is the prior-year budget)
PRINTED = {"2022": "Regnskap 2022", "2023": "Budsjett 2023", "2024": "Årsbudsjett 2024", "2025": "Økonomiplan 2025",
           "2026": "Øk.plan 2026", "2027": "ØP 2027"}


def outcome(findings) -> list[tuple]:
    return sorted((f.rule, f.year, f.subject or "", f.status, f.message) for f in findings)


def read_rows(path: Path) -> list[list[str]]:
    """The CSV's rows; a header cell may hold a line break."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def reheader(package: Path, names: dict[str, str], drop_years: bool = True) -> None:
    """Rename the year columns of every CSV in a package copy; drop [years] from budsjett.toml."""
    for path in package.glob("*.csv"):
        rows = read_rows(path)
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
    ("Vedtatt budsjett 2024", "budsjett", 2024), ("Forslag 2024", "budsjett", 2024),
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


def test_vedtatt_budsjett_is_placed_by_the_columns_around_it(asker, asker_copy):
    """«Vedtatt budsjett 2023» is last year's budget and «Vedtatt budsjett 2024» this year's årsbudsjett: the
    økonomiplan columns after them and the accounts before them say which."""
    reheader(asker_copy, {**PRINTED, "2023": "Vedtatt budsjett 2023", "2024": "Vedtatt budsjett 2024"})
    assert load_package(asker_copy).meta.years == asker.meta.years


def as_workbook(package: Path, target: Path) -> Path:
    """The package's CSV files as sheets of one workbook, headers as printed, a budsjett sheet without years."""
    import openpyxl

    book = openpyxl.Workbook()
    meta = book.active
    meta.title = "budsjett"
    meta.append(["nøkkel", "verdi"])
    for key, value in (("kommune", "Asker"), ("title", "Handlingsprogram"), ("policy", "asker")):
        meta.append([key, value])
    for path in sorted(package.glob("*.csv")):
        ws = book.create_sheet(path.stem)
        for i, row in enumerate(read_rows(path)):
            ws.append([_number(c) if i else c for c in row])
    book.save(target)
    return target


def test_a_workbook_with_printed_headers_reads_as_the_folder(asker, asker_copy, tmp_path):
    reheader(asker_copy, PRINTED)
    from_book = load_package(as_workbook(asker_copy, tmp_path / "asker-printed.xlsx"))
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
    rows = read_rows(path)
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


# --- views: a year printed in several kinds --------------------------------------------------------------------

def arsregnskap(package: Path, budget_header: str = "Regulert budsjett\n2022") -> Path:
    """Asker's regnskap 2022 column, and its 2023 budget column printed beside it as the 2022 budget: an
    årsregnskap with regnskap and regulert budsjett for the same year (no [years])."""
    for path in package.glob("*.csv"):
        rows = read_rows(path)
        keep = [i for i, c in enumerate(rows[0]) if c in ("linje", "del", "område", "2022", "2023")]
        names = {"2022": "Regnskap 2022", "2023": budget_header}
        rows = [[names.get(r[i], r[i]) if n == 0 else r[i] for i in keep] for n, r in enumerate(rows)]
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    reheader(package, {})
    return package


def edit_cells(path: Path, column: str, values: dict[str, str]) -> None:
    rows = read_rows(path)
    at = [c.replace("\n", " ") for c in rows[0]].index(column)
    for row in rows[1:]:
        if row and row[0] in values:
            row[at] = values.pop(row[0])
    assert not values, values
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_regnskap_and_regulert_budsjett_of_one_year_are_two_views(asker_copy):
    budget = load_package(arsregnskap(asker_copy))
    assert budget.document == "årsregnskap" and budget.meta.years.regnskap == [2022] and not budget.meta.plan_years
    assert [(v.view, v.meta.years.revidert, v.document) for v in budget.views] == [("revidert", [2022], "budsjett")]
    assert budget.views[0].tables["drift"].row("fremfort_merforbruk").values == {2022: 0}
    findings = run_check(budget).findings
    assert {f.column for f in findings if f.year == 2022} == {"Regnskap 2022", "Regulert budsjett 2022"}
    # the regulert budget is judged for balance, the accounts by the accounts' rules; no «four plan years»
    drift = [(f.column, f.status) for f in findings if f.rule == "KL-14-4-balanse-drift"]
    assert drift == [("Regulert budsjett 2022", "pass")]
    accounts = [(f.column, f.status) for f in findings if f.rule == "KL-14-11-merforbruk-regnskap"]
    assert accounts == [("Regnskap 2022", "pass")]
    assert not [f for f in findings if f.rule in ("KL-14-4-fire-ar", "KL-14-18-minimumsavdrag", "KL-28-1-robek",
                                                  "KL-14-3-vedtatt-innen-fristen")]
    sums = {f.column for f in findings if f.rule == "FORSKR-5-sumlinjer"}
    assert sums == {"Regnskap 2022", "Regulert budsjett 2022"}
    assert check(asker_copy, "--format", "text").exit_code == 0


def test_a_workbook_arsregnskap_has_the_same_views_and_findings_as_the_folder(asker_copy, tmp_path):
    folder = load_package(arsregnskap(asker_copy))
    book = load_package(as_workbook(asker_copy, tmp_path / "arsregnskap.xlsx"))
    assert [(v.view, v.meta.years) for v in book.views] == [(v.view, v.meta.years) for v in folder.views]
    assert [(f.rule, f.year, f.column, f.subject, f.status) for f in run_check(book).findings] == \
        [(f.rule, f.year, f.column, f.subject, f.status) for f in run_check(folder).findings]


def test_a_merforbruk_in_the_accounts_is_a_warning_naming_the_deadline(asker_copy):
    arsregnskap(asker_copy)
    for stem in ("drift", "drift_art"):
        edit_cells(asker_copy / f"{stem}.csv", "Regnskap 2022", {
            "Bruk av disposisjonsfond": "-369753", "Sum disponeringer eller dekning av netto driftsresultat": "-54012",
            "Fremført til inndekning i senere år (merforbruk)": "12000"})
    result = run_check(load_package(asker_copy))
    found = [f for f in result.findings if f.rule == "KL-14-11-merforbruk-regnskap"]
    assert [(f.status, f.severity, f.column) for f in found] == [("fail", "warning", "Regnskap 2022")]
    assert "merforbruk 12 000" in found[0].message and "senest i 2024" in found[0].message
    assert "årsbudsjettet 2023" in found[0].message
    assert not [f for f in result.findings if f.status == "fail" and f.severity == "error"]
    shown = check(asker_copy, "--format", "text")
    assert shown.exit_code == 0 and "Regnskap 2022" in shown.output


def test_a_lone_arsbudsjett_is_judged_as_an_arsbudsjett(asker_copy):
    """Regnskap 2022, Budsjett 2023 and Årsbudsjett 2024 only: not a short økonomiplan."""
    for path in asker_copy.glob("*.csv"):
        rows = read_rows(path)
        keep = [i for i, c in enumerate(rows[0]) if c not in ("2025", "2026", "2027")]
        rows = [[r[i] for i in keep if i < len(r)] for r in rows]
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    reheader(asker_copy, PRINTED)
    budget = load_package(asker_copy)
    assert (budget.meta.years.regnskap, budget.meta.years.budsjett, budget.meta.plan_years) == ([2022], [2023], [2024])
    assert budget.document == "årsbudsjett"
    findings = run_check(budget).findings
    assert not [f for f in findings if f.rule == "KL-14-4-fire-ar"]
    lone = [f for f in findings if f.rule == "KL-14-4-arsbudsjett"]
    assert [f.status for f in lone] == ["pass"] and "vurdert som et årsbudsjett" in lone[0].message
    assert [f.status for f in findings if f.rule == "KL-14-4-balanse-drift"] == ["pass"]
    assert check(asker_copy, "--format", "text").exit_code == 0


def test_every_renderer_shows_the_column(asker_copy, tmp_path):
    arsregnskap(asker_copy)
    for stem in ("drift", "drift_art"):  # a breach in the regulert budget: its column is named
        edit_cells(asker_copy / f"{stem}.csv", "Regulert budsjett 2022", {
            "Fremført til inndekning i senere år (merforbruk)": "5000",
            "Sum disponeringer eller dekning av netto driftsresultat": "96692", "Bruk av disposisjonsfond": "-325000"})
    as_json = json.loads(check(asker_copy, "--format", "json").output)
    breach = [f for f in as_json["findings"] if f["rule"] == "KL-14-4-balanse-drift"]
    assert [(f["status"], f["column"]) for f in breach] == [("fail", "Regulert budsjett 2022")]
    assert not [f for f in as_json["findings"] if f["rule"] == "FORSKR-5-sumlinjer" and f["status"] == "fail"]
    assert as_json["budget"]["document"] == "årsregnskap"
    assert as_json["budget"]["views"] == [{"kind": "revidert", "document": "budsjett", "columns": ["Regulert budsjett 2022"]}]
    for fmt in ("text", "markdown", "html", "junit", "sarif", "github"):
        result = check(asker_copy, "--format", fmt)
        assert result.exit_code == 1, (fmt, result.output[-500:])
        assert "Regulert budsjett 2022" in result.output, fmt


def test_the_report_header_says_which_schedules_the_package_has(asker_copy):
    (asker_copy / "investering.csv").unlink()
    (asker_copy / "investering_fordeling.csv").unlink()
    path = asker_copy / "drift_art.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    text = check(asker_copy, "--format", "text").output
    assert "Oversikter: § 5-4 første ledd, § 5-4 andre ledd, § 5-6 (tom), § 5-7; mangler § 5-5 første ledd, § 5-5 " \
           "andre ledd" in " ".join(text.split())
    assert "| Oversikter | økonomiplan: § 5-4 første ledd, § 5-4 andre ledd, § 5-6 (tom), § 5-7; mangler" in \
        check(asker_copy, "--format", "markdown").output
    assert "<dt>Oversikter</dt><dd>økonomiplan: § 5-4 første ledd" in check(asker_copy, "--format", "html").output
    budget = json.loads(check(asker_copy, "--format", "json").output)["budget"]
    assert budget["schedules"] == ["drift", "drift_fordeling", "drift_art", "gjeld", "nokkeltall", "selvkost"]
    assert "document" not in budget and "views" not in budget


def test_json_of_a_multi_view_package_follows_the_report_schema(asker_copy):
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "budsjettkontroll" / "report" / "report.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(check(arsregnskap(asker_copy), "--format", "json").output), schema)


def test_amend_and_write_package_on_a_package_with_views(asker_copy, tmp_path):
    """An økonomiplan that also prints «Revidert budsjett 2023» beside «Budsjett 2023»: amend works on the main
    view; an årsregnskap (no plan year) is refused with one line."""
    reheader(asker_copy, PRINTED)
    path = asker_copy / "drift.csv"
    rows = read_rows(path)
    rows[0].append("Revidert budsjett 2023")
    for row in rows[1:]:
        row.append(row[2])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    assert [v.view for v in load_package(asker_copy).views] == ["revidert"]
    proposal = Path(__file__).parent.parent / "budsjettkontroll" / "budgets" / "endringsforslag-omfordeling.yaml"
    out = tmp_path / "endret"
    result = runner.invoke(app, ["amend", str(asker_copy), str(proposal), "--format", "text", "--write-package", str(out)])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    assert load_package(out).meta.plan_years == [2024, 2025, 2026, 2027]
    accounts = arsregnskap(Path(shutil.copytree(ASKER_DIR, tmp_path / "ar")))
    refused = runner.invoke(app, ["amend", str(accounts), str(proposal)])
    assert refused.exit_code == 2 and "ingen plankolonne (den leses som årsregnskap)" in refused.output


def test_batch_checks_a_package_with_views(asker_copy, tmp_path):
    """A folder of packages (batch): the årsregnskap with a regulert budget column beside Asker's økonomiplan."""
    folder = tmp_path / "pakker"
    folder.mkdir()
    shutil.copytree(arsregnskap(asker_copy), folder / "a-arsregnskap")
    shutil.copytree(ASKER_DIR, folder / "b-asker")
    result = check(folder, "--format", "json")
    assert result.exit_code == 0, result.output[-800:]
    results = json.loads(result.output)["results"]
    assert [r["budget"].get("document") for r in results] == ["årsregnskap", None]
    assert any(f.get("column") == "Regulert budsjett 2022" for f in results[0]["findings"])
    assert not any("column" in f for f in results[1]["findings"])


def real_package(tmp_path: Path, tables: dict[str, str], name: str = "pakke") -> Path:
    """A package of real tables as printed (names, signs and headers untouched), budsjett.toml without [years]."""
    target = tmp_path / name
    target.mkdir()
    for stem, source in tables.items():
        shutil.copy(FIXTURES / source, target / f"{stem}.csv")
    (target / "budsjett.toml").write_text('kommune = "Test"\ntitle = "Som trykt"\n', encoding="utf-8")
    return target


def test_sandnes_as_printed_is_checked_as_an_okonomiplan(tmp_path):
    """Sandnes' § 5-4 with «budsjett_2020» and bare 2021-2024, no [years]: the økonomiplan balances every year."""
    package = real_package(tmp_path, {"drift": "sandnes_2021-2024_bevilgningsoversikt_drift_5_4.csv"})
    budget = load_package(package)
    assert (budget.meta.years.budsjett, budget.meta.plan_years, budget.schedules) == (
        [2020], [2021, 2022, 2023, 2024], ["drift"])
    assert any("nakne årskolonnene 2021, 2022, 2023, 2024 lest som budsjettår" in n for n in budget.notes)
    findings = run_check(budget).findings
    assert [(f.year, f.status) for f in findings if f.rule == "KL-14-4-balanse-drift"] == [
        (2021, "pass"), (2022, "pass"), (2023, "pass"), (2024, "pass")]
    sums_2020 = [f for f in findings if f.rule == "FORSKR-5-sumlinjer" and f.year == 2020]
    assert {f.status for f in sums_2020} == {"pass", "not_evaluated"}  # Sandnes leaves one 2020 cell blank
    blank = [f.message for f in sums_2020 if f.status == "not_evaluated"]
    assert len(blank) == 1 and "«Dekning av tidligere års merforbruk»" in blank[0] and "2020" in blank[0]
    assert [f.status for f in findings if f.rule == "KL-14-4-fire-ar"] == ["pass"]
    assert not [f for f in findings if f.status == "fail" and f.severity == "error"]
    assert {f.column for f in findings} == {None}
    assert check(package, "--format", "text").exit_code == 0


REALWORLD = Path(__file__).parent / "realworld"  # helper `aliases` owns these packages; read here, never edited


def test_hustadvika_2021_accounts_with_rev_and_oppr_budget_as_printed():
    """Økonomisk oversikt drift (§ 5-6) as printed: «Regnskap 2021», «Rev. budsjett 2021», «Oppr. budsjett 2021»,
    «Regnskap 2020», no [years]: an årsregnskap of two years with two budget views for 2021."""
    budget = load_package(REALWORLD / "hustadvika-2021-regnskap")
    assert budget.document == "årsregnskap" and budget.meta.years.regnskap == [2020, 2021]
    assert [(v.view, [c.label for c in v.columns.values()]) for v in budget.views] == [
        ("revidert", ["Rev. budsjett 2021"]), ("opprinnelig", ["Oppr. budsjett 2021"])]
    assert budget.schedules == ["drift_art"]
    findings = run_check(budget).findings
    accounts = [(f.column, f.status) for f in findings if f.rule == "KL-14-11-merforbruk-regnskap"]
    assert accounts == [("Regnskap 2020", "pass"), ("Regnskap 2021", "pass")]  # read from § 5-6
    balance = [f for f in findings if f.rule == "KL-14-4-balanse-drift"]
    assert [(f.column, f.status) for f in balance] == [("Rev. budsjett 2021", "not_evaluated"),
                                                      ("Oppr. budsjett 2021", "not_evaluated")]
    assert all("bevilgningsoversikt drift (budsjett- og regnskapsforskriften § 5-4 første ledd; drift.csv), som "
               "pakken ikke har" in f.message for f in balance)
    assert {f.column for f in findings if f.rule == "FORSKR-5-6-sumlinjer"} == {  # § 5-6 sums in every column
        "Regnskap 2020", "Regnskap 2021", "Rev. budsjett 2021", "Oppr. budsjett 2021"}
    assert not [f for f in findings if f.status == "fail" and f.severity == "error"]


def test_stavanger_2020_regnskap_justert_opprinnelig_as_printed():
    """§ 5-4 and § 5-5 with regnskap_2020, justert_budsjett_2020, opprinnelig_budsjett_2020: the accounts get the
    accounts' rules, each budget column is judged for balance under its own name."""
    budget = load_package(REALWORLD / "stavanger-2020-regnskap")
    assert budget.document == "årsregnskap" and [v.view for v in budget.views] == ["revidert", "opprinnelig"]
    findings = run_check(budget).findings
    judged = sorted((f.rule, f.column, f.status) for f in findings if f.rule in (
        "KL-14-11-merforbruk-regnskap", "FORSKR-4-udekket-investering", "KL-14-4-balanse-drift",
        "KL-14-4-balanse-investering"))
    assert judged == [
        ("FORSKR-4-udekket-investering", "Regnskap 2020", "pass"),
        ("KL-14-11-merforbruk-regnskap", "Regnskap 2020", "pass"),
        ("KL-14-4-balanse-drift", "Opprinnelig budsjett 2020", "pass"),
        ("KL-14-4-balanse-drift", "Revidert budsjett 2020", "pass"),
        ("KL-14-4-balanse-investering", "Opprinnelig budsjett 2020", "pass"),
        ("KL-14-4-balanse-investering", "Revidert budsjett 2020", "pass")]
    assert not [f for f in findings if f.status == "fail" and f.severity == "error"]
    assert check(REALWORLD / "stavanger-2020-regnskap", "--format", "text").exit_code == 0


REALWORLD_STAVANGER = Path(__file__).parent / "realworld" / "stavanger-2020-regnskap"


def _with_extra_column(tmp_path: Path, header: str, value) -> Path:
    """The real Stavanger 14.3 table with one more column: value(row) gives its cell on each data row."""
    package = tmp_path / "stavanger"
    shutil.copytree(REALWORLD_STAVANGER, package)
    rows = list(csv.reader((package / "drift.csv").open(encoding="utf-8")))
    rows[0].insert(3, header)
    for row in rows[1:]:
        row.insert(3, value(row))
    with (package / "drift.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return package


def _avvik(row: list[str]) -> str:
    return "" if not row[1] or not row[2] else str(int(row[1]) - int(row[2]))


@pytest.mark.parametrize("header", ["Avvik", "avvik", "Budsjettavvik"])
def test_an_avvik_column_is_checked_against_regnskap_minus_justert_and_not_read_as_a_year(tmp_path, header):
    plain = run_check(load_package(REALWORLD_STAVANGER))
    budget = load_package(_with_extra_column(tmp_path, header, _avvik))
    assert [n for n in budget.notes if f"«{header}»" in n and "kontrollert" in n], budget.notes
    assert not [n for n in budget.notes if n.startswith("advarsel")]
    result = run_check(budget)
    assert sorted((f.rule, f.year, f.status) for f in result.findings) == \
        sorted((f.rule, f.year, f.status) for f in plain.findings)


def test_an_avvik_cell_that_is_not_regnskap_minus_justert_is_named_by_line_and_column(tmp_path):
    wrong = lambda row: str(int(_avvik(row)) + 500) if row[0] == "Eigedomsskatt" and _avvik(row) else _avvik(row)  # noqa: E731
    budget = load_package(_with_extra_column(tmp_path, "Avvik", wrong))
    assert [(c.line, c.column, c.label, c.difference) for c in budget.avvik] == [(4, "Avvik", "Eigedomsskatt", 500)]
    assert [n for n in budget.notes if "«Avvik»" in n and "1 linje(r) stemmer ikke" in n], budget.notes
    # a finding at severity warning (rule AVVIK-kolonne), naming line, column and the figures (test_avvik_column.py)
    warned = [f for f in run_check(budget).findings if f.rule == "AVVIK-kolonne" and f.status == "fail"]
    assert len(warned) == 1 and warned[0].severity == "warning" and warned[0].line == 4, warned


@pytest.mark.parametrize("header", ["Henvisning", "Note", "Noter"])
def test_a_henvisning_or_note_column_is_text_not_a_year(tmp_path, header):
    budget = load_package(_with_extra_column(tmp_path, header, lambda row: "§ 4-1" if row[0] == "Rammetilskot" else ""))
    assert [n for n in budget.notes if f"«{header}»" in n], budget.notes


def test_an_amount_column_without_a_known_header_is_still_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["check", str(_with_extra_column(tmp_path, "Diverse", _avvik))])
    assert result.exit_code == 2 and "ukjent kolonne «diverse»" in result.output, result.output


SHARED_REALWORLD = Path("/work/shared/realworld")


@pytest.mark.skipif(not SHARED_REALWORLD.is_dir(), reason="../shared/realworld/ is only on the development machine")
@pytest.mark.parametrize("name, stem, years", [
    ("stavanger_2020_netto_driftsresultat_disponering.csv", "drift", 3),
    ("stavanger_2021_netto_driftsresultat_arsavslutning.csv", "drift", 4),
    ("stavanger_2021_budsjettavvik_arsavslutning_investering.csv", "investering", 2),
])
def test_the_real_avvik_and_henvisning_columns_are_read_and_set_aside(name, stem, years):
    """Stavanger 3.12, 4.13 and 14.2 as printed: the avvik column equals regnskap − justert on every line (SOURCES.md:
    «holds»), the henvisning column is text; neither is a year column nor refused."""
    raw = read_csv(SHARED_REALWORLD / name, stem, name)
    assert "avvik" not in raw.header and "henvisning" not in raw.header and len(raw.heads) == years == len(raw.header) - 1
    assert not [n for n in raw.notes if n.startswith("advarsel")], raw.notes
    assert [n for n in raw.notes if "«avvik»" in n and "kontrollert" in n or "«henvisning»" in n], raw.notes
