"""`registry sign` names a pledge's signer from the registry's database when the file does not."""

from __future__ import annotations

import json
from pathlib import Path

import cbor2
import yaml
from click.testing import CliRunner
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.cli import main
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.signing.keys import load_key, raw_public_key
from registry.verify.qr import encode_offline
from tests.api.helpers import NOW_S, Registry, enrolment, pact
from tests.cli.test_keys_and_verify import ENV, ID
from tests.verify.vectors.material import LEAF, PPK, ROOT, SIZE, STATEMENT, TIMESTAMP
from tests.verify.vectors.witnessed import WITNESSED_TRUST, WITNESSES, raw

UNNAMED = {k: v for k, v in pact(template=pact()["template"].hex()).items() if k != "signer"}


def test_sign_reads_the_signer_from_the_registry_database(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    runner = CliRunner()
    key_path = tmp_path / "ppk.key"
    assert runner.invoke(main, ["keygen", "--out", str(key_path)], env=ENV).exit_code == 0
    public = raw_public_key(load_key(key_path, ENV["REGISTRY_PASSPHRASE"]))
    with TestClient(create_app(settings, operator)) as client:
        registry = Registry.bootstrapped(client, operator)
        enrolled = operator.admin.sign_statement(
            enrolment(public, "ppk", name="Bey Machmudin"), "operator", NOW_S
        )
        assert registry.post(enrolled).status_code == 201
    record = tmp_path / "pakta.yaml"
    record.write_text(yaml.safe_dump(UNNAMED))
    env = {**ENV, "REGISTRY_DATABASE_URL": settings.database_url}
    result = runner.invoke(main, ["sign", str(record), "--key", str(key_path)], env=env)
    assert result.exit_code == 0, result.output
    payload = cbor2.loads(cbor2.loads(record.with_suffix(".cose").read_bytes()).value[2])
    assert payload["signer"] == pact()["signer"]


def test_sign_without_a_database_asks_for_the_signer_in_the_file(tmp_path: Path) -> None:
    runner = CliRunner()
    key_path = tmp_path / "ppk.key"
    assert runner.invoke(main, ["keygen", "--out", str(key_path)], env=ENV).exit_code == 0
    record = tmp_path / "pakta.yaml"
    record.write_text(yaml.safe_dump(UNNAMED))
    result = runner.invoke(main, ["sign", str(record), "--key", str(key_path)], env=ENV)
    assert result.exit_code == 1
    assert "signer" in result.output


def test_verify_of_an_offline_qr_names_the_signer(tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(WITNESSED_TRUST["configuration"]))
    both = [raw(w) for w in WITNESSES]
    text = encode_offline(
        STATEMENT, PPK.public_key, LEAF, timestamp=TIMESTAMP, witnessed=(SIZE, ROOT, both)
    )
    said = CliRunner().invoke(main, ["verify", "--trust", str(trust), text], env=ID)
    assert said.exit_code == 0, said.output
    assert (
        "Pakta integritas ditandatangani oleh Bey Machmudin, Penjabat Gubernur Jawa Barat, "
        "Pemerintah Provinsi Jawa Barat" in said.output
    )
