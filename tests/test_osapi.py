"""The sample estate's OpenStack clouds served over HTTP by ``residency.sample.osapi``.

openstacksdk (the project's), the ``openstack`` CLI and, where they run, the real Keystone,
Glance, Cinder and Neutron check that the endpoint answers as the real services do.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from residency.sample import GLOBAL_KINDS, SERVICE_OF, Estate, SampleSource
from residency.sample.osapi import Failure, OpenStackAPIServer

from .conftest import ROOT, SHARED, openstack_warning_filters

openstack = pytest.importorskip("openstack")

pytestmark = [
    *openstack_warning_filters(),
]

PASSWORD = "osapi-admin-secret"
READER = ("auditor", "osapi-reader-secret")
UPSTREAM = SHARED / "fixtures" / "upstream" / "openstack"
SOURCES = ("nordlys", "ovh-public")

# kind -> (adapter, path, list key, paging style) as docs/openstack.md reads them.
REQUESTS: dict[str, tuple[str, str, str, str]] = {
    "server": ("compute", "/servers/detail?all_tenants=1", "servers", "links"),
    "server_group": ("compute", "/os-server-groups?all_projects=True", "server_groups", "offset"),
    "volume": ("block_storage", "/volumes/detail?all_tenants=1", "volumes", "links"),
    "snapshot": ("block_storage", "/snapshots/detail?all_tenants=1", "snapshots", "links"),
    "backup": ("block_storage", "/backups/detail?all_tenants=1", "backups", "links"),
    "volume_type": ("block_storage", "/types", "volume_types", "none"),
    "image": ("image", "/images", "images", "glance"),
    "network": ("network", "/networks", "networks", "links"),
    "subnet": ("network", "/subnets", "subnets", "links"),
    "router": ("network", "/routers", "routers", "links"),
    "floating_ip": ("network", "/floatingips", "floatingips", "links"),
    "port": ("network", "/ports", "ports", "links"),
    "security_group": ("network", "/security-groups", "security_groups", "links"),
    "vpn_connection": (
        "network",
        "/vpn/ipsec-site-connections",
        "ipsec_site_connections",
        "links",
    ),
    "load_balancer": ("load_balancer", "/lbaas/loadbalancers", "loadbalancers", "links"),
    "dns_zone": ("dns", "/zones", "zones", "designate"),
    "secret": ("key_manager", "/secrets", "secrets", "barbican"),
    "secret_container": ("key_manager", "/containers", "containers", "barbican"),
    "project": ("identity", "/projects", "projects", "none"),
    "domain": ("identity", "/domains", "domains", "none"),
    "identity_provider": (
        "identity",
        "/OS-FEDERATION/identity_providers",
        "identity_providers",
        "none",
    ),
}


def _connect(clouds: Path, cloud: str, region: str) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(clouds)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud, region_name=region))


@pytest.fixture(scope="module", params=SOURCES)
def served(
    request: pytest.FixtureRequest, estate: Estate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SampleSource, OpenStackAPIServer, Path]]:
    source = estate.source(request.param)
    server = OpenStackAPIServer.for_source(source, password=PASSWORD, reader=READER, page_size=5)
    with server:
        clouds = server.write_clouds_yaml(tmp_path_factory.mktemp("os") / "clouds.yaml", "c")
        server.write_clouds_yaml(clouds, "c-reader", username=READER[0])
        yield source, server, clouds


def _pages(conn: Any, kind: str, style: str, path: str, key: str) -> list[dict[str, Any]]:
    """Every object of a list, following the service's own next links."""
    adapter = getattr(conn, REQUESTS[kind][0])
    headers = {"X-Auth-All-Projects": "True"} if kind == "dns_zone" else {}
    seen: list[dict[str, Any]] = []
    url: str | None = path
    offset = 0
    while url is not None:
        response = adapter.get(url, headers=headers)
        assert response.status_code == 200, (kind, url, response.text)
        data = response.json()
        seen += data[key]
        if style == "links":
            nxt = [link["href"] for link in data.get(f"{key}_links", []) if link["rel"] == "next"]
            url = nxt[0] if nxt else None
        elif style == "glance":
            url = data.get("next")
            url = url[len("/v2") :] if url else None
        elif style == "designate":
            url = data["links"].get("next")
        elif style == "barbican":
            url = data.get("next")
        elif style == "offset" and data[key]:
            offset += len(data[key])
            url = f"{path}&offset={offset}"
        else:
            url = None
    return seen


