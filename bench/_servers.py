"""Starting and stopping ASGI servers for the benchmark, and counting the CPU they use.

Each server runs in its own session (process group) so that the load
generator never shares its event loop and so that stopping it reaches every
worker it forked.  CPU time is read from ``/proc`` (utime + stime of a
process and all its descendants), so a figure can say how much of the two
cores the server, the load generator and PostgreSQL each took.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
_TICK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
PACKAGE_LINE = "bench app: registry package at"
"""``_app.py`` logs this and its registry/ path, so the benchmark can check which code it serves."""


def _uvicorn(loop: str, http: str) -> list[str]:
    return ["-m", "uvicorn", "--loop", loop, "--http", http, "--no-access-log"]


SERVERS: Mapping[str, list[str]] = {
    # uvicorn with only what pyproject declares (asyncio event loop, h11 parser)
    "uvicorn-h11": _uvicorn("asyncio", "h11"),
    # uvicorn[standard]: uvloop and httptools
    "uvicorn": _uvicorn("uvloop", "httptools"),
    # granian's ASGI interface, one worker, one runtime thread, uvloop
    "granian": [
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "1",
        "--no-ws",
    ],
    # as `registry serve` runs it on this machine: one granian worker per CPU, verifying and
    # handing over (registry/records/handoff.py) to a sequencing process apart, or to one of
    # them with REGISTRY_SEQUENCER=worker (bench/_layout.py)
    "granian-workers": [
        str(BENCH_DIR / "_layout.py"),
        "--interface",
        "asgi",
        "--workers",
        str(os.cpu_count() or 1),
        "--loop",
        "uvloop",
        "--http",
        "1",
        "--no-ws",
    ],
    # one worker more than the CPUs: the one that sequences takes a third of the connections
    # instead of half, the OS sharing the cores among the three (measured against the above)
    "granian-workers-plus": [
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--workers",
        str((os.cpu_count() or 1) + 1),
        "--loop",
        "uvloop",
        "--http",
        "1",
        "--no-ws",
    ],
}


NEEDS: Mapping[str, tuple[str, ...]] = {
    "uvicorn-h11": ("uvicorn",),
    "uvicorn": ("uvicorn", "uvloop", "httptools"),
    "granian": ("granian", "uvloop"),
    "granian-workers": ("granian", "uvloop"),
    "granian-workers-plus": ("granian", "uvloop"),
}


def missing(server: str) -> list[str]:
    """The Python packages ``server`` needs that are not installed."""
    return [name for name in NEEDS[server] if importlib.util.find_spec(name) is None]


def command(server: str, target: str, port: int) -> list[str]:
    """The argv that serves ``target`` (``module:attribute``) with ``server`` on ``port``."""
    return [
        sys.executable,
        *SERVERS[server],
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        target,
    ]


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of ``pid`` from /proc, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _all_stats() -> dict[int, tuple[int, float, str]]:
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            comm = text[text.find("(") + 1 : text.rfind(")")]
            fields = text.rpartition(")")[2].split()
            stats[int(entry.name)] = (
                int(fields[1]),
                (int(fields[11]) + int(fields[12])) / _TICK,
                comm,
            )
    return stats


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and every live descendant."""
    stats = _all_stats()
    members, total = {root}, 0.0
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in members and pid not in members:
                members.add(pid)
                grew = True
    for pid in members:
        if pid in stats:
            total += stats[pid][1]
    return total


def postgres_cpu() -> float:
    """CPU seconds used so far by every live PostgreSQL process on the machine.

    A backend that exits between two readings takes its seconds with it, so a
    difference can come out low (callers clamp it at zero).
    """
    return sum(cpu for _, cpu, comm in _all_stats().values() if comm.startswith("postgres"))


def machine_busy() -> float:
    """CPU seconds all cores spent busy so far (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def busiest_python(root: int) -> int:
    """The pid, among ``root`` and its descendants, that used the most CPU (the worker)."""
    stats = _all_stats()
    members = {root}
    for _ in range(4):
        members |= {pid for pid, (ppid, _, _) in stats.items() if ppid in members}
    return max(members, key=lambda pid: stats.get(pid, (0, 0.0, ""))[1])


@dataclass
class Server:
    """A running server: its process (group leader), port and log file."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The base URL it listens on."""
        return f"http://{HOST}:{self.port}"

    def cpu(self) -> float:
        """CPU seconds its processes used so far."""
        return tree_cpu(self.process.pid)

    def stop(self) -> None:
        """SIGINT the process group (a graceful shutdown), SIGKILL it if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_S)


def start(
    name: str, target: str, port: int, env: Mapping[str, str], log: Path, ready_path: str
) -> Server:
    """Start ``target`` under server ``name`` and wait until ``ready_path`` answers 200."""
    # bench/ for the apps, then the checkout holding it, so the servers import
    # the same registry/ as the benchmark (ahead of any installed copy)
    path = os.pathsep.join((str(BENCH_DIR), str(BENCH_DIR.parent)))
    environment = {**os.environ, "PYTHONPATH": path, **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command(name, target, port),
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=log.parent,
            start_new_session=True,
        )
    server = Server(name, process, port, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited at start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + ready_path, timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise SystemExit(f"{name} did not answer {ready_path} in {START_TIMEOUT_S:.0f} s")
