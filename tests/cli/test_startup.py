"""What a start checks and says, piece by piece (the processes are in test_serve.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from registry.cli.startup import check_port_free, hold_data_dir, start_report
from registry.config import Settings


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English unless a test asks for Indonesian."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port a plain socket listens on (no SO_REUSEPORT) while the test runs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port: int = listener.getsockname()[1]
        yield port


def test_listening_port_is_refused_in_one_line_naming_it(busy_port: int) -> None:
    port = busy_port
    with pytest.raises(click.ClickException) as refused:
        check_port_free("127.0.0.1", port)
    text = refused.value.format_message()
    assert "\n" not in text
    assert f"port {port} on 127.0.0.1 is already in use" in text


def test_port_of_a_stopped_server_is_free_again() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
    check_port_free("127.0.0.1", port)


def test_address_not_on_this_machine_is_refused() -> None:
    with pytest.raises(click.ClickException) as refused:
        check_port_free("192.0.2.1", 8000)  # TEST-NET-1: never a local address
    assert refused.value.format_message().startswith("cannot listen on 192.0.2.1 port 8000")


def test_unknown_host_is_refused() -> None:
    with pytest.raises(click.ClickException) as refused:
        check_port_free("no-such-host.invalid", 8000)
    assert "check --host" in refused.value.format_message()


def test_busy_port_is_said_in_indonesian_when_asked(
    busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "id_ID.UTF-8")
    port = busy_port
    with pytest.raises(click.ClickException) as refused:
        check_port_free("127.0.0.1", port)
    assert f"port {port} di 127.0.0.1 sudah dipakai" in refused.value.format_message()


def test_data_folder_is_held_once(tmp_path: Path) -> None:
    with hold_data_dir(tmp_path / "data") as held:
        assert held == (tmp_path / "data").resolve()
        with pytest.raises(click.ClickException) as refused, hold_data_dir(tmp_path / "data"):
            pass
        assert str(held) in refused.value.format_message()
    with hold_data_dir(tmp_path / "data"):  # free again once the first let go
        pass


def test_report_names_the_registry_and_its_url(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}", origin="pakta.example", port=8123
    )
    lines = start_report(settings, tmp_path / "data", created=True)
    assert lines[0].startswith(f"NEW REGISTRY: new operator keys were made in {tmp_path / 'data'}")
    assert lines[1:] == [
        "origin (the name checkpoints and receipts are signed under): pakta.example",
        f"database: {tmp_path / 'r.sqlite3'}",
        f"operator keys: {tmp_path / 'data'}",
        "open http://127.0.0.1:8123/ (QR codes and certificates link here; "
        "set REGISTRY_BASE_URL to change it)",
    ]


def test_report_hides_a_postgres_password() -> None:
    settings = Settings(database_url="postgresql+asyncpg://registry:rahasia@db/pakta")
    (database,) = [
        line for line in start_report(settings, Path("d"), created=False) if "database" in line
    ]
    assert "rahasia" not in database
    assert "registry:***@db/pakta" in database


def test_report_on_every_address_says_which_name_links_use(tmp_path: Path) -> None:
    settings = Settings(host="0.0.0.0", port=8000)
    lines = start_report(settings, tmp_path, created=False)
    name = socket.gethostname()
    assert f"open http://{name}:8000/ " in lines[-2]
    assert lines[-1].startswith(
        f"listening on every address (0.0.0.0): links use this machine's name, http://{name}:8000"
    )
    assert "REGISTRY_BASE_URL" in lines[-1]
    with_base = Settings(host="0.0.0.0", base_url="https://pakta.example.go.id")
    assert start_report(with_base, tmp_path, created=False)[-1].startswith(
        "open https://pakta.example.go.id/ "
    )
