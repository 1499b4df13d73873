"""Telemetry agents' custom resources and vendor agents' environment variables, as the kubernetes
collector reads them: transforms on short cited excerpts of published examples, and the
collector over HTTPS against the local API endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from residency.config import load_config
from residency.sample import generate_estate
from residency.sample.kube_objects import RESOURCES as SERVED
from residency.sample.kube_objects import KubeObject, ResourceType, sample_cluster
from residency.sample.kubeapi import KubeAPIServer
from residency.sweep import run_sweep
from residency_kubernetes.agents import agent_flows, pod_flows, transform_agents
from residency_kubernetes.workloads import transform_pods

from .conftest import write_config
from .test_kubernetes_collector import TOKEN, collect_over_http

OTEL = "opentelemetrycollectors.opentelemetry.io"
PROMETHEUS = "prometheuses.monitoring.coreos.com"
AGENTS = "prometheusagents.monitoring.coreos.com"
NODES = pd.DataFrame(columns=["name", "asset_id", "region", "zone", "provider"])


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def agents(manifest: str, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = [d for d in yaml.safe_load_all(manifest) if d]
    rows = transform_agents(items, kind, "cp-node")
    return rows, plain(agent_flows(rows))


# --- OpenTelemetryCollector ------------------------------------------------------------------

# https://github.com/open-telemetry/opentelemetry-operator/blob/87c29f8b03e08a8a9df31d11960c0ac0094b34ea/config/samples/core_v1beta1_opentelemetrycollector.yaml
OPERATOR_V1BETA1_SAMPLE = """\
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata:
  name: otel
spec:
  config:
    receivers:
      otlp:
        protocols:
          grpc: {}
          http: {}

    exporters:
      debug: {}

    service:
      pipelines:
        traces:
          receivers: [otlp]
          exporters: [debug]
"""


def test_v1beta1_sample_with_only_a_debug_exporter_is_an_asset_without_flows() -> None:
    rows, flows = agents(OPERATOR_V1BETA1_SAMPLE, "OpenTelemetryCollector")
    [row] = rows.to_dict("records")
    assert (row["kind"], row["name"], row["parent_id"]) == ("telemetry_agent", "otel", "cp-node")
    assert (row["agent_kind"], row["api_version"]) == (
        "OpenTelemetryCollector",
        "opentelemetry.io/v1beta1",
    )
    assert flows.empty  # debug writes to the collector's own log


# An object config (v1beta1) has no lines of its own: the evidence names the field only.
V1BETA1_GATEWAY = """\
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata: {name: gateway, namespace: observability, uid: 0b6c}
spec:
  mode: deployment
  config:
    exporters:
      otlphttp:
        endpoint: https://otlp.eu01.nr-data.net:4318/v1/traces?api-key=abc123
      otlp/tempo:
        endpoint: tempo-distributor.observability.svc.cluster.local:4317
    service:
      pipelines:
        traces: {exporters: [otlphttp, otlp/tempo]}
"""


def test_v1beta1_object_config_flows_keep_scheme_host_and_port_only() -> None:
    _, flows = agents(V1BETA1_GATEWAY, "OpenTelemetryCollector")
    assert flows[["asset_id", "channel", "endpoint", "host", "port"]].values.tolist() == [
        ["0b6c", "traces", "https://otlp.eu01.nr-data.net:4318", "otlp.eu01.nr-data.net", 4318],
        [
            "0b6c",
            "traces",
            "tempo-distributor.observability.svc.cluster.local:4317",
            "tempo-distributor.observability.svc.cluster.local",
            4317,
        ],
    ]
    assert flows["evidence"].iloc[0] == (
        "OpenTelemetryCollector observability/gateway spec.config "
        "exporters.otlphttp.endpoint: https://otlp.eu01.nr-data.net:4318"
    )
    assert "abc123" not in flows.to_csv() and "/v1/traces" not in flows.to_csv()


# https://github.com/open-telemetry/opentelemetry-operator/blob/232afd49dbb2e549aa6cfa4c83df12288a1742f5/config/samples/splunk_agent.yaml
# (excerpt: the exporters and the traces pipeline; the realm comes from the pod's env)
SPLUNK_AGENT_V1ALPHA1 = """\
apiVersion: opentelemetry.io/v1alpha1
kind: OpenTelemetryCollector
metadata:
  name: splunk-otel-agent
  namespace: splunk-otel-operator-system
