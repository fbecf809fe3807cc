"""Issue 7: configuration (file found upward, environment, command line, in that order of strength) and
waivers (accepted findings with a justification; expired or unused waivers are warnings)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from budsjettkontroll.cli import app
from budsjettkontroll.config import find_config, packages_of, resolve_settings
from budsjettkontroll.errors import InputError

from .conftest import ASKER_DIR, set_cell

runner = CliRunner()
NO_ENV = {k: None for k in ("BUDSJETTKONTROLL_PATHS", "BUDSJETTKONTROLL_POLICY", "BUDSJETTKONTROLL_FAIL_ON",
                            "BUDSJETTKONTROLL_TOLERANCE", "BUDSJETTKONTROLL_SELECT", "BUDSJETTKONTROLL_IGNORE",
                            "BUDSJETTKONTROLL_WAIVERS", "BUDSJETTKONTROLL_FORMAT", "BUDSJETTKONTROLL_CONFIG")}


def run(*args: str, **env: str):
    return runner.invoke(app, ["check", *args], env={**NO_ENV, **env})


def report(*args: str, **env: str) -> tuple[int, dict]:
    result = run(*args, "--format", "json", **env)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    schema = json.loads((resources.files("budsjettkontroll") / "report" / "report.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    return result.exit_code, data


def fails(data: dict, severity: str = "error") -> list[tuple]:
    return [(f["rule"], f["year"]) for f in data["findings"] if f["status"] == "fail" and f["severity"] == severity]


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository with the failing Asker copy under budsjett/asker (Renteutgifter 2025 raised, sums unchanged),
    and the working directory in a subfolder, as in a real checkout."""
    shutil.copytree(ASKER_DIR, tmp_path / "budsjett" / "asker")
    set_cell(tmp_path / "budsjett" / "asker", "drift", "Renteutgifter", 2025, 704212)
    (tmp_path / "docs" / "notater").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "docs" / "notater")
    return tmp_path


# --- configuration ------------------------------------------------------------------------------------------------

def test_config_file_is_found_upward_and_its_paths_are_relative_to_it(repo):
    (repo / "budsjettkontroll.toml").write_text('paths = ["budsjett/asker"]\nignore = ["FORSKR-5-sumlinjer"]\n', "utf-8")
    code, data = report()
    assert Path(data["budget"]["source"]).resolve() == (repo / "budsjett" / "asker").resolve()
    assert not any(f["rule"] == "FORSKR-5-sumlinjer" for f in data["findings"]) and code == 0
    assert find_config() == repo / "budsjettkontroll.toml"


def test_pyproject_section_with_kebab_keys(repo):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.budsjettkontroll]\npaths = ["budsjett/asker"]\n'
                                         'fail-on = "warning"\nselect = ["FORSKR-5-4-udisponert", "KL-14-4"]\n', "utf-8")
    settings = resolve_settings({}, environ={})
    assert settings.fail_on == "warning" and settings.select == ["FORSKR-5-4-udisponert", "KL-14-4"]
    assert settings.sources["fail_on"] == str(repo / "pyproject.toml")
    code, data = report()
    assert {f["rule"] for f in data["findings"]} == {"FORSKR-5-4-udisponert", "KL-14-4-balanse-drift",
                                                    "KL-14-4-balanse-investering", "KL-14-4-fire-ar",
                                                    "KL-14-4-uspesifisert-innsparing", "KL-14-4-innsparingskrav",
                                                    "KL-14-4-fondsbruk", "KL-14-4-fondsbruk-usikker",
                                                    "KL-14-4-momskompensasjon-investering"}
    assert code == 0


def test_unrelated_pyproject_is_passed_by_and_nearest_config_wins(repo):
    (repo / "budsjettkontroll.toml").write_text('fail_on = "info"\n', "utf-8")
    (repo / "docs" / "pyproject.toml").write_text('[project]\nname = "budsjettkontroll-docs"\n', "utf-8")
    assert find_config() == repo / "budsjettkontroll.toml"
    (repo / "docs" / "budsjettkontroll.toml").write_text('fail_on = "warning"\n', "utf-8")
    assert find_config() == repo / "docs" / "budsjettkontroll.toml"
    assert resolve_settings({}, environ={}).fail_on == "warning"


