"""Read a budget package's files into raw tables: cells as written, with their line numbers.

Reading is separate from validation: the readers only find rows and cells; the pandera schemas judge them.
Nothing here writes to the input.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .xlsxguard import MAX_XLSX_UNPACKED, inspect_workbook  # noqa: F401 - the limit is documented here too

MAX_FILE_BYTES = 20 * 1024 * 1024  # a schedule of a few hundred lines is kilobytes; 20 MB is far beyond any real one
MAX_ROWS = 10_000  # a schedule has tens of lines, § 5-5 andre ledd a few hundred projects
MAX_COLUMNS = 200  # linje, del and the years; a sheet wider than this is not a schedule
_TITLE_ROWS = 10  # how far down a header row («linje», …) is looked for below title rows
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")  # «å» as UTF-8 is C3 A5
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")  # never in text a person or Excel wrote
_YEAR_IN_HEADER = re.compile(r"(?<!\d)(19\d\d|20\d\d|21\d\d)(?!\d)")
_YEAR_ONLY = re.compile(r"\s*(\d{4})(?:\.0+)?\s*")


@dataclass(frozen=True)
class ColumnHead:
    """A year column as printed: its year and the kind its header says («Regnskap 2022» → regnskap). kind is
    None for a bare year («2024») and «budsjett» for a plain «Budsjett 2024»; the package decides those (its
    [years], or the other columns), see columns.py. `unknown` marks a header whose words are not a known kind."""

    year: int
    kind: str | None
    printed: str
    unknown: bool = False


@dataclass
class RawTable:
    """One schedule as read: the header and each data row with the line (or sheet row) it came from."""

    stem: str
    file: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)
    heads: dict[int, ColumnHead] = field(default_factory=dict)  # column index → year column as printed
    printed: list[str] = field(default_factory=list)  # the header cells as printed (whitespace collapsed)
    avvik: list["AvvikCell"] = field(default_factory=list)  # avvik cells that are not regnskap − justert (rules judge them)
    kind_only: list[int] = field(default_factory=list)  # columns with a kind but no year, and no regnskapsaar to place them


@dataclass(frozen=True)
class AvvikCell:
    """An «Avvik» cell that differs from regnskap − justert budsjett of its line (the AVVIK-kolonne rules judge it:
    beyond rounding a warning, within it an info note). Amounts as printed, in the table's own sign convention."""

    stem: str
    file: str
    line: int
    label: str
    column: str  # the avvik column's header as printed
    year: int
    shown: int | Any
    regnskap: int | Any
    budsjett: int | Any
    regnskap_column: str
    budsjett_column: str

    @property
    def difference(self) -> Any:
        return self.shown - (self.regnskap - self.budsjett)


