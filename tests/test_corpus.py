"""Issue 8: the corpus of real-world and hostile input files (tests/corpus/manifest.yaml).

Each case builds one input in a temporary folder — a copy of the bundled Asker package with a corpus file put
in place of one of its files, the Asker workbook with one thing changed, or a file generated here because it
is binary or large — runs the command line on it in-process and checks what the manifest says must happen:
the exit code, that no traceback escapes, that a refusal is one line per problem naming file, line and year,
and for an accepted file what it loads to (often: exactly the bundled Asker budget) and which notes it gives.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from typer.testing import CliRunner

from budsjettkontroll.cli import app
from budsjettkontroll.errors import InputError
from budsjettkontroll.labels import normalise
from budsjettkontroll.package import DEFAULT_BUDGET, bundled_dir, load_package
from budsjettkontroll.readers import MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_XLSX_UNPACKED
from budsjettkontroll.writer import workbook_bytes

CORPUS = Path(__file__).parent / "corpus"
FILES = CORPUS / "files"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
ASKER = bundled_dir() / DEFAULT_BUDGET
MARKER = "budsjettkontroll-ble-lurt"  # what the YAML-tag files would create if a tag were ever run


# --- what a budget loads to, for comparing ---------------------------------------------------------------

def canonical(budget) -> dict[str, Any]:
    """A budget as plain data: metadata without its source, and every row by statutory key (or own label)."""
    meta = budget.meta.model_dump()  # Python values: 4.0 % read from TOML equals 4 % read from a workbook
    tables = {}
    for stem, table in budget.tables.items():
        tables[stem] = sorted(((row.key or normalise(row.label)), str(row.group), sorted(row.values.items()))
                              for row in table.rows)
    return {"meta": meta, "tables": tables}


_ASKER_CANONICAL: dict[str, Any] = {}


def asker_canonical() -> dict[str, Any]:
    if not _ASKER_CANONICAL:
        _ASKER_CANONICAL.update(canonical(load_package(ASKER)))
    return _ASKER_CANONICAL


def snapshot(root: Path) -> dict[str, str]:
    """Hash of every regular file below root: the tool must never change its input."""
    if root.is_file():
        return {root.name: hashlib.sha256(root.read_bytes()).hexdigest()}
    out = {}
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- generators for inputs that are binary or large (made at test time, never committed) -----------------

def asker_workbook() -> bytes:
    return workbook_bytes(load_package(ASKER))


def _open_book(data: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def _save(wb, path: Path) -> None:
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())


def _patch_zip(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def _sheet_member(data: bytes, title: str) -> str:
    """The zip member of the sheet with this title (the writer numbers sheets in table order)."""
    wb = _open_book(data)
    return f"xl/worksheets/sheet{wb.sheetnames.index(title) + 1}.xml"


def make(case_dir: Path, target: Path, name: str, **args: Any) -> None:
    MAKERS[name](case_dir, target, **args)


def m_bytes(case_dir: Path, target: Path, file: str, kind: str) -> None:
    """Binary content under a table's .csv name."""
    rng = random.Random(8)
    content = {
        "random": bytes(rng.randrange(256) for _ in range(4096)),
        "control": bytes(rng.choice([*range(1, 9), *range(14, 32), *range(65, 91)]) for _ in range(4096)),
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(500)),
        "xlsx": asker_workbook(),
        "utf16": (ASKER / "gjeld.csv").read_text(encoding="utf-8").replace(",", "\t").encode("utf-16"),
    }[kind]
    (target / file).write_bytes(content)


def m_oversized(case_dir: Path, target: Path, file: str) -> None:
    """A sparse file one byte over the documented limit: costs no disk, and must be refused unread."""
    with (target / file).open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)


