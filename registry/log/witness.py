"""A transparency-log witness: C2SP tlog-witness ``POST /add-checkpoint``, without HTTP.

:class:`Witness` keeps, per log origin, the log's verifier keys and the last
checkpoint it cosigned, in a :class:`WitnessStore` handed to it (in memory, or
a JSON file).  :meth:`Witness.add_checkpoint` takes a request body and returns
the response body, or raises a :class:`WitnessError` that carries the HTTP
status (and body) c2sp.org/tlog-witness requires:

(0) 400 for a malformed request; (1) 404 for an unknown origin; (2) 403 when
no signature from the log's keys verifies; (3) 400 when the old size is
above the checkpoint's; (4) 409 with the witness's size (``text/x.tlog.size``)
when the old size is not the size it last cosigned; (5) 409 when the sizes are
equal and the roots are not; (6) 422 when the consistency proof fails.  Then
it stores the checkpoint (compare-and-swap, so two requests cannot roll the
log back) and answers with its cosignature line.

The witness never cosigns two different roots for one size: a new checkpoint
is cosigned only if it is consistent with the last one, which it replaces.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol

from registry.signing.note import NoteSigner
from registry.verify.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint
from registry.verify.checkpoint import verify_checkpoint_consistency as verify_consistency
from registry.verify.merkle import EMPTY_ROOT
from registry.verify.note import MAX_NOTE_BYTES, VerifierKey, decode_base64_strict, parse_note
from registry.verify.result import Reason, Verdict

MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 64 + MAX_PROOF_LINES * 46 + MAX_NOTE_BYTES
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class WitnessError(Exception):
    """A refused ``add-checkpoint`` request, with the HTTP answer the spec requires."""

    status: ClassVar[int] = 400
    content_type: ClassVar[str] = "text/plain; charset=utf-8"

    def __init__(self, detail: str, verdict: Verdict[Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.verdict = verdict

    @property
    def body(self) -> bytes:
        """The response body."""
        return (self.detail + "\n").encode()


class MalformedRequestError(WitnessError):
    """400: the request body, the checkpoint or the old size is not acceptable."""


class UnknownLogError(WitnessError):
    """404: the witness does not follow the checkpoint's origin."""

    status = 404


class CheckpointSignatureError(WitnessError):
    """403: no signature from the log's keys verifies."""

    status = 403


class RootConflictError(WitnessError):
    """409: the checkpoint has the size the witness cosigned, and another root."""

    status = 409


class OldSizeConflictError(WitnessError):
    """409: the old size is not the size the witness last cosigned; the body says which."""

    status = 409
    content_type = SIZE_CONTENT_TYPE

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness's latest cosigned size is {size}")
        self.size = size

    @property
    def body(self) -> bytes:
        """The witness's size in decimal and a newline, as text/x.tlog.size."""
        return f"{self.size}\n".encode()


class ConsistencyProofError(WitnessError):
    """422: the consistency proof from the witness's checkpoint does not verify."""

    status = 422


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
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump({"logs": logs}, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)


def add_checkpoint_request(old_size: int, proof: Sequence[bytes], note_text: str) -> bytes:
    """The body of ``POST /add-checkpoint``: old size, proof lines, blank line, checkpoint."""
    if old_size < 0:
        raise ValueError(f"old size {old_size} is negative")
    if len(proof) > MAX_PROOF_LINES or any(len(h) != 32 for h in proof):
        raise ValueError(f"a proof is at most {MAX_PROOF_LINES} hashes of 32 bytes")
    if not note_text.endswith("\n"):
        raise ValueError("the checkpoint note does not end in a newline")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note_text).encode()


