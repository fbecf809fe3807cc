"""The budget model every stage shares: metadata plus tables of labelled rows, amounts per year.

Amounts are held in one convention, incomes negative (KOSTRA), whatever the package prints; the
renderers turn them back into the package's own convention.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .catalogue import TABLES, TableDef
from .meta import BudgetMeta

Amount = int | Decimal


@dataclass
class Row:
    label: str
    key: str | None  # the statutory line it is, or None for a kommune's own area/project
    line: int  # line in the CSV file (or row in the sheet), for error messages and SARIF locations
    values: dict[int, Amount | None]
    group: int | str | None = None  # § 5-5 andre ledd: del 1-4; selvkost: the område the row belongs to

    def __deepcopy__(self, memo: dict) -> "Row":
        """What copy.deepcopy gives, without its generic walk (Budget.copy copies every row of every table): the
        amounts and texts are immutable, so a new values dict is a deep copy; any other value is deep-copied."""
        new = object.__new__(type(self))
        state = new.__dict__
        for name, value in self.__dict__.items():
            if value is None or value.__class__ in _ATOMS:
                state[name] = value
            elif value.__class__ is dict and all(v is None or v.__class__ in _ATOMS for v in value.values()) \
                    and all(k.__class__ in _ATOMS for k in value):
                state[name] = dict(value)
            else:
                state[name] = copy.deepcopy(value, memo)
        return new


_ATOMS = frozenset({str, int, bool, float, Decimal})  # immutable: deepcopy returns them as they are


@dataclass
class Table:
    stem: str
    file: str
    rows: list[Row]

    @property
    def definition(self) -> TableDef:
        return TABLES[self.stem]

    def row(self, key: str) -> Row | None:
        for row in self.rows:
            if row.key == key:
                return row
        return None

    def find(self, label: str, group: int | None = None) -> Row | None:
        from .labels import normalise

        wanted = normalise(label)
        for row in self.rows:
            if normalise(row.label) == wanted and (group is None or row.group == group):
                return row
        return None


STATUTORY = ("drift", "drift_fordeling", "investering", "investering_fordeling", "drift_art", "gjeld")


def _short(stem: str) -> str:
    return TABLES[stem].paragraph.replace("budsjett- og regnskapsforskriften ", "")


@dataclass
class Budget:
    meta: BudgetMeta
    tables: dict[str, Table]
    source: Path | None = None  # the folder or workbook it was read from
    files: dict[str, Path] = field(default_factory=dict)  # stem (and 'budsjett') → file, for hashes and locations
    notes: list[str] = field(default_factory=list)
    # The year columns as printed (year → columns.Column) and, for a package that prints a year in several kinds,
    # which view this is (None: the main view) and the other views (on the main view only).
    columns: dict[int, Any] = field(default_factory=dict)
    view: str | None = None
    views: list["Budget"] = field(default_factory=list)
    # «Avvik» cells that are not regnskap − justert budsjett (readers.AvvikCell), judged by the AVVIK-kolonne rules
    avvik: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.source.name if self.source else self.meta.title

    def has(self, stem: str) -> bool:
        return stem in self.tables

    @property
    def schedules(self) -> list[str]:
        """The schedules the package holds, in the format's order (a header-only file counts: an empty table)."""
        return [stem for stem in TABLES if stem in self.tables]

    def schedules_text(self) -> str:
        """For the report header: which of the forskrift's schedules the package holds and which it lacks (rules
        that need a missing one say «ikke vurdert»), and what kind of document its columns make."""
        # the årsregnskap's årsavslutning (§ 5-9) is named when the package has it, never as missing from a budget
        accounts = [stem for stem, t in TABLES.items() if t.accounts_only and stem in self.tables]
        held = [_short(stem) + ("" if any(v is not None for r in self.tables[stem].rows for v in r.values.values())
                                else " (tom)") for stem in (*STATUTORY, *accounts) if stem in self.tables]
        lacking = [_short(stem) for stem in STATUTORY if stem not in self.tables]
        text = ", ".join(held) or "ingen"
        if lacking:
            text += "; mangler " + ", ".join(lacking)
        extra = [TABLES[stem].title.lower() for stem in TABLES
                 if stem not in STATUTORY and stem not in accounts and stem in self.tables]
        if extra:
            text += "; dessuten " + ", ".join(extra)
        return text

    @property
    def document(self) -> str:
        """økonomiplan, årsbudsjett, årsregnskap or budsjett (meta.Years.document)."""
        return self.meta.years.document if self.meta.years else "økonomiplan"

    def years_text(self) -> str:
        """«2022 (regnskap), 2023 (budsjett) …»; a year printed in several kinds lists each column."""
        shown = [f"{y} ({self.meta.years.kind(y)})" for y in self.meta.years.all]
        for view in self.views:
            shown += [f"{c.label} ({c.kind}, egen visning)" for c in view.columns.values()]
        return ", ".join(shown)

    def column_label(self, year: int | None) -> str | None:
        """The column a finding of `year` is about, when the report must say it: always in a package of several
        views; otherwise only for a kind beyond the classic regnskap/budsjett/plan (so Asker's report is unchanged)."""
        if year is None:  # a rule for the whole document: in a further view, name its columns
            return None if self.view is None else ", ".join(c.label for _, c in sorted(self.columns.items()))
        column = self.columns.get(year)
        if column is None:
            return None
        if self.views or self.view is not None or column.kind not in ("regnskap", "budsjett", "plan"):
            return column.label
        return None

    def copy(self) -> "Budget":
        return copy.deepcopy(self)

    def location(self, stem: str, line: int | None = None) -> tuple[str, int | None]:
        """Where a finding points: the table's file and line, or budsjett.toml."""
        path = self.files.get(stem) or self.files.get("budsjett")
        return (str(path) if path else stem, line)
