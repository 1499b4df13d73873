"""The sample cluster ``kube-prod`` as Kubernetes API objects, serialised as the API serves them.

Every object is rendered from the estate's frames, deterministically: names, uids, nodes,
images, regions and zones are the frames' own, and whatever a real cluster adds around
them (labels, statuses, IP addresses, timestamps, resource versions) is derived from the
seed and the row, never from the clock. Objects are valid for the official API schema, so
the ``kubernetes`` client and ``kubectl`` read them like those of a real cluster.

Pods are the bulk of a cluster (100,000 in the benchmark), so they are written from string
templates with a few per-image fragments rendered once; every other kind is a dict dumped
to compact JSON. Lists come sorted by their etcd key (``<namespace>/<name>``, or the name
for cluster-scoped kinds), the order in which kube-apiserver lists them.

Nothing here invents lineage: which control-plane node stores an object is the collector's
inference, so no annotation says it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd

from residency.sample import (
    ACME_SERVER,
    CLUSTER_SCOPED,
    DATADOG_AGENT_IMAGE,
    DATADOG_SITE,
    OTEL_GATEWAY_ENDPOINT,
    OTEL_GATEWAY_LOKI,
    OTLP_ENV_ENDPOINT,
    PROMETHEUS_REMOTE_WRITE,
    Estate,
    SampleSource,
)

__all__ = [
    "CLUSTER_SOURCE",
    "COLLECTOR_USER",
    "RESOURCES",
    "SERVER_VERSION",
    "Failure",
    "KubeObject",
    "ResourceType",
    "SampleCluster",
    "cluster_objects",
    "etcd_key",
    "resource_type",
    "sample_cluster",
]

CLUSTER_SOURCE: Final = "kube-prod"
# The identity a bearer token of the sample cluster authenticates as.
COLLECTOR_USER: Final = "system:serviceaccount:residency:collector"

# What ``/version`` answers: the control plane runs the nodes' kubelet release.
SERVER_VERSION: Final[Mapping[str, str]] = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.4",
    "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
    "gitTreeState": "clean",
    "buildDate": "2024-12-10T18:36:29Z",
    "goVersion": "go1.22.10",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    """One resource of the API: where it is served and how it is named."""

    group: str  # "" for the core group
    version: str
    resource: str  # the plural in the URL
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Field selectors the API supports beyond metadata.name and metadata.namespace,
    # in the order of ``KubeObject.fields``.
    selectable_fields: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``pods``, ``deployments.apps``: the name kubectl gives a resource."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


_POD_FIELDS: Final = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
)

RESOURCES: Final[tuple[ResourceType, ...]] = (
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "namespaces", "Namespace", False, ("ns",), (), ("status.phase",)),
    ResourceType("", "v1", "nodes", "Node", False, ("no",), (), ("spec.unschedulable",)),
    ResourceType("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
    ResourceType("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",)),
    ResourceType("", "v1", "pods", "Pod", True, ("po",), ("all",), _POD_FIELDS),
    ResourceType("", "v1", "secrets", "Secret", True, (), (), ("type",)),
    ResourceType("", "v1", "services", "Service", True, ("svc",), ("all",)),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
        categories=("api-extensions",),
    ),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
        categories=("api-extensions",),
    ),
    ResourceType(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        False,
        categories=("api-extensions",),
    ),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",)),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",)),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",)),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",)),
    # The sample cluster runs no Jobs, but like every real cluster it serves the batch API.
    ResourceType("batch", "v1", "cronjobs", "CronJob", True, ("cj",), ("all",)),
    ResourceType("batch", "v1", "jobs", "Job", True, (), ("all",)),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",)),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
    ResourceType("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    # A CRD (the CSI external snapshotter's), served as kube-apiserver serves installed CRDs.
    ResourceType(
        "velero.io", "v1", "backupstoragelocations", "BackupStorageLocation", True, ("bsl",)
    ),
    ResourceType("cert-manager.io", "v1", "clusterissuers", "ClusterIssuer", False, ("ciss",)),
    ResourceType("cert-manager.io", "v1", "issuers", "Issuer", True, ("iss",)),
    ResourceType(
        "snapshot.storage.k8s.io",
        "v1",
        "volumesnapshotclasses",
        "VolumeSnapshotClass",
        False,
        ("vsclass", "vsclasses"),
    ),
    # Telemetry agents' CRDs (OpenTelemetry Operator, Prometheus Operator); the operators
    # install PrometheusAgent too, of which the cluster has none.
    ResourceType(
        "opentelemetry.io",
        "v1beta1",
        "opentelemetrycollectors",
        "OpenTelemetryCollector",
        True,
        ("otelcol", "otelcols"),
    ),
    ResourceType("monitoring.coreos.com", "v1", "prometheuses", "Prometheus", True, ("prom",)),
    ResourceType("monitoring.coreos.com", "v1alpha1", "prometheusagents", "PrometheusAgent", True),
)

_BY_KEY: Final = {r.key: r for r in RESOURCES}


def resource_type(key: str) -> ResourceType:
    """The resource named ``key`` (``pods``, ``deployments.apps``, …)."""
    return _BY_KEY[key]


class KubeObject(NamedTuple):
    """One object, serialised, with what list filtering needs beside its bytes."""

    namespace: str  # "" for cluster-scoped objects
    name: str
    raw: bytes  # the object's JSON, exactly as a GET returns it
    labels: Mapping[str, str]
    fields: tuple[str, ...] = ()  # values of the resource's ``selectable_fields``

    def as_dict(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


def etcd_key(obj: KubeObject) -> str:
    """The object's key below its resource prefix in etcd; lists are sorted by it."""
    return f"{obj.namespace}/{obj.name}" if obj.namespace else obj.name


@dataclass(frozen=True)
class Failure:
    """A list the API cannot answer: the status code and message kube-apiserver would send."""

    code: int = 500
    message: str = "etcdserver: request timed out"
    delay_s: float = 0.0  # how long the request hangs before the answer

    @property
    def reason(self) -> str:
        return {504: "Timeout", 503: "ServiceUnavailable", 429: "TooManyRequests"}.get(
            self.code, "InternalError"
        )


@dataclass(frozen=True)
class SampleCluster:
    """Everything a local API server needs to stand in for the sample cluster."""

    objects: dict[str, list[KubeObject]]
    resource_version: int
    forbidden: frozenset[str] = frozenset()
    failing: Mapping[str, Failure] = field(default_factory=dict)
    issuer: str | None = None  # the service-account issuer its discovery document names


# -- helpers ---------------------------------------------------------------------------------

_EPOCH: Final = np.datetime64("2025-03-03T08:15:00", "s")  # the cluster's creation
_SAFE_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for name suffixes
_HEX_TO_SAFE: Final = str.maketrans("0123456789abcdef", "bcdfghjklmnpqrst")
_UID_NAMESPACE: Final = uuid.UUID("6f1e0c2a-5b8d-4d7e-9a3c-2b4f6e8d0a1c")


def _dump(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _q(value: str) -> str:
    """A JSON string literal."""
    return json.dumps(value, ensure_ascii=False)


def _stamps(offsets_s: Iterable[int] | np.ndarray[Any, Any]) -> list[str]:
    """RFC 3339 timestamps ``offsets_s`` seconds after the cluster's creation."""
    seconds = np.asarray(offsets_s, dtype=np.int64).astype("timedelta64[s]")
    text = np.datetime_as_string(_EPOCH + seconds, unit="s")
    return [f"{t}Z" for t in text.tolist()]


def _suffix(text: str, length: int = 10) -> str:
    """A stable name suffix in Kubernetes' alphabet (like a pod-template-hash)."""
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in digest[:length])


def _uid(*parts: str) -> str:
    """A stable uid for objects the frames do not list (ReplicaSets, namespaces)."""
    return str(uuid.uuid5(_UID_NAMESPACE, "/".join(parts)))


class _Versions:
    """resourceVersions in creation order, as etcd's revision counter hands them out."""

    def __init__(self, start: int = 1200) -> None:
        self.next = start

    def take(self, n: int) -> list[int]:
        block = list(range(self.next, self.next + 7 * n, 7))
        self.next += 7 * n + 3
        return block


def _obj(namespace: str, name: str, body: Mapping[str, Any], **extra: Any) -> KubeObject:
    labels = body.get("metadata", {}).get("labels") or {}
    return KubeObject(namespace, name, _dump(body), labels, **extra)


def _sorted(objects: Iterable[KubeObject]) -> list[KubeObject]:
    return sorted(objects, key=etcd_key)


# -- nodes -----------------------------------------------------------------------------------