# Words before (or after) the year, letters only and lower case («Øk.plan» → «økplan», «Oppr. budsjett» →
# «opprbudsjett», «justert_budsjett» → «justertbudsjett»), and the kind they name.
_BUDGET = r"(budsjett|budsj|budget|budsjet)?"
_KIND_WORDS = (
    # «Regnskap i fjor», «Årsregnskap», «Foreløpig regnskap», «Regnskap (urevidert)», «Regnskap pr. 31.12.2022»
    ("regnskap", re.compile(r"(foreløpig|forelopig|urevidert|års|ars)?(regnskap|rekneskap|regnskab|regn|rekn|r|rr"
                            r"|regnskapstal|regnskapstall)(ifjor)?(urevidert|foreløpig|forelopig|pr|per)?")),
    ("opprinnelig", re.compile(r"(oppr|opprinnelig|opprinneleg|opphavleg|opph)" + _BUDGET)),
    # «Budsjett 2023 (revidert)», «Revidert budsjett 2023 per 2. tertial», «RB 2023», «JB 2023»
    ("revidert", re.compile(r"(rev|revidert|regulert|reg|justert|just|endret|endra|korrigert|rb|jb)" + _BUDGET
                            + r"((pr|per)(tertial)?)?|(budsjett|budsj)(rev|revidert|regulert|justert|endret|endra)")),
    ("plan", re.compile(r"(økonomiplan|økplan|øp|okonomiplan|okplan|økonomiplanår|årsbudsjett|arsbudsjett|handlingsprogram"
                        r"|hp|budsjettogøkonomiplan|budsjettøkonomiplan|plan)")),
    # «Vedtatt budsjett 2024» may be this year's årsbudsjett or last year's budget: placed like «Budsjett 2024»;
    # so are «Budsjett 2024 (vedtatt)», «Budsjett år 2024», «VB 2024» and the proposal («Rådmannens forslag 2024»)
    ("budsjett", re.compile(r"(vedtatt|vedteke|vedtekne|vedt)?(budsjett|budsj|budget|b|budsjet)(år|ar)?"
                            r"(vedtatt|vedteke)?|vedtatt|vb|(rådmannens|radmannens|kommunedirektørens|kommunedirektorens"
                            r"|kommunedirektørensitt|kommunedirektorensitt|formannskapets|formannskapetsi)?"
                            r"(forslag|innstilling)")),
)
# The unit printed in a header cell («Regnskap 2022 (1000 kr)», «Beløp i 1000 kr», «i hele tusen»): not a kind word
_UNIT_IN_HEADER = re.compile(r"\(?\s*\b(alle tal i|alle tall i|tall i|tal i|beløp i|i)?\s*(hele|heile)?\s*"
                             r"(1\s?000|tusen)\s*(kr\.?|kroner|nok)?\s*\)?", re.I)
_NOT_A_YEAR_COLUMN = re.compile(r"sum|avvik|endring|differanse|diff|%|prosent|i alt|totalt|måltal|mål", re.I)


