"""What a record's types cannot say, checked once its fields fit (DESIGN.md "Records").

:func:`rule_errors` lists, as :class:`~registry.records.errors.FieldError`,
dates that are no day of the calendar, text with control characters, the
fields a follow-up's action needs, an election's campaign that does not come
before its voting day and, for a new statement only, personal data in clear
(:mod:`registry.records.personal`) and a pact or declaration that does not
name its signer.  The rules go by the record's ``type``, so this module needs
none of the Structs of :mod:`registry.records.schemas`, which calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.records.errors import FieldError
from registry.records.fields import bad_day, control_errors, date_fields
from registry.records.personal import personal_data_errors


def rule_errors(
    kind: str, struct: type[Any], payload: Mapping[str, Any], logged: bool = False
) -> list[FieldError]:
    """Every rule ``payload`` (a record of type ``kind``, Struct ``struct``) breaks.

    ``logged`` reads an entry already in the log: the personal-data and signer
    rules were not there when older entries were registered.
    """
    errors = [] if logged else personal_data_errors(kind == "enrolment", payload)
    errors += [
        FieldError(name, "not-a-date", {"value": repr(payload[name])})
        for name in date_fields(struct)
        if isinstance(payload.get(name), str) and bad_day(payload[name])
    ]
    errors += control_errors(struct, payload)
    if not logged and kind in _SIGNER_NEEDED and payload.get("signer") is None:
        errors.append(FieldError("signer", "missing", {}))
    if kind == "election":
        errors += _election_errors(payload)
    action = payload.get("action")
    if kind == "follow-up" and isinstance(action, str) and action in _FOLLOW_UP_NEEDS:
        errors += [
            FieldError(name, f"needed-when-{action}", {})
            for name in _FOLLOW_UP_NEEDS[action]
            if not payload.get(name)
        ]
    return errors


_SIGNER_NEEDED = frozenset({"pact", "declaration"})
"""Records that must name their signer (:class:`~registry.records.schemas.Signer`) when new;
older entries need not."""


def _election_errors(payload: Mapping[str, Any]) -> list[FieldError]:
    """An election's campaign comes before its voting day, and starts before it ends."""
    days = [payload.get(n) for n in ("campaign_start", "campaign_end", "voting_day")]
    if not all(isinstance(d, str) and not bad_day(d) for d in days):
        return []
    start, end, voting = (str(d) for d in days)
    errors = []
    if end < start:
        errors.append(FieldError("campaign_end", "before-campaign-start", {"start": start}))
    if voting < end:
        errors.append(FieldError("voting_day", "before-campaign-end", {"end": end}))
    return errors


_FOLLOW_UP_NEEDS = {"sanctioned": ("decree_number", "decree_date"), "refused": ("reason",)}
"""The fields a follow-up's action needs besides those every follow-up has."""
