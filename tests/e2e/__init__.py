"""Headless-browser tests: the real server, the real Chromium, every registered page."""
