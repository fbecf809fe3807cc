"""Write a budget package as a CSV folder or one .xlsx workbook (template, conversion, amended budgets).

Writes are atomic (temporary file, then rename) and never replace an existing path unless asked (force).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

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
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's string escapes (\\n, \\", \\\\, \\uXXXX for control characters) are TOML's
    too; DEL, which JSON leaves raw and TOML forbids, is escaped as well. A title with a line break reads back."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def meta_toml(meta: BudgetMeta) -> str:
    """budsjett.toml text in the layout a person writes (lists on one line, a table per section); every string
    and key escaped by _toml_string, so that what is written reads back as it was (tests/test_robust_outputs.py)."""
    data = meta_dict(meta)
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_toml_value(value)}")
    for name, table in tables:
        sub = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        lines.append(f"\n[{_key(name)}]")
        for k, v in table.items():
            if not isinstance(v, dict):
                lines.append(f"{_key(k)} = {_toml_value(v)}")
        for k, v in sub:
            lines.append(f"\n[{_key(name)}.{_key(k)}]")
            lines += [f"{_key(kk)} = {_toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def _key(key: Any) -> str:
    key = str(key)
    return key if key and key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_string(key)


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


OS_WORDS = {
    errno.ENOSPC: "disken er full", errno.EDQUOT: "diskkvoten er brukt opp", errno.ENAMETOOLONG: "filnavnet er for langt",
    errno.EACCES: "mangler skrivetilgang", errno.EPERM: "mangler skrivetilgang", errno.EROFS: "filsystemet er skrivebeskyttet",
    errno.ENOTDIR: "en del av stien er en fil, ikke en mappe", errno.EISDIR: "er en mappe; oppgi et filnavn",
    errno.EEXIST: "en del av stien er en fil, ikke en mappe", errno.ENXIO: "røret har ingen leser",
    errno.EPIPE: "leseren av røret har lukket det", errno.ELOOP: "lenkene peker i ring",
    errno.ENOENT: "mappen finnes ikke",
}


def os_problem(exc: OSError, path: Path) -> InputError:
    """A failed write as one Norwegian line (exit 2), never a traceback."""
    words = OS_WORDS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return InputError(Problem(f"kan ikke skrives: {words}", file=str(path)))


def _identities(paths: Iterable[Any]) -> tuple[set[tuple[int, int]], set[str]]:
    """The files the run read, by (device, inode) and by resolved path: a link, a hard link or another spelling of
    an input is still that input."""
    ids: set[tuple[int, int]] = set()
    names: set[str] = set()
    for p in paths:
        if p is None:
            continue
        try:
            st = os.stat(p)
            ids.add((st.st_dev, st.st_ino))
            names.add(str(Path(p).resolve()))
        except (OSError, ValueError, RuntimeError):
            continue
    return ids, names


def check_output(path: Path, inputs: Iterable[Any] = (), force: bool = False, report: bool = False) -> str:
    """How --output can be written: «stream» (a pipe, a terminal, /dev/stdout, /dev/null), or «replace» (a regular
    file, new or with --force, written atomically). Refuses, as InputError: a file the run read, a file a package
    would read, an existing folder, a device that is no stream, an existing file without --force."""
    ids, names = _identities(inputs)
    given = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise os_problem(exc, path) from None
    if st is not None and ((st.st_dev, st.st_ino) in ids or str(path.resolve()) in names):
        raise InputError(Problem("er en av filene som ble lest; velg en annen fil for rapporten", file=given))
    if st is None:
        parent = path.parent
        if report and path.suffix.lower() in (".csv", ".toml", ".xlsx") and (parent / "budsjett.toml").is_file():
            raise InputError(Problem("ligger i en budsjettpakke og ville blitt lest som en del av den; velg en annen "
                                     "mappe for rapporten", file=given))
        if len(path.name.encode("utf-8", "surrogateescape")) > 255:
            raise InputError(Problem("kan ikke skrives: filnavnet er for langt", file=given))
        return "replace"
    if stat.S_ISDIR(st.st_mode):
        raise InputError(Problem("er en mappe; oppgi et filnavn for rapporten", file=given))
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) or given.startswith(("/dev/", "/proc/")):
        return "stream"  # written into, never replaced by a regular file
    if not stat.S_ISREG(st.st_mode):
        raise InputError(Problem("er ikke en vanlig fil (en enhet eller socket); velg en vanlig fil", file=given))
    if not force:
        raise InputError(Problem("finnes fra før; bruk --force for å overskrive", file=given))
    return "replace"


@contextmanager
def open_output(path: Path, inputs: Iterable[Any] = (), force: bool = False, text: bool = True,
                report: bool = False) -> Iterator[IO]:
    """A handle to write a report to: a pipe or device is written as a stream; a regular file is written next to
    its target and renamed into place when complete (the target of a link is replaced, the link kept). Every
    failure (full disk, a name too long, a parent that is a file) is an InputError, and no temporary file is left."""
    mode = check_output(path, inputs, force, report)
    if mode == "stream":
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)  # a pipe without a reader: ENXIO, no hang
            os.set_blocking(fd, True)
        except OSError as exc:
            raise os_problem(exc, path) from None
        try:
            with (os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")) as fh:
                yield fh
        except OSError as exc:
            raise os_problem(exc, path) from None
        return
    target = path.resolve() if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", dir=target.parent)
    except OSError as exc:
        raise os_problem(exc, path) from None
    try:
        with (os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")) as fh:
            yield fh
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600; a report or package is an ordinary file to share
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise os_problem(exc, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes, force: bool = False, inputs: Iterable[Any] = (), report: bool = False) -> None:
    """Write bytes to a new or (with force) existing regular file atomically, or into a pipe/device as a stream."""
    with open_output(path, inputs, force, text=False, report=report) as fh:
        fh.write(data)


def csv_cell(value: Any) -> Any:
    """A cell for a CSV file that Excel will open: text that Excel would run as a formula (=HYPERLINK(…), +, -, @,
    or a tab/CR first) gets an apostrophe in front, as OWASP recommends; labels match without it when read back
    (labels.normalise ignores punctuation)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "\t", "\r")):
        return "'" + value
    return value


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    return out.getvalue()