def _object_id(kind: str, obj: dict[str, Any]) -> str:
    if kind == "secret":
        return str(obj["secret_ref"]).rsplit("/", 1)[-1]
    if kind == "secret_container":
        return str(obj["container_ref"]).rsplit("/", 1)[-1]
    return str(obj["id"])


def test_openstacksdk_lists_every_kind_in_every_region_page_by_page(
    served: tuple[SampleSource, OpenStackAPIServer, Path],
) -> None:
    source, server, clouds = served
    identity_conn = _connect(clouds, "c", str(source.identity_region))
    assert {r.id for r in identity_conn.identity.regions()} == set(source.regions)
    catalog = identity_conn.session.auth.get_access(identity_conn.session).service_catalog
    checked = 0
    for region in source.regions:
        conn = _connect(clouds, "c", region)
        for kind, (_, path, key, style) in REQUESTS.items():
            frame = source.frames.get(kind)
            if kind in GLOBAL_KINDS and region != source.identity_region:
                continue
            status = source.faults.get((region, kind), ("ok", ""))[0]
            service = SERVICE_OF[kind]
            urls = catalog.get_urls(service_type=service, region_name=region, interface="public")
            if status == "not_found" and kind not in GLOBAL_KINDS:
                assert not urls, (region, kind)
                continue
            assert urls, (region, kind)
            if status != "ok":
                continue
            objects = _pages(conn, kind, style, path, key)
            ids = [_object_id(kind, o) for o in objects]
            assert len(ids) == len(set(ids)), (region, kind)  # no repeats
            expected = [] if frame is None else frame.loc[frame["region"].eq(region), "asset_id"]
            assert sorted(ids) == sorted(expected), (region, kind)  # no gaps
            checked += 1
        # The SDK's own resources page through the same lists.
        servers = {s.id for s in conn.compute.servers(all_projects=True, limit=3)}
        frame = source.frames["server"]
        assert servers == set(frame.loc[frame["region"].eq(region), "asset_id"])
        volumes = {v.id for v in conn.block_storage.volumes(all_projects=True, limit=4)}
        frame = source.frames["volume"]
        assert volumes == set(frame.loc[frame["region"].eq(region), "asset_id"])
        ports = {p.id for p in conn.network.ports(limit=4)}
        assert ports == set(source.frames["port"].query("region == @region")["asset_id"])
        if "object-store" in server.api.services(region):
            names = {c.name for c in conn.object_store.containers(limit=2)}
            buckets = source.frames["object_container"].query("region == @region")
            assert names == set(buckets["name"])
    assert checked > 40


def _sample(relative: str) -> dict[str, Any]:
    if not UPSTREAM.is_dir():
        pytest.skip("../shared/fixtures/upstream/openstack is absent here")
    return dict(json.loads((UPSTREAM / relative).read_text(encoding="utf-8")))


