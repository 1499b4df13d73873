"""Control-plane links: admission webhooks and configuration (ConfigMaps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency.endpoints import split_endpoints
from residency_kubernetes.fields import Items, column, identity, label

__all__ = [
    "CONFIG_MAP_ATTRIBUTES",
    "WEBHOOK_ATTRIBUTES",
    "transform_config_maps",
    "transform_webhooks",
]

WEBHOOK_ATTRIBUTES: Final = [
    "webhook_kind",
    "webhook_hosts",
    "webhook_unresolved",
    "webhook_services",
]
CONFIG_MAP_ATTRIBUTES: Final[list[str]] = []


def _url_hosts(urls: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Hosts of comma-joined URLs, split into real host names and unresolved placeholders
    (``<local-cluster-endpoint>``, ``{{ .Namespace }}``)."""
    exploded = urls.str.split(",").explode()
    parts = split_endpoints(exploded)

    def per_object(values: pd.Series) -> pd.Series:
        joined_values = values.dropna().groupby(level=0).agg(",".join)
        return joined_values.reindex(urls.index).astype(object)

    return per_object(parts["host"]), per_object(parts["unresolved"])


def transform_webhooks(
    items: Sequence[Mapping[str, Any]], webhook_kind: str, stored_on: str | None
) -> pd.DataFrame:
    """Validating or mutating webhook configurations, with the hosts their URLs call."""
    page = Items(items)
    hosts, unresolved = _url_hosts(_client_field(page, "url"))
    services = _client_field(page, "service")
    frame = pd.DataFrame(
        {
            "kind": "webhook",
            "asset_id": identity(page, "webhook"),
            "name": column(page, "metadata.name"),
            "parent_id": stored_on,
            "webhook_kind": webhook_kind,
            "webhook_hosts": hosts,
            "webhook_unresolved": unresolved,
            "webhook_services": services,
        }
    )
    return frame.astype(object).where(frame.notna(), None)


def _client_field(page: Items, field: str) -> pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc

    hooks = page.get("webhooks")
    empty = pd.Series([None] * len(page), dtype=object)
    if not pa.types.is_list(hooks.type) or not pa.types.is_struct(hooks.type.value_type):
        return empty
    flat = hooks.flatten()
    if flat.type.get_field_index("clientConfig") < 0:
        return empty
    config = pc.struct_field(flat, "clientConfig")
    if config.type.get_field_index(field) < 0:
        return empty
    values = pc.struct_field(config, field)
    if pa.types.is_struct(values.type):  # service: {namespace, name}
        values = pc.binary_join_element_wise(
            pc.struct_field(values, "namespace"), pc.struct_field(values, "name"), "/"
        )
    owner = pc.list_parent_indices(hooks).to_numpy()
    series = pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)
    present = series.notna().to_numpy()
    grouped = series[present].groupby(owner[present]).agg(",".join)
    return pd.Series(grouped.reindex(range(len(page))).to_numpy(dtype=object), dtype=object)


def transform_config_maps(
    items: Sequence[Mapping[str, Any]], stored_on: str | None
) -> pd.DataFrame:
    """ConfigMaps (never Secrets) as assets. ``corefile`` (CoreDNS's configuration, if any) is
    kept for the DNS flows and not stored; telemetry configs in them are parsed elsewhere."""
    page = Items(items)
    frame = pd.DataFrame(
        {
            "kind": "config_map",
            "asset_id": identity(page, "config_map"),
            "name": column(page, "metadata.name"),
            "scope": column(page, "metadata.namespace"),
            "parent_id": stored_on,
            "corefile": label(page, "Corefile", where="data"),
        }
    )
    return frame.astype(object).where(frame.notna(), None)
