"""The pin's two slots: crashes and damage at any byte, the upgrade, ``repin`` backwards.

The pin is written in place into the slot not holding the newest checkpoint
(:mod:`registry.log.pin`).  A crash tears at most that slot, so a read returns
the last completed write or the one before it, never nothing once something
was pinned.  Negative tests are named after the mutation they catch.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.log.checkpoint import sign_checkpoint
from registry.log.integrity import LogContradiction
from registry.log.pin import PIN_FILE_SIZE, SLOT_SIZE, CheckpointPin, pin_path, slot_note
from registry.log.tree import MerkleTree
from registry.signing.note import NoteSigner
from tests.factories import fixed_key

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
SUCCESSOR = NoteSigner(fixed_key("log-successor"), ORIGIN)
TREE = MerkleTree()
TREE.extend([hashlib.sha256(str(i).encode()).digest() for i in range(12)])


def note(size: int, signer: NoteSigner = LOG) -> str:
    return sign_checkpoint(signer, ORIGIN, size, TREE.root(size))


NOTES = {size: note(size) for size in range(1, 13)}


def _pin(directory: Path) -> CheckpointPin:
    return CheckpointPin(pin_path(directory, ORIGIN), LOG.verifier_key, ORIGIN)


def _size(pin: CheckpointPin) -> int | None:
    pinned = pin.read()
    return None if pinned is None else pinned.size


def _slots(pin: CheckpointPin) -> list[int | None]:
    """The size each slot of the file holds (None: no whole record)."""
    data = pin.path.read_bytes()
    assert len(data) == PIN_FILE_SIZE  # the file's size never changes
    found = [slot_note(data, index)[0] for index in (0, 1)]
    return [None if body is None else int(body.split(b"\n")[1]) for body in found]


def _damage(path: Path, slot: int, byte: int, how: str) -> None:
    """Flip one byte of ``slot``, or zero it from ``byte`` to the slot's end."""
    with path.open("r+b") as file:
        file.seek(slot * SLOT_SIZE + byte)
        if how == "garble":
            old = file.read(1)
            file.seek(slot * SLOT_SIZE + byte)
            file.write(bytes([old[0] ^ 0xFF]))
        else:
            file.write(bytes(SLOT_SIZE - byte))


class Crash(Exception):
    """The power went out in the middle of a write."""


@contextmanager
def torn_writes(written: int, sectors: frozenset[int] | None = None) -> Iterator[None]:
    """Every ``os.pwrite`` lands only its first ``written`` bytes (or, given ``sectors``,
    only those 512-byte sectors, in any order a disk may persist them), then the process
    dies."""
    real = os.pwrite

    def torn(fd: int, data: bytes | memoryview, offset: int) -> int:
        whole = bytes(data)
        if sectors is None:
            real(fd, whole[:written], offset)
        for sector in sorted(sectors or ()):
            real(fd, whole[sector * 512 : (sector + 1) * 512], offset + sector * 512)
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "pwrite", torn)
        yield


@contextmanager
def crash_before_rename() -> Iterator[None]:
    def crash(*_: object) -> None:
        raise Crash

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", crash)
        yield


def test_each_write_goes_to_the_slot_not_holding_the_newest(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[3])
    assert _slots(pin) == [3, 3]  # created whole, the note in both slots
    pin.write(NOTES[5])
    assert _slots(pin) == [3, 5]
    pin.write(NOTES[8])
    assert _slots(pin) == [8, 5]
    assert _size(_pin(tmp_path)) == 8  # another process reading finds the newest
    assert sorted(p.name for p in tmp_path.iterdir()) == [pin.path.name]  # no temporary file


def test_a_sequencer_taking_over_writes_past_the_other_process_s_slot(tmp_path: Path) -> None:
    first, second = _pin(tmp_path), _pin(tmp_path)
    first.write(NOTES[2])
    first.write(NOTES[4])  # slots [2, 4]
    assert _size(second) == 4  # the take-over reads first
    second.write(NOTES[6])
    assert _slots(second) == [6, 4]
    assert _size(first) == 6
    first.write(NOTES[7])
    assert _slots(first) == [6, 7]  # not over 6, the newest


@settings(max_examples=150, deadline=None)
@given(
    writes=st.integers(2, 6),
    moment=st.integers(1, 6),
    how=st.sampled_from(["torn", "sectors", "garble", "truncate"]),
    slot=st.integers(0, 1),
    byte=st.integers(0, 700) | st.integers(0, SLOT_SIZE - 1),
    sectors=st.frozensets(st.integers(0, 7)),
)
def test_a_crash_or_damage_anywhere_reads_the_last_write_or_the_one_before(
    writes: int, moment: int, how: str, slot: int, byte: int, sectors: frozenset[int]
) -> None:
    # Mutations caught: reading only slot 0; taking the first verified slot, not the largest;
    # writing over the slot that holds the newest.
    moment = min(moment, writes)
    sizes = list(range(1, 2 * writes + 1, 2))
    with tempfile.TemporaryDirectory() as directory:
        pin = _pin(Path(directory))
        for size in sizes[:moment]:
            pin.write(NOTES[size])
        done = sizes[:moment]
        if how in ("torn", "sectors") and moment < writes:
            target = 1 - _slots(pin).index(done[-1])
            landing = sectors if how == "sectors" else None
            with torn_writes(byte, landing), pytest.raises(Crash):
                pin.write(NOTES[sizes[moment]])
            landed = _slots(pin)[target] == sizes[moment]
            newest = sizes[moment] if landed else done[-1]
            oldest = done[-1]
        else:
            _damage(pin.path, slot, byte, "truncate" if how == "truncate" else "garble")
            newest, oldest = done[-1], done[max(0, len(done) - 2)]
        restarted = _pin(Path(directory))
        found = _size(restarted)
        assert found is not None  # never "nothing" once something was pinned
        assert oldest <= found <= newest
        restarted.write(NOTES[sizes[-1] + 1])  # the sequencer carries on
        assert _size(_pin(Path(directory))) == sizes[-1] + 1


