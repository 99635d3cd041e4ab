"""What a pin write costs, against the disk's own floor, in one run on one disk.

    python bench/bench_pin.py [--writes 200] [--rounds 5] [--dir DIR]

The sequencer pins each committed batch's checkpoint before anyone sees the batch
(``registry/log/pin.py``).  Three writes of the same signed note are timed, in
rounds that alternate (so the load of a shared machine falls on all three alike),
``--writes`` of each a round, in a fresh directory under ``--dir`` (default: the
system's temporary directory; give the data directory's disk to measure that):

- *floor*: ``os.pwrite`` of 4 KiB at offset 0 of a 4 KiB file kept open, then
  ``os.fdatasync`` -- the least a durable write costs on this disk;
- *two slots*: ``CheckpointPin.write`` (the pin now: ``pwrite`` into the slot not
  holding the newest checkpoint, one ``fdatasync``);
- *replace*: the previous release's write (a temporary file, write, ``fsync``,
  ``os.replace``, ``fsync`` of the directory), reproduced here as it was.

It prints, for each, the median over rounds of the wall time and of the process's
CPU time a write, and the ratios to the floor and between the two pins.  Figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.log.checkpoint import sign_checkpoint
from registry.log.pin import CheckpointPin, pin_path
from registry.log.tree import MerkleTree
from registry.signing.keys import generate_key
from registry.signing.note import NoteSigner

ORIGIN = "bench.example/log"


def replace_write(path: Path, note: str) -> None:
    """The previous release's ``CheckpointPin.write``: temporary file, fsync, rename, fsync
    of the directory."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(note.encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def timed(write: Callable[[int], None], count: int) -> tuple[float, float]:
    """Wall and CPU seconds a call of ``write``, over ``count`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        write(n)
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()

    signer = NoteSigner(generate_key(), ORIGIN)
    tree = MerkleTree()
    tree.extend([os.urandom(32) for _ in range(1000)])
    notes = [sign_checkpoint(signer, ORIGIN, size, tree.root(size)) for size in (1, 1000)]

    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        directory = Path(scratch)
        (directory / "new").mkdir()
        (directory / "old").mkdir()
        pin = CheckpointPin(pin_path(directory / "new", ORIGIN), signer.verifier_key, ORIGIN)
        pin.write(notes[0])  # created (the one rename); every later write is in place
        old_path = pin_path(directory / "old", ORIGIN)
        floor_fd = os.open(directory / "floor", os.O_RDWR | os.O_CREAT, 0o600)
        block = os.urandom(4096)
        os.pwrite(floor_fd, block, 0)
        os.fsync(floor_fd)

        def floor(_: int) -> None:
            os.pwrite(floor_fd, block, 0)
            os.fdatasync(floor_fd)

        def two_slots(_: int) -> None:
            pin.write(notes[-1])

        def replace(_: int) -> None:
            replace_write(old_path, notes[-1])

        kinds = {"floor": floor, "two slots": two_slots, "replace": replace}
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in kinds}
        for _ in range(args.rounds):
            for name, write in kinds.items():
                results[name].append(timed(write, args.writes))
        os.close(floor_fd)
        pin.close()

    median = {
        name: (
            statistics.median(wall for wall, _ in runs),
            statistics.median(cpu for _, cpu in runs),
        )
        for name, runs in results.items()
    }
    print(
        f"{args.rounds} rounds of {args.writes} writes each, in {args.dir or tempfile.gettempdir()}"
    )
    print(f"{'write':<10} {'wall µs':>9} {'CPU µs':>8} {'wall/floor':>11}")
    for name, (wall, cpu) in median.items():
        print(f"{name:<10} {wall * 1e6:9.0f} {cpu * 1e6:8.0f} {wall / median['floor'][0]:11.2f}")
    saved = median["replace"][0] / median["two slots"][0]
    print(f"replace / two slots (wall): {saved:.2f}")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
