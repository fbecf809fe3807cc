"""The dependency graph: every figure declares what it reads, the declarations match what the figures really read
(recorded on the bundled packages), the graph refuses cycles and unknown names, and it answers «what depends on
this input» (incremental re-evaluation) and «what is missing» (ikke vurdert)."""

from __future__ import annotations

from pathlib import Path

import pytest

from budsjettkontroll.derive import COLLECTIONS, FIGURES, Facts, line_fact_names
from budsjettkontroll.package import bundled_dir, load_package
from budsjettkontroll.rules import graph as graph_module
from budsjettkontroll.rules.graph import GraphError, Recorder, build, figure_graph, rule_node
from budsjettkontroll.check import packs_for, run_check

BUNDLED = ["asker-hp-2024-2027", "eksempel-selvkost"]
REALWORLD = Path(__file__).parent / "realworld"
# every bundled and real package: each takes other branches of the figures (accounts only, views, signs …)
PACKAGES = [bundled_dir() / name for name in BUNDLED] + sorted(p.parent for p in REALWORLD.rglob("budsjett.toml"))


def test_every_figure_declares_inputs_the_graph_knows_and_there_is_no_cycle():
    graph = figure_graph()  # raises GraphError on an unknown input or a cycle
    for name, fig in FIGURES.items():
        assert fig.inputs or name in {"merforbruk_fra_ar"} or graph.inputs_of(name), f"{name} declares no inputs"
        for dep in fig.inputs:
            assert dep in graph, f"{name} reads unknown «{dep}»"
    order = graph.order()
    position = {n: i for i, n in enumerate(order)}
    for name in FIGURES:
        assert all(position[d] < position[name] for d in graph.inputs_of(name))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_declared_inputs_cover_what_every_figure_really_reads(package):
    """Run every figure in every year (and for the whole budget) with a recording Facts: each read must be declared,
    so a declaration cannot drift from the code."""
    facts = Facts(load_package(package))
    undeclared = {}
    for name, fig in FIGURES.items():
        for year in (facts.years if fig.per_year else [None]):
            recorder = Recorder(facts)
            fig.compute(recorder, year)
            read = {n for n, _, _ in recorder.reads}
            extra = read - set(fig.inputs)
            if extra:
                undeclared.setdefault(name, set()).update(extra)
    for name in COLLECTIONS:
        recorder = Recorder(facts)
        COLLECTIONS[name][0](recorder)
        read = {n for n, _, _ in recorder.reads}
        extra = read - set(figure_graph().inputs_of(f"collection:{name}"))
        if extra:
            undeclared.setdefault(f"collection:{name}", set()).update(extra)
    assert undeclared == {}


def test_a_figure_that_reads_an_undeclared_fact_is_caught_by_the_recorder(asker):
    facts = Facts(asker)
    recorder = Recorder(facts)
    FIGURES["avdrag_under_minimum"].compute(recorder, 2024)
    assert {n for n, _, _ in recorder.reads} == {"minimumsavdrag", "drift_avdrag"}
    recorder = Recorder(facts)
    FIGURES["lanegjeld_grunnlag"].compute(recorder, 2024)
    assert "meta:minimumsavdrag" in {n for n, _, _ in recorder.reads}  # a budsjett.toml field is an input too


def test_a_cycle_or_an_unknown_name_is_refused(monkeypatch):
    from budsjettkontroll.derive import Figure

    figures = dict(FIGURES)
    figures["sirkel_a"] = Figure("sirkel_a", lambda f, y: None, "", "", inputs=("sirkel_b",))
    figures["sirkel_b"] = Figure("sirkel_b", lambda f, y: None, "", "", inputs=("sirkel_a",))
    monkeypatch.setattr("budsjettkontroll.derive.FIGURES", figures)
    graph_module._CACHE.clear()
    with pytest.raises(GraphError, match="syklisk avhengighet: sirkel_a → sirkel_b → sirkel_a"):
        figure_graph()
    figures.pop("sirkel_a"), figures.pop("sirkel_b")
    figures["skrivefeil"] = Figure("skrivefeil", lambda f, y: None, "", "", inputs=("drift_avdrg",))
    graph_module._CACHE.clear()
    with pytest.raises(GraphError, match="«skrivefeil» leser «drift_avdrg»"):
        figure_graph()
    monkeypatch.undo()
    graph_module._CACHE.clear()
    figure_graph()


def test_dependents_name_the_figures_and_rules_to_evaluate_again(asker):
    graph = build(packs_for(asker))
    hit = graph.dependents(["drift_avskrivninger"])
    assert {"minimumsavdrag", "avdrag_under_minimum", rule_node("lov", "KL-14-18-minimumsavdrag")} <= hit
    assert "drift_netto_driftsresultat" in hit  # a sum line depends on its parts
    assert "table:drift" in hit and "collection:sumlinjer" in hit  # a rule over every sum line sees it too
    assert ("lov", "FORSKR-5-sumlinjer") in graph.rules_depending_on(["drift_avskrivninger"])
    assert "bruk_av_lan" not in hit and rule_node("lov", "KL-14-15-lan-til-investering") not in hit
    # a changed area row (no statutory line) reaches the sum of § 5-4 andre ledd and the table scans
    assert {"fordeling_sum", "uspesifiserte_innsparinger"} <= graph.dependents(["rows:drift_fordeling"])
    # a budsjett.toml field
    assert {"lanegjeld_grunnlag", "minimumsavdrag"} <= graph.dependents(["meta:minimumsavdrag"])


