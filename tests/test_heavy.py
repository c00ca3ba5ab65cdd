"""Heavy analyses in a shared server: one computation per request, a bounded number at once (ui/heavy.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from analytics.filters import Filters
from ui import heavy


def _together(n: int, work) -> None:
    """Run ``work(i)`` in ``n`` threads released at the same moment; wait for all."""
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def _cached_computation(guard):
    """A cache that, like st.cache_data, lets every caller that misses compute; returns (get, computed)."""
    cache: dict = {}
    computed: list = []

    def get(key):
        with guard(key):
            if key not in cache:
                time.sleep(0.2)
                computed.append(key)
                cache[key] = key * 2
            return cache[key]

    return get, computed


def test_callers_of_one_request_compute_it_once():
    get, computed = _cached_computation(heavy.one_request)
    results = []
    _together(6, lambda i: results.append(get("city")))
    assert computed == ["city"] and results == ["citycity"] * 6
    assert heavy.waiting_keys() == 0  # nothing is kept once everyone is served


def test_without_the_guard_every_caller_computes():
    """The check above can fail: the same cache without one_request computes once per caller."""
    from contextlib import nullcontext

    get, computed = _cached_computation(lambda key: nullcontext())
    _together(6, lambda i: get("city"))
    assert len(computed) == 6


@pytest.mark.parametrize("limit", [1, 2])
def test_at_most_limit_heavy_computations_at_once(limit):
    running, most = [0], [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        with heavy.slot(limit):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.1)
            with lock:
                running[0] -= 1

    _together(5, work)
    assert most[0] == limit


def test_the_repeat_rates_of_many_sessions_are_computed_once(demo_env, monkeypatch):
    """Four sessions asking the insight page's repeat rates for one period at once: one computation."""
    from analytics.repeats import rates
    from ui import data, insight_data

    real, calls = rates.repeat_rates, []

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(rates, "repeat_rates", counted)
    insight_data._repeat_rates.clear()
    f = Filters(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 1))
    key = data.db_key()
    frames = []
    _together(4, lambda i: frames.append(insight_data.repeat_rates(key, f, "street")))
    assert len(calls) == 1 and len(frames) == 4
    assert all(frame.equals(frames[0]) for frame in frames) and frames[0]["reported"].sum() > 0
