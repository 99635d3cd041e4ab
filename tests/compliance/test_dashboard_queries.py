"""The dashboard's read-only queries without a server: filters, the filtered snapshot, search
words, instansi ids and the Excel CSV (registry/compliance/dashboard.py, finder.py)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.compliance import dashboard, filtering, finder, views
from registry.compliance.facts import FollowUp, Key, Rec, Report, Revoked, Signed
from registry.compliance.filtering import Filter, FilterRefused
from registry.compliance.index import ComplianceIndex

JABAR_KID, BANTEN_KID = b"\x01" * 32, b"\x02" * 32
JABAR, BANTEN = "Pemerintah Provinsi Jawa Barat", "Pemerintah Provinsi Banten"


def key(idx: int, kid: bytes, instansi: str, province: str, head_type: str) -> Key:
    return Key(
        idx,
        "2020-01-01",
        kid,
        "ppk",
        "Dr. H. Ridwan Kamil, S.T., M.U.D.",
        None,
        "Gubernur",
        instansi,
        province,
        head_type,
        "2019-01-01",
        "2024-12-31",
    )


def rec(idx: int, day: str, kid: bytes, instansi: str, deadline: str) -> Rec:
    return Rec(idx, day, f"K-{idx}", instansi, kid, b"\x00" * 32, deadline, None, None)


@pytest.fixture
def index() -> ComplianceIndex:
    """Two PPKs; recommendations to each, one followed up late, one revoked; a pact."""
    ix = ComplianceIndex()
    ix.keys[JABAR_KID] = key(1, JABAR_KID, JABAR, "Jawa Barat", "acting")
    ix.keys[BANTEN_KID] = key(2, BANTEN_KID, BANTEN, "Banten", "definitive")
    ix.reports[3] = Report(3, "2020-09-01", JABAR, "Jawa Barat")
    for r in (
        rec(4, "2020-10-01", JABAR_KID, JABAR, "2020-10-15"),
        rec(5, "2020-10-02", BANTEN_KID, BANTEN, "2020-10-16"),
        rec(6, "2020-11-01", JABAR_KID, JABAR, "2020-11-15"),
        rec(7, "2020-11-02", JABAR_KID, JABAR, "2020-11-16"),
    ):
        ix.recs[r.idx] = r
    ix.follow_ups[8] = FollowUp(8, "2020-12-01", 4, "sanctioned", "2020-11-30", JABAR_KID)
    ix.follow_ups_of[4].append(8)
    ix.revocations[7] = Revoked(9, "2020-11-20", 7)
    ix.signed[10] = Signed(10, "2022-09-27", "pact", JABAR_KID, JABAR, "pilkada-2024", "2022-09-27")
    ix.size = 11
    return ix


def national(ix: ComplianceIndex, flt: Filter) -> dict[str, object]:
    row = dashboard.table(filtering.snapshot(ix, flt, "2024-12-31"), "national")[0]
    return {k: v["value"] for k, v in row.items() if isinstance(v, dict)}


def test_an_empty_filter_is_the_api_snapshot(index: ComplianceIndex) -> None:
    snap = filtering.snapshot(index, Filter(), "2024-12-31")
    assert dashboard.table(snap, "national") == [views.national(index.snapshot("2024-12-31"))]


def test_a_province_keeps_the_recommendations_to_its_ppks_only(index: ComplianceIndex) -> None:
    figures = national(index, Filter(province="Jawa Barat"))
    assert figures["recommendations"] == 2  # 4 and 6; 7 is revoked, 5 is Banten's
    assert figures["followed_up"] == 1
    assert figures["reports"] == 1
    assert figures["pacts"] == 1
    assert national(index, Filter(province="Banten"))["recommendations"] == 1


def test_a_head_type_keeps_the_recommendations_to_heads_of_that_type(
    index: ComplianceIndex,
) -> None:
    assert national(index, Filter(head_type="definitive"))["recommendations"] == 1
    assert national(index, Filter(head_type="acting"))["recommendations"] == 2


def test_a_revoked_recommendation_counts_only_until_its_revocation(index: ComplianceIndex) -> None:
    before = national(index, Filter(province="Jawa Barat", until="2020-11-10"))
    assert before["recommendations"] == 3
    assert (
        national(index, Filter(province="Jawa Barat", until="2020-11-30"))["recommendations"] == 2
    )


def test_a_follow_up_after_until_is_not_counted_as_followed_up(index: ComplianceIndex) -> None:
    figures = national(index, Filter(instansi=JABAR, until="2020-11-25"))
    assert figures["followed_up"] == 0
    assert figures["overdue"] == 2  # 4 and 6 are past their deadlines on 2020-11-25
    assert national(index, Filter(instansi=JABAR, until="2020-12-31"))["followed_up"] == 1


def test_since_drops_what_was_issued_before(index: ComplianceIndex) -> None:
    figures = national(index, Filter(since="2020-10-02"))
    assert figures["recommendations"] == 2  # 5 and 6
    assert figures["reports"] == 0


def test_an_election_keeps_its_own_records(index: ComplianceIndex) -> None:
    assert national(index, Filter(election="pilkada-2020"))["recommendations"] == 3
    assert national(index, Filter(election="pilkada-2020"))["pacts"] == 0
    assert national(index, Filter(election="pilkada-2024"))["pacts"] == 1


@pytest.mark.parametrize(
    "raw",
    [
        {"province": "Atlantis"},
        {"election": "pemilu-1955"},
        {"instansi": "Pemerintah Provinsi Jawa"},  # a part is not a name: the search finds parts
        {"head_type": "raja"},
        {"since": "2020-02-30"},
        {"since": "20201001"},
        {"until": "2020-10-01T00:00"},
        {"since": "2020-10-02", "until": "2020-10-01"},
    ],
    ids=[
        "province",
        "election",
        "instansi-part",
        "head-type",
        "feb-30",
        "no-dashes",
        "a-time",
        "reversed",
    ],
)
def test_invalid_filters_are_refused(index: ComplianceIndex, raw: dict[str, str]) -> None:
    with pytest.raises(FilterRefused):
        filtering.check_filter(index, raw)


def test_empty_values_mean_all(index: ComplianceIndex) -> None:
    flt = filtering.check_filter(index, {"province": "", "since": "  ", "instansi": None})
    assert flt.empty


def test_figure_entries_are_the_figure_of_the_row(index: ComplianceIndex) -> None:
    snap = filtering.snapshot(index, Filter(), "2024-12-31")
    assert dashboard.figure_entries(snap, "provinces", "Jawa Barat", "followed_up") == [8]
    assert dashboard.figure_entries(snap, "national", None, "recommendations") == [4, 5, 6]
    with pytest.raises(FilterRefused):
        dashboard.figure_entries(snap, "provinces", "Atlantis", "followed_up")
    with pytest.raises(FilterRefused):
        dashboard.figure_entries(snap, "provinces", "Jawa Barat", "province")


def test_rate_by_month_counts_decrees_by_their_date(index: ComplianceIndex) -> None:
    page = dashboard.signer_page(index.snapshot("2020-12-31"), JABAR_KID)
    assert page is not None
    months = {m["month"]: m for m in page["rate_by_month"]}
    assert months["2020-10"]["followed_up"] == 0
    assert months["2020-11"]["followed_up"] == 1  # the decree is dated 2020-11-30
    assert months["2020-11"]["recommendations"] == 2


def test_the_name_is_found_without_degrees_in_any_case() -> None:
    name = "Dr. H. Ridwan Kamil, S.T., M.U.D."
    assert finder.matches("ridwan kamil", name)
    assert finder.matches("KAMIL rid", name)
    assert finder.matches("st", name)  # a degree typed without its dots still matches
    assert not finder.matches("ridwan baswedan", name)
    assert not finder.matches("", name)
    assert not finder.matches(". ,", name)


@given(st.text())
def test_every_word_of_a_name_finds_it(name: str) -> None:
    for word in finder.words(name):
        assert finder.matches(word, name)


@given(st.text())
def test_an_instansi_id_is_url_safe(name: str) -> None:
    ident = filtering.slug(name)
    assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in ident)
    assert not ident.startswith("-")


def test_search_finds_records_by_name_part_type_and_claimed_date(index: ComplianceIndex) -> None:
    query = finder.check_query(index, {"name": "kamil", "type": "pact"})
    assert [f.index for f in finder.search(index, query)] == [10]
    dated = finder.check_query(index, {"claimed_since": "2022-01-01"})
    assert [f.index for f in finder.search(index, dated)] == [10]
    suggested = finder.suggest(index, "jawa bar")
    assert {
        "kind": "instansi",
        "label": JABAR,
        "detail": "",
        "url": "/instansi/pemerintah-provinsi-jawa-barat",
    } in suggested


def test_excel_csv_is_semicolon_separated_with_a_bom_and_decimal_comma() -> None:
    text = dashboard.excel_csv(
        [
            {
                "province": "Jawa Barat; Banten",
                "follow_up_rate": {"value": 0.5495, "entries": [4, 8]},
                "on_time": {"value": True, "entries": []},
                "median_days": {"value": None, "entries": []},
            }
        ]
    )
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [
        {
            "province": "Jawa Barat; Banten",
            "follow_up_rate": "0,5495",
            "follow_up_rate_entries": "4 8",
            "on_time": "ya",
            "on_time_entries": "",
            "median_days": "",
            "median_days_entries": "",
        }
    ]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_excel_csv_never_hands_excel_a_formula(name: str) -> None:
    text = dashboard.excel_csv([{"instansi": name, "count": -1}])
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [{"instansi": "'" + name, "count": "-1"}]


def test_the_record_list_grows_with_the_index_as_if_rebuilt(index: ComplianceIndex) -> None:
    before = finder.records(index)
    index.reports[11] = Report(11, "2020-12-02", BANTEN, "Banten")
    index.follow_ups[12] = FollowUp(12, "2020-12-03", 6, "refused", None, JABAR_KID)
    index.size = 13
    grown = finder.records(index)
    assert [f.index for f in grown] == [f.index for f in before] + [11, 12]
    assert grown == finder._records(index)


def test_a_page_without_a_filter_is_the_newest_records(index: ComplianceIndex) -> None:
    everything = finder.search(index, finder.Query())
    for offset, limit in ((0, 3), (3, 3), (8, 5), (50, 5)):
        page, total = finder.find(index, finder.Query(), offset, limit)
        assert page == everything[offset : offset + limit]
        assert total == len(everything)


def test_a_kept_table_is_never_another_registrys_or_an_older_log(index: ComplianceIndex) -> None:
    flt = Filter(province="Jawa Barat")
    first = dashboard.table(filtering.snapshot(index, flt, "2024-12-31"), "national")
    assert dashboard.table(filtering.snapshot(index, flt, "2024-12-31"), "national") is first
    other = ComplianceIndex()  # same version (0) and filter, another log
    assert dashboard.table(filtering.snapshot(other, flt, "2024-12-31"), "national") != first
    index.recs[11] = rec(11, "2020-12-01", JABAR_KID, JABAR, "2020-12-15")
    index.version += 1
    grown = dashboard.table(filtering.snapshot(index, flt, "2024-12-31"), "national")
    assert grown[0]["recommendations"]["value"] == first[0]["recommendations"]["value"] + 1
