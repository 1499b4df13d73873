"""Where telemetry agents send data: the sinks their configuration declares.

Parsers for OpenTelemetry Collector configs, Fluent Bit outputs (classic ``[OUTPUT]``
sections and YAML ``pipeline.outputs``), Fluentd ``<match>`` outputs, Vector sinks (YAML,
TOML, JSON), Grafana Alloy remote writes and exporters, Grafana Agent static mode,
Prometheus ``remote_write`` (``prometheus.yml`` and the ``Prometheus`` custom resource) and
vendor agents configured by environment variables.

A parser takes the configuration text and returns a :class:`Parsed`: the sinks it declares
(channel, the endpoint as written, and where it was written: ``key:line field``) or, for a
configuration it cannot read, the parse error. It never raises on bad input. Only endpoints
are read: API keys, passwords, tokens and URL paths (which some services use for tokens)
never leave the parser. :func:`sink_flows` turns parsed configs into flow rows in one pass,
splitting endpoints with :func:`residency.endpoints.split_endpoints`, so a template
placeholder (``${AWS_DEFAULT_REGION}``) is unresolved, never a host. The newer families
keep only an endpoint's ``scheme://host:port``.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from residency.endpoints import split_endpoints
from residency.yamlio import YamlLoader

__all__ = [
    "FLOW_COLUMNS",
    "SNIFF_KEYS",
    "SNIFF_PATTERN",
    "VENDOR_ENV_NAMES",
    "Parsed",
    "Sink",
    "YamlNode",
    "alloy",
    "elastic_cloud_endpoint",
    "fluent_bit",
    "fluentd",
    "grafana_agent",
    "origin",
    "otel_collector",
    "otel_exporters",
    "parse_config",
    "parse_yaml",
    "prometheus",
    "prometheus_resource",
    "sink_flows",
    "vector",
    "vendor_env_flows",
]

FLOW_COLUMNS: Final = ["asset_id", "channel", "endpoint", "host", "port", "evidence"]


@dataclass(frozen=True)
class Sink:
    """One place a config sends data: ``endpoint`` as written (None when it names none)."""

    channel: str
    endpoint: str | None
    where: str  # "relay.yaml:31 exporters.otlphttp.endpoint"
    note: str = ""  # how the endpoint was derived ("default site"), or why there is none


@dataclass(frozen=True)
class Parsed:
    """A config's sinks, or the reason it could not be read (``family`` names the agent)."""

    family: str
    sinks: tuple[Sink, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()  # what was seen and not followed (Fluentd's ``@include``)


# The channel recorded for a config that cannot be read: what its agent usually carries,
# and logs (customer, users and technical data) where it may carry anything.
_FAMILY_CHANNEL: Final = {
    "otel-collector": "logs",
    "fluent-bit": "logs",
    "prometheus": "metrics",
    "fluentd": "logs",
    "vector": "logs",
    "alloy": "logs",
    "grafana-agent": "logs",
}


# --- YAML with line numbers -----------------------------------------------------------


class YamlNode:
    """A YAML node with helpers; the line is 1-based within the parsed text."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.node = node

    @property
    def line(self) -> int:
        return 0 if self.node is None else self.node.start_mark.line + 1

    def get(self, key: str, *, fold: bool = False) -> YamlNode:
        if isinstance(self.node, yaml.MappingNode):
            for k, v in self.node.value:
                name = str(k.value)
                if name == key or (fold and name.lower() == key):
                    return YamlNode(v)
        return YamlNode(None)

    def items(self) -> list[tuple[str, YamlNode]]:
        if not isinstance(self.node, yaml.MappingNode):
            return []
        return [(str(k.value), YamlNode(v)) for k, v in self.node.value]

    def list(self) -> list[YamlNode]:
        if isinstance(self.node, yaml.SequenceNode):
            return [YamlNode(v) for v in self.node.value]
        return [] if self.text is None else [self]

    @property
    def text(self) -> str | None:
        if not isinstance(self.node, yaml.ScalarNode) or self.node.tag.endswith(":null"):
            return None
        return str(self.node.value).strip() or None

    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)


def _compose(text: str) -> list[YamlNode]:
    """Every document of ``text``; raises :class:`yaml.YAMLError`."""
    loader = YamlLoader(text)
    try:
        documents = []
        while loader.check_node():
            documents.append(YamlNode(loader.get_node()))
        return documents
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError) -> str:
    """The problem and its line, never the snippet of text PyYAML quotes (it may be a secret)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        return line + " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    return "invalid YAML"


def parse_yaml(
    family: str, source: str, text: str, read: Callable[[YamlNode], list[Sink]]
) -> Parsed:
    """Apply ``read`` to every document of ``text``; a syntax error, or a ``ValueError``
    ``read`` raises for a document that is not what it expects, is the result's error."""
    try:
        documents = _compose(text)
    except yaml.YAMLError as exc:
        return Parsed(family, error=f"{source}: invalid YAML: {_yaml_error(exc)}")
    try:
        sinks = [sink for document in documents for sink in read(document)]
    except ValueError as exc:
        return Parsed(family, error=f"{source}: {exc}")
    return Parsed(family, tuple(sinks))


# --- OpenTelemetry Collector ------------------------------------------------------------

_SIGNAL_CHANNEL: Final = {
    "traces": "traces",
    "metrics": "metrics",
    "logs": "logs",
    "profiles": "traces",  # stack samples of the application: as much as its traces
}
# Exporters that write locally or serve a scrape endpoint: no data leaves for elsewhere.
_OTEL_LOCAL: Final = frozenset({"debug", "logging", "nop", "file", "prometheus"})
# (Types are compared without underscores: see _exporter_type.)
# Exporters whose every sink carries one signal whatever the pipeline.
_OTEL_SIGNAL: Final = {"prometheusremotewrite": "metrics", "loki": "logs"}
# Datadog's intake host for each signal, under the configured site.
_DATADOG_INTAKE: Final = {"metrics": "api", "traces": "trace.agent", "logs": "http-intake.logs"}
DATADOG_DEFAULT_SITE: Final = "datadoghq.com"
AWS_DEFAULT_REGION: Final = "us-east-1"


def _exporter_sinks(
    exporter: str, config: YamlNode, channel: str, source: str, path: str
) -> list[Sink]:
    """The endpoints of one exporter (``otlphttp/backend``) carrying ``channel``; ``path`` is
    where its config sits (``exporters.otlphttp/backend``), for the evidence."""
    kind = _exporter_type(exporter)
    if kind in _OTEL_LOCAL:
        return []
    channel = _OTEL_SIGNAL.get(kind, channel)

    def sink(node: YamlNode, field: str, endpoint: str | None, note: str = "") -> Sink:
        return Sink(channel, endpoint, f"{source}:{node.line or config.line} {path}.{field}", note)

    if kind == "datadog":
        signal = channel if channel in _DATADOG_INTAKE else "logs"
        override = config.get(signal).get("endpoint")
        if override.text is not None:
            return [sink(override, f"{signal}.endpoint", override.text)]
        site = config.get("api").get("site")
        note = "" if site.text else f"no api.site: Datadog's default {DATADOG_DEFAULT_SITE}"
        url = f"https://{_DATADOG_INTAKE[signal]}.{site.text or DATADOG_DEFAULT_SITE}"
        return [sink(site, "api.site", url, note)]
    if kind == "awss3":
        uploader = config.get("s3uploader")
        endpoint = uploader.get("endpoint")
        if endpoint.text is not None:
            return [sink(endpoint, "s3uploader.endpoint", endpoint.text)]
        region = uploader.get("region")
        bucket = uploader.get("s3_bucket").text
        notes = [] if region.text else [f"no region: AWS's default {AWS_DEFAULT_REGION}"]
        notes += [f"bucket {bucket}"] if bucket else []
        url = f"https://s3.{region.text or AWS_DEFAULT_REGION}.amazonaws.com"
        return [sink(region, "s3uploader.region", url, ", ".join(notes))]
    if kind == "kafka":
        brokers = config.get("brokers").list()
        if not brokers:
            return [sink(config, "brokers", "localhost:9092", "no brokers: the default")]
        return [sink(b, "brokers", b.text) for b in brokers]
    if kind == "elasticsearch":
        sinks = [
            sink(e, name, e.text)
            for name in ("endpoints", "endpoint")
            for e in config.get(name).list()
            if e.text is not None
        ]
        cloud_id = config.get("cloudid")
        if cloud_id.text is not None:
            decoded, note = _cloud_id(cloud_id.text)
            sinks.append(sink(cloud_id, "cloudid", decoded, note))
        return sinks or [sink(config, "endpoints", None, "no endpoints or cloudid (unresolved)")]
    for field in (f"{channel}_endpoint", "endpoint", "ingest_url", "url"):
        value = config.get(field)
        if value.text is not None:
            return [sink(value, field, value.text)]
    return [sink(config, "endpoint", None, f"{kind} exporter names no endpoint (unresolved)")]


def _exporter_type(exporter: str) -> str:
    """An exporter id's type, without underscores (``prometheus_remote_write/2`` and
    ``prometheusremotewrite`` are one type, as ``otlp_grpc`` and ``otlpgrpc``)."""
    return exporter.split("/", 1)[0].replace("_", "").lower()


def _otel_document(document: YamlNode, source: str) -> list[Sink]:
    exporters = document.get("exporters")
    sinks: list[Sink] = []
    seen: set[tuple[str, str]] = set()
    for pipeline, body in document.get("service").get("pipelines").items():
        channel = _SIGNAL_CHANNEL.get(pipeline.split("/", 1)[0])
        if channel is None:
            continue
        for exporter in body.get("exporters").list():
            name = exporter.text
            if name is None or (channel, name) in seen:
                continue
            seen.add((channel, name))
            config = exporters.get(name)
            if config.node is None:  # a connector, or a typo the collector would reject
                continue
            sinks.extend(_exporter_sinks(name, config, channel, source, f"exporters.{name}"))
    return sinks


def otel_collector(text: str, source: str = "config") -> Parsed:
    """An OpenTelemetry Collector config: the exporters that ``service.pipelines`` use,
    one sink per (pipeline signal, exporter endpoint); unused exporters send nothing."""
    return parse_yaml("otel-collector", source, text, lambda d: _otel_document(d, source))


def otel_exporters(
    text: str, source: str = "config", exporter: str | None = None, channel: str = "logs"
) -> Parsed:
    """Component-level exporter configs (top-level keys are exporter ids, as in the
    exporters' testdata), or one exporter's body when ``exporter`` names its type. With no
    pipeline the signal is unknown: ``channel`` (logs, the widest data classes) is used
    unless the exporter carries one signal only; an OTLP exporter's per-signal endpoints
    (``traces_endpoint``…) carry their signal."""

    def read(document: YamlNode) -> list[Sink]:
        if exporter is not None:
            pairs = [(exporter, document, exporter)]
        else:
            pairs = [(name, body, f"exporters.{name}") for name, body in document.items()]
        sinks = []
        for name, body, path in pairs:
            sinks.extend(_exporter_sinks(name, body, channel, source, path))
            if _exporter_type(name).startswith("otlp"):
                sinks.extend(
                    Sink(signal_channel, value.text, f"{source}:{value.line} {path}.{field}")
                    for signal, signal_channel in _SIGNAL_CHANNEL.items()
                    if (value := body.get(field := f"{signal}_endpoint")).text is not None
                    and field != f"{channel}_endpoint"
                )
        return sinks

    return parse_yaml("otel-collector", source, text, read)


# --- Elastic Cloud ids ------------------------------------------------------------------

_HOST_PORT: Final = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


def elastic_cloud_endpoint(cloud_id: str) -> str | None:
    """The Elasticsearch URL an Elastic Cloud id stands for (``name:base64(host$es$kibana)``
    → ``https://<es>.<host>``), or None when it does not decode to one."""
    encoded = cloud_id.rpartition(":")[2].strip()
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        domain, es_id, *_ = decoded.decode("ascii").split("$")
    except (ValueError, UnicodeDecodeError):
        return None
    if not _HOST_PORT.match(domain) or not re.fullmatch(r"[A-Za-z0-9-]+", es_id):
        return None
    host, _, port = domain.partition(":")
    return f"https://{es_id}.{host}" + (f":{port}" if port else "")


_UNDECODABLE: Final = "Elastic Cloud id that does not decode (unresolved)"


def _cloud_id(cloud_id: str) -> tuple[str | None, str]:
    """The endpoint of an Elastic Cloud id and the note saying how it was found."""
    endpoint = elastic_cloud_endpoint(cloud_id)
    return endpoint, "Elastic Cloud id" if endpoint else _UNDECODABLE


# --- Fluent Bit -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Output:
    """One Fluent Bit output: plugin name, properties (lower-case keys) with their lines."""

    name: str
    props: Mapping[str, tuple[str, int]]
    where: str  # "fluent-bit.conf:12 [OUTPUT]" or "fluent-bit.yaml:4 pipeline.outputs[0]"

    def value(self, key: str) -> str | None:
        found = self.props.get(key)
        return found[0] if found else None

    def at(self, key: str) -> str:
        found = self.props.get(key)
        head, _, tail = self.where.partition(" ")
        file = head.rsplit(":", 1)[0]
        return f"{file}:{found[1]} {tail} {self.name} {key}" if found else f"{self.where} {key}"


# Outputs that stay on the node or serve a scrape endpoint.
_FLUENT_BIT_LOCAL: Final = frozenset(
    {"stdout", "null", "file", "counter", "flowcounter", "prometheus_exporter", "exit"}
)
# (default host, default port) of the plugins that send to Host/Port.
_FLUENT_BIT_HOSTS: Final[Mapping[str, tuple[str, int]]] = {
    "es": ("127.0.0.1", 9200),
    "elasticsearch": ("127.0.0.1", 9200),
    "opensearch": ("127.0.0.1", 9200),
    "http": ("127.0.0.1", 80),
    "loki": ("127.0.0.1", 3100),
    "splunk": ("127.0.0.1", 8088),
    "forward": ("127.0.0.1", 24224),
    "datadog": ("http-intake.logs.datadoghq.com", 443),
    "gelf": ("127.0.0.1", 12201),
    "syslog": ("127.0.0.1", 514),
    "tcp": ("127.0.0.1", 5170),
    "opentelemetry": ("127.0.0.1", 80),
    "influxdb": ("127.0.0.1", 8086),
    "prometheus_remote_write": ("127.0.0.1", 80),
    "logdna": ("logs.logdna.com", 443),
    "vivo_exporter": ("127.0.0.1", 2025),
}
# AWS outputs: the service host under the configured region.
_FLUENT_BIT_AWS: Final = {
    "s3": "s3",
    "cloudwatch_logs": "logs",
    "kinesis_firehose": "firehose",
    "kinesis_streams": "kinesis",
}
_FLUENT_BIT_FIXED: Final = {
    "stackdriver": "https://logging.googleapis.com",
    "bigquery": "https://bigquery.googleapis.com",
    "nrlogs": "https://log-api.newrelic.com",
}


def _fluent_bit_sinks(output: _Output) -> list[Sink]:
    name = output.name.lower()
    channel = "metrics" if name == "prometheus_remote_write" else "logs"
    if name in _FLUENT_BIT_LOCAL:
        return []
    if name in _FLUENT_BIT_AWS:
        endpoint = output.value("endpoint")
        if endpoint:
            return [Sink(channel, endpoint, output.at("endpoint"))]
        region = output.value("region")
        note = "" if region else f"no region: AWS's default {AWS_DEFAULT_REGION}"
        url = f"https://{_FLUENT_BIT_AWS[name]}.{region or AWS_DEFAULT_REGION}.amazonaws.com"
        return [Sink(channel, url, output.at("region"), note)]
    if name in _FLUENT_BIT_FIXED:
        return [Sink(channel, _FLUENT_BIT_FIXED[name], output.where, f"{name} output")]
    if name == "kafka":
        brokers = (output.value("brokers") or "").split(",")
        return [Sink(channel, b.strip(), output.at("brokers")) for b in brokers if b.strip()] or [
            Sink(channel, None, output.where, "kafka output names no brokers (unresolved)")
        ]
    if name == "azure":
        workspace = output.value("customer_id")
        target = f"https://{workspace}.ods.opinsights.azure.com" if workspace else None
        return [Sink(channel, target, output.at("customer_id"), "" if target else "(unresolved)")]
    if name == "azure_blob":
        account = output.value("account_name")
        target = f"https://{account}.blob.core.windows.net" if account else None
        return [Sink(channel, target, output.at("account_name"), "" if target else "(unresolved)")]
    if name == "new_relic":
        base = output.value("base_uri") or "https://log-api.newrelic.com/log/v1"
        return [Sink(channel, base, output.at("base_uri"))]
    cloud_id = output.value("cloud_id")
    if name in {"es", "elasticsearch"} and cloud_id:
        endpoint, note = _cloud_id(cloud_id)
        return [Sink(channel, endpoint, output.at("cloud_id"), note)]
    if name in _FLUENT_BIT_HOSTS or output.value("host"):
        default_host, default_port = _FLUENT_BIT_HOSTS.get(name, ("127.0.0.1", 80))
        host = output.value("host")
        port = output.value("port") or str(default_port)
        tls = (output.value("tls") or "").lower() in {"on", "true", "yes", "1"}
        scheme = "https" if tls else "http"
        # Only digits are a port (``${PORT}`` is not); URIs are left out, they may hold keys.
        authority = (host or default_host) + (f":{port}" if port.isdigit() else "")
        note = "" if host else f"no host: the plugin's default {default_host}"
        return [Sink(channel, f"{scheme}://{authority}", output.at("host"), note)]
    return [Sink(channel, None, output.where, f"{name} output names no host (unresolved)")]


_SECTION: Final = re.compile(r"^\s*\[\s*([A-Za-z_]+)\s*\]\s*$")


def _classic_outputs(text: str, source: str) -> list[_Output]:
    """``[OUTPUT]`` sections of a classic Fluent Bit config; raises ValueError when malformed."""
    outputs: list[_Output] = []
    section: str | None = None
    props: dict[str, tuple[str, int]] = {}
    start = 0

    def close() -> None:
        if section == "OUTPUT":
            name = props.get("name", ("", 0))[0]
            if not name:
                raise ValueError(f"line {start}: [OUTPUT] section without a Name")
            outputs.append(_Output(name, dict(props), f"{source}:{start} [OUTPUT]"))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("@"):
            continue
        header = _SECTION.match(raw)
        if header:
            close()
            section, props, start = header.group(1).upper(), {}, number
            continue
        if line.startswith("["):
            raise ValueError(f"line {number}: malformed section header")
        if section is None:
            raise ValueError(f"line {number}: a property outside any section")
        key, _, value = line.partition(" ")
        if not value.strip():
            raise ValueError(f"line {number}: property {key} has no value")
        props[key.lower()] = (value.strip(), number)
    close()
    return outputs


def _yaml_outputs(document: YamlNode, source: str) -> list[_Output]:
    outputs = []
    for index, node in enumerate(document.get("pipeline").get("outputs").list()):
        props = {k.lower(): (v.text, v.line) for k, v in node.items() if v.text is not None}
        name = props.get("name", ("", 0))[0]
        if not name:
            raise ValueError(f"line {node.line}: pipeline.outputs[{index}] has no name")
        outputs.append(_Output(name, props, f"{source}:{node.line} pipeline.outputs[{index}]"))
    return outputs


def fluent_bit(text: str, source: str = "fluent-bit.conf") -> Parsed:
    """Fluent Bit outputs, classic (``[OUTPUT]``) or YAML (``pipeline.outputs``): channel logs
    (metrics for ``prometheus_remote_write``)."""
    try:
        if _FLUENT_BIT_YAML.search(text):
            outputs = [o for d in _compose(text) for o in _yaml_outputs(d, source)]
        else:
            outputs = _classic_outputs(text, source)
    except yaml.YAMLError as exc:
        return Parsed("fluent-bit", error=f"{source}: invalid YAML: {_yaml_error(exc)}")
    except ValueError as exc:
        return Parsed("fluent-bit", error=f"{source}: {exc}")
    return Parsed("fluent-bit", tuple(s for o in outputs for s in _fluent_bit_sinks(o)))


# --- Prometheus ---------------------------------------------------------------------------


_NO_URL: Final = "no url (unresolved)"


def prometheus(text: str, source: str = "prometheus.yml") -> Parsed:
    """``remote_write[].url`` of a Prometheus (or agent) config: channel metrics."""

    def read(document: YamlNode) -> list[Sink]:
        sinks = []
        for i, entry in enumerate(document.get("remote_write").list()):
            url = entry.get("url")
            where = f"{source}:{url.line or entry.line} remote_write[{i}]"
            sinks.append(Sink("metrics", url.text, f"{where}.url", "" if url.text else _NO_URL))
            # OAuth2 client credentials go to the token endpoint: an identity flow.
            token_url = entry.get("oauth2").get("token_url")
            if token_url.text is not None:
                where = f"{source}:{token_url.line} remote_write[{i}].oauth2.token_url"
                sinks.append(Sink("identity", token_url.text, where))
        return sinks

    return parse_yaml("prometheus", source, text, read)


def prometheus_resource(obj: Mapping[str, Any]) -> Parsed:
    """``spec.remoteWrite[].url`` of a ``Prometheus`` (or ``PrometheusAgent``) custom resource,
    and ``oauth2.tokenUrl`` where one is set (an identity flow)."""
    spec = obj.get("spec")
    writes = spec.get("remoteWrite") if isinstance(spec, Mapping) else None
    if writes is None:
        return Parsed("prometheus")
    if not isinstance(writes, list):
        return Parsed("prometheus", error="spec.remoteWrite is not a list")
    sinks = []
    for i, entry in enumerate(writes):
        url = entry.get("url") if isinstance(entry, Mapping) else None
        note = "" if isinstance(url, str) else _NO_URL
        sinks.append(
            Sink(
                "metrics", url if isinstance(url, str) else None, f"spec.remoteWrite[{i}].url", note
            )
        )
        # OAuth2 client credentials go to the token endpoint: an identity flow.
        oauth2 = entry.get("oauth2") if isinstance(entry, Mapping) else None
        token_url = oauth2.get("tokenUrl") if isinstance(oauth2, Mapping) else None
        if isinstance(token_url, str):
            sinks.append(Sink("identity", token_url, f"spec.remoteWrite[{i}].oauth2.tokenUrl"))
    return Parsed("prometheus", tuple(sinks))


# --- Shared: an endpoint reduced to scheme://host:port ------------------------------------

_ORIGIN: Final = re.compile(
    r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?"
    r"(?:[^@/?#]*@)?"  # userinfo: dropped
    r"(?P<authority>(?:#\{[^}]*\}|\$\{[^}]*\}|\{\{.*?\}\}|[^/?#\s])*)"
)


def origin(url: str, scheme: str | None = None) -> str:
    """``scheme://host:port`` of a URL as written, without userinfo, path or query (paths and
    queries may hold tokens); ``scheme`` is added where the value has none."""
    found = _ORIGIN.match(url.strip())
    authority = found.group("authority") if found else ""
    written = found.group("scheme") if found else None
    prefix = written or scheme
    return (f"{prefix}://" if prefix else "") + authority


def _where(source: str, line: int, path: str) -> str:
    """``source:line path``; without a line when the text does not show where it is."""
    return f"{source}:{line} {path}" if line else f"{source} {path}"


def _aws(service: str, region: str | None) -> str | None:
    return f"https://{service}.{region}.amazonaws.com" if region else None


# --- Fluentd / td-agent -----------------------------------------------------------------------

_FLUENTD_TAG: Final = re.compile(r"^<\s*(/?)\s*([A-Za-z_][\w-]*)\s*([^>]*?)\s*>\s*(?:#.*)?$")
# Outputs that stay on the node, re-route events inside Fluentd, or serve a scrape endpoint.
_FLUENTD_LOCAL: Final = frozenset(
    {
        "stdout",
        "null",
        "file",
        "secondary_file",
        "relabel",
        "rewrite_tag_filter",
        "exec",
        "exec_filter",
        "prometheus",
        "flowcounter",
    }
)
_FLUENTD_ES: Final = frozenset(
    {"elasticsearch", "elasticsearch_data_stream", "opensearch", "opensearch_data_stream"}
)
# (default host, default port) of outputs that send to host/port.
_FLUENTD_HOSTS: Final[Mapping[str, tuple[str, int]]] = {
    "syslog": ("127.0.0.1", 514),
    "remote_syslog": ("127.0.0.1", 514),
    "gelf": ("127.0.0.1", 12201),
    "mongo": ("127.0.0.1", 27017),
    "influxdb": ("127.0.0.1", 8086),
}
_FLUENTD_AWS: Final = {
    "cloudwatch_logs": "logs",
    "kinesis_streams": "kinesis",
    "kinesis_firehose": "firehose",
}
_FLUENTD_KAFKA: Final = frozenset({"kafka", "kafka2", "kafka_buffered", "rdkafka", "rdkafka2"})
_FLUENTD_FIXED: Final = {
    "google_cloud": "https://logging.googleapis.com",
    "bigquery_insert": "https://bigquery.googleapis.com",
    "bigquery_load": "https://bigquery.googleapis.com",
}


@dataclass
class _Directive:
    """One ``<name arg>`` section of a Fluentd config with its parameters and subsections."""

    name: str
    arg: str
    line: int
    props: dict[str, tuple[str, int]]
    children: list[_Directive]


def _fluentd_value(raw: str) -> str:
    """A parameter's value: quotes removed (``"#{ENV['X']}"`` keeps its interpolation), and
    an unquoted value's trailing `` # comment``."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.sub(r"\s+#(?!\{).*$", "", value)


def _fluentd_tree(text: str) -> tuple[_Directive, list[str]]:
    """The directives of a Fluentd config and its ``@include`` lines; raises ValueError."""
    root = _Directive("", "", 0, {}, [])
    stack = [root]
    includes: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("<"):
            tag = _FLUENTD_TAG.match(line)
            if tag is None:
                raise ValueError(f"line {number}: malformed section tag")
            closing, name, arg = tag.groups()
            if closing:
                if len(stack) == 1 or stack[-1].name != name:
                    opened = stack[-1].name if len(stack) > 1 else "no section"
                    raise ValueError(f"line {number}: </{name}> closes <{opened}>")
                stack.pop()
            else:
                directive = _Directive(name, arg, number, {}, [])
                stack[-1].children.append(directive)
                stack.append(directive)
            continue
        key, _, value = line.partition(" ")
        if key == "@include":
            includes.append(f"line {number}: @include {value.strip()} (not followed)")
            continue
        stack[-1].props[key.lower()] = (_fluentd_value(value), number)
    if len(stack) > 1:
        raise ValueError(f"line {stack[-1].line}: <{stack[-1].name}> is not closed")
    return root, includes


def _fluentd_output(directive: _Directive, source: str, path: str) -> list[Sink]:
    """The sinks of one ``<match>`` or ``<store>``; ``path`` is where it sits
    (``<match kube.**> <store>``), for the evidence."""
    kind = (directive.props.get("@type") or directive.props.get("type") or ("", 0))[0]
    if kind in {"copy", "roundrobin"}:
        return [
            sink
            for child in directive.children
            if child.name == "store"
            for sink in _fluentd_output(child, source, f"{path} <store>")
        ]
    output = _Output(kind, directive.props, f"{source}:{directive.line} {path}")
    return _fluentd_sinks(output, directive, source, path)


def _fluentd_sinks(output: _Output, directive: _Directive, source: str, path: str) -> list[Sink]:
    name, value = output.name.lower(), output.value
    channel = "logs"
    if not name:
        return [Sink(channel, None, output.where, "no @type (unresolved)")]
    if name in _FLUENTD_LOCAL:
        return []
    if name in _FLUENTD_ES:
        scheme = value("scheme") or "http"
        if value("cloud_id"):
            endpoint, note = _cloud_id(value("cloud_id") or "")
            return [Sink(channel, endpoint, output.at("cloud_id"), note)]
        if value("hosts"):
            hosts = [h.strip() for h in (value("hosts") or "").strip("[]").split(",")]
            return [
                Sink(channel, origin(h.strip("\"'"), scheme), output.at("hosts"))
                for h in hosts
                if h.strip("\"'")
            ]
        host, port = value("host"), value("port") or "9200"
        authority = (host or "localhost") + (f":{port}" if port.isdigit() else "")
        note = "" if host else "no host: the plugin's default localhost"
        return [Sink(channel, f"{scheme}://{authority}", output.at("host"), note)]
    if name == "forward":
        servers = [c for c in directive.children if c.name == "server"]
        scheme = "tls" if (value("transport") or "").lower() == "tls" else "tcp"
        sinks = []
        for server in servers:
            host, line = server.props.get("host", ("", server.line))
            port = server.props.get("port", ("24224", 0))[0]
            at = f"{source}:{line} {path} <server> host"
            authority = host + (f":{port}" if port.isdigit() else "")
            sinks.append(
                Sink(
                    channel,
                    f"{scheme}://{authority}" if host else None,
                    at,
                    "" if host else "<server> without host (unresolved)",
                )
            )
        return sinks or [Sink(channel, None, output.where, "forward without <server> (unresolved)")]
    if name == "s3":
        if value("s3_endpoint"):
            return [Sink(channel, origin(value("s3_endpoint") or ""), output.at("s3_endpoint"))]
        region = value("s3_region")
        note = "" if region else f"no s3_region: the plugin's default {AWS_DEFAULT_REGION}"
        bucket = value("s3_bucket")
        note = ", ".join(n for n in (note, f"bucket {bucket}" if bucket else "") if n)
        url = _aws("s3", region or AWS_DEFAULT_REGION)
        return [Sink(channel, url, output.at("s3_region"), note)]
    if name in _FLUENTD_AWS:
        if value("endpoint"):
            return [Sink(channel, origin(value("endpoint") or ""), output.at("endpoint"))]
        region = value("region")
        note = "" if region else "no region: the AWS SDK's region chain decides (unresolved)"
        return [Sink(channel, _aws(_FLUENTD_AWS[name], region), output.at("region"), note)]
    if name in _FLUENTD_KAFKA:
        brokers = [b.strip() for b in (value("brokers") or "").split(",") if b.strip()]
        return [Sink(channel, origin(b), output.at("brokers")) for b in brokers] or [
            Sink(channel, "localhost:9092", output.where, "no brokers: the plugin's default")
        ]
    if name == "datadog":
        if value("dd_url"):
            return [Sink(channel, origin(value("dd_url") or ""), output.at("dd_url"))]
        if value("host"):
            ssl = (value("use_ssl") or "true").lower() != "false"
            return [
                Sink(
                    channel,
                    origin(value("host") or "", "https" if ssl else "http"),
                    output.at("host"),
                )
            ]
        site = value("site")
        note = "" if site else f"no host or site: Datadog's default {DATADOG_DEFAULT_SITE}"
        url = f"https://http-intake.logs.{site or DATADOG_DEFAULT_SITE}"
        return [Sink(channel, url, output.at("site"), note)]
    if name == "splunk_hec":
        if value("full_url"):
            return [Sink(channel, origin(value("full_url") or ""), output.at("full_url"))]
        host, port = value("hec_host"), value("hec_port") or "8088"
        scheme = value("protocol") or "https"
        target = f"{scheme}://{host}" + (f":{port}" if port.isdigit() else "") if host else None
        return [
            Sink(channel, target, output.at("hec_host"), "" if host else "no hec_host (unresolved)")
        ]
    if name == "loki":
        url = value("url")
        note = "" if url else "no url: the plugin's default Grafana Cloud US"
        target = origin(url) if url else "https://logs-prod-us-central1.grafana.net"
        return [Sink(channel, target, output.at("url"), note)]
    if name == "azure-loganalytics":
        workspace = value("customer_id")
        suffix = value("endpoint") or "ods.opinsights.azure.com"
        target = f"https://{workspace}.{suffix}" if workspace else None
        return [Sink(channel, target, output.at("customer_id"), "" if target else "(unresolved)")]
    if name == "newrelic":
        base = value("base_uri") or "https://log-api.newrelic.com/log/v1"
        return [Sink(channel, origin(base), output.at("base_uri"))]
    if name in _FLUENTD_FIXED:
        return [Sink(channel, _FLUENTD_FIXED[name], output.where, f"{name} output")]
    for field in ("endpoint", "endpoint_url", "url", "uri"):
        if value(field):
            return [Sink(channel, origin(value(field) or ""), output.at(field))]
    if name in _FLUENTD_HOSTS or value("host"):
        default_host, default_port = _FLUENTD_HOSTS.get(name, ("127.0.0.1", 80))
        host, port = value("host"), value("port") or str(default_port)
        authority = (host or default_host) + (f":{port}" if port.isdigit() else "")
        note = "" if host else f"no host: the plugin's default {default_host}"
        return [Sink(channel, f"tcp://{authority}", output.at("host"), note)]
    return [Sink(channel, None, output.where, f"{name} output names no endpoint (unresolved)")]


def _fluentd_matches(directive: _Directive, source: str) -> list[Sink]:
    sinks = []
    for child in directive.children:
        if child.name == "match":
            sinks.extend(_fluentd_output(child, source, f"<match {child.arg}>"))
        elif child.name == "label":
            sinks.extend(_fluentd_matches(child, source))
    return sinks


def fluentd(text: str, source: str = "fluent.conf") -> Parsed:
    """Fluentd (td-agent) ``<match>`` outputs, with the ``<store>`` of ``@type copy``: channel
    logs. ``@include`` lines are noted, never followed (each ConfigMap key is read alone)."""
    try:
        root, includes = _fluentd_tree(text)
    except ValueError as exc:
        return Parsed("fluentd", error=f"{source}: {exc}")
    notes = tuple(f"{source}: {n}" for n in includes)
    return Parsed("fluentd", tuple(_fluentd_matches(root, source)), notes=notes)


# --- Vector -------------------------------------------------------------------------------------


class _Tree:
    """A TOML or JSON value with :class:`YamlNode`'s interface; lines are found in the text."""

    def __init__(self, value: Any, path: tuple[str, ...], find: Callable[[tuple[str, ...]], int]):
        self.value, self.path, self.find = value, path, find

    @property
    def line(self) -> int:
        return self.find(self.path) if self.value is not None else 0

    def get(self, key: str) -> _Tree:
        value = self.value.get(key) if isinstance(self.value, Mapping) else None
        return _Tree(value, (*self.path, key), self.find)

    def items(self) -> list[tuple[str, _Tree]]:
        if not isinstance(self.value, Mapping):
            return []
        return [(str(k), _Tree(v, (*self.path, str(k)), self.find)) for k, v in self.value.items()]

    def list(self) -> list[_Tree]:
        if isinstance(self.value, list):
            return [_Tree(v, self.path, self.find) for v in self.value]
        return [] if self.text is None else [self]

    @property
    def text(self) -> str | None:
        if self.value is None or isinstance(self.value, Mapping | list):
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value).strip() or None


