"""Fluentd, Vector and Grafana Alloy / Agent sinks, on short excerpts of public configs
(each cites where it comes from) and on the cases that must never pass unproven:
placeholders, expressions and configs that do not parse."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from residency.telemetry import (
    SNIFF_KEYS,
    SNIFF_PATTERN,
    Parsed,
    alloy,
    fluentd,
    grafana_agent,
    parse_config,
    sink_flows,
    vector,
)
from residency_kubernetes.control_plane import transform_config_maps
from residency_kubernetes.telemetry import config_map_flows


def flows(result: Parsed | None, obj: str = "file") -> pd.DataFrame:
    assert result is not None
    assert result.error is None, result.error
    frame = sink_flows([("a", obj, result)]).astype(object)
    return frame.where(frame.notna(), None)


def rows(result: Parsed | None) -> list[tuple[str, str | None, str | None, int | None]]:
    found = flows(result)
    return list(zip(found["channel"], found["endpoint"], found["host"], found["port"], strict=True))


def evidence(result: Parsed | None) -> list[str]:
    return flows(result)["evidence"].tolist()


# --- Fluentd ----------------------------------------------------------------------------------

# https://github.com/curiousjaki/transparency-logging/blob/HEAD/transparency-manifests/test.md
# (the fluentd-kubernetes-daemonset idiom: host and port from the pod's environment)
FLUENTD_DAEMONSET = """\
<match tilt.**>
  @type elasticsearch
  host "#{ENV['FLUENT_ELASTICSEARCH_HOST'] || 'elasticsearch.elastic-kibana'}"
  port "#{ENV['FLUENT_ELASTICSEARCH_PORT'] || '9200'}"
  index_name fluentd-k8s
  type_name fluentd
  include_timestamp true
</match>
"""


def test_fluentd_ruby_env_interpolation_is_unresolved_never_a_host() -> None:
    result = parse_config(FLUENTD_DAEMONSET, "fluent.conf")
    assert result is not None and result.family == "fluentd"
    [(channel, endpoint, host, port)] = rows(result)
    assert (channel, endpoint, host, port) == ("logs", None, None, None)
    [text] = evidence(result)
    assert text.startswith("file fluent.conf:3 <match tilt.**> elasticsearch host: ")
    assert text.endswith("(unresolved)") and "elasticsearch.elastic-kibana" in text


# https://docs.fluentd.org/output/forward (example configuration; the secondary is local)
FLUENTD_FORWARD = """\
<match pattern>
  @type forward
  send_timeout 60s
  recover_wait 10s
  hard_timeout 60s

  <server>
    name myserver1
    host 192.168.1.3
    port 24224
    weight 60
  </server>
  <server>
    name myserver2
    host 192.168.1.4
    port 24224
    weight 60
  </server>

  <secondary>
    @type file
    path /var/log/fluent/forward-failed
  </secondary>
</match>
"""


def test_fluentd_forward_servers_are_each_a_sink_with_their_line() -> None:
    result = fluentd(FLUENTD_FORWARD, "td-agent.conf")
    assert rows(result) == [
        ("logs", "tcp://192.168.1.3:24224", "192.168.1.3", 24224),
        ("logs", "tcp://192.168.1.4:24224", "192.168.1.4", 24224),
    ]
    assert evidence(result)[1] == (
        "file td-agent.conf:15 <match pattern> <server> host: tcp://192.168.1.4:24224"
    )


# https://docs.fluentd.org/output/s3 (example configuration)
FLUENTD_S3 = """\
<match pattern>
  @type s3

  aws_key_id YOUR_AWS_KEY_ID
  aws_sec_key YOUR_AWS_SECRET_KEY
  s3_bucket YOUR_S3_BUCKET_NAME
  s3_region ap-northeast-1
  path logs/
  <buffer tag,time>
    @type file
    path /var/log/fluent/s3
    timekey 3600 # 1 hour partition
  </buffer>
