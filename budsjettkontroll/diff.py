"""What changed between two versions of a budget (kommunedirektørens forslag → formannskapets innstilling →
vedtatt budsjett): the cells that changed per schedule, line and year with the totals, the verdicts that moved
(rules and key-figure bands), and whether each version balances.

Both versions are checked as `check` would; rows are matched by their statutory line (or, for a kommune's own
areas and projects, by label and § 5-5 del), so a renamed area shows as one removed and one added line.
Amounts are kept in the internal convention (incomes negative); renderers print the first version's convention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .budget import Budget
from .catalogue import TABLES
from .check import CheckResult
from .labels import normalise

BALANCE = (("drift", "drift_fremfort_merforbruk"), ("investering", "inv_fremfort_udekket"))
TOTALLED = ("drift", "drift_fordeling", "investering", "investering_fordeling", "drift_art")  # amounts that add up


@dataclass
class CellChange:
    stem: str
    label: str
    group: Any
    year: int
    before: Any  # None: the line or year is not in that version
    after: Any

    @property
    def delta(self) -> Any:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass
class TableDiff:
    stem: str
    changes: list[CellChange]
    totals: dict[int, Any]  # sum of the changes on lines that are not sum lines, per year (amount schedules only)
    added: list[str] = field(default_factory=list)  # lines only in B
    removed: list[str] = field(default_factory=list)  # lines only in A

    @property
    def title(self) -> str:
        tdef = TABLES[self.stem]
        return f"{tdef.title} ({tdef.paragraph.replace('budsjett- og regnskapsforskriften ', '')})"

    @property
    def signed(self) -> bool:
        return TABLES[self.stem].signed


@dataclass
class VerdictChange:
    rule: str
    title: str
    year: int | None
    subject: str | None
    severity: str
    before: str | None  # status, None when the rule did not judge this in A
    after: str | None
    message: str


@dataclass
class BandChange:
    id: str
    name: str
    year: int | None
    before: Any
    after: Any
    shown_before: str | None
    shown_after: str | None
    level_before: str | None
    level_after: str | None
    band_before: str | None
    band_after: str | None


@dataclass
class YearBalance:
    year: int
    drift: tuple[Any, Any]
    investering: tuple[Any, Any]

    def saldert(self, which: int) -> bool | None:
        values = (self.drift[which], self.investering[which])
        if any(v is None for v in values):
            return None
        return all(v == 0 for v in values)


@dataclass
class BudgetDiff:
    a: CheckResult
    b: CheckResult
    tables: list[TableDiff]
    verdicts: list[VerdictChange]
    bands: list[BandChange]
    balance: list[YearBalance]
    schedules_only_in: dict[str, list[str]]

    @property
    def changed_cells(self) -> int:
        return sum(len(t.changes) for t in self.tables)

    def saldert(self, which: int) -> bool:
        return all(b.saldert(which) is not False for b in self.balance)


def _row_key(row) -> tuple:
    return (row.key or normalise(row.label), row.group if row.key is None else None)


def table_diff(stem: str, a: Budget, b: Budget) -> TableDiff | None:
    ta, tb = a.tables.get(stem), b.tables.get(stem)
    if ta is None or tb is None:
        return None
    tdef = TABLES[stem]
    rows_a = {_row_key(r): r for r in ta.rows}
    rows_b = {_row_key(r): r for r in tb.rows}
    years = sorted(set(a.meta.years.all) | set(b.meta.years.all))
    changes: list[CellChange] = []
    totals: dict[int, Any] = {}
    order = list(rows_a) + [k for k in rows_b if k not in rows_a]
    for key in order:
        ra, rb = rows_a.get(key), rows_b.get(key)
        row = ra or rb
        line = tdef.by_key.get(row.key) if row.key else None
        is_sum = bool(line is not None and line.parts)
        for year in years:
            before = ra.values.get(year) if ra is not None else None
            after = rb.values.get(year) if rb is not None else None
            if before == after:
                continue
            changes.append(CellChange(stem, row.label, row.group, year, before, after))
            if not is_sum and stem in TOTALLED:
                totals[year] = totals.get(year, 0) + (after or 0) - (before or 0)
    if not changes:
        return None
    return TableDiff(stem, changes, {y: t for y, t in sorted(totals.items()) if t},
                     added=[rows_b[k].label for k in rows_b if k not in rows_a],
                     removed=[rows_a[k].label for k in rows_a if k not in rows_b])


def verdict_changes(a: CheckResult, b: CheckResult) -> list[VerdictChange]:
    before = {(f.rule, f.year, f.subject): f for f in a.findings}
    after = {(f.rule, f.year, f.subject): f for f in b.findings}
    out = []
    for key in list(before) + [k for k in after if k not in before]:
        fa, fb = before.get(key), after.get(key)
        if fa is not None and fb is not None and fa.status == fb.status:
            continue
        f = fb or fa
        out.append(VerdictChange(f.rule, f.title, f.year, f.subject, f.severity, fa.status if fa else None,
                                 fb.status if fb else None, f.message))
    return out


def _figure_rows(result: CheckResult) -> dict[tuple, dict[str, Any]]:
    section = result.sections.get("key_figures")
    rows = section.as_json() if section is not None and hasattr(section, "as_json") else []
    return {(r.get("id"), r.get("year")): r for r in rows if isinstance(r, dict)}


def band_changes(a: CheckResult, b: CheckResult) -> list[BandChange]:
    ra, rb = _figure_rows(a), _figure_rows(b)
    out = []
    for key in list(ra) + [k for k in rb if k not in ra]:
        x, y = ra.get(key, {}), rb.get(key, {})
        if x.get("shown", x.get("value")) == y.get("shown", y.get("value")) and x.get("level") == y.get("level"):
            continue
        row = y or x
        out.append(BandChange(str(row.get("id")), str(row.get("name") or row.get("id")), row.get("year"),
                              x.get("value"), y.get("value"), x.get("shown"), y.get("shown"), x.get("level"),
                              y.get("level"), x.get("band"), y.get("band")))
    return out


def compare(a: CheckResult, b: CheckResult) -> BudgetDiff:
    tables = [d for stem in TABLES if (d := table_diff(stem, a.budget, b.budget)) is not None]
    plan = sorted(set(a.budget.meta.plan_years) | set(b.budget.meta.plan_years))
    balance = [YearBalance(y, *((a.facts.get(name, y), b.facts.get(name, y)) for _, name in BALANCE)) for y in plan]
    only = {"a": [s for s in a.budget.tables if s not in b.budget.tables],
            "b": [s for s in b.budget.tables if s not in a.budget.tables]}
    return BudgetDiff(a, b, tables, verdict_changes(a, b), band_changes(a, b), balance, only)


def run_diff(path_a, path_b, options=None, policy: str | None = None) -> BudgetDiff:
    from .check import run_check
    from .package import load_package

    return compare(run_check(load_package(path_a), options, policy), run_check(load_package(path_b), options, policy))
