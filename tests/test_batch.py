"""Batch mode (`check DIR`), lazy imports, the shipped parser tables and the benchmark's package generator."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll import batch
from budsjettkontroll.cli import app

from .conftest import ASKER_DIR, set_cell

ROOT = Path(__file__).resolve().parents[1]


def cell(package: Path, stem: str, label: str, year: int) -> str:
    rows = list(csv.reader((package / f"{stem}.csv").read_text(encoding="utf-8-sig").splitlines()))
    col = rows[0].index(str(year))
    return next(r[col] for r in rows[1:] if r and r[0] == label)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A data repository: two good copies of Asker (one with a sum that does not add up), one broken copy."""
    root = tmp_path / "budsjetter"
    shutil.copytree(ASKER_DIR, root / "2024" / "asker")
    shutil.copytree(ASKER_DIR, root / "2024" / "asker-feil")
    wrong = int(cell(root / "2024" / "asker-feil", "drift", "Rammetilskudd", 2025)) - 1000
    set_cell(root / "2024" / "asker-feil", "drift", "Rammetilskudd", 2025, wrong)
    shutil.copytree(ASKER_DIR, root / "arkiv" / "asker-ugyldig")
    set_cell(root / "arkiv" / "asker-ugyldig", "drift", "Avskrivninger", 2026, "mye")
    return root


def run_cli(*args: str):
    return CliRunner().invoke(app, ["check", *args])


def test_discover_finds_folders_and_workbooks_but_not_other_files(repo, tmp_path):
    from budsjettkontroll.package import load_package
    from budsjettkontroll.writer import write_workbook

    write_workbook(load_package(ASKER_DIR), repo / "arbeidsbok.xlsx")
    import openpyxl

    other = openpyxl.Workbook()
    other.active.title = "noe annet"
    other.save(repo / "regneark.xlsx")
    (repo / ".git" / "asker").mkdir(parents=True)
    shutil.copy(ASKER_DIR / "budsjett.toml", repo / ".git" / "asker")
    (repo / "uten-toml").mkdir()
    shutil.copy(ASKER_DIR / "drift.csv", repo / "uten-toml")
    found = [p.relative_to(repo).as_posix() for p in batch.discover(repo)]
    assert found == ["2024/asker", "2024/asker-feil", "arbeidsbok.xlsx", "arkiv/asker-ugyldig", "uten-toml"]


def test_batch_reports_every_package_and_the_worst_exit_code(repo):
    result = run_cli(str(repo), "--format", "text")
    assert result.exit_code == 2  # one package is bad input
    # the broken package: one line naming file, line, table, row and year; no traceback; the others still ran
    errors = [line for line in result.stderr.splitlines() if line.startswith("feil:")]
    assert len(errors) == 1
    assert "asker-ugyldig/drift.csv:" in errors[0] and "Avskrivninger" in errors[0] and "2026" in errors[0]
    assert "Traceback" not in result.output
    out = result.stdout
    assert "Oppsummering: 3 budsjettpakker" in out
    assert "UGYLDIG INNDATA" in out
    # the copy with a wrong printed sum fails the arithmetic rule in 2025, and only that copy
    assert "FORSKR-5-sumlinjer 2025" in out
    failing = [block for block in out.split("== ") if "FORSKR-5-sumlinjer" in block]
    assert len(failing) == 1 and "asker-feil" in failing[0]
    assert "1 med brudd" in out and "1 med ugyldig inndata" in out and "1 uten brudd" in out


def test_exit_code_is_one_when_a_package_fails_and_none_is_broken(repo):
    shutil.rmtree(repo / "arkiv")
    assert run_cli(str(repo), "--format", "text").exit_code == 1
    shutil.rmtree(repo / "2024" / "asker-feil")
    good = run_cli(str(repo), "--format", "text")
    assert good.exit_code == 0, good.stdout


def test_two_workers_give_the_same_report_in_the_same_order(repo):
    one = run_cli(str(repo), "--format", "text", "--jobs", "1")
    two = run_cli(str(repo), "--format", "text", "--jobs", "2")
    assert two.exit_code == one.exit_code == 2
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr


def test_jobs_defaults_to_the_usable_cores_and_one_runs_in_this_process(repo, monkeypatch):
    import os

    seen = []
    real = batch.outcomes
    monkeypatch.setattr(batch, "outcomes", lambda paths, settings, jobs=1: (seen.append(jobs), real(paths, settings, 1))[1])
    run_cli(str(repo), "--format", "text")
    run_cli(str(repo), "--format", "text", "--jobs", "1")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert batch.usable_cores() == cores
    assert seen == [cores, 1]


