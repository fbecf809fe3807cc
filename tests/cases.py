"""Declarative rule test cases in YAML, in the spirit of OpenFisca's YAML tests.

Each case: a base budget (bundled name or path), cell changes, and the findings it must produce:

- name: merforbruk i 2025
  budget: asker-hp-2024-2027
  change:                 # raw cell edits; printed sums are NOT recomputed
    nokkeltall: {"Bokført verdi avskrivbare anleggsmidler": {2024: 10000000}}
  adjust:                 # add to input lines; printed sums follow (as an amendment does)
    drift: {"Bruk av disposisjonsfond": {2025: 5000}}
    investering_fordeling: {"Ny skole": {del: 1, 2025: 5000}}   # a new project in del 1
  change:                 # selvkost.csv is in blocks: område first
    selvkost: {vann: {"Gebyrinntekter": {2024: 54000}}}
  expect:
    - {rule: KL-14-4-balanse-drift, year: 2025, status: fail}
    - {rule: SK-underskudd-ikke-fremforing, subject: vann, status: absent}   # no finding at all
  only_these_fail: true   # no other error- or warning-level rule may fail

Optional: `meta` (overrides merged into budsjett.toml, e.g. {minimumsavdrag: {balance_date: "1.1"}}),
`options` ({tolerance: 0}), `packs` (extra rule packs by path relative to the case file, or bundled name).
`only_these_fail` may also be a list of pack names: then only those packs' findings must not fail unexpectedly.
A file may be a mapping {defaults: {...}, cases: [...]}; each case then starts from the defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


def collect_case_file(parent, file_path: Path):
    return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self):
        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or []
        defaults = data.get("defaults", {}) if isinstance(data, dict) else {}
        cases = [{**defaults, **case} for case in data.get("cases", [])] if isinstance(data, dict) else data
        for case in cases:
            yield CaseItem.from_parent(self, name=case["name"], case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        run_case(self.case, self.path.parent)

    def reportinfo(self):
        return self.path, 0, f"case: {self.name}"


def build_budget(case: dict[str, Any], base_dir: Path | None = None):
    from budsjettkontroll.adjust import Change, apply_changes
    from budsjettkontroll.package import load_package

    budget = load_package(case.get("budget", "asker-hp-2024-2027"))
    budget = budget.copy()
    if case.get("meta"):
        from budsjettkontroll.meta import BudgetMeta

        budget.meta = BudgetMeta.model_validate(_merged(budget.meta.model_dump(), case["meta"]))
    for stem, lines in (case.get("change") or {}).items():
        table = budget.tables[stem]
        from budsjettkontroll.adjust import find_row
        from budsjettkontroll.budget import Row
        from budsjettkontroll.catalogue import TABLES

        entries = [(None, label, by_year) for label, by_year in lines.items()]
        if TABLES[stem].area_column:  # selvkost: {område: {linje: {år: verdi}}}
            entries = [(area, label, by_year) for area, block in lines.items() for label, by_year in block.items()]
        for group, label, by_year in entries:
            row = find_row(table, label, group)
            if row is None:
                line = TABLES[stem].match(label)
                row = Row(label, line.key if line else None, 0, {}, group)
                table.rows.append(row)
            for year, value in by_year.items():
                row.values[int(year)] = value * (budget.meta.sign.factor if TABLES[stem].signed else 1) \
                    if value is not None else None
    changes = [Change(stem, label, int(year), delta * budget.meta.sign.factor, by_year.get("del"))
               for stem, lines in (case.get("adjust") or {}).items()
               for label, by_year in lines.items() for year, delta in by_year.items() if year != "del"]
    return apply_changes(budget, changes) if changes else budget


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def run_case(case: dict[str, Any], base_dir: Path | None = None) -> None:
    from decimal import Decimal

    from budsjettkontroll.check import run_check
    from budsjettkontroll.rules.engine import Options

    opts = case.get("options") or {}
    options = Options(tolerance=Decimal(str(opts["tolerance"])) if "tolerance" in opts else None)
    packs = [str(base_dir / p) if base_dir and (base_dir / p).is_file() else p for p in case.get("packs") or []]
    result = run_check(build_budget(case), options, policy=case.get("policy"), extra_packs=packs)
    findings = result.findings
    expected = case.get("expect") or []
    for exp in expected:
        matching = [f for f in findings if f.rule == exp["rule"]
                    and ("year" not in exp or f.year == exp["year"])
                    and ("subject" not in exp or (f.subject or "").find(exp["subject"]) >= 0)]
        if exp["status"] == "absent":  # the rule does not apply here: no finding at all, not even «ikke vurdert»
            assert not matching, f"{exp}: got {[(f.status, f.subject, f.year, f.message) for f in matching]}"
            continue
        assert matching, f"no finding for {exp}"
        statuses = {f.status for f in matching}
        assert statuses == {exp["status"]}, (
            f"{exp}: got {[(f.status, f.subject, f.message) for f in matching]}")
        if "message_contains" in exp:
            assert any(exp["message_contains"] in f.message for f in matching), [f.message for f in matching]
    only = case.get("only_these_fail", True)
    if only:
        packs = None if only is True else set([only] if isinstance(only, str) else only)
        wanted = {(e["rule"], e.get("year")) for e in expected if e["status"] == "fail"}
        extra = [(f.rule, f.year, f.message) for f in findings
                 if f.status == "fail" and f.severity in ("error", "warning") and (packs is None or f.pack in packs)
                 and (f.rule, f.year) not in wanted and (f.rule, None) not in wanted
                 and not any(e["rule"] == f.rule and "year" not in e for e in expected if e["status"] == "fail")]
        assert not extra, f"unexpected failures: {extra}"
