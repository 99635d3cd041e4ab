"""The compliance index saved in sealed segments: restored at start, never from an unvouched one.

A small history (nine entries) served with segments of four entries: after
the first figure, entries 0-3 and 4-7 are saved, and entry 8 as a shorter
segment when the process stops.  Each way of moving a figure through the saved state (its
bytes, its seal, its root, segments of another log of the same operator) must
leave the figures as the log states them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import insert, select, update

from registry.api.app import create_app
from registry.compliance.facts import FollowUp, Key, KeyEnd, Rec, Report, Revoked, Signed, Step
from registry.compliance.saved import decode_facts, encode_facts, format_of
from registry.config import Settings
from registry.records.operator import OperatorKeys, open_keys
from registry.store.engine import create_engine
from registry.store.tables import ENTRIES, FACT_SEGMENTS
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import DAY, SUBJECT, follow_up, recommendation, register
from tests.databases import copied
from tests.records.test_tampering import assert_tampered, edit

SEGMENT = 4
NATIONAL = "/api/compliance/national"


@contextmanager
def running(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    """The registry served with segments of four entries until the block ends (a process)."""
    app = create_app(settings, operator, compliance_segment=SEGMENT)
    with TestClient(app) as client:
        yield Registry(client, operator)


def restored(registry: Registry) -> int:
    """How many entries the running process took from saved segments rather than the log."""
    saved = registry.components.compliance.saved
    assert saved is not None
    return saved.restored


def national(registry: Registry) -> Any:
    """The national figures as of a past day, from the compliance index (restored first, from
    the saved segments these tests are about: since stop 32 a past day is otherwise answered
    from that day's own tally, without the index)."""
    registry.client.blocking_portal.call(registry.components.compliance.snapshot)
    response = registry.client.get(NATIONAL, params={"as_of": "2024-10-31"})
    assert response.status_code == 200, response.text
    return response.json()


def fill(registry: Registry, *, pacts: int = 1, deadline: str = "2024-10-11") -> None:
    """Eleven entries: admin, three keys, the template and election cited, a report, two
    recommendations, a pact, a follow-up (with ``pacts`` > 1, more pacts before the follow-up)."""
    for label, role, instansi in (
        ("recommender", "recommender", "KemenPAN-RB/BKN"),
        ("bawaslu", "bawaslu", "Bawaslu RI"),
    ):
        registry.enrol(label, role, term_end="2099-12-31", instansi=instansi, head_type=None)
    registry.enrol("ppk-jabar", "ppk", term_end="2099-12-31")
    ppk = registry.signer("ppk-jabar").kid
    assert registry.register_citations(registry.sign("ppk-jabar", pact())) == [4, 5]
    report = register(
        registry,
        "bawaslu",
        {
            "type": "report",
            "election": "pilkada-2024",
            "case_number": "NET.2024.00001",
            "reporter": "Bawaslu Provinsi Jawa Barat",
            "instansi": "Pemerintah Provinsi Jawa Barat",
            "province": "Jawa Barat",
            "subject_commitment": SUBJECT,
            "category": "social-media",
            "description": "Membagikan materi kampanye pasangan calon",
            "place": "Instagram",
            "date": "2024-09-20",
        },
    )
    recs = [
        register(
            registry,
            "recommender",
            recommendation(report, ppk_kid=ppk, deadline=deadline),
            NOW_S + 60,
        ),
        register(registry, "recommender", recommendation(ppk_kid=ppk), NOW_S + 120),
    ]
    for n in range(pacts):
        register(registry, "ppk-jabar", pact(place=f"Bandung {n}"), NOW_S + 180 + n)
    register(registry, "ppk-jabar", follow_up(recs[0]), NOW_S + 3 * DAY)


def history(settings: Settings, operator: OperatorKeys) -> Any:
    """Fill a registry, answer one figure (which saves the segments); the figures.  Built once
    a session per backend and per what its building reads, then copied
    (:func:`tests.databases.copied`)."""
    figures = copied(
        "saved-segments", settings, partial(_history, operator=operator), operator.admin.kid
    )
    assert segments(settings) == [(0, 4), (4, 8), (8, 11)], "the rest saved at the stop"
    return figures


def _history(settings: Settings, operator: OperatorKeys) -> Any:
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        figures = national(registry)
        assert restored(registry) == 0
    return figures


async def _rows(settings: Settings) -> list[Any]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(FACT_SEGMENTS).order_by(FACT_SEGMENTS.c.start_idx)
            return list((await connection.execute(query)).all())
    finally:
        await engine.dispose()


def rows(settings: Settings) -> list[Any]:
    return asyncio.run(_rows(settings))


def segments(settings: Settings) -> list[tuple[int, int]]:
    return [(row.start_idx, row.end_idx) for row in rows(settings)]


def test_a_restart_restores_the_saved_segments_and_reads_only_the_rest(
    settings: Settings, operator: OperatorKeys
) -> None:
    figures = history(settings, operator)
    with running(settings, operator) as registry:
        assert national(registry) == figures
        assert restored(registry) == 11
        # the next entries are saved as the index passes a segment's end
        fill_more = [register(registry, "ppk-jabar", pact(place=f"Bogor {n}")) for n in range(4)]
        assert fill_more == [11, 12, 13, 14]
        national(registry)
        assert segments(settings) == [(0, 4), (4, 8), (8, 12)], "whole, it replaced the rest"
    assert segments(settings) == [(0, 4), (4, 8), (8, 12), (12, 15)]
    with running(settings, operator) as registry:
        national(registry)
        assert restored(registry) == 15


def test_an_entry_edited_under_a_saved_segment_moves_no_figure(
    settings: Settings, operator: OperatorKeys
) -> None:
    # The saved facts were taken from entries checked against the log: an edit made later
    # under them is never read for a figure (it is refused where the entry is read).
    figures = history(settings, operator)
    recommended = 7
    edit(
        settings,
        update(ENTRIES).where(ENTRIES.c.idx == recommended).values(payload_json='{"edited":1}'),
    )
    with running(settings, operator) as registry:
        assert national(registry) == figures
        assert_tampered(
            registry.client.get(f"/entries/{recommended}", headers={"accept": "application/json"}),
            recommended,
            "payload_json",
        )


def test_an_entry_edited_after_the_saved_segments_is_still_refused(
    settings: Settings, operator: OperatorKeys
) -> None:
    history(settings, operator)
    with running(settings, operator) as registry:  # answers no figure: saves nothing
        assert register(registry, "ppk-jabar", pact(place="Bogor")) == 11
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 11).values(payload_json='{"x":1}'))
    with running(settings, operator) as registry:
        assert_tampered(registry.client.get(NATIONAL), 11, "payload_json")


