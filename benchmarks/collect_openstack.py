"""Benchmark: collecting a large OpenStack cloud, ``residency sweep`` vs the ``openstack`` CLI.

A generated cloud of ``--regions`` regions with ``--servers`` servers each (and, in the
sample estate's proportions, 1.5 volumes, a port and a quarter of a floating IP per server,
plus every other kind the collector lists) is served by
``residency.sample.osapi.OpenStackAPIServer`` over HTTP on 127.0.0.1, from pre-rendered rows,
in this (parent) process. Each variant runs in its own child process under GNU time, so that
its wall time and peak resident memory are its own:

(a) ``residency sweep`` with one ``openstack`` source: every kind of every region, page by
    page, then locate, evaluate and store;
(b) what a user would otherwise run for the same regions: for each region
    ``openstack server list --long --all-projects -f json`` and
    ``openstack volume list --long --all-projects -f json`` (python-openstackclient), one
    after the other; time is their sum, memory the largest of them.

Both must return every server and volume that is served.

    python benchmarks/collect_openstack.py --regions 3 --servers 20000
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from measuring import measure, require_gnu_time, residency_command

TARGET_RSS_MIB = 1024.0
CLOUD = "bench-cloud"
ROOT = Path(__file__).resolve().parents[1]


def build_cloud(regions: int, servers: int, seed: int) -> Any:
    """A SampleSource with ``regions`` regions of ``servers`` servers each."""
    from residency.sample import (
        _OS_BASE,
        SampleSource,
        _concat,
        _flows,
        _identity,
        _Ids,
        _openstack_region,
        _swift_account,
    )

    rng = np.random.default_rng(seed)
    ids = _Ids(rng)
    factor = servers / _OS_BASE["server"]
    counts = {k: max(1, round(v * factor)) for k, v in _OS_BASE.items()}
    projects = ids.hex(8, 32)
    names = {f"region-{i}": [f"region-{i}-a", f"region-{i}-b"] for i in range(1, regions + 1)}
    parts = [
        _openstack_region(region, zones, counts, projects, rng, ids, None)
        for region, zones in names.items()
    ]
    frames = _concat(parts)
    first = next(iter(names))
    frames |= _identity(ids, first, np.array([f"p{i}" for i in range(8)]), projects, None)
    _swift_account(frames, str(projects[0]))
    return SampleSource(
        name=CLOUD,
        platform="openstack",
        provider=None,
        auth_url="https://keystone.bench.example:5000/v3",
        regions=names,
        frames=frames,
        identity_region=first,
        account=str(projects[0]),
        flows=_flows(frames),
    )


def openstack_cli(given: str | None) -> str:
    for candidate in (given, str(ROOT / ".venv-openstack" / "bin" / "openstack")):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("openstack")
    if found is None:
        raise SystemExit(
            "openstack: command not found; pass --openstack, or create the services venv "
            "with `python tests/openstack_services.py --venv .venv-openstack install`"
        )
    return found


def stored_counts(store: Path) -> dict[str, int]:
    from residency.store import open_sweep

    stored = open_sweep(str(store))
    assets = stored.table("assets", columns=["kind"]).to_pandas()
    return {str(k): int(v) for k, v in assets["kind"].astype(str).value_counts().items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--servers", type=int, default=20_000, help="per region")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--openstack", help="the openstack CLI (python-openstackclient)")
    parser.add_argument("--keep", type=Path, help="keep the store and outputs here")
    args = parser.parse_args(argv)
    require_gnu_time()
    cli = openstack_cli(args.openstack)

    from residency.sample.osapi import OpenStackAPIServer

    began = time.perf_counter()
    source = build_cloud(args.regions, args.servers, args.seed)
    served = {k: len(f) for k, f in source.frames.items()}
    print(
        f"cloud: {args.regions} regions × {args.servers:,} servers; "
        f"{served['server']:,} servers, {served['volume']:,} volumes, {served['port']:,} "
        f"ports, {served['floating_ip']:,} floating IPs, {sum(served.values()):,} objects in "
        f"all; built in {time.perf_counter() - began:.1f} s"
    )
    env = dict(os.environ)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    for key in [k for k in env if k.startswith("OS_")]:
        env.pop(key)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-openstack-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / "store"
        shutil.rmtree(store, ignore_errors=True)
        began = time.perf_counter()
        server = OpenStackAPIServer.for_source(source, password=secrets.token_urlsafe(18))
        with server:
            print(f"endpoint started in {time.perf_counter() - began:.1f} s at {server.url}")
            clouds = server.write_clouds_yaml(folder / "clouds.yaml", CLOUD)
            config = {
                "area": "eu",
                "store": str(store),
                # The cloud's own regions, declared as a private cloud's are.
                "sites": [
                    {
                        "source": CLOUD,
                        "region": region,
                        "country": "DE",
                        "operator": "Bench GmbH",
                        "operator_jurisdiction": "DE",
                    }
                    for region in source.regions
                ],
                "sources": [
                    {
                        "name": CLOUD,
                        "type": "openstack",
                        "cloud": CLOUD,
                        "clouds_yaml": str(clouds),
                        "page_size": args.page_size,
                    }
                ],
            }
            config_path = folder / "residency.yaml"
            config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            results["residency"] = measure(
                [*residency_command(), "sweep", "-c", str(config_path), "--fail-on", "never"],
                folder / "residency.out",
                folder / "residency.err",
                env,
            )
            # The CLI peer, region by region, one command after the other.
            lines = []
            for region in source.regions:
                for what in ("server", "volume"):
                    out = folder / f"cli-{what}-{region}.json"
                    lines.append(
                        f"{cli} --os-cloud {CLOUD} --os-region-name {region} {what} list "
                        f"--long --all-projects -f json > {out}"
                    )
            script = folder / "cli.sh"
            script.write_text("set -e\n" + "\n".join(lines) + "\n", encoding="utf-8")
            cli_env = env | {"OS_CLIENT_CONFIG_FILE": str(clouds)}
            results["openstack CLI"] = measure(
                ["sh", str(script)], folder / "cli.out", folder / "cli.err", cli_env
            )
            requests = len(server.requests)
        counts = stored_counts(store)
        cli_rows = {
            what: sum(
                len(json.loads((folder / f"cli-{what}-{r}.json").read_text(encoding="utf-8")))
                for r in source.regions
            )
            for what in ("server", "volume")
        }
    print(f"requests served: {requests:,}")
    print()
    table = pd.DataFrame(results).T[["wall_s", "cpu_s", "peak_rss_mib", "returncode"]]
    print(table.round(2).to_string())
    print()
    ours, peer = results["residency"], results["openstack CLI"]
    print(
        f"residency stored {counts.get('server', 0):,} servers and {counts.get('volume', 0):,} "
        f"volumes ({sum(counts.values()):,} assets of {len(counts)} kinds); the CLI listed "
        f"{cli_rows['server']:,} servers and {cli_rows['volume']:,} volumes; served "
        f"{served['server']:,} and {served['volume']:,}"
    )
    print(
        f"time: CLI / residency = {peer['wall_s'] / ours['wall_s']:.2f}× "
        f"(residency also lists {len(counts) - 2} more kinds, locates and evaluates)"
    )
    print(f"peak memory: CLI / residency = {peer['peak_rss_mib'] / ours['peak_rss_mib']:.2f}×")
    ok = (
        counts.get("server") == served["server"] == cli_rows["server"]
        and counts.get("volume") == served["volume"] == cli_rows["volume"]
        and ours["peak_rss_mib"] < TARGET_RSS_MIB
        and ours["wall_s"] < peer["wall_s"]
    )
    print(
        f"target (faster than the CLI, peak < {TARGET_RSS_MIB:.0f} MiB, same rows): "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
