"""The dashboard's API and pages over the demo data: figures equal the compliance API's,
filters narrow them (and are refused when invalid), CSV opens in Excel (id-ID), every figure
lists the entries it counts, profiles, search and suggestions."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.compliance.service import today
from tests.browser.demo_registry import built_demo, load_demo_registry

JABAR = "Jawa Barat"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings, keys = load_demo_registry(
        tmp_path_factory.mktemp("dashboard-demo"), built_demo(tmp_path_factory)
    )
    with TestClient(create_app(settings, keys)) as test_client:
        # The record search is written in the background after a start; a loaded machine
        # may not have finished it by the first search (503 "being prepared").
        records = test_client.app.state.components.records
        test_client.blocking_portal.call(records.catch_up)
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:  # type: ignore[type-arg]
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def values(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in row.items() if isinstance(v, dict) and "value" in v}


def excel_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would not read UTF-8"
    text = body[3:].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


# -- figures -----------------------------------------------------------------------------------


def test_national_figures_equal_the_compliance_api(client: TestClient) -> None:  # type: ignore[type-arg]
    ours = get(client, "/api/dashboard/national")
    theirs = get(client, "/api/compliance/national")
    assert ours["items"][0] == {k: v for k, v in theirs.items() if k != "as_of"}
    pilkada_2020 = get(client, "/api/dashboard/national", election="pilkada-2020")["items"][0]
    assert values(pilkada_2020)["recommendations"] == 1596  # the seed figures
    assert values(pilkada_2020)["followed_up"] == 1373


@pytest.mark.parametrize(
    ("table", "label", "links"),
    [
        ("provinces", "province", True),
        ("elections", "election", True),
        ("months", "month", True),
        ("head-types", "head_type", True),
        ("pact-signers-with-overdue", "kid", False),  # none of the demo's is past 100
    ],
)
def test_the_table_equals_the_compliance_apis_which_links_figures_past_100(
    client: TestClient,  # type: ignore[type-arg]
    table: str,
    label: str,
    links: bool,
) -> None:
    # Today's provinces, elections, months, head-types and pact signers with overdue tables
    # are answered from the tally: a figure of more than 100 entries links them
    # (docs/compliance.md), the same entries the dashboard lists computed from the index
    # (a filter from a day before any fact: everything, the index's, restored first since
    # ``since`` alone is its scope's tally now (stop 31); ``until`` today is the tally's,
    # as unfiltered).  Unfiltered, the dashboard answers from the tally too.
    client.blocking_portal.call(client.app.state.components.compliance.snapshot)
    ours = get(client, f"/api/dashboard/{table}", since="2000-01-01")["items"]
    assert (
        get(client, f"/api/dashboard/{table}", until=today())["items"]
        == get(client, f"/api/dashboard/{table}")["items"]
    )
    theirs = get(client, f"/api/compliance/{table}")["items"]
    assert get(client, f"/api/dashboard/{table}")["items"] == theirs
    assert [r[label] for r in theirs] == [r[label] for r in ours]
    linked = 0
    for mine, api in zip(ours, theirs, strict=True):
        assert list(api) == list(mine)
        for name, figure in mine.items():
            got = api[name]
            if isinstance(got, dict) and "entries_url" in got:
                assert (got["value"], got["entries_total"]) == (
                    figure["value"],
                    len(figure["entries"]),
                )
                listed = client.get(got["entries_url"])
                assert listed.status_code == 200, listed.text
                assert listed.json()["entries"] == figure["entries"]
                linked += 1
            else:
                assert got == figure, (mine[label], name)
    assert (linked > 0) == links
    assert ours, "the demo has rows"


def test_every_answer_names_the_checkpoint_it_counts(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = get(client, "/api/dashboard/national")
    lines = client.get("/checkpoint").text.split("\n")
    assert answer["checkpoint"] == {"size": int(lines[1]), "root": lines[2]}


def every_recommendation(client: Any, **params: Any) -> list[dict[str, Any]]:
    """Every row of the paged recommendations list, each page's ``next_after`` in turn."""
    rows: list[dict[str, Any]] = []
    after: dict[str, Any] = {}
    while True:
        page = get(client, "/api/compliance/recommendations", **params, limit=1000, **after)
        rows += page["items"]
        if page["next_after"] is None:
            return rows
        after = {"after": page["next_after"]}


