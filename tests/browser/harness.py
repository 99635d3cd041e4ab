"""A live registry for the browser tests, and the images a reader would scan.

The registry runs in uvicorn on 127.0.0.1 (a free port, a temporary SQLite
database) behind :class:`Tamper`, a test-only ASGI wrapper that can rewrite
chosen responses, so that a test can play a server that lies.  Nothing here is
part of the product.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import struct
import zlib
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import qrcode

from registry.api.app import create_app
from registry.config import Settings, WitnessSetting
from registry.records.operator import OperatorKeys, create_keys
from registry.verify.cbor import encode_deterministic
from registry.verify.trust import b64url, unb64url
from tests.api.helpers import NOW_S, Registry, pact
from tests.factories import HISTORY_HOURS
from tests.threaded_server import ThreadedServer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Rewrite = Callable[[bytes], bytes]

ORIGIN = "test.example/pakta"


class Tamper:
    """An ASGI wrapper that rewrites the bodies of chosen responses.

    ``rules`` maps ``(path, kind)`` to a function of the body, where ``kind``
    is ``"json"`` for requests that accept JSON and ``"raw"`` for the rest
    (``/entries/{i}`` answers both).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.rules: dict[tuple[str, str], Rewrite] = {}

    @contextlib.contextmanager
    def rewriting(self, rules: dict[tuple[str, str], Rewrite]) -> Iterator[None]:
        """Apply ``rules`` inside the ``with`` block."""
        self.rules.update(rules)
        try:
            yield
        finally:
            for key in rules:
                self.rules.pop(key, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = dict(scope["headers"]).get(b"accept", b"")
        kind = "json" if b"application/json" in accept else "raw"
        rule = self.rules.get((scope["path"], kind))
        if rule is None:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            new = rule(bytes(body)) if start.get("status") == 200 else bytes(body)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(new)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": new})

        await self.app(scope, receive, capture)


@dataclass
class LiveRegistry:
    """A running registry: its URL, operator keys, a writer, and the tampering wrapper."""

    url: str
    operator: OperatorKeys
    writer: Registry
    tamper: Tamper
    server: ThreadedServer
    _places: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def start(
        cls,
        root: Path,
        witnesses: Callable[[OperatorKeys], tuple[tuple[WitnessSetting, ...], int | None]]
        | None = None,
    ) -> LiveRegistry:
        """Start a registry with its data under ``root``; the admin and a PPK are enrolled.

        ``witnesses``, given the operator's keys (made first, so that witnesses can
        follow the log), names the witnesses the registry submits to and the quorum.
        """
        server = ThreadedServer("the test registry")
        url = server.url
        settings = Settings(
            max_statement_age_hours=HISTORY_HOURS,
            database_url=f"sqlite+aiosqlite:///{root / 'registry.sqlite3'}",
            data_dir=root / "data",
            origin=ORIGIN,
            admin_passphrase="kata-sandi-uji",
            base_url=url,
            batch_wait_ms=1,
        )
        try:
            operator = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
            if witnesses is not None:
                listed, quorum = witnesses(operator)
                settings = replace(settings, witnesses=listed, witness_quorum=quorum)
            tamper = Tamper(create_app(settings, operator))
            server.start(tamper)
        except BaseException:
            server.stop()
            raise
        client = httpx.Client(base_url=url, timeout=30)
        live = cls(url, operator, Registry(client, operator), tamper, server)  # type: ignore[arg-type]
        try:
            live.writer = Registry.bootstrapped(client, operator)  # type: ignore[arg-type]
            live.writer.enrol("ppk-jabar")
        except BaseException:
            live.stop()
            raise
        return live

    def stop(self) -> None:
        """Stop the server, close its socket and the writer's client."""
        self.writer.client.close()
        self.server.stop()

    def register(self, statement: bytes) -> int:
        """Register a signed statement; its index."""
        response = self.writer.post(statement)
        assert response.status_code in (200, 201), response.text
        return int(response.headers["x-registry-entry-index"])

    def new_pact(self, label: str = "ppk-jabar") -> tuple[int, str]:
        """Register a pact with a place of its own; its index and place."""
        place = f"Bandung {next(self._places):04d}"
        return self.register(self.writer.sign(label, pact(place=place))), place

    def revoke(self, index: int, label: str = "ppk-jabar", reason: str = "salah tanggal") -> int:
        """Register a revocation of ``index`` signed by ``label``; its index."""
        payload = {"type": "revocation", "entry": index, "reason": reason}
        return self.register(self.writer.sign(label, payload, NOW_S))

    def view(self, index: int) -> dict[str, Any]:
        """The entry's JSON view."""
        response = self.writer.client.get(
            f"/entries/{index}", headers={"accept": "application/json"}
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def get(self, path: str) -> bytes:
        """The body of ``GET path``."""
        response = self.writer.client.get(path)
        response.raise_for_status()
        return response.content

    def fragment(self, index: int) -> str:
        """The link fragment of ``index``: base64url of its leaf hash's first 16 bytes."""
        return b64url(unb64url(self.view(index)["leaf"]["hash"])[:16])

    def link(self, index: int, lang: str | None = None) -> str:
        """The record's link, as its QR encodes it (optionally with ``?lang=``)."""
        query = f"?lang={lang}" if lang else ""
        return f"{self.url}/v/{index}{query}#{self.fragment(index)}"


# -- offline QR payloads (docs/formats.md), written independently of registry/verify/qr.py ------

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def base45(data: bytes) -> str:
    """RFC 9285 base45."""
    out = []
    for i in range(0, len(data), 2):
        chunk = data[i : i + 2]
        if len(chunk) == 2:
            n = chunk[0] * 256 + chunk[1]
            e, n = divmod(n, 45 * 45)
            d, c = divmod(n, 45)
            out += [BASE45[c], BASE45[d], BASE45[e]]
        else:
            d, c = divmod(chunk[0], 45)
            out += [BASE45[c], BASE45[d]]
    return "".join(out)


def offline_text(items: dict[int, bytes]) -> str:
    """``PI1:`` + base45(zlib(deterministic CBOR map of ``items``))."""
    return "PI1:" + base45(zlib.compress(encode_deterministic(items), 9))


# -- images: QR codes as PNG and as a Y4M video for Chromium's fake camera ------------------


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of a QR code of ``text`` at error correction M, quiet zone included."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(matrix: list[list[bool]], scale: int = 8) -> bytes:
    """An 8-bit greyscale PNG of a QR matrix, ``scale`` pixels per module."""
    rows = []
    for row in matrix:
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        rows.extend([b"\x00" + line] * scale)
    side = len(matrix) * scale
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def y4m(matrix: list[list[bool]], width: int = 640, height: int = 480, frames: int = 5) -> bytes:
    """A Y4M video (4:2:0) of a QR code centred on a white frame, for a fake camera."""
    scale = min(width, height) // len(matrix)
    side = scale * len(matrix)
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for r, row in enumerate(matrix):
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        for dy in range(scale):
            start = (top + r * scale + dy) * width + left
            luma[start : start + side] = line
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    header = f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode()
    return header + frame * frames


def flip_last_byte(body: bytes) -> bytes:
    """``body`` with its last byte changed."""
    return body[:-1] + bytes([body[-1] ^ 0x01])


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data``."""
    return hashlib.sha256(data).digest()