</match>
"""


def test_fluentd_s3_region_makes_the_endpoint_and_keys_are_never_kept() -> None:
    found = flows(fluentd(FLUENTD_S3, "fluent.conf"))
    [row] = found.to_dict("records")
    assert (row["channel"], row["host"]) == ("logs", "s3.ap-northeast-1.amazonaws.com")
    assert row["evidence"] == (
        "file fluent.conf:7 <match pattern> s3 s3_region: "
        "https://s3.ap-northeast-1.amazonaws.com (bucket YOUR_S3_BUCKET_NAME)"
    )
    assert "YOUR_AWS_SECRET_KEY" not in found.to_csv()
    assert "YOUR_AWS_KEY_ID" not in found.to_csv()


def test_fluentd_copy_stores_labels_and_vendor_outputs() -> None:
    config = """\
@include /fluentd/etc/prometheus.conf
<label @ERROR>
  <match **>
    @type copy
    <store>
      @type elasticsearch
      hosts https://elastic:s3cr3t-pw@es-1.example.eu:9243/path,es-2.example.eu:9200
      scheme https
    </store>
    <store>
      @type stdout
    </store>
  </match>
</label>
<match app.**>
  @type kafka2
  brokers kafka-0.kafka.svc:9092,kafka-1.kafka.svc:9092
</match>
<match aws.**>
  @type cloudwatch_logs
  region eu-central-1
  log_group_name kube
</match>
<match splunk.**>
  @type splunk_hec
  hec_host splunk.example.com
  hec_port 8088
  hec_token 00000000-hec-token-secret
</match>
<match dd.**>
  @type datadog
  api_key dd-api-key-secret
</match>
<match loki.**>
  @type loki
  url "https://123456:glc_token@logs-prod-eu-west-0.grafana.net"
</match>
<match azure.**>
  @type azure-loganalytics
  customer_id 0f1e2d3c-aaaa
  shared_key la-shared-key-secret
</match>
<match gcp.**>
  @type google_cloud
</match>
<match null.**>
  @type null
</match>
"""
    result = fluentd(config, "fluent.conf")
    assert result.notes == (
        "fluent.conf: line 1: @include /fluentd/etc/prometheus.conf (not followed)",
    )
    found = flows(result)
    assert found["endpoint"].tolist() == [
        "https://es-1.example.eu:9243",
        "https://es-2.example.eu:9200",
        "kafka-0.kafka.svc:9092",
        "kafka-1.kafka.svc:9092",
        "https://logs.eu-central-1.amazonaws.com",
        "https://splunk.example.com:8088",
        "https://http-intake.logs.datadoghq.com",
        "https://logs-prod-eu-west-0.grafana.net",
        "https://0f1e2d3c-aaaa.ods.opinsights.azure.com",
        "https://logging.googleapis.com",
        None,  # the @include: what it adds was not read, so it is a flow nowhere placed
    ]
    assert found["evidence"].iloc[-1] == (
        "file fluent.conf: line 1: @include /fluentd/etc/prometheus.conf (not followed): "
        "its outputs are unseen"
    )
    assert (
        found["evidence"]
        .iloc[0]
        .startswith("file fluent.conf:7 <match **> <store> elasticsearch hosts: ")
    )
    assert "Datadog's default datadoghq.com" in found["evidence"].iloc[6]
    stored = found.to_csv()
    for secret in ("s3cr3t-pw", "hec-token-secret", "dd-api-key", "glc_token", "la-shared-key"):
        assert secret not in stored


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("<match **>\n  @type stdout\n", "line 1: <match> is not closed"),
        ("<match **>\n  <store>\n  @type s3\n</match>\n", "line 4: </match> closes <store>"),
        ("</match>\n", "line 1: </match> closes <no section>"),
        ("<match **\n  @type null\n</match>\n", "line 1: malformed section tag"),
    ],
)
def test_fluentd_malformed_is_a_parse_error(config: str, message: str) -> None:
    result = fluentd(config, "fluent.conf")
    assert result.error == f"fluent.conf: {message}"
    [row] = sink_flows([("cm", "ConfigMap ns/fluentd", result)]).to_dict("records")
    assert pd.isna(row["host"]) and row["channel"] == "logs"
    assert row["evidence"].endswith("(unknown)")


# --- Vector -----------------------------------------------------------------------------------

# https://vector.dev/docs/reference/configuration/sinks/datadog_logs/ (the same example in
# JSON, TOML and YAML)
VECTOR_DATADOG = {
    "vector.json": """\
{
  "sinks": {
    "my_sink_id": {
      "type": "datadog_logs",
      "inputs": [
        "my-source-or-transform-id"
      ],
      "compression": "gzip",
      "default_api_key": "${DATADOG_API_KEY_ENV_VAR}",
      "endpoint": "http://127.0.0.1:8080",
      "site": "us3.datadoghq.com"
    }
  }
}
""",
    "vector.toml": """\
