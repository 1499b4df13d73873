"""The kubernetes collector over real HTTPS against the local endpoint serving the sample cluster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from residency.collect import CollectContext
from residency.config import load_config
from residency.sample import generate_estate
from residency.sample.kube_objects import Failure, sample_cluster
from residency.sample.kubeapi import KubeAPIServer
from residency.sweep import run_sweep
from residency_kubernetes import KubernetesCollector, KubernetesOptions
from residency_sample import SampleCollector, SampleOptions

from .conftest import write_config

TOKEN = "test-token-7f3a9c"
COMPARED = [
    "kind",
    "asset_id",
    "name",
    "scope",
    "region",
    "zone",
    "provider",
    "parent_id",
    "category",
]


def tables(batches: Iterator[tuple[str, pa.Table]]) -> dict[str, pd.DataFrame]:
    grouped: dict[str, list[pa.Table]] = {}
    for name, batch in batches:
        grouped.setdefault(name, []).append(batch)
    return {name: pa.concat_tables(parts).to_pandas() for name, parts in grouped.items()}


def ctx() -> CollectContext:
    return CollectContext(sweep_id="test", observed_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def collect_over_http(
    server: KubeAPIServer, tmp: Path, **options: object
) -> dict[str, pd.DataFrame]:
    kubeconfig = server.write_kubeconfig(tmp / "kubeconfig")
    opts = KubernetesOptions(kubeconfig=kubeconfig, context="kube-prod", retries=0, **options)  # type: ignore[arg-type]
    return tables(KubernetesCollector("kube-prod", opts).collect(ctx()))


def collect_directly(seed: int, scale: float) -> dict[str, pd.DataFrame]:
    options = SampleOptions(seed=seed, scale=scale, members=["kube-prod"])
    return tables(SampleCollector("sample", options).collect(ctx()))


SAMPLE_SERVER_HOST = "kube-prod.nordlys.example"


def control_plane_flows(collected: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Flows from the cluster, its APIServices, ConfigMaps and telemetry agents, and pods'
    vendor variables (the flows the sample defines: not pods' registries)."""
    assets = collected["assets"]
    kinds = ["cluster", "api_service", "config_map", "telemetry_agent"]
    ids = assets.loc[assets["kind"].isin(kinds), "asset_id"]
    pods = assets.loc[assets["kind"].eq("pod"), "asset_id"]
    flows = collected["flows"]
    flows = flows[
        flows["asset_id"].isin(ids)
        | (flows["asset_id"].isin(pods) & flows["channel"].ne("registry"))
    ]
    columns = ["asset_id", "channel", "endpoint", "host", "port", "evidence"]
    frame = flows[columns].astype(object).sort_values(["asset_id", "channel", "evidence"])
    return frame.where(frame.notna(), None).reset_index(drop=True)


def canonical(assets: pd.DataFrame) -> pd.DataFrame:
    frame = assets[COMPARED].astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.sort_values(["kind", "asset_id"]).reset_index(drop=True)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.05, 0.3, 1.0, 2.5]))
def test_tables_over_http_equal_the_generated_ones(
    tmp_path_factory: pytest.TempPathFactory, seed: int, scale: float
) -> None:
    estate = generate_estate(seed, scale)
    cluster = sample_cluster(estate)
    with KubeAPIServer.for_cluster(cluster, token=TOKEN) as server:
        over_http = collect_over_http(server, tmp_path_factory.mktemp("k"), page_size=37)
    direct = collect_directly(seed, scale)
    assets = over_http["assets"]
    cluster = assets["kind"].eq("cluster")
    # The cluster is named after the API server it was read from: here, the local endpoint.
    assert assets.loc[cluster, "name"].tolist() == ["127.0.0.1"]
    assets["name"] = assets["name"].where(~cluster, SAMPLE_SERVER_HOST)
    pd.testing.assert_frame_equal(canonical(assets), canonical(direct["assets"]))
    pd.testing.assert_frame_equal(control_plane_flows(over_http), control_plane_flows(direct))
    http_cov = over_http["coverage"].set_index("kind")["status"].astype(str)
    direct_cov = direct["coverage"].set_index("kind")["status"].astype(str)
    # Both see the same failing NetworkPolicy list; HTTP also lists kinds the sample has none of.
    assert http_cov["network_policy"] == direct_cov["network_policy"] == "error"
    assert set(http_cov[http_cov.index.isin(direct_cov.index)].drop("network_policy")) <= {
        "ok",
        "not_found",
    }


