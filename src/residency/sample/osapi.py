"""A read-only OpenStack API endpoint on 127.0.0.1 that serves one cloud of the sample estate.

It answers like Keystone, Nova, Cinder, Glance, Neutron, Octavia, Designate, Barbican and
Swift do for what a collector, openstacksdk and the ``openstack`` CLI read: Keystone v3
password authentication with a multi-region catalog, version discovery at every service
root, the list APIs of ``docs/openstack.md`` with each service's own paging (marker and
``<key>_links``, Glance's top-level ``next``, Designate's ``links.next``, Barbican's
offset/``total``, Swift's marker over a JSON array), Nova and Cinder microversion headers,
admin-only fields hidden from non-admin tokens, and 401/403/404 bodies as the real
services send them.

Every object is rendered once, at start, from the estate's DataFrames in bulk (column-wise
string concatenation into JSON templates); a page is a slice of those strings joined, and
markers are found through a dict index. The server is the standard library's threading
HTTP server; nothing of OpenStack is imported.

    source = generate_estate(7, 1.0).source("nordlys")
    with OpenStackAPIServer.for_source(source, password="s3cret") as api:
        api.write_clouds_yaml(tmp / "clouds.yaml", "nordlys")
"""

from __future__ import annotations

import bisect
import datetime as dt
import hmac
import json
import re
import secrets
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from residency.sample import SERVICE_OF, SampleSource
from residency.sample.serving import LoopbackServing

__all__ = ["Failure", "OpenStackAPI", "OpenStackAPIServer", "Response", "User"]

JSON: Final = "application/json"
HTML: Final = "text/html; charset=UTF-8"
CREATED: Final = "2024-03-01T09:00:00Z"
CREATED_MICRO: Final = "2024-03-01T09:00:00.000000"
NOVA_MAX: Final = (2, 96)
CINDER_MAX: Final = (3, 71)
# URL path segment of each catalog service type, under /<region>/.
SEGMENT: Final[dict[str, str]] = {
    "compute": "compute",
    "block-storage": "volume",
    "image": "image",
    "network": "network",
    "load-balancer": "load-balancer",
    "dns": "dns",
    "key-manager": "key-manager",
    "object-store": "object-store",
}
SERVICE_NAME: Final[dict[str, str]] = {
    "identity": "keystone",
    "compute": "nova",
    "block-storage": "cinder",
    "image": "glance",
    "network": "neutron",
    "load-balancer": "octavia",
    "dns": "designate",
    "key-manager": "barbican",
    "object-store": "swift",
}
_ADMIN_ROLES: Final = ("admin", "member", "reader")
_NAMESPACE: Final = uuid.UUID("6f1c2a9e-3b7d-4c1e-9a55-2f0d1c4b8e71")


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class User:
    """A Keystone user: its password, roles and the project it may scope to (None: any)."""

    password: str
    roles: tuple[str, ...] = ("reader",)
    project_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


@dataclass
class Failure:
    """Answer ``status`` to a (region, kind)'s list requests, for the first ``times`` ones
    (None: always)."""

    status: int = 503
    times: int | None = None
    served: int = 0


@dataclass(frozen=True)
class _Token:
    user_id: str
    username: str
    project_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(", ", ": "))


def _json(status: int, obj: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, JSON, _dumps(obj).encode(), headers)


def _html(status: int, title: str, message: str) -> Response:
    """A webob error page, as Glance sends it."""
    body = (
        f"<html>\n <head>\n  <title>{status} {title}</title>\n </head>\n <body>\n"
        f"  <h1>{status} {title}</h1>\n  {message}<br /><br />\n\n\n\n </body>\n</html>"
    )
    return Response(status, HTML, body.encode())


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


# -- bulk rendering ---------------------------------------------------------------------------

_SAFE: Final = re.compile(r'["\\\x00-\x1f\x7f-\uffff]')
_SLOT: Final = re.compile(r'"\\u0000(\w+)\\u0000"')
Column = npt.NDArray[np.object_]


def js(values: Any) -> Column:
    """JSON literals of a column of strings (None/NaN → ``null``), in bulk."""
    series = pd.Series(values, dtype=object)
    missing = series.isna().to_numpy()
    text = series.where(~missing, "").astype(str)
    out = ('"' + text + '"').to_numpy(dtype=object)
    unsafe = text.str.contains(_SAFE).to_numpy() & ~missing
    if unsafe.any():
        out[unsafe] = [json.dumps(v) for v in text[unsafe]]
    out[missing] = "null"
    return out


def raw(values: Any) -> Column:
    """Already-JSON fragments (numbers, booleans, objects) as a column."""
    return pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)


def slot(name: str) -> str:
    """A placeholder in a template, filled per row from column ``name``."""
    return f"\x00{name}\x00"


def render(template: Mapping[str, Any], columns: Mapping[str, Column], n: int) -> Column:
    """One JSON object per row: ``template`` with each ``slot(name)`` replaced by the row's
    value of ``columns[name]``, by column-wise concatenation."""
    return _fill(_dumps(template), columns, n)


def _json_list(frame: pd.DataFrame, by: str, item: Column) -> pd.Series:
    """Per value of ``frame[by]``, a JSON array of the rows' ``item`` fragments."""
    grouped = pd.Series(item, index=frame.index).groupby(frame[by].to_numpy()).agg(", ".join)
    return "[" + grouped + "]"


def _zone_list(zones: pd.Series) -> Column:
    """Neutron's ``availability_zones``: the row's zone, or ``[]`` where the estate has none
    (a network or router without AZ-aware scheduling)."""
    values = js(zones)
    return np.where(pd.isna(zones.to_numpy(dtype=object)), "[]", "[" + values + "]").astype(object)


def _lookup(keys: pd.Series, mapping: pd.Series, default: str) -> Column:
    found = keys.map(mapping).astype(object)
    return found.where(found.notna(), default).to_numpy(dtype=object)


def _salted(ids: Column | pd.Series, salt: str) -> Column:
    """Distinct, stable UUIDs derived from ``ids`` (their first eight digits replaced)."""
    return (salt + pd.Series(ids, dtype=object).astype(str).str[8:]).to_numpy(dtype=object)


def _macs(positions: npt.NDArray[np.int64]) -> Column:
    hexes = pd.Series(positions).map("{:06x}".format)
    mac = "fa:16:3e:" + hexes.str[0:2] + ":" + hexes.str[2:4] + ":" + hexes.str[4:6]
    return mac.to_numpy(dtype=object)


# -- listings ---------------------------------------------------------------------------------


@dataclass
class Listing:
    """The pre-rendered objects of one (region, kind), in serving order."""

    ids: list[str]
    rows: list[str]
    scopes: npt.NDArray[np.object_] | None = None
    # Admin-only members (",\"key\": value" fragments) appended before the closing brace.
    admin: list[str] | None = None
    # A member that depends on the microversion: per row a choice, per mode the fragments.
    variant: tuple[npt.NDArray[np.int8], Mapping[str, Sequence[str]]] | None = None
    brief: list[str] | None = None
    index: dict[str, int] = field(default_factory=dict)
    _by_project: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = {v: i for i, v in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, project: str | None) -> npt.NDArray[np.int64] | None:
        """Rows visible to ``project`` (None: every row)."""
        if project is None or self.scopes is None:
            return None
        with self._lock:
            found = self._by_project.get(project)
            if found is None:
                found = np.flatnonzero(self.scopes == project)
                self._by_project[project] = found
            return found

    def item(self, i: int, admin: bool, mode: str = "", brief: bool = False) -> str:
        if brief and self.brief is not None:
            return self.brief[i]
        if self.admin is None and self.variant is None:
            return self.rows[i]
        parts = [self.rows[i]]
        if admin and self.admin is not None:
            parts.append(self.admin[i])
        if self.variant is not None:
            choice, fragments = self.variant
            parts.append(fragments[mode][int(choice[i])])
        parts.append("}")
        return "".join(parts)

    def join(self, rows: Iterable[int], admin: bool, mode: str = "", brief: bool = False) -> str:
        return ", ".join(self.item(i, admin, mode, brief) for i in rows)


def _listing(
    frame: pd.DataFrame,
    rows: Column,
    *,
    ids: Column | pd.Series | None = None,
    scoped: bool = True,
    **extra: Any,
) -> Listing:
    keys = frame["asset_id"] if ids is None else ids
    return Listing(
        ids=[str(v) for v in keys],
        rows=list(rows),
        scopes=frame["scope"].to_numpy(dtype=object) if scoped else None,
        **extra,
    )


def _links(base: str, path: str, ids: Column) -> Column:
    """Nova/Cinder ``links``: self (versioned) and bookmark."""
    self_ = js(base + "/" + path + "/" + pd.Series(ids, dtype=object))
    return (
        '[{"rel": "self", "href": '
        + pd.Series(self_)
        + '}, {"rel": "bookmark", "href": '
        + pd.Series(self_)
        + "}]"
    ).to_numpy(dtype=object)


_FLAVORS: Final[dict[str, tuple[int, int, int]]] = {
    "b2-7": (2, 7000, 50),
    "b2-15": (4, 15000, 100),
    "c2-30": (8, 30000, 200),
    "r2-60": (4, 60000, 100),
}


def _flavor_id(name: str) -> str:
    return _uuid("flavor", name)


