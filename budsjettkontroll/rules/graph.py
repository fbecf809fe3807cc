"""One dependency graph over everything a rule can read: schedule lines, derived figures, collections and rules.

Every @figure and @collection declares the facts it reads (`inputs=`); each rule reads the names in its condition,
requires and messages. From these declarations (never from the functions' bytecode) the graph is built once the
packs are loaded, and it refuses a cycle or a name it does not know. It answers two questions:

- `dependents(names)`: which figures, collections and rules must be evaluated again when these inputs change
  (incremental re-evaluation of an amendment or a web edit);
- `inputs_of(name)` / `leaves(name)`: what a figure is built from, so «Ikke vurdert: mangler …» can name the
  missing input (the engine follows the inputs that were missing in the years the figure read them).

Node names:
  <prefix>_<line>        a statutory line (drift_avdrag, inv_bruk_av_lan …); a sum line depends on its parts
  <prefix>_<line>_beregnet  a sum line computed from its parts
  <figure>               a derived figure (derive.FIGURES)
  ar                     the year being judged
  rows:<stem>            the free rows of a table (areas, projects) that no statutory line names
  table:<stem>           every row of one table (its lines and free rows); table:* every table
  meta:<field>           a budsjett.toml field (meta:years, meta:minimumsavdrag, meta:interest_rate …)
  param:<name>           a parameter file shipped with the rules (param:kalkylerente)
  collection:<name>      a collection a rule iterates over (for_each)
  rule:<pack>:<id>       a rule of a loaded pack
Leaves are the lines that are not sums, rows:*, meta:*, param:* and ar: what a package or a parameter file gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

TABLE_ALL = "table:*"
PSEUDO_PREFIXES = ("rows:", "meta:", "param:")


class GraphError(Exception):
    """A declaration the graph cannot accept: an unknown input or a cycle. A bug in code or in a pack."""


def rule_node(pack: str, rule_id: str) -> str:
    return f"rule:{pack}:{rule_id}"


def collection_node(name: str) -> str:
    return f"collection:{name}"


@dataclass
class Graph:
    """Nodes and their direct inputs; `users` is the reverse edge (who reads a node)."""

    inputs: dict[str, tuple[str, ...]]
    users: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node, deps in self.inputs.items():
            for dep in deps:
                self.users.setdefault(dep, set()).add(node)

    def __contains__(self, name: str) -> bool:
        return name in self.inputs

    def inputs_of(self, name: str) -> tuple[str, ...]:
        """The direct inputs of a node (empty for a leaf)."""
        return self.inputs.get(name, ())

    def leaves(self, name: str) -> set[str]:
        """Every leaf input a node depends on, transitively (the package data it needs)."""
        seen, stack, out = set(), [name], set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            deps = self.inputs.get(node, ())
            if not deps and node != name:
                out.add(node)
            stack.extend(deps)
        return out

    def dependents(self, names: Iterable[str]) -> set[str]:
        """Every node that reads any of `names`, directly or through other nodes (not the names themselves unless
        one depends on another). A changed statutory line also changes its table (`table:<stem>`, `table:*`), so
        the figures that scan a whole table are included. Pass `rows:<stem>` for a changed free row (an area or a
        project) and `meta:<field>` for a changed budsjett.toml field. Rules are the `rule:<pack>:<id>` nodes."""
        out: set[str] = set()
        stack = list(names)
        while stack:
            for user in self.users.get(stack.pop(), ()):
                if user not in out:
                    out.add(user)
                    stack.append(user)
        return out

    def rules_depending_on(self, names: Iterable[str]) -> set[tuple[str, str]]:
        """(pack, rule id) of every rule that depends on any of `names`."""
        return {tuple(n.split(":", 2)[1:]) for n in self.dependents(names) if n.startswith("rule:")}  # type: ignore[misc]

    def order(self) -> list[str]:
        """Every node after its inputs (a topological order)."""
        return _toposort(self.inputs)


def _toposort(inputs: dict[str, tuple[str, ...]]) -> list[str]:
    """Kahn-free depth-first order; raises GraphError naming the cycle."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    order: list[str] = []
    for start in inputs:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                if state.get(node) == 2:
                    continue
                state[node] = 1
                path.append(node)
            deps = inputs.get(node, ())
            if i < len(deps):
                stack.append((node, i + 1))
                dep = deps[i]
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    raise GraphError(f"syklisk avhengighet: {' → '.join(cycle)}")
                if state.get(dep) != 2:
                    stack.append((dep, 0))
                continue
            state[node] = 2
            path.pop()
            order.append(node)
    return order


