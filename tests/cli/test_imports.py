"""`registry import` end to end: a real registry on SQLite and PostgreSQL, all rows or none."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import text

from registry.api.app import create_app
from registry.cli import main
from registry.cli.imports import ImportRefused, import_command, register_rows, sign_rows
from registry.config import Settings
from registry.records.bulk import validate_table
from registry.records.operator import OperatorKeys, create_keys, open_keys
from registry.records.personal import commit_nip
from registry.records.queued import Registered
from registry.records.service import RegistryService
from registry.records.spreadsheet import read_table
from registry.signing.keys import load_key, raw_public_key, save_key
from registry.store.engine import create_engine
from registry.store.models import IdentityRecord
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, Registry, enrolment
from tests.databases import BuiltOnce
from tests.factories import election_payload, fixed_key

T = TypeVar("T")
NIPS = ["198001012005011001", "199002022015022002", "198503032010031003"]
PPK_NIP = "197001011995031001"
JABAR = "Pemerintah Provinsi Jawa Barat"
HEADER = ["nomor_kasus", "instansi", "ppk_nip", "nip_asn", "nama_asn", "kategori", "sanksi"]
HEADER += ["batas_waktu", "tanggal", "pemilihan"]


def recommendation_rows(dates: list[str] | None = None) -> list[list[str]]:
    dates = dates or ["2024-09-27"] * len(NIPS)
    return [
        [
            *(f"R-{i}/2024", JABAR, PPK_NIP, nip, f"ASN {i}", "kampanye", "sedang", "2024-10-15"),
            *(day, "pilkada-2024"),
        ]
        for i, (nip, day) in enumerate(zip(NIPS, dates, strict=True))
    ]


def csv_file(rows: list[list[Any]], sep: str = ",", bom: bool = True) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- against the running registry (the service the server uses) ---------------------------


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    operator = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    with TestClient(create_app(settings, operator)) as client:
        registry = Registry.bootstrapped(client, operator)
        registry.enrol("kasn", role="recommender", instansi="KemenPAN-RB/BKN", nip=None)
        registry.enrol("ppk-jabar", nip=PPK_NIP)
        election = registry.operator.admin.sign_statement(election_payload(), "operator", NOW_S)
        assert registry.post(election).status_code == 201  # entry 3, which the rows cite
        yield registry


def nips_of(registry: Registry) -> dict[bytes, str]:
    """The NIPs behind the enrolled keys' commitments, as `registry import` reads them."""
    enrolled = registry.client.blocking_portal.call(registry.service.directory.all)
    commitments = [k.nip_commitment for k in enrolled if k.nip_commitment is not None]
    found: dict[bytes, str] = registry.client.blocking_portal.call(
        registry.service.identities.nips_of, commitments
    )
    return found


def on_app(registry: Registry, work: Callable[[RegistryService], Coroutine[Any, Any, T]]) -> T:
    service = registry.service
    with registry.client.portal() as portal:
        return portal.call(work, service)


def import_rows(registry: Registry, name: str, data: bytes, kind: Any, signer: str) -> Any:
    service = registry.service
    read = read_table(name, data, kind)
    validated = validate_table(
        read,
        kind,
        enrolled=registry.client.blocking_portal.call(service.directory.all),
        nips=nips_of(registry),
    )
    assert validated.errors == []
    statements = sign_rows(validated.rows, registry.signer(signer), signer, issued_at=NOW_S)

    async def work(service: RegistryService) -> list[Registered]:
        return await register_rows(service, validated, statements)

    return validated, statements, lambda: on_app(registry, work)


def test_recommendations_from_csv_are_logged_with_receipts_and_no_nip(registry: Registry) -> None:
    data = csv_file([HEADER, *recommendation_rows()], sep=";")
    validated, statements, run = import_rows(registry, "r.csv", data, "recommendation", "kasn")
    results = run()
    assert [r.index for r in results] == [4, 5, 6]
    trusted = registry.trusted()
    for result, statement in zip(results, statements, strict=True):
        verify_receipt(result.receipt, trusted.by_kid, statement).unwrap()
        served = registry.client.get(f"/entries/{result.index}/statement").content
        assert served == statement
        for nip in NIPS:
            assert nip.encode() not in served
    for identity in validated.identities:
        kept = on_app(registry, lambda s, c=identity.commitment: s.store.get_identity(c))
        assert (kept.nip, kept.salt, kept.erased_at) == (identity.nip, identity.salt, None)


