"""Issue 5: selvkost. The rule-by-rule pass/fail cases are in tests/cases/selvkost.yaml; here: the fund's age by
year of origin in consistent scenarios, the Asker data against the document, bad input, the report section, the
parameters as data, and the package format (område column) through writer, workbook, template and amendments."""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from budsjettkontroll import selvkost
from budsjettkontroll.adjust import Change, apply_changes
from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.errors import InputError
from budsjettkontroll.package import bundled_dir, load_package
from budsjettkontroll.rules.loader import load_pack
from budsjettkontroll.template import template_budget
from budsjettkontroll.writer import write_folder, write_workbook

EXAMPLE = bundled_dir() / "eksempel-selvkost"
SEED = Path("/work/shared/seed/asker-handlingsprogram-2024-2027-formannskapet-2023-10-24.txt")
runner = CliRunner()


def outcome(result) -> dict[tuple, str]:
    return {(f.rule, f.year, f.subject): f.status for f in result.findings}


@pytest.fixture
def example_copy(tmp_path) -> Path:
    target = tmp_path / "eksempel"
    shutil.copytree(EXAMPLE, target)
    return target


def read_selvkost(package: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader((package / "selvkost.csv").read_text(encoding="utf-8").splitlines()))
    return rows[0], rows[1:]


def cell(package: Path, area: str, label: str, year: int) -> Decimal:
    header, rows = read_selvkost(package)
    row = next(r for r in rows if r[0] == area and r[1] == label)
    return Decimal(row[header.index(str(year))])


