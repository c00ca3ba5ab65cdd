"""A change that rounds to zero is shown as no change: no minus sign, no arrow, no colour."""

from analytics.briefing.content import Tile, tile_delta, unchanged
from analytics.catalog import signed
from ui.tiles import delta_style

RATE = Tile("rework_rate", "rate", lower_is_better=True)
COUNT = Tile("reported", "count")


def test_a_rate_change_below_half_a_point_tenth_has_no_sign():
    # 2.21 % -> 2.17 %: -0.04 points, shown to one decimal as 0.0 (not "-0.0")
    assert tile_delta(RATE, 0.0217, 0.0221, "zh") == "0.0 个百分点"
    assert tile_delta(RATE, 0.0221, 0.0217, "en") == "0.0 pt"
    # 2.21 % -> 2.00 %: -0.21 points
    assert tile_delta(RATE, 0.0200, 0.0221, "en") == "-0.2 pt"


def test_a_relative_change_that_rounds_to_zero_has_no_sign():
    assert tile_delta(COUNT, 10_003, 10_000, "en") == "0.0%"  # +0.03 %
    assert tile_delta(COUNT, 9_997, 10_000, "en") == "0.0%"  # -0.03 %
    assert tile_delta(COUNT, 11_000, 10_000, "en") == "+10.0%"


def test_signed_rounds_before_choosing_the_sign():
    assert [signed(v) for v in (1.26, -1.26, 0.049, -0.049, 0.0, -0.0)] == ["+1.3", "-1.3", "0.0", "0.0", "0.0", "0.0"]
    assert signed(-0.004, 2) == "0.00" and signed(-0.006, 2) == "-0.01"


def test_no_change_is_drawn_without_arrow_or_colour():
    assert unchanged("0.0 个百分点") and unchanged("0.0%")
    assert not unchanged("-0.2 pt") and not unchanged("+10.0%") and not unchanged(None)
    assert delta_style("0.0 pt", lower_is_better=True) == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style("-0.2 pt", lower_is_better=True) == {"delta_color": "inverse"}
    assert delta_style("+10.0%", lower_is_better=False) == {"delta_color": "normal"}
