"""Line names as real documents print them: the alias catalogue, «mente du» of the same kind only, and sum lines
that are never read as one more area or project."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from budsjettkontroll.catalogue import ALIASES, TABLES, L, TableDef, alias_problems, load_aliases
from budsjettkontroll.check import run_check
from budsjettkontroll.errors import InputError
from budsjettkontroll.labels import closest, compatible, looks_like_sum, normalise
from budsjettkontroll.package import load_package

REALWORLD = Path(__file__).parent / "realworld"
SCHEDULES = ("drift", "drift_fordeling", "investering", "investering_fordeling", "drift_art")


# --- the alias catalogue -------------------------------------------------------------------------------------

def test_every_alias_names_exactly_one_line_of_its_schedule():
    for stem, table in TABLES.items():
        owner: dict[str, str] = {}
        for line in table.lines:
            for text in (line.label, *line.aliases):
                assert owner.setdefault(normalise(text), line.key) == line.key, (stem, text)
        assert alias_problems(stem, table.lines, ALIASES.get(stem, {})) == []


def test_an_alias_mapped_to_two_lines_is_refused():
    lines = (L("bruk_disposisjonsfond", "Bruk av disposisjonsfond"),
             L("avsetninger_disposisjonsfond", "Avsetninger til disposisjonsfond"))
    problems = alias_problems("drift", lines, {"bruk_disposisjonsfond": ("Disposisjonsfond",),
                                                "avsetninger_disposisjonsfond": ("disposisjonsfond",)})
    assert problems == ["drift: «disposisjonsfond» er både bruk_disposisjonsfond («Disposisjonsfond») og "
                        "avsetninger_disposisjonsfond"]
    assert alias_problems("drift", lines, {"no_such_line": ("x",)}) == ["drift: «no_such_line» er ingen linje i oversikten"]
    with pytest.raises(ValueError, match="både"):
        TableDef("t", "T", "§", "t", (L("a", "Bruk av fond", "Fond"), L("b", "Avsetning til fond", "fond")))


def test_the_alias_file_refuses_a_line_written_twice_and_aliases_that_are_not_text():
    with pytest.raises(ValueError, match="«utbytter» er oppgitt to ganger \\(linje 2 og 3\\)"):
        load_aliases("drift:\n  utbytter: [Utbyte]\n  utbytter: [Utbyttar]\n")
    with pytest.raises(ValueError, match="må være en liste med tekster"):
        load_aliases("drift:\n  utbytter: Utbyte\n")


def test_aliases_live_in_the_yaml_only():
    """One home: catalogue.py gives each line its forskrift label; every other name comes from the YAML."""
    source = (Path(__file__).parent.parent / "budsjettkontroll" / "catalogue.py").read_text(encoding="utf-8")
    import re
    for call in re.findall(r'\bL\(\s*"[^"]*",\s*"[^"]*"\s*,\s*"', source):
        pytest.fail(f"alias hard-coded in catalogue.py: {call}")
    shared = load_aliases()
    assert "Utbyttar" in shared["drift"]["utbytter"] and "Utbyttar" in shared["drift_art"]["utbytter"]


def _printed_names(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [r[0] for r in rows[1:] if r and r[0].strip() and not r[0].strip().endswith(":")]


@pytest.mark.parametrize("package", sorted(p.name for p in REALWORLD.iterdir() if (p / "budsjett.toml").is_file()))
def test_every_name_in_a_real_schedule_is_a_known_line(package):
    """Every line name printed in the real schedules of tests/realworld/ is read as a statutory line (or, in andre
    ledd, as an area or project) without a hand edit."""
    for path in sorted((REALWORLD / package).glob("*.csv")):
        table = TABLES.get(path.stem)
        if table is None or table.free_rows:
            continue
        unknown = [name for name in _printed_names(path) if table.resolve(name)[0] is None]
        assert unknown == [], f"{package}/{path.name}"


@pytest.mark.parametrize("stem, printed, key", [
    ("drift", "Utbyttar", "utbytter"),
    ("drift", "Gevinst og tap på finansielle omløpsmiddel", "gevinster_tap"),
    ("drift", "Netto avsetningar til eller bruk av bundne driftsfond", "netto_bundne_driftsfond"),
    ("drift", "Framført til inndekning i seinare år (meirforbruk)", "fremfort_merforbruk"),
    ("drift", "Bruk av tidlegare års mindreforbruk", "bruk_tidligere_mindreforbruk"),
    ("drift", "Dekning av tidlegare års meirforbruk", "dekning_merforbruk"),
    ("drift", "Som disponering/dekning netto driftsresultat", "sum_disponeringer"),
    ("drift", "Avsetning til bundne fond", "avsetninger_bundne_driftsfond"),
    ("drift_art", "Avsetninger til av disposisjonsfond", "avsetninger_disposisjonsfond"),
    ("investering", "Investeringar i varige driftsmiddel", "varige_driftsmidler"),
    ("investering", "Utlån av eigne middel", "utlan_egne_midler"),
    ("investering", "Netto avsetjingar til eller bruk av ikkje bundne investeringsfond", "netto_ubundne_investeringsfond"),
    ("investering", "Netto avsetninger ubundne investeringsfond", "netto_ubundne_investeringsfond"),
    ("investering", "Netto avsetninger bundne investeringsfond", "netto_bundne_investeringsfond"),
])
def test_nynorsk_and_printed_variants(stem, printed, key):
    assert TABLES[stem].match(printed).key == key


def test_a_line_the_forskrift_lacks_has_its_own_meaning_and_place_in_the_sums():
    """«Bruk av tidligere års mindreforbruk» is its own line (a bruk), a part of sum disponeringer, not dekning."""
    for stem in ("drift", "drift_art"):
        table = TABLES[stem]
        assert table.match("Bruk av tidligere års mindreforbruk").key == "bruk_tidligere_mindreforbruk"
        assert "bruk_tidligere_mindreforbruk" in table.by_key["sum_disponeringer"].parts


# --- «mente du» of the same kind and sign only --------------------------------------------------------------

def test_mente_du_never_offers_dekning_of_merforbruk_for_bruk_of_mindreforbruk():
    """The first case in issue 12: «Bruk av tidlegare års mindreforbruk» → «Dekning av tidligere års merforbruk»."""
    labels = [label for label in TABLES["drift"].labels if "mindreforbruk" not in label]
    assert "Dekning av tidligere års merforbruk" in labels
    assert closest("Bruk av tidlegare års mindreforbruk", labels, same_kind=True) is None
    assert closest("Bruk av tidlegare års mindreforbruk", labels) == "Dekning av tidligere års merforbruk"  # the old hint
    assert TABLES["drift"].closest_label("Bruk av tidlegare års mindreforbruket") == "Bruk av tidligere års mindreforbruk"


def test_mente_du_never_offers_bundet_for_ikkje_bundne():
    """The second case in issue 12: «… ikkje bundne investeringsfond» → «… bundne investeringsfond»."""
    labels = [label for label in TABLES["investering"].labels if "ubundne" not in label]
    printed = "Netto avsetjingar til eller bruk av ikkje bundne investeringsfonda"
    assert closest(printed, labels, same_kind=True) is None
    assert TABLES["investering"].closest_label(printed) == "Netto avsetninger til eller bruk av ubundne investeringsfond"


@pytest.mark.parametrize("printed, never", [
    ("Bruk av disposisjonsfondet", "Avsetninger til disposisjonsfond"),
    ("Avsetning til disposisjonsfondet", "Bruk av disposisjonsfond"),
    ("Netto avsetninger til eller bruk av bundne driftsfondet", "Netto avsetninger til eller bruk av bundne investeringsfond"),
    ("Avsetninger til bundne investeringsfondet", "Avsetninger til ubundne investeringsfond"),
    ("Bruk av tidligere års mindreforbrk", "Dekning av tidligere års merforbruk"),
    ("Sum driftsinntekterr", "Sum driftsutgifter"),
    ("Overføring til investeringen", "Overføring fra drift"),
    ("Renteinntekt", "Renteutgifter"),
])
def test_mente_du_keeps_kind_and_sign(printed, never):
    assert not compatible(printed, never)
    for table in TABLES.values():
        assert table.closest_label(printed) != never


def test_an_unknown_label_in_a_package_gets_a_same_kind_hint(tmp_path):
    import shutil
    from .conftest import ASKER_DIR
    target = tmp_path / "asker"
    shutil.copytree(ASKER_DIR, target)
    path = target / "drift.csv"
    text = path.read_text(encoding="utf-8").replace("Bruk av disposisjonsfond,", "Bruk av disp.fondet,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_package(target)
    message = str(caught.value)
    assert "linje «Bruk av disp.fondet»: ukjent linje" in message
    assert "Avsetninger til" not in message


# --- sum lines are never areas or projects ------------------------------------------------------------------

@pytest.mark.parametrize("label", ["Sum bevilinger drift, netto", "Som disponering/dekning", "Totalt", "Sum",
                                   "Korrigert sum bevilgninger drift", "SUM BEVILGNINGER", "Investeringer i alt"])
def test_sum_like_labels(label):
    assert looks_like_sum(label)


@pytest.mark.parametrize("label", ["Oppvekst", "Samfunnstjenester", "Administrasjon og ledelse", "Kultur, idrett og fritid",
                                   "Somaliske foreninger (tilskudd)", "Total-renovering Risenga"])
def test_area_names_are_not_sums(label):
    assert not looks_like_sum(label)
    assert TABLES["drift_fordeling"].resolve(label) == (None, None, None)


def _check_json(path) -> list[dict]:
    result = run_check(load_package(path))
    return [f.as_json() for f in result.findings]


def test_a_misspelt_sum_in_andre_ledd_is_the_sum_not_one_more_area(asker_copy):
    """Asker's § 5-4 andre ledd with «Sum bevilinger drift, netto»: the same findings as the printed label, so no
    doubled total and no false errors; a note says how the label was read."""
    path = asker_copy / "drift_fordeling.csv"
    before = _check_json(asker_copy)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Sum bevilgninger drift, netto"', '"Sum bevilinger drift, netto"'), encoding="utf-8")
    budget = load_package(asker_copy)
    assert budget.tables["drift_fordeling"].row("sum").label == "Sum bevilinger drift, netto"
    assert [r for r in budget.tables["drift_fordeling"].rows if r.key is None and "Sum" in r.label] == []
    assert any("«Sum bevilinger drift, netto» er lest som sumlinjen «Sum bevilgninger drift, netto»" in n
               for n in budget.notes)
    after = _check_json(asker_copy)
    strip = lambda fs: [{k: v for k, v in f.items() if k not in ("subject", "message", "values")} for f in fs]  # noqa: E731
    assert strip(after) == strip(before)
    assert not [f for f in after if f["status"] == "fail" and f["severity"] == "error"]


def test_a_sum_label_that_matches_no_sum_line_is_refused_not_read_as_an_area(asker_copy):
    path = asker_copy / "drift_fordeling.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Sum bevilgninger drift, netto"', '"Sum alle tjenesteområdene"'), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_package(asker_copy)
    assert "linje «Sum alle tjenesteområdene»: linjen ser ut som en sumlinje, men er ingen sumlinje i " \
           "budsjett- og regnskapsforskriften § 5-4 andre ledd, og den leses ikke som område" in str(caught.value)


def test_a_misspelt_sum_is_matched_only_to_a_sum_of_the_same_kind():
    inv = TABLES["investering"]
    assert inv.resolve("Sum investeringsinntekte")[0].key == "sum_investeringsinntekter"
    assert inv.resolve("Sum investeringsutgifte")[0].key == "sum_investeringsutgifter"
    art = TABLES["drift_art"]
    assert art.resolve("Sum driftsinntekte")[0].key == "sum_driftsinntekter"
    assert art.resolve("Sum driftsutgifte")[0].key == "sum_driftsutgifter"
    assert art.resolve("Sum lønn og sosiale utgifter")[0] is None  # no sum line is near enough: not guessed


def test_numbers_in_a_sum_label_are_never_fuzzy():
    """«Sum del 1» in § 5-5 andre ledd is the sum of del 1, never «Sum del 1-4»; an unknown numbered sum is refused."""
    table = TABLES["investering_fordeling"]
    assert table.resolve("Sum del 1")[0].key == "del1_sum"
    assert table.resolve("Sum del 1-4")[0].key == "sum_deler"
    line, note, refused = table.resolve("Sum del 5")
    assert line is None and "ser ut som en sumlinje" in refused and "prosjekt" in refused