def test_precedence_command_line_over_environment_over_file(repo):
    """Only a MERKNAD (info) fails when the sum-line rule is ignored: the fail-on level decides the exit code."""
    (repo / "budsjettkontroll.toml").write_text('paths = ["budsjett/asker"]\nfail_on = "info"\n'
                                                'ignore = ["FORSKR-5-sumlinjer", "ASKER-", "FORSKR-5-4-udisponert", '
                                                '"KL-14-10"]\n',
                                                "utf-8")
    code, data = report()
    assert fails(data, "info") and not fails(data, "error") and not fails(data, "warning")
    assert code == 1  # file: info
    assert report(BUDSJETTKONTROLL_FAIL_ON="error")[0] == 0  # environment beats the file
    assert report("--fail-on", "info", BUDSJETTKONTROLL_FAIL_ON="error")[0] == 1  # command line beats both
    shown = run("--show-settings", BUDSJETTKONTROLL_FAIL_ON="warning").stdout
    assert "fail_on = warning  (BUDSJETTKONTROLL_FAIL_ON)" in shown
    assert (f"ignore = FORSKR-5-sumlinjer, ASKER-, FORSKR-5-4-udisponert, KL-14-10  "
            f"({repo / 'budsjettkontroll.toml'})") in shown
    # a list from the environment replaces the file's list
    code, data = report(BUDSJETTKONTROLL_IGNORE="ASKER-,FORSKR-5-4-udisponert,KL-14-10")
    assert ("FORSKR-5-sumlinjer", 2025) in fails(data) and code == 1


def test_tolerance_and_paths_from_the_environment(repo):
    """The changed Renteutgifter is 100 000 off over the 5 terms of netto finansutgifter: tolerated at 20 000 per term."""
    target = str(repo / "budsjett" / "asker")
    code, data = report(BUDSJETTKONTROLL_PATHS=target)
    assert ("FORSKR-5-sumlinjer", 2025) in fails(data) and code == 1
    code, data = report(BUDSJETTKONTROLL_PATHS=target, BUDSJETTKONTROLL_TOLERANCE="20000")
    assert fails(data) == [] and code == 0
    code, data = report(BUDSJETTKONTROLL_PATHS=target, BUDSJETTKONTROLL_TOLERANCE="19999")
    assert ("FORSKR-5-sumlinjer", 2025) in fails(data)


def test_isolated_and_explicit_config(repo):
    (repo / "budsjettkontroll.toml").write_text('fail_on = "kanskje"\n', "utf-8")
    assert run("--show-settings").exit_code == 2
    assert run("--isolated", "--show-settings").exit_code == 0
    other = repo / "annen.toml"
    other.write_text('[tool.budsjettkontroll]\nfail_on = "warning"\n', "utf-8")
    result = run("--config", str(other), "--show-settings")
    assert result.exit_code == 0 and "fail_on = warning" in result.stdout
    result = run("--show-settings", BUDSJETTKONTROLL_CONFIG=str(other))
    assert result.exit_code == 0 and "fail_on = warning" in result.stdout


@pytest.mark.parametrize("content, message", [
    ('fail_on = "kanskje"\n', "nøkkelen «fail_on»: må være en av error, warning, info, ikke «kanskje»"),
    ('tolerance = "mye"\n', "nøkkelen «tolerance»: må være et tall, ikke «mye»"),
    ('tolerance = -1\n', "nøkkelen «tolerance»: kan ikke være negativ"),
    ('ignorer = ["X"]\n', "ukjent nøkkel «ignorer»"),
    ('select = 3\n', "nøkkelen «select»: må være en liste med tekster"),
    ('format = "pdf"\n', "nøkkelen «format»: må være en av rich"),
    ('fail_on = \n', "ugyldig TOML"),
])
def test_bad_configuration_is_exit_2_naming_file_and_key(repo, content, message):
    config = repo / "budsjettkontroll.toml"
    config.write_text(content, "utf-8")
    result = run("--format", "json")
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith((f"feil: {config}: ", f"feil: {config}:1: ")) and message in line


