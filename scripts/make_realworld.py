"""Build tests/realworld/: one budget package per real statutory schedule in ../shared/realworld/.

    python scripts/make_realworld.py [--source DIR]    # default: /work/shared/realworld (SOURCES.md beside it)

Each schedule is copied byte for byte (names, signs and column headers exactly as transcribed from print: the
tool must read what kommuner publish, not a cleaned copy) under its package file name (drift.csv, investering.csv,
drift_art.csv, arsavslutning_drift.csv, arsavslutning_investering.csv). budsjett.toml says kommune, document, source URL and status, and `sign` only where a package
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
    "stavanger-2020-arsavslutning": (
        "Stavanger", "Årsrapport 2020, 3.12 Netto driftsresultat 2020 og disponering/dekning (årsavslutning drift, "
        "etter strykninger med spesifikasjon)", "vedtatt", "https://www.stavanger.kommune.no/ (årsrapport 2020, 3.12)",
        {"arsavslutning_drift": "stavanger_2020_netto_driftsresultat_disponering.csv"}, ""),
    "stavanger-2021-arsavslutning": (
        "Stavanger", "Årsrapport 2021, 4.13 Årsavslutningsdisposisjoner drift og 14.2 Oversikt over samlet "
        "budsjettavvik og årsavslutningsdisposisjoner – investering (§ 5-9)", "vedtatt",
        "https://www.stavanger.kommune.no/ (årsrapport 2021, 4.13 og 14.2)",
        {"arsavslutning_drift": "stavanger_2021_netto_driftsresultat_arsavslutning.csv",
         "arsavslutning_investering": "stavanger_2021_budsjettavvik_arsavslutning_investering.csv"}, ""),
    "stavanger-2016-2019-1a": (
        "Stavanger", "Handlings- og økonomiplan 2016-2019, 10.1.2 Budsjettskjema 1A – drift (før 2020-forskriften)",
        "vedtatt", "https://www.stavanger.kommune.no/ (HØP 2016-2019, 10.1.2)",
        {"budsjettskjema_1a": "stavanger_2016-2019_budsjettskjema_1a_legacy.csv"}, ""),
}


# The tables that are not statutory schedules, or that the package format cannot hold yet, and why.
NOT_SCHEDULES: dict[str, str] = {
    "hustadvika_2021_note9_langsiktig_gjeld.csv":
        "a note (langsiktig gjeld by kind, løpetid and rente), not a schedule; its rows are loans by purpose and its "
        "columns are not years, so it is no gjeld.csv (debt per year). Its one identity (1 316 108 + 81 274 = "
        "1 397 382) is checked by ../shared/realworld/check_identities.py.",
    "hustadvika_2021_note9_gjeld_etter_rentebetingelser.csv":
        "a note (debt by fixed/floating interest), not a schedule; no line the rules use.",
    "fraena_2016_note7_minsteavdrag.csv":
        "a note under kommuneloven 1992 § 50 (pre-2020 law, weighted remaining lifetime), with a unit anomaly "
        "(lånegjeld printed in kroner in a table «i hele tusen»); the § 14-18 rule does not apply to it.",
    "austevoll_2020_regnskap_nokkeltal_del1.csv":
        "key figures in mill. kr from a news page (no unit printed, urevidert); nokkeltall.csv holds premises in "
        "1000 kr per year of a budget package, so there is nothing to judge them against.",
    "austevoll_2020_regnskap_nokkeltal_del2_maltal.csv":
        "percent ratios and måltal of an urevidert regnskap; the percent values cannot be recomputed from a "
        "schedule here (del 1 is in mill. kr and not a schedule).",
    "bodo_2016-2020_regnskap_finansielle_nokkeltall.csv":
        "key figures in percent with targets whose direction (≥/≤) is not printed; a policy pack needs the "
        "direction, and guessing it would be a silent misreading.",
    "lunner_2026_finansielle_maltall_vedtak.csv":
        "a list of måltall in a vedtak text, not a table; «justert» netto driftsresultat is not defined on the page.",
    "sandnes_2021-2024_finansielle_maltall.csv":
        "2019 actuals of the merged kommuner and targets in percent; not a schedule, no year of the økonomiplan.",
    "stavanger_2020-2021_finansielle_maltall.csv":
        "percent key figures and targets per column kind; not a schedule (the § 5-4 figures they are computed "
        "from are in stavanger-2020-regnskap).",
    "stavanger_2020-2021_minimumsavdrag.csv":
        "a note of § 14-18 worked examples at 01.01 for a kommune and a KF; columns are entities, not years, and "
        "lånegjeld is printed negative; nokkeltall.csv cannot hold two entities.",
}


def write_readme(target: Path) -> None:
    lines = ["# Real schedules as test packages", "",
             "Built by `python scripts/make_realworld.py` from `../shared/realworld/` (SOURCES.md there says where each",
             "table comes from, its sign convention, the identities that hold and the real anomalies). The CSV files are",
             "copied unchanged: names, signs and column headers as printed. tests/test_realworld.py asserts each",
             "package's outcome.", "", "## Packages", "", "| package | tables | source |", "|---|---|---|"]
    for name, (kommune, title, _status, _url, files, _extra) in PACKAGES.items():
        lines.append(f"| `{name}` | {', '.join(f'{s}.csv' for s in files)} | {title} ({', '.join(files.values())}) |")
    lines += ["", "Real schedules of kommuner the tool was not built on (Giske, Klepp), transcribed cell for cell as printed",
              "(thousands separators, «-», line numbers, headers over two rows), are in `tests/realworld_unseen/` with",
              "their own SOURCES.md; tests/test_realworld_unseen.py asserts their outcomes."]
    lines += ["", "## Tables that are not checked, and why", ""]
    lines += [f"* `{name}`: {why}" for name, why in NOT_SCHEDULES.items()]
    (target / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    write_readme(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
