"""Report sentences on hand-built frames, and the HTML they render into."""

import math

import pandas as pd
import pytest

from mrc_pipeline import aggregate, report
from mrc_pipeline.report import ReportInputs

POLICY = "Policy Legislation and Governance"
CJ = "Criminal Justice"


def test_join_words():
    assert report.join_words([]) == ""
    assert report.join_words(["A"]) == "A"
    assert report.join_words(["A", "B"]) == "A and B"
    assert report.join_words(["A", "B", "C"]) == "A, B and C"


def test_level_phrase_places_a_mean_between_levels(ref):
    assert report.level_phrase(2.0, ref, "maturity") == "at Improvement (2)"
    assert report.level_phrase(2.3, ref, "maturity") == (
        "between Improvement (2) and Integration (3)")
    # 1.996 shows as 2.00, so it is placed at level 2, as a reader would.
    assert report.level_phrase(1.996, ref, "maturity") == "at Improvement (2)"
    assert report.level_phrase(4.0, ref, "maturity") == "at Maturity (4)"
    assert report.level_phrase(4.5, ref, "priority") == "between Harmful (4) and Urgent (5)"
    assert report.level_phrase(math.nan, ref, "maturity") == "not computed"


def test_extremes_names_every_tie_and_skips_missing():
    frame = pd.DataFrame({"name": list("ABCDE"), "v": [3.0, 2.0, 2.0, 1.0, math.nan]})
    # Top 2: A, then B and C tie for second.
    assert report.extremes(frame, "v", 2)["name"].tolist() == ["A", "B", "C"]
    assert report.extremes(frame, "v", 1, highest=False)["name"].tolist() == ["D"]
    assert report.extremes(frame.iloc[4:], "v").empty


def test_m_sd_leaves_out_an_undefined_sd():
    assert report.m_sd(2.345, 0.5, 22, "ratings") == "M = 2.35, SD = 0.50, n = 22 ratings"
    assert report.m_sd(4.0, math.nan) == "M = 4.00"


def countries(means: list[float]) -> pd.DataFrame:
    # Four assessments: two in Africa, two in Eurasia.
    return pd.DataFrame({
        "country": ["Kenya", "Uganda", "Moldova", "Romania"],
        "assessment_id": ["KEN-2023", "UGA-2023", "MDA-2023", "ROU-2024"],
        "region": ["Africa", "Africa", "Eurasia", "Eurasia"],
        "n": [20, 20, 20, 20], "mean": means})


def test_country_ranking_sentences(ref):
    out = report.country_ranking_sentences(countries([2.15, 2.05, 1.5, 2.3]), ref,
                                            k_high=2, k_low=1)
    assert out[0] == ("Ranked by mean maturity over their rated capabilities, the highest "
                      "of the 4 assessments are Romania (2.30) and Kenya (2.15).")
    assert out[1] == "The lowest is Moldova (1.50)."
    assert out[2] == ("Country means run from 1.50 (Moldova) to 2.30 (Romania). Of the 4 "
                      "means, 3 lie between Improvement (2) and Integration (3) and 1 "
                      "between Construction (1) and Improvement (2).")
    # SD of Africa's 2.15, 2.05 = 0.0707; of Eurasia's 1.5, 2.3 = 0.5657.
    assert out[3] == ("Country means vary most within Eurasia (SD = 0.57 over 2 assessments)"
                      " and least within Africa (SD = 0.07 over 2).")


def test_country_ranking_extends_over_ties(ref):
    # Kenya and Uganda tie for second place: both are named among the top two.
    out = report.country_ranking_sentences(countries([2.1, 2.1, 1.5, 2.3]), ref,
                                            k_high=2, k_low=1)
    assert out[0].endswith("are Romania (2.30), Kenya (2.10) and Uganda (2.10).")
    assert out[1] == "The lowest is Moldova (1.50)."


