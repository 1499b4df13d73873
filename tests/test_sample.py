"""The sample estate: seeded, scalable without changing shape, and every planted case found."""

from __future__ import annotations

import pandas as pd
import pytest

from residency.cli import planted_cases_found
from residency.sample import Estate, generate_estate
from residency.sweep import SweepOutcome


def shape(estate: Estate) -> dict[str, list[str]]:
    return {s.name: sorted(s.frames) for s in estate.sources}


def test_same_seed_same_estate_other_seed_other_ids() -> None:
    a, b, c = generate_estate(3), generate_estate(3), generate_estate(4)
    for sa, sb, sc in zip(a.sources, b.sources, c.sources, strict=True):
        for kind in sa.frames:
            pd.testing.assert_frame_equal(sa.frames[kind], sb.frames[kind])
        assert set(sa.frames["server" if "server" in sa.frames else "node"]["asset_id"]).isdisjoint(
            sc.frames["server" if "server" in sc.frames else "node"]["asset_id"]
        )


def test_scale_grows_rows_without_changing_shape() -> None:
    small, large = generate_estate(7, 1.0), generate_estate(7, 20.0)
    assert shape(small) == shape(large)
    assert [s.regions for s in small.sources] == [s.regions for s in large.sources]
    small_rows = sum(len(f) for s in small.sources for f in s.frames.values())
    large_rows = sum(len(f) for s in large.sources for f in s.frames.values())
    assert 15 * small_rows < large_rows < 25 * small_rows
    assert len(large.source("kube-prod").frames["pod"]) == 12_000


# Kinds whose identity the API gives as a name, not a generated UUID: Nova/Cinder zones,
# Keystone's default domain and IdPs, Swift containers (account/name), Keystone projects (hex);
# and control-plane configuration files, named by the collector from their paths.
NAMED_IDS = {
    "service_config",
    "availability_zone",
    "cluster",
    "domain",
    "identity_provider",
    "object_container",
    "project",
}


def test_identifiers_are_unique_within_a_source_and_uuids_where_generated() -> None:
    estate = generate_estate(7, 5.0)
    for source in estate.sources:
        frames = pd.concat(list(source.frames.values()), ignore_index=True)
        assert frames["asset_id"].is_unique, source.name
        generated = frames.loc[~frames["kind"].isin(NAMED_IDS), "asset_id"]
        assert generated.str.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
        ).all()
    nordlys = estate.source("nordlys").frames
    assert nordlys["project"]["asset_id"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert set(nordlys["server"]["scope"]) <= set(nordlys["project"]["asset_id"])


def test_lineage_links_point_at_real_assets() -> None:
    estate = generate_estate(7)
    nordlys, kube = estate.source("nordlys"), estate.source("kube-prod")
    servers = set(nordlys.frames["server"]["asset_id"])
    nodes = kube.frames["node"]
    linked = nodes[nodes["provider_id"].str.startswith("openstack:///", na=False)]
    assert len(linked) == 18  # 3 control-plane + 15 worker nodes
    assert set(linked["parent_id"]) <= servers
    assert (linked["provider_id"].str.removeprefix("openstack:///") == linked["parent_id"]).all()
    assert set(kube.frames["persistent_volume"]["parent_id"]) <= set(
        nordlys.frames["volume"]["asset_id"]
    )


def test_the_sample_sweep_finds_every_planted_case(
    estate: Estate, sample_outcome: SweepOutcome
) -> None:
    found, missing = planted_cases_found(estate, sample_outcome)
    assert missing == []
    assert found == len(estate.planted) >= 26


def test_the_sample_sweep_verdicts(sample_outcome: SweepOutcome) -> None:
    findings = sample_outcome.findings
    label = findings["subject_name"].fillna("").astype(str)
    bhs = findings[label.str.startswith("bhs5-vm") & findings["rule_id"].eq("placement.data_plane")]
    assert len(bhs) > 0 and (bhs["status"] == "fail").all()
    gra = findings[
        label.str.startswith("gra11-vm") & findings["rule_id"].eq("placement.data_plane")
    ]
    assert (gra["status"] == "pass").all()
    # OVHcloud is French: its Canadian servers pass control while failing location.
    bhs_control = findings[
        label.str.startswith("bhs5-vm") & findings["rule_id"].eq("control.operator")
    ]
    assert (bhs_control["status"] == "pass").all()
    burst = findings[label.str.startswith("burst-node")]
    by_rule = burst.groupby("rule_id")["status"].agg(set).to_dict()
    assert by_rule == {"placement.data_plane": {"pass"}, "control.operator": {"fail"}}
    assert burst[burst["rule_id"].eq("control.operator")]["message"].str.contains("Amazon").all()
    lab = findings[label.str.startswith("lab-")]
    assert set(lab["status"]) == {"unknown"}
    assert sample_outcome.summary["complete"] is False
    assert sample_outcome.exit_code == 1


@pytest.mark.parametrize("scale", [0.05, 3.0])
def test_other_scales_still_plant_every_case(tmp_path, scale: float) -> None:  # type: ignore[no-untyped-def]
    from residency.config import load_config
    from residency.sweep import run_sweep

    from .conftest import write_config

    estate = generate_estate(11, scale)
    config = load_config(
        write_config(
            tmp_path,
            estate.config(store="store")
            | {"sources": [{"name": "e", "type": "sample", "seed": 11, "scale": scale}]},
        )
    )
    outcome = run_sweep(config, "residency.yaml")
    assert planted_cases_found(estate, outcome)[1] == []


def test_sample_members_select_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from residency.config import load_config
    from residency.errors import ConfigError
    from residency.sample import MEMBERS
    from residency.sweep import run_sweep

    from .conftest import write_config

    estate = generate_estate(7, 0.1)
    assert [s.name for s in estate.sources] == list(MEMBERS)
    config = load_config(
        write_config(
            tmp_path,
            estate.config(store="store")
            | {
                "sources": [{"name": "e", "type": "sample", "scale": 0.1, "members": ["kube-prod"]}]
            },
        )
    )
    outcome = run_sweep(config, "residency.yaml")
    assert set(outcome.coverage["source"]) == {"kube-prod"}
    with pytest.raises(ConfigError, match=r"members.*not in the sample estate: \['atlantis'\]"):
        load_config(
            write_config(
                tmp_path, {"sources": [{"name": "e", "type": "sample", "members": ["atlantis"]}]}
            )
        )