def m_special(case_dir: Path, target: Path, file: str, kind: str) -> None:
    """The path of a table is not a regular file: a folder, a link loop, a link to /dev/zero, a named pipe."""
    path = target / file
    path.unlink(missing_ok=True)
    if kind == "dir":
        path.mkdir()
        (path / "drift.csv").write_text("linje,2024\n", encoding="utf-8")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "devzero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling":
        path.symlink_to(target / "finnes-ikke.csv")
    elif kind == "outside":  # a link to a regular file outside the package (here: the bundled one, unchanged)
        path.symlink_to(ASKER / file)


def m_package_path(case_dir: Path, target: Path, kind: str) -> None:
    """The package path itself is a link loop, or does not exist."""
    shutil.rmtree(target)
    if kind == "loop":
        target.symlink_to(target.name)


def m_big_text(case_dir: Path, target: Path, kind: str) -> None:
    if kind == "field":  # one cell larger than the csv module's field limit (131 072 characters)
        text = (ASKER / "gjeld.csv").read_text(encoding="utf-8").replace("Startlån", '"' + "Startlån " * 20000 + '"')
        (target / "gjeld.csv").write_text(text, encoding="utf-8")
    elif kind == "rows":  # more rows than any schedule (an export of the whole ledger)
        lines = ["linje,2024"] + [f"Område {i},1" for i in range(MAX_ROWS + 5)]
        (target / "drift_fordeling.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "columns":
        header = ["linje"] + [f"k{i}" for i in range(MAX_COLUMNS + 5)]
        (target / "gjeld.csv").write_text(",".join(header) + "\n" + ",".join(["Startlån"] + ["1"] * (MAX_COLUMNS + 5))
                                          + "\n", encoding="utf-8")
    elif kind == "toml-nesting":  # tomllib recurses per level
        (target / "budsjett.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")


def m_write(case_dir: Path, target: Path, file: str, text: str) -> None:
    """A small file whose content the manifest gives (with escapes such as \\0 that a committed file would hide)."""
    (case_dir / file).write_text(text, encoding="utf-8")


def m_write_repeat(case_dir: Path, target: Path, file: str, text: str, unit: str, count: int) -> None:
    """A small file with one long run in it ({R}: unit × count), e.g. a number of 5000 digits or 5000 «[»."""
    (case_dir / file).write_text(text.replace("{R}", unit * count), encoding="utf-8")


def m_fifo_here(case_dir: Path, target: Path, file: str) -> None:
    """A named pipe next to the package, in the batch folder."""
    os.mkfifo(case_dir / file)


def m_rename(case_dir: Path, target: Path, old: str, new: str, keep: bool = False) -> None:
    """A file named as Windows users name it (Drift.csv); keep=True leaves the old one too."""
    (shutil.copyfile if keep else os.rename)(target / old, target / new)


def m_pack_nesting(case_dir: Path, target: Path, file: str) -> None:
    (case_dir / file).write_text("pack: dyp\nversion: '1'\ntitle: x\nrules: " + "[" * 20000 + "]" * 20000 + "\n",
                                 encoding="utf-8")


def m_workbook(case_dir: Path, target: Path, edit: str) -> None:
    """The Asker workbook as the tool writes it, with one thing changed the way Excel users change it."""
    data = asker_workbook()
    wb = _open_book(data)
    if edit == "none":
        pass
    elif edit == "numbers-as-text":  # "Lagre tall som tekst", with no-break spaces as thousands separators
        for row in wb["drift"].iter_rows(min_row=2):
            for cell in row[1:]:
                if isinstance(cell.value, int):
                    cell.value = f"{cell.value:,}".replace(",", "\u00a0").replace("-", "\u2212")
    elif edit == "float-years":  # years read as 2024.0, amounts as floats
        for ws in wb.worksheets[1:]:
            for cell in ws[1]:
                if isinstance(cell.value, int):
                    cell.value = float(cell.value)
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    if isinstance(cell.value, int) and not isinstance(cell.value, bool):
                        cell.value = float(cell.value)
    elif edit == "merged-title":  # a title merged over the table's width above the header
        ws = wb["drift"]
        ws.insert_rows(1, 2)
        ws["A1"] = "Bevilgningsoversikt drift (§ 5-4 første ledd)"
        ws.merge_cells("A1:G1")
        ws["A2"] = "Beløp i 1000 kr"
    elif edit == "merged-del":  # the del column merged down over the projects of one part
        ws = wb["investering_fordeling"]
        rows = [c.row for c in ws["B"][1:] if c.value == 1]
        for r in rows[1:]:
            ws.cell(row=r, column=2).value = None
        ws.merge_cells(start_row=rows[0], start_column=2, end_row=rows[-1], end_column=2)
    elif edit == "merged-amounts":  # two years merged into one cell: which year is it?
        wb["drift"].merge_cells("D3:E3")
    elif edit == "formula-no-value":  # a formula written by a program and never calculated by Excel
        wb["drift"]["D5"] = "=D2+D3+D4"
    elif edit == "hidden-sheet":
        wb["gjeld"].sheet_state = "hidden"
    elif edit == "extra-sheets":
        wb.create_sheet("Notater")["A1"] = "Arbeidsnotater fra økonomiavdelingen"
        wb.create_sheet("Pivot")["B2"] = 42
    elif edit == "no-meta":
        del wb["budsjett"]
    elif edit == "meta-bad-years":  # found by the fuzz harness: a year that is not a number gave a traceback
        for row in wb["budsjett"].iter_rows():
            if row[0].value == "years.plan":
                row[1].value = "2024, 2025, tjuetjueseks"
    elif edit == "duplicate-sheet":
        wb.create_sheet("Drift ")["A1"] = "linje"
    elif edit == "sparse-huge":  # one cell in the last column of the last row: a used range of 17 billion cells
        wb["gjeld"]["XFD1048576"] = 1
    else:
        raise KeyError(edit)
    _save(wb, target)


def m_workbook_xml(case_dir: Path, target: Path, edit: str) -> None:
    """Changes made in the workbook's XML: what no spreadsheet program writes, or what openpyxl cannot write."""
    data = asker_workbook()
    if edit == "formula-with-value":  # as Excel saves a formula: the formula and its cached value
        member = _sheet_member(data, "drift")

        def change(xml: bytes) -> bytes:
            new, n = re.subn(rb'<c r="D5" t="n"><v>(-?\d+)</v></c>', rb'<c r="D5"><f>SUM(D2:D4)</f><v>\1</v></c>', xml)
            assert n == 1
            return new
        data = _patch_zip(data, member, change)
    elif edit in ("entities", "external-entity"):
        member = _sheet_member(data, "drift_fordeling")
        lol = b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10 if i else b"lol") for i in range(10))
        dtd = b"<!DOCTYPE d [" + (lol if edit == "entities" else b'<!ENTITY l9 SYSTEM "file:///etc/passwd">') + b"]>"

        def change(xml: bytes) -> bytes:
            xml = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
            return b'<?xml version="1.0" encoding="UTF-8"?>\n' + dtd + xml.replace(
                b"<t>Oppvekst</t>", b"<t>&l9;</t>", 1)
        data = _patch_zip(data, member, change)
    elif edit == "zip-bomb":  # a member that unpacks to more than the limit, compressed to a few hundred kB
        out = io.BytesIO(data)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("xl/media/fyll.bin", "w", force_zip64=True) as fh:
                chunk = b"\0" * (1024 * 1024)
                for _ in range(MAX_XLSX_UNPACKED // len(chunk) + 1):
                    fh.write(chunk)
        data = out.getvalue()
    elif edit in ("merge-whole-sheet", "hyperlink-whole-sheet", "many-small-merges"):  # 17 kB that openpyxl expands
        member = _sheet_member(data, "drift")
        extra = {"merge-whole-sheet": b'<mergeCells count="1"><mergeCell ref="A200:XFD1048576"/></mergeCells>',
                 "hyperlink-whole-sheet": b'<hyperlinks><hyperlink ref="A1:XFD1048576" location="drift!A1"/></hyperlinks>',
                 "many-small-merges": b'<mergeCells count="3000">' + b"".join(
                     b'<mergeCell ref="A%d:Z%d"/>' % (300 + 2 * i, 301 + 2 * i) for i in range(3000)) + b"</mergeCells>",
                 }[edit]
        data = _patch_zip(data, member, lambda xml: xml.replace(b"</worksheet>", extra + b"</worksheet>", 1))
    elif edit in ("sheet-expands", "many-cells"):  # a sheet of repeated cells: compresses ~300:1
        member = _sheet_member(data, "gjeld")
        if edit == "sheet-expands":  # 99 MB of identical rows (no r= attributes, as some writers save): ~1000:1
            body = b"<row><c><v>1</v></c></row>" * (99 * 1024 * 1024 // 26)
        else:
            body = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (bytes([65 + c]), r)
                                                          for c in range(20)) + b"</row>" for r in range(200, 12_200))
        data = _patch_zip(data, member, lambda xml: xml.replace(b"</sheetData>", body + b"</sheetData>", 1))
    elif edit == "not-a-zip":
        data = b"Dette er ikke en arbeidsbok, bare tekst med .xlsx-navn.\n" * 20
    elif edit == "truncated":
        data = data[: len(data) // 2]
    else:
        raise KeyError(edit)
    target.write_bytes(data)


MAKERS: dict[str, Callable[..., None]] = {
    "bytes": m_bytes, "oversized": m_oversized, "special": m_special, "package_path": m_package_path,
    "big_text": m_big_text, "pack_nesting": m_pack_nesting, "write": m_write, "write_repeat": m_write_repeat,
    "fifo_here": m_fifo_here, "rename": m_rename, "workbook": m_workbook, "workbook_xml": m_workbook_xml,
}


# --- building and running one case -------------------------------------------------------------------------

def build(case: dict[str, Any], case_dir: Path) -> Path:
    """The input of a case below case_dir; returns the package path (a folder 'pkg' or a workbook)."""
    base = case.get("base", "folder")
    if base == "folder":
        target = case_dir / "pkg"
        shutil.copytree(ASKER, target)
    elif base == "workbook":
        target = case_dir / case.get("name", "asker.xlsx")
    else:
        target = case_dir / "pkg"
    for name, corpus_file in (case.get("put") or {}).items():
        shutil.copyfile(FILES / corpus_file, target / name)
    for edit in case.get("edit") or []:
        path = target / edit["file"]
        text = path.read_text(encoding="utf-8")
        assert text.count(edit["old"]) == 1, f"{case['id']}: edit does not match once"
        path.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")
    if "make" in case:
        spec = dict(case["make"])
        make(case_dir, target, spec.pop("name"), **spec)
    elif base == "workbook":
        make(case_dir, target, "workbook", edit="none")
    return target


def arguments(case: dict[str, Any], case_dir: Path, target: Path) -> list[str]:
    args = case.get("args") or ["check", "{pkg}", "--format", "text"]
    return [a.replace("{pkg}", str(target)).replace("{corpus}", str(FILES)).replace("{dir}", str(case_dir))
            for a in args]


def run_cli(args: list[str]):
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr, result.exception


def check_outcome(case: dict[str, Any], case_dir: Path, target: Path, code: int, out: str, err: str) -> None:
    expect = case["expect"]
    ident = case["id"]
    assert "Traceback" not in out + err, f"{ident}: traceback\n{err}"
    wanted = expect["exit"]
    assert code in (wanted if isinstance(wanted, list) else [wanted]), f"{ident}: exit {code}\n{err}\n{out[-2000:]}"
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 2:
        assert lines, f"{ident}: exit 2 without a message"
        for line in lines:  # one line per problem, each saying what and where
            assert line.startswith("feil: "), f"{ident}: not a one-line problem: {line!r}"
        if "problems" in expect:
            assert len(lines) == expect["problems"], f"{ident}: {lines}"
        error = expect["error"]
        if error["file"] is None:  # a problem with the command line or the environment: no file to name
            at = "feil: "
        else:
            where = error["file"].replace("{corpus}", str(FILES)) if "{corpus}" in error["file"] else \
                str(case_dir / error["file"])
            at = re.escape(f"feil: {where}") + (f":{error['line']}: " if error.get("line") else r"(:\d+)?: ")
        wanted_texts = _list(error.get("text")) + ([f"år {error['year']}"] if "year" in error else [])
        matching = [line for line in lines if re.match(at, line) and all(t in line for t in wanted_texts)]
        assert matching, f"{ident}: no message at {at!r} with {wanted_texts} among {lines}"
    else:
        assert not any(line.startswith("feil: ") for line in lines), f"{ident}: {lines}"
    for text in _list(expect.get("output")):
        assert text in out, f"{ident}: {text!r} not in the report"
    for text in _list(expect.get("absent")):  # e.g. a secret from a file named by mistake
        assert text not in out + err, f"{ident}: {text!r} was printed"
    if expect.get("clean_output"):  # no escape sequence from the input reaches the terminal, markdown or GitHub
        raw = re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out + err)
        assert raw is None, f"{ident}: control character {raw.group()!r} in the output"
    assert not (case_dir / MARKER).exists() and not Path(MARKER).exists(), f"{ident}: a YAML tag was executed"


