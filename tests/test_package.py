"""Issue 2: budget packages are read, validated and normalised; bad input gets one clear line and exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.catalogue import TABLES
from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.package import load_package
from budsjettkontroll.template import template_budget
from budsjettkontroll.writer import write_folder, write_workbook

from .conftest import set_cell

runner = CliRunner()


def outcome(result) -> list[tuple]:
    return sorted((f.rule, f.year, f.subject or "", f.status, f.message) for f in result.findings)


def run(*args: str):
    return runner.invoke(app, list(args))


def test_bundled_budget_loads_with_identity_and_years(asker):
    meta = asker.meta
    assert (meta.kommune, meta.kommunenummer, meta.status.value) == ("Asker", "3203", "forslag")
    assert meta.years.regnskap == [2022] and meta.years.budsjett == [2023] and meta.plan_years == [2024, 2025, 2026, 2027]
    # every table of a budget package is bundled (not the pre-2020 schedule nor the årsregnskap's årsavslutning)
    assert set(asker.tables) == {s for s, t in TABLES.items() if not t.legacy and not t.accounts_only}
    drift = asker.tables["drift"]
    assert drift.row("netto_driftsresultat").values[2024] == -74469
    assert drift.row("sum_bevilgninger").label == "Korrigert sum bevilgninger drift, netto"


def test_check_without_path_checks_asker_and_exits_0():
    result = run("check", "--format", "text")
    assert result.exit_code == 0, result.output
    assert "Asker kommune" in result.output
    assert "-74 469" in result.output  # netto driftsresultat 2024 in the headline table
    assert "INGEN LOVBRUDD FUNNET" in result.output
    assert "Traceback" not in result.output


def test_workbook_form_gives_the_same_result_as_folder(asker, tmp_path):
    path = write_workbook(asker, tmp_path / "asker.xlsx")
    from_book = load_package(path)
    assert outcome(run_check(from_book)) == outcome(run_check(asker))
    assert run("check", str(path), "--format", "text").exit_code == 0


def test_template_filled_with_asker_numbers_gives_the_same_result(asker, tmp_path):
    template = template_budget(2024)
    template.meta = asker.meta
    for stem, table in template.tables.items():
        source = asker.tables[stem]
        filled = []
        for row in table.rows:
            if row.key is None:
                continue  # the template's example area/project is replaced by Asker's own
            match = source.row(row.key)
            if match is not None:
                filled.append(match)
        # Asker's own areas and projects, in Asker's order, and rows the template has no line for
        keys = {r.key for r in filled}
        table.rows = [r for r in source.rows if r.key is None or r.key in keys or r.key not in {x.key for x in table.rows}]
    folder = write_folder(template, tmp_path / "fra-mal")
    assert outcome(run_check(load_package(folder))) == outcome(run_check(asker))


def test_template_command_writes_folder_and_workbook_that_load(tmp_path):
    assert run("template", str(tmp_path / "ny")).exit_code == 0
    assert (tmp_path / "ny" / "drift.csv").read_text(encoding="utf-8").splitlines()[1].startswith("Rammetilskudd,")
    assert load_package(tmp_path / "ny").tables["drift"].row("rammetilskudd") is not None
    assert run("template", str(tmp_path / "ny.xlsx")).exit_code == 0
    assert load_package(tmp_path / "ny.xlsx").meta.kommune == "Eksempel"
    again = run("template", str(tmp_path / "ny.xlsx"))
    assert again.exit_code == 2 and "finnes fra før" in again.output


def test_semicolon_bom_and_incomes_positive_are_normalised(asker_copy, asker):
    for stem in ("drift", "drift_fordeling", "investering", "investering_fordeling", "drift_art"):
        path = asker_copy / f"{stem}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            import csv
            import io

            cells = next(csv.reader(io.StringIO(line)))
            flipped = [c if i == 0 or not c.lstrip("-").isdigit() or (stem == "investering_fordeling" and i == 1)
                       else str(-int(c)) for i, c in enumerate(cells)]
            out.append(";".join(flipped))
        path.write_text("\ufeff" + "\n".join(out) + "\n", encoding="utf-8")
    toml = asker_copy / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('sign = "incomes_negative"', 'sign = "incomes_positive"'),
                    encoding="utf-8")
    flipped = load_package(asker_copy)
    assert flipped.tables["drift"].row("netto_driftsresultat").values[2024] == -74469  # internal convention
    assert [(f.rule, f.year, f.status) for f in run_check(flipped).findings] == \
        [(f.rule, f.year, f.status) for f in run_check(asker).findings]
    text = run("check", str(asker_copy), "--format", "text").output
    assert "74 469" in text and "-74 469" not in text  # shown in the package's own convention


def test_the_tool_never_writes_to_its_input(asker_copy):
    before = {p.name: p.read_bytes() for p in asker_copy.iterdir()}
    run("check", str(asker_copy), "--format", "json")
    assert {p.name: p.read_bytes() for p in asker_copy.iterdir()} == before


# --- bad input: exact message, exit code 2, no traceback --------------------------------------------------

def line_of(path: Path, label: str) -> int:
    """The 1-based line of the row whose label starts the line (as an editor shows it)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(label + ",") or line.startswith(f'"{label}",'):
            return number
    raise KeyError(label)


def bad(path: Path, *expected: str) -> None:
    result = run("check", str(path), "--format", "text")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    for text in expected:
        assert text in lines, f"{text!r} not among {lines}"


