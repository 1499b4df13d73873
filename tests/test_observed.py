"""Observed flows: Hubble exports and flow records, aggregated and judged like declared ones."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from residency.collect import CollectContext
from residency.observed import ObservedFlowsCollector, ObservedFlowsOptions
from residency.store import open_sweep


def hubble_line(src_pod: str, dst_ip: str, port: int, names: list[str], dst_pod: str = "") -> str:
    """One line as Hubble's exporter writes it (a GetFlowsResponse with the flow inside)."""
    destination: dict[str, Any] = {"identity": 2, "labels": ["reserved:world"]}
    if dst_pod:
        destination = {"namespace": "shop", "pod_name": dst_pod, "identity": 4242}
    flow = {
        "time": "2026-11-20T10:00:00.000000001Z",
        "verdict": "FORWARDED",
        "IP": {"source": "10.64.1.7", "destination": dst_ip, "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 40312, "destination_port": port, "flags": {"SYN": True}}},
        "source": {"namespace": "shop", "pod_name": src_pod, "identity": 12345},
        "destination": destination,
        "Type": "L3_L4",
        "node_name": "kube-fra1-node-1",
        "destination_names": names,
        "traffic_direction": "EGRESS",
        "is_reply": False,
    }
    return json.dumps({"flow": flow, "node_name": "kube-fra1-node-1", "time": flow["time"]})


def ctx() -> CollectContext:
    return CollectContext(sweep_id="t", observed_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def collected(options: ObservedFlowsOptions) -> dict[str, pd.DataFrame]:
    out: dict[str, list[pa.Table]] = {}
    for name, table in ObservedFlowsCollector("hubble", options).collect(ctx()):
        out.setdefault(name, []).append(table)
    return {k: pa.concat_tables(v).to_pandas() for k, v in out.items()}


def test_hubble_records_are_aggregated_per_pod_and_destination(tmp_path: Path) -> None:
    lines = [hubble_line("web-1", "3.120.1.5", 443, ["api.datadoghq.com"])] * 3
    lines += [hubble_line("web-1", "3.120.1.5", 8443, ["api.datadoghq.com"])]
    lines += [hubble_line("web-1", "9.9.9.9", 53, [])] * 2
    lines += [hubble_line("web-2", "10.64.2.9", 8080, [], dst_pod="cart-0")]  # stays inside
    export = tmp_path / "hubble.json"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tables = collected(ObservedFlowsOptions(path=export, cluster="kube-prod"))
    flows = tables["flows"].sort_values("ip").reset_index(drop=True)
    assert flows["asset_id"].tolist() == ["k8s:pod/shop/web-1", "k8s:pod/shop/web-1"]
    assert flows["ip"].tolist() == ["3.120.1.5", "9.9.9.9"]
    # One port for all records is kept; several ports leave it open.
    assert pd.isna(flows["port"].iloc[0]) and flows["port"].iloc[1] == 53
    assert set(flows["basis"]) == {"observed"} and set(flows["source"]) == {"kube-prod"}
    assert flows["host"].iloc[0] == "api.datadoghq.com"
    assert flows["evidence"].iloc[0].startswith("hubble.json: 4 records")
    coverage = tables["coverage"].iloc[0]
    assert (coverage["kind"], coverage["status"], coverage["rows"]) == ("observed_flow", "ok", 2)


def test_flow_records_from_csv_and_parquet(tmp_path: Path) -> None:
    records = pd.DataFrame(
        {
            "src": ["vm-a", "vm-a", "vm-b"],
            "dst_ip": ["9.9.9.9", "9.9.9.9", "203.0.113.9"],
            "dst_port": [53, 53, 443],
            "bytes": [100, 50, 7],
            "time": ["2026-11-20T10:00:00Z"] * 3,
        }
    )
    csv = tmp_path / "flows.csv"
    records.to_csv(csv, index=False)
    parquet = tmp_path / "flows.parquet"
    pq.write_table(pa.Table.from_pandas(records), parquet)
    for path in (csv, parquet):
        flows = collected(ObservedFlowsOptions(path=path))["flows"].sort_values("asset_id")
        assert flows["ip"].tolist() == ["9.9.9.9", "203.0.113.9"]
        assert flows["evidence"].iloc[0] == f"{path.name}: 2 records, 150 bytes, to 9.9.9.9"


def test_a_malformed_export_is_a_coverage_error_not_an_empty_pass(tmp_path: Path) -> None:
    bad = tmp_path / "flows.csv"
    bad.write_text("source,destination\na,b\n", encoding="utf-8")
    tables = collected(ObservedFlowsOptions(path=bad))
    assert "flows" not in tables
    coverage = tables["coverage"].iloc[0]
    assert coverage["status"] == "error" and "dst_ip" in coverage["error"]
    missing = collected(ObservedFlowsOptions(path=tmp_path / "nope.json"))
    assert missing["coverage"].iloc[0]["status"] == "error"


def test_a_sweep_judges_observed_flows_by_location_and_control(tmp_path: Path) -> None:
    export = tmp_path / "hubble.json"
    export.write_text(
        "\n".join(
            [
                hubble_line("web-1", "3.120.1.5", 443, ["http-intake.logs.datadoghq.eu"]),
                hubble_line("web-1", "9.9.9.9", 53, []),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    config = {
        "area": "eu",
        "store": "store",
        "sources": [{"name": "hubble", "type": "observed_flows", "path": "hubble.json"}],
    }
    (tmp_path / "residency.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("residency")), "sweep", "-c", "residency.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    sweep = open_sweep(str(tmp_path / "store"))
    findings = sweep.table("findings").to_pandas()
    flows = findings[findings["rule_id"].astype(str).str.startswith("flow.")]
    verdicts = {
        (str(r), str(n)): str(s)
        for r, n, s in zip(flows["rule_id"], flows["subject_name"], flows["status"], strict=True)
    }
    # Frankfurt by location, a US operator by control; Quad9 (CH) anycast: no location.
    assert verdicts["flow.location", "http-intake.logs.datadoghq.eu"] == "pass"
    assert verdicts["flow.control", "http-intake.logs.datadoghq.eu"] == "fail"
    assert verdicts["flow.control", "9.9.9.9"] == "fail"
    assert verdicts["flow.location", "9.9.9.9"] == "unknown"
    stored = sweep.table("flows").to_pandas()
    assert set(stored["basis"].astype(str)) == {"observed"}