def parse_head(cell: object) -> ColumnHead | None:
    """The year column a header cell names, or None when it names no year (linje, del, område, avvik …)."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if float(cell).is_integer() and 1900 <= int(cell) <= 2199:
            return ColumnHead(int(cell), None, str(int(cell)))
        return None
    text = " ".join(str(cell or "").replace("\ufeff", "").split())
    if m := _YEAR_ONLY.fullmatch(text):
        return ColumnHead(int(m.group(1)), None, text)
    found = _YEAR_IN_HEADER.findall(text)
    if len(found) != 1 or _NOT_A_YEAR_COLUMN.search(text):
        return None
    year = int(found[0])
    words = re.sub(r"[^a-zæøåäö]", "", _UNIT_IN_HEADER.sub(" ", _YEAR_IN_HEADER.sub(" ", text)).lower())
    for kind, pattern in _KIND_WORDS:
        if pattern.fullmatch(words):
            return ColumnHead(year, kind, text)
    return ColumnHead(year, None, text, unknown=True)


_LAST_YEAR = re.compile(r"(.*?)(ifjor|forrigeår|forrigear|fjoråret|fjoraret)")


def kind_only(cell: object) -> tuple[str, int] | None:
    """(kind, years back) for a header that names a kind but no year: «Regnskap» → ("regnskap", 0), «Oppr.
    budsjett» → ("opprinnelig", 0), «Rekneskap i fjor» → ("regnskap", 1); None for anything else."""
    text = " ".join(str(cell or "").split())
    if not text or _YEAR_IN_HEADER.search(text) or _NOT_A_YEAR_COLUMN.search(text):
        return None
    words = re.sub(r"[^a-zæøåäö]", "", text.lower())
    back = 0
    if m := _LAST_YEAR.fullmatch(words):
        words, back = m.group(1), 1
    if len(words) < 3:  # «r», «b», «rr» alone say nothing without a year
        return None
    for kind, pattern in _KIND_WORDS:
        if pattern.fullmatch(words):
            return kind, back
    return None


def place_kind_only(raw: RawTable, year: int | None) -> None:
    """Columns headed by a kind but no year («Regnskap», «Reg. budsjett», «Regnskap i fjor», as an årsregnskap
    prints them under its title): with budsjett.toml `regnskapsaar`, the year of the accounts (i fjor: the year
    before), with a note; without it, one problem each that says how to give the year (columns.layout)."""
    for i, cell in enumerate(raw.printed):
        if i in raw.heads or raw.header[i] in (_LABEL, *_OTHER_FIRST_COLUMNS) or (found := kind_only(cell)) is None:
            continue
        kind, back = found
        if year is None:
            raw.kind_only.append(i)
            continue
        raw.heads[i] = ColumnHead(year - back, kind, f"{cell} {year - back}")  # the report names «Regnskap 2022»
        raw.header[i] = str(year - back)
        raw.notes.append(f"{raw.file}:1: kolonnen «{cell}» har ikke årstall; den er lest som {year - back} "
                         f"(regnskapsaar = {year} i budsjett.toml)")


def header_year(name: object) -> int | None:
    """'2024', 2024.0, 'Øk.plan 2024', 'Oppr. budsjett 2023', 'Regnskap 2022' → the year; else None."""
    head = parse_head(name)
    return head.year if head else None


def normalise_header(header: list[Any], notes: list[str], where: str) -> tuple[list[str], dict[int, ColumnHead], list[str]]:
    """The header with each year column as its year («2022»), the year columns as printed, and the printed cells.
    The package (columns.py) decides what kind each year column is and which view it belongs to."""
    out, heads, printed = [], {}, []
    for i, cell in enumerate(header):
        head = parse_head(cell)
        text = "" if cell is None else " ".join(str(cell).replace("\ufeff", "").split())
        printed.append(text)
        if head is not None:
            heads[i] = head
            out.append(str(head.year))
        else:
            out.append(text.lower())
    return out, heads, printed


# Columns that are no year but that kommuner print beside the years: a derived difference («Avvik»,
# «Budsjettavvik»: regnskap minus justert budsjett) and a text reference («Henvisning», «Note», «Noter»).
_AVVIK_COLUMN = re.compile(r"(budsjett)?avvik", re.I)
_TEXT_COLUMN = re.compile(r"henvisning|henvisningar|note|noter|notar", re.I)
_PERCENT_COLUMN = re.compile(r"%|\bprosent|forbruksprosent", re.I)
_ROUNDING = 2  # regnskap − justert: each printed term may be rounded by up to 1


def set_aside_known_columns(raw: RawTable) -> RawTable:
    """Drop the known non-year columns (avvik, henvisning/note) from the table, with a note naming each. An avvik
    column is checked against regnskap − justert (revidert) budsjett of its year when the table prints both once:
    within rounding a note, otherwise a note naming line and column; it is never read as a year or an amount."""
    from .numbers import AmountError, parse_amount  # noqa: PLC0415 - numbers imports nothing from here

    keep, dropped = [], []
    for i, name in enumerate(raw.header):
        word = re.sub(r"[^a-zæøå]", "", str(name).lower())
        kind = "avvik" if _AVVIK_COLUMN.fullmatch(word) else "tekst" if _TEXT_COLUMN.fullmatch(word) else \
            "prosent" if _PERCENT_COLUMN.search(str(name)) else None
        (dropped if kind and i not in raw.heads else keep).append((i, kind))
    if not dropped:
        return raw
    for i, kind in dropped:
        printed = raw.printed[i] if i < len(raw.printed) else raw.header[i]
        if kind == "tekst":
            raw.notes.append(f"{raw.file}:1: kolonnen «{printed}» er tekst (henvisning/note) og er lest, ikke som år")
            continue
        if kind == "prosent":  # «Regnskap i % av budsjett», «%-forbruk»: a ratio of two columns, no amount
            raw.notes.append(f"{raw.file}:1: kolonnen «{printed}» er en prosent og er satt til side, ikke lest som år "
                             "eller beløp")
            continue
        years = {h.year for h in raw.heads.values()}
        pair = [next((j for j, h in raw.heads.items() if h.kind == k), None) for k in ("regnskap", "revidert")]
        if len(years) != 1 or None in pair or sum(h.kind in ("regnskap", "revidert") for h in raw.heads.values()) != 2:
            # several years or no single regnskap/justert pair: which difference it prints is not known
            pair = [j for j, h in raw.heads.items() if h.kind in ("regnskap", "revidert")]
            by_year: dict[int, list[int]] = {}
            for j in pair:
                by_year.setdefault(raw.heads[j].year, []).append(j)
            pairs = [js for js in by_year.values() if len(js) == 2]
            if len(pairs) != 1:
                raw.notes.append(f"{raw.file}:1: kolonnen «{printed}» er et avvik mellom to kolonner; den er ikke "
                                 "kontrollert (ingen entydig regnskap/justert budsjett-kolonne ved siden av)")
                continue
            js = sorted(pairs[0], key=lambda j: raw.heads[j].kind != "regnskap")
            pair = js
        r, b = pair
        cell = lambda cells, j: cells[j] if j < len(cells) else None  # noqa: E731
        at = raw.header.index("linje") if "linje" in raw.header else 0
        worst, off = 0, 0
        for line, cells in raw.rows:
            try:
                shown, reg, bud = (parse_amount(cell(cells, j)) for j in (i, r, b))
            except AmountError:
                continue
            if shown is None or reg is None or bud is None:
                continue
            diff = shown - (reg - bud)
            if diff:  # a finding of the AVVIK-kolonne rules: a warning beyond rounding, an info note within it
                label = " ".join(str(cell(cells, at) or "").split())
                raw.avvik.append(AvvikCell(raw.stem, raw.file, line, label, printed, raw.heads[r].year, shown, reg,
                                           bud, raw.printed[r], raw.printed[b]))
            off += abs(diff) > _ROUNDING
            worst = max(worst, abs(diff))
        if off:
            raw.notes.append(f"{raw.file}:1: kolonnen «{printed}» er kontrollert mot «{raw.printed[r]}» − "
                             f"«{raw.printed[b]}» og ikke lest som år; {off} linje(r) stemmer ikke (se AVVIK-kolonne)")
        else:
            within = f" innen avrunding (største forskjell {worst})" if worst else ""
            raw.notes.append(f"{raw.file}:1: kolonnen «{printed}» er «{raw.printed[r]}» − «{raw.printed[b]}» på hver "
                             f"linje{within}; den er kontrollert og ikke lest som år")
    drop = {i for i, _ in dropped}
    index = {old: new for new, old in enumerate(i for i in range(len(raw.header)) if i not in drop)}
    raw.header = [h for i, h in enumerate(raw.header) if i not in drop]
    raw.printed = [h for i, h in enumerate(raw.printed) if i not in drop]
    raw.heads = {index[i]: h for i, h in raw.heads.items()}
    raw.rows = [(line, [c for i, c in enumerate(cells) if i not in drop]) for line, cells in raw.rows]
    return raw


def check_size(path: Path, display: str) -> None:
    """A regular file below the size limit; a link loop, a device (/dev/zero) or a pipe is refused before reading."""
    try:
        if not path.exists():
            what = "er en lenke som peker i ring (lenkeløkke) eller til noe som ikke finnes" if path.is_symlink() \
                else "filen finnes ikke"
            raise InputError(Problem(what, file=display))
        if path.is_dir():
            raise InputError(Problem("er en mappe, ikke en fil", file=display))
        if not path.is_file():
            raise InputError(Problem("er ikke en vanlig fil (enhet, rør eller socket)", file=display))
        size = path.stat().st_size
    except OSError as exc:  # e.g. ELOOP, a name too long, no permission
        raise InputError(Problem(f"kan ikke leses: {exc.strerror or exc}", file=display)) from None
    if size > MAX_FILE_BYTES:
        raise InputError(Problem(f"filen er {size // 1024 // 1024} MB; grensen er {MAX_FILE_BYTES // 1024 // 1024} MB", file=display))


def read_limited(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, never more than the limit (a file can grow, or lie about its size, while it is read)."""
    if limit == MAX_FILE_BYTES:
        check_size(path, display)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(Problem(f"kan ikke leses: {exc.strerror or exc}", file=display)) from None
    if len(data) > limit:
        raise InputError(Problem(f"filen er større enn grensen på {limit // 1024 // 1024} MB", file=display))
    return data


