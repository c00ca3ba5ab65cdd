"""One-page briefings (简报): the overview's KPIs, status map, alerts, worst grids with the reason and the
top categories of one area and period, as self-contained HTML or PDF — for the overview's download
button and for ``python -m analytics brief`` run by a scheduler."""
