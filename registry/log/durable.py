"""A folder flushed to disk, so that a rename or a file created in it survives a power cut.

A file's own ``fsync`` makes its bytes durable, not its name: the folder's entry that a
rename or a creation changed is data of the folder, flushed by an ``fsync`` of the folder.
The pin (:mod:`registry.log.pin`), the witness store (:mod:`registry.log.witness_store`) and
the operator's key files (``registry.records.operator``) are replaced this way.
"""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(directory: Path) -> None:
    """Flush ``directory``'s entries (a rename or a creation in it) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
