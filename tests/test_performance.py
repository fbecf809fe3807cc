"""The speed-ups of issue 16 change nothing a user sees: memoised rule outcomes and the fast message formatting
give exactly what rule-engine and string.Formatter give. (Speed itself is measured in benchmarks/, never here.)"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from budsjettkontroll.check import run_check
from budsjettkontroll.package import load_package
from budsjettkontroll.rules import engine
from budsjettkontroll.rules.loader import load_pack

from .conftest import ASKER_DIR, set_cell


def _forget(packs) -> None:
    for pack in packs:
        for compiled in pack.rules:
            compiled.__dict__.pop("_results", None)


@pytest.fixture
def without_fast_path():
    """The memo is what these tests judge: every condition goes to rule-engine (rules/fastpath.py is tested below)."""
    rules = _bundled_rules()
    for compiled in rules:
        compiled.__dict__["_fast"] = None
    yield
    for compiled in rules:
        compiled.__dict__.pop("_fast", None)


def _as_json(result) -> list:
    return [f.as_json() for f in result.findings]


def test_memoised_outcomes_equal_fresh_ones_across_budgets(tmp_path, without_fast_path):
    """Asker, then a copy with one number changed, with the memo warm from Asker: the same findings as each
    checked with an empty memo (the copy breaks a sum line, so some outcomes differ from Asker's)."""
    copy = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, copy)
    set_cell(copy, "drift", "Rammetilskudd", 2025, -1)
    asker, changed = load_package(ASKER_DIR), load_package(copy)
    first = run_check(asker)
    warm = run_check(changed)
    _forget(first.packs)
    cold = run_check(changed)
    assert _as_json(warm) == _as_json(cold)
    assert _as_json(warm) != _as_json(first)
    _forget(first.packs)
    assert _as_json(run_check(asker)) == _as_json(first)


def test_the_memo_tells_decimal_digits_apart(without_fast_path):
    """1 and 1.0 are equal numbers but print differently: the sides a finding shows come from its own inputs."""
    pack = load_pack("lov")
    rule = next(c for c in pack.rules if c.spec.id == "FORSKR-5-sumlinjer")
    _forget([pack])
    values = lambda tol: {"avvik": Decimal(0), "ledd": 3, "toleranse": tol}  # noqa: E731
    assert engine._matches(rule, values(Decimal("1")))[1][1] == Decimal("3")
    assert str(engine._matches(rule, values(Decimal("1.0")))[1][1]) == "3.0"
    assert str(engine._matches(rule, values(Decimal("1")))[1][1]) == "3"


