"""`registry passphrase change`: the operator's keys re-sealed under a new passphrase, whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.config import INSECURE_DEFAULT_PASSPHRASE
from registry.records.operator import ADMIN_KEY_FILE, LOG_KEY_FILE, open_keys
from registry.signing.keys import WrongPassphrase, load_key

ORIGIN = "test.example/pakta"
KEY_FILES = (ADMIN_KEY_FILE, LOG_KEY_FILE)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A registry initialised under the public demo passphrase (no REGISTRY_ADMIN_PASSPHRASE)."""
    variables = {
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "REGISTRY_DATA_DIR": str(tmp_path / "data"),
        "REGISTRY_ORIGIN": ORIGIN,
        "LC_ALL": "C.UTF-8",
    }
    result = CliRunner().invoke(main, ["init"], env=variables)
    assert result.exit_code == 0, result.output
    return variables


def _change(env: dict[str, str], new: str | None, **more: str) -> tuple[int, str]:
    variables = dict(env, **more)
    if new is not None:
        variables["REGISTRY_NEW_ADMIN_PASSPHRASE"] = new
    result = CliRunner().invoke(main, ["passphrase", "change"], env=variables)
    return result.exit_code, result.output


def _files(env: dict[str, str]) -> dict[str, bytes]:
    data = Path(env["REGISTRY_DATA_DIR"])
    return {name: (data / name).read_bytes() for name in KEY_FILES}


def test_change_reseals_both_keys_under_the_new_passphrase(env: dict[str, str]) -> None:
    data = Path(env["REGISTRY_DATA_DIR"])
    before = open_keys(data, INSECURE_DEFAULT_PASSPHRASE, ORIGIN)
    code, output = _change(env, "a much longer secret")
    assert code == 0, output
    assert "now sealed under the new passphrase" in output
    after = open_keys(data, "a much longer secret", ORIGIN)
    # the same keys: the log's checkpoints and the admin's enrolment stay theirs
    assert after.admin.public_key == before.admin.public_key
    assert after.log.public_key == before.log.public_key
    for name in KEY_FILES:
        with pytest.raises(WrongPassphrase):
            load_key(data / name, INSECURE_DEFAULT_PASSPHRASE)
    assert sorted(p.name for p in data.iterdir() if p.name.endswith(".key")) == sorted(KEY_FILES)


def test_every_start_warns_until_the_passphrase_is_changed(env: dict[str, str]) -> None:
    for _ in range(2):
        again = CliRunner().invoke(main, ["init"], env=env)
        assert again.exit_code == 0
        assert "sealed under the PUBLIC demo passphrase" in again.output
    assert _change(env, "a much longer secret")[0] == 0
    changed = {**env, "REGISTRY_ADMIN_PASSPHRASE": "a much longer secret"}
    quiet = CliRunner().invoke(main, ["init"], env=changed)
    assert quiet.exit_code == 0, quiet.output
    assert "PUBLIC" not in quiet.output


def test_wrong_current_passphrase_changes_nothing(env: dict[str, str]) -> None:
    before = _files(env)
    code, output = _change(env, "a much longer secret", REGISTRY_ADMIN_PASSPHRASE="salah")
    assert code == 1
    assert "does not open the operator keys" in output
    assert "nothing was changed" in output
    assert _files(env) == before


@pytest.mark.parametrize(
    ("new", "message"),
    [(INSECURE_DEFAULT_PASSPHRASE, "public demo passphrase"), ("", "must not be empty")],
    ids=["new-is-the-public-demo-passphrase", "new-is-empty"],
)
def test_unsafe_new_passphrase_is_refused(env: dict[str, str], new: str, message: str) -> None:
    before = _files(env)
    code, output = _change(env, new)
    assert code == 1
    assert message in output
    assert _files(env) == before


def test_new_passphrase_from_a_file(env: dict[str, str], tmp_path: Path) -> None:
    secret = tmp_path / "new-passphrase"
    secret.write_text("from a file\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["passphrase", "change", "--new-passphrase-file", str(secret)], env=env
    )
    assert result.exit_code == 0, result.output
    open_keys(Path(env["REGISTRY_DATA_DIR"]), "from a file", ORIGIN)


def test_no_new_passphrase_and_no_terminal_is_refused(env: dict[str, str]) -> None:
    code, output = _change(env, None)
    assert code == 2
    assert "REGISTRY_NEW_ADMIN_PASSPHRASE" in output


def test_no_keys_in_the_folder_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _change(env, "a much longer secret", REGISTRY_DATA_DIR=str(tmp_path / "none"))
    assert code == 1
    assert f"no operator keys in {tmp_path / 'none'}" in output


def test_change_cut_short_between_the_files_is_finished_by_running_it_again(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk fills up after admin.key was replaced, before log.key was.
    data = Path(env["REGISTRY_DATA_DIR"])
    replace = Path.replace

    def fail_on_the_log_key(self: Path, target: Path) -> Path:
        if Path(target).name == LOG_KEY_FILE:
            raise OSError(28, "No space left on device")
        return replace(self, target)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "replace", fail_on_the_log_key)
        code, output = _change(env, "a much longer secret")
    assert code == 1
    assert "No space left on device" in output
    assert "run the change again to finish it" in output
    # each file is whole: one under the new passphrase, one still under the old
    load_key(data / ADMIN_KEY_FILE, "a much longer secret")
    load_key(data / LOG_KEY_FILE, INSECURE_DEFAULT_PASSPHRASE)
    for name in KEY_FILES:
        json.loads((data / name).read_text())

    code, output = _change(env, "a much longer secret")
    assert code == 0, output
    open_keys(data, "a much longer secret", ORIGIN)


def test_messages_speak_indonesian_when_asked(env: dict[str, str]) -> None:
    code, output = _change(env, INSECURE_DEFAULT_PASSPHRASE, LC_ALL="id_ID.UTF-8")
    assert code == 1
    assert "frasa sandi baru tidak boleh frasa sandi demo yang publik" in output
