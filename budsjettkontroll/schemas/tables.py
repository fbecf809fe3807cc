"""One pandera schema per schedule: labels known, no duplicates, whole amounts,
year columns as declared in budsjett.toml. Validation is lazy: every problem is reported at once.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ..budget import Row, Table
from ..catalogue import TABLES, TableDef
from ..errors import Problem
from ..labels import is_heading, normalise
from ..numbers import PLAIN_AMOUNT, AmountError, is_blank, parse_amount, parse_decimal
from ..readers import RawTable

LABEL, KEY, LINE, NORM, GROUP = "linje", "_key", "_line", "_norm", "del"


def _is_dash(value: object) -> bool:
    """A cell that prints only a dash (zero or nothing, as kommuner print it): «-», «–», «−»."""
    return isinstance(value, str) and value.strip() in ("-", "–", "−", "—")


def _amount_ok(value: object, decimals: bool, dash_is_zero: bool) -> bool:
    try:
        (parse_decimal(value) if decimals else parse_amount(value, dash_is_zero=dash_is_zero))
    except AmountError:
        return False
    return True


def _amounts_ok(df: pd.DataFrame, years: tuple[int, ...], decimals: bool, dash_is_zero: bool) -> bool:
    """Every year cell that is filled in is an amount. One check for the whole table, not one per year column:
    pandera's cost is per column and check, and this was a third of reading a package. _explain names the cells."""
    return all(_amount_ok(v, decimals, dash_is_zero) for column in map(str, years) if column in df.columns
               for v in df[column].tolist() if not _missing(v))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _bad_amounts(frame: pd.DataFrame, years: tuple[int, ...], decimals: bool, dash_is_zero: bool):
    """(row, year, cell) for every year cell that is not an amount."""
    for column in map(str, years):
        if column in frame.columns:
            for index, value in frame[column].items():
                if not _missing(value) and not _amount_ok(value, decimals, dash_is_zero):
                    yield frame.loc[index], int(column), value


@lru_cache(maxsize=256)
def schema_for(stem: str, years: tuple[int, ...], dash_is_zero: bool = False) -> pa.DataFrameSchema:
    """The schema of table `stem` for a package that declares `years`."""
    table = TABLES[stem]
    columns: dict[str, pa.Column] = {
        LABEL: pa.Column(None, pa.Check(lambda s: s.map(lambda v: not is_blank(v)), name="label_present")),
        NORM: pa.Column(None),
        LINE: pa.Column(None),
        KEY: pa.Column(None, nullable=table.free_rows is not None, checks=None),
    }
    if stem == "investering_fordeling":
        columns[GROUP] = pa.Column(None, pa.Check(lambda s: s.map(lambda v: v is None or v in (1, 2, 3, 4)), name="del"),
                                   nullable=True, required=True)
    if table.area_column:  # selvkost: every row names its område; blank is refused as "mangler område"
        columns[table.area_column] = pa.Column(None, nullable=False, required=True)
    for year in years:
        columns[str(year)] = pa.Column(None, nullable=True, required=False)
    # No line is required: a line the package leaves out is a missing input for the rules that need it («ikke
    # vurdert»), never a refusal (issue 12). A header-only file is an empty table.
    checks = [pa.Check(lambda df, d=table.decimals: _amounts_ok(df, years, d, dash_is_zero), name="amount")]
    unique = [GROUP, NORM] if stem == "investering_fordeling" else [table.area_column, NORM] if table.area_column else [NORM]
    return pa.DataFrameSchema(columns, checks=checks, strict=True, unique=unique, report_duplicates="exclude_first",
                              name=stem)


def _frame(raw: RawTable) -> tuple[pd.DataFrame, list[Problem]]:
    """The raw rows as a frame with label, statutory key, line number and the year columns as written."""
    columns, problems = _columns(raw)
    return _as_frame(columns), problems


def _as_frame(columns: dict[str, list] | None) -> pd.DataFrame:
    if columns is None:
        return pd.DataFrame()
    # object columns built directly: cells stay as read (None, never NaN), several times faster than from_records
    return pd.DataFrame(columns, columns=list(columns), dtype=object)


