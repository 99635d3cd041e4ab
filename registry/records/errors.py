"""Why the registry refuses a statement: one exception, a stable code, an HTTP status.

`registry/api/errors.py` maps these to RFC 9457 problem details in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from registry.verify.result import Reason


class RegistrationRefused(Exception):
    """A statement the registry will not append; nothing was written.

    ``code`` is a stable identifier (``unknown-key``, ``wrong-role``...),
    ``title`` a short sentence, ``detail`` the specifics, ``status`` the HTTP
    status the API answers with.
    """

    def __init__(
        self,
        code: str,
        title: str,
        detail: str,
        status: int = 400,
        evidence: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{title}: {detail}")
        self.code = code
        self.title = title
        self.detail = detail
        self.status = status
        self.evidence = dict(evidence or {})

    def to_json(self) -> str:
        """The refusal as JSON text, as another process hands it back (see ``from_json``)."""
        return json.dumps(
            {
                "code": self.code,
                "title": self.title,
                "detail": self.detail,
                "status": self.status,
                "evidence": self.evidence,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RegistrationRefused:
        """The refusal ``to_json`` wrote; a plain refusal carrying ``text`` if it is not that."""
        try:
            data = json.loads(text)
            return cls(
                data["code"],
                data["title"],
                data["detail"],
                int(data["status"]),
                data.get("evidence"),
            )
        except (ValueError, KeyError, TypeError):
            return cls("refused", "Statement refused", text, 400)


class BatchRefused(Exception):
    """A group of statements of which some were refused, so none was written.

    ``refusals`` pairs each refused statement's position with why.
    """

    def __init__(self, refusals: list[tuple[int, RegistrationRefused]]) -> None:
        first = refusals[0]
        super().__init__(
            f"{len(refusals)} statements refused, nothing written; "
            f"the first, #{first[0]}: {first[1]}"
        )
        self.refusals = refusals


class NotFound(Exception):
    """A requested entry, key or proof that does not exist."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Unavailable(Exception):
    """The registry cannot take the request now (shutting down, queue full): retry later."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class WrongPassphraseError(Exception):
    """The passphrase does not open a custodial key; nothing was signed.

    ``attempts_remaining`` wrong passphrases more lock the key for
    ``lockout_seconds``.  The message names the key, never the passphrase.
    """

    def __init__(self, kid: bytes, attempts_remaining: int, lockout_seconds: int) -> None:
        super().__init__(
            f"the passphrase does not open custodial key {kid.hex()}; {attempts_remaining}"
            f" more wrong passphrase(s) lock it for {lockout_seconds} seconds"
        )
        self.kid = kid
        self.attempts_remaining = attempts_remaining
        self.lockout_seconds = lockout_seconds


class KeyLockedError(Exception):
    """A custodial key locked after too many wrong passphrases; nothing was signed.

    ``locked_until`` is in milliseconds since the Unix epoch; ``retry_after``
    the whole seconds until then (at least 1).  ``just_locked`` says the
    request that got this answer was the wrong passphrase that locked it.
    """

    def __init__(
        self, kid: bytes, locked_until: int, retry_after: int, *, just_locked: bool = False
    ) -> None:
        why = "that was one wrong passphrase too many: " if just_locked else ""
        super().__init__(
            f"{why}custodial key {kid.hex()} is locked for {retry_after} more seconds"
            " after too many wrong passphrases; even the right one is refused until then"
        )
        self.kid = kid
        self.locked_until = locked_until
        self.retry_after = retry_after
        self.just_locked = just_locked


_REFUSALS: dict[Reason, tuple[str, str, int]] = {
    Reason.UNKNOWN_KEY: ("unknown-key", "Signer key is not enrolled", 403),
    Reason.BAD_SIGNATURE: ("bad-signature", "Signature does not verify", 400),
    Reason.WRONG_ALGORITHM: ("wrong-algorithm", "Unsupported signature algorithm", 400),
    Reason.OVERSIZED: ("oversized", "Statement is too large", 413),
    Reason.EMPTY: ("empty", "Statement is empty", 400),
    Reason.TRUNCATED: ("truncated", "Statement is truncated", 400),
    Reason.NOT_DETERMINISTIC: (
        "not-deterministic",
        "Payload is not deterministic CBOR",
        400,
    ),
    Reason.NON_CANONICAL: (
        "non-canonical-encoding",
        "Statement is not in its one accepted encoding",
        400,
    ),
}


def refusal_for(
    verdict_reason: Reason | None, detail: str, evidence: Mapping[str, str] | None = None
) -> RegistrationRefused:
    """The refusal for a statement that failed verification, with the verdict's evidence."""
    code, title, status = _REFUSALS.get(
        verdict_reason or Reason.MALFORMED, ("malformed-statement", "Statement is malformed", 400)
    )
    return RegistrationRefused(code, title, detail, status, evidence)