_NODE_NETS: Final = {"fra1": "10.10", "ams1": "10.20", "eu-central-1": "10.30"}
_NODE_CONDITIONS: Final = (
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


@dataclass(frozen=True)
class _NodeFacts:
    internal_ip: list[str]
    pod_cidr_prefix: list[str]  # "10.64.3." for 10.64.3.0/24
    index: dict[str, int]


def _node_facts(nodes: pd.DataFrame) -> _NodeFacts:
    ips, prefixes = [], []
    for k, region in enumerate(nodes["region"].tolist()):
        net = _NODE_NETS.get(region or "", "10.40")
        ips.append(f"{net}.{(k // 250) % 256}.{k % 250 + 4}")
        prefixes.append(f"10.{64 + (k // 256) % 128}.{k % 256}.")
    return _NodeFacts(ips, prefixes, {n: i for i, n in enumerate(nodes["name"].tolist())})


def _flavors(estate: Estate) -> dict[str, str]:
    """Server asset_id → flavor, from the OpenStack clouds that host the nodes."""
    out: dict[str, str] = {}
    for src in estate.sources:
        servers = src.frames.get("server")
        if src.platform == "openstack" and servers is not None and "flavor" in servers:
            out.update(zip(servers["asset_id"].tolist(), servers["flavor"].tolist(), strict=True))
    return out


def _render_nodes(
    estate: Estate, nodes: pd.DataFrame, facts: _NodeFacts, versions: _Versions
) -> list[KubeObject]:
    flavors = _flavors(estate)
    created = _stamps(np.arange(len(nodes)) * 97 + 60)
    heartbeat = _stamps([262 * 86400])[0]
    out = []
    for k, (row, rv) in enumerate(
        zip(nodes.itertuples(index=False), versions.take(len(nodes)), strict=True)
    ):
        name, region, zone, pool = str(row.name), row.region, row.zone, str(row.pool)
        provider_id = row.provider_id if isinstance(row.provider_id, str) else None
        digest = hashlib.sha256(f"node/{row.asset_id}".encode()).hexdigest()
        arm = pool == "edge"
        arch = "arm64" if arm else "amd64"
        labels: dict[str, str] = {
            "beta.kubernetes.io/arch": arch,
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch,
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
        }
        annotations = {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        }
        spec: dict[str, Any] = {
            "podCIDR": f"{facts.pod_cidr_prefix[k]}0/24",
            "podCIDRs": [f"{facts.pod_cidr_prefix[k]}0/24"],
        }
        if provider_id:
            spec["providerID"] = provider_id
        if pool == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            spec["taints"] = [
                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
            ]
        else:
            labels["node.kubernetes.io/pool"] = pool
        instance_type = None
        if provider_id and provider_id.startswith("openstack://"):
            server_id = provider_id.rsplit("/", 1)[-1]
            instance_type = flavors.get(server_id)
            annotations["csi.volume.kubernetes.io/nodeid"] = json.dumps(
                {"cinder.csi.openstack.org": server_id}, separators=(",", ":")
            )
            if isinstance(zone, str):
                labels["topology.cinder.csi.openstack.org/zone"] = zone
        elif provider_id and provider_id.startswith("aws://"):
            instance_type = "m6i.2xlarge"
        if instance_type:
            labels["beta.kubernetes.io/instance-type"] = instance_type
            labels["node.kubernetes.io/instance-type"] = instance_type
        if isinstance(region, str):
            labels["topology.kubernetes.io/region"] = region
            if region == "ams1":  # the older pool still carries the deprecated labels
                labels["failure-domain.beta.kubernetes.io/region"] = region
        if isinstance(zone, str):
            labels["topology.kubernetes.io/zone"] = zone
            if region == "ams1":
                labels["failure-domain.beta.kubernetes.io/zone"] = zone
        if pool == "burst":
            os_image, kernel = "Amazon Linux 2023.6.20241212", "6.1.119-129.201.amzn2023.x86_64"
        elif arm:
            os_image, kernel = "Ubuntu 24.04.1 LTS", "6.8.0-1017-raspi"
        else:
            os_image, kernel = "Debian GNU/Linux 12 (bookworm)", "6.1.0-28-cloud-amd64"
        cpu, memory = ("4", "8025672Ki") if arm else ("8", "32863332Ki")
        addresses = [{"type": "InternalIP", "address": facts.internal_ip[k]}]
        if pool == "burst":
            dns = f"ip-{facts.internal_ip[k].replace('.', '-')}.{region}.compute.internal"
            addresses += [{"type": "InternalDNS", "address": dns}]
        addresses += [{"type": "Hostname", "address": name}]
        capacity = {
            "cpu": cpu,
            "ephemeral-storage": "101430960Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": memory,
            "pods": "110",
        }
        body = {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": row.asset_id,
                "resourceVersion": str(rv),
                "creationTimestamp": created[k],
                "labels": labels,
                "annotations": annotations,
            },
            "spec": spec,
            "status": {
                "capacity": capacity,
                "allocatable": {**capacity, "cpu": f"{int(cpu) * 1000 - 100}m"},
                "conditions": [
                    {
                        "type": kind,
                        "status": status,
                        "lastHeartbeatTime": heartbeat,
                        "lastTransitionTime": created[k],
                        "reason": reason,
                        "message": message,
                    }
                    for kind, status, reason, message in _NODE_CONDITIONS
                ],
                "addresses": addresses,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": digest[:32],
                    "systemUUID": str(uuid.UUID(digest[32:])),
                    "bootID": _uid("boot", str(row.asset_id)),
                    "kernelVersion": kernel,
                    "osImage": os_image,
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "kubeletVersion": str(row.kubelet_version),
                    "kubeProxyVersion": str(row.kubelet_version),
                    "operatingSystem": "linux",
                    "architecture": arch,
                },
            },
        }
        out.append(_obj("", name, body, fields=("false",)))
    return out


# -- pods and their owners -------------------------------------------------------------------


@dataclass(frozen=True)
class _Image:
    """How a pod runs one of the sample images: the container around it."""

    container: str
    port: int
    port_name: str
    cpu: tuple[str, str]  # request, limit
    memory: tuple[str, str]
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    secret_env: tuple[tuple[str, str, str], ...] = ()  # variable, Secret name, key
    pull_secret: str | None = None


_IMAGES: Final[Mapping[str, _Image]] = {
    "registry.nordlys.example/shop/web:1.4": _Image(
        "web",
        8080,
        "http",
        ("250m", "1"),
        ("256Mi", "512Mi"),
        env=(
            ("LOG_LEVEL", "info"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_ENV_ENDPOINT),
            ("OTEL_SERVICE_NAME", "shop-web"),
        ),
        secret_env=(("DATABASE_PASSWORD", "shop-db-credentials", "password"),),
        pull_secret="nordlys-registry",
    ),
    "docker.io/library/nginx:1.27": _Image(
        "nginx", 80, "http", ("100m", "500m"), ("64Mi", "256Mi"), env=(("NGINX_PORT", "80"),)
    ),
    "quay.io/prometheus/prometheus:v2.53.0": _Image(
        "prometheus",
        9090,
        "web",
        ("500m", "2"),
        ("2Gi", "4Gi"),
        args=(
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=15d",
            "--web.enable-lifecycle",
        ),
    ),
    # The Datadog agent, its site set by environment (as its DaemonSet manifests do); the API
    # key comes from a Secret, which is never read.
    DATADOG_AGENT_IMAGE: _Image(
        "agent",
        8125,
        "dogstatsdport",
        ("200m", "500m"),
        ("256Mi", "512Mi"),
        env=(("DD_SITE", DATADOG_SITE), ("DD_LOGS_ENABLED", "true")),
        secret_env=(("DD_API_KEY", "datadog-secret", "api-key"),),
    ),
}
_GENERIC_IMAGE: Final = _Image("app", 8080, "http", ("100m", "1"), ("128Mi", "512Mi"))


