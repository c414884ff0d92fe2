"""Bootstrap intervals and rank intervals on hand-built frames."""

import math

import numpy as np
import pandas as pd
import pytest

from mrc_pipeline import aggregate, bootstrap
from mrc_pipeline_tests.conftest import exported

PLG, CJ = "Policy Legislation and Governance", "Criminal Justice"


def cells(rows: list[tuple]) -> pd.DataFrame:
    """country_sector_means rows: (assessment, region, sector, variable, n, mean)."""
    frame = pd.DataFrame(rows, columns=["assessment_id", "region", "sector", "variable",
                                        "n", "mean"])
    frame["iso3"] = frame["assessment_id"].str[:3]
    frame["country"] = frame["iso3"]
    return frame


def pick(out: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=out.index)
    for column, value in where.items():
        mask &= out[column].isna() if value is None else out[column] == value
    assert mask.sum() == 1, where
    return out[mask].iloc[0]


def test_multiplicities_draw_n_units_per_resample():
    w = bootstrap.multiplicities(np.random.default_rng(1), 5, 100)
    assert w.shape == (100, 5) and (w.sum(axis=1) == 5).all()


def test_pearson_from_sums_hand_checked():
    # x = 1..5, y = 2, 4, 5, 4, 5: r = 6 / sqrt(60) (as in test_stats).
    x, y = np.arange(1, 6.0), np.array([2, 4, 5, 4, 5.0])
    sums = np.array([[5, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()]])
    assert bootstrap.pearson_from_sums(sums)[0] == pytest.approx(6 / math.sqrt(60))
    # A constant y, or fewer than 3 pairs, has no r.
    flat = np.array([[3, 6, 6, 14, 12, 12.0], [2, 3, 3, 5, 5, 5.0]])
    assert np.isnan(bootstrap.pearson_from_sums(flat)).all()


def test_estimates_follow_the_report_conventions(ref):
    # Maturity in PLG: A has 2 ratings averaging 2, B 4 ratings averaging 3, both in R.
    # Global (pooled): (2*2 + 4*3) / 6 = 2.667. Regional (country means): 2.5.
    frame = cells([("A-1", "R", PLG, "maturity", 2, 2.0),
                   ("B-1", "R", PLG, "maturity", 4, 3.0)])
    out = bootstrap.bootstrap_intervals(frame, ref, resamples=200, seed=3)
    glob = pick(out, scope="global", variable="maturity", sector=PLG)
    assert glob.estimate == pytest.approx(16 / 6) and glob.n_countries == 2
    reg = pick(out, scope="region", region="R", variable="maturity", sector=PLG)
    assert reg.estimate == pytest.approx(2.5)
    # Resampling two countries gives A,A / A,B / B,B: regional means 2, 2.5, 3.
    assert 2.0 <= reg.ci_low <= reg.ci_high <= 3.0
    assert "with 2 countries" in reg.convention
    overall = pick(out, scope="region overall", region="R", variable="maturity")
    assert overall.estimate == pytest.approx(2.5)
    # A sector nobody rated has no estimate and no resamples.
    empty = pick(out, scope="global", variable="maturity", sector=CJ)
    assert math.isnan(empty.estimate) and empty.resamples_used == 0


def test_identical_countries_give_a_point_interval(ref):
    frame = cells([(f"{c}-1", "R", PLG, "maturity", 2, 2.5) for c in "ABC"])
    out = bootstrap.bootstrap_intervals(frame, ref, resamples=100, seed=1)
    row = pick(out, scope="global", variable="maturity", sector=PLG)
    assert row.ci_low == row.ci_high == row.estimate == 2.5


