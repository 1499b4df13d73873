"""Points to countries, and points in user polygons, in bulk.

The country polygons are ``regions/countries.parquet`` (Natural Earth 10 m admin-0, public
domain; see ``regions/README.md``). Lookups are vectorised: the world is cut into a regular
grid of cells; each cell knows the polygon parts that touch it, and whether a single part covers
it whole. A point in a covered cell is answered by its cell; the others are tested against the
few parts of their cell at once with ``shapely.intersects_xy`` on prepared geometries. There is
no Python loop per point.

Coasts: a 1:10 million coastline misses many harbour cities by a few hundred metres (Ajaccio,
Venice, Mamoudzou, Ponta Delgada, Miami ... fall just outside it). So a point on no polygon but
within ``snap_km`` (default 2 km, far inside the 22 km territorial sea) of one takes the nearest
polygon's country; points farther out at sea get None. Pass ``snap_km=0`` for strict polygons.

Only pyarrow, numpy and shapely are needed at run time (no geopandas).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from residency.data import regions_path

__all__ = ["CountryIndex", "parse_geojson_polygon", "points_in_polygons", "validate_coordinates"]

ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_POLYGONAL = ("Polygon", "MultiPolygon")

#: A point off every polygon but within this distance of one takes its country (see above).
DEFAULT_SNAP_KM = 2.0
_KM_PER_DEGREE = 111.32  # along a meridian (and along the equator)
_EARTH_RADIUS_KM = 6371.0088
_CHUNK = 32  # segments per piece of boundary in the snapping tree


def validate_coordinates(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``lat`` and ``lon`` as equal-shaped float arrays; ValueError for NaN or out-of-range values.

    Scalars become one-element arrays. The message names how many coordinates are bad and the
    (flat) index of the first one.
    """
    try:
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"coordinates must be numbers: {exc}") from None
    if lat_a.shape != lon_a.shape:
        raise ValueError(f"lat and lon differ in shape: {lat_a.shape} and {lon_a.shape}")
    with np.errstate(invalid="ignore"):
        bad = ~((np.abs(lat_a) <= 90.0) & (np.abs(lon_a) <= 180.0))  # NaN compares False
    if bad.any():
        flat = np.flatnonzero(bad)
        first = int(flat[0])
        la, lo = float(lat_a.flat[first]), float(lon_a.flat[first])
        raise ValueError(
            f"{len(flat)} invalid coordinate(s) (NaN, or lat outside ±90 / lon outside ±180); "
            f"first at index {first}: lat={la}, lon={lo}"
        )
    return lat_a, lon_a


