"""Every error the API answers with, in one place: which exception becomes which problem.

Domain exceptions (refusals, not-found, back-pressure, bad proofs requests)
and Litestar's own HTTP errors all become problem details
(:mod:`registry.api.problems`: RFC 9457 JSON, or RFC 9290 CBOR for a SCRAPI
client) with a ``type`` naming the reason, a ``title``, a ``status`` and a
``detail`` in the reader's language.  A record off its schema, or request
parameters Litestar could not read (:mod:`registry.api.bad_parameters`), are
also listed field by field in ``errors``: ``[{field, reason, message}]``,
``reason`` a stable code.  :data:`EXCEPTION_HANDLERS` is the registry's map,
:func:`witness_exception_handlers` the witness's.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from registry.api.bad_parameters import parameter_errors
from registry.api.limits import RateLimited
from registry.api.problems import problem_for, request_language, request_path
from registry.compliance.access import AccessDenied
from registry.compliance.browsing import SearchBehind
from registry.compliance.filtering import FilterRefused
from registry.compliance.scoped_tallies import PassesRationed, ScopeBeingMade
from registry.i18n import DEFAULT_LANGUAGE, Message, Text, render
from registry.log.tiles import TilePathError
from registry.log.witness import OldSizeConflictError, WitnessError
from registry.records.errors import (
    FieldError,
    KeyLockedError,
    NotFound,
    RegistrationRefused,
    TamperedEntry,
    Unavailable,
    WrongPassphraseError,
)
from registry.records.schemas import RecordError


class BadRequest(Exception):
    """A request whose parameters or body the API cannot use.

    ``title`` and ``detail`` may be plain English or a
    :class:`~registry.i18n.Message` put into the reader's language.
    """

    def __init__(self, code: str, title: Text, detail: Text, status: int = 400) -> None:
        self.code, self.title, self.detail, self.status = code, title, detail, status
        super().__init__(render(detail, DEFAULT_LANGUAGE))


def invalid_parameter(key: str, **params: Any) -> BadRequest:
    """A request parameter the API cannot use, worded by the catalog's ``key``."""
    return BadRequest(
        "invalid-parameter", Message("problem.invalid-parameter.title"), Message(key, params)
    )


def _field_errors(errors: list[FieldError], lang: str) -> list[dict[str, str]]:
    return [e.to_dict(lang) for e in errors]


def _refused(request: Request[Any, Any, Any], exc: RegistrationRefused) -> Response[dict[str, Any]]:
    lang = request_language(request)
    return problem_for(
        request,
        exc.code,
        exc.title_text,
        exc.status,
        exc.detail_text,
        evidence=exc.evidence,
        errors=_field_errors(exc.errors, lang),
    )


def _not_found(request: Request[Any, Any, Any], exc: NotFound) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "not-found",
        Message("problem.not-found.title"),
        404,
        Message("problem.not-found.detail", {"what": exc.what}),
    )


def _unavailable(request: Request[Any, Any, Any], exc: Unavailable) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "unavailable",
        Message("problem.unavailable.title"),
        503,
        exc.detail_text,
        headers={"Retry-After": str(exc.retry_after)},
    )


def behind_message(exc: SearchBehind) -> Message:
    """What a reader is told while the record search's table is being written."""
    return Message("dashboard.search.behind", {"held": f"{exc.held:,}", "size": f"{exc.size:,}"})


def _not_ready(
    request: Request[Any, Any, Any], detail: Message, retry_after: int
) -> Response[dict[str, Any]]:
    """503: derived state still being made from the log; ask again in ``retry_after`` s."""
    return problem_for(
        request,
        "unavailable",
        Message("problem.unavailable.title"),
        503,
        detail,
        headers={"Retry-After": str(retry_after)},
    )


def being_made_message(exc: ScopeBeingMade) -> Message:
    """What a reader is told while a filter's own tally is being made from the log."""
    counted = {"held": f"{exc.held:,}", "size": f"{exc.size:,}"}
    day = exc.day_alone
    if day is not None:  # a past day of every record, not a filter
        return Message("dashboard.day.being-made", {**counted, "day": day})
    return Message("dashboard.scope.being-made", counted)


def not_ready(exc: SearchBehind | ScopeBeingMade) -> tuple[Message, int]:
    """What a reader is told while derived state is still being made from the log (the
    search table written, a filter's tally made), or while the passes that make the tallies
    of filters with a day are rationed, and in how many seconds to ask again: the API's 503
    problem and the pages' 503 say the same."""
    if isinstance(exc, SearchBehind):
        return behind_message(exc), SEARCH_RETRY_S
    if isinstance(exc, PassesRationed):
        minutes = max(1, -(-exc.retry_after // 60))
        rationed = {"an_hour": f"{exc.an_hour:,}", "minutes": f"{minutes:,}"}
        return Message("dashboard.scope.rationed", rationed), exc.retry_after
    return being_made_message(exc), exc.retry_after


def _being_made(
    request: Request[Any, Any, Any], exc: SearchBehind | ScopeBeingMade
) -> Response[dict[str, Any]]:
    return _not_ready(request, *not_ready(exc))


SEARCH_RETRY_S = 5
"""Seconds a search told the table is being written is asked to wait."""


def _tampered(request: Request[Any, Any, Any], exc: TamperedEntry) -> Response[dict[str, Any]]:
    # Logged and counted where it was found (registry.records.verified); the answer names
    # what differs, never the edited bytes.
    return problem_for(
        request,
        "tampered-entry",
        Message("problem.tampered-entry.title"),
        500,
        exc.message,
        evidence=exc.evidence,
    )


def _bad_request(request: Request[Any, Any, Any], exc: BadRequest) -> Response[dict[str, Any]]:
    return problem_for(request, exc.code, exc.title, exc.status, exc.detail)


def _record(request: Request[Any, Any, Any], exc: RecordError) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "schema-violation",
        Message("refusal.schema-violation.title"),
        422,
        exc.message,
        errors=_field_errors(exc.errors, request_language(request)),
    )


def _wrong_passphrase(
    request: Request[Any, Any, Any], exc: WrongPassphraseError
) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "wrong-passphrase",
        Message("problem.wrong-passphrase.title"),
        403,
        exc.message,
        attempts_remaining=exc.attempts_remaining,
    )