class _Renderer:
    """Renders a source's frames of one region into listings."""

    def __init__(self, source: SampleSource, base_url: str, region: str) -> None:
        self.source = source
        self.base = base_url
        self.region = region

    def frame(self, kind: str) -> pd.DataFrame:
        frame = self.source.frames.get(kind)
        if frame is None:
            return pd.DataFrame(columns=["asset_id", "name", "region", "zone", "scope"])
        return frame[frame["region"].eq(self.region)].reset_index(drop=True)

    def url(self, service: str) -> str:
        return f"{self.base}/{self.region}/{SEGMENT[service]}"

    # compute ---------------------------------------------------------------------------

    def servers(self, volumes: pd.DataFrame) -> Listing:
        f = self.frame("server")
        n = len(f)
        ids = f["asset_id"].to_numpy(dtype=object)
        pos = np.arange(n, dtype=np.int64)
        attached = volumes[volumes["parent_id"].notna()]
        vol_items = '{"id": ' + pd.Series(js(attached["asset_id"]), index=attached.index) + "}"
        by_server = _json_list(attached, "parent_id", vol_items.to_numpy(dtype=object))
        compute = self.url("compute")
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "status": js(f["status"]),
            "tenant": js(f["scope"]),
            "zone": js(f["zone"]),
            "host_id": js(_salted(ids, "0b5c1e9d").astype(str)),
            "links": _links(compute + "/v2.1", "servers", ids),
            "volumes": _lookup(f["asset_id"], by_server, "[]"),
            "ip": js(f["addresses"]),
            "mac": js(_macs(pos)),
            "power": raw(np.where(f["status"].eq("ACTIVE"), "1", "4")),
            "vm_state": js(np.where(f["status"].eq("ACTIVE"), "active", "stopped")),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "status": slot("status"),
            "tenant_id": slot("tenant"),
            "user_id": "residency",
            "metadata": {},
            "hostId": slot("host_id"),
            "image": "",
            "created": CREATED,
            "updated": CREATED,
            "addresses": {
                "private": [
                    {
                        "version": 4,
                        "addr": slot("ip"),
                        "OS-EXT-IPS:type": "fixed",
                        "OS-EXT-IPS-MAC:mac_addr": slot("mac"),
                    }
                ]
            },
            "accessIPv4": "",
            "accessIPv6": "",
            "links": slot("links"),
            "OS-DCF:diskConfig": "MANUAL",
            "progress": 0,
            "OS-EXT-AZ:availability_zone": slot("zone"),
            "config_drive": "",
            "key_name": None,
            "OS-SRV-USG:launched_at": CREATED_MICRO,
            "OS-SRV-USG:terminated_at": None,
            "security_groups": [{"name": "default"}],
            "OS-EXT-STS:task_state": None,
            "OS-EXT-STS:vm_state": slot("vm_state"),
            "OS-EXT-STS:power_state": slot("power"),
            "os-extended-volumes:volumes_attached": slot("volumes"),
        }
        heads = render(template, cols, n)
        heads = np.array([h[:-1] for h in heads], dtype=object) if n else heads
        admin_cols = {
            "host": js(f["host"]),
            "hypervisor": js(f["hypervisor"]),
            "instance": js("instance-" + pd.Series(pos).map("{:08x}".format)),
        }
        admin_text = _dumps(
            {
                "OS-EXT-SRV-ATTR:host": slot("host"),
                "OS-EXT-SRV-ATTR:hypervisor_hostname": slot("hypervisor"),
                "OS-EXT-SRV-ATTR:instance_name": slot("instance"),
            }
        )
        admin = render_fragment(admin_text, admin_cols, n)
        names = list(_FLAVORS)
        choice = pd.Categorical(f["flavor"], categories=names).codes.astype(np.int8)
        old = [
            ', "flavor": '
            + _dumps(
                {
                    "id": _flavor_id(name),
                    "links": [{"rel": "bookmark", "href": f"{compute}/flavors/{_flavor_id(name)}"}],
                }
            )
            for name in names
        ]
        new = [
            ', "flavor": '
            + _dumps(
                {
                    "vcpus": vcpus,
                    "ram": ram,
                    "disk": disk,
                    "ephemeral": 0,
                    "swap": 0,
                    "original_name": name,
                    "extra_specs": {},
                }
            )
            for name, (vcpus, ram, disk) in _FLAVORS.items()
        ]
        brief = render({"id": slot("id"), "links": slot("links"), "name": slot("name")}, cols, n)
        return _listing(
            f,
            heads,
            admin=list(admin),
            variant=(choice, {"old": old, "new": new}),
            brief=list(brief),
        )

    def compute_zones(self) -> Listing:
        f = self.frame("availability_zone")
        f = f[f["service"].eq("compute")].reset_index(drop=True)
        rows = []
        for zone, hosts in zip(f["zone"], f["hosts"], strict=True):
            members = {
                h: {"nova-compute": {"available": True, "active": True, "updated_at": CREATED}}
                for h in (str(hosts).split(",") if isinstance(hosts, str) and hosts else [])
            }
            rows.append(
                _dumps({"zoneName": zone, "zoneState": {"available": True}, "hosts": members})
            )
        internal = {
            "zoneName": "internal",
            "zoneState": {"available": True},
            "hosts": {
                "controller": {
                    "nova-conductor": {"available": True, "active": True, "updated_at": CREATED},
                    "nova-scheduler": {"available": True, "active": True, "updated_at": CREATED},
                }
            },
        }
        rows.append(_dumps(internal))
        ids = [*f["asset_id"], f"{self.region}/compute/internal"]
        # The plain list (any role) names the zones without their hosts, as Nova's index.
        brief = [
            _dumps({"zoneName": zone, "zoneState": {"available": True}, "hosts": None})
            for zone in [*f["zone"], "internal"]
        ]
        return Listing(ids=ids, rows=rows, brief=brief)

    def server_groups(self) -> Listing:
        f = self.frame("server_group")
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "policy": js(f["policy"]),
            "project": js(f["scope"]),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "policies": [slot("policy")],
            "members": [],
            "metadata": {},
            "project_id": slot("project"),
            "user_id": "residency",
        }
        return _listing(f, render(template, cols, len(f)))

    # block storage ----------------------------------------------------------------------

    def volumes(self, f: pd.DataFrame) -> Listing:
        n = len(f)
        ids = f["asset_id"].to_numpy(dtype=object)
        base = self.url("block-storage") + "/v3/" + pd.Series(f["scope"], dtype=object).astype(str)
        attached = f["parent_id"].notna().to_numpy()
        attachment = (
            '[{"id": '
            + pd.Series(js(ids))
            + ', "attachment_id": '
            + pd.Series(js(_salted(ids, "a77ac4ed")))
            + ', "volume_id": '
            + pd.Series(js(ids))
            + ', "server_id": '
            + pd.Series(js(f["parent_id"]))
            + ', "host_name": null, "device": "/dev/vdb", "attached_at": "'
            + CREATED_MICRO
            + '"}]'
        )
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "zone": js(f["zone"]),
            "type": js(f["volume_type"]),
            "type_id": js(f["volume_type"].map(self._type_ids())),
            "size": raw(f["size_gb"]),
            "encrypted": raw(f["encrypted"]),
            "tenant": js(f["scope"]),
            "status": js(np.where(attached, "in-use", "available")),
            "attachments": np.where(attached, attachment.to_numpy(dtype=object), "[]"),
            "links": _links_per_row(base, "volumes", ids),
            "host": js(f"{self.region}-storage@lvm#lvm"),
        }
        cols["host"] = np.full(n, cols["host"][0] if n else "null", dtype=object)
        template: dict[str, Any] = {
            "id": slot("id"),
            "status": slot("status"),
            "size": slot("size"),
            "availability_zone": slot("zone"),
            "created_at": CREATED_MICRO,
            "updated_at": CREATED_MICRO,
            "name": slot("name"),
            "description": None,
            "volume_type": slot("type"),
            "snapshot_id": None,
            "source_volid": None,
            "metadata": {},
            "links": slot("links"),
            "user_id": "residency",
            "bootable": "false",
            "encrypted": slot("encrypted"),
            "replication_status": None,
            "consistencygroup_id": None,
            "multiattach": False,
            "attachments": slot("attachments"),
            "migration_status": None,
            "group_id": None,
            "provider_id": None,
            "shared_targets": True,
            "service_uuid": None,
            "cluster_name": None,
            "volume_type_id": slot("type_id"),
            "consumes_quota": True,
            "os-vol-tenant-attr:tenant_id": slot("tenant"),
            "os-vol-mig-status-attr:migstat": None,
            "os-vol-mig-status-attr:name_id": None,
            "os-vol-host-attr:host": slot("host"),
        }
        brief = render({"id": slot("id"), "links": slot("links"), "name": slot("name")}, cols, n)
        return _listing(f, render(template, cols, n), brief=list(brief))

    def _type_ids(self) -> dict[str, str]:
        types = self.frame("volume_type")
        return dict(zip(types["name"], types["asset_id"], strict=True))

    def snapshots(self) -> Listing:
        f = self.frame("snapshot")
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "volume": js(f["parent_id"]),
            "project": js(f["scope"]),
        }
        template: dict[str, Any] = {
            "id": slot("id"),
            "created_at": CREATED_MICRO,
            "updated_at": CREATED_MICRO,
            "name": slot("name"),
            "description": None,
            "volume_id": slot("volume"),
            "status": "available",
            "size": 10,
            "metadata": {},
            "os-extended-snapshot-attributes:progress": "100%",
            "os-extended-snapshot-attributes:project_id": slot("project"),
        }
        return _listing(f, render(template, cols, len(f)))

    def backups(self) -> Listing:
        f = self.frame("backup")
        ids = f["asset_id"].to_numpy(dtype=object)
        base = self.url("block-storage") + "/v3/" + pd.Series(f["scope"], dtype=object).astype(str)
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "volume": js(f["parent_id"]),
            "project": js(f["scope"]),
            "zone": js(f["zone"]),
            "container": js(f["container"]),
            "links": _links_per_row(base, "backups", ids),
        }
        template = {
            "id": slot("id"),
            "status": "available",
            "size": 10,
            "object_count": 0,
            "availability_zone": slot("zone"),
            "container": slot("container"),
            "created_at": CREATED_MICRO,
            "updated_at": CREATED_MICRO,
            "name": slot("name"),
            "description": None,
            "fail_reason": None,
            "volume_id": slot("volume"),
            "links": slot("links"),
            "is_incremental": False,
            "has_dependent_backups": False,
            "snapshot_id": None,
            "data_timestamp": CREATED_MICRO,
            "metadata": {},
            "os-backup-project-attr:project_id": slot("project"),
            "user_id": "residency",
        }
        return _listing(f, render(template, cols, len(f)))

    def volume_types(self) -> Listing:
        f = self.frame("volume_type")
        rows = [
            _dumps(
                {
                    "id": type_id,
                    "name": name,
                    "is_public": public == "true",
                    "description": None,
                    "extra_specs": {},
                    "qos_specs_id": None,
                    "os-volume-type-access:is_public": public == "true",
                }
            )
            for type_id, name, public in zip(f["asset_id"], f["name"], f["is_public"], strict=True)
        ]
        return Listing(ids=list(f["asset_id"]), rows=rows)

    def volume_zones(self) -> Listing:
        f = self.frame("availability_zone")
        f = f[f["service"].eq("volume")]
        rows = [_dumps({"zoneName": z, "zoneState": {"available": True}}) for z in f["zone"]]
        return Listing(ids=list(f["asset_id"]), rows=rows)

    # image --------------------------------------------------------------------------------

    def images(self) -> Listing:
        f = self.frame("image")
        ids = pd.Series(f["asset_id"], dtype=object).astype(str)
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "owner": js(f["scope"]),
            "visibility": js(f["visibility"]),
            "self": js("/v2/images/" + ids),
            "file": js("/v2/images/" + ids + "/file"),
            "checksum": js(ids.str.replace("-", "", regex=False)),
        }
        template = {
            "name": slot("name"),
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": slot("visibility"),
            "size": 2147483648,
            "virtual_size": 2147483648,
            "status": "active",
            "checksum": slot("checksum"),
            "protected": False,
            "min_ram": 0,
            "min_disk": 0,
            "owner": slot("owner"),
            "os_hidden": False,
            "os_hash_algo": "sha512",
            "os_hash_value": None,
            "id": slot("id"),
            "created_at": CREATED,
            "updated_at": CREATED,
            "tags": [],
            "self": slot("self"),
            "file": slot("file"),
            "schema": "/v2/schemas/image",
            "stores": "file",
        }
        return _listing(f, render(template, cols, len(f)))

    # network ------------------------------------------------------------------------------

    def networks(self, subnets: pd.DataFrame) -> Listing:
        f = self.frame("network")
        by_network = _json_list(subnets, "parent_id", js(subnets["asset_id"]))
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "subnets": _lookup(f["asset_id"], by_network, "[]"),
            "zones": _zone_list(f["zone"]),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "admin_state_up": True,
            "mtu": 1500,
            "status": "ACTIVE",
            "subnets": slot("subnets"),
            "shared": False,
            "availability_zone_hints": [],
            "availability_zones": slot("zones"),
            "ipv4_address_scope": None,
            "ipv6_address_scope": None,
            "router:external": False,
            "qinq": False,
            "vlan_transparent": False,
            "description": "",
            "port_security_enabled": True,
            "dns_domain": "",
            "is_default": False,
            "l2_adjacency": True,
            "pvlan": False,
            "qos_policy_id": None,
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 1,
            "provider:network_type": "vxlan",
            "provider:physical_network": None,
            "provider:segmentation_id": 1000,
        }
        return _listing(f, render(template, cols, len(f)))

    def subnets(self, f: pd.DataFrame) -> Listing:
        cidr = f["cidr"].astype(str)
        net = cidr.str.rsplit(".", n=1).str[0]
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "network": js(f["parent_id"]),
            "cidr": js(cidr),
            "gateway": js(net + ".1"),
            "start": js(net + ".2"),
            "end": js(net + ".254"),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "network_id": slot("network"),
            "ip_version": 4,
            "subnetpool_id": None,
            "enable_dhcp": True,
            "ipv6_ra_mode": None,
            "ipv6_address_mode": None,
            "gateway_ip": slot("gateway"),
            "cidr": slot("cidr"),
            "allocation_pools": [{"start": slot("start"), "end": slot("end")}],
            "host_routes": [],
            "dns_nameservers": [],
            "dns_publish_fixed_ip": False,
            "segment_id": None,
            "description": "",
            "router:external": False,
            "service_types": [],
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 0,
        }
        return _listing(f, render(template, cols, len(f)))

    def routers(self) -> Listing:
        f = self.frame("router")
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "ip": js(f["external_ip"]),
            "public": js(np.full(len(f), _uuid("public-network", self.region), dtype=object)),
            "public_subnet": js(np.full(len(f), _uuid("public-subnet", self.region), object)),
            "zones": _zone_list(f["zone"]),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "admin_state_up": True,
            "status": "ACTIVE",
            "external_gateway_info": {
                "network_id": slot("public"),
                "external_fixed_ips": [
                    {"subnet_id": slot("public_subnet"), "ip_address": slot("ip")}
                ],
                "enable_snat": True,
            },
            "description": "",
            "availability_zones": slot("zones"),
            "availability_zone_hints": [],
            "distributed": False,
            "ha": False,
            "routes": [],
            "flavor_id": None,
            "service_type_id": None,
            "conntrack_helpers": [],
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 3,
        }
        return _listing(f, render(template, cols, len(f)))

    def floating_ips(self) -> Listing:
        f = self.frame("floating_ip")
        cols = {
            "id": js(f["asset_id"]),
            "project": js(f["scope"]),
            "address": js(f["address"]),
            "public": js(np.full(len(f), _uuid("public-network", self.region), dtype=object)),
        }
        template: dict[str, Any] = {
            "id": slot("id"),
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "floating_ip_address": slot("address"),
            "floating_network_id": slot("public"),
            "router_id": None,
            "port_id": None,
            "fixed_ip_address": None,
            "status": "DOWN",
            "description": "",
            "dns_domain": "",
            "dns_name": "",
            "port_details": None,
            "port_forwardings": [],
            "qos_policy_id": None,
            "qos_network_policy_id": None,
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 0,
        }
        return _listing(f, render(template, cols, len(f)))

    def _port_addresses(self, ports: pd.DataFrame) -> Column:
        """A server's port carries the server's fixed address; other ports get one of their
        own in 10.250.0.0/16."""
        servers = self.frame("server").set_index("asset_id")["addresses"]
        found = ports["parent_id"].map(servers).astype(object)
        position = pd.Series(np.arange(len(ports)))
        own = (
            "10.250."
            + ((position // 250) % 250).astype(str)
            + "."
            + (position % 250 + 2).astype(str)
        )
        return found.where(found.notna(), own.to_numpy(dtype=object)).to_numpy(dtype=object)

    def ports(self, networks: pd.DataFrame) -> Listing:
        f = self.frame("port")
        n = len(f)
        pos = np.arange(n, dtype=np.int64)
        net_ids = networks["asset_id"].to_numpy(dtype=object)
        chosen = net_ids[pos % len(net_ids)] if len(net_ids) else np.full(n, None, dtype=object)
        owner = f["device_owner"].astype(str)
        compute = owner.str.startswith("compute:").to_numpy()
        cols = {
            "id": js(f["asset_id"]),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "network": js(chosen),
            "device": js(f["parent_id"]),
            "owner": js(owner),
            "mac": js(_macs(pos)),
            "ip": js(self._port_addresses(f)),
            "subnet": js(_salted(chosen, "5b7e0c11") if len(net_ids) else chosen),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "network_id": slot("network"),
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "mac_address": slot("mac"),
            "admin_state_up": True,
            "status": "ACTIVE",
            "device_id": slot("device"),
            "device_owner": slot("owner"),
            "fixed_ips": [{"subnet_id": slot("subnet"), "ip_address": slot("ip")}],
            "allowed_address_pairs": [],
            "extra_dhcp_opts": [],
            "security_groups": [],
            "description": "",
            "binding:vnic_type": "normal",
            "port_security_enabled": True,
            "dns_name": "",
            "dns_domain": "",
            "dns_assignment": [],
            "data_plane_status": None,
            "ip_allocation": "immediate",
            "propagate_uplink_status": False,
            "resource_request": None,
            "hardware_offload_type": "",
            "trusted": None,
            "qos_policy_id": None,
            "qos_network_policy_id": None,
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 1,
        }
        heads = render(template, cols, n)
        heads = np.array([h[:-1] for h in heads], dtype=object) if n else heads
        host = f["host"].where(compute, "")
        admin_text = _dumps(
            {
                "binding:host_id": slot("host"),
                "binding:profile": {},
                "binding:vif_type": slot("vif"),
                "binding:vif_details": {},
            }
        )
        admin = render_fragment(
            admin_text,
            {"host": js(host), "vif": js(np.where(compute, "ovs", "unbound"))},
            n,
        )
        return _listing(f, heads, admin=list(admin))

    def security_groups(self) -> Listing:
        f = self.frame("security_group")
        ids = f["asset_id"].to_numpy(dtype=object)
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "rule4": js(_salted(ids, "e9e55e44")),
            "rule6": js(_salted(ids, "e9e55e66")),
        }

        def rule(rule_id: str, ethertype: str) -> dict[str, Any]:
            return {
                "id": slot(rule_id),
                "project_id": slot("project"),
                "security_group_id": slot("id"),
                "ethertype": ethertype,
                "direction": "egress",
                "protocol": None,
                "port_range_min": None,
                "port_range_max": None,
                "remote_ip_prefix": None,
                "remote_address_group_id": None,
                "normalized_cidr": None,
                "remote_group_id": None,
                "standard_attr_id": 1,
                "belongs_to_default_sg": False,
                "description": "",
                "tags": [],
                "created_at": CREATED,
                "updated_at": CREATED,
                "revision_number": 0,
                "tenant_id": slot("project"),
            }

        template = {
            "id": slot("id"),
            "name": slot("name"),
            "stateful": True,
            "tenant_id": slot("project"),
            "project_id": slot("project"),
            "description": "",
            "shared": False,
            "security_group_rules": [rule("rule4", "IPv4"), rule("rule6", "IPv6")],
            "tags": [],
            "created_at": CREATED,
            "updated_at": CREATED,
            "revision_number": 1,
        }
        return _listing(f, render(template, cols, len(f)))

    def vpn_connections(self) -> Listing:
        f = self.frame("vpn_connection")
        ids = f["asset_id"].to_numpy(dtype=object)
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "peer": js(f["peer_address"]) if len(f) else js(ids),
            "service": js(_salted(ids, "5e7c1ce0")),
            "ike": js(_salted(ids, "1ce90111")),
            "ipsec": js(_salted(ids, "195ec011")),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "status": "ACTIVE",
            "psk": "<redacted>",
            "initiator": "bi-directional",
            "admin_state_up": True,
            "project_id": slot("project"),
            "tenant_id": slot("project"),
            "auth_mode": "psk",
            "peer_cidrs": [],
            "mtu": 1500,
            "peer_ep_group_id": None,
            "ikepolicy_id": slot("ike"),
            "vpnservice_id": slot("service"),
            "dpd": {"action": "hold", "interval": 30, "timeout": 120},
            "route_mode": "static",
            "ipsecpolicy_id": slot("ipsec"),
            "local_ep_group_id": None,
            "peer_address": slot("peer"),
            "peer_id": slot("peer"),
            "description": "",
        }
        return _listing(f, render(template, cols, len(f)))

    # load balancers ----------------------------------------------------------------------

    def load_balancers(self) -> tuple[Listing, Listing]:
        f = self.frame("load_balancer")
        ids = f["asset_id"].to_numpy(dtype=object)
        protocols = f["protocols"].fillna("").astype(str).str.split(",")
        listeners = f.assign(protocol=protocols).explode("protocol")
        listeners = listeners[listeners["protocol"].ne("")].reset_index(drop=True)
        listener_ids = np.array(
            [
                _uuid("listener", a, p)
                for a, p in zip(listeners["asset_id"], listeners["protocol"], strict=True)
            ],
            dtype=object,
        )
        item = '{"id": ' + pd.Series(js(listener_ids)) + "}"
        by_lb = _json_list(listeners, "asset_id", item.to_numpy(dtype=object))
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "zone": js(f["zone"]),
            "vip": js(f["vip_address"]),
            "listeners": _lookup(f["asset_id"], by_lb, "[]"),
            "port": js(_salted(ids, "f1b0a7e5")),
        }
        template = {
            "id": slot("id"),
            "name": slot("name"),
            "description": "",
            "admin_state_up": True,
            "project_id": slot("project"),
            "provisioning_status": "ACTIVE",
            "operating_status": "ONLINE",
            "flavor_id": None,
            "vip_subnet_id": None,
            "vip_network_id": None,
            "vip_port_id": slot("port"),
            "vip_address": slot("vip"),
            "vip_qos_policy_id": None,
            "vip_vnic_type": "normal",
            "additional_vips": [],
            "listeners": slot("listeners"),
            "pools": [],
            "provider": "amphora",
            "availability_zone": slot("zone"),
            "tags": [],
            "created_at": "2024-03-01T09:00:00",
            "updated_at": "2024-03-01T09:00:00",
        }
        lbs = _listing(f, render(template, cols, len(f)))
        ports = {"HTTP": 80, "HTTPS": 443, "TCP": 443, "UDP": 53}
        lcols = {
            "id": js(listener_ids),
            "name": js(listeners["name"].astype(str) + "-" + listeners["protocol"].str.lower()),
            "project": js(listeners["scope"]),
            "protocol": js(listeners["protocol"]),
            "port": raw(listeners["protocol"].map(ports).fillna(8080).astype(int)),
            "lb": js(listeners["asset_id"]),
        }
        ltemplate = {
            "id": slot("id"),
            "name": slot("name"),
            "description": "",
            "admin_state_up": True,
            "project_id": slot("project"),
            "protocol": slot("protocol"),
            "protocol_port": slot("port"),
            "provisioning_status": "ACTIVE",
            "operating_status": "ONLINE",
            "default_tls_container_ref": None,
            "loadbalancers": [{"id": slot("lb")}],
            "insert_headers": {},
            "default_pool_id": None,
            "sni_container_refs": [],
            "l7policies": [],
            "timeout_client_data": 50000,
            "timeout_member_connect": 5000,
            "timeout_member_data": 50000,
            "timeout_tcp_inspect": 0,
            "tags": [],
            "client_ca_tls_container_ref": None,
            "client_authentication": "NONE",
            "client_crl_container_ref": None,
            "allowed_cidrs": None,
            "tls_ciphers": None,
            "tls_versions": None,
            "alpn_protocols": None,
            "hsts_include_subdomains": False,
            "hsts_max_age": None,
            "hsts_preload": False,
            "connection_limit": -1,
            "created_at": "2024-03-01T09:00:00",
            "updated_at": "2024-03-01T09:00:00",
        }
        listing = _listing(listeners, render(ltemplate, lcols, len(listeners)), ids=listener_ids)
        return lbs, listing

    # DNS, key manager, object store ------------------------------------------------------------

    def zones(self) -> Listing:
        f = self.frame("dns_zone")
        ids = pd.Series(f["asset_id"], dtype=object).astype(str)
        masters = f["masters"].fillna("").astype(str)
        master_list = masters.map(lambda m: _dumps([x for x in m.split(",") if x]))
        cols = {
            "id": js(ids),
            "name": js(f["name"]),
            "project": js(f["scope"]),
            "type": js(f["zone_type"]),
            "masters": raw(master_list),
            "email": js("hostmaster@" + f["name"].astype(str).str.rstrip(".")),
            "self": js(self.url("dns") + "/v2/zones/" + ids),
        }
        template = {
            "id": slot("id"),
            "pool_id": _uuid("dns-pool", self.region),
            "project_id": slot("project"),
            "name": slot("name"),
            "email": slot("email"),
            "ttl": 3600,
            "serial": 1709283600,
            "status": "ACTIVE",
            "action": "NONE",
            "description": None,
            "masters": slot("masters"),
            "type": slot("type"),
            "transferred_at": None,
            "version": 1,
            "created_at": CREATED_MICRO,
            "updated_at": None,
            "attributes": {},
            "shared": False,
            "links": {"self": slot("self")},
        }
        return _listing(f, render(template, cols, len(f)))

    def secrets(self) -> Listing:
        f = self.frame("secret")
        ids = pd.Series(f["asset_id"], dtype=object).astype(str)
        cols = {
            "ref": js(self.url("key-manager") + "/v1/secrets/" + ids),
            "name": js(f["name"]),
            "type": js(f["secret_type"]),
            "algorithm": js(f["algorithm"]),
        }
        template = {
            "algorithm": slot("algorithm"),
            "bit_length": 256,
            "content_types": {"default": "application/octet-stream"},
            "created": CREATED_MICRO,
            "creator_id": "residency",
            "expiration": None,
            "mode": "cbc",
            "name": slot("name"),
            "secret_ref": slot("ref"),
            "secret_type": slot("type"),
            "status": "ACTIVE",
            "updated": CREATED_MICRO,
        }
        return _listing(f, render(template, cols, len(f)), scoped=False)

    def containers(self) -> Listing:
        f = self.frame("secret_container")
        ids = pd.Series(f["asset_id"], dtype=object).astype(str)
        cols = {
            "ref": js(self.url("key-manager") + "/v1/containers/" + ids),
            "name": js(f["name"]),
            "type": js(f["container_type"]),
        }
        template = {
            "consumers": [],
            "container_ref": slot("ref"),
            "created": CREATED_MICRO,
            "creator_id": "residency",
            "name": slot("name"),
            "secret_refs": [],
            "status": "ACTIVE",
            "type": slot("type"),
            "updated": CREATED_MICRO,
        }
        return _listing(f, render(template, cols, len(f)), scoped=False)

    def buckets(self) -> tuple[Listing, dict[str, tuple[str, str | None]]]:
        f = self.frame("object_container").sort_values("name", kind="stable")
        cols = {"name": js(f["name"])}
        template = {
            "name": slot("name"),
            "count": 0,
            "bytes": 0,
            "last_modified": "2024-03-01T09:00:00.000000",
        }
        listing = _listing(f, render(template, cols, len(f)), ids=f["name"], scoped=False)
        heads = {
            str(name): (str(policy), None if pd.isna(sync) else str(sync))
            for name, policy, sync in zip(f["name"], f["storage_policy"], f["sync_to"], strict=True)
        }
        return listing, heads


