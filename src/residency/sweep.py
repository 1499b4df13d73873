"""A sweep: collect every source, locate, evaluate, and store — in one direction."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from residency import cloudranges, ipdata
from residency.areas import Area, load_areas
from residency.collect import CollectContext, collector_types, interleave
from residency.config import Config, SourceConfig
from residency.errors import ResidencyError
from residency.hostnames import DnsResolver, HostResolver
from residency.locate import locate_assets, sites_frame
from residency.resolve import OWN_ADDRESS_ATTRIBUTES, declared_catalog, resolve_sweep_flows
from residency.rules import (
    FINDING_COLUMNS,
    SLICE,
    EvaluationInput,
    evaluate,
    evaluate_rules,
    refs_column,
)
from residency.schema import COMPLETE_COVERAGE
from residency.store import StoredSweep, SweepWriter, new_sweep_id

__all__ = ["EXIT_CODES", "SweepOutcome", "evaluate_tables", "exit_code", "run_sweep", "summarise"]

EXIT_CODES: Final = {"proven": 0, "violations": 1, "usage": 2, "incomplete": 3}

_ASSET_COLUMNS: Final = [
    "source",
    "platform",
    "kind",
    "asset_id",
    "name",
    "scope",
    "region",
    "zone",
    "provider",
    "category",
    "parent_id",
]


@dataclass
class SweepOutcome:
    """What a sweep or a re-evaluation produced."""

    sweep_id: str
    _findings: pd.DataFrame | Callable[[], pd.DataFrame]
    coverage: pd.DataFrame
    summary: dict[str, Any]
    folder: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> pd.DataFrame:
        """A sweep's findings are read back from its store when first asked for: a large
        sweep never holds all of them while it evaluates."""
        if callable(self._findings):
            self._findings = self._findings()
        return self._findings

    @property
    def exit_code(self) -> int:
        return exit_code(self.summary)


def _catalog() -> pd.DataFrame:
    from residency.providers import provider_regions_frame

    return provider_regions_frame()


def locate(
    assets: pd.DataFrame,
    coverage: pd.DataFrame,
    config: Config,
    area: Area,
    config_file: str,
    flows: pd.DataFrame | None = None,
    own_addresses: pd.DataFrame | None = None,
    dns: HostResolver | None = None,
) -> tuple[pd.DataFrame, EvaluationInput]:
    """Placements for collected ``assets``, the destinations of their ``flows``, and what
    the rules read (``data.flows`` holds the resolved flows)."""
    placements = locate_assets(assets, sites_frame(config.sites, config_file), _catalog())
    placed = pd.concat(
        [assets.reset_index(drop=True), placements.drop(columns=["asset_id"])], axis=1
    )
    location = area.contains(placed["country"], placed["subdivision"], placed["lat"], placed["lon"])
    control = area.contains(placed["operator_jurisdiction"])
    data = EvaluationInput(placed, coverage, area, location, control)
    _give_back_freed_memory()
    if flows is not None and len(flows):
        own = own_addresses if own_addresses is not None else _NO_ADDRESSES
        data.flows, data.flow_location, data.flow_control = resolve_sweep_flows(
            flows,
            placed,
            own,
            area,
            declared=declared_catalog(config.endpoints),
            ip_lookup=ipdata.lookup,
            cloud_lookup=cloudranges.place,
            dns=dns,
        )
    return placements, data


_NO_ADDRESSES: Final = pd.DataFrame({"source": [], "asset_id": [], "address": []}, dtype=object)


def own_addresses(assets: pa.Table) -> pd.DataFrame:
    """(source, asset_id, address) of the estate's public addresses: floating IPs, load
    balancer VIPs, routers' gateways (from a table with kind and attributes)."""
    kinds = pc.cast(assets["kind"], pa.string())
    parts = []
    for kind, key in OWN_ADDRESS_ATTRIBUTES.items():
        rows = assets.filter(pc.equal(kinds, kind))
        if not len(rows):
            continue
        address = pc.map_lookup(rows["attributes"], key, "first")
        parts.append(
            pd.DataFrame(
                {
                    "source": pc.cast(rows["source"], pa.string()).to_pandas(),
                    "asset_id": rows["asset_id"].to_pandas(),
                    "address": address.to_pandas(),
                },
                dtype=object,
            )
        )
    found = pd.concat(parts, ignore_index=True) if parts else _NO_ADDRESSES
    return found.dropna(subset=["address"])


