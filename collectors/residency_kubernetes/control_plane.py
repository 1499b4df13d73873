"""Control-plane links: the cluster itself (version, service-account issuer), admission
webhooks, aggregated API servers (APIServices) and configuration (ConfigMaps)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from residency.endpoints import split_endpoints
from residency.telemetry import SNIFF_KEYS, SNIFF_PATTERN
from residency_kubernetes.fields import Items, column, elements, label, object_rows, per_object

__all__ = [
    "API_SERVICE_ATTRIBUTES",
    "CLUSTER_ATTRIBUTES",
    "CONFIG_MAP_ATTRIBUTES",
    "ISSUER_DISCOVERY",
    "NON_RESOURCE_PATHS",
    "VERSION",
    "WEBHOOK_ATTRIBUTES",
    "transform_api_services",
    "transform_cluster",
    "transform_config_maps",
    "transform_webhooks",
]

WEBHOOK_ATTRIBUTES: Final = [
    "webhook_kind",
    "webhook_hosts",
    "webhook_unresolved",
    "webhook_services",
]
# The names of a ConfigMap's data keys (``fluent-bit.conf``, ``relay``…), never their values:
# telemetry agents' sinks are parsed from the values at collection time, by the data-flow
# parsers, and values (which may hold credentials) are never stored.
CONFIG_MAP_ATTRIBUTES: Final = ["data_keys"]
API_SERVICE_ATTRIBUTES: Final = ["group", "version", "service", "insecure_skip_tls_verify"]
CLUSTER_ATTRIBUTES: Final = ["server", "git_version", "issuer"]
# The non-resource paths the collector reads (kube-apiserver serves both to the service
# accounts the built-in roles system:public-info-viewer and
# system:service-account-issuer-discovery are bound to).
VERSION: Final = "/version"
ISSUER_DISCOVERY: Final = "/.well-known/openid-configuration"
NON_RESOURCE_PATHS: Final = (VERSION, ISSUER_DISCOVERY)


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
    """ConfigMaps (never Secrets) as assets. ``corefile`` (CoreDNS's configuration, if any) and
    ``telemetry`` (``{data key: text}`` of the values that look like telemetry agents'
    configs) are kept for the flows and not stored."""
    page = Items(items)
    return object_rows(
        page,
        "config_map",
        parent_id=stored_on,
        corefile=label(page, "Corefile", where="data"),
        data_keys=_present_keys(page, "data"),
        telemetry=_telemetry_configs(page),
    )


def _telemetry_configs(page: Items) -> pd.Series:
    """Per object, ``{data key: text}`` of the values :data:`residency.telemetry.SNIFF_PATTERN`
    matches, and every value of a key :data:`residency.telemetry.SNIFF_KEYS` names
    (``fluent.conf``, ``vector.toml``, ``config.alloy``…): one regex pass per distinct key on
    the page; Python only for the matches."""
    mapping = page.get("data")
    found: list[dict[str, str] | None] = [None] * len(page)
    if not pa.types.is_struct(mapping.type):
        return pd.Series(found, dtype=object)
    for i in range(mapping.type.num_fields):
        name = mapping.type.field(i).name
        values = pc.struct_field(mapping, name)
        if not pa.types.is_string(values.type):
            continue
        if re.match(SNIFF_KEYS, name):
            hits = pc.is_valid(values)
        else:
            hits = pc.fill_null(pc.match_substring_regex(values, SNIFF_PATTERN), False)
        for row in np.flatnonzero(hits.to_numpy(zero_copy_only=False)).tolist():
            found[row] = {**(found[row] or {}), name: values[row].as_py()}
    return pd.Series(found, dtype=object)


def _present_keys(page: Items, path: str) -> pd.Series:
    """Per object, the sorted names of the keys set in the map at ``path`` (one pass per
    distinct key on the page, none per object)."""
    mapping = page.get(path)
    n = len(page)
    if not pa.types.is_struct(mapping.type) or mapping.type.num_fields == 0:
        return pd.Series([None] * n, dtype=object)
    names = sorted(mapping.type.field(i).name for i in range(mapping.type.num_fields))
    joined = pd.Series([""] * n, dtype=object)
    for name in names:
        present = pc.is_valid(pc.struct_field(mapping, name)).to_numpy(zero_copy_only=False)
        joined = joined + np.where(present, name + ",", "")
    joined = joined.str.rstrip(",").astype(object)
    return joined.where(joined.ne(""), None)


def transform_api_services(
    items: Sequence[Mapping[str, Any]], stored_on: str | None, external_names: pd.DataFrame
) -> pd.DataFrame:
    """Aggregated APIServices: those with a ``spec.service`` (an extension API server the
    apiserver proxies requests to). Local ones (``v1.apps``) are the apiserver itself and
    not assets. ``external_names`` (``service`` as ``namespace/name``, ``external_name``)
    are the ExternalName Services listed so far; a backend among them gets its external host
    in ``external_name`` (kept for the flow, not stored) with ``service_port``."""
    page = Items(items)
    service = column(page, "spec.service.namespace").str.cat(
        column(page, "spec.service.name"), sep="/"
    )
    targets = external_names.drop_duplicates("service").set_index("service")["external_name"]
    rows = object_rows(
        page,
        "api_service",
        parent_id=stored_on,
        group=column(page, "spec.group"),
        version=column(page, "spec.version"),
        service=service,
        insecure_skip_tls_verify=column(page, "spec.insecureSkipTLSVerify").fillna("false"),
        external_name=service.map(targets),
        service_port=column(page, "spec.service.port"),
    )
    return rows[rows["service"].notna()].reset_index(drop=True)


def transform_cluster(
    source: str,
    server: str | None,
    version: Mapping[str, Any],
    discovery: Mapping[str, Any],
    stored_on: str | None,
) -> pd.DataFrame:
    """The cluster as one asset: its API server (from the kubeconfig, without userinfo or
    query), the release ``/version`` reports and the service-account token issuer its
    ``/.well-known/openid-configuration`` names (None where those could not be read)."""
    endpoints = split_endpoints(pd.Series([server, discovery.get("issuer")], dtype=object))
    frame = pd.DataFrame(
        {
            "kind": ["cluster"],
            "asset_id": [f"cluster:{source}"],
            "name": [endpoints["host"].iloc[0]],
            "scope": [None],
            "parent_id": [stored_on],
            "server": [endpoints["endpoint"].iloc[0]],
            "git_version": [version.get("gitVersion")],
            "issuer": [endpoints["endpoint"].iloc[1]],
        }
    )
    return frame.astype(object).where(frame.notna(), None)
