"""Where an OpenStack control plane sends data, read from its services' configuration files.

The APIs do not say where Ceilometer publishes meters and events, which message bus carries
notifications, where OSProfiler ships traces, which Keystone validates tokens or where
cinder-backup writes: the services' own configuration does. An operator points a
``type: openstack`` source at those files (``config_files``: Kolla's ``/etc/kolla/*/``,
TripleO's ``puppet-generated`` tree, a copy taken for the audit) and each becomes a
``service_config`` asset placed in its region, with a flow per destination:

- Ceilometer ``pipeline.yaml`` / ``event_pipeline.yaml``: every sink's ``publishers``
  (meters are ``metrics``, events ``logs``). ``gnocchi://`` and ``zaqar://`` name no host:
  they publish to the ``metric`` / ``messaging`` service of the region's Keystone catalog,
  whose public URL becomes the endpoint. ``notifier://`` without a host uses the service's
  transport URL and ``file://`` stays on the host: neither leaves on its own.
- oslo.config INI files (``nova.conf``, ``cinder.conf``, ``ceilometer.conf``, …):
  ``[oslo_messaging_notifications] transport_url`` (falling back to ``[DEFAULT]``) when a
  messaging driver is enabled (``logs``: notifications describe customers' resources);
  ``[keystone_authtoken] www_authenticate_uri`` / ``auth_url`` (``identity``);
  ``[profiler] connection_string`` when enabled (``traces``); cinder-backup's Swift, S3 and
  Google Cloud Storage targets (``backup``).

Only scheme, host and port are kept: transport URLs carry user names and passwords, and
those never leave the parser. A file that cannot be read or parsed is one flow without a
destination whose evidence is the error (rule 3: ``unknown``, never silence).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from residency.telemetry import Parsed, Sink, YamlNode, origin, parse_yaml

__all__ = ["ceilometer_pipeline", "oslo_config", "parse_file"]

# Publishers that name no host, and the catalog service type they publish to.
CATALOG_PUBLISHERS: Final = {"gnocchi": "metric", "zaqar": "messaging"}
# Publishers whose data stays with the service (the host's disk, or the service's own bus).
_LOCAL_PUBLISHERS: Final = frozenset({"file", "notifier", "test"})
# Ceilometer's http publisher family all carry a host.
_HOSTED_SCHEMES: Final = frozenset(
    {"http", "https", "udp", "tcp", "prometheus", "kafka", "opentelemetryhttp", "notifier"}
)
_NOTIFYING_DRIVERS: Final = frozenset({"messaging", "messagingv2", "routing"})
_TRUE: Final = frozenset({"true", "1", "yes", "on"})


def _authority(url: str) -> str | None:
    """``scheme://host:port`` of one URL (no userinfo, path or query), or None when it names
    no scheme or no host."""
    endpoint = origin(url)
    scheme, _, rest = endpoint.partition("://")
    return endpoint if scheme and rest else None


def _transport_hosts(url: str) -> list[str]:
    """Every broker of an oslo.messaging transport URL
    (``rabbit://user:pass@h1:5672,user:pass@h2:5672/vhost``), as ``scheme://host:port``."""
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)", url)
    if match is None:
        return [url]
    scheme = match.group(1).lower()
    hosts = [h.rpartition("@")[2] for h in match.group(2).split(",")]
    return [f"{scheme}://{h}" for h in hosts if h]


# --- Ceilometer pipelines -----------------------------------------------------------------


def ceilometer_pipeline(
    text: str, source: str, catalog: Mapping[str, str | None] | None = None
) -> Parsed:
    """Sinks of a Ceilometer ``pipeline.yaml`` or ``event_pipeline.yaml``. ``catalog`` maps a
    service type (``metric``) to its public URL in the file's region."""
    documents = 0

    def read(document: YamlNode) -> list[Sink]:
        nonlocal documents
        documents += 1
        if documents > 1:
            raise ValueError("more than one YAML document (a pipeline is one)")
        sinks = document.get("sinks")
        if not isinstance(sinks.node, yaml.SequenceNode):
            raise ValueError(NOT_A_PIPELINE)
        events = any(s.get("events").node is not None for s in document.get("sources").list())
        channel = "logs" if events else "metrics"
        found = []
        for sink in sinks.list():
            field = f"sinks[{sink.get('name').text or '?'}].publishers"
            for publisher in sink.get("publishers").list():
                if _leaves(publisher.text or ""):
                    where = f"{source}:{publisher.line} {field}"
                    found.append(_publisher_sink(publisher, where, channel, catalog))
        return found

    parsed = parse_yaml("ceilometer pipeline", source, text, read)
    if parsed.error is None and documents == 0:
        return Parsed(parsed.family, (), f"{source}: {NOT_A_PIPELINE}")
    return parsed


NOT_A_PIPELINE: Final = "no `sinks:` list (not a Ceilometer pipeline)"


def _scheme(publisher: str) -> str:
    return publisher.partition("://")[0].lower() if "://" in publisher else ""


def _leaves(publisher: str) -> bool:
    """Whether a publisher sends data anywhere: ``notifier://`` and ``file://`` without a host
    stay with the service (its own bus, the host's disk)."""
    scheme = _scheme(publisher)
    return not (scheme in _LOCAL_PUBLISHERS and _hosted(publisher) is None)


def _hosted(publisher: str) -> str | None:
    """``scheme://host:port`` of a publisher whose scheme carries a host, else None."""
    return _authority(publisher) if _scheme(publisher) in _HOSTED_SCHEMES else None


