"""Precomputed parser tables for rule-engine, so a cold start does not rebuild its grammar.

rule-engine builds its LALR tables with ply every time it is imported (about 0.3 s, a third of a cold
`check`). ply reads ready tables from the module `rule_engine.parser.parsetab` when their grammar signature
matches the installed grammar; we ship such a module (`_parsetab.py`) and register it before rule_engine is
first imported. If rule-engine's grammar ever changes, the signature differs and ply builds the tables
itself as before: slower, never wrong. Regenerate after a rule-engine upgrade with
`python -c "from budsjettkontroll.rules.parser_tables import generate; generate()"`.
"""

from __future__ import annotations

import sys
from pathlib import Path

TABLE_MODULE = "rule_engine.parser.parsetab"
SHIPPED = Path(__file__).with_name("_parsetab.py")


def install() -> None:
    """Make ply find the shipped tables; a no-op once rule_engine is imported (its parser is built then)."""
    if TABLE_MODULE in sys.modules or "rule_engine.engine" in sys.modules:
        return
    try:
        from . import _parsetab
    except ImportError:  # not generated: ply builds the tables itself
        return
    sys.modules[TABLE_MODULE] = _parsetab


def signatures() -> tuple[str, str | None]:
    """The installed grammar's signature and the shipped tables' signature (None when there are none)."""
    from rule_engine._vendor.ply import yacc
    from rule_engine.parser import Parser

    module = object.__new__(Parser)
    pdict = {k: getattr(module, k) for k in dir(module)}
    pdict["__file__"] = sys.modules[Parser.__module__].__file__
    info = yacc.ParserReflect(pdict, log=yacc.NullLogger())
    info.get_all()
    try:
        from . import _parsetab
    except ImportError:
        return info.signature(), None
    return info.signature(), _parsetab._lr_signature


def generate(target: Path = SHIPPED) -> Path:
    """Build the tables from the installed rule-engine and write them as `target`."""
    import tempfile

    from rule_engine._vendor.ply import yacc
    from rule_engine.parser import Parser

    sys.modules.pop(TABLE_MODULE, None)
    with tempfile.TemporaryDirectory() as tmp:
        yacc.yacc(module=object.__new__(Parser), debug=False, write_tables=True, outputdir=tmp,
                  tabmodule=f"_generated_{target.stem}", errorlog=yacc.NullLogger())
        text = Path(tmp, f"_generated_{target.stem}.py").read_text(encoding="utf-8")
    target.write_text(text.replace(f"_generated_{target.stem}.py", target.name), encoding="utf-8")
    return target
