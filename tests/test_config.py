"""Settings from REGISTRY_* variables and the config file."""

from __future__ import annotations

import socket
from dataclasses import fields, replace
from pathlib import Path

import pytest

from registry.config import (
    INSECURE_DEFAULT_PASSPHRASE,
    VARIABLES,
    ConfigError,
    Settings,
    describe,
    settings_environment,
)


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.database_url == "sqlite+aiosqlite:///registry.sqlite3"
    assert settings.origin == "localhost/pakta-integritas"
    assert settings.data_dir == Path("registry-data")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.base_url is None
    assert settings.public_url == "http://127.0.0.1:8000"
    assert (settings.batch_max, settings.batch_wait_ms) == (512, 2)
    assert settings.follow_up_days == 14
    assert settings.recommending_authority == "KemenPAN-RB/BKN"
    assert (settings.sign_max_failures, settings.sign_lockout_seconds) == (5, 900)
    assert settings.admin_passphrase == INSECURE_DEFAULT_PASSPHRASE
    assert settings.admin_passphrase_is_insecure


def test_every_field_has_a_variable() -> None:
    assert [v.field for v in VARIABLES] == [f.name for f in fields(Settings)]


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "REGISTRY_DATABASE_URL": "postgresql://registry@db/registry",
            "REGISTRY_ORIGIN": "registry.example.go.id/pakta",
            "REGISTRY_DATA_DIR": "/var/lib/registry",
            "REGISTRY_ADMIN_PASSPHRASE": "  correct horse battery staple ",
            "REGISTRY_HOST": "0.0.0.0",
            "REGISTRY_PORT": "8443",
            "REGISTRY_BASE_URL": "https://registry.example.go.id/",
            "REGISTRY_BATCH_MAX": "64",
            "REGISTRY_BATCH_WAIT_MS": "0",
            "REGISTRY_FOLLOW_UP_DAYS": "30",
            "REGISTRY_RECOMMENDING_AUTHORITY": "KASN",
            "REGISTRY_SIGN_MAX_FAILURES": "3",
            "REGISTRY_SIGN_LOCKOUT_SECONDS": "60",
            "UNRELATED": "ignored",
            "REGISTRY_TEST_POSTGRES_URL": "not ours: ignored",
        }
    )
    assert settings == Settings(
        database_url="postgresql+asyncpg://registry@db/registry",
        origin="registry.example.go.id/pakta",
        data_dir=Path("/var/lib/registry"),
        admin_passphrase="  correct horse battery staple ",
        host="0.0.0.0",
        port=8443,
        base_url="https://registry.example.go.id",
        batch_max=64,
        batch_wait_ms=0,
        follow_up_days=30,
        recommending_authority="KASN",
        sign_max_failures=3,
        sign_lockout_seconds=60,
    )
    assert not settings.admin_passphrase_is_insecure


