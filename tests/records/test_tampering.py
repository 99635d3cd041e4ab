"""Edits behind the registry's back: a row changed in the database, then the registry used.

Each test edits the database straight through SQLAlchemy, as someone with
write access to it could (on SQLite and on PostgreSQL), leaving the leaf hashes
alone so that the start-up check against the signed checkpoint still passes,
and then uses the registry over HTTP, before and after a restart.  What the
log vouches for must win: the edit is either not seen (what the registry
derives from the log is unchanged) or refused with ``500 tampered-entry``
naming what differs, logged, and counted by ``/health``; never served.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Executable, delete, insert, select, update

from registry.api.app import create_app
from registry.config import Settings
from registry.log.integrity import LogContradiction
from registry.records import cluster
from registry.records.entries import payload_json
from registry.records.errors import TamperedEntry
from registry.records.operator import OperatorKeys
from registry.records.queued import Registered
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.engine import create_engine
from registry.store.tables import CHECKPOINTS, ENTRIES, REVOKED_ENTRIES, SIGNER_KEYS
from registry.verify.cose import content_digest, parse_sign1
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.helpers import enrolment as enrolled
from tests.api.test_compliance import follow_up, recommendation
from tests.api.test_registration import assert_problem
from tests.databases import copied
from tests.factories import ELECTIONS, cited_statements, election_payload, fixed_key
from tests.records.test_cluster import _admin_enrolment, _pair
from tests.waiting import until

JSON = {"accept": "application/json"}


@contextmanager
def running(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    """The registry served over the Litestar test client until the block ends (a process)."""
    with TestClient(create_app(settings, operator)) as client:
        yield Registry(client, operator)


async def edit_async(settings: Settings, *statements: Executable) -> None:
    """Change the database behind the registry's back, in one transaction."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()


def edit(settings: Settings, *statements: Executable) -> None:
    """:func:`edit_async` from a test that runs no event loop of its own."""
    asyncio.run(edit_async(settings, *statements))


async def _one(settings: Settings, query: Executable) -> Any:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(query)).one()
    finally:
        await engine.dispose()


def stored(settings: Settings, index: int) -> Any:
    """Entry ``index``'s row as the database holds it."""
    return asyncio.run(_one(settings, select(ENTRIES).where(ENTRIES.c.idx == index)))


def stored_checkpoint(settings: Settings, size: int) -> str:
    """The signed note the database holds for the checkpoint of ``size``."""
    query = select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.size == size)
    return str(asyncio.run(_one(settings, query))[0])


def post(registry: Registry, label: str, payload: dict[str, Any], at: int = NOW_S) -> Any:
    return registry.post(registry.sign(label, payload, at))


def registered(registry: Registry, label: str, payload: dict[str, Any], at: int = NOW_S) -> int:
    response = post(registry, label, payload, at)
    assert response.status_code == 201, response.text
    return int(response.headers["x-registry-entry-index"])


def health(registry: Registry) -> dict[str, Any]:
    response = registry.client.get("/health")
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def assert_tampered(response: Any, index: int, column: str) -> dict[str, Any]:
    """A ``500 tampered-entry`` naming entry ``index`` and the copy that differs."""
    body = assert_problem(response, 500, "tampered-entry")
    assert body["evidence"]["index"] == str(index)
    assert body["evidence"]["column"] == column
    return body


def assert_degraded(registry: Registry, **finding: str) -> None:
    """``/health`` says degraded, and lists a finding holding ``finding``."""
    answer = health(registry)
    assert answer["status"] == "degraded"
    assert answer["tampered"] >= 1
    assert any(finding.items() <= f.items() for f in answer["findings"]), answer


def two_ppks_and_pacts(settings: Settings, operator: OperatorKeys) -> list[int]:
    """A registry with a PPK in each of two instansi and a pact by each; the pacts' indexes.

    Built once a session per backend and per what its building reads, then copied
    (:func:`tests.databases.copied`)."""
    build = partial(_two_ppks_and_pacts, operator=operator)
    indexes: list[int] = copied("two-ppks-and-pacts", settings, build, operator.admin.kid)
    return indexes


