"""A read-only Kubernetes API endpoint on 127.0.0.1 that serves pre-serialised objects.

It answers like kube-apiserver for what a collector and ``kubectl`` read: version and
discovery (legacy and aggregated), service-account issuer discovery
(``/.well-known/openid-configuration`` and its ``/openid/v1/jwks``), lists cluster-wide and
per namespace with ``limit`` and ``continue`` (opaque etcd-style tokens, 410 Expired once the
revision they carry has been compacted away), ``remainingItemCount``, label and field
selectors, GET by name, the ``Table`` rendering kubectl asks for, bearer-token
authentication (401), forbidden resources and paths (403) and failing ones (500, optionally
after a hang). Every error is a ``Status`` object with the messages kube-apiserver uses. It
speaks HTTPS with a throw-away cluster CA, as kubectl sends a bearer token only over TLS;
the kubeconfig it writes trusts that CA. APIServices are served as objects; the groups of
aggregated ones are not proxied (their discovery is absent, as while their backends are
unreachable).

Lists are held in etcd-key order and pages are slices of that order joined as bytes: no
request re-sorts or re-serialises an object. The server is the standard library's threading
HTTP server and starts in milliseconds; ``openapi/v2`` and ``/v3`` are not served (404), which
``kubectl get``, ``describe`` and ``api-resources`` never need (``kubectl explain`` does).

    cluster = sample_cluster(generate_estate(7, 1.0))
    with KubeAPIServer.for_cluster(cluster, token="s3cret") as api:
        api.write_kubeconfig(tmp / "kubeconfig")
"""

from __future__ import annotations

import base64
import binascii
import bisect
import collections
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import itertools
import json
import posixpath
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import yaml

from residency.sample.kube_objects import (
    COLLECTOR_USER,
    RESOURCES,
    SERVER_VERSION,
    Failure,
    KubeObject,
    ResourceType,
    SampleCluster,
    etcd_key,
)
from residency.sample.serving import LoopbackServing

__all__ = ["KubeAPI", "KubeAPIServer", "Response", "ServingCertificate", "write_kubeconfig"]

JSON: Final = "application/json"
TABLE: Final = "application/json;as=Table;v=v1;g=meta.k8s.io"
DISCOVERY_V2: Final = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
JWK_SET: Final = "application/jwk-set+json"
ISSUER_DISCOVERY: Final = "/.well-known/openid-configuration"
JWKS: Final = "/openid/v1/jwks"
# kubeadm's default --service-account-issuer: the cluster's own API server, from inside it.
IN_CLUSTER_ISSUER: Final = "https://kubernetes.default.svc.cluster.local"
VERBS: Final = ("get", "list")


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


def _json(status: int, obj: Mapping[str, Any], content_type: str = JSON) -> Response:
    return Response(status, content_type, json.dumps(obj, separators=(",", ":")).encode())


def status_response(
    code: int,
    reason: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    list_meta: Mapping[str, Any] | None = None,
) -> Response:
    """A ``Status`` failure, shaped as kube-apiserver writes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": dict(list_meta or {}),
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = dict(details)
    body["code"] = code
    return _json(code, body)


class _BadRequestError(Exception):
    pass


# -- continue tokens -------------------------------------------------------------------------


def encode_continue(start_key: str, resource_version: int) -> str:
    """A continue token as kube-apiserver writes it: base64url(JSON), no padding."""
    raw = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": resource_version, "start": start_key},
        separators=(",", ":"),
    ).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[str, int]:
    """(start key, resource version) of a token; ``_BadRequestError`` as the apiserver's 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _BadRequestError(
            f"invalid continue token: continue key is not valid: {exc}"
        ) from None
    if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
        version = data.get("v") if isinstance(data, dict) else None
        raise _BadRequestError(
            f"invalid continue token: got unrecognized encoded version {version}"
        )
    rv, start = data.get("rv"), data.get("start")
    if not isinstance(rv, int) or rv == 0:
        raise _BadRequestError(
            "invalid continue token: continue key is not valid: "
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )
    if not isinstance(start, str) or not start:
        raise _BadRequestError(
            "invalid continue token: continue key is not valid: "
            "encoded start key empty (version meta.k8s.io/v1)"
        )
    key = start if start.startswith("/") else "/" + start
    if posixpath.normpath(key) != key:  # no climbing out of the listed prefix
        raise _BadRequestError(f"invalid continue token: continue key is not valid: {start}")
    return start, rv


# -- selectors -------------------------------------------------------------------------------

_KEY_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
# A requirement: (operator, key, values); operators "exists", "!", "=", "!=", "in", "notin".
_Requirement = tuple[str, str, frozenset[str]]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses (``a in (x,y),b=c``)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _valid(word: str, empty: bool = False) -> bool:
    return (empty or bool(word)) and set(word) <= _KEY_CHARS


