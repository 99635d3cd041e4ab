"""The witness: C2SP tlog-witness add-checkpoint semantics, status by status, on both stores."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.log.checkpoint import add_cosignatures, sign_checkpoint
from registry.log.tree import MerkleTree
from registry.log.witness import (
    SIZE_CONTENT_TYPE,
    CheckpointSignatureError,
    ConsistencyProofError,
    MalformedRequestError,
    OldSizeConflictError,
    RootConflictError,
    UnknownLogError,
    Witness,
    WitnessError,
    add_checkpoint_request,
    parse_add_checkpoint_request,
    parse_size_response,
)
from registry.log.witness_store import (
    Alarm,
    EvidenceFolder,
    JsonFileWitnessStore,
    MemoryWitnessStore,
    WitnessStore,
)
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.note import verify_note
from tests.factories import fixed_key
from tests.factories import forkable_tree as tree

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
IMPOSTOR = NoteSigner(fixed_key("impostor"), ORIGIN)
NOW = 1_727_395_200

# c2sp.org/tlog-witness's example request body.
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+"
    "49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
).encode()


def signed(t: MerkleTree, size: int, signer: NoteSigner = LOG) -> str:
    return sign_checkpoint(signer, signer.name, size, t.root(size))


def request(t: MerkleTree, old: int, new: int, signer: NoteSigner = LOG) -> bytes:
    proof = t.consistency_proof(old, new) if old else []
    return add_checkpoint_request(old, proof, signed(t, new, signer))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture(params=["memory", "json-file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> WitnessStore:
    if request.param == "memory":
        return MemoryWitnessStore()
    return JsonFileWitnessStore(tmp_path / "witness.json")


@pytest.fixture
def witness(store: WitnessStore) -> Witness:
    w = Witness(NoteSigner(fixed_key("witness"), "witness.example/w1"), store, Clock())
    w.follow(ORIGIN, [LOG.verifier_key_string])
    return w


# 200.


def test_first_checkpoint_is_cosigned(witness: Witness) -> None:
    t = tree(5)
    answer = witness.add_checkpoint(request(t, 0, 5))
    note = signed(t, 5) + answer.decode()
    verdict = verify_checkpoint(note, [LOG.verifier_key], [witness.verifier_key], 1, ORIGIN)
    assert verdict.ok, verdict.explain()
    cosignature = verify_note(note, [witness.verifier_key]).unwrap().verified[0]
    assert cosignature.timestamp == NOW + 1


def test_consistent_checkpoints_are_cosigned_in_turn(witness: Witness) -> None:
    t = tree(20)
    witness.add_checkpoint(request(t, 0, 3))
    witness.add_checkpoint(request(t, 3, 8))
    answer = witness.add_checkpoint(request(t, 8, 20))
    assert answer.startswith("\u2014 witness.example/w1 ".encode())
    assert answer.endswith(b"\n")
    assert witness.store.latest(ORIGIN) == signed(t, 20)


def test_same_checkpoint_is_cosigned_again_later(witness: Witness) -> None:
    t = tree(4)
    first = witness.add_checkpoint(request(t, 0, 4))
    again = witness.add_checkpoint(request(t, 4, 4))
    assert first != again  # a newer timestamp
    assert verify_note(signed(t, 4) + again.decode(), [witness.verifier_key]).ok


def test_checkpoint_of_size_zero_is_cosigned(witness: Witness) -> None:
    t = tree(3)
    empty = witness.add_checkpoint(request(t, 0, 0))
    assert verify_note(signed(t, 0) + empty.decode(), [witness.verifier_key]).ok
    assert witness.store.latest(ORIGIN) == signed(t, 0)
    grown = witness.add_checkpoint(request(t, 0, 3))  # from the empty tree, no proof needed
    assert verify_note(signed(t, 3) + grown.decode(), [witness.verifier_key]).ok


def test_cosignatures_merge_into_the_served_checkpoint(witness: Witness) -> None:
    t = tree(6)
    served = add_cosignatures(signed(t, 6), witness.add_checkpoint(request(t, 0, 6)).decode())
    verdict = verify_checkpoint(served, [LOG.verifier_key], [witness.verifier_key], 1)
    assert verdict.ok, verdict.explain()


# 404, 403.


def test_unknown_origin_is_404(witness: Witness) -> None:
    stranger = NoteSigner(fixed_key("log"), "stranger.example/log")
    with pytest.raises(UnknownLogError) as e:
        witness.add_checkpoint(request(tree(2), 0, 2, stranger))
    assert e.value.status == 404


def test_spec_example_request_is_404_for_a_witness_that_does_not_follow_it(
    witness: Witness,
) -> None:
    with pytest.raises(UnknownLogError):
        witness.add_checkpoint(SPEC_REQUEST)


def test_checkpoint_signed_by_another_key_is_403(witness: Witness) -> None:
    with pytest.raises(CheckpointSignatureError) as e:
        witness.add_checkpoint(request(tree(2), 0, 2, IMPOSTOR))
    assert e.value.status == 403
    assert witness.store.latest(ORIGIN) is None


def test_signature_bit_flipped_is_403(witness: Witness) -> None:
    body = request(tree(2), 0, 2)
    index = body.rindex(b"=") - 5
    mutated = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
    with pytest.raises(CheckpointSignatureError):
        witness.add_checkpoint(mutated)


# 409.


def test_old_size_not_the_witness_size_is_409_with_its_size(witness: Witness) -> None:
    t = tree(10)
    witness.add_checkpoint(request(t, 0, 4))
    with pytest.raises(OldSizeConflictError) as e:
        witness.add_checkpoint(request(t, 3, 10))
    error = e.value
    assert (error.status, error.content_type, error.body) == (409, SIZE_CONTENT_TYPE, b"4\n")
    assert parse_size_response(error.body) == 4


def test_client_starting_from_zero_learns_the_size(witness: Witness) -> None:
    t = tree(10)
    witness.add_checkpoint(request(t, 0, 7))
    with pytest.raises(OldSizeConflictError) as e:
        witness.add_checkpoint(request(t, 0, 10))
    size = parse_size_response(e.value.body)
    witness.add_checkpoint(request(t, size, 10))


def test_two_roots_for_one_size_is_409(witness: Witness) -> None:
    honest, fork = tree(5), tree(5, fork_at=4)
    witness.add_checkpoint(request(honest, 0, 5))
    with pytest.raises(RootConflictError) as e:
        witness.add_checkpoint(request(fork, 5, 5))
    assert e.value.status == 409
    assert e.value.verdict is not None
    assert e.value.verdict.evidence["new_checkpoint"] == signed(fork, 5)
    assert witness.store.latest(ORIGIN) == signed(honest, 5)


# 422.


def test_forked_log_is_422_and_not_cosigned(witness: Witness) -> None:
    honest, fork = tree(10), tree(10, fork_at=5)
    witness.add_checkpoint(request(honest, 0, 6))
    with pytest.raises(ConsistencyProofError) as e:
        witness.add_checkpoint(request(fork, 6, 10))
    assert e.value.status == 422
    assert e.value.verdict is not None
    assert "old_checkpoint" in e.value.verdict.evidence
    assert witness.store.latest(ORIGIN) == signed(honest, 6)


def test_proof_bit_flipped_is_422(witness: Witness) -> None:
    t = tree(10)
    witness.add_checkpoint(request(t, 0, 3))
    proof = t.consistency_proof(3, 10)
    proof[0] = bytes([proof[0][0] ^ 0x80]) + proof[0][1:]
    with pytest.raises(ConsistencyProofError):
        witness.add_checkpoint(add_checkpoint_request(3, proof, signed(t, 10)))


def test_proof_for_equal_sizes_must_be_empty(witness: Witness) -> None:
    t = tree(4)
    witness.add_checkpoint(request(t, 0, 4))
    with pytest.raises(ConsistencyProofError):
        witness.add_checkpoint(add_checkpoint_request(4, [bytes(32)], signed(t, 4)))


# 400.


def _good() -> bytes:
    return request(tree(3), 0, 3)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_good().replace(b"\n\n", b"\n", 1), id="missing-blank-line"),
        pytest.param(_good().replace(b"old 0", b"old 00"), id="old-leading-zero"),
        pytest.param(_good().replace(b"old 0", b"old -0"), id="old-negative"),
        pytest.param(_good().replace(b"old 0", b"Old 0"), id="old-capitalised"),
        pytest.param(_good().replace(b"old 0", b"old  0"), id="old-two-spaces"),
        pytest.param(_good().replace(b"old 0", b"old " + b"9" * 5000), id="old-5000-digits"),
        pytest.param(_good().replace(b"old 0\n", b"old 0\nnot base64\n"), id="proof-not-base64"),
        pytest.param(_good().replace(b"old 0\n", b"old 0\nAAAA\n"), id="proof-hash-too-short"),
        pytest.param(
            _good().replace(b"old 0\n", b"old 0\n" + base64.b64encode(bytes(32)) + b"\n"),
            id="proof-from-zero",
        ),
        pytest.param(b"\xff" + _good(), id="bad-utf8"),
        pytest.param(_good()[:-1], id="missing-final-newline"),
        pytest.param(_good() + b"trailing garbage\n", id="trailing-garbage"),
        pytest.param(b"old 0\n\nnot a note\n", id="not-a-note"),
        pytest.param(add_checkpoint_request(0, [], LOG.sign("hello\n")), id="not-a-checkpoint"),
        pytest.param(b"", id="empty"),
        pytest.param(b"old 0\n\n" + b"x" * 200_000, id="oversized"),
    ],
)
def test_malformed_request_is_400(witness: Witness, body: bytes) -> None:
    with pytest.raises(MalformedRequestError) as e:
        witness.add_checkpoint(body)
    assert e.value.status == 400
    assert e.value.body.endswith(b"\n")


def test_old_size_above_the_checkpoint_is_400(witness: Witness) -> None:
    t = tree(5)
    with pytest.raises(MalformedRequestError, match="above"):
        witness.add_checkpoint(add_checkpoint_request(6, [bytes(32)], signed(t, 5)))


def test_more_than_63_proof_lines_is_400(witness: Witness) -> None:
    lines = b"".join(base64.b64encode(bytes([i]) * 32) + b"\n" for i in range(64))
    body = b"old 5\n" + lines + b"\n" + signed(tree(9), 9).encode()
    with pytest.raises(MalformedRequestError, match="63"):
        witness.add_checkpoint(body)


# The client side and the store.


def test_request_round_trips() -> None:
    t = tree(9)
    proof = t.consistency_proof(4, 9)
    body = add_checkpoint_request(4, proof, signed(t, 9))
    assert parse_add_checkpoint_request(body) == (4, proof, signed(t, 9))


def test_spec_example_request_parses() -> None:
    old, proof, note = parse_add_checkpoint_request(SPEC_REQUEST)
    assert old == 20852014
    assert len(proof) == 4
    assert all(len(h) == 32 for h in proof)
    assert note.startswith("example.com/behind-the-sofa\n20852163\n")


@pytest.mark.parametrize(
    ("old", "proof", "note"),
    [
        pytest.param(-1, [], "x\n", id="negative-old"),
        pytest.param(1, [b"short"], "x\n", id="short-hash"),
        pytest.param(1, [bytes(32)] * 64, "x\n", id="64-hashes"),
        pytest.param(1, [], "x", id="missing-final-newline"),
    ],
)
def test_bad_request_is_not_built(old: int, proof: Sequence[bytes], note: str) -> None:
    with pytest.raises(ValueError, match=r"old|proof|newline"):
        add_checkpoint_request(old, proof, note)


@pytest.mark.parametrize("body", [b"", b"4", b"04\n", b"-1\n", b"4\n\n"])
def test_bad_size_response_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size_response(body)


def test_store_compare_and_swap(store: WitnessStore) -> None:
    store.set_log_keys(ORIGIN, ["k"])
    assert store.log_keys(ORIGIN) == ["k"]
    assert store.log_keys("other") is None
    assert store.replace_latest(ORIGIN, None, "one")
    assert not store.replace_latest(ORIGIN, None, "two")
    assert store.replace_latest(ORIGIN, "one", "two")
    assert store.latest(ORIGIN) == "two"


def test_json_file_store_survives_a_restart(tmp_path: Path) -> None:
    t = tree(8)
    signer = NoteSigner(fixed_key("witness"), "witness.example/w1")
    first = Witness(signer, JsonFileWitnessStore(tmp_path / "w.json"), Clock())
    first.follow(ORIGIN, [LOG.verifier_key])
    first.add_checkpoint(request(t, 0, 5))
    second = Witness(signer, JsonFileWitnessStore(tmp_path / "w.json"), Clock())
    with pytest.raises(OldSizeConflictError) as e:
        second.add_checkpoint(request(t, 0, 8))
    assert e.value.size == 5
    second.add_checkpoint(request(t, 5, 8))


class RacingStore(MemoryWitnessStore):
    """A store where another request lands between the witness's read and its write."""

    def __init__(self, intruder: str) -> None:
        super().__init__()
        self.intruder = intruder

    def replace_latest(self, origin: str, expected: str | None, new: str) -> bool:
        if self.intruder:
            super().replace_latest(origin, expected, self.intruder)
            self.intruder = ""
        return super().replace_latest(origin, expected, new)


