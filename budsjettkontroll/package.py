"""Load a budget package: a folder of CSV files with budsjett.toml, or one .xlsx workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .budget import Budget
from .catalogue import TABLES
from .columns import layout
from .errors import InputError, Problem
from .meta import BudgetMeta
from .readers import RawTable, open_workbook, place_kind_only, read_csv, read_limited, read_sheet, sheet_rows
from . import signs
from .schemas import validate_tables

META_FILE = "budsjett.toml"
META_SHEET = "budsjett"
DEFAULT_BUDGET = "asker-hp-2024-2027"


def bundled_dir() -> Path:
    return Path(__file__).with_name("budgets")  # the package's own folder (importlib.resources costs a cold start 5 ms)


def bundled_names() -> list[str]:
    return sorted(p.name for p in bundled_dir().iterdir() if (p / META_FILE).is_file())


def resolve(path: str | Path | None) -> Path:
    """A path as given, or the name of a bundled package; no path means the bundled Asker budget."""
    if path is None:
        return bundled_dir() / DEFAULT_BUDGET
    candidate = Path(path)
    if not candidate.exists() and (bundled_dir() / str(path)).is_dir():
        return bundled_dir() / str(path)
    return candidate


def is_package(path: Path) -> bool:
    return (path.is_dir() and (path / META_FILE).is_file()) or (path.is_file() and path.suffix.lower() == ".xlsx")


def load_package(path: str | Path | None = None) -> Budget:
    """Read, validate and normalise a package. Raises InputError listing every problem found."""
    root = resolve(path)
    try:
        if root.is_dir():
            return _load_folder(root)
        if root.suffix.lower() == ".xlsx":
            return _load_workbook(root)
    except RecursionError:
        raise InputError(Problem("stien kan ikke leses (lenkeløkke?)", file=str(root))) from None
    except OSError as exc:
        raise InputError(Problem(f"kan ikke leses: {exc.strerror or exc}", file=str(root))) from None
    if root.is_symlink() and not root.exists():
        raise InputError(Problem("er en lenke som peker i ring (lenkeløkke) eller til noe som ikke finnes", file=str(root)))
    if not root.exists():
        raise InputError(Problem("finnes ikke (oppgi en pakkemappe med budsjett.toml, en .xlsx-fil, "
                                 "eller navnet på en medfølgende pakke: " + ", ".join(bundled_names()) + ")",
                                 file=str(root)))
    if root.suffix.lower() in (".xls", ".ods", ".numbers", ".xlsb"):
        raise InputError(Problem(f"formatet {root.suffix} leses ikke; lagre som Excel-arbeidsbok (.xlsx) eller eksporter "
                                 "CSV-filer til en pakkemappe", file=str(root)))
    raise InputError(Problem("er verken en pakkemappe (med budsjett.toml) eller en .xlsx-arbeidsbok", file=str(root)))


def parse_meta(data: dict[str, Any], display: str) -> BudgetMeta:
    from .safeload import clean, pydantic_message

    try:
        return BudgetMeta.model_validate(clean(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            problems.append(Problem(f"feltet «{field}»: {pydantic_message(err)}", file=display))
        raise InputError(problems) from None


def _read_toml(path: Path) -> dict[str, Any]:
    display = str(path)
    try:
        text = read_limited(path, display).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem("er ikke UTF-8", file=display)) from None
    from .safeload import load_toml

    return load_toml(text, display)  # duplicate keys, depth, nan/inf and huge numbers refused; control characters shown


def _finish(meta: BudgetMeta, raws: list[RawTable], source: Path, files: dict[str, Path], notes: list[str]) -> Budget:
    """Every schedule is optional (a header-only file is an empty table); the year columns are placed by
    columns.layout, and a package that prints a year in several kinds is loaded as one Budget per view."""
    meta_file = str(files.get("budsjett", source))
    for raw in raws:
        place_kind_only(raw, meta.regnskapsaar)
    plan = layout(raws, meta.years, meta_file)
    problems = list(plan.problems)
    budgets: list[Budget] = []
    for view in plan.views:
        years = meta.years if view.kind is None and meta.years is not None else view.years
        tables, found = validate_tables(plan.raws_for(view, raws), tuple(years.all), meta.sign.factor, meta.dash_is_zero)
        problems += found
        budgets.append(Budget(meta=meta.model_copy(update={"years": years}), tables=tables, source=source, files=files,
                              notes=notes, columns=view.columns, view=view.kind))
    if problems:
        raise InputError(list({str(p): p for p in problems}.values()))
    for note in plan.notes + [n for raw in raws for n in raw.notes]:
        if note not in notes:
            notes.append(note)
    main = budgets[0]
    if not main.meta.years.all:  # nothing to judge, and no year to judge it by
        raise InputError(Problem("pakken har ingen årskolonner: ingen tabell har en kolonne med et år, og "
                                 "budsjett.toml har ingen [years]", file=meta_file))
    main.views = budgets[1:]
    main.avvik = [cell for raw in raws for cell in raw.avvik]  # judged once, on the main view (arsregnskap.py)
    if problems := signs.normalise(main):  # sign conventions: detected per table, normalised here at the edge
        raise InputError(problems)
    if note := _kroner_note(main):
        main.notes.append(note)
    return main


# No kommune's schedule holds a line of 100 mrd. kr (Oslo's whole budget is under that): a table whose amounts
# reach it was written in kroner, not in 1000 kr, and every figure in the report would be a thousand times too big.
_KRONER = 10 ** 8  # in 1000 kr


def _kroner_note(budget: Budget) -> str | None:
    """A note naming the table and its largest amount when the amounts look like whole kroner (see _KRONER)."""
    for stem, table in budget.tables.items():
        if stem in ("nokkeltall", "selvkost"):
            continue
        largest = max((abs(v) for row in table.rows for v in row.values.values() if isinstance(v, int)), default=0)
        if largest >= _KRONER:
            shown = f"{largest:,}".replace(",", " ")
            return (f"beløpene i {table.file} ser ut til å være i hele kroner, ikke i 1000 kr (største beløp {shown} er "
                    "over 100 mrd. kr som 1000 kr); regn dem om til 1000 kr, ellers er hvert beløp i rapporten tusen "
                    "ganger for stort")
    return None


def _load_folder(root: Path) -> Budget:
    meta_path = root / META_FILE
    if not (meta_path.exists() or meta_path.is_symlink()):
        raise InputError(Problem(f"mangler {META_FILE} i pakkemappen", file=str(root)))
    _inside(meta_path, root)
    meta = parse_meta(_read_toml(meta_path), str(meta_path))
    files = {"budsjett": meta_path}
    raws = []
    present = _names_in(root)
    for stem in TABLES:
        path = present.get(f"{stem}.csv")
        if path is not None:  # a link loop or a folder by that name is refused by the reader, not skipped
            raws.append(read_csv(path, stem, str(path)))
            files[stem] = path
    return _finish(meta, raws, root, files, [])


def _names_in(root: Path) -> dict[str, Path]:
    """The folder's files by lower-case name: «Drift.csv» from a Windows machine is drift.csv."""
    found: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        name = path.name.lower()
        if name in found:
            raise InputError(Problem(f"både «{found[name].name}» og «{path.name}» finnes; behold én av dem", file=str(root)))
        found[name] = path
        if name == META_FILE or name.removesuffix(".csv") in TABLES:
            _inside(path, root)
    return found


