"""Heavy analyses in a shared server (ui/heavy.py): one computation per request, a few at once, kept like a
cache, the caller's access scope carried over; the profile page draws the rest of itself meanwhile."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters, enforce_scope, scope_enforced
from ui import heavy


@pytest.fixture(autouse=True)
def _fresh_jobs():
    heavy.clear()
    yield
    heavy.clear()


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


def test_callers_of_one_request_share_one_computation():
    computed, results = [], []

    def compute():
        time.sleep(0.2)
        computed.append(1)
        return "city result"

    _together(6, lambda i: results.append(heavy.submit(("test", "city"), compute, workers=2).result(10)))
    assert len(computed) == 1 and results == ["city result"] * 6
    # kept like a cache: asked again later, nothing is computed
    assert heavy.submit(("test", "city"), compute, workers=2).result(10) == "city result" and len(computed) == 1
    # kept only so long
    assert heavy.submit(("test", "city"), compute, workers=2, keep_seconds=0).result(10) == "city result"
    assert len(computed) == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_at_most_workers_computations_at_once(workers):
    running, most = [0], [0]
    lock = threading.Lock()

    def compute():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return True

    _together(5, lambda i: heavy.submit(("bounded", workers, i), compute, workers).result(10))
    assert most[0] == workers


def test_a_failed_computation_is_not_kept():
    attempts = []

    def compute():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")
        return "second try"

    with pytest.raises(RuntimeError, match="went away"):
        heavy.submit("flaky", compute, 1).result(10)
    time.sleep(0.05)  # the done-callback forgets the failed job
    assert heavy.submit("flaky", compute, 1).result(10) == "second try"


def test_the_worker_enforces_scopes_as_the_caller_does():
    def seen():
        return scope_enforced()

    enforce_scope(True)
    try:
        assert heavy.submit("scope", seen, 1).result(10) is True
    finally:
        enforce_scope(False)
    # a caller without enforcement is another request (another result), and its worker does not enforce
    assert heavy.submit("scope", seen, 1).result(10) is False


def _wait_for_file(path: str) -> int:
    """A job for a worker process (importable there): hold the worker until ``path`` exists; its process id."""
    for _ in range(600):
        if os.path.exists(path):
            break
        time.sleep(0.1)
    return os.getpid()


def test_the_repeat_rates_of_many_sessions_are_computed_once(demo_env, monkeypatch):
    """Four sessions asking the insight page's repeat rates for one period at once: one computation, in a
    worker process, equal to the same analysis run here."""
    from analytics.repeats import rates
    from ui import data, insight_data

    started = []
    real_pool = heavy._process_pool

    def counted_pool(workers):
        pool = real_pool(workers)
        started.append(workers)
        return pool

    monkeypatch.setattr(heavy, "_process_pool", counted_pool)
    f = Filters(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 1))
    key = data.db_key()
    frames = []
    _together(4, lambda i: frames.append(insight_data.repeat_rates(key, f, "street")))
    assert len(started) == 1 and len(frames) == 4
    assert all(frame.equals(frames[0]) for frame in frames) and frames[0]["reported"].sum() > 0
    here = rates.repeat_rates(data.connection().cursor(), f, "street", insight_data._rule())
    pd.testing.assert_frame_equal(frames[0], here)


def test_an_analysis_runs_in_a_worker_process_with_the_callers_scope(demo_env):
    """:func:`heavy.submit_process`: another process computes it; the caller's scope enforcement goes with it
    (a missing scope then reads nothing); an unknown analysis is refused there with a clear error."""
    f = Filters(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 1))
    pid = heavy._process_pool(1).submit(_wait_for_file, "/").result(120)
    assert pid != os.getpid()
    free = heavy.submit_process(("rates", "free"), "repeat_rates", (f, "street"), 1).result(120)
    assert free["reported"].sum() > 0
    enforce_scope(True)
    try:
        scoped = heavy.submit_process(("rates", "free"), "repeat_rates", (f, "street"), 1).result(120)
    finally:
        enforce_scope(False)
    assert scoped["reported"].sum() == 0  # another request (the key holds the enforcement): nothing granted
    with pytest.raises(ValueError, match="unknown analysis 'nope'"):
        heavy.submit_process("nope", "nope", (), 1).result(120)


def test_workers_do_not_run_the_servers_main_script(tmp_path, monkeypatch):
    """Streamlit makes the running script (app.py) the ``__main__`` module; a spawned worker must not run it again
    (in the live server each worker ran the whole app and died)."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "app_like.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__, main.__spec__ = str(script), None
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(heavy, "_PROCESS_POOLS", {})
    try:
        assert heavy._process_pool(2).submit(_wait_for_file, "/").result(120) != os.getpid()
        assert not marker.exists()
        assert sys.modules["__main__"] is main  # put back
    finally:
        for pool in heavy._PROCESS_POOLS.values():
            pool.shutdown()


