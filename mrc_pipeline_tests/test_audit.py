"""The audit of the published figures: verdicts against hand arithmetic, the
report-compatible reading, the report section, and the asset with its config."""

import shutil

import pandas as pd
import pytest

from mrc_pipeline import audit, published
from mrc_pipeline.reference import DEFAULT_DATA_DIR
from mrc_pipeline_tests.conftest import exported

SECTORS_NOT_POLICY = ["Criminal Justice", "Victim Support", "Society and Culture",
                      "Industry", "Research and Data"]


@pytest.fixture(scope="module")
def pub():
    return published.load_published(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def readings(shipped, ref):
    default = audit.computed_tables(shipped, shipped["info"], ref)
    compatible = audit.computed_tables(shipped, shipped["info"], ref, unrated_as_zero=True)
    return default, compatible


@pytest.fixture(scope="module")
def result(pub, readings, ref) -> pd.DataFrame:
    default, compatible = readings
    return audit.audit_published(pub, default, ref, report_compatible=compatible)


def rows(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return frame[frame.table == table]


def one(frame: pd.DataFrame, table: str, row: str, statistic: str) -> pd.Series:
    match = frame[(frame.table == table) & (frame.row == row)
                  & (frame.statistic == statistic)]
    assert len(match) == 1, (table, row, statistic)
    return match.iloc[0]


def test_every_published_figure_has_one_verdict(result, pub, readings):
    # The audit lists the same figures, in the same order, as published_comparison.
    comparison = published.compare(pub, readings[0])
    assert list(result.columns) == audit.COLUMNS
    assert result[["table", "row", "statistic"]].equals(
        comparison[["table", "row", "statistic"]])
    assert set(result.verdict) <= set(audit.VERDICTS)
    assert result.reason.str.len().min() > 0


def test_table_4_all_20_capabilities_reproduced(result):
    t4 = rows(result, audit.T4)
    # 20 capabilities x (mean, sd), every one reproduced at 2 decimals.
    assert len(t4) == 40 and (t4.verdict == "reproduced").all()
    # Capability 1: 23 of 11 ratings -> 23/11 = 2.0909 -> 2.09, GRIM passes.
    leadership = one(result, audit.T4, "1 Leadership", "mean")
    assert leadership.computed == pytest.approx(23 / 11)
    assert "GRIM" in leadership.reason


def test_sector_maturity_rows_other_than_policy_infeasible(result):
    t3 = rows(result, audit.T3)
    policy = t3[t3.row == "Policy Legislation and Governance"]
    # Policy: (23 + 28) / 22 = 2.318 -> 2.32, as published.
    assert (policy.verdict == "reproduced").all()
    others = t3[t3.row.isin(SECTORS_NOT_POLICY)]
    assert len(others) == 10 and (others.verdict == "infeasible").all()


def test_criminal_justice_mean_is_the_mean_of_its_capabilities(result):
    # Table 4 capabilities 3-6: 1.91, 2.00, 1.91, 2.09 with n = 11 each. A pooled mean
    # is their n-weighted mean: (1.91 + 2.00 + 1.91 + 2.09) / 4 = 1.9775, never 1.82,
    # which lies below the smallest of them.
    cj = one(result, audit.T3, "Criminal Justice", "mean")
    assert cj.verdict == "infeasible"
    assert "mean 1.82 is below the smallest capability mean of this sector, 1.91" \
        in cj.reason
    assert "1.9775" in cj.reason
    # The data's 87 ratings points over 44 ratings: 87/44 = 1.977.
    assert cj.computed == pytest.approx(87 / 44)


def test_industry_and_research_sector_reasons(result):
    industry = one(result, audit.T3, "Industry", "mean")
    assert "mean 1.73 is below the smallest capability mean of this sector, 1.91" \
        in industry.reason
    # Research and Data: 2.55 and 1.91 -> 2.23; 2.14 lies between but is not it.
    research = one(result, audit.T3, "Research and Data", "mean")
    assert research.verdict == "infeasible" and "2.2300" in research.reason
    # Its SD: the two capabilities' SDs and means pool to about 0.69, never 0.83.
    assert one(result, audit.T3, "Research and Data", "sd").verdict == "infeasible"


def test_africa_industry_presence_below_the_scale(result):
    row = one(result, audit.REGIONAL, "Africa presence lowest sector: Industry", "mean")
    assert row.verdict == "infeasible"
    assert "mean 0.75 is below the scale minimum 1 of presence (1-4)" in row.reason
    # Counting unrated gaps as 0 gives exactly 0.75: the report's reading.
    assert audit.REPORT_COMPATIBLE_REPRODUCES in row.reason


def test_global_priority_means_inconsistent_with_the_regional_ones(result, pub):
    # Each region's lowest priority sector bounds all its sectors from below: Africa
    # 4.25, America 3.24, Eurasia 3.64. A global mean over the same countries is
    # their weighted mean, so at least 3.24, yet the report gives 2.29-2.64.
    regional = pub["regional_summary"]
    lowest = regional[(regional.variable == "priority")
                      & regional.scope.str.startswith("lowest")]["mean"]
    global_priority = pub["gaps_by_sector_global"]["priority_mean"]
    assert global_priority.max() < lowest.min()
    means = rows(result, audit.GAPS)
    means = means[means.statistic == "priority mean"]
    assert len(means) == 6 and (means.verdict == "infeasible").all()
    assert means.reason.str.contains("below the smallest regional priority mean").all()


def test_country_means_that_truncation_explains(result):
    countries = rows(result, audit.COUNTRY).set_index("row")
    # 20 ratings each: Romania 46/20 = 2.30, Uganda and Moldova 41/20 = 2.05. Their
    # published 2.29, 2.04, 2.04 are no k/20 rounded (GRIM), but 2.30 and 2.05 are
    # stored in binary just below themselves and cut to 2.29 and 2.04.
    for country, total in [("Romania", 46), ("Uganda", 41), ("Moldova", 41)]:
        row = countries.loc[country]
        assert row.verdict == "differs"
        assert row.computed == pytest.approx(total / 20)
        assert "truncation, not rounding" in row.reason
        assert "is not a mean of 20 integer ratings" in row.reason
    others = countries.drop(["Romania", "Uganda", "Moldova"])
    assert len(others) == 6 and (others.verdict == "reproduced").all()
    # Cutting digits reproduces all nine, rounding the six.
    assert "truncating reproduces 9 of the 9 published country means, rounding 6" \
        in countries.loc["Romania", "reason"]


def test_report_compatible_reading_named_where_it_alone_reproduces(result):
    # Criminal Justice priority: 79 points over 34 gaps with blanks as 0 -> 2.3235;
    # with blanks missing the 21 rated gaps average 3.76.
    cj = one(result, audit.GAPS, "Criminal Justice", "priority mean")
    assert cj.computed == pytest.approx(79 / 21)
    assert "gives 2.3235, " + audit.REPORT_COMPATIBLE_REPRODUCES in cj.reason
    r = one(result, audit.CORRELATIONS, "maturity vs ICMEC presence", "pearson r")
    assert r.verdict == "differs" and audit.REPORT_COMPATIBLE_REPRODUCES in r.reason
    # Maturity figures do not depend on gaps: no mention there.
    assert not rows(result, audit.T4).reason.str.contains("unrated").any()


def test_count_unrated_as_zero_on_a_hand_built_frame():
    gaps = pd.DataFrame({"priority": pd.array([4, None, 2], dtype="Int64"),
                         "presence": pd.array([None, 3, 1], dtype="Int64")})
    out = audit.count_unrated_as_zero(gaps)
    # Blanks missing: priority mean (4 + 2) / 2 = 3; as 0: (4 + 0 + 2) / 3 = 2.
    assert gaps["priority"].mean() == 3 and out["priority"].mean() == 2
    assert out["presence"].tolist() == [0, 3, 1]
    assert gaps["priority"].isna().sum() == 1  # the input is left alone


def test_report_compatible_tables_are_labelled(readings):
    default, compatible = readings
    gaps = compatible["gap_ratings_by_sector"]
    tagged = gaps["convention"].str.startswith(audit.REPORT_COMPATIBLE)
    assert tagged.equals(gaps["variable"].isin(["priority", "presence"]))
    assert not default["gap_ratings_by_sector"]["convention"].str.contains(
        "unrated").any()
    corr = compatible["correlations"].set_index("y")["convention"]
    assert corr["presence"].startswith(audit.REPORT_COMPATIBLE)


def test_audit_under_the_report_compatible_switch(pub, readings, ref):
    default, compatible = readings
    switched = audit.audit_published(pub, default, ref, report_compatible=compatible,
                                     unrated_as_zero=True)
    cj = one(switched, audit.GAPS, "Criminal Justice", "priority mean")
    # Computed under the switch, labelled, and still infeasible on the 1-5 scale.
    assert cj.computed == pytest.approx(79 / 34)
    assert cj.reason.startswith(f"[{audit.REPORT_COMPATIBLE}]")
    assert cj.verdict == "infeasible"
    r = one(switched, audit.CORRELATIONS, "maturity vs ICMEC presence", "pearson r")
    assert r.verdict == "reproduced" and r.reason.startswith("[")
    # Rows no gap enters stay as they were.
    same = rows(switched, audit.T4)
    assert same.equals(rows(audit.audit_published(pub, default, ref), audit.T4))
    with pytest.raises(ValueError, match="report-compatible tables"):
        audit.audit_published(pub, default, ref, unrated_as_zero=True)


def test_audit_section_on_a_hand_built_audit():
    frame = pd.DataFrame({
        "table": ["A", "A", "B"], "row": ["x", "y", "z"], "statistic": ["mean"] * 3,
        "published": [1.0, 2.0, 0.75], "computed": [1.0, 2.1, 1.0],
        "verdict": ["reproduced", "differs", "infeasible"],
        "reason": ["ok", "counting unrated gaps as 0 gives 2.0, "
                   + audit.REPORT_COMPATIBLE_REPRODUCES, "below the scale"]})
    section = audit.audit_section(frame)
    assert section.sentences[0].startswith("Of the 3 figures")
    assert "1 is reproduced" in section.sentences[0]
    assert "A: of 2 figures, 1 reproduced, 1 differs." in section.sentences
    assert "B: of 1 figure, 1 infeasible." in section.sentences
    assert any("reproduces 1 published figure that" in s for s in section.sentences)
    assert section.infeasible["row"].tolist() == ["z"]
    counts = section.counts.set_index("table")
    assert counts.loc["A", "figures"] == 2 and counts.loc["B", "infeasible"] == 1


def test_published_audit_export(pipeline_run):
    summary, output = pipeline_run
    frame = exported(output, "published_audit")
    assert list(frame.columns) == audit.COLUMNS
    assert len(frame) == len(exported(output, "published_comparison"))
    assert set(frame.verdict) == set(audit.VERDICTS)
    assert not frame.reason.str.startswith("[").any()  # the default reading
    # mrc run's summary states the audit's counts, as the export has them.
    counts = frame.verdict.value_counts()
    assert summary.audit == {v: int(counts[v]) for v in audit.VERDICTS}
    assert "published figures audited: " in summary.render()


def test_published_audit_config_switch(pipeline_run, tmp_path):
    from dagster import AssetKey, DagsterInstance

    from mrc_pipeline.definitions import AGGREGATE_JOB, build_definitions

    _, output = pipeline_run
    out, home = tmp_path / "output", tmp_path / "dagster"
    shutil.copytree(output, out)
    shutil.copytree(output.parent / "dagster", home)
    defs = build_definitions(str(DEFAULT_DATA_DIR), str(out))
    job = defs.resolve_job_def(AGGREGATE_JOB)
    result = job.execute_in_process(
        instance=DagsterInstance.from_config(str(home)),
        asset_selection=[AssetKey("published_audit")],
        run_config={"ops": {"published_audit": {
            "config": {"unrated_gaps_as_zero": True}}}})
    assert result.success
    frame = exported(out, "published_audit")
    labelled = frame[frame.reason.str.startswith(f"[{audit.REPORT_COMPATIBLE}]")]
    text = labelled.row + " " + labelled.statistic
    assert len(labelled) and text.str.contains("priority|presence").all()
