"""The pinned checkpoint (outside the database) and the checks against it.

Negative cases are named after the mutation they make to the pin or the tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.log.checkpoint import sign_checkpoint
from registry.log.integrity import LogContradiction, check_pinned, check_stored_checkpoint
from registry.log.pin import MAX_PIN_SIZE, CheckpointPin, pin_path
from registry.log.state import LogState
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.store.models import CheckpointRecord, LogSnapshot
from registry.verify.checkpoint import Checkpoint
from tests.factories import fixed_key

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
VERIFIER = LOG.verifier_key


def _tree(size: int, salt: str = "") -> MerkleTree:
    tree = MerkleTree()
    tree.extend([hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(size)])
    return tree


def _record(tree: MerkleTree, size: int, signer: NoteSigner = LOG) -> CheckpointRecord:
    root = tree.root(size)
    return CheckpointRecord(size, root, sign_checkpoint(signer, ORIGIN, size, root), 0)


def _pin(tmp_path: Path) -> CheckpointPin:
    return CheckpointPin(pin_path(tmp_path, ORIGIN), VERIFIER, ORIGIN)


def test_a_pinned_checkpoint_reads_back(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    assert pin.read() is None
    record = _record(_tree(5), 5)
    pin.write(record.note)
    assert pin.read() == Checkpoint(ORIGIN, 5, record.root)
    assert pin.note() == record.note
    assert [p.name for p in tmp_path.iterdir()] == [pin.path.name]  # no temporary file left


def test_a_new_pin_replaces_the_old(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    tree = _tree(9)
    pin.write(_record(tree, 5).note)
    pin.write(_record(tree, 9).note)
    pinned = pin.read()
    assert pinned is not None
    assert pinned.size == 9


def test_each_log_has_its_own_pin(tmp_path: Path) -> None:
    assert pin_path(tmp_path, ORIGIN) != pin_path(tmp_path, "other.example/log")


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda note: note.replace("\n5\n", "\n50\n"), id="size-changed"),
        pytest.param(lambda note: note[: note.index("\u2014")], id="signature-dropped"),
        pytest.param(lambda note: "garbage", id="not-a-note"),
        pytest.param(lambda note: note.replace(ORIGIN, "other.example/log"), id="other-origin"),
        pytest.param(lambda note: note + "x" * MAX_PIN_SIZE, id="oversized"),
    ],
)
def test_a_pin_that_does_not_verify_is_refused(
    tmp_path: Path, mutate: Callable[[str], str]
) -> None:
    # Written as the previous release's single-note file; both slots of the new one:
    # tests/log/test_pin_slots.py.
    pin = _pin(tmp_path)
    note = _record(_tree(5), 5).note
    pin.path.write_text(mutate(note))
    with pytest.raises(LogContradiction, match="is not a checkpoint of this log") as refused:
        pin.read()
    assert refused.value.evidence["pin_file"] == str(pin.path)


def test_a_pin_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    other = NoteSigner(fixed_key("other-log"), ORIGIN)
    pin.path.write_text(_record(_tree(5), 5, other).note)
    with pytest.raises(LogContradiction, match="is not a checkpoint of this log"):
        pin.read()


def test_a_tree_extending_the_pin_passes() -> None:
    tree = _tree(9)
    check_pinned(tree, Checkpoint(ORIGIN, 5, tree.root(5)), "pin")
    check_pinned(tree, Checkpoint(ORIGIN, 9, tree.root(9)), "pin")


def test_tree_shorter_than_the_pin_is_refused() -> None:
    longer = _tree(9)
    with pytest.raises(LogContradiction) as refused:
        check_pinned(_tree(8), Checkpoint(ORIGIN, 9, longer.root(9)), "pin")
    assert refused.value.evidence["size"] == "8"
    assert refused.value.evidence["pinned_size"] == "9"
    assert refused.value.message.key == "log.pin-ahead"


def test_tree_with_another_root_at_the_pinned_size_is_refused() -> None:
    with pytest.raises(LogContradiction) as refused:
        check_pinned(_tree(9, salt="x"), Checkpoint(ORIGIN, 5, _tree(5).root(5)), "pin")
    evidence = refused.value.evidence
    assert evidence["root"] != evidence["pinned_root"]
    assert refused.value.message.key == "log.pin-root"


def test_a_stored_checkpoint_matching_the_tree_passes() -> None:
    tree = _tree(7)
    check_stored_checkpoint(tree, _record(tree, 7), VERIFIER, ORIGIN)


def test_stored_checkpoint_over_other_leaves_is_refused() -> None:
    record = _record(_tree(7, salt="x"), 7)
    with pytest.raises(LogContradiction) as refused:
        check_stored_checkpoint(_tree(7), record, VERIFIER, ORIGIN)
    assert refused.value.message.key == "log.checkpoint-root"


def test_stored_checkpoint_signed_by_another_key_is_refused() -> None:
    tree = _tree(7)
    record = _record(tree, 7, NoteSigner(fixed_key("other-log"), ORIGIN))
    with pytest.raises(LogContradiction) as refused:
        check_stored_checkpoint(tree, record, VERIFIER, ORIGIN)
    assert refused.value.message.key == "log.checkpoint-unsigned"


def test_stored_checkpoint_row_unlike_its_note_is_refused() -> None:
    tree = _tree(7)
    signed = _record(tree, 7)
    record = CheckpointRecord(6, tree.root(6), signed.note, 0)
    with pytest.raises(LogContradiction) as refused:
        check_stored_checkpoint(tree, record, VERIFIER, ORIGIN)
    assert refused.value.evidence["signed_size"] == "7"
    assert refused.value.message.key == "log.checkpoint-mismatch"


def test_the_sequencer_never_signs_past_a_pin_it_does_not_extend() -> None:
    state = LogState(ORIGIN, CoseSigner(fixed_key("log")), LOG)
    first = state.make_leaves([hashlib.sha256(b"a").digest()], 0)
    state.commit(state.append(first, 0))
    state.pinned = Checkpoint(ORIGIN, 1, hashlib.sha256(b"another root").digest())
    with pytest.raises(LogContradiction, match="Refusing to sign a checkpoint of size 2"):
        state.append(state.make_leaves([hashlib.sha256(b"b").digest()], 0), 0)
    assert state.size == 1  # nothing appended, nothing signed
    state.pinned = Checkpoint(ORIGIN, 1, state.tree.root(1))
    assert state.append(state.make_leaves([hashlib.sha256(b"b").digest()], 0), 0).size == 2


def test_a_snapshot_that_fails_its_check_changes_nothing() -> None:
    # A follower catching up to a checkpoint its new leaves contradict keeps the log it had.
    state = LogState(ORIGIN, CoseSigner(fixed_key("log")), LOG)
    good = _tree(3)
    hashes = b"".join(good.node(0, i) for i in range(3))
    state.extend(LogSnapshot(0, _record(good, 2), (_record(good, 2),), hashes[:64], ()))
    forged = _record(_tree(3, salt="x"), 3)
    with pytest.raises(LogContradiction):
        state.extend(
            LogSnapshot(2, forged, (forged,), hashes[64:], ()),
            lambda tree, latest: check_stored_checkpoint(tree, latest, VERIFIER, ORIGIN),
        )
    assert state.size == 2
    assert state.latest == _record(good, 2)
    assert state.last_leaf_hash == good.node(0, 1)