def test_changing_one_rating_changes_the_ranking_sentence(shipped, ref):
    ratings = shipped["capability_ratings"].copy()
    info = shipped["info"]

    def top_sentence(frame: pd.DataFrame) -> str:
        by_country = aggregate.maturity_by_country(frame, info, ref)
        return report.country_ranking_sentences(by_country, ref)[0]

    assert top_sentence(ratings) == (
        "Ranked by mean maturity over their rated capabilities, the highest of the 11 "
        "assessments are Romania (2.30), Indonesia (2.25) and Colombia (2.20).")
    # Indonesia rated capability 3 at 2; at 4 its mean rises by 2/20 to 2.35, above
    # Romania's 2.30.
    cell = (ratings["assessment_id"] == "IDN-2024") & (ratings["capability_no"] == 3)
    assert ratings.loc[cell, "maturity"].tolist() == [2]
    ratings.loc[cell, "maturity"] = 4
    assert top_sentence(ratings) == (
        "Ranked by mean maturity over their rated capabilities, the highest of the 11 "
        "assessments are Indonesia (2.35), Romania (2.30) and Colombia (2.20).")
    # The rendered report carries the new sentence.
    by_country = aggregate.maturity_by_country(ratings, info, ref)
    html = report.render_report(ReportInputs(ref, {"maturity_by_country": by_country}),
                                [report.global_section])
    assert "Indonesia (2.35), Romania (2.30) and Colombia (2.20)" in html


def test_sector_maturity_sentences():
    by_sector = pd.DataFrame({"sector": [POLICY, CJ, "Industry"], "n": [22, 44, 33],
                              "mean": [2.32, 1.8, 1.8], "sd": [0.57, 0.3, 0.6]})
    out = report.sector_maturity_sentences(by_sector)
    assert out[0] == (f"Pooled over all countries, the highest mean maturity is in {POLICY}"
                      " (M = 2.32, SD = 0.57, n = 22 ratings), the lowest in Criminal Justice"
                      " (M = 1.80, SD = 0.30, n = 44 ratings) and Industry (M = 1.80, "
                      "SD = 0.60, n = 33 ratings).")
    assert out[1] == ("Ratings vary most in Industry (0.60) and least in Criminal Justice "
                      "(0.30) (sample SD).")


def test_gap_sentences_order_sectors_per_variable():
    gaps = pd.DataFrame({"scope": ["global"] * 3 + ["region"],
                         "variable": ["priority"] * 4,
                         "sector": [POLICY, CJ, "Industry", POLICY],
                         "mean": [3.0, 4.0, 2.0, 5.0], "sd": [1.0, 0.5, math.nan, 0.1]})
    out = report.gap_sentences(gaps)
    assert out[0] == ("Priority: highest in Criminal Justice (M = 4.00, SD = 0.50), lowest "
                      "in Industry (M = 2.00); order from highest: Criminal Justice, "
                      f"{POLICY} and Industry.")
    assert out[1] == "Presence: no rated value."


def test_region_variable_sentence_uses_the_marked_extremes(ref):
    summary = pd.DataFrame({
        "region": ["Africa"] * 4, "variable": ["priority"] * 4,
        "scope": ["overall", "sector", "sector", "sector"],
        "sector": [None, "Victim Support", CJ, "Industry"], "n": [12, 2, 2, 2],
        "mean": [4.37, 4.67, 4.25, 4.25], "sd": [0.4, 0.19, 0.35, 1.06],
        "is_highest": [False, True, False, False], "is_lowest": [False, False, True, True]})
    assert report.region_variable_sentence(summary, "Africa", "priority", ref) == (
        "Priority (1-5): overall M = 4.37, SD = 0.40, n = 12 country x sector means, "
        "between Harmful (4) and Urgent (5); highest Victim Support (M = 4.67, SD = 0.19); "
        "lowest Criminal Justice (M = 4.25, SD = 0.35) and Industry (M = 4.25, SD = 1.06).")
    assert report.region_variable_sentence(summary, "Africa", "presence", ref) == (
        "Presence (1-4): no rated value in this region.")


