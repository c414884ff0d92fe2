"""Seeded bootstrap intervals for the report's means and correlations, and rank
intervals for its ordering of countries (Figure 1).

Conventions, stated in every output row:

- Intervals are percentile intervals (95% unless asked otherwise) over ``resamples``
  draws from ``numpy.random.default_rng(seed)``; the same seed gives the same table.
- Means and correlations resample **countries** with replacement, the unit the report
  generalises over. Global figures resample all countries; a region's figures resample
  that region's countries only (region sizes stay fixed, so a region of 2 countries
  gets an interval spanning no more than its two countries' values). A resampled
  country brings all its ratings: the global sector mean pools them, a regional mean
  averages the country-sector means, and a correlation takes all its country x sector
  cells.
- Country ranks resample **capabilities**: within each sector, that sector's
  capabilities are drawn with replacement, and the same draw applies to every
  country. Every country is rated on the same instrument, and a capability that is
  hard for one country tends to be hard for all (capability 4 is rated 2 in every
  country), so drawing capabilities independently per country would count that
  shared difficulty as noise between countries; drawing within sectors keeps every
  sector in every resample. Rank 1 is the highest mean; ties share the better rank
  (1, 2, 2, 4).

Every draw is a matrix of multiplicities (how often each unit is drawn), so a whole
bootstrap is a few matrix products.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mrc_pipeline.aggregate import CORRELATION_PAIRS
from mrc_pipeline.reference import VARIABLES, Reference

log = logging.getLogger(__name__)

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240601
DEFAULT_LEVEL = 0.95

INTERVAL_COLUMNS = ["statistic", "scope", "region", "variable", "sector", "n_countries",
                    "estimate", "ci_low", "ci_high", "resamples_used", "convention"]
RANK_COLUMNS = ["assessment_id", "iso3", "country", "region", "n", "mean", "mean_low",
                "mean_high", "rank", "rank_low", "rank_high", "resamples", "convention"]


def _check(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, not {level}")


def multiplicities(rng: np.random.Generator, units: int, resamples: int) -> np.ndarray:
    """(resamples x units) counts of how often each unit is drawn when ``units`` units
    are drawn with replacement: one bootstrap resample per row."""
    return rng.multinomial(units, np.full(units, 1.0 / units), size=resamples).astype(float)


def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
    """Per column: lower and upper percentile of the finite draws (NaN where there
    are none), and how many finite draws there are."""
    tail = (1 - level) / 2 * 100
    finite = np.where(np.isfinite(draws), draws, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        lo, hi = np.nanpercentile(finite, [tail, 100 - tail], axis=0)
    return lo, hi, np.isfinite(draws).sum(axis=0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _wide(cells: pd.DataFrame, value: str, columns: pd.MultiIndex) -> pd.DataFrame:
    """Assessment x (variable, sector); every assessment keeps its row, even one whose
    values are all missing (pivot_table would drop it)."""
    index = pd.Index(sorted(cells["assessment_id"].unique()), name="assessment_id")
    return (cells.pivot_table(index="assessment_id", columns=["variable", "sector"],
                              values=value, aggfunc="first", dropna=False)
            .reindex(index=index, columns=columns))


def _convention(resamples: int, seed: int, level: float, scheme: str) -> str:
    return (f"percentile {level:.0%} interval over {resamples} bootstrap resamples, "
            f"numpy default_rng seed {seed}; {scheme}")


def bootstrap_intervals(cells: pd.DataFrame, ref: Reference, *,
                        resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                        level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Intervals, resampling countries, for the global sector means (pooled ratings),
    the regional sector and overall means (over country-sector means) of every
    variable, and the correlations of :data:`CORRELATION_PAIRS` (country x sector
    cells). ``cells`` is the ``country_sector_means`` table."""
    _check(resamples, level)
    rng = np.random.default_rng(seed)
    cells = cells[cells["variable"].isin(VARIABLES)]
    sectors = ref.sector_order
    columns = pd.MultiIndex.from_product([VARIABLES, sectors], names=["variable", "sector"])
    means = _wide(cells, "mean", columns)
    counts = _wide(cells, "n", columns).fillna(0).astype(float)
    region = cells.drop_duplicates("assessment_id").set_index("assessment_id")["region"]
    region = region.reindex(means.index)
    present = means.notna().to_numpy(float)
    m0 = means.fillna(0).to_numpy(float)
    n_mat = counts.to_numpy(float)
    sums = m0 * n_mat
    rows: list[dict] = []
    n_all = len(means)

    def emit(statistic, scope, reg, variable, sector, n, estimate, draws, scheme):
        lo, hi, used = percentile_interval(draws, level)
        for j, (var, sec) in enumerate(zip(variable, sector)):
            rows.append({"statistic": statistic, "scope": scope, "region": reg,
                         "variable": var, "sector": sec, "n_countries": n,
                         "estimate": float(estimate[j]), "ci_low": float(lo[j]),
                         "ci_high": float(hi[j]), "resamples_used": int(used[j]),
                         "convention": _convention(resamples, seed, level, scheme)})

    variables = columns.get_level_values(0).tolist()
    sector_of = columns.get_level_values(1).tolist()
    w_all = multiplicities(rng, n_all, resamples) if n_all else np.zeros((resamples, 0))
    emit("mean", "global", None, variables, sector_of, n_all,
         _ratio(sums.sum(0), n_mat.sum(0)), _ratio(w_all @ sums, w_all @ n_mat),
         f"all {n_all} countries resampled with replacement; pooled ratings of the "
         "resampled countries, blanks excluded")

    for reg in sorted(region.dropna().unique()):
        idx = np.flatnonzero((region == reg).to_numpy())
        w = multiplicities(rng, len(idx), resamples)
        few = (f"; with {len(idx)} countries the interval spans no more than their own "
               "values" if len(idx) < 3 else "")
        scheme = (f"the region's {len(idx)} countries resampled with replacement; mean "
                  f"of the resampled countries' sector means{few}")
        m_r, p_r = m0[idx], present[idx]
        emit("mean", "region", reg, variables, sector_of, len(idx),
             _ratio(m_r.sum(0), p_r.sum(0)), _ratio(w @ m_r, w @ p_r), scheme)
        by_var = [np.array([v == var for v in variables]) for var in VARIABLES]
        m_v = np.stack([m_r[:, mask].sum(1) for mask in by_var], axis=1)
        p_v = np.stack([p_r[:, mask].sum(1) for mask in by_var], axis=1)
        emit("mean", "region overall", reg, list(VARIABLES), [None] * len(VARIABLES),
             len(idx), _ratio(m_v.sum(0), p_v.sum(0)), _ratio(w @ m_v, w @ p_v),
             scheme.replace("sector means", "country x sector means"))

    stats, labels, n_cells = [], [], []
    for x, y in CORRELATION_PAIRS:
        xs, ys = means.get(x), means.get(y)
        if xs is None or ys is None:
            continue
        both = xs.notna() & ys.notna()
        xv, yv = xs.where(both, 0).to_numpy(float), ys.where(both, 0).to_numpy(float)
        b = both.to_numpy(float)
        stats.append(np.stack([b.sum(1), (xv * b).sum(1), (yv * b).sum(1),
                               (xv ** 2 * b).sum(1), (yv ** 2 * b).sum(1),
                               (xv * yv * b).sum(1)], axis=1))
        labels.append(f"{x} vs {y}")
        n_cells.append(int(b.sum()))
    for label, s, cells_n in zip(labels, stats, n_cells):
        boot = pearson_from_sums(w_all @ s)
        estimate = pearson_from_sums(s.sum(0, keepdims=True))
        emit("pearson r", "global", None, [label], [None], n_all, estimate,
             boot[:, None], f"all {n_all} countries resampled with replacement, each "
             f"with all its country x sector cells ({cells_n} cells with both means)")
    out = pd.DataFrame(rows, columns=INTERVAL_COLUMNS)
    log.info("Bootstrap intervals: %d statistics, %d resamples, seed %d", len(out),
             resamples, seed)
    return out