def test_a_package_without_investering_loads_and_its_rules_are_not_evaluated(asker_copy):
    """Issue 12 item 2: every schedule is optional; the rules that need § 5-5 say «ikke vurdert» naming it."""
    (asker_copy / "investering.csv").unlink()
    budget = load_package(asker_copy)
    assert "investering" not in budget.schedules and "drift" in budget.schedules
    result = run_check(budget)
    balance = [f for f in result.findings if f.rule == "KL-14-4-balanse-investering"]
    assert [f.year for f in balance] == [2024, 2025, 2026, 2027]
    assert all(f.status == "not_evaluated" and f.message == "Ikke vurdert: mangler bevilgningsoversikt investering "
               "(budsjett- og regnskapsforskriften § 5-5 første ledd; investering.csv), som pakken ikke har"
               for f in balance), balance[0].message
    assert run("check", str(asker_copy), "--format", "text").exit_code == 0


def test_missing_package_and_missing_meta(tmp_path):
    result = run("check", str(tmp_path / "finnes-ikke"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"feil: {tmp_path / 'finnes-ikke'}: finnes ikke (oppgi en pakkemappe med budsjett.toml")
    (tmp_path / "tom").mkdir()
    bad(tmp_path / "tom", f"feil: {tmp_path / 'tom'}: mangler budsjett.toml i pakkemappen")


def test_unreadable_csv(asker_copy):
    (asker_copy / "drift_art.csv").write_bytes(b"\x00\x01\x02PK\x03\x04" * 20)
    bad(asker_copy, f"feil: {asker_copy / 'drift_art.csv'}: filen er binær, ikke tekst (CSV)")


def test_unreadable_workbook(tmp_path):
    path = tmp_path / "budsjett.xlsx"
    path.write_bytes(b"not a zip file at all")
    bad(path, f"feil: {path}: er ikke en gyldig Excel-arbeidsbok (.xlsx)")


def test_unknown_statutory_label_names_the_closest(asker_copy):
    path = asker_copy / "drift.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Renteinntekter,", "Renteinntekt,"), encoding="utf-8")
    bad(asker_copy, f"feil: {path}:{line_of(path, 'Renteinntekt')}: drift, linje «Renteinntekt»: ukjent linje for budsjett- og regnskapsforskriften "
                    "§ 5-4 første ledd; mente du «Renteinntekter»?")


def test_non_numeric_amount(asker_copy):
    set_cell(asker_copy, "investering", "Bruk av lån", 2025, "ca. 900 000")
    bad(asker_copy, f"feil: {asker_copy / 'investering.csv'}:{line_of(asker_copy / 'investering.csv', 'Bruk av lån')}: investering, linje «Bruk av lån», år 2025: "
                    "«ca. 900 000» er ikke et tall")


def test_fractional_amount(asker_copy):
    set_cell(asker_copy, "drift", "Avdrag på lån", 2026, "437000,5")
    bad(asker_copy, f"feil: {asker_copy / 'drift.csv'}:{line_of(asker_copy / 'drift.csv', 'Avdrag på lån')}: drift, linje «Avdrag på lån», år 2026: "
                    "«437000,5» har desimaler; beløp skal være hele tusen kroner")


def test_undeclared_year_column(asker_copy):
    path = asker_copy / "drift_art.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",2028"] + [line + ",1" for line in lines[1:]]) + "\n", encoding="utf-8")
    bad(asker_copy, f"feil: {path}:1: drift_art, år 2028: året 2028 er ikke deklarert i budsjett.toml "
                    "(deklarert: 2022, 2023, 2024, 2025, 2026, 2027)")


def test_a_missing_line_is_a_missing_input_not_a_refusal(asker_copy):
    """Avskrivninger left out of § 5-4: the package loads; the fact is absent (not 0) and the rules that read it
    are «ikke vurdert» naming the line."""
    path = asker_copy / "drift.csv"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("Avskrivninger,")), encoding="utf-8")
    result = run_check(load_package(asker_copy))
    assert result.facts.get("drift_avskrivninger", 2024) is None
    minimum = [f for f in result.findings if f.rule == "KL-14-18-minimumsavdrag"]
    assert minimum and all(f.status == "not_evaluated" and "«Avskrivninger» (drift.csv)" in f.message for f in minimum)


def test_duplicate_line(asker_copy):
    path = asker_copy / "drift_fordeling.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "Velferd,1,1,1,1,1,1\n", encoding="utf-8")
    bad(asker_copy, f"feil: {path}:17: drift_fordeling, linje «Velferd»: linjen står mer enn én gang")


def test_toml_syntax_error_names_line_and_column(asker_copy):
    (asker_copy / "budsjett.toml").write_text('kommune = "Asker\n', encoding="utf-8")
    bad(asker_copy, f"feil: {asker_copy / 'budsjett.toml'}:1: ugyldig TOML, kolonne 17: ulovlig tegn '\\n' (en tekst som "
                    "ikke er avsluttet?)")


def test_every_problem_is_reported_at_once(asker_copy):
    set_cell(asker_copy, "drift", "Avdrag på lån", 2026, "x")
    set_cell(asker_copy, "investering", "Bruk av lån", 2025, "1,5")
    result = run("check", str(asker_copy))
    assert result.exit_code == 2
    assert result.output.count("feil: ") == 2


def test_bundled_name_is_accepted():
    assert run("check", "asker-hp-2024-2027", "--format", "text").exit_code == 0


def test_written_files_get_ordinary_permissions(asker, tmp_path):
    """Atomic writes go through a private temporary file; the result must still be readable like any file."""
    import os
    import stat

    out = tmp_path / "rapport.json"
    assert run("check", "--format", "json", "--output", str(out)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
