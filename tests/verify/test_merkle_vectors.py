"""transparency-dev/merkle's published proof vectors against registry.verify.merkle.

Each JSON file in ``tests/vectors/merkle/{inclusion,consistency}/`` (copied
with its licence into the repository, so these tests run in every clone) is
one case; ``wantErr`` cases must fail, the others pass.  Test ids are
``folder/file``, so a failing id names the mutation.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from registry.verify.merkle import verify_consistency, verify_inclusion
from registry.verify.result import Reason

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "merkle"


def _cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [
        pytest.param(json.loads(f.read_text()), id=f.relative_to(VECTORS / kind).as_posix())
        for f in files
    ]


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in case["proof"] or []]


@pytest.mark.parametrize("case", _cases("inclusion"))
def test_inclusion_vector(case: dict[str, Any]) -> None:
    verdict = verify_inclusion(
        case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), _b64(case["root"])
    )
    assert verdict.ok is not case["wantErr"], verdict.explain()
    if case["wantErr"]:
        assert verdict.reason is not None
        assert verdict.value is None


@pytest.mark.parametrize("case", _cases("consistency"))
def test_consistency_vector(case: dict[str, Any]) -> None:
    verdict = verify_consistency(
        case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), _proof(case)
    )
    assert verdict.ok is not case["wantErr"], verdict.explain()
    if case["wantErr"]:
        assert verdict.reason is not None


def test_every_vector_is_there() -> None:
    # A copy that lost files would make the parametrised tests above vanish silently.
    assert len(_cases("inclusion")) == 98
    assert len(_cases("consistency")) == 98
    assert (VECTORS / "LICENSE").read_text().lstrip().startswith("Apache License")


def _happy(kind: str, folder: str) -> dict[str, Any]:
    path = VECTORS / kind / folder / "happy-path.json"
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def test_wrong_root_carries_both_roots() -> None:
    case = _happy("inclusion", "1")
    wrong = bytes(32)
    verdict = verify_inclusion(
        case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case), wrong
    )
    assert verdict.reason is Reason.WRONG_ROOT
    assert verdict.evidence["expected_root"] == wrong.hex()
    assert verdict.evidence["computed_root"] == _b64(case["root"]).hex()


def test_consistency_mismatch_carries_both_roots() -> None:
    case = _happy("consistency", "2")
    wrong = bytes(32)
    verdict = verify_consistency(
        case["size1"], case["size2"], _b64(case["root1"]), wrong, _proof(case)
    )
    assert verdict.reason is Reason.WRONG_ROOT
    assert verdict.evidence["expected_root"] == wrong.hex()
    assert verdict.evidence["computed_root"] == _b64(case["root2"]).hex()
    assert verdict.evidence["old_root"] == _b64(case["root1"]).hex()
