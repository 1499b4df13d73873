"""Rules: registry meta-tests, verdicts, coverage gaps, exemptions, requirements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from residency.areas import load_areas
from residency.config import ExemptionConfig
from residency.kinds import KINDS
from residency.rules import REGISTRY, EvaluationInput, evaluate, refs_column
from residency.schema import CATEGORIES

TESTS = Path(__file__).resolve().parent
KNOWN_REFS = ("CISPE-def-", "CISPE-badge-", "CADA-II-")


def test_every_rule_has_docs_refs_and_a_test() -> None:
    test_text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    assert {f"placement.{c}" for c in CATEGORIES} | {
        "control.operator",
        "lineage.topology_labels",
        "flow.location",
        "flow.control",
    } == set(REGISTRY)
    for rule in REGISTRY.values():
        assert len(rule.doc) > 80, rule.id
        assert rule.title and rule.refs, rule.id
        assert all(ref.startswith(KNOWN_REFS) for ref in rule.refs), rule.refs
        assert rule.severity in {"info", "low", "medium", "high", "critical"}
        assert set(rule.reads) <= {"assets", "placements", "flows", "coverage"}
        assert f'"{rule.id}"' in test_text, f"no test names rule {rule.id}"


def test_refs_point_at_clauses_that_exist_in_the_texts() -> None:
    reference = TESTS.parent.parent / "shared" / "reference"
    if not reference.is_dir():
        pytest.skip("../shared/reference is absent here")
    cispe = (reference / "cispe-sovereignty-resilience-framework.txt").read_text(encoding="utf-8")
    for rule in REGISTRY.values():
        for ref in rule.refs:
            if ref.startswith("CISPE-def-"):
                number = ref.removeprefix("CISPE-def-")
                assert f"\n{number}. **" in cispe, ref


def every_kind_once() -> pd.DataFrame:
    kinds = pd.DataFrame({"kind": [k.name for k in KINDS], "category": [k.category for k in KINDS]})
    n = len(kinds)
    return kinds.assign(
        source="s",
        platform="openstack",
        asset_id=[f"id-{i}" for i in range(n)],
        name=[f"n-{i}" for i in range(n)],
        region="r",
        zone=None,
        parent_id=None,
        basis="declared_site",
        evidence="site r",
        city="X",
        operator="Op",
        operator_jurisdiction="DE",
    )


def run(
    assets: pd.DataFrame,
    country: list[str | None],
    jurisdiction: list[str | None],
    coverage: pd.DataFrame | None = None,
    requirements: tuple[str, ...] = ("location", "control"),
    exemptions: tuple[ExemptionConfig, ...] = (),
    today: dt.date = dt.date(2026, 11, 23),
) -> pd.DataFrame:
    area = load_areas().get("eu")
    assets = assets.assign(
        country=country,
        subdivision=None,
        lat=np.nan,
        lon=np.nan,
        operator_jurisdiction=jurisdiction,
    )
    cov = (
        coverage
        if coverage is not None
        else pd.DataFrame(columns=["source", "region", "kind", "status", "error"])
    )
    data = EvaluationInput(
        assets,
        cov,
        area,
        area.contains(assets["country"]),
        area.contains(assets["operator_jurisdiction"]),
    )
    return evaluate(data, list(requirements), exemptions, today)


def test_each_category_rule_judges_its_own_assets() -> None:
    assets = every_kind_once()
    n = len(assets)
    findings = run(assets, ["DE"] * n, ["DE"] * n)
    placement = findings[findings["rule_id"].str.startswith("placement.")]
    assert (placement["status"] == "pass").all()
    assert len(placement) == n  # every asset judged by exactly one placement rule
    merged = placement.merge(assets, left_on="subject_id", right_on="asset_id")
    assert (merged["rule_id"] == "placement." + merged["category"]).all()
    control = findings[findings["rule_id"].eq("control.operator")]
    assert len(control) == n and (control["status"] == "pass").all()


@pytest.mark.parametrize(
    ("rule_id", "kind"),
    [
        ("placement.data_plane", "server"),
        ("placement.customer_resource", "image"),
        ("placement.control_plane", "secret_container"),
        ("placement.network_security", "router"),
        ("placement.identity_recovery", "backup"),
    ],
)
def test_placement_rule_fails_an_asset_of_its_category_outside(rule_id: str, kind: str) -> None:
    assets = every_kind_once()
    assets = assets[assets["kind"].eq(kind)]
    findings = run(assets, ["US"], ["US"]).set_index("rule_id")
    assert findings.loc[rule_id, "status"] == "fail"
    assert findings.loc[rule_id, "message"].startswith(f"{kind} n-")
    others = findings.drop(index=[rule_id, "control.operator"])
    assert set(others["status"]) == {"not_applicable"}


def test_fail_unknown_and_messages() -> None:
    assets = every_kind_once().iloc[:3]
    findings = run(assets, ["CA", None, "DE"], ["US", "DE", None]).set_index(
        ["rule_id", "subject_id"]
    )
    assert findings.loc[("placement.data_plane", "id-0"), "status"] == "fail"
    assert "is in CA (X), outside eu" in findings.loc[("placement.data_plane", "id-0"), "message"]
    assert findings.loc[("placement.data_plane", "id-1"), "status"] == "unknown"
    assert findings.loc[("control.operator", "id-0"), "status"] == "fail"
    assert findings.loc[("control.operator", "id-2"), "status"] == "unknown"
    refs = refs_column(pd.Series(["placement.data_plane", "control.operator"])).to_pylist()
    assert refs == [
        list(REGISTRY["placement.data_plane"].refs),
        list(REGISTRY["control.operator"].refs),
    ]


def test_inside_by_location_outside_by_control_says_so() -> None:
    assets = every_kind_once().iloc[:1].assign(operator="Amazon Web Services, Inc.")
    findings = run(assets, ["DE"], ["US"]).set_index("rule_id")
    assert findings.loc["placement.data_plane", "status"] == "pass"
    control = findings.loc["control.operator"]
    assert control["status"] == "fail"
    assert (
        "operated by Amazon Web Services, Inc. (controlled from US), outside eu"
        in control["message"]
    )
    assert "although the site itself is inside eu" in control["message"]


def test_coverage_gap_is_unknown_for_the_rules_reading_that_kind() -> None:
    coverage = pd.DataFrame(
        {
            "source": ["s"],
            "region": ["r"],
            "kind": ["secret_container"],
            "status": ["forbidden"],
            "error": ["403 Forbidden"],
        }
    )
    assets = every_kind_once().iloc[:1]
    findings = run(assets, ["DE"], ["DE"], coverage)
    gaps = findings[findings["subject_table"].eq("coverage")]
    assert sorted(gaps["rule_id"]) == ["control.operator", "placement.control_plane"]
    assert (gaps["status"] == "unknown").all()
    assert (gaps["subject_id"] == "s/r/secret_container").all()
    assert "forbidden" in gaps["message"].iloc[0]


def test_rules_without_subjects_are_not_applicable() -> None:
    assets = every_kind_once().iloc[:1]  # a server: data_plane only
    findings = run(assets, ["DE"], ["DE"]).set_index("rule_id")
    assert findings.loc["placement.identity_recovery", "status"] == "not_applicable"
    assert findings.loc["placement.data_plane", "status"] == "pass"


def test_control_can_be_switched_off_but_never_passes_silently() -> None:
    assets = every_kind_once().iloc[:1]
    findings = run(assets, ["DE"], ["US"], requirements=("location",)).set_index("rule_id")
    assert findings.loc["control.operator", "status"] == "not_applicable"
    assert "does not require control" in findings.loc["control.operator", "message"]


def test_exemptions_apply_until_they_expire() -> None:
    assets = every_kind_once().iloc[:2]
    current = ExemptionConfig(
        rule="placement.*",
        subject="s/server/n-0",
        reason="DR copy",
        owner="dpo@x.eu",
        expires=dt.date(2027, 1, 1),
    )
    expired = ExemptionConfig(
        rule="placement.data_plane",
        subject="id-1",
        reason="legacy",
        owner="ops@x.eu",
        expires=dt.date(2026, 1, 1),
    )
    findings = run(assets, ["CA", "CA"], ["FR", "FR"], exemptions=(current, expired)).set_index(
        ["rule_id", "subject_id"]
    )
    assert findings.loc[("placement.data_plane", "id-0"), "status"] == "exempted"
    assert (
        "exempted until 2027-01-01 by dpo@x.eu: DR copy"
        in findings.loc[("placement.data_plane", "id-0"), "message"]
    )
    assert findings.loc[("placement.data_plane", "id-1"), "status"] == "fail"
    assert "expired on 2026-01-01" in findings.loc[("placement.data_plane", "id-1"), "message"]
    # An exemption never turns anything into pass, and never touches unknown.
    unknown = run(assets, [None, None], ["FR", "FR"], exemptions=(current,))
    assert set(unknown[unknown["rule_id"].eq("placement.data_plane")]["status"]) == {"unknown"}


def test_a_kind_that_does_not_exist_there_is_not_a_gap() -> None:
    coverage = pd.DataFrame(
        {
            "source": ["s", "s"],
            "region": [None, None],
            "kind": ["backup_location", "node"],
            "status": ["not_found", "forbidden"],
            "error": ["CRD not installed", "403"],
        }
    )
    findings = run(every_kind_once().iloc[:1], ["DE"], ["DE"], coverage)
    gaps = findings[findings["subject_table"].eq("coverage")]
    assert set(gaps["subject_kind"]) == {"node"}


def test_node_labels_are_checked_against_the_server_behind_the_provider_id() -> None:
    assets = pd.DataFrame(
        {
            "source": ["os", "os", "k8s", "k8s", "k8s"],
            "platform": ["openstack", "openstack", "kubernetes", "kubernetes", "kubernetes"],
            "kind": ["server", "server", "node", "node", "node"],
            "category": "data_plane",
            "asset_id": ["s1", "s2", "n1", "n2", "n3"],
            "name": ["vm1", "vm2", "node-1", "node-2", "node-3"],
            "region": ["fra1", "fra1", "fra1", "ams1", "eu-central-1"],
            "zone": ["fra1-a", "fra1-b", "fra1-a", "ams1-a", None],
            "parent_id": [None, None, "s1", "s2", None],
            "basis": "declared_site",
            "evidence": "site",
            "city": None,
            "operator": "Op",
        }
    )
    findings = run(assets, ["DE"] * 5, ["DE"] * 5)
    labels = findings[findings["rule_id"].eq("lineage.topology_labels")].set_index("subject_id")
    assert sorted(labels.index) == ["n1", "n2"]  # n3 has no server in the sweep
    assert labels.loc["n1", "status"] == "pass"
    assert labels.loc["n2", "status"] == "fail"
    assert "labelled ams1/ams1-a but its server runs in fra1/fra1-b" in labels.loc["n2", "message"]
