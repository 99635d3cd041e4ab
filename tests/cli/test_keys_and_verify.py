"""The `registry` command: keygen, sign and verify as an operator scripts them."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from registry.cli import main
from registry.signing.keys import load_key, raw_public_key
from registry.store.repository import Store
from registry.verify.statement import verify_statement
from registry.verify.trust import b64url
from tests.factories import TEMPLATE_SHA256, logged

ENV = {"REGISTRY_PASSPHRASE": "rahasia-ppk"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def key_file(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "ppk.key"
    result = runner.invoke(main, ["keygen", "--out", str(path)], env=ENV)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "pakta.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "type": "pact",
                "template": TEMPLATE_SHA256.hex(),
                "election": "pilkada-2024",
                "instansi": "Pemerintah Kabupaten Bogor",
                "place": "Cibinong",
                "date": "2024-09-27",
                "witnesses": [
                    {"name": "Ketua", "jabatan": "Ketua", "instansi": "Bawaslu Kab. Bogor"}
                ],
                "signer": {
                    "name": "Nama Lengkap PPK",
                    "jabatan": "Bupati Bogor",
                    "instansi": "Pemerintah Kabupaten Bogor",
                },
            }
        )
    )
    return path


def test_keygen_prints_kid_and_refuses_to_overwrite(key_file: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["keygen", "--out", str(key_file)], env=ENV)
    assert result.exit_code == 1
    assert "exists" in result.output


def test_sign_then_verify_round_trip(key_file: Path, record: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["sign", str(record), "--key", str(key_file)], env=ENV)
    assert result.exit_code == 0, result.output
    statement = record.with_suffix(".cose").read_bytes()
    public = raw_public_key(load_key(key_file, ENV["REGISTRY_PASSPHRASE"]))
    assert verify_statement(statement, {__import__("hashlib").sha256(public).digest(): public}).ok

    checked = runner.invoke(
        main, ["verify", str(record.with_suffix(".cose")), "--key", str(key_file)]
    )
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output
    assert "Cibinong" in checked.output


def test_verify_with_another_key_exits_non_zero_with_reason(
    key_file: Path, record: Path, runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["sign", str(record), "--key", str(key_file)], env=ENV)
    other = tmp_path / "other.key"
    runner.invoke(main, ["keygen", "--out", str(other)], env=ENV)
    result = runner.invoke(main, ["verify", str(record.with_suffix(".cose")), "--key", str(other)])
    assert result.exit_code == 1
    assert "unknown-key" in result.output


def test_sign_with_wrong_passphrase_fails(key_file: Path, record: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["sign", str(record), "--key", str(key_file)], env={"REGISTRY_PASSPHRASE": "salah"}
    )
    assert result.exit_code == 1
    assert "wrong passphrase" in result.output


def test_sign_refuses_a_record_that_breaks_its_schema(
    key_file: Path, tmp_path: Path, runner: CliRunner
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "pact", "election": "pilkada-2024"}')
    result = runner.invoke(main, ["sign", str(bad), "--key", str(key_file)], env=ENV)
    assert result.exit_code == 1
    assert "the pact record has 5 bad field(s)" in result.output
    for field in ("template", "instansi", "place", "date", "signer"):
        assert f"  - {field}: is required" in result.output
    assert not bad.with_suffix(".cose").exists()


def test_sign_refuses_unknown_type(key_file: Path, tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: petition\n")
    result = runner.invoke(main, ["sign", str(bad), "--key", str(key_file)], env=ENV)
    assert result.exit_code == 1
    assert "unknown statement type" in result.output


def test_verify_receipt_against_registry_key(tmp_path: Path, runner: CliRunner) -> None:
    from tests.factories import signed_pact

    statements = [signed_pact(place=f"Kota {i}") for i in range(3)]
    _, receipts, registry = logged(statements)
    (tmp_path / "r.cose").write_bytes(receipts[1])
    (tmp_path / "s.cose").write_bytes(statements[1])
    key = b64url(registry.public_key)
    ok = runner.invoke(
        main,
        ["verify", str(tmp_path / "r.cose"), "--key", key, "--statement", str(tmp_path / "s.cose")],
    )
    assert ok.exit_code == 0, ok.output
    assert "tree_size: 3" in ok.output
    (tmp_path / "s0.cose").write_bytes(statements[0])
    wrong = runner.invoke(
        main,
        [
            "verify",
            str(tmp_path / "r.cose"),
            "--key",
            key,
            "--statement",
            str(tmp_path / "s0.cose"),
        ],
    )
    assert wrong.exit_code == 1
    assert "wrong-statement" in wrong.output


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty", b"", "empty"),
        ("truncated", b"\xd2\x84\x43", "truncated"),
        ("garbage", b"\x1c", "malformed"),
    ],
)
def test_verify_bad_input_exits_non_zero(
    name: str, content: bytes, reason: str, tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / "x.cose"
    path.write_bytes(content)
    result = runner.invoke(main, ["verify", str(path), "--key", "A" * 43])
    assert result.exit_code == 1
    assert reason in result.output


def test_verify_bad_key_text_is_a_clear_error(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "x.cose"
    path.write_bytes(b"\x00")
    result = runner.invoke(main, ["verify", str(path), "--key", "not-a-key"])
    assert result.exit_code == 1
    assert "not a public key" in result.output


def test_example_pact_in_the_docs_signs(key_file: Path, runner: CliRunner, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "pakta.yaml"
    copy = tmp_path / "pakta.yaml"
    copy.write_text(example.read_text())
    result = runner.invoke(main, ["sign", str(copy), "--key", str(key_file)], env=ENV)
    assert result.exit_code == 0, result.output
    assert copy.with_suffix(".cose").stat().st_size > 100


# -- in Bahasa Indonesia when LANG says id -------------------------------------------------

ID = {"LANG": "id_ID.UTF-8"}


def test_sign_lists_every_bad_field_of_a_yaml_record_in_indonesian(
    key_file: Path, tmp_path: Path, runner: CliRunner
) -> None:
    bad = tmp_path / "pakta.yaml"
    bad.write_text(
        "type: pact\ntemplate: bukan-hash!\nelection: pilkada-2024\ninstansi: Pemkab Bogor\n"
        "date: 14-02-2024\nsuasana: senang\n"
    )
    said = runner.invoke(main, ["sign", str(bad), "--key", str(key_file)], env={**ENV, **ID})
    assert said.exit_code == 1
    assert said.output.startswith("Galat: ")
    assert "data pact memiliki 5 kolom yang salah" in said.output
    assert "  - penandatangan (signer): wajib diisi" in said.output
    assert "  - suasana: kolom tidak dikenal" in said.output
    assert "  - templat naskah (template): harus berupa 32 byte" in said.output
    assert "  - tempat (place): wajib diisi" in said.output
    assert "  - tanggal (date): harus berupa tanggal YYYY-MM-DD, misalnya 2024-02-14" in said.output
    english = runner.invoke(main, ["sign", str(bad), "--key", str(key_file)], env=ENV)
    assert english.output.startswith("Error: ")
    assert "  - date: must be a date written YYYY-MM-DD, e.g. 2024-02-14" in english.output
    assert "regex" not in said.output + english.output


def test_verify_says_its_verdict_in_indonesian(
    key_file: Path, record: Path, runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["sign", str(record), "--key", str(key_file)], env=ENV)
    statement = str(record.with_suffix(".cose"))
    good = runner.invoke(main, ["verify", statement, "--key", str(key_file)], env=ID)
    assert good.exit_code == 0, good.output
    assert good.output.startswith("pernyataan bertanda tangan: SAH")
    other = tmp_path / "other.key"
    runner.invoke(main, ["keygen", "--out", str(other)], env=ENV)
    bad = runner.invoke(main, ["verify", statement, "--key", str(other)], env=ID)
    assert bad.exit_code == 1
    assert "pernyataan bertanda tangan: GAGAL (unknown-key)" in bad.output
    assert "kuncinya tidak dikenal atau tidak dipercaya (rincian teknis:" in bad.output
    english = runner.invoke(main, ["verify", statement, "--key", str(other)])
    assert "signed statement: FAILED (unknown-key)" in english.output
    assert "rincian" not in english.output


def test_key_errors_speak_indonesian(key_file: Path, record: Path, runner: CliRunner) -> None:
    exists = runner.invoke(main, ["keygen", "--out", str(key_file)], env={**ENV, **ID})
    assert exists.exit_code == 1
    assert "sudah ada; beri --force untuk menimpanya" in exists.output
    wrong = runner.invoke(
        main,
        ["sign", str(record), "--key", str(key_file)],
        env={"REGISTRY_PASSPHRASE": "salah", **ID},
    )
    assert wrong.exit_code == 1
    assert "frasa sandi salah untuk kunci ini" in wrong.output
    nothing = runner.invoke(
        main, ["sign", str(record), "--key", str(key_file)], env={"REGISTRY_PASSPHRASE": "", **ID}
    )
    assert nothing.exit_code == 2
    assert "tidak ada frasa sandi: isi REGISTRY_PASSPHRASE" in nothing.output


def test_lc_all_overrides_lang(key_file: Path, runner: CliRunner) -> None:
    env = {**ENV, "LANG": "id_ID.UTF-8", "LC_ALL": "en_US.UTF-8"}
    result = runner.invoke(main, ["keygen", "--out", str(key_file)], env=env)
    assert "exists; pass --force" in result.output


def test_sign_an_enrolment_keeps_the_nip_out_of_the_statement(
    key_file: Path, tmp_path: Path, runner: CliRunner
) -> None:
    nip = "197501012000031002"
    path = tmp_path / "enrol.yaml"
    written = {
        "type": "enrolment",
        "public_key": b64url(b"\x07" * 32),
        "role": "ppk",
        "name": "Bey Machmudin",
        "nip": nip,
        "jabatan": "Penjabat Gubernur Jawa Barat",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "decree_number": "Keppres No. 96/P Tahun 2023",
        "decree_date": "2023-09-01",
        "term_start": "2023-09-05",
        "term_end": "2024-12-31",
    }
    path.write_text(yaml.safe_dump(written))
    database = tmp_path / "registry.db"
    env = {**ENV, "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = runner.invoke(main, ["sign", str(path), "--key", str(key_file)], env=env)
    assert result.exit_code == 0, result.output
    statement = path.with_suffix(".cose").read_bytes()
    assert nip.encode() not in statement
    verdict = verify_statement(
        statement, lambda _: raw_public_key(load_key(key_file, "rahasia-ppk"))
    )
    assert verdict.value is not None
    payload = verdict.value.payload
    assert "nip" not in payload
    kept = asyncio.run(_identity(env["REGISTRY_DATABASE_URL"], payload["nip_commitment"]))
    assert kept is not None
    assert kept.nip == nip
    assert kept.salt is not None
    assert hashlib.sha256(kept.salt + nip.encode()).digest() == payload["nip_commitment"]


async def _identity(url: str, commitment: bytes) -> Any:
    async with Store.open(url) as store:
        return await store.get_identity(commitment)