def test_a_province_filter_equals_the_recount_of_its_recommendations(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    recs = every_recommendation(client)
    mine = [r for r in recs if r["province"] == JABAR]
    national = values(get(client, "/api/dashboard/national", province=JABAR)["items"][0])
    assert national["recommendations"] == len(mine) > 0
    assert national["followed_up"] == sum(r["status"] == "followed-up" for r in mine)
    assert national["overdue"] == sum(r["status"] == "overdue" for r in mine)
    provinces = get(client, "/api/compliance/provinces")["items"]
    row = next(r for r in provinces if r["province"] == JABAR)
    assert national["recommendations"] == row["recommendations"]["value"]


def test_a_date_range_keeps_the_recommendations_issued_in_it(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    since, until = "2020-10-01", "2020-11-30"
    recs = every_recommendation(client, as_of=until)
    inside = sorted(r["index"] for r in recs if since <= r["day"] <= until)
    row = get(client, "/api/dashboard/national", since=since, until=until)["items"][0]
    assert row["recommendations"]["entries"] == inside
    assert row["recommendations"]["value"] < 1596


def test_an_election_filter_splits_the_recommendations(client: TestClient) -> None:  # type: ignore[type-arg]
    by_election = get(client, "/api/compliance/elections")["items"]
    for row in by_election:
        if not row["election"]:
            continue
        filtered = get(client, "/api/dashboard/national", election=row["election"])["items"][0]
        for name in ("recommendations", "pacts"):  # past 100 entries today's row links them
            linked = row[name].get("entries_url")
            listed = None if linked is None else client.get(linked).json()
            entries = row[name]["entries"] if listed is None else listed["entries"]
            assert filtered[name] == {"value": row[name]["value"], "entries": entries}


def test_an_instansi_filter_narrows_the_instansi_table_to_it(client: TestClient) -> None:  # type: ignore[type-arg]
    name = "Pemerintah Provinsi Jawa Barat"
    rows = get(client, "/api/dashboard/instansi", instansi=name)["items"]
    assert [r["instansi"] for r in rows] == [name]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"province": "Atlantis"}, "Atlantis"),
        ({"election": "pemilu-1955"}, "pemilu-1955"),
        ({"instansi": "Kementerian Sihir"}, "Kementerian Sihir"),
        ({"head_type": "raja"}, "raja"),
        ({"since": "2020-13-01"}, "2020-13-01"),
        ({"until": "kemarin"}, "kemarin"),
        ({"since": "2021-01-01", "until": "2020-01-01"}, "2020-01-01"),
    ],
    ids=[
        "unknown-province",
        "unknown-election",
        "unknown-instansi",
        "unknown-head-type",
        "month-13",
        "not-a-date",
        "range-reversed",
    ],
)
def test_invalid_filters_are_refused_with_a_message_not_an_empty_table(
    client: TestClient,  # type: ignore[type-arg]
    params: dict[str, str],
    says: str,
) -> None:
    response = client.get("/api/dashboard/provinces", params=params)
    assert response.status_code == 400
    assert response.json()["type"].endswith("invalid-parameter")
    assert says in response.json()["detail"]
    page = client.get("/dashboard", params=params)
    assert page.status_code == 400
    assert 'id="filter-error"' in page.text
    assert says in page.text
    assert 'id="table-provinces"' not in page.text


def test_an_unknown_table_or_figure_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.get("/api/dashboard/nope").status_code == 400
    missing = client.get("/api/dashboard/national/entries", params={"figure": "nope"})
    assert missing.status_code == 400
    row = client.get("/api/dashboard/provinces/entries", params={"figure": "overdue", "row": "X"})
    assert row.status_code == 400


# -- CSV ---------------------------------------------------------------------------------------


