"""A printable certificate: one A4 page per pact (Pakta Integritas) and declaration.

It prints the record's text (the cited template's title and text, found by
the SHA-256 the record cites), the signer (name, jabatan, instansi: as the signed
record names them, or the enrolment's for records logged before they did), the
witnesses, the date, the log index, the leaf hash, the checkpoint the entry
was first included under, and both QR codes, in Bahasa Indonesia with
English subtitles.

Like the QR images it never changes: the checkpoint printed is the one the
entry's receipt was issued under (not the latest), the PDF's creation date is
the registration time, and revocation is not printed (the certificate says to
check it online).  :func:`render_certificate` is pure and CPU-bound;
:func:`certificate_pdf` gathers the data and runs it in a worker thread, once
per entry (cached with the QR images, see ``registry.documents.qr``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from registry.i18n import Message
from registry.records.errors import NotFound
from registry.verify.receipt import verify_receipt
from registry.verify.signed_by import SIGNER_FIELDS
from registry.verify.trust import b64url, unb64url

if TYPE_CHECKING:
    from registry.documents.qr import EntryQrMaker
    from registry.records.service import RegistryService

CERTIFIED_TYPES = ("pact", "declaration")
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
TITLES = {
    "pact": ("PAKTA INTEGRITAS", "Integrity pact"),
    "declaration": ("DEKLARASI NETRALITAS", "Neutrality declaration"),
}
TEXT_SIZES = (9.0, 8.5, 8.0, 7.5, 7.0, 6.5, 6.0)
MARGIN = 14.0
TEMPLATE_PAGE = 100


@dataclass(frozen=True)
class Template:
    """A published template: its entry, title and text."""

    index: int
    title: str
    text: str


@dataclass(frozen=True)
class CertificateData:
    """Everything a certificate prints; ``template`` is None when the cited text is unknown."""

    index: int
    statement_type: str
    payload: dict[str, Any]
    template_sha256: bytes
    template: Template | None
    signer_name: str
    signer_jabatan: str
    signer_instansi: str
    registered_at: int
    leaf_hash: bytes
    statement_sha256: bytes
    signer_kid: bytes
    checkpoint: str
    link: str
    link_png: bytes = field(repr=False)
    offline_png: bytes | None = field(repr=False)
    proven_by: str = "receipt"


def _latin(text: str) -> str:
    """``text`` as the PDF core fonts can show it (Windows-1252), close letters for the rest."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(
            c if c.encode("cp1252", "ignore") else "?"
            for c in decomposed
            if not unicodedata.combining(c)
        )
    return text


def _registered(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, WIB).strftime("%Y-%m-%d %H:%M:%S WIB")


