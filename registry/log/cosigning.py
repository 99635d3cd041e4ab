"""Asking witnesses to cosign: the client side of C2SP tlog-witness ``add-checkpoint``.

:func:`request_cosignature` sends one checkpoint to one witness with the
consistency proof from the size that witness last cosigned, learns that size
from a ``409`` ``text/x.tlog.size`` answer when it does not know it (and asks
once more, with the right proof), and checks the cosignature it gets back
with the witness's key before anyone keeps it.  The answer is a
:class:`Cosigning`: the cosignature line, or why there is none.

A witness that says it cosigned a *larger* tree than the log has, or another
root for this size, is evidence that someone (a restored backup, a stolen
key) showed it another log: that is logged as an ALARM, loudly, with both
sizes; nothing is retried until the next checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from registry.log.witness import (
    SIZE_CONTENT_TYPE,
    add_checkpoint_request,
    parse_size_response,
)
from registry.verify.checkpoint import parse_checkpoint
from registry.verify.note import (
    NoteSignature,
    SignatureType,
    VerifierKey,
    parse_note,
    parse_signature_line,
    parse_verifier_key,
    verify_signature,
)

log = logging.getLogger("registry.witnessing")

REQUEST_TIMEOUT_S = 10.0
"""How long one request to a witness may take (connect, send, answer) before it counts as down."""

COSIGNED = "cosigned"
UNREACHABLE = "unreachable"
REFUSED = "refused"
CONFLICT = "conflict"
BAD_ANSWER = "bad-answer"


@dataclass(frozen=True)
class WitnessPeer:
    """A witness the registry submits to: its submission URL and its cosignature key."""

    url: str
    key: VerifierKey

    def __post_init__(self) -> None:
        if self.key.sig_type != SignatureType.COSIGNATURE_V1:
            raise ValueError(f"{self.key}: a witness's key is a cosignature key (type 0x04)")

    @classmethod
    def parse(cls, url: str, verifier_key: str) -> WitnessPeer:
        """A witness from its URL and C2SP verifier key string; ``ValueError`` if either is bad."""
        parsed = parse_verifier_key(verifier_key.strip())
        if not parsed.ok or parsed.value is None:
            raise ValueError(f"{verifier_key!r} is not a C2SP verifier key: {parsed.detail}")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a witness's URL is http:// or https://, not {url!r}")
        return cls(url.rstrip("/"), parsed.value)

    @property
    def name(self) -> str:
        """The witness's key name (a schema-less URL, by the spec's advice)."""
        return self.key.name

    @property
    def signer(self) -> str:
        """``<name>+<key id hex>``: how its cosignatures are told apart (one per key)."""
        return f"{self.key.name}+{self.key.key_id_hex}"


@dataclass(frozen=True)
class Cosigning:
    """What one witness made of one checkpoint.

    ``outcome`` is :data:`COSIGNED` (``line`` is its verified cosignature line),
    :data:`UNREACHABLE` (no answer in time: try again later), :data:`REFUSED`
    (an answer that is not a cosignature: a misconfigured witness, or a proof it
    rejects), :data:`CONFLICT` (it cosigned another tree: an ALARM) or
    :data:`BAD_ANSWER` (a 200 without a valid cosignature by its key).
    ``size`` is the witness's size afterwards when known.
    """

    outcome: str
    line: str | None = None
    size: int | None = None
    detail: str = ""


def cosignature_line(peer: WitnessPeer, note_text: str, answer: bytes) -> str | None:
    """The witness's verified cosignature line in a ``200`` answer to ``note_text``, if any.

    Lines by other keys are ignored, as the spec says; the witness's own must
    verify over the checkpoint body with its key.
    """
    try:
        text = answer.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body = parse_note(note_text).unwrap().text
    if not text.endswith("\n"):
        return None
    for line in text[:-1].split("\n"):
        parsed = parse_signature_line(line)
        if not parsed.ok or parsed.value is None:
            return None
        sig: NoteSignature = parsed.value
        if (sig.name, sig.key_id) != (peer.key.name, peer.key.key_id):
            continue
        if verify_signature(peer.key, body, sig).ok:
            return sig.line
        return None
    return None


async def request_cosignature(
    client: httpx.AsyncClient,
    peer: WitnessPeer,
    note_text: str,
    known_size: int | None,
    proof_from: Callable[[int], Sequence[bytes]],
    timeout: float = REQUEST_TIMEOUT_S,
) -> Cosigning:
    """Ask ``peer`` to cosign the signed checkpoint ``note_text`` (see the module docstring).

    ``known_size`` is the size the witness last cosigned, if known (else 0 is
    sent and the witness's 409 tells it); ``proof_from(old)`` is the
    consistency proof from ``old`` to the checkpoint's size.  Never raises for
    what the witness or the network does.
    """
    size = parse_checkpoint(parse_note(note_text).unwrap().text).unwrap().size
    old = known_size if known_size is not None and known_size <= size else 0
    for _ in range(2):  # a second time only after a 409 names the witness's size
        body = add_checkpoint_request(old, list(proof_from(old)) if old else [], note_text)
        try:
            answer = await client.post(f"{peer.url}/add-checkpoint", content=body, timeout=timeout)
        except httpx.HTTPError as exc:
            return Cosigning(UNREACHABLE, size=known_size, detail=f"{type(exc).__name__}: {exc}")
        status, content = answer.status_code, answer.content
        media = answer.headers.get("content-type", "").split(";")[0].strip()
        if status == 200:
            line = cosignature_line(peer, note_text, content)
            if line is None:
                return Cosigning(BAD_ANSWER, size=known_size, detail="no valid cosignature")
            return Cosigning(COSIGNED, line, size)
        if status == 409 and media == SIZE_CONTENT_TYPE:
            try:
                theirs = parse_size_response(content)
            except ValueError:
                return Cosigning(BAD_ANSWER, size=known_size, detail="a malformed size answer")
            if theirs > size:
                why = (
                    f"witness {peer.signer} cosigned size {theirs} but the log has {size}:"
                    " this log was rolled back, or another log was shown to it under this key"
                )
                log.error("ALARM %s", why)
                return Cosigning(CONFLICT, size=theirs, detail=why)
            if theirs == old:  # it says what we sent: do not loop
                return Cosigning(BAD_ANSWER, size=theirs, detail="409 for its own size")
            old = theirs
            continue
        if status == 409:
            why = (
                f"witness {peer.signer} cosigned another root for size {size}: it was shown"
                " another tree under this log's key"
            )
            log.error("ALARM %s", why)
            return Cosigning(CONFLICT, size=size, detail=why)
        detail = f"HTTP {status}: {content[:300].decode('utf-8', 'replace').strip()}"
        if status == 422:
            log.error(
                "ALARM witness %s refused the consistency proof from %d: %s",
                peer.signer,
                old,
                detail,
            )
        return Cosigning(REFUSED, size=known_size, detail=detail)
    return Cosigning(BAD_ANSWER, size=old, detail="the witness's size changed twice")