def test_follow_ups_from_xlsx_refer_to_the_imported_recommendations(registry: Registry) -> None:
    _, _, run = import_rows(
        registry, "r.csv", csv_file([HEADER, *recommendation_rows()]), "recommendation", "kasn"
    )
    indexes = [r.index for r in run()]
    rows = [
        ["rekomendasi", "tindakan", "nomor_sk", "tanggal_sk", "alasan", "tanggal"],
        [indexes[0], "dijatuhi sanksi", "800/1/BKD", "01/10/2024", None, "2024-10-02"],
        [indexes[1], "ditolak", None, None, "ASN sudah pensiun", "2024-10-02"],
    ]
    _, _, follow = import_rows(registry, "t.xlsx", xlsx_file(rows), "follow-up", "ppk-jabar")
    results = follow()
    assert [r.index for r in results] == [7, 8]
    entry = registry.client.get("/entries/7", headers={"accept": "application/json"}).json()
    assert entry["payload"]["recommendation"] == indexes[0]


def test_a_row_signed_outside_the_term_is_refused_and_none_written(registry: Registry) -> None:
    dates = ["2024-09-27", "2023-01-02", "2024-09-27"]  # the middle one before the term began
    data = csv_file([HEADER, *recommendation_rows(dates)])
    _, _, run = import_rows(registry, "r.csv", data, "recommendation", "kasn")
    with pytest.raises(ImportRefused) as refused:
        run()
    [error] = refused.value.errors
    assert (error.row, error.column) == (3, "tanggal")
    assert "outside-term" in error.reason
    assert registry.client.get("/health").json()["size"] == 4


def test_identities_of_a_refused_import_are_erased_in_one_transaction(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_file([HEADER, *recommendation_rows(["2024-09-27", "2023-01-02", "2024-09-27"])])
    service = registry.service
    validated = validate_table(
        read_table("r.csv", data, "recommendation"),
        "recommendation",
        enrolled=registry.client.blocking_portal.call(service.directory.all),
        nips=nips_of(registry),
    )
    statements = sign_rows(validated.rows, registry.signer("kasn"), "kasn")
    store = service.store
    calls: list[int] = []
    erase_identities = store.erase_identities

    async def erase_many(commitments: Sequence[bytes], *, now_ms: int) -> int:
        calls.append(len(commitments))
        return await erase_identities(commitments, now_ms=now_ms)

    async def erase_one(commitment: bytes, *, now_ms: int) -> bool:
        raise AssertionError("identities erased one transaction each")

    monkeypatch.setattr(store, "erase_identities", erase_many)
    monkeypatch.setattr(store, "erase_identity", erase_one)

    async def work(service: RegistryService) -> list[Any]:
        with pytest.raises(ImportRefused):
            await register_rows(service, validated, statements)
        return [await service.store.get_identity(i.commitment) for i in validated.identities]

    kept = on_app(registry, work)
    assert calls == [3]
    assert len(kept) == 3
    assert all(i is not None and i.erased and i.nip is None for i in kept)
    assert len({i.erased_at for i in kept}) == 1


def test_a_follow_up_to_an_unknown_recommendation_is_reported(registry: Registry) -> None:
    rows = [["rekomendasi", "tindakan", "alasan"], [2, "ditolak", "bukan rekomendasi"]]
    rows += [[999, "ditolak", "tidak ada"]]
    _, _, run = import_rows(registry, "t.csv", csv_file(rows), "follow-up", "ppk-jabar")
    with pytest.raises(ImportRefused) as refused:
        run()
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (2, "rekomendasi"),
        (3, "rekomendasi"),
    ]
    assert registry.client.get("/health").json()["size"] == 4


# -- the command line ----------------------------------------------------------------------


CLI_PASSPHRASES = {
    "REGISTRY_ADMIN_PASSPHRASE": "operator-uji",
    "REGISTRY_ORIGIN": "test.example/pakta",
    "REGISTRY_PASSPHRASE": "rahasia-penanda-tangan",
}
SIGNERS = ("kasn", "ppk")
"""The key files beside the registry's folder: the recommender's and the PPK's."""