def test_sqlite_url_is_normalised() -> None:
    settings = Settings.from_env({"REGISTRY_DATABASE_URL": "sqlite:///data/r.sqlite3"})
    assert settings.database_url == "sqlite+aiosqlite:///data/r.sqlite3"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REGISTRY_PORT", "eighty", "REGISTRY_PORT must be a whole number"),
        ("REGISTRY_PORT", "0", "REGISTRY_PORT must be at least 1 and at most 65535"),
        ("REGISTRY_PORT", "70000", "REGISTRY_PORT must be at least 1 and at most 65535"),
        ("REGISTRY_BATCH_MAX", "0", "REGISTRY_BATCH_MAX must be at least 1"),
        ("REGISTRY_BATCH_WAIT_MS", "-1", "REGISTRY_BATCH_WAIT_MS must be at least 0"),
        ("REGISTRY_FOLLOW_UP_DAYS", "1.5", "REGISTRY_FOLLOW_UP_DAYS must be a whole number"),
        ("REGISTRY_SIGN_MAX_FAILURES", "0", "REGISTRY_SIGN_MAX_FAILURES must be at least 1"),
        ("REGISTRY_SIGN_LOCKOUT_SECONDS", "-5", "REGISTRY_SIGN_LOCKOUT_SECONDS must be at least 0"),
        ("REGISTRY_DATABASE_URL", "mysql://u@h/d", "REGISTRY_DATABASE_URL: unsupported"),
        ("REGISTRY_DATABASE_URL", "registry.sqlite3", "REGISTRY_DATABASE_URL: not a database URL"),
        ("REGISTRY_ORIGIN", "pakta integritas", "REGISTRY_ORIGIN must not contain whitespace"),
        ("REGISTRY_ORIGIN", "a+b", "REGISTRY_ORIGIN must not contain whitespace or '\\+'"),
        ("REGISTRY_ORIGIN", "  ", "REGISTRY_ORIGIN must not be empty"),
        ("REGISTRY_BASE_URL", "registry.go.id", "REGISTRY_BASE_URL must be an http"),
        ("REGISTRY_BASE_URL", "ftp://registry.go.id", "REGISTRY_BASE_URL must be an http"),
        ("REGISTRY_BASE_URL", "https://r.go.id/?x=1", "REGISTRY_BASE_URL must not have a query"),
        ("REGISTRY_ADMIN_PASSPHRASE", "", "REGISTRY_ADMIN_PASSPHRASE must not be empty"),
        ("REGISTRY_RECOMMENDING_AUTHORITY", "", "REGISTRY_RECOMMENDING_AUTHORITY must not be"),
        ("REGISTRY_DATA_DIR", "", "REGISTRY_DATA_DIR must not be empty"),
        ("REGISTRY_DATED_PASS_ENTRIES", "999", "REGISTRY_DATED_PASS_ENTRIES must be"),
    ],
    ids=[
        "port-not-a-number",
        "port-zero",
        "port-too-big",
        "batch-max-zero",
        "batch-wait-negative",
        "follow-up-fraction",
        "max-failures-zero",
        "lockout-negative",
        "url-mysql",
        "url-bare-path",
        "origin-space",
        "origin-plus",
        "origin-blank",
        "base-url-no-scheme",
        "base-url-ftp",
        "base-url-query",
        "passphrase-empty",
        "authority-empty",
        "data-dir-empty",
        "dated-pass-entries-under-a-thousand",
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({variable: value})


def test_config_file(tmp_path: Path) -> None:
    config = tmp_path / "registry.env"
    config.write_text(
        "# the registry's settings\n"
        "\n"
        "REGISTRY_PORT=9000\n"
        "REGISTRY_ORIGIN = 'registry.example.go.id/pakta'\n"
        'REGISTRY_ADMIN_PASSPHRASE="with = sign"\n'
        "REGISTRY_HOST=10.0.0.1\n",
        encoding="utf-8",
    )
    settings = Settings.from_env(
        {"REGISTRY_CONFIG_FILE": str(config), "REGISTRY_HOST": "127.0.0.2"}
    )
    assert settings.port == 9000
    assert settings.origin == "registry.example.go.id/pakta"
    assert settings.admin_passphrase == "with = sign"
    assert settings.host == "127.0.0.2"  # the environment wins


def test_bad_value_in_config_file_names_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "registry.env"
    config.write_text("REGISTRY_BATCH_MAX=many\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="REGISTRY_BATCH_MAX must be a whole number"):
        Settings.from_env({"REGISTRY_CONFIG_FILE": str(config)})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("REGISTRY_PORT 9000\n", r"registry.env:1: expected KEY=value"),
        ("# ok\nREGISTRY_PROT=9000\n", r"registry.env:2: unknown variable 'REGISTRY_PROT'"),
    ],
    ids=["no-equals", "misspelt-key"],
)
def test_malformed_config_file(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "registry.env"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"REGISTRY_CONFIG_FILE": str(config)})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_CONFIG_FILE: cannot read"):
        Settings.from_env({"REGISTRY_CONFIG_FILE": str(tmp_path / "absent.env")})


def test_describe_lists_every_variable_with_its_default() -> None:
    text = describe()
    assert Settings.describe() == text
    assert "REGISTRY_CONFIG_FILE" in text
    for variable in VARIABLES:
        assert variable.name in text
        default = variable.default_text or variable.default
        assert f"default: {default}" in text
    assert "INSECURE" in text
    assert "default: sqlite+aiosqlite:///registry.sqlite3" in text


