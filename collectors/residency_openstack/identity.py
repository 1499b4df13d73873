"""Keystone: projects, domains, federated identity and service providers (listed once per
cloud), and the catalog of endpoints (the token's, or the admin lists of endpoints, services
and regions) that says which regions a cloud has and where each service answers."""

from __future__ import annotations

from typing import Any

import pandas as pd

from residency.fields import Items, column

from .rows import asset_rows, element_table, joined_strings, none_if_empty, table

__all__ = [
    "ENDPOINT_COLUMNS",
    "catalog_endpoints",
    "domains",
    "endpoints",
    "identity_providers",
    "projects",
    "regions",
    "service_providers",
    "services",
]

ENDPOINT_COLUMNS = ["service_type", "interface", "region", "url"]


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


def service_providers(page: Items, region: str) -> pd.DataFrame:
    """``GET /v3/OS-FEDERATION/service_providers``: clouds this Keystone hands its users'
    assertions to (Keystone to Keystone federation). ``sp_url`` receives the SAML assertion,
    ``auth_url`` is the remote Keystone: both are external trust relationships."""
    return asset_rows(
        page,
        "service_provider",
        region,
        name="id",
        attributes={"enabled": "enabled", "sp_url": "sp_url", "auth_url": "auth_url"},
    )


def _endpoint_region(region_id: pd.Series, region: pd.Series) -> pd.Series:
    """``region_id`` (Keystone v3), else the older ``region`` (a catalog may have either)."""
    found = none_if_empty(region_id)
    return found.where(found.notna(), none_if_empty(region))


def catalog_endpoints(catalog: list[dict[str, Any]]) -> pd.DataFrame:
    """Every endpoint of a token's catalog (``token.catalog``, or ``GET /v3/auth/catalog``):
    (``service_type``, ``interface``, ``region``, ``url``). URLs are kept as Keystone wrote
    them, except that a ``$(tenant_id)s`` template and what follows it is cut off (a token's
    catalog has it substituted; an admin list and some catalogs do not)."""
    services_ = Items(catalog)
    frame = element_table(services_, "endpoints", ("interface", "region_id", "region", "url"))
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ENDPOINT_COLUMNS})
    types = column(services_, "type").to_numpy(dtype=object)
    return _endpoint_frame(
        pd.Series(types[frame["owner"].to_numpy()], dtype=object),
        frame["interface"],
        _endpoint_region(frame["region_id"], frame["region"]),
        frame["url"],
    )


def services(page: Items) -> pd.DataFrame:
    """``GET /v3/services`` (admin): service id → catalog type and name."""
    return table(page, {"service_id": "id", "type": "type", "name": "name"})


def endpoints(page: Items, services_: pd.DataFrame) -> pd.DataFrame:
    """``GET /v3/endpoints`` (admin) as :func:`catalog_endpoints` gives a token's catalog,
    the service type joined from :func:`services`. Disabled endpoints are not in a catalog
    and are left out here too. URLs are cut before a ``$(tenant_id)s`` template (the host
    and port, which locate the service, come before it)."""
    types = services_.set_index("service_id")["type"]
    kept = column(page, "enabled").ne("false").to_numpy()
    service_type = column(page, "service_id").map(types)
    frame = _endpoint_frame(
        service_type,
        column(page, "interface"),
        _endpoint_region(column(page, "region_id"), column(page, "region")),
        column(page, "url"),
    )
    return frame[kept].reset_index(drop=True)


def _endpoint_frame(
    service_type: pd.Series, interface: pd.Series, region: pd.Series, url: pd.Series
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "service_type": service_type.to_numpy(dtype=object),
            "interface": interface.to_numpy(dtype=object),
            "region": region.to_numpy(dtype=object),
            "url": _untemplated(url).to_numpy(dtype=object),
        }
    ).astype(object)
    return frame.where(frame.notna(), None)


def _untemplated(url: pd.Series) -> pd.Series:
    """A URL cut before Keystone's first ``$(tenant_id)s`` / ``%(project_id)s`` template: the
    template names a project, not a place, and would make the URL unparseable as one."""
    text = url.astype("string").str.replace(r"/?[^/]*[$%]\([a-z_]+\)s.*$", "", regex=True)
    return text.astype(object).where(text.notna(), None)


def regions(page: Items) -> pd.DataFrame:
    """``GET /v3/regions``: each region and its parent (``parent_region_id``, null for a
    top-level region)."""
    return table(page, {"region": "id", "parent": "parent_region_id"})