def _two_ppks_and_pacts(settings: Settings, operator: OperatorKeys) -> list[int]:
    with running(settings, operator) as first:
        registry = Registry.bootstrapped(first.client, operator)
        registry.enrol("ppk-jabar", "ppk", term_end="2099-12-31")
        registry.enrol(
            "ppk-banten",
            "ppk",
            term_end="2099-12-31",
            instansi="Pemerintah Provinsi Banten",
            province="Banten",
        )
        return [
            registered(registry, "ppk-jabar", pact()),
            registered(registry, "ppk-banten", pact(instansi="Pemerintah Provinsi Banten")),
        ]


# -- the key directory -------------------------------------------------------------------------


def test_a_ppk_key_given_the_recommender_role_in_the_database_still_cannot_recommend(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        ppk = registry.signer("ppk-jabar")
        addressed = recommendation(
            ppk_kid=registry.signer("ppk-banten").kid, instansi="Pemerintah Provinsi Banten"
        )
        edit(
            settings,
            update(SIGNER_KEYS).where(SIGNER_KEYS.c.kid == ppk.kid).values(role="recommender"),
        )
        # the running process never reads the table again
        assert_problem(post(registry, "ppk-jabar", addressed), 403, "wrong-role")
    with running(settings, operator) as registry:
        # nor does a process that starts: it derives the role from the enrolment entry
        refused = assert_problem(post(registry, "ppk-jabar", addressed), 403, "wrong-role")
        assert refused["evidence"]["role"] == "ppk"
        view = registry.client.get(f"/entries/{jabar}", headers=JSON).json()
        assert view["signer"]["role"] == "ppk"
        assert_degraded(
            registry,
            table="signer_keys",
            kid=ppk.kid.hex(),
            column="role",
            stored="recommender",
            derived="ppk",
        )


def test_a_key_revocation_erased_from_signer_keys_still_revokes_the_key(
    settings: Settings, operator: OperatorKeys
) -> None:
    two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        ppk = registry.signer("ppk-jabar")
        revocation = {
            "type": "key-revocation",
            "kid": ppk.kid,
            "reason": "masa jabatan berakhir",
            "effective": "2024-09-01",
        }
        response = registry.post(operator.admin.sign_statement(revocation, "operator", NOW_S))
        assert response.status_code == 201, response.text
        revoked_by = response.headers["x-registry-entry-index"]
    edit(
        settings,
        update(SIGNER_KEYS)
        .where(SIGNER_KEYS.c.kid == ppk.kid)
        .values(revoked_at=None, revocation_idx=None),
    )
    with running(settings, operator) as registry:
        assert_problem(post(registry, "ppk-jabar", pact(place="Bogor")), 403, "revoked-key")
        assert_degraded(
            registry,
            table="signer_keys",
            column="revocation_idx",
            stored="None",
            derived=revoked_by,
        )


def test_a_signer_keys_row_invented_in_the_database_signs_nothing(
    settings: Settings, operator: OperatorKeys
) -> None:
    two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        stranger = registry.signer("stranger")
    row = {
        "kid": stranger.kid,
        "public_key": stranger.public_key,
        "role": "ppk",
        "name": "Siapa Saja",
        "nip": None,
        "jabatan": "Gubernur",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "decree_number": "-",
        "decree_date": "2024-01-01",
        "term_start": "2024-01-01",
        "term_end": "2099-12-31",
        "valid_from": 0,
        "valid_until": 4_102_444_800_000,
        "enrolment_idx": 2,
    }
    edit(settings, insert(SIGNER_KEYS).values(row))
    with running(settings, operator) as registry:
        assert_problem(post(registry, "stranger", pact(place="Depok")), 403, "unknown-key")
        assert_degraded(registry, table="signer_keys", kid=stranger.kid.hex(), column="row")


def test_an_enrolment_whose_statement_was_edited_refuses_the_start(
    settings: Settings, operator: OperatorKeys
) -> None:
    two_ppks_and_pacts(settings, operator)
    enrolment = stored(settings, 1).statement
    edited = enrolment[:-1] + bytes([enrolment[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 1).values(statement=edited))

    async def start() -> None:
        service = await RegistryService.open(settings, operator)
        await service.close()

    with pytest.raises(LogContradiction) as refused:
        asyncio.run(start())
    assert refused.value.evidence["index"] == "1"
    assert refused.value.evidence["column"] == "statement"
    assert refused.value.evidence["expected"] == hashlib.sha256(enrolment).hexdigest()
    assert refused.value.evidence["found"] == hashlib.sha256(edited).hexdigest()
    assert "\n" not in str(refused.value)
    assert "restore the database" in str(refused.value)


# -- revoked entries ---------------------------------------------------------------------------


WRONG_PLACE = "ditandatangani di tempat yang salah"


def revocation_of(entry: int, reason: str = WRONG_PLACE) -> dict[str, Any]:
    return {"type": "revocation", "entry": entry, "reason": reason}


def test_a_deleted_revoked_entries_row_still_counts(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        revoked_by = registered(registry, "ppk-jabar", revocation_of(jabar))
    edit(settings, delete(REVOKED_ENTRIES).where(REVOKED_ENTRIES.c.idx == jabar))
    with running(settings, operator) as registry:
        status = registry.client.get(f"/entries/{jabar}", headers=JSON).json()["status"]
        assert status == {
            "revoked": True,
            "revoked_by": revoked_by,
            "reason": WRONG_PLACE,
        }
        # and the policy knows it no longer stands
        again = post(registry, "ppk-jabar", revocation_of(jabar, "sekali lagi"))
        assert_problem(again, 409, "already-revoked")
        assert_degraded(
            registry, table="revoked_entries", index=str(jabar), column="row", stored="missing"
        )


def test_an_invented_revoked_entries_row_revokes_nothing(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, banten = two_ppks_and_pacts(settings, operator)
    invented = {"idx": jabar, "revocation_idx": banten, "reason": "dicabut"}
    edit(settings, insert(REVOKED_ENTRIES).values(invented))
    with running(settings, operator) as registry:
        status = registry.client.get(f"/entries/{jabar}", headers=JSON).json()["status"]
        assert status == {"revoked": False, "revoked_by": None, "reason": None}
        assert_degraded(
            registry,
            table="revoked_entries",
            index=str(jabar),
            column="row",
            derived="no revocation entry",
        )


# -- an entry's copies -------------------------------------------------------------------------


def test_an_edited_payload_json_is_refused_by_the_view_search_and_figures(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    original = stored(settings, jabar).payload_json
    edited = original.replace("Bandung", "Jakarta")
    assert edited != original
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == jabar).values(payload_json=edited))
    with running(settings, operator) as registry:
        client = registry.client
        answers = [
            client.get(f"/entries/{jabar}", headers=JSON),
            client.get("/api/entries", params={"type": "pact"}),
            client.get("/api/entries", params={"type": "pact", "format": "csv"}),
            client.get("/api/compliance/national"),
        ]
        for answer in answers:
            body = assert_tampered(answer, jabar, "payload_json")
            assert (
                body["evidence"]["expected"]
                == "sha256:" + hashlib.sha256(original.encode()).hexdigest()
            )
            assert "Jakarta" not in answer.text
        # the other pact is unaffected
        other = client.get("/api/entries", params={"instansi": "Pemerintah Provinsi Banten"})
        assert other.status_code == 200
        assert_degraded(registry, index=str(jabar), column="payload_json")
        # one finding, however often it is read
        assert health(registry)["tampered"] == 1


@pytest.mark.parametrize(
    ("column", "value", "search"),
    [
        ("type", "declaration", {"type": "declaration"}),
        ("instansi", "Pemerintah Provinsi Banten", {"instansi": "Pemerintah Provinsi Banten"}),
        ("registered_at", 0, {"until": "1970-01-02T00:00:00Z"}),
    ],
)
def test_a_search_column_edited_to_match_a_search_is_refused(
    settings: Settings,
    operator: OperatorKeys,
    column: str,
    value: Any,
    search: dict[str, str],
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == jabar).values({column: value}))
    with running(settings, operator) as registry:
        assert_tampered(registry.client.get("/api/entries", params=search), jabar, column)


def test_edited_statement_bytes_are_refused_by_every_reader(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    original = stored(settings, jabar).statement
    with running(settings, operator) as registry:
        client = registry.client
        assert client.get(f"/entries/{jabar}/statement").content == original
        # a careful forger: another pact of the same key, every copy made to match it
        forged_payload = pact(place="Jakarta")
        forged = registry.sign("ppk-jabar", forged_payload)
        edit(
            settings,
            update(ENTRIES)
            .where(ENTRIES.c.idx == jabar)
            .values(
                statement=forged,
                statement_sha256=hashlib.sha256(forged).digest(),
                content_sha256=content_digest(parse_sign1(forged).unwrap()),
                payload_json=payload_json(forged_payload),
            ),
        )
        # checked once and kept in memory, it is served as it was registered
        assert client.get(f"/entries/{jabar}/statement").content == original
        for path in (f"/entries/{jabar}/certificate.pdf", "/api/compliance/national"):
            assert_tampered(client.get(path), jabar, "statement")
        assert_tampered(client.get(f"/entries/{jabar}", headers=JSON), jabar, "statement")
        page = client.get(f"/v/{jabar}")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert f"#{jabar} (statement)" in page.text
        assert "Jakarta" not in page.text
    with running(settings, operator) as registry:
        client = registry.client
        for path in (
            f"/entries/{jabar}/statement",
            f"/entries/{jabar}",
            f"/entries/{jabar}/qr-offline.txt",
        ):
            answer = client.get(path)
            assert_tampered(answer, jabar, "statement")
            assert forged not in answer.content
        assert_degraded(registry, index=str(jabar), column="statement")


def flip_last_byte(data: bytes, _: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def swap(_: bytes, other: bytes) -> bytes:
    return other


@pytest.mark.parametrize("mutation", [flip_last_byte, swap], ids=["flipped", "swapped"])
def test_an_edited_receipt_is_refused(
    settings: Settings, operator: OperatorKeys, mutation: Any
) -> None:
    jabar, banten = two_ppks_and_pacts(settings, operator)
    mine, other = stored(settings, jabar).receipt, stored(settings, banten).receipt
    edited = mutation(mine, other)
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == jabar).values(receipt=edited))
    with running(settings, operator) as registry:
        client = registry.client
        for path in (f"/entries/{jabar}", f"/entries/{jabar}/qr-offline.txt"):
            answer = client.get(path)
            assert_tampered(answer, jabar, "receipt")
            assert edited not in answer.content
        assert client.get(f"/entries/{banten}").content == other
        assert_degraded(registry, index=str(jabar), column="receipt")


def test_an_edited_leaf_is_refused_in_its_tile_and_its_entry(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    leaf = stored(settings, jabar).leaf
    edit(
        settings,
        update(ENTRIES).where(ENTRIES.c.idx == jabar).values(leaf=flip_last_byte(leaf, b"")),
    )
    with running(settings, operator) as registry:
        size = health(registry)["size"]
        assert_tampered(registry.client.get(f"/tile/entries/000.p/{size}"), jabar, "leaf")
        assert_tampered(registry.client.get(f"/entries/{jabar}", headers=JSON), jabar, "leaf")


def test_an_edited_checkpoint_under_a_receipt_is_refused(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    later = stored_checkpoint(settings, jabar + 2)
    # the note of another size: signed by the log, but not for this size
    edit(
        settings,
        update(CHECKPOINTS).where(CHECKPOINTS.c.size == jabar + 1).values(note=later),
    )
    with running(settings, operator) as registry:
        answer = registry.client.get(f"/entries/{jabar}/certificate.pdf")
        assert_tampered(answer, jabar + 1, "checkpoint")


def test_a_content_hash_moved_onto_another_entry_answers_nobody_with_its_receipt(
    settings: Settings, operator: OperatorKeys
) -> None:
    _, banten = two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        fresh = registry.sign("ppk-jabar", pact(place="Cirebon"))
    content = content_digest(parse_sign1(fresh).unwrap())
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == banten).values(content_sha256=content))
    with running(settings, operator) as registry:
        answer = registry.post(fresh)
        assert_tampered(answer, banten, "content_sha256")
        assert stored(settings, banten).receipt not in answer.content


def test_a_follow_up_of_an_edited_recommendation_is_refused_alone(
    settings: Settings, operator: OperatorKeys
) -> None:
    async def scenario() -> None:
        service = await RegistryService.open(settings, operator)
        try:
            admin = operator.admin
            await service.register(
                admin.sign_statement(enrolled(admin.public_key, "admin"), "op", NOW_S)
            )
            recommender, ppk = CoseSigner(fixed_key("rec")), CoseSigner(fixed_key("ppk"))
            for signer, role in ((recommender, "recommender"), (ppk, "ppk")):
                await service.register(
                    admin.sign_statement(enrolled(signer.public_key, role), "op", NOW_S)
                )
            for cited in cited_statements(admin, issued_at=NOW_S):  # what the records cite
                await service.register(cited)
            rec = await service.register(
                recommender.sign_statement(recommendation(ppk_kid=ppk.kid), "rec", NOW_S)
            )
            await edit_async(
                settings,
                update(ENTRIES)
                .where(ENTRIES.c.idx == rec.index)
                .values(instansi="Pemerintah Provinsi Banten"),
            )
            answer = ppk.sign_statement(follow_up(rec.index), "ppk", NOW_S + 86_400)
            unrelated = ppk.sign_statement(pact(place="Garut"), "ppk", NOW_S)
            outcomes = await asyncio.gather(
                service.register(answer), service.register(unrelated), return_exceptions=True
            )
            assert isinstance(outcomes[0], TamperedEntry)
            assert outcomes[0].evidence["index"] == str(rec.index)
            assert outcomes[0].evidence["column"] == "instansi"
            assert isinstance(outcomes[1], Registered), outcomes[1]
        finally:
            await service.close()

    asyncio.run(scenario())


def _with_election(settings: Settings, operator: OperatorKeys) -> tuple[CoseSigner, int]:
    """A log with its admin, a PPK, the fixture template and election (its index)."""
    ppk = CoseSigner(fixed_key("ppk"))

    async def scenario() -> int:
        service = await RegistryService.open(settings, operator)
        try:
            admin = operator.admin
            for statement in [
                admin.sign_statement(enrolled(admin.public_key, "admin"), "op", NOW_S),
                admin.sign_statement(enrolled(ppk.public_key, "ppk"), "op", NOW_S),
                *cited_statements(admin, issued_at=NOW_S),
            ]:
                last = await service.register(statement)
            return last.index  # the election comes after the template
        finally:
            await service.close()

    return ppk, asyncio.run(scenario())


def _forged_election(settings: Settings, operator: OperatorKeys, election: int) -> Executable:
    forged = operator.admin.sign_statement(
        election_payload("pilkada-2024", regions=["Papua"]), "op", NOW_S
    )
    return (
        update(ENTRIES)
        .where(ENTRIES.c.idx == election)
        .values(statement=forged, statement_sha256=hashlib.sha256(forged).digest())
    )


def test_an_election_edited_before_the_sequencer_reads_it_refuses_the_pledges_citing_it(
    settings: Settings, operator: OperatorKeys
) -> None:
    ppk, election = _with_election(settings, operator)
    edit(settings, _forged_election(settings, operator, election))

    async def scenario() -> None:
        service = await RegistryService.open(settings, operator)
        try:
            with pytest.raises(TamperedEntry) as refused:
                await service.register(ppk.sign_statement(pact(place="Garut"), "ppk", NOW_S))
            assert refused.value.evidence["index"] == str(election)
        finally:
            await service.close()

    asyncio.run(scenario())


def test_an_election_edited_after_the_sequencer_kept_it_is_caught_by_its_readers(
    settings: Settings, operator: OperatorKeys
) -> None:
    """The sequencer admits pledges against the election as it checked it; the edit moves
    nothing and is caught by whoever reads the entry from the database."""
    ppk, election = _with_election(settings, operator)

    async def scenario() -> None:
        service = await RegistryService.open(settings, operator)
        try:
            await service.register(ppk.sign_statement(pact(place="Garut"), "ppk", NOW_S))
            await edit_async(settings, _forged_election(settings, operator, election))
            later = await service.register(ppk.sign_statement(pact(place="Bogor"), "ppk", NOW_S))
            assert not later.existed
            with pytest.raises(TamperedEntry) as refused:
                await service.entry(election)
            assert refused.value.evidence["column"] == "statement"
            # a new election, registered after they were kept, is cited as any other
            admin = operator.admin
            await service.register(
                admin.sign_statement(
                    election_payload("pilkada-2029", **ELECTIONS["pilkada-2024"]), "op", NOW_S
                )
            )
            cites_it = pact(place="Depok", election="pilkada-2029")
            assert not (await service.register(ppk.sign_statement(cites_it, "ppk", NOW_S))).existed
        finally:
            await service.close()

    asyncio.run(scenario())


def test_a_follower_checks_the_receipts_and_statements_it_reads_when_asked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the explicit refresh below may catch up, so that the edits land after it (a
    # catch-up reads no receipt or statement: the first GET here reads them, and checks).
    monkeypatch.setattr(cluster, "FOLLOW_INTERVAL_S", 3600.0)

    async def scenario() -> None:
        sequencer, follower = await _pair(settings)
        try:
            assert not follower.is_sequencer
            admin = sequencer.keys.admin
            await sequencer.register(_admin_enrolment(admin))
            ppk = CoseSigner(fixed_key("ppk"))
            await sequencer.register(
                admin.sign_statement(enrolled(ppk.public_key, "ppk"), "op", NOW_S)
            )
            for cited in cited_statements(admin, issued_at=NOW_S):  # what the pacts cite
                await sequencer.register(cited)
            first, second, third = [
                await sequencer.register(ppk.sign_statement(pact(place=p), "ppk", NOW_S))
                for p in ("Bekasi", "Bogor", "Depok")
            ]
            await follower.refresh()  # caught up before the edits: nothing read ahead
            assert first.index < follower.size
            await edit_async(
                settings,
                update(ENTRIES).where(ENTRIES.c.idx == first.index).values(receipt=second.receipt),
            )
            forged = ppk.sign_statement(pact(place="Jakarta"), "ppk", NOW_S)  # never registered
            await edit_async(
                settings,
                update(ENTRIES)
                .where(ENTRIES.c.idx == third.index)
                .values(statement=forged, statement_sha256=hashlib.sha256(forged).digest()),
            )
            with pytest.raises(TamperedEntry) as refused:
                await follower.receipt(first.index)
            assert refused.value.evidence["column"] == "receipt"
            with pytest.raises(TamperedEntry):
                await follower.statement(third.index)
            assert await follower.receipt(second.index) == second.receipt
            # the sequencer made them, and serves them from memory as they were issued
            assert await sequencer.receipt(first.index) == first.receipt
            assert follower.tampering()[0] == 2
        finally:
            await sequencer.close()
            await follower.close()

    asyncio.run(scenario())


def test_a_follower_serves_what_it_handed_over_as_issued_and_reads_the_rest_checked(
    settings: Settings,
) -> None:
    """A follower keeps the receipt the sequencer answered for a statement it handed over
    (neither comes from the database); an edit in the database is caught by any process
    that reads that entry from it, a new follower included."""

    async def scenario() -> None:
        sequencer, follower = await _pair(settings)
        try:
            admin = sequencer.keys.admin
            await sequencer.register(_admin_enrolment(admin))
            ppk = CoseSigner(fixed_key("ppk"))
            await sequencer.register(
                admin.sign_statement(enrolled(ppk.public_key, "ppk"), "op", NOW_S)
            )
            for cited in cited_statements(admin, issued_at=NOW_S):
                await sequencer.register(cited)
            mine = ppk.sign_statement(pact(place="Cianjur"), "ppk", NOW_S)
            handed = await follower.register(mine)
            assert not handed.existed
            other = await sequencer.register(
                ppk.sign_statement(pact(place="Sukabumi"), "ppk", NOW_S)
            )
            await edit_async(
                settings,
                update(ENTRIES).where(ENTRIES.c.idx == handed.index).values(receipt=other.receipt),
            )
            assert await follower.receipt(handed.index) == handed.receipt
            assert await follower.statement(handed.index) == mine
            late = await RegistryService.open(settings, sequencer.keys)  # a third process
            try:
                with pytest.raises(TamperedEntry) as refused:
                    await late.receipt(handed.index)
                assert refused.value.evidence["column"] == "receipt"
            finally:
                await late.close()
        finally:
            await sequencer.close()
            await follower.close()

    asyncio.run(scenario())


def test_an_entry_of_a_batch_still_being_written_is_not_taken_for_tampered(
    settings: Settings, operator: OperatorKeys
) -> None:
    """The sequencer admits a batch while the one before is written: an entry of that one,
    signed by a key it enrols, is checked against the keys being written too."""

    async def scenario() -> None:
        service = await RegistryService.open(settings, operator)
        store = service.store
        write = store.append_batch
        written, release = asyncio.Event(), asyncio.Event()

        async def held(*args: Any, **kwargs: Any) -> None:
            await write(*args, **kwargs)
            written.set()
            await release.wait()

        try:
            admin = operator.admin
            await service.register(
                admin.sign_statement(enrolled(admin.public_key, "admin"), "op", NOW_S)
            )
            for cited in cited_statements(admin, issued_at=NOW_S):  # entries 1, 2: pacts cite
                await service.register(cited)
            ppk = CoseSigner(fixed_key("ppk"))
            store.append_batch = held  # type: ignore[method-assign]
            first = [
                admin.sign_statement(enrolled(ppk.public_key, "ppk"), "op", NOW_S),
                ppk.sign_statement(pact(place="Karawang"), "ppk", NOW_S),
                ppk.sign_statement(revocation_of(4), "ppk", NOW_S),
            ]
            batch = [asyncio.ensure_future(service.register(s)) for s in first]
            await written.wait()  # on disk, its keys not yet applied
            second = ppk.sign_statement(revocation_of(5, "dicabut kembali"), "ppk", NOW_S)
            store.append_batch = write  # type: ignore[method-assign]
            later = asyncio.ensure_future(service.register(second))
            # admitted (its references read and checked) while the first batch is still held
            await until(lambda: later.done() or service.state.size == 7, "the second admitted")
            release.set()
            assert [r.index for r in await asyncio.gather(*batch)] == [3, 4, 5]
            assert (await later).index == 6
            assert service.tampering() == (0, [])
        finally:
            release.set()
            await service.close()

    asyncio.run(scenario())
