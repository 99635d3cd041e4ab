"""An entry's QR codes (docs/formats.md "QR codes"): texts, images, and a cache of both.

- Link QR: ``{public URL}/v/{index}#{base64url(leaf_hash[:16])}`` (``Settings.public_url``:
  ``REGISTRY_BASE_URL``, else the host and port the registry listens on).
- Offline QR: ``PI1:`` + base45(zlib(CBOR)) with the statement, the signer's
  key, the leaf and the receipt; when the receipt would push the QR past
  version 25 at error correction M (the budget), the registry's signed entry
  timestamp replaces it (``registry.signing.timestamp``).  With witnesses
  configured it also carries the cosignatures of the first witnessed
  checkpoint that covers the entry (key ``6``, :func:`offline_qr` says which
  fit and what is dropped when they do not).

Everything made here is a function of the entry and the cosignatures kept on
that checkpoint (the receipt is the one issued at registration or under that
checkpoint, the timestamp is dated at the leaf's registration time, Ed25519 is
deterministic), so once the quorum has cosigned an entry's images never
change: each is made once, in a worker thread (QR matrices and PNG
compression are CPU work that must not hold the event loop), and kept in
memory, per process, in LRU caches bounded in bytes: images and certificates
up to :data:`CACHE_BYTES` (32 MiB: about 1,500 entries with all three images
and a certificate, some 22 KB each), texts up to a quarter of that.  An
offline QR made before the quorum cosigned (``OfflineQr.final`` false) is not
kept, nor what shows it: the next request makes it again, witnessed.  Two
requests for one missing file wait for one making.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import segno

from registry.signing.timestamp import sign_entry_timestamp
from registry.verify.leaf import decode_leaf
from registry.verify.link import link_text
from registry.verify.note import parse_signature_line
from registry.verify.qr import PREFIX, PROVEN_BY_RECEIPT, PROVEN_BY_TIMESTAMP, encode_offline
from registry.verify.witnessed import cosignature_bytes

if TYPE_CHECKING:
    from registry.records.service import RegistryService
    from registry.signing.cose import CoseSigner

ERROR_LEVEL = "m"
MAX_OFFLINE_VERSION = 25
"""The offline QR's budget: version 25 (117 by 117 modules) at error correction M."""
CACHE_BYTES = 32 * 1024 * 1024
BORDER = 4
"""The quiet zone, in modules, that ISO/IEC 18004 requires."""
PNG_PIXELS = 640
"""About how wide a PNG is made, quiet zone included."""
IMAGES = ("link.svg", "link.png", "offline.png")

T = TypeVar("T")


@dataclass(frozen=True)
class OfflineQr:
    """An offline QR text, which proof it carries, and its QR version at M (None: none fits).

    ``witnesses`` is how many cosignatures it carries; ``final`` whether it will
    never change (the quorum had cosigned when it was made, or no witness is
    configured), so that it and what shows it may be cached and served as immutable.
    """

    text: str
    proven_by: str
    version: int | None
    witnesses: int = 0
    final: bool = True


@dataclass(frozen=True)
class WitnessedParts:
    """What an offline QR may carry of a witnessed checkpoint covering the entry: its size and
    root, the cosignatures (key id ‖ timestamped signature, the witnesses' order) and a
    receipt of the entry under it."""

    size: int
    root: bytes
    cosignatures: tuple[bytes, ...]
    receipt: bytes


@dataclass(frozen=True)
class EntryQr:
    """Both QR texts of one entry."""

    index: int
    link: str
    offline: OfflineQr


def qr_code(text: str) -> segno.QRCode:
    """The smallest QR code for ``text`` at error correction M (or better, for free).

    segno raises ``segno.DataOverflowError`` when even version 40 cannot hold it.
    """
    return segno.make_qr(text, error=ERROR_LEVEL, boost_error=True)


def qr_version(text: str) -> int | None:
    """The QR version ``text`` needs at error correction M, or None if no version holds it.

    The version does not depend on the mask, so a fixed mask spares the
    evaluation of all eight (most of the time a QR code takes to make).
    """
    try:
        version = segno.make_qr(text, error=ERROR_LEVEL, boost_error=False, mask=0).version
    except segno.DataOverflowError:
        return None
    return int(version)