def render_fragment(text: str, columns: Mapping[str, Column], n: int) -> Column:
    """Members of ``text`` (a JSON object) as a ``, "k": v`` fragment per row."""
    inner = text[1:-1]
    return np.full(n, "", dtype=object) if not inner else _fill(", " + inner, columns, n)


def _fill(text: str, columns: Mapping[str, Column], n: int) -> Column:
    pieces = _SLOT.split(text)
    out: Column = np.full(n, pieces[0], dtype=object)
    for i in range(1, len(pieces), 2):
        out = out + columns[pieces[i]] + pieces[i + 1]
    return out


def _member(sorted_positions: npt.NDArray[np.int64], i: int) -> bool:
    k = int(np.searchsorted(sorted_positions, i))
    return k < len(sorted_positions) and int(sorted_positions[k]) == i


def _links_per_row(base: pd.Series, path: str, ids: Column) -> Column:
    """Cinder ``links`` under each object's own project URL."""
    ids_s = pd.Series(ids, dtype=object).astype(str)
    self_ = pd.Series(js(base + "/" + path + "/" + ids_s))
    bookmark = pd.Series(js(base.str.replace("/v3/", "/", regex=False) + "/" + path + "/" + ids_s))
    out = '[{"rel": "self", "href": ' + self_ + '}, {"rel": "bookmark", "href": ' + bookmark + "}]"
    return out.to_numpy(dtype=object)


