"""A transparency-log witness: C2SP tlog-witness ``POST /add-checkpoint``, without HTTP.

:class:`Witness` keeps, per log origin, the log's verifier keys and the last
checkpoint it cosigned, in a :class:`~registry.log.witness_store.WitnessStore`
handed to it (in memory, or a JSON file).  :meth:`Witness.add_checkpoint` takes
a request body and returns the response body, or raises a :class:`WitnessError`
that carries the HTTP status (and body) c2sp.org/tlog-witness requires:

(0) 400 for a malformed request; (1) 404 for an unknown origin; (2) 403 when
no signature from the log's keys verifies; (3) 400 when the old size is
above the checkpoint's; (4) 409 with the witness's size (``text/x.tlog.size``)
when the old size is not the size it last cosigned; (5) 409 when the sizes are
equal and the roots are not; (6) 422 when the consistency proof fails.  Then
it stores the checkpoint (compare-and-swap, so two requests cannot roll the
log back) and answers with its cosignature line (tlog-cosignature/v1, dated
by its clock).

The witness never cosigns two different roots for one size: a new checkpoint
is cosigned only if it is consistent with the last one, which it replaces.
What may prove that a log misbehaved raises an :class:`Alarm` (kept by an
:class:`~registry.log.witness_store.EvidenceFolder`) before the refusal: a
checkpoint signed by the log with another root for the size cosigned (a split
view), a smaller one (a rollback, or an old checkpoint replayed), or a
consistency proof that fails (a fork, or a bad proof).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from registry.i18n import Message
from registry.log.witness_store import Alarm, WitnessStore
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
    """A refused ``add-checkpoint`` request, with the HTTP answer the spec requires.

    ``code`` names the refusal (the problem type the witness's HTTP app
    answers with); :attr:`title` and :attr:`message` say it in words (catalog
    keys ``problem.<code>.title`` and ``.detail``), with ``detail``, the
    technical specifics, in English.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "witness-malformed"
    content_type: ClassVar[str] = "text/plain; charset=utf-8"

    def __init__(self, detail: str, verdict: Verdict[Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.verdict = verdict

    @property
    def message(self) -> Message:
        """The refusal in words, in either language."""
        return Message(f"problem.{self.code}.detail", {"detail": self.detail})

    @property
    def title(self) -> Message:
        """The refusal's short title, in either language."""
        return Message(f"problem.{self.code}.title")

    @property
    def body(self) -> bytes:
        """The response body."""
        return (self.detail + "\n").encode()


class MalformedRequestError(WitnessError):
    """400: the request body, the checkpoint or the old size is not acceptable."""


class UnknownLogError(WitnessError):
    """404: the witness does not follow the checkpoint's origin."""

    status = 404
    code = "witness-unknown-log"


class CheckpointSignatureError(WitnessError):
    """403: no signature from the log's keys verifies."""

    status = 403
    code = "witness-not-signed"


class RootConflictError(WitnessError):
    """409: the checkpoint has the size the witness cosigned, and another root."""

    status = 409
    code = "witness-split-view"


class OldSizeConflictError(WitnessError):
    """409: the old size is not the size the witness last cosigned; the body says which."""

    status = 409
    code = "witness-old-size"
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
    code = "witness-inconsistent"


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
    """Cosigns checkpoints of the logs it follows, after checking their consistency.

    ``alarm`` is called with each :class:`Alarm` before the refusal it comes
    with (an :meth:`EvidenceFolder.save`, which logs it and keeps the evidence).
    """

    def __init__(
        self,
        signer: NoteSigner,
        store: WitnessStore,
        clock: Callable[[], int] = lambda: int(time.time()),
        alarm: Callable[[Alarm], object] | None = None,
    ) -> None:
        self.signer = signer
        self.store = store
        self.clock = clock
        self.alarm = alarm

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

    def status(self) -> dict[str, Any]:
        """What the witness is and what it cosigned last, per log (its ``GET /``)."""
        return witness_status(self.signer.name, str(self.verifier_key), self.store)

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
        stored_text = self.store.latest(origin)
        stored = _stored_checkpoint(stored_text, origin)
        # Signed by the log, so whatever contradicts what was cosigned is evidence.
        if stored_text is not None:
            self._raise_alarms(stored_text, stored, note_text, checkpoint, old_size, proof)
        # (3) old size not above the new one; no proof from the empty tree.
        if old_size > checkpoint.size:
            raise MalformedRequestError(f"old size {old_size} is above {checkpoint.size}")
        if old_size == 0 and proof:
            raise MalformedRequestError("the proof from old size 0 must be empty")
        # (4) old size is what the witness cosigned.
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
            if stored_text is not None:
                self._alarm(
                    "inconsistent", consistent.detail, stored_text, note_text, old_size, proof
                )
            raise ConsistencyProofError(consistent.explain(), consistent)
        line = self.signer.cosign(text, self.clock())
        if not self.store.replace_latest(origin, stored_text, note_text):
            current = _stored_checkpoint(self.store.latest(origin), origin)
            raise OldSizeConflictError(current.size)
        return line.encode()

    def _raise_alarms(
        self,
        stored_text: str,
        stored: Checkpoint,
        note_text: str,
        checkpoint: Checkpoint,
        old_size: int,
        proof: Sequence[bytes],
    ) -> None:
        """Alarm on a checkpoint signed by the log that contradicts the one cosigned."""
        if checkpoint.size == stored.size and checkpoint.root != stored.root:
            why = f"two roots signed for size {stored.size}: the log showed another tree"
            self._alarm("split-view", why, stored_text, note_text, old_size, proof)
        elif checkpoint.size < stored.size:
            why = (
                f"a checkpoint of size {checkpoint.size} after size {stored.size} was cosigned:"
                " the log was rolled back, or an old checkpoint was replayed (a consistency"
                " proof from the log tells which)"
            )
            self._alarm("rollback", why, stored_text, note_text, old_size, proof)

    def _alarm(
        self,
        kind: str,
        detail: str,
        cosigned: str,
        presented: str,
        old_size: int,
        proof: Sequence[bytes],
    ) -> None:
        if self.alarm is None:
            return
        origin = _stored_checkpoint(cosigned, "").origin
        lines = tuple(base64.b64encode(p).decode("ascii") for p in proof)
        self.alarm(Alarm(kind, origin, detail, cosigned, presented, old_size, lines, self.clock()))


def witness_status(name: str, verifier_key: str, store: WitnessStore) -> dict[str, Any]:
    """A witness's name and key, and per log followed its keys and last cosigned checkpoint."""
    logs = []
    for origin in store.origins():
        stored_text = store.latest(origin)
        stored = _stored_checkpoint(stored_text, origin)
        logs.append(
            {
                "origin": origin,
                "keys": store.log_keys(origin) or [],
                "size": stored.size,
                "root": base64.b64encode(stored.root).decode("ascii"),
                "checkpoint": stored_text,
            }
        )
    return {"name": name, "verifier_key": verifier_key, "logs": logs}


def _stored_checkpoint(note_text: str | None, origin: str) -> Checkpoint:
    """The checkpoint a witness stored (read back without re-verifying), or the empty tree."""
    if note_text is None:
        return Checkpoint(origin, 0, EMPTY_ROOT)
    return parse_checkpoint(parse_note(note_text).unwrap().text).unwrap()
