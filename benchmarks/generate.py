"""Write N synthetic budget packages derived from the bundled Asker budget, for the batch benchmark.

Package i is Asker scaled by a factor between 0.1 and 1 (most kommuner are smaller than Asker) and then
perturbed, all through `adjust.apply_changes`, so printed sums follow their parts and keep exactly the
rounding differences the document has: every input line of § 5-4, § 5-5 (both ledd) and the debt table is
scaled and rounded to whole 1000 kr, and the rounding that would leave a merforbruk or an udekket beløp is
taken up by the avsetning to the disposisjonsfond and by bruk av lån, so every year still balances exactly.
§ 5-6 follows through the lines it shares with § 5-4. Then balanced changes: money moved between two areas,
between two projects of one part of § 5-5 andre ledd, and extra tax income set aside in the disposisjonsfond.
Amounts in nokkeltall are scaled; percentages and kr per m2 are not. Package i is the same whatever N is.

    python benchmarks/generate.py 400 /tmp/bk-bench/n400
"""

from __future__ import annotations

import argparse
import random
import sys
from decimal import Decimal
from pathlib import Path

from budsjettkontroll.adjust import LINKS, Change, acts_as_input, apply_changes
from budsjettkontroll.budget import Budget
from budsjettkontroll.catalogue import TABLES
from budsjettkontroll.package import load_package
from budsjettkontroll.writer import write_folder

UNSCALED = ("(%)", "kr per m2")  # nokkeltall lines that are ratios, not amounts
SCALED_TABLES = ("drift_fordeling", "drift", "investering_fordeling", "investering", "gjeld")
LINKED = {(table, key) for targets in LINKS.values() for table, key, _ in targets}  # they follow their source
BALANCES = [("drift", "fremfort_merforbruk", "Avsetninger til disposisjonsfond"),
            ("investering", "fremfort_udekket", "Bruk av lån")]


def _rounded(value, factor: float):
    return Decimal(str(round(float(value) * factor, 1))) if isinstance(value, Decimal) else round(value * factor)


def scaled(base: Budget, factor: float) -> Budget:
    """Every input line times `factor`, rounded; printed sums follow; each year's balance restored exactly."""
    changes = []
    for stem in SCALED_TABLES:
        table = base.tables.get(stem)
        if table is None:
            continue
        for row in table.rows:
            line = TABLES[stem].by_key.get(row.key) if row.key else None
            if line is not None and ((line.is_sum and not acts_as_input(table, line)) or (stem, row.key) in LINKED):
                continue
            for year, value in row.values.items():
                if value:
                    changes.append(Change(stem, row.label, year, _rounded(value, factor) - value, row.group))
    budget = apply_changes(base, changes)
    fixes = []
    for stem, key, taken_up_by in BALANCES:
        row = budget.tables[stem].row(key)
        for year, left in (row.values.items() if row else ()):
            original = base.tables[stem].row(key).values.get(year)
            if left is not None and original is not None and left != original:
                fixes.append(Change(stem, taken_up_by, year, original - left))
    budget = apply_changes(budget, fixes)
    for row in budget.tables["nokkeltall"].rows if "nokkeltall" in budget.tables else ():
        if not any(mark in row.label for mark in UNSCALED):
            row.values = {y: (None if v is None else _rounded(v, factor)) for y, v in row.values.items()}
    return budget


def perturbations(budget: Budget, rng: random.Random) -> list[Change]:
    """Balanced changes for every plan year: each pair adds up to nothing in the balance."""
    changes: list[Change] = []
    areas = [r.label for r in budget.tables["drift_fordeling"].rows if r.key is None]
    projects: dict[int, list[str]] = {}
    for row in budget.tables["investering_fordeling"].rows:
        if row.key is None and row.group is not None:
            projects.setdefault(int(row.group), []).append(row.label)
    for year in budget.meta.plan_years:
        moved = rng.randint(1, 20_000)
        a, b = rng.sample(areas, 2)
        changes += [Change("drift_fordeling", a, year, moved), Change("drift_fordeling", b, year, -moved)]
        extra_tax = rng.randint(1, 5_000)
        changes += [Change("drift", "Inntekts- og formuesskatt", year, -extra_tax),
                    Change("drift", "Avsetninger til disposisjonsfond", year, extra_tax)]
        group = rng.choice([g for g, labels in projects.items() if len(labels) >= 2])
        p, q = rng.sample(projects[group], 2)
        shift = rng.randint(1, 2_000)
        changes += [Change("investering_fordeling", p, year, shift, group),
                    Change("investering_fordeling", q, year, -shift, group)]
    return changes


def synthetic(base: Budget, index: int) -> Budget:
    rng = random.Random(index)
    budget = scaled(base, rng.uniform(0.1, 1.0))
    budget = apply_changes(budget, perturbations(budget, rng))
    budget.meta = budget.meta.model_copy(update={
        "kommune": f"Syntetisk {index:04d}", "kommunenummer": f"{9000 + index % 1000:04d}",
        "title": f"Syntetisk handlingsprogram nr. {index} (avledet av Asker HP 2024-2027)"})
    return budget


def generate(n: int, target: Path) -> list[Path]:
    """Write packages 0..n-1 as target/NNNN/ (CSV folders); the target must be new or empty."""
    base = load_package(None)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise SystemExit(f"{target} er ikke tom")
    return [write_folder(synthetic(base, i), target / f"{i:04d}") for i in range(n)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    generate(args.n, args.target)
    print(f"skrev {args.n} pakker i {args.target}", file=sys.stderr)


if __name__ == "__main__":
    main()