def test_a_damaged_newest_slot_falls_back_one_checkpoint(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    for size in (3, 5, 8):
        pin.write(NOTES[size])
    _damage(pin.path, 0, 200, "garble")  # slot 0 holds 8
    assert _size(_pin(tmp_path)) == 5


@pytest.mark.parametrize("how", ["garble", "truncate"])
def test_both_slots_damaged_is_a_contradiction_naming_each(tmp_path: Path, how: str) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[3])
    pin.write(NOTES[5])
    _damage(pin.path, 0, 2, how)
    _damage(pin.path, 1, 100, how)
    with pytest.raises(LogContradiction, match="is not a checkpoint of this log") as refused:
        _pin(tmp_path).read()
    detail = refused.value.evidence["detail"]
    assert "slot 0" in detail
    assert "slot 1" in detail
    assert refused.value.evidence["pin_file"] == str(pin.path)


def test_a_slot_signed_by_another_key_is_not_taken(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[3])
    pin.write(note(9, NoteSigner(fixed_key("someone"), ORIGIN)))
    assert _size(_pin(tmp_path)) == 3


def test_a_slot_signed_by_the_rotation_s_successor_reads_with_it(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[3])
    pin.write(note(5, SUCCESSOR))
    rotated = CheckpointPin(pin.path, LOG.verifier_key, ORIGIN, [SUCCESSOR.verifier_key])
    assert _size(rotated) == 5
    assert _size(_pin(tmp_path)) == 3  # without the successor's key: one behind


def test_a_pin_of_the_previous_release_is_read_then_upgraded(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.path.write_text(NOTES[4])  # the single-note file
    assert _size(pin) == 4
    with crash_before_rename(), pytest.raises(Crash):
        pin.write(NOTES[6])
    assert pin.path.read_text() == NOTES[4]  # the guard kept: the old file, untouched
    assert _size(_pin(tmp_path)) == 4
    pin.write(NOTES[6])
    assert _slots(pin) == [6, 6]
    pin.write(NOTES[7])
    assert _size(_pin(tmp_path)) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [pin.path.name]


def test_a_crash_in_the_first_write_after_the_upgrade_reads_the_upgraded_note(
    tmp_path: Path,
) -> None:
    pin = _pin(tmp_path)
    pin.path.write_text(NOTES[4])
    pin.write(NOTES[6])
    with torn_writes(10), pytest.raises(Crash):
        pin.write(NOTES[7])
    assert _size(_pin(tmp_path)) == 6


def test_repin_backwards_then_a_torn_write_reads_the_lower_checkpoint(tmp_path: Path) -> None:
    # Mutation caught: the repin writing only one slot (the old, larger one would win).
    pin = _pin(tmp_path)
    for size in (5, 9):
        pin.write(NOTES[size])
    pin.reset(NOTES[3])
    assert _slots(pin) == [3, 3]
    assert _size(_pin(tmp_path)) == 3
    with torn_writes(30), pytest.raises(Crash):
        pin.write(NOTES[4])
    assert _size(_pin(tmp_path)) == 3  # not 9


def test_a_crash_in_the_middle_of_a_repin_keeps_the_old_pin(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    for size in (5, 9):
        pin.write(NOTES[size])
    with crash_before_rename(), pytest.raises(Crash):
        pin.reset(NOTES[3])
    assert _slots(pin) == [5, 9]  # the operator sees the old pin and runs repin again
    assert sorted(p.name for p in tmp_path.iterdir()) == [pin.path.name]
    pin.reset(NOTES[3])
    assert _size(_pin(tmp_path)) == 3
    pin.write(NOTES[4])
    assert _slots(pin) == [3, 4]


def test_repin_of_an_empty_database_pins_nothing(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[5])
    pin.reset(None)
    assert not pin.path.exists()
    assert pin.read() is None
    pin.write(NOTES[1])  # the next sequencer starts a new pin
    assert _slots(pin) == [1, 1]


def test_a_pin_file_of_another_size_is_refused(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[5])
    with pin.path.open("ab") as file:
        file.write(b"\0")
    with pytest.raises(LogContradiction, match="is not a checkpoint of this log"):
        _pin(tmp_path).read()


def test_a_note_too_large_for_a_slot_is_not_written(tmp_path: Path) -> None:
    pin = _pin(tmp_path)
    pin.write(NOTES[5])
    with pytest.raises(ValueError, match="does not fit a pin slot"):
        pin.write(NOTES[6] + "x" * SLOT_SIZE)
    assert _slots(pin) == [5, 5]
