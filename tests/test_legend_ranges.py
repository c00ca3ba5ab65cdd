"""Map legends: class ranges that read differently when the bounds differ (analytics.catalog.fmt_ranges)."""

from analytics.catalog import fmt_ranges


def test_small_shares_get_the_decimals_they_need():
    # a term's share per district: 0.11 % … 0.19 %; with one decimal every class read "0.1% – 0.2%"
    breaks = [0.0011, 0.0013, 0.0015, 0.0017, 0.0019]
    assert fmt_ranges("share_rate", breaks, "zh") == [
        "0.11% – 0.13%",
        "0.13% – 0.15%",
        "0.15% – 0.17%",
        "0.17% – 0.19%",
    ]


def test_usual_rates_keep_one_decimal_and_counts_stay_whole():
    assert fmt_ranges("closure_rate", [0.8, 0.9, 0.95], "en") == ["80.0% – 90.0%", "90.0% – 95.0%"]
    assert fmt_ranges("open_overdue", [0, 12, 1500], "en") == ["0 – 12", "12 – 1,500"]


def test_equal_bounds_do_not_ask_for_more_decimals_than_the_rest():
    # a class of one value (quantile breaks on tied data) stays at the precision the others need
    assert fmt_ranges("closure_rate", [0.5, 0.5, 0.75], "en") == ["50.0% – 50.0%", "50.0% – 75.0%"]
