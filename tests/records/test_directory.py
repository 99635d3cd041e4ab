"""The key directory keeps each key as a compact row and reads its full record on demand.

What a row holds (public key, role, instansi, enrolment and revocation) answers a
signature's check, an entry's instansi and a listing by role; the full record comes
from the reader (in the registry: the key's enrolment entry, checked against the
tree, ``tests/records/test_saved_state.py``), with the row's revocation applied.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records import directory
from registry.records.directory import KeyDirectory, KeyNotLoaded
from registry.records.errors import TamperedEntry
from registry.store.models import KeyRevocationRecord, SignerKeyRecord

texts = st.text(max_size=40)
numbers = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
ROLES = ["admin", "ppk", "asn", "bawaslu", "recommender", "pp", "ppk2"]
keys = st.builds(
    SignerKeyRecord,
    kid=st.binary(min_size=32, max_size=32),
    public_key=st.binary(min_size=32, max_size=32),
    role=st.sampled_from(ROLES),
    name=texts,
    nip=st.none() | texts,
    jabatan=texts,
    instansi=texts,
    decree_number=texts,
    decree_date=texts,
    term_start=texts,
    term_end=texts,
    valid_from=numbers,
    valid_until=numbers,
    enrolment_idx=st.integers(min_value=0, max_value=2**40),
    revoked_at=st.none() | numbers,
    revocation_idx=st.none() | st.integers(min_value=0, max_value=2**40),
    nip_commitment=st.none() | st.binary(min_size=32, max_size=32),
)
key_lists = st.lists(keys, max_size=20, unique_by=lambda k: k.kid)


def restored(found: list[SignerKeyRecord]) -> KeyDirectory:
    """A directory restored from the sorted rows of one holding ``found`` (as a start does),
    whose reader gives back each key's record as its enrolment entry would (not revoked)."""
    made = KeyDirectory(found)
    held = KeyDirectory()
    held.restore(made.sorted_rows(), made.roles.names, made.instansi.names)
    by_kid = {k.kid: replace(k, revoked_at=None, revocation_idx=None) for k in found}

    async def read(wanted: list[tuple[bytes, int]]) -> dict[bytes, SignerKeyRecord | TamperedEntry]:
        assert all(by_kid[kid].enrolment_idx == index for kid, index in wanted)
        return {kid: by_kid[kid] for kid, _ in wanted}

    held.reader = read
    return held


@given(key_lists)
def test_restored_rows_answer_what_the_keys_say_without_reading_them(
    found: list[SignerKeyRecord],
) -> None:
    held = restored(found)
    for key in found:
        facts = held.facts(key.kid)
        assert facts is not None
        assert (facts.public_key, facts.role, facts.instansi) == (
            key.public_key,
            key.role,
            key.instansi,
        )
        assert (facts.enrolment_idx, facts.revoked_at, facts.revocation_idx) == (
            key.enrolment_idx,
            key.revoked_at,
            key.revocation_idx,
        )
        assert held.public_key(key.kid) == key.public_key
        assert key.kid in held
    for role in ROLES:
        assert sorted(held.kids_of_role(role)) == sorted(k.kid for k in found if k.role == role)


@given(key_lists)
def test_a_full_record_is_read_on_demand_with_the_rows_revocation(
    found: list[SignerKeyRecord],
) -> None:
    held = restored(found)
    for key in found:
        with pytest.raises(KeyNotLoaded):
            held.get(key.kid)
    assert sorted(asyncio.run(held.all()), key=lambda k: k.kid) == sorted(
        found, key=lambda k: k.kid
    )
    for role in ROLES:
        assert asyncio.run(held.of_role(role)) == [held.get(kid) for kid in held.kids_of_role(role)]


def key(i: int, role: str = "asn") -> SignerKeyRecord:
    return SignerKeyRecord(
        i.to_bytes(32, "big"), bytes(32), role, f"ASN {i}", None, "Analis", "Pemkab",
        "SK", "2024-01-01", "2024-01-02", "2029-01-01", 1, 2, i,
    )  # fmt: skip


def test_a_key_revoked_after_it_was_read_is_given_back_revoked() -> None:
    held = KeyDirectory([key(1, "ppk")])
    assert held.get(key(1).kid) == key(1, "ppk")
    held.apply(KeyRevocationRecord(key(1).kid, revoked_at=10, revocation_idx=7))
    revoked = held.get(key(1).kid)
    assert revoked is not None
    assert (revoked.revoked_at, revoked.revocation_idx) == (10, 7)


def test_an_overlays_changes_leave_its_base_alone() -> None:
    base = KeyDirectory([key(1)])
    batch = base.overlay()
    batch.apply(key(2))
    batch.apply(KeyRevocationRecord(key(1).kid, revoked_at=10, revocation_idx=7))
    assert batch.get(key(2).kid) == key(2)
    assert (batch.facts(key(1).kid) or key(0)).revoked_at == 10
    assert base.get(key(2).kid) is None
    assert (base.facts(key(1).kid) or key(0)).revoked_at is None


def test_the_full_records_kept_are_bounded() -> None:
    many = [key(i) for i in range(directory.LOADED_KEPT + 10)]
    held = restored(many)
    assert asyncio.run(held.all()) != []
    assert len(held._loaded) == directory.LOADED_KEPT


def test_the_keys_of_a_pinned_role_stay_held() -> None:
    many = [key(0, "admin"), *(key(i) for i in range(1, directory.LOADED_KEPT + 10))]
    held = restored(many)
    asyncio.run(held.pin_roles("admin"))
    asyncio.run(held.all())
    assert held.held_of_role("admin") == [key(0, "admin")]


def test_a_key_whose_enrolment_entry_fails_its_check_is_refused_with_the_evidence() -> None:
    held = restored([key(1)])
    tampered = TamperedEntry(1, "statement", "aa", "bb")

    async def edited(
        wanted: list[tuple[bytes, int]],
    ) -> dict[bytes, SignerKeyRecord | TamperedEntry]:
        return {kid: tampered for kid, _ in wanted}

    held.reader = edited
    asyncio.run(held.load([key(1).kid]))
    with pytest.raises(TamperedEntry) as raised:
        held.get(key(1).kid)
    assert raised.value is tampered


def test_a_kid_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyDirectory([replace(key(1), kid=bytes(16))])


def test_an_overlay_keeps_what_it_read_whatever_the_root_drops_meanwhile() -> None:
    many = [key(i) for i in range(directory.LOADED_KEPT + 10)]
    held = restored(many)
    batch = held.overlay()
    asyncio.run(batch.load([key(0).kid]))
    asyncio.run(held.all())  # another read fills the root's kept records
    assert key(0).kid not in held._loaded
    assert batch.get(key(0).kid) == key(0)


@given(key_lists, key_lists)
def test_rows_changed_since_the_restore_are_merged_in_kid_order(
    first: list[SignerKeyRecord], then: list[SignerKeyRecord]
) -> None:
    held = restored(first)
    for key_ in then:
        held.apply(key_)
    rows = held.sorted_rows()
    kids = [rows[at : at + 32] for at in range(0, len(rows), directory.ROW.size)]
    assert kids == sorted({k.kid for k in first} | {k.kid for k in then})
    again = KeyDirectory()
    again.restore(rows, held.roles.names, held.instansi.names)
    assert [again.facts(kid) for kid in kids] == [held.facts(kid) for kid in kids]
