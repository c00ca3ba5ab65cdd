"""Tables: a table with few rows is drawn to fit them, not as a block of empty rows."""

from ui.tables import fitted_height


def test_a_short_table_is_as_tall_as_its_rows():
    # one row: a 38 px header, one 35 px row and 3 px of border
    assert fitted_height(1, 280) == 38 + 35 + 3
    # no row still keeps the header and one empty row for the "no data" message
    assert fitted_height(0, 280) == 76
    # seven rows need 38 + 245 + 3 = 286 px: more than allowed, so the limit holds and the table scrolls
    assert fitted_height(7, 280) == 280
    assert fitted_height(6, 280) == 38 + 210 + 3


def test_without_a_limit_streamlit_decides():
    assert fitted_height(500, None) == "auto"
