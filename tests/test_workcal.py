"""Working-time deadlines: window 09:00-17:00, weekends and holidays skipped, make-up days worked."""

import numpy as np
import pandas as pd
import pytest

from analytics.config import load_config
from analytics.workcal import WorkCalendar


def add(cal: WorkCalendar, start: str, hours: float) -> str:
    return str(cal.add_working_hours(np.array([start], dtype="datetime64[m]"), np.array([hours]))[0])


def test_deadline_across_a_weekend():
    cal = WorkCalendar()
    # Friday 2025-03-07 16:00 + 2 working hours: 1 h on Friday, 1 h from Monday 09:00
    assert add(cal, "2025-03-07T16:00", 2) == "2025-03-10T10:00"
    # reported on Saturday: the clock starts Monday 09:00; 8 h end Monday at 17:00
    assert add(cal, "2025-03-08T11:00", 8) == "2025-03-10T17:00"
    # after hours on Friday: 1 working day = 8 h = Monday 17:00
    assert add(cal, "2025-03-07T20:00", 8) == "2025-03-10T17:00"
    # 4 working days from Wednesday 13:00: Wed 4 h + Thu 8 + Fri 8 + Mon 8 + Tue 4 -> Tuesday 13:00
    assert add(cal, "2025-03-05T13:00", 32) == "2025-03-11T13:00"


def test_holidays_and_make_up_working_days():
    cal = WorkCalendar(
        holidays=("2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"),
        workdays=("2025-10-11",),
    )
    # Tuesday 30 September 16:00 + 5 h: 1 h on the 30th, then the holiday and weekend, 4 h on Thursday 9th
    assert add(cal, "2025-09-30T16:00", 5) == "2025-10-09T13:00"
    # Friday 10 October 15:00 + 4 h: 2 h Friday, 2 h on the make-up Saturday 11th
    assert add(cal, "2025-10-10T15:00", 4) == "2025-10-11T11:00"


def test_configured_calendar_and_calendar_basis():
    cal = WorkCalendar.from_config(load_config())
    # 2024-02-10..17 Spring Festival; 2024-02-18 (Sunday) is a make-up working day
    assert add(cal, "2024-02-09T16:00", 2) == "2024-02-18T10:00"
    start = pd.Series(pd.to_datetime(["2025-03-07 16:00", "2025-03-07 16:00", None]))
    due = cal.due_at(start, pd.Series([2.0, 24.0, 8.0]), pd.Series(["working", "calendar", "working"]))
    assert due.iloc[0] == pd.Timestamp("2025-03-10 10:00")
    assert due.iloc[1] == pd.Timestamp("2025-03-08 16:00")
    assert pd.isna(due.iloc[2])


def test_official_calendar_covers_2026_and_the_file_overrides_and_extends_it():
    """Issue 11, item 16: the package's State Council days (2026 included), the file's days over them."""
    cal = WorkCalendar.from_config({"calendar": {}})
    assert cal.official == "chinese-calendar" and cal.covered_years[0] == 2004 and 2026 in cal.covered_years
    # 2026 National Day: 1-7 October off (1 October is a Thursday), Saturday 10 October a make-up working day
    assert add(cal, "2026-09-30T16:00", 2) == "2026-10-08T10:00"
    assert add(cal, "2026-10-09T16:00", 2) == "2026-10-10T10:00"
    # 2026 New Year: 1-3 January off (Thursday to Saturday), Sunday 4 January a make-up working day
    assert add(cal, "2025-12-31T16:00", 2) == "2026-01-04T10:00"
    own = WorkCalendar.from_config(
        {"calendar": {"holidays": ["2026-10-10", "2027-01-01"], "workdays": ["2026-10-07"], "years": [2027]}}
    )
    assert add(own, "2026-09-30T16:00", 2) == "2026-10-07T10:00"  # the file made the 7th a working day
    assert add(own, "2026-10-09T16:00", 2) == "2026-10-12T10:00"  # ... and the 10th a day off
    assert add(own, "2026-12-31T16:00", 2) == "2027-01-04T10:00"  # Fri 1 Jan 2027 off, then the weekend
    assert 2027 in own.covered_years and own.coverage_text() == "2004–2027"


def test_a_year_no_calendar_knows_is_flagged_not_assumed():
    cal = WorkCalendar.from_config({"calendar": {}})
    days = np.array(["2025-06-01", "2027-03-01", "NaT", "2031-01-01"], dtype="datetime64[D]")
    assert cal.uncovered_years(days) == [2027, 2031]
    assert WorkCalendar.from_config({"calendar": {"official": "none"}}).uncovered_years(days) == []
    weekends_only = WorkCalendar.from_config({"calendar": {"official": "none", "years": [2025]}})
    assert weekends_only.uncovered_years(days) == [2027, 2031]
    with pytest.raises(ValueError, match="both as holidays and workdays: 2026-01-05"):
        WorkCalendar.from_config({"calendar": {"holidays": ["2026-01-05"], "workdays": ["2026-01-05"]}})
    with pytest.raises(ValueError, match="official = 'lunar'"):
        WorkCalendar.from_config({"calendar": {"official": "lunar"}})