@pytest.mark.parametrize("template", [
    "{subject}: oppgitt {oppgitt}, summen av delene er {beregnet} (avvik {avvik}).",
    "Andel {andel:.1f} % i {ar}; {flagg} og {tom}.",
    "{{klammer}} {oppgitt:>12} {subject!r}",  # a conversion: through string.Formatter as before
    "{oppgitt.real} {0}",
    "mangler {finnes_ikke}",
])
def test_fast_message_formatting_gives_the_same_text(template):
    shown = {"subject": "Sum driftsinntekter", "oppgitt": -7561958, "beregnet": Decimal("-7561957"),
             "avvik": Decimal("-1"), "andel": Decimal("2.45"), "ar": "2024", "flagg": True, "tom": None}

    def outcome(fn):
        try:
            return fn()
        except (KeyError, IndexError, ValueError) as exc:
            return type(exc)

    def anything(fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the same error either way
            return type(exc)

    fast = outcome(lambda: engine.format_message(template, shown))
    assert fast == outcome(lambda: engine.FORMAT.format(template, **shown))
    if "{{" in template:
        assert fast.startswith("{klammer} ")
    # as a finding writes it: its values, a year-unit value shown as text, and ar, aar and subject added
    values = {k: v for k, v in shown.items() if k not in ("ar", "subject")}
    for years in (frozenset(), frozenset({"oppgitt", "andel"})):
        expected = {**{k: (str(v) if k in years else v) for k, v in values.items()},
                    "ar": "2024", "aar": "2024", "subject": shown["subject"]}
        assert anything(lambda: engine._message(template, values, years, 2024, shown["subject"])) \
            == anything(lambda: engine.FORMAT.format(template, **expected))


# --- conditions evaluated without rule-engine's interpreter (rules/fastpath.py) -----------------------------------

import rule_engine  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from budsjettkontroll.rules.fastpath import compile_condition  # noqa: E402
from budsjettkontroll.rules.loader import RememberedSide  # noqa: E402


def _bundled_rules():
    from budsjettkontroll.rules.loader import rules_dir

    out = []
    for path in sorted(rules_dir().glob("*.yaml")):
        try:
            pack = load_pack(path)
        except Exception:  # noqa: BLE001 - not a rule pack (parameters, policy files live elsewhere)
            continue
        out += pack.rules
    return out


def _outcome(compiled, values, fast: bool):
    """engine._matches with or without the fast path (and without the memo): its result, or the error it raises."""
    saved = {k: compiled.__dict__.pop(k) for k in ("_fast", "_results") if k in compiled.__dict__}
    compiled.__dict__["_results"] = None
    if not fast:
        compiled.__dict__["_fast"] = None
    try:
        ok, sides = engine._matches(compiled, dict(values))
        return ok, None if sides is None else tuple(engine._exact(v) for v in sides)
    except Exception as exc:  # noqa: BLE001 - compared: the same error with the same text
        return type(exc), str(exc)
    finally:
        compiled.__dict__.pop("_fast", None)
        compiled.__dict__.pop("_results", None)
        compiled.__dict__.update(saved)


_NUMBERS = (st.decimals(places=2, min_value=-10**9, max_value=10**9) | st.decimals() | st.integers()
            | st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("-0"), Decimal("0E+3"), Decimal("1E+30"), 0, 1]))
_ANY = _NUMBERS | st.booleans() | st.none() | st.floats() | st.sampled_from(["ingen", "", "x"]) | st.lists(st.integers(), max_size=2)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_conditions_give_what_rule_engine_gives(data):
    """Every bundled rule, with numbers of every shape and values of the wrong type: engine._matches gives the same
    outcome and the same sides (type and digits) with the fast path as with rule-engine alone, or the same error."""
    rules = _bundled_rules()
    compiled = data.draw(st.sampled_from(rules))
    values = {n: data.draw(_NUMBERS if data.draw(st.integers(0, 9)) else _ANY, label=n) for n in compiled.names}
    assert _outcome(compiled, values, fast=True) == _outcome(compiled, values, fast=False)


def test_every_bundled_condition_takes_the_fast_path():
    """The rules of the bundled packs use only what rules/fastpath.py evaluates (else they keep rule-engine: still
    right, but slower; this says when a new rule or a rule-engine upgrade makes that happen)."""
    slow = [c.spec.id for c in _bundled_rules() if compile_condition(c.rule, c.sides) is None]
    assert slow == []


_TYPES = {"a": rule_engine.DataType.FLOAT, "b": rule_engine.DataType.FLOAT, "c": rule_engine.DataType.FLOAT,
          "s": rule_engine.DataType.STRING, "flag": rule_engine.DataType.BOOLEAN}