def _image_id(image: str) -> str:
    """The digest reference a container runtime reports for ``image`` (stable, made up)."""
    head, _, tag = image.rpartition(":")
    repository = head if head and "/" not in tag else image
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _container_spec(image: str, spec: _Image) -> tuple[str, str]:
    """A container's JSON around the service-account mount's name: (before, after) it."""
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in spec.env]
    env += [
        {"name": k, "valueFrom": {"secretKeyRef": {"name": s, "key": key}}}
        for k, s, key in spec.secret_env
    ]
    env += [
        {
            "name": "POD_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
        }
    ]
    head: dict[str, Any] = {"name": spec.container, "image": image}
    if spec.args:
        head["args"] = list(spec.args)
    head["ports"] = [{"name": spec.port_name, "containerPort": spec.port, "protocol": "TCP"}]
    head["env"] = env
    head["resources"] = {
        "limits": {"cpu": spec.cpu[1], "memory": spec.memory[1]},
        "requests": {"cpu": spec.cpu[0], "memory": spec.memory[0]},
    }
    probe = {
        "httpGet": {"path": "/healthz", "port": spec.port_name, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    tail = {
        "readinessProbe": probe,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }
    before = _dump(head).decode()[:-1] + ',"volumeMounts":[{"name":"kube-api-access-'
    mount = '","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],'
    return before, mount + _dump(tail).decode()[1:]


# Pods are written from these templates (``%`` formatting: JSON braces need no escaping).
_POD: Final = (
    '{"kind":"Pod","apiVersion":"v1","metadata":{"name":%(name)s,"namespace":%(namespace)s,'
    '"uid":"%(uid)s","resourceVersion":"%(rv)d","creationTimestamp":"%(created)s",'
    '"labels":%(labels)s,"annotations":{"kubectl.kubernetes.io/default-container":'
    '"%(container)s"},'
    '"ownerReferences":[{"apiVersion":"apps/v1","kind":"%(owner_kind)s",'
    '"name":"%(owner_name)s","uid":"%(owner_uid)s","controller":true,'
    '"blockOwnerDeletion":true}]},'
    '"spec":{"volumes":[{"name":"kube-api-access-%(token)s","projected":{"sources":['
    '{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},'
    '{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},'
    '{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1",'
    '"fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}%(extra_volumes)s],'
    '%(init_containers)s"containers":[%(main)s%(sidecar)s],"restartPolicy":"Always",'
    '"terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",'
    '"serviceAccountName":"default","serviceAccount":"default","nodeName":%(node)s,'
    '"securityContext":{},%(pull_secrets)s'
    '"schedulerName":"default-scheduler","tolerations":['
    '{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute",'
    '"tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists",'
    '"effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,'
    '"preemptionPolicy":"PreemptLowerPriority"},'
    '"status":{"phase":"Running","conditions":['
    '{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,'
    '"lastTransitionTime":"%(started)s"},{"type":"Initialized","status":"True",'
    '"lastProbeTime":null,"lastTransitionTime":"%(started)s"},{"type":"Ready","status":"True",'
    '"lastProbeTime":null,"lastTransitionTime":"%(ready)s"},{"type":"ContainersReady",'
    '"status":"True","lastProbeTime":null,"lastTransitionTime":"%(ready)s"},'
    '{"type":"PodScheduled","status":"True","lastProbeTime":null,'
    '"lastTransitionTime":"%(created)s"}],"hostIP":"%(host_ip)s","hostIPs":[{"ip":"%(host_ip)s"}],'
    '"podIP":"%(pod_ip)s","podIPs":[{"ip":"%(pod_ip)s"}],"startTime":"%(created)s",'
    '%(init_statuses)s"containerStatuses":[{"name":"%(container)s","state":{"running":'
    '{"startedAt":"%(ready)s"}},"lastState":{},"ready":true,"restartCount":%(restarts)d,'
    '"image":%(image)s,"imageID":%(image_id)s,"containerID":"containerd://%(digest)s",'
    '"started":true}%(sidecar_status)s],"qosClass":"Burstable"}}'
)
_SIDECAR_IMAGE: Final = "cr.fluentbit.io/fluent/fluent-bit:3.1.9"
_INIT_IMAGE: Final = "docker.io/library/busybox:1.36"
_TERMINATION: Final = (
    '"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",'
    '"imagePullPolicy":"IfNotPresent"'
)
_SIDECAR: Final = (
    ',{"name":"log-shipper","image":"' + _SIDECAR_IMAGE + '",'
    '"args":["--config=/fluent-bit/etc/fluent-bit.conf"],'
    '"resources":{"limits":{"memory":"128Mi"},"requests":{"cpu":"20m","memory":"64Mi"}},'
    '"volumeMounts":[{"name":"varlog","readOnly":true,"mountPath":"/var/log"}],'
    + _TERMINATION
    + "}"
)
_SIDECAR_VOLUME: Final = ',{"name":"varlog","hostPath":{"path":"/var/log","type":""}}'
_SIDECAR_STATUS: Final = (
    ',{"name":"log-shipper","state":{"running":{"startedAt":"%(ready)s"}},"lastState":{},'
    '"ready":true,"restartCount":0,"image":"'
    + _SIDECAR_IMAGE
    + '","imageID":"'
    + _image_id(_SIDECAR_IMAGE)
    + '","containerID":"containerd://%(sidecar_digest)s","started":true}'
)
_INIT: Final = (
    '"initContainers":[{"name":"wait-for-config","image":"' + _INIT_IMAGE + '",'
    '"command":["sh","-c","until nslookup kubernetes.default.svc; do sleep 2; done"],'
    '"resources":{},' + _TERMINATION + "}],"
)
_INIT_STATUS: Final = (
    '"initContainerStatuses":[{"name":"wait-for-config","state":{"terminated":{"exitCode":0,'
    '"reason":"Completed","startedAt":"%(started)s","finishedAt":"%(started)s",'
    '"containerID":"containerd://%(init_digest)s"}},"lastState":{},"ready":true,'
    '"restartCount":0,"image":"'
    + _INIT_IMAGE
    + '","imageID":"'
    + _image_id(_INIT_IMAGE)
    + '","containerID":"containerd://%(init_digest)s","started":false}],'
)


@dataclass(frozen=True)
class _Owner:
    """The controller that owns a group of pods."""

    kind: str  # ReplicaSet, StatefulSet or DaemonSet
    name: str
    uid: str
    namespace: str
    app: str  # the workload's name, value of app.kubernetes.io/name
    labels: Mapping[str, str]  # the labels every pod it owns carries
    workload: int | None  # row of the workload frame, None for a bare ReplicaSet


def _owners(workloads: pd.DataFrame, namespaces: Iterable[str]) -> dict[str, list[_Owner]]:
    """Controllers per namespace: each workload's, and a bare ReplicaSet where there is none."""
    out: dict[str, list[_Owner]] = {}
    rows = workloads.sort_values("name", kind="stable")
    for w, name, ns, kind, uid in zip(
        rows.index.tolist(),
        rows["name"].astype(str).tolist(),
        rows["scope"].astype(str).tolist(),
        rows["workload_kind"].astype(str).tolist(),
        rows["asset_id"].astype(str).tolist(),
        strict=True,
    ):
        base = {"app.kubernetes.io/name": name}
        if kind == "Deployment":
            template_hash = _suffix(f"{uid}/template")
            replica_set = f"{name}-{template_hash}"
            labels = {**base, "pod-template-hash": template_hash}
            owner = _Owner(
                "ReplicaSet", replica_set, _uid("replicaset", ns, replica_set), ns, name, labels, w
            )
        elif kind == "StatefulSet":
            labels = {**base, "controller-revision-hash": f"{name}-{_suffix(f'{uid}/revision')}"}
            owner = _Owner(kind, name, uid, ns, name, labels, w)
        else:
            revision = _suffix(f"{uid}/revision")
            labels = {**base, "controller-revision-hash": revision, "pod-template-generation": "1"}
            owner = _Owner(kind, name, uid, ns, name, labels, w)
        out.setdefault(ns, []).append(owner)
    for ns in namespaces:
        if ns not in out:
            name, template_hash = f"{ns}-worker", _suffix(f"{ns}/bare")
            replica_set = f"{name}-{template_hash}"
            labels = {"app.kubernetes.io/name": name, "pod-template-hash": template_hash}
            uid = _uid("replicaset", ns, replica_set)
            out[ns] = [_Owner("ReplicaSet", replica_set, uid, ns, name, labels, None)]
    return out


def _render_pods(
    pods: pd.DataFrame,
    facts: _NodeFacts,
    owners: dict[str, list[_Owner]],
    versions: _Versions,
    seed: int,
) -> tuple[list[KubeObject], list[_Owner]]:
    """Pods from templates, and each pod's owner (in frame order)."""
    n = len(pods)
    rng = np.random.default_rng([seed, 0x6B756265])  # independent of the estate's stream
    sidecar = (rng.random(n) < 0.15).tolist()
    init = (rng.random(n) < 0.1).tolist()
    quay_secret = (rng.random(n) < 0.4).tolist()
    restarts = np.where(rng.random(n) < 0.9, 0, rng.integers(1, 6, n)).tolist()
    age = 262 * 86400 - rng.integers(3600, 200 * 86400, n)
    created = _stamps(age)
    started = _stamps(age + rng.integers(2, 9, n))
    ready_at = _stamps(age + rng.integers(12, 40, n))
    rvs = versions.take(n)

    names = pods["name"].astype(str).tolist()
    namespaces = pods["scope"].astype(str).tolist()
    uids = pods["asset_id"].astype(str).tolist()
    node_names = pods["node_name"].astype(str).tolist()
    images = pods["image"].astype(str).tolist()
    rank = pods.groupby("scope", sort=False).cumcount().tolist()
    node_index = [facts.index[node] for node in node_names]
    per_node = pd.Series(node_index).groupby(node_index).cumcount().tolist()

    fragments = {i: _container_spec(i, _IMAGES.get(i, _GENERIC_IMAGE)) for i in set(images)}
    image_ids = {i: _q(_image_id(i)) for i in set(images)}
    quoted = {v: _q(v) for v in {*names, *namespaces, *node_names, *images}}
    owner_labels = {id(o): _dump(o.labels).decode() for group in owners.values() for o in group}
    pod_owner: list[_Owner] = []
    out: list[KubeObject] = []
    for i in range(n):
        name, ns, uid, node, image = names[i], namespaces[i], uids[i], node_names[i], images[i]
        group = owners[ns]
        owner = group[rank[i] % len(group)]
        pod_owner.append(owner)
        if owner.kind == "StatefulSet":
            labels: Mapping[str, str] = {
                **owner.labels,
                "statefulset.kubernetes.io/pod-name": name,
            }
            labels_json = _dump(labels).decode()
        else:
            labels, labels_json = owner.labels, owner_labels[id(owner)]
        spec = _IMAGES.get(image, _GENERIC_IMAGE)
        digest = hashlib.sha256(uid.encode()).hexdigest()
        token = digest[:5].translate(_HEX_TO_SAFE)
        host = node_index[i]
        pod_ip = f"{facts.pod_cidr_prefix[host]}{per_node[i] % 250 + 2}"
        before, after = fragments[image]
        pull = spec.pull_secret or (
            "quay-pull" if quay_secret[i] and image.startswith("quay.io/") else None
        )
        values: dict[str, Any] = {
            "name": quoted[name],
            "namespace": quoted[ns],
            "uid": uid,
            "rv": rvs[i],
            "created": created[i],
            "started": started[i],
            "ready": ready_at[i],
            "labels": labels_json,
            "container": spec.container,
            "owner_kind": owner.kind,
            "owner_name": owner.name,
            "owner_uid": owner.uid,
            "token": token,
            "main": before + token + after,
            "node": quoted[node],
            "pull_secrets": f'"imagePullSecrets":[{{"name":"{pull}"}}],' if pull else "",
            "host_ip": facts.internal_ip[host],
            "pod_ip": pod_ip,
            "restarts": restarts[i],
            "image": quoted[image],
            "image_id": image_ids[image],
            "digest": digest,
            "sidecar_digest": digest[::-1],
            "init_digest": digest[32:] + digest[:32],
        }
        if sidecar[i]:
            values["extra_volumes"], values["sidecar"] = _SIDECAR_VOLUME, _SIDECAR
            values["sidecar_status"] = _SIDECAR_STATUS % values
        else:
            values["extra_volumes"] = values["sidecar"] = values["sidecar_status"] = ""
        if init[i]:
            values["init_containers"], values["init_statuses"] = _INIT, _INIT_STATUS % values
        else:
            values["init_containers"] = values["init_statuses"] = ""
        fields = (node, "Always", "default-scheduler", "default", "false", "Running", pod_ip, "")
        out.append(KubeObject(ns, name, (_POD % values).encode(), labels, fields))
    return out, pod_owner


# -- workloads -------------------------------------------------------------------------------


def _pod_template(owner: _Owner, image: str) -> dict[str, Any]:
    spec = _IMAGES.get(image, _GENERIC_IMAGE)
    labels = {k: v for k, v in owner.labels.items() if k != "statefulset.kubernetes.io/pod-name"}
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {
                    "name": spec.container,
                    "image": image,
                    "ports": [
                        {"name": spec.port_name, "containerPort": spec.port, "protocol": "TCP"}
                    ],
                    "resources": {
                        "limits": {"cpu": spec.cpu[1], "memory": spec.memory[1]},
                        "requests": {"cpu": spec.cpu[0], "memory": spec.memory[0]},
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        },
    }


def _render_workloads(
    workloads: pd.DataFrame,
    pods: pd.DataFrame,
    pod_owner: list[_Owner],
    owners: dict[str, list[_Owner]],
    versions: _Versions,
) -> dict[str, list[KubeObject]]:
    """Deployments, StatefulSets, DaemonSets, and the ReplicaSets of Deployments."""
    replicas: dict[int, int] = {}
    first_image: dict[int, str] = {}
    for owner, image in zip(pod_owner, pods["image"].astype(str).tolist(), strict=True):
        replicas[id(owner)] = replicas.get(id(owner), 0) + 1
        first_image.setdefault(id(owner), image)
    all_owners = [o for group in owners.values() for o in group]
    rows: dict[Any, dict[Any, Any]] = workloads.to_dict("index")
    created = _stamps(np.arange(len(all_owners)) * 3607 + 86400)
    rvs = versions.take(2 * len(all_owners))
    out: dict[str, list[KubeObject]] = {
        "deployments.apps": [],
        "statefulsets.apps": [],
        "daemonsets.apps": [],
        "replicasets.apps": [],
    }
    for k, owner in enumerate(all_owners):
        count = replicas.get(id(owner), 0)
        image = first_image.get(id(owner), "docker.io/library/nginx:1.27")
        template = _pod_template(owner, image)
        row = None if owner.workload is None else rows[owner.workload]
        ns = owner.namespace
        selector = {"matchLabels": {"app.kubernetes.io/name": owner.app}}
        metadata = {
            "name": owner.app,
            "namespace": ns,
            "uid": str(row["asset_id"]) if row is not None else "",
            "resourceVersion": str(rvs[2 * k]),
            "generation": 1,
            "creationTimestamp": created[k],
            "labels": {"app.kubernetes.io/name": owner.app, "app.kubernetes.io/managed-by": "Helm"},
        }
        ready = {"readyReplicas": count, "availableReplicas": count} if count else {}
        if owner.kind == "ReplicaSet" and row is not None:
            deployment = {
                "kind": "Deployment",
                "apiVersion": "apps/v1",
                "metadata": {**metadata, "annotations": {"deployment.kubernetes.io/revision": "1"}},
                "spec": {
                    "replicas": count,
                    "selector": selector,
                    "template": template,
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                    },
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                },
                "status": {
                    "observedGeneration": 1,
                    "replicas": count,
                    "updatedReplicas": count,
                    **ready,
                    "conditions": [
                        {
                            "type": "Available",
                            "status": "True",
                            "lastUpdateTime": created[k],
                            "lastTransitionTime": created[k],
                            "reason": "MinimumReplicasAvailable",
                            "message": "Deployment has minimum availability.",
                        },
                        {
                            "type": "Progressing",
                            "status": "True",
                            "lastUpdateTime": created[k],
                            "lastTransitionTime": created[k],
                            "reason": "NewReplicaSetAvailable",
                            "message": f'ReplicaSet "{owner.name}" has successfully progressed.',
                        },
                    ],
                },
            }
            out["deployments.apps"].append(_obj(ns, owner.app, deployment))
        if owner.kind == "ReplicaSet":
            references = (
                [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": owner.app,
                        "uid": metadata["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ]
                if row is not None
                else []
            )
            rs_meta: dict[str, Any] = {
                **metadata,
                "name": owner.name,
                "uid": owner.uid,
                "resourceVersion": str(rvs[2 * k + 1]),
                "labels": dict(owner.labels),
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(count),
                    "deployment.kubernetes.io/max-replicas": str(count + max(1, count // 4)),
                    "deployment.kubernetes.io/revision": "1",
                },
            }
            if references:
                rs_meta["ownerReferences"] = references
            replica_set = {
                "kind": "ReplicaSet",
                "apiVersion": "apps/v1",
                "metadata": rs_meta,
                "spec": {
                    "replicas": count,
                    "selector": {"matchLabels": dict(owner.labels)},
                    "template": template,
                },
                "status": {
                    "replicas": count,
                    "fullyLabeledReplicas": count,
                    **ready,
                    "observedGeneration": 1,
                },
            }
            out["replicasets.apps"].append(_obj(ns, owner.name, replica_set))
        elif owner.kind == "StatefulSet":
            revision = owner.labels["controller-revision-hash"]
            statefulset = {
                "kind": "StatefulSet",
                "apiVersion": "apps/v1",
                "metadata": metadata,
                "spec": {
                    "replicas": count,
                    "selector": selector,
                    "template": template,
                    "serviceName": owner.app,
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"partition": 0},
                    },
                    "revisionHistoryLimit": 10,
                    "persistentVolumeClaimRetentionPolicy": {
                        "whenDeleted": "Retain",
                        "whenScaled": "Retain",
                    },
                },
                "status": {
                    "observedGeneration": 1,
                    "replicas": count,
                    **({"readyReplicas": count} if count else {}),
                    "currentReplicas": count,
                    "updatedReplicas": count,
                    "currentRevision": revision,
                    "updateRevision": revision,
                    "collisionCount": 0,
                    **({"availableReplicas": count} if count else {}),
                },
            }
            out["statefulsets.apps"].append(_obj(ns, owner.app, statefulset))
        elif owner.kind == "DaemonSet":
            daemonset = {
                "kind": "DaemonSet",
                "apiVersion": "apps/v1",
                "metadata": {
                    **metadata,
                    "annotations": {"deprecated.daemonset.template.generation": "1"},
                },
                "spec": {
                    "selector": selector,
                    "template": template,
                    "updateStrategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
                    },
                    "revisionHistoryLimit": 10,
                },
                "status": {
                    "currentNumberScheduled": count,
                    "numberMisscheduled": 0,
                    "desiredNumberScheduled": count,
                    "numberReady": count,
                    "observedGeneration": 1,
                    "updatedNumberScheduled": count,
                    **({"numberAvailable": count} if count else {}),
                },
            }
            out["daemonsets.apps"].append(_obj(ns, owner.app, daemonset))
    return {key: _sorted(objs) for key, objs in out.items()}


# -- storage ---------------------------------------------------------------------------------

_CSI: Final = "cinder.csi.openstack.org"
_ZONE_KEY: Final = "topology.cinder.csi.openstack.org/zone"


def _volume_sizes(estate: Estate) -> dict[str, str]:
    """Cinder volume asset_id → size in GiB, from the OpenStack clouds."""
    out: dict[str, str] = {}
    for src in estate.sources:
        volumes = src.frames.get("volume")
        if src.platform == "openstack" and volumes is not None and "size_gb" in volumes:
            out.update(zip(volumes["asset_id"].tolist(), volumes["size_gb"].tolist(), strict=True))
    return out


def _class_for(region: Any, classes: list[str]) -> str:
    wanted = f"csi-cinder-{region}"
    return wanted if wanted in classes else (classes[0] if classes else "standard")


def _render_storage(
    estate: Estate, src: SampleSource, versions: _Versions
) -> dict[str, list[KubeObject]]:
    pvs, pvcs = src.frames["persistent_volume"], src.frames["persistent_volume_claim"]
    classes = sorted(src.frames["storage_class"]["name"].astype(str).tolist())
    sizes = _volume_sizes(estate)
    claims = {str(r.parent_id): r for r in pvcs.itertuples(index=False)}
    out: dict[str, list[KubeObject]] = {
        "persistentvolumes": [],
        "persistentvolumeclaims": [],
        "storageclasses.storage.k8s.io": [],
    }
    class_rows = src.frames["storage_class"]
    class_created = _stamps(np.arange(len(class_rows)) * 61 + 3600)
    for k, (row, rv) in enumerate(
        zip(class_rows.itertuples(index=False), versions.take(len(class_rows)), strict=True)
    ):
        name = str(row.name)
        region = name.removeprefix("csi-cinder-")
        zones = src.regions.get(region, [])
        body: dict[str, Any] = {
            "kind": "StorageClass",
            "apiVersion": "storage.k8s.io/v1",
            "metadata": {
                "name": name,
                "uid": row.asset_id,
                "resourceVersion": str(rv),
                "creationTimestamp": class_created[k],
                "annotations": {"storageclass.kubernetes.io/is-default-class": str(k == 0).lower()},
            },
            "provisioner": _CSI,
            "parameters": {"csi.storage.k8s.io/fstype": "ext4"},
            "reclaimPolicy": "Delete",
            "allowVolumeExpansion": True,
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        if zones:
            body["allowedTopologies"] = [
                {"matchLabelExpressions": [{"key": _ZONE_KEY, "values": list(zones)}]}
            ]
        out["storageclasses.storage.k8s.io"].append(_obj("", name, body))

    created = _stamps(np.arange(len(pvs)) * 5413 + 7 * 86400)
    rvs = versions.take(2 * len(pvs))
    for k, pv in enumerate(pvs.itertuples(index=False)):
        claim = claims.get(str(pv.asset_id))
        size = f"{sizes.get(str(pv.parent_id), '10')}Gi"
        storage_class = _class_for(pv.region, classes)
        labels = {}
        if isinstance(pv.region, str):
            labels["topology.kubernetes.io/region"] = pv.region
        if isinstance(pv.zone, str):
            labels["topology.kubernetes.io/zone"] = pv.zone
        spec: dict[str, Any] = {
            "capacity": {"storage": size},
            "csi": {
                "driver": str(pv.csi_driver),
                "volumeHandle": str(pv.volume_handle),
                "fsType": "ext4",
                "volumeAttributes": {
                    "storage.kubernetes.io/csiProvisionerIdentity": f"1741000000000-8081-{_CSI}"
                },
            },
            "accessModes": ["ReadWriteOnce"],
        }
        if claim is not None:
            spec["claimRef"] = {
                "kind": "PersistentVolumeClaim",
                "namespace": str(claim.scope),
                "name": str(claim.name),
                "uid": str(claim.asset_id),
                "apiVersion": "v1",
                "resourceVersion": str(rvs[2 * k + 1]),
            }
        spec["persistentVolumeReclaimPolicy"] = "Delete"
        spec["storageClassName"] = storage_class
        spec["volumeMode"] = "Filesystem"
        if isinstance(pv.zone, str):
            spec["nodeAffinity"] = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": _ZONE_KEY, "operator": "In", "values": [pv.zone]}
                            ]
                        }
                    ]
                }
            }
        body = {
            "kind": "PersistentVolume",
            "apiVersion": "v1",
            "metadata": {
                "name": str(pv.name),
                "uid": str(pv.asset_id),
                "resourceVersion": str(rvs[2 * k]),
                "creationTimestamp": created[k],
                "labels": labels,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": _CSI,
                    "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                    "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
                },
                "finalizers": [
                    "external-provisioner.volume.kubernetes.io/finalizer",
                    "kubernetes.io/pv-protection",
                ],
            },
            "spec": spec,
            "status": {
                "phase": "Bound" if claim is not None else "Available",
                "lastPhaseTransitionTime": created[k],
            },
        }
        out["persistentvolumes"].append(_obj("", str(pv.name), body))
        if claim is None:
            continue
        claim_body = {
            "kind": "PersistentVolumeClaim",
            "apiVersion": "v1",
            "metadata": {
                "name": str(claim.name),
                "namespace": str(claim.scope),
                "uid": str(claim.asset_id),
                "resourceVersion": str(rvs[2 * k + 1]),
                "creationTimestamp": created[k],
                "labels": {"app.kubernetes.io/name": str(claim.name)},
                "annotations": {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": _CSI,
                    "volume.kubernetes.io/storage-provisioner": _CSI,
                },
                "finalizers": ["kubernetes.io/pvc-protection"],
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
                "volumeName": str(pv.name),
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
            },
            "status": {
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": size},
            },
        }
        out["persistentvolumeclaims"].append(_obj(str(claim.scope), str(claim.name), claim_body))
    return {key: _sorted(objs) for key, objs in out.items()}


