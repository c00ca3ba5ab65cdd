"""Panels of the area-profile page."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import closed_loop, profile
from analytics.filters import LEVELS, Filters
from ui import data, heavy, names, present
from ui.charts import LAYOUT, trend_chart
from ui.filters import choice, keep_if_offered, labels
from ui.i18n import date_tickformat, fmt_int, fmt_metric, fmt_pct, t, t_or
from ui.safe import md
from ui.tables import masked, show_table
from ui.tiles import DEADLINE_TILES, Tile, tile_value


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _info_scoped(db_key, level: str, area: str, scope):
    return profile.area_info(data.connection(), level, area, scope)


def _info(db_key, level: str, area: str):
    return _info_scoped(db_key, level, area, data.current_scope())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _peers(db_key, f: Filters, level: str) -> pd.DataFrame:
    return profile.peers(data.connection(), f, level, data.config())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _medians(db_key, f: Filters, level: str) -> dict | None:
    return profile.city_medians(data.connection(), f, level, data.config())


@st.cache_data(ttl=data.TTL, show_spinner=False)
def _call(db_key, name: str, f: Filters):
    functions = {
        "open_cases": profile.open_cases,
        "category_mix": profile.category_mix,
        "stages": closed_loop.stage_durations,
        "workers": closed_loop.worker_metrics,
    }
    return functions[name](data.connection(), f)


def area_filters(f: Filters, level: str, area: str) -> Filters:
    return dataclasses.replace(f, level=level, area=area)


def open_profile(level: str, area: str) -> None:
    """Open the profile of a found place: the same deep link the map's "open profile" uses."""
    st.query_params["level"] = level
    st.query_params["area"] = area


def choose_area(key, f: Filters, search: Callable[[], None]) -> tuple[str, str]:
    """The area to profile: the sidebar/deep-link area when there is one, else the user's pick. The level is a
    row of buttons; the area list and ``search`` (the place search) sit in a pop-over labelled with the area
    shown, so a new browser session loads no list or text-box code before the page is drawn (docs/performance.md,
    "A page's own URL, and the profile's area picker")."""
    cols = st.columns([2, 3], vertical_alignment="bottom")
    present = data.levels(key)
    default_level = f.level if f.level in present and f.area else present[-1]
    level = choice(
        t("filter.level"), present, labels("level", LEVELS), "profile_level", where=cols[0], default=default_level
    )
    options = data.areas(key, level, None, None)
    ids = list(options["area_id"])
    names = dict(zip(options["area_id"], options["area_name"]))
    area_key = f"profile_area_{level}_{f.area}"
    keep_if_offered(area_key, ids)
    index = ids.index(f.area) if level == f.level and f.area in ids else 0
    shown = st.session_state.get(area_key, ids[index] if ids else None)
    label = t("profile.pick", name=md(names.get(shown, "—")), id=md(str(shown or "—")))
    with cols[1].popover(label, icon=":material/location_on:", width="stretch"):
        area = st.selectbox(
            t("filter.area"),
            ids,
            index=index,
            key=area_key,
            format_func={a: f"{names[a]} · {a}" for a in ids}.__getitem__,
        )
        search()
    return level, area


def header(key, level: str, area: str):
    info = _info(key, level, area)
    if info is None:
        st.warning(t("map.unknown_area"))
        return None
    path = " › ".join([t("level.city"), *[md(name) for _, _, name in reversed(info["parents"])], md(info["name"])])
    st.subheader(
        f"{md(info['name'])}（{t('level.' + level)}）"
        if st.session_state.get("lang") != "en"
        else f"{md(info['name'])} ({t('level.' + level)})"
    )
    st.caption(path)
    return info


def kpi_panel(key, f: Filters, level: str, area: str) -> None:
    whole_city = data.current_scope().whole_city  # the peers are the whole city already
    medians = None if whole_city else _medians(key, f, level)  # None where the scope allows no comparison
    peers = _peers(key, f, level)
    context = profile.kpi_context(peers, area, medians=medians)
    label = "profile.vs_median" if whole_city or medians is not None else "access.vs_visible_median"
    here = peers[peers["area_id"] == area]
    known = here.empty or bool(here["deadlines_known"].iloc[0])
    cols = st.columns(4) + st.columns(4)
    for col, row in zip(cols, context.itertuples()):
        rank = "—" if row.rank is None or pd.isna(row.rank) else f"{int(row.rank)}/{row.ranked}"
        comparison = t(label, median=fmt_metric(row.metric, row.city_median), rank=rank)
        if not known and row.metric in DEADLINE_TILES:  # no deadline: no median or rank to compare with
            comparison = None
        col.metric(
            t(f"metric.{row.metric}"),
            tile_value(Tile(row.metric, "count"), row.value, known),
            comparison,
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=t("profile.rank_help"),
        )
    _suspended_note(peers[peers["area_id"] == area])


