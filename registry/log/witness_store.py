"""What a witness keeps: the logs it follows, the last checkpoint it cosigned, its evidence.

A :class:`WitnessStore` holds, per log origin, the log's verifier keys and the
last checkpoint cosigned (in memory, or one JSON file replaced atomically).
An :class:`EvidenceFolder` keeps each :class:`Alarm` (a fork, a rollback, a
proof that fails) as one JSON file holding both signed checkpoints and the
proof, which anyone can check again with the log's public key.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from registry.log.durable import sync_directory

log = logging.getLogger("registry.witness")

MAX_EVIDENCE_FILES = 10_000
"""Evidence files kept at most: anyone may replay old checkpoints, and a disk must not fill."""


class WitnessStore(Protocol):
    """Where a witness keeps the logs it follows and the last checkpoint it cosigned."""

    def log_keys(self, origin: str) -> list[str] | None:
        """The verifier key strings of the log ``origin``, or ``None`` if it is not followed."""
        ...

    def set_log_keys(self, origin: str, keys: Sequence[str]) -> None:
        """Follow the log ``origin``, trusting ``keys``."""
        ...

    def latest(self, origin: str) -> str | None:
        """The last signed checkpoint cosigned for ``origin``, or ``None``."""
        ...

    def replace_latest(self, origin: str, expected: str | None, new: str) -> bool:
        """Atomically store ``new`` if the latest is still ``expected``; say if it did."""
        ...

    def origins(self) -> list[str]:
        """Every log followed, sorted."""
        ...


class MemoryWitnessStore:
    """A :class:`WitnessStore` in memory, for tests and short-lived witnesses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, list[str]] = {}
        self._latest: dict[str, str] = {}

    def log_keys(self, origin: str) -> list[str] | None:
        """See :meth:`WitnessStore.log_keys`."""
        keys = self._keys.get(origin)
        return None if keys is None else list(keys)

    def set_log_keys(self, origin: str, keys: Sequence[str]) -> None:
        """See :meth:`WitnessStore.set_log_keys`."""
        with self._lock:
            self._keys[origin] = list(keys)

    def latest(self, origin: str) -> str | None:
        """See :meth:`WitnessStore.latest`."""
        return self._latest.get(origin)

    def replace_latest(self, origin: str, expected: str | None, new: str) -> bool:
        """See :meth:`WitnessStore.replace_latest`."""
        with self._lock:
            if self._latest.get(origin) != expected:
                return False
            self._latest[origin] = new
            return True

    def origins(self) -> list[str]:
        """See :meth:`WitnessStore.origins`."""
        return sorted(self._keys)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves the old file or the new, whole.

    Written to a temporary file, fsynced, renamed over ``path``, then the
    folder fsynced so that the rename itself survives a power cut.
    """
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    sync_directory(path.parent)


class JsonFileWitnessStore:
    """A :class:`WitnessStore` in one JSON file, replaced atomically and fsynced.

    ``{"logs": {origin: {"keys": [verifier key, ...], "checkpoint": note or null}}}``.
    Writers hold a lock (a thread lock and ``flock`` on ``<path>.lock``), so
    the compare-and-swap holds across threads and processes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def log_keys(self, origin: str) -> list[str] | None:
        """See :meth:`WitnessStore.log_keys`."""
        entry = self._read().get(origin)
        return None if entry is None else list(entry["keys"])

    def set_log_keys(self, origin: str, keys: Sequence[str]) -> None:
        """See :meth:`WitnessStore.set_log_keys`."""
        with self._locked():
            logs = self._read()
            logs.setdefault(origin, {"keys": [], "checkpoint": None})["keys"] = list(keys)
            self._write(logs)

    def latest(self, origin: str) -> str | None:
        """See :meth:`WitnessStore.latest`."""
        entry = self._read().get(origin)
        return None if entry is None else entry.get("checkpoint")

    def replace_latest(self, origin: str, expected: str | None, new: str) -> bool:
        """See :meth:`WitnessStore.replace_latest`."""
        with self._locked():
            logs = self._read()
            entry = logs.get(origin)
            if entry is None or entry.get("checkpoint") != expected:
                return False
            entry["checkpoint"] = new
            self._write(logs)
            return True

    def origins(self) -> list[str]:
        """See :meth:`WitnessStore.origins`."""
        return sorted(self._read())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(f"{self.path}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        logs: dict[str, Any] = data["logs"]
        return logs

    def _write(self, logs: dict[str, Any]) -> None:
        write_atomically(self.path, json.dumps({"logs": logs}, indent=2, sort_keys=True))


@dataclass(frozen=True)
class Alarm:
    """Something a witness refused that may prove a log misbehaved, with what proves it.

    ``kind`` is ``split-view`` (another root for the size cosigned), ``rollback``
    (a checkpoint smaller than the one cosigned: a log rolled back, or an old
    checkpoint replayed; a consistency proof from the log tells which) or
    ``inconsistent`` (a consistency proof from the cosigned checkpoint fails:
    a fork, or a bad proof). ``cosigned`` and ``presented`` are the two signed
    checkpoints in full, ``proof`` the request's proof lines (base64).
    """

    kind: str
    origin: str
    detail: str
    cosigned: str
    presented: str
    old_size: int
    proof: tuple[str, ...]
    seen_at: int

    def digest(self) -> str:
        """SHA-256 hex of what the alarm proves: the two checkpoints (and a failed proof).

        Not when it was seen nor the old size asked with it: one file per fact.
        """
        fact = [self.kind, self.origin, self.cosigned, self.presented]
        if self.kind == "inconsistent":
            fact += self.proof
        return hashlib.sha256(json.dumps(fact).encode()).hexdigest()


class EvidenceFolder:
    """Alarms kept as JSON files ``<seen_at>-<kind>-<digest[:16]>.json`` in ``path``.

    The same fact is kept once however often it is presented, and at most
    :data:`MAX_EVIDENCE_FILES` files are kept (after that, alarms are only
    logged).  Every alarm is logged at ERROR level whether kept or not.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def save(self, alarm: Alarm) -> Path | None:
        """Log ``alarm`` loudly and keep it; the file (new or already there), or ``None``."""
        log.error(
            "ALARM %s on log %s: %s (cosigned: %s; presented: %s)",
            alarm.kind,
            alarm.origin,
            alarm.detail,
            alarm.cosigned.split("\n\n")[0].replace("\n", " "),
            alarm.presented.split("\n\n")[0].replace("\n", " "),
        )
        digest = alarm.digest()
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            existing = sorted(self.path.glob(f"*-{digest[:16]}.json"))
            if existing:
                return existing[0]
            if sum(1 for _ in self.path.glob("*.json")) >= MAX_EVIDENCE_FILES:
                log.error("evidence folder %s is full: alarm not kept", self.path)
                return None
            target = self.path / f"{alarm.seen_at}-{alarm.kind}-{digest[:16]}.json"
            document = {"format": "registry-witness-evidence/v1", **asdict(alarm)}
            write_atomically(target, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            return target

    def alarms(self) -> list[dict[str, Any]]:
        """Every kept alarm's file name, kind, origin, time and detail, oldest first."""
        found = []
        for file in sorted(self.path.glob("*.json")) if self.path.is_dir() else []:
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append(
                {
                    "file": file.name,
                    "kind": document.get("kind"),
                    "origin": document.get("origin"),
                    "seen_at": document.get("seen_at"),
                    "detail": document.get("detail"),
                }
            )
        return found
