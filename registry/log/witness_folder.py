"""A witness's own folder: its key, its name, the logs it follows, what it cosigned, evidence.

``registry witness init`` makes one; ``add-log`` and ``serve`` use it.  Nothing
in it is shared with a registry: a witness is another institution's service.

- ``witness.key``: its Ed25519 key, sealed under a passphrase (``registry.signing.keys``);
- ``witness.json``: ``{"name", "verifier_key"}``, what it tells logs and verifiers;
- ``state.json``: the logs it follows and the last checkpoint it cosigned for each
  (:class:`~registry.log.witness_store.JsonFileWitnessStore`, replaced atomically);
- ``evidence/``: one JSON file per alarm (both signed checkpoints and the proof).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from registry.i18n import Message
from registry.log.witness import Witness
from registry.log.witness_store import EvidenceFolder, JsonFileWitnessStore, write_atomically
from registry.signing.keys import generate_key, load_key, save_key
from registry.signing.note import NoteSigner
from registry.verify.note import SignatureType, VerifierKey, is_valid_key_name, parse_verifier_key

WITNESS_DIR_VARIABLE = "REGISTRY_WITNESS_DIR"
"""The witness's folder when `registry witness` is not given ``--dir``."""
PASSPHRASE_VARIABLE = "REGISTRY_PASSPHRASE"  # noqa: S105 (a variable's name)
"""Its key's passphrase (as every `registry` command reads one; the served worker reads it)."""
DEFAULT_WITNESS_DIR = "witness-data"
KEY_FILE = "witness.key"
IDENTITY_FILE = "witness.json"
STATE_FILE = "state.json"
EVIDENCE_FOLDER = "evidence"


class WitnessFolderError(ValueError):
    """A folder that cannot be made or used; :attr:`message` says why, in either language."""

    def __init__(self, reason: str, /, **params: object) -> None:
        self.message = Message(f"witness.folder.{reason}", params)
        super().__init__(self.message.render("en"))


@dataclass(frozen=True)
class WitnessFolder:
    """The folder of one witness."""

    path: Path

    @property
    def exists(self) -> bool:
        """Whether a witness was made here."""
        return (self.path / KEY_FILE).is_file() and (self.path / IDENTITY_FILE).is_file()

    def init(self, name: str, passphrase: str) -> VerifierKey:
        """Make the witness ``name`` here: a new key sealed under ``passphrase``; its key.

        Refuses (:class:`WitnessFolderError`) a name C2SP forbids or a folder
        that already holds a witness: a witness's key is its identity, and
        replacing it silently would orphan every cosignature it made.
        """
        if not is_valid_key_name(name):
            raise WitnessFolderError("bad-name", name=name)
        if self.exists or (self.path / KEY_FILE).exists():
            raise WitnessFolderError("exists", folder=str(self.path))
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = generate_key()
        save_key(self.path / KEY_FILE, key, passphrase)
        signer = NoteSigner(key, name)
        identity = {"name": name, "verifier_key": signer.cosignature_verifier_key_string}
        write_atomically(self.path / IDENTITY_FILE, json.dumps(identity, indent=2) + "\n")
        return signer.cosignature_verifier_key

    def identity(self) -> dict[str, str]:
        """``{"name", "verifier_key"}`` as ``init`` wrote them."""
        if not self.exists:
            raise WitnessFolderError("missing", folder=str(self.path))
        data: dict[str, str] = json.loads((self.path / IDENTITY_FILE).read_text("utf-8"))
        return data

    @property
    def store(self) -> JsonFileWitnessStore:
        """The logs followed and the checkpoints cosigned."""
        return JsonFileWitnessStore(self.path / STATE_FILE)

    @property
    def evidence(self) -> EvidenceFolder:
        """The alarms kept."""
        return EvidenceFolder(self.path / EVIDENCE_FOLDER)

    def add_log(self, origin: str, keys: list[str]) -> list[VerifierKey]:
        """Follow the log ``origin`` signed by ``keys`` (C2SP Ed25519 verifier key strings)."""
        self.identity()
        # An origin is a checkpoint's first line: not empty, no control character.
        if not origin or origin != origin.strip() or any(ord(c) < 0x20 for c in origin):
            raise WitnessFolderError("bad-origin", origin=origin)
        parsed: list[VerifierKey] = []
        for text in keys:
            verdict = parse_verifier_key(text.strip())
            if not verdict.ok or verdict.value is None:
                raise WitnessFolderError("bad-log-key", key=text, why=verdict.detail)
            if verdict.value.sig_type != SignatureType.ED25519:
                raise WitnessFolderError("not-a-log-key", key=text)
            parsed.append(verdict.value)
        if not parsed:
            raise WitnessFolderError("no-log-key", origin=origin)
        self.store.set_log_keys(origin, [str(k) for k in parsed])
        return parsed

    def open(self, passphrase: str, clock: Callable[[], int] = lambda: int(time.time())) -> Witness:
        """The witness, its key opened with ``passphrase``; alarms go to the evidence folder.

        Raises ``registry.signing.keys.KeyFileError`` (``WrongPassphrase``) for a
        key that does not open, :class:`WitnessFolderError` for a folder without one.
        """
        identity = self.identity()
        key = load_key(self.path / KEY_FILE, passphrase)
        signer = NoteSigner(key, identity["name"])
        if signer.cosignature_verifier_key_string != identity["verifier_key"]:
            raise WitnessFolderError("key-mismatch", folder=str(self.path))
        return Witness(signer, self.store, clock, alarm=self.evidence.save)
