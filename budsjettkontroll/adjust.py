"""Change input lines and let every printed sum follow: the mechanism behind amendments and test cases.

Sums are linear, so a change of d in an input line changes each sum it belongs to by d (times the sign of
the term). Printed sums keep their own rounding and move by exactly the change; derived lines can never
drift from their parts. Links between schedules carry a change on: an area in § 5-4 andre ledd moves the
korrigert sum, which is «Sum bevilgninger drift, netto» in første ledd; a project in § 5-5 andre ledd moves
its part's line in første ledd; a § 5-4 line that § 5-6 repeats moves there too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .budget import Amount, Budget, Row, Table
from .catalogue import INVESTERING_DELER, TABLES
from .errors import InputError, Problem

# (from table, from key) → (to table, to key, sign)
LINKS: dict[tuple[str, str], list[tuple[str, str, int]]] = {
    ("drift_fordeling", "korrigert_sum"): [("drift", "sum_bevilgninger", 1)],
    **{("investering_fordeling", f"del{n}_sum"): [("investering", key, 1)] for n, key in INVESTERING_DELER.items()},
    # § 5-6 repeats these § 5-4 lines one to one
    **{("drift", key): [("drift_art", key, 1)] for key in (
        "rammetilskudd", "skatt", "eiendomsskatt", "avskrivninger", "renteinntekter", "utbytter", "gevinster_tap",
        "renteutgifter", "avdrag", "motpost_avskrivninger", "overforing_til_investering",
        "avsetninger_bundne_driftsfond", "bruk_bundne_driftsfond", "avsetninger_disposisjonsfond",
        "bruk_disposisjonsfond", "netto_bundne_driftsfond", "netto_disposisjonsfond", "dekning_merforbruk")},
    # § 5-6 splits the net appropriations by type; a change with no type given is taken as kjøp av varer og tjenester
    ("drift", "sum_bevilgninger"): [("drift_art", "kjop_varer_tjenester", 1)],
    ("drift", "andre_generelle_driftsinntekter"): [("drift_art", "andre_overforinger_staten", 1)],
}
ORDER = ["drift_fordeling", "drift", "drift_art", "investering_fordeling", "investering", "gjeld", "nokkeltall",
         "selvkost"]


@dataclass(frozen=True)
class Change:
    """Add `delta` (1000 kr, internal sign convention: costs positive) to one input line in one year."""

    stem: str
    label: str
    year: int
    delta: Amount
    group: int | None = None  # § 5-5 andre ledd del, for a new project


def find_row(table: Table, label: str, group: int | None = None) -> Row | None:
    tdef = TABLES[table.stem]
    line = tdef.match(label)
    if tdef.area_column is not None and line is not None:  # every block has the same lines: look in this one
        return next((r for r in table.rows if r.key == line.key and r.group == group), None)
    if line is not None and not (table.stem == "investering_fordeling" and group and not line.key.startswith("del")):
        row = table.row(line.key)
        if row is not None:
            return row
    return table.find(label, group)


def apply_changes(budget: Budget, changes: list[Change], in_place: bool = False) -> Budget:
    """A new budget with the changes applied to input lines and every printed sum moved along (or the same
    budget changed, with in_place: for a caller that has made its own copy)."""
    result = budget if in_place else budget.copy()
    pending: dict[str, dict[tuple[str | None, str, int | None], dict[int, Amount]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    for c in changes:
        table = result.tables.get(c.stem)
        if table is None:
            raise InputError(Problem(f"tabellen {c.stem} finnes ikke i budsjettet", table=c.stem))
        line = TABLES[c.stem].match(c.label)
        if line is not None and line.is_sum and not acts_as_input(table, line):
            raise InputError(Problem(_sum_refusal(c.stem, line), table=c.stem, label=c.label))
        key = line.key if line is not None else None
        pending[c.stem][(key, c.label, c.group)][c.year] += c.delta
    for stem in ORDER:
        if stem not in pending or stem not in result.tables:
            continue
        moved = _apply_table(result, result.tables[stem], pending[stem])
        for key, by_year in moved.items():
            line = TABLES[stem].by_key.get(key)
            if line is not None and line.gross and not acts_as_input(result.tables[stem], line):
                continue  # the gross lines carry the change on; the net line would count it twice
            for target, target_key, sign in LINKS.get((stem, key), []):
                if target in result.tables:
                    label = TABLES[target].by_key[target_key].label
                    for year, delta in by_year.items():
                        pending[target][(target_key, label, None)][year] += sign * delta
    return result


def _sum_refusal(stem: str, line) -> str:
    return (f"«{line.label}» er en sumlinje og kan ikke endres direkte; endre linjene den summerer: "
            f"{', '.join(_part_labels(stem, line.key))}")


def fed_by(budget: Budget, stem: str, key: str) -> tuple[str, str] | None:
    """The other schedule whose sum carries changes into this line, when the budget has it (see LINKS)."""
    for (source, source_key), targets in LINKS.items():
        if source != stem and source in budget.tables and any(t == stem and k == key for t, k, _ in targets):
            return source, source_key
    return None


def refusal(budget: Budget, stem: str, label: str) -> str | None:
    """Why a line cannot be changed directly, naming the input lines to change instead; None when it can.

    A sum line follows its parts; a line another schedule carries over («Sum bevilgninger drift, netto» from
    § 5-4 andre ledd, «Investeringer i varige driftsmidler» from § 5-5 andre ledd del 1) follows that schedule.
    """
    line = TABLES[stem].match(label)
    table = budget.tables.get(stem)
    if line is None or table is None:
        return None
    if line.is_sum and not acts_as_input(table, line):
        return _sum_refusal(stem, line)
    source = fed_by(budget, stem, line.key)
    if source is None:
        return None
    src_stem, src_key = source
    src = TABLES[src_stem]
    if src_stem == "drift_fordeling":
        instead = "områdene i § 5-4 andre ledd"
    elif src_stem == "investering_fordeling":
        instead = f"prosjektene i del {src_key[3]} av § 5-5 andre ledd"
    else:
        instead = f"linjen «{src.by_key[src_key].label}» i {src.paragraph}"
    return f"«{line.label}» følger av {src.paragraph} («{src.by_key[src_key].label}»); endre {instead} i stedet"


def acts_as_input(table: Table, line) -> bool:
    """A net line (Netto avsetninger …) is the input where the kommune prints no gross lines."""
    return line.gross and not any(table.row(k) for k, _ in line.terms())


def _part_labels(stem: str, key: str) -> list[str]:
    tdef = TABLES[stem]
    line = tdef.by_key[key]
    if line.parts == ("*",):
        return ["områdene" if stem == "drift_fordeling" else "prosjektene"]
    return [tdef.by_key[k].label for k, _ in line.terms()]


def _apply_table(budget: Budget, table: Table, deltas: dict[tuple[str | None, str, int | None], dict[int, Amount]]
                 ) -> dict[str, dict[int, Amount]]:
    """Apply input deltas to one table; move its printed sums; return the delta of every line (by key)."""
    tdef = TABLES[table.stem]
    years = budget.meta.years.all
    line_delta: dict[str, dict[int, Amount]] = defaultdict(lambda: defaultdict(int))
    free_delta: dict[int | None, dict[int, Amount]] = defaultdict(lambda: defaultdict(int))
    for (key, label, group), by_year in deltas.items():
        row = table.row(key) if key and tdef.area_column is None else find_row(table, label, group)
        if row is None:
            row = Row(label, key, 0, {y: 0 for y in years if _year_used(table, y)} if key or table.rows else {}, group)
            _insert(table, row)
        for year, delta in by_year.items():
            if row.values.get(year) is None and year not in row.values and not _year_used(table, year):
                raise InputError(Problem(f"året {year} finnes ikke i tabellen", table=table.stem, label=label, year=year))
            row.values[year] = (row.values.get(year) or 0) + delta
            if row.key is None:
                free_delta[row.group][year] += delta
            else:
                line_delta[row.key][year] += delta
    for line in tdef.lines:
        if not line.is_sum or acts_as_input(table, line):
            continue
        if line.parts == ("*",):
            group = int(line.key[3]) if table.stem == "investering_fordeling" else None
            parts = free_delta.get(group, {})
            total = dict(parts)
        else:
            total = defaultdict(int)
            for key, sign in line.terms():
                for year, delta in line_delta.get(key, {}).items():
                    total[year] += sign * delta
        total = {y: d for y, d in total.items() if d}
        if not total:
            continue
        line_delta[line.key] = defaultdict(int, total)
        row = table.row(line.key)
        if row is not None:
            for year, delta in total.items():
                if row.values.get(year) is not None:
                    row.values[year] += delta
    return {k: dict(v) for k, v in line_delta.items() if any(v.values())}


def _year_used(table: Table, year: int) -> bool:
    return any(year in r.values for r in table.rows)


def _insert(table: Table, row: Row) -> None:
    """A new input line goes just before the first sum line it belongs to (or at the end)."""
    tdef = TABLES[table.stem]
    if row.key is not None:
        for i, existing in enumerate(table.rows):
            line = tdef.by_key.get(existing.key) if existing.key else None
            if line is not None and line.is_sum and row.key in [k for k, _ in line.terms()]:
                table.rows.insert(i, row)
                return
    if row.key is None:
        for i, existing in enumerate(table.rows):
            line = tdef.by_key.get(existing.key) if existing.key else None
            if line is not None and line.parts == ("*",) and (table.stem != "investering_fordeling"
                                                              or existing.group == row.group):
                table.rows.insert(i, row)
                return
    table.rows.append(row)