@pytest.fixture(scope="module")
def estate_and_server() -> Iterator[tuple[object, KubeAPIServer]]:
    estate = generate_estate(7, 1.0)
    with KubeAPIServer.for_cluster(sample_cluster(estate), token=TOKEN) as server:
        yield estate, server


def test_secrets_are_never_requested_and_the_token_never_stored(
    estate_and_server: tuple[object, KubeAPIServer], tmp_path: Path
) -> None:
    estate, server = estate_and_server
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    config = load_config(
        write_config(
            tmp_path,
            estate.config(store="store", kubeconfig=kubeconfig.name),  # type: ignore[attr-defined]
        )
    )
    before = len(server.requests)
    outcome = run_sweep(config, "residency.yaml")
    paths = [path.split("?")[0] for _, path, _ in server.requests[before:]]
    # The sweep listed every kind (pods among them), and none of it touched Secrets.
    assert "/api/v1/pods" in paths and len(set(paths)) >= 15
    assert not any("secret" in path.lower() for path in paths)
    for file in Path(str(outcome.folder)).iterdir():
        assert TOKEN.encode() not in file.read_bytes(), file.name
    assert outcome.summary["findings"]["fail"] > 0


def test_forbidden_nodes_leave_pods_unknown_never_passing(tmp_path: Path) -> None:
    estate = generate_estate(3, 0.2)
    cluster = sample_cluster(estate)
    with KubeAPIServer(
        cluster.objects, token=TOKEN, forbidden={*cluster.forbidden, "nodes"}
    ) as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        data = estate.config(store="store", kubeconfig=kubeconfig.name)
        config = load_config(write_config(tmp_path, data))
        outcome = run_sweep(config, "residency.yaml")
    coverage = outcome.coverage.set_index(["source", "kind"])
    assert coverage.loc[("kube-prod", "node"), "status"] == "forbidden"
    assert "nodes is forbidden" in coverage.loc[("kube-prod", "node"), "error"]
    findings = outcome.findings
    pods = findings[findings["source"].eq("kube-prod") & findings["subject_kind"].eq("pod")]
    assert len(pods) > 0
    assert set(pods["status"]) == {"unknown"}
    gap = findings[findings["subject_table"].eq("coverage") & findings["subject_kind"].eq("node")]
    assert set(gap["status"]) == {"unknown"}
    assert outcome.exit_code == 1  # the clouds still have planted violations


def test_an_expired_continue_token_restarts_the_list_without_repeats(
    estate_and_server: tuple[object, KubeAPIServer],
) -> None:
    from kubernetes import config as kube_config

    from residency_kubernetes.api import Lister

    _, server = estate_and_server
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig")
        api = kube_config.new_client_from_config(config_file=str(kubeconfig), context="kube-prod")
    pages = Lister(api, page_size=50).pages("/api/v1/pods")
    first = next(pages)
    server.compact()  # the continue token of the next request is now too old: 410
    rest = [item for page in pages for item in page]
    uids = [p["metadata"]["uid"] for p in first + rest]
    assert len(uids) == len(set(uids)) == 600


