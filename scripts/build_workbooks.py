"""Rebuild data/assessments/*.xlsx from the illustrative ratings in data/source/.

Run from the repository root: ``python scripts/build_workbooks.py``. The output is
deterministic apart from the timestamps openpyxl writes into the file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from mrc_pipeline.reference import DEFAULT_DATA_DIR, Reference
from mrc_pipeline.template import write_instrument


def build(data_dir: Path, out_dir: Path) -> list[Path]:
    src = data_dir / "source"
    maturity = pd.read_csv(src / "maturity.csv")
    gaps = pd.read_csv(src / "gaps.csv", dtype={"capability_no": "Int64",
                                                "priority": "Int64", "presence": "Int64"})
    recs = pd.read_csv(src / "recommendations.csv",
                       dtype={"capability_no": "Int64", "realistic_change": "Int64"})
    recs = recs.rename(columns={"addresses_gap_id": "gap_id"})
    ref = Reference(data_dir)
    written = []
    for aid, caps in maturity.groupby("assessment_id"):
        iso3, year = aid.split("-")
        written.append(write_instrument(
            out_dir / f"{aid}.xlsx", iso3=iso3, year=int(year), ref=ref,
            assessor_team="Illustrative reconstruction", capabilities=caps,
            gaps=gaps[gaps.assessment_id == aid],
            recommendations=recs[recs.assessment_id == aid]))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR / "assessments")
    args = parser.parse_args()
    for path in build(args.data, args.out):
        print(path.name)


if __name__ == "__main__":
    main()