def test_batch_json_is_one_document_with_every_result(repo):
    result = run_cli(str(repo), "--format", "json")
    data = json.loads(result.stdout)
    assert [r["budget"]["source"].split("budsjetter")[1] for r in data["results"]] == [
        "/2024/asker", "/2024/asker-feil"]
    rows = {Path(p["path"]).name: p for p in data["packages"]}
    assert rows["asker-ugyldig"]["exit_code"] == 2 and rows["asker-ugyldig"]["input_problems"]
    assert rows["asker"]["exit_code"] == 0 and rows["asker-feil"]["exit_code"] == 1
    assert rows["asker-feil"]["errors"] >= 1
    totals = data["summary"]
    assert totals["total"] == sum(r["summary"]["total"] for r in data["results"])
    assert totals["failed_by_severity"]["error"] == sum(
        1 for r in data["results"] for f in r["findings"] if f["status"] == "fail" and f["severity"] == "error")
    assert data["exit_code"] == result.exit_code == 2


def test_output_file_is_written_whole_and_not_overwritten_without_force(repo, tmp_path):
    target = tmp_path / "rapport.txt"
    first = run_cli(str(repo), "--format", "text", "--output", str(target))
    assert first.exit_code == 2 and "Oppsummering: 3 budsjettpakker" in target.read_text(encoding="utf-8")
    again = run_cli(str(repo), "--format", "text", "--output", str(target))
    assert again.exit_code == 2 and "finnes fra før" in again.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".rapport")] == []


def test_progress_bar_and_summary_table(repo):
    out, err = io.StringIO(), io.StringIO()
    code = batch.run([repo], batch.BatchSettings(fmt="text"), out, progress=True, err=err)
    assert code == 2
    assert "Kontrollerer" in err.getvalue() and "3/3" in err.getvalue()
    summary = out.getvalue().split("Oppsummering: 3 budsjettpakker", 1)[1]
    for heading in ("Kommune", "Tittel", "Feil", "Advarsler", "Handlingsregler oppfylt"):
        assert heading in summary
    assert summary.count("Asker") == 2
    quiet = io.StringIO()
    batch.run([repo], batch.BatchSettings(fmt="text"), io.StringIO(), progress=False, err=quiet)
    assert "Kontrollerer" not in quiet.getvalue()


def test_handlingsregler_column_counts_the_key_figures_met(asker):
    from budsjettkontroll.check import run_check

    result = run_check(asker)
    section = result.sections.get("key_figures")
    if section is None:
        assert batch.handlingsregler_met(result) == "–"
        return
    levels = [k["level"] for k in section.as_json()]
    judged = [level for level in levels if level != "not_evaluated"]
    met = sum(1 for level in judged if level in ("acceptable", "target"))
    assert batch.handlingsregler_met(result) == (f"{met} av {len(judged)}" if judged else "–")


def test_a_folder_without_packages_is_read_as_one_package_that_lacks_its_metadata(tmp_path):
    (tmp_path / "tom" / "undermappe").mkdir(parents=True)
    assert not batch.is_batch_dir(tmp_path / "tom")
    result = run_cli(str(tmp_path / "tom"))
    assert result.exit_code == 2 and "mangler budsjett.toml i pakkemappen" in result.stderr
    err = io.StringIO()
    assert batch.run([tmp_path / "tom"], batch.BatchSettings(), io.StringIO(), err=err) == 2
    assert "fant ingen budsjettpakker" in err.getvalue()


# --- lazy imports and the parser tables ------------------------------------------------------------------

LOADED = "import sys; from budsjettkontroll.cli import app\ntry:\n    app({args!r})\nexcept SystemExit:\n    pass\n" \
         "print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'pandas', 'pandera', 'numpy'}}))"