@pytest.mark.parametrize("condition, fast", [
    ("a + b * c <= -a", True),
    ("$abs(a - b) > c or not flag", True),
    ("s == 'ingen' and a != b", True),
    ("a / b >= c - 0.5", True),
    ("a == 0 or $abs(a) > b * c", True),
    ("flag", True),
    ("a ** 2 > b", False),          # a power: rule-engine evaluates it
    ("a // b == c", False),
    ("s =~ 'in.*'", False),
    ("$abs(a) in [b, c]", False),
])
@settings(max_examples=150, deadline=None)
@given(values=st.fixed_dictionaries({"a": _ANY, "b": _NUMBERS, "c": _NUMBERS, "s": _ANY, "flag": _ANY}))
def test_each_kind_of_node_gives_what_rule_engine_gives(condition, fast, values):
    from budsjettkontroll.rules.loader import CompiledRule

    rule = rule_engine.Rule(condition, context=rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dict(_TYPES)))
    expression = rule.statement.expression
    sides = None
    if type(expression).__name__ in ("ComparisonExpression", "ArithmeticComparisonExpression"):
        expression.left, expression.right = sides = (RememberedSide(expression.left), RememberedSide(expression.right))
    assert (compile_condition(rule, sides) is not None) == fast
    spec = type("Spec", (), {"condition": condition, "id": "x"})()
    compiled = CompiledRule(spec, rule, list(_TYPES), sides)
    assert _outcome(compiled, values, fast=True) == _outcome(compiled, values, fast=False)


# --- the JSON writer --------------------------------------------------------------------------------------------

from budsjettkontroll.report import jsontext  # noqa: E402

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
            | st.text() | st.decimals(allow_nan=False, allow_infinity=False) | st.dates())
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
_JSONISH = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(_JSONISH)
def test_json_text_is_what_json_dumps_writes(data):
    import json

    assert jsontext.dumps(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str)


def test_json_text_of_the_amend_report_is_what_json_dumps_writes():
    """The real payload: every finding of the base and the amended budget, key figures, balance per year."""
    import json

    from budsjettkontroll.amend import run_all
    from budsjettkontroll.report import amend_json

    results = run_all(load_package(ASKER_DIR), ["endringsforslag-flerbrukshall"])
    seen = {}
    real = jsontext.dumps
    try:
        jsontext.dumps = lambda payload: seen.setdefault("payload", payload) and real(payload)
        text = amend_json.render(results, {"fail_on": "error"})
    finally:
        jsontext.dumps = real
    assert len(text) > 100_000
    # the findings are written straight from the Finding objects (report/findings_json.py): as their dicts would be
    plain = lambda o: o.data() if isinstance(o, jsontext.Written) else str(o)  # noqa: E731
    assert text == json.dumps(seen["payload"], ensure_ascii=False, indent=2, default=plain) + "\n"
    assert len(seen["payload"]["proposals"][0]["findings"].data()) == len(results[0].amended.findings) > 500
    with pytest.raises(TypeError):
        jsontext.dumps({(1, 2): "a tuple is no key"})



def _findings_text_is_general_text(findings, level: int) -> None:
    import json

    from budsjettkontroll.report.findings_json import write_findings

    dicts = [f.as_json() for f in findings]
    assert write_findings(findings, level) == jsontext.dumps(dicts, level=level)
    if level == 0:
        assert write_findings(findings, 0) == json.dumps(dicts, ensure_ascii=False, indent=2, default=str)


@pytest.mark.parametrize("level", [0, 1, 3])
def test_findings_text_of_real_reports_is_what_the_general_writer_writes(level):
    from budsjettkontroll.amend import run_all

    results = run_all(load_package(ASKER_DIR), ["endringsforslag-flerbrukshall"])
    _findings_text_is_general_text(results[0].amended.findings, level)
    _findings_text_is_general_text(results[0].base.findings, level)
    _findings_text_is_general_text(run_check(load_package(ASKER_DIR.parent / "eksempel-selvkost")).findings, level)
    _findings_text_is_general_text([], level)


_VALUES = (st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
           | st.decimals(allow_nan=False, allow_infinity=False) | st.lists(st.integers(), max_size=2))
_REFERENCE = st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2) \
    | st.dictionaries(st.text(max_size=3) | st.integers(), _VALUES, max_size=2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.text(max_size=8) | st.none() | st.integers(), st.integers(1990, 2040) | st.none() | st.booleans(),
    st.lists(_REFERENCE, max_size=3) | st.tuples(_REFERENCE),
    st.dictionaries(st.text(max_size=6) | st.integers(), _VALUES, max_size=4),
    st.lists(st.text(max_size=6), max_size=2) | st.tuples(st.text(max_size=3)),
    st.none() | st.text(max_size=6), st.none() | st.text(max_size=6), st.booleans()), max_size=4),
    st.integers(0, 3))
