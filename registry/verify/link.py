"""The link QR (docs/formats.md "QR codes"): ``{base}/v/{index}#{base64url(leaf_hash[:16])}``.

:func:`parse_link` reads it strictly and :func:`check_link_leaf` checks a leaf
fetched online against it: the fragment never reaches the server, so a server
that answers with another record is caught.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.result import Reason, Verdict
from registry.verify.trust import b64url, unb64url

LINK_FRAGMENT_SIZE = 16
MAX_LINK = 2048
_LINK = re.compile(r"(https?://[^#?\s]+?)/v/(0|[1-9][0-9]{0,18})#([A-Za-z0-9_-]{22})")


@dataclass(frozen=True)
class LinkQr:
    """A parsed link QR: the registry's base URL, the entry index and the leaf-hash prefix."""

    base_url: str
    index: int
    fragment: bytes

    @property
    def url(self) -> str:
        """The page to open (the fragment stays in the browser)."""
        return f"{self.base_url}/v/{self.index}#{b64url(self.fragment)}"


def link_text(base_url: str, index: int, entry_leaf_hash: bytes) -> str:
    """The link QR's text for entry ``index`` whose leaf hash is ``entry_leaf_hash``."""
    fragment = b64url(entry_leaf_hash[:LINK_FRAGMENT_SIZE])
    return f"{base_url.rstrip('/')}/v/{index}#{fragment}"


def parse_link(text: object) -> Verdict[LinkQr]:
    """Parse ``{base}/v/{index}#{fragment}`` strictly (http(s) base, 16-byte fragment)."""
    check = "parse link QR"
    if not isinstance(text, str) or not text or len(text) > MAX_LINK:
        return Verdict.failed(check, Reason.MALFORMED, "a link QR is a URL of at most 2048 chars")
    match = _LINK.fullmatch(text)
    if match is None:
        return Verdict.failed(
            check, Reason.MALFORMED, "a link QR reads {base}/v/{index}#{base64url(16 bytes)}"
        )
    base, index, fragment = match.groups()
    raw = unb64url(fragment)  # 22 characters of the alphabet always decode
    if len(raw) != LINK_FRAGMENT_SIZE or b64url(raw) != fragment:
        return Verdict.failed(check, Reason.MALFORMED, "the fragment is not 16 bytes in base64url")
    return Verdict.passed(check, LinkQr(base, int(index), raw), index=index)


def check_link_leaf(link: LinkQr, leaf: bytes) -> Verdict[Leaf]:
    """The leaf fetched for ``link`` is entry ``link.index``; its hash starts with the fragment."""
    check = "link QR leaf"
    parsed = decode_leaf(leaf)
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(check)
    hashed = hashlib.sha256(b"\x00" + leaf).digest()
    if parsed.value.index != link.index or hashed[:LINK_FRAGMENT_SIZE] != link.fragment:
        return Verdict.failed(
            check,
            Reason.WRONG_LEAF,
            "the server answered with another record than the QR names",
            qr_index=str(link.index),
            leaf_index=str(parsed.value.index),
            qr_fragment=b64url(link.fragment),
            leaf_hash_prefix=b64url(hashed[:LINK_FRAGMENT_SIZE]),
        )
    return Verdict.passed(check, parsed.value, index=str(link.index))
