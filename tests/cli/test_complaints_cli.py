"""`registry complaints list|receive|reject` against a registry served over real HTTP.

The institution's command speaks to the running registry with its own key file:
it lists the pending complaints by signed request, signs the report a complaint
becomes and has it logged, or signs a rejection.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli.complaints import complaints
from registry.records.complaint_form import new_number
from registry.signing.keys import save_key
from tests.api.test_complaints import complaint, register_election
from tests.browser.harness import LiveRegistry
from tests.factories import fixed_key

PASSPHRASE = "kunci-bawaslu-2024"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveRegistry]:
    """A served registry with the election complaints name registered, and Bawaslu and a PPK
    enrolled (terms still running)."""
    registry = LiveRegistry.start(tmp_path / "registry")
    register_election(registry.writer)
    registry.writer.enrol("bawaslu", "bawaslu", instansi="Bawaslu RI", term_end="2099-12-31")
    registry.writer.enrol("ppk-garut", "ppk", term_end="2099-12-31")
    yield registry
    registry.stop()


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """The key files of Bawaslu and the PPK, sealed under :data:`PASSPHRASE`."""
    found = {}
    for label in ("bawaslu", "ppk-garut"):
        found[label] = tmp_path / f"{label}.key"
        save_key(found[label], fixed_key(label), PASSPHRASE)
    return found


def run(live: LiveRegistry, *args: str) -> tuple[int, str]:
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_BASE_URL": live.url, "LANG": "C.UTF-8"}
    result = CliRunner().invoke(complaints, list(args), env=env)
    return result.exit_code, result.output


def file(live: LiveRegistry) -> str:
    answer = live.writer.client.post("/api/complaints", json=complaint())
    assert answer.status_code == 201, answer.text
    return str(answer.json()["number"])


def status(live: LiveRegistry, number: str) -> dict[str, object]:
    found: dict[str, object] = live.writer.client.get(f"/api/complaints/{number}").json()
    return found


def test_list_shows_the_pending_complaints(live: LiveRegistry, keys: dict[str, Path]) -> None:
    number = file(live)
    code, output = run(live, "list", "--key", str(keys["bawaslu"]))
    assert code == 0, output
    assert output.splitlines()[0].split("\t")[0] == number
    assert "Rina" not in output


def test_receive_logs_the_report(live: LiveRegistry, keys: dict[str, Path]) -> None:
    number = file(live)
    code, output = run(live, "receive", number.lower(), "--key", str(keys["bawaslu"]))
    assert code == 0, output
    found = status(live, number)
    assert found["status"] == "received"
    assert f"report entry {found['entry']}" in output
    assert live.view(int(str(found["entry"])))["type"] == "report"


def test_double_receive_fails_and_logs_nothing(live: LiveRegistry, keys: dict[str, Path]) -> None:
    number = file(live)
    assert run(live, "receive", number, "--key", str(keys["bawaslu"]))[0] == 0
    size = live.writer.client.get("/health").json()["size"]
    code, output = run(live, "receive", number, "--key", str(keys["bawaslu"]))
    assert code == 1
    assert "already decided (received)" in output
    assert live.writer.client.get("/health").json()["size"] == size


def test_wrong_role_receives_is_refused(live: LiveRegistry, keys: dict[str, Path]) -> None:
    number = file(live)
    code, output = run(live, "receive", number, "--key", str(keys["ppk-garut"]))
    assert code == 1
    assert "403" in output
    assert status(live, number)["status"] == "pending"


def test_reject_shows_the_reason_to_the_complainant(
    live: LiveRegistry, keys: dict[str, Path]
) -> None:
    number = file(live)
    reason = "Terlapor bukan ASN"
    code, output = run(live, "reject", number, "--reason", reason, "--key", str(keys["bawaslu"]))
    assert code == 0, output
    assert (status(live, number)["status"], status(live, number)["reason"]) == ("rejected", reason)


def test_forged_receipt_number_is_refused_before_anything_is_sent(
    live: LiveRegistry, keys: dict[str, Path]
) -> None:
    number = new_number().replace("-", "")
    forged = number[:-2] + ("1" if number[-2] != "1" else "2") + number[-1]
    code, output = run(live, "receive", forged, "--key", str(keys["bawaslu"]))
    assert code == 1
    assert "not a receipt number" in output


def test_listing_needs_a_deciding_role(live: LiveRegistry, keys: dict[str, Path]) -> None:
    file(live)
    code, output = run(live, "list", "--key", str(keys["ppk-garut"]))
    assert code == 1
    assert "forbidden" in output


def test_commands_in_one_second_sign_anew_and_both_answer(
    live: LiveRegistry, keys: dict[str, Path]
) -> None:
    """Two lists at once sign the same request bytes (``iat`` in seconds): the second is
    refused as replayed by the registry, so the command waits and signs anew."""
    number = file(live)
    outputs = [run(live, "list", "--key", str(keys["bawaslu"])) for _ in range(3)]
    assert [code for code, _ in outputs] == [0, 0, 0]
    assert all(output.startswith(number) for _, output in outputs)
