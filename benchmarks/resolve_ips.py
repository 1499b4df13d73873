"""Benchmark: IP addresses → country and AS, ours against MaxMind DB readers, side by side.

1,000,000 IPv4 and 100,000 IPv6 addresses (as strings) are resolved in one process by

(a) ours: ``residency.ipdata.lookup`` on the packaged tables, one call for all addresses, given
    the same Python list of str as the others, and (a') given them as a pandas ``str`` Series
    (Arrow-backed, pandas' default for strings, as addresses read from CSV or Parquet arrive),
    which it reads from the Arrow buffers without making Python strings;
(b) ``maxminddb`` with its C extension (``MODE_MMAP_EXT``), ``reader.get`` per address;
(c) ``maxminddb-rust``, ``reader.get_many`` on the whole list;

(b) and (c) read an MMDB written with ``mmdb-writer`` from the same tables, so the same
DB-IP Lite country and ip-location-db ASN data, one record ``{country, asn, as_org}`` per
range. Only the lookups are timed (best of ``--repeat`` runs after one warm-up): opening the
readers and turning their dicts into columns is not, which favours (b) and (c). Every answer
of (b) and (c) is compared with ours. ``geoip2fast`` is not run: it reads only its own data
files, built from MaxMind GeoLite2, which this project does not use.

Needs ``pip install -e '.[bench]'``; building the MMDB takes a few minutes and is cached
under ``--cache`` (keyed by the tables' checksum)::

    python benchmarks/resolve_ips.py --ipv4 1000000 --ipv6 100000 --seed 0
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from residency import ipdata

ROOT = Path(__file__).resolve().parents[1]


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


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    result = run()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best, result


def as_rows(records: list[Any]) -> list[tuple[Any, Any, Any]]:
    return [
        (None, None, None) if r is None else (r.get("country"), r.get("asn"), r.get("as_org"))
        for r in records
    ]


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

    t0 = time.perf_counter()
    data = ipdata.load()
    load_s = time.perf_counter() - t0
    digest = hashlib.sha256((data.path / ipdata.DATA_FILE).read_bytes()).hexdigest()[:16]
    mmdb = args.cache / f"ipdata-{digest}.mmdb"
    if not mmdb.exists():
        print(f"writing {mmdb} with mmdb-writer (a few minutes, once)", flush=True)
        t0 = time.perf_counter()
        write_mmdb(data, mmdb)
        print(f"  {time.perf_counter() - t0:.0f} s, {mmdb.stat().st_size / 1e6:.1f} MB")
    addresses = make_addresses(data, args.ipv4, args.ipv6, args.seed)
    n = len(addresses)

    c_reader = maxminddb.open_database(str(mmdb), maxminddb.MODE_MMAP_EXT)
    rust_reader = maxminddb_rust.open_database(str(mmdb))
    ours_s, ours = best_of(args.repeat, lambda: ipdata.lookup(addresses))
    series = pd.Series(addresses, dtype="str")
    arrow_s, from_arrow = best_of(args.repeat, lambda: ipdata.lookup(series))
    assert from_arrow.equals(ours), "the Series and the list give different answers"
    c_s, c_records = best_of(args.repeat, lambda: [c_reader.get(a) for a in addresses])
    rust_s, rust_records = best_of(args.repeat, lambda: rust_reader.get_many(addresses))

    expected = list(
        zip(
            ours["country"].tolist(),
            [
                None if a is None else int(a)
                for a in ours["asn"].astype(object).where(ours["asn"].notna(), None)
            ],
            ours["as_org"].tolist(),
            strict=True,
        )
    )
    print(
        f"{n:,} addresses ({args.ipv4:,} IPv4, {args.ipv6:,} IPv6), seed {args.seed}; "
        f"tables loaded in {load_s * 1000:.0f} ms; "
        f"{sum(c is not None for c, _, _ in expected) / n:.1%} have a country"
    )
    print(
        f"{'variant':<30}{'seconds':>8}{'addr/s':>12}{'× ours (list)':>15}{'× ours (Series)':>17}{'agree':>7}"
    )
    for name, seconds, records in [
        ("residency.ipdata.lookup, list", ours_s, None),
        ("residency.ipdata.lookup, Series", arrow_s, from_arrow),
        ("maxminddb (C extension)", c_s, c_records),
        ("maxminddb-rust get_many", rust_s, rust_records),
    ]:
        agree = (
            "—" if records is None else str(records is from_arrow or as_rows(records) == expected)
        )
        print(
            f"{name:<30}{seconds:>8.3f}{n / seconds:>12,.0f}"
            f"{seconds / ours_s:>14.1f}×{seconds / arrow_s:>16.1f}×{agree:>7}"
        )
    for name, records in [("maxminddb", c_records), ("maxminddb-rust", rust_records)]:
        rows = as_rows(records)
        wrong = [i for i in range(n) if rows[i] != expected[i]]
        if wrong:
            i = wrong[0]
            print(
                f"{name}: {len(wrong)} disagreements, e.g. {addresses[i]}: {rows[i]} vs ours {expected[i]}"
            )


if __name__ == "__main__":
    main()