def _columns(raw: RawTable) -> tuple[dict[str, list] | None, list[Problem]]:
    """The columns of _frame as lists (None when the table has no «linje» column), and the problems found."""
    table = TABLES[raw.stem]
    problems: list[Problem] = []
    header = raw.header
    if LABEL not in header:
        problems.append(Problem("første kolonne må hete «linje»", file=raw.file, line=1, table=raw.stem))
        return None, problems
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(Problem(f"kolonnen «{name}» står to ganger", file=raw.file, line=1, table=raw.stem))
        seen.add(name)
    records = []
    set_aside: list[int] = []
    set_aside_percent: list[int] = []
    for line, cells in _join_wrapped(raw, table):
        cells = list(cells) + [None] * (len(header) - len(cells))
        if len(cells) > len(header) and any(not is_blank(c) for c in cells[len(header):]):
            problems.append(Problem("raden har flere celler enn overskriften", file=raw.file, line=line, table=raw.stem))
        record = {name: cells[i] for i, name in enumerate(header) if name}
        label = record.get(LABEL)
        label = "" if label is None else " ".join(str(label).split())
        values = [record.get(n) for n in header if n not in (LABEL, GROUP, table.area_column)]
        if label.endswith(":") and all(is_blank(v) for v in values):
            continue  # a heading such as "Herav:"
        percents = [v for v in values if not is_blank(v)]
        if percents and all(isinstance(v, str) and v.strip().endswith("%") for v in percents) \
                and table.match(label) is None and not table.decimals:
            # «Netto driftsresultat i prosent av driftsinntekter 0,2 % …» printed under the schedule: a ratio row
            set_aside_percent.append(line)
            continue
        if all(is_blank(v) or _is_dash(v) for v in values) and (not label or is_heading(label)) \
                and table.match(label) is None:
            # a printed rule («- - - -» under no name) or a heading of the forskrift's schedules printed with
            # dashes («Disponering eller dekning av netto driftsresultat - - - -»): no line, no amounts
            set_aside.append(line)
            continue
        record[LABEL] = label
        record[NORM] = normalise(label)
        match, note, refused = table.resolve(label)
        if note:
            raw.notes.append(f"{raw.file}:{line}: {note}")
        if refused:
            problems.append(Problem(refused, file=raw.file, line=line, table=raw.stem, label=label))
        record[KEY] = match.key if match else None
        record[LINE] = line
        if GROUP in record:
            record[GROUP] = _group(record[GROUP])
        if table.area_column in record:
            area = record[table.area_column]
            record[table.area_column] = None if is_blank(area) else " ".join(str(area).split())
        records.append({k: (None if isinstance(v, str) and v.strip() == "" else v) for k, v in record.items()})
    if set_aside_percent:
        raw.notes.append(f"{raw.file}: linje {', '.join(map(str, set_aside_percent))}: rader med bare prosenter "
                         "(«… i prosent av …») er ikke linjer i skjemaet og er hoppet over")
    if set_aside:
        raw.notes.append(f"{raw.file}: linje {', '.join(map(str, set_aside))}: skillelinjer og overskrifter uten beløp "
                         "(bare «-» eller tomme celler) er hoppet over")
    if table.reading is not None:  # årsavslutning: a repeated net line is its specification, … (arsavslutning.py)
        raw.notes.extend(table.reading.relabel(records, KEY, NORM, LABEL, LINE, raw.file))
    columns = [*dict.fromkeys([LABEL, NORM, KEY, LINE, *[n for n in header if n]])]
    return {c: [r.get(c) for r in records] for c in columns}, problems


def _join_wrapped(raw: RawTable, table: TableDef) -> list[tuple[int, list]]:
    """A statutory label wrapped over two rows (a PDF or Excel export: «Netto avsetninger til eller bruk av» with
    no amounts, then «disposisjonsfond» with them) is read as one line, with a note; only when the two halves
    together are a label the catalogue knows and the first half alone is not."""
    header = raw.header
    at = header.index(LABEL)
    amounts = [i for i, name in enumerate(header) if name and name not in (LABEL, GROUP, table.area_column)]
    cell = lambda cells, i: cells[i] if i < len(cells) else None  # noqa: E731
    rows = list(raw.rows)
    out: list[tuple[int, list]] = []
    i = 0
    while i < len(rows):
        line, cells = rows[i]
        if i + 1 < len(rows) and not is_blank(cell(cells, at)) and all(is_blank(cell(cells, j)) for j in amounts) \
                and table.match(str(cell(cells, at))) is None and not is_blank(cell(rows[i + 1][1], at)):
            joined = f"{str(cell(cells, at)).strip()} {str(cell(rows[i + 1][1], at)).strip()}"
            if table.match(joined) is not None:
                nxt_line, nxt = rows[i + 1]
                nxt = list(nxt)
                nxt[at] = joined
                raw.notes.append(f"{raw.file}:{line}-{nxt_line}: linjenavnet over to rader er lest som «{joined}»")
                out.append((nxt_line, nxt))
                i += 2
                continue
        out.append((line, cells))
        i += 1
    return out


def _group(value: object) -> object:
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else value


