"""Train, store and find the model of a database: what the ``dispatch`` command and the desk page call."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import duckdb

from analytics import store
from analytics.access.scope import Scope
from analytics.dispatch import model as dm
from analytics.dispatch.evaluate import evaluate
from analytics.dispatch.history import coverage, dispatched_history
from analytics.filters import Filters


def default_cutoff(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The first day of the last whole calendar month of the data (its test month is that month)."""
    _, end = coverage(con)
    last_day = end - dt.timedelta(days=1)
    first_of_last = last_day.replace(day=1)
    if end == (first_of_last.replace(day=28) + dt.timedelta(days=4)).replace(day=1):
        return first_of_last  # the data ends with a whole month
    previous = first_of_last - dt.timedelta(days=1)
    return previous.replace(day=1)


def database_stamp(con: duckdb.DuckDBPyConnection) -> str:
    """What identifies the database's content: its ``loaded_at`` and case count."""
    meta = store.read_meta(con)
    count = con.cursor().execute("SELECT count(*) FROM cases").fetchone()[0]
    return f"{meta.get('loaded_at', '?')}|{count}"


def train_for_database(
    con: duckdb.DuckDBPyConnection, cfg: dict, evaluate_first: bool = True, log=lambda line: None
) -> dm.DispatchModel:
    """Evaluate at the default cutoff (when asked), then train on the most recent cases of the whole history."""
    settings = cfg["dispatch"]
    limit, seed = int(settings["max_train_cases"]), int(settings["seed"])
    evaluation = None
    if evaluate_first:
        cutoff = default_cutoff(con)
        started = time.perf_counter()
        try:
            evaluation = evaluate(con, cutoff, limit, seed)
        except dm.ModelError as exc:
            log(f"dispatch: no evaluation at {cutoff}: {exc}")
        log(f"dispatch: evaluated at cutoff {cutoff} in {time.perf_counter() - started:.1f} s")
    first, end = coverage(con)
    started = time.perf_counter()
    # The model learns from the whole city whoever asks (it is stored beside the database and shows no
    # case); the similar cases a user sees stay within their scope (analytics.dispatch.suggest).
    model = dm.train(dispatched_history(con, Filters(first, end, scope=Scope.city()), limit), seed=seed)
    model.meta["train_seconds"] = round(time.perf_counter() - started, 2)
    model.meta["database"] = database_stamp(con)
    model.meta["evaluation"] = evaluation
    log(f"dispatch: trained on {model.meta['n_train']:,} cases in {model.meta['train_seconds']} s")
    return model


def load_current(db_path: str | os.PathLike, con: duckdb.DuckDBPyConnection) -> dm.DispatchModel:
    """The stored model if it was trained on this database's current content, else :class:`ModelError`."""
    model = dm.load(db_path)
    if model.meta.get("database") != database_stamp(con):
        raise dm.ModelError("the dispatch model was trained on another version of the database; retrain it")
    return model


def stored_is_current(db_path: str | os.PathLike, con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a model of this version, trained on the database's current content, is stored beside it (read
    from its small metadata file, without loading the model)."""
    model_file, meta_file = dm.model_paths(db_path)
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        model_file.exists()
        and meta.get("format_version") == dm.FORMAT_VERSION
        and meta.get("database") == database_stamp(con)
    )


def ensure_model(db_path: str | os.PathLike, con: duckdb.DuckDBPyConnection, cfg: dict) -> dm.DispatchModel:
    """The current model; trained (and stored beside the database when writable) if missing or stale and
    ``[dispatch] train_on_demand`` is on."""
    try:
        return load_current(db_path, con)
    except dm.ModelError:
        if not cfg["dispatch"]["train_on_demand"]:
            raise
    model = train_for_database(con, cfg)
    try:
        dm.save(model, db_path)
    except OSError:
        pass  # a read-only data folder: the model lives in memory for this process
    return model
