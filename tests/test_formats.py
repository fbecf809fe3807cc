"""Issue 7: every report format, for the bundled Asker budget and for a copy with one number changed, parsed
and checked for what it must carry; and the exit codes for each case."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from budsjettkontroll.adjust import Change, apply_changes
from budsjettkontroll.cli import app
from budsjettkontroll.package import load_package
from budsjettkontroll.report import FORMATS
from budsjettkontroll.report.github import annotation, escape_data, escape_property
from budsjettkontroll.writer import write_folder

from .conftest import ASKER_DIR, set_cell

runner = CliRunner()

# The failing copy: Renteutgifter 2025 raised by 100 000 with the printed sums left alone, so «Netto
# finansutgifter» (drift.csv line 15) no longer adds up in 2025: one statutory error, at one line.
RENTER_2025 = ("drift", "Renteutgifter", 2025, 704212)
BROKEN = ("FORSKR-5-sumlinjer", 2025, "Netto finansutgifter")


def schema() -> dict:
    return json.loads((resources.files("budsjettkontroll") / "report" / "report.schema.json").read_text("utf-8"))


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, ["check", *args], env=env)


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """A working directory holding two packages: `lovlig` (the bundled budget) and `brudd` (the failing copy)."""
    import shutil

    shutil.copytree(ASKER_DIR, tmp_path / "lovlig")
    shutil.copytree(ASKER_DIR, tmp_path / "brudd")
    set_cell(tmp_path / "brudd", *RENTER_2025)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(data)
    return data


def failing(findings: list[dict], severities=("error",)) -> list[dict]:
    return [f for f in findings if f["status"] == "fail" and f["severity"] in severities]


# --- JSON ---------------------------------------------------------------------------------------------------------

def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_json_validates_and_summary_reconciles(work, package):
    data = check_json(package)
    findings = data["findings"]
    summary = data["summary"]
    assert summary["total"] == len(findings) == sum(summary["status"].values())
    for status, count in summary["status"].items():
        assert count == sum(1 for f in findings if f["status"] == status)
    for severity, count in summary["failed_by_severity"].items():
        assert count == sum(1 for f in findings if f["status"] == "fail" and f["severity"] == severity)
    # every input file with its sha256, recomputed here from the bytes on disk
    files = sorted(p for p in (work / package).iterdir() if p.is_file() and p.suffix in (".csv", ".toml"))
    assert sorted(Path(p).resolve() for p in data["inputs"]) == [p.resolve() for p in files]
    for path, digest in data["inputs"].items():
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest
    assert {"pack": "lov", "version": load_pack_version("lov")} in data["rule_packs"]
    assert data["judged_as_of"] == "2024-01-01"
    assert data["budget"]["kommune"] == "Asker" and data["budget"]["years"]["plan"] == [2024, 2025, 2026, 2027]
    errors = failing(findings)
    assert data["verdict"]["exit_code"] == (1 if errors else 0)
    if package == "lovlig":
        assert errors == []
    else:
        assert [(f["rule"], f["year"]) for f in errors] == [BROKEN[:2]]
        assert BROKEN[2] in errors[0]["subject"] and errors[0]["line"] == 15
        assert Path(errors[0]["file"]).name == "drift.csv"


def load_pack_version(name: str) -> str:
    from budsjettkontroll.rules.loader import load_pack

    return load_pack(name).spec.version


def test_json_carries_key_figures_that_match_the_schema(work):
    data = check_json("lovlig")
    figures = data["key_figures"]
    ndr = {f["year"]: f for f in figures if f["id"] == "netto_driftsresultat_pst"}
    assert sorted(ndr) == [2024, 2025, 2026, 2027]
    assert ndr[2024]["level"] == "unacceptable" and ndr[2027]["level"] in ("acceptable", "target")


def test_json_is_byte_identical_for_the_same_input(work):
    first = run("brudd", "--format", "json").stdout
    second = run("brudd", "--format", "json").stdout
    assert first == second and first.startswith("{")


def test_json_for_several_budgets_validates_and_adds_up(work):
    data = check_json("lovlig", "brudd")
    assert len(data["results"]) == 2 and "budget" not in data
    assert data["summary"]["total"] == len(data["findings"]) == sum(len(r["findings"]) for r in data["results"])
    assert data["verdict"]["exit_code"] == 1
    assert [r["verdict"]["exit_code"] for r in data["results"]] == [0, 1]


# --- JUnit --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_junit_one_case_per_rule_year_and_subject(work, package):
    findings = check_json(package)["findings"]
    result = run(package, "--format", "junit")
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(findings) == int(root.get("tests"))
    suites = root.findall("testsuite")
    assert sum(int(s.get("tests")) for s in suites) == len(cases)
    assert sum(int(s.get("failures")) for s in suites) == int(root.get("failures"))
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert len(names) == len(cases), "a rule, year and subject is one test case"
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == sum(1 for f in findings if f["status"] in ("not_evaluated", "waived"))
    assert len(failures) == len(failing(findings)) == int(root.get("failures"))
    assert result.exit_code == (1 if failures else 0)
    if package == "brudd":
        (case,) = failures
        assert case.get("name").startswith("FORSKR-5-sumlinjer [2025]") and BROKEN[2] in case.get("name")
        failure = case.find("failure")
        assert failure.get("type") == "error" and "772 073" in failure.get("message")
        assert "forskriften" in failure.text and case.get("file") == "brudd/drift.csv" and case.get("line") == "15"


def test_junit_with_fail_on_warning_turns_warnings_into_failures(work):
    findings = check_json("lovlig")["findings"]
    root = ET.fromstring(run("lovlig", "--format", "junit", "--fail-on", "warning").stdout)
    assert int(root.get("failures")) == len(failing(findings, ("error", "warning")))


# --- SARIF --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_sarif_rules_and_located_results(work, package):
    findings = check_json(package)["findings"]
    result = run(package, "--format", "sarif")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    (run_,) = sarif["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "budsjettkontroll" and driver["version"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule["shortDescription"]["text"] and "Hjemmel:" in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    statutory = [r for r in rules if r["id"].startswith(("KL-", "FORSKR-"))]
    assert statutory and all(r["helpUri"].startswith("https://lovdata.no/") for r in statutory)
    results = run_["results"]
    assert len(results) == sum(1 for f in findings if f["status"] in ("fail", "waived"))
    for item in results:
        assert ids[item["ruleIndex"]] == item["ruleId"] and item["message"]["text"]
        location = item["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and location["uri"].startswith(f"{package}/")
    artifacts = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run_["artifacts"]}
    assert artifacts[f"{package}/drift.csv"] == hashlib.sha256((work / package / "drift.csv").read_bytes()).hexdigest()
    errors = [r for r in results if r["level"] == "error"]
    if package == "lovlig":
        assert errors == []
    else:
        (error,) = errors
        assert error["ruleId"] == BROKEN[0] and error["properties"]["year"] == 2025
        physical = error["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "brudd/drift.csv" and physical["region"]["startLine"] == 15


def test_sarif_points_at_budsjett_toml_when_no_line_applies(work):
    """A merforbruk in the 2022 accounts not covered within two years (kommuneloven § 14-11) is a breach of the
    plan as a whole, not of one line: the result points at the package's budsjett.toml, without a region."""
    with (work / "brudd" / "nokkeltall.csv").open("a", encoding="utf-8") as fh:
        fh.write("Merforbruk i regnskapet,5000,,,,,\n")
    set_cell(work / "brudd", "drift", "Renteutgifter", 2025, 604212)  # only the § 14-11 breach this time
    sarif = json.loads(run("brudd", "--format", "sarif").stdout)
    errors = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert [r["ruleId"] for r in errors] == ["KL-14-11-dekning-merforbruk"]
    physical = errors[0]["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "brudd/budsjett.toml", "uriBaseId": "%SRCROOT%", "index": 0}}
    artifacts = sarif["runs"][0]["artifacts"]
    assert artifacts[0]["location"]["uri"] == "brudd/budsjett.toml"


# --- GitHub annotations -------------------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice) (file=[^,:]+,(line=\d+,)?)?title=[^:]+::.+$")


@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_github_annotations(work, package):
    findings = check_json(package)["findings"]
    result = run(package, "--format", "github")
    lines = result.stdout.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert all(ANNOTATION.match(line) for line in commands), commands[:3]
    assert len(commands) == sum(1 for f in findings if f["status"] == "fail")
    errors = [line for line in commands if line.startswith("::error")]
    assert len(errors) == len(failing(findings))
    if package == "brudd":
        assert errors[0].startswith("::error file=brudd/drift.csv,line=15,title=FORSKR-5-sumlinjer (2025)::")
    assert lines[-1].startswith("budsjettkontroll: Asker")


def test_github_escaping_cannot_forge_a_command(asker):
    from budsjettkontroll.check import run_check

    finding = next(f for f in run_check(asker).findings if f.status == "fail")
    finding.message = "første linje\n::error::forfalsket 100%"
    finding.rule = "A,B:C"
    line = annotation(finding)
    assert "\n" not in line and "%0A::error::forfalsket 100%25" in line
    assert "title=A%2CB%3AC (" in line
    assert escape_data("a\r\nb%") == "a%0D%0Ab%25" and escape_property("x:y,z") == "x%3Ay%2Cz"


# --- Markdown -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_markdown_summary(work, package):
    data = check_json(package)
    text = run(package, "--format", "markdown").stdout
    assert text.startswith("# Budsjettkontroll: Asker kommune")
    assert f"**Konklusjon: {'❌' if data['verdict']['exit_code'] else '✅'} {data['verdict']['text']}**" in text
    for heading in ("## Hovedtall", "## Brudd", "## Handlingsregler"):
        assert heading in text
    assert "[kommuneloven § 14-4 tredje ledd](<https://lovdata.no/lov/2018-06-22-83/§14-4>)" in text
    rows = [line for line in text.splitlines() if line.startswith("| feil | FORSKR-5-sumlinjer | 2025 |")]
    assert len(rows) == (1 if package == "brudd" else 0)
    if rows:
        assert "brudd/drift.csv:15" in rows[0].replace("\\", "")


def test_markdown_escapes_input_text(work):
    toml = work / "lovlig" / "budsjett.toml"
    toml.write_text(toml.read_text("utf-8").replace('kommune = "Asker"', 'kommune = "Asker | <b>x</b> *y*"'), "utf-8")
    text = run("lovlig", "--format", "markdown").stdout
    assert "Asker \\| &lt;b&gt;x&lt;/b&gt; \\*y\\*" in text and "<b>" not in text


# --- HTML ---------------------------------------------------------------------------------------------------------

class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        self.text.append(data)


def parse_html(text: str) -> Tags:
    parser = Tags()
    parser.feed(text)
    return parser


@pytest.mark.parametrize("package", ["lovlig", "brudd"])
def test_html_is_self_contained_and_complete(work, package):
    data = check_json(package)
    html = run(package, "--format", "html").stdout
    page = parse_html(html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not any("src" in attrs for _, attrs in page.tags)
    assert "@import" not in page.style and "url(" not in page.style and "@page { size: A4" in page.style
    reference_urls = {r["url"] for f in data["findings"] for r in f["references"] if r.get("url")}
    links = [attrs["href"] for tag, attrs in page.tags if "href" in attrs]
    assert links and all(tag == "a" for tag, attrs in page.tags if "href" in attrs)
    assert set(links) <= reference_urls
    assert any(url.startswith("https://lovdata.no/") for url in links)
    # every http(s) in the document is one of those links
    assert len(re.findall(r"https?://", html)) == len(links)
    assert ('lang', 'nb') in page.tags[0][1].items()
    words = " ".join(page.text)
    for section in ("Hovedtall", "Brudd", "Handlingsregler", "Oppfylt", "Ikke vurdert", "Kommune", "Lovverket per"):
        assert section in words
    assert f"Konklusjon: {data['verdict']['text']}" in words
    verdict_class = next(attrs["class"] for tag, attrs in page.tags if "verdict" in attrs.get("class", ""))
    assert verdict_class == ("verdict bad" if data["verdict"]["exit_code"] else "verdict ok")
    if package == "brudd":
        assert "BRUDD" in words and "brudd/drift.csv:15" in words


def test_html_traffic_lights_and_charts_for_each_key_figure(work):
    data = check_json("lovlig")
    html = run("lovlig", "--format", "html").stdout
    page = parse_html(html)
    charted = [attrs["data-figure"] for tag, attrs in page.tags if tag == "figure"]
    per_year = {f["id"] for f in data["key_figures"] if f["year"] is not None and f["value"] is not None}
    assert set(charted) == per_year
    assert sum(1 for t, _ in page.tags if t == "svg") == len(charted)
    lights = [attrs["class"] for tag, attrs in page.tags if tag == "td" and attrs.get("class", "").startswith("lvl ")]
    judged = [f for f in data["key_figures"] if f.get("rule")]
    assert len(lights) == len(judged)
    assert "lvl l-unacceptable" in lights  # netto driftsresultat 2024
    bands = [attrs for tag, attrs in page.tags if tag == "rect"]
    assert bands, "the bands of the handlingsregler are drawn behind the values"


def test_html_escapes_input_text(work):
    toml = work / "lovlig" / "budsjett.toml"
    text = toml.read_text("utf-8")
    toml.write_text(text.replace('kommune = "Asker"', 'kommune = "<script>alert(1)</script>"'), "utf-8")
    html = run("lovlig", "--format", "html").stdout
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- terminal -----------------------------------------------------------------------------------------------------

def test_terminal_shows_rounding_as_merknad_not_brudd(work):
    data = check_json("lovlig")
    remarks = [f for f in data["findings"] if f["status"] == "fail" and f["severity"] == "info"]
    assert remarks, "the Asker document has rounding differences"
    text = run("lovlig", "--format", "text").stdout
    assert "\x1b[" not in text  # not a terminal: plain text
    assert f"Merknader ({len(remarks)})" in text
    brudd = text.split("Merknader (")[0]
    assert "FORSKR-5-avrunding" not in brudd.split("Konklusjon:")[1]
    assert text.count("MERKNAD") == len({f["rule"] for f in remarks})  # one line per rule; --verbose shows each
    verbose = run("lovlig", "--format", "text", "--verbose").stdout
    assert verbose.count("MERKNAD") == len(remarks)


def test_terminal_prints_names_as_written_not_as_emoji(work):
    toml = work / "lovlig" / "budsjett.toml"
    toml.write_text(toml.read_text("utf-8").replace('kommune = "Asker"', 'kommune = "Asker :warning: :smile:"'), "utf-8")
    for fmt in ("text", "rich"):
        text = run("lovlig", "--format", fmt).stdout
        assert "Asker :warning: :smile: kommune" in text and "⚠" not in text and "😄" not in text


def test_no_color_is_honoured(work):
    coloured = run("lovlig", "--format", "rich", env={"NO_COLOR": ""})
    plain = run("lovlig", "--format", "rich", env={"NO_COLOR": "1"})
    assert "\x1b[" in coloured.stdout and "\x1b[" not in plain.stdout


# --- every format, both packages, exit codes ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_gives_the_same_exit_code(work, fmt):
    assert run("lovlig", "--format", fmt).exit_code == 0
    assert run("brudd", "--format", fmt).exit_code == 1


@pytest.mark.parametrize("fmt", ["json", "html", "markdown", "junit", "sarif", "github"])
def test_output_file_is_written_and_not_overwritten_without_force(work, fmt):
    target = work / f"rapport.{fmt}"
    first = run("brudd", "--format", fmt, "--output", str(target))
    assert first.exit_code == 1 and target.read_text("utf-8") == run("brudd", "--format", fmt).stdout
    again = run("brudd", "--format", fmt, "--output", str(target))
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run("brudd", "--format", fmt, "--output", str(target), "--force").exit_code == 1


@pytest.fixture
def warnings_only(work) -> Path:
    """Asker with 5 000 less set aside to disposisjonsfond in 2025, the printed sums following: netto
    driftsresultat is no longer fully disposed (a warning), and no error-level rule fails."""
    budget = apply_changes(load_package(work / "lovlig"), [Change("drift", "Avsetninger til disposisjonsfond", 2025,
                                                                  -5000)])
    return write_folder(budget, work / "advarsel")


def test_exit_codes(work, warnings_only):
    data = check_json(str(warnings_only))
    assert failing(data["findings"]) == []
    assert ("FORSKR-5-4-udisponert", 2025) in {(f["rule"], f["year"]) for f in failing(data["findings"], ("warning",))}
    assert run("lovlig").exit_code == 0
    assert run("brudd").exit_code == 1
    assert run(str(warnings_only)).exit_code == 0
    assert run(str(warnings_only), "--fail-on", "warning").exit_code == 1
    assert run(str(warnings_only), "--fail-on", "warning", "--ignore", "FORSKR-5-4-udisponert",
               "--ignore", "ASKER-").exit_code == 0
    # bad input, bad configuration, a broken rule pack: 2, one line each, no traceback
    missing = run("finnes-ikke")
    assert missing.exit_code == 2 and missing.stderr.startswith("feil: finnes-ikke")
    (work / "budsjettkontroll.toml").write_text('fail_on = "alltid"\n', "utf-8")
    config = run("lovlig")
    assert config.exit_code == 2 and "fail_on" in config.stderr and "budsjettkontroll.toml" in config.stderr
    (work / "budsjettkontroll.toml").unlink()
    (work / "ødelagt.yaml").write_text("pack: x\nversion: '1'\ntitle: x\nrules:\n  - id: X\n    condition: [\n", "utf-8")
    broken = run("lovlig", "--pack", str(work / "ødelagt.yaml"))
    assert broken.exit_code == 2 and "ødelagt.yaml" in broken.stderr
    for result in (missing, config, broken):
        assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_no_rule_evaluated_is_never_success(work):
    result = run("lovlig", "--select", "FINNES-IKKE", "--format", "json")
    data = json.loads(result.stdout)
    assert data["findings"] == [] and result.exit_code == 1 and data["verdict"]["exit_code"] == 1
    assert run("lovlig", "--select", "FINNES-IKKE", "--format", "text").exit_code == 1


def test_help_documents_exit_codes():
    text = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "200"}).stdout
    flat = " ".join(text.split())
    assert "0 = ingen brudd" in flat and "1 = minst ett brudd" in flat and "2 = ugyldig inndata" in flat


