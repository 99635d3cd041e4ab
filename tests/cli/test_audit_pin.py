"""`registry audit` of the registry's own database reads the pin as the registry does.

The pin holds two slots (docs/guarantees.md, "pin-3"); a crash may leave the
older one torn, which is no sign of tampering, so the audit takes the pin's
winning note, and names the pin file only when neither slot holds a checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from registry.config import Settings
from registry.log.pin import SLOT_SIZE, pin_path, slot_note
from registry.records.operator import OperatorKeys
from tests.cli.test_audit import SIZE, audit, fill


def _garble(path: Path, slot: int) -> None:
    with path.open("r+b") as file:
        file.seek(slot * SLOT_SIZE + 100)
        byte = file.read(1)
        file.seek(slot * SLOT_SIZE + 100)
        file.write(bytes([byte[0] ^ 0xFF]))


def _older_slot(path: Path) -> int:
    data = path.read_bytes()
    sizes = []
    for index in (0, 1):
        note, _ = slot_note(data, index)
        assert note is not None
        sizes.append(int(note.split(b"\n")[1]))
    assert max(sizes) == SIZE
    return sizes.index(min(sizes))


def test_a_torn_older_slot_of_the_pin_audits_clean(
    settings: Settings, operator: OperatorKeys
) -> None:
    # Mutation caught: the audit taking every slot's bytes as a checkpoint seen elsewhere.
    fill(settings, operator)
    pin = pin_path(settings.data_dir, settings.origin)
    _garble(pin, _older_slot(pin))
    result = audit(settings)
    assert result.exit_code == 0, result.output
    assert f"audit clean: {SIZE} entries" in result.output


def test_a_pin_with_both_slots_damaged_fails_the_audit_naming_it(
    settings: Settings, operator: OperatorKeys
) -> None:
    fill(settings, operator)
    pin = pin_path(settings.data_dir, settings.origin)
    _garble(pin, 0)
    _garble(pin, 1)
    result = audit(settings)
    assert result.exit_code == 1, result.output
    assert str(pin) in result.output
