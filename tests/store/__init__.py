"""Tests of registry.store, each run on SQLite and PostgreSQL."""
