"""Lists an anonymous caller may ask for, bounded: ``/api/records`` (an offset past the count
cap refused with the way on, a keyset cursor to any depth) and
``/api/compliance/recommendations`` (paged by ``after`` and ``limit``; out of range: 400),
on both backends, over the history of ``tests/compliance/test_browsing.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from registry.api.search import COUNT_CAP
from registry.compliance.export import to_csv
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.api.test_registration import assert_problem
from tests.compliance.test_browsing import make_history
from tests.compliance.test_saved import running

LANGS = (("id", "lebih dari"), ("en", "more than"))


@pytest.fixture
def served(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        yield registry


def got(registry: Registry, url: str, **params: Any) -> dict[str, Any]:
    answer = registry.client.get(url, params=params or None)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def problem(answer: Any) -> dict[str, Any]:
    return assert_problem(answer, 400, "invalid-parameter")


@pytest.mark.parametrize("url", ["/api/records", "/api/entries"])
def test_an_offset_past_the_count_cap_is_refused_with_the_way_on(
    served: Registry, url: str
) -> None:
    assert got(served, url, offset=COUNT_CAP)["items"] == [], "at the cap: read"
    for lang, words in LANGS:
        for params in ({}, {"type": "recommendation"}):
            answer = served.client.get(
                url,
                params={**params, "offset": COUNT_CAP + 1},
                headers={"accept-language": lang},
            )
            body = problem(answer)
            assert words in body["detail"].lower(), body
            assert "after=" in body["detail"], "says what to use instead"
            assert str(COUNT_CAP + 1) in body["detail"]


@pytest.mark.parametrize("params", [{}, {"province": "Jawa Barat"}, {"type": "recommendation"}])
def test_the_records_cursor_walks_every_record_once(
    served: Registry, params: dict[str, str]
) -> None:
    whole = got(served, "/api/records", **params, limit=1000)
    walked: list[int] = []
    after = None
    for _ in range(len(whole["items"]) + 1):  # a cursor that does not move on: no end
        page = got(served, "/api/records", **params, limit=2,
                   **({} if after is None else {"after": after}))  # fmt: skip
        assert page["total"] == whole["total"], "the count is of every match"
        walked += [r["index"] for r in page["items"]]
        after = page["next_after"]
        if after is None:
            break
        assert after == page["items"][-1]["index"]
    assert after is None, "the walk ended"
    assert walked == [r["index"] for r in whole["items"]]
    assert len(walked) == len(set(walked))


URL = "/api/compliance/recommendations"


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"after": "-1"}, {"after": "y"}],
)
def test_a_recommendations_page_out_of_range_is_refused(
    served: Registry, params: dict[str, str]
) -> None:
    details = []
    for lang, _ in LANGS:
        answer = served.client.get(URL, params=params, headers={"accept-language": lang})
        details.append(problem(answer)["detail"])
        assert next(iter(params)) in details[-1], "names the parameter"
    assert details[0] != details[1], "in each language"


@pytest.mark.parametrize("params", [{}, {"status": "overdue"}, {"instansi": "Bawaslu RI"}])
def test_the_recommendations_pages_followed_make_the_whole_list(
    served: Registry, params: dict[str, str]
) -> None:
    whole = got(served, URL, **params, limit=1000)
    assert whole["count"] == whole["total"] == len(whole["items"])
    assert whole["next"] is None
    rows, url = [], f"{URL}?limit=1"
    if params:
        url += "&" + "&".join(f"{k}={v}" for k, v in params.items())
    for _ in range(len(whole["items"]) + 1):
        if url is None:
            break
        page = got(served, url)
        assert page["total"] == whole["total"]
        assert page["count"] == len(page["items"]) <= 1
        rows += page["items"]
        url = page["next"]
    assert url is None, "the walk ended"
    assert rows == whole["items"]


def test_the_recommendations_csv_is_the_page_and_links_the_next(served: Registry) -> None:
    # format=csv gives the JSON page flattened, never the whole list at once: the next page
    # is in a Link header (rel="next"), and the pages followed make the whole list
    whole = got(served, URL, limit=1000)["items"]
    assert len(whole) > 2
    url: str | None = f"{URL}?limit=2&format=csv"
    rows: list[str] = []
    for _ in range(len(whole) + 1):
        if url is None:
            break
        answer = served.client.get(url)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        header, *lines = answer.text.splitlines()
        assert header == to_csv(whole).splitlines()[0], "the same columns on every page"
        assert len(lines) <= 2
        rows += lines
        link = answer.headers.get("link")
        assert (link is None) == (len(rows) == len(whole)), "a next page while rows remain"
        url = None if link is None else link.removeprefix("<").split(">")[0]
    assert url is None, "the walk ended"
    assert rows == to_csv(whole).splitlines()[1:]