def _inside(path: Path, root: Path) -> None:
    """A link from the package to a regular file outside it is refused: a package is read as the files it holds
    (a link to ~/.ssh/id_rsa named gjeld.csv must not be read, nor quoted in a message). Links to devices, pipes and
    loops are refused by the reader with their own message."""
    if not path.is_symlink():
        return
    try:
        target = path.resolve(strict=True)
        regular = target.is_file()
        inside = target.is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return
    if regular and not inside:
        raise InputError(Problem("er en lenke til en fil utenfor pakken; kopier filen inn i pakkemappen",
                                 file=str(path)))


def _load_workbook(path: Path) -> Budget:
    display = str(path)
    wb = open_workbook(path, display)
    notes: list[str] = []
    names: dict[str, Any] = {}
    for ws in wb.worksheets:
        name = ws.title.strip().lower()
        if name in names:
            raise InputError(Problem(f"arkene «{names[name].title}» og «{ws.title}» har samme navn", file=display))
        names[name] = ws
    if META_SHEET not in names:
        raise InputError(Problem(f"arbeidsboken mangler arket «{META_SHEET}» med metadata", file=display))
    meta = parse_meta(sheet_to_meta(names[META_SHEET], f"{display}[{META_SHEET}]"), f"{display}[{META_SHEET}]")
    formulas = _formula_book(path)
    raws = []
    for name, ws in names.items():
        if name == META_SHEET:
            continue
        if name not in TABLES:
            notes.append(f"{display}: arket «{ws.title}» er ikke en del av pakkeformatet og er hoppet over")
            continue
        if ws.sheet_state != "visible":
            notes.append(f"{display}: arket «{ws.title}» er skjult, men lest")
        raws.append(read_sheet(ws, name, display, formulas[ws.title] if formulas else None))
    return _finish(meta, raws, path, {"budsjett": path, **{r.stem: path for r in raws}}, notes)


def _formula_book(path: Path):
    """The same workbook with formulas, to tell a formula without a cached value from an empty cell."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=False)
    except Exception:  # already opened once successfully; treat as no formulas
        return None


def sheet_to_meta(ws, display: str) -> dict[str, Any]:
    """The metadata sheet: two columns, a dotted key (years.plan, interest_rate.2024) and its value."""
    data: dict[str, Any] = {}
    for _, row in sheet_rows(ws, display):
        if not row or row[0] is None or str(row[0]).strip().lower() in ("nøkkel", "key", ""):
            continue
        key, value = str(row[0]).strip(), row[1] if len(row) > 1 else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        parts = key.split(".")
        if parts[0] == "years" and isinstance(value, str):
            value = [_year(v) for v in value.replace(";", ",").split(",") if v.strip()]
        elif parts[0] == "years" and isinstance(value, (int, float)):
            value = [_year(value)]
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError(Problem(f"nøkkelen «{key}» kolliderer med en annen", file=display))
        node[parts[-1]] = value
    return data


def _year(value: object) -> object:
    """2024, 2024.0 or «2024» as a year; anything else is passed on for the metadata model to name."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return str(value).strip()
    return int(number) if number.is_integer() else value