# --- amend --format ----------------------------------------------------------------------------------------------

UNFUNDED = """\
tittel: Flere lærere uten inndekning
parti: Testpartiet
grunnlag: asker-hp-2024-2027
endringer:
  - tekst: Flere lærere
    tabell: område
    linje: Oppvekst
    beløp: {2025: 5000}
"""


def amend(*args: str):
    return runner.invoke(app, ["amend", *args])


def test_amend_markdown_shows_the_gap_and_the_change(work):
    proposal = work / "forslag.yaml"
    proposal.write_text(UNFUNDED, "utf-8")
    result = amend("lovlig", str(proposal), "--format", "markdown")
    assert result.exit_code == 1, result.output
    text = result.stdout
    assert text.startswith("# Endringsforslag: Flere lærere uten inndekning – Testpartiet")
    assert "**Konklusjon: ❌ IKKE SALDERT i 2025**" in text and "- merforbruk 5 000 i 2025: mangler inndekning" in text
    assert "| 1 | Flere lærere | § 5-4 andre ledd: Oppvekst | forslag.yaml:" in text
    assert "| – | 5 000 | – | – |" in text
    assert "| 2025 | 0 | merforbruk 5 000 | 0 | 0 | **NEI** | nr. 1 «Flere lærere» +5 000 |" in text
    changed = text.split("## Regler med endret status", 1)[1]
    assert "| KL-14-4-balanse-drift | 2025 | OK → BRUDD |" in changed


