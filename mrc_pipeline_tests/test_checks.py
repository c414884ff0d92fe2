"""The feasibility checks on hand-computed cases."""

import math

import pytest

from mrc_pipeline.checks import (
    correlation_within_bounds,
    display_convention,
    display_interval,
    grim,
    grim_totals,
    integer_sd_range,
    max_sd,
    mean_within_scale,
    parts_whole_mean,
    parts_whole_sd,
    pooled_sd_interval,
    sd_range,
    sd_within_scale,
    truncate_as_stored,
)


def test_display_intervals():
    # Rounded, 2.04 stands for 2.035..2.045; truncated, for 2.04..2.05.
    assert display_interval(2.04) == pytest.approx((2.035, 2.045))
    assert display_interval(2.04, display="truncate") == pytest.approx((2.04, 2.05))
    with pytest.raises(ValueError, match="round"):
        display_interval(2.04, display="floor")


def test_grim_2_04_is_no_mean_of_20_ratings_but_2_05_is():
    # 2.04 * 20 = 40.8: 40/20 = 2.00 and 41/20 = 2.05 are the nearest; neither rounds
    # to 2.04. 2.05 = 41/20 exactly.
    fails = grim(2.04, 20)
    assert not fails.passed
    assert "40/20 = 2.00" in fails.reason and "41/20 = 2.05" in fails.reason
    assert grim(2.05, 20).passed and "41/20" in grim(2.05, 20).reason
    # Truncated, 2.04 covers 2.04..2.05, and 41/20 sits at the top.
    assert grim(2.04, 20, display="truncate").passed


def test_grim_totals_for_table_4_means():
    # n = 11: 1.91 -> 21/11 = 1.9091; 2.09 -> 23/11 = 2.0909; 2.27 -> 25/11 = 2.2727.
    assert grim_totals(1.91, 11) == [21]
    assert grim_totals(2.09, 11) == [23]
    assert grim_totals(2.27, 11) == [25]
    # 2.29 * 7 = 16.03: 16/7 = 2.2857 rounds to 2.29, so n = 7 is possible.
    assert grim_totals(2.29, 7) == [16]
    # With more ratings than 100 every 2-decimal mean is possible: 2.04 = 204/100.
    assert grim_totals(2.04, 100) == [204]
    # The scale clips the sums: 3 ratings on 1-4 sum to at most 12.
    assert grim_totals(4.0, 3, scale=(1, 4)) == [12]
    with pytest.raises(ValueError):
        grim_totals(2.0, 0)


def test_integer_sd_range_hand_cases():
    # n = 3, sum 6 on 1-4: smallest (2, 2, 2) -> 0; largest (4, 1, 1): squares 18,
    # 18 - 36/3 = 6, sd = sqrt(6/2) = 1.7321.
    assert integer_sd_range(3, 6, 1, 4) == pytest.approx((0.0, math.sqrt(3)))
    # n = 4, sum 10: smallest (2, 2, 3, 3): squares 26 - 100/4 = 1, sd = sqrt(1/3);
    # largest (4, 4, 1, 1): 34 - 25 = 9, sd = sqrt(3).
    assert integer_sd_range(4, 10, 1, 4) == pytest.approx((math.sqrt(1 / 3), math.sqrt(3)))
    # n = 11, sum 21 (mean 1.91): smallest ten 2s and one 1: 1 * 10 / 11 / 10 -> 0.3015;
    # largest: (21 - 11) // 3 = 3 fours, then 21 - 12 - 7 = 2, then seven 1s ->
    # 3*16 + 4 + 7 = 59, 59 - 441/11 = 18.909, sd = sqrt(1.8909) = 1.3751.
    lo, hi = integer_sd_range(11, 21, 1, 4)
    assert lo == pytest.approx(math.sqrt(10 / 11 / 10))
    assert hi == pytest.approx(math.sqrt((59 - 441 / 11) / 10))
    # All at the top or bottom of the scale: no spread at all.
    assert integer_sd_range(3, 12, 1, 4) == (0.0, 0.0)
    assert integer_sd_range(3, 3, 1, 4) == (0.0, 0.0)
    with pytest.raises(ValueError, match="cannot sum"):
        integer_sd_range(3, 13, 1, 4)
    with pytest.raises(ValueError, match="n >= 2"):
        integer_sd_range(1, 2, 1, 4)


