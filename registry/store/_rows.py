"""Helpers shared by the store's modules: rows to records and back, upserts, time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
V = TypeVar("V")


IN_LIST_CHUNK = 10_000
"""Values per ``IN (...)`` list: PostgreSQL binds at most 32,767 parameters per statement."""


def in_chunks(values: Sequence[V], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[V]]:
    """``values`` in slices of at most ``size``, for one ``IN`` list each."""
    if size < 1:
        raise ValueError("chunk_size must be at least 1")
    for start in range(0, len(values), size):
        yield values[start : start + size]


def now_ms() -> int:
    """The current time in integer milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


@cache
def _names(cls: type[Any]) -> tuple[str, ...]:
    """The field names of the record class ``cls`` (``fields`` costs as much as a row)."""
    return tuple(f.name for f in fields(cls))


def from_row(cls: type[R], row: Row[Any]) -> R:
    """Build the record ``cls`` from a row whose columns are named like its fields."""
    mapping = row._mapping
    factory: Callable[..., R] = cls
    return factory(**{name: mapping[name] for name in _names(cls)})


def values_of(record: DataclassInstance) -> dict[str, Any]:
    """The record's fields as column values (a shallow copy, unlike ``asdict``)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


async def upsert(
    connection: AsyncConnection, table: Table, values: Mapping[str, Any], key: str
) -> None:
    """Insert ``values`` into ``table``, or overwrite the row with the same ``key``."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(dict(values))
    updates = {name: statement.excluded[name] for name in values if name != key}
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[table.c[key]], set_=updates)
    )