[sinks.my_sink_id]
type = "datadog_logs"
inputs = [ "my-source-or-transform-id" ]
compression = "gzip"
default_api_key = "${DATADOG_API_KEY_ENV_VAR}"
endpoint = "http://127.0.0.1:8080"
site = "us3.datadoghq.com"
""",
    "vector.yaml": """\
sinks:
  my_sink_id:
    type: datadog_logs
    inputs:
      - my-source-or-transform-id
    compression: gzip
    default_api_key: ${DATADOG_API_KEY_ENV_VAR}
    endpoint: http://127.0.0.1:8080
    site: us3.datadoghq.com
""",
}


@pytest.mark.parametrize(
    ("key", "line"), [("vector.json", 10), ("vector.toml", 6), ("vector.yaml", 8)]
)
def test_vector_formats_agree_and_cite_the_line_the_endpoint_is_on(key: str, line: int) -> None:
    result = parse_config(VECTOR_DATADOG[key], key)
    assert result is not None and result.family == "vector"
    assert rows(result) == [("logs", "http://127.0.0.1:8080", "127.0.0.1", 8080)]
    assert evidence(result) == [
        f"file {key}:{line} sinks.my_sink_id.endpoint: http://127.0.0.1:8080"
    ]


def test_vector_datadog_site_without_endpoint() -> None:
    # https://cube.dev/docs/product/workspace/monitoring/datadog
    config = """\
[sinks.datadog_logs]
type = "datadog_logs"
inputs = [
  "cubejs-server",
  "refresh-scheduler",
]
default_api_key = "$CUBE_CLOUD_MONITORING_DATADOG_API_KEY"
site = "datadoghq.eu"
compression = "gzip"
healthcheck = false
"""
    result = vector(config, "vector.toml")
    assert rows(result) == [
        ("logs", "https://http-intake.logs.datadoghq.eu", "http-intake.logs.datadoghq.eu", 443)
    ]
    assert evidence(result)[0].startswith("file vector.toml:8 sinks.datadog_logs.site: ")


def test_vector_yaml_elasticsearch_and_s3_archive() -> None:
    # https://vector.dev/ (the front page's pipeline examples, two joined into one config)
    config = """\
sources:
  k8s_in:
    type: "kubernetes_logs"
sinks:
  elasticsearch_out:
    type: "elasticsearch"
    inputs: ["k8s_in"]
    endpoint: "http://10.24.32.122:9000"
    index: "logs-via-kafka"
  aws_s3_out:
    type: "aws_s3"
    inputs: ["k8s_in"]
    bucket: "k8s-logs"
    region: "us-east-1"
    compression: "gzip"
    encoding:
      codec: "json"
"""
    result = parse_config(config, "vector.yaml")
    assert rows(result) == [
        ("logs", "http://10.24.32.122:9000", "10.24.32.122", 9000),
        ("logs", "https://s3.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", 443),
    ]
    assert evidence(result)[1] == (
        "file vector.yaml:14 sinks.aws_s3_out.region: "
        "https://s3.us-east-1.amazonaws.com (bucket k8s-logs)"
    )


def test_vector_http_uri_from_an_env_variable_is_unresolved_and_the_token_never_kept() -> None:
    # https://tinybird.co/docs/get-data-in/guides/ingest-from-vector
    config = """\
