"""The SQL of one generation: which incoming rows changed, and the new generation's tables.

The previous generation's layers are attached as ``delta`` (:mod:`analytics.sync.layers`), the base as ``base``; the run's rows are in the
temporary tables ``incoming``, ``new_rejects`` and ``upstream_ids``. A layer's cases are written in the
order they arrived, not sorted (sorting a million changed rows cost ~2 CPU s, and a page read of the layer
measured no slower); compaction (:mod:`analytics.sync.compact`) writes the physical order of
:mod:`analytics.layout`, so the merged delta's row groups prune like the base's.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from analytics.casedays.live import write_layer_correction
from analytics.sync.live import cases_view_sql

# Columns not compared to decide whether an incoming row changes the case (updated_at alone does not).
NOT_COMPARED = ("_seq", "updated_at")


def _live_cases(con: duckdb.DuckDBPyConnection, has_previous: bool) -> None:
    touched = con.execute("SELECT count(*) FROM delta.touched").fetchone()[0] if has_previous else 0
    view = cases_view_sql(has_previous, touched).replace("CREATE VIEW cases", "CREATE TEMP VIEW live_cases", 1)
    con.execute(view)


def find_changes(con: duckdb.DuckDBPyConnection, has_previous: bool, reconcile: bool, max_share: float):
    """Fill the temporary views ``changed`` (incoming rows that differ from the live case, latest per
    id; ``_same_text`` where the case's text and report time are those it has, so its terms stay) and
    ``changed_cases`` (the same rows, what the layer gets: :func:`changed_cases_sql`) and the table
    ``new_removed`` (live cases no longer upstream); return their sizes."""
    from analytics.sync.errors import SyncError

    _live_cases(con, has_previous)
    if not reconcile and not con.execute("SELECT count(*) FROM incoming").fetchone()[0]:
        no_changes(con)
        con.execute("CREATE TEMP TABLE new_removed (case_id TEXT)")
        return 0, 0  # nothing new: no join with the live cases
    columns = [row[0] for row in con.execute("DESCRIBE incoming").fetchall() if row[0] not in NOT_COMPARED]
    values = [c for c in columns if c != "case_id"]
    total, distinct = con.execute("SELECT count(*), count(DISTINCT case_id) FROM incoming").fetchall()[0]
    if total == distinct:  # one row per case (the usual run): no window needed
        con.execute("CREATE TEMP VIEW latest AS SELECT * FROM incoming")
    else:
        con.execute(
            "CREATE TEMP TABLE latest AS SELECT * FROM incoming "
            "QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY updated_at DESC NULLS LAST, _seq DESC) = 1"
        )
    for statement in changed_sql(values):
        con.execute(statement)
    changed, changed_seqs = con.execute("SELECT count(*), count(DISTINCT _seq) FROM changed_rows").fetchone()
    con.execute(changed_cases_sql(changed == changed_seqs == distinct))
    if reconcile:
        con.execute(
            "CREATE TEMP TABLE new_removed AS SELECT case_id FROM live_cases "
            "WHERE case_id NOT IN (SELECT case_id FROM upstream_ids WHERE case_id IS NOT NULL) "
            "AND case_id NOT IN (SELECT case_id FROM latest)"
        )
    else:
        con.execute("CREATE TEMP TABLE new_removed (case_id TEXT)")
    removed = con.execute("SELECT count(*) FROM new_removed").fetchone()[0]
    if removed:
        total = con.execute("SELECT count(*) FROM live_cases").fetchone()[0]
        if removed > max_share * total:
            raise SyncError(
                f"the source lacks {removed:,} of the {total:,} cases in the database; refusing to delete them "
                "(is --table or --query the whole case table?)"
            )
    return changed, removed


def changed_cases_sql(every_row: bool) -> str:
    """The view ``changed_cases``: the rows of ``changed`` without ``_same_text``, what the layer's ``cases`` get.

    When every row of ``latest`` changed (``every_row``: as many distinct ``_seq`` in ``changed_rows``,
    all taken from ``latest``, as ``latest`` has rows) they are ``latest`` itself, read without the join back on ``_seq`` (a
    million-row change: the hash join of a million rows, twice, for the cases and for ``touched``)."""
    if every_row:
        return "CREATE OR REPLACE TEMP VIEW changed_cases AS SELECT * EXCLUDE (_seq) FROM latest"
    return (
        "CREATE OR REPLACE TEMP VIEW changed_cases AS SELECT i.* EXCLUDE (_seq) FROM latest i "
        "SEMI JOIN changed_rows c ON c._seq = i._seq"
    )


# ``changed`` when nothing changed (or the run failed): no rows, the columns of ``incoming`` and ``_same_text``;
# ``changed_cases`` the same without ``_same_text``.
NO_CHANGES_SQL = (
    "CREATE OR REPLACE TEMP VIEW changed AS SELECT * EXCLUDE (_seq), false AS _same_text FROM incoming WHERE false",
    "CREATE OR REPLACE TEMP VIEW changed_cases AS SELECT * EXCLUDE (_same_text) FROM changed",
)


def no_changes(con: duckdb.DuckDBPyConnection) -> None:
    """Define ``changed`` and ``changed_cases`` with no rows (:data:`NO_CHANGES_SQL`)."""
    for statement in NO_CHANGES_SQL:
        con.execute(statement)


def changed_sql(values: list[str]) -> tuple[str, str]:
    """Statements making ``changed``: the rows of ``latest`` that are new or differ from the live case in
    one of ``values`` (column names of our own schema), with ``_same_text``. The live side is compared by
    DuckDB's ``hash`` of its values, so the join carries two numbers per live case rather than its whole
    row: an incoming row is unchanged when its hash equals the live case's (a 64-bit hash; two different
    rows with the same hash, about one chance in 10^13 for a million rows, would keep the older row).

    The comparison keeps only the numbers of the changed rows (``_seq``, unique per incoming row) and
    ``_same_text`` (the temporary table ``changed_rows``); ``changed`` is a view joining them back to
    ``latest``, so the changed rows are not copied into a temporary table before the layer gets them
    (copying a million wide rows cost ~1.5 CPU s; the join on ``_seq`` ~0.2)."""
    quoted = [f'"{c}"' for c in values]
    return (
        "CREATE TEMP TABLE changed_rows AS SELECT i._seq, "
        "l.text_hash IS NOT DISTINCT FROM hash(i.description, i.reported_at) AS _same_text "
        f"FROM latest i LEFT JOIN (SELECT case_id, hash({', '.join(quoted)}) AS row_hash, "
        "hash(description, reported_at) AS text_hash FROM live_cases) l ON l.case_id = i.case_id "
        f"WHERE l.case_id IS NULL OR l.row_hash <> hash({', '.join('i.' + c for c in quoted)})",
        "CREATE OR REPLACE TEMP VIEW changed AS SELECT i.* EXCLUDE (_seq), c._same_text "
        "FROM latest i JOIN changed_rows c ON c._seq = i._seq",
    )


def new_rejects_count(con: duckdb.DuckDBPyConnection, has_previous: bool) -> int:
    """Rejects of this run that the delta does not hold yet (a re-read row is kept once)."""
    known = (
        " WHERE NOT EXISTS (SELECT 1 FROM delta.rejects r WHERE r.source = n.source AND r.raw = n.raw)"
        if has_previous
        else ""
    )
    return con.execute(f"SELECT count(DISTINCT (n.source, n.raw)) FROM new_rejects n{known}").fetchone()[0]


def compose_layer(con: duckdb.DuckDBPyConnection, has_previous: bool, correction_rows: int = 100_000) -> bool:
    """Fill the attached new layer ``nextdata`` with this run's changes only (:mod:`analytics.sync.layers`):
    the earlier layers stay as they are, so a run's cost follows what it changed, not the delta's size.

    A layer of at most ``correction_rows`` cases also stores its ``case_days`` correction
    (:mod:`analytics.casedays.live`); for a larger one (a backfill) returns True: compact it once published."""
    con.execute("INSERT INTO nextdata.cases BY NAME SELECT * FROM changed_cases")
    con.execute("INSERT INTO nextdata.removed SELECT case_id FROM new_removed")
    con.execute(
        "INSERT INTO nextdata.touched SELECT case_id FROM changed_cases UNION ALL SELECT case_id FROM new_removed"
    )
    uncounted = write_layer_correction(con, "nextdata", "live_cases", correction_rows)
    if has_previous:
        con.execute("INSERT INTO nextdata.meta SELECT key, value FROM delta.meta")
    _terms(con, has_previous)
    known = (
        " AND NOT EXISTS (SELECT 1 FROM delta.rejects r WHERE r.source = n.source AND r.raw = n.raw)"
        if has_previous
        else ""
    )
    con.execute(f"INSERT INTO nextdata.rejects SELECT DISTINCT ON (source, raw) * FROM new_rejects n WHERE true{known}")
    _meta(con)
    return uncounted


def _has_terms(con: duckdb.DuckDBPyConnection, catalog: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = $c AND table_name = 'case_terms'",
            {"c": catalog},
        ).fetchone()[0]
    )


def _terms(con: duckdb.DuckDBPyConnection, has_previous: bool) -> None:
    """The layer's ``case_terms`` and ``terms_touched``: the changed cases whose text is new are cut anew
    (:mod:`analytics.text.index`, each distinct text once); a case whose text did not change keeps the
    terms it has where they are (a status change cuts and copies nothing); a removed case loses its terms."""
    from analytics.text.index import text_terms
    from analytics.text.tokens import dictionary_words, shared_tokenizer

    fresh = "NOT _same_text" if _has_terms(con, "base") else "TRUE"
    con.execute(
        f"INSERT INTO nextdata.terms_touched SELECT case_id FROM changed WHERE {fresh} "
        "UNION ALL SELECT case_id FROM new_removed"
    )
    texts = con.execute(
        f"SELECT DISTINCT description FROM changed WHERE {fresh} AND description IS NOT NULL"
    ).fetchnumpy()["description"]
    if not len(texts):
        return
    reader = con.cursor()
    try:
        reader.execute("USE base")
        tokenizer = shared_tokenizer(dictionary_words(reader))
    finally:
        reader.close()
    con.register("changed_text_terms", text_terms(texts, tokenizer))  # each distinct new text cut once
    con.execute(
        "INSERT INTO nextdata.case_terms SELECT c.case_id, c.reported_at, t.term FROM "
        f"(SELECT case_id, reported_at, description FROM changed WHERE {fresh}) c "
        "JOIN changed_text_terms t ON t.text = c.description ORDER BY c.reported_at, c.case_id, t.pos"
    )
    con.unregister("changed_text_terms")


def compose_status(con, has_previous: bool, result, started: dt.datetime, state: dict) -> None:
    """The run's status file (the connection's own database): the log so far plus this run, and the state."""
    if has_previous:
        con.execute("INSERT INTO main.sync_log SELECT * FROM status.sync_log")
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM main.sync_log").fetchone()[0]
    con.execute(
        "INSERT INTO main.sync_log VALUES ($run, $started, $finished, $source, $read, $changed, $rejected, "
        "$deleted, $watermark, $seconds, $error)",
        {
            "run": run_id,
            "started": started,
            "finished": dt.datetime.now(),
            "source": state.get("source"),
            "read": result.rows_read,
            "changed": result.rows_changed,
            "rejected": result.rows_rejected,
            "deleted": result.rows_deleted,
            "watermark": result.watermark,
            "seconds": result.seconds,
            "error": result.error,
        },
    )
    con.executemany("INSERT INTO main.sync_state VALUES (?, ?)", sorted(state.items()))


def _meta(con: duckdb.DuckDBPyConnection) -> None:
    """``data_end`` (the as-of day) moves on with the synced reports; the delta's (or the base's) stays otherwise."""
    base_end = con.execute("SELECT value FROM base.main.meta WHERE key = 'data_end'").fetchone()
    delta_end = con.execute("SELECT value FROM nextdata.meta WHERE key = 'data_end'").fetchone()
    current = max((row[0] for row in (base_end, delta_end) if row), default=None)
    last = con.execute("SELECT max(reported_at) FROM nextdata.cases").fetchone()[0]
    if last is None:
        return
    end = (last.date() + dt.timedelta(days=1)).isoformat()
    if current is None or end > current:
        con.execute("DELETE FROM nextdata.meta WHERE key = 'data_end'")
        con.execute("INSERT INTO nextdata.meta VALUES ('data_end', $v)", {"v": end})
