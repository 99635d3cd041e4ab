"""A ``REGISTRY_*`` variable's text read as its setting, and written back.

Each parser takes the variable's name (for the error) and its raw text, and
returns the value :class:`registry.config.Settings` holds or raises
:class:`ConfigError` naming the variable: whole numbers in a range, text that
is not empty, a database URL (checked by the store's own parser), the log's
origin, a public base URL, witnesses (``<verifier key> <URL>`` items) and
per-client rate limits (``bucket=N/S`` items over :data:`DEFAULT_RATE_LIMITS`).
The renderers write a value back as the text its parser reads
(:func:`registry.config.settings_environment`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.i18n import Message
from registry.store.engine import normalise_database_url
from registry.verify.note import SignatureType, parse_verifier_key

DEFAULT_RATE_LIMITS: tuple[tuple[str, int, int], ...] = (
    ("complaint", 20, 3600),
    ("default", 600, 60),
    ("enrolment-request", 10, 3600),
    ("identity", 120, 60),
    ("sign", 60, 60),
    ("write", 10_000, 10),
)
"""Per-client rates as (bucket, requests, seconds) when ``REGISTRY_RATE_LIMITS`` is not set."""


class ConfigError(ValueError):
    """A configuration value is missing, malformed or out of range.

    ``str()`` is the English text; :attr:`message` renders it in either language.
    """

    def __init__(self, key: str, default: str, /, **params: Any) -> None:
        self.message = Message(f"config.{key}", params, default)
        super().__init__(self.message.render("en"))


@dataclass(frozen=True)
class WitnessSetting:
    """A witness the registry submits its checkpoints to: where, and the key it cosigns with.

    ``verifier_key`` is its C2SP tlog-cosignature verifier key string
    (``<name>+<key id>+<base64(0x04 ‖ key)>``); ``name`` is that key's name.
    """

    url: str
    verifier_key: str
    name: str

    def __str__(self) -> str:
        return f"{self.verifier_key} {self.url}"


def text(name: str, raw: str) -> str:
    """The text, without surrounding spaces; empty is an error."""
    value = raw.strip()
    if not value:
        raise ConfigError("empty", "{name} must not be empty", name=name)
    return value


def int_parser(minimum: int, maximum: int | None = None) -> Callable[[str, str], int]:
    """A parser of whole numbers (base 10) from ``minimum`` up to ``maximum`` (if any)."""

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise ConfigError(
                "not_a_number",
                "{name} must be a whole number, got {value}",
                name=name,
                value=repr(raw),
            ) from None
        if maximum is not None and not minimum <= value <= maximum:
            raise ConfigError(
                "out_of_range",
                "{name} must be at least {minimum} and at most {maximum}, got {value}",
                name=name,
                minimum=minimum,
                maximum=maximum,
                value=value,
            )
        if value < minimum:
            raise ConfigError(
                "too_small",
                "{name} must be at least {minimum}, got {value}",
                name=name,
                minimum=minimum,
                value=value,
            )
        return value

    return parse


def choice(*allowed: str) -> Callable[[str, str], str]:
    """A parser of one of ``allowed`` words (case-insensitive, around spaces ignored)."""

    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ConfigError(
                "not_one_of",
                "{name} must be one of {allowed}, got {value}",
                name=name,
                allowed=", ".join(allowed),
                value=repr(raw),
            )
        return value

    return parse


def database_url(name: str, raw: str) -> str:
    """A database URL rewritten to its async driver by the store's own parser."""
    try:
        return normalise_database_url(text(name, raw))
    except ValueError as exc:
        raise ConfigError("database_url", "{name}: {reason}", name=name, reason=str(exc)) from None


def origin(name: str, raw: str) -> str:
    """The log's origin: also a signed-note key name, so no whitespace and no ``+``."""
    value = text(name, raw)
    # The origin is also the checkpoint's signed-note key name (C2SP signed-note):
    # no whitespace and no "+".
    if any(c.isspace() for c in value) or "+" in value:
        raise ConfigError(
            "origin",
            "{name} must not contain whitespace or '+', got {value}",
            name=name,
            value=repr(value),
        )
    return value