def test_findings_text_is_what_the_general_writer_writes(rows, level):
    """Any shape a finding's fields can take (amounts of every kind, odd references, column and internal_error
    set, a subclass of Finding, rules following each other with equal and unequal references)."""
    from budsjettkontroll.findings import Finding

    class Other(Finding):
        pass

    findings = []
    for text, year, refs, values, missing, column, error, subclass in rows:
        kind = Other if subclass else Finding
        for _ in range(2):  # the same references twice in a row
            findings.append(kind(rule="R", title=text, status="pass", severity="error", year=year, message="m «x»",
                                 references=refs, values=values, missing=missing, subject=text, file=column,
                                 line=year, column=column, internal_error=error))
    _findings_text_is_general_text(findings, level)


# --- one validation per package -----------------------------------------------------------------------------------

def _edit(package, stem: str, old: str, new: str) -> None:
    path = package / f"{stem}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


EKSEMPEL = ASKER_DIR.parent / "eksempel-selvkost"


@pytest.mark.parametrize("base, stem, old, new", [
    (ASKER_DIR, "drift", "Rammetilskudd,", "Rammetilskot og litt til,"),           # unknown line
    (ASKER_DIR, "drift", "Rammetilskudd,", ","),                                    # no label
    (ASKER_DIR, "drift", "Inntekts- og formuesskatt,", "Rammetilskudd,"),                    # a line twice
    (ASKER_DIR, "investering_fordeling", "Oppvekst,1,", "Oppvekst,5,"),             # del 5
    (ASKER_DIR, "investering_fordeling", "Oppvekst,1,", "Administrasjon og ledelse,1,"),  # a project twice in del 1
    (ASKER_DIR, "gjeld", "\n", ",ekstra\n"),                                        # a column the schema does not know
    (EKSEMPEL, "selvkost", "vann,Indirekte", ",Indirekte"),                         # no område
    (EKSEMPEL, "selvkost", "vann,Indirekte driftskostnader,3000", "vann,Indirekte driftskostnader,tre tusen"),
])
def test_one_validation_per_package_refuses_what_the_table_schemas_refuse(tmp_path, base, stem, old, new):
    """The package-wide pandera validation decides only whether to look closer: what any table's own schema
    refuses, it refuses too, and the problems are then named table by table with the usual messages."""
    from budsjettkontroll.errors import InputError
    from budsjettkontroll.schemas import tables

    package = tmp_path / base.name
    shutil.copytree(base, package)
    _edit(package, stem, old, new)
    calls = []
    real = tables.schema_for
    tables.schema_for = lambda *args: calls.append(args[0]) or real(*args)
    try:
        with pytest.raises(InputError) as refused:
            load_package(package)
    finally:
        tables.schema_for = real
    assert stem in calls  # the per-table schemas named the problem
    assert any(stem in str(p) for p in refused.value.problems)


def test_a_valid_package_is_validated_in_one_call(monkeypatch):
    from budsjettkontroll.schemas import tables

    calls = []
    monkeypatch.setattr(tables, "schema_for", lambda *args: calls.append(args[0]))
    for package in (ASKER_DIR, EKSEMPEL):
        assert load_package(package).tables
    assert calls == []


# --- incremental re-check -----------------------------------------------------------------------------------------

def _one_cell_changes():
    """One change per table of Asker: the first statutory line and the first free row (area, project, område) of
    each, in one plan year, by 1000; and budsjett.toml's minimumsavdrag balance date."""
    base = load_package(ASKER_DIR)
    out = []
    for stem, table in base.tables.items():
        for keyed in (True, False):
            row = next((r for r in table.rows if (r.key is not None) == keyed and r.values.get(2025) is not None), None)
            if row is not None:
                out.append((stem, row.label, keyed))
    return out


