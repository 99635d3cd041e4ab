"""Auditing a whole log: every leaf, the hash chain, the tree, every signature, every checkpoint.

:class:`Auditor` is fed the log's entries in order (each entry's index as its
source numbers it, its leaf bytes and its signed statement bytes) and the
signed checkpoints the auditor has seen (from the store, the pin, a witness,
a previous audit).  It recomputes, for each entry:

1. the leaf decodes (one encoding), names its own index, and chains to the
   leaf hash of the entry before it (the hash chain);
2. the leaf's ``statement_sha256`` is the SHA-256 of the statement bytes;
3. the statement verifies (:func:`registry.verify.statement.verify_statement`)
   with a key enrolled by an earlier entry of the log (the first entry is the
   operator's self-signed enrolment);

and the RFC 9162 tree over all leaf hashes, kept as its right frontier
(O(log n) memory), whose root is compared with every checkpoint the moment
the tree reaches the checkpoint's size.  Each checkpoint's signature is
checked with the log's key when it is added.  The first thing wrong raises
:class:`AuditFailure` naming the first bad index and what is wrong.

A checkpoint whose root the tree does not reproduce only says that one of the
entries below its size differs; the first bad index is then the size of the
largest checkpoint that still matched, from a source other than the one being
audited (a pin, a witness, an earlier audit's state), since the audited store's
own checkpoints may have been re-signed with the fork.  With an earlier audit's
checkpoints of every size, that is the exact index.

Pure: this module needs nothing outside :mod:`registry.verify`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.verify.cbor import decode
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.cose import key_id, parse_sign1
from registry.verify.leaf import ZERO_HASH, decode_leaf
from registry.verify.merkle import EMPTY_ROOT, leaf_hash, node_hash
from registry.verify.note import VerifierKey
from registry.verify.receipt import verify_receipt
from registry.verify.statement import Statement, verify_statement

PROBLEMS = (
    "leaf",
    "leaf-index",
    "chain",
    "statement-hash",
    "signature",
    "leaf-hash",
    "missing",
    "checkpoint-signature",
    "checkpoint-root",
    "checkpoint-beyond",
    "unreadable",
    "receipt",
    "column",
)
"""What can be wrong; each has the message key ``audit.problem.<name>``."""


@dataclass(frozen=True)
class Finding:
    """The first thing wrong: at which index (``None`` when no entry is to blame), what, and why."""

    index: int | None
    problem: str
    detail: str
    evidence: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        """The finding as message fields."""
        return {
            "index": "-" if self.index is None else str(self.index),
            "problem": self.problem,
            "detail": self.detail,
            **self.evidence,
        }


class AuditFailure(Exception):
    """The audit found something wrong; ``finding`` says the first bad index and what."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(f"index {finding.index}: {finding.problem}: {finding.detail}")


@dataclass(frozen=True)
class SeenCheckpoint:
    """A verified signed checkpoint and where the auditor saw it."""

    checkpoint: Checkpoint
    note: str
    source: str
    independent: bool
    """True unless it came from the store being audited (which a forger could re-sign)."""


@dataclass
class AuditReport:
    """What a clean audit covered."""

    size: int
    root: bytes
    checkpoints: int
    signatures: int
    checked: list[SeenCheckpoint]
    receipts: int = 0


class Frontier:
    """An RFC 9162 Merkle tree kept as its right frontier: append leaf hashes, read the root."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees

    def append(self, hashed_leaf: bytes) -> None:
        """Add one leaf hash."""
        height, node = 0, hashed_leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            node = node_hash(left, node)
            height += 1
        self._stack.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        """The root of the tree of all leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _, node in reversed(self._stack[:-1]):
            root = node_hash(node, root)
        return root


