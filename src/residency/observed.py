"""The ``observed_flows`` collector: where traffic actually went, from flow records.

Declared configuration says where data is meant to go; observed traffic says where it went.
This collector reads Cilium Hubble flow exports (JSON lines, as Hubble's exporter writes
``GetFlowsResponse`` objects) or generic flow records (CSV or Parquet with ``src``,
``dst_ip``, ``dst_port`` and optionally ``bytes`` and ``time``), keeps the flows that leave
their source, aggregates them by (source workload, destination) with Arrow's
``group_by`` block by block, and yields ``flows`` rows with ``basis = observed``. The sweep
then resolves each distinct destination once, like declared flows.

A Hubble source workload is named ``k8s:pod/<namespace>/<pod>``; with ``cluster`` set to the
Kubernetes source of the same sweep, the flows are attributed to that source, so their
in-cluster destinations take the pod's placement.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Final, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from residency.collect import Batch, CollectContext, coverage_batch, coverage_row, flows_batch
from residency.fields import Items

__all__ = ["ObservedFlowsCollector", "ObservedFlowsOptions", "aggregate", "read_records"]

KIND: Final = "observed_flow"
_KEYS: Final = ["src", "dst_ip", "dst_name"]
_BLOCK: Final = 64 << 20


class ObservedFlowsOptions(BaseModel):
    """Options of a ``type: observed_flows`` source."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(description="A Hubble export (JSON lines), or a CSV or Parquet file.")
    format: Literal["auto", "hubble", "csv", "parquet"] = "auto"
    cluster: str | None = Field(
        default=None,
        description="The Kubernetes source whose pods sent the traffic (Hubble exports).",
    )
    channel: Literal["egress", "logs", "metrics", "traces"] = Field(
        default="egress", description="The data path the records are counted as."
    )


def _format(options: ObservedFlowsOptions) -> str:
    if options.format != "auto":
        return options.format
    suffix = options.path.suffix.lower()
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "hubble")


def _field(page: Items, *paths: str) -> pa.Array:
    """The first of ``paths`` (dotted) the records have, as strings; nulls if none."""
    for path in paths:
        array = page.get(path)
        if not pa.types.is_null(array.type):
            return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    return pa.nulls(len(page), pa.string())


def _hubble_block(table: pa.Table) -> pa.Table:
    """A block of Hubble flows as records: the exporter wraps each flow in ``flow``."""
    if "flow" in table.column_names:
        table = pa.Table.from_struct_array(table["flow"].combine_chunks())
    page = Items.of_table(table)
    namespace = _field(page, "source.namespace")
    pod = _field(page, "source.pod_name", "source.podName")
    src = pc.if_else(
        pc.is_valid(pod),
        pc.binary_join_element_wise("k8s:pod", namespace, pod, "/"),
        _field(page, "IP.source", "ip.source"),
    )
    port = pc.coalesce(
        _field(page, "l4.TCP.destination_port", "l4.TCP.destinationPort"),
        _field(page, "l4.UDP.destination_port", "l4.UDP.destinationPort"),
    )
    names = None
    for key in ("destination_names", "destinationNames"):
        if key in table.column_names:
            names = pc.list_element(
                pc.if_else(
                    pc.greater(pc.list_value_length(table[key].combine_chunks()), 0),
                    table[key].combine_chunks(),
                    None,
                ),
                0,
            )
            break
    # Traffic to another endpoint of the cluster (it has a pod) never left it.
    leaves = pc.invert(pc.is_valid(_field(page, "destination.pod_name", "destination.podName")))
    records = pa.table(
        {
            "src": src,
            "dst_ip": _field(page, "IP.destination", "ip.destination"),
            "dst_port": pc.cast(port, pa.int32(), safe=False),
            "dst_name": names if names is not None else pa.nulls(len(table), pa.string()),
            "bytes": pa.nulls(len(table), pa.int64()),
        }
    )
    return records.filter(leaves)


def _record_block(table: pa.Table) -> pa.Table:
    missing = [c for c in ("src", "dst_ip") if c not in table.column_names]
    if missing:
        raise ValueError(f"flow records need columns src and dst_ip (missing: {missing})")
    n = len(table)

    def optional(name: str, type_: pa.DataType) -> pa.Array:
        if name in table.column_names:
            return pc.cast(table[name].combine_chunks(), type_)
        return pa.nulls(n, type_)

    return pa.table(
        {
            "src": pc.cast(table["src"].combine_chunks(), pa.string()),
            "dst_ip": pc.cast(table["dst_ip"].combine_chunks(), pa.string()),
            "dst_port": optional("dst_port", pa.int32()),
            "dst_name": optional("dst_name", pa.string()),
            "bytes": optional("bytes", pa.int64()),
        }
    )


