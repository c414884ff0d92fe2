"""The same tables as ``mrc run`` computed by a bare pandas script, as a baseline.

No validation, no Dagster, no versioning: read every workbook with pandas, compute
maturity by capability, sector, country and region, gap ratings by sector, the
regional summary and the two correlations, and write them as CSV.
Usage: ``python benchmarks/bare_pandas.py DATA_DIR OUT_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from scipy import stats


def main(data_dir: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    countries = pd.read_csv(data_dir / "reference" / "countries.csv")
    caps_ref = pd.read_csv(data_dir / "reference" / "capabilities.csv")
    caps, gaps, recs = [], [], []
    for path in sorted((data_dir / "assessments").glob("*.xlsx")):
        sheets = pd.read_excel(path, sheet_name=None)
        info = dict(zip(sheets["assessment"]["field"], sheets["assessment"]["value"]))
        aid = f"{info['iso3']}-{info['year']}"
        for frame, bucket in ((sheets["capabilities"], caps), (sheets["gaps"], gaps),
                              (sheets["recommendations"], recs)):
            bucket.append(frame.assign(assessment_id=aid, iso3=info["iso3"]))
    caps = pd.concat(caps).merge(countries, on="iso3")
    gaps = pd.concat(gaps).merge(countries, on="iso3")
    recs = pd.concat(recs).merge(countries, on="iso3")
    agg = {"n": "count", "mean": "mean", "sd": "std"}
    caps.groupby("capability_no")["maturity"].agg(**agg).join(
        caps_ref.set_index("capability_no")).to_csv(out / "maturity_by_capability.csv")
    caps.groupby("sector")["maturity"].agg(**agg).to_csv(out / "maturity_by_sector.csv")
    caps.groupby(["iso3", "country", "region"])["maturity"].agg(**agg).to_csv(
        out / "maturity_by_country.csv")
    cells = pd.concat([
        caps.groupby(["assessment_id", "region", "sector"])["maturity"].mean(),
        gaps.groupby(["assessment_id", "region", "sector"])[["priority", "presence"]].mean(),
        recs.groupby(["assessment_id", "region", "sector"])["realistic_change"].mean(),
    ], axis=1).rename(columns={"realistic_change": "change"}).reset_index()
    long = cells.melt(id_vars=["assessment_id", "region", "sector"], var_name="variable")
    by_sector = long.groupby(["region", "variable", "sector"])["value"].agg(**agg)
    overall = long.groupby(["region", "variable"])["value"].agg(**agg)
    pd.concat([overall.reset_index().assign(scope="overall"),
               by_sector.reset_index().assign(scope="sector")]).to_csv(
        out / "regional_summary.csv", index=False)
    by_sector.loc[:, "maturity", :].to_csv(out / "maturity_by_region.csv")
    pd.concat([gaps.groupby("sector")[["priority", "presence"]].agg(["count", "mean", "std"]),
               recs.groupby("sector")[["realistic_change"]].agg(["count", "mean", "std"])],
              axis=1).to_csv(out / "gap_ratings_by_sector.csv")
    rows = []
    for y in ("presence", "change"):
        pair = cells[["maturity", y]].dropna()
        r = stats.pearsonr(pair["maturity"], pair[y])
        rho = stats.spearmanr(pair["maturity"], pair[y])
        ci = r.confidence_interval(0.95)
        rows.append({"x": "maturity", "y": y, "n": len(pair), "r": r.statistic,
                     "p": r.pvalue, "ci_low": ci.low, "ci_high": ci.high,
                     "rho": rho.statistic})
    pd.DataFrame(rows).to_csv(out / "correlations.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
