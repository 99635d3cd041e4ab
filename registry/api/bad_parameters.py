"""Litestar's and msgspec's words for a bad request parameter, read back as reason codes.

Litestar refuses a query, path, header, cookie or body value it cannot
convert with a :class:`~litestar.exceptions.ValidationException` whose
messages are msgspec's English for a programmer (``Expected `int` >= 1``,
``Object missing required field `x```).  :func:`parameter_errors` reads each
as the parameter's name, where it was sent, a stable reason code
(``parameter.<reason>`` in the message catalogs) and that reason's values, so
:mod:`registry.api.errors` can say it in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar.exceptions import ValidationException

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


def parameter_errors(exc: ValidationException) -> list[tuple[str, str, str, dict[str, Any]]]:
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
