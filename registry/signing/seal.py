"""Seals: the registry's own mark on state it keeps in the database for itself.

Derived state saved to spare a rebuild (``registry/compliance/saved.py``) must
not be taken back from the database unless the registry itself wrote it: the
database is not trusted more than the log.  A seal is HMAC-SHA256 under a key
derived from the operator's log key for one purpose, so only a process that
holds the log key (sealed in the data directory, never in the database) can
make or check one, and a seal made for one purpose means nothing for another.
It is no signature: nobody outside the registry checks it, and it is never
published.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

LABEL = b"integrity-pact-registry seal v1: "


class Sealer:
    """Seals and checks messages for one ``purpose`` with a key derived from ``key``."""

    def __init__(self, key: Ed25519PrivateKey, purpose: str) -> None:
        secret = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._key = hmac.new(secret, LABEL + purpose.encode(), hashlib.sha256).digest()

    def seal(self, message: bytes) -> bytes:
        """The 32-byte seal of ``message``."""
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def opens(self, message: bytes, seal: bytes) -> bool:
        """Whether ``seal`` is this sealer's seal of ``message`` (in constant time)."""
        return hmac.compare_digest(self.seal(message), seal)
