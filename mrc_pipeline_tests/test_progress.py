"""country_progress on tiny hand-built frames: change between rounds of a country."""

import math

import pandas as pd

from mrc_pipeline.progress import COLUMNS, country_progress, round_pairs

PLG = "Policy Legislation and Governance"
CJ = "Criminal Justice"


def info(*rows):
    frame = pd.DataFrame(rows, columns=["assessment_id", "iso3", "year"])
    frame["country"] = frame["iso3"]
    frame["region"] = "America"
    frame["year"] = frame["year"].astype("Int64")
    return frame


def ratings(rows):
    frame = pd.DataFrame(rows, columns=["assessment_id", "capability_no", "sector",
                                        "maturity"])
    return frame.astype({"capability_no": "Int64", "maturity": "Int64"})


def cells(rows):
    return pd.DataFrame(rows, columns=["assessment_id", "sector", "variable", "n", "mean"])


def test_round_pairs_are_consecutive_by_year():
    # COL assessed in 2024, 2020 and 2022 (out of order); ECU once.
    pairs = round_pairs(info(("COL-2024", "COL", 2024), ("COL-2020", "COL", 2020),
                             ("ECU-2023", "ECU", 2023), ("COL-2022", "COL", 2022)))
    assert pairs[["assessment_earlier", "assessment_later"]].values.tolist() == [
        ["COL-2020", "COL-2022"], ["COL-2022", "COL-2024"]]
    assert pairs["year_later"].tolist() == [2022, 2024]


def test_capability_and_sector_change(ref):
    inf = info(("COL-2022", "COL", 2022), ("COL-2024", "COL", 2024))
    # Capability 1: 1 -> 3 (difference +2); capability 2: 2 -> blank (no difference);
    # capability 3: blank -> 4 (no difference).
    rat = ratings([("COL-2022", 1, PLG, 1), ("COL-2022", 2, PLG, 2), ("COL-2022", 3, CJ, None),
                   ("COL-2024", 1, PLG, 3), ("COL-2024", 2, PLG, None), ("COL-2024", 3, CJ, 4)])
    # Sector means as country_sector_means has them: PLG maturity 1.5 (n 2) -> 3.0 (n 1);
    # CJ priority 4.0 (n 3) -> 2.5 (n 2).
    cel = cells([("COL-2022", PLG, "maturity", 2, 1.5), ("COL-2024", PLG, "maturity", 1, 3.0),
                 ("COL-2022", CJ, "priority", 3, 4.0), ("COL-2024", CJ, "priority", 2, 2.5)])
    out = country_progress(inf, rat, cel, ref)
    assert list(out.columns) == COLUMNS
    caps = out[out.level == "capability"].set_index("capability_no")
    assert len(caps) == 20  # every capability of the instrument, rated or not
    assert (caps.loc[1, ["earlier", "later", "difference"]].tolist() == [1.0, 3.0, 2.0])
    assert caps.loc[1, "n_earlier"] == 1 and caps.loc[1, "n_later"] == 1
    assert math.isnan(caps.loc[2, "difference"]) and caps.loc[2, "n_later"] == 0
    assert math.isnan(caps.loc[3, "difference"]) and caps.loc[3, "n_earlier"] == 0
    assert (caps["year_earlier"] == 2022).all() and (caps["year_later"] == 2024).all()
    sec = out[out.level == "sector"].set_index(["sector", "variable"])
    assert len(sec) == 6 * 4  # every sector x variable
    assert sec.loc[(PLG, "maturity"), "difference"] == 1.5
    assert sec.loc[(PLG, "maturity"), ["n_earlier", "n_later"]].tolist() == [2, 1]
    assert sec.loc[(CJ, "priority"), "difference"] == -1.5
    # A sector with no ratings in either round: n 0 and no difference.
    assert sec.loc[(CJ, "change"), ["n_earlier", "n_later"]].tolist() == [0, 0]
    assert math.isnan(sec.loc[(CJ, "change"), "difference"])


def test_single_round_countries_give_an_empty_typed_table(ref):
    out = country_progress(info(("COL-2022", "COL", 2022), ("ECU-2024", "ECU", 2024)),
                           ratings([("COL-2022", 1, PLG, 1)]),
                           cells([("COL-2022", PLG, "maturity", 1, 1.0)]), ref)
    assert out.empty and list(out.columns) == COLUMNS
    assert str(out["difference"].dtype) == "float64"
