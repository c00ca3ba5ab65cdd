"""GridScope benchmark harness: ``python -m analytics.bench`` (see ``docs/performance.md``)."""
