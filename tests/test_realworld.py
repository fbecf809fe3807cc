"""The real schedules of other kommuner (tests/realworld/, built by scripts/make_realworld.py from
../shared/realworld/, SOURCES.md there): read as printed, judged without a crash, without a false error on a column
the source shows balancing, and with each real anomaly of SOURCES.md in the report.

Expected outcomes are asserted on the findings the tool produces, never hard-coded as the tool's own output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.package import load_package

REALWORLD = Path(__file__).parent / "realworld"
PACKAGES = sorted(p.name for p in REALWORLD.iterdir() if (p / "budsjett.toml").is_file())


def _check(name: str | Path) -> tuple[int, dict, str]:
    """A package of tests/realworld/ by name, or any package by path, checked as a user would: (exit, JSON, output)."""
    path = name if isinstance(name, Path) else REALWORLD / name
    result = CliRunner().invoke(app, ["check", str(path), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout) if result.exit_code in (0, 1) else {}, result.output


def _failing(report: dict, severity: str | None = None, rule: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["status"] == "fail" and (severity is None or f["severity"] == severity)
            and (rule is None or f["rule"] == rule)]


def test_every_table_of_the_shared_folder_is_a_package_or_documented():
    """Each CSV in ../shared/realworld/ is either copied into a package or named in tests/realworld/README.md."""
    readme = (REALWORLD / "README.md").read_text(encoding="utf-8")
    copied = {f.name for p in PACKAGES for f in (REALWORLD / p).glob("*.csv")}
    assert copied  # the packages hold their tables under the package file names
    import scripts.make_realworld as maker  # noqa: PLC0415

    sources = {csv for *_, files, _ in maker.PACKAGES.values() for csv in files.values()}
    for name in maker.NOT_SCHEDULES:
        assert name in readme and name not in sources
    shared = Path("/work/shared/realworld")
    if shared.is_dir():  # the development machine: nothing in the shared folder is left out silently
        assert {p.name for p in shared.glob("*.csv")} == sources | set(maker.NOT_SCHEDULES)


@pytest.mark.parametrize("name", PACKAGES)
def test_no_traceback_no_bad_input_and_no_error_on_a_balancing_column(name):
    code, report, output = _check(name)
    assert code in (0, 1), output
    errors = [f for f in _failing(report, "error") if not f["rule"].startswith("KL-28")]
    assert errors == [], [(f["rule"], f["year"], f.get("column"), f["message"]) for f in errors]
    assert not report["summary"].get("internal_errors")


def _budget(name: str):
    return load_package(REALWORLD / name)


def test_sign_conventions_are_detected_with_their_evidence():
    """Hustadvika prints § 5-6 with incomes and costs positive; 2020/2021 turn the disposals against netto
    driftsresultat, 2022 prints them as avsetninger positive (SOURCES.md 3-5). Nothing is declared for 2020/2021."""
    for name, convention in (("hustadvika-2020-regnskap", "unsigned_disposals_opposite"),
                             ("hustadvika-2021-regnskap", "unsigned_disposals_opposite")):
        notes = [n for n in _budget(name).notes if "fortegnene" in n]
        assert len(notes) == 1 and f"ser ut til å følge «{convention}»" in notes[0], notes
    budget = _budget("hustadvika-2022-regnskap")
    assert budget.meta.sign_for("drift_art") == ("unsigned_disposals_signed", True)
    assert not [n for n in budget.notes if "fortegnene" in n]
    stavanger = _budget("stavanger-2020-regnskap")
    assert stavanger.meta.sign_for("drift") == ("unsigned", True)
    # inside, netto driftsresultat is a surplus (negative) and § 5-5's bruk av lån a financing (negative)
    assert stavanger.tables["drift"].row("netto_driftsresultat").values[2020] == -447888
    assert stavanger.tables["investering"].row("bruk_av_lan").values[2020] == -521932
    for name in ("sandnes-2021-2024-drift", "hustadvika-2024-2027-drift", "hustadvika-2020-2023-investering"):
        assert not [n for n in _budget(name).notes if "fortegnene" in n]


def test_stavanger_declared_incomes_positive_is_one_message_not_a_list_of_errors(tmp_path):
    """Issue 12: `incomes_positive` alone gave 9-16 errors with no hint. Declared so now, one line per table."""
    import shutil

    package = tmp_path / "stavanger"
    shutil.copytree(REALWORLD / "stavanger-2020-regnskap", package)
    toml = package / "budsjett.toml"
    text = toml.read_text(encoding="utf-8")
    head, _, rest = text.partition("[sign]")
    toml.write_text(head.replace('unit = "1000 kr"', 'unit = "1000 kr"\nsign = "incomes_positive"')
                    + rest.split("\n", 3)[-1], encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(package)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("feil:")]
    assert len(lines) == 2, result.output
    for stem in ("drift", "investering"):
        assert any(f"fortegnene i {package / (stem + '.csv')} ser ut til å følge «unsigned»" in line
                   and 'sett `sign = "unsigned"` i budsjett.toml' in line for line in lines), lines


def test_hustadvika_2020_regnskap_sum_lines_off_by_one_are_rounding_info():
    """SOURCES.md 3: Regnskap 2020 prints Sum driftsinntekter, Brutto driftsresultat and Netto finansutgifter one
    off their parts: rounding, shown as info, never an error."""
    _, report, _ = _check("hustadvika-2020-regnskap")
    rounding = {f["subject"].split(": ", 1)[1] for f in _failing(report, "info", "FORSKR-5-avrunding") if f["year"] == 2020
                and (f.get("column") or "Regnskap 2020").startswith("Regnskap")}
    assert {"Sum driftsinntekter", "Brutto driftsresultat", "Netto finansutgifter"} <= rounding, rounding
    assert not _failing(report, "error", "FORSKR-5-sumlinjer")


def test_hustadvika_2022_revised_budget_unresolved_difference_of_one_is_reported():
    """SOURCES.md 5: in Rev. budsjett 2022, NDR −2 951 against disposals −2 950 with «Fremført» printed 0."""
    _, report, _ = _check("hustadvika-2022-regnskap")
    found = [f for f in _failing(report, "info", "FORSKR-5-avrunding")
             if f["year"] == 2022 and "Fremført" in f["subject"] and "Rev" in (f.get("column") or "Rev")]
    assert found, [(f["subject"], f.get("column")) for f in _failing(report)]
    assert found[0]["values"]["avvik"] in (1, -1)


def test_hustadvika_2024_2027_negative_result_financed_by_the_disposition_fund():
    """SOURCES.md 1: a negative netto driftsresultat (a deficit: positive inside) in all five years, balanced only by
    bruk av disposisjonsfond; lawful (fremført 0), and the report shows both."""
    budget = _budget("hustadvika-2024-2027-drift")
    facts = run_check(budget).facts
    for year in (2023, 2024, 2025, 2026, 2027):
        ndr = facts.get("drift_netto_driftsresultat", year)
        assert ndr > 0 and facts.get("drift_bruk_disposisjonsfond", year) == -ndr
        assert facts.get("drift_fremfort_merforbruk", year) == 0
    _, report, _ = _check("hustadvika-2024-2027-drift")
    balance = [f for f in report["findings"] if f["rule"] == "KL-14-4-balanse-drift"]
    assert balance and all(f["status"] == "pass" for f in balance)


def test_stavanger_2020_overforing_agrees_between_5_4_and_5_5_and_sums_round_within_one():
    """SOURCES.md (Stavanger 14.3/14.5): § 5-4 overføring til investering = § 5-5 overføring fra drift in all three
    columns (after the unsigned amounts are read), and the ±1 sum lines are rounding info."""
    _, report, _ = _check("stavanger-2020-regnskap")
    transfer = [f for f in report["findings"] if f["rule"] == "FORSKR-5-overforing-drift-investering"]
    assert transfer and all(f["status"] == "pass" for f in transfer), transfer
    assert _failing(report, "info", "FORSKR-5-avrunding")
    assert not _failing(report, "error")


def test_the_pre_2020_budget_schema_1a_is_read_and_not_judged_by_the_2019_forskrift():
    """SOURCES.md (Stavanger HØP 2016-2019): the old 1A fails by 15 656 in «opprinnelig budsjett 2015»; a column from
    before budsjett- og regnskapsforskriften 2019 is «ikke vurdert», never an error and never silence."""
    budget = _budget("stavanger-2016-2019-1a")
    assert budget.tables["budsjettskjema_1a"].row("til_fordeling") is not None
    original = next(v for v in budget.views if v.view == "opprinnelig")  # «opprinnelig budsjett 2015» beside justert
    assert original.tables["budsjettskjema_1a"].row("netto_avsetninger").values.get(2015) is None  # printed empty
    code, report, _ = _check("stavanger-2016-2019-1a")
    sums = [f for f in report["findings"] if f["rule"] == "FORSKR-5-sumlinjer"]
    columns = {f.get("column") for f in sums}
    assert {"Regnskap 2014", "Opprinnelig budsjett 2015", "Økonomiplan 2019"} <= columns, columns
    assert all(f["status"] == "not_evaluated" and "før forskriften" in f["message"] for f in sums)
    assert not _failing(report) and code == 1  # nothing could be judged: exit 1, never a pass


# --- the årsavslutning tables of an årsregnskap (§ 5-9): Stavanger 3.12 (2020), 4.13 and 14.2 (2021) -------------

def _arsavslutning_findings(report: dict, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_stavanger_3_12_is_read_with_its_specification_and_its_one_sum_minus_one_is_an_info_note():
    """SOURCES.md: 3.12 «holds; one sum −1»: avsetning 380 099 − bruk 351 436 + stryking 233 474 = 262 137, printed
    262 136 in the «(spesifikasjon)» line: an info note naming line and column, no warning, no error. The repeated
    net lines are read as specifications that equal the lines above them."""
    code, report, output = _check("stavanger-2020-arsavslutning")
    assert code == 0, output
    budget = _budget("stavanger-2020-arsavslutning")
    table = budget.tables["arsavslutning_drift"]
    assert table.row("netto_disposisjonsfond_spesifikasjon").label.endswith("(spesifikasjon)")
    assert table.row("netto_disposisjonsfond").values[2020] == 262136
    assert table.row("strykning_bruk_disposisjonsfond").values[2020] == 233474
    notes = _failing(report, "info", "FORSKR-5-9-avrunding")
    assert [(f["year"], f.get("column"), f["line"], f["values"]["oppgitt"], f["values"]["beregnet"]) for f in notes] \
        == [(2020, "Regnskap 2020", 15, 262136, 262137)], notes
    assert "Netto avsetningar til eller bruk av disposisjonsfond (spesifikasjon)" in notes[0]["subject"]
    assert "avrundingsdifferanse -1" in notes[0]["message"]
    assert not _failing(report, "warning") and not _failing(report, "error")
    # every identity the table prints was judged, in every column, and the specifications equal their lines
    judged = {(f["line"], f.get("column")) for f in _arsavslutning_findings(report, "FORSKR-5-9-sumlinjer")
              if f["status"] == "pass"}
    for column in ("Regnskap 2020", "Revidert budsjett 2020", "Opprinnelig budsjett 2020"):
        assert {(4, column), (5, column), (8, column), (11, column), (15, column)} <= judged, judged
    result = [f for f in _arsavslutning_findings(report, "KL-14-11-merforbruk-arsavslutning") if f["year"] == 2020]
    assert result and result[0]["status"] == "pass"


def test_stavanger_4_13_and_14_2_hold_exactly_and_the_herav_lines_add_up():
    """SOURCES.md: 4.13 and 14.2 «all hold exactly»; 14.2's strykning of bruk av lån 381 645 = 46 001 + 335 644."""
    code, report, output = _check("stavanger-2021-arsavslutning")
    assert code == 0, output
    assert not [f for f in _failing(report) if f["pack"] == "arsregnskap"], \
        [(f["rule"], f["message"]) for f in _failing(report) if f["pack"] == "arsregnskap"]
    sums = {(f["subject"].split(": ", 1)[1], f["year"], f.get("column")): f["status"]
            for f in _arsavslutning_findings(report, "FORSKR-5-9-sumlinjer")}
    for label in ("Årets budsjettavvik (mer- eller mindreforbruk før strykninger)",
                  "Fremført til inndekning i senere år (merforbruk)",
                  "Netto avsetning og bruk av disposisjonsfond i henhold til årsbudsjettet og fullmakter"):
        assert sums[(label, 2021, "Regnskap 2021")] == "pass" and sums[(label, 2020, "Regnskap 2020")] == "pass"
    for label in ("Årets budsjettavvik (udekket eller udisponert beløp før strykninger)",
                  "Udekket eller udisponert beløp etter strykninger"):
        assert sums[(label, 2021, "Regnskap 2021")] == "pass", sums
    herav = _arsavslutning_findings(report, "FORSKR-5-9-herav")
    assert [(f["status"], f["values"]["herav"], f["values"]["oppgitt"], f["values"]["antall"]) for f in herav] \
        == [("pass", 381645, 381645, 2)], herav
    # the drift table's transfer to investment is the investment table's transfer from drift, in both columns
    transfer = [f for f in _arsavslutning_findings(report, "FORSKR-5-9-samsvar") if "i henhold til" in f["subject"]]
    assert {(f.get("column"), f["status"]) for f in transfer} == {("Regnskap 2021", "pass"),
                                                                 ("Revidert budsjett 2021", "pass")}, transfer
    budget = _budget("stavanger-2021-arsavslutning")
    facts = run_check(budget).facts
    assert facts.get("arsd_arets_budsjettavvik", 2021) == -386398
    assert facts.get("arsavslutning_merforbruk", 2021) == 0 and facts.get("arsavslutning_udekket", 2021) == 0