@pytest.mark.parametrize("stem, label, keyed", _one_cell_changes())
def test_recheck_gives_what_a_full_check_gives(stem, label, keyed):
    from dataclasses import replace

    from budsjettkontroll.incremental import changed_inputs, recheck
    from budsjettkontroll.report import jsonout

    base = load_package(ASKER_DIR)
    base_result = run_check(base)
    changed = replace(base, tables={s: replace(t, rows=[replace(r, values=dict(r.values)) for r in t.rows])
                                    for s, t in base.tables.items()})
    row = next(r for r in changed.tables[stem].rows if r.label == label)
    row.values[2025] += 1000
    names = changed_inputs(base, changed)
    assert names and f"table:{stem}" in names
    fast, full = recheck(base_result, changed), run_check(changed)
    assert _as_json(fast) == _as_json(full)
    assert jsonout.render([fast], {}) == jsonout.render([full], {})


def test_recheck_of_every_bundled_proposal_and_of_other_years_is_a_full_check_s_result():
    from budsjettkontroll.amend import build
    from budsjettkontroll.amendment import load_amendment
    from budsjettkontroll.incremental import changed_inputs, recheck

    base = load_package(ASKER_DIR)
    base_result = run_check(base)
    for proposal in sorted(ASKER_DIR.parent.glob("endringsforslag-*.yaml")):
        amended = build(base, load_amendment(proposal))[0]
        assert _as_json(recheck(base_result, amended)) == _as_json(run_check(amended))
    other_years = base.copy()
    other_years.meta = base.meta.model_copy(update={"years": base.meta.years.model_copy(update={"plan": [2024, 2025]})})
    assert changed_inputs(base, other_years) is None  # the graph does not describe the years: a full check
    assert _as_json(recheck(base_result, other_years)) == _as_json(run_check(other_years))


def test_recheck_judges_again_only_what_the_change_reaches(monkeypatch):
    """A change to one area of § 5-4 andre ledd: the investment and loan rules are not judged again, and the sum
    lines that do not add up the area are copied (their inputs are the same); only what reads the area is computed."""
    from budsjettkontroll.incremental import recheck

    base = load_package(ASKER_DIR)
    base_result = run_check(base)
    changed = base.copy()
    area = next(r for r in changed.tables["drift_fordeling"].rows if r.key is None and r.values.get(2025) is not None)
    area.values[2025] += 1000
    computed, judged = [], []
    real_one, real_format = engine._evaluate_one, engine._message
    monkeypatch.setattr(engine, "_evaluate_one", lambda *a, **k: judged.append(a[2].spec.id) or real_one(*a, **k))
    monkeypatch.setattr(engine, "_message", lambda *a: computed.append(a[0]) or real_format(*a))
    fast = recheck(base_result, changed)
    assert 0 < len(computed) < len(fast.judged) / 10  # messages written anew: the findings not copied
    assert judged and not {"KL-14-15-lan-til-investering", "KL-14-18-minimumsavdrag",
                           "KL-14-4-balanse-investering"} & set(judged)  # rules not even looked at
    monkeypatch.setattr(engine, "_evaluate_one", real_one)
    monkeypatch.setattr(engine, "_message", real_format)
    assert _as_json(fast) == _as_json(run_check(changed))
    assert _as_json(fast) != _as_json(base_result)


# --- the garbage collector ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, collecting", [
    (["check", "--format", "json"], False),     # one package, once: no cyclic collection until exit
    (["rules"], True),
])
def test_one_shot_commands_run_without_the_cyclic_collector(args, collecting, tmp_path):
    import subprocess
    import sys

    probe = ("import gc, sys\nfrom budsjettkontroll import cli\nsys.argv = ['budsjettkontroll', *sys.argv[1:]]\n"
             "try:\n    cli.main()\nexcept SystemExit:\n    pass\nsys.stderr.write(f'GC={gc.isenabled()}')\n")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.stderr.endswith(f"GC={collecting}"), done.stderr[-300:]


