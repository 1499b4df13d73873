"""Host names to addresses, for flows nothing else can place — off unless asked for.

A flow to ``collector.example.net`` that no catalog knows stays ``unknown`` unless the host
is looked up: its addresses can then be placed by the estate's own addresses, the cloud
ranges and IP geolocation. Looking names up is itself a data flow (the estate's host names go
to a nameserver), so it is off by default (``dns.resolve: false``), it asks only for the
names still unplaced, each name once per sweep, and every nameserver used becomes a ``dns``
flow of the sweep, evaluated like any other.

:class:`DnsResolver` asks the configured nameservers (``dns.nameservers``), or the system's
(``/etc/resolv.conf``), with dnspython; anything with a :class:`HostResolver`'s shape can be
injected instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from residency.endpoints import canonical_ip
from residency.errors import ConfigError

__all__ = ["Answer", "DnsResolver", "HostResolver", "dns_pass", "parse_nameserver"]

_WORKERS: Final = 16


@dataclass(frozen=True)
class Answer:
    """A name's addresses (A then AAAA, each sorted), or why there are none."""

    addresses: tuple[str, ...] = ()
    error: str | None = None


class HostResolver(Protocol):
    """What a sweep needs of a resolver: its nameservers (``ip``, ``port``), where they were
    configured, and the answers for a batch of names."""

    nameservers: Sequence[tuple[str, int]]
    configured_in: str

    def lookup(self, hosts: Sequence[str]) -> dict[str, Answer]: ...


