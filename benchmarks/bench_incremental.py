"""Full and incremental ``mrc run`` on N synthetic assessments, against a bare pandas
script computing the same tables.

``python benchmarks/bench_incremental.py [--sizes 11 1000] [--workdir DIR]``

For each N: the synthetic data set (``benchmarks/synthetic.py``, seeded), then

- ``bare``: ``benchmarks/bare_pandas.py`` on the N workbooks (the baseline);
- ``full``: ``mrc run --full`` on a fresh instance and output folder;
- ``unchanged``: ``mrc run`` again, nothing changed (only the aggregates run);
- ``incremental``: one new workbook dropped in, then ``mrc run``;
- ``sensor tick``: one evaluation of the folder sensor with nothing changed.

Each run is its own process: wall time includes interpreter start and imports; peak
memory is the process's maximum resident set size. For the incremental run it counts
the asset materialisations recorded (per assessment and unpartitioned). Results go to
stdout as a table and to ``WORKDIR/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402  (a sibling script, not a package)


def measure(cmd: list[str]) -> dict:
    """Wall time and peak RSS of one child process (which must succeed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode(errors="replace")
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def mrc(data: Path, out: Path, home: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mrc_pipeline.cli", "run", "--data", str(data),
            "--output", str(out), "--dagster-home", str(home), *extra]


def materialisations_since(home: Path, since: float) -> dict:
    """Asset materialisations of the runs started after ``since`` (epoch seconds)."""
    from dagster import DagsterInstance
    from dagster._core.events import DagsterEventType

    instance = DagsterInstance.from_config(str(home))
    try:
        partitioned, unpartitioned, runs = [], [], 0
        for run in instance.get_runs():
            record = instance.get_run_record_by_id(run.run_id)
            if record.create_timestamp.timestamp() < since:
                continue
            runs += 1
            for event in instance.all_logs(run.run_id,
                                           of_type=DagsterEventType.ASSET_MATERIALIZATION):
                mat = event.get_dagster_event().event_specific_data.materialization
                key = mat.asset_key.to_user_string()
                (partitioned if mat.partition else unpartitioned).append(
                    (key, mat.partition))
        per_asset = {}
        for key, _ in unpartitioned:
            per_asset[key] = per_asset.get(key, 0) + 1
        return {"runs": runs, "assessment_partitions": len(partitioned),
                "assessments_touched": sorted({p for _, p in partitioned}),
                "aggregates": len(unpartitioned),
                "max_per_aggregate": max(per_asset.values(), default=0),
                "slowest_steps_s": slowest_steps(instance, since)}
    finally:
        instance.dispose()


def slowest_steps(instance, since: float, top: int = 6) -> dict[str, float]:
    """The longest steps of the runs started after ``since``, in seconds."""
    from dagster._core.events import DagsterEventType

    durations: dict[str, float] = {}
    for run in instance.get_runs():
        record = instance.get_run_record_by_id(run.run_id)
        if record.create_timestamp.timestamp() < since:
            continue
        started = {}
        for event in instance.all_logs(run.run_id):
            kind = event.dagster_event.event_type if event.is_dagster_event else None
            if kind == DagsterEventType.STEP_START:
                started[event.step_key] = event.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                durations[event.step_key] = round(event.timestamp - started[event.step_key],
                                                  2)
    return dict(sorted(durations.items(), key=lambda kv: -kv[1])[:top])


def sensor_tick(data: Path, out: Path, home: Path) -> float:
    """Seconds of one steady-state folder-sensor evaluation (nothing changed)."""
    from dagster import DagsterInstance, build_sensor_context

    from mrc_pipeline.definitions import build_definitions
    from mrc_pipeline.defs.automation import SENSOR_NAME

    instance = DagsterInstance.from_config(str(home))
    defs = build_definitions(str(data), str(out))
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    resources = {"paths": defs.resources["paths"]}
    try:
        first = sensor(build_sensor_context(instance=instance, definitions=defs,
                                            resources=resources))
        start = time.perf_counter()
        again = sensor(build_sensor_context(instance=instance, definitions=defs,
                                            resources=resources, cursor=first.cursor))
        elapsed = time.perf_counter() - start
        assert not again.run_requests
        return round(elapsed, 3)
    finally:
        instance.dispose()


def bench(n: int, workdir: Path) -> dict:
    cached = synthetic.build(workdir / f"data-{n}", n)
    base = workdir / f"run-{n}"
    if base.exists():
        shutil.rmtree(base)
    data, out, home = base / "data", base / "output", base / "dagster"
    shutil.copytree(cached, data)
    result: dict = {"n": n}
    result["bare"] = measure([sys.executable, str(HERE / "bare_pandas.py"), str(data),
                              str(base / "bare")])
    result["full"] = measure(mrc(data, out, home, "--full"))
    result["unchanged"] = measure(mrc(data, out, home))
    new = synthetic.add_assessment(data)
    since = time.time()
    result["incremental"] = measure(mrc(data, out, home))
    result["incremental"]["new_assessment"] = new.stem
    result["incremental"]["materialised"] = materialisations_since(home, since)
    result["sensor_tick_s"] = sensor_tick(data, out, home)
    result["full_vs_bare"] = round(result["full"]["wall_s"] / result["bare"]["wall_s"], 2)
    return result


def render(results: list[dict]) -> str:
    lines = ["| N | run | wall (s) | peak RSS (MB) |", "|---|---|---|---|"]
    for r in results:
        for kind in ("bare", "full", "unchanged", "incremental"):
            lines.append(f"| {r['n']} | {kind} | {r[kind]['wall_s']} | "
                         f"{r[kind]['peak_rss_mb']} |")
    lines.append("")
    for r in results:
        m = r["incremental"]["materialised"]
        lines.append(
            f"N={r['n']}: full / bare = {r['full_vs_bare']}x; one new assessment "
            f"({r['incremental']['new_assessment']}) materialised {m['assessment_partitions']}"
            f" asset partitions of {len(m['assessments_touched'])} assessment(s) "
            f"{m['assessments_touched']} and {m['aggregates']} unpartitioned assets (at most "
            f"{m['max_per_aggregate']} time each) in {m['runs']} runs; a sensor tick with "
            f"nothing changed took {r['sensor_tick_s']} s; slowest steps of the "
            f"incremental run: {m['slowest_steps_s']}")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large["incremental"]["wall_s"] / small["incremental"]["wall_s"]
        lines.append(f"incremental N={large['n']} / N={small['n']} = {ratio:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[11, 1000])
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where data sets and runs go (default: a temporary folder); "
                             "data sets are reused between invocations")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mrc-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.sizes:
        results.append(bench(n, workdir))
        print(f"N={n} done", file=sys.stderr, flush=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count()}
    (workdir / "results.json").write_text(json.dumps({"meta": meta, "results": results},
                                                     indent=1))
    print(render(results))
    print(f"(details: {workdir / 'results.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
