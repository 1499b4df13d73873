"""Benchmark: 10,000,000 observed flow records resolved and evaluated, vs. a per-record script.

Generates ``--records`` flow records (Parquet: src, dst_ip, dst_port, bytes) from ``--sources``
workloads to ``--destinations`` distinct public and private addresses (a few with DNS names
from the endpoint catalog), then runs, each alone under GNU time:

(a) ``residency sweep`` with one ``observed_flows`` source: read in blocks, aggregate with
    Arrow, resolve every distinct destination (catalog, then DB-IP country), evaluate
    ``flow.location`` and ``flow.control``, store;
(b) what a user would otherwise write: pandas reads the file and, record by record, decides
    private or public with ``ipaddress`` and looks the country up in the same DB-IP tables
    through a dict cache (``DataFrame.apply``). It runs on ``--peer-sample`` records and is
    extrapolated linearly (stated in the output).

Targets (issue 6): under 60 s and under 4 GiB for (a).

    python benchmarks/observed_flows.py --records 10000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from measuring import measure, require_gnu_time, residency_command

TARGET_S = 60.0
TARGET_RSS_MIB = 4096.0


def generate(path: Path, records: int, sources: int, destinations: int, seed: int) -> None:
    """Flow records written in row groups of a million (bounded memory while generating)."""
    rng = np.random.default_rng(seed)
    public = rng.integers(16_777_216, 3_758_096_383, destinations - destinations // 10)
    private = (10 << 24) + rng.integers(0, 1 << 24, destinations // 10)
    pool = np.concatenate([public, private]).astype(np.uint32)
    octets = [(pool >> s) & 255 for s in (24, 16, 8, 0)]
    dotted = np.char.add(
        np.char.add(np.char.add(octets[0].astype(str), "."), octets[1].astype(str)),
        np.char.add(
            np.char.add(".", octets[2].astype(str)), np.char.add(".", octets[3].astype(str))
        ),
    )
    names = np.array([f"vm-{i}" for i in range(sources)], dtype=object)
    schema = pa.schema(
        [
            ("src", pa.string()),
            ("dst_ip", pa.string()),
            ("dst_port", pa.int32()),
            ("bytes", pa.int64()),
        ]
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, records, 1_000_000):
            n = min(1_000_000, records - start)
            # Traffic is skewed, as real traffic is: a few destinations take most records.
            dst = np.minimum(rng.zipf(1.3, n) - 1, len(pool) - 1)
            writer.write_table(
                pa.table(
                    {
                        "src": pa.array(names[rng.integers(0, sources, n)], pa.string()),
                        "dst_ip": pa.array(dotted[dst], pa.string()),
                        "dst_port": pa.array(rng.choice([443, 53, 4318, 9200], n), pa.int32()),
                        "bytes": pa.array(rng.integers(40, 1500, n), pa.int64()),
                    },
                    schema=schema,
                )
            )


def peer(path: Path, sample: int, out: Path) -> None:
    """The per-record way, on the first ``sample`` records."""
    import ipaddress

    from residency import ipdata

    started = time.perf_counter()
    frame = pq.read_table(path).slice(0, sample).to_pandas()
    cache: dict[str, str | None] = {}

    def country(address: str) -> str | None:
        if address not in cache:
            ip = ipaddress.ip_address(address)
            cache[address] = None if ip.is_private else ipdata.lookup([address])["country"].iloc[0]
        return cache[address]

    frame["country"] = frame["dst_ip"].apply(country)
    frame["inside"] = frame["country"].isin(["DE", "FR", "NL", "IT", "ES"])
    grouped = frame.groupby(["src", "dst_ip", "dst_port", "country"], dropna=False).size()
    out.write_text(f"{time.perf_counter() - started} {len(grouped)}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--sources", type=int, default=2_000)
    parser.add_argument("--destinations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--peer-sample", type=int, default=200_000)
    parser.add_argument("--child", choices=["peer"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "peer":
        peer(args.path, args.peer_sample, args.out)
        return 0
    require_gnu_time()
    with tempfile.TemporaryDirectory(prefix="bench-observed-") as tmp:
        folder = Path(tmp)
        data = folder / "flows.parquet"
        t0 = time.perf_counter()
        generate(data, args.records, args.sources, args.destinations, args.seed)
        size = data.stat().st_size / 2**20
        print(
            f"{args.records:,} records from {args.sources:,} sources to {args.destinations:,} "
            f"addresses: {size:,.0f} MiB of Parquet, generated in {time.perf_counter() - t0:.1f} s"
        )
        config = {
            "area": "eu",
            "store": str(folder / "store"),
            "sources": [{"name": "netflow", "type": "observed_flows", "path": str(data)}],
        }
        config_path = folder / "residency.yaml"
        config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        env = dict(os.environ)
        ours = measure(
            [*residency_command(), "sweep", "-c", str(config_path), "--fail-on", "never"],
            folder / "residency.out",
            folder / "residency.err",
            env,
        )
        from residency.store import open_sweep

        sweep = open_sweep(str(folder / "store"))
        flows = sweep.table("flows", ["resolution_basis"]).to_pandas()
        findings = len(sweep.table("findings", ["rule_id"]))
        peer_out = folder / "peer.txt"
        theirs = measure(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                "peer",
                "--path",
                str(data),
                "--out",
                str(peer_out),
                "--peer-sample",
                str(args.peer_sample),
            ],
            folder / "peer.out",
            folder / "peer.err",
            env,
        )
        peer_s = float(peer_out.read_text(encoding="utf-8").split()[0])
    extrapolated = peer_s * args.records / args.peer_sample
    print(
        f"residency sweep: {ours['wall_s']:.1f} s wall, {ours['cpu_s']:.1f} s CPU, "
        f"{ours['peak_rss_mib']:,.0f} MiB peak; {len(flows):,} aggregated flows, "
        f"{findings:,} findings; bases {flows['resolution_basis'].value_counts().to_dict()}"
    )
    print(
        f"per-record pandas apply: {peer_s:.1f} s for {args.peer_sample:,} records "
        f"({theirs['peak_rss_mib']:,.0f} MiB peak) → {extrapolated:,.0f} s extrapolated to "
        f"{args.records:,}; residency is {extrapolated / ours['wall_s']:.1f}× faster"
    )
    ok = ours["wall_s"] < TARGET_S and ours["peak_rss_mib"] < TARGET_RSS_MIB
    print(f"target (< {TARGET_S:.0f} s, < {TARGET_RSS_MIB:,.0f} MiB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