def _key_locked(request: Request[Any, Any, Any], exc: KeyLockedError) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "key-locked",
        Message("problem.key-locked.title"),
        423,
        exc.message,
        headers={"Retry-After": str(exc.retry_after)},
        locked_until=exc.locked_until,
    )


def _tile(request: Request[Any, Any, Any], exc: TilePathError) -> Response[dict[str, Any]]:
    return problem_for(
        request,
        "bad-tile-path",
        Message("problem.bad-tile-path.title"),
        404,
        Message("problem.bad-tile-path.detail", {"detail": str(exc)}),
    )


def access_denied(request: Request[Any, Any, Any], exc: AccessDenied) -> Response[dict[str, Any]]:
    """The problem details of a signed request refused (401 asks who signs: WWW-Authenticate)."""
    headers = {"WWW-Authenticate": "Registry-Signed"} if exc.status == 401 else None
    return problem_for(request, exc.code, exc.title, exc.status, exc.detail, headers)


def _witness(request: Request[Any, Any, Any], exc: WitnessError) -> Response[Any]:
    """A witness's refusal (c2sp.org/tlog-witness): its status, and for a 409 about the old
    size the spec's ``text/x.tlog.size`` body; the others as problem details."""
    if isinstance(exc, OldSizeConflictError):
        return Response(exc.body, status_code=exc.status, media_type=exc.content_type)
    return problem_for(request, exc.code, exc.title, exc.status, exc.message)


# -- Litestar's own errors -----------------------------------------------------------------

_SOURCES = {"query", "path", "header", "cookie", "body"}


def _validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    lang = request_language(request)
    items = []
    errors = []
    for name, source, reason, params in parameter_errors(exc):
        where = Message(f"problem.source.{source if source in _SOURCES else 'other'}")
        said = Message(
            "problem.parameter",
            {"name": name, "source": where, "problem": Message(f"parameter.{reason}", params)},
        )
        items.append(said)
        errors.append(
            {"field": name, "source": source, "reason": reason, "message": said.render(lang)}
        )
    detail: Text = (
        Message("problem.invalid-parameter.detail", {"list": items}) if items else str(exc.detail)
    )
    return problem_for(
        request,
        "invalid-parameter",
        Message("problem.invalid-parameter.title"),
        400,
        detail,
        errors=errors,
    )


_HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
}


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http-error")
    params = {"path": request_path(request), "method": request.method, "detail": str(exc.detail)}
    if code == "http-error":
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        title = Message("problem.http-error.title", {"phrase": phrase or str(status)})
    else:
        title = Message(f"problem.{code}.title")
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    detail = Message(f"problem.http.{code}.detail", params)
    if status == 413 and (most := _max_body(request)) is not None:
        detail = Message("edges.too-large.detail", {**params, "max": most})
    return problem_for(request, code, title, status, detail, headers)


def _max_body(request: Request[Any, Any, Any]) -> int | None:
    """The most bytes of body the route ``request`` went to takes (``None``: unknown)."""
    handler = request.scope.get("route_handler")
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    most = resolve() if resolve is not None else None
    return most if isinstance(most, int) else None


def _rate_limited(request: Request[Any, Any, Any], exc: RateLimited) -> Response[dict[str, Any]]:
    params = {
        "bucket": exc.bucket,
        "limit": exc.rate.requests,
        "period": exc.rate.seconds,
        "retry_after": exc.retry_after,
    }
    return problem_for(
        request,
        "rate-limited",
        Message("edges.rate-limited.title"),
        429,
        Message("edges.rate-limited.detail", params),
        headers={"Retry-After": str(exc.retry_after)},
        bucket=exc.bucket,
        retry_after=exc.retry_after,
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logging.getLogger(__name__).exception("unexpected error on %s", request_path(request))
    return problem_for(
        request,
        "internal-error",
        Message("problem.internal-error.title"),
        500,
        Message("problem.internal-error.detail"),
    )


def witness_exception_handlers() -> dict[type[Exception] | int, Any]:
    """The error handlers of the witness's app (`registry witness serve`)."""
    return {
        WitnessError: _witness,
        ValidationException: _validation,
        HTTPException: _http,
        Exception: _unexpected,
    }


def _filter_refused(
    request: Request[Any, Any, Any], exc: FilterRefused
) -> Response[dict[str, Any]]:
    return problem_for(
        request, "invalid-parameter", Message("problem.invalid-parameter.title"), 400, exc.message
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    FilterRefused: _filter_refused,
    RegistrationRefused: _refused,
    NotFound: _not_found,
    Unavailable: _unavailable,
    SearchBehind: _being_made,
    ScopeBeingMade: _being_made,
    TamperedEntry: _tampered,
    BadRequest: _bad_request,
    RecordError: _record,
    WrongPassphraseError: _wrong_passphrase,
    KeyLockedError: _key_locked,
    TilePathError: _tile,
    AccessDenied: access_denied,
    RateLimited: _rate_limited,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
