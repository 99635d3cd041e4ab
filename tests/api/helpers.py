"""Building and sending statements to a test registry."""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from registry.api.deps import Components
from registry.records.operator import OperatorKeys
from registry.records.personal import commit_nip
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.models import IdentityRecord
from registry.verify.trust import TrustedKeys
from tests.factories import citations, fixed_key, pact_payload

COSE = {"content-type": "application/cose"}
NOW_S = 1_727_395_200  # 2024-09-27


def enrolment(public_key: bytes, role: str, **changes: Any) -> dict[str, Any]:
    """An enrolment record for a key."""
    payload: dict[str, Any] = {
        "type": "enrolment",
        "public_key": public_key,
        "role": role,
        "name": "Bey Machmudin",
        "jabatan": "Penjabat Gubernur Jawa Barat",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "province": "Jawa Barat",
        "head_type": "pj",
        "decree_number": "Keppres No. 96/P Tahun 2023",
        "decree_date": "2023-09-01",
        "term_start": "2023-09-05",
        "term_end": "2024-12-31",
    }
    payload.update(changes)
    return payload


pact = pact_payload
"""A pact record (the same as the unit tests use)."""


@dataclass
class Registry:
    """A test client with the operator's keys, for writing signed statements."""

    client: TestClient  # type: ignore[type-arg]
    operator: OperatorKeys
    signers: dict[str, CoseSigner] = field(default_factory=dict)
    cite: bool = True
    """Register the fixture template and election a posted statement cites before it, once
    (tests/factories.py ``citations``); a test of those refusals turns it off."""
    cited: set[str] = field(default_factory=set)

    @classmethod
    def bootstrapped(cls, client: TestClient, operator: OperatorKeys) -> Registry:  # type: ignore[type-arg]
        registry = cls(client, operator)
        admin = enrolment(
            operator.admin.public_key,
            "admin",
            name="Operator",
            jabatan="Operator",
            instansi="test.example/pakta",
            province=None,
            head_type=None,
            term_start="2000-01-01",
            term_end="2099-12-31",
        )
        admin = {k: v for k, v in admin.items() if v is not None}
        response = registry.post(operator.admin.sign_statement(admin, "operator", NOW_S))
        assert response.status_code == 201, response.text
        return registry

    @property
    def components(self) -> Components:
        """The running app's components (a Litestar test client's app only)."""
        components: Components = self.client.app.state.components
        return components

    @property
    def service(self) -> RegistryService:
        """The running app's registry service (a Litestar test client's app only)."""
        return self.components.service

    def post(self, statement: bytes) -> Any:
        """POST a statement to /entries (after the fixture citations it needs, see ``cite``)."""
        if self.cite:
            self.register_citations(statement)
        return self.client.post("/entries", content=statement, headers=COSE)

    def register_citations(self, statement: bytes) -> list[int]:
        """Register, signed by the operator at the statement's claimed time, the fixture
        template and election ``statement`` cites that this registry has not yet; their indexes.

        Signed at the fixtures' time (the same bytes each time, so registering again adds no
        entry), else at the statement's claimed time, else now, where the registry's clock
        refuses the earlier (a clocked registry): the statement's own refusal then shows."""
        payload, issued_at = _payload_and_time(statement)
        if payload.get("type") in ("template", "election"):  # the test registers it itself
            self.cited.add(repr(payload.get("name", payload.get("text"))))
        indexes = []
        for record in citations(payload):
            name = repr(record.get("name", record.get("text")))
            if name in self.cited:
                continue
            for at in (NOW_S, issued_at, int(time.time())):
                signed = self.operator.admin.sign_statement(record, "operator", at)
                response = self.client.post("/entries", content=signed, headers=COSE)
                if response.status_code in (200, 201):
                    self.cited.add(name)
                    indexes.append(int(response.headers["location"].rsplit("/", 1)[1]))
                    break
        return indexes

    def signer(self, label: str) -> CoseSigner:
        """The fixed signer named ``label``."""
        if label not in self.signers:
            self.signers[label] = CoseSigner(fixed_key(label))
        return self.signers[label]

    def enrol(self, label: str, role: str = "ppk", **changes: Any) -> CoseSigner:
        """Enrol the fixed key ``label`` with ``role``; returns its signer.

        A ``nip`` is enrolled as the operator does: its commitment in the
        enrolment, the NIP and salt kept in the registry's identities.
        """
        signer = self.signer(label)
        nip = changes.pop("nip", None)
        if nip is not None:
            salt, commitment = commit_nip(nip)
            person = IdentityRecord(commitment, salt, nip, changes.get("name", "Bey Machmudin"))
            self.client.blocking_portal.call(self.service.identities.keep, [person])
            changes["nip_commitment"] = commitment
        statement = self.operator.admin.sign_statement(
            enrolment(signer.public_key, role, **changes), "operator", NOW_S
        )
        response = self.post(statement)
        assert response.status_code == 201, response.text
        return signer

    def sign(self, label: str, payload: dict[str, Any], issued_at: int = NOW_S) -> bytes:
        """A statement signed by the fixed key ``label``."""
        return self.signer(label).sign_statement(payload, label, issued_at)

    def trusted(self) -> TrustedKeys:
        """What a verifier trusts, read from the registry's published configuration."""
        document = self.client.get("/.well-known/transparency-configuration").content
        return TrustedKeys.build(configurations=[document])


def _payload_and_time(statement: bytes) -> tuple[dict[str, Any], int]:
    """A COSE_Sign1 statement's payload and claimed time (CWT iat), or ({}, NOW_S)."""
    with contextlib.suppress(Exception):
        protected, _, payload, _ = cbor2.loads(statement).value
        claims = cbor2.loads(protected).get(15, {})
        decoded = cbor2.loads(payload)
        if isinstance(decoded, dict):
            return decoded, int(claims.get(6, NOW_S))
    return {}, NOW_S


def other_key() -> Ed25519PrivateKey:
    """A key nobody enrolled."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"stranger").digest())