_TOML_HEADER: Final = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY: Final = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _toml_parts(dotted: str) -> tuple[str, ...]:
    """``a."b.c" . d`` → ``("a", "b.c", "d")``."""
    return tuple(
        part.strip().strip("\"'")
        for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)
        if part.strip()
    )


def _toml_line(text: str) -> Callable[[tuple[str, ...]], int]:
    """Where ``sinks.<id>[.key…]`` is written in a TOML text: the line whose table header
    and dotted key together spell the path (or open an inline table on the way to it); the
    sink's own header line where the key is not written; 0 where the sink is not found."""
    lines = text.splitlines()

    def find(path: tuple[str, ...]) -> int:
        table: tuple[str, ...] = ()
        sink_line = 0
        for number, line in enumerate(lines, start=1):
            header = _TOML_HEADER.match(line)
            if header:
                table = _toml_parts(header.group(1))
                if table == path[:2]:
                    sink_line = number
                    if len(path) == 2:
                        return number
                continue
            key = _TOML_KEY.match(line)
            if key is None:
                continue
            full = table + _toml_parts(key.group(1))
            if full == path or (full[:2] == path[:2] and full == path[: len(full)] and "{" in line):
                return number
            if len(path) == 2 and full[:2] == path:
                sink_line = sink_line or number
        return sink_line

    return find


