"""A person's key replaced by a successor key: the ``key-succession`` entry and what it changes.

The holder of an enrolled key (signing with it) or an admin names the new
public key.  The successor is enrolled for the very person, office, role and
term the old key was enrolled for (its ``enrolment_idx`` is the succession's
entry), and the old key is revoked from the succession's registration time:
it signs nothing after it, and what it signed before stands.  The link from
the old key to the new one is the entry itself, so the compliance figures and
the track record follow the person (``registry.compliance``).
"""

from __future__ import annotations

from dataclasses import replace

from registry.records.errors import refused
from registry.records.schemas import KeySuccession
from registry.store.models import KeyRevocationRecord, SignerKeyRecord
from registry.verify.cose import key_id


def succession_changes(
    record: KeySuccession, predecessor: SignerKeyRecord, idx: int, at_ms: int
) -> tuple[SignerKeyRecord, KeyRevocationRecord]:
    """The successor's enrolment (a copy of ``predecessor``'s) and the old key's revocation."""
    successor = replace(
        predecessor,
        kid=key_id(record.public_key),
        public_key=record.public_key,
        enrolment_idx=idx,
        revoked_at=None,
        revocation_idx=None,
    )
    return successor, KeyRevocationRecord(record.kid, at_ms, idx)


def check_succession(
    record: KeySuccession,
    signer_kid: bytes,
    signer_role: str,
    predecessor: SignerKeyRecord | None,
    successor: SignerKeyRecord | None,
) -> SignerKeyRecord:
    """The key succeeded, or a refusal: it must be enrolled and standing, the signer its
    holder or an admin, and the successor a key never enrolled."""
    if predecessor is None:
        raise refused(
            "unknown-key", "refusal.unknown-key.to-succeed", 404, {"kid": record.kid.hex()}
        )
    if predecessor.revoked_at is not None:
        raise refused(
            "revoked-key", "refusal.revoked-key.already", 409, entry=predecessor.revocation_idx
        )
    if signer_kid != record.kid and signer_role != "admin":
        raise refused("wrong-role", "refusal.wrong-role.succession", 403, {"kid": signer_kid.hex()})
    if successor is not None:
        kid = key_id(record.public_key).hex()
        raise refused("already-enrolled", "refusal.already-enrolled", 409, {"kid": kid})
    return predecessor