def parse_label_selector(text: str) -> list[_Requirement]:
    """The requirements of a label selector (equality, set and existence)."""
    requirements: list[_Requirement] = []
    for requirement in _split_top_level(text):
        words = requirement.split(None, 2)
        if requirement.startswith("!"):
            key, operator, values = requirement[1:].strip(), "!", frozenset[str]()
        elif len(words) == 3 and words[1] in ("in", "notin"):
            key, operator, rest = words
            if not (rest.startswith("(") and rest.endswith(")")):
                raise _BadRequestError(f"unable to parse requirement: {requirement!r}")
            values = frozenset(v.strip() for v in rest[1:-1].split(","))
        else:
            operator = next((op for op in ("!=", "==", "=") if op in requirement), "exists")
            key, _, value = requirement.partition(operator)
            operator = "=" if operator == "==" else operator
            values = frozenset([value.strip()]) if operator != "exists" else frozenset()
            key = key.strip()
        if not _valid(key) or not all(_valid(v, empty=True) for v in values):
            raise _BadRequestError(f"unable to parse requirement: {requirement!r}")
        requirements.append((operator, key, values))
    return requirements


def labels_match(labels: Mapping[str, str], requirements: Sequence[_Requirement]) -> bool:
    for operator, key, values in requirements:
        value = labels.get(key)
        if operator == "exists":
            ok = key in labels
        elif operator == "!":
            ok = key not in labels
        elif operator in ("=", "in"):
            ok = value in values
        else:  # != and notin also match objects without the label
            ok = value not in values
        if not ok:
            return False
    return True


# A field requirement: (where, equal, value); where -1 is the name, -2 the namespace,
# otherwise an index into ``KubeObject.fields``.
_FieldRequirement = tuple[int, bool, str]


def parse_field_selector(text: str, resource: ResourceType) -> list[_FieldRequirement]:
    """The requirements of a field selector over the fields ``resource`` supports."""
    requirements: list[_FieldRequirement] = []
    for term in (t.strip() for t in text.split(",")):
        if not term:
            continue
        operator = next((op for op in ("!=", "==", "=") if op in term), None)
        if operator is None:
            raise _BadRequestError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, _, value = term.partition(operator)
        name = name.strip()
        if name == "metadata.name":
            where = -1
        elif name == "metadata.namespace":
            where = -2
        elif name in resource.selectable_fields:
            where = resource.selectable_fields.index(name)
        else:
            raise _BadRequestError(f"field label not supported: {name}")
        requirements.append((where, operator != "!=", value.strip()))
    return requirements


def fields_match(obj: KubeObject, requirements: Sequence[_FieldRequirement]) -> bool:
    for where, equal, value in requirements:
        if where == -1:
            actual = obj.name
        elif where == -2:
            actual = obj.namespace
        else:
            actual = obj.fields[where] if where < len(obj.fields) else ""
        if (actual == value) != equal:
            return False
    return True


# -- Table rendering (kubectl's server-side printing) ----------------------------------------


