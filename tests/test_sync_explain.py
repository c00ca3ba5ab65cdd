"""The Data page says what a failed sync means in the page's language (the sync logs its errors in English)."""

from __future__ import annotations

import pytest

from analytics.sync.errors import SyncError
from analytics.sync.source import Source, check_drift, connect
from tests.pgserver import free_port
from ui.sync_parts import explain


def raised(call, *args) -> str:
    with pytest.raises(SyncError) as caught:
        call(*args)
    return str(caught.value)


def test_a_column_that_is_gone_is_named_in_both_languages():
    error = raised(check_drift, {"status": "text", "satisfaction": "float8"}, {"status": "text"})
    assert explain(error, "zh") == "源表字段“satisfaction”（float8）已不存在，同步已停止"
    assert explain(error, "en") == "the source column “satisfaction” (float8) is gone; the sync stopped"


def test_a_column_that_changed_type_names_both_types():
    error = raised(check_drift, {"rework_count": "int4"}, {"rework_count": "text"})
    assert explain(error, "zh") == "源表字段“rework_count”的类型由 int4 变为 text，同步已停止"


def test_a_quote_in_a_column_name_stays_in_the_name():
    error = raised(check_drift, {"o'neil": "text"}, {})  # repr() quotes it with double quotes
    assert explain(error, "en") == "the source column “o'neil” (text) is gone; the sync stopped"


def test_a_refused_connection_is_said_without_the_password():
    source = Source(f"postgresql://reader:secret@127.0.0.1:{free_port()}/cases", "cases")
    error = raised(connect, source, 1, "UTC")
    assert explain(error, "zh") == "无法连接业务系统数据库"
    assert "secret" not in explain(error, "en")


def test_an_error_of_no_known_kind_gets_the_general_sentence():
    assert explain(raised(Source, "postgresql://x/y"), "zh") == "同步出错"  # neither --table nor --query
    assert explain("", "en") == "the sync failed"
