"""Time and memory of refusing oversized and hostile workbooks.

Run from the repository root: ``python benchmarks/hostile_workbooks.py``. Each case is
built in a temporary folder, then read with ``read_workbook``; the script prints the
wall time and the peak Python memory (tracemalloc) of the read, and the issue found.
Targets: every case refused in under 2 s and 50 MB, however large the sheet claims
or turns out to be.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from mrc_pipeline.instrument import read_workbook, validate_workbook
from mrc_pipeline.reference import Reference
from mrc_pipeline.template import write_instrument

ROWS = 300_000


def _good(folder: Path, ref: Reference) -> Path:
    return write_instrument(folder / "KEN-2023.xlsx", iso3="KEN", year=2023, ref=ref)


def _replace_part(path: Path, part: str, write) -> Path:
    out = path.with_name("case.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == part:
                with dst.open(part, "w") as fh:
                    write(fh)
            else:
                dst.writestr(info.filename, src.read(info))
    return out


def _long_sheet(dimension: str):
    """A gaps sheet of ROWS rows, streamed to the zip, declaring ``dimension``."""
    def write(fh):
        fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                 b'2006/main"><dimension ref="' + dimension.encode() + b'"/><sheetData>')
        for r in range(1, ROWS + 1):
            fh.write(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>G{r}</t></is></c>'
                     f'<c r="E{r}"><v>3</v></c></row>'.encode())
        fh.write(b"</sheetData></worksheet>")
    return write


def _laughs(fh):
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 12))
    fh.write(('<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + ']>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a11;</t></is></c>'
              '</row></sheetData></worksheet>').encode())


def _bomb(fh):
    block = b" " * (1 << 20)
    for _ in range(200):
        fh.write(block)


def main() -> None:
    ref = Reference()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good = _good(folder, ref)
        cases = {
            f"{ROWS} rows, dimension declared": lambda: _replace_part(
                good, "xl/worksheets/sheet3.xml", _long_sheet(f"A1:F{ROWS}")),
            f"{ROWS} rows, dimension understated": lambda: _replace_part(
                good, "xl/worksheets/sheet3.xml", _long_sheet("A1:F3")),
            "billion laughs (10^11 expansions)": lambda: _replace_part(
                good, "xl/worksheets/sheet2.xml", _laughs),
            "200 MB of XML in a small zip": lambda: _replace_part(
                good, "xl/worksheets/sheet4.xml", _bomb),
            "good workbook (reference)": lambda: good,
        }
        for name, build in cases.items():
            path = build()
            tracemalloc.start()
            start = time.perf_counter()
            raw = read_workbook(path)
            issues = validate_workbook(raw, ref).issues
            elapsed = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            first = str(issues[0]) if issues else "no issue"
            print(f"{name:38} {path.stat().st_size / 1e6:6.2f} MB file  "
                  f"{elapsed:6.3f} s  peak {peak / 1e6:6.1f} MB  {first[:90]}")


if __name__ == "__main__":
    main()
