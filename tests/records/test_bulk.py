"""Reading and validating import spreadsheets (records/spreadsheet.py, bulk.py), no registry."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
from typing import Any

import openpyxl
import pytest

from registry.records.bulk import RowError, day_start, validate_table
from registry.records.personal import commit_nip
from registry.records.spreadsheet import ImportFileError, Table, read_table
from registry.store.models import SignerKeyRecord
from registry.verify.cbor import encode_deterministic

PPK_KID = "ab" * 32
NIP = "198001012005011001"
TODAY = dt.date(2024, 10, 1)
HEADER = (
    "nomor_kasus,instansi,ppk_kid,nip_asn,nama_asn,kategori,sanksi,batas_waktu,tanggal,pemilihan"
)


def row(**changes: str) -> str:
    values = {
        "nomor_kasus": "R-001/KASN/2024",
        "instansi": "Pemerintah Kabupaten Bogor",
        "ppk_kid": PPK_KID,
        "nip_asn": NIP,
        "nama_asn": "Budi Santoso",
        "kategori": "kampanye di media sosial",
        "sanksi": "sedang",
        "batas_waktu": "2024-10-15",
        "tanggal": "2024-09-27",
        "pemilihan": "pilkada-2024",
    }
    values.update(changes)
    return ",".join(values[name] for name in HEADER.split(","))


def csv_bytes(*lines: str, sep: str = ",", bom: bool = False) -> bytes:
    text = "\n".join(line.replace(",", sep) for line in lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def table(*lines: str, kind: Any = "recommendation") -> Table:
    return read_table("rekomendasi.csv", csv_bytes(*lines), kind)


def check(*lines: str, kind: Any = "recommendation", **options: Any) -> Any:
    options.setdefault("today", TODAY)
    return validate_table(table(*lines, kind=kind), kind, **options)


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for values in rows:
            sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ppk_key(nip: str, kid: bytes, instansi: str = "Pemerintah Kabupaten Bogor") -> SignerKeyRecord:
    return SignerKeyRecord(
        kid=kid,
        public_key=b"\x00" * 32,
        role="ppk",
        name="Bupati",
        nip=nip,
        jabatan="Bupati",
        instansi=instansi,
        decree_number="SK-1",
        decree_date="2023-01-01",
        term_start="2023-01-01",
        term_end="2025-12-31",
        valid_from=0,
        valid_until=2**40,
        enrolment_idx=1,
    )


# -- good rows ---------------------------------------------------------------------------


def test_a_good_row_becomes_a_recommendation_without_the_nip() -> None:
    result = check(HEADER, row())
    assert result.errors == []
    [only] = result.rows
    assert only.row == 2
    assert only.issued_at == day_start("2024-09-27")
    payload = only.payload
    assert payload["type"] == "recommendation"
    assert payload["ppk_kid"] == bytes.fromhex(PPK_KID)
    assert payload["sanction"] == "medium"
    [identity] = result.identities
    assert payload["subject_commitment"] == hashlib.sha256(identity.salt + NIP.encode()).digest()
    assert len(identity.salt or b"") == 16
    assert (identity.nip, identity.name) == (NIP, "Budi Santoso")
    encoded = encode_deterministic(payload)
    assert NIP.encode() not in encoded
    assert b"Budi" not in encoded


def test_one_person_in_two_cases_has_one_identity_and_each_person_a_fresh_salt() -> None:
    other = "199002022015022002"
    result = check(
        HEADER,
        row(),
        row(nomor_kasus="R-002", nama_asn=""),
        row(nomor_kasus="R-003", nip_asn=other),
    )
    assert result.errors == []
    commitments = [r.payload["subject_commitment"] for r in result.rows]
    assert commitments[0] == commitments[1] != commitments[2]
    assert [i.nip for i in result.identities] == [NIP, other]
    again = check(HEADER, row())
    assert again.rows[0].payload["subject_commitment"] != commitments[0]


def test_indonesian_excel_export_semicolons_bom_and_spelled_out_headers() -> None:
    header = "No.;Nomor Kasus;Instansi;PPK KID;NIP ASN;Nama ASN;Kategori;Sanksi;Batas Waktu"
    header += ";Pemilihan"
    line = f"1;R-9;Pemkab Bogor;{PPK_KID};19800101 200501 1 001;Budi;kampanye;Berat;15/10/2024"
    line += ";pilkada-2024"
    data = b"\xef\xbb\xbf" + f"{header}\r\n{line}\r\n".encode()
    result = validate_table(read_table("x.csv", data, "recommendation"), "recommendation")
    assert result.errors == []
    payload = result.rows[0].payload
    assert (payload["sanction"], payload["deadline"]) == ("heavy", "2024-10-15")
    assert result.rows[0].issued_at is None
    assert result.identities[0].nip == NIP


def test_english_headers_and_tabs_in_utf16_as_excel_unicode_text() -> None:
    header = "case_number\tagency\tppk_kid\tasn_nip\tcategory\tsanction\tdeadline\treport"
    header += "\telection"
    line = f"R-1\tPemkab Bogor\t{PPK_KID}\t{NIP}\tkampanye\tmoral\t2024-10-15\t7\tpemilu-2024"
    data = f"{header}\n{line}\n".encode("utf-16")
    result = validate_table(read_table("x.txt", data, "recommendation"), "recommendation")
    assert result.errors == []
    assert result.rows[0].payload["report"] == 7


def test_a_ppk_found_by_nip_among_the_enrolled_keys() -> None:
    header = HEADER.replace("ppk_kid", "ppk_nip")
    ppk_nip = "197001011995031001"
    kid = bytes(range(32))
    enrolled = [ppk_key(ppk_nip, kid), ppk_key(ppk_nip, b"\x01" * 32, "Pemerintah Kota Bogor")]
    result = check(header, row(ppk_kid=ppk_nip), enrolled=enrolled)
    assert result.errors == []
    assert result.rows[0].payload["ppk_kid"] == kid
    unknown = check(header, row(ppk_kid="197001011995031009"), enrolled=enrolled)
    assert unknown.errors == [
        RowError(2, "ppk_nip", "no enrolled PPK key for NIP 197001011995031009; give ppk_kid")
    ]


def test_a_ppk_enrolled_with_a_nip_commitment_is_found_by_nip() -> None:
    header = HEADER.replace("ppk_kid", "ppk_nip")
    ppk_nip = "197001011995031001"
    _, commitment = commit_nip(ppk_nip)
    kid = bytes(range(32))
    enrolled = [dataclasses.replace(ppk_key("", kid), nip=None, nip_commitment=commitment)]
    found = check(header, row(ppk_kid=ppk_nip), enrolled=enrolled, nips={commitment: ppk_nip})
    assert found.errors == []
    assert found.rows[0].payload["ppk_kid"] == kid
    erased = check(header, row(ppk_kid=ppk_nip), enrolled=enrolled, nips={})
    assert [e.column for e in erased.errors] == ["ppk_nip"]


@pytest.mark.parametrize(
    ("cell", "sanction"),
    [
        ("ringan", "light"),
        ("Hukuman Disiplin Ringan", "light"),
        ("sanksi moral", "moral"),
        ("moral", "moral"),
        ("sedang", "medium"),
        ("berat", "heavy"),
    ],
)
def test_sanction_words_map_to_their_level(cell: str, sanction: str) -> None:
    """`ringan` is light discipline (PP 94/2021), never the moral sanction (PP 42/2004)."""
    result = check(HEADER, row(sanksi=cell))
    assert result.errors == []
    assert result.rows[0].payload["sanction"] == sanction


def test_a_follow_up_records_the_sanction_imposed_and_its_idis_reference() -> None:
    header = "rekomendasi,tindakan,nomor_sk,tanggal_sk,sanksi_dijatuhkan,nomor_idis"
    line = "12,disanksi,800/1/BKPSDM,01/10/2024,ringan,IDIS-2024-77"
    result = check(header, line, kind="follow-up")
    assert result.errors == []
    payload = result.rows[0].payload
    assert (payload["sanction"], payload["idis_reference"]) == ("light", "IDIS-2024-77")


def test_follow_ups_in_indonesian() -> None:
    header = "rekomendasi,tindakan,nomor_sk,tanggal_sk,alasan"
    result = check(
        header,
        "12,dijatuhi sanksi,800/123/BKPSDM,01/10/2024,",
        "13,Ditolak,,,ASN sudah pensiun",
        kind="follow-up",
    )
    assert result.errors == []
    assert [r.payload for r in result.rows] == [
        {
            "type": "follow-up",
            "recommendation": 12,
            "action": "sanctioned",
            "decree_number": "800/123/BKPSDM",
            "decree_date": "2024-10-01",
        },
        {
            "type": "follow-up",
            "recommendation": 13,
            "action": "refused",
            "reason": "ASN sudah pensiun",
        },
    ]
    assert result.identities == []


def test_xlsx_with_excel_dates_and_the_sheet_that_has_the_columns() -> None:
    rows = [
        [
            *("Nomor Kasus", "Instansi", "ppk_kid", "NIP ASN", "Kategori", "Sanksi", "Batas Waktu"),
            "Pemilihan",
        ],
        [
            *("R-1", "Pemkab Bogor", PPK_KID, NIP, "kampanye", "sedang", dt.datetime(2024, 10, 15)),
            "pilkada-2024",
        ],
        [None] * 8,
        ["R-2", "Pemkab Bogor", PPK_KID, NIP, "kampanye", "berat", 45580, "pilkada-2024"],
    ]
    data = xlsx_bytes({"Petunjuk": [["Isi lembar Data"]], "Data": rows})
    read = read_table("rekomendasi.xlsx", data, "recommendation")
    assert read.source == "rekomendasi.xlsx, sheet 'Data'"
    result = validate_table(read, "recommendation")
    assert result.errors == []
    assert [(r.row, r.payload["deadline"]) for r in result.rows] == [
        (2, "2024-10-15"),
        (4, "2024-10-15"),
    ]


# -- bad rows: every error, with the row the user sees ------------------------------------


def test_every_bad_row_and_column_is_reported_not_just_the_first() -> None:
    result = check(
        HEADER,
        row(),
        row(nip_asn="1.98001E+17", sanksi="pecat"),
        "",
        row(batas_waktu="2024-02-30", nomor_kasus=""),
        row(ppk_kid="zz", tanggal="2025-01-01"),
        row(batas_waktu="2024-09-01"),
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "nip_asn"),
        (3, "sanksi"),
        (5, "nomor_kasus"),
        (5, "batas_waktu"),
        (6, "ppk_kid"),
        (7, "batas_waktu"),
    ]
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "Excel lost digits" in reasons[3, "nip_asn"]
    assert "'pecat' is not a sanction" in reasons[3, "sanksi"]
    assert "required" in reasons[5, "nomor_kasus"]
    assert "not a date in the calendar" in reasons[5, "batas_waktu"]
    assert "64 hex digits" in reasons[6, "ppk_kid"]
    assert "before the recommendation's date" in reasons[7, "batas_waktu"]
    assert [r.row for r in result.rows] == [2]


def test_a_date_in_the_future_and_a_duplicate_row() -> None:
    result = check(HEADER, row(), row(tanggal="2024-10-02", batas_waktu="2024-10-20"), row())
    assert result.errors == [
        RowError(3, "tanggal", "in the future"),
        RowError(4, "", "the same as row 2"),
    ]


def test_schema_rules_come_from_the_statement_schema() -> None:
    result = check(
        "rekomendasi,tindakan,nomor_sk,alasan",
        "12,dijatuhi sanksi,,",
        "13,ditolak,,",
        f"14,ditolak,,{'x' * 501}",
        kind="follow-up",
    )
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "nomor_sk"),
        (2, "tanggal_sk"),
        (3, "alasan"),
        (4, "alasan"),
    ]
    assert "required when the action is sanctioned" in result.errors[0].reason
    assert result.errors[3].reason == "is too long: 501 characters, at most 500"
    assert result.errors[3].reason_in("id") == "terlalu panjang: 501 karakter, paling banyak 500"


def test_one_nip_with_two_names_is_refused() -> None:
    result = check(HEADER, row(), row(nomor_kasus="R-2", nama_asn="Siti Aminah"))
    assert result.errors == [RowError(3, "nama_asn", "row 2 names this NIP 'Budi Santoso'")]


def test_a_nip_stored_as_an_excel_number_is_refused() -> None:
    rows = [HEADER.split(","), row().split(",")]
    rows[1][3] = 198001012005011001  # type: ignore[call-overload]
    data = xlsx_bytes({"Sheet1": rows})
    result = validate_table(read_table("r.xlsx", data, "recommendation"), "recommendation")
    assert result.errors[0].column == "nip_asn"
    assert "format the column as Text" in result.errors[0].reason


# -- bad headers and files -----------------------------------------------------------------


def test_unknown_missing_and_duplicate_columns() -> None:
    header = "nomor_kasus,case_number,instansi,nip_asn,sanksi,batas_waktu,keterangan"
    result = check(header, "R-1,R-1,Pemkab,198001012005011001,sedang,2024-10-15,catatan")
    assert [(e.row, e.column) for e in result.errors] == [
        (1, "case_number"),
        (1, "keterangan"),
        (1, "kategori"),
        (1, "pemilihan"),
        (1, "ppk_kid"),
    ]
    assert "unknown recommendation column" in result.errors[1].reason
    assert result.rows == []


def test_a_follow_up_file_imported_as_recommendations_names_what_is_missing() -> None:
    result = check("rekomendasi,tindakan", "12,ditolak")
    missing = {e.column for e in result.errors if "missing" in e.reason}
    assert missing == {
        "nomor_kasus",
        "instansi",
        "nip_asn",
        "kategori",
        "sanksi",
        "batas_waktu",
        "pemilihan",
        "ppk_kid",
    }


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("kosong.csv", b"", "the file is empty"),
        ("kosong.csv", b"\xef\xbb\xbf\n ; \n", "the file is empty"),
        ("header.csv", HEADER.encode() + b"\n", "a header (row 1) but no rows"),
        (
            "latin.csv",
            "nomor_kasus\nK-1 Ma\xf1ana\n".encode("cp1252"),
            "not UTF-8 (byte 0xf1 on line 2)",
        ),
        ("lama.xls", b"\xd0\xcf\x11\xe0", "the old .xls format"),
        ("rusak.xlsx", b"PK not really", "not a readable .xlsx workbook"),
        ("data.json", b"{}", "not a .csv or .xlsx file"),
    ],
)
def test_files_that_cannot_be_read_say_why(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_table(name, data, "recommendation")


def test_a_windows_csv_reads_with_its_encoding_named() -> None:
    data = f"{HEADER}\n{row(nama_asn='Budi Peña')}\n".encode("cp1252")
    read = read_table("r.csv", data, "recommendation", encoding="cp1252")
    assert validate_table(read, "recommendation", today=TODAY).identities[0].name == "Budi Peña"


def test_a_wrong_sheet() -> None:
    data = xlsx_bytes({"Data": [["a", "b"], [1, 2]], "Lain": [["c"], [3]]})
    with pytest.raises(ImportFileError, match="no sheet 'Rekap'; its sheets: Data, Lain"):
        read_table("r.xlsx", data, "recommendation", sheet="Rekap")
    with pytest.raises(ImportFileError, match="no sheet has the recommendation columns"):
        read_table("r.xlsx", data, "recommendation")
    named = read_table("r.xlsx", data, "recommendation", sheet="Lain")
    assert named.header == ["c"]


def test_a_chunk_checked_in_a_worker_process_is_checked_as_here() -> None:
    # prepare_chunk checks a chunk's rows in one of the pool's processes (off the sequencer):
    # the same rows, payloads, identities and errors (worded in both languages) as here
    from registry.records.bulk_crypto import CryptoPool
    from registry.records.salts import StableSalts

    lines = (HEADER, row(), row(nip_asn="12345"), row(nomor_kasus="R-002/KASN/2024"), row())
    options: dict[str, Any] = {"today": TODAY, "salts": StableSalts(b"s" * 32)}
    here = validate_table(table(*lines), "recommendation", **options)
    pool = CryptoPool(workers=1)
    try:
        there = asyncio.run(pool.call(validate_table, table(*lines), "recommendation", **options))
    finally:
        pool.close()
    assert there.rows == here.rows
    assert len(here.rows) == 2
    assert there.identities == here.identities
    assert there.errors == here.errors
    assert len(here.errors) == 2
    assert [e.reason_in("id") for e in there.errors] == [e.reason_in("id") for e in here.errors]