def test_sd_range_check():
    # Table 4 capability 3: mean 1.91 (21/11), SD 0.30: the smallest possible SD,
    # 0.3015, rounds to 0.30.
    assert sd_range(1.91, 0.30, 11, (1, 4)).passed
    # n = 11 ratings with mean 1.91 cannot spread further than 1.3751.
    too_wide = sd_range(1.91, 1.40, 11, (1, 4))
    assert not too_wide.passed and "above the largest" in too_wide.reason
    # Mean 2.00 with n = 11 (sum 22): eleven 2s give SD 0, as capability 4 has.
    assert sd_range(2.00, 0.00, 11, (1, 4)).passed
    # A mean no 11 ratings have leaves the SD untested (GRIM reports the mean).
    assert "not tested" in sd_range(2.04, 0.5, 11, (1, 4)).reason


def test_scale_bounds_of_means():
    # Africa's Industry presence 0.75 on a 1-4 scale: below the minimum.
    low = mean_within_scale(0.75, (1, 4), what="presence (1-4)")
    assert not low.passed and "below the scale minimum 1 of presence (1-4)" in low.reason
    # 1.00 (and 0.996 rounding up to 1.00) is on the scale.
    assert mean_within_scale(1.00, (1, 4)).passed
    high = mean_within_scale(5.2, (1, 5))
    assert not high.passed and "above the scale maximum 5" in high.reason


def test_scale_bounds_of_sds():
    # n = 2 on 1-4 with mean 2.5: the values 1 and 4, sd = 3 / sqrt(2) = 2.1213.
    assert max_sd(2, 2.5, (1, 4)) == pytest.approx(3 / math.sqrt(2))
    assert sd_within_scale(2.5, 2.12, 2, (1, 4)).passed
    # Mean 2.57 on 1-5 with n = 23: at most sqrt(23/22 * 1.575 * 2.425) = 1.998, so
    # 2.05 is too large; 2.045^2 / (1.575 * 2.425) = 1.095 -> n <= 11.
    wide = sd_within_scale(2.57, 2.05, 23, (1, 5))
    assert not wide.passed and "n <= 11" in wide.reason
    # Values on 1-4 with mean 1.5 spread at most sqrt(2 * 0.5 * 2.5) = 1.58 even at
    # n = 2, so an SD of 3 is impossible for every n.
    assert "no n reaches it" in sd_within_scale(1.5, 3.0, 5, (1, 4)).reason
    assert sd_within_scale(2.0, 1.0, 1, (1, 4)).passed  # n = 1: nothing to test


def test_parts_and_whole_criminal_justice():
    # Capabilities 3-6 (n = 11 each): 1.91, 2.00, 1.91, 2.09 -> (21+22+21+23)/44 =
    # 87/44 = 1.977; rounded parts allow 1.9725..1.9825. 1.82 is below every part.
    parts = [1.91, 2.00, 1.91, 2.09]
    kwargs = {"labels": ["3", "4", "5", "6"], "part_noun": "capability mean",
              "weighting": "n-weighted"}
    low = parts_whole_mean(1.82, parts, parts, [11] * 4, **kwargs)
    assert not low.passed
    assert "below the smallest capability mean, 1.91" in low.reason
    assert "1.9775" in low.reason
    assert parts_whole_mean(1.98, parts, parts, [11] * 4, **kwargs).passed


def test_parts_and_whole_within_range_but_not_the_weighted_mean():
    # Research and Data: 2.55 and 1.91 (n = 11 each) average 2.23; 2.14 lies between
    # them but is not their mean.
    check = parts_whole_mean(2.14, [2.55, 1.91], [2.55, 1.91], [11, 11],
                             labels=["19", "20"], part_noun="capability mean",
                             weighting="n-weighted")
    assert not check.passed
    assert "between the smallest and the largest" in check.reason and "2.2300" in check.reason


