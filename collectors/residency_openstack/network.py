"""Neutron: networks, subnets, routers, floating IPs, ports, security groups, VPN."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items, column

from .rows import asset_rows, first_of, none_if_empty

__all__ = [
    "floating_ips",
    "ipsec_site_connections",
    "networks",
    "ports",
    "routers",
    "security_groups",
    "subnets",
]


def networks(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(
        page, "network", region, zone=first_of(page, "availability_zones"), scope="project_id"
    )


def subnets(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(
        page,
        "subnet",
        region,
        scope="project_id",
        parent_id="network_id",
        attributes={"cidr": "cidr"},
    )


def routers(page: Items, region: str) -> pd.DataFrame:
    """The external gateway's first fixed IP is where the router meets the outside."""
    return asset_rows(
        page,
        "router",
        region,
        zone=first_of(page, "availability_zones"),
        scope="project_id",
        attributes={
            "external_ip": first_of(page, "external_gateway_info.external_fixed_ips", "ip_address")
        },
    )


def floating_ips(page: Items, region: str) -> pd.DataFrame:
    """Floating IPs have no name: the address is theirs."""
    return asset_rows(
        page,
        "floating_ip",
        region,
        name="floating_ip_address",
        scope="project_id",
        attributes={"address": "floating_ip_address"},
    )


def ports(page: Items, region: str) -> pd.DataFrame:
    """A port's device is a server when its owner is ``compute:<zone>``; the binding host is
    admin only (and ``""`` when unbound)."""
    owner = column(page, "device_owner")
    on_server = owner.str.startswith("compute:").fillna(False).astype(bool)
    device = column(page, "device_id").where(on_server, None)
    name = none_if_empty(column(page, "name"))
    return asset_rows(
        page,
        "port",
        region,
        name=name.where(name.notna(), column(page, "id")),
        scope="project_id",
        parent_id=device,
        host=none_if_empty(column(page, "binding:host_id")),
        attributes={"device_owner": none_if_empty(owner)},
    )


def security_groups(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(page, "security_group", region, scope="project_id")


def ipsec_site_connections(page: Items, region: str) -> pd.DataFrame:
    return asset_rows(
        page,
        "vpn_connection",
        region,
        scope="project_id",
        attributes={"peer_address": "peer_address"},
    )
