"""Looking up host names nothing else places: off by default, each name once, through the
configured nameserver (a real DNS server on 127.0.0.1, dnslib's), and the lookups
themselves recorded as ``dns`` flows."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSServer

from residency import cloudranges
from residency.hostnames import Answer, DnsResolver, parse_nameserver
from residency.sample import generate_estate


def address_in(provider: str, region: str) -> str:
    """The first IPv4 address of one of the packaged cloud ranges of (provider, region)."""
    data = cloudranges.load()
    entries = np.flatnonzero((data.provider == provider) & (data.region == region))
    first = np.flatnonzero(np.isin(data.v4_entry, entries))[0]
    address = str(ipaddress.IPv4Address(int(data.v4_starts[first])))
    found = cloudranges.lookup([address])
    assert (found["provider"][0], found["region"][0]) == (provider, region)
    return address


FRANKFURT = address_in("aws", "eu-central-1")
VIRGINIA = address_in("aws", "us-east-1")
# What the test nameserver answers: names the sample estate's flows use and no catalog knows.
ZONE = {
    "cr.fluentbit.io": [FRANKFURT, "2a05:d014::10"],
    "metrics-adapter.vendor.example": [FRANKFURT],
    "storage.bhs.cloud.ovh.net": [FRANKFURT, VIRGINIA],
}


class Zone(BaseResolver):  # type: ignore[misc]
    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.asked: list[tuple[str, str]] = []

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".")
        qtype = QTYPE[request.q.qtype]
        self.asked.append((name, qtype))
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for address in self.records[name]:
            if qtype == "A" and ":" not in address:
                reply.add_answer(RR(name, QTYPE.A, rdata=A(address), ttl=60))
            if qtype == "AAAA" and ":" in address:
                reply.add_answer(RR(name, QTYPE.AAAA, rdata=AAAA(address), ttl=60))
        return reply


@pytest.fixture
def nameserver() -> Iterator[tuple[Zone, str]]:
    zone = Zone(ZONE)
    server = DNSServer(zone, port=0, address="127.0.0.1")
    server.start_thread()
    try:
        yield zone, f"127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.stop()
        server.server.server_close()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("10.0.0.2:5353", ("10.0.0.2", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_nameservers_are_addresses_with_an_optional_port(
    text: str, parsed: tuple[str, int]
) -> None:
    assert parse_nameserver(text) == parsed


@pytest.mark.parametrize("text", ["dns.google", "10.0.0.2:0", "10.0.0.2:99999", "[::1"])
def test_a_nameserver_that_is_not_an_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"address|range|unclosed"):
        parse_nameserver(text)


def test_the_resolver_asks_each_name_once_and_says_why_when_it_cannot(
    nameserver: tuple[Zone, str],
) -> None:
    zone, address = nameserver
    resolver = DnsResolver([address], timeout_s=2.0)
    names = ["cr.fluentbit.io", "nowhere.example", "cr.fluentbit.io"]
    first = resolver.lookup(names)
    again = resolver.lookup(["cr.fluentbit.io", "nowhere.example"])
    assert first["cr.fluentbit.io"] == Answer((FRANKFURT, "2a05:d014::10"))
    assert first["nowhere.example"] == Answer(error="no such name (NXDOMAIN)")
    assert again == {k: first[k] for k in again}
    assert sorted(zone.asked) == [
        ("cr.fluentbit.io", "A"),
        ("cr.fluentbit.io", "AAAA"),
        ("nowhere.example", "A"),
    ]
    assert resolver.nameservers == [("127.0.0.1", int(address.rsplit(":", 1)[1]))]


def test_an_unanswering_nameserver_times_out_into_an_error() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives, never answers
        resolver = DnsResolver([f"127.0.0.1:{silent.getsockname()[1]}"], timeout_s=0.3)
        answer = resolver.lookup(["cr.fluentbit.io"])["cr.fluentbit.io"]
    assert answer.addresses == ()
    assert answer.error is not None and "timed out" in answer.error


def sweep(
    tmp_path: Path, dns: dict[str, Any] | None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = generate_estate(7, 1.0).config(store="store")
    if dns is not None:
        config["dns"] = dns
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("residency")), "sweep", "-c", "residency.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return run, tmp_path / "store"


def flows_of(store: Path) -> pd.DataFrame:
    return pd.read_parquet(next(store.glob("sweep_id=*/flows.parquet")))


def test_dns_is_off_by_default_and_nothing_is_asked(
    nameserver: tuple[Zone, str], tmp_path: Path
) -> None:
    zone, _ = nameserver
    run, store = sweep(tmp_path, None)
    assert run.returncode == 1, run.stderr
    flows = flows_of(store)
    assert not flows["asset_id"].eq("residency:dns-lookup").any()
    adapter = flows[flows["host"].eq("metrics-adapter.vendor.example")]
    assert len(adapter) and adapter["ip"].isna().all()
    assert set(adapter["resolution_basis"]) == {"unknown"}
    assert zone.asked == []


def test_a_sweep_looks_up_only_unplaced_names_and_records_the_lookups(
    nameserver: tuple[Zone, str], tmp_path: Path
) -> None:
    zone, address = nameserver
    run, store = sweep(tmp_path, {"resolve": True, "nameservers": [address]})
    assert run.returncode == 1, run.stderr
    flows = flows_of(store)
    # Each name once (A, then AAAA where A answered), however many flows name it; names a
    # catalog already places (datadoghq.com, amazonaws.com, the estate's own) never leave.
    asked = pd.Series([name for name, _ in zone.asked])
    assert asked.value_counts().max() <= 2
    assert not asked.str.contains("datadoghq|amazonaws|nordlys.example|letsencrypt").any()
    adapter = flows[flows["host"].eq("metrics-adapter.vendor.example")]
    assert len(adapter) >= 1
    assert set(adapter["ip"]) == {FRANKFURT}
    assert set(adapter["resolution_basis"]) == {"cloud_ip_range"}
    assert set(adapter["dest_country"]) == {"DE"}
    assert set(adapter["operator_jurisdiction"]) == {"US"}
    assert adapter["evidence"].str.contains(f"DNS via {address}: {FRANKFURT}").all()
    assert adapter["evidence"].str.contains("cloud_ip_range: aws eu-central-1").all()
    # Two addresses in two places: neither is taken, the flow stays unknown and says why.
    split = flows[flows["host"].eq("storage.bhs.cloud.ovh.net")]
    assert len(split) and split["ip"].isna().all()
    assert set(split["resolution_basis"]) == {"unknown"}
    assert split["evidence"].str.contains("2 addresses in several places").all()
    # The lookups are flows: per source, to the nameserver, and the loopback nameserver of
    # a sweep whose own place is unknown cannot be placed.
    lookups = flows[flows["asset_id"].eq("residency:dns-lookup")]
    assert set(lookups["source"]) == {"kube-prod", "nordlys"}
    assert set(lookups["endpoint"]) == {f"dns://{address}"}
    assert set(lookups["channel"].astype(str)) == {"dns"}
    assert lookups["evidence"].str.contains("host name").all()
    findings = pd.read_parquet(next(store.glob("sweep_id=*/findings.parquet")))
    about = findings[findings["subject_id"].str.startswith("residency:dns-lookup", na=False)]
    assert set(about["status"].astype(str)) == {"unknown"}


def test_a_bad_nameserver_is_one_line_and_no_sweep(tmp_path: Path) -> None:
    run, store = sweep(tmp_path, {"resolve": True, "nameservers": ["dns.google"]})
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "dns.nameservers" in lines[0] and "dns.google" in lines[0]
    assert "Traceback" not in run.stderr
    assert not list(store.glob("sweep_id=*/manifest.json"))


class Fixed:
    """An injected resolver: the sweep takes anything with this shape."""

    nameservers: Sequence[tuple[str, int]] = [("192.0.2.53", 53)]
    configured_in = "a test"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def lookup(self, hosts: Sequence[str]) -> dict[str, Answer]:
        self.asked.extend(hosts)
        return {h: Answer(("10.20.30.40",)) for h in hosts}


def test_a_resolver_can_be_injected(tmp_path: Path) -> None:
    from residency.config import load_config
    from residency.sweep import run_sweep

    config = generate_estate(7, 1.0).config(store="store")
    config["dns"] = {"resolve": True}
    path = tmp_path / "residency.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    fixed = Fixed()
    outcome = run_sweep(load_config(path), path.name, dns=fixed)
    assert "metrics-adapter.vendor.example" in fixed.asked
    assert len(fixed.asked) == len(set(fixed.asked))
    flows = flows_of(Path(outcome.folder).parent)
    # A private answer is internal: the place of the flow's own source asset.
    adapter = flows[flows["host"].eq("metrics-adapter.vendor.example")]
    assert set(adapter["resolution_basis"]) == {"internal"}
    assert adapter["dest_country"].notna().all()
    lookups = flows[flows["asset_id"].eq("residency:dns-lookup")]
    assert set(lookups["endpoint"]) == {"dns://192.0.2.53:53"}
    assert lookups["evidence"].str.contains("(a test)", regex=False).all()
