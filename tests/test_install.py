"""The registry as a new operator installs it: a wheel, a fresh environment, another folder.

The ``install`` tests build the wheel from a copy of the source tree (only
what a clone holds), install it into a new virtual environment, start the
installed ``registry serve --demo`` from a temporary folder that is not the
source tree, fetch the pages, and run the README's "sign and register"
commands as written against it.

The fresh environment gets the wheel alone (``--no-deps --no-index``); its
dependencies come from the environment running the tests, added to its path
by a ``.pth`` file, so the test needs no network and no second download of
every dependency.  Only directories are added (the ``.pth`` files in them, such
as the editable install's finder, are not run), so ``registry`` is the wheel's
copy, which the test checks.  The wheel is built without build isolation by
the test extra's setuptools, also to stay offline.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from registry.demo import data as demo_data
from tests.cli.servers import Served, registry_env, serving

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEMO_START_TIMEOUT_S = 600.0
"""The demo load (8,128 statements) precedes the server; slow on a busy machine."""

PAGES = ("/", "/?lang=en", "/verify", "/v/5", "/static/verify.js", "/static/style.css")
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.sqlite3*",
    "registry-data",
    "node_modules",
)


def _fresh_env(venv: Path, **variables: str) -> dict[str, str]:
    """The environment of a new shell with ``venv`` activated: no REGISTRY_*, no PYTHONPATH."""
    env = registry_env(**variables)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    return env


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the source tree (as a clone holds it)."""
    source = tmp_path_factory.mktemp("clone") / "registry"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED, symlinks=True)
    out = tmp_path_factory.mktemp("wheel")
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", out, source,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed (see the module's docstring)."""
    root = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", root)
    python = root / "bin" / "python"
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q",
        "--no-deps", "--no-index", wheel,
    )  # fmt: skip
    purelib = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    (purelib / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return root


@pytest.fixture(scope="module")
def operator_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the operator starts the registry from: not the source tree; the README's
    examples copied in, as they sit in a clone."""
    folder = tmp_path_factory.mktemp("operator")
    shutil.copytree(ROOT / "docs" / "examples", folder / "docs" / "examples")
    return folder


@pytest.fixture(scope="module")
def installed(venv: Path, operator_folder: Path) -> Iterator[Served]:
    """The installed `registry serve --demo`, run from ``operator_folder`` on a free port."""
    env = _fresh_env(venv, LANG="C.UTF-8")
    with serving(
        "--demo",
        "--workers",
        "1",
        env=env,
        cwd=operator_folder,
        log=operator_folder / "serve.log",
        command=[str(venv / "bin" / "registry")],
        timeout_s=DEMO_START_TIMEOUT_S,
    ) as server:
        yield server


@pytest.mark.install
def test_installed_registry_is_the_wheels(venv: Path) -> None:
    # from a folder of its own: `python -c` puts the working directory first on the path
    located = _run(
        venv / "bin" / "python",
        "-c",
        "import registry.web as w; print(w.__file__)",
        cwd=venv,
        env=_fresh_env(venv),
    )
    assert Path(located).resolve().is_relative_to(venv.resolve()), located


@pytest.mark.install
def test_wheel_holds_every_file_of_web(wheel: Path) -> None:
    shipped = {
        name.removeprefix("registry/web/")
        for name in zipfile.ZipFile(wheel).namelist()
        if name.startswith("registry/web/")
    }
    in_tree = {
        p.relative_to(ROOT / "web").as_posix()
        for p in (ROOT / "web").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped == in_tree


@pytest.mark.install
def test_installed_wheel_serves_every_page_from_another_folder(installed: Served) -> None:
    for path in PAGES:
        response = httpx.get(installed.url + path)
        assert response.status_code == 200, (path, response.text[:300])
    script = httpx.get(f"{installed.url}/static/verify.js")
    assert script.content == (ROOT / "web" / "static" / "verify.js").read_bytes()
    assert script.headers["content-type"].startswith("text/javascript")
    page = httpx.get(f"{installed.url}/v/5?lang=en").text
    assert "<html" in page
    assert "/static/record.js" in page
    assert httpx.get(f"{installed.url}/static/absent.js").status_code == 404


@pytest.mark.install
def test_installed_demo_start_says_where_to_go_and_warns(installed: Served) -> None:
    output = installed.output()
    assert f"open {installed.url}/ " in output
    assert "origin (the name checkpoints and receipts are signed under): localhost/pakta" in output
    assert "sealed under the PUBLIC demo passphrase" in output
    assert "2304 reports" in output


def _readme_block(after: str) -> str:
    """The first ```sh block of the README after the line starting with ``after``."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n" + after)
    block = re.search(r"```sh\n(.*?)```", text[start:], re.DOTALL)
    assert block is not None, after
    return block.group(1)


def _run_readme_block(
    after: str, installed: Served, venv: Path, folder: Path
) -> tuple[str, list[str]]:
    """Run a README block in ``folder``; its output and the URLs it opened in a "browser".

    The README's commands, verbatim, but for the port: the test serves on a free one.
    `python -m webbrowser` opens what $BROWSER names: here a script that fetches the URL
    (failing on an HTTP error) and notes it.
    """
    commands = _readme_block(after).replace("http://127.0.0.1:8000", installed.url)
    opened = folder / "opened.txt"
    opened.unlink(missing_ok=True)
    browser = folder / "browser"
    browser.write_text(f'#!/bin/sh\ncurl --fail -sS -o /dev/null "$1" && echo "$1" >> {opened}\n')
    browser.chmod(0o755)
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", commands],
        cwd=folder,
        env=_fresh_env(venv, BROWSER=str(browser)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout, opened.read_text().split() if opened.exists() else []


@pytest.mark.install
def test_readme_try_it_runs_as_written(installed: Served, venv: Path, tmp_path: Path) -> None:
    output, opened = _run_readme_block("## Try it", installed, venv, tmp_path)
    assert output.startswith("localhost/pakta-integritas\n")  # the checkpoint's origin line
    assert opened == [f"{installed.url}/schema"]


@pytest.mark.install
def test_readme_sign_and_register_runs_as_written(
    installed: Served, venv: Path, operator_folder: Path
) -> None:
    output, opened = _run_readme_block(
        "Sign and register a record yourself", installed, venv, operator_folder
    )
    assert "receipt: OK" in output
    headers = (operator_folder / "headers.txt").read_text().lower()
    index = int(re.search(r"x-registry-entry-index: (\d+)", headers).group(1))  # type: ignore[union-attr]
    assert f"</v/{index}>" in headers
    assert f"</entries/{index}/certificate.pdf>" in headers
    assert opened == [
        f"{installed.url}/v/{index}",
        f"{installed.url}/entries/{index}/certificate.pdf",
    ]


def test_readme_example_pact_cites_the_published_pact_text() -> None:
    example = yaml.safe_load((ROOT / "docs" / "examples" / "pakta.yaml").read_text())
    assert example["template"] == hashlib.sha256(demo_data.PACT_TEXT.encode()).hexdigest()


def test_readme_refers_to_nothing_outside_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../" not in text
    for path in re.findall(r"`((?:docs|web|registry|tests)/[\w./-]+)`", text):
        assert (ROOT / path).exists(), path


def test_package_list_covers_every_source_folder() -> None:
    # pyproject lists the packages (registry.web is mapped from web/): a new folder of
    # modules under registry/ must be listed too, or a non-editable install lacks it.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "registry").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert set(setuptools["packages"]) == folders | {"registry.web"}
    assert setuptools["package-dir"] == {"registry.web": "web"}
