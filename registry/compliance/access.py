"""Signed requests: who may read or erase the personal data behind a subject commitment.

Reports and recommendations name an ASN only by ``SHA-256(salt || NIP)``; the
salt, NIP and name stay in the store's identities table.  A caller proves who
they are by signing the request itself with an enrolled key::

    Authorization: Registry-Signed <base64url of a COSE_Sign1>

The COSE_Sign1 (EdDSA, protected kid = SHA-256 of the public key, as a signed
statement) carries the deterministic CBOR map ``{"method": "GET", "path":
"/api/identities/<hex>", "iat": <seconds>}``.  It is accepted once, within
:data:`MAX_AGE_S` of its ``iat``, for that method and path only, from a key
that is enrolled, unrevoked and within its term.  Reading is for the roles in
:data:`READ_ROLES` and for a PPK a standing recommendation naming the
commitment is addressed to (its key, or its instansi: the PPK who must follow
it up); erasing is for the admin role.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from registry.i18n import DEFAULT_LANGUAGE, Message, Text, render
from registry.signing.cose import CoseSigner
from registry.store.models import SignerKeyRecord
from registry.verify.cbor import decode_deterministic, encode_deterministic
from registry.verify.cose import content_digest, parse_sign1, unprotected_empty, verify_signature
from registry.verify.trust import b64url, unb64url

SCHEME = "Registry-Signed"
MAX_AGE_S = 300
"""A signed request is good for five minutes either side of its ``iat``."""
MAX_TOKEN_BYTES = 2048
READ_ROLES = frozenset({"recommender", "bkn", "bawaslu"})
ERASE_ROLES = frozenset({"admin"})
TRACK_RECORD_ROLES = frozenset({"bawaslu", "recommender", "bkn", "panel"})
"""Who may read a person's track record: the institutions, and JPT selection panels."""


class AccessDenied(Exception):
    """A request refused: ``status`` 401 (who are you?) or 403 (not you), with a stable ``code``.

    ``title`` and ``detail`` are English or messages put into the reader's language.
    """

    def __init__(self, code: str, title: Text, detail: Text, status: int = 401) -> None:
        super().__init__(f"{render(title, DEFAULT_LANGUAGE)}: {render(detail, DEFAULT_LANGUAGE)}")
        self.code, self.title, self.detail, self.status = code, title, detail, status


def denied(code: str, status: int = 401, **params: Any) -> AccessDenied:
    """The refusal ``code`` worded by the catalog's ``access.<code>.title`` and ``.detail``."""
    return AccessDenied(
        code, Message(f"access.{code}.title"), Message(f"access.{code}.detail", params), status
    )


Keys = Callable[[bytes], SignerKeyRecord | None]
"""The enrolment of a kid, if any (``RegistryService.signer``, ``KeyDirectory.get``)."""


class ReplayGuard:
    """Remembers the signed requests seen in the last :data:`MAX_AGE_S` (x2) seconds.

    One per process, a first filter: the API also records every request in
    the database (``Store.use_request``), so that in a cluster of processes a
    request is still used once in all.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    def first_use(self, digest: bytes, now_s: float) -> bool:
        """Record ``digest``; whether it was not seen before (within the window)."""
        while self._seen and next(iter(self._seen.values())) < now_s:
            self._seen.popitem(last=False)
        if digest in self._seen:
            return False
        self._seen[digest] = now_s + 2 * MAX_AGE_S
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return True


def sign_request(signer: CoseSigner, method: str, path: str, issued_at: int | None = None) -> str:
    """The ``Authorization`` header value for ``method path`` signed by ``signer``."""
    iat = int(time.time()) if issued_at is None else issued_at
    payload = encode_deterministic({"method": method.upper(), "path": path, "iat": iat})
    token = signer.sign1({3: "application/cbor"}, {}, payload)
    return f"{SCHEME} {b64url(token)}"


def token_of(header: str | None) -> bytes:
    """The signed request in an ``Authorization`` header, or :class:`AccessDenied`."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme != SCHEME or not value.strip():
        raise denied("unauthenticated", scheme=SCHEME)
    try:
        token = unb64url(value.strip())
    except ValueError:
        token = b""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise denied("malformed-request-signature", detail="bad base64url")
    return token


def verify_request(
    header: str | None,
    method: str,
    path: str,
    keys: Keys,
    replay: ReplayGuard,
    now_s: float | None = None,
) -> SignerKeyRecord:
    """The enrolled key that signed this request, or :class:`AccessDenied` (401)."""
    now = time.time() if now_s is None else now_s
    token = token_of(header)
    parsed = parse_sign1(token, "signed request", MAX_TOKEN_BYTES)
    message = parsed.value
    if not parsed.ok or message is None or message.payload is None or message.kid is None:
        raise denied("malformed-request-signature", detail=parsed.detail)
    # Nothing unsigned may ride along: one request, one encoding (the replay record below
    # is of what the signature covers, so no re-encoding makes it another request).
    unsigned = unprotected_empty(message, "signed request", "a signed request")
    if unsigned is not None:
        raise denied("malformed-request-signature", detail=unsigned.detail)
    key = keys(message.kid)
    if key is None:
        raise denied("unknown-key", kid=message.kid.hex())
    now_ms = int(now * 1000)
    if key.revoked_at is not None and key.revoked_at <= now_ms:
        raise denied("revoked-key", kid=message.kid.hex())
    if not key.valid_from <= now_ms < key.valid_until:
        raise denied("outside-term", start=key.term_start, end=key.term_end)
    if not verify_signature(message, key.public_key, what="request signature").ok:
        raise denied("bad-signature", kid=message.kid.hex())
    body = decode_deterministic(message.payload, "signed request payload")
    claims = body.value if body.ok and isinstance(body.value, dict) else {}
    if claims.get("method") != method.upper() or claims.get("path") != path:
        raise denied(
            "wrong-request",
            signed=f"{claims.get('method')} {claims.get('path')}",
            used=f"{method} {path}",
        )
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool) or abs(now - iat) > MAX_AGE_S:
        raise denied("stale-request", seconds=MAX_AGE_S)
    if not replay.first_use(content_digest(message), now):
        raise denied("replayed-request")
    return key


def request_digest(header: str | None) -> bytes:
    """What identifies the signed request in ``header`` for the shared replay record: the
    SHA-256 of what its signature covers, so that neither a re-encoding nor a second
    signature of one request is another request (its bytes' SHA-256 if it is unreadable)."""
    token = token_of(header)
    parsed = parse_sign1(token, "signed request", MAX_TOKEN_BYTES)
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        return hashlib.sha256(token).digest()
    return content_digest(parsed.value)


def may_read_identity(key: SignerKeyRecord, addressed: Iterable[tuple[bytes, str]]) -> bool:
    """Whether ``key`` may read an identity named by recommendations ``(ppk_kid, instansi)``."""
    if key.role in READ_ROLES:
        return True
    return key.role == "ppk" and any(
        kid == key.kid or instansi == key.instansi for kid, instansi in addressed
    )


def require(allowed: bool, role: str, what: Text) -> None:
    """Refuse (403) a caller whose role or office does not allow ``what`` (``may not ...``)."""
    if not allowed:
        raise denied("forbidden", 403, role=role, what=what)
