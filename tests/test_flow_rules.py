"""Flow rules on the sample sweep: where data goes, by location and by control, with the
basis of each answer; and the resolved destinations stored in the sweep's flows table."""

from __future__ import annotations

import pandas as pd
import pytest

from residency.store import StoredSweep
from residency.sweep import SweepOutcome


@pytest.fixture(scope="module")
def flow_findings(sample_outcome: SweepOutcome) -> pd.DataFrame:
    findings = sample_outcome.findings
    return findings[findings["rule_id"].astype(str).str.startswith("flow.")]


def one(findings: pd.DataFrame, rule: str, channel: str, destination: str) -> pd.Series:
    rows = findings[
        findings["rule_id"].eq(rule)
        & findings["subject_kind"].eq(channel)
        & findings["subject_name"].astype(str).str.contains(destination, regex=False)
    ]
    assert len(rows) >= 1, (rule, channel, destination)
    return rows.iloc[0]


def test_an_identity_flow_to_a_us_idp_fails_control_and_cannot_be_placed(
    flow_findings: pd.DataFrame,
) -> None:
    control = one(flow_findings, "flow.control", "identity", "sts.windows.net")
    assert control["status"] == "fail"
    assert "Microsoft Corporation (controlled from US), outside eu" in control["message"]
    location = one(flow_findings, "flow.location", "identity", "sts.windows.net")
    assert location["status"] == "unknown"  # a global service: no single country


def test_open_egress_is_unknown_never_pass(flow_findings: pd.DataFrame) -> None:
    egress = flow_findings[
        flow_findings["rule_id"].eq("flow.location") & flow_findings["subject_kind"].eq("egress")
    ]
    anywhere = egress[egress["subject_name"].isin(["0.0.0.0/0", "::/0"])]
    assert len(anywhere) > 0
    assert set(anywhere["status"]) == {"unknown"}
    assert anywhere["message"].str.contains("may go anywhere").all()
    assert anywhere["evidence"].str.contains("resolved by anywhere").all()


def test_every_flow_gets_both_verdicts_and_a_basis(
    flow_findings: pd.DataFrame, sample_sweep: StoredSweep
) -> None:
    flows = sample_sweep.table("flows").to_pandas()
    assert len(flows) > 0
    assert flows["resolution_basis"].notna().all()
    location = flow_findings[flow_findings["rule_id"].eq("flow.location")]
    control = flow_findings[flow_findings["rule_id"].eq("flow.control")]
    assert len(location) == len(control) == len(flows)
    assert not (location["status"].eq("pass") & location["message"].str.contains(r"\?")).any()


def test_a_catalogued_frankfurt_saas_passes_location_and_fails_control() -> None:
    import numpy as np

    from residency.areas import load_areas
    from residency.resolve import resolve_sweep_flows

    flows = pd.DataFrame(
        {
            "source": ["kube-prod"],
            "asset_id": ["cm-1"],
            "channel": ["logs"],
            "endpoint": ["https://http-intake.logs.datadoghq.eu"],
            "host": ["http-intake.logs.datadoghq.eu"],
            "ip": [None],
            "evidence": ["ConfigMap monitoring/fluent-bit [OUTPUT] datadog"],
        }
    )
    placed = pd.DataFrame(
        {
            "source": ["kube-prod"],
            "asset_id": ["cm-1"],
            "kind": ["config_map"],
            "name": ["fluent-bit"],
            "country": ["DE"],
            "operator": ["Nordlys Cloud GmbH"],
            "operator_jurisdiction": ["DE"],
        }
    )
    addresses = pd.DataFrame({"source": [], "asset_id": [], "address": []}, dtype=object)
    area = load_areas([]).get("eu")
    out, location, control = resolve_sweep_flows(flows, placed, addresses, area)
    assert out.loc[0, "dest_country"] == "DE" and out.loc[0, "operator_jurisdiction"] == "US"
    assert out.loc[0, "asset_name"] == "fluent-bit"
    from residency.areas import INSIDE, OUTSIDE

    assert np.array_equal(location, [INSIDE]) and np.array_equal(control, [OUTSIDE])
