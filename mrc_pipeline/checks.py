"""Checks that a published summary figure can exist at all, given its scale and n.

Each check takes the figure as printed (a number at ``decimals`` places) and answers
with a :class:`Check`: whether some data could produce it and a sentence that states the
arithmetic. A printed figure stands for every value that displays as it; ``display``
says how it was made shorter:

- ``"round"``: half a unit of the last place either side (2.04 is 2.035 to 2.045);
- ``"truncate"``: the digits were cut off, so the value lies from the figure up to one
  unit above it. The upper end is included because a value stored in binary just below
  it is cut to the figure: 46/20 = 2.30 is stored as 2.2999999999999998, which a
  program that cuts digits shows as 2.29.

The checks:

- :func:`grim`: a mean of n integer ratings is k/n for an integer k (the GRIM test);
- :func:`integer_sd_range` and :func:`sd_range`: the smallest and largest sample SD
  that n integer ratings on a bounded scale with a given sum can have;
- :func:`mean_within_scale`, :func:`sd_within_scale`: a mean lies on the scale; an SD
  of n values on a bounded scale with a given mean is at most
  ``sqrt(n / (n - 1) * (mean - low) * (high - mean))``;
- :func:`parts_whole_mean`, :func:`parts_whole_sd`: a whole pooled from parts (a sector
  from its capabilities, a global figure from its regions) has the weighted mean of
  their means, so it lies within them, and the pooled SD their n, means and SDs fix;
- :func:`display_convention`: whether rounding or truncating a computed value gives
  the printed figure.

Every SD here is the sample SD (ddof=1).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mrc_pipeline.stats import round_half_up

Display = Literal["round", "truncate"]
Interval = tuple[float, float]

#: Slack for comparisons of values computed in floating point.
EPS = 1e-9


@dataclass(frozen=True)
class Check:
    """The answer of one check: its name, whether it passed, and why in words."""

    name: str
    passed: bool
    reason: str


def fmt(value: float, decimals: int = 2) -> str:
    """A number at ``decimals`` places, as the report prints it."""
    return f"{value:.{decimals}f}"


def display_interval(value: float, decimals: int = 2,
                     display: Display = "round") -> Interval:
    """Every value that shows as ``value`` at ``decimals`` places (ends included)."""
    step = 10.0 ** -decimals
    if display == "round":
        return value - step / 2 - EPS, value + step / 2 + EPS
    if display == "truncate":
        return value - EPS, value + step + EPS
    raise ValueError(f"display must be 'round' or 'truncate', not {display!r}")


def _how(display: Display, decimals: int) -> str:
    verb = "rounded" if display == "round" else "truncated"
    return f"{verb} to {decimals} decimals"


def truncate_as_stored(value: float, decimals: int = 2) -> float:
    """Cut ``value`` to ``decimals`` places as a program does on the binary value,
    with no allowance for representation error (2.3 -> 2.29, since 2.3 * 100 is
    229.99999999999997 in binary floating point)."""
    q = 10 ** decimals
    return math.floor(value * q) / q


def grim_totals(mean: float, n: int, *, decimals: int = 2, display: Display = "round",
                scale: tuple[int, int] | None = None) -> list[int]:
    """Every integer sum k of n ratings whose mean k/n shows as ``mean``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    lo, hi = display_interval(mean, decimals, display)
    first, last = math.ceil(lo * n), math.floor(hi * n)
    if scale is not None:
        first, last = max(first, scale[0] * n), min(last, scale[1] * n)
    return list(range(first, last + 1))


def grim(mean: float, n: int, *, decimals: int = 2, display: Display = "round") -> Check:
    """GRIM: a mean of n integer ratings must be k/n for some integer k."""
    totals = grim_totals(mean, n, decimals=decimals, display=display)
    shown = fmt(mean, decimals)
    if totals:
        k = totals[0]
        return Check("GRIM", True, f"GRIM: {shown} can be a mean of {n} integer ratings "
                                   f"({_how(display, decimals)}), {k}/{n} = {k / n:.4f}")
    below = math.floor(mean * n)
    return Check("GRIM", False,
                 f"GRIM: {shown} is not a mean of {n} integer ratings "
                 f"{_how(display, decimals)}: the nearest are {below}/{n} = "
                 f"{fmt(below / n, decimals)} and {below + 1}/{n} = "
                 f"{fmt((below + 1) / n, decimals)}")


