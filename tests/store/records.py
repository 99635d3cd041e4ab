"""Builders of plausible records for the store tests (fixed values, no randomness)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from registry.store import Store
from registry.store.models import CheckpointRecord, EntryRecord, SignerKeyRecord

T0 = 1_717_200_000_000  # 2024-06-01T00:00:00Z in ms
ADMIN_KID = hashlib.sha256(b"admin public key").digest()


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``."""
    return hashlib.sha256(data).digest()


def entry(
    idx: int,
    *,
    type: str = "declaration",
    signer_kid: bytes = ADMIN_KID,
    instansi: str | None = "Pemerintah Provinsi Jawa Barat",
    registered_at: int | None = None,
    statement: bytes | None = None,
) -> EntryRecord:
    """An entry at ``idx`` whose statement bytes are unique to ``idx`` unless given."""
    statement = statement if statement is not None else b"\xd2statement-%d" % idx
    leaf = b"\x85\x01leaf-%d" % idx
    return EntryRecord(
        idx=idx,
        statement=statement,
        statement_sha256=sha256(statement),
        leaf=leaf,
        leaf_hash=sha256(b"\x00" + leaf),
        registered_at=T0 + idx * 1000 if registered_at is None else registered_at,
        type=type,
        signer_kid=signer_kid,
        instansi=instansi,
        payload_json=json.dumps({"type": type, "n": idx}),
        receipt=b"\xd2receipt-%d" % idx,
        content_sha256=sha256(b"signed " + statement),
    )


def entries(start: int, end: int, **kwargs: Any) -> list[EntryRecord]:
    """Entries ``start`` to ``end - 1``."""
    return [entry(i, **kwargs) for i in range(start, end)]


def checkpoint(size: int, *, root: bytes | None = None) -> CheckpointRecord:
    """A checkpoint for ``size`` entries (the root is a stand-in unless given)."""
    root = root if root is not None else sha256(b"root-%d" % size)
    note = f"localhost/pakta-integritas\n{size}\nroot\n\n— localhost/pakta-integritas sig\n"
    return CheckpointRecord(size=size, root=root, note=note, created_at=T0 + size)


def signer_key(
    name: str, enrolment_idx: int, *, instansi: str = "Kabupaten Bandung"
) -> SignerKeyRecord:
    """A PPK's key, enrolled by entry ``enrolment_idx``."""
    public_key = sha256(name.encode())
    return SignerKeyRecord(
        kid=sha256(public_key),
        public_key=public_key,
        role="ppk",
        name=name,
        nip="197001011990031001",
        jabatan="Bupati",
        instansi=instansi,
        decree_number="131.32-1234 Tahun 2021",
        decree_date="2021-02-26",
        term_start="2021-02-26",
        term_end="2026-02-26",
        valid_from=T0,
        valid_until=T0 + 5 * 365 * 86_400_000,
        enrolment_idx=enrolment_idx,
    )


async def stored_key(store: Store, kid: bytes) -> SignerKeyRecord | None:
    """The enrolled key ``kid`` as the store holds it (revoked or not), or ``None``."""
    return next((k for k in await store.list_signer_keys() if k.kid == kid), None)
