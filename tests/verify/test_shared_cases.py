"""The shared verification cases (tests/vectors/verify/): both verifiers, one verdict each.

``registry/verify`` must reach each case's expected verdict here;
``web/static/verify.js`` must reach the same one under Node.js (below) and in
Chromium (tests/browser/test_verify_js.py).  The files are what the generator
(tests/verify/vectors/) writes, byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from registry.verify.checkpoint import verify_checkpoint
from registry.verify.link import check_link_leaf, parse_link
from registry.verify.merkle import verify_consistency, verify_inclusion
from registry.verify.qr import verify_offline
from registry.verify.receipt import verify_receipt
from registry.verify.result import Verdict
from registry.verify.statement import verify_statement
from registry.verify.trust import TrustedKeys, key_id, unb64url
from tests.factories import SIGNER
from tests.verify import vectors

FOLDER = vectors.FOLDER
NODE_RUNNER = Path(__file__).resolve().parent / "js" / "run_cases.mjs"
CASE_FILES = sorted(FOLDER.rglob("*.json"))


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _trusted(case: dict[str, Any]) -> TrustedKeys:
    trusted = TrustedKeys()
    trusted.add_configuration(json.dumps(case["trust"]["configuration"]).encode())
    return trusted


def python_verdict(case: dict[str, Any]) -> Verdict[Any]:
    """What ``registry/verify`` makes of a case, through the function a verifier calls."""
    kind, data = case["kind"], case["input"]
    if kind == "statement":
        public_key = unb64url(case["trust"]["signer_public_key"])
        return verify_statement(unb64url(data), {key_id(public_key): public_key})
    if kind == "receipt":
        trusted = _trusted(case)
        return verify_receipt(
            unb64url(data), trusted.by_kid, origin=trusted.origin, validity=trusted.log_validity
        )
    if kind == "checkpoint":
        trusted = _trusted(case)
        return verify_checkpoint(
            data,
            trusted.log_keys,
            trusted.witness_keys,
            trusted.witnesses_required,
            trusted.origin,
            trusted.log_validity,
        )
    if kind == "offline-qr":
        trusted = _trusted(case)
        return verify_offline(
            data,
            trusted.by_kid,
            trusted.origin,
            trusted.witness_keys,
            trusted.witnesses_required,
            trusted.log_validity,
        )
    if kind == "link-qr":
        link = parse_link(data["link"])
        if not link.ok or link.value is None:
            return link
        return check_link_leaf(link.value, unb64url(data["leaf"]))
    if kind == "inclusion":
        path = [unb64url(h) for h in data["path"]]
        return verify_inclusion(
            data["index"], data["size"], unb64url(data["leaf_hash"]), path, unb64url(data["root"])
        )
    if kind == "consistency":
        path = [unb64url(h) for h in data["path"]]
        return verify_consistency(
            data["size1"], data["size2"], unb64url(data["root1"]), unb64url(data["root2"]), path
        )
    raise ValueError(f"unknown kind {kind!r}")


def outcome(verdict: Verdict[Any]) -> str:
    return "ok" if verdict.ok else str(verdict.reason)


def misread(case: dict[str, Any], found: dict[str, Any]) -> bool:
    """Whether a verifier's ``found`` result (outcome, and for a valid offline QR whom it
    names as signer) is not what ``case`` expects."""
    if found["outcome"] != case["expect"]:
        return True
    return "signed_by" in case and found.get("signed_by") != case["signed_by"]


def test_the_files_are_what_the_generator_writes() -> None:
    expected = vectors.files()
    found = {
        path.relative_to(FOLDER).as_posix(): path.read_text(encoding="utf-8") for path in CASE_FILES
    }
    assert sorted(found) == sorted(expected), "run: python -m tests.verify.vectors"
    changed = [name for name, text in expected.items() if found[name] != text]
    assert not changed, f"regenerate (python -m tests.verify.vectors): {changed}"


def test_every_kind_has_valid_items_and_mutations() -> None:
    cases = [load(path) for path in CASE_FILES]
    kinds = {case["kind"] for case in cases}
    assert kinds == {
        "statement",
        "receipt",
        "checkpoint",
        "offline-qr",
        "link-qr",
        "inclusion",
        "consistency",
    }
    for kind in kinds:
        expects = {case["expect"] for case in cases if case["kind"] == kind}
        assert "ok" in expects
        assert len(expects) > 2, kind


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.relative_to(FOLDER).as_posix()[:-5])
def test_python_verifier(path: Path) -> None:
    case = load(path)
    verdict = python_verdict(case)
    assert outcome(verdict) == case["expect"], verdict.explain()
    if "signed_by" in case:
        named = verdict.unwrap().signed_by
        assert (named.to_dict() if named else None) == case["signed_by"]


def test_valid_offline_cases_say_whom_they_name() -> None:
    named = [c["signed_by"] for c in map(load, CASE_FILES) if "signed_by" in c]
    assert None in named
    assert {"type": "pact", **SIGNER} in named


def _node() -> str:
    """The ``node`` command (Node.js 20 or later), or a skip; a failure in CI."""
    found = shutil.which("node")
    problem = None if found else "node is not on PATH"
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
        match = re.match(r"v(\d+)\.", version.stdout)
        if not match or int(match.group(1)) < 20:
            problem = f"Node.js 20 or later is needed, found {version.stdout.strip()}"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"verify.js must be tested in CI, but {problem}")
        pytest.skip(problem)
    assert found is not None
    return found


def test_verify_js_under_node() -> None:
    node = _node()
    run = subprocess.run(
        [node, str(NODE_RUNNER), str(FOLDER)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    results: dict[str, dict[str, Any]] = json.loads(run.stdout)
    cases = {load(path)["name"]: load(path) for path in CASE_FILES}
    assert sorted(results) == sorted(cases)
    wrong = {
        name: {"expected": case["expect"], "signed_by": case.get("signed_by"), **results[name]}
        for name, case in cases.items()
        if misread(case, results[name])
    }
    assert not wrong, json.dumps(wrong, indent=1)
