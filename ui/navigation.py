"""The registered pages: one place for the frame, the smoke tests and the screenshot script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str  # i18n key suffix: page.<key>
    path: str  # file under the project root
    url_path: str
    icon: str


PAGES = (
    PageSpec("overview", "pages/overview.py", "overview", ":material/dashboard:"),
    PageSpec("grid_map", "pages/grid_map.py", "grid-map", ":material/map:"),
    PageSpec("profile", "pages/profile.py", "profile", ":material/badge:"),
    PageSpec("trends", "pages/trends.py", "trends", ":material/timeline:"),
    PageSpec("hotspots", "pages/hotspots.py", "hotspots", ":material/local_fire_department:"),
    PageSpec("closed_loop", "pages/closed_loop.py", "closed-loop", ":material/published_with_changes:"),
    PageSpec("assessment", "pages/assessment.py", "assessment", ":material/military_tech:"),
    PageSpec("insight", "pages/insight.py", "insight", ":material/manage_search:"),
    PageSpec("dispatch", "pages/dispatch.py", "dispatch", ":material/assignment_ind:"),
    PageSpec("compare", "pages/compare.py", "compare", ":material/compare_arrows:"),
    PageSpec("data", "pages/data.py", "data", ":material/database:"),
)
