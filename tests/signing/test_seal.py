"""Seals: only the log key's holder makes one, and a seal for one purpose opens nothing else."""

from __future__ import annotations

from registry.signing.cose import CoseSigner
from tests.factories import fixed_key

LOG = CoseSigner(fixed_key("log"))
MESSAGE = b"fact-segment\ncompliance-x\n" + bytes(48)


def test_a_seal_opens_for_its_message_and_purpose() -> None:
    sealer = LOG.sealer("compliance fact segments")
    seal = sealer.seal(MESSAGE)
    assert len(seal) == 32
    assert sealer.opens(MESSAGE, seal)
    assert LOG.sealer("compliance fact segments").seal(MESSAGE) == seal, "the same key each start"


def test_a_seal_does_not_open_for_a_message_edited_by_one_bit() -> None:
    sealer = LOG.sealer("compliance fact segments")
    seal = sealer.seal(MESSAGE)
    assert not sealer.opens(MESSAGE[:-1] + b"\x01", seal)


def test_a_seal_does_not_open_for_another_purpose() -> None:
    seal = LOG.sealer("compliance fact segments").seal(MESSAGE)
    assert not LOG.sealer("key directory").opens(MESSAGE, seal)


def test_a_seal_does_not_open_under_another_key() -> None:
    seal = LOG.sealer("compliance fact segments").seal(MESSAGE)
    other = CoseSigner(fixed_key("another log"))
    assert not other.sealer("compliance fact segments").opens(MESSAGE, seal)
