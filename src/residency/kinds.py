"""Every resource kind the collectors record, with its CISPE category and Critical Data classes.

Registered once here so that every collector, the rules and the reports agree. The category
follows CISPE definition 4 (Critical Assets) and 7 (Data Plane); data classes follow
definition 5 (Critical Data) and 1 (Administrative Data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from residency.schema import CATEGORIES, DATA_CLASSES

__all__ = ["CHANNELS", "KINDS", "Kind", "channel_frame", "kind_frame", "kinds_in_category"]


@dataclass(frozen=True)
class Kind:
    platform: str
    name: str
    category: str
    data_classes: tuple[str, ...]
    why: str


def _k(platform: str, name: str, category: str, classes: str, why: str) -> Kind:
    return Kind(platform, name, category, tuple(classes.split()), why)


KINDS: Final[tuple[Kind, ...]] = (
    # OpenStack
    _k("openstack", "server", "data_plane", "customer technical", "runs customer workloads"),
    _k("openstack", "volume", "data_plane", "customer", "persists Customer's Data"),
    _k("openstack", "snapshot", "data_plane", "customer", "a copy of a volume's data"),
    _k("openstack", "backup", "identity_recovery", "customer", "backup and restore"),
    _k("openstack", "image", "customer_resource", "customer technical", "customer images"),
    _k("openstack", "object_container", "data_plane", "customer", "object store"),
    _k("openstack", "load_balancer", "data_plane", "customer technical", "load balancer"),
    _k("openstack", "network", "network_security", "technical", "SDN"),
    _k("openstack", "subnet", "network_security", "technical", "IPAM"),
    _k("openstack", "router", "network_security", "technical", "SDN routing"),
    _k("openstack", "floating_ip", "customer_resource", "technical users", "public address"),
    _k("openstack", "security_group", "network_security", "technical", "network security"),
    _k("openstack", "vpn_connection", "network_security", "technical users", "VPN"),
    _k("openstack", "dns_zone", "network_security", "technical", "DNS"),
    _k("openstack", "secret_container", "control_plane", "technical", "key management"),
    _k("openstack", "project", "identity_recovery", "users administrative", "IAM tenancy"),
    _k("openstack", "identity_provider", "identity_recovery", "users", "directory, IdP"),
    _k("openstack", "service_provider", "identity_recovery", "users", "federation, K2K trust"),
    _k("openstack", "domain", "identity_recovery", "users administrative", "IAM directory"),
    _k("openstack", "availability_zone", "data_plane", "technical", "fault domain, hosts"),
    _k("openstack", "server_group", "customer_resource", "technical", "placement policy"),
    _k("openstack", "volume_type", "customer_resource", "technical", "storage offering"),
    _k("openstack", "port", "network_security", "technical", "virtual NIC, host binding"),
    _k("openstack", "secret", "control_plane", "technical", "key custody (metadata only)"),
    _k("openstack", "service_config", "control_plane", "technical", "service configuration"),
    # Kubernetes
    _k("kubernetes", "node", "data_plane", "customer technical", "runs customer containers"),
    _k("kubernetes", "pod", "data_plane", "customer technical", "customer workload"),
    _k("kubernetes", "workload", "data_plane", "technical", "workload controller"),
    _k("kubernetes", "persistent_volume", "data_plane", "customer", "persists data"),
    _k("kubernetes", "persistent_volume_claim", "data_plane", "customer", "claims storage"),
    _k("kubernetes", "storage_class", "customer_resource", "technical", "storage offering"),
    _k("kubernetes", "volume_snapshot_class", "customer_resource", "technical", "snapshots"),
    _k("kubernetes", "service", "network_security", "technical", "service networking"),
    _k("kubernetes", "ingress", "network_security", "technical users", "edge routing"),
    _k("kubernetes", "network_policy", "network_security", "technical", "network security"),
    _k("kubernetes", "webhook", "control_plane", "technical", "admission control"),
    _k("kubernetes", "config_map", "control_plane", "technical", "configuration store"),
    _k("kubernetes", "backup_location", "identity_recovery", "customer", "backup target"),
    _k("kubernetes", "certificate_issuer", "control_plane", "technical", "PKI"),
    _k("kubernetes", "telemetry_agent", "control_plane", "technical", "monitoring, logging"),
    _k("kubernetes", "api_service", "control_plane", "technical", "aggregated API server"),
    _k("kubernetes", "cluster", "control_plane", "technical administrative", "API server, issuer"),
)

assert all(k.category in CATEGORIES for k in KINDS)
assert all(c in DATA_CLASSES for k in KINDS for c in k.data_classes)


def kind_frame() -> pd.DataFrame:
    """One row per (platform, kind) with category and data classes, for vectorised joins."""
    return pd.DataFrame(
        {
            "platform": [k.platform for k in KINDS],
            "kind": [k.name for k in KINDS],
            "category": [k.category for k in KINDS],
            "data_classes": [list(k.data_classes) for k in KINDS],
        }
    )


def kinds_in_category(category: str) -> frozenset[str]:
    """Names of the kinds that belong to ``category``."""
    return frozenset(k.name for k in KINDS if k.category == category)


# What each data path carries (CISPE definition 5): logs and traces hold customer and users
# data as well as technical data; metrics are technical; backups and replicas are the
# customer's data; DNS queries and identity assertions reveal users; registries and ACME
# exchange technical data; admission webhooks receive whole objects.
CHANNELS: Final[dict[str, tuple[str, ...]]] = {
    "logs": ("customer", "users", "technical"),
    "metrics": ("technical",),
    "traces": ("customer", "users", "technical"),
    "backup": ("customer",),
    "replication": ("customer",),
    "dns": ("users", "technical"),
    "identity": ("users",),
    "registry": ("technical",),
    "webhook": ("customer", "technical"),
    "acme": ("technical",),
    "egress": ("customer",),
    "vpn": ("customer", "users", "technical"),
}


def channel_frame() -> pd.DataFrame:
    """One row per flow channel with the Critical Data classes it carries."""
    return pd.DataFrame(
        {"channel": list(CHANNELS), "data_classes": [list(v) for v in CHANNELS.values()]}
    )
