"""A saved tally's bytes decoded with the garbage collector paused, and the collector left as
it was after (also when the bytes are refused)."""

from __future__ import annotations

import gc

import pytest

from registry.compliance import tally_bytes
from registry.compliance.tally import NationalTally
from tests.compliance.test_tally import DAYS


@pytest.mark.parametrize("enabled", [True, False])
def test_decoding_leaves_the_collector_as_it_was(enabled: bool) -> None:
    data = tally_bytes.encode(NationalTally(DAYS[0], 0))
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        assert tally_bytes.decode(data).day == DAYS[0]
        assert gc.isenabled() == enabled
        with pytest.raises(ValueError, match="not a saved tally"):
            tally_bytes.decode(b"\x00" + data)
        assert gc.isenabled() == enabled, "also after bytes that are no tally"
    finally:
        (gc.enable if was else gc.disable)()
