"""Time the bootstrap intervals and country rank intervals as the number of
assessments grows, on synthetic ratings (the shipped data have 11).

Prints, per size, the median seconds over ``--repeat`` runs and the peak memory that
tracemalloc sees. Usage: ``python benchmarks/bench_bootstrap.py [--sizes 11 100 500]
[--resamples 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from mrc_pipeline.bootstrap import bootstrap_intervals, country_rank_intervals
from mrc_pipeline.reference import VARIABLES, Reference

REGIONS = ("Africa", "America", "Eurasia", "Europe", "Oceania")


def synthetic(ref: Reference, countries: int, seed: int = 0):
    """country_sector_means, capability_ratings and assessment_info for ``countries``
    assessments with random integer ratings (about 5% blank)."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}-2024" for i in range(countries)]
    info = pd.DataFrame({"assessment_id": ids, "iso3": [i[:5] for i in ids],
                         "country": ids,
                         "region": [REGIONS[i % len(REGIONS)] for i in range(countries)]})
    caps = ref.capabilities
    ratings = pd.DataFrame({
        "assessment_id": np.repeat(ids, len(caps)),
        "capability_no": np.tile(caps["capability_no"].to_numpy(), countries),
        "maturity": rng.integers(1, 5, countries * len(caps)).astype(float)})
    ratings.loc[rng.random(len(ratings)) < 0.05, "maturity"] = np.nan
    rows = [(aid, reg, sector, var, 3, float(rng.uniform(1, 4)))
            for aid, reg in zip(ids, info["region"]) for sector in ref.sector_order
            for var in VARIABLES]
    cells = pd.DataFrame(rows, columns=["assessment_id", "region", "sector", "variable",
                                        "n", "mean"])
    return cells, ratings, info


def measure(func, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2 ** 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[11, 100, 500])
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ref = Reference()
    for size in args.sizes:
        cells, ratings, info = synthetic(ref, size)
        for name, func in (
                ("bootstrap_intervals", lambda: bootstrap_intervals(
                    cells, ref, resamples=args.resamples)),
                ("country_rank_intervals", lambda: country_rank_intervals(
                    ratings, info, ref, resamples=args.resamples))):
            seconds, mib = measure(func, args.repeat)
            print(f"{size:5d} assessments  {name:24s} {seconds:7.3f} s  "
                  f"peak {mib:7.1f} MiB  ({args.resamples} resamples)", flush=True)


if __name__ == "__main__":
    main()
