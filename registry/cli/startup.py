"""What `registry serve` checks and says before it serves: one server per data folder and port.

granian's workers bind with ``SO_REUSEPORT``, so a second server on a busy port
would start and share the port with the first: clients would meet either
registry at random.  And two servers on one data folder would share the
operator's keys and the sequencer's socket.  :func:`hold_data_dir` and
:func:`check_port_free` refuse both with one line; :func:`start_report` says
which registry this is (origin, database, key folder, URL).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import click

from registry.cli.words import say
from registry.config import INSECURE_DEFAULT_PASSPHRASE, Settings

LOCK_FILE = "serve.lock"
"""Held (``flock``) by the `registry serve` using the data folder, for as long as it runs."""


@contextlib.contextmanager
def hold_data_dir(data_dir: Path) -> Iterator[Path]:
    """Hold the data folder for one server, or refuse with a one-line error naming it.

    The lock is an exclusive ``flock`` on ``serve.lock`` in the folder (made
    when missing), so it holds however the folder is named (a relative path
    from another working directory, a symbolic link).  The server's worker
    processes inherit it, and the kernel drops it when the last of them exits:
    a crashed server never leaves a stale lock.  Yields the folder's absolute path.
    """
    folder = data_dir.resolve()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise click.ClickException(
            say("cli.serve.data_dir_unusable", folder=str(folder), reason=exc.strerror)
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "?"
            raise click.ClickException(
                say("cli.serve.data_dir_in_use", folder=str(folder), pid=holder)
            ) from None
        except OSError as exc:  # a file system without locks (some network mounts)
            raise click.ClickException(
                say("cli.serve.data_dir_unusable", folder=str(folder), reason=exc.strerror)
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield folder
    finally:
        os.close(descriptor)


def check_port_free(host: str, port: int) -> None:
    """Refuse, with a one-line error naming the port, when ``host:port`` cannot be listened on.

    A probe socket binds without ``SO_REUSEPORT``, which fails while any
    program listens there (a registry's granian workers included); it is
    closed at once, so the probe never answers a client.  ``SO_REUSEADDR`` lets
    it bind over the connections a stopped server left in ``TIME_WAIT``.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise click.ClickException(
            say("cli.serve.bad_host", host=host, reason=exc.strerror)
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            key = (
                "cli.serve.port_in_use"
                if exc.errno == errno.EADDRINUSE
                else "cli.serve.cannot_bind"
            )
            raise click.ClickException(
                say(key, host=host, port=port, reason=exc.strerror)
            ) from None


def database_name(settings: Settings) -> str:
    """The database as an operator knows it: a SQLite file's full path, or a URL sans password."""
    return settings.database_display_name


def start_report(
    settings: Settings, data_dir: Path, *, created: bool, serving: bool = True
) -> list[str]:
    """The lines a start prints: which registry, where its data are, and (``serving``) its URL.

    ``created`` says the operator's keys were made by this start (a new
    registry), which deserves a line of its own: starting from another folder
    makes a new registry with new keys, and its operator must not miss it.
    """
    lines = []
    if created:
        lines.append(say("cli.start.created", folder=str(data_dir)))
    lines += [
        say("cli.start.origin", origin=settings.origin),
        say("cli.start.database", database=database_name(settings)),
        say("cli.start.keys", folder=str(data_dir)),
    ]
    if serving:
        lines.append(say("cli.start.open", url=settings.public_url + "/"))
        if settings.listens_everywhere and settings.base_url is None:
            lines.append(say("cli.start.wildcard", host=settings.host, url=settings.public_url))
    return lines


def insecure_warning(settings: Settings, data_dir: Path) -> str | None:
    """The warning for operator keys sealed under the public demo passphrase, or None."""
    if not settings.admin_passphrase_is_insecure:
        return None
    return say("cli.start.insecure", folder=str(data_dir), passphrase=INSECURE_DEFAULT_PASSPHRASE)
