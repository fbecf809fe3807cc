"""Year columns as kommuner print them: which kind each column is, and which view of the package it belongs to.

A column has a kind and a year («Regulert budsjett 2022» is revidert 2022). budsjett.toml [years] is optional:
when it is given it wins; otherwise the headers say it, and a plain «Budsjett 2024» or a bare «2024» is
placed by the columns around it (see `_place_generic`). The core works on one column per year, so a package
that prints the same year in several kinds is split into views: the main view (at most one column per year)
and one view per further kind. Nothing ambiguous is guessed: it is one clear problem and exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .meta import KIND_LABELS, KINDS, Years
from .numbers import is_blank
from .readers import RawTable

# Which column of a year the main view takes when a year is printed in several kinds.
MAIN_PRIORITY = ("plan", "regnskap", "budsjett", "revidert", "opprinnelig")
CLASSIC = ("regnskap", "budsjett", "plan")  # the kinds a bare [years] package has; their findings carry no column


@dataclass(frozen=True)
class Column:
    kind: str
    year: int
    printed: str  # the header as printed (first seen)

    @property
    def label(self) -> str:
        """How a report names the column: as printed when the header is prose, else «Revidert budsjett 2020»."""
        if any(c.isalpha() for c in self.printed) and "_" not in self.printed:
            return self.printed
        return f"{KIND_LABELS[self.kind]} {self.year}"


@dataclass
class View:
    kind: str | None  # None: the main view; else the kind of every column in it
    columns: dict[int, Column] = field(default_factory=dict)  # year → column

    @property
    def years(self) -> Years:
        lists: dict[str, list[int]] = {k: [] for k in KINDS}
        for year, column in sorted(self.columns.items()):
            lists[column.kind].append(year)
        return Years(**lists)

    def raw(self, raw: RawTable, kinds: dict[int, str]) -> RawTable:
        """The raw table as this view sees it: its own year columns under their year, the others left out."""
        header = list(raw.header)
        taken: set[int] = set()
        for index, head in sorted(raw.heads.items()):
            mine = self.columns.get(head.year)
            if index in kinds and (mine is None or mine.kind != kinds[index] or head.year in taken):
                header[index] = ""  # another view's column, or a repeat that layout() already refused
            if header[index]:
                taken.add(head.year)
        return RawTable(raw.stem, raw.file, header, raw.rows, raw.notes, raw.heads, raw.printed)


@dataclass
class Layout:
    views: list[View]  # the main view first
    kinds: dict[tuple[int, int], str]  # (table number, column index) → kind
    problems: list[Problem]
    notes: list[str]

    def raws_for(self, view: View, raws: list[RawTable]) -> list[RawTable]:
        return [view.raw(raw, {i: k for (t, i), k in self.kinds.items() if t == n}) for n, raw in enumerate(raws)]


def layout(raws: list[RawTable], declared: Years | None, meta_file: str) -> Layout:
    """Decide every year column's kind and split the columns into views."""
    problems: list[Problem] = []
    notes: list[str] = []
    for raw in raws:
        problems += _unnamed_amount_columns(raw)
        for i in raw.kind_only:  # «Regnskap», «Oppr. budsjett» with no year and no regnskapsaar (readers.py)
            problems.append(Problem(f"kolonnen «{raw.printed[i]}» sier hva slags kolonne det er, men ikke året; skriv "
                                    f"året i overskriften («{raw.printed[i]} 2024»), eller sett `regnskapsaar = <år>` "
                                    "i budsjett.toml når tabellen er fra årsregnskapet for det året",
                                    file=raw.file, line=1, table=raw.stem))
            raw.header[i] = ""
    heads = [(n, i, h) for n, raw in enumerate(raws) for i, h in raw.heads.items()]
    if not heads and not problems and any(raw.header for raw in raws):
        problems.append(Problem("ingen kolonne har et årstall i overskriften (f.eks. «Regnskap 2022», «Budsjett 2024» "
                                "eller «2024»)", file=meta_file))
    kinds: dict[tuple[int, int], str] = {}
    main: dict[tuple[int, int], bool] = {}
    if declared is not None:
        _place_declared(raws, heads, declared, kinds, main, notes)
    else:
        _place_printed(raws, heads, kinds, problems, notes, meta_file)
    for n, raw in enumerate(raws):
        problems += _repeated(raw, n, kinds)
    read_as: dict[tuple[str, int, str], list[str]] = {}  # one note per printed header, naming the tables
    for n, i, head in heads:
        if head.printed != str(head.year) and (n, i) in kinds:
            read_as.setdefault((head.printed, head.year, kinds[(n, i)]), []).append(Path(raws[n].file).name)
    for (printed, year, kind), files in read_as.items():
        notes.append(f"kolonnen «{printed}» er lest som år {year} ({KIND_LABELS[kind].lower()}) i {', '.join(files)}")
    views = _views(raws, heads, kinds, main if declared is not None else None)
    return Layout(views, kinds, problems, notes)