# -- network and control plane ---------------------------------------------------------------

# name → (type, port, target port, port name)
_SERVICES: Final[Mapping[str, tuple[str, int, int, str]]] = {
    "shop-web": ("ClusterIP", 80, 8080, "http"),
    "payments-api": ("ClusterIP", 443, 8443, "https"),
    "grafana": ("LoadBalancer", 80, 3000, "http"),
    "prometheus": ("ClusterIP", 9090, 9090, "web"),
    "metrics-server": ("ClusterIP", 443, 10250, "https"),
    "metrics-adapter": ("ExternalName", 443, 443, "https"),
}


def _public_addresses(estate: Estate) -> list[str]:
    """Floating IPs of the private cloud: where its load balancers answer."""
    for src in estate.sources:
        fips = src.frames.get("floating_ip")
        if src.platform == "openstack" and src.provider is None and fips is not None:
            return sorted(set(fips["address"].astype(str).tolist()))
    return ["203.0.113.10", "203.0.113.11"]


def _meta(row: Any, namespace: str | None, rv: int, created: str, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": str(row.name)}
    if namespace:
        metadata["namespace"] = namespace
    metadata |= {"uid": str(row.asset_id), "resourceVersion": str(rv), "creationTimestamp": created}
    metadata |= extra
    return metadata


def _render_services(
    estate: Estate, src: SampleSource, versions: _Versions
) -> dict[str, list[KubeObject]]:
    public = _public_addresses(estate)
    services, ingresses = src.frames["service"], src.frames["ingress"]
    out: dict[str, list[KubeObject]] = {"services": [], "ingresses.networking.k8s.io": []}
    created = _stamps(np.arange(len(services)) * 131 + 2 * 86400)
    for k, (row, rv) in enumerate(
        zip(services.itertuples(index=False), versions.take(len(services)), strict=True)
    ):
        name, ns = str(row.name), str(row.scope)
        kind, port, target, port_name = _SERVICES.get(name, ("ClusterIP", 80, 8080, "http"))
        cluster_ip = f"10.96.{(k * 37 + 11) % 250 + 2}.{(k * 53 + 7) % 250 + 2}"
        port_spec: dict[str, Any] = {
            "name": port_name,
            "protocol": "TCP",
            "port": port,
            "targetPort": target,
        }
        spec: dict[str, Any] = {"ports": [port_spec], "selector": {"app.kubernetes.io/name": name}}
        spec |= {"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "type": kind}
        spec |= {"sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"}
        status: dict[str, Any] = {"loadBalancer": {}}
        annotations: dict[str, str] = {}
        if kind == "ExternalName":  # a DNS alias: no selector, no cluster IP
            spec = {"ports": [port_spec], "type": kind, "externalName": str(row.external_name)}
            spec["sessionAffinity"] = "None"
        elif kind == "LoadBalancer":
            port_spec["nodePort"] = 30000 + (k * 977) % 2767
            spec |= {"externalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": True}
            address = public[k % len(public)]
            status = {"loadBalancer": {"ingress": [{"ip": address, "ipMode": "VIP"}]}}
            annotations["loadbalancer.openstack.org/load-balancer-address"] = address
        if kind != "ExternalName":
            spec["internalTrafficPolicy"] = "Cluster"
        body = {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": _meta(
                row,
                ns,
                rv,
                created[k],
                labels={"app.kubernetes.io/name": name},
                **({"annotations": annotations} if annotations else {}),
            ),
            "spec": spec,
            "status": status,
        }
        out["services"].append(_obj(ns, name, body))
    service_names = set(services["name"].astype(str).tolist())
    created = _stamps(np.arange(len(ingresses)) * 173 + 3 * 86400)
    controller_ip = public[-1]
    for k, (row, rv) in enumerate(
        zip(ingresses.itertuples(index=False), versions.take(len(ingresses)), strict=True)
    ):
        name, ns = str(row.name), str(row.scope)
        backend = next((s for s in (f"{name}-web", name) if s in service_names), name)
        host = f"{name}.nordlys.example"
        body = {
            "kind": "Ingress",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": _meta(
                row,
                ns,
                rv,
                created[k],
                annotations={"cert-manager.io/cluster-issuer": "letsencrypt-production"},
            ),
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": backend, "port": {"number": 80}}
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
            "status": {"loadBalancer": {"ingress": [{"ip": controller_ip}]}},
        }
        out["ingresses.networking.k8s.io"].append(_obj(ns, name, body))
    return {key: _sorted(objs) for key, objs in out.items()}


