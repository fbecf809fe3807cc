"""Dump every report a performance change could alter, to compare byte for byte before and after the change.

    # once: the packages (bundled, real-world tables as packages, synthetic, a workbook) in a fixed folder
    .venv/bin/python benchmarks/identical.py prepare /tmp/bk-ident
    # the code before the change (another worktree or checkout) and after it, same interpreter
    PYTHONPATH=/path/to/old/tree .venv/bin/python benchmarks/identical.py dump /tmp/bk-ident before
    .venv/bin/python benchmarks/identical.py dump /tmp/bk-ident after
    .venv/bin/python benchmarks/identical.py compare /tmp/bk-ident before after

`dump` writes one file per case (the command's output and exit code): `check --format json` and `--format text`
of every package, `amend` of every bundled proposal in JSON and text, and batch JSON over the synthetic packages.
The packages live in the fixed folder, and the tree's own path (bundled rule packs) is written as <budsjettkontroll>,
so the reports of two trees compare.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REALWORLD = Path("/work/shared/realworld")
SCHEDULES = {"bevilgningsoversikt_drift": "drift.csv", "bevilgningsoversikt_investering": "investering.csv",
             "okonomisk_oversikt_drift": "drift_art.csv", "budsjettskjema_1a": "drift.csv"}


def _years_toml(header: str) -> str:
    """A [years] table from the printed headers: regnskap columns as regnskap, the first budget year as budsjett
    when there are several, the rest as plan (whether the tool accepts it is what the report shows)."""
    regnskap, other = set(), set()
    for cell in header.split(",")[1:]:
        found = re.findall(r"(?:19|20)\d\d", cell)
        if not found:
            continue
        (regnskap if "regnskap" in cell.lower() else other).add(int(found[-1]))
    other -= regnskap
    plan = sorted(other)
    budsjett = plan[:1] if len(plan) > 2 else []
    plan = plan[len(budsjett):] or sorted(regnskap)[-1:]
    regnskap = sorted(regnskap - set(plan))
    return f"[years]\nregnskap = {regnskap}\nbudsjett = {budsjett}\nplan = {plan}\n"


def prepare(root: Path) -> None:
    import budsjettkontroll

    sys.path.insert(0, str(HERE))
    import generate
    from budsjettkontroll.package import load_package
    from budsjettkontroll.writer import write_package

    if root.exists():
        shutil.rmtree(root)
    pkgs = root / "pakker"
    bundled = Path(budsjettkontroll.__file__).parent / "budgets"
    for folder in sorted(p for p in bundled.iterdir() if p.is_dir()):
        shutil.copytree(folder, pkgs / folder.name)
    for proposal in sorted(bundled.glob("endringsforslag-*.yaml")):
        (root / "forslag").mkdir(parents=True, exist_ok=True)
        shutil.copy(proposal, root / "forslag" / proposal.name)
    write_package(load_package(pkgs / "asker-hp-2024-2027"), pkgs / "asker.xlsx")
    for csv in sorted(REALWORLD.glob("*.csv")):
        target = next((name for key, name in SCHEDULES.items() if key in csv.name), None)
        if target is None:
            continue
        folder = pkgs / f"ekte-{csv.stem}"
        folder.mkdir(parents=True)
        shutil.copy(csv, folder / target)
        header = csv.read_text(encoding="utf-8").splitlines()[0]
        kommune = csv.stem.split("_")[0].capitalize()
        (folder / "budsjett.toml").write_text(f'kommune = "{kommune}"\ntitle = "{csv.stem}"\nstatus = "vedtatt"\n'
                                              f'unit = "1000 kr"\nsign = "incomes_negative"\n', encoding="utf-8")
        # the same table again with [years] guessed from the headers (declared years win over the headers)
        shutil.copytree(folder, pkgs / f"ekte-aar-{csv.stem}")
        with open(pkgs / f"ekte-aar-{csv.stem}" / "budsjett.toml", "a", encoding="utf-8") as toml:
            toml.write(f"\n{_years_toml(header)}")
    generate.generate(24, root / "syntetiske")


def cases(root: Path) -> list[tuple[str, list[str]]]:
    out = []
    for pkg in sorted((root / "pakker").iterdir()):
        for fmt in ("json", "text"):
            out.append((f"check-{pkg.name}.{fmt}", ["check", str(pkg), "--format", fmt, "--isolated"]))
    for pkg in sorted(p for p in (root / "syntetiske").iterdir() if p.is_dir()):
        out.append((f"check-syntetisk-{pkg.name}.json", ["check", str(pkg), "--format", "json", "--isolated"]))
    for proposal in sorted((root / "forslag").glob("*.yaml")):
        for fmt in ("json", "text", "markdown"):
            out.append((f"amend-{proposal.stem}.{fmt}",
                        ["amend", str(root / "pakker" / "asker-hp-2024-2027"), str(proposal), "--format", fmt]))
    out.append(("batch-syntetiske.json", ["check", str(root / "syntetiske"), "--format", "json", "--isolated",
                                          "--jobs", "1"]))
    out.append(("batch-syntetiske.text", ["check", str(root / "syntetiske"), "--format", "text", "--isolated",
                                          "--jobs", "2"]))
    return out


def dump(root: Path, name: str) -> None:
    from typer.testing import CliRunner

    import budsjettkontroll
    from budsjettkontroll.cli import app

    target = root / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    runner = CliRunner()
    for case, args in cases(root):
        result = runner.invoke(app, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            print(f"{case}: unntak {result.exception!r}", file=sys.stderr)  # compared like any output
            result.output_bytes = result.output_bytes + f"\nunntak {result.exception!r}\n".encode()
        text = result.output.replace(str(Path(budsjettkontroll.__file__).parent), "<budsjettkontroll>")
        (target / case).write_text(f"exit {result.exit_code}\n{text}", encoding="utf-8")
    print(f"{len(cases(root))} rapporter fra {Path(budsjettkontroll.__file__).parent} i {target}")


def compare(root: Path, a: str, b: str) -> int:
    left, right = root / a, root / b
    names = sorted({p.name for p in left.iterdir()} | {p.name for p in right.iterdir()})
    differ = [n for n in names if not (left / n).is_file() or not (right / n).is_file()
              or (left / n).read_bytes() != (right / n).read_bytes()]
    for n in differ:
        print(f"ULIK: {n}")
    print(f"{len(names) - len(differ)} av {len(names)} rapporter er like byte for byte")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("root", type=Path)
    d = sub.add_parser("dump")
    d.add_argument("root", type=Path)
    d.add_argument("name")
    c = sub.add_parser("compare")
    c.add_argument("root", type=Path)
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    if args.what == "prepare":
        prepare(args.root)
    elif args.what == "dump":
        dump(args.root, args.name)
    else:
        raise SystemExit(compare(args.root, args.a, args.b))


if __name__ == "__main__":
    main()