def integer_sd_range(n: int, total: int, low: int, high: int) -> Interval:
    """Smallest and largest sample SD of n integer ratings on ``low``-``high`` that sum
    to ``total``: the smallest with the ratings as equal as they can be, the largest
    with as many as possible at the two ends of the scale."""
    if n < 2:
        raise ValueError(f"a sample SD needs n >= 2, not {n}")
    if not n * low <= total <= n * high:
        raise ValueError(f"{n} ratings on {low}-{high} cannot sum to {total}")
    r = total % n
    sd_min = math.sqrt(r * (n - r) / n / (n - 1))
    at_top = (total - n * low) // (high - low)
    if at_top >= n:
        return sd_min, 0.0
    middle = total - at_top * high - (n - at_top - 1) * low
    squares = at_top * high ** 2 + middle ** 2 + (n - at_top - 1) * low ** 2
    return sd_min, math.sqrt(max(squares - total ** 2 / n, 0.0) / (n - 1))


def sd_range(mean: float, sd: float, n: int, scale: tuple[int, int], *,
             decimals: int = 2, display: Display = "round") -> Check:
    """The SD of n integer ratings on ``scale`` with a mean that shows as ``mean`` lies
    within the range :func:`integer_sd_range` gives for one of the possible sums."""
    totals = grim_totals(mean, n, decimals=decimals, display=display, scale=scale)
    if not totals:
        return Check("SD range", True, f"SD range not tested: no {n} integer ratings on "
                                       f"{scale[0]}-{scale[1]} have the mean {fmt(mean)}")
    ranges = [integer_sd_range(n, k, *scale) for k in totals]
    s_lo, s_hi = display_interval(sd, decimals, display)
    ok = any(lo - EPS <= s_hi and s_lo <= hi + EPS for lo, hi in ranges)
    smallest, largest = min(r[0] for r in ranges), max(r[1] for r in ranges)
    head = (f"with n = {n} integer ratings on {scale[0]}-{scale[1]} and mean "
            f"{fmt(mean, decimals)}, the sample SD lies between {fmt(smallest, 3)} and "
            f"{fmt(largest, 3)}")
    if ok:
        return Check("SD range", True, f"{head}; {fmt(sd, decimals)} is within")
    side = "above the largest" if s_lo > largest else "below the smallest"
    return Check("SD range", False, f"{head}; {fmt(sd, decimals)} is {side}")


def mean_within_scale(mean: float, scale: tuple[float, float], *, decimals: int = 2,
                      display: Display = "round", what: str = "the scale") -> Check:
    """A mean of ratings on ``scale`` lies within it."""
    lo, hi = display_interval(mean, decimals, display)
    shown = fmt(mean, decimals)
    if hi < scale[0]:
        return Check("scale bounds", False, f"mean {shown} is below the scale minimum "
                                            f"{scale[0]:g} of {what}")
    if lo > scale[1]:
        return Check("scale bounds", False, f"mean {shown} is above the scale maximum "
                                            f"{scale[1]:g} of {what}")
    return Check("scale bounds", True,
                 f"mean {shown} lies on {what} ({scale[0]:g}-{scale[1]:g})")


def max_sd(n: int, mean: float, scale: tuple[float, float]) -> float:
    """Largest sample SD of n values on ``scale`` (any real values) with this mean."""
    lo, hi = scale
    spread = max((mean - lo) * (hi - mean), 0.0)
    return math.sqrt(n / (n - 1) * spread)


def sd_within_scale(mean: float, sd: float, n: int, scale: tuple[float, float], *,
                    decimals: int = 2, display: Display = "round",
                    n_source: str = "") -> Check:
    """The SD of n values on ``scale`` with this mean is at most :func:`max_sd`; when it
    is exceeded the reason gives the largest n that could reach the published SD."""
    if n < 2:
        return Check("SD bound", True, f"SD bound not tested: n = {n}")
    m_lo, m_hi = display_interval(mean, decimals, display)
    m_lo, m_hi = max(m_lo, scale[0]), min(m_hi, scale[1])
    if m_lo > m_hi:
        return Check("SD bound", True, "SD bound not tested: the mean is off the scale")
    # (mean - lo) * (hi - mean) peaks at the middle of the scale.
    best = min(max((scale[0] + scale[1]) / 2, m_lo), m_hi)
    largest = max_sd(n, best, scale)
    s_lo = display_interval(sd, decimals, display)[0]
    where = f"n = {n}{' ' + n_source if n_source else ''}"
    head = (f"{where} values on {scale[0]:g}-{scale[1]:g} with mean {fmt(mean, decimals)} "
            f"have a sample SD of at most {fmt(largest, 3)}")
    if s_lo <= largest + EPS:
        return Check("SD bound", True, f"{head}; {fmt(sd, decimals)} is within")
    spread = (best - scale[0]) * (scale[1] - best)
    ratio = s_lo ** 2 / spread if spread > 0 else math.inf
    need = ("no n reaches it" if ratio > 2 or not math.isfinite(ratio) else
            f"it needs n <= {math.floor(ratio / (ratio - 1) + EPS)}")
    return Check("SD bound", False, f"SD {fmt(sd, decimals)} is too large: {head} ({need})")


