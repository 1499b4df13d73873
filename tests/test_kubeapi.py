"""The local Kubernetes API serves the sample cluster to the official client and to kubectl."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from residency.sample import Estate, generate_estate
from residency.sample.kube_objects import Failure, SampleCluster, sample_cluster
from residency.sample.kubeapi import (
    KubeAPIServer,
    decode_continue,
    encode_continue,
    human_duration,
    write_kubeconfig,
)
from residency_kubernetes.api import http_get

TOKEN = "residency-test-token-7f3a"
Kubectl = Callable[..., subprocess.CompletedProcess[str]]
FORBIDDEN_SECRETS = (
    'secrets is forbidden: User "system:serviceaccount:residency:collector" cannot list '
    'resource "secrets" in API group "" at the cluster scope'
)


@pytest.fixture(scope="module")
def frames(estate: Estate) -> dict[str, pd.DataFrame]:
    return estate.source("kube-prod").frames


@pytest.fixture(scope="module")
def cluster(estate: Estate) -> SampleCluster:
    return sample_cluster(estate)


@pytest.fixture(scope="module")
def server(cluster: SampleCluster) -> Iterator[KubeAPIServer]:
    with KubeAPIServer.for_cluster(cluster, token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def kubeconfig(server: KubeAPIServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")


@pytest.fixture(scope="module")
def api(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield api_client
    api_client.close()


def frame_keys(frame: pd.DataFrame, namespaced: bool = True) -> list[tuple[str, str, str]]:
    """(namespace, name, uid) of a frame's rows, in the order the API lists them."""
    namespaces = frame["scope"] if namespaced else pd.Series([""] * len(frame))
    rows = zip(namespaces, frame["name"], frame["asset_id"], strict=True)
    return sorted(((str(n), str(m), str(u)) for n, m, u in rows), key=lambda r: f"{r[0]}/{r[1]}")


def keys(items: list[Any]) -> list[tuple[str, str, str]]:
    return [(i.metadata.namespace or "", i.metadata.name, i.metadata.uid) for i in items]


def wrong_kubeconfig(server: KubeAPIServer, folder: Path) -> Path:
    assert server.certificate is not None
    return write_kubeconfig(folder / "wrong", server.url, "x", ca=server.certificate.ca_pem)