def test_a_concurrent_update_is_not_rolled_back() -> None:
    t = tree(10)
    store = RacingStore(intruder=signed(t, 10))
    w = Witness(NoteSigner(fixed_key("witness"), "w"), store, Clock())
    w.follow(ORIGIN, [LOG.verifier_key])
    with pytest.raises(OldSizeConflictError) as e:
        w.add_checkpoint(request(t, 0, 4))
    assert e.value.size == 10
    assert store.latest(ORIGIN) == signed(t, 10)


def test_errors_share_one_base_with_status_and_body() -> None:
    for error in (UnknownLogError("x"), CheckpointSignatureError("x"), ConsistencyProofError("x")):
        assert isinstance(error, WitnessError)
        assert error.body == b"x\n"
    assert [e.status for e in (UnknownLogError("x"), CheckpointSignatureError("x"))] == [404, 403]


# The invariant.

HONEST, FORK = tree(24), tree(24, fork_at=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 24), st.booleans()), max_size=12))
def test_never_two_roots_for_one_size(steps: list[tuple[bool, int, bool]]) -> None:
    # Requests from an honest log and a fork signed with the same key, each with
    # a proof from its own tree, from the witness's size or from a stale one.
    w = Witness(NoteSigner(fixed_key("witness"), "w"), MemoryWitnessStore(), Clock())
    w.follow(ORIGIN, [LOG.verifier_key])
    cosigned: dict[int, set[bytes]] = {}
    size = 0
    for forked, new, stale in steps:
        t = FORK if forked else HONEST
        old = min(new, max(0, size - 1)) if stale else size
        if old > new:
            continue
        try:
            w.add_checkpoint(request(t, old, new))
        except WitnessError:
            continue
        cosigned.setdefault(new, set()).add(t.root(new))
        size = new
    assert all(len(roots) == 1 for roots in cosigned.values())


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=300)
    | st.builds(lambda i, b: (i, b), st.integers(0, 10_000), st.integers(0, 255))
)
def test_any_request_is_answered_or_refused_with_a_status(body: bytes | tuple[int, int]) -> None:
    if isinstance(body, tuple):  # one byte of a valid request replaced
        valid = bytearray(_good())
        valid[body[0] % len(valid)] = body[1]
        body = bytes(valid)
    w = Witness(NoteSigner(fixed_key("witness"), "w"), MemoryWitnessStore(), Clock())
    w.follow(ORIGIN, [LOG.verifier_key])
    status = 200
    try:
        w.add_checkpoint(body)
    except WitnessError as e:
        status = e.status
    assert status in (200, 400, 403, 404, 409, 422)


