"""SARIF 2.1.0, for code-scanning tools: each rule with its title and legal reference, each failing finding
located at the CSV file and line of the offending budget line (budsjett.toml where no line applies), so a
pull request shows the breach on the line that causes it. Waived findings carry a suppression with the
justification; passes and not-evaluated assessments are not alerts and are counted in the run properties.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..check import file_hashes, judged_as_of
from ..findings import FAIL, WAIVED, summarise, year_label
from .present import display_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): repository-relative below the working directory, else an absolute file URI."""
    shown = display_path(path) or path
    if not Path(shown).is_absolute():
        return quote(shown), "%SRCROOT%"
    return Path(shown).as_uri(), None


def _rule_specs(results: list) -> dict[str, Any]:
    return {c.spec.id: c.spec for r in results for p in r.packs for c in p.rules}


def _rule(rule_id: str, spec, finding) -> dict[str, Any]:
    refs = [r.model_dump(exclude_none=True) for r in spec.references] if spec else finding.references
    title = spec.title if spec else finding.title
    purpose = " ".join((spec.purpose or "").split()) if spec else ""
    hjemmel = "; ".join(r["text"] for r in refs)
    links = "; ".join(f"[{r['text']}]({r['url']})" if r.get("url") else r["text"] for r in refs)
    severity = spec.severity if spec else finding.severity
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": purpose or title},
        "help": {"text": f"{title}. Hjemmel: {hjemmel}." + (f" {purpose}" if purpose else ""),
                 "markdown": f"**{title}**\n\nHjemmel: {links}" + (f"\n\n{purpose}" if purpose else "")},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {"tags": ["budsjett", finding.pack or "regler"], "precision": "very-high",
                       "problem.severity": {"error": "error", "warning": "warning", "info": "recommendation"}[severity],
                       "references": refs},
    }
    url = next((r["url"] for r in refs if r.get("url")), None)
    if url:
        rule["helpUri"] = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
    return rule


def render(results: list, options: dict[str, Any]) -> str:
    specs = _rule_specs(results)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    artifacts: list[dict[str, Any]] = []
    artifact_index: dict[str, int] = {}
    out_results: list[dict[str, Any]] = []
    budgets = []
    for result in results:
        budget = result.budget
        hashes = file_hashes(budget)
        for path, digest in hashes.items():
            uri, base = _uri(path)
            if uri not in artifact_index:
                artifact_index[uri] = len(artifacts)
                location = {"uri": uri, **({"uriBaseId": base} if base else {})}
                artifacts.append({"location": location, "hashes": {"sha-256": digest}})
        budgets.append({"kommune": budget.meta.kommune, "title": budget.meta.title, "package": budget.name,
                        "judgedAsOf": judged_as_of(budget).isoformat(),
                        "rulePacks": [{"pack": p.name, "version": p.spec.version} for p in result.packs],
                        "summary": summarise(result.findings)})
        meta_file = str(budget.files.get("budsjett") or budget.source or budget.name)
        for f in result.findings:
            if f.status not in (FAIL, WAIVED):
                continue
            if f.rule not in index:
                index[f.rule] = len(rules)
                rules.append(_rule(f.rule, specs.get(f.rule), f))
            uri, base = _uri(f.file or meta_file)
            location: dict[str, Any] = {"artifactLocation": {"uri": uri, **({"uriBaseId": base} if base else {})}}
            if uri in artifact_index:
                location["artifactLocation"]["index"] = artifact_index[uri]
            if f.line:
                location["region"] = {"startLine": f.line}
            year = year_label(f, "hele planperioden")
            item: dict[str, Any] = {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL[f.severity],
                "message": {"text": f"{f.title} ({year}): {f.message}"},
                "locations": [{"physicalLocation": location,
                               "logicalLocations": [{"name": budget.name, "kind": "module"}]}],
                "partialFingerprints": {"budsjettkontroll/v1": hashlib.sha256(
                    "|".join([budget.name, f.rule, str(f.year), f.subject or "", *([f.column] if f.column else [])])
                    .encode()).hexdigest()[:32]},
                "properties": {"year": f.year, "subject": f.subject, "pack": f.pack, "severity": f.severity,
                               "references": f.references, **({"column": f.column} if f.column else {})},
            }
            if f.status == WAIVED:
                item["suppressions"] = [{"kind": "external", "status": "accepted",
                                         "justification": f.justification or ""}]
            out_results.append(item)
    run = {
        "tool": {"driver": {"name": "budsjettkontroll", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "artifacts": artifacts,
        "results": out_results,
        "columnKind": "unicodeCodePoints",
        "properties": {"failOn": options.get("fail_on", "error"), "budgets": budgets},
    }
    payload = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n"
