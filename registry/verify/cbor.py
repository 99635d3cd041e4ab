"""Strict CBOR for verifiers: bounded, complete, deterministic.

`decode` refuses empty, oversized, truncated and malformed input and trailing
bytes; `decode_deterministic` also refuses anything that is not in RFC 8949
§4.2.1 core deterministic encoding, by re-encoding and comparing.
`encode_deterministic` writes that encoding (map keys sorted by their encoded
bytes, which differs from cbor2's RFC 7049 ``canonical`` length-first order).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import cbor2

from registry.verify.result import Reason, Verdict

MAX_CBOR_SIZE = 64 * 1024
"""Largest CBOR item a verifier will look at; statements are far smaller."""

_first = itemgetter(0)
_KEY_BYTES: dict[tuple[type, Any], bytes] = {}
"""Encoded text and integer map keys: records reuse a few dozen, so encode each once."""
_KEY_BYTES_MAX = 4096


def _encoded_key(key: Any) -> tuple[bytes, Any]:
    kind = type(key)
    if kind is str or kind is int:
        encoded = _KEY_BYTES.get((kind, key))
        if encoded is None:
            encoded = cbor2.dumps(key)
            if len(_KEY_BYTES) < _KEY_BYTES_MAX:
                _KEY_BYTES[(kind, key)] = encoded
        return encoded, key
    rebuilt = _sortable(key)
    return cbor2.dumps(rebuilt), rebuilt


def _sortable(obj: Any) -> Any:
    """Rebuild ``obj`` with every map's keys in deterministic (bytewise) order."""
    kind = type(obj)
    if kind is bytes or kind is str or kind is int or kind is bool or obj is None:
        return obj
    if isinstance(obj, Mapping):
        items = [(*_encoded_key(k), _sortable(v)) for k, v in obj.items()]
        items.sort(key=_first)
        return {k: v for _, k, v in items}
    if isinstance(obj, list | tuple):
        return [_sortable(x) for x in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, _sortable(obj.value))
    if isinstance(obj, float):
        raise TypeError("floating-point values are not allowed in registry records")
    return obj


def encode_deterministic(obj: Any) -> bytes:
    """Encode ``obj`` in RFC 8949 core deterministic CBOR (no floats allowed)."""
    return cbor2.dumps(_sortable(obj))


def decode(data: bytes, what: str, max_size: int = MAX_CBOR_SIZE) -> Verdict[Any]:
    """Decode exactly one CBOR item from ``data``, refusing anything else.

    The verdict's value is the decoded item.  ``what`` names the item in the
    failure message ("signed statement", "leaf"...).
    """
    check = f"decode {what}"
    if not isinstance(data, bytes | bytearray | memoryview):
        return Verdict.failed(check, Reason.WRONG_TYPE, f"{what} must be bytes")
    data = bytes(data)
    if not data:
        return Verdict.failed(check, Reason.EMPTY, f"{what} is empty")
    if len(data) > max_size:
        return Verdict.failed(
            check, Reason.OVERSIZED, f"{what} is {len(data)} bytes, over the {max_size}-byte limit"
        )
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except cbor2.CBORDecodeEOF:
        return Verdict.failed(check, Reason.TRUNCATED, f"{what} ends before its CBOR item does")
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        return Verdict.failed(check, Reason.MALFORMED, f"{what} is not valid CBOR: {exc}")
    if stream.tell() != len(data):
        extra = len(data) - stream.tell()
        return Verdict.failed(
            check, Reason.TRAILING_DATA, f"{what} has {extra} bytes after its CBOR item"
        )
    return Verdict.passed(check, item)


def decode_deterministic(data: bytes, what: str, max_size: int = MAX_CBOR_SIZE) -> Verdict[Any]:
    """Like :func:`decode`, and the bytes must be deterministically encoded."""
    verdict = decode(data, what, max_size)
    if not verdict.ok:
        return verdict
    try:
        again = encode_deterministic(verdict.value)
    except (TypeError, ValueError, cbor2.CBOREncodeError) as exc:
        return Verdict.failed(
            f"decode {what}", Reason.NOT_DETERMINISTIC, f"{what} holds a value not allowed: {exc}"
        )
    if again != bytes(data):
        return Verdict.failed(
            f"decode {what}",
            Reason.NOT_DETERMINISTIC,
            f"{what} is not in deterministic CBOR encoding (RFC 8949 §4.2.1)",
        )
    return verdict