sinks:
  push_docker_logs_to_tinybird:
    inputs:
      - "remap_docker_logs"
    type: "http"
    uri: "$TINYBIRD_HOST/v0/events?name=docker"
    auth:
      strategy: "bearer"
      token: "p.eyJ1IjogInRpbnliaXJkIn0.secret"
"""
    found = flows(parse_config(config, "vector.yaml"))
    [row] = found.to_dict("records")
    assert row["host"] is None and row["endpoint"] is None
    assert row["evidence"] == (
        "file vector.yaml:6 sinks.push_docker_logs_to_tinybird.uri: $TINYBIRD_HOST (unresolved)"
    )
    assert "secret" not in found.to_csv() and "name=docker" not in found.to_csv()


def test_vector_toml_subtables_channels_and_unresolved_regions() -> None:
    config = """\
[sinks.otel]
type = "opentelemetry"
inputs = ["app"]
[sinks.otel.protocol]
type = "http"
uri = "https://otlp.eu01.nr-data.net:4318/v1/logs"

[sinks.prom]
type = "prometheus_remote_write"
inputs = ["metrics"]
endpoint = "https://mimir.example.eu/api/v1/push"

[sinks.kafka]
type = "kafka"
inputs = ["app"]
bootstrap_servers = "10.14.22.123:9092,10.14.23.33:9092"
topic = "logs"

[sinks.archive]
type = "aws_s3"
inputs = ["app"]
bucket = "b"

[sinks.nr]
type = "new_relic"
inputs = ["app"]
account_id = "123"
license_key = "nr-license-secret"
region = "eu"
api = "metrics"

[sinks.cw]
type = "aws_cloudwatch_metrics"
inputs = ["metrics"]
region = "eu-west-3"

[sinks.debug]
type = "console"
inputs = ["app"]
"""
    result = vector(config, "vector.toml")
    found = flows(result)
    assert list(zip(found["channel"], found["endpoint"], strict=True)) == [
        ("logs", "https://otlp.eu01.nr-data.net:4318"),
        ("metrics", "https://mimir.example.eu"),
        ("logs", "10.14.22.123:9092"),
        ("logs", "10.14.23.33:9092"),
        ("logs", None),
        ("metrics", "https://metric-api.eu.newrelic.com"),
        ("metrics", "https://monitoring.eu-west-3.amazonaws.com"),
    ]
    assert found["evidence"].iloc[0].startswith("file vector.toml:6 sinks.otel.protocol.uri: ")
    assert found["evidence"].iloc[4] == (
        "file vector.toml:19 sinks.archive.region: "
        "no region: the AWS SDK's region chain decides (unresolved), bucket b"
    )
    assert "nr-license-secret" not in found.to_csv()


@pytest.mark.parametrize(
    ("key", "config", "message"),
    [
        ("vector.toml", "[sinks.x\ntype = 'http'\n", "invalid TOML: "),
        ("vector.json", '{"sinks": {"x": {"type": "http",}}}', "invalid JSON: "),
        ("vector.yaml", "sinks:\n  x:\n    type: http\n   uri: [\n", "invalid YAML: line"),
    ],
)
def test_vector_malformed_is_a_parse_error(key: str, config: str, message: str) -> None:
    result = parse_config(config, key)
    assert result is not None and result.family == "vector"
    assert result.error is not None and result.error.startswith(f"{key}: {message}")


# --- Grafana Alloy ------------------------------------------------------------------------------

# https://github.com/irwinrex/monitorhub/blob/HEAD/monitor/alloy.hcl (the remote_write is
# commented out; the Loki endpoint comes from the environment)
ALLOY_ENV = """\
// prometheus.remote_write "mimir" {
//   endpoint {
//     url = env("ALLOY_MIMIR_URL")
//   }
// }

