"""Change between assessment rounds of one country, with no Dagster in sight.

A country assessed more than once has *rounds*, ordered by year; each pair of
consecutive rounds (earlier, later) is compared:

- per capability: the later maturity rating minus the earlier one; when either round
  left the capability blank there is no difference (blank is missing, never 0);
- per sector and variable (maturity, priority, presence, realistic change): the mean
  of the later round's ratings in the sector minus the mean of the earlier round's,
  each round's mean over its own non-blank ratings (the report's pooled convention;
  gaps and recommendations differ between rounds, so ratings are not paired), with
  the number of ratings of each round.
"""

from __future__ import annotations

import pandas as pd

from mrc_pipeline.aggregate import VARIABLE_SOURCES
from mrc_pipeline.reference import Reference

CAPABILITY_CONVENTION = ("later round's maturity minus the earlier round's; no "
                         "difference when either is blank")
SECTOR_CONVENTION = ("mean of the later round's ratings in the sector minus the "
                     "earlier round's; each mean over that round's non-blank ratings")

COLUMNS = ["iso3", "country", "region", "assessment_earlier", "assessment_later",
           "year_earlier", "year_later", "level", "variable", "sector", "capability_no",
           "earlier", "later", "difference", "n_earlier", "n_later", "convention"]


def round_pairs(info: pd.DataFrame) -> pd.DataFrame:
    """Consecutive rounds of every country with two or more assessments: one row per
    (earlier, later) pair with both ids and years."""
    cols = ["iso3", "country", "region", "assessment_id", "year"]
    rounds = info[cols].dropna(subset=["iso3", "year"]).sort_values(["iso3", "year"])
    rounds = rounds.assign(
        assessment_later=rounds.groupby("iso3")["assessment_id"].shift(-1),
        year_later=rounds.groupby("iso3")["year"].shift(-1))
    pairs = rounds.dropna(subset=["assessment_later"]).rename(
        columns={"assessment_id": "assessment_earlier", "year": "year_earlier"})
    pairs = pairs.astype({"year_earlier": "Int64", "year_later": "Int64"})
    return pairs[["iso3", "country", "region", "assessment_earlier", "assessment_later",
                  "year_earlier", "year_later"]].reset_index(drop=True)


def _capability_rows(pairs: pd.DataFrame, ratings: pd.DataFrame,
                     ref: Reference) -> pd.DataFrame:
    rated = ratings[["assessment_id", "capability_no", "maturity"]]
    out = pairs.merge(ref.capabilities[["capability_no", "sector"]], how="cross")
    for side in ("earlier", "later"):
        out = out.merge(rated.rename(columns={"assessment_id": f"assessment_{side}",
                                              "maturity": side}),
                        on=[f"assessment_{side}", "capability_no"], how="left")
        out[side] = pd.to_numeric(out[side]).astype("Float64").astype(float)
        out[f"n_{side}"] = out[side].notna().astype(int)
    out["difference"] = out["later"] - out["earlier"]
    return out.assign(level="capability", variable="maturity",
                      convention=CAPABILITY_CONVENTION)


def _sector_rows(pairs: pd.DataFrame, cells: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    means = cells[["assessment_id", "sector", "variable", "n", "mean"]]
    grid = pd.DataFrame([(s, v) for s in ref.sector_order for v in VARIABLE_SOURCES],
                        columns=["sector", "variable"])
    out = pairs.merge(grid, how="cross")
    for side in ("earlier", "later"):
        out = out.merge(means.rename(columns={"assessment_id": f"assessment_{side}",
                                              "n": f"n_{side}", "mean": side}),
                        on=[f"assessment_{side}", "sector", "variable"], how="left")
        out[f"n_{side}"] = out[f"n_{side}"].fillna(0).astype(int)
    out["difference"] = out["later"] - out["earlier"]
    return out.assign(level="sector", capability_no=pd.NA, convention=SECTOR_CONVENTION)


def country_progress(info: pd.DataFrame, ratings: pd.DataFrame, cells: pd.DataFrame,
                     ref: Reference) -> pd.DataFrame:
    """Change per capability (maturity) and per sector (every variable) between
    consecutive rounds of each country assessed more than once.

    ``info``: one row per assessment (``assessment_info``); ``ratings``: capability
    ratings; ``cells``: the country x sector means (``country_sector_means``).
    """
    pairs = round_pairs(info)
    if len(pairs):
        out = pd.concat([_capability_rows(pairs, ratings, ref),
                         _sector_rows(pairs, cells, ref)], ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    sector_order = {s: i for i, s in enumerate(ref.sector_order)}
    variable_order = {v: i for i, v in enumerate(VARIABLE_SOURCES)}
    out = out.assign(_l=out["level"].map({"capability": 0, "sector": 1}),
                     _v=out["variable"].map(variable_order),
                     _s=out["sector"].map(sector_order))
    out = out.sort_values(["iso3", "year_earlier", "_l", "_v", "_s", "capability_no"],
                          kind="stable").drop(columns=["_l", "_v", "_s"])
    out = out[COLUMNS].reset_index(drop=True)
    return out.astype({"year_earlier": "Int64", "year_later": "Int64",
                       "capability_no": "Int64", "earlier": float, "later": float,
                       "difference": float, "n_earlier": "int64", "n_later": "int64"})
