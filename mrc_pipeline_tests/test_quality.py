"""Great Expectations suites: on tiny hand-built tables (each fault planted on purpose),
and as asset checks in the pipeline run on the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mrc_pipeline.quality import completeness, run_quality


def _tables():
    """KEN-2023: 20 capabilities all rated 2 (a copy-down), a gap with priority 6.
    UGA-2023: capabilities 1-18 and an unknown 21 (19 rows), capability 3 unrated,
    no region, no recommendation."""
    info = pd.DataFrame({
        "assessment_id": ["KEN-2023", "UGA-2023"], "iso3": ["KEN", "UGA"],
        "country": ["Kenya", "Uganda"], "region": ["Africa", None], "year": [2023, 2023],
        "source_sha256": ["a" * 64, "b" * 64]})
    uga_numbers = list(range(1, 19)) + [21]
    uga_maturity = [None if n == 3 else (n - 1) % 4 + 1 for n in uga_numbers]
    caps = pd.DataFrame({
        "assessment_id": ["KEN-2023"] * 20 + ["UGA-2023"] * 19,
        "capability_no": list(range(1, 21)) + uga_numbers,
        "maturity": pd.array([2] * 20 + uga_maturity, dtype="Int64")})
    gaps = pd.DataFrame({"assessment_id": ["KEN-2023", "UGA-2023"], "gap_id": ["G1", "G1"],
                         "priority": pd.array([6, 3], dtype="Int64"),
                         "presence": pd.array([2, None], dtype="Int64")})
    recs = pd.DataFrame({"assessment_id": ["KEN-2023"], "rec_id": ["R1"],
                         "realistic_change": pd.array([5], dtype="Int64")})
    return {"assessment_info": info, "capability_ratings": caps, "gaps": gaps,
            "recommendations": recs}


def _outputs():
    return {
        # Capability 2's mean 4.5 is above the maturity scale (1-4); capability 3 has no
        # ratings, so its blank mean and SD are not checked.
        "maturity_by_capability": pd.DataFrame({
            "capability_no": [1, 2, 3], "mean": [2.0, 4.5, np.nan],
            "sd": [0.5, 0.1, np.nan]}),
        # 4.5 is out of bounds for maturity (Africa) but within priority's 1-5
        # (America); an SD of 3.5 exceeds maturity's range 3 (Eurasia) but not
        # priority's range 4 (America).
        "regional_summary": pd.DataFrame({
            "region": ["Africa", "America", "Eurasia"],
            "variable": ["maturity", "priority", "maturity"],
            "mean": [4.5, 4.5, 2.0], "sd": [0.2, 3.5, 3.5]}),
        "correlations": pd.DataFrame({
            "y": ["presence", "change"], "pearson_r": [1.2, 0.3],
            "pearson_p": [0.01, 0.2], "ci_low": [0.1, -0.1], "ci_high": [0.9, 0.6],
            "spearman_rho": [0.4, 0.3], "spearman_p": [0.02, 0.3]}),
    }


def test_completeness_counts():
    out = completeness(_tables()["assessment_info"], _tables()).set_index("assessment_id")
    # KEN: 20 rows, all rated, one level -> identical; UGA: 19 rows, 18 rated (3 is
    # blank), levels 1-4, one gap, no recommendation.
    assert out.loc["KEN-2023"].tolist() == [20, 20, 20, 1, 1, 1, True]
    assert out.loc["UGA-2023"].tolist() == [19, 19, 18, 4, 1, 0, False]


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    docs = tmp_path_factory.mktemp("q") / "quality"
    docs.mkdir()
    (docs / "stale.html").write_text("from an earlier run")
    result = run_quality(_tables(), _outputs(), _ref(), docs_dir=docs)
    return {(f.asset, f.check): f for f in result}, docs


def _ref():
    from mrc_pipeline.reference import Reference

    return Reference()


def test_validated_table_checks(findings):
    found, _ = findings
    complete = found[("assessments", "ge_complete")]
    assert not complete.passed and complete.expectations == 9
    assert complete.failures == [
        "assessment_completeness.recommendations column values to be at least 1: "
        "1 row(s), assessment_id UGA-2023",
        "assessment_info.region column values to not be null: 1 row(s), assessment_id "
        "UGA-2023"]
    caps = found[("assessments", "ge_all_capabilities")]
    assert not caps.passed and caps.expectations == 4
    assert caps.failures == [
        "assessment_completeness.capability_rows column values to be between [20, 20]: "
        "1 row(s), assessment_id UGA-2023",
        "assessment_completeness.distinct_capabilities column values to be between "
        "[20, 20]: 1 row(s), assessment_id UGA-2023",
        "capability_ratings.capability_no column values to be in set: 1 row(s), "
        "assessment_id UGA-2023"]
    scale = found[("assessments", "ge_ratings_in_scale")]
    assert not scale.passed and scale.expectations == 4
    assert scale.failures == ["gaps.priority column values to be between [1, 5]: 1 row(s), "
                              "assessment_id KEN-2023"]
    vary = found[("assessments", "ge_ratings_vary")]
    assert not vary.passed and vary.severity == "warning"
    assert vary.failures == ["assessment_completeness: all 20 capabilities rated at one "
                             "and the same level: 1 row(s), assessment_id KEN-2023"]


def test_output_bounds_checks(findings):
    found, _ = findings
    assert set(found) >= {("maturity_by_capability", "ge_within_scale_bounds"),
                          ("regional_summary", "ge_within_scale_bounds"),
                          ("correlations", "ge_within_scale_bounds")}
    by_cap = found[("maturity_by_capability", "ge_within_scale_bounds")]
    assert by_cap.failures == ["maturity_by_capability.mean column values to be between "
                               "[1, 4]: 1 row(s), capability_no 2"]
    regional = found[("regional_summary", "ge_within_scale_bounds")]
    # 4 variables x (mean, sd); only the maturity rows fail.
    assert regional.expectations == 8
    assert len(regional.failures) == 2
    assert regional.failures[0].startswith("regional_summary.mean column values to be "
                                           "between [1, 4] where ")
    assert regional.failures[0].endswith(": 1 row(s), region Africa")
    assert regional.failures[1].startswith("regional_summary.sd column values to be "
                                           "between [0, 3] where ")
    assert regional.failures[1].endswith(": 1 row(s), region Eurasia")
    corr = found[("correlations", "ge_within_scale_bounds")]
    assert corr.failures == ["correlations.pearson_r column values to be between [-1, 1]: "
                             "1 row(s), y presence"]


def test_data_docs_site_replaces_the_previous_one(findings):
    _, docs = findings
    assert (docs / "index.html").is_file()
    assert not (docs / "stale.html").exists()
    pages = {p.parent.parent.parent.name for p in (docs / "validations").rglob("*.html")}
    assert {"capability_ratings", "gaps", "assessment_completeness",
            "regional_summary"} <= pages
    assert not list(docs.parent.glob(".quality.*"))  # no build folder left behind


def test_pipeline_runs_the_suites_as_asset_checks(pipeline_run):
    summary, output = pipeline_run
    ge = {(c.asset, c.check): c for c in summary.checks if c.check.startswith("ge_")}
    assert {k for k, c in ge.items() if not c.passed} == {("assessments",
                                                           "ge_ratings_vary")}
    # The shipped ECU-2024 rates all 20 capabilities alike: a warning, not a failure.
    assert ge[("assessments", "ge_ratings_vary")].severity == "warning"
    assert "ECU-2024" in ge[("assessments", "ge_ratings_vary")].detail
    assert ("maturity_by_capability", "ge_within_scale_bounds") in ge
    assert (output / "quality" / "index.html").is_file()
    assert "quality:" in summary.render()
