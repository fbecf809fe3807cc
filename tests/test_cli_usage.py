"""Command-line mistakes are one Norwegian line and exit 2 (issue 17 item 3), as a user sees them in a shell."""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = [
    (["check", "--format", "foo"], "feil: ugyldig verdi for --format / -f: 'foo' er ikke en av 'rich'"),
    (["check", "--jobs", "x"], "feil: ugyldig verdi for --jobs / -j: må være et heltall"),
    (["check", "--tolerance", "abc"], "feil: ugyldig verdi for --tolerance: må være et tall"),
    (["check", "--forma", "json"], "feil: ukjent valg --forma; mente du"),
    (["amend"], "feil: mangler BASE"),
    (["finnesikke"], "feil: ugyldig bruk: ukjent kommando 'finnesikke'"),
]


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from budsjettkontroll.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("args", "start"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_command_line_mistake_is_one_norwegian_line_and_exit_2(args, start):
    done = _run(args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr
    assert "Usage:" not in done.stderr and "Error:" not in done.stderr and "Traceback" not in done.stderr
    assert "--help»" in lines[0]


def test_help_and_a_real_run_keep_their_exit_codes():
    assert _run(["--help"]).returncode == 0
    assert _run(["check", "--format", "json"]).returncode == 0  # the bundled Asker budget is lawful
