"""Optional extras: without one, the command that needs it says which to install, in one line.

The base install runs the service, its pages and the core commands; reading a
QR code from an image needs the ``qr-read`` extra and importing a workbook the
``xlsx`` extra.  A missing extra is simulated by making its module unimportable
(``sys.modules[name] = None``), as on an install without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner

from registry.cli import main
from registry.cli.extras import EXTRAS, needs_extra

TRUSTED_KEY = "A" * 43  # any raw Ed25519 key: the image is refused before any check


@pytest.fixture
def qr_image(tmp_path: Path) -> Path:
    path = tmp_path / "pakta.png"
    segno.make_qr("PI1:ABC").save(path, scale=4)
    return path


@pytest.fixture
def without_qr_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)


@pytest.mark.usefixtures("without_qr_read")
def test_verify_of_an_image_without_the_qr_read_extra_names_the_extra(qr_image: Path) -> None:
    result = CliRunner().invoke(
        main, ["verify", str(qr_image), "--key", TRUSTED_KEY], env={"LANG": "C.UTF-8"}
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: registry verify IMAGE needs the optional 'qr-read' packages:"
        " pip install 'integrity-pact-registry[qr-read]'"
    ]


@pytest.mark.usefixtures("without_qr_read")
def test_the_missing_extra_message_speaks_indonesian_when_asked(qr_image: Path) -> None:
    result = CliRunner().invoke(
        main, ["verify", str(qr_image), "--key", TRUSTED_KEY], env={"LANG": "id_ID.UTF-8"}
    )
    assert result.exit_code == 1
    assert "memerlukan paket opsional 'qr-read'" in result.output
    assert "pip install 'integrity-pact-registry[qr-read]'" in result.output


@pytest.mark.usefixtures("without_qr_read")
def test_a_qr_text_verifies_without_the_qr_read_extra(tmp_path: Path) -> None:
    """Only reading an image needs the extra: the offline QR's text is checked as before."""
    result = CliRunner().invoke(main, ["verify", "PI1:not-base45!", "--key", TRUSTED_KEY])
    assert result.exit_code == 1
    assert "qr-read" not in result.output


def test_another_missing_module_is_not_taken_for_a_missing_extra() -> None:
    with pytest.raises(ModuleNotFoundError), needs_extra("xlsx", "registry import"):
        raise ModuleNotFoundError("No module named 'somethingelse'", name="somethingelse")


def test_every_extra_in_pyproject_is_known_to_the_cli() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text("utf-8"))["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)


def test_the_service_and_core_commands_run_without_the_optional_packages() -> None:
    """What `pip install -e .` installs is enough for `registry serve` and the core CLI."""
    script = (
        "import sys\n"
        "for name in ('zxingcpp', 'openpyxl', 'qrcode', 'pytest', 'hypothesis'):\n"
        "    sys.modules[name] = None\n"
        "import registry.api.app, registry.api.asgi, registry.cli.main\n"
        "from registry.cli import main\n"
        "main(['--help'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout
    assert "import" in done.stdout
