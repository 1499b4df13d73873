"""The sample private cloud's control-plane configuration files, as Kolla renders them.

``nordlys`` runs Ceilometer, Nova and Cinder in fra1. Its meters go to a Prometheus
Pushgateway on the management network (inside); its events go to Datadog's US1 logs intake
(outside by location); cinder-backup writes to S3 in AWS Frankfurt (inside by location,
US-controlled); and nova.conf's OSProfiler target is a Jinja placeholder Kolla never
rendered (unknown). :data:`FLOWS` is what the ``openstack`` collector must read from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pandas as pd

from residency.endpoints import split_endpoints

__all__ = ["FILES", "FLOWS", "config_frames", "write_config_files"]

_PIPELINE: Final = """\
---
sources:
    - name: meter_source
      meters:
          - "*"
      sinks:
          - meter_sink
sinks:
    - name: meter_sink
      publishers:
          - prometheus://10.10.0.40:9091/metrics/job/ceilometer
"""

_EVENT_PIPELINE: Final = """\
---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://
          - https://http-intake.logs.datadoghq.com/api/v2/logs?dd-api-key=0123456789abcdef
"""

_NOVA: Final = """\
[DEFAULT]
debug = False
transport_url = rabbit://openstack:rabbit-pw-d41d8@10.10.0.11:5672,openstack:rabbit-pw-d41d8@10.10.0.12:5672//

[oslo_messaging_notifications]
driver = messagingv2
topics = notifications

[keystone_authtoken]
www_authenticate_uri = https://keystone.nordlys.example:5000
auth_url = https://keystone.nordlys.example:5000
auth_type = password
username = nova
password = nova-pw-8f14e

[profiler]
enabled = true
trace_sqlalchemy = false
connection_string = jaeger://{{ osprofiler_backend_host }}:6831
"""

_CINDER: Final = """\
[DEFAULT]
enabled_backends = rbd-1
backup_driver = cinder.backup.drivers.s3.S3BackupDriver
backup_s3_endpoint_url = https://s3.eu-central-1.amazonaws.com
backup_s3_store_bucket = nordlys-volume-backups
backup_s3_store_access_key = AKIAEXAMPLEEXAMPLE00
backup_s3_store_secret_key = s3-secret-c4ca4
"""

# source -> region -> path below the region's folder -> text
FILES: Final[dict[str, dict[str, dict[str, str]]]] = {
    "nordlys": {
        "fra1": {
            "ceilometer/pipeline.yaml": _PIPELINE,
            "ceilometer/event_pipeline.yaml": _EVENT_PIPELINE,
            "nova/nova.conf": _NOVA,
            "cinder/cinder.conf": _CINDER,
        }
    }
}

# (source, region, file, channel, endpoint as stored or None, evidence after the path)
FLOWS: Final = (
    ("nordlys", "fra1", "ceilometer/pipeline.yaml", "metrics", "prometheus://10.10.0.40:9091",
     ":11 sinks[meter_sink].publishers"),
    ("nordlys", "fra1", "ceilometer/event_pipeline.yaml", "logs",
     "https://http-intake.logs.datadoghq.com", ":12 sinks[event_sink].publishers"),
    ("nordlys", "fra1", "nova/nova.conf", "logs", "rabbit://10.10.0.11:5672",
     ":3 [DEFAULT] transport_url"),
    ("nordlys", "fra1", "nova/nova.conf", "logs", "rabbit://10.10.0.12:5672",
     ":3 [DEFAULT] transport_url"),
    ("nordlys", "fra1", "nova/nova.conf", "identity", "https://keystone.nordlys.example:5000",
     ":10 [keystone_authtoken] www_authenticate_uri"),
    ("nordlys", "fra1", "nova/nova.conf", "traces", None,
     ":19 [profiler] connection_string"),
    ("nordlys", "fra1", "cinder/cinder.conf", "backup", "https://s3.eu-central-1.amazonaws.com",
     ":4 [DEFAULT] backup_s3_endpoint_url"),
)  # fmt: skip


def asset_id(source: str, region: str | None, name: str) -> str:
    """How the collector names a configuration file's asset (see ``residency_openstack``)."""
    return f"config:{source}:{region or '-'}:{name}"


def write_config_files(folder: Path, source: str) -> list[dict[str, Any]]:
    """Write ``source``'s files under ``folder/<source>/<region>/`` and return the
    ``config_files`` entries of its ``type: openstack`` source (paths relative to
    ``folder``'s parent, where the demo's residency.yaml lives)."""
    entries: list[dict[str, Any]] = []
    for region, files in FILES.get(source, {}).items():
        for name, text in files.items():
            path = folder / source / region / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        entries.append({"path": f"{folder.name}/{source}/{region}/*/*", "region": region})
    return entries


def config_frames(source: str, provider: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``service_config`` assets and the flows of ``source``'s files, as the collector
    records them when pointed at the files :func:`write_config_files` writes."""
    names = [(region, name) for region, files in FILES.get(source, {}).items() for name in files]
    assets = pd.DataFrame(
        {
            "kind": "service_config",
            "asset_id": [asset_id(source, r, n) for r, n in names],
            "name": [n for _, n in names],
            "region": [r for r, _ in names],
            "zone": None,
            "scope": None,
            "provider": provider,
            "service": [n.split("/", 1)[0] for _, n in names],
        },
        dtype=object,
    )
    table = pd.DataFrame(
        [f for f in FLOWS if f[0] == source],
        columns=["source", "region", "file", "channel", "endpoint", "where"],
    )
    parts = split_endpoints(table["endpoint"])
    keys = zip(table["source"], table["region"], table["file"], strict=True)
    ids = [asset_id(s, r, n) for s, r, n in keys]
    flows = pd.DataFrame(
        {
            "asset_id": pd.Series(ids, dtype=object),
            "channel": table["channel"],
            "endpoint": parts["endpoint"],
            "host": parts["host"],
            "ip": None,
            "port": parts["port"].array,
            "evidence": "OpenStack config " + table["file"] + table["where"],
        }
    )
    return assets, flows
