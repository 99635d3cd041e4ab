"""Benchmark the Merkle log: appends and proofs, against pymerkle and bare SHA-256.

    python bench/bench_merkle.py [--leaves N] [--proofs K] [--rounds R]

Measured in one run on one machine, so the ratios compare like with like:

- the bare SHA-256 rate as "two SHA-256 per leaf": SHA-256(0x00 ‖ 32-byte
  leaf) and SHA-256(0x01 ‖ 64 bytes), the least any RFC 9162 log can do;
- ``MerkleTree.append`` one leaf at a time, and ``MerkleTree.extend`` in
  batches of 1,000 (the sequencer's group commit), each including the caller's
  leaf hash;
- pymerkle 7 ``InmemoryTree.append_entry`` on the same leaves (it hashes
  them itself);
- inclusion and consistency proofs for the same random (index, size) and
  (old, new) pairs, sizes anywhere up to N, in both trees.

Rates are the best of ``--rounds`` runs (pymerkle's 1M appends run once: they
take most of the time).  Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymerkle import InmemoryTree

from registry.log.tree import MerkleTree
from registry.verify.merkle import verify_consistency, verify_inclusion

BATCH = 1000
Pairs = list[tuple[int, int]]
GOAL_APPEND_VS_PYMERKLE = 5.0
GOAL_APPEND_VS_SHA = 0.5
GOAL_PROOF_VS_PYMERKLE = 10.0


def _timed(run: Callable[[], object]) -> float:
    """Seconds ``run`` takes, with the garbage collector off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _two_sha256_per_leaf(leaves: list[bytes]) -> None:
    sha256 = hashlib.sha256
    for leaf in leaves:
        h = sha256(b"\x00" + leaf).digest()
        sha256(b"\x01" + h + leaf).digest()


def _append(leaves: list[bytes]) -> MerkleTree:
    sha256 = hashlib.sha256
    tree = MerkleTree()
    append = tree.append
    for leaf in leaves:
        append(sha256(b"\x00" + leaf).digest())
    return tree


def _extend(leaves: list[bytes]) -> MerkleTree:
    sha256 = hashlib.sha256
    tree = MerkleTree()
    for start in range(0, len(leaves), BATCH):
        tree.extend([sha256(b"\x00" + leaf).digest() for leaf in leaves[start : start + BATCH]])
    return tree


def _pymerkle(leaves: list[bytes]) -> InmemoryTree:
    tree = InmemoryTree()
    append = tree.append_entry
    for leaf in leaves:
        append(leaf)
    return tree


def _machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def _verdict(ratio: float, goal: float) -> str:
    return f"{ratio:6.2f}x  (goal >= {goal}x: {'met' if ratio >= goal else 'NOT met'})"


def _per_proof(prove: Callable[[int, int], object], pairs: list[tuple[int, int]]) -> float:
    """Mean seconds per proof over ``pairs``; each proof is dropped as soon as it is made."""

    def run() -> None:
        for a, b in pairs:
            prove(a, b)

    return _timed(run) / len(pairs)


def _random_pairs(rng: random.Random, n: int, count: int) -> tuple[Pairs, Pairs]:
    """``count`` random (index, size) and ``count`` random (old size, new size), sizes 1..n."""
    inclusion = [(rng.randrange(s), s) for s in (rng.randint(1, n) for _ in range(count))]
    consistency = [(rng.randint(1, s), s) for s in (rng.randint(1, n) for _ in range(count))]
    return inclusion, consistency


def _proofs(
    tree: MerkleTree, pm_tree: InmemoryTree, args: argparse.Namespace, rng: random.Random
) -> tuple[dict[str, float], Pairs, Pairs]:
    """Mean seconds per proof for each contender, best of the rounds.

    Every round draws new pairs (so no contender gains from a cache warmed
    by an earlier round), and within it the contenders run in turn on the
    same pairs (so a busy moment on the machine favours neither); pymerkle
    gets the first ``--pymerkle-proofs`` of them.
    """
    k = min(args.pymerkle_proofs, args.proofs)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        inclusion, consistency = _random_pairs(rng, args.leaves, args.proofs)
        for name, prove, pairs in (
            ("ours inclusion", tree.inclusion_proof, inclusion),
            ("pymerkle inclusion", lambda i, s: pm_tree.prove_inclusion(i + 1, s), inclusion[:k]),
            ("ours consistency", tree.consistency_proof, consistency),
            ("pymerkle consistency", pm_tree.prove_consistency, consistency[:k]),
        ):
            best[name] = min(best.get(name, float("inf")), _per_proof(prove, pairs))
    return best, inclusion, consistency