def human_duration(seconds: float) -> str:
    """An age as kubectl prints it (apimachinery's ``duration.HumanDuration``)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _age(obj: Mapping[str, Any]) -> str:
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return human_duration((dt.datetime.now(dt.UTC) - created).total_seconds())


def _get(obj: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    return obj


def _selector(selector: Mapping[str, Any] | None) -> str:
    labels = (selector or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _containers(obj: Mapping[str, Any]) -> tuple[str, str]:
    containers = _get(obj, "spec.template.spec.containers", []) or []
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


_ACCESS: Final = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _modes(modes: Iterable[str] | None) -> str:
    return ",".join(_ACCESS.get(m, m) for m in modes or [])


def _pod_cells(o: Mapping[str, Any]) -> list[Any]:
    statuses = _get(o, "status.containerStatuses", []) or []
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len(_get(o, "spec.containers", []) or [])
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    return [
        o["metadata"]["name"],
        f"{ready}/{total}",
        _get(o, "status.phase", "Unknown"),
        str(restarts),
        _age(o),
        _get(o, "status.podIP") or "<none>",
        _get(o, "spec.nodeName") or "<none>",
        _get(o, "status.nominatedNodeName") or "<none>",
        "<none>",
    ]


def _node_cells(o: Mapping[str, Any]) -> list[Any]:
    labels = _get(o, "metadata.labels", {}) or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    conditions = {c["type"]: c["status"] for c in _get(o, "status.conditions", []) or []}
    status = "Ready" if conditions.get("Ready") == "True" else "NotReady"
    if _get(o, "spec.unschedulable"):
        status += ",SchedulingDisabled"
    addresses = _get(o, "status.addresses", []) or []

    def address(kind: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == kind), "<none>")

    info = _get(o, "status.nodeInfo", {}) or {}
    return [
        o["metadata"]["name"],
        status,
        ",".join(roles) or "<none>",
        _age(o),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _deployment_cells(o: Mapping[str, Any]) -> list[Any]:
    names, images = _containers(o)
    desired = _get(o, "spec.replicas", 0)
    return [
        o["metadata"]["name"],
        f"{_get(o, 'status.readyReplicas', 0)}/{desired}",
        _get(o, "status.updatedReplicas", 0),
        _get(o, "status.availableReplicas", 0),
        _age(o),
        names,
        images,
        _selector(_get(o, "spec.selector")),
    ]


def _replicaset_cells(o: Mapping[str, Any]) -> list[Any]:
    names, images = _containers(o)
    return [
        o["metadata"]["name"],
        _get(o, "spec.replicas", 0),
        _get(o, "status.replicas", 0),
        _get(o, "status.readyReplicas", 0),
        _age(o),
        names,
        images,
        _selector(_get(o, "spec.selector")),
    ]


def _statefulset_cells(o: Mapping[str, Any]) -> list[Any]:
    names, images = _containers(o)
    ready = f"{_get(o, 'status.readyReplicas', 0)}/{_get(o, 'spec.replicas', 0)}"
    return [o["metadata"]["name"], ready, _age(o), names, images]


def _daemonset_cells(o: Mapping[str, Any]) -> list[Any]:
    names, images = _containers(o)
    node_selector = _get(o, "spec.template.spec.nodeSelector") or {}
    return [
        o["metadata"]["name"],
        _get(o, "status.desiredNumberScheduled", 0),
        _get(o, "status.currentNumberScheduled", 0),
        _get(o, "status.numberReady", 0),
        _get(o, "status.updatedNumberScheduled", 0),
        _get(o, "status.numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in node_selector.items()) or "<none>",
        _age(o),
        names,
        images,
        _selector(_get(o, "spec.selector")),
    ]


def _service_cells(o: Mapping[str, Any]) -> list[Any]:
    kind = _get(o, "spec.type", "ClusterIP")
    ingress = _get(o, "status.loadBalancer.ingress", []) or []
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress)
    if kind == "ExternalName":
        external = _get(o, "spec.externalName", "")
    if kind == "LoadBalancer" and not external:
        external = "<pending>"
    ports = ",".join(
        f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort")
        else f"{p['port']}/{p.get('protocol', 'TCP')}"
        for p in _get(o, "spec.ports", []) or []
    )
    selector = _get(o, "spec.selector") or {}
    return [
        o["metadata"]["name"],
        kind,
        _get(o, "spec.clusterIP", "<none>"),
        external or "<none>",
        ports or "<none>",
        _age(o),
        ",".join(f"{k}={v}" for k, v in selector.items()) or "<none>",
    ]


def _ingress_cells(o: Mapping[str, Any]) -> list[Any]:
    hosts = ",".join(r.get("host", "*") for r in _get(o, "spec.rules", []) or []) or "*"
    ingress = _get(o, "status.loadBalancer.ingress", []) or []
    ports = "80, 443" if _get(o, "spec.tls") else "80"
    return [
        o["metadata"]["name"],
        _get(o, "spec.ingressClassName") or "<none>",
        hosts,
        ",".join(i.get("ip") or i.get("hostname", "") for i in ingress),
        ports,
        _age(o),
    ]


def _pv_cells(o: Mapping[str, Any]) -> list[Any]:
    claim = _get(o, "spec.claimRef")
    return [
        o["metadata"]["name"],
        _get(o, "spec.capacity.storage", ""),
        _modes(_get(o, "spec.accessModes")),
        _get(o, "spec.persistentVolumeReclaimPolicy", ""),
        _get(o, "status.phase", ""),
        f"{claim['namespace']}/{claim['name']}" if claim else "",
        _get(o, "spec.storageClassName", ""),
        _get(o, "spec.volumeAttributesClassName") or "<unset>",
        _get(o, "status.reason", ""),
        _age(o),
        _get(o, "spec.volumeMode", "Filesystem"),
    ]


def _pvc_cells(o: Mapping[str, Any]) -> list[Any]:
    return [
        o["metadata"]["name"],
        _get(o, "status.phase", ""),
        _get(o, "spec.volumeName", ""),
        _get(o, "status.capacity.storage", ""),
        _modes(_get(o, "status.accessModes")),
        _get(o, "spec.storageClassName", ""),
        _get(o, "spec.volumeAttributesClassName") or "<unset>",
        _age(o),
        _get(o, "spec.volumeMode", "Filesystem"),
    ]


def _storageclass_cells(o: Mapping[str, Any]) -> list[Any]:
    name = o["metadata"]["name"]
    annotations = _get(o, "metadata.annotations", {}) or {}
    if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        o.get("provisioner", ""),
        o.get("reclaimPolicy", "Delete"),
        o.get("volumeBindingMode", "Immediate"),
        bool(o.get("allowVolumeExpansion", False)),
        _age(o),
    ]


def _name_age(o: Mapping[str, Any]) -> list[Any]:
    return [o["metadata"]["name"], _age(o)]


_NAME_DOC: Final = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated."
)
_AGE_DOC: Final = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC."
)

# Column name → (type, priority); Name and Age carry the ObjectMeta documentation.
_Columns = tuple[tuple[str, str, int], ...]
_Printer = tuple[_Columns, Callable[[Mapping[str, Any]], list[Any]]]


def _columns(shown: str, wide: str = "", integers: str = "") -> _Columns:
    """Columns as kube's printers declare them: ``shown`` always, ``wide`` with ``-o wide``."""
    counted = set(integers.split(","))
    return tuple(
        (name, "integer" if name in counted else "string", priority)
        for priority, names in enumerate((shown, wide))
        for name in names.split(",")
        if name
    )


