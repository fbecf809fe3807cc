"""Machine-readable result: a versioned, documented schema (report.schema.json), byte-stable for the same input."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..check import file_hashes, judged_as_of

SCHEMA_VERSION = "1.0"


def result_dict(result) -> dict[str, Any]:
    budget = result.budget
    meta = budget.meta
    data: dict[str, Any] = {
        "budget": {
            "kommune": meta.kommune,
            "kommunenummer": meta.kommunenummer,
            "title": meta.title,
            "status": meta.status.value,
            "source": str(budget.source) if budget.source else None,
            "sign": meta.sign.value,
            "years": {"regnskap": meta.years.regnskap, "budsjett": meta.years.budsjett, "plan": meta.years.plan},
        },
        "inputs": file_hashes(budget),
        "rule_packs": [{"pack": p.name, "version": p.spec.version} for p in result.packs],
        "judged_as_of": judged_as_of(budget).isoformat(),
        "summary": result.summary,
        "findings": [f.as_json() for f in result.findings],
    }
    for name, section in result.sections.items():
        as_json = getattr(section, "as_json", None)
        if as_json:
            data[name] = as_json()
    return data


def render(results: list, options: dict[str, Any]) -> str:
    payload: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "tool": {"name": "budsjettkontroll", "version": __version__}}
    if len(results) == 1:
        payload.update(result_dict(results[0]))
    else:
        payload["results"] = [result_dict(r) for r in results]
        from ..findings import summarise

        payload["summary"] = summarise([f for r in results for f in r.findings])
        payload["findings"] = [f.as_json() for r in results for f in r.findings]
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n"
