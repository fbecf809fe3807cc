"""Isolation: a bug in one figure or rule costs that rule only («Ikke vurdert: intern feil i regelen (…)», one line on
stderr, exit code 3); a bug anywhere else in check is one line and exit 3, never a traceback."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from budsjettkontroll.check import run_check
from budsjettkontroll.derive import FIGURES
from budsjettkontroll.findings import exit_code, summarise

ROOT = Path(__file__).resolve().parents[1]


def _broken(name: str, exc: Exception):
    def compute(f, year):
        raise exc

    return dataclasses.replace(FIGURES[name], compute=compute)


def test_a_failing_figure_is_that_rules_internal_error_and_the_others_still_run(asker, monkeypatch, capsys):
    clean = run_check(asker).findings
    monkeypatch.setitem(FIGURES, "minimumsavdrag", _broken("minimumsavdrag", ZeroDivisionError("division by zero")))
    findings = run_check(asker).findings
    failed = [f for f in findings if f.internal_error]
    # the rules that read minimumsavdrag (directly or through avdrag_under_minimum), every plan year
    assert {f.rule for f in failed} == {"KL-14-18-minimumsavdrag", "KL-14-18-minimumsavdrag-usikker"}
    assert all(f.status == "not_evaluated" for f in failed) and len(failed) == 8  # 2 rules × 4 plan years
    assert failed[0].message == ("Ikke vurdert: intern feil i regelen (ZeroDivisionError: division by zero "
                                 "(i tallet «minimumsavdrag», 2024))")
    # every other rule is judged exactly as before
    others = [(f.rule, f.year, f.subject, f.status, f.message) for f in findings if not f.internal_error]
    assert others == [(f.rule, f.year, f.subject, f.status, f.message) for f in clean
                      if f.rule not in ("KL-14-18-minimumsavdrag", "KL-14-18-minimumsavdrag-usikker")]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("intern feil: regel KL-14-18-minimumsavdrag (regelpakke lov) i pakken ")
    assert "asker-hp-2024-2027" in err[0] and "ZeroDivisionError" in err[0] and "2024, 2025, 2026, 2027" in err[0]
    assert summarise(findings)["internal_errors"] == 8 and "internal_errors" not in summarise(clean)
    assert exit_code(findings) == 3 and exit_code(findings, "info") == 3 and exit_code(clean) == 0


def test_a_figure_that_fails_is_never_read_as_missing_by_a_later_rule(asker, monkeypatch):
    """The first reader's exception is remembered: a second rule reading the figure gets the same internal error,
    not «mangler minimumsavdrag» from a cached None."""
    monkeypatch.setitem(FIGURES, "bruk_av_lan", _broken("bruk_av_lan", KeyError("inv")))
    findings = run_check(asker).findings
    readers = [f for f in findings if "bruk_av_lan" in f.values or f.internal_error]
    assert readers and all(f.internal_error and "KeyError" in f.internal_error for f in readers)
    assert not any("mangler" in f.message and "bruk av lån" in f.message.lower() for f in readers)


def _run_main(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed command's main() in a fresh interpreter, after `code` has broken something."""
    script = textwrap.dedent(code) + "\nimport sys\nfrom budsjettkontroll.cli import main\n" \
        f"sys.argv = ['budsjettkontroll', *{list(args)!r}]\nmain()\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


BREAK_FIGURE = """
import dataclasses
from budsjettkontroll.derive import FIGURES
def boom(f, year):
    raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'int'")
FIGURES["dekket_innen_frist"] = dataclasses.replace(FIGURES["dekket_innen_frist"], compute=boom)
"""