def _webhook_cells(o: Mapping[str, Any]) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("webhooks") or []), _age(o)]


def _config_map_cells(o: Mapping[str, Any]) -> list[Any]:
    data = len(o.get("data") or {}) + len(o.get("binaryData") or {})
    return [o["metadata"]["name"], data, _age(o)]


def _api_service_cells(o: Mapping[str, Any]) -> list[Any]:
    service = _get(o, "spec.service")
    conditions = _get(o, "status.conditions", []) or []
    available = next((c for c in conditions if c.get("type") == "Available"), None)
    shown = "Unknown" if available is None else str(available.get("status"))
    if available is not None and shown != "True":
        shown += f" ({available.get('reason', '')})"
    backend = "Local" if not service else f"{service['namespace']}/{service['name']}"
    return [o["metadata"]["name"], backend, shown, _age(o)]


_SET_WIDE: Final = "Containers,Images,Selector"
_PRINTERS: Final[Mapping[str, _Printer]] = {
    "pods": (
        _columns("Name,Ready,Status,Restarts,Age", "IP,Node,Nominated Node,Readiness Gates"),
        _pod_cells,
    ),
    "nodes": (
        _columns(
            "Name,Status,Roles,Age,Version",
            "Internal-IP,External-IP,OS-Image,Kernel-Version,Container-Runtime",
        ),
        _node_cells,
    ),
    "namespaces": (
        _columns("Name,Status,Age"),
        lambda o: [o["metadata"]["name"], _get(o, "status.phase", ""), _age(o)],
    ),
    "configmaps": (_columns("Name,Data,Age", integers="Data"), _config_map_cells),
    "services": (
        _columns("Name,Type,Cluster-IP,External-IP,Port(s),Age", "Selector"),
        _service_cells,
    ),
    "persistentvolumes": (
        _columns(
            "Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,"
            "VolumeAttributesClass,Reason,Age",
            "VolumeMode",
        ),
        _pv_cells,
    ),
    "persistentvolumeclaims": (
        _columns(
            "Name,Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age",
            "VolumeMode",
        ),
        _pvc_cells,
    ),
    "deployments.apps": (
        _columns("Name,Ready,Up-to-date,Available,Age", _SET_WIDE, "Up-to-date,Available"),
        _deployment_cells,
    ),
    "replicasets.apps": (
        _columns("Name,Desired,Current,Ready,Age", _SET_WIDE, "Desired,Current,Ready"),
        _replicaset_cells,
    ),
    "statefulsets.apps": (_columns("Name,Ready,Age", "Containers,Images"), _statefulset_cells),
    "daemonsets.apps": (
        _columns(
            "Name,Desired,Current,Ready,Up-to-date,Available,Node Selector,Age",
            _SET_WIDE,
            "Desired,Current,Ready,Up-to-date,Available",
        ),
        _daemonset_cells,
    ),
    "ingresses.networking.k8s.io": (
        _columns("Name,Class,Hosts,Address,Ports,Age"),
        _ingress_cells,
    ),
    "networkpolicies.networking.k8s.io": (
        _columns("Name,Pod-Selector,Age"),
        lambda o: [o["metadata"]["name"], _selector(_get(o, "spec.podSelector")), _age(o)],
    ),
    "storageclasses.storage.k8s.io": (
        _columns("Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age"),
        _storageclass_cells,
    ),
    # The CRD's additionalPrinterColumns (external-snapshotter client/config/crd).
    "volumesnapshotclasses.snapshot.storage.k8s.io": (
        _columns("Name,Driver,DeletionPolicy,Age"),
        lambda o: [
            o["metadata"]["name"],
            o.get("driver", ""),
            o.get("deletionPolicy", ""),
            _age(o),
        ],
    ),
    "apiservices.apiregistration.k8s.io": (
        _columns("Name,Service,Available,Age"),
        _api_service_cells,
    ),
    "validatingwebhookconfigurations.admissionregistration.k8s.io": (
        _columns("Name,Webhooks,Age", integers="Webhooks"),
        _webhook_cells,
    ),
    "mutatingwebhookconfigurations.admissionregistration.k8s.io": (
        _columns("Name,Webhooks,Age", integers="Webhooks"),
        _webhook_cells,
    ),
}
_DEFAULT_PRINTER: Final = ((("Name", "string", 0), ("Age", "string", 0)), _name_age)


def _column_definitions(columns: _Columns) -> list[dict[str, Any]]:
    out = []
    for name, kind, priority in columns:
        column: dict[str, Any] = {"name": name, "type": kind, "format": ""}
        if name == "Name":
            column |= {"format": "name", "description": _NAME_DOC}
        elif name == "Age":
            column["description"] = _AGE_DOC
        else:
            column["description"] = f"{name} of the object."
        column["priority"] = priority
        out.append(column)
    return out


