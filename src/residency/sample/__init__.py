"""The sample estate: a seeded, scalable description of two OpenStack clouds and a cluster.

It is the single description that the ``sample`` collector turns into tables directly,
and that the local OpenStack and Kubernetes API endpoints serve over HTTP. Violations
are planted on purpose and listed in ``Estate.planted`` so that tests and the demo can
check the rules find every one of them.

Everything is generated with numpy in bulk; ``scale`` multiplies row counts without
changing the estate's shape (the same regions, sources and planted cases).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from residency.endpoints import split_endpoints
from residency.sample import openstack_config

__all__ = ["MEMBERS", "Estate", "PlantedCase", "SampleSource", "generate_estate"]

MEMBERS: Final = ("nordlys", "ovh-public", "kube-prod")
"""The estate's sources, in the order they are generated."""

_HEX = np.array(list("0123456789abcdef"))


@dataclass(frozen=True)
class PlantedCase:
    """A deliberate problem in the estate and the verdict the rules must reach on it."""

    rule: str
    status: str
    source: str
    name_prefix: str
    why: str
    evidence: str = ""  # also required in the finding's evidence, where the name is not enough


@dataclass
class SampleSource:
    """One cloud or cluster of the estate: its resources per kind and its faults."""

    name: str
    platform: str
    provider: str | None
    auth_url: str
    regions: dict[str, list[str]]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    # (region or None, kind) -> (coverage status, error message)
    faults: dict[tuple[str | None, str], tuple[str, str]] = field(default_factory=dict)
    # OpenStack only: where Keystone's own kinds are listed, the Swift account the
    # collector's project owns, and the flows the cloud's resources declare.
    identity_region: str | None = None
    account: str | None = None
    flows: pd.DataFrame | None = None


