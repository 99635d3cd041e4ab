"""Every error the API answers with, in one place: RFC 9457 problem details.

Domain exceptions (refusals, not-found, back-pressure, bad proofs requests)
and Litestar's own HTTP errors all become ``application/problem+json`` with a
``type`` naming the reason, a ``title``, a ``status`` and a ``detail``.

``title`` and ``detail`` are in Bahasa Indonesia when ``Accept-Language``
asks for it, in English otherwise (:func:`registry.i18n.language_from_accept`);
every answer says which in ``Content-Language`` and ``Vary: Accept-Language``.
``type`` never changes with the language.  A record off its schema, or
request parameters Litestar could not read, are also listed field by field
in ``errors``: ``[{field, reason, message}]``, ``reason`` a stable code.

A SCRAPI client (one whose ``Accept`` names ``application/cose``,
``application/cbor`` or ``application/concise-problem-details+cbor`` and no
JSON type, or that sends ``application/cose`` with no ``Accept``) gets the
same problem as RFC 9290 concise problem details instead
(``application/concise-problem-details+cbor``): ``-1`` title, ``-2`` detail,
``-3`` instance, and one custom entry keyed by the ``type`` URI holding
``status`` and any ``evidence``/``errors`` (docs/formats.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from registry.api.limits import RateLimited
from registry.compliance.access import AccessDenied
from registry.compliance.dashboard import FilterRefused
from registry.i18n import DEFAULT_LANGUAGE, Message, Text, language_from_accept, render
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
from registry.verify.cbor import encode_deterministic

PROBLEM_JSON = "application/problem+json"
PROBLEM_CBOR = "application/concise-problem-details+cbor"
TYPE_BASE = "urn:pakta-integritas:problem:"
CBOR_TYPES = ("application/concise-problem-details+cbor", "application/cbor", "application/cose")
JSON_TYPES = ("application/problem+json", "application/json")
CONCISE_TITLE, CONCISE_DETAIL, CONCISE_INSTANCE = -1, -2, -3
"""RFC 9290's standard problem detail keys."""


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


def request_language(request: Request[Any, Any, Any]) -> str:
    """The language of the problem details ``request`` gets (``Accept-Language``)."""
    return language_from_accept(request.headers.get("accept-language"))


def problem(
    code: str,
    title: Text,
    status: int,
    detail: Text,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """A problem-details response with ``title`` and ``detail`` in ``lang``."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": render(title, lang),
        "status": status,
        "detail": render(detail, lang),
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None and v not in ({}, [])})
    answer_headers = {**(headers or {}), "Content-Language": lang, "Vary": "Accept-Language"}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=answer_headers)


def _path(request: Request[Any, Any, Any]) -> str:
    """The request's path, read from the scope: building ``request.url`` reads the ``Host``
    header, which a problem about that very header cannot trust."""
    return str(request.scope["path"])


def wants_concise(request: Request[Any, Any, Any]) -> bool:
    """Whether ``request`` is a SCRAPI client's, to be answered in CBOR (RFC 9290)."""
    accept = request.headers.get("accept", "").lower()
    if accept:
        return any(t in accept for t in CBOR_TYPES) and not any(t in accept for t in JSON_TYPES)
    sent = request.headers.get("content-type", "").lower()
    return sent.split(";")[0].strip() == "application/cose"


def concise_problem(
    code: str,
    title: Text,
    status: int,
    detail: Text,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    **extra: Any,
) -> Response[Any]:
    """The problem of :func:`problem` as RFC 9290 concise problem details (deterministic CBOR)."""
    entry: dict[str, Any] = {"status": status}
    entry.update({k: v for k, v in extra.items() if v is not None and v not in ({}, [])})
    body: dict[Any, Any] = {
        CONCISE_TITLE: render(title, lang),
        CONCISE_DETAIL: render(detail, lang),
        TYPE_BASE + code: entry,
    }
    if instance:
        body[CONCISE_INSTANCE] = instance
    answer_headers = {
        **(headers or {}),
        "Content-Language": lang,
        "Vary": "Accept, Accept-Language",
    }
    return Response(
        encode_deterministic(body),
        status_code=status,
        media_type=PROBLEM_CBOR,
        headers=answer_headers,
    )


def problem_for(
    request: Request[Any, Any, Any],
    code: str,
    title: Text,
    status: int,
    detail: Text,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response[Any]:
    """A problem-details response to ``request``, in the language it asks for (in CBOR for
    a SCRAPI client: :func:`wants_concise`)."""
    make = concise_problem if wants_concise(request) else problem
    return make(
        code,
        title,
        status,
        detail,
        _path(request),
        headers,
        lang=request_language(request),
        **extra,
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
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")
_CHOICES = re.compile(r"\^\(?((?:[\w-]+\|)+[\w-]+)\)?\$")
_KNOWN_PATTERNS = {r"^[0-9a-fA-F]{64}$": "not-a-kid"}


def _reason_of(text: str) -> tuple[str, dict[str, Any], str | None]:
    """msgspec's or Litestar's words for one bad value as (reason, params, field named)."""
    if m := re.match(r"Object missing required field `([^`]+)`", text):
        return "missing", {}, m[1]
    if m := re.match(r"Object contains unknown field `([^`]+)`", text):
        return "unknown-parameter", {}, m[1]
    if m := re.match(r"Expected `str` matching regex '(.*)'", text):
        if choices := _CHOICES.fullmatch(m[1]):
            allowed = ", ".join(choices[1].split("|"))
            return "one-of", {"allowed": allowed}, None
        return _KNOWN_PATTERNS.get(m[1], "bad-format"), {}, None
    if m := re.match(r"Expected `str` of length <= (\d+)", text):
        return "longer-than", {"max": int(m[1])}, None
    if re.match(r"Expected `(str|bytes|array)` of length >= 1", text):
        return "empty", {}, None
    if m := re.match(r"Expected `int` >= (-?\d+)", text):
        return "too-small", {"min": int(m[1])}, None
    if m := re.match(r"Expected `int` <= (-?\d+)", text):
        return "too-large", {"max": int(m[1])}, None
    if re.match(r"Expected `int`, got", text):
        return "not-a-number", {}, None
    if re.match(r"Expected `str`, got", text):
        return "not-text", {}, None
    if re.match(r"Expected `object`, got", text):
        return "not-a-map", {}, None
    if _MISSING_PARAMETER.match(text):
        return "missing", {}, None
    return "invalid", {"detail": text}, None


def _parameter_errors(exc: ValidationException) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Each bad parameter of ``exc`` as (name, source, reason, params)."""
    found = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, Mapping):
            continue
        text = str(item.get("message", ""))
        body_path = ""
        if " - at `$." in text:
            text, _, at = text.partition(" - at `$.")
            body_path = at.rstrip("`")
        reason, params, named = _reason_of(text)
        raw_source = item.get("source") or ""
        source = str(getattr(raw_source, "value", raw_source))
        name = str(item.get("key") or "")
        if source == "body":
            name = ".".join(p for p in (body_path, named or "") if p) or (named or name)
        found.append((name, source, reason, params))
    if not found and (m := _MISSING_PARAMETER.match(str(exc.detail))):
        found.append((m[2], m[1], "missing", {}))
    return found


def _validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    lang = request_language(request)
    items = []
    errors = []
    for name, source, reason, params in _parameter_errors(exc):
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
    params = {"path": _path(request), "method": request.method, "detail": str(exc.detail)}
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
    logging.getLogger(__name__).exception("unexpected error on %s", _path(request))
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