# -- the API ---------------------------------------------------------------------------------


class _Collection:
    """One resource's objects in etcd-key order, with the indexes a list needs."""

    def __init__(self, resource: ResourceType, objects: Iterable[KubeObject]) -> None:
        self.resource = resource
        items = list(objects)
        keys = [etcd_key(o) for o in items]
        if any(a >= b for a, b in itertools.pairwise(keys)):  # sorted once, here
            order = sorted(range(len(items)), key=keys.__getitem__)
            items, keys = [items[i] for i in order], [keys[i] for i in order]
        self.objects = items
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.ranges: dict[str, tuple[int, int]] = {}
        for i, obj in enumerate(items):
            low, _ = self.ranges.get(obj.namespace, (i, i))
            self.ranges[obj.namespace] = (low, i + 1)

    def span(self, namespace: str | None) -> tuple[int, int]:
        if namespace is None:
            return 0, len(self.objects)
        return self.ranges.get(namespace, (0, 0))


@dataclass(frozen=True)
class _Target:
    collection: _Collection
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    name: str | None  # None: a list


class KubeAPI:
    """The API's answers, independent of HTTP: ``respond(method, target, headers)``."""

    def __init__(
        self,
        objects: Mapping[str, Iterable[KubeObject]],
        *,
        token: str,
        user: str = COLLECTOR_USER,
        forbidden: Iterable[str] = (),
        failing: Mapping[str, Failure] | None = None,
        resource_version: int | None = None,
        version: Mapping[str, str] = SERVER_VERSION,
        resources: Sequence[ResourceType] = RESOURCES,
        issuer: str | None = IN_CLUSTER_ISSUER,
    ) -> None:
        unknown = set(objects) - {r.key for r in resources}
        if unknown:
            raise ValueError(f"objects for resources the API does not serve: {sorted(unknown)}")
        self.token = token
        self.user = user
        self.forbidden = frozenset(forbidden)
        self.failing = dict(failing or {})
        self.version = dict(version)
        self.issuer = issuer  # None: a server without issuer discovery (404, as before 1.21)
        self.server_address = "127.0.0.1:6443"
        self.collections = {r.key: _Collection(r, objects.get(r.key, ())) for r in resources}
        self._routes = {(r.group_version, r.resource): self.collections[r.key] for r in resources}
        if resource_version is None:
            every = (o for c in self.collections.values() for o in c.objects)
            resource_version = max(map(_resource_version, every), default=0) + 1
        self.resource_version = resource_version
        self.compacted = 0
        self.requests: collections.deque[tuple[str, str, int]] = collections.deque(maxlen=10_000)
        self._groups = _groups(resources)

    def compact(self) -> None:
        """Compact history, as etcd does every few minutes: outstanding continue tokens expire."""
        self.resource_version += 1
        self.compacted = self.resource_version

    # -- dispatch ----------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        response = self._respond(method, target, headers)
        self.requests.append((method, target, response.status))
        return response

    def _respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, "text/plain; charset=utf-8", b"ok")
        if not self._authenticated(headers.get("Authorization") or ""):
            return status_response(401, "Unauthorized", "Unauthorized")
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        accept = headers.get("Accept") or ""
        if path in (*_NON_RESOURCE, JWKS):
            return self._non_resource(path)
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            prefix, rest = ("v1", parts[2:]) if len(parts) > 1 else (None, [])
            if len(parts) > 1 and parts[1] != "v1":
                return _not_found_path()
        elif parts[0] == "apis":
            if len(parts) == 2:
                return self._group(parts[1])
            prefix = f"{parts[1]}/{parts[2]}" if len(parts) > 2 else None
            rest = parts[3:]
        else:
            return Response(404, "text/plain; charset=utf-8", b"404 page not found\n")
        if prefix is None:
            return self._root_discovery(core=parts[0] == "api", accept=accept)
        if not rest:
            return self._resource_list(prefix)
        if method != "GET" or query.get("watch") in ("true", "1"):
            return status_response(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                {},
            )
        resolved = self._resolve(prefix, rest)
        if resolved is None:
            return _not_found_path()
        return self._serve(resolved, query, accept)

    def _non_resource(self, path: str) -> Response:
        """``/version`` and the service-account issuer discovery documents (forbidden or
        failing like resources when ``forbidden``/``failing`` name the path)."""
        if path in self.forbidden:
            message = f'forbidden: User "{self.user}" cannot get path "{path}"'
            return status_response(403, "Forbidden", message, {})
        failure = self.failing.get(path)
        if failure is not None:
            return _failure(failure)
        if path == "/version":
            return _json(200, self.version)
        if self.issuer is None:
            return Response(404, "text/plain; charset=utf-8", b"404 page not found\n")
        if path == JWKS:
            return _json(200, {"keys": [_signing_key()]}, JWK_SET)
        discovery = {
            "issuer": self.issuer,
            "jwks_uri": f"https://{self.server_address}{JWKS}",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        return _json(200, discovery)

    def _authenticated(self, authorization: str) -> bool:
        scheme, _, credential = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), self.token.encode()
        )

    def _resolve(self, group_version: str, rest: list[str]) -> _Target | None:
        if rest[0] == "namespaces" and len(rest) in (3, 4):
            collection = self._routes.get((group_version, rest[2]))
            if collection is None or not collection.resource.namespaced:
                return None
            return _Target(collection, rest[1], rest[3] if len(rest) == 4 else None)
        if len(rest) in (1, 2):
            collection = self._routes.get((group_version, rest[0]))
            if collection is None or (len(rest) == 2 and collection.resource.namespaced):
                return None
            return _Target(collection, None, rest[1] if len(rest) == 2 else None)
        return None

    # -- discovery ---------------------------------------------------------------------------

    def _root_discovery(self, *, core: bool, accept: str) -> Response:
        if "apidiscovery.k8s.io" in accept and "as=APIGroupDiscoveryList" in accept:
            return self._aggregated(core)
        if core:
            return _json(
                200,
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}
                    ],
                },
            )
        return _json(
            200,
            {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [_group_body(g, versions) for g, versions in self._groups.items()],
            },
        )

    def _group(self, group: str) -> Response:
        versions = self._groups.get(group)
        if versions is None:
            return _not_found_path()
        return _json(200, {"kind": "APIGroup", "apiVersion": "v1", **_group_body(group, versions)})

    def _resource_list(self, group_version: str) -> Response:
        resources = [
            c.resource
            for c in self.collections.values()
            if c.resource.group_version == group_version
        ]
        if not resources:
            return _not_found_path()
        body: dict[str, Any] = {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": [],
        }
        for r in resources:
            entry: dict[str, Any] = {
                "name": r.resource,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(VERBS),
            }
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if r.categories:
                entry["categories"] = list(r.categories)
            body["resources"].append(entry)
        return _json(200, body)

    def _aggregated(self, core: bool) -> Response:
        """Aggregated discovery (apidiscovery.k8s.io/v2): one answer for every group."""
        items = []
        groups = {"": ["v1"]} if core else self._groups
        for group, versions in groups.items():
            entries = []
            for version in versions:
                resources = [
                    {
                        "resource": c.resource.resource,
                        "responseKind": {
                            "group": group,
                            "version": version,
                            "kind": c.resource.kind,
                        },
                        "scope": "Namespaced" if c.resource.namespaced else "Cluster",
                        "singularResource": c.resource.singular,
                        "verbs": list(VERBS),
                        **(
                            {"shortNames": list(c.resource.short_names)}
                            if c.resource.short_names
                            else {}
                        ),
                        **(
                            {"categories": list(c.resource.categories)}
                            if c.resource.categories
                            else {}
                        ),
                    }
                    for c in self.collections.values()
                    if c.resource.group == group and c.resource.version == version
                ]
                entries.append({"version": version, "resources": resources, "freshness": "Current"})
            metadata: dict[str, Any] = {"creationTimestamp": None}
            if group:
                metadata["name"] = group
            items.append({"metadata": metadata, "versions": entries})
        body = {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        }
        return _json(200, body, DISCOVERY_V2)

    # -- reads -------------------------------------------------------------------------------

    def _serve(self, target: _Target, query: Mapping[str, str], accept: str) -> Response:
        resource = target.collection.resource
        verb = "list" if target.name is None else "get"
        if resource.key in self.forbidden:
            return self._forbidden(resource, verb, target.namespace, target.name)
        failure = self.failing.get(resource.key)
        if failure is not None:
            if failure.delay_s:
                time.sleep(failure.delay_s)
            return _failure(failure)
        table = "as=Table" in accept
        include = query.get("includeObject") or "Metadata"
        try:
            if target.name is not None:
                return self._get(target, table, include)
            return self._list(target, query, table, include)
        except _BadRequestError as exc:
            return status_response(400, "BadRequest", str(exc))

    def _forbidden(
        self, resource: ResourceType, verb: str, namespace: str | None, name: str | None
    ) -> Response:
        what = resource.key if name is None else f'{resource.key} "{name}"'
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{what} is forbidden: User "{self.user}" cannot {verb} resource '
            f'"{resource.resource}" in API group "{resource.group}" {scope}'
        )
        details: dict[str, Any] = {}
        if name is not None:
            details["name"] = name
        if resource.group:
            details["group"] = resource.group
        details["kind"] = resource.resource
        return status_response(403, "Forbidden", message, details)

    def _get(self, target: _Target, table: bool, include: str) -> Response:
        collection = target.collection
        assert target.name is not None
        key = f"{target.namespace}/{target.name}" if target.namespace else target.name
        index = collection.index.get(key)
        if index is None:
            resource = collection.resource
            details: dict[str, Any] = {"name": target.name}
            if resource.group:
                details["group"] = resource.group
            details["kind"] = resource.resource
            message = f'{resource.key} "{target.name}" not found'
            return status_response(404, "NotFound", message, details)
        obj = collection.objects[index]
        if table:
            meta = {"resourceVersion": str(_resource_version(obj))}
            return self._table(collection.resource, [obj], meta, include)
        return Response(200, JSON, obj.raw)

    def _list(
        self, target: _Target, query: Mapping[str, str], table: bool, include: str
    ) -> Response:
        collection = target.collection
        resource = collection.resource
        limit = _limit(query.get("limit"))
        token = query.get("continue") or ""
        requested = query.get("resourceVersion") or ""
        if token and requested not in ("",):
            raise _BadRequestError("specifying resource version is not allowed when using continue")
        by_labels = parse_label_selector(query.get("labelSelector") or "")
        by_fields = parse_field_selector(query.get("fieldSelector") or "", resource)
        if requested not in ("", "0"):
            failure = self._check_resource_version(requested, query.get("resourceVersionMatch"))
            if failure is not None:
                return failure
        low, high = collection.span(target.namespace)
        list_rv = self.resource_version
        start = low
        if token:
            start_key, token_rv = decode_continue(token)
            if token_rv != -1 and not self.compacted <= token_rv <= self.resource_version:
                return status_response(
                    410,
                    "Expired",
                    _INCONSISTENT_CONTINUE,
                    list_meta={"continue": encode_continue(start_key, -1)},
                )
            full_key = f"{target.namespace}/{start_key}" if target.namespace else start_key
            start = max(low, bisect.bisect_left(collection.keys, full_key, low, high))
            list_rv = token_rv if token_rv > 0 else self.resource_version
        objects = collection.objects
        remaining: int | None = None
        if not by_labels and not by_fields:
            end = min(high, start + limit) if limit else high
            page = objects[start:end]
            more = end < high
            remaining = high - end if more else None
            last = end - 1
        else:
            page, i = [], start
            while i < high:
                obj = objects[i]
                i += 1
                if labels_match(obj.labels, by_labels) and fields_match(obj, by_fields):
                    page.append(obj)
                    if limit and len(page) == limit:
                        break
            more = bool(limit) and len(page) == limit and i < high
            last = i - 1
        metadata: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if more:
            key = collection.keys[last]
            relative = key[len(target.namespace) + 1 :] if target.namespace else key
            metadata["continue"] = encode_continue(relative + "\x00", list_rv)
            if remaining is not None:
                metadata["remainingItemCount"] = remaining
        if table:
            return self._table(resource, page, metadata, include)
        head = json.dumps(
            {
                "kind": resource.list_kind,
                "apiVersion": resource.group_version,
                "metadata": metadata,
            },
            separators=(",", ":"),
        )
        body = b"".join((head[:-1].encode(), b',"items":[', b",".join(o.raw for o in page), b"]}"))
        return Response(200, JSON, body)

    def _check_resource_version(self, requested: str, match: str | None) -> Response | None:
        try:
            rv = int(requested)
        except ValueError:
            return status_response(400, "BadRequest", f"invalid resource version: {requested!r}")
        if rv > self.resource_version:
            return status_response(
                504,
                "Timeout",
                f"Too large resource version: {rv}, current: {self.resource_version}",
                {
                    "causes": [
                        {
                            "reason": "ResourceVersionTooLarge",
                            "message": "Too large resource version",
                        }
                    ],
                    "retryAfterSeconds": 1,
                },
            )
        if match == "Exact" and rv < self.compacted:
            return status_response(
                410, "Expired", "The resourceVersion for the provided list is too old."
            )
        return None

    def _table(
        self,
        resource: ResourceType,
        objects: Sequence[KubeObject],
        metadata: Mapping[str, Any],
        include: str,
    ) -> Response:
        columns, cells = _PRINTERS.get(resource.key, _DEFAULT_PRINTER)
        rows = []
        for obj in objects:
            parsed = obj.as_dict()
            row: dict[str, Any] = {"cells": cells(parsed)}
            if include == "Object":
                row["object"] = parsed
            elif include != "None":
                row["object"] = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": parsed.get("metadata", {}),
                }
            rows.append(row)
        body = {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": dict(metadata),
            "columnDefinitions": _column_definitions(columns),
            "rows": rows,
        }
        return _json(200, body, TABLE)


