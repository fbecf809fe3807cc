"""The proposal as the page holds it: the editable lines of a base budget, with what the party typed in them.

The page is a plain form; this module turns the form into the data a proposal file holds (Norwegian keys, the
`amend` format), and a proposal file back into the form. Amounts stay the text the user typed until the
proposal parser (amendment.amendment_from_data) reads them, so «12.000» in the page is refused exactly as in a
file. Nothing here computes a consequence: that is amend.py's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from ..adjust import refusal
from ..amendment import Amendment, amendment_from_data
from ..budget import Budget
from ..catalogue import INVESTERING_DELER, TABLES
from ..errors import InputError, Problem
from ..labels import normalise

# what the page calls each schedule (the names a proposal file uses) → the schedule's stem
STEMS = {"område": "drift_fordeling", "drift": "drift", "prosjekt": "investering_fordeling",
         "investering": "investering"}
FRIENDLY = {stem: name for name, stem in STEMS.items()}
SECTION_TITLES = {
    "område": "Tjenesteområder (§ 5-4 andre ledd)",
    "drift": "Skatt, rammetilskudd og disponeringer (§ 5-4 første ledd)",
    "prosjekt": "Investeringsprosjekter (§ 5-5 andre ledd)",
    "investering": "Investeringer (§ 5-5 første ledd)",
}
DEL_WORDS = {1: "varige driftsmidler", 2: "tilskudd til andres investeringer", 3: "aksjer og andeler",
             4: "utlån av egne midler"}
# the § 5-4 første ledd lines a party changes, in the order the page shows them
DRIFT_KEYS = ("skatt", "eiendomsskatt", "rammetilskudd", "avsetninger_disposisjonsfond", "bruk_disposisjonsfond",
              "netto_disposisjonsfond", "overforing_til_investering")
# § 5-5 første ledd lines for a package without andre ledd (the investment lines of each part)
INVESTERING_KEYS = tuple(INVESTERING_DELER.values())
PREMISES = ("nedbetalingstid", "avskrivningstid", "rente_første_år")
# financing «lån 80, momskompensasjon 20»: an entry is a name and an optional share; entries are split at «;»
# or at a comma that is not a decimal comma
_ENTRY_SPLIT = re.compile(r";|,(?!\d)")
_ENTRY = re.compile(r"^\s*(?P<name>[^\d:=%]*?)\s*[:=]?\s*(?P<share>[-+]?\d[\d.,]*)?\s*%?\s*$")
MAX_TEXT = 2000  # characters in one text field


@dataclass
class DraftRow:
    """One line of the grid: a base line (base amounts set) or a line the party adds (new area or project)."""

    id: str
    tabell: str  # område, drift, prosjekt, investering
    linje: str
    del_: int | None = None
    ny: bool = False
    tekst: str = ""
    finansiering: str = ""
    amounts: dict[int, str] = field(default_factory=dict)  # as typed, per plan year
    base: dict[int, Any] | None = None  # printed sign convention; None for a line the base does not have

    @property
    def is_project(self) -> bool:
        return self.tabell in ("prosjekt", "investering")

    @property
    def has_amounts(self) -> bool:
        return any(v.strip() for v in self.amounts.values())


@dataclass
class Draft:
    package: str
    grunnlag: str
    tittel: str = ""
    parti: str = ""
    dato: str = ""
    beskrivelse: str = ""
    eksempel: bool = False
    premises: dict[str, str] = field(default_factory=dict)
    rente: dict[int, str] = field(default_factory=dict)
    rows: list[DraftRow] = field(default_factory=list)

    def sections(self) -> list[tuple[str, str, list[DraftRow]]]:
        out = []
        for name in ("område", "drift", "prosjekt", "investering"):
            rows = [r for r in self.rows if r.tabell == name]
            if rows:
                out.append((name, SECTION_TITLES[name], rows))
        return out


# --- the base budget's editable lines ----------------------------------------------------------------------------

def base_rows(budget: Budget) -> list[DraftRow]:
    """Areas, the § 5-4 lines a party changes, and the projects (or § 5-5 første ledd investment lines)."""
    plan = budget.meta.plan_years
    factor = budget.meta.sign.factor
    rows: list[DraftRow] = []

    def add(tabell: str, label: str, values: dict, group: int | None = None) -> None:
        signed = TABLES[STEMS[tabell]].signed
        base = {y: (values.get(y) * factor if signed and values.get(y) is not None else values.get(y)) for y in plan}
        rows.append(DraftRow(f"r{len(rows)}", tabell, label, group, base=base))

    areas = budget.tables.get("drift_fordeling")
    for row in areas.rows if areas else []:
        if row.key is None:
            add("område", row.label, row.values)
    drift = budget.tables.get("drift")
    for key in DRIFT_KEYS if drift else ():
        row = drift.row(key)
        if row is not None and refusal(budget, "drift", row.label) is None:
            add("drift", row.label, row.values)
    projects = budget.tables.get("investering_fordeling")
    if projects is not None:
        for row in projects.rows:
            if row.key is None:
                add("prosjekt", row.label, row.values, row.group if isinstance(row.group, int) else None)
    elif (investering := budget.tables.get("investering")) is not None:
        for key in INVESTERING_KEYS:
            row = investering.row(key)
            if row is not None and refusal(budget, "investering", row.label) is None:
                add("investering", row.label, row.values)
    return rows


def new_draft(budget: Budget, package: str, grunnlag: str) -> Draft:
    return Draft(package, grunnlag, dato=dt.date.today().isoformat(), rows=base_rows(budget))


# --- form → draft ----------------------------------------------------------------------------------------------

def draft_from_form(form: Mapping[str, str], budget: Budget, package: str, grunnlag: str,
                    lines: list[DraftRow] | None = None) -> Draft:
    """The draft the form describes. Base amounts come from the loaded base (its grid `lines`, computed once),
    never from the form."""
    plan = budget.meta.plan_years
    text = lambda name: _text(form.get(name, ""), name)  # noqa: E731
    draft = Draft(package, grunnlag, tittel=text("tittel"), parti=text("parti"), dato=text("dato"),
                  beskrivelse=text("beskrivelse"), eksempel=form.get("eksempel") == "true")
    draft.premises = {k: text(k) for k in PREMISES if text(k)}
    draft.rente = {y: text(f"rente.{y}") for y in plan if text(f"rente.{y}")}
    base = {(r.tabell, normalise(r.linje), r.del_): r for r in (lines if lines is not None else base_rows(budget))}
    indices = sorted({int(m.group(1)) for k in form.keys() if (m := re.fullmatch(r"r\.(\d{1,6})\.linje", k))})
    used: set[tuple] = set()
    for i in indices:
        p = f"r.{i}."
        tabell = text(p + "tabell") or "område"
        linje = text(p + "linje")
        del_ = _int(form.get(p + "del"))
        ny = form.get(p + "ny") == "true"
        row = DraftRow(f"r{len(draft.rows)}", tabell, linje, del_, ny, text(p + "tekst"), text(p + "finansiering"),
                       {y: text(f"{p}{y}") for y in plan})
        match = base.get((tabell, normalise(linje), del_)) if not ny else None
        if match is not None and (tabell, normalise(linje), del_) not in used:
            row.base = match.base
            used.add((tabell, normalise(linje), del_))
        draft.rows.append(row)
    return draft


def _text(value: Any, name: str) -> str:
    value = str(value or "")
    if len(value) > MAX_TEXT:
        raise InputError(Problem(f"feltet «{name}» er lengre enn {MAX_TEXT} tegn"))
    return value.strip()


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# --- draft → proposal data ---------------------------------------------------------------------------------------

def proposal_data(draft: Draft) -> tuple[dict[str, Any], dict[int, str]]:
    """The proposal as a file would hold it (keys in Norwegian, amounts as typed), and change number → row id."""
    data: dict[str, Any] = {"tittel": draft.tittel or "Endringsforslag uten tittel",
                            "parti": draft.parti or "Parti ikke oppgitt"}
    if draft.dato:
        data["dato"] = draft.dato
    data["grunnlag"] = draft.grunnlag
    if draft.eksempel:
        data["eksempel"] = True
    if draft.beskrivelse:
        data["beskrivelse"] = draft.beskrivelse
    premises: dict[str, Any] = dict(draft.premises)
    if draft.rente:
        premises["rente"] = dict(draft.rente)
    if premises:
        data["forutsetninger"] = premises
    changes, numbers = [], {}
    for row in draft.rows:
        if not row.has_amounts:
            continue
        change: dict[str, Any] = {"tekst": row.tekst or f"Endring: {row.linje}", "tabell": row.tabell,
                                  "linje": row.linje}
        if row.del_ is not None:
            change["del"] = row.del_
        if row.ny:
            change["ny"] = True
        change["beløp"] = {y: v for y, v in row.amounts.items() if v.strip()}
        if row.finansiering:
            change["finansiering"] = parse_financing(row.finansiering)
        changes.append(change)
        numbers[len(changes)] = row.id
    data["endringer"] = changes
    return data, numbers


def parse_financing(text: str) -> str | dict[str, str]:
    """«lån» → "lån"; «lån 80, momskompensasjon 20» → {lån: "80", momskompensasjon: "20"}. The names and
    shares are judged by amend.py, as those of a file are."""
    entries = [e for e in _ENTRY_SPLIT.split(text) if e.strip()]
    parsed = []
    for entry in entries:
        m = _ENTRY.match(entry)
        if m is None or not m.group("name"):
            parsed.append((entry.strip(), ""))
        else:
            parsed.append((m.group("name").strip(), m.group("share") or ""))
    if len(parsed) == 1 and not parsed[0][1]:
        return parsed[0][0]
    return {name: share for name, share in parsed}


def financing_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, dict):
        return ", ".join(f"{k} {_share(v)}" for k, v in raw.items())
    return str(raw)


def _share(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_amendment(draft: Draft) -> tuple[Amendment, dict[int, str]]:
    """The draft validated as a proposal file is (InputError with every problem otherwise)."""
    data, numbers = proposal_data(draft)
    amendment = amendment_from_data(data, "endringsforslaget", _PAGE)
    return amendment, numbers


# the proposal's «file» while it lives in the page (reports show it; nothing is read from it)
_PAGE = Path("(endringsforslaget i nettleseren)")


# --- proposal file → draft --------------------------------------------------------------------------------------

def draft_from_amendment(amendment: Amendment, budget: Budget, package: str, grunnlag: str) -> Draft:
    """A proposal file laid into the grid: a change to a base line fills that line's cells, the rest (new areas
    and projects, a second change to the same line) become lines of their own."""
    from ..amend import TABLE_NAMES

    spec = amendment.spec
    plan = budget.meta.plan_years
    draft = Draft(package, grunnlag, tittel=spec.tittel, parti=spec.parti,
                  dato=spec.dato.isoformat() if spec.dato else "", beskrivelse=(spec.beskrivelse or "").strip(),
                  eksempel=spec.eksempel, rows=base_rows(budget))
    premises = spec.forutsetninger
    defaults = type(premises)()
    for name, attr in (("nedbetalingstid", "nedbetalingstid"), ("avskrivningstid", "avskrivningstid"),
                       ("rente_første_år", "rente_forste_ar")):
        if getattr(premises, attr) != getattr(defaults, attr):
            draft.premises[name] = _plain(getattr(premises, attr))
    draft.rente = {y: _plain(r) for y, r in premises.rente.items()}
    names = {normalise(k): v for k, v in TABLE_NAMES.items()}
    for proposed in amendment.changes:
        c = proposed.spec
        stem = names.get(normalise(c.tabell))
        tabell = FRIENDLY.get(stem, c.tabell)
        amounts = {y: str(proposed.every_year) for y in plan} if proposed.every_year is not None else {}
        amounts.update({y: str(a) for y, a in proposed.amounts.items()})
        target = None
        if not c.ny:
            target = next((r for r in draft.rows if r.base is not None and r.tabell == tabell and not r.has_amounts
                           and _same_line(stem, r.linje, c.linje) and (c.del_ is None or r.del_ == c.del_)), None)
        if target is None:
            target = DraftRow(f"r{len(draft.rows)}", tabell, c.linje, c.del_, c.ny)
            _insert(draft, target)
        target.tekst = c.tekst
        target.amounts = {y: amounts.get(y, "") for y in sorted(set(plan) | set(amounts))}
        target.finansiering = financing_text(c.finansiering)
    return draft


def _same_line(stem: str | None, label: str, written: str) -> bool:
    if normalise(label) == normalise(written):
        return True
    tdef = TABLES.get(stem) if stem else None
    return bool(tdef and tdef.match(label) is not None and tdef.match(label) == tdef.match(written))


def _insert(draft: Draft, row: DraftRow) -> None:
    """After the last line of its section, so the grid keeps areas, § 5-4 lines and projects together."""
    last = max((i for i, r in enumerate(draft.rows) if r.tabell == row.tabell), default=len(draft.rows) - 1)
    draft.rows.insert(last + 1, row)
    for i, r in enumerate(draft.rows):
        r.id = f"r{i}"


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def add_row(draft: Draft, tabell: str, linje: str, del_: int | None, amounts: dict[int, str], finansiering: str,
            tekst: str) -> None:
    _insert(draft, DraftRow("", tabell, linje, del_ if tabell == "prosjekt" else None, True, tekst, finansiering,
                            amounts))


def remove_row(draft: Draft, row_id: str) -> None:
    """A line the party added goes; a base line keeps its place and loses what was typed in it."""
    for i, row in enumerate(draft.rows):
        if row.id == row_id:
            if row.base is None:
                del draft.rows[i]
            else:
                row.amounts, row.tekst, row.finansiering = {}, "", ""
            break
    for i, r in enumerate(draft.rows):
        r.id = f"r{i}"


# --- the proposal file the user downloads --------------------------------------------------------------------------

def proposal_yaml(draft: Draft, amendment: Amendment) -> str:
    """The proposal as the `amend` format (YAML, Norwegian keys), amounts as the parser read them."""
    import yaml

    data, _ = proposal_data(draft)
    for change, proposed in zip(data["endringer"], amendment.changes):
        change["beløp"] = dict(sorted(proposed.amounts.items()))
        if isinstance(change.get("finansiering"), dict):
            change["finansiering"] = {k: _number(v) for k, v in change["finansiering"].items()}
    spec = amendment.spec
    if spec.dato:
        data["dato"] = spec.dato
    if "forutsetninger" in data:
        p = spec.forutsetninger
        premises: dict[str, Any] = {}
        if "nedbetalingstid" in draft.premises:
            premises["nedbetalingstid"] = p.nedbetalingstid
        if "avskrivningstid" in draft.premises:
            premises["avskrivningstid"] = p.avskrivningstid
        if "rente_første_år" in draft.premises:
            premises["rente_første_år"] = float(p.rente_forste_ar)
        if p.rente:
            premises["rente"] = {y: float(r) for y, r in sorted(p.rente.items())}
        data["forutsetninger"] = premises
    head = ("# Endringsforslag laget med `budsjettkontroll serve`. Beløp i 1000 kr per planår, fortegn som i "
            "skjemaene.\n# Kontroller med: budsjettkontroll amend " + draft.grunnlag + " DENNE-FILEN.yaml\n")
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)


def _number(value: str) -> int | float | str:
    try:
        d = Decimal(str(value).replace(",", ".").rstrip("% ").strip())
    except Exception:
        return value
    return int(d) if d == d.to_integral_value() else float(d)


def file_name(draft: Draft) -> str:
    slug = re.sub(r"[^a-z0-9æøå]+", "-", (draft.tittel or "endringsforslag").lower()).strip("-")[:60] or "forslag"
    return f"endringsforslag-{slug}.yaml"
