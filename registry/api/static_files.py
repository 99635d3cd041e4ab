"""The files under ``web/static`` the pages load: scripts, styles, images, the trust list.

:func:`static_file` finds a file by the name a request asks for, never
outside ``web/static`` and only of a type it serves (:data:`STATIC_TYPES`),
and keeps its bytes and ETag until the file changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from registry.api.rendering import STATIC_DIR

STATIC_TYPES = {  # Litestar adds "; charset=utf-8" to the text/ types
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".md": "text/plain",
    ".LICENSE": "text/plain",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class StaticFile:
    """A static file's bytes, media type and ETag."""

    body: bytes
    media_type: str
    etag: str


MAX_STATIC_NAME = 255
"""The longest file name under ``web/static`` asked for; a longer one is no file of ours."""


def static_file(name: str) -> StaticFile | None:
    """The file ``name`` under ``web/static`` (no way out of it), or ``None``.

    A name no file of ours has (too long, a NUL or another control character,
    one the file system refuses) is ``None`` too, never an error.
    """
    if len(name) > MAX_STATIC_NAME or any(c < " " or c == "\x7f" for c in name):
        return None
    try:
        path = (STATIC_DIR / name).resolve()
        if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    media_type = STATIC_TYPES.get(path.suffix)
    if media_type is None:
        return None
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size, media_type)


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int, size: int, media_type: str) -> StaticFile:
    """A static file's content, kept until the file changes (its mtime or size)."""
    body = path.read_bytes()
    return StaticFile(body, media_type, etag(body))


def etag(body: bytes) -> str:
    """The ETag of a file's ``body``: the first 128 bits of its SHA-256, in hex."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'
