"""Octavia load balancers, Designate zones, Barbican secrets and containers, Swift containers."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items, column, elements

from .rows import asset_rows, joined_strings, last_segment, none_if_empty

__all__ = [
    "listener_protocols",
    "load_balancers",
    "object_containers",
    "secret_containers",
    "secrets",
    "zones",
]


def listener_protocols(page: Items) -> pd.DataFrame:
    """``GET /v2/lbaas/listeners``: (load balancer id, protocol) pairs."""
    found = elements(page, "loadbalancers", "id")
    if found is None:
        return pd.DataFrame({"lb": [], "protocol": []}, dtype=object)
    owner, lb = found
    protocol = column(page, "protocol").to_numpy(dtype=object)[owner]
    return pd.DataFrame({"lb": lb.to_numpy(zero_copy_only=False), "protocol": protocol})


def load_balancers(page: Items, region: str, protocols: pd.DataFrame) -> pd.DataFrame:
    """``GET /v2/lbaas/loadbalancers`` with its listeners' protocols (sorted, joined)."""
    ids = column(page, "id")
    per_lb = (
        protocols.dropna().drop_duplicates().sort_values("protocol").groupby("lb")["protocol"]
    ).agg(",".join)
    return asset_rows(
        page,
        "load_balancer",
        region,
        zone=none_if_empty(column(page, "availability_zone")),
        scope="project_id",
        attributes={
            "vip_address": "vip_address",
            "protocols": pd.Series(per_lb.reindex(ids.to_numpy()).to_numpy(dtype=object)),
        },
    )


def zones(page: Items, region: str) -> pd.DataFrame:
    """``GET /v2/zones``: a SECONDARY zone's masters are where its data comes from."""
    masters = joined_strings(page, "masters")
    return asset_rows(
        page,
        "dns_zone",
        region,
        scope="project_id",
        attributes={"zone_type": "type", "masters": masters},
    )


def secret_containers(page: Items, region: str) -> pd.DataFrame:
    """``GET /v1/containers``: the id is the last segment of ``container_ref``."""
    return asset_rows(
        page,
        "secret_container",
        region,
        asset_id=last_segment(column(page, "container_ref")),
        attributes={"container_type": "type"},
    )


def secrets(page: Items, region: str) -> pd.DataFrame:
    """``GET /v1/secrets``: metadata only; payloads are never requested."""
    return asset_rows(
        page,
        "secret",
        region,
        asset_id=last_segment(column(page, "secret_ref")),
        attributes={"secret_type": "secret_type", "algorithm": "algorithm"},
    )


def object_containers(
    page: Items, region: str, account: str, headers: pd.DataFrame
) -> pd.DataFrame:
    """Swift's account listing plus each container's HEAD (policy, sync target)."""
    names = column(page, "name")
    project = account.removeprefix("AUTH_")
    return asset_rows(
        page,
        "object_container",
        region,
        asset_id=account + "/" + names,
        scope=pd.Series([project] * len(page), dtype=object),
        attributes={
            "storage_policy": pd.Series(headers["storage_policy"].to_numpy(dtype=object)),
            "sync_to": pd.Series(headers["sync_to"].to_numpy(dtype=object)),
        },
    )
