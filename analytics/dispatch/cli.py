"""``python -m analytics dispatch train|evaluate|suggest``: arguments and actions (registered in analytics.cli)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from typing import Any

import numpy as np
import pandas as pd

from analytics import store
from analytics.config import load_config
from analytics.filters import Filters

MIN_TRAIN_CASES = 20  # analytics.dispatch.model.MIN_TRAIN_CASES, without importing scikit-learn for --help


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_dispatch_args(parser: argparse.ArgumentParser) -> None:
    """The ``dispatch`` sub-commands on an ``argparse`` parser that already has ``--db`` and ``--format``."""
    parser.add_argument("action", choices=("train", "evaluate", "suggest"))
    parser.add_argument("--cutoff", type=_date, help="evaluate: train before this day, test on the month after")
    parser.add_argument("--text", help="suggest: the complaint text")
    parser.add_argument("--grid", help="suggest: the grid id of the place")
    parser.add_argument("--source", help="suggest: the channel (hotline, app, patrol …)")
    parser.add_argument("--max-train-cases", type=int, help="override [dispatch] max_train_cases")


def _config(args: argparse.Namespace) -> dict:
    cfg = load_config()
    if args.max_train_cases is not None:
        if args.max_train_cases < MIN_TRAIN_CASES:
            raise ValueError(f"--max-train-cases must be at least {MIN_TRAIN_CASES}")
        cfg = {**cfg, "dispatch": {**cfg["dispatch"], "max_train_cases": args.max_train_cases}}
    return cfg


def plain(value: Any) -> Any:
    """A JSON-ready copy: timestamps as ISO text, NaN/NaT as None, numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run(args: argparse.Namespace) -> dict:
    """Run one action; a :class:`ValueError` (incl. :class:`~analytics.dispatch.model.ModelError`) is a message."""
    return plain(_run(args))


def _run(args: argparse.Namespace) -> dict:
    from analytics.dispatch import model as dm
    from analytics.dispatch import service
    from analytics.dispatch.evaluate import evaluate
    from analytics.dispatch.history import coverage
    from analytics.dispatch.suggest import similar_cases, suggest

    cfg, path = _config(args), store.db_path(args.db)
    con = store.connect_read_only(path)
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    if args.action == "train":
        model = service.train_for_database(con, cfg, log=log)
        log(f"dispatch: model written to {dm.save(model, path)}")
        return model.meta
    if args.action == "evaluate":
        cutoff = args.cutoff or service.default_cutoff(con)
        settings = cfg["dispatch"]
        return evaluate(con, cutoff, int(settings["max_train_cases"]), int(settings["seed"]))
    if not args.text:
        raise ValueError("suggest needs --text")
    model = service.load_current(path, con)
    result = suggest(con, model, args.text, cfg, grid_id=args.grid, source=args.source)
    first, end = coverage(con)
    scope = Filters(first, end, "grid", args.grid) if args.grid else Filters(first, end)
    similar = similar_cases(con, model, scope, result["text"], result["category"]["category_code"], cfg)
    result["similar_cases"] = similar.to_dict("records")
    return result
