"""Telemetry sinks parsed from real upstream configs (read from ../shared, never copied)."""

from __future__ import annotations

import base64

import pandas as pd
import pytest

from residency.telemetry import (
    Parsed,
    elastic_cloud_endpoint,
    fluent_bit,
    otel_collector,
    otel_exporters,
    parse_config,
    prometheus,
    prometheus_resource,
    sink_flows,
    vendor_env_flows,
)
from residency_kubernetes.control_plane import transform_config_maps
from residency_kubernetes.telemetry import config_map_flows

from .test_kubernetes_transforms import UPSTREAM, objects

upstream = pytest.mark.skipif(
    not UPSTREAM.is_dir(), reason="../shared/fixtures/upstream/kubernetes is absent here"
)


def flows(result: Parsed | None, obj: str = "file") -> pd.DataFrame:
    assert result is not None
    assert result.error is None
    return plain(sink_flows([("a", obj, result)]))


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None (pandas infers string columns, whose missing value is NaN)."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def text(relative: str) -> str:
    return (UPSTREAM / relative).read_text(encoding="utf-8")


def config_map_sinks(relative: str) -> pd.DataFrame:
    """The flows the collector's ConfigMap transform and hook declare for a fixture file."""
    return plain(config_map_flows(transform_config_maps(objects(relative, "ConfigMap"), "cp")))


# --- OpenTelemetry Collector ----------------------------------------------------------------


@upstream
def test_otel_awss3_region_makes_the_s3_endpoint() -> None:
    name = "awss3exporter-testdata-default.yaml"
    [row] = flows(parse_config(text(f"otel-collector/{name}"), name)).to_dict("records")
    assert (row["channel"], row["host"], row["port"]) == (
        "traces",
        "s3.us-east-1.amazonaws.com",
        443,
    )
    assert row["evidence"] == (
        f"file {name}:10 exporters.awss3.s3uploader.region: "
        "https://s3.us-east-1.amazonaws.com (bucket foo)"
    )


def test_otel_awss3_placeholder_region_is_unresolved() -> None:
    config = """\
exporters:
  awss3:
    s3uploader: {region: "${AWS_DEFAULT_REGION}", s3_bucket: b}
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [awss3]}
"""
    [row] = flows(otel_collector(config, "c.yaml")).to_dict("records")
    assert row["host"] is None and row["endpoint"] is None
    assert "s3.${AWS_DEFAULT_REGION}.amazonaws.com (unresolved)" in row["evidence"]


@upstream
def test_otel_datadog_in_a_config_map_without_site_is_datadog_us() -> None:
    found = config_map_sinks("otel-collector/datadogexporter-k8s-chart-configmap.yaml")
    assert sorted(zip(found["channel"], found["host"], strict=True)) == [
        ("metrics", "api.datadoghq.com"),
        ("traces", "trace.agent.datadoghq.com"),
    ]
    assert (
        found["evidence"]
        .str.startswith(
            "ConfigMap /otel-agent-conf otel-agent-config:42 exporters.datadog.api.site: https://"
        )
        .all()
    )
    assert found["evidence"].str.contains("Datadog's default datadoghq.com").all()


@upstream
def test_otel_multi_document_example_embeds_configs_in_config_maps() -> None:
    found = config_map_sinks("otel-collector/examples-k8s-otel-config.yaml")
    assert found[["channel", "host", "port"]].values.tolist() == [
        ["traces", "otel-collector.default", 4317],
        ["traces", "someotlp.target.com", 4317],
    ]
    assert found["evidence"].iloc[1] == (
        "ConfigMap /otel-collector-conf otel-collector-config:19 exporters.otlp_grpc.endpoint: "
        "http://someotlp.target.com:4317"
    )


@upstream
def test_otel_component_testdata_elasticsearch_endpoints_and_cloud_ids() -> None:
    name = "elasticsearchexporter-testdata-config.yaml"
    found = flows(otel_exporters(text(f"otel-collector/{name}"), name))
    assert found["host"].tolist() == [
        "elastic.example.com",
        "elastic.example.com",
        None,
        "localhost",
        None,
    ]
    # The ids here are not real Elastic Cloud ids: unresolved, never a guessed host.
    assert found["evidence"].iloc[2] == (
        f"file {name}:8 exporters.elasticsearch/trace.cloudid: "
        "Elastic Cloud id that does not decode (unresolved)"
    )
    assert set(found["channel"]) == {"logs"}  # no pipeline: the widest data classes