class CountryIndex:
    """Country and subdivision of points, from the packaged Natural Earth polygons."""

    #: Grid cell size in degrees (measured: 0.5° gives fast lookups and a short build).
    CELL = 0.5

    def __init__(
        self,
        iso_a2: Iterable[str],
        subdivision: Iterable[str | None],
        name: Iterable[str],
        geometry: Iterable[Any],
    ) -> None:
        self.iso_a2: ObjectArray = np.array(list(iso_a2), dtype=object)
        self.subdivision: ObjectArray = np.array(list(subdivision), dtype=object)
        self.name: ObjectArray = np.array(list(name), dtype=object)
        self.geometry: ObjectArray = np.array(list(geometry), dtype=object)
        n = len(self.iso_a2)
        if not (len(self.subdivision) == len(self.name) == len(self.geometry) == n):
            raise ValueError("iso_a2, subdivision, name and geometry differ in length")
        types = shapely.get_type_id(self.geometry)
        if n and not np.isin(types, (3, 6)).all():  # Polygon, MultiPolygon
            raise ValueError("country geometries must be polygons or multipolygons")
        self._edges: Any = None  # boundary pieces for snapping, built on the first snap
        self._occupied: npt.NDArray[np.int32] | None = None  # likewise
        self._build_grid()

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> CountryIndex:
        """The index of ``path`` (GeoParquet with iso_a2, subdivision, name, geometry).

        Without a path: the packaged ``countries.parquet``, loaded once per process.
        """
        if path is None:
            return _default_index()
        return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> CountryIndex:
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        geo_meta = (schema.metadata or {}).get(b"geo")
        geom_col = "geometry"
        if geo_meta is not None:
            meta = json.loads(geo_meta)
            geom_col = meta.get("primary_column", geom_col)
            encoding = meta.get("columns", {}).get(geom_col, {}).get("encoding", "WKB")
            if encoding.upper() != "WKB":
                raise ValueError(f"{path}: geometry encoding {encoding!r} is not WKB")
        columns = ["iso_a2", "subdivision", "name", geom_col]
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        table = pq.read_table(path, columns=columns)
        geometry = shapely.from_wkb(table.column(geom_col).to_numpy(zero_copy_only=False))
        return cls(
            table.column("iso_a2").to_pylist(),
            table.column("subdivision").to_pylist(),
            table.column("name").to_pylist(),
            geometry,
        )

    # -- the grid ----------------------------------------------------------------------------

    def _build_grid(self) -> None:
        cell = self.CELL
        self._nx = math.ceil(360.0 / cell)
        self._ny = math.ceil(180.0 / cell)
        parts, owner = shapely.get_parts(self.geometry, return_index=True)
        shapely.prepare(parts)
        self._parts: ObjectArray = parts
        self._owner: npt.NDArray[np.intp] = owner.astype(np.intp)
        if len(parts) == 0:
            self._start = np.zeros(self._nx * self._ny + 1, dtype=np.intp)
            self._cell_part = np.zeros(0, dtype=np.intp)
            self._cell_full = np.zeros(0, dtype=bool)
            return
        # Every (cell, part) pair whose cell meets the part's bounding box ...
        bounds = shapely.bounds(parts)
        x0, x1 = self._col(bounds[:, 0]), self._col(bounds[:, 2])
        y0, y1 = self._row(bounds[:, 1]), self._row(bounds[:, 3])
        width, height = x1 - x0 + 1, y1 - y0 + 1
        count = width * height
        part = np.repeat(np.arange(len(parts)), count)
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        cx = x0[part] + k % width[part]
        cy = y0[part] + k // width[part]
        # ... kept if the cell box meets the part itself; "full" if the part covers the cell.
        # In batches, to bound the memory of the temporary cell boxes.
        keep = np.zeros(len(part), dtype=bool)
        full = np.zeros(len(part), dtype=bool)
        for lo in range(0, len(part), 16384):
            sl = slice(lo, lo + 16384)
            left, bottom = cx[sl] * cell - 180.0, cy[sl] * cell - 90.0
            boxes = shapely.box(left, bottom, left + cell, bottom + cell)
            keep[sl] = shapely.intersects(parts[part[sl]], boxes)
            full[sl] = keep[sl] & shapely.contains_properly(parts[part[sl]], boxes)
        cell_id = (cy * self._nx + cx)[keep]
        part, full = part[keep], full[keep]
        order = np.lexsort((part, cell_id))
        cell_id, self._cell_part, self._cell_full = cell_id[order], part[order], full[order]
        self._start = np.searchsorted(cell_id, np.arange(self._nx * self._ny + 1))

    def _edge_tree(self) -> tuple[Any, ObjectArray, npt.NDArray[np.intp]]:
        """Polygon boundaries cut into short lines (cheap distances), their tree and owner rows."""
        if self._edges is None:
            rings, part = shapely.get_rings(self._parts, return_index=True)
            coords, ring = shapely.get_coordinates(rings, return_index=True)
            ring_start = np.searchsorted(ring, np.arange(len(rings)))
            segments = np.bincount(ring, minlength=len(rings)) - 1
            chunks = -(-segments // _CHUNK)
            chunk_ring = np.repeat(np.arange(len(rings)), chunks)
            k = np.arange(chunks.sum()) - np.repeat(np.cumsum(chunks) - chunks, chunks)
            first = ring_start[chunk_ring] + k * _CHUNK  # first coordinate of each chunk
            last = np.minimum(first + _CHUNK, ring_start[chunk_ring] + segments[chunk_ring])
            length = last - first + 1
            line = np.repeat(np.arange(len(first)), length)
            at = np.repeat(first, length) + (
                np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
            )
            lines = shapely.linestrings(coords[at], indices=line)
            owner = self._owner[part[chunk_ring]]
            self._edges = (shapely.STRtree(lines), lines, owner)
        tree, lines, owner = self._edges
        return tree, lines, owner

    def _col(self, lon: FloatArray) -> npt.NDArray[np.intp]:
        col = np.floor((lon + 180.0) / self.CELL).astype(np.intp)
        return np.clip(col, 0, self._nx - 1)

    def _row(self, lat: FloatArray) -> npt.NDArray[np.intp]:
        row = np.floor((lat + 90.0) / self.CELL).astype(np.intp)
        return np.clip(row, 0, self._ny - 1)

    # -- lookups -----------------------------------------------------------------------------

    def locate_rows(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, *, snap_km: float = DEFAULT_SNAP_KM
    ) -> npt.NDArray[np.intp]:
        """Row of the polygon holding each point, or -1; flat, in input order.

        A point on a shared border belongs to the row listed first. A point on no polygon takes
        the row of the nearest polygon boundary within ``snap_km`` kilometres, if any.
        """
        if not snap_km >= 0:
            raise ValueError(f"snap_km must be >= 0, got {snap_km}")
        lat_a, lon_a = validate_coordinates(lat, lon)
        lat_f, lon_f = lat_a.ravel(), lon_a.ravel()
        result = np.full(lat_f.shape, -1, dtype=np.intp)
        if len(self._cell_part) == 0:
            return result
        cell = self._row(lat_f) * self._nx + self._col(lon_f)
        first = self._start[cell]
        count = self._start[cell + 1] - first
        # Cells covered by one part answer at once.
        whole = count == 1
        whole[whole] = self._cell_full[first[whole]]
        result[whole] = self._owner[self._cell_part[first[whole]]]
        # The rest: one (point, part) pair per candidate part of the point's cell.
        todo = np.flatnonzero((count > 0) & ~whole)
        n = count[todo]
        point = np.repeat(todo, n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        part = self._cell_part[np.repeat(first[todo], n) + k]
        hit = shapely.intersects_xy(self._parts[part], lon_f[point], lat_f[point])
        point, part = point[hit], part[hit]
        # Pairs come sorted by point, then part: keep the first match of each point.
        point, at = np.unique(point, return_index=True)
        result[point] = self._owner[part[at]]
        if snap_km > 0:
            self._snap(result, lat_f, lon_f, snap_km)
        return result

    def _snap(
        self, result: npt.NDArray[np.intp], lat: FloatArray, lon: FloatArray, snap_km: float
    ) -> None:
        """Give points with no row (``result`` -1) the row of the nearest boundary within reach."""
        lost = np.flatnonzero(result < 0)
        if len(lost) == 0:
            return
        # Cheap pre-filter: only points whose grid cell, grown by the reach, holds a polygon.
        reach_lat = snap_km / _KM_PER_DEGREE
        cos_lat = np.maximum(
            np.cos(np.radians(np.minimum(np.abs(lat[lost]) + reach_lat, 90))), 0.01
        )
        reach_lon = np.minimum(reach_lat / cos_lat, 360.0)
        near = self._any_part_near(lat[lost], lon[lost], reach_lat, reach_lon)
        lost, reach_lon = lost[near], reach_lon[near]
        if len(lost) == 0:
            return
        tree, lines, owner = self._edge_tree()
        points = shapely.points(lon[lost], lat[lost])
        # Nearest boundary in degrees within the reach in longitude (grouped in bands of similar
        # reach, so that polar points do not widen the search for all); km decide below.
        band = np.ceil(np.log2(reach_lon / reach_lat)).astype(np.intp)
        for b in np.unique(band):
            mine = np.flatnonzero(band == b)
            found, line = tree.query_nearest(
                points[mine], max_distance=float(reach_lon[mine].max()), all_matches=False
            )
            if len(found) == 0:
                continue
            found = mine[found]
            ends = shapely.get_coordinates(shapely.shortest_line(points[found], lines[line]))
            km = _haversine_km(ends[0::2, 1], ends[0::2, 0], ends[1::2, 1], ends[1::2, 0])
            ok = km <= snap_km
            result[lost[found[ok]]] = owner[line[ok]]

    def _any_part_near(
        self, lat: FloatArray, lon: FloatArray, reach_lat: float, reach_lon: FloatArray
    ) -> BoolArray:
        if self._occupied is None:
            occupied = (self._start[1:] - self._start[:-1] > 0).reshape(self._ny, self._nx)
            # Summed-area table: whether a box of cells holds a polygon part, in O(1) per point.
            table = np.zeros((self._ny + 1, self._nx + 1), dtype=np.int32)
            table[1:, 1:] = occupied.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
            self._occupied = table
        table = self._occupied
        r0, r1 = self._row(lat - reach_lat), self._row(lat + reach_lat) + 1
        c0 = np.floor((lon - reach_lon + 180.0) / self.CELL).astype(np.intp)
        c1 = np.floor((lon + reach_lon + 180.0) / self.CELL).astype(np.intp) + 1
        wraps = (c0 < 0) | (c1 > self._nx)
        c0, c1 = np.clip(c0, 0, self._nx), np.clip(c1, 0, self._nx)
        hits = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
        return np.asarray((hits > 0) | wraps, dtype=bool)

    def locate(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, *, snap_km: float = DEFAULT_SNAP_KM
    ) -> tuple[ObjectArray, ObjectArray]:
        """ISO 3166-1 alpha-2 code and ISO 3166-2 subdivision (or None) of each point.

        ``lat`` and ``lon`` are degrees (WGS 84) of equal shape; the result arrays have that
        shape (scalars give one-element arrays) and dtype object. A point on no polygon and
        farther than ``snap_km`` from every polygon (open sea, or an area without an ISO code)
        gets None for both. ValueError for NaN or out-of-range coordinates.
        """
        lat_a, lon_a = validate_coordinates(lat, lon)
        rows = self.locate_rows(lat_a, lon_a, snap_km=snap_km)
        found = rows >= 0
        country = np.full(rows.shape, None, dtype=object)
        subdivision = np.full(rows.shape, None, dtype=object)
        country[found] = self.iso_a2[rows[found]]
        subdivision[found] = self.subdivision[rows[found]]
        return country.reshape(lat_a.shape), subdivision.reshape(lat_a.shape)

    def __len__(self) -> int:
        return len(self.iso_a2)

    def __repr__(self) -> str:
        return f"CountryIndex({len(self)} rows, {len(self._parts)} polygons)"


def _haversine_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    km: FloatArray = 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


@cache
def _default_index() -> CountryIndex:
    return CountryIndex._read(regions_path("countries.parquet"))


def points_in_polygons(geometry: Any, lat: npt.ArrayLike, lon: npt.ArrayLike) -> BoolArray:
    """Whether each point lies inside ``geometry`` (a Polygon or MultiPolygon).

    Points on the boundary are outside (``shapely.contains_xy``). Same input rules as
    :meth:`CountryIndex.locate`; the result has the shape of ``lat``.
    """
    if not isinstance(geometry, shapely.Geometry) or geometry.geom_type not in _POLYGONAL:
        raise ValueError(f"expected a Polygon or MultiPolygon, got {type(geometry).__name__}")
    lat_a, lon_a = validate_coordinates(lat, lon)
    shapely.prepare(geometry)
    result: BoolArray = np.asarray(shapely.contains_xy(geometry, lon_a, lat_a), dtype=bool)
    return result


# -- GeoJSON ---------------------------------------------------------------------------------


def parse_geojson_polygon(obj: Mapping[str, Any]) -> Any:
    """A valid shapely (Multi)Polygon from a GeoJSON Polygon or MultiPolygon.

    Also accepts a Feature holding one, or a FeatureCollection of such features (their union).
    Coordinates are [lon, lat] in degrees. ValueError with a readable message for anything else.
    """
    if not isinstance(obj, Mapping):
        raise ValueError(f"GeoJSON must be an object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise ValueError("FeatureCollection has no features")
        geoms = []
        for i, feature in enumerate(features):
            if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
                raise ValueError(f"features[{i}] is not a GeoJSON Feature")
            try:
                geoms.append(_feature_geometry(feature))
            except ValueError as exc:
                raise ValueError(f"features[{i}]: {exc}") from None
        return _polygonal(shapely.union_all(geoms))
    if kind == "Feature":
        return _feature_geometry(obj)
    return _geometry(obj)


def _feature_geometry(feature: Mapping[str, Any]) -> Any:
    geometry = feature.get("geometry")
    if not isinstance(geometry, Mapping):
        raise ValueError("Feature has no geometry")
    return _geometry(geometry)


def _geometry(obj: Mapping[str, Any]) -> Any:
    kind = obj.get("type")
    coords = obj.get("coordinates")
    if kind == "Polygon":
        polygons = [_polygon(coords, "coordinates")]
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise ValueError("MultiPolygon needs a non-empty list of polygons")
        polygons = [_polygon(p, f"coordinates[{i}]") for i, p in enumerate(coords)]
    else:
        raise ValueError(
            f"expected a GeoJSON Polygon or MultiPolygon (or a Feature/FeatureCollection of "
            f"them), got type {kind!r}"
        )
    geom = polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)
    return _polygonal(geom)


def _polygon(rings: Any, where: str) -> Any:
    if not isinstance(rings, list) or not rings:
        raise ValueError(f"{where}: a polygon needs a list of linear rings")
    arrays = [_ring(ring, f"{where}[{i}]") for i, ring in enumerate(rings)]
    return shapely.Polygon(arrays[0], arrays[1:])


def _ring(ring: Any, where: str) -> FloatArray:
    if not isinstance(ring, list):
        raise ValueError(f"{where}: a linear ring must be a list of [lon, lat] positions")
    try:
        arr = np.array(
            [[float(p[0]), float(p[1])] for p in ring if not isinstance(p, (str, bytes))],
            dtype=np.float64,
        )
    except (TypeError, ValueError, IndexError, KeyError):
        arr = np.zeros((0, 2))
    if len(arr) != len(ring) or len(ring) == 0:
        raise ValueError(f"{where}: positions must be [lon, lat] number pairs")
    if not np.isfinite(arr).all():
        raise ValueError(f"{where}: coordinates must be finite numbers")
    lon, lat = arr[:, 0], arr[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        i = int(np.flatnonzero((np.abs(lon) > 180) | (np.abs(lat) > 90))[0])
        raise ValueError(
            f"{where}[{i}]: [{lon[i]}, {lat[i]}] is out of range (GeoJSON order is [lon, lat])"
        )
    if not np.array_equal(arr[0], arr[-1]):
        arr = np.vstack([arr, arr[:1]])  # be lenient: close the ring
    if len(arr) < 4:
        raise ValueError(f"{where}: a linear ring needs at least 4 positions")
    return arr


def _polygonal(geom: Any) -> Any:
    """``geom`` made valid, keeping its polygonal parts; ValueError if nothing with area is left."""
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polys or sum(p.area for p in polys) == 0:
        raise ValueError("polygon has no area")
    result = polys[0] if len(polys) == 1 else shapely.union_all(polys)
    if result.geom_type not in _POLYGONAL:
        raise ValueError("polygon has no area")
    return result
