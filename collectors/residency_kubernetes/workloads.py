"""Pods and the controllers that own them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency_kubernetes.agents import vendor_env
from residency_kubernetes.fields import Items, column, joined, object_rows

__all__ = ["POD_ATTRIBUTES", "WORKLOAD_ATTRIBUTES", "transform_pods", "transform_workloads"]

POD_ATTRIBUTES: Final = ["node_name", "images", "owner_kind", "owner_name", "image_pull_secrets"]
WORKLOAD_ATTRIBUTES: Final = ["workload_kind"]


def _joined_images(page: Items) -> pd.Series:
    """Images of init, regular and ephemeral containers, in that order, comma-joined."""
    parts = [
        joined(page, f"spec.{containers}", "image").fillna("")
        for containers in ("initContainers", "containers", "ephemeralContainers")
    ]
    images = (parts[0] + "," + parts[1] + "," + parts[2]).str.replace(r",+", ",", regex=True)
    images = images.str.strip(",")
    return images.where(images != "", None)


def transform_pods(items: Sequence[Mapping[str, Any]], nodes: pd.DataFrame) -> pd.DataFrame:
    """Asset rows for a page of Pods; ``nodes`` (name, asset_id, region, zone, provider) gives
    each pod its node as parent and the node's topology."""
    page = Items(items)
    node_name = column(page, "spec.nodeName")
    by_name = nodes.drop_duplicates("name").set_index("name")
    return object_rows(
        page,
        "pod",
        parent_id=node_name.map(by_name["asset_id"]),
        region=node_name.map(by_name["region"]),
        zone=node_name.map(by_name["zone"]),
        provider=node_name.map(by_name["provider"]),
        node_name=node_name,
        images=_joined_images(page),
        owner_kind=joined(page, "metadata.ownerReferences", "kind"),
        owner_name=joined(page, "metadata.ownerReferences", "name"),
        image_pull_secrets=joined(page, "spec.imagePullSecrets", "name"),
        # Vendor agents' variables with literal values, for the flows (not stored).
        vendor_env=vendor_env(page),
    )


def transform_workloads(
    items: Sequence[Mapping[str, Any]], workload_kind: str, stored_on: str | None
) -> pd.DataFrame:
    """Asset rows for a page of Deployments, StatefulSets, DaemonSets, Jobs or CronJobs.

    ``stored_on`` is the control-plane node whose etcd holds API objects, when known.
    """
    page = Items(items)
    return object_rows(
        page,
        "workload",
        parent_id=stored_on,
        workload_kind=workload_kind,
    )
