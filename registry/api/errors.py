"""Every error the API answers with, in one place: RFC 9457 problem details.

Domain exceptions (refusals, not-found, back-pressure, bad proofs requests)
and Litestar's own HTTP errors all become ``application/problem+json`` with a
``type`` naming the reason, a ``title``, a ``status`` and a ``detail``.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from registry.log.tiles import TilePathError
from registry.records.errors import (
    KeyLockedError,
    NotFound,
    RegistrationRefused,
    Unavailable,
    WrongPassphraseError,
)
from registry.records.schemas import RecordError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:pakta-integritas:problem:"


class BadRequest(Exception):
    """A request whose parameters or body the API cannot use."""

    def __init__(self, code: str, title: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.code, self.title, self.detail, self.status = code, title, detail, status


def problem(
    code: str,
    title: str,
    status: int,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None and v != {}})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _refused(request: Request[Any, Any, Any], exc: RegistrationRefused) -> Response[dict[str, Any]]:
    return problem(
        exc.code, exc.title, exc.status, exc.detail, request.url.path, evidence=exc.evidence
    )


def _not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[dict[str, Any]]:
    return problem("not-found", "Not found", 404, f"no such {exc.what}", request.url.path)


def _unavailable(request: Request[Any, Any, Any], exc: Unavailable) -> Response[dict[str, Any]]:
    return problem(
        "unavailable",
        "Registry busy",
        503,
        exc.detail,
        request.url.path,
        headers={"Retry-After": str(exc.retry_after)},
    )


def _bad_request(request: Request[Any, Any, Any], exc: BadRequest) -> Response[dict[str, Any]]:
    return problem(exc.code, exc.title, exc.status, exc.detail, request.url.path)


def _record(request: Request[Any, Any, Any], exc: RecordError) -> Response[dict[str, Any]]:
    return problem(
        "schema-violation", "Record does not fit its schema", 422, str(exc), request.url.path
    )


def _wrong_passphrase(
    request: Request[Any, Any, Any], exc: WrongPassphraseError
) -> Response[dict[str, Any]]:
    return problem(
        "wrong-passphrase",
        "Wrong passphrase",
        403,
        str(exc),
        request.url.path,
        attempts_remaining=exc.attempts_remaining,
    )


def _key_locked(request: Request[Any, Any, Any], exc: KeyLockedError) -> Response[dict[str, Any]]:
    return problem(
        "key-locked",
        "Custodial key is locked",
        423,
        str(exc),
        request.url.path,
        headers={"Retry-After": str(exc.retry_after)},
        locked_until=exc.locked_until,
    )


def _tile(request: Request[Any, Any, Any], exc: TilePathError) -> Response[dict[str, Any]]:
    return problem("bad-tile-path", "Not a tile path", 404, str(exc), request.url.path)


def _validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    return problem(
        "invalid-parameter",
        "Invalid request parameter",
        400,
        str(exc.detail),
        request.url.path,
        errors=exc.extra,
    )


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = {
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-media-type",
    }.get(exc.status_code, "http-error")
    return problem(
        code, str(exc.detail) or "HTTP error", exc.status_code, str(exc.detail), request.url.path
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logging.getLogger(__name__).exception("unexpected error on %s", request.url.path)
    return problem(
        "internal-error",
        "Internal error",
        500,
        "the registry failed to answer; nothing was written unless a receipt was sent",
        request.url.path,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    RegistrationRefused: _refused,
    NotFound: _not_found,
    Unavailable: _unavailable,
    BadRequest: _bad_request,
    RecordError: _record,
    WrongPassphraseError: _wrong_passphrase,
    KeyLockedError: _key_locked,
    TilePathError: _tile,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