def without_recommendation(data: bytes, _: bytes) -> dict[str, bytes]:
    """The segment's facts with a recommendation left out, encoded again (seal kept)."""
    return {"data": encode_facts(f for f in decode_facts(data) if not isinstance(f, Rec))}


def deadline_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The recommendations' deadline moved to before the figures' day, encoded again."""
    facts = decode_facts(data)
    changed = [
        dataclasses.replace(f, deadline="2024-10-01") if isinstance(f, Rec) else f for f in facts
    ]
    assert changed != facts
    return {"data": encode_facts(changed)}


def seal_flipped(_: bytes, seal: bytes) -> dict[str, bytes]:
    return {"seal": seal[:-1] + bytes([seal[-1] ^ 1])}


def root_zeroed(_: bytes, __: bytes) -> dict[str, bytes]:
    return {"root": bytes(32)}


def garbage(_: bytes, __: bytes) -> dict[str, bytes]:
    return {"data": b"not a segment"}


@pytest.mark.parametrize(
    "mutation",
    [without_recommendation, deadline_moved, seal_flipped, root_zeroed, garbage],
    ids=["data-without-recommendation", "data-deadline-moved", "seal-flipped", "root-zeroed",
         "data-garbage"],
)  # fmt: skip
def test_an_edited_segment_moves_no_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, mutation: Any
) -> None:
    figures = history(settings, operator)
    row = rows(settings)[1]
    assert row.start_idx == 4
    edit(
        settings,
        update(FACT_SEGMENTS)
        .where(FACT_SEGMENTS.c.start_idx == 4)
        .values(mutation(bytes(row.data), bytes(row.seal))),
    )
    with running(settings, operator) as registry:
        assert national(registry) == figures
        assert restored(registry) == 4, "the segment before the edited one is used"
    assert rows(settings)[1] == row, "rebuilt from the log and saved as it was"
    with running(settings, operator) as registry:
        assert national(registry) == figures
        assert restored(registry) == 11


def another_log(
    settings: Settings, make_database_url: Any, tmp_path: Path
) -> tuple[Settings, OperatorKeys]:
    """Another registry of the same operator keys, on a new database of the same backend."""
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    for name in ("admin.key", "log.key"):
        shutil.copy(settings.data_dir / name, other_dir / name)
    backend = "postgres" if settings.database_url.startswith("postgresql") else "sqlite"
    other = dataclasses.replace(
        settings, data_dir=other_dir, database_url=make_database_url(backend)
    )
    return other, open_keys(other.data_dir, other.admin_passphrase, other.origin)


def test_segments_of_another_log_of_the_same_operator_are_not_used(
    settings: Settings, operator: OperatorKeys, make_database_url: Any, tmp_path: Path
) -> None:
    # Same keys, another history (its first recommendation due before its follow-up): its
    # segments open (the same seal key) but were made for other roots, and copied into this
    # database they must change nothing.
    figures = history(settings, operator)
    mine = rows(settings)
    other, other_keys = another_log(settings, make_database_url, tmp_path)
    with running(other, other_keys) as registry:
        fill(Registry.bootstrapped(registry.client, other_keys), pacts=2, deadline="2024-09-28")
        assert national(registry) != figures
    foreign = rows(other)
    assert [(r.start_idx, r.end_idx) for r in foreign] == [(0, 4), (4, 8), (8, 12)]
    edit(settings, update(FACT_SEGMENTS).values(format="moved"))
    edit(settings, *(insert(FACT_SEGMENTS).values(r._asdict()) for r in foreign))
    with running(settings, operator) as registry:
        assert national(registry) == figures
        assert restored(registry) == 0
    assert rows(settings) == mine, "rebuilt from the log and saved again; other formats gone"


def test_facts_of_every_kind_survive_the_segment_bytes() -> None:
    facts = [
        Key(0, "2024-01-01", b"k" * 32, "ppk", "A", None, "J", "I", "P", "acting", "a", "b"),
        KeyEnd(1, "2024-01-01", b"k" * 32, "2024-02-01"),
        Report(2, "2024-01-02", "I", None),
        Rec(3, "2024-01-02", "N.1", "I", b"k" * 32, b"s" * 32, "2024-01-10", 2, None),
        FollowUp(4, "2024-01-03", 3, "sanctioned", "2024-01-03", b"k" * 32),
        Step(5, "2024-01-04", b"k" * 32, "I", "warning", (3, 4)),
        Signed(6, "2024-01-04", "pact", b"k" * 32, "I", "pemilu-2024", "2024-01-04"),
        Revoked(7, "2024-01-05", 6),
        Signed(8, "2024-01-05", "declaration", b"d" * 32, "I", "pemilu-2024", "2024-01-05"),
    ]
    assert decode_facts(encode_facts(facts)) == facts


def test_the_format_names_the_default_deadline() -> None:
    assert format_of(14) != format_of(7)
    assert format_of(14) == format_of(14)