@pytest.mark.parametrize("args", [["--help"], ["rules"], ["explain", "KL-14-4-balanse-drift"], ["check", "--help"]])
def test_help_rules_and_explain_do_not_import_pandas(args):
    done = subprocess.run([sys.executable, "-c", LOADED.format(args=args)], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_check_imports_pandas_and_pandera():
    done = subprocess.run([sys.executable, "-c", LOADED.format(args=["check", "--format", "json"])],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "['numpy', 'pandas', 'pandera']"


def test_rule_engine_uses_the_shipped_parser_tables():
    """If this fails after a rule-engine upgrade, regenerate: see budsjettkontroll/rules/parser_tables.py."""
    code = ("import budsjettkontroll.rules, rule_engine\nfrom budsjettkontroll.rules import _parsetab, parser_tables\n"
            "installed, shipped = parser_tables.signatures()\n"
            "print(installed == shipped, rule_engine.Rule.parser._parser.action is _parsetab._lr_action)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["True", "True"], done.stderr


# --- the benchmark's generator --------------------------------------------------------------------------

def test_synthetic_packages_are_scaled_perturbed_and_still_balanced(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from budsjettkontroll.check import run_check
    from budsjettkontroll.findings import FAIL
    from budsjettkontroll.package import load_package

    written = generate.generate(3, tmp_path / "syntetisk")
    asker = load_package(ASKER_DIR)
    asker_failed = {(f.rule, f.year, f.subject) for f in run_check(asker).findings
                    if f.status == FAIL and f.severity == "error"}
    for path in written:
        budget = load_package(path)
        assert budget.meta.kommune.startswith("Syntetisk")
        assert budget.tables["drift_fordeling"].rows[0].values != asker.tables["drift_fordeling"].rows[0].values
        failed = {(f.rule, f.year, f.subject) for f in run_check(budget).findings
                  if f.status == FAIL and f.severity == "error"}
        assert failed == asker_failed, path


def test_shipped_rule_and_policy_packs_pass_their_json_schema():
    """At run time a shipped pack skips the JSON-Schema check (rules.loader.shipped); this test is that check."""
    from budsjettkontroll import policy
    from budsjettkontroll.rules.loader import rules_dir, safe_yaml, schema, schema_errors, shipped, _dates_as_text

    packs = sorted(rules_dir().glob("*.yaml"))
    policies = sorted(policy.policy_dir().glob("*.yaml"))
    assert packs and policies
    for path in packs:
        assert shipped(path)
        assert [e.message for e in schema_errors(_dates_as_text(safe_yaml(path)), schema())] == [], path
    for path in policies:
        assert shipped(path)
        assert [e.message for e in schema_errors(safe_yaml(path), policy.schema())] == [], path


def test_a_pack_outside_the_package_is_still_checked_against_the_json_schema(tmp_path):
    from budsjettkontroll.errors import InputError
    from budsjettkontroll.rules.loader import load_pack, rules_dir, shipped

    copy = tmp_path / "lov.yaml"
    text = (rules_dir() / "lov.yaml").read_text(encoding="utf-8")
    copy.write_text(text.replace("severity: error", "severity: fatal", 1), encoding="utf-8")
    assert not shipped(copy)
    with pytest.raises(InputError) as refused:
        load_pack(copy)
    assert "feltet «severity»" in str(refused.value.problems[0])


def test_an_unexpected_error_in_one_package_is_reported_and_the_others_still_run(repo, monkeypatch):
    """A bug met by one package (here: injected into the check of «asker-feil») costs only that package, and the
    batch ends with exit code 3 (intern feil), the highest of the packages' codes."""
    import budsjettkontroll.check as check

    real = check.run_check

    def failing(budget, *args, **kwargs):
        if budget.source is not None and budget.source.name == "asker-feil":
            raise ZeroDivisionError("division by zero")
        return real(budget, *args, **kwargs)

    monkeypatch.setattr(check, "run_check", failing)
    out, err = io.StringIO(), io.StringIO()
    code = batch.run([repo / "2024"], batch.BatchSettings(fmt="text"), out, err=err)
    assert code == 3
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "asker-feil" in lines[0] and "intern feil" in lines[0] and "ZeroDivisionError" in lines[0]
    assert "Traceback" not in err.getvalue()
    assert "== Asker kommune" in out.getvalue() and "1 uten brudd" in out.getvalue()


def test_batch_json_matches_the_multi_budget_report_and_its_schema(repo):
    """The streamed document has what `check A B --format json` has (results, summary, verdict, findings), and passes
    report.schema.json; it adds the summary rows (packages), waiver warnings and the exit code."""
    import jsonschema

    shutil.rmtree(repo / "arkiv")
    streamed = json.loads(run_cli(str(repo), "--format", "json", "--fail-on", "warning").stdout)
    packages = [str(repo / "2024" / "asker"), str(repo / "2024" / "asker-feil")]
    collected = json.loads(run_cli(*packages, "--format", "json", "--fail-on", "warning").stdout)
    for key in ("schema_version", "tool", "results", "summary", "verdict", "findings"):
        assert streamed[key] == collected[key], key
    schema = json.loads((ROOT / "budsjettkontroll" / "report" / "report.schema.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(streamed)) == []
    assert streamed["verdict"]["fail_on"] == "warning" and streamed["exit_code"] == 1


def test_batch_json_with_one_readable_package_passes_the_schema(repo):
    """One good package beside a broken one is still a batch: its JSON document follows report.schema.json."""
    import jsonschema

    shutil.rmtree(repo / "2024" / "asker-feil")
    result = run_cli(str(repo), "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert len(document["results"]) == 1
    schema = json.loads((ROOT / "budsjettkontroll" / "report" / "report.schema.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document)) == []
