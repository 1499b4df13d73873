"""Glance: images (no location in the list), the backend stores and an image's locations
(where multistore exposes them)."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items

from .rows import asset_rows, table

__all__ = ["image_locations", "images", "stores"]


def images(page: Items, region: str) -> pd.DataFrame:
    """``GET /v2/images``: owner and visibility."""
    return asset_rows(page, "image", region, scope="owner", attributes={"visibility": "visibility"})


def stores(page: Items) -> pd.DataFrame:
    """``GET /v2/info/stores/detail`` (admin): each store's backend ``type`` (``rbd``,
    ``file``, ``cinder``, ``swift``…), whether it is the default, and what names its place:
    a Ceph cluster's ``fsid``, a Cinder ``volume_type``, a Swift ``container``."""
    return table(
        page,
        {
            "store": "id",
            "type": "type",
            "default": "default",
            "fsid": "properties.fsid",
            "pool": "properties.pool",
            "volume_type": "properties.volume_type",
            "container": "properties.container",
        },
    )


def image_locations(page: Items) -> pd.DataFrame:
    """``GET /v2/images/{id}/locations`` (a top-level array): each location's ``url``, its
    ``store`` and scheme; a ``cinder://[<backend>/]<volume-id>`` URL names the Cinder volume
    that holds the image (``volume_id``), which places it where that volume is."""
    frame = table(page, {"url": "url", "store": "metadata.store"})
    url = frame["url"].astype("string")
    scheme = url.str.extract(r"^([A-Za-z][A-Za-z0-9+.-]*)://", expand=False).str.lower()
    cinder = url.str.extract(r"^cinder://(?:(?P<backend>[^/]+)/)?(?P<volume_id>[0-9a-fA-F-]{36})$")
    for name, values in (
        ("scheme", scheme),
        ("backend", cinder["backend"]),
        ("volume_id", cinder["volume_id"]),
    ):
        frame[name] = values.astype(object).where(values.notna(), None)
    return frame
