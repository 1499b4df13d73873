"""The sweep store: ``<store>/sweep_id=<id>/<table>.parquet`` plus ``manifest.json``, written last.

A folder without a manifest is an interrupted sweep and is never read as one. The store is a
local path or any URL ``pyarrow.fs`` understands (``s3://…``, ``gs://…``, ``file://…``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from residency import __version__
from residency.errors import StoreError
from residency.schema import SCHEMAS, TABLE_NAMES, conform

__all__ = ["MANIFEST", "StoredSweep", "SweepWriter", "list_sweeps", "new_sweep_id", "open_sweep"]

MANIFEST: Final = "manifest.json"
FORMAT: Final = "residency-sweep/1"


def new_sweep_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique id: UTC time to the millisecond plus a short random suffix."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S.") + f"{now.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


def _filesystem(store: str) -> tuple[pafs.FileSystem, str]:
    try:
        if "://" in store:
            return pafs.FileSystem.from_uri(store)  # type: ignore[no-any-return]
        return pafs.LocalFileSystem(), store
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise StoreError(f"store {store}: cannot open: {exc}") from None


class SweepWriter:
    """Streams record batches of each table into the sweep's folder; the manifest comes last."""

    def __init__(self, store: str, sweep_id: str) -> None:
        self.store = store
        self.sweep_id = sweep_id
        self.fs, root = _filesystem(store)
        self.root = root.rstrip("/")
        self.folder = f"{self.root}/sweep_id={sweep_id}"
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._rows: dict[str, int] = {}
        try:
            self.fs.create_dir(self.folder, recursive=True)
            probe = f"{self.folder}/.write-probe"
            with self.fs.open_output_stream(probe) as out:
                out.write(b"ok")
            self.fs.delete_file(probe)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"store {store} is not writable: {_reason(exc)}") from None

    def write(self, table: str, data: pa.Table) -> None:
        """Append rows to ``table`` (adding ``sweep_id``), checked against its schema.

        A table's file is written in one go: once closed, writing to it again is an error.
        """
        if table in self._rows and table not in self._writers:
            raise RuntimeError(f"table {table} of sweep {self.sweep_id} is already closed")
        data = self._conformed(table, data)
        writer = self._writers.get(table)
        if writer is None:
            sink = self.fs.open_output_stream(f"{self.folder}/{table}.parquet")
            writer = pq.ParquetWriter(sink, SCHEMAS[table], compression="zstd")
            self._writers[table] = writer
        writer.write_table(data)
        self._rows[table] = self._rows.get(table, 0) + len(data)

    def close_tables(self, tables: Iterable[str] = TABLE_NAMES) -> None:
        """Finish ``tables``; one never written gets an empty file with its schema."""
        for table in tables:
            if table not in self._rows:
                self.write(table, SCHEMAS[table].empty_table())
            writer = self._writers.pop(table, None)
            if writer is not None:
                writer.close()

    def rewrite(self, table: str, parts: Iterable[pa.Table]) -> None:
        """Replace a closed ``table`` with ``parts`` (the flows, once their destinations are
        resolved, converted a slice at a time); written beside it and moved over it, so it is
        never half written."""
        if table not in self._rows or table in self._writers:
            raise RuntimeError(f"table {table} of sweep {self.sweep_id} is not closed")
        tmp = f"{self.folder}/.{table}.parquet.tmp"
        rows = 0
        with (
            self.fs.open_output_stream(tmp) as sink,
            pq.ParquetWriter(sink, SCHEMAS[table], compression="zstd") as writer,
        ):
            for data in parts:
                writer.write_table(self._conformed(table, data))
                rows += len(data)
        self.fs.move(tmp, f"{self.folder}/{table}.parquet")
        self._rows[table] = rows

    def _conformed(self, table: str, data: pa.Table) -> pa.Table:
        """``data`` with this sweep's ``sweep_id`` (where it has none), checked against and
        cast to ``table``'s schema."""
        if "sweep_id" not in data.column_names:
            data = data.add_column(
                0, "sweep_id", pa.array([self.sweep_id] * len(data), pa.string())
            )
        return conform(table, data)

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """Read back a table this writer closed (for locate and evaluate): in one thread and
        without pre-buffering, which decodes a million rows in a second and holds half the
        memory at its peak."""
        return pq.read_table(
            f"{self.folder}/{table}.parquet",
            columns=columns,
            filesystem=self.fs,
            use_threads=False,
            pre_buffer=False,
        )

    def commit(self, details: Mapping[str, Any]) -> dict[str, Any]:
        """Write the manifest, atomically and last; only now does the sweep exist."""
        tables = {}
        for table in TABLE_NAMES:
            path = f"{self.folder}/{table}.parquet"
            digest = hashlib.sha256()
            with self.fs.open_input_stream(path) as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
            tables[table] = {
                "file": f"{table}.parquet",
                "rows": self._rows.get(table, 0),
                "sha256": digest.hexdigest(),
            }
        manifest = {
            "format": FORMAT,
            "sweep_id": self.sweep_id,
            "residency_version": __version__,
            **details,
            "tables": tables,
        }
        body = json.dumps(manifest, indent=2, default=str).encode()
        tmp = f"{self.folder}/.{MANIFEST}.tmp"
        with self.fs.open_output_stream(tmp) as out:
            out.write(body)
        self.fs.move(tmp, f"{self.folder}/{MANIFEST}")
        return manifest

    def abort(self) -> None:
        """Remove the partial folder (best effort: without a manifest it is never read anyway)."""
        for writer in self._writers.values():
            with contextlib.suppress(OSError, pa.ArrowException):
                writer.close()
        self._writers.clear()
        with contextlib.suppress(OSError, pa.ArrowException):
            self.fs.delete_dir(self.folder)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


