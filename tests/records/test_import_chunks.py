"""The people named by chunks registered at once (several chunks of an import in flight)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from registry.records.import_chunks import _Claims

PERSON = b"p" * 32


def test_an_identity_kept_by_a_refused_chunk_stays_for_the_chunk_beside_it_that_names_it() -> None:
    # chunk A keeps the person's identity (new) and is refused; chunk B, in flight beside it,
    # found the identity kept (by A) and registers a row naming it: the identity must stay
    claims = _Claims()
    claims.hold({PERSON})  # A
    claims.hold({PERSON})  # B
    assert claims.release({PERSON}, new={PERSON}, named=set()) == []  # A ends, refused
    assert claims.release({PERSON}, new=set(), named={PERSON}) == []  # B ends, registered
    assert claims.people == {}


def test_an_identity_no_registered_row_names_is_erased_when_the_last_chunk_ends() -> None:
    claims = _Claims()
    claims.hold({PERSON})
    claims.hold({PERSON})
    assert claims.release({PERSON}, new={PERSON}, named=set()) == []
    assert claims.release({PERSON}, new=set(), named=set()) == [PERSON]
    assert claims.people == {}


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=6), st.randoms())
def test_claims_erase_exactly_the_new_identities_no_registered_row_names(
    chunks: list[tuple[bool, bool]], rng: random.Random
) -> None:
    # chunks in flight together (each: kept the identity new, registered a row naming it),
    # ending in any order: erased once, at the last end, iff new to one and named by none
    claims = _Claims()
    for _ in chunks:
        claims.hold({PERSON})
    order = list(chunks)
    rng.shuffle(order)
    erased = []
    for new, named in order:
        erased += claims.release(
            {PERSON}, new={PERSON} if new else set(), named={PERSON} if named else set()
        )
    wanted = any(n for n, _ in chunks) and not any(r for _, r in chunks)
    assert erased == ([PERSON] if wanted else [])
    assert claims.people == {}
