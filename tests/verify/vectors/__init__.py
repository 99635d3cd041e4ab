"""The shared verification cases: valid items and named mutations, for both verifiers.

Each case is one JSON file under ``tests/vectors/verify/<group>/<mutation>.json``
(docs/verify.md, "Shared cases"): what to verify, the trust material it needs,
and the verdict both ``registry/verify`` and ``web/static/verify.js`` must
reach (``ok``, or the reason code of the refusal).  Everything comes from
fixed keys and dates, so the files never change unless this generator does;
``tests/verify/test_shared_cases.py`` regenerates them and compares the bytes
(as python-tuf does with its test metadata).  After changing a case::

    python -m tests.verify.vectors     # rewrites tests/vectors/verify/

One module per kind of item (statements, receipts, checkpoints, QR codes,
proofs), all made of :mod:`tests.verify.vectors.material`.
"""

from __future__ import annotations

import shutil

from tests.verify.vectors.checkpoints import checkpoint_cases
from tests.verify.vectors.material import FOLDER, OK, Case
from tests.verify.vectors.proofs import consistency_cases, inclusion_cases
from tests.verify.vectors.qr import link_cases, offline_cases
from tests.verify.vectors.receipts import receipt_cases
from tests.verify.vectors.rotation import rotation_cases
from tests.verify.vectors.statements import statement_cases
from tests.verify.vectors.witnessed import witnessed_cases

__all__ = ["FOLDER", "OK", "Case", "all_cases", "files", "main"]


def all_cases() -> list[Case]:
    """Every case, each name once."""
    groups = (
        statement_cases,
        receipt_cases,
        checkpoint_cases,
        offline_cases,
        link_cases,
        inclusion_cases,
        consistency_cases,
        witnessed_cases,
        rotation_cases,
    )
    cases = [case for group in groups for case in group()]
    names = [case.name for case in cases]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ValueError(f"case names used twice: {sorted(duplicated)}")
    return cases


def files() -> dict[str, str]:
    """Each case file's path under :data:`FOLDER` and its text."""
    return {f"{case.name}.json": case.to_json() for case in all_cases()}


def main() -> None:
    """Rewrite :data:`FOLDER`'s case files (the README stays)."""
    for group in FOLDER.iterdir() if FOLDER.is_dir() else ():
        if group.is_dir():
            shutil.rmtree(group)
    for name, text in files().items():
        path = FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files())} cases to {FOLDER}")


if __name__ == "__main__":
    main()