def _json_depths(text: str) -> npt.NDArray[np.int32]:
    """The bracket depth at every character of a JSON text (strings skipped)."""
    depths = np.zeros(len(text) + 1, dtype=np.int32)
    depth, in_string, escaped = 0, False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        depths[position + 1] = depth
    return depths


def _json_line(text: str) -> Callable[[tuple[str, ...]], int]:
    """Where ``sinks.<id>[.key…]`` is written in a JSON text: each key of the path is looked
    for one level inside the object the previous one opens; the line of the deepest key."""
    depths = _json_depths(text)

    def find(path: tuple[str, ...]) -> int:
        start, end, level, line = 0, len(text), 1, 0
        for key in path:
            pattern = re.compile(rf'"{re.escape(key)}"\s*:\s*')
            found = next(
                (m for m in pattern.finditer(text, start, end) if depths[m.start()] == level),
                None,
            )
            if found is None:
                return line
            line = text.count("\n", 0, found.start()) + 1
            start, level = found.end(), level + 1
            if start < len(text) and text[start] in "{[":
                closing = np.flatnonzero(depths[start + 1 :] < level)
                end = start + 1 + int(closing[0]) if len(closing) else len(text)
        return line

    return find


_VECTOR_LOCAL: Final = frozenset({"console", "file", "blackhole", "prometheus_exporter"})
_VECTOR_AWS: Final = {
    "aws_s3": "s3",
    "aws_cloudwatch_logs": "logs",
    "aws_cloudwatch_metrics": "monitoring",
    "aws_kinesis_firehose": "firehose",
    "aws_kinesis_streams": "kinesis",
    "aws_sqs": "sqs",
    "aws_sns": "sns",
}
# Datadog's intake host for each Vector sink, under the configured site.
_VECTOR_DATADOG: Final = {
    "datadog_logs": "http-intake.logs",
    "datadog_metrics": "api",
    "datadog_events": "api",
    "datadog_traces": "trace.agent",
}
_VECTOR_FIXED: Final = {
    "gcp_stackdriver_logs": "https://logging.googleapis.com",
    "gcp_stackdriver_metrics": "https://monitoring.googleapis.com",
    "gcp_cloud_storage": "https://storage.googleapis.com",
    "gcp_pubsub": "https://pubsub.googleapis.com",
    "gcp_chronicle_unstructured": "https://malachiteingestion-pa.googleapis.com",
    "honeycomb": "https://api.honeycomb.io",
    "humio_logs": "https://cloud.humio.com",
    "humio_metrics": "https://cloud.humio.com",
    "axiom": "https://api.axiom.co",
    "appsignal": "https://appsignal-endpoint.net",
    "mezmo": "https://logs.mezmo.com",
    "logdna": "https://logs.mezmo.com",
}
_NEW_RELIC: Final = {
    ("us", "logs"): "https://log-api.newrelic.com",
    ("eu", "logs"): "https://log-api.eu.newrelic.com",
    ("us", "metrics"): "https://metric-api.newrelic.com",
    ("eu", "metrics"): "https://metric-api.eu.newrelic.com",
    ("us", "events"): "https://insights-collector.newrelic.com",
    ("eu", "events"): "https://insights-collector.eu01.nr-data.net",
}
# Where each sink type names its destination, in order of preference.
_VECTOR_FIELDS: Final = ("endpoint", "endpoints", "uri", "url", "address", "bootstrap_servers")