def parse_add_checkpoint_request(body: bytes) -> tuple[int, list[bytes], str]:
    """Split a request body into old size, proof and checkpoint note; 400 if malformed."""
    if len(body) > MAX_REQUEST_BYTES:
        raise MalformedRequestError(f"the request is over {MAX_REQUEST_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedRequestError(f"the request is not UTF-8 (byte {e.start})") from None
    head, blank, note_text = text.partition("\n\n")
    if not blank:
        raise MalformedRequestError("no blank line between the proof and the checkpoint")
    old_line, *proof_lines = head.split("\n")
    old = _OLD_LINE.fullmatch(old_line)
    if old is None:
        raise MalformedRequestError("the first line is not 'old <size>'")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise MalformedRequestError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof: list[bytes] = []
    for number, line in enumerate(proof_lines, start=1):
        digest = decode_base64_strict(line)
        if digest is None or len(digest) != 32:
            raise MalformedRequestError(f"proof line {number} is not a base64 SHA-256 hash")
        proof.append(digest)
    return int(old.group(1)), proof, note_text


def parse_size_response(body: bytes) -> int:
    """The witness's size from a 409 ``text/x.tlog.size`` body (a client-side helper)."""
    match = re.fullmatch(rb"(0|[1-9][0-9]{0,19})\n", body)
    if match is None:
        raise ValueError("not a text/x.tlog.size body")
    return int(match.group(1))


class Witness:
    """Cosigns checkpoints of the logs it follows, after checking their consistency."""

    def __init__(
        self,
        signer: NoteSigner,
        store: WitnessStore,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.signer = signer
        self.store = store
        self.clock = clock

    @property
    def verifier_key(self) -> VerifierKey:
        """The type-0x04 key that verifies this witness's cosignatures."""
        return self.signer.cosignature_verifier_key

    def follow(self, origin: str, keys: Sequence[VerifierKey | str]) -> None:
        """Follow the log ``origin`` whose checkpoints ``keys`` sign."""
        parsed = [k if isinstance(k, VerifierKey) else VerifierKey.from_string(k) for k in keys]
        if not parsed:
            raise ValueError("a log needs at least one verifier key")
        self.store.set_log_keys(origin, [str(k) for k in parsed])

    def add_checkpoint(self, request_body: bytes) -> bytes:
        """Answer ``POST /add-checkpoint``: the cosignature line, or a :class:`WitnessError`."""
        # (0) parse.
        old_size, proof, note_text = parse_add_checkpoint_request(request_body)
        note = parse_note(note_text)
        if not note:
            raise MalformedRequestError(note.explain(), note)
        text = note.unwrap().text
        body = parse_checkpoint(text)
        if not body:
            raise MalformedRequestError(body.explain(), body)
        origin = body.unwrap().origin
        # (1) a followed log.
        key_strings = self.store.log_keys(origin)
        if key_strings is None:
            raise UnknownLogError(f"the witness does not follow the log {origin!r}")
        # (2) signed by it.
        keys = [VerifierKey.from_string(k) for k in key_strings]
        verdict = verify_checkpoint(note_text, keys, origin=origin)
        if not verdict:
            if verdict.reason in (Reason.UNKNOWN_KEY, Reason.BAD_SIGNATURE):
                raise CheckpointSignatureError(verdict.explain(), verdict)
            raise MalformedRequestError(verdict.explain(), verdict)
        checkpoint = verdict.unwrap()
        # (3) old size not above the new one; no proof from the empty tree.
        if old_size > checkpoint.size:
            raise MalformedRequestError(f"old size {old_size} is above {checkpoint.size}")
        if old_size == 0 and proof:
            raise MalformedRequestError("the proof from old size 0 must be empty")
        # (4) old size is what the witness cosigned.
        stored_text = self.store.latest(origin)
        stored = _stored_checkpoint(stored_text, origin)
        if old_size != stored.size:
            raise OldSizeConflictError(stored.size)
        # (5) same size, same root.
        same_size = stored_text is not None and checkpoint.size == stored.size
        if same_size and checkpoint.root != stored.root:
            why = f"the witness cosigned another root for size {stored.size}"
            evidence = {"old_checkpoint": str(stored_text), "new_checkpoint": note_text}
            fork = Verdict[None].failed("witness", Reason.INCONSISTENT, why, **evidence)
            raise RootConflictError(why, fork)
        # (6) consistent.
        consistent = verify_consistency(stored, checkpoint, proof)
        if not consistent:
            raise ConsistencyProofError(consistent.explain(), consistent)
        line = self.signer.cosign(text, self.clock())
        if not self.store.replace_latest(origin, stored_text, note_text):
            current = _stored_checkpoint(self.store.latest(origin), origin)
            raise OldSizeConflictError(current.size)
        return line.encode()


def _stored_checkpoint(note_text: str | None, origin: str) -> Checkpoint:
    """The checkpoint a witness stored (read back without re-verifying), or the empty tree."""
    if note_text is None:
        return Checkpoint(origin, 0, EMPTY_ROOT)
    return parse_checkpoint(parse_note(note_text).unwrap().text).unwrap()
