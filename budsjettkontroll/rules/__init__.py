"""Declarative rule packs (YAML) and the engine that evaluates them."""

from .parser_tables import install as _install_parser_tables

_install_parser_tables()  # before any submodule imports rule_engine
