"""Case-day counts: a small aggregate of ``cases`` per grid, kind and day, for the counts that add up over days.

:mod:`analytics.casedays.build` writes it (demo build, import, ``python -m analytics.casedays``),
:mod:`analytics.casedays.read` answers the overview's period pair from it, exactly equal to the plain queries
of :mod:`analytics.metrics` (``tests/test_casedays.py``), and :mod:`analytics.casedays.live` corrects it for the
delta layers of a live connection (:mod:`analytics.sync.live`).
"""
