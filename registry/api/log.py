"""The log's public reads: checkpoint, proofs, tiles, configuration, health."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response.base import ASGIResponse

from registry.api.deps import CHECKPOINT, MAX_INTEGER, TILE, Service, document
from registry.api.errors import BadRequest, invalid_parameter
from registry.i18n import Message
from registry.verify.trust import b64url, unb64url

KEYS = "application/cbor"

NO_CACHE = {"Cache-Control": "no-cache"}


class LogController(Controller):
    """Checkpoint, proofs and tiles: everything a verifier or a witness needs."""

    tags = ["log"]

    @get(
        "/checkpoint",
        media_type=CHECKPOINT,
        summary="The latest signed checkpoint (C2SP signed note)",
        responses=document(CHECKPOINT, str, "The checkpoint with its cosignatures (UTF-8 text)"),
    )
    async def checkpoint(self, service: Service) -> ASGIResponse:
        # A hot read: an ASGIResponse is sent as it is (see registry/api/entries.py).
        note = await service.checkpoint()
        return ASGIResponse(body=note.encode(), media_type=CHECKPOINT, headers=NO_CACHE)

    @get(
        "/checkpoint/witnessed",
        media_type=CHECKPOINT,
        summary="The latest checkpoint that carries the witness quorum (C2SP signed note)",
        responses=document(
            CHECKPOINT,
            str,
            "The newest checkpoint cosigned by at least `witnesses_required` of the witnesses"
            " the transparency configuration lists; 404 while none is (not yet witnessed)",
        ),
    )
    async def witnessed_checkpoint(self, service: Service) -> ASGIResponse:
        note = await service.witnessed_checkpoint()
        return ASGIResponse(body=note.encode(), media_type=CHECKPOINT, headers=NO_CACHE)

    @get("/proofs/inclusion", summary="Inclusion proof of an entry in a tree size")
    async def inclusion(
        self,
        service: Service,
        index: Annotated[int, QueryParameter(ge=0, le=MAX_INTEGER)],
        size: Annotated[int | None, QueryParameter(ge=1, le=MAX_INTEGER)] = None,
    ) -> dict[str, Any]:
        proof = await service.inclusion_proof(index, size)
        return {
            "index": proof.index,
            "size": proof.size,
            "root": b64url(proof.root),
            "leaf_hash": b64url(proof.leaf_hash),
            "path": [b64url(h) for h in proof.path],
        }

    @get("/proofs/consistency", summary="Consistency proof between two tree sizes")
    async def consistency(
        self,
        service: Service,
        old: Annotated[int, QueryParameter(ge=1, le=MAX_INTEGER)],
        new: Annotated[int | None, QueryParameter(ge=1, le=MAX_INTEGER)] = None,
    ) -> dict[str, Any]:
        new_size = service.size if new is None else new
        if old > new_size:
            raise invalid_parameter("parameter.old-after-new", old=old, new=new_size)
        proof = await service.consistency_proof(old, new_size)
        return {
            "old": proof.old,
            "new": proof.new,
            "old_root": b64url(proof.old_root),
            "new_root": b64url(proof.new_root),
            "path": [b64url(h) for h in proof.path],
        }

    @get(
        "/tile/{path:path}",
        media_type=TILE,
        summary="C2SP tlog-tiles: hash tiles and entry bundles",
    )
    async def tile(self, service: Service, path: FromPath[str]) -> Response[bytes]:
        tile = await service.tile(path)
        cache = "public, max-age=31536000, immutable" if tile.immutable else "no-cache"
        return Response(tile.data, media_type=TILE, headers={"Cache-Control": cache})

    @get(
        "/.well-known/transparency-configuration",
        summary="Origin, keys (JWK and C2SP verifier key) and algorithms",
    )
    async def configuration(self, service: Service) -> dict[str, Any]:
        return service.configuration()

    @get(
        "/.well-known/scitt-keys",
        media_type=KEYS,
        summary="The log's keys, past and current, as a COSE_KeySet (SCRAPI)",
        responses=document(KEYS, bytes, "A CBOR COSE_KeySet of the log's Ed25519 keys"),
    )
    async def scitt_keys(self, service: Service) -> ASGIResponse:
        return ASGIResponse(body=service.scitt_keys(), media_type=KEYS, headers=NO_CACHE)

    @get(
        "/.well-known/scitt-keys/{kid_value:str}",
        media_type=KEYS,
        summary="One log key as a COSE_Key, by its kid (base64url, or hex)",
        responses=document(KEYS, bytes, "A CBOR COSE_Key; 404 if no log key has that kid"),
    )
    async def scitt_key(self, service: Service, kid_value: FromPath[str]) -> ASGIResponse:
        found = None
        for decode in (bytes.fromhex, unb64url):
            try:
                kid = decode(kid_value)
            except ValueError:
                continue
            found = found or service.scitt_key(kid)
        if found is None:
            raise BadRequest(
                "no-such-key",
                Message("problem.no-such-key.title"),
                Message("problem.no-such-key.detail", {"kid": kid_value}),
                404,
            )
        return ASGIResponse(body=found, media_type=KEYS, headers=NO_CACHE)

    @get(
        "/health",
        summary="Liveness, the log size, and edits of the database found behind the log's back",
        description="`status` is `degraded` (still 200) once this process found a stored copy "
        "that differs from what the log vouches for: `tampered` counts the findings, "
        "`findings` lists the first ones (docs/guarantees.md).",
    )
    async def health(self, service: Service) -> dict[str, Any]:
        tampered, findings = service.tampering()
        health: dict[str, Any] = {
            "status": "degraded" if tampered else "ok",
            "size": service.size,
            "origin": service.settings.origin,
            "tampered": tampered,
        }
        if findings:
            health["findings"] = findings
        return health
