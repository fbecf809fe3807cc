"""What the årsregnskap's own tables add to a check: the årsavslutning tables (§ 5-9) and «Avvik» columns.

The figures and collections the rules in rules/arsregnskap.yaml read: the sum identities of the årsavslutning
tables (lines before strykninger = årets budsjettavvik; budsjettavvik + strykninger + avsetning = fremført; a net
line = its gross lines (+ strykninger); a specification = the line above), their «Herav …» lines, the result after
strykninger (a merforbruk must be covered, kommuneloven § 14-11), the same figures in the package's other
schedules, and every «Avvik» cell that is not regnskap − justert budsjett. The pack runs only for a package that has
one of these (so a budget without them gets exactly the findings it got before).
"""

from __future__ import annotations

from typing import Any

from .budget import Amount, Budget
from .catalogue import TABLES
from .derive import FIELD_LABELS, NUMBER, TABLE_ALL, TEXT, Facts, Item, _line_of, _printed, collection, figure, from_parts, \
    table_facts, terms_behind

PACK = "arsregnskap"
STEMS = tuple(stem for stem, t in TABLES.items() if t.accounts_only)
DRIFT, INVESTERING = "arsavslutning_drift", "arsavslutning_investering"
SUM_FIELDS = {"oppgitt": NUMBER, "beregnet": NUMBER, "avvik": NUMBER, "ledd": NUMBER}


def _paragraph(stem: str) -> str:
    return TABLES[stem].paragraph.replace("budsjett- og regnskapsforskriften ", "")


@collection("arsavslutning_sumlinjer", SUM_FIELDS,
            "Hver sumlinje som er trykt i årsavslutningstabellene (§ 5-9, drift og investering), med summen av delene: "
            "årets budsjettavvik, fremført etter strykninger, nettolinjene og spesifikasjonene.",
            inputs=(TABLE_ALL, *table_facts(*STEMS)))  # f.sum_lines() covers every table
def _sum_lines(f: Facts) -> list[Item]:
    items = []
    for s in f.sum_lines():
        if s.table not in STEMS or s.computed is None:
            continue  # a part printed blank (no strykning in a budget column): nothing to add up
        items.append(Item(f"{_paragraph(s.table)}: {s.label}", s.year,
                          {"oppgitt": s.printed, "beregnet": s.computed, "avvik": s.printed - s.computed, "ledd": s.terms},
                          stem=s.table, line=s.line,
                          sources={"beregnet": (f"{s.fact}_beregnet",), "avvik": (f"{s.fact}_beregnet",),
                                   "oppgitt": (s.fact,)}))
    return items


@collection("arsavslutning_herav", {"linje": TEXT, "oppgitt": NUMBER, "herav": NUMBER, "avvik": NUMBER,
                                    "ledd": NUMBER, "antall": NUMBER},
            "Hver linje i årsavslutningstabellene med «Herav …»-linjer under seg (f.eks. «Herav strykning av bruk av "
            "lån - startlån»): linjen og summen av herav-linjene, per år.",
            inputs=tuple(f"table:{stem}" for stem in STEMS))
def _herav(f: Facts) -> list[Item]:
    items = []
    for stem in STEMS:
        table = f.table(stem)
        if table is None:
            continue
        parts: dict[str, list] = {}
        for row in table.rows:
            if row.key and ":" in row.key:
                parts.setdefault(row.key.split(":")[0], []).append(row)
        for key, rows in parts.items():
            parent = table.row(key)
            if parent is None:
                continue
            for year in f.years:
                shown, values = parent.values.get(year), [r.values.get(year) for r in rows]
                if shown is None or any(v is None for v in values):
                    continue
                total = sum(values)
                items.append(Item(f"{_paragraph(stem)}: «{parent.label}» og herav-linjene under den", year,
                                  {"linje": parent.label, "oppgitt": shown, "herav": total, "avvik": shown - total,
                                   "ledd": len(rows) + 1, "antall": len(rows)}, stem=stem, line=rows[0].line))
    return items


FIELD_LABELS.update({"herav": "summen av herav-linjene", "antall": "antall herav-linjer"})


def _result(f: Facts, year: int, prefix: str, lines: tuple[str, ...], computed: str) -> tuple[Amount | None, int]:
    """The result after strykninger as the table prints it (the first printed of `lines`), or `computed` from the
    lines when the table prints «Årets budsjettavvik» but not the result: (value, the printed terms it adds)."""
    stem = DRIFT if prefix == "arsd" else INVESTERING
    tdef = TABLES[stem]
    if f.table(stem) is None:
        return None, 0
    for key in lines:
        value = _printed(f, tdef, key, year)
        if value is not None:
            return value, 0
    if _printed(f, tdef, "arets_budsjettavvik", year) is None:
        f.get(f"{prefix}_{lines[0]}", year)  # read through the facts, so «ikke vurdert» names this line or its column
        return None, 0
    value, terms = from_parts(f, f"{prefix}_{computed}", year)
    return value, terms


