"""Descriptive statistics and correlations with their conventions stated.

Conventions: the SD is the sample SD (ddof=1); blanks (NaN/NA) are missing and are
dropped, never counted as 0; a statistic that cannot be computed is NaN with a reason.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats as sps

SD_CONVENTION = "sample SD (ddof=1); blanks are missing, never 0"


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    sd: float


def summarise(values: pd.Series | list[float]) -> Summary:
    """n, mean and sample SD of the non-missing values (SD is NaN when n < 2)."""
    x = pd.to_numeric(pd.Series(values, dtype="object"), errors="raise").dropna()
    x = x.astype(float)
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n >= 2 else math.nan
    return Summary(n, mean, sd)


def grouped_summary(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of ``by``: n (non-missing), mean and sample SD of ``value``."""
    g = frame.assign(_v=pd.to_numeric(frame[value]).astype("Float64").astype(float))
    # GroupBy.std is the sample SD (ddof=1), NaN for a group of one value.
    out = g.groupby(by, sort=False, dropna=False)["_v"].agg(
        n="count", mean="mean", sd="std")
    return out.reset_index()


@dataclass(frozen=True)
class Correlation:
    """A bivariate association at a stated unit of analysis."""

    x: str
    y: str
    unit: str
    n: int
    pearson_r: float
    pearson_p: float
    ci_low: float
    ci_high: float
    spearman_rho: float
    spearman_p: float
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def correlate(x: pd.Series, y: pd.Series, *, x_name: str, y_name: str,
              unit: str) -> Correlation:
    """Pearson r (two-sided p, 95% CI by Fisher's z) and Spearman rho on complete pairs.

    With fewer than 3 complete pairs, or a constant variable, every statistic is NaN
    and ``reason`` says why; nothing raises.
    """
    pairs = pd.DataFrame({"x": pd.to_numeric(x).astype(float),
                          "y": pd.to_numeric(y).astype(float)}).dropna()
    n = len(pairs)
    nan = math.nan
    reason = ""
    if n < 3:
        reason = f"only {n} complete pairs; a correlation needs at least 3"
    elif pairs["x"].nunique() < 2:
        reason = f"{x_name} is constant over the {n} pairs"
    elif pairs["y"].nunique() < 2:
        reason = f"{y_name} is constant over the {n} pairs"
    if reason:
        return Correlation(x_name, y_name, unit, n, nan, nan, nan, nan, nan, nan, reason)
    pr = sps.pearsonr(pairs["x"], pairs["y"])
    if n > 3:
        ci = pr.confidence_interval(0.95)
        lo, hi = float(ci.low), float(ci.high)
    else:
        lo = hi = nan
        reason = "95% CI needs n > 3"
    sr = sps.spearmanr(pairs["x"], pairs["y"])
    return Correlation(x_name, y_name, unit, n, float(pr.statistic), float(pr.pvalue),
                       lo, hi, float(sr.statistic), float(sr.pvalue), reason)


def round_half_up(value: float, decimals: int = 2) -> float:
    """Round as people do on paper (2.345 -> 2.35), not banker's rounding."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    q = 10 ** decimals
    return math.floor(value * q + 0.5 + 1e-9) / q


def truncate(value: float, decimals: int = 2) -> float:
    q = 10 ** decimals
    return math.floor(value * q + 1e-9) / q


__all__ = ["Summary", "summarise", "grouped_summary", "Correlation", "correlate",
           "round_half_up", "truncate", "SD_CONVENTION"]