class Auditor:
    """Checks a log streamed entry by entry; see the module docstring."""

    def __init__(
        self,
        log_keys: Sequence[VerifierKey],
        origin: str,
        witness_keys: Sequence[VerifierKey] = (),
    ) -> None:
        self.log_keys = list(log_keys)
        self.witness_keys = list(witness_keys)
        self.origin = origin
        self.tree = Frontier()
        self.keys: dict[bytes, bytes] = {}
        self.signatures = 0
        self.receipts = 0
        self._receipts: dict[int, list[tuple[int, bytes]]] = {}
        self._previous = ZERO_HASH
        self._pending: list[SeenCheckpoint] = []
        self._checked: list[SeenCheckpoint] = []
        self._matched_independent: list[int] = []

    @property
    def size(self) -> int:
        """How many entries were checked."""
        return self.tree.size

    def add_checkpoint(self, note: str | bytes, source: str, *, independent: bool) -> None:
        """Verify a signed checkpoint now and compare its root when the tree reaches its size.

        Add every checkpoint before the entries it covers.  Raises
        :class:`AuditFailure` if the log's key did not sign it for this origin,
        or a cosignature by one of ``witness_keys`` on it does not verify.
        """
        text = note.decode("utf-8", "replace") if isinstance(note, bytes) else note
        verdict = verify_checkpoint(text, self.log_keys, self.witness_keys, origin=self.origin)
        if not verdict.ok or verdict.value is None:
            raise AuditFailure(
                Finding(None, "checkpoint-signature", verdict.detail, {"source": source})
            )
        seen = SeenCheckpoint(verdict.value, text, source, independent)
        if seen.checkpoint.size < self.tree.size:
            raise ValueError("add checkpoints before the entries they cover")
        self._pending.append(seen)
        self._pending.sort(key=lambda c: (c.checkpoint.size, not c.independent))
        self._compare_due()

    def add_entry(
        self,
        index: int,
        leaf: bytes,
        statement: bytes,
        receipt: bytes | None = None,
        columns: Mapping[str, object] | None = None,
    ) -> bytes:
        """Check the entry the source numbers ``index``; return its leaf hash.

        With ``receipt`` (a database keeps each entry's), it must be the log's
        signature over this leaf under the tree's root at the receipt's size.
        With ``columns`` (a database's copies of what the statement and leaf
        say: ``statement_sha256``, ``registered_at``, ``type``, ``signer_kid``),
        each must be what they say.  Raises :class:`AuditFailure` at the first
        thing wrong.
        """
        expected = self.tree.size
        if index != expected:
            raise AuditFailure(
                Finding(expected, "missing", f"the next entry read is numbered {index}")
            )
        decoded = decode_leaf(leaf)
        if not decoded.ok or decoded.value is None:
            raise AuditFailure(Finding(expected, "leaf", decoded.detail))
        parsed = decoded.value
        if parsed.index != expected:
            raise AuditFailure(
                Finding(expected, "leaf-index", f"the leaf says it is entry {parsed.index}")
            )
        if parsed.prev_leaf_hash != self._previous:
            raise AuditFailure(
                Finding(
                    expected,
                    "chain",
                    f"the leaf does not seal the leaf hash of entry {expected - 1}: "
                    "one of the two leaves was changed",
                    {"sealed": parsed.prev_leaf_hash.hex(), "previous": self._previous.hex()},
                )
            )
        digest = hashlib.sha256(statement).digest()
        if parsed.statement_sha256 != digest:
            raise AuditFailure(
                Finding(
                    expected,
                    "statement-hash",
                    "the statement's SHA-256 is not the one the leaf records",
                    {"leaf": parsed.statement_sha256.hex(), "statement": digest.hex()},
                )
            )
        verified = self._check_signature(expected, statement)
        if columns is not None:
            _check_columns(
                expected,
                columns,
                {
                    "statement_sha256": digest,
                    "registered_at": parsed.registered_at,
                    "type": verified.statement_type,
                    "signer_kid": verified.kid,
                },
            )
        if receipt is not None:
            self._check_receipt(expected, receipt, statement, leaf)
        hashed = leaf_hash(leaf)
        self._previous = hashed
        self.tree.append(hashed)
        self._compare_due()
        return hashed

    def leaf_hash_differs(self, index: int, stored: bytes, computed: bytes) -> None:
        """Raise :class:`AuditFailure` for a stored copy of a leaf hash that is not the leaf's."""
        if stored != computed:
            raise AuditFailure(
                Finding(
                    index,
                    "leaf-hash",
                    "the stored leaf hash (column or level-0 tile) is not the hash of the leaf",
                    {"stored": stored.hex(), "computed": computed.hex()},
                )
            )

    def finish(self) -> AuditReport:
        """End of the entries: every checkpoint must have been reached.

        Raises :class:`AuditFailure` for a checkpoint of more entries than the
        source holds (entries deleted at the end, or a store rolled back).
        """
        if self._receipts:
            size = min(self._receipts)
            index = self._receipts[size][0][0]
            raise AuditFailure(
                Finding(
                    index,
                    "receipt",
                    f"the receipt is for a tree of {size} entries, the source holds "
                    f"{self.tree.size}",
                )
            )
        if self._pending:
            beyond = self._pending[0]
            raise AuditFailure(
                Finding(
                    self.tree.size,
                    "checkpoint-beyond",
                    f"a checkpoint signed for {beyond.checkpoint.size} entries, "
                    f"the source holds {self.tree.size}",
                    {"source": beyond.source, "size": str(beyond.checkpoint.size)},
                )
            )
        return AuditReport(
            self.tree.size,
            self.tree.root(),
            len(self._checked),
            self.signatures,
            self._checked,
            self.receipts,
        )

    def _check_signature(self, index: int, statement: bytes) -> Statement:
        if index == 0:
            # The log's first entry is the operator enrolling its own admin key.
            parsed = parse_sign1(statement, "signed statement")
            message = parsed.value
            if parsed.ok and message is not None and message.kid is not None:
                payload = _payload(message.payload)
                public_key = payload.get("public_key") if payload else None
                if isinstance(public_key, bytes) and key_id(public_key) == message.kid:
                    self.keys.setdefault(message.kid, public_key)
        verdict = verify_statement(statement, self.keys.get)
        if not verdict.ok or verdict.value is None:
            evidence = {k: v for k, v in verdict.evidence.items() if isinstance(v, str)}
            raise AuditFailure(Finding(index, "signature", verdict.detail, evidence))
        self.signatures += 1
        verified = verdict.value
        if verified.statement_type == "enrolment":
            public_key = verified.payload.get("public_key")
            if isinstance(public_key, bytes) and len(public_key) == 32:
                self.keys[key_id(public_key)] = public_key
        return verified

    def _check_receipt(self, index: int, receipt: bytes, statement: bytes, leaf: bytes) -> None:
        keys = {key_id(k.public_key): k.public_key for k in self.log_keys}
        verdict = verify_receipt(receipt, keys, statement=statement, origin=self.origin)
        info = verdict.value
        if not verdict.ok or info is None:
            raise AuditFailure(Finding(index, "receipt", verdict.detail))
        if info.index != index or info.leaf_bytes != leaf:
            raise AuditFailure(Finding(index, "receipt", "the receipt is for another leaf"))
        self._receipts.setdefault(info.tree_size, []).append((index, info.root))
        self.receipts += 1

    def _compare_receipts(self, size: int, root: bytes) -> None:
        for index, signed in self._receipts.pop(size, []):
            if signed != root:
                raise AuditFailure(
                    Finding(
                        index,
                        "receipt",
                        f"the receipt's root for size {size} is not the tree's",
                        {"signed_root": signed.hex(), "root": root.hex()},
                    )
                )

    def _compare_due(self) -> None:
        size = self.tree.size
        if size in self._receipts:
            self._compare_receipts(size, self.tree.root())
        while self._pending and self._pending[0].checkpoint.size == size:
            seen = self._pending.pop(0)
            root = self.tree.root()
            if root != seen.checkpoint.root:
                start = max((s for s in self._matched_independent if s < size), default=0)
                raise AuditFailure(
                    Finding(
                        start,
                        "checkpoint-root",
                        f"the first {size} entries do not have the root signed for that size; "
                        f"they match up to {start} entries, so an entry from {start} "
                        f"to {size - 1} differs",
                        {
                            "source": seen.source,
                            "size": str(size),
                            "signed_root": seen.checkpoint.root.hex(),
                            "root": root.hex(),
                        },
                    )
                )
            self._checked.append(seen)
            if seen.independent:
                self._matched_independent.append(size)


def _check_columns(index: int, stored: Mapping[str, object], derived: Mapping[str, object]) -> None:
    """Raise :class:`AuditFailure` for a stored column that is not what the log says."""
    for name, value in derived.items():
        if name in stored and stored[name] != value:
            shown = stored[name]
            raise AuditFailure(
                Finding(
                    index,
                    "column",
                    f"the stored {name} is not what the statement and its leaf say",
                    {
                        "column": name,
                        "stored": shown.hex() if isinstance(shown, bytes) else str(shown),
                        "derived": value.hex() if isinstance(value, bytes) else str(value),
                    },
                )
            )


def _payload(data: bytes | None) -> dict[Any, Any] | None:
    if data is None:
        return None
    decoded = decode(data, "payload")
    return decoded.value if decoded.ok and isinstance(decoded.value, dict) else None
