"""What the national tally holds in memory, and how much of it is the entries its figures list.

    python bench/bench_tally_memory.py --sizes 100000 1000000

For each size, the facts of that many synthetic entries (``bench_compliance.py``'s
fabrication, ``bench/gen_log.py``'s proportions) are indexed, the national tally is built
from the index and saved, and in the same run:

- the saved tally is decoded with tracemalloc on: the memory a worker holds for it;
- its figures (:class:`registry.compliance.kept.Members`) are counted: how many, how many
  list their entries, how many entries they list, and the bytes of those lists as kept
  (sorted arrays of 8-byte integers) against the same entries as Python sets of ints (what
  they were before stop 27) and against the floor, 8 bytes an entry.

Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc

import bench_compliance as fabricated

from registry.compliance import tally_bytes
from registry.compliance.kept import Members
from registry.compliance.tally import NationalTally


def measure(size: int) -> None:
    day = fabricated.today()
    facts, size = fabricated.fabricate(size)
    saved = fabricated.segments(facts, size)
    del facts
    index = fabricated.restore(saved)
    data = tally_bytes.encode(NationalTally.build(index, day))
    del index, saved
    gc.collect()
    tracemalloc.start()
    tally = tally_bytes.decode(data)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    figures = [o for o in gc.get_objects() if isinstance(o, Members)]
    lists = [m.entries for m in figures if m.entries is not None]
    listed = sum(len(e) for e in lists)
    as_kept = sum(sys.getsizeof(e) for e in lists)
    as_sets = sum(sys.getsizeof(set(e)) + sum(sys.getsizeof(i) for i in e) for e in lists)
    floor = 8 * listed
    print(f"{size:,} entries: tally saved {len(data) / 1e6:.1f} MB, held {held / 1e6:.1f} MB")
    print(f"  figures {len(figures):,}, listing entries {len(lists):,}, entries listed {listed:,}")
    print(
        f"  their lists as kept {as_kept / 1e6:.1f} MB ({as_kept / max(floor, 1):.2f} x the "
        f"8-byte floor); as sets of ints {as_sets / 1e6:.1f} MB "
        f"({as_sets / max(floor, 1):.2f} x the floor)"
    )
    del tally, figures, lists
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    for size in parser.parse_args().sizes:
        measure(size)


if __name__ == "__main__":
    main()
