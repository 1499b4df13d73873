"""Benchmark: IP addresses → country and AS, ours against three other readers, side by side.

1,000,000 IPv4 and 100,000 IPv6 addresses (as strings) are resolved in one process by

(a) ours: ``residency.ipdata.lookup`` on the packaged tables, one call for all addresses, given
    the same Python list of str as the others, and (a') given them as a pandas ``str`` Series
    (Arrow-backed, pandas' default for strings, as addresses read from CSV or Parquet arrive),
    which it reads from the Arrow buffers without making Python strings;
(b) ``maxminddb`` with its C extension (``MODE_MMAP_EXT``), ``reader.get`` per address;
(c) ``maxminddb-rust``, ``reader.get_many`` on the whole list;
(d) ``geoip2fast`` (pure Python, bisect on lists), ``GeoIP2Fast.lookup`` per address.

All four read the same data, the packaged DB-IP Lite country and ip-location-db ASN tables:
(b) and (c) an MMDB written from them with ``mmdb-writer``, one record
``{country, asn, as_org}`` per range; (d) a ``geoip2fast.dat.gz`` compiled by geoip2fast's own
``geoip2dat`` from the tables written out as CSVs in the GeoLite2 *layout* (see
:func:`write_geolite2_csvs`): no MaxMind data is read or shipped (the GeoLite2 files bundled in
the geoip2fast wheel are never opened: the reader is always given our file). geoip2fast keeps
AS names but not AS numbers, strips the names, and answers private and reserved blocks of its
own with codes of its own, so its answers are compared as (country, AS name), with its
"no answer" codes (``--``, ``ZZ``, the empty string, ``IANA.ORG``) read as none.

Only the lookups are timed (best of ``--repeat`` runs after one warm-up, wall clock and CPU
time): opening the readers and turning their answers into columns is not, which favours
(b), (c) and (d). Every answer of (b), (c) and (d) is compared with ours and the agreeing
addresses are counted. The ``÷ list`` and ``÷ Series`` columns are a reader's time divided by
ours (how many times faster ours is), by wall clock and by CPU time (steadier on a busy host).

Needs ``pip install -e '.[bench]'``; building the MMDB and the geoip2fast file takes a few
minutes each and is cached under ``--cache`` (keyed by the tables' checksum)::

    python benchmarks/resolve_ips.py --ipv4 1000000 --ipv6 100000 --seed 0
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import ipaddress
import operator
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from residency import ipdata

ROOT = Path(__file__).resolve().parents[1]
NO_COUNTRY = "ZZ"  # geoip2fast's code for an AS-only interval (DB-IP Lite never uses ZZ)
# The columns of the GeoLite2 Country and ASN CSVs, as geoip2fast's geoip2dat reads them.
LOCATION_COLUMNS = [
    "geoname_id", "locale_code", "continent_code", "continent_name",
    "country_iso_code", "country_name", "is_in_european_union",
]  # fmt: skip
BLOCK_COLUMNS = [
    "network", "geoname_id", "registered_country_geoname_id",
    "represented_country_geoname_id", "is_anonymous_proxy", "is_satellite_provider",
]  # fmt: skip
ASN_COLUMNS = ["network", "autonomous_system_number", "autonomous_system_organization"]
# What geoip2fast answers where it has no country or no AS name.
G2F_NO_COUNTRY = frozenset({"--", "", NO_COUNTRY})
G2F_NO_AS = frozenset({"", "IANA.ORG"})


def write_mmdb(data: ipdata.IpData, path: Path) -> None:
    """One MMDB network set per distinct (country, AS) value of the gap-filled tables."""
    import netaddr
    from mmdb_writer import MMDBWriter

    writer = MMDBWriter(
        ip_version=6, database_type="residency-bench", ipv4_compatible=True, description="bench"
    )
    families: list[tuple[int, list[int], Any, Any, int]] = [
        (4, [int(s) for s in data.v4_starts], data.v4_country, data.v4_as, 32),
        (
            6,
            [int.from_bytes(s.ljust(16, b"\0"), "big") for s in data.v6_starts],
            data.v6_country,
            data.v6_as,
            128,
        ),
    ]
    for version, starts, countries, as_index, bits in families:
        groups: dict[tuple[int, int], list[Any]] = {}
        ends = [s - 1 for s in starts[1:]] + [2**bits - 1]
        for start, end, c, a in zip(
            starts, ends, countries.tolist(), as_index.tolist(), strict=True
        ):
            if c or a:
                first, last = netaddr.IPAddress(start, version), netaddr.IPAddress(end, version)
                groups.setdefault((c, a), []).extend(netaddr.iprange_to_cidrs(first, last))
        for (c, a), cidrs in groups.items():
            record: dict[str, Any] = {}
            if c:
                record["country"] = data.countries[c]
            if a:
                record |= {"asn": int(data.as_numbers[a]), "as_org": data.as_orgs[a]}
            writer.insert_network(netaddr.IPSet(cidrs), record)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.to_db_file(str(path))


def _cidrs(start: int, end: int, bits: int) -> Iterator[tuple[int, int]]:
    """The fewest CIDR blocks covering [start, end]: (first address, prefix length)."""
    while start <= end:
        size = min(
            (start & -start).bit_length() - 1 if start else bits,
            (end - start + 1).bit_length() - 1,
        )
        yield start, bits - size
        start += 1 << size


def write_geolite2_csvs(data: ipdata.IpData, folder: Path) -> None:
    """The packaged tables as CSVs in the *layout* of GeoLite2 Country and ASN (the only input
    geoip2fast's ``geoip2dat`` compiles): DB-IP and ip-location-db rows, no MaxMind data.

    One synthetic location per country code (its geoname id is the code's index), and one,
    :data:`NO_COUNTRY`, for intervals with an AS but no country: geoip2fast answers nothing,
    not even the AS, for an address outside every country block. Every interval with data gets
    an AS row, with an empty name where it has no AS: geoip2fast 1.2.2 checks an IPv4 address
    against its AS block's end with the IPv6 block size once the file holds IPv6
    (``GeoIP2Fast._asn_lookup``), so without that row an IPv4 address would take the name of the
    last AS block before it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    no_country = len(data.countries)
    with open(folder / "GeoLite2-Country-Locations-en.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(LOCATION_COLUMNS)
        for i, code in enumerate([*data.countries[1:], NO_COUNTRY], start=1):
            out.writerow([i, "en", "--", "-", code, code, 0])
    assert len(data.countries) == no_country  # ids 1..len-1 are countries, len is NO_COUNTRY
    families = [
        (4, data.v4_starts.astype(np.uint64).tolist(), data.v4_country, data.v4_as, 32),
        (6, [int.from_bytes(s.ljust(16, b"\0"), "big") for s in data.v6_starts],
         data.v6_country, data.v6_as, 128),
    ]  # fmt: skip
    for version, starts, countries, as_index, bits in families:
        address = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        ends = [s - 1 for s in starts[1:]] + [2**bits - 1]
        with (
            open(folder / f"GeoLite2-Country-Blocks-IPv{version}.csv", "w", newline="") as b,
            open(folder / f"GeoLite2-ASN-Blocks-IPv{version}.csv", "w", newline="") as a,
        ):
            blocks, asns = csv.writer(b), csv.writer(a)
            blocks.writerow(BLOCK_COLUMNS)
            asns.writerow(ASN_COLUMNS)
            for start, end, c, x in zip(
                starts, ends, countries.tolist(), as_index.tolist(), strict=True
            ):
                if not (c or x):
                    continue
                geoname = c or no_country
                number, org = (int(data.as_numbers[x]), data.as_orgs[x]) if x else ("", "")
                for first, prefix in _cidrs(start, end, bits):
                    network = f"{address(first)}/{prefix}"
                    blocks.writerow([network, geoname, geoname, "", 0, 0])
                    asns.writerow([network, number, org])


def build_geoip2fast(data: ipdata.IpData, folder: Path) -> Path:
    """Compile ``geoip2fast.dat.gz`` in ``folder`` with geoip2fast's own ``geoip2dat``."""
    csvs = folder / "csv"
    write_geolite2_csvs(data, csvs)
    log = folder / "geoip2dat.log"
    with open(log, "wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "geoip2fast.geoip2dat", "--country-dir", str(csvs),
             "--asn-dir", str(csvs), "--output-dir", str(folder), "--with-ipv6",
             "--source-info", "DB-IP Lite country + ip-location-db ASN (residency benchmark)"],
            stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    dat = folder / "geoip2fast.dat.gz"
    if done.returncode != 0 or not dat.exists() or b"[ERROR]" in log.read_bytes():
        raise SystemExit(f"geoip2dat failed (exit {done.returncode}): see {log}")
    shutil.rmtree(csvs)
    return dat


def make_addresses(data: ipdata.IpData, n4: int, n6: int, seed: int) -> list[str]:
    """IPv4 uniform over the whole space; IPv6 90 % inside intervals that have data."""
    rng = np.random.default_rng(seed)
    v4 = rng.integers(0, 2**32, n4, dtype=np.uint64).tolist()
    starts = [int.from_bytes(s.ljust(16, b"\0"), "big") for s in data.v6_starts]
    with_data = np.flatnonzero((data.v6_country > 0) | (data.v6_as > 0))
    picks = rng.choice(with_data[with_data < len(starts) - 1], n6)
    v6 = []
    for i in picks.tolist():
        span = starts[i + 1] - starts[i]
        v6.append(starts[i] + int(rng.integers(0, 2**62)) * span // 2**62)
    for k in range(n6 // 10):  # the rest uniform in 2000::/3
        v6[k] = 0x2000 << 112 | int(rng.integers(0, 2**63)) << 62 | int(rng.integers(0, 2**62))
    text = [str(ipaddress.IPv4Address(a)) for a in v4] + [str(ipaddress.IPv6Address(a)) for a in v6]
    order = rng.permutation(len(text))
    return [text[i] for i in order]


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs after a warm-up, and the answer."""
    result = run()  # warm-up
    wall = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


def mmdb_rows(records: list[Any]) -> list[tuple[Any, Any, Any]]:
    return [
        (None, None, None) if r is None else (r.get("country"), r.get("asn"), r.get("as_org"))
        for r in records
    ]


def geoip2fast_rows(records: list[Any]) -> list[tuple[Any, Any]]:
    return [
        (
            None if r.is_private or r.country_code in G2F_NO_COUNTRY else r.country_code,
            None if r.asn_name in G2F_NO_AS else r.asn_name,
        )
        for r in records
    ]


def cached(path: Path, what: str, build: Callable[[], Any]) -> Path:
    if not path.exists():
        print(f"building {path} ({what}: a few minutes, once)", flush=True)
        t0 = time.perf_counter()
        build()
        print(f"  {time.perf_counter() - t0:.0f} s, {path.stat().st_size / 1e6:.1f} MB", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ipv4", type=int, default=1_000_000)
    parser.add_argument("--ipv6", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".cache")
    args = parser.parse_args()

    import maxminddb
    import maxminddb_rust
    from geoip2fast import GeoIP2Fast

    t0 = time.perf_counter()
    data = ipdata.load()
    load_s = time.perf_counter() - t0
    digest = hashlib.sha256((data.path / ipdata.DATA_FILE).read_bytes()).hexdigest()[:16]
    mmdb = cached(
        args.cache / f"ipdata-{digest}.mmdb",
        "mmdb-writer",
        lambda: write_mmdb(data, args.cache / f"ipdata-{digest}.mmdb"),
    )
    dat = cached(
        args.cache / f"geoip2fast-{digest}" / "geoip2fast.dat.gz",
        "geoip2dat",
        lambda: build_geoip2fast(data, args.cache / f"geoip2fast-{digest}"),
    )
    addresses = make_addresses(data, args.ipv4, args.ipv6, args.seed)
    n = len(addresses)
    series = pd.Series(addresses, dtype="str")

    c_reader = maxminddb.open_database(str(mmdb), maxminddb.MODE_MMAP_EXT)
    rust_reader = maxminddb_rust.open_database(str(mmdb))
    t0 = time.perf_counter()
    g2f = GeoIP2Fast(geoip2fast_data_file=str(dat))
    g2f_load_s = time.perf_counter() - t0
    assert Path(g2f.get_database_path()).resolve() == dat.resolve()

    timings: dict[str, tuple[float, float]] = {}
    answers: dict[str, Any] = {}
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("residency.ipdata.lookup, list", lambda: ipdata.lookup(addresses)),
        ("residency.ipdata.lookup, Series", lambda: ipdata.lookup(series)),
        ("maxminddb (C extension)", lambda: [c_reader.get(a) for a in addresses]),
        ("maxminddb-rust get_many", lambda: rust_reader.get_many(addresses)),
        ("geoip2fast lookup", lambda: [g2f.lookup(a) for a in addresses]),
    ]
    for name, run in runs:
        wall, cpu, answers[name] = best_of(args.repeat, run)
        timings[name] = (wall, cpu)
    ours = answers["residency.ipdata.lookup, list"]
    assert answers["residency.ipdata.lookup, Series"].equals(ours), "Series and list differ"

    asn = ours["asn"].astype(object).where(ours["asn"].notna(), None)
    expected = list(
        zip(
            ours["country"].tolist(),
            [None if a is None else int(a) for a in asn],
            ours["as_org"].tolist(),
            strict=True,
        )
    )
    # geoip2fast: (country, AS name), names stripped as geoip2dat strips them.
    expected_g2f = [(c, None if o is None else o.strip()) for c, _, o in expected]
    compared: dict[str, tuple[list[Any], list[Any]]] = {
        "maxminddb (C extension)": (mmdb_rows(answers["maxminddb (C extension)"]), expected),
        "maxminddb-rust get_many": (mmdb_rows(answers["maxminddb-rust get_many"]), expected),
        "geoip2fast lookup": (geoip2fast_rows(answers["geoip2fast lookup"]), expected_g2f),
    }

    print(
        f"{n:,} addresses ({args.ipv4:,} IPv4, {args.ipv6:,} IPv6), seed {args.seed}, "
        f"best of {args.repeat}; tables loaded in {load_s * 1000:.0f} ms "
        f"(geoip2fast's file in {g2f_load_s:.1f} s); "
        f"{sum(c is not None for c, _, _ in expected) / n:.1%} have a country"
    )
    print(
        f"{'variant':<32}{'wall s':>7}{'CPU s':>7}{'addr/s':>11}"
        f"{'÷ list':>8}{'÷ Series':>9}{'CPU ÷ list':>11}{'CPU ÷ Series':>13}  agree with ours"
    )
    ours_wall, ours_cpu = zip(
        timings["residency.ipdata.lookup, list"], timings["residency.ipdata.lookup, Series"],
        strict=True,
    )  # fmt: skip
    for name, (wall, cpu) in timings.items():
        if name in compared:
            rows, want = compared[name]
            agree = f"{sum(map(operator.eq, rows, want)):,}/{n:,}"
        else:
            agree = "(same answers)" if name.endswith("Series") else "—"
        print(
            f"{name:<32}{wall:>7.3f}{cpu:>7.3f}{n / wall:>11,.0f}"
            f"{wall / ours_wall[0]:>7.1f}×{wall / ours_wall[1]:>8.1f}×"
            f"{cpu / ours_cpu[0]:>10.1f}×{cpu / ours_cpu[1]:>12.1f}×  {agree}"
        )
    for name, (rows, want) in compared.items():
        wrong = [i for i in range(n) if rows[i] != want[i]]
        for i in wrong[:3]:
            print(f"{name} disagrees: {addresses[i]}: {rows[i]} vs ours {want[i]}")


if __name__ == "__main__":
    main()