def test_bad_environment_is_exit_2_naming_the_variable(repo):
    result = run(BUDSJETTKONTROLL_TOLERANCE="mange")
    assert result.exit_code == 2
    assert result.stderr.strip() == "feil: miljøvariabelen BUDSJETTKONTROLL_TOLERANCE: må være et tall, ikke «mange»"
    assert run("--config", str(repo / "finnes-ikke.toml")).exit_code == 2


def test_format_from_configuration(repo):
    (repo / "budsjettkontroll.toml").write_text('paths = ["budsjett/asker"]\nformat = "junit"\n', "utf-8")
    root = ET.fromstring(run().stdout)
    assert root.tag == "testsuites" and int(root.get("failures")) == 1
    assert run("--format", "github").stdout.startswith("::")


def test_packages_of_changed_files(repo):
    package = repo / "budsjett" / "asker"
    other = repo / "budsjett" / "annen"
    shutil.copytree(ASKER_DIR, other)
    (repo / "data.csv").write_text("a,b\n", "utf-8")
    files = [package / "drift.csv", package / "budsjett.toml", other / "gjeld.csv", repo / "data.csv", repo / "README.md"]
    assert packages_of(files) == [package, other]
    assert packages_of([repo / "data.csv"]) == []


# --- waivers ------------------------------------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


ACCEPT = """\
waivers:
  - rule: FORSKR-5-sumlinjer
    year: 2025
    subject: Netto finansutgifter
    package: asker
    justification: Renteutgiftene er oppjustert etter at tabellen ble trykt; rettes i revidert budsjett.
"""


def test_waived_finding_does_not_fail_and_carries_its_justification(repo):
    waivers = write(repo / "unntak.yaml", ACCEPT)
    target = str(repo / "budsjett" / "asker")
    assert run(target).exit_code == 1
    code, data = report(target, "--waivers", str(waivers))
    assert code == 0 and fails(data) == []
    (waived,) = [f for f in data["findings"] if f["status"] == "waived"]
    assert (waived["rule"], waived["year"]) == ("FORSKR-5-sumlinjer", 2025)
    assert waived["justification"].startswith("Renteutgiftene er oppjustert")
    assert data["summary"]["status"]["waived"] == 1
    text = run(target, "--waivers", str(waivers), "--format", "text").stdout
    assert "Unntatt (waiver) (1)" in text and "UNNTATT" in text and "Renteutgiftene" in text
    sarif = json.loads(run(target, "--waivers", str(waivers), "--format", "sarif").stdout)
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed["suppressions"][0]["justification"].startswith("Renteutgiftene")
    root = ET.fromstring(run(target, "--waivers", str(waivers), "--format", "junit").stdout)
    assert root.get("failures") == "0"
    assert any(s.get("message", "").startswith("Unntatt: Renteutgiftene") for s in root.iter("skipped"))
    markdown = run(target, "--waivers", str(waivers), "--format", "markdown").stdout
    assert "## Unntatt (1)" in markdown and "Renteutgiftene er oppjustert" in markdown


def test_waiver_for_another_package_or_year_does_not_apply_and_is_reported_unused(repo):
    target = str(repo / "budsjett" / "asker")
    for changed in (ACCEPT.replace("package: asker", "package: baerum"), ACCEPT.replace("year: 2025", "year: 2026")):
        waivers = write(repo / "unntak.yaml", changed)
        code, data = report(target, "--waivers", str(waivers))
        assert code == 1 and ("FORSKR-5-sumlinjer", 2025) in fails(data)
        (unused,) = [f for f in data["findings"] if f["rule"] == "BK-unntak-ubrukt"]
        assert unused["status"] == "fail" and unused["severity"] == "warning"
        assert unused["file"] == str(waivers) and unused["line"] == 2
        assert "treffer ikke noe brudd" in unused["message"]


def test_expired_waiver_stops_applying_and_is_a_warning(repo):
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    waivers = write(repo / "unntak.yaml", ACCEPT + f"    expires: {yesterday}\n")
    code, data = report(str(repo / "budsjett" / "asker"), "--waivers", str(waivers))
    assert code == 1 and ("FORSKR-5-sumlinjer", 2025) in fails(data)
    (expired,) = [f for f in data["findings"] if f["rule"] == "BK-unntak-utlopt"]
    assert expired["severity"] == "warning" and yesterday in expired["message"] and expired["line"] == 2
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    waivers = write(repo / "unntak.yaml", ACCEPT + f"    expires: {tomorrow}\n")
    assert report(str(repo / "budsjett" / "asker"), "--waivers", str(waivers))[0] == 0


