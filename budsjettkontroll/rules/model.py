"""The rule format: what a rule in a YAML pack may say. Validated against rules/rule-pack.schema.json too."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["plan", "budsjett", "regnskap", "all", "budget"]


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    url: str | None = None


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    severity: Literal["error", "warning", "info"]
    references: list[Reference] = Field(min_length=1)
    scope: Scope | list[Scope] = "plan"
    group: str = ""
    for_each: str | None = None
    requires: list[str] = Field(default_factory=list)
    condition: str
    tolerance: float | None = None
    message: str
    pass_message: str | None = None
    valid_from: dt.date = dt.date(2020, 1, 1)
    valid_to: dt.date | None = None
    purpose: str | None = None
    notes: str | None = None
    example: str | None = None

    @property
    def scopes(self) -> list[str]:
        return [self.scope] if isinstance(self.scope, str) else list(self.scope)

    def in_force(self, year: int) -> bool:
        return self.valid_from <= dt.date(year, 12, 31) and (self.valid_to is None or self.valid_to >= dt.date(year, 1, 1))


class PackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str
    version: str
    title: str
    description: str | None = None
    rules: list[RuleSpec]