def locate_and_evaluate(
    assets: pd.DataFrame,
    coverage: pd.DataFrame,
    config: Config,
    area: Area,
    config_file: str,
    today: dt.date | None = None,
    flows: pd.DataFrame | None = None,
    addresses: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Placements and findings for collected ``assets``, ``coverage`` and ``flows``."""
    placements, data = locate(assets, coverage, config, area, config_file, flows, addresses)
    return placements, evaluate(data, config.requirements, config.exemptions, today)


def summarise(findings: pd.DataFrame, coverage: pd.DataFrame) -> dict[str, Any]:
    """Counts by status, by rule, and the sweep's completeness."""
    return _summary([_counts(findings)], coverage)


def _counts(findings: pd.DataFrame) -> pd.Series:
    """Findings per (rule, status)."""
    keys = [findings["rule_id"].astype(str), findings["status"].astype(str)]
    return findings.groupby(keys).size()


def _summary(counts: list[pd.Series], coverage: pd.DataFrame) -> dict[str, Any]:
    statuses = ["pass", "fail", "unknown", "exempted", "not_applicable"]
    by_rule = (
        pd.concat(counts)
        .groupby(level=[0, 1])
        .sum()
        .unstack(fill_value=0)
        .reindex(columns=statuses, fill_value=0)
    )
    totals = by_rule.sum()
    gaps = coverage[~coverage["status"].astype(str).isin(COMPLETE_COVERAGE)]
    return {
        "findings": {s: int(totals[s]) for s in statuses},
        "rules": {
            str(rule): {s: int(v) for s, v in row.items()} for rule, row in by_rule.iterrows()
        },
        "coverage_gaps": [
            {k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in gaps[["source", "region", "kind", "status", "error"]]
            .astype(object)
            .to_dict("records")
        ],
        "complete": bool(gaps.empty),
    }


def exit_code(summary: dict[str, Any], fail_on: str = "incomplete") -> int:
    """0 proven inside; 1 violations; 3 incomplete without violations (see ``--fail-on``)."""
    if fail_on == "never":
        return 0
    if summary["findings"]["fail"]:
        return EXIT_CODES["violations"]
    if fail_on == "violation":
        return 0
    if summary["findings"]["unknown"] or not summary["complete"]:
        return EXIT_CODES["incomplete"]
    return EXIT_CODES["proven"]


def _frame(table: pa.Table) -> pd.DataFrame:
    """A table as pandas. Dictionary-encoded columns stay categorical: a million assets name
    a handful of sources, platforms, kinds and categories, and strings per row cost memory."""
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _with_provenance(frame: pd.DataFrame, source: Any, observed_at: dt.datetime) -> pa.Table:
    """``frame`` as Arrow with ``source`` and ``observed_at`` in front (no pandas copy)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stamp = pa.array(np.full(len(frame), pd.Timestamp(observed_at).value // 1000), pa.int64())
    table = table.add_column(0, "observed_at", stamp.cast(pa.timestamp("us", tz="UTC")))
    return table.add_column(0, "source", pa.array(np.asarray(source, dtype=object), pa.string()))


def _findings_table(findings: pd.DataFrame, evaluated_at: dt.datetime) -> pa.Table:
    table = _with_provenance(
        findings.drop(columns=["source"]), findings["source"].to_numpy(), evaluated_at
    )
    return table.append_column("refs", refs_column(findings["rule_id"]))


def _stored_findings(writer: SweepWriter) -> pd.DataFrame:
    """The findings a sweep stored, as :func:`residency.rules.evaluate` returns them."""
    table = writer.read("findings", [*FINDING_COLUMNS, "severity", "area"])
    plain = [
        pc.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
        for c in table.columns
    ]
    frame: pd.DataFrame = pa.table(plain, names=table.column_names).to_pandas()
    return frame


def evaluate_tables(
    assets: pd.DataFrame,
    coverage: pd.DataFrame,
    config: Config,
    config_file: str,
    today: dt.date | None = None,
    flows: pd.DataFrame | None = None,
    addresses: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Area]:
    """Load the configured area, then locate and evaluate."""
    areas = load_areas(config.area_files)
    area = areas.get(config.area)
    placements, findings = locate_and_evaluate(
        assets, coverage, config, area, config_file, today, flows, addresses
    )
    return placements, findings, area


def _collect_concurrently(
    config: Config, ctx: CollectContext, writer: SweepWriter
) -> dict[str, float]:
    """Run the sources' collectors in up to ``config.concurrency`` threads; this thread alone
    writes. The queue is bounded, so a fast collector waits for the writer instead of
    piling batches up in memory. The first collector error stops the sweep."""
    timings: dict[str, float] = {}

    def collect(source: SourceConfig) -> Iterator[Any]:
        started = time.perf_counter()
        collector_cls = collector_types()[source.type]
        options = collector_cls.Options.model_validate(source.options)
        yield from collector_cls(source.name, options).collect(ctx)
        timings[f"collect:{source.name}"] = time.perf_counter() - started

    producers = [functools.partial(collect, source) for source in config.sources]
    for item in interleave(producers, config.concurrency, "collect"):
        writer.write(*item)
    return timings


def _use_returning_allocator() -> None:
    """Make Arrow hand freed memory back promptly (jemalloc with no decay), so the peak of a
    sweep is what it holds at once, not what it ever held; keep the default where the
    build has no jemalloc."""
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return
    pa.set_memory_pool(pool)


def _give_back_freed_memory() -> None:
    """Return the C heap's freed pages to the system (glibc ``malloc_trim``). Python strings
    of a rule's findings are freed once stored, but glibc keeps their pages, so without this
    each rule would start from the previous one's high-water mark. A no-op elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    pa.default_memory_pool().release_unused()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    return trim


def run_sweep(
    config: Config,
    config_file: str,
    progress: Callable[[str, int], None] = lambda label, rows: None,
    stage: Callable[[str], None] = lambda name: None,
    dns: HostResolver | None = None,
) -> SweepOutcome:
    """Collect every configured source, locate, evaluate, and commit the sweep. Host names
    are looked up only with ``dns.resolve`` (through ``dns``, if given, else the configured
    nameservers)."""
    _use_returning_allocator()
    areas = load_areas(config.area_files)
    area = areas.get(config.area)  # fail on an unknown area before collecting anything
    if config.dns.resolve and dns is None:
        dns = DnsResolver(config.dns.nameservers, config.dns.timeout_s)
    elif not config.dns.resolve:
        dns = None
    started = dt.datetime.now(dt.UTC)
    sweep_id = new_sweep_id(started)
    writer = SweepWriter(config.store_location(), sweep_id)
    ctx = CollectContext(sweep_id=sweep_id, observed_at=started, progress=progress)
    try:
        stage(f"collect {', '.join(s.name for s in config.sources)}")
        timings = _collect_concurrently(config, ctx, writer)
        writer.close_tables(["assets", "coverage", "flows"])
        # Collection is over: hand the memory Arrow kept for its batches back to the system.
        pa.default_memory_pool().release_unused()

        stage("locate and evaluate")
        t0 = time.perf_counter()
        assets = _frame(writer.read("assets", _ASSET_COLUMNS))
        coverage = _frame(writer.read("coverage"))
        flows = _frame(writer.read("flows"))
        addresses = own_addresses(
            writer.read("assets", ["source", "asset_id", "kind", "attributes"])
        )
        _give_back_freed_memory()
        placements, data = locate(
            assets, coverage, config, area, config_file, flows, addresses, dns
        )
        evaluated_at = dt.datetime.now(dt.UTC)
        sources = assets["source"].to_numpy()
        writer.write("placements", _with_provenance(placements, sources, evaluated_at))
        if data.flows is not None:
            resolved = data.flows.drop(columns=["asset_kind", "asset_name"])
            writer.rewrite(
                "flows",
                (
                    pa.Table.from_pandas(resolved.iloc[start : start + SLICE], preserve_index=False)
                    for start in range(0, len(resolved), SLICE)
                ),
            )
        del assets, placements, sources, flows
        # One rule's findings at a time: stored, counted, and let go before the next rule.
        counts = []
        _give_back_freed_memory()
        for findings in evaluate_rules(data, config.requirements, config.exemptions):
            writer.write("findings", _findings_table(findings, evaluated_at))
            counts.append(_counts(findings))
            del findings
            _give_back_freed_memory()
        del data
        writer.close_tables()
        timings["locate_evaluate"] = time.perf_counter() - t0

        summary = _summary(counts, coverage)
        manifest = writer.commit(
            {
                "started_at": started.isoformat(),
                "finished_at": dt.datetime.now(dt.UTC).isoformat(),
                "area": area.name,
                "requirements": list(config.requirements),
                "sources": [{"name": s.name, "type": s.type} for s in config.sources],
                "summary": summary,
                "exit_code": exit_code(summary),
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
            }
        )
    except BaseException:
        writer.abort()
        raise
    stored = functools.partial(_stored_findings, writer)
    return SweepOutcome(sweep_id, stored, coverage, summary, writer.folder, manifest)


def reevaluate(sweep: StoredSweep, config: Config, config_file: str) -> SweepOutcome:
    """Evaluate a stored sweep again with the current area, requirements and exemptions."""
    assets = _frame(sweep.table("assets", _ASSET_COLUMNS))
    coverage = _frame(sweep.table("coverage"))
    if assets.empty and coverage.empty:
        raise ResidencyError(f"sweep {sweep.sweep_id} has no assets and no coverage")
    flows = _frame(sweep.table("flows"))
    addresses = own_addresses(sweep.table("assets", ["source", "asset_id", "kind", "attributes"]))
    _, findings, _ = evaluate_tables(
        assets, coverage, config, config_file, flows=flows, addresses=addresses
    )
    summary = summarise(findings, coverage)
    return SweepOutcome(sweep.sweep_id, findings, coverage, summary, sweep.folder, sweep.manifest)