def _suspended_note(row: pd.DataFrame) -> None:
    """Suspended (挂账) overdue cases of the area, shown apart (metrics.md: suspended overdue)."""
    if row.empty or not int(row["suspended_overdue"].iloc[0]):
        return
    days = row["suspended_overdue_max_days"].iloc[0]
    st.caption(t("edges.profile_suspended", count=fmt_int(row["suspended_overdue"].iloc[0]), days=f"{days:.0f}"))


def repeats_panel(key, f: Filters, level: str, area: str) -> None:
    """The area's repeat and rebound rates against the median of its level (``metrics.md``). They need the
    whole city's repeat analysis (minutes at 20 M cases): computed in the background (ui/heavy.py), the rest
    of the page is drawn meanwhile and the tiles fill in when it is done."""
    from ui.insight_data import repeat_rates_job

    st.subheader(t("profile.repeats"))
    job = repeat_rates_job(key, dataclasses.replace(f, level=None, area=None), level)
    if heavy.ready([job], wait_seconds=_repeats_wait(key, f, level)):
        _repeat_tiles(job.result(), area)
        return

    def placeholder() -> None:  # the tiles fill in within the fragment: no page rerun under a reader who moved on
        _repeat_tiles(None, area)
        st.caption(t("heavy.computing_note"))

    heavy.waiting([job], placeholder, done=lambda: _repeat_tiles(job.result(), area))


def _repeats_wait(key, f: Filters, level: str) -> float:
    """How long the page waits for the repeat analysis (:func:`ui.heavy.wait_for` of the period's cases, the sum of
    the KPI tiles' cached frame)."""
    return heavy.wait_for(int(_peers(key, f, level)["reported"].sum()))


def start_repeats(key, f: Filters, level: str) -> None:
    """Start the repeat analysis now when the page will wait for it (a period of at most ``[limits]
    wait_max_cases`` cases): it then runs beside the page's own queries and its wait counts from now. A bigger
    period's starts when :func:`repeats_panel` is drawn, last, so it does not compete with them."""
    if _repeats_wait(key, f, level) > 0:
        from ui.insight_data import repeat_rates_job

        repeat_rates_job(key, dataclasses.replace(f, level=None, area=None), level)


def _repeat_tiles(peers: pd.DataFrame | None, area: str) -> None:
    """The two rate tiles; ``peers`` None while the analysis runs."""
    cols = st.columns(2)
    for col, metric in zip(cols, ("repeat_rate", "rebound_rate")):
        if peers is None:
            col.metric(t(f"map_metric.{metric}"), t("heavy.computing"), border=True)
            continue
        row = peers[peers["area_id"] == area]
        value = row[metric].iloc[0] if not row.empty else None
        median = peers[metric].median()
        col.metric(
            t(f"map_metric.{metric}"),
            fmt_metric(metric, value),
            t("profile.repeats_city", value=fmt_metric(metric, median)),
            delta_color="off",
            delta_arrow="off",
            border=True,
        )


def trend_panel(key, area_f: Filters) -> None:
    st.subheader(t("profile.trend"))
    start = area_f.end - dt.timedelta(weeks=26)
    # up to the period end: a week the data or the period cuts is marked partial, not dropped
    window = dataclasses.replace(area_f, start=start - dt.timedelta(days=start.weekday()))
    series = data.trend_series(key, window, "week", "kind")
    if series.empty:
        st.info(t("overview.no_trend"))
        return
    kinds = {k: t(f"kind.{k}") for k in ("incident", "demand", "dispute")}
    fig = trend_chart(series, kinds, t("metric.reported"), t("edges.partial_bucket"))
    fig.update_xaxes(tickformat=date_tickformat("week"))
    present.plot(fig)
    if series["partial"].any():
        st.caption(t("edges.partial_note"))


