"""The ``sample`` collector: the bundled sample estate, read directly without any API.

It yields exactly the tables the OpenStack and Kubernetes collectors produce when they
read the same estate over HTTP from the local endpoints, so it is the reference those
collectors are compared with, and the quickest way to see ``residency`` work.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from residency.collect import (
    Batch,
    CollectContext,
    assets_batch,
    coverage_batch,
    coverage_row,
    flows_batch,
)
from residency.sample import GLOBAL_KINDS, MEMBERS, SampleSource, generate_estate
from residency.schema import ASSETS

__all__ = ["SampleCollector", "SampleOptions"]


class SampleOptions(BaseModel):
    """Options of a ``type: sample`` source."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=7, description="Seed of the generated estate.")
    scale: float = Field(default=1.0, gt=0, le=100_000, description="Multiplies every row count.")
    chunk_rows: int = Field(default=100_000, gt=0, description="Rows per record batch.")
    members: list[str] = Field(
        default_factory=list,
        description="Only these sources of the estate (all if empty); the demo reads the "
        "others over HTTP with the real collectors.",
    )

    @field_validator("members")
    @classmethod
    def _known_members(cls, members: list[str]) -> list[str]:
        unknown = sorted(set(members) - set(MEMBERS))
        if unknown:
            raise ValueError(f"not in the sample estate: {unknown} (it has {list(MEMBERS)})")
        return members


class SampleCollector:
    """Collects every source of the sample estate."""

    type_name: ClassVar[str] = "sample"
    Options: ClassVar[type[BaseModel]] = SampleOptions

    def __init__(self, source: str, options: BaseModel) -> None:
        assert isinstance(options, SampleOptions)
        self.source = source
        self.options = options

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        estate = generate_estate(self.options.seed, self.options.scale)
        for member in estate.sources:
            if not self.options.members or member.name in self.options.members:
                yield from self._collect_source(member, ctx)

    def _collect_source(self, member: SampleSource, ctx: CollectContext) -> Iterator[Batch]:
        coverage = []
        kinds = sorted(set(member.frames) | {kind for _, kind in member.faults})
        for kind in kinds:
            started = time.perf_counter()
            frame = member.frames.get(
                kind, pd.DataFrame({"kind": [], "asset_id": [], "region": []})
            )
            # OpenStack APIs are listed region by region (Keystone's own kinds once, in the
            # identity region); a Kubernetes API once per cluster.
            regions: list[str | None] = [None]
            if member.platform == "openstack":
                regions = (
                    [member.identity_region] if kind in GLOBAL_KINDS else [*sorted(member.regions)]
                )
            for region in regions:
                fault = member.faults.get((region, kind))
                rows = frame if region is None else frame[frame["region"] == region]
                if fault is not None:
                    status, error = fault
                    coverage.append(coverage_row(kind, status, 0, started, error, region))
                    continue
                extra = [c for c in rows.columns if c not in ASSETS.names]  # the rest: attributes
                for start in range(0, len(rows), self.options.chunk_rows):
                    chunk = rows.iloc[start : start + self.options.chunk_rows]
                    yield assets_batch(
                        chunk,
                        source=member.name,
                        platform=member.platform,
                        observed_at=ctx.observed_at,
                        attributes=extra,
                    )
                    ctx.progress(f"{member.name} {kind}", len(chunk))
                coverage.append(coverage_row(kind, "ok", len(rows), started, None, region))
        if member.flows is not None and len(member.flows):
            yield flows_batch(member.flows, source=member.name, observed_at=ctx.observed_at)
        yield coverage_batch(coverage, source=member.name, observed_at=ctx.observed_at)
