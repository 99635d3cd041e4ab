"""Verdicts: the outcome of every check in `registry.verify`.

A verification function never returns a bare ``False`` and never lets an
exception about malformed input escape.  It returns a :class:`Verdict` that
says what was checked, whether it held, and when it did not, why
(:class:`Reason`) with the evidence (both roots, both sizes, the key id...).
Callers that prefer exceptions call :meth:`Verdict.raise_for_failure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Reason(StrEnum):
    """Why a check failed; stable strings that tools and pages can match on."""

    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_KEY = "unknown-key"
    WRONG_ROOT = "wrong-root"
    SIZE_MISMATCH = "size-mismatch"
    INDEX_OUT_OF_RANGE = "index-out-of-range"
    WRONG_PROOF_LENGTH = "wrong-proof-length"
    WRONG_LEAF = "wrong-leaf"
    WRONG_STATEMENT = "wrong-statement"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    WRONG_TYPE = "wrong-type"
    WRONG_ALGORITHM = "wrong-algorithm"
    OVERSIZED = "oversized"
    EMPTY = "empty"
    TRAILING_DATA = "trailing-data"
    NOT_DETERMINISTIC = "not-deterministic"
    NON_CANONICAL = "non-canonical-encoding"
    """A COSE message not in its one accepted encoding (docs/formats.md): untagged, its
    array or protected header not deterministic CBOR, or an unprotected header that is
    not exactly the one its kind defines."""
    WRONG_ORIGIN = "wrong-origin"
    INCONSISTENT = "inconsistent"
    NOT_WITNESSED = "not-witnessed"
    """Fewer trusted witnesses cosigned than the verifier requires: not (yet) witnessed, which
    is not the same as invalid. Such a verdict still carries the value it verified."""
    REVOKED = "revoked"
    KEY_OUTSIDE_VALIDITY = "key-outside-validity"
    """Signed by a log key the registry announced for other tree sizes (a retired key
    signing after its end, or a new key before its start): docs/formats.md."""


@dataclass(frozen=True)
class Verdict(Generic[T]):
    """The result of one check.

    ``ok`` tells whether it held; ``check`` names what was checked; on failure
    ``reason`` and ``detail`` say why in words a user can read, and
    ``evidence`` holds the values compared (hex or decimal strings).  ``value``
    carries what a successful check parsed (a statement, a checkpoint...), and
    what a check refused only for :attr:`Reason.NOT_WITNESSED` verified
    otherwise (see :meth:`not_witnessed`).
    """

    ok: bool
    check: str
    reason: Reason | None = None
    detail: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)
    value: T | None = None

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def passed(cls, check: str, value: T | None = None, **evidence: str) -> Verdict[T]:
        """A check that held."""
        return cls(ok=True, check=check, value=value, evidence=evidence)

    @classmethod
    def failed(cls, check: str, reason: Reason, detail: str, **evidence: str) -> Verdict[T]:
        """A check that did not hold, with the reason and the evidence."""
        return cls(ok=False, check=check, reason=reason, detail=detail, evidence=evidence)

    @classmethod
    def not_witnessed(cls, check: str, value: T, detail: str, **evidence: str) -> Verdict[T]:
        """Everything held but the witness quorum: a failure that still carries ``value``."""
        return cls(
            ok=False,
            check=check,
            reason=Reason.NOT_WITNESSED,
            detail=detail,
            evidence=evidence,
            value=value,
        )

    def explain(self) -> str:
        """One line for a person: what was checked and, if it failed, why."""
        if self.ok:
            return f"{self.check}: OK"
        lines = [f"{self.check}: FAILED ({self.reason}): {self.detail}"]
        lines += [f"  {k}: {v}" for k, v in self.evidence.items()]
        return "\n".join(lines)

    def raise_for_failure(self) -> T | None:
        """Return ``value`` when the check held, else raise :class:`VerificationError`."""
        if not self.ok:
            raise VerificationError(self)
        return self.value

    def unwrap(self) -> T:
        """Return ``value`` of a check that held and produced one, else raise."""
        if not self.ok or self.value is None:
            raise VerificationError(self)
        return self.value

    def fail_as(self, check: str) -> Verdict[Any]:
        """The same failure, re-labelled as part of a larger check (of any value type)."""
        return Verdict(
            ok=False,
            check=check,
            reason=self.reason,
            detail=f"{self.check}: {self.detail}",
            evidence=self.evidence,
        )


class VerificationError(Exception):
    """Raised by :meth:`Verdict.raise_for_failure`; carries the failed verdict."""

    def __init__(self, verdict: Verdict[object] | Verdict[T]) -> None:
        super().__init__(verdict.explain())
        self.verdict = verdict

    @property
    def reason(self) -> Reason | None:
        """The failed verdict's reason."""
        return self.verdict.reason
