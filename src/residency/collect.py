"""The collector registry (entry-point group ``residency.collectors``) and what collectors share."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel

from residency.kinds import channel_frame, kind_frame
from residency.schema import SCHEMAS, STRING_MAP

__all__ = [
    "Batch",
    "CollectContext",
    "Collector",
    "assets_batch",
    "attributes_array",
    "collector_types",
    "coverage_batch",
    "coverage_row",
    "flows_batch",
    "interleave",
]

Batch = tuple[str, pa.Table]
"""A table name and rows of that table (without ``sweep_id``; the sweep adds it)."""


@dataclass
class CollectContext:
    """What a collector gets from the sweep: when it runs and where to report progress."""

    sweep_id: str
    observed_at: dt.datetime
    progress: Callable[[str, int], None] = field(default=lambda label, rows: None)


class Collector(Protocol):
    """A collector turns one control plane into record batches of the shared tables."""

    type_name: ClassVar[str]
    Options: ClassVar[type[BaseModel]]

    def __init__(self, source: str, options: BaseModel) -> None: ...

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        """Yield (table, rows); raise only on programming errors, never on API errors."""
        ...


@cache
def collector_types() -> Mapping[str, type[Collector]]:
    """Installed collectors by their ``type`` name in the configuration."""
    found: dict[str, type[Collector]] = {}
    for ep in entry_points(group="residency.collectors"):
        found[ep.name] = ep.load()
    return found


_KINDS = kind_frame()
_CHANNELS = channel_frame()


def assets_batch(
    frame: pd.DataFrame,
    *,
    source: str,
    platform: str,
    observed_at: dt.datetime,
    attributes: Sequence[str] = (),
) -> Batch:
    """Rows of ``assets`` from a frame with at least ``kind`` and ``asset_id``.

    Category and data classes come from the kind registry; the ``attributes`` columns of
    ``frame`` become the attributes map; any other schema column missing is null.
    """
    kinds = _KINDS[_KINDS["platform"] == platform]
    merged = frame.merge(kinds, on="kind", how="left", validate="many_to_one")
    unknown = merged.loc[merged["category"].isna(), "kind"].unique()
    if len(unknown):
        raise ValueError(f"kinds not in residency.kinds for {platform}: {sorted(unknown)}")
    merged["source"] = source
    merged["platform"] = platform
    merged["observed_at"] = pd.Timestamp(observed_at)
    table = _to_table("assets", merged.drop(columns=["attributes"], errors="ignore"))
    index = table.schema.get_field_index("attributes")
    return "assets", table.set_column(index, "attributes", attributes_array(merged, attributes))


def attributes_array(frame: pd.DataFrame, columns: Sequence[str]) -> pa.MapArray:
    """A ``map<string,string>`` column from ``columns`` of ``frame``, built in bulk."""
    n = len(frame)
    if not columns:
        return pa.array([None] * n, type=STRING_MAP)
    values = frame[list(columns)].astype(object).to_numpy()
    present = pd.notna(values)
    keys = np.broadcast_to(np.asarray(columns, dtype=object), values.shape)[present]
    items = values[present].astype(str)
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    return pa.MapArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.array(keys, pa.string()), pa.array(items, pa.string())
    )


def flows_batch(
    frame: pd.DataFrame, *, source: str, observed_at: dt.datetime, basis: str = "declared"
) -> Batch:
    """Rows of ``flows`` from a frame with asset_id, channel, endpoint, host, port and
    evidence; the data classes come from the channel. ``basis`` is ``declared`` (from
    configuration) or ``observed`` (from traffic records)."""
    merged = frame.merge(_CHANNELS, on="channel", how="left", validate="many_to_one")
    unknown = merged.loc[merged["data_classes"].isna(), "channel"].unique()
    if len(unknown):
        raise ValueError(f"channels not in residency.kinds.CHANNELS: {sorted(unknown)}")
    merged["basis"] = basis
    merged["source"] = source
    merged["observed_at"] = pd.Timestamp(observed_at)
    return "flows", _to_table("flows", merged)


def coverage_row(
    kind: str,
    status: str,
    rows: int,
    started: float,
    error: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """One coverage record for a listing that began at ``started`` (``time.perf_counter()``)."""
    return {
        "region": region,
        "kind": kind,
        "status": status,
        "rows": rows,
        "duration_s": time.perf_counter() - started,
        "error": error,
    }


def coverage_batch(
    rows: Sequence[Mapping[str, Any]], *, source: str, observed_at: dt.datetime
) -> Batch:
    """Rows of ``coverage`` from dicts: kind, status, rows, duration_s, region, error."""
    frame = pd.DataFrame(rows)
    frame["source"] = source
    frame["observed_at"] = pd.Timestamp(observed_at)
    return "coverage", _to_table("coverage", frame)


@cache
def _batch_schema(table: str) -> pa.Schema:
    """``table``'s schema as collectors produce it: no ``sweep_id`` (the sweep adds it) and
    plain strings where the stored table is dictionary-encoded."""
    return pa.schema(
        [
            f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
            for f in SCHEMAS[table]
            if f.name != "sweep_id"
        ]
    )


def _to_table(table: str, frame: pd.DataFrame) -> pa.Table:
    schema = _batch_schema(table)
    missing = pd.Series([None] * len(frame), dtype=object)
    columns = {f.name: frame[f.name] if f.name in frame.columns else missing for f in schema}
    return pa.Table.from_pandas(pd.DataFrame(columns), schema=schema, preserve_index=False)


T = TypeVar("T")
_DONE = object()


def interleave(
    producers: Sequence[Callable[[], Iterable[T]]], concurrency: int, name: str = "produce"
) -> Iterator[T]:
    """The items of every producer, run ``concurrency`` at a time in threads, as they come.

    A bounded queue keeps memory flat: producers wait while the consumer is busy. The first
    exception a producer raises is raised here. If the consumer stops early (an exception,
    or closing this generator), every producer stops at its next item instead of waiting on
    a full queue.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=2 * max(1, concurrency))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run(producer: Callable[[], Iterable[T]]) -> None:
        try:
            for item in producer():
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)
        finally:
            put(_DONE)

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix=name)
    try:
        for producer in producers:
            pool.submit(run, producer)
        running = len(producers)
        while running:
            item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