def mix_panel(key, area_f: Filters) -> None:
    st.subheader(t("profile.mix"))
    mix = _call(key, "category_mix", area_f)
    if mix.empty:
        st.info(t("overview.no_trend"))
        return
    mix = mix.iloc[::-1].assign(
        category_major=lambda m: [
            t("trend.other") if v == "other" else names.major_label(v) for v in m["category_major"]
        ]
    )
    fig = go.Figure(
        go.Bar(
            y=mix["category_major"],
            x=mix["reported"],
            orientation="h",
            marker_color="#2b6cb0",
            text=[f"{n} ({s:.0%})" for n, s in zip(mix["reported"], mix["share"])],
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(**{**LAYOUT, "margin": dict(l=10, r=70, t=10, b=10)})
    present.plot(fig)


def stage_panel(key, f: Filters, area_f: Filters) -> None:
    st.subheader(t("profile.stages"))
    here, city = _call(key, "stages", area_f), _call(key, "stages", dataclasses.replace(f, level=None, area=None))
    table = here.merge(city, on=["stage_from", "stage_to"], suffixes=("", "_city"))
    table["stage"] = [f"{t('stage.' + a)} → {t('stage.' + b)}" for a, b in zip(table["stage_from"], table["stage_to"])]
    for column in ("median_hours", "p90_hours", "median_hours_city"):
        table[column] = table[column].round(1)
    st.dataframe(
        table[["stage", "cases", "median_hours", "p90_hours", "median_hours_city"]].rename(
            columns={c: t(f"col.{c}") for c in ("stage", "cases", "median_hours", "p90_hours", "median_hours_city")}
        ),
        hide_index=True,
        width="stretch",
    )


def population_panel(info: dict) -> None:
    st.subheader(t("profile.population"))
    population = None if pd.isna(info.get("population")) else info["population"]
    cols = st.columns(4)
    cols[0].metric(t("profile.residents"), fmt_int(population), border=True)
    cols[1].metric(t("profile.households"), fmt_int(info.get("households")), border=True)

    def share(v):
        return fmt_pct(v / population) if population and v is not None and not pd.isna(v) else "—"

    cols[2].metric(t("profile.elderly"), share(info.get("elderly")), border=True)
    cols[3].metric(t("profile.children"), share(info.get("children")), border=True)
    area_km2 = None if pd.isna(info.get("area_km2")) else info["area_km2"]
    if population is None:
        st.caption(t("profile.no_population"))
    elif area_km2:
        st.caption(
            t(
                "profile.density",
                area=f"{area_km2:.2f}",
                density=fmt_int(round(population / area_km2)),
                grids=info["grids"],
            )
        )


def cases_panel(key, area_f: Filters) -> None:
    cases = _call(key, "open_cases", area_f)
    overdue = int(cases["overdue"].fillna(False).sum()) if not cases.empty else 0
    st.subheader(t("profile.open_cases", total=fmt_int(len(cases)), overdue=fmt_int(overdue)))
    if cases.empty:
        st.success(t("profile.no_open"))
        return
    cases = cases.assign(
        status_label=[t_or(f"case_status.{s}", str(s)) for s in cases["status"]],
        overdue_label=[
            t("profile.yes") if bool(o) else t("profile.no") for o in cases["overdue"].astype("boolean").fillna(False)
        ],
    )
    show_table(
        masked(cases),
        [
            "case_id",
            "overdue_label",
            "hours_overdue",
            "due_at",
            "category_name",
            "grid_name",
            "status_label",
            "description",
        ],
        "open_cases.csv",
        "dl_profile_cases",
        height=320,
    )


def workers_panel(key, area_f: Filters) -> None:
    st.subheader(t("profile.workers"))
    workers = _call(key, "workers", area_f)
    if workers.empty:
        st.info(t("profile.no_workers"))
        return
    workers = workers.assign(
        role_label=[t("role.full_time") if ft else t("role.part_time") for ft in workers["full_time"]]
    )
    show_table(
        workers,
        ["worker_id", "grid_name", "role_label", "reports", "self_handled", "self_handled_rate"],
        "profile_workers.csv",
        "dl_profile_workers",
        height=280,
    )


def neighbours_panel(key, f: Filters, level: str, area: str) -> None:
    st.subheader(t("profile.neighbours"))
    try:
        _, w = data.weights(key, level)
    except ValueError:  # no area of the level has a boundary
        st.info(t("geo.no_boundaries"))
        return
    ids = [area, *profile.neighbours(w, area)]
    peers = _peers(key, f, level).set_index("area_id").reindex(ids).reset_index()
    peers["area_name"] = [f"★ {n}" if i == area else n for i, n in zip(peers["area_id"], peers["area_name"])]
    show_table(
        peers,
        [
            "area_name",
            "reported",
            "reported_per_1000",
            "closure_rate",
            "on_time_closure_rate",
            "open_overdue",
            "satisfaction_rate",
        ],
        "neighbours.csv",
        "dl_neighbours",
        height=280,
    )
