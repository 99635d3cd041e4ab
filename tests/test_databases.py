"""A registry built once a session is copied only for tests that would have built the same one
(``tests/databases.py``, :func:`copied`): another day, other settings or a module binding a
test replaced builds it again."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from registry.compliance import groups
from registry.config import Settings
from tests.databases import copied


def counting(built: list[int]) -> Callable[[Settings], None]:
    """A build that counts its calls and leaves a mark in its data folder."""

    def build(settings: Settings) -> None:
        built.append(1)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "mark").write_text(str(len(built)), encoding="utf-8")

    return build


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_same_state_copies_what_was_built(settings: Settings) -> None:
    built: list[int] = []
    copied("plain", settings, counting(built))
    (settings.data_dir / "mark").unlink()
    copied("plain", settings, counting(built))
    assert built == [1], "built once"
    assert (settings.data_dir / "mark").read_text(encoding="utf-8") == "1", "copied"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replaced_module_binding_builds_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    copied("bound", settings, counting(built))
    monkeypatch.setattr(groups, "BOUND", 1)
    copied("bound", settings, counting(built))
    assert built == [1, 1], "a build under the replaced bound is not the plain one"
    assert (settings.data_dir / "mark").read_text(encoding="utf-8") == "2"
    monkeypatch.undo()
    copied("bound", settings, counting(built))
    assert built == [1, 1], "back to the first"
    assert (settings.data_dir / "mark").read_text(encoding="utf-8") == "1"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_another_today_or_other_settings_build_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    monkeypatch.setattr("registry.compliance.service.today", lambda: "2024-10-05")
    copied("dated", settings, counting(built))
    monkeypatch.setattr("registry.compliance.service.today", lambda: "2024-10-05")
    copied("dated", settings, counting(built))
    assert built == [1], "the same day, whichever function says it"
    monkeypatch.setattr("registry.compliance.service.today", lambda: "2024-10-20")
    copied("dated", settings, counting(built))
    other = dataclasses.replace(settings, batch_wait_ms=settings.batch_wait_ms + 1)
    copied("dated", other, counting(built))
    assert built == [1, 1, 1]