def test_cli_exit_3_with_one_stderr_line_and_a_valid_json_report():
    import jsonschema

    done = _run_main(BREAK_FIGURE, "check", "--format", "json")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("intern feil: regel ") for line in lines)
    assert any("KL-14-11-dekning-merforbruk" in line and "TypeError" in line for line in lines)
    report = json.loads(done.stdout)
    assert report["summary"]["internal_errors"] >= 1 and report["verdict"]["exit_code"] == 3
    assert report["verdict"]["text"].startswith("INTERN FEIL")
    broken = [f for f in report["findings"] if f.get("internal_error")]
    assert broken and all(f["status"] == "not_evaluated" for f in broken)
    assert broken[0]["message"].startswith("Ikke vurdert: intern feil i regelen (TypeError: ")
    judged = [f for f in report["findings"] if f["status"] in ("pass", "fail")]
    assert len(judged) > 400  # the other rules still ran
    schema = json.loads((ROOT / "budsjettkontroll" / "report" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)


def test_a_bug_outside_the_rules_is_one_line_and_exit_3_never_a_traceback():
    breaking = """
    import budsjettkontroll.derive as d
    def broken(self, year):
        raise RuntimeError("noe gikk galt")
    d.Facts._derive_lines = broken
    """
    done = _run_main(breaking, "check", "--format", "text")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("intern feil: RuntimeError: noe gikk galt") and "BUDSJETTKONTROLL_DEBUG=1" in line
    debug = _run_main(breaking, "check", "--format", "text", env={"BUDSJETTKONTROLL_DEBUG": "1"})
    assert debug.returncode == 3 and "Traceback" in debug.stderr and "_derive_lines" in debug.stderr


def test_help_and_readme_document_exit_code_3():
    from typer.testing import CliRunner

    from budsjettkontroll.cli import app

    help_text = " ".join(CliRunner().invoke(app, ["check", "--help"]).stdout.split())
    assert "3 = intern feil" in help_text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Exit-koder"):]
    assert "3" in section[:3000] and "intern feil" in section[:3000]


def test_batch_one_packages_internal_error_does_not_stop_the_others(tmp_path, asker_dir, monkeypatch):
    import io
    import shutil

    from budsjettkontroll import batch

    shutil.copytree(asker_dir, tmp_path / "a")
    shutil.copytree(asker_dir, tmp_path / "b")
    toml = tmp_path / "b" / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('kommune = "Asker"', 'kommune = "Feilby"'),
                    encoding="utf-8")
    original = FIGURES["minimumsavdrag"]

    def sometimes(f, year):
        if f.budget.meta.kommune == "Feilby":
            raise ValueError("bare i Feilby")
        return original.compute(f, year)

    monkeypatch.setitem(FIGURES, "minimumsavdrag", dataclasses.replace(original, compute=sometimes))
    out, err = io.StringIO(), io.StringIO()
    code = batch.run([tmp_path], batch.BatchSettings(fmt="text"), out, err=err)
    assert code == 3
    text = out.getvalue()
    assert "INTERN FEIL" in text and "Asker" in text
    assert batch.overall_code([0, 3, 2, 1]) == 3 and batch.overall_code([0, 1]) == 1 and batch.overall_code([]) == 0


# --- blank cells and blank headers (issue 17.1) ------------------------------------------------------------------

def _blank(package: Path, stem: str, label: str, year: int) -> None:
    import csv

    path = package / f"{stem}.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    col = rows[0].index(str(year))
    (row,) = [r for r in rows if r and r[0] == label]
    row[col] = ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("label", ["Avsetninger til disposisjonsfond", "Bruk av disposisjonsfond",
                                   "Dekning av tidligere års merforbruk i driftsregnskapet"])
def test_a_blank_cell_in_a_disposal_line_is_not_given_and_named_never_a_crash(asker_copy, label):
    from budsjettkontroll.package import load_package

    _blank(asker_copy, "drift", label, 2024)
    budget = load_package(asker_copy)
    row = budget.tables["drift"].find(label)
    assert row.values.get(2024) is None  # «ikke oppgitt», not 0
    findings = run_check(budget).findings
    assert not [f for f in findings if f.internal_error]
    named = [f for f in findings if f.status == "not_evaluated" and f.year == 2024 and f"linje {row.line}: ikke "
             f"oppgitt for 2024" in f.message]
    if label.startswith("Dekning"):  # no sum reads it in Asker's layout; the rules that do name it
        named += [f for f in findings if f.rule == "KL-14-11-dekning-merforbruk" and f.year == 2024]
    assert named, [f.message for f in findings if f.status == "not_evaluated" and f.year == 2024]
    sums = [f for f in named if f.rule == "FORSKR-5-sumlinjer"]
    if not label.startswith("Dekning"):
        assert sums and sums[0].message.endswith(f"Ikke vurdert: mangler «{label}» (drift.csv), linje {row.line}: "
                                                 "ikke oppgitt for 2024")
    # and nothing about 2024 passes on a guessed 0: the same rules in 2025 are judged
    assert any(f.rule == "FORSKR-5-sumlinjer" and f.year == 2025 and f.status == "pass" for f in findings)


def test_an_empty_header_above_amounts_is_exit_2_naming_file_and_column(asker_copy):
    from typer.testing import CliRunner

    from budsjettkontroll.cli import app

    path = asker_copy / "drift.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace(",2025,", ",,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(asker_copy), "--format", "text"])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("feil: ") and "drift.csv" in line and "kolonne 5" in line and "overskrift" in line
