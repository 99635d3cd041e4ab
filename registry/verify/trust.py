"""What a verifier trusts: public keys, from strings and from the registry's configuration.

Pure: it takes text and bytes and never reads files or the network, so an
auditor can feed it keys obtained however they like.  The registry's
``/.well-known/transparency-configuration`` document (docs/formats.md) lists
its keys; :meth:`TrustedKeys.from_configuration` reads it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from registry.verify.cose import ED25519_KEY_SIZE, key_id
from registry.verify.note import SignatureType, VerifierKey, parse_verifier_key
from registry.verify.validity import KeyValidity


class KeySourceError(ValueError):
    """A key or configuration that cannot be read; the message says which and why."""


def b64url(data: bytes) -> str:
    """Base64url without padding (how binary values travel in JSON here)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url with or without padding; raises ``ValueError`` on bad text."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {exc}") from exc


def parse_raw_public_key(text: str) -> bytes:
    """A raw Ed25519 public key written as 64 hex digits or base64url."""
    value = text.strip()
    try:
        raw = bytes.fromhex(value) if len(value) == 64 else unb64url(value)
    except ValueError as exc:
        raise KeySourceError(f"{value!r} is not a public key (hex or base64url)") from exc
    if len(raw) != ED25519_KEY_SIZE:
        raise KeySourceError(f"an Ed25519 public key is 32 bytes, {value!r} is {len(raw)}")
    return raw


@dataclass
class TrustedKeys:
    """Keys a verifier trusts: signers' and registry keys by kid, and C2SP note verifier keys."""

    by_kid: dict[bytes, bytes] = field(default_factory=dict)
    log_keys: list[VerifierKey] = field(default_factory=list)
    witness_keys: list[VerifierKey] = field(default_factory=list)
    witnesses_required: int = 0
    origin: str | None = None
    log_validity: dict[bytes, KeyValidity] = field(default_factory=dict)
    """Raw public key → the tree sizes the registry announced it may sign (past log keys)."""

    def add_public_key(self, public_key: bytes, note_name: str | None = None) -> None:
        """Trust a raw Ed25519 key for COSE; with ``note_name`` also for checkpoints."""
        self.by_kid[key_id(public_key)] = public_key
        if note_name:
            self.log_keys.append(VerifierKey.ed25519(note_name, public_key, SignatureType.ED25519))

    def add_verifier_key(self, text: str) -> None:
        """Trust a C2SP verifier key string for checkpoints (and its key for COSE)."""
        parsed = parse_verifier_key(text)
        if not parsed.ok or parsed.value is None:
            raise KeySourceError(f"not a verifier key: {parsed.detail}")
        key = parsed.value
        if key.sig_type == SignatureType.COSIGNATURE_V1:
            self.witness_keys.append(key)
        else:
            self.log_keys.append(key)
            self.by_kid[key_id(key.public_key)] = key.public_key

    def add_key_text(self, text: str) -> None:
        """Trust a key given as a verifier key string or a raw public key."""
        if "+" in text.strip()[1:]:
            self.add_verifier_key(text.strip())
        else:
            self.add_public_key(parse_raw_public_key(text))

    def add_configuration(self, document: bytes) -> None:
        """Trust the keys a registry publishes in its transparency configuration."""
        try:
            config: Any = json.loads(document)
        except (ValueError, UnicodeDecodeError) as exc:
            raise KeySourceError(f"transparency configuration is not JSON: {exc}") from exc
        if not isinstance(config, dict) or not isinstance(config.get("keys"), list):
            raise KeySourceError("transparency configuration has no 'keys' list")
        origin = config.get("origin")
        self.origin = origin if isinstance(origin, str) else None
        for entry in config["keys"]:
            try:
                x = entry["jwk"]["x"]
                if entry["jwk"].get("crv") != "Ed25519":
                    raise KeySourceError("only Ed25519 JWKs are supported")
                public = unb64url(x)
            except (KeyError, TypeError, ValueError) as exc:
                raise KeySourceError(f"a key in the configuration is malformed: {exc}") from exc
            self.add_public_key(public, self.origin)
            window = _validity(entry)
            if window is not None:
                self.log_validity[public] = window
        self.add_witness_policy(config.get("witnesses", []), config.get("witnesses_required", 0))

    def add_witness_policy(self, witnesses: object, required: object) -> None:
        """Trust the configuration's ``witnesses`` and require ``required`` of them to cosign.

        Each witness is ``{"name", "verifier_key", "url"}`` whose verifier key is a
        C2SP tlog-cosignature key (type 0x04) named ``name``; ``required`` is a whole
        number from 0 to the number of witnesses.  Anything else raises
        :class:`KeySourceError`: a trust policy read wrongly would pass what it
        must refuse, or refuse everything.
        """
        if not isinstance(witnesses, list):
            raise KeySourceError("'witnesses' in the configuration is not a list")
        keys: list[VerifierKey] = []
        for number, witness in enumerate(witnesses, start=1):
            text = witness.get("verifier_key") if isinstance(witness, dict) else None
            parsed = parse_verifier_key(text) if isinstance(text, str) else None
            if parsed is None or parsed.value is None:
                why = "no verifier_key" if parsed is None else parsed.detail
                raise KeySourceError(f"witness {number} in the configuration: {why}")
            key = parsed.value
            if key.sig_type != SignatureType.COSIGNATURE_V1:
                raise KeySourceError(
                    f"witness {number}'s verifier key is not a cosignature key (type 0x04)"
                )
            name = witness.get("name", key.name) if isinstance(witness, dict) else key.name
            if name != key.name:
                raise KeySourceError(f"witness {number} is named {name!r}, its key {key.name!r}")
            if key in keys:
                raise KeySourceError(f"witness {number} is listed twice")
            keys.append(key)
        if type(required) is not int or not 0 <= required <= len(keys):
            raise KeySourceError(
                f"'witnesses_required' must be a whole number from 0 to {len(keys)},"
                f" the number of witnesses listed; got {required!r}"
            )
        self.witness_keys.extend(keys)
        self.witnesses_required = required

    @classmethod
    def build(
        cls, key_texts: Iterable[str] = (), configurations: Iterable[bytes] = ()
    ) -> TrustedKeys:
        """Trusted keys from key strings and configuration documents."""
        trusted = cls()
        for document in configurations:
            trusted.add_configuration(document)
        for text in key_texts:
            trusted.add_key_text(text)
        return trusted


def _validity(entry: Any) -> KeyValidity | None:
    """A configuration key's ``valid_from_size``/``valid_until_size`` (None when it names neither).

    Raises :class:`KeySourceError` for sizes that are not whole numbers in order:
    a validity read wrongly would accept what a retired key signs.
    """
    start, end = entry.get("valid_from_size"), entry.get("valid_until_size")
    if start is None and end is None:
        return None
    start = 0 if start is None else start
    for value in (start, end):
        if value is not None and (type(value) is not int or value < 0):
            raise KeySourceError(f"a key's validity sizes must be whole numbers, got {value!r}")
    if end is not None and end < start:
        raise KeySourceError(f"a key's validity ends ({end}) before it starts ({start})")
    return KeyValidity(start, end)
