"""The home page's list, the record search and the suggestions without the compliance index
(``registry/compliance/browsing.py``), on both backends: the same records, order, totals and
pages as the index's finder (``registry/compliance/finder.py``), after a restart without
restoring the index, and what an edit straight in the database can and cannot do.

The history: ``test_saved``'s eleven entries (a PPK of Jawa Barat, a report, two
recommendations, a pact, a follow-up), then an ASN enrolled in Bali who declares, a PPK
enrolled in Papua with a recommendation, a key succession of the Jawa Barat PPK and a
follow-up by the successor.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from functools import partial
from html import unescape as html_unescape
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.compliance import dashboard, filtering, finder, views
from registry.compliance.browsing import RecordSearch
from registry.compliance.finder import Query
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store import create_engine
from registry.verify.trust import unb64url
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import DAY, follow_up, recommendation, register
from tests.api.test_succession import SUCCESSOR, succession
from tests.browser.demo_registry import built_demo, load_demo_registry
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import index_restored
from tests.databases import copied
from tests.factories import declaration_payload

ASN_NAME = "Siti Rahmawati Aminah"
"""An ASN's name: never searchable."""


def make_history(settings: Settings, operator: OperatorKeys) -> None:
    """Register the history above (a process that answers nothing): built once a session per
    backend and per what its building reads, then copied (:func:`tests.databases.copied`)."""
    copied(
        "browsing-history", settings, partial(_make_history, operator=operator), operator.admin.kid
    )


def _make_history(settings: Settings, operator: OperatorKeys) -> None:
    with running(settings, operator) as served:
        registry = Registry.bootstrapped(served.client, operator)
        fill(registry)
        later = NOW_S + 3 * DAY
        registry.enrol("asn-bali", "asn", province="Bali", name=ASN_NAME, term_end="2099-12-31")
        payload = declaration_payload()
        payload["signer"] = {**payload["signer"], "name": ASN_NAME}
        declared = registry.sign("asn-bali", payload, later)
        registry.register_citations(declared)
        response = registry.post(declared)
        assert response.status_code == 201, response.text
        papua = registry.enrol(
            "ppk-papua",
            province="Papua",
            name="Dr. Ir. Ridwan Kamil, M.U.D.",
            term_end="2099-12-31",
        ).kid
        register(registry, "recommender", recommendation(ppk_kid=papua), later + 60)
        register(registry, "ppk-jabar", succession(registry, "ppk-jabar"), NOW_S + 4 * DAY)
        registry.signers["ppk-jabar-new-key"] = SUCCESSOR
        register(registry, "ppk-jabar-new-key", follow_up(8, "2024-10-02"), NOW_S + 5 * DAY)


def ours(
    registry: Registry,
    query: Query,
    offset: int,
    limit: int,
    count_cap: int | None = None,
    after: int | None = None,
) -> tuple[list[Any], int]:
    """The page the record search answers (without the index)."""
    records = registry.components.records
    found, total = registry.client.blocking_portal.call(
        records.find, query, offset, limit, count_cap, after
    )
    return [f.to_dict() for f in found], total


def theirs(registry: Registry, query: Query, offset: int, limit: int) -> tuple[list[Any], int]:
    """The page the compliance index's finder answers (the index restored and caught up)."""
    compliance = registry.components.compliance
    registry.client.blocking_portal.call(compliance.snapshot)
    found, total = finder.find(compliance.index, query, offset, limit)
    return [f.to_dict() for f in found], total


def page_rows(html: str) -> list[int]:
    """The entries the home page's browser lists, in order."""
    start = html.index('id="browse-results"')
    return [
        int(r)
        for r in re.findall(
            r'<a href="/v/(\d+)[^"]*">', html[start : html.index("</table>", start)]
        )
    ]


def test_a_restart_answers_the_home_page_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        first = registry.client.get("/")
        assert first.status_code == 200, first.text
        api = registry.client.get("/api/records", params={"limit": 20}).json()
        assert not index_restored(registry), "answered from the store alone"
        assert page_rows(first.text) == [item["index"] for item in api["items"]]
        assert (api["items"], api["total"]) == theirs(registry, Query(), 0, 20)
        assert api["total"] == 15, "every entry but the two templates and the election"
        registry.client.blocking_portal.call(registry.components.records.catch_up)
        assert registry.components.records.caught_up == registry.service.size
        assert ">Bali<" in registry.client.get("/").text


