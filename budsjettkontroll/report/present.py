"""What every human-readable report shows the same way: amounts in the package's own sign convention,
Norwegian words for statuses, the verdict first."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
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


def verdict(findings: list[Finding], fail_on: str = "error", left_out: int = 0) -> str:
    """The conclusion in words. With rules left out (--ignore/--select) it says how many right after the verdict,
    so «ingen lovbrudd funnet» never stands alone when the balance rule was switched off."""
    from ..findings import exit_code, internal_errors

    gone = f" ({left_out} {'regel' if left_out == 1 else 'regler'} utelatt)" if left_out else ""
    errors = sum(1 for f in findings if f.status == FAIL and f.severity == "error")
    warnings = sum(1 for f in findings if f.status == FAIL and f.severity == "warning")
    internal = internal_errors(findings)
    if internal:
        return (f"INTERN FEIL{gone}: {internal} vurderinger stoppet på en feil i budsjettkontroll (exit-kode 3); "
                f"de andre reglene er vurdert: {errors} lovbrudd, {warnings} advarsler")
    if not any(f.status in (PASS, FAIL, WAIVED) for f in findings):
        return f"INGEN REGLER VURDERT{gone}: budsjettet mangler grunnlaget for kontroll"
    open_ = sum(1 for f in findings if f.status == NOT_EVALUATED)
    caveat = f"; {open_} vurderinger kunne ikke gjøres (mangler grunnlag)" if open_ else ""
    if exit_code(findings, fail_on):
        return f"BRUDD{gone}: {errors} lovbrudd, {warnings} advarsler{caveat}"
    if warnings:
        return f"INGEN LOVBRUDD FUNNET{gone}, men {warnings} advarsler{caveat}"
    return f"INGEN LOVBRUDD FUNNET{gone}{caveat}"


def result_verdict(result, fail_on: str = "error") -> str:
    """verdict() for one CheckResult, counting the rules its options left out."""
    from .settings import left_out

    return verdict(result.findings, fail_on, len(left_out(result)))


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


def display_path(path: str | None) -> str | None:
    """A file as a path relative to the working directory when it lies below it (what code scanning and
    annotations want: repository-relative paths), else as given."""
    if not path:
        return path
    import os

    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return _relative(path, cwd)


@lru_cache(maxsize=512)
def _relative(path: str, cwd: str | None) -> str:
    """Resolving asks the file system for every folder of both paths; a report names the same few files dozens
    of times."""
    from pathlib import Path

    try:
        if cwd is None:
            raise OSError("no working directory")
        return Path(path).resolve().relative_to(Path(cwd).resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).as_posix()


def is_remark(finding: Finding) -> bool:
    """A MERKNAD: an info-level rule that is not met, such as a rounding difference within tolerance."""
    return finding.status == FAIL and finding.severity == "info"


def location_text(finding: Finding) -> str:
    where = display_path(finding.file) or ""
    return f"{where}:{finding.line}" if where and finding.line else where


LEVEL_WORD = {"target": "ønsket nivå", "acceptable": "akseptabelt", "unacceptable": "ikke godkjent",
              "not_evaluated": "ikke vurdert"}


def key_figures(result) -> list[dict[str, Any]]:
    """The handlingsregler section's items (see keyfigures.py), or [] when no provider added one."""
    section = result.sections.get("key_figures")
    as_json = getattr(section, "as_json", None)
    items = as_json() if as_json else []
    return [i for i in items if isinstance(i, dict) and "id" in i and "year" in i] if isinstance(items, list) else []


def key_figure_table(result) -> tuple[list[int | None], list[tuple[str, str, str, dict[int | None, dict[str, Any]]]]]:
    """(columns, [(id, name, unit, {year: item})]) in the order the section lists the figures; the columns are the
    plan years, then None («hele perioden») when a figure is judged for the whole period."""
    items = key_figures(result)
    years: list[int | None] = sorted({i["year"] for i in items if isinstance(i.get("year"), int)})
    if any(i.get("year") is None for i in items):
        years.append(None)
    rows: dict[str, tuple[str, str, str, dict[int | None, dict[str, Any]]]] = {}
    for item in items:
        fid = str(item["id"])
        if fid not in rows:
            rows[fid] = (fid, str(item.get("name") or item.get("label") or fid), str(item.get("unit") or ""), {})
        rows[fid][3][item.get("year")] = item
    return years, list(rows.values())


def level_text(item: dict[str, Any] | None) -> str | None:
    """The band in the pack's own words (or the standard word); None when no rule judges the figure."""
    if not item or ("rule" in item and item["rule"] is None):
        return None
    return str(item.get("band") or LEVEL_WORD.get(str(item.get("level")), item.get("level") or ""))


def policy_verdicts(result) -> tuple[str | None, list[str]]:
    """The handlingsregler section's summary and one verdict line per rule («oppnås i 2 av 4 år»), if present."""
    section = result.sections.get("handlingsregler")
    as_json = getattr(section, "as_json", None)
    data = as_json() if as_json else None
    if not isinstance(data, dict):
        return None, []
    lines = [f"{r.get('title', r.get('id'))}: {r.get('verdict', '')}" for r in data.get("rules", []) if isinstance(r, dict)]
    summary = (data.get("summary") or {}).get("text") if isinstance(data.get("summary"), dict) else None
    title = data.get("title")
    return (f"{title}: {summary}" if title and summary else summary), lines


def figure_value(item: dict[str, Any] | None) -> str:
    if not item or item.get("value") is None:
        return "–"
    if item.get("shown"):
        return str(item["shown"])  # rounded once, from the unrounded value (JSON's value is already rounded)
    value, unit = item["value"], str(item.get("unit") or "")
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = Decimal(str(value))
        text = f"{number:,.1f}".replace(",", " ").replace(".", ",") if unit in ("%", "prosent") or \
            number != number.to_integral_value() else format_amount(number)
        return f"{text} {unit}".strip()
    return str(value)


def figure_of(finding: Finding) -> str | None:
    """The key figure a handlingsregel finding judges (the figure's value is among the finding's values)."""
    from ..derive import FIGURES

    for name in finding.values:
        if name in FIGURES and FIGURES[name].inputs:
            return name
    return None


def operands(result, finding: Finding) -> list[tuple[str, str]]:
    """What a key-figure finding is computed from, for its year: [(«Lånegjeld ekskl. startlån (UB)», «9 800 000»)].
    Schedule lines are shown in the package's sign convention; figures as computed."""
    from ..derive import FIGURES, describe

    name = figure_of(finding)
    if name is None or result is None:
        return []
    years = [finding.year] if finding.year else list(result.budget.meta.plan_years)
    out = []
    for fact in FIGURES[name].inputs:
        if ":" in fact:  # meta:years, table:drift … are graph edges, not facts
            continue
        values = [(y, result.facts.get(fact, y)) for y in years]
        if all(v is None for _, v in values):
            continue
        label = describe(fact)
        line = ".csv" in label
        text = ", ".join((f"{y}: " if len(years) > 1 else "") + (shown(result.budget, v) if line else format_amount(v))
                         for y, v in values if v is not None)
        out.append((label, text))
    return out


def operands_text(result, finding: Finding) -> str:
    parts = operands(result, finding)
    return ("Grunnlag: " + "; ".join(f"{label} = {value}" for label, value in parts)) if parts else ""