spec:
  config: |
    exporters:
      sapm:
        access_token: ${SPLUNK_ACCESS_TOKEN}
        endpoint: https://ingest.${SPLUNK_REALM}.signalfx.com/v2/trace
      signalfx:
        access_token: ${SPLUNK_ACCESS_TOKEN}
        api_url: https://api.${SPLUNK_REALM}.signalfx.com
        ingest_url: https://ingest.${SPLUNK_REALM}.signalfx.com
        sync_host_metadata: true
      logging:

    service:
      pipelines:
        traces:
          receivers: [otlp, jaeger]
          exporters: [sapm, signalfx]
  mode: daemonset
"""


def test_v1alpha1_string_config_placeholders_are_unresolved_with_their_lines() -> None:
    _, flows = agents(SPLUNK_AGENT_V1ALPHA1, "OpenTelemetryCollector")
    assert flows["channel"].tolist() == ["traces", "traces"]
    assert flows["host"].tolist() == [None, None]  # ${SPLUNK_REALM}: never a host
    assert flows["endpoint"].tolist() == [None, None]
    assert flows["evidence"].tolist() == [
        "OpenTelemetryCollector splunk-otel-operator-system/splunk-otel-agent "
        "spec.config:4 exporters.sapm.endpoint: ingest.${SPLUNK_REALM}.signalfx.com "
        "(unresolved)",
        "OpenTelemetryCollector splunk-otel-operator-system/splunk-otel-agent "
        "spec.config:8 exporters.signalfx.ingest_url: ingest.${SPLUNK_REALM}.signalfx.com "
        "(unresolved)",
    ]


# https://github.com/open-telemetry/opentelemetry-operator/blob/231274d4bdcceff19169e807fb8c2274043bfb4a/config/samples/exporter-with-tls.yaml
# (excerpt)
JAEGER_V1ALPHA1 = """\
apiVersion: opentelemetry.io/v1alpha1
kind: OpenTelemetryCollector
metadata:
  name: opentelemetrycollector-sample
spec:
  config: |
    receivers:
      jaeger:
        protocols:
          grpc:

    processors:
      batch:

    exporters:
      jaeger:
        endpoint: "simplest-collector-headless.default.svc:14250"
        ca_file: "/etc/pki/ca-trust/source/service-ca/service-ca.crt"
        server_name_override: "simplest-collector-headless.default.svc.cluster.local"

    service:
      pipelines:
        traces:
          receivers: [jaeger]
          processors: [batch]
          exporters: [jaeger]
