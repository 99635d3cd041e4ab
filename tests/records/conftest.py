"""Fixtures of the records tests: a registry whose log spans more than two leaf tiles."""

from __future__ import annotations

import pytest

from registry.config import Settings
from registry.log import tiled_store
from registry.log.tiled_store import TILE_LEAVES
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry, pact
from tests.databases import BuiltOnce
from tests.records.test_tampering import registered, running

ENTRIES_PAST = 2 * TILE_LEAVES + 40
"""Pacts registered by :func:`big_log`: tiles 0 and 1 are full and settled, and leave memory."""
LOG_SIZE = ENTRIES_PAST + 4
"""Its entries: the bootstrap's, the PPK's enrolment's and the pacts."""


@pytest.fixture
def one_tile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiled_store, "DEFAULT_CACHED_TILES", 1)


def _build_big_log(settings: Settings, operator: OperatorKeys) -> None:
    with running(settings, operator) as first:
        registry = Registry.bootstrapped(first.client, operator)
        registry.enrol("ppk-jabar", "ppk", term_end="2099-12-31")
        for i in range(ENTRIES_PAST):
            registered(registry, "ppk-jabar", pact(place=f"Kota {i}"))


@pytest.fixture
def big_log(
    settings: Settings, operator: OperatorKeys, one_tile: None, built_once: BuiltOnce
) -> None:
    """A registry of :data:`LOG_SIZE` entries, stopped: the bootstrap, the enrolment of PPK
    ``ppk-jabar`` and its pacts (built once a session per backend, copied for each test)."""
    built_once("big-log", settings, lambda template: _build_big_log(template, operator))
