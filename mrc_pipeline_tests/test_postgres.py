"""The production profile (deploy/production/dagster.yaml): Dagster storage in
PostgreSQL, steps in their own processes, tables at a URI.

``.ci/run`` starts a PostgreSQL server on a loopback port and sets
MRC_TEST_POSTGRES_URL, so this runs in CI; without it (a laptop with no server) the
tests are reported as skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import pytest
from dagster import DagsterInstance, execute_job, reconstructable
from deltalake import DeltaTable

from mrc_pipeline.definitions import ASSESSMENT_JOB, build_definitions
from mrc_pipeline.defs.automation import validated_versions
from mrc_pipeline.defs.runner import QUIET
from mrc_pipeline_tests.test_sensor import (
    SHIPPED,
    TABLES_JOB,
    apply,
    make_env,
    tick,
    with_tables_job,
)

URL = os.environ.get("MRC_TEST_POSTGRES_URL")
PROFILE = Path(__file__).resolve().parent.parent / "deploy" / "production" / "dagster.yaml"

#: Step processes forked from a server that has imported the project once.
FORKSERVER = {"execution": {"config": {"start_method": {
    "forkserver": {"preload_modules": ["mrc_pipeline.definitions"]}}}}}

pytestmark = pytest.mark.skipif(
    not URL, reason="MRC_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")


def _with_database(url: str, name: str, driver: str = "postgresql+psycopg2") -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{name}", parts.query, ""))


@pytest.fixture
def database():
    """A fresh database on the test server, dropped afterwards."""
    import psycopg2

    name = f"mrc_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(_with_database(URL, "postgres", "postgresql"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(URL, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _assessment_job():
    """The assessment job as a run worker rebuilds it (folders from the environment)."""
    return build_definitions().resolve_job_def(ASSESSMENT_JOB)


def test_pipeline_on_postgres_storage(tmp_path, database, monkeypatch):
    env = make_env(tmp_path)
    env.instance.dispose()
    shutil.copy(PROFILE, env.home / "dagster.yaml")
    monkeypatch.setenv("MRC_POSTGRES_URL", database)
    instance = DagsterInstance.from_config(str(env.home))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    # Tables at a URI, as on object storage.
    tables_uri = f"file://{tmp_path / 'remote-tables'}"
    monkeypatch.setenv("MRC_TABLES_URI", tables_uri)
    env.defs = with_tables_job(build_definitions(str(env.data), str(env.output)))
    env.instance = instance
    try:
        for name in ("COL-2023.xlsx", "KEN-2023.xlsx"):
            shutil.copy(SHIPPED / name, env.folder / name)
        result = tick(env)
        apply(env, result)
        assert sorted(instance.get_dynamic_partitions("assessments")) == ["COL-2023",
                                                                          "KEN-2023"]
        # One run with each step in its own process (the multiprocess executor), as a
        # production run worker executes it; the folders come from the environment.
        monkeypatch.setenv("MRC_DATA_DIR", str(env.data))
        monkeypatch.setenv("MRC_OUTPUT_DIR", str(env.output))
        monkeypatch.setenv("MRC_EXECUTOR", "multiprocess")
        first, second = result.run_requests
        with execute_job(reconstructable(_assessment_job), instance=instance,
                         tags={**first.tags, "dagster/partition": first.partition_key},
                         run_config={**QUIET, **FORKSERVER}) as multiprocess_run:
            assert multiprocess_run.success
        monkeypatch.setenv("MRC_EXECUTOR", "in_process")
        job = env.defs.resolve_job_def(ASSESSMENT_JOB)
        assert job.execute_in_process(partition_key=second.partition_key, instance=instance,
                                      run_config=QUIET).success
        # The versions query the sensor and mrc run rely on works on PostgreSQL.
        assert set(validated_versions(instance)) == {"COL-2023", "KEN-2023"}
        assert not tick(env).run_requests  # both current now
        assert env.defs.resolve_job_def(TABLES_JOB).execute_in_process(
            instance=instance, run_config=QUIET).success
        catalogue = DeltaTable(f"{tables_uri}/assessments").to_pandas()
        assert sorted(catalogue["assessment_id"]) == ["COL-2023", "KEN-2023"]
        assert not (env.output / "tables").exists()  # nothing written locally
        assert pd.read_csv(env.output / "exports" / "assessments.csv").shape[0] == 2
    finally:
        instance.dispose()
