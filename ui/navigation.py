"""The registered pages: one place for the frame, the smoke tests and the screenshot script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str        # i18n key suffix: page.<key>
    path: str       # file under the project root
    url_path: str
    icon: str


PAGES = (
    PageSpec("overview", "pages/overview.py", "overview", ":material/dashboard:"),
    PageSpec("data", "pages/data.py", "data", ":material/database:"),
)
