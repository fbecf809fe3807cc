"""`budsjettkontroll diff A B` (issue 14 item 9), demonstrated on the bundled budget against the bundled
endringsforslag written as packages with `amend --write-package`: no second real version of the Asker budget is
bundled, so the «B» versions here are the example proposals applied to it (and say so in their title)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budsjettkontroll.cli import app

runner = CliRunner()
ASKER = "asker-hp-2024-2027"


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, Path]:
    """The three bundled proposals applied to Asker and written as packages."""
    root = tmp_path_factory.mktemp("versjoner")
    out = {}
    for name in ("flerbrukshall", "omfordeling"):
        target = root / name
        result = cli("amend", ASKER, f"endringsforslag-{name}", "--write-package", target, "--format", "json")
        assert result.exit_code in (0, 1), result.output
        out[name] = target
    return out


def test_json_lists_changed_cells_with_totals_moved_verdicts_and_balance(versions):
    result = cli("diff", ASKER, versions["flerbrukshall"], "--format", "json")
    assert result.exit_code == 1  # B does not balance in 2026 and 2027
    data = json.loads(result.stdout)
    assert data["a"]["saldert"] is True and data["b"]["saldert"] is False
    assert "Eksempelpartiet C" in data["b"]["title"]
    balance = {b["year"]: b for b in data["balance"]}
    assert balance[2026]["drift"] == {"a": 0, "b": 6613} and balance[2027]["saldert"] == {"a": True, "b": False}
    schedules = {s["schedule"]: s for s in data["schedules"]}
    projects = schedules["investering_fordeling"]
    assert projects["added_lines"] == ["Ny flerbrukshall (eksempel)"]
    cells = {(c["line"], c["year"]): c for c in projects["cells"]}
    assert cells[("Ny flerbrukshall (eksempel)", 2025)] == {"line": "Ny flerbrukshall (eksempel)", "del": 1,
                                                            "year": 2025, "a": None, "b": 80000, "change": None}
    assert projects["totals"] == {"2025": 80000, "2026": 120000}
    drift = {(c["line"], c["year"]): c for c in schedules["drift"]["cells"]}
    assert drift[("Renteutgifter", 2026)]["change"] == 4480  # interest on the new loan, as amend derived it
    moved = {(v["rule"], v["year"]): (v["a"], v["b"]) for v in data["verdicts"]}
    assert moved[("KL-14-4-balanse-drift", 2026)] == ("pass", "fail")
    assert moved[("KL-14-4-balanse-drift", 2027)] == ("pass", "fail")
    figures = {(k["id"], k["year"]): k for k in data["key_figures"]}
    assert figures[("netto_driftsresultat_pst", 2026)]["shown"] == {"a": "2,5 %", "b": "2,4 %"}


def test_a_balanced_version_exits_0_and_an_identical_one_has_no_changes(versions):
    balanced = cli("diff", ASKER, versions["omfordeling"], "--format", "json")
    assert balanced.exit_code == 0, balanced.output
    data = json.loads(balanced.stdout)
    assert data["b"]["saldert"] is True and data["verdicts"] == []
    areas = {s["schedule"]: s for s in data["schedules"]}["drift_fordeling"]
    oppvekst = {c["year"]: c["change"] for c in areas["cells"] if c["line"] == "Oppvekst"}
    assert oppvekst == {2024: 15000, 2025: 15000, 2026: 15000, 2027: 15000}
    same = json.loads(cli("diff", ASKER, ASKER, "--format", "json").stdout)
    assert same["schedules"] == [] and same["verdicts"] == [] and same["key_figures"] == []


def _text(page: str) -> str:
    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_says_balance_verdicts_and_cells(versions, fmt):
    result = cli("diff", ASKER, versions["flerbrukshall"], "--format", fmt)
    assert result.exit_code == 1
    text = _text(result.stdout) if fmt == "html" else " ".join(result.stdout.replace("\\", "").split())
    assert "saldert i alle planår" in text and "IKKE saldert i 2026, 2027" in text
    assert "KL-14-4-balanse-drift" in text and "OK → BRUDD" in text
    assert "Ny flerbrukshall (eksempel)" in text and "+80 000" in text and "Sum endring" in text
    assert "2,5 % (laveste akseptable)" in text and "2,4 % (laveste akseptable)" in text
