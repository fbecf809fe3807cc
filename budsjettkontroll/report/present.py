"""What every human-readable report shows the same way: amounts in the package's own sign convention,
Norwegian words for statuses, the verdict first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..budget import Budget
from ..findings import FAIL, NOT_EVALUATED, PASS, WAIVED, Finding
from ..numbers import format_amount

STATUS_WORD = {PASS: "OK", FAIL: "BRUDD", NOT_EVALUATED: "IKKE VURDERT", WAIVED: "UNNTATT"}
SEVERITY_WORD = {"error": "feil", "warning": "advarsel", "info": "info"}
ORDER = {FAIL: 0, NOT_EVALUATED: 1, WAIVED: 2, PASS: 3}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def shown(budget: Budget, value: Any) -> str:
    """An amount as the package prints it (its own sign convention), '–' when not given."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return format_amount(value * budget.meta.sign.factor)
    return format_amount(value)


def verdict(findings: list[Finding], fail_on: str = "error") -> str:
    from ..findings import exit_code

    errors = sum(1 for f in findings if f.status == FAIL and f.severity == "error")
    warnings = sum(1 for f in findings if f.status == FAIL and f.severity == "warning")
    if not any(f.status in (PASS, FAIL, WAIVED) for f in findings):
        return "INGEN REGLER VURDERT: budsjettet mangler grunnlaget for kontroll"
    open_ = sum(1 for f in findings if f.status == NOT_EVALUATED)
    caveat = f"; {open_} vurderinger kunne ikke gjøres (mangler grunnlag)" if open_ else ""
    if exit_code(findings, fail_on):
        return f"BRUDD: {errors} lovbrudd, {warnings} advarsler{caveat}"
    if warnings:
        return f"INGEN LOVBRUDD FUNNET, men {warnings} advarsler{caveat}"
    return f"INGEN LOVBRUDD FUNNET{caveat}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (ORDER.get(f.status, 9), SEVERITY_ORDER.get(f.severity, 9), f.group, f.rule,
                                           f.year or 0, f.subject or ""))


def reference_text(finding: Finding) -> str:
    return "; ".join(r["text"] for r in finding.references)


# The headline lines of each schedule, shown per year in the budget overview.
HEADLINES = [
    ("drift", "Sum generelle driftsinntekter", "drift_sum_generelle_driftsinntekter"),
    ("drift", "Sum bevilgninger drift, netto", "drift_sum_bevilgninger"),
    ("drift", "Netto driftsresultat", "drift_netto_driftsresultat"),
    ("drift", "Fremført til inndekning (merforbruk)", "drift_fremfort_merforbruk"),
    ("investering", "Sum investeringsutgifter", "inv_sum_investeringsutgifter"),
    ("investering", "Bruk av lån", "inv_bruk_av_lan"),
    ("investering", "Fremført til inndekning (udekket)", "inv_fremfort_udekket"),
    ("drift_art", "Sum driftsinntekter (§ 5-6)", "art_sum_driftsinntekter"),
]
