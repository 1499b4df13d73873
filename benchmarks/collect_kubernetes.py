"""Benchmark: collecting a large Kubernetes cluster, ``residency sweep`` vs kubectl vs the client.

A generated cluster (``--pods`` realistic pods of ~3.7 KB of JSON each, with statuses, env and
sidecars, on ``--nodes`` nodes) is served by ``residency.sample.kubeapi.KubeAPIServer`` over
HTTPS on 127.0.0.1, from pre-serialised pages, in this (parent) process. Each variant then
runs in its own child process under GNU time, so that its wall time and peak resident memory
(``%M``, the child's ``ru_maxrss``) are its own:

(a) ``residency sweep`` with one ``kubernetes`` source (the whole sweep: collect every
    resource page by page, locate, evaluate, store);
(b) ``kubectl get pods,nodes -A -o json --chunk-size=500`` with stdout to ``/dev/null``;
(c) the ``kubernetes`` client's unpaginated ``list_pod_for_all_namespaces()`` and
    ``list_node()`` (models deserialised), as most scripts use it;
(d) a raw paginated HTTPS read of every pod and node page (no JSON parsing): what the endpoint
    itself needs to serve the data, to show it is not the bottleneck.

The sweep's stored ``assets`` table must hold exactly the pods and nodes served.

    python benchmarks/collect_kubernetes.py --pods 100000 --nodes 1000 --seed 7
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import resource
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from measuring import measure, require_gnu_time, residency_command

TARGET_RSS_MIB = 500.0
TARGET_KUBECTL_MEMORY_RATIO = 16.0
CONTEXT = "kube-prod"


# -- the cluster --------------------------------------------------------------------------------


def thin_nodes(estate: Any, n_nodes: int, seed: int) -> None:
    """Keep ``n_nodes`` of the cluster's nodes, moving the pods of the others onto kept workers.

    Control-plane and edge nodes always stay; general and burst nodes are sampled uniformly.
    Each moved pod takes its new node's name, id, region, zone and provider.
    """
    from residency.sample.kube_objects import CLUSTER_SOURCE

    frames = estate.source(CLUSTER_SOURCE).frames
    nodes, pods = frames["node"].reset_index(drop=True), frames["pod"].copy()
    if n_nodes <= 0 or n_nodes >= len(nodes):
        return
    rng = np.random.default_rng([seed, n_nodes])
    pool = nodes["pool"].astype(str).to_numpy()
    workers = np.flatnonzero(np.isin(pool, ["general", "burst"]))
    always = np.flatnonzero(~np.isin(pool, ["general", "burst"]))
    chosen = rng.choice(workers, max(0, n_nodes - len(always)), replace=False)
    kept = nodes.iloc[np.sort(np.concatenate([always, chosen]))].reset_index(drop=True)
    kept_workers = np.flatnonzero(
        np.isin(kept["pool"].astype(str).to_numpy(), ["general", "burst"])
    )
    where = {name: i for i, name in enumerate(kept["name"].astype(str).tolist())}
    target = np.array([where.get(n, -1) for n in pods["node_name"].astype(str).tolist()])
    moved = target < 0
    target[moved] = rng.choice(kept_workers, int(moved.sum()))
    pods["parent_id"] = kept["asset_id"].to_numpy()[target]
    for column in ("node_name", "region", "zone", "provider"):
        source_column = "name" if column == "node_name" else column
        pods[column] = kept[source_column].to_numpy()[target]
    frames["node"], frames["pod"] = kept, pods


def build_cluster(pods: int, nodes: int, seed: int) -> tuple[Any, dict[str, Any]]:
    from residency.sample import generate_estate
    from residency.sample.kube_objects import sample_cluster

    t0 = time.perf_counter()
    estate = generate_estate(seed, pods / 600)
    natural_nodes = len(estate.source("kube-prod").frames["node"])
    thin_nodes(estate, nodes, seed)
    cluster = sample_cluster(estate)
    pod_bytes = sum(len(o.raw) for o in cluster.objects["pods"])
    node_bytes = sum(len(o.raw) for o in cluster.objects["nodes"])
    facts = {
        "pods": len(cluster.objects["pods"]),
        "nodes": len(cluster.objects["nodes"]),
        "natural_nodes": natural_nodes,
        "pod_bytes": pod_bytes,
        "node_bytes": node_bytes,
        "all_objects": sum(len(v) for v in cluster.objects.values()),
        "all_bytes": sum(len(o.raw) for v in cluster.objects.values() for o in v),
        "build_s": time.perf_counter() - t0,
    }
    return cluster, facts


# -- children -----------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_client(kubeconfig: Path) -> dict[str, Any]:
    """(c): the official client, unpaginated, every object deserialised into models."""
    t0 = time.perf_counter()
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig), context=CONTEXT)
    core = client.CoreV1Api(api)
    t1 = time.perf_counter()
    pods = core.list_pod_for_all_namespaces()
    nodes = core.list_node()
    return {
        "pods": len(pods.items),
        "nodes": len(nodes.items),
        "import_s": t1 - t0,
        "list_s": time.perf_counter() - t1,
    }


def child_raw(kubeconfig: Path, page_size: int) -> dict[str, Any]:
    """(d): every page of pods and nodes over one kept-alive HTTPS connection, bytes only.

    Only each page's head (its list metadata) is parsed. A page of an unfiltered list holds
    exactly ``limit`` items while more remain, so the count is ``limit`` per full page plus
    the previous page's ``remainingItemCount`` for the last one.
    """
    doc = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    cluster = doc["clusters"][0]["cluster"]
    token = doc["users"][0]["user"]["token"]
    import base64
    from urllib.parse import quote, urlsplit

    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
    )
    url = urlsplit(cluster["server"])
    connection = http.client.HTTPSConnection(url.hostname, url.port, context=context)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    counts: dict[str, int] = {}
    total_bytes = pages = 0
    t0 = time.perf_counter()
    for name, path in (("pods", "/api/v1/pods"), ("nodes", "/api/v1/nodes")):
        token_ = ""
        count, remaining = 0, None
        while True:
            query = f"?limit={page_size}" + (f"&continue={quote(token_)}" if token_ else "")
            connection.request("GET", path + query, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}: {body[:200]!r}")
            pages += 1
            total_bytes += len(body)
            head = body[: body.index(b',"items":[')] + b"}"
            metadata = json.loads(head).get("metadata") or {}
            token_ = metadata.get("continue") or ""
            if token_:
                count += page_size
                remaining = metadata.get("remainingItemCount")
                continue
            if remaining is not None:
                count += remaining
            elif body.endswith(b',"items":[]}'):
                pass
            else:  # a single page: count its items the slow way
                count += len(json.loads(body)["items"])
            break
        counts[name] = count
    connection.close()
    return {
        **counts,
        "read_s": time.perf_counter() - t0,
        "pages": pages,
        "bytes": total_bytes,
    }


def child(variant: str, kubeconfig: Path, page_size: int, out: Path) -> None:
    result = child_client(kubeconfig) if variant == "client" else child_raw(kubeconfig, page_size)
    result["self_peak_rss_mib"] = peak_rss_mib()
    out.write_text(json.dumps(result), encoding="utf-8")


# -- measuring ----------------------------------------------------------------------------------


def list_requests(server: Any) -> dict[str, int]:
    """Successful list requests for pods and nodes since the log was last cleared."""
    counts = {"pods": 0, "nodes": 0, "other": 0, "failed": 0}
    for _method, target, status in server.requests:
        path = target.split("?", 1)[0]
        kind = {"/api/v1/pods": "pods", "/api/v1/nodes": "nodes"}.get(path, "other")
        counts[kind if status == 200 else "failed"] += 1
    server.api.requests.clear()
    return counts


def count_assets(store: Path) -> dict[str, Any]:
    from residency.store import open_sweep

    stored = open_sweep(str(store))
    assets = stored.table("assets", columns=["source", "kind"]).to_pandas()
    mine = assets[assets["source"].astype(str) == CONTEXT]
    counts = mine["kind"].astype(str).value_counts()
    coverage = stored.table("coverage", columns=["source", "kind", "status"]).to_pandas()
    mine_cov = coverage[coverage["source"].astype(str) == CONTEXT]
    status = dict(zip(mine_cov["kind"].astype(str), mine_cov["status"].astype(str), strict=True))
    return {
        "pods": int(counts.get("pod", 0)),
        "nodes": int(counts.get("node", 0)),
        "assets": len(mine),
        "pod_status": status.get("pod", "missing"),
        "node_status": status.get("node", "missing"),
    }


# -- report -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument(
        "--nodes",
        type=int,
        default=1_000,
        help="thin the cluster to this many nodes (0: the estate's own, ~3 per 100 pods)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=500, help="residency and kubectl")
    parser.add_argument("--kubectl", default="/usr/bin/kubectl")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["kubectl", "client"], help="variants"
    )
    parser.add_argument(
        "--with-faults",
        action="store_true",
        help="keep the sample's failing resource (its retries add ~3.5 s of backoff to (a))",
    )
    parser.add_argument("--keep", type=Path, help="keep the store and logs in this folder")
    parser.add_argument("--child", choices=["client", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.kubeconfig, args.page_size, args.out)
        return 0

    from residency.sample.kubeapi import KubeAPIServer

    require_gnu_time()
    cluster, facts = build_cluster(args.pods, args.nodes, args.seed)
    n_pods, n_nodes = facts["pods"], facts["nodes"]
    print(
        f"cluster: {n_pods:,} pods ({facts['pod_bytes'] / n_pods / 1024:.2f} KiB of JSON each, "
        f"{facts['pod_bytes'] / 2**20:,.0f} MiB), {n_nodes:,} nodes "
        f"({facts['node_bytes'] / n_nodes / 1024:.2f} KiB each); "
        f"{facts['all_objects']:,} objects, {facts['all_bytes'] / 2**20:,.0f} MiB in all"
    )
    thinned = (
        f"thinned from the estate's {facts['natural_nodes']:,}"
        if facts["natural_nodes"] != n_nodes
        else "the estate's own count"
    )
    print(
        f"seed {args.seed}, scale {args.pods / 600:.2f}, nodes {thinned}; "
        f"built in {facts['build_s']:.1f} s"
    )
    failing = ", ".join(sorted(cluster.failing)) or "none"
    print(
        f"faults: forbidden {', '.join(sorted(cluster.forbidden))}; failing (HTTP 500) "
        f"{failing if args.with_faults else 'none (--with-faults serves ' + failing + ')'}"
    )
    kubectl_version = subprocess.run(
        [args.kubectl, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        kubectl_release = json.loads(kubectl_version.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        kubectl_release = "unknown"
    import kubernetes

    print(
        f"python {sys.version.split()[0]}, kubernetes client {kubernetes.__version__}, "
        f"kubectl {kubectl_release}, {os.cpu_count()} CPUs; the endpoint serves from this "
        "process (HTTPS, 127.0.0.1)"
    )

    env = dict(os.environ)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("KUBECONFIG", None)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-kube-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        store = folder / "store"
        if store.exists():
            shutil.rmtree(store)
        if not args.with_faults:
            cluster = dataclasses.replace(cluster, failing={})
        with KubeAPIServer.for_cluster(cluster, token=secrets.token_urlsafe(24)) as server:
            kubeconfig = server.write_kubeconfig(folder / "kubeconfig", context=CONTEXT)
            config = {
                "area": "eu",
                "store": str(store),
                "sources": [
                    {
                        "name": CONTEXT,
                        "type": "kubernetes",
                        "kubeconfig": str(kubeconfig),
                        "context": CONTEXT,
                        "page_size": args.page_size,
                    }
                ],
            }
            config_path = folder / "residency.yaml"
            config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            me = [sys.executable, str(Path(__file__).resolve())]
            common = ["--kubeconfig", str(kubeconfig), "--page-size", str(args.page_size)]
            commands: dict[str, tuple[list[str], Path | None]] = {
                "raw": (
                    [*me, "--child", "raw", *common, "--out", str(folder / "raw.json")],
                    None,
                ),
                "residency": (
                    [
                        *residency_command(),
                        "sweep",
                        "--config",
                        str(config_path),
                        "--fail-on",
                        "never",
                    ],
                    folder / "residency.out",
                ),
                "kubectl": (
                    [
                        args.kubectl,
                        "--kubeconfig",
                        str(kubeconfig),
                        "--context",
                        CONTEXT,
                        "--cache-dir",
                        str(folder / "kube-cache"),
                        "get",
                        "pods,nodes",
                        "-A",
                        "-o",
                        "json",
                        f"--chunk-size={args.page_size}",
                    ],
                    None,  # stdout to /dev/null
                ),
                "client": (
                    [*me, "--child", "client", *common, "--out", str(folder / "client.json")],
                    None,
                ),
            }
            list_requests(server)  # clear the log
            for name, (command, stdout) in commands.items():
                if name in args.skip:
                    continue
                print(f"running {name} ...", flush=True)
                results[name] = measure(command, stdout, folder / f"{name}.err", env)
                results[name]["requests"] = list_requests(server)
                if results[name]["returncode"] != 0:
                    err = (folder / f"{name}.err").read_text(errors="replace")[-2000:]
                    print(f"  {name} exited {results[name]['returncode']}:\n{err}")
                extra = folder / f"{name}.json"
                if extra.exists():
                    results[name] |= json.loads(extra.read_text(encoding="utf-8"))
        stored = count_assets(store) if results["residency"]["returncode"] == 0 else None

    # -- table ---------------------------------------------------------------------------------
    pages_expected = -(-n_pods // args.page_size) + -(-n_nodes // args.page_size)

    def objects(name: str) -> str:
        r = results[name]
        if r["returncode"] != 0:
            return f"exit {r['returncode']}"
        if name == "residency":
            assert stored is not None
            return f"{stored['pods']:,} pods + {stored['nodes']:,} nodes (stored)"
        if name == "kubectl":
            req = r["requests"]
            return f"{req['pods'] + req['nodes']} list pages (of {pages_expected}), stdout unread"
        return f"{r['pods']:,} pods + {r['nodes']:,} nodes"

    labels = {
        "residency": "(a) residency sweep (collect+locate+evaluate+store)",
        "kubectl": f"(b) kubectl get pods,nodes -A -o json (chunk {args.page_size})",
        "client": "(c) kubernetes client, unpaginated list_*()",
        "raw": f"(d) raw paginated HTTPS read (limit {args.page_size}, no parse)",
    }
    print()
    print(f"{'variant':<56} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13}  objects")
    for name in ("residency", "kubectl", "client", "raw"):
        if name not in results:
            continue
        r = results[name]
        print(
            f"{labels[name]:<56} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} "
            f"{r['peak_rss_mib']:>13,.0f}  {objects(name)}"
        )
    ours = results["residency"]
    if "raw" in results:
        raw = results["raw"]
        print(
            f"endpoint: {raw['pages']} pages, {raw['bytes'] / 2**20:,.0f} MiB served in "
            f"{raw['read_s']:.1f} s ({raw['bytes'] / 2**20 / raw['read_s']:,.0f} MiB/s), "
            f"{raw['read_s'] / ours['wall_s']:.0%} of residency's wall time"
        )
    if "client" in results and "list_s" in results["client"]:
        print(f"client: list calls {results['client']['list_s']:.1f} s after import and config")

    # -- ratios and targets ----------------------------------------------------------------------
    print()
    failures: list[str] = []
    if "kubectl" in results:
        kubectl = results["kubectl"]
        time_ratio = kubectl["wall_s"] / ours["wall_s"]
        mem_ratio = kubectl["peak_rss_mib"] / ours["peak_rss_mib"]
        print(f"kubectl / residency: time {time_ratio:.2f}x, peak memory {mem_ratio:.1f}x")
    if "client" in results:
        client = results["client"]
        print(
            f"client / residency: time {client['wall_s'] / ours['wall_s']:.2f}x, "
            f"peak memory {client['peak_rss_mib'] / ours['peak_rss_mib']:.1f}x"
        )
    print()
    if ours["returncode"] != 0:
        failures.append(f"residency sweep exited {ours['returncode']}")
    ok_rss = ours["peak_rss_mib"] < TARGET_RSS_MIB
    print(
        f"target: residency peak RSS {ours['peak_rss_mib']:,.0f} MiB < {TARGET_RSS_MIB:.0f} MiB: "
        f"{'yes' if ok_rss else 'NO'}"
    )
    if not ok_rss:
        failures.append(f"peak RSS {ours['peak_rss_mib']:,.0f} MiB >= {TARGET_RSS_MIB:.0f} MiB")
    if "kubectl" in results and kubectl["returncode"] == 0:
        ok_ratio = mem_ratio >= TARGET_KUBECTL_MEMORY_RATIO
        print(
            f"target: residency peak RSS <= 1/{TARGET_KUBECTL_MEMORY_RATIO:.0f} of kubectl's "
            f"({kubectl['peak_rss_mib'] / TARGET_KUBECTL_MEMORY_RATIO:,.0f} MiB): "
            f"{'yes' if ok_ratio else 'NO'}"
        )
        if not ok_ratio:
            failures.append(f"only {mem_ratio:.1f}x less memory than kubectl")
        ok_time = ours["wall_s"] <= kubectl["wall_s"]
        print(
            f"target: residency time {ours['wall_s']:.1f} s <= kubectl's {kubectl['wall_s']:.1f} s: "
            f"{'yes' if ok_time else 'NO'}"
        )
        if not ok_time:
            failures.append(
                f"slower than kubectl ({ours['wall_s']:.1f} s > {kubectl['wall_s']:.1f} s)"
            )
        if kubectl["requests"]["pods"] + kubectl["requests"]["nodes"] != pages_expected:
            failures.append(
                f"kubectl listed {kubectl['requests']['pods'] + kubectl['requests']['nodes']} "
                f"pages, {pages_expected} expected"
            )
    elif "kubectl" in results:
        failures.append(f"kubectl exited {kubectl['returncode']}")
    if stored is not None:
        ok_count = stored["pods"] == n_pods and stored["nodes"] == n_nodes
        print(
            f"check: stored assets hold {stored['pods']:,} pods and {stored['nodes']:,} nodes, "
            f"served {n_pods:,} and {n_nodes:,} (coverage pod {stored['pod_status']}, "
            f"node {stored['node_status']}): {'yes' if ok_count else 'NO'}"
        )
        if not ok_count:
            failures.append("stored pod/node counts differ from those served")
    for name in ("client", "raw"):
        r = results.get(name)
        if r is None:
            continue
        if r["returncode"] != 0:
            failures.append(f"{name} exited {r['returncode']}")
        elif (r["pods"], r["nodes"]) != (n_pods, n_nodes):
            failures.append(f"{name} read {r['pods']:,} pods and {r['nodes']:,} nodes")
    print("result:", "OK" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
