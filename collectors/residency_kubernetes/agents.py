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

from residency.endpoints import split_endpoints
from residency.telemetry import (
    FLOW_COLUMNS,
    VENDOR_ENV_NAMES,
    Parsed,
    origin,
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


def _origins(parsed: Parsed) -> Parsed:
    sinks = tuple(
        replace(s, endpoint=None if s.endpoint is None else origin(s.endpoint))
        for s in parsed.sinks
    )
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


# -- vendor agents configured by environment or arguments ------------------------------------

# Separators of the per-pod ``vendor_env`` column: (container, name, value) fields, entries.
_FIELD: Final = "\x1f"
_ENTRY: Final = "\x1e"
_VENDOR_NAMES: Final = pa.array(VENDOR_ENV_NAMES, pa.string())
# Well-known flags that name where an agent sends data (``--flag=value`` or ``--flag value``,
# Go's single dash too): channel and whether the value is a comma-separated list.
# Jaeger agent --reporter.grpc.host-port and collector/query --es.server-urls:
#   https://www.jaegertracing.io/docs/1.57/cli/
# Promtail -client.url: https://grafana.com/docs/loki/latest/send-data/promtail/configuration/
_FLAGS: Final = {
    "es.server-urls": "traces",
    "reporter.grpc.host-port": "traces",
    "client.url": "logs",
}
_FLAG: Final = (
    r"^--?(?P<flag>" + "|".join(re.escape(f) for f in _FLAGS) + r")(?P<eq>=?)(?P<value>.*)$"
)


def _env_entries(flat: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """(container index, ``container␟name␟value``) of the vendor variables with a literal
    value among ``flat`` containers' env; None when there are none."""
    if flat.type.get_field_index("env") < 0:
        return None
    env = pc.struct_field(flat, "env")
    if not pa.types.is_list(env.type) or not pa.types.is_struct(env.type.value_type):
        return None
    pairs = env.flatten()
    if pairs.type.get_field_index("value") < 0 or pairs.type.get_field_index("name") < 0:
        return None  # no literal value anywhere on the page (all valueFrom)
    names, values = pc.struct_field(pairs, "name"), pc.struct_field(pairs, "value")
    if not pa.types.is_string(values.type):
        return None
    keep = pc.fill_null(
        pc.and_(pc.is_in(names, value_set=_VENDOR_NAMES), pc.is_valid(values)), False
    )
    if not pc.any(keep).as_py():
        return None
    container = pc.list_parent_indices(env).filter(keep)
    text = pc.binary_join_element_wise(
        pc.struct_field(flat, "name").take(container),
        names.filter(keep),
        values.filter(keep),
        _FIELD,
    )
    return container, text


def _arg_entries(flat: pa.Array, field: str) -> tuple[pa.Array, pa.Array] | None:
    """(container index, ``container␟--flag␟value``) of the well-known flags among ``flat``
    containers' ``command`` or ``args``; a flag without ``=`` takes the next element."""
    if flat.type.get_field_index(field) < 0:
        return None
    lists = pc.struct_field(flat, field)
    if not pa.types.is_list(lists.type) or not pa.types.is_string(lists.type.value_type):
        return None
    words = lists.flatten()
    parent = pc.list_parent_indices(lists).to_numpy()
    found = pc.extract_regex(words, _FLAG)
    matched = pc.is_valid(found).to_numpy(zero_copy_only=False)
    if not matched.any():
        return None
    flag = pc.struct_field(found, "flag").to_numpy(zero_copy_only=False)
    value = pc.struct_field(found, "value").to_numpy(zero_copy_only=False).astype(object)
    separate = matched & (pc.struct_field(found, "eq").to_numpy(zero_copy_only=False) == "")
    # ``--flag value``: the next word of the same container, if any.
    following = np.append(np.arange(1, len(words)), -1)
    words_np = words.to_numpy(zero_copy_only=False).astype(object)
    flag_next = np.append(pc.starts_with(words, "-").to_numpy(zero_copy_only=False)[1:], True)
    has_next = (following >= 0) & (np.append(parent[1:], -1) == parent) & ~flag_next
    value = np.where(separate & has_next, words_np[np.where(has_next, following, 0)], value)
    keep = matched & ~(separate & ~has_next)
    container = pa.array(parent[keep])
    text = pc.binary_join_element_wise(
        pc.struct_field(flat, "name").take(container),
        pa.array(np.char.add("--", flag[keep].astype(str)), pa.string()),
        pa.array(value[keep], pa.string()),
        _FIELD,
    )
    return container, text


def vendor_env(page: Items) -> pd.Series:
    """Per pod, where its containers' vendor variables (literal values) and well-known flags
    send data, as ``container␟name␟value`` entries joined by ``␞`` (None for most pods):
    Arrow picks them out of every container's env, command and args and joins them per pod
    at once, no loop per pod. Only these few values are kept (not the env), in memory, for
    :func:`env_flows`; never stored."""
    n = len(page)
    owners: list[Any] = []
    entries: list[pa.Array] = []
    for containers in ("initContainers", "containers"):
        lists = page.get(f"spec.{containers}")
        if not pa.types.is_list(lists.type) or not pa.types.is_struct(lists.type.value_type):
            continue
        flat = lists.flatten()
        if flat.type.get_field_index("name") < 0:
            continue
        pods = pc.list_parent_indices(lists)
        for found in (
            _env_entries(flat),
            _arg_entries(flat, "command"),
            _arg_entries(flat, "args"),
        ):
            if found is not None:
                owners.append(pods.take(found[0]).to_numpy())
                entries.append(found[1])
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
    """Flows of the entries :func:`vendor_env` kept: variables through
    :func:`residency.telemetry.vendor_env_flows`, flags as their URLs (evidence ``Pod ns/name
    container c env NAME: endpoint`` or ``… args --flag: endpoint``; only the endpoint of a
    value is ever shown). Pods repeat a handful of distinct entries: each is parsed once per
    sweep and spread to its pods with Arrow."""
    if "vendor_env" not in pods.columns:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    pods = pods[["asset_id", "scope", "name", "vendor_env"]].dropna(subset=["vendor_env"])
    if pods.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    lists = pc.split_pattern(pa.array(pods["vendor_env"].to_numpy(), pa.string()), _ENTRY)
    encoded = pc.dictionary_encode(lists.flatten())
    occurrences = pd.DataFrame(
        {
            "pod": pc.list_parent_indices(lists).to_numpy(),
            "entry": encoded.indices.to_numpy(),
        }
    )
    parsed = _entry_flows(tuple(encoded.dictionary.to_pylist()))
    rows = occurrences.merge(parsed, on="entry", how="inner", sort=False)
    pod = rows["pod"].to_numpy()
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


def _cut(values: pd.Series) -> pd.Series:
    """URLs without userinfo, path, query or fragment (a Sentry DSN's key and project, an OTLP
    path): distinct entries only, each once."""
    return values.map(origin)


@functools.lru_cache(maxsize=16)
def _entry_flows(entries: tuple[str, ...]) -> pd.DataFrame:
    """The flows of each distinct ``container␟name␟value`` entry, ``entry`` its position
    (evidence from ``container c``). Pages repeat the same few entries: each set is parsed
    once per sweep."""
    fields = [entry.split(_FIELD, 2) for entry in entries]
    table = pd.DataFrame(
        {
            "entry": np.arange(len(entries)),
            "container": [f[0] for f in fields],
            "name": [f[1] for f in fields],
            "value": [f[2] if len(f) > 2 else "" for f in fields],
        }
    )
    flag = table["name"].str.startswith("--")
    env = table[~flag]
    # An Elastic Cloud id is not a URL and is decoded whole.
    url = env["name"].ne("ELASTIC_CLOUD_ID")
    values = env["value"].where(~url, _cut(env["value"]))
    from_env = vendor_env_flows(
        pd.DataFrame(
            {
                "asset_id": env["entry"],
                "object": "container " + env["container"],
                "name": env["name"],
                "value": values,
            }
        )
    ).rename(columns={"asset_id": "entry"})
    frames = [from_env]
    if flag.any():
        args = table[flag].assign(value=table["value"].str.split(",")).explode("value")
        args = args[args["value"].str.strip().ne("")]
        # A gRPC target (``dns:///collector:14250``) names its host after the resolver scheme.
        target = args["value"].str.strip().str.replace(r"^dns:///", "", regex=True)
        parts = split_endpoints(_cut(target).reset_index(drop=True))
        shown = parts["endpoint"].where(
            parts["endpoint"].notna(), parts["unresolved"] + " (unresolved)"
        )
        from_args = pd.DataFrame(
            {
                "entry": args["entry"].to_numpy(),
                "channel": args["name"].str.removeprefix("--").map(_FLAGS).to_numpy(dtype=object),
                "endpoint": parts["endpoint"].to_numpy(dtype=object),
                "host": parts["host"].to_numpy(dtype=object),
                "port": parts["port"].array,
                "evidence": (
                    "container " + args["container"] + " args " + args["name"] + ": "
                ).to_numpy(dtype=object)
                + shown.fillna("(unresolved)").to_numpy(dtype=object),
            }
        )
        frames.append(from_args)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["entry", *FLOW_COLUMNS[1:]])
    return pd.concat(frames, ignore_index=True).sort_values("entry", kind="stable")


def pod_flows(pods: pd.DataFrame) -> pd.DataFrame:
    """A page of pods' flows: the registries they pull from and their vendor variables."""
    parts = [f for f in (registry_flows(pods), env_flows(pods)) if len(f)]
    if not parts:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    return pd.concat(parts, ignore_index=True)