loki.process "enrich_labels" {
  stage.static_labels {
    values = {
      local_service = "django-app",
    }
  }
  forward_to = [loki.write.send_to_loki.receiver]
}

// 4. Write logs to Loki
loki.write "send_to_loki" {
  endpoint {
    url = env("ALLOY_LOKI_URL")
    basic_auth {
      username = env("ALLOY_AUTH_USERNAME")
      password = env("ALLOY_AUTH_PASSWORD")
    }
    tls_config {
      insecure_skip_verify = env("ALLOY_TLS_INSECURE") == "true"
    }
  }
}
"""


def test_alloy_env_expression_is_unresolved_and_comments_are_ignored() -> None:
    result = parse_config(ALLOY_ENV, "config.alloy")
    assert result is not None and result.family == "alloy"
    assert rows(result) == [("logs", None, None, None)]
    assert evidence(result) == [
        "file config.alloy:19 loki.write.send_to_loki endpoint.url: expression "
        'env("ALLOY_LOKI_URL"), resolved at run time (unresolved)'
    ]


def test_alloy_documentation_placeholder_is_unresolved() -> None:
    # https://grafana.com/docs/alloy/latest/reference/components/loki/loki.write/ (usage)
    config = 'loki.write "<LABEL>" {\n  endpoint {\n    url = "<REMOTE_WRITE_URL>"\n  }\n}\n'
    [row] = flows(alloy(config, "config.alloy")).to_dict("records")
    assert row["host"] is None
    assert row["evidence"].endswith("endpoint.url: <REMOTE_WRITE_URL> (unresolved)")


def test_alloy_otelcol_exporters_carry_the_signals_wired_to_them() -> None:
    # The pipeline shape of https://grafana.com/docs/alloy/latest/reference/components/otelcol/
    # otelcol.exporter.otlp/ (receiver -> batch -> exporter)
    config = """\
otelcol.receiver.otlp "default" {
  grpc {
    endpoint = "0.0.0.0:4317"
  }
  output {
    traces  = [otelcol.processor.batch.default.input]
    metrics = [otelcol.processor.batch.default.input]
    logs    = [otelcol.processor.batch.default.input]
  }
}

otelcol.processor.batch "default" {
  output {
    traces  = [otelcol.exporter.otlp.tempo.input]
    metrics = [otelcol.exporter.prometheus.default.input]
    logs    = [otelcol.exporter.otlphttp.eu.input, otelcol.exporter.otlp.tempo.input]
  }
}

otelcol.exporter.otlp "tempo" {
  client {
    endpoint = "tempo.monitoring.svc:4317"
    tls {
      insecure = true
    }
  }
}

/* an exporter with a literal and an expression */
otelcol.exporter.otlphttp "eu" {
  client {
    endpoint = "https://otlp." + sys.env("REGION") + ".example.eu"
  }
}

prometheus.remote_write "cloud" {
  endpoint {
    url = `https://user:pw@prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push`
  }
  endpoint {
    url = "http://mimir.monitoring.svc:9009/api/v1/push"
  }
}