def decode(data: bytes, display: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); Windows-1252 from older Excel exports and UTF-16 with BOM («Unicode-tekst»
    from Excel) are read with a note; anything with control characters is binary and refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(Problem("filen begynner som UTF-16, men er ikke gyldig UTF-16; lagre som CSV UTF-8",
                                     file=display)) from None
        return _no_control(text, display), [f"{display}: lest som UTF-16 («Unicode-tekst»); lagre helst som CSV UTF-8"]
    if data.startswith(b"PK\x03\x04"):
        raise InputError(Problem("er en Excel-arbeidsbok eller zip-fil med .csv-navn; oppgi .xlsx-filen som pakke, eller "
                                 "eksporter CSV", file=display))
    if b"\x00" in data[:4096]:
        raise InputError(Problem("filen er binær, ikke tekst (CSV)", file=display))
    try:
        return _no_control(data.decode("utf-8-sig"), display), []
    except UnicodeDecodeError as exc:
        bad = exc.start
    if mixed := _UTF8_SEQUENCE.search(data):
        line, utf8_line = data.count(b"\n", 0, bad) + 1, data.count(b"\n", 0, mixed.start()) + 1
        raise InputError(Problem(f"filen blander UTF-8 (f.eks. «{mixed.group().decode('utf-8')}» på linje {utf8_line}) og "
                                 f"et annet tegnsett (byte 0x{data[bad]:02X}); lagre den på nytt som CSV UTF-8",
                                 file=display, line=line))
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"filen er verken UTF-8 eller Windows-1252 (byte {exc.start}); lagre som CSV UTF-8",
                                 file=display)) from None
    return _no_control(text, display), [f"{display}: lest som Windows-1252 (ikke UTF-8); lagre som UTF-8 for å unngå "
                                        "feil i æøå"]


