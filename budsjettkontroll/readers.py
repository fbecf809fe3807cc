"""Read a budget package's files into raw tables: cells as written, with their line numbers.

Reading is separate from validation: the readers only find rows and cells; the pandera schemas judge them.
Nothing here writes to the input.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem

MAX_FILE_BYTES = 20 * 1024 * 1024  # a schedule of a few hundred lines is kilobytes; 20 MB is far beyond any real one
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # zip-bomb guard for workbooks
_YEAR_IN_HEADER = re.compile(r"(?<!\d)(19\d\d|20\d\d|21\d\d)(?!\d)")
_YEAR_ONLY = re.compile(r"\s*(\d{4})(?:\.0+)?\s*")


@dataclass
class RawTable:
    """One schedule as read: the header and each data row with the line (or sheet row) it came from."""

    stem: str
    file: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)


def header_year(name: object) -> int | None:
    """'2024', 2024.0, 'Øk.plan 2024', 'Oppr. budsjett 2023', 'Regnskap 2022' → the year; else None."""
    if isinstance(name, (int, float)) and not isinstance(name, bool) and float(name).is_integer():
        return int(name)
    text = str(name or "")
    if m := _YEAR_ONLY.fullmatch(text):
        return int(m.group(1))
    found = _YEAR_IN_HEADER.findall(text)
    if len(found) == 1 and not re.search(r"sum", text, re.I):
        return int(found[0])
    return None


def normalise_header(header: list[Any], notes: list[str], where: str) -> list[str]:
    out = []
    for cell in header:
        year = header_year(cell)
        text = "" if cell is None else str(cell).strip()
        if year is not None and text != str(year):
            notes.append(f"{where}: kolonnen «{text}» er lest som år {year}")
        out.append(str(year) if year is not None else text.lower().lstrip("\ufeff"))
    return out


def check_size(path: Path, display: str) -> None:
    if not path.exists():
        raise InputError(Problem("filen finnes ikke", file=display))
    if path.is_dir():
        raise InputError(Problem("er en mappe, ikke en fil", file=display))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(f"filen er {size // 1024 // 1024} MB; grensen er {MAX_FILE_BYTES // 1024 // 1024} MB", file=display))


def decode(data: bytes, display: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); Windows-1252 from older Excel exports is read with a note."""
    if b"\x00" in data[:4096]:
        raise InputError(Problem("filen er binær, ikke tekst (CSV)", file=display))
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"filen er verken UTF-8 eller Windows-1252 (byte {exc.start})", file=display)) from None
    return text, [f"{display}: lest som Windows-1252 (ikke UTF-8); lagre som UTF-8 for å unngå feil i æøå"]


def read_csv(path: Path, stem: str, display: str) -> RawTable:
    check_size(path, display)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(f"kan ikke leses: {exc.strerror}", file=display)) from None
    text, notes = decode(data, display)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = normalise_header(cells, notes, display)
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(Problem(f"ugyldig CSV: {exc}", file=display, line=reader.line_num)) from None
    if header is None:
        raise InputError(Problem("filen er tom (ingen overskriftsrad)", file=display))
    return RawTable(stem, display, header, rows, notes)


def open_workbook(path: Path, display: str):
    """Open an .xlsx safely: size and zip-bomb limits first; openpyxl parses XML without entity expansion."""
    import openpyxl

    check_size(path, display)
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InputError(Problem("er ikke en gyldig Excel-arbeidsbok (.xlsx)", file=display)) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(Problem(f"arbeidsboken pakker seg ut til {unpacked // 1024 // 1024} MB; grensen er "
                                 f"{MAX_XLSX_UNPACKED // 1024 // 1024} MB", file=display))
    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem(f"arbeidsboken kan ikke leses ({type(exc).__name__})", file=display)) from None


def read_sheet(ws, stem: str, display: str, formula_ws=None) -> RawTable:
    where = f"{display}[{ws.title}]"
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    notes: list[str] = []
    for row in ws.iter_rows():
        values = [c.value for c in row]
        if not any(v is not None and str(v).strip() != "" for v in values):
            continue
        if header is None:
            header = normalise_header(values, notes, where)
            continue
        if formula_ws is not None:
            for cell, value in zip(row, values):
                raw = formula_ws.cell(row=cell.row, column=cell.column).value
                if value is None and isinstance(raw, str) and raw.startswith("="):
                    raise InputError(Problem(
                        f"celle {cell.coordinate} er en formel uten lagret verdi; åpne og lagre arbeidsboken i Excel, "
                        "eller eksporter CSV", file=where, line=cell.row))
        rows.append((row[0].row, values))
    if header is None:
        raise InputError(Problem("arket er tomt (ingen overskriftsrad)", file=where))
    return RawTable(stem, where, header, rows, notes)