# kube-apiserver's priorities for its built-in groups (group minimum, version); CRD groups
# get (1000, 100), aggregated ones what their manifest says.
_LOCAL_PRIORITY: Final[Mapping[str, tuple[int, int]]] = {
    "": (18000, 1),
    "apiregistration.k8s.io": (18000, 15),
    "apps": (17800, 15),
    "batch": (17400, 15),
    "networking.k8s.io": (17200, 15),
    "storage.k8s.io": (16800, 15),
    "admissionregistration.k8s.io": (16700, 15),
}
_API_SERVICE: Final = "apiservices.apiregistration.k8s.io"


def _render_api_services(src: SampleSource, versions: _Versions) -> dict[str, list[KubeObject]]:
    """One APIService per group version: local ones (the apiserver's own groups and installed
    CRDs, registered by the apiserver itself) and the estate's aggregated ones, which name the
    Service of the extension API server that the apiserver proxies to."""
    locals_ = sorted({(r.group, r.version) for r in RESOURCES})
    out: list[KubeObject] = []
    for (group, version), rv in zip(locals_, versions.take(len(locals_)), strict=True):
        name = f"{version}.{group}" if group else version
        group_priority, version_priority = _LOCAL_PRIORITY.get(group, (1000, 100))
        managed = "onstart" if group in _LOCAL_PRIORITY else "true"
        spec: dict[str, Any] = {"group": group} if group else {}
        spec |= {"version": version, "groupPriorityMinimum": group_priority}
        spec["versionPriority"] = version_priority
        body = {
            "kind": "APIService",
            "apiVersion": "apiregistration.k8s.io/v1",
            "metadata": {
                "name": name,
                "uid": _uid("apiservice", name),
                "resourceVersion": str(rv),
                "creationTimestamp": _stamps([0 if managed == "onstart" else 4000])[0],
                "labels": {"kube-aggregator.kubernetes.io/automanaged": managed},
            },
            "spec": spec,
            "status": {
                "conditions": [_available("Local", "Local APIServices are always available")]
            },
        }
        out.append(_obj("", name, body))
    aggregated = src.frames["api_service"]
    created = _stamps(np.arange(len(aggregated)) * 97 + 3 * 86400)
    for k, (row, rv) in enumerate(
        zip(aggregated.itertuples(index=False), versions.take(len(aggregated)), strict=True)
    ):
        namespace, _, service = str(row.service).partition("/")
        spec = {
            "service": {"namespace": namespace, "name": service, "port": 443},
            "group": str(row.group),
            "version": str(row.version),
        }
        if row.insecure_skip_tls_verify == "true":
            spec["insecureSkipTLSVerify"] = True
        spec |= {"groupPriorityMinimum": 100, "versionPriority": 100}
        body = {
            "kind": "APIService",
            "apiVersion": "apiregistration.k8s.io/v1",
            "metadata": _meta(
                row, None, rv, created[k], labels={"app.kubernetes.io/name": service}
            ),
            "spec": spec,
            "status": {"conditions": [_available("Passed", "all checks passed")]},
        }
        out.append(_obj("", str(row.name), body))
    return {_API_SERVICE: _sorted(out)}


