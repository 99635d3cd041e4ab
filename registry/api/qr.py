"""An entry's QR codes and certificate: /entries/{index}/qr.svg|qr.png|qr-offline.png|
qr-offline.txt|certificate.pdf.

Each is a function of the entry (and, for the offline QR and the certificate that
prints it, of the witnesses' cosignatures on the first witnessed checkpoint that
covers it), so it is served as immutable once final; each is made once per
process, off the event loop, and cached (``registry.documents.qr``).  An offline
QR made before the quorum cosigned is served with ``Cache-Control: no-cache``.
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from litestar import Controller, Response, get
from litestar.params import PathParameter

from registry.api.deps import Documents
from registry.api.errors import BadRequest
from registry.documents.certificate import certificate_pdf
from registry.documents.qr import EntryQr
from registry.i18n import Message

IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
Index = Annotated[int, PathParameter(ge=0, description="The entry's log index")]


NOT_FINAL = {"Cache-Control": "no-cache"}


def _file(body: bytes | str, media_type: str, final: bool = True, **headers: str) -> Response[Any]:
    caching = IMMUTABLE if final else NOT_FINAL
    return Response(body, media_type=media_type, headers={**caching, **headers})


def _offline(texts: EntryQr) -> dict[str, str]:
    """The headers that say what an offline QR proves: its proof and how many cosignatures."""
    return {
        "X-Registry-Offline-Proof": texts.offline.proven_by,
        "X-Registry-Offline-Witnesses": str(texts.offline.witnesses),
    }


class QrController(Controller):
    """QR codes (link and offline) and the printable certificate of an entry."""

    path = "/entries"
    tags = ["qr"]

    @get(
        "/{index:int}/qr.svg",
        media_type="image/svg+xml",
        summary="The link QR as SVG",
        description="Encodes `{base}/v/{index}#{base64url(first 16 bytes of the leaf hash)}`.",
    )
    async def link_svg(self, documents: Documents, index: Index) -> Response[Any]:
        return _file(await documents.image(index, "link.svg"), "image/svg+xml")

    @get("/{index:int}/qr.png", media_type="image/png", summary="The link QR as PNG")
    async def link_png(self, documents: Documents, index: Index) -> Response[Any]:
        return _file(await documents.image(index, "link.png"), "image/png")

    @get(
        "/{index:int}/qr-offline.png",
        media_type="image/png",
        summary="The offline QR as PNG",
        description="`PI1:` + base45(zlib(CBOR)) with the statement, the signer's key, the leaf "
        "and the receipt (or the registry's entry timestamp where the receipt would not fit "
        "version 25-M); verifiable with only the registry's public key (docs/formats.md).",
    )
    async def offline_png(self, documents: Documents, index: Index) -> Response[Any]:
        try:
            image = await documents.image(index, "offline.png")
        except segno.DataOverflowError:
            raise BadRequest(
                "offline-qr-too-large",
                Message("problem.offline-qr-too-large.title"),
                Message("problem.offline-qr-too-large.detail", {"index": index}),
                404,
            ) from None
        texts = await documents.texts(index)
        return _file(image, "image/png", texts.offline.final, **_offline(texts))

    @get(
        "/{index:int}/qr-offline.txt",
        media_type="text/plain; charset=utf-8",
        summary="The offline QR's text",
    )
    async def offline_text(self, documents: Documents, index: Index) -> Response[Any]:
        texts = await documents.texts(index)
        return _file(texts.offline.text, "text/plain", texts.offline.final, **_offline(texts))

    @get(
        "/{index:int}/certificate.pdf",
        media_type="application/pdf",
        summary="A printable certificate (one A4 page) of a pact or declaration",
    )
    async def certificate(self, documents: Documents, index: Index) -> Response[Any]:
        pdf = await certificate_pdf(documents, index)
        texts = await documents.texts(index)
        return _file(
            pdf,
            "application/pdf",
            texts.offline.final,
            **{"Content-Disposition": f'inline; filename="sertifikat-{index}.pdf"'},
        )
