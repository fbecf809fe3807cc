"""Rewrite the rule list in README.md (between <!-- rules:start --> and <!-- rules:end -->) from the packs.

    python scripts/gen_rules_doc.py          # rewrite the block
    python scripts/gen_rules_doc.py --check  # exit 1 if the README is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from budsjettkontroll.rules.markdown import bundled_packs, readme_block, rules_markdown, with_block

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    block = rules_markdown(bundled_packs())
    if "--check" in argv:
        if readme_block(text) != block:
            print(f"{README}: regellisten er utdatert; kjør python scripts/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    updated = with_block(text, block)
    if updated != text:
        README.write_text(updated, encoding="utf-8")
        print(f"skrev regellisten i {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
