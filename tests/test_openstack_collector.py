"""The openstack collector over real HTTP against the local endpoint serving the sample clouds."""

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
from residency.sample import generate_estate
from residency.sample.openstack_config import write_config_files
from residency.sample.osapi import Failure, OpenStackAPIServer
from residency_openstack import KINDS, OpenStackCollector, OpenStackOptions
from residency_sample import SampleCollector, SampleOptions

from .conftest import openstack_warning_filters

pytestmark = [
    *openstack_warning_filters(),
]

PASSWORD = "estate-admin-pw-5b1e"
COMPARED = ["kind", "asset_id", "name", "scope", "region", "zone", "host", "provider",
            "parent_id", "category", "attributes"]  # fmt: skip
FLOW_COMPARED = ["asset_id", "channel", "endpoint", "host", "ip", "port"]


def ctx() -> CollectContext:
    return CollectContext(sweep_id="test", observed_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def tables(batches: Iterator[tuple[str, pa.Table]]) -> dict[str, pd.DataFrame]:
    grouped: dict[str, list[pa.Table]] = {}
    for name, batch in batches:
        grouped.setdefault(name, []).append(batch)
    return {name: pa.concat_tables(parts).to_pandas() for name, parts in grouped.items()}


def collect_over_http(
    server: OpenStackAPIServer, tmp: Path, cloud: str, username: str | None = None, **options: Any
) -> dict[str, pd.DataFrame]:
    clouds = server.write_clouds_yaml(tmp / "clouds.yaml", cloud, username=username)
    provider = server.api.source.provider
    opts = OpenStackOptions(
        cloud=cloud, clouds_yaml=clouds, provider=provider, **{"retries": 0, **options}
    )
    return tables(OpenStackCollector(cloud, opts).collect(ctx()))


def collect_directly(seed: int, scale: float, member: str) -> dict[str, pd.DataFrame]:
    options = SampleOptions(seed=seed, scale=scale, members=[member])
    return tables(SampleCollector("sample", options).collect(ctx()))


def canonical(assets: pd.DataFrame) -> pd.DataFrame:
    frame = assets[COMPARED].astype(object)
    frame["attributes"] = frame["attributes"].map(
        lambda a: tuple(sorted(a)) if isinstance(a, list) else ()
    )
    frame = frame.where(frame.notna(), None)
    return frame.sort_values(["kind", "asset_id"]).reset_index(drop=True)


def canonical_flows(flows: pd.DataFrame) -> pd.DataFrame:
    frame = flows[FLOW_COMPARED].astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.sort_values(["asset_id", "channel", "endpoint"]).reset_index(drop=True)


def statuses(coverage: pd.DataFrame) -> pd.Series:
    return coverage.set_index(["region", "kind"])["status"].astype(str).sort_index()


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    scale=st.sampled_from([0.05, 0.3, 1.0]),
    member=st.sampled_from(["nordlys", "ovh-public"]),
)
def test_tables_over_http_equal_the_generated_ones(
    tmp_path_factory: pytest.TempPathFactory, seed: int, scale: float, member: str
) -> None:
    estate = generate_estate(seed, scale)
    tmp = tmp_path_factory.mktemp("os")
    # The control plane's configuration files, where the cloud has them (nordlys).
    config = [
        {**entry, "path": str(tmp / entry["path"])}
        for entry in write_config_files(tmp / "openstack-config", member)
    ]
    with OpenStackAPIServer.for_source(estate.source(member), password=PASSWORD) as server:
        over_http = collect_over_http(server, tmp, member, page_size=23, config_files=config)
    direct = collect_directly(seed, scale, member)
    pd.testing.assert_frame_equal(canonical(over_http["assets"]), canonical(direct["assets"]))
    pd.testing.assert_frame_equal(
        canonical_flows(over_http["flows"]), canonical_flows(direct["flows"])
    )
    http_cov, direct_cov = statuses(over_http["coverage"]), statuses(direct["coverage"])
    common = http_cov.index.intersection(direct_cov.index)
    pd.testing.assert_series_equal(http_cov[common], direct_cov[common])
    # HTTP also lists kinds the sample has no rows of; those are fully seen or absent.
    assert set(http_cov.drop(common)) <= {"ok", "not_found"}
    assert len(common) >= 0.9 * len(direct_cov)


@pytest.fixture(scope="module")
def nordlys_server() -> Iterator[OpenStackAPIServer]:
    estate = generate_estate(7, 1.0)
    with OpenStackAPIServer.for_source(
        estate.source("nordlys"), password=PASSWORD, reader=("auditor", "auditor-pw-91c2")
    ) as server:
        yield server


def test_every_kind_is_covered_in_every_region(
    nordlys_server: OpenStackAPIServer, tmp_path: Path
) -> None:
    collected = collect_over_http(nordlys_server, tmp_path, "nordlys")
    coverage = statuses(collected["coverage"])
    regions = ["ams1", "fra1", "lab"]
    regional = [
        k for k in KINDS if k not in ("project", "domain", "identity_provider", "service_provider")
    ]
    for region in regions:
        for kind in regional:
            assert (region, kind) in coverage.index, (region, kind)
    assert coverage["fra1", "secret_container"] == "forbidden"
    assert coverage["ams1", "secret_container"] == "ok"
    assert coverage["lab", "load_balancer"] == "not_found"
    assert coverage["fra1", "project"] == "ok"
    assert ("ams1", "project") not in coverage.index  # Keystone's kinds: once per cloud
    # Lineage the API gives: volumes on servers, ports bound to servers' hosts.
    assets = collected["assets"]
    servers = assets[assets["kind"].eq("server")].set_index("asset_id")
    ports = assets[assets["kind"].eq("port")]
    assert ports["parent_id"].isin(servers.index).all()
    assert (ports["host"].to_numpy() == servers.loc[ports["parent_id"], "host"].to_numpy()).all()
    assert servers["host"].notna().all() and servers["zone"].notna().all()