def _cli_registry(settings: Settings) -> None:
    """``registry init``, two ``registry keygen`` key files beside the data folder, and the
    recommender and PPK enrolled."""
    folder = settings.data_dir.parent
    env = {
        **CLI_PASSPHRASES,
        "REGISTRY_DATABASE_URL": settings.database_url,
        "REGISTRY_DATA_DIR": str(settings.data_dir),
    }
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    publics = {}
    for label in SIGNERS:
        path = folder / f"{label}.key"
        made = runner.invoke(main, ["keygen", "--out", str(path)], env=env)
        assert made.exit_code == 0, made.output
        publics[label] = raw_public_key(load_key(path, env["REGISTRY_PASSPHRASE"]))
    built = Settings.from_env(env)
    keys = open_keys(built.data_dir, built.admin_passphrase, built.origin)
    asyncio.run(_enrol(built, keys, publics))


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, built_once: BuiltOnce) -> dict[str, str]:
    """An initialised registry with a recommender and a PPK enrolled, and their key files
    (``kasn.key``, ``ppk.key`` in ``tmp_path``): built once a session per backend, copied."""
    env = {
        **CLI_PASSPHRASES,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
    }
    built = built_once("cli-registry", Settings.from_env(env), _cli_registry)
    for label in SIGNERS:
        shutil.copy2(built.data_dir.parent / f"{label}.key", tmp_path / f"{label}.key")
    return env


async def _enrol(settings: Settings, keys: OperatorKeys, publics: dict[str, bytes]) -> None:
    service = await RegistryService.open(settings, keys)
    try:
        term = {"term_start": "2024-01-01", "term_end": "2099-12-31"}
        for label, role, nip in (("kasn", "recommender", None), ("ppk", "ppk", PPK_NIP)):
            payload = enrolment(publics[label], role, **term)
            if nip is not None:  # as the operator enrols: the NIP behind a commitment
                salt, commitment = commit_nip(nip)
                await service.identities.keep([IdentityRecord(commitment, salt, nip, "PPK")])
                payload["nip_commitment"] = commitment
            payload = {k: v for k, v in payload.items() if v is not None}
            # enrolled now: the command line's registry keeps the default maximum statement age
            now = int(time.time())
            await service.register(keys.admin.sign_statement(payload, "operator", now))
        # entry 3: the election the rows cite
        await service.register(keys.admin.sign_statement(election_payload(), "operator", now))
    finally:
        await service.close()


def entry_types(env: dict[str, str]) -> list[str]:
    async def types() -> list[str]:
        settings = Settings.from_env(env)
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
        try:
            return [record.type for record in await service.entries(0, service.size)]
        finally:
            await service.close()

    return asyncio.run(types())


def log_size(env: dict[str, str]) -> int:
    async def size() -> int:
        settings = Settings.from_env(env)
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
        try:
            return service.size
        finally:
            await service.close()

    return asyncio.run(size())


def invoke(env: dict[str, str], tmp_path: Path, name: str, data: bytes, *args: str) -> Any:
    path = tmp_path / name
    path.write_bytes(data)
    kind = "follow-up" if "follow" in name else "recommendation"
    key = tmp_path / ("ppk.key" if kind == "follow-up" else "kasn.key")
    command = [str(path), "--type", kind, "--key", str(key), *args]
    return CliRunner().invoke(import_command, command, env=env)


def test_cli_imports_a_csv_and_writes_the_report(cli_env: dict[str, str], tmp_path: Path) -> None:
    report = tmp_path / "laporan.csv"
    data = csv_file([HEADER, *recommendation_rows()], sep=";")
    result = invoke(cli_env, tmp_path, "rekomendasi.csv", data, "--report", str(report))
    assert result.exit_code == 0, result.output
    # rows dated 2024: entry 4 (after the election, 3) is the recommender's attestation of
    # them, registered with them
    assert "3 rows imported as entries 5..7" in result.output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines == [
        ["row", "column", "entry", "reason"],
        ["2", "", "5", "imported"],
        ["3", "", "6", "imported"],
        ["4", "", "7", "imported"],
    ]
    assert log_size(cli_env) == 8
    assert entry_types(cli_env) == [
        "enrolment",
        "enrolment",
        "enrolment",
        "election",
        "attestation",
        "recommendation",
        "recommendation",
        "recommendation",
    ]


