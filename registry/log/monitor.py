"""Following a log from a checkpoint: consistency on the way, each new entry checked and reported.

:class:`Monitor` keeps the last checkpoint it verified (and the leaf hash of
the last entry it saw).  Each :meth:`Monitor.poll` reads the server's latest
checkpoint, checks it is signed by the log's key and extends the one kept
(an RFC 9162 consistency proof from ``/proofs/consistency``; a smaller tree or
another root for the same size is a fork: :class:`MonitorAlarm`), then reads
the new entries and checks each one: its leaf names its index and seals the
leaf before it, its statement is the one the leaf records, the leaf is in the
new tree (an inclusion proof), and the statement's signature holds under the
key the server names as its signer.  What it reports per entry (type, signer,
the signer's instansi) comes from the verified statement, except the signer's
name and instansi, which are the enrolment the server shows for that key.

A monitor that starts from a size without a checkpoint (``start_size``) takes
the first checkpoint it reads as its anchor: from there on, everything is
checked against it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.log.audit_sources import ServerSource
from registry.log.tiles import TILE_WIDTH
from registry.verify.checkpoint import Checkpoint, verify_checkpoint, verify_checkpoint_consistency
from registry.verify.cose import key_id
from registry.verify.leaf import ZERO_HASH, decode_leaf
from registry.verify.merkle import leaf_hash, verify_inclusion
from registry.verify.note import VerifierKey
from registry.verify.statement import verify_statement
from registry.verify.trust import unb64url


class MonitorAlarm(Exception):
    """The log is not what the monitor can vouch for: a fork, a bad entry, a bad signature.

    ``index`` is the entry at fault, if one is.
    """

    def __init__(self, detail: str, index: int | None = None) -> None:
        self.detail = detail
        self.index = index
        super().__init__(detail)


@dataclass(frozen=True)
class SeenEntry:
    """A new entry, checked: what the monitor reports."""

    index: int
    type: str
    signer: str
    """The signer's kid (hex)."""
    signer_name: str
    instansi: str
    registered_at: int

    def as_json(self) -> dict[str, Any]:
        """The entry as one JSON line's object."""
        return {
            "index": self.index,
            "type": self.type,
            "signer": self.signer,
            "signer_name": self.signer_name,
            "instansi": self.instansi,
            "registered_at": self.registered_at,
        }


@dataclass
class MonitorState:
    """Where the monitor stands: the last checkpoint verified, the size seen, the last leaf hash.

    ``chained`` says whether ``last_leaf_hash`` is known (it is not for a
    monitor told to start at a size: it then reads the entry before as its anchor).
    """

    note: str | None = None
    size: int = 0
    last_leaf_hash: bytes = ZERO_HASH
    chained: bool = True

    @classmethod
    def starting_at(cls, size: int) -> MonitorState:
        """A monitor that reports the entries from index ``size`` on."""
        return cls(size=size, chained=size == 0)

    @classmethod
    def load(cls, path: Path) -> MonitorState:
        """Read a state file written by :meth:`save`."""
        data = json.loads(path.read_text("utf-8"))
        return cls(
            data["checkpoint"],
            int(data["size"]),
            bytes.fromhex(data["last_leaf_hash"]),
            bool(data.get("chained", True)),
        )

    def save(self, path: Path) -> None:
        """Write the state file (replaced whole)."""
        data = {
            "checkpoint": self.note,
            "size": self.size,
            "last_leaf_hash": self.last_leaf_hash.hex(),
            "chained": self.chained,
        }
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(data), "utf-8")
        temporary.replace(path)


