"""Resident memory while drawing and saving many figures in one process.

Draws the report's figures from the shipped assessments in turn (200 by default),
saves each as PNG and SVG into a temporary folder with ``save_figure`` (which closes
it), and prints the process's resident set size (RSS, from /proc) as it goes. Memory
that stays flat after the first rounds means nothing keeps closed figures alive.

    python benchmarks/figures_memory.py [--figures 200] [--every 25]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
from pathlib import Path

import pandas as pd

from mrc_pipeline import aggregate, figures
from mrc_pipeline.instrument import read_workbook, validate_workbook
from mrc_pipeline.reference import DEFAULT_DATA_DIR, Reference


def rss_mib() -> float:
    """Current resident set size of this process in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def shipped_tables(ref: Reference) -> dict[str, pd.DataFrame]:
    validated = [validate_workbook(read_workbook(p), ref)
                 for p in sorted((DEFAULT_DATA_DIR / "assessments").glob("*.xlsx"))]
    names = ("info", "capability_ratings", "gaps", "recommendations")
    return {n: pd.concat([getattr(v, n) for v in validated], ignore_index=True)
            for n in names}


def drawers(ref: Reference, t: dict[str, pd.DataFrame]) -> list:
    tables = {k: t[k] for k in ("capability_ratings", "gaps", "recommendations")}
    cells = aggregate.country_sector_means(tables, t["info"])
    summary = aggregate.regional_summary(cells, ref)
    corr = aggregate.correlations(cells)
    by_country = aggregate.maturity_by_country(t["capability_ratings"], t["info"], ref)
    gaps = aggregate.gap_ratings_by_sector(tables, cells, ref)
    return [
        ("maturity_by_country", lambda: figures.maturity_by_country_figure(by_country, ref)),
        ("gap_analysis", lambda: figures.gap_analysis_figure(gaps, ref)),
        ("regional", lambda: figures.regional_figure(summary, ref)),
        ("heatmap_country_capability",
         lambda: figures.capability_heatmap(t["capability_ratings"], t["info"], ref)),
        ("heatmap_region_sector", lambda: figures.region_sector_heatmap(summary, ref)),
        ("scatter", lambda: figures.correlation_scatter(cells, corr, ref)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=200)
    parser.add_argument("--every", type=int, default=25)
    args = parser.parse_args()
    ref = Reference()
    steps = drawers(ref, shipped_tables(ref))
    start = rss_mib()
    print(f"RSS before any figure: {start:.1f} MiB")
    readings = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for i, (name, draw) in enumerate(itertools.islice(itertools.cycle(steps),
                                                          args.figures), start=1):
            figures.save_figure(draw(), Path(folder), f"{i:04d}_{name}")
            if i % args.every == 0 or i == len(steps):
                gc.collect()
                readings.append((i, rss_mib()))
                print(f"after {i:4d} figures: RSS {readings[-1][1]:7.1f} MiB")
    elapsed = time.perf_counter() - began
    print(f"{args.figures} figures (PNG + SVG each) in {elapsed:.1f} s, "
          f"{elapsed / args.figures * 1000:.0f} ms a figure")
    # Fonts, caches and the allocator's pools fill during the first rounds; after
    # that, a leak would show as steady growth.
    settled = [rss for i, rss in readings if i >= args.figures // 4]
    print(f"RSS from figure {args.figures // 4} to {args.figures}: min {min(settled):.1f}, "
          f"max {max(settled):.1f} MiB; last minus first {settled[-1] - settled[0]:+.1f} MiB"
          f" (before any figure: {start:.1f} MiB)")

if __name__ == "__main__":
    main()
