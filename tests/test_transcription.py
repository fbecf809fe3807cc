"""Checks of the transcribed Asker budget (Handlingsprogram 2024-2027).

(a) Every schedule is re-checked against its own printed sums and the
    cross-checks between schedules, allowing a rounding difference of at most
    2 (1000 kr) per check.
(b) Every transcribed row is re-checked against the source text: the row's
    values, formatted the way the document prints them (thousands separated by
    a space), must occur as one sequence in the whitespace-normalised text.

Only the standard library csv module is used to read the files, so this test
does not depend on the ``budsjettkontroll`` package itself.
"""

import csv
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
BUDGET_DIR = HERE.parents[1] / "budsjettkontroll" / "budgets" / "asker-hp-2024-2027"
SEED_NAME = "asker-handlingsprogram-2024-2027-formannskapet-2023-10-24.txt"

YEARS = ["2022", "2023", "2024", "2025", "2026", "2027"]
PLAN = ["2024", "2025", "2026", "2027"]
TOLERANCE = 2  # printed sums may differ from the sum of their parts by rounding

# § 5-5 andre ledd: the column "Øk.plan Sum 2024-2027" exactly as printed,
# keyed by (del, linje). "Sum del 1-4" has an empty del.
PART_SUMS = {
    ("1", "Administrasjon og ledelse"): 248000,
    ("1", "Oppvekst"): 1446400,
    ("1", "Velferd"): 847625,
    ("1", "Samfunnstjenester"): 2938850,
    ("1", "Medborgerskap"): 510100,
    ("1", "Investeringer i varige driftsmidler"): 5990975,
    ("2", "Overføringer til andre (kirkelig fellesråd)"): 0,
    ("2", "Justeringsavtaler (vann og vannmiljø)"): 0,
    ("2", "Tilskudd hovedledninger"): 0,
    ("2", "Kirke - kirkelige investeringer"): 21000,
    ("2", "Kirke - rehabilitering Røyken kirke"): 3000,
    ("2", "Kirke - ny urnelund Vardåsen kirke"): 0,
    ("2", "Kirke - ny driftsstasjon Asker kirke"): 0,
    ("2", "Kirke- rehabilitering inkl nytt sprinkelanlegg Holmsbu kirke"): 11000,
    ("2", "Kirke- istandsettelse/rehabilitering Hurum kirke"): 5800,
    ("2", "Kirke - Tiltak gravferd"): 4500,
    ("2", "Tilskudd til andres investeringer"): 45300,
    ("3", "Kjøp av aksjer og andeler"): 0,
    ("3", "Egenkapitaltilskudd KLP"): 0,
    ("3", "Investeringer i aksjer og andeler i selskaper"): 0,
    ("4", "Utlån - investering"): 0,
    ("4", "Forskuttering av spillemidler"): 30000,
    ("4", "Utlån av egne midler"): 30000,
    ("", "Sum del 1-4"): 6066275,
}

# The sum row of each part of § 5-5 andre ledd and the matching line of første ledd.
PART_SUM_ROW = {
    "1": "Investeringer i varige driftsmidler",
    "2": "Tilskudd til andres investeringer",
    "3": "Investeringer i aksjer og andeler i selskaper",
    "4": "Utlån av egne midler",
}


# --------------------------------------------------------------------------
# loading


def _read(name):
    path = BUDGET_DIR / name
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        vals = {}
        for y in YEARS:
            if y in r:
                cell = (r[y] or "").strip()
                vals[y] = int(cell) if cell else None
        out.append((r, vals))
    return out


def _table(name):
    """label -> {year: int}; labels must be unique within a schedule."""
    table = {}
    for r, vals in _read(name):
        label = r["linje"]
        assert label not in table, f"{name}: duplicate line {label!r}"
        table[label] = vals
    return table


@pytest.fixture(scope="module")
def drift():
    return _table("drift.csv")


@pytest.fixture(scope="module")
def fordeling():
    return _table("drift_fordeling.csv")


@pytest.fixture(scope="module")
def investering():
    return _table("investering.csv")


@pytest.fixture(scope="module")
def inv_fordeling():
    return [(r["del"], r["linje"], vals) for r, vals in _read("investering_fordeling.csv")]


@pytest.fixture(scope="module")
def drift_art():
    return _table("drift_art.csv")


# --------------------------------------------------------------------------
# helpers for (a)


