"""Heavy analyses in a server shared by many users: one computation per request, a few at once.

The city-wide repeat and rebound analysis takes minutes and gigabytes at 20 M cases (it pairs every
case of the period with its neighbours and compares their texts). ``st.cache_data`` keeps a result,
but it does not stop ten sessions that open the page at the same moment from all missing the cache
and computing the same thing ten times — enough to exhaust the memory of the server for everyone.

Wrap the cached loader: :func:`one_request` makes callers with the same key wait for the first (who
computes and fills the cache; the others then read it), and inside the cached function :func:`slot`
lets at most ``[limits] heavy_analyses`` different heavy computations run at once in the process
(the rest wait their turn). A cache hit never waits for a slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _KeyLock:
    """A lock with the number of callers holding or waiting for it (so unused ones are dropped)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


_KEYS: dict[str, _KeyLock] = {}
_KEYS_LOCK = threading.Lock()
_SLOTS: dict[int, threading.BoundedSemaphore] = {}


@contextmanager
def one_request(key: object) -> Iterator[None]:
    """Callers with an equal ``key`` (compared by ``repr``) run one after another, never together."""
    name = repr(key)
    with _KEYS_LOCK:
        entry = _KEYS.setdefault(name, _KeyLock())
        entry.users += 1
    try:
        with entry.lock:
            yield
    finally:
        with _KEYS_LOCK:
            entry.users -= 1
            if not entry.users:
                _KEYS.pop(name, None)


@contextmanager
def slot(limit: int) -> Iterator[None]:
    """At most ``limit`` (at least 1) callers at once in this process, whatever their key."""
    limit = max(1, int(limit))
    with _KEYS_LOCK:
        semaphore = _SLOTS.setdefault(limit, threading.BoundedSemaphore(limit))
    with semaphore:
        yield


def waiting_keys() -> int:
    """How many keys have a caller computing or waiting (0 when the server is idle)."""
    with _KEYS_LOCK:
        return len(_KEYS)
