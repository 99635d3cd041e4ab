"""Real witnesses for tests: `registry witness`'s app, served over HTTP from a thread.

:func:`live_witness` makes a witness folder (its own key), follows the given
logs, and serves the witness's ASGI app with uvicorn on a free port of
127.0.0.1, the way `registry witness serve` serves it with granian.  Nothing
here is part of the product.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from registry.api.witness_app import create_witness_app
from registry.log.witness import Witness
from registry.log.witness_folder import WitnessFolder
from registry.log.witness_store import EvidenceFolder
from registry.verify.note import VerifierKey
from tests.threaded_server import ThreadedServer

PASSPHRASE = "saksi-uji"


@dataclass
class LiveWitness:
    """A witness answering over HTTP: its URL, its key, its folder and what it keeps."""

    url: str
    witness: Witness
    folder: WitnessFolder

    @property
    def key(self) -> VerifierKey:
        """Its cosignature verifier key."""
        return self.witness.verifier_key

    @property
    def evidence(self) -> EvidenceFolder:
        """The alarms it kept."""
        return self.folder.evidence

    def latest(self, origin: str) -> str | None:
        """The last checkpoint it cosigned for ``origin``."""
        return self.witness.store.latest(origin)


def unused_url() -> str:
    """The URL of a port nothing listens on: a witness that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def live_witness(
    root: Path, name: str, follows: Sequence[tuple[str, str]] = ()
) -> Iterator[LiveWitness]:
    """A witness named ``name`` in ``root/<name>``, following each (origin, log verifier key)."""
    folder = WitnessFolder(root / name.replace("/", "_"))
    folder.init(name, PASSPHRASE)
    for origin, key in follows:
        folder.add_log(origin, [key])
    witness = folder.open(PASSPHRASE)
    server = ThreadedServer(f"witness {name}")
    server.start(create_witness_app(witness, folder.evidence))
    try:
        yield LiveWitness(server.url, witness, folder)
    finally:
        server.stop()
