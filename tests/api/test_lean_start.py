"""A serving process imports only what serving needs: the libraries of documents it draws on
demand (a certificate's PDF, a QR image read back) are imported by the first one drawn."""

from __future__ import annotations

import subprocess
import sys

DRAWN_ON_DEMAND = ("fpdf", "fontTools", "zxingcpp")
"""Imported by the first certificate drawn (fpdf, with its fonts) or QR image read."""


def test_the_app_imports_no_document_library_until_one_is_drawn() -> None:
    probe = (
        "import sys, registry.api.app, registry.cli.main;"
        f"print(sorted(name for name in {DRAWN_ON_DEMAND!r} if name in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]", f"imported at start: {found}"