@dataclass
class StoredSweep:
    """A committed sweep: its manifest and lazily read tables."""

    store: str
    folder: str
    manifest: dict[str, Any]
    fs: pafs.FileSystem

    @property
    def sweep_id(self) -> str:
        return str(self.manifest["sweep_id"])

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """Read one table; a damaged file is a ``StoreError`` naming it."""
        if name not in SCHEMAS:
            raise StoreError(f"unknown table '{name}' (tables: {', '.join(TABLE_NAMES)})")
        path = f"{self.folder}/{name}.parquet"
        try:
            return pq.read_table(path, columns=columns, filesystem=self.fs)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"{path}: cannot read table: {_reason(exc)}") from None

    def path(self, name: str) -> str:
        return f"{self.folder}/{name}.parquet"


def _sweep_folders(store: str) -> Iterator[tuple[pafs.FileSystem, str]]:
    fs, root = _filesystem(store)
    try:
        infos = fs.get_file_info(pafs.FileSelector(root.rstrip("/"), allow_not_found=True))
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"store {store}: cannot list: {_reason(exc)}") from None
    for info in sorted(infos, key=lambda i: i.path):
        if info.type == pafs.FileType.Directory and info.base_name.startswith("sweep_id="):
            yield fs, info.path


def _read_manifest(fs: pafs.FileSystem, folder: str) -> dict[str, Any] | None:
    path = f"{folder}/{MANIFEST}"
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    try:
        with fs.open_input_stream(path) as stream:
            manifest = json.loads(stream.read())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable manifest: {_reason(exc)}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{path}: not a residency sweep manifest (format {FORMAT} expected)")
    return manifest


def list_sweeps(store: str) -> list[StoredSweep]:
    """Committed sweeps, oldest first; folders without a manifest are skipped."""
    sweeps = []
    for fs, folder in _sweep_folders(store):
        manifest = _read_manifest(fs, folder)
        if manifest is not None:
            sweeps.append(StoredSweep(store, folder, manifest, fs))
    return sweeps


def open_sweep(store: str, sweep_id: str | None = None) -> StoredSweep:
    """The sweep ``sweep_id``, or the newest committed one."""
    sweeps = list_sweeps(store)
    if not sweeps:
        raise StoreError(f"store {store}: no committed sweep (run `residency sweep` first)")
    if sweep_id is None:
        return sweeps[-1]
    for sweep in sweeps:
        if sweep.sweep_id == sweep_id:
            return sweep
    raise StoreError(f"store {store}: no committed sweep '{sweep_id}'")
