"""Atomic writes and exports of the store module."""

import os
import stat

import pandas as pd

from mrc_pipeline.store import atomic_write_bytes, write_export


def test_atomic_write_replaces_whole_file_with_usual_mode(tmp_path):
    target = tmp_path / "sub" / "table.csv"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    # No temporary file is left beside the target.
    assert [p.name for p in target.parent.iterdir()] == ["table.csv"]
    # Readable by others like any file the user creates (umask 022 -> 0644), not 0600.
    old = os.umask(0o022)
    try:
        atomic_write_bytes(target, b"again")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_export_neutralises_formula_text(tmp_path):
    frame = pd.DataFrame({"description": ["=HYPERLINK(\"x\")", "plain", "-1 gap"],
                          "mean": [1.0, 2.0, 3.0]})
    text = write_export(tmp_path / "t.csv", frame).read_text()
    assert "'=HYPERLINK" in text and "'-1 gap" in text and "\nplain," in text
