"""Masking measured: recall on a labelled set of personal data in every form (zh and en), and no
over-masking of ordinary case descriptions. The figures are printed (run with ``-s`` to see them)."""

from __future__ import annotations

import json

import pandas as pd

from analytics.privacy import PERSONAL_COLUMNS, mask_frame, mask_record, mask_text
from tests.privacy_cases import labelled, ordinary

RECALL_TARGET = 0.99


def test_recall_on_the_labelled_set_is_at_least_99_percent():
    cases = labelled()
    assert len(cases) >= 200
    spans = [(text, span) for text, found in cases for span in found]
    missed = [(span, text, mask_text(text)) for text, span in spans if span in mask_text(text)]
    recall = 1 - len(missed) / len(spans)
    print(
        f"\nmasking recall: {recall:.2%} of {len(spans)} labelled values in {len(cases)} strings; missed: {missed[:5]}"
    )
    assert recall >= RECALL_TARGET, missed[:10]


def test_ordinary_descriptions_are_not_masked():
    texts = ordinary()
    assert len(texts) >= 200
    changed = [(text, mask_text(text)) for text in texts if mask_text(text) != text]
    print(f"\nover-masking: {len(changed)} of {len(texts)} ordinary descriptions changed; {changed[:5]}")
    assert changed == []


def test_separate_name_and_phone_columns_in_a_rejected_row_are_masked():
    raw = json.dumps({"编号": "A1", "姓名": "欧阳娜娜", "电话": "13812345678", "内容": "路灯不亮"}, ensure_ascii=False)
    masked = json.loads(mask_record(raw))
    assert masked == {"编号": "A1", "姓名": "***", "电话": "***", "内容": "路灯不亮"}
    keyless = json.loads(mask_record(json.dumps({"fields": ["A2", "王秀英", "Kevin Miller", "路灯不亮"]})))
    assert keyless == {"fields": ["A2", "***", "***", "路灯不亮"]}


def test_every_personal_column_of_a_frame_is_masked():
    frame = pd.DataFrame(
        {
            "description": ["联系人张伟，电话13812345678"],
            "raw": [json.dumps({"reporter_name": "John Smith"})],
            "reporter_phone": ["(617) 555-0123"],
            "category_name": ["路灯"],
        }
    )
    shown = mask_frame(frame, PERSONAL_COLUMNS)
    text = shown.to_csv()
    for secret in ("张伟", "13812345678", "John Smith", "555-0123"):
        assert secret not in text
    assert shown.loc[0, "category_name"] == "路灯"
