"""Every bad field of a record, each with a reason a PPK can read (not msgspec's first error).

msgspec stops at the first field it cannot convert and words it for a
programmer (``Expected `str` matching regex ... - at `$.date```).
:func:`field_errors` walks the payload against the record's Struct
(:mod:`msgspec.inspect`) and lists every field that is missing, unknown, of
the wrong type, too long, not a date, not a 32-byte hash, or not one of its
allowed values, as :class:`~registry.records.errors.FieldError` with a
stable reason code (``schema.<reason>`` in the message catalogs).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import msgspec
import msgspec.inspect as mi

from registry.i18n import Message
from registry.records.errors import FieldError

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
NIP_PATTERN = r"^\d{18}$"
LANGUAGE_PATTERN = r"^[a-z]{2}$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
"""An election's name as records cite it: lower-case words joined by hyphens (``pilkada-2024``)."""
_PATTERN_REASONS = {
    DATE_PATTERN: "not-a-date",
    NIP_PATTERN: "not-a-nip",
    LANGUAGE_PATTERN: "not-a-language",
    SLUG_PATTERN: "not-a-slug",
}
"""What a text field's pattern asks for, as a reason (the pattern itself is never shown)."""

LONG_TEXT_MAX_LENGTH = 20_000
"""The length of the long texts (a template's text, a report's description): these alone
may break lines."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Characters no text of a record may hold: the C0 and C1 controls and DEL (a long text
may hold tab and newline), the Unicode line separators, and the bidirectional overrides
and isolates, which make a name read otherwise than it is written."""
_SUSPECT_BYTES = {*range(0x20), 0x7F, 0x5C, 0xC2, 0xE2}
"""The bytes one of :data:`_CONTROL`'s characters shows in a payload as msgspec's JSON
(UTF-8) begins with: raw, DEL's ``7F``, C1's ``C2``, the separators' and the
overrides' ``E2``; escaped, a backslash (a C0 control is written ``\\n`` or ``\\u0007``)."""
_HARMLESS_BYTES = bytes(sorted(set(range(256)) - _SUSPECT_BYTES))
"""Deleted from the JSON (``bytes.translate``, well under a microsecond for a pact): if
nothing is left, no text holds a control character."""


_INFO: dict[type[Any], mi.StructType] = {}


def _info(struct: type[Any]) -> mi.StructType:
    info = _INFO.get(struct)
    if info is None:
        found = mi.type_info(struct)
        assert isinstance(found, mi.StructType)
        info = _INFO[struct] = found
    return info


