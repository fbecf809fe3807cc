"""Issue 3: the rule format, its schema and loader, the engine, the statutory pack's CLI (check, rules, explain).

The per-rule behaviour (one failing and one passing case per rule) is in tests/cases/lov.yaml; here: what
must hold for the machinery around it. Every budget is the bundled Asker budget or a copy with a number changed.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from budsjettkontroll.adjust import Change, apply_changes
from budsjettkontroll.check import run_check
from budsjettkontroll.cli import app
from budsjettkontroll.errors import InputError
from budsjettkontroll.rules.loader import load_pack, schema
from budsjettkontroll.rules.markdown import bundled_packs, readme_block, rules_markdown
from budsjettkontroll.rules.model import schema_text
from budsjettkontroll.writer import write_folder

from .conftest import set_cell

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
STATUTORY = ["--select", "KL-", "--select", "FORSKR-"]  # the statutory pack's rules only (not handlingsregler)


def cli(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output + (result.stderr or "")
    return result


def outcome(findings) -> list[tuple]:
    return sorted((f.rule, f.year, f.subject or "", f.status, f.message) for f in findings)


def statutory(result):
    return [f for f in result.findings if f.pack == "lov"]


def write_pack(tmp_path: Path, rules: str, name: str = "egen.yaml") -> Path:
    path = tmp_path / name
    path.write_text("pack: egen\nversion: '1'\ntitle: Egen pakke\nrules:\n" + textwrap.indent(textwrap.dedent(rules), "  "),
                    encoding="utf-8")
    return path


RULE = """\
- id: {id}
  title: Prøveregel
  severity: error
  references: [{{text: kommuneloven § 14-4}}]
  scope: {scope}
  condition: {condition}
  message: "{message}"
