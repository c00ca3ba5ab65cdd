"""The cube on a Spark cluster: ``spark-submit --py-files gridscope.zip analytics/cube/spark_job.py --lake URI
--out URI`` (``docs/scale.md``). The same SQL text as ``python -m analytics cube --engine spark``."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    from analytics.config import load_config
    from analytics.cube.build import build_spark, spark_session
    from analytics.cube.dialect import cube_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="the lake (a folder, HDFS or S3 URI)")
    parser.add_argument("--out", required=True, help="where the cube's Parquet tables go (must not exist)")
    args = parser.parse_args(argv)
    cfg = load_config()
    spark = spark_session(cfg, local=False)
    build_spark(args.lake, args.out, cube_settings(cfg), spark)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
