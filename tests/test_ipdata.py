"""IP → country and AS: the build from CSVs, the vectorised lookup, the refresh command.

Nothing here downloads anything: CSVs are written by the tests, and the packaged tables are
checked against rows quoted from the CSVs they were built from.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from residency import ipdata
from residency.cli import app
from residency.errors import DataError

# Rows of the fixture CSVs (inclusive ranges), with the answers they imply.
COUNTRY_V4 = [
    ("1.0.0.0", "1.0.0.255", "AU"),
    ("1.0.1.0", "1.0.3.255", "CN"),
    ("9.255.255.0", "10.0.0.255", "US"),  # runs into 10.0.0.0/8: that part is private
    ("193.0.0.0", "193.0.23.255", "NL"),
    ("255.255.255.0", "255.255.255.254", "ZZ"),  # reserved (240/4): never a country
]
ASN_V4 = [
    ("1.0.0.0", "1.0.0.255", "13335", "Cloudflare, Inc."),
    ("1.0.2.0", "1.0.2.127", "4134", "Chinanet"),
    ("193.0.0.0", "193.0.7.255", "3333", "RIPE NCC"),
    ("193.0.4.0", "193.0.9.255", "3334", "Overlap Inc."),  # overlaps: the later range wins
]
COUNTRY_V6 = [
    ("2001:67c:2e8::", "2001:67c:2e8:ffff:ffff:ffff:ffff:ffff", "NL"),
    ("2001:db8::", "2001:db8::ffff", "US"),  # documentation block: no place
    ("2a00:1450::", "2a00:1450:4001:ffff::", "DE"),  # not /64-aligned at its end
]
ASN_V6 = [
    ("2001:67c:2e8::", "2001:67c:2e8:ffff:ffff:ffff:ffff:ffff", "3333", "RIPE NCC"),
    ("2a00:1450::", "2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff", "15169", "Google LLC"),
]


def write_csvs(folder: Path, rows: dict[str, list[tuple[str, ...]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in rows.items():
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(lines)
    return folder


def fixture_rows() -> dict[str, list[tuple[str, ...]]]:
    return {
        "dbip-country-ipv4.csv": COUNTRY_V4,
        "dbip-country-ipv6.csv": COUNTRY_V6,
        "asn-ipv4.csv": ASN_V4,
        "asn-ipv6.csv": ASN_V6,
    }


@pytest.fixture
def use_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Point lookups at a data folder (as ``residency data refresh`` leaves it)."""

    def use(folder: Path) -> None:
        monkeypatch.setenv("RESIDENCY_DATA_DIR", str(folder))
        ipdata.clear_cache()

    yield use
    ipdata.clear_cache()


@pytest.fixture
def small(tmp_path: Path, use_data: Any) -> Path:
    data = tmp_path / "data"
    ipdata.build([write_csvs(tmp_path / "csv", fixture_rows())], data / "ipdata")
    use_data(data)
    return data


def answers(addresses: list[Any]) -> list[tuple[Any, Any, Any]]:
    frame = ipdata.lookup(addresses)
    return [
        (c, None if pd.isna(a) else int(a), o)
        for c, a, o in zip(frame["country"], frame["asn"], frame["as_org"], strict=True)
    ]


def test_known_ranges_resolve_exactly(small: Path) -> None:
    assert ipdata.load().path == small / "ipdata"
    assert answers(
        [
            "1.0.0.0",
            "1.0.0.255",
            "1.0.1.0",
            "1.0.2.127",
            "1.0.2.128",
            "1.0.4.0",
            "9.255.255.1",
            "10.0.0.1",
            "193.0.3.255",
            "193.0.4.0",
            "193.0.9.255",
            "193.0.10.0",
            "255.255.255.1",
        ]
    ) == [
        ("AU", 13335, "Cloudflare, Inc."),
        ("AU", 13335, "Cloudflare, Inc."),
        ("CN", None, None),
        ("CN", 4134, "Chinanet"),
        ("CN", None, None),
        (None, None, None),
        ("US", None, None),
        (None, None, None),
        ("NL", 3333, "RIPE NCC"),
        ("NL", 3334, "Overlap Inc."),
        ("NL", 3334, "Overlap Inc."),
        ("NL", None, None),
        (None, None, None),
    ]


