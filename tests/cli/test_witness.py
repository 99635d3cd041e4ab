"""`registry witness` as an institution runs it: init, add-log, serve (granian), status."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.log.checkpoint import sign_checkpoint
from registry.log.witness import add_checkpoint_request
from registry.records.operator import open_keys
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.note import VerifierKey
from registry.verify.trust import TrustedKeys
from tests.api.helpers import COSE, NOW_S, enrolment, pact
from tests.cli.servers import free_port, registry_env, run_to_exit, serving, spawn, stop
from tests.factories import cited_statements, fixed_key, forkable_tree
from tests.waiting import wait_until
from tests.witnesses import live_witness

ORIGIN = "test.example/pakta"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
NAME = "bawaslu.example/witness"
PASSPHRASE = "kata-sandi-saksi"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def folder(runner: CliRunner, tmp_path: Path) -> Path:
    place = tmp_path / "saksi"
    made = runner.invoke(
        main,
        ["witness", "init", "--name", NAME, "--dir", str(place)],
        env={"REGISTRY_PASSPHRASE": PASSPHRASE, "LANG": "C.UTF-8"},
    )
    assert made.exit_code == 0, made.output
    added = runner.invoke(
        main,
        [
            "witness",
            "add-log",
            "--origin",
            ORIGIN,
            "--key",
            LOG.verifier_key_string,
            "--dir",
            str(place),
        ],
    )
    assert added.exit_code == 0, added.output
    return place


def test_init_prints_the_verifier_key_and_keeps_the_key_sealed(
    runner: CliRunner, folder: Path
) -> None:
    identity = json.loads((folder / "witness.json").read_text())
    key = VerifierKey.from_string(identity["verifier_key"])
    assert (key.name, int(key.sig_type)) == (NAME, 4)
    sealed = (folder / "witness.key").read_text()
    assert "public" in sealed
    again = runner.invoke(
        main,
        ["witness", "init", "--name", NAME, "--dir", str(folder)],
        env={"REGISTRY_PASSPHRASE": PASSPHRASE, "LANG": "id_ID.UTF-8"},
    )
    assert again.exit_code == 1
    assert "sudah berisi saksi" in again.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--origin", ORIGIN, "--key", "nonsense"], "not a C2SP verifier key"),
        (["--origin", ORIGIN, "--key", LOG.cosignature_verifier_key_string], "0x01"),
        (["--origin", "", "--key", LOG.verifier_key_string], "not a log origin"),
    ],
)
def test_add_log_refuses_what_is_not_a_log_key(
    runner: CliRunner, folder: Path, args: list[str], words: str
) -> None:
    result = runner.invoke(main, ["witness", "add-log", *args, "--dir", str(folder)])
    assert result.exit_code == 1
    assert words in result.output


def test_init_refuses_a_name_c2sp_forbids(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main,
        ["witness", "init", "--name", "bad name", "--dir", str(tmp_path / "w")],
        env={"REGISTRY_PASSPHRASE": PASSPHRASE},
    )
    assert result.exit_code == 1
    assert "cannot be a witness's name" in result.output


@contextlib.contextmanager
def serving_witness(folder: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = registry_env(REGISTRY_PASSPHRASE=PASSPHRASE)
    log = tmp_path / "witness.log"
    process = spawn(
        ["witness", "serve", "--port", str(port), "--dir", str(folder)],
        env=env,
        cwd=tmp_path,
        log=log,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, "registry witness serve answers", timeout=60, every=0.2)
        yield url
    finally:
        stop(process)


def test_serve_cosigns_over_http_and_status_shows_it(folder: Path, tmp_path: Path) -> None:
    t = forkable_tree(9)
    with serving_witness(folder, tmp_path) as url:
        first = sign_checkpoint(LOG, ORIGIN, 4, t.root(4))
        answer = httpx.post(url + "/add-checkpoint", content=add_checkpoint_request(0, [], first))
        assert answer.status_code == 200, answer.text
        second = sign_checkpoint(LOG, ORIGIN, 9, t.root(9))
        body = add_checkpoint_request(4, t.consistency_proof(4, 9), second)
        answer = httpx.post(url + "/add-checkpoint", content=body)
        assert answer.status_code == 200, answer.text
        key = VerifierKey.from_string(httpx.get(url + "/").json()["verifier_key"])
        assert verify_checkpoint(second + answer.text, [LOG.verifier_key], [key], 1).ok
    status = CliRunner().invoke(main, ["witness", "status", "--dir", str(folder)])
    assert status.exit_code == 0, status.output
    [log] = json.loads(status.output)["logs"]
    assert (log["origin"], log["size"]) == (ORIGIN, 9)


def test_serve_refuses_a_wrong_passphrase_in_one_line(folder: Path, tmp_path: Path) -> None:
    code, output = run_to_exit(
        ["witness", "serve", "--port", str(free_port()), "--dir", str(folder)],
        env=registry_env(REGISTRY_PASSPHRASE="wrong"),
        cwd=tmp_path,
        log=tmp_path / "refused.log",
    )
    assert code == 1, output
    assert "wrong passphrase" in output
    assert "Traceback" not in output


def test_status_fails_when_alarms_were_kept(folder: Path, tmp_path: Path) -> None:
    t, fork = forkable_tree(6), forkable_tree(6, fork_at=0)
    with serving_witness(folder, tmp_path) as url:
        for tree_ in (t, fork):
            note = sign_checkpoint(LOG, ORIGIN, 6, tree_.root(6))
            old = 0 if tree_ is t else 6
            httpx.post(url + "/add-checkpoint", content=add_checkpoint_request(old, [], note))
    status = CliRunner().invoke(main, ["witness", "status", "--dir", str(folder)])
    assert status.exit_code == 1
    assert "1 alarm(s)" in status.output
    assert json.loads(status.output.split("\nError")[0])["alarms"][0]["kind"] == "split-view"


def test_every_worker_of_registry_serve_serves_the_witnessed_checkpoint(
    database_url: str, tmp_path: Path
) -> None:
    # `registry serve --workers 2`: one worker sequences and submits to the witness, the
    # other follows; both serve the cosigned checkpoints from what the sequencer stored.
    origin, passphrase = "test.example/served", "uji-saksi-serve"
    env = registry_env(
        REGISTRY_DATABASE_URL=database_url,
        REGISTRY_DATA_DIR=str(tmp_path / "data"),
        REGISTRY_ORIGIN=origin,
        REGISTRY_ADMIN_PASSPHRASE=passphrase,
    )
    code, output = run_to_exit(["init"], env=env, cwd=tmp_path, log=tmp_path / "init.log")
    assert code == 0, output
    operator = open_keys(tmp_path / "data", passphrase, origin)
    follows = [(origin, operator.note.verifier_key_string)]
    with live_witness(tmp_path / "w", "bawaslu.example/w", follows) as witness:
        env["REGISTRY_WITNESSES"] = f"{witness.key} {witness.url}"
        with serving("--workers", "2", env=env, cwd=tmp_path, log=tmp_path / "serve.log") as s:
            signer = CoseSigner(fixed_key("ppk-witnessed"))
            statements = [
                operator.admin.sign_statement(enrolment(signer.public_key, "ppk"), "op", NOW_S),
                *cited_statements(operator.admin, issued_at=NOW_S),
                signer.sign_statement(pact(), "ppk", NOW_S),
            ]
            for statement in statements:
                answer = httpx.post(f"{s.url}/entries", content=statement, headers=COSE)
                assert answer.status_code == 201, answer.text
            size = int(answer.headers["x-registry-entry-index"]) + 1
            trusted = TrustedKeys.build(
                configurations=[
                    httpx.get(f"{s.url}/.well-known/transparency-configuration").content
                ]
            )
            assert trusted.witnesses_required == 1

            def witnessed_everywhere() -> bool:
                # fresh connections land on either worker: twenty in a row must agree
                for _ in range(20):
                    with httpx.Client(base_url=s.url) as client:
                        answer = client.get("/checkpoint/witnessed")
                    if answer.status_code != 200:
                        return False
                    verdict = verify_checkpoint(
                        answer.text, trusted.log_keys, trusted.witness_keys, 1, origin
                    )
                    if not verdict.ok or verdict.unwrap().size != size:
                        return False
                return True

            wait_until(
                witnessed_everywhere,
                "both workers serve the witnessed checkpoint",
                timeout=60,
                every=0.2,
            )