"""


def test_v1alpha1_jaeger_exporter_in_the_cluster() -> None:
    _, flows = agents(JAEGER_V1ALPHA1, "OpenTelemetryCollector")
    assert flows[["channel", "host", "port"]].values.tolist() == [
        ["traces", "simplest-collector-headless.default.svc", 14250]
    ]
    assert (
        flows["evidence"]
        .iloc[0]
        .startswith(
            "OpenTelemetryCollector /opentelemetrycollector-sample spec.config:11 "
            "exporters.jaeger.endpoint: "
        )
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "exporters:\n  otlp:\n    endpoint: otel:4317\n   tls:\n    insecure: true\n",
            "otel-collector config: parse error: spec.config: invalid YAML: line 4:",
        ),
        (None, "spec.config is missing, not a YAML string or object"),
        (["exporters"], "spec.config is a list, not a YAML string or object"),
    ],
)
def test_unreadable_spec_config_is_a_flow_without_destination(config: Any, message: str) -> None:
    spec = {} if config is None else {"config": config}
    items = [{"apiVersion": "opentelemetry.io/v1alpha1", "metadata": {"name": "c"}, "spec": spec}]
    flows = plain(agent_flows(transform_agents(items, "OpenTelemetryCollector", None)))
    [flow] = flows.to_dict("records")
    assert (flow["channel"], flow["endpoint"], flow["host"]) == ("logs", None, None)
    assert message in flow["evidence"] and flow["evidence"].endswith("(unknown)")


def test_free_form_specs_that_differ_in_type_never_break_the_page() -> None:
    # Arrow cannot infer one type for 2 and "2": the specs never go through it.
    items = [
        {"metadata": {"name": "a"}, "spec": {"replicas": 2, "remoteWrite": [{"url": "http://m"}]}},
        {"metadata": {"name": "b"}, "spec": {"replicas": "2", "remoteWrite": {"url": 1}}},
    ]
    flows = plain(agent_flows(transform_agents(items, "Prometheus", None)))
    assert flows["host"].tolist() == ["m", None]
    assert flows["evidence"].iloc[1].endswith("spec.remoteWrite is not a list (unknown)")


# --- Prometheus and PrometheusAgent ------------------------------------------------------------

# https://docs.thalassa.cloud/docs/prometheus/remote-write ("Prometheus Operator Configuration")
THALASSA_PROMETHEUS = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: prometheus
spec:
  remoteWrite:
  - url: https://prometheus-write.nl-01.thalassa.cloud/api/v1/push
    oauth2:
      clientId:
        name: prometheus-credentials
        key: client-id
      clientSecret:
        name: prometheus-credentials
        key: client-secret
      tokenUrl: https://api.thalassa.cloud/v1/oidc/token
"""


def test_prometheus_remote_write_and_its_oauth2_token_endpoint() -> None:
    _, flows = agents(THALASSA_PROMETHEUS, "Prometheus")
    assert flows[["channel", "endpoint"]].values.tolist() == [
        ["metrics", "https://prometheus-write.nl-01.thalassa.cloud"],
        ["identity", "https://api.thalassa.cloud"],
    ]
    assert flows["evidence"].tolist() == [
        "Prometheus /prometheus spec.remoteWrite[0].url: "
        "https://prometheus-write.nl-01.thalassa.cloud",
        "Prometheus /prometheus spec.remoteWrite[0].oauth2.tokenUrl: https://api.thalassa.cloud",
    ]


# https://github.com/prometheus-operator/prometheus-operator/blob/039bb4cfac1401117e5fefe1dfd8f81c7ee0b6bd/Documentation/platform/prometheus-agent.md
PROMETHEUS_AGENT = """\
apiVersion: monitoring.coreos.com/v1alpha1
kind: PrometheusAgent
metadata:
  name: prometheus-agent
spec:
  replicas: 2
  serviceAccountName: prometheus-agent
  serviceMonitorSelector:
    matchLabels:
      team: frontend
"""


def test_prometheus_agent_without_remote_write_is_an_asset_without_flows() -> None:
    rows, flows = agents(PROMETHEUS_AGENT, "PrometheusAgent")
    assert rows[["name", "agent_kind", "api_version"]].values.tolist() == [
        ["prometheus-agent", "PrometheusAgent", "monitoring.coreos.com/v1alpha1"]
    ]
    assert flows.empty


# --- vendor agents configured by environment ---------------------------------------------------


def pod(
    name: str, containers: list[dict[str, Any]], init: list[dict[str, Any]] | None = None
) -> Any:
    spec: dict[str, Any] = {"containers": containers}
    if init:
        spec["initContainers"] = init
    return {"metadata": {"name": name, "namespace": "apps", "uid": f"uid-{name}"}, "spec": spec}


