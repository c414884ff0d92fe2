"""Where outputs live on disk, with no Dagster in sight.

- ``PartitionStore``: one file per asset and assessment under ``<output>/store/``,
  written atomically (temporary file, then rename); all partitions of an asset are
  read back in one scan.
- ``TableStore``: the analysts' output tables as Delta Lake tables under
  ``<output>/tables/<asset>``; each write is a new version carrying run id, code
  version and input hashes, so nothing is overwritten in place and any version can
  be read back (with DuckDB or pandas, without this project).
- ``write_export`` and ``write_xlsx_export``: full-precision CSV and XLSX copies
  under ``<output>/exports/``, with text that a spreadsheet would run as a formula
  neutralised (a leading quote), and XLSX text cells stored as text, never formulas.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file private (0600); outputs are meant to be shared like
        # any file the user creates, so apply the usual mode under the umask.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Arrow table with explicit types: text columns are strings even when all blank,
    nullable integers stay integers."""
    fields = []
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            fields.append(pa.field(name, pa.bool_()))
        elif pd.api.types.is_integer_dtype(dtype):
            fields.append(pa.field(name, pa.int64()))
        elif pd.api.types.is_float_dtype(dtype):
            fields.append(pa.field(name, pa.float64()))
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
        else:
            fields.append(pa.field(name, pa.string()))
    clean = frame.copy()
    for f in fields:
        if pa.types.is_string(f.type):
            col = clean[f.name]
            clean[f.name] = col.where(col.isna(), col.astype(str)).astype(object)
            clean[f.name] = clean[f.name].where(clean[f.name].notna(), None)
    return pa.Table.from_pandas(clean, schema=pa.schema(fields), preserve_index=False)


class PartitionStore:
    """Per-assessment intermediate outputs: ``<root>/<asset>/<partition>.parquet|.pkl``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, asset: str, partition: str, suffix: str) -> Path:
        return self.root / asset / f"{partition}{suffix}"

    def write(self, asset: str, partition: str, obj: Any) -> Path:
        if isinstance(obj, pd.DataFrame):
            path = self._path(asset, partition, ".parquet")
            sink = pa.BufferOutputStream()
            pq.write_table(to_arrow(obj), sink)
            atomic_write_bytes(path, sink.getvalue().to_pybytes())
            self._path(asset, partition, ".pkl").unlink(missing_ok=True)
        else:
            path = self._path(asset, partition, ".pkl")
            atomic_write_bytes(path, pickle.dumps(obj))
        return path

    def partitions(self, asset: str) -> set[str]:
        """Partitions of a table asset stored on disk (one directory listing)."""
        folder = self.root / asset
        if not folder.is_dir():
            return set()
        return {p.name[:-len(".parquet")] for p in folder.iterdir()
                if p.name.endswith(".parquet") and not p.name.startswith(".")}

    def exists(self, asset: str, partition: str) -> bool:
        return any(self._path(asset, partition, s).exists() for s in (".parquet", ".pkl"))

    def read(self, asset: str, partition: str) -> Any:
        parquet = self._path(asset, partition, ".parquet")
        if parquet.exists():
            return pd.read_parquet(parquet, dtype_backend="numpy_nullable").pipe(_plain)
        with open(self._path(asset, partition, ".pkl"), "rb") as fh:
            return pickle.load(fh)

    def read_many(self, asset: str, partitions: list[str]) -> tuple[pd.DataFrame, list[str]]:
        """All listed partitions of a table asset in one scan, and the ones missing."""
        files = [self._path(asset, p, ".parquet") for p in partitions]
        present = [f for f in files if f.exists()]
        missing = [p for p, f in zip(partitions, files) if not f.exists()]
        if not present:
            return pd.DataFrame(), missing
        table = ds.dataset([str(f) for f in present], format="parquet").to_table()
        return table.to_pandas(types_mapper=_nullable).pipe(_plain), missing


def _nullable(t: pa.DataType):
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    return None


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns back as object dtype (None for missing), the rest as read."""
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
            col = frame[name].astype(object)
            frame[name] = col.where(col.notna(), None)
        elif isinstance(dtype, pd.Float64Dtype):
            frame[name] = frame[name].astype(float)
        elif isinstance(dtype, pd.BooleanDtype):
            frame[name] = frame[name].astype(bool)
    return frame