def _vector_channel(kind: str) -> str:
    if kind.endswith("_metrics") or kind in {"prometheus_remote_write", "statsd"}:
        return "metrics"
    return "traces" if kind.endswith("_traces") else "logs"


def _vector_sink(sink_id: str, body: Any, source: str) -> list[Sink]:
    """The endpoints of one Vector sink (``body`` is a :class:`YamlNode` or :class:`_Tree`)."""
    kind = (body.get("type").text or "").lower()
    channel = _vector_channel(kind)
    path = f"sinks.{sink_id}"

    def sink(node: Any, field: str, endpoint: str | None, note: str = "") -> Sink:
        return Sink(
            channel, endpoint, _where(source, node.line or body.line, f"{path}.{field}"), note
        )

    if kind in _VECTOR_LOCAL:
        return []
    if not kind:
        return [sink(body, "type", None, "sink without a type (unresolved)")]
    endpoint = body.get("endpoint")
    if kind in _VECTOR_DATADOG:
        if endpoint.text is not None:
            return [sink(endpoint, "endpoint", origin(endpoint.text))]
        site = body.get("site")
        note = "" if site.text else f"no site: Datadog's default {DATADOG_DEFAULT_SITE}"
        url = f"https://{_VECTOR_DATADOG[kind]}.{site.text or DATADOG_DEFAULT_SITE}"
        return [sink(site, "site", url, note)]
    if kind in _VECTOR_AWS:
        if endpoint.text is not None:
            return [sink(endpoint, "endpoint", origin(endpoint.text))]
        region = body.get("region")
        note = "" if region.text else "no region: the AWS SDK's region chain decides (unresolved)"
        bucket = body.get("bucket").text
        note = ", ".join(n for n in (note, f"bucket {bucket}" if bucket else "") if n)
        return [sink(region, "region", _aws(_VECTOR_AWS[kind], region.text), note)]
    if kind == "kafka":
        servers = body.get("bootstrap_servers")
        brokers = [b.strip() for b in (servers.text or "").split(",") if b.strip()]
        return [sink(servers, "bootstrap_servers", origin(b)) for b in brokers] or [
            sink(body, "bootstrap_servers", None, "no bootstrap_servers (unresolved)")
        ]
    if kind == "opentelemetry":
        uri = body.get("protocol").get("uri")
        return [
            sink(
                uri,
                "protocol.uri",
                origin(uri.text) if uri.text else None,
                "" if uri.text else "no protocol.uri (unresolved)",
            )
        ]
    if kind == "new_relic":
        region = (body.get("region").text or "us").lower()
        api = (body.get("api").text or "logs").lower()
        channel = "metrics" if api == "metrics" else "logs"
        target = _NEW_RELIC.get((region, api))
        return [
            sink(
                body.get("region"),
                "region",
                target,
                "" if target else f"New Relic {region}/{api} (unresolved)",
            )
        ]
    if kind == "azure_monitor_logs":
        workspace = body.get("customer_id")
        suffix = body.get("host").text or "ods.opinsights.azure.com"
        target = f"https://{workspace.text}.{suffix}" if workspace.text else None
        return [
            sink(workspace, "customer_id", target, "" if target else "no customer_id (unresolved)")
        ]
    if kind == "azure_blob":
        account = body.get("storage_account")
        target = f"https://{account.text}.blob.core.windows.net" if account.text else None
        # A connection string holds the account key: never read.
        note = (
            "" if target else "no storage_account (its connection string is not read; unresolved)"
        )
        return [sink(account, "storage_account", target, note)]
    for field in _VECTOR_FIELDS:
        values = body.get(field).list()
        texts = [v for v in values if v.text is not None]
        if texts:
            return [
                sink(v, field, origin(p)) for v in texts for p in v.text.split(",") if p.strip()
            ]
    if kind in _VECTOR_FIXED:
        return [sink(body, "type", _VECTOR_FIXED[kind], f"{kind} sink")]
    return [sink(body, "endpoint", None, f"{kind} sink names no endpoint (unresolved)")]