def _no_control(text: str, display: str) -> str:
    if m := _CONTROL.search(text):
        line = text.count("\n", 0, m.start()) + 1
        raise InputError(Problem(f"filen er binær, ikke tekst (CSV): kontrolltegn U+{ord(m.group()):04X}", file=display,
                                 line=line))
    return text


def is_title_row(cells: list[Any]) -> bool:
    """A title above the header («Bevilgningsoversikt drift», «Beløp i 1000 kr»): one filled cell at most."""
    return sum(1 for c in cells if c is not None and str(c).strip() != "") <= 1


def header_index(rows: list[list[Any]]) -> int:
    """Which of the first non-empty rows is the header: the first whose cells include «linje» after title rows
    only; else the first row (the schema then says what is wrong with it)."""
    for i, cells in enumerate(rows[:_TITLE_ROWS]):
        if any(str(c).strip().lstrip("\ufeff").lower() == "linje" for c in cells if c is not None):
            return i if all(is_title_row(r) for r in rows[:i]) else 0
    # no «linje»: a table copied as printed heads its first column with the table's own name («Økonomiske
    # oversikter»); its header is the first row that names a year column («Regnskap 2022», «2024») or a kind
    # («Regnskap» above the years), so a title row with two cells («Bevilgningsoversikt drift … Beløp i 1000 kr»)
    # is passed over; without such a row, the first row with two or more cells below title rows only
    for i, cells in enumerate(rows[:_TITLE_ROWS]):
        if any(parse_head(c) is not None or kind_only(c) is not None for c in cells[1:] if c is not None):
            return i
    return next((i for i, cells in enumerate(rows[:_TITLE_ROWS]) if not is_title_row(cells)), 0)


_LABEL = "linje"
_OTHER_FIRST_COLUMNS = {"del", "område", "omrade"}  # columns a package may put first (investering_fordeling, selvkost)


