"""Locate: declared sites, provider catalogs, lineage and topology labels, each with its basis."""

from __future__ import annotations

import pandas as pd
import pytest

from residency.config import SiteConfig
from residency.locate import locate_assets, sites_frame
from residency.providers import provider_regions_frame

COLUMNS = [
    "source",
    "platform",
    "kind",
    "asset_id",
    "name",
    "region",
    "zone",
    "provider",
    "parent_id",
]


def assets(*rows: tuple[object, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS).astype(object)


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return provider_regions_frame()


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return sites_frame(
        [
            SiteConfig(
                source="priv",
                region="fra1",
                country="DE",
                city="Frankfurt",
                lat=50.11,
                lon=8.68,
                operator="Priv GmbH",
                operator_jurisdiction="DE",
            ),
            SiteConfig(source="priv", region="fra1", zone="fra1-dr", country="PL", city="Warsaw"),
            SiteConfig(region="shared", country="FR"),
        ]
    )


def placed(frame: pd.DataFrame, sites: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    return locate_assets(frame, sites, catalog).set_index("asset_id")


def test_declared_sites_most_specific_first(sites: pd.DataFrame, catalog: pd.DataFrame) -> None:
    result = placed(
        assets(
            ("priv", "openstack", "server", "a", "a", "fra1", "fra1-a", None, None),
            ("priv", "openstack", "server", "b", "b", "fra1", "fra1-dr", None, None),
            ("other", "openstack", "server", "c", "c", "shared", None, None, None),
            ("other", "openstack", "server", "d", "d", "fra1", None, None, None),
        ),
        sites,
        catalog,
    )
    assert result.loc["a", ["country", "operator_jurisdiction", "basis"]].tolist() == [
        "DE",
        "DE",
        "declared_site",
    ]
    assert result.loc["b", ["country", "city"]].tolist() == ["PL", "Warsaw"]
    assert result.loc["c", "country"] == "FR"
    # A site declared for another source does not apply.
    assert result.loc["d", "basis"] == "unknown"
    assert "region fra1" in result.loc["d", "evidence"]


def test_provider_catalog_by_region_alias_and_zone(
    sites: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    result = placed(
        assets(
            ("ovh", "openstack", "server", "g", "g", "GRA11", "nova", "ovhcloud", None),
            ("ovh", "openstack", "server", "b", "b", "BHS5", "nova", "ovhcloud", None),
            ("aws", "openstack", "volume", "z", "z", None, "eu-west-par-a", "ovhcloud", None),
            ("x", "openstack", "server", "n", "n", "GRA11", None, None, None),
        ),
        sites,
        catalog,
    )
    assert result.loc["g", ["country", "city", "operator_jurisdiction", "basis"]].tolist() == [
        "FR",
        "Gravelines",
        "FR",
        "provider_catalog",
    ]
    assert result.loc["b", "country"] == "CA"
    assert result.loc["z", ["country", "city"]].tolist() == ["FR", "Paris"]
    assert "ovhcloud" in result.loc["g", "evidence"]
    # Without a provider, a region name alone proves nothing.
    assert result.loc["n", "basis"] == "unknown"


def test_lineage_from_pod_to_node_to_server(sites: pd.DataFrame, catalog: pd.DataFrame) -> None:
    result = placed(
        assets(
            ("priv", "openstack", "server", "srv", "kube-node-0", "fra1", "fra1-a", None, None),
            ("k8s", "kubernetes", "node", "node", "kube-node-0", "shared", None, None, "srv"),
            ("k8s", "kubernetes", "pod", "pod", "web-1", None, None, None, "node"),
            ("k8s", "kubernetes", "node", "lonely", "edge", "shared", None, None, None),
            ("k8s", "kubernetes", "pod", "pod2", "web-2", None, None, None, "lonely"),
            ("k8s", "kubernetes", "node", "dark", "dark", None, None, None, "missing-server"),
            ("k8s", "kubernetes", "pod", "pod3", "web-3", None, None, None, "dark"),
        ),
        sites,
        catalog,
    )
    # The node's label says "shared" (FR) but its server is in Frankfurt: lineage wins.
    assert result.loc["node", ["country", "basis"]].tolist() == ["DE", "provider_id_lineage"]
    assert result.loc["pod", ["country", "basis"]].tolist() == ["DE", "provider_id_lineage"]
    assert result.loc["pod", "evidence"].startswith("via node kube-node-0: via server kube-node-0")
    # Only labels: topology_label, inherited by its pods.
    assert result.loc["lonely", ["country", "basis"]].tolist() == ["FR", "topology_label"]
    assert result.loc["pod2", ["country", "basis"]].tolist() == ["FR", "topology_label"]
    # Broken lineage and no labels: unknown all the way down.
    assert result.loc["dark", "basis"] == "unknown"
    assert result.loc["pod3", "basis"] == "unknown"
    assert pd.isna(result.loc["pod3", "country"])


def test_sites_by_coordinates_get_their_country_from_polygons() -> None:
    frame = sites_frame([SiteConfig(region="ams1", lat=52.37, lon=4.90)])
    assert frame.loc[0, "country"] == "NL"
    assert "coordinates" in frame.loc[0, "evidence"]


def test_every_asset_of_the_sample_sweep_has_one_placement(sample_sweep) -> None:  # type: ignore[no-untyped-def]
    assets_ = sample_sweep.table("assets", ["asset_id"]).column("asset_id").to_pylist()
    placements = sample_sweep.table("placements").to_pandas()
    assert sorted(placements["asset_id"]) == sorted(assets_)
    counts = placements["basis"].astype(str).value_counts().to_dict()
    assert set(counts) == {
        "declared_site",
        "provider_catalog",
        "provider_id_lineage",
        "topology_label",
        "unknown",
    }
    unknown = placements[placements["basis"].astype(str).eq("unknown")]
    assert unknown["country"].isna().all()
    assert unknown["evidence"].str.contains("no declared site").all()
