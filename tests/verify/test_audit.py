"""The auditor alone (registry.verify.audit): a log built in memory, edited one way at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from registry.log.checkpoint import sign_checkpoint
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.audit import AuditFailure, Auditor, Frontier
from registry.verify.leaf import ZERO_HASH, Leaf
from registry.verify.merkle import leaf_hash
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import fixed_key

ORIGIN = "audit.example/log"
LOG = NoteSigner(fixed_key("audit-log"), ORIGIN)
ADMIN = CoseSigner(fixed_key("audit-admin"))
PPK = CoseSigner(fixed_key("audit-ppk"))

Entry = tuple[int, bytes, bytes]


def build(pacts: int = 4) -> tuple[list[Entry], list[str]]:
    """A log: the admin's own enrolment, a PPK's, ``pacts`` pacts; a checkpoint per entry."""
    statements = [
        ADMIN.sign_statement(enrolment(ADMIN.public_key, "admin"), "op", NOW_S),
        ADMIN.sign_statement(enrolment(PPK.public_key, "ppk"), "op", NOW_S),
        *(PPK.sign_statement(pact(place=f"Kota {n}"), "ppk", NOW_S) for n in range(pacts)),
    ]
    return chain(statements)


def chain(
    statements: list[bytes], prev: bytes = ZERO_HASH, start: int = 0
) -> tuple[list[Entry], list[str]]:
    entries: list[Entry] = []
    tree = MerkleTree()
    notes: list[str] = []
    for offset, statement in enumerate(statements):
        leaf = Leaf(start + offset, prev, NOW_S * 1000, hashlib.sha256(statement).digest())
        data = leaf.to_bytes()
        prev = leaf_hash(data)
        tree.append(prev)
        entries.append((start + offset, data, statement))
        notes.append(sign_checkpoint(LOG, ORIGIN, tree.size, tree.root()))
    return entries, notes


def run(entries: list[Entry], notes: list[str], seen: Sequence[str] = ()) -> int:
    auditor = Auditor([LOG.verifier_key], ORIGIN)
    for note in seen:
        auditor.add_checkpoint(note, "seen", independent=True)
    for note in notes:
        auditor.add_checkpoint(note, "store", independent=False)
    for index, leaf, statement in entries:
        auditor.add_entry(index, leaf, statement)
    return auditor.finish().size


def failure(entries: list[Entry], notes: list[str], seen: Sequence[str] = ()) -> tuple[object, str]:
    with pytest.raises(AuditFailure) as caught:
        run(entries, notes, seen)
    return caught.value.finding.index, caught.value.finding.problem


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=600))
def test_the_frontier_root_is_the_tree_root_at_every_size(size: int) -> None:
    frontier, tree = Frontier(), MerkleTree()
    for i in range(size):
        hashed = hashlib.sha256(i.to_bytes(4, "big")).digest()
        frontier.append(hashed)
        tree.append(hashed)
    assert frontier.root() == tree.root(size)


def test_an_intact_log_audits_clean() -> None:
    entries, notes = build()
    assert run(entries, notes) == len(entries)


def test_changed_statement_byte() -> None:
    entries, notes = build()
    index, leaf, statement = entries[3]
    entries[3] = (index, leaf, statement[:-1] + bytes([statement[-1] ^ 1]))
    assert failure(entries, notes) == (3, "statement-hash")


def test_deleted_entry() -> None:
    entries, notes = build()
    del entries[2]
    assert failure(entries, notes) == (2, "missing")


def test_swapped_entries() -> None:
    entries, notes = build()
    entries[2], entries[4] = (2, *entries[4][1:]), (4, *entries[2][1:])
    assert failure(entries, notes) == (2, "leaf-index")


def test_statement_signed_by_a_key_never_enrolled() -> None:
    stranger = CoseSigner(fixed_key("audit-stranger"))
    entries, notes = build(1)
    statements = [s for _, _, s in entries] + [stranger.sign_statement(pact(), "x", NOW_S)]
    entries, notes = chain(statements)
    assert failure(entries, notes) == (3, "signature")


def test_leaf_rechained_after_an_edit_breaks_the_checkpoints() -> None:
    entries, notes = build()
    statements = [s for _, _, s in entries]
    statements[3] = PPK.sign_statement(pact(place="Elsewhere"), "ppk", NOW_S)
    rewritten, _ = chain(statements)
    assert failure(rewritten, notes) == (0, "checkpoint-root")
    # With checkpoints seen at every size before, the first rewritten index is named.
    assert failure(rewritten, [], seen=notes) == (3, "checkpoint-root")


def test_checkpoint_of_another_key() -> None:
    entries, _ = build()
    other = NoteSigner(fixed_key("audit-other"), ORIGIN)
    forged = sign_checkpoint(other, ORIGIN, 2, MerkleTree().root())
    assert failure(entries, [forged]) == (None, "checkpoint-signature")


def test_checkpoint_beyond_the_entries() -> None:
    entries, notes = build()
    assert failure(entries[:-1], notes) == (len(entries) - 1, "checkpoint-beyond")


LOG_OF_SIX = build()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_one_edit_is_named_at_its_index(data: st.DataObject) -> None:
    entries, notes = list(LOG_OF_SIX[0]), LOG_OF_SIX[1]
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 1), label="index")
    kind = data.draw(st.sampled_from(["statement", "delete", "swap", "prev"]), label="kind")
    _, leaf, statement = entries[index]
    if kind == "statement":
        at = data.draw(st.integers(min_value=0, max_value=len(statement) - 1), label="byte")
        changed = bytearray(statement)
        changed[at] ^= data.draw(st.integers(min_value=1, max_value=255), label="xor")
        entries[index] = (index, leaf, bytes(changed))
        expected = index
    elif kind == "delete":
        del entries[index]
        expected = index
    elif kind == "swap":
        other = data.draw(st.integers(min_value=0, max_value=len(entries) - 1), label="other")
        assume(other != index)
        first, second = sorted((index, other))
        moved = (first, *entries[second][1:]), (second, *entries[first][1:])
        entries[first], entries[second] = moved
        expected = first
    else:
        changed = bytearray(leaf)
        changed[5] ^= 0x01  # inside prev_leaf_hash ([1, index, h'…' …]: past the short head)
        entries[index] = (index, bytes(changed), statement)
        expected = index
    with pytest.raises(AuditFailure) as caught:
        run(entries, notes)
    assert caught.value.finding.index == expected
