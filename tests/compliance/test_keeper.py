"""The tally keeper: the saved national tally fed in the background while nobody asks, so
the first answer after an import or a start reads nothing, and a worker behind takes the
tally another kept instead of feeding the same entries.

The history of ``test_saved_tally_provinces`` (the tally saved by an answer), then ASNs of
provinces of their own enrolled and declaring (``declarations_by_new_signers``) with no
figure asked; segments (and so the keeper's step) are four entries (``test_saved.SEGMENT``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import update

from registry.compliance.keeper import TallyKeeper
from registry.config import Settings
from registry.records.errors import TamperedEntry
from registry.records.operator import OperatorKeys
from registry.store.locks import held_lock
from registry.store.tables import ENTRIES
from tests.api.helpers import Registry
from tests.compliance.test_saved import SEGMENT, fill, running
from tests.compliance.test_saved_tally import index_restored
from tests.compliance.test_saved_tally_provinces import (
    computed,
    declarations_by_new_signers,
    saved_history,
    tallied,
)
from tests.records.test_tampering import edit
from tests.waiting import wait_until


def keeper(registry: Registry, lock: Path | None = None) -> TallyKeeper:
    """A keeper of the running registry's tally, a segment's step, no pause."""
    compliance = registry.components.compliance
    return TallyKeeper(compliance, lock, behind=SEGMENT, slice_entries=3, pause_s=0)


def kept_up(registry: Registry, lock: Path | None = None) -> int:
    """One round of :func:`keeper`, on the app's loop; the entries it fed."""
    return registry.client.blocking_portal.call(keeper(registry, lock).keep_up)


KEEPER_DEADLINE_S = 90.0
"""How long the app's keeper (a round a second) may take under a loaded machine."""


def count_calls(target: object, name: str) -> list[object]:
    """The calls of ``target``'s async method ``name`` from now on (their arguments)."""
    calls: list[object] = []
    real = getattr(target, name)

    async def counted(*args: object) -> object:
        calls.append(args)
        return await real(*args)

    setattr(target, name, counted)
    return calls


