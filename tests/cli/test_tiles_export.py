"""`registry tiles export DIR`: the log as static files, the same bytes the server serves.

A registry of 262 entries (one full tile and bundle, partial ones after) is
exported, every file compared with the HTTP endpoint at the same path, the
folder audited offline, then the log grown past a second full tile and
exported again: the full files already written are kept, not rewritten.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from litestar.testing import TestClient
from sqlalchemy import update

from registry.api.app import create_app
from registry.cli import main
from registry.config import Settings, settings_environment
from registry.records.operator import OperatorKeys, create_keys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.tables import ENTRIES
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import cited_statements, fixed_key
from tests.records.test_tampering import edit

PRELUDE = 4
"""Entries before the first pact: the admin, a PPK, and the template and election pacts cite."""
FIRST = 258
"""Pacts registered first: 262 entries, one full tile and bundle and the partial ones."""
MORE = 256
"""Pacts added before the second export: a second full tile, a new partial one."""


def grow(settings: Settings, operator: OperatorKeys, pacts: range) -> None:
    """Register the admin, a PPK and what a pact cites (if the log is empty), then ``pacts``."""

    async def run() -> None:
        service = await RegistryService.open(settings, operator)
        try:
            ppk = CoseSigner(fixed_key("ppk-ubin"))
            if service.size == 0:
                admin = operator.admin
                first = enrolment(
                    admin.public_key, "admin", term_start="2000-01-01", term_end="2099-12-31"
                )
                first = {k: v for k, v in first.items() if v is not None}
                await service.register(admin.sign_statement(first, "op", NOW_S))
                await service.register(
                    admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
                )
                for cited in cited_statements(admin, issued_at=NOW_S):
                    await service.register(cited)
            statements = [ppk.sign_statement(pact(place=f"Ubin {n}"), "ppk", NOW_S) for n in pacts]
            await asyncio.gather(*(service.register(s) for s in statements))
        finally:
            await service.close()

    asyncio.run(run())


def cli(settings: Settings, *args: str) -> Result:
    env = {**settings_environment(settings), "LANG": "C.UTF-8"}
    return CliRunner().invoke(main, list(args), env=env)


def files(folder: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(folder)): p
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def same_as_served(settings: Settings, operator: OperatorKeys, folder: Path) -> None:
    exported = files(folder)
    with TestClient(create_app(settings, operator)) as client:
        served = client.get("/checkpoint")
        assert served.status_code == 200
        assert exported.pop("checkpoint").read_bytes() == served.content
        tiles = {name: path for name, path in exported.items() if name.startswith("tile/")}
        assert tiles
        for name, path in tiles.items():
            answer = client.get("/" + name)
            assert answer.status_code == 200, name
            assert path.read_bytes() == answer.content, name


def test_exported_tiles_are_the_served_bytes_audit_clean_and_grow_incrementally(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    folder = tmp_path / "tiles"
    grow(settings, operator, range(FIRST))
    result = cli(settings, "tiles", "export", str(folder))
    assert result.exit_code == 0, result.output
    assert f"{FIRST + PRELUDE} entries exported" in result.output
    names = set(files(folder))
    assert {"tile/0/000", "tile/entries/000", "statements/000", "checkpoint"} <= names
    assert {"tile/0/001.p/6", "tile/entries/001.p/6", "tile/1/000.p/1"} <= names
    same_as_served(settings, operator, folder)
    key = operator.note.verifier_key_string
    audited = cli(settings, "audit", str(folder), "--key", key)
    assert audited.exit_code == 0, audited.output
    assert f"audit clean: {FIRST + PRELUDE} entries" in audited.output

    full = [folder / "tile/0/000", folder / "tile/entries/000", folder / "statements/000"]
    before = [p.stat().st_ino for p in full]
    grow(settings, operator, range(FIRST, FIRST + MORE))
    result = cli(settings, "tiles", "export", str(folder))
    assert result.exit_code == 0, result.output
    size = FIRST + MORE + PRELUDE
    assert f"{size} entries exported" in result.output
    assert [p.stat().st_ino for p in full] == before  # kept, not written again
    assert {"tile/0/001", "tile/entries/001", "tile/0/002.p/6", "tile/1/000.p/2"} <= set(
        files(folder)
    )
    same_as_served(settings, operator, folder)
    audited = cli(settings, "audit", str(folder), "--key", key)
    assert audited.exit_code == 0, audited.output
    assert f"audit clean: {size} entries" in audited.output


def test_a_leaf_hash_edited_in_the_database_is_not_exported(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    folder = tmp_path / "tiles"
    grow(settings, operator, range(3))
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 3).values(leaf_hash=bytes(32)))
    result = cli(settings, "tiles", "export", str(folder))
    assert result.exit_code == 1, result.output
    assert "not to the root" in result.output
    assert not (folder / "checkpoint").exists()


def test_an_empty_log_exports_nothing(settings: Settings, tmp_path: Path) -> None:
    create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    result = cli(settings, "tiles", "export", str(tmp_path / "tiles"))
    assert result.exit_code == 0, result.output
    assert "0 entries exported" in result.output
    assert not (tmp_path / "tiles" / "checkpoint").exists()
