"""The registry's CBOR profile: the one decoder every verifier of its records uses.

Everything a verifier reads from CBOR (signed statements inside and out,
receipts, entry timestamps, leaves, inclusion proofs, offline QR payloads) is
read by :func:`decode_canonical`, which accepts exactly the core deterministic
encoding (RFC 8949 §4.2.1) of a small set of values, and nothing else:

- unsigned and negative integers from -2^53 to 2^53 - 1 (what a JavaScript
  number holds exactly), in their shortest form;
- byte strings, text strings (valid UTF-8), arrays and maps of definite
  length, in their shortest form; map keys integers or text, in bytewise
  order of their encodings, none twice;
- ``false``, ``true`` and ``null``; tag 18 (COSE_Sign1) and no other tag;
- at most 16 levels of nesting below the top item, nothing after it.

It is written out here, not left to a general decoder, because
``web/static/verify.js`` implements the same rules byte for byte: the two
decoders must refuse the same inputs for the same reasons (the shared cases in
``tests/vectors/verify/`` check it).  A refusal's reason is ``truncated``,
``not-deterministic`` (a longer head than needed, an indefinite length, map
keys out of order or repeated), ``trailing-data``, or ``malformed`` (anything
outside the profile: a float, another simple value or tag, a reserved head,
an integer out of range, invalid UTF-8, a map key of another type, nesting too
deep).  Values decode as cbor2 would: ``int``, ``bytes``, ``str``, ``list``,
``dict``, ``bool``, ``None`` and ``cbor2.CBORTag(18, ...)``.
"""

from __future__ import annotations

from typing import Any

import cbor2

from registry.verify.cbor import bounded
from registry.verify.result import Reason, Verdict

MAX_DEPTH = 16
"""Deepest nesting below the top item (verify.js's ``LIMITS.depth``)."""
MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer argument read (JavaScript's ``Number.MAX_SAFE_INTEGER``)."""
COSE_SIGN1_TAG = 18


class _Fault(Exception):
    """Why decoding stopped, and at which byte."""

    def __init__(self, reason: Reason, why: str, at: int) -> None:
        super().__init__(why)
        self.reason = reason
        self.why = why
        self.at = at


def _need(data: bytes, at: int, n: int) -> None:
    if n > len(data) - at:
        raise _Fault(Reason.TRUNCATED, "truncated", at)


def _argument(data: bytes, at: int, info: int) -> tuple[int, int]:
    """The head's argument and the position after it (shortest forms only)."""
    if info < 24:
        return info, at
    if info == 24:
        _need(data, at, 1)
        value, smallest = data[at], 24
        size = 1
    elif info == 25:
        _need(data, at, 2)
        value, smallest, size = int.from_bytes(data[at : at + 2]), 0x100, 2
    elif info == 26:
        _need(data, at, 4)
        value, smallest, size = int.from_bytes(data[at : at + 4]), 0x10000, 4
    elif info == 27:
        _need(data, at, 8)
        value, smallest, size = int.from_bytes(data[at : at + 8]), 0x100000000, 8
    elif info == 31:
        raise _Fault(Reason.NOT_DETERMINISTIC, "indefinite length", at)
    else:
        raise _Fault(Reason.MALFORMED, "reserved additional information", at)
    at += size
    if value < smallest:
        raise _Fault(Reason.NOT_DETERMINISTIC, "not the shortest form", at)
    if value > MAX_SAFE_INTEGER:
        raise _Fault(Reason.MALFORMED, "integer too large", at)
    return value, at


def _item(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    """The item starting at ``at`` and the position after it."""
    if depth > MAX_DEPTH:
        raise _Fault(Reason.MALFORMED, "nested too deeply", at)
    _need(data, at, 1)
    initial = data[at]
    at += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        if info == 20:
            return False, at
        if info == 21:
            return True, at
        if info == 22:
            return None, at
        raise _Fault(Reason.MALFORMED, "unsupported simple value or float", at)
    arg, at = _argument(data, at, info)
    if major == 0:
        return arg, at
    if major == 1:
        return -1 - arg, at
    if major == 2:
        _need(data, at, arg)
        return data[at : at + arg], at + arg
    if major == 3:
        _need(data, at, arg)
        try:
            return data[at : at + arg].decode("utf-8"), at + arg
        except UnicodeDecodeError:
            raise _Fault(Reason.MALFORMED, "invalid UTF-8", at) from None
    if major == 4:
        _need(data, at, arg)  # every item takes at least one byte
        items = []
        for _ in range(arg):
            value, at = _item(data, at, depth + 1)
            items.append(value)
        return items, at
    if major == 5:
        _need(data, at, arg * 2)
        mapping: dict[Any, Any] = {}
        previous = b""
        for i in range(arg):
            start = at
            key, at = _item(data, at, depth + 1)
            if type(key) is not int and type(key) is not str:
                raise _Fault(Reason.MALFORMED, "map key not int or text", at)
            encoded = data[start:at]
            if i and previous >= encoded:
                raise _Fault(
                    Reason.NOT_DETERMINISTIC,
                    "map keys not in deterministic order or duplicated",
                    at,
                )
            previous = encoded
            mapping[key], at = _item(data, at, depth + 1)
        return mapping, at
    # major == 6
    if arg != COSE_SIGN1_TAG:
        raise _Fault(Reason.MALFORMED, f"unsupported tag {arg}", at)
    value, at = _item(data, at, depth + 1)
    return cbor2.CBORTag(arg, value), at


def decode_canonical(data: bytes, what: str, max_size: int) -> Verdict[Any]:
    """Decode exactly one item of the registry's CBOR profile from ``data``.

    The verdict's value is the item; a refusal names ``what`` and the first
    fault, with the byte it was found at (see the module docstring).
    """
    check = f"decode {what}"
    checked = bounded(data, what, max_size)
    if isinstance(checked, Verdict):
        return checked
    data = checked
    try:
        value, end = _item(data, 0, 0)
    except _Fault as fault:
        return Verdict.failed(
            check, fault.reason, f"{what}: {fault.why} at byte {fault.at}", at=str(fault.at)
        )
    if end != len(data):
        return Verdict.failed(
            check, Reason.TRAILING_DATA, f"{what} has {len(data) - end} bytes after its CBOR item"
        )
    return Verdict.passed(check, value)
