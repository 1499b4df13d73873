"""Where telemetry agents send data: the sinks their configuration declares.

Parsers for OpenTelemetry Collector configs, Fluent Bit outputs (classic ``[OUTPUT]``
sections and YAML ``pipeline.outputs``), Prometheus ``remote_write`` (``prometheus.yml`` and
the ``Prometheus`` custom resource) and vendor agents configured by environment variables.

A parser takes the configuration text and returns a :class:`Parsed`: the sinks it declares
(channel, the endpoint as written, and where it was written: ``key:line field``) or, for a
configuration it cannot read, the parse error. It never raises on bad input. Only endpoints
are read: API keys, passwords, tokens and URL paths (which some services use for tokens)
never leave the parser. :func:`sink_flows` turns parsed configs into flow rows in one pass,
splitting endpoints with :func:`residency.endpoints.split_endpoints`, so a template
placeholder (``${AWS_DEFAULT_REGION}``) is unresolved, never a host.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

from residency.endpoints import split_endpoints
from residency.yamlio import YamlLoader

__all__ = [
    "FLOW_COLUMNS",
    "SNIFF_PATTERN",
    "VENDOR_ENV_NAMES",
    "Parsed",
    "Sink",
    "elastic_cloud_endpoint",
    "fluent_bit",
    "otel_collector",
    "otel_exporters",
    "parse_config",
    "prometheus",
    "prometheus_resource",
    "sink_flows",
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


# The channel recorded for a config that cannot be read: what its agent usually carries,
# and logs (customer, users and technical data) where it may carry anything.
_FAMILY_CHANNEL: Final = {"otel-collector": "logs", "fluent-bit": "logs", "prometheus": "metrics"}


# --- YAML with line numbers -----------------------------------------------------------


class _Node:
    """A YAML node with helpers; the line is 1-based within the parsed text."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.node = node

    @property
    def line(self) -> int:
        return 0 if self.node is None else self.node.start_mark.line + 1

    def get(self, key: str, *, fold: bool = False) -> _Node:
        if isinstance(self.node, yaml.MappingNode):
            for k, v in self.node.value:
                name = str(k.value)
                if name == key or (fold and name.lower() == key):
                    return _Node(v)
        return _Node(None)

    def items(self) -> list[tuple[str, _Node]]:
        if not isinstance(self.node, yaml.MappingNode):
            return []
        return [(str(k.value), _Node(v)) for k, v in self.node.value]

    def list(self) -> list[_Node]:
        if isinstance(self.node, yaml.SequenceNode):
            return [_Node(v) for v in self.node.value]
        return [] if self.text is None else [self]

    @property
    def text(self) -> str | None:
        if not isinstance(self.node, yaml.ScalarNode) or self.node.tag.endswith(":null"):
            return None
        return str(self.node.value).strip() or None

    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)


def _compose(text: str) -> list[_Node]:
    """Every document of ``text``; raises :class:`yaml.YAMLError`."""
    loader = YamlLoader(text)
    try:
        documents = []
        while loader.check_node():
            documents.append(_Node(loader.get_node()))
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


def _parse_yaml(family: str, source: str, text: str, read: Callable[[_Node], list[Sink]]) -> Parsed:
    """Apply ``read`` to every document of ``text``; a syntax error is the result's error."""
    try:
        documents = _compose(text)
    except yaml.YAMLError as exc:
        return Parsed(family, error=f"{source}: invalid YAML: {_yaml_error(exc)}")
    sinks = [sink for document in documents for sink in read(document)]
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
    exporter: str, config: _Node, channel: str, source: str, path: str
) -> list[Sink]:
    """The endpoints of one exporter (``otlphttp/backend``) carrying ``channel``; ``path`` is
    where its config sits (``exporters.otlphttp/backend``), for the evidence."""
    kind = _exporter_type(exporter)
    if kind in _OTEL_LOCAL:
        return []
    channel = _OTEL_SIGNAL.get(kind, channel)

    def sink(node: _Node, field: str, endpoint: str | None, note: str = "") -> Sink:
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


def _otel_document(document: _Node, source: str) -> list[Sink]:
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
    return _parse_yaml("otel-collector", source, text, lambda d: _otel_document(d, source))


def otel_exporters(
    text: str, source: str = "config", exporter: str | None = None, channel: str = "logs"
) -> Parsed:
    """Component-level exporter configs (top-level keys are exporter ids, as in the
    exporters' testdata), or one exporter's body when ``exporter`` names its type. With no
    pipeline the signal is unknown: ``channel`` (logs, the widest data classes) is used
    unless the exporter carries one signal only; an OTLP exporter's per-signal endpoints
    (``traces_endpoint``…) carry their signal."""

    def read(document: _Node) -> list[Sink]:
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

    return _parse_yaml("otel-collector", source, text, read)


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


def _yaml_outputs(document: _Node, source: str) -> list[_Output]:
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

    def read(document: _Node) -> list[Sink]:
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

    return _parse_yaml("prometheus", source, text, read)


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


# --- Which parser reads a config ----------------------------------------------------------

_FLUENT_BIT_YAML: Final = re.compile(r"(?m)^pipeline:\s*(?:#.*)?$")
_SNIFF: Final[Sequence[tuple[re.Pattern[str], Callable[[str, str], Parsed]]]] = (
    (re.compile(r"(?im)^\s*\[OUTPUT\]\s*$"), fluent_bit),
    (_FLUENT_BIT_YAML, fluent_bit),
    (re.compile(r"(?m)^exporters:\s*(?:#.*)?$"), otel_collector),
    (re.compile(r"(?m)^remote_write:\s*(?:#.*)?$"), prometheus),
)
# One pattern for all of them, to pick the candidate values of a ConfigMap page in bulk
# (RE2 syntax, as pyarrow.compute matches).
SNIFF_PATTERN: Final = (
    r"(?m)^(?:\s*\[(?i:OUTPUT)\]\s*|(?:pipeline|exporters|remote_write):\s*(?:#.*)?)$"
)


def parse_config(text: str, source: str) -> Parsed | None:
    """The sinks of a telemetry config recognised by its content, or None if it is none."""
    for pattern, parse in _SNIFF:
        if pattern.search(text):
            return parse(text, source)
    return None


# --- Flow rows ----------------------------------------------------------------------------


def sink_flows(parsed: Iterable[tuple[Any, str, Parsed]]) -> pd.DataFrame:
    """Flow rows (``FLOW_COLUMNS``) for (asset id, object, parsed config) triples; the object
    (``ConfigMap logging/fluent-bit``) starts each evidence. A config that could not be read
    is one flow without a destination, its evidence the parse error."""
    rows: list[tuple[Any, str, str | None, str, str]] = []
    for asset_id, obj, result in parsed:
        if result.error is not None:
            channel = _FAMILY_CHANNEL[result.family]
            note = f"{result.family} config: parse error: {result.error} (unknown)"
            rows.append((asset_id, channel, None, f"{obj}", note))
        for sink in result.sinks:
            rows.append((asset_id, sink.channel, sink.endpoint, f"{obj} {sink.where}", sink.note))
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