def test_cli_bad_rows_are_reported_and_the_others_stand(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = recommendation_rows()
    rows[1][3] = "12345"
    rows[2][6] = "dipecat"
    report = tmp_path / "laporan.csv"
    data = xlsx_file([HEADER, *rows])
    before = log_size(cli_env)
    row = before + 1  # after the attestation of the row (dated 2024)
    result = invoke(cli_env, tmp_path, "rekomendasi.xlsx", data, "--report", str(report))
    assert result.exit_code == 1
    assert f"1 rows imported as entries {row}..{row}; 2 of 3 rows refused" in result.output
    assert "'12345' is not an 18-digit NIP" in result.output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [line[:3] for line in lines[1:]] == [
        ["2", "", str(row)],
        ["3", "nip_asn", ""],
        ["4", "sanksi", ""],
    ]
    assert log_size(cli_env) == before + 2  # the attestation of the row, and the row


def test_cli_registry_refusals_import_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = csv_file([["rekomendasi", "tindakan", "alasan"], [2, "ditolak", "salah entri"]])
    result = invoke(cli_env, tmp_path, "tindak-follow.csv", data)
    assert result.exit_code == 1, result.output
    assert "nothing imported: 1 of 1 rows rejected" in result.output
    assert log_size(cli_env) == 4


def test_cli_refuses_a_rolled_back_database(cli_env: dict[str, str], tmp_path: Path) -> None:
    async def roll_back_the_ppk_enrolment() -> None:
        engine = create_engine(cli_env["REGISTRY_DATABASE_URL"])
        try:
            async with engine.begin() as connection:
                for statement in (
                    "DELETE FROM signer_keys WHERE enrolment_idx = 2",
                    "DELETE FROM checkpoints WHERE size >= 3",
                    "DELETE FROM entries WHERE idx >= 2",
                ):
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(roll_back_the_ppk_enrolment())
    data = csv_file([HEADER, *recommendation_rows()], sep=";")
    result = invoke(cli_env, tmp_path, "rekomendasi.csv", data)
    assert result.exit_code == 1
    assert result.output.startswith("Error: The database holds 2 entries")
    assert "checkpoint of 4 entries" in result.output


def test_cli_dry_run_registers_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = csv_file([HEADER, *recommendation_rows()], bom=False)
    result = invoke(cli_env, tmp_path, "rekomendasi.csv", data, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "3 rows valid; nothing imported (dry run)" in result.output
    assert log_size(cli_env) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (csv_file([["nomor_kasus", "kolom_aneh"], ["R-1", "x"]]), "unknown recommendation column"),
    ],
    ids=["empty-file", "wrong-column"],
)
def test_cli_file_problems_exit_1(
    cli_env: dict[str, str], tmp_path: Path, data: bytes, message: str
) -> None:
    result = invoke(cli_env, tmp_path, "rekomendasi.csv", data)
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert message in result.output