def field_errors(
    struct: type[Any], payload: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> list[FieldError]:
    """Every bad field of ``payload`` as a ``struct`` record, in the Struct's field order.

    Fields named in ``skip`` were already found bad (say, undecodable hex) and are left out.
    """
    errors: list[FieldError] = []
    _check_struct(_info(struct), payload, "", errors, skip)
    return errors


_DATE_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def date_fields(struct: type[Any]) -> tuple[str, ...]:
    """The names of ``struct``'s ISO-date fields (checked against the calendar, too).

    Worked out once per Struct: every statement registered asks (a walk of the
    Struct's fields cost more than msgspec's whole conversion of the payload).
    """
    found = _DATE_FIELDS.get(struct)
    if found is None:
        found = _DATE_FIELDS[struct] = tuple(
            f.name
            for f in _info(struct).fields
            if any(getattr(t, "pattern", None) == DATE_PATTERN for t in _options(f.type))
        )
    return found


def control_errors(struct: type[Any], payload: Mapping[str, Any]) -> list[FieldError]:
    """Every text of ``payload`` (nested ones too) holding a control character, by field.

    One search over the payload written as JSON first (every text in it, keys and fields
    of no Struct too: one C call and one ``bytes.translate``): a payload it finds nothing
    in has no control character, and only one it finds something in is walked by type
    (which names the field, and knows which texts may break lines).  The walk alone was
    about 18 % of the sequencer's cycle (docs/benchmarks.md, "The sequencer's cycle in
    instructions").
    """
    return typed_control_errors(struct, payload) if may_hold_control(payload) else []


def typed_control_errors(struct: type[Any], payload: Mapping[str, Any]) -> list[FieldError]:
    """:func:`control_errors` without the search first: every text walked by its type."""
    errors: list[FieldError] = []
    _controls_in_struct(_info(struct), payload, "", errors)
    return errors


def may_hold_control(payload: Mapping[str, Any]) -> bool:
    """Whether any text of ``payload`` may hold a control character (False: none does).

    A payload msgspec cannot write as JSON (a CBOR tag, a lone surrogate) may.
    """
    try:
        encoded = msgspec.json.encode(payload)
    except (msgspec.EncodeError, TypeError, ValueError, OverflowError, RecursionError):
        return True
    if not encoded.translate(None, _HARMLESS_BYTES):
        return False
    # A backslash: an escaped control, or tab and newline (where a long text may hold them
    # only the typed walk knows), or a backslash in the text; else the raw characters
    # (C2 and E2 also begin harmless ones: an en dash, a no-break space).
    return b"\\" in encoded or _CONTROL.search(encoded.decode()) is not None


def _controls_in_struct(
    info: mi.StructType, data: Any, path: str, errors: list[FieldError]
) -> None:
    if not isinstance(data, Mapping):
        return
    for f in info.fields:
        if f.encode_name in data:
            _controls_in(f.type, data[f.encode_name], _path(path, f.encode_name), errors)


def _controls_in(kind: mi.Type, value: Any, path: str, errors: list[FieldError]) -> None:
    for option in _options(kind):
        if isinstance(option, mi.StrType) and isinstance(value, str):
            multiline = (option.max_length or 0) >= LONG_TEXT_MAX_LENGTH
            found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
            if found is not None:
                params = {
                    "character": f"U+{ord(found[0]):04X}",
                    "position": found.start() + 1,
                    "allowed": Message("schema.control-character.multiline") if multiline else "",
                }
                errors.append(FieldError(path, "control-character", params))
            return
        if isinstance(option, mi.ListType) and isinstance(value, list):
            for i, item in enumerate(value):
                _controls_in(option.item_type, item, f"{path}[{i}]", errors)
            return
        if isinstance(option, mi.StructType) and isinstance(value, Mapping):
            _controls_in_struct(option, value, path, errors)
            return


def bad_day(value: Any) -> bool:
    """Whether ``value`` is not an ISO day of the calendar (``2024-02-30`` is not)."""
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return True
    return False


def from_msgspec(exc: msgspec.ValidationError) -> FieldError:
    """msgspec's one error as a field error, for a check :func:`field_errors` did not make."""
    text = str(exc)
    where = ""
    if " - at `$." in text:
        text, _, at = text.partition(" - at `$.")
        where = at.rstrip("`")
    return FieldError(where, "invalid", {"detail": text})


def _options(kind: mi.Type) -> tuple[mi.Type, ...]:
    return kind.types if isinstance(kind, mi.UnionType) else (kind,)


def _path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _check_struct(
    info: mi.StructType,
    data: Any,
    path: str,
    errors: list[FieldError],
    skip: frozenset[str] = frozenset(),
) -> None:
    if not isinstance(data, Mapping):
        errors.append(FieldError(path, "not-a-map", {}))
        return
    names = {f.encode_name for f in info.fields}
    ignored = {info.tag_field} if info.tag_field else set()
    known = ", ".join(f.encode_name for f in info.fields)
    for key in data:
        if key not in names and key not in ignored:
            where = _path(path, str(key))
            kind = info.tag if isinstance(info.tag, str) else ""
            errors.append(FieldError(where, "unknown-field", {"type": kind, "known": known}))
    for f in info.fields:
        where = _path(path, f.encode_name)
        if where in skip:
            continue
        if f.encode_name not in data:
            if f.required:
                errors.append(FieldError(where, "missing", {}))
            continue
        _check_value(f.type, data[f.encode_name], where, errors)


def _check_value(kind: mi.Type, value: Any, path: str, errors: list[FieldError]) -> None:
    options = _options(kind)
    if value is None and any(isinstance(t, mi.NoneType) for t in options):
        return
    kind = next(t for t in options if not isinstance(t, mi.NoneType))
    if isinstance(kind, mi.StrType):
        _check_text(kind, value, path, errors)
    elif isinstance(kind, mi.BytesType):
        _check_bytes(kind, value, path, errors)
    elif isinstance(kind, mi.IntType):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(FieldError(path, "not-a-number", {}))
        elif kind.ge is not None and value < kind.ge:
            errors.append(
                FieldError(path, "not-an-entry" if kind.ge == 0 else "too-small", {"min": kind.ge})
            )
    elif isinstance(kind, mi.LiteralType):
        if value not in kind.values or isinstance(value, bool):
            allowed = ", ".join(str(v) for v in kind.values)
            errors.append(
                FieldError(path, "not-one-of", {"value": _shown(value), "allowed": allowed})
            )
    elif isinstance(kind, mi.ListType):
        if not isinstance(value, list):
            errors.append(FieldError(path, "not-a-list", {}))
            return
        for i, item in enumerate(value):
            _check_value(kind.item_type, item, f"{path}[{i}]", errors)
    elif isinstance(kind, mi.StructType):
        _check_struct(kind, value, path, errors)


def _check_text(kind: mi.StrType, value: Any, path: str, errors: list[FieldError]) -> None:
    if not isinstance(value, str):
        errors.append(FieldError(path, _PATTERN_REASONS.get(kind.pattern or "", "not-text"), {}))
        return
    if kind.min_length and len(value) < kind.min_length:
        errors.append(FieldError(path, "empty", {}))
    elif kind.max_length is not None and len(value) > kind.max_length:
        errors.append(FieldError(path, "too-long", {"length": len(value), "max": kind.max_length}))
    elif kind.pattern is not None:
        reason = _PATTERN_REASONS.get(kind.pattern, "bad-format")
        if not _matches(kind.pattern, value) or (reason == "not-a-date" and bad_day(value)):
            errors.append(FieldError(path, reason, {"value": _shown(value)}))


def _check_bytes(kind: mi.BytesType, value: Any, path: str, errors: list[FieldError]) -> None:
    size = kind.max_length if kind.max_length == kind.min_length else None
    if not isinstance(value, bytes):
        errors.append(FieldError(path, "not-a-hash" if size == 32 else "not-bytes", {}))
    elif size is not None and len(value) != size:
        errors.append(FieldError(path, "wrong-hash-length", {"length": len(value), "size": size}))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern`` as msgspec checks it (``re.search``)."""
    return _compiled(pattern).search(value) is not None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