def test_seed_and_resamples_fix_the_result(ref):
    frame = cells([(f"{c}-1", "R", s, v, 2, float(i % 4 + 1 + j))
                   for i, c in enumerate("ABCDE") for j, s in enumerate([PLG, CJ])
                   for v in ("maturity", "presence")])
    a = bootstrap.bootstrap_intervals(frame, ref, resamples=300, seed=7)
    b = bootstrap.bootstrap_intervals(frame, ref, resamples=300, seed=7)
    c = bootstrap.bootstrap_intervals(frame, ref, resamples=300, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["ci_low"].equals(c["ci_low"])
    assert a["convention"].str.contains("300 bootstrap resamples").all()
    assert a["convention"].str.contains("seed 7").all()
    with pytest.raises(ValueError, match="resamples"):
        bootstrap.bootstrap_intervals(frame, ref, resamples=0)


def test_correlation_interval_matches_the_correlations_table(shipped, ref):
    table = aggregate.country_sector_means(shipped, shipped["info"])
    out = bootstrap.bootstrap_intervals(table, ref, resamples=500, seed=5)
    spine = aggregate.correlations(table).set_index("y")
    for y in ("presence", "change"):
        row = pick(out, statistic="pearson r", variable=f"maturity vs {y}")
        assert row.estimate == pytest.approx(spine.loc[y, "pearson_r"])
        assert row.ci_low < row.estimate < row.ci_high
        assert f"{int(spine.loc[y, 'n'])} cells" in row.convention


def ratings(table: dict[str, list]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """capability_ratings and assessment_info from {assessment: 20 ratings}."""
    rows = [(aid, no, value) for aid, values in table.items()
            for no, value in enumerate(values, start=1)]
    frame = pd.DataFrame(rows, columns=["assessment_id", "capability_no", "maturity"])
    frame["maturity"] = frame["maturity"].astype("Float64")
    info = pd.DataFrame({"assessment_id": list(table), "iso3": [a[:3] for a in table],
                         "country": [a[:3] for a in table], "region": "R"})
    return frame, info


def test_rank_intervals_of_a_clear_ordering(ref):
    # A beats B beats C on every capability: ranks 1, 2, 3 in every resample.
    frame, info = ratings({"AAA-1": [4] * 20, "BBB-1": [3] * 20, "CCC-1": [1] * 20})
    out = bootstrap.country_rank_intervals(frame, info, ref, resamples=200, seed=2)
    assert out["assessment_id"].tolist() == ["AAA-1", "BBB-1", "CCC-1"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert (out["rank_low"] == out["rank"]).all() and (out["rank_high"] == out["rank"]).all()
    assert out["mean"].tolist() == [4.0, 3.0, 1.0]


def test_rank_intervals_ties_and_blanks(ref):
    # A and B equal (ties share rank 1, C is 3rd). C has one blank: mean over 19.
    c = [2] * 19 + [None]
    frame, info = ratings({"AAA-1": [3] * 20, "BBB-1": [3] * 20, "CCC-1": c})
    out = bootstrap.country_rank_intervals(frame, info, ref, resamples=100, seed=2)
    ranks = out.set_index("assessment_id")
    assert ranks.loc["AAA-1", "rank"] == ranks.loc["BBB-1", "rank"] == 1
    assert ranks.loc["CCC-1", "rank"] == 3 and ranks.loc["CCC-1", "n"] == 19
    assert ranks.loc["CCC-1", "mean"] == 2.0


def test_rank_draws_stay_within_sectors(ref):
    # A is 4 on both Policy capabilities (1, 2) and 1 elsewhere: mean (8 + 18) / 20 =
    # 1.3. Capabilities are drawn within their sector, so every draw takes two Policy
    # capabilities, both rated 4, and A's mean never moves.
    frame, info = ratings({"AAA-1": [4, 4] + [1] * 18, "BBB-1": [2] * 20})
    out = bootstrap.country_rank_intervals(frame, info, ref, resamples=300, seed=4)
    row = out.set_index("assessment_id").loc["AAA-1"]
    assert row["mean"] == pytest.approx(1.3) and row["rank"] == 2
    assert row["mean_low"] == row["mean_high"] == pytest.approx(1.3)
    # A rated 4 and 1 on the two Policy capabilities: the draws (1, 1), (1, 2) and
    # (2, 2) give it 8, 5 or 2 points there, a mean of 1.3, 1.15 or 1.0.
    frame, info = ratings({"AAA-1": [4, 1] + [1] * 18, "BBB-1": [2] * 20})
    out = bootstrap.country_rank_intervals(frame, info, ref, resamples=300, seed=4)
    row = out.set_index("assessment_id").loc["AAA-1"]
    assert row["mean"] == pytest.approx(1.15)
    assert row["mean_low"] == pytest.approx(1.0) and row["mean_high"] == pytest.approx(1.3)
    assert "same draw for every country" in row["convention"]


def test_bootstrap_exports(pipeline_run):
    _, output = pipeline_run
    intervals = exported(output, "bootstrap_intervals")
    assert set(intervals.columns) >= {"estimate", "ci_low", "ci_high", "convention"}
    assert intervals["convention"].str.contains("2000 bootstrap resamples").all()
    assert intervals["convention"].str.contains(f"seed {bootstrap.DEFAULT_SEED}").all()
    assert (intervals.statistic == "pearson r").sum() == 2
    ok = intervals.dropna(subset=["estimate"])
    assert (ok.ci_low <= ok.estimate + 1e-9).all() and (ok.estimate <= ok.ci_high + 1e-9).all()
    ranks = exported(output, "country_rank_intervals")
    assert len(ranks) == 11 and ranks["rank"].is_monotonic_increasing
    assert ((ranks.rank_low <= ranks["rank"]) & (ranks["rank"] <= ranks.rank_high)).all()


def test_assessment_with_nothing_rated_does_not_break_the_intervals(ref):
    # C rated nothing (n = 0, mean missing): it still counts as a drawn country, so
    # a resample of {A, C, C} has A's 2 ratings only. The estimate pools A and B:
    # (2 x 2 + 2 x 3) / 4 = 2.5.
    frame = cells([("A-1", "R", PLG, "maturity", 2, 2.0), ("B-1", "R", PLG, "maturity", 2, 3.0),
                   ("C-1", "R", PLG, "maturity", 0, float("nan"))])
    out = bootstrap.bootstrap_intervals(frame, ref, resamples=200, seed=3)
    row = pick(out, scope="global", variable="maturity", sector=PLG)
    assert row.n_countries == 3 and row.estimate == 2.5
    assert 2.0 <= row.ci_low <= row.ci_high <= 3.0