def test_cli_a_key_of_the_wrong_role(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "rekomendasi.csv"
    path.write_bytes(csv_file([HEADER, *recommendation_rows()]))
    command = [str(path), "--type", "recommendation", "--key", str(tmp_path / "ppk.key")]
    result = CliRunner().invoke(import_command, command, env=cli_env)
    assert result.exit_code == 1
    assert "a recommendation is signed by a recommender" in result.output


def test_cli_refuses_while_a_server_sequences(
    registry: Registry, settings: Settings, tmp_path: Path
) -> None:
    key = tmp_path / "kasn.key"
    save_key(key, fixed_key("kasn"), "rahasia")
    path = tmp_path / "rekomendasi.csv"
    path.write_bytes(csv_file([HEADER, *recommendation_rows()]))
    env = {
        "REGISTRY_DATABASE_URL": settings.database_url,
        "REGISTRY_DATA_DIR": str(settings.data_dir),
        "REGISTRY_ADMIN_PASSPHRASE": settings.admin_passphrase,
        "REGISTRY_ORIGIN": settings.origin,
        "REGISTRY_PASSPHRASE": "rahasia",
    }
    command = [str(path), "--type", "recommendation", "--key", str(key)]
    result = CliRunner().invoke(import_command, command, env=env)
    assert result.exit_code == 1, result.output
    assert "another process (a running `registry serve`) sequences this log" in result.output
    assert registry.client.get("/health").json()["size"] == 4


def test_cli_without_a_passphrase_says_where_to_give_one(tmp_path: Path) -> None:
    key = tmp_path / "kasn.key"
    save_key(key, fixed_key("kasn"), "rahasia")
    path = tmp_path / "rekomendasi.csv"
    path.write_bytes(csv_file([HEADER, *recommendation_rows()]))
    command = [str(path), "--type", "recommendation", "--key", str(key)]
    result = CliRunner().invoke(import_command, command, env={"REGISTRY_PASSPHRASE": None})
    assert result.exit_code == 2, result.output
    assert "no passphrase: set REGISTRY_PASSPHRASE, pass --passphrase-file" in result.output


def test_cli_an_unreadable_passphrase_file_is_a_clear_error(tmp_path: Path) -> None:
    key = tmp_path / "kasn.key"
    save_key(key, fixed_key("kasn"), "rahasia")
    secret = tmp_path / "sandi.txt"
    secret.write_bytes(b"\xff\xfe\x00rahasia")
    path = tmp_path / "rekomendasi.csv"
    path.write_bytes(csv_file([HEADER, *recommendation_rows()]))
    command = [str(path), "--type", "recommendation", "--key", str(key)]
    command += ["--passphrase-file", str(secret)]
    result = CliRunner().invoke(import_command, command)
    assert result.exit_code == 2, result.output
    assert "--passphrase-file" in result.output
    assert "as UTF-8 text" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- without the `xlsx` extra --------------------------------------------------------------


def test_an_xlsx_import_without_the_xlsx_extra_names_it_and_writes_nothing(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = xlsx_file([HEADER, *recommendation_rows()])
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as on an install without the extra
    result = invoke(cli_env, tmp_path, "rekomendasi.xlsx", data)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: registry import of an .xlsx workbook needs the optional 'xlsx' packages:"
        " pip install 'integrity-pact-registry[xlsx]'"
    )
    assert log_size(cli_env) == 4


def test_a_csv_import_needs_no_xlsx_extra(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    data = csv_file([HEADER, *recommendation_rows()], sep=";")
    result = invoke(cli_env, tmp_path, "rekomendasi.csv", data)
    assert result.exit_code == 0, result.output
    assert log_size(cli_env) == 8  # with the attestation of the rows


# -- the report in Bahasa Indonesia --------------------------------------------------------

ID = {"LANG": "id_ID.UTF-8"}


def test_cli_rejected_rows_are_reported_in_indonesian(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = recommendation_rows()
    rows[1][3] = "12345"
    rows[2][6] = "dipecat"
    rows[2][7] = "2024-02-30"
    report = tmp_path / "laporan.csv"
    data = csv_file([HEADER, *rows])
    env = {**cli_env, **ID}
    before = log_size(cli_env)
    row = before + 1  # after the attestation of the row (dated 2024)
    result = invoke(env, tmp_path, "rekomendasi.csv", data, "--report", str(report))
    assert result.exit_code == 1
    assert f"1 baris diimpor sebagai entri {row}..{row}; 2 dari 3 baris ditolak" in result.output
    assert "'12345' bukan NIP 18 digit" in result.output
    assert "'dipecat' bukan sanksi: moral (sanksi moral, PP 42/2004), light (ringan)" in (
        result.output
    )
    assert "'2024-02-30' tidak ada di kalender" in result.output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["baris", "kolom", "entri", "alasan"]
    assert lines[2] == ["3", "nip_asn", "", "'12345' bukan NIP 18 digit"]
    english = tmp_path / "report.csv"
    again = invoke(
        env, tmp_path, "rekomendasi.csv", data, "--report", str(english), "--report-language", "en"
    )
    assert "sudah ada di log" in again.output  # the terminal keeps the command's language
    lines = list(csv.reader(english.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["row", "column", "entry", "reason"]
    assert lines[1] == ["2", "", str(row), "already in the log"]
    assert lines[2] == ["3", "nip_asn", "", "'12345' is not an 18-digit NIP"]
    assert log_size(cli_env) == before + 2  # the second import registered nothing new


def test_cli_registry_refusals_are_reported_in_indonesian(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    data = csv_file([["rekomendasi", "tindakan", "alasan"], [2, "ditolak", "salah entri"]])
    result = invoke({**cli_env, **ID}, tmp_path, "tindak-follow.csv", data)
    assert result.exit_code == 1, result.output
    assert "tidak ada yang diimpor: 1 dari 1 baris ditolak" in result.output
    assert "Entri yang dirujuk bukan rekomendasi (not-a-recommendation): entri 2 adalah" in (
        result.output
    )


def test_cli_summary_and_report_of_an_import_in_indonesian(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "laporan.csv"
    data = csv_file([HEADER, *recommendation_rows()], sep=";")
    env = {**cli_env, **ID}
    dry = invoke(env, tmp_path, "rekomendasi.csv", data, "--dry-run")
    assert "3 baris sah; tidak ada yang diimpor" in dry.output
    result = invoke(env, tmp_path, "rekomendasi.csv", data, "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "3 baris diimpor sebagai entri 5..7; 3 identitas disimpan di luar log" in result.output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["baris", "kolom", "entri", "alasan"]
    assert lines[1] == ["2", "", "5", "diimpor"]


def test_cli_a_file_that_cannot_be_read_is_said_in_indonesian(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = invoke({**cli_env, **ID}, tmp_path, "rekomendasi.xls", b"\xd0\xcf\x11\xe0")
    assert result.exit_code == 1
    assert "rekomendasi.xls: format .xls lama; simpan sebagai .xlsx atau CSV UTF-8" in result.output
