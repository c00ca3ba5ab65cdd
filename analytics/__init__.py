"""GridScope analytics: the canonical store, the demo city and the metric core.

Nothing in this package imports Streamlit, so every function can be tested and
reused from scripts, notebooks and the command line (``python -m analytics``).
"""

__version__ = "0.1.0"