class Monitor:
    """Follows one log on one server; see the module docstring."""

    def __init__(
        self,
        source: ServerSource,
        log_keys: Sequence[VerifierKey],
        origin: str,
        state: MonitorState,
    ) -> None:
        self.source = source
        self.log_keys = list(log_keys)
        self.origin = origin
        self.state = state

    def _verify(self, note: str) -> Checkpoint:
        verdict = verify_checkpoint(note, self.log_keys, origin=self.origin)
        if not verdict.ok or verdict.value is None:
            raise MonitorAlarm(f"the server's checkpoint does not verify: {verdict.detail}")
        return verdict.value

    async def poll(self) -> list[SeenEntry]:
        """Read the latest checkpoint; check and return the entries new since the last one."""
        note = (await self.source.checkpoints())[0]
        new = self._verify(note)
        old = self._verify(self.state.note) if self.state.note is not None else None
        if old is not None:
            await self._check_consistent(old, new)
        start = self.state.size
        if new.size < start:
            raise MonitorAlarm(f"the log has {new.size} entries, {start} were already seen")
        seen = await self._entries(start, new)
        self.state.note = note
        self.state.size = new.size
        return seen

    async def _check_consistent(self, old: Checkpoint, new: Checkpoint) -> None:
        if new.size < old.size:
            raise MonitorAlarm(
                f"the log shrank from {old.size} to {new.size} entries (rolled back or forked)"
            )
        proof: list[bytes] = []
        if 0 < old.size < new.size:
            path = f"/proofs/consistency?old={old.size}&new={new.size}"
            answer = json.loads(await self.source.get(path))
            proof = [unb64url(h) for h in answer["path"]]
        if old.size == new.size and old.root != new.root:
            raise MonitorAlarm(f"two roots signed for size {old.size}: the log forked")
        if old.size < new.size:
            verdict = verify_checkpoint_consistency(old, new, proof)
            if not verdict.ok:
                raise MonitorAlarm(
                    f"the log does not extend what it showed before: {verdict.detail}"
                )

    async def _entries(self, start: int, new: Checkpoint) -> list[SeenEntry]:
        seen: list[SeenEntry] = []
        if start >= new.size:
            return seen
        first = start if self.state.chained else start - 1
        for number in range(first // TILE_WIDTH, (new.size + TILE_WIDTH - 1) // TILE_WIDTH):
            width = min(TILE_WIDTH, new.size - number * TILE_WIDTH)
            for entry in await self.source.bundle(number, width, first):
                if entry.index < first:
                    continue
                seen_entry = await self._check(entry.index, entry.leaf, entry.statement, new)
                if entry.index >= start:
                    seen.append(seen_entry)
        return seen

    async def _check(self, index: int, leaf: bytes, statement: bytes, new: Checkpoint) -> SeenEntry:
        parsed = decode_leaf(leaf)
        if not parsed.ok or parsed.value is None or parsed.value.index != index:
            raise MonitorAlarm(f"the leaf of entry {index} is not its own", index)
        decoded = parsed.value
        if self.state.chained and decoded.prev_leaf_hash != self.state.last_leaf_hash:
            raise MonitorAlarm(f"entry {index} does not seal the entry before it", index)
        if decoded.statement_sha256 != hashlib.sha256(statement).digest():
            raise MonitorAlarm(f"entry {index}'s statement is not the one its leaf records", index)
        hashed = leaf_hash(leaf)
        path = f"/proofs/inclusion?index={index}&size={new.size}"
        proof = [unb64url(h) for h in json.loads(await self.source.get(path, index))["path"]]
        if not verify_inclusion(index, new.size, hashed, proof, new.root).ok:
            raise MonitorAlarm(f"entry {index} is not in the tree of the checkpoint", index)
        view = json.loads(await self.source.get(f"/entries/{index}", index, "application/json"))
        self.state.last_leaf_hash = hashed
        self.state.chained = True
        return self._described(index, statement, view, decoded.registered_at)

    def _described(self, index: int, statement: bytes, view: dict[str, Any], at: int) -> SeenEntry:
        signer = view.get("signer") or {}
        public_key = unb64url(signer["public_key"]) if signer.get("public_key") else b""
        keys = {key_id(public_key): public_key} if public_key else {}
        verdict = verify_statement(statement, keys)
        if not verdict.ok or verdict.value is None:
            raise MonitorAlarm(
                f"entry {index}'s signature does not verify: {verdict.detail}", index
            )
        verified = verdict.value
        instansi = signer.get("instansi") or verified.payload.get("instansi") or ""
        return SeenEntry(
            index,
            verified.statement_type,
            verified.kid.hex(),
            str(signer.get("name", "")),
            str(instansi),
            at,
        )