def test_csv_opens_in_excel_in_the_indonesian_locale(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/api/dashboard/provinces", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = excel_rows(response.content)
    api = get(client, "/api/compliance/provinces")["items"]
    assert len(rows) == len(api)
    jabar = next(r for r in rows if r["province"] == JABAR)
    expected = next(r for r in api if r["province"] == JABAR)
    assert int(jabar["recommendations"]) == expected["recommendations"]["value"]
    assert jabar["follow_up_rate"] == str(expected["follow_up_rate"]["value"]).replace(".", ",")
    assert jabar["overdue_entries"].split() == [str(i) for i in expected["overdue"]["entries"]]


def test_a_filter_narrows_the_csv_as_it_narrows_the_table(client: TestClient) -> None:  # type: ignore[type-arg]
    rows = excel_rows(
        client.get("/api/dashboard/provinces", params={"format": "csv", "province": JABAR}).content
    )
    assert [r["province"] for r in rows] == [JABAR]


# -- every figure lists its entries ------------------------------------------------------------


def test_a_figure_lists_the_entries_it_counts(client: TestClient) -> None:  # type: ignore[type-arg]
    national = get(client, "/api/dashboard/national", province=JABAR)["items"][0]
    listed = get(client, "/api/dashboard/national/entries", figure="overdue", province=JABAR)[
        "items"
    ]
    assert [e["index"] for e in listed] == national["overdue"]["entries"]
    assert {e["type"] for e in listed} == {"recommendation"}
    followed = get(client, "/api/dashboard/provinces/entries", figure="followed_up", row=JABAR)
    assert {e["type"] for e in followed["items"]} == {"follow-up"}


def test_every_number_on_the_dashboard_links_to_its_entries(client: TestClient) -> None:  # type: ignore[type-arg]
    html = client.get("/dashboard", params={"province": JABAR}).text
    national = get(client, "/api/dashboard/national", province=JABAR)["items"][0]
    links = re.findall(r'href="(/dashboard/national/entries\?[^"]+)" data-figure="(\w+)"', html)
    linked = {figure for _, figure in links}
    assert linked == {k for k, v in national.items() if isinstance(v, dict) and v["entries"]}
    href = next(h for h, f in links if f == "late").replace("&amp;", "&")
    page = client.get(href)
    assert page.status_code == 200
    for index in national["late"]["entries"][:5]:
        assert f'href="/v/{index}"' in page.text


def test_the_dashboard_shows_the_api_figures(client: TestClient) -> None:  # type: ignore[type-arg]
    html = client.get("/dashboard", params={"lang": "en", "election": "pilkada-2020"}).text
    national = values(get(client, "/api/dashboard/national", election="pilkada-2020")["items"][0])
    shown = dict(re.findall(r'<li data-name="(\w+)">.*?data-figure="\w+">([^<]+)<', html, re.S))
    assert shown["recommendations"] == "1,596"
    assert shown["followed_up"] == f"{national['followed_up']:,}"
    assert shown["follow_up_rate"] == f"{national['follow_up_rate'] * 100:.1f} %"
    checkpoint = client.get("/checkpoint").text.split("\n")
    assert checkpoint[2] in html


# -- profiles ----------------------------------------------------------------------------------


def test_a_ppk_page_shows_pacts_recommendations_and_rate(client: TestClient) -> None:  # type: ignore[type-arg]
    signer = get(client, "/api/compliance/pact-signers-with-overdue")["items"][0]
    profile = get(client, f"/api/profiles/signers/{signer['kid']}")
    api = get(client, f"/api/compliance/signers/{signer['kid']}")
    assert profile["overdue"] == api["overdue"]
    assert profile["rate_by_month"][-1]["recommendations"] == api["recommendations"]["value"]
    html = client.get(f"/signers/{signer['kid']}").text
    assert signer["name"] in html
    for pact in profile["signed"]:
        assert f'src="/entries/{pact["index"]}/qr.png"' in html
    for rec in profile["recommendation_outcomes"]:
        assert f'href="/v/{rec["index"]}"' in html
    overdue = client.get(
        "/dashboard/signers/entries", params={"figure": "overdue", "row": signer["kid"]}
    ).text
    assert f"{signer['name']}: {signer['overdue']['value']} " in overdue
    downloads = re.findall(r'class="csv" href="([^"]+)"', html)
    assert len(downloads) == 3
    for href in downloads:
        rows = excel_rows(client.get(href.replace("&amp;", "&")).content)
        assert all(r["index"] for r in rows)
    recs = excel_rows(client.get(downloads[-1].replace("&amp;", "&")).content)
    assert [int(r["index"]) for r in recs] == api["recommendations"]["entries"]


def test_an_instansi_page_lists_its_ppks_over_time(client: TestClient) -> None:  # type: ignore[type-arg]
    profile = get(client, "/api/profiles/instansi/pemerintah-provinsi-jawa-barat")
    assert profile["instansi"] == "Pemerintah Provinsi Jawa Barat"
    starts = [k["term_start"] for k in profile["ppks"]]
    assert starts == sorted(starts)
    assert len(starts) >= 2
    html = client.get("/instansi/pemerintah-provinsi-jawa-barat").text
    for key in profile["ppks"]:
        assert f'href="/signers/{key["kid"]}"' in html


@pytest.mark.parametrize("path", ["/signers/not-a-key", "/signers/" + "A" * 43, "/instansi/nope"])
def test_unknown_profiles_are_404(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    assert client.get(path).status_code == 404


# -- search ------------------------------------------------------------------------------------


def test_a_ppk_is_found_by_part_of_the_name_without_degrees(client: TestClient) -> None:  # type: ignore[type-arg]
    signer = get(client, "/api/compliance/pact-signers-with-overdue")["items"][0]
    bare = [w for w in re.split(r"[ ,]+", signer["name"]) if "." not in w and w]
    typed = " ".join(w[:4].lower() for w in bare[-2:])
    found = get(client, "/api/records", name=typed, type="pact")
    assert found["total"] >= 1
    assert all(item["type"] == "pact" for item in found["items"])
    assert signer["kid"] in {item["person_kid"] for item in found["items"]}
    suggested = get(client, "/api/suggest", q=typed)["items"]
    assert f"/signers/{signer['kid']}" in {s["url"] for s in suggested}


def test_search_by_instansi_part_region_and_claimed_date(client: TestClient) -> None:  # type: ignore[type-arg]
    found = get(
        client,
        "/api/records",
        instansi="jawa barat",
        province=JABAR,
        type="declaration",
        claimed_since="2024-01-01",
        claimed_until="2024-12-31",
        limit=1000,
    )
    assert found["total"] > 0
    for item in found["items"]:
        assert "jawa barat" in item["instansi"].lower()
        assert item["province"] == JABAR
        assert item["type"] == "declaration"
        assert "2024-01-01" <= item["claimed"] <= "2024-12-31"


@pytest.mark.parametrize(
    "params",
    [{"type": "surat"}, {"province": "Atlantis"}, {"claimed_since": "31-12-2024"}, {"name": "a"}],
    ids=["unknown-type", "unknown-province", "day-month-year", "one-letter-name"],
)
def test_invalid_searches_are_refused(client: TestClient, params: dict[str, str]) -> None:  # type: ignore[type-arg]
    assert client.get("/api/records", params=params).status_code == 400
    page = client.get("/", params=params)
    assert page.status_code == 400
    assert 'id="browse-error"' in page.text


def test_the_home_page_browses_every_record_in_pages(client: TestClient) -> None:  # type: ignore[type-arg]
    first = client.get("/").text
    assert 'id="browse-results"' in first
    total = get(client, "/api/records", limit=1)["total"]
    assert total > 8000
    second = client.get("/", params={"page": 2}).text
    start = second.index('id="browse-results"')
    table = second[start : second.index("</table>", start)]
    rows = re.findall(r'<tr><td><a href="/v/(\d+)">', table)
    newest = [i["index"] for i in get(client, "/api/records", limit=20, offset=20)["items"]]
    assert [int(r) for r in rows] == newest


@pytest.mark.parametrize(
    "path", ["/dashboard", "/", "/verify", "/v/5", "/instansi/kementerian-dalam-negeri"]
)
def test_pages_follow_accept_language_unless_lang_is_given(
    client: TestClient,  # type: ignore[type-arg]
    path: str,
) -> None:
    english = client.get(path, headers={"accept-language": "en-GB,en;q=0.9,id;q=0.8"})
    assert english.headers["content-language"] == "en"
    assert "Accept-Language" in english.headers["vary"]
    indonesian = client.get(path, headers={"accept-language": "id-ID,id;q=0.9,en;q=0.8"})
    assert indonesian.headers["content-language"] == "id"
    assert client.get(path).headers["content-language"] == "id"
    forced = client.get(path, params={"lang": "id"}, headers={"accept-language": "en"})
    assert forced.headers["content-language"] == "id"


def test_the_language_switch_keeps_the_filters(client: TestClient) -> None:  # type: ignore[type-arg]
    html = client.get("/dashboard", params={"province": JABAR}).text
    switch = re.search(r'id="lang-switch" href="([^"]+)"', html)
    assert switch is not None
    assert "province=Jawa+Barat" in switch.group(1)
    assert "lang=en" in switch.group(1)


def test_what_a_visitor_types_is_shown_escaped(client: TestClient) -> None:  # type: ignore[type-arg]
    typed = '<script>alert("x")</script>'
    for path, param in (("/dashboard", "province"), ("/", "type")):
        page = client.get(path, params={param: typed})
        assert page.status_code == 400
        assert typed not in page.text
        assert "&lt;script&gt;" in page.text


def test_an_asn_has_no_profile_page(client: TestClient) -> None:  # type: ignore[type-arg]
    declarations = get(client, "/api/entries", type="declaration", limit=200)["items"]
    roles = {
        d["signer"]: get(client, f"/api/compliance/signers/{d['signer']}")["role"]
        for d in declarations[:40]
    }
    asn = next(kid for kid, role in roles.items() if role != "ppk")
    assert client.get(f"/signers/{asn}").status_code == 404
    assert client.get(f"/api/profiles/signers/{asn}").status_code == 404