# -- the API ----------------------------------------------------------------------------------

# (service, path under the version root) -> (listing key, estate kind, list key, paging)
# service, path under the version root ("[/detail]": with and without), listing, estate
# kind, list key, paging
_ROUTE_TABLE: Final = """
compute servers[/detail] server server servers nova
compute os-availability-zone[/detail] az:compute availability_zone availabilityZoneInfo none
compute os-server-groups server_group server_group server_groups offset
block-storage volumes[/detail] volume volume volumes cinder
block-storage snapshots[/detail] snapshot snapshot snapshots cinder
block-storage backups[/detail] backup backup backups cinder
block-storage types volume_type volume_type volume_types none
block-storage os-availability-zone az:volume availability_zone availabilityZoneInfo none
image images image image images glance
network networks network network networks neutron
network subnets subnet subnet subnets neutron
network routers router router routers neutron
network floatingips floating_ip floating_ip floatingips neutron
network ports port port ports neutron
network security-groups security_group security_group security_groups neutron
network vpn/ipsec-site-connections vpn_connection vpn_connection ipsec_site_connections neutron
load-balancer lbaas/loadbalancers load_balancer load_balancer loadbalancers octavia
load-balancer lbaas/listeners listener load_balancer listeners octavia
dns zones dns_zone dns_zone zones designate
key-manager secrets secret secret secrets barbican
key-manager containers secret_container secret_container containers barbican
"""


