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
import numpy.typing as npt
import pandas as pd

from residency.config import SiteConfig
from residency.schema import PLACEMENTS

__all__ = ["BASIS_RANK", "locate_assets", "sites_frame"]

# What a site, catalog entry or parent passes on to an asset: every placement column
# but the asset's id, the basis and the provenance.
PLACE_COLUMNS: Final = [
    name
    for name in PLACEMENTS.names
    if name not in {"sweep_id", "source", "observed_at", "asset_id", "basis"}
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
        columns=["source", "region", "zone", *(c for c in PLACE_COLUMNS if c != "evidence")],
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


class _Placements:
    """Placement columns as object arrays, filled step by step in bulk."""

    def __init__(self, n: int) -> None:
        self.columns: dict[str, npt.NDArray[np.object_]] = {
            column: np.full(n, None, dtype=object) for column in PLACE_COLUMNS
        }
        self.basis: npt.NDArray[np.object_] = np.full(n, "unknown", dtype=object)

    def unplaced(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.basis == "unknown", dtype=bool)

    def copy_rows(
        self,
        rows: npt.NDArray[np.int64],
        source: _Placements | pd.DataFrame,
        source_rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        for column, values in self.columns.items():
            if isinstance(source, pd.DataFrame):
                values[rows] = source[column].to_numpy(dtype=object)
            else:
                values[rows] = source.columns[column][source_rows]


def _match(
    assets: pd.DataFrame,
    places: pd.DataFrame,
    keys: list[str],
    basis: str,
    result: _Placements,
) -> None:
    """Fill still-unplaced rows of ``result`` from ``places`` joined on ``keys``."""
    todo = result.unplaced() & assets[keys].notna().all(axis=1).to_numpy()
    if not todo.any() or places.empty:
        return
    lookup = places.dropna(subset=keys).drop_duplicates(subset=keys, keep="first")
    joined = assets.loc[todo, keys].merge(lookup[[*keys, *PLACE_COLUMNS]], on=keys, how="left")
    hit = joined["evidence"].notna().to_numpy()
    rows = np.flatnonzero(todo)[hit]
    result.copy_rows(rows, joined[hit])
    result.basis[rows] = basis


def locate_assets(
    assets: pd.DataFrame,
    sites: pd.DataFrame,
    catalog: pd.DataFrame,
) -> pd.DataFrame:
    """Placements (one per asset, same order) from declared sites, catalogs and lineage.

    ``assets`` needs source, platform, kind, asset_id, name, region, zone, provider and
    parent_id; ``sites`` comes from :func:`sites_frame`, ``catalog`` from
    ``residency.providers.provider_regions_frame``.
    """
    result = _Placements(len(assets))
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
    _match(own, catalog[catalog["zone"].isna()], ["provider", "region"], "provider_catalog", result)
    _match(own, catalog[catalog["zone"].notna()], ["provider", "zone"], "provider_catalog", result)

    # Kubernetes objects only know their region from topology labels.
    labelled = assets["platform"].eq("kubernetes").to_numpy() & ~result.unplaced()
    result.basis[labelled] = "topology_label"
    evidence = result.columns["evidence"]
    evidence[labelled] = (
        "topology labels region="
        + assets["region"].to_numpy(dtype=object)[labelled].astype(str).astype(object)
        + " zone="
        + assets["zone"].to_numpy(dtype=object)[labelled].astype(str).astype(object)
        + " → "
        + evidence[labelled]
    )
    _inherit_from_parents(assets, result)
    unplaced = result.unplaced()
    evidence[unplaced] = _unplaced_evidence(assets[unplaced]).to_numpy(dtype=object)
    frame = pd.DataFrame({"asset_id": assets["asset_id"].to_numpy(dtype=object)})
    for column, values in result.columns.items():
        frame[column] = values
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["basis"] = result.basis
    return frame


def _inherit_from_parents(assets: pd.DataFrame, result: _Placements) -> None:
    """Walk parent links level by level; a stronger inherited placement replaces a weaker one."""
    parent_ids = assets["parent_id"].to_numpy(dtype=object)
    has_parent = pd.notna(parent_ids)
    if not has_parent.any():
        return
    position = pd.Series(np.arange(len(assets)), index=assets["asset_id"].to_numpy())
    position = position[~position.index.duplicated(keep="first")]
    parent_pos = position.reindex(parent_ids[has_parent]).to_numpy()
    found = ~np.isnan(parent_pos)
    child_rows = np.flatnonzero(has_parent)[found]
    parent_rows = parent_pos[found].astype(np.int64)
    platform = assets["platform"].to_numpy(dtype=object)
    crosses_platform = platform[child_rows] != platform[parent_rows]
    kinds = assets["kind"].to_numpy(dtype=object).astype(str).astype(object)
    names = (
        assets["name"].fillna(assets["asset_id"]).to_numpy(dtype=object).astype(str).astype(object)
    )
    rank_of = np.vectorize(BASIS_RANK.__getitem__, otypes=[np.int64])
    for _ in range(_LINEAGE_DEPTH):
        parent_basis = result.basis[parent_rows]
        strong = np.isin(parent_basis, ["declared_site", "provider_catalog", "provider_id_lineage"])
        inherited = np.where(strong | crosses_platform, "provider_id_lineage", parent_basis)
        inherited = np.where(parent_basis == "unknown", "unknown", inherited).astype(object)
        better = rank_of(inherited) > rank_of(result.basis[child_rows])
        if not better.any():
            break
        rows, parents = child_rows[better], parent_rows[better]
        # Once per parent, shared by its children (a node's evidence, by its 100 pods).
        distinct, of_row = np.unique(parents, return_inverse=True)
        via = "via " + kinds[distinct] + " " + names[distinct] + ": "
        evidence = (via + result.columns["evidence"][distinct])[of_row]
        result.copy_rows(rows, result, parents)
        result.columns["evidence"][rows] = evidence
        result.basis[rows] = inherited[better]


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
