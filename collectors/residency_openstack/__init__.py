"""The ``openstack`` collector: every region of a cloud named in ``clouds.yaml``.

Authentication, the catalog, endpoint and version discovery are openstacksdk's (and
keystoneauth's); the collector asks each service for raw pages of its collections and turns
each page into rows in bulk (see ``docs/openstack.md`` for every request and field). Regions
are swept concurrently; within a region each kind is isolated: a 403, a missing service or a
failing API becomes that (region, kind)'s coverage status and never stops the sweep.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from residency.collect import (
    Batch,
    CollectContext,
    assets_batch,
    coverage_batch,
    coverage_row,
    flows_batch,
    interleave,
)
from residency.errors import ConfigError
from residency.fields import Items
from residency.providers import match_auth_host
from residency.telemetry import Parsed, sink_flows

from . import block_storage, compute, config_files, flows, identity, image, network, services
from .api import ListError, Pager, Paging
from .rows import joined_strings

__all__ = ["KINDS", "RESOURCES", "OpenStackCollector", "OpenStackOptions", "Resource"]


class ConfigFiles(BaseModel):
    """Control-plane configuration files of one region (``path`` is a glob)."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description="A file or a glob (`/etc/kolla/*/*.conf`), relative to residency.yaml."
    )
    region: str | None = Field(
        default=None,
        description="Region whose control plane uses these files; the cloud's only region "
        "if unset (with several regions, the files' placement stays unknown).",
    )


class OpenStackOptions(BaseModel):
    """Options of a ``type: openstack`` source."""

    model_config = ConfigDict(extra="forbid")

    cloud: str | None = Field(
        default=None, description="The cloud's name in clouds.yaml; OS_CLOUD if unset."
    )
    clouds_yaml: Path | None = Field(
        default=None,
        description="A clouds.yaml to read instead of openstacksdk's usual search "
        "(OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack, /etc/openstack); "
        "a secure.yaml beside it is read too.",
    )
    regions: list[str] = Field(
        default_factory=list, description="Only these regions (all the catalog has if empty)."
    )
    provider: str | None = Field(
        default=None,
        description="Provider catalog id; by default matched from the auth URL's host.",
    )
    all_projects: bool = Field(
        default=True, description="Ask for every project's resources where the role allows."
    )
    page_size: int = Field(default=1000, gt=0, le=10_000, description="Objects per request.")
    timeout_s: float = Field(default=30.0, gt=0, description="Seconds per request.")
    retries: int = Field(default=3, ge=0, le=10, description="Retries of 5xx and timeouts.")
    concurrency: int = Field(default=4, gt=0, le=64, description="Regions swept at once.")
    config_files: list[ConfigFiles] = Field(
        default_factory=list,
        description="Service configuration files of the control plane (Ceilometer pipelines, "
        "nova.conf, cinder.conf, …) to read destinations from; see docs/openstack.md.",
    )


Transform = Callable[[Items, "_Region"], pd.DataFrame]
FlowsOf = Callable[[Items, pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Resource:
    """One listed collection: where it lives and how its pages become rows."""

    kind: str
    service: str  # the openstacksdk proxy: compute, block_storage, image, network, …
    path: str  # relative to the proxy's versioned endpoint (/v2.0 for Neutron, …)
    key: str | None
    paging: Paging
    transform: Transform
    params: dict[str, Any] = field(default_factory=dict)
    all_projects: dict[str, Any] = field(default_factory=dict)  # query for every project
    all_projects_headers: dict[str, str] = field(default_factory=dict)  # or headers
    headers: dict[str, str] = field(default_factory=dict)
    microversion: str | None = None
    flows: FlowsOf | None = None
    once_per_cloud: bool = False


def _simple(fn: Callable[[Items, str], pd.DataFrame]) -> Transform:
    return lambda page, region: fn(page, region.name)


def _vpn_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            flows.address_flows(
                assets,
                assets["peer_address"],
                "vpn",
                "IPsec site connection {name} peers with {address}",
            ),
            flows.address_flows(
                assets,
                assets["peer_cidrs"],
                "vpn",
                "IPsec site connection {name} reaches remote network {address}",
            ),
        ],
        ignore_index=True,
    )


def _dns_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    return flows.address_flows(
        assets, assets["masters"], "dns", "secondary zone {name} transfers from master {address}"
    )


def _idp_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    return flows.url_flows(
        assets,
        joined_strings(page, "remote_ids", "\n"),
        "identity",
        "identity provider {name} trusts remote id {address}",
    )