def is_uri(location: Path | str) -> bool:
    """Whether a location is a URI (``s3://``, ``gs://``, ``az://``, ``file://``...)."""
    return isinstance(location, str) and "://" in location


class TableStore:
    """Versioned output tables in Delta Lake format under ``<root>/<asset>``.

    ``root`` is a local folder or a URI of object storage; credentials for the latter
    come from the environment as delta-rs reads them (``AWS_*``, ``AZURE_*``,
    ``GOOGLE_*``).
    """

    def __init__(self, root: Path | str):
        self.root: Path | str = root if is_uri(root) else Path(root)

    def path(self, asset: str) -> Path | str:
        if isinstance(self.root, str):
            return f"{self.root.rstrip('/')}/{asset}"
        return self.root / asset

    def write(self, asset: str, frame: pd.DataFrame, metadata: dict[str, Any]) -> int:
        """Append a new version (full replacement of the content); returns its number."""
        from deltalake import CommitProperties, write_deltalake

        if isinstance(self.root, Path):
            self.root.mkdir(parents=True, exist_ok=True)
        props = CommitProperties(custom_metadata={
            k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()})
        write_deltalake(str(self.path(asset)), to_arrow(frame), mode="overwrite",
                        schema_mode="overwrite", commit_properties=props)
        return self.version(asset)

    def version(self, asset: str) -> int:
        from deltalake import DeltaTable

        return DeltaTable(str(self.path(asset))).version()

    def exists(self, asset: str) -> bool:
        from deltalake import DeltaTable

        path = self.path(asset)
        if isinstance(path, str):
            return DeltaTable.is_deltatable(path)
        return (path / "_delta_log").is_dir()

    def read(self, asset: str, version: int | None = None) -> pd.DataFrame:
        from deltalake import DeltaTable

        dt = DeltaTable(str(self.path(asset)), version=version)
        return dt.to_pyarrow_table().to_pandas(types_mapper=_nullable).pipe(_plain)

    def history(self, asset: str) -> list[dict[str, Any]]:
        """One entry per version, oldest first: version, timestamp and commit metadata."""
        from deltalake import DeltaTable

        entries = DeltaTable(str(self.path(asset))).history()
        return sorted(entries, key=lambda e: e.get("version", 0))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would evaluate (=, +, -, @) with a quote."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if col.dtype != object:
            continue
        is_text = col.map(type).eq(str)
        risky = is_text & col.where(is_text, "").str.startswith(FORMULA_PREFIXES)
        if risky.any():
            out.loc[risky, name] = "'" + col[risky]
    return out


def write_export(path: Path, frame: pd.DataFrame) -> Path:
    """CSV at full precision, written atomically."""
    # Python writes the shortest text that reads back as the same float: full
    # precision without binary noise (2.09, not 2.0899999999999999).
    data = neutralise_formulas(frame).to_csv(index=False)
    atomic_write_bytes(Path(path), data.encode("utf-8"))
    return Path(path)


def write_xlsx_export(path: Path, frame: pd.DataFrame, sheet: str = "data") -> Path:
    """One-sheet XLSX at full precision, written atomically.

    Text is neutralised as in the CSV and every text cell is stored as a string, so
    no cell of the export is ever a formula; characters XML cannot carry are dropped;
    times are written in UTC without a zone (Excel has none)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append([str(c) for c in frame.columns])
    for row in neutralise_formulas(frame).itertuples(index=False):
        cells = []
        for value in row:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                value = None
            elif isinstance(value, pd.Timestamp):
                value = (value.tz_convert("UTC").tz_localize(None) if value.tzinfo
                         else value).to_pydatetime()
            elif hasattr(value, "item"):  # numpy scalar
                value = value.item()
            if isinstance(value, str):
                cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"
            else:
                cell = WriteOnlyCell(ws, value=value)
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)
