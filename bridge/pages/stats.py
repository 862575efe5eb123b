"""Process statistics in plain Python: capability, individuals control chart, drift rules.

Formulas as in the NIST/SEMATECH e-Handbook of Statistical Methods (§6.1.6 process
capability, §6.3.2.2 individuals charts) and Montgomery, *Introduction to Statistical
Quality Control*: sigma within = mean moving range / d2 (d2 = 1.128 for ranges of two),
sigma overall = the sample standard deviation; Cpk uses the first, Ppk the second.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

D2 = 1.128  # expected range of two normal values, in sigma


@dataclass(frozen=True)
class Summary:
    """What the page shows for one numeric measurement, from running sums."""

    count: int
    mean: float
    sigma_overall: float  # sample standard deviation (n - 1)
    sigma_within: float   # mean moving range / d2
    mr_bar: float


def summarize(count: int, total: float, squares: float, moving_sum: float,
              moving_count: int) -> Summary:
    """From Σx, Σx² and Σ|xᵢ - xᵢ₋₁|: what SQL (or one pass) can give cheaply."""
    mean = total / count if count else math.nan
    variance = (squares - count * mean * mean) / (count - 1) if count > 1 else math.nan
    mr_bar = moving_sum / moving_count if moving_count else math.nan
    return Summary(count, mean, math.sqrt(max(variance, 0.0)) if count > 1 else math.nan,
                   mr_bar / D2 if moving_count else math.nan, mr_bar)


def summary_of(values: Sequence[float]) -> Summary:
    moving = [abs(b - a) for a, b in itertools.pairwise(values)]
    return summarize(len(values), math.fsum(values), math.fsum(v * v for v in values),
                     math.fsum(moving), len(moving))


def capability(mean: float, sigma: float, lower: float | None,
               upper: float | None) -> float | None:
    """min((USL - μ), (μ - LSL)) / 3sigma; one-sided when one limit is missing."""
    if not sigma or not math.isfinite(sigma) or (lower is None and upper is None):
        return None
    sides = [(upper - mean) if upper is not None else math.inf,
             (mean - lower) if lower is not None else math.inf]
    return min(sides) / (3 * sigma)


@dataclass(frozen=True)
class ControlLimits:
    centre: float
    lower: float
    upper: float
    sigma: float


def individuals_limits(values: Sequence[float]) -> ControlLimits:
    """X chart limits: x̄ ± 3·MR̄/d2 (NIST e-Handbook §6.3.2.2)."""
    s = summary_of(values)
    return ControlLimits(s.mean, s.mean - 3 * s.sigma_within, s.mean + 3 * s.sigma_within,
                         s.sigma_within)


RULES = {
    1: "one point beyond 3 sigma",
    2: "2 of 3 points beyond 2 sigma on one side",
    3: "4 of 5 points beyond 1 sigma on one side",
    4: "8 points in a row on one side of the centre",
    5: "6 points in a row steadily rising or falling (trend)",
}


def drift_rules(values: Sequence[float], limits: ControlLimits) -> dict[int, set[int]]:
    """Western Electric rules 1-4 and Nelson's trend rule: rule → indices of the points
    that complete a violation (the point where an operator would be alerted)."""
    sigma, centre = limits.sigma, limits.centre
    found: dict[int, set[int]] = {rule: set() for rule in RULES}
    if not sigma or not math.isfinite(sigma):
        return found
    z = [(v - centre) / sigma for v in values]

    def beyond(window: Sequence[float], k: float, need: int) -> bool:
        """``need`` points of the window beyond ksigma on the side of its last point."""
        side = 1 if window[-1] > 0 else -1
        return window[-1] * side > k and sum(x * side > k for x in window) >= need

    for i, zi in enumerate(z):
        if abs(zi) > 3:
            found[1].add(i)
        if i >= 2 and beyond(z[i - 2:i + 1], 2, 2):
            found[2].add(i)
        if i >= 4 and beyond(z[i - 4:i + 1], 1, 4):
            found[3].add(i)
        if i >= 7 and (all(x > 0 for x in z[i - 7:i + 1]) or all(x < 0 for x in z[i - 7:i + 1])):
            found[4].add(i)
        if i >= 5:
            run = values[i - 5:i + 1]
            steps = [b - a for a, b in itertools.pairwise(run)]
            if all(s > 0 for s in steps) or all(s < 0 for s in steps):
                found[5].add(i)
    return found


def histogram(values: Sequence[float], low: float, high: float,
              bins: int = 20) -> tuple[list[float], list[int]]:
    """Equal-width bins over [low, high]; values outside go to the end bins."""
    if high <= low:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(max(int((v - low) / width), 0), bins - 1)] += 1
    return [low + i * width for i in range(bins + 1)], counts


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