def _routes() -> dict[tuple[str, str], tuple[str, str, str, str]]:
    routes = {}
    for line in _ROUTE_TABLE.split("\n"):
        if not line:
            continue
        service, path, key, kind, list_key, paging = line.split()
        plain = path.removesuffix("[/detail]")
        for variant in {plain, path.replace("[/detail]", "/detail")}:
            routes[service, variant] = (key, kind, list_key, paging)
    return routes


_ROUTES: Final = _routes()
# The version root each service's resources live under (after /<region>/<segment>/).
_VERSION: Final[dict[str, tuple[str, ...]]] = {
    "compute": ("v2.1",),
    "block-storage": ("v3",),
    "image": ("v2",),
    "network": ("v2.0",),
    "load-balancer": ("v2", "v2.0"),
    "dns": ("v2",),
    "key-manager": ("v1",),
}
# Per kind, the policy a real service names in its 403.
_POLICY: Final[dict[str, str]] = {
    "server": "os_compute_api:servers:detail",
    "availability_zone": "os_compute_api:os-availability-zone:detail",
    "server_group": "os_compute_api:os-server-groups:index",
    "volume": "volume:get_all",
    "snapshot": "volume:get_all_snapshots",
    "backup": "backup:get_all",
    "volume_type": "volume_extension:types_manage",
    "image": "get_images",
    "project": "identity:list_projects",
    "domain": "identity:list_domains",
    "identity_provider": "identity:list_identity_providers",
    "service_provider": "identity:list_service_providers",
}
_NOT_FOUND_NAME: Final[dict[str, str]] = {
    "server": "Instance",
    "volume": "Volume",
    "snapshot": "Snapshot",
    "backup": "Backup",
    "network": "Network",
    "subnet": "Subnet",
    "router": "Router",
    "floating_ip": "FloatingIP",
    "port": "Port",
    "security_group": "SecurityGroup",
}
_UNAUTHORIZED: Final = "The request you have made requires authentication."


@dataclass
class _Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    base: str

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true", "yes", "on")


