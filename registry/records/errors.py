"""Why the registry refuses a statement: one exception, a stable code, an HTTP status.

`registry/api/errors.py` maps these to RFC 9457 problem details in one place.
Messages are carried as :class:`registry.i18n.Message` (a catalog key and its
parameters), so the edge that answers puts them into the reader's language;
``title`` and ``detail`` are the English words, for logs and tests.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.i18n import (
    DEFAULT_LANGUAGE,
    Message,
    Text,
    params_from_data,
    params_to_data,
    render,
    text_data,
    text_from_data,
)
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.result import Reason


@dataclass(frozen=True)
class FieldError:
    """One bad field of a record: where (``field``), why (``reason``, a stable code), specifics.

    ``field`` is the field's path (``date``, ``witnesses[0].name``), or ``""``
    for the record as a whole; ``params`` fill the reason's message
    (``schema.<reason>`` in the catalogs).
    """

    field: str
    reason: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self) -> Message:
        """What is wrong, with the field named in words (``tanggal (date): ...``)."""
        problem = Message(f"schema.{self.reason}", self.params)
        if not self.field:
            return problem
        return Message("schema.problem", {"field": field_label(self.field), "problem": problem})

    def to_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
        """The error as a problem document lists it: ``field``, ``reason``, ``message``."""
        return {"field": self.field, "reason": self.reason, "message": self.message().render(lang)}

    def to_data(self) -> dict[str, Any]:
        """The error as JSON-ready data that :meth:`from_data` reads back."""
        return {"field": self.field, "reason": self.reason, "params": params_to_data(self.params)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FieldError:
        """The error :meth:`to_data` wrote; ``ValueError`` for anything else."""
        where, reason = data.get("field"), data.get("reason")
        if not isinstance(where, str) or not isinstance(reason, str):
            raise ValueError("a field error has a text 'field' and 'reason'")
        return cls(where, reason, params_from_data(data.get("params", {})))


def field_label(path: str) -> Message:
    """A field's path as a reader sees it: ``tanggal (date)`` in Indonesian, ``date`` in English.

    The label is the catalog's ``field.<name>`` for the path's last name
    (``witnesses[0].name`` is labelled as ``name``), the path itself when there is none.
    """
    name = path.rsplit(".", 1)[-1].split("[", 1)[0]
    return Message(f"field.{name}", {"path": path}, default="{path}")


def summary(errors: Sequence[FieldError], kind: str | None = None) -> Message:
    """Every error of ``errors`` in one sentence, in the order given, after the record's type."""
    listed = [e.message() for e in errors]
    if kind is None:
        return Message("schema.errors", {"list": listed})
    return Message("schema.errors-of-type", {"type": kind, "list": listed})


