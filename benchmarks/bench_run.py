"""Time ``mrc run`` on the shipped data against a bare pandas script of the same tables.

Each repetition starts from an empty output folder and a fresh Dagster instance, in a
new process, so import costs are counted as a user pays them. Prints each timing and
the medians. Usage: ``python benchmarks/bench_run.py [--repeat 5] [--data DIR]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    mrc = [sys.executable, "-m", "mrc_pipeline.cli", "run", "--data", str(args.data)]
    bare = [sys.executable, str(ROOT / "benchmarks" / "bare_pandas.py"), str(args.data)]
    results: dict[str, list[float]] = {"mrc run": [], "bare pandas": []}
    for i in range(args.repeat):
        work = Path(tempfile.mkdtemp(prefix="mrc-bench-"))
        try:
            results["mrc run"].append(timed(
                mrc + ["--output", str(work / "out"), "--dagster-home", str(work / "dg")],
                work))
            results["bare pandas"].append(timed(bare + [str(work / "bare")], work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in results.items()),
              flush=True)
    medians = {k: statistics.median(v) for k, v in results.items()}
    for name, value in medians.items():
        print(f"median {name}: {value:.2f} s over {args.repeat} runs")
    print(f"ratio mrc run / bare pandas: {medians['mrc run'] / medians['bare pandas']:.1f}x")


if __name__ == "__main__":
    main()
