"""What every benchmark reports of a list of timings (imported by the scripts beside it)."""

from __future__ import annotations

import statistics


def figures(seconds: list[float]) -> tuple[float, float, float]:
    """min, median and 90th percentile, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return ms[0], statistics.median(ms), p90