def _unnamed_amount_columns(raw: RawTable) -> list[Problem]:
    """A column with amounts but no header cannot be placed in any year: refused, never skipped."""
    found = []
    width = max([len(raw.header)] + [len(cells) for _, cells in raw.rows])
    for index in range(width):
        if index < len(raw.header) and raw.header[index] or index in raw.kind_only:
            continue
        filled = next(((line, cells[index]) for line, cells in raw.rows
                       if index < len(cells) and not is_blank(cells[index])), None)
        if filled is not None and index < len(raw.header):
            found.append(Problem(f"kolonne {index + 1} har beløp (f.eks. «{filled[1]}» på linje {filled[0]}), men ingen "
                                 "overskrift; skriv år og art over den, f.eks. «Regnskap 2022»",
                                 file=raw.file, line=1, table=raw.stem))
    return found


def _fits(printed: str | None, declared: str) -> bool:
    """Whether a printed kind may be the kind [years] gives that year."""
    if printed is None or printed == declared:
        return True
    if declared == "budsjett":
        return printed in ("opprinnelig", "revidert")
    if declared == "plan":
        return printed == "budsjett"
    return False


def _place_declared(raws, heads, declared: Years, kinds, main, notes) -> None:
    """[years] wins: a year's column is the kind [years] says. When a table prints the year in several kinds,
    the column that fits [years] is the main view's; the others keep their printed kind in views of their own."""
    by_table_year: dict[tuple[int, int], list[tuple[int, object]]] = {}
    for n, i, head in heads:
        by_table_year.setdefault((n, head.year), []).append((i, head))
    for (n, year), columns in by_table_year.items():
        if year not in declared.all:  # the schema names it: «året … er ikke deklarert i budsjett.toml»
            for i, _ in columns:
                kinds[(n, i)], main[(n, i)] = "plan", True
            continue
        wanted = declared.kind(year)
        fitting = [(i, h) for i, h in columns if _fits(h.kind, wanted)]
        chosen = min(fitting or columns, key=lambda c: MAIN_PRIORITY.index(c[1].kind) if c[1].kind in MAIN_PRIORITY
                     else -1)[0]
        for i, head in columns:
            if i == chosen:
                kinds[(n, i)], main[(n, i)] = wanted, True
                if head.kind is not None and not _fits(head.kind, wanted):
                    notes.append(f"{raws[n].file}: kolonnen «{head.printed}» er lest som {wanted} {year}, slik "
                                 "[years] i budsjett.toml sier")
            else:
                kinds[(n, i)], main[(n, i)] = (head.kind if head.kind in KINDS else wanted), False


def _place_printed(raws, heads, kinds, problems, notes, meta_file) -> None:
    """No [years]: the headers say it. Unknown words are refused; plain budget years are placed (_place_generic)."""
    generic: set[int] = set()
    for n, i, head in heads:
        if head.unknown:
            problems.append(Problem(f"kolonnen «{head.printed}»: kan ikke avgjøre om år {head.year} er regnskap, "
                                    "budsjett eller økonomiplan; skriv f.eks. «Regnskap 2022», «Oppr. budsjett 2023», "
                                    "«Økonomiplan 2025», eller oppgi [years] i budsjett.toml",
                                    file=raws[n].file, line=1, table=raws[n].stem, year=head.year))
        elif head.kind in (None, "budsjett"):
            generic.add(head.year)
        else:
            kinds[(n, i)] = head.kind
    explicit = {(kinds[(n, i)], h.year) for n, i, h in heads if (n, i) in kinds}
    arsbudsjett = min((h.year for _, _, h in heads if h.kind == "plan" and "rsbudsjett" in h.printed.lower()), default=None)
    placed = _place_generic(generic, {y for k, y in explicit if k == "plan"}, {y for k, y in explicit if k == "regnskap"},
                            arsbudsjett)
    for n, i, head in heads:
        if not head.unknown and head.kind in (None, "budsjett"):
            kinds[(n, i)] = placed[head.year]
    bare = sorted({h.year for _, _, h in heads if h.kind is None and not h.unknown})
    if bare:
        notes.append(f"{meta_file}: uten [years] er de nakne årskolonnene {', '.join(map(str, bare))} lest som budsjettår "
                     f"(plan: {', '.join(str(y) for y in bare if placed[y] == 'plan') or 'ingen'}); oppgi [years] "
                     "i budsjett.toml om det er regnskap")


