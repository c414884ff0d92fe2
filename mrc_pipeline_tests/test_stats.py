"""Statistics on tiny hand-checked inputs."""

import math

import pandas as pd
import pytest

from mrc_pipeline.stats import correlate, grouped_summary, round_half_up, summarise, truncate


def test_sample_sd_uses_ddof_1():
    # 1, 2, 3, 4: mean 2.5; squared deviations sum to 5; 5 / 3 -> sd 1.2910
    s = summarise([1, 2, 3, 4])
    assert (s.n, s.mean) == (4, 2.5)
    assert s.sd == pytest.approx(math.sqrt(5 / 3))


def test_blanks_are_missing_never_zero():
    # Counting the blank as 0 would give mean 2.0; dropping it gives 3.0.
    s = summarise([2, None, 4])
    assert (s.n, s.mean) == (2, 3.0)
    assert s.sd == pytest.approx(math.sqrt(2))


def test_single_value_has_no_sd_and_empty_has_no_mean():
    assert math.isnan(summarise([3]).sd)
    empty = summarise([None, None])
    assert empty.n == 0 and math.isnan(empty.mean)


def test_grouped_summary_counts_only_rated_values():
    frame = pd.DataFrame({"g": ["a", "a", "a", "b"],
                          "v": pd.array([1, pd.NA, 3, 4], dtype="Int64")})
    out = grouped_summary(frame, ["g"], "v").set_index("g")
    assert out.loc["a", "n"] == 2 and out.loc["a", "mean"] == 2.0
    assert out.loc["a", "sd"] == pytest.approx(math.sqrt(2))
    assert out.loc["b", "n"] == 1 and math.isnan(out.loc["b", "sd"])


def test_correlation_hand_checked():
    # x = 1..5, y = 2, 4, 5, 4, 5: Sxy = 6, Sxx = 10, Syy = 6, r = 6 / sqrt(60)
    c = correlate(pd.Series([1, 2, 3, 4, 5]), pd.Series([2, 4, 5, 4, 5]),
                  x_name="x", y_name="y", unit="test")
    assert c.n == 5
    assert c.pearson_r == pytest.approx(6 / math.sqrt(60))
    assert c.ci_low < c.pearson_r < c.ci_high
    assert 0 < c.pearson_p < 1 and c.reason == ""
    # Spearman: ranks 1..5 vs 1, 2.5, 4.5, 2.5, 4.5; Sxy = 7, Sxx = 10, Syy = 9
    assert c.spearman_rho == pytest.approx(7 / math.sqrt(90))


def test_correlation_drops_incomplete_pairs():
    c = correlate(pd.Series([1, 2, None, 4, 5]), pd.Series([1, 2, 3, None, 5]),
                  x_name="x", y_name="y", unit="test")
    assert c.n == 3 and c.pearson_r == pytest.approx(1.0)
    assert math.isnan(c.ci_low) and "n > 3" in c.reason


@pytest.mark.parametrize("x, y, reason", [
    ([1, 2], [2, 3], "only 2 complete pairs"),
    ([1, None, 3], [1, 2, None], "only 1 complete pairs"),
    ([2, 2, 2, 2], [1, 2, 3, 4], "x is constant"),
    ([1, 2, 3, 4], [3, 3, 3, 3], "y is constant"),
])
def test_degenerate_correlation_is_nan_with_reason(x, y, reason):
    c = correlate(pd.Series(x, dtype="float"), pd.Series(y, dtype="float"),
                  x_name="x", y_name="y", unit="test")
    assert math.isnan(c.pearson_r) and math.isnan(c.spearman_rho)
    assert math.isnan(c.pearson_p)
    assert reason in c.reason


def test_rounding_is_half_up_and_truncation_differs():
    assert round_half_up(2.345) == 2.35 and round_half_up(2.125) == 2.13
    assert truncate(2.2999999) == 2.29 and truncate(2.05) == 2.05
