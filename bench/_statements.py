"""Signed statements for the registry benchmark, all made before anything is timed.

- ``enrolments``: the operator's admin key enrols ``count`` PPK keys (fixed,
  derived from their labels), with the term 2023-09-05..2024-12-31 that
  ``tests/api/helpers.py`` uses;
- ``sign_pool``: ``count`` pacts signed by those PPK keys, each one unique
  (statement ``j`` is signed by key ``j % keys`` and issued ``j // keys``
  seconds before 2024-09-27, well inside the term), signed in worker
  processes and written to a file as 4-byte big-endian lengths and bytes,
  the format ``_wrk.py``'s POST script reads.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing.cose import CoseSigner

NOW_S = 1_727_395_200  # 2024-09-27, inside every benchmark signer's term
HISTORY_HOURS = 24 * 365 * 100
"""The benchmarks register statements dated NOW_S: history, older than the default maximum
statement age (REGISTRY_MAX_STATEMENT_AGE_HOURS), so their registries allow it."""
TEMPLATE_TEXT = "Pakta Integritas Netralitas ASN"
TEMPLATE_SHA256 = hashlib.sha256(TEMPLATE_TEXT.encode()).digest()
ELECTION = "pilkada-2024"
_LENGTH = struct.Struct(">I")
_CHUNK = 2_000


def ppk_key(number: int) -> Ed25519PrivateKey:
    """The benchmark's PPK key ``number`` (the same in every run and process)."""
    seed = hashlib.sha256(f"bench-registry-ppk-{number}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def ppk_signer(number: int) -> CoseSigner:
    """A COSE signer with :func:`ppk_key` ``number``."""
    return CoseSigner(ppk_key(number))


def enrolments(admin: CoseSigner, count: int) -> list[bytes]:
    """Admin-signed enrolments of PPK keys ``0..count-1``, after the template and the
    election their pacts cite (a pact citing either unregistered is refused)."""
    template = {"type": "template", "kind": "pact", "title": "Pakta", "text": TEMPLATE_TEXT}
    election = {
        "type": "election",
        "kind": "pilkada",
        "name": ELECTION,
        "title": "Pilkada Serentak 2024",
        "voting_day": "2024-11-27",
        "campaign_start": "2024-09-25",
        "campaign_end": "2024-11-23",
        "regions": ["Jawa Barat"],
    }
    statements = [admin.sign_statement(p, "operator", NOW_S - 86_400) for p in (template, election)]
    for number in range(count):
        payload: dict[str, Any] = {
            "type": "enrolment",
            "public_key": ppk_signer(number).public_key,
            "role": "ppk",
            "name": f"PPK Bench {number}",
            "jabatan": "Penjabat Bupati",
            "instansi": f"Pemerintah Kabupaten Bench {number}",
            "province": "Jawa Barat",
            "head_type": "pj",
            "decree_number": f"Kepmendagri No. {number}/2023",
            "decree_date": "2023-09-01",
            "term_start": "2023-09-05",
            "term_end": "2024-12-31",
        }
        statements.append(admin.sign_statement(payload, "operator", NOW_S))
    return statements


def _pact(number: int) -> dict[str, Any]:
    return {
        "type": "pact",
        "template": TEMPLATE_SHA256,
        "election": ELECTION,
        "instansi": f"Pemerintah Kabupaten Bench {number}",
        "place": "Bandung",
        "date": "2024-09-27",
        "witnesses": [{"name": "Rahmat Bagja", "jabatan": "Ketua", "instansi": "Bawaslu RI"}],
        # a new pact names its signer, as the key's enrolment does (_enrolments above)
        "signer": {
            "name": f"PPK Bench {number}",
            "jabatan": "Penjabat Bupati",
            "instansi": f"Pemerintah Kabupaten Bench {number}",
        },
    }


def _sign_range(keys: int, start: int, end: int) -> bytes:
    """Statements ``start..end-1`` of the pool, length-prefixed and concatenated."""
    signers = [ppk_signer(n) for n in range(keys)]
    payloads = [_pact(n) for n in range(keys)]
    out = bytearray()
    for j in range(start, end):
        number = j % keys
        statement = signers[number].sign_statement(
            payloads[number], f"ppk-{number}", NOW_S - j // keys
        )
        out += _LENGTH.pack(len(statement)) + statement
    return bytes(out)


def sign_pool(path: Path, keys: int, count: int) -> None:
    """Write ``count`` unique pacts signed by PPK keys ``0..keys-1`` to ``path``."""
    ranges = [(s, min(s + _CHUNK, count)) for s in range(0, count, _CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool, path.open("wb") as out:
        futures = [pool.submit(_sign_range, keys, s, e) for s, e in ranges]
        for future in futures:
            out.write(future.result())


def read_pool(path: Path) -> Iterator[bytes]:
    """The statements in a pool file, in order."""
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        (length,) = _LENGTH.unpack_from(data, pos)
        yield data[pos + 4 : pos + 4 + length]
        pos += 4 + length
