"""`registry verify` under a witness policy: the quorum, "not yet witnessed" (3), split views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.log.checkpoint import sign_checkpoint
from registry.log.receipt import issue_receipt
from registry.verify.checkpoint import Checkpoint
from registry.verify.qr import encode_offline
from registry.verify.trust import b64url
from tests.verify.vectors.material import (
    CHECKPOINT,
    INDEX,
    ISSUED_AT,
    LEAF,
    LOG,
    NOTE,
    ORIGIN,
    PPK,
    RECEIPT,
    ROOT,
    SIZE,
    STATEMENT,
    TIMESTAMP,
    TREE,
)
from tests.verify.vectors.witnessed import WITNESSED_TRUST, WITNESSES, flipped_line, line, raw


@pytest.fixture
def trust(tmp_path: Path) -> Path:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(WITNESSED_TRUST["configuration"]))
    return path


def run(*args: str, lang: str = "C.UTF-8") -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", *args], env={"LANG": lang})
    return result.exit_code, result.output


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return str(path)


W1, W2 = WITNESSES


def test_checkpoint_with_the_quorum_verifies(tmp_path: Path, trust: Path) -> None:
    note = write(tmp_path, "cp", CHECKPOINT + line(W1) + line(W2))
    code, output = run("--trust", str(trust), note)
    assert code == 0, output


def test_checkpoint_short_of_the_quorum_is_not_yet_witnessed(tmp_path: Path, trust: Path) -> None:
    note = write(tmp_path, "cp", CHECKPOINT + line(W1))
    code, output = run("--trust", str(trust), note)
    assert code == 3, output
    assert "NOT YET WITNESSED" in output
    assert "FAILED" not in output
    code, output = run("--trust", str(trust), note, lang="id_ID.UTF-8")
    assert code == 3
    assert "BELUM DISAKSIKAN" in output


def test_checkpoint_with_a_bad_cosignature_fails(tmp_path: Path, trust: Path) -> None:
    note = write(tmp_path, "cp", CHECKPOINT + line(W1) + flipped_line(line(W2)))
    code, output = run("--trust", str(trust), note)
    assert code == 1
    assert "bad-signature" in output


def test_offline_qr_short_of_the_quorum_is_not_yet_witnessed(trust: Path) -> None:
    text = encode_offline(
        STATEMENT, PPK.public_key, LEAF, timestamp=TIMESTAMP, witnessed=(SIZE, ROOT, [raw(W1)])
    )
    code, output = run("--trust", str(trust), text)
    assert code == 3, output
    both = encode_offline(
        STATEMENT,
        PPK.public_key,
        LEAF,
        timestamp=TIMESTAMP,
        witnessed=(SIZE, ROOT, [raw(W1), raw(W2)]),
    )
    code, output = run("--trust", str(trust), both)
    assert code == 0, output
    assert "saksi.bawaslu.example/w+" in output
    assert "saksi.bkn.example/w+" in output


def test_receipt_needs_a_witnessed_checkpoint_of_its_tree(tmp_path: Path, trust: Path) -> None:
    receipt = write(tmp_path, "r.cose", RECEIPT)
    code, output = run("--trust", str(trust), receipt)
    assert code == 3, output
    assert "carries no witness cosignature" in output
    same = write(tmp_path, "same", CHECKPOINT + line(W1) + line(W2))
    assert run("--trust", str(trust), receipt, "--checkpoint", same)[0] == 0
    short = write(tmp_path, "short", CHECKPOINT + line(W1))
    assert run("--trust", str(trust), receipt, "--checkpoint", short)[0] == 3


def test_receipt_under_a_larger_witnessed_checkpoint_needs_the_proof(
    tmp_path: Path, trust: Path
) -> None:
    # A receipt of entry 2 in the tree of 3, and the witnessed checkpoint of 5.
    small = issue_receipt(
        LOG, ORIGIN, LEAF, INDEX, 3, TREE.inclusion_proof(INDEX, 3), TREE.root(3), ISSUED_AT
    )
    receipt = write(tmp_path, "small.cose", small)
    witnessed = sign_checkpoint(NOTE, ORIGIN, SIZE, ROOT) + line(W1) + line(W2)
    cp = write(tmp_path, "cp", witnessed)
    code, output = run("--trust", str(trust), receipt, "--checkpoint", cp)
    assert code == 1
    assert "size-mismatch" in output
    proof = {"path": [b64url(h) for h in TREE.consistency_proof(3, SIZE)]}
    proof_file = write(tmp_path, "proof.json", json.dumps(proof))
    code, output = run("--trust", str(trust), receipt, "--checkpoint", cp, "--proof", proof_file)
    assert code == 0, output


def test_compare_proves_a_split_view(tmp_path: Path, trust: Path) -> None:
    honest = write(tmp_path, "a", CHECKPOINT + line(W1))
    other_root = bytes(32)
    body = Checkpoint(ORIGIN, SIZE, other_root).body
    forged = write(tmp_path, "b", NOTE.sign(body) + W2.cosign(body, ISSUED_AT))
    code, output = run("--trust", str(trust), honest, "--compare", forged)
    assert code == 1
    assert "split view" in output
    assert "first_witnesses: saksi.bawaslu.example/w+" in output
    assert "second_witnesses: saksi.bkn.example/w+" in output
    code, output = run("--trust", str(trust), honest, "--compare", honest)
    assert code == 0, output


def test_a_proof_file_that_is_not_one_is_a_usage_error(tmp_path: Path, trust: Path) -> None:
    bad = write(tmp_path, "proof.json", "{}")
    code, output = run("--trust", str(trust), write(tmp_path, "cp", CHECKPOINT), "--proof", bad)
    assert code == 2
    assert "not a consistency proof" in output
