"""The pandera schemas reject out-of-range, unknown and duplicate rows."""

import pandas as pd

from mrc_pipeline.schemas import schema_errors


def ratings(**overrides):
    frame = pd.DataFrame({
        "assessment_id": ["KEN-2023", "KEN-2023"], "capability_no": [1, 3],
        "sector": ["Policy Legislation and Governance", "Criminal Justice"],
        "maturity": [2, None], "evidence": [None, "note"], "source_cell": ["D2", "D4"]})
    for k, v in overrides.items():
        frame[k] = v
    frame["capability_no"] = frame["capability_no"].astype("Int64")
    frame["maturity"] = frame["maturity"].astype("Int64")
    return frame


def test_valid_frame_passes(ref):
    assert schema_errors("capability_ratings", ratings(), ref) == []


def test_out_of_range_rating_rejected(ref):
    errors = schema_errors("capability_ratings", ratings(maturity=[5, 1]), ref)
    assert any("in_range(1, 4)" in e for e in errors)


def test_unknown_capability_and_sector_rejected(ref):
    errors = schema_errors("capability_ratings", ratings(
        capability_no=[21, 3], sector=["Policy Legislation and Governance", "Space"]), ref)
    assert any("capability_no isin" in e for e in errors)
    assert any("sector isin" in e for e in errors)


def test_sector_must_match_capability(ref):
    errors = schema_errors("capability_ratings", ratings(
        sector=["Industry", "Criminal Justice"]), ref)
    assert any("capability's sector" in e for e in errors)


def test_duplicate_rows_rejected(ref):
    errors = schema_errors("capability_ratings", ratings(capability_no=[3, 3], sector=[
        "Criminal Justice", "Criminal Justice"]), ref)
    assert any("uniqueness" in e for e in errors)


def test_gap_ratings_bounds(ref):
    gaps = pd.DataFrame({
        "assessment_id": ["KEN-2023"], "gap_id": ["G1"], "sector": ["Industry"],
        "capability_no": pd.array([None], dtype="Int64"), "description": ["x"],
        "priority": pd.array([6], dtype="Int64"), "presence": pd.array([0], dtype="Int64"),
        "source_cell": ["A2"]})
    errors = schema_errors("gaps", gaps, ref)
    assert any("priority in_range(1, 5)" in e for e in errors)
    assert any("presence in_range(1, 4)" in e for e in errors)