def two_row_header(rows: list[list[Any]], start: int, notes: list[str], where: str, line: int) -> tuple[list[Any], int]:
    """The header and how many rows it takes. A header printed over two rows, the kind above the year
    («Regnskap» over «2022», «Regnskap i fjor» over «2021», as Giske's årsrapport prints its schedules), is joined
    cell by cell («Regnskap 2022») with a note: only when the first row names no year and the second row holds
    nothing but bare years (or blanks) under filled cells of the first, besides its first cell."""
    top = rows[start]
    if start + 1 >= len(rows) or any(parse_head(c) is not None for c in top):
        return top, 1
    below = rows[start + 1]
    years = [i for i, c in enumerate(below) if i > 0 and c is not None and str(c).strip() != ""]
    if not years or any(not _YEAR_ONLY.fullmatch(str(below[i])) or i >= len(top) or top[i] is None
                        or str(top[i]).strip() == "" for i in years):
        return top, 1
    joined = list(top) + [None] * (len(below) - len(top))
    for i in years:
        joined[i] = f"{' '.join(str(top[i]).split())} {str(below[i]).strip()}"
    first = below[0] if below else None
    if first is not None and str(first).strip() and top and top[0] is not None and str(top[0]).strip():
        joined[0] = f"{' '.join(str(top[0]).split())} {' '.join(str(first).split())}"
    notes.append(f"{where}:{line}: overskriften står på to rader; kolonnene er lest som "
                 + ", ".join(f"«{joined[i]}»" for i in years))
    return joined, 2


_NUMBER_CELL = re.compile(r"\s*\d{1,3}[a-zA-Z]?[.)]?\s*")


def label_column(raw: RawTable) -> RawTable:
    """The line names when no column is called «linje»: a table copied as printed heads its name column with its
    own title («Økonomiske oversikter», «Løyvingsoversikt drift B - …»), never «linje». The first column that is
    no year is read as the names, with a note; a first column of line or area numbers only («Ramme», «Nr»: 1, 2,
    … 12, blank beside the sum) before a text column is set aside with a note, and the text column is the names."""
    header, heads = raw.header, raw.heads
    if _LABEL in header or not header or 0 in heads or header[0] in _OTHER_FIRST_COLUMNS:
        return raw
    firsts = [cells[0] if cells else None for _, cells in raw.rows]
    numbers = [c for c in firsts if c is not None and str(c).strip() != ""]
    seconds = [cells[1] for _, cells in raw.rows if len(cells) > 1 and not is_blank_cell(cells[1])]
    if (len(header) > 1 and 1 not in heads and header[1] not in _OTHER_FIRST_COLUMNS and numbers and seconds
            and all(_NUMBER_CELL.fullmatch(str(c)) for c in numbers)
            and not all(_NUMBER_CELL.fullmatch(str(c)) for c in seconds)):
        raw.notes.append(f"{raw.file}:1: første kolonne «{raw.printed[0] or '(tom)'}» har bare linje- eller "
                         f"områdenummer og er satt til side; kolonnen «{raw.printed[1] or '(tom)'}» er lest som "
                         "linjenavn («linje»)")
        raw.header = [_LABEL, *header[2:]]
        raw.printed = raw.printed[1:]
        raw.heads = {i - 1: h for i, h in heads.items()}
        raw.rows = [(line, list(cells[1:])) for line, cells in raw.rows]
        return raw
    raw.notes.append(f"{raw.file}:1: første kolonne «{raw.printed[0] or '(tom)'}» er lest som linjenavn («linje»)")
    raw.header = [_LABEL, *header[1:]]
    return raw


def is_blank_cell(cell: Any) -> bool:
    return cell is None or str(cell).strip() == ""