def check_loaded(case: dict[str, Any], target: Path) -> None:
    expect = case["expect"]
    if not any(k in expect for k in ("loads", "values", "rows", "notes")):
        return
    budget = load_package(target)
    if expect.get("loads") == "asker":
        assert canonical(budget) == asker_canonical(), f"{case['id']}: loads to something else than the Asker budget"
    for stem, lines in (expect.get("values") or {}).items():
        table = budget.tables[stem]
        for label, by_year in lines.items():
            row = table.find(label)
            assert row is not None, f"{case['id']}: no row {label!r} in {stem}"
            for year, value in by_year.items():
                assert row.values.get(int(year)) == value, f"{case['id']}: {stem} {label} {year}: {row.values}"
    for stem, count in (expect.get("rows") or {}).items():
        assert len(budget.tables[stem].rows) == count
    for text in _list(expect.get("notes")):
        assert any(text in note for note in budget.notes), f"{case['id']}: note {text!r} not in {budget.notes}"


def _list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


@pytest.mark.parametrize("case", MANIFEST, ids=[c["id"] for c in MANIFEST])
def test_corpus_case(case: dict[str, Any], tmp_path: Path, monkeypatch) -> None:
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    monkeypatch.chdir(case_dir)  # no configuration file is found above, and a YAML tag could only touch here
    for name, value in (case.get("env") or {}).items():
        monkeypatch.setenv(name, str(value))
    target = build(case, case_dir)
    before = snapshot(case_dir)
    code, out, err, exc = run_cli(arguments(case, case_dir, target))
    assert exc is None or isinstance(exc, SystemExit), f"{case['id']}: {exc!r}"
    check_outcome(case, case_dir, target, code, out, err)
    assert snapshot(case_dir) == before, f"{case['id']}: the tool changed its input"
    check_loaded(case, target)