@pytest.mark.parametrize(
    ("environ", "public_url"),
    [
        ({"REGISTRY_PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"REGISTRY_HOST": "10.1.2.3", "REGISTRY_PORT": "9000"}, "http://10.1.2.3:9000"),
        ({"REGISTRY_HOST": "::1", "REGISTRY_PORT": "9000"}, "http://[::1]:9000"),
        (
            {"REGISTRY_PORT": "8123", "REGISTRY_BASE_URL": "https://pakta.example.go.id/"},
            "https://pakta.example.go.id",
        ),
    ],
    ids=["port-moved", "host-and-port-moved", "ipv6-literal", "base-url-wins"],
)
def test_public_url_follows_host_and_port_unless_base_url_is_set(
    environ: dict[str, str], public_url: str
) -> None:
    assert Settings.from_env(environ).public_url == public_url


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_public_url_names_the_machine_for_a_wildcard_host(wildcard: str) -> None:
    settings = Settings(host=wildcard, port=8080)
    assert settings.listens_everywhere
    assert settings.public_url == f"http://{socket.gethostname()}:8080"


def test_unset_base_url_stays_unset_through_the_environment() -> None:
    # `registry serve --port` hands its settings to the workers as variables: the workers
    # must derive the same public URL, not read back a stale one.
    served = replace(Settings(), port=8123)
    environ = settings_environment(served)
    assert "REGISTRY_BASE_URL" not in environ
    assert Settings.from_env(environ) == served
    assert Settings.from_env(environ).public_url == "http://127.0.0.1:8123"


def test_config_errors_speak_indonesian_when_asked() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REGISTRY_PORT": "delapan"})
    assert caught.value.message.render("id") == (
        "REGISTRY_PORT harus bilangan bulat, bukan 'delapan'"
    )
    assert str(caught.value) == "REGISTRY_PORT must be a whole number, got 'delapan'"


# Witnesses (docs/witness.md).


def _witness_key(label: str) -> str:
    from registry.signing.note import NoteSigner
    from tests.factories import fixed_key

    return NoteSigner(fixed_key(label), f"{label}.example/w").cosignature_verifier_key_string


W1, W2, W3 = (_witness_key(f"witness-{i}") for i in range(3))


def test_witnesses_and_their_quorum() -> None:
    settings = Settings.from_env(
        {
            "REGISTRY_WITNESSES": f"{W1} https://w1.example/; http://w2.example {W2}\n{W3} http://w3",
            "REGISTRY_WITNESS_QUORUM": "2",
        }
    )
    assert [(w.url, w.verifier_key) for w in settings.witnesses] == [
        ("https://w1.example", W1),
        ("http://w2.example", W2),
        ("http://w3", W3),
    ]
    assert settings.witnesses[0].name == "witness-0.example/w"
    assert settings.witnesses_required == 2
    assert Settings.from_env(settings_environment(settings)) == settings


@pytest.mark.parametrize(("count", "majority"), [(0, 0), (1, 1), (2, 2), (3, 2)])
def test_quorum_defaults_to_a_majority(count: int, majority: int) -> None:
    listed = "; ".join(f"{k} http://w{i}" for i, k in enumerate([W1, W2, W3][:count]))
    settings = Settings.from_env({"REGISTRY_WITNESSES": listed} if count else {})
    assert settings.witnesses_required == majority


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"REGISTRY_WITNESSES": W1}, "'<verifier key> <http(s) URL>'"),
        ({"REGISTRY_WITNESSES": f"{W1} ftp://w"}, "'<verifier key> <http(s) URL>'"),
        ({"REGISTRY_WITNESSES": "nonsense http://w"}, "not a witness's C2SP cosignature"),
        (
            {"REGISTRY_WITNESSES": f"{W1.replace('+BA', '+AQ')} http://w"},
            "not a witness's C2SP cosignature",
        ),
        ({"REGISTRY_WITNESSES": f"{W1} http://a; {W1} http://b"}, "listed twice"),
        ({"REGISTRY_WITNESSES": f"{W1} http://a", "REGISTRY_WITNESS_QUORUM": "2"}, "lists 1"),
        ({"REGISTRY_WITNESS_QUORUM": "-1"}, "at least 0"),
    ],
)
def test_bad_witness_settings_name_the_variable(environ: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_WITNESS") as error:
        Settings.from_env(environ)
    assert words in str(error.value)
