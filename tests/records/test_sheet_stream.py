"""Spreadsheets read as a stream, in chunks; a chunk's cryptography on every core; stable salts."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import openpyxl
import pytest

from registry.records.bulk_crypto import CryptoPool
from registry.records.salts import StableSalts
from registry.records.sheet_stream import chunks, open_rows
from registry.records.spreadsheet import ImportFileError, read_table
from registry.signing.cose import CoseSigner
from registry.signing.keys import generate_key

HEADER = ["rekomendasi", "tindakan", "alasan"]


def csv_bytes(rows: list[list[object]], sep: str = ";") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep).writerows(rows)
    return buffer.getvalue().encode()


def test_a_file_over_postgresqls_parameter_limit_comes_in_chunks_of_at_most_the_size(
    tmp_path: Path,
) -> None:
    """32,001 rows: more than PostgreSQL binds in one statement; no chunk holds more than 5,000."""
    path = tmp_path / "tindak-lanjut.csv"
    path.write_bytes(csv_bytes([HEADER, *([i, "ditolak", "x"] for i in range(32_001))]))
    with open_rows(path, "follow-up") as rows:
        sizes, numbers = [], []
        for table in chunks(rows, 5_000):
            assert table.header == HEADER
            sizes.append(len(table.rows))
            numbers += [n for n, _ in table.rows]
    assert sizes == [5_000] * 6 + [2_001]
    assert numbers == list(range(2, 32_003))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_streamed_csv_reads_as_the_whole_file_does(tmp_path: Path, encoding: str) -> None:
    rows = [["No."], [], HEADER, ["3", "ditolak", "pensiun; sudah"], [], ["4", "disanksi", ""]]
    data = "\n".join(";".join(f'"{c}"' for c in r) for r in rows).encode(encoding)
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    whole = read_table(path.name, data, "follow-up")
    with open_rows(path, "follow-up") as streamed:
        assert (streamed.header_row, streamed.header) == (whole.header_row, whole.header)
        assert list(streamed.rows) == whole.rows


def test_a_streamed_xlsx_reads_as_the_whole_file_does(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in [HEADER, [3, "ditolak", "pensiun"], [None, None, None], [4, "disanksi", None]]:
        sheet.append(values)
    path = tmp_path / "t.xlsx"
    book.save(path)
    whole = read_table(path.name, path.read_bytes(), "follow-up")
    with open_rows(path, "follow-up") as streamed:
        assert list(streamed.rows) == whole.rows


def test_windows_1252_without_its_encoding_is_refused_as_the_whole_file_is(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([HEADER, ["3", "ditolak", "café"]]).replace(b"\xc3\xa9", b"\xe9"))
    with pytest.raises(ImportFileError, match="not UTF-8"), open_rows(path, "follow-up") as rows:
        list(rows.rows)


def test_the_pool_signs_and_verifies_in_order_on_two_processes() -> None:
    key = generate_key()
    signer = CoseSigner(key)
    raw = key.private_bytes_raw()
    jobs = [({"type": "note", "n": i}, 1_727_000_000 + i) for i in range(9)]
    pool = CryptoPool(2)
    try:
        statements = asyncio.run(pool.sign(raw, "kasn", jobs))
        # a bit of the signature flipped: its last byte (the top of S, 0 to 15) is 0
        # one time in 16, and then the fixed b"\x00" this wrote left it intact
        tampered = statements[0][:-1] + bytes([statements[0][-1] ^ 1])
        verdicts = asyncio.run(
            pool.verify([*statements, tampered], {signer.kid: signer.public_key})
        )
    finally:
        pool.close()
    assert statements == [signer.sign_statement(p, "kasn", t) for p, t in jobs]
    assert [v.ok for v in verdicts] == [True] * 9 + [False]
    assert [v.value.payload["n"] for v in verdicts[:9] if v.value] == list(range(9))


def test_a_nip_has_one_commitment_under_one_registry_and_another_under_another() -> None:
    nip = "198001012005011001"
    one, same, other = StableSalts(b"a" * 32), StableSalts(b"a" * 32), StableSalts(b"b" * 32)
    assert one.identity(nip, "Budi").commitment == same.identity(nip, None).commitment
    assert one.identity(nip, None).commitment != other.identity(nip, None).commitment
    assert one.salt(nip) != one.salt("199002022015022002")
