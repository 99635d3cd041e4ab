"""The log's public reads: checkpoint, proofs, tiles, configuration, health."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from registry.api.deps import CHECKPOINT, TILE, service_of
from registry.api.errors import invalid_parameter
from registry.i18n import Message
from registry.log.tiles import (
    EntryBundle,
    TileRequestError,
    encode_entry_bundle,
    parse_path,
    tile_bytes,
)
from registry.records.errors import NotFound
from registry.verify.trust import b64url


class LogController(Controller):
    """Checkpoint, proofs and tiles: everything a verifier or a witness needs."""

    tags = ["log"]

    @get("/checkpoint", summary="The latest signed checkpoint (C2SP signed note)")
    async def checkpoint(self, request: Request[Any, Any, Any]) -> Response[str]:
        return Response(
            await service_of(request).checkpoint(),
            media_type=CHECKPOINT,
            headers={"Cache-Control": "no-cache"},
        )

    @get("/proofs/inclusion", summary="Inclusion proof of an entry in a tree size")
    async def inclusion(
        self,
        request: Request[Any, Any, Any],
        index: Annotated[int, QueryParameter(ge=0)],
        size: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> dict[str, Any]:
        proof = service_of(request).inclusion_proof(index, size)
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
        request: Request[Any, Any, Any],
        old: Annotated[int, QueryParameter(ge=1)],
        new: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> dict[str, Any]:
        service = service_of(request)
        new_size = service.size if new is None else new
        if old > new_size:
            raise invalid_parameter("parameter.old-after-new", old=old, new=new_size)
        proof = service.consistency_proof(old, new_size)
        tree = service.state.tree
        return {
            "old": old,
            "new": new_size,
            "old_root": b64url(tree.root(old)),
            "new_root": b64url(tree.root(new_size)),
            "path": [b64url(h) for h in proof],
        }

    @get("/tile/{path:path}", summary="C2SP tlog-tiles: hash tiles and entry bundles")
    async def tile(self, request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
        service = service_of(request)
        resource = parse_path("tile" + path)
        try:
            if isinstance(resource, EntryBundle):
                start = resource.index * 256
                if start + resource.width > service.size:
                    raise NotFound(
                        Message(
                            "notfound.tile-bundle", {"path": resource.path, "size": service.size}
                        )
                    )
                records = await service.store.get_entries(start, start + resource.width)
                data = encode_entry_bundle([r.leaf for r in records])
            else:
                data = tile_bytes(service.state.tree, resource)
        except TileRequestError as exc:
            raise NotFound(Message("notfound.tile", {"detail": str(exc)})) from exc
        cache = "public, max-age=31536000, immutable" if not resource.is_partial else "no-cache"
        return Response(data, media_type=TILE, headers={"Cache-Control": cache})

    @get(
        "/.well-known/transparency-configuration",
        summary="Origin, keys (JWK and C2SP verifier key) and algorithms",
    )
    async def configuration(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return service_of(request).configuration()

    @get("/health", summary="Liveness and the log size")
    async def health(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        service = service_of(request)
        return {"status": "ok", "size": service.size, "origin": service.settings.origin}