def _appends(leaves: list[bytes], rounds: int) -> tuple[dict[str, float], MerkleTree, InmemoryTree]:
    """Leaves per second for each appender, and the trees they built."""
    n = len(leaves)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, run in (
            ("sha", lambda: _two_sha256_per_leaf(leaves)),
            ("append", lambda: _append(leaves)),
            ("extend", lambda: _extend(leaves)),
        ):
            best[name] = min(best.get(name, float("inf")), _timed(run))
    built: list[InmemoryTree] = []
    best["pymerkle"] = _timed(lambda: built.append(_pymerkle(leaves)))
    tree = _extend(leaves)
    if tree.root() != built[0].get_root():
        raise SystemExit("roots differ between registry and pymerkle: benchmark is meaningless")
    return {name: n / seconds for name, seconds in best.items()}, tree, built[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=20_000, help="random pairs per proof kind")
    parser.add_argument("--pymerkle-proofs", type=int, default=2_000, help="the first K of them")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=9162)
    args = parser.parse_args()
    n, rounds = args.leaves, args.rounds

    print(f"Merkle log benchmark: {n:,} leaves; {_machine()}")
    rng = random.Random(args.seed)
    leaves = [rng.randbytes(32) for _ in range(n)]
    rate, tree, pm_tree = _appends(leaves, rounds)

    print(f"\nAppends (leaves per second, leaf hash included; best of {rounds} rounds)")
    print(f"  two SHA-256 per leaf (bare hashlib)  {rate['sha']:>12,.0f}")
    for name, label in (("append", "MerkleTree.append"), ("extend", f"MerkleTree.extend x{BATCH}")):
        print(f"  {label:<36} {rate[name]:>12,.0f}")
        vs_sha = _verdict(rate[name] / rate["sha"], GOAL_APPEND_VS_SHA)
        vs_pymerkle = _verdict(rate[name] / rate["pymerkle"], GOAL_APPEND_VS_PYMERKLE)
        print(f"    vs two SHA-256 per leaf            {vs_sha}")
        print(f"    vs pymerkle append_entry           {vs_pymerkle}")
    print(f"  pymerkle 7 InmemoryTree.append_entry {rate['pymerkle']:>12,.0f}  (one round)")

    best, inclusion, consistency = _proofs(tree, pm_tree, args, rng)
    for index, size in inclusion[:200]:
        leaf = hashlib.sha256(b"\x00" + leaves[index]).digest()
        proof = tree.inclusion_proof(index, size)
        verify_inclusion(index, size, leaf, proof, tree.root(size)).raise_for_failure()
    for old, new in consistency[:200]:
        proof = tree.consistency_proof(old, new)
        verify_consistency(old, new, tree.root(old), tree.root(new), proof).raise_for_failure()

    k = min(args.pymerkle_proofs, args.proofs)
    print(f"\nProofs at {n:,} leaves (random pairs, sizes up to {n:,}; mean, best of {rounds})")
    print(f"  {'':<12}{f'ours ({args.proofs:,})':>16}{f'pymerkle ({k:,})':>18}")
    for kind in ("inclusion", "consistency"):
        ours, theirs = best[f"ours {kind}"], best[f"pymerkle {kind}"]
        ratio = _verdict(theirs / ours, GOAL_PROOF_VS_PYMERKLE)
        print(f"  {kind:<12}{ours * 1e6:>13.1f} us{theirs * 1e6:>15.1f} us   {ratio}")
    print("\n(200 of our proofs of each kind were checked with registry.verify.merkle.)")


if __name__ == "__main__":
    main()
