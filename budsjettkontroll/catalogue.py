"""The statutory schedules of budsjett- og regnskapsforskriften: their lines, labels and sum identities.

One home for what the forskrift fixes. A sum line lists its parts; a part written "-key" is subtracted.
A `gross` sum is the forskrift's one net line where a kommune prints gross lines (Avsetninger til … /
Bruk av …): it is computed only when a gross line is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .labels import normalise


@dataclass(frozen=True)
class LineDef:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    gross: bool = False
    required: bool = False

    @property
    def is_sum(self) -> bool:
        return bool(self.parts)

    def terms(self) -> list[tuple[str, int]]:
        return [(p[1:], -1) if p.startswith("-") else (p, 1) for p in self.parts]


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
    by_key: dict[str, LineDef] = field(default_factory=dict, compare=False, repr=False)
    by_label: dict[str, LineDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for line in self.lines:
            self.by_key[line.key] = line
            for label in (line.label, *line.aliases):
                self.by_label[normalise(label)] = line

    def match(self, label: str) -> LineDef | None:
        return self.by_label.get(normalise(label))

    @property
    def labels(self) -> list[str]:
        return [line.label for line in self.lines]


def L(key: str, label: str, *aliases: str, parts: tuple[str, ...] = (), gross: bool = False, required: bool = False) -> LineDef:
    return LineDef(key, label, tuple(aliases), tuple(parts), gross, required)


# Lines § 5-4 and § 5-6 share: finance, motpost and the disposal of netto driftsresultat.
def _finance_and_disposals(income_sum: str, cost_sum: str) -> tuple[LineDef, ...]:
    return (
        L("brutto_driftsresultat", "Brutto driftsresultat", parts=(income_sum, cost_sum)),
        L("renteinntekter", "Renteinntekter", "Renteinntekter og utbytte"),
        L("utbytter", "Utbytter", "Utbytte", "Utbyte"),
        L("gevinster_tap", "Gevinster og tap på finansielle omløpsmidler", "Gevinst og tap på finansielle omløpsmidler",
          "Gevinstar og tap på finansielle omløpsmidlar"),
        L("renteutgifter", "Renteutgifter", required=True),
        L("avdrag", "Avdrag på lån", "Avdrag på lan", required=True),
        L("netto_finansutgifter", "Netto finansutgifter",
          parts=("renteinntekter", "utbytter", "gevinster_tap", "renteutgifter", "avdrag")),
        L("motpost_avskrivninger", "Motpost avskrivninger", "Motpost avskrivinger", "Motpost avskrivingar"),
        L("netto_driftsresultat", "Netto driftsresultat",
          parts=("brutto_driftsresultat", "netto_finansutgifter", "motpost_avskrivninger")),
        L("overforing_til_investering", "Overføring til investering", "Overføring til investeringer"),
        L("avsetninger_bundne_driftsfond", "Avsetninger til bundne driftsfond", "Avsetjingar til bundne driftsfond"),
        L("bruk_bundne_driftsfond", "Bruk av bundne driftsfond"),
        L("netto_bundne_driftsfond", "Netto avsetninger til eller bruk av bundne driftsfond",
          "Netto avsetjingar til eller bruk av bundne driftsfond",
          parts=("avsetninger_bundne_driftsfond", "bruk_bundne_driftsfond"), gross=True),
        L("avsetninger_disposisjonsfond", "Avsetninger til disposisjonsfond", "Avsetjingar til disposisjonsfond"),
        L("bruk_disposisjonsfond", "Bruk av disposisjonsfond"),
        L("netto_disposisjonsfond", "Netto avsetninger til eller bruk av disposisjonsfond",
          "Netto avsetjingar til eller bruk av disposisjonsfond",
          parts=("avsetninger_disposisjonsfond", "bruk_disposisjonsfond"), gross=True),
        L("dekning_merforbruk", "Dekning av tidligere års merforbruk",
          "Dekning av tidligere års merforbruk i driftsregnskapet", "Dekning av tidlegare års meirforbruk",
          "Dekning av tidlegare års meirforbruk i driftsrekneskapen"),
        L("sum_disponeringer", "Sum disponeringer eller dekning av netto driftsresultat",
          "Sum disponeringar eller dekning av netto driftsresultat",
          parts=("overforing_til_investering", "netto_bundne_driftsfond", "netto_disposisjonsfond", "dekning_merforbruk")),
        L("fremfort_merforbruk", "Fremført til inndekning i senere år (merforbruk)",
          "Fremført til inndekning i senere år", "Framført til inndekning i seinare år (meirforbruk)",
          parts=("netto_driftsresultat", "sum_disponeringer")),
    )


DRIFT = TableDef(
    stem="drift",
    title="Bevilgningsoversikt drift",
    paragraph="budsjett- og regnskapsforskriften § 5-4 første ledd",
    prefix="drift",
    required_file=True,
    lines=(
        L("rammetilskudd", "Rammetilskudd", "Rammetilskot", required=True),
        L("skatt", "Inntekts- og formuesskatt", "Skatt på inntekt og formue", required=True),
        L("eiendomsskatt", "Eiendomsskatt", "Eigedomsskatt"),
        L("andre_generelle_driftsinntekter", "Andre generelle driftsinntekter", "Andre generelle driftsinntekter (netto)"),
        L("sum_generelle_driftsinntekter", "Sum generelle driftsinntekter",
          parts=("rammetilskudd", "skatt", "eiendomsskatt", "andre_generelle_driftsinntekter")),
        L("sum_bevilgninger", "Sum bevilgninger drift, netto", "Korrigert sum bevilgninger drift, netto",
          "Sum løyvingar drift, netto", "Korrigert sum løyvingar drift, netto", required=True),
        L("avskrivninger", "Avskrivninger", "Avskrivinger", "Avskrivingar", required=True),
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
        L("sum", "Sum bevilgninger drift, netto", "Sum løyvingar drift, netto", parts=("*",)),
        L("herav_avskrivninger", "Avskrivninger", "Avskrivinger", "Avskrivingar"),
        L("herav_netto_renter", "Netto renteutgifter og -inntekter", "Netto renteutgifter og renteinntekter"),
        L("herav_avdrag", "Avdrag på lån"),
        L("herav_overforing_til_investering", "Overføring til investering"),
        L("herav_avsetninger_bundne_driftsfond", "Avsetninger til bundne driftsfond", "Avsetjingar til bundne driftsfond"),
        L("herav_bruk_bundne_driftsfond", "Bruk av bundne driftsfond"),
        L("herav_netto_bundne_driftsfond", "Netto avsetninger til eller bruk av bundne driftsfond"),
        L("herav_avsetninger_disposisjonsfond", "Avsetninger til disposisjonsfond", "Avsetjingar til disposisjonsfond"),
        L("herav_bruk_disposisjonsfond", "Bruk av disposisjonsfond"),
        L("herav_netto_disposisjonsfond", "Netto avsetninger til eller bruk av disposisjonsfond"),
        L("korrigert_sum", "Korrigert sum bevilgninger drift, netto", "Korrigert sum løyvingar drift, netto",
          parts=("sum", "-herav_avskrivninger", "-herav_netto_renter", "-herav_avdrag", "-herav_overforing_til_investering",
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
        L("varige_driftsmidler", "Investeringer i varige driftsmidler", "Investeringar i varige driftsmidlar", required=True),
        L("tilskudd_andres_investeringer", "Tilskudd til andres investeringer", "Tilskot til andre sine investeringar"),
        L("aksjer_andeler", "Investeringer i aksjer og andeler i selskaper", "Investeringar i aksjar og andelar i selskap"),
        L("utlan_egne_midler", "Utlån av egne midler", "Utlån av eigne midlar"),
        L("avdrag_lan", "Avdrag på lån"),
        L("sum_investeringsutgifter", "Sum investeringsutgifter", "Sum investeringsutgifter",
          parts=("varige_driftsmidler", "tilskudd_andres_investeringer", "aksjer_andeler", "utlan_egne_midler", "avdrag_lan")),
        L("momskompensasjon", "Kompensasjon for merverdiavgift", "Kompensasjon for meirverdiavgift"),
        L("tilskudd_fra_andre", "Tilskudd fra andre", "Tilskot frå andre"),
        L("salg_varige_driftsmidler", "Salg av varige driftsmidler", "Sal av varige driftsmidlar"),
        L("salg_finansielle_anleggsmidler", "Salg av finansielle anleggsmidler", "Sal av finansielle anleggsmidlar"),
        L("utdeling_fra_selskaper", "Utdeling fra selskaper", "Utdeling frå selskap"),
        L("mottatte_avdrag_utlan", "Mottatte avdrag på utlån av egne midler", "Mottekne avdrag på utlån av eigne midlar"),
        L("bruk_av_lan", "Bruk av lån", required=True),
        L("sum_investeringsinntekter", "Sum investeringsinntekter",
          parts=("momskompensasjon", "tilskudd_fra_andre", "salg_varige_driftsmidler", "salg_finansielle_anleggsmidler",
                 "utdeling_fra_selskaper", "mottatte_avdrag_utlan", "bruk_av_lan")),
        L("videreutlan", "Videreutlån", "Vidareutlån"),
        L("bruk_lan_videreutlan", "Bruk av lån til videreutlån", "Bruk av lån til vidareutlån"),
        L("avdrag_lan_videreutlan", "Avdrag på lån til videreutlån", "Avdrag på lån til vidareutlån"),
        L("mottatte_avdrag_videreutlan", "Mottatte avdrag på videreutlån", "Mottekne avdrag på vidareutlån"),
        L("netto_utgifter_videreutlan", "Netto utgifter videreutlån", "Netto utgifter vidareutlån",
          parts=("videreutlan", "bruk_lan_videreutlan", "avdrag_lan_videreutlan", "mottatte_avdrag_videreutlan")),
        L("overforing_fra_drift", "Overføring fra drift", "Overføring frå drift"),
        L("avsetninger_bundne_investeringsfond", "Avsetninger til bundne investeringsfond",
          "Avsetjingar til bundne investeringsfond"),
        L("bruk_bundne_investeringsfond", "Bruk av bundne investeringsfond"),
        L("netto_bundne_investeringsfond", "Netto avsetninger til eller bruk av bundne investeringsfond",
          "Netto avsetjingar til eller bruk av bundne investeringsfond", parts=("avsetninger_bundne_investeringsfond", "bruk_bundne_investeringsfond"), gross=True),
        L("avsetninger_ubundne_investeringsfond", "Avsetninger til ubundne investeringsfond",
          "Avsetninger til ubundet investeringsfond", "Avsetjingar til ubundne investeringsfond"),
        L("bruk_ubundne_investeringsfond", "Bruk av ubundne investeringsfond", "Bruk av ubundet investeringsfond"),
        L("netto_ubundne_investeringsfond", "Netto avsetninger til eller bruk av ubundne investeringsfond",
          "Netto avsetjingar til eller bruk av ubundne investeringsfond", parts=("avsetninger_ubundne_investeringsfond", "bruk_ubundne_investeringsfond"), gross=True),
        L("dekning_udekket", "Dekning av tidligere års udekket beløp", "Dekning av tidligere års udekket",
          "Dekning av tidlegare års udekt beløp"),
        L("sum_overforing_og_avsetninger", "Sum overføring fra drift og netto avsetninger",
          "Sum overføring frå drift og netto avsetjingar", parts=("overforing_fra_drift", "netto_bundne_investeringsfond", "netto_ubundne_investeringsfond", "dekning_udekket")),
        L("fremfort_udekket", "Fremført til inndekning i senere år (udekket beløp)",
          "Fremført til inndekning i senere år (udekket)", "Fremført til inndekning i senere år",
          "Framført til inndekning i seinare år (udekt beløp)", "Framført til inndekning i seinare år",
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
        L("sum_deler", "Sum del 1-4", "Sum investeringer del 1-4", parts=("del1_sum", "del2_sum", "del3_sum", "del4_sum")),
    ),
)

DRIFT_ART = TableDef(
    stem="drift_art",
    title="Økonomisk oversikt drift etter art",
    paragraph="budsjett- og regnskapsforskriften § 5-6",
    prefix="art",
    lines=(
        L("rammetilskudd", "Rammetilskudd", "Rammetilskot"),
        L("skatt", "Inntekts- og formuesskatt"),
        L("eiendomsskatt", "Eiendomsskatt", "Eigedomsskatt"),
        L("andre_skatteinntekter", "Andre skatteinntekter"),
        L("andre_overforinger_staten", "Andre overføringer og tilskudd fra staten", "Andre overføringar og tilskot frå staten"),
        L("overforinger_fra_andre", "Overføringer og tilskudd fra andre", "Overføringar og tilskot frå andre"),
        L("brukerbetalinger", "Brukerbetalinger", "Brukarbetalingar"),
        L("salgs_og_leieinntekter", "Salgs- og leieinntekter", "Sals- og leigeinntekter"),
        L("sum_driftsinntekter", "Sum driftsinntekter",
          parts=("rammetilskudd", "skatt", "eiendomsskatt", "andre_skatteinntekter", "andre_overforinger_staten",
                 "overforinger_fra_andre", "brukerbetalinger", "salgs_og_leieinntekter")),
        L("lonnsutgifter", "Lønnsutgifter", "Lønsutgifter"),
        L("sosiale_utgifter", "Sosiale utgifter"),
        L("kjop_varer_tjenester", "Kjøp av varer og tjenester", "Kjøp av varer og tenester"),
        L("overforinger_til_andre", "Overføringer og tilskudd til andre", "Overføringar og tilskot til andre"),
        L("avskrivninger", "Avskrivninger", "Avskrivinger", "Avskrivingar"),
        L("sum_driftsutgifter", "Sum driftsutgifter",
          parts=("lonnsutgifter", "sosiale_utgifter", "kjop_varer_tjenester", "overforinger_til_andre", "avskrivninger")),
        *_finance_and_disposals("sum_driftsinntekter", "sum_driftsutgifter"),
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
        L("startlan", "Startlån", "Lån til videreutlån", "Startlån (videreutlån)"),
        L("investeringslan", "Lån til finansiering investeringer", "Lån til investeringer", "Lånegjeld ekskl. videreutlån"),
        L("sum_lanegjeld", "Sum lånegjeld", "Sum", "Lånegjeld", parts=("startlan", "investeringslan")),
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
        L("merforbruk_regnskap", "Merforbruk i regnskapet", "Årets merforbruk i regnskapet"),
        # a balance (all uncovered merforbruk), not the year's: kommuneloven § 28-1 (3 % of driftsinntektene)
        L("akkumulert_merforbruk", "Akkumulert merforbruk", "Akkumulert merforbruk (UB)", "Akkumulert meirforbruk"),
        L("bundne_driftsfond_ub", "Bundne driftsfond (UB)"),
        L("ubundne_investeringsfond_ub", "Ubundne investeringsfond (UB)", "Ubundet investeringsfond (UB)"),
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
        L("direkte_kostnader", "Direkte driftskostnader", "Direkte kostnader", "Direkte driftsutgifter"),
        L("indirekte_kostnader", "Indirekte driftskostnader", "Indirekte kostnader", "Indirekte kostnader (støttefunksjoner)"),
        L("herav_administrativ_ledelse", "Herav administrativ ledelse", "Herav kostnader til administrativ ledelse"),
        L("herav_folkevalgte_organer", "Herav folkevalgte organer", "Herav kostnader til folkevalgte organer"),
        L("herav_eierorganer", "Herav eierorganer", "Herav kostnader til eierorganer"),
        L("kalkulatoriske_avskrivninger", "Kalkulatoriske avskrivninger", "Kalkulatoriske avskrivinger"),
        L("kalkulatoriske_renter", "Kalkulatoriske renter", "Kalkulatorisk rente"),
        L("andre_inntekter", "Andre driftsinntekter", "Andre inntekter"),
        L("selvkost", "Selvkost", "Sum selvkost"),
        L("gebyrinntekter", "Gebyrinntekter"),
        L("kalkylerente", "Kalkylerente (%)"),
        L("fond_ib", "Selvkostfond IB", "Selvkostfond inngående balanse"),
        L("fond_ib_negativt", "Selvkostfond IB er negativt (1 = ja)"),
        L("avsetning", "Avsetning til selvkostfond"),
        L("bruk", "Bruk av selvkostfond"),
        L("fond_renter", "Renter selvkostfond", "Renter på selvkostfond"),
        L("fond_ub", "Selvkostfond UB", "Selvkostfond utgående balanse"),
        L("gebyrendring", "Gebyrendring (%)", "Endring i gebyr (%)"),
    ),
)

TABLES: dict[str, TableDef] = {
    t.stem: t for t in (DRIFT, DRIFT_FORDELING, INVESTERING, INVESTERING_FORDELING, DRIFT_ART, GJELD, NOKKELTALL,
                        SELVKOST)
}
