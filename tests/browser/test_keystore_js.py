"""keystore.js writes the registry's one CBOR encoding: byte for byte what Python writes.

Hypothesis draws values of the registry's CBOR profile (integers within 2^53, text, bytes,
arrays, maps with text or integer keys, booleans, null); Chromium encodes them with
``encodeCbor`` and the bytes must equal ``encode_deterministic``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.verify.cbor import encode_deterministic
from tests.browser.harness import LiveRegistry

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SAFE = 2**53 - 1
scalars = (
    st.integers(-SAFE, SAFE)
    | st.text(max_size=20)
    | st.binary(max_size=40)
    | st.booleans()
    | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
        | st.dictionaries(st.integers(-(2**40), 2**40), inner, max_size=5)
    ),
    max_leaves=20,
)


def to_js(value: Any) -> Any:
    """``value`` as JSON the page turns back into it (bytes and integer-keyed maps tagged)."""
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, list):
        return [to_js(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$object": [[k, to_js(v)] for k, v in value.items()]}  # as the portal's records
    if isinstance(value, dict):
        return {"$map": [[to_js(k), to_js(v)] for k, v in value.items()]}
    return value


FROM_JS = """async (value) => {
  const { encodeCbor } = await import('/static/keystore.js');
  const back = (v) => {
    if (Array.isArray(v)) return v.map(back);
    if (v && typeof v === 'object' && '$bytes' in v) {
      return Uint8Array.from((v.$bytes.match(/../g) ?? []).map((h) => parseInt(h, 16)));
    }
    if (v && typeof v === 'object' && '$object' in v) {
      return Object.fromEntries(v.$object.map(([k, x]) => [k, back(x)]));
    }
    if (v && typeof v === 'object' && '$map' in v) {
      return new Map(v.$map.map(([k, x]) => [back(k), back(x)]));
    }
    return v;
  };
  return Array.from(encodeCbor(back(value)), (b) => b.toString(16).padStart(2, '0')).join('');
}"""


@pytest.fixture(scope="module")
def keystore_page(browser: Browser, live: LiveRegistry) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.url}/portal")
    yield page
    context.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values)
def test_encode_cbor_writes_the_registrys_deterministic_bytes(
    keystore_page: Page, value: Any
) -> None:
    assert keystore_page.evaluate(FROM_JS, to_js(value)) == encode_deterministic(value).hex()