def _sync_flows(page: Items, assets: pd.DataFrame) -> pd.DataFrame:
    return flows.url_flows(
        assets, assets["sync_to"], "replication", "container {name} syncs to {address}"
    )


ALL_TENANTS = {"all_tenants": 1}

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "server",
        "compute",
        "/servers/detail",
        "servers",
        "marker",
        lambda page, region: region.servers(page),
        all_projects=ALL_TENANTS,
        microversion="2.47",
    ),
    Resource(
        "server_group",
        "compute",
        "/os-server-groups",
        "server_groups",
        "offset",
        _simple(compute.server_groups),
        all_projects={"all_projects": "True"},
        microversion="2.64",
    ),
    Resource(
        "volume",
        "block_storage",
        "/volumes/detail",
        "volumes",
        "marker",
        _simple(block_storage.volumes),
        all_projects=ALL_TENANTS,
    ),
    Resource(
        "snapshot",
        "block_storage",
        "/snapshots/detail",
        "snapshots",
        "marker",
        _simple(block_storage.snapshots),
        all_projects=ALL_TENANTS,
    ),
    Resource(
        "backup",
        "block_storage",
        "/backups/detail",
        "backups",
        "marker",
        _simple(block_storage.backups),
        all_projects=ALL_TENANTS,
        microversion="3.18",
    ),
    Resource(
        "volume_type",
        "block_storage",
        "/types",
        "volume_types",
        "none",
        _simple(block_storage.volume_types),
    ),
    Resource("image", "image", "/images", "images", "marker", _simple(image.images)),
    Resource("network", "network", "/networks", "networks", "marker", _simple(network.networks)),
    Resource("subnet", "network", "/subnets", "subnets", "marker", _simple(network.subnets)),
    Resource("router", "network", "/routers", "routers", "marker", _simple(network.routers)),
    Resource(
        "floating_ip",
        "network",
        "/floatingips",
        "floatingips",
        "marker",
        _simple(network.floating_ips),
    ),
    Resource("port", "network", "/ports", "ports", "marker", _simple(network.ports)),
    Resource(
        "security_group",
        "network",
        "/security-groups",
        "security_groups",
        "marker",
        _simple(network.security_groups),
        flows=flows.egress_flows,
    ),
    Resource(
        "vpn_connection",
        "network",
        "/vpn/ipsec-site-connections",
        "ipsec_site_connections",
        "marker",
        lambda page, region: region.vpn_connections(page),
        flows=_vpn_flows,
    ),
    Resource(
        "load_balancer",
        "load_balancer",
        "/lbaas/loadbalancers",
        "loadbalancers",
        "marker",
        lambda page, region: services.load_balancers(page, region.name, region.protocols),
    ),
    Resource(
        "dns_zone",
        "dns",
        "/zones",
        "zones",
        "marker",
        _simple(services.zones),
        all_projects_headers={"X-Auth-All-Projects": "True"},
        flows=_dns_flows,
    ),
    Resource(
        "secret_container",
        "key_manager",
        "/containers",
        "containers",
        "offset",
        _simple(services.secret_containers),
    ),
    Resource("secret", "key_manager", "/secrets", "secrets", "offset", _simple(services.secrets)),
    Resource(
        "object_container",
        "object_store",
        "",
        None,
        "swift",
        lambda page, region: services.object_containers(
            page, region.name, region.account, region.container_headers(page)
        ),
        params={"format": "json"},
        flows=_sync_flows,
    ),
    Resource(
        "project",
        "identity",
        "/projects",
        "projects",
        "none",
        _simple(identity.projects),
        once_per_cloud=True,
    ),
    Resource(
        "domain",
        "identity",
        "/domains",
        "domains",
        "none",
        _simple(identity.domains),
        once_per_cloud=True,
    ),
    Resource(
        "identity_provider",
        "identity",
        "/OS-FEDERATION/identity_providers",
        "identity_providers",
        "none",
        _simple(identity.identity_providers),
        flows=_idp_flows,
        once_per_cloud=True,
    ),
    Resource(
        "service_provider",
        "identity",
        "/OS-FEDERATION/service_providers",
        "service_providers",
        "none",
        _simple(identity.service_providers),
        flows=flows.service_provider_flows,
        once_per_cloud=True,
    ),
)
"""Every collection the collector lists, in order (see docs/openstack.md)."""