_DRIFT_RESULT = ("fremfort_merforbruk", "arsresultat")
_INV_RESULT = ("fremfort_udekket", "udekket_etter_strykninger")


@figure("arsavslutning_merforbruk", label="merforbruk etter strykninger i årsavslutningen drift («Fremført til "
        "inndekning i senere år (merforbruk)» eller «Årsresultat»; negativt: mindreforbruk)",
        inputs=(f"table:{DRIFT}", *(f"arsd_{k}" for k in (*_DRIFT_RESULT, "arets_budsjettavvik")),
                *table_facts(DRIFT)))
def arsavslutning_merforbruk(f: Facts, year: int) -> Amount | None:
    """The drift result after strykninger (incomes negative: positive is a merforbruk): «Fremført til inndekning i
    senere år (merforbruk)» or «Årsresultat» as printed, else årets budsjettavvik + strykninger + avsetning of a
    mindreforbruk when the table prints the budsjettavvik."""
    return _result(f, year, "arsd", _DRIFT_RESULT, "fremfort_merforbruk")[0]


@figure("arsavslutning_merforbruk_ledd", unit="ledd", label="leddene avrundingen gjelder for merforbruket etter "
        "strykninger", inputs=("arsavslutning_merforbruk", f"table:{DRIFT}", *table_facts(DRIFT)))
def arsavslutning_merforbruk_ledd(f: Facts, year: int) -> int | None:
    """0 when the result line is printed (a printed merforbruk is a stated one); else the printed lines it adds."""
    value, terms = _result(f, year, "arsd", _DRIFT_RESULT, "fremfort_merforbruk")
    return None if value is None else terms


@figure("arsavslutning_udekket", label="udekket beløp etter strykninger i årsavslutningen investering (negativt: "
        "udisponert)", inputs=(f"table:{INVESTERING}", *table_facts(INVESTERING)))
def arsavslutning_udekket(f: Facts, year: int) -> Amount | None:
    """The investment result after strykninger (positive: udekket): «Fremført til inndekning i senere år (udekket
    beløp)» or «Udekket eller udisponert beløp etter strykninger» as printed, else årets budsjettavvik + strykninger
    (+ avsetning of an udisponert beløp) when the table prints the budsjettavvik."""
    return _result(f, year, "arsi", _INV_RESULT, "fremfort_udekket")[0]


@figure("arsavslutning_udekket_ledd", unit="ledd", label="leddene avrundingen gjelder for udekket beløp etter "
        "strykninger", inputs=("arsavslutning_udekket", f"table:{INVESTERING}", *table_facts(INVESTERING)))
def arsavslutning_udekket_ledd(f: Facts, year: int) -> int | None:
    """0 when the result line is printed; else the printed lines it adds."""
    value, terms = _result(f, year, "arsi", _INV_RESULT, "fremfort_udekket")
    return None if value is None else terms


# The same figure in the årsavslutning table and in another table of the package (or in both årsavslutning tables):
# (subject, left fact, right fact, sign: +1 equal, -1 opposite)
CROSS_CHECKS = [
    ("Overføring til investering (drift) mot overføring fra drift (investering), i henhold til årsbudsjettet og "
     "fullmakter (§ 5-9)", "arsd_overforing_til_investering_for", "arsi_overforing_fra_drift_for", -1),
    ("Overføring til investering mot overføring fra drift etter strykninger (§ 5-9)",
     "arsd_overforing_til_investering", "arsi_overforing_fra_drift", -1),
    ("Netto driftsresultat (§ 5-9 mot § 5-4)", "arsd_netto_driftsresultat", "drift_netto_driftsresultat", 1),
    ("Netto driftsresultat (§ 5-9 mot § 5-6)", "arsd_netto_driftsresultat", "art_netto_driftsresultat", 1),
    ("Overføring til investering etter strykninger (§ 5-9 mot § 5-4)", "arsd_overforing_til_investering",
     "drift_overforing_til_investering", 1),
    ("Netto avsetninger til eller bruk av bundne driftsfond (§ 5-9 mot § 5-4)", "arsd_netto_bundne_driftsfond",
     "drift_netto_bundne_driftsfond", 1),
    ("Netto avsetninger til eller bruk av disposisjonsfond etter strykninger (§ 5-9 mot § 5-4)",
     "arsd_netto_disposisjonsfond", "drift_netto_disposisjonsfond", 1),
    ("Bruk av tidligere års mindreforbruk (§ 5-9 mot § 5-4)", "arsd_bruk_tidligere_mindreforbruk",
     "drift_bruk_tidligere_mindreforbruk", 1),
    ("Sum disponeringer eller dekning av netto driftsresultat (§ 5-9 mot § 5-4)", "arsd_sum_disponeringer",
     "drift_sum_disponeringer", 1),
    ("Netto avsetninger til eller bruk av bundne investeringsfond (§ 5-9 mot § 5-5)",
     "arsi_netto_bundne_investeringsfond", "inv_netto_bundne_investeringsfond", 1),
    ("Bruk av lån etter strykninger (§ 5-9 mot § 5-5)", "arsi_bruk_av_lan", "inv_bruk_av_lan", 1),
    ("Overføring fra drift etter strykninger (§ 5-9 mot § 5-5)", "arsi_overforing_fra_drift",
     "inv_overforing_fra_drift", 1),
    ("Fremført til inndekning (udekket beløp) (§ 5-9 mot § 5-5)", "arsi_fremfort_udekket", "inv_fremfort_udekket", 1),
]


