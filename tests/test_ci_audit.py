""".ci/audit: a known vulnerability fails CI; an unreachable service only warns, saying so."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("ci_audit", str(ROOT / ".ci" / "audit"))
    spec = importlib.util.spec_from_loader("ci_audit", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _dep(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "version": "1.0", "vulns": [], **extra}


def test_a_found_vulnerability_fails_naming_it(audit: ModuleType) -> None:
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["1.1"], "aliases": ["CVE-2099-1"]}
    report = {"dependencies": [_dep("safe"), _dep("jinja2", vulns=[vuln])]}
    status, said = audit.verdict(report, "", 1)
    assert status == 1
    assert "jinja2 1.0: PYSEC-2099-1 (CVE-2099-1); fixed in: 1.1" in said


def test_a_clean_audit_passes(audit: ModuleType) -> None:
    status, said = audit.verdict({"dependencies": [_dep("a"), _dep("b")]}, "", 0)
    assert (status, said) == (0, "pip-audit: no known vulnerabilities in 2 audited packages")


def test_no_package_found_on_the_service_only_warns(audit: ModuleType) -> None:
    skipped = "Dependency not found on PyPI and could not be audited: a (1.0)"
    report = {"dependencies": [{"name": "a", "skip_reason": skipped}]}
    status, said = audit.verdict(report, "", 0)
    assert status == 0
    assert said.startswith("WARNING")
    assert "PyPI's package index only" in said
    assert "Nothing was audited" in said


def test_some_packages_not_found_are_named_in_a_warning(audit: ModuleType) -> None:
    skipped = "Dependency not found on PyPI and could not be audited: b (1.0)"
    report = {"dependencies": [_dep("a"), {"name": "b", "skip_reason": skipped}]}
    status, said = audit.verdict(report, "", 0)
    assert status == 0
    assert "1 audited packages" in said
    assert "not audited: b" in said


def test_an_unreachable_service_only_warns(audit: ModuleType) -> None:
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /v1/querybatch"
    status, said = audit.verdict(None, stderr, 1)
    assert status == 0
    assert "WARNING" in said
    assert "NOT audited" in said


def test_any_other_failure_of_pip_audit_fails(audit: ModuleType) -> None:
    status, said = audit.verdict(None, "pip_audit: error: unrecognized arguments", 2)
    assert status == 1
    assert "unrecognized arguments" in said


def test_ci_runs_the_audit() -> None:
    assert "python .ci/audit" in (ROOT / ".ci" / "run").read_text("utf-8")