def test_ipv6_and_ipv4_mapped(small: Path) -> None:
    assert answers(
        [
            "2001:67c:2e8::1",
            "2001:67C:2E8:FFFF::",
            "2a00:1450:4001:ffff::",
            "2a00:1450:4001:ffff::1",
            "2001:db8::1",
            "::ffff:1.0.0.7",
            "::ffff:10.0.0.1",
            "fe80::1%eth0",
        ]
    ) == [
        ("NL", 3333, "RIPE NCC"),
        ("NL", 3333, "RIPE NCC"),
        ("DE", 15169, "Google LLC"),
        (None, 15169, "Google LLC"),
        (None, None, None),
        ("AU", 13335, "Cloudflare, Inc."),
        (None, None, None),
        (None, None, None),
    ]


def test_series_keeps_its_index_and_dtypes(small: Path) -> None:
    result = ipdata.lookup(pd.Series(["1.0.0.1", "2001:67c:2e8::1"], index=[7, 3]))
    assert list(result.index) == [7, 3]
    assert list(result.columns) == ["country", "asn", "as_org"]
    assert str(result["asn"].dtype) == "Int64"
    assert ipdata.lookup([]).empty


MALFORMED = [
    None,
    float("nan"),
    5,
    b"\xff",
    "",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.04",
    "256.0.0.1",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1..2.3",
    "1.2.3.",
    "1.2.3.4/24",
    "1.0.0\x00.1",
    "１.0.0.1",
    "é",
    "1.0.0.1" * 10,
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "::ffff:999.1.1.1",
    "2001:67c:2e8::1" + "0" * 40,
    "localhost",
]