pyroscope.write "profiles" {
  endpoint {
    url = "https://profiles.example.eu"
  }
}
"""
    found = flows(alloy(config, "config.alloy"))
    assert list(zip(found["channel"], found["endpoint"], strict=True)) == [
        ("logs", "tempo.monitoring.svc:4317"),
        ("traces", "tempo.monitoring.svc:4317"),
        ("logs", None),
        ("metrics", "https://prometheus-prod-24-prod-eu-west-2.grafana.net"),
        ("metrics", "http://mimir.monitoring.svc:9009"),
        ("traces", "https://profiles.example.eu"),
    ]
    assert found["evidence"].iloc[0] == (
        "file config.alloy:22 otelcol.exporter.otlp.tempo client.endpoint: "
        "tempo.monitoring.svc:4317"
    )
    assert found["evidence"].iloc[2] == (
        "file config.alloy:32 otelcol.exporter.otlphttp.eu client.endpoint: "
        "an expression, resolved at run time (unresolved)"
    )
    assert "pw@" not in found.to_csv()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            'loki.write "x" {\n  endpoint {\n    url = "http://a\n  }\n}\n',
            "line 3: unterminated string",
        ),
        (
            'loki.write "x" {\n  endpoint {\n    url = "http://a"\n',
            "line 2: block endpoint is not closed",
        ),
        ('/* loki.write "x" {\n', "line 1: unterminated comment"),
        ('loki.write "x" {\n}\n}\n', "line 3: unexpected '}'"),
        ('loki.write "x" {\n  url = \n}\n', "line 2: attribute without a value"),
        ('loki.write "x" {\n  "s3cr3t" = 1\n}\n', "line 2: expected a name, found a string"),
    ],
)
def test_alloy_malformed_is_a_parse_error_without_the_text(config: str, message: str) -> None:
    result = alloy(config, "config.alloy")
    assert result.error == f"config.alloy: {message}"


# --- Grafana Agent static mode ----------------------------------------------------------------


def test_grafana_agent_static_mode() -> None:
    # https://github.com/joel113/documentation-container/blob/HEAD/grafana-agent.md (metrics),
    # with logs and traces subsystems as in https://grafana.com/docs/agent/latest/static/
    config = """\
metrics:
  wal_directory: /tmp/wal
  global:
    remote_write:
      - url: http://localhost:9009/api/prom/push
  configs:
    - name: default
      remote_write:
        - url: https://prometheus-prod-01-eu-west-0.grafana.net/api/prom/push
          basic_auth: {username: "12345", password: glc-agent-secret}
logs:
  configs:
    - name: default
      clients:
        - url: ${LOKI_URL}
traces:
  configs:
    - name: default
      remote_write:
        - endpoint: tempo-eu-west-0.grafana.net:443

integrations:
  agent:
    enabled: true
"""
    result = parse_config(config, "agent.yaml")
    assert result is not None and result.family == "grafana-agent"
    found = flows(result)
    assert list(zip(found["channel"], found["endpoint"], strict=True)) == [
        ("metrics", "http://localhost:9009"),
        ("metrics", "https://prometheus-prod-01-eu-west-0.grafana.net"),
        ("logs", None),
        ("traces", "tempo-eu-west-0.grafana.net:443"),
    ]
    assert found["evidence"].iloc[1] == (
        "file agent.yaml:9 metrics.configs[0].remote_write[0].url: "
        "https://prometheus-prod-01-eu-west-0.grafana.net"
    )
    assert "glc-agent-secret" not in found.to_csv()
    assert grafana_agent("metrics: [\n", "agent.yaml").error is not None


# --- Which values are telemetry configs -------------------------------------------------------

TELEMETRY_VALUES = [
    FLUENTD_FORWARD,
    *VECTOR_DATADOG.values(),
    ALLOY_ENV,
    "metrics:\n  global:\n    scrape_interval: 15s\n",
    "[OUTPUT]\n    Name es\n",
    "exporters:\n  otlp: {}\n",
    "remote_write:\n  - url: http://x\n",
    "pipeline:\n  outputs: []\n",
]
OTHER_VALUES = [
    "enabled: true\n",
    "server {\n  listen 80;\n  location / { proxy_pass http://app; }\n}\n",
    '{"dashboard": {"title": "sinks", "panels": []}}',
    "logs:\n  level: info\n",
    "<html><body><match>x</match></body></html>\n",
    "# sinks: none here\nretention: 7d\n",
    'resource "aws_s3_bucket" "logs" {\n  bucket = "x"\n}\n',
]


def test_the_bulk_pattern_and_the_parsers_pick_the_same_values() -> None:
    values = pa.array(TELEMETRY_VALUES + OTHER_VALUES)
    bulk = pc.match_substring_regex(values, SNIFF_PATTERN).to_pylist()
    assert bulk == [True] * len(TELEMETRY_VALUES) + [False] * len(OTHER_VALUES)
    for text in TELEMETRY_VALUES:
        assert parse_config(text, "config") is not None
    for text in OTHER_VALUES:
        assert parse_config(text, "config") is None


def test_a_known_key_name_is_read_even_when_its_value_is_too_broken_to_recognise() -> None:
    assert re.match(SNIFF_KEYS, "fluent.conf") and re.match(SNIFF_KEYS, "config.alloy")
    assert not re.match(SNIFF_KEYS, "nginx.conf") and not re.match(SNIFF_KEYS, "agent.yaml")
    broken = "<source>\n  @type forward\n"
    maps = [
        {
            "metadata": {"name": "fluentd", "namespace": "logging", "uid": "u1"},
            "data": {"fluent.conf": broken, "nginx.conf": "server {}\n"},
        },
        {
            "metadata": {"name": "web", "namespace": "shop", "uid": "u2"},
            "data": {"nginx.conf": "server {}\n"},
        },
    ]
    frame = transform_config_maps(maps, "cp")
    assert frame["telemetry"].tolist() == [{"fluent.conf": broken}, None]
    [row] = config_map_flows(frame).to_dict("records")
    assert row["evidence"] == (
        "ConfigMap logging/fluentd: fluentd config: parse error: "
        "fluent.conf: line 1: <source> is not closed (unknown)"
    )


def test_no_secret_of_any_family_reaches_a_flow() -> None:
    configs = {
        "fluent.conf": FLUENTD_S3.replace("YOUR_AWS_SECRET_KEY", "fd-secret-1"),
        "vector.yaml": """\
