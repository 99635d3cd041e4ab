"""Settings, read once from ``REGISTRY_*`` environment variables.

Every variable may also be set in a file named by ``REGISTRY_CONFIG_FILE``:
one ``REGISTRY_NAME=value`` per line, ``#`` starts a comment line, blank lines
are ignored, and a value may be wrapped in matching single or double quotes.
The environment wins over the file.  A bad value raises :class:`ConfigError`
naming the variable; ``registry --help`` prints :func:`describe`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry.store.engine import normalise_database_url

PREFIX = "REGISTRY_"
CONFIG_FILE_VARIABLE = "REGISTRY_CONFIG_FILE"

#: The demo/development passphrase of the operator's keys.  Anyone can read it
#: here: set ``REGISTRY_ADMIN_PASSPHRASE`` for any registry that matters.
INSECURE_DEFAULT_PASSPHRASE = "pakta-integritas-demo-insecure"  # noqa: S105 (public on purpose)


class ConfigError(ValueError):
    """A configuration value is missing, malformed or out of range."""


@dataclass(frozen=True)
class Settings:
    """The registry's configuration; build it with :meth:`from_env`."""

    database_url: str = "sqlite+aiosqlite:///registry.sqlite3"
    origin: str = "localhost/pakta-integritas"
    data_dir: Path = Path("registry-data")
    admin_passphrase: str = INSECURE_DEFAULT_PASSPHRASE
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    batch_max: int = 512
    batch_wait_ms: int = 2
    follow_up_days: int = 14
    recommending_authority: str = "KemenPAN-RB/BKN"
    sign_max_failures: int = 5
    sign_lockout_seconds: int = 900
    workers: int = 0

    @property
    def admin_passphrase_is_insecure(self) -> bool:
        """Whether the operator's keys use the published demo passphrase."""
        return self.admin_passphrase == INSECURE_DEFAULT_PASSPHRASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``) and the config file.

        Raises :class:`ConfigError` naming the variable (and the file line) at fault.
        """
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        file_name = env.get(CONFIG_FILE_VARIABLE, "").strip()
        if file_name:
            values.update(read_config_file(Path(file_name)))
        values.update({k: v for k, v in env.items() if k in _VARIABLES_BY_NAME})
        parsed: dict[str, Any] = {}
        for variable in VARIABLES:
            raw = values.get(variable.name)
            if raw is not None:
                parsed[variable.field] = variable.parse(variable.name, raw)
        return cls(**parsed)

    @staticmethod
    def describe() -> str:
        """List every variable with its default and meaning (see :func:`describe`)."""
        return describe()


@dataclass(frozen=True)
class Variable:
    """One ``REGISTRY_*`` variable: its Settings field, meaning and parser."""

    field: str
    meaning: str
    parse: Callable[[str, str], Any]

    @property
    def name(self) -> str:
        """The environment variable's name."""
        return PREFIX + self.field.upper()

    @property
    def default(self) -> object:
        """The value used when the variable is not set."""
        return Settings.__dataclass_fields__[self.field].default


def _text(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ConfigError(f"{name} must not be empty")
    return value


def _int_parser(minimum: int, maximum: int | None = None) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and at most {maximum}"
            raise ConfigError(f"{name} must be at least {minimum}{upper}, got {value}")
        return value

    return parse


def _database_url(name: str, raw: str) -> str:
    try:
        return normalise_database_url(_text(name, raw))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _origin(name: str, raw: str) -> str:
    value = _text(name, raw)
    # The origin is also the checkpoint's signed-note key name (C2SP signed-note):
    # no whitespace and no "+".
    if any(c.isspace() for c in value) or "+" in value:
        raise ConfigError(f"{name} must not contain whitespace or '+', got {value!r}")
    return value


def _base_url(name: str, raw: str) -> str:
    value = _text(name, raw).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not have a query or fragment, got {raw!r}")
    return value


def _path(name: str, raw: str) -> Path:
    return Path(_text(name, raw))


def _passphrase(name: str, raw: str) -> str:
    # Spaces are legitimate in a passphrase: only refuse an empty one.
    if not raw:
        raise ConfigError(f"{name} must not be empty")
    return raw


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "database_url",
        "database: sqlite:///file or postgresql://user@host/db (async drivers are"
        " chosen for you); a PostgreSQL URL may add ?search_path=schema",
        _database_url,
    ),
    Variable("origin", "the log's name in checkpoints and receipts", _origin),
    Variable("data_dir", "directory holding the operator's encrypted keys", _path),
    Variable(
        "admin_passphrase",
        "passphrase protecting the operator's keys; the default is public and"
        " INSECURE (demo and development only)",
        _passphrase,
    ),
    Variable("host", "address `registry serve` listens on", _text),
    Variable("port", "port `registry serve` listens on", _int_parser(1, 65535)),
    Variable("base_url", "public URL of the registry, used in QR links", _base_url),
    Variable("batch_max", "most entries appended in one group commit", _int_parser(1)),
    Variable(
        "batch_wait_ms",
        "milliseconds the sequencer waits to gather a batch",
        _int_parser(0, 60_000),
    ),
    Variable(
        "follow_up_days",
        "default days a PPK has to follow up a recommendation",
        _int_parser(1),
    ),
    Variable(
        "recommending_authority",
        "name of the authority issuing sanction recommendations",
        _text,
    ),
    Variable(
        "sign_max_failures",
        "wrong passphrases before a custodial key is locked",
        _int_parser(1),
    ),
    Variable(
        "sign_lockout_seconds",
        "seconds a custodial key stays locked after too many failures",
        _int_parser(0),
    ),
    Variable(
        "workers",
        "HTTP worker processes of `registry serve` (0: one per CPU)",
        _int_parser(0, 64),
    ),
)

_VARIABLES_BY_NAME = {v.name: v for v in VARIABLES}


def read_config_file(path: Path) -> dict[str, str]:
    """Parse a ``KEY=value`` config file into a dict of variable names to raw values.

    Raises :class:`ConfigError` for an unreadable file, a line without ``=``,
    or a key that is not a known ``REGISTRY_*`` variable.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{CONFIG_FILE_VARIABLE}: cannot read {path}: {exc.strerror}") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{path}:{number}"
        if not sep:
            raise ConfigError(f"{where}: expected KEY=value, got {stripped!r}")
        if key not in _VARIABLES_BY_NAME:
            raise ConfigError(f"{where}: unknown variable {key!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``REGISTRY_*`` variables, which :meth:`Settings.from_env` reads back."""
    return {v.name: str(getattr(settings, v.field)) for v in VARIABLES}


def describe() -> str:
    """List every variable with its default and meaning (printed by ``registry --help``)."""
    width = max(len(v.name) for v in VARIABLES)
    lines = [
        "Configuration (environment variables; each may also be set as NAME=value",
        f"in a file named by {CONFIG_FILE_VARIABLE}; the environment wins):",
    ]
    for v in VARIABLES:
        lines.append(f"  {v.name:<{width}}  {v.meaning}")
        lines.append(f"  {'':<{width}}  default: {v.default}")
    return "\n".join(lines)