def test_a_worker_ends_when_its_server_is_killed():
    """A worker process does not outlive a server killed with SIGKILL (it would keep its memory for ever)."""
    import subprocess
    import sys

    script = (
        "from ui import heavy; from tests.test_heavy import _wait_for_file; "
        "print(heavy._process_pool(1).submit(_wait_for_file, '/').result(120), flush=True); "
        "import time; time.sleep(120)"
    )
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # alive while its server is
    finally:
        server.kill()
        server.wait()
    for _ in range(100):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"worker {worker} still runs 10 s after its server was killed")


def test_the_dispatch_model_is_trained_and_stored_by_a_worker_process(demo_db, tmp_path, monkeypatch):
    """The desk's model is trained in a worker process and stored beside the database, where this process then
    finds it current; with training on demand off and none stored, the worker says why there is none."""
    import copy
    import shutil

    from analytics.config import DEFAULTS
    from analytics.dispatch import service
    from analytics.sync.live import open_live

    db = tmp_path / "city.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    off = copy.deepcopy(DEFAULTS)
    off["dispatch"]["train_on_demand"] = False
    reason = heavy.submit_process(("dm", "off"), "dispatch_model", (str(db), off), 1).result(300)
    assert isinstance(reason, str) and reason
    assert heavy.submit_process(("dm", "on"), "dispatch_model", (str(db), DEFAULTS), 1).result(300) is None
    con = open_live(db)
    try:
        assert service.stored_is_current(db, con)
        assert service.load_current(db, con).meta["n_train"] > 0
    finally:
        con.close()


def test_the_profile_draws_while_the_repeat_analysis_runs(demo_env, tmp_path):
    """The profile page does not wait for the city-wide repeat analysis: placeholder tiles, then the values.
    The one worker process is held by another job first, so the analysis is still queued when the page draws."""
    from tests.test_pages import APP, TIMEOUT

    gate = tmp_path / "open"
    holding = heavy._process_pool(1).submit(_wait_for_file, str(gate))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/profile.py")
    at.run()
    assert not at.exception and not at.error
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Repeat rate"] == "computing…" and tiles["Rebound rate"] == "computing…"
    assert tiles["Reported"] not in ("", "computing…")  # the rest of the page is there
    assert any("background" in c.value for c in at.caption)
    gate.touch()
    holding.result(60)
    for future in heavy.running():
        future.result(120)
    at.run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Repeat rate"].endswith("%") and tiles["Rebound rate"].endswith("%")


def test_a_session_waits_only_until_wait_seconds_after_the_analysis_was_first_asked_for():
    """The first session asking waits up to ``wait_seconds``; one arriving later, while the same analysis still
    runs, waits only for what is left of that time (nothing once it has passed), then draws its placeholder."""
    release = threading.Event()
    try:
        before = time.monotonic()
        first = heavy.submit(("slow", "city"), lambda: release.wait(30), 1)
        assert heavy.ready([first], wait_seconds=0.4) is False
        assert time.monotonic() - before >= 0.4  # the first asker waited its whole wait
        later = heavy.submit(("slow", "city"), lambda: release.wait(30), 1)
        assert later is first
        started = time.monotonic()
        assert heavy.ready([later], wait_seconds=0.4) is False
        assert time.monotonic() - started < 0.2  # its wait had passed: no second wait
    finally:
        release.set()
    first.result(10)
    assert heavy.ready([later], wait_seconds=0.4) is True  # done: ready at once


