"""Real `registry serve` processes for tests: start one, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.factories import HISTORY_HOURS

START_TIMEOUT_S = 60.0
EXIT_TIMEOUT_S = 60.0
REGISTRY = [sys.executable, "-c", "from registry.cli import main; main()"]
"""The `registry` command of the environment running the tests."""


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def registry_env(**variables: str) -> dict[str, str]:
    """The test's environment without any REGISTRY_* setting or locale, plus ``variables``.

    Messages are English unless ``variables`` name a language (``LANG=id_ID.UTF-8``).
    The tests sign 2024-dated statements: the maximum statement age is long unless
    ``variables`` set it.
    """
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REGISTRY_") and k not in LOCALE_VARIABLES
    }
    history = {"REGISTRY_MAX_STATEMENT_AGE_HOURS": str(HISTORY_HOURS)}
    return {**base, "LANG": "C.UTF-8", **history, **variables}


@dataclass
class Served:
    """A running `registry serve`: its process, URL and output file."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    command: Sequence[str] = REGISTRY,
) -> subprocess.Popen[bytes]:
    """Start ``registry <args>`` in ``cwd`` in a session of its own, output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, *args],
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_healthy(served: Served, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait until ``/health`` answers 200; fail with the server's output if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert served.process.poll() is None, served.output()
        try:
            if httpx.get(f"{served.url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"registry serve did not start:\n{served.output()}"
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and its workers (its session), forcibly if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def serving(
    *args: str,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    command: Sequence[str] = REGISTRY,
    timeout_s: float = START_TIMEOUT_S,
) -> Iterator[Served]:
    """`registry serve --port <free> <args>`, running until the block ends."""
    port = free_port()
    process = spawn(
        ["serve", "--port", str(port), *args], env=env, cwd=cwd, log=log, command=command
    )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_healthy(served, timeout_s)
        yield served
    finally:
        stop(process)


def refused_start(args: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path) -> str:
    """Run ``registry <args>``, which must refuse: exit 1 on its own, in one line, no traceback.

    Returns the line.  A start that does not refuse (serves) is stopped after
    :data:`EXIT_TIMEOUT_S` and fails the test.
    """
    code, output = run_to_exit(args, env=env, cwd=cwd, log=log)
    assert code == 1, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def run_to_exit(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> tuple[int | None, str]:
    """Run ``registry <args>`` and wait for it to exit on its own (``None``: it did not)."""
    process = spawn(args, env=env, cwd=cwd, log=log)
    try:
        code: int | None = process.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop(process)
    return code, log.read_text(errors="replace")
