"""The shared sidebar filters (period, area level and area, kind, category class) and deep links.

Period, level and kind are segmented buttons (one click, every choice in view), not drop-down lists: a new
browser session then loads no list widget's code before the page can draw (Streamlit's select box brings about
20 script chunks; docs/performance.md, "A lighter frame"). The area is a list (hundreds of names), drawn only
once a level is chosen.

The frame (``app.py``) draws them on every run, so switching pages keeps them. URL
query parameters ``level``, ``area``, ``kind``, ``start`` and ``end`` override the
widgets (deep links from the map and from briefings); any widget change clears them.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.filters import KINDS, LEVELS, Filters, months_before
from ui import data
from ui.i18n import t

PERIODS = ("month", "quarter", "half_year", "year", "custom")
MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
OVERRIDE_KEYS = ("level", "area", "kind", "start", "end")


def preset_period(preset: str, data_end: dt.date, default: tuple[dt.date, dt.date] | None = None):
    """``[start, end)`` of a preset: whole months ending with the default period's end.

    ``default`` is the period pages open with (:func:`analytics.coverage.default_period`: the latest
    complete month that holds data, or the whole coverage of data shorter than two months); the
    ``month`` preset is that period, and on short data every preset is. Without ``default`` the presets
    end with the last complete month before ``data_end``.
    """
    if default is None:
        end = dt.date(data_end.year, data_end.month, 1)
        return months_before(end, MONTHS[preset]), end
    start, end = default
    if preset == "month" or start.day != 1 or end.day != 1:
        return default
    return months_before(end, MONTHS[preset]), end


def labels(prefix: str, keys) -> dict[str, str]:
    """Catalog strings of ``keys`` computed now, so a widget's format_func does not depend on when it is called."""
    return {k: t(f"{prefix}.{k}") for k in keys}


def keep_if_offered(key: str, options) -> None:
    """Forget the widget value under ``key`` unless it is one of ``options`` (a value of another database or
    period, or none yet), so the widget falls back to its default instead of failing on a value it lacks."""
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)


def choice(
    label: str,
    options,
    names: dict,
    key: str,
    help: str | None = None,
    where=None,
    default=None,
    on_change=None,
):
    """One of ``options`` (shown by ``names``) as segmented buttons, in the sidebar unless ``where`` (a column) is
    given; one is always chosen: ``default``, else the first. A one-click choice among a few options that, unlike a
    select box, loads no list widget's code in a new browser session (docs/performance.md, "A lighter frame")."""
    options = list(options)
    keep_if_offered(key, options)  # levels differ between databases
    return (where or st.sidebar).segmented_control(
        label,
        options,
        default=None if key in st.session_state else (options[0] if default is None else default),
        required=True,
        format_func=names.__getitem__,
        key=key,
        help=help,
        on_change=on_change,
        width="stretch",
    )


def _clear_overrides() -> None:
    for key in OVERRIDE_KEYS:
        st.query_params.pop(key, None)


def _period(data_first: dt.date, data_end: dt.date, opening: tuple[dt.date, dt.date] | None):
    preset = choice(
        t("filter.period"),
        PERIODS,
        labels("period_short", PERIODS),
        "filter_period",
        t("filter.period_help"),
        on_change=_clear_overrides,
    )
    if preset != "custom":
        return preset_period(preset, data_end, opening)
    return custom_period(
        st.sidebar.date_input(
            t("edges.custom_range"),
            value=custom_default(data_first, data_end, opening),
            min_value=data_first,
            max_value=data_end - dt.timedelta(days=1),  # data_end is exclusive: the day after the last report
            help=t("edges.custom_range_help"),
            key="filter_range",
            on_change=_clear_overrides,
        ),
        data_first,
    )


def custom_default(
    data_first: dt.date, data_end: dt.date, opening: tuple[dt.date, dt.date] | None = None
) -> tuple[dt.date, dt.date]:
    """The first and last day (both inclusive) the custom range starts with: the opening period, inside the data."""
    start, end = preset_period("month", data_end, opening)
    last = end - dt.timedelta(days=1)
    if last < data_first or start >= data_end:  # no complete month of data: the whole coverage
        return data_first, data_end - dt.timedelta(days=1)
    return max(start, data_first), last


def custom_period(picked, fallback: dt.date) -> tuple[dt.date, dt.date]:
    """``[start, end)`` from the picker's first and last day, both inclusive: end = last day + 1.

    While only the first day is picked, the period is that one day.
    """
    days = list(picked) if isinstance(picked, (tuple, list)) else [picked]
    days = [d for d in days if d is not None] or [fallback]
    return days[0], days[-1] + dt.timedelta(days=1)


def _area() -> tuple[str | None, str | None]:
    present = data.levels(data.db_key())
    level = choice(
        t("filter.level"),
        ("city", *present),
        labels("level", ("city", *LEVELS)),
        "filter_level",
        on_change=_clear_overrides,
    )
    if level == "city":
        return None, None
    options = data.areas(data.db_key(), level, None, None)
    names = dict(zip(options["area_id"], options["area_name"]))
    area = st.sidebar.selectbox(
        t("filter.area"),
        list(names),
        format_func={a: f"{n} · {a}" for a, n in names.items()}.__getitem__,
        key=f"filter_area_{level}",
        on_change=_clear_overrides,
    )
    return level, area


def sidebar_filters() -> Filters | None:
    """Draw the filters and return the current :class:`Filters` (None when there is no data)."""
    span = data.data_range(data.db_key())
    if span is None:
        return None
    first, end = span
    st.sidebar.subheader(t("filter.heading"))
    start, stop = _period(first, end, data.default_period(data.db_key()))
    level, area = _area()
    kind = choice(
        t("filter.kind"), ("all", *KINDS), labels("kind", ("all", *KINDS)), "filter_kind", on_change=_clear_overrides
    )
    from ui.auth import scope

    f = Filters(start, stop, level, area, None if kind == "all" else kind, scope=scope())
    return apply_overrides(f, dict(st.query_params))


def apply_overrides(f: Filters, params: dict) -> Filters:
    """Deep-link parameters over the widget values; an unknown level is ignored, other values are
    taken as they are (an unknown area simply matches nothing)."""
    values = {}
    if params.get("level") in LEVELS and params.get("area"):
        values.update(level=params["level"], area=str(params["area"]))
    if params.get("kind"):
        values["kind"] = str(params["kind"])
    for key in ("start", "end"):
        try:
            values[key] = dt.date.fromisoformat(str(params[key]))
        except (KeyError, ValueError):
            pass
    if not values:
        return f
    try:
        return Filters(**{**f.__dict__, **values})
    except ValueError:
        return f
