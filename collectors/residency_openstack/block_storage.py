"""Cinder: volumes, snapshots, backups, volume types and zones."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items, column

from .rows import asset_rows, first_of, none_if_empty

__all__ = ["backups", "snapshots", "volume_types", "volumes"]


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