class Checker:
    def __init__(self, schedule):
        self.schedule = schedule
        self.failures = []

    def eq(self, what, year, computed, printed):
        diff = printed - computed
        if abs(diff) > TOLERANCE:
            self.failures.append(
                f"{self.schedule}: {what} {year}: computed {computed}, printed {printed} (diff {diff})"
            )

    def sum_of(self, table, parts, total, years=YEARS):
        for y in years:
            computed = sum(table[p][y] for p in parts)
            self.eq(f"{total!r} = sum of {parts}", y, computed, table[total][y])

    def done(self):
        assert not self.failures, "\n".join(self.failures)


def _require(table, labels, name):
    missing = [label for label in labels if label not in table]
    assert not missing, f"{name}: missing lines {missing}"


# --------------------------------------------------------------------------
# (a) § 5-4 første ledd

DRIFT_LABELS = [
    "Rammetilskudd",
    "Inntekts- og formuesskatt",
    "Andre generelle driftsinntekter",
    "Sum generelle driftsinntekter",
    "Korrigert sum bevilgninger drift, netto",
    "Avskrivninger",
    "Sum netto driftsutgifter",
    "Brutto driftsresultat",
    "Renteinntekter",
    "Utbytter",
    "Gevinster og tap på finansielle omløpsmidler",
    "Renteutgifter",
    "Avdrag på lån",
    "Netto finansutgifter",
    "Motpost avskrivninger",
    "Netto driftsresultat",
    "Overføring til investering",
    "Avsetninger til bundne driftsfond",
    "Bruk av bundne driftsfond",
    "Avsetninger til disposisjonsfond",
    "Bruk av disposisjonsfond",
    "Dekning av tidligere års merforbruk i driftsregnskapet",
    "Sum disponeringer eller dekning av netto driftsresultat",
    "Fremført til inndekning i senere år (merforbruk)",
]


def test_drift_lines_in_order(drift):
    assert list(drift) == DRIFT_LABELS


def test_drift_5_4_forste_ledd_sums(drift):
    t = drift
    c = Checker("§ 5-4 første ledd")
    c.sum_of(t, ["Rammetilskudd", "Inntekts- og formuesskatt", "Andre generelle driftsinntekter"],
             "Sum generelle driftsinntekter")
    c.sum_of(t, ["Korrigert sum bevilgninger drift, netto", "Avskrivninger"], "Sum netto driftsutgifter")
    c.sum_of(t, ["Sum generelle driftsinntekter", "Sum netto driftsutgifter"], "Brutto driftsresultat")
    c.sum_of(t, ["Renteinntekter", "Utbytter", "Gevinster og tap på finansielle omløpsmidler",
                 "Renteutgifter", "Avdrag på lån"], "Netto finansutgifter")
    c.sum_of(t, ["Brutto driftsresultat", "Netto finansutgifter", "Motpost avskrivninger"],
             "Netto driftsresultat")
    c.sum_of(t, ["Overføring til investering", "Avsetninger til bundne driftsfond", "Bruk av bundne driftsfond",
                 "Avsetninger til disposisjonsfond", "Bruk av disposisjonsfond",
                 "Dekning av tidligere års merforbruk i driftsregnskapet"],
             "Sum disponeringer eller dekning av netto driftsresultat")
    c.sum_of(t, ["Netto driftsresultat", "Sum disponeringer eller dekning av netto driftsresultat"],
             "Fremført til inndekning i senere år (merforbruk)")
    for y in YEARS:
        c.eq("motpost avskrivninger = -avskrivninger", y, -t["Avskrivninger"][y], t["Motpost avskrivninger"][y])
        c.eq("fremført = 0", y, 0, t["Fremført til inndekning i senere år (merforbruk)"][y])
    c.done()


# --------------------------------------------------------------------------
# (a) § 5-4 andre ledd

AREAS = ["Administrasjon og ledelse", "Oppvekst", "Velferd", "Samfunnstjenester", "Samfunnsutvikling",
         "Medborgerskap", "Tjenesteovergripende"]
HERAV = ["Avskrivinger", "Netto renteutgifter og -inntekter", "Avdrag på lån", "Overføring til investering",
         "Avsetninger til bundne driftsfond", "Bruk av bundne driftsfond"]


def test_drift_fordeling_lines_in_order(fordeling):
    assert list(fordeling) == AREAS + ["Sum bevilgninger drift, netto"] + HERAV + [
        "Korrigert sum bevilgninger drift, netto"]


def test_drift_5_4_andre_ledd_sums(fordeling, drift):
    t = fordeling
    c = Checker("§ 5-4 andre ledd")
    c.sum_of(t, AREAS, "Sum bevilgninger drift, netto")
    for y in YEARS:
        computed = t["Sum bevilgninger drift, netto"][y] - sum(t[h][y] for h in HERAV)
        c.eq("sum bevilgninger - herav = korrigert sum", y, computed,
             t["Korrigert sum bevilgninger drift, netto"][y])
        c.eq("korrigert sum = første ledd", y, drift["Korrigert sum bevilgninger drift, netto"][y],
             t["Korrigert sum bevilgninger drift, netto"][y])
    c.done()


