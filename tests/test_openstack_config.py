"""Control-plane configuration files of an OpenStack cloud: Ceilometer pipelines and
oslo.config INI files, parsed on their own and collected with a cloud over HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from residency.errors import ConfigError
from residency.sample import generate_estate
from residency.sample.openstack_config import FILES, config_frames, write_config_files
from residency.sample.osapi import OpenStackAPIServer
from residency.telemetry import sink_flows
from residency_openstack import OpenStackCollector, OpenStackOptions
from residency_openstack.config_files import ceilometer_pipeline, oslo_config, parse_file

from .conftest import openstack_warning_filters
from .test_openstack_collector import ctx, tables

pytestmark = [
    *openstack_warning_filters(),
]

PASSWORD = "config-test-pw-3e9a"

# Ceilometer's default pipeline, as shipped in ceilometer/pipeline/data/pipeline.yaml
# (https://opendev.org/openstack/ceilometer/src/branch/master/ceilometer/pipeline/data/pipeline.yaml)
DEFAULT_PIPELINE = """\
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
          - gnocchi://
"""

# Publishers from the Ceilometer admin guide, "Telemetry data pipelines" / "Publishers"
# (https://docs.openstack.org/ceilometer/latest/admin/telemetry-data-pipelines.html).
PUBLISHERS = """\
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - gnocchi://?archive_policy=low&filter_project=gnocchi
          - udp://10.0.0.2:1234
          - notifier://?policy=drop
          - file:///var/log/ceilometer/events.log?max_bytes=10000000&backup_count=5
          - kafka://kafka.eu-west-1.example.net:9092?topic=ceilometer
          - https://ops:hunter2@collector.example.com:8443/events?token=abc123
          - zaqar://?queue=alarms
          - rsyslog://10.0.0.9
"""


def flows_of(parsed: Any) -> pd.DataFrame:
    return sink_flows([("a", "OpenStack config", parsed)])


def test_the_default_pipeline_publishes_to_the_catalogs_gnocchi() -> None:
    parsed = ceilometer_pipeline(
        DEFAULT_PIPELINE, "pipeline.yaml", {"metric": "https://gnocchi.fra1.example:8041/v1"}
    )
    assert parsed.error is None
    flows = flows_of(parsed)
    assert flows[["channel", "endpoint"]].values.tolist() == [
        ["metrics", "https://gnocchi.fra1.example:8041"]
    ]
    assert flows["evidence"][0].startswith("OpenStack config pipeline.yaml:11 sinks[meter_sink]")
    # Without a metric service in the region's catalog, the destination is unknown.
    missing = flows_of(ceilometer_pipeline(DEFAULT_PIPELINE, "pipeline.yaml", {}))
    assert missing["endpoint"].isna().all()
    assert "catalog does not list" in missing["evidence"][0]


def test_publishers_keep_only_scheme_host_and_port_and_events_are_logs() -> None:
    flows = flows_of(ceilometer_pipeline(PUBLISHERS, "event_pipeline.yaml", {}))
    lines = flows["evidence"].str.extract(r":(\d+) ")[0].astype(int)
    endpoints = flows["endpoint"].astype(object)
    by_line = {k: (None if pd.isna(v) else v) for k, v in zip(lines, endpoints, strict=True)}
    assert by_line == {
        10: None,  # gnocchi: no metric service given
        11: "udp://10.0.0.2:1234",
        14: "kafka://kafka.eu-west-1.example.net:9092",
        15: "https://collector.example.com:8443",
        16: None,  # zaqar: no messaging service given
        17: "rsyslog://10.0.0.9",
    }
    assert set(flows["channel"]) == {"logs"}
    text = " ".join(flows["evidence"])
    assert "hunter2" not in text and "abc123" not in text and "ops@" not in text
    # rsyslog:// is not a publisher Ceilometer knows: its host is still where data would go,
    # but the evidence says so.
    assert "unknown publisher" in text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("sinks:\n  - name: x\n    publishers: [gnocchi://\n", "invalid YAML: line"),
        ("sources: []\n", "no `sinks:` list"),
    ],
)
def test_a_pipeline_that_cannot_be_read_is_an_unknown_flow(text: str, error: str) -> None:
    parsed = ceilometer_pipeline(text, "pipeline.yaml")
    assert parsed.error is not None and error in parsed.error
    flows = flows_of(parsed)
    assert len(flows) == 1 and flows["endpoint"].isna().all()
    assert "parse error" in flows["evidence"][0]


# Excerpts of a Kolla-rendered nova.conf (options per the Nova configuration reference,
# https://docs.openstack.org/nova/latest/configuration/config.html).
NOVA = """\
[DEFAULT]
transport_url = rabbit://openstack:pw1@ctl1:5672,openstack:pw2@ctl2:5672,openstack:pw3@ctl3:5672//