def test_correlation_sentence_and_strength_words():
    row = {"x": "maturity", "y": "presence", "n": 64, "pearson_r": 0.3188,
           "pearson_p": 0.0102, "ci_low": 0.0792, "ci_high": 0.5236, "spearman_rho": 0.2795,
           "spearman_p": 0.0253, "reason": ""}
    assert report.correlation_sentence(row) == (
        "Maturity and presence: moderate positive correlation, Pearson r = 0.32 (95% CI "
        "0.08 to 0.52), p = 0.010, significant at the 5% level; Spearman rho = 0.28 "
        "(p = 0.025); n = 64 country x sector cells.")
    missing = {"x": "maturity", "y": "change", "n": 2, "pearson_r": math.nan,
               "reason": "only 2 complete pairs; a correlation needs at least 3"}
    assert report.correlation_sentence(missing) == (
        "Maturity and realistic change: not computed (only 2 complete pairs; a correlation "
        "needs at least 3; n = 2).")
    assert [report.strength(r) for r in (0.0999, 0.1, 0.29, -0.3, -0.5)] == [
        "negligible", "weak", "weak", "moderate", "strong"]


def test_published_sentences_count_per_table():
    comparison = pd.DataFrame({
        "table": ["T4", "T4", "T3"], "row": ["1", "2", "Policy"],
        "statistic": ["mean", "mean", "sd"], "published": [2.09, 2.55, 0.57],
        "computed": [2.0909, 2.6, 0.5679], "difference": [0.0009, 0.05, -0.0021],
        "equal_at_published_precision": [True, False, True]})
    assert report.published_sentences(comparison) == [
        "Of the 3 figures the published report gives, 2 equal the computed value at their "
        "published precision (2 decimals) and 1 does not.",
        "T4: 1 of 2 equal; largest absolute difference 0.05 (2, mean).",
        "T3: 1 of 1 equal."]


def test_unrated_counts_count_blanks_per_variable():
    caps = pd.DataFrame({"maturity": pd.array([1, pd.NA, 3], dtype="Int64")})
    gaps = pd.DataFrame({"priority": pd.array([pd.NA, pd.NA], dtype="Int64"),
                         "presence": pd.array([2, 4], dtype="Int64")})
    recs = pd.DataFrame({"realistic_change": pd.array([], dtype="Int64")})
    counts = report.unrated_counts(caps, gaps, recs).set_index("variable")
    assert counts.loc["maturity"].tolist() == [3, 2, 1]
    assert counts.loc["priority"].tolist() == [2, 0, 2]
    assert counts.loc["presence"].tolist() == [2, 2, 0]
    assert counts.loc["change"].tolist() == [0, 0, 0]
    assert report.unrated_sentence(counts.reset_index()).startswith(
        "Blank ratings (missing, never counted as 0): maturity 1 of 3, priority 2 of 2, "
        "presence 0 of 2 and realistic change 0 of 0.")


def test_check_and_catalogue_sentences():
    # One error-severity failure, one warning, one pass.
    checks = pd.DataFrame({"asset": ["raw_workbook", "raw_workbook", "assessments"],
                           "check": ["workbook_valid", "workbook_valid", "ge_ratings_vary"],
                           "partition": ["KEN-2023", "UGA-2023", None],
                           "passed": [True, False, False],
                           "severity": ["ERROR", "ERROR", "WARN"],
                           "detail": ["", "3 problems", ""]})
    assert report.check_sentences(checks) == [
        "Latest outcome of each check when this report was written: 3 evaluated, 1 passed,"
        " 1 failed, 1 raised a warning.",
        "raw_workbook workbook_valid on UGA-2023 failed: 3 problems.",
        "assessments ge_ratings_vary warned."]
    assert report.check_sentences(None) == [
        "No check outcome is recorded in the Dagster instance."]
    catalogue = pd.DataFrame({"assessment_id": ["KEN-2023", "UGA-2023"],
                              "source_file": ["KEN-2023.xlsx", "UGA-2023.xlsx"],
                              "status": ["current", "stale: the workbook changed"]})
    assert report.catalogue_sentences(catalogue) == [
        "2 validated assessments: 1 current, 1 not current.",
        "UGA-2023 (UGA-2023.xlsx): stale: the workbook changed."]


