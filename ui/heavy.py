"""Heavy analyses in a server shared by many users: computed once per request, a few at once, never blocking
a page that can show the rest of itself first.

The city-wide repeat and rebound analysis takes minutes and gigabytes at 20 M cases (it pairs every
case of the period with its neighbours and compares their texts). ``st.cache_data`` keeps a result but
does not stop ten sessions that open a page at the same moment from all missing the cache and computing
the same thing ten times — enough to exhaust the server's memory for everyone — and a page that waits
for it shows nothing else meanwhile.

:func:`submit` runs ``compute`` in a small pool of ``[limits] heavy_analyses`` worker threads and returns
its :class:`~concurrent.futures.Future`; callers with an equal key share one future (one computation),
which is kept for :data:`KEEP_SECONDS` after it finished (a cache, like the loaders' ``st.cache_data``;
the key holds the data's identity, so new data computes anew). A loader that needs the value waits on
``.result()``; a page panel can check ``.done()`` and show the rest of the page first
(:func:`ui.profile_parts.repeats_panel`). A failed computation is not kept: the next request tries again.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any

import streamlit as st

from analytics.filters import enforce_scope, scope_enforced

KEEP_SECONDS = 600  # as long as the loaders' cache (ui.data.TTL)
NICE = 10  # the workers' CPU priority below the pages' (Linux: per thread), so a page drawn meanwhile goes first
POLL_SECONDS = 2.0  # how often a panel waiting for a background analysis checks it

_LOCK = threading.Lock()
_JOBS: dict[str, tuple[Future, float]] = {}  # repr(key) -> (future, when it finished or +inf while running)
_ASKED: dict[int, float] = {}  # id(future) -> when it was first asked for (time.monotonic), while kept
_POOLS: dict[int, ThreadPoolExecutor] = {}
_PROCESS_POOLS: dict[int, ProcessPoolExecutor] = {}
_MAIN_SWAP = threading.Lock()
_NICED = threading.local()


def _pool(workers: int) -> ThreadPoolExecutor:
    workers = max(1, int(workers))
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gridscope-heavy")
    return _POOLS[workers]


def submit(key: object, compute: Callable[[], Any], workers: int, keep_seconds: float = KEEP_SECONDS) -> Future:
    """The future of ``compute()`` for ``key`` (compared by ``repr``): the running or kept one, else a new one
    queued in the pool of ``workers`` threads. The worker enforces access scopes as the calling thread does
    (a missing scope then reads nothing, :func:`analytics.filters.enforce_scope`), and the key includes it.
    For an analysis that is minutes of Python, :func:`submit_process` (a thread would hold the server's
    interpreter lock meanwhile)."""
    enforced = scope_enforced()
    return _shared(repr((key, enforced)), lambda: _pool(workers).submit(_scoped, compute, enforced), keep_seconds)


def submit_process(key: object, name: str, args: tuple, workers: int, keep_seconds: float = KEEP_SECONDS) -> Future:
    """As :func:`submit`, but computed by :func:`analytics.jobs.run` (``name`` one of its ``JOBS``, called with
    the connection and ``args``) in a pool of ``workers`` worker **processes** that open the database
    themselves: a minutes-long analysis then never holds the web server's interpreter lock, so every other
    session's script, drawing and messages go on meanwhile (docs/performance.md, ninth pass)."""
    from analytics import jobs, store

    enforced = scope_enforced()
    db = str(store.db_path())

    def start() -> Future:
        return _process_pool(workers).submit(jobs.run, db, name, args, enforced)

    return _shared(repr((key, enforced)), start, keep_seconds)


