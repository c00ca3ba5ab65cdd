"""The ``case_terms`` table: each case's distinct terms, computed once at import, demo build or sync.

Pages and commands read this table; they never cut text themselves.
Terms come from the masked description, so the table holds no personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from analytics.text.tokens import Tokenizer, dictionary_words

TABLE = "case_terms"
DDL = f"CREATE TABLE IF NOT EXISTS {TABLE} (case_id TEXT, reported_at TIMESTAMP, term TEXT)"
BATCH_CASES = 250_000


def terms_frame(case_ids: Sequence, reported_at: Sequence, texts: Sequence, tokenizer: Tokenizer) -> pd.DataFrame:
    """One row per (case, distinct term), in case order; each distinct text is cut once.

    Examples
    --------
    >>> tk = Tokenizer()  # doctest: +SKIP
    >>> terms_frame(["C1"], [pd.Timestamp("2025-01-01")], ["路灯不亮，路灯损坏"], tk)  # doctest: +SKIP
      case_id reported_at term
    0      C1  2025-01-01   路灯
    1      C1  2025-01-01   不亮
    2      C1  2025-01-01   损坏
    """
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    per_text = [list(dict.fromkeys(tokenizer.terms(text))) for text in uniques]
    lengths = np.array([len(t) for t in per_text] + [0], dtype=np.int64)  # the last entry: no text
    flat = np.array([term for terms in per_text for term in terms], dtype=object)
    starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    codes = np.where(codes < 0, len(per_text), codes)
    counts = lengths[codes]
    rows = np.repeat(np.arange(codes.size), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.repeat(starts[codes], counts) + within
    return pd.DataFrame(
        {
            "case_id": np.asarray(case_ids, dtype=object)[rows],
            "reported_at": pd.to_datetime(np.asarray(reported_at)[rows]),
            "term": flat[positions] if flat.size else np.array([], dtype=object),
        }
    )


def write_terms(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Append rows of :func:`terms_frame` to ``case_terms`` (created when missing)."""
    con.execute(DDL)
    con.register("terms_frame", frame)
    con.execute(f"INSERT INTO {TABLE} SELECT case_id, reported_at, term FROM terms_frame")
    con.unregister("terms_frame")


def index_cases(
    con: duckdb.DuckDBPyConnection, case_ids: Sequence[str] | None = None, tokenizer: Tokenizer | None = None
) -> int:
    """(Re)tokenise cases into ``case_terms``: all of them (``case_ids=None``) or the given ids.

    For the sync: call it with the ids of new or changed cases; their old rows are
    replaced. Returns the number of term rows written.
    """
    tokenizer = tokenizer or Tokenizer(dictionary_words(con))
    con.execute(DDL)
    if case_ids is None:
        con.execute(f"DELETE FROM {TABLE}")
        selection = "TRUE"
    else:
        ids = pd.DataFrame({"case_id": pd.Series(list(case_ids), dtype=object).astype(str)})
        con.register("index_ids", ids)
        con.execute(f"DELETE FROM {TABLE} WHERE case_id IN (SELECT case_id FROM index_ids)")
        selection = "case_id IN (SELECT case_id FROM index_ids)"
    sql = f"SELECT case_id, reported_at, description FROM cases WHERE {selection} ORDER BY reported_at, case_id"
    table = con.execute(sql).to_arrow_table()  # read fully first: the same connection then writes
    if case_ids is not None:
        con.unregister("index_ids")
    written = 0
    for record_batch in table.to_batches(BATCH_CASES):
        batch = record_batch.to_pandas()
        frame = terms_frame(batch["case_id"], batch["reported_at"], batch["description"], tokenizer)
        write_terms(con, frame)
        written += len(frame)
    return written
