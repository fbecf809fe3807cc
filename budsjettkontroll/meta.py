"""budsjett.toml: who the budget belongs to, which columns are which kind of year, and stated premises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Status(str, Enum):
    forslag = "forslag"
    vedtatt = "vedtatt"
    revidert = "revidert"


class Sign(str, Enum):
    """How the package prints amounts. Internally everything is incomes negative (the KOSTRA convention)."""

    incomes_negative = "incomes_negative"
    incomes_positive = "incomes_positive"

    @property
    def factor(self) -> int:
        return 1 if self is Sign.incomes_negative else -1


class Years(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regnskap: list[int] = Field(default_factory=list)
    budsjett: list[int] = Field(default_factory=list)
    plan: list[int]

    @model_validator(mode="after")
    def _distinct(self) -> "Years":
        every = self.regnskap + self.budsjett + self.plan
        if len(every) != len(set(every)):
            raise ValueError("et år er oppført under flere av regnskap, budsjett og plan")
        if not self.plan:
            raise ValueError("plan må ha minst ett år (det første er årsbudsjettet)")
        for y in every:
            if not 1900 <= y <= 2200:
                raise ValueError(f"{y} er ikke et årstall")
        return self

    @property
    def all(self) -> list[int]:
        return sorted(self.regnskap + self.budsjett + self.plan)

    def kind(self, year: int) -> str:
        for kind in ("regnskap", "budsjett", "plan"):
            if year in getattr(self, kind):
                return kind
        raise KeyError(year)


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
    years: Years
    source: Source = Field(default_factory=Source)
    interest_rate: dict[int, Decimal] = Field(default_factory=dict, description="rentepremiss i prosent per år")
    minimumsavdrag: Minimumsavdrag = Field(default_factory=Minimumsavdrag)
    policy: str | None = None
    precision: dict[str, int] = Field(default_factory=dict, description=(
        "per table stem: the unit (1000 kr) its stated amounts are rounded to, e.g. gjeld = 100000 when the "
        "document gives debt in mrd. kr with one decimal; checks against those amounts allow that rounding"))
    dash_is_zero: bool = False

    @field_validator("kommunenummer", mode="before")
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("interest_rate", mode="before")
    @classmethod
    def _year_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {int(k): v for k, v in value.items()}
        return value

    @property
    def plan_years(self) -> list[int]:
        return sorted(self.years.plan)