KINDS: tuple[str, ...] = ("availability_zone", *dict.fromkeys(r.kind for r in RESOURCES))
"""Every kind the collector records (availability zones come from two small lists)."""

# Nova's detail (with hosts) is admin only; a reader falls back to the plain list.
_AZ_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("compute", ("/os-availability-zone/detail", "/os-availability-zone")),
    ("block_storage", ("/os-availability-zone",)),
)


@dataclass
class _Region:
    """One region's connection, pager and what its pages need from earlier listings."""

    name: str
    conn: Any
    pager: Pager
    account: str = ""
    protocols: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"lb": [], "protocol": []}, dtype=object)
    )

    flavors: pd.Series | None = None
    endpoint_groups: pd.DataFrame | None = None

    def listed(
        self,
        service: str,
        path: str,
        key: str,
        parse: Callable[[Items], Any],
        params: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Every page of a listing a transform needs, parsed; empty where it is refused."""
        try:
            return [
                parse(Items(raw)) for raw in self.pager.pages(service, path, key, "marker", params)
            ]
        except ListError:
            return []

    def vpn_connections(self, page: Items) -> pd.DataFrame:
        """IPsec site connections with their remote CIDRs: connections that name a peer
        endpoint group need the region's endpoint groups, listed once and only then."""
        from residency.fields import column

        if self.endpoint_groups is None and column(page, "peer_ep_group_id").notna().any():
            # A refused list leaves the remote CIDRs unknown; the peer address is still seen.
            groups = self.listed(
                "network", "/vpn/endpoint-groups", "endpoint_groups", network.endpoint_groups
            )
            self.endpoint_groups = (
                pd.concat(groups, ignore_index=True)
                if groups
                else network.endpoint_groups(Items([]))
            )
        return network.ipsec_site_connections(page, self.name, self.endpoint_groups)

    def servers(self, page: Items) -> pd.DataFrame:
        """Servers with flavor names: below microversion 2.47 Nova gives ``flavor.id``
        alone, and the region's flavors are then listed once to name them."""
        from residency.fields import column

        frame = compute.servers(page, self.name)
        if column(page, "flavor.original_name").notna().any() or frame["flavor"].isna().all():
            return frame
        if self.flavors is None:
            # A refused list leaves the ids as they are: nothing guessed.
            names = self.listed(
                "compute", "/flavors/detail", "flavors", compute.flavor_names, {"is_public": "None"}
            )
            self.flavors = pd.concat(names) if names else pd.Series(dtype=object)
        frame["flavor"] = compute.named_flavors(frame["flavor"], self.flavors).to_numpy()
        return frame

    def container_headers(self, page: Items) -> pd.DataFrame:
        """Each container's storage policy and sync target, from a HEAD per container
        (Swift lists neither); a failed HEAD leaves both null."""
        from residency.fields import column

        names = column(page, "name").tolist()
        rows = []
        for name in names:
            try:
                response = self.pager.get("object_store", f"/{name}", method="HEAD")
                headers = response.headers
                rows.append((headers.get("X-Storage-Policy"), headers.get("X-Container-Sync-To")))
            except ListError:
                rows.append((None, None))
        return pd.DataFrame(rows, columns=["storage_policy", "sync_to"], dtype=object)


class OpenStackCollector:
    """Collects every region of one OpenStack cloud."""

    type_name: ClassVar[str] = "openstack"
    Options: ClassVar[type[BaseModel]] = OpenStackOptions

    def __init__(self, source: str, options: BaseModel) -> None:
        assert isinstance(options, OpenStackOptions)
        self.source = source
        self.options = options

    # -- connection -------------------------------------------------------------------

    def _connect(self) -> Any:
        """openstacksdk's connection for the configured cloud; a cloud missing from
        clouds.yaml is the user's mistake, reported as such."""
        import openstack.config
        import openstack.connection
        import openstack.exceptions
        import openstack.warnings

        # openstacksdk's notes to its own developers (deprecated plugins, future removals)
        # say nothing to a user of residency: they are not shown.
        # keystoneauth and openstacksdk log their retries and fallbacks; without a handler
        # Python would print them on stderr. Failures reach the user as coverage rows.
        for name in ("keystoneauth", "openstack"):
            logger = logging.getLogger(name)
            if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
                logger.addHandler(logging.NullHandler())
        for name in (
            "OpenStackDeprecationWarning",
            "RemovedInSDK50Warning",
            "RemovedInSDK60Warning",
        ):
            category = getattr(openstack.warnings, name, None)  # 4.0 has no RemovedInSDK60Warning
            if category is not None:
                warnings.filterwarnings("ignore", category=category)
        options = self.options
        files = None
        secure = None
        if options.clouds_yaml is not None:
            if not options.clouds_yaml.is_file():
                raise ConfigError(f"clouds_yaml: no such file: {options.clouds_yaml}")
            files = [str(options.clouds_yaml)]
            beside = options.clouds_yaml.with_name("secure.yaml")
            secure = [str(beside)] if beside.is_file() else []
        cloud = options.cloud or os.environ.get("OS_CLOUD")
        if not cloud:
            raise ConfigError(f"source {self.source!r}: no `cloud` given and OS_CLOUD is not set")
        try:
            config = openstack.config.OpenStackConfig(
                config_files=files, secure_files=secure, load_envvars=files is None
            )
            region = config.get_one(cloud=cloud, api_timeout=options.timeout_s)
        except openstack.exceptions.ConfigException as exc:
            raise ConfigError(f"clouds.yaml: cloud {cloud!r}: {exc}") from None
        return openstack.connection.Connection(config=region)

    def _provider(self, conn: Any) -> str | None:
        if self.options.provider:
            return self.options.provider
        auth_url = str((conn.config.config.get("auth") or {}).get("auth_url") or "")
        host = urlsplit(auth_url).hostname
        return match_auth_host(host) if host else None

    # -- collection -------------------------------------------------------------------

    def collect(self, ctx: CollectContext) -> Iterator[Batch]:
        files = self._config_files()
        conn = self._connect()
        coverage: list[dict[str, Any]] = []
        started = time.perf_counter()
        try:
            regions, identity_region, catalog = self._regions(conn)
        except ListError as exc:
            # No token or no catalog: nothing in this cloud was seen. The configuration
            # files are still read (they need no token), without the catalog.
            for kind in KINDS:
                coverage.append(coverage_row(kind, exc.status, 0, started, exc.message))
            yield from self._config(files, [], None, None, coverage, ctx)
            yield coverage_batch(coverage, source=self.source, observed_at=ctx.observed_at)
            conn.close()
            return
        provider = self._provider(conn)
        for region in self.options.regions:
            if region not in regions:
                # A configured region the cloud does not have: everything there is unseen.
                message = f"region {region!r} is not in this cloud's catalog (it has {regions})"
                for kind in KINDS:
                    coverage.append(coverage_row(kind, "error", 0, started, message, region))
        yield from interleave(
            [
                functools.partial(
                    self._collect_region, conn, region, identity_region, provider, coverage, ctx
                )
                for region in regions
            ],
            self.options.concurrency,
            f"os-{self.source}",
        )
        yield from self._config(files, regions, catalog, provider, coverage, ctx)
        conn.close()
        yield coverage_batch(coverage, source=self.source, observed_at=ctx.observed_at)

    def _regions(self, conn: Any) -> tuple[list[str], str | None, pd.DataFrame]:
        """The catalog's regions (and Keystone's region list), the configured subset, the
        region of the identity endpoint, and the catalog itself."""
        import keystoneauth1.exceptions as ksa

        try:
            access = conn.session.auth.get_access(conn.session)
        except ksa.http.Unauthorized as exc:
            raise ListError("forbidden", f"authentication failed: {_line(exc)}") from None
        except ksa.ClientException as exc:
            raise ListError("error", f"authentication failed: {_line(exc)}") from None
        catalog = identity.catalog_endpoints(access.service_catalog.catalog or [])
        catalog = catalog[catalog["region"].notna()]
        found: set[str] = set(catalog["region"])
        public_identity = catalog[
            catalog["service_type"].eq("identity") & catalog["interface"].eq("public")
        ]
        identity_region = public_identity["region"].iloc[0] if len(public_identity) else None
        pager = Pager(lambda _: conn.identity, retries=self.options.retries)
        try:
            for page in pager.pages("identity", "/regions", "regions", "none"):
                found.update(identity.regions(Items(page))["region"].dropna())
        except ListError:
            pass  # the catalog's regions are enough; /v3/regions is a cross-check
        wanted = sorted(found)
        if self.options.regions:
            wanted = [r for r in self.options.regions if r in found]
        if identity_region not in wanted:
            identity_region = wanted[0] if wanted else None
        return wanted, identity_region, catalog

    def _collect_region(
        self,
        conn: Any,
        name: str,
        identity_region: str | None,
        provider: str | None,
        coverage: list[dict[str, Any]],
        ctx: CollectContext,
    ) -> Iterator[Batch]:
        """One region's batches; its coverage rows are appended to ``coverage``."""
        import openstack.connection

        regional = openstack.connection.Connection(
            session=conn.session, region_name=name, identity_api_version="3"
        )
        pager = Pager(
            lambda service: getattr(regional, service),
            page_size=self.options.page_size,
            retries=self.options.retries,
        )
        region = _Region(name, regional, pager)
        yield from self._zones(region, provider, coverage, ctx)
        for resource in RESOURCES:
            if resource.once_per_cloud and name != identity_region:
                continue
            yield from self._collect_resource(resource, region, provider, coverage, ctx)

    def _prepare(self, resource: Resource, region: _Region) -> None:
        """What a kind needs listed first: Octavia listeners, the Swift account."""
        if resource.kind == "load_balancer":
            parts = [
                services.listener_protocols(Items(page))
                for page in region.pager.pages(
                    "load_balancer", "/lbaas/listeners", "listeners", "marker"
                )
            ]
            if parts:
                region.protocols = pd.concat(parts, ignore_index=True)
        if resource.kind == "object_container":
            endpoint = region.conn.object_store.get_endpoint()
            region.account = urlsplit(str(endpoint)).path.rstrip("/").rsplit("/", 1)[-1]

    def _collect_resource(
        self,
        resource: Resource,
        region: _Region,
        provider: str | None,
        coverage: list[dict[str, Any]],
        ctx: CollectContext,
    ) -> Iterator[Batch]:
        started = time.perf_counter()
        rows = 0
        status, error = "ok", None
        params = dict(resource.params)
        headers = dict(resource.headers)
        wide = self.options.all_projects and bool(
            resource.all_projects or resource.all_projects_headers
        )
        if wide:
            params |= resource.all_projects
            headers |= resource.all_projects_headers
        try:
            self._prepare(resource, region)
            while True:
                try:
                    for raw in region.pager.pages(
                        resource.service,
                        resource.path,
                        resource.key,
                        resource.paging,
                        params,
                        headers,
                        resource.microversion,
                    ):
                        page = Items(raw)
                        frame = resource.transform(page, region)
                        frame["provider"] = provider
                        rows += len(frame)
                        yield self._assets(frame, ctx)
                        if resource.flows is not None:
                            declared = resource.flows(page, frame)
                            if len(declared):
                                yield flows_batch(
                                    declared, source=self.source, observed_at=ctx.observed_at
                                )
                        ctx.progress(f"{self.source} {region.name} {resource.kind}", len(frame))
                    break
                except ListError as exc:
                    if not (wide and exc.status == "forbidden" and rows == 0):
                        raise
                    # Every project's list is refused (Nova answers 403 to all_tenants for
                    # a project role): list what the token's own project holds, and keep the
                    # refusal as the coverage status — the other projects stay unseen.
                    wide = False
                    params = dict(resource.params)
                    headers = dict(resource.headers)
                    status = "forbidden"
                    error = (
                        f"{resource.path}: all projects refused ({exc.message}); "
                        "listed the token's project only"
                    )
        except ListError as exc:
            status, error = exc.status, f"{resource.path or '/'}: {exc.message}"
        except _endpoint_errors():
            status, error = "not_found", _no_endpoint(resource.service, region.name)
        coverage.append(coverage_row(resource.kind, status, rows, started, error, region.name))

    def _zones(
        self,
        region: _Region,
        provider: str | None,
        coverage: list[dict[str, Any]],
        ctx: CollectContext,
    ) -> Iterator[Batch]:
        """Nova's and Cinder's availability zones (one small list each, no paging)."""
        started = time.perf_counter()
        parts: list[pd.DataFrame] = []
        outcomes: list[tuple[str, str | None]] = []
        for service, paths in _AZ_PATHS:
            label = "compute" if service == "compute" else "volume"
            for path in paths:
                try:
                    response = region.pager.get(service, path)
                except ListError as exc:
                    if exc.status == "forbidden" and path != paths[-1]:
                        continue
                    outcomes.append((exc.status, f"{path}: {exc.message}"))
                except _endpoint_errors():
                    outcomes.append(("not_found", _no_endpoint(service, region.name)))
                else:
                    items = (response.json() or {}).get("availabilityZoneInfo") or []
                    parts.append(compute.availability_zones(items, region.name, label))
                    outcomes.append(("ok", None))
                break
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(frame):
            frame["provider"] = provider
            yield self._assets(frame, ctx)
        order = ["not_found", "ok", "forbidden", "error"]
        status = max((s for s, _ in outcomes), key=order.index)
        errors = "; ".join(e for _, e in outcomes if e) or None
        coverage.append(
            coverage_row("availability_zone", status, len(frame), started, errors, region.name)
        )

    # -- control-plane configuration files --------------------------------------------

    def _config_files(self) -> list[tuple[Path, str | None, str]]:
        """The configured files, globs expanded, each with its region and its name: the
        path below the pattern's fixed folder (``nova-api/nova.conf`` for
        ``/etc/kolla/*/nova.conf``). A pattern that matches no file is the user's mistake,
        reported before anything is collected."""
        found: list[tuple[Path, str | None, str]] = []
        for number, entry in enumerate(self.options.config_files):
            pattern = os.path.expanduser(str(entry.path))
            parts = Path(pattern).parts
            fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), None)
            base = Path(*parts[:fixed]) if fixed else Path(pattern).parent
            matched = [Path(m) for m in sorted(glob.glob(pattern, recursive=True))]
            files = [m for m in matched if m.is_file()]
            if not files:
                raise ConfigError(
                    f"source {self.source!r}: config_files[{number}]: "
                    f"no file matches {str(entry.path)!r}"
                )
            found.extend((f, entry.region, f.relative_to(base).as_posix()) for f in files)
        return found

    def _config(
        self,
        files: list[tuple[Path, str | None, str]],
        regions: list[str],
        catalog: pd.DataFrame | None,
        provider: str | None,
        coverage: list[dict[str, Any]],
        ctx: CollectContext,
    ) -> Iterator[Batch]:
        """One ``service_config`` asset per file, in its region, and the flows it declares
        (few files: parsed one by one)."""
        if not files:
            return
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        parsed: list[tuple[object, str, Parsed]] = []
        errors: list[str] = []
        for path, configured, name in files:
            region = configured or (regions[0] if len(regions) == 1 else None)
            services_ = _public_urls(catalog, region)
            service, result = config_files.parse_file(path, str(path), services_)
            asset_id = f"config:{self.source}:{region or '-'}:{name}"
            rows.append(
                {
                    "kind": "service_config",
                    "asset_id": asset_id,
                    "name": name,
                    "region": region,
                    "zone": None,
                    "scope": None,
                    "parent_id": None,
                    "host": None,
                    "service": service,
                    "provider": provider,
                }
            )
            parsed.append((asset_id, "OpenStack config", result))
            if service == "unreadable" and result.error is not None:
                errors.append(result.error)
        frame = pd.DataFrame(rows, dtype=object)
        yield self._assets(frame, ctx)
        declared = sink_flows(parsed)
        if len(declared):
            yield flows_batch(declared, source=self.source, observed_at=ctx.observed_at)
        status = "error" if errors else "ok"
        coverage.append(
            coverage_row("service_config", status, len(frame), started, "; ".join(errors) or None)
        )

    def _assets(self, frame: pd.DataFrame, ctx: CollectContext) -> Batch:
        extra = [c for c in frame.columns if c not in _ASSET_COLUMNS]
        return assets_batch(
            frame,
            source=self.source,
            platform="openstack",
            observed_at=ctx.observed_at,
            attributes=extra,
        )


def _public_urls(catalog: pd.DataFrame | None, region: str | None) -> dict[str, str | None]:
    """Service type → public URL in one region's catalog."""
    if catalog is None or region is None:
        return {}
    public = catalog[catalog["interface"].eq("public") & catalog["region"].eq(region)]
    return dict(zip(public["service_type"], public["url"], strict=True))


_ASSET_COLUMNS = frozenset(
    {"kind", "asset_id", "name", "region", "zone", "scope", "parent_id", "host", "provider"}
)


def _endpoint_errors() -> tuple[type[BaseException], ...]:
    import keystoneauth1.exceptions as ksa
    import openstack.exceptions

    return (ksa.EndpointNotFound, ksa.catalog.EmptyCatalog, openstack.exceptions.SDKException)


def _no_endpoint(service: str, region: str) -> str:
    return f"no '{service.replace('_', '-')}' endpoint in region {region}'s catalog"


def _line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]
