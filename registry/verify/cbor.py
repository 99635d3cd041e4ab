"""Strict CBOR for verifiers: bounded, complete, deterministic.

`decode` refuses empty, oversized, truncated and malformed input and trailing
bytes; `decode_deterministic` also refuses anything that is not in RFC 8949
§4.2.1 core deterministic encoding, by re-encoding and comparing.
`encode_deterministic` writes that encoding (map keys sorted by their encoded
bytes, which differs from cbor2's RFC 7049 ``canonical`` length-first order).
It writes the types records are made of itself (faster than cbor2's ``dumps``
on such small items) and leaves everything else, refusals included, to the
general path: rebuild with sorted maps, then ``cbor2.dumps``.  Both give the
same bytes (tests/verify/test_cbor.py checks it against a reference).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import cbor2

from registry.verify.result import Reason, Verdict

MAX_CBOR_SIZE = 64 * 1024
"""Largest CBOR item a verifier will look at; statements are far smaller."""

_first = itemgetter(0)
_KEYS_MAX = 4096
_STR_KEYS: dict[str, bytes] = {}
_INT_KEYS: dict[int, bytes] = {}
"""Encoded text and integer map keys: records reuse a few dozen, so encode each once."""

_BIG = 18446744073709551616  # 2**64: from here on cbor2 writes a bignum (tag 2 or 3)
_pack_1 = struct.Struct(">BB").pack
_pack_2 = struct.Struct(">BH").pack
_pack_4 = struct.Struct(">BL").pack
_pack_8 = struct.Struct(">BQ").pack
_UINT_HEAD = tuple(bytes([n]) for n in range(24))
_BYTES_HEAD = tuple(bytes([0x40 | n]) for n in range(24))
_TEXT_HEAD = tuple(bytes([0x60 | n]) for n in range(24))
_ARRAY_HEAD = tuple(bytes([0x80 | n]) for n in range(24))
_MAP_HEAD = tuple(bytes([0xA0 | n]) for n in range(24))
_STRINGREF_NAMESPACE = 256
"""cbor2 encodes the content of tag 256 with string references: left to cbor2."""


class _Unsupported(Exception):
    """A value the direct encoder leaves to the general (rebuild and cbor2) path."""


def head(major: int, n: int) -> bytes:
    """The shortest head of major type ``major`` with argument ``0 <= n < 2**64``."""
    if n < 24:
        return bytes((major << 5 | n,))
    if n < 0x100:
        return _pack_1(major << 5 | 24, n)
    if n < 0x10000:
        return _pack_2(major << 5 | 25, n)
    if n < 0x100000000:
        return _pack_4(major << 5 | 26, n)
    return _pack_8(major << 5 | 27, n)


def _remember(key: str | int, encoded: bytes) -> bytes:
    if isinstance(key, str):
        if len(_STR_KEYS) < _KEYS_MAX:
            _STR_KEYS[key] = encoded
    elif len(_INT_KEYS) < _KEYS_MAX:
        _INT_KEYS[key] = encoded
    return encoded


def _encode(obj: Any) -> bytes:
    """Core deterministic CBOR of ``obj``, for exactly the types records are made of.

    Text, bytes, int (not bool), dict with text or int keys, list, tuple, bool,
    None and ``CBORTag`` (not 256); anything else (floats included) raises
    :class:`_Unsupported`.  The bytes equal ``cbor2.dumps(_sortable(obj))``.
    """
    kind = type(obj)
    if kind is str:
        data: bytes = obj.encode()
        n = len(data)
        return (_TEXT_HEAD[n] if n < 24 else head(3, n)) + data
    if kind is bytes:
        raw: bytes = obj
        n = len(raw)
        return (_BYTES_HEAD[n] if n < 24 else head(2, n)) + raw
    if kind is int:
        number: int = obj
        if 0 <= number < 24:
            return _UINT_HEAD[number]
        if 0 <= number < _BIG:
            return head(0, number)
        if -_BIG <= number < 0:
            return head(1, -1 - number)
        return cbor2.dumps(number)
    if kind is dict:
        items: list[tuple[bytes, bytes]] = []
        for key, value in obj.items():
            key_kind = type(key)
            if key_kind is str:
                encoded = _STR_KEYS.get(key)
            elif key_kind is int:
                encoded = _INT_KEYS.get(key)
            else:
                raise _Unsupported
            items.append((encoded or _remember(key, _encode(key)), _encode(value)))
        items.sort(key=_first)
        n = len(items)
        parts = [_MAP_HEAD[n] if n < 24 else head(5, n)]
        for pair in items:
            parts += pair
        return b"".join(parts)
    if kind is list or kind is tuple:
        n = len(obj)
        parts = [_ARRAY_HEAD[n] if n < 24 else head(4, n)]
        parts += map(_encode, obj)
        return b"".join(parts)
    if obj is None:
        return b"\xf6"
    if kind is bool:
        return b"\xf5" if obj else b"\xf4"
    if kind is cbor2.CBORTag:
        tag = obj.tag
        if type(tag) is int and 0 <= tag < _BIG and tag != _STRINGREF_NAMESPACE:
            return head(6, tag) + _encode(obj.value)
    raise _Unsupported


def _encoded_key(key: Any) -> tuple[bytes, Any]:
    kind = type(key)
    if kind is str or kind is int:
        encoded = (_STR_KEYS if kind is str else _INT_KEYS).get(key)
        return encoded or _remember(key, cbor2.dumps(key)), key
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
    try:
        encoded: bytes | None = _encode(obj)
    except Exception:
        encoded = None
    if encoded is None:
        # Floats, other types, tag 256, bad text, too deep: the general path encodes
        # what cbor2 can, and refuses the rest exactly as it always did (outside the
        # handler, so its errors are not chained to the direct encoder's).
        return cbor2.dumps(_sortable(obj))
    return encoded


def bounded(data: object, what: str, max_size: int) -> bytes | Verdict[Any]:
    """``data`` as bytes, if it is bytes, not empty and at most ``max_size`` long;
    else the failed check of decoding ``what``, saying which."""
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
    return data


def decode(data: bytes, what: str, max_size: int = MAX_CBOR_SIZE) -> Verdict[Any]:
    """Decode exactly one CBOR item from ``data``, refusing anything else.

    The verdict's value is the decoded item.  ``what`` names the item in the
    failure message ("signed statement", "leaf"...).
    """
    check = f"decode {what}"
    checked = bounded(data, what, max_size)
    if isinstance(checked, Verdict):
        return checked
    data = checked
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