sinks:
  es:
    type: elasticsearch
    endpoints: ["https://elastic:vec-secret-2@es.example.eu:9200/_bulk?api_key=vec-secret-3"]
    auth: {strategy: basic, user: elastic, password: vec-secret-2}
  hec:
    type: splunk_hec_logs
    endpoint: https://hec.example.eu:8088
    default_token: vec-secret-4
""",
        "config.alloy": """\
prometheus.remote_write "x" {
  endpoint {
    url = "https://u:alloy-secret-5@mimir.example.eu/api/v1/push?token=alloy-secret-6"
    bearer_token = "alloy-secret-7"
  }
}
""",
        "broken.alloy": 'loki.write "x" {\n  "alloy-secret-8" = 1\n}\n',
    }
    parsed = [(k, parse_config(v, k)) for k, v in configs.items()]
    found = sink_flows([("cm", "ConfigMap ns/x", p) for _, p in parsed if p is not None])
    assert len(found) == 5
    stored = found.to_csv() + repr([p for _, p in parsed])
    for n in range(1, 9):
        assert f"secret-{n}" not in stored


def test_vector_lines_follow_the_key_path_not_a_nested_namesake() -> None:
    toml = """\
[sinks.a]
type = "http"
healthcheck.uri = "http://health.example.eu"
uri = "https://a.example.eu/x"

[sinks.b]
type = "opentelemetry"
protocol = { type = "http", uri = "https://otlp.example.eu" }

[sinks.d]
type = "opentelemetry"
[sinks.d.protocol]
uri = "https://d.example.eu"
"""
    json_text = """\
{
  "sources": {"in": {"type": "http_server", "uri": "http://0.0.0.0:80"}},
  "sinks": {
    "a": {
      "type": "http",
      "healthcheck": {"uri": "http://health.example.eu"},
      "uri": "https://a.example.eu/x"
    },
    "b": {
      "type": "opentelemetry",
      "protocol": {
        "type": "http",
        "uri": "https://otlp.example.eu"
      }
    }
  }
}
"""
    assert [e.split(" ", 2)[1] for e in evidence(vector(toml, "vector.toml"))] == [
        "vector.toml:4",
        "vector.toml:8",
        "vector.toml:13",
    ]
    assert [e.split(" ", 2)[1] for e in evidence(vector(json_text, "vector.json"))] == [
        "vector.json:7",
        "vector.json:13",
    ]