def test_namespace_scoped_mode_lists_only_those_namespaces(
    estate_and_server: tuple[object, KubeAPIServer], tmp_path: Path
) -> None:
    _, server = estate_and_server
    collected = collect_over_http(server, tmp_path, namespaces=["shop"])
    pods = collected["assets"][collected["assets"]["kind"].eq("pod")]
    assert len(pods) > 0 and set(pods["scope"]) == {"shop"}
    paths = {path for _, path, _ in server.requests}
    assert "/api/v1/namespaces/shop/pods" in {p.split("?")[0] for p in paths}


def test_the_shipped_cluster_role_grants_exactly_what_is_listed_and_no_secrets() -> None:
    import yaml

    from residency_kubernetes import RESOURCES, control_plane

    role = yaml.safe_load(
        (
            Path(__file__).parents[1] / "collectors" / "residency_kubernetes" / "rbac.yaml"
        ).read_text()
    )
    granted = {
        (group, resource)
        for rule in role["rules"]
        for group in rule.get("apiGroups", [])
        for resource in rule["resources"]
        if set(rule["verbs"]) == {"get", "list"}
    }
    paths = [rule for rule in role["rules"] if "nonResourceURLs" in rule]
    assert [(r["nonResourceURLs"], r["verbs"]) for r in paths] == [
        (list(control_plane.NON_RESOURCE_PATHS), ["get"])
    ]
    listed = set()
    for resource in RESOURCES:
        parts = resource.path.strip("/").split("/")
        group = "" if parts[0] == "api" else parts[1]
        listed.add((group, parts[-1]))
    assert granted == listed
    assert not any("secret" in name for _, name in granted)


def _snapshot_classes(server: KubeAPIServer, tmp: Path) -> tuple[pd.DataFrame, str]:
    tmp.mkdir(exist_ok=True)
    collected = collect_over_http(server, tmp)
    assets = collected["assets"]
    coverage = collected["coverage"].set_index("kind")["status"].astype(str)
    return assets[assets["kind"].eq("volume_snapshot_class")], coverage["volume_snapshot_class"]


def test_volume_snapshot_classes_are_assets_with_driver_and_deletion_policy(
    estate_and_server: tuple[object, KubeAPIServer], tmp_path: Path
) -> None:
    _, server = estate_and_server
    classes, status = _snapshot_classes(server, tmp_path)
    assert status == "ok"
    assert classes["name"].tolist() == ["csi-cinder-snapclass"]
    [row] = classes.to_dict("records")
    assert row["category"] == "customer_resource" and pd.isna(row["scope"])
    assert dict(row["attributes"]) == {
        "driver": "cinder.csi.openstack.org",
        "deletion_policy": "Delete",
    }


def test_an_absent_snapshot_crd_is_not_found_and_a_forbidden_one_forbidden(
    tmp_path: Path,
) -> None:
    from residency.sample.kube_objects import RESOURCES as SERVED

    cluster = sample_cluster(generate_estate(5, 0.05))
    key = "volumesnapshotclasses.snapshot.storage.k8s.io"
    without = [r for r in SERVED if r.key != key]
    objects = {k: v for k, v in cluster.objects.items() if k != key}
    with KubeAPIServer(objects, token=TOKEN, resources=without) as server:
        classes, status = _snapshot_classes(server, tmp_path / "absent")
    assert (len(classes), status) == (0, "not_found")
    with KubeAPIServer(cluster.objects, token=TOKEN, forbidden={key}) as server:
        classes, status = _snapshot_classes(server, tmp_path / "forbidden")
    assert (len(classes), status) == (0, "forbidden")


