"""The cube: one SQL text that turns the lake's raw cases into grid x day x kind x category tables on DuckDB or
Spark, and the metrics of ``metrics.md`` read back from those tables."""
