"""Who may use an institution's page: a short-lived signed access statement, checked by role.

The institutions' pages (the recommending authority, BKN, the operator) act with the
institution's own key, as the portal does: a key this browser keeps (WebCrypto) or one the
registry holds in custody (opened by its passphrase).  Before a page shows anything, it
proves which key it holds with an ``access`` statement: a COSE_Sign1 statement like any
other, signed by that key, whose payload is ``{type: "access", page, origin}``.  It is never
logged (``access`` is no record type: ``POST /entries`` refuses it) and it stands for
:data:`ACCESS_TTL_S` seconds after its claimed time, for this registry (``origin``) and this
page only.  :func:`check_access` says who holds it, or refuses it naming why, in words the
problem details carry in Indonesian and English.

What the pages then sign (recommendations, enforcement steps, enrolments...) is registered
like any statement, and the registration policy checks its signer's role again: the page is a
convenience, the policy is the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.records.errors import RegistrationRefused, refused
from registry.records.obligations import day_of
from registry.store.models import SignerKeyRecord
from registry.verify.cose import parse_sign1
from registry.verify.result import Reason
from registry.verify.statement import verify_statement

ACCESS_TYPE = "access"
ACCESS_TTL_S = 15 * 60
"""How long an access statement stands after its claimed time."""
CLOCK_SKEW_S = 300
PAGE_ROLES: Mapping[str, frozenset[str]] = {
    "recommender": frozenset({"recommender"}),
    "bkn": frozenset({"bkn"}),
    "operator": frozenset({"admin"}),
}
"""Which roles each institution page serves: one each, and nobody else."""


@dataclass(frozen=True)
class Access:
    """A key that proved it may use a page: its enrolment, and until when the proof stands."""

    page: str
    key: SignerKeyRecord
    expires: int

    def as_json(self) -> dict[str, Any]:
        """What the page shows of the key that uses it."""
        return {
            "page": self.page,
            "kid": self.key.kid.hex(),
            "role": self.key.role,
            "name": self.key.name,
            "jabatan": self.key.jabatan,
            "instansi": self.key.instansi,
            "expires": self.expires,
        }


def access_payload(page: str, origin: str) -> dict[str, Any]:
    """The payload of an access statement to ``page`` of the registry named ``origin``."""
    return {"type": ACCESS_TYPE, "page": page, "origin": origin}


def _denied(code: str, key: str, status: int = 403, **params: Any) -> RegistrationRefused:
    return refused(code, f"institutions.{key}", status, **params)


def check_role(page: str, key: SignerKeyRecord | None, now_s: int) -> SignerKeyRecord:
    """``key`` is enrolled, standing, in its term at ``now_s`` and of a role ``page`` serves."""
    if page not in PAGE_ROLES:
        raise _denied("unknown-page", "unknown-page", 404, page=page)
    if key is None:
        raise _denied("unknown-key", "unknown-key")
    if key.revoked_at is not None and key.revoked_at <= now_s * 1000:
        raise _denied("revoked-key", "revoked-key", kid=key.kid.hex()[:16])
    allowed = PAGE_ROLES[page]
    if key.role not in allowed:
        raise _denied(
            "wrong-role-for-page",
            "wrong-role",
            role=key.role,
            page=page,
            allowed=", ".join(sorted(allowed)),
        )
    day = day_of(now_s)
    if not key.term_start <= day <= key.term_end:
        raise _denied(
            "outside-term", "outside-term", day=day, start=key.term_start, end=key.term_end
        )
    return key


def check_access(
    statement: bytes,
    page: str,
    origin: str,
    keys: Callable[[bytes], SignerKeyRecord | None],
    now_s: int,
) -> Access:
    """Who holds ``statement``, an access statement to ``page`` of ``origin``; or a refusal.

    Refused (403 unless said): a statement that is not COSE_Sign1 or whose signature does
    not hold under the enrolled key it names (``bad-access``, 401), of another type, page or
    registry, or older than :data:`ACCESS_TTL_S` or from the future (``bad-access``, 401);
    then the key's standing and role (:func:`check_role`).
    """
    parsed = parse_sign1(statement, "access statement")
    if not parsed.ok or parsed.value is None:
        raise _denied("bad-access", "bad-access", 401, why=parsed.detail or "not COSE_Sign1")

    def public(kid: bytes) -> bytes | None:
        found = keys(kid)
        return None if found is None else found.public_key

    verified = verify_statement(statement, public)
    if not verified.ok or verified.value is None:
        if verified.reason is Reason.UNKNOWN_KEY:
            raise _denied("unknown-key", "unknown-key")
        raise _denied("bad-access", "bad-access", 401, why=verified.detail or "signature")
    found = verified.value
    payload = found.payload
    if found.statement_type != ACCESS_TYPE or payload.get("type") != ACCESS_TYPE:
        raise _denied("bad-access", "bad-access", 401, why=f"type must be {ACCESS_TYPE}")
    if payload.get("origin") != origin or payload.get("page") != page:
        raise _denied("bad-access", "bad-access", 401, why=f"made for another page ({page})")
    if not now_s - ACCESS_TTL_S <= found.issued_at <= now_s + CLOCK_SKEW_S:
        raise _denied("bad-access", "expired", 401, minutes=ACCESS_TTL_S // 60)
    key = check_role(page, keys(found.kid), now_s)
    return Access(page, key, found.issued_at + ACCESS_TTL_S)