# Alarms: what may prove that the log misbehaved is kept, with both checkpoints and the proof.


@pytest.fixture
def evidence(tmp_path: Path) -> EvidenceFolder:
    return EvidenceFolder(tmp_path / "evidence")


@pytest.fixture
def alarmed(evidence: EvidenceFolder) -> Witness:
    w = Witness(
        NoteSigner(fixed_key("witness"), "witness.example/w1"),
        MemoryWitnessStore(),
        Clock(),
        alarm=evidence.save,
    )
    w.follow(ORIGIN, [LOG.verifier_key])
    return w


def kept(folder: EvidenceFolder) -> list[dict[str, object]]:
    import json

    return [json.loads(p.read_text()) for p in sorted(folder.path.glob("*.json"))]


def test_split_view_is_refused_and_its_evidence_kept(
    alarmed: Witness, evidence: EvidenceFolder, caplog: pytest.LogCaptureFixture
) -> None:
    honest, fork = tree(5), tree(5, fork_at=4)
    alarmed.add_checkpoint(request(honest, 0, 5))
    with pytest.raises(RootConflictError):
        alarmed.add_checkpoint(request(fork, 5, 5))
    [document] = kept(evidence)
    assert document["kind"] == "split-view"
    assert document["cosigned"] == signed(honest, 5)
    assert document["presented"] == signed(fork, 5)
    assert "ALARM split-view" in caplog.text