@pytest.mark.parametrize("fmt", ["github", "junit", "sarif", "html"])
def test_amend_check_formats_report_the_amended_budget(work, fmt):
    proposal = work / "forslag.yaml"
    proposal.write_text(UNFUNDED, "utf-8")
    result = amend("lovlig", str(proposal), "--format", fmt)
    assert result.exit_code == 1
    if fmt == "github":
        assert "::error file=lovlig/drift.csv,line=25,title=KL-14-4-balanse-drift (2025)::" in result.stdout
    elif fmt == "junit":
        failures = [c for c in ET.fromstring(result.stdout).iter("testcase") if c.find("failure") is not None]
        assert [c.get("name") for c in failures] == ["KL-14-4-balanse-drift [2025]"]
    elif fmt == "sarif":
        errors = [r for r in json.loads(result.stdout)["runs"][0]["results"] if r["level"] == "error"]
        assert [(r["ruleId"], r["properties"]["year"]) for r in errors] == [("KL-14-4-balanse-drift", 2025)]
    else:
        assert "Merforbruk 5 000 i 2025" in result.stdout and 'class="verdict bad"' in result.stdout


# --- Settings that change what is judged (issue 14 item 2) -------------------------------------------------------

FILTER_FORMATS = ("text", "markdown", "html", "json")