def read_csv(path: Path, stem: str, display: str) -> RawTable:
    text, notes = decode(read_limited(path, display), display)
    sample = "\n".join([line for line in text.splitlines() if line.strip()][:_TITLE_ROWS + 1])
    delimiter = max((",", ";", "\t"), key=sample.count) if any(d in sample for d in ";\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    found: list[tuple[int, list[Any]]] = []
    started = 1  # the line the current row starts on (a quoted cell may span lines)
    try:
        for cells in reader:
            row_start, started = started, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(found) > MAX_ROWS:
                raise InputError(Problem(f"filen har mer enn {MAX_ROWS} rader; det er ingen budsjettoversikt",
                                         file=display, line=reader.line_num))
            if len(cells) > MAX_COLUMNS:
                raise InputError(Problem(f"raden har {len(cells)} kolonner; grensen er {MAX_COLUMNS}", file=display,
                                         line=reader.line_num))
            found.append((row_start, [_unguarded(c) for c in cells]))  # the line the row starts on, as an editor shows it
    except csv.Error as exc:
        raise InputError(Problem(f"ugyldig CSV: {exc}", file=display, line=reader.line_num)) from None
    if not found:
        raise InputError(Problem("filen er tom (ingen overskriftsrad)", file=display))
    if _unclosed_quote(text, delimiter):
        raise InputError(Problem("et anførselstegn («\"») åpnes her og lukkes aldri; resten av filen ble lest som én "
                                 "celle", file=display, line=row_start))
    start = header_index([cells for _, cells in found])
    for line, cells in found[:start]:
        notes.append(f"{display}:{line}: «{' '.join(c.strip() for c in cells if c.strip())}» er lest som tittel "
                     "over overskriftsraden og hoppet over")
    cells, taken = two_row_header([c for _, c in found], start, notes, display, found[start][0])
    header, heads, printed = normalise_header(cells, notes, display)
    raw = label_column(RawTable(stem, display, header, found[start + taken:], notes, heads, printed))
    return set_aside_known_columns(raw)


def _unguarded(cell: str) -> str:
    """'=HYPERLINK(…) as writer.csv_cell guards formula-like text for Excel: read back as =HYPERLINK(…)."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def _unclosed_quote(text: str, delimiter: str) -> bool:
    """True when a quoted cell runs to the end of the file (the csv module then reads the rest as one cell)."""
    if '"' not in text:
        return False
    quoted = False
    at_start = True
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"' and at_start:
            quoted = True
        at_start = ch in (delimiter, "\n", "\r") if not quoted else False
        i += 1
    return quoted


def open_workbook(path: Path, display: str):
    """Open an .xlsx safely: size and zip-bomb limits first, no XML document type declarations (entity expansion,
    external entities); openpyxl then parses with defusedxml, which refuses them too."""
    import openpyxl

    check_size(path, display)
    inspect_workbook(path, display)  # archive, unpacked bytes, cells, merged ranges, hyperlinks: before openpyxl
    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem(f"arbeidsboken kan ikke leses ({_cause(exc)})", file=display)) from None


def _cause(exc: BaseException) -> str:
    """The root cause's name: openpyxl wraps a refused XML entity in a ValueError."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    if type(exc).__name__ in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
        return "XML-en har entitetsdeklarasjoner, som ikke leses"
    return type(exc).__name__


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def sheet_rows(ws, where: str) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a sheet with their row numbers, built from the cells the file really holds: a sheet
    whose used range claims a million rows (one cell in XFD1048576) costs no more than the cells it stores."""
    cells = getattr(ws, "_cells", None)
    if cells is None:  # not an ordinary worksheet; fall back on its own bounds
        if ws.max_row > MAX_ROWS * 10 or ws.max_column > MAX_COLUMNS:
            raise InputError(Problem(f"arket er {ws.max_row} rader × {ws.max_column} kolonner; grensen er "
                                     f"{MAX_ROWS} rader og {MAX_COLUMNS} kolonner", file=where))
        return [(r[0].row, [c.value for c in r]) for r in ws.iter_rows() if any(_filled(c.value) for c in r)]
    by_row: dict[int, dict[int, Any]] = {}
    for (row, column), cell in cells.items():
        if _filled(cell.value):
            by_row.setdefault(row, {})[column] = cell.value
    if len(by_row) > MAX_ROWS:
        raise InputError(Problem(f"arket har mer enn {MAX_ROWS} rader med innhold; det er ingen budsjettoversikt",
                                 file=where))
    width = max((max(cols) for cols in by_row.values()), default=0)
    if width > MAX_COLUMNS:
        raise InputError(Problem(f"arket har innhold i kolonne {width}; grensen er {MAX_COLUMNS} kolonner", file=where))
    return [(row, [by_row[row].get(c) for c in range(1, width + 1)]) for row in sorted(by_row)]


def _merged(ws, header_row: int, header: list[str], where: str, notes: list[str]) -> dict[tuple[int, int], Any]:
    """Merged cells below the header: a label or del merged over several rows applies to each of them (with a
    note); a merged amount is ambiguous (which year, which line?) and is refused, naming the cells."""
    fill: dict[tuple[int, int], Any] = {}
    ranges = getattr(getattr(ws, "merged_cells", None), "ranges", ())
    for rng in sorted(ranges, key=lambda r: (r.min_row, r.min_col)):
        if rng.max_row <= header_row or (rng.min_row == rng.max_row and rng.min_col == rng.max_col):
            continue
        value = ws.cell(row=rng.min_row, column=rng.min_col).value
        if not _filled(value):
            continue
        names = {header[c - 1] if c - 1 < len(header) else "" for c in range(rng.min_col, rng.max_col + 1)}
        if rng.min_col != rng.max_col or not names <= {"linje", "del"}:
            raise InputError(Problem(f"cellene {rng.coord} er slått sammen; et beløp skal stå i én celle per linje og "
                                     "år (opphev sammenslåingen)", file=where, line=rng.min_row))
        notes.append(f"{where}: de sammenslåtte cellene {rng.coord} («{value}») er lest som gjeldende for hver rad")
        for row in range(max(rng.min_row, header_row + 1), rng.max_row + 1):
            fill[(row, rng.min_col)] = value
    return fill


def read_sheet(ws, stem: str, display: str, formula_ws=None) -> RawTable:
    where = f"{display}[{ws.title}]"
    notes: list[str] = []
    found = sheet_rows(ws, where)
    if not found:
        raise InputError(Problem("arket er tomt (ingen overskriftsrad)", file=where))
    start = header_index([cells for _, cells in found])
    for line, cells in found[:start]:
        title = " ".join(str(c).strip() for c in cells if _filled(c))
        notes.append(f"{where}:{line}: «{title}» er lest som tittel over overskriftsraden og hoppet over")
    header_row, header_cells = found[start]
    header_cells, taken = two_row_header([c for _, c in found], start, notes, where, header_row)
    header, heads, printed = normalise_header(header_cells, notes, where)
    fill = _merged(ws, header_row, header, where, notes)
    if taken == 2:
        header_row = found[start + 1][0]  # the year row is part of the header
    if formula_ws is not None:
        _refuse_formulas_without_value(ws, formula_ws, where)
    width = len(header_cells)
    by_line = dict(found)
    rows: list[tuple[int, list[Any]]] = []
    for line in sorted(set(by_line) | {r for r, _ in fill}):
        if line > header_row:
            values = by_line.get(line) or [None] * width
            rows.append((line, [fill.get((line, c + 1), v) for c, v in enumerate(values)]))
    return set_aside_known_columns(label_column(RawTable(stem, where, header, rows, notes, heads, printed)))


def _refuse_formulas_without_value(ws, formula_ws, where: str) -> None:
    """A formula Excel never calculated (written by a program, not saved by Excel) has no value to read."""
    for (row, column), raw in sorted(getattr(formula_ws, "_cells", {}).items()):
        formula = (isinstance(raw.value, str) and raw.value.startswith("=") and raw.data_type == "f") \
            or type(raw.value).__name__ in ("ArrayFormula", "DataTableFormula")
        cached = getattr(ws, "_cells", {}).get((row, column))
        if formula and (cached is None or cached.value is None):
            raise InputError(Problem(
                f"celle {raw.coordinate} er en formel uten lagret verdi; åpne og lagre arbeidsboken i Excel, "
                "eller eksporter CSV", file=where, line=row))
