"""Aggregation conventions on a hand-built two-country frame."""

import math

import pandas as pd
import pytest

from mrc_pipeline import aggregate

INFO = pd.DataFrame({"assessment_id": ["AAA-2023", "BBB-2023"], "iso3": ["KEN", "UGA"],
                     "country": ["Kenya", "Uganda"], "region": ["Africa", "Africa"]})


def ratings():
    # Kenya rates capabilities 1, 2 (Policy) and 3 (Criminal Justice); Uganda leaves 2
    # blank. Capabilities 4-20 are left out of this tiny frame.
    return pd.DataFrame({
        "assessment_id": ["AAA-2023"] * 3 + ["BBB-2023"] * 3,
        "capability_no": [1, 2, 3, 1, 2, 3],
        "sector": ["Policy Legislation and Governance"] * 2 + ["Criminal Justice"]
        + ["Policy Legislation and Governance"] * 2 + ["Criminal Justice"],
        "maturity": pd.array([2, 4, 1, 3, pd.NA, 2], dtype="Int64"),
    })


def test_capability_pools_countries_and_skips_blanks(ref):
    out = aggregate.maturity_by_capability(ratings(), ref).set_index("capability_no")
    assert out.loc[1, "n"] == 2 and out.loc[1, "mean"] == 2.5
    assert out.loc[1, "sd"] == pytest.approx(math.sqrt(0.5))
    assert out.loc[2, "n"] == 1 and out.loc[2, "mean"] == 4.0 and math.isnan(out.loc[2, "sd"])
    assert out.loc[20, "n"] == 0 and math.isnan(out.loc[20, "mean"])


def test_sector_pools_country_by_capability_cells(ref):
    out = aggregate.maturity_by_sector(ratings(), ref).set_index("sector")
    policy = out.loc["Policy Legislation and Governance"]
    # 2, 4, 3 (the blank left out): mean 3, sd 1
    assert (policy["n"], policy["mean"], policy["sd"]) == (3, 3.0, 1.0)


def test_country_mean_and_labelled_alternative(ref):
    out = aggregate.maturity_by_country(ratings(), INFO, ref).set_index("iso3")
    # Kenya: (2 + 4 + 1) / 3; mean of sector means: (3 + 1) / 2 = 2
    assert out.loc["KEN", "mean"] == pytest.approx(7 / 3)
    assert out.loc["KEN", "mean_of_sector_means"] == 2.0
    # Uganda: (3 + 2) / 2 with the blank missing, and 18 capabilities missing
    assert out.loc["UGA", "mean"] == 2.5 and out.loc["UGA", "n_missing"] == 18


def test_region_figures_are_over_country_sector_means(ref):
    tables = {"capability_ratings": ratings(),
              "gaps": pd.DataFrame(columns=["assessment_id", "sector", "priority",
                                            "presence"]),
              "recommendations": pd.DataFrame(columns=["assessment_id", "sector",
                                                       "realistic_change"])}
    cells = aggregate.country_sector_means(tables, INFO)
    out = aggregate.maturity_by_region(cells, ref)
    policy = out[out.sector == "Policy Legislation and Governance"].iloc[0]
    # Country sector means 3 (Kenya) and 3 (Uganda): mean 3, sd 0, n = 2 countries
    assert (policy["n"], policy["mean"], policy["sd"]) == (2, 3.0, 0.0)
    overall = out[out.scope == "overall"].iloc[0]
    # Over the four country x sector means 3, 1, 3, 2
    assert overall["n"] == 4 and overall["mean"] == 2.25
    assert overall["sd"] == pytest.approx(pd.Series([3, 1, 3, 2]).std(ddof=1))
    cj = out[out.sector == "Criminal Justice"].iloc[0]
    assert bool(cj["is_lowest"]) and not bool(policy["is_lowest"])