def parse_nameserver(text: str) -> tuple[str, int]:
    """``10.0.0.2``, ``10.0.0.2:5353``, ``2001:db8::53`` or ``[2001:db8::53]:53``."""
    value = text.strip()
    host, port = value, 53
    if value.startswith("["):
        if "]" not in value:
            raise ValueError("unclosed [")
        host, _, rest = value[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif value.count(":") == 1:
        host, _, tail = value.partition(":")
        port = int(tail)
    ipaddress.ip_address(host)  # a nameserver is an address: a name would need DNS itself
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return host, port


class DnsResolver:
    """dnspython's stub resolver, with an answer cache for the sweep (each name is asked
    once) and the lookups of a batch made concurrently."""

    def __init__(self, nameservers: Sequence[str] = (), timeout_s: float = 2.0) -> None:
        import dns.resolver

        if nameservers:
            servers = []
            for number, text in enumerate(nameservers):
                try:
                    servers.append(parse_nameserver(text))
                except ValueError as exc:
                    raise ConfigError(
                        f"dns.nameservers[{number}]: {text!r} is not an address[:port] ({exc})"
                    ) from None
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [ip for ip, _ in servers]
            resolver.nameserver_ports = dict(servers)
            self.configured_in = "residency.yaml dns.nameservers"
        else:
            try:
                resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise ConfigError(
                    f"dns.resolve is on but the system has no resolver configuration ({exc}); "
                    "set dns.nameservers"
                ) from None
            port = int(resolver.port)
            servers = [(str(ns), port) for ns in resolver.nameservers]
            self.configured_in = "/etc/resolv.conf"
        resolver.timeout = timeout_s
        resolver.lifetime = timeout_s
        self._resolver = resolver
        self.nameservers: Sequence[tuple[str, int]] = servers
        self._cache: dict[str, Answer] = {}

    def lookup(self, hosts: Sequence[str]) -> dict[str, Answer]:
        wanted = [h for h in dict.fromkeys(hosts) if h not in self._cache]
        if wanted:
            with ThreadPoolExecutor(min(_WORKERS, len(wanted))) as pool:
                for host, answer in zip(wanted, pool.map(self._ask, wanted), strict=True):
                    self._cache[host] = answer
        return {h: self._cache[h] for h in hosts}

    def _ask(self, host: str) -> Answer:
        import dns.exception
        import dns.resolver

        addresses: list[str] = []
        errors: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer: Any = self._resolver.resolve(host, rdtype, search=False)
            except dns.resolver.NXDOMAIN:
                return Answer(error="no such name (NXDOMAIN)")
            except dns.resolver.NoAnswer:
                continue
            except dns.resolver.NoNameservers as exc:
                errors.append(f"no nameserver answered ({_first_line(exc)})")
                continue
            except dns.exception.Timeout:
                errors.append("timed out")
                continue
            except dns.exception.DNSException as exc:
                errors.append(_first_line(exc))
                continue
            addresses.extend(sorted(str(record.address) for record in answer))
        if addresses:
            return Answer(tuple(addresses))
        return Answer(error="; ".join(dict.fromkeys(errors)) or "no address records")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- a sweep's DNS pass ---------------------------------------------------------------------

_RESOLVER_ASSET: Final = "residency:dns-lookup"


def _is_address(values: pd.Series) -> npt.NDArray[np.bool_]:
    """Whether each host text is an IP address (a few distinct values: parsed once each)."""
    codes, distinct = pd.factorize(values.astype(str))
    parsed = [canonical_ip(t.strip("[]")) is not None for t in distinct]
    return np.array(parsed, dtype=bool)[codes]


def dns_pass(
    flows: pd.DataFrame,
    first: pd.DataFrame,
    resolver: HostResolver,
    place: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """``flows`` (a sweep's stored flows) with addresses filled in for the host names that
    the first resolution (``first``, aligned, with ``resolution_basis``) left ``unknown``,
    each lookup's outcome appended to the evidence, and one ``dns`` flow per source and
    nameserver for the lookups themselves.

    A name whose addresses ``place`` (resolution of address-only flows) puts in more than
    one place keeps no address: picking one could pass a flow whose other addresses are
    outside. ``place`` gets a frame with ``host``, ``ip`` and ``endpoint`` columns.
    """
    host = flows["host"].astype(object)
    ip = flows["ip"].astype(object) if "ip" in flows else pd.Series(None, index=flows.index)
    unplaced = (
        first["resolution_basis"].eq("unknown").to_numpy()
        & host.notna().to_numpy()
        & ip.isna().to_numpy()
    )
    if not unplaced.any():
        return flows
    candidates = np.flatnonzero(unplaced)
    names = host.iloc[candidates]
    candidates = candidates[~_is_address(names)]
    if not len(candidates):
        return flows
    wanted = sorted(set(host.iloc[candidates].str.lower().str.rstrip(".")))
    answers = resolver.lookup(wanted)
    table = pd.DataFrame(
        {
            "name": wanted,
            "addresses": [answers[n].addresses for n in wanted],
            "error": [answers[n].error for n in wanted],
        }
    )
    chosen, note = _agreeing_address(table, place)
    via = ", ".join(f"{ns}:{port}" if port != 53 else ns for ns, port in resolver.nameservers)
    out = flows.copy()
    keys = host.iloc[candidates].str.lower().str.rstrip(".")
    looked = pd.DataFrame({"name": keys.to_numpy()}).merge(
        pd.DataFrame({"name": wanted, "ip": chosen, "note": note}), on="name", how="left"
    )
    ips = out["ip"].astype(object).to_numpy(copy=True)
    ips[candidates] = looked["ip"].to_numpy(dtype=object)
    out["ip"] = ips
    evidence = out["evidence"].astype(object).to_numpy(copy=True)
    evidence[candidates] = (
        pd.Series(evidence[candidates], dtype=object).astype(str)
        + f"; DNS via {via}: "
        + looked["note"].astype(str)
    ).to_numpy(dtype=object)
    out["evidence"] = evidence
    asked = pd.DataFrame(
        {"source": out["source"].astype(object).to_numpy()[candidates], "name": keys.to_numpy()}
    ).drop_duplicates()
    return pd.concat([out, _resolver_flows(out, asked, resolver)], ignore_index=True)


def _agreeing_address(
    table: pd.DataFrame, place: Callable[[pd.DataFrame], pd.DataFrame]
) -> tuple[list[str | None], list[str]]:
    """Per name: the address to keep (the first, when all its addresses are in one place)
    and the note for the evidence."""
    exploded = table[["name", "addresses"]].explode("addresses").dropna(subset=["addresses"])
    agree: dict[Any, bool] = {}
    places: dict[Any, str] = {}
    if len(exploded):
        frame = pd.DataFrame(
            {"host": None, "ip": exploded["addresses"].to_numpy(), "endpoint": None},
            dtype=object,
        )
        placed = place(frame)
        spot = (
            placed["dest_country"].fillna("?").astype(str)
            + "/"
            + placed["operator_jurisdiction"].fillna("?").astype(str)
        )
        grouped = pd.Series(spot.to_numpy(), index=exploded["name"].to_numpy()).groupby(level=0)
        agree = grouped.nunique().eq(1).to_dict()
        places = grouped.agg(lambda s: ", ".join(sorted(set(s)))).to_dict()
    chosen: list[str | None] = []
    notes: list[str] = []
    for name, addresses, error in table.itertuples(index=False, name=None):
        if error is not None:
            chosen.append(None)
            notes.append(error)
        elif agree.get(name, False):
            chosen.append(addresses[0])
            more = f" (+{len(addresses) - 1} more in the same place)" if len(addresses) > 1 else ""
            notes.append(f"{addresses[0]}{more}")
        else:
            chosen.append(None)
            notes.append(
                f"{len(addresses)} addresses in several places ({places.get(name, '?')}): "
                "none is taken"
            )
    return chosen, notes


def _resolver_flows(
    flows: pd.DataFrame, asked: pd.DataFrame, resolver: HostResolver
) -> pd.DataFrame:
    """One ``dns`` flow per (source, nameserver): the sweep sent that source's host names
    there. The sweep is no collected asset, so where it runs is not known: a nameserver on
    a private address cannot be placed (``unknown``), a public one is placed like any."""
    from residency.kinds import CHANNELS

    per_source = asked.groupby("source", sort=True)["name"].agg(list)
    rows = []
    now = pd.Timestamp.now(tz="UTC")
    sweep_id = flows["sweep_id"].iloc[0] if "sweep_id" in flows and len(flows) else None
    for source, names in per_source.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        for ip, port in resolver.nameservers:
            authority = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
            rows.append(
                {
                    "sweep_id": sweep_id,
                    "source": source,
                    "observed_at": now,
                    "asset_id": _RESOLVER_ASSET,
                    "basis": "observed",
                    "channel": "dns",
                    "data_classes": list(CHANNELS["dns"]),
                    "endpoint": f"dns://{authority}",
                    "host": None,
                    "ip": ip,
                    "port": port,
                    "evidence": f"this sweep looked up {len(names)} host name(s) of "
                    f"{source}'s flows ({shown}) at nameserver {authority} "
                    f"({resolver.configured_in})",
                }
            )
    extra = pd.DataFrame(rows)
    return extra[[c for c in flows.columns if c in extra.columns]]
