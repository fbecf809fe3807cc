"""budsjett.toml: who the budget belongs to, which columns are which kind of year, and stated premises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator


class Status(str, Enum):
    forslag = "forslag"
    vedtatt = "vedtatt"
    revidert = "revidert"


class Sign(str, Enum):
    """How the package prints amounts. Internally everything is incomes negative (the KOSTRA convention); the
    conventions and their detection are in signs.py."""

    incomes_negative = "incomes_negative"
    incomes_positive = "incomes_positive"
    unsigned = "unsigned"
    unsigned_disposals_signed = "unsigned_disposals_signed"
    unsigned_disposals_opposite = "unsigned_disposals_opposite"

    @property
    def factor(self) -> int:
        """One factor for the whole package, as renderers print amounts back: −1 only when every amount is simply
        turned; a per-line convention is shown inside-out (incomes negative), which the report header says."""
        return -1 if self is Sign.incomes_positive else 1


KINDS = ("regnskap", "budsjett", "plan", "opprinnelig", "revidert")  # the kinds of year column (DESIGN.md)
KIND_LABELS = {"regnskap": "Regnskap", "budsjett": "Budsjett", "plan": "Økonomiplan",
               "opprinnelig": "Opprinnelig budsjett", "revidert": "Revidert budsjett"}


class Years(BaseModel):
    """Which year is which kind of column. regnskap: accounts; budsjett: the prior-year budget beside them;
    plan: årsbudsjett and økonomiplan (the first is the årsbudsjett; none for an årsregnskap); opprinnelig and
    revidert: an adopted and a revised budget printed as such. One column per year in a view (columns.py)."""

    model_config = ConfigDict(extra="forbid")
    regnskap: list[int] = Field(default_factory=list)
    budsjett: list[int] = Field(default_factory=list)
    plan: list[int] = Field(default_factory=list)
    opprinnelig: list[int] = Field(default_factory=list)
    revidert: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> "Years":
        every = self.regnskap + self.budsjett + self.plan + self.opprinnelig + self.revidert
        if len(every) != len(set(every)):
            raise ValueError("et år er oppført under flere av regnskap, budsjett og plan")
        for y in every:
            if not 1990 <= y <= 2100:
                raise ValueError(f"{y} er ikke et årstall mellom 1990 og 2100")
        return self

    @property
    def all(self) -> list[int]:
        return sorted(self.regnskap + self.budsjett + self.plan + self.opprinnelig + self.revidert)

    def kind(self, year: int) -> str:
        for kind in KINDS:
            if year in getattr(self, kind):
                return kind
        raise KeyError(year)

    @property
    def document(self) -> str:
        """What the columns make the document, and so which rules judge it (README «Hvilke regler gjelder hvilket
        dokument»): økonomiplan (two or more plan years), årsbudsjett (one plan year), årsregnskap (accounts, no
        plan year), or budsjett (only budget columns printed as such: a revidert/regulert or an opprinnelig budget,
        e.g. beside the accounts)."""
        if len(self.plan) > 1:
            return "økonomiplan"
        if self.plan:
            return "årsbudsjett"
        return "årsregnskap" if self.regnskap else "budsjett"


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str | None = None
    date: dt.date | None = None
    file: str | None = None
    url: str | None = None
    pages: dict[str, str] = Field(default_factory=dict)


class Minimumsavdrag(BaseModel):
    """Kommuner differ in which balance date they use for lånegjeld and anleggsmidler (kommuneloven § 14-18)."""

    model_config = ConfigDict(extra="forbid")
    balance_date: Literal["1.1", "31.12"] = "31.12"


class BudgetMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kommune: str
    kommunenummer: str | None = None
    title: str
    status: Status = Status.forslag
    unit: Literal["1000 kr"] = "1000 kr"
    sign: Sign = Sign.incomes_negative
    sign_tables: dict[str, Sign] = Field(default_factory=dict, exclude=True, description=(
        "per table stem, from a [sign] table in budsjett.toml: drift = \"unsigned\", investering = \"unsigned\" …"))
    years: Years | None = Field(None, description="optional when the column headers say it; wins when given")
    source: Source = Field(default_factory=Source)
    interest_rate: dict[int, Decimal] = Field(default_factory=dict, description="rentepremiss i prosent per år")
    minimumsavdrag: Minimumsavdrag = Field(default_factory=Minimumsavdrag)
    vedtaksdato: dt.date | None = Field(None, description=(
        "the date kommunestyret adopted the budget (kommuneloven § 14-3: before the turn of the year; ROBEK § 28-1 e)"))
    policy: str | None = None
    precision: dict[str, int] = Field(default_factory=dict, description=(
        "per table stem: the unit (1000 kr) its stated amounts are rounded to, e.g. gjeld = 100000 when the "
        "document gives debt in mrd. kr with one decimal; checks against those amounts allow that rounding"))
    dash_is_zero: bool = False
    regnskapsaar: int | None = Field(None, ge=1990, le=2100, description=(
        "the year of an årsregnskap whose column headers print the kind but no year («Regnskap», «Oppr. budsjett», "
        "«Regnskap i fjor»): those columns are that year (i fjor: the year before); a header with a year wins"))

    @model_validator(mode="before")
    @classmethod
    def _sign_per_table(cls, data: object) -> object:
        """`sign = "…"` for the whole package, or a [sign] table: `default = "…"` and one convention per table."""
        if isinstance(data, dict) and isinstance(data.get("sign"), dict):
            from .catalogue import TABLES

            data = dict(data)
            tables = dict(data.pop("sign"))
            if "default" in tables:
                data["sign"] = tables.pop("default")
            unknown = sorted(set(tables) - set(TABLES))
            if unknown:
                raise ValueError(f"ukjent tabell {', '.join(unknown)} under [sign]; tabellene er {', '.join(TABLES)}")
            data["sign_tables"] = tables
        return data

    @field_serializer("sign")
    def _sign_as_written(self, sign: Sign) -> str:
        """A written package's amounts carry one flat factor (writer.py): a per-line convention is written inside-out."""
        return sign.value if sign.factor == -1 else Sign.incomes_negative.value

    def sign_for(self, stem: str) -> tuple[str, bool]:
        """The convention declared for a table, and whether budsjett.toml declared it (else it is detected)."""
        return self.sign_tables.get(stem, self.sign).value, "sign" in self.model_fields_set or stem in self.sign_tables

    @field_validator("kommunenummer", mode="before")
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("interest_rate", mode="before")
    @classmethod
    def _year_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            try:
                return {int(k): v for k, v in value.items()}
            except (TypeError, ValueError):
                raise ValueError("nøklene skal være årstall, f.eks. 2024 = 4.5") from None
        return value

    @field_validator("interest_rate")
    @classmethod
    def _sane_rates(cls, value: dict[int, Decimal]) -> dict[int, Decimal]:
        for year, rate in value.items():
            if not 1990 <= year <= 2100:
                raise ValueError(f"{year} er ikke et årstall mellom 1990 og 2100")
            if not rate.is_finite() or not 0 <= rate <= 100:
                raise ValueError(f"renten for {year} er {rate} %; den skal være mellom 0 og 100 %")
        return value

    @property
    def plan_years(self) -> list[int]:
        return sorted(self.years.plan) if self.years else []
