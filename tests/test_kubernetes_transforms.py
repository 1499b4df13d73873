"""Kubernetes transforms on real published payloads (read from ../shared, never copied)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from residency_kubernetes.control_plane import (
    transform_api_services,
    transform_cluster,
    transform_config_maps,
    transform_webhooks,
)
from residency_kubernetes.flows import api_service_flows, identity_flows
from residency_kubernetes.network import (
    transform_ingresses,
    transform_network_policies,
    transform_services,
)
from residency_kubernetes.nodes import transform_nodes
from residency_kubernetes.storage import (
    transform_claims,
    transform_storage_classes,
    transform_volumes,
)
from residency_kubernetes.workloads import transform_pods, transform_workloads

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "upstream" / "kubernetes"
pytestmark = pytest.mark.skipif(
    not UPSTREAM.is_dir(), reason="../shared/fixtures/upstream/kubernetes is absent here"
)


def objects(relative: str, kind: str | None = None) -> list[dict[str, Any]]:
    text = (UPSTREAM / relative).read_text(encoding="utf-8")
    if relative.endswith(".json"):
        docs: list[Any] = [json.loads(text)]
    else:
        docs = [d for d in yaml.safe_load_all(text) if d]
    items: list[dict[str, Any]] = []
    for doc in docs:
        items.extend(doc.get("items", [doc]))
    return [i for i in items if kind is None or i.get("kind") == kind]


def test_node_with_legacy_labels_and_openstack_provider_id() -> None:
    [node] = transform_nodes(objects("node/houchj-kubetest-jq-nodelist.json")).to_dict("records")
    assert node["asset_id"] == "311fe5b4-0aa5-11ea-8f14-0a58c0a8054c"
    assert (node["region"], node["zone"]) == ("eu-nl-1", "eu-nl-1a")
    assert node["region_label"] == "legacy"
    assert node["parent_id"] == "175ad807-7d79-4fde-883d-afb9465dd290"  # the Nova server
    assert node["provider"] is None  # lineage through OpenStack, not a provider catalog
    assert node["internal_ip"] == "10.180.0.15"


def test_node_from_the_vitrage_list() -> None:
    [node] = transform_nodes(objects("node/vitrage-k8s-datasource-nodelist.yaml")).to_dict(
        "records"
    )
    assert node["parent_id"] == "41c40aab-80e9-4bb6-a280-27976bfc811f"
    assert (node["region"], node["zone"]) == ("regionOne", "zone0")
    assert node["kubelet_version"] == "v1.7.4"


def test_provider_id_schemes_and_topology_labels_win_over_legacy() -> None:
    def node(name: str, provider_id: str | None, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "metadata": {"name": name, "uid": name, "labels": labels},
            "spec": {"providerID": provider_id},
        }

    frame = transform_nodes(
        [
            node(
                "a",
                "aws:///eu-central-1a/i-0abc",
                {
                    "topology.kubernetes.io/region": "eu-central-1",
                    "failure-domain.beta.kubernetes.io/region": "old",
                },
            ),
            node("g", "gce://proj/europe-west3-a/vm-1", {}),
            node("o", "openstack://RegionOne/5d1f3c0e-0000-4000-8000-000000000001", {}),
            node("c", None, {"node-role.kubernetes.io/control-plane": ""}),
        ]
    ).set_index("name")
    assert frame.loc["a", "provider"] == "aws" and frame.loc["a", "region"] == "eu-central-1"
    assert frame.loc["a", "region_label"] == "topology" and frame.loc["a", "parent_id"] is None
    assert frame.loc["g", "provider"] == "gcp"
    assert frame.loc["o", "parent_id"] == "5d1f3c0e-0000-4000-8000-000000000001"
    assert bool(frame.loc["c", "control_plane"]) and frame.loc["c", "pool"] == "control-plane"


def test_cinder_csi_volume_points_at_its_cinder_volume_and_zone() -> None:
    [pv] = transform_volumes(
        objects("persistentvolume/cinder-csi-examples-recover-pv.yaml")
    ).to_dict("records")
    assert pv["parent_id"] == "e129824a-16fa-486d-a8c7-482945a626ff"
    assert pv["zone"] == "eu-de-01"  # from nodeAffinity topology.cinder.csi.openstack.org/zone
    assert pv["claim"] == "sib" and pv["storage_class"] == "sata"


def test_storage_class_claim_and_pod_from_one_multi_document_file() -> None:
    path = "storageclass/cinder-csi-topology-example.yaml"
    [sc] = transform_storage_classes(objects(path, "StorageClass"), "cp-node").to_dict("records")
    assert sc["provisioner"] == "cinder.csi.openstack.org" and sc["parent_id"] == "cp-node"
    [claim] = transform_claims(
        objects(path, "PersistentVolumeClaim"), pd.DataFrame(columns=["name", "asset_id"])
    ).to_dict("records")
    assert claim["parent_id"] is None  # not bound yet: no volume, no place
    [pod] = transform_pods(
        objects(path, "Pod"),
        pd.DataFrame(columns=["name", "asset_id", "region", "zone", "provider"]),
    ).to_dict("records")
    assert pod["parent_id"] is None  # not scheduled


def test_pod_parent_and_topology_come_from_its_node() -> None:
    nodes = pd.DataFrame(
        {
            "name": ["n1"],
            "asset_id": ["uid-n1"],
            "region": ["fra1"],
            "zone": ["fra1-a"],
            "provider": [None],
        }
    )
    pod = objects("pod/manila-auto-topology-aware-pod.yaml")[0]
    pod = {
        **pod,
        "spec": {
            **pod["spec"],
            "nodeName": "n1",
            "initContainers": [{"name": "init", "image": "busybox:1.36"}],
        },
    }
    [row] = transform_pods([pod], nodes).to_dict("records")
    assert (row["parent_id"], row["region"], row["zone"]) == ("uid-n1", "fra1", "fra1-a")
    assert row["images"] == "busybox:1.36,nginx"
    assert row["asset_id"] == "k8s:pod//new-nfs-share-pod"  # a manifest has no uid


def test_deployment() -> None:
    [row] = transform_workloads(
        objects("deployment/deploy-serverside.yaml"), "Deployment", None
    ).to_dict("records")
    assert row["asset_id"] == "51ac266e-9a37-11e6-8738-0800270c4edc"
    assert (row["name"], row["scope"], row["workload_kind"]) == (
        "nginx-deployment",
        "test",
        "Deployment",
    )


def test_services() -> None:
    frame = pd.concat(
        [
            transform_services(objects(f"service/{f}", "Service"), None)
            for f in (
                "external-http-nginx.yaml",
                "internal-http-nginx.yaml",
                "service-docs-externalname.yaml",
                "service-docs-externalips.yaml",
            )
        ],
        ignore_index=True,
    ).set_index("name")
    assert frame.loc["external-http-nginx-service", "service_type"] == "LoadBalancer"
    external = frame[frame["service_type"].eq("ExternalName")]
    assert external["external_name"].tolist() == ["my.database.example.com"]


@pytest.mark.parametrize(
    ("path", "hosts"),
    [
        ("ingress/name-virtual-host-ingress.yaml", "foo.bar.com,bar.foo.com"),
        ("ingress/tls-example-ingress.yaml", "https-example.foo.com"),
        ("ingress/serviceandingress.yaml", "test.com"),
    ],
)
def test_ingress_hosts_including_flow_style_and_legacy(path: str, hosts: str) -> None:
    [row] = transform_ingresses(objects(path, "Ingress"), None).to_dict("records")
    assert row["hosts"] == hosts


def test_network_policy_egress() -> None:
    [row] = transform_network_policies(objects("networkpolicy/networkpolicy.yaml"), None).to_dict(
        "records"
    )
    assert row["policy_types"] == "Ingress,Egress"
    assert row["egress_rules"] == "1"


def test_validating_webhook_placeholder_is_unresolved_not_a_host() -> None:
    [row] = transform_webhooks(
        objects("validatingwebhookconfiguration/gatekeeper-remote-cluster-vwc.yaml"),
        "validating",
        None,
    ).to_dict("records")
    assert row["webhook_hosts"] is None
    assert row["webhook_unresolved"] == "<local-cluster-endpoint>"


def test_mutating_webhook_template_is_unresolved() -> None:
    # The file is a Go template, not YAML: render its actions as visible placeholders first.
    text = (
        UPSTREAM / "mutatingwebhookconfiguration/gardener-extension-ontap-mutating-webhook.yaml.tpl"
    ).read_text()
    rendered = re.sub(r"\{\{[^}]*\}\}", "TEMPLATE-PLACEHOLDER", text).replace(
        "TEMPLATE-PLACEHOLDER:443", "{{.WebhookNamespace}}:443"
    )
    [row] = transform_webhooks([yaml.safe_load(rendered)], "mutating", None).to_dict("records")
    assert row["webhook_hosts"] is None
    assert row["webhook_unresolved"] == "gardener-extension-extension-ontap.{{.WebhookNamespace}}"


def test_webhook_url_never_keeps_userinfo_or_query() -> None:
    hook = {
        "metadata": {"name": "w", "uid": "w"},
        "webhooks": [
            {
                "name": "a",
                "clientConfig": {"url": "https://user:s3cret@policy.example.eu:8443/v1?token=abc"},
            },
            {"name": "b", "clientConfig": {"service": {"namespace": "gk", "name": "svc"}}},
        ],
    }
    [row] = transform_webhooks([hook], "validating", None).to_dict("records")
    assert row["webhook_hosts"] == "policy.example.eu"
    assert row["webhook_services"] == "gk/svc"
    assert "s3cret" not in json.dumps(row) and "abc" not in json.dumps(row)


def test_config_maps_are_assets_without_their_data() -> None:
    import datetime as dt

    from residency.collect import assets_batch
    from residency_kubernetes.control_plane import CONFIG_MAP_ATTRIBUTES

    frame = transform_config_maps(
        objects("coredns/dns-custom-nameservers-coredns-configmap.yaml", "ConfigMap"), "cp"
    )
    _, table = assets_batch(
        frame,
        source="k",
        platform="kubernetes",
        observed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        attributes=CONFIG_MAP_ATTRIBUTES,
    )
    [row] = table.to_pylist()
    assert row["name"] == "coredns" and row["parent_id"] == "cp"
    assert "forward" not in json.dumps(row, default=str)  # what is stored holds no config text


def test_registry_webhook_and_external_name_flows() -> None:
    from residency_kubernetes.flows import external_name_flows, registry_flows, webhook_flows

    pods = pd.DataFrame(
        {
            "asset_id": ["p1", "p2"],
            "scope": ["shop", "shop"],
            "name": ["web-1", "web-2"],
            "images": ["busybox:1.36,nginx,quay.io/prometheus/node-exporter:v1", None],
        }
    )
    flows = registry_flows(pods)
    assert sorted(flows["host"]) == ["docker.io", "quay.io"]  # busybox and nginx: one flow
    assert set(flows["channel"]) == {"registry"} and set(flows["asset_id"]) == {"p1"}
    assert flows["evidence"].str.startswith("Pod shop/web-1 pulls image ").all()

    hook = {
        "metadata": {"name": "w", "uid": "w"},
        "webhooks": [
            {"name": "a", "clientConfig": {"url": "https://user:pw@policy.example.eu:8443/v1?t=x"}}
        ],
    }
    [row] = webhook_flows(transform_webhooks([hook], "validating", None)).to_dict("records")
    assert (row["host"], row["channel"], row["endpoint"]) == (
        "policy.example.eu",
        "webhook",
        "https://policy.example.eu",
    )
    assert "pw" not in json.dumps(row, default=str)

    services = transform_services(
        objects("service/service-docs-externalname.yaml", "Service"), None
    )
    [row] = external_name_flows(services).to_dict("records")
    assert (row["host"], row["channel"]) == ("my.database.example.com", "egress")
    assert row["evidence"] == "Service prod/my-service spec.externalName"


def test_velero_backup_locations_place_the_bucket_and_flow_to_it() -> None:
    from residency_kubernetes.crds import backup_flows, transform_backup_locations

    aws = transform_backup_locations(
        objects("backupstoragelocation/api-types-bsl-aws-us-west-2.yaml")
    )
    [row] = aws.to_dict("records")
    assert (row["provider"], row["region"], row["bucket"]) == ("aws", "us-west-2", "myBucket")
    [flow] = backup_flows(aws).to_dict("records")
    assert (flow["channel"], flow["host"]) == ("backup", "s3.us-west-2.amazonaws.com")
    assert "secret-name" not in json.dumps(flow, default=str)  # credentials are never followed

    minio = transform_backup_locations(
        objects("backupstoragelocation/api-types-bsl-minio-s3url.yaml")
    )
    [row] = minio.to_dict("records")
    assert row["provider"] is None  # an s3Url is not AWS, whatever region it names
    [flow] = backup_flows(minio).to_dict("records")
    assert flow["host"] == "minio.example.com"


@pytest.mark.parametrize(
    ("path", "host"),
    [
        (
            "clusterissuer/clusterissuer-lets-encrypt-staging.yaml",
            "acme-staging-v02.api.letsencrypt.org",
        ),
        ("clusterissuer/zerossl-clusterissuer.yaml", "acme.zerossl.com"),
        (
            "clusterissuer/clusterissuer-lets-encrypt-production-aks.yaml",
            "acme-v02.api.letsencrypt.org",
        ),
        ("clusterissuer/acme-README-eab-clusterissuer.yaml", None),
    ],
)
def test_cert_manager_issuers_flow_to_their_acme_server(path: str, host: str | None) -> None:
    from residency_kubernetes.crds import acme_flows, transform_issuers

    issuers = transform_issuers(
        objects(path, "ClusterIssuer") or objects(path), "ClusterIssuer", "cp"
    )
    assert set(issuers["parent_id"]) == {"cp"}
    flows = acme_flows(issuers)
    if host is None:
        assert issuers["acme_server"].notna().sum() == len(flows)
    else:
        assert flows["host"].tolist() == [host]
        assert set(flows["channel"]) == {"acme"}


def corefile_maps(text: str, name: str = "coredns") -> pd.DataFrame:
    return pd.DataFrame(
        {"asset_id": ["cm"], "name": [name], "scope": ["kube-system"], "corefile": [text]}
    )


def test_coredns_forwards_from_a_config_map() -> None:
    from residency_kubernetes.dns import corefile_forwards

    maps = transform_config_maps(
        objects("coredns/dns-custom-nameservers-coredns-configmap.yaml", "ConfigMap"), "cp"
    )
    flows = corefile_forwards(maps)
    assert flows["host"].tolist() == ["172.16.0.1", "10.150.0.1"]
    assert set(flows["channel"]) == {"dns"} and flows["port"].tolist() == [53, 53]
    assert (
        flows["evidence"].iloc[1] == "ConfigMap kube-system/coredns Corefile: forward . 10.150.0.1"
    )


@pytest.mark.parametrize(
    ("file", "hosts", "unresolved"),
    [
        ("forward-README-dot-upstream.Corefile", ["1.1.1.1", "1.0.0.1"], 0),
        ("forward-README-multi-domain.Corefile", ["10.20.0.1", "10.0.0.1"], 1),  # /etc/resolv.conf
    ],
)
def test_corefile_forward_targets(file: str, hosts: list[str], unresolved: int) -> None:
    from residency_kubernetes.dns import corefile_forwards

    flows = corefile_forwards(corefile_maps((UPSTREAM / "coredns" / file).read_text()))
    assert flows["host"].dropna().tolist() == hosts
    assert int(flows["host"].isna().sum()) == unresolved
    assert flows.loc[flows["host"].isna(), "evidence"].str.endswith("(unresolved)").all()


def test_corefile_template_placeholder_is_unresolved() -> None:
    from residency_kubernetes.dns import corefile_forwards

    text = (UPSTREAM / "coredns" / "coredns.yaml.sed").read_text()
    flows = corefile_forwards(corefile_maps(text))
    assert len(flows) == 1 and flows["host"].isna().all()
    assert "UPSTREAMNAMESERVER" in flows["evidence"].iloc[0]


# APIServices as kube-apiserver serves them: a local one (registered by the apiserver at start),
# metrics-server's (its release manifest, components.yaml, plus the defaulted port and the
# status the aggregator writes) and prometheus-adapter's custom metrics API.
LOCAL_APPS = {
    "kind": "APIService",
    "apiVersion": "apiregistration.k8s.io/v1",
    "metadata": {
        "name": "v1.apps",
        "uid": "d1b7e0a4-3f7c-4c7e-9a55-0f3b1c2d4e5f",
        "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"},
    },
    "spec": {
        "group": "apps",
        "version": "v1",
        "groupPriorityMinimum": 17800,
        "versionPriority": 15,
    },
    "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local"}]},
}
METRICS_SERVER = {
    "kind": "APIService",
    "apiVersion": "apiregistration.k8s.io/v1",
    "metadata": {
        "name": "v1beta1.metrics.k8s.io",
        "uid": "5c0a7d9e-2b1f-4a8c-9d3e-6f7a8b9c0d1e",
        "labels": {"k8s-app": "metrics-server"},
    },
    "spec": {
        "group": "metrics.k8s.io",
        "groupPriorityMinimum": 100,
        "insecureSkipTLSVerify": True,
        "service": {"name": "metrics-server", "namespace": "kube-system", "port": 443},
        "version": "v1beta1",
        "versionPriority": 100,
    },
    "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Passed"}]},
}
CUSTOM_METRICS = {
    "kind": "APIService",
    "apiVersion": "apiregistration.k8s.io/v1",
    "metadata": {"name": "v1beta1.custom.metrics.k8s.io"},
    "spec": {
        "service": {"name": "prometheus-adapter", "namespace": "monitoring", "port": 6443},
        "group": "custom.metrics.k8s.io",
        "version": "v1beta1",
        "caBundle": "LS0tLS1CRUdJTi==",
        "groupPriorityMinimum": 100,
        "versionPriority": 100,
    },
}


def test_api_services_keep_only_aggregated_ones_and_flow_to_external_backends() -> None:
    external = pd.DataFrame(
        {"service": ["monitoring/prometheus-adapter"], "external_name": ["adapter.vendor.example"]}
    )
    frame = transform_api_services([LOCAL_APPS, METRICS_SERVER, CUSTOM_METRICS], "cp-0", external)
    assert frame["name"].tolist() == ["v1beta1.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io"]
    rows = frame.set_index("name")
    assert rows.loc["v1beta1.metrics.k8s.io", ["group", "version", "service"]].tolist() == [
        "metrics.k8s.io",
        "v1beta1",
        "kube-system/metrics-server",
    ]
    assert rows["insecure_skip_tls_verify"].tolist() == ["true", "false"]
    assert rows["asset_id"].tolist() == [
        "5c0a7d9e-2b1f-4a8c-9d3e-6f7a8b9c0d1e",
        "k8s:api_service//v1beta1.custom.metrics.k8s.io",  # read from a manifest: no uid
    ]
    assert set(rows["parent_id"]) == {"cp-0"} and rows["scope"].isna().all()
    [flow] = api_service_flows(frame).to_dict("records")
    assert (flow["channel"], flow["endpoint"], flow["host"], flow["port"]) == (
        "webhook",
        "https://adapter.vendor.example:6443",
        "adapter.vendor.example",
        6443,
    )
    assert flow["evidence"].startswith("APIService v1beta1.custom.metrics.k8s.io ")
    only_local = transform_api_services([LOCAL_APPS], None, external.iloc[:0])
    assert only_local.empty and api_service_flows(only_local).empty


# What GET /.well-known/openid-configuration answers: kubeadm's default issuer, and an EKS
# cluster's (its documented discovery URL form).
KUBEADM_DISCOVERY = {
    "issuer": "https://kubernetes.default.svc.cluster.local",
    "jwks_uri": "https://172.18.0.2:6443/openid/v1/jwks",
    "response_types_supported": ["id_token"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
}
EKS_DISCOVERY = {
    "issuer": "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
    "jwks_uri": "https://ip-10-0-1-12.eu-west-1.compute.internal:443/openid/v1/jwks",
    "response_types_supported": ["id_token"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": ["RS256"],
}
VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.4", "platform": "linux/amd64"}


def test_cluster_row_strips_the_server_url_and_flows_only_to_an_external_issuer() -> None:
    server = "https://reader:s3cret@api.kube.example:6443/?token=abc"
    frame = transform_cluster("prod", server, VERSION, EKS_DISCOVERY, "cp-0")
    [row] = frame.to_dict("records")
    assert row == {
        "kind": "cluster",
        "asset_id": "cluster:prod",
        "name": "api.kube.example",
        "scope": None,
        "parent_id": "cp-0",
        "server": "https://api.kube.example:6443/",
        "git_version": "v1.31.4",
        "issuer": EKS_DISCOVERY["issuer"],
    }
    [flow] = identity_flows(frame).to_dict("records")
    assert (flow["asset_id"], flow["channel"], flow["host"], flow["port"]) == (
        "cluster:prod",
        "identity",
        "oidc.eks.eu-west-1.amazonaws.com",
        443,
    )
    in_cluster = transform_cluster("lab", "https://10.96.0.1:443", VERSION, KUBEADM_DISCOVERY, None)
    assert in_cluster["issuer"].tolist() == ["https://kubernetes.default.svc.cluster.local"]
    assert identity_flows(in_cluster).empty
    # The issuer may be the API server's own address: no flow out either.
    own = transform_cluster(
        "x", "https://api.kube.example:6443", {}, {"issuer": "https://api.kube.example:6443"}, None
    )
    assert identity_flows(own).empty
    unread = transform_cluster("y", "https://api.kube.example:6443", {}, {}, None)
    assert unread[["git_version", "issuer"]].isna().all(axis=None) and identity_flows(unread).empty


@pytest.mark.parametrize(
    ("relative", "keys"),
    [
        (
            "otel-collector/examples-k8s-otel-config.yaml",
            {"otel-agent-config", "otel-collector-config"},
        ),
        ("otel-collector/datadogexporter-k8s-chart-configmap.yaml", None),
        ("fluent-bit/fluent-bit-configmap.yaml", None),
    ],
)
def test_telemetry_config_maps_are_assets_with_key_names_but_no_values(
    relative: str, keys: set[str] | None
) -> None:
    """Telemetry agents' ConfigMaps are recorded (the data-flow parsers read their sinks at
    collection time); only the names of their data keys are stored, never the values."""
    items = objects(relative, "ConfigMap")
    frame = transform_config_maps(items, "cp-node")
    assert len(frame) == len(items) >= 1
    assert set(frame["kind"]) == {"config_map"}
    assert set(frame["parent_id"]) == {"cp-node"}
    for item, row in zip(items, frame.to_dict("records"), strict=True):
        assert row["name"] == item["metadata"]["name"]
        assert row["data_keys"] == ",".join(sorted(item.get("data") or {}))
        stored = " ".join(str(v) for k, v in row.items() if k != "corefile")
        for value in (item.get("data") or {}).values():
            assert str(value) not in stored
    if keys is not None:
        assert set(",".join(frame["data_keys"]).split(",")) == keys