def weighted_interval(lows: Sequence[float], highs: Sequence[float],
                      weights: Sequence[float]) -> Interval:
    """Range of the weighted mean of parts each known to lie in [low, high]."""
    total = float(sum(weights))
    return (sum(w * lo for w, lo in zip(weights, lows)) / total,
            sum(w * hi for w, hi in zip(weights, highs)) / total)


def _part_text(label: str, lo: float, hi: float, decimals: int) -> str:
    if abs(hi - lo) < EPS:
        return f"{label}: {fmt(lo, decimals)}"
    return f"{label}: {fmt(lo, decimals)}-{fmt(hi, decimals)}"


def parts_whole_mean(whole: float, lows: Sequence[float], highs: Sequence[float],
                     weights: Sequence[float], *, labels: Sequence[str],
                     part_noun: str, weighting: str, decimals: int = 2,
                     display: Display = "round") -> Check:
    """A whole pooled from parts has the weighted mean of their means: it lies between
    the smallest and the largest part, and within the weighted mean's range.

    ``lows``/``highs`` are the printed values that bound each part (equal when the part
    is printed itself); each is widened by its display interval.
    """
    half = [display_interval(v, decimals, display) for v in lows]
    top = [display_interval(v, decimals, display) for v in highs]
    p_lo, p_hi = [a for a, _ in half], [b for _, b in top]
    w_lo, w_hi = weighted_interval(p_lo, p_hi, weights)
    nominal = weighted_interval(lows, highs, weights)
    x_lo, x_hi = display_interval(whole, decimals, display)
    shown = fmt(whole, decimals)
    parts = ", ".join(_part_text(lab, lo, hi, decimals)
                      for lab, lo, hi in zip(labels, lows, highs))
    if abs(nominal[1] - nominal[0]) < EPS:
        allowing = "rounding" if display == "round" else "truncation"
        target = (f"{fmt(nominal[0], 4)} ({fmt(w_lo, 4)} to {fmt(w_hi, 4)} allowing for "
                  f"{allowing} of the parts)")
    else:
        target = f"between {fmt(w_lo, 4)} and {fmt(w_hi, 4)}"
    if x_hi < min(p_lo):
        return Check("parts and whole", False,
                     f"mean {shown} is below the smallest {part_noun}, "
                     f"{fmt(min(lows), decimals)} ({parts}); as their {weighting} mean "
                     f"it must be {target}")
    if x_lo > max(p_hi):
        return Check("parts and whole", False,
                     f"mean {shown} is above the largest {part_noun}, "
                     f"{fmt(max(highs), decimals)} ({parts}); as their {weighting} mean "
                     f"it must be {target}")
    if x_hi < w_lo or x_lo > w_hi:
        return Check("parts and whole", False,
                     f"mean {shown} lies between the smallest and the largest "
                     f"{part_noun} ({parts}) but their {weighting} mean is {target}")
    return Check("parts and whole", True,
                 f"mean {shown} agrees with the {weighting} mean of each {part_noun} "
                 f"({parts}), {target}")


def _min_between(ns: Sequence[float], lows: Sequence[float],
                 highs: Sequence[float]) -> float:
    """Smallest sum of n_c (m_c - M)^2 over means m_c in [low_c, high_c], M their
    n-weighted mean: min over t of the n-weighted squared distances of t to the
    intervals, a convex piecewise quadratic minimised at a breakpoint or at the
    stationary point of a piece."""
    def cost(t: float) -> float:
        return sum(n * (max(lo - t, 0.0) + max(t - hi, 0.0)) ** 2
                   for n, lo, hi in zip(ns, lows, highs))

    points = sorted(set(lows) | set(highs))
    candidates = list(points)
    for a, b in zip(points, points[1:]):
        mid = (a + b) / 2
        above = [(n, lo) for n, lo, hi in zip(ns, lows, highs) if mid < lo]
        below = [(n, hi) for n, lo, hi in zip(ns, lows, highs) if mid > hi]
        weight = sum(n for n, _ in above + below)
        if weight:
            t = sum(n * v for n, v in above + below) / weight
            candidates.append(min(max(t, a), b))
    return min(cost(t) for t in candidates)


