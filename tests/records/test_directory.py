"""The key directory keeps each key packed: what it gives back is what was put in.

A packed key is compared byte for byte with a ``signer_keys`` row packed the same
way at start (``registry.records.startup.compare_covered_keys``), so packing must be
exact and must tell apart values of different types (a column's integer stored as
text is an edit).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.records import directory
from registry.records.directory import KeyDirectory, pack, pack_row, unpack
from registry.store.models import KeyRevocationRecord, SignerKeyRecord

texts = st.text(max_size=40)
numbers = st.integers(min_value=-(2**63), max_value=2**63 - 1)
keys = st.builds(
    SignerKeyRecord,
    kid=st.binary(min_size=1, max_size=32),
    public_key=st.binary(max_size=64),
    role=st.sampled_from(["admin", "ppk", "asn", "bawaslu", "recommender", "pp", "ppk2"]),
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


def row_of(key: SignerKeyRecord) -> tuple[object, ...]:
    """The columns of ``key``'s row as the start reads them (the kid apart)."""
    return tuple(getattr(key, name) for name in directory.PACKED_COLUMNS)


@given(keys)
def test_a_packed_key_unpacks_to_itself_and_packs_as_its_row(key: SignerKeyRecord) -> None:
    assert unpack(key.kid, pack(key)) == key
    assert pack_row(row_of(key)) == pack(key)


@given(keys)
def test_a_row_with_an_integer_stored_as_text_packs_differently(key: SignerKeyRecord) -> None:
    row = list(row_of(key))
    at = directory.PACKED_COLUMNS.index("enrolment_idx")
    row[at] = str(row[at])
    assert pack_row(tuple(row)) != pack(key)


@given(st.lists(keys, max_size=20, unique_by=lambda k: k.kid))
def test_keys_of_a_role_are_found_without_the_others(found: list[SignerKeyRecord]) -> None:
    held = KeyDirectory(found)
    for role in ("admin", "ppk", "pp", "ppk2", "asn"):
        assert held.of_role(role) == [k for k in found if k.role == role]
    assert sorted(held.all(), key=lambda k: k.kid) == sorted(found, key=lambda k: k.kid)


def test_a_key_revoked_after_it_was_asked_for_is_given_back_revoked() -> None:
    key = SignerKeyRecord(
        bytes(16), bytes(32), "ppk", "Bupati", None, "Bupati", "Pemkab", "SK/1",
        "2024-01-01", "2024-01-02", "2029-01-01", 1, 2, 3,
    )  # fmt: skip
    held = KeyDirectory([key])
    assert held.get(key.kid) == key
    held.apply(KeyRevocationRecord(key.kid, revoked_at=10, revocation_idx=7))
    revoked = held.get(key.kid)
    assert revoked is not None
    assert (revoked.revoked_at, revoked.revocation_idx) == (10, 7)
    assert unpack(key.kid, held.packed(key.kid) or b"") == revoked


def asn(i: int) -> SignerKeyRecord:
    return SignerKeyRecord(
        i.to_bytes(4, "big"), bytes(32), "asn", f"ASN {i}", None, "Analis", "Pemkab",
        "SK", "2024-01-01", "2024-01-02", "2029-01-01", 1, 2, i,
    )  # fmt: skip


def test_the_keys_kept_unpacked_are_bounded() -> None:
    many = [asn(i) for i in range(directory.UNPACKED_KEPT + 10)]
    held = KeyDirectory(many)
    assert [held.get(k.kid) for k in many] == many
    assert len(held._unpacked) == directory.UNPACKED_KEPT