def test_split_view_with_a_stale_old_size_is_409_with_the_size_and_still_kept(
    alarmed: Witness, evidence: EvidenceFolder
) -> None:
    honest, fork = tree(5), tree(5, fork_at=4)
    alarmed.add_checkpoint(request(honest, 0, 5))
    with pytest.raises(OldSizeConflictError):
        alarmed.add_checkpoint(request(fork, 0, 5))
    assert [d["kind"] for d in kept(evidence)] == ["split-view"]


def test_rollback_is_refused_and_its_evidence_kept(
    alarmed: Witness, evidence: EvidenceFolder
) -> None:
    t = tree(9)
    alarmed.add_checkpoint(request(t, 0, 9))
    with pytest.raises(MalformedRequestError, match="above"):
        alarmed.add_checkpoint(add_checkpoint_request(9, [], signed(t, 6)))
    with pytest.raises(OldSizeConflictError):
        alarmed.add_checkpoint(request(t, 0, 6))
    [document] = kept(evidence)  # the same fact twice: one file
    assert document["kind"] == "rollback"
    assert document["presented"] == signed(t, 6)
    assert alarmed.store.latest(ORIGIN) == signed(t, 9)


def test_failed_consistency_proof_is_kept_with_the_proof(
    alarmed: Witness, evidence: EvidenceFolder
) -> None:
    honest, fork = tree(10), tree(10, fork_at=5)
    alarmed.add_checkpoint(request(honest, 0, 6))
    with pytest.raises(ConsistencyProofError):
        alarmed.add_checkpoint(request(fork, 6, 10))
    [document] = kept(evidence)
    assert document["kind"] == "inconsistent"
    assert document["proof"] == [
        base64.b64encode(h).decode() for h in fork.consistency_proof(6, 10)
    ]
    assert document["old_size"] == 6