def read_records(path: Path, fmt: str) -> Iterator[pa.Table]:
    """Blocks of (src, dst_ip, dst_port, dst_name, bytes) records from ``path``."""
    if fmt == "parquet":
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=1 << 20):
            yield _record_block(pa.Table.from_batches([batch]))
    elif fmt == "csv":
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=_BLOCK))
        for batch in reader:
            yield _record_block(pa.Table.from_batches([batch]))
    else:
        table = pajson.read_json(path, read_options=pajson.ReadOptions(block_size=_BLOCK))
        for batch in table.to_batches(max_chunksize=1 << 20):
            yield _hubble_block(pa.Table.from_batches([batch]))


def aggregate(blocks: Iterator[pa.Table]) -> pa.Table:
    """Records grouped by (source workload, destination): how many, how many bytes, and the
    destination port where all records used one (null where they used several)."""
    parts = []
    for block in blocks:
        parts.append(
            block.group_by(_KEYS, use_threads=False).aggregate(
                [
                    ("bytes", "sum"),
                    ("src", "count"),
                    ("dst_port", "min"),
                    ("dst_port", "max"),
                ]
            )
        )
    if not parts:
        return pa.table(
            {
                **{k: pa.array([], pa.string()) for k in _KEYS},
                "records": pa.array([], pa.int64()),
                "bytes": pa.array([], pa.int64()),
                "dst_port": pa.array([], pa.int32()),
            }
        )
    merged = pa.concat_tables(parts, promote_options="permissive")
    total = merged.group_by(_KEYS, use_threads=False).aggregate(
        [
            ("bytes_sum", "sum"),
            ("src_count", "sum"),
            ("dst_port_min", "min"),
            ("dst_port_max", "max"),
        ]
    )
    low, high = total["dst_port_min_min"], total["dst_port_max_max"]
    port = pc.if_else(pc.equal(low, high), low, pa.scalar(None, low.type))
    return pa.table(
        {
            **{k: total[k] for k in _KEYS},
            "records": total["src_count_sum"],
            "bytes": total["bytes_sum_sum"],
            "dst_port": port,
        }
    )


class ObservedFlowsCollector:
    """Collects observed flows from one file of flow records."""

    type_name: ClassVar[str] = "observed_flows"
    Options: ClassVar[type[BaseModel]] = ObservedFlowsOptions

    def __init__(self, source: str, options: BaseModel) -> None:
        assert isinstance(options, ObservedFlowsOptions)
        self.source = source
        self.options = options

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        started = time.perf_counter()
        path = self.options.path
        owner = self.options.cluster or self.source
        try:
            grouped = aggregate(read_records(path, _format(self.options)))
        except (OSError, ValueError, pa.ArrowInvalid) as exc:
            # An unreadable or malformed export is a coverage error, never an empty pass.
            reason = " ".join(str(exc).split())[:300]
            row = coverage_row(KIND, "error", 0, started, f"{path.name}: {reason}")
            yield coverage_batch([row], source=self.source, observed_at=ctx.observed_at)
            return
        frame = grouped.to_pandas()
        if len(frame):
            yield flows_batch(
                self._flows(frame), source=owner, observed_at=ctx.observed_at, basis="observed"
            )
        row = coverage_row(KIND, "ok", len(frame), started)
        yield coverage_batch([row], source=self.source, observed_at=ctx.observed_at)

    def _flows(self, frame: pd.DataFrame) -> pd.DataFrame:
        count = frame["records"].astype("Int64").astype(str)
        volume = frame["bytes"].astype("Int64")
        bytes_text = volume.astype(str).astype(object).where(volume.notna(), "?")
        destination = frame["dst_name"].where(frame["dst_name"].notna(), frame["dst_ip"])
        return pd.DataFrame(
            {
                "asset_id": frame["src"].astype(object),
                "channel": self.options.channel,
                "endpoint": destination.astype(object),
                "host": frame["dst_name"].astype(object),
                "ip": frame["dst_ip"].astype(object),
                "port": frame["dst_port"].astype("Int32"),
                "evidence": (
                    f"{self.options.path.name}: "
                    + count
                    + " records, "
                    + bytes_text
                    + " bytes, to "
                    + frame["dst_ip"].fillna("?").astype(str)
                ).astype(object),
            }
        )
