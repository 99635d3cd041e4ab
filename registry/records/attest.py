"""Attesting history loaded in bulk: the signed word that lets old-dated statements in.

The registry refuses a statement claiming a time more than its maximum age
before the registry's clock (``stale-statement``, :mod:`registry.records.policy`)
unless a standing ``attestation`` entry registered before it lists it by the
SHA-256 of its signed content.  :func:`attest` makes those attestations for a
batch about to be registered (`registry import`, the demo): one per run of
:data:`~registry.records.schemas.ATTESTED_MAX` old statements, signed by
whoever vouches for the import (the signer of the rows if its role may attest,
else the operator's admin key), and dated now.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.records.schemas import ATTESTED_MAX
from registry.signing.cose import CoseSigner
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1
from registry.verify.statement import CWT_IAT, statement_content

ATTESTING_ROLES = frozenset({"admin", "bawaslu", "recommender", "bkn"})
"""Who may sign an attestation (as :data:`registry.records.policy.SIGNER_ROLES` says)."""


def claimed_time(statement: bytes) -> int | None:
    """The ``iat`` a signed statement claims, if it can be read."""
    parsed = parse_sign1(statement, "signed statement")
    if not parsed.ok or parsed.value is None:
        return None
    claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
    iat = claims.get(CWT_IAT) if isinstance(claims, dict) else None
    return iat if isinstance(iat, int) else None


def attest(
    statements: Sequence[bytes],
    signer: CoseSigner,
    issuer: str,
    *,
    source: str,
    reason: str,
    now_s: int,
    max_age_s: int,
) -> list[bytes]:
    """Attestations (to register before ``statements``) of those older than ``max_age_s``."""
    old = []
    for statement in statements:
        iat = claimed_time(statement)
        content = statement_content(statement)
        if iat is not None and content is not None and iat < now_s - max_age_s:
            old.append(content)
    return [
        signer.sign_statement(
            {
                "type": "attestation",
                "source": source[:500],
                "reason": reason[:500],
                "statements": old[start : start + ATTESTED_MAX],
            },
            issuer,
            now_s,
        )
        for start in range(0, len(old), ATTESTED_MAX)
    ]
