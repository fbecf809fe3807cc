"""Incremental re-check: a changed copy of a checked budget (an amendment, one edit on the live amendment page) is
judged by evaluating again only the rules that depend on what changed; every other rule's findings are the base's.

What depends on what is the dependency graph of rules/graph.py (figures and collections declare their inputs,
rules read the names in their conditions and messages). The changed inputs are found by comparing the two budgets
row by row (exact amounts: 1 and 1.0 differ). Anything the graph does not describe (other years, another sign
convention, other files, views of a package that prints a year in several kinds, other rule packs, waived
findings) makes the re-check a full check, so the result is always what run_check would give.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .budget import Budget, Row, Table
from .catalogue import TABLES
from .check import CheckResult, packs_for, run_check
from .derive import FIGURES, Facts, _Failed
from .findings import FAIL, NOT_EVALUATED, PASS

# budsjett.toml fields the engine itself uses (which years exist and are judged, the printed sign): a change there
# changes every rule, so it is a full check. Other fields are graph inputs (meta:<field>) for the figures that read them.
FRAME_FIELDS = ("years", "sign")


def _row_signature(row: Row) -> tuple[Any, ...]:
    return (row.key, row.label, row.line, row.group,
            tuple((year, v.__class__, str(v) if isinstance(v, Decimal) else v) for year, v in row.values.items()))


def _table_changes(stem: str, old: Table | None, new: Table | None) -> set[str]:
    tdef = TABLES[stem]
    everything = {f"table:{stem}", f"rows:{stem}"}
    if tdef.area_column is None:
        everything |= {f"{tdef.prefix}_{line.key}" for line in tdef.lines}
    if old is None or new is None:
        return everything
    if old.file != new.file:
        return everything
    a, b = [_row_signature(r) for r in old.rows], [_row_signature(r) for r in new.rows]
    if a == b:
        return set()
    if tdef.area_column is not None:  # read block by block by its own module: the graph knows it as its rows
        return {f"table:{stem}", f"rows:{stem}"}
    changed = {f"table:{stem}"}
    keys = {sig[0] for sig in a} | {sig[0] for sig in b}
    for key in keys:
        if [sig for sig in a if sig[0] == key] != [sig for sig in b if sig[0] == key]:
            changed.add(f"rows:{stem}" if key is None else f"{tdef.prefix}_{key}")
    return changed


def changed_inputs(old: Budget, new: Budget) -> set[str] | None:
    """The graph's names of every input in which `new` differs from `old`: statutory lines (<prefix>_<line>), a
    table's free rows (rows:<stem>), tables (table:<stem>) and budsjett.toml fields (meta:<field>). None when they
    differ in something the graph does not describe (see the module's docstring)."""
    if old.views or new.views or old.view != new.view or old.columns != new.columns or old.files != new.files \
            or old.source != new.source:
        return None
    changed: set[str] = set()
    for name in type(old.meta).model_fields:
        if getattr(old.meta, name) != getattr(new.meta, name):
            if name in FRAME_FIELDS:
                return None
            changed.add(f"meta:{name}")
    for stem in dict.fromkeys([*old.tables, *new.tables]):
        changed |= _table_changes(stem, old.tables.get(stem), new.tables.get(stem))
    return changed


def recheck(base: CheckResult, budget: Budget) -> CheckResult:
    """run_check(budget, base.options, base.policy) for a changed copy of base.budget: the rules that depend on a
    changed input are evaluated again, the others' findings copied from `base` (which must be run_check's result as
    it came: no waivers applied). Sections (key figures, selvkost) are computed anew, as run_check does."""
    from .rules.engine import Options, evaluate
    from .rules.graph import build

    options = base.options or Options()
    changed = changed_inputs(base.budget, budget)
    packs = packs_for(budget, base.policy)
    earlier = base.judged
    same_packs = [id(p) for p in packs] == [id(p) for p in base.packs]
    pristine = earlier is not None and all(f.status in (PASS, FAIL, NOT_EVALUATED) and f.justification is None
                                           for f in earlier)
    if changed is None or not same_packs or not pristine:
        return run_check(budget, options, base.policy)
    graph = build(packs)
    # a name the graph does not know could be read by anything: judge everything (a budsjett.toml field that no
    # figure declares is read by none, so it changes nothing)
    if any(name not in graph and not name.startswith("meta:") for name in changed):
        return run_check(budget, options, base.policy)
    again = graph.rules_depending_on(changed)
    facts = Facts(budget, options.tolerance if options.tolerance is not None else Decimal(1))
    _seed(facts, base.facts, graph, graph.dependents(changed) | changed)
    return run_check(budget, options, base.policy, reuse=(earlier, again), facts=facts, packs=packs)


def _seed(facts: Facts, earlier: Facts, graph, affected: set[str]) -> None:
    """Give `facts` the figures and collections `earlier` (the base's) has computed whose inputs are not among the
    changed ones or what depends on them: the same values a computation would give (they are pure functions of
    their declared inputs, which tests/test_engine_graph.py holds every figure to), so they are not computed again.
    Only what the graph knows is given; a figure that failed is computed again, so its error is its own."""
    from .rules.graph import collection_node

    if earlier.budget.meta.years != facts.budget.meta.years or earlier.tolerance_per_term != facts.tolerance_per_term:
        return
    for key, value in earlier._cache.items():
        name = key[0] if key.__class__ is tuple and key and key[0].__class__ is str else None
        if name is None or type(value) is _Failed:
            continue
        if name in FIGURES:
            if name in graph and name not in affected:
                facts._cache[key] = value
        elif name.startswith(_COLLECTION) and key[1] is None:
            node = collection_node(name[len(_COLLECTION):])
            if node in graph and node not in affected:
                facts._cache[key] = value


_COLLECTION = "#collection:"  # Facts.items' key for a collection
