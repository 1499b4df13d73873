"""The ``kubernetes`` collector: one cluster (a kubeconfig context, or in-cluster) per source.

Read-only: it lists exactly the resources in :data:`RESOURCES` and never Secrets. Each
resource family is a ``transform`` in its own module (nodes, workloads, storage, network,
control_plane); this module only lists pages through :class:`~residency_kubernetes.api.Lister`
and turns each page into asset rows. A forbidden, missing or failing resource becomes a
coverage row, never an exception and never silently empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from residency.collect import (
    Batch,
    CollectContext,
    assets_batch,
    coverage_batch,
    coverage_row,
    flows_batch,
)
from residency.errors import ConfigError
from residency_kubernetes import (
    agents,
    control_plane,
    crds,
    flows,
    network,
    nodes,
    storage,
    telemetry,
    workloads,
)
from residency_kubernetes.api import Lister, ListError

__all__ = ["RESOURCES", "KubernetesCollector", "KubernetesOptions", "Resource"]


class KubernetesOptions(BaseModel):
    """Options of a ``type: kubernetes`` source."""

    model_config = ConfigDict(extra="forbid")

    context: str | None = Field(default=None, description="kubeconfig context; current if unset.")
    kubeconfig: Path | None = Field(default=None, description="kubeconfig file; $KUBECONFIG.")
    in_cluster: bool = Field(default=False, description="Use the pod's service account.")
    namespaces: list[str] = Field(
        default_factory=list,
        description="Only these namespaces (for users with a Role, not a ClusterRole).",
    )
    page_size: int = Field(default=500, gt=0, le=10_000)
    timeout_s: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)


Transform = Callable[[list[dict[str, Any]], "_State"], pd.DataFrame]


@dataclass(frozen=True)
class Resource:
    """One listable resource: API path, the asset kind it becomes, and its transform."""

    kind: str
    path: str
    namespaced: bool
    transform: Transform
    attributes: tuple[str, ...]
    flows: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    # Older API versions of the same resource, listed in turn when the server does not serve
    # ``path`` (404): a cluster whose operator predates the newest version.
    fallbacks: tuple[str, ...] = ()


@dataclass
class _State:
    """What later resources need from earlier ones: nodes for pods, volumes for claims."""

    nodes: pd.DataFrame
    volumes: pd.DataFrame
    external_names: pd.DataFrame  # ExternalName Services (service, external_name)
    stored_on: str | None = None
    unreachable: str | None = None  # once the server does not answer, stop asking


def _nodes(items: list[dict[str, Any]], state: _State) -> pd.DataFrame:
    frame = nodes.transform_nodes(items)
    state.nodes = pd.concat([state.nodes, frame], ignore_index=True)
    return frame.drop(columns=["control_plane"])


def _volumes(items: list[dict[str, Any]], state: _State) -> pd.DataFrame:
    frame = storage.transform_volumes(items)
    state.volumes = pd.concat([state.volumes, frame[["name", "asset_id"]]], ignore_index=True)
    return frame


def _services(items: list[dict[str, Any]], state: _State) -> pd.DataFrame:
    frame = network.transform_services(items, state.stored_on)
    named = frame.dropna(subset=["external_name"])
    named = pd.DataFrame(
        {"service": named["scope"] + "/" + named["name"], "external_name": named["external_name"]}
    )
    state.external_names = pd.concat([state.external_names, named], ignore_index=True)
    return frame


def _workload(kind: str) -> Transform:
    return lambda items, state: workloads.transform_workloads(items, kind, state.stored_on)


def _issuer(kind: str) -> Transform:
    return lambda items, state: crds.transform_issuers(items, kind, state.stored_on)


def _agent(kind: str) -> Transform:
    return lambda items, state: agents.transform_agents(items, kind, state.stored_on)


def _webhook(kind: str) -> Transform:
    return lambda items, state: control_plane.transform_webhooks(items, kind, state.stored_on)


RESOURCES: tuple[Resource, ...] = (
    Resource("node", "/api/v1/nodes", False, _nodes, tuple(nodes.ATTRIBUTES)),
    Resource(
        "pod",
        "/api/v1/pods",
        True,
        lambda items, state: workloads.transform_pods(items, state.nodes),
        tuple(workloads.POD_ATTRIBUTES),
        agents.pod_flows,
    ),
    *(
        Resource("workload", path, True, _workload(kind), tuple(workloads.WORKLOAD_ATTRIBUTES))
        for kind, path in (
            ("Deployment", "/apis/apps/v1/deployments"),
            ("StatefulSet", "/apis/apps/v1/statefulsets"),
            ("DaemonSet", "/apis/apps/v1/daemonsets"),
            ("Job", "/apis/batch/v1/jobs"),
            ("CronJob", "/apis/batch/v1/cronjobs"),
        )
    ),
    Resource(
        "persistent_volume",
        "/api/v1/persistentvolumes",
        False,
        _volumes,
        tuple(storage.PV_ATTRIBUTES),
    ),
    Resource(
        "persistent_volume_claim",
        "/api/v1/persistentvolumeclaims",
        True,
        lambda items, state: storage.transform_claims(items, state.volumes),
        tuple(storage.CLAIM_ATTRIBUTES),
    ),
    Resource(
        "storage_class",
        "/apis/storage.k8s.io/v1/storageclasses",
        False,
        lambda items, state: storage.transform_storage_classes(items, state.stored_on),
        tuple(storage.CLASS_ATTRIBUTES),
    ),
    Resource(
        "volume_snapshot_class",
        "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses",
        False,
        lambda items, state: storage.transform_snapshot_classes(items, state.stored_on),
        tuple(storage.SNAPSHOT_CLASS_ATTRIBUTES),
    ),
    Resource(
        "service",
        "/api/v1/services",
        True,
        _services,
        tuple(network.SERVICE_ATTRIBUTES),
        flows.external_name_flows,
    ),
    # After services: an aggregated API's backend may be an ExternalName Service.
    Resource(
        "api_service",
        "/apis/apiregistration.k8s.io/v1/apiservices",
        False,
        lambda items, state: control_plane.transform_api_services(
            items, state.stored_on, state.external_names
        ),
        tuple(control_plane.API_SERVICE_ATTRIBUTES),
        flows.api_service_flows,
    ),
    Resource(
        "ingress",
        "/apis/networking.k8s.io/v1/ingresses",
        True,
        lambda items, state: network.transform_ingresses(items, state.stored_on),
        tuple(network.INGRESS_ATTRIBUTES),
    ),
    Resource(
        "network_policy",
        "/apis/networking.k8s.io/v1/networkpolicies",
        True,
        lambda items, state: network.transform_network_policies(items, state.stored_on),
        tuple(network.POLICY_ATTRIBUTES),
    ),
    Resource(
        "config_map",
        "/api/v1/configmaps",
        True,
        lambda items, state: control_plane.transform_config_maps(items, state.stored_on),
        tuple(control_plane.CONFIG_MAP_ATTRIBUTES),
        telemetry.config_map_flows,
    ),
    Resource(
        "webhook",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        False,
        _webhook("validating"),
        tuple(control_plane.WEBHOOK_ATTRIBUTES),
        flows.webhook_flows,
    ),
    Resource(
        "webhook",
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        False,
        _webhook("mutating"),
        tuple(control_plane.WEBHOOK_ATTRIBUTES),
        flows.webhook_flows,
    ),
    Resource(
        "backup_location",
        "/apis/velero.io/v1/backupstoragelocations",
        True,
        lambda items, state: crds.transform_backup_locations(items),
        tuple(crds.BSL_ATTRIBUTES),
        crds.backup_flows,
    ),
    *(
        Resource(
            "certificate_issuer",
            path,
            namespaced,
            _issuer(kind),
            tuple(crds.ISSUER_ATTRIBUTES),
            crds.acme_flows,
        )
        for kind, path, namespaced in (
            ("ClusterIssuer", "/apis/cert-manager.io/v1/clusterissuers", False),
            ("Issuer", "/apis/cert-manager.io/v1/issuers", True),
        )
    ),
    # Telemetry agents declared as custom resources (their sinks are flows).
    *(
        Resource(
            "telemetry_agent",
            path,
            True,
            _agent(kind),
            tuple(agents.AGENT_ATTRIBUTES),
            agents.agent_flows,
            fallbacks,
        )
        for kind, path, fallbacks in (
            (
                "OpenTelemetryCollector",
                "/apis/opentelemetry.io/v1beta1/opentelemetrycollectors",
                ("/apis/opentelemetry.io/v1alpha1/opentelemetrycollectors",),
            ),
            ("Prometheus", "/apis/monitoring.coreos.com/v1/prometheuses", ()),
            ("PrometheusAgent", "/apis/monitoring.coreos.com/v1alpha1/prometheusagents", ()),
        )
    ),
)


def api_client(options: KubernetesOptions) -> Any:
    """An ApiClient for the configured context; a missing or broken kubeconfig is a user error."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        if options.in_cluster:
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration)
        return config.new_client_from_config(
            config_file=str(options.kubeconfig) if options.kubeconfig else None,
            context=options.context,
        )
    except (ConfigException, OSError, ValueError) as exc:
        where = f"context {options.context!r}" if options.context else "the current context"
        raise ConfigError(f"kubeconfig: cannot use {where}: {exc}") from None