def _vector_format(text: str, source: str) -> str:
    suffix = source.rsplit(".", 1)[-1].lower()
    if suffix in {"toml", "json", "yaml", "yml"}:
        return "yaml" if suffix == "yml" else suffix
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json"
    return "toml" if re.search(r"(?m)^\s*\[\s*sinks\s*\.", text) else "yaml"


def vector(text: str, source: str = "vector.yaml") -> Parsed:
    """Vector ``sinks.<id>`` in YAML, TOML or JSON (by the key's suffix, else the text):
    channel metrics for metric sinks, traces for trace sinks, logs otherwise. TOML and JSON
    parsers give no lines: the line is the one the sink's table or key is written on."""
    form = _vector_format(text, source)
    documents: list[Any]
    try:
        if form == "yaml":
            documents = _compose(text)
        elif form == "toml":
            documents = [_Tree(tomllib.loads(text), (), _toml_line(text))]
        else:
            documents = [_Tree(json.loads(text), (), _json_line(text))]
    except yaml.YAMLError as exc:
        return Parsed("vector", error=f"{source}: invalid YAML: {_yaml_error(exc)}")
    except tomllib.TOMLDecodeError as exc:
        return Parsed("vector", error=f"{source}: invalid TOML: {exc}")
    except json.JSONDecodeError as exc:
        return Parsed("vector", error=f"{source}: invalid JSON: {exc.msg}: line {exc.lineno}")
    sinks = [
        s
        for document in documents
        for sink_id, body in document.get("sinks").items()
        for s in _vector_sink(sink_id, body, source)
    ]
    return Parsed("vector", tuple(sinks))