def test_requests_that_prove_nothing_raise_no_alarm(
    alarmed: Witness, evidence: EvidenceFolder
) -> None:
    t = tree(6)
    alarmed.add_checkpoint(request(t, 0, 4))
    for body in (request(t, 0, 6), request(t, 4, 6, IMPOSTOR), b"garbage"):
        with pytest.raises(WitnessError):
            alarmed.add_checkpoint(body)
    alarmed.add_checkpoint(request(t, 4, 6))
    assert kept(evidence) == []


def test_evidence_folder_is_bounded(
    evidence: EvidenceFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import registry.log.witness_store as witness_store

    monkeypatch.setattr(witness_store, "MAX_EVIDENCE_FILES", 2)
    for i in range(4):
        evidence.save(Alarm("rollback", ORIGIN, "case", "a", f"b{i}", 0, (), i))
    assert len(evidence.alarms()) == 2


def test_status_names_the_witness_and_each_log(alarmed: Witness) -> None:
    t = tree(3)
    alarmed.add_checkpoint(request(t, 0, 3))
    status = alarmed.status()
    assert status["verifier_key"] == str(alarmed.verifier_key)
    [entry] = status["logs"]
    assert (entry["origin"], entry["size"], entry["checkpoint"]) == (ORIGIN, 3, signed(t, 3))
    assert entry["root"] == base64.b64encode(t.root(3)).decode()