# The Datadog agent's site and an OpenTelemetry SDK's endpoint set on containers, as
# https://docs.datadoghq.com/containers/kubernetes/installation/ (DD_SITE) and
# https://opentelemetry.io/docs/specs/otel/protocol/exporter/ (OTEL_EXPORTER_OTLP_ENDPOINT,
# with the node's address through Kubernetes' $(VAR) expansion) describe them.
PODS = [
    pod(
        "datadog-agent-x7k2p",
        [
            {
                "name": "agent",
                "image": "gcr.io/datadoghq/agent:7",
                "env": [
                    {"name": "DD_SITE", "value": "datadoghq.eu"},
                    {
                        "name": "DD_API_KEY",
                        "valueFrom": {"secretKeyRef": {"name": "datadog", "key": "api-key"}},
                    },
                    {"name": "DD_LOGS_ENABLED", "value": "true"},
                ],
            }
        ],
    ),
    pod(
        "checkout-5d9c",
        [
            {
                "name": "checkout",
                "image": "ghcr.io/shop/checkout:2.1",
                "env": [
                    {
                        "name": "HOST_IP",
                        "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}},
                    },
                    {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://$(HOST_IP):4317"},
                    {
                        "name": "SENTRY_DSN",
                        "value": "https://0a1b2c3d4e5f6789@o12345.ingest.de.sentry.io/4507",
                    },
                ],
            }
        ],
        init=[
            {
                "name": "migrate",
                "image": "ghcr.io/shop/migrate:2.1",
                "env": [{"name": "DD_URL", "value": "https://app.datadoghq.com/intake?k=1"}],
            }
        ],
    ),
    pod(
        "from-config-map",
        [
            {
                "name": "app",
                "image": "nginx",
                "env": [
                    {
                        "name": "DD_SITE",
                        "valueFrom": {"configMapKeyRef": {"name": "dd", "key": "site"}},
                    }
                ],
            }
        ],
    ),
    pod("no-env", [{"name": "app", "image": "nginx"}]),
]


def test_vendor_variables_with_literal_values_become_flows_and_nothing_else() -> None:
    rows = transform_pods(PODS, NODES)
    assert rows["vendor_env"].isna().tolist() == [False, False, True, True]
    flows = plain(pod_flows(rows))
    env = flows[flows["channel"].ne("registry")]
    assert env[["asset_id", "channel", "endpoint", "host"]].values.tolist() == [
        ["uid-datadog-agent-x7k2p", "logs", "https://api.datadoghq.eu", "api.datadoghq.eu"],
        ["uid-checkout-5d9c", "metrics", "https://app.datadoghq.com", "app.datadoghq.com"],
        ["uid-checkout-5d9c", "traces", None, None],  # $(HOST_IP): unresolved, no host
        [
            "uid-checkout-5d9c",
            "logs",
            "https://o12345.ingest.de.sentry.io",
            "o12345.ingest.de.sentry.io",
        ],
    ]
    assert env["evidence"].tolist()[:3] == [
        "Pod apps/datadog-agent-x7k2p container agent env DD_SITE: https://api.datadoghq.eu",
        "Pod apps/checkout-5d9c container migrate env DD_URL: https://app.datadoghq.com",
        "Pod apps/checkout-5d9c container checkout env OTEL_EXPORTER_OTLP_ENDPOINT: "
        "$(HOST_IP) (unresolved)",
    ]
    stored = flows.to_csv()
    # No DSN key, no query, no path; the ConfigMap-sourced DD_SITE is never resolved.
    assert "0a1b2c3d4e5f6789" not in stored and "k=1" not in stored and "/4507" not in stored
    assert "uid-from-config-map" not in set(env["asset_id"])
    # Registry flows are unchanged beside them.
    assert flows["channel"].eq("registry").sum() == 4  # one per (pod, registry)


def test_a_page_whose_env_has_no_literal_values_has_no_vendor_flows() -> None:
    rows = transform_pods([PODS[2], PODS[3]], NODES)
    assert rows["vendor_env"].isna().all()
    assert not pod_flows(rows)["channel"].ne("registry").any()


# Flags that name where an agent sends data, as the agents' docs give them:
# Jaeger agent and query, https://www.jaegertracing.io/docs/1.57/cli/ (--reporter.grpc.host-port,
# --es.server-urls); Promtail, https://grafana.com/docs/loki/latest/send-data/promtail/configuration/
# (-client.url, Go's single dash; Grafana Cloud puts user and key in the URL).
FLAG_PODS = [
    pod(
        "jaeger-agent-4k2",
        [
            {
                "name": "jaeger-agent",
                "image": "jaegertracing/jaeger-agent:1.57.0",
                "args": [
                    "--reporter.grpc.host-port=dns:///jaeger-collector-headless.observability:14250",
                    "--log-level=info",
                ],
            }
        ],
    ),
    pod(
        "jaeger-query-7f9",
        [
            {
                "name": "jaeger-query",
                "image": "jaegertracing/jaeger-query:1.57.0",
                "args": [
                    "--es.server-urls",
                    "http://elasticsearch.logging:9200,https://search-logs.eu-central-1.es.amazonaws.com",
                    "--es.tls.enabled",
                ],
            }
        ],
    ),
    pod(
        "promtail-x2v",
        [
            {
                "name": "promtail",
                "image": "grafana/promtail:3.0.0",
                "command": ["/usr/bin/promtail"],
                "args": [
                    "-config.file=/etc/promtail/promtail.yaml",
                    "-client.url=https://123456:glc_secret@logs-prod-eu-west-0.grafana.net/loki/api/v1/push",
                ],
            }
        ],
    ),
    pod(
        "dangling",
        [{"name": "x", "image": "x", "args": ["--client.url", "--other=1"]}],
    ),
]


def test_well_known_flags_name_where_agents_send() -> None:
    flows = plain(pod_flows(transform_pods(FLAG_PODS, NODES)))
    sent = flows[flows["channel"].ne("registry")]
    assert sent[["asset_id", "channel", "endpoint", "host", "port"]].values.tolist() == [
        [
            "uid-jaeger-agent-4k2",
            "traces",
            "jaeger-collector-headless.observability:14250",
            "jaeger-collector-headless.observability",
            14250,
        ],
        [
            "uid-jaeger-query-7f9",
            "traces",
            "http://elasticsearch.logging:9200",
            "elasticsearch.logging",
            9200,
        ],
        [
            "uid-jaeger-query-7f9",
            "traces",
            "https://search-logs.eu-central-1.es.amazonaws.com",
            "search-logs.eu-central-1.es.amazonaws.com",
            443,
        ],
        [
            "uid-promtail-x2v",
            "logs",
            "https://logs-prod-eu-west-0.grafana.net",
            "logs-prod-eu-west-0.grafana.net",
            443,
        ],
    ]
    assert sent["evidence"].iloc[3] == (
        "Pod apps/promtail-x2v container promtail args --client.url: "
        "https://logs-prod-eu-west-0.grafana.net"
    )
    assert "glc_secret" not in flows.to_csv() and "/loki" not in flows.to_csv()


# --- the collector over HTTP ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    cluster = sample_cluster(generate_estate(7, 1.0))
    with KubeAPIServer.for_cluster(cluster, token=TOKEN) as server:
        return collect_over_http(server, tmp_path_factory.mktemp("agents"))


def test_sample_cluster_agents_and_vendor_env_over_http(
    sample_collected: dict[str, pd.DataFrame],
) -> None:
    assets, flows = sample_collected["assets"], sample_collected["flows"]
    coverage = sample_collected["coverage"].set_index("kind")
    found = assets[assets["kind"].eq("telemetry_agent")].set_index("name")
    assert sorted(found.index) == ["k8s", "otel-gateway"]
    assert dict(found.loc["k8s", "attributes"]) == {
        "agent_kind": "Prometheus",
        "api_version": "monitoring.coreos.com/v1",
    }
    assert set(found["category"]) == {"control_plane"}
    # Three lists (OTel, Prometheus, PrometheusAgent with none): one ok coverage row.
    assert coverage.loc["telemetry_agent", ["status", "rows"]].tolist() == ["ok", 2]
    sent = flows[flows["asset_id"].isin(found["asset_id"])]
    assert sorted(zip(sent["channel"], sent["host"], strict=True)) == [
        ("logs", "loki.monitoring.svc"),
        ("logs", "otlp.fra1.nordlys.example"),
        ("metrics", "aps-workspaces.us-east-1.amazonaws.com"),
        ("traces", "otlp.fra1.nordlys.example"),
    ]
    datadog = flows[flows["host"].eq("api.datadoghq.eu")]
    assert datadog["evidence"].tolist() == [
        "Pod monitoring/pod-0 container agent env DD_SITE: https://api.datadoghq.eu"
    ]


def _served_without(*keys: str, add: tuple[ResourceType, ...] = ()) -> list[ResourceType]:
    return [r for r in SERVED if r.key not in keys] + list(add)


V1ALPHA1 = ResourceType(
    "opentelemetry.io", "v1alpha1", "opentelemetrycollectors", "OpenTelemetryCollector", True
)
BROKEN = "exporters:\n  otlp:\n    endpoint: otel-collector.monitoring.svc:4317\n   tls: {}\n"


def test_an_operator_serving_only_v1alpha1_is_read_and_a_broken_config_is_an_unknown_finding(
    tmp_path: Path,
) -> None:
    estate = generate_estate(5, 0.05)
    cluster = sample_cluster(estate)
    body = {
        "apiVersion": "opentelemetry.io/v1alpha1",
        "kind": "OpenTelemetryCollector",
        "metadata": {"name": "agent", "namespace": "monitoring", "uid": "otel-agent-uid"},
        "spec": {"mode": "daemonset", "config": BROKEN},
    }
    objects = {k: v for k, v in cluster.objects.items() if k != OTEL}
    objects[V1ALPHA1.key] = [KubeObject("monitoring", "agent", json.dumps(body).encode(), {})]
    served = _served_without(OTEL, add=(V1ALPHA1,))
    with KubeAPIServer(
        objects, token=TOKEN, resources=served, forbidden=cluster.forbidden, issuer=cluster.issuer
    ) as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        config = load_config(
            write_config(tmp_path, estate.config(store="store", kubeconfig=kubeconfig.name))
        )
        outcome = run_sweep(config, "residency.yaml")
        paths = [p.split("?")[0] for _, p, _ in server.requests]
    # The newest version first (404), then the older one.
    assert "/apis/opentelemetry.io/v1beta1/opentelemetrycollectors" in paths
    assert "/apis/opentelemetry.io/v1alpha1/opentelemetrycollectors" in paths
    coverage = outcome.coverage.set_index(["source", "kind"])
    assert coverage.loc[("kube-prod", "telemetry_agent"), "status"] == "ok"
    findings = outcome.findings
    mine = findings[findings["subject_id"].astype(str).str.startswith("otel-agent-uid -> ")]
    location = mine[mine["rule_id"].eq("flow.location")]
    assert location[["status", "subject_name"]].values.tolist() == [
        ["unknown", "an unreadable destination"]
    ]
    assert "spec.config: invalid YAML: line 4" in location["evidence"].iloc[0]


def test_a_forbidden_agent_list_is_forbidden_coverage_and_absent_crds_not_found(
    tmp_path: Path,
) -> None:
    cluster = sample_cluster(generate_estate(5, 0.05))
    (tmp_path / "forbidden").mkdir()
    (tmp_path / "absent").mkdir()
    with KubeAPIServer(
        cluster.objects, token=TOKEN, forbidden={*cluster.forbidden, PROMETHEUS}
    ) as server:
        collected = collect_over_http(server, tmp_path / "forbidden")
    [row] = collected["coverage"][collected["coverage"]["kind"].eq("telemetry_agent")].to_dict(
        "records"
    )
    # The OpenTelemetryCollector was still listed, but what Prometheus declares is unseen.
    assert (row["status"], row["rows"]) == ("forbidden", 1)
    assert "prometheuses" in row["error"]
    found = collected["assets"][collected["assets"]["kind"].eq("telemetry_agent")]
    assert found["name"].tolist() == ["otel-gateway"]

    objects = {k: v for k, v in cluster.objects.items() if k not in {OTEL, PROMETHEUS, AGENTS}}
    with KubeAPIServer(
        objects, token=TOKEN, resources=_served_without(OTEL, PROMETHEUS, AGENTS)
    ) as server:
        collected = collect_over_http(server, tmp_path / "absent")
    [row] = collected["coverage"][collected["coverage"]["kind"].eq("telemetry_agent")].to_dict(
        "records"
    )
    assert (row["status"], row["rows"]) == ("not_found", 0)
    assert "(at /apis/opentelemetry.io/v1alpha1/opentelemetrycollectors)" in row["error"]
    assert not collected["assets"]["kind"].eq("telemetry_agent").any()
