"""What changed what was judged, and where it came from: --ignore/--select, --pack, --policy, waivers, tolerance,
--fail-on, from the command line, the environment or a configuration file.

A report that leaves rules out must say so next to its conclusion (issue 14 item 2): a deliberately unbalanced
budget with the balance rule ignored must not read «ingen lovbrudd funnet» without «(N regler utelatt)».
Every renderer reads the same entries from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LABEL = {
    "ignore": "Hoppet over (--ignore)",
    "select": "Bare disse reglene (--select)",
    "pack": "Ekstra regelpakke (--pack)",
    "policy": "Handlingsregel-pakke (--policy)",
    "waivers": "Unntaksfil (--waivers)",
    "tolerance": "Avrundingstoleranse (--tolerance)",
    "fail_on": "Terskel for exit-kode 1 (--fail-on)",
}
ORDER = ("ignore", "select", "pack", "policy", "waivers", "tolerance", "fail_on")


def source_text(source: str | None) -> str:
    """«kommandolinjen», «miljøvariabelen BUDSJETTKONTROLL_IGNORE», «konfigurasjonsfilen …/pyproject.toml
    [tool.budsjettkontroll]»."""
    if not source or source == "standard":
        return "standard"
    if source == "kommandolinjen":
        return "kommandolinjen"
    if source.startswith("BUDSJETTKONTROLL_"):
        return f"miljøvariabelen {source}"
    path = Path(source)
    shown = _relative(path)
    if path.name == "pyproject.toml":
        return f"konfigurasjonsfilen {shown} [tool.budsjettkontroll]"
    return f"konfigurasjonsfilen {shown}"


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def from_settings(settings, extra_packs: list[str] | None = None) -> list[dict[str, Any]]:
    """The entries of config.Settings (and --pack) that differ from the defaults, each with its source."""
    entries: list[dict[str, Any]] = []
    for key in ORDER:
        if key == "pack":
            if extra_packs:
                entries.append(_entry("pack", list(extra_packs), "kommandolinjen"))
            continue
        value = getattr(settings, key, None)
        source = settings.sources.get(key)
        if value in (None, [], ()) or source is None:
            continue
        if key == "fail_on" and value == "error":
            continue
        if key == "waivers":
            value = _relative(Path(value))
        entries.append(_entry(key, value, source))
    return entries


def _entry(key: str, value: Any, source: str) -> dict[str, Any]:
    return {"key": key, "label": LABEL[key], "value": value, "source": source_text(source)}


def left_out(result) -> list[str]:
    """Ids of the rules in the applied packs that --select/--ignore kept from running."""
    options = getattr(result, "options", None)
    if options is None or not (options.select or options.ignore):
        return []
    from ..rules.engine import _wanted

    return [c.spec.id for p in result.packs for c in p.rules if not _wanted(c.spec.id, options)]


def entries_for(result, options: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's settings as given to the renderer, plus what only the result knows (waived findings)."""
    entries = [dict(e) for e in options.get("settings") or []]
    waived = sum(1 for f in result.findings if f.status == "waived")
    for entry in entries:
        if entry["key"] == "waivers":
            entry["effect"] = f"{waived} funn unntatt"
        if entry["key"] in ("ignore", "select"):
            entry["effect"] = _left_out_text(left_out(result))
    if not any(e["key"] in ("ignore", "select") for e in entries):
        gone = left_out(result)  # Options given without settings (a library caller): still say so
        if gone:
            entries.insert(0, {"key": "ignore", "label": "Regler utelatt", "value": [], "source": "ukjent",
                               "effect": _left_out_text(gone)})
    return entries


def _left_out_text(ids: list[str]) -> str:
    if not ids:
        return "ingen regler utelatt"
    shown = ", ".join(ids[:8]) + (f" og {len(ids) - 8} til" if len(ids) > 8 else "")
    return f"{len(ids)} {'regel' if len(ids) == 1 else 'regler'} utelatt: {shown}"


def value_text(entry: dict[str, Any]) -> str:
    value = entry["value"]
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def lines(result, options: dict[str, Any]) -> list[str]:
    """One line per setting: «Hoppet over (--ignore): KL-14-4 — 2 regler utelatt: … (fra kommandolinjen)»."""
    out = []
    for entry in entries_for(result, options):
        value = value_text(entry)
        effect = entry.get("effect")
        text = f"{entry['label']}: {value}" if value else entry["label"]
        if effect:
            text += f" — {effect}"
        out.append(f"{text} (fra {entry['source']})")
    return out


def as_json(result, options: dict[str, Any]) -> dict[str, Any]:
    config = options.get("config_file")
    return {"config_file": str(config) if config else None, "entries": entries_for(result, options),
            "rules_left_out": left_out(result)}
