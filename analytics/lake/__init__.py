"""The Parquet lake: canonical cases as hive-partitioned Parquet that DuckDB and Spark read in place."""

from analytics.lake.export import LAKE_TABLES, LakeError, export_lake

__all__ = ["LAKE_TABLES", "LakeError", "export_lake"]
