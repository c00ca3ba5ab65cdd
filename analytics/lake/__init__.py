"""The Parquet lake: canonical cases as hive-partitioned Parquet that DuckDB and Spark read in place."""

from analytics.lake.export import LakeError, export_lake, side_tables

__all__ = ["LakeError", "export_lake", "side_tables"]
