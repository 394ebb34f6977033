"""Summary statistics of repeated measurements (pure Python, no numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile", "summarize", "ratio"]


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of `values`, interpolating between ranks like numpy."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    weight = position - low
    return float(ordered[low] * (1 - weight) + ordered[high] * weight)


def summarize(values: Sequence[float], digits: int = 2) -> dict[str, float]:
    """Return {n, p50, p95, mean, min, max} of `values`, rounded (all zero when empty)."""
    if not values:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "mean": 0.0, "min": 0.0, "max": 0.0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), digits),
        "p95": round(percentile(values, 95), digits),
        "mean": round(sum(values) / len(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    """Return numerator / denominator rounded, or None when the denominator is not positive."""
    if denominator <= 0:
        return None
    return round(numerator / denominator, digits)