def pearson_from_sums(sums: np.ndarray) -> np.ndarray:
    """Pearson r per row of (n, sum x, sum y, sum x^2, sum y^2, sum xy); NaN where
    fewer than 3 pairs or a variable is constant."""
    n, sx, sy, sxx, syy, sxy = sums.T
    vx, vy = n * sxx - sx ** 2, n * syy - sy ** 2
    ok = (n >= 3) & (vx > 1e-12 * np.maximum(n * sxx, 1)) & (
        vy > 1e-12 * np.maximum(n * syy, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (n * sxy - sx * sy) / np.sqrt(np.where(ok, vx * vy, 1))
    return np.where(ok, np.clip(r, -1, 1), np.nan)


def country_rank_intervals(ratings: pd.DataFrame, info: pd.DataFrame, ref: Reference, *,
                           resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                           level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Per assessment: its mean maturity and rank (Figure 1), with intervals from
    resampling capabilities within sectors, the same draw for every country."""
    _check(resamples, level)
    rng = np.random.default_rng(seed)
    caps = ref.capabilities.sort_values("capability_no")
    wide = (ratings.pivot_table(index="assessment_id", columns="capability_no",
                                values="maturity", aggfunc="first")
            .reindex(columns=caps["capability_no"]).astype(float))
    present = wide.notna().to_numpy(float)
    values = wide.fillna(0).to_numpy(float)
    weights = np.zeros((resamples, len(caps)))
    for sector in ref.sector_order:
        cols = np.flatnonzero((caps["sector"] == sector).to_numpy())
        weights[:, cols] = multiplicities(rng, len(cols), resamples)
    boot_means = _ratio(weights @ values.T, weights @ present.T)
    observed = _ratio(values.sum(1), present.sum(1))
    boot_ranks = _ranks(boot_means)
    ranks = _ranks(observed[None, :])[0]
    tail = (1 - level) / 2
    r_lo, r_hi = np.quantile(boot_ranks, [tail, 1 - tail], axis=0, method="inverted_cdf")
    m_lo, m_hi, _ = percentile_interval(boot_means, level)
    scheme = ("rank 1 = highest mean, ties share the better rank; capabilities drawn "
              "with replacement within each sector, the same draw for every country; "
              "a country's mean over its rated capabilities in the draw")
    out = pd.DataFrame({
        "assessment_id": wide.index, "n": present.sum(1).astype(int), "mean": observed,
        "mean_low": m_lo, "mean_high": m_hi, "rank": ranks.astype(int),
        "rank_low": r_lo.astype(int), "rank_high": r_hi.astype(int),
        "resamples": resamples,
        "convention": _convention(resamples, seed, level, scheme)})
    out = out.merge(info[["assessment_id", "iso3", "country", "region"]],
                    on="assessment_id", how="left")
    out = out.sort_values(["rank", "assessment_id"], kind="stable")
    log.info("Rank intervals for %d assessments from %d resamples, seed %d", len(out),
             resamples, seed)
    return out[RANK_COLUMNS].reset_index(drop=True)


def _ranks(means: np.ndarray) -> np.ndarray:
    """Competition ranks per row, 1 = highest; a country with no mean ranks last."""
    keyed = np.where(np.isfinite(means), -np.round(means, 12), np.inf)
    return rankdata(keyed, method="min", axis=1)


__all__ = ["bootstrap_intervals", "country_rank_intervals", "multiplicities",
           "percentile_interval", "pearson_from_sums", "DEFAULT_RESAMPLES",
           "DEFAULT_SEED", "DEFAULT_LEVEL"]
