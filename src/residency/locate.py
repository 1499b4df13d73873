"""Locate: turn assets into placements, each with the basis and evidence of its claim.

An asset is placed, in order of strength, by

1. a site the user declared for its (source, region, zone) — ``declared_site``;
2. its provider's published region catalog — ``provider_catalog``;
3. lineage to a located parent, e.g. pod → node → ``openstack:///<server>`` → server —
   ``provider_id_lineage``;
4. Kubernetes topology labels matched to a site or catalog entry — ``topology_label``;

and otherwise it is ``unknown``. Every step is a join over whole tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from residency.config import SiteConfig

__all__ = ["BASIS_RANK", "locate_assets", "sites_frame"]

PLACE_COLUMNS: Final = [
    "country",
    "subdivision",
    "city",
    "lat",
    "lon",
    "operator",
    "operator_jurisdiction",
    "evidence",
]
# Higher is stronger evidence; lineage beats labels, a declared or catalog site beats both.
BASIS_RANK: Final = {
    "unknown": 0,
    "ip_geolocation": 1,
    "topology_label": 2,
    "provider_id_lineage": 3,
    "provider_catalog": 4,
    "declared_site": 5,
}
_LINEAGE_DEPTH: Final = 4


def sites_frame(sites: Sequence[SiteConfig], config_file: str = "residency.yaml") -> pd.DataFrame:
    """The declared sites as a frame; sites given only by coordinates get their country here."""
    frame = pd.DataFrame(
        [s.model_dump() for s in sites],
        columns=["source", "region", "zone", *PLACE_COLUMNS[:-1]],
    ).astype(object)
    frame["evidence"] = [
        f"site {s.region}{'/' + s.zone if s.zone else ''} declared in {config_file}" for s in sites
    ]
    missing = frame["country"].isna().to_numpy()
    if missing.any():
        from residency.geo import CountryIndex

        country, subdivision = CountryIndex.load().locate(
            frame.loc[missing, "lat"].to_numpy(float), frame.loc[missing, "lon"].to_numpy(float)
        )
        frame.loc[missing, "country"] = country
        frame.loc[missing, "subdivision"] = subdivision
        frame.loc[missing, "evidence"] = frame.loc[missing, "evidence"] + (
            " (country from its coordinates, Natural Earth polygons)"
        )
    return frame


def _match(
    assets: pd.DataFrame,
    places: pd.DataFrame,
    keys: list[str],
    basis: str,
    result: pd.DataFrame,
) -> None:
    """Fill still-unplaced rows of ``result`` from ``places`` joined on ``keys``."""
    todo = result["basis"].eq("unknown").to_numpy() & assets[keys].notna().all(axis=1).to_numpy()
    if not todo.any() or places.empty:
        return
    lookup = places.dropna(subset=keys).drop_duplicates(subset=keys, keep="first")
    joined = assets.loc[todo, keys].merge(lookup[[*keys, *PLACE_COLUMNS]], on=keys, how="left")
    hit = joined["evidence"].notna().to_numpy()
    rows = np.flatnonzero(todo)[hit]
    for column in PLACE_COLUMNS:
        result.iloc[rows, result.columns.get_loc(column)] = joined.loc[hit, column].to_numpy()
    result.iloc[rows, result.columns.get_loc("basis")] = basis


def locate_assets(
    assets: pd.DataFrame,
    sites: pd.DataFrame,
    catalog: pd.DataFrame,
) -> pd.DataFrame:
    """Placements (one per asset, same order) from declared sites, catalogs and lineage.

    ``assets`` needs source, platform, asset_id, region, zone, provider, parent_id;
    ``sites`` comes from :func:`sites_frame`, ``catalog`` from
    ``residency.providers.provider_regions_frame``.
    """
    n = len(assets)
    result = pd.DataFrame({"asset_id": assets["asset_id"].to_numpy()})
    for column in PLACE_COLUMNS:
        result[column] = pd.Series([None] * n, dtype=object)
    result["basis"] = "unknown"

    own = assets[["source", "region", "zone", "provider"]].astype(object)
    own = own.where(own.notna(), None)
    # Declared sites: most specific first (source + zone, source + region, then any source).
    scoped = sites[sites["source"].notna()]
    anywhere = sites[sites["source"].isna()]
    _match(
        own, scoped[scoped["zone"].notna()], ["source", "region", "zone"], "declared_site", result
    )
    _match(own, scoped[scoped["zone"].isna()], ["source", "region"], "declared_site", result)
    _match(own, anywhere[anywhere["zone"].notna()], ["region", "zone"], "declared_site", result)
    _match(own, anywhere[anywhere["zone"].isna()], ["region"], "declared_site", result)
    # Provider catalogs: by region id (or alias), then by zone id.
    regions = catalog[catalog["zone"].isna()]
    zones = catalog[catalog["zone"].notna()]
    _match(own, regions, ["provider", "region"], "provider_catalog", result)
    _match(own, zones, ["provider", "zone"], "provider_catalog", result)

    # Kubernetes objects only know their region from topology labels.
    labelled = (
        assets["platform"].eq("kubernetes").to_numpy() & result["basis"].ne("unknown").to_numpy()
    )
    result.loc[labelled, "basis"] = "topology_label"
    result.loc[labelled, "evidence"] = (
        "topology labels region="
        + assets.loc[labelled, "region"].astype(str)
        + " zone="
        + assets.loc[labelled, "zone"].astype(str)
        + " → "
        + result.loc[labelled, "evidence"].astype(str)
    )
    _inherit_from_parents(assets, result)
    result.loc[result["basis"].eq("unknown"), "evidence"] = _unplaced_evidence(
        assets[result["basis"].eq("unknown").to_numpy()]
    ).to_numpy()
    return result


def _inherit_from_parents(assets: pd.DataFrame, result: pd.DataFrame) -> None:
    """Walk parent links level by level; a stronger inherited placement replaces a weaker one."""
    parent_ids = assets["parent_id"].to_numpy(dtype=object)
    has_parent = pd.notna(parent_ids)
    if not has_parent.any():
        return
    position = pd.Series(np.arange(len(assets)), index=assets["asset_id"].to_numpy())
    position = position[~position.index.duplicated(keep="first")]
    parent_pos = position.reindex(parent_ids[has_parent]).to_numpy()
    child_rows = np.flatnonzero(has_parent)[~np.isnan(parent_pos)]
    parent_rows = parent_pos[~np.isnan(parent_pos)].astype(np.int64)
    crosses_platform = (
        assets["platform"].to_numpy()[child_rows] != assets["platform"].to_numpy()[parent_rows]
    )
    rank = result["basis"].map(BASIS_RANK)
    for _ in range(_LINEAGE_DEPTH):
        parent_basis = result["basis"].to_numpy()[parent_rows]
        strong = np.isin(parent_basis, ["declared_site", "provider_catalog", "provider_id_lineage"])
        inherited = np.where(strong | crosses_platform, "provider_id_lineage", parent_basis).astype(
            object
        )
        inherited[parent_basis == "unknown"] = "unknown"
        inherited_rank = pd.Series(inherited).map(BASIS_RANK).to_numpy()
        better = inherited_rank > rank.to_numpy()[child_rows]
        if not better.any():
            break
        rows, parents = child_rows[better], parent_rows[better]
        kinds = assets["kind"].to_numpy()[parents].astype(str)
        names = assets["name"].fillna(assets["asset_id"]).to_numpy()[parents].astype(str)
        for column in PLACE_COLUMNS[:-1]:
            col = result.columns.get_loc(column)
            result.iloc[rows, col] = result.iloc[parents, col].to_numpy()
        evidence = result["evidence"].to_numpy()[parents].astype(str)
        via = np.char.add(np.char.add(np.char.add("runs on ", kinds), " "), names)
        result.iloc[rows, result.columns.get_loc("evidence")] = np.char.add(
            np.char.add(via, ": "), evidence
        )
        result.iloc[rows, result.columns.get_loc("basis")] = inherited[better]
        rank = result["basis"].map(BASIS_RANK)


def _unplaced_evidence(assets: pd.DataFrame) -> pd.Series:
    region = assets["region"].fillna("(none)").astype(str)
    zone = assets["zone"].fillna("(none)").astype(str)
    provider = assets["provider"].fillna("(none)").astype(str)
    return (
        "no declared site, catalog entry or located parent for region "
        + region
        + ", zone "
        + zone
        + ", provider "
        + provider
    )
