"""Declarative rule packs (YAML) and the engine that evaluates them."""
