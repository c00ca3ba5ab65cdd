"""The floor of the browser benchmark: a trivial Streamlit page (a title, 8 metric tiles and a table).

Served and measured exactly like the app's pages by :mod:`analytics.bench.browser`, in the same run, so a
page's browser time is reported as a ratio to what Streamlit itself costs on this machine.
"""

import pandas as pd
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Trivial page")
columns = st.columns(8)
for i, column in enumerate(columns):
    column.metric(f"Metric {i + 1}", f"{(i + 1) * 1234:,}", delta=f"{i - 3:+d}%", border=True)
st.dataframe(pd.DataFrame({"area": [f"area {i}" for i in range(20)], "cases": range(20)}), hide_index=True)
