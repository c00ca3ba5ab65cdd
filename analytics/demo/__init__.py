"""The deterministic synthetic demo city ("示范市") with planted signals.

``build_demo(db_path, cases=300_000, seed=42, grids=400)`` writes every canonical
table (see ``analytics.schema``), the ground truth of the planted signals
(``signals``) and the fake personal data planted in descriptions
(``pii_planted``). Same arguments, same content (except ``meta.loaded_at``).
"""

from analytics.demo.build import build_demo

__all__ = ["build_demo"]
