"""Making QR codes (registry/documents/qr.py) and reading them back with `registry verify`."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from registry.cli import main
from registry.documents.qr import (
    MAX_OFFLINE_VERSION,
    ArtifactCache,
    WitnessedParts,
    entry_timestamp,
    offline_qr,
    pick_qr_text,
    png_image,
    qr_version,
    read_qr_image,
    svg_image,
)
from registry.log.receipt import issue_receipt
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import Checkpoint
from registry.verify.leaf import Leaf
from registry.verify.link import link_text
from registry.verify.merkle import root_from_inclusion_proof
from registry.verify.qr import PREFIX, encode_offline, verify_offline
from registry.verify.result import Reason
from registry.verify.trust import b64url
from registry.verify.witnessed import cosignature_bytes
from tests.factories import ISSUED_AT, fixed_key, logged, signed_pact

ORIGIN = "test.example/log"
STATEMENTS = [signed_pact(place=f"Kota {i}") for i in range(5)]
LEAVES, RECEIPTS, REGISTRY = logged(STATEMENTS, ORIGIN)
SIGNER = CoseSigner(fixed_key("ppk-jabar"))
KEYS = {REGISTRY.kid: REGISTRY.public_key}
TEN_MILLION = 10_000_000


def stamp(leaf: bytes) -> bytes:
    return entry_timestamp(REGISTRY, ORIGIN, leaf)


def receipt_at_ten_million(statement: bytes, index: int = 1_234_567) -> tuple[bytes, bytes]:
    """A leaf and a valid receipt for it in a log of 10,000,000 entries (a 24-hash proof)."""
    leaf = Leaf(index, bytes(32), ISSUED_AT * 1000, hashlib.sha256(statement).digest()).to_bytes()
    path = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(24)]
    hashed = hashlib.sha256(b"\x00" + leaf).digest()
    root = root_from_inclusion_proof(index, TEN_MILLION, hashed, path).unwrap()
    receipt = issue_receipt(REGISTRY, ORIGIN, leaf, index, TEN_MILLION, path, root, ISSUED_AT)
    return leaf, receipt


def decode_png(png: bytes) -> str:
    # QR codes only, as a phone's QR scanner and `registry verify` read them: with every
    # format, zxing-cpp once also found a GS1 DataBar inside the QR's own modules
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=qr_only)
    texts = {barcode.text for barcode in found}  # zxing-cpp may report one code twice
    assert len(texts) == 1
    return texts.pop()


# -- choosing the proof ---------------------------------------------------------------------


def test_small_log_carries_the_receipt() -> None:
    offline = offline_qr(STATEMENTS[2], SIGNER.public_key, LEAVES[2], RECEIPTS[2], lambda: b"")
    assert offline.proven_by == "receipt"
    assert offline.version is not None
    assert offline.version <= MAX_OFFLINE_VERSION
    assert verify_offline(offline.text, KEYS, ORIGIN).unwrap().tree_size == len(STATEMENTS)


def test_ten_million_entries_carry_the_timestamp_within_version_25() -> None:
    leaf, receipt = receipt_at_ten_million(STATEMENTS[2])
    offline = offline_qr(STATEMENTS[2], SIGNER.public_key, leaf, receipt, lambda: stamp(leaf))
    assert offline.proven_by == "timestamp"
    assert offline.version is not None
    assert offline.version <= MAX_OFFLINE_VERSION
    record = verify_offline(offline.text, KEYS, ORIGIN).unwrap()
    assert (record.index, record.proven_by) == (1_234_567, "timestamp")


# -- with witnesses' cosignatures -------------------------------------------------------------

WITNESSES = [NoteSigner(fixed_key(f"saksi-{i}"), f"saksi{i}.bawaslu.go.id/w") for i in range(4)]
WITNESS_KEYS = [w.cosignature_verifier_key for w in WITNESSES]


LONG_PACT = signed_pact(
    place="Kota Administrasi Jakarta Pusat",
    witnesses=[
        {
            "name": f"Prof. Dr. Nama Saksi Yang Panjang {n}, S.H., M.H.",
            "jabatan": "Anggota Badan Pengawas Pemilihan Umum",
            "instansi": f"Badan Pengawas Pemilihan Umum Provinsi {n}",
        }
        for n in ("Jawa Barat", "Kalimantan Timur")
    ],
)
"""A pact about as large as the largest `registry demo` makes (some 600 bytes)."""


def parts(size: int, root: bytes, receipt: bytes, count: int) -> WitnessedParts:
    body = Checkpoint(ORIGIN, size, root).body
    cosigs = tuple(cosignature_bytes(w.cosignature(body, ISSUED_AT + 9)) for w in WITNESSES[:count])
    return WitnessedParts(size, root, cosigs, receipt)


def test_small_log_carries_the_receipt_and_the_cosignatures() -> None:
    info = verify_offline(with_receipt(), KEYS, ORIGIN).unwrap()
    witnessed = parts(info.tree_size or 0, info.root or b"", RECEIPTS[2], 1)
    offline = offline_qr(
        STATEMENTS[2], SIGNER.public_key, LEAVES[2], RECEIPTS[2], lambda: b"", witnessed
    )
    assert (offline.proven_by, offline.witnesses) == ("receipt", 1)
    verdict = verify_offline(offline.text, KEYS, ORIGIN, WITNESS_KEYS, 1)
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap().witnessed_size == len(STATEMENTS)


@pytest.mark.parametrize("chosen", [LONG_PACT, STATEMENTS[2]], ids=["long-pact", "pact"])
def test_ten_million_entries_carry_as_many_cosignatures_as_fit(chosen: bytes) -> None:
    # Beside the entry timestamp, as many cosignatures as version 25-M holds; those beyond
    # are dropped, the last witnesses first, and a verifier wanting more says so.
    leaf, receipt = receipt_at_ten_million(chosen)
    root = hashlib.sha256(b"the witnessed tree").digest()
    witnessed = parts(TEN_MILLION, root, receipt, 4)
    offline = offline_qr(chosen, SIGNER.public_key, leaf, receipt, lambda: stamp(leaf), witnessed)
    fits = offline.witnesses
    assert offline.proven_by == "timestamp"
    assert 1 <= fits <= 4
    assert offline.version is not None
    assert offline.version <= MAX_OFFLINE_VERSION
    if fits < 4:
        one_more = encode_offline(
            chosen,
            SIGNER.public_key,
            leaf,
            timestamp=stamp(leaf),
            witnessed=(TEN_MILLION, root, witnessed.cosignatures[: fits + 1]),
        )
        assert (qr_version(one_more) or 41) > MAX_OFFLINE_VERSION
    record = verify_offline(offline.text, KEYS, ORIGIN, WITNESS_KEYS, fits).unwrap()
    assert record.witnessed_size == TEN_MILLION
    assert record.witnesses == tuple(
        sorted(f"{w.name}+{w.cosignature_key_id.hex()}" for w in WITNESSES[:fits])
    )
    short = verify_offline(offline.text, KEYS, ORIGIN, WITNESS_KEYS, fits + 1)
    assert short.reason == Reason.NOT_WITNESSED


def with_receipt() -> str:
    return encode_offline(STATEMENTS[2], SIGNER.public_key, LEAVES[2], receipt=RECEIPTS[2])


def test_the_ten_million_receipt_itself_verifies() -> None:
    leaf, receipt = receipt_at_ten_million(STATEMENTS[2])
    offline = offline_qr(STATEMENTS[2], SIGNER.public_key, leaf, receipt, lambda: b"")
    assert offline.proven_by == "timestamp"  # the receipt did not fit
    text = encode_offline(STATEMENTS[2], SIGNER.public_key, leaf, receipt=receipt)
    assert verify_offline(text, KEYS).unwrap().tree_size == TEN_MILLION


def test_entry_timestamp_is_the_same_bytes_every_time() -> None:
    assert stamp(LEAVES[1]) == stamp(LEAVES[1])
    assert stamp(LEAVES[1]) != stamp(LEAVES[2])


def test_qr_version_grows_with_the_text_and_ends_at_40() -> None:
    assert qr_version("A") == 1
    assert qr_version(PREFIX + "A" * 1447) == 25  # 1,451 alphanumeric characters fit 25-M
    assert qr_version(PREFIX + "A" * 1448) == 26
    assert qr_version("A" * 5000) is None


# -- images ---------------------------------------------------------------------------------


def test_png_round_trips_through_a_real_decoder() -> None:
    leaf, receipt = receipt_at_ten_million(STATEMENTS[2])
    offline = offline_qr(STATEMENTS[2], SIGNER.public_key, leaf, receipt, lambda: stamp(leaf))
    text = decode_png(png_image(offline.text))
    assert text == offline.text
    assert verify_offline(text, KEYS).ok
    link = link_text("https://pakta.example.go.id", 7, b"\x01" * 32)
    assert decode_png(png_image(link)) == link


def test_svg_is_an_svg_document_with_a_title() -> None:
    svg = svg_image("https://pakta.example.go.id/v/7#AQEBAQEBAQEBAQEBAQEBAQ", "Entri 7")
    assert svg.startswith(b"<?xml")
    assert b"<svg" in svg
    assert b"<title>Entri 7</title>" in svg


def test_pick_prefers_the_offline_text() -> None:
    assert pick_qr_text(["https://x/v/1#a", "PI1:ABC"]) == "PI1:ABC"
    assert pick_qr_text(["https://x/v/1#a"]) == "https://x/v/1#a"
    assert pick_qr_text([]) is None


def test_reading_a_file_that_is_no_image_raises(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"\x89PNG not really")
    with pytest.raises((OSError, ValueError)):
        read_qr_image(path)


# -- the cache ------------------------------------------------------------------------------


async def test_cache_makes_each_value_once_even_when_asked_at_once() -> None:
    cache: ArtifactCache[bytes] = ArtifactCache(1000, len)
    calls = 0

    async def make() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return b"image"

    values = await asyncio.gather(*(cache.get("k", make) for _ in range(10)))
    assert values == [b"image"] * 10
    assert calls == 1
    assert await cache.get("k", make) == b"image"
    assert calls == 1


async def test_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache: ArtifactCache[bytes] = ArtifactCache(10, len)

    async def value(v: bytes) -> bytes:
        return v

    await cache.get("a", lambda: value(b"aaaa"))
    await cache.get("b", lambda: value(b"bbbb"))
    await cache.get("a", lambda: value(b"new!"))  # a is now the most recently used
    await cache.get("c", lambda: value(b"cccc"))
    assert "a" in cache
    assert "b" not in cache
    assert "c" in cache
    assert cache.size == 8
    assert await cache.get("big", lambda: value(b"x" * 11)) == b"x" * 11
    assert "big" not in cache


async def test_cache_keeps_no_failure() -> None:
    cache: ArtifactCache[bytes] = ArtifactCache(100, len)

    async def fail() -> bytes:
        raise LookupError("entry 9")

    async def succeed() -> bytes:
        return b"ok"

    with pytest.raises(LookupError):
        await cache.get("k", fail)
    assert await cache.get("k", succeed) == b"ok"


# -- `registry verify` with a QR ------------------------------------------------------------


@pytest.fixture
def offline_text() -> str:
    leaf, receipt = receipt_at_ten_million(STATEMENTS[3])
    return offline_qr(STATEMENTS[3], SIGNER.public_key, leaf, receipt, lambda: stamp(leaf)).text


@pytest.fixture
def trust(tmp_path: Path) -> Path:
    """A transparency configuration naming the registry key, as /.well-known serves it."""
    path = tmp_path / "trust.json"
    key = {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(REGISTRY.public_key)}}
    path.write_text(json.dumps({"origin": ORIGIN, "keys": [key]}))
    return path


def test_cli_verifies_a_qr_image(tmp_path: Path, offline_text: str, trust: Path) -> None:
    image = tmp_path / "qr.png"
    image.write_bytes(png_image(offline_text))
    result = CliRunner().invoke(main, ["verify", str(image), "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    assert "offline QR: OK" in result.output
    assert "index: 1234567" in result.output
    assert "proven_by: timestamp" in result.output
    assert "revocation: not checked" in result.output
    assert "Kota 3" in result.output


def test_cli_verifies_a_jpeg_photo_of_the_qr(
    tmp_path: Path, offline_text: str, trust: Path
) -> None:
    image = tmp_path / "qr.jpg"
    Image.open(io.BytesIO(png_image(offline_text))).convert("RGB").save(image, quality=85)
    result = CliRunner().invoke(main, ["verify", str(image), "--trust", str(trust)])
    assert result.exit_code == 0, result.output


def test_cli_verifies_the_text_and_a_file_holding_it(tmp_path: Path, offline_text: str) -> None:
    key = b64url(REGISTRY.public_key)
    result = CliRunner().invoke(main, ["verify", offline_text, "--key", key])
    assert result.exit_code == 0, result.output
    text_file = tmp_path / "qr.txt"
    text_file.write_text(offline_text + "\n")
    result = CliRunner().invoke(main, ["verify", str(text_file), "--key", key])
    assert result.exit_code == 0, result.output


def test_cli_refuses_a_qr_with_the_reason(tmp_path: Path, offline_text: str, trust: Path) -> None:
    stranger = b64url(CoseSigner(fixed_key("stranger")).public_key)
    result = CliRunner().invoke(main, ["verify", offline_text, "--key", stranger])
    assert result.exit_code == 1
    assert "unknown-key" in result.output
    tampered = offline_text[:-30] + ("A" if offline_text[-30] != "A" else "B") + offline_text[-29:]
    result = CliRunner().invoke(main, ["verify", tampered, "--trust", str(trust)])
    assert result.exit_code == 1
    assert "FAILED" in result.output
    image = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(image)
    result = CliRunner().invoke(main, ["verify", str(image), "--trust", str(trust)])
    assert result.exit_code == 1
    assert Reason.EMPTY in result.output


def test_cli_points_a_link_qr_online(tmp_path: Path, trust: Path) -> None:
    link = link_text("https://pakta.example.go.id", 7, b"\x01" * 32)
    image = tmp_path / "link.png"
    image.write_bytes(png_image(link))
    result = CliRunner().invoke(main, ["verify", str(image), "--trust", str(trust)])
    assert result.exit_code == 1
    assert "wrong-type" in result.output
    assert "https://pakta.example.go.id/entries/7/qr-offline.png" in result.output


def test_cli_refuses_text_that_is_neither_file_nor_qr(trust: Path) -> None:
    result = CliRunner().invoke(main, ["verify", "no-such-file.cose", "--trust", str(trust)])
    assert result.exit_code == 2
    assert "no file" in result.output
