"""Keeping the assessments in step with the workbooks folder, with no Dagster in sight.

The folder is the source of truth. Every workbook whose name or content gives a valid
``ISO3-YEAR`` id is an assessment; a registered assessment whose workbook has gone is
withdrawn. A workbook needs a run only when its content (SHA-256, never the file's
modification time) or the validator (the code and the reference data) differs from
what its last validated materialisation recorded as its *validated version*.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mrc_pipeline.instrument import (
    ASSESSMENT_ID,
    file_sha256,
    read_workbook,
    validate_workbook,
)
from mrc_pipeline.reference import Reference

log = logging.getLogger(__name__)

#: Hex digits of a workbook hash kept in sensor cursors and run keys.
SHORT_HASH = 16


@dataclass(frozen=True)
class FolderEntry:
    """One workbook file: its name in the folder, content hash and assessment id
    (None when neither the name nor the content gives a valid ``ISO3-YEAR``)."""

    name: str
    sha256: str
    assessment_id: str | None

    @property
    def short_hash(self) -> str:
        return self.sha256[:SHORT_HASH]


def is_workbook_name(name: str) -> bool:
    """An ``.xlsx`` file that is not an Excel lock file or a hidden file."""
    return name.lower().endswith(".xlsx") and not name.startswith(("~$", "."))


def valid_id(candidate: str | None) -> str | None:
    """The id when it is a safe ``ISO3-YEAR`` partition key, else None."""
    return candidate if candidate and ASSESSMENT_ID.match(candidate) else None


def workbook_id(path: Path, ref: Reference) -> str | None:
    """The assessment id of a workbook: its file name when that is ``ISO3-YEAR.xlsx``
    (no need to open it), else ISO3 and year from its ``assessment`` sheet, checked
    against the reference countries; None when neither gives a valid id."""
    stem = path.stem.upper()
    if ASSESSMENT_ID.match(stem):
        return stem
    return valid_id(validate_workbook(read_workbook(path), ref).assessment_id)


def scan_folder(folder: Path, known: Mapping[str, tuple[str | None, str]] | None = None,
                ref: Reference | None = None) -> list[FolderEntry]:
    """Every workbook in ``folder``, sorted by name, with its hash and id.

    ``known`` maps a file name to the (id, short hash) seen before: a file whose hash
    is unchanged keeps its id without being opened again. Ids come from
    ``workbook_id`` with the reference data ``ref`` (default: the shipped data). A
    file that vanishes or cannot be read during the scan is left for the next scan.
    """
    known = known or {}
    ref = ref or Reference()
    entries: list[FolderEntry] = []
    folder = Path(folder)
    if not folder.is_dir():
        return entries
    for path in sorted(folder.iterdir()):
        if not is_workbook_name(path.name) or not path.is_file():
            continue
        try:
            sha = file_sha256(path)
            previous = known.get(path.name)
            if previous is not None and previous[1] == sha[:SHORT_HASH]:
                aid = previous[0]
            else:
                aid = workbook_id(path, ref)
        except OSError as exc:
            log.warning(f"{path.name}: not read this time ({exc})")
            continue
        entries.append(FolderEntry(path.name, sha, aid))
    return entries


def by_assessment(entries: Iterable[FolderEntry]) -> dict[str, FolderEntry]:
    """Assessment id -> its workbook; the first by file name wins when two files claim
    the same id (the others are reported by ``duplicates``)."""
    out: dict[str, FolderEntry] = {}
    for entry in entries:
        if entry.assessment_id is not None:
            out.setdefault(entry.assessment_id, entry)
    return out


def duplicates(entries: Iterable[FolderEntry]) -> dict[str, list[str]]:
    """Assessment id -> every file name claiming it, for ids claimed more than once."""
    names: dict[str, list[str]] = {}
    for entry in entries:
        if entry.assessment_id is not None:
            names.setdefault(entry.assessment_id, []).append(entry.name)
    return {aid: files for aid, files in names.items() if len(files) > 1}


def validator_version(code_version: str, data_dir: Path) -> str:
    """Digest of what turns a workbook into validated tables besides the workbook: the
    code version and every reference table (a new country or label changes results)."""
    h = hashlib.sha256(code_version.encode())
    for path in sorted((Path(data_dir) / "reference").glob("*.csv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def validated_version(workbook_sha256: str, validator: str) -> str:
    """The data version recorded on an assessment's validated tables."""
    return f"{workbook_sha256[:SHORT_HASH]}-{validator}"


@dataclass
class SyncPlan:
    """What to do so the partitions match the folder.

    - ``register``: ids to add as partitions;
    - ``run``: id -> workbook entry, for assessments whose validated version is not
      current (new, changed, never validated, or validated by other code/reference);
    - ``current``: ids considered whose validated version is current (nothing to run);
    - ``restored``: ids re-registered whose stored outputs are current: no run, but the
      aggregates must be refreshed to include them again;
    - ``withdraw``: registered ids whose workbook has gone;
    - ``invalid``: file names that give no valid id (no partition is created);
    - ``duplicate``: id -> file names, when several files claim one id.
    """

    register: list[str] = field(default_factory=list)
    run: dict[str, FolderEntry] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    withdraw: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    duplicate: dict[str, list[str]] = field(default_factory=dict)

    @property
    def refresh_aggregates(self) -> bool:
        """Whether the aggregates change without any partition being run."""
        return bool(self.withdraw or self.restored)

    def summary(self) -> str:
        return (f"{len(self.register)} to register, {len(self.run)} to run, "
                f"{len(self.current)} current, {len(self.restored)} restored, "
                f"{len(self.withdraw)} withdrawn, {len(self.invalid)} without a valid id")


def plan_sync(entries: list[FolderEntry], registered: Iterable[str],
              versions: Mapping[str, str], stored: Iterable[str], validator: str, *,
              candidates: Iterable[str] | None = None, full: bool = False) -> SyncPlan:
    """Plan the partition changes and runs that bring the partitions in step.

    ``registered``: the partition keys now; ``versions``: id -> validated version of
    its latest materialisation; ``stored``: ids whose validated tables are on disk;
    ``candidates``: the ids to consider for a run (default all; a sensor passes the
    ids whose file changed since its last tick); ``full``: run every candidate.
    """
    registered = set(registered)
    stored = set(stored)
    workbooks = by_assessment(entries)
    plan = SyncPlan(invalid=[e.name for e in entries if e.assessment_id is None],
                    duplicate=duplicates(entries))
    plan.withdraw = sorted(registered - set(workbooks))
    considered = set(workbooks) if candidates is None else set(candidates) & set(workbooks)
    # A workbook whose partition is missing is always considered.
    considered |= set(workbooks) - registered
    for aid in sorted(considered):
        entry = workbooks[aid]
        if aid not in registered:
            plan.register.append(aid)
        is_current = (not full and aid in stored
                      and versions.get(aid) == validated_version(entry.sha256, validator))
        if not is_current:
            plan.run[aid] = entry
        elif aid in registered:
            plan.current.append(aid)
        else:
            plan.restored.append(aid)
    return plan
