"""Octavia load balancers, Designate zones, Barbican secrets and containers, Swift containers;
and what places them: amphorae and Octavia zones, pool members, record sets and name
servers, Swift's account headers, storage nodes, capabilities and container-sync realms."""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from residency.endpoints import split_endpoints
from residency.fields import Items, column, elements

from .rows import asset_rows, joined_strings, last_segment, none_if_empty, table

__all__ = [
    "account_headers",
    "amphorae",
    "capabilities",
    "lb_zones",
    "listener_protocols",
    "load_balancers",
    "members",
    "nameservers",
    "object_containers",
    "objects",
    "recordsets",
    "resolve_sync_targets",
    "secret_containers",
    "secrets",
    "storage_nodes",
    "sync_realms",
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


# -- Octavia ------------------------------------------------------------------------------


def amphorae(page: Items) -> pd.DataFrame:
    """``GET /v2/octavia/amphorae`` (admin): the Nova server (``compute_id``) that runs each
    load balancer's amphora, its management address and the zone Octavia cached for it."""
    return table(
        page,
        {
            "amphora_id": "id",
            "load_balancer_id": "load_balancer_id",
            "compute_id": "compute_id",
            "lb_network_ip": "lb_network_ip",
            "zone": "cached_zone",
            "role": "role",
        },
    )


def lb_zones(zones_page: Items, profiles_page: Items) -> pd.DataFrame:
    """``GET /v2/lbaas/availabilityzones`` with ``GET /v2/lbaas/availabilityzoneprofiles``
    (admin): each Octavia zone's Nova ``compute_zone`` and Cinder ``volume_zone``. A
    profile's ``availability_zone_data`` is JSON inside a string, decoded here (profiles are
    a handful of operator settings)."""
    data = column(profiles_page, "availability_zone_data")
    decoded = Items([json.loads(text) if text else {} for text in data])
    profiles = table(
        profiles_page,
        {
            "profile_id": "id",
            "compute_zone": column(decoded, "compute_zone"),
            "volume_zone": column(decoded, "volume_zone"),
        },
    )
    zones = table(
        zones_page,
        {"zone": "name", "enabled": "enabled", "profile_id": "availability_zone_profile_id"},
    )
    merged = zones.merge(profiles, on="profile_id", how="left").astype(object)
    return merged.where(merged.notna(), None)


def members(page: Items) -> pd.DataFrame:
    """``GET /v2/lbaas/pools/{id}/members``: the backend addresses a pool sends traffic to
    (an address outside the cloud is an external backend)."""
    return table(
        page,
        {
            "member_id": "id",
            "name": "name",
            "address": "address",
            "protocol_port": "protocol_port",
            "subnet_id": "subnet_id",
            "monitor_address": "monitor_address",
        },
    )


# -- Designate ----------------------------------------------------------------------------


def recordsets(page: Items) -> pd.DataFrame:
    """``GET /v2/recordsets`` or ``/v2/zones/{id}/recordsets``: each record set's zone,
    name, type and records (joined by ``,``): where a name points."""
    return table(
        page,
        {
            "recordset_id": "id",
            "zone_id": "zone_id",
            "zone_name": "zone_name",
            "name": "name",
            "type": "type",
            "records": joined_strings(page, "records"),
        },
    )


def nameservers(page: Items) -> pd.DataFrame:
    """``GET /v2/zones/{id}/nameservers``: the servers that answer for a zone."""
    return table(page, {"hostname": "hostname", "priority": "priority"})


# -- Swift ----------------------------------------------------------------------------------


def account_headers(response: str) -> dict[str, str]:
    """The headers of a raw HTTP response (``HEAD`` or ``GET`` of an account): Swift puts
    an account's metadata (``X-Account-Container-Count``, ``X-Account-Meta-*``) there and
    nowhere in the body. Header names are title-cased as Swift sends them."""
    head = response.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")[1:]
    pairs = (line.split(":", 1) for line in head if ":" in line)
    return {name.strip().title(): value.strip() for name, value in pairs}


def objects(page: Items) -> pd.DataFrame:
    """``GET /v1/{account}/{container}?format=json``: a container's objects (name, size,
    modification time). The collector does not list objects (customer data); the listing
    has no location field either: objects are where their container's policy puts them."""
    return table(
        page,
        {
            "name": "name",
            "bytes": "bytes",
            "last_modified": "last_modified",
            "content_type": "content_type",
        },
    )


def storage_nodes(urls: list[str]) -> pd.DataFrame:
    """``GET /endpoints/v2/{account}`` (the ``list_endpoints`` middleware): the storage
    nodes that hold an account: ``host``, ``port``, ``device`` and ``partition`` per URL."""
    raw = pd.Series(urls, dtype=object)
    split = split_endpoints(raw)
    path = raw.astype("string").str.extract(
        r"^[a-z]+://[^/]+/(?P<device>[^/]+)/(?P<partition>\d+)/"
    )
    frame = pd.DataFrame(
        {
            "host": split["host"],
            "port": split["port"].astype(object),
            "device": path["device"].astype(object),
            "partition": path["partition"].astype(object),
        }
    )
    return frame.where(frame.notna(), None)


def capabilities(info: Mapping[str, Any]) -> pd.DataFrame:
    """``GET /info``: one row per capability (``swift`` and each middleware), with Swift's
    version on its row. ``container_sync`` lists the realms a cluster syncs with, when on."""
    names = sorted(info)
    version = [str((info.get(n) or {}).get("version") or "") or None for n in names]
    return pd.DataFrame({"capability": names, "version": version}, dtype=object)


def sync_realms(text: str) -> pd.DataFrame:
    """``container-sync-realms.conf``: (``realm``, ``cluster``, ``endpoint``) for every
    ``cluster_<name>_endpoint`` of every realm (names upper-cased, as Swift compares them).
    Keys are secrets and are not read."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    rows = [
        (realm.upper(), key[len("cluster_") : -len("_endpoint")].upper(), value.strip())
        for realm in parser.sections()
        for key, value in parser.items(realm)
        if key.startswith("cluster_") and key.endswith("_endpoint")
    ]
    return pd.DataFrame(rows, columns=["realm", "cluster", "endpoint"], dtype=object)


def resolve_sync_targets(sync_to: pd.Series, realms: pd.DataFrame) -> pd.Series:
    """``X-Container-Sync-To`` values of the realm form ``//realm/cluster/account/container``
    as URLs: the cluster's endpoint (from :func:`sync_realms`) followed by account and
    container. Plain URLs are kept; a realm or cluster the map lacks stays as it was (a
    target with no host, reported unresolved rather than guessed)."""
    parts = sync_to.astype("string").str.extract(
        r"^//(?P<realm>[^/]+)/(?P<cluster>[^/]+)/(?P<rest>[^?#]+)$"
    )
    key = parts["realm"].str.upper() + "/" + parts["cluster"].str.upper()
    endpoints = realms.assign(key=realms["realm"] + "/" + realms["cluster"]).set_index("key")
    base = key.map(endpoints["endpoint"][~endpoints.index.duplicated()])
    resolved = base.str.rstrip("/") + "/" + parts["rest"]
    out = resolved.astype(object).where(resolved.notna(), sync_to.astype(object))
    return out.where(out.notna(), None)