_INCONSISTENT_CONTINUE: Final = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


def _resource_version(obj: KubeObject) -> int:
    marker = b'"resourceVersion":"'
    start = obj.raw.find(marker)
    if start < 0:
        return 0
    start += len(marker)
    return int(obj.raw[start : obj.raw.index(b'"', start)])


_NON_RESOURCE: Final = ("/version", ISSUER_DISCOVERY)


@functools.cache
def _signing_key() -> dict[str, str]:
    """The public JWK of a service-account signing key (RSA 2048, made once per process), as
    kube-apiserver publishes it: ``kid`` is the key's SHA-256 thumbprint of its DER form."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    numbers = public.public_numbers()
    return {
        "use": "sig",
        "kty": "RSA",
        "kid": b64(hashlib.sha256(der).digest()),
        "alg": "RS256",
        "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64(numbers.e.to_bytes(3, "big")),
    }


def _limit(text: str | None) -> int:
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise _BadRequestError(f"invalid limit: {text!r}") from None
    return max(value, 0)


def _failure(failure: Failure) -> Response:
    if failure.code == 500:
        return status_response(
            500,
            "InternalError",
            f"Internal error occurred: {failure.message}",
            {"causes": [{"message": failure.message}]},
        )
    return status_response(failure.code, failure.reason, failure.message, {})


def _not_found_path() -> Response:
    return status_response(404, "NotFound", "the server could not find the requested resource", {})


def _groups(resources: Sequence[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for r in resources:
        if r.group and r.version not in groups.setdefault(r.group, []):
            groups[r.group].append(r.version)
    return dict(sorted(groups.items()))


def _group_body(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


# -- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingCertificate:
    """A cluster CA and the API server's certificate, made for one server's lifetime."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def create(cls, host: str = "127.0.0.1") -> ServingCertificate:
        """An ECDSA P-256 CA (``kubernetes``) and a serving certificate for ``host``."""
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName("kubernetes")]
        try:
            names.insert(0, x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.insert(0, x509.DNSName(host))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        return cls(
            ca.public_bytes(serialization.Encoding.PEM),
            cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="kubeapi-tls-") as folder:
            chain, key = Path(folder) / "tls.crt", Path(folder) / "tls.key"
            chain.write_bytes(self.cert_pem + self.ca_pem)
            key.write_bytes(self.key_pem)
            key.chmod(0o600)
            context.load_cert_chain(chain, key)
        return context


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], api: KubeAPI) -> None:
        self.api = api
        self.connections: set[Any] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a timed-out read, a stopped server) are not errors here."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Drop kept-alive client connections, so that their handler threads end."""
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {
            "Authorization": self.headers.get("Authorization") or "",
            "Accept": self.headers.get("Accept") or "",
        }
        response = self.server.api.respond(method, self.path, headers)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(response.body)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in ``KubeAPI.requests`` instead."""


class KubeAPIServer(LoopbackServing):
    """A :class:`KubeAPI` served over HTTPS (or HTTP) on the loopback interface.

    ``KubeAPIServer(objects, token=…, forbidden={…}, failing={…}).start()``; ``url``,
    ``write_kubeconfig(path)``, ``compact()``, ``stop()``; or use it as a context manager.

    HTTPS is the default because kubectl (client-go) sends a kubeconfig's bearer token only
    over TLS; the CA that signs the serving certificate goes into the kubeconfig.
    """

    def __init__(
        self,
        objects: Mapping[str, Iterable[KubeObject]],
        *,
        token: str,
        user: str = COLLECTOR_USER,
        forbidden: Iterable[str] = (),
        failing: Mapping[str, Failure] | None = None,
        resource_version: int | None = None,
        version: Mapping[str, str] = SERVER_VERSION,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        resources: Sequence[ResourceType] = RESOURCES,
        issuer: str | None = IN_CLUSTER_ISSUER,
    ) -> None:
        self.api = KubeAPI(
            objects,
            token=token,
            user=user,
            forbidden=forbidden,
            failing=failing,
            resource_version=resource_version,
            version=version,
            resources=resources,
            issuer=issuer,
        )
        self._address = (host, port)
        self.certificate = ServingCertificate.create(host) if tls else None

    @classmethod
    def for_cluster(cls, cluster: SampleCluster, token: str, **options: Any) -> KubeAPIServer:
        """A server for a sample cluster, with its faults."""
        return cls(
            cluster.objects,
            token=token,
            forbidden=cluster.forbidden,
            failing=cluster.failing,
            resource_version=cluster.resource_version,
            issuer=cluster.issuer,
            **options,
        )

    def start(self) -> KubeAPIServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(self._address, self.api)
        if self.certificate is not None:
            # The handshake happens in each connection's thread, on its first read.
            context = self.certificate.server_context()
            httpd.socket = context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        port = httpd.server_address[1]
        self.api.server_address = f"{self._address[0]}:{port}"
        self._serve(httpd, f"kubeapi-{port}")
        return self

    @property
    def url(self) -> str:
        scheme = "https" if self.certificate is not None else "http"
        return f"{scheme}://{self._address[0]}:{self.port}"

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path and query, status) of the requests served, oldest first."""
        return list(self.api.requests)

    def compact(self) -> None:
        self.api.compact()

    def write_kubeconfig(
        self, path: Path | str, context: str = "kube-prod", user: str = "residency-collector"
    ) -> Path:
        ca = self.certificate.ca_pem if self.certificate is not None else None
        return write_kubeconfig(path, self.url, self.api.token, context=context, user=user, ca=ca)


def write_kubeconfig(
    path: Path | str,
    server: str,
    token: str,
    *,
    context: str = "kube-prod",
    user: str = "residency-collector",
    ca: bytes | None = None,
) -> Path:
    """A kubeconfig with one cluster, user (bearer token) and context, the current one."""
    cluster: dict[str, str] = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
        "current-context": context,
        "preferences": {},
    }
    target = Path(path)
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    target.chmod(0o600)
    return target