class _Page:
    """One certificate page being drawn: bilingual headings, label rows, the QR block."""

    def __init__(self, data: CertificateData) -> None:
        self.data = data
        # fpdf (with fontTools, Pillow and html.parser) is imported by the first certificate
        # drawn: it was about 0.3 s of CPU of every process's start, and most draw none.
        from fpdf import FPDF  # noqa: PLC0415 (as documents/qr.py: keep serving lean)

        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.core_fonts_encoding = "windows-1252"
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, MARGIN)
        pdf.set_creation_date(dt.datetime.fromtimestamp(data.registered_at / 1000, dt.UTC))
        pdf.set_title(_latin(f"{TITLES[data.statement_type][0]} #{data.index}"))
        pdf.set_author(_latin(data.signer_name))
        pdf.set_creator("integrity-pact-registry")
        pdf.add_page()
        self.pdf = pdf
        self.width = pdf.w - 2 * MARGIN

    def font(self, size: float, style: str = "", family: str = "helvetica") -> None:
        self.pdf.set_font(family, style, size)

    def lines(self, text: str, height: float, width: float = 0, x: float | None = None) -> None:
        """Left-aligned wrapped text (fpdf2 justifies by default); the cursor goes below it."""
        if x is not None:
            self.pdf.set_x(x)
        self.pdf.multi_cell(width, height, _latin(text), align="L", new_x="LEFT", new_y="NEXT")

    def bilingual(self, indonesian: str, english: str, size: float, width: float = 0) -> None:
        """Indonesian in bold, the English subtitle after it in grey italics, on one line."""
        pdf = self.pdf
        self.font(size, "B")
        pdf.cell(pdf.get_string_width(_latin(indonesian)) + 1.5, size * 0.45, _latin(indonesian))
        self.font(size * 0.8, "I")
        pdf.set_text_color(100)
        pdf.cell(width, size * 0.45, _latin(english), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)

    def heading(self, indonesian: str, english: str) -> None:
        self.pdf.ln(1.5)
        self.bilingual(indonesian, english, 10.5)
        self.pdf.ln(0.8)

    def row(self, indonesian: str, english: str, value: str, mono: bool = False) -> None:
        pdf, label_w = self.pdf, 58.0
        top = pdf.get_y()
        self.font(8, "B")
        pdf.cell(pdf.get_string_width(_latin(indonesian)) + 1.2, 4, _latin(indonesian))
        self.font(6.5, "I")
        pdf.set_text_color(100)
        pdf.cell(0, 4, _latin(english))
        pdf.set_text_color(0)
        pdf.set_xy(MARGIN + label_w, top)
        self.font(7.5 if mono else 8.5, "", "courier" if mono else "helvetica")
        self.lines(value, 4, self.width - label_w)
        pdf.set_x(MARGIN)

    def draw(self, text_size: float, text: str) -> None:
        data, pdf = self.data, self.pdf
        title, english = TITLES[data.statement_type]
        self.font(16, "B")
        pdf.cell(0, 7, _latin(title), new_x="LMARGIN", new_y="NEXT", align="C")
        self.font(9, "I")
        pdf.cell(0, 4, english, new_x="LMARGIN", new_y="NEXT", align="C")
        self.font(7.5)
        pdf.cell(
            0,
            4,
            "Tercatat di log publik yang tidak dapat diubah diam-diam / "
            "Registered in a public, tamper-evident log",
            new_x="LMARGIN",
            new_y="NEXT",
            align="C",
        )
        self.text(text_size, text)
        self.details()
        self.registration()
        self.codes()

    def text(self, size: float, text: str) -> None:
        data = self.data
        cited = data.template_sha256.hex()
        if data.template is None:
            self.heading("Teks templat tidak ada di log", "The cited template is not in the log")
            self.font(7.5, "", "courier")
            self.lines(f"SHA-256 {cited}", 3.5)
            return
        self.heading(data.template.title, "Text of the commitment")
        self.font(6.5, "I")
        self.pdf.set_text_color(100)
        self.lines(f"Templat / template: entri #{data.template.index}, SHA-256 {cited}", 3)
        self.pdf.set_text_color(0)
        self.pdf.ln(0.8)
        self.font(size)
        self.lines(text, size * 0.42)

    def details(self) -> None:
        data, payload = self.data, self.data.payload
        self.heading("Rincian", "Details")
        self.row("Penanda tangan", "Signer", data.signer_name)
        self.row("Jabatan", "Position", data.signer_jabatan)
        self.row("Instansi", "Agency", str(payload.get("instansi") or data.signer_instansi))
        self.row("Pemilihan", "Election", str(payload.get("election", "")))
        if "place" in payload:
            self.row("Tempat", "Place", str(payload["place"]))
        self.row("Tanggal", "Date", str(payload.get("date", "")))
        witnesses = payload.get("witnesses") or []
        if witnesses:
            lines = [f"{w['name']}, {w['jabatan']}, {w['instansi']}" for w in witnesses]
            self.row("Saksi", "Witnesses", "\n".join(lines))

    def registration(self) -> None:
        data = self.data
        self.heading("Pencatatan", "Registration")
        self.row("Indeks log", "Log index", str(data.index), mono=True)
        self.row("Dicatat pada", "Registered at", _registered(data.registered_at))
        self.row("Hash daun", "Leaf hash", data.leaf_hash.hex(), mono=True)
        self.row("Hash pernyataan", "Statement SHA-256", data.statement_sha256.hex(), mono=True)
        self.row("Kunci penanda tangan", "Signer key id", data.signer_kid.hex(), mono=True)
        self.row("Checkpoint", "Signed tree head, first to include it", "")
        self.font(5.8, "", "courier")
        self.lines(data.checkpoint.strip(), 2.6)

    def codes(self) -> None:
        data, pdf = self.data, self.pdf
        link_size, offline_size = 36.0, 58.0
        pdf.ln(2)
        top = pdf.get_y()
        middle = MARGIN + link_size + 3
        caption_width = self.width - link_size - offline_size - 6
        pdf.image(io.BytesIO(data.link_png), x=MARGIN, y=top, w=link_size)
        pdf.set_xy(middle, top + 2)
        self.caption("Periksa daring", "Verify online (QR kiri / left)", data.link, caption_width)
        if data.offline_png is not None:
            pdf.image(
                io.BytesIO(data.offline_png),
                x=MARGIN + self.width - offline_size,
                y=top,
                w=offline_size,
            )
            proof = (
                "bukti: tanda terima / proof: receipt"
                if data.proven_by == "receipt"
                else "bukti: stempel waktu registri / proof: entry timestamp"
            )
            pdf.set_xy(middle, pdf.get_y() + 4)
            self.caption(
                "Periksa luring, tanpa internet",
                "Verify offline with the registry's public key (QR kanan / right)",
                f"registry verify <gambar QR> --trust <konfigurasi>\n{proof}",
                caption_width,
            )
        pdf.set_xy(MARGIN, top + offline_size + 1.5)
        self.font(7, "I")
        self.lines(
            "Status pencabutan tidak tercantum di sertifikat ini: periksa daring. "
            "/ Revocation status is not shown here: check online.",
            3.2,
        )

    def caption(self, indonesian: str, english: str, value: str, width: float) -> None:
        x = self.pdf.get_x()
        self.font(8.5, "B")
        self.lines(indonesian, 4, width, x)
        self.font(7, "I")
        self.lines(english, 3.2, width, x)
        self.font(7, "", "courier")
        self.lines(value, 3.2, width, x)


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as PDF bytes: one A4 page, the text shrunk (or cut) to fit it."""
    if data.statement_type not in TITLES:
        raise ValueError(f"no certificate for a {data.statement_type!r} entry")
    full = data.template.text.strip() if data.template else ""
    for size in TEXT_SIZES:
        page = _Page(data)
        page.draw(size, full)
        if page.pdf.pages_count == 1:
            return bytes(page.pdf.output())
    where = f"entri #{data.template.index}" if data.template else "templat"
    note = f" [...] (teks lengkap / full text: {where})"
    low, high = 0, len(full)
    best = b""
    while low <= high:
        middle = (low + high) // 2
        page = _Page(data)
        page.draw(TEXT_SIZES[-1], full[:middle] + note)
        if page.pdf.pages_count == 1:
            best, low = bytes(page.pdf.output()), middle + 1
        else:
            high = middle - 1
    if not best:
        raise ValueError(f"entry {data.index}'s details do not fit one page")
    return best


# -- gathering the data --------------------------------------------------------------------


async def find_template(service: RegistryService, sha256: bytes) -> Template | None:
    """The template entry whose ``text`` has SHA-256 ``sha256`` (the first, if several)."""
    offset = 0
    while True:
        records, total = await service.search(type="template", limit=TEMPLATE_PAGE, offset=offset)
        for record in records:
            payload = json.loads(record.payload_json)
            text = payload.get("text")
            if isinstance(text, str) and hashlib.sha256(text.encode()).digest() == sha256:
                return Template(record.idx, str(payload.get("title", "")), text)
        offset += TEMPLATE_PAGE
        if offset >= total:
            return None


async def _checkpoint_under(service: RegistryService, receipt: bytes) -> str:
    """The registry-signed checkpoint of the tree the receipt proves inclusion in."""
    keys = service.state.keys
    info = verify_receipt(receipt, keys.by_kid(), validity=keys.validity())
    if info.ok and info.value is not None:
        stored = await service.checkpoint_at(info.value.tree_size)
        if stored is not None:
            return stored.note
    return await service.checkpoint()


class _Enrolled(Protocol):
    """A signing key's enrolment, as far as a certificate prints it."""

    @property
    def name(self) -> str: ...
    @property
    def jabatan(self) -> str: ...
    @property
    def instansi(self) -> str: ...


