"""Vectorised builders, one per table: plan arrays in, Arrow tables out (schemas from synthcore.spec.tables)."""