def test_corpus_is_large_and_covers_every_kind() -> None:
    """At least 40 cases, every kind the issue lists, each corpus file used, ids unique."""
    assert len(MANIFEST) >= 40
    ids = [c["id"] for c in MANIFEST]
    assert len(ids) == len(set(ids))
    kinds = {c["kind"] for c in MANIFEST}
    assert kinds >= {"tegnsett", "tall", "overskrift", "arbeidsbok", "linjenavn", "fiendtlig", "toml", "yaml"}
    used = {f for c in MANIFEST for f in (c.get("put") or {}).values()}
    used |= {Path(a).name for c in MANIFEST for a in c.get("args") or [] if "{corpus}" in a}
    assert {p.name for p in FILES.iterdir()} == used
    assert sum(1 for c in MANIFEST if c["expect"]["exit"] == 2) >= 30
    assert sum(1 for c in MANIFEST if c["expect"]["exit"] != 2) >= 15


PROCESS_CASES = [c for c in MANIFEST if c.get("process")]


@pytest.mark.parametrize("case", PROCESS_CASES, ids=[c["id"] for c in PROCESS_CASES])
def test_corpus_case_in_a_real_process(case: dict[str, Any], tmp_path: Path) -> None:
    """A few hostile cases once more as a separate process: what a user's shell sees (stderr, exit code)."""
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    target = build(case, case_dir)
    run = subprocess.run([sys.executable, "-m", "budsjettkontroll.cli", *arguments(case, case_dir, target)],
                         cwd=case_dir, capture_output=True, text=True, timeout=300)
    check_outcome(case, case_dir, target, run.returncode, run.stdout, run.stderr)