def offline_qr(
    statement: bytes,
    public_key: bytes,
    leaf: bytes,
    receipt: bytes,
    timestamp: Callable[[], bytes],
    witnessed: WitnessedParts | None = None,
) -> OfflineQr:
    """The offline QR for an entry: the first of these that fits version 25-M.

    1. the receipt under the ``witnessed`` checkpoint and all its cosignatures
       (a complete offline proof that the witnesses saw the record);
    2. the entry timestamp ``timestamp()`` makes and the witnessed checkpoint
       (size, root) with all its cosignatures, then with one fewer at a time
       (the last in the witnesses' order is dropped first): the witnesses saw
       that tree, the registry signed that the entry is in it, the inclusion
       proof is online;
    3. the registration receipt, without cosignatures;
    4. the entry timestamp, without cosignatures (made only when needed).

    A verifier that requires more cosignatures than the QR carries says "not
    witnessed offline" and sends the reader online; it does not call it invalid.
    """
    made: list[bytes] = []

    def stamp() -> bytes:
        if not made:
            made.append(timestamp())
        return made[0]

    candidates: list[tuple[str, Callable[[], str], int]] = []
    if witnessed is not None:
        parts = (witnessed.size, witnessed.root, witnessed.cosignatures)
        candidates.append(
            (
                PROVEN_BY_RECEIPT,
                lambda: encode_offline(
                    statement, public_key, leaf, receipt=witnessed.receipt, witnessed=parts
                ),
                len(witnessed.cosignatures),
            )
        )
        for count in range(len(witnessed.cosignatures), 0, -1):
            kept = (witnessed.size, witnessed.root, witnessed.cosignatures[:count])
            candidates.append(
                (
                    PROVEN_BY_TIMESTAMP,
                    lambda kept=kept: encode_offline(  # type: ignore[misc]
                        statement, public_key, leaf, timestamp=stamp(), witnessed=kept
                    ),
                    count,
                )
            )
    candidates.append(
        (PROVEN_BY_RECEIPT, lambda: encode_offline(statement, public_key, leaf, receipt=receipt), 0)
    )
    for proven_by, make, count in candidates:
        text = make()
        version = qr_version(text)
        if version is not None and version <= MAX_OFFLINE_VERSION:
            return OfflineQr(text, proven_by, version, count)
    text = encode_offline(statement, public_key, leaf, timestamp=stamp())
    return OfflineQr(text, PROVEN_BY_TIMESTAMP, qr_version(text))


