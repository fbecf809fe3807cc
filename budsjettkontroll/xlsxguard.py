"""Inspect an .xlsx before openpyxl opens it: a workbook must not cost more to open than the budget it holds.

openpyxl materialises some things on load: every cell of a merged range (a 17 kB file that merges A1:XFD1048576
asks for 17 billion cell objects), every cell a hyperlink covers, and every <c> element the sheets hold. And a
zip of a few hundred kilobytes can unpack to gigabytes. So before openpyxl sees the file, the archive is listed
(member count, declared sizes) and every sheet's XML is read as a stream (expat with every DTD and entity declaration refused, as defusedxml does), with
the bytes actually unpacked counted as they come, and the cells, merged cells and hyperlinked cells counted. A
file over any limit is refused in a second or two, using a few megabytes, naming the sheet.

The sheet's <dimension> is read but not trusted: it is what the writing program claims, and the cells are
counted as they are.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO

from xml.parsers import expat

from .errors import InputError, Problem

MAX_XLSX_UNPACKED = 25 * 1024 * 1024  # the Asker workbook unpacks to 70 kB; a formatted one from Excel to a few MB
MAX_XLSX_MEMBERS = 1_000  # a workbook of a dozen sheets has about 30 parts
MAX_XLSX_CELLS = 200_000  # cells in all sheets: 10 000 rows × 20 columns; a schedule has a few thousand
MAX_XLSX_RANGE_CELLS = 100_000  # cells covered by merged ranges and hyperlinks, which openpyxl creates one by one
_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")


class _Counted:
    """A member's stream that refuses to give more than the bytes left of the workbook's unpacked budget."""

    def __init__(self, raw: IO[bytes], budget: list[int], display: str):
        self.raw, self.budget, self.display = raw, budget, display

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(65536 if size is None or size < 0 else min(size, 65536))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise InputError(_too_big(self.display))
        return data


def _too_big(display: str) -> Problem:
    return Problem(f"arbeidsboken pakker seg ut til mer enn {MAX_XLSX_UNPACKED // 1024 // 1024} MB; grensen er "
                   f"{MAX_XLSX_UNPACKED // 1024 // 1024} MB (et budsjett er noen hundre kB)", file=display)


def _column(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def range_cells(ref: str) -> int:
    """How many cells «A1:XFD1048576» (or «B2», or «A1:B2 D4:E5») covers; unreadable parts count as one."""
    total = 0
    for part in ref.split():
        ends = [_REF.fullmatch(p.strip().upper()) for p in part.split(":")]
        if not ends or not all(ends):
            total += 1
            continue
        cols = [_column(m.group(1)) for m in ends]
        rows = [int(m.group(2)) for m in ends]
        total += (max(cols) - min(cols) + 1) * (max(rows) - min(rows) + 1)
    return total


def inspect_workbook(path: Path, display: str) -> None:
    """Refuse a workbook that would expand when opened; InputError names the file (and the sheet)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > MAX_XLSX_MEMBERS:
                raise InputError(Problem(f"arbeidsboken har {len(members)} deler; grensen er {MAX_XLSX_MEMBERS}",
                                         file=display))
            declared = sum(i.file_size for i in members)
            if declared > MAX_XLSX_UNPACKED:
                raise InputError(Problem(f"arbeidsboken pakker seg ut til {declared // 1024 // 1024} MB; grensen er "
                                         f"{MAX_XLSX_UNPACKED // 1024 // 1024} MB", file=display))
            budget = [MAX_XLSX_UNPACKED]  # the sizes in the directory can lie; the bytes read cannot
            names = _sheet_names(zf, budget, display)
            cells = ranges = 0
            for info in members:
                if info.is_dir():
                    continue
                if info.filename.endswith((".xml", ".rels", ".vml")) and not info.filename.startswith("xl/worksheets/"):
                    _no_dtd(zf, info, budget, display)
                    continue
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    _drain(zf, info, budget, display)
                    continue
                where = f"{display}[{names.get(info.filename, posixpath.basename(info.filename))}]"
                sheet_cells, sheet_ranges = _sheet(zf, info, budget, where)
                cells += sheet_cells
                ranges += sheet_ranges
                if cells > MAX_XLSX_CELLS:
                    raise InputError(Problem(f"arbeidsboken har mer enn {MAX_XLSX_CELLS} celler; grensen er "
                                             f"{MAX_XLSX_CELLS} (et budsjett har noen tusen)", file=where))
                if ranges > MAX_XLSX_RANGE_CELLS:
                    raise InputError(Problem("sammenslåtte celler og lenker dekker mer enn "
                                             f"{MAX_XLSX_RANGE_CELLS} celler; grensen er {MAX_XLSX_RANGE_CELLS}",
                                             file=where))
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
            ValueError, zlib.error, KeyError):
        raise InputError(Problem("er ikke en gyldig Excel-arbeidsbok (.xlsx)", file=display)) from None


