"""Cinder: volumes, snapshots, backups, volume types and zones; the admin inventories of
services (where backups are made) and backend pools."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items, column

from .compute import service_hosts
from .rows import asset_rows, first_of, none_if_empty, table

__all__ = ["backup_services", "backups", "pools", "snapshots", "volume_types", "volumes"]


def volumes(page: Items, region: str) -> pd.DataFrame:
    """``GET /volumes/detail``: AZ, owner, the server of the first attachment."""
    return asset_rows(
        page,
        "volume",
        region,
        zone=none_if_empty(column(page, "availability_zone")),
        scope="os-vol-tenant-attr:tenant_id",
        parent_id=first_of(page, "attachments", "server_id"),
        attributes={
            "volume_type": "volume_type",
            "size_gb": "size",
            "encrypted": "encrypted",
        },
    )


def snapshots(page: Items, region: str) -> pd.DataFrame:
    """``GET /snapshots/detail``: no AZ in the API; the volume is the parent."""
    return asset_rows(
        page,
        "snapshot",
        region,
        scope="os-extended-snapshot-attributes:project_id",
        parent_id="volume_id",
    )


def backups(page: Items, region: str) -> pd.DataFrame:
    """``GET /backups/detail``: a null AZ or container stays null (location unknown)."""
    return asset_rows(
        page,
        "backup",
        region,
        zone=none_if_empty(column(page, "availability_zone")),
        scope="os-backup-project-attr:project_id",
        parent_id="volume_id",
        attributes={"container": "container"},
    )


def volume_types(page: Items, region: str) -> pd.DataFrame:
    """``GET /types``."""
    return asset_rows(
        page,
        "volume_type",
        region,
        attributes={"is_public": "os-volume-type-access:is_public"},
    )


def backup_services(page: Items) -> pd.DataFrame:
    """``GET /os-services`` (admin), the ``cinder-backup`` services: the host and zone where
    backups are made (a backup's own ``availability_zone`` is often null)."""
    services = service_hosts(page)
    return services[services["binary"].eq("cinder-backup")].reset_index(drop=True)


def pools(page: Items) -> pd.DataFrame:
    """``GET /scheduler-stats/get_pools?detail=true`` (admin): each backend pool, its
    backend and protocol. A pool's name is ``host@backend#pool`` on real clouds; its host
    is null where the name has no ``@`` (the api-ref's ``pool1``)."""
    frame = table(
        page,
        {
            "pool": "name",
            "backend": "capabilities.volume_backend_name",
            "storage_protocol": "capabilities.storage_protocol",
        },
    )
    host = frame["pool"].astype("string").str.extract(r"^([^@#]+)@", expand=False)
    frame["host"] = host.astype(object).where(host.notna(), None)
    return frame
