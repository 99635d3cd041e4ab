"""granian as `registry serve` runs it, with the sequencer where ``REGISTRY_SEQUENCER`` says.

    python bench/_layout.py <granian arguments> <module:app>

For the registry's app (``_app:app``) with ``REGISTRY_SEQUENCER=apart``
the sequencing process starts first and holds the sequencer lock
(``registry/cli/sequencing.py``), so every granian worker follows it; with
``worker`` (the default) one of the workers sequences.  Any other app (the yardsticks) is served
by granian alone.  The sequencing process is a child of this one, so the
benchmark counts its CPU with the server's.
"""

from __future__ import annotations

import sys

from granian.cli import entrypoint

from registry.cli.sequencing import start_apart, stop_apart
from registry.config import Settings

REGISTRY_APP = "_app:app"


def main() -> None:
    settings = Settings.from_env()
    if sys.argv[-1] != REGISTRY_APP or settings.sequencer != "apart":
        entrypoint()
        return
    sequencer = start_apart(settings)
    print(f"sequencer apart: process {sequencer.pid}", flush=True)
    try:
        entrypoint()
    finally:
        stop_apart(sequencer)


if __name__ == "__main__":
    main()
