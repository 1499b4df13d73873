"""Nova: servers, availability zones with their compute hosts, server groups."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from residency.fields import Items, column, per_object

from .rows import asset_rows, first_of, none_if_empty

__all__ = ["availability_zones", "server_groups", "servers"]


def servers(page: Items, region: str) -> pd.DataFrame:
    """``GET /servers/detail``: the AZ and (admin only) the compute host; a reader sees no
    host, which stays null rather than guessed. ``flavor.original_name`` needs 2.47; older
    clouds give ``flavor.id`` only."""
    flavor = column(page, "flavor.original_name")
    flavor = flavor.where(flavor.notna(), column(page, "flavor.id"))
    return asset_rows(
        page,
        "server",
        region,
        zone=none_if_empty(column(page, "OS-EXT-AZ:availability_zone")),
        scope="tenant_id",
        host=none_if_empty(column(page, "OS-EXT-SRV-ATTR:host")),
        attributes={
            "flavor": flavor,
            "status": "status",
            "hypervisor": none_if_empty(column(page, "OS-EXT-SRV-ATTR:hypervisor_hostname")),
            "image_id": column(page, "image.id"),  # "" (boot from volume) has no id
            "addresses": addresses(page),
        },
    )


def addresses(page: Items) -> pd.Series:
    """Every address of a server (fixed and floating, on every network), joined by ``,``.

    ``addresses`` maps network names to lists of ``{"addr": …}``: Arrow gives one struct
    field per network name on the page, each a list column; no loop over servers.
    """
    networks = page.get("addresses")
    if not pa.types.is_struct(networks.type):
        return pd.Series([None] * len(page), dtype=object)
    owners: list[Any] = []
    values: list[Any] = []
    for index in range(networks.type.num_fields):
        lists = pc.struct_field(networks, index)
        if not pa.types.is_list(lists.type) or not pa.types.is_struct(lists.type.value_type):
            continue
        items = lists.flatten()
        if items.type.get_field_index("addr") < 0:
            continue
        owners.append(pc.list_parent_indices(lists).to_numpy())
        values.append(pc.struct_field(items, "addr").to_numpy(zero_copy_only=False))
    if not owners:
        return pd.Series([None] * len(page), dtype=object)
    return per_object(np.concatenate(owners), np.concatenate(values), len(page), ",")


def availability_zones(items: list[dict[str, Any]], region: str, service: str) -> pd.DataFrame:
    """``GET /os-availability-zone[/detail]``: one row per zone (a handful per region),
    with the hosts Nova lists in it. Nova's ``internal`` zone holds control services."""
    zones = [z for z in items if z.get("zoneName") and z.get("zoneName") != "internal"]
    names = [str(z["zoneName"]) for z in zones]
    hosts = [",".join(sorted(z.get("hosts") or {})) or None for z in zones]
    frame = pd.DataFrame(
        {
            "kind": "availability_zone",
            "asset_id": [f"{region}/{service}/{n}" for n in names],
            "name": names,
            "region": region,
            "zone": names,
            "scope": None,
            "parent_id": None,
            "host": None,
            "service": service,
            "hosts": hosts if service == "compute" else None,
        }
    )
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def server_groups(page: Items, region: str) -> pd.DataFrame:
    """``GET /os-server-groups``: ``policy`` since 2.64, ``policies`` before."""
    policy = column(page, "policy")
    policy = policy.where(policy.notna(), first_of(page, "policies"))
    return asset_rows(
        page, "server_group", region, scope="project_id", attributes={"policy": policy}
    )
