"""C2SP tlog-tiles: tile paths, tile bytes and entry bundles.

A tile at level L is 256 consecutive hashes of tree level 8*L (each the
root of 256**L leaves); ``tile/<L>/<N>`` is the N-th such run and
``tile/<L>/<N>.p/<W>`` its first W hashes while the tree has not filled it.
``tile/entries/<N>[.p/<W>]`` holds the leaves those level-0 hashes are made
from, each behind its 2-byte big-endian length.  N is written in groups of
three digits, all but the last prefixed with ``x`` (1234067 is
``x001/x234/067``).  Paths parse strictly: one resource has one path.

See https://c2sp.org/tlog-tiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from registry.log.tree import MerkleTree
from registry.verify.merkle import HASH_SIZE

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF

_NUMBER = re.compile(r"0|[1-9][0-9]*")
_GROUP = re.compile(r"[0-9]{3}")


class TilePathError(ValueError):
    """A tile or entry-bundle path that does not follow C2SP tlog-tiles."""


class TileRequestError(ValueError):
    """A tile the tree cannot serve (not reached yet), or bytes that are not a valid tile."""


class EntryBundleError(ValueError):
    """Entries that cannot go in a bundle, or bytes that are not a valid bundle."""


@dataclass(frozen=True)
class Tile:
    """The Merkle tree tile at ``level``, ``index``, ``width`` hashes wide (256 when full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        _check_coordinates(self.index, self.width)
        if not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"tile level {self.level} is outside 0..{MAX_LEVEL}")

    @property
    def is_partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path, ``tile/<L>/<N>[.p/<W>]``."""
        return f"tile/{self.level}/{_encode(self.index, self.width)}"


@dataclass(frozen=True)
class EntryBundle:
    """The bundle of leaves behind level-0 tile ``index``, ``width`` entries long."""

    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        _check_coordinates(self.index, self.width)

    @property
    def is_partial(self) -> bool:
        """Whether the bundle holds fewer than 256 entries."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The bundle's path, ``tile/entries/<N>[.p/<W>]``."""
        return f"tile/entries/{_encode(self.index, self.width)}"


def encode_index(index: int) -> str:
    """Write a tile index as C2SP path elements: 3-digit groups, ``x`` before all but the last."""
    if index < 0:
        raise TilePathError(f"tile index {index} is negative")
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def parse_path(path: str) -> Tile | EntryBundle:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (a leading ``/`` is allowed).

    Refuses, with :class:`TilePathError` saying why, anything but the one
    canonical spelling: leading zeros, empty or extra elements, a level over
    63, a width outside 1..255, a full tile written with ``.p/256``.
    """
    parts = (path[1:] if path.startswith("/") else path).split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"{path!r} is not tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")
    kind, rest = parts[1], parts[2:]
    width = TILE_WIDTH
    if rest[-1].isdigit() and len(rest) >= 2 and rest[-2].endswith(".p"):
        width = _parse_number(rest[-1], "tile width")
        if not 1 <= width < TILE_WIDTH:
            raise TilePathError(f"partial tile width {width} is outside 1..{TILE_WIDTH - 1}")
        rest = [*rest[:-2], rest[-2][:-2]]
    index = _parse_index(rest, path)
    if kind == "entries":
        return EntryBundle(index, width)
    level = _parse_number(kind, "tile level")
    if level > MAX_LEVEL:
        raise TilePathError(f"tile level {level} is over {MAX_LEVEL}")
    return Tile(level, index, width)


def tile_bytes(tree: MerkleTree, tile: Tile) -> bytes:
    """Return the tile's contents: ``tile.width`` concatenated 32-byte hashes from the tree.

    Read from the stored nodes at tree level 8 * ``tile.level``.  Raises
    :class:`TileRequestError` if the tree has not grown far enough to hold them.
    """
    start = tile.index * TILE_WIDTH
    if (start + tile.width) << (TILE_HEIGHT * tile.level) > tree.size:
        raise TileRequestError(
            f"{tile.path} needs {(start + tile.width) << (TILE_HEIGHT * tile.level)} leaves, "
            f"the tree has {tree.size}"
        )
    return tree.nodes(TILE_HEIGHT * tile.level, start, tile.width)


def split_tile(data: bytes, tile: Tile) -> list[bytes]:
    """Split a tile's bytes into its hashes; a wrong length raises :class:`TileRequestError`."""
    if len(data) != tile.width * HASH_SIZE:
        raise TileRequestError(
            f"{tile.path} must be {tile.width * HASH_SIZE} bytes, got {len(data)}"
        )
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


