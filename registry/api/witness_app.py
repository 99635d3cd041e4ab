"""The witness's HTTP service (`registry witness serve`): C2SP tlog-witness, and its state.

A separate service from the registry, run by another institution from its own
folder (:class:`registry.log.witness_folder.WitnessFolder`):

- ``POST /add-checkpoint``: c2sp.org/tlog-witness.  ``200`` with the
  cosignature line (c2sp.org/tlog-cosignature/v1); ``409`` with
  ``text/x.tlog.size`` when the old size is not the witness's; the other
  refusals (400, 403, 404, 409, 422, as the spec assigns them) as RFC 9457
  problem details (registry/api/errors.py), in the language asked for.
- ``GET /``: what the witness is and what it cosigned per log, and the alarms
  it kept (evidence of split views, rollbacks, failed proofs).

The witness's work (an Ed25519 signature and an fsynced file) runs in a worker
thread, so one slow disk does not hold other requests.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get, post

from registry.api.errors import witness_exception_handlers
from registry.log.witness import MAX_REQUEST_BYTES, Witness
from registry.log.witness_folder import (
    DEFAULT_WITNESS_DIR,
    PASSPHRASE_VARIABLE,
    WITNESS_DIR_VARIABLE,
    WitnessFolder,
)
from registry.log.witness_store import EvidenceFolder


def create_witness_app(witness: Witness, evidence: EvidenceFolder) -> Litestar:
    """The witness's ASGI app over ``witness`` (whose alarms ``evidence`` keeps)."""

    @post("/add-checkpoint", status_code=200, summary="C2SP tlog-witness add-checkpoint")
    async def add_checkpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
        body = await request.body()
        line = await asyncio.to_thread(witness.add_checkpoint, body)
        return Response(line, media_type="text/plain")

    @get("/", summary="The witness, what it cosigned per log, and its alarms")
    async def status() -> dict[str, Any]:
        state = await asyncio.to_thread(witness.status)
        alarms = await asyncio.to_thread(evidence.alarms)
        return {**state, "alarms": alarms}

    return Litestar(
        route_handlers=[add_checkpoint, status],
        exception_handlers=witness_exception_handlers(),
        request_max_body_size=MAX_REQUEST_BYTES,
        openapi_config=None,
        debug=False,
    )


def app_from_env() -> Litestar:
    """The witness app for ``$REGISTRY_WITNESS_DIR``, its key opened with ``$REGISTRY_PASSPHRASE``.

    What `registry witness serve` runs in its worker (granian imports this factory).
    """
    folder = WitnessFolder(Path(os.environ.get(WITNESS_DIR_VARIABLE, DEFAULT_WITNESS_DIR)))
    witness = folder.open(os.environ.get(PASSPHRASE_VARIABLE, ""))
    return create_witness_app(witness, folder.evidence)
