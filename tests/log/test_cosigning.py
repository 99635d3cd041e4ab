"""Asking witnesses to cosign, over HTTP: every answer a C2SP witness may give, and the alarms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.log.checkpoint import sign_checkpoint
from registry.log.cosigning import (
    BAD_ANSWER,
    CONFLICT,
    COSIGNED,
    REFUSED,
    UNREACHABLE,
    WitnessPeer,
    request_cosignature,
)
from registry.log.tree import MerkleTree
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import verify_checkpoint
from tests.factories import fixed_key
from tests.factories import forkable_tree as tree
from tests.witnesses import LiveWitness, live_witness, unused_url

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)


HONEST, FORK = tree(20), tree(20, fork_at=8)


def note(t: MerkleTree, size: int) -> str:
    return sign_checkpoint(LOG, ORIGIN, size, t.root(size))


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[LiveWitness]:
    with live_witness(tmp_path, "witness.example/w1", [(ORIGIN, LOG.verifier_key_string)]) as w:
        yield w


def peer(w: LiveWitness) -> WitnessPeer:
    return WitnessPeer(w.url, w.key)


async def ask(w: LiveWitness | WitnessPeer, t: MerkleTree, size: int, known: int | None):
    target = w if isinstance(w, WitnessPeer) else peer(w)
    async with httpx.AsyncClient() as client:
        return await request_cosignature(
            client, target, note(t, size), known, lambda old: t.consistency_proof(old, size)
        )


async def test_first_checkpoint_is_cosigned_and_the_line_verifies(witness: LiveWitness) -> None:
    answer = await ask(witness, HONEST, 5, None)
    assert (answer.outcome, answer.size) == (COSIGNED, 5)
    assert answer.line is not None
    cosigned = note(HONEST, 5) + answer.line
    assert verify_checkpoint(cosigned, [LOG.verifier_key], [witness.key], 1, ORIGIN).ok


async def test_next_checkpoint_is_cosigned_with_the_proof_from_the_last(
    witness: LiveWitness,
) -> None:
    await ask(witness, HONEST, 5, None)
    answer = await ask(witness, HONEST, 12, 5)
    assert answer.outcome == COSIGNED
    assert witness.latest(ORIGIN) == note(HONEST, 12)


async def test_a_client_that_forgot_the_size_learns_it_from_the_409(witness: LiveWitness) -> None:
    await ask(witness, HONEST, 7, None)
    answer = await ask(witness, HONEST, 12, None)
    assert (answer.outcome, answer.size) == (COSIGNED, 12)


async def test_another_tree_of_the_cosigned_size_is_a_conflict_and_evidence(
    witness: LiveWitness, caplog: pytest.LogCaptureFixture
) -> None:
    await ask(witness, HONEST, 10, None)
    answer = await ask(witness, FORK, 10, 10)
    assert answer.outcome == CONFLICT
    assert "ALARM" in caplog.text
    [alarm] = witness.evidence.alarms()
    assert alarm["kind"] == "split-view"
    assert witness.latest(ORIGIN) == note(HONEST, 10)


async def test_a_witness_ahead_of_the_log_is_a_conflict(witness: LiveWitness) -> None:
    await ask(witness, HONEST, 15, None)
    answer = await ask(witness, HONEST, 9, None)  # a log restored to an older size
    assert (answer.outcome, answer.size) == (CONFLICT, 15)
    assert "rolled back" in answer.detail
    assert [a["kind"] for a in witness.evidence.alarms()] == ["rollback"]


async def test_a_fork_at_a_larger_size_fails_its_proof(witness: LiveWitness) -> None:
    await ask(witness, HONEST, 10, None)
    answer = await ask(witness, FORK, 16, 10)
    assert answer.outcome == REFUSED
    assert answer.detail.startswith("HTTP 422")
    assert [a["kind"] for a in witness.evidence.alarms()] == ["inconsistent"]


async def test_a_log_the_witness_does_not_follow_is_refused(tmp_path: Path) -> None:
    with live_witness(tmp_path, "witness.example/w2") as stranger:
        answer = await ask(stranger, HONEST, 5, None)
    assert answer.outcome == REFUSED
    assert answer.detail.startswith("HTTP 404")


async def test_a_witness_that_is_down_is_unreachable() -> None:
    key = NoteSigner(fixed_key("w"), "witness.example/down").cosignature_verifier_key
    answer = await ask(WitnessPeer(unused_url(), key), HONEST, 5, 3)
    assert (answer.outcome, answer.size) == (UNREACHABLE, 3)


async def test_a_cosignature_by_another_key_than_configured_is_a_bad_answer(
    witness: LiveWitness,
) -> None:
    other = NoteSigner(fixed_key("not-the-witness"), witness.key.name).cosignature_verifier_key
    answer = await ask(WitnessPeer(witness.url, other), HONEST, 5, None)
    assert answer.outcome == BAD_ANSWER


def test_a_peer_needs_a_cosignature_key_and_an_http_url() -> None:
    w = NoteSigner(fixed_key("w"), "witness.example/w")
    assert WitnessPeer.parse("http://w.example/", w.cosignature_verifier_key_string).url == (
        "http://w.example"
    )
    with pytest.raises(ValueError, match="type 0x04"):
        WitnessPeer.parse("http://w.example", w.verifier_key_string)
    with pytest.raises(ValueError, match="http"):
        WitnessPeer.parse("ftp://w.example", w.cosignature_verifier_key_string)
    with pytest.raises(ValueError, match="verifier key"):
        WitnessPeer.parse("http://w.example", "nonsense")
