"""Machine-readable result: a versioned, documented schema (report.schema.json), byte-stable for the same input.

One budget: its fields at the top level. Several: `results` (one object per budget, same fields) plus the
combined `summary`, `verdict` and `findings`. Bump SCHEMA_VERSION (and the schema) on any change a consumer
could notice; adding an optional field is a minor change, removing or renaming one a major change.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from . import jsontext
from ..check import file_hashes, judged_as_of

SCHEMA_VERSION = "1.0"


def verdict_dict(findings: list, fail_on: str, left_out: int = 0) -> dict[str, Any]:
    """The conclusion as the exit code sees it, so a consumer need not recompute it from the counts."""
    from ..findings import exit_code
    from .present import verdict

    return {"text": verdict(findings, fail_on, left_out), "fail_on": fail_on, "exit_code": exit_code(findings, fail_on)}


def header_extras(budget) -> dict[str, Any]:
    """What a package beyond the classic økonomiplan says of itself, only when it differs (Asker's JSON is
    unchanged): the schedules it holds, the kind of document, opprinnelig/revidert years, and further views."""
    from ..budget import STATUTORY

    extra: dict[str, Any] = {}
    if any(stem not in budget.tables or not budget.tables[stem].rows for stem in STATUTORY):
        extra["schedules"] = budget.schedules
        extra["schedules_text"] = budget.schedules_text()
    if budget.document != "økonomiplan":
        extra["document"] = budget.document
    kinds = {k: getattr(budget.meta.years, k) for k in ("opprinnelig", "revidert") if getattr(budget.meta.years, k)}
    if kinds:
        extra["years_printed"] = kinds
    if budget.views:
        extra["views"] = [{"kind": v.view, "document": v.document, "columns": [c.label for c in v.columns.values()]}
                          for v in budget.views]
    return extra


def result_dict(result, fail_on: str = "error", options: dict[str, Any] | None = None) -> dict[str, Any]:
    from . import settings as run_settings
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
            **header_extras(budget),
        },
        "inputs": file_hashes(budget),
        "rule_packs": [{"pack": p.name, "version": p.spec.version} for p in result.packs],
        "judged_as_of": judged_as_of(budget).isoformat(),
        "summary": result.summary,
        "verdict": verdict_dict(result.findings, fail_on, len(run_settings.left_out(result))),
        "settings": run_settings.as_json(result, options or {}),
        "findings": [f.as_json() for f in result.findings],
    }
    for name, section in result.sections.items():
        as_json = getattr(section, "as_json", None)
        if as_json:
            data[name] = as_json()
    return data


def render(results: list, options: dict[str, Any]) -> str:
    payload: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "tool": {"name": "budsjettkontroll", "version": __version__}}
    fail_on = options.get("fail_on", "error")
    if len(results) == 1:
        payload.update(result_dict(results[0], fail_on, options))
    else:
        payload["results"] = [result_dict(r, fail_on, options) for r in results]
        from ..findings import summarise

        every = [f for r in results for f in r.findings]
        payload["summary"] = summarise(every)
        from .settings import left_out

        payload["verdict"] = verdict_dict(every, fail_on, sum(len(left_out(r)) for r in results))
        payload["findings"] = [f.as_json() for f in every]
    return jsontext.dumps(payload) + "\n"