def entry_timestamp(log_key: CoseSigner, origin: str, leaf: bytes) -> bytes:
    """The entry timestamp for ``leaf``, dated at its registration (so it never changes)."""
    registered_at = decode_leaf(leaf).unwrap().registered_at
    return sign_entry_timestamp(log_key, origin, leaf, registered_at // 1000)


def svg_image(text: str, title: str | None = None) -> bytes:
    """The QR code for ``text`` as an SVG document (scalable: best for print)."""
    buffer = io.BytesIO()
    qr_code(text).save(buffer, kind="svg", scale=4, border=BORDER, title=title, unit="px")
    return buffer.getvalue()


def png_image(text: str) -> bytes:
    """The QR code for ``text`` as a PNG about :data:`PNG_PIXELS` wide, black on white."""
    code = qr_code(text)
    width = code.symbol_size(scale=1, border=BORDER)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(2, PNG_PIXELS // width), border=BORDER)
    return buffer.getvalue()


def read_qr_image(path: Path) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in the image at ``path``, each once.

    zxing-cpp can report one code twice (found at two scales); none found is an
    empty list.  Raises ``OSError`` or ``ValueError`` when the file is not an image.
    """
    import zxingcpp  # noqa: PLC0415 (only `registry verify` reads images; keep serving lean)
    from PIL import Image  # noqa: PLC0415 (as above)

    with Image.open(path) as image:
        found = zxingcpp.read_barcodes(
            image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    return list(dict.fromkeys(barcode.text for barcode in found if barcode.valid))


def pick_qr_text(texts: list[str]) -> str | None:
    """Of the texts found in one image, the offline QR's if any, else the first."""
    offline = [t for t in texts if t.startswith(PREFIX)]
    chosen = offline or texts
    return chosen[0] if chosen else None


# -- made once per entry, off the event loop, cached ---------------------------------------


class ArtifactCache(Generic[T]):
    """An LRU cache of immutable values bounded by their total size (``weigh`` of each).

    :meth:`get` makes a missing value once even when many requests ask for it
    at the same time (they wait for the one making it).  A value larger than
    the whole budget is served but not kept.
    """

    def __init__(self, max_bytes: int, weigh: Callable[[T], int]) -> None:
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._size = 0
        self._pending: dict[Hashable, asyncio.Future[T]] = {}

    @property
    def size(self) -> int:
        """Bytes held (as weighed)."""
        return self._size

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    async def get(
        self,
        key: Hashable,
        make: Callable[[], Awaitable[T]],
        keep: Callable[[T], bool] = lambda _: True,
    ) -> T:
        """The value for ``key``, made by ``make()`` if it is not held (and kept if ``keep``
        says so: a value that will change is made again next time)."""
        held = self._items.get(key)
        if held is not None:
            self._items.move_to_end(key)
            return held[0]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a failure nobody awaited logs no warning
            raise
        finally:
            del self._pending[key]
        future.set_result(value)
        if keep(value):
            self._put(key, value)
        return value

    def _put(self, key: Hashable, value: T) -> None:
        weight = self._weigh(value)
        if weight > self.max_bytes:
            return
        self._items[key] = (value, weight)
        self._size += weight
        while self._size > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self._size -= dropped


def _weigh_texts(texts: EntryQr) -> int:
    return len(texts.link) + len(texts.offline.text) + 64


class EntryQrMaker:
    """An entry's QR texts and images (and other files, see :meth:`file`) for one service.

    Made once each, off the event loop, and kept in two LRU caches: files
    (images, certificates) bounded to ``max_bytes``, texts to a quarter of it.
    """

    def __init__(self, service: RegistryService, max_bytes: int = CACHE_BYTES) -> None:
        self.service = service
        self.files: ArtifactCache[bytes] = ArtifactCache(max_bytes, len)
        self.texts_cache: ArtifactCache[EntryQr] = ArtifactCache(max_bytes // 4, _weigh_texts)

    async def texts(self, index: int) -> EntryQr:
        """Both QR texts of entry ``index`` (raises ``NotFound`` for an unknown entry)."""
        return await self.texts_cache.get(
            index, lambda: self._make_texts(index), lambda texts: texts.offline.final
        )

    async def _make_texts(self, index: int) -> EntryQr:
        service = self.service
        record = await service.entry(index)
        signer = await service.enrolled(record.signer_kid)
        if signer is None:
            raise LookupError(f"entry {index}'s signer {record.signer_kid.hex()} is not enrolled")
        log_key, origin = service.state.log_key, service.settings.origin
        witnessed = await self._witnessed(index, record.leaf)
        offline = await asyncio.to_thread(
            offline_qr,
            record.statement,
            signer.public_key,
            record.leaf,
            record.receipt,
            lambda: entry_timestamp(log_key, origin, record.leaf),
            witnessed,
        )
        # A witnessed checkpoint is found only once the quorum cosigned it, and the first
        # one covering the entry stays the first: the QR will not change any more.
        offline = replace(offline, final=not service.cosigned.peers or witnessed is not None)
        return EntryQr(
            index, link_text(service.settings.public_url, index, record.leaf_hash), offline
        )

    async def _witnessed(self, index: int, leaf: bytes) -> WitnessedParts | None:
        """The first witnessed checkpoint covering entry ``index``, as an offline QR carries it."""
        service = self.service
        if not service.cosigned.peers:
            return None
        found = await service.witnessed_covering(index)
        if found is None:
            return None
        checkpoint, rows = found
        by_signer = {row.witness: row.line for row in rows}
        cosignatures = tuple(
            cosignature_bytes(parse_signature_line(by_signer[s].removesuffix("\n")).unwrap())
            for s in service.cosigned.signers
            if s in by_signer
        )
        try:
            receipt = await service.receipt_at(leaf, index, checkpoint)
        except LookupError:  # a checkpoint from before a log key rotation: no key held for it
            return None
        return WitnessedParts(checkpoint.size, checkpoint.root, cosignatures, receipt)

    async def file(
        self, index: int, name: str, make: Callable[[], Awaitable[bytes]], final: bool = True
    ) -> bytes:
        """The file ``name`` of entry ``index``, made by ``make()`` once (kept if ``final``)."""
        return await self.files.get((index, name), make, lambda _: final)

    async def image(self, index: int, which: str) -> bytes:
        """``link.svg``, ``link.png`` or ``offline.png`` of entry ``index``.

        Raises ``segno.DataOverflowError`` for an offline QR too large for any version.
        """
        if which not in IMAGES:
            raise ValueError(f"unknown QR image {which!r}")

        texts = await self.texts(index)

        async def make() -> bytes:
            if which == "link.svg":
                return await asyncio.to_thread(svg_image, texts.link, f"Entri {index}")
            text = texts.link if which == "link.png" else texts.offline.text
            return await asyncio.to_thread(png_image, text)

        final = texts.offline.final or which != "offline.png"
        return await self.file(index, which, make, final)
