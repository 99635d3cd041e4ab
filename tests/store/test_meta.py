"""The registry's named facts (``registry_meta``): written whole, read back, replaced."""

from __future__ import annotations

from registry.store import Store


async def test_unwritten_name_reads_none(store: Store) -> None:
    assert await store.get_meta("demo") is None


async def test_value_reads_back_and_is_replaced_whole(store: Store) -> None:
    await store.put_meta("demo", '{"state": "loading"}')
    assert await store.get_meta("demo") == '{"state": "loading"}'
    await store.put_meta("demo", '{"state": "complete"}')
    assert await store.get_meta("demo") == '{"state": "complete"}'
    assert await store.get_meta("other") is None