# --- Grafana Alloy (Alloy syntax, formerly River) and Grafana Agent static mode ------------------

_ALLOY_TOKEN: Final = re.compile(
    r"(?P<space>[ \t\r\f]+)"
    r"|(?P<newline>\n)"
    r"|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<raw>`[^`]*`)"
    r"|(?P<number>\d[\w.]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/%^<>!=.,:{}\[\]()?])",
    re.S,
)
_BINARY: Final = frozenset(
    {
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "==",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "&&",
        "||",
        ",",
        "(",
        "[",
        "{",
        "=",
    }
)


@dataclass(frozen=True)
class _Token:
    kind: str  # string, raw, number, name, op, newline
    text: str
    line: int


@dataclass
class _Block:
    """An Alloy block: ``name "label" { … }`` with its attributes (tokens of the value, line)."""

    name: str
    label: str
    line: int
    attributes: dict[str, tuple[list[_Token], int]]
    children: list[_Block]


def _alloy_tokens(text: str) -> list[_Token]:
    """Tokens with their lines, comments and spaces dropped; raises ValueError."""
    tokens: list[_Token] = []
    position, line = 0, 1
    while position < len(text):
        found = _ALLOY_TOKEN.match(text, position)
        if text.startswith("/*", position) and "*/" not in text[position + 2 :]:
            raise ValueError(f"line {line}: unterminated comment")
        if found is None:
            rest = text[position:]
            if rest.startswith('"'):
                raise ValueError(f"line {line}: unterminated string")
            if rest.startswith("/*"):
                raise ValueError(f"line {line}: unterminated comment")
            if rest.startswith("`"):
                raise ValueError(f"line {line}: unterminated raw string")
            raise ValueError(f"line {line}: unexpected character {rest[0]!r}")
        kind = found.lastgroup or ""
        if kind not in {"space", "comment"}:
            tokens.append(_Token(kind, found.group(), line))
        line += found.group().count("\n")
        position = found.end()
    return tokens