def _explain(raw: RawTable, frame: pd.DataFrame, errors: SchemaErrors, years: tuple[int, ...],
             dash_is_zero: bool = False) -> list[Problem]:
    table = TABLES[raw.stem]
    declared = ", ".join(map(str, years))
    problems = []
    for case in errors.failure_cases.to_dict("records"):
        check, column, index = str(case["check"]), case["column"], case["index"]
        row = frame.loc[index] if index is not None and not pd.isna(index) else None
        line = int(row[LINE]) if row is not None else None
        label = row[LABEL] if row is not None else None
        year = int(column) if isinstance(column, str) and column.isdigit() else None
        at = dict(file=raw.file, line=line, table=raw.stem)
        if check == "column_in_schema":
            name = case["failure_case"]
            year = int(name) if str(name).isdigit() else None
            what = f"året {name} er ikke deklarert i budsjett.toml (deklarert: {declared})" if year else \
                f"ukjent kolonne «{name}»; kolonnene er linje{', ' + table.area_column if table.area_column else ''} " \
                f"og årstallene {declared}"
            problems.append(Problem(what, file=raw.file, line=1, table=raw.stem, year=year))
        elif check == "column_in_dataframe":
            problems.append(Problem(f"mangler kolonnen «{case['failure_case']}»", file=raw.file, line=1, table=raw.stem))
        elif check == "not_nullable" and table.area_column and column == table.area_column:
            problems.append(Problem(f"raden mangler {table.area_column} (f.eks. vann, avløp, renovasjon)", label=label, **at))
        elif check == "not_nullable" and column == KEY:
            hint = table.closest_label(label)
            more = f"; mente du «{hint}»?" if hint else ""
            problems.append(Problem(f"ukjent linje for {table.paragraph}{more}", label=label, **at))
        elif check == "amount":  # one table-wide check: name each cell that is not an amount
            for bad_row, bad_year, cell in _bad_amounts(frame, years, table.decimals, dash_is_zero):
                try:
                    parse_decimal(cell) if table.decimals else parse_amount(cell)
                    message = f"«{cell}» er ikke et gyldig beløp"
                except AmountError as exc:
                    message = str(exc)
                problems.append(Problem(message, label=bad_row[LABEL], year=bad_year, file=raw.file,
                                        line=int(bad_row[LINE]), table=raw.stem))
        elif check == "label_present" or (check == "not_nullable" and column == LABEL):
            problems.append(Problem("raden mangler tekst i kolonnen linje", **at))
        elif check == "del":
            problems.append(Problem(f"del må være 1, 2, 3 eller 4, ikke «{case['failure_case']}»", label=label, **at))
        elif check in ("field_uniqueness", "multiple_fields_uniqueness", "unique"):
            if row is not None:
                problems.append(Problem("linjen står mer enn én gang", label=label, **at))
        else:  # any other pandera check: still one clear line
            problems.append(Problem(f"{check}: {case['failure_case']}", label=label, **at))
    unique = {}
    for p in problems:
        unique.setdefault(str(p), p)
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.year or 0, p.message))


def validate_tables(raws: list[RawTable], years: tuple[int, ...], sign_factor: int,
                    dash_is_zero: bool = False) -> tuple[dict[str, Table], list[Problem]]:
    """Validate every raw table lazily; return the typed tables and every problem found.

    A package whose tables all have the columns their schema allows is validated in ONE pandera call over all its
    rows (package_schema: the same checks as each table's schema, together; pandera costs about 1 ms per validation
    and column whatever the size, and this was a third of reading a package). When that finds anything, every table
    is validated on its own as before, so each problem is named with the same message, file, line and year."""
    read = [(raw, *_columns(raw)) for raw in raws]
    if all(columns is not None and not found and _fits(raw.stem, columns, years) for raw, columns, found in read) \
            and _package_valid(read, years, dash_is_zero):
        return {raw.stem: _typed(raw, columns, years, sign_factor, dash_is_zero) for raw, columns, _ in read}, []
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for raw, columns, found in read:
        frame = _as_frame(columns)
        problems += found
        if frame.empty and found:
            continue
        schema = schema_for(raw.stem, years, dash_is_zero)
        try:
            schema.validate(frame, lazy=True)
        except SchemaErrors as errors:
            problems += _explain(raw, frame, errors, years, dash_is_zero)
            continue
        if found:
            continue
        tables[raw.stem] = _typed(raw, columns, years, sign_factor, dash_is_zero)
    return tables, problems


STEM, AREA = "_stem", "_area"


def _fits(stem: str, columns: dict[str, list], years: tuple[int, ...]) -> bool:
    """The table has only the columns its schema allows (strict) and those it requires."""
    table = TABLES[stem]
    required = {LABEL, NORM, KEY, LINE} | ({GROUP} if stem == "investering_fordeling" else set()) \
        | ({table.area_column} if table.area_column else set())
    return required <= columns.keys() and columns.keys() <= required | {str(y) for y in years}


