"""ClientLockouts and the slow-down: plain rules, without a store."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.records.throttle import QUEUE, ClientLockouts, next_turn_ms

KID = bytes(32)
MAX = 3
LOCKOUT_MS = 60_000


def test_a_client_locked_out_does_not_lock_out_another() -> None:
    lockouts = ClientLockouts(MAX, LOCKOUT_MS)
    for _ in range(MAX):
        state = lockouts.failure(KID, "attacker", 0)
    assert state.is_locked(0)
    assert not state.is_locked(LOCKOUT_MS)
    assert not lockouts.state(KID, "owner").is_locked(0)
    assert not lockouts.state(bytes(31) + b"\1", "attacker").is_locked(0)


def test_a_success_forgets_the_clients_mistakes() -> None:
    lockouts = ClientLockouts(MAX, LOCKOUT_MS)
    lockouts.failure(KID, "owner", 0)
    lockouts.success(KID, "owner")
    assert lockouts.state(KID, "owner").failures == 0


def test_forgetting_old_clients_never_locks_anyone() -> None:
    lockouts = ClientLockouts(MAX, LOCKOUT_MS, max_tracked=2)
    for client in ("a", "b", "c"):
        lockouts.failure(KID, client, 0)
    assert lockouts.state(KID, "a").failures == 0
    assert lockouts.state(KID, "c").failures == 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans(), st.integers(0, 10_000)),
        max_size=60,
    )
)
def test_a_client_with_no_failure_of_its_own_is_never_locked_out(
    events: list[tuple[str, bool, int]],
) -> None:
    lockouts = ClientLockouts(MAX, LOCKOUT_MS)
    now = 0
    for client, wrong, step in events:
        now += step
        if wrong:
            lockouts.failure(KID, client, now)
        else:
            lockouts.success(KID, client)
    assert not lockouts.state(KID, "owner").is_locked(now)


@given(st.integers(0, 100), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10_000))
def test_the_slow_down_waits_only_under_attack_and_never_beyond_one_interval(
    failures: int, last: int, now: int, slow: int
) -> None:
    wait = next_turn_ms(failures, MAX, last, now, slow) - now  # one process: a queue of one
    assert 0 <= wait <= slow
    if failures < MAX:
        assert wait == 0
    elif last <= now:
        assert now + wait >= last + slow


@given(
    st.integers(0, 100),
    st.none() | st.floats(-1e13, 1e13) | st.just(float("nan")),
    st.integers(0, 10**12),
    st.integers(1, 10_000),
)
def test_a_shared_turn_comes_only_under_attack_after_the_last_and_never_beyond_the_queue(
    failures: int, last: float | None, now: int, slow: int
) -> None:
    # The workers' shared turns: a key under attack is tried once per interval after the
    # turn taken last (which may still be waited for), and never later than QUEUE intervals
    # from now, whatever the table says (a clock that went back, a damaged slot).
    turn = next_turn_ms(failures, MAX, last, now, slow, QUEUE)
    assert now <= turn <= now + QUEUE * slow
    if failures < MAX or last is None or last != last:
        assert turn == now
    elif last + slow <= now + QUEUE * slow:
        assert turn >= last + slow - 1  # ms rounding
