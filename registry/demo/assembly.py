"""Assembling the demo: :func:`build_demo` runs every part, then orders, signs and counts.

The events of the offices, the enforcement history and the pledges are kept up
to ``now``, ordered by issue time into log indexes, their references to earlier
events resolved to those indexes, and signed; ``expected`` counts what the
kept statements hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from registry.demo.baseline import import_baseline
from registry.demo.dates import ACTING_DAY_2020, CUTOFF, GO_LIVE, timestamp
from registry.demo.elections import cite_elections, register_elections
from registry.demo.enforcement import EnforcementHistory
from registry.demo.offices import Region, appoint_heads, build_regions
from registry.demo.pilkada2024 import recommend_to_pact_signers
from registry.demo.pledges import declare_ppks, enrol_asn, publish_templates, sign_pacts
from registry.demo.signers import Builder, DemoData, Event
from registry.records.schemas import ATTESTED_MAX
from registry.signing.cose import CoseSigner
from registry.verify.statement import statement_content


def _resolve(value: Any) -> Any:
    if isinstance(value, Event):
        return value.index
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


def _logged(event: Event) -> int:
    """When an event is registered: when it is issued, or for a historic import, later."""
    return int(event.meta.get("logged_at", event.at))


def _expected(kept: list[Event], regions: list[Region]) -> dict[str, int]:
    counts: dict[str, int] = {"statements": len(kept)}

    def add(name: str, condition: bool = True) -> None:
        counts[name] = counts.get(name, 0) + int(condition)

    violated: set[int] = set()
    for event in kept:
        kind, meta = event.payload["type"], event.meta
        if meta.get("election") in ("pilkada-2018", "pilkada-2024"):
            year = meta["election"][-4:]
            name = kind.replace("-", "_")
            add(f"{name}s_{year}" if kind != "follow-up" else f"follow_ups_{meta['action']}_{year}")
            continue
        early = meta.get("day", GO_LIVE) <= CUTOFF
        if kind == "report":
            add("reports")
            add("reports_by_2020_07_31", early)
        elif kind == "recommendation":
            violated.add(meta["region"])
            add("recommendations")
            add("recommendations_by_2020_07_31", early)
            add("recommendations_to_acting" if meta["acting"] else "recommendations_to_definitive")
        elif kind == "follow-up" and meta["action"] == "refused":
            add("follow_ups_refused")
        elif kind == "follow-up" and meta["action"] == "downgraded":
            add("follow_ups_downgraded")
        elif kind == "follow-up":
            add("follow_ups_sanctioned")
            add("sanctioned_by_2020_07_31", early)
            add("sanctioned_on_time" if meta["on_time"] else "sanctioned_late")
            add("sanctioned_by_acting" if meta["acting"] else "sanctioned_by_definitive")
        elif kind == "enforcement":
            add("enforcement_steps")
            add("enforcement_" + meta["step"].replace("-", "_"))
        else:
            add(kind.replace("-", "_") + "s")
    counts["not_followed_up"] = counts.get("recommendations", 0) - counts.get(
        "follow_ups_sanctioned", 0
    )
    acting = [
        n
        for n, r in enumerate(regions)
        if (o := r.office_at(ACTING_DAY_2020)) is not None and o.acting
    ]
    counts["acting_regions"] = len(acting)
    counts["acting_regions_with_violations"] = sum(1 for n in acting if n in violated)
    return counts


def _attest(b: Builder, run: list[bytes], now_s: int) -> bytes:
    """The operator's attestation of ``run`` (history loaded in bulk, dated in the past)."""
    contents = [statement_content(s) for s in run]
    assert all(c is not None for c in contents)
    return b.admin.cose.sign_statement(
        {
            "type": "attestation",
            "source": "registry demo (fictional history from the seed articles)",
            "reason": "history loaded in bulk; dates as the demo tells them",
            "statements": cast(list[bytes], contents),
        },
        b.admin.kid.hex(),
        now_s,
    )


def build_demo(
    admin: CoseSigner,
    *,
    seed: int = 2024,
    now: dt.datetime | None = None,
    recommending_authority: str = "KemenPAN-RB/BKN",
    salt_key: bytes | None = None,
) -> DemoData:
    """Build the demo's signed statements, in the order they must be registered into an empty log.

    ``statements[0]`` is the admin's self-enrolment (role ``admin``, term from
    2 January 2020: the history is back-dated, so the admin key's enrolment must
    cover it); entry ``i`` of the log must be ``statements[i]``, because
    follow-ups, recommendations, enforcement steps and revocations cite earlier
    entries by index.  Statements dated after ``now`` (default: the current
    time) are left out, with everything that depends on them.  Keys are
    :func:`demo_key` of ``seed``; the same ``seed`` and ``now`` give the same bytes.
    ``expected`` counts what was generated (the seed figures with the default ``now``).
    The salts behind NIP commitments are HMACs under ``salt_key`` (a fresh random
    key when not given: the same seed then gives other salts, and only they differ).
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now_s = int(now.timestamp())
    if now_s < timestamp(GO_LIVE, 6):
        raise ValueError(f"the demo history starts on {GO_LIVE}; now={now.isoformat()} is earlier")
    b = Builder(admin, seed, recommending_authority, salt_key)
    regions = build_regions()
    register_elections(b, regions)
    appoint_heads(b, regions)
    import_baseline(b, regions)
    EnforcementHistory(b, regions).run()
    pact_template, declaration_template = publish_templates(b)
    sign_pacts(b, regions, pact_template)
    recommend_to_pact_signers(b, regions)
    declare_ppks(b, regions, declaration_template)
    enrol_asn(b, regions, declaration_template)
    cite_elections(b.events)
    kept = sorted((e for e in b.events if _logged(e) <= now_s), key=lambda e: (_logged(e), e.seq))
    # The history is older than the registry's maximum statement age: the operator attests
    # it, each run of ATTESTED_MAX statements after an attestation listing them (so an
    # earlier ``now`` gives the same bytes up to its last, shorter, attestation).
    for index, event in enumerate(kept):
        event.index = index if index == 0 else index + (index - 1) // ATTESTED_MAX + 1
    history = [
        e.actor.cose.sign_statement(_resolve(e.payload), e.actor.kid.hex(), e.at) for e in kept
    ]
    statements = [history[0]]
    for start in range(1, len(history), ATTESTED_MAX):
        run = history[start : start + ATTESTED_MAX]
        statements += [_attest(b, run, now_s), *run]
    enrolled = {e.payload["public_key"] for e in kept if e.payload["type"] == "enrolment"}
    reported = {e.payload["subject_commitment"] for e in kept if e.payload["type"] == "report"}
    reported |= {
        e.payload["nip_commitment"]
        for e in kept
        if e.payload["type"] == "enrolment" and "nip_commitment" in e.payload
    }
    return DemoData(
        statements=statements,
        signers=[s for s in b.signers if s.public_key in enrolled],
        identities=[i for i in b.identities if i.commitment in reported],
        expected=_expected(kept, regions)
        | {
            "statements": len(statements),
            "attestations": len(statements) - len(kept),
        },
    )