@upstream
def test_otel_component_testdata_prometheus_remote_write_is_metrics() -> None:
    name = "prometheusremotewriteexporter-testdata-config.yaml"
    found = flows(otel_exporters(text(f"otel-collector/{name}"), name))
    assert set(found["channel"]) == {"metrics"}
    assert set(found["host"].dropna()) == {"localhost"} and set(found["port"].dropna()) == {8888}
    # Two exporters name no endpoint: flows that cannot be placed, not silently dropped.
    assert found["host"].isna().sum() == 2


@upstream
@pytest.mark.parametrize(
    ("name", "exporter", "expected"),
    [
        ("otlpexporter-testdata-config.yaml", "otlp", [("logs", "1.2.3.4", 1234)]),
        (
            "otlphttpexporter-testdata-config.yaml",
            "otlphttp",
            [("logs", "1.2.3.4", 1234), ("traces", "custom.profiles.endpoint", 8080)],
        ),
    ],
)
def test_otel_component_testdata_exporter_bodies(
    name: str, exporter: str, expected: list[tuple[str, str, int]]
) -> None:
    found = flows(otel_exporters(text(f"otel-collector/{name}"), name, exporter=exporter))
    assert list(zip(found["channel"], found["host"], found["port"], strict=True)) == expected
    assert found["evidence"].iloc[0].startswith(f"file {name}:1 {exporter}.endpoint: ")


def test_otel_only_exporters_in_pipelines_are_flows_with_the_pipeline_channel() -> None:
    config = """\
exporters:
  otlphttp/eu:
    endpoint: https://otlp.eu.example:4318
    logs_endpoint: https://logs.eu.example/v1/logs
  loki:
    endpoint: http://loki.monitoring.svc:3100/loki/api/v1/push
  kafka:
    brokers: [kafka-0.kafka:9092, kafka-1.kafka:9092]
  splunk_hec:
    endpoint: https://splunk.example.com:8088/services/collector
  datadog:
    api: {site: datadoghq.eu, key: "${env:DD_API_KEY}"}
  debug: {}
  otlp/unused:
    endpoint: unused.example.com:4317
connectors:
  spanmetrics: {}
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [otlphttp/eu, spanmetrics, debug, datadog]}
    logs/app: {receivers: [otlp], exporters: [otlphttp/eu, loki, kafka]}
    metrics: {receivers: [spanmetrics], exporters: [splunk_hec]}
"""
    found = flows(otel_collector(config, "relay.yaml"))
    assert list(zip(found["channel"], found["host"], strict=True)) == [
        ("traces", "otlp.eu.example"),
        ("traces", "trace.agent.datadoghq.eu"),
        ("logs", "logs.eu.example"),
        ("logs", "loki.monitoring.svc"),
        ("logs", "kafka-0.kafka"),
        ("logs", "kafka-1.kafka"),
        ("metrics", "splunk.example.com"),
    ]
    assert "unused" not in " ".join(found["evidence"])
    assert found["evidence"].iloc[0] == (
        "file relay.yaml:3 exporters.otlphttp/eu.endpoint: https://otlp.eu.example:4318"
    )


# --- Fluent Bit ------------------------------------------------------------------------------


@upstream
@pytest.mark.parametrize(
    ("name", "host", "port", "evidence"),
    [
        (
            "docs-outputs-datadog.conf",
            "http-intake.logs.datadoghq.com",
            443,
            "4 [OUTPUT] datadog host: https://http-intake.logs.datadoghq.com:443",
        ),
        (
            "docs-outputs-elasticsearch-aws.yaml",
            "vpc-test-domain-ke7thhzoo7jawsrhmm6mb7ite7y.us-west-2.es.amazonaws.com",
            443,
            "6 pipeline.outputs[0] es host: https://vpc-test-domain-",
        ),
        (
            "docs-outputs-http-sumologic.yaml",
            "collectors.au.sumologic.com",
            443,
            "6 pipeline.outputs[0] http host: http://collectors.au.sumologic.com:443",
        ),
        (
            "fluent-bit_loki_out-structured_metadata_map.yaml",
            "loki",
            3100,
            "29 pipeline.outputs[0] loki host: http://loki:3100",
        ),
    ],
)
def test_fluent_bit_outputs(name: str, host: str, port: int, evidence: str) -> None:
    [row] = flows(parse_config(text(f"fluent-bit/{name}"), name)).to_dict("records")
    assert (row["channel"], row["host"], row["port"]) == ("logs", host, port)
    assert row["evidence"].startswith(f"file {name}:{evidence}")