def _signer_names(payload: dict[str, Any], signer: _Enrolled | None, kid: bytes) -> dict[str, str]:
    """The signer's name, jabatan and instansi as the signed record names them (checked
    against the enrolment when registered), else as the key's enrolment has them."""
    named = payload.get("signer")
    if isinstance(named, dict) and all(isinstance(named.get(k), str) for k in SIGNER_FIELDS):
        return {f"signer_{k}": str(named[k]) for k in SIGNER_FIELDS}
    if signer is None:
        return {"signer_name": b64url(kid), "signer_jabatan": "", "signer_instansi": ""}
    return {
        "signer_name": signer.name,
        "signer_jabatan": signer.jabatan,
        "signer_instansi": signer.instansi,
    }


async def certificate_data(maker: EntryQrMaker, index: int) -> CertificateData:
    """What entry ``index``'s certificate prints (``NotFound`` unless a pact or declaration)."""
    service = maker.service
    record = await service.entry(index)
    if record.type not in CERTIFIED_TYPES:
        raise NotFound(Message("notfound.certificate", {"index": index, "type": record.type}))
    payload = json.loads(record.payload_json)
    signer = await service.enrolled(record.signer_kid)
    template_sha256 = unb64url(str(payload.get("template", "")))
    texts = await maker.texts(index)
    link_png = await maker.image(index, "link.png")
    offline_png = None
    if texts.offline.version is not None:
        offline_png = await maker.image(index, "offline.png")
    return CertificateData(
        index=index,
        statement_type=record.type,
        payload=payload,
        template_sha256=template_sha256,
        template=await find_template(service, template_sha256),
        **_signer_names(payload, signer, record.signer_kid),
        registered_at=record.registered_at,
        leaf_hash=record.leaf_hash,
        statement_sha256=record.statement_sha256,
        signer_kid=record.signer_kid,
        checkpoint=await _checkpoint_under(service, record.receipt),
        link=texts.link,
        link_png=link_png,
        offline_png=offline_png,
        proven_by=texts.offline.proven_by,
    )


async def certificate_pdf(maker: EntryQrMaker, index: int) -> bytes:
    """Entry ``index``'s certificate, made once off the event loop and cached with its QRs."""

    async def make() -> bytes:
        data = await certificate_data(maker, index)
        return await asyncio.to_thread(render_certificate, data)

    # Printed with an offline QR that the quorum has not cosigned yet: made again next time.
    final = (await maker.texts(index)).offline.final
    return await maker.file(index, "certificate.pdf", make, final)
