"""Fixtures of the saved-tally tests: the operator's keys and the registry's "today"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

BEFORE_DUE = "2024-10-05"
"""After every fact of ``test_saved.fill``, before its open recommendation is due (2024-10-11)."""


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the registry's "today" (WIB) for the compliance figures and the dashboard."""

    def set_today(day: str) -> None:
        for where in ("registry.compliance.service.today", "registry.api.dashboard.today"):
            monkeypatch.setattr(where, lambda: day)

    set_today(BEFORE_DUE)
    return set_today
