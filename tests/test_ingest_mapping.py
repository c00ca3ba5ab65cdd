"""Mapping files: presets, validation of the file itself, and what each section does to values."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from analytics.ingest.canonical import map_file
from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import MAPPABLE, list_presets, load_mapping, parse_mapping, suggest_preset
from analytics.ingest.readers import CaseFile
from analytics.ingest.times import parse_times


def case_file(rows: list[dict]) -> CaseFile:
    frame = pd.DataFrame(rows, dtype="str")
    return CaseFile(
        path=__import__("pathlib").Path("test.csv"),
        frame=frame,
        row_numbers=pd.Series(range(1, len(frame) + 1)),
        sha256="",
    )


def mapping(extra: dict | None = None, **columns):
    data = {
        "dataset": {"name": "t", "timezone": "Asia/Shanghai"},
        "columns": {"case_id": "id", "reported_at": "when", **columns},
    }
    for key, value in (extra or {}).items():
        data[key] = value
    return parse_mapping(data, "test.toml")


def test_the_four_presets_ship_and_load():
    assert list_presets() == ["boston311", "canonical", "nyc311", "open311"]
    for name in list_presets():
        preset = load_mapping(name)
        assert preset.origin == f"preset {name}"
        assert set(preset.columns) <= set(MAPPABLE)


def test_presets_are_suggested_from_the_columns():
    assert suggest_preset(["CASE_ENQUIRY_ID", "OPEN_DT", "TYPE"]) == "boston311"
    assert suggest_preset(["Unique Key", "Created Date"]) == "nyc311"
    assert suggest_preset(["service_request_id", "requested_datetime"]) == "open311"
    assert suggest_preset(["case_id", "reported_at"]) == "canonical"
    assert suggest_preset(["foo"]) is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"columns": {"case_id": "id"}}, "must name the source column of `reported_at`"),
        ({"columns": {"case_id": "id", "reported_at": "t", "colour": "c"}}, r"\[columns\]: unknown key\(s\) colour"),
        ({"columns": {"case_id": "id", "reported_at": "t"}, "valeus": {}}, r"unknown key\(s\) valeus"),
        (
            {"columns": {"case_id": "id", "reported_at": "t"}, "values": {"status": {"mapp": {}}}},
            r"\[values.status\]: unknown key\(s\) mapp",
        ),
        ({"columns": {"case_id": "id", "reported_at": "t"}, "location": {"coords": "wgs72"}}, "is not one of"),
        ({"columns": {"case_id": 3, "reported_at": "t"}}, "expected a column name"),
    ],
)
def test_mistakes_in_a_mapping_file_are_named(data, message):
    with pytest.raises(IngestError, match=message):
        parse_mapping(data, "my.toml")


def test_invalid_toml_and_unknown_presets(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(IngestError, match="bad.toml is not valid TOML"):
        load_mapping(bad)
    with pytest.raises(IngestError, match="presets: boston311, canonical, nyc311, open311"):
        load_mapping("chicago311")


def test_missing_required_column_lists_what_the_file_has():
    with pytest.raises(IngestError, match="column for `case_id` .* its columns are: key, when"):
        map_file(case_file([{"key": "1", "when": "2025-01-01"}]), mapping())


def test_value_maps_default_and_constants():
    m = mapping(
        {
            "values": {
                "status": {"map": {"Open": "filed", "Done": "closed"}, "default": "dispatched"},
                "source": {"map": {"Phone": "hotline"}},
            },
            "constants": {"kind": "demand", "department": "Street office"},
        },
        status="state",
        source="channel",
    )
    rows = [
        {"id": "1", "when": "2025-01-01", "state": " OPEN ", "channel": "phone"},
        {"id": "2", "when": "2025-01-01", "state": "Waiting", "channel": "Walk-in"},
        {"id": "3", "when": "2025-01-01", "state": None, "channel": None},
    ]
    cases = map_file(case_file(rows), m).cases
    assert cases["status"].tolist() == ["filed", "dispatched", "filed"]  # missing status: derived (no closure)
    assert cases["source"].tolist()[:2] == ["hotline", "Walk-in"] and pd.isna(cases["source"][2])
    assert cases["kind"].tolist() == ["demand"] * 3
    assert cases["department"].tolist() == ["Street office"] * 3


def test_transforms_null_values_and_types():
    m = mapping(
        {
            "transforms": {"category_major": {"split": " - ", "part": 0}},
            "dataset": {"name": "t", "timezone": "UTC", "null_values": ["Unspecified"]},
        },
        category_major="type",
        lon="x",
        lat="y",
        self_handled="own",
        rework_count="redo",
        department="agency",
    )
    rows = [
        {
            "id": "1",
            "when": "2025-01-01",
            "type": "Noise - Residential",
            "x": "1.5",
            "y": "2",
            "own": "是",
            "redo": "2",
            "agency": "Unspecified",
        },
        {
            "id": "2",
            "when": "2025-01-01",
            "type": "HEATING",
            "x": "east",
            "y": None,
            "own": "no",
            "redo": None,
            "agency": "HPD",
        },
    ]
    cases = map_file(case_file(rows), m).cases
    assert cases["category_major"].tolist() == ["Noise", "HEATING"]
    assert cases["lon"].tolist()[0] == 1.5 and pd.isna(cases["lon"][1])
    assert cases["self_handled"].tolist() == [True, False]
    assert cases["rework_count"].tolist() == [2, 0]
    assert pd.isna(cases["department"][0]) and cases["department"][1] == "HPD"


def test_reject_reasons_and_unparseable_times():
    m = mapping({"times": {"format": "%Y-%m-%d %H:%M"}}, closed_at="closed", kind="kind")
    rows = [
        {"id": "1", "when": "2025-01-01 08:00", "closed": "2025-01-01 09:00", "kind": "Incident"},
        {"id": None, "when": "garbage", "closed": None, "kind": "demand"},
        {"id": "3", "when": None, "closed": None, "kind": "demand"},
        {"id": "4", "when": "2025-13-01 08:00", "closed": None, "kind": "demand"},
        {"id": "5", "when": "2025-01-01 08:00", "closed": "yesterday", "kind": "complaint"},
        {"id": "6", "when": "2025-01-01 08:00", "closed": "yesterday", "kind": "demand"},
    ]
    mapped = map_file(case_file(rows), m)
    assert mapped.reject_reason.tolist()[1:5] == [
        "missing_id",
        "missing_reported_at",
        "unparseable_reported_at",
        "invalid_kind",
    ]
    assert pd.isna(mapped.reject_reason[0]) and pd.isna(mapped.reject_reason[5])
    assert mapped.cases["kind"][0] == "incident"
    assert mapped.cases["quality_flags"][5] == "unparseable_closed_at" and pd.isna(mapped.cases["closed_at"][5])
    assert mapped.cases["status"][0] == "closed" and mapped.cases["status"][5] == "filed"


def test_a_missing_optional_column_is_a_note_not_an_error():
    mapped = map_file(case_file([{"id": "1", "when": "2025-01-01"}]), mapping(closed_at=["Closed", "closed_at"]))
    assert mapped.notes == [
        "test.csv: no column 'Closed' or 'closed_at' for `closed_at`; left empty",
        "test.csv: the mapping gives no `kind`; every case is a demand",
    ]
    assert mapped.cases["kind"][0] == "demand"


def test_quality_flags_keep_the_source_s_own_and_are_not_doubled():
    m = mapping({"times": {"format": "iso"}}, closed_at="closed", due_at="due", quality_flags="flags")
    rows = [
        {"id": "1", "when": "2025-01-01T08:00", "closed": "2025-01-01T07:00", "due": None, "flags": None},
        {
            "id": "2",
            "when": "2025-01-01T08:00",
            "closed": "2025-01-01T08:09:59",
            "due": "soon",
            "flags": "checked_by_hand",
        },
        {
            "id": "3",
            "when": "2025-01-01T08:00",
            "closed": "2025-01-01T08:10",
            "due": None,
            "flags": "closed_within_10min",
        },
        {
            "id": "4",
            "when": "2025-01-01T08:00",
            "closed": "2025-01-01T08:05",
            "due": None,
            "flags": "closed_within_10min",
        },
    ]
    flags = map_file(case_file(rows), m).cases["quality_flags"].tolist()
    assert flags == [
        "closed_before_reported",
        "checked_by_hand,unparseable_due_at,closed_within_10min",
        "closed_within_10min",
        "closed_within_10min",
    ]


def test_closed_at_can_require_a_closed_status():
    m = mapping(
        {"rules": {"closed_at_requires_status": ["closed"]}, "values": {"status": {"map": {"done": "closed"}}}},
        closed_at="updated",
        status="state",
    )
    rows = [
        {"id": "1", "when": "2025-01-01", "updated": "2025-01-02", "state": "done"},
        {"id": "2", "when": "2025-01-01", "updated": "2025-01-02", "state": "open"},
    ]
    cases = map_file(case_file(rows), m).cases
    assert str(cases["closed_at"][0]) == "2025-01-02 00:00:00" and pd.isna(cases["closed_at"][1])


def test_times_with_offsets_and_epochs_become_local_wall_clock():
    text = pd.Series(
        [
            "2024-03-05T15:00:00Z",
            "2024-07-05T15:00:00+00:00",
            "2024-03-05 10:00:00",
            "2024-03-05T10:00:00.250",
            "05/03/2024",
        ],
        dtype="str",
    )
    out = parse_times({"t": (text, ("iso", "%d/%m/%Y"))}, "America/Chicago")["t"].tolist()
    assert out == [
        pd.Timestamp(t)
        for t in (
            "2024-03-05 09:00",
            "2024-07-05 10:00",
            "2024-03-05 10:00",
            "2024-03-05 10:00:00.250",
            "2024-03-05 00:00",
        )
    ]
    epochs = pd.Series(["1420070400", "1420070400000"], dtype="str")
    local = parse_times(
        {"s": (epochs.iloc[:1], ("epoch_s",)), "ms": (epochs.iloc[1:].reset_index(drop=True), ("epoch_ms",))},
        "Asia/Shanghai",
    )
    assert local["s"][0] == local["ms"][0] == pd.Timestamp("2015-01-01 08:00")


def test_unknown_time_zone_is_an_error():
    with pytest.raises(IngestError, match="unknown time zone 'Mars/Olympus'"):
        parse_times({"t": (pd.Series(["2025-01-01"], dtype="str"), ("iso",))}, "Mars/Olympus")


def test_source_columns_match_ignoring_case_when_there_is_no_exact_match():
    """Issue 11, item 13: ``srnumber`` in a mapping finds ``SRNumber`` (and value-map columns too)."""
    m = parse_mapping(
        {
            "dataset": {"name": "t", "timezone": "Asia/Shanghai"},
            "columns": {"case_id": "srnumber", "reported_at": ["created", "CreatedDate"], "status": "status"},
            "values": {"kind": {"column": "type", "map": {"pothole": "incident"}, "default": "demand"}},
        },
        "test.toml",
    )
    f = case_file(
        [
            {"SRNumber": "A1", "createddate": "2025-03-01 10:00", "Status": "Closed", "Type": "Pothole"},
            {"SRNumber": "A2", "createddate": "2025-03-02 10:00", "Status": "Open", "Type": "Noise"},
        ]
    )
    out = map_file(f, m)
    assert out.reject_reason.isna().all()
    assert list(out.cases["case_id"]) == ["A1", "A2"]
    assert list(out.cases["reported_at"].dt.day) == [1, 2]
    assert list(out.cases["status"]) == ["closed", "open"]
    assert list(out.cases["kind"]) == ["incident", "demand"]
    assert out.used_columns["case_id"] == "SRNumber"
    assert any("'SRNumber' used for `case_id`" in n for n in out.notes)
    assert suggest_preset(["unique key", "created date"]) == "nyc311"


def test_an_exact_match_wins_and_two_case_variants_are_ambiguous():
    m = mapping()
    exact = map_file(case_file([{"id": "x", "ID": "y", "when": "2025-03-01 10:00"}]), m)
    assert list(exact.cases["case_id"]) == ["x"]
    with pytest.raises(IngestError, match="matches 'Id' and 'ID' ignoring case"):
        map_file(case_file([{"Id": "x", "ID": "y", "when": "2025-03-01 10:00"}]), m)


def test_the_trim_shortcut_equals_trim_for_every_code_point_at_either_end():
    """``trimmed_sql`` skips ``trim`` for values that start and end with printable ASCII; it must give
    ``nullif(trim(x), '')`` for every text: each code point alone, first, last, both, beside a space."""
    from analytics.ingest.canonical import trimmed_sql

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT s FROM (SELECT chr(i::INTEGER) AS ch FROM range(1, 1114112) r(i) "
        "WHERE i < 55296 OR i > 57343), "  # every code point but the surrogates (no text holds them)
        "LATERAL (SELECT unnest([ch, ch || 'ab', 'ab' || ch, ch || 'a' || ch, ' ' || ch, ch || ' ', '', NULL]) AS s)"
    )
    total, different, kept = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE ({trimmed_sql('s')}) IS DISTINCT FROM nullif(trim(s), '')), "
        "count(*) FILTER (WHERE s = 'xab') FROM t"
    ).fetchone()
    assert total == (1114111 - 2048) * 8 and kept == 1 and different == 0
    # and the values that do change: a space or an ideographic space (U+3000) at either end, an empty text
    rows = con.execute(f"SELECT {trimmed_sql('s')} FROM (VALUES (' a '), ('\u3000b'), ('c\u00a0'), (''), ('d')) v(s)")
    assert [r[0] for r in rows.fetchall()] == ["a", "b", "c", None, "d"]


def test_iso_offset_check_before_the_regular_expression_changes_no_value():
    """The cheap test before ``OFFSET_PATTERN`` (a Z or a sign 5-6 code points from the end) only skips
    texts the pattern cannot match: every combination reads as with the pattern alone."""
    from analytics.ingest.times import OFFSET_PATTERN, format_sql

    heads = ["2024-03-05T15:00:00", "2024-03-05 15:00:00", "2024-03-05 15:00:00.250", "2024-03-05", "15:00", ""]
    tails = ["", "Z", "z", "+08:00", "+0800", "-05:30", "-0530", "-05", "+8:00", " UTC", "Z ", "+08:00x"]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT h || s AS x FROM unnest($h) a(h), unnest($s) b(s)", {"h": heads, "s": tails})
    zone = "'Asia/Shanghai'"
    alone = (
        f"CASE WHEN regexp_matches(x, '{OFFSET_PATTERN}') THEN timezone({zone}, TRY_CAST(x AS TIMESTAMPTZ)) "
        "ELSE TRY_CAST(x AS TIMESTAMP) END"
    )
    total, different = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE ({format_sql('x', 'iso', 'Asia/Shanghai')}) IS DISTINCT FROM ({alone})) "
        "FROM t"
    ).fetchone()
    assert total == len(heads) * len(tails) and different == 0
    # worked by hand: Shanghai is UTC+8 (no summer time)
    got = dict(con.execute(f"SELECT x, strftime({format_sql('x', 'iso', 'Asia/Shanghai')}, '%H:%M') FROM t").fetchall())
    assert got["2024-03-05T15:00:00Z"] == "23:00"
    assert got["2024-03-05 15:00:00+0800"] == got["2024-03-05 15:00:00+08:00"] == "15:00"
    assert got["2024-03-05 15:00:00-05:30"] == "04:30"
    assert got["2024-03-05 15:00:00"] == "15:00"
