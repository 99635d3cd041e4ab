"""An entry's QR codes and certificate over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from registry.verify.link import check_link_leaf, parse_link
from registry.verify.qr import verify_offline
from registry.verify.trust import unb64url
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_registration import assert_problem

pytestmark = pytest.mark.one_backend

JSON = {"accept": "application/json"}
TEMPLATE_TEXT = "Pakta Integritas Netralitas ASN"  # its SHA-256 is the one pact() cites
PACT_INDEX = 4


def read_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG, read by a real decoder."""
    # QR codes only, as a phone's QR scanner and `registry verify` read them: with every
    # format, zxing-cpp once also found a GS1 DataBar inside the QR's own modules
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=qr_only)
    texts = {barcode.text for barcode in found}  # zxing-cpp may report one code twice
    assert len(texts) == 1, [(b.text[:40], b.valid, str(b.position)) for b in found]
    return texts.pop()


@pytest.fixture
def filled(registry: Registry) -> Registry:
    """Entry 1: a PPK's enrolment; 2: the pact template; 3: the election; 4: the PPK's pact."""
    registry.enrol("ppk-jabar")
    template = {
        "type": "template",
        "kind": "pact",
        "title": "Pakta Integritas Netralitas ASN",
        "text": TEMPLATE_TEXT,
    }
    statement = registry.operator.admin.sign_statement(template, "operator", NOW_S)
    assert registry.post(statement).status_code == 201
    pact_statement = registry.sign("ppk-jabar", pact(place="Bandung"))
    assert registry.post(pact_statement).status_code == 201
    return registry


def test_link_qr_names_the_entry_and_its_leaf(filled: Registry) -> None:
    response = filled.client.get(f"/entries/{PACT_INDEX}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    link = parse_link(read_qr(response.content)).unwrap()
    assert link.base_url == "http://127.0.0.1:8000"
    assert link.index == PACT_INDEX
    view = filled.client.get(f"/entries/{PACT_INDEX}", headers=JSON).json()
    assert check_link_leaf(link, unb64url(view["leaf"]["bytes"])).ok


def test_link_qr_as_svg(filled: Registry) -> None:
    response = filled.client.get(f"/entries/{PACT_INDEX}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "immutable" in response.headers["cache-control"]
    assert b"<svg" in response.content


def test_offline_qr_verifies_with_only_the_published_keys(filled: Registry) -> None:
    response = filled.client.get(f"/entries/{PACT_INDEX}/qr-offline.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "immutable" in response.headers["cache-control"]
    text = read_qr(response.content)
    trusted = filled.trusted()
    record = verify_offline(text, trusted.by_kid, trusted.origin).unwrap()
    assert record.index == PACT_INDEX
    assert record.proven_by == "receipt"  # a small log: the receipt fits
    assert record.payload["place"] == "Bandung"
    served = filled.client.get(f"/entries/{PACT_INDEX}/qr-offline.txt")
    assert served.headers["content-type"].startswith("text/plain")
    assert served.text == text
    assert served.headers["x-registry-offline-proof"] == "receipt"


def test_timestamp_replaces_the_receipt_when_it_does_not_fit(
    filled: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registry.documents.qr.MAX_OFFLINE_VERSION", 1)
    text = read_qr(filled.client.get(f"/entries/{PACT_INDEX}/qr-offline.png").content)
    trusted = filled.trusted()
    record = verify_offline(text, trusted.by_kid, trusted.origin).unwrap()
    assert (record.index, record.proven_by) == (PACT_INDEX, "timestamp")


def test_images_are_the_same_bytes_every_time(filled: Registry) -> None:
    for path in ("qr.png", "qr.svg", "qr-offline.png", "qr-offline.txt", "certificate.pdf"):
        first = filled.client.get(f"/entries/{PACT_INDEX}/{path}").content
        assert filled.client.get(f"/entries/{PACT_INDEX}/{path}").content == first


def test_certificate_is_one_a4_page_with_index_and_leaf_hash(filled: Registry) -> None:
    response = filled.client.get(f"/entries/{PACT_INDEX}/certificate.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "immutable" in response.headers["cache-control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    view = filled.client.get(f"/entries/{PACT_INDEX}", headers=JSON).json()
    assert unb64url(view["leaf"]["hash"]).hex() in text
    assert str(PACT_INDEX) in text
    assert "PAKTA INTEGRITAS" in text
    assert TEMPLATE_TEXT in text
    assert "Bey Machmudin" in text  # the signer
    assert "Rahmat Bagja" in text  # the witness
    assert "test.example/pakta" in text  # the checkpoint's origin line


def test_no_certificate_for_other_records(filled: Registry) -> None:
    assert_problem(filled.client.get("/entries/1/certificate.pdf"), 404, "not-found")
    for lang, words in (("en", "is of type enrolment, not a pact"), ("id", "bertipe enrolment")):
        answer = filled.client.get("/entries/1/certificate.pdf", headers={"Accept-Language": lang})
        assert words in answer.json()["detail"], answer.json()


@pytest.mark.parametrize(
    "path", ["qr.svg", "qr.png", "qr-offline.png", "qr-offline.txt", "certificate.pdf"]
)
def test_unknown_entry_is_a_problem(filled: Registry, path: str) -> None:
    assert_problem(filled.client.get(f"/entries/99/{path}"), 404, "not-found")