def test_every_rule_of_every_bundled_pack_is_a_node_with_known_inputs(asker):
    from budsjettkontroll.rules.loader import load_pack, rules_dir

    packs = [load_pack(p) for p in sorted(rules_dir().glob("*.yaml"))]
    graph = build(packs)
    for pack in packs:
        for compiled in pack.rules:
            node = rule_node(pack.name, compiled.spec.id)
            assert node in graph and all(d in graph for d in graph.inputs_of(node))
            assert graph.leaves(node) or compiled.spec.for_each, node


def test_missing_leaf_is_named_with_its_file_and_year_for_a_budget_wide_rule(asker_copy):
    """ROBEK (scope budget) asks yearly figures for real years: with the 2022 column declared a budget, not accounts,
    the merforbruk two years before each plan year is unknown, and the finding says so (no TypeError/KeyError)."""
    toml = asker_copy / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("regnskap = [2022]", "regnskap = []")
                    .replace("budsjett = [2023]", "budsjett = [2022, 2023]"), encoding="utf-8")
    findings = run_check(load_package(asker_copy)).findings
    robek = next(f for f in findings if f.rule == "KL-28-1-robek")
    assert robek.status == "not_evaluated" and robek.internal_error is None
    assert robek.message.startswith("Ikke vurdert: mangler merforbruk i regnskapet to år før")
    assert "for 2024, 2025, 2026, 2027" in robek.message
    assert not [f for f in findings if f.internal_error]


def test_minimumsavdrag_names_the_missing_line_not_the_figure(asker):
    findings = run_check(asker).findings
    (first,) = [f for f in findings if f.rule == "KL-14-18-minimumsavdrag" and f.year == 2024]
    assert first.message == "Ikke vurdert: mangler «Bokført verdi avskrivbare anleggsmidler» (nokkeltall.csv)"


def test_balance_date_1_1_names_the_year_before(asker_copy):
    """With balance date 1.1 the minimumsavdrag of 2025 needs the anleggsmidler at the end of 2024: the figure that
    looks at another year is named by its label, which says so."""
    toml = asker_copy / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('balance_date = "31.12"', 'balance_date = "1.1"'),
                    encoding="utf-8")
    findings = run_check(load_package(asker_copy)).findings
    (finding,) = [f for f in findings if f.rule == "KL-14-18-minimumsavdrag" and f.year == 2025]
    assert finding.message.startswith("Ikke vurdert: mangler bokført verdi avskrivbare anleggsmidler på balansedatoen")


def test_every_line_fact_and_figure_is_in_the_graph():
    graph = figure_graph()
    assert set(line_fact_names()) <= set(graph.inputs)
    assert set(FIGURES) <= set(graph.inputs)


def test_a_column_before_2020_is_not_evaluated_for_every_forskrift_rule_never_silent(asker_copy):
    """budsjett- og regnskapsforskriften 2019 applies from 2020: a 2019 column gets, for each rule in force from
    2020, «ikke vurdert: kolonnen er fra før forskriften gjaldt»; the plan years are judged as before."""
    from budsjettkontroll.rules.engine import BEFORE_FORSKRIFT
    from budsjettkontroll.rules.loader import load_pack

    for path in asker_copy.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([lines[0].replace("2022", "2019"), *lines[1:]]) + "\n", encoding="utf-8")
    toml = asker_copy / "budsjett.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("regnskap = [2022]", "regnskap = [2019]"),
                    encoding="utf-8")
    clean = run_check(load_package(bundled_dir() / "asker-hp-2024-2027")).findings
    findings = run_check(load_package(asker_copy)).findings
    old = [f for f in findings if f.year == 2019]
    assert old and all(f.status == "not_evaluated" and f.message == BEFORE_FORSKRIFT for f in old)
    lov = load_pack("lov")
    document = load_package(asker_copy).meta.years.document
    regnskap_rules = {c.spec.id for c in lov.rules if {"regnskap", "all"} & set(c.spec.scopes)
                      and (not c.spec.documents or document in c.spec.documents)}
    assert regnskap_rules and regnskap_rules <= {f.rule for f in old}
    assert len({f.rule for f in old}) == len(old)  # one per rule, not one per sum line
    # (§ 14-11 looks two years back: with 2022 gone it has no accounts for 2024, and says so)
    plan = lambda fs: sorted((f.rule, f.year, f.subject, f.status) for f in fs  # noqa: E731
                             if f.year is not None and f.year >= 2024 and f.pack == "lov"
                             and f.rule != "KL-14-11-dekning-merforbruk")
    assert plan(findings) == plan(clean)


def test_a_budget_wide_rule_that_reads_a_yearly_figure_is_refused_when_the_pack_loads(tmp_path):
    """Scope «budget» is judged once for the whole plan: a yearly figure has no value there, so the pack is refused
    (exit 2 naming the rule), instead of asking the figure for year None."""
    from budsjettkontroll.errors import InputError
    from budsjettkontroll.rules.loader import load_pack

    pack = tmp_path / "egen.yaml"
    pack.write_text("""pack: egen
version: "1"
title: Egen
rules:
  - id: EGEN-1
    title: Minimumsavdrag for hele budsjettet
    severity: error
    references: [{text: kommuneloven § 14-18}]
    scope: budget
    condition: minimumsavdrag >= 0
    message: feil
""", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        load_pack(pack)
    (problem,) = refused.value.problems
    assert "regel EGEN-1, feltet «scope»" in str(problem) and "minimumsavdrag" in str(problem)