def test_a_reader_sees_no_hosts_and_they_are_not_guessed(
    nordlys_server: OpenStackAPIServer, tmp_path: Path
) -> None:
    collected = collect_over_http(nordlys_server, tmp_path, "nordlys-reader", username="auditor")
    assets = collected["assets"]
    servers = assets[assets["kind"].eq("server")]
    assert len(servers) > 0
    assert servers["host"].isna().all()
    assert servers["zone"].notna().all()  # the AZ is not admin-only
    reader_project = str(nordlys_server.api.source.frames["project"]["asset_id"].iloc[0])
    assert set(servers["scope"]) == {reader_project}
    # Nova refused every project's servers: what was listed is the token's project, and the
    # rest stays unseen — a coverage gap, not a complete list.
    coverage = collected["coverage"].set_index(["region", "kind"])
    assert coverage.loc[("fra1", "server"), "status"] == "forbidden"
    assert "listed the token's project only" in coverage.loc[("fra1", "server"), "error"]
    zones = assets[assets["kind"].eq("availability_zone") & assets["attributes"].map(
        lambda a: ("service", "compute") in (a or []))]  # fmt: skip
    assert len(zones) > 0
    assert all(dict(a).get("hosts") is None for a in zones["attributes"])


def test_failing_lists_are_retried_then_recorded_as_errors(tmp_path: Path) -> None:
    estate = generate_estate(3, 0.1)
    source = estate.source("nordlys")
    flaky = {("fra1", "volume"): Failure(503, times=2), ("ams1", "server"): Failure(500)}
    with OpenStackAPIServer.for_source(source, password=PASSWORD, fail=flaky) as server:
        collected = collect_over_http(server, tmp_path, "nordlys", retries=2)
    coverage = statuses(collected["coverage"])
    assert coverage["fra1", "volume"] == "ok"  # two 503s, then the list
    assert coverage["ams1", "server"] == "error"
    cov = collected["coverage"].set_index(["region", "kind"])
    assert "500" in str(cov.loc[("ams1", "server"), "error"])
    assert "(after 3 attempts)" in str(cov.loc[("ams1", "server"), "error"])
    assets = collected["assets"]
    fra1_volumes = assets[assets["kind"].eq("volume") & assets["region"].eq("fra1")]
    volumes = source.frames["volume"]
    assert len(fra1_volumes) == int(volumes["region"].eq("fra1").sum())
    assert not (assets["kind"].eq("server") & assets["region"].eq("ams1")).any()


def test_the_server_caps_the_page_size_and_every_row_still_arrives(tmp_path: Path) -> None:
    estate = generate_estate(11, 0.5)
    source = estate.source("ovh-public")
    with OpenStackAPIServer.for_source(source, password=PASSWORD, page_size=4) as server:
        collected = collect_over_http(server, tmp_path, "ovh-public", page_size=1000)
        listed = [path for method, path, status in server.requests if "/servers/detail" in path]
    servers = collected["assets"].query("kind == 'server'")
    assert len(servers) == len(source.frames["server"]) == servers["asset_id"].nunique()
    assert len(listed) >= len(source.frames["server"]) // 4


def test_an_unknown_cloud_name_is_a_user_error(
    nordlys_server: OpenStackAPIServer, tmp_path: Path
) -> None:
    from residency.errors import ConfigError

    clouds = nordlys_server.write_clouds_yaml(tmp_path / "clouds.yaml", "nordlys")
    options = OpenStackOptions(cloud="nordlsy", clouds_yaml=clouds)
    with pytest.raises(ConfigError, match="nordlsy"):
        list(OpenStackCollector("x", options).collect(ctx()))


def test_sweep_with_a_cloud_missing_from_clouds_yaml_is_one_line_and_writes_nothing(
    nordlys_server: OpenStackAPIServer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    import yaml

    nordlys_server.write_clouds_yaml(tmp_path / "clouds.yaml", "nordlys")
    config = {
        "area": "eu",
        "store": "store",
        "sources": [
            {
                "name": "private",
                "type": "openstack",
                "cloud": "nordlys",
                "clouds_yaml": "clouds.yaml",
            },
            {"name": "typo", "type": "openstack", "cloud": "nordlsy", "clouds_yaml": "clouds.yaml"},
        ],
    }
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("residency")), "sweep", "-c", "residency.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nordlsy" in lines[0] and "Traceback" not in run.stderr
    assert not list((tmp_path / "store").glob("sweep_id=*/manifest.json"))


def test_the_cloud_defaults_to_os_cloud(
    nordlys_server: OpenStackAPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clouds = nordlys_server.write_clouds_yaml(tmp_path / "clouds.yaml", "nordlys")
    monkeypatch.setenv("OS_CLOUD", "nordlys")
    options = OpenStackOptions(clouds_yaml=clouds, regions=["ams1"], retries=0)
    collected = tables(OpenStackCollector("nordlys", options).collect(ctx()))
    assert set(collected["assets"]["region"]) == {"ams1"}
    monkeypatch.delenv("OS_CLOUD")
    from residency.errors import ConfigError

    with pytest.raises(ConfigError, match="OS_CLOUD"):
        list(OpenStackCollector("nordlys", OpenStackOptions(clouds_yaml=clouds)).collect(ctx()))