# --------------------------------------------------------------------------
# (a) § 5-5 første ledd

INV_UTGIFTER = ["Investeringer i varige driftsmidler", "Tilskudd til andres investeringer",
                "Investeringer i aksjer og andeler i selskaper", "Utlån av egne midler", "Avdrag på lån"]
INV_INNTEKTER = ["Kompensasjon for merverdiavgift", "Tilskudd fra andre", "Salg av varige driftsmidler",
                 "Salg av finansielle anleggsmidler", "Utdeling fra selskaper",
                 "Mottatte avdrag på utlån av egne midler", "Bruk av lån"]
INV_VIDEREUTLAN = ["Videreutlån", "Bruk av lån til videreutlån", "Avdrag på lån til videreutlån",
                   "Mottatte avdrag på videreutlån"]
INV_OVERFORING = ["Overføring fra drift", "Avsetninger til bundne investeringsfond",
                  "Bruk av bundne investeringsfond", "Avsetninger til ubundet investeringsfond",
                  "Bruk av ubundet investeringsfond", "Dekning av tidligere års udekket beløp"]
INV_LABELS = (INV_UTGIFTER + ["Sum investeringsutgifter"] + INV_INNTEKTER + ["Sum investeringsinntekter"]
              + INV_VIDEREUTLAN + ["Netto utgifter videreutlån"] + INV_OVERFORING
              + ["Sum overføring fra drift og netto avsetninger", "Fremført til inndekning i senere år (udekket)"])


def test_investering_lines_in_order(investering):
    assert list(investering) == INV_LABELS


def test_investering_5_5_forste_ledd_sums(investering, drift):
    t = investering
    c = Checker("§ 5-5 første ledd")
    c.sum_of(t, INV_UTGIFTER, "Sum investeringsutgifter")
    c.sum_of(t, INV_INNTEKTER, "Sum investeringsinntekter")
    c.sum_of(t, INV_VIDEREUTLAN, "Netto utgifter videreutlån")
    c.sum_of(t, INV_OVERFORING, "Sum overføring fra drift og netto avsetninger")
    c.sum_of(t, ["Sum investeringsutgifter", "Sum investeringsinntekter", "Netto utgifter videreutlån",
                 "Sum overføring fra drift og netto avsetninger"],
             "Fremført til inndekning i senere år (udekket)")
    for y in YEARS:
        c.eq("fremført (udekket) = 0", y, 0, t["Fremført til inndekning i senere år (udekket)"][y])
        c.eq("overføring fra drift = -overføring til investering (§ 5-4)", y,
             -drift["Overføring til investering"][y], t["Overføring fra drift"][y])
    c.done()


# --------------------------------------------------------------------------
# (a) § 5-5 andre ledd


def test_investering_fordeling_structure(inv_fordeling):
    keys = [(d, label) for d, label, _ in inv_fordeling]
    assert keys == list(PART_SUMS), "rows of investering_fordeling.csv differ from PART_SUMS"
    assert keys[-1] == ("", "Sum del 1-4")
    for d, label in PART_SUM_ROW.items():
        part = [k for k in keys if k[0] == d]
        assert part[-1] == (d, label), f"del {d}: the last row must be its sum row {label!r}"


def test_investering_5_5_andre_ledd_sums(inv_fordeling, investering):
    c = Checker("§ 5-5 andre ledd")
    rows = {(d, label): vals for d, label, vals in inv_fordeling}
    for d, sum_label in PART_SUM_ROW.items():
        items = [k for k in rows if k[0] == d and k[1] != sum_label]
        for y in YEARS:
            computed = sum(rows[k][y] for k in items)
            c.eq(f"del {d}: {sum_label!r} = sum of its items", y, computed, rows[(d, sum_label)][y])
            c.eq(f"del {d}: {sum_label!r} = første ledd", y, investering[sum_label][y], rows[(d, sum_label)][y])
    for y in YEARS:
        computed = sum(rows[(d, label)][y] for d, label in PART_SUM_ROW.items())
        c.eq("Sum del 1-4 = sum of the four parts", y, computed, rows[("", "Sum del 1-4")][y])
        c.eq("Sum del 1-4 = sum investeringsutgifter - avdrag på lån (første ledd)", y,
             investering["Sum investeringsutgifter"][y] - investering["Avdrag på lån"][y],
             rows[("", "Sum del 1-4")][y])
    for key, vals in rows.items():
        c.eq(f"{key}: printed Sum 2024-2027 = sum of 2024-2027", "2024-2027",
             sum(vals[y] for y in PLAN), PART_SUMS[key])
    c.done()


