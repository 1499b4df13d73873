"""Telemetry agents' sinks declared in ConfigMaps (OpenTelemetry Collector, Fluent Bit,
Fluentd, Vector, Grafana Alloy and Agent, Prometheus), and CoreDNS's forwards: every flow a
ConfigMap declares."""

from __future__ import annotations

import pandas as pd

from residency.telemetry import FLOW_COLUMNS, Parsed, parse_config, sink_flows
from residency_kubernetes.dns import corefile_forwards

__all__ = ["config_map_flows", "telemetry_flows"]


def telemetry_flows(config_maps: pd.DataFrame) -> pd.DataFrame:
    """Flows from the ``telemetry`` column :func:`transform_config_maps` keeps: each config
    is parsed (per ConfigMap: they are few); one that cannot be read is a flow without a
    destination whose evidence is the parse error."""
    if "telemetry" not in config_maps.columns:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    maps = config_maps.dropna(subset=["telemetry"])
    parsed: list[tuple[object, str, Parsed]] = []
    for asset_id, scope, name, configs in zip(
        maps["asset_id"], maps["scope"], maps["name"], maps["telemetry"], strict=True
    ):
        for key, text in sorted(configs.items()):
            result = parse_config(text, key)
            if result is not None:
                parsed.append((asset_id, f"ConfigMap {scope or ''}/{name}", result))
    return sink_flows(parsed)


def config_map_flows(config_maps: pd.DataFrame) -> pd.DataFrame:
    """CoreDNS forwards and telemetry sinks of a page of ConfigMaps."""
    parts = [f for f in (corefile_forwards(config_maps), telemetry_flows(config_maps)) if len(f)]
    if not parts:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    return pd.concat(parts, ignore_index=True)