def _publisher_sink(
    publisher: YamlNode, where: str, channel: str, catalog: Mapping[str, str | None] | None
) -> Sink:
    text = publisher.text or ""
    scheme = _scheme(text)
    if scheme in CATALOG_PUBLISHERS:
        service = CATALOG_PUBLISHERS[scheme]
        url = (catalog or {}).get(service)
        note = f"{scheme}:// publishes to the catalog's {service} service"
        if url is None:
            note += ", which the region's catalog does not list"
        return Sink(channel, _authority(url) if url else None, where, note)
    endpoint = _hosted(text)
    if endpoint is None:
        return Sink(channel, text.split("?")[0], where, "unknown publisher")
    return Sink(channel, endpoint, where, "")


# --- oslo.config INI files ----------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    value: str
    line: int


def _ini(text: str) -> dict[str, dict[str, _Option]]:
    """oslo.config's INI dialect: ``[section]``, ``key = value`` (the last one wins),
    ``#``/``;`` comments, and indented continuation lines; keys are case-sensitive."""
    sections: dict[str, dict[str, _Option]] = {}
    current: dict[str, _Option] | None = None
    last: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if line[0] in " \t" and current is not None and last is not None:
            previous = current[last]
            current[last] = _Option(f"{previous.value}\n{stripped}", previous.line)
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ValueError(f"line {number}: unclosed section header {stripped!r}")
            current = sections.setdefault(stripped[1:-1].strip(), {})
            last = None
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            key, sep, value = stripped.partition(":")
        if not sep:
            raise ValueError(f"line {number}: neither a section nor `key = value`: {stripped!r}")
        if current is None:
            raise ValueError(f"line {number}: option {key.strip()!r} before any [section]")
        last = key.strip()
        current[last] = _Option(value.strip(), number)
    return sections


def oslo_config(text: str, source: str) -> Parsed:
    """Destinations an oslo.config file declares (see the module's docstring)."""
    family = "oslo.config"
    try:
        ini = _ini(text)
    except ValueError as exc:
        return Parsed(family, (), f"{source}: {exc}")
    sinks: list[Sink] = []

    def get(section: str, key: str) -> _Option | None:
        option = ini.get(section, {}).get(key)
        return option if option is not None and option.value else None

    def add(channel: str, section: str, key: str, option: _Option, hosts: list[str]) -> None:
        where = f"{source}:{option.line} [{section}] {key}"
        sinks.extend(Sink(channel, host, where, "") for host in hosts)

    driver = ini.get("oslo_messaging_notifications", {}).get("driver")
    drivers = set(re.split(r"[\s,]+", driver.value)) if driver is not None else set()
    if drivers & _NOTIFYING_DRIVERS:
        for section in ("oslo_messaging_notifications", "DEFAULT"):
            option = get(section, "transport_url")
            if option is not None:
                add("logs", section, "transport_url", option, _transport_hosts(option.value))
                break
    for key in ("www_authenticate_uri", "auth_uri", "auth_url"):
        option = get("keystone_authtoken", key)
        if option is not None:
            add("identity", "keystone_authtoken", key, option, _hosts(option.value))
            break
    profiler = get("profiler", "enabled")
    connection = get("profiler", "connection_string")
    if profiler is not None and profiler.value.lower() in _TRUE and connection is not None:
        add("traces", "profiler", "connection_string", connection, _hosts(connection.value))
    sinks.extend(_backup_sinks(ini, source))
    return Parsed(family, tuple(sinks), None)


def _hosts(value: str) -> list[str]:
    endpoint = _authority(value)
    return [endpoint if endpoint is not None else value]


# cinder-backup's drivers and the option naming where each writes.
_BACKUP_TARGETS: Final = (
    ("swift", ("backup_swift_url", "backup_swift_auth_url")),
    ("s3", ("backup_s3_endpoint_url",)),
    ("gcs", ("backup_gcs_url",)),
)
_GCS_DEFAULT: Final = "https://storage.googleapis.com"


def _backup_sinks(ini: Mapping[str, Mapping[str, _Option]], source: str) -> list[Sink]:
    default = ini.get("DEFAULT", {})
    backup = ini.get("backup", {})
    driver = backup.get("backup_driver") or default.get("backup_driver")
    if driver is None:
        return []
    name = driver.value.rsplit(".", 2)[-2] if "." in driver.value else driver.value
    for kind, keys in _BACKUP_TARGETS:
        if kind != name:
            continue
        for key in keys:
            option = default.get(key) or backup.get(key)
            if option is not None and option.value:
                section = "DEFAULT" if key in default else "backup"
                where = f"{source}:{option.line} [{section}] {key}"
                return [Sink("backup", h, where, "") for h in _hosts(option.value)]
        if kind == "gcs":
            location = default.get("backup_gcs_bucket_location") or backup.get(
                "backup_gcs_bucket_location"
            )
            note = f"bucket location {location.value}" if location else "bucket location unset"
            where = f"{source}:{driver.line} backup_driver"
            return [Sink("backup", _GCS_DEFAULT, where, note)]
        where = f"{source}:{driver.line} backup_driver"
        return [Sink("backup", None, where, f"{kind} backup target not set")]
    return []


# --- Files --------------------------------------------------------------------------------


def parse_file(
    path: Path, shown: str, catalog: Mapping[str, str | None] | None = None
) -> tuple[str, Parsed]:
    """(service family, parsed destinations) of one file, chosen by its name: a
    ``*pipeline*.yaml`` is Ceilometer's, anything else oslo.config INI."""
    name = path.name.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return "unreadable", Parsed("config file", (), f"{shown}: cannot read: {reason}")
    if "pipeline" in name and name.endswith((".yaml", ".yml")):
        return "ceilometer", ceilometer_pipeline(text, shown, catalog)
    return path.stem, oslo_config(text, shown)