class _BadRequestError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class OpenStackAPI:
    """The request handling of one sample cloud, independent of HTTP transport."""

    def __init__(
        self,
        source: SampleSource,
        users: Mapping[str, User],
        *,
        page_size: int | None = None,
        fail: Mapping[tuple[str | None, str], Failure] | None = None,
    ) -> None:
        self.source = source
        self.users = dict(users)
        self.page_size = page_size
        self.fail = dict(fail or {})
        self.base_url = ""
        self.identity_region = source.identity_region or next(iter(source.regions))
        self.requests: list[tuple[str, str, int]] = []
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self.listings: dict[tuple[str, str], Listing] = {}
        self.containers: dict[str, dict[str, tuple[str, str | None]]] = {}
        projects = source.frames.get("project")
        self.projects: dict[str, str] = (
            {}
            if projects is None
            else dict(zip(projects["asset_id"], projects["name"], strict=True))
        )

    # -- building ----------------------------------------------------------------------------

    def build(self, base_url: str) -> None:
        """Render every region's objects, with links under ``base_url``."""
        self.base_url = base_url
        for region in self.source.regions:
            r = _Renderer(self.source, base_url, region)
            volumes = r.frame("volume")
            subnets = r.frame("subnet")
            networks = r.frame("network")
            lbs, listeners = r.load_balancers()
            buckets, heads = r.buckets()
            built = {
                "server": r.servers(volumes),
                "az:compute": r.compute_zones(),
                "server_group": r.server_groups(),
                "volume": r.volumes(volumes),
                "snapshot": r.snapshots(),
                "backup": r.backups(),
                "volume_type": r.volume_types(),
                "az:volume": r.volume_zones(),
                "image": r.images(),
                "network": r.networks(subnets),
                "subnet": r.subnets(subnets),
                "router": r.routers(),
                "floating_ip": r.floating_ips(),
                "port": r.ports(networks),
                "security_group": r.security_groups(),
                "vpn_connection": r.vpn_connections(),
                "load_balancer": lbs,
                "listener": listeners,
                "dns_zone": r.zones(),
                "secret": r.secrets(),
                "secret_container": r.containers(),
                "object_container": buckets,
            }
            for key, listing in built.items():
                self.listings[region, key] = listing
            self.containers[region] = heads

    # -- catalog and tokens ----------------------------------------------------------------

    def services(self, region: str) -> list[str]:
        """The service types in ``region``'s catalog."""
        absent = {
            SERVICE_OF[kind]
            for (where, kind), (status, _) in self.source.faults.items()
            if where == region and status == "not_found" and SERVICE_OF[kind] != "identity"
        }
        # One Keystone for the cloud, registered in every region (as real multi-region
        # clouds do, so that a client in any region finds it).
        return ["identity", *(s for s in SEGMENT if s not in absent)]

    def endpoint(self, service: str, region: str, project_id: str) -> str:
        if service == "identity":
            return f"{self.base_url}/identity/v3"
        url = f"{self.base_url}/{region}/{SEGMENT[service]}"
        if service == "compute":
            return url + "/v2.1"
        if service == "block-storage":
            return f"{url}/v3/{project_id}"
        if service == "object-store":
            return f"{url}/v1/AUTH_{self.source.account}"
        return url

    def catalog(self, project_id: str) -> list[dict[str, Any]]:
        entries: dict[str, list[dict[str, Any]]] = {}
        for region in self.source.regions:
            for service in self.services(region):
                url = self.endpoint(service, region, project_id)
                for interface in ("public", "internal"):
                    entries.setdefault(service, []).append(
                        {
                            "id": _uuid("endpoint", service, region, interface).replace("-", ""),
                            "interface": interface,
                            "region_id": region,
                            "url": url,
                            "region": region,
                        }
                    )
        return [
            {
                "endpoints": endpoints,
                "id": _uuid("service", service).replace("-", ""),
                "type": service,
                "name": SERVICE_NAME[service],
            }
            for service, endpoints in entries.items()
        ]

    def _authenticate(self, request: _Request, body: bytes) -> Response:
        unauthorized = _json(
            401, {"error": {"code": 401, "message": _UNAUTHORIZED, "title": "Unauthorized"}}
        )
        try:
            auth = json.loads(body or b"{}")["auth"]
            password = auth["identity"]["password"]["user"]
        except (ValueError, KeyError, TypeError):
            return _json(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": "Invalid input for field 'identity': 'password' is required",
                        "title": "Bad Request",
                    }
                },
            )
        name = password.get("name") or password.get("id")
        user = self.users.get(str(name))
        given = str(password.get("password", ""))
        if user is None or not hmac.compare_digest(given.encode(), user.password.encode()):
            return unauthorized
        scope = (auth.get("scope") or {}).get("project") or {}
        project_id = scope.get("id")
        if project_id is None and scope.get("name") is not None:
            project_id = next((i for i, n in self.projects.items() if n == scope["name"]), None)
        if project_id is None and not scope:
            project_id = user.project_id or self.source.account
        allowed = user.project_id is None or project_id == user.project_id
        if project_id not in self.projects or not allowed:
            return unauthorized
        token_id = "gAAAAA" + secrets.token_urlsafe(48)
        user_id = _uuid("user", str(name)).replace("-", "")
        token = _Token(user_id, str(name), project_id, user.roles)
        with self._lock:
            self._tokens[token_id] = token
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        domain = {"id": "default", "name": "Default"}
        payload = {
            "token": {
                "methods": ["password"],
                "user": {
                    "domain": domain,
                    "id": user_id,
                    "name": name,
                    "password_expires_at": None,
                },
                "audit_ids": [secrets.token_urlsafe(16)],
                "expires_at": (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "project": {"domain": domain, "id": project_id, "name": self.projects[project_id]},
                "is_domain": False,
                "roles": [{"id": _uuid("role", r).replace("-", ""), "name": r} for r in user.roles],
                "catalog": self.catalog(project_id),
            }
        }
        return _json(201, payload, (("X-Subject-Token", token_id), ("Vary", "X-Auth-Token")))

    def token(self, headers: Mapping[str, str]) -> _Token | None:
        value = headers.get("X-Auth-Token") or ""
        with self._lock:
            return self._tokens.get(value)

    # -- dispatch ----------------------------------------------------------------------------

    def respond(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        split = urlsplit(target)
        request = _Request(
            method,
            split.path,
            parse_qsl(split.query, keep_blank_values=True),
            headers,
            self.base_url,
        )
        try:
            response = self._dispatch(request, body)
        except _BadRequestError as bad:
            response = bad.response
        with self._lock:
            self.requests.append(
                (method, split.path + ("?" + split.query if split.query else ""), response.status)
            )
        return response

    def _dispatch(self, request: _Request, body: bytes) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if parts and parts[0] == "identity":
            return self._identity(request, parts[1:], body)
        if len(parts) < 2 or parts[0] not in self.source.regions:
            return _html(404, "Not Found", "The resource could not be found.")
        region = parts[0]
        service = next((s for s, seg in SEGMENT.items() if seg == parts[1]), None)
        if service is None or service not in self.services(region):
            return _html(404, "Not Found", "The resource could not be found.")
        rest = parts[2:]
        if service == "object-store":
            return self._swift(request, region, rest)
        if not rest or rest == ["versions"] or (len(rest) == 1 and rest[0] in _VERSION[service]):
            return self._versions(request, region, service, rest)
        if rest[0] not in _VERSION[service]:
            return self._not_found(service, None, "")
        token = self.token(request.headers)
        if token is None:
            return self._unauthorized(service)
        rest = rest[1:]
        if service == "block-storage" and rest:
            rest = rest[1:]  # the project id in Cinder's URL
        micro = self._microversion(request, service)
        if isinstance(micro, Response):
            return micro
        extra = self._version_headers(service, micro)
        response = self._resource(request, token, region, service, rest, micro)
        return Response(
            response.status, response.content_type, response.body, response.headers + extra
        )

    # -- versions ----------------------------------------------------------------------------

    def _versions(self, request: _Request, region: str, service: str, rest: list[str]) -> Response:
        url = f"{self.base_url}/{region}/{SEGMENT[service]}"
        if service == "compute":
            v21 = {
                "id": "v2.1",
                "status": "CURRENT",
                "version": f"{NOVA_MAX[0]}.{NOVA_MAX[1]}",
                "min_version": "2.1",
                "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": f"{url}/v2.1/"}],
            }
            if rest:
                v21 = {
                    **v21,
                    "links": [
                        {"rel": "self", "href": f"{url}/v2.1/"},
                        {
                            "rel": "describedby",
                            "type": "text/html",
                            "href": "http://docs.openstack.org/",
                        },
                    ],
                    "media-types": [
                        {
                            "base": "application/json",
                            "type": "application/vnd.openstack.compute+json;version=2.1",
                        }
                    ],
                }
                return _json(200, {"version": v21})
            v20 = {
                **v21,
                "id": "v2.0",
                "status": "DEPRECATED",
                "version": "",
                "min_version": "",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{"rel": "self", "href": f"{url}/v2/"}],
            }
            return _json(200, {"versions": [v20, v21]})
        if service == "block-storage":
            v3 = {
                "id": "v3.0",
                "status": "CURRENT",
                "version": f"{CINDER_MAX[0]}.{CINDER_MAX[1]}",
                "min_version": "3.0",
                "updated": "2023-08-31T00:00:00Z",
                "links": [
                    {
                        "rel": "describedby",
                        "type": "text/html",
                        "href": "https://docs.openstack.org/",
                    },
                    {"rel": "self", "href": f"{url}/v3/"},
                ],
                "media-types": [
                    {
                        "base": "application/json",
                        "type": "application/vnd.openstack.volume+json;version=3",
                    }
                ],
            }
            headers = (("OpenStack-API-Version", "volume 3.0"), ("Vary", "OpenStack-API-Version"))
            return _json(300 if not rest else 200, {"versions": [v3]}, headers)
        if service == "image":
            versions = [
                {
                    "id": f"v2.{m}",
                    "status": "CURRENT" if m == 17 else "SUPPORTED",
                    "links": [{"rel": "self", "href": f"{url}/v2/"}],
                }
                for m in range(17, -1, -1)
            ]
            return _json(300 if not rest else 200, {"versions": versions})
        if service == "network":
            if rest:
                resources = [
                    {
                        "name": key[:-1],
                        "collection": key,
                        "links": [{"rel": "self", "href": f"{url}/v2.0/{key}"}],
                    }
                    for key in ("networks", "subnets", "ports", "routers", "floatingips")
                ]
                return _json(200, {"resources": resources})
            links = [{"rel": "self", "href": f"{url}/v2.0/"}]
            return _json(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": links}]})
        if service == "load-balancer":
            version = {
                "id": "v2.0",
                "status": "CURRENT",
                "updated": "2023-06-01T00:00:00Z",
                "links": [{"href": f"{url}/v2", "rel": "self"}],
            }
            return _json(200, {"versions": [version]} if not rest else {"version": version})
        if service == "dns":
            version = {
                "id": "v2",
                "status": "CURRENT",
                "updated": "2022-06-29T00:00:00Z",
                "links": [{"href": f"{url}/v2", "rel": "self"}],
            }
            return _json(200, {"versions": [version]} if not rest else {"version": version})
        version = {
            "id": "v1",
            "status": "stable",
            "updated": "2015-04-28T00:00:00Z",
            "media-types": [
                {
                    "base": "application/json",
                    "type": "application/vnd.openstack.key-manager-v1+json",
                }
            ],
            "links": [
                {"rel": "self", "href": f"{url}/v1/"},
                {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            ],
        }
        if rest:
            return _json(200, {"version": version})
        return _json(300, {"versions": {"values": [version]}})

    def _microversion(self, request: _Request, service: str) -> tuple[int, int] | Response:
        if service not in ("compute", "block-storage"):
            return (0, 0)
        name, low, high = (
            ("compute", (2, 1), NOVA_MAX)
            if service == "compute"
            else ("volume", (3, 0), CINDER_MAX)
        )
        text = None
        header = request.headers.get("OpenStack-API-Version") or ""
        words = header.replace(",", " ").split()
        if len(words) >= 2 and words[0] == name:
            text = words[1]
        elif service == "compute":
            text = request.headers.get("X-OpenStack-Nova-API-Version")
        if not text:
            return low
        if text == "latest":
            return high
        try:
            major, minor = (int(x) for x in text.split("."))
        except ValueError:
            return _json(
                400,
                {
                    "badRequest": {
                        "code": 400,
                        "message": f"API Version String {text} is of invalid format. "
                        "Must be of format MajorNum.MinorNum.",
                    }
                },
            )
        if not low <= (major, minor) <= high:
            message = (
                f"Version {major}.{minor} is not supported by the API. Minimum is "
                f"{low[0]}.{low[1]} and maximum is {high[0]}.{high[1]}."
            )
            return _json(
                406,
                {"computeFault": {"code": 406, "message": message}},
                self._version_headers(service, (major, minor)),
            )
        return (major, minor)

    @staticmethod
    def _version_headers(service: str, micro: tuple[int, int]) -> tuple[tuple[str, str], ...]:
        text = f"{micro[0]}.{micro[1]}"
        if service == "compute":
            return (
                ("OpenStack-API-Version", f"compute {text}"),
                ("X-OpenStack-Nova-API-Version", text),
                ("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
            )
        if service == "block-storage":
            return (("OpenStack-API-Version", f"volume {text}"), ("Vary", "OpenStack-API-Version"))
        return ()

    # -- errors ------------------------------------------------------------------------------

    def _unauthorized(self, service: str) -> Response:
        www = (("WWW-Authenticate", f'Keystone uri="{self.base_url}/identity/v3"'),)
        if service == "image":
            page = _html(
                401,
                "Unauthorized",
                "This server could not verify that you are authorized to access the document "
                "you requested. Either you supplied the wrong credentials (e.g., bad password), "
                "or your browser does not understand how to supply the credentials required.",
            )
            return Response(401, page.content_type, page.body, www)
        if service == "object-store":
            body = (
                "<html><h1>Unauthorized</h1><p>This server could not verify that you are "
                "authorized to access the document you requested.</p></html>"
            )
            return Response(401, HTML, body.encode(), www)
        error = {"code": 401, "title": "Unauthorized", "message": _UNAUTHORIZED}
        return _json(401, {"error": error}, www)

    def _forbidden(self, service: str, kind: str) -> Response:
        policy = _POLICY.get(kind, f"{kind}:get_all")
        message = f"Policy doesn't allow {policy} to be performed."
        if service in ("compute", "block-storage"):
            return _json(403, {"forbidden": {"code": 403, "message": message}})
        if service == "image":
            return _html(403, "Forbidden", f"You are not authorized to complete {policy} action.")
        if service == "network":
            return _json(
                403, {"NeutronError": {"type": "HTTPForbidden", "message": message, "detail": ""}}
            )
        if service == "load-balancer":
            return _json(
                403,
                {
                    "faultcode": "Client",
                    "faultstring": "Policy does not allow this request to be performed.",
                    "debuginfo": None,
                },
            )
        if service == "dns":
            return _json(
                403,
                {
                    "code": 403,
                    "type": "forbidden",
                    "message": "Forbidden",
                    "request_id": "req-" + str(uuid.uuid4()),
                },
            )
        if service == "key-manager":
            what = "Secret(s)" if kind == "secret" else "Containers(s)"
            description = (
                f"{what} retrieval attempt not allowed - please review your user/project privileges"
            )
            return _json(403, {"code": 403, "title": "Forbidden", "description": description})
        if service == "object-store":
            body = "<html><h1>Forbidden</h1><p>Access was denied to this resource.</p></html>"
            return Response(403, HTML, body.encode())
        message = f"You are not authorized to perform the requested action: {policy}."
        return _json(403, {"error": {"code": 403, "message": message, "title": "Forbidden"}})

    def _not_found(self, service: str, kind: str | None, object_id: str) -> Response:
        name = _NOT_FOUND_NAME.get(kind or "")
        if service in ("compute", "block-storage"):
            message = f"{name} {object_id} could not be found." if name else "Not Found"
            return _json(404, {"itemNotFound": {"code": 404, "message": message}})
        if service == "network":
            if name:
                error = {
                    "type": f"{name}NotFound",
                    "message": f"{name} {object_id} could not be found.",
                    "detail": "",
                }
            else:
                error = {
                    "type": "HTTPNotFound",
                    "message": "The resource could not be found.",
                    "detail": "",
                }
            return _json(404, {"NeutronError": error})
        if service == "image":
            if kind == "image":
                return _html(404, "Not Found", f"No image found with ID {object_id}")
            return _html(404, "Not Found", "The resource could not be found.")
        if service == "identity":
            message = (
                f"Could not find {kind}: {object_id}."
                if kind
                else "The resource could not be found."
            )
            return _json(404, {"error": {"code": 404, "message": message, "title": "Not Found"}})
        if service == "load-balancer":
            return _json(
                404, {"faultcode": "Client", "faultstring": "Not Found", "debuginfo": None}
            )
        if service == "dns":
            return _json(404, {"code": 404, "type": "not_found", "message": "Not Found"})
        if service == "key-manager":
            return _json(404, {"code": 404, "title": "Not Found", "description": "Not Found"})
        return Response(
            404, HTML, b"<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"
        )

    def _fault(self, region: str | None, kind: str, service: str) -> Response | None:
        """The estate's forbidden fault, or an injected failure, for (region, kind)."""
        status = self.source.faults.get((region, kind), ("ok", ""))[0]
        if status == "forbidden":
            return self._forbidden(service, kind)
        if status == "not_found" and service == "identity":
            return self._not_found("identity", None, "")
        failure = self.fail.get((region, kind))
        if failure is not None:
            with self._lock:
                failing = failure.times is None or failure.served < failure.times
                if failing:
                    failure.served += 1
            if failing:
                body = (
                    f"<html><body><h1>{failure.status} Service Unavailable</h1>\n"
                    "No server is available to handle this request.\n</body></html>\n"
                )
                return Response(failure.status, "text/html", body.encode())
        return None

    # -- resources ---------------------------------------------------------------------------

    def _resource(
        self,
        request: _Request,
        token: _Token,
        region: str,
        service: str,
        rest: list[str],
        micro: tuple[int, int],
    ) -> Response:
        path = "/".join(rest)
        route = _ROUTES.get((service, path))
        object_id = None
        if route is None and len(rest) >= 2:
            route = _ROUTES.get((service, "/".join(rest[:-1])))
            object_id = rest[-1]
            if route is not None and route[3] == "none":
                route = None
        if route is None and service == "compute" and rest[:1] == ["flavors"]:
            return self._flavors(region, rest[1:])
        if route is None:
            return self._not_found(service, None, "")
        key, kind, list_key, paging = route
        fault = self._fault(region, kind, service)
        if fault is not None:
            return fault
        listing = self.listings[region, key]
        admin = token.is_admin
        mode = "new" if micro >= (2, 47) else "old"
        if object_id is not None:
            i = listing.index.get(object_id)
            visible = listing.positions(None if admin else token.project_id)
            if i is None or (visible is not None and not _member(visible, i)):
                return self._not_found(service, kind, object_id)
            singular = {"ipsec_site_connections": "ipsec_site_connection", "policies": "policy"}
            name = singular.get(list_key, list_key[:-1])
            text = '{"' + name + '": ' + listing.item(i, admin, mode) + "}"
            return Response(200, JSON, text.encode())
        if kind == "availability_zone" and path.endswith("detail") and not admin:
            return self._forbidden(service, kind)  # Nova's zone detail (hosts) is admin only
        project = self._visible_project(request, token, service)
        if project is Ellipsis:
            return self._forbidden(service, kind)
        brief = service in ("compute", "block-storage") and not path.endswith("detail")
        return self._page(request, listing, list_key, paging, project, admin, mode, brief, kind)

    def _visible_project(self, request: _Request, token: _Token, service: str) -> Any:
        """Whose objects a list shows: None for all, a project id, or ``...`` for 403."""
        if service in ("compute", "block-storage"):
            everyone = request.flag("all_tenants") or request.flag("all_projects")
            if everyone and not token.is_admin and service == "compute":
                return ...
            return None if everyone and token.is_admin else token.project_id
        if service == "dns":
            everyone = (request.headers.get("X-Auth-All-Projects") or "").lower() == "true"
            return None if everyone and token.is_admin else token.project_id
        return None if token.is_admin else token.project_id

    def _flavors(self, region: str, rest: list[str]) -> Response:
        url = f"{self.base_url}/{region}/compute"
        flavors: list[dict[str, Any]] = [
            {
                "id": _flavor_id(name),
                "name": name,
                "ram": ram,
                "disk": disk,
                "swap": 0,
                "vcpus": vcpus,
                "OS-FLV-EXT-DATA:ephemeral": 0,
                "OS-FLV-DISABLED:disabled": False,
                "os-flavor-access:is_public": True,
                "rxtx_factor": 1.0,
                "description": None,
                "extra_specs": {},
                "links": [
                    {"rel": "self", "href": f"{url}/v2.1/flavors/{_flavor_id(name)}"},
                    {"rel": "bookmark", "href": f"{url}/flavors/{_flavor_id(name)}"},
                ],
            }
            for name, (vcpus, ram, disk) in _FLAVORS.items()
        ]
        if rest in ([], ["detail"]):
            return _json(200, {"flavors": flavors})
        found = next((f for f in flavors if f["id"] == rest[0] or f["name"] == rest[0]), None)
        if found is None or len(rest) > 1:
            return _json(
                404,
                {"itemNotFound": {"code": 404, "message": f"Flavor {rest[0]} could not be found."}},
            )
        return _json(200, {"flavor": found})

    def _limit(self, request: _Request, default: int | None, cap: int | None) -> int | None:
        text = request.param("limit")
        cap = self.page_size if self.page_size is not None else cap
        if text is None:
            limit = default
        else:
            try:
                limit = int(text)
            except ValueError:
                raise _BadRequestError(
                    _json(
                        400,
                        {"badRequest": {"code": 400, "message": "limit param must be an integer"}},
                    )
                ) from None
            if limit < 0:
                raise _BadRequestError(
                    _json(
                        400,
                        {"badRequest": {"code": 400, "message": "limit param must be positive"}},
                    )
                ) from None
        if cap is not None:
            limit = cap if limit is None else min(limit, cap)
        return limit

    def _page(
        self,
        request: _Request,
        listing: Listing,
        list_key: str,
        paging: str,
        project: str | None,
        admin: bool,
        mode: str,
        brief: bool,
        kind: str,
    ) -> Response:
        visible = listing.positions(project)
        total = len(listing) if visible is None else len(visible)

        def at(k: int) -> int:
            return k if visible is None else int(visible[k])

        def start_after(marker: str | None) -> int:
            if marker is None:
                return 0
            i = listing.index.get(marker)
            if i is not None and visible is not None:
                i = int(np.searchsorted(visible, i)) if _member(visible, i) else None
            if i is None:
                raise _BadRequestError(self._bad_marker(paging, kind, marker))
            return i + 1

        def items(begin: int, end: int) -> str:
            return listing.join((at(k) for k in range(begin, end)), admin, mode, brief)

        def href(base: str, **params: str | int) -> str:
            query = [(k, v) for k, v in request.query if k not in ("marker", "limit", "offset")]
            query += [(k, str(v)) for k, v in params.items()]
            return base + ("?" + urlencode(query) if query else "")

        url = request.base + request.path
        if paging in ("nova", "cinder", "neutron", "octavia", "glance", "designate"):
            defaults = {"glance": (25, 1000), "designate": (20, 1000), "neutron": (None, None)}
            default, cap = defaults.get(paging, (None, 1000))
            limit = self._limit(request, default, cap)
            marker = request.param("marker")
            begin = start_after(marker)
            end = total if limit is None else min(total, begin + limit)
            body = '{"' + list_key + '": [' + items(begin, end) + "]"
            full = limit is not None and end - begin == limit and limit > 0
            last = listing.ids[at(end - 1)] if end > begin else None
            if paging == "glance":
                first = href(
                    "/v2/images", **({"limit": limit or 0} if request.param("limit") else {})
                )
                body += f', "first": {json.dumps(first)}, "schema": "/v2/schemas/images"'
                if full and last is not None:
                    body += ', "next": ' + json.dumps(
                        href("/v2/images", limit=limit or 0, marker=last)
                    )
            elif paging == "designate":
                links: dict[str, str] = {
                    "self": href(url, **({"limit": limit or 0} if request.param("limit") else {}))
                }
                if full and last is not None:
                    links["next"] = href(url, limit=limit or 0, marker=last)
                body += ", " + _dumps({"links": links, "metadata": {"total_count": total}})[1:-1]
            elif paging in ("neutron", "octavia"):
                # Neutron links whenever a limit applies, "previous" from the first page on;
                # Octavia always has the member, and "previous" once a marker was given.
                paged = request.param("limit") is not None or self.page_size is not None
                if paging == "octavia" or paged:
                    link_list = []
                    if full and last is not None:
                        next_href = href(url, limit=limit or 0, marker=last)
                        link_list.append({"rel": "next", "href": next_href})
                    if end > begin and (paging == "neutron" or marker is not None):
                        first_id = listing.ids[at(begin)]
                        back = href(url, limit=limit or 0, marker=first_id, page_reverse="True")
                        link_list.append({"rel": "previous", "href": back})
                    body += f', "{list_key}_links": {_dumps(link_list)}'
            else:
                if full and last is not None:
                    link = [{"rel": "next", "href": href(url, limit=limit or 0, marker=last)}]
                    body += f', "{list_key}_links": {_dumps(link)}'
                if paging == "cinder" and request.flag("with_count"):
                    body += f', "count": {total}'
            return Response(200, JSON, (body + "}").encode())
        if paging in ("barbican", "offset"):
            default, cap = (10, 100) if paging == "barbican" else (None, 1000)
            limit = self._limit(request, default, cap)
            try:
                offset = max(0, int(request.param("offset") or 0))
            except ValueError:
                offset = 0
            end = total if limit is None else min(total, offset + limit)
            body = '{"' + list_key + '": [' + items(min(offset, total), end) + "]"
            if paging == "barbican":
                body += f', "total": {total}'
                if limit is not None and end < total:
                    body += ', "next": ' + json.dumps(href(url, limit=limit, offset=offset + limit))
                if offset > 0 and limit is not None:
                    body += ', "previous": ' + json.dumps(
                        href(url, limit=limit, offset=max(0, offset - limit))
                    )
            return Response(200, JSON, (body + "}").encode())
        return Response(200, JSON, ('{"' + list_key + '": [' + items(0, total) + "]}").encode())

    def _bad_marker(self, paging: str, kind: str, marker: str) -> Response:
        if paging == "nova":
            return _json(
                400, {"badRequest": {"code": 400, "message": f"marker [{marker}] not found"}}
            )
        if paging == "glance":
            return _html(400, "Bad Request", f"No image found with ID {marker}")
        if paging == "cinder":
            return self._not_found("block-storage", kind, marker)
        if paging == "neutron":
            return self._not_found("network", kind, marker)
        return _json(
            400,
            {
                "code": 400,
                "type": "invalid_marker",
                "message": f"Marker {marker} could not be found.",
            },
        )

    # -- Keystone ------------------------------------------------------------------------------

    def _identity(self, request: _Request, parts: list[str], body: bytes) -> Response:
        url = f"{self.base_url}/identity"
        version = {
            "id": "v3.14",
            "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{url}/v3/"}],
            "media-types": [
                {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
            ],
        }
        if not parts:
            return _json(300, {"versions": {"values": [version]}}, (("Location", f"{url}/v3/"),))
        if parts == ["v3"]:
            return _json(200, {"version": version})
        if parts[0] != "v3":
            return self._not_found("identity", None, "")
        rest = parts[1:]
        if rest == ["auth", "tokens"] and request.method == "POST":
            return self._authenticate(request, body)
        token = self.token(request.headers)
        if token is None:
            return self._unauthorized("identity")
        base = f"{url}/v3"
        links = {"next": None, "self": base + "/" + "/".join(rest), "previous": None}
        region = self.identity_region
        if rest == ["auth", "tokens"]:
            return _json(200, {"token": {"project": {"id": token.project_id}}})
        if rest == ["regions"]:
            regions = [
                {
                    "id": r,
                    "description": "",
                    "parent_region_id": None,
                    "links": {"self": f"{base}/regions/{r}"},
                }
                for r in self.source.regions
            ]
            return _json(200, {"regions": regions, "links": links})
        kinds = {
            "projects": "project",
            "domains": "domain",
            "OS-FEDERATION/identity_providers": "identity_provider",
            # The sample estate federates with no other cloud: Keystone's empty list.
            "OS-FEDERATION/service_providers": "service_provider",
        }
        collection = "/".join(rest)
        kind = kinds.get(collection)
        object_id = None
        if kind is None and len(rest) >= 2:
            kind = kinds.get("/".join(rest[:-1]))
            object_id = rest[-1]
        if kind is None:
            return self._not_found("identity", None, "")
        fault = self._fault(region, kind, "identity")
        if fault is not None:
            return fault
        if not token.is_admin and kind != "domain":
            return self._forbidden("identity", kind)
        objects = self._identity_objects(kind, base)
        if object_id is not None:
            found = next((o for o in objects if o["id"] == object_id), None)
            if found is None:
                return self._not_found("identity", kind, object_id)
            return _json(200, {kind: found})
        key = collection.rsplit("/", 1)[-1]
        return _json(200, {key: objects, "links": links})

    def _identity_objects(self, kind: str, base: str) -> list[dict[str, Any]]:
        frame = self.source.frames.get(kind)
        if frame is None:
            return []
        if kind == "project":
            return [
                {
                    "id": i,
                    "name": n,
                    "domain_id": d,
                    "description": "",
                    "enabled": True,
                    "parent_id": d,
                    "is_domain": False,
                    "tags": [],
                    "options": {},
                    "links": {"self": f"{base}/projects/{i}"},
                }
                for i, n, d in zip(frame["asset_id"], frame["name"], frame["scope"], strict=True)
            ]
        if kind == "domain":
            return [
                {
                    "id": i,
                    "name": n,
                    "description": "The default domain",
                    "enabled": True,
                    "tags": [],
                    "options": {},
                    "links": {"self": f"{base}/domains/{i}"},
                }
                for i, n in zip(frame["asset_id"], frame["name"], strict=True)
            ]
        return [
            {
                "id": i,
                "domain_id": d,
                "description": n,
                "enabled": e == "true",
                "remote_ids": [x for x in str(r).split(",") if x],
                "authorization_ttl": None,
                "links": {
                    "self": f"{base}/OS-FEDERATION/identity_providers/{i}",
                    "protocols": f"{base}/OS-FEDERATION/identity_providers/{i}/protocols",
                },
            }
            for i, n, d, e, r in zip(
                frame["asset_id"],
                frame["name"],
                frame["scope"],
                frame["enabled"],
                frame["remote_ids"],
                strict=True,
            )
        ]

    # -- Swift -------------------------------------------------------------------------------

    def _swift(self, request: _Request, region: str, rest: list[str]) -> Response:
        if rest == ["info"]:
            return _json(
                200,
                {
                    "swift": {
                        "version": "2.33.0",
                        "account_listing_limit": 10000,
                        "container_listing_limit": 10000,
                    }
                },
            )
        account = f"AUTH_{self.source.account}"
        if len(rest) < 2 or rest[0] != "v1":
            return self._not_found("object-store", None, "")
        token = self.token(request.headers)
        if token is None:
            return self._unauthorized("object-store")
        if rest[1] != account:
            return self._forbidden("object-store", "object_container")
        fault = self._fault(region, "object_container", "object-store")
        if fault is not None:
            return fault
        listing = self.listings[region, "object_container"]
        stamp = (("X-Timestamp", "1709283600.00000"), ("X-Trans-Id", "tx" + secrets.token_hex(11)))
        if len(rest) == 2:
            headers = (
                ("X-Account-Container-Count", str(len(listing))),
                ("X-Account-Object-Count", "0"),
                ("X-Account-Bytes-Used", "0"),
                *stamp,
            )
            if request.method == "HEAD":
                return Response(204, "text/plain; charset=utf-8", b"", headers)
            limit = self._limit(request, 10000, 10000) or 0
            marker = request.param("marker")
            begin = 0
            if marker is not None:
                # Swift's marker is a name: listing starts after it, whether or not it exists.
                begin = bisect.bisect_right(listing.ids, marker)
            end = min(len(listing), begin + limit)
            if request.param("format") == "json" or "json" in (request.headers.get("Accept") or ""):
                body = ("[" + listing.join(range(begin, end), True) + "]").encode()
                return Response(200, "application/json; charset=utf-8", body, headers)
            text = "".join(name + "\n" for name in listing.ids[begin:end])
            return Response(
                200 if text else 204, "text/plain; charset=utf-8", text.encode(), headers
            )
        name = "/".join(rest[2:])
        found = self.containers[region].get(name)
        if found is None:
            return Response(
                404, HTML, b"<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"
            )
        policy, sync = found
        headers = (
            ("X-Container-Object-Count", "0"),
            ("X-Container-Bytes-Used", "0"),
            ("X-Storage-Policy", policy),
            *((("X-Container-Sync-To", sync),) if sync else ()),
            *stamp,
        )
        if request.method == "HEAD":
            return Response(204, "text/plain; charset=utf-8", b"", headers)
        return Response(200, "application/json; charset=utf-8", b"[]", headers)


# -- HTTP -------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], api: OpenStackAPI) -> None:
        self.api = api
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK hold every response back ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        response = self.server.api.respond(method, self.path, headers, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        request_id = "req-" + str(uuid.uuid4())
        self.send_header("x-openstack-request-id", request_id)
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded, without credentials, in ``OpenStackAPI.requests``."""


class OpenStackAPIServer(LoopbackServing):
    """An :class:`OpenStackAPI` served over HTTP on the loopback interface.

    ``OpenStackAPIServer.for_source(source, password=…)`` (or the constructor with explicit
    ``users``); ``start()``/``stop()`` or a context manager; ``auth_url``,
    ``write_clouds_yaml(path, cloud)``, ``requests``. ``page_size`` caps every list's page
    (each service's ``limit`` maximum); ``fail`` maps (region, kind) to a :class:`Failure`.
    """

    def __init__(
        self,
        source: SampleSource,
        users: Mapping[str, User],
        *,
        page_size: int | None = None,
        fail: Mapping[tuple[str | None, str], Failure] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if source.platform != "openstack":
            raise ValueError(f"{source.name} is not an OpenStack source")
        self.api = OpenStackAPI(source, users, page_size=page_size, fail=fail)
        self._address = (host, port)

    @classmethod
    def for_source(
        cls,
        source: SampleSource,
        *,
        username: str = "admin",
        password: str,
        reader: tuple[str, str] | None = None,
        reader_project: str | None = None,
        **options: Any,
    ) -> OpenStackAPIServer:
        """A server for a sample cloud: an admin user (any project; by default the Swift
        account's) and optionally a ``reader`` (name, password) with role ``reader`` on
        ``reader_project`` (by default the cloud's first project)."""
        users = {username: User(password, _ADMIN_ROLES)}
        if reader is not None:
            projects = source.frames["project"]["asset_id"]
            project = reader_project or str(projects.iloc[0])
            users[reader[0]] = User(reader[1], ("reader",), project)
        return cls(source, users, **options)

    def start(self) -> OpenStackAPIServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(self._address, self.api)
        self.api.build(f"http://{self._address[0]}:{httpd.server_address[1]}")
        self._serve(httpd, f"osapi-{httpd.server_address[1]}")
        return self

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return self.api.base_url

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path and query, status) of the requests served, oldest first."""
        with self.api._lock:
            return list(self.api.requests)

    def write_clouds_yaml(
        self,
        path: Path | str,
        cloud: str,
        *,
        username: str | None = None,
        project_id: str | None = None,
    ) -> Path:
        """Add (or replace) ``cloud`` in the clouds.yaml at ``path``: password auth as
        ``username`` (by default the first user) in every region of the source."""
        target = Path(path)
        data: dict[str, Any] = {}
        if target.exists():
            data = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
        name = username or next(iter(self.api.users))
        user = self.api.users[name]
        project = project_id or user.project_id or self.api.source.account
        data.setdefault("clouds", {})[cloud] = {
            "auth": {
                "auth_url": self.auth_url,
                "username": name,
                "password": user.password,
                "project_id": project,
                "user_domain_name": "Default",
            },
            "auth_type": "password",
            "identity_api_version": 3,
            "interface": "public",
            "regions": list(self.api.source.regions),
        }
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        target.chmod(0o600)
        return target
