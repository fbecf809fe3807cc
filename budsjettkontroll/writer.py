"""Write a budget package as a CSV folder or one .xlsx workbook (template, conversion, amended budgets).

Writes are atomic (temporary file, then rename) and never replace an existing path unless asked (force).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from .budget import Budget
from .catalogue import TABLES
from .errors import InputError, Problem
from .meta import BudgetMeta

FORMULA_START = ("=", "+", "-", "@")


def meta_dict(meta: BudgetMeta) -> dict[str, Any]:
    data = meta.model_dump(mode="json", exclude_none=True)
    if "years" in data:  # the kinds a package does not use are left out (opprinnelig = [] says nothing)
        data["years"] = {k: v for k, v in data["years"].items() if v or k in ("regnskap", "budsjett", "plan")}
    data["interest_rate"] = {str(k): float(v) for k, v in meta.interest_rate.items()}
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def meta_toml(meta: BudgetMeta) -> str:
    """budsjett.toml text (a small writer: the format has two levels of tables at most)."""
    data = meta_dict(meta)
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        sub = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        lines.append(f"\n[{name}]")
        for k, v in table.items():
            if not isinstance(v, dict):
                lines.append(f"{_key(k)} = {_toml_value(v)}")
        for k, v in sub:
            lines.append(f"\n[{name}.{_key(k)}]")
            lines += [f"{_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_value(key)


def table_rows(budget: Budget, stem: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one table, amounts in the package's own sign convention."""
    table = budget.tables[stem]
    tdef = TABLES[stem]
    factor = budget.meta.sign.factor if tdef.signed else 1
    years = [y for y in budget.meta.years.all if any(y in r.values for r in table.rows)]
    header = ["linje", *(["del"] if stem == "investering_fordeling" else []), *map(str, years)]
    if tdef.area_column:  # selvkost: the område first, then the line, as the blocks read
        header = [tdef.area_column, *header]
    rows = []
    for row in table.rows:
        values = [None if row.values.get(y) is None else row.values[y] * factor for y in years]
        rows.append([*([row.group] if tdef.area_column else []), row.label,
                     *([row.group] if stem == "investering_fordeling" else []), *values])
    return header, rows


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, force: bool = False) -> None:
    if path.exists() and not force:
        raise InputError(Problem("finnes fra før; bruk --force for å overskrive", file=str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600; a report or package is an ordinary file to share
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def write_folder(budget: Budget, folder: Path, force: bool = False) -> Path:
    if folder.exists() and any(folder.iterdir()) and not force:
        raise InputError(Problem("mappen finnes og er ikke tom; bruk --force for å skrive likevel", file=str(folder)))
    if budget.source is not None and folder.resolve() == Path(budget.source).resolve():
        raise InputError(Problem("vil ikke skrive over pakken som ble lest", file=str(folder)))
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "budsjett.toml", meta_toml(budget.meta).encode("utf-8"), force=True)
    for stem in TABLES:
        if stem in budget.tables:
            header, rows = table_rows(budget, stem)
            atomic_write(folder / f"{stem}.csv", csv_text(header, rows).encode("utf-8"), force=True)
    return folder


def _safe_cell(ws, row: int, column: int, value: Any) -> None:
    """Text that a spreadsheet would run as a formula (=, +, -, @) is stored as text, never as a formula."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.value = value
        cell.data_type = "s"
        cell.quotePrefix = True
    else:
        cell.value = value


def workbook_bytes(budget: Budget) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "budsjett"
    ws.append(["nøkkel", "verdi"])
    for key, value in _flatten(meta_dict(budget.meta)):
        r = ws.max_row + 1
        _safe_cell(ws, r, 1, key)
        _safe_cell(ws, r, 2, ", ".join(map(str, value)) if isinstance(value, list) else value)
    for stem in TABLES:
        if stem not in budget.tables:
            continue
        sheet = wb.create_sheet(stem)
        header, rows = table_rows(budget, stem)
        for c, name in enumerate(header, 1):
            _safe_cell(sheet, 1, c, int(name) if name.isdigit() else name)
        for r, row in enumerate(rows, 2):
            for c, value in enumerate(row, 1):
                _safe_cell(sheet, r, c, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _flatten(value, name + ".")
        else:
            out.append((name, value))
    return out


def write_workbook(budget: Budget, path: Path, force: bool = False) -> Path:
    if budget.source is not None and path.exists() and path.resolve() == Path(budget.source).resolve():
        raise InputError(Problem("vil ikke skrive over pakken som ble lest", file=str(path)))
    atomic_write(path, workbook_bytes(budget), force=force)
    return path


def write_package(budget: Budget, target: Path, force: bool = False) -> Path:
    """A folder, or a workbook when the target ends in .xlsx."""
    if target.suffix.lower() == ".xlsx":
        return write_workbook(budget, target, force)
    return write_folder(budget, target, force)