def _available(reason: str, message: str) -> dict[str, str]:
    return {
        "type": "Available",
        "status": "True",
        "lastTransitionTime": _stamps([60])[0],
        "reason": reason,
        "message": message,
    }


_FLUENT_BIT: Final = """\
[SERVICE]
    Flush         5
    Log_Level     info
    Daemon        off
    Parsers_File  parsers.conf
    HTTP_Server   On
    HTTP_Listen   0.0.0.0
    HTTP_Port     2020

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    multiline.parser  docker, cri
    DB                /var/log/flb_kube.db
    Mem_Buf_Limit     50MB
    Skip_Long_Lines   On
    Refresh_Interval  10

[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_URL            https://kubernetes.default.svc:443
    Kube_CA_File        /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    Kube_Token_File     /var/run/secrets/kubernetes.io/serviceaccount/token
    Kube_Tag_Prefix     kube.var.log.containers.
    Merge_Log           On
    Keep_Log            Off

[OUTPUT]
    Name            opensearch
    Match           kube.*
    Host            logs.fra1.nordlys.example
    Port            9200
    tls             On
    HTTP_User       fluent-bit
    HTTP_Passwd     ${OPENSEARCH_PASSWORD}
    Logstash_Format On
    Logstash_Prefix kube-prod
    Suppress_Type_Name On
    Retry_Limit     5

[OUTPUT]
    Name            loki
    Match           kube.*
    Host            loki.monitoring.svc
    Port            3100
    Labels          job=fluent-bit, namespace=$kubernetes['namespace_name']

[OUTPUT]
    Name              cloudwatch_logs
    Match             kube.payments.*
    region            eu-central-1
    log_group_name    /kube-prod/payments
    log_stream_prefix fluent-bit-
    auto_create_group On
"""

_FLUENT_BIT_PARSERS: Final = """\
[PARSER]
    Name        cri
    Format      regex
    Regex       ^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>[^ ]*) (?<log>.*)$
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%S.%L%z
"""

_OTEL_COLLECTOR: Final = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:MY_POD_IP}:4317
      http:
        endpoint: ${env:MY_POD_IP}:4318
  prometheus:
    config:
      scrape_configs:
        - job_name: kubernetes-pods
          kubernetes_sd_configs:
            - role: pod
processors:
  memory_limiter:
    check_interval: 5s
    limit_percentage: 80
    spike_limit_percentage: 25
  batch:
    send_batch_size: 8192
    timeout: 5s
  k8sattributes:
    extract:
      metadata: [k8s.namespace.name, k8s.pod.name, k8s.node.name]
exporters:
  otlphttp:
    endpoint: https://otlp.telemetry.nordlys.example:4318
    compression: gzip
    headers:
      Authorization: Bearer ${env:OTLP_TOKEN}
  prometheusremotewrite:
    endpoint: https://metrics.ams1.nordlys.example/api/v1/write
  datadog:
    api:
      site: datadoghq.com
      key: ${env:DD_API_KEY}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, k8sattributes, batch]
      exporters: [otlphttp, datadog]
    metrics:
      receivers: [otlp, prometheus]
      processors: [memory_limiter, batch]
      exporters: [prometheusremotewrite]
    logs:
      receivers: [otlp]
      processors: [memory_limiter, k8sattributes, batch]
      exporters: [otlphttp]