[oslo_messaging_notifications]
driver = messagingv2
transport_url = kafka://notify:pw4@kafka.example.org:9092/

[keystone_authtoken]
auth_url = http://10.0.0.10:5000
www_authenticate_uri = https://keystone.example.org:5000
password = keystone-pw

[profiler]
enabled = True
connection_string = otlp://
"""


def test_oslo_config_notifications_identity_and_profiler() -> None:
    flows = flows_of(oslo_config(NOVA, "nova.conf"))
    rows = flows[["channel", "endpoint"]].values.tolist()
    # The notifications bus is its own section's, not [DEFAULT]'s RPC bus.
    assert ["logs", "kafka://kafka.example.org:9092"] in rows
    assert not any("ctl1" in str(e) for _, e in rows)
    assert ["identity", "https://keystone.example.org:5000"] in rows  # the first of the keys
    # A connection string with no host names no destination: unknown, never a host.
    traces = flows[flows["channel"].eq("traces")]
    assert len(traces) == 1 and traces["endpoint"].isna().all()
    text = " ".join(flows["evidence"])
    for secret in ("pw1", "pw4", "keystone-pw", "notify:"):
        assert secret not in text


def test_oslo_config_falls_back_to_the_default_transport_and_respects_disabled_parts() -> None:
    text = NOVA.replace("transport_url = kafka://notify:pw4@kafka.example.org:9092/\n", "")
    flows = flows_of(oslo_config(text, "nova.conf"))
    logs = flows[flows["channel"].eq("logs")]
    assert logs["endpoint"].tolist() == [
        "rabbit://ctl1:5672",
        "rabbit://ctl2:5672",
        "rabbit://ctl3:5672",
    ]
    assert logs["evidence"].str.contains(r"nova.conf:2 \[DEFAULT\] transport_url").all()
    # No messaging driver: notifications are not sent; the profiler is off.
    quiet = text.replace("driver = messagingv2", "driver = noop").replace(
        "enabled = True", "enabled = False"
    )
    channels = set(flows_of(oslo_config(quiet, "nova.conf"))["channel"])
    assert channels == {"identity"}


@pytest.mark.parametrize(
    ("options", "endpoint", "note"),
    [
        (
            "backup_driver = cinder.backup.drivers.swift.SwiftBackupDriver\n"
            "backup_swift_url = https://swift.backup.example.ch:8080/v1/AUTH_\n",
            "https://swift.backup.example.ch:8080",
            "",
        ),
        (
            "backup_driver = cinder.backup.drivers.s3.S3BackupDriver\n"
            "backup_s3_endpoint_url = https://s3.eu-central-1.amazonaws.com\n",
            "https://s3.eu-central-1.amazonaws.com",
            "",
        ),
        (
            "backup_driver = cinder.backup.drivers.gcs.GoogleBackupDriver\n"
            "backup_gcs_bucket_location = US\n",
            "https://storage.googleapis.com",
            "bucket location US",
        ),
        ("backup_driver = cinder.backup.drivers.s3.S3BackupDriver\n", None, "not set"),
        ("backup_driver = cinder.backup.drivers.ceph.CephBackupDriver\n", "none", ""),
    ],
)
def test_cinder_backup_targets(options: str, endpoint: str | None, note: str) -> None:
    flows = flows_of(oslo_config("[DEFAULT]\n" + options, "cinder.conf"))
    if endpoint == "none":  # Ceph: the cluster's own storage, not a flow out of it
        assert flows.empty
        return
    assert flows["channel"].tolist() == ["backup"]
    assert flows["endpoint"][0] == endpoint
    assert note in flows["evidence"][0]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("transport_url = rabbit://x\n", "line 1: option 'transport_url' before any [section]"),
        ("[DEFAULT\nx = 1\n", "line 1: unclosed section header"),
        ("[DEFAULT]\njust words\n", "line 2: neither a section nor `key = value`"),
    ],
)
def test_a_malformed_ini_file_is_an_unknown_flow(text: str, error: str) -> None:
    parsed = oslo_config(text, "nova.conf")
    assert parsed.error == f"nova.conf: {error}" or (parsed.error and error in parsed.error)
    assert flows_of(parsed)["endpoint"].isna().all()


def test_a_file_that_is_not_text_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "nova.conf"
    path.write_bytes(b"\xff\xfe[DEFAULT]\x00")
    service, parsed = parse_file(path, str(path))
    assert service == "unreadable" and parsed.error and "cannot read" in parsed.error


# --- collected with a cloud, over HTTP ----------------------------------------------------


@pytest.fixture(scope="module")
def nordlys() -> Iterator[OpenStackAPIServer]:
    with OpenStackAPIServer.for_source(
        generate_estate(7, 0.05).source("nordlys"), password=PASSWORD
    ) as server:
        yield server


def collect(server: OpenStackAPIServer, tmp: Path, config: list[dict[str, Any]]) -> Any:
    clouds = server.write_clouds_yaml(tmp / "clouds.yaml", "nordlys")
    options = OpenStackOptions(
        cloud="nordlys", clouds_yaml=clouds, regions=["fra1"], retries=0, config_files=config
    )
    return tables(OpenStackCollector("nordlys", options).collect(ctx()))


def test_the_collector_reads_the_files_in_their_region(
    nordlys: OpenStackAPIServer, tmp_path: Path
) -> None:
    entries = write_config_files(tmp_path / "cfg", "nordlys")
    config = [{**e, "path": str(tmp_path / e["path"])} for e in entries]
    collected = collect(nordlys, tmp_path, config)
    assets = collected["assets"].query("kind == 'service_config'")
    expected_assets, expected_flows = config_frames("nordlys", None)
    assert sorted(assets["asset_id"]) == sorted(expected_assets["asset_id"])
    assert set(assets["region"]) == {"fra1"}
    assert set(assets["category"]) == {"control_plane"}
    flows = collected["flows"]
    flows = flows[flows["asset_id"].str.startswith("config:")]
    got = flows.set_index(["asset_id", "channel", "endpoint"]).sort_index()
    want = expected_flows.set_index(["asset_id", "channel", "endpoint"]).sort_index()
    assert got.index.equals(want.index)
    # The evidence names the file as configured and the line, as the sample declares.
    folder = str(tmp_path / "cfg" / "nordlys" / "fra1") + "/"
    shown = got["evidence"].str.replace(folder, "", regex=False)
    assert all(g.startswith(w + ": ") for g, w in zip(shown, want["evidence"], strict=True))
    coverage = collected["coverage"].set_index("kind")
    assert coverage.loc["service_config", "status"] == "ok"
    assert coverage.loc["service_config", "rows"] == len(FILES["nordlys"]["fra1"])
    # Passwords, keys and tokens in the files never reach a table.
    stored = pd.concat([flows["evidence"], flows["endpoint"].astype(str)]).str.cat(sep=" ")
    for secret in ("rabbit-pw", "nova-pw", "s3-secret", "AKIAEXAMPLE", "dd-api-key"):
        assert secret not in stored


def test_gnocchi_resolves_through_the_region_catalog(
    nordlys: OpenStackAPIServer, tmp_path: Path
) -> None:
    """The sample cloud's catalog has no ``metric`` service: gnocchi:// cannot be placed, and
    the evidence says why; ``image`` is there, and a zaqar-like lookup of it would not be."""
    (tmp_path / "pipeline.yaml").write_text(DEFAULT_PIPELINE, encoding="utf-8")
    collected = collect(nordlys, tmp_path, [{"path": str(tmp_path / "pipeline.yaml")}])
    flows = collected["flows"][collected["flows"]["asset_id"].str.startswith("config:")]
    assert len(flows) == 1 and flows["endpoint"].isna().all()
    assert "the region's catalog does not list" in flows["evidence"].iloc[0]
    # One region was swept, so the file's region is that region.
    assets = collected["assets"].query("kind == 'service_config'")
    assert assets["region"].tolist() == ["fra1"]
    assert assets["asset_id"].tolist() == ["config:nordlys:fra1:pipeline.yaml"]


def test_unreadable_files_make_coverage_an_error(
    nordlys: OpenStackAPIServer, tmp_path: Path
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "nova.conf").write_bytes(b"\xff\xfe\x00")
    collected = collect(nordlys, tmp_path, [{"path": str(tmp_path / "etc" / "*.conf")}])
    coverage = collected["coverage"].set_index("kind")
    assert coverage.loc["service_config", "status"] == "error"
    assert "cannot read" in coverage.loc["service_config", "error"]
    flows = collected["flows"][collected["flows"]["asset_id"].str.startswith("config:")]
    assert flows["endpoint"].isna().all() and len(flows) == 1


def test_a_pattern_matching_nothing_is_a_user_error(tmp_path: Path) -> None:
    options = OpenStackOptions(
        cloud="nordlys",
        clouds_yaml=tmp_path / "clouds.yaml",
        config_files=[{"path": str(tmp_path / "nowhere" / "*.conf")}],
    )
    with pytest.raises(ConfigError, match=r"config_files\[0\]: no file matches"):
        list(OpenStackCollector("nordlys", options).collect(ctx()))


def test_sweep_reads_config_files_relative_to_residency_yaml(
    nordlys: OpenStackAPIServer, tmp_path: Path
) -> None:
    """As a user runs it: relative globs, and a typo that matches nothing is one line."""
    nordlys.write_clouds_yaml(tmp_path / "clouds.yaml", "nordlys")
    entries = write_config_files(tmp_path / "openstack-config", "nordlys")
    source = {
        "name": "nordlys",
        "type": "openstack",
        "cloud": "nordlys",
        "clouds_yaml": "clouds.yaml",
        "regions": ["fra1"],
        "config_files": entries,
    }
    config = {"area": "eu", "store": "store", "sources": [source]}
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    residency = str(Path(sys.executable).with_name("residency"))
    run = subprocess.run(
        [residency, "sweep", "-c", "residency.yaml"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    flows = pd.read_parquet(next((tmp_path / "store").glob("sweep_id=*/flows.parquet")))
    backup = flows[flows["endpoint"].eq("https://s3.eu-central-1.amazonaws.com")]
    assert backup[["dest_country", "operator_jurisdiction"]].values.tolist() == [["DE", "US"]]
    # A glob that matches nothing: one line, exit 2, no sweep written.
    source["config_files"] = [{"path": "openstack-config/nordlys/fra2/*/*", "region": "fra2"}]
    config["store"] = "store2"
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.run(
        [residency, "sweep", "-c", "residency.yaml"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "config_files[0]: no file matches" in lines[0]
    assert "Traceback" not in run.stderr
    assert not list((tmp_path / "store2").glob("sweep_id=*/manifest.json"))
