"""A log-bucket latency sketch: counts per geometric bin, mergeable, with a bounded relative error.

A value x > 0 goes to bin i = ceil(log(x) / log(GAMMA)), i.e. GAMMA**(i-1) < x <= GAMMA**i, and a
bin is read back as 2 * GAMMA**i / (GAMMA + 1). That estimate is within RELATIVE_ERROR of every
value in the bin, so a percentile read from the sketch is within RELATIVE_ERROR (1%) of the exact
nearest-rank percentile of the values added. Values <= 0 share one bin that reads back as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
ZERO_BIN = -(2**31)

Bins = dict[int, int]


def bin_of(value: float) -> int:
    if value <= 0:
        return ZERO_BIN
    return math.ceil(math.log(value) / _LOG_GAMMA)


def value_of(index: int) -> float:
    if index == ZERO_BIN:
        return 0.0
    return 2 * GAMMA**index / (GAMMA + 1)


def add(bins: Bins, value: float, count: int = 1) -> None:
    index = bin_of(value)
    bins[index] = bins.get(index, 0) + count


def merge(into: Bins, other: Mapping[int, int]) -> Bins:
    for index, count in other.items():
        into[index] = into.get(index, 0) + count
    return into


def quantiles(bins: Mapping[int, int], ps: Iterable[float]) -> list[float | None]:
    """Nearest-rank quantiles (rank = ceil(p * n)) read from the bins; None when empty."""
    total = sum(bins.values())
    wanted = list(ps)
    if total == 0:
        return [None for _ in wanted]
    order = sorted(bins.items())
    out: list[float | None] = []
    for p in wanted:
        rank = max(1, math.ceil(p * total))
        seen = 0
        for index, count in order:
            seen += count
            if seen >= rank:
                out.append(value_of(index))
                break
    return out


def exact_quantile(values: list[float], p: float) -> float:
    """The nearest-rank quantile of raw values: what the sketch approximates (used by tests and the raw path)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]