def tiles_for(old_size: int, new_size: int) -> Iterator[Tile]:
    """Yield the tiles that growing the tree from ``old_size`` to ``new_size`` leaves changes.

    New or widened tiles, each at its width at ``new_size``, level by level; ``tiles_for(0, s)``
    lists every tile of a tree of ``s`` leaves.  For 70,000 leaves that is 273
    full level-0 tiles, one of width 112, a full level-1 tile, one of width 17
    and a level-2 tile of width 1 (the example in the specification).
    """
    if not 0 <= old_size <= new_size:
        raise TileRequestError(f"sizes {old_size} -> {new_size} do not grow the tree")
    level = 0
    while True:
        shift = TILE_HEIGHT * level
        old_count, new_count = old_size >> shift, new_size >> shift
        if new_count == old_count:
            return
        for index in range(old_count // TILE_WIDTH, (new_count - 1) // TILE_WIDTH + 1):
            yield Tile(level, index, min(TILE_WIDTH, new_count - index * TILE_WIDTH))
        level += 1


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Encode 1 to 256 entries as a bundle, each prefixed with its 2-byte big-endian length.

    Raises :class:`EntryBundleError` for no entries, more than 256, or an
    entry of 65,536 bytes or more.
    """
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise EntryBundleError(f"a bundle holds 1 to {TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryBundleError(
                f"entry {position} is {len(entry)} bytes, over the {MAX_ENTRY_SIZE}-byte limit"
            )
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """Split a bundle into its entries; refuse truncated data and a count other than ``width``.

    Raises :class:`EntryBundleError` saying which entry is cut short, or how
    many entries were found when that is not ``width`` (if given) or not 1..256.
    """
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise EntryBundleError(f"entry {len(entries)}: length cut short at byte {offset}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise EntryBundleError(
                f"entry {len(entries)}: {length} bytes announced, {len(data) - offset} left"
            )
        entries.append(bytes(data[offset : offset + length]))
        offset += length
    if width is not None and len(entries) != width:
        raise EntryBundleError(f"bundle holds {len(entries)} entries, expected {width}")
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise EntryBundleError(f"bundle holds {len(entries)} entries, expected 1 to {TILE_WIDTH}")
    return entries


def _encode(index: int, width: int) -> str:
    """The ``<N>[.p/<W>]`` part of a path."""
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return encode_index(index) + suffix


def _check_coordinates(index: int, width: int) -> None:
    """Refuse a negative index or a width outside 1..256."""
    if index < 0:
        raise TilePathError(f"tile index {index} is negative")
    if not 1 <= width <= TILE_WIDTH:
        raise TilePathError(f"tile width {width} is outside 1..{TILE_WIDTH}")


def _parse_number(text: str, what: str) -> int:
    """A decimal with no sign and no leading zeros."""
    if not _NUMBER.fullmatch(text):
        raise TilePathError(f"{what} {text!r} is not a decimal without leading zeros")
    return int(text)


def _parse_index(elements: list[str], path: str) -> int:
    """The tile index from its ``x``-prefixed 3-digit groups, refusing non-canonical spellings."""
    *high, last = elements
    if not _GROUP.fullmatch(last) or any(
        not (e.startswith("x") and _GROUP.fullmatch(e[1:])) for e in high
    ):
        raise TilePathError(
            f"{path!r}: tile index must be 3-digit groups, all but the last prefixed with 'x'"
        )
    if high and high[0] == "x000":
        raise TilePathError(f"{path!r}: tile index has a leading group of zeros")
    return int("".join(e.lstrip("x") for e in [*high, last]))
