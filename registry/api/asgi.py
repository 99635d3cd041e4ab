"""The app as the workers of `registry serve` import it: settings from the environment.

``registry serve`` runs granian with ``registry.api.asgi:app_from_env`` as a
factory, so every worker process builds its own app (and opens its own
service: one of them takes the sequencer lock, the others follow it), and they
count the rate limits in one file of the data folder.
"""

from __future__ import annotations

from litestar import Litestar

from registry.api.app import create_app
from registry.api.limits_file import FILE_NAME
from registry.config import Settings


def app_from_env() -> Litestar:
    """The registry app for ``Settings.from_env()`` (REGISTRY_* variables, config file)."""
    settings = Settings.from_env()
    # The workers count each client's requests together (registry/api/limits_file.py).
    return create_app(settings, rate_limits_file=settings.data_dir / FILE_NAME)
