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


_ENTRY = """
import atexit, sys
from budsjettkontroll.cli import main


class Witness:
    def __del__(self):
        sys.stderr.write("teardown\\n")


witness = Witness()
atexit.register(lambda: sys.stderr.write("atexit\\n"))
sys.argv = ["budsjettkontroll", *sys.argv[1:]]
sys.exit(main())
"""


@pytest.mark.parametrize("args, code", [(["check", "--format", "text"], 0),
                                        (["check", "--format", "json", "--fail-on", "warning"], 1)])
def test_the_installed_command_ends_without_teardown_and_with_the_same_output(tmp_path, args, code):
    """The console script (a file named budsjettkontroll that imports main) ends a one-shot check after the atexit
    functions and a flush, without freeing every module (cli.leave); the report and exit code are those of an
    ordinary exit, which any other caller still gets."""
    runs = {}
    for name in ("budsjettkontroll", "other.py"):
        script = tmp_path / name
        script.write_text(_ENTRY, encoding="utf-8")
        runs[name] = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    fast, ordinary = runs["budsjettkontroll"], runs["other.py"]
    assert fast.returncode == ordinary.returncode == code
    assert fast.stdout == ordinary.stdout and len(fast.stdout) > 1000
    assert "atexit" in fast.stderr and "teardown" not in fast.stderr
    assert "atexit" in ordinary.stderr and "teardown" in ordinary.stderr
