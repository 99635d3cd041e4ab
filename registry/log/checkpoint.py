"""The log's signed checkpoints (c2sp.org/tlog-checkpoint) and their cosignatures.

The log signs each checkpoint with its type-0x01 key whose name is the origin
(docs/formats.md), and serves it with the witnesses' cosignature lines
(c2sp.org/tlog-cosignature) merged in by :func:`add_cosignatures`.
"""

from __future__ import annotations

from collections.abc import Iterable

from registry.signing.note import NoteSigner
from registry.verify.checkpoint import HASH_SIZE, MAX_TREE_SIZE, Checkpoint, parse_checkpoint
from registry.verify.note import MAX_SIGNATURES, Note, parse_note, parse_signature_line


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The checkpoint note text ``<origin>\\n<size>\\n<base64 root>\\n``.

    Raises ``ValueError`` for an empty or multi-line origin, a size outside
    0..2^64-1 or a root that is not 32 bytes, so the log never signs a body a
    verifier would refuse.
    """
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ValueError(f"tree size {size} is outside 0..2^64-1")
    if len(root) != HASH_SIZE:
        raise ValueError(f"the root hash is {len(root)} bytes, not {HASH_SIZE}")
    body = Checkpoint(origin, size, bytes(root)).body
    parsed = parse_checkpoint(body)
    if not parsed or parsed.unwrap().origin != origin:
        raise ValueError(f"invalid origin {origin!r}")
    return body


def sign_checkpoint(signer: NoteSigner, origin: str, size: int, root: bytes) -> str:
    """The signed checkpoint note for ``origin`` at ``size`` with ``root``.

    The signer's key name must be the origin, as docs/formats.md pins it (the
    spec says it SHOULD match).
    """
    if signer.name != origin:
        raise ValueError(f"the key name {signer.name!r} is not the origin {origin!r}")
    return signer.sign(checkpoint_body(origin, size, root))


def add_cosignatures(note_text: str, cosignature_lines: str | Iterable[str]) -> str:
    """Merge witness signature lines into a signed checkpoint note.

    ``cosignature_lines`` is a witness's ``add-checkpoint`` response body (one
    or more lines) or an iterable of lines.  A line from a key that already
    signed the note replaces that signature in place (a newer cosignature of
    the same checkpoint); other lines are appended.  The lines are not
    verified here: check a witness's answer with
    ``registry.verify.note.verify_note(note_text + response, witness_keys)``
    before merging it.  Raises ``ValueError`` on a malformed note or line.
    """
    parsed = parse_note(note_text)
    if not parsed:
        raise ValueError(parsed.explain())
    note = parsed.unwrap()
    if isinstance(cosignature_lines, str):
        if cosignature_lines and not cosignature_lines.endswith("\n"):
            raise ValueError("the cosignature lines do not end in a newline")
        cosignature_lines = cosignature_lines[:-1].split("\n") if cosignature_lines else []
    signatures = list(note.signatures)
    for line in cosignature_lines:
        sig = parse_signature_line(line.removesuffix("\n"))
        if not sig:
            raise ValueError(sig.explain())
        new = sig.unwrap()
        same_key = [
            i for i, s in enumerate(signatures) if (s.name, s.key_id) == (new.name, new.key_id)
        ]
        if same_key:
            signatures[same_key[0]] = new
        else:
            signatures.append(new)
    if len(signatures) > MAX_SIGNATURES:
        raise ValueError(f"more than {MAX_SIGNATURES} signatures")
    merged = Note(note.text, tuple(signatures)).render()
    check = parse_note(merged)
    if not check:
        raise ValueError(check.explain())
    return merged
