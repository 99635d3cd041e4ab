"""How handlers reach the registry service and parse common inputs."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from registry.api.errors import invalid_parameter
from registry.records.registration import Registered
from registry.records.service import RegistryService

COSE = "application/cose"
CHECKPOINT = "text/plain; charset=utf-8"
TILE = "application/octet-stream"


def service_of(request: Request[Any, Any, Any]) -> RegistryService:
    """The service the app was started with."""
    service: RegistryService = request.app.state.service
    return service


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """Whether the client asked for JSON rather than CBOR/COSE."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and COSE not in accept


def registered_response(result: Registered) -> Response[bytes]:
    """The answer to a registration: 201 (200 if it was there) with the receipt and Location."""
    return Response(
        result.receipt,
        status_code=200 if result.existed else 201,
        media_type=COSE,
        headers={
            "Location": f"/entries/{result.index}",
            "X-Registry-Entry-Index": str(result.index),
        },
    )


def non_negative(name: str, value: int | None) -> int | None:
    """Refuse a negative query parameter with a problem naming it."""
    if value is not None and value < 0:
        raise invalid_parameter("parameter.negative", name=name)
    return value