# --------------------------------------------------------------------------
# (a) § 5-6

ART_INNTEKTER = ["Rammetilskudd", "Inntekts- og formuesskatt", "Andre overføringer og tilskudd fra staten",
                 "Overføringer og tilskudd fra andre", "Brukerbetalinger", "Salgs- og leieinntekter"]
ART_UTGIFTER = ["Lønnsutgifter", "Sosiale utgifter", "Kjøp av varer og tjenester",
                "Overføringer og tilskudd til andre", "Avskrivninger"]
ART_FINANS = ["Renteinntekter", "Utbytte", "Gevinst og tap på finansielle omløpsmidler", "Renteutgifter",
              "Avdrag på lån"]
ART_DISP = ["Overføring til investering", "Avsetninger til bundne driftsfond", "Bruk av bundne driftsfond",
            "Avsetninger til disposisjonsfond", "Bruk av disposisjonsfond", "Dekning av tidligere års merforbruk"]
ART_LABELS = (ART_INNTEKTER + ["Sum driftsinntekter"] + ART_UTGIFTER + ["Sum driftsutgifter",
              "Brutto driftsresultat"] + ART_FINANS + ["Netto finansutgifter", "Motpost avskrivninger",
              "Netto driftsresultat"] + ART_DISP + ["Sum disponeringer eller dekning av netto driftsresultat",
              "Fremført til inndekning i senere år (merforbruk)"])


def test_drift_art_lines_in_order(drift_art):
    assert list(drift_art) == ART_LABELS


def test_drift_art_5_6_sums(drift_art):
    t = drift_art
    c = Checker("§ 5-6")
    c.sum_of(t, ART_INNTEKTER, "Sum driftsinntekter")
    c.sum_of(t, ART_UTGIFTER, "Sum driftsutgifter")
    c.sum_of(t, ["Sum driftsinntekter", "Sum driftsutgifter"], "Brutto driftsresultat")
    c.sum_of(t, ART_FINANS, "Netto finansutgifter")
    c.sum_of(t, ["Brutto driftsresultat", "Netto finansutgifter", "Motpost avskrivninger"], "Netto driftsresultat")
    c.sum_of(t, ART_DISP, "Sum disponeringer eller dekning av netto driftsresultat")
    c.sum_of(t, ["Netto driftsresultat", "Sum disponeringer eller dekning av netto driftsresultat"],
             "Fremført til inndekning i senere år (merforbruk)")
    for y in YEARS:
        c.eq("fremført = 0", y, 0, t["Fremført til inndekning i senere år (merforbruk)"][y])
    c.done()


def test_cross_5_6_vs_5_4(drift_art, drift):
    pairs = [
        ("Rammetilskudd", "Rammetilskudd"),
        ("Inntekts- og formuesskatt", "Inntekts- og formuesskatt"),
        ("Avskrivninger", "Avskrivninger"),
        ("Brutto driftsresultat", "Brutto driftsresultat"),
        ("Renteinntekter", "Renteinntekter"),
        ("Utbytte", "Utbytter"),
        ("Gevinst og tap på finansielle omløpsmidler", "Gevinster og tap på finansielle omløpsmidler"),
        ("Renteutgifter", "Renteutgifter"),
        ("Avdrag på lån", "Avdrag på lån"),
        ("Netto finansutgifter", "Netto finansutgifter"),
        ("Motpost avskrivninger", "Motpost avskrivninger"),
        ("Netto driftsresultat", "Netto driftsresultat"),
        ("Overføring til investering", "Overføring til investering"),
        ("Avsetninger til bundne driftsfond", "Avsetninger til bundne driftsfond"),
        ("Bruk av bundne driftsfond", "Bruk av bundne driftsfond"),
        ("Avsetninger til disposisjonsfond", "Avsetninger til disposisjonsfond"),
        ("Bruk av disposisjonsfond", "Bruk av disposisjonsfond"),
        ("Dekning av tidligere års merforbruk", "Dekning av tidligere års merforbruk i driftsregnskapet"),
        ("Sum disponeringer eller dekning av netto driftsresultat",
         "Sum disponeringer eller dekning av netto driftsresultat"),
        ("Fremført til inndekning i senere år (merforbruk)", "Fremført til inndekning i senere år (merforbruk)"),
    ]
    c = Checker("§ 5-6 vs § 5-4")
    for art_label, drift_label in pairs:
        for y in YEARS:
            c.eq(f"{art_label!r} (§ 5-6) = {drift_label!r} (§ 5-4)", y, drift[drift_label][y],
                 drift_art[art_label][y])
    # The sum of the general incomes and the net service expenditure (§ 5-4) is the
    # same brutto driftsresultat as driftsinntekter + driftsutgifter (§ 5-6).
    for y in YEARS:
        c.eq("brutto driftsresultat § 5-6 (computed) = § 5-4 (computed)", y,
             drift["Sum generelle driftsinntekter"][y] + drift["Sum netto driftsutgifter"][y],
             drift_art["Sum driftsinntekter"][y] + drift_art["Sum driftsutgifter"][y])
    c.done()