def _package_valid(read: list[tuple[RawTable, dict[str, list], list[Problem]]], years: tuple[int, ...],
                   dash_is_zero: bool) -> bool:
    """Every row of every table in one frame (the table's stem a column; område and del where a table has them)
    through package_schema: True when all of it is valid."""
    has_group = any(GROUP in columns for _, columns, _ in read)
    has_area = any(TABLES[raw.stem].area_column for raw, _, _ in read)
    names = [STEM, LABEL, NORM, KEY, LINE, *([GROUP] if has_group else []), *([AREA] if has_area else []),
             *dict.fromkeys(str(y) for y in years)]
    data: dict[str, list] = {name: [] for name in names}
    for raw, columns, _ in read:
        n = len(columns[LABEL])
        area = TABLES[raw.stem].area_column
        for name in names:
            if name == STEM:
                data[name] += [raw.stem] * n
                continue
            source = area if name == AREA else name
            values = columns.get(source) if source else None
            data[name] += values if values is not None else [None] * n
    try:
        package_schema(years, has_group, has_area, dash_is_zero).validate(_as_frame(data), lazy=True)
    except SchemaErrors:
        return False
    return True


@lru_cache(maxsize=64)
def package_schema(years: tuple[int, ...], has_group: bool, has_area: bool, dash_is_zero: bool) -> pa.DataFrameSchema:
    """The checks of every table's schema_for over all the rows of a package: labels present, lines known (except in
    tables with free rows), del 1-4, område given, whole amounts (decimals where the table has them), and no line
    twice in a table (in the same del or område)."""
    free = {stem for stem, t in TABLES.items() if t.free_rows is not None}
    with_area = {stem for stem, t in TABLES.items() if t.area_column}
    columns: dict[str, pa.Column] = {
        STEM: pa.Column(None),
        LABEL: pa.Column(None, pa.Check(lambda s: s.map(lambda v: not is_blank(v)), name="label_present")),
        NORM: pa.Column(None),
        LINE: pa.Column(None),
        KEY: pa.Column(None, nullable=True),
    }
    if has_group:
        columns[GROUP] = pa.Column(None, pa.Check(lambda s: s.map(lambda v: v is None or v in (1, 2, 3, 4)), name="del"),
                                   nullable=True)
    if has_area:
        columns[AREA] = pa.Column(None, nullable=True)
    for year in years:
        columns[str(year)] = pa.Column(None, nullable=True, required=False)
    checks = [
        pa.Check(lambda df: bool((df[KEY].notna() | df[STEM].isin(free)).all()), name="known_line"),
        pa.Check(lambda df: _package_amounts_ok(df, years, dash_is_zero), name="amount"),
    ]
    if has_area:
        checks.append(pa.Check(lambda df: bool((df[AREA].notna() | ~df[STEM].isin(with_area)).all()), name="area"))
    unique = [STEM, *([GROUP] if has_group else []), *([AREA] if has_area else []), NORM]
    return pa.DataFrameSchema(columns, checks=checks, strict=True, unique=unique, report_duplicates="exclude_first",
                              name="pakke")


def _package_amounts_ok(df: pd.DataFrame, years: tuple[int, ...], dash_is_zero: bool) -> bool:
    """_amounts_ok over the rows of every table, each with its own kind of amount (decimals or whole 1000 kr)."""
    stems = df[STEM].tolist()
    plain = PLAIN_AMOUNT.fullmatch  # «-2437733»: a whole amount and a decimal alike, so no need to parse it here
    for column in dict.fromkeys(map(str, years)):
        if column in df.columns:
            for stem, value in zip(stems, df[column].tolist()):
                if value.__class__ is str and plain(value):
                    continue
                if not _missing(value) and not _amount_ok(value, TABLES[stem].decimals, dash_is_zero):
                    return False
    return True


def _typed(raw: RawTable, data: dict[str, list], years: tuple[int, ...], sign_factor: int, dash_is_zero: bool) -> Table:
    table: TableDef = TABLES[raw.stem]
    factor = sign_factor if table.signed else 1
    present = [y for y in years if str(y) in data]
    rows = []
    columns = list(data)
    for cells in zip(*(data[c] for c in columns)):
        record = dict(zip(columns, cells))
        values = {}
        for year in present:
            cell = record[str(year)]
            value = parse_decimal(cell) if table.decimals else parse_amount(cell, dash_is_zero=dash_is_zero)
            values[year] = None if value is None else value * factor + 0  # + 0 turns -0 into 0
        group = record.get(table.area_column) if table.area_column else record.get(GROUP)
        rows.append(Row(record[LABEL], record[KEY], int(record[LINE]), values, group))
    return Table(raw.stem, raw.file, rows)