def _verdict_and_settings(fmt: str, *args: str, env: dict | None = None) -> str:
    result = run("brudd", "--format", fmt, *args, env=env)
    assert result.exit_code == 0, result.output  # the one breach is in the ignored rule
    if fmt == "json":
        data = json.loads(result.stdout)
        jsonschema.Draft202012Validator(schema()).validate(data)
        return json.dumps({"verdict": data["verdict"]["text"], "settings": data["settings"]}, ensure_ascii=False)
    if fmt == "html":
        return " ".join(parse_html(result.stdout).text)
    return " ".join(result.stdout.replace("\\", "").split())


@pytest.mark.parametrize("fmt", FILTER_FORMATS)
def test_ignored_rule_is_stated_next_to_the_verdict_in_every_format(work, fmt):
    text = _verdict_and_settings(fmt, "--ignore", BROKEN[0])
    assert "INGEN LOVBRUDD FUNNET (1 regel utelatt)" in text
    assert "INGEN LOVBRUDD FUNNET," not in text and "INGEN LOVBRUDD FUNNET;" not in text
    assert BROKEN[0] in text and "kommandolinjen" in text
    if fmt == "text":  # next to the conclusion: within the first lines, before the breaches
        head = text.split("Brudd")[0]
        assert "Konklusjon: INGEN LOVBRUDD FUNNET (1 regel utelatt)" in head
        assert "Hoppet over (--ignore)" in head


