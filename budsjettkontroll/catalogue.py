"""The statutory schedules of budsjett- og regnskapsforskriften: their lines, labels and sum identities.

One home for what the forskrift fixes. A sum line lists its parts; a part written "-key" is subtracted.
A `gross` sum is the forskrift's one net line where a kommune prints gross lines (Avsetninger til … /
Bruk av …): it is computed only when a gross line is given.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .labels import closest, closest_sum, looks_like_sum, normalise

# The line number a schedule prints before a name («1 Rammetilskudd», «3a Herav …», «25. Fremført …», «7)»): not
# part of the name. At most three digits and one letter, then «.» or «)» or a space, then the name.
# A footnote mark after a name («Rammetilskudd 1)», «Rammetilskudd *», «Eiendomsskatt²»); never «(merforbruk)».
FOOTNOTE_MARK = re.compile(r"\s*(?:\(?\d{1,2}\)|\*{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*$")
PRINTED_LINE_NUMBER = re.compile(r"\s*\d{1,3}[a-zA-Z]?(?:[.)]\s*|\s+)(?=[^\d\s.,])")

ALIASES_FILE = "catalogue_aliases.yaml"
# Sections of the alias file that apply to several schedules (the lines § 5-4 and § 5-6 share).
SHARED_SECTIONS = {"felles_drift": ("drift", "drift_art")}


def load_aliases(text: str | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Schedule stem → line key → the other names real documents print for it (catalogue_aliases.yaml)."""
    from .safeload import load_yaml

    if text is None:
        text = Path(__file__).with_name(ALIASES_FILE).read_text(encoding="utf-8")
    try:
        data = load_yaml(text, ALIASES_FILE) or {}  # the one safe reader: duplicate keys refused, naming both lines
    except InputError as exc:  # package data: a broken file is the tool's fault, not the user's input
        raise ValueError(str(exc)) from None
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for section, lines in data.items():
        for stem in SHARED_SECTIONS.get(section, (section,)):
            for key, names in (lines or {}).items():
                if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
                    raise ValueError(f"{ALIASES_FILE}: {section}.{key} må være en liste med tekster")
                target = out.setdefault(stem, {})
                target[key] = (*target.get(key, ()), *names)
    return out


def _bundled_aliases() -> dict[str, dict[str, tuple[str, ...]]]:
    """The shipped alias file, read as an earlier run read exactly these bytes when it can (see buildcache)."""
    from .buildcache import built

    path = Path(__file__).with_name(ALIASES_FILE)
    return built("aliases", path, lambda: load_aliases(path.read_text(encoding="utf-8")), expect=dict)


ALIASES = _bundled_aliases()


@dataclass(frozen=True)
class LineDef:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    gross: bool = False
    required: bool = False
    # A sum computed only when one of these lines is printed (a table that may leave its parts out: the sum is
    # never computed from nothing). Empty: always computed when its parts are known.
    when: tuple[str, ...] = ()

    @property
    def is_sum(self) -> bool:
        return bool(self.parts)

    def terms(self) -> list[tuple[str, int]]:
        return [(p[1:], -1) if p.startswith("-") else (p, 1) for p in self.parts]


def alias_problems(stem: str, lines: tuple[LineDef, ...], extra: dict[str, tuple[str, ...]],
                   normalised: dict[str, str] | None = None) -> list[str]:
    """Why a schedule's names are not one-to-one: an alias for a line the schedule lacks, or one text (as
    normalised) naming two lines. Empty when every label and alias belongs to exactly one line. `normalised`, when
    given, gets each text's normalised form (TableDef reuses them)."""
    keys = {line.key for line in lines}
    problems = [f"{stem}: «{key}» er ingen linje i oversikten" for key in extra if key not in keys]
    owner: dict[str, tuple[str, str]] = {}
    if normalised is None:
        normalised = {}
    for line in lines:
        for text in (line.label, *line.aliases, *extra.get(line.key, ())):
            norm = normalised.get(text)
            if norm is None:
                norm = normalised[text] = normalise(text)
            if norm in owner and owner[norm][0] != line.key:
                problems.append(f"{stem}: «{text}» er både {owner[norm][0]} («{owner[norm][1]}») og {line.key}")
            owner.setdefault(norm, (line.key, text))
    return problems