def test_malformed_strings_resolve_to_nothing_without_raising(small: Path) -> None:
    assert answers(MALFORMED) == [(None, None, None)] * len(MALFORMED)
    # … and do not disturb the valid addresses around them.
    assert answers(["bad", "1.0.0.1", "1:2", "2001:67c:2e8::1"])[1::2] == [
        ("AU", 13335, "Cloudflare, Inc."),
        ("NL", 3333, "RIPE NCC"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.: x", max_size=18))
def test_ipv4_parser_agrees_with_ipaddress(text: str) -> None:
    address, ok = ipdata.parse_ipv4([text])
    try:
        expected: int | None = int(ipaddress.IPv4Address(text))
    except ValueError:
        expected = None
    assert (int(address[0]) if ok[0] else None) == expected


# --------------------------------------------------------------------------- errors


def test_build_errors_name_the_file_and_line(tmp_path: Path) -> None:
    rows = fixture_rows()
    cases = {
        "extra field": (
            "dbip-country-ipv4.csv",
            [*COUNTRY_V4[:2], ("1.0.4.0", "1.0.4.9", "AU", "x")],
        ),
        "bad address": ("asn-ipv4.csv", [ASN_V4[0], ("1.0.2.0", "1.0.2.300", "1", "x")]),
        "unsorted": ("dbip-country-ipv4.csv", [COUNTRY_V4[1], COUNTRY_V4[0]]),
        "bad country": ("dbip-country-ipv6.csv", [("2001:67c::", "2001:67c::1", "nl")]),
        "bad asn": ("asn-ipv6.csv", [("2001:67c::", "2001:67c::1", "AS3333", "x")]),
        "missing field": ("dbip-country-ipv4.csv", [COUNTRY_V4[0], ("1.0.1.0", "1.0.1.9")]),
    }
    expected = {
        "extra field": "dbip-country-ipv4.csv: malformed CSV: Error tokenizing data. C error: Expected 3 fields in line 3, saw 4",
        "bad address": "asn-ipv4.csv: line 2: bad ipv4 address in end: '1.0.2.0,1.0.2.300,1,x'",
        "unsorted": "dbip-country-ipv4.csv: line 2: range not after the previous one (unsorted or nested): '1.0.0.0,1.0.0.255,AU'",
        "bad country": "dbip-country-ipv6.csv: line 1: country is not an ISO 3166-1 alpha-2 code",
        "bad asn": "asn-ipv6.csv: line 1: AS number is not a number",
        "missing field": "dbip-country-ipv4.csv: line 2: country is empty",
    }
    for case, (name, lines) in cases.items():
        folder = write_csvs(tmp_path / case, rows | {name: lines})
        with pytest.raises(DataError) as caught:
            ipdata.build([folder], tmp_path / "out")
        assert str(caught.value).startswith(f"{folder / name}: "), case
        assert expected[case] in str(caught.value), case
    three = write_csvs(tmp_path / "three", rows)
    (three / "asn-ipv6.csv").unlink()
    with pytest.raises(DataError, match=r"missing asn-ipv6\.csv in"):
        ipdata.build([three], tmp_path / "out")


def test_build_reads_npm_tarballs(tmp_path: Path, use_data: Any) -> None:
    import tarfile

    folder = write_csvs(tmp_path / "package", fixture_rows())
    (folder / "package.json").write_text(
        '{"name": "@ip-location-db/test", "version": "2.3.2026010112", "license": "CC-BY-4.0"}'
    )
    tarball = tmp_path / "test.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(folder, arcname="package")
    meta = ipdata.build([tarball], tmp_path / "data" / "ipdata")
    assert {s["version"] for s in meta["sources"]} == {"2.3.2026010112"}
    assert {s["data_date"] for s in meta["sources"]} == {"2026-01-01"}
    use_data(tmp_path / "data")
    assert answers(["1.0.0.1"]) == [("AU", 13335, "Cloudflare, Inc.")]


# --------------------------------------------------------------------------- the CLI


def test_refresh_as_a_user_runs_it(tmp_path: Path, use_data: Any) -> None:
    csvs = write_csvs(tmp_path / "csv", fixture_rows())
    data = tmp_path / "home-data"
    script = Path(sys.executable).parent / "residency"
    env = {**os.environ, "RESIDENCY_DATA_DIR": str(data)}
    done = subprocess.run(
        [str(script), "data", "refresh", "--from", str(csvs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {data / 'ipdata'}: " in " ".join(done.stdout.split())
    use_data(data)
    assert ipdata.load().path == data / "ipdata"
    assert answers(["1.0.0.1", "193.0.5.1"]) == [
        ("AU", 13335, "Cloudflare, Inc."),
        ("NL", 3334, "Overlap Inc."),
    ]
    looked_up = subprocess.run(
        [str(script), "data", "lookup", "193.0.5.1"], capture_output=True, text=True, env=env
    )
    assert "Overlap Inc." in looked_up.stdout


def test_refresh_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = write_csvs(
        tmp_path / "bad",
        fixture_rows() | {"asn-ipv4.csv": [ASN_V4[0], ("1.0.2.0", "x", "1", "y")]},
    )
    runner = CliRunner()
    for args, message in [
        (["--from", str(tmp_path / "nowhere")], f"{tmp_path / 'nowhere'}: no such file"),
        (["--from", str(bad)], f"{bad / 'asn-ipv4.csv'}: line 2: bad ipv4 address in end"),
    ]:
        result = runner.invoke(app, ["data", "refresh", *args, "--out", str(tmp_path / "o")])
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(" ".join(lines).split("error: ")) == 2, lines
        assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- agreement


def random_table(rng: random.Random, bits: int, n: int, value: Any) -> list[tuple[int, int, Any]]:
    """``n`` sorted ranges, disjoint except for a few partial overlaps, with gaps between."""
    points = sorted({rng.randrange(1, 2**bits - 1) for _ in range(2 * n)})[: 2 * (n - 1)]
    rows = []
    for start, end in zip(points[0::2], points[1::2], strict=True):
        if rows and rng.random() < 0.05 and rows[-1][1] < end:  # overlap the previous range
            start = rng.randint(rows[-1][0] + 1, rows[-1][1])
        rows.append((start, end, value(rng)))
    return rows


def reference(rows: list[tuple[int, int, Any]], reserved: list[Any], text: Any) -> Any:
    """The answer by bisect over the CSV rows: the last range starting ≤ x, if it covers x."""
    if not isinstance(text, str):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if any(address in net for net in reserved):
        return None
    x = int(address)
    i = bisect.bisect_right([r[0] for r in rows], x) - 1
    return rows[i][2] if i >= 0 and x <= rows[i][1] else None


def test_lookup_agrees_with_bisect_on_10k_random_addresses(tmp_path: Path, use_data: Any) -> None:
    rng = random.Random(6)
    codes = ["AT", "DE", "FR", "US", "CN", "NA"]  # NA (Namibia) must stay a code
    tables = {}
    csv_rows: dict[str, list[tuple[str, ...]]] = {}
    for family, bits, cls in (
        ("ipv4", 32, ipaddress.IPv4Address),
        ("ipv6", 128, ipaddress.IPv6Address),
    ):
        country = random_table(rng, bits, 1500, lambda r: r.choice(codes))
        asn = random_table(rng, bits, 1500, lambda r: r.randrange(1, 2**32))
        tables[family] = (country, asn)
        csv_rows[f"dbip-country-{family}.csv"] = [
            (str(cls(s)), str(cls(e)), c) for s, e, c in country
        ]
        csv_rows[f"asn-{family}.csv"] = [
            (str(cls(s)), str(cls(e)), str(a), f"AS{a}, org") for s, e, a in asn
        ]
    ipdata.build([write_csvs(tmp_path / "csv", csv_rows)], tmp_path / "data" / "ipdata")
    use_data(tmp_path / "data")

    samples: list[Any] = []
    for family, bits, cls in (
        ("ipv4", 32, ipaddress.IPv4Address),
        ("ipv6", 128, ipaddress.IPv6Address),
    ):
        edges = [
            x + d
            for s, e, _ in tables[family][0] + tables[family][1]
            for x in (s, e)
            for d in (-1, 0, 1)
        ]
        for _ in range(4000 if family == "ipv4" else 1000):
            x = rng.choice(edges) if rng.random() < 0.5 else rng.randrange(2**bits)
            samples.append(str(cls(min(max(x, 0), 2**bits - 1))))
    samples += [str(ipaddress.ip_network(n)[1]) for n in ipdata.RESERVED_V4 + ipdata.RESERVED_V6]
    samples += [rng.choice(MALFORMED) for _ in range(10_000 - len(samples))]
    rng.shuffle(samples)

    reserved = [ipaddress.ip_network(n) for n in ipdata.RESERVED_V4 + ipdata.RESERVED_V6]
    result = ipdata.lookup(np.array(samples, dtype=object))
    for i, text in enumerate(samples):
        family = "ipv6" if isinstance(text, str) and ":" in text else "ipv4"
        country_rows, asn_rows = tables[family]
        assert result["country"].iloc[i] == reference(country_rows, reserved, text), text
        want_asn = reference(asn_rows, reserved, text)
        got_asn = result["asn"].iloc[i]
        assert (None if pd.isna(got_asn) else int(got_asn)) == want_asn, text
        assert result["as_org"].iloc[i] == (None if want_asn is None else f"AS{want_asn}, org")


# --------------------------------------------------------------------------- packaged data

# Rows of the CSVs the packaged tables were built from (see regions/ipdata/ipdata.json):
# dbip-country-ipv4.csv / asn-ipv4.csv / dbip-country-ipv6.csv / asn-ipv6.csv, with line numbers.
PACKAGED = {
    # address: (country row, asn row)
    "1.0.0.1": ("1: 1.0.0.0,1.0.0.255,AU", '1: 1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."'),
    "8.8.8.8": ("8965: 8.7.245.0,8.8.235.255,US", "5321: 8.8.8.0,8.8.8.255,15169,Google LLC"),
    "9.9.9.9": ("9420: 8.255.194.0,9.9.9.255,US", "7341: 9.9.9.0,9.9.9.255,19281,Quad9"),
    "193.0.6.139": (
        "279962: 193.0.0.0,193.0.23.255,NL",
        "308098: 193.0.0.0,193.0.7.255,3333,Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
    ),
    "194.0.0.53": (
        "288964: 194.0.0.0,194.0.0.255,DE",
        "318589: 194.0.0.0,194.0.0.255,31529,DENIC eG",
    ),
    "2001:67c:2e8::1": (
        "21218: 2001:67c:2e8::,2001:67c:2e8:ffff:ffff:ffff:ffff:ffff,NL",
        "6887: 2001:67c:2e8::,2001:67c:2e8:ffff:ffff:ffff:ffff:ffff,3333,Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
    ),
    "2001:4860:4860::8888": (
        "82629: 2001:4860:4806::,2001:4860:96ff:ffff:ffff:ffff:ffff:ffff,CA",
        "17112: 2001:4860:480d::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC",
    ),
}


@pytest.fixture
def packaged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ipdata.IpData]:
    monkeypatch.setenv("RESIDENCY_DATA_DIR", str(tmp_path / "no-refresh"))
    ipdata.clear_cache()
    yield ipdata.load()
    ipdata.clear_cache()


def test_packaged_data_answers_as_its_csv_rows(packaged: ipdata.IpData) -> None:
    sources = {s["file"]: s for s in packaged.metadata["sources"]}
    assert {s["name"]: s["version"] for s in sources.values()} == ipdata.PACKAGES
    result = ipdata.lookup(list(PACKAGED))
    for (address, (country_row, asn_row)), row in zip(
        PACKAGED.items(), result.itertuples(index=False), strict=True
    ):
        start, end, country = country_row.split(": ", 1)[1].split(",")
        assert (
            ipaddress.ip_address(start)
            <= ipaddress.ip_address(address)
            <= ipaddress.ip_address(end)
        )
        start, end, asn, org = next(csv.reader([asn_row.split(": ", 1)[1]]))
        assert (
            ipaddress.ip_address(start)
            <= ipaddress.ip_address(address)
            <= ipaddress.ip_address(end)
        )
        assert (row.country, int(row.asn), row.as_org) == (country, int(asn), org), address


def test_packaged_data_private_and_reserved_have_no_place(packaged: ipdata.IpData) -> None:
    private = [
        "0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.1.1", "172.16.5.4",
        "192.0.2.1", "192.168.1.1", "198.18.0.1", "203.0.113.9", "224.0.0.251",
        "255.255.255.255", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
        "2001:db8::1", "64:ff9b::1.2.3.4", "::ffff:192.168.0.1",
    ]  # fmt: skip
    assert answers(private) == [(None, None, None)] * len(private)


def test_packaged_lookup_agrees_with_bisect_on_its_own_arrays(packaged: ipdata.IpData) -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(0, 2**32, 10_000, dtype=np.uint64).astype(np.uint32)
    text = [str(ipaddress.IPv4Address(int(v))) for v in x]
    starts = packaged.v4_starts.tolist()
    want = [
        packaged.countries[packaged.v4_country[bisect.bisect_right(starts, int(v)) - 1]] for v in x
    ]
    assert ipdata.lookup(text)["country"].tolist() == want
    assert len(packaged.countries) <= 256 and packaged.v4_starts[0] == 0
    assert (np.diff(packaged.v4_starts.astype(np.int64)) > 0).all()
    assert (packaged.v6_starts[1:] > packaged.v6_starts[:-1]).all()


def test_arrow_backed_series_read_from_buffers_agree(small: Path) -> None:
    texts = ["1.0.0.1", "2001:67c:2e8::1", None, "193.0.5.1", "é1.0.0.1", "::ffff:1.0.0.7"]
    texts += [m for m in MALFORMED if isinstance(m, str)]
    series = pd.Series(texts * 3, dtype="str")[5:]  # a slice: the buffers start at an offset
    assert isinstance(series.array, pd.arrays.ArrowStringArray)
    through_arrow = ipdata.lookup(series)
    as_objects = ipdata.lookup(pd.Series(series.to_list(), index=series.index, dtype=object))
    pd.testing.assert_frame_equal(through_arrow, as_objects)
    assert through_arrow["as_org"].iloc[0] == "Cloudflare, Inc."  # ::ffff:1.0.0.7
    assert set(through_arrow.loc[series == "193.0.5.1", "as_org"]) == {"Overlap Inc."}
    assert through_arrow.loc[series.isna() | series.str.startswith("é"), "country"].isna().all()


def test_other_input_shapes(small: Path) -> None:
    cloudflare = ("AU", 13335, "Cloudflare, Inc.")
    assert answers(pd.Series([None, None], dtype="str").to_list()) == [(None, None, None)] * 2
    assert ipdata.lookup(pd.Series([None, None], dtype="str"))["country"].isna().all()
    assert answers(["1.0.0.1", "a\nb", "1.0.0.1"]) == [cloudflare, (None, None, None), cloudflare]
    assert answers(np.array(["1.0.0.1", "::1"])) == [cloudflare, (None, None, None)]
    category = ipdata.lookup(pd.Series(["1.0.0.1"] * 2, dtype="category"))
    assert category["as_org"].tolist() == ["Cloudflare, Inc."] * 2


# --------------------------------------------------------------------------- bulk parsing paths

# Text that a lookup reads in bulk (hex digits and colons) or hands to inet_pton (the rest),
# next to what inet_pton makes of it: every path must answer as inet_pton does.
IPV6_EDGES = [
    "::", "::1", "1::", "::ffff:1.0.0.7", "::FFFF:1.0.0.7", "::ffff:0100:0007", "64:ff9b::1.2.3.4",
    "2001:67c:2e8::1", "2001:067c:02e8:0000:0000:0000:0000:0001", "2001:67C:2E8:FFFF::",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9", ":::", ":", ":1::2", "1::2:", "1::2::3", "1:::2", "00000::1",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3:0:0:8a2e:370:7334 ", " ::1",
    "::1\n", "::1\x00", "fe80::1%eth0", "fe80::1%", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.04",
    "g::1", "::1/128", "[::1]", "１::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffff", "2a00:1450:4001:ffff::", "2a00:1450:4001::1",
]  # fmt: skip


def pton(text: Any) -> bytes | None:
    """What ``inet_pton`` makes of a string (a zone index ignored), as the reference."""
    try:
        return socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0])
    except (OSError, ValueError, AttributeError):
        return None


def keys_of(values: list[Any]) -> list[bytes | None]:
    keys, ok = ipdata.parse_ipv6(values)
    return [bytes(k).ljust(16, b"\0") if good else None for k, good in zip(keys, ok, strict=True)]


def test_bulk_ipv6_parser_answers_as_inet_pton_on_edge_cases() -> None:
    assert keys_of(IPV6_EDGES) == [pton(t) for t in IPV6_EDGES]
    # Not all str: every value goes to inet_pton, with the same answers.
    mixed = [*IPV6_EDGES, None, float("nan"), 5, b"::1"]
    assert keys_of(mixed) == [pton(t) if isinstance(t, str) else None for t in mixed]


@st.composite
def ipv6_like(draw: st.DrawFn) -> str:
    """Colon-separated hex groups (0 to 5 digits, 0 to 9 groups), maybe one "::", maybe junk."""
    groups = draw(st.lists(st.text("0123456789abcdefABCDEF", max_size=5), max_size=9))
    text = ":".join(groups)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(groups)))
        text = ":".join(groups[:cut]) + "::" + ":".join(groups[cut:])
    head = draw(st.sampled_from(["", "", "", ":", " "]))
    tail = draw(st.sampled_from(["", "", "", ":", "::", ".1.2.3", "%lo", " ", "\x00", "1.2.3.4"]))
    return head + text + tail


