"""Problem details (RFC 9457, RFC 9290): how the API words a refusal, in the reader's language.

:func:`problem_for` answers a request with ``application/problem+json``: a
``type`` naming the reason, a ``title``, a ``status``, a ``detail`` and any
extra members (``evidence``, ``errors``...).  ``title`` and ``detail`` are in
Bahasa Indonesia when ``Accept-Language`` asks for it, in English otherwise
(:func:`registry.i18n.language_from_accept`); every answer says which in
``Content-Language`` and ``Vary: Accept-Language``.  ``type`` never changes
with the language.

A SCRAPI client (one whose ``Accept`` names ``application/cose``,
``application/cbor`` or ``application/concise-problem-details+cbor`` and no
JSON type, or that sends ``application/cose`` with no ``Accept``) gets the
same problem as RFC 9290 concise problem details instead
(``application/concise-problem-details+cbor``): ``-1`` title, ``-2`` detail,
``-3`` instance, and one custom entry keyed by the ``type`` URI holding
``status`` and any ``evidence``/``errors`` (docs/formats.md).

Which exception becomes which problem is :mod:`registry.api.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response

from registry.i18n import DEFAULT_LANGUAGE, Text, language_from_accept, render
from registry.verify.cbor import encode_deterministic

PROBLEM_JSON = "application/problem+json"
PROBLEM_CBOR = "application/concise-problem-details+cbor"
TYPE_BASE = "urn:pakta-integritas:problem:"
CBOR_TYPES = ("application/concise-problem-details+cbor", "application/cbor", "application/cose")
JSON_TYPES = ("application/problem+json", "application/json")
CONCISE_TITLE, CONCISE_DETAIL, CONCISE_INSTANCE = -1, -2, -3
"""RFC 9290's standard problem detail keys."""


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


def request_path(request: Request[Any, Any, Any]) -> str:
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
        request_path(request),
        headers,
        lang=request_language(request),
        **extra,
    )
