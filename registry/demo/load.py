"""Loading the demo data (:func:`registry.demo.build_demo`) into a new registry, or finishing it.

A load takes a while (8,000 statements), and may be cut short (Ctrl-C, a
crash, a full disk).  So the registry records in ``registry_meta`` that a demo
load began, with the ``now`` the demo was built for, before the first demo
entry, and that it finished after the last step (:class:`DemoMark`).  A load
that did not finish is found at the next start: `registry serve --demo` and
`registry demo` finish it (the demo is deterministic for one admin key and
``now``, so the missing statements are the same bytes; the entries already
logged are checked to be the demo's first), and a plain `registry serve`
refuses to serve half a demo as if it were whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from registry.config import Settings
from registry.demo.assembly import build_demo
from registry.demo.signers import DEMO_PASSPHRASE, DemoData
from registry.i18n import Message
from registry.records.bootstrap import operator_keys, register_all, stored_meta
from registry.records.service import RegistryService

DEMO_CUSTODIAL_PPKS = 12
"""How many demo PPKs get a custodial key (scrypt makes each take ~0.1 s)."""

DEMO_META = "demo"
"""The ``registry_meta`` name of the :class:`DemoMark`."""


class DemoError(Exception):
    """The demo data cannot be loaded into this registry; :attr:`message` says why."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


@dataclass(frozen=True)
class DemoMark:
    """How far a demo load got: ``loading`` from before its first entry, ``complete`` at the end."""

    state: Literal["loading", "complete"]
    now: int
    """The time (Unix seconds) the demo was built for: which of its events it keeps."""
    statements: int
    """The log's size once the demo is loaded."""

    def to_json(self) -> str:
        """The mark as stored."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DemoMark:
        """The mark stored as ``text`` (raises ``ValueError`` for anything else)."""
        data = json.loads(text)
        if (
            not isinstance(data, dict)
            or data.get("state") not in ("loading", "complete")
            or not isinstance(data.get("now"), int)
            or not isinstance(data.get("statements"), int)
        ):
            raise ValueError(f"not a demo mark: {text!r}")
        return cls(data["state"], data["now"], data["statements"])


async def read_mark(service: RegistryService) -> DemoMark | None:
    """The demo mark of ``service``'s registry; ``None`` if no demo load ever began there."""
    text = await service.get_meta(DEMO_META)
    return None if text is None else DemoMark.from_json(text)


async def demo_status(settings: Settings) -> tuple[DemoMark | None, int]:
    """The demo mark and the log's size, read without opening the operator's keys."""
    text, size = await stored_meta(settings, DEMO_META)
    return (None if text is None else DemoMark.from_json(text)), size


async def load_demo(
    settings: Settings,
    *,
    only_if_empty: bool,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Register the demo data (registry/demo/) and keep its identities and a few custodial keys.

    The demo refers to earlier entries by log index, so it goes into a new log:
    one that is empty or holds only the admin's enrolment made by `registry init`;
    or into the log of a demo load that did not finish, which it finishes.
    ``only_if_empty`` makes a log that holds more a no-op rather than an error.
    ``progress`` is told how many statements are in the log as they get there;
    ``now`` (default: the clock) decides which of the demo's events are kept.
    Returns what was done; raises :class:`DemoError` when the demo cannot go here.
    """
    keys, _ = operator_keys(settings)
    service = await RegistryService.open(settings, keys)
    try:
        size = service.size
        mark = await read_mark(service)
        finishing = mark is not None and mark.state == "loading"
        if not finishing and (size > 1 or mark is not None):
            if only_if_empty:
                return Message("demo.not_empty", {"size": size})
            raise DemoError(Message("demo.needs_new_registry", {"size": size}))
        if mark is None:
            built_for = now or dt.datetime.now(dt.UTC)
        else:
            built_for = dt.datetime.fromtimestamp(mark.now, dt.UTC)
        demo = build_demo(
            keys.admin,
            now=built_for,
            recommending_authority=settings.recommending_authority,
            salt_key=demo_salt_key(settings.data_dir, fresh=mark is None),
        )
        if mark is None:
            # Before the first demo entry: from here on, the registry is a demo being loaded.
            mark = DemoMark("loading", int(built_for.timestamp()), len(demo.statements))
            await service.put_meta(DEMO_META, mark.to_json())
        else:
            await _check_loaded_part(service, demo, size)
        if progress:
            progress(size)
        done, refused = await register_all(service, demo.statements[size:], progress)
        if refused:
            position, reason = refused[0]
            raise DemoError(
                Message(
                    "demo.refused",
                    {"count": len(refused), "index": position + size, "reason": str(reason)},
                )
            )
        await _keep_people(service, demo)
        await service.put_meta(DEMO_META, DemoMark("complete", mark.now, mark.statements).to_json())
        return Message(
            "demo.loaded" if size <= 1 else "demo.finished",
            {
                "done": done,
                "size": service.size,
                "reports": demo.expected["reports"],
                "recommendations": demo.expected["recommendations"],
                "followed_up": demo.expected["follow_ups_sanctioned"],
                "ppks": min(DEMO_CUSTODIAL_PPKS, sum(s.role == "ppk" for s in demo.signers)),
                "passphrase": DEMO_PASSPHRASE,
            },
        )
    finally:
        await service.close()


async def _check_loaded_part(service: RegistryService, demo: DemoData, size: int) -> None:
    """Refuse to finish a load whose log holds anything but the demo's first statements.

    Entry 0 is the admin's enrolment, by `registry init` or by the demo: both
    enrol the same key, so it is not compared.
    """
    logged = await service.entries(1, size)
    for record in logged:
        index = record.idx
        if index >= len(demo.statements) or record.statement != demo.statements[index]:
            raise DemoError(Message("demo.foreign_entry", {"index": index, "size": size}))


async def _keep_people(service: RegistryService, demo: DemoData) -> None:
    """Keep the demo's identities and the custodial keys of a few PPKs (both idempotent)."""
    await service.identities.keep(demo.identities)
    custodial = service.custodial_signing()
    for signer in [s for s in demo.signers if s.role == "ppk"][:DEMO_CUSTODIAL_PPKS]:
        await custodial.import_key(signer.private_key, DEMO_PASSPHRASE)


DEMO_SALT_KEY = "demo-salt.key"
"""The secret the demo's NIP salts are made under (in the data folder, mode 0600)."""


def demo_salt_key(data_dir: Path, *, fresh: bool) -> bytes:
    """The demo's salt secret: a new one from the system's random source for a new load,
    the one kept beside the operator keys to finish an interrupted load."""
    path = data_dir / DEMO_SALT_KEY
    if fresh or not path.exists():
        key = secrets.token_bytes(32)
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key)
        return key
    return path.read_bytes()
