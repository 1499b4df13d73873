"""Neutron: networks, subnets, routers, floating IPs, ports, security groups, VPN; and the
inventories that place them (agents on hosts, zones, segments, VPN services and endpoint
groups)."""

from __future__ import annotations

import pandas as pd

from residency.fields import Items, column

from .rows import asset_rows, first_of, joined_strings, none_if_empty, table

__all__ = [
    "agents",
    "endpoint_groups",
    "floating_ips",
    "ipsec_site_connections",
    "network_zones",
    "networks",
    "peer_cidrs",
    "ports",
    "routers",
    "security_groups",
    "segments",
    "subnets",
    "vpn_services",
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


def ipsec_site_connections(
    page: Items, region: str, groups: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The remote peer's address and, with the region's endpoint groups (see
    :func:`endpoint_groups`), the remote CIDRs behind it (:func:`peer_cidrs`)."""
    listed = endpoint_groups(Items([])) if groups is None else groups
    return asset_rows(
        page,
        "vpn_connection",
        region,
        scope="project_id",
        attributes={"peer_address": "peer_address", "peer_cidrs": peer_cidrs(page, listed)},
    )


def agents(page: Items) -> pd.DataFrame:
    """``GET /v2.0/agents`` (admin): the host each agent runs on and its zone; Open vSwitch
    and metadata agents have no ``availability_zone``, which stays null."""
    frame = table(
        page,
        {
            "agent_id": column(page, "id").str.strip(),  # the api-ref's id has a leading space
            "binary": "binary",
            "agent_type": "agent_type",
            "host": "host",
            "zone": "availability_zone",
        },
    )
    return frame


def network_zones(page: Items) -> pd.DataFrame:
    """``GET /v2.0/availability_zones``: (``zone``, ``resource``, ``state``); a zone is
    listed once per resource type (``network``, ``router``) it holds."""
    return table(page, {"zone": "name", "resource": "resource", "state": "state"})


def segments(page: Items) -> pd.DataFrame:
    """``GET /v2.0/segments``: a routed network's segments and the physical network each is
    bound to (which racks or sites carry it)."""
    return table(
        page,
        {
            "segment_id": "id",
            "network_id": "network_id",
            "network_type": "network_type",
            "physical_network": "physical_network",
            "segmentation_id": "segmentation_id",
        },
    )


def vpn_services(page: Items) -> pd.DataFrame:
    """``GET /v2.0/vpn/vpnservices``: the local side of site-to-site VPNs: the router and
    its external addresses that remote peers connect to."""
    return table(
        page,
        {
            "vpnservice_id": "id",
            "name": "name",
            "router_id": "router_id",
            "external_v4_ip": "external_v4_ip",
            "external_v6_ip": "external_v6_ip",
        },
    )


def endpoint_groups(page: Items) -> pd.DataFrame:
    """``GET /v2.0/vpn/endpoint-groups``: (``group_id``, ``type``, ``endpoints`` joined by
    ``,``). A ``cidr`` group of a connection's ``peer_ep_group_id`` is the remote side's
    address space; ``subnet`` groups are local subnets."""
    return table(
        page,
        {
            "group_id": "id",
            "name": "name",
            "type": "type",
            "endpoints": joined_strings(page, "endpoints"),
        },
    )


def peer_cidrs(connections: Items, groups: pd.DataFrame) -> pd.Series:
    """Each IPsec site connection's remote CIDRs, joined by ``,``: its own ``peer_cidrs``
    (the pre-endpoint-group API), else the CIDRs of its ``peer_ep_group_id``."""
    own = joined_strings(connections, "peer_cidrs")
    cidr_groups = groups[groups["type"].eq("cidr")].set_index("group_id")["endpoints"]
    by_group = column(connections, "peer_ep_group_id").map(cidr_groups).astype(object)
    found = own.where(own.notna(), by_group)
    return found.where(found.notna(), None)