@pytest.mark.parametrize("fmt", FILTER_FORMATS)
def test_settings_from_environment_and_config_file_name_their_source(work, fmt):
    (work / "pyproject.toml").write_text('[tool.budsjettkontroll]\nignore = ["FORSKR-5-sumlinjer"]\n', "utf-8")
    text = _verdict_and_settings(fmt)
    assert "(1 regel utelatt)" in text and "pyproject.toml [tool.budsjettkontroll]" in text
    (work / "pyproject.toml").unlink()
    text = _verdict_and_settings(fmt, env={"BUDSJETTKONTROLL_IGNORE": "FORSKR-5-sumlinjer"})
    assert "(1 regel utelatt)" in text and "miljøvariabelen BUDSJETTKONTROLL_IGNORE" in text


def test_json_settings_lists_the_rules_left_out_and_the_waiver_file(work):
    (work / "unntak.yaml").write_text("waivers:\n  - rule: FORSKR-5-sumlinjer\n    year: 2025\n    subject: Netto "
                                      "finansutgifter\n    justification: Renteutgiftene er oppjustert etter trykking.\n",
                                      "utf-8")
    data = check_json("brudd", "--waivers", "unntak.yaml", "--select", "FORSKR-5", "--pack", "lov")
    entries = {e["key"]: e for e in data["settings"]["entries"]}
    assert entries["waivers"]["value"] == "unntak.yaml" and entries["waivers"]["effect"] == "1 funn unntatt"
    assert entries["select"]["source"] == "kommandolinjen" and entries["pack"]["value"] == ["lov"]
    left_out = data["settings"]["rules_left_out"]
    assert left_out and not any(r.startswith("FORSKR-5") for r in left_out) and "KL-14-4-balanse-drift" in left_out
    assert f"({len(left_out)} regler utelatt)" in data["verdict"]["text"]
    plain = check_json("lovlig")
    assert plain["settings"] == {"config_file": None, "entries": [], "rules_left_out": []}
    assert "utelatt" not in plain["verdict"]["text"]


