"""Dispatch accuracy on the real Boston 2015 and NYC files (figures in docs/dispatch.md)."""

from __future__ import annotations

import pytest

from tests.conftest import need_real_data


@pytest.fixture(scope="module")
def real_results():
    root = need_real_data()
    from scripts.dispatch_real import measure

    return measure(root)


def test_boston_department_and_team(real_results):
    boston = real_results["boston_2015"]
    assert boston["n_test"] > 5000 and boston["n_train"] > 100_000  # December against January-November
    assert boston["top1"] >= boston["baseline_top1"] + 0.4
    assert boston["top3"] >= boston["top1"]
    assert boston["category_top1"] >= boston["category_baseline_top1"] + 0.5  # team (QUEUE)


def test_nyc_agency(real_results):
    for name in ("nyc_2013_day", "nyc_2013_to_2022"):
        result = real_results[name]
        assert result["top1"] >= 0.9, name
        assert result["top1"] > result["baseline_top1"], name