def test_a_quick_analysis_is_still_waited_for():
    """An analysis finishing within ``wait_seconds`` of being asked for is shown at once, with no placeholder."""
    job = heavy.submit(("quick", "city"), lambda: time.sleep(0.2) or "value", 1)
    assert heavy.ready([job], wait_seconds=5) is True and job.result() == "value"


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are set on Linux only")
def test_the_workers_run_below_the_pages_cpu_priority():
    """A heavy analysis runs at a lower CPU priority (a higher nice value) than the thread that asked for it,
    so the pages drawn meanwhile go first; the asking thread's own priority is unchanged."""
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def worker_nice():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert heavy.submit(("nice", 1), worker_nice, 3).result(10) == min(19, mine + heavy.NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


def test_wait_for_waits_only_for_a_period_of_at_most_wait_max_cases():
    limits = {"limits": {"wait_seconds": 5.0, "wait_max_cases": 200_000}}
    assert heavy.wait_for(200_000, limits) == 5.0  # at the limit: the full wait
    assert heavy.wait_for(200_001, limits) == 0.0  # above it: the placeholder at once
    assert heavy.wait_for(None, limits) == 5.0  # not known: the full wait
    assert heavy.wait_for(0, limits) == 5.0


def test_the_profile_of_a_big_period_does_not_wait_for_the_analysis(demo_env, monkeypatch, tmp_path):
    """With more cases in the period than ``[limits] wait_max_cases`` the profile draws its placeholder at once,
    however long ``wait_seconds`` is (here 60 s, while the analysis is held for as long)."""
    from analytics.config import CONFIG_PATH
    from analytics.repeats import rates
    from tests.test_pages import APP, TIMEOUT

    text = CONFIG_PATH.read_text(encoding="utf-8")
    assert "wait_seconds = 5 " in text and "wait_max_cases = 200000 " in text
    config = tmp_path / "gridscope.toml"
    config.write_text(
        text.replace("wait_seconds = 5 ", "wait_seconds = 60 ").replace(
            "wait_max_cases = 200000 ", "wait_max_cases = 1 "
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))
    release = threading.Event()
    real = rates.repeat_rates

    def slow(*args, **kwargs):
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(rates, "repeat_rates", slow)
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params["lang"] = "en"
        at.run()
        at.switch_page("pages/profile.py")
        began = time.monotonic()
        at.run()
        drawn = time.monotonic() - began
        assert not at.exception and not at.error
        tiles = {m.label: m.value for m in at.metric}
        assert tiles["Repeat rate"] == "computing…" and tiles["Reported"] not in ("", "computing…")
        assert drawn < 45  # a wait of 60 s would have been seen (the page alone: a few seconds)
    finally:
        release.set()
        for future in heavy.running():
            future.result(60)


def test_the_profile_starts_the_analysis_early_only_when_it_will_wait_for_it(demo_env, monkeypatch, tmp_path):
    """A small period's analysis starts beside the page's queries (its wait counts from then); a big period's is
    not started early (it starts when its tiles are drawn, last)."""
    from analytics.config import CONFIG_PATH
    from analytics.repeats import rates
    from ui import data, profile_parts

    release = threading.Event()
    monkeypatch.setattr(rates, "repeat_rates", lambda *a, **k: release.wait(60))
    f = Filters(start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 1))
    key = data.db_key()
    try:
        profile_parts.start_repeats(key, f, "street")  # the demo city's month: far below 200,000 cases
        assert len(heavy.running()) == 1
        release.set()
        for future in heavy.running():
            future.result(60)
        heavy.clear()
        config = tmp_path / "gridscope.toml"
        text = CONFIG_PATH.read_text(encoding="utf-8")
        config.write_text(text.replace("wait_max_cases = 200000 ", "wait_max_cases = 1 "), encoding="utf-8")
        monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))
        profile_parts.start_repeats(key, f, "street")
        assert heavy.jobs() == 0  # nothing started early
    finally:
        release.set()


def test_a_worker_whose_server_went_before_it_started_ends_at_once():
    """The server's process id is given to the worker, so one that starts after its server was already gone (it
    printed its answer and left) ends too, instead of waiting for work for ever."""
    import subprocess
    import sys

    gone = "from analytics.jobs import start_worker; start_worker(-1, 0.05); import time; time.sleep(60)"
    worker = subprocess.Popen([sys.executable, "-c", gone], cwd=Path(__file__).resolve().parent.parent)
    assert worker.wait(timeout=30) == 0