def _line_nodes() -> dict[str, tuple[str, ...]]:
    """Statutory lines: a sum line depends on its parts (or on the table's free rows, «*»); tables on their rows."""
    from ..catalogue import TABLES

    nodes: dict[str, tuple[str, ...]] = {"ar": ()}
    all_tables = []
    for stem, tdef in TABLES.items():
        table_node = f"table:{stem}"
        all_tables.append(table_node)
        rows = f"rows:{stem}"
        nodes[rows] = ()
        if tdef.area_column is not None:  # a table in blocks (selvkost): read by its own module, row by row
            nodes[table_node] = (rows,)
            continue
        members = [rows]
        for line in tdef.lines:
            name = f"{tdef.prefix}_{line.key}"
            members.append(name)
            if line.is_sum:
                parts = (rows,) if line.parts == ("*",) else tuple(f"{tdef.prefix}_{k}" for k, _ in line.terms())
                nodes[name] = parts
                nodes[f"{name}_beregnet"] = parts
            else:
                nodes[name] = ()
        nodes[table_node] = tuple(members)
    nodes[TABLE_ALL] = tuple(all_tables)
    return nodes


def _pseudo(name: str) -> bool:
    return name.startswith(PSEUDO_PREFIXES)


_CACHE: dict[tuple, Graph] = {}


def figure_graph() -> Graph:
    """Lines, figures and collections (no rules), checked: every input known, no cycle. Built once per set of
    registered figures (a plugin that registers more figures gets a new graph)."""
    from ..catalogue import TABLES
    from ..derive import COLLECTION_INPUTS, COLLECTIONS, FIGURES

    key = ("figures", len(TABLES), tuple(FIGURES), tuple(COLLECTIONS))
    if key not in _CACHE:
        nodes = _line_nodes()
        for fig in FIGURES.values():
            nodes[fig.name] = tuple(fig.inputs)
        for name in COLLECTIONS:
            nodes[collection_node(name)] = tuple(COLLECTION_INPUTS.get(name, ()))
        _check(nodes)
        _CACHE.clear()
        _CACHE[key] = Graph(nodes)
    return _CACHE[key]


def _check(nodes: dict[str, tuple[str, ...]]) -> None:
    unknown = []
    for node, deps in nodes.items():
        for dep in deps:
            if dep == node:
                raise GraphError(f"«{node}» leser seg selv")
            if dep not in nodes and not _pseudo(dep):
                unknown.append(f"«{node}» leser «{dep}», som verken er en linje, et tall eller en samling")
    if unknown:
        raise GraphError("; ".join(unknown))
    for dep in {d for deps in nodes.values() for d in deps if _pseudo(d)}:
        nodes.setdefault(dep, ())
    _toposort(nodes)


def build(packs: Iterable = ()) -> Graph:
    """The figure graph plus one node per rule of the loaded packs (reading its names; a rule with for_each reads
    its collection). Raises GraphError for a rule that reads a name the graph does not know."""
    from ..derive import COLLECTIONS

    base = figure_graph()
    packs = list(packs)
    key = ("packs", id(base), tuple((p.name, id(p)) for p in packs))
    if key in _CACHE:
        return _CACHE[key]
    nodes = dict(base.inputs)
    for pack in packs:
        for compiled in pack.rules:
            spec = compiled.spec
            fields = COLLECTIONS[spec.for_each][1] if spec.for_each else {}
            deps = [collection_node(spec.for_each)] if spec.for_each else []
            for name in compiled.names:
                if name in fields or name == "toleranse":
                    continue
                if name not in nodes:
                    raise GraphError(f"regel {spec.id} ({pack.name}) leser «{name}», som grafen ikke kjenner")
                deps.append(name)
            nodes[rule_node(pack.name, spec.id)] = tuple(dict.fromkeys(deps))
    graph = Graph(nodes)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = graph
    return graph


# --- what a figure really reads: recorded, not guessed --------------------------------------------------------------

class Recorder:
    """Stands in for a Facts while one figure is computed and records every read: facts (name, year, value),
    tables (`table:<stem>`), collections and budsjett.toml fields (`meta:<field>`). The engine uses it to find the
    years in which a missing figure's inputs were missing; a test uses it to check that every figure declares what
    it reads. Which years exist and their kinds (facts.years, facts.kind) are the frame, not an input."""

    def __init__(self, facts):
        self._facts = facts
        self.reads: list[tuple[str, int | None, object]] = []

    def get(self, name: str, year: int | None):
        value = self._facts.get(name, year)
        self.reads.append((name, year, value))
        return value

    def table(self, stem: str):
        value = self._facts.table(stem)
        self.reads.append((f"table:{stem}", None, value))
        return value

    def items(self, name: str):
        value = self._facts.items(name)
        self.reads.append((collection_node(name), None, value))
        return value

    def sum_lines(self):
        self.reads.append((TABLE_ALL, None, True))
        return self._facts.sum_lines()

    @property
    def budget(self):
        return _BudgetView(self._facts.budget, self.reads)

    def __getattr__(self, name: str):
        return getattr(self._facts, name)


