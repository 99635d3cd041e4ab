"""Settings, read once from ``REGISTRY_*`` environment variables.

Every variable may also be set in a file named by ``REGISTRY_CONFIG_FILE``:
one ``REGISTRY_NAME=value`` per line, ``#`` starts a comment line, blank lines
are ignored, and a value may be wrapped in matching single or double quotes.
The environment wins over the file.  A bad value raises :class:`ConfigError`
naming the variable (each variable's text is read by its parser in
:mod:`registry.config.values`); ``registry --help`` prints :func:`describe`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.config import values
from registry.config.values import DEFAULT_RATE_LIMITS, ConfigError, WitnessSetting
from registry.store.engine import database_display_name

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "INSECURE_DEFAULT_PASSPHRASE",
    "PREFIX",
    "VARIABLES",
    "WILDCARD_HOSTS",
    "ConfigError",
    "Settings",
    "Variable",
    "WitnessSetting",
    "describe",
    "read_config_file",
    "settings_environment",
]

PREFIX = "REGISTRY_"
CONFIG_FILE_VARIABLE = "REGISTRY_CONFIG_FILE"

#: The demo/development passphrase of the operator's keys.  Anyone can read it
#: here: set ``REGISTRY_ADMIN_PASSPHRASE`` for any registry that matters.
INSECURE_DEFAULT_PASSPHRASE = "pakta-integritas-demo-insecure"  # noqa: S105 (public on purpose)


WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]"})  # noqa: S104 (names, not a bind)
"""Listening addresses that mean "every interface": no one reaches the registry by them."""


@dataclass(frozen=True)
class Settings:
    """The registry's configuration; build it with :meth:`from_env`."""

    database_url: str = "sqlite+aiosqlite:///registry.sqlite3"
    origin: str = "localhost/pakta-integritas"
    data_dir: Path = Path("registry-data")
    admin_passphrase: str = INSECURE_DEFAULT_PASSPHRASE
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    batch_max: int = 512
    batch_wait_ms: int = 2
    follow_up_days: int = 14
    max_statement_age_hours: int = 48
    recommending_authority: str = "KemenPAN-RB/BKN"
    sign_max_failures: int = 5
    sign_lockout_seconds: int = 900
    workers: int = 0
    sequencer: str = "worker"
    """Where `registry serve` sequences the log: ``worker`` (one of the HTTP workers; measured
    faster on two cores, docs/benchmarks.md stop 31) or ``apart`` (a process of its own that
    serves no HTTP)."""
    witnesses: tuple[WitnessSetting, ...] = ()
    witness_quorum: int | None = None
    max_body_bytes: int = 1_048_576
    tally_keeper_seconds: int = 10
    """Seconds between the compliance tally keeper's rounds (0: no keeper)."""
    dated_pass_entries: int = 2_000_000
    """Entries a worker reads an hour for the passes that make the figures of dashboard
    filters with a day (``registry.compliance.pass_budget``)."""
    rate_limits: tuple[tuple[str, int, int], ...] = DEFAULT_RATE_LIMITS
    """Per-client rates as (bucket, requests, seconds); 0 requests: that bucket is not limited."""

    @property
    def witnesses_required(self) -> int:
        """Cosignatures a checkpoint needs to count as witnessed: ``REGISTRY_WITNESS_QUORUM``,
        else a majority of the witnesses (none without witnesses)."""
        if self.witness_quorum is not None:
            return self.witness_quorum
        return len(self.witnesses) // 2 + 1 if self.witnesses else 0

    @property
    def database_display_name(self) -> str:
        """The database as an operator knows it: a SQLite file's path, or a URL sans password."""
        return database_display_name(self.database_url)

    @property
    def admin_passphrase_is_insecure(self) -> bool:
        """Whether the operator's keys use the published demo passphrase."""
        return self.admin_passphrase == INSECURE_DEFAULT_PASSPHRASE

    @property
    def public_url(self) -> str:
        """The URL people reach the registry at: what QR codes and certificates link to.

        ``REGISTRY_BASE_URL`` when set; otherwise ``http://`` the listening host
        and port, so links follow ``--host``/``--port``.  A wildcard address
        (``0.0.0.0``, ``::``) names no machine, so the machine's host name stands
        in for it (``registry serve`` says so and asks for ``REGISTRY_BASE_URL``).
        """
        if self.base_url is not None:
            return self.base_url
        host = socket.gethostname() if self.listens_everywhere else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 literal in a URL (RFC 3986 §3.2.2)
        return f"http://{host}:{self.port}"

    @property
    def listens_everywhere(self) -> bool:
        """Whether the host is a wildcard address (every interface)."""
        return self.host in WILDCARD_HOSTS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``) and the config file.

        Raises :class:`ConfigError` naming the variable (and the file line) at fault.
        """
        env = os.environ if environ is None else environ
        texts: dict[str, str] = {}
        file_name = env.get(CONFIG_FILE_VARIABLE, "").strip()
        if file_name:
            texts.update(read_config_file(Path(file_name)))
        texts.update({k: v for k, v in env.items() if k in _VARIABLES_BY_NAME})
        parsed: dict[str, Any] = {}
        for variable in VARIABLES:
            raw = texts.get(variable.name)
            if raw is not None:
                parsed[variable.field] = variable.parse(variable.name, raw)
        settings = cls(**parsed)
        quorum, witnesses = settings.witness_quorum, len(settings.witnesses)
        if quorum is not None and quorum > witnesses:
            raise ConfigError(
                "witness_quorum",
                "{name} is {quorum}, but REGISTRY_WITNESSES lists {count} witnesses",
                name=PREFIX + "WITNESS_QUORUM",
                quorum=quorum,
                count=witnesses,
            )
        return settings

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
    default_text: str | None = None
    """What ``registry --help`` says the default is, when not the field's value."""
    render: Callable[[Any], str] = str
    """The value as the variable's text again (what :meth:`parse` reads back)."""

    @property
    def name(self) -> str:
        """The environment variable's name."""
        return PREFIX + self.field.upper()

    @property
    def default(self) -> object:
        """The value used when the variable is not set."""
        return Settings.__dataclass_fields__[self.field].default


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "database_url",
        "database: sqlite:///file or postgresql://user@host/db (async drivers are"
        " chosen for you); a PostgreSQL URL may add ?search_path=schema",
        values.database_url,
    ),
    Variable("origin", "the log's name in checkpoints and receipts", values.origin),
    Variable("data_dir", "directory holding the operator's encrypted keys", values.path),
    Variable(
        "admin_passphrase",
        "passphrase protecting the operator's keys; the default is public and"
        " INSECURE (demo and development only)",
        values.passphrase,
    ),
    Variable("host", "address `registry serve` listens on", values.text),
    Variable("port", "port `registry serve` listens on", values.int_parser(1, 65535)),
    Variable(
        "base_url",
        "public URL of the registry, which QR codes and certificates link to",
        values.base_url,
        default_text="http://HOST:PORT, from --host/--port (REGISTRY_HOST, REGISTRY_PORT);"
        " the machine's host name for 0.0.0.0 or ::",
    ),
    Variable("batch_max", "most entries appended in one group commit", values.int_parser(1)),
    Variable(
        "batch_wait_ms",
        "milliseconds the sequencer waits to gather a batch",
        values.int_parser(0, 60_000),
    ),
    Variable(
        "follow_up_days",
        "default days a PPK has to follow up a recommendation",
        values.int_parser(1),
    ),
    Variable(
        "max_statement_age_hours",
        "hours before the registry's clock a statement may claim to be signed; older ones"
        " need an attestation (history loaded in bulk)",
        values.int_parser(1),
    ),
    Variable(
        "recommending_authority",
        "name of the authority issuing sanction recommendations",
        values.text,
    ),
    Variable(
        "sign_max_failures",
        "wrong passphrases in a row from one client before it is locked out of a custodial key",
        values.int_parser(1),
    ),
    Variable(
        "sign_lockout_seconds",
        "seconds a client stays locked out of a custodial key after too many failures",
        values.int_parser(0),
    ),
    Variable(
        "workers",
        "HTTP worker processes of `registry serve` (0: one per CPU)",
        values.int_parser(0, 64),
    ),
    Variable(
        "sequencer",
        "where `registry serve` sequences the log: 'worker' (one of the HTTP workers, beside"
        " its HTTP) or 'apart' (a process of its own serving no HTTP; every HTTP worker"
        " verifies and hands statements and import chunks to it)",
        values.choice("apart", "worker"),
    ),
    Variable(
        "witnesses",
        "witnesses that cosign the log's checkpoints (docs/witness.md): '<verifier key>"
        " <URL>' items separated by ';' (`registry witness init` prints a verifier key)",
        values.witnesses,
        default_text="none",
        render=values.render_witnesses,
    ),
    Variable(
        "witness_quorum",
        "cosignatures a checkpoint needs to count as witnessed (verifiers require it)",
        values.int_parser(0),
        default_text="a majority of REGISTRY_WITNESSES (0 without witnesses)",
    ),
    Variable(
        "max_body_bytes",
        "largest request body taken, in bytes (larger: 413); registration and remote"
        " signing take at most 64 KiB whatever this says",
        values.int_parser(1024),
    ),
    Variable(
        "tally_keeper_seconds",
        "seconds between the rounds in which one worker feeds the saved compliance tally with"
        " what was registered since, so the first figure asked after an import or a start"
        " is quick (0: fed only when a figure is asked)",
        values.int_parser(0, 3600),
    ),
    Variable(
        "dated_pass_entries",
        "log entries each worker reads an hour to count the figures of dashboard filters"
        " with a start or end date not asked before (past it: 503 + Retry-After; dates"
        " already counted and filters without a date are never limited)",
        values.int_parser(1000),
    ),
    Variable(
        "rate_limits",
        "per-client request rates, 'bucket=N/S' (N per S seconds) or 'bucket=off', separated"
        " by ';', over the defaults: write (POST /entries), sign (POST /sign), identity"
        " (identity look-ups), default (any other bucket); over the rate: 429 + Retry-After",
        values.rate_limits,
        default_text="default=600/60; identity=120/60; sign=60/60; write=10000/10",
        render=values.render_rate_limits,
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
        raise ConfigError(
            "file_unreadable",
            "{variable}: cannot read {path}: {reason}",
            variable=CONFIG_FILE_VARIABLE,
            path=str(path),
            reason=exc.strerror,
        ) from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{path}:{number}"
        if not sep:
            raise ConfigError(
                "file_line",
                "{where}: expected KEY=value, got {line}",
                where=where,
                line=repr(stripped),
            )
        if key not in _VARIABLES_BY_NAME:
            raise ConfigError(
                "file_unknown", "{where}: unknown variable {key}", where=where, key=repr(key)
            )
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key] = value
    return found


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``REGISTRY_*`` variables, which :meth:`Settings.from_env` reads back."""
    current = {v.name: (v, getattr(settings, v.field)) for v in VARIABLES}
    # An unset optional value stays unset (the base URL is then derived again from host and port).
    return {
        name: variable.render(value)
        for name, (variable, value) in current.items()
        if value is not None and value != ()
    }


def describe() -> str:
    """List every variable with its default and meaning (printed by ``registry --help``)."""
    width = max(len(v.name) for v in VARIABLES)
    lines = [
        "Configuration (environment variables; each may also be set as NAME=value",
        f"in a file named by {CONFIG_FILE_VARIABLE}; the environment wins):",
    ]
    for v in VARIABLES:
        lines.append(f"  {v.name:<{width}}  {v.meaning}")
        default = v.default_text if v.default_text is not None else v.default
        lines.append(f"  {'':<{width}}  default: {default}")
    return "\n".join(lines)
