"""Instance profiles shipped in deploy/: the local one is what ``mrc run`` writes,
telemetry is off everywhere, and executors are chosen by MRC_EXECUTOR."""

import importlib.util
from pathlib import Path

import pytest
import yaml

from mrc_pipeline.definitions import build_definitions
from mrc_pipeline.defs.runner import DAGSTER_YAML, prepare_instance

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_local_profile_is_the_one_mrc_run_writes(tmp_path):
    assert (DEPLOY / "local" / "dagster.yaml").read_text() == DAGSTER_YAML
    instance = prepare_instance(tmp_path / "home")
    try:
        limits = instance.get_concurrency_config().run_queue_config
        assert limits.max_concurrent_runs == 4
        assert {"key": "mrc/aggregates", "limit": 1} in limits.tag_concurrency_limits
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    finally:
        instance.dispose()


def test_every_profile_turns_telemetry_off():
    profiles = sorted(DEPLOY.glob("*/dagster.yaml"))
    assert [p.parent.name for p in profiles] == ["kubernetes", "local", "production"]
    for path in profiles:
        assert yaml.safe_load(path.read_text())["telemetry"] == {"enabled": False}, path


def test_executor_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("MRC_EXECUTOR", "multiprocess")
    assert build_definitions().executor.name == "multiprocess"
    monkeypatch.setenv("MRC_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="expected one of in_process, multiprocess, k8s"):
        build_definitions()
    monkeypatch.setenv("MRC_EXECUTOR", "k8s")
    if importlib.util.find_spec("dagster_k8s") is None:
        with pytest.raises(ValueError, match="needs the dagster-k8s package"):
            build_definitions()
    else:
        assert build_definitions().executor.name == "k8s"