class _AlloyParser:
    """Blocks and attributes of an Alloy config; expressions are kept as tokens."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def body(self, block: _Block) -> None:
        while True:
            token = self.peek()
            while token is not None and token.kind == "newline":
                self.take()
                token = self.peek()
            if token is None:
                if block.name:
                    raise ValueError(f"line {block.line}: block {block.name} is not closed")
                return
            if token.text == "}" and token.kind == "op":
                if not block.name:
                    raise ValueError(f"line {token.line}: unexpected '}}'")
                self.take()
                return
            if token.kind != "name":
                # A string is never quoted back: it may be a secret.
                found = "a string" if token.kind in {"string", "raw"} else repr(token.text)
                raise ValueError(f"line {token.line}: expected a name, found {found}")
            name = self.dotted()
            following = self.peek()
            if following is not None and following.text == "=":
                self.take()
                block.attributes[name] = (self.expression(token.line), token.line)
            elif (
                following is not None
                and following.kind in {"string", "op"}
                and (following.kind == "string" or following.text == "{")
            ):
                label = _alloy_string(self.take()) if following.kind == "string" else ""
                opening = self.peek()
                if opening is None or opening.text != "{":
                    raise ValueError(f"line {token.line}: expected '{{' after {name}")
                self.take()
                child = _Block(name, label or "", token.line, {}, [])
                block.children.append(child)
                self.body(child)
            else:
                raise ValueError(f"line {token.line}: expected '=' or '{{' after {name}")

    def dotted(self) -> str:
        parts = [self.take().text]
        while (
            (dot := self.peek()) is not None and dot.text == "." and self.at + 1 < len(self.tokens)
        ):
            if self.tokens[self.at + 1].kind != "name":
                break
            self.take()
            parts.append(self.take().text)
        return ".".join(parts)

    def expression(self, line: int) -> list[_Token]:
        """The tokens of a value, up to the end of its line outside brackets."""
        found: list[_Token] = []
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind == "newline":
                if depth == 0 and found and found[-1].text not in _BINARY:
                    break
                self.take()
                continue
            if token.kind == "op" and token.text in "([{":
                depth += 1
            elif token.kind == "op" and token.text in ")]}":
                if depth == 0:
                    break
                depth -= 1
            found.append(self.take())
        if depth:
            raise ValueError(f"line {line}: unbalanced brackets in a value")
        if not found:
            raise ValueError(f"line {line}: attribute without a value")
        return found


def _alloy_string(token: _Token) -> str | None:
    if token.kind == "raw":
        return token.text[1:-1]
    if token.kind == "string":
        try:
            value = json.loads(token.text)
        except json.JSONDecodeError:
            return token.text[1:-1]
        return value if isinstance(value, str) else None
    return None


def _alloy_value(tokens: list[_Token]) -> tuple[str | None, str]:
    """A literal string value, or None with why it is unresolved: an expression is evaluated
    by Alloy at run time (``env("X")``, ``sys.env("X")``, concatenations)."""
    if len(tokens) == 1 and (value := _alloy_string(tokens[0])) is not None:
        return value, ""
    texts = [t.text for t in tokens]
    call = "".join(texts[:-3]) if len(texts) >= 4 else ""
    if call in {"env", "sys.env"} and texts[-3] == "(" and tokens[-2].kind == "string":
        return None, f"expression {call}({tokens[-2].text}), resolved at run time (unresolved)"
    return None, "an expression, resolved at run time (unresolved)"


# component -> (sub-block holding the endpoint, attribute, channel or None for the wiring)
_ALLOY_SINKS: Final = {
    "prometheus.remote_write": ("endpoint", "url", "metrics"),
    "loki.write": ("endpoint", "url", "logs"),
    "pyroscope.write": ("endpoint", "url", "traces"),
    "otelcol.exporter.otlp": ("client", "endpoint", None),
    "otelcol.exporter.otlphttp": ("client", "endpoint", None),
}
# Exporters that hand data to other Alloy components, or serve a scrape endpoint.
_ALLOY_LOCAL: Final = frozenset(
    {"otelcol.exporter.loki", "otelcol.exporter.prometheus", "otelcol.exporter.debug"}
)


def _alloy_blocks(block: _Block) -> Iterable[_Block]:
    for child in block.children:
        yield child
        yield from _alloy_blocks(child)


def _alloy_wiring(root: _Block) -> dict[str, set[str]]:
    """Which signals each component receives: ``output { traces = [x.input] }`` blocks."""
    wired: dict[str, set[str]] = {}
    for block in _alloy_blocks(root):
        if block.name != "output":
            continue
        for signal, (tokens, _) in block.attributes.items():
            channel = _SIGNAL_CHANNEL.get(signal)
            if channel is None:
                continue
            reference = ""
            for token in (*tokens, _Token("op", ",", 0)):
                if token.kind == "name" or (token.text == "." and reference):
                    reference += token.text
                    continue
                if reference.endswith(".input"):
                    wired.setdefault(reference.removesuffix(".input"), set()).add(channel)
                reference = ""
    return wired


def _alloy_sinks(root: _Block, source: str) -> list[Sink]:
    wired = _alloy_wiring(root)
    sinks: list[Sink] = []
    for block in _alloy_blocks(root):
        name = block.name
        if name in _ALLOY_LOCAL or not (
            name in _ALLOY_SINKS or name.startswith("otelcol.exporter.")
        ):
            continue
        component = f"{name}.{block.label}" if block.label else name
        holder, field, channel = _ALLOY_SINKS.get(name, ("client", "endpoint", None))
        channels = [channel] if channel else sorted(wired.get(component, set())) or ["logs"]
        note = "" if channel or component in wired else "no output wired to it: logs assumed"
        targets = [c for c in block.children if c.name == holder]
        if not targets:
            targets = [block] if field in block.attributes else []
        if not targets:
            where = _where(source, block.line, f"{component} {holder}.{field}")
            sinks.extend(Sink(c, None, where, f"no {holder} block (unresolved)") for c in channels)
            continue
        for target in targets:
            tokens, line = target.attributes.get(field, ([], target.line))
            value, why = _alloy_value(tokens) if tokens else (None, f"no {field} (unresolved)")
            path = (
                f"{component} {holder}.{field}" if target is not block else f"{component} {field}"
            )
            endpoint = origin(value) if value is not None else None
            text = ", ".join(n for n in (why, note) if n)
            sinks.extend(Sink(c, endpoint, _where(source, line, path), text) for c in channels)
    return sinks


def alloy(text: str, source: str = "config.alloy") -> Parsed:
    """Grafana Alloy's remote writes: ``prometheus.remote_write`` (metrics), ``loki.write``
    (logs), ``pyroscope.write`` (profiles, as traces) ``endpoint { url }``, and
    ``otelcol.exporter.*`` ``client { endpoint }`` with the signals wired to their input.
    A value that is an expression is unresolved, never a host."""
    try:
        root = _Block("", "", 0, {}, [])
        _AlloyParser(_alloy_tokens(text)).body(root)
    except ValueError as exc:
        return Parsed("alloy", error=f"{source}: {exc}")
    return Parsed("alloy", tuple(_alloy_sinks(root, source)))


def grafana_agent(text: str, source: str = "agent.yaml") -> Parsed:
    """Grafana Agent static mode: ``metrics.global.remote_write[].url`` and
    ``metrics.configs[].remote_write[].url`` (metrics),
    ``logs.configs[].clients[].url`` (logs), ``traces.configs[].remote_write[].endpoint``
    (traces)."""
    fields = (
        ("metrics", "remote_write", "url"),
        ("logs", "clients", "url"),
        ("traces", "remote_write", "endpoint"),
    )

    def read(document: YamlNode) -> list[Sink]:
        sinks = []
        for j, entry in enumerate(document.get("metrics").get("global").get("remote_write").list()):
            value = entry.get("url")
            path = f"metrics.global.remote_write[{j}].url"
            endpoint = origin(value.text) if value.text else None
            where = _where(source, value.line or entry.line, path)
            sinks.append(Sink("metrics", endpoint, where, "" if value.text else _NO_URL))
        for channel, listing, field in fields:
            for i, config in enumerate(document.get(channel).get("configs").list()):
                for j, entry in enumerate(config.get(listing).list()):
                    value = entry.get(field)
                    path = f"{channel}.configs[{i}].{listing}[{j}].{field}"
                    endpoint = origin(value.text) if value.text else None
                    note = "" if value.text else f"no {field} (unresolved)"
                    where = _where(source, value.line or entry.line, path)
                    sinks.append(Sink(channel, endpoint, where, note))
        return sinks

    return parse_yaml("grafana-agent", source, text, read)


# --- Which parser reads a config ----------------------------------------------------------

_FLUENT_BIT_YAML: Final = re.compile(r"(?m)^pipeline:\s*(?:#.*)?$")
_ALLOY_COMPONENTS: Final = (
    r"(?:prometheus\.remote_write|loki\.write|pyroscope\.write|otelcol\.exporter\.[a-z_]+)"
)
# Grafana Agent static mode: a signal's section opening with one of its own keys.
_AGENT_STATIC: Final = (
    r"(?:metrics|logs|traces):[ \t]*\n[ \t]+(?:global|configs|wal_directory|positions_directory):"
)
# Content patterns, in the order they are tried (Python ``re``); each family has one
# alternative in SNIFF_PATTERN below.
_SNIFF: Final[Sequence[tuple[re.Pattern[str], Callable[[str, str], Parsed]]]] = (
    (re.compile(r"(?im)^\s*\[OUTPUT\]\s*$"), fluent_bit),
    (_FLUENT_BIT_YAML, fluent_bit),
    (re.compile(r"(?m)^exporters:\s*(?:#.*)?$"), otel_collector),
    (re.compile(r"(?m)^remote_write:\s*(?:#.*)?$"), prometheus),
    (re.compile(r"(?m)^\s*<match(?:\s[^>]*)?>"), fluentd),
    (re.compile(r"(?m)^(?:sinks:\s*(?:#.*)?$|\s*\[\s*sinks\s*\.)|\"sinks\"\s*:\s*\{"), vector),
    (re.compile(rf'(?m)^\s*{_ALLOY_COMPONENTS}\s+"[^"\n]*"\s*\{{'), alloy),
    (re.compile(rf"(?m)^{_AGENT_STATIC}"), grafana_agent),
)
# One pattern for all of them, to pick the candidate values of a ConfigMap page in bulk
# (RE2 syntax, as pyarrow.compute matches).
SNIFF_PATTERN: Final = (
    r"(?m)^(?:\s*\[(?i:OUTPUT)\]\s*|(?:pipeline|exporters|remote_write|sinks):\s*(?:#.*)?)$"
    r"|^\s*<match(?:\s[^>]*)?>"
    r"|^\s*\[\s*sinks\s*\.|\"sinks\"\s*:\s*\{"
    rf'|^\s*{_ALLOY_COMPONENTS}\s+"[^"\n]*"\s*\{{'
    rf"|^{_AGENT_STATIC}"
)
# ConfigMap keys whose name says which agent reads them: their values are parsed even when
# no content pattern matches (a config too broken to be recognised is still a finding).
_KEY_SNIFF: Final[Sequence[tuple[re.Pattern[str], Callable[[str, str], Parsed]]]] = (
    (re.compile(r"(?i)^(?:fluent|fluentd|td-agent)\.conf$"), fluentd),
    (re.compile(r"(?i)^vector\.(?:ya?ml|toml|json)$"), vector),
    (re.compile(r"(?i)^.+\.(?:alloy|river)$"), alloy),
)
SNIFF_KEYS: Final = (
    r"(?i)^(?:(?:fluent|fluentd|td-agent)\.conf|vector\.(?:ya?ml|toml|json)|.+\.(?:alloy|river))$"
)


def parse_config(text: str, source: str) -> Parsed | None:
    """The sinks of a telemetry config recognised by its content, or else by its name
    (``source``: the ConfigMap key, such as ``fluent.conf``); None if it is none."""
    for pattern, parse in _SNIFF:
        if pattern.search(text):
            return parse(text, source)
    for pattern, parse in _KEY_SNIFF:
        if pattern.match(source):
            return parse(text, source)
    return None


# --- Flow rows ----------------------------------------------------------------------------


def sink_flows(parsed: Iterable[tuple[Any, str, Parsed]]) -> pd.DataFrame:
    """Flow rows (``FLOW_COLUMNS``) for (asset id, object, parsed config) triples; the object
    (``ConfigMap logging/fluent-bit``) starts each evidence. A config that could not be read
    is one flow without a destination, its evidence the parse error; so is each file it
    includes and that was not followed (``Parsed.notes``)."""
    rows: list[tuple[Any, str, str | None, str, str]] = []
    for asset_id, obj, result in parsed:
        # What cannot be read is recorded on the channel its agent usually carries.
        channel = _FAMILY_CHANNEL.get(result.family, "logs")
        if result.error is not None:
            note = f"{result.family} config: parse error: {result.error} (unknown)"
            rows.append((asset_id, channel, None, f"{obj}", note))
        for sink in result.sinks:
            rows.append((asset_id, sink.channel, sink.endpoint, f"{obj} {sink.where}", sink.note))
        for note in result.notes:
            # A file the config pulls in and that was not read: its outputs are unseen, which
            # is a flow that cannot be placed, never a silent gap.
            rows.append((asset_id, channel, None, f"{obj} {note}", "its outputs are unseen"))
    frame = pd.DataFrame(rows, columns=["asset_id", "channel", "raw", "where", "note"])
    return _flow_frame(frame)


def _flow_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Flow rows from ``asset_id``, ``channel``, ``raw`` endpoint, ``where`` and ``note``:
    the evidence shows the stored endpoint (or the unresolved host), never the raw text."""
    if frame.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    parts = split_endpoints(frame["raw"])
    shown = parts["endpoint"].where(
        parts["endpoint"].notna(), parts["unresolved"] + " (unresolved)"
    )
    note = frame["note"].fillna("")
    detail = np.where(
        shown.notna(),
        shown.fillna("") + np.where(note.ne(""), " (" + note + ")", ""),
        note,
    )
    return pd.DataFrame(
        {
            "asset_id": frame["asset_id"].to_numpy(dtype=object),
            "channel": frame["channel"].to_numpy(dtype=object),
            "endpoint": parts["endpoint"].to_numpy(dtype=object),
            "host": parts["host"].to_numpy(dtype=object),
            "port": parts["port"].array,
            "evidence": (frame["where"] + ": " + detail).to_numpy(dtype=object),
        }
    )