def move(package: Path, area: str, changes: dict[str, dict[int, int]]) -> None:
    """Add to cells of one område's block in a package copy's selvkost.csv."""
    header, rows = read_selvkost(package)
    for row in rows:
        if row[0] == area and row[1] in changes:
            for year, delta in changes[row[1]].items():
                col = header.index(str(year))
                row[col] = str(int(row[col]) + delta)
    with (package / "selvkost.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def shift_use(package: Path, area: str, amount: int, from_year: int, to_year: int) -> None:
    """Move `amount` of bruk av selvkostfond to the year before or after, keeping the calculation consistent: fees
    make up the difference (gebyr = selvkost + avsetning − bruk) and the fund between the two years moves with it."""
    assert abs(from_year - to_year) == 1
    first, later = min(from_year, to_year), 1 if to_year > from_year else -1
    move(package, area, {
        "Bruk av selvkostfond": {from_year: -amount, to_year: amount},
        "Gebyrinntekter": {from_year: amount, to_year: -amount},
        "Selvkostfond UB": {first: later * amount},
        "Selvkostfond IB": {first + 1: later * amount},
    })


# --- the example package ------------------------------------------------------------------------------------------

def test_example_has_exactly_its_one_designed_breach_and_exercises_every_selvkost_rule():
    result = run_check(load_package("eksempel-selvkost"))
    failing = [(f.rule, f.year, f.subject) for f in result.findings
               if f.status == "fail" and f.severity in ("error", "warning")]
    assert failing == [("SK-fond-femarsregel", 2025, "avløp")]
    passed = {f.rule for f in result.findings if f.pack == "selvkost" and f.status == "pass"}
    # the example has no accounts for 2026, so the kalkylerente rule in force from 2026 has nothing to judge; and it
    # has no område whose type forbids carrying a deficit forward (byggesak, oppmåling, eierseksjonering), so the
    # deficit rule does not apply to any of its områder (its pass and fail cases are in tests/cases/selvkost.yaml)
    assert passed == {rule.spec.id for rule in load_pack("selvkost").rules} - {"SK-kalkylerente-2026",
                                                                               "SK-underskudd-ikke-fremforing"}
    assert not [f for f in result.findings if f.rule == "SK-underskudd-ikke-fremforing"]


def test_dated_rules_judge_each_year_by_the_rule_in_force_that_year():
    """Kalkylerente: the swap rule for 2020-2025, the NIBOR rule from 2026; VA fee ceiling: the old act to 2025, the
    new act from 2026 (issue 13 items 15-16). A year is never judged by both."""
    from budsjettkontroll.meta import BudgetMeta

    budget = load_package("eksempel-selvkost").copy()
    data = budget.meta.model_dump()
    data["years"] = {"regnskap": [2020, 2021, 2022, 2026], "budsjett": [2023], "plan": [2024, 2025, 2027]}
    budget.meta = BudgetMeta.model_validate(data)
    findings = run_check(budget).findings
    years = lambda rule: {f.year for f in findings if f.rule == rule}  # noqa: E731
    assert years("SK-kalkylerente") == {2020, 2021, 2022}
    assert years("SK-kalkylerente-2026") == {2026}
    assert max(years("SK-tak")) == 2025 and years("SK-tak-2026") == {2026, 2027}
    vann_2026 = [f for f in findings if f.rule == "SK-tak-2026" and f.subject == "vann"]
    assert vann_2026 and all(f.status == "pass" for f in vann_2026)
    pack = load_pack("selvkost")
    spec = {r.spec.id: r.spec for r in pack.rules}
    assert str(spec["SK-kalkylerente"].valid_to) == "2025-12-31" and str(spec["SK-kalkylerente-2026"].valid_from) == "2026-01-01"
    assert str(spec["SK-tak"].valid_to) == "2025-12-31" and str(spec["SK-tak-2026"].valid_from) == "2026-01-01"


def test_the_selvkost_pack_runs_in_check_on_both_bundled_packages():
    for name, code in (("eksempel-selvkost", 1), ("asker-hp-2024-2027", 0)):
        out = runner.invoke(app, ["check", name, "--format", "json"])
        assert out.exit_code == code, out.output
        data = json.loads(out.output)
        assert "selvkost" in [p["pack"] for p in data["rule_packs"]]
        assert any(f["rule"].startswith("SK-") for f in data["findings"])
        assert data["selvkost"]["areas"]


# --- the fund by year of origin -----------------------------------------------------------------------------------

def test_surplus_used_up_in_the_fifth_year_passes_and_in_the_sixth_fails(example_copy):
    """vann's 2020 surplus is used up in 2025 (the fifth year after): moving the last 20 of it to 2026 breaks the
    rule in 2025, and nothing else changes. avløp's is used up in 2026: moving 15 into 2025 mends it."""
    base = outcome(run_check(load_package(example_copy)))
    assert base[("SK-fond-femarsregel", 2025, "vann")] == "pass"
    assert base[("SK-fond-femarsregel", 2025, "avløp")] == "fail"

    late = example_copy.parent / "sent"
    shutil.copytree(example_copy, late)
    shift_use(late, "vann", 20, 2025, 2026)
    after = run_check(load_package(late))
    changed = {k: (base[k], v) for k, v in outcome(after).items() if base.get(k) != v}
    assert changed == {("SK-fond-femarsregel", 2025, "vann"): ("pass", "fail")}
    finding = next(f for f in after.findings if (f.rule, f.year, f.subject) == ("SK-fond-femarsregel", 2025, "vann"))
    assert "overskuddet fra 2020" in finding.message and "senest i 2025" in finding.message

    in_time = example_copy.parent / "i-tide"
    shutil.copytree(example_copy, in_time)
    shift_use(in_time, "avløp", 15, 2026, 2025)
    changed = {k: (base[k], v) for k, v in outcome(run_check(load_package(in_time))).items() if base.get(k) != v}
    assert changed == {("SK-fond-femarsregel", 2025, "avløp"): ("fail", "pass")}


def test_fund_tracking_is_first_in_first_out_and_stops_without_an_opening_balance(example_copy):
    budget = load_package(example_copy)
    years = budget.meta.years.all
    avlop = next(a for a in selvkost.areas(budget) if a.name == "avløp")
    states = selvkost.track_fund(avlop, years)
    # every year the tracked balance is the package's own UB (the example's fund rolls forward)
    assert all(states[y].balance == avlop.value("fond_ub", y) for y in years)
    # the 2021 surplus is younger: while any of 2020's is left, it is untouched
    for y in years:
        origins = [origin for origin, _ in states[y].layers]
        assert origins == sorted(origins)
        if 2020 in origins and y > 2021:
            assert dict(states[y].layers).get(2021, 0) == dict(states[2021].layers).get(2021, 0)
    budget.tables["selvkost"].rows = [r for r in budget.tables["selvkost"].rows
                                      if not (r.group == "avløp" and r.key == "fond_ib")]
    no_ib = next(a for a in selvkost.areas(budget) if a.name == "avløp")
    assert selvkost.track_fund(no_ib, years) == {}
    result = run_check(budget)
    assert {f.status for f in result.findings if f.rule == "SK-fond-femarsregel" and f.subject == "avløp"} == \
        {"not_evaluated"}


def test_opening_balance_counts_from_the_year_before_the_first(example_copy):
    """renovasjon opens 2020 with a fund of 400; left unused it is due in 2024, the fifth year after 2019."""
    move(example_copy, "renovasjon", {"Bruk av selvkostfond": {2020: -300, 2021: -600},
                                      "Gebyrinntekter": {2020: 300, 2021: 600}})
    result = run_check(load_package(example_copy))
    status = {f.year: f.status for f in result.findings
              if f.rule == "SK-fond-femarsregel" and f.subject == "renovasjon"}
    assert status[2023] == "pass" and status[2024] == "fail"
    message = next(f.message for f in result.findings
                   if (f.rule, f.year, f.subject) == ("SK-fond-femarsregel", 2024, "renovasjon"))
    assert "2019 (inngående fond 2020)" in message


# --- Asker: what the document states ------------------------------------------------------------------------------

def _seed_text() -> str:
    if not SEED.is_file():
        pytest.skip("source text not available")
    return " ".join(SEED.read_text(encoding="utf-8").split())


def test_asker_fee_changes_are_the_documents():
    text = _seed_text()
    asker = load_package("asker-hp-2024-2027")
    areas = {a.name: a for a in selvkost.areas(asker)}

    def shown(area: str, years) -> str:
        return r"\s*".join(re.escape(str(areas[area].value("gebyrendring", y)).replace(".", ",")) + r"\s*%"
                           for y in years)

    # the slide's rows "2024 2025 2026 2027 / 37,7 % 4,8% 5,6 % 13,7 %" and the avløp row
    assert re.search(shown("vann", range(2024, 2028)), text)
    assert re.search(shown("avløp", range(2024, 2028)), text)
    assert f"henholdsvis {areas['vann'].value('gebyrendring', 2023)} prosent og " \
           f"{areas['avløp'].value('gebyrendring', 2023)} prosent" in text  # 2023
    assert f"øker med {str(areas['renovasjon'].value('gebyrendring', 2024)).replace('.', ',')} prosent" in text
    assert f"prisøkning på {areas['feiing'].value('gebyrendring', 2024)} prosent på feiegebyret i 2024" in text
    assert areas["slam"].value("gebyrendring", 2024) == 0 and "slamtømming foreslås uendret mellom årene 2023 og 2024" in text
    assert "Begge områdene hadde negative selvkostfond ved inngangen til 2023" in text
    assert all(areas[a].value("fond_ib_negativt", 2023) == 1 for a in ("vann", "avløp"))
    # nothing else: the document gives no amounts for any område
    amounts = [k for a in areas.values() for k, row in a.rows.items()
               if k not in ("gebyrendring", "fond_ib_negativt") and any(v is not None for v in row.values.values())]
    assert amounts == []


def test_asker_rules_without_inputs_are_not_evaluated_and_the_section_says_what_is_known():
    result = run_check(load_package("asker-hp-2024-2027"))
    sk = [f for f in result.findings if f.pack == "selvkost"]
    needs_amounts = {"SK-selvkost-beregning", "SK-tak", "SK-full-kostnadsdekning", "SK-fond-femarsregel",
                     "SK-underskudd-fem-ar", "SK-fond-rullering", "SK-fond-ib", "SK-fondsrenter", "SK-ikke-adm-ledelse"}
    assert {f.status for f in sk if f.rule in needs_amounts} == {"not_evaluated"}
    assert all(f.message.startswith(f"{f.subject}: Ikke vurdert: mangler") for f in sk if f.status == "not_evaluated")
    tak = next(f for f in sk if (f.rule, f.year, f.subject) == ("SK-tak", 2024, "vann"))
    assert "«Gebyrinntekter» (selvkost.csv)" in tak.message  # the reader is told which line to fill in
    deflator = {(f.year, f.subject): f.status for f in sk if f.rule == "SK-gebyrendring-deflator"}
    assert deflator[(2024, "slam")] == "pass" and deflator[(2024, "vann")] == "fail"
    assert deflator[(2025, "vann")] == "not_evaluated"  # the document gives the deflator for 2024 only
    section = result.sections["selvkost"].as_json()
    vann = next(a for a in section["areas"] if a["område"] == "vann")
    assert vann["lovtype"] == "tak"
    first = vann["years"][0]
    assert first["år"] == 2023 and first["merknad"].startswith("IB negativ") and first["selvkostfond_ub"] is None


# --- the report section ---------------------------------------------------------------------------------------------

def test_section_per_area_and_year_in_json_and_terminal():
    out = runner.invoke(app, ["check", "eksempel-selvkost", "--format", "json"])
    data = json.loads(out.output)["selvkost"]
    assert [a["område"] for a in data["areas"]] == ["vann", "avløp", "renovasjon"]
    for area in data["areas"]:
        assert [y["år"] for y in area["years"]] == list(range(2020, 2028))
        for y in area["years"]:
            fee, cost = cell(EXAMPLE, area["område"], "Gebyrinntekter", y["år"]), cell(EXAMPLE, area["område"], "Selvkost", y["år"])
            assert y["gebyrinntekter"] == fee and y["selvkost"] == cost
            assert Decimal(str(y["dekningsgrad"])) == (fee / cost * 100).quantize(Decimal("0.1"))
            assert y["selvkostfond_ub"] == cell(EXAMPLE, area["område"], "Selvkostfond UB", y["år"])
    avlop = {y["år"]: y for y in data["areas"][1]["years"]}
    assert (avlop[2025]["eldste_overskudd_fra"], avlop[2025]["alder_eldste_overskudd"]) == ("2020", 5)
    text = runner.invoke(app, ["check", "eksempel-selvkost", "--format", "text"]).output
    assert "Selvkost per område" in text and "avløp (tak)" in text and "2020 (5 år)" in text
    assert "Traceback" not in text


# --- the law's data is data -----------------------------------------------------------------------------------------

def test_kalkylerente_parameters_have_sources_and_unpublished_years_are_missing():
    rates = selvkost.published_rates()
    assert {y: r.value for y, r in rates.items() if r.value is not None} == \
        {2020: Decimal("1.39"), 2021: Decimal("1.956"), 2023: Decimal("4.296")}  # lovregler.md § 3 (KBN)
    assert all(r.source and r.url for r in rates.values() if r.value is not None)
    assert rates[2022].value is None and rates[2022].note


def _parameters_copy(tmp_path, monkeypatch) -> Path:
    target = tmp_path / "parameters"
    shutil.copytree(selvkost.parameters_dir(), target)
    monkeypatch.setattr(selvkost, "parameters_dir", lambda: target)
    return target


def test_area_type_comes_from_the_parameter_file(tmp_path, monkeypatch):
    params = _parameters_copy(tmp_path, monkeypatch)
    before = run_check(load_package("eksempel-selvkost"))
    assert {f.subject for f in before.findings if f.rule == "SK-full-kostnadsdekning"} == {"renovasjon"}
    data = yaml.safe_load((params / "selvkostomrader.yaml").read_text(encoding="utf-8"))
    data["areas"]["renovasjon"]["type"] = "tak"
    (params / "selvkostomrader.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = run_check(load_package("eksempel-selvkost"))
    assert not [f for f in after.findings if f.rule == "SK-full-kostnadsdekning"]
    assert {f.subject for f in after.findings if f.rule == "SK-tak"} == {"vann", "avløp", "renovasjon"}


def test_unknown_area_is_in_no_ceiling_or_full_cost_rule(example_copy):
    with (example_copy / "selvkost.csv").open("a", encoding="utf-8") as fh:
        fh.write("kino,Gebyrinntekter,,,,,100,,,\n")
    result = run_check(load_package(example_copy))
    kino = {f.rule: f.status for f in result.findings if f.subject == "kino"}
    assert kino["SK-omradetype"] == "fail" and "SK-tak" not in kino and "SK-full-kostnadsdekning" not in kino


def test_a_broken_parameter_file_is_refused_naming_the_file(tmp_path, monkeypatch):
    params = _parameters_copy(tmp_path, monkeypatch)
    (params / "kalkylerente.yaml").write_text("parameter: kalkylerente\nunit: '%'\nvalues:\n  2020: {value: 1.39}\n",
                                              encoding="utf-8")
    with pytest.raises(InputError) as err:
        run_check(load_package("eksempel-selvkost"))
    assert "kalkylerente.yaml" in str(err.value) and "kilde" in str(err.value)


# --- bad input: one line, file, line and year, exit 2 --------------------------------------------------------------

def _line_of(package: Path, area: str, label: str) -> int:
    lines = (package / "selvkost.csv").read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.startswith(f"{area},{label},"))


@pytest.mark.parametrize("edit, expected", [
    (lambda p: move(p, "vann", {"Gebyrinntekter": {2024: -2 * 53782}}), "beløpet er negativt"),
    (lambda p: move(p, "vann", {"Herav administrativ ledelse": {2022: -5}}), "beløpet er negativt"),
])
def test_negative_amounts_are_refused_with_file_line_and_year(example_copy, edit, expected):
    edit(example_copy)
    out = runner.invoke(app, ["check", str(example_copy), "--format", "text"])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    errors = [line for line in out.output.splitlines() if line.startswith("feil:")]
    assert len(errors) == 1 and expected in errors[0] and "selvkost.csv:" in errors[0] and "år 20" in errors[0]


def test_bad_rows_in_selvkost_csv_each_get_their_own_line(example_copy):
    path = example_copy / "selvkost.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("vann,Kalkylerente (%),", ",Kalkylerente (%),", 1)  # no område
    text += "avløp,Gebyrinntekter,1,1,1,1,1,1,1,1\n"  # the same line twice in one område
    text += "renovasjon,Gebyrinntekt,1,1,1,1,1,1,1,1\n"  # unknown line
    path.write_text(text, encoding="utf-8")
    out = runner.invoke(app, ["check", str(example_copy), "--format", "text"])
    assert out.exit_code == 2 and "Traceback" not in out.output
    output = out.output
    assert "raden mangler område" in output
    assert "linjen står mer enn én gang" in output
    assert "ukjent linje for kommuneloven § 15-1 og selvkostforskriften; mente du «Gebyrinntekter»?" in output


def test_the_same_line_in_two_areas_is_fine_and_negative_flag_must_match_the_fund(example_copy):
    assert load_package(example_copy).tables["selvkost"].find("Gebyrinntekter", "avløp") is not None
    with (example_copy / "selvkost.csv").open("a", encoding="utf-8") as fh:
        fh.write("renovasjon,Selvkostfond IB er negativt (1 = ja),,,1,,,,,\n")  # IB 2022 is −501: consistent
    run_check(load_package(example_copy))
    with (example_copy / "selvkost.csv").open("a", encoding="utf-8") as fh:
        fh.write("vann,Selvkostfond IB er negativt (1 = ja),,,1,,,,,\n")  # vann's IB 2022 is positive
    with pytest.raises(InputError) as err:
        run_check(load_package(example_copy))
    assert "vann: Selvkostfond IB er negativt (1 = ja)" in str(err.value) and "år 2022" in str(err.value)


# --- the område column through the rest of the format ---------------------------------------------------------------

def test_workbook_and_rewritten_folder_give_the_same_result(tmp_path):
    example = load_package("eksempel-selvkost")
    expected = outcome(run_check(example))
    assert outcome(run_check(load_package(write_workbook(example, tmp_path / "eksempel.xlsx")))) == expected
    folder = write_folder(example, tmp_path / "kopi")
    assert read_selvkost(folder)[0][:2] == ["område", "linje"]
    assert outcome(run_check(load_package(folder))) == expected


def test_template_has_a_selvkost_block_that_loads(tmp_path):
    folder = write_folder(template_budget(2025), tmp_path / "mal")
    header, rows = read_selvkost(folder)
    assert header[:2] == ["område", "linje"] and {r[0] for r in rows} == {"vann"}
    assert load_package(folder).tables["selvkost"].find("Gebyrinntekter", "vann") is not None


def test_an_amendment_changes_only_the_named_area():
    example = load_package("eksempel-selvkost")
    changed = apply_changes(example, [Change("selvkost", "Gebyrinntekter", 2024, 100, "avløp")])
    before = {(r.group, r.key): r.values[2024] for r in example.tables["selvkost"].rows}
    after = {(r.group, r.key): r.values[2024] for r in changed.tables["selvkost"].rows}
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == \
        {("avløp", "gebyrinntekter"): (before[("avløp", "gebyrinntekter")], before[("avløp", "gebyrinntekter")] + 100)}
    assert {(f.rule, f.year, f.subject) for f in run_check(changed).findings if f.status == "fail"
            and f.severity == "error"} >= {("SK-tak", 2024, "avløp")}
