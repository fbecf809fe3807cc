"""Tolerant matching of line labels: case, spacing, line-break hyphens and punctuation do not matter.

A near miss is only ever suggested (or read) as a line of the same kind: «Bruk av …» is never offered for
«Avsetning til …», a bound fund never for an unbound one, «mindreforbruk» never for «merforbruk», investment never
for operations, a sum line never for a detail line. What a label is made of is in `Traits`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, fields

_NOT_WORD = re.compile(r"[^0-9a-zæøåäöü]+")
# The first word of a sum line as printed, typos included («Som disponering/dekning …», «Summ …»).
_SUM_WORDS = {"sum", "som", "summ", "sume", "sun", "sums", "totalt", "totalsum", "korrigert", "korr"}
_SUM_END = re.compile(r"(\bi alt|\btotalt|\bsum)\s*:?\s*$")
SUM_CUTOFF = 0.85  # how alike a misspelt sum label must be to a known sum line to be read as it


def normalise(label: str) -> str:
    """The comparison key of a label: letters and digits only, lower case."""
    text = unicodedata.normalize("NFKC", str(label)).lower()
    return _NOT_WORD.sub("", text)


def _words(label: str) -> str:
    text = unicodedata.normalize("NFKC", str(label)).lower()
    return " ".join(_NOT_WORD.sub(" ", text).split())


# Headings the forskrift's schedules print between their lines, with no amounts (kommuner print them with blank or
# «-» cells): never a line of their own. Compared as normalised words; a trailing colon does not matter.
_HEADINGS = {
    "disponering eller dekning av netto driftsresultat", "disp eller dekning av netto driftsresultat",
    "disponering eller dekning av netto driftsresultatet", "driftsinntekter", "driftsutgifter",
    "finansinntekter", "finansutgifter", "finansinntekter og utgifter", "finansinntekter og finansutgifter",
    "finansinntekter og finansutgifter", "investeringsutgifter", "investeringsinntekter", "finansiering",
    "finansiert slik", "spesifikasjon fond", "herav", "disponering eller dekning av netto driftsresultat",
    "disponering eller dekning av netto driftsresultat",
}


# «Alle tal i heile 1000», «Beløp i 1000 kr», «Tall i hele tusen kroner»: the unit, printed as a row of the table.
_UNIT_ROW = re.compile(r"(alle )?(tal|tall|beløp|belop|beløpa)( er)? i (heile |hele )?(1 ?000|tusen)( kr| kroner| nok)?")


def is_heading(label: str) -> bool:
    """«Disponering eller dekning av netto driftsresultat», «Driftsinntekter:» …: a heading of the schedule; or
    the unit in 1000 kr printed as a row («Alle tal i heile 1000»), which is the unit the package has."""
    words = _words(label)
    return words in _HEADINGS or bool(_UNIT_ROW.fullmatch(words))


def looks_like_sum(label: str) -> bool:
    """«Sum …», «Som …» (a typo seen in print), «Totalt», «Korrigert sum …», «… i alt»: a total, not an area."""
    words = _words(label)
    if not words or not str(label).strip()[:1].isalpha():  # «@SUM(A1:A9)», «=SUM(…)» are formula text, not a label
        return False
    first = words.split()[0]
    return first in _SUM_WORDS or first.startswith(("sum", "totalsum")) or bool(_SUM_END.search(words))


@dataclass(frozen=True)
class Traits:
    """What kind of line a label names. Two labels are alike only when no trait differs (see `compatible`)."""

    total: str | None  # "sum", "korrigert" or None (a detail line)
    flow: str | None  # "avsetning", "bruk", "netto" (avsetning og/eller bruk), "strykning", "dekning", "fremfort"
    fund: str | None  # "bundet", "ubundet", "disposisjon"
    result: str | None  # "mindreforbruk", "merforbruk", "udekket"
    domain: str | None  # "drift", "investering"
    side: str | None  # "inntekt", "utgift"


# Traits that must be equal, None included: a detail line is not a sum, a «bruk» line is not a plain line.
_STRICT = ("total", "flow")


def traits(label: str) -> Traits:
    w = _words(label)
    total = None
    if looks_like_sum(label):
        total = "korrigert" if w.startswith("korr") else "sum"
    stryk = re.search(r"\bstryk", w)
    bruk = re.search(r"\bbruk\b", w)
    avset = re.search(r"\bavset", w)
    if stryk:
        flow = "strykning"
    elif (bruk and avset) or (avset and re.search(r"\bnetto\b", w)):
        flow = "netto"
    elif avset:
        flow = "avsetning"
    elif bruk:
        flow = "bruk"
    elif re.search(r"\bfr[ae]mf[oø]rt", w):
        flow = "fremfort"
    elif re.search(r"\bdekning\b", w) and re.search(r"forbruk|udek|\bikk(?:j)?e dekk", w):
        flow = "dekning"
    else:
        flow = None
    if re.search(r"\bubund|\bikk(?:j)?e bund|\bubunde\b", w):
        fund = "ubundet"
    elif re.search(r"\bbund", w):
        fund = "bundet"
    elif "disposisjonsfond" in w or re.search(r"\bdisp(?:osisjons)?fond", w):
        fund = "disposisjon"
    else:
        fund = None
    if "mindreforbruk" in w or "udisponert" in w:
        result = "mindreforbruk"
    elif re.search(r"me(?:i)?rforbruk", w):
        result = "merforbruk"
    elif re.search(r"\budek|\bikk(?:j)?e dekk", w):  # «udekket», «udekt», nynorsk «ikkje dekka beløp»
        result = "udekket"
    else:
        result = None
    if "investeringsfond" in w or re.search(r"\binvestering", w):
        domain = "investering"
    elif "driftsfond" in w or re.search(r"\bdrift\b|\bdriftsresultat", w):
        domain = "drift"
    else:
        domain = None
    income, cost = re.search(r"inntekt|utbytt|gevinst", w), re.search(r"utgift|kostnad", w)
    side = "inntekt" if income and not cost else "utgift" if cost and not income else None
    return Traits(total, flow, fund, result, domain, side)


def compatible(a: str, b: str) -> bool:
    """True when `a` and `b` may name the same line: the strict traits equal, the others equal where both say."""
    ta, tb = traits(a), traits(b)
    for f in fields(Traits):
        x, y = getattr(ta, f.name), getattr(tb, f.name)
        if f.name in _STRICT:
            if x != y:
                return False
        elif x is not None and y is not None and x != y:
            return False
    return True


def closest(label: str, known: list[str], same_kind: bool = False) -> str | None:
    """The known label most like `label`, for 'mente du …' in error messages. With `same_kind`, only a line of
    the same kind and sign is offered (see `compatible`): a wrong hint is worse than none."""
    candidates = [k for k in known if compatible(label, k)] if same_kind else known
    by_key = {normalise(k): k for k in candidates}
    match = difflib.get_close_matches(normalise(label), list(by_key), n=1, cutoff=0.6)
    return by_key[match[0]] if match else None


def closest_sum(label: str, known: dict[str, str], cutoff: float = SUM_CUTOFF) -> str | None:
    """A misspelt sum line («Sum bevilinger drift, netto») read as the one known sum label (→ its key in `known`)
    it is near enough to, and of the same kind; None when none is, or when two are equally near."""
    wanted = normalise(label)
    digits = re.sub(r"\D", "", wanted)  # «Sum del 1» is not «Sum del 1-4»: numbers are never fuzzy
    scored = sorted(((difflib.SequenceMatcher(None, wanted, normalise(text)).ratio(), key)
                     for text, key in known.items()
                     if compatible(label, text) and re.sub(r"\D", "", normalise(text)) == digits), reverse=True)
    if not scored or scored[0][0] < cutoff:
        return None
    best_score, best = scored[0]
    if any(score == best_score and key != best for score, key in scored[1:]):
        return None
    return best