class KubernetesCollector:
    """Collects one Kubernetes cluster."""

    type_name: ClassVar[str] = "kubernetes"
    Options: ClassVar[type[BaseModel]] = KubernetesOptions

    def __init__(self, source: str, options: BaseModel, client: Any = None) -> None:
        assert isinstance(options, KubernetesOptions)
        self.source = source
        self.options = options
        self._client = client

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        lister = Lister(
            self._client if self._client is not None else api_client(self.options),
            page_size=self.options.page_size,
            retries=self.options.retries,
            timeout_s=self.options.timeout_s,
        )
        state = _State(
            nodes=pd.DataFrame(
                columns=["name", "asset_id", "region", "zone", "provider", "control_plane"]
            ),
            volumes=pd.DataFrame(columns=["name", "asset_id"]),
            external_names=pd.DataFrame(columns=["service", "external_name"]),
        )
        coverage: list[dict[str, Any]] = []
        for resource in RESOURCES:
            if resource.kind != "node" and state.stored_on is None and not state.nodes.empty:
                state.stored_on = _control_plane_node(state.nodes)
            yield from self._collect_resource(resource, lister, state, coverage, ctx)
        yield from self._collect_cluster(lister, state, coverage, ctx)
        yield coverage_batch(
            _merge_coverage(coverage), source=self.source, observed_at=ctx.observed_at
        )

    def _paths(self, resource: Resource, path: str | None = None) -> list[str]:
        path = resource.path if path is None else path
        if not (self.options.namespaces and resource.namespaced):
            return [path]
        prefix, plural = path.rsplit("/", 1)
        return [f"{prefix}/namespaces/{ns}/{plural}" for ns in self.options.namespaces]

    def _collect_resource(
        self,
        resource: Resource,
        lister: Lister,
        state: _State,
        coverage: list[dict[str, Any]],
        ctx: CollectContext,
    ) -> Iterator[Batch]:
        versions = [self._paths(resource, p) for p in (resource.path, *resource.fallbacks)]
        for k, path in enumerate(versions[0]):
            started = time.perf_counter()
            rows = 0
            status, error = "ok", None
            if state.unreachable is not None:
                coverage.append(coverage_row(resource.kind, "error", 0, started, state.unreachable))
                continue
            try:
                for page in self._pages(lister, [v[k] for v in versions]):
                    frame = resource.transform(page, state)
                    rows += len(frame)
                    yield assets_batch(
                        frame,
                        source=self.source,
                        platform="kubernetes",
                        observed_at=ctx.observed_at,
                        attributes=[a for a in resource.attributes if a in frame.columns],
                    )
                    if resource.flows is not None:
                        declared = resource.flows(frame)
                        if len(declared):
                            yield flows_batch(
                                declared, source=self.source, observed_at=ctx.observed_at
                            )
                    ctx.progress(f"{self.source} {resource.kind}", len(frame))
            except ListError as exc:
                status, error = exc.status, f"{path}: {exc.message}"
                if exc.unreachable:
                    state.unreachable = f"not listed: {exc.message}"
            coverage.append(coverage_row(resource.kind, status, rows, started, error))

    @staticmethod
    def _pages(lister: Lister, paths: list[str]) -> Iterator[list[dict[str, Any]]]:
        """Pages of the first of ``paths`` (one resource, newest API version first) that the
        server serves; a 404 on every one is ``not_found``, naming the last tried."""
        for k, path in enumerate(paths):
            listed = False
            try:
                for page in lister.pages(path):
                    listed = True
                    yield page
                return
            except ListError as exc:
                if listed or exc.status != "not_found" or k == len(paths) - 1:
                    if k == 0:
                        raise
                    raise ListError(
                        exc.status, f"{exc.message} (at {path})", exc.unreachable
                    ) from None

    def _collect_cluster(
        self, lister: Lister, state: _State, coverage: list[dict[str, Any]], ctx: CollectContext
    ) -> Iterator[Batch]:
        """The cluster as one asset, from ``/version`` and the service-account issuer discovery
        document, with an ``identity`` flow to an issuer outside the cluster. A path that cannot
        be read makes the ``cluster`` coverage row forbidden, not_found or error (the worst
        wins); the asset is still recorded, without what that path would have said."""
        if state.unreachable is not None:
            coverage.append(
                coverage_row("cluster", "error", 0, time.perf_counter(), state.unreachable)
            )
            return
        started = time.perf_counter()
        documents: dict[str, dict[str, Any]] = {}
        failures: list[ListError] = []
        for path in control_plane.NON_RESOURCE_PATHS:
            try:
                documents[path] = lister.get(path)
            except ListError as exc:
                failures.append(ListError(exc.status, f"{path}: {exc.message}"))
        frame = control_plane.transform_cluster(
            self.source,
            getattr(lister.api.configuration, "host", None),
            documents.get(control_plane.VERSION, {}),
            documents.get(control_plane.ISSUER_DISCOVERY, {}),
            state.stored_on,
        )
        # One row, the worst read's status: a 404 on the discovery path is not_found even
        # though /version answered (the merge of list rows would let ok win over it).
        worst = max(failures, key=lambda e: _FAILURE_RANK.get(e.status, 0), default=None)
        status = "ok" if worst is None else worst.status
        error = "; ".join(e.message for e in failures) or None
        coverage.append(coverage_row("cluster", status, len(frame), started, error))
        yield assets_batch(
            frame,
            source=self.source,
            platform="kubernetes",
            observed_at=ctx.observed_at,
            attributes=control_plane.CLUSTER_ATTRIBUTES,
        )
        declared = flows.identity_flows(frame)
        if len(declared):
            yield flows_batch(declared, source=self.source, observed_at=ctx.observed_at)


