"""The folder sync plan, at the plain level: hand-built folder entries and states."""

import shutil

from mrc_pipeline.reference import DEFAULT_DATA_DIR
from mrc_pipeline.sync import (
    FolderEntry,
    plan_sync,
    scan_folder,
    validated_version,
    validator_version,
)

V = "validator000"  # a validator digest for the hand-built cases
A = "a" * 64
B = "b" * 64


def entry(name, sha, aid):
    return FolderEntry(name, sha, aid)


def test_new_workbook_is_registered_and_run():
    # Nothing registered yet: the workbook's partition is added and run.
    plan = plan_sync([entry("COL-2023.xlsx", A, "COL-2023")], registered=[], versions={},
                     stored=[], validator=V)
    assert plan.register == ["COL-2023"]
    assert list(plan.run) == ["COL-2023"] and plan.run["COL-2023"].sha256 == A
    assert not plan.withdraw and not plan.current


def test_current_version_is_skipped_and_other_content_is_run():
    # COL's tables were validated from content A by this validator: nothing to do.
    # ECU's were validated from B but the file now holds A: it runs again.
    entries = [entry("COL-2023.xlsx", A, "COL-2023"), entry("ECU-2024.xlsx", A, "ECU-2024")]
    versions = {"COL-2023": validated_version(A, V), "ECU-2024": validated_version(B, V)}
    plan = plan_sync(entries, ["COL-2023", "ECU-2024"], versions,
                     ["COL-2023", "ECU-2024"], V)
    assert plan.current == ["COL-2023"] and list(plan.run) == ["ECU-2024"]
    assert not plan.register


def test_other_validator_or_missing_store_reruns():
    # Same content, but validated by other code or reference data: run again.
    plan = plan_sync([entry("COL-2023.xlsx", A, "COL-2023")], ["COL-2023"],
                     {"COL-2023": validated_version(A, "othervalid00")}, ["COL-2023"], V)
    assert list(plan.run) == ["COL-2023"]
    # The instance says current but the stored tables are gone (output folder
    # deleted): run again rather than aggregate nothing.
    plan = plan_sync([entry("COL-2023.xlsx", A, "COL-2023")], ["COL-2023"],
                     {"COL-2023": validated_version(A, V)}, [], V)
    assert list(plan.run) == ["COL-2023"]


def test_full_runs_everything():
    plan = plan_sync([entry("COL-2023.xlsx", A, "COL-2023")], ["COL-2023"],
                     {"COL-2023": validated_version(A, V)}, ["COL-2023"], V, full=True)
    assert list(plan.run) == ["COL-2023"]


def test_removed_workbook_is_withdrawn_and_restored_one_refreshes_aggregates():
    # ECU is registered but its file has gone: withdrawn. KEN comes back with the
    # content its stored tables were validated from: registered, no run, and the
    # aggregates must include it again.
    entries = [entry("KEN-2023.xlsx", A, "KEN-2023")]
    plan = plan_sync(entries, ["ECU-2024"], {"KEN-2023": validated_version(A, V)},
                     ["KEN-2023", "ECU-2024"], V)
    assert plan.withdraw == ["ECU-2024"]
    assert plan.register == ["KEN-2023"] and plan.restored == ["KEN-2023"]
    assert not plan.run and plan.refresh_aggregates


def test_candidates_limit_runs_but_unregistered_always_considered():
    # The sensor passes only the ids whose file changed; an unregistered workbook is
    # considered even when not listed.
    entries = [entry("COL-2023.xlsx", A, "COL-2023"), entry("ECU-2024.xlsx", A, "ECU-2024")]
    plan = plan_sync(entries, ["COL-2023"], {}, [], V, candidates=[])
    assert list(plan.run) == ["ECU-2024"] and plan.register == ["ECU-2024"]


def test_invalid_and_duplicate_files():
    # A file without a valid id gets no partition; two files claiming one id: the
    # first by name is read.
    entries = [entry("COL-2023.xlsx", A, "COL-2023"), entry("colombia.xlsx", B, "COL-2023"),
               entry("notes.xlsx", B, None)]
    plan = plan_sync(entries, [], {}, [], V)
    assert plan.invalid == ["notes.xlsx"]
    assert plan.duplicate == {"COL-2023": ["COL-2023.xlsx", "colombia.xlsx"]}
    assert plan.register == ["COL-2023"] and plan.run["COL-2023"].name == "COL-2023.xlsx"


def test_scan_folder_ids_hashes_and_known_files(tmp_path):
    src = DEFAULT_DATA_DIR / "assessments" / "COL-2023.xlsx"
    shutil.copy(src, tmp_path / "COL-2023.xlsx")
    # A workbook under another name: its id comes from its assessment sheet.
    shutil.copy(src, tmp_path / "colombia final (2).xlsx")
    (tmp_path / "notes.xlsx").write_bytes(b"not a workbook")
    (tmp_path / "~$COL-2023.xlsx").write_bytes(b"excel lock file")
    (tmp_path / "readme.txt").write_text("ignored")
    entries = scan_folder(tmp_path)
    by_name = {e.name: e for e in entries}
    assert set(by_name) == {"COL-2023.xlsx", "colombia final (2).xlsx", "notes.xlsx"}
    assert by_name["colombia final (2).xlsx"].assessment_id == "COL-2023"
    assert by_name["notes.xlsx"].assessment_id is None  # no garbage partition key
    assert by_name["COL-2023.xlsx"].sha256 == by_name["colombia final (2).xlsx"].sha256
    # A known file with an unchanged hash keeps the id it had (not re-read).
    known = {"notes.xlsx": ("XYZ-2020", by_name["notes.xlsx"].short_hash)}
    assert {e.name: e.assessment_id for e in scan_folder(tmp_path, known)}[
        "notes.xlsx"] == "XYZ-2020"


def test_validator_version_follows_reference_data(tmp_path):
    # Changing a reference table (here: one more country) changes the validator.
    shutil.copytree(DEFAULT_DATA_DIR / "reference", tmp_path / "reference")
    before = validator_version("1.0", tmp_path)
    assert before == validator_version("1.0", tmp_path)
    assert before != validator_version("1.1", tmp_path)
    with open(tmp_path / "reference" / "countries.csv", "a") as fh:
        fh.write("PER,Peru,Perú,America\n")
    assert validator_version("1.0", tmp_path) != before
