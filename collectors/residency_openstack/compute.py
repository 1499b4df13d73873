"""Nova: servers, availability zones with their compute hosts, server groups; and the admin
inventories that say where hosts are (flavors, compute services, hypervisors, aggregates)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from residency.fields import Items, column, elements, per_object

from .rows import asset_rows, first_of, none_if_empty, table

__all__ = [
    "aggregate_hosts",
    "availability_zones",
    "flavor_names",
    "hypervisor_servers",
    "hypervisors",
    "named_flavors",
    "server_groups",
    "servers",
    "service_hosts",
]


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


def flavor_names(page: Items) -> pd.Series:
    """``GET /flavors/detail``: flavor id → name (the collector lists it once per region,
    only when a cloud below microversion 2.47 gave its servers a ``flavor.id`` alone)."""
    ids = column(page, "id")
    return pd.Series(column(page, "name").to_numpy(dtype=object), index=ids.to_numpy(dtype=object))


def named_flavors(flavors: pd.Series, names: pd.Series) -> pd.Series:
    """Each server's flavor id replaced by its name where ``names`` (from
    :func:`flavor_names`) has it; an id it lacks (a deleted flavor) stays as it was."""
    named = flavors.map(names[~names.index.duplicated()]).astype(object)
    named = named.where(named.notna(), flavors)
    return named.where(named.notna(), None)


def service_hosts(page: Items) -> pd.DataFrame:
    """``GET /os-services`` of Nova or Cinder (admin): (``binary``, ``host``, ``zone``,
    ``status``, ``state``) per service. Nova 2.69 lists services of a down cell with
    ``binary``, ``host`` and ``status: UNKNOWN`` only: their zone stays null, never guessed."""
    return table(page, {name: name for name in ("binary", "host", "zone", "status", "state")})


def hypervisors(page: Items) -> pd.DataFrame:
    """``GET /os-hypervisors[/detail]`` (admin): (``hypervisor_id``, ``hypervisor``,
    ``host``, ``host_ip``, ``state``). Ids are integers before 2.53 and UUIDs since (both
    kept as text); the plain list and 2.88 lack some fields, which stay null."""
    return table(
        page,
        {
            "hypervisor_id": "id",
            "hypervisor": "hypervisor_hostname",
            "host": "service.host",
            "host_ip": "host_ip",
            "state": "state",
        },
    )


def hypervisor_servers(page: Items) -> pd.DataFrame:
    """``GET /os-hypervisors/detail?with_servers=true`` (2.53+): (``server_id``,
    ``hypervisor``) for every server a hypervisor runs."""
    found = elements(page, "servers", "uuid")
    if found is None:
        return pd.DataFrame({"server_id": [], "hypervisor": []}, dtype=object)
    owner, uuid = found
    names = column(page, "hypervisor_hostname").to_numpy(dtype=object)
    return pd.DataFrame(
        {"server_id": uuid.to_numpy(zero_copy_only=False), "hypervisor": names[owner]},
        dtype=object,
    )


def aggregate_hosts(page: Items) -> pd.DataFrame:
    """``GET /os-aggregates`` (admin): (``zone``, ``host``) for every host of an aggregate
    that sets an availability zone; the other aggregates group hosts without placing them."""
    lists = page.get("hosts")
    if not pa.types.is_list(lists.type) or len(lists.flatten()) == 0:
        return pd.DataFrame({"zone": [], "host": []}, dtype=object)
    owner = pc.list_parent_indices(lists).to_numpy()
    zone = none_if_empty(column(page, "availability_zone")).to_numpy(dtype=object)[owner]
    pairs = pd.DataFrame(
        {
            "zone": zone,
            "host": pc.cast(lists.flatten(), pa.string()).to_numpy(zero_copy_only=False),
        },
        dtype=object,
    )
    return pairs[pairs["zone"].notna()].reset_index(drop=True)