def status_of(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


# -- the official client ---------------------------------------------------------------------


def test_client_lists_nodes_exactly_as_the_frame(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    nodes = client.CoreV1Api(api).list_node().items
    assert keys(nodes) == frame_keys(frames["node"], namespaced=False)
    by_name = {n.metadata.name: n for n in nodes}
    for row in frames["node"].itertuples():
        node = by_name[row.name]
        labels = node.metadata.labels
        assert labels.get("topology.kubernetes.io/region") == row.region
        assert labels.get("topology.kubernetes.io/zone") == row.zone
        assert node.spec.provider_id == row.provider_id
        assert node.status.node_info.kubelet_version == row.kubelet_version
        internal = [a.address for a in node.status.addresses if a.type == "InternalIP"]
        assert len(internal) == 1 and internal[0].startswith("10.")
        assert ("node-role.kubernetes.io/control-plane" in labels) == (row.pool == "control-plane")
    legacy = [n for n in nodes if "failure-domain.beta.kubernetes.io/zone" in n.metadata.labels]
    assert legacy and len(legacy) < len(nodes)
    assert by_name["edge-node-0"].spec.provider_id is None


def test_client_pages_through_every_pod(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    core = client.CoreV1Api(api)
    pods, token, pages, remaining = [], None, 0, []
    while True:
        page = core.list_pod_for_all_namespaces(limit=50, _continue=token)
        assert page.kind == "PodList" and page.api_version == "v1"
        assert len(page.items) <= 50
        pods += page.items
        pages += 1
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token:
            break
    expected = frame_keys(frames["pod"])
    assert keys(pods) == expected
    assert pages == math.ceil(len(expected) / 50)
    assert remaining == [len(expected) - 50 * (i + 1) for i in range(pages - 1)] + [None]
    pod_frame = frames["pod"].set_index("name")
    for pod in pods:
        row = pod_frame.loc[pod.metadata.name]
        assert pod.spec.node_name == row["node_name"]
        assert pod.spec.containers[0].image == row["image"]
        assert pod.status.phase == "Running" and pod.status.pod_ip
        assert pod.metadata.owner_references[0].kind in {"ReplicaSet", "StatefulSet", "DaemonSet"}
    assert any(p.spec.init_containers for p in pods)
    assert any(len(p.spec.containers) > 1 for p in pods)
    assert any(p.spec.image_pull_secrets for p in pods)


def test_client_reads_workloads_by_kind(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    apps = client.AppsV1Api(api)
    workloads = frames["workload"]
    listed = {
        "Deployment": apps.list_deployment_for_all_namespaces().items,
        "StatefulSet": apps.list_stateful_set_for_all_namespaces().items,
        "DaemonSet": apps.list_daemon_set_for_all_namespaces().items,
    }
    for kind, items in listed.items():
        assert keys(items) == frame_keys(workloads[workloads["workload_kind"] == kind])
        for item in items:
            labels = item.spec.template.metadata.labels
            assert all(labels[k] == v for k, v in item.spec.selector.match_labels.items())
    owned = {
        ref.name
        for rs in apps.list_replica_set_for_all_namespaces().items
        for ref in rs.metadata.owner_references or []
    }
    assert owned == {d.metadata.name for d in listed["Deployment"]}


def test_client_reads_storage_with_cinder_lineage(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    core = client.CoreV1Api(api)
    pvs = core.list_persistent_volume().items
    assert keys(pvs) == frame_keys(frames["persistent_volume"], namespaced=False)
    pv_frame = frames["persistent_volume"].set_index("name")
    for pv in pvs:
        row = pv_frame.loc[pv.metadata.name]
        assert pv.spec.csi.driver == "cinder.csi.openstack.org"
        assert pv.spec.csi.volume_handle == row["volume_handle"]
        [term] = pv.spec.node_affinity.required.node_selector_terms
        [expression] = term.match_expressions
        assert expression.key == "topology.cinder.csi.openstack.org/zone"
        assert (expression.operator, expression.values) == ("In", [row["zone"]])
        assert pv.metadata.labels["topology.kubernetes.io/region"] == row["region"]
    pvcs = core.list_persistent_volume_claim_for_all_namespaces().items
    assert keys(pvcs) == frame_keys(frames["persistent_volume_claim"])
    pv_uid = {pv.metadata.name: pv.metadata.uid for pv in pvs}
    claims = frames["persistent_volume_claim"].set_index("name")
    assert {c.metadata.name: pv_uid[c.spec.volume_name] for c in pvcs} == claims[
        "parent_id"
    ].to_dict()
    classes = client.StorageV1Api(api).list_storage_class().items
    assert keys(classes) == frame_keys(frames["storage_class"], namespaced=False)
    assert {c.provisioner for c in classes} == {"cinder.csi.openstack.org"}
    assert all(c.allowed_topologies for c in classes)


def test_client_reads_network_and_control_plane_objects(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    core = client.CoreV1Api(api)
    services = core.list_service_for_all_namespaces().items
    assert keys(services) == frame_keys(frames["service"])
    types = {s.metadata.name: s.spec.type for s in services}
    assert types == {
        "grafana": "LoadBalancer",
        "payments-api": "ClusterIP",
        "prometheus": "ClusterIP",
        "shop-web": "ClusterIP",
        "metrics-server": "ClusterIP",
        "metrics-adapter": "ExternalName",
    }
    [adapter] = [s for s in services if s.metadata.name == "metrics-adapter"]
    assert adapter.spec.external_name == "metrics-adapter.vendor.example"
    assert adapter.spec.cluster_ip is None and adapter.spec.selector is None
    [grafana] = [s for s in services if s.metadata.name == "grafana"]
    assert grafana.status.load_balancer.ingress[0].ip.startswith("203.0.113.")
    ingresses = client.NetworkingV1Api(api).list_ingress_for_all_namespaces().items
    assert keys(ingresses) == frame_keys(frames["ingress"])
    assert {r.host for i in ingresses for r in i.spec.rules} == {
        "shop.nordlys.example",
        "grafana.nordlys.example",
    }
    maps = core.list_namespaced_config_map("kube-system").items
    assert keys(maps) == frame_keys(frames["config_map"])
    by_name = {m.metadata.name: m.data for m in maps}
    assert "[OUTPUT]" in by_name["fluent-bit-config"]["fluent-bit.conf"]
    assert "exporters:" in by_name["otel-collector-config"]["relay.yaml"]
    assert "forward ." in by_name["coredns"]["Corefile"]
    hooks = client.AdmissionregistrationV1Api(api).list_validating_webhook_configuration().items
    assert keys(hooks) == frame_keys(frames["webhook"], namespaced=False)
    configs = {h.metadata.name: h.webhooks[0].client_config for h in hooks}
    assert configs["policy-validator"].url.startswith("https://")
    assert configs["cert-manager-webhook"].service.name == "cert-manager-webhook"


def test_client_reads_local_and_aggregated_api_services(
    api: client.ApiClient, frames: dict[str, pd.DataFrame]
) -> None:
    services = client.ApiregistrationV1Api(api).list_api_service().items
    local = sorted(s.metadata.name for s in services if s.spec.service is None)
    # One local APIService per group version the server serves, CRD groups included.
    assert local[:4] == [
        "v1",
        "v1.admissionregistration.k8s.io",
        "v1.apiregistration.k8s.io",
        "v1.apps",
    ]
    assert {"v1.velero.io", "v1.cert-manager.io", "v1.snapshot.storage.k8s.io"} <= set(local)
    aggregated = {s.metadata.name: s for s in services if s.spec.service is not None}
    assert keys(list(aggregated.values())) == frame_keys(frames["api_service"], namespaced=False)
    metrics = aggregated["v1beta1.metrics.k8s.io"]
    assert (metrics.spec.service.namespace, metrics.spec.service.name) == (
        "kube-system",
        "metrics-server",
    )
    assert metrics.spec.insecure_skip_tls_verify is True and metrics.spec.service.port == 443
    adapter = aggregated["v1alpha1.custom.metrics.k8s.io"]
    assert (
        adapter.spec.service.name == "metrics-adapter" and not adapter.spec.insecure_skip_tls_verify
    )
    assert all(s.status.conditions[0].type == "Available" for s in services)


def _get_path(api: client.ApiClient, path: str) -> tuple[int, str, Any]:
    answer = http_get(api, api.configuration.host + path, 30)
    return answer.status, str(answer.content_type), json.loads(answer.data)


def test_service_account_issuer_discovery_as_kube_apiserver_serves_it(
    api: client.ApiClient, server: KubeAPIServer
) -> None:
    status, content_type, discovery = _get_path(api, "/.well-known/openid-configuration")
    assert (status, content_type) == (200, "application/json")
    assert discovery == {
        "issuer": "https://oidc.nordlys.example",
        "jwks_uri": f"{server.url}/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    status, content_type, jwks = _get_path(api, "/openid/v1/jwks")
    assert (status, content_type) == (200, "application/jwk-set+json")
    [key] = jwks["keys"]
    assert {k: key[k] for k in ("use", "kty", "alg", "e")} == {
        "use": "sig",
        "kty": "RSA",
        "alg": "RS256",
        "e": "AQAB",
    }
    assert len(key["n"]) == 342  # 2048 bits, base64url without padding


def test_issuer_discovery_absent_forbidden_or_failing(cluster: SampleCluster) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    path = "/.well-known/openid-configuration"
    with KubeAPIServer(cluster.objects, token=TOKEN, issuer=None) as old:
        assert old.api.respond("GET", path, headers).status == 404
        assert old.api.respond("GET", "/openid/v1/jwks", headers).status == 404
        assert old.api.respond("GET", "/version", headers).status == 200
    with KubeAPIServer(cluster.objects, token=TOKEN, forbidden={path}) as denied:
        response = denied.api.respond("GET", path, headers)
        assert response.status == 403
        assert json.loads(response.body)["message"] == (
            'forbidden: User "system:serviceaccount:residency:collector" cannot get path '
            '"/.well-known/openid-configuration"'
        )
    with KubeAPIServer(cluster.objects, token=TOKEN, failing={path: Failure()}) as failing:
        assert failing.api.respond("GET", path, headers).status == 500
    with KubeAPIServer(cluster.objects, token=TOKEN) as default:
        body = json.loads(default.api.respond("GET", path, headers).body)
        assert body["issuer"] == "https://kubernetes.default.svc.cluster.local"
        assert default.api.respond("GET", path, {}).status == 401


def test_selectors_and_get_by_name(api: client.ApiClient, frames: dict[str, pd.DataFrame]) -> None:
    core = client.CoreV1Api(api)
    pod_frame = frames["pod"]
    on_edge = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=edge-node-0").items
    expected = pod_frame[pod_frame["node_name"] == "edge-node-0"]
    assert keys(on_edge) == frame_keys(expected) and len(on_edge) >= 1
    deployment = client.AppsV1Api(api).list_namespaced_deployment("shop").items[0]
    selector = ",".join(f"{k}={v}" for k, v in deployment.spec.selector.match_labels.items())
    selected = core.list_namespaced_pod("shop", label_selector=selector, limit=5)
    assert 0 < len(selected.items) <= 5
    assert all(p.metadata.namespace == "shop" for p in selected.items)
    assert all(
        p.metadata.labels["app.kubernetes.io/name"] == deployment.metadata.name
        for p in selected.items
    )
    assert selected.metadata.remaining_item_count is None  # as kube-apiserver, with a selector
    row = pod_frame.iloc[0]
    pod = core.read_namespaced_pod(row["name"], row["scope"])
    assert pod.metadata.uid == row["asset_id"]
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("no-such-pod", row["scope"])
    assert missing.value.status == 404
    assert status_of(missing.value)["reason"] == "NotFound"
    with pytest.raises(ApiException) as unsupported:
        core.list_pod_for_all_namespaces(field_selector="spec.nodeNme=x")
    assert unsupported.value.status == 400


def test_version_and_legacy_discovery(api: client.ApiClient) -> None:
    assert client.VersionApi(api).get_code().git_version == "v1.31.4"
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "networking.k8s.io", "storage.k8s.io"} <= groups
    short = {r.name: r.short_names for r in client.AppsV1Api(api).get_api_resources().resources}
    assert short["deployments"] == ["deploy"]
    core = {r.name: r.short_names for r in client.CoreV1Api(api).get_api_resources().resources}
    assert core["pods"] == ["po"] and core["persistentvolumeclaims"] == ["pvc"]


def test_forbidden_and_failing_resources(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as forbidden:
        client.CoreV1Api(api).list_secret_for_all_namespaces()
    assert forbidden.value.status == 403
    assert status_of(forbidden.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": FORBIDDEN_SECRETS,
        "reason": "Forbidden",
        "details": {"kind": "secrets"},
        "code": 403,
    }
    with pytest.raises(ApiException) as failing:
        client.NetworkingV1Api(api).list_network_policy_for_all_namespaces()
    assert failing.value.status == 500
    assert status_of(failing.value)["reason"] == "InternalError"


def test_a_hanging_list_times_out_the_client(cluster: SampleCluster, tmp_path: Path) -> None:
    failing = {"networkpolicies.networking.k8s.io": Failure(504, "etcd is slow", delay_s=0.6)}
    hanging = KubeAPIServer(cluster.objects, token=TOKEN, failing=failing)
    with (
        hanging,
        config.new_client_from_config(
            config_file=str(hanging.write_kubeconfig(tmp_path / "kubeconfig"))
        ) as api_client,
    ):
        policies = client.NetworkingV1Api(api_client)
        with pytest.raises(urllib3.exceptions.MaxRetryError) as timed_out:
            policies.list_network_policy_for_all_namespaces(_request_timeout=0.1)
        assert isinstance(timed_out.value.reason, urllib3.exceptions.ReadTimeoutError)
        with pytest.raises(ApiException) as slow:
            policies.list_network_policy_for_all_namespaces(_request_timeout=5)
    assert slow.value.status == 504
    assert status_of(slow.value)["reason"] == "Timeout"


def test_expired_continue_token_is_gone(
    api: client.ApiClient, server: KubeAPIServer, frames: dict[str, pd.DataFrame]
) -> None:
    core = client.CoreV1Api(api)
    first = core.list_pod_for_all_namespaces(limit=50)
    server.compact()  # etcd compacts the revision the token was issued at
    with pytest.raises(ApiException) as gone:
        core.list_pod_for_all_namespaces(limit=50, _continue=first.metadata._continue)
    assert gone.value.status == 410
    status = status_of(gone.value)
    assert status["reason"] == "Expired"
    assert status["message"].startswith("The provided continue parameter is too old")
    # The token the 410 carries continues the list, inconsistently, where it stopped.
    resumed = core.list_pod_for_all_namespaces(limit=50, _continue=status["metadata"]["continue"])
    assert keys(first.items) + keys(resumed.items) == frame_keys(frames["pod"])[:100]
    with pytest.raises(ApiException) as garbage:
        core.list_pod_for_all_namespaces(limit=50, _continue="not-a-token")
    assert garbage.value.status == 400


def test_wrong_or_missing_token_is_unauthorized(server: KubeAPIServer, tmp_path: Path) -> None:
    wrong = wrong_kubeconfig(server, tmp_path)
    with (
        config.new_client_from_config(config_file=str(wrong)) as api_client,
        pytest.raises(ApiException) as denied,
    ):
        client.CoreV1Api(api_client).list_node()
    assert denied.value.status == 401
    assert status_of(denied.value)["reason"] == "Unauthorized"
    assert server.api.respond("GET", "/api/v1/nodes", {}).status == 401


def test_served_pods_weigh_a_few_kilobytes(api: client.ApiClient) -> None:
    answer = http_get(api, api.configuration.host + "/api/v1/pods", 30)
    body = json.loads(answer.data)
    average = len(answer.data) / len(body["items"])
    assert 2_500 <= average <= 5_000


def test_the_server_answers_once_started(cluster: SampleCluster) -> None:
    # How fast it starts is measured by the benchmark, not asserted here.
    with KubeAPIServer.for_cluster(cluster, token=TOKEN) as running:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert running.api.respond("GET", "/version", headers).status == 200


def test_continue_tokens_and_ages_as_kubernetes_writes_them() -> None:
    token = encode_continue("shop/pod-1\x00", 4211)
    assert "=" not in token and decode_continue(token) == ("shop/pod-1\x00", 4211)
    assert [human_duration(s) for s in (59, 125, 4000, 30 * 3600, 3 * 86400 + 7200)] == [
        "59s",
        "2m5s",
        "66m",
        "30h",
        "3d2h",
    ]


def test_objects_are_deterministic() -> None:
    a = sample_cluster(generate_estate(7, 1.0))
    b = sample_cluster(generate_estate(7, 1.0))
    assert a.objects == b.objects and a.resource_version == b.resource_version


# -- kubectl ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kubectl(kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    binary = shutil.which("kubectl") or (
        "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else None
    )
    if binary is None:
        if os.environ.get("RESIDENCY_REQUIRE_KUBECTL"):
            pytest.fail("kubectl is required (RESIDENCY_REQUIRE_KUBECTL) but not installed")
        pytest.skip("kubectl is not installed")
    home = tmp_path_factory.mktemp("kubectl-home")

    def run(*args: str, kubeconfig_path: Path = kubeconfig) -> subprocess.CompletedProcess[str]:
        command = [binary, "--kubeconfig", str(kubeconfig_path), "--cache-dir", str(home / "cache")]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=120, env=env, check=False
        )

    return run


@pytest.mark.slow
def test_kubectl_lists_nodes_and_pods_in_chunks(
    kubectl: Kubectl, server: KubeAPIServer, frames: dict[str, pd.DataFrame]
) -> None:
    before = len(server.requests)
    result = kubectl("get", "nodes,pods", "-A", "-o", "json", "--chunk-size=40")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    listed = [
        (i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"], i["metadata"]["uid"])
        for i in items
    ]
    expected = [("Node", *k) for k in frame_keys(frames["node"], namespaced=False)]
    expected += [("Pod", *k) for k in frame_keys(frames["pod"])]
    assert listed == expected
    pod_pages = [p for _, p, _ in server.requests[before:] if p.startswith("/api/v1/pods?")]
    assert len(pod_pages) == math.ceil(len(frames["pod"]) / 40)
    assert all("limit=40" in p for p in pod_pages) and all("continue=" in p for p in pod_pages[1:])


@pytest.mark.slow
def test_kubectl_prints_tables_and_reads_every_kind(
    kubectl: Kubectl, frames: dict[str, pd.DataFrame]
) -> None:
    deployments = kubectl("get", "deploy", "-A")
    assert deployments.returncode == 0, deployments.stderr
    lines = deployments.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    workloads = frames["workload"]
    names = workloads.loc[workloads["workload_kind"] == "Deployment", "name"]
    assert sorted(line.split()[1] for line in lines[1:]) == sorted(names)
    result = kubectl("get", "pv,pvc,sc,svc,ing,cm,vsclass", "-A", "-o", "json")
    assert result.returncode == 0, result.stderr
    kinds = pd.Series([i["kind"] for i in json.loads(result.stdout)["items"]]).value_counts()
    assert kinds.to_dict() == {
        "PersistentVolume": len(frames["persistent_volume"]),
        "PersistentVolumeClaim": len(frames["persistent_volume_claim"]),
        "StorageClass": len(frames["storage_class"]),
        "Service": len(frames["service"]),
        "Ingress": len(frames["ingress"]),
        "ConfigMap": len(frames["config_map"]),
        "VolumeSnapshotClass": len(frames["volume_snapshot_class"]),
    }
    snapshots = kubectl("get", "volumesnapshotclasses")
    assert snapshots.returncode == 0, snapshots.stderr
    assert snapshots.stdout.split()[:5] == [
        "NAME",
        "DRIVER",
        "DELETIONPOLICY",
        "AGE",
        "csi-cinder-snapclass",
    ]
    assert snapshots.stdout.split()[5:7] == ["cinder.csi.openstack.org", "Delete"]
    wide = kubectl("get", "pods", "-n", "shop", "-o", "wide")
    assert wide.returncode == 0, wide.stderr
    assert wide.stdout.splitlines()[0].split()[:7] == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
    ]


@pytest.mark.slow
def test_kubectl_lists_api_services(kubectl: Kubectl, frames: dict[str, pd.DataFrame]) -> None:
    result = kubectl("get", "apiservices", "-o", "json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert {i["kind"] for i in items} == {"APIService"}
    aggregated = {
        i["metadata"]["name"]: i["spec"]["service"] for i in items if "service" in i["spec"]
    }
    assert aggregated == {
        "v1alpha1.custom.metrics.k8s.io": {
            "namespace": "kube-system",
            "name": "metrics-adapter",
            "port": 443,
        },
        "v1beta1.metrics.k8s.io": {
            "namespace": "kube-system",
            "name": "metrics-server",
            "port": 443,
        },
    }
    assert len(items) - len(aggregated) >= 6
    table = kubectl("get", "apiservices")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split()[1:3] for line in table.stdout.splitlines()}
    assert rows["NAME"] == ["SERVICE", "AVAILABLE"]
    assert rows["v1.apps"] == ["Local", "True"]
    assert rows["v1beta1.metrics.k8s.io"] == ["kube-system/metrics-server", "True"]
    raw = kubectl("get", "--raw", "/.well-known/openid-configuration")
    assert raw.returncode == 0, raw.stderr
    assert json.loads(raw.stdout)["issuer"] == "https://oidc.nordlys.example"


@pytest.mark.slow
def test_kubectl_api_resources(kubectl: Kubectl) -> None:
    result = kubectl("api-resources")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    for name, short in {
        "nodes": "no",
        "pods": "po",
        "deployments": "deploy",
        "persistentvolumes": "pv",
        "persistentvolumeclaims": "pvc",
        "storageclasses": "sc",
        "services": "svc",
        "ingresses": "ing",
        "configmaps": "cm",
        "networkpolicies": "netpol",
    }.items():
        assert rows[name][1] == short


@pytest.mark.slow
def test_kubectl_reports_forbidden_failing_and_unauthorized(
    kubectl: Kubectl, server: KubeAPIServer, tmp_path: Path
) -> None:
    secrets = kubectl("get", "secrets", "-A")
    assert secrets.returncode != 0
    assert f"Error from server (Forbidden): {FORBIDDEN_SECRETS}" in secrets.stderr
    policies = kubectl("get", "netpol", "-A")
    assert policies.returncode != 0
    assert "Error from server (InternalError)" in policies.stderr
    wrong = wrong_kubeconfig(server, tmp_path)
    denied = kubectl("get", "nodes", kubeconfig_path=wrong)
    assert denied.returncode != 0
    assert "Unauthorized" in denied.stderr or "provide credentials" in denied.stderr
