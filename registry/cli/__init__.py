"""The `registry` command line: one module per group of commands, gathered in :mod:`.main`."""

from registry.cli.main import main

__all__ = ["main"]
