"""The rule list as Markdown, generated from the packs: the README's «Reglene» block is this text, so the
documentation cannot drift from the YAML (tests/test_rules.py compares them; scripts/gen_rules_doc.py
rewrites the block)."""

from __future__ import annotations

import datetime as dt
import re

from .loader import Pack, load_pack, rules_dir

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
SCOPES = {"plan": "økonomiplanårene", "budsjett": "budsjettkolonnen", "regnskap": "regnskapskolonnen",
          "opprinnelig": "opprinnelig budsjett", "revidert": "revidert budsjett", "all": "alle år",
          "budget": "budsjettet som helhet"}


def bundled_packs() -> list[Pack]:
    """Every rule pack directly in budsjettkontroll/rules/, as `budsjettkontroll rules` lists them."""
    return [load_pack(p) for p in sorted(rules_dir().glob("*.yaml"))]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _references(rule) -> str:
    return "; ".join(f"[{_cell(r.text)}]({r.url})" if r.url else _cell(r.text) for r in rule.references)


def rules_markdown(packs: list[Pack]) -> str:
    """One table per pack: id, severity, years, legal references with links, title."""
    out: list[str] = []
    for pack in packs:
        spec = pack.spec
        out += [f"### {spec.title} (`{spec.pack}` {spec.version}, {len(pack.rules)} regler)", ""]
        if spec.description:
            out += [_cell(spec.description), ""]
        out += ["| Regel | Alvor | Gjelder | Hjemmel | Tittel |", "|---|---|---|---|---|"]
        for compiled in pack.rules:
            rule = compiled.spec
            years = ", ".join(SCOPES.get(s, s) for s in rule.scopes)
            if rule.documents:  # which documents the rule judges (README «Hvilke regler gjelder hvilket dokument»)
                years += f" ({', '.join(rule.documents)})"
            if rule.valid_to or rule.valid_from != dt.date(2020, 1, 1):
                years += f" (i kraft {rule.valid_from}–{rule.valid_to or ''})"
            out.append(f"| `{rule.id}` | {rule.severity} | {years} | {_references(rule)} | {_cell(rule.title)} |")
        out.append("")
    return "\n".join(out)


def readme_block(readme: str) -> str | None:
    """The generated text between the markers, or None when the README has no such block."""
    match = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), readme, re.S)
    return match.group(1) if match else None


def with_block(readme: str, block: str) -> str:
    """The README with its block replaced (or appended under «## Reglene» when missing)."""
    if readme_block(readme) is None:
        raise ValueError(f"README mangler markørene {START} … {END}")
    return re.sub(re.escape(START) + r"\n.*?" + re.escape(END), lambda _: f"{START}\n{block}{END}", readme, flags=re.S)
