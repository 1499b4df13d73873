"""Glance: images (no location in the list; ``stores`` where multistore exposes it)."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items

from .rows import asset_rows

__all__ = ["images"]


def images(page: Items, region: str) -> pd.DataFrame:
    """``GET /v2/images``: owner and visibility."""
    return asset_rows(page, "image", region, scope="owner", attributes={"visibility": "visibility"})