def _shared(name: str, start: Callable[[], Future], keep_seconds: float) -> Future:
    """The running or kept future called ``name``, else ``start()``'s, kept once it succeeded."""
    now = time.monotonic()
    with _LOCK:
        for old in [k for k, (f, done_at) in _JOBS.items() if now - done_at > keep_seconds]:
            _ASKED.pop(id(_JOBS.pop(old)[0]), None)
        kept = _JOBS.get(name)
        if kept is not None:
            return kept[0]
        future = start()
        _JOBS[name] = (future, float("inf"))
        _ASKED[id(future)] = now

    def finished(done: Future) -> None:
        with _LOCK:
            if _JOBS.get(name, (None,))[0] is done:
                if done.cancelled() or done.exception() is not None:
                    del _JOBS[name]  # not kept: the next request tries again
                    _ASKED.pop(id(done), None)
                else:
                    _JOBS[name] = (done, time.monotonic())

    future.add_done_callback(finished)
    return future


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of ``workers`` worker processes (started fresh, not forked from this threaded server); a pool
    broken by a worker that died (killed for memory, say) is replaced, so the next request tries again."""
    workers = max(1, int(workers))
    pool = _PROCESS_POOLS.get(workers)
    if pool is None or getattr(pool, "_broken", False):
        from analytics.jobs import start_worker

        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )
        _start_workers(pool, workers)
        _PROCESS_POOLS[workers] = pool
    return pool


def _start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start all of ``pool``'s processes now, while ``__main__`` is a blank module. Streamlit makes the running
    script (``app.py``) the ``__main__`` module, and a spawned process re-runs its parent's ``__main__`` to
    recreate it: each worker would have run the whole app. A pool starts a process only while it has fewer than
    ``workers`` and none idle, so once all are started no later job starts one (a dead worker breaks the pool,
    and :func:`_process_pool` makes a new one, here again)."""
    blank = types.ModuleType("__main__")
    with _MAIN_SWAP:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = blank
        try:
            for _ in range(workers):
                pool.submit(int)  # a no-op: each call starts one more process
        finally:
            sys.modules["__main__"] = main


def _lower_priority() -> None:
    """This worker thread's CPU priority lowered by :data:`NICE` once (Linux sets a thread's nice value alone;
    elsewhere, or when not allowed, nothing changes). Only this pool's threads are lowered."""
    if getattr(_NICED, "done", False) or not hasattr(os, "setpriority"):
        return
    _NICED.done = True
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + NICE))
    except OSError:
        pass


def _scoped(compute: Callable[[], Any], enforced: bool) -> Any:
    _lower_priority()
    enforce_scope(enforced)
    try:
        return compute()
    finally:
        enforce_scope(False)


def clear() -> None:
    """Forget every finished result (the presentation mode's timed refresh clears the caches)."""
    with _LOCK:
        for name in [k for k, (f, _) in _JOBS.items() if f.done()]:
            _ASKED.pop(id(_JOBS.pop(name)[0]), None)


def jobs() -> int:
    """How many results are running or kept."""
    with _LOCK:
        return len(_JOBS)


def running() -> list[Future]:
    """The computations not finished yet."""
    with _LOCK:
        return [future for future, _ in _JOBS.values() if not future.done()]


def ready(jobs: list[Future], wait_seconds: float | None = None) -> bool:
    """Whether ``jobs`` are all done, after waiting for them until ``wait_seconds`` (default ``[limits]
    wait_seconds``) after each was **first asked for**: a page of a city of a few million cases gets its values
    at once, only a bigger one draws a placeholder meanwhile. A session that finds an analysis another session
    started earlier waits only for what is left of that time, not ``wait_seconds`` again: at 20 M cases the
    analysis runs for minutes, and every new session waiting five seconds more for it drew nothing sooner."""
    if wait_seconds is None:
        from ui import data

        wait_seconds = data.config()["limits"]["wait_seconds"]
    now = time.monotonic()
    with _LOCK:
        asked = [_ASKED.get(id(job), now) for job in jobs if not job.done()]
    if not asked:
        return True
    timeout = max(0.0, max(asked) + float(wait_seconds) - now)
    return not wait(jobs, timeout=timeout).not_done


def wait_for(cases: int | None, cfg: dict | None = None) -> float:
    """The seconds a page waits for an analysis of ``cases`` cases (the period's): ``[limits] wait_seconds``,
    or none above ``[limits] wait_max_cases`` — there the analysis runs for minutes (20 M cases: a month holds
    about 830,000 and takes 83 CPU s), so waiting would only delay the placeholder. ``None`` (not known):
    the full wait.

    Examples
    --------
    >>> limits = {"limits": {"wait_seconds": 5.0, "wait_max_cases": 200_000}}
    >>> wait_for(41_000, limits), wait_for(830_000, limits), wait_for(None, limits)
    (5.0, 0.0, 5.0)
    """
    if cfg is None:
        from ui import data

        cfg = data.config()
    limits = cfg["limits"]
    if cases is not None and int(cases) > int(limits["wait_max_cases"]):
        return 0.0
    return float(limits["wait_seconds"])


@st.fragment(run_every=POLL_SECONDS)
def waiting(jobs: list[Future], placeholder: Callable[[], None], done: Callable[[], None] | None = None) -> None:
    """Draw ``placeholder`` and check ``jobs`` every :data:`POLL_SECONDS`. Once all are done: ``done`` draws the
    results in place (only this fragment reruns), or without it the whole page is drawn again (it then shows
    the results, and nothing polls any more)."""
    if all(job.done() for job in jobs):
        if done is None:
            st.rerun()
        done()
        return
    placeholder()
