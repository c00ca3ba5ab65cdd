"""Map legends: class ranges that read differently when the bounds differ (analytics.catalog.fmt_ranges)."""

from analytics.catalog import fmt_ranges, rate_digits


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


def test_the_digits_the_legend_uses_are_the_tooltips():
    # the insight map writes each district's share with the legend's decimals (ui.insight_parts.area_map)
    assert rate_digits([0.0011, 0.0013, 0.0015]) == 2  # 0.11 %, 0.13 %, 0.15 %
    assert rate_digits([0.00111, 0.00114]) == 3  # 0.111 % and 0.114 %: two decimals would read 0.11 % twice
    assert rate_digits([0.25, 0.5]) == 1
    assert rate_digits([0.5, None, 0.75]) == 1  # a missing value asks for nothing
