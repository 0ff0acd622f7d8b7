"""
A plug's energy history (``getbasicdevicestats``) as counter readings in time.

The box gives the energy of each day (31 x 86400 s) and "month" (12 x 2678400 s)
window, newest first, ending at ``datatime``; with the live counter that is the
counter at each window's end. Used to backfill statistics (first setup, outages).
"""

from __future__ import annotations

from itertools import pairwise
import math
from typing import Final

from .devices import DeviceStats

HOUR: Final = 3600
DAY_GRID: Final = 86400
MONTH_GRID: Final = 2678400

type Point = tuple[float, float]
"""(epoch seconds, counter in Wh)."""


def counter_points(stats: DeviceStats, counter_wh: float, now: float) -> list[Point]:
    """
    Return the counter at each grid point the box's energy samples give, newest first.

    The day series comes first; month points are added where they reach further back
    (a point is kept only if it is older and not higher than the last one kept).
    """
    points: list[Point] = []
    for grid in (DAY_GRID, MONTH_GRID):
        series = stats.series("energy", grid)
        if series is None:
            continue
        end = float(min(series.datatime if series.datatime is not None else now, now))
        values = list(series.values)
        while values and values[-1] == 0:
            values.pop()  # the plug was not counting yet
        chain: list[Point] = [(end, counter_wh)]
        for index, value in enumerate(values):
            if value is None:
                break  # a gap: the counter before it is unknown
            chain.append((end - (index + 1) * grid, chain[-1][1] - value))
        for time, counter in chain:
            if not points or (time < points[-1][0] and counter <= points[-1][1]):
                points.append((time, counter))
    return points if len(points) > 1 else []


def counter_at(points: list[Point], time: float) -> float:
    """Interpolate the counter at ``time`` (within the points, newest first)."""
    for (new_t, new_c), (old_t, old_c) in pairwise(points):
        if old_t <= time <= new_t:
            return old_c + (new_c - old_c) * (time - old_t) / (new_t - old_t)
    raise ValueError(f"{time} is outside the box's history")


def hourly_counters(points: list[Point], boundary: float) -> list[Point]:
    """Return the counter at each full hour the points cover, up to ``boundary``: (end, Wh)."""
    if not points:
        return []
    first_start = math.ceil(points[-1][0] / HOUR) * HOUR
    last_end = min(boundary, math.floor(points[0][0] / HOUR) * HOUR)
    return [
        (float(end), counter_at(points, end))
        for end in range(int(first_start), int(last_end) + 1, HOUR)
    ]
