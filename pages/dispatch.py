"""派单台 Dispatch desk: a complaint in, likely departments, category and deadline, similar cases, accuracy."""

from __future__ import annotations

import streamlit as st

from ui import dispatch_parts as parts
from ui import page
from ui.i18n import t

f, key = page.start("page.dispatch")
st.caption(t("dispatch.caption"))
model = parts.model_or_stop(key)
inputs = parts.complaint_form(key, f)
if inputs is not None:
    parts.suggestion_panel(key, f, model, inputs)
parts.accuracy_panel(key, f, model)
