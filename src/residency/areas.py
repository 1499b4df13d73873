"""Defined Geographical Areas of Sovereignty: named sets of countries, subdivisions and polygons.

An area file holds ``areas:``, a list of areas. Each area ``include``s and ``exclude``s
ISO 3166-1 alpha-2 codes (``DE``), ISO 3166-2 codes (``ES-CN``) and other areas by
name (``eu``), and may carry extra GeoJSON ``polygons``. Membership is decided for
whole arrays of placements at once and is three-valued: inside, outside, unknown.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from residency.data import regions_path
from residency.errors import ConfigError
from residency.yamlio import YamlDocument, load_yaml, validate_document

__all__ = [
    "INSIDE",
    "OUTSIDE",
    "UNKNOWN",
    "Area",
    "AreaCatalog",
    "iso_codes",
    "load_areas",
    "normalise_places",
]

INSIDE: Final = 1
OUTSIDE: Final = 0
UNKNOWN: Final = -1

# ISO 3166-1 codes that ISO 3166-2 also lists as subdivisions of a member state, and whose
# land Natural Earth draws inside that state: a placement or an area naming either form
# means the same place.
SUBDIVISION_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "RE": ("FR-RE",),
    "GP": ("FR-GP",),
    "MQ": ("FR-MQ",),
    "GF": ("FR-GF",),
    "YT": ("FR-YT",),
    "BQ": ("NL-BQ1", "NL-BQ2", "NL-BQ3"),
    "SJ": ("NO-21", "NO-22"),
}

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_AREA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class AreaSpec(BaseModel):
    """One area as written in YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_AREA_NAME.pattern)
    title: str
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    polygons: list[dict[str, Any] | str] = Field(default_factory=list)
    source: str | None = None


class AreaFile(BaseModel):
    """An area file: a list of areas."""

    model_config = ConfigDict(extra="forbid")

    areas: list[AreaSpec]