_FAILURE_RANK: Final = {"not_found": 1, "forbidden": 2, "error": 3}


def _control_plane_node(frame: pd.DataFrame) -> str | None:
    """The control-plane node whose etcd is taken to hold the API objects (first by name)."""
    if "control_plane" not in frame.columns:
        return None
    members = frame[frame["control_plane"].astype(bool)].sort_values("name")
    return None if members.empty else str(members["asset_id"].iloc[0])


def _merge_coverage(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One coverage row per kind: workloads come from five lists, webhooks from two."""
    frame = pd.DataFrame(rows)
    # The worst status wins, but an API group that is absent (not_found) beside one that was
    # listed (ok) still leaves the kind fully seen.
    order = {"not_found": 0, "ok": 1, "skipped": 2, "forbidden": 3, "error": 4}
    frame["rank"] = frame["status"].map(order)
    merged = frame.groupby("kind", sort=False).agg(
        rows=("rows", "sum"),
        duration_s=("duration_s", "sum"),
        rank=("rank", "max"),
        error=("error", lambda e: "; ".join(e.dropna()) or None),
    )
    merged["status"] = merged["rank"].map({v: k for k, v in order.items()})
    merged["region"] = None
    records = merged.reset_index().drop(columns=["rank"]).to_dict("records")
    return [{str(k): v for k, v in record.items()} for record in records]
