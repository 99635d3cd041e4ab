"""verify.js's pure functions, run in Chromium: the shared verification cases, Merkle vectors,
strict CBOR, base45, base64."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.harness import LiveRegistry
from tests.verify.test_shared_cases import misread

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "merkle"
SHARED_CASES = Path(__file__).resolve().parents[1] / "vectors" / "verify"
CASES_RUNNER = Path(__file__).resolve().parents[1] / "verify" / "js" / "cases.mjs"


def load(page: Page, live: LiveRegistry) -> None:
    """Open a page of the registry, so that verify.js can be imported from its origin."""
    page.goto(f"{live.url}/verify")
    page.wait_for_selector("body[data-ready]")


def run(page: Page, body: str, arg: Any = None) -> Any:
    """Evaluate ``body`` (async, with ``v`` = the verify.js module and ``arg``) in the page."""
    script = f"async (arg) => {{ const v = await import('/static/verify.js'); {body} }}"
    return page.evaluate(script, arg)


def test_merkle_vectors(page: Page, live: LiveRegistry) -> None:
    cases = {
        str(path.relative_to(VECTORS)): json.loads(path.read_text())
        for path in sorted(VECTORS.rglob("*.json"))
    }
    load(page, live)
    results: dict[str, bool] = run(
        page,
        """
        const b = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
        const out = {};
        for (const [name, c] of Object.entries(arg)) {
          try {
            if ('leafIdx' in c) {
              const root = await v.rootFromInclusionProof(
                c.leafIdx, c.treeSize, b(c.leafHash), (c.proof ?? []).map(b));
              out[name] = v.equalBytes(root, b(c.root));
            } else {
              out[name] = await v.verifyConsistency(
                c.size1, c.size2, b(c.root1), b(c.root2), (c.proof ?? []).map(b));
            }
          } catch (e) { out[name] = false; }
        }
        return out;
        """,
        cases,
    )
    assert len(results) == len(cases) > 100
    wrong = {
        name: case["desc"]
        for name, case in cases.items()
        if results[name] == bool(case.get("wantErr"))
    }
    assert not wrong


def test_shared_cases(page: Page, live: LiveRegistry) -> None:
    """Every case of tests/vectors/verify/ reaches its verdict in Chromium too (as under Node)."""
    cases = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(SHARED_CASES.rglob("*.json"))
    ]
    # The runner module as a function body: page.evaluate may run it, where the page's CSP
    # would refuse to import it from anywhere but the registry.
    runner = CASES_RUNNER.read_text(encoding="utf-8").replace(
        "export async function", "async function"
    )
    load(page, live)
    results: dict[str, dict[str, Any]] = run(page, f"{runner}\nreturn runCases(v, arg);", cases)
    wrong = {
        c["name"]: {"expected": c["expect"], "signed_by": c.get("signed_by"), **results[c["name"]]}
        for c in cases
        if misread(c, results[c["name"]])
    }
    assert len(results) == len(cases) > 150
    assert not wrong, json.dumps(wrong, indent=1)


CBOR_VALID = {
    "00": 0,
    "17": 23,
    "1818": 24,
    "190100": 256,
    "1b001fffffffffffff": 2**53 - 1,
    "20": -1,
    "3903e7": -1000,
    "4401020304": {"bytes": "01020304"},
    "6449424b4e": "IBKN",
    "62c3a9": "é",
    "80": [],
    "83010203": [1, 2, 3],
    "a0": {},
    "a2010261610a": {"1": 2, "a": 10},
    "f4": False,
    "f5": True,
    "f6": None,
    "d28100": {"tag": 18, "value": [0]},
}

CBOR_INVALID = {
    "": "empty",
    "1817": "not the shortest form",
    "190017": "not the shortest form",
    "1a0000ffff": "not the shortest form",
    "1bffffffffffffffff": "integer too large",
    "5f": "indefinite length",
    "9fff": "indefinite length",
    "bf": "indefinite length",
    "1c": "reserved additional information",
    "f7": "unsupported simple value",
    "f90000": "unsupported simple value",
    "fb3ff0000000000000": "unsupported simple value",
    "c000": "unsupported tag 0",
    "d818": "unsupported tag 24",
    "0100": "trailing bytes",
    "4200": "truncated",
    "5affffffff": "truncated",
    "9affffffff": "truncated",
    "62c328": "invalid UTF-8",
    "a2616101 0102": "not in deterministic order",
    "a201010102": "not in deterministic order",
    "a18000": "map key not int or text",
    "81" * 20 + "00": "nested too deeply",
}


def test_cbor_decoder_is_strict(page: Page, live: LiveRegistry) -> None:
    load(page, live)
    cases = {name.replace(" ", ""): why for name, why in CBOR_INVALID.items()}
    got: dict[str, str] = run(
        page,
        """
        const out = {};
        const bytes = (h) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
        for (const h of Object.keys(arg)) {
          try { v.decodeCbor(bytes(h)); out[h] = 'accepted'; }
          catch (e) { out[h] = e.code + ': ' + (e.params.why ?? ''); }
        }
        return out;
        """,
        cases,
    )
    for data, why in cases.items():
        assert got[data].startswith("bad-cbor: "), (data, got[data])
        assert why in got[data], (data, got[data])


def test_cbor_decoder_reads_what_it_must(page: Page, live: LiveRegistry) -> None:
    load(page, live)
    got = run(
        page,
        """
        const bytes = (h) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
        const plain = (x) => {
          if (x instanceof Uint8Array) return { bytes: v.hex(x) };
          if (x instanceof v.CborTag) return { tag: x.tag, value: plain(x.value) };
          if (Array.isArray(x)) return x.map(plain);
          if (x instanceof Map) {
            return Object.fromEntries([...x].map(([k, y]) => [String(k), plain(y)]));
          }
          return x;
        };
        const out = {};
        for (const h of arg) out[h] = plain(v.decodeCbor(bytes(h)));
        return out;
        """,
        list(CBOR_VALID),
    )
    assert got == CBOR_VALID


BASE45 = {"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0"}


def test_base45_rfc9285_examples_and_refusals(page: Page, live: LiveRegistry) -> None:
    load(page, live)
    got = run(
        page,
        """
        const out = {};
        for (const t of arg) {
          try { out[t] = new TextDecoder().decode(v.base45Decode(t)); }
          catch (e) { out[t] = e.code; }
        }
        return out;
        """,
        [*BASE45.values(), "GGW", "A", "aa", "BB8="],
    )
    assert {got[encoded]: plain for plain, encoded in BASE45.items()} == {
        plain: plain for plain in BASE45
    }
    assert got["GGW"] == got["A"] == got["aa"] == got["BB8="] == "bad-encoding"


def test_base64_is_canonical_only(page: Page, live: LiveRegistry) -> None:
    load(page, live)
    raw = b"\xfb\xff\xbf" * 11  # base64url "-_-_...", base64 "+/+/..."
    good_url = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    good_std = base64.b64encode(raw[:32]).decode()
    got = run(
        page,
        """
        const out = {};
        for (const [kind, t] of arg) {
          try {
            out[kind + ':' + t] = v.hex(kind === 'url' ? v.b64urlDecode(t) : v.b64Decode64(t));
          } catch (e) { out[kind + ':' + t] = e.code; }
        }
        return out;
        """,
        [
            ["url", good_url],
            ["url", good_url + "="],
            ["url", good_url.replace("-", "+")],
            ["url", "AB"],  # unused bits set: "AA" is the canonical form of the one byte 00
            ["std", good_std],
            ["std", good_std.rstrip("=")],
            ["std", "AB=="],
        ],
    )
    assert got[f"url:{good_url}"] == raw.hex()
    assert got[f"std:{good_std}"] == raw[:32].hex()
    refused = {k: v for k, v in got.items() if v == "bad-encoding"}
    assert len(refused) == 5, got
