"""Unntak (waivers): findings the kommune has decided to accept, each with a mandatory justification.

A waiver names a rule, the year(s) it covers (or `hele` for rules judged once for the whole plan), optionally
the package and the subject (for rules judged per sum line or project), and may expire. A matching failing
finding is reported as «unntatt» with the justification and does not fail the run. So that the list cannot
rot silently, an expired waiver, and a waiver that matches no failing finding, each become a warning finding
located at the waiver's line in the file.

    waivers:
      - rule: FORSKR-5-avrunding
        year: [2024, 2025]
        subject: Sum generelle driftsinntekter
        package: asker-hp-2024-2027
        justification: Trykt dokument rundet av til hele tusen kroner.
        expires: 2025-06-30
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError, Problem
from .findings import FAIL, WAIVED, Finding
from .safeload import pydantic_message

WHOLE = "hele"
EXPIRED_RULE = "BK-unntak-utlopt"
UNUSED_RULE = "BK-unntak-ubrukt"
PACK = "unntak"
REFERENCE = {"text": "budsjettkontroll: unntaksfilen (waivers), se README «Unntak (waivers)»"}


class WaiverSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str = Field(min_length=1)
    year: int | list[int] | Literal["hele"]
    justification: str
    package: str | None = None
    subject: str | None = None
    expires: dt.date | None = None

    @field_validator("justification")
    @classmethod
    def _real_reason(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("begrunnelsen (justification) er påkrevd og kan ikke være tom")
        return " ".join(value.split())

    @field_validator("year")
    @classmethod
    def _years(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("minst ett år")
        for year in value if isinstance(value, list) else [value]:
            if isinstance(year, int) and not 1990 <= year <= 2100:
                raise ValueError(f"{year} er ikke et årstall mellom 1990 og 2100")
        return value


@dataclass
class Waiver:
    spec: WaiverSpec
    file: str
    line: int | None
    used: bool = False

    @property
    def years(self) -> list[int | None]:
        year = self.spec.year
        return [None] if year == WHOLE else (list(year) if isinstance(year, list) else [year])

    def describe(self) -> str:
        years = ", ".join(WHOLE if y is None else str(y) for y in self.years)
        extra = f", «{self.spec.subject}»" if self.spec.subject else ""
        extra += f", pakke {self.spec.package}" if self.spec.package else ""
        return f"{self.spec.rule} ({years}{extra})"

    def covers_package(self, budget) -> bool:
        wanted = self.spec.package
        if not wanted:
            return True
        names = {budget.name.casefold(), budget.meta.kommune.casefold(), budget.meta.title.casefold()}
        if wanted.casefold() in names:
            return True
        if budget.source is None:
            return False
        candidate = Path(wanted)
        if not candidate.is_absolute():
            candidate = Path(self.file).parent / candidate
        try:
            return candidate.resolve() == Path(budget.source).resolve()
        except OSError:
            return False

    def matches(self, finding: Finding) -> bool:
        if finding.rule != self.spec.rule or finding.year not in self.years:
            return False
        if self.spec.subject:
            return self.spec.subject.casefold() in (finding.subject or "").casefold()
        return True


def load_waivers(path: str | Path) -> list[Waiver]:
    """Read a waiver file (YAML, safe loader): a list, or a mapping with the list under `waivers`."""
    from .rules.loader import MAX_PACK_BYTES
    from .readers import check_size, read_limited
    from .safeload import load_yaml_document

    path = Path(path)
    display = str(path)
    check_size(path, display)
    try:
        text = read_limited(path, display, MAX_PACK_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Problem("er ikke UTF-8", file=display)) from None
    doc = load_yaml_document(text, display)
    data = doc.data
    prefix: tuple = ()
    if isinstance(data, dict) and set(data) <= {"waivers"}:
        data = data.get("waivers")
        prefix = ("waivers",)
    lines = [doc.lines.get(prefix + (i,)) for i in range(len(data))] if isinstance(data, list) else []
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(Problem("unntaksfilen må være en liste (eller `waivers:` med en liste)", file=display))
    waivers, problems = [], []
    for index, entry in enumerate(data):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict):
            problems.append(Problem(f"unntak nr. {index + 1} må være en tabell med rule, year og justification",
                                    file=display, line=line))
            continue
        try:
            spec = WaiverSpec.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                field_name = str(err["loc"][0]) if err["loc"] else "(unntaket)"
                message = pydantic_message(err)
                if err["type"] == "missing":
                    message = "mangler" + (" (påkrevd: hvorfor bruddet godtas)" if field_name == "justification" else "")
                problems.append(Problem(f"unntak nr. {index + 1}, feltet «{field_name}»: {message}",
                                        file=display, line=line))
            continue
        waivers.append(Waiver(spec, display, line))
    if problems:
        raise InputError(problems)
    return waivers


def apply_waivers(results: list, waivers: list[Waiver], today: dt.date | None = None,
                  wanted=lambda rule: True) -> None:
    """Mark waived failures in each CheckResult, then add a warning finding for each expired or unused waiver.

    `wanted(rule_id)` applies --select/--ignore to the warnings too.
    """
    today = today or dt.date.today()
    live = []
    for waiver in waivers:
        if waiver.spec.expires is not None and waiver.spec.expires < today:
            _warn(results, waiver, EXPIRED_RULE, "Utløpt unntak",
                  f"Unntaket for {waiver.describe()} utløp {waiver.spec.expires.isoformat()} og gjelder ikke lenger; "
                  f"bruddet vurderes som vanlig. Forny det med ny begrunnelse, eller fjern det.", wanted)
        else:
            live.append(waiver)
    for result in results:
        for finding in result.findings:
            if finding.status != FAIL:
                continue
            for waiver in live:
                if waiver.covers_package(result.budget) and waiver.matches(finding):
                    finding.status = WAIVED
                    finding.justification = waiver.spec.justification
                    waiver.used = True
                    break
    for waiver in live:
        if waiver.used:
            continue
        rules = {f.rule for r in results for f in r.findings}
        if waiver.spec.rule in rules:
            why = "treffer ikke noe brudd (regelen er oppfylt eller ikke vurdert for det året)"
        else:
            from .labels import closest

            hint = closest(waiver.spec.rule, sorted(rules))
            why = "nevner en regel som ikke ble vurdert" + (f"; mente du «{hint}»?" if hint else "")
        _warn(results, waiver, UNUSED_RULE, "Unntak uten treff",
              f"Unntaket for {waiver.describe()} {why}. Fjern det, så listen viser bare godtatte brudd.", wanted)


def _warn(results: list, waiver: Waiver, rule: str, title: str, message: str, wanted) -> None:
    if not results or not wanted(rule):
        return
    target = next((r for r in results if waiver.spec.package and waiver.covers_package(r.budget)), results[0])
    year = waiver.years[0]
    target.findings.append(Finding(
        rule=rule, title=title, status=FAIL, severity="warning", year=year, message=message,
        references=[dict(REFERENCE)], values={"regel": waiver.spec.rule}, subject=waiver.spec.subject,
        file=waiver.file, line=waiver.line, group="Unntak", pack=PACK))