# kind -> its api-ref sample
SAMPLES: dict[str, str] = {
    "server": "nova/servers-details-resp.json",
    "volume": "cinder/v3.69/volumes-list-detailed-response.json",
    "backup": "cinder/v3.56/backups-list-detailed-response.json",
    "snapshot": "cinder/snapshots-list-detailed-response.json",
    "volume_type": "cinder/volume-types-list-response.json",
    "image": "glance/images-list-response.json",
    "network": "neutron/networks-list-response.json",
    "subnet": "neutron/subnets-list-response.json",
    "router": "neutron/routers-list-response.json",
    "floating_ip": "neutron/floating-ips-list-response.json",
    "port": "neutron/ports-bind-list-response.json",
    "security_group": "neutron/security-groups-list-response.json",
    "vpn_connection": "neutron/ipsec-site-connections-list-response.json",
    "load_balancer": "octavia/loadbalancers-list-response.json",
    "dns_zone": "designate/list-zones-response.json",
    "secret": "barbican/secrets-list-response.json",
    "project": "keystone/projects-list-response.json",
    "domain": "keystone/domains-list-response.json",
    "identity_provider": "keystone/federation/identity-provider/list-response.json",
}
PAGING_KEYS = {"next", "previous", "links", "metadata", "total", "first", "schema"}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_served_objects_carry_the_api_ref_samples_keys(estate: Estate, kind: str) -> None:
    sample = _sample(SAMPLES[kind])
    _, path, key, _ = REQUESTS[kind]
    if kind == "backup":
        path += "&with_count=true"
    # fra1 of nordlys has every kind except Barbican's (forbidden there): use ams1 for those.
    region = "ams1" if kind in ("secret", "vpn_connection") else "fra1"
    if kind == "vpn_connection":
        region = "fra1"
    source = estate.source("nordlys")
    if kind in GLOBAL_KINDS:
        region = str(source.identity_region)
    with OpenStackAPIServer.for_source(source, password=PASSWORD) as server:
        token = _token(server)
        endpoint = _endpoint(server, token, SERVICE_OF[kind], region)
        headers = {"X-Auth-Token": token["id"], "X-Auth-All-Projects": "True"}
        if kind == "server":
            headers["OpenStack-API-Version"] = "compute 2.1"
        if kind == "backup":
            headers["OpenStack-API-Version"] = "volume 3.56"
        response = requests.get(endpoint + _versioned(kind) + path, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data[key], f"no {kind} served in {region}"
    sample_keys = set(sample[key][0])
    for obj in data[key]:
        assert sample_keys <= set(obj), (kind, sorted(sample_keys - set(obj)))
    # The envelope: the same keys, apart from the paging members of a partial page.
    assert set(sample) - PAGING_KEYS - {f"{key}_links"} <= set(data)
    assert set(data) - set(sample) <= PAGING_KEYS | {f"{key}_links"}


def _versioned(kind: str) -> str:
    service = SERVICE_OF[kind]
    return {"image": "/v2", "network": "/v2.0", "load-balancer": "/v2", "dns": "/v2"}.get(
        service, "/v1" if service == "key-manager" else ""
    )


def _token(server: OpenStackAPIServer, user: str = "admin", password: str = PASSWORD) -> Any:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    response = requests.post(f"{server.auth_url}/auth/tokens", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return {"id": response.headers["X-Subject-Token"], **response.json()["token"]}


def _endpoint(server: OpenStackAPIServer, token: Any, service: str, region: str) -> str:
    for entry in token["catalog"]:
        if entry["type"] == service:
            for endpoint in entry["endpoints"]:
                if endpoint["region"] == region and endpoint["interface"] == "public":
                    return str(endpoint["url"])
    raise AssertionError(f"no {service} in {region}")


def test_faults_unknown_tokens_and_wrong_passwords(estate: Estate) -> None:
    source = estate.source("nordlys")
    fail = {("ams1", "volume"): Failure(503, times=2)}
    with OpenStackAPIServer.for_source(source, password=PASSWORD, fail=fail) as server:
        token = _token(server)
        headers = {"X-Auth-Token": token["id"]}
        barbican = _endpoint(server, token, "key-manager", "fra1")
        forbidden = requests.get(f"{barbican}/v1/secrets", headers=headers, timeout=10)
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == 403 and forbidden.json()["title"] == "Forbidden"
        # Only in fra1: Barbican in ams1 lists.
        ams1 = _endpoint(server, token, "key-manager", "ams1")
        assert requests.get(f"{ams1}/v1/secrets", headers=headers, timeout=10).status_code == 200
        # The lab region has no Barbican, Octavia, Designate or Swift in its catalog.
        lab = {e["type"] for e in token["catalog"] for p in e["endpoints"] if p["region"] == "lab"}
        assert lab == {"identity", "compute", "block-storage", "image", "network"}
        # Injected failures: two 503s, then the list.
        cinder = _endpoint(server, token, "block-storage", "ams1")
        statuses = [
            requests.get(f"{cinder}/volumes/detail", headers=headers, timeout=10).status_code
            for _ in range(3)
        ]
        assert statuses == [503, 503, 200]
        # No token, an unknown token, a wrong password: 401 in each service's shape.
        nova = _endpoint(server, token, "compute", "fra1")
        for bad in ({}, {"X-Auth-Token": "gAAAAAnot-a-token"}):
            response = requests.get(f"{nova}/servers/detail", headers=bad, timeout=10)
            assert response.status_code == 401
            assert response.json() == {
                "error": {
                    "code": 401,
                    "title": "Unauthorized",
                    "message": "The request you have made requires authentication.",
                }
            }
        wrong = requests.post(
            f"{server.auth_url}/auth/tokens",
            json={
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {"name": "admin", "domain": {"id": "default"}, "password": "x"}
                        },
                    }
                }
            },
            timeout=10,
        )
        assert wrong.status_code == 401
        assert wrong.json() == {
            "error": {
                "code": 401,
                "message": "The request you have made requires authentication.",
                "title": "Unauthorized",
            }
        }
        # Nova's microversions: echoed, and 406 above the maximum.
        ok = requests.get(
            f"{nova}/servers?limit=1",
            headers={**headers, "OpenStack-API-Version": "compute 2.47"},
            timeout=10,
        )
        assert ok.headers["OpenStack-API-Version"] == "compute 2.47"
        too_new = requests.get(
            f"{nova}/servers", headers={**headers, "X-OpenStack-Nova-API-Version": "2.999"}
        )
        assert too_new.status_code == 406
        assert too_new.json()["computeFault"]["code"] == 406
    ovh = estate.source("ovh-public")
    with OpenStackAPIServer.for_source(ovh, password=PASSWORD) as server:
        token = _token(server)
        keystone = _endpoint(server, token, "identity", "GRA11")
        federation = requests.get(
            f"{keystone}/OS-FEDERATION/identity_providers",
            headers={"X-Auth-Token": token["id"]},
            timeout=10,
        )
        assert federation.status_code == 404
        assert federation.json()["error"]["code"] == 404