"""

# A half-edited agent config: the collector would refuse it, and so can the sweep not say
# where it sends data.
_OTEL_AGENT_BROKEN: Final = """\
exporters:
  otlp:
    endpoint: otel-collector.monitoring.svc:4317
   tls:
    insecure: true
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [otlp]}
"""

_COREFILE: Final = """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . 10.10.0.2 10.10.0.3 {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
nordlys.example:53 {
    errors
    cache 30
    forward . 10.10.0.53
}
"""

# Fluentd (td-agent) as the cluster's log aggregator: application logs to OpenSearch in
# fra1 (inside), audit logs to Datadog EU1 (Frankfurt, but a US-controlled operator).
_FLUENTD: Final = """\
# Aggregator: receives from the node agents' forward outputs.
<system>
  log_level info
</system>

<source>
  @type forward
  port 24224
  bind 0.0.0.0
</source>

<match kube.**>
  @type copy
  <store>
    @type opensearch
    host logs.fra1.nordlys.example
    port 9200
    scheme https
    user fluentd
    password "#{ENV['OPENSEARCH_PASSWORD']}"
    logstash_format true
    logstash_prefix kube-prod
    <buffer tag>
      @type file
      path /var/log/fluentd/buffer/opensearch
      flush_interval 10s
    </buffer>
  </store>
  <store>
    @type prometheus
    <metric>
      name fluentd_output_records_total
      type counter
    </metric>
  </store>
</match>

<match audit.**>
  @type datadog
  api_key "#{ENV['DD_API_KEY']}"
  host http-intake.logs.datadoghq.eu
  dd_source kubernetes.audit
  <buffer>
    @type memory
    flush_interval 5s
  </buffer>
</match>
"""

# Vector archives logs: to Loki in the cluster (inside) and to an S3 bucket in AWS
# us-west-2 (Oregon: outside the area).
_VECTOR: Final = """\
data_dir = "/vector-data-dir"

[api]
enabled = true
address = "127.0.0.1:8686"

[sources.kubernetes_logs]
type = "kubernetes_logs"

[transforms.parse]
type = "remap"
inputs = ["kubernetes_logs"]
source = '. = parse_json(.message) ?? .'

[sinks.loki]
type = "loki"
inputs = ["parse"]
endpoint = "http://loki.monitoring.svc:3100"
encoding.codec = "json"
labels.namespace = "{{ kubernetes.pod_namespace }}"

[sinks.archive]
type = "aws_s3"
inputs = ["parse"]
bucket = "kube-prod-log-archive"
key_prefix = "date=%F/"
region = "us-west-2"
compression = "gzip"
encoding.codec = "json"
"""

# Grafana Alloy: metrics to the private cloud's Mimir in ams1 (inside), traces and metrics
# over OTLP to New Relic EU (Frankfurt, US-controlled), and a half-edited logs pipeline that
# Alloy would refuse (unknown).
_ALLOY: Final = """\
// Metrics scraped in the cluster, to the private cloud's Mimir.
prometheus.remote_write "mimir" {
  endpoint {
    url = "https://metrics.ams1.nordlys.example/api/v1/push"
    basic_auth {
      username = "kube-prod"
      password = sys.env("MIMIR_PASSWORD")
    }
  }
}

otelcol.receiver.otlp "default" {
  grpc {
    endpoint = "0.0.0.0:4317"
  }
  output {
    traces  = [otelcol.processor.batch.default.input]
    metrics = [otelcol.processor.batch.default.input]
  }
}

otelcol.processor.batch "default" {
  output {
    traces  = [otelcol.exporter.otlphttp.newrelic.input]
    metrics = [otelcol.exporter.otlphttp.newrelic.input]
  }
}

/* New Relic's EU data center */
otelcol.exporter.otlphttp "newrelic" {
  client {
    endpoint = "https://otlp.eu01.nr-data.net:4318"
    headers  = { "api-key" = sys.env("NEW_RELIC_LICENSE_KEY") }
  }
}
"""

_ALLOY_LOGS_BROKEN: Final = """\
loki.source.kubernetes "pods" {
  targets    = discovery.kubernetes.pods.targets
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "https://logs.fra1.nordlys.example/loki/api/v1/push
  }
}
"""

_CONFIG_DATA: Final[Mapping[str, Mapping[str, str]]] = {
    "fluent-bit-config": {"fluent-bit.conf": _FLUENT_BIT, "parsers.conf": _FLUENT_BIT_PARSERS},
    "otel-collector-config": {"relay.yaml": _OTEL_COLLECTOR, "agent.yaml": _OTEL_AGENT_BROKEN},
    "fluentd-config": {"fluent.conf": _FLUENTD},
    "vector-config": {"vector.toml": _VECTOR},
    "alloy-config": {"config.alloy": _ALLOY, "logs.alloy": _ALLOY_LOGS_BROKEN},
    "coredns": {"Corefile": _COREFILE},
}


def _render_config(src: SampleSource, versions: _Versions) -> dict[str, list[KubeObject]]:
    maps, hooks = src.frames["config_map"], src.frames["webhook"]
    out: dict[str, list[KubeObject]] = {
        "configmaps": [],
        "validatingwebhookconfigurations.admissionregistration.k8s.io": [],
        "mutatingwebhookconfigurations.admissionregistration.k8s.io": [],
    }
    created = _stamps(np.arange(len(maps)) * 89 + 600)
    for k, (row, rv) in enumerate(
        zip(maps.itertuples(index=False), versions.take(len(maps)), strict=True)
    ):
        name, ns = str(row.name), str(row.scope)
        data = _CONFIG_DATA.get(name, {"config.yaml": f"# {name}\nenabled: true\n"})
        app = name.removesuffix("-config")
        body = {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": _meta(row, ns, rv, created[k], labels={"app.kubernetes.io/name": app}),
            "data": dict(data),
        }
        out["configmaps"].append(_obj(ns, name, body))
    created = _stamps(np.arange(len(hooks)) * 211 + 5 * 86400)
    for k, (row, rv) in enumerate(
        zip(hooks.itertuples(index=False), versions.take(len(hooks)), strict=True)
    ):
        name = str(row.name)
        client: dict[str, Any]
        if name == "policy-validator" or (name != "cert-manager-webhook" and k % 2):
            client = {"url": "https://admission.policyhub.example.com/v1/validate"}
            rules = [
                {
                    "operations": ["CREATE", "UPDATE"],
                    "apiGroups": ["", "apps"],
                    "apiVersions": ["v1"],
                    "resources": ["pods", "deployments", "statefulsets", "daemonsets"],
                    "scope": "Namespaced",
                }
            ]
            failure, timeout = "Ignore", 5
        else:
            client = {
                "service": {
                    "namespace": "cert-manager",
                    "name": "cert-manager-webhook",
                    "path": "/validate",
                    "port": 443,
                }
            }
            rules = [
                {
                    "operations": ["CREATE", "UPDATE"],
                    "apiGroups": ["cert-manager.io", "acme.cert-manager.io"],
                    "apiVersions": ["v1"],
                    "resources": ["*/*"],
                    "scope": "*",
                }
            ]
            failure, timeout = "Fail", 30
        webhook: dict[str, Any] = {
            "kind": "ValidatingWebhookConfiguration",
            "apiVersion": "admissionregistration.k8s.io/v1",
            "metadata": _meta(row, None, rv, created[k], labels={"app.kubernetes.io/name": name}),
            "webhooks": [
                {
                    "name": f"{name.removesuffix('-webhook')}.validate.nordlys.example",
                    "clientConfig": client,
                    "rules": rules,
                    "failurePolicy": failure,
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {
                        "matchExpressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                "values": ["kube-system"],
                            }
                        ]
                    },
                    "objectSelector": {},
                    "sideEffects": "None",
                    "timeoutSeconds": timeout,
                    "admissionReviewVersions": ["v1"],
                }
            ],
        }
        key = "validatingwebhookconfigurations.admissionregistration.k8s.io"
        out[key].append(_obj("", name, webhook))
    return {key: _sorted(objs) for key, objs in out.items()}


def _render_namespaces(names: Iterable[str], versions: _Versions) -> list[KubeObject]:
    every = sorted({*names, "default", "kube-node-lease", "kube-public", "kube-system"})
    created = _stamps(np.arange(len(every)) * 13)
    out = []
    for k, (name, rv) in enumerate(zip(every, versions.take(len(every)), strict=True)):
        body = {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": _uid("namespace", name),
                "resourceVersion": str(rv),
                "creationTimestamp": created[k],
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        out.append(_obj("", name, body, fields=("Active",)))
    return out


# -- custom resources (installed CRDs), created last ----------------------------------------


def _render_custom(src: SampleSource, versions: _Versions) -> dict[str, list[KubeObject]]:
    classes = src.frames["volume_snapshot_class"]
    created = _stamps(np.arange(len(classes)) * 67 + 4000)
    out: dict[str, list[KubeObject]] = {"volumesnapshotclasses.snapshot.storage.k8s.io": []}
    for k, (row, rv) in enumerate(
        zip(classes.itertuples(index=False), versions.take(len(classes)), strict=True)
    ):
        body = {
            "kind": "VolumeSnapshotClass",
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "metadata": _meta(row, None, rv, created[k]),
            "driver": _CSI,
            "deletionPolicy": "Delete",
            "parameters": {"force-create": "false"},
        }
        out["volumesnapshotclasses.snapshot.storage.k8s.io"].append(_obj("", str(row.name), body))
    out |= _render_backup_and_issuers(src, versions)
    out |= _render_telemetry_agents(src, versions)
    return {key: _sorted(objs) for key, objs in out.items()}


def _render_backup_and_issuers(
    src: SampleSource, versions: _Versions
) -> dict[str, list[KubeObject]]:
    """Velero's BackupStorageLocations and cert-manager's ClusterIssuers (as their docs show
    them; the credentials they reference are Secret names, never their data)."""
    out: dict[str, list[KubeObject]] = {
        "backupstoragelocations.velero.io": [],
        "clusterissuers.cert-manager.io": [],
    }
    for row, rv in zip(
        src.frames["backup_location"].itertuples(index=False),
        versions.take(len(src.frames["backup_location"])),
        strict=True,
    ):
        body: dict[str, Any] = {
            "kind": "BackupStorageLocation",
            "apiVersion": "velero.io/v1",
            "metadata": _meta(row, str(row.scope), rv, _stamps([5000])[0]),
            "spec": {
                "provider": "aws",
                "objectStorage": {"bucket": "kube-prod-backups", "prefix": "velero"},
                "config": {
                    "region": str(row.region),
                    "s3Url": f"https://s3.{row.region}.amazonaws.com",
                },
                "default": True,
            },
            "status": {"phase": "Available"},
        }
        out["backupstoragelocations.velero.io"].append(_obj(str(row.scope), str(row.name), body))
    for row, rv in zip(
        src.frames["certificate_issuer"].itertuples(index=False),
        versions.take(len(src.frames["certificate_issuer"])),
        strict=True,
    ):
        body = {
            "kind": "ClusterIssuer",
            "apiVersion": "cert-manager.io/v1",
            "metadata": _meta(row, None, rv, _stamps([5100])[0]),
            "spec": {
                "acme": {
                    "server": ACME_SERVER,
                    "email": "platform@nordlys.example",
                    "privateKeySecretRef": {"name": str(row.name)},
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx"}}}],
                }
            },
        }
        out["clusterissuers.cert-manager.io"].append(_obj("", str(row.name), body))
    return out


# -- telemetry agents' custom resources --------------------------------------------------------

# The OpenTelemetry Operator's v1beta1 keeps the collector's config as an object.
_OTEL_GATEWAY_CONFIG: Final[Mapping[str, Any]] = {
    "receivers": {"otlp": {"protocols": {"grpc": {}, "http": {}}}},
    "processors": {"batch": {"timeout": "5s"}, "memory_limiter": {"limit_percentage": 80}},
    "exporters": {
        "otlphttp": {"endpoint": OTEL_GATEWAY_ENDPOINT, "compression": "gzip"},
        "loki": {"endpoint": OTEL_GATEWAY_LOKI},
        "debug": {"verbosity": "basic"},
    },
    "service": {
        "pipelines": {
            "traces": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "batch"],
                "exporters": ["otlphttp"],
            },
            "logs": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "batch"],
                "exporters": ["loki", "otlphttp", "debug"],
            },
        }
    },
}


def _render_telemetry_agents(src: SampleSource, versions: _Versions) -> dict[str, list[KubeObject]]:
    """An OpenTelemetryCollector (v1beta1) and a Prometheus with a remote write (SigV4 to
    Amazon Managed Service for Prometheus, as the Prometheus Operator's RemoteWriteSpec has
    it); the credentials are the pods' own, never in the objects."""
    out: dict[str, list[KubeObject]] = {
        "opentelemetrycollectors.opentelemetry.io": [],
        "prometheuses.monitoring.coreos.com": [],
    }
    agents = src.frames["telemetry_agent"]
    for row, rv in zip(agents.itertuples(index=False), versions.take(len(agents)), strict=True):
        metadata = _meta(row, str(row.scope), rv, _stamps([5200])[0])
        body: dict[str, Any]
        if row.agent_kind == "OpenTelemetryCollector":
            body = {
                "apiVersion": str(row.api_version),
                "kind": "OpenTelemetryCollector",
                "metadata": metadata,
                "spec": {"mode": "deployment", "replicas": 2, "config": _OTEL_GATEWAY_CONFIG},
            }
            out["opentelemetrycollectors.opentelemetry.io"].append(
                _obj(str(row.scope), str(row.name), body)
            )
            continue
        body = {
            "apiVersion": str(row.api_version),
            "kind": "Prometheus",
            "metadata": metadata,
            "spec": {
                "replicas": 2,
                "serviceAccountName": "prometheus-k8s",
                "serviceMonitorSelector": {},
                "retention": "15d",
                "remoteWrite": [
                    {
                        "url": PROMETHEUS_REMOTE_WRITE,
                        "sigv4": {"region": "us-east-1"},
                        "queueConfig": {"maxSamplesPerSend": 1000, "capacity": 2500},
                    }
                ],
            },
        }
        out["prometheuses.monitoring.coreos.com"].append(_obj(str(row.scope), str(row.name), body))
    return out


