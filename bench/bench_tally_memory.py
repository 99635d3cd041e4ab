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

With ``--parts``, each part of the decoded tally (its attributes, and theirs one level
down) is printed with the bytes of the objects it reaches: which part grows with what.

Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from array import array
from typing import Any

import bench_compliance as fabricated

from registry.compliance import tally_bytes
from registry.compliance.kept import Members
from registry.compliance.tally import NationalTally


def reached(obj: object, seen: set[int]) -> int:
    """The bytes of the objects ``obj`` reaches (containers, instances, slots) not in
    ``seen`` (each counted once)."""
    total = 0
    stack = [obj]
    while stack:
        x = stack.pop()
        if id(x) in seen or isinstance(x, type):
            continue
        seen.add(id(x))
        total += sys.getsizeof(x)
        if isinstance(x, dict):
            stack += [*x.keys(), *x.values()]
        elif isinstance(x, list | tuple | set | frozenset):
            stack += list(x)
        elif not isinstance(x, str | bytes | int | float | array | bool) and x is not None:
            stack += list(_attributes(x).values())
    return total


def _attributes(obj: object) -> dict[str, Any]:
    found = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            found[name] = getattr(obj, name)
    return found


def parts(obj: object, indent: str = "  ", depth: int = 2) -> None:
    """Print each attribute of ``obj`` of more than 0.5 MB, largest first, and theirs."""
    sized = sorted(
        ((reached(value, set()), name, value) for name, value in _attributes(obj).items()),
        key=lambda found: -found[0],
    )
    for size, name, value in sized:
        if size < 500_000:
            break
        print(f"{indent}{name}: {size / 1e6:.1f} MB ({type(value).__name__})")
        if depth > 1 and not isinstance(value, dict | list | set | array):
            parts(value, indent + "  ", depth - 1)


def measure(size: int, show_parts: bool = False) -> None:
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
    if show_parts:
        parts(tally)
    del tally, figures, lists
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--parts", action="store_true", help="print what each part holds")
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.parts)


if __name__ == "__main__":
    main()
