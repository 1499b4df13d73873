"""Telemetry agents declared as custom resources, and vendor agents configured by environment.

``OpenTelemetryCollector`` (opentelemetry.io: ``v1beta1`` keeps ``spec.config`` as an object,
``v1alpha1`` as a YAML string), ``Prometheus`` and ``PrometheusAgent`` (monitoring.coreos.com)
objects are ``telemetry_agent`` assets whose sinks are flows. Their ``spec`` is free-form and
differs between objects, so it never goes through Arrow: each object is parsed on its own
(clusters hold a handful). Pods' containers' ``env`` entries with a literal ``value`` whose
name is a vendor variable (``DD_SITE``, ``OTEL_EXPORTER_OTLP_ENDPOINT``…) are picked in bulk
with Arrow; ``valueFrom`` is never resolved and no Secret or ConfigMap is read for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from residency.telemetry import (
    FLOW_COLUMNS,
    VENDOR_ENV_NAMES,
    Parsed,
    otel_collector,
    prometheus_resource,
    sink_flows,
    vendor_env_flows,
)
from residency_kubernetes.fields import Items, column, object_rows
from residency_kubernetes.flows import registry_flows

__all__ = [
    "AGENT_ATTRIBUTES",
    "agent_flows",
    "env_flows",
    "pod_flows",
    "transform_agents",
    "vendor_env",
]

AGENT_ATTRIBUTES: Final = ["agent_kind", "api_version"]
_OTEL: Final = "OpenTelemetryCollector"
_LINE: Final = re.compile(r"^spec\.config:\d+ ")
# Everything after the authority of a URL (or of ``host:port``): paths, queries and
# fragments can hold tokens or tenant ids, so only ``scheme://host:port`` is kept.
_AFTER_AUTHORITY: Final = (
    r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]*|(?![A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*)[/?#].*$"
)
_PATH: Final = re.compile(_AFTER_AUTHORITY, re.DOTALL)


def _origin(endpoint: str | None) -> str | None:
    return None if endpoint is None else _PATH.sub(r"\1", endpoint.strip())


def _origins(parsed: Parsed) -> Parsed:
    sinks = tuple(replace(s, endpoint=_origin(s.endpoint)) for s in parsed.sinks)
    return replace(parsed, sinks=sinks)


def _parse(obj: Mapping[str, Any], agent_kind: str) -> Parsed:
    """The sinks of one custom resource (never raises), endpoints without their paths."""
    return _origins(_sinks(obj, agent_kind))


def _sinks(obj: Mapping[str, Any], agent_kind: str) -> Parsed:
    if agent_kind != _OTEL:
        return prometheus_resource(obj)
    spec = obj.get("spec")
    config = spec.get("config") if isinstance(spec, Mapping) else None
    if isinstance(config, str):  # v1alpha1: the collector's YAML, lines are its own
        return otel_collector(config, "spec.config")
    if isinstance(config, Mapping):  # v1beta1: an object; no line numbers to cite
        parsed = otel_collector(yaml.safe_dump(dict(config), sort_keys=False), "spec.config")
        sinks = tuple(replace(s, where=_LINE.sub("spec.config ", s.where)) for s in parsed.sinks)
        return replace(parsed, sinks=sinks)
    shown = "missing" if config is None else f"a {type(config).__name__}"
    return Parsed("otel-collector", error=f"spec.config is {shown}, not a YAML string or object")


def transform_agents(
    items: Sequence[Mapping[str, Any]], agent_kind: str, stored_on: str | None
) -> pd.DataFrame:
    """``telemetry_agent`` rows for a page of one agent kind; ``parsed`` (the sinks) is kept
    for the flows and not stored."""
    metadata = [
        {
            "apiVersion": item.get("apiVersion"),
            "metadata": {
                k: (item.get("metadata") or {}).get(k) for k in ("name", "namespace", "uid")
            },
        }
        for item in items
    ]
    page = Items(metadata)
    return object_rows(
        page,
        "telemetry_agent",
        parent_id=stored_on,
        agent_kind=agent_kind,
        api_version=column(page, "apiVersion"),
        parsed=pd.Series([_parse(item, agent_kind) for item in items], dtype=object),
    )


def agent_flows(agents: pd.DataFrame) -> pd.DataFrame:
    """Flows of the sinks :func:`transform_agents` parsed; a config that cannot be read is a
    flow without a destination whose evidence is the parse error."""
    if agents.empty or "parsed" not in agents.columns:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    objects = agents["agent_kind"] + " " + agents["scope"].fillna("") + "/" + agents["name"]
    return sink_flows(zip(agents["asset_id"], objects, agents["parsed"], strict=True))


# -- vendor agents configured by environment -------------------------------------------------

# Separators of the per-pod ``vendor_env`` column: (container, name, value) fields, entries.
_FIELD: Final = "\x1f"
_ENTRY: Final = "\x1e"
_VENDOR_NAMES: Final = pa.array(VENDOR_ENV_NAMES, pa.string())


def vendor_env(page: Items) -> pd.Series:
    """Per pod, its containers' vendor variables set to a literal value, as
    ``container␟name␟value`` entries joined by ``␞`` (None for most pods): Arrow picks them
    out of every container's env and joins them per pod at once, no loop per pod. Only these
    few values are kept (not the env), in memory, for :func:`env_flows`; never stored."""
    n = len(page)
    owners: list[Any] = []
    entries: list[pa.Array] = []
    for containers in ("initContainers", "containers"):
        lists = page.get(f"spec.{containers}")
        if not pa.types.is_list(lists.type) or not pa.types.is_struct(lists.type.value_type):
            continue
        flat = lists.flatten()
        if flat.type.get_field_index("env") < 0 or flat.type.get_field_index("name") < 0:
            continue
        env = pc.struct_field(flat, "env")
        if not pa.types.is_list(env.type) or not pa.types.is_struct(env.type.value_type):
            continue
        pairs = env.flatten()
        if pairs.type.get_field_index("value") < 0 or pairs.type.get_field_index("name") < 0:
            continue  # no literal value anywhere on the page (all valueFrom)
        names, values = pc.struct_field(pairs, "name"), pc.struct_field(pairs, "value")
        if not pa.types.is_string(values.type):
            continue
        keep = pc.and_(pc.is_in(names, value_set=_VENDOR_NAMES), pc.is_valid(values))
        keep = pc.fill_null(keep, False)
        if not pc.any(keep).as_py():
            continue
        container = pc.list_parent_indices(env).filter(keep)
        owners.append(pc.list_parent_indices(lists).take(container).to_numpy())
        entries.append(
            pc.binary_join_element_wise(
                pc.struct_field(flat, "name").take(container),
                names.filter(keep),
                values.filter(keep),
                _FIELD,
            )
        )
    if not owners:
        return pd.Series([None] * n, dtype=object)
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    per_pod = pa.ListArray.from_arrays(offsets, pa.concat_arrays(entries).take(order))
    joined = pc.binary_join(per_pod, _ENTRY).to_numpy(zero_copy_only=False)
    return pd.Series(np.where(counts > 0, joined, None), dtype=object)


def env_flows(pods: pd.DataFrame) -> pd.DataFrame:
    """Flows of the vendor variables :func:`vendor_env` kept, through
    :func:`residency.telemetry.vendor_env_flows` (evidence ``Pod ns/name container c env
    NAME: endpoint``; only the endpoint of a value is ever shown). Pods repeat a handful of
    distinct entries: each is parsed once and spread to its pods with Arrow."""
    if "vendor_env" not in pods.columns:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    pods = pods[["asset_id", "scope", "name", "vendor_env"]].dropna(subset=["vendor_env"])
    if pods.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    lists = pc.split_pattern(pa.array(pods["vendor_env"].to_numpy(), pa.string()), _ENTRY)
    pod = pc.list_parent_indices(lists).to_numpy()
    encoded = pc.dictionary_encode(lists.flatten())
    code = encoded.indices.to_numpy()
    parsed = _entry_flows(tuple(encoded.dictionary.to_pylist()))
    rows = parsed.iloc[code]
    scope = pa.array(pods["scope"].fillna("").to_numpy(dtype=object)[pod], pa.string())
    name = pa.array(pods["name"].to_numpy(dtype=object)[pod], pa.string())
    evidence = pc.binary_join_element_wise(
        "Pod",
        pc.binary_join_element_wise(scope, name, "/"),
        pa.array(rows["evidence"].to_numpy(dtype=object), pa.string()),
        " ",
    )
    return pd.DataFrame(
        {
            "asset_id": pods["asset_id"].to_numpy(dtype=object)[pod],
            "channel": rows["channel"].to_numpy(dtype=object),
            "endpoint": rows["endpoint"].to_numpy(dtype=object),
            "host": rows["host"].to_numpy(dtype=object),
            "port": rows["port"].array,
            "evidence": evidence.to_numpy(zero_copy_only=False),
        }
    )


@functools.lru_cache(maxsize=16)
def _entry_flows(entries: tuple[str, ...]) -> pd.DataFrame:
    """The flow of each distinct ``container␟name␟value`` entry, in order (evidence from
    ``container c``). Pages repeat the same few entries: each set is parsed once per sweep."""
    fields = [entry.split(_FIELD, 2) for entry in entries]
    distinct = pd.DataFrame(
        {
            "asset_id": np.arange(len(entries)),
            "object": ["container " + f[0] for f in fields],
            "name": [f[1] for f in fields],
            "value": [f[2] for f in fields],
        }
    )
    # URLs lose their paths (a Sentry DSN's project, an OTLP path); an Elastic Cloud id is
    # not a URL and is decoded whole.
    url = distinct["name"].ne("ELASTIC_CLOUD_ID")
    distinct.loc[url, "value"] = (
        distinct.loc[url, "value"].str.strip().str.replace(_AFTER_AUTHORITY, r"\1", regex=True)
    )
    # Every entry is a known variable, so each has exactly one flow: flows[k] is entry k's.
    return vendor_env_flows(distinct).set_index("asset_id").reindex(np.arange(len(entries)))


def pod_flows(pods: pd.DataFrame) -> pd.DataFrame:
    """A page of pods' flows: the registries they pull from and their vendor variables."""
    parts = [f for f in (registry_flows(pods), env_flows(pods)) if len(f)]
    if not parts:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    return pd.concat(parts, ignore_index=True)
