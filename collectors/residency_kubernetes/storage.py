"""Storage: PersistentVolumes (and the Cinder volumes behind them), claims, classes, and
VolumeSnapshotClasses (a CRD of the external snapshotter: absent on clusters without it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from residency_kubernetes.fields import Items, column, label, object_rows, per_object

__all__ = [
    "CINDER_CSI",
    "PV_ATTRIBUTES",
    "SNAPSHOT_CLASS_ATTRIBUTES",
    "transform_claims",
    "transform_snapshot_classes",
    "transform_storage_classes",
    "transform_volumes",
]

CINDER_CSI: Final = "cinder.csi.openstack.org"
PV_ATTRIBUTES: Final = ["csi_driver", "volume_handle", "storage_class", "claim"]
CLAIM_ATTRIBUTES: Final = ["volume_name", "storage_class"]
CLASS_ATTRIBUTES: Final = ["provisioner", "availability_zone"]
SNAPSHOT_CLASS_ATTRIBUTES: Final = ["driver", "deletion_policy"]


def _node_affinity_zone(page: Items) -> pd.Series:
    """The first value of a PV's required node-affinity expression on any ``…/zone`` key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pd.Series([None] * len(page), dtype=object)
    terms = page.get("spec.nodeAffinity.required.nodeSelectorTerms")
    if not pa.types.is_list(terms.type) or not pa.types.is_struct(terms.type.value_type):
        return empty
    term_rows = terms.flatten()
    if term_rows.type.get_field_index("matchExpressions") < 0:
        return empty
    expressions = pc.struct_field(term_rows, "matchExpressions")
    flat = expressions.flatten()
    if len(flat) == 0 or flat.type.get_field_index("values") < 0:
        return empty
    # Which PV each expression belongs to: expression → term → volume.
    term_owner = pc.list_parent_indices(terms).to_numpy()
    owner = term_owner[pc.list_parent_indices(expressions).to_numpy()]
    keys = pd.Series(pc.struct_field(flat, "key").to_numpy(zero_copy_only=False), dtype=object)
    first_values = pc.list_element(pc.list_slice(pc.struct_field(flat, "values"), 0, 1), 0)
    values = pd.Series(first_values.to_numpy(zero_copy_only=False), dtype=object)
    is_zone = keys.str.endswith("/zone", na=False).to_numpy()
    return per_object(owner[is_zone], values[is_zone].to_numpy(), len(page))


def transform_volumes(items: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Asset rows for PersistentVolumes; a Cinder CSI volume's parent is the Cinder volume."""
    page = Items(items)
    driver = column(page, "spec.csi.driver")
    handle = column(page, "spec.csi.volumeHandle")
    cinder_handle = column(page, "spec.cinder.volumeID")  # in-tree Cinder volumes
    region = label(page, "topology.kubernetes.io/region")
    zone = label(page, "topology.kubernetes.io/zone")
    zone = zone.where(zone.notna(), _node_affinity_zone(page))
    parent = handle.where(driver.eq(CINDER_CSI), None)
    parent = parent.where(parent.notna(), cinder_handle)
    return object_rows(
        page,
        "persistent_volume",
        parent_id=parent,
        region=region,
        zone=zone,
        csi_driver=driver,
        volume_handle=handle,
        storage_class=column(page, "spec.storageClassName"),
        claim=column(page, "spec.claimRef.name"),
    )


def transform_claims(items: Sequence[Mapping[str, Any]], volumes: pd.DataFrame) -> pd.DataFrame:
    """Asset rows for PersistentVolumeClaims; each claim's parent is its bound volume."""
    page = Items(items)
    volume_name = column(page, "spec.volumeName")
    by_name = volumes.drop_duplicates("name").set_index("name")["asset_id"]
    return object_rows(
        page,
        "persistent_volume_claim",
        parent_id=volume_name.map(by_name),
        volume_name=volume_name,
        storage_class=column(page, "spec.storageClassName"),
    )


def transform_storage_classes(
    items: Sequence[Mapping[str, Any]], stored_on: str | None
) -> pd.DataFrame:
    """Asset rows for StorageClasses, with the availability zone their parameters pin."""
    page = Items(items)
    return object_rows(
        page,
        "storage_class",
        parent_id=stored_on,
        provisioner=column(page, "provisioner"),
        availability_zone=column(page, "parameters.availability"),
    )


def transform_snapshot_classes(
    items: Sequence[Mapping[str, Any]], stored_on: str | None
) -> pd.DataFrame:
    """Asset rows for VolumeSnapshotClasses: the CSI driver that takes the snapshots, and
    whether they outlive their VolumeSnapshot objects (``deletionPolicy``)."""
    page = Items(items)
    return object_rows(
        page,
        "volume_snapshot_class",
        parent_id=stored_on,
        driver=column(page, "driver"),
        deletion_policy=column(page, "deletionPolicy"),
    )
