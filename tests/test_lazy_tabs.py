"""Tabs and expanders drawn only when open (issue 16, browser time): the data page's dictionary and the
insight page's repeats tab are not sent to a new session, and appear when opened."""

from __future__ import annotations

from analytics.config import load_config
from analytics.scoring import ENTITIES
from tests.test_pages import open_tab, run_page


def _dictionary_tables(at) -> list:
    return [df.value for df in at.dataframe if list(df.value.columns) == ["Column", "Type"]]


def test_the_data_dictionary_is_drawn_table_by_table_when_opened(demo_env):
    at = run_page("pages/data.py", "en")
    assert not at.exception and not at.error
    assert at.tabs[0].label == "What is loaded" and _dictionary_tables(at) == []  # another tab is open
    at = open_tab(at, "data_tab", "Data dictionary")
    assert not at.exception and not at.error
    assert len(at.expander) >= 5 and _dictionary_tables(at) == []  # every table's expander, closed
    assert not any("Cases" in str(m.value) for m in at.metric), "the loaded tab is not drawn while closed"
    at.session_state["data_dict_cases"] = True  # the cases table's expander opened
    at.run()
    tables = _dictionary_tables(at)
    assert len(tables) == 1 and {"case_id", "reported_at", "grid_id"} <= set(tables[0]["Column"])


def test_the_repeat_tab_draws_when_opened_and_keeps_its_metric(demo_env):
    from ui import heavy

    at = run_page("pages/insight.py", "en")
    assert "insight_repeat_metric" not in [w.key for w in at.segmented_control]  # its tab is closed
    at = open_tab(at, "insight_tab", "Repeats and rebounds")
    for future in heavy.running():
        future.result(120)
    at.run()
    assert not at.exception and not at.error
    at.segmented_control(key="insight_repeat_metric").set_value("rebound_rate").run()
    at = open_tab(at, "insight_tab", "What residents ask about")  # the repeat tab is not drawn now
    assert "insight_repeat_metric" not in [w.key for w in at.segmented_control]
    at = open_tab(at, "insight_tab", "Repeats and rebounds")
    assert at.segmented_control(key="insight_repeat_metric").value == "rebound_rate"


def test_the_suspended_list_is_drawn_when_its_expander_opens(demo_env):
    at = run_page("pages/closed_loop.py", "en")
    assert not at.exception and not at.error
    count = next(m for m in at.metric if m.label == "Suspended overdue")
    suspended = int(str(count.value).replace(",", ""))
    assert suspended > 0, "the demo city has suspended overdue cases"
    assert [e.label for e in at.expander] == ["List of suspended overdue cases"]
    closed = len(at.dataframe)  # departments, open overdue and workers: the suspended list is not sent
    at.session_state["suspended_list"] = True  # the expander opened
    at.run()
    assert not at.exception and not at.error
    assert len(at.dataframe) == closed + 1
    listed = at.expander[0].dataframe[0].value
    assert len(listed) == min(suspended, 500)  # every suspended case, up to [closed_loop] overdue_rows_shown
    assert "Days overdue" in listed.columns and "Department" not in listed.columns


def test_the_score_weights_are_drawn_when_opened_and_a_trial_holds_when_closed(demo_env):
    at = run_page("pages/assessment.py", "en")
    assert not at.exception and not at.error
    assert len(at.slider) == 0  # the weights' expander is closed: its sliders are not sent
    first = at.dataframe[0].value
    at.session_state["assess_weights"] = True  # the expander opened
    at.run()
    assert [s.key for s in at.slider] == [f"weight_grid_{c}" for c in ENTITIES["grid"][0]]
    assert [s.value for s in at.slider] == [int(v) for v in load_config()["score"][ENTITIES["grid"][2]].values()]
    assert not [i for i in at.info if i.value.startswith("Trial weights")]
    at.slider[0].set_value(100)  # the first component's weight raised to 100
    for other in at.slider[1:]:
        other.set_value(0)  # and every other one zero: the score is that component alone
    at.run()
    only = ENTITIES["grid"][0][0]
    trial = [i.value for i in at.info if i.value.startswith("Trial weights")]
    assert trial and "100" in trial[0]
    at.session_state["assess_weights"] = False  # closed again: the sliders go, the trial stays
    at.run()
    assert not at.exception and len(at.slider) == 0
    assert [i.value for i in at.info if i.value.startswith("Trial weights")] == trial
    tried = at.dataframe[0].value
    assert not tried.equals(first)
    assert only == "on_time_closure_rate"
    graded = tried.dropna(subset=["Score", "On-time closure rate"])
    assert len(graded) > 0
    # metrics.md: each rate scores linearly 0-100 and the weights are scaled to 100, so the score is the on-time
    # closure rate in percent (both shown to one decimal)
    assert (graded["Score"] - graded["On-time closure rate"]).abs().max() <= 0.11
    at.session_state["assess_weights"] = True  # opened again: the sliders show the weights tried
    at.run()
    assert [s.value for s in at.slider] == [100] + [0] * (len(at.slider) - 1)
