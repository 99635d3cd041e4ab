"""Remote signing with a custodial key: POST /sign (as Indonesia's BSrE signs for people).

The signer's key is held by the registry, sealed under the signer's own
passphrase; the signer sends the passphrase with the record to sign and gets
the receipt, exactly as from ``POST /entries``.  Keys are put in custody by
the operator on the command line (``registry custodial-key create``), never
over HTTP.  Nothing here logs a request body, and no answer repeats the
passphrase.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.response.base import ASGIResponse

from registry.api.deps import COSE, Custodial, Service, registered_documents, registered_response
from registry.api.limits import client_of, rate_limited
from registry.records.pledges import named_by_enrolment

MAX_BODY = 64 * 1024


class SignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A record to sign with a custodial key, and the passphrase that opens the key."""

    kid: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[0-9a-fA-F]{64}$",
            description="The custodial key's kid: SHA-256 of its raw public key, in hex.",
        ),
    ]
    passphrase: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=1024,
            description="The key owner's passphrase; never stored, logged or repeated.",
        ),
    ]
    record: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="The record to sign, with its `type` (`pact`, `declaration`...); "
            "keys, hashes and commitments as hex or base64url text.",
        ),
    ]

    def __repr__(self) -> str:
        """Everything but the passphrase."""
        return f"SignRequest(kid={self.kid!r}, passphrase=<hidden>, record={self.record!r})"


class SigningController(Controller):
    """Sign and register a record with a key held in custody."""

    path = "/sign"
    tags = ["signing"]

    @post(
        "/",
        status_code=201,
        media_type=COSE,
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("sign")],
        responses=registered_documents("The receipt of the registered statement (COSE Receipt)"),
        summary="Sign a record with a custodial key and register it",
        description="Body: JSON `{kid, passphrase, record}`. The registry opens the key held "
        "for `kid` with the passphrase, signs the record as a COSE_Sign1 statement (issuer: "
        "the kid in hex) and registers it. Answers as `POST /entries`: 201 with the receipt "
        "(`application/cose`), `Location: /entries/{index}` and `X-Registry-Entry-Index`. "
        "A wrong passphrase is 403 `wrong-passphrase` with `attempts_remaining`; too many "
        "in a row from one client lock that client (not the key: others may still sign) out "
        "of it: 423 `key-locked` with `Retry-After` (seconds), even for the right "
        "passphrase. A key that many wrong passphrases in a row came for, from anywhere, "
        "answers more slowly (attempts spaced apart) until it is opened. "
        "An unknown kid is 404; a record that does not fit its schema is 422 "
        "and counts no attempt.",
    )
    async def sign(
        self,
        request: Request[Any, Any, Any],
        custodial: Custodial,
        service: Service,
        data: JSONBody[SignRequest],
    ) -> ASGIResponse:
        """Sign ``data.record`` with the custodial key and answer with the receipt."""
        kid = bytes.fromhex(data.kid)
        # The registry holds the key and its enrolment: a pledge names its signer as enrolled.
        record = named_by_enrolment(data.record, await service.enrolled(kid))
        result = await custodial.sign_and_register(kid, data.passphrase, record, client_of(request))
        return registered_response(result)