def test_a_reader_sees_no_admin_only_fields(estate: Estate) -> None:
    source = estate.source("nordlys")
    with OpenStackAPIServer.for_source(source, password=PASSWORD, reader=READER) as server:
        admin = _token(server)
        reader = _token(server, *READER)
        assert [r["name"] for r in reader["roles"]] == ["reader"]
        project = reader["project"]["id"]
        nova = _endpoint(server, reader, "compute", "fra1")
        neutron = _endpoint(server, reader, "network", "fra1")
        as_admin = {"X-Auth-Token": admin["id"]}
        as_reader = {"X-Auth-Token": reader["id"]}
        full = requests.get(f"{nova}/servers/detail?all_tenants=1", headers=as_admin, timeout=10)
        assert all("OS-EXT-SRV-ATTR:host" in s for s in full.json()["servers"])
        own = requests.get(f"{nova}/servers/detail", headers=as_reader, timeout=10).json()
        assert own["servers"]
        assert {s["tenant_id"] for s in own["servers"]} == {project}
        assert not any(k.startswith("OS-EXT-SRV-ATTR:") for s in own["servers"] for k in s)
        everyone = requests.get(f"{nova}/servers/detail?all_tenants=1", headers=as_reader)
        assert everyone.status_code == 403
        ports = requests.get(f"{neutron}/v2.0/ports", headers=as_reader, timeout=10).json()
        assert ports["ports"] and not any("binding:host_id" in p for p in ports["ports"])
        admin_ports = requests.get(f"{neutron}/v2.0/ports", headers=as_admin, timeout=10).json()
        assert all("binding:host_id" in p for p in admin_ports["ports"])


# -- the openstack CLI ----------------------------------------------------------------------

CLI_VENV = Path(os.environ.get("RESIDENCY_OPENSTACK_VENV") or ROOT / ".venv-openstack")


