"""Issue 17 items 6, 8, 9, 10 and 11: what the tool writes, where it runs, and how it walks a batch folder.

- 6: --output never goes over a file the run read (compared by inode: a hard link or a symbolic link to an input
  is that input), never replaces a pipe or device, and a folder, a file as parent, a full disk or a name too long
  is one line and exit 2;
- 8: a non-UTF-8 standard output degrades characters; a deleted working directory and an unwritable HOME run;
- 9: a named pipe called x.xlsx never blocks discovery; a 1 200-level tree is walked without recursion, to a
  depth cap with a note; -j is capped by the packages and the cores;
- 10: budsjett.toml is written by a TOML writer; --force replaces an old package whole; proposals with the same
  file name do not collide; formula-like text in a written CSV is guarded;
- 11: `check --help` shows «[tool.budsjettkontroll]».
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from budsjettkontroll import batch, writer
from budsjettkontroll.cli import app
from budsjettkontroll.errors import InputError
from budsjettkontroll.package import bundled_dir, load_package

PROPOSAL = bundled_dir() / "endringsforslag-omfordeling.yaml"
CONTROL = "\x1b"


def cli(*args: str, **env: str):
    return CliRunner().invoke(app, list(args), env=env or None)


def refused(result, words: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("feil: ") and words in line, line
    return line


# --- 6: --output ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["waivers", "config", "policy", "proposal", "hardlink", "symlink"])
def test_output_is_never_a_file_the_run_read(asker_copy, tmp_path, monkeypatch, which):
    monkeypatch.chdir(tmp_path)
    waivers = tmp_path / "unntak.yaml"
    waivers.write_text("waivers: []\n", encoding="utf-8")
    config = tmp_path / "budsjettkontroll.toml"
    config.write_text('fail_on = "error"\n', encoding="utf-8")
    policy = tmp_path / "egen.yaml"
    shutil.copyfile(bundled_dir().parent / "rules" / "policy" / "asker.yaml", policy)
    proposal = tmp_path / "forslag.yaml"
    shutil.copyfile(PROPOSAL, proposal)
    (tmp_path / "hard.csv").hardlink_to(asker_copy / "drift.csv")
    (tmp_path / "lenke.txt").symlink_to(asker_copy / "gjeld.csv")
    target = {"waivers": waivers, "config": config, "policy": policy, "proposal": proposal,
              "hardlink": tmp_path / "hard.csv", "symlink": tmp_path / "lenke.txt"}[which]
    before = {p: p.read_bytes() for p in [waivers, config, policy, proposal, asker_copy / "drift.csv",
                                           asker_copy / "gjeld.csv"]}
    if which == "proposal":
        result = cli("amend", str(asker_copy), str(proposal), "--format", "json", "-o", str(target), "--force")
    else:
        result = cli("check", str(asker_copy), "--waivers", str(waivers), "--policy", str(policy), "--format", "json",
                     "-o", str(target), "--force")
    refused(result, "er en av filene som ble lest")
    assert {p: p.read_bytes() for p in before} == before
    assert (tmp_path / "lenke.txt").is_symlink()


def test_batch_output_is_never_a_packages_file(asker_copy, tmp_path):
    folder = tmp_path / "kommuner"
    shutil.copytree(asker_copy, folder / "a")
    shutil.copytree(asker_copy, folder / "b")
    before = (folder / "b" / "drift.csv").read_bytes()
    refused(cli("check", str(folder), "--format", "json", "-o", str(folder / "b" / "drift.csv"), "--force", "-j", "1"),
            "er en av filene som ble lest")
    refused(cli("check", str(folder), "--format", "json", "-o", str(folder / "b" / "ny.csv"), "-j", "1"),
            "ville blitt lest som en del av den")
    assert (folder / "b" / "drift.csv").read_bytes() == before and not (folder / "b" / "ny.csv").exists()


@pytest.mark.parametrize("kind, words", [
    ("folder", "er en mappe"),
    ("parent-is-file", "en del av stien er en fil"),
    ("long-name", "filnavnet er for langt"),
    ("no-reader", "røret har ingen leser"),
])
def test_bad_output_paths_are_one_line_and_exit_2(asker_copy, tmp_path, kind, words):
    target = {"folder": tmp_path, "parent-is-file": asker_copy / "budsjett.toml" / "rapport.json",
              "long-name": tmp_path / ("r" * 300 + ".json"), "no-reader": tmp_path / "rør"}[kind]
    if kind == "no-reader":
        os.mkfifo(target)
    refused(cli("check", str(asker_copy), "--format", "json", "-o", str(target), "--force"), words)
    if kind == "no-reader":
        assert stat.S_ISFIFO(os.stat(target).st_mode)  # still a pipe, not replaced by a regular file


def test_a_full_disk_is_exit_2_and_leaves_nothing(asker_copy, tmp_path, monkeypatch):
    target = tmp_path / "rapport.json"
    target.write_text("gammel\n", encoding="utf-8")

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", full)
    refused(cli("check", str(asker_copy), "--format", "json", "-o", str(target), "--force"), "disken er full")
    assert target.read_text(encoding="utf-8") == "gammel\n" and sorted(p.name for p in tmp_path.iterdir()) == \
        ["asker", "rapport.json"]


def test_a_pipe_is_written_as_a_stream_and_stays_a_pipe(asker_copy, tmp_path):
    fifo = tmp_path / "rør"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            received.append(fh.read())

    thread = threading.Thread(target=reader)
    thread.start()
    import time

    for _ in range(100):  # wait until the reader has the pipe open (the writer refuses a pipe without one)
        time.sleep(0.02)
        result = cli("check", str(asker_copy), "--format", "json", "-o", str(fifo))
        if result.exit_code != 2:
            break
    thread.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert received and received[0].startswith(b"{") and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_stdout_is_written_as_a_stream_not_replaced(asker_copy):
    run = subprocess.run([sys.executable, "-m", "budsjettkontroll.cli", "check", str(asker_copy), "--format", "json",
                          "-o", "/dev/stdout", "--force"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("{") and os.path.islink("/dev/stdout")


# --- 8: encodings and environments ----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["check", "--format", "text"], ["check", "--format", "rich"], ["check", "--format", "markdown"], ["rules"],
    ["explain", "KL-14-18-minimumsavdrag"], ["amend", "asker-hp-2024-2027", "endringsforslag-omfordeling"],
])
def test_a_cp1252_stdout_degrades_characters_instead_of_crashing(args):
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    run = subprocess.run([sys.executable, "-m", "budsjettkontroll.cli", *args], capture_output=True, env=env,
                         timeout=300)
    assert run.returncode in (0, 1), run.stderr.decode("cp1252", "replace")[-500:]
    assert b"Traceback" not in run.stderr and run.stdout
    run.stdout.decode("cp1252")  # what was written is valid cp1252


def test_a_deleted_working_directory_and_an_unwritable_home(tmp_path):
    gone = tmp_path / "borte"
    gone.mkdir()
    script = (f"import os, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
              "sys.argv = ['budsjettkontroll', 'check', '--format', 'text']; from budsjettkontroll.cli import main; main()")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HOME": "/proc/finnes-ikke"})
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-800:]
    assert "INGEN LOVBRUDD" in run.stdout.upper() or run.stdout


# --- 9: batch discovery and jobs --------------------------------------------------------------------------------

def test_a_pipe_named_xlsx_never_blocks_discovery(asker_copy, tmp_path):
    folder = tmp_path / "kommuner"
    shutil.copytree(asker_copy, folder / "a")
    os.mkfifo(folder / "felle.xlsx")
    found = batch.discover(folder)  # returns: the pipe is listed, never opened
    assert folder / "felle.xlsx" in found
    result = cli("check", str(folder), "--format", "text", "-j", "1")
    assert result.exit_code == 2 and "felle.xlsx: er ikke en vanlig fil" in result.stderr


def deep_tree(root: Path, levels: int) -> None:
    """root/d/d/…/d, made and removed through directory descriptors (paths would pass PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir("d", dir_fd=fd)
        fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(old)
    os.close(fd)


def remove_deep_tree(root: Path) -> None:
    fds = [os.open(root, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    os.close(fds.pop())
    while fds:
        os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())


@pytest.fixture
def deep_root(tmp_path):
    root = tmp_path / "dyp"
    root.mkdir()
    yield root
    remove_deep_tree(root)  # pytest's own clean-up (shutil.rmtree) recurses and would fail on it


def test_a_very_deep_tree_is_walked_iteratively_to_a_cap(asker_copy, deep_root):
    root = deep_root
    shutil.copytree(asker_copy, root / "pakke")
    deep_tree(root, 1200)
    notes: list[str] = []
    assert batch.discover(root, notes) == [root / "pakke"]
    assert notes and f"dypere enn {batch.MAX_WALK_DEPTH} nivåer" in notes[0]
    result = cli("check", str(root), "--format", "text", "-j", "1")
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert f"merk: {root}: mappetreet er dypere enn" in result.stderr


def test_jobs_are_capped_by_packages_and_cores(asker_copy, tmp_path, monkeypatch):
    started: list[int] = []

    class Pool:
        def __init__(self, max_workers, mp_context=None):
            started.append(max_workers)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, func, *iterables, chunksize=1):
            return map(func, *iterables)

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(batch, "usable_cores", lambda: 2)
    paths = [tmp_path / f"p{i}" for i in range(4)]
    monkeypatch.setattr(batch, "check_one", lambda name, settings: name)
    assert list(batch.outcomes(paths, batch.BatchSettings(), jobs=500)) == [str(p) for p in paths]
    assert started == [2]


# --- 10: written packages ---------------------------------------------------------------------------------------

@given(st.text(max_size=60), st.text(max_size=20))
def test_any_text_and_key_written_to_toml_reads_back(text, key):
    import tomllib

    written = f"{writer._key(key or 'x')} = {writer._toml_string(text)}\n"
    assert tomllib.loads(written) == {key or "x": text}


def test_a_title_with_a_line_break_and_quotes_round_trips(asker, tmp_path):
    meta = asker.meta.model_copy(update={"title": 'Linje 1\nLinje 2 med "anførsel" og \\ og \t'})
    asker.meta = meta
    written = writer.write_folder(asker, tmp_path / "ny")
    assert load_package(written).meta.title == meta.title


def test_force_replaces_an_old_package_whole(asker, asker_copy, tmp_path):
    target = tmp_path / "pakke"
    shutil.copytree(asker_copy, target)
    del asker.tables["selvkost"]  # the new package has no selvkost table: the old one's must not survive
    with pytest.raises(InputError, match="--force"):
        writer.write_folder(asker, target)
    writer.write_folder(asker, target, force=True)
    assert not (target / "selvkost.csv").exists() and (target / "drift.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asker", "pakke"]  # no temporary or old folder left
    assert load_package(target).meta == asker.meta


def test_force_never_empties_a_folder_that_is_no_package(asker, tmp_path):
    (tmp_path / "mine-dokumenter").mkdir()
    (tmp_path / "mine-dokumenter" / "brev.txt").write_text("viktig\n", encoding="utf-8")
    with pytest.raises(InputError, match="ingen budsjettpakke"):
        writer.write_folder(asker, tmp_path / "mine-dokumenter", force=True)
    assert (tmp_path / "mine-dokumenter" / "brev.txt").exists()


def test_force_never_replaces_the_folder_the_base_lies_in(asker_copy, tmp_path):
    budget = load_package(asker_copy)
    with pytest.raises(InputError, match="vil ikke skrive over"):
        writer.write_folder(budget, tmp_path, force=True)
    assert (asker_copy / "drift.csv").exists()


def test_two_proposals_with_the_same_file_name_do_not_collide(asker_copy, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copyfile(PROPOSAL, tmp_path / folder / "forslag.yaml")
    out = tmp_path / "ut"
    result = cli("amend", str(asker_copy), str(tmp_path / "a" / "forslag.yaml"), str(tmp_path / "b" / "forslag.yaml"),
                 "--format", "json", "--write-package", str(out))
    assert result.exit_code in (0, 1), result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["forslag", "forslag-2"]


def test_formula_like_text_in_a_written_csv_is_guarded_and_reads_back(asker, tmp_path):
    row = asker.tables["drift_fordeling"].rows[0]
    row.label = '=HYPERLINK("http://eksempel.no","klikk")'
    folder = writer.write_folder(asker, tmp_path / "ny")
    text = (folder / "drift_fordeling.csv").read_text(encoding="utf-8")
    assert "\n\"'=HYPERLINK(" in text and "\n=HYPERLINK" not in text and "\n\"=HYPERLINK" not in text
    assert load_package(folder).tables["drift_fordeling"].rows[0].label == row.label


# --- 11: help ----------------------------------------------------------------------------------------------------

def test_help_text_is_not_read_as_markup():
    result = cli("check", "--help", COLUMNS="200")
    assert "[tool.budsjettkontroll]" in result.stdout


# --- 7: control characters from the command line and the environment -----------------------------------------

def test_an_escape_typed_into_an_option_or_variable_never_reaches_the_output(asker_copy):
    for args, env in ((["--select", "KL\x1b[2J"], {}), ([], {"BUDSJETTKONTROLL_IGNORE": "X\x1b]0;lurt\x07"})):
        result = cli("check", str(asker_copy), "--format", "markdown", "--isolated", *args, **env)
        assert result.exit_code in (0, 1), result.stderr
        assert CONTROL not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