def test_table_block_rounds_for_display_only():
    frame = pd.DataFrame({"name": ["a", None], "n": pd.array([3, pd.NA], dtype="Int64"),
                          "mean": [2.345, math.nan], "flag": [True, False]})
    block = report.table_block(frame, {"name": "Name", "n": "n", "mean": "M",
                                       "flag": "Flag"}, "caption")
    assert block.rows == (("a", "3", "2.35", "yes"), ("\u2013", "\u2013", "\u2013", "no"))
    assert block.numeric == (False, True, True, False)
    assert frame.loc[0, "mean"] == 2.345  # the frame keeps full precision


def test_html_escapes_text_and_loads_nothing(ref):
    section = report.Section("x", "<b>Title</b>", [report.Paragraph("<script>x()</script>")])
    html = report.render_html([section], {"Run": "<img src=http://example.org/a>"})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "<img src=http" not in html and "&lt;img src=http" in html
    assert "default-src 'none'" in html  # the page may not fetch anything


def test_new_sections_are_one_builder_each(ref, tmp_path):
    # A section builder reads its table; one returning None leaves no trace.
    def priorities(inputs: ReportInputs):
        frame = inputs.table("priorities")
        if frame is None:
            return None
        return report.Section("priorities", "Priorities",
                              [report.Paragraph(f"{len(frame)} priorities.")])

    builders = [*report.SECTION_BUILDERS, priorities]
    with_table = ReportInputs(ref, {"priorities": pd.DataFrame({"x": [1, 2]})})
    html = report.render_report(with_table, builders)
    assert '<section id="priorities">' in html and "2 priorities." in html
    assert 'href="#priorities"' in html
    without = report.render_report(ReportInputs(ref, {}), builders)
    assert "priorities" not in without


def test_images_are_inlined_from_the_figure_files(ref, tmp_path):
    png = tmp_path / "f.png"
    # A PNG header saying 300 pixels wide, and a pHYs chunk saying 5906 dots a metre
    # (150 dpi): 300 * 96 / (5906 * 0.0254) = 191.99, shown 192 CSS pixels wide.
    header = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + (300).to_bytes(4, "big") + b"\0" * 9
    phys = b"\0\0\0\tpHYs" + (5906).to_bytes(4, "big") * 2 + b"\x01"
    png.write_bytes(header + phys)
    inputs = ReportInputs(ref, {}, figures={"figure_a": {"png": str(png)}})
    image = inputs.image("figure_a", "caption", "alt")
    assert image.data_uri.startswith("data:image/png;base64,iVBORw0KGgo")
    assert image.width == 192
    assert inputs.image("figure_b", "caption", "alt") is None


@pytest.mark.parametrize("builder", report.SECTION_BUILDERS)
def test_every_builder_copes_without_tables(ref, builder):
    # With no table at all a builder returns None or a section that still renders.
    section = builder(ReportInputs(ref, {}))
    if section is not None:
        assert report.render_html([section])


def test_uncertainty_sentences_from_hand_built_intervals():
    # Two global maturity sectors (widths 0.4 and 0.2), one correlation, and three
    # countries of which one has a single-place rank interval.
    from mrc_pipeline.report import uncertainty_sentences

    intervals = pd.DataFrame({
        "statistic": ["mean", "mean", "pearson r"],
        "scope": ["global", "global", "global"],
        "variable": ["maturity", "maturity", "maturity vs presence"],
        "sector": ["Industry", "Criminal Justice", None],
        "n_countries": [11, 11, 11],
        "estimate": [1.9, 2.0, 0.3], "ci_low": [1.7, 1.9, 0.1], "ci_high": [2.1, 2.1, 0.5]})
    ranks = pd.DataFrame({"rank_low": [1, 1, 2], "rank_high": [1, 3, 3]})
    out = uncertainty_sentences(intervals, ranks)
    assert out[0] == ("Resampling countries, the least certain sector maturity mean is "
                      "Industry: 1.90 with a 95% interval of 1.70 to 2.10.")
    assert out[1] == ("Maturity vs presence: r = 0.30, 95% bootstrap interval 0.10 to 0.50 "
                      "over 11 countries.")
    assert out[2] == ("Of the 3 countries, 1 has a 95% rank interval of a single place; "
                      "the widest rank interval spans 3 places.")
