"""The assessments-folder sensor, the automation of the aggregates and the daily
refresh, driven on a temporary folder and Dagster instance.

``build_sensor_context`` evaluates the sensor without applying its result: the tests
assert on the run requests and partition requests, then apply them (and execute the
requested runs) themselves where a later step needs them.
"""

from __future__ import annotations

import datetime
import json
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetSelection,
    Definitions,
    DagsterInstance,
    DeleteDynamicPartitionsRequest,
    DagsterRunStatus,
    RunsFilter,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    evaluate_automation_conditions,
)
from deltalake import DeltaTable
from openpyxl import load_workbook

from mrc_pipeline.definitions import AGGREGATE_JOB, ASSESSMENT_JOB, build_definitions
from mrc_pipeline.defs.automation import (
    AGGREGATE_TAG,
    SCHEDULE_NAME,
    SENSOR_NAME,
    read_cursor,
)
from mrc_pipeline.defs.partitions import ASSESSMENTS_PARTITION
from mrc_pipeline.defs.runner import DAGSTER_YAML, QUIET
from mrc_pipeline.instrument import file_sha256
from mrc_pipeline.reference import DEFAULT_DATA_DIR

SHIPPED = DEFAULT_DATA_DIR / "assessments"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


@dataclass
class Env:
    data: Path
    output: Path
    home: Path
    instance: DagsterInstance
    defs: object

    @property
    def folder(self) -> Path:
        return self.data / "assessments"


def make_env(base: Path) -> Env:
    """A data folder (reference and published copied, no workbooks), an output folder
    and an instance configured by the shipped local dagster.yaml."""
    data = base / "data"
    (data / "assessments").mkdir(parents=True)
    shutil.copytree(DEFAULT_DATA_DIR / "reference", data / "reference")
    shutil.copytree(DEFAULT_DATA_DIR / "published", data / "published")
    home = base / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    instance = DagsterInstance.from_config(str(home))
    defs = with_tables_job(build_definitions(str(data), str(base / "output")))
    return Env(data, base / "output", home, instance, defs)


@pytest.fixture
def env(tmp_path):
    e = make_env(tmp_path)
    yield e
    e.instance.dispose()


def tick(env: Env, cursor: str | None = None):
    """One evaluation of the folder sensor, not applied."""
    ctx = build_sensor_context(instance=env.instance, cursor=cursor, definitions=env.defs,
                               resources={"paths": env.defs.resources["paths"]})
    return env.defs.resolve_sensor_def(SENSOR_NAME)(ctx)


def apply(env: Env, result) -> None:
    """Apply a sensor result's asset events and partition requests to the instance."""
    for event in result.asset_events:
        env.instance.report_runless_asset_event(event)
    for req in result.dynamic_partitions_requests:
        if isinstance(req, AddDynamicPartitionsRequest):
            env.instance.add_dynamic_partitions(req.partitions_def_name, req.partition_keys)
        elif isinstance(req, DeleteDynamicPartitionsRequest):
            for key in req.partition_keys:
                env.instance.delete_dynamic_partition(req.partitions_def_name, key)


#: The tables these tests read back; aggregate runs materialise only them (and what
#: they need) to keep the suite fast; the whole graph runs in test_pipeline.py.
TABLES_READ = [AssetKey("assessments"), AssetKey("country_sector_means"),
               AssetKey("country_progress")]


TABLES_JOB = "tables_read_job"


def with_tables_job(defs: Definitions) -> Definitions:
    """``defs`` plus a job of ``TABLES_READ`` and what they need, without checks."""
    return Definitions.merge(defs, Definitions(jobs=[define_asset_job(
        TABLES_JOB, selection=AssetSelection.assets(*TABLES_READ).without_checks())]))


def execute(env: Env, request):
    """Execute a requested run as the run launcher would (aggregates: ``TABLES_READ``)."""
    name = TABLES_JOB if request.job_name == AGGREGATE_JOB else request.job_name
    return env.defs.resolve_job_def(name).execute_in_process(
        partition_key=request.partition_key, instance=env.instance, run_config=QUIET,
        tags=request.tags, raise_on_error=False)


def added(result) -> list[str]:
    return [k for r in result.dynamic_partitions_requests
            if isinstance(r, AddDynamicPartitionsRequest) for k in r.partition_keys]


def deleted(result) -> list[str]:
    return [k for r in result.dynamic_partitions_requests
            if isinstance(r, DeleteDynamicPartitionsRequest) for k in r.partition_keys]


