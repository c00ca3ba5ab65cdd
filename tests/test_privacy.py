"""Personal data is masked by one function, in every view and export (realistic samples and the demo data)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.closed_loop import overdue_cases
from analytics.filters import Filters
from analytics.privacy import mask_frame, mask_text
from analytics.profile import open_cases

SAMPLES = [
    # (text, what must disappear, what must stay)
    ("联系人张伟，电话13812345678。", ["张伟", "13812345678", "12345678"], ["联系人张", "138"]),
    ("市民王秀英来电反映楼上漏水，手机 139 1234 5678", ["王秀英", "1234 5678"], ["来电反映"]),
    ("来电人称：+86 15012345678 多次投诉无果", ["15012345678"], ["多次投诉"]),
    ("座机0571-88881234，另一号码010 12345678", ["88881234", "12345678"], ["0571"]),
    ("身份证号11010119900307123X，请核实", ["19900307123X", "11010119900307123X"], ["请核实"]),
    ("旧身份证130503670401001", ["130503670401001"], []),
    ("具体地址：幸福路128号3单元502室，楼道堆物", ["128号3单元502室"], ["幸福路", "楼道堆物"]),
    ("住址：枫林雅苑13幢4单元1203室", ["13幢4单元1203室"], ["枫林雅苑"]),
    ("刘建国师傅已到场处理", ["刘建国"], ["师傅已到场"]),
    ("当事人李娜与邻居赵强因噪声发生纠纷", ["李娜"], ["发生纠纷"]),
]


@pytest.mark.parametrize("text, gone, kept", SAMPLES)
def test_mask_text_realistic_samples(text, gone, kept):
    masked = mask_text(text)
    for secret in gone:
        assert secret not in masked, (secret, masked)
    for plain in kept:
        assert plain in masked, (plain, masked)


def test_non_personal_numbers_survive():
    text = "12345热线反映：2025年3月5日晚8时，路灯3盏不亮，编号A-102"
    assert mask_text(text) == text
    assert mask_text(None) is None


def test_unmask_is_a_switch_that_defaults_off():
    frame = pd.DataFrame({"description": ["联系电话13812345678"]})
    assert "13812345678" not in mask_frame(frame).iloc[0, 0]
    assert mask_frame(frame, unmask=True).iloc[0, 0] == "联系电话13812345678"


def planted(con) -> pd.DataFrame:
    return con.execute(
        "SELECT p.case_id, p.pii_type, p.value, c.description FROM pii_planted p JOIN cases c USING (case_id)"
    ).df()


def test_every_planted_value_is_masked_in_the_demo_descriptions(demo_con):
    rows = planted(demo_con)
    assert len(rows) > 500 and set(rows["pii_type"]) >= {"name", "mobile", "landline", "id_card", "address"}
    masked = rows["description"].map(mask_text)
    leaks = rows[[value in text for value, text in zip(rows["value"], masked)]]
    assert leaks.empty, leaks.head(10).to_dict("records")


def test_case_lists_and_their_exports_carry_no_personal_data(demo_con):
    """What the overdue list and the profile's open cases show and export (mask, then CSV with BOM)."""
    from ui.tables import csv_bytes, localized

    values = planted(demo_con)["value"].tolist()
    f = Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    for frame in (overdue_cases(demo_con, f), open_cases(demo_con, f)):
        assert frame["description"].notna().any()
        shown = mask_frame(frame)
        exported = csv_bytes(localized(shown, list(shown.columns))).decode("utf-8-sig")
        leaks = [v for v in values if v in exported]
        assert not leaks, leaks[:10]
