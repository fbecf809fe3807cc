"""Issue 7: the pre-commit hook and the GitHub Action, run as CI would run them, on a temporary git repository
holding a copy of the Asker budget; and the tool never touching the network."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from budsjettkontroll.cli import app
from budsjettkontroll.report import FORMATS

from .conftest import ASKER_DIR, set_cell

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGE = "budsjett/asker"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUDSJETTKONTROLL_", "GITHUB_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", **extra)
    return env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=clean_env(), check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository with the Asker package under budsjett/asker and a README, committed."""
    repo = tmp_path / "kommune"
    shutil.copytree(ASKER_DIR, repo / PACKAGE)
    (repo / "README.md").write_text("# Budsjett\n", "utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "budsjett")
    return repo


# --- pre-commit ---------------------------------------------------------------------------------------------------

def hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    return next(h for h in hooks if h["id"] == hook_id)


def run_hook(repo: Path, hook_id: str = "budsjettkontroll") -> subprocess.CompletedProcess | None:
    """What pre-commit does: the changed files matching `files`, appended to `entry`; None when none match."""
    spec = hook(hook_id)
    changed = [f for f in git(repo, "diff", "--name-only", "HEAD").splitlines() + git(
        repo, "ls-files", "--others", "--exclude-standard").splitlines() if re.search(spec["files"], f)]
    if not changed:
        return None
    args = shlex.split(spec["entry"]) + (changed if spec.get("pass_filenames", True) else [])
    return subprocess.run(args, cwd=repo, env=clean_env(), capture_output=True, text=True, timeout=300)


def test_hook_definitions():
    spec = hook("budsjettkontroll")
    assert spec["language"] == "python" and spec["require_serial"] is True and spec["pass_filenames"] is True
    assert shlex.split(spec["entry"])[:3] == ["budsjettkontroll", "check", "--changed-files"]
    for name, wanted in (("budsjett/asker/drift.csv", True), ("budsjett/asker/budsjett.toml", True),
                         ("x.xlsx", True), ("README.md", False), ("budsjett/asker/README.md", False)):
        assert bool(re.search(spec["files"], name)) is wanted, name


def test_pre_commit_hook_passes_lawful_change_and_fails_a_breach(repo):
    set_cell(repo / PACKAGE, "drift", "Renteutgifter", 2025, 604212)  # unchanged value: file rewritten, still lawful
    (repo / PACKAGE / "drift.csv").write_text((repo / PACKAGE / "drift.csv").read_text("utf-8") + "\n", "utf-8")
    lawful = run_hook(repo)
    assert lawful is not None and lawful.returncode == 0, lawful.stdout + lawful.stderr
    assert "Konklusjon:" in lawful.stdout and "Traceback" not in lawful.stderr
    set_cell(repo / PACKAGE, "drift", "Renteutgifter", 2025, 704212)
    breach = run_hook(repo)
    assert breach.returncode == 1 and "FORSKR-5-sumlinjer" in breach.stdout and "BRUDD" in breach.stdout


def test_pre_commit_hook_ignores_files_outside_packages(repo):
    (repo / "README.md").write_text("# Endret\n", "utf-8")
    assert run_hook(repo) is None  # `files` does not match: pre-commit would not call the hook
    (repo / "data").mkdir()
    (repo / "data" / "befolkning.csv").write_text("år,antall\n2024,100000\n", "utf-8")
    outside = run_hook(repo)
    assert outside.returncode == 0 and "ingen budsjettpakker" in outside.stderr


def test_pre_commit_hook_reads_the_repository_configuration(repo):
    set_cell(repo / PACKAGE, "drift", "Renteutgifter", 2025, 704212)
    (repo / "pyproject.toml").write_text('[tool.budsjettkontroll]\nignore = ["FORSKR-5-sumlinjer"]\n', "utf-8")
    result = run_hook(repo)
    assert result.returncode == 0 and "(1 regel utelatt)" in result.stdout
    # the ignored rule is named only where the report says it was left out, and from which file
    assert result.stdout.count("FORSKR-5-sumlinjer") == 2 and "[tool.budsjettkontroll]" in result.stdout
    (repo / "pyproject.toml").write_text(f'[tool.budsjettkontroll]\npaths = ["{PACKAGE}"]\n', "utf-8")
    everything = run_hook(repo, "budsjettkontroll-alle")  # no filenames: the configured paths
    assert everything.returncode == 1 and "FORSKR-5-sumlinjer" in everything.stdout


def test_pre_commit_hook_bad_input_is_exit_2(repo):
    (repo / PACKAGE / "investering.csv").unlink()
    (repo / PACKAGE / "drift.csv").write_text("linje,2024\nRammetilskudd,mye\n", "utf-8")
    result = subprocess.run(["budsjettkontroll", "check", "--changed-files", f"{PACKAGE}/drift.csv"], cwd=repo,
                            env=clean_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert all(line.startswith("feil: ") for line in result.stderr.splitlines())


# --- GitHub Action ------------------------------------------------------------------------------------------------

def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))