def change_rating(path: Path) -> None:
    """Save the workbook with capability 1's maturity changed (still valid)."""
    wb = load_workbook(path)
    ws = wb["capabilities"]
    ws["D2"] = 1 if ws["D2"].value != 1 else 2
    wb.save(path)


def second_round(src: Path, dest: Path, year: int) -> None:
    """The same country assessed again in ``year``, capability 1 rated 4."""
    wb = load_workbook(src)
    wb["assessment"]["B4"] = year
    wb["capabilities"]["D2"] = 4
    wb.save(dest)


def test_new_file_registers_its_partition_and_requests_one_run(env):
    shutil.copy(SHIPPED / "COL-2023.xlsx", env.folder / "COL-2023.xlsx")
    sha = file_sha256(env.folder / "COL-2023.xlsx")
    result = tick(env)
    assert added(result) == ["COL-2023"] and not deleted(result)
    [request] = result.run_requests
    assert request.job_name == ASSESSMENT_JOB and request.partition_key == "COL-2023"
    assert request.run_key.startswith(f"COL-2023:{sha[:16]}:")
    assert request.tags["mrc/workbook_sha256"] == sha
    # The cursor is small: the file name -> [id, first 16 hex of its hash].
    files, _ = read_cursor(result.cursor)
    assert files == {"COL-2023.xlsx": ("COL-2023", sha[:16])}
    assert len(result.cursor) < 100
    # The same tick evaluated again (its cursor not saved) asks for the same run key,
    # so Dagster launches the run once.
    assert tick(env).run_requests[0].run_key == request.run_key


def test_touched_or_resaved_unchanged_file_requests_nothing(env):
    path = env.folder / "COL-2023.xlsx"
    shutil.copy(SHIPPED / "COL-2023.xlsx", path)
    first = tick(env)
    apply(env, first)
    # Touched (new modification time) and saved again with identical bytes.
    later = time.time() + 120
    path.write_bytes(path.read_bytes())
    import os

    os.utime(path, (later, later))
    result = tick(env, first.cursor)
    assert not result.run_requests and not result.dynamic_partitions_requests
    assert result.cursor == first.cursor


def test_changed_file_requests_one_run_of_its_partition(env):
    path = env.folder / "COL-2023.xlsx"
    shutil.copy(SHIPPED / "COL-2023.xlsx", path)
    first = tick(env)
    apply(env, first)
    change_rating(path)
    result = tick(env, first.cursor)
    [request] = result.run_requests
    assert request.partition_key == "COL-2023"
    assert request.run_key.startswith(f"COL-2023:{file_sha256(path)[:16]}:")
    assert request.run_key != first.run_requests[0].run_key
    assert not result.dynamic_partitions_requests  # already registered
    # Reverting to the first content is a change too, and gets a run key of its own.
    apply(env, result)
    shutil.copy(SHIPPED / "COL-2023.xlsx", path)
    reverted = tick(env, result.cursor)
    [again] = reverted.run_requests
    assert again.run_key.split(":")[:2] == first.run_requests[0].run_key.split(":")[:2]
    assert again.run_key != first.run_requests[0].run_key


def test_removed_file_withdraws_its_assessment(env):
    for name in ("COL-2023.xlsx", "ECU-2024.xlsx"):
        shutil.copy(SHIPPED / name, env.folder / name)
    first = tick(env)
    apply(env, first)
    (env.folder / "ECU-2024.xlsx").unlink()
    result = tick(env, first.cursor)
    assert deleted(result) == ["ECU-2024"] and not added(result)
    # No assessment to run: one refresh of the aggregates, which read the remaining
    # partitions only.
    [refresh] = result.run_requests
    assert refresh.job_name == AGGREGATE_JOB and refresh.partition_key is None
    assert refresh.tags["mrc/withdrawn"] == "ECU-2024" and AGGREGATE_TAG in refresh.tags
    # The assessment is marked withdrawn on its validated tables.
    [mark] = result.asset_events
    assert mark.asset_key == AssetKey("assessment_info") and mark.partition == "ECU-2024"
    assert mark.metadata["status"].value == "withdrawn"
    assert "ECU-2024.xlsx" in mark.metadata["files"].value


