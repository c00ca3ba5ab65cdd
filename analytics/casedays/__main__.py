"""``python -m analytics.casedays --db PATH``: add or rebuild the case-day counts of a database."""

import sys

from analytics.casedays.build import main

sys.exit(main())
