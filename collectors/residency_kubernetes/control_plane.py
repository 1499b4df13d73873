"""Control-plane links: admission webhooks and configuration (ConfigMaps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency.endpoints import split_endpoints
from residency_kubernetes.fields import Items, elements, label, object_rows, per_object

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
    return object_rows(
        page,
        "webhook",
        parent_id=stored_on,
        webhook_kind=webhook_kind,
        webhook_hosts=hosts,
        webhook_unresolved=unresolved,
        webhook_services=services,
    )


def _client_field(page: Items, field: str) -> pd.Series:
    """``webhooks[].clientConfig.<field>`` of each configuration, comma-joined; a service
    reference reads ``namespace/name``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = elements(page, "webhooks", f"clientConfig.{field}")
    if found is None:
        return pd.Series([None] * len(page), dtype=object)
    owner, values = found
    if pa.types.is_struct(values.type):  # service: {namespace, name}
        values = pc.binary_join_element_wise(
            pc.struct_field(values, "namespace"), pc.struct_field(values, "name"), "/"
        )
    return per_object(owner, values.to_numpy(zero_copy_only=False), len(page), separator=",")


def transform_config_maps(
    items: Sequence[Mapping[str, Any]], stored_on: str | None
) -> pd.DataFrame:
    """ConfigMaps (never Secrets) as assets. ``corefile`` (CoreDNS's configuration, if any) is
    kept for the DNS flows and not stored; telemetry configs in them are parsed elsewhere."""
    page = Items(items)
    return object_rows(
        page,
        "config_map",
        parent_id=stored_on,
        corefile=label(page, "Corefile", where="data"),
    )
