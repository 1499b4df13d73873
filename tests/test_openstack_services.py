"""Real Keystone, Glance, Cinder and Neutron on 127.0.0.1, seeded from the sample estate.

openstacksdk (from the project's environment) lists them over HTTP, as a collector would.
The services run from their own virtualenv (``RESIDENCY_OPENSTACK_VENV``, by default
``.venv-openstack`` at the project root), made by
``python tests/openstack_services.py --venv .venv-openstack install``; without it these
tests are skipped, unless ``RESIDENCY_REQUIRE_OPENSTACK`` is set.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from residency.sample import Estate

from .openstack_services import (
    DEFAULT_VENV,
    OpenStackServices,
    Seeded,
    add_user,
    seed,
    services_venv_ready,
)

openstack = pytest.importorskip("openstack")
from openstack import exceptions as os_exc  # noqa: E402

from .conftest import openstack_warning_filters  # noqa: E402

VENV = Path(os.environ.get("RESIDENCY_OPENSTACK_VENV") or DEFAULT_VENV)
PER_KIND = 20  # estate rows per kind and region: 20 volumes, all the rest, in fra1 and ams1
REGIONS = ("fra1", "ams1")
CLOUD = "residency-local"
PROJECT = "web-shop"  # where the reader and the member have their only role

pytestmark = [
    pytest.mark.slow,
    *openstack_warning_filters(),
]


@dataclass
class Cloud:
    services: OpenStackServices
    seeded: Seeded
    clouds_yaml: Path
    passwords: dict[str, str]

    def connect(self, region: str = "fra1", cloud: str = CLOUD) -> Any:
        """A connection made the way a user makes one: from a clouds.yaml entry."""
        config = openstack.config.OpenStackConfig(
            config_files=[str(self.clouds_yaml)], load_envvars=False
        )
        return openstack.connection.Connection(
            config=config.get_one(cloud=cloud, region_name=region)
        )


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, estate: Estate) -> Iterator[Cloud]:
    if not services_venv_ready(VENV):
        reason = (
            f"no OpenStack services environment at {VENV}: create it with "
            f"`python tests/openstack_services.py --venv {VENV} install`"
        )
        if os.environ.get("RESIDENCY_REQUIRE_OPENSTACK"):
            pytest.fail(f"RESIDENCY_REQUIRE_OPENSTACK is set but there is {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("openstack")
    with OpenStackServices(
        VENV, regions={r: estate.source("nordlys").regions[r] for r in REGIONS}
    ) as services:
        admin = services.connect()
        try:
            seeded = seed(
                admin,
                estate,
                "nordlys",
                per_kind=PER_KIND,
                cinder_databases={r: services.cinder_database(r) for r in REGIONS},
            )
            passwords = {"auditor": "auditor-secret", "developer": "developer-secret"}
            project = seeded.project(PROJECT)
            add_user(admin, "auditor", passwords["auditor"], project, ["reader"])
            add_user(admin, "developer", passwords["developer"], project, ["member"])
        finally:
            admin.close()
        clouds = services.clouds_yaml(folder / "clouds.yaml", CLOUD)
        for user, password in passwords.items():
            services.clouds_yaml(
                clouds, f"{CLOUD}-{user}", username=user, password=password, project_name=PROJECT
            )
        yield Cloud(services, seeded, clouds, passwords)


@pytest.fixture
def admin(cloud: Cloud) -> Iterator[Any]:
    conn = cloud.connect()
    yield conn
    conn.close()


def regional(conn: Any, region: str) -> Any:
    return openstack.connection.Connection(session=conn.session, region_name=region)


def test_the_catalog_has_both_regions_with_public_and_internal_endpoints(
    cloud: Cloud, admin: Any
) -> None:
    assert {r.id for r in admin.identity.regions()} == set(REGIONS)
    catalog = admin.session.auth.get_access(admin.session).service_catalog
    urls = {}
    for service_type in ("identity", "image", "block-storage", "network"):
        for region in REGIONS:
            for interface in ("public", "internal"):
                [url] = catalog.get_urls(
                    service_type=service_type, interface=interface, region_name=region
                )
                assert url.startswith("http://127.0.0.1:")
                urls[service_type, region, interface] = url
    # One keystone for the cloud; every other API has its own server in each region.
    assert urls["identity", "fra1", "public"] == urls["identity", "ams1", "public"]
    for service_type in ("image", "block-storage", "network"):
        assert urls[service_type, "fra1", "public"] != urls[service_type, "ams1", "public"]
    # The clouds.yaml entry names both regions, and a connection in each sees only its own.
    fra1 = {v.name for v in admin.block_storage.volumes(all_projects=True)}
    with cloud.connect("ams1") as ams1:
        assert ams1.config.get_region_name() == "ams1"
        ams1_names = {v.name for v in ams1.block_storage.volumes(all_projects=True)}
    assert fra1 == cloud.seeded.names("volume", "fra1")
    assert ams1_names == cloud.seeded.names("volume", "ams1")


def test_projects_are_the_estates(cloud: Cloud, admin: Any) -> None:
    projects = {p.name: p for p in admin.identity.projects()}
    estate_projects = set(cloud.seeded.frames["project"]["name"])
    assert estate_projects == {"web-shop", "payments", "analytics", "platform"}
    assert set(projects) == estate_projects | {"admin", "service"}
    for name in estate_projects:
        assert projects[name].id == cloud.seeded.project(name)


@pytest.mark.parametrize("region", REGIONS)
def test_networks_subnets_routers_floating_ips_and_security_groups(
    cloud: Cloud, admin: Any, region: str
) -> None:
    seeded = cloud.seeded
    net = regional(admin, region).network
    networks = {n.name: n for n in net.networks()}
    public = networks.pop("public")
    assert public.is_router_external
    assert set(networks) == seeded.names("network", region)
    for row in seeded.frames["network"].query("region == @region").itertuples():
        real = networks[row.name]
        assert real.id == seeded.ids[row.asset_id]
        assert real.project_id == seeded.projects[row.scope]

    subnets = {s.name for s in net.subnets()} - {"public-subnet"}
    assert subnets == seeded.names("subnet", region)

    routers = list(net.routers())
    assert {r.name for r in routers} == seeded.names("router", region)
    for router in routers:
        gateway = router.external_gateway_info
        assert gateway["network_id"] == public.id
        [fixed] = gateway["external_fixed_ips"]
        assert ipaddress.ip_address(fixed["ip_address"]) in ipaddress.ip_network("203.0.113.0/24")

    ips = list(net.ips())
    assert len(ips) == seeded.count("floating_ip", region)
    assert {ip.floating_network_id for ip in ips} == {public.id}
    estate_addresses = set(seeded.frames["floating_ip"].query("region == @region")["address"])
    assert estate_addresses <= {ip.floating_ip_address for ip in ips}

    groups = [g for g in net.security_groups() if g.name != "default"]
    assert {g.name for g in groups} == seeded.names("security_group", region)
    for group in groups:
        assert any(rule["port_range_min"] == 22 for rule in group.security_group_rules)


@pytest.mark.parametrize("region", REGIONS)
def test_images_keep_the_estates_ids(cloud: Cloud, admin: Any, region: str) -> None:
    images = {i.id: i for i in regional(admin, region).image.images()}
    frame = cloud.seeded.frames["image"].query("region == @region")
    assert set(images) == set(frame["asset_id"])  # Glance lets the id be chosen
    for row in frame.itertuples():
        assert images[row.asset_id].name == row.name
        assert images[row.asset_id].owner == cloud.seeded.projects[row.scope]
        assert images[row.asset_id].status == "active"


@pytest.mark.parametrize("region", REGIONS)
def test_volumes_are_available_in_the_estates_zones(cloud: Cloud, admin: Any, region: str) -> None:
    seeded = cloud.seeded
    volumes = {v.name: v for v in regional(admin, region).block_storage.volumes(all_projects=True)}
    frame = seeded.frames["volume"].query("region == @region")
    assert len(volumes) == len(frame) == PER_KIND
    for row in frame.itertuples():
        volume = volumes[row.name]
        assert volume.id == seeded.ids[row.asset_id]  # Cinder chooses ids: mapped
        assert volume.id != row.asset_id
        assert volume.availability_zone == row.zone
        assert volume.status == "available"
        assert volume.size == int(row.size_gb)
        assert volume.volume_type == row.volume_type
        assert volume.project_id == seeded.projects[row.scope]
        assert volume.metadata["residency_asset_id"] == row.asset_id


@pytest.mark.parametrize("region", REGIONS)
def test_backups_are_listed_with_the_estates_ids(cloud: Cloud, admin: Any, region: str) -> None:
    backups = {b.id: b for b in regional(admin, region).block_storage.backups(all_projects=True)}
    frame = cloud.seeded.frames["backup"].query("region == @region")
    assert len(frame) == 10
    assert set(backups) == set(frame["asset_id"])
    for row in frame.itertuples():
        backup = backups[row.asset_id]
        assert backup.name == row.name
        assert backup.availability_zone == row.zone
        assert backup.status == "available"
        assert backup.container == "volumebackups"


def test_paging_with_limit_returns_everything(cloud: Cloud, admin: Any) -> None:
    seeded = cloud.seeded
    for region in REGIONS:
        conn = regional(admin, region)
        # The server really pages: a first page of 7 and a link to the next one.
        first = conn.block_storage.get("/volumes?all_tenants=1&limit=7").json()
        assert len(first["volumes"]) == 7
        assert any(link["rel"] == "next" for link in first["volumes_links"])
        listed = {
            "volume": [v.name for v in conn.block_storage.volumes(all_projects=True, limit=7)],
            "backup": [b.name for b in conn.block_storage.backups(all_projects=True, limit=3)],
            "image": [i.name for i in conn.image.images(limit=2)],
            "network": [n.name for n in conn.network.networks(limit=2) if n.name != "public"],
            "floating_ip": [ip.id for ip in conn.network.ips(limit=3)],
            "security_group": [
                g.name for g in conn.network.security_groups(limit=3) if g.name != "default"
            ],
        }
        for kind, names in listed.items():
            assert len(names) == len(set(names)) == seeded.count(kind, region), kind
    neutron_first = regional(admin, "fra1").network.get("/networks?limit=2").json()
    assert len(neutron_first["networks"]) == 2
    assert neutron_first["networks_links"][0]["rel"] == "next"


@pytest.mark.parametrize("user", ["auditor", "developer"])
def test_a_project_user_is_forbidden_admin_calls(cloud: Cloud, user: str) -> None:
    with cloud.connect(cloud=f"{CLOUD}-{user}") as conn:
        with pytest.raises(os_exc.ForbiddenException) as listing:
            list(conn.identity.projects())
        assert listing.value.status_code == 403
        assert listing.value.response.json() == {
            "error": {
                "code": 403,
                "message": "You are not authorized to perform the requested action: "
                "identity:list_projects.",
                "title": "Forbidden",
            }
        }
        response = conn.block_storage.get("/os-services")
        assert response.status_code == 403
        assert response.json() == {
            "forbidden": {
                "code": 403,
                "message": "Policy doesn't allow volume_extension:services:index to be performed.",
            }
        }
        # Asking Cinder for every project's volumes is not refused: it answers with the
        # user's own project only. A collector cannot tell "all" from "mine" by the status.
        mine = {v.name for v in conn.block_storage.volumes(all_projects=True)}
        estate_id = estate_project_id(cloud)
        volumes = cloud.seeded.frames["volume"]
        frame = volumes[volumes["region"].eq("fra1") & volumes["scope"].eq(estate_id)]
        assert mine == set(frame["name"])
        # Neutron shows the project's own networks, and the external one to everybody.
        names = {n.name for n in conn.network.networks()}
        networks = cloud.seeded.frames["network"]
        own = networks[networks["region"].eq("fra1") & networks["scope"].eq(estate_id)]
        assert names == {*own["name"], "public"}


def estate_project_id(cloud: Cloud) -> str:
    projects = cloud.seeded.frames["project"]
    return str(projects.loc[projects["name"].eq(PROJECT), "asset_id"].iloc[0])


def test_not_found_bodies(admin: Any) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    keystone = admin.identity.get("/projects/nonexistent")
    assert keystone.status_code == 404
    assert keystone.json()["error"] == {
        "code": 404,
        "message": "Could not find project: nonexistent.",
        "title": "Not Found",
    }
    cinder = admin.block_storage.get(f"/volumes/{missing}")
    assert cinder.json() == {
        "itemNotFound": {"code": 404, "message": f"Volume {missing} could not be found."}
    }
    neutron = admin.network.get(f"/networks/{missing}")
    assert neutron.json()["NeutronError"]["type"] == "NetworkNotFound"
    glance = admin.image.get(f"/images/{missing}")
    assert glance.status_code == 404
    assert glance.headers["Content-Type"].startswith("text/html")  # not JSON
    assert f"No image found with ID {missing}" in glance.text


@pytest.mark.parametrize("region", REGIONS)
def test_the_openstack_cli_lists_volumes_as_json(cloud: Cloud, region: str) -> None:
    done = cloud.services.openstack_cli(
        "volume",
        "list",
        "--all-projects",
        "--long",
        "-f",
        "json",
        env={
            "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml),
            "OS_CLOUD": CLOUD,
            "OS_REGION_NAME": region,
        },
    )
    assert done.returncode == 0, done.stderr
    volumes = json.loads(done.stdout)
    assert {v["Name"] for v in volumes} == cloud.seeded.names("volume", region)
    assert {v["Status"] for v in volumes} == {"available"}
    ids = {
        cloud.seeded.ids[a]
        for a in cloud.seeded.frames["volume"].query("region == @region")["asset_id"]
    }
    assert {v["ID"] for v in volumes} == ids


# -- the openstack collector against the real services ----------------------------------


def collect_cloud(cloud: Cloud, name: str = CLOUD, **options: Any) -> dict[str, Any]:
    """Run the ``openstack`` collector the way a sweep does, from the clouds.yaml entry."""
    import datetime as dt

    import pyarrow as pa

    from residency.collect import CollectContext
    from residency_openstack import OpenStackCollector, OpenStackOptions

    opts = OpenStackOptions(cloud=name, clouds_yaml=cloud.clouds_yaml, retries=0, **options)
    ctx = CollectContext(sweep_id="t", observed_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    grouped: dict[str, list[pa.Table]] = {}
    for table, batch in OpenStackCollector("nordlys", opts).collect(ctx):
        grouped.setdefault(table, []).append(batch)
    return {t: pa.concat_tables(parts).to_pandas() for t, parts in grouped.items()}


@pytest.fixture(scope="module")
def collected(cloud: Cloud) -> dict[str, Any]:
    return collect_cloud(cloud, page_size=7)


def coverage_of(tables: dict[str, Any]) -> dict[tuple[str | None, str], str]:
    cov = tables["coverage"]
    return {
        (r, k): str(s) for r, k, s in zip(cov["region"], cov["kind"], cov["status"], strict=True)
    }


@pytest.mark.parametrize("region", REGIONS)
def test_the_collector_lists_every_seeded_resource_with_its_place(
    cloud: Cloud, collected: dict[str, Any], region: str
) -> None:
    seeded = cloud.seeded
    assets = collected["assets"]
    here = assets[assets["region"].eq(region)]
    # What the seeding adds around the estate: the external network, default groups.
    extra = {"network": {"public"}, "subnet": {"public-subnet"}, "security_group": {"default"}}
    for kind in ("network", "subnet", "router", "security_group", "image", "volume", "backup"):
        names = set(here.loc[here["kind"].eq(kind), "name"])
        assert names - extra.get(kind, set()) == seeded.names(kind, region), kind
    real_ids = {seeded.ids[a]: a for a in seeded.frames["volume"]["asset_id"]}
    volumes = here[here["kind"].eq("volume")].set_index("asset_id")
    estate = seeded.frames["volume"].set_index("asset_id")
    for real_id, row in volumes.iterrows():
        expected = estate.loc[real_ids[str(real_id)]]
        assert row["zone"] == expected["zone"]
        assert row["scope"] == seeded.projects[expected["scope"]]
        assert row["category"] == "data_plane"
        assert dict(row["attributes"])["volume_type"] == expected["volume_type"]
    backups = here[here["kind"].eq("backup")]
    assert set(backups["zone"]) <= set(cloud.services.regions[region])
    assert backups["parent_id"].isin(set(real_ids)).all()  # a backup points at its volume
    fips = here[here["kind"].eq("floating_ip")]
    assert len(fips) == seeded.count("floating_ip", region)
    zones = here[here["kind"].eq("availability_zone")]
    assert set(zones["name"]) == set(cloud.services.regions[region])


def test_missing_services_are_not_found_and_listed_ones_ok(collected: dict[str, Any]) -> None:
    coverage = coverage_of(collected)
    for region in REGIONS:
        # No Nova, Octavia, Designate, Barbican or Swift in this cloud: nothing unseen.
        for kind in (
            "server",
            "server_group",
            "load_balancer",
            "dns_zone",
            "secret",
            "secret_container",
            "object_container",
            "vpn_connection",
        ):
            assert coverage[region, kind] == "not_found", (region, kind)
        for kind in (
            "volume",
            "snapshot",
            "backup",
            "volume_type",
            "image",
            "network",
            "subnet",
            "router",
            "floating_ip",
            "port",
            "security_group",
        ):
            assert coverage[region, kind] == "ok", (region, kind)
    # Keystone's own kinds are listed once, in the identity endpoint's region.
    keystone = ("project", "domain", "identity_provider", "service_provider")
    identity = [(r, k) for (r, k) in coverage if k in keystone]
    assert len(identity) == 4 and len({r for r, _ in identity}) == 1
    projects = collected["assets"].query("kind == 'project'")
    assert set(projects["name"]) >= {"web-shop", "payments", "analytics", "platform"}


def test_a_reader_sees_its_project_and_keystone_refuses_the_rest(cloud: Cloud) -> None:
    tables = collect_cloud(cloud, f"{CLOUD}-auditor", regions=["fra1"])
    coverage = coverage_of(tables)
    assert coverage["fra1", "project"] == "forbidden"
    assert coverage["fra1", "volume"] == "ok"
    assert {r for r, _ in coverage} == {"fra1"}
    volumes = tables["assets"].query("kind == 'volume'")
    assert set(volumes["scope"]) == {cloud.seeded.project(PROJECT)}
    ports = tables["assets"].query("kind == 'port'")
    assert ports["host"].isna().all()  # binding:host_id is admin only: absent, not guessed


def test_a_wrong_password_leaves_everything_unseen_never_empty(
    cloud: Cloud, tmp_path: Path
) -> None:
    import shutil

    import yaml

    clouds = tmp_path / "clouds.yaml"
    shutil.copy(cloud.clouds_yaml, clouds)
    data = yaml.safe_load(clouds.read_text(encoding="utf-8"))
    data["clouds"][CLOUD]["auth"]["password"] = "not-the-password"
    clouds.write_text(yaml.safe_dump(data), encoding="utf-8")
    tables = collect_cloud(Cloud(cloud.services, cloud.seeded, clouds, cloud.passwords))
    assert "assets" not in tables
    assert set(tables["coverage"]["status"]) == {"forbidden"}
    assert "not-the-password" not in tables["coverage"].to_string()


def test_a_sweep_never_writes_a_password_or_a_token(cloud: Cloud, tmp_path: Path) -> None:
    import subprocess
    import sys

    import pyarrow.parquet as pq
    import yaml

    config = {
        "area": "eu",
        "store": "store",
        "sources": [
            {
                "name": "nordlys",
                "type": "openstack",
                "cloud": CLOUD,
                "clouds_yaml": str(cloud.clouds_yaml),
            },
            {
                "name": "nordlys-reader",
                "type": "openstack",
                "cloud": f"{CLOUD}-auditor",
                "clouds_yaml": str(cloud.clouds_yaml),
            },
        ],
    }
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    exe = Path(sys.executable).with_name("residency")
    run = subprocess.run(
        [str(exe), "sweep", "--config", "residency.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode in (1, 3), run.stderr
    for fmt in ("md", "json", "html"):
        subprocess.run(
            [
                str(exe),
                "report",
                "--config",
                "residency.yaml",
                "--format",
                fmt,
                "--out",
                f"report.{fmt}",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    secrets = [cloud.services.admin_password, *cloud.passwords.values()]
    written = [run.stdout, run.stderr]
    for path in tmp_path.rglob("*"):
        if path.suffix == ".parquet":
            # Parquet's binary (and its base64 Arrow schema) is read as the values it holds.
            written.append(str(pq.read_table(path).to_pylist()))
        elif path.is_file() and path.name != "residency.yaml":
            written.append(path.read_text(encoding="utf-8"))
    assert len(written) > 5
    for text in written:
        for secret in secrets:
            assert secret not in text
        assert "gAAAAA" not in text  # a Fernet token
        assert "X-Auth-Token" not in text and "X-Subject-Token" not in text


def test_a_configured_region_the_cloud_lacks_is_an_error_not_a_pass(cloud: Cloud) -> None:
    tables = collect_cloud(cloud, regions=["fra1", "fra9"])
    coverage = tables["coverage"]
    missing = coverage[coverage["region"].eq("fra9")]
    assert set(missing["status"]) == {"error"}
    assert len(missing) == len({k for k in coverage["kind"]})
    assert "'fra9' is not in this cloud's catalog" in missing["error"].iloc[0]
    assert set(tables["assets"]["region"]) == {"fra1"}
