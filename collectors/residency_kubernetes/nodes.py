"""Nodes: where each node runs (topology labels, providerID) and what it runs on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency_kubernetes.fields import Items, column, elements, identity, label, per_object

__all__ = ["ATTRIBUTES", "POOL_LABELS", "transform_nodes"]

ATTRIBUTES: Final = ["provider_id", "pool", "kubelet_version", "internal_ip", "region_label"]
# Node-pool labels of the common installers and managed offerings, most specific first.
POOL_LABELS: Final = (
    "node.kubernetes.io/pool",
    "magnum.openstack.org/nodegroup",
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "agentpool",
)
CONTROL_PLANE_LABELS: Final = (
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
)
# providerID schemes → provider catalog ids. openstack:// points at a server of an
# OpenStack cloud that may be in the same sweep: that is lineage, not a catalog.
_SCHEMES: Final = {
    "aws": "aws",
    "gce": "gcp",
    "azure": "azure",
    "hcloud": "hetzner",
    "scaleway": "scaleway",
    "ovhcloud": "ovhcloud",
}


def _first_label(items: Items, keys: Sequence[str]) -> pd.Series:
    result = pd.Series([None] * len(items), dtype=object)
    for key in keys:
        result = result.where(result.notna(), label(items, key))
    return result


def transform_nodes(items: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Asset rows (plus attribute columns) for a page of Node objects."""
    page = Items(items)
    region = label(page, "topology.kubernetes.io/region")
    legacy_region = label(page, "failure-domain.beta.kubernetes.io/region")
    zone = label(page, "topology.kubernetes.io/zone")
    zone = zone.where(zone.notna(), label(page, "failure-domain.beta.kubernetes.io/zone"))
    provider_id = column(page, "spec.providerID")
    parts = provider_id.str.extract(r"^(?P<scheme>[a-z]+)://(?P<rest>.*)$")
    scheme = parts["scheme"]
    # openstack:///<server-id> or openstack://<region>/<server-id>
    server = parts["rest"].where(scheme.eq("openstack")).str.extract(r"([^/]+)$")[0]
    is_control_plane = _first_label(page, CONTROL_PLANE_LABELS).notna()
    pool = _first_label(page, POOL_LABELS)
    pool = pool.where(pool.notna() | ~is_control_plane, "control-plane")
    region_label = pd.Series([None] * len(page), dtype=object)
    region_label[legacy_region.notna().to_numpy()] = "legacy"
    region_label[region.notna().to_numpy()] = "topology"
    internal_ip = _internal_ip(page)
    frame = pd.DataFrame(
        {
            "kind": "node",
            "asset_id": identity(page, "node"),
            "name": column(page, "metadata.name"),
            "region": region.where(region.notna(), legacy_region),
            "zone": zone,
            "host": column(page, "metadata.name"),
            "provider": scheme.map(_SCHEMES).astype(object),
            "parent_id": server.astype(object),
            "provider_id": provider_id,
            "pool": pool,
            "kubelet_version": column(page, "status.nodeInfo.kubeletVersion"),
            "internal_ip": internal_ip,
            "region_label": region_label,
        }
    )
    frame["control_plane"] = is_control_plane.to_numpy()
    return frame.astype({c: object for c in frame.columns if c != "control_plane"}).where(
        frame.notna(), None
    )


def _internal_ip(page: Items) -> pd.Series:
    """The first InternalIP among each node's status.addresses."""
    kinds = elements(page, "status.addresses", "type")
    addresses = elements(page, "status.addresses", "address")
    if kinds is None or addresses is None:
        return pd.Series([None] * len(page), dtype=object)
    owner, kind_values = kinds
    internal = kind_values.to_numpy(zero_copy_only=False) == "InternalIP"
    values = addresses[1].to_numpy(zero_copy_only=False)
    return per_object(owner[internal], values[internal], len(page))