def _place_generic(generic: set[int], plan: set[int], regnskap: set[int], arsbudsjett: int | None = None) -> dict[int, str]:
    """A plain «Budsjett YYYY» (or a bare year) is a plan year (årsbudsjett or økonomiplan), except that it is a
    budget beside the plan (kind budsjett) when it is: in or before the last accounts year; before a column
    printed «Årsbudsjett»; before four later plan or budget years (the prior-year budget of an økonomiplan:
    «Budsjett 2023» before «Budsjett 2024» … «Budsjett 2027»); or before an økonomiplan printed with four years of
    its own («Budsjett 2023» before «Økonomiplan 2024» … «Økonomiplan 2027»); or the year right after the last
    accounts year when later budget years follow («Regnskap 2022», «Budsjett 2023», «Budsjett 2024»)."""
    last_accounts = max(regnskap, default=0)
    placed = {y: "budsjett" for y in generic}
    candidates = sorted(y for y in generic if y > last_accounts and (arsbudsjett is None or y >= arsbudsjett))
    if regnskap and len(candidates) > 1 and candidates[0] == last_accounts + 1:
        candidates = candidates[1:]  # a budget made in autumn of year Y-1 has accounts up to Y-2: Y-1 is the prior year
    if plan:
        later = [y for y in candidates if y >= min(plan)]
        chosen = set(later)
        if min(plan) - 1 in candidates and len(plan | chosen) < 4:
            chosen.add(min(plan) - 1)
    else:
        chosen = set(candidates[-4:])
    for y in chosen:
        placed[y] = "plan"
    return placed


def _repeated(raw: RawTable, n: int, kinds) -> list[Problem]:
    """Two columns of the same kind and year in one table: which one holds the figures cannot be told."""
    seen: dict[tuple[str, int], str] = {}
    found = []
    for i, head in raw.heads.items():
        kind = kinds.get((n, i))
        if kind is None:
            continue
        if (kind, head.year) in seen:
            first = seen[(kind, head.year)]
            what = f"kolonnen «{first}» står to ganger" if first == head.printed else \
                f"kolonnene «{first}» og «{head.printed}» er begge {KIND_LABELS[kind].lower()} {head.year}"
            found.append(Problem(f"{what}; behold én av dem",
                                 file=raw.file, line=1, table=raw.stem, year=head.year))
        else:
            seen[(kind, head.year)] = head.printed
    return found


def _views(raws, heads, kinds, main_marks) -> list[View]:
    """The main view (one column per year: the [years] column, else by MAIN_PRIORITY) and one per other kind."""
    columns: dict[tuple[str, int], Column] = {}
    for n, i, head in heads:
        if (n, i) in kinds:
            columns.setdefault((kinds[(n, i)], head.year), Column(kinds[(n, i)], head.year, head.printed))
    main = View(None)
    if main_marks is not None:
        for n, i, head in heads:
            if main_marks.get((n, i)):
                main.columns.setdefault(head.year, columns[(kinds[(n, i)], head.year)])
    for kind in MAIN_PRIORITY:
        for (k, year), column in sorted(columns.items(), key=lambda c: c[0][1]):
            if k == kind and year not in main.columns and main_marks is None:
                main.columns[year] = column
    views = [main]
    taken = {(c.kind, y) for y, c in main.columns.items()}
    for kind in MAIN_PRIORITY:
        extra = View(kind, {y: c for (k, y), c in sorted(columns.items(), key=lambda c: c[0][1])
                            if k == kind and (k, y) not in taken})
        if extra.columns:
            views.append(extra)
    return views