def test_a_start_after_registrations_nobody_asked_about_answers_without_reading_them(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        saved_at = registry.components.compliance.log_size
        declarations_by_new_signers(registry, 6)
        size = registry.components.compliance.log_size
        segments = registry.components.compliance.saved.segments
        loads = count_calls(segments, "load")
        assert kept_up(registry) == size - saved_at
        assert len(loads) == 1, "the saved tally read once (its restore), not at every slice"
        assert registry.components.compliance.tally_size == size
        assert not index_restored(registry), "the keeper never builds the index"
    with running(settings, operator) as registry:
        table = tallied(registry)
        assert registry.components.compliance.facts.read == 0, "nothing left to feed"
        assert not index_restored(registry)
        assert table == computed(registry)
        assert sum(row["declarations"]["value"] for row in table) >= 6


def test_a_served_registry_keeps_its_tally_in_the_background(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # the keeper as the app runs it (REGISTRY_TALLY_KEEPER_SECONDS), nobody asking a figure
    saved_history(settings, operator)
    kept = replace(settings, tally_keeper_seconds=1)
    with running(kept, operator) as registry:
        declarations_by_new_signers(registry, 3)
        compliance = registry.components.compliance
        wait_until(
            lambda: compliance.tally_size == compliance.log_size,
            "the tally fed up to the log in the background",
            timeout=KEEPER_DEADLINE_S,
        )
        assert not index_restored(registry)
    with running(settings, operator) as registry:
        assert tallied(registry) == computed(registry)
        assert registry.components.compliance.facts.read == 0, "it was saved"


def test_a_worker_behind_takes_the_tally_another_kept(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as first, running(settings, operator) as behind:
        tallied(behind)  # its tally restored: the saved one
        read_before = behind.components.compliance.facts.read
        declarations_by_new_signers(first, 6)
        assert kept_up(first) > SEGMENT
        size = first.components.compliance.log_size
        wait_until(
            lambda: behind.components.compliance.log_size == size,
            "the second worker told of the new entries, as a follower is",
        )
        table = tallied(behind)
        # it took the tally the first worker saved, not the same entries from the log
        assert behind.components.compliance.facts.read - read_before < SEGMENT
        assert not index_restored(behind)
        assert table == computed(first)


def test_the_keeper_leaves_the_tally_to_the_process_holding_its_lock(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], tmp_path: Path
) -> None:
    saved_history(settings, operator)
    lock = tmp_path / "tally-keeper.lock"
    with running(settings, operator) as registry:
        declarations_by_new_signers(registry, 2)
        with held_lock(lock) as held:  # another process keeps it
            assert held
            assert kept_up(registry, lock) == 0
        assert kept_up(registry, lock) > 0


def test_with_no_tally_saved_the_keeper_builds_nothing(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        compliance = registry.components.compliance
        index_before = (compliance.saved._loaded, compliance.index.size)
        assert kept_up(registry) == 0
        assert compliance.tally_size is None, "the first answer makes the tally, not the keeper"
        assert (compliance.saved._loaded, compliance.index.size) == index_before


def test_an_entry_edited_in_the_database_stops_the_keeper_before_it(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        saved_at = registry.components.compliance.log_size
        declarations_by_new_signers(registry, 3)
    edited = saved_at + 4  # a declaration after the saved tally
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == edited).values(statement=b"x"))
    with running(settings, operator) as registry:
        with pytest.raises(TamperedEntry):
            kept_up(registry)
        held = registry.components.compliance.tally_size
        assert held is not None
        assert held <= edited, "no fact at or after the edited entry taken"


class Counted:
    """A tally fed ``step`` entries a call up to ``size``, counting the saves."""

    def __init__(self, size: int, step: int) -> None:
        self.log_size, self.tally_size, self.step = size, 0, step
        self.saves: list[int] = []

    async def keep_tally(self, most: int) -> int | None:
        fed = min(most, self.step, self.log_size - self.tally_size)
        self.tally_size += fed
        return fed

    async def save_kept_tally(self) -> None:
        self.saves.append(self.tally_size)


def test_a_long_catch_up_is_saved_as_it_goes() -> None:
    kept = Counted(size=100, step=7)
    fed = asyncio.run(TallyKeeper(kept, None, behind=30, slice_entries=10, pause_s=0).keep_up())
    assert fed == 100
    assert kept.saves == [35, 70, 100]  # every 30 entries or more, and at the end


def test_a_tally_close_behind_is_left_to_the_next_answer() -> None:
    kept = Counted(size=100, step=7)
    kept.tally_size = 80
    assert asyncio.run(TallyKeeper(kept, None, behind=30, pause_s=0).keep_up()) == 0
    assert kept.saves == []


def test_the_served_registrys_keeper_writes_the_search_table_behind_the_log(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # nobody searches: the keeper writes search_records anyway, so the first search after an
    # import does not wait for it (nor answer 503 while it is written)
    kept = replace(settings, tally_keeper_seconds=1)
    with running(kept, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        records = registry.components.records
        log_size = registry.components.compliance.log_size
        wait_until(
            lambda: records.held == log_size,
            "search_records written by the keeper",
            timeout=KEEPER_DEADLINE_S,
        )
        assert records.caught_up == log_size


def test_the_keeper_leaves_the_search_table_to_the_process_holding_its_lock(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    async def catch_up() -> None:
        calls.append("caught up")

    lock = tmp_path / "tally-keeper.lock"
    keeper = TallyKeeper(Counted(0, 1), lock, behind=4, others=[catch_up])
    with held_lock(lock):
        assert not asyncio.run(keeper.keep_others())
    assert asyncio.run(keeper.keep_others())
    assert calls == ["caught up"]


def test_a_sequencer_with_a_follower_leaves_the_keeping_to_it(tmp_path: Path) -> None:
    calls: list[str] = []

    async def catch_up() -> None:
        calls.append("caught up")

    lock = tmp_path / "tally-keeper.lock"
    followers = [1]
    kept = Counted(size=100, step=7)
    keeper = TallyKeeper(
        kept, lock, behind=30, pause_s=0, others=[catch_up], elsewhere=lambda: followers[0] > 0
    )
    assert asyncio.run(keeper.keep_up()) == 0
    assert not asyncio.run(keeper.keep_others())
    assert (kept.tally_size, calls) == (0, [])
    follower = TallyKeeper(kept, lock, behind=30, pause_s=0, others=[catch_up])
    assert asyncio.run(follower.keep_up()) == 100  # the lock was left free for it
    assert asyncio.run(follower.keep_others())
    followers[0] = 0  # the follower gone: the sequencer keeps again
    kept.log_size = 200
    assert asyncio.run(keeper.keep_up()) == 100
    assert calls == ["caught up"]


def test_the_served_keeper_leaves_its_rounds_to_a_follower_of_its_process(
    settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = replace(settings, tally_keeper_seconds=60)
    with running(kept, operator) as registry:
        keeper = registry.components.keeper
        assert keeper is not None
        assert not keeper.elsewhere()
        service = registry.components.service
        monkeypatch.setattr(type(service), "followers", property(lambda _: 1))
        assert keeper.elsewhere()