# -- the cluster -----------------------------------------------------------------------------


def _render(estate: Estate, source: str) -> tuple[dict[str, list[KubeObject]], int]:
    src = estate.source(source)
    frames = src.frames
    versions = _Versions()
    nodes = frames["node"].reset_index(drop=True)
    facts = _node_facts(nodes)
    out: dict[str, list[KubeObject]] = {r.key: [] for r in RESOURCES}
    pod_namespaces = sorted(frames["pod"]["scope"].astype(str).unique().tolist())
    owners = _owners(frames["workload"], pod_namespaces)
    namespaces = {
        str(ns)
        for kind, frame in frames.items()
        if "scope" in frame and kind not in CLUSTER_SCOPED
        for ns in frame["scope"].unique()
    }
    # In creation order: namespaces and nodes first, pods and their controllers last.
    out["namespaces"] = _render_namespaces(namespaces | {"cert-manager"}, versions)
    out["nodes"] = _sorted(_render_nodes(estate, nodes, facts, versions))
    out |= _render_config(src, versions)
    out |= _render_storage(estate, src, versions)
    out |= _render_services(estate, src, versions)
    out |= _render_api_services(src, versions)
    pods, pod_owner = _render_pods(frames["pod"], facts, owners, versions, estate.seed)
    out |= _render_workloads(frames["workload"], frames["pod"], pod_owner, owners, versions)
    out["pods"] = _sorted(pods)
    out |= _render_custom(src, versions)
    return out, versions.next


def cluster_objects(estate: Estate, source: str = CLUSTER_SOURCE) -> dict[str, list[KubeObject]]:
    """Every object of the cluster ``source``, per resource key, each list in etcd-key order.

    Every resource of :data:`RESOURCES` has a list, empty where the cluster has none.
    """
    return _render(estate, source)[0]


def sample_cluster(estate: Estate, source: str = CLUSTER_SOURCE) -> SampleCluster:
    """The cluster ``source`` of ``estate``: its objects and the faults its API shows.

    Secrets are always forbidden to the collector; a kind the estate lists with an
    ``error`` fault fails with a 500, one with a ``forbidden`` fault is forbidden.
    """
    objects, revision = _render(estate, source)
    forbidden = {"secrets"}
    failing: dict[str, Failure] = {}
    for (_region, kind), (status, _message) in estate.source(source).faults.items():
        key = _FAULT_KINDS.get(kind)
        if key is None:
            continue
        if status == "forbidden":
            forbidden.add(key)
        else:
            failing[key] = Failure()
    issuer = str(estate.source(source).frames["cluster"]["issuer"].iloc[0])
    return SampleCluster(objects, revision, frozenset(forbidden), failing, issuer)


# The estate's fault kinds that have no frame, and the resource they concern.
_FAULT_KINDS: Final = {"network_policy": "networkpolicies.networking.k8s.io", "secret": "secrets"}
