"""The ``case_terms`` table: each case's distinct terms, computed once at import, demo build or sync.

Pages and commands read this table; they never cut text themselves.
Terms come from the masked description, so the table holds no personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.text.tokens import CLAUSE_SPLIT_RE2, Tokenizer, dictionary_words

TABLE = "case_terms"
DDL = f"CREATE TABLE IF NOT EXISTS {TABLE} (case_id TEXT, reported_at TIMESTAMP, term TEXT)"
BATCH_CASES = 250_000


def _finished(con):
    """``con`` with any result of an earlier ``execute()`` run to its end (``con.sql`` refuses otherwise)."""
    con.complete()
    return con


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


TERMS_SCHEMA = pa.schema([("text", pa.string()), ("pos", pa.int32()), ("term", pa.string())])
SQL_MIN_TEXTS = 5_000  # from this many texts on, texts are split into clauses in DuckDB (below: in Python)

# Each text split into its clauses (numbered), each non-empty clause's terms joined in, the first occurrence of a
# term in a text kept (its clause, then its place in the clause), numbered from 0: what text_terms_python gives.
PIECES_SQL = """
    CREATE TEMP TABLE pieces AS SELECT * FROM (
        SELECT i, unnest(parts) AS clause, generate_subscripts(parts, 1) AS c
        FROM (SELECT i, regexp_split_to_array(text, $pattern) AS parts FROM cut_texts_input)
    ) WHERE clause <> ''"""
TERMS_SQL = """
    WITH firsts AS (
        SELECT p.i, t.term, min(p.c::BIGINT * 4294967296 + t.k) AS first
        FROM pieces p JOIN cut_clause_terms t ON t.clause = p.clause
        GROUP BY p.i, t.term
    ),
    ranked AS (
        SELECT i, term, (row_number() OVER (PARTITION BY i ORDER BY first) - 1)::INTEGER AS pos FROM firsts
    )
    SELECT x.text, r.pos, r.term FROM ranked r JOIN cut_texts_input x ON x.i = r.i ORDER BY r.i, r.pos"""


def text_terms(texts: Sequence[str], tokenizer: Tokenizer) -> pa.Table:
    """``(text, pos, term)`` for each distinct term of each text, in the order :func:`terms_frame` keeps.

    Many texts are split into clauses in DuckDB (a private in-memory database) and only each distinct
    clause is cut in Python (:meth:`Tokenizer.clause_terms`); few take the plain loop. Both give the same
    table (``tests/test_text_terms_sql.py``)."""
    if len(texts) < SQL_MIN_TEXTS:
        return text_terms_python(texts, tokenizer)
    return text_terms_sql(texts, tokenizer)


def text_terms_python(texts: Sequence[str], tokenizer: Tokenizer) -> pa.Table:
    """:func:`text_terms`, one text at a time in Python."""
    rows_text, rows_pos, rows_term = [], [], []
    for text in texts:
        for pos, term in enumerate(dict.fromkeys(tokenizer.terms(text))):
            rows_text.append(text)
            rows_pos.append(pos)
            rows_term.append(term)
    return pa.table(
        {"text": pa.array(rows_text, pa.string()), "pos": pa.array(rows_pos, pa.int32()), "term": rows_term},
        schema=TERMS_SCHEMA,
    )


def text_terms_sql(texts: Sequence[str], tokenizer: Tokenizer) -> pa.Table:
    """:func:`text_terms`, the clauses split and the terms put together in DuckDB; each distinct clause cut once."""
    con = duckdb.connect()
    try:
        con.register("cut_texts_input", pa.table({"i": np.arange(len(texts)), "text": pa.array(texts, pa.string())}))
        con.execute(PIECES_SQL, {"pattern": CLAUSE_SPLIT_RE2})
        clauses = con.execute("SELECT DISTINCT clause FROM pieces").fetchnumpy()["clause"]
        rows_clause, rows_k, rows_term = [], [], []
        for clause in clauses:
            for k, term in enumerate(tokenizer.clause_terms(clause)):
                rows_clause.append(clause)
                rows_k.append(k)
                rows_term.append(term)
        con.register(
            "cut_clause_terms",
            pa.table(
                {
                    "clause": pa.array(rows_clause, pa.string()),
                    "k": pa.array(rows_k, pa.int64()),
                    "term": pa.array(rows_term, pa.string()),
                }
            ),
        )
        return con.sql(TERMS_SQL).to_arrow_table().cast(TERMS_SCHEMA)
    finally:
        con.close()


def index_cases(
    con: duckdb.DuckDBPyConnection,
    case_ids: Sequence[str] | None = None,
    tokenizer: Tokenizer | None = None,
    terms: pa.Table | None = None,
) -> int:
    """(Re)tokenise cases into ``case_terms``: all of them (``case_ids=None``) or the given ids.

    Each distinct description is cut once (in Python); the rows are joined back to the cases in
    SQL, in the order of the cases (``reported_at``, ``case_id``) and of the terms in each text.
    For the sync: call it with the ids of new or changed cases; their old rows are replaced.
    ``terms``: the :func:`text_terms` of every distinct description of those cases, cut already by
    the caller with this database's dictionary (the import cuts them while it writes the cases).
    Returns the number of term rows written.
    """
    con.execute(DDL)
    if case_ids is None:
        con.execute(f"DELETE FROM {TABLE}")
        selection = "TRUE"
    else:
        ids = pd.DataFrame({"case_id": pd.Series(list(case_ids), dtype=object).astype(str)})
        con.register("index_ids", ids)
        con.execute(f"DELETE FROM {TABLE} WHERE case_id IN (SELECT case_id FROM index_ids)")
        selection = "case_id IN (SELECT case_id FROM index_ids)"
    if terms is None:
        texts = (
            _finished(con)
            .sql(f"SELECT DISTINCT description FROM cases WHERE {selection} AND description IS NOT NULL")
            .fetchnumpy()["description"]
        )
        terms = text_terms(texts, tokenizer or Tokenizer(dictionary_words(con)))
    con.register("index_text_terms", terms)
    before = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    con.execute(
        f"INSERT INTO {TABLE} SELECT c.case_id, c.reported_at, t.term FROM "
        f"(SELECT case_id, reported_at, description FROM cases WHERE {selection}) c "
        "JOIN index_text_terms t ON t.text = c.description ORDER BY c.reported_at, c.case_id, t.pos"
    )
    con.unregister("index_text_terms")
    if case_ids is not None:
        con.unregister("index_ids")
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] - before


# The words dictionary_words(con) reads once the import has written ``categories`` (the category names of
# the cases that have a code or a name) and ``grids``, read from the staged ``accepted`` cases and ``grids``.
STAGED_WORDS_SQL = """
    SELECT category_name FROM accepted WHERE category_code IS NOT NULL OR category_name IS NOT NULL
    UNION SELECT grid_name FROM grids
    UNION SELECT community_name FROM grids
    UNION SELECT street_name FROM grids
    UNION SELECT district_name FROM grids"""


def staged_texts(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, list[str]]:
    """(distinct descriptions, dictionary words) of the import's staged ``accepted`` cases, once ``grids``
    is written: what :func:`index_cases` would read after the cases, so they can be cut meanwhile."""
    texts = (
        _finished(con)
        .sql("SELECT DISTINCT description FROM accepted WHERE description IS NOT NULL")
        .fetchnumpy()["description"]
    )
    return texts, [r[0] for r in con.execute(STAGED_WORDS_SQL).fetchall() if r[0]]


def cut_texts(texts: Sequence[str], words: list[str]) -> pa.Table:
    """:func:`text_terms` of ``texts`` with a tokenizer of ``words`` (safe in a worker thread: it touches
    no connection)."""
    return text_terms(texts, Tokenizer(words))
