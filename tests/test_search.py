"""Place search: by name, code, pinyin and its initials; addresses with LIKE metacharacters escaped;
hostile input finds nothing and breaks nothing."""

from __future__ import annotations

import pytest

from analytics import search
from tests.helpers import add_cases, empty_store

GRIDS = [
    {
        "grid_id": "330106001001001",
        "grid_name": "翠苑社区第1网格",
        "community_id": "330106001001",
        "community_name": "翠苑社区",
        "street_id": "330106001",
        "street_name": "西湖街道",
        "district_id": "330106",
        "district_name": "西湖区",
    },
    {
        "grid_id": "330106002001001",
        "grid_name": "重庆社区第1网格",
        "community_id": "330106002001",
        "community_name": "重庆社区",
        "street_id": "330106002",
        "street_name": "北山街道",
        "district_id": "330106",
        "district_name": "西湖区",
    },
    {
        "grid_id": "W3P1",
        "grid_name": "Ward 3 Precinct 1",
        "community_id": None,
        "community_name": None,
        "street_id": "W3",
        "street_name": "Ward 3",
        "district_id": "BOS",
        "district_name": "Boston",
    },
]


@pytest.fixture()
def store():
    return empty_store(GRIDS)


@pytest.fixture()
def index(store):
    return search.place_index(store)


def found(index, query):
    return list(zip(*search.search_places(index, query)[["level", "area_id"]].T.values)) if query else []


def test_pinyin_keys_by_hand():
    assert search.pinyin_keys("西湖街道") == ("xihujiedao", "xhjd")
    # 重 in 重庆 is chong (a polyphone: zhong elsewhere)
    assert search.pinyin_keys("重庆社区") == ("chongqingshequ", "cqsq")
    assert search.pinyin_keys("Ward 3") == ("ward3", "w3")


def test_index_lists_every_area_of_every_level(index):
    counts = index["level"].value_counts().to_dict()
    assert counts == {"district": 2, "street": 3, "community": 2, "grid": 3}  # no community row for W3P1
    street = index[(index["level"] == "street") & (index["area_id"] == "330106001")].iloc[0]
    assert street["area_name"] == "西湖街道" and street["parent_name"] == "西湖区"


def test_finds_by_name_code_pinyin_and_initials(index):
    assert found(index, "西湖街道")[0] == ("street", "330106001")
    assert found(index, "330106002")[0] == ("street", "330106002")  # exact code first, then its children
    assert ("grid", "330106002001001") in found(index, "330106002")
    assert found(index, "xhjd")[0] == ("street", "330106001")
    assert found(index, "XHJD")[0] == ("street", "330106001")  # case folded
    assert found(index, "xihu")[0] == ("district", "330106")  # pinyin prefix, coarser level first
    assert found(index, "cqsq")[0] == ("community", "330106002001")
    assert found(index, "翠苑")[0] == ("community", "330106001001")
    assert found(index, "ward 3")[0] == ("street", "W3")  # spaces ignored, Latin names too
    assert found(index, "ＸＨＪＤ")[0] == ("street", "330106001")  # full-width letters (NFKC)


def test_nothing_for_no_match_or_empty(index):
    assert found(index, "zzzz") == []
    assert search.search_places(index, "").empty
    assert search.search_places(index, "   ").empty
    assert len(search.search_places(index, "网格", limit=2)) == 2


@pytest.mark.parametrize(
    "hostile",
    [
        ".*",
        "(",
        "[",
        "\\",
        "%",
        "_",
        "x'; DROP TABLE cases;--",
        "**bold** [link](javascript:alert(1)) <script>alert(1)</script>",
        "西" * 100_000,
        "a" * 1_000_000,
        "\x00\u202e",
    ],
)
def test_hostile_queries_find_nothing_and_break_nothing(store, index, hostile):
    assert search.search_places(index, hostile).empty
    assert search.search_addresses(store, hostile).empty
    assert store.execute("SELECT count(*) FROM grids").fetchone()[0] == 3


def test_long_query_is_cut(index):
    assert len(search.normalise("x" * 10_000)) == search.MAX_QUERY


def test_addresses_escape_like_metacharacters(store):
    store.execute("ALTER TABLE cases ADD COLUMN address TEXT")
    add_cases(
        store,
        [
            {"grid_id": "330106001001001", "reported_at": "2025-01-02 10:00", "address": "文三路100%号"},
            {"grid_id": "330106001001001", "reported_at": "2025-01-03 10:00", "address": "文三路 A_1"},
            {"grid_id": "330106002001001", "reported_at": "2025-01-04 10:00", "address": "文三路 AB1"},
            {"grid_id": "330106002001001", "reported_at": "2025-01-05 10:00", "address": "文三路 AB1"},
        ],
    )
    assert search.has_addresses(store)
    assert search.search_addresses(store, "%", unmask=True)["address"].tolist() == ["文三路100%号"]
    assert search.search_addresses(store, "a_1", unmask=True)["address"].tolist() == ["文三路 A_1"]
    everything = search.search_addresses(store, "文三路", unmask=True)
    assert everything.iloc[0].to_dict() == {
        "address": "文三路 AB1",
        "grid_id": "330106002001001",
        "grid_name": "重庆社区第1网格",
        "cases": 2,
    }
    assert len(everything) == 3
    assert search.like_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


def test_no_address_column_means_no_address_results(store):
    assert not search.has_addresses(store)
    assert search.search_addresses(store, "文三路").empty


def test_a_scoped_index_holds_only_granted_areas(store):
    """A street-scoped user finds their street and what lies in it, never another street's names."""
    from analytics.access.scope import Scope

    scoped = search.place_index(store, Scope.parse(["street:330106001"]))
    assert set(scoped["area_id"]) == {"330106001001001", "330106001001", "330106001", "330106"}
    assert search.search_places(scoped, "北山").empty
    assert search.search_places(scoped, "bs").empty  # 北山's initials
    assert not search.search_places(scoped, "西湖街道").empty