class _BudgetView:
    def __init__(self, budget, reads):
        self._budget, self._reads = budget, reads

    @property
    def tables(self):
        return _TablesView(self._budget.tables, self._reads)

    @property
    def meta(self):
        return _MetaView(self._budget.meta, self._reads)

    def has(self, stem: str) -> bool:
        self._reads.append((f"table:{stem}", None, True))
        return self._budget.has(stem)

    def __getattr__(self, name: str):
        return getattr(self._budget, name)


class _TablesView:
    """budget.tables: one table by name reads `table:<stem>`; walking them all reads `table:*`."""

    def __init__(self, tables, reads):
        self._tables, self._reads = tables, reads

    def get(self, stem, default=None):
        value = self._tables.get(stem, default)
        self._reads.append((f"table:{stem}", None, value))
        return value

    def __getitem__(self, stem):
        self._reads.append((f"table:{stem}", None, True))
        return self._tables[stem]

    def __contains__(self, stem) -> bool:
        self._reads.append((f"table:{stem}", None, True))
        return stem in self._tables

    def __getattr__(self, name: str):  # values(), items(), keys() …
        self._reads.append((TABLE_ALL, None, True))
        return getattr(self._tables, name)

    def __iter__(self):
        self._reads.append((TABLE_ALL, None, True))
        return iter(self._tables)

    def __len__(self) -> int:
        self._reads.append((TABLE_ALL, None, True))
        return len(self._tables)


class _MetaView:
    FRAME = {"plan_years": "years"}

    def __init__(self, meta, reads):
        self._meta, self._reads = meta, reads

    def __getattr__(self, name: str):
        value = getattr(self._meta, name)
        self._reads.append((f"meta:{self.FRAME.get(name, name)}", None, value))
        return value


def trace(facts, name: str, year: int | None) -> list[tuple[str, int | None, object]]:
    """The reads one figure makes when computed for `year` (its own inputs only, not its inputs' inputs)."""
    from ..derive import FIGURES

    fig = FIGURES[name]
    recorder = Recorder(facts)
    fig.compute(recorder, year if fig.per_year else None)
    return recorder.reads


def missing_leaves(facts, graph: Graph, name: str, year: int | None, _depth: int = 0) -> list[tuple[str, int | None]]:
    """The leaf inputs behind a missing figure, each with the year it was missing in: minimumsavdrag is missing
    because the anleggsmidler are. The graph says what a figure reads; a recorded re-computation says in which
    years, and which of those reads were missing. A figure with a label that looks at other years than its own (the
    merforbruk two years back, the balance date) is named by its label, which says which year it needs. A sum line
    that cannot be computed is followed to the part printed with a blank cell."""
    from ..derive import FIGURES

    if _depth > 8:
        return [(name, year)]
    fig = FIGURES.get(name)
    if fig is None:
        return _missing_parts(facts, graph, name, year, _depth)
    declared = set(graph.inputs_of(name))
    try:
        reads = trace(facts, name, year)
    except Exception:  # noqa: BLE001 - the figure's own failure is reported by the engine; name the figure
        return [(name, year)]
    gone = list(dict.fromkeys((n, y) for n, y, v in reads if v is None and (n in declared or n in FIGURES)))
    if not gone and year is not None and not fig.label:  # nothing missing read (a memo): declared inputs, same year
        gone = [(n, year) for n in graph.inputs_of(name) if not _pseudo(n) and n != "ar" and _value(facts, n, year)
                is None]
    if not gone or (fig.label and year is not None and any(y is not None and y != year for _, y in gone)):
        return [(name, year)]
    leaves: list[tuple[str, int | None]] = []
    for n, y in gone:
        leaves += missing_leaves(facts, graph, n, y, _depth + 1)
    return list(dict.fromkeys(leaves))


def _value(facts, name: str, year: int):
    try:
        return facts.get(name, year)
    except Exception:  # noqa: BLE001 - only naming what is missing here
        return None


def _missing_parts(facts, graph: Graph, name: str, year: int | None, depth: int) -> list[tuple[str, int | None]]:
    """A missing schedule line: a sum is missing because of its missing parts (or a blank area/project row)."""
    from ..derive import line_fact_names

    parts = graph.inputs_of(name)
    if not parts or year is None or year not in facts.years:
        return [(name, year)]
    where = line_fact_names().get(name.removesuffix("_beregnet"))
    table = facts.table(where[0].stem) if where else None
    if table is None or (table.rows and not any(year in r.values for r in table.rows)):
        return [(name.removesuffix("_beregnet"), year)]  # the whole file or its column is missing: say that once
    leaves: list[tuple[str, int | None]] = []
    for part in parts:
        if part.startswith("rows:"):
            stem = part[len("rows:"):]
            table = facts.table(stem)
            leaves += [(f"«{r.label}» ({stem}.csv linje {r.line})", year) for r in (table.rows if table else [])
                       if r.key is None and r.values.get(year) is None]
        elif facts.get(part, year) is None:
            leaves += missing_leaves(facts, graph, part, year, depth + 1)
    return list(dict.fromkeys(leaves)) or [(name, year)]