@collection("arsavslutning_avstemming", {"venstre": NUMBER, "hoyre": NUMBER, "avvik": NUMBER, "ledd": NUMBER},
            "Tall som årsavslutningstabellene (§ 5-9) og pakkens andre oversikter (§ 5-4, § 5-5, § 5-6) begge viser, "
            "der begge er trykt eller kan regnes ut fra trykte linjer.",
            inputs=(*table_facts(*STEMS, "drift", "investering", "drift_art"),
                    *(name for _, left, right, _ in CROSS_CHECKS for name in (left, right))))
def _cross(f: Facts) -> list[Item]:
    if not any(f.table(stem) for stem in STEMS):
        return []
    items = []
    for year in f.years:
        for subject, left, right, sign in CROSS_CHECKS:
            lt, rt = terms_behind(f, left, year), terms_behind(f, right, year)
            a, b = f.get(left, year), f.get(right, year)
            if not lt or not rt or a is None or b is None:
                continue  # one side is not in the package (or not printed): nothing to compare
            stem = next(s for s in STEMS if left.startswith(TABLES[s].prefix + "_"))
            items.append(Item(subject, year, {"venstre": a, "hoyre": sign * b, "avvik": a - sign * b,
                                              "ledd": max(1, lt + rt - 1)},
                              stem=stem, line=_line_of(f, stem)(left),
                              sources={"venstre": (left,), "hoyre": (right,), "avvik": (left, right)}))
    return items


@collection("avvik_kolonne", {"linje": TEXT, "kolonne": TEXT, "vist": NUMBER, "regnskap": NUMBER, "budsjett": NUMBER,
                              "beregnet_avvik": NUMBER, "differanse": NUMBER, "regnskapskolonne": TEXT,
                              "budsjettkolonne": TEXT},
            "Hver celle i en «Avvik»/«Budsjettavvik»-kolonne som ikke er regnskap − justert (revidert) budsjett på sin "
            "linje, med tallene som trykt.", inputs=("table:*",))
def _avvik_cells(f: Facts) -> list[Item]:
    if f.budget.view is not None:
        return []  # the cells belong to the files, judged once (on the main view)
    return [Item(f"«{c.label}»: kolonnen «{c.column}»", c.year,
                 {"linje": c.label, "kolonne": c.column, "vist": c.shown, "regnskap": c.regnskap, "budsjett": c.budsjett,
                  "beregnet_avvik": c.regnskap - c.budsjett, "differanse": c.difference,
                  "regnskapskolonne": c.regnskap_column, "budsjettkolonne": c.budsjett_column},
                 stem=c.stem, line=c.line) for c in f.budget.avvik if c.year in f.years]


FIELD_LABELS.update({"vist": "avviket som trykt", "beregnet_avvik": "regnskap − justert budsjett",
                     "differanse": "trykt avvik minus regnskap − justert budsjett"})


# --- provider hooks ---------------------------------------------------------------------------------------------

def packs(budget: Budget, policy: str | None) -> list[str]:
    """The pack runs for a package with an årsavslutning table or an «Avvik» cell that is not regnskap − justert."""
    return [PACK] if any(budget.has(stem) for stem in STEMS) or budget.avvik else []


def add_sections(result: Any) -> None:
    """No report section of its own: the findings say it all."""

