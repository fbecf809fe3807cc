"""pandera schemas for the budget tables, built per table from the statutory catalogue and the declared years."""

from .tables import schema_for, validate_tables

__all__ = ["schema_for", "validate_tables"]