def test_searches_suggestions_and_provinces_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        pacts = registry.client.get(
            "/api/records", params={"type": "pact", "province": "Jawa Barat"}
        )
        found = registry.client.get("/api/records", params={"name": "ridwan kamil"}).json()
        suggested = registry.client.get("/api/suggest", params={"q": "ridw"}).json()["items"]
        assert not index_restored(registry)
        assert pacts.status_code == 200, pacts.text
        assert [i["type"] for i in pacts.json()["items"]] == ["pact"]
        assert [i["type"] for i in found["items"]] == ["recommendation", "enrolment"]
        assert [s["label"] for s in suggested] == ["Dr. Ir. Ridwan Kamil, M.U.D."]
        provinces = registry.client.blocking_portal.call(registry.components.records.provinces)
        compliance = registry.components.compliance
        registry.client.blocking_portal.call(compliance.snapshot)
        assert provinces == finder.choices(compliance.index).provinces == [
            "Bali", "Jawa Barat", "Papua"
        ]  # fmt: skip
        for text in ("ridw", "jawa", "pemerintah", "papua", "bali", "bey"):
            assert registry.client.blocking_portal.call(
                registry.components.records.suggest, text
            ) == finder.suggest(compliance.index, text), text


def test_an_asn_name_is_never_searchable_nor_written_to_the_search_table(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        for part in ("aminah", "siti rahmawati"):
            found = registry.client.get("/api/records", params={"name": part}).json()
            assert found["total"] == 0, part
            assert registry.client.get("/api/suggest", params={"q": part}).json()["items"] == []
        declared = registry.client.get("/api/records", params={"type": "declaration"}).json()
        assert [(i["province"], i["person"]) for i in declared["items"]] == [(None, None)]
    rows = table_rows(settings)
    assert len(rows) == 15
    assert not any("aminah" in str(value).lower() for row in rows for value in row)
    assert {row.name for row in rows if row.name} == {
        "Bey Machmudin",
        "Dr. Ir. Ridwan Kamil, M.U.D.",
    }
    # Written there by someone with the database's password, it is still never shown.
    run_sql(
        settings,
        "UPDATE search_records SET name = :name, name_words = 'siti rahmawati aminah' "
        "WHERE type = 'enrolment' AND province = 'Bali'",
        name=ASN_NAME,
    )
    with running(settings, operator) as registry:
        assert registry.client.get("/api/records", params={"name": "aminah"}).json()["items"] == []
        assert registry.client.get("/api/suggest", params={"q": "aminah"}).json()["items"] == []


def table_rows(settings: Settings) -> list[Any]:
    return run_sql(settings, "SELECT * FROM search_records ORDER BY idx")


def run_sql(settings: Settings, sql: str, **params: Any) -> list[Any]:
    """Run ``sql`` straight in the registry's database (as someone with its password)."""

    async def run() -> list[Any]:
        engine = create_engine(settings.database_url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(sa.text(sql), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


# -- an edit straight in the database -------------------------------------------------------


def test_an_edited_search_row_lists_no_record_its_entry_does_not_match(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        bali = registry.client.get("/api/records", params={"province": "Bali"}).json()
        assert [(i["type"], i["person"]) for i in bali["items"]] == [("enrolment", None)]
    # The report (entry 6, Jawa Barat) claims Bali; the Papua PPK's enrolment claims a
    # name it does not have.
    run_sql(settings, "UPDATE search_records SET province = 'Bali' WHERE idx = 6")
    run_sql(settings, "UPDATE search_records SET type = 'pact' WHERE idx = 7")  # a recommendation
    run_sql(
        settings,
        "UPDATE search_records SET name = 'Budi Palsu', name_words = 'budi palsu' "
        "WHERE name LIKE 'Dr. Ir.%'",
    )
    with running(settings, operator) as registry:
        bali = registry.client.get("/api/records", params={"province": "Bali"}).json()
        assert 6 not in [i["index"] for i in bali["items"]], "its checked entry says Jawa Barat"
        assert {i["province"] for i in bali["items"]} == {"Bali"}
        fake = registry.client.get("/api/records", params={"name": "palsu"}).json()
        assert fake["items"] == []
        assert registry.client.get("/api/suggest", params={"q": "palsu"}).json()["items"] == []
        pacts = registry.client.get("/api/records", params={"type": "pact"}).json()
        assert [(i["index"], i["type"]) for i in pacts["items"]] == [(9, "pact")]
        jabar = registry.client.get("/api/records", params={"type": "report"}).json()
        assert [(i["index"], i["province"]) for i in jabar["items"]] == [(6, "Jawa Barat")]


def test_a_deleted_search_row_only_hides_the_record_from_searches(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:  # the table written
        assert registry.client.get("/api/records", params={"type": "pact"}).json()["total"] == 1
    run_sql(settings, "DELETE FROM search_records WHERE type = 'pact'")
    with running(settings, operator) as registry:
        assert registry.client.get("/api/records", params={"type": "pact"}).json()["total"] == 0
        every = registry.client.get("/api/records", params={"limit": 100}).json()
        assert "pact" in {i["type"] for i in every["items"]}, "the list reads the entries"


def test_an_edited_entry_is_refused_not_shown(settings: Settings, operator: OperatorKeys) -> None:
    make_history(settings, operator)
    run_sql(
        settings,
        "UPDATE entries SET payload_json = replace(payload_json, 'Jawa Barat', 'Jawa Palsu') "
        "WHERE idx = 6",
    )
    with running(settings, operator) as registry:
        page = registry.client.get("/")
        assert page.status_code == 500
        assert "Jawa Palsu" not in page.text
        problem = registry.client.get("/api/records", params={"type": "report"})
        assert problem.status_code == 500
        assert problem.json()["type"].endswith("tampered-entry")


def test_a_table_of_another_log_is_made_again(settings: Settings, operator: OperatorKeys) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        registry.client.get("/api/records", params={"type": "pact"})
    run_sql(settings, "UPDATE registry_meta SET value = '19:00' WHERE name = 'search-records'")
    run_sql(settings, "UPDATE search_records SET type = 'report' WHERE type = 'pact'")
    with running(settings, operator) as registry:
        pacts = registry.client.get("/api/records", params={"type": "pact"}).json()
        assert [i["type"] for i in pacts["items"]] == ["pact"], "rebuilt from the log"
        assert registry.components.records.caught_up == registry.service.size


def test_bad_searches_are_problems_in_both_languages(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as registry:
        for lang, word in (("id", "tidak mengenal"), ("en", "knows no province")):
            answer = registry.client.get(
                "/api/records", params={"province": "Atlantis"}, headers={"accept-language": lang}
            )
            assert answer.status_code == 400
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert "Atlantis" in answer.json()["detail"]
            assert word in answer.json()["detail"].lower(), answer.json()


def test_a_search_counts_its_matches_up_to_the_cap_and_still_pages_past_it(
    settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(settings, operator)
    monkeypatch.setattr("registry.api.record_search.COUNT_CAP", 2)
    monkeypatch.setattr("registry.api.record_search.BROWSE_PAGE", 2)
    search = {"province": "Jawa Barat"}
    with running(settings, operator) as registry:
        every = registry.client.get("/api/records", params={**search, "limit": 1000}).json()
        matching = len(every["items"])
        assert matching >= 5, "enough records to page past the cap"
        assert (every["total"], every["total_exact"]) == (3, False), "counted to the cap + 1"
        exact = theirs(registry, Query(province="Jawa Barat"), 0, 1000)
        assert every["items"] == exact[0]
        assert exact[1] == matching
        whole = registry.client.get("/api/records").json()
        assert whole["total_exact"] is True, "no criteria: counted exactly"
        assert whole["total"] == 15
        for lang, said in (("id", "Lebih dari 2 catatan"), ("en", "More than 2 records")):
            home = registry.client.get("/", params=search, headers={"accept-language": lang})
            assert said in home.text, lang
        url = "/?" + urlencode(search)
        for page in range(1, matching // 2 + 2):  # past the cap by the Next links (after=)
            html = registry.client.get(url, headers={"accept-language": "en"}).text
            shown = page_rows(html)
            assert shown == [i["index"] for i in every["items"][(page - 1) * 2 : page * 2]]
            full = len(shown) == 2
            assert ('rel="next"' in html) == full, f"a next page while this one is full: {page}"
            pages = f"{max(2, page + 1)}+" if full else str(max(2, page))
            assert f"page {page} of {pages}<" in html, (page, pages)
            if full:
                url = html_unescape(re.findall(r'<a rel="next" href="([^"#]*)#browse"', html)[0])
                assert "after=" in url
        for lang, said in (("id", "terlalu jauh"), ("en", "too far")):  # a page number past it
            deep = registry.client.get(
                "/", params={**search, "page": 3}, headers={"accept-language": lang}
            )
            assert deep.status_code == 400
            assert said in deep.text
            assert ("Berikutnya" if lang == "id" else "Next") in deep.text
        assert page_rows(registry.client.get("/", params={**search, "page": 2}).text) == [
            i["index"] for i in every["items"][2:4]
        ], "within the cap: by the page's number"


# -- the same answers as the index ------------------------------------------------------------


def queries(names: list[str], instansi: list[str], provinces: list[str], days: list[str]) -> Any:
    """Searches over the values a log holds (and some it does not)."""
    parts = [w for n in names for w in finder.words(n) if len(w) >= 2] + ["zz", "aminah"]
    fragments = [w[:5] for n in instansi for w in finder.words(n) if len(w) >= 2] + ["zzz"]
    maybe = st.none() | st.none()

    @st.composite
    def query(draw: Any) -> Query:
        since, until = sorted([draw(st.sampled_from(days)), draw(st.sampled_from(days))])
        return Query(
            draw(maybe | st.sampled_from(parts)),
            draw(maybe | st.sampled_from(fragments)),
            draw(maybe | st.sampled_from(provinces)),
            draw(maybe | st.sampled_from(finder.TYPES)),
            draw(maybe | st.just(since)),
            draw(maybe | st.just(until)),
        )

    return query()


def check_same(registry: Registry, data: Any) -> None:
    compliance = registry.components.compliance
    registry.client.blocking_portal.call(compliance.snapshot)
    index = compliance.index
    every = finder.records(index)
    known = finder.choices(index)
    names = sorted({f.person for f in every if f.person} | {ASN_NAME})
    days = sorted({f.claimed for f in every})
    query = data.draw(queries(names, known.instansi, known.provinces, days))
    offset = data.draw(st.sampled_from([0, 0, 1, 5, 20]))
    limit = data.draw(st.sampled_from([1, 5, 20, 1000]))
    items, total = theirs(registry, query, offset, limit)
    assert ours(registry, query, offset, limit) == (items, total)
    cap = data.draw(st.sampled_from([0, 1, 3, 10_000]))
    counted = total if not query.params() else min(total, cap + 1)
    assert ours(registry, query, offset, limit, cap) == (items, counted), "the same page"
    whole = theirs(registry, query, 0, 100_000)[0]
    indexes = [r["index"] for r in whole]
    after = data.draw(st.sampled_from([None, 0, 10**9, *indexes[:40]]))
    later = [r for r in whole if after is None or r["index"] < after]
    page = (later[offset : offset + limit], total)
    assert ours(registry, query, offset, limit, None, after) == page, "the page after a record"
    # Following each page's last record walks every record once, in order: all of a list of
    # at most LONG records; of a longer one (the demo's broad searches: thousands, each read
    # and checked), its first three pages and, from a cursor three pages before its end, the
    # rest.
    step = max(data.draw(st.sampled_from([1, 2, 7])), -(-min(len(whole), LONG) // 12))
    if len(whole) <= LONG:
        assert walked(registry, query, step, None, len(whole) + 1) == indexes
    else:
        assert walked(registry, query, step, None, 3) == indexes[: 3 * step]
        start = len(indexes) - 3 * step - 1
        assert walked(registry, query, step, indexes[start], 4) == indexes[start + 1 :]


LONG = 1500
"""A search's list walked whole by the property above; a longer one by its ends."""


def walked(registry: Registry, query: Query, step: int, at: int | None, most: int) -> list[int]:
    """The records of at most ``most`` pages of ``step``, each after the last one's last record
    (the first after ``at``), until a page is short."""
    out: list[int] = []
    for _ in range(most):
        found = ours(registry, query, 0, step, 0, at)[0]
        out += [r["index"] for r in found]
        if len(found) < step:
            break
        at = found[-1]["index"]
    return out


@pytest.fixture
def served(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    """The history, served by one process for every example."""
    make_history(settings, operator)
    with running(settings, operator) as registry:
        yield registry


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_search_answers_what_the_index_answers(served: Registry, data: Any) -> None:
    check_same(served, data)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    settings, keys = load_demo_registry(
        tmp_path_factory.mktemp("browsing-demo"), built_demo(tmp_path_factory)
    )
    with TestClient(create_app(settings, keys)) as client:
        registry = Registry(client, keys)
        # written in the background after a start: done before the first search, whatever
        # the machine's load (else 503 "being prepared")
        client.blocking_portal.call(registry.components.records.catch_up)
        yield registry


@hsettings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_demos_searches_answer_what_the_index_answers(demo: Registry, data: Any) -> None:
    check_same(demo, data)


def test_the_demos_pages_and_suggestions_equal_the_index(demo: Registry) -> None:
    total = ours(demo, Query(), 0, 1)[1]
    assert total > 8000
    for offset in (0, 20, total - 25, total - 1):
        assert ours(demo, Query(), offset, 20) == theirs(demo, Query(), offset, 20)
    compliance = demo.components.compliance
    for text in ("jawa", "ka", "bupati", "kota", "ridwan", "xyz"):
        assert demo.client.blocking_portal.call(
            demo.components.records.suggest, text
        ) == finder.suggest(compliance.index, text), text


BEHIND = (("id", "masih disiapkan"), ("en", "still being prepared"))
"""What the 503 ``search-behind`` problem says, by language."""


def stall(records: RecordSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the search table's catch-up in the background never end, and a search wait
    0.05 s for it."""

    async def stalled() -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(records, "_catch_up_behind", stalled)
    monkeypatch.setattr("registry.compliance.browsing.WAIT_S", 0.05)


def assert_behind(answer: Any, words: str) -> None:
    """A 503 ``search-behind`` problem that says ``words``."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.json()["detail"]


def test_a_search_while_the_table_is_written_is_told_to_come_back_in_both_languages(
    settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first search after an upgrade of a large log: the table is still being written.
    make_history(settings, operator)
    with running(settings, operator) as registry:
        records = registry.components.records
        stall(records, monkeypatch)
        for lang, words in BEHIND:
            headers = {"accept-language": lang}
            answer = registry.client.get("/api/records", params={"type": "pact"}, headers=headers)
            assert_behind(answer, words)
            page = registry.client.get("/", params={"type": "pact"}, headers=headers)
            assert page.status_code == 503
            assert page.headers["retry-after"] == "5", "the page says when, as the API does"
            assert words in page.text
        everything = registry.client.get("/")
        assert everything.status_code == 200, "the list without criteria does not wait"
        assert 9 in page_rows(everything.text)
        monkeypatch.undo()
        registry.client.blocking_portal.call(records.close)
        pacts = registry.client.get("/api/records", params={"type": "pact"})
        assert [i["index"] for i in pacts.json()["items"]] == [9]


def test_entries_registered_after_the_table_was_written_are_found(
    settings: Settings, operator: OperatorKeys
) -> None:
    make_history(settings, operator)
    with running(settings, operator) as served:
        registry = Registry(served.client, operator)
        registry.signers["ppk-jabar-new-key"] = SUCCESSOR
        assert served.client.get("/api/records", params={"type": "pact"}).json()["total"] == 1
        held = served.components.records.held
        added = register(registry, "ppk-jabar-new-key", pact(place="Cirebon"), NOW_S + 6 * DAY)
        found = served.client.get("/api/records", params={"type": "pact", "name": "bey"}).json()
        assert [i["index"] for i in found["items"]] == [added, 9]
        assert served.components.records.held == held + 1 == served.service.size
        query = Query(type="pact", name="bey")
        assert ours(served, query, 0, 20) == theirs(served, query, 0, 20)


@pytest.mark.parametrize("page", [1, 3, 9, 10])
def test_the_table_written_in_small_pages_answers_what_the_index_answers(
    settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    # A succession's predecessor and a follow-up's recommendation in earlier pages, or in the
    # same page as the pacts of the old key.
    make_history(settings, operator)
    monkeypatch.setattr("registry.compliance.browsing.PAGE", page)
    with running(settings, operator) as registry:
        for query in (
            Query(type="enrolment"),
            Query(province="Jawa Barat"),
            Query(name="bey"),
            Query(instansi="jawa barat", type="follow-up"),
        ):
            assert ours(registry, query, 0, 50) == theirs(registry, query, 0, 50), query


def test_the_demos_recommendations_list_equals_the_index(
    demo: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /api/compliance/recommendations today from the tally, search_records and the log
    # (registry/compliance/recommendation_rows.py) against the index's view, per filter;
    # read in rounds of 97 recommendations (2,000 when served).
    monkeypatch.setattr("registry.compliance.recommendation_rows.CHUNK", 97)
    compliance, records = demo.components.compliance, demo.components.records
    snap = demo.client.blocking_portal.call(compliance.snapshot)
    every = views.recommendations(snap)
    assert len(every) > 100
    kids = sorted({unb64url(row["ppk"]) for row in every})
    offices = sorted({row["instansi"] for row in every})
    asked: list[dict[str, Any]] = [{}, {"instansi": "nowhere"}, {"ppk": bytes(32)}]
    asked += [{"status": status} for status in ("followed-up", "overdue", "pending")]
    asked += [{"ppk": kid} for kid in kids[:: max(1, len(kids) // 6)]]
    asked += [{"instansi": name, "status": "overdue"} for name in offices[::7]]
    asked += [{"ppk": kids[0], "instansi": every[0]["instansi"]}]
    for kept in ("held", "counted"):  # the tally's entries, or search_records (past a bound)
        if kept == "counted":
            monkeypatch.setattr("registry.compliance.recommendation_pages.held", lambda *a: None)
        for params in asked:
            want, rows, after = views.recommendations(snap, **params), [], None
            while True:  # every page, by its cursor
                found = demo.client.blocking_portal.call(
                    partial(compliance.recommendations, records, **params, after=after, limit=37)
                )
                assert found is not None, "the tally can say"
                assert found.total == len(want), (kept, params)
                rows += found.items
                if not found.more:
                    break
                after = found.items[-1]["index"]
            assert rows == want, (kept, params)


def test_the_demos_instansi_pages_equal_the_index(
    demo: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /instansi/{id} today from the tally, search_records and the log
    # (registry/compliance/instansi_record.py) against the index's page, for every instansi
    # of the demo; read in rounds of 97 records, each list cut at its newest 5.
    monkeypatch.setattr("registry.compliance.recommendation_rows.CHUNK", 97)
    monkeypatch.setattr("registry.compliance.profile_lists.LISTED", 5)
    compliance, records = demo.components.compliance, demo.components.records
    snap = demo.client.blocking_portal.call(compliance.snapshot)
    names = filtering.choices(snap.index).instansi
    assert len(names) > 20
    cut = 0
    for name in [*names, "nowhere"]:
        ident = filtering.slug(name)
        found = demo.client.blocking_portal.call(compliance.instansi_page, ident, records.indexes)
        assert found is not None, "the tally can say"
        assert found[2] == dashboard.instansi_page(snap, ident), name
        cut += found[2] is not None and found[2]["recommendation_outcomes_total"] > 5
    assert cut > 5, "lists cut at their newest"
