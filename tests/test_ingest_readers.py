"""Readers: every column as text, delimiters and encodings sniffed, truncation and bad bytes refused."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.ingest.errors import IngestError
from analytics.ingest.readers import read_case_file, sniff_delimiter

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def test_gbk_semicolon_csv_is_decoded_and_split():
    case_file = read_case_file(FIXTURES / "gbk_semicolon.csv")
    assert case_file.encoding == "gb18030" and case_file.delimiter == ";"
    assert list(case_file.frame.columns)[:3] == ["事件编号", "上报时间", "结案时间"]
    assert case_file.frame.loc[0, "问题描述"] == "东华门大街路边垃圾堆放"
    assert case_file.frame.loc[1, "问题描述"] == '夜间施工噪声，群众反映"吵得睡不着"'
    assert pd.isna(case_file.frame.loc[4, "经度"])  # empty field → missing
    assert case_file.row_numbers.tolist() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed_from_the_header(tmp_path, delimiter):
    path = tmp_path / "cases.csv"
    path.write_text(
        delimiter.join(["id", "note", "when"]) + "\n" + delimiter.join(["1", '"a, b; c | d"', "2025-01-01"]) + "\n",
        encoding="utf-8",
    )
    case_file = read_case_file(path)
    assert case_file.delimiter == delimiter
    assert case_file.frame.loc[0, "note"] == "a, b; c | d"


def test_sniffing_ignores_delimiters_inside_quotes():
    assert sniff_delimiter('"a,b";"c,d";e') == ";"  # commas only inside quotes
    assert sniff_delimiter("single") == ","


def test_utf8_bom_and_utf16_are_read(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffid,名称\n1,东城\n".encode("utf-8"))
    assert list(read_case_file(bom).frame.columns) == ["id", "名称"]
    utf16 = tmp_path / "excel.txt"
    utf16.write_bytes("id\t名称\r\n1\t西城\r\n".encode("utf-16"))
    frame = read_case_file(utf16).frame
    assert frame.loc[0, "名称"] == "西城"


def test_values_stay_text_exactly_as_written(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,zip,amount\n007,02115,1.50\nNA,null,\n", encoding="utf-8")
    frame = read_case_file(path).frame
    assert frame.loc[0].tolist() == ["007", "02115", "1.50"]
    assert frame.loc[1, "id"] == "NA" and frame.loc[1, "zip"] == "null" and pd.isna(frame.loc[1, "amount"])
    assert all(str(dtype) == "str" for dtype in frame.dtypes)


def test_a_truncated_csv_is_an_error():
    with pytest.raises(IngestError, match="truncated.csv: the file is truncated"):
        read_case_file(FIXTURES / "truncated.csv")


def test_an_unterminated_quote_at_the_end_is_an_error(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text('id,note\n1,"complete"\n2,"cut in the mid', encoding="utf-8")
    with pytest.raises(IngestError, match="truncated"):
        read_case_file(path)


def test_a_short_row_in_the_middle_is_kept_as_a_bad_row(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("id,when,note\n1,2025-01-01,a\n2,2025-01-02\n3,2025-01-03,c\n", encoding="utf-8")
    case_file = read_case_file(path)
    assert case_file.frame["id"].tolist() == ["1", "3"]
    assert case_file.row_numbers.tolist() == [1, 3]
    assert case_file.bad_rows == [(2, "wrong_field_count", json.dumps({"fields": ["2", "2025-01-02"]}))]
    assert case_file.rows_in == 3


def test_a_file_in_neither_utf8_nor_gb18030_is_an_error():
    with pytest.raises(IngestError, match="wrong_encoding.csv: cannot decode the file as UTF-8-SIG nor as GB18030"):
        read_case_file(FIXTURES / "wrong_encoding.csv")


def test_an_explicit_encoding_reads_it(tmp_path):
    frame = read_case_file(FIXTURES / "wrong_encoding.csv", encoding="latin-1").frame
    assert frame.loc[0, "note"] == "café crème"


def test_parquet_columns_of_any_type_become_text(tmp_path):
    path = tmp_path / "cases.parquet"
    table = pa.table(
        {
            "id": [1, 2],
            "lat": [42.35, None],
            "when": pa.array([0, 86_400_000_000], pa.timestamp("us")),
            "tags": [["a"], []],
        }
    )
    pq.write_table(table, path)
    frame = read_case_file(path).frame
    assert frame["id"].tolist() == ["1", "2"]
    assert frame.loc[0, "lat"] == "42.35" and pd.isna(frame.loc[1, "lat"])
    assert frame.loc[1, "when"].startswith("1970-01-02")
    assert frame.loc[0, "tags"] == '["a"]'


def test_open311_json_keeps_each_record_as_given():
    case_file = read_case_file(FIXTURES / "open311_requests.json")
    assert len(case_file.frame) == 10
    assert case_file.frame.loc[0, "lat"] == "41.875"  # numbers become their JSON text
    assert json.loads(case_file.raw_json[3]) == json.loads(
        json.dumps(json.load(open(FIXTURES / "open311_requests.json"))[3])
    )


def test_json_lines_and_wrapped_arrays_are_read(tmp_path):
    lines = tmp_path / "requests.jsonl"
    lines.write_text('{"id": "1"}\n{"id": "2", "x": true}\n', encoding="utf-8")
    frame = read_case_file(lines).frame
    assert frame["id"].tolist() == ["1", "2"] and pd.isna(frame.loc[0, "x"]) and frame.loc[1, "x"] == "true"
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text('{"requests": [{"id": "1"}]}', encoding="utf-8")
    assert read_case_file(wrapped).frame["id"].tolist() == ["1"]


@pytest.mark.parametrize(
    "name, message", [("missing.csv", "case file not found"), ("cases.xlsx", "unknown case file type")]
)
def test_unreadable_inputs_say_why(tmp_path, name, message):
    if name.endswith(".xlsx"):
        (tmp_path / name).write_bytes(b"PK")
    with pytest.raises(IngestError, match=message):
        read_case_file(tmp_path / name)


def test_a_preview_reads_only_the_first_records_and_tolerates_a_cut(tmp_path):
    assert read_case_file(FIXTURES / "nyc311_style.csv", nrows=3).frame["Unique Key"].tolist() == [
        "1001",
        "1002",
        "1003",
    ]
    preview = read_case_file(FIXTURES / "truncated.csv", nrows=10)  # the cut-off 5th record is left out
    assert preview.frame["Unique Key"].tolist() == ["1001", "1002", "1003", "1004"] and not preview.bad_rows
    big = tmp_path / "big.csv"
    big.write_text("id,note\n" + "".join(f'{i},"line one\nline two"\n' for i in range(60_000)), encoding="utf-8")
    head = read_case_file(big, nrows=5)
    assert head.frame["id"].tolist() == ["0", "1", "2", "3", "4"] and head.frame.loc[0, "note"] == "line one\nline two"


def test_an_empty_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty.csv: the file is empty"):
        read_case_file(empty)
