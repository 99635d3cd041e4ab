"""The app as the workers of `registry serve` import it: settings from the environment.

``registry serve`` runs granian with ``registry.api.asgi:app_from_env`` as a
factory, so every worker process builds its own app (and opens its own
service: one of them takes the sequencer lock, the others follow it), and they
count rate limits and wrong passphrases in files of the data folder.
"""

from __future__ import annotations

from litestar import Litestar

from registry.api.app import create_app
from registry.config import Settings


def app_from_env() -> Litestar:
    """The registry app for ``Settings.from_env()`` (REGISTRY_* variables, config file)."""
    settings = Settings.from_env()
    # The workers count each client's requests and wrong passphrases together, in files of
    # the data folder (registry/records/shared_table.py).
    return create_app(settings, counts_dir=settings.data_dir)
