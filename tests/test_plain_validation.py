"""Issue 16 item 21: a package's rows judged valid in plain Python (schemas.tables._plainly_valid) only when
package_schema (pandera) would judge them valid too; anything doubtful is left to pandera."""

from __future__ import annotations

from pathlib import Path

from budsjettkontroll.errors import InputError
from budsjettkontroll.package import load_package
from budsjettkontroll.schemas import tables

from .conftest import ASKER_DIR

REALWORLD = Path(__file__).parent / "realworld"


def _spy(monkeypatch) -> list[tuple]:
    seen: list[tuple] = []
    real = tables._plainly_valid

    def checked(data, has_group, has_area, years, dash_is_zero):
        ok = real(data, has_group, has_area, years, dash_is_zero)
        if ok:  # pandera must agree: SchemaErrors here fails the test
            tables.package_schema(years, has_group, has_area, dash_is_zero).validate(tables._as_frame(data), lazy=True)
        seen.append((ok, data, has_group, has_area, years, dash_is_zero))
        return ok

    monkeypatch.setattr(tables, "_plainly_valid", checked)
    return seen


def test_plain_validation_agrees_with_package_schema(monkeypatch):
    seen = _spy(monkeypatch)
    for path in [ASKER_DIR, *sorted(p for p in REALWORLD.iterdir() if p.is_dir())]:
        try:
            load_package(path)
        except InputError:
            pass
    assert sum(ok for ok, *_ in seen) >= 2


def test_doubtful_rows_are_left_to_pandera(monkeypatch):
    plain = tables._plainly_valid
    seen = _spy(monkeypatch)
    load_package(ASKER_DIR)
    _, data, has_group, has_area, years, dash_is_zero = next(s for s in seen if s[0])
    judge = lambda d: plain(d, has_group, has_area, years, dash_is_zero)  # noqa: E731
    assert judge(data)
    assert not judge({k: v + v[:1] for k, v in data.items()})  # the first line twice
    column = str(years[0])
    assert not judge({**data, column: ["12,5x", *data[column][1:]]})
    assert not judge({**data, tables.LABEL: [" ", *data[tables.LABEL][1:]]})
    assert not judge({**data, tables.NORM: [float("nan"), *data[tables.NORM][1:]]})
    assert not judge({**data, tables.LINE: [1.0, *data[tables.LINE][1:]]})
    if tables.TABLES[data[tables.STEM][0]].free_rows is None:
        assert not judge({**data, tables.KEY: [None, *data[tables.KEY][1:]]})
    assert not judge({k: [] for k in data})
