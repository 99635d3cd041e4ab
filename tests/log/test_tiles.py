"""registry.log.tiles: C2SP tlog-tiles paths, tiles and entry bundles."""

from __future__ import annotations

import pytest

from registry.log.tiles import (
    EntryBundle,
    EntryBundleError,
    Tile,
    TilePathError,
    TileRequestError,
    encode_entry_bundle,
    encode_index,
    parse_entry_bundle,
    parse_path,
    split_tile,
    tile_bytes,
    tiles_for,
)
from registry.log.tree import MerkleTree
from registry.verify.merkle import leaf_hash


def _leaves(n: int) -> list[bytes]:
    return [b"entry %d" % i for i in range(n)]


def _tree(n: int) -> MerkleTree:
    tree = MerkleTree()
    tree.extend([leaf_hash(e) for e in _leaves(n)])
    return tree


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_index_encoding(index: int, encoded: str) -> None:
    assert encode_index(index) == encoded
    assert parse_path(f"tile/0/{encoded}") == Tile(0, index)


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        ("tile/0/000", Tile(0, 0)),
        ("tile/0/x001/x234/067", Tile(0, 1234067)),
        ("tile/1/002.p/17", Tile(1, 2, 17)),
        ("tile/63/000.p/1", Tile(63, 0, 1)),
        ("tile/0/x001/234.p/255", Tile(0, 1234, 255)),
        ("tile/entries/000", EntryBundle(0)),
        ("tile/entries/x001/x234/067.p/112", EntryBundle(1234067, 112)),
        ("/tile/2/000.p/1", Tile(2, 0, 1)),
    ],
)
def test_paths_round_trip(path: str, parsed: Tile | EntryBundle) -> None:
    assert parse_path(path) == parsed
    assert parsed.path == path.lstrip("/")
    assert parsed.is_partial == (".p/" in path)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("tile/00/000", "leading zeros", id="level-leading-zero"),
        pytest.param("tile/64/000", "over 63", id="level-64"),
        pytest.param("tile/-1/000", "leading zeros", id="level-negative"),
        pytest.param("tile/a/000", "tile level", id="level-not-a-number"),
        pytest.param("tile/0/00", "3-digit groups", id="index-two-digits"),
        pytest.param("tile/0/0000", "3-digit groups", id="index-four-digits"),
        pytest.param("tile/0/001/000", "3-digit groups", id="index-group-without-x"),
        pytest.param("tile/0/x000/001", "leading group of zeros", id="index-leading-zero-group"),
        pytest.param("tile/0/x001", "3-digit groups", id="index-ends-with-x-group"),
        pytest.param("tile/0/000/", "3-digit groups", id="trailing-slash"),
        pytest.param("tile/0/000.p", "3-digit groups", id="partial-without-width"),
        pytest.param("tile/0/000.p/0", "outside 1..255", id="width-0"),
        pytest.param("tile/0/000.p/256", "outside 1..255", id="width-256"),
        pytest.param("tile/0/000.p/05", "leading zeros", id="width-leading-zero"),
        pytest.param("tile/0/000.p/1/2", "3-digit groups", id="width-extra-element"),
        pytest.param("tile/0/x001.p/1/000", "3-digit groups", id="partial-mark-mid-index"),
        pytest.param("tile/0", "is not tile", id="no-index"),
        pytest.param("tiles/0/000", "is not tile", id="wrong-prefix"),
        pytest.param("//tile/0/000", "is not tile", id="double-slash"),
        pytest.param("tile/entries/000.p/999", "outside 1..255", id="entries-width-999"),
        pytest.param("tile/0/\u0661\u0662\u0663", "3-digit groups", id="non-ascii-digits"),
    ],
)
def test_bad_paths_are_refused(path: str, message: str) -> None:
    with pytest.raises(TilePathError, match=message):
        parse_path(path)


def test_coordinates_are_checked() -> None:
    with pytest.raises(TilePathError, match="level 64"):
        Tile(64, 0)
    with pytest.raises(TilePathError, match="negative"):
        Tile(0, -1)
    with pytest.raises(TilePathError, match="width 0"):
        EntryBundle(0, 0)
    with pytest.raises(TilePathError, match="negative"):
        encode_index(-1)
    assert issubclass(TilePathError, ValueError)