def _copy(tmp_path: Path, name: str) -> Path:
    import shutil

    package = tmp_path / name
    shutil.copytree(REALWORLD / name, package)
    return package


def _edit(path: Path, line: int, column: int, value: str) -> None:
    """Change one cell of a CSV file (line as an editor counts it, column from 0)."""
    import csv

    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[line - 1][column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def test_a_changed_strykning_breaks_the_identity_with_a_warning_naming_the_line(tmp_path):
    """4.13 with «Strykning av bruk av disposisjonsfond» 2021 raised by 10 000: fremført no longer follows from the
    budsjettavvik, the strykninger and the avsetning: a warning naming the line, never an error."""
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    _edit(package / "arsavslutning_drift.csv", 12, 1, "83300")
    code, report, output = _check(str(package))
    assert code == 0, output  # a warning: exit 0 unless --fail-on warning
    failing = _failing(report, "warning", "FORSKR-5-9-sumlinjer")
    assert [(f["line"], f["year"], f.get("column"), f["values"]["avvik"]) for f in failing] \
        == [(14, 2021, "Regnskap 2021", -10000)], failing
    assert not _failing(report, "error")


def test_a_merforbruk_after_strykninger_is_a_warning_saying_what_to_check(tmp_path):
    """A merforbruk in the accounts is lawful but must be covered (kommuneloven § 14-11): 4.13 with netto
    driftsresultat 2021 391 398 weaker, so the budsjettavvik is a merforbruk of 5 000, nothing struck and 5 000
    carried forward: a warning naming what to check, never an error."""
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    drift = package / "arsavslutning_drift.csv"
    for line, value in ((2, "-596563"), (11, "5000"), (12, "0"), (13, "0"), (14, "5000")):
        _edit(drift, line, 1, value)
    _edit(drift, 2, 3, "-203080")  # its avvik column too (regnskap − justert)
    code, report, output = _check(str(package))
    found = _failing(report, "warning", "KL-14-11-merforbruk-arsavslutning")
    assert code == 0 and [f["year"] for f in found] == [2021], [(f["rule"], f["message"]) for f in _failing(report)]
    assert "merforbruk 5 000" in found[0]["message"] and "Dekning av tidligere års merforbruk" in found[0]["message"]
    assert "2023" in found[0]["message"]  # covered by the end of the second year after
    assert not _failing(report, "error") and not _failing(report, "warning", "FORSKR-5-9-sumlinjer")


def test_an_udekket_belop_after_strykninger_is_a_warning_not_an_error(tmp_path):
    """14.2 with «Sum utgifter og inntekter» 391 645 higher: budsjettavvik udekket 10 000, nothing struck."""
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    investering = package / "arsavslutning_investering.csv"
    for line, value in ((2, "1898722"), (12, "10000"), (13, "0"), (14, "0"), (15, "0"), (16, "10000"), (17, "10000")):
        _edit(investering, line, 1, value)
    code, report, output = _check(str(package))
    found = _failing(report, "warning", "FORSKR-4-udekket-arsavslutning")
    assert code == 0 and [f["year"] for f in found] == [2021], [(f["rule"], f["message"]) for f in _failing(report)]
    assert "udekket beløp 10 000" in found[0]["message"]
    assert not _failing(report, "error") and not _failing(report, "warning", "FORSKR-5-9-sumlinjer")


# --- a wrong «Avvik» cell is a finding (AVVIK-kolonne), not only a reading note ----------------------------------

@pytest.mark.parametrize("name", PACKAGES)
def test_the_real_avvik_columns_give_no_avvik_warning(name):
    """Every avvik column printed in the real tables is regnskap − justert on every line (SOURCES.md)."""
    _, report, _ = _check(name)
    assert not [f for f in report.get("findings", []) if f["rule"].startswith("AVVIK-kolonne") and f["status"] == "fail"]


def test_a_wrong_avvik_cell_is_a_warning_in_every_format_and_counts_in_the_summary(tmp_path):
    """4.13 with the avvik of «Netto driftsresultat» printed 500 off: a warning naming line, column and the figures,
    in JSON (counted in the summary), text, markdown, JUnit, SARIF and GitHub annotations; within rounding, a note."""
    package = _copy(tmp_path, "stavanger-2021-arsavslutning")
    _edit(package / "arsavslutning_drift.csv", 2, 3, "-594978")
    code, report, output = _check(str(package))
    assert code == 0, output
    found = _failing(report, "warning", "AVVIK-kolonne")
    assert [(f["line"], f["year"], f["values"]["vist"], f["values"]["beregnet_avvik"], f["values"]["differanse"])
            for f in found] == [(2, 2021, -594978, -594478, -500)], found
    message = found[0]["message"]
    assert "«Netto driftsresultat»: kolonnen «avvik»" in message and "«regnskap_2021» − «justert_budsjett_2021»" in message
    assert "-594 978" in message and "-987 961 − -393 483 = -594 478" in message, message
    assert found[0]["file"].endswith("arsavslutning_drift.csv")
    assert report["summary"]["failed_by_severity"]["warning"] == 1
    warn = CliRunner().invoke(app, ["check", str(package), "--fail-on", "warning"])
    assert warn.exit_code == 1
    for fmt in ("text", "markdown", "html", "junit", "sarif", "github"):
        result = CliRunner().invoke(app, ["check", str(package), "--format", fmt])
        assert result.exit_code == 0 and "AVVIK-kolonne" in result.output, (fmt, result.output[-2000:])
    _edit(package / "arsavslutning_drift.csv", 2, 3, "-594477")  # one off: rounding
    _, report, _ = _check(str(package))
    assert not _failing(report, "warning", "AVVIK-kolonne")
    notes = _failing(report, "info", "AVVIK-kolonne-avrunding")
    assert [(f["line"], f["values"]["differanse"]) for f in notes] == [(2, 1)], notes