class RegistrationRefused(Exception):
    """A statement the registry will not append; nothing was written.

    ``code`` is a stable identifier (``unknown-key``, ``wrong-role``...),
    ``title`` a short sentence, ``detail`` the specifics (both English; the
    messages behind them are ``title_text`` and ``detail_text``), ``status``
    the HTTP status the API answers with, ``errors`` the bad fields of a
    record that does not fit its schema.
    """

    def __init__(
        self,
        code: str,
        title: Text,
        detail: Text,
        status: int = 400,
        evidence: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        self.code = code
        self.title_text, self.detail_text = title, detail
        self.title = render(title, DEFAULT_LANGUAGE)
        self.detail = render(detail, DEFAULT_LANGUAGE)
        super().__init__(f"{self.title}: {self.detail}")
        self.status = status
        self.evidence = dict(evidence or {})
        self.errors = list(errors)

    def title_in(self, lang: str) -> str:
        """The title in ``lang``."""
        return render(self.title_text, lang)

    def detail_in(self, lang: str) -> str:
        """The detail in ``lang``."""
        return render(self.detail_text, lang)

    def to_json(self) -> str:
        """The refusal as JSON text, as another process hands it back (see ``from_json``).

        The messages travel as keys and parameters, so the receiving side
        still answers in its reader's language.
        """
        return json.dumps(
            {
                "code": self.code,
                "title": self.title,
                "detail": self.detail,
                "status": self.status,
                "evidence": self.evidence,
                "title_text": text_data(self.title_text),
                "detail_text": text_data(self.detail_text),
                "errors": [e.to_data() for e in self.errors],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RegistrationRefused:
        """The refusal ``to_json`` wrote; a plain refusal carrying ``text`` if it is not that.

        A refusal written without its messages (an older process) keeps its English words.
        """
        try:
            data = json.loads(text)
            title = text_from_data(data.get("title_text", data["title"]))
            detail = text_from_data(data.get("detail_text", data["detail"]))
            errors = [FieldError.from_data(e) for e in data.get("errors", [])]
            return cls(
                data["code"], title, detail, int(data["status"]), data.get("evidence"), errors
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls("refused", Message("refusal.refused.title"), text, 400)


def refused(
    code: str,
    key: str,
    status: int,
    evidence: Mapping[str, str] | None = None,
    errors: Sequence[FieldError] = (),
    **params: Any,
) -> RegistrationRefused:
    """The refusal ``code`` worded by the catalog's ``<key>.title`` and ``<key>.detail``."""
    return RegistrationRefused(
        code, Message(f"{key}.title"), Message(f"{key}.detail", params), status, evidence, errors
    )


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
    """A requested entry, key or proof that does not exist; ``what`` names it."""

    def __init__(self, what: Text) -> None:
        super().__init__(render(what, DEFAULT_LANGUAGE))
        self.what = what


class Unavailable(Exception):
    """The registry cannot take the request now (shutting down, queue full): retry later.

    ``detail`` is the English words; ``detail_text`` the message behind them.
    """

    def __init__(self, detail: Text, retry_after: int = 1) -> None:
        self.detail_text = detail
        self.detail = render(detail, DEFAULT_LANGUAGE)
        super().__init__(self.detail)
        self.retry_after = retry_after

    def to_json(self) -> str:
        """The answer as JSON text, as another process hands it back (see ``from_json``)."""
        return json.dumps({"detail": text_data(self.detail_text), "retry_after": self.retry_after})

    @classmethod
    def from_json(cls, text: str) -> Unavailable:
        """The answer ``to_json`` wrote; one carrying ``text`` as it is if it is not that."""
        try:
            data = json.loads(text)
            return cls(text_from_data(data["detail"]), int(data["retry_after"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls(text)


class TamperedEntry(Exception):
    """A stored copy of entry ``index`` differs from what the log vouches for; not served.

    The database holds, beside each leaf hash (checked against the signed
    checkpoint at start), copies anyone with write access could edit: the leaf
    and statement bytes, the receipt, the columns derived from them, the tables
    of keys and revocations.  ``what`` names the copy (a column such as
    ``statement`` or ``payload_json``); ``expected`` is what the log vouches
    for and ``found`` what is stored, both as short text (hashes in hex; bytes
    and long text only by their SHA-256, never the edited bytes themselves).
    The API answers ``500`` with problem type ``tampered-entry`` and this evidence.
    """

    def __init__(self, index: int, what: str, expected: str, found: str) -> None:
        self.index = index
        self.what = what
        self.evidence = {"index": str(index), "column": what, "expected": expected, "found": found}
        self.message = Message("tampered.entry", self.evidence)
        super().__init__(self.message.render(DEFAULT_LANGUAGE))

    def as_refusal(self) -> RegistrationRefused:
        """The same answer as a refusal, for the hand-offs between processes that carry those."""
        return RegistrationRefused(
            "tampered-entry",
            Message("problem.tampered-entry.title"),
            self.message,
            500,
            self.evidence,
        )


class WrongPassphraseError(Exception):
    """The passphrase does not open a custodial key; nothing was signed.

    ``attempts_remaining`` wrong passphrases more from the same client lock
    that client out of the key for ``lockout_seconds``.  The message names the key,
    never the passphrase.
    """

    def __init__(self, kid: bytes, attempts_remaining: int, lockout_seconds: int) -> None:
        self.message = Message(
            "custodial.client-wrong-passphrase",
            {"kid": kid.hex(), "remaining": attempts_remaining, "seconds": lockout_seconds},
        )
        super().__init__(self.message.render(DEFAULT_LANGUAGE))
        self.kid = kid
        self.attempts_remaining = attempts_remaining
        self.lockout_seconds = lockout_seconds


class KeyLockedError(Exception):
    """A client locked out of a custodial key after too many wrong passphrases; nothing signed.

    ``locked_until`` is in milliseconds since the Unix epoch; ``retry_after``
    the whole seconds until then (at least 1).  ``just_locked`` says the
    request that got this answer was the wrong passphrase that locked it.
    """

    def __init__(
        self, kid: bytes, locked_until: int, retry_after: int, *, just_locked: bool = False
    ) -> None:
        key = "custodial.client-just-locked" if just_locked else "custodial.client-locked"
        self.message = Message(key, {"kid": kid.hex(), "seconds": retry_after})
        super().__init__(self.message.render(DEFAULT_LANGUAGE))
        self.kid = kid
        self.locked_until = locked_until
        self.retry_after = retry_after
        self.just_locked = just_locked


_REFUSALS: dict[Reason, tuple[str, int]] = {
    Reason.UNKNOWN_KEY: ("unknown-key", 403),
    Reason.BAD_SIGNATURE: ("bad-signature", 400),
    Reason.WRONG_ALGORITHM: ("wrong-algorithm", 400),
    Reason.OVERSIZED: ("oversized", 413),
    Reason.EMPTY: ("empty", 400),
    Reason.TRUNCATED: ("truncated", 400),
    Reason.NOT_DETERMINISTIC: ("not-deterministic", 400),
    Reason.NON_CANONICAL: ("non-canonical-encoding", 400),
}


def refusal_for(
    verdict_reason: Reason | None, detail: str, evidence: Mapping[str, str] | None = None
) -> RegistrationRefused:
    """The refusal for a statement that failed verification, with the verdict's evidence.

    The title is worded by the reason (``refusal.verify.<reason>``); the
    verdict's own ``detail`` (English, from `registry.verify`) is kept as the
    specifics, explained in the reader's language by ``verify.reason.<reason>``.
    """
    reason = verdict_reason or Reason.MALFORMED
    code, status = _REFUSALS.get(reason, ("malformed-statement", 400))
    return RegistrationRefused(
        code,
        Message(f"refusal.verify.{code}"),
        Message(f"verify.reason.{reason.value}", {"detail": detail}),
        status,
        evidence,
    )


def oversized(size: int) -> RegistrationRefused:
    """The refusal of a statement of ``size`` bytes, over :data:`MAX_CBOR_SIZE`."""
    return RegistrationRefused(
        "oversized",
        Message("refusal.verify.oversized"),
        Message("refusal.oversized.detail", {"size": size, "max": MAX_CBOR_SIZE}),
        413,
    )