def write_folder(budget: Budget, folder: Path, force: bool = False) -> Path:
    """Write the package into a fresh folder next to the target, then put it in place: with --force an old package
    there is replaced whole (no stale table from it survives), and a failure leaves the old one as it was."""
    if budget.source is not None:
        src, dst = Path(budget.source).resolve(), folder.resolve()
        if dst == src or dst in src.parents:
            raise InputError(Problem("vil ikke skrive over pakken som ble lest (eller mappen den ligger i)",
                                     file=str(folder)))
    try:
        exists = folder.exists()
        if exists and not folder.is_dir():
            raise InputError(Problem("finnes og er ikke en mappe", file=str(folder)))
        entries = list(folder.iterdir()) if exists else []
    except OSError as exc:
        raise os_problem(exc, folder) from None
    if entries and not force:
        raise InputError(Problem("mappen finnes og er ikke tom; bruk --force for å skrive likevel", file=str(folder)))
    if entries and not (folder / "budsjett.toml").is_file():
        raise InputError(Problem("mappen har filer, men er ingen budsjettpakke (ingen budsjett.toml); --force "
                                 "erstatter bare en gammel pakke. Velg en ny mappe", file=str(folder)))
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name[:40]}.ny-", dir=folder.parent))
    except OSError as exc:
        raise os_problem(exc, folder) from None
    old = None
    try:
        (fresh / "budsjett.toml").write_text(meta_toml(budget.meta), encoding="utf-8")
        for stem in TABLES:
            if stem in budget.tables:
                header, rows = table_rows(budget, stem)
                (fresh / f"{stem}.csv").write_text(csv_text(header, rows), encoding="utf-8")
        for path in fresh.iterdir():
            os.chmod(path, _default_mode())
        os.chmod(fresh, _dir_mode())  # mkdtemp makes 0700
        if exists:
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name[:40]}.gammel-", dir=folder.parent))
            os.rmdir(old)
            os.rename(folder, old)
        os.rename(fresh, folder)
    except OSError as exc:
        if old is not None and not folder.exists():
            os.rename(old, folder)  # put the old package back
            old = None
        shutil.rmtree(fresh, ignore_errors=True)
        raise os_problem(exc, folder) from None
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _dir_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


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