@upstream
def test_fluent_bit_redacted_cloud_id_is_unresolved_and_cloud_auth_never_kept() -> None:
    name = "docs-outputs-elasticsearch-cloudid.conf"
    found = flows(fluent_bit(text(f"fluent-bit/{name}"), name))
    [row] = found.to_dict("records")
    assert row["host"] is None and row["endpoint"] is None
    assert row["evidence"].endswith(
        ":8 [OUTPUT] es cloud_id: Elastic Cloud id that does not decode (unresolved)"
    )
    assert "2vxxxxxxxxYV" not in found.to_csv()


@upstream
def test_fluent_bit_config_map_with_placeholders_is_unresolved() -> None:
    found = config_map_sinks("fluent-bit/fluent-bit-configmap.yaml")
    [row] = found.to_dict("records")
    assert row["host"] is None and row["endpoint"] is None and row["channel"] == "logs"
    assert row["evidence"] == (
        "ConfigMap logging/fluent-bit-config output-elasticsearch.conf:4 [OUTPUT] es host: "
        "${FLUENT_ELASTICSEARCH_HOST} (unresolved)"
    )


def test_fluent_bit_cloud_outputs() -> None:
    cloud_id = "obs:" + base64.b64encode(b"europe-west3.gcp.cloud.es.io:443$abc123$k1").decode()
    config = f"""\
[OUTPUT]
    Name  cloudwatch_logs
    Match *
    region eu-central-1
[OUTPUT]
    Name s3
    bucket logs
[OUTPUT]
    Name  kafka
    Brokers k1.example:9092, k2.example:9092
[OUTPUT]
    Name  stackdriver
[OUTPUT]
    Name  es
    Cloud_ID {cloud_id}
[OUTPUT]
    Name  forward
    Host  aggregator.logging.svc
[OUTPUT]
    Name stdout
"""
    found = flows(fluent_bit(config, "out.conf"))
    assert found["host"].tolist() == [
        "logs.eu-central-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
        "k1.example",
        "k2.example",
        "logging.googleapis.com",
        "abc123.europe-west3.gcp.cloud.es.io",
        "aggregator.logging.svc",
    ]
    assert found["port"].tolist()[-1] == 24224
    assert "no region: AWS's default us-east-1" in found["evidence"].iloc[1]


# --- Prometheus ------------------------------------------------------------------------------


@upstream
def test_prometheus_remote_write_and_oauth2_token_url() -> None:
    found = flows(parse_config(text("prometheus/conf.good.yml"), "prometheus.yml"))
    assert list(zip(found["channel"], found["endpoint"], strict=True)) == [
        ("metrics", "http://remote1/push"),
        ("identity", "http://remote1/auth"),
        ("metrics", "http://remote2/push"),
    ]
    assert found["evidence"].iloc[0] == (
        "file prometheus.yml:27 remote_write[0].url: http://remote1/push"
    )
    assert "456" not in " ".join(found["evidence"])  # the oauth2 client_secret


@upstream
def test_prometheus_agent_remote_write() -> None:
    found = flows(prometheus(text("prometheus/prometheus-agent.yml"), "agent.yml"))
    assert found[["channel", "host", "port"]].values.tolist() == [
        ["metrics", "remote-write-url", 80]
    ]


def test_prometheus_resource_remote_write() -> None:
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "k8s", "namespace": "monitoring"},
        "spec": {
            "remoteWrite": [
                {
                    "url": "https://user:pw@prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push",
                    "basicAuth": {"password": {"name": "grafana", "key": "token"}},
                },
                {"name": "no-url"},
            ]
        },
    }
    found = flows(prometheus_resource(resource), "Prometheus monitoring/k8s")
    assert found["endpoint"].tolist() == [
        "https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push",
        None,
    ]
    assert found["evidence"].tolist() == [
        "Prometheus monitoring/k8s spec.remoteWrite[0].url: "
        "https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push",
        "Prometheus monitoring/k8s spec.remoteWrite[1].url: no url (unresolved)",
    ]
    assert "pw" not in found.to_csv()
    assert prometheus_resource({"spec": {"remoteWrite": "x"}}).error is not None


# --- Vendor environment variables ------------------------------------------------------------