def run_action(repo: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, str, str]:
    """The action's check step as the runner runs it: `bash --noprofile --norc -eo pipefail`, inputs substituted
    into the step's env, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as files. The install steps are not run (no network)."""
    spec = action()
    values = {name: str(d.get("default", "")) for name, d in spec["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    step = next(s for s in spec["runs"]["steps"] if s.get("id") == "check")
    env = {key: re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], value)
           for key, value in step["env"].items()}
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("", "utf-8")
    output.write_text("", "utf-8")
    script = tmp_path / "step.sh"
    script.write_text(step["run"], "utf-8")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=repo,
                            env=clean_env(GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output),
                                          GITHUB_ACTION_PATH=str(ROOT), **env),
                            capture_output=True, text=True, timeout=300)
    return result, summary.read_text("utf-8"), output.read_text("utf-8")


def test_action_definition():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"path", "policy", "fail-on"} <= set(spec["inputs"])
    step = next(s for s in spec["runs"]["steps"] if s.get("id") == "check")
    assert "${{" not in step["run"], "inputs reach the script only through env (no script injection)"
    assert step["shell"] == "bash"


def test_action_lawful_budget(repo, tmp_path):
    result, summary, output = run_action(repo, tmp_path, path=PACKAGE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary.startswith("# Budsjettkontroll: Asker kommune") and "## Handlingsregler" in summary
    assert "::error" not in result.stdout and output == "exit-code=0\n"


def test_action_breach_fails_with_summary_and_annotation_on_the_line(repo, tmp_path):
    set_cell(repo / PACKAGE, "drift", "Renteutgifter", 2025, 704212)
    result, summary, output = run_action(repo, tmp_path, path=PACKAGE)
    assert result.returncode == 1 and output == "exit-code=1\n"
    assert "**Konklusjon: ❌" in summary and "| feil | FORSKR-5-sumlinjer | 2025 |" in summary
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"::error file={PACKAGE}/drift.csv,line=15,title=FORSKR-5-sumlinjer (2025)::")


def test_action_fail_on_and_policy_inputs(repo, tmp_path):
    """The Asker handlingsregler are not all met (warnings): fail-on warning fails the job; the national pack
    has no gjeldsgrad rule, so choosing it changes the summary."""
    result, summary, _ = run_action(repo, tmp_path, path=PACKAGE, fail_on="warning")
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning ")]
    assert warnings and result.returncode == 1
    result, summary, _ = run_action(repo, tmp_path, path=PACKAGE, policy="nasjonal")
    assert result.returncode == 0 and "Nasjonal anbefaling" in summary and "Gjeldsgrad: oppnås" not in summary


def test_action_bad_input_is_exit_2(repo, tmp_path):
    result, summary, output = run_action(repo, tmp_path, path="finnes/ikke")
    assert result.returncode == 2 and output == "exit-code=2\n"
    assert "::error title=budsjettkontroll::" in result.stdout and "feil: finnes/ikke" in result.stderr


def test_action_paths_from_configuration(repo, tmp_path):
    (repo / "budsjettkontroll.toml").write_text(f'paths = ["{PACKAGE}"]\nfail_on = "warning"\n', "utf-8")
    result, summary, _ = run_action(repo, tmp_path)
    assert result.returncode == 1 and summary.startswith("# Budsjettkontroll: Asker kommune")
    result, _, _ = run_action(repo, tmp_path, fail_on="error")  # the input (environment) beats the file
    assert result.returncode == 0


# --- no network ---------------------------------------------------------------------------------------------------

def test_the_tool_never_touches_the_network(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network use: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for fmt in sorted(FORMATS):
        result = runner.invoke(app, ["check", "--format", fmt])
        assert not isinstance(result.exception, AssertionError), (fmt, result.exception)
        assert result.exit_code == 0, (fmt, result.output)
