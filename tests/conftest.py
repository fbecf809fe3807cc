"""Fixtures built from the bundled Asker budget, and the YAML rule test cases (tests/cases/*.yaml)."""

from __future__ import annotations

import atexit
import csv
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests judge behaviour, never speed (speed is measured in benchmarks/): hypothesis's 200 ms deadline per
# example made a test fail on a loaded CI machine, so there is none.
settings.register_profile("budsjettkontroll", deadline=None)
settings.load_profile("budsjettkontroll")

# The build cache (budsjettkontroll/buildcache.py) lives in a folder of this test run, never the user's own, set before
# the package is imported (the catalogue's aliases load at import): every test and every command a test starts uses
# it, so objects from the cache are exercised alongside freshly built ones.
_CACHE = tempfile.mkdtemp(prefix="bk-buildcache-")
os.environ["BUDSJETTKONTROLL_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

from budsjettkontroll.package import DEFAULT_BUDGET, bundled_dir  # noqa: E402

from .cases import collect_case_file

ASKER_DIR = bundled_dir() / DEFAULT_BUDGET


@pytest.fixture
def asker_dir() -> Path:
    return ASKER_DIR


@pytest.fixture
def asker():
    from budsjettkontroll.package import load_package

    return load_package(ASKER_DIR)


@pytest.fixture
def asker_copy(tmp_path) -> Path:
    """A writable copy of the bundled Asker package folder."""
    target = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, target)
    return target


def set_cell(package: Path, stem: str, label: str, year: int | str, value: object) -> None:
    """Change one cell of a CSV in a package copy (the label must exist)."""
    path = package / f"{stem}.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    col = header.index(str(year))
    for row in rows[1:]:
        if row and row[0] == label:
            row[col] = "" if value is None else str(value)
            break
    else:
        raise KeyError(f"{label} not in {path}")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return collect_case_file(parent, file_path)
    return None
