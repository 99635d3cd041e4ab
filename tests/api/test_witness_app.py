"""The witness's HTTP app: C2SP tlog-witness status codes and bodies, problem details, its state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.api.witness_app import create_witness_app
from registry.log.checkpoint import sign_checkpoint
from registry.log.tree import MerkleTree
from registry.log.witness import MAX_REQUEST_BYTES, SIZE_CONTENT_TYPE, add_checkpoint_request
from registry.log.witness_folder import WitnessFolder
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import verify_checkpoint
from tests.factories import fixed_key
from tests.factories import forkable_tree as tree
from tests.witnesses import PASSPHRASE

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
PROBLEM = "application/problem+json"


HONEST, FORK = tree(10), tree(10, fork_at=4)


def body(t: MerkleTree, old: int, new: int, signer: NoteSigner = LOG) -> bytes:
    proof = t.consistency_proof(old, new) if old else []
    return add_checkpoint_request(old, proof, sign_checkpoint(signer, ORIGIN, new, t.root(new)))


@pytest.fixture
def folder(tmp_path: Path) -> WitnessFolder:
    place = WitnessFolder(tmp_path / "w")
    place.init("witness.example/w1", PASSPHRASE)
    place.add_log(ORIGIN, [LOG.verifier_key_string])
    return place


@pytest.fixture
def client(folder: WitnessFolder) -> Iterator[TestClient]:  # type: ignore[type-arg]
    app = create_witness_app(folder.open(PASSPHRASE), folder.evidence)
    with TestClient(app) as test_client:
        yield test_client


def add(client: TestClient, content: bytes, **headers: str):  # type: ignore[type-arg]
    return client.post("/add-checkpoint", content=content, headers=headers)


def test_cosigns_with_a_line_that_verifies(client: TestClient, folder: WitnessFolder) -> None:  # type: ignore[type-arg]
    answer = add(client, body(HONEST, 0, 6))
    assert answer.status_code == 200
    assert answer.text.startswith("\u2014 witness.example/w1 ")
    key = folder.open(PASSPHRASE).verifier_key
    note = sign_checkpoint(LOG, ORIGIN, 6, HONEST.root(6)) + answer.text
    assert verify_checkpoint(note, [LOG.verifier_key], [key], 1, ORIGIN).ok


def test_old_size_conflict_is_409_text_x_tlog_size(client: TestClient) -> None:  # type: ignore[type-arg]
    add(client, body(HONEST, 0, 6))
    answer = add(client, body(HONEST, 0, 9))
    assert answer.status_code == 409
    assert answer.headers["content-type"].split(";")[0] == SIZE_CONTENT_TYPE
    assert answer.content == b"6\n"


@pytest.mark.parametrize(
    ("make", "status", "problem"),
    [
        pytest.param(lambda: b"old 1\n", 400, "witness-malformed", id="malformed"),
        pytest.param(
            lambda: add_checkpoint_request(
                0,
                [],
                sign_checkpoint(
                    NoteSigner(fixed_key("x"), "other/log"), "other/log", 1, HONEST.root(1)
                ),
            ),
            404,
            "witness-unknown-log",
            id="unknown-log",
        ),
        pytest.param(
            lambda: body(HONEST, 0, 3, NoteSigner(fixed_key("impostor"), ORIGIN)),
            403,
            "witness-not-signed",
            id="not-signed",
        ),
    ],
)
def test_refusals_are_problem_details(client: TestClient, make, status: int, problem: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    answer = add(client, make())
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"].endswith(problem)


def test_split_view_is_409_problem_in_indonesian_and_kept(
    client: TestClient,
    folder: WitnessFolder,  # type: ignore[type-arg]
) -> None:
    add(client, body(HONEST, 0, 8))
    answer = add(client, body(FORK, 8, 8), **{"Accept-Language": "id"})
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["type"].endswith("witness-split-view")
    assert "dua pohon berbeda" in problem["detail"]
    assert answer.headers["content-language"] == "id"
    assert [a["kind"] for a in folder.evidence.alarms()] == ["split-view"]


def test_failed_proof_is_422(client: TestClient) -> None:  # type: ignore[type-arg]
    add(client, body(HONEST, 0, 5))
    answer = add(client, body(FORK, 5, 9))
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("witness-inconsistent")


def test_oversized_request_is_refused_unread(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = add(client, b"old 0\n\n" + b"x" * (MAX_REQUEST_BYTES + 1))
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM


def test_status_shows_what_was_cosigned_and_the_alarms(client: TestClient) -> None:  # type: ignore[type-arg]
    add(client, body(HONEST, 0, 8))
    add(client, body(FORK, 8, 8))
    state = client.get("/").json()
    assert state["name"] == "witness.example/w1"
    [log] = state["logs"]
    assert (log["origin"], log["size"]) == (ORIGIN, 8)
    assert [a["kind"] for a in state["alarms"]] == ["split-view"]


def test_get_on_add_checkpoint_is_405(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.get("/add-checkpoint")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
