"""Alembic environment and revisions for the opsbot schema (driven by storage.migrate)."""
