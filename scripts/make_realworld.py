"""Build tests/realworld/: one budget package per real statutory schedule in ../shared/realworld/.

    python scripts/make_realworld.py [--source DIR]    # default: /work/shared/realworld (SOURCES.md beside it)

Each schedule is copied byte for byte (names, signs and column headers exactly as transcribed from print: the
tool must read what kommuner publish, not a cleaned copy) under its package file name (drift.csv, investering.csv,
drift_art.csv). budsjett.toml says kommune, document, source URL and status, and `sign` only where a package
declares its convention; otherwise the convention is detected (signs.py). Tables that are not schedules are
listed in tests/realworld/README.md with the reason they are not checked.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "realworld"
DEFAULT_SOURCE = Path("/work/shared/realworld")

# package → (kommune, title, status, url, {package file stem: source csv}, extra budsjett.toml lines)
PACKAGES: dict[str, tuple[str, str, str, str, dict[str, str], str]] = {
    "hustadvika-2024-2027-drift": (
        "Hustadvika", "Handlings- og økonomiplan 2024-2027, Bevilgningsregnskapet - drift (§ 5-4 første ledd)",
        "vedtatt", "https://budsjett.hustadvika.kommune.no/2024/driftsbudsjettet/test",
        {"drift": "hustadvika_2024-2027_bevilgningsoversikt_drift.csv"},
        # «Budsjett 2023» is the budget of the year before the plan; the header alone cannot say so.
        "[years]\nbudsjett = [2023]\nplan = [2024, 2025, 2026, 2027]\n"),
    "hustadvika-2020-2023-investering": (
        "Hustadvika", "Budsjett og økonomiplan 2020-2023, Skjema 2A - Finansiering (§ 5-5 første ledd)",
        "vedtatt", "http://budsjett.hustadvika.kommune.no/2020/drifts-og-investeringsbudsjettet/talloppsett-2020-2023",
        {"investering": "hustadvika_2020-2023_bevilgningsoversikt_investering.csv"},
        "[years]\nplan = [2020, 2021, 2022, 2023]\n"),
    "hustadvika-2020-regnskap": (
        "Hustadvika", "Årsrapport 2020, Økonomisk oversikt - drift (§ 5-6)", "vedtatt",
        "https://arsrapport.hustadvika.kommune.no/2020/%C3%B8konomi-1/regnskapsoversikter",
        {"drift_art": "hustadvika_2020_regnskap_okonomisk_oversikt_drift.csv"}, ""),
    "hustadvika-2021-regnskap": (
        "Hustadvika", "Årsrapport 2021, Økonomisk oversikt - drift (§ 5-6)", "vedtatt",
        "https://arsrapport.frana.kommune.no/2021/%C3%B8konomi-1/regnskapsoversikter",
        {"drift_art": "hustadvika_2021_regnskap_okonomisk_oversikt_drift.csv"}, ""),
    "hustadvika-2022-regnskap": (
        "Hustadvika", "Årsrapport 2022, Økonomisk oversikt - drift (§ 5-6)", "vedtatt",
        "https://arsrapport.hustadvika.kommune.no/2022/%C3%B8konomi-1/regnskapsoversikter",
        {"drift_art": "hustadvika_2022_regnskap_okonomisk_oversikt_drift.csv"},
        # declared, so the report states it; the identities confirm it (tests/test_realworld.py)
        'sign = "unsigned_disposals_signed"\n'),
    "sandnes-2021-2024-drift": (
        "Sandnes", "Økonomiplan 2021-2024, Budsjettskjema 1A – driftsbudsjett (§ 5-4 første ledd)", "vedtatt",
        "https://www.sandnes.kommune.no/.../okonomiplan-2021-2024/vedlegg-til-okonomiplanen/hovedtall/"
        "budsjettskjema-1a-driftsbudsjett/",
        {"drift": "sandnes_2021-2024_bevilgningsoversikt_drift_5_4.csv"},
        "[years]\nbudsjett = [2020]\nplan = [2021, 2022, 2023, 2024]\n"),
    "stavanger-2020-regnskap": (
        "Stavanger", "Årsrapport 2020, 14.3 Bevilgningsoversikt drift del 1 og 14.5 Bevilgningsoversikt investering "
        "del 1", "vedtatt", "https://www.stavanger.kommune.no/ (årsrapport 2020, kapittel 14)",
        {"drift": "stavanger_2020_bevilgningsoversikt_drift_5_4.csv",
         "investering": "stavanger_2020_bevilgningsoversikt_investering_5_5.csv"},
        # the same report prints § 5-4 and § 5-5 as unsigned amounts (SOURCES.md); declared per table
        '[sign]\ndrift = "unsigned"\ninvestering = "unsigned"\n'),
}


def write(source: Path, target: Path) -> list[Path]:
    written = []
    for name, (kommune, title, status, url, files, extra) in PACKAGES.items():
        folder = target / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for stem, csv_name in files.items():
            shutil.copyfile(source / csv_name, folder / f"{stem}.csv")
        sources = ", ".join(files.values())
        toml = (f'kommune = "{kommune}"\ntitle = "{title}"\nstatus = "{status}"\nunit = "1000 kr"\n{extra}'
                f'\n[source]\ntitle = "{title}"\nurl = "{url}"\nfile = "{sources}"\n'
                'transcription = "../shared/realworld/ (SOURCES.md); copied unchanged by scripts/make_realworld.py"\n')
        # [source] must come after any top-level key; a [years] or [sign] table in `extra` is already a table
        (folder / "budsjett.toml").write_text(toml, encoding="utf-8")
        written.append(folder)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args(argv)
    if not (args.source / "SOURCES.md").is_file():
        print(f"{args.source}: finner ikke SOURCES.md", file=sys.stderr)
        return 2
    for folder in write(args.source, TARGET):
        print(folder.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