# --- The auditor's memo: conclusion first (issue 14 items 4-5) -------------------------------------------------------

def test_terminal_memo_puts_the_conclusion_first_and_groups_what_was_not_assessed(work):
    text = run("lovlig", "--format", "text").stdout
    flat = " ".join(text.split())
    order = [flat.index(h) for h in ("Konklusjon:", "Brudd (7)", "Lovkrav som ikke kunne vurderes (3)",
                                      "Handlingsregler og nøkkeltall", "Hovedtall", "Oppsummering:")]
    assert order == sorted(order)
    legal = flat.split("Lovkrav som ikke kunne vurderes")[1].split("Handlingsregler og nøkkeltall")[0]
    assert "KL-14-18-minimumsavdrag" in legal and "KL-14-11-dekning-merforbruk" in legal
    assert "Be administrasjonen om «Bokført verdi avskrivbare anleggsmidler» (nokkeltall.csv)" in legal
    # the selvkost pack has no selvkost calculation: one line, not 112 rows, and not its table of dashes
    assert flat.count("Selvkost: ikke vurdert, pakken har ingen selvkostkalkyle") == 1
    assert "SK-fond-rullering" not in flat and "Selvkost per område" not in flat
    # error rules that could not be judged are never called «feil»
    assert not any("IKKE VURDERT" in line and "feil" in line for line in text.splitlines())
    assert len(text.splitlines()) < 200
    verbose = run("lovlig", "--format", "text", "--verbose", env={"COLUMNS": "200"}).stdout
    assert "SK-fond-rullering" in verbose and "FORSKR-5-sumlinjer" in verbose


