"""The printable certificate: one A4 page, the record's text and everything to check it."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import pytest
from pypdf import PdfReader

from registry.demo import data as demo_data
from registry.documents.certificate import CertificateData, Template, render_certificate
from registry.documents.qr import png_image
from registry.verify.link import link_text
from tests.factories import ISSUED_AT

LEAF_HASH = hashlib.sha256(b"leaf").digest()
LINK = link_text("https://pakta.example.go.id", 4321, LEAF_HASH)
CHECKPOINT = (
    "test.example/pakta\n4400\nq3bXh0n8fY3yZ0r+GmJzN1sB8m7S8cB1m0w2QfWm8kE=\n\n"
    "\u2014 test.example/pakta Az3k9QqYl7J6mU0m0S0u0o3w0J0yZ4Jm4tE0l2V0mJm0yA0o2n0U0c0m0J0y"
    "Z4Jm4tE0l2V0mJm0yA0o2n0U0c0m0J0yZ4Jm4tE0l2V0mJm0yA0o2n0U0c0==\n"
)
PACT = CertificateData(
    index=4321,
    statement_type="pact",
    payload={
        "type": "pact",
        "election": "pilkada-2024",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "place": "Bandung",
        "date": "2024-09-27",
        "witnesses": [
            {"name": "Rahmat Bagja", "jabatan": "Ketua", "instansi": "Badan Pengawas Pemilu"},
            {"name": "Agus Pramusinto", "jabatan": "Ketua", "instansi": "KASN"},
        ],
    },
    template_sha256=hashlib.sha256(demo_data.PACT_TEXT.encode()).digest(),
    template=Template(2, demo_data.PACT_TITLE, demo_data.PACT_TEXT),
    signer_name="Bey Machmudin",
    signer_jabatan="Penjabat Gubernur Jawa Barat",
    signer_instansi="Pemerintah Provinsi Jawa Barat",
    registered_at=ISSUED_AT * 1000,
    leaf_hash=LEAF_HASH,
    statement_sha256=hashlib.sha256(b"statement").digest(),
    signer_kid=hashlib.sha256(b"key").digest(),
    checkpoint=CHECKPOINT,
    link=LINK,
    link_png=png_image(LINK),
    offline_png=png_image("PI1:" + "ABC" * 300),
)


def page_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    return reader.pages[0].extract_text()


def test_pact_certificate_is_one_a4_page_with_what_it_promises() -> None:
    pdf = render_certificate(PACT)
    text = page_text(pdf)
    for expected in (
        "PAKTA INTEGRITAS",
        "Integrity pact",
        demo_data.PACT_TITLE,
        "Menindaklanjuti setiap rekomendasi",  # the template's text
        "Bey Machmudin",
        "Penjabat Gubernur Jawa Barat",
        "Pemerintah Provinsi Jawa Barat",
        "Rahmat Bagja",
        "Agus Pramusinto",
        "2024-09-27",
        "4321",
        LEAF_HASH.hex(),
        PACT.statement_sha256.hex(),
        "test.example/pakta",
        "4400",
        LINK.split("#")[0],
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2  # both QR codes


def test_declaration_certificate() -> None:
    declaration = dataclasses.replace(
        PACT,
        statement_type="declaration",
        payload={
            "type": "declaration",
            "election": "pemilu-2024",
            "instansi": "Pemerintah Kota Bandung",
            "date": "2023-11-08",
        },
        template=Template(3, demo_data.DECLARATION_TITLE, demo_data.DECLARATION_TEXT),
    )
    text = page_text(render_certificate(declaration))
    assert "DEKLARASI NETRALITAS" in text
    assert "Menolak politik uang" in text
    assert "Pemerintah Kota Bandung" in text


def test_a_very_long_text_is_shrunk_then_cut_to_one_page() -> None:
    long = dataclasses.replace(PACT, template=Template(2, "Panjang", "kata " * 4000))
    text = page_text(render_certificate(long))
    assert "teks lengkap / full text: entri #2" in text
    assert LEAF_HASH.hex() in text


def test_unknown_template_prints_the_cited_hash() -> None:
    text = page_text(render_certificate(dataclasses.replace(PACT, template=None)))
    assert "Teks templat tidak ada di log" in text
    assert PACT.template_sha256.hex() in text


def test_letters_outside_the_pdf_core_fonts_do_not_break_it() -> None:
    named = dataclasses.replace(PACT, signer_name="Nguy\u1ec5n Th\u1ecb \u0110\u00e0o \u674e")
    assert "Nguyen Thi" in page_text(render_certificate(named))


def test_without_an_offline_qr() -> None:
    pdf = render_certificate(dataclasses.replace(PACT, offline_png=None))
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1


def test_same_entry_same_bytes() -> None:
    assert render_certificate(PACT) == render_certificate(PACT)


def test_no_certificate_for_other_types() -> None:
    with pytest.raises(ValueError, match="no certificate"):
        render_certificate(dataclasses.replace(PACT, statement_type="enrolment"))
