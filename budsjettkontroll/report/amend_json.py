"""Machine-readable result of `budsjettkontroll amend`: one entry per proposal, byte-stable for the same input.

Per proposal: the amendment's identity, the premises used for loans, the party's changes as written (in the
package's printed sign convention), the derived consequences (same convention), the balance per plan year,
the key figures before and after, the rules whose status changed, and every finding of the amended budget.

Balance values are «fremført til inndekning» as the tool computes it internally: positive = merforbruk (drift) or
udekket beløp (investering), negative = a surplus not disposed of; 0 = saldert.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import __version__
from . import jsontext
from .findings_json import FindingsJSON
from ..findings import summarise, to_json

SCHEMA_VERSION = "1.0"


def _amounts(values: dict[int, Any], factor: int = 1) -> dict[str, Any]:
    return {str(y): to_json(v * factor) for y, v in sorted(values.items())}


def _sha256(path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def proposal_dict(result, fail_on: str = "error") -> dict[str, Any]:
    amendment = result.amendment
    spec = amendment.spec
    budget = result.base.budget
    factor = budget.meta.sign.factor
    premises = amendment.premises
    hints = result.sign_hints()
    return {
        "amendment": {
            "file": str(amendment.path), "sha256": _sha256(amendment.path), "title": spec.tittel, "party": spec.parti,
            "date": spec.dato.isoformat() if spec.dato else None, "base": spec.grunnlag, "example": spec.eksempel,
            "description": spec.beskrivelse,
        },
        "premises": {
            "nedbetalingstid": premises.nedbetalingstid, "avskrivningstid": premises.avskrivningstid,
            "rente_forste_ar": to_json(premises.rente_forste_ar),
            "rente": {str(y): to_json(r) for y, r in sorted(result.rates.items())},
            "rente_kilde": {str(y): ("endringsforslaget" if y in premises.rente else "budsjett.toml")
                            for y in sorted(result.rates)},
        },
        "saldert": result.saldert,
        "exit_code": result.exit_code(fail_on),
        "changes": [{
            "number": c.number, "text": c.text, "table": c.stem, "paragraph": _paragraph(c.stem), "line": c.label,
            "del": c.group, "new": c.new, "financing": {kind: to_json(share * 100) for kind, share in c.financing},
            "amounts": _amounts(c.amounts), "file_line": c.proposed.line, "sign_hint": hints.get(c.number),
        } for c in result.changes],
        "derived": [{
            "kind": d.kind, "source": d.source, "table": d.stem, "paragraph": _paragraph(d.stem), "line": d.label,
            "amounts": _amounts(d.amounts, factor if _signed(d.stem) else 1), "explanation": d.explanation,
            "in_balance": d.balance,
        } for d in result.derived],
        "balance": [{
            "year": b.year, "saldert": b.saldert,
            "drift": {"before": to_json(b.drift_before), "after": to_json(b.drift_after)},
            "investering": {"before": to_json(b.investering_before), "after": to_json(b.investering_after)},
            "messages": b.messages(),
            "causes": [{"change": c.number, "text": c.text, "drift": c.drift, "investering": c.investering}
                       for c in b.causes],
        } for b in result.balance],
        "key_figures": [{k: to_json(v) for k, v in row.items()} for row in result.key_figures()],
        "rule_changes": result.rule_changes(),
        "inherited": [{"rule": f.rule, "year": f.year, "subject": f.subject, "severity": f.severity}
                      for f in result.inherited()],
        "new_breaches": [{"rule": f.rule, "year": f.year, "subject": f.subject, "severity": f.severity,
                          "message": f.message} for f in result.new_breaches()],
        "notes": result.notes,
        "summary": summarise(result.amended.findings),
        # written straight from the findings when the report is made into text (data() gives the dicts)
        "findings": FindingsJSON(result.amended.findings),
    }


def _paragraph(stem: str) -> str:
    from ..catalogue import TABLES

    return TABLES[stem].paragraph


def _signed(stem: str) -> bool:
    from ..catalogue import TABLES

    return TABLES[stem].signed


def render(results: list, options: dict[str, Any]) -> str:
    fail_on = options.get("fail_on", "error")
    base = results[0].base.budget if results else None
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "budsjettkontroll", "version": __version__, "command": "amend"},
    }
    if base is not None:
        meta = base.meta
        payload["base"] = {
            "kommune": meta.kommune, "title": meta.title, "source": str(base.source) if base.source else None,
            "sign": meta.sign.value, "plan_years": meta.plan_years,
            "summary": summarise(results[0].base.findings),
        }
    payload["proposals"] = [proposal_dict(r, fail_on) for r in results]
    return jsontext.dumps(payload) + "\n"