# --- nothing lost: the tool writes only where it is told, atomically, and never over what it read ------------

def test_report_output_never_replaces_a_file_without_force(asker_copy, tmp_path):
    report = tmp_path / "rapport.json"
    report.write_text("en rapport som finnes fra før\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["check", str(asker_copy), "--format", "json", "--output", str(report)])
    assert refused.exit_code == 2 and "finnes fra før; bruk --force" in refused.stderr
    assert report.read_text(encoding="utf-8") == "en rapport som finnes fra før\n"
    forced = CliRunner().invoke(app, ["check", str(asker_copy), "--format", "json", "--output", str(report), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert yaml.safe_load(report.read_text(encoding="utf-8"))["findings"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asker", "rapport.json"]  # no temporary file left behind


def test_report_output_is_never_written_over_an_input_file_even_with_force(asker_copy):
    before = snapshot(asker_copy)
    for target in (asker_copy / "drift.csv", asker_copy / "budsjett.toml"):
        result = CliRunner().invoke(app, ["check", str(asker_copy), "--format", "json", "--output", str(target),
                                          "--force"])
        assert result.exit_code == 2 and "er en av filene som ble lest" in result.stderr, result.stderr
    assert snapshot(asker_copy) == before


def test_an_amended_package_is_never_written_over_its_base(asker_copy, tmp_path):
    before = snapshot(asker_copy)
    proposal = bundled_dir() / "endringsforslag-omfordeling.yaml"
    for force in ([], ["--force"]):
        result = CliRunner().invoke(app, ["amend", str(asker_copy), str(proposal), "--format", "json",
                                          "--write-package", str(asker_copy), *force])
        assert result.exit_code == 2, result.stderr
    assert snapshot(asker_copy) == before
    written = tmp_path / "endret"
    assert CliRunner().invoke(app, ["amend", str(asker_copy), str(proposal), "--format", "json",
                                    "--write-package", str(written)]).exit_code in (0, 1)
    again = CliRunner().invoke(app, ["amend", str(asker_copy), str(proposal), "--format", "json",
                                     "--write-package", str(written)])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    """atomic_write writes a temporary file and renames it: if anything fails before the rename, the old file
    is untouched and the temporary file is gone."""
    from budsjettkontroll import writer

    target = tmp_path / "rapport.txt"
    target.write_text("gammel\n", encoding="utf-8")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", disk_full)
    with pytest.raises(InputError, match="kan ikke skrives: disken er full"):  # exit 2 with one line, no traceback
        writer.atomic_write(target, b"ny\n", force=True)
    assert target.read_text(encoding="utf-8") == "gammel\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rapport.txt"]
