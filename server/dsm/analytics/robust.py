"""Robust statistics for anomaly detection: median, MAD and the modified z-score."""

from __future__ import annotations

import statistics

# 0.6745 makes the MAD of a normal distribution comparable to its standard deviation (Iglewicz & Hoaglin).
Z_SCALE = 0.6745


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def mad(values: list[float], center: float | None = None) -> float:
    """Median absolute deviation from the median."""
    if not values:
        return 0.0
    mid = median(values) if center is None else center
    return median([abs(v - mid) for v in values])


def robust_z(value: float, center: float, spread: float, floor: float) -> float:
    """Modified z-score 0.6745 * (x - median) / MAD; MAD is floored so a flat baseline does not flag noise."""
    return Z_SCALE * (value - center) / max(spread, floor)