def pooled_sd_interval(ns: Sequence[int], mean_bounds: Sequence[Interval],
                       sd_bounds: Sequence[Interval]) -> Interval:
    """Range of the sample SD of the pooled values of parts with sizes ``ns`` and means
    and SDs within the given bounds: SS = sum (n-1) s^2 + sum n (m - M)^2."""
    if len(ns) > 16:
        raise ValueError("pooled_sd_interval enumerates 2^k corners; k <= 16")
    total = sum(ns)
    within = [sum((n - 1) * max(b[i], 0.0) ** 2 for n, b in zip(ns, sd_bounds))
              for i in (0, 1)]
    lows, highs = [b[0] for b in mean_bounds], [b[1] for b in mean_bounds]

    def between(means: Sequence[float]) -> float:
        grand = sum(n * m for n, m in zip(ns, means)) / total
        return sum(n * (m - grand) ** 2 for n, m in zip(ns, means))

    # The between-parts sum is convex in the means: its maximum is at a corner.
    most = max(between(c) for c in itertools.product(*mean_bounds))
    least = _min_between(ns, lows, highs)
    return (math.sqrt((within[0] + least) / (total - 1)),
            math.sqrt((within[1] + most) / (total - 1)))


def parts_whole_sd(whole_sd: float, ns: Sequence[int], means: Sequence[float],
                   sds: Sequence[float], *, parts: str, decimals: int = 2,
                   display: Display = "round") -> Check:
    """A whole pooled from parts has the SD their n, means and SDs fix; ``parts``
    names them in the plural (e.g. "capabilities of this sector")."""
    mean_b = [display_interval(m, decimals, display) for m in means]
    sd_b = [display_interval(s, decimals, display) for s in sds]
    lo, hi = pooled_sd_interval(ns, mean_b, sd_b)
    x_lo, x_hi = display_interval(whole_sd, decimals, display)
    shown = fmt(whole_sd, decimals)
    sizes = sorted(set(ns))
    size_text = f"n = {sizes[0]} each" if len(sizes) == 1 else f"n = {sum(ns)} in all"
    head = (f"the n ({size_text}), means and SDs of the {parts} fix the pooled SD "
            f"between {fmt(lo, 3)} and {fmt(hi, 3)}")
    if x_hi < lo or x_lo > hi:
        return Check("pooled SD", False, f"SD {shown} cannot be pooled from its parts: "
                                         f"{head}")
    return Check("pooled SD", True, f"SD {shown} agrees with its parts: {head}")


def correlation_within_bounds(r: float) -> Check:
    """A correlation lies in [-1, 1]."""
    if -1 - EPS <= r <= 1 + EPS:
        return Check("bounds", True, f"r = {r:.2f} lies within -1 to 1")
    return Check("bounds", False, f"r = {r:.2f} lies outside -1 to 1")


def display_convention(published: float, computed: float, decimals: int = 2) -> Check:
    """Whether rounding (half up) or truncating the computed value gives the published
    figure; truncation cuts the binary value as stored (see module docstring)."""
    rounded = round_half_up(computed, decimals)
    cut = truncate_as_stored(computed, decimals)
    target = round(published, decimals)
    by_round, by_cut = rounded == target, round(cut, decimals) == target
    head = (f"rounding {computed:.4f} gives {fmt(rounded, decimals)}, truncating it "
            f"gives {fmt(cut, decimals)}")
    if by_cut and not by_round:
        stored = f"{computed:.17g}"
        return Check("display", True,
                     f"{head} ({fmt(computed, 4)} is stored in binary as {stored}): "
                     f"truncation, not rounding, gives the published "
                     f"{fmt(published, decimals)}")
    if by_round:
        return Check("display", True, f"{head}: rounding gives the published "
                                      f"{fmt(published, decimals)}")
    return Check("display", False, f"{head}: neither gives the published "
                                   f"{fmt(published, decimals)}")


__all__ = ["Check", "Display", "display_interval", "truncate_as_stored", "grim_totals",
           "grim", "integer_sd_range", "sd_range", "mean_within_scale", "max_sd",
           "sd_within_scale", "weighted_interval", "parts_whole_mean",
           "pooled_sd_interval", "parts_whole_sd", "correlation_within_bounds",
           "display_convention", "fmt"]