@dataclass(frozen=True)
class TableDef:
    stem: str
    title: str
    paragraph: str
    prefix: str
    lines: tuple[LineDef, ...]
    free_rows: str | None = None  # what a label not in `lines` is: "område", "prosjekt", "premiss" or None
    required_file: bool = False
    signed: bool = True  # amounts follow the package's sign convention
    decimals: bool = False  # premises may hold decimals (percent, kr per m2)
    # A column that splits the rows into blocks with the same lines (selvkost: "område"). Such a table gives no
    # per-year facts of its own: its provider module reads it block by block.
    area_column: str | None = None
    legacy: bool = False  # a schedule of the forskrift before 2020: read and judged «ikke vurdert», never templated
    accounts_only: bool = False  # a table of the årsregnskap only (§ 5-9 årsavslutning): never in a budget template
    # How labels beyond the catalogue's names are read (arsavslutning.Reading: «Herav …» lines, a «(spesifikasjon)»
    # of a net line, a plain line above «Årets budsjettavvik»); None: names only.
    reading: Any = field(default=None, compare=False, repr=False)
    by_key: dict[str, LineDef] = field(default_factory=dict, compare=False, repr=False)
    by_label: dict[str, LineDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        extra = ALIASES.get(self.stem, {})
        normalised: dict[str, str] = {}  # each label and alias normalised once
        if problems := alias_problems(self.stem, self.lines, extra, normalised):
            raise ValueError(f"{ALIASES_FILE}: " + "; ".join(problems))
        lines = tuple(line if line.key not in extra and type(line.aliases) is tuple
                      and len(set(line.aliases)) == len(line.aliases)  # nothing to add: the line as it is
                      else replace(line, aliases=tuple(dict.fromkeys((*line.aliases, *extra.get(line.key, ())))))
                      for line in self.lines)
        object.__setattr__(self, "lines", lines)
        for line in lines:
            self.by_key[line.key] = line
            for label in (line.label, *line.aliases):
                norm = normalised.get(label)
                self.by_label[normalise(label) if norm is None else norm] = line

    def match(self, label: str) -> LineDef | None:
        return self.by_label.get(normalise(label))

    def match_sum(self, label: str) -> LineDef | None:
        """A label that looks like a sum line but is not spelt as one («Sum bevilinger drift, netto»): the one sum
        line of this schedule it is near enough to, of the same kind; None otherwise."""
        if not looks_like_sum(label):
            return None
        known = {text: line.key for line in self.lines if line.is_sum for text in (line.label, *line.aliases)}
        key = closest_sum(label, known)
        return self.by_key[key] if key else None

    def resolve(self, label: str) -> tuple[LineDef | None, str | None, str | None]:
        """(line, note, refusal) for a label as printed. A known name is its line. A label that looks like a sum
        line is matched only against this schedule's sum lines (a note says so), and in a schedule of areas or
        projects (andre ledd) one that matches none is refused: it is never read as one more area or project,
        which would count the total twice."""
        if (line := self.match(label)) is not None:
            return line, None, None
        if (number := PRINTED_LINE_NUMBER.match(label)) is not None:
            # «1 Rammetilskudd», «3a Herav …», «25. Fremført …»: the forskrift's line number printed in the name
            return self.resolve(label[number.end():])
        if (mark := FOOTNOTE_MARK.search(label)) is not None and mark.start() > 0:
            # «Rammetilskudd 1)», «Rammetilskudd *», «Eiendomsskatt²»: a footnote mark, not part of the name
            return self.resolve(label[:mark.start()])
        if self.reading is not None and (found := self.reading.resolve(self, label)) is not None:
            return found
        if looks_like_sum(label):
            if (line := self.match_sum(label)) is not None:
                return line, f"«{label}» er lest som sumlinjen «{line.label}»", None
            if self.free_rows:
                sums = " eller ".join(f"«{s.label}»" for s in self.lines if s.is_sum)
                return None, None, (f"linjen ser ut som en sumlinje, men er ingen sumlinje i {self.paragraph}, og "
                                    f"den leses ikke som {self.free_rows}; skriv {sums}, eller gi linjen et navn "
                                    "som ikke begynner som en sum")
        return None, None, None

    def closest_label(self, label: str) -> str | None:
        """«Mente du …»: the line of the same kind and sign whose label or alias is most like `label`."""
        names = self.all_labels
        hint = closest(label, list(names), same_kind=True)
        return names[hint] if hint else None

    @property
    def labels(self) -> list[str]:
        return [line.label for line in self.lines]

    @property
    def all_labels(self) -> dict[str, str]:
        """Every label and alias → the line's own label (for «mente du …» over everything the catalogue knows)."""
        return {text: line.label for line in self.lines for text in (line.label, *line.aliases)}


def L(key: str, label: str, *aliases: str, parts: tuple[str, ...] = (), gross: bool = False,
      required: bool = False, when: tuple[str, ...] = ()) -> LineDef:
    """One line; other names for it belong in catalogue_aliases.yaml (the one home of aliases)."""
    return LineDef(key, label, tuple(aliases), tuple(parts), gross, required, tuple(when))


# Lines § 5-4 and § 5-6 share: finance, motpost and the disposal of netto driftsresultat.
def _finance_and_disposals(income_sum: str, cost_sum: str) -> tuple[LineDef, ...]:
    return (
        L("brutto_driftsresultat", "Brutto driftsresultat", parts=(income_sum, cost_sum)),
        L("renteinntekter", "Renteinntekter"),
        L("utbytter", "Utbytter"),
        L("gevinster_tap", "Gevinster og tap på finansielle omløpsmidler"),
        L("renteutgifter", "Renteutgifter", required=True),
        L("avdrag", "Avdrag på lån", required=True),
        L("netto_finansutgifter", "Netto finansutgifter",
          parts=("renteinntekter", "utbytter", "gevinster_tap", "renteutgifter", "avdrag")),
        L("motpost_avskrivninger", "Motpost avskrivninger"),
        L("netto_driftsresultat", "Netto driftsresultat",
          parts=("brutto_driftsresultat", "netto_finansutgifter", "motpost_avskrivninger")),
        L("overforing_til_investering", "Overføring til investering"),
        L("avsetninger_bundne_driftsfond", "Avsetninger til bundne driftsfond"),
        L("bruk_bundne_driftsfond", "Bruk av bundne driftsfond"),
        L("netto_bundne_driftsfond", "Netto avsetninger til eller bruk av bundne driftsfond",
          parts=("avsetninger_bundne_driftsfond", "bruk_bundne_driftsfond"), gross=True),
        L("avsetninger_disposisjonsfond", "Avsetninger til disposisjonsfond"),
        L("bruk_disposisjonsfond", "Bruk av disposisjonsfond"),
        L("netto_disposisjonsfond", "Netto avsetninger til eller bruk av disposisjonsfond",
          parts=("avsetninger_disposisjonsfond", "bruk_disposisjonsfond"), gross=True),
        L("dekning_merforbruk", "Dekning av tidligere års merforbruk"),
        # Not in the forskrift's list, printed in accounts (Hustadvika § 5-6, Stavanger 14.3): a surplus of an
        # earlier year taken into use. A line of its own (a bruk, incomes-negative), never read as dekning.
        L("bruk_tidligere_mindreforbruk", "Bruk av tidligere års mindreforbruk"),
        L("sum_disponeringer", "Sum disponeringer eller dekning av netto driftsresultat",
          parts=("overforing_til_investering", "netto_bundne_driftsfond", "netto_disposisjonsfond",
                 "bruk_tidligere_mindreforbruk", "dekning_merforbruk")),
        L("fremfort_merforbruk", "Fremført til inndekning i senere år (merforbruk)",
          parts=("netto_driftsresultat", "sum_disponeringer")),
    )


DRIFT = TableDef(
    stem="drift",
    title="Bevilgningsoversikt drift",
    paragraph="budsjett- og regnskapsforskriften § 5-4 første ledd",
    prefix="drift",
    required_file=True,
    lines=(
        L("rammetilskudd", "Rammetilskudd", required=True),
        L("skatt", "Inntekts- og formuesskatt", required=True),
        L("eiendomsskatt", "Eiendomsskatt"),
        L("andre_generelle_driftsinntekter", "Andre generelle driftsinntekter"),
        L("sum_generelle_driftsinntekter", "Sum generelle driftsinntekter",
          parts=("rammetilskudd", "skatt", "eiendomsskatt", "andre_generelle_driftsinntekter")),
        L("sum_bevilgninger", "Sum bevilgninger drift, netto", required=True),
        L("avskrivninger", "Avskrivninger", required=True),
        L("sum_netto_driftsutgifter", "Sum netto driftsutgifter", parts=("sum_bevilgninger", "avskrivninger")),
        *_finance_and_disposals("sum_generelle_driftsinntekter", "sum_netto_driftsutgifter"),
    ),
)

DRIFT_FORDELING = TableDef(
    stem="drift_fordeling",
    title="Bevilgninger drift per område",
    paragraph="budsjett- og regnskapsforskriften § 5-4 andre ledd",
    prefix="fordeling",
    free_rows="område",
    lines=(
        L("sum", "Sum bevilgninger drift, netto", parts=("*",)),
        L("herav_avskrivninger", "Avskrivninger"),
        L("herav_netto_renter", "Netto renteutgifter og -inntekter"),
        L("herav_avdrag", "Avdrag på lån"),
        L("herav_overforing_til_investering", "Overføring til investering"),
        L("herav_avsetninger_bundne_driftsfond", "Avsetninger til bundne driftsfond"),
        L("herav_bruk_bundne_driftsfond", "Bruk av bundne driftsfond"),
        L("herav_netto_bundne_driftsfond", "Netto avsetninger til eller bruk av bundne driftsfond"),
        L("herav_avsetninger_disposisjonsfond", "Avsetninger til disposisjonsfond"),
        L("herav_bruk_disposisjonsfond", "Bruk av disposisjonsfond"),
        L("herav_netto_disposisjonsfond", "Netto avsetninger til eller bruk av disposisjonsfond"),
        L("korrigert_sum", "Korrigert sum bevilgninger drift, netto",
          parts=("sum", "-herav_avskrivninger", "-herav_netto_renter", "-herav_avdrag",
                 "-herav_overforing_til_investering",
                 "-herav_avsetninger_bundne_driftsfond", "-herav_bruk_bundne_driftsfond", "-herav_netto_bundne_driftsfond",
                 "-herav_avsetninger_disposisjonsfond", "-herav_bruk_disposisjonsfond", "-herav_netto_disposisjonsfond")),
    ),
)

INVESTERING = TableDef(
    stem="investering",
    title="Bevilgningsoversikt investering",
    paragraph="budsjett- og regnskapsforskriften § 5-5 første ledd",
    prefix="inv",
    required_file=True,
    lines=(
        L("varige_driftsmidler", "Investeringer i varige driftsmidler", required=True),
        L("tilskudd_andres_investeringer", "Tilskudd til andres investeringer"),
        L("aksjer_andeler", "Investeringer i aksjer og andeler i selskaper"),
        L("utlan_egne_midler", "Utlån av egne midler"),
        L("avdrag_lan", "Avdrag på lån"),
        L("sum_investeringsutgifter", "Sum investeringsutgifter",
          parts=("varige_driftsmidler", "tilskudd_andres_investeringer", "aksjer_andeler", "utlan_egne_midler",
                 "avdrag_lan")),
        L("momskompensasjon", "Kompensasjon for merverdiavgift"),
        L("tilskudd_fra_andre", "Tilskudd fra andre"),
        L("salg_varige_driftsmidler", "Salg av varige driftsmidler"),
        L("salg_finansielle_anleggsmidler", "Salg av finansielle anleggsmidler"),
        L("utdeling_fra_selskaper", "Utdeling fra selskaper"),
        L("mottatte_avdrag_utlan", "Mottatte avdrag på utlån av egne midler"),
        L("bruk_av_lan", "Bruk av lån", required=True),
        L("sum_investeringsinntekter", "Sum investeringsinntekter",
          parts=("momskompensasjon", "tilskudd_fra_andre", "salg_varige_driftsmidler", "salg_finansielle_anleggsmidler",
                 "utdeling_fra_selskaper", "mottatte_avdrag_utlan", "bruk_av_lan")),
        L("videreutlan", "Videreutlån"),
        L("bruk_lan_videreutlan", "Bruk av lån til videreutlån"),
        L("avdrag_lan_videreutlan", "Avdrag på lån til videreutlån"),
        L("mottatte_avdrag_videreutlan", "Mottatte avdrag på videreutlån"),
        L("netto_utgifter_videreutlan", "Netto utgifter videreutlån",
          parts=("videreutlan", "bruk_lan_videreutlan", "avdrag_lan_videreutlan", "mottatte_avdrag_videreutlan")),
        L("overforing_fra_drift", "Overføring fra drift"),
        L("avsetninger_bundne_investeringsfond", "Avsetninger til bundne investeringsfond"),
        L("bruk_bundne_investeringsfond", "Bruk av bundne investeringsfond"),
        L("netto_bundne_investeringsfond", "Netto avsetninger til eller bruk av bundne investeringsfond",
          parts=("avsetninger_bundne_investeringsfond", "bruk_bundne_investeringsfond"), gross=True),
        L("avsetninger_ubundne_investeringsfond", "Avsetninger til ubundne investeringsfond"),
        L("bruk_ubundne_investeringsfond", "Bruk av ubundne investeringsfond"),
        L("netto_ubundne_investeringsfond", "Netto avsetninger til eller bruk av ubundne investeringsfond",
          parts=("avsetninger_ubundne_investeringsfond", "bruk_ubundne_investeringsfond"), gross=True),
        L("dekning_udekket", "Dekning av tidligere års udekket beløp"),
        L("sum_overforing_og_avsetninger", "Sum overføring fra drift og netto avsetninger",
          parts=("overforing_fra_drift", "netto_bundne_investeringsfond", "netto_ubundne_investeringsfond",
                 "dekning_udekket")),
        L("fremfort_udekket", "Fremført til inndekning i senere år (udekket beløp)",
          parts=("sum_investeringsutgifter", "sum_investeringsinntekter", "netto_utgifter_videreutlan",
                 "sum_overforing_og_avsetninger")),
    ),
)

# § 5-5 andre ledd: four parts; each part's sum line carries the label of the matching første-ledd line.
INVESTERING_DELER = {
    1: "varige_driftsmidler",
    2: "tilskudd_andres_investeringer",
    3: "aksjer_andeler",
    4: "utlan_egne_midler",
}

INVESTERING_FORDELING = TableDef(
    stem="investering_fordeling",
    title="Bevilgninger investering per område og prosjekt",
    paragraph="budsjett- og regnskapsforskriften § 5-5 andre ledd",
    prefix="invf",
    free_rows="prosjekt",
    lines=(
        *(L(f"del{n}_sum", INVESTERING.by_key[key].label, *INVESTERING.by_key[key].aliases, parts=("*",))
          for n, key in INVESTERING_DELER.items()),
        L("sum_deler", "Sum del 1-4", parts=("del1_sum", "del2_sum", "del3_sum", "del4_sum")),
    ),
)

DRIFT_ART = TableDef(
    stem="drift_art",
    title="Økonomisk oversikt drift etter art",
    paragraph="budsjett- og regnskapsforskriften § 5-6",
    prefix="art",
    lines=(
        L("rammetilskudd", "Rammetilskudd"),
        L("skatt", "Inntekts- og formuesskatt"),
        L("eiendomsskatt", "Eiendomsskatt"),
        L("andre_skatteinntekter", "Andre skatteinntekter"),
        L("andre_overforinger_staten", "Andre overføringer og tilskudd fra staten"),
        L("overforinger_fra_andre", "Overføringer og tilskudd fra andre"),
        L("brukerbetalinger", "Brukerbetalinger"),
        L("salgs_og_leieinntekter", "Salgs- og leieinntekter"),
        L("sum_driftsinntekter", "Sum driftsinntekter",
          parts=("rammetilskudd", "skatt", "eiendomsskatt", "andre_skatteinntekter", "andre_overforinger_staten",
                 "overforinger_fra_andre", "brukerbetalinger", "salgs_og_leieinntekter")),
        L("lonnsutgifter", "Lønnsutgifter"),
        L("sosiale_utgifter", "Sosiale utgifter"),
        L("kjop_varer_tjenester", "Kjøp av varer og tjenester"),
        L("overforinger_til_andre", "Overføringer og tilskudd til andre"),
        L("avskrivninger", "Avskrivninger"),
        L("sum_driftsutgifter", "Sum driftsutgifter",
          parts=("lonnsutgifter", "sosiale_utgifter", "kjop_varer_tjenester", "overforinger_til_andre",
                 "avskrivninger")),
        *_finance_and_disposals("sum_driftsinntekter", "sum_driftsutgifter"),
    ),
)

# Budsjettskjema 1A of the forskrift before budsjett- og regnskapsforskriften 2019 (in force from the 2020 budget):
# read so an older document is judged «ikke vurdert: før forskriften gjaldt», not refused line by line. Printed as
# the old forskrift did, every line positive in its own direction; the sums say which lines are subtracted.
BUDSJETTSKJEMA_1A = TableDef(
    stem="budsjettskjema_1a",
    title="Budsjettskjema 1A – drift (før 2020)",
    paragraph="forskrift 15. desember 2000 nr. 1423 om årsbudsjett § 6 (budsjettskjema 1A, før 2020)",
    prefix="l1a",
    signed=False,
    legacy=True,
    lines=(
        L("skatt", "Skatt på inntekt og formue"),
        L("rammetilskudd", "Ordinært rammetilskudd"),
        L("eiendomsskatt", "Skatt på eiendom"),
        L("andre_skatter", "Andre direkte eller indirekte skatter"),
        L("andre_statstilskudd", "Andre generelle statstilskudd"),
        L("sum_frie_inntekter", "Sum frie disponible inntekter",
          parts=("skatt", "rammetilskudd", "eiendomsskatt", "andre_skatter", "andre_statstilskudd")),
        L("renteinntekter", "Renteinntekter og utbytte"),
        L("gevinst", "Gevinst finansielle instrumenter (omløpsmidler)"),
        L("renteutgifter", "Renteutgifter, provisjoner og andre finansutgifter"),
        L("tap", "Tap finansielle instrumenter (omløpsmidler)"),
        L("avdrag", "Avdrag på lån"),
        L("netto_finans", "Netto finansinntekter/-utgifter",
          parts=("renteinntekter", "gevinst", "-renteutgifter", "-tap", "-avdrag")),
        L("dekning_merforbruk", "Til dekning av tidligere regnskapsmessig merforbruk"),
        L("ubundne_avsetninger", "Til ubundne avsetninger"),
        L("bundne_avsetninger", "Til bundne avsetninger"),
        L("bruk_mindreforbruk", "Bruk av tidligere regnskapsmessig mindreforbruk"),
        L("bruk_ubundne", "Bruk av ubundne avsetninger"),
        L("bruk_bundne", "Bruk av bundne avsetninger"),
        L("netto_avsetninger", "Netto avsetninger",
          parts=("-dekning_merforbruk", "-ubundne_avsetninger", "-bundne_avsetninger", "bruk_mindreforbruk",
                 "bruk_ubundne", "bruk_bundne")),
        L("overfort_investering", "Overført til investeringsbudsjettet"),
        L("til_fordeling", "Til fordeling drift",
          parts=("sum_frie_inntekter", "netto_finans", "netto_avsetninger", "-overfort_investering")),
        L("sum_fordelt", "Sum fordelt til drift (fra skjema 1B)"),
        L("mer_mindreforbruk", "Merforbruk/mindreforbruk", parts=("til_fordeling", "-sum_fordelt")),
    ),
)

GJELD = TableDef(
    stem="gjeld",
    title="Gjeld og langsiktige forpliktelser",
    paragraph="budsjett- og regnskapsforskriften § 5-7",
    prefix="gjeld",
    signed=False,
    free_rows="forpliktelse",
    lines=(
        L("startlan", "Startlån"),
        L("investeringslan", "Lån til finansiering investeringer"),
        L("sum_lanegjeld", "Sum lånegjeld", parts=("startlan", "investeringslan")),
    ),
)

NOKKELTALL = TableDef(
    stem="nokkeltall",
    title="Nøkkeltall og premisser",
    paragraph="premisser som reglene trenger, utenfor de lovpålagte oversiktene",
    prefix="nt",
    signed=False,
    decimals=True,
    lines=(
        L("lanegjeld_ekskl_videreutlan", "Lånegjeld ekskl. videreutlån (UB)"),
        L("bokfort_verdi_anleggsmidler", "Bokført verdi avskrivbare anleggsmidler"),
        L("disposisjonsfond_ub", "Disposisjonsfond (UB)"),
        L("areal_formalsbygg", "Areal eide formålsbygg (m2)"),
        L("vedlikehold_per_m2", "Vedlikehold eide formålsbygg (kr per m2)"),
        L("merforbruk_regnskap", "Merforbruk i regnskapet"),
        # a balance (all uncovered merforbruk), not the year's: kommuneloven § 28-1 (3 % of driftsinntektene)
        L("akkumulert_merforbruk", "Akkumulert merforbruk"),
        L("bundne_driftsfond_ub", "Bundne driftsfond (UB)"),
        L("ubundne_investeringsfond_ub", "Ubundne investeringsfond (UB)"),
        L("bundne_investeringsfond_ub", "Bundne investeringsfond (UB)"),
        L("gjeldsgrad_oppgitt", "Gjeldsgrad oppgitt (%)"),
        L("netto_driftsresultat_oppgitt", "Netto driftsresultat oppgitt (%)"),
        L("kommunal_deflator", "Kommunal deflator (%)"),
    ),
)

# Selvkost (kommuneloven § 15-1, selvkostforskriften): one block of lines per område. Amounts are written as a
# selvkost calculation prints them, every amount positive (incomes too); the fund is positive when it holds
# a surplus owed to the payers and negative for a deficit carried forward. The formulas live in selvkost.py.
SELVKOST = TableDef(
    stem="selvkost",
    title="Selvkostkalkyle per område",
    paragraph="kommuneloven § 15-1 og selvkostforskriften",
    prefix="sk",
    signed=False,
    decimals=True,
    area_column="område",
    lines=(
        L("direkte_kostnader", "Direkte driftskostnader"),
        L("indirekte_kostnader", "Indirekte driftskostnader"),
        L("herav_administrativ_ledelse", "Herav administrativ ledelse"),
        L("herav_folkevalgte_organer", "Herav folkevalgte organer"),
        L("herav_eierorganer", "Herav eierorganer"),
        L("kalkulatoriske_avskrivninger", "Kalkulatoriske avskrivninger"),
        L("kalkulatoriske_renter", "Kalkulatoriske renter"),
        L("andre_inntekter", "Andre driftsinntekter"),
        L("selvkost", "Selvkost"),
        L("gebyrinntekter", "Gebyrinntekter"),
        L("kalkylerente", "Kalkylerente (%)"),
        L("fond_ib", "Selvkostfond IB"),
        L("fond_ib_negativt", "Selvkostfond IB er negativt (1 = ja)"),
        L("avsetning", "Avsetning til selvkostfond"),
        L("bruk", "Bruk av selvkostfond"),
        L("fond_renter", "Renter selvkostfond"),
        L("fond_ub", "Selvkostfond UB"),
        L("gebyrendring", "Gebyrendring (%)"),
    ),
)

# --- schedules defined as data: the årsavslutning tables of an årsregnskap (§ 5-9) ------------------------------
ARSAVSLUTNING_FILE = "catalogue_arsavslutning.yaml"
_SIGN_CLASSES = ("inntekt", "utgift", "resultat", "avsetning", "bruk", "netto_avsetning", "netto_bruk", "saldo")


def _parse_data_tables(text: str) -> Any:
    from .safeload import load_yaml  # noqa: PLC0415 - PyYAML only when YAML is read (cold start)

    try:
        return load_yaml(text, ARSAVSLUTNING_FILE) or {}
    except InputError as exc:  # package data: a broken file is the tool's fault
        raise ValueError(str(exc)) from None


DataTables = tuple[dict[str, "TableDef"], dict[str, dict[str, str]], dict[str, dict[str, int]]]


def load_data_tables(text: str | None = None, known: dict[str, TableDef] | None = None) -> DataTables:
    """The schedules described in catalogue_arsavslutning.yaml (stem → TableDef), the sign class of each of their
    lines (stem → key → class, for signs.py) and the lines whose sign inside is fixed (stem → key → ±1,
    signs.ANCHORS). `same_as` takes a line's label and aliases from another schedule, `before_of` and `qualified`
    add the «i henhold til årsbudsjettet og fullmakter» forms, `spec_of` the «(spesifikasjon)» forms (see the
    file's header). A broken file is the tool's fault: ValueError naming the line. The shipped file is built as an
    earlier run built it from exactly these bytes (and the same alias file) when it can (buildcache)."""
    if text is None and known is None:
        import hashlib  # noqa: PLC0415

        from .buildcache import built  # noqa: PLC0415

        path = Path(__file__).with_name(ARSAVSLUTNING_FILE)
        names = Path(__file__).with_name(ALIASES_FILE).read_bytes()  # same_as reads its aliases
        return built("arsavslutning", path, lambda: _build_data_tables(
            _parse_data_tables(path.read_text(encoding="utf-8")), None), context=hashlib.sha256(names).hexdigest())
    if text is None:
        text = Path(__file__).with_name(ARSAVSLUTNING_FILE).read_text(encoding="utf-8")
    return _build_data_tables(_parse_data_tables(text), known)


def _build_data_tables(data: Any, known: dict[str, TableDef] | None) -> DataTables:
    from .arsavslutning import Reading  # noqa: PLC0415 - arsavslutning imports nothing from here at load time

    known = known if known is not None else {t.stem: t for t in (DRIFT, INVESTERING, DRIFT_ART)}
    qualifiers = tuple(data.get("qualifiers") or ())
    tables: dict[str, TableDef] = {}
    signs: dict[str, dict[str, str]] = {}
    anchors: dict[str, dict[str, int]] = {}
    for stem, spec in (data.get("schedules") or {}).items():
        where = f"{ARSAVSLUTNING_FILE}: {stem}"
        reading = Reading(before=spec.get("before"), herav_words=tuple(data.get("herav_words") or ()),
                          spec_words=tuple(data.get("spec_words") or ()))
        own: dict[str, tuple[str, ...]] = {}  # key → label and its own aliases (first pass: before_of/spec_of read them)
        for entry in spec["lines"]:
            key, label, aliases = entry["key"], entry.get("label"), tuple(entry.get("aliases") or ())
            if "same_as" in entry:
                source = known[entry["same_as"]].by_key.get(key)
                if source is None:
                    raise ValueError(f"{where}.{key}: same_as {entry['same_as']} har ingen linje {key}")
                label, aliases = label or source.label, (source.label, *source.aliases, *aliases)
            if not label:
                raise ValueError(f"{where}.{key}: mangler label eller same_as")
            own[key] = tuple(dict.fromkeys((label, *aliases)))
        lines: list[LineDef] = []
        for entry in spec["lines"]:
            key = entry["key"]
            names = list(own[key])
            if entry.get("qualified"):
                names += [f"{n} {q}" for n in own[key] for q in qualifiers]
            if (after := entry.get("before_of")) is not None:
                names += [f"{n} {q}" for n in own.get(after) or _names_of(known, after) for q in qualifiers]
                reading.before_of[after] = key
            if (of := entry.get("spec_of")) is not None:
                if of not in own:
                    raise ValueError(f"{where}.{key}: spec_of {of} er ingen linje i tabellen")
                names += [f"{n} ({w})" for n in own[of] for w in reading.spec_words]
                reading.spec_of[of] = key
            sign = entry.get("sign")
            if sign not in _SIGN_CLASSES:
                raise ValueError(f"{where}.{key}: sign må være en av {', '.join(_SIGN_CLASSES)}")
            signs.setdefault(stem, {})[key] = sign
            if (anchor := entry.get("anchor")) is not None:
                if anchor not in (1, -1):
                    raise ValueError(f"{where}.{key}: anchor må være 1 eller -1")
                anchors.setdefault(stem, {})[key] = anchor
            label = own[key][0]
            lines.append(LineDef(key, label, tuple(dict.fromkeys(n for n in names if n != label)),
                                 tuple(entry.get("parts") or ()), bool(entry.get("gross")), False,
                                 tuple(entry.get("when") or ())))
        keys = [line.key for line in lines]
        for i, line in enumerate(lines):
            unknown = [k for k, _ in line.terms() if k not in keys[:i]] + [k for k in line.when if k not in keys]
            if unknown:
                raise ValueError(f"{where}.{line.key}: ukjente linjer (eller linjer som står etter summen): "
                                 + ", ".join(unknown))
        tables[stem] = TableDef(stem=stem, title=spec["title"], paragraph=spec["paragraph"], prefix=spec["prefix"],
                                lines=tuple(lines), accounts_only=True, reading=reading)
    return tables, signs, anchors


def _names_of(known: dict[str, TableDef], key: str) -> tuple[str, ...]:
    for table in known.values():
        if (line := table.by_key.get(key)) is not None:
            return (line.label, *line.aliases)
    return ()


ARSAVSLUTNING, ARSAVSLUTNING_SIGNS, ARSAVSLUTNING_ANCHORS = load_data_tables()

TABLES: dict[str, TableDef] = {
    t.stem: t for t in (DRIFT, DRIFT_FORDELING, INVESTERING, INVESTERING_FORDELING, DRIFT_ART, GJELD, NOKKELTALL,
                        SELVKOST, BUDSJETTSKJEMA_1A, *ARSAVSLUTNING.values())
}