def test_unused_waiver_fails_only_at_warning_level_and_suggests_the_rule(repo):
    waivers = write(repo / "unntak.yaml", "- rule: KL-14-4-balanse-drif\n  year: hele\n"
                                          "  justification: Skrivefeil i regel-id-en.\n")
    code, data = report("--waivers", str(waivers))  # the lawful bundled budget
    (unused,) = [f for f in data["findings"] if f["rule"] == "BK-unntak-ubrukt"]
    assert "mente du «KL-14-4-balanse-drift»?" in unused["message"] and unused["line"] == 1
    assert code == 0
    assert run("--waivers", str(waivers), "--fail-on", "warning").exit_code == 1
    assert run("--waivers", str(waivers), "--fail-on", "warning", "--ignore", "BK-unntak", "--ignore", "ASKER-",
               "--ignore", "FORSKR-5-4").exit_code == 0


def test_waivers_from_configuration_relative_to_the_config_file(repo):
    write(repo / "unntak.yaml", ACCEPT)
    (repo / "budsjettkontroll.toml").write_text('paths = ["budsjett/asker"]\nwaivers = "unntak.yaml"\n', "utf-8")
    code, data = report()
    assert code == 0 and data["summary"]["status"]["waived"] == 1


@pytest.mark.parametrize("content, message", [
    ("- rule: FORSKR-5-sumlinjer\n  year: 2025\n", "unntak nr. 1, feltet «justification»: mangler"),
    ("- rule: FORSKR-5-sumlinjer\n  year: 2025\n  justification: '  '\n", "begrunnelsen (justification) er påkrevd"),
    ("- rule: X\n  justification: fordi\n", "feltet «year»: mangler"),
    ("- rule: X\n  year: 2025\n  justification: fordi\n  expires: snart\n", "feltet «expires»"),
    ("- rule: X\n  year: 2025\n  justification: fordi\n  grunn: x\n", "feltet «grunn»"),
    ("- !!python/object/apply:os.system ['echo']\n", "ugyldig YAML"),
    ("waivers: {rule: X}\n", "unntaksfilen må være en liste"),
    ("- rule: [\n", "ugyldig YAML"),
])
def test_bad_waiver_file_is_exit_2_with_file_and_line(repo, content, message):
    waivers = write(repo / "unntak.yaml", "# godtatte brudd\n" + content)
    result = run("--waivers", str(waivers))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"feil: {waivers}") and message in line for line in lines), lines
    if "nr. 1" in message:
        assert lines[0].startswith(f"feil: {waivers}:2:")


def test_library_api_raises_input_error_for_bad_values(repo):
    with pytest.raises(InputError):
        resolve_settings({}, environ={"BUDSJETTKONTROLL_FAIL_ON": "alt"})


# --- the README's examples are valid ------------------------------------------------------------------------------

def readme_block(section: str, language: str) -> str:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return body.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_readme_configuration_example_is_valid(tmp_path):
    config = write(tmp_path / "pyproject.toml", readme_block("Konfigurasjon", "toml"))
    settings = resolve_settings({}, environ={}, cwd=tmp_path)
    assert settings.config_file == config and settings.fail_on == "warning" and settings.policy == "asker"
    assert settings.paths == [str(tmp_path / "budsjett/hp-2025-2028")]
    assert settings.waivers == str(tmp_path / "budsjett/unntak.yaml") and settings.ignore == ["FORSKR-5-avrunding"]


def test_readme_waiver_example_is_valid(tmp_path):
    from budsjettkontroll.waivers import load_waivers

    (waiver,) = load_waivers(write(tmp_path / "unntak.yaml", readme_block("Unntak (waivers)", "yaml")))
    assert waiver.spec.rule == "FORSKR-5-sumlinjer" and waiver.years == [2025] and waiver.line == 2
    assert waiver.spec.expires == dt.date(2025, 6, 30) and waiver.spec.justification.startswith("Renteutgiftene")