@dataclass
class Estate:
    seed: int
    scale: float
    sources: list[SampleSource]
    planted: list[PlantedCase]

    def source(self, name: str) -> SampleSource:
        return next(s for s in self.sources if s.name == name)

    def config(
        self,
        store: str,
        today: dt.date | None = None,
        kubeconfig: str | None = None,
        clouds_yaml: str | None = None,
        config_files: dict[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, Any]:
        """A ``residency.yaml`` for sweeping this estate.

        Without ``kubeconfig`` and ``clouds_yaml`` the ``sample`` collector reads every
        source directly. With ``kubeconfig`` the cluster is read over HTTP by the
        ``kubernetes`` collector (context ``kube-prod``); with ``clouds_yaml`` each cloud
        is read over HTTP by the ``openstack`` collector (cloud named as the source), from
        local endpoints serving the estate, and with the control-plane ``config_files``
        given per cloud (see :func:`openstack_config.write_config_files`).
        """
        today = today or dt.date.today()
        direct = [
            m
            for m in MEMBERS
            if not (m == "kube-prod" and kubeconfig) and not (m != "kube-prod" and clouds_yaml)
        ]
        sources: list[dict[str, Any]] = []
        if direct:
            sample: dict[str, Any] = {
                "name": "sample-estate",
                "type": "sample",
                "seed": self.seed,
                "scale": self.scale,
            }
            if len(direct) < len(MEMBERS):
                sample["members"] = direct
            sources.append(sample)
        if clouds_yaml is not None:
            for member in self.sources:
                if member.platform != "openstack":
                    continue
                cloud: dict[str, Any] = {
                    "name": member.name,
                    "type": "openstack",
                    "cloud": member.name,
                    "clouds_yaml": clouds_yaml,
                }
                if member.provider:
                    # Served from 127.0.0.1: the auth host cannot name the provider.
                    cloud["provider"] = member.provider
                if config_files and config_files.get(member.name):
                    cloud["config_files"] = config_files[member.name]
                sources.append(cloud)
        if kubeconfig is not None:
            sources.append(
                {
                    "name": "kube-prod",
                    "type": "kubernetes",
                    "kubeconfig": kubeconfig,
                    "context": "kube-prod",
                }
            )
        return {
            "area": "eu",
            "requirements": ["location", "control"],
            "store": store,
            "sources": sources,
            "sites": SITES,
            "endpoints": ENDPOINTS,
            "exemptions": [
                {
                    "rule": "placement.*",
                    "subject": "ovh-public/server/dr-replica-*",
                    "reason": "Disaster-recovery replicas in Canada, approved by the DPO",
                    "owner": "dpo@example.eu",
                    "expires": (today + dt.timedelta(days=365)).isoformat(),
                },
                {
                    "rule": "placement.data_plane",
                    "subject": "ovh-public/server/legacy-ftp-*",
                    "reason": "Legacy FTP gateway, to be migrated",
                    "owner": "ops@example.eu",
                    "expires": (today - dt.timedelta(days=30)).isoformat(),
                },
            ],
        }


# The private cloud's own sites: fra1 is declared by country, ams1 only by coordinates
# (its country comes from the polygons); the "lab" region is deliberately undeclared.
SITES: list[dict[str, Any]] = [
    {
        "source": "nordlys",
        "region": "fra1",
        "country": "DE",
        "city": "Frankfurt am Main",
        "lat": 50.1109,
        "lon": 8.6821,
        "operator": "Nordlys Cloud GmbH",
        "operator_jurisdiction": "DE",
    },
    {
        "source": "nordlys",
        "region": "ams1",
        "city": "Amsterdam",
        "lat": 52.3676,
        "lon": 4.9041,
        "operator": "Nordlys Cloud B.V.",
        "operator_jurisdiction": "NL",
    },
]


# The private cloud's own domains and its head office's VPN peer, declared as a user would:
# its registry, telemetry and OIDC hosts are not in any public catalog.
ENDPOINTS: list[dict[str, Any]] = [
    {
        "match": "ams1.nordlys.example",
        "country": "NL",
        "operator": "Nordlys Cloud B.V.",
        "operator_jurisdiction": "NL",
    },
    {
        "match": "nordlys.example",
        "country": "DE",
        "operator": "Nordlys Cloud GmbH",
        "operator_jurisdiction": "DE",
    },
    {
        "ips": ["198.51.100.20"],
        "country": "DE",
        "operator": "Nordlys Cloud GmbH",
        "operator_jurisdiction": "DE",
    },
]


class _Ids:
    """Deterministic UUID-shaped identifiers, generated in bulk."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def uuids(self, n: int) -> npt.NDArray[np.str_]:
        raw = np.frombuffer(self._rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16)
        digits = np.stack([raw >> 4, raw & 15], axis=-1).reshape(n, 32)
        digits[:, 12] = 4  # version 4
        chars = _HEX[digits]
        dash = np.full((n, 1), "-")
        parts = [chars[:, 0:8], dash, chars[:, 8:12], dash, chars[:, 12:16], dash]
        parts += [chars[:, 16:20], dash, chars[:, 20:32]]
        return np.ascontiguousarray(np.concatenate(parts, axis=1)).view("<U36").ravel()

    def hex(self, n: int, width: int) -> npt.NDArray[np.str_]:
        digits = self._rng.integers(0, 16, size=(n, width))
        return np.ascontiguousarray(_HEX[digits]).view(f"<U{width}").ravel()


def _names(prefix: str, n: int, start: int = 0) -> npt.NDArray[np.str_]:
    return np.char.add(f"{prefix}-", np.arange(start, start + n).astype(str))


def _count(base: float, scale: float) -> int:
    return max(1, round(base * scale))


def _frame(kind: str, n: int, ids: _Ids, **columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame({"kind": np.full(n, kind), "asset_id": ids.uuids(n)})
    for name, value in columns.items():
        frame[name] = value if not np.isscalar(value) else np.full(n, value, dtype=object)
    return frame


# Kinds listed once per cloud, from Keystone in the identity region, not region by region.
GLOBAL_KINDS: Final = frozenset({"project", "domain", "identity_provider", "service_provider"})

# Per kind, the OpenStack service (catalog type) that lists it.
SERVICE_OF: Final[dict[str, str]] = {
    "server": "compute",
    "availability_zone": "compute",
    "server_group": "compute",
    "volume": "block-storage",
    "snapshot": "block-storage",
    "backup": "block-storage",
    "volume_type": "block-storage",
    "image": "image",
    "network": "network",
    "subnet": "network",
    "router": "network",
    "floating_ip": "network",
    "port": "network",
    "security_group": "network",
    "vpn_connection": "network",
    "load_balancer": "load-balancer",
    "dns_zone": "dns",
    "secret_container": "key-manager",
    "secret": "key-manager",
    "object_container": "object-store",
    "project": "identity",
    "domain": "identity",
    "identity_provider": "identity",
    "service_provider": "identity",
}

_OS_BASE: Final[dict[str, int]] = {
    "server": 40,
    "volume": 60,
    "backup": 10,
    "snapshot": 8,
    "image": 6,
    "object_container": 6,
    "network": 5,
    "subnet": 6,
    "router": 2,
    "floating_ip": 10,
    "security_group": 8,
    "secret_container": 4,
    "secret": 4,
    "server_group": 3,
    "load_balancer": 2,
    "dns_zone": 2,
}


def _openstack_region(
    region: str,
    zones: list[str],
    counts: dict[str, int],
    projects: npt.NDArray[np.str_],
    rng: np.random.Generator,
    ids: _Ids,
    provider: str | None,
    server_names: dict[str, npt.NDArray[np.str_]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Resources of one OpenStack region: per kind, the columns the OpenStack collector
    reads from Nova, Cinder, Glance, Neutron, Octavia, Designate, Barbican and Swift.

    Only what those APIs expose is set: ``zone`` only where the API has an availability
    zone, ``scope`` is the owning project's id, ``parent_id`` the API's own reference
    (volume → server, backup/snapshot → volume, subnet → network, port → server).
    """
    frames: dict[str, pd.DataFrame] = {}
    low = region.lower()
    zone_choices = np.array(zones)

    def common(n: int, zoned: bool = False, scoped: bool = True) -> dict[str, Any]:
        return {
            "region": region,
            "zone": rng.choice(zone_choices, n) if zoned else None,
            "scope": rng.choice(projects, n) if scoped else None,
            "provider": provider,
        }

    def simple(kind: str, prefix: str, zoned: bool = False, scoped: bool = True) -> pd.DataFrame:
        n = counts[kind]
        return _frame(kind, n, ids, name=_names(f"{low}-{prefix}", n), **common(n, zoned, scoped))

    names = (server_names or {}).get(region)
    n_servers = counts["server"] + (len(names) if names is not None else 0)
    server_names_all = _names(f"{low}-vm", counts["server"])
    if names is not None:
        server_names_all = np.concatenate([names, server_names_all])
    servers = _frame("server", n_servers, ids, name=server_names_all, **common(n_servers, True))
    servers["host"] = np.char.add(f"{low}-cmp", rng.integers(1, 40, n_servers).astype(str))
    servers["flavor"] = rng.choice(np.array(["b2-7", "b2-15", "c2-30", "r2-60"]), n_servers)
    servers["status"] = rng.choice(np.array(["ACTIVE", "ACTIVE", "ACTIVE", "SHUTOFF"]), n_servers)
    # Admin only: the hypervisor's own name for the compute host.
    servers["hypervisor"] = np.char.add(servers["host"].to_numpy().astype(str), ".cloud.internal")
    # One fixed address per server on the project network (10.<region>.x.y).
    octet = zlib.crc32(region.encode()) % 200
    position = np.arange(n_servers)
    servers["addresses"] = (
        f"10.{octet}."
        + pd.Series((position // 250) % 250).astype(str)
        + "."
        + pd.Series(position % 250 + 2).astype(str)
    ).to_numpy(dtype=object)
    frames["server"] = servers

    # Nova's availability zones with the compute hosts in each; Cinder's zones (no hosts).
    hosts = servers.groupby("zone")["host"].agg(lambda h: ",".join(sorted(set(h))))
    compute_zones = pd.DataFrame(
        {
            "kind": "availability_zone",
            "asset_id": [f"{region}/compute/{z}" for z in zones],
            "name": zones,
            "region": region,
            "zone": zones,
            "scope": None,
            "provider": provider,
            "service": "compute",
            "hosts": hosts.reindex(zones).to_numpy(dtype=object),
        }
    )
    volume_zones = compute_zones.assign(
        asset_id=[f"{region}/volume/{z}" for z in zones], service="volume", hosts=None
    )
    frames["availability_zone"] = pd.concat([compute_zones, volume_zones], ignore_index=True)

    groups = simple("server_group", "group")
    groups["policy"] = rng.choice(np.array(["anti-affinity", "soft-anti-affinity"]), len(groups))
    frames["server_group"] = groups

    n_vol = counts["volume"]
    volumes = _frame("volume", n_vol, ids, name=_names(f"{low}-vol", n_vol), **common(n_vol, True))
    attached = rng.random(n_vol) < 0.6
    parents = np.full(n_vol, None, dtype=object)
    parents[attached] = rng.choice(servers["asset_id"].to_numpy(), int(attached.sum()))
    volumes["parent_id"] = parents
    volumes["volume_type"] = rng.choice(np.array(["classic", "high-speed"]), n_vol)
    volumes["size_gb"] = rng.integers(10, 2000, n_vol).astype(str)
    volumes["encrypted"] = np.where(rng.random(n_vol) < 0.7, "true", "false")
    frames["volume"] = volumes
    frames["volume_type"] = _frame(
        "volume_type",
        2,
        ids,
        name=np.array(["classic", "high-speed"]),
        **common(2, scoped=False),
        is_public="true",
    )

    volume_ids = volumes["asset_id"].to_numpy()
    backups = simple("backup", "backup", zoned=True)
    backups["parent_id"] = rng.choice(volume_ids, len(backups))
    backups["container"] = "volumebackups"
    frames["backup"] = backups
    snapshots = simple("snapshot", "snap")
    snapshots["parent_id"] = rng.choice(volume_ids, len(snapshots))
    frames["snapshot"] = snapshots

    images = simple("image", "img")
    images["visibility"] = rng.choice(np.array(["private", "shared"]), len(images))
    frames["image"] = images

    networks = simple("network", "net")
    frames["network"] = networks
    subnets = simple("subnet", "subnet")
    subnets["parent_id"] = rng.choice(networks["asset_id"].to_numpy(), len(subnets))
    index = np.arange(len(subnets))
    subnets["cidr"] = np.char.add(
        np.char.add(np.char.add("10.", (index // 256).astype(str)), "."),
        np.char.add((index % 256).astype(str), ".0/24"),
    )
    frames["subnet"] = subnets
    routers = simple("router", "router")
    routers["external_ip"] = np.char.add(
        "203.0.113.", rng.integers(1, 254, len(routers)).astype(str)
    )
    frames["router"] = routers
    fips = simple("floating_ip", "fip")
    fips["address"] = np.char.add("203.0.113.", rng.integers(1, 254, len(fips)).astype(str))
    fips["name"] = fips["address"]  # floating IPs have no name: the address is theirs
    frames["floating_ip"] = fips
    # One port per server, bound to the server's compute host.
    ports = _frame(
        "port",
        n_servers,
        ids,
        name=np.char.add(servers["name"].to_numpy().astype(str), "-port"),
        region=region,
        zone=None,
        scope=servers["scope"].to_numpy(),
        provider=provider,
    )
    ports["parent_id"] = servers["asset_id"].to_numpy()
    ports["device_owner"] = np.char.add("compute:", servers["zone"].to_numpy().astype(str))
    ports["host"] = servers["host"].to_numpy()
    frames["port"] = ports
    frames["security_group"] = simple("security_group", "sg")

    lbs = simple("load_balancer", "lb", zoned=True)
    lbs["vip_address"] = np.char.add("10.0.0.", rng.integers(2, 250, len(lbs)).astype(str))
    lbs["protocols"] = "HTTP,HTTPS"
    frames["load_balancer"] = lbs
    dns = simple("dns_zone", "zone")
    dns["name"] = np.char.add(np.char.add(dns["name"].to_numpy().astype(str), "."), "example.")
    dns["zone_type"] = "PRIMARY"
    dns["masters"] = None
    frames["dns_zone"] = dns

    containers = simple("secret_container", "keys", scoped=False)
    containers["container_type"] = "generic"
    frames["secret_container"] = containers
    secrets = simple("secret", "key", scoped=False)
    secrets["secret_type"] = "symmetric"
    secrets["algorithm"] = "aes"
    frames["secret"] = secrets

    buckets = simple("object_container", "bucket", scoped=False)
    buckets["storage_policy"] = "Policy-0"
    buckets["sync_to"] = None
    frames["object_container"] = buckets
    return frames


def _concat(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    kinds = {k for part in parts for k in part}
    return {k: pd.concat([p[k] for p in parts if k in p], ignore_index=True) for k in sorted(kinds)}


def _identity(
    ids: _Ids,
    region: str,
    project_names: npt.NDArray[np.str_],
    project_ids: npt.NDArray[np.str_],
    provider: str | None,
) -> dict[str, pd.DataFrame]:
    """Keystone's projects and the default domain, kept in the identity region."""
    projects = pd.DataFrame(
        {
            "kind": "project",
            "asset_id": project_ids,
            "name": project_names,
            "region": region,
            "zone": None,
            "scope": "default",
            "provider": provider,
        }
    )
    domains = pd.DataFrame(
        {
            "kind": ["domain"],
            "asset_id": ["default"],
            "name": ["Default"],
            "region": [region],
            "zone": [None],
            "scope": [None],
            "provider": [provider],
        }
    )
    return {"project": projects, "domain": domains}


def _swift_account(frames: dict[str, pd.DataFrame], account: str) -> None:
    """Swift lists one account's containers: they belong to the project the collector
    authenticates to, and are named ``AUTH_<project>/<container>``."""
    buckets = frames["object_container"]
    buckets["scope"] = account
    buckets["asset_id"] = "AUTH_" + account + "/" + buckets["name"].astype(str)
    frames["object_container"] = buckets


def _not_found(
    regions: list[str], kinds: list[str], service: str
) -> dict[tuple[str | None, str], tuple[str, str]]:
    message = f"no '{service}' endpoint in the catalog for this region"
    return {(r, k): ("not_found", message) for r in regions for k in kinds}


def _security_group_flows(groups: pd.DataFrame) -> pd.DataFrame:
    """Neutron gives every security group two default egress rules to anywhere (IPv4 and
    IPv6): a wide-open ``egress`` flow each."""
    n = len(groups)
    ids = np.repeat(groups["asset_id"].to_numpy(dtype=object), 2)
    anywhere = np.tile(np.array(["0.0.0.0/0", "::/0"], dtype=object), n)
    names = np.repeat(groups["name"].to_numpy(dtype=object), 2)
    return pd.DataFrame(
        {
            "asset_id": ids,
            "channel": "egress",
            "endpoint": anywhere,
            "host": None,
            "ip": anywhere,
            "port": pd.array([None] * (2 * n), dtype="Int32"),
            "evidence": "security group " + names + " allows egress to " + anywhere,
        }
    )


def _url_flows(rows: pd.DataFrame, column: str, channel: str, evidence: str) -> pd.DataFrame:
    """Flows to URLs, stored as the collectors store them (no userinfo, no query)."""
    parsed = split_endpoints(rows[column])
    before, _, rest = evidence.partition("{}")
    middle, _, tail = rest.partition("{}")
    return pd.DataFrame(
        {
            "asset_id": rows["asset_id"].to_numpy(dtype=object),
            "channel": channel,
            "endpoint": parsed["endpoint"].to_numpy(dtype=object),
            "host": parsed["host"].to_numpy(dtype=object),
            "ip": None,
            "port": parsed["port"].array,
            "evidence": (
                before + rows["name"].astype(str) + middle + parsed["endpoint"].astype(str) + tail
            ).to_numpy(dtype=object),
        }
    )


def _address_flows(rows: pd.DataFrame, column: str, channel: str, evidence: str) -> pd.DataFrame:
    """Flows to plain IP addresses (a VPN peer, a DNS master)."""
    address = rows[column].to_numpy(dtype=object)
    before, _, rest = evidence.partition("{}")
    middle, _, tail = rest.partition("{}")
    return pd.DataFrame(
        {
            "asset_id": rows["asset_id"].to_numpy(dtype=object),
            "channel": channel,
            "endpoint": address,
            "host": None,
            "ip": address,
            "port": pd.array([None] * len(rows), dtype="Int32"),
            "evidence": (
                before + rows["name"].astype(str) + middle + rows[column].astype(str) + tail
            ).to_numpy(dtype=object),
        }
    )


def _flows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Declared flows of a cloud: egress rules, VPN peers, IdP remote ids, secondary DNS
    masters and Swift container sync targets."""
    parts = [_security_group_flows(frames["security_group"])]
    vpn = frames.get("vpn_connection")
    if vpn is not None and len(vpn):
        parts.append(
            _address_flows(vpn, "peer_address", "vpn", "IPsec site connection {} peers with {}")
        )
    idps = frames.get("identity_provider")
    if idps is not None and len(idps):
        parts.append(
            _url_flows(idps, "remote_ids", "identity", "identity provider {} trusts remote id {}")
        )
    zones = frames["dns_zone"]
    secondary = zones[zones["masters"].notna()]
    if len(secondary):
        masters = secondary.assign(masters=secondary["masters"].str.split(",")).explode("masters")
        parts.append(
            _address_flows(masters, "masters", "dns", "secondary zone {} transfers from master {}")
        )
    buckets = frames["object_container"]
    synced = buckets[buckets["sync_to"].notna()]
    if len(synced):
        parts.append(_url_flows(synced, "sync_to", "replication", "container {} syncs to {}"))
    return pd.concat(parts, ignore_index=True)


def _nordlys(
    rng: np.random.Generator, ids: _Ids, scale: float, kube_nodes: dict[str, int]
) -> SampleSource:
    regions = {"fra1": ["fra1-a", "fra1-b"], "ams1": ["ams1-a"], "lab": ["lab-a"]}
    project_names = np.array(["web-shop", "payments", "analytics", "platform"])
    project_ids = ids.hex(len(project_names), 32)
    parts = []
    for region, zones in regions.items():
        factor = 0.1 if region == "lab" else 1.0
        counts = {k: _count(v * factor, scale) for k, v in _OS_BASE.items()}
        node_names = {r: _names(f"kube-{r}-node", n) for r, n in kube_nodes.items()}
        # The cluster's control plane (and so its etcd) runs on three servers in fra1.
        node_names["fra1"] = np.concatenate([_names("kube-fra1-cp", 3), node_names["fra1"]])
        parts.append(
            _openstack_region(region, zones, counts, project_ids, rng, ids, None, node_names)
        )
    frames = _concat(parts)
    frames |= _identity(ids, "fra1", project_names, project_ids, None)
    frames["identity_provider"] = pd.DataFrame(
        {
            "kind": ["identity_provider"],
            "asset_id": ["corp-entra"],
            "name": ["corp-entra"],
            "region": ["fra1"],
            "zone": [None],
            "scope": ["default"],
            "provider": [None],
            "enabled": ["true"],
            "remote_ids": ["https://sts.windows.net/6f1c2a9e-3b7d-4c1e-9a55-2f0d1c4b8e71/"],
        }
    )
    # Planted flows for the data-flow rules: a VPN to the head office, a secondary DNS zone
    # fed by an outside master, and a bucket replicated to a public cloud in Canada.
    frames["vpn_connection"] = pd.DataFrame(
        {
            "kind": ["vpn_connection"],
            "asset_id": ids.uuids(1),
            "name": ["hq-ipsec"],
            "region": ["fra1"],
            "zone": [None],
            "scope": [project_ids[3]],
            "provider": [None],
            "peer_address": ["198.51.100.20"],
        }
    )
    zones_frame = frames["dns_zone"]
    secondary = zones_frame.index[zones_frame["region"].eq("fra1")][:1]
    zones_frame.loc[secondary, ["zone_type", "masters"]] = ["SECONDARY", "192.0.2.53"]
    _swift_account(frames, str(project_ids[3]))
    buckets = frames["object_container"]
    buckets.loc[buckets.index[:1], "sync_to"] = (
        "https://storage.bhs.cloud.ovh.net/v1/AUTH_c0ffee00c0ffee00c0ffee00c0ffee00/replica"
    )
    faults: dict[tuple[str | None, str], tuple[str, str]] = {}
    for kind in ("secret_container", "secret"):
        faults[("fra1", kind)] = (
            "forbidden",
            f"403 Forbidden: policy does not allow {kind}s:get for this role",
        )
    # The lab region runs only compute, block storage, images and networking.
    faults |= _not_found(["lab"], ["load_balancer"], "load-balancer")
    faults |= _not_found(["lab"], ["dns_zone"], "dns")
    faults |= _not_found(["lab"], ["secret_container", "secret"], "key-manager")
    faults |= _not_found(["lab"], ["object_container"], "object-store")
    frames = {k: v[~_faulted(v, faults)].reset_index(drop=True) for k, v in frames.items()}
    # The control plane's Ceilometer, Nova and Cinder configuration (openstack_config).
    frames["service_config"], config_flows = openstack_config.config_frames("nordlys", None)
    return SampleSource(
        name="nordlys",
        platform="openstack",
        provider=None,
        auth_url="https://keystone.nordlys.example:5000/v3",
        regions=regions,
        frames=frames,
        faults=faults,
        identity_region="fra1",
        account=str(project_ids[3]),
        flows=pd.concat([_flows(frames), config_flows], ignore_index=True),
    )


def _faulted(
    frame: pd.DataFrame, faults: dict[tuple[str | None, str], tuple[str, str]]
) -> pd.Series:
    """Rows that a listing failure or a missing service hides from every reader."""
    if frame.empty:
        return pd.Series(False, index=frame.index)
    keys = pd.MultiIndex.from_arrays([frame["region"], frame["kind"]])
    hidden = pd.MultiIndex.from_tuples(list(faults)) if faults else keys[:0]
    return pd.Series(keys.isin(hidden), index=frame.index)


def _ovh(rng: np.random.Generator, ids: _Ids, scale: float) -> SampleSource:
    regions = {"GRA11": ["nova"], "DE1": ["nova"], "BHS5": ["nova"]}
    projects = np.array(["c0ffee00c0ffee00c0ffee00c0ffee00", "deadbeefdeadbeefdeadbeefdeadbeef"])
    parts = []
    for region, zones in regions.items():
        factor = 0.4 if region == "BHS5" else 1.0
        counts = {k: _count(v * factor, scale) for k, v in _OS_BASE.items()}
        planted = (
            {"BHS5": np.array(["dr-replica-0", "dr-replica-1", "legacy-ftp-0"])}
            if region == "BHS5"
            else None
        )
        parts.append(
            _openstack_region(region, zones, counts, projects, rng, ids, "ovhcloud", planted)
        )
    frames = _concat(parts)
    frames |= _identity(ids, "GRA11", np.array(["shop-eu", "shop-ca"]), projects, "ovhcloud")
    _swift_account(frames, str(projects[0]))
    all_regions = list(regions)
    # OVHcloud's public cloud has no Designate or Barbican in its catalog, and no
    # federation API for customers.
    faults = _not_found(all_regions, ["dns_zone"], "dns")
    faults |= _not_found(all_regions, ["secret_container", "secret"], "key-manager")
    faults[("GRA11", "identity_provider")] = (
        "not_found",
        "404 Not Found: the OS-FEDERATION extension is not enabled",
    )
    frames = {k: v[~_faulted(v, faults)].reset_index(drop=True) for k, v in frames.items()}
    return SampleSource(
        name="ovh-public",
        platform="openstack",
        provider="ovhcloud",
        auth_url="https://auth.cloud.ovh.net/v3",
        regions=regions,
        frames=frames,
        faults=faults,
        identity_region="GRA11",
        account=str(projects[0]),
        flows=_flows(frames),
    )


# Kinds whose Kubernetes objects are cluster-scoped (no namespace).
CLUSTER_SCOPED: Final = (
    "storage_class",
    "webhook",
    "volume_snapshot_class",
    "certificate_issuer",
    "api_service",
    "cluster",
)
_KUBE_VERSION: Final = "v1.31.4"
_KUBE_SERVER: Final = "https://kube-prod.nordlys.example:6443"
# The cluster's service-account tokens are issued as an external OIDC issuer (its discovery
# document hosted outside the cluster), so relying parties fetch its keys there.
_KUBE_ISSUER: Final = "https://oidc.nordlys.example"
# Aggregated APIs: metrics-server in the cluster, and a vendor's custom-metrics adapter that
# the apiserver reaches through an ExternalName Service (it receives the requests' objects).
_API_SERVICES: Final = pd.DataFrame(
    {
        "name": ["v1alpha1.custom.metrics.k8s.io", "v1beta1.metrics.k8s.io"],
        "group": ["custom.metrics.k8s.io", "metrics.k8s.io"],
        "version": ["v1alpha1", "v1beta1"],
        "service": ["kube-system/metrics-adapter", "kube-system/metrics-server"],
        "insecure_skip_tls_verify": ["false", "true"],
    }
)
_EXTERNAL_NAMES: Final = {"metrics-adapter": "metrics-adapter.vendor.example"}


def _kube(rng: np.random.Generator, ids: _Ids, scale: float, nordlys: SampleSource) -> SampleSource:
    servers = nordlys.frames["server"]
    node_servers = servers[servers["name"].str.startswith("kube-")]
    nodes_os = pd.DataFrame(
        {
            "kind": "node",
            "asset_id": ids.uuids(len(node_servers)),
            "name": node_servers["name"].to_numpy(),
            "region": node_servers["region"].to_numpy(),
            "zone": node_servers["zone"].to_numpy(),
            "parent_id": node_servers["asset_id"].to_numpy(),
            "provider_id": np.char.add(
                "openstack:///", node_servers["asset_id"].to_numpy().astype(str)
            ),
            "pool": np.where(
                node_servers["name"].str.contains("-cp-").to_numpy(), "control-plane", "general"
            ),
            "provider": None,
        }
    )
    # Planted: a node whose topology labels were copied from an Amsterdam template although
    # its server runs in Frankfurt. Lineage still places it; the labels are wrong evidence.
    mislabelled = nodes_os["name"].eq("kube-fra1-node-0").to_numpy()
    nodes_os.loc[mislabelled, ["region", "zone"]] = ["ams1", "ams1-a"]
    n_burst = _count(3, scale)
    burst_zones = rng.choice(np.array(["eu-central-1a", "eu-central-1b"]), n_burst)
    nodes_aws = pd.DataFrame(
        {
            "kind": "node",
            "asset_id": ids.uuids(n_burst),
            "name": _names("burst-node", n_burst),
            "region": "eu-central-1",
            "zone": burst_zones,
            "parent_id": None,
            "provider_id": np.char.add(
                np.char.add(np.char.add("aws:///", burst_zones), "/i-0"), ids.hex(n_burst, 16)
            ),
            "pool": "burst",
            "provider": "aws",
        }
    )
    nodes_edge = pd.DataFrame(
        {
            "kind": "node",
            "asset_id": ids.uuids(1),
            "name": ["edge-node-0"],
            "region": [None],
            "zone": [None],
            "parent_id": [None],
            "provider_id": [None],
            "pool": ["edge"],
            "provider": [None],
        }
    )
    nodes = pd.concat([nodes_os, nodes_aws, nodes_edge], ignore_index=True)
    nodes["host"] = nodes["name"]
    nodes["kubelet_version"] = _KUBE_VERSION

    namespaces = np.array(["shop", "payments", "analytics", "monitoring", "kube-system"])
    n_pods = max(_count(600, scale), len(nodes))
    on_node = rng.integers(0, len(nodes), n_pods)
    # Every node runs at least one pod, so each planted node case reaches the pod level.
    on_node[: len(nodes)] = np.arange(len(nodes))
    pods = _frame(
        "pod", n_pods, ids, name=_names("pod", n_pods), scope=rng.choice(namespaces, n_pods)
    )
    pods["parent_id"] = nodes["asset_id"].to_numpy()[on_node]
    pods["node_name"] = nodes["name"].to_numpy()[on_node]
    pods["region"] = nodes["region"].to_numpy()[on_node]
    pods["zone"] = nodes["zone"].to_numpy()[on_node]
    pods["provider"] = nodes["provider"].to_numpy()[on_node]
    pods["image"] = rng.choice(
        np.array(
            [
                "registry.nordlys.example/shop/web:1.4",
                "docker.io/library/nginx:1.27",
                "quay.io/prometheus/prometheus:v2.53.0",
            ]
        ),
        n_pods,
    )
    # -- telemetry agents (CRs) and a vendor agent configured by environment ---------------
    # The first pod runs the Datadog agent in monitoring, its site set by DD_SITE (no draw:
    # the random streams stay as they were).
    pods.loc[0, ["scope", "image"]] = ["monitoring", DATADOG_AGENT_IMAGE]
    # -- end of telemetry agents ------------------------------------------------------------

    workloads = _frame(
        "workload",
        _count(20, scale),
        ids,
        name=_names("deploy", _count(20, scale)),
        scope=rng.choice(namespaces, _count(20, scale)),
    )
    workloads["workload_kind"] = rng.choice(
        np.array(["Deployment", "StatefulSet", "DaemonSet"]), len(workloads)
    )

    volumes = nordlys.frames["volume"]
    csi_volumes = volumes[volumes["region"].isin(["fra1", "ams1"])].head(_count(12, scale))
    pvs = pd.DataFrame(
        {
            "kind": "persistent_volume",
            "asset_id": ids.uuids(len(csi_volumes)),
            "name": np.char.add("pvc-", ids.uuids(len(csi_volumes))),
            "region": csi_volumes["region"].to_numpy(),
            "zone": csi_volumes["zone"].to_numpy(),
            "parent_id": csi_volumes["asset_id"].to_numpy(),
            "csi_driver": "cinder.csi.openstack.org",
            "volume_handle": csi_volumes["asset_id"].to_numpy(),
        }
    )
    pvcs = _frame(
        "persistent_volume_claim",
        len(pvs),
        ids,
        name=_names("data", len(pvs)),
        scope=rng.choice(namespaces, len(pvs)),
    )
    pvcs["parent_id"] = pvs["asset_id"].to_numpy()

    small = {
        "storage_class": ["csi-cinder-fra1", "csi-cinder-ams1"],
        "service": [
            "shop-web",
            "payments-api",
            "grafana",
            "prometheus",
            "metrics-server",
            "metrics-adapter",
        ],
        "ingress": ["shop", "grafana"],
        "config_map": [
            "fluent-bit-config",
            "otel-collector-config",
            "fluentd-config",
            "vector-config",
            "alloy-config",
            "coredns",
        ],
        "webhook": ["cert-manager-webhook", "policy-validator"],
        "volume_snapshot_class": ["csi-cinder-snapclass"],
        "certificate_issuer": ["letsencrypt-prod"],
    }
    frames: dict[str, pd.DataFrame] = {
        "node": nodes,
        "pod": pods,
        "workload": workloads,
        "persistent_volume": pvs,
        "persistent_volume_claim": pvcs,
    }
    for kind, names in small.items():
        # Storage and snapshot classes and webhook configurations are cluster-scoped.
        scope = None if kind in CLUSTER_SCOPED else "kube-system"
        frames[kind] = _frame(kind, len(names), ids, name=np.array(names), scope=scope)
    frames["service"]["external_name"] = frames["service"]["name"].map(_EXTERNAL_NAMES)
    frames["api_service"] = _frame("api_service", len(_API_SERVICES), ids, scope=None)
    frames["api_service"][_API_SERVICES.columns] = _API_SERVICES.to_numpy()
    # API objects live in etcd on the control-plane nodes: that is where they are stored.
    # The collector cannot tell which member holds what, so it names the first by name.
    control_plane = nodes[nodes["pool"].eq("control-plane")].sort_values("name")
    for kind in (*small, "workload", "api_service"):
        frames[kind]["parent_id"] = control_plane["asset_id"].iloc[0]
    frames["cluster"] = pd.DataFrame(
        {
            "kind": ["cluster"],
            "asset_id": ["cluster:kube-prod"],
            "name": [split_endpoints(pd.Series([_KUBE_SERVER]))["host"].iloc[0]],
            "scope": [None],
            "parent_id": [control_plane["asset_id"].iloc[0]],
            "server": [_KUBE_SERVER],
            "git_version": [_KUBE_VERSION],
            "issuer": [_KUBE_ISSUER],
        }
    )
    # Velero backs the cluster up to a bucket at AWS us-east-1 (a declared backup flow out of
    # the area); where the bucket is, is the region its BackupStorageLocation names.
    frames["backup_location"] = _frame(
        "backup_location", 1, ids, name=np.array(["default"]), scope="velero"
    )
    frames["backup_location"][["region", "provider", "parent_id"]] = ["us-east-1", None, None]
    # -- telemetry agents (CRs) ------------------------------------------------------------
    # An OpenTelemetryCollector exporting inside the area and a Prometheus remote-writing to
    # Amazon Managed Service for Prometheus in us-east-1 (kube_objects renders both).
    agents = _frame("telemetry_agent", len(TELEMETRY_AGENTS), ids, scope="monitoring")
    agents[TELEMETRY_AGENTS.columns] = TELEMETRY_AGENTS.to_numpy()
    agents["parent_id"] = control_plane["asset_id"].iloc[0]
    frames["telemetry_agent"] = agents
    # -- end of telemetry agents ------------------------------------------------------------
    return SampleSource(
        name="kube-prod",
        platform="kubernetes",
        provider=None,
        auth_url=_KUBE_SERVER,
        regions={"fra1": ["fra1-a", "fra1-b"], "ams1": ["ams1-a"]},
        frames=frames,
        faults={(None, "network_policy"): ("error", "timed out after 3 attempts (30 s each)")},
        flows=_kube_flows(frames),
    )


ACME_SERVER: Final = "https://acme-v02.api.letsencrypt.org/directory"
"""The sample cluster's ClusterIssuer's ACME directory (served and declared alike)."""


def _kube_flows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The cluster's control-plane flows: the issuer its service-account discovery names, and
    the aggregated APIs served through ExternalName Services."""
    services = frames["service"].dropna(subset=["external_name"])
    targets = pd.Series(
        services["external_name"].to_numpy(),
        index=services["scope"].astype(str) + "/" + services["name"].astype(str),
    )
    apis = frames["api_service"]
    external = apis.assign(url="https://" + apis["service"].map(targets) + ":443").dropna(
        subset=["url"]
    )
    discovery = frames["cluster"].assign(name="GET /.well-known/openid-configuration")
    # Velero's location names its bucket's S3 endpoint; cert-manager's issuer its ACME server.
    locations = frames["backup_location"]
    backups = locations.assign(url="https://s3." + locations["region"] + ".amazonaws.com")
    issuers = frames["certificate_issuer"].assign(url=ACME_SERVER)
    return pd.concat(
        [
            _agent_flows(frames["telemetry_agent"]),
            _env_flows(frames["pod"]),
            _config_map_flows(frames["config_map"]),
            _url_flows(backups, "url", "backup", "BackupStorageLocation {} stores to {}"),
            _url_flows(issuers, "url", "acme", "ClusterIssuer {} orders certificates from {}"),
            _url_flows(discovery, "issuer", "identity", "{}: issuer {}"),
            _url_flows(
                external,
                "url",
                "webhook",
                "APIService {} is served through an ExternalName Service at {}",
            ),
        ],
        ignore_index=True,
    )


# What the sample's ConfigMaps declare (their data is in kube_objects._CONFIG_DATA): CoreDNS
# forwards to the estate's resolvers; Fluent Bit ships logs to OpenSearch in fra1 (inside),
# to Loki in the cluster (inside), and payments' logs to CloudWatch in AWS Frankfurt (inside
# by location, US-controlled); the OTel Collector sends traces to Datadog US (outside), and
# its half-edited agent.yaml cannot be parsed (unknown). Fluentd ships application logs to
# OpenSearch in fra1 (inside) and audit logs to Datadog EU1 (Frankfurt, US-controlled); Vector
# to Loki in the cluster (inside) and to an S3 archive in us-west-2 (outside); Alloy writes
# metrics to Mimir in ams1 (inside), exports traces and metrics to New Relic EU (Frankfurt,
# US-controlled), and its half-edited logs.alloy cannot be parsed (unknown). Config map,
# channel, endpoint as stored (None: no destination) and the evidence after
# "ConfigMap <namespace>/<name>".
_CONFIG_MAP_FLOWS: Final = (
    ("coredns", "dns", "dns://10.10.0.2", " Corefile: forward . 10.10.0.2"),
    ("coredns", "dns", "dns://10.10.0.3", " Corefile: forward . 10.10.0.3"),
    ("coredns", "dns", "dns://10.10.0.53", " Corefile: forward . 10.10.0.53"),
    (
        "fluent-bit-config",
        "logs",
        "https://logs.fra1.nordlys.example:9200",
        " fluent-bit.conf:33 [OUTPUT] opensearch host: {}",
    ),
    (
        "fluent-bit-config",
        "logs",
        "http://loki.monitoring.svc:3100",
        " fluent-bit.conf:46 [OUTPUT] loki host: {}",
    ),
    (
        "fluent-bit-config",
        "logs",
        "https://logs.eu-central-1.amazonaws.com",
        " fluent-bit.conf:53 [OUTPUT] cloudwatch_logs region: {}",
    ),
    (
        "otel-collector-config",
        "logs",
        None,
        ": otel-collector config: parse error: agent.yaml: invalid YAML: line 4: expected"
        " <block end>, but found '<block mapping start>' (unknown)",
    ),
    *(
        ("otel-collector-config", channel, url, f" relay.yaml:{line} exporters.{field}: {{}}")
        for channel, url, line, field in (
            ("traces", "https://otlp.telemetry.nordlys.example:4318", 27, "otlphttp.endpoint"),
            ("traces", "https://trace.agent.datadoghq.com", 35, "datadog.api.site"),
            (
                "metrics",
                "https://metrics.ams1.nordlys.example/api/v1/write",
                32,
                "prometheusremotewrite.endpoint",
            ),
            ("logs", "https://otlp.telemetry.nordlys.example:4318", 27, "otlphttp.endpoint"),
        )
    ),
    (
        "fluentd-config",
        "logs",
        "https://logs.fra1.nordlys.example:9200",
        " fluent.conf:16 <match kube.**> <store> opensearch host: {}",
    ),
    (
        "fluentd-config",
        "logs",
        "https://http-intake.logs.datadoghq.eu",
        " fluent.conf:41 <match audit.**> datadog host: {}",
    ),
    (
        "vector-config",
        "logs",
        "http://loki.monitoring.svc:3100",
        " vector.toml:18 sinks.loki.endpoint: {}",
    ),
    (
        "vector-config",
        "logs",
        "https://s3.us-west-2.amazonaws.com",
        " vector.toml:27 sinks.archive.region: {} (bucket kube-prod-log-archive)",
    ),
    (
        "alloy-config",
        "metrics",
        "https://metrics.ams1.nordlys.example",
        " config.alloy:4 prometheus.remote_write.mimir endpoint.url: {}",
    ),
    *(
        (
            "alloy-config",
            channel,
            "https://otlp.eu01.nr-data.net:4318",
            " config.alloy:32 otelcol.exporter.otlphttp.newrelic client.endpoint: {}",
        )
        for channel in ("metrics", "traces")
    ),
    (
        "alloy-config",
        "logs",
        None,
        ": alloy config: parse error: logs.alloy: line 8: unterminated string (unknown)",
    ),
)


def _config_map_flows(maps: pd.DataFrame) -> pd.DataFrame:
    """The flows of :data:`_CONFIG_MAP_FLOWS` from the sample's config maps."""
    table = pd.DataFrame(_CONFIG_MAP_FLOWS, columns=["name", "channel", "endpoint", "evidence"])
    table = table.merge(maps[["name", "scope", "asset_id"]], on="name", validate="many_to_one")
    parsed = split_endpoints(table["endpoint"])
    evidence = [
        f"ConfigMap {scope}/{name}"
        + template.replace("{}", endpoint if isinstance(endpoint, str) else "")
        for scope, name, template, endpoint in table[
            ["scope", "name", "evidence", "endpoint"]
        ].itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "asset_id": table["asset_id"].to_numpy(dtype=object),
            "channel": table["channel"].to_numpy(dtype=object),
            "endpoint": parsed["endpoint"].to_numpy(dtype=object),
            "host": parsed["host"].to_numpy(dtype=object),
            "ip": None,
            "port": parsed["port"].array,
            "evidence": np.array(evidence, dtype=object),
        }
    )


# -- telemetry agents (CRs) and vendor agents' environment --------------------------------

# Where the sample's telemetry agents send data (the cluster serves the same constants).
OTEL_GATEWAY_ENDPOINT: Final = "https://otlp.fra1.nordlys.example:4318"
OTEL_GATEWAY_LOKI: Final = "http://loki.monitoring.svc:3100/loki/api/v1/push"
# Amazon Managed Service for Prometheus: the remote-write URL of a workspace in us-east-1, as
# https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-onboard-ingest-metrics-remote-write.html
# gives it (the workspace id is made up; the path never reaches the flows).
PROMETHEUS_REMOTE_WRITE: Final = (
    "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/"
    "ws-5f1c9a8e-3b2d-4c1e-9f7a-2d8e6b4a1c3f/api/v1/remote_write"
)
# The shop's web containers send traces to the in-cluster collector (OpenTelemetry SDK env).
OTLP_ENV_ENDPOINT: Final = "http://otel-collector.monitoring.svc:4317"
DATADOG_AGENT_IMAGE: Final = "docker.io/datadog/agent:7.57.2"
DATADOG_SITE: Final = "datadoghq.eu"
TELEMETRY_AGENTS: Final = pd.DataFrame(
    {
        "name": ["k8s", "otel-gateway"],
        "agent_kind": ["Prometheus", "OpenTelemetryCollector"],
        "api_version": ["monitoring.coreos.com/v1", "opentelemetry.io/v1beta1"],
    }
)
# Per agent: channel, endpoint as stored (scheme://host:port, no path) and the field.
_AGENT_FLOWS: Final = (
    (
        "k8s",
        "metrics",
        "https://aps-workspaces.us-east-1.amazonaws.com",
        "spec.remoteWrite[0].url",
    ),
    ("otel-gateway", "traces", OTEL_GATEWAY_ENDPOINT, "spec.config exporters.otlphttp.endpoint"),
    (
        "otel-gateway",
        "logs",
        "http://loki.monitoring.svc:3100",
        "spec.config exporters.loki.endpoint",
    ),
    ("otel-gateway", "logs", OTEL_GATEWAY_ENDPOINT, "spec.config exporters.otlphttp.endpoint"),
)
# Per image: the container and its vendor variables with literal values (channel, endpoint).
_IMAGE_ENV_FLOWS: Final = (
    (
        "registry.nordlys.example/shop/web:1.4",
        "web",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "traces",
        OTLP_ENV_ENDPOINT,
    ),
    (DATADOG_AGENT_IMAGE, "agent", "DD_SITE", "logs", f"https://api.{DATADOG_SITE}"),
)


def _declared(asset_id: Any, channel: Any, endpoint: pd.Series, where: pd.Series) -> pd.DataFrame:
    """Flow rows whose evidence is ``where`` and the endpoint as stored."""
    parsed = split_endpoints(endpoint.reset_index(drop=True))
    return pd.DataFrame(
        {
            "asset_id": np.asarray(asset_id, dtype=object),
            "channel": np.asarray(channel, dtype=object),
            "endpoint": parsed["endpoint"].to_numpy(dtype=object),
            "host": parsed["host"].to_numpy(dtype=object),
            "ip": None,
            "port": parsed["port"].array,
            "evidence": (where.reset_index(drop=True) + ": " + parsed["endpoint"]).to_numpy(
                dtype=object
            ),
        }
    )


def _agent_flows(agents: pd.DataFrame) -> pd.DataFrame:
    """The flows of :data:`_AGENT_FLOWS` from the sample's telemetry agents."""
    table = pd.DataFrame(_AGENT_FLOWS, columns=["name", "channel", "endpoint", "field"])
    table = table.merge(agents, on="name", validate="many_to_one")
    where = table["agent_kind"] + " " + table["scope"] + "/" + table["name"] + " " + table["field"]
    return _declared(table["asset_id"], table["channel"], table["endpoint"], where)


def _env_flows(pods: pd.DataFrame) -> pd.DataFrame:
    """The flows of :data:`_IMAGE_ENV_FLOWS` from the pods that run those images."""
    table = pd.DataFrame(
        _IMAGE_ENV_FLOWS, columns=["image", "container", "variable", "channel", "endpoint"]
    )
    table = pods[["asset_id", "scope", "name", "image"]].merge(table, on="image")
    where = (
        "Pod "
        + table["scope"].astype(str)
        + "/"
        + table["name"].astype(str)
        + " container "
        + table["container"]
        + " env "
        + table["variable"]
    )
    return _declared(table["asset_id"], table["channel"], table["endpoint"], where)


# -- end of telemetry agents ------------------------------------------------------------------


PLANTED: list[PlantedCase] = [
    PlantedCase(
        "placement.data_plane",
        "fail",
        "ovh-public",
        "bhs5-vm",
        "servers in OVHcloud BHS5 (Beauharnois, Canada)",
    ),
    PlantedCase(
        "placement.data_plane",
        "fail",
        "ovh-public",
        "bhs5-vol",
        "volumes in OVHcloud BHS5 (Canada)",
    ),
    PlantedCase(
        "placement.identity_recovery",
        "fail",
        "ovh-public",
        "bhs5-backup",
        "volume backups kept in Canada",
    ),
    PlantedCase(
        "placement.data_plane",
        "exempted",
        "ovh-public",
        "dr-replica-",
        "DR replicas in Canada under a current exemption",
    ),
    PlantedCase(
        "placement.data_plane",
        "fail",
        "ovh-public",
        "legacy-ftp-",
        "an expired exemption no longer applies",
    ),
    PlantedCase(
        "placement.data_plane", "unknown", "nordlys", "lab-vm", "region 'lab' is declared nowhere"
    ),
    PlantedCase(
        "control.operator",
        "fail",
        "kube-prod",
        "burst-node",
        "burst node pool on AWS Frankfurt: inside by location, US-controlled operator",
    ),
    PlantedCase(
        "placement.data_plane",
        "unknown",
        "kube-prod",
        "edge-node-",
        "a node with neither topology labels nor a provider ID",
    ),
    PlantedCase(
        "placement.control_plane",
        "unknown",
        "nordlys",
        "fra1/secret_container",
        "listing Barbican secret containers in fra1 was forbidden",
    ),
    PlantedCase(
        "lineage.topology_labels",
        "fail",
        "kube-prod",
        "kube-fra1-node-0",
        "node labels say ams1 while its server runs in fra1",
    ),
    PlantedCase(
        "placement.network_security",
        "unknown",
        "kube-prod",
        "network_policy",
        "listing NetworkPolicies timed out",
    ),
    # Where telemetry and other data go (flow rules).
    PlantedCase(
        "flow.location",
        "fail",
        "kube-prod",
        "https://trace.agent.datadoghq.com",
        "the OpenTelemetry Collector exports traces to Datadog US1",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "kube-prod",
        "https://logs.eu-central-1.amazonaws.com",
        "Fluent Bit ships logs to CloudWatch Frankfurt: inside by location, US-controlled",
    ),
    PlantedCase(
        "flow.location",
        "unknown",
        "kube-prod",
        "an unreadable destination",
        "an OpenTelemetry Collector config that does not parse",
    ),
    PlantedCase(
        "flow.location",
        "fail",
        "kube-prod",
        "https://s3.us-east-1.amazonaws.com",
        "Velero backs the cluster up to an S3 bucket in us-east-1",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "nordlys",
        "https://sts.windows.net/",
        "the private cloud federates its identities to Microsoft Entra ID",
    ),
    # The private cloud's control-plane configuration files (openstack_config).
    PlantedCase(
        "flow.location",
        "fail",
        "nordlys",
        "https://http-intake.logs.datadoghq.com",
        "Ceilometer publishes the private cloud's events to Datadog US1",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "nordlys",
        "https://s3.eu-central-1.amazonaws.com",
        "cinder-backup writes volume backups to S3 in AWS Frankfurt: US-controlled",
    ),
    PlantedCase(
        "flow.location",
        "unknown",
        "nordlys",
        "config:nordlys:fra1:nova/nova.conf -> an unreadable destination",
        "nova.conf's OSProfiler target is a Kolla template that was never rendered",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "kube-prod",
        "https://http-intake.logs.datadoghq.eu",
        "Fluentd ships audit logs to Datadog EU1: inside by location, US-controlled",
    ),
    PlantedCase(
        "flow.location",
        "fail",
        "kube-prod",
        "https://s3.us-west-2.amazonaws.com",
        "Vector archives logs to an S3 bucket in us-west-2 (Oregon)",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "kube-prod",
        "https://otlp.eu01.nr-data.net",
        "Grafana Alloy exports traces and metrics to New Relic EU: inside, US-controlled",
    ),
    PlantedCase(
        "flow.location",
        "unknown",
        "kube-prod",
        "an unreadable destination",
        "a Grafana Alloy config that does not parse",
        evidence="ConfigMap kube-system/alloy-config: alloy config: parse error",
    ),
    # Telemetry agents' custom resources and a vendor agent's environment.
    PlantedCase(
        "flow.control",
        "pass",
        "kube-prod",
        "https://otlp.fra1.nordlys.example",
        "an OpenTelemetryCollector resource exports to the private cloud in Frankfurt",
    ),
    PlantedCase(
        "flow.location",
        "fail",
        "kube-prod",
        "https://aps-workspaces.us-east-1.amazonaws.com",
        "a Prometheus resource remote-writes to Amazon Managed Prometheus in us-east-1",
    ),
    PlantedCase(
        "flow.control",
        "fail",
        "kube-prod",
        "https://api.datadoghq.eu",
        "the Datadog agent's DD_SITE is Datadog EU1: inside by location, US-controlled",
    ),
]


def generate_estate(seed: int = 7, scale: float = 1.0) -> Estate:
    """The sample estate for ``seed``; ``scale`` multiplies every row count."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(seed)
    ids = _Ids(rng)
    kube_nodes = {"fra1": _count(9, scale), "ams1": _count(6, scale)}
    nordlys = _nordlys(rng, ids, scale, kube_nodes)
    ovh = _ovh(rng, ids, scale)
    kube = _kube(rng, ids, scale, nordlys)
    return Estate(seed=seed, scale=scale, sources=[nordlys, ovh, kube], planted=list(PLANTED))
