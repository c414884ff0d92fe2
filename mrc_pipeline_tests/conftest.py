"""Shared fixtures: reference data, the shipped assessments validated once, and one
in-process run of the whole graph on the shipped data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mrc_pipeline.instrument import read_workbook, validate_workbook
from mrc_pipeline.reference import DEFAULT_DATA_DIR, Reference


@pytest.fixture(scope="session")
def ref() -> Reference:
    return Reference(DEFAULT_DATA_DIR)


@pytest.fixture(scope="session")
def shipped(ref) -> dict[str, pd.DataFrame]:
    """The four validated tables of the 11 shipped workbooks, concatenated."""
    validated = [validate_workbook(read_workbook(p), ref)
                 for p in sorted((DEFAULT_DATA_DIR / "assessments").glob("*.xlsx"))]
    assert all(not v.errors for v in validated)
    names = ("info", "capability_ratings", "gaps", "recommendations")
    return {n: pd.concat([getattr(v, n) for v in validated], ignore_index=True)
            for n in names}


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """``mrc run --public`` on the shipped data into a temporary output folder and
    instance (the internal outputs are those of a run without ``--public``)."""
    from mrc_pipeline.defs.runner import run_pipeline

    base = tmp_path_factory.mktemp("run")
    summary = run_pipeline(DEFAULT_DATA_DIR, base / "output", base / "dagster", public=True)
    return summary, base / "output"


def exported(output: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(output / "exports" / f"{name}.csv")