def test_a_batch_collects_cycles_again_and_freezes_what_the_first_package_loaded(tmp_path):
    import subprocess
    import sys

    for name in ("a", "b", "c"):
        shutil.copytree(ASKER_DIR, tmp_path / "pakker" / name)
    probe = ("import gc, sys\nfrom budsjettkontroll import cli\nsys.argv = ['budsjettkontroll', *sys.argv[1:]]\n"
             "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
             "sys.stderr.write(f'GC={gc.isenabled()} frozen={gc.get_freeze_count() > 100000}')\n")
    done = subprocess.run([sys.executable, "-c", probe, "check", str(tmp_path / "pakker"), "--format", "text",
                           "--jobs", "1"], capture_output=True, text=True)
    assert done.stderr.endswith("GC=True frozen=True"), done.stderr[-300:]


# --- amounts parsed once, plain cells without the full parser ------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"-?[0-9]{1,15}", fullmatch=True) | st.text(alphabet="-+0123456789 ,.\u2212", max_size=18))
def test_a_plain_cell_is_read_as_the_full_parser_reads_it(text):
    """parse_amount takes a short cut for «-2437733»; the same text with a space around it goes the long way (strip,
    separators, minus signs, digit limit) and gives the same amount, or both refuse it."""
    from budsjettkontroll.numbers import AmountError, parse_amount

    def read(cell):
        try:
            return parse_amount(cell)
        except AmountError as exc:
            return str(exc).replace(f"«{cell.strip()}»", "«…»")

    assert read(text) == read(f" {text} ")


def test_a_budget_copy_is_a_deep_copy_row_by_row():
    """Budget.copy (every amendment copies the base) copies rows without deepcopy's generic walk: equal rows, and
    nothing mutable shared with the original (a row value of another kind is still deep-copied)."""
    import copy

    from budsjettkontroll.budget import Row

    base = load_package(ASKER_DIR)
    twin = base.copy()
    assert twin.tables == base.tables and twin.meta == base.meta
    for stem, table in base.tables.items():
        for old, new in zip(table.rows, twin.tables[stem].rows):
            assert new is not old and new.values is not old.values
    twin.tables["drift"].rows[0].values[2025] = 1
    assert base.tables["drift"].rows[0].values[2025] != 1
    odd = Row("x", None, 1, {2024: Decimal("1.0")}, group=["del", 1])
    odd_copy = copy.deepcopy(odd)
    assert odd_copy == odd and odd_copy.group is not odd.group and str(odd_copy.values[2024]) == "1.0"


@pytest.mark.parametrize("stem", ["selvkost", "drift", "investering", "nokkeltall"])
def test_recheck_computes_again_what_a_change_reaches_and_keeps_the_rest(stem):
    """The re-check starts from the base's figures and collections that the change does not reach (the graph's
    dependents): a change to the selvkost table gives the selvkost findings and sections a full check gives, and a
    change to drift or investering keeps the selvkost areas as they were; a full check gives the same either way."""
    from budsjettkontroll.incremental import recheck
    from budsjettkontroll.report import jsonout

    base = load_package(EKSEMPEL)
    base_result = run_check(base)
    changed = base.copy()
    row = next(r for r in changed.tables[stem].rows if r.values.get(2025) is not None)
    row.values[2025] += 500
    fast, full = recheck(base_result, changed), run_check(changed)
    assert _as_json(fast) == _as_json(full)
    assert jsonout.render([fast], {}) == jsonout.render([full], {})
    kept = ("#collection:selvkost_omrader", None)
    if stem in ("drift", "investering"):  # the selvkost areas read neither
        assert fast.facts._cache.get(kept) is base_result.facts._cache[kept]
    elif stem == "selvkost":
        assert fast.facts._cache.get(kept) is not base_result.facts._cache[kept]