# --- Vendor agents configured by environment ---------------------------------------------

# variable, channel, how its value becomes an endpoint ("{}" is the value).
_VENDOR_ENV: Final = pd.DataFrame(
    [
        ("DD_SITE", "logs", "https://api.{}"),
        ("DD_URL", "metrics", "{}"),
        ("DD_DD_URL", "metrics", "{}"),
        ("DD_LOGS_CONFIG_LOGS_DD_URL", "logs", "{}"),
        ("DD_APM_DD_URL", "traces", "{}"),
        ("NEW_RELIC_HOST", "traces", "https://{}"),
        ("ELASTIC_CLOUD_ID", "logs", "cloud_id"),
        ("ELASTIC_APM_SERVER_URL", "traces", "{}"),
        ("SENTRY_DSN", "logs", "{}"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "traces", "{}"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "traces", "{}"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "metrics", "{}"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "logs", "{}"),
    ],
    columns=["name", "channel", "template"],
)
# The variables :func:`vendor_env_flows` reads, for collectors to pick from workloads' env.
VENDOR_ENV_NAMES: Final = tuple(_VENDOR_ENV["name"])


def vendor_env_flows(env: pd.DataFrame) -> pd.DataFrame:
    """Flow rows for vendor agents' environment variables: ``env`` has ``asset_id``,
    ``object`` (``Pod ns/name container app``), ``name`` and ``value``. Only the endpoint is
    kept: a Sentry DSN's key (its userinfo) and any query are dropped with the rest of the
    value, which never reaches the evidence."""
    known = env.merge(_VENDOR_ENV, on="name", how="inner")
    if known.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    value = known["value"].astype(str).str.strip()
    prefix = known["template"].str.partition("{}")
    raw = (prefix[0] + value + prefix[2]).where(known["template"].ne("cloud_id"))
    cloud = known["template"].eq("cloud_id").to_numpy()
    note = pd.Series("", index=known.index, dtype=object)
    if cloud.any():
        # Few distinct ids: decode each once.
        codes, distinct = pd.factorize(value[cloud])
        decoded = np.array([elastic_cloud_endpoint(v) for v in distinct], dtype=object)[codes]
        raw[cloud] = decoded
        note[cloud] = np.where(pd.isna(decoded), _UNDECODABLE, "")
    frame = pd.DataFrame(
        {
            "asset_id": known["asset_id"],
            "channel": known["channel"],
            "raw": raw,
            "where": known["object"] + " env " + known["name"],
            "note": note,
        }
    )
    return _flow_frame(frame)