def base_url(name: str, raw: str) -> str:
    """An http(s) URL without query or fragment, without its trailing ``/``."""
    value = text(name, raw).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            "base_url_scheme",
            "{name} must be an http:// or https:// URL, got {value}",
            name=name,
            value=repr(raw),
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            "base_url_query",
            "{name} must not have a query or fragment, got {value}",
            name=name,
            value=repr(raw),
        )
    return value


def path(name: str, raw: str) -> Path:
    """A file system path (not checked to exist)."""
    return Path(text(name, raw))


def witnesses(name: str, raw: str) -> tuple[WitnessSetting, ...]:
    """``<verifier key> <url>`` items separated by ``;`` (or newlines), in either order."""
    found: list[WitnessSetting] = []
    for item in (part.strip() for part in raw.replace("\n", ";").split(";")):
        if not item:
            continue
        words = item.split()
        urls = [w for w in words if w.startswith(("http://", "https://"))]
        keys = [w for w in words if w not in urls]
        if len(words) != 2 or len(urls) != 1:
            raise ConfigError(
                "witness_item",
                "{name}: each witness is '<verifier key> <http(s) URL>', got {item}",
                name=name,
                item=repr(item),
            )
        parsed = parse_verifier_key(keys[0])
        key = parsed.value
        if key is None or key.sig_type != SignatureType.COSIGNATURE_V1:
            raise ConfigError(
                "witness_key",
                "{name}: {key} is not a witness's C2SP cosignature verifier key (type 0x04)",
                name=name,
                key=repr(keys[0]),
            )
        if any(w.verifier_key == str(key) for w in found):
            raise ConfigError(
                "witness_twice", "{name}: {key} is listed twice", name=name, key=repr(keys[0])
            )
        found.append(WitnessSetting(urls[0].rstrip("/"), str(key), key.name))
    return tuple(found)


def rate_limits(name: str, raw: str) -> tuple[tuple[str, int, int], ...]:
    """``bucket=N/S`` (or ``bucket=off``) items separated by ``;``, over the defaults."""
    rates = {bucket: (n, s) for bucket, n, s in DEFAULT_RATE_LIMITS}
    for item in (part.strip() for part in raw.replace("\n", ";").split(";")):
        if not item:
            continue
        bucket, sep, value = (x.strip() for x in item.partition("="))
        if value.lower() == "off" and sep and bucket:
            rates[bucket] = (0, 0)
            continue
        requests, slash, seconds = value.partition("/")
        if not (sep and bucket and slash and requests.isdigit() and seconds.isdigit()) or not (
            int(requests) >= 1 and int(seconds) >= 1
        ):
            raise ConfigError(
                "rate_limit_item",
                "{name}: each limit is 'bucket=N/S' (N requests per S seconds, both at least 1)"
                " or 'bucket=off', got {item}",
                name=name,
                item=repr(item),
            )
        rates[bucket] = (int(requests), int(seconds))
    return tuple(sorted((bucket, n, s) for bucket, (n, s) in rates.items()))


def render_rate_limits(rates: tuple[tuple[str, int, int], ...]) -> str:
    """Rates as :func:`rate_limits` reads them (``bucket=N/S`` or ``bucket=off``)."""
    return "; ".join(f"{b}={n}/{s}" if n else f"{b}=off" for b, n, s in rates)


def render_witnesses(witnesses: tuple[WitnessSetting, ...]) -> str:
    """Witnesses as :func:`witnesses` reads them (``<verifier key> <URL>; ...``)."""
    return "; ".join(map(str, witnesses))


def passphrase(name: str, raw: str) -> str:
    """A passphrase as it is (spaces included); empty is an error."""
    # Spaces are legitimate in a passphrase: only refuse an empty one.
    if not raw:
        raise ConfigError("empty", "{name} must not be empty", name=name)
    return raw