"""


def rule(id="PROVE-1", scope="plan", condition="drift_fremfort_merforbruk <= 0", message="Fremført {drift_fremfort_merforbruk}.",
         extra=""):
    return RULE.format(id=id, scope=scope, condition=condition, message=message) + extra


# --- the format and its published schema ----------------------------------------------------------------------

def test_published_schema_is_generated_from_the_model():
    committed = (ROOT / "budsjettkontroll" / "rules" / "rule-pack.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "regenerate with: python -m budsjettkontroll.rules.model"


def test_every_bundled_pack_is_valid_against_the_published_schema():
    packs = sorted((ROOT / "budsjettkontroll" / "rules").glob("*.yaml"))
    assert any(p.name == "lov.yaml" for p in packs)
    for path in packs:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        jsonschema.Draft202012Validator(schema()).validate(data)


def test_readme_rule_list_is_generated_from_the_packs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme_block(readme)
    assert block is not None, "README.md mangler <!-- rules:start --> … <!-- rules:end -->"
    assert block == rules_markdown(bundled_packs()), "the rule list is out of date: python scripts/gen_rules_doc.py"
    for compiled in load_pack("lov").rules:
        assert f"`{compiled.spec.id}`" in block


def test_rules_markdown_command_prints_the_generated_list():
    result = cli("rules", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout == rules_markdown(bundled_packs())


def test_every_statutory_rule_has_a_failing_and_a_passing_case():
    data = yaml.safe_load((ROOT / "tests" / "cases" / "lov.yaml").read_text(encoding="utf-8"))
    seen = {(e["rule"], e["status"]) for case in data["cases"] for e in case.get("expect", [])}
    for compiled in load_pack("lov").rules:
        assert (compiled.spec.id, "fail") in seen, f"{compiled.spec.id}: no failing case"
        assert (compiled.spec.id, "pass") in seen, f"{compiled.spec.id}: no passing case"


def test_every_statutory_rule_explains_its_purpose_and_gives_an_example():
    for compiled in load_pack("lov").rules:
        spec = compiled.spec
        assert spec.purpose and spec.example, spec.id
        assert all(r.url and r.url.startswith("https://") for r in spec.references), spec.id


# --- a broken pack is refused: exit 2, file, rule and field named -----------------------------------------------

BROKEN = {
    "syntaksfeil i betingelsen": (rule(condition="drift_avdrag >="), ["PROVE-1", "«condition»", "syntaksfeil"]),
    "ukjent størrelse i betingelsen": (rule(condition="finnes_ikke > 0"), ["PROVE-1", "«condition»", "finnes_ikke"]),
    "ukjent størrelse i meldingen": (rule(message="Se {tull}."), ["PROVE-1", "«message»", "tull"]),
    "ukjent størrelse i requires": (rule(extra="  requires: [tull]\n"), ["PROVE-1", "«requires»", "tull"]),
    "feil type i betingelsen": (rule(condition="balansedato > 5"), ["PROVE-1", "«condition»"]),
    "manglende felt": (rule().replace('  message: "Fremført {drift_fremfort_merforbruk}."\n', ""),
                       ["PROVE-1", "«message»", "mangler"]),
    "ukjent felt": (rule(extra="  conditon: x\n"), ["PROVE-1", "«conditon»", "ukjent felt"]),
    "ugyldig alvorlighetsgrad": (rule().replace("severity: error", "severity: fatal"), ["PROVE-1", "«severity»"]),
    "dobbel id": (rule() + rule(), ["PROVE-1", "«id»", "brukt før"]),
    "ukjent samling": (rule(extra="  for_each: finnes_ikke\n"), ["PROVE-1", "«for_each»", "finnes_ikke"]),
    "valid_to før valid_from": (rule(extra="  valid_from: 2024-01-01\n  valid_to: 2023-12-31\n"),
                                ["PROVE-1", "«valid_to»", "valid_to 2023-12-31 er før valid_from 2024-01-01"]),
    "YAML-tagg": (rule(condition="!!python/object/apply:os.system ['echo hei']"), ["ugyldig YAML"]),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_pack_is_refused_with_file_rule_and_field(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text, expected = BROKEN[case]
    path = write_pack(tmp_path, text)
    result = cli("check", "--pack", str(path), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"feil: {path}") for line in lines), result.stderr
    for part in expected:
        assert part in result.stderr, (part, result.stderr)
    # the same pack is refused by `rules` and by the loader itself
    assert cli("rules", "--pack", str(path)).exit_code == 2
    with pytest.raises(InputError):
        load_pack(path)


def test_yaml_tag_is_refused_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "kjort"
    path = write_pack(tmp_path, rule(condition=f"!!python/object/apply:os.system ['touch {marker}']"))
    result = cli("check", "--pack", str(path))
    assert result.exit_code == 2
    assert "ugyldig YAML" in result.stderr and f"{path}:" in result.stderr  # file and line
    assert not marker.exists()


def test_a_valid_extra_pack_is_evaluated_with_the_statutory_pack(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_pack(tmp_path, rule(condition="drift_avdrag >= 500000", message="Avdrag {drift_avdrag} i {ar}."))
    result = cli("check", "--pack", str(path), "--format", "json", *STATUTORY, "--select", "PROVE-")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    mine = [f for f in data["findings"] if f["rule"] == "PROVE-1"]
    assert [(f["year"], f["status"]) for f in mine] == [(2024, "fail"), (2025, "fail"), (2026, "fail"), (2027, "fail")]
    assert mine[0]["message"] == "Avdrag 400 000 i 2024." and mine[0]["pack"] == "egen"
    assert {"pack": "egen", "version": "1"} in data["rule_packs"]


# --- the engine ------------------------------------------------------------------------------------------------

def test_two_budgets_checked_in_one_process_do_not_interfere(asker):
    alone = outcome(run_check(asker).findings)
    changed = apply_changes(asker, [Change("drift", "Bruk av disposisjonsfond", 2025, 5000)])
    first, second, third = run_check(asker), run_check(changed), run_check(asker)
    assert outcome(first.findings) == outcome(third.findings) == alone
    failing = {(f.rule, f.year) for f in statutory(second) if f.status == "fail" and f.severity == "error"}
    assert failing == {("KL-14-4-balanse-drift", 2025)}
    assert not [f for f in statutory(first) if f.status == "fail" and f.severity == "error"]
    # the input budget is not changed by the amendment or the checks
    assert asker.tables["drift"].row("bruk_disposisjonsfond").values[2025] == -100000
    # and concurrently, from two threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda b: outcome(run_check(b).findings), [asker, changed, asker, changed]))
    assert runs[0] == runs[2] == alone and runs[1] == runs[3] == outcome(second.findings)


def test_two_packages_on_one_command_line_get_their_own_findings(asker, asker_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    changed = apply_changes(asker, [Change("investering", "Salg av varige driftsmidler", 2026, 20000)])
    write_folder(changed, tmp_path / "endret")
    result = cli("check", str(asker_copy), str(tmp_path / "endret"), "--format", "json", *STATUTORY)
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)["results"]
    fails = lambda r: {(f["rule"], f["year"]) for f in r["findings"] if f["status"] == "fail" and f["severity"] == "error"}
    assert fails(first) == set()
    assert fails(second) == {("KL-14-4-balanse-investering", 2026)}


def test_a_rule_is_evaluated_only_for_the_years_it_is_in_force(asker, tmp_path):
    path = write_pack(tmp_path, rule(id="GAMMEL", extra="  valid_to: 2025-12-31\n")
                      + rule(id="NY", extra="  valid_from: 2026-01-01\n")
                      + rule(id="OPPHEVET", extra="  valid_from: 2015-01-01\n  valid_to: 2019-12-31\n")
                      + rule(id="HELE-BUDSJETTET", scope="budget", condition="antall_planar >= 4",
                             message="{antall_planar} år.", extra="  valid_from: 2025-01-01\n"))
    findings = run_check(asker, extra_packs=[str(path)]).findings
    years = lambda rid: [f.year for f in findings if f.rule == rid]
    assert years("GAMMEL") == [2024, 2025]
    assert years("NY") == [2026, 2027]
    assert years("OPPHEVET") == []
    # a rule for the budget as a whole is judged by the law in force for the first plan year (2024)
    assert years("HELE-BUDSJETTET") == []


def test_missing_input_is_not_evaluated_and_names_the_input_never_passes(asker):
    budget = asker.copy()
    budget.tables["drift"].row("avdrag").values[2025] = None
    budget.tables["investering"].row("bruk_av_lan").values[2026] = None
    findings = run_check(budget).findings
    by = {(f.rule, f.year): f for f in findings if f.subject is None}
    loan = by[("KL-14-15-lan-til-investering", 2026)]
    assert loan.status == "not_evaluated" and "«Bruk av lån» (investering.csv)" in loan.message
    assert by[("KL-14-15-lan-til-investering", 2025)].status == "pass"
    assert "inv_bruk_av_lan" in loan.missing or "bruk_av_lan" in loan.missing


def test_a_failing_finding_carries_inputs_and_both_sides(asker):
    changed = apply_changes(asker, [Change("investering", "Bruk av lån", 2024, -600000),
                                    Change("investering", "Avsetninger til ubundet investeringsfond", 2024, 600000)])
    finding = next(f for f in run_check(changed).findings if f.rule == "KL-14-15-lan-til-investering" and f.year == 2024)
    assert finding.status == "fail"
    assert finding.values["bruk_av_lan"] == 1774170
    assert finding.values["venstre_side"] == 1774170 and finding.values["hoyre_side"] == 1688875
    assert finding.references[0]["text"] == "kommuneloven § 14-15 første ledd"
    assert finding.file.endswith("investering.csv")


# --- minimumsavdrag: the balance date is a package setting -----------------------------------------------------

def _with_anleggsmidler(package: Path, balance_date: str) -> None:
    with (package / "nokkeltall.csv").open("a", encoding="utf-8") as fh:
        fh.write("Bokført verdi avskrivbare anleggsmidler,,,16000000,12000000,,\n")
    toml = package / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('balance_date = "31.12"', f'balance_date = "{balance_date}"'),
                    encoding="utf-8")


@pytest.mark.parametrize("balance_date, expected", [
    ("31.12", {2024: "pass", 2025: "fail", 2026: "not_evaluated", 2027: "not_evaluated"}),
    ("1.1", {2024: "not_evaluated", 2025: "pass", 2026: "fail", 2027: "not_evaluated"}),
])
def test_minimumsavdrag_balance_date_is_stated_and_changes_the_result(asker_copy, tmp_path, monkeypatch,
                                                                      balance_date, expected):
    monkeypatch.chdir(tmp_path)
    _with_anleggsmidler(asker_copy, balance_date)
    result = cli("check", str(asker_copy), "--format", "json", "--select", "KL-14-18")
    assert result.exit_code == 1
    findings = {f["year"]: f for f in json.loads(result.stdout)["findings"] if f["rule"] == "KL-14-18-minimumsavdrag"}
    assert {y: f["status"] for y, f in findings.items()} == expected
    for f in findings.values():
        if f["status"] != "not_evaluated":
            assert f"balansedato {balance_date})" in f["message"]
            assert f["values"]["balansedato"] == balance_date


# --- exit codes, --fail-on, --tolerance -------------------------------------------------------------------------

def test_exit_codes_and_fail_on(asker, asker_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("check", str(asker_copy), "--format", "json", *STATUTORY).exit_code == 0
    assert cli("check", str(asker_copy), "--format", "json", *STATUTORY, "--fail-on", "warning").exit_code == 0
    # the rounding differences are info findings: only --fail-on info makes them count
    assert cli("check", str(asker_copy), "--format", "json", *STATUTORY, "--fail-on", "info").exit_code == 1

    warning_only = apply_changes(asker, [Change("drift", "Avsetninger til disposisjonsfond", 2026, -3000)])
    write_folder(warning_only, tmp_path / "udisponert")
    assert cli("check", str(tmp_path / "udisponert"), "--format", "json", *STATUTORY).exit_code == 0
    tightened = cli("check", str(tmp_path / "udisponert"), "--format", "json", *STATUTORY, "--fail-on", "warning")
    assert tightened.exit_code == 1
    fails = [f for f in json.loads(tightened.stdout)["findings"] if f["status"] == "fail" and f["severity"] != "info"]
    assert [(f["rule"], f["year"]) for f in fails] == [("FORSKR-5-4-udisponert", 2026)]

    error = apply_changes(asker, [Change("drift", "Bruk av disposisjonsfond", 2025, 5000)])
    write_folder(error, tmp_path / "merforbruk")
    assert cli("check", str(tmp_path / "merforbruk"), "--format", "json", *STATUTORY).exit_code == 1

    set_cell(asker_copy, "drift", "Renteutgifter", 2025, "mye")
    bad = cli("check", str(asker_copy), *STATUTORY)
    assert bad.exit_code == 2 and bad.stdout == ""
    assert "drift.csv" in bad.stderr and "2025" in bad.stderr


def test_a_package_with_three_plan_years_fails_the_four_year_rule(asker, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    short = asker.copy()
    short.meta = short.meta.model_copy(update={"years": short.meta.years.model_copy(update={"plan": [2024, 2025, 2026]})})
    for table in short.tables.values():
        for row in table.rows:
            row.values.pop(2027, None)
    write_folder(short, tmp_path / "tre-ar")
    assert 'plan = [2024, 2025, 2026]' in (tmp_path / "tre-ar" / "budsjett.toml").read_text(encoding="utf-8")
    result = cli("check", str(tmp_path / "tre-ar"), "--format", "json", *STATUTORY)
    assert result.exit_code == 1
    fails = [f for f in json.loads(result.stdout)["findings"] if f["status"] == "fail" and f["severity"] == "error"]
    assert [(f["rule"], f["year"]) for f in fails] == [("KL-14-4-fire-ar", None)]
    assert "Økonomiplanen har 3 år fra 2024" in fails[0]["message"]


def test_tolerance_option_sets_the_rounding_allowed_per_term(asker_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    set_cell(asker_copy, "drift", "Renteinntekter", 2024, -124635)  # Netto finansutgifter off by 4 over 5 terms
    assert cli("check", str(asker_copy), "--format", "json", *STATUTORY).exit_code == 0
    strict = cli("check", str(asker_copy), "--format", "json", *STATUTORY, "--tolerance", "0")
    assert strict.exit_code == 1
    fails = {(f["rule"], f["year"], f["subject"]) for f in json.loads(strict.stdout)["findings"]
             if f["status"] == "fail" and f["severity"] == "error"}
    assert ("FORSKR-5-sumlinjer", 2024, "budsjett- og regnskapsforskriften § 5-4 første ledd: Netto finansutgifter") in fails
    # --tolerance 0 also catches Asker's own printed rounding differences
    assert ("FORSKR-5-sumlinjer", 2024, "budsjett- og regnskapsforskriften § 5-4 første ledd: Sum generelle driftsinntekter") in fails


def test_json_findings_carry_the_documented_fields(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = json.loads(cli("check", "--format", "json", *STATUTORY).stdout)
    assert data["budget"]["kommune"] == "Asker" and data["budget"]["years"]["plan"] == [2024, 2025, 2026, 2027]
    assert data["summary"]["status"]["pass"] > 0
    for f in data["findings"]:
        assert {"rule", "status", "severity", "year", "references", "message", "values"} <= set(f)
        assert f["references"] and f["message"]


# --- rules and explain -----------------------------------------------------------------------------------------

def test_rules_lists_id_severity_reference_and_title():
    result = cli("rules")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for compiled in load_pack("lov").rules:
        assert compiled.spec.id in result.stdout
    assert "KL-14-18-minimumsavdrag" in text and "Avdrag minst lik minimumsavdraget" in text
    assert "kommuneloven § 14-18 første ledd" in text


def test_explain_prints_purpose_references_condition_figures_and_example():
    result = cli("explain", "KL-14-18-minimumsavdrag")
    assert result.exit_code == 0
    out = result.stdout
    for part in ("Formål:", "Hjemmel:", "kommuneloven § 14-18 første ledd", "https://lovdata.no/lov/2018-06-22-83/§14-18",
                 "Betingelse (må være sann):", "drift_avdrag >= minimumsavdrag", "Størrelser:",
                 "minimumsavdrag: Kommuneloven § 14-18: avskrivninger × lånegjeld ÷ bokført verdi",
                 "«Avdrag på lån» (drift.csv)", "Eksempel:", "155 747"):
        assert part in out, part


def test_explain_unknown_rule_suggests_the_closest_and_exits_2():
    result = cli("explain", "KL-14-18-minimumsavdrg")
    assert result.exit_code == 2
    assert "ukjent regel «KL-14-18-minimumsavdrg»" in result.stderr
    assert "mente du «KL-14-18-minimumsavdrag»?" in result.stderr


def test_explain_works_for_every_statutory_rule():
    for compiled in load_pack("lov").rules:
        result = cli("explain", compiled.spec.id)
        assert result.exit_code == 0, compiled.spec.id
        assert "Eksempel:" in result.stdout and "Formål:" in result.stdout