def test_parts_and_whole_global_against_regions():
    # Country-weighted regional means 2 x [4.25, 4.67], 6 x 3.24, 3 x 4.60: at least
    # (8.5 + 19.44 + 13.8) / 11 = 3.79, so a global 2.52 is impossible and a global
    # 3.85 possible.
    kwargs = {"labels": ["Africa", "America", "Eurasia"], "part_noun": "regional mean",
              "weighting": "country-weighted"}
    lows, highs, weights = [4.25, 3.24, 4.60], [4.67, 3.24, 4.60], [2, 6, 3]
    low = parts_whole_mean(2.52, lows, highs, weights, **kwargs)
    assert not low.passed and "below the smallest regional mean, 3.24" in low.reason
    assert parts_whole_mean(3.85, lows, highs, weights, **kwargs).passed


def test_pooled_sd_interval_exact_parts():
    # Parts {1, 3} and {3, 5}: means 2 and 4, SDs sqrt(2); pooled {1, 3, 3, 5}: mean
    # 3, squares about it 8, sd = sqrt(8/3) = 1.633. Exact bounds give one value.
    r2 = math.sqrt(2)
    lo, hi = pooled_sd_interval([2, 2], [(2, 2), (4, 4)], [(r2, r2), (r2, r2)])
    assert lo == pytest.approx(math.sqrt(8 / 3)) and hi == pytest.approx(math.sqrt(8 / 3))


def test_pooled_sd_interval_with_free_means():
    # Two parts of 2 values with SD 0 whose means may lie anywhere in [1, 3]: the
    # pooled SD is 0 when both means are equal and largest with means 1 and 3:
    # {1, 1, 3, 3}, squares 4, sd = sqrt(4/3).
    lo, hi = pooled_sd_interval([2, 2], [(1, 3), (1, 3)], [(0, 0), (0, 0)])
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(math.sqrt(4 / 3))
    # Disjoint means [1, 2] and [3, 4]: the closest pair is 2 and 3 -> {2, 2, 3, 3},
    # squares 1, sd = sqrt(1/3).
    lo, _ = pooled_sd_interval([2, 2], [(1, 2), (3, 4)], [(0, 0), (0, 0)])
    assert lo == pytest.approx(math.sqrt(1 / 3))


def test_parts_whole_sd_industry():
    # Capabilities 16-18: mean 1.91 and SD 0.30 each, n = 11: all three alike, so the
    # pooled SD is sqrt(3 * 10 * 0.09 / 32) = 0.29, never 0.63.
    check = parts_whole_sd(0.63, [11] * 3, [1.91] * 3, [0.30] * 3, parts="capabilities")
    assert not check.passed and "cannot be pooled" in check.reason
    assert parts_whole_sd(0.29, [11] * 3, [1.91] * 3, [0.30] * 3,
                          parts="capabilities").passed


def test_correlation_bounds():
    assert correlation_within_bounds(0.30).passed
    assert not correlation_within_bounds(1.2).passed


def test_rounding_versus_truncation():
    # 46/20 = 2.3 is stored as 2.2999999999999998: cut to 2 places it shows 2.29.
    assert truncate_as_stored(46 / 20) == 2.29
    assert truncate_as_stored(41 / 20) == 2.04
    # 39/20 = 1.95 and 43/20 = 2.15 are exact after * 100: truncation keeps them.
    assert truncate_as_stored(39 / 20) == 1.95 and truncate_as_stored(43 / 20) == 2.15
    romania = display_convention(2.29, 46 / 20)
    assert romania.passed and "truncation, not rounding" in romania.reason
    assert display_convention(2.25, 45 / 20).passed  # rounding gives it
    assert "rounding gives" in display_convention(2.25, 45 / 20).reason
    neither = display_convention(2.20, 2.3)
    assert not neither.passed and "neither" in neither.reason


def test_integer_sd_range_matches_every_arrangement():
    # Every multiset of n ratings on 1-4 (n = 2..5), grouped by sum: the smallest and
    # largest sample SD seen must be the ones integer_sd_range gives.
    from itertools import combinations_with_replacement
    from statistics import stdev

    for n in range(2, 6):
        seen: dict[int, list[float]] = {}
        for values in combinations_with_replacement(range(1, 5), n):
            seen.setdefault(sum(values), []).append(stdev(values))
        for total, sds in seen.items():
            assert integer_sd_range(n, total, 1, 4) == pytest.approx(
                (min(sds), max(sds)), abs=1e-12), (n, total)
