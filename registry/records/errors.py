"""Why the registry refuses a statement: one exception, a stable code, an HTTP status.

`registry/api/errors.py` maps these to RFC 9457 problem details in one place.
"""

from __future__ import annotations

from collections.abc import Mapping


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
