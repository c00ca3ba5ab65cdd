"""Streamlit-side helpers shared by the pages: i18n, filters, cached loaders, tiles, charts, maps."""
