"""The signing portal: ``/portal``, where a PPK or ASN signs a pact or declaration in a browser.

The page lists the elections and the templates published in the log (records
of type ``template``, signed by an admin), shows the chosen template's text,
and lets the signer sign with a key the registry holds for them (custodial:
their kid and passphrase, sent to ``POST /sign`` by ``web/static/portal.js``).
The browser computes the template hash itself from the text it shows, so what
is signed cites exactly the text the signer read.  The answer links the record
page, its QR and its certificate at once.

Like the verify pages: Bahasa Indonesia first, English with ``?lang=en``; no
inline script (the page data travels as JSON in the page, read by the script).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from registry.api.deps import Service
from registry.api.rendering import WIB, page_language, render_page
from registry.records.service import RegistryService

MAX_TEMPLATES = 200
"""Templates the portal offers (the newest first); a registry publishes a handful."""


async def published_templates(service: RegistryService) -> list[dict[str, Any]]:
    """The templates in the log that still stand, newest first: index, kind, title, text, hash.

    ``sha256`` is SHA-256 of the UTF-8 text, in hex, as a pact or declaration cites it.
    """
    total = (await service.search(type="template", limit=1))[1]
    records, _ = await service.search(
        type="template", limit=MAX_TEMPLATES, offset=max(0, total - MAX_TEMPLATES)
    )
    found = []
    for record in reversed(records):
        if record.idx >= service.size or service.revocation_of(record.idx) is not None:
            continue
        payload = json.loads(record.payload_json)
        text = str(payload.get("text", ""))
        found.append(
            {
                "index": record.idx,
                "kind": payload.get("kind"),
                "title": payload.get("title", ""),
                "language": payload.get("language", "id"),
                "text": text,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    return found


async def registered_elections(service: RegistryService) -> list[str]:
    """The names of the elections the log registers and still stand, latest voting day first:
    the only ones a pact or declaration may cite."""
    records, _ = await service.search(type="election", limit=MAX_TEMPLATES)
    days: dict[str, str] = {}
    for record in records:
        if record.idx >= service.size or service.revocation_of(record.idx) is not None:
            continue
        payload = json.loads(record.payload_json)
        days.setdefault(str(payload.get("name")), str(payload.get("voting_day")))
    return sorted(days, key=lambda name: (days[name], name), reverse=True)


class PortalController(Controller):
    """The signing portal page."""

    path = "/portal"
    include_in_schema = False

    @get("/", summary="Sign a pact or declaration in the browser")
    async def portal(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        lang: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The portal: choose election and template, read the text, sign, get the record."""
        chosen = page_language(request, lang)
        templates = await published_templates(service)
        elections = await registered_elections(service)
        today = dt.datetime.now(WIB).date().isoformat()
        return render_page(
            request,
            service,
            "portal.html",
            chosen,
            200,
            page="portal",
            page_data={"templates": templates, "today": today},
            templates=templates,
            elections=elections,
            today=today,
        )
