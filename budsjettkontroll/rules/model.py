"""The rule format: what a rule in a YAML pack may say. The published JSON Schema (rule-pack.schema.json) is
generated from these models (`python -m budsjettkontroll.rules.model`), so the two cannot disagree."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Scope = Literal["plan", "budsjett", "regnskap", "opprinnelig", "revidert", "all", "budget"]
Document = Literal["økonomiplan", "årsbudsjett", "årsregnskap", "budsjett"]
SCHEMA_ID = "https://budsjettkontroll.no/schema/rule-pack.schema.json"


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    text: str = Field(min_length=1, description="Hjemmelen, f.eks. «kommuneloven § 14-18 andre ledd».")
    url: str | None = Field(None, description="Lenke til kilden (lovdata.no, regjeringen.no …).")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                    description="Stabil, lesbar id, f.eks. KL-14-18-minimumsavdrag. Unik i pakken.")
    title: str = Field(min_length=1, description="Kort tittel på norsk.")
    severity: Literal["error", "warning", "info"] = Field(
        description="error = brudd på lov eller forskrift; warning = sannsynlig brudd eller realismeproblem; info.")
    references: list[Reference] = Field(min_length=1, description="Én eller flere rettskilder.")
    scope: Scope | list[Scope] = Field(
        "plan", description="Årskolonnene regelen gjelder: plan (årsbudsjett + økonomiplan), budsjett (budsjettet "
                            "året før), regnskap, opprinnelig (opprinnelig/vedtatt budsjett), revidert (revidert, "
                            "regulert eller justert budsjett), all, eller budget (én vurdering for hele budsjettet).")
    documents: list[Document] | None = Field(
        None, description="Dokumentene regelen vurderer, etter kolonnene: økonomiplan (to eller flere planår), "
                          "årsbudsjett (ett planår), årsregnskap (regnskapskolonner, ingen planår) og budsjett (bare "
                          "opprinnelig/revidert budsjett, f.eks. ved siden av regnskapet). Tom: alle.")
    group: str = Field("", description="Overskriften funnet vises under i rapporten.")
    for_each: str | None = Field(None, description="Vurder regelen én gang per element i en samling "
                                                   "(sumlinjer, avstemming_5_5, avstemming_5_6 …).")
    requires: list[str] = Field(default_factory=list, description="Størrelser regelen trenger; mangler én, blir "
                                                                  "utfallet «ikke vurdert», aldri «oppfylt».")
    condition: str = Field(min_length=1, description="Det som skal gjelde, i uttrykksspråket til rule-engine "
                                                     "(eksakte desimaltall, ingen eval).")
    tolerance: float | None = Field(None, ge=0, description="Avrundingstoleranse (1000 kr), tilgjengelig i "
                                                            "betingelsen som `toleranse`; --tolerance overstyrer.")
    message: str = Field(min_length=1, description="Melding ved brudd; {navn} settes inn med tallene.")
    pass_message: str | None = Field(None, description="Melding når regelen er oppfylt.")
    valid_from: dt.date = Field(dt.date(2020, 1, 1), description="Første dag regelen gjelder.")
    valid_to: dt.date | None = Field(None, description="Siste dag regelen gjelder (tom: fortsatt i kraft).")
    purpose: str | None = Field(None, description="Hvorfor regelen finnes (vises av `explain`).")
    notes: str | None = Field(None, description="Merknader, f.eks. hvor sikker hjemmelen er.")
    example: str | None = Field(None, description="Et regneeksempel (vises av `explain`).")

    @field_validator("valid_to")
    @classmethod
    def _period(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"valid_to {value} er før valid_from {start}")
        return value

    @property
    def scopes(self) -> list[str]:
        return [self.scope] if isinstance(self.scope, str) else list(self.scope)

    def in_force(self, year: int) -> bool:
        return self.valid_from <= dt.date(year, 12, 31) and (self.valid_to is None or self.valid_to >= dt.date(year, 1, 1))


class PackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    pack: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Pakkens navn, f.eks. lov.")
    version: str = Field(min_length=1, description="Pakkens versjon, f.eks. 2026.1.")
    title: str = Field(min_length=1)
    description: str | None = None
    rules: list[RuleSpec]


def schema_document() -> dict[str, Any]:
    """The published JSON Schema of a rule pack: PackSpec's schema with its draft and id."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **PackSpec.model_json_schema()}


def schema_text() -> str:
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    target = Path(__file__).with_name("rule-pack.schema.json")
    target.write_text(schema_text(), encoding="utf-8")
    print(f"skrev {target}")