def test_file_name_does_not_make_the_partition_key(env):
    # A workbook saved under any name gets the safe id from its contents; a file
    # whose contents give no valid id creates no partition at all.
    shutil.copy(SHIPPED / "KEN-2023.xlsx", env.folder / "Kenya final (v2) ñ.xlsx")
    (env.folder / "notes.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = tick(env)
    assert added(result) == ["KEN-2023"]
    assert [r.partition_key for r in result.run_requests] == ["KEN-2023"]
    files, _ = read_cursor(result.cursor)
    assert files["notes.xlsx"][0] is None
    # Seen once, the invalid file is not reconsidered while unchanged.
    apply(env, result)
    assert not tick(env, result.cursor).run_requests


def _run_in_process(home: str, data: str, output: str, partition: str, tags: dict):
    """One requested run, executed in its own process as a run worker would."""
    instance = DagsterInstance.from_config(home)
    try:
        job = build_definitions(data, output).resolve_job_def(ASSESSMENT_JOB)
        result = job.execute_in_process(partition_key=partition, instance=instance,
                                        run_config=QUIET, tags=tags, raise_on_error=False)
        logs = [e.message or "" for e in instance.all_logs(result.run_id)]
        return partition, result.success, [m for m in logs if "locked" in m.lower()]
    finally:
        instance.dispose()


def _ui_reader(home: str, runs: int, timeout: float = 120.0) -> tuple[int, list[str]]:
    """What the UI does meanwhile: list runs, partitions and materialisations, until
    ``runs`` runs have finished. Returns the number of reads and every error."""
    instance = DagsterInstance.from_config(home)
    reads, errors = 0, []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                finished = instance.get_runs(filters=RunsFilter(statuses=FINISHED))
                instance.get_dynamic_partitions(ASSESSMENTS_PARTITION)
                instance.get_materialized_partitions(AssetKey("assessment_info"))
                instance.fetch_materializations(AssetKey("raw_workbook"), limit=20)
                reads += 1
                if len(finished) >= runs:
                    break
            except Exception as exc:  # every failure is reported by the test
                errors.append(repr(exc))
            time.sleep(0.02)
    finally:
        instance.dispose()
    return reads, errors


def test_five_workbooks_at_once_with_the_ui_reading(env):
    names = ["COL-2023.xlsx", "ECU-2024.xlsx", "KEN-2023.xlsx", "UGA-2023.xlsx"]
    for name in names:
        shutil.copy(SHIPPED / name, env.folder / name)
    second_round(SHIPPED / "COL-2023.xlsx", env.folder / "COL-2024.xlsx", 2024)
    expected = {"COL-2023", "COL-2024", "ECU-2024", "KEN-2023", "UGA-2023"}
    # The automation's first evaluation, before anything exists, starts its cursor.
    automation = evaluate_automation_conditions(defs=env.defs, instance=env.instance)
    assert automation.total_requested == 0

    result = tick(env)
    assert set(added(result)) == expected
    assert {r.partition_key for r in result.run_requests} == expected
    assert len({r.run_key for r in result.run_requests}) == 5
    apply(env, result)

    # The five runs in five processes at once, while another process reads the
    # instance as the UI does (processes forked from this one, which has imported
    # everything already).
    with ProcessPoolExecutor(max_workers=6, mp_context=get_context("fork")) as pool:
        reader = pool.submit(_ui_reader, str(env.home), 5)
        runs = [pool.submit(_run_in_process, str(env.home), str(env.data), str(env.output),
                            r.partition_key, r.tags) for r in result.run_requests]
        outcomes = [f.result() for f in runs]
        reads, errors = reader.result()
    assert all(ok for _, ok, _ in outcomes), outcomes
    assert not [m for _, _, locked in outcomes for m in locked]  # no "database is locked"
    assert not errors and reads > 0
    assert env.instance.get_materialized_partitions(AssetKey("assessment_info")) == expected

    # The automation asks for every unpartitioned asset exactly once, nothing per
    # assessment; they run together in one run. The opt-in public release (its output
    # may be skipped) is left to mrc run --public.
    automation = evaluate_automation_conditions(defs=env.defs, instance=env.instance,
                                                cursor=automation.cursor)
    graph = env.defs.resolve_asset_graph()
    unpartitioned = {k for k in graph.get_all_asset_keys()
                     if graph.get(k).partitions_def is None}
    automated = {k for k in unpartitioned if k != AssetKey("public_release")}
    assert {k for k in unpartitioned if automation.get_num_requested(k) == 1} == automated
    assert automation.total_requested == len(automated)
    agg = env.defs.resolve_job_def(TABLES_JOB).execute_in_process(
        instance=env.instance, run_config=QUIET)
    assert agg.success
    catalogue = pd.read_csv(env.output / "exports" / "assessments.csv")
    assert set(catalogue["assessment_id"]) == expected
    # Two rounds of Colombia: country_progress holds the change 2023 -> 2024.
    progress = pd.read_csv(env.output / "exports" / "country_progress.csv")
    cap1 = progress[(progress.level == "capability") & (progress.capability_no == 1)]
    assert cap1[["iso3", "year_earlier", "year_later"]].values.tolist() == [["COL", 2023, 2024]]
    col_2023_cap1 = 2  # COL-2023 rates capability 1 at 2; the second round at 4
    assert cap1["difference"].tolist() == [4 - col_2023_cap1]
    automation = evaluate_automation_conditions(defs=env.defs, instance=env.instance,
                                                cursor=automation.cursor)
    assert automation.total_requested == 0

    # A sensor that starts afresh (empty cursor) finds every validated table current.
    fresh = tick(env)
    assert not fresh.run_requests and not fresh.dynamic_partitions_requests

    # Withdrawing one: the refresh recomputes without it; its stored tables and the
    # earlier table version that included it stay readable.
    (env.folder / "UGA-2023.xlsx").unlink()
    gone = tick(env, fresh.cursor)
    apply(env, gone)
    [refresh] = gone.run_requests
    assert execute(env, refresh).success
    catalogue = pd.read_csv(env.output / "exports" / "assessments.csv")
    assert set(catalogue["assessment_id"]) == expected - {"UGA-2023"}
    table = env.output / "tables" / "assessments"
    assert "UGA-2023" in set(DeltaTable(str(table), version=0).to_pandas()["assessment_id"])
    assert (env.output / "store" / "assessment_info" / "UGA-2023.parquet").is_file()
    last = json.loads(DeltaTable(str(table)).history(1)[0]["assessments"])
    assert "UGA-2023" not in last and len(last) == 4


def test_daily_refresh_rechecks_the_folder(env):
    # A workbook the sensor never saw (sensor stopped): the schedule registers it and
    # requests its run; with nothing to run it refreshes the aggregates instead.
    shutil.copy(SHIPPED / "COL-2023.xlsx", env.folder / "COL-2023.xlsx")
    schedule = env.defs.resolve_schedule_def(SCHEDULE_NAME)
    requests = schedule(build_schedule_context(
        instance=env.instance, resources={"paths": env.defs.resources["paths"]},
        scheduled_execution_time=datetime.datetime(2026, 1, 2, 3, tzinfo=datetime.UTC)))
    assert env.instance.get_dynamic_partitions(ASSESSMENTS_PARTITION) == ["COL-2023"]
    [run] = requests
    assert run.partition_key == "COL-2023"
    assert AssetKey("assessment_info") in run.asset_selection
    job = env.defs.resolve_job_def(schedule.job_name)
    assert job.execute_in_process(partition_key="COL-2023", asset_selection=run.asset_selection,
                                  instance=env.instance, run_config=QUIET).success
    requests = schedule(build_schedule_context(
        instance=env.instance, resources={"paths": env.defs.resources["paths"]},
        scheduled_execution_time=datetime.datetime(2026, 1, 2, 3, tzinfo=datetime.UTC)))
    [refresh] = requests
    assert refresh.partition_key is None and AGGREGATE_TAG in refresh.tags
    assert AssetKey("maturity_by_capability") in refresh.asset_selection
    assert AssetKey("assessment_info") not in refresh.asset_selection


def test_missing_folder_withdraws_nothing(env):
    # The assessments folder vanishes (an unmounted share, a typo): skip, keep all.
    shutil.copy(SHIPPED / "COL-2023.xlsx", env.folder / "COL-2023.xlsx")
    first = tick(env)
    apply(env, first)
    shutil.rmtree(env.folder)
    result = tick(env, first.cursor)
    assert isinstance(result, SkipReason) and "is not a folder" in result.skip_message
    assert env.instance.get_dynamic_partitions(ASSESSMENTS_PARTITION) == ["COL-2023"]


def test_mrc_run_refuses_a_missing_data_folder(tmp_path, capsys):
    from mrc_pipeline.cli import main

    assert main(["run", "--data", str(tmp_path / "nowhere"), "--output",
                 str(tmp_path / "out"), "--dagster-home", str(tmp_path / "home")]) == 2
    assert "nowhere/assessments is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "home").exists()