def test_aggregated_api_services_and_the_cluster_with_its_external_issuer(
    estate_and_server: tuple[object, KubeAPIServer], tmp_path: Path
) -> None:
    estate, server = estate_and_server
    collected = collect_over_http(server, tmp_path)
    assets, flows = collected["assets"], collected["flows"]
    coverage = collected["coverage"].set_index("kind")
    control_plane_node = estate.source("kube-prod").frames["api_service"]["parent_id"].iloc[0]  # type: ignore[attr-defined]
    apis = assets[assets["kind"].eq("api_service")].set_index("name")
    # The ten local APIServices (v1, v1.apps, …) are the apiserver itself: not assets.
    assert sorted(apis.index) == ["v1alpha1.custom.metrics.k8s.io", "v1beta1.metrics.k8s.io"]
    assert dict(apis.loc["v1beta1.metrics.k8s.io", "attributes"]) == {
        "group": "metrics.k8s.io",
        "version": "v1beta1",
        "service": "kube-system/metrics-server",
        "insecure_skip_tls_verify": "true",
    }
    assert set(apis["category"]) == {"control_plane"}
    assert set(apis["parent_id"]) == {control_plane_node}
    assert coverage.loc["api_service", ["status", "rows"]].tolist() == ["ok", 2]
    # Only the adapter behind an ExternalName Service is a flow out of the cluster.
    hooks = flows[flows["asset_id"].isin(apis["asset_id"])]
    assert hooks[["channel", "host", "port"]].values.tolist() == [
        ["webhook", "metrics-adapter.vendor.example", 443]
    ]
    assert hooks["asset_id"].iloc[0] == apis.loc["v1alpha1.custom.metrics.k8s.io", "asset_id"]

    [cluster] = assets[assets["kind"].eq("cluster")].to_dict("records")
    assert (cluster["asset_id"], cluster["name"]) == ("cluster:kube-prod", "127.0.0.1")
    assert (cluster["category"], list(cluster["data_classes"])) == (
        "control_plane",
        ["technical", "administrative"],
    )
    assert cluster["parent_id"] == control_plane_node
    assert dict(cluster["attributes"]) == {
        "server": server.url,
        "git_version": "v1.31.4",
        "issuer": "https://oidc.nordlys.example",
    }
    assert coverage.loc["cluster", ["status", "rows"]].tolist() == ["ok", 1]
    identity = flows[flows["channel"].eq("identity")]
    assert identity[["asset_id", "endpoint", "host", "port"]].values.tolist() == [
        ["cluster:kube-prod", "https://oidc.nordlys.example", "oidc.nordlys.example", 443]
    ]


@pytest.mark.parametrize(
    ("served", "status", "issuer", "message"),
    [
        ({"issuer": None}, "not_found", None, "/.well-known/openid-configuration: 404"),
        (
            {"forbidden": {"/.well-known/openid-configuration"}},
            "forbidden",
            None,
            'cannot get path "/.well-known/openid-configuration"',
        ),
        (
            {"failing": {"/.well-known/openid-configuration": Failure()}},
            "error",
            None,
            "/.well-known/openid-configuration: 500",
        ),
        (
            {"forbidden": {"/version"}},
            "forbidden",
            "https://kubernetes.default.svc.cluster.local",
            "/version: 403",
        ),
        ({}, "ok", "https://kubernetes.default.svc.cluster.local", None),
    ],
)
def test_issuer_discovery_that_cannot_be_read_is_coverage_and_no_flow(
    tmp_path: Path, served: dict[str, Any], status: str, issuer: str | None, message: str | None
) -> None:
    cluster = sample_cluster(generate_estate(5, 0.05))
    with KubeAPIServer(cluster.objects, token=TOKEN, **served) as server:
        collected = collect_over_http(server, tmp_path)
    assets, flows = collected["assets"], collected["flows"]
    [row] = collected["coverage"][collected["coverage"]["kind"].eq("cluster")].to_dict("records")
    assert (row["status"], row["rows"]) == (status, 1)
    if message is None:
        assert pd.isna(row["error"])
    else:
        assert message in row["error"]
    [found] = assets[assets["kind"].eq("cluster")].to_dict("records")
    attributes = dict(found["attributes"])
    assert attributes.get("issuer") == issuer
    assert ("git_version" in attributes) == (served != {"forbidden": {"/version"}})
    # Unknown or in-cluster issuer: never an identity flow, and never a crash.
    assert not flows["channel"].eq("identity").any()
