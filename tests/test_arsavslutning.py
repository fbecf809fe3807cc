"""The årsavslutning tables of an årsregnskap (budsjett- og regnskapsforskriften § 5-9) printed as other kommuner
would print them: other wording and Nynorsk, plain § 5-4 names above «Årets budsjettavvik», a net line repeated
verbatim as its specification, incomes positive, next to the package's § 5-4. Each case starts from the real
Stavanger tables (tests/realworld/) with the one change it is about."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.catalogue import TABLES, load_data_tables
from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.package import load_package
from budsjettkontroll.template import template_budget

REALWORLD = Path(__file__).parent / "realworld"


def _copy(tmp_path: Path, name: str) -> Path:
    package = tmp_path / name
    shutil.copytree(REALWORLD / name, package)
    return package


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8")))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _relabel(path: Path, labels: dict[str, str]) -> None:
    rows = _rows(path)
    for row in rows[1:]:
        row[0] = labels.get(row[0], row[0])
    _write(path, rows)


def _check(package: Path, *args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, ["check", str(package), "--format", "json", *args])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout) if result.exit_code in (0, 1) else {}, result.output


def _fails(report: dict, rule: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["status"] == "fail" and (rule is None or f["rule"] == rule)]


def _sums(report: dict) -> dict[tuple[int, str | None, int], str]:
    return {(f["year"], f.get("column"), f["line"]): f["status"] for f in report["findings"]
            if f["rule"] == "FORSKR-5-9-sumlinjer"}


def test_other_wording_plain_lines_above_the_budsjettavvik_are_read_as_before_strykninger(tmp_path):
    """4.13 as another kommune might print it: plain § 5-4 names (no «i henhold til årsbudsjettet og fullmakter")
    above «Årets budsjettavvik», Nynorsk strykning and avsetning, «Framført …». The plain lines above the
    budsjettavvik are the amounts before strykninger (a note says so), and every identity still holds."""
    original = _copy(tmp_path, "stavanger-2021-arsavslutning")
    _, before, _ = _check(original)
    package = _copy(tmp_path / "b", "stavanger-2021-arsavslutning")
    _relabel(package / "arsavslutning_drift.csv", {
        "Overføring til investering i henhold til årsbudsjettet og fullmakter": "Overføring til investering",
        "Netto avsetning og bruk av disposisjonsfond i henhold til årsbudsjettet og fullmakter":
            "Netto avsetningar til eller bruk av disposisjonsfond",
        "Herav avsetninger til disposisjonsfond i henhold til årsbudsjettet og fullmakter":
            "Derav avsetjingar til disposisjonsfond",
        "Herav bruk av disposisjonsfond i henhold til årsbudsjettet og fullmakter": "Herav bruk av disposisjonsfond",
        "Årets budsjettavvik (mer- eller mindreforbruk før strykninger)": "Årets budsjettavvik før strykningar",
        "Strykning av bruk av disposisjonsfond": "Stryking av bruk av disposisjonsfond",
        "Avsetning av mindreforbruk etter strykninger til disposisjonsfond": "Avsetjing av mindreforbruk til disposisjonsfond",
        "Fremført til inndekning i senere år (merforbruk)": "Framført til inndekning i seinare år (meirforbruk)",
    })
    code, report, output = _check(package)
    assert code == 0, output
    budget = load_package(package)
    table = budget.tables["arsavslutning_drift"]
    assert table.row("overforing_til_investering_for").label == "Overføring til investering"
    assert table.row("netto_disposisjonsfond_for").values[2021] == 161575
    assert len([n for n in budget.notes if "står over «Årets budsjettavvik" in n]) == 2, budget.notes
    assert _sums(report) == _sums(before) and all(s == "pass" for s in _sums(report).values())
    assert not _fails(report, "FORSKR-5-9-sumlinjer") and not [f for f in _fails(report) if f["severity"] == "error"]


def test_a_net_line_printed_twice_verbatim_is_its_specification(tmp_path):
    """3.12 without the «(spesifikasjon)» words: the second printing of each net line (below its gross lines) is read
    as its specification, with a note, not refused and not dropped; the real −1 is still reported on it."""
    package = _copy(tmp_path, "stavanger-2020-arsavslutning")
    _relabel(package / "arsavslutning_drift.csv", {
        "Netto avsetningar til eller bruk av bundne driftsfond (spesifikasjon)":
            "Netto avsetningar til eller bruk av bundne driftsfond",
        "Netto avsetningar til eller bruk av disposisjonsfond (spesifikasjon)":
            "Netto avsetningar til eller bruk av disposisjonsfond",
    })
    code, report, output = _check(package)
    assert code == 0, output
    budget = load_package(package)
    assert len([n for n in budget.notes if "står for andre gang" in n]) == 2, budget.notes
    assert budget.tables["arsavslutning_drift"].row("netto_disposisjonsfond_spesifikasjon").line == 15
    notes = _fails(report, "FORSKR-5-9-avrunding")
    assert [(f["line"], f.get("column"), f["values"]["avvik"]) for f in notes] == [(15, "Regnskap 2020", -1)]


def test_a_specification_that_differs_from_its_line_is_a_warning(tmp_path):
    """3.12 with the specification of bundne driftsfond 1 000 off the line above it (and its gross lines)."""
    package = _copy(tmp_path, "stavanger-2020-arsavslutning")
    rows = _rows(package / "arsavslutning_drift.csv")
    rows[10][1] = "102378"
    _write(package / "arsavslutning_drift.csv", rows)
    _, report, _ = _check(package)
    failing = _fails(report, "FORSKR-5-9-sumlinjer")
    assert {(f["line"], f["values"]["avvik"]) for f in failing} == {(11, 1000), (4, -1000)}, failing
    assert all(f["severity"] == "warning" for f in failing)


def test_herav_lines_that_exceed_their_line_are_a_warning(tmp_path):
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    rows = _rows(package / "arsavslutning_investering.csv")
    rows[13][1] = "56001"  # «Herav strykning av bruk av lån - startlån» 10 000 more
    _write(package / "arsavslutning_investering.csv", rows)
    _, report, _ = _check(package)
    found = _fails(report, "FORSKR-5-9-herav")
    assert [(f["line"], f["values"]["herav"], f["values"]["oppgitt"]) for f in found] == [(14, 391645, 381645)], found
    assert not [f for f in _fails(report) if f["severity"] == "error"]


def test_an_unknown_line_is_one_clear_line_and_exit_2(tmp_path):
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    _relabel(package / "arsavslutning_drift.csv", {"Strykning av bruk av disposisjonsfond": "Stryking av fondsbruk"})
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("feil:")]
    assert len(lines) == 1 and "arsavslutning_drift.csv" in lines[0] and "§ 5-9 (drift)" in lines[0], result.output


def test_incomes_positive_is_detected_from_the_tables_own_identities(tmp_path):
    """4.13 and 14.2 with every amount turned (incomes positive) and nothing declared: the strykninger, the gross
    fund lines and «Budsjettert bruk av lån» have a sign that never changes, so the convention is detected (a note
    with the evidence) and the findings are those of the table as printed."""
    original = _copy(tmp_path, "stavanger-2021-arsavslutning")
    _, before, _ = _check(original)
    package = _copy(tmp_path / "b", "stavanger-2021-arsavslutning")
    for name in ("arsavslutning_drift.csv", "arsavslutning_investering.csv"):
        rows = _rows(package / name)
        for row in rows[1:]:
            row[1:] = [str(-int(c)) if c.lstrip("-").isdigit() else c for c in row[1:]]
        _write(package / name, rows)
    code, report, output = _check(package)
    assert code == 0, output
    notes = [n for n in load_package(package).notes if "fortegnene" in n]
    assert len(notes) == 2 and all("«incomes_positive»" in n for n in notes), notes
    assert _sums(report) == _sums(before)
    facts = run_check(load_package(package)).facts
    assert facts.get("arsd_arets_budsjettavvik", 2021) == -386398  # a mindreforbruk, inside


def test_next_to_5_4_the_arsavslutning_agrees_with_it(tmp_path):
    """Stavanger 2020: 3.12 beside 14.3 (§ 5-4, unsigned) and 14.5 in one package: netto driftsresultat, the transfer,
    the funds after strykninger, bruk av tidligere års mindreforbruk and the sum of disposals agree."""
    package = _copy(tmp_path, "stavanger-2020-regnskap")
    shutil.copyfile(REALWORLD / "stavanger-2020-arsavslutning" / "arsavslutning_drift.csv",
                    package / "arsavslutning_drift.csv")
    code, report, output = _check(package)
    assert code == 0, output
    agreed = {f["subject"] for f in report["findings"] if f["rule"] == "FORSKR-5-9-samsvar" and f["status"] == "pass"
              and f.get("column") == "Regnskap 2020"}
    assert {"Netto driftsresultat (§ 5-9 mot § 5-4)",
            "Netto avsetninger til eller bruk av disposisjonsfond etter strykninger (§ 5-9 mot § 5-4)",
            "Bruk av tidligere års mindreforbruk (§ 5-9 mot § 5-4)",
            "Sum disponeringer eller dekning av netto driftsresultat (§ 5-9 mot § 5-4)"} <= agreed, agreed
    assert not _fails(report, "FORSKR-5-9-samsvar")
    # one figure changed in § 5-9 only (with its sum, so 3.12 still adds up): the two tables now disagree
    rows = _rows(package / "arsavslutning_drift.csv")
    rows[5][1] = str(int(rows[5][1]) - 100)  # Bruk av tidlegare års mindreforbruk
    rows[6][1] = str(int(rows[6][1]) - 100)  # Sum disponeringar …
    rows[1][1] = str(int(rows[1][1]) + 100)  # Netto driftsresultat
    _write(package / "arsavslutning_drift.csv", rows)
    _, report, _ = _check(package)
    differ = {f["subject"] for f in _fails(report, "FORSKR-5-9-samsvar")}
    assert "Bruk av tidligere års mindreforbruk (§ 5-9 mot § 5-4)" in differ and \
        "Netto driftsresultat (§ 5-9 mot § 5-4)" in differ, differ
    assert not _fails(report, "FORSKR-5-9-sumlinjer")


def test_the_catalogue_is_data_and_a_broken_file_is_refused_naming_the_line():
    tables, signs, anchors = load_data_tables()
    assert set(tables) == {"arsavslutning_drift", "arsavslutning_investering"} and set(tables) <= set(TABLES)
    assert tables["arsavslutning_drift"].match("Framført til inndekning i seinare år (meirforbruk)").key \
        == "fremfort_merforbruk"
    assert tables["arsavslutning_investering"].match("Bruk av lån i henhold til årsbudsjettet og fullmakter").key \
        == "bruk_av_lan_for"
    assert anchors["arsavslutning_investering"]["strykning_bruk_av_lan"] == 1
    broken = """
schedules:
  arsavslutning_drift:
    title: T
    paragraph: P
    prefix: x
    lines:
      - {key: a, label: A, sign: saldo, parts: [b]}
      - {key: b, label: B, sign: saldo}
"""
    with pytest.raises(ValueError, match="a: ukjente linjer"):
        load_data_tables(broken)
    with pytest.raises(ValueError, match="sign må være"):
        load_data_tables(broken.replace("sign: saldo}", "sign: ukjent}").replace(", parts: [b]", ""))


def test_a_budget_template_has_no_arsavslutning_table():
    assert not {"arsavslutning_drift", "arsavslutning_investering"} & set(template_budget(2027).tables)


def test_the_report_header_names_the_arsavslutning_as_a_schedule_the_package_has():
    text = load_package(REALWORLD / "stavanger-2021-arsavslutning").schedules_text()
    assert text.startswith("§ 5-9 (drift), § 5-9 (investering); mangler § 5-4 første ledd"), text
    assert "5-9" not in load_package(None).schedules_text()  # a budget does not lack the årsregnskap's § 5-9