def test_terminal_width_follows_the_terminal(work):
    narrow = run("lovlig", "--format", "text", env={"COLUMNS": "80"}).stdout
    wide = run("lovlig", "--format", "text", env={"COLUMNS": "160"}).stdout
    assert max(map(len, narrow.splitlines())) <= 80 < max(map(len, wide.splitlines())) <= 160


def test_html_memo_then_appendix(work):
    html = run("lovlig", "--format", "html").stdout
    memo, appendix = html.split('<h2 class="appendix">')
    for heading in ("Brudd (7)", "Lovkrav som ikke kunne vurderes (3)", "Handlingsregler", "Hovedtall"):
        assert heading in memo
    assert "KL-14-18-minimumsavdrag" in memo and "Be administrasjonen om" in memo
    assert memo.index("Konklusjon:") < memo.index("Brudd (7)") < memo.index("Lovkrav som ikke") < memo.index("Hovedtall")
    assert "SK-fond-rullering" not in memo and "SK-fond-rullering" in appendix
    assert "<svg" not in memo and "<svg" in appendix


# --- Traceable (issue 14 item 6) -------------------------------------------------------------------------------------

def test_every_breach_shows_file_and_line_and_key_figures_their_operands(work):
    text = " ".join(run("lovlig", "--format", "text", env={"COLUMNS": "250"}).stdout.split())
    data = check_json("lovlig")
    for f in failing(data["findings"], ("warning",)):
        where = f"lovlig/{Path(f['file']).name}:{f['line']}"
        assert where in text, where
    # gjeldsgrad 2024 = lånegjeld 9 800 000 ÷ brutto driftsinntekter 9 653 092 = 101,5 %
    assert "Grunnlag: lånegjeld ekskl. startlån (UB), oppgitt eller fremskrevet = 9 800 000; brutto driftsinntekter" \
           in text and "= 9 653 092" in text
    for fmt in ("markdown", "html"):
        assert "= 9 800 000" in run("lovlig", "--format", fmt).stdout


def test_explain_with_budget_shows_this_packages_numbers_per_year(work):
    rule = runner.invoke(app, ["explain", "KL-14-18-minimumsavdrag", "--budget", "lovlig"])
    assert rule.exit_code == 0, rule.output
    numbers = rule.stdout.split("Med tallene i Asker kommune")[1]
    for year, avdrag in ((2024, "400 000"), (2027, "455 000")):
        assert f"{year}: IKKE VURDERT (lovkrav)" in numbers
        assert f"drift_avdrag = {avdrag}" in numbers
    assert "anleggsmidler_grunnlag = mangler" in numbers and "(feil)" not in numbers
    figure = runner.invoke(app, ["explain", "gjeldsgrad", "--budget", "lovlig"]).stdout
    assert "2024: 101,5" in figure and "= 9 800 000" in figure and "= 9 653 092" in figure
    policy = runner.invoke(app, ["explain", "ASKER-HR-gjeldsgrad", "--budget", "lovlig"]).stdout
    assert "2027: BRUDD (advarsel)" in policy and "nivå = ikke godkjent" in policy


def test_explain_text_is_norwegian():
    from budsjettkontroll.report.explain_budget import looks_english

    for name in ("netto-driftsresultat-pst", "gjeldsgrad", "KL-14-4-balanse-drift", "KL-14-18-minimumsavdrag"):
        out = runner.invoke(app, ["explain", name]).stdout
        definitions = out.split("Størrelser:")[1].split("\n\n")[0] if "Størrelser:" in out else \
            out.split("Definisjon:")[1].split("\n\n")[0]
        assert definitions.strip() and not looks_english(definitions), (name, definitions)
    from budsjettkontroll.rules.loader import load_pack
    from budsjettkontroll.report.explain_budget import norwegian_doc

    english = {n for p in ("lov", "selvkost") for c in load_pack(p).rules for n in c.names
               if looks_english(norwegian_doc(n))}
    assert english == set()