@settings(max_examples=300, deadline=None)
@given(st.lists(ipv6_like() | st.text("0123456789abcdefABCDEF:.% ", max_size=42), max_size=40))
def test_bulk_ipv6_parser_agrees_with_inet_pton(texts: list[str]) -> None:
    assert keys_of(texts) == [pton(t) for t in texts]


def test_every_input_path_gives_the_same_answers(small: Path) -> None:
    """A list of str (joined), an object array with non-strings (fixed-width rows and
    inet_pton), an Arrow-backed Series at an offset (its buffers) and the reference agree."""
    texts = ["1.0.0.1", "01.0.0.1", " 1.0.0.1", "1.0.0.1 ", "193.0.5.1", "256.1.1.1", ""]
    texts += IPV6_EDGES + [m for m in MALFORMED if isinstance(m, str)]
    as_list = answers(texts)
    as_objects = answers(list(np.array([*texts, None, float("nan")], dtype=object)))[:-2]
    series = pd.Series(["x", *texts], dtype="str")[1:]
    frame = ipdata.lookup(series)
    as_series = [
        (c, None if pd.isna(a) else int(a), o)
        for c, a, o in zip(frame["country"], frame["asn"], frame["as_org"], strict=True)
    ]
    assert as_list == as_objects == as_series
    expected = {
        "1.0.0.1": ("AU", 13335, "Cloudflare, Inc."),
        "193.0.5.1": ("NL", 3334, "Overlap Inc."),
        "2001:67c:2e8::1": ("NL", 3333, "RIPE NCC"),
        "2001:067c:02e8:0000:0000:0000:0000:0001": ("NL", 3333, "RIPE NCC"),
        "2001:67C:2E8:FFFF::": ("NL", 3333, "RIPE NCC"),
        "::ffff:1.0.0.7": ("AU", 13335, "Cloudflare, Inc."),
        "::FFFF:1.0.0.7": ("AU", 13335, "Cloudflare, Inc."),
        "::ffff:0100:0007": ("AU", 13335, "Cloudflare, Inc."),  # the same, in hex
        "2a00:1450:4001:ffff::": ("DE", 15169, "Google LLC"),
        "2a00:1450:4001::1": ("DE", 15169, "Google LLC"),
    }
    for text, answer in zip(texts, as_list, strict=True):
        assert answer == expected.get(text, (None, None, None)), text
