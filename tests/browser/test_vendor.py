"""The vendored browser libraries are the ones their README pins (SHA-256) and ship a licence."""

from __future__ import annotations

import hashlib
import re

import pytest

from registry.api import rendering

VENDOR = rendering.STATIC_DIR / "vendor"
PINNED = dict(
    re.findall(r"SHA-256 of `([^`]+)`: `([0-9a-f]{64})`", (VENDOR / "README.md").read_text())
)


def test_every_vendored_script_is_pinned() -> None:
    scripts = {p.name for p in VENDOR.glob("*.js")}
    assert scripts == set(PINNED), "a vendored script without a pinned hash, or a pin without file"


@pytest.mark.parametrize("name", sorted(PINNED))
def test_vendored_file_matches_its_pinned_sha256(name: str) -> None:
    assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == PINNED[name]


@pytest.mark.parametrize("licence", ["jsQR.LICENSE", "chart.js.LICENSE", "axe-core.LICENSE"])
def test_each_library_ships_its_licence(licence: str) -> None:
    assert (VENDOR / licence).stat().st_size > 500
