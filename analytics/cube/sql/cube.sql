-- The GridScope cube: raw cases (a view named cases over the lake) -> grid x day x kind x category tables.
-- ONE SQL text for every engine, written in DuckDB's dialect; analytics.cube.dialect transpiles it with
-- sqlglot for Spark. Each statement starts with a "-- name:" line naming the table it builds. {dispute_days},
-- {bin_base_seconds}, {bins_per_decade} and {last_bin} are integers from analytics.cube.build (configuration),
-- never user text. Every column of metrics.md is attributed to the day of the event that defines it: reported
-- counts to the report day, filed to the filing day, closed and call-backs to the closure day; what is not additive
-- over days (open, overdue, suspended at a day's end) is stored as changes whose running sum is the day-end snapshot.
-- $period_start and $period_end (dates, bound parameters) select the rows keyed by a day in [start, end): every
-- row of every table has one such day (report, filing, closure, change or overdue-from day), so builds of
-- disjoint periods that cover all days are the one-shot build cut into parts (the DuckDB build runs month by
-- month to bound its memory; a one-shot build passes 0001-01-01 and 9999-12-31).

-- name: daily
WITH events AS (
    SELECT grid_id, CAST(reported_at AS DATE) AS day, kind, category_code, category_major, source,
           1 AS reported, 0 AS filed, 0 AS closed, 0 AS closed_on_time, 0 AS closed_without_deadline,
           0 AS closed_before_reported, 0 AS negative_handling_time, 0 AS closed_with_rework,
           0 AS valid_callbacks, 0 AS callbacks_contacted, 0 AS callbacks_solved, 0 AS satisfaction_tenths,
           CASE WHEN reporter_worker_id IS NOT NULL AND status <> 'cancelled' THEN 1 ELSE 0 END AS worker_reported,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' THEN 1 ELSE 0 END AS disputes_received,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled'
                 AND reported_at <> CAST(CAST(reported_at AS DATE) AS TIMESTAMP) THEN 1 ELSE 0 END
               AS disputes_received_after_midnight,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' AND resolution_level IS NOT NULL
                 AND closed_at <= reported_at + INTERVAL {dispute_days} DAY THEN 1 ELSE 0 END AS disputes_resolved,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' AND resolution_level = 'grid'
                 AND closed_at <= reported_at + INTERVAL {dispute_days} DAY THEN 1 ELSE 0 END AS disputes_resolved_grid,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' AND resolution_level = 'community'
                 AND closed_at <= reported_at + INTERVAL {dispute_days} DAY THEN 1 ELSE 0 END
               AS disputes_resolved_community,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' AND resolution_level = 'street'
                 AND closed_at <= reported_at + INTERVAL {dispute_days} DAY THEN 1 ELSE 0 END
               AS disputes_resolved_street,
           CASE WHEN kind = 'dispute' AND status <> 'cancelled' AND resolution_level = 'district'
                 AND closed_at <= reported_at + INTERVAL {dispute_days} DAY THEN 1 ELSE 0 END
               AS disputes_resolved_district
    FROM cases
    WHERE reported_at >= CAST($period_start AS TIMESTAMP) AND reported_at < CAST($period_end AS TIMESTAMP)
    UNION ALL
    SELECT grid_id, CAST(filed_at AS DATE) AS day, kind, category_code, category_major, source,
           0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM cases
    WHERE filed_at >= CAST($period_start AS TIMESTAMP) AND filed_at < CAST($period_end AS TIMESTAMP)
      AND status <> 'cancelled'
    UNION ALL
    SELECT grid_id, CAST(closed_at AS DATE) AS day, kind, category_code, category_major, source,
           0, 0, 1,
           CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END,
           CASE WHEN due_at IS NULL THEN 1 ELSE 0 END,
           CASE WHEN closed_at < reported_at THEN 1 ELSE 0 END,
           CASE WHEN closed_at < filed_at THEN 1 ELSE 0 END,
           CASE WHEN rework_count > 0 THEN 1 ELSE 0 END,
           CASE WHEN callback_valid THEN 1 ELSE 0 END,
           CASE WHEN callback_valid AND callback_contacted THEN 1 ELSE 0 END,
           CASE WHEN callback_valid AND callback_solved THEN 1 ELSE 0 END,
           CASE WHEN callback_valid AND satisfaction = 'satisfied' THEN 10
                WHEN callback_valid AND satisfaction = 'basic' THEN 9 ELSE 0 END,
           0, 0, 0, 0, 0, 0, 0, 0
    FROM cases
    WHERE closed_at >= CAST($period_start AS TIMESTAMP) AND closed_at < CAST($period_end AS TIMESTAMP)
      AND status <> 'cancelled'
)
SELECT grid_id, day, kind, category_code, category_major, source,
       CAST(sum(reported) AS BIGINT) AS reported,
       CAST(sum(filed) AS BIGINT) AS filed,
       CAST(sum(closed) AS BIGINT) AS closed,
       CAST(sum(closed_on_time) AS BIGINT) AS closed_on_time,
       CAST(sum(closed_without_deadline) AS BIGINT) AS closed_without_deadline,
       CAST(sum(closed_before_reported) AS BIGINT) AS closed_before_reported,
       CAST(sum(negative_handling_time) AS BIGINT) AS negative_handling_time,
       CAST(sum(closed_with_rework) AS BIGINT) AS closed_with_rework,
       CAST(sum(valid_callbacks) AS BIGINT) AS valid_callbacks,
       CAST(sum(callbacks_contacted) AS BIGINT) AS callbacks_contacted,
       CAST(sum(callbacks_solved) AS BIGINT) AS callbacks_solved,
       CAST(sum(satisfaction_tenths) AS BIGINT) AS satisfaction_tenths,
       CAST(sum(worker_reported) AS BIGINT) AS worker_reported,
       CAST(sum(disputes_received) AS BIGINT) AS disputes_received,
       CAST(sum(disputes_received_after_midnight) AS BIGINT) AS disputes_received_after_midnight,
       CAST(sum(disputes_resolved) AS BIGINT) AS disputes_resolved,
       CAST(sum(disputes_resolved_grid) AS BIGINT) AS disputes_resolved_grid,
       CAST(sum(disputes_resolved_community) AS BIGINT) AS disputes_resolved_community,
       CAST(sum(disputes_resolved_street) AS BIGINT) AS disputes_resolved_street,
       CAST(sum(disputes_resolved_district) AS BIGINT) AS disputes_resolved_district
FROM events
GROUP BY grid_id, day, kind, category_code, category_major, source;

-- name: open_changes
WITH spans AS (
    SELECT grid_id, kind, category_code, category_major, source,
           CAST(filed_at AS DATE) AS open_from,
           CAST(closed_at AS DATE) AS open_until,
           CASE WHEN due_at IS NULL THEN NULL
                WHEN due_at > filed_at THEN CAST(due_at AS DATE)
                ELSE CAST(filed_at AS DATE) END AS overdue_from,
           CASE WHEN due_at IS NULL THEN 0 ELSE 1 END AS has_deadline,
           CASE WHEN status = 'suspended' THEN 1 ELSE 0 END AS suspended
    FROM cases
    WHERE filed_at IS NOT NULL AND status <> 'cancelled'
), changes AS (
    SELECT grid_id, kind, category_code, category_major, source, open_from AS day,
           1 AS open_at_end, has_deadline AS open_with_deadline, 0 AS open_overdue, 0 AS suspended_overdue
    FROM spans WHERE open_until IS NULL OR open_until > open_from
    UNION ALL
    SELECT grid_id, kind, category_code, category_major, source, open_until,
           -1, -has_deadline, 0, 0
    FROM spans WHERE open_until > open_from
    UNION ALL
    SELECT grid_id, kind, category_code, category_major, source, overdue_from,
           0, 0, 1 - suspended, suspended
    FROM spans WHERE overdue_from IS NOT NULL AND (open_until IS NULL OR open_until > overdue_from)
    UNION ALL
    SELECT grid_id, kind, category_code, category_major, source, open_until,
           0, 0, suspended - 1, -suspended
    FROM spans WHERE overdue_from IS NOT NULL AND open_until > overdue_from
)
SELECT grid_id, day, kind, category_code, category_major, source,
       CAST(sum(open_at_end) AS BIGINT) AS open_at_end,
       CAST(sum(open_with_deadline) AS BIGINT) AS open_with_deadline,
       CAST(sum(open_overdue) AS BIGINT) AS open_overdue,
       CAST(sum(suspended_overdue) AS BIGINT) AS suspended_overdue
FROM changes
WHERE day >= CAST($period_start AS DATE) AND day < CAST($period_end AS DATE)
GROUP BY grid_id, day, kind, category_code, category_major, source;

-- name: suspended_spans
SELECT grid_id, kind, category_code, category_major, source,
       CASE WHEN due_at > filed_at THEN CAST(due_at AS DATE) ELSE CAST(filed_at AS DATE) END AS overdue_from,
       CAST(closed_at AS DATE) AS open_until,
       min(due_at) AS earliest_due,
       count(*) AS cases
FROM cases
WHERE filed_at IS NOT NULL AND due_at IS NOT NULL AND status = 'suspended'
  AND CASE WHEN due_at > filed_at THEN CAST(due_at AS DATE) ELSE CAST(filed_at AS DATE) END
      >= CAST($period_start AS DATE)
  AND CASE WHEN due_at > filed_at THEN CAST(due_at AS DATE) ELSE CAST(filed_at AS DATE) END
      < CAST($period_end AS DATE)
GROUP BY grid_id, kind, category_code, category_major, source,
         CASE WHEN due_at > filed_at THEN CAST(due_at AS DATE) ELSE CAST(filed_at AS DATE) END,
         CAST(closed_at AS DATE);

-- name: self_handled
SELECT grid_id, CAST(reported_at AS DATE) AS day, CAST(closed_at AS DATE) AS closed_day,
       kind, category_code, category_major, source, count(*) AS worker_self_handled
FROM cases
WHERE reporter_worker_id IS NOT NULL AND status <> 'cancelled' AND self_handled
  AND dispatched_at IS NULL AND closed_at IS NOT NULL
  AND reported_at >= CAST($period_start AS TIMESTAMP) AND reported_at < CAST($period_end AS TIMESTAMP)
GROUP BY grid_id, CAST(reported_at AS DATE), CAST(closed_at AS DATE), kind, category_code, category_major, source;

-- name: handling_histogram
WITH durations AS (
    SELECT grid_id, CAST(closed_at AS DATE) AS day, kind, category_code, category_major, source,
           epoch(date_trunc('second', closed_at)) - epoch(date_trunc('second', filed_at)) AS seconds
    FROM cases
    WHERE closed_at >= CAST($period_start AS TIMESTAMP) AND closed_at < CAST($period_end AS TIMESTAMP)
      AND status <> 'cancelled' AND closed_at >= filed_at
), first_guess AS (
    SELECT grid_id, day, kind, category_code, category_major, source, seconds,
           CASE WHEN seconds < {bin_base_seconds} THEN 0
                ELSE CAST(floor(log10(seconds / {bin_base_seconds}) * {bins_per_decade}) AS INTEGER) + 1 END AS guess
    FROM durations
), binned AS (
    SELECT grid_id, day, kind, category_code, category_major, source,
           CASE WHEN guess = 0 THEN 0
                WHEN seconds >= round({bin_base_seconds} * power(10, guess / {bins_per_decade}.0)) THEN guess + 1
                WHEN guess > 1 AND seconds < round({bin_base_seconds} * power(10, (guess - 1) / {bins_per_decade}.0))
                    THEN guess - 1
                ELSE guess END AS bin
    FROM first_guess
)
SELECT grid_id, day, kind, category_code, category_major, source,
       CAST(least(bin, {last_bin}) AS INTEGER) AS bin, count(*) AS cases
FROM binned
GROUP BY grid_id, day, kind, category_code, category_major, source, CAST(least(bin, {last_bin}) AS INTEGER);

-- name: department_daily
-- The department (承办部门) figures of analytics.departments per grid x day x kind x department, without
-- category or source: dispatch counts on the dispatch day, handling counts on the handling day, and the open
-- overdue handling (dispatched, not handled, past the deadline) as changes whose running sum is the day-end
-- snapshot, apart for suspended cases. handled_before_dispatch marks cases whose handling precedes their dispatch
-- (a data error the readers hand to the case rows) on both days.
WITH handling AS (
    SELECT grid_id, kind, department, status, due_at, dispatched_at, handled_at, rework_count, redispatch_count,
           CAST(dispatched_at AS DATE) AS dispatch_day,
           CAST(handled_at AS DATE) AS handled_day,
           CASE WHEN due_at IS NULL THEN NULL
                WHEN due_at > dispatched_at THEN CAST(due_at AS DATE)
                ELSE CAST(dispatched_at AS DATE) END AS overdue_from,
           CASE WHEN handled_at < dispatched_at THEN 1 ELSE 0 END AS before_dispatch,
           CASE WHEN status = 'suspended' THEN 1 ELSE 0 END AS suspended
    FROM cases
    WHERE department IS NOT NULL AND dispatched_at IS NOT NULL
), events AS (
    SELECT grid_id, dispatch_day AS day, kind, department,
           1 AS dispatched,
           CASE WHEN status <> 'cancelled' AND redispatch_count IS NOT NULL THEN 1 ELSE 0 END AS dispatched_known,
           CASE WHEN status <> 'cancelled' AND redispatch_count = 0 THEN 1 ELSE 0 END AS dispatched_first_time,
           0 AS handled, 0 AS handled_on_time, 0 AS handled_without_deadline, 0 AS handled_with_rework,
           before_dispatch AS handled_before_dispatch, 0 AS open_overdue, 0 AS suspended_overdue
    FROM handling
    WHERE dispatch_day >= CAST($period_start AS DATE) AND dispatch_day < CAST($period_end AS DATE)
    UNION ALL
    SELECT grid_id, handled_day, kind, department, 0, 0, 0,
           1,
           CASE WHEN handled_at <= due_at THEN 1 ELSE 0 END,
           CASE WHEN due_at IS NULL THEN 1 ELSE 0 END,
           CASE WHEN rework_count > 0 THEN 1 ELSE 0 END,
           before_dispatch, 0, 0
    FROM handling
    WHERE handled_day >= CAST($period_start AS DATE) AND handled_day < CAST($period_end AS DATE)
      AND status <> 'cancelled'
    UNION ALL
    SELECT grid_id, overdue_from, kind, department, 0, 0, 0, 0, 0, 0, 0, 0, 1 - suspended, suspended
    FROM handling
    WHERE overdue_from >= CAST($period_start AS DATE) AND overdue_from < CAST($period_end AS DATE)
      AND status <> 'cancelled' AND (handled_day IS NULL OR handled_day > overdue_from)
    UNION ALL
    SELECT grid_id, handled_day, kind, department, 0, 0, 0, 0, 0, 0, 0, 0, suspended - 1, -suspended
    FROM handling
    WHERE handled_day >= CAST($period_start AS DATE) AND handled_day < CAST($period_end AS DATE)
      AND status <> 'cancelled' AND handled_day > overdue_from
)
SELECT grid_id, day, kind, department,
       CAST(sum(dispatched) AS BIGINT) AS dispatched,
       CAST(sum(dispatched_known) AS BIGINT) AS dispatched_known,
       CAST(sum(dispatched_first_time) AS BIGINT) AS dispatched_first_time,
       CAST(sum(handled) AS BIGINT) AS handled,
       CAST(sum(handled_on_time) AS BIGINT) AS handled_on_time,
       CAST(sum(handled_without_deadline) AS BIGINT) AS handled_without_deadline,
       CAST(sum(handled_with_rework) AS BIGINT) AS handled_with_rework,
       CAST(sum(handled_before_dispatch) AS BIGINT) AS handled_before_dispatch,
       CAST(sum(open_overdue) AS BIGINT) AS open_overdue,
       CAST(sum(suspended_overdue) AS BIGINT) AS suspended_overdue
FROM events
GROUP BY grid_id, day, kind, department;

-- name: department_histogram
-- Handling time (dispatch to handling, whole seconds) of the cases handled each day, in the bins of
-- handling_histogram, per grid x day x kind x department; cases handled before their dispatch are left out.
WITH durations AS (
    SELECT grid_id, CAST(handled_at AS DATE) AS day, kind, department,
           epoch(date_trunc('second', handled_at)) - epoch(date_trunc('second', dispatched_at)) AS seconds
    FROM cases
    WHERE handled_at >= CAST($period_start AS TIMESTAMP) AND handled_at < CAST($period_end AS TIMESTAMP)
      AND department IS NOT NULL AND dispatched_at IS NOT NULL AND status <> 'cancelled'
      AND handled_at >= dispatched_at
), first_guess AS (
    SELECT grid_id, day, kind, department, seconds,
           CASE WHEN seconds < {bin_base_seconds} THEN 0
                ELSE CAST(floor(log10(seconds / {bin_base_seconds}) * {bins_per_decade}) AS INTEGER) + 1 END AS guess
    FROM durations
), binned AS (
    SELECT grid_id, day, kind, department,
           CASE WHEN guess = 0 THEN 0
                WHEN seconds >= round({bin_base_seconds} * power(10, guess / {bins_per_decade}.0)) THEN guess + 1
                WHEN guess > 1 AND seconds < round({bin_base_seconds} * power(10, (guess - 1) / {bins_per_decade}.0))
                    THEN guess - 1
                ELSE guess END AS bin
    FROM first_guess
)
SELECT grid_id, day, kind, department, CAST(least(bin, {last_bin}) AS INTEGER) AS bin, count(*) AS cases
FROM binned
GROUP BY grid_id, day, kind, department, CAST(least(bin, {last_bin}) AS INTEGER)