def test_no_empty_cells_in_schedules():
    for name in ["drift.csv", "drift_fordeling.csv", "investering.csv", "investering_fordeling.csv",
                 "drift_art.csv"]:
        for r, vals in _read(name):
            empty = [y for y in YEARS if vals.get(y) is None]
            assert not empty, f"{name}: {r['linje']!r} has empty cells {empty}"


# --------------------------------------------------------------------------
# (b) every row against the source text

_WS = re.compile(r"[\s\u00a0\u202f]+")


def _normalise(text):
    return _WS.sub(" ", text).strip()


def _seed_path():
    candidates = [
        HERE.parents[2] / "shared" / "seed" / SEED_NAME,
        HERE.parents[1].parent / "shared" / "seed" / SEED_NAME,
    ]
    for p in candidates:
        if p.is_file():
            return p
    return None


@pytest.fixture(scope="module")
def seed_text():
    path = _seed_path()
    if path is None:
        pytest.skip(f"source text {SEED_NAME} not found")
    return _normalise(path.read_text(encoding="utf-8"))


def _printed(value):
    """Format an amount as the document prints it: -1545994 -> '-1 545 994'."""
    sign = "-" if value < 0 else ""
    digits = str(abs(value))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + " ".join(groups)


def _row_sequences():
    for name in ["drift.csv", "drift_fordeling.csv", "investering.csv", "investering_fordeling.csv",
                 "drift_art.csv"]:
        for r, vals in _read(name):
            seq = [vals[y] for y in YEARS]
            if name == "investering_fordeling.csv":
                seq.append(PART_SUMS[(r["del"], r["linje"])])
            yield name, r["linje"], " ".join(_printed(v) for v in seq)


def _found(text, label, printed):
    # The sequence must not be glued to further digits on either side ...
    pattern = r"(?<![\d-])(?<!\d )" + re.escape(printed) + r"(?! -?\d)(?!\d)"
    if re.search(pattern, text):
        return True
    # ... unless the label itself ends with a digit ("Sum del 1-4 2 789 417 ...").
    return (_normalise(label) + " " + printed) in text


def test_rows_occur_in_source_text(seed_text):
    missing = [
        f"{name}: {label!r}: '{printed}'"
        for name, label, printed in _row_sequences()
        if not _found(seed_text, label, printed)
    ]
    assert not missing, "rows whose printed number sequence is not in the source text:\n" + "\n".join(missing)


def test_row_labels_occur_in_source_text(seed_text):
    missing = [
        f"{name}: {label!r}"
        for name, label, _ in _row_sequences()
        if _normalise(label) not in seed_text and _normalise(label).replace("-inntekter", "- inntekter")
        not in seed_text
    ]
    assert not missing, "labels not found in the source text:\n" + "\n".join(missing)


# --------------------------------------------------------------------------
# gjeld.csv and nokkeltall.csv (figures stated outside the schedules)


def test_gjeld_sums_and_nokkeltall():
    with (BUDGET_DIR / "gjeld.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["linje"] + PLAN
        gjeld = {r["linje"]: {y: int(r[y]) for y in PLAN} for r in reader}
    assert list(gjeld) == ["Startlån", "Lån til finansiering investeringer", "Sum lånegjeld"]
    for y in PLAN:
        assert gjeld["Startlån"][y] + gjeld["Lån til finansiering investeringer"][y] == gjeld["Sum lånegjeld"][y], y
    with (BUDGET_DIR / "nokkeltall.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["linje"] + YEARS
        nokkeltall = {r["linje"]: r for r in reader}
    for y in PLAN:
        assert int(nokkeltall["Lånegjeld ekskl. videreutlån (UB)"][y]) == gjeld["Lån til finansiering investeringer"][y]
    for label, row in nokkeltall.items():
        for y in YEARS:
            cell = row[y].strip()
            if cell and not label.endswith("(%)"):
                assert re.fullmatch(r"-?\d+", cell), f"nokkeltall {label!r} {y}: {cell!r} is not an integer"
