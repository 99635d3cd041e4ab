"""The per-client token buckets behind ``rate_limited``: counted per client, refilled in time."""

from __future__ import annotations

import pytest

from registry.api.limits import Buckets, Limit, RateLimited


def test_a_client_over_its_limit_is_refused_with_when_to_retry() -> None:
    buckets = Buckets("identity", Limit(3, 60.0))
    for _ in range(3):
        buckets.take("10.0.0.1", 1000.0)
    with pytest.raises(RateLimited) as refused:
        buckets.take("10.0.0.1", 1000.0)
    assert refused.value.retry_after == 20
    assert refused.value.bucket == "identity"


def test_other_clients_are_counted_apart() -> None:
    buckets = Buckets("identity", Limit(1, 60.0))
    buckets.take("10.0.0.1", 0.0)
    buckets.take("10.0.0.2", 0.0)
    with pytest.raises(RateLimited):
        buckets.take("10.0.0.1", 0.0)


def test_tokens_come_back_with_time_up_to_the_limit() -> None:
    buckets = Buckets("identity", Limit(2, 60.0))
    buckets.take("c", 0.0)
    buckets.take("c", 0.0)
    buckets.take("c", 30.0)  # one token back after 30 s
    with pytest.raises(RateLimited):
        buckets.take("c", 30.0)
    for _ in range(2):  # a long pause refills to the limit, no more
        buckets.take("c", 10_000.0)
    with pytest.raises(RateLimited):
        buckets.take("c", 10_000.0)