@pytest.mark.slow
@pytest.mark.parametrize("what", ["server", "volume"])
def test_the_openstack_cli_lists_servers_and_volumes(
    estate: Estate, tmp_path: Path, what: str
) -> None:
    cli = CLI_VENV / "bin" / "openstack"
    if not cli.exists():
        if os.environ.get("RESIDENCY_REQUIRE_OPENSTACK"):
            pytest.fail(f"RESIDENCY_REQUIRE_OPENSTACK is set but {cli} is missing")
        pytest.skip(f"no openstack CLI at {cli}")
    source = estate.source("ovh-public")
    region = "BHS5"
    with OpenStackAPIServer.for_source(source, password=PASSWORD) as server:
        clouds = server.write_clouds_yaml(tmp_path / "clouds.yaml", "ovh")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env |= {"OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "ovh", "OS_REGION_NAME": region}
        args = [str(cli), what, "list", "--long", "-f", "json"]
        if what == "volume":
            args.insert(3, "--all-projects")
        else:
            args.insert(3, "--all-projects")
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    listed = json.loads(done.stdout)
    frame = source.frames[what].query("region == @region")
    assert {row["ID"] for row in listed} == set(frame["asset_id"])
    assert {row["Name"] for row in listed} == set(frame["name"])
    if what == "server":
        zones = {row["ID"]: row["Availability Zone"] for row in listed}
        assert zones == dict(zip(frame["asset_id"], frame["zone"], strict=True))


# -- faithfulness against the real services ----------------------------------------------------

REAL_REGIONS = ("fra1", "ams1")
# kind -> (service type, path under the catalog URL, list key)
REAL_KINDS: dict[str, tuple[str, str, str]] = {
    "network": ("network", "/v2.0/networks", "networks"),
    "subnet": ("network", "/v2.0/subnets", "subnets"),
    "router": ("network", "/v2.0/routers", "routers"),
    "floating_ip": ("network", "/v2.0/floatingips", "floatingips"),
    "security_group": ("network", "/v2.0/security-groups", "security_groups"),
    "image": ("image", "/v2/images", "images"),
    "volume": ("block-storage", "/volumes/detail?all_tenants=1", "volumes"),
    "backup": ("block-storage", "/backups/detail?all_tenants=1", "backups"),
    "project": ("identity", "/projects", "projects"),
}
MISSING = "00000000-0000-0000-0000-000000000000"


@dataclass
class Side:
    """One OpenStack (real or the sample endpoint): its auth URL and users' tokens."""

    auth_url: str
    admin: Any
    reader: Any

    def url(self, service: str, region: str = "fra1") -> str:
        for entry in self.admin["catalog"]:
            if entry["type"] == service:
                for endpoint in entry["endpoints"]:
                    if endpoint["region"] == region and endpoint["interface"] == "public":
                        return str(endpoint["url"]).rstrip("/")
        raise AssertionError(f"no {service} in {region}")

    def get(self, service: str, path: str, token: str | None = "admin", **headers: str) -> Any:
        sent = dict(headers)
        if token is not None:
            sent["X-Auth-Token"] = (self.admin if token == "admin" else self.reader)["id"]
        return requests.get(self.url(service) + path, headers=sent, timeout=30)


def _login(auth_url: str, user: str, password: str, project: str) -> Any:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }
    response = requests.post(f"{auth_url}/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return {"id": response.headers["X-Subject-Token"], **response.json()["token"]}


@pytest.fixture(scope="module")
def sides(estate: Estate) -> Iterator[tuple[Side, Side]]:
    """The real Keystone, Glance, Cinder and Neutron, and the endpoint, on the same estate."""
    from .openstack_services import (
        DEFAULT_VENV,
        OpenStackServices,
        add_user,
        seed,
        services_venv_ready,
    )

    venv = Path(os.environ.get("RESIDENCY_OPENSTACK_VENV") or DEFAULT_VENV)
    if not services_venv_ready(venv):
        reason = f"no OpenStack services environment at {venv}"
        if os.environ.get("RESIDENCY_REQUIRE_OPENSTACK"):
            pytest.fail(f"RESIDENCY_REQUIRE_OPENSTACK is set but there is {reason}")
        pytest.skip(reason)
    source = estate.source("nordlys")
    with OpenStackServices(venv, regions={r: source.regions[r] for r in REAL_REGIONS}) as real:
        conn = real.connect()
        try:
            seeded = seed(
                conn,
                estate,
                "nordlys",
                per_kind=6,
                cinder_databases={r: real.cinder_database(r) for r in REAL_REGIONS},
            )
            add_user(conn, READER[0], READER[1], seeded.project("web-shop"), ["reader"])
        finally:
            conn.close()
        web_shop = str(source.frames["project"].query("name == 'web-shop'")["asset_id"].iloc[0])
        with OpenStackAPIServer.for_source(
            source, password=PASSWORD, reader=READER, reader_project=web_shop
        ) as ours:
            real_side = Side(
                real.auth_url,
                _login(real.auth_url, "admin", real.admin_password, "admin"),
                _login(real.auth_url, *READER, "web-shop"),
            )
            platform = str(source.frames["project"].query("name == 'platform'")["name"].iloc[0])
            our_side = Side(
                ours.auth_url,
                _login(ours.auth_url, "admin", PASSWORD, platform),
                _login(ours.auth_url, *READER, "web-shop"),
            )
            yield real_side, our_side


def _keys(objects: list[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for obj in objects:
        keys |= {k for k in obj if not k.startswith("owner_specified.")}  # Glance properties
    return keys


def _link_shape(data: dict[str, Any], key: str) -> Any:
    """Which paging members a page has, and which query parameters their links carry."""
    from urllib.parse import parse_qsl, urlsplit

    def params(href: str) -> list[str]:
        return sorted(k for k, _ in parse_qsl(urlsplit(href).query))

    shape: dict[str, Any] = {"envelope": sorted(data)}
    links = data.get(f"{key}_links")
    if links is not None:
        shape["links"] = [(link["rel"], params(link["href"])) for link in links]
    for member in ("next", "first"):
        if isinstance(data.get(member), str):
            shape[member] = params(data[member])
    return shape


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(REAL_KINDS))
def test_same_keys_and_paging_as_the_real_service(sides: tuple[Side, Side], kind: str) -> None:
    real, ours = sides
    service, path, key = REAL_KINDS[kind]
    headers = {"OpenStack-API-Version": "volume 3.71"} if service == "block-storage" else {}
    real_all = real.get(service, path, **headers).json()[key]
    our_all = ours.get(service, path, **headers).json()[key]
    assert real_all and our_all
    sample = SAMPLES.get(kind)
    sample_keys = set(_sample(sample)[key][0]) if sample and UPSTREAM.is_dir() else set()
    # Every key the real service sends is served, and nothing that neither it nor the
    # api-ref sample has.
    assert _keys(real_all) <= _keys(our_all), sorted(_keys(real_all) - _keys(our_all))
    assert _keys(our_all) <= _keys(real_all) | sample_keys, sorted(
        _keys(our_all) - _keys(real_all) - sample_keys
    )
    if kind == "project":
        return  # Keystone does not page
    sep = "&" if "?" in path else "?"
    real_page = real.get(service, f"{path}{sep}limit=2", **headers).json()
    our_page = ours.get(service, f"{path}{sep}limit=2", **headers).json()
    assert len(real_page[key]) == len(our_page[key]) == 2
    assert _link_shape(our_page, key) == _link_shape(real_page, key)


@pytest.mark.slow
def test_same_error_bodies_as_the_real_services(sides: tuple[Side, Side]) -> None:
    real, ours = sides
    missing = {
        "network": f"/v2.0/networks/{MISSING}",
        "image": f"/v2/images/{MISSING}",
        "block-storage": f"/volumes/{MISSING}",
        "identity": f"/projects/{MISSING}",
    }
    for service, path in missing.items():
        for token in (None, "admin"):
            a, b = real.get(service, path, token=token), ours.get(service, path, token=token)
            assert (a.status_code, b.status_code) == ((401, 401) if token is None else (404, 404))
            assert (
                a.headers["Content-Type"].split(";")[0] == b.headers["Content-Type"].split(";")[0]
            )
            if a.headers["Content-Type"].startswith("application/json"):
                assert a.json() == b.json(), (service, token)
            else:
                assert a.text.strip() == b.text.strip(), (service, token)
    # A reader may not list projects: the same 403.
    a = real.get("identity", "/projects", token="reader")
    b = ours.get("identity", "/projects", token="reader")
    assert a.status_code == b.status_code == 403
    assert a.json() == b.json()