def test_vendor_env_keeps_hosts_only() -> None:
    cloud_id = "prod:" + base64.b64encode(b"westeurope.azure.elastic-cloud.com$es9$kb").decode()
    env = pd.DataFrame(
        [
            ("DD_SITE", "datadoghq.eu"),
            ("DD_URL", "https://app.datadoghq.com"),
            ("NEW_RELIC_HOST", "collector.eu01.nr-data.net"),
            ("ELASTIC_CLOUD_ID", cloud_id),
            ("ELASTIC_CLOUD_ID", "broken:@@@"),
            ("SENTRY_DSN", "https://0a1b2c3d4e5f6789@o12345.ingest.de.sentry.io/4507"),
            ("DD_API_KEY", "abcdef0123456789"),
            ("LOG_LEVEL", "info"),
        ],
        columns=["name", "value"],
    ).assign(asset_id="pod-1", object="Pod shop/web container web")
    found = plain(vendor_env_flows(env))
    assert list(zip(found["channel"], found["host"], strict=True)) == [
        ("logs", "api.datadoghq.eu"),
        ("metrics", "app.datadoghq.com"),
        ("traces", "collector.eu01.nr-data.net"),
        ("logs", "es9.westeurope.azure.elastic-cloud.com"),
        ("logs", None),
        ("logs", "o12345.ingest.de.sentry.io"),
    ]
    assert found["evidence"].iloc[5] == (
        "Pod shop/web container web env SENTRY_DSN: https://o12345.ingest.de.sentry.io/4507"
    )
    stored = found.to_csv()
    assert "0a1b2c3d4e5f6789" not in stored and "abcdef0123456789" not in stored
    assert vendor_env_flows(env[env["name"].eq("LOG_LEVEL")]).empty


def test_elastic_cloud_id_decoding() -> None:
    encoded = base64.b64encode(b"us-central1.gcp.cloud.es.io$4fa8821e$e1a5").decode()
    assert (
        elastic_cloud_endpoint(f"name:{encoded}") == "https://4fa8821e.us-central1.gcp.cloud.es.io"
    )
    assert elastic_cloud_endpoint("TRNMxjXlNJEt") is None
    assert elastic_cloud_endpoint("") is None


# --- Malformed configs and secrets -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("exporters:\n  otlp:\n    endpoint: [a\nservice: {}\n", "invalid YAML: line"),
        ("[OUTPUT]\n    Name es\n[OUTPUT\n", "line 3: malformed section header"),
        ("[OUTPUT]\n    Match *\n    Host h\n", "line 1: [OUTPUT] section without a Name"),
        ("remote_write:\n\t- url: x\n", "invalid YAML: line"),
        ("pipeline:\n  outputs:\n    - match: '*'\n", "pipeline.outputs[0] has no name"),
    ],
)
def test_malformed_config_is_a_parse_error_flow_not_an_exception(config: str, message: str) -> None:
    result = parse_config(config, "cfg")
    assert result is not None and result.error is not None and message in result.error
    [row] = plain(sink_flows([("cm", "ConfigMap ns/x", result)])).to_dict("records")
    assert row["host"] is None and row["endpoint"] is None
    assert row["evidence"].startswith(f"ConfigMap ns/x: {result.family} config: parse error: cfg")
    assert row["evidence"].endswith("(unknown)")


def test_secrets_never_reach_a_flow_column() -> None:
    otel = """\
exporters:
  elasticsearch:
    endpoints: ["https://elastic:s3cr3t-pw@es.example.com:9200?apikey=qs-token"]
    api_key: xyz-secret-key
    password: s3cr3t-pw
  datadog:
    api: {key: xyz-secret-key}
service:
  pipelines:
    logs: {exporters: [elasticsearch, datadog]}
"""
    fluent = """\
[OUTPUT]
    Name        http
    Host        collectors.eu.sumologic.com
    Port        443
    URI         /receiver/v1/http/private-path-token
    http_user   admin
    http_passwd s3cr3t-pw
[OUTPUT]
    Name        datadog
    apikey      xyz-secret-key
"""
    broken = "exporters:\n  otlp:\n    api_key: xyz-secret-key\n   bad: [\n"
    parsed = [parse_config(t, k) for t, k in ((otel, "a.yaml"), (fluent, "b.conf"), (broken, "c"))]
    found = sink_flows([("cm", "ConfigMap ns/x", r) for r in parsed if r is not None])
    assert len(found) == 5
    stored = found.to_csv()
    for secret in ("s3cr3t-pw", "xyz-secret-key", "qs-token", "private-path-token", "admin"):
        assert secret not in stored


def test_config_without_telemetry_is_not_parsed() -> None:
    assert parse_config("enabled: true\n", "config.yaml") is None
