"""Keystone: projects, domains, federated identity providers (listed once per cloud)."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items

from .rows import asset_rows, joined_strings

__all__ = ["domains", "identity_providers", "projects"]


def projects(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(page, "project", region, scope="domain_id")


def domains(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(page, "domain", region)


def identity_providers(page: Items, region: str) -> pd.DataFrame:
    """``GET /v3/OS-FEDERATION/identity_providers``: an IdP has an id, no name."""
    return asset_rows(
        page,
        "identity_provider",
        region,
        name="id",
        scope="domain_id",
        attributes={"enabled": "enabled", "remote_ids": joined_strings(page, "remote_ids")},
    )
