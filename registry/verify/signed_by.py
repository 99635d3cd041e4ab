"""Who a verified record says signed it: the ``signer`` its signed payload names.

A pact, declaration or follow-up names its signer (name, jabatan, instansi) in
the payload; the registry checked it against the key's enrolment before it
logged the entry, and its receipt (or signed entry timestamp) covers the leaf,
so once a record verifies these words are the registry's too.  Entries logged
before signers were named carry none: then there is nothing to show, never a
guess.  ``web/static/verify.js`` (``signedBy``) reads the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNED_BY_TYPES = ("pact", "declaration", "follow-up")
"""The statement types whose payload may name their signer."""
SIGNER_FIELDS = ("name", "jabatan", "instansi")


@dataclass(frozen=True)
class SignedBy:
    """The signer a record's signed payload names, with the record's type."""

    statement_type: str
    name: str
    jabatan: str
    instansi: str

    def to_dict(self) -> dict[str, str]:
        """As the shared verification cases write it: type, name, jabatan, instansi."""
        return {
            "type": self.statement_type,
            "name": self.name,
            "jabatan": self.jabatan,
            "instansi": self.instansi,
        }


def signed_by(statement_type: str, payload: Mapping[Any, Any]) -> SignedBy | None:
    """The signer ``payload`` (of a statement of ``statement_type``) names, or None.

    None for a type that names no signer, a payload of another type than the
    statement's, and a ``signer`` that is not a map of three non-empty texts.
    Call it on a *verified* record only: the words are as trustworthy as the checks.
    """
    if statement_type not in SIGNED_BY_TYPES or payload.get("type") != statement_type:
        return None
    signer = payload.get("signer")
    if not isinstance(signer, Mapping):
        return None
    name, jabatan, instansi = (signer.get(field) for field in SIGNER_FIELDS)
    if not all(isinstance(v, str) and v for v in (name, jabatan, instansi)):
        return None
    return SignedBy(statement_type, str(name), str(jabatan), str(instansi))