def test_specification_example_of_70000_leaves() -> None:
    tiles = list(tiles_for(0, 70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert len(level0) == 274
    assert all(t.width == 256 for t in level0[:273])
    assert level0[-1] == Tile(0, 273, 112)
    assert [t for t in tiles if t.level > 0] == [Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]


def test_tree_of_256_leaves_has_a_partial_level_one_tile() -> None:
    assert list(tiles_for(0, 256)) == [Tile(0, 0), Tile(1, 0, 1)]


def test_tiles_for_growth_lists_only_new_or_widened_tiles() -> None:
    assert list(tiles_for(300, 300)) == []
    assert list(tiles_for(256, 300)) == [Tile(0, 1, 44)]
    assert list(tiles_for(250, 520)) == [
        Tile(0, 0),
        Tile(0, 1),
        Tile(0, 2, 8),
        Tile(1, 0, 2),
    ]
    with pytest.raises(TileRequestError):
        list(tiles_for(5, 4))


def test_tile_bytes_are_the_stored_hashes() -> None:
    n = 256 * 3 + 5
    tree = _tree(n)
    hashes = [leaf_hash(e) for e in _leaves(n)]
    assert tile_bytes(tree, Tile(0, 0)) == b"".join(hashes[:256])
    assert tile_bytes(tree, Tile(0, 3, 5)) == b"".join(hashes[768:])
    assert tile_bytes(tree, Tile(0, 1, 10)) == b"".join(hashes[256:266])
    level1 = tile_bytes(tree, Tile(1, 0, 3))
    assert split_tile(level1, Tile(1, 0, 3)) == [tree.node(8, i) for i in range(3)]
    # A level-1 hash is the root of a full level-0 tile: the tree of its 256 leaves.
    assert split_tile(level1, Tile(1, 0, 3))[1] == _subtree_root(hashes[256:512])


def _subtree_root(hashes: list[bytes]) -> bytes:
    tree = MerkleTree()
    tree.extend(hashes)
    return tree.root()


@pytest.mark.parametrize(
    "tile",
    [Tile(0, 3), Tile(0, 3, 6), Tile(0, 4, 1), Tile(1, 0, 4), Tile(2, 0, 1)],
    ids=lambda t: t.path,
)
def test_tiles_beyond_the_tree_are_refused(tile: Tile) -> None:
    with pytest.raises(TileRequestError, match="the tree has 773"):
        tile_bytes(_tree(773), tile)


def test_split_tile_refuses_a_wrong_length() -> None:
    with pytest.raises(TileRequestError, match="must be 96 bytes"):
        split_tile(bytes(95), Tile(0, 0, 3))


def test_entry_bundle_round_trip() -> None:
    entries = [b"", b"a", b"x" * 300, b"\x00" * 65535]
    data = encode_entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert data[5:7] == (300).to_bytes(2, "big")
    assert parse_entry_bundle(data) == entries
    assert parse_entry_bundle(data, width=4) == entries


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        pytest.param([], "1 to 256 entries, got 0", id="empty"),
        pytest.param([b"x"] * 257, "got 257", id="257-entries"),
        pytest.param([b"ok", b"x" * 65536], "entry 1 is 65536 bytes", id="entry-too-long"),
    ],
)
def test_bad_bundles_are_refused(entries: list[bytes], message: str) -> None:
    with pytest.raises(EntryBundleError, match=message):
        encode_entry_bundle(entries)


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        pytest.param(b"", None, "holds 0 entries", id="empty"),
        pytest.param(b"\x00", None, "length cut short", id="truncated-length"),
        pytest.param(b"\x00\x05abc", None, "5 bytes announced, 3 left", id="truncated-entry"),
        pytest.param(b"\x00\x01a\x00\x01b", 3, "holds 2 entries, expected 3", id="wrong-width"),
        pytest.param(b"\x00\x00" * 257, None, "holds 257 entries", id="257-entries"),
    ],
)
def test_bad_bundle_bytes_are_refused(data: bytes, width: int | None, message: str) -> None:
    with pytest.raises(EntryBundleError, match=message):
        parse_entry_bundle(data, width)


def test_entry_bundle_hashes_to_the_level_zero_tile() -> None:
    tree = _tree(300)
    entries = _leaves(300)[256:]
    bundle = parse_entry_bundle(encode_entry_bundle(entries), width=44)
    tile = split_tile(tile_bytes(tree, Tile(0, 1, 44)), Tile(0, 1, 44))
    assert [leaf_hash(e) for e in bundle] == tile
