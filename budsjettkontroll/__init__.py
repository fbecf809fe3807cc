"""budsjettkontroll: rules as code for Norwegian municipal budgets."""

__version__ = "0.1.0"


def section_providers() -> list:
    """Modules that add rule packs and report sections (handlingsregler, selvkost) register here by existing.

    Each provider module defines `packs(budget, policy) -> list[str]` and `add_sections(result) -> None`.
    """
    import importlib

    providers = []
    for name in ("keyfigures", "selvkost", "arsregnskap"):
        try:
            providers.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return providers