def _open(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], display: str) -> _Counted:
    return _Counted(zf.open(info), budget, display)


def _drain(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], display: str) -> None:
    stream = _open(zf, info, budget, display)
    while stream.read(65536):
        pass


def _no_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], display: str) -> None:
    """A part other than a sheet: counted, and refused if it declares a DTD (entity expansion)."""
    stream = _open(zf, info, budget, display)
    head = stream.read(65536)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise InputError(Problem(f"arbeidsboken har en XML-dokumenttypedeklarasjon (DTD) i {info.filename}; det lager "
                                 "ikke Excel, og den leses ikke (entitetsutvidelse)", file=display))
    while stream.read(65536):
        pass


class _Stop(Exception):
    """Enough has been counted."""


def _scan(stream: _Counted, part: str, display: str, on_start) -> None:
    """Stream a part through expat, calling on_start(local_name, attributes) per element. No DTD and no entity
    declaration is accepted (as defusedxml), and nothing is built: a sheet of 200 000 cells takes a second."""
    parser = expat.ParserCreate(namespace_separator="}")

    def forbidden(*_args) -> None:
        raise InputError(Problem(f"arbeidsboken har en XML-dokumenttypedeklarasjon (DTD) i {part}; det lager ikke "
                                 "Excel, og den leses ikke (entitetsutvidelse)", file=display))

    parser.StartDoctypeDeclHandler = forbidden
    parser.EntityDeclHandler = forbidden
    parser.UnparsedEntityDeclHandler = forbidden
    parser.ExternalEntityRefHandler = forbidden
    parser.StartElementHandler = lambda name, attrs: on_start(name.rpartition("}")[2], attrs)
    try:
        while chunk := stream.read(65536):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop:
        return
    except expat.ExpatError as exc:
        raise InputError(Problem(f"arbeidsboken kan ikke leses (ugyldig XML i {part}: {expat.errors.messages[exc.code]})",
                                 file=display)) from None


def _sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], where: str) -> tuple[int, int]:
    """Cells, and cells under merged ranges and hyperlinks, of one sheet, read as a stream."""
    counts = [0, 0]

    def on_start(name: str, attrs: dict) -> None:
        if name == "c":
            counts[0] += 1
            if counts[0] > MAX_XLSX_CELLS:
                raise _Stop
        elif name in ("mergeCell", "hyperlink"):
            counts[1] += range_cells(attrs.get("ref", ""))
            if counts[1] > MAX_XLSX_RANGE_CELLS:
                raise _Stop

    _scan(_open(zf, info, budget, where), info.filename, where, on_start)
    return counts[0], counts[1]


def _sheet_names(zf: zipfile.ZipFile, budget: list[int], display: str) -> dict[str, str]:
    """Sheet part → sheet title, for messages («asker.xlsx[drift]»); empty when the workbook does not say."""
    try:
        book = zf.getinfo("xl/workbook.xml")
        rels = zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets: dict[str, str] = {}
    names: dict[str, str] = {}

    def on_rel(name: str, attrs: dict) -> None:
        if name == "Relationship":
            target = attrs.get("Target", "")
            targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))

    def on_sheet(name: str, attrs: dict) -> None:
        if name == "sheet":
            rid = next((v for k, v in attrs.items() if k.endswith("}id")), None)
            if rid in targets:
                names[targets[rid]] = attrs.get("name", "")

    _scan(_open(zf, rels, budget, display), rels.filename, display, on_rel)
    _scan(_open(zf, book, budget, display), book.filename, display, on_sheet)
    return names