@cache
def iso_codes() -> Mapping[str, str]:
    """ISO 3166-1 and 3166-2 codes the project knows, with their English names."""
    path = regions_path("iso3166.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@dataclass(frozen=True, eq=False)
class Area:
    """A compiled area: codes and sub-areas resolved, polygons parsed."""

    name: str
    title: str
    include_codes: frozenset[str]
    exclude_codes: frozenset[str]
    include_areas: tuple[Area, ...] = ()
    exclude_areas: tuple[Area, ...] = ()
    polygons: Any = None  # a shapely geometry or None
    origin: str = ""
    source: str | None = None

    def codes(self) -> frozenset[str]:
        """Every ISO code this area includes, through its sub-areas, minus exclusions."""
        codes = set(self.include_codes)
        for sub in self.include_areas:
            codes |= sub.codes()
        for sub in self.exclude_areas:
            codes -= sub.codes()
        return frozenset(codes - self.exclude_codes)

    def contains(
        self,
        country: Sequence[Any] | npt.NDArray[Any] | pd.Series[Any],
        subdivision: Sequence[Any] | npt.NDArray[Any] | pd.Series[Any] | None = None,
        lat: Sequence[Any] | npt.NDArray[Any] | pd.Series[Any] | None = None,
        lon: Sequence[Any] | npt.NDArray[Any] | pd.Series[Any] | None = None,
    ) -> npt.NDArray[np.int8]:
        """INSIDE, OUTSIDE or UNKNOWN per place, for whole arrays at once."""
        country_codes, country_values = pd.factorize(np.asarray(country, dtype=object))
        n = len(country_codes)
        if subdivision is None:
            sub_codes, sub_values = np.full(n, -1, dtype=np.intp), np.array([], dtype=object)
        else:
            sub_codes, sub_values = pd.factorize(np.asarray(subdivision, dtype=object))
        if not self._has_polygons():
            # Membership depends on the codes alone: decide it once per distinct
            # (country, subdivision) pair and spread it back over all places.
            pair = (country_codes.astype(np.int64) + 1) * (len(sub_values) + 1) + sub_codes + 1
            pair_codes = pd.factorize(pair)[0]
            first = np.unique(pair_codes, return_index=True)[1]
            countries = _take(country_values, country_codes[first])
            subs = _take(sub_values, sub_codes[first])
            nan = np.full(len(first), np.nan)
            inside, unknown = self._membership(*normalise_places(countries, subs), nan, nan)
            result = _verdict(inside, unknown)[pair_codes]
            # A place with coordinates but no country (at sea) is outside, not unknown.
            located = ~np.isnan(_float_array(lat, n)) & ~np.isnan(_float_array(lon, n))
            result[(result == UNKNOWN) & (country_codes < 0) & located] = OUTSIDE
            return result
        countries = _take(country_values, country_codes)
        subs = _take(sub_values, sub_codes)
        lats = _float_array(lat, n)
        lons = _float_array(lon, n)
        countries, subs = normalise_places(countries, subs)
        inside, unknown = self._membership(countries, subs, lats, lons)
        return _verdict(inside, unknown)

    def _has_polygons(self) -> bool:
        return self.polygons is not None or any(
            a._has_polygons() for a in (*self.include_areas, *self.exclude_areas)
        )

    def _membership(
        self,
        countries: pd.Series[Any],
        subs: pd.Series[Any],
        lats: npt.NDArray[np.float64],
        lons: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        inc_sub = subs.isin(self.include_codes).to_numpy()
        exc_sub = subs.isin(self.exclude_codes).to_numpy()
        inc_country = countries.isin(self.include_codes).to_numpy()
        exc_country = countries.isin(self.exclude_codes).to_numpy()
        in_sub_area = np.zeros(len(countries), dtype=bool)
        unknown = countries.isna().to_numpy() & np.isnan(lats)
        for sub in self.include_areas:
            sub_inside, sub_unknown = sub._membership(countries, subs, lats, lons)
            in_sub_area |= sub_inside
            unknown |= sub_unknown
        # The most specific code wins: an included subdivision beats an excluded country.
        inside = inc_sub | (~exc_sub & (inc_country | in_sub_area))
        inside &= ~(exc_country & ~inc_sub)
        if self.polygons is not None:
            from residency.geo import points_in_polygons

            has_point = ~np.isnan(lats) & ~np.isnan(lons)
            in_polygon = np.zeros(len(countries), dtype=bool)
            if has_point.any():
                in_polygon[has_point] = points_in_polygons(
                    self.polygons, lats[has_point], lons[has_point]
                )
            inside |= in_polygon
            # Without coordinates we cannot tell whether an extra polygon holds the place.
            unknown |= ~has_point & ~inside
        for sub in self.exclude_areas:
            sub_inside, sub_unknown = sub._membership(countries, subs, lats, lons)
            inside &= ~sub_inside
            unknown |= sub_unknown & inside
        return inside, unknown & ~inside


def _take(values: npt.NDArray[Any], codes: npt.NDArray[np.intp]) -> pd.Series[Any]:
    """``values[codes]`` with -1 (missing) as None, as an object Series."""
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    out[present] = np.asarray(values, dtype=object)[codes[present]]
    return pd.Series(out, dtype=object)


def _verdict(inside: npt.NDArray[np.bool_], unknown: npt.NDArray[np.bool_]) -> npt.NDArray[np.int8]:
    result = np.where(inside, INSIDE, OUTSIDE).astype(np.int8)
    result[unknown & ~inside] = UNKNOWN
    return result


def _float_array(values: Any, n: int) -> npt.NDArray[np.float64]:
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)


def normalise_places(
    country: pd.Series[Any], subdivision: pd.Series[Any]
) -> tuple[pd.Series[Any], pd.Series[Any]]:
    """Rewrite alias country codes (``RE``) as their parent and subdivision (``FR``, ``FR-RE``)."""
    country = country.astype(object).where(country.notna(), None)
    subdivision = subdivision.astype(object).where(subdivision.notna(), None)
    single = {code: subs[0] for code, subs in SUBDIVISION_ALIASES.items() if len(subs) == 1}
    aliased = country.isin(single.keys()).to_numpy()
    if aliased.any():
        new_subs = country[aliased].map(single)
        subdivision = subdivision.copy()
        country = country.copy()
        subdivision[aliased] = subdivision[aliased].where(subdivision[aliased].notna(), new_subs)
        country[aliased] = new_subs.str.slice(0, 2)
    return country, subdivision


class AreaCatalog:
    """All areas known to a run: the packaged ones plus any user files."""

    def __init__(self, areas: Mapping[str, Area]) -> None:
        self._areas = dict(areas)

    def __contains__(self, name: object) -> bool:
        return name in self._areas

    def __iter__(self) -> Iterator[Area]:
        return iter(self._areas.values())

    def names(self) -> list[str]:
        return sorted(self._areas)

    def get(self, name: str) -> Area:
        """The area called ``name``; an unknown name is a ``ConfigError`` listing close ones."""
        try:
            return self._areas[name]
        except KeyError:
            close = [n for n in self.names() if n.startswith(name[:2])][:8]
            hint = f" (did you mean: {', '.join(close)})" if close else ""
            raise ConfigError(
                f"unknown area '{name}'{hint}; `residency areas list` shows them all"
            ) from None


def _read_area_file(path: Path) -> tuple[YamlDocument, AreaFile]:
    doc = load_yaml(path, "area file")
    return doc, validate_document(doc, AreaFile, "area file")


def _check_code(code: str, doc: YamlDocument, loc: list[str | int]) -> list[str]:
    """Validated, alias-expanded codes for one include/exclude entry."""
    known = iso_codes()
    if _COUNTRY.match(code):
        if code not in known:
            raise ConfigError(f"{doc.where(loc)}: unknown ISO 3166-1 code '{code}'")
        return list(SUBDIVISION_ALIASES.get(code, (code,)))
    if _SUBDIVISION.match(code):
        if code not in known:
            raise ConfigError(f"{doc.where(loc)}: unknown ISO 3166-2 code '{code}'")
        return [code]
    raise ConfigError(
        f"{doc.where(loc)}: '{code}' is neither an ISO code (DE, ES-CN) nor an area name (eu)"
    )


def _parse_polygons(spec: AreaSpec, doc: YamlDocument, index: int) -> Any:
    import shapely

    from residency.geo import parse_geojson_polygon

    geometries = []
    for j, item in enumerate(spec.polygons):
        loc: list[str | int] = ["areas", index, "polygons", j]
        try:
            if isinstance(item, str):
                file = (doc.path.parent / item).resolve()
                obj = json.loads(file.read_text(encoding="utf-8"))
            else:
                obj = item
            geometries.append(parse_geojson_polygon(obj))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{doc.where(loc)}: bad polygon: {exc}") from None
    return shapely.union_all(geometries) if geometries else None


def load_areas(extra_files: Sequence[Path] = ()) -> AreaCatalog:
    """Load the packaged areas and ``extra_files``; a user area may reuse any packaged one."""
    files = sorted(regions_path("areas").glob("*.yaml")) + [Path(p) for p in extra_files]
    specs: dict[str, tuple[AreaSpec, YamlDocument, int]] = {}
    for path in files:
        doc, parsed = _read_area_file(path)
        for index, spec in enumerate(parsed.areas):
            if spec.name in specs:
                previous = specs[spec.name][1].where(["areas", specs[spec.name][2]])
                raise ConfigError(
                    f"{doc.where(['areas', index, 'name'])}: area '{spec.name}' "
                    f"is already defined at {previous}"
                )
            specs[spec.name] = (spec, doc, index)

    compiled: dict[str, Area] = {}
    in_progress: list[str] = []

    def build(name: str) -> Area:
        if name in compiled:
            return compiled[name]
        spec, doc, index = specs[name]
        if name in in_progress:
            cycle = " -> ".join([*in_progress[in_progress.index(name) :], name])
            raise ConfigError(f"{doc.where(['areas', index])}: areas include each other: {cycle}")
        in_progress.append(name)
        codes: dict[str, set[str]] = {"include": set(), "exclude": set()}
        subareas: dict[str, list[Area]] = {"include": [], "exclude": []}
        for key in ("include", "exclude"):
            for j, entry in enumerate(getattr(spec, key)):
                loc: list[str | int] = ["areas", index, key, j]
                if _AREA_NAME.match(entry):
                    if entry not in specs:
                        raise ConfigError(f"{doc.where(loc)}: unknown area '{entry}'")
                    subareas[key].append(build(entry))
                else:
                    codes[key].update(_check_code(entry, doc, loc))
        area = Area(
            name=spec.name,
            title=spec.title,
            include_codes=frozenset(codes["include"]),
            exclude_codes=frozenset(codes["exclude"]),
            include_areas=tuple(subareas["include"]),
            exclude_areas=tuple(subareas["exclude"]),
            polygons=_parse_polygons(spec, doc, index),
            origin=doc.where(["areas", index]),
            source=spec.source,
        )
        if not (area.include_codes or area.include_areas or area.polygons is not None):
            raise ConfigError(f"{doc.where(['areas', index])}: area '{name}' includes nothing")
        in_progress.pop()
        compiled[name] = area
        return area

    for name in specs:
        build(name)
    return AreaCatalog(compiled)
